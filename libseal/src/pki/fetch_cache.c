/* The on-disk cache and the evidence archive of fetched CRLs and OCSP responses.
 *
 * Cache: CACHE/<issuer key id>/crl-<hash of URL>.der and ocsp-<serial>.der, each with a
 * .json beside it naming the URL and the fetch time; thisUpdate and nextUpdate are read
 * from the evidence itself when it is judged (status.c). Archive: every answer fetched,
 * judged good or not, as ARCHIVE/YYYY/MM/DD/<fetch time>-<kind>-<digest>.der with its
 * .json, so that a dispute can show what was known when (DESIGN.md, CA agreements). */
#include "pki/status_internal.h"

#include <seal/ca.h>
#include <seal/error.h>

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <string.h>
#include <sys/stat.h>

#define CACHE_FILE_MAX (64u * 1024 * 1024)
#define META_FILE_MAX  (64u * 1024)

int rev_issuer_key_id(char out[65], X509 *issuer)
{
    return seal_cert_key_id(out, issuer);
}

static int make_dir(const char *path)
{
    if (g_mkdir_with_parents(path, 0755) != 0)
        return seal_error_set(SEAL_EIO, "cannot create %s: %s", path, strerror(errno));
    return 0;
}

/* The .json beside an evidence file: {"url":..., "fetched_at": seconds, ...}. */
static int write_meta(const char *der_path, json_t *meta)
{
    int rc = 0;
    char *text = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);
    size_t n = strlen(der_path);
    char *path = g_strdup_printf("%.*s.json", (int)(n - 4), der_path);
    seal_buf b = SEAL_BUF_INIT;
    SEAL_ENSURE(text, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(seal_buf_set(&b, text, strlen(text)));
    SEAL_TRY(seal_buf_append_byte(&b, '\n'));
    SEAL_TRY(seal_buf_write_file(&b, path, 0644));
out:
    free(text);
    g_free(path);
    seal_buf_clear(&b);
    return rc;
}

static void read_meta(const char *der_path, char **url, time_t *fetched_at)
{
    size_t n = strlen(der_path);
    char *path = g_strdup_printf("%.*s.json", (int)(n - 4), der_path);
    seal_buf b = SEAL_BUF_INIT;
    json_t *meta = NULL;
    if (seal_buf_read_file(&b, path, META_FILE_MAX) == 0)
        meta = json_loadb((const char *)b.data, b.len, 0, NULL);
    const char *u = json_string_value(json_object_get(meta, "url"));
    *url = u ? g_strdup(u) : NULL;
    *fetched_at = (time_t)json_integer_value(json_object_get(meta, "fetched_at"));
    json_decref(meta);
    seal_buf_clear(&b);
    g_free(path);
    seal_error_clear();
}

static void load_file(seal_revocation *rv, const char *path, seal_evidence_kind kind)
{
    seal_buf b = SEAL_BUF_INIT;
    rev_item *it = NULL;
    char *url = NULL;
    time_t fetched_at = 0;
    read_meta(path, &url, &fetched_at);
    char *source = g_strdup_printf("cache: %s", url ? url : path);
    /* A damaged cache file is skipped: the cache only saves fetches, it decides nothing. */
    if (seal_buf_read_file(&b, path, CACHE_FILE_MAX) == 0 &&
        rev_item_parse(&it, kind, b.data, b.len, source) == 0) {
        it->fetched_at = fetched_at;
        rev_add_item(rv, it);
    }
    seal_error_clear();
    g_free(source);
    g_free(url);
    seal_buf_clear(&b);
}

int rev_cache_load(seal_revocation *rv, X509 *issuer)
{
    char id[65];
    struct dirent **names = NULL;
    if (!rv->cache_dir)
        return 0;
    int rc = rev_issuer_key_id(id, issuer);
    if (rc < 0)
        return rc;
    if (g_hash_table_contains(rv->cached, id))
        return 0;
    g_hash_table_add(rv->cached, g_strdup(id));
    char *dir = g_build_filename(rv->cache_dir, id, NULL);
    int n = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t len = strlen(name);
        if (len > 4 && strcmp(name + len - 4, ".der") == 0 &&
            (g_str_has_prefix(name, "crl-") || g_str_has_prefix(name, "ocsp-"))) {
            char *path = g_build_filename(dir, name, NULL);
            load_file(rv, path, name[0] == 'c' ? SEAL_EVIDENCE_CRL : SEAL_EVIDENCE_OCSP);
            g_free(path);
        }
        free(names[i]);
    }
    free(names);
    g_free(dir);
    return 0;
}

int rev_cache_store(seal_revocation *rv, X509 *issuer, const rev_item *it, const char *name,
                    const char *url)
{
    int rc = 0;
    char id[65];
    char *dir = NULL, *path = NULL;
    json_t *meta = NULL;
    if (!rv->cache_dir)
        return 0;
    SEAL_TRY(rev_issuer_key_id(id, issuer));
    dir = g_build_filename(rv->cache_dir, id, NULL);
    SEAL_TRY(make_dir(dir));
    path = g_strdup_printf("%s/%s.der", dir, name);
    SEAL_TRY(seal_buf_write_file(&it->der, path, 0644));
    meta = json_pack("{s:s, s:I}", "url", url, "fetched_at", (json_int_t)it->fetched_at);
    SEAL_ENSURE(meta, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(write_meta(path, meta));
out:
    json_decref(meta);
    g_free(dir);
    g_free(path);
    return rc;
}

/* The times the evidence states about itself, for the archive's .json. */
static void evidence_times(const rev_item *it, time_t *this_update, time_t *next_update)
{
    *this_update = *next_update = 0;
    if (it->crl) {
        *this_update = rev_asn1_time(X509_CRL_get0_lastUpdate(it->crl));
        *next_update = rev_asn1_time(X509_CRL_get0_nextUpdate(it->crl));
    } else if (it->basic && OCSP_resp_count(it->basic) > 0) {
        ASN1_GENERALIZEDTIME *tu = NULL, *nu = NULL;
        OCSP_single_get0_status(OCSP_resp_get0(it->basic, 0), NULL, NULL, &tu, &nu);
        *this_update = rev_asn1_time(tu);
        *next_update = rev_asn1_time(nu);
    }
}

int rev_archive(seal_revocation *rv, rev_item *it, const char *url)
{
    int rc = 0;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char hex[65] = "", stamp[32], tu[32], nu[32];
    char *dir = NULL, *path = NULL;
    json_t *meta = NULL;
    struct tm tm;
    if (!rv->archive_dir)
        return 0;
    SEAL_ENSURE(EVP_Digest(it->der.data, it->der.len, md, &md_len, EVP_sha256(), NULL) == 1,
                SEAL_ECRYPTO, "cannot digest the evidence");
    for (unsigned i = 0; i < md_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    gmtime_r(&it->fetched_at, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    dir = g_strdup_printf("%s/%04d/%02d/%02d", rv->archive_dir, tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday);
    SEAL_TRY(make_dir(dir));
    const char *kind = it->kind == SEAL_EVIDENCE_CRL ? "crl" : "ocsp";
    path = g_strdup_printf("%s/%s-%s-%.16s.der", dir, stamp, kind, hex);
    SEAL_TRY(seal_buf_write_file(&it->der, path, 0644));
    time_t this_update, next_update;
    evidence_times(it, &this_update, &next_update);
    rev_format_time(stamp, it->fetched_at);
    rev_format_time(tu, this_update);
    rev_format_time(nu, next_update);
    meta = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "kind", kind, "url", url,
                     "fetched_at_utc", stamp, "fetched_at", (json_int_t)it->fetched_at, "sha256",
                     hex, "this_update", tu, "next_update", next_update ? nu : "");
    SEAL_ENSURE(meta, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(write_meta(path, meta));
    g_free(it->archived);
    it->archived = path;
    path = NULL;
out:
    json_decref(meta);
    g_free(dir);
    g_free(path);
    return rc;
}
