/* The OCSP responder's logic (RFC 6960): from a DER OCSPRequest to a signed OCSPResponse.
 * `sealsvc ocsp` puts it behind HTTP and answers each certificate from the CA database;
 * this file knows nothing of HTTP or the store. */
#include "pki/issue_internal.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/revocation.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

#define DEFAULT_VALIDITY_MINUTES 60
#define MAX_SINGLE_REQUESTS      32

static int status_only(seal_buf *out, int status)
{
    int rc = 0;
    unsigned char *der = NULL;
    OCSP_RESPONSE *resp = OCSP_response_create(status, NULL);
    int n = resp ? i2d_OCSP_RESPONSE(resp, &der) : -1;
    SEAL_ENSURE(n > 0, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(seal_buf_set(out, der, (size_t)n));
out:
    OPENSSL_free(der);
    OCSP_RESPONSE_free(resp);
    return rc;
}

static char *serial_text(const ASN1_INTEGER *serial)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    char *lower = NULL;
    if (hex) {
        lower = OPENSSL_strdup(hex);
        for (char *p = lower; p && *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
    }
    OPENSSL_free(hex);
    BN_free(bn);
    return lower;
}

/* One SingleResponse: RFC 6960 4.2.1 certStatus, and the CRL entry extensions
 * (4.4.5 / RFC 5280 5.3.2 invalidityDate) as singleExtensions. */
static int add_single(OCSP_BASICRESP *bs, OCSP_CERTID *id, const seal_ocsp_answer *a,
                      ASN1_TIME *this_update, ASN1_TIME *next_update)
{
    int rc = 0;
    ASN1_TIME *revoked = NULL;
    ASN1_GENERALIZEDTIME *invalidity = NULL;
    int status = V_OCSP_CERTSTATUS_UNKNOWN, reason = OCSP_REVOKED_STATUS_NOSTATUS;
    if (a->state == SEAL_CERT_GOOD) {
        status = V_OCSP_CERTSTATUS_GOOD;
    } else if (a->state == SEAL_CERT_REVOKED || a->state == SEAL_CERT_SUSPENDED) {
        status = V_OCSP_CERTSTATUS_REVOKED;
        revoked = ASN1_TIME_set(NULL, a->revoked_at);
        SEAL_ENSURE(revoked, SEAL_ENOMEM, "out of memory");
        /* A hold is "revoked" with reason certificateHold (RFC 6960 2.2). */
        reason = a->state == SEAL_CERT_SUSPENDED ? OCSP_REVOKED_STATUS_CERTIFICATEHOLD
                 : a->reason > 0                 ? a->reason
                                                 : OCSP_REVOKED_STATUS_NOSTATUS;
    }
    OCSP_SINGLERESP *single =
        OCSP_basic_add1_status(bs, id, status, reason, revoked, this_update, next_update);
    SEAL_ENSURE(single, SEAL_ENOMEM, "out of memory");
    if (status == V_OCSP_CERTSTATUS_REVOKED && a->invalidity_date) {
        invalidity = ASN1_GENERALIZEDTIME_set(NULL, a->invalidity_date);
        SEAL_ENSURE(invalidity && OCSP_SINGLERESP_add1_ext_i2d(single, NID_invalidity_date,
                                                               invalidity, 0, 0) == 1,
                    SEAL_ENOMEM, "out of memory");
    }
out:
    ASN1_TIME_free(revoked);
    ASN1_GENERALIZEDTIME_free(invalidity);
    return rc;
}

/* Whether `id` names a certificate of our CA: the issuer name and key hashes in the
 * CertID's own digest (RFC 6960 4.1.1). */
static bool ours(OCSP_CERTID *id, X509 *issuer)
{
    ASN1_OBJECT *md_obj = NULL;
    OCSP_id_get0_info(NULL, &md_obj, NULL, NULL, id);
    const EVP_MD *md = md_obj ? EVP_get_digestbyobj(md_obj) : NULL;
    if (!md)
        return false;
    OCSP_CERTID *mine =
        OCSP_cert_id_new(md, X509_get_subject_name(issuer), X509_get0_pubkey_bitstr(issuer), NULL);
    bool same = mine && OCSP_id_issuer_cmp(mine, id) == 0;
    OCSP_CERTID_free(mine);
    return same;
}

int seal_ocsp_respond(seal_buf *out, const seal_ocsp_responder *r, const uint8_t *request,
                      size_t len)
{
    int rc = 0;
    OCSP_REQUEST *req = NULL;
    OCSP_BASICRESP *bs = NULL;
    OCSP_RESPONSE *resp = NULL;
    ASN1_TIME *tu = NULL, *nu = NULL;
    EVP_MD_CTX *md_ctx = NULL;
    EVP_PKEY_CTX *pkey_ctx = NULL;
    unsigned char *der = NULL;
    char *serial = NULL;
    SEAL_ENSURE(out && r && r->issuer && r->signer && r->signer_key && r->lookup, SEAL_EINVAL,
                "the OCSP responder is not set up");

    const unsigned char *p = request;
    req = len > 0 && len <= INT32_MAX ? d2i_OCSP_REQUEST(NULL, &p, (long)len) : NULL;
    int count = req && p == request + len ? OCSP_request_onereq_count(req) : 0;
    if (count <= 0 || count > MAX_SINGLE_REQUESTS) {
        rc = status_only(out, OCSP_RESPONSE_STATUS_MALFORMEDREQUEST);
        goto out;
    }
    for (int i = 0; i < count; i++) {
        if (!ours(OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i)), r->issuer)) {
            rc = status_only(out, OCSP_RESPONSE_STATUS_UNAUTHORIZED);
            goto out;
        }
    }

    time_t now = time(NULL);
    int minutes = r->validity_minutes > 0 ? r->validity_minutes : DEFAULT_VALIDITY_MINUTES;
    tu = ASN1_GENERALIZEDTIME_set(NULL, now);
    nu = ASN1_GENERALIZEDTIME_set(NULL, now + (time_t)minutes * 60);
    bs = OCSP_BASICRESP_new();
    SEAL_ENSURE(tu && nu && bs, SEAL_ENOMEM, "out of memory");
    for (int i = 0; i < count; i++) {
        OCSP_CERTID *id = OCSP_onereq_get0_id(OCSP_request_onereq_get0(req, i));
        ASN1_INTEGER *sn = NULL;
        OCSP_id_get0_info(NULL, NULL, NULL, &sn, id);
        seal_ocsp_answer a = {.state = SEAL_CERT_UNKNOWN, .reason = -1};
        serial = sn ? serial_text(sn) : NULL;
        SEAL_ENSURE(serial, SEAL_ENOMEM, "out of memory");
        if (r->lookup(r->lookup_ctx, serial, &a) < 0) {
            rc = status_only(out, OCSP_RESPONSE_STATUS_INTERNALERROR);
            goto out;
        }
        OPENSSL_free(serial);
        serial = NULL;
        SEAL_TRY(add_single(bs, id, &a, tu, nu));
    }
    /* RFC 6960 4.4.1: the nonce comes back as it was sent. */
    SEAL_ENSURE(OCSP_copy_nonce(bs, req) > 0, SEAL_ENOMEM, "out of memory");
    md_ctx = EVP_MD_CTX_new();
    SEAL_ENSURE(md_ctx, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(pki_sign_init(md_ctx, &pkey_ctx, r->signer_key));
    /* RFC 5019 2.2.3: the responder is named by its key hash; its certificate travels
     * with the response so a client can see the CA authorised it. */
    if (OCSP_basic_sign_ctx(bs, r->signer, md_ctx, NULL, OCSP_RESPID_KEY) != 1) {
        rc = seal_error_set_openssl(SEAL_ECRYPTO, "the OCSP response could not be signed");
        goto out;
    }
    resp = OCSP_response_create(OCSP_RESPONSE_STATUS_SUCCESSFUL, bs);
    int n = resp ? i2d_OCSP_RESPONSE(resp, &der) : -1;
    SEAL_ENSURE(n > 0, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(seal_buf_set(out, der, (size_t)n));
out:
    OPENSSL_free(serial);
    OPENSSL_free(der);
    OCSP_REQUEST_free(req);
    OCSP_BASICRESP_free(bs);
    OCSP_RESPONSE_free(resp);
    ASN1_TIME_free(tu);
    ASN1_TIME_free(nu);
    EVP_MD_CTX_free(md_ctx);
    EVP_PKEY_CTX_free(pkey_ctx);
    ERR_clear_error();
    return rc;
}
