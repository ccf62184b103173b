/* The cache and the evidence archive of fetched CRLs and OCSP responses: what a context
 * hands to its storage (seal_revocation_storage: the platform's database through the
 * store, or folders), and the folder storage for a library user without a store.
 *
 * The cache saves fetches; it decides nothing (thisUpdate and nextUpdate are read from the
 * evidence itself when it is judged, status.c). The archive keeps every answer fetched,
 * judged good or not, so that a dispute can show what was known when (DESIGN.md, CA
 * agreements). Folders: CACHE/<issuer key id>/crl-<hash of URL>.der and ocsp-<serial>.der,
 * each with a .json beside it naming the URL and the fetch time;
 * ARCHIVE/YYYY/MM/DD/<fetch time>-<kind>-<digest>.der with its .json. */
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

static const char *kind_name(seal_evidence_kind kind)
{
    return kind == SEAL_EVIDENCE_CRL ? "crl" : "ocsp";
}

/* ---------------------------------------------------------------- the folders */

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

static int dir_cache_each(void *ctx, const char *issuer_key_id, seal_evidence_visit visit,
                          void *visit_ctx)
{
    seal_revocation *rv = ctx;
    struct dirent **names = NULL;
    int rc = 0;
    char *dir = g_build_filename(rv->cache_dir, issuer_key_id, NULL);
    int n = scandir(dir, &names, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        size_t len = strlen(name);
        if (rc == 0 && len > 4 && strcmp(name + len - 4, ".der") == 0 &&
            (g_str_has_prefix(name, "crl-") || g_str_has_prefix(name, "ocsp-"))) {
            char *path = g_build_filename(dir, name, NULL);
            char *url = NULL;
            seal_buf der = SEAL_BUF_INIT;
            seal_evidence_entry e = {.kind =
                                         name[0] == 'c' ? SEAL_EVIDENCE_CRL : SEAL_EVIDENCE_OCSP};
            read_meta(path, &url, &e.fetched_at);
            e.url = url ? url : path;
            if (seal_buf_read_file(&der, path, CACHE_FILE_MAX) == 0) {
                e.der = der.data;
                e.len = der.len;
                rc = visit(visit_ctx, &e);
            }
            seal_error_clear();
            seal_buf_clear(&der);
            g_free(url);
            g_free(path);
        }
        free(names[i]);
    }
    free(names);
    g_free(dir);
    return rc;
}

static int dir_cache_put(void *ctx, const char *issuer_key_id, const char *name,
                         const seal_evidence_entry *e)
{
    seal_revocation *rv = ctx;
    int rc = 0;
    json_t *meta = NULL;
    seal_buf der = SEAL_BUF_INIT;
    char *dir = g_build_filename(rv->cache_dir, issuer_key_id, NULL);
    char *path = g_strdup_printf("%s/%s.der", dir, name);
    SEAL_TRY(make_dir(dir));
    SEAL_TRY(seal_buf_set(&der, e->der, e->len));
    SEAL_TRY(seal_buf_write_file(&der, path, 0644));
    meta = json_pack("{s:s, s:I}", "url", e->url, "fetched_at", (json_int_t)e->fetched_at);
    SEAL_ENSURE(meta, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(write_meta(path, meta));
out:
    json_decref(meta);
    seal_buf_clear(&der);
    g_free(dir);
    g_free(path);
    return rc;
}

static int dir_archive_put(void *ctx, const seal_evidence_entry *e, char **where_out)
{
    seal_revocation *rv = ctx;
    int rc = 0;
    char stamp[32], tu[32], nu[32];
    char *dir = NULL, *path = NULL;
    json_t *meta = NULL;
    seal_buf der = SEAL_BUF_INIT;
    struct tm tm;
    gmtime_r(&e->fetched_at, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    dir = g_strdup_printf("%s/%04d/%02d/%02d", rv->archive_dir, tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday);
    SEAL_TRY(make_dir(dir));
    path = g_strdup_printf("%s/%s-%s-%.16s.der", dir, stamp, kind_name(e->kind), e->sha256);
    SEAL_TRY(seal_buf_set(&der, e->der, e->len));
    SEAL_TRY(seal_buf_write_file(&der, path, 0644));
    rev_format_time(stamp, e->fetched_at);
    rev_format_time(tu, e->this_update);
    rev_format_time(nu, e->next_update);
    meta =
        json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "kind", kind_name(e->kind), "url", e->url,
                  "fetched_at_utc", stamp, "fetched_at", (json_int_t)e->fetched_at, "sha256",
                  e->sha256, "this_update", tu, "next_update", e->next_update ? nu : "");
    SEAL_ENSURE(meta, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(write_meta(path, meta));
    *where_out = path;
    path = NULL;
out:
    json_decref(meta);
    seal_buf_clear(&der);
    g_free(dir);
    g_free(path);
    return rc;
}

void rev_dir_storage(seal_revocation *rv)
{
    rv->storage = (seal_revocation_storage){
        .cache_put = rv->cache_dir ? dir_cache_put : NULL,
        .cache_each = rv->cache_dir ? dir_cache_each : NULL,
        .archive_put = rv->archive_dir ? dir_archive_put : NULL,
        .ctx = rv,
    };
}

/* ---------------------------------------------------------------- what the context asks */

static int add_cached(void *ctx, const seal_evidence_entry *e)
{
    seal_revocation *rv = ctx;
    rev_item *it = NULL;
    char *source = g_strdup_printf("cache: %s", e->url ? e->url : "?");
    /* A damaged cache entry is skipped: the cache only saves fetches, it decides nothing. */
    if (rev_item_parse(&it, e->kind, e->der, e->len, source) == 0) {
        it->fetched_at = e->fetched_at;
        rev_add_item(rv, it);
    }
    seal_error_clear();
    g_free(source);
    return 0;
}

int rev_cache_load(seal_revocation *rv, X509 *issuer)
{
    char id[65];
    if (!rv->storage.cache_each)
        return 0;
    int rc = rev_issuer_key_id(id, issuer);
    if (rc < 0)
        return rc;
    if (g_hash_table_contains(rv->cached, id))
        return 0;
    g_hash_table_add(rv->cached, g_strdup(id));
    /* A cache that cannot be read costs fetches, nothing else. */
    if (rv->storage.cache_each(rv->storage.ctx, id, add_cached, rv) < 0)
        seal_error_clear();
    return 0;
}

int rev_cache_store(seal_revocation *rv, X509 *issuer, const rev_item *it, const char *name,
                    const char *url)
{
    char id[65];
    if (!rv->storage.cache_put)
        return 0;
    int rc = rev_issuer_key_id(id, issuer);
    if (rc < 0)
        return rc;
    seal_evidence_entry e = {.kind = it->kind,
                             .url = url,
                             .fetched_at = it->fetched_at,
                             .der = it->der.data,
                             .len = it->der.len};
    return rv->storage.cache_put(rv->storage.ctx, id, name, &e);
}

/* The times the evidence states about itself. */
static void evidence_times(const rev_item *it, time_t *this_update, time_t *next_update)
{
    *this_update = *next_update = 0;
    if (it->crl) {
        *this_update = seal_asn1_time(X509_CRL_get0_lastUpdate(it->crl));
        *next_update = seal_asn1_time(X509_CRL_get0_nextUpdate(it->crl));
    } else if (it->basic && OCSP_resp_count(it->basic) > 0) {
        ASN1_GENERALIZEDTIME *tu = NULL, *nu = NULL;
        OCSP_single_get0_status(OCSP_resp_get0(it->basic, 0), NULL, NULL, &tu, &nu);
        *this_update = seal_asn1_time(tu);
        *next_update = seal_asn1_time(nu);
    }
}

int rev_archive(seal_revocation *rv, rev_item *it, const char *url)
{
    int rc = 0;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    char hex[65] = "";
    char *where = NULL;
    if (!rv->storage.archive_put)
        return 0;
    SEAL_ENSURE(EVP_Digest(it->der.data, it->der.len, md, &md_len, EVP_sha256(), NULL) == 1,
                SEAL_ECRYPTO, "cannot digest the evidence");
    for (unsigned i = 0; i < md_len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    seal_evidence_entry e = {.kind = it->kind,
                             .url = url,
                             .fetched_at = it->fetched_at,
                             .sha256 = hex,
                             .der = it->der.data,
                             .len = it->der.len};
    evidence_times(it, &e.this_update, &e.next_update);
    SEAL_TRY(rv->storage.archive_put(rv->storage.ctx, &e, &where));
    g_free(it->archived);
    it->archived = where;
    where = NULL;
out:
    g_free(where);
    return rc;
}
