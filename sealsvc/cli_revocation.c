/* The revocation context `verify` and `cert status` judge certificates with: what the
 * user hands in, and with a data directory the platform's published CRLs, its cache and
 * its evidence archive. */
#include "cli.h"

#include <seal/error.h>

#include <glib.h>

int cli_revocation(seal_revocation **out, const char *data_dir, bool offline,
                   const char *const *evidence, size_t n_evidence)
{
    int rc = 0;
    char *cache = data_dir ? g_build_filename(data_dir, "cache", "revocation", NULL) : NULL;
    char *archive = data_dir ? g_build_filename(data_dir, "evidence", NULL) : NULL;
    char *published = data_dir ? g_build_filename(data_dir, "crl", NULL) : NULL;
    seal_revocation_opts opts = {.cache_dir = cache, .archive_dir = archive, .offline = offline};
    *out = NULL;
    SEAL_TRY(seal_revocation_new(out, &opts));
    if (published)
        SEAL_TRY(seal_revocation_add_dir(*out, published));
    for (size_t i = 0; i < n_evidence; i++) {
        if (g_file_test(evidence[i], G_FILE_TEST_IS_DIR))
            SEAL_TRY(seal_revocation_add_dir(*out, evidence[i]));
        else
            SEAL_TRY(seal_revocation_add_file(*out, evidence[i]));
    }
out:
    if (rc < 0) {
        seal_revocation_free(*out);
        *out = NULL;
    }
    g_free(cache);
    g_free(archive);
    g_free(published);
    return rc;
}
