/* The revocation context `verify` and `cert status` judge certificates with: what the
 * user hands in, and with a data directory the platform's published CRLs, its cache, its
 * evidence archive and its intermediate CA certificates (chain building's pool). */
#include "cli.h"

#include <seal/error.h>

#include <glib.h>
#include <openssl/x509v3.h>

/* GB/T 38540 signatures carry only the signer's certificate, so the chain needs the
 * issuing CA from elsewhere: the data directory's own CA certificates (DATA/pki/NAME.pem)
 * that are not self-signed are offered as untrusted intermediates (RFC 5280 6.1: they
 * count only when they chain to an anchor). */
static int add_platform_intermediates(seal_revocation *rv, const char *data_dir)
{
    int rc = 0;
    char *dir = g_build_filename(data_dir, "pki", NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    STACK_OF(X509) *certs = sk_X509_new_null();
    const char *name;
    SEAL_ENSURE(certs, SEAL_ENOMEM, "out of memory");
    while (d && (name = g_dir_read_name(d)) != NULL) {
        X509 *cert = NULL;
        char *path = g_build_filename(dir, name, NULL);
        bool pem = g_str_has_suffix(name, ".pem") && g_file_test(path, G_FILE_TEST_IS_REGULAR);
        if (pem && seal_cert_load(&cert, path) == 0 && X509_check_ca(cert) > 0 &&
            X509_check_issued(cert, cert) != X509_V_OK && sk_X509_push(certs, cert))
            cert = NULL;
        seal_error_clear();
        X509_free(cert);
        g_free(path);
    }
    SEAL_TRY(seal_revocation_add_certs(rv, certs));
out:
    sk_X509_pop_free(certs, X509_free);
    if (d)
        g_dir_close(d);
    g_free(dir);
    return rc;
}

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
    if (data_dir)
        SEAL_TRY(add_platform_intermediates(*out, data_dir));
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
