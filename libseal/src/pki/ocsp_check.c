/* Is this OCSP response one we may judge a certificate by? RFC 6960 3.2 and 4.2.2.2: it is
 * signed by the certificate's issuer, or by a responder the issuer authorised (a
 * certificate the issuer signed with id-kp-OCSPSigning, valid when the response was
 * produced), and it answers our request (nonce, RFC 6960 4.4.1). Verify flow: fetch.c
 * checks every answer it gets, status.c every response it is handed. */
#include "pki/status_internal.h"
#include "pki/trust_internal.h"

#include <seal/error.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

/* RFC 6960 4.2.2.2: the issuer signed the responder certificate, which carries
 * id-kp-OCSPSigning and was valid at producedAt. */
static int check_delegate(X509 *signer, X509 *issuer, time_t produced_at, const char *who)
{
    int rc = 0;
    X509 *prepared = NULL;
    SEAL_ENSURE(X509_check_issued(issuer, signer) == X509_V_OK, SEAL_EPKI,
                "the response is signed by %s, which is neither the certificate's issuer nor "
                "a responder it authorised",
                who);
    SEAL_TRY(seal_trust_prepare_cert(&prepared, signer));
    SEAL_ENSURE(X509_verify(prepared, X509_get0_pubkey(issuer)) == 1, SEAL_EPKI,
                "the response is signed by %s, whose certificate the issuer did not sign", who);
    SEAL_ENSURE((X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) &&
                    (X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN),
                SEAL_EPKI,
                "the response is signed by %s, which the issuer did not authorise to sign OCSP "
                "responses (no id-kp-OCSPSigning)",
                who);
    time_t nb = seal_asn1_time(X509_get0_notBefore(signer));
    time_t na = seal_asn1_time(X509_get0_notAfter(signer));
    SEAL_ENSURE(produced_at >= nb && produced_at <= na, SEAL_EPKI,
                "the response was produced when the responder certificate of %s was not valid",
                who);
out:
    X509_free(prepared);
    return rc;
}

int seal_ocsp_check_response(X509 **signer_out, OCSP_BASICRESP *bs, X509 *issuer, OCSP_REQUEST *req)
{
    int rc = 0;
    X509 *signer = NULL;
    STACK_OF(X509) *extra = sk_X509_new_null();
    STACK_OF(X509) *only_signer = sk_X509_new_null();
    X509_STORE *empty = X509_STORE_new();
    char *who = NULL;
    SEAL_ENSURE(bs && issuer, SEAL_EINVAL, "no OCSP response to check");
    SEAL_ENSURE(extra && only_signer && empty && sk_X509_push(extra, issuer), SEAL_ENOMEM,
                "out of memory");
    /* The responder is named by its name or key hash (RFC 6960 4.2.2.3); its certificate
     * is in the response or is the issuer itself. */
    SEAL_ENSURE(OCSP_resp_get0_signer(bs, &signer, extra) == 1, SEAL_EPKI,
                "the response's signer is neither the issuer nor a certificate the response "
                "carries");
    who = rev_name_oneline(X509_get_subject_name(signer));
    if (X509_cmp(signer, issuer) != 0)
        SEAL_TRY(
            check_delegate(signer, issuer, seal_asn1_time(OCSP_resp_get0_produced_at(bs)), who));
    SEAL_ENSURE(sk_X509_push(only_signer, signer), SEAL_ENOMEM, "out of memory");
    /* The signature alone: the responder's authority was judged above. */
    if (OCSP_basic_verify(bs, only_signer, empty,
                          OCSP_NOINTERN | OCSP_NOVERIFY | OCSP_NOCHECKS | OCSP_NOEXPLICIT) != 1)
        SEAL_FAIL(SEAL_EPKI, "the response's signature does not verify with the key of %s", who);
    if (req) {
        /* 0: both carry a nonce and they differ; an answer without one is accepted, as
         * RFC 5019 responders precompute theirs. */
        SEAL_ENSURE(OCSP_check_nonce(req, bs) != 0, SEAL_EPKI,
                    "the response carries another nonce than the request (a replayed or "
                    "misdirected answer)");
    }
    if (signer_out) {
        SEAL_ENSURE(X509_up_ref(signer), SEAL_ENOMEM, "out of memory");
        *signer_out = signer;
    }
out:
    g_free(who);
    sk_X509_free(extra);
    sk_X509_free(only_signer);
    X509_STORE_free(empty);
    ERR_clear_error();
    return rc;
}
