/* The revocation context of a relying party: the evidence it holds (handed in from a
 * document's DSS or from files, read from the cache, fetched), and where it keeps and
 * archives what it fetches. Verify flow: made once per verification, consulted by
 * seal_pki_status_at() for every certificate of every chain. */
#include "pki/status_internal.h"

#include <seal/crypto.h>
#include <seal/error.h>

#include <dirent.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_MAX_CRL    (16u * 1024 * 1024)
#define DEFAULT_MAX_OCSP   (64u * 1024)
#define DEFAULT_MAX_CERT   (256u * 1024)
#define EVIDENCE_FILE_MAX  (64u * 1024 * 1024)

void rev_format_time(char out[32], time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        strcpy(out, "?");
}

char *rev_name_oneline(const X509_NAME *name)
{
    char *text = seal_x509_name_text(name);
    char *line = g_strdup(text ? text : "?");
    free(text);
    return line;
}

void rev_item_free(rev_item *it)
{
    if (!it)
        return;
    X509_CRL_free(it->crl);
    OCSP_BASICRESP_free(it->basic);
    seal_buf_clear(&it->der);
    g_free(it->source);
    g_free(it->archived);
    g_free(it);
}

static bool looks_pem(const uint8_t *data, size_t len)
{
    return memmem(data, len, "-----BEGIN ", 11) != NULL;
}

static X509_CRL *parse_crl(const uint8_t *data, size_t len, seal_buf *der)
{
    X509_CRL *crl = NULL;
    if (looks_pem(data, len)) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
        unsigned char *p = NULL;
        int n = crl ? i2d_X509_CRL(crl, &p) : -1;
        if (n <= 0 || seal_buf_set(der, p, (size_t)n) < 0) {
            X509_CRL_free(crl);
            crl = NULL;
        }
        OPENSSL_free(p);
    } else {
        const unsigned char *p = data;
        crl = d2i_X509_CRL(NULL, &p, (long)len);
        if (crl && (p != data + len || seal_buf_set(der, data, len) < 0)) {
            X509_CRL_free(crl);
            crl = NULL;
        }
    }
    ERR_clear_error();
    return crl;
}

/* An OCSPResponse (RFC 6960 4.2.1) whose status is successful and which holds a
 * BasicOCSPResponse, or a bare BasicOCSPResponse (how some DSS writers store them). */
static OCSP_BASICRESP *parse_ocsp(const uint8_t *data, size_t len, const char **why)
{
    const unsigned char *p = data;
    OCSP_BASICRESP *basic = NULL;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len);
    *why = "neither an OCSPResponse nor a BasicOCSPResponse";
    if (resp && p == data + len) {
        if (OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
            *why = OCSP_response_status_str(OCSP_response_status(resp));
        else if (!(basic = OCSP_response_get1_basic(resp)))
            *why = "a successful OCSPResponse without a BasicOCSPResponse";
    } else {
        p = data;
        basic = d2i_OCSP_BASICRESP(NULL, &p, (long)len);
        if (basic && p != data + len) {
            OCSP_BASICRESP_free(basic);
            basic = NULL;
        }
    }
    OCSP_RESPONSE_free(resp);
    ERR_clear_error();
    return basic;
}

int rev_item_parse(rev_item **out, seal_evidence_kind kind, const uint8_t *data, size_t len,
                   const char *source)
{
    int rc = 0;
    const char *why = "";
    rev_item *it = g_new0(rev_item, 1);
    it->kind = kind;
    it->source = g_strdup(source ? source : "?");
    SEAL_ENSURE(data && len > 0 && len <= INT_MAX, SEAL_EFORMAT, "%s is empty or too large",
                it->source);
    if (kind == SEAL_EVIDENCE_CRL) {
        it->crl = parse_crl(data, len, &it->der);
        SEAL_ENSURE(it->crl, SEAL_EFORMAT, "%s is not a CRL (expected DER or PEM X.509 CRL)",
                    it->source);
    } else {
        it->basic = parse_ocsp(data, len, &why);
        SEAL_ENSURE(it->basic, SEAL_EFORMAT, "%s is not a usable OCSP response: %s", it->source,
                    why);
        SEAL_TRY(seal_buf_set(&it->der, data, len));
    }
    *out = it;
    it = NULL;
out:
    rev_item_free(it);
    return rc;
}

int rev_add_item(seal_revocation *rv, rev_item *it)
{
    g_ptr_array_add(rv->items, it);
    return 0;
}

int seal_revocation_new(seal_revocation **out, const seal_revocation_opts *opts)
{
    seal_revocation_opts none = {0};
    if (!out)
        return seal_error_set(SEAL_EINVAL, "no place for the revocation context");
    if (!opts)
        opts = &none;
    seal_revocation *rv = g_new0(seal_revocation, 1);
    if (opts->storage) {
        rv->storage = *opts->storage;
    } else {
        rv->cache_dir = g_strdup(opts->cache_dir);
        rv->archive_dir = g_strdup(opts->archive_dir);
        rev_dir_storage(rv);
    }
    rv->offline = opts->offline;
    rv->guard = opts->guard;
    rv->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    rv->max_crl_bytes = opts->max_crl_bytes ? opts->max_crl_bytes : DEFAULT_MAX_CRL;
    rv->max_ocsp_bytes = opts->max_ocsp_bytes ? opts->max_ocsp_bytes : DEFAULT_MAX_OCSP;
    rv->max_cert_bytes = opts->max_cert_bytes ? opts->max_cert_bytes : DEFAULT_MAX_CERT;
    rv->items = g_ptr_array_new_with_free_func((GDestroyNotify)rev_item_free);
    rv->cached = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    rv->certs = sk_X509_new_null();
    if (!rv->certs) {
        seal_revocation_free(rv);
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    }
    *out = rv;
    return 0;
}

void seal_revocation_free(seal_revocation *rv)
{
    if (!rv)
        return;
    g_free(rv->cache_dir);
    g_free(rv->archive_dir);
    g_ptr_array_free(rv->items, TRUE);
    g_hash_table_destroy(rv->cached);
    sk_X509_pop_free(rv->certs, X509_free);
    g_free(rv);
}

void seal_revocation_set_guard(seal_revocation *rv, const struct seal_net_guard *guard)
{
    rv->guard = guard;
}

bool seal_revocation_offline(const seal_revocation *rv)
{
    return rv && rv->offline;
}

static int add_bytes(seal_revocation *rv, seal_evidence_kind kind, const uint8_t *der, size_t len,
                     const char *source)
{
    rev_item *it = NULL;
    if (!rv)
        return seal_error_set(SEAL_EINVAL, "no revocation context");
    int rc = rev_item_parse(&it, kind, der, len, source);
    return rc < 0 ? rc : rev_add_item(rv, it);
}

int seal_revocation_add_crl(seal_revocation *rv, const uint8_t *der, size_t len, const char *source)
{
    return add_bytes(rv, SEAL_EVIDENCE_CRL, der, len, source ? source : "a CRL handed in");
}

int seal_revocation_add_ocsp(seal_revocation *rv, const uint8_t *der, size_t len,
                             const char *source)
{
    return add_bytes(rv, SEAL_EVIDENCE_OCSP, der, len,
                     source ? source : "an OCSP response handed in");
}

int seal_revocation_add_file(seal_revocation *rv, const char *path)
{
    int rc = 0;
    seal_buf data = SEAL_BUF_INIT;
    rev_item *it = NULL;
    SEAL_ENSURE(rv && path, SEAL_EINVAL, "no evidence file given");
    SEAL_TRY(seal_buf_read_file(&data, path, EVIDENCE_FILE_MAX));
    if (rev_item_parse(&it, SEAL_EVIDENCE_CRL, data.data, data.len, path) < 0 &&
        rev_item_parse(&it, SEAL_EVIDENCE_OCSP, data.data, data.len, path) < 0)
        SEAL_FAIL(SEAL_EFORMAT, "%s holds neither a CRL nor an OCSP response", path);
    SEAL_TRY(rev_add_item(rv, it));
out:
    seal_buf_clear(&data);
    return rc;
}

static bool is_evidence_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".crl") == 0 || strcasecmp(dot, ".der") == 0 ||
                   strcasecmp(dot, ".ocsp") == 0);
}

int seal_revocation_add_dir(seal_revocation *rv, const char *path)
{
    int rc = 0;
    struct dirent **names = NULL;
    if (!rv || !path)
        return seal_error_set(SEAL_EINVAL, "no evidence folder given");
    /* Sorted, so that evidence is considered in a reproducible order. */
    int n = scandir(path, &names, NULL, alphasort);
    for (int i = 0; i < n && rc == 0; i++) {
        if (names[i]->d_name[0] == '.' || !is_evidence_name(names[i]->d_name))
            continue;
        char *file = g_build_filename(path, names[i]->d_name, NULL);
        rc = seal_revocation_add_file(rv, file);
        g_free(file);
    }
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int seal_revocation_add_certs(seal_revocation *rv, STACK_OF(X509) * certs)
{
    if (!rv)
        return seal_error_set(SEAL_EINVAL, "no revocation context");
    for (int i = 0; certs && i < sk_X509_num(certs); i++) {
        X509 *c = sk_X509_value(certs, i);
        bool known = false;
        for (int j = 0; j < sk_X509_num(rv->certs) && !known; j++)
            known = X509_cmp(sk_X509_value(rv->certs, j), c) == 0;
        if (known)
            continue;
        if (!X509_up_ref(c) || !sk_X509_push(rv->certs, c)) {
            X509_free(c);
            return seal_error_set(SEAL_ENOMEM, "out of memory");
        }
    }
    return 0;
}

static bool holds(const seal_revocation *rv, const rev_item *it)
{
    for (guint i = 0; i < rv->items->len; i++) {
        const rev_item *have = g_ptr_array_index(rv->items, i);
        if (have->kind == it->kind && seal_slice_eq(seal_slice_of(have->der.data, have->der.len),
                                                    seal_slice_of(it->der.data, it->der.len)))
            return true;
    }
    return false;
}

int seal_revocation_add_from(seal_revocation *dst, const seal_revocation *src)
{
    if (!dst)
        return seal_error_set(SEAL_EINVAL, "no revocation context");
    for (guint i = 0; src && i < src->items->len; i++) {
        const rev_item *it = g_ptr_array_index(src->items, i);
        rev_item *copy = NULL;
        if (holds(dst, it))
            continue;
        int rc = rev_item_parse(&copy, it->kind, it->der.data, it->der.len, it->source);
        if (rc < 0)
            return rc;
        copy->fetched_at = it->fetched_at;
        copy->archived = g_strdup(it->archived);
        rev_add_item(dst, copy);
    }
    return src ? seal_revocation_add_certs(dst, src->certs) : 0;
}

STACK_OF(X509) * seal_revocation_certs(const seal_revocation *rv)
{
    return rv ? rv->certs : NULL;
}
