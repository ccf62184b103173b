/* Fetching revocation evidence and issuer certificates over HTTP with libcurl: CRLs from
 * the distribution points (RFC 5280 4.2.1.13), OCSP over POST with a nonce (RFC 6960
 * 4.1, A.1), issuers from AIA caIssuers (RFC 5280 4.2.2.1). Verify flow: called by
 * status.c when the cache holds nothing acceptable, and by chain building. Every answer
 * is bounded in size and time and archived before it is judged. */
#include "base/curl_lazy.h"
#include "pki/status_internal.h"
#include "pki/trust_internal.h"

#include <seal/error.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>

#define CONNECT_TIMEOUT_MS 5000L
#define MAX_REDIRECTS      3L
#define OCSP_NONCE_BYTES   16
#define MAX_CHAIN_DEPTH    16

typedef struct sink {
    seal_buf *buf;
    size_t max;
    bool too_large;
} sink;

static size_t write_cb(char *data, size_t size, size_t n, void *user)
{
    sink *s = user;
    size_t len = size * n;
    if (len > s->max - s->buf->len || s->buf->len > s->max) {
        s->too_large = true;
        return 0; /* libcurl stops with CURLE_WRITE_ERROR */
    }
    return seal_buf_append(s->buf, data, len) == 0 ? len : 0;
}

static bool http_url(const char *url)
{
    return g_ascii_strncasecmp(url, "http://", 7) == 0 ||
           g_ascii_strncasecmp(url, "https://", 8) == 0;
}

int rev_http(seal_buf *out, const seal_revocation *rv, const char *url, const char *post_type,
             const seal_buf *body, size_t max_bytes)
{
    int rc = 0;
    const seal_curl *cu = NULL;
    CURL *curl = NULL;
    struct curl_slist *headers = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    char *header = NULL;
    sink s = {out, max_bytes, false};
    seal_curl_guard guard = {.guard = rv->guard};

    SEAL_ENSURE(!rv->offline, SEAL_EPOLICY, "%s: not fetched: working offline", url);
    SEAL_ENSURE(http_url(url), SEAL_EUNSUPPORTED, "%s: only http and https URLs are fetched", url);
    SEAL_TRY(seal_curl_get(&cu));
    curl = cu->easy_init();
    SEAL_ENSURE(curl, SEAL_ENOMEM, "out of memory");
    seal_buf_clear(out);
    cu->easy_setopt(curl, CURLOPT_URL, url);
    cu->easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    cu->easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    cu->easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    cu->easy_setopt(curl, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
    cu->easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    cu->easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                    rv->timeout_ms < CONNECT_TIMEOUT_MS ? rv->timeout_ms : CONNECT_TIMEOUT_MS);
    cu->easy_setopt(curl, CURLOPT_TIMEOUT_MS, rv->timeout_ms);
    cu->easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes);
    cu->easy_setopt(curl, CURLOPT_USERAGENT, "sealsvc/" SEAL_VERSION);
    cu->easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    cu->easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
    cu->easy_setopt(curl, CURLOPT_WRITEDATA, &s);
    /* No proxy from the environment: evidence comes from the URL the certificate names. */
    cu->easy_setopt(curl, CURLOPT_PROXY, "");
    if (post_type) {
        header = g_strdup_printf("Content-Type: %s", post_type);
        headers = cu->slist_append(headers, header);
        SEAL_ENSURE(headers, SEAL_ENOMEM, "out of memory");
        cu->easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        cu->easy_setopt(curl, CURLOPT_POSTFIELDS, body->data);
        cu->easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
    }
    seal_curl_guard_install(cu, curl, &guard);
    CURLcode c = cu->easy_perform(curl);
    SEAL_TRY(seal_curl_guard_check(&guard, url));
    if (s.too_large || c == CURLE_FILESIZE_EXCEEDED)
        SEAL_FAIL(SEAL_EFORMAT, "%s: the answer is larger than %zu bytes", url, max_bytes);
    if (c != CURLE_OK)
        SEAL_FAIL(SEAL_EIO, "%s: %s", url, errbuf[0] ? errbuf : cu->easy_strerror(c));
    long status = 0;
    cu->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    SEAL_ENSURE(status == 200, SEAL_EIO, "%s: the server answered HTTP %ld", url, status);
    SEAL_ENSURE(out->len > 0, SEAL_EFORMAT, "%s: the answer is empty", url);
out:
    if (cu) {
        cu->slist_free_all(headers);
        if (curl)
            cu->easy_cleanup(curl);
    }
    g_free(header);
    if (rc < 0)
        seal_buf_clear(out);
    return rc;
}

/* ---------------------------------------------------------------- CRLs */

int rev_fetch_crl(rev_item **out, seal_revocation *rv, const char *url)
{
    int rc = 0;
    seal_buf body = SEAL_BUF_INIT;
    rev_item *it = NULL;
    SEAL_TRY(rev_http(&body, rv, url, NULL, NULL, rv->max_crl_bytes));
    if (rev_item_parse(&it, SEAL_EVIDENCE_CRL, body.data, body.len, url) < 0)
        SEAL_FAIL(SEAL_EFORMAT, "%s: the answer is not a CRL (%zu bytes)", url, body.len);
    it->fetched_at = time(NULL);
    SEAL_TRY(rev_archive(rv, it, url));
    *out = it;
    it = NULL;
out:
    rev_item_free(it);
    seal_buf_clear(&body);
    return rc;
}

int seal_crl_fetch(X509_CRL **out, seal_buf *der_out, seal_revocation *rv, const char *url)
{
    int rc = 0;
    rev_item *it = NULL;
    SEAL_ENSURE(out && rv && url, SEAL_EINVAL, "no CRL URL given");
    SEAL_TRY(rev_fetch_crl(&it, rv, url));
    if (der_out)
        SEAL_TRY(seal_buf_set(der_out, it->der.data, it->der.len));
    *out = it->crl;
    it->crl = NULL;
out:
    rev_item_free(it);
    return rc;
}

/* ---------------------------------------------------------------- OCSP */

static int make_request(OCSP_REQUEST **out, seal_buf *der, X509 *cert, X509 *issuer)
{
    int rc = 0;
    OCSP_REQUEST *req = OCSP_REQUEST_new();
    /* RFC 6960 4.1.1 and RFC 5019 2.1.1: SHA-1 CertID, what every responder answers. */
    OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
    unsigned char *p = NULL;
    SEAL_ENSURE(req && id, SEAL_ENOMEM, "out of memory making an OCSP request");
    SEAL_ENSURE(OCSP_request_add0_id(req, id), SEAL_ENOMEM, "out of memory making an OCSP request");
    id = NULL;
    /* RFC 6960 4.4.1 / RFC 8954: a random nonce of 16 octets binds the answer to this ask. */
    SEAL_ENSURE(OCSP_request_add1_nonce(req, NULL, OCSP_NONCE_BYTES) == 1, SEAL_ECRYPTO,
                "no random nonce for the OCSP request");
    int n = i2d_OCSP_REQUEST(req, &p);
    SEAL_ENSURE(n > 0, SEAL_ECRYPTO, "the OCSP request cannot be encoded");
    SEAL_TRY(seal_buf_set(der, p, (size_t)n));
    *out = req;
    req = NULL;
out:
    OPENSSL_free(p);
    OCSP_CERTID_free(id);
    OCSP_REQUEST_free(req);
    ERR_clear_error();
    return rc;
}

int rev_fetch_ocsp(rev_item **out, seal_revocation *rv, X509 *cert, X509 *issuer, const char *url)
{
    int rc = 0;
    OCSP_REQUEST *req = NULL;
    seal_buf req_der = SEAL_BUF_INIT, body = SEAL_BUF_INIT;
    OCSP_RESPONSE *resp = NULL;
    rev_item *it = NULL;
    SEAL_TRY(make_request(&req, &req_der, cert, issuer));
    SEAL_TRY(rev_http(&body, rv, url, "application/ocsp-request", &req_der, rv->max_ocsp_bytes));

    const unsigned char *p = body.data;
    resp = d2i_OCSP_RESPONSE(NULL, &p, (long)body.len);
    SEAL_ENSURE(resp && p == body.data + body.len, SEAL_EFORMAT,
                "%s: the answer is not an OCSP response (%zu bytes)", url, body.len);
    int status = OCSP_response_status(resp);
    /* RFC 6960 4.2.1: an unsuccessful status carries no signed data to judge or keep. */
    SEAL_ENSURE(status == OCSP_RESPONSE_STATUS_SUCCESSFUL, SEAL_EPKI,
                "%s: the responder answered '%s'", url, OCSP_response_status_str(status));
    SEAL_TRY(rev_item_parse(&it, SEAL_EVIDENCE_OCSP, body.data, body.len, url));
    it->fetched_at = time(NULL);
    SEAL_TRY(rev_archive(rv, it, url));
    if (seal_ocsp_check_response(NULL, it->basic, issuer, req) < 0) {
        rc = seal_error_wrap(SEAL_EPKI, "%s", url);
        goto out;
    }
    *out = it;
    it = NULL;
out:
    rev_item_free(it);
    OCSP_RESPONSE_free(resp);
    OCSP_REQUEST_free(req);
    seal_buf_clear(&req_der);
    seal_buf_clear(&body);
    ERR_clear_error();
    return rc;
}

int seal_ocsp_fetch(OCSP_BASICRESP **out, seal_buf *der_out, seal_revocation *rv, X509 *cert,
                    X509 *issuer, const char *url)
{
    int rc = 0;
    rev_item *it = NULL;
    SEAL_ENSURE(out && rv && cert && issuer && url, SEAL_EINVAL, "no OCSP question to ask");
    SEAL_TRY(rev_fetch_ocsp(&it, rv, cert, issuer, url));
    if (der_out)
        SEAL_TRY(seal_buf_set(der_out, it->der.data, it->der.len));
    *out = it->basic;
    it->basic = NULL;
out:
    rev_item_free(it);
    return rc;
}

/* ---------------------------------------------------------------- caIssuers */

static int push_unique(STACK_OF(X509) * pool, X509 *cert)
{
    for (int i = 0; i < sk_X509_num(pool); i++)
        if (X509_cmp(sk_X509_value(pool, i), cert) == 0)
            return 0;
    if (!X509_up_ref(cert))
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    if (!sk_X509_push(pool, cert)) {
        X509_free(cert);
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    }
    return 1;
}

/* RFC 5280 4.2.2.1: a single DER certificate or a certs-only CMS (PKCS#7); PEM is
 * accepted too, as some servers publish it. */
static int parse_certs(STACK_OF(X509) * pool, const seal_buf *body, const char *url)
{
    int rc = 0, added = 0;
    const unsigned char *p = body->data;
    X509 *cert = NULL;
    PKCS7 *p7 = NULL;
    BIO *bio = NULL;
    if ((cert = d2i_X509(NULL, &p, (long)body->len)) != NULL && p == body->data + body->len) {
        SEAL_TRY(push_unique(pool, cert));
        added++;
        goto out;
    }
    X509_free(cert);
    cert = NULL;
    p = body->data;
    if ((p7 = d2i_PKCS7(NULL, &p, (long)body->len)) != NULL && PKCS7_type_is_signed(p7) &&
        p7->d.sign && p7->d.sign->cert) {
        for (int i = 0; i < sk_X509_num(p7->d.sign->cert); i++, added++)
            SEAL_TRY(push_unique(pool, sk_X509_value(p7->d.sign->cert, i)));
        goto out;
    }
    bio = BIO_new_mem_buf(body->data, (int)body->len);
    SEAL_ENSURE(bio, SEAL_ENOMEM, "out of memory");
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        SEAL_TRY(push_unique(pool, cert));
        X509_free(cert);
        cert = NULL;
        added++;
    }
out:
    if (rc == 0 && added == 0)
        rc = seal_error_set(SEAL_EFORMAT, "%s: the answer holds no certificate", url);
    X509_free(cert);
    PKCS7_free(p7);
    BIO_free(bio);
    ERR_clear_error();
    return rc;
}

int seal_cert_fetch_ca_issuers(STACK_OF(X509) * pool, seal_revocation *rv, const char *url)
{
    seal_buf body = SEAL_BUF_INIT;
    int rc = rev_http(&body, rv, url, NULL, NULL, rv->max_cert_bytes);
    if (rc == 0)
        rc = parse_certs(pool, &body, url);
    seal_buf_clear(&body);
    return rc;
}

static X509 *issuer_in(STACK_OF(X509) * pool, X509 *cert)
{
    for (int i = 0; i < sk_X509_num(pool); i++) {
        X509 *c = sk_X509_value(pool, i);
        if (X509_check_issued(c, cert) == X509_V_OK)
            return c;
    }
    return NULL;
}

static char *ca_issuers_url(X509 *cert)
{
    char *url = NULL;
    AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(cert, NID_info_access, NULL, NULL);
    for (int i = 0; aia && !url && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
        ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);
        if (OBJ_obj2nid(ad->method) == NID_ad_ca_issuers && ad->location->type == GEN_URI) {
            const ASN1_IA5STRING *uri = ad->location->d.uniformResourceIdentifier;
            url =
                g_strndup((const char *)ASN1_STRING_get0_data(uri), (gsize)ASN1_STRING_length(uri));
        }
    }
    AUTHORITY_INFO_ACCESS_free(aia);
    return url;
}

int seal_chain_fetch_issuers(seal_revocation *rv, X509 *cert, STACK_OF(X509) * pool,
                             int max_fetches)
{
    X509 *cur = cert;
    if (!rv || !cert || !pool)
        return seal_error_set(SEAL_EINVAL, "no chain to complete");
    for (int fetches = 0; cur && fetches < max_fetches && !rv->offline; fetches++) {
        /* Walk up what the pool already holds; stop at a self-issued certificate. */
        X509 *up;
        for (int depth = 0; depth < MAX_CHAIN_DEPTH && (up = issuer_in(pool, cur)) != NULL &&
                            up != cur && X509_check_issued(cur, cur) != X509_V_OK;
             depth++)
            cur = up;
        if (X509_check_issued(cur, cur) == X509_V_OK)
            break;
        char *url = ca_issuers_url(cur);
        if (!url)
            break;
        int before = sk_X509_num(pool);
        int rc = seal_cert_fetch_ca_issuers(pool, rv, url);
        g_free(url);
        if (rc == SEAL_ENOMEM)
            return rc;
        if (rc < 0 || sk_X509_num(pool) == before || !issuer_in(pool, cur))
            break;
    }
    seal_error_clear();
    return 0;
}
