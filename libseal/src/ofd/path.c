/* Package path resolution (GB/T 33190 7.5, ST_Loc): absolute locations start at the package
 * root, relative ones at the folder of the file that names them. Writers differ (relative
 * paths meant from the root, backslashes), so seal_ofd_locate also tries the root reading
 * when the standard one names nothing (OFD-SEAL.md 7). Paths never leave the root. */
#include "ofd_internal.h"

#include <seal/error.h>

#include <stdlib.h>
#include <string.h>

/* Appends the segments of `path` (split on '/') to `segs`, folding "." and "..". */
static int push_segments(GPtrArray *segs, char *path, const char *ref)
{
    char *save = NULL;
    for (char *seg = strtok_r(path, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
        if (strcmp(seg, ".") == 0)
            continue;
        if (strcmp(seg, "..") == 0) {
            if (segs->len == 0)
                return seal_error_set(SEAL_EFORMAT, "the path \"%s\" leads outside the package",
                                      ref);
            g_ptr_array_remove_index(segs, segs->len - 1);
            continue;
        }
        g_ptr_array_add(segs, seg);
    }
    return 0;
}

int seal_ofd_resolve(char **out, const char *base_file, const char *ref)
{
    int rc = 0;
    *out = NULL;
    GPtrArray *segs = g_ptr_array_new();
    char *base = NULL;
    char *rel = g_strstrip(g_strdup(ref ? ref : ""));
    g_strdelimit(rel, "\\", '/');
    SEAL_ENSURE(rel[0] != '\0', SEAL_EFORMAT, "an empty path where a package file is named");
    if (rel[0] != '/' && base_file && base_file[0]) {
        base = g_strdup(base_file);
        g_strdelimit(base, "\\", '/');
        char *slash = strrchr(base, '/');
        if (slash) {
            *slash = '\0';
            SEAL_TRY(push_segments(segs, base, base_file));
        }
    }
    SEAL_TRY(push_segments(segs, rel, ref));
    SEAL_ENSURE(segs->len > 0, SEAL_EFORMAT, "the path \"%s\" names the package root, not a file",
                ref);
    g_ptr_array_add(segs, NULL);
    char *joined = g_strjoinv("/", (char **)segs->pdata);
    *out = strdup(joined);
    g_free(joined);
    SEAL_ENSURE(*out, SEAL_ENOMEM, "out of memory");
out:
    g_ptr_array_free(segs, TRUE);
    g_free(base);
    g_free(rel);
    return rc;
}

int seal_ofd_locate(const seal_ofd *doc, char **out, const char *base_file, const char *ref)
{
    int rc = seal_ofd_resolve(out, base_file, ref);
    if (rc < 0)
        return rc;
    if (seal_ofd_entry_exists(doc, *out))
        return 0;
    char *from_root = NULL;
    if (seal_ofd_resolve(&from_root, NULL, ref) == 0 && seal_ofd_entry_exists(doc, from_root)) {
        free(*out);
        *out = from_root;
        return 0;
    }
    free(from_root);
    return seal_error_set(SEAL_ENOTFOUND, "the package has no file \"%s\" (named as \"%s\")", *out,
                          ref);
}

int ofd_locate(seal_ofd *doc, const char **out, const char *base_file, const char *ref)
{
    char *path = NULL;
    int rc = seal_ofd_locate(doc, &path, base_file, ref);
    if (rc == SEAL_ENOTFOUND)
        seal_error_clear();
    if (path)
        *out = ofd_str(doc, path);
    free(path);
    return rc == SEAL_ENOTFOUND ? 0 : rc;
}
