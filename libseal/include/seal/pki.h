/* Trust anchors, chain building and validation at a time; certificate issuance for the
 * demo CA.
 *
 * Verify flow: the verifiers hand a signer certificate, the certificates found in the
 * signature, and the signing time; this module answers whether a chain to a configured
 * trust anchor exists and whether every certificate was within its validity then.
 * Revocation (seal/revocation.h) is judged for the same chain; a seal_trust carries the
 * relying party's revocation context along with its anchors. */
#ifndef SEAL_PKI_H
#define SEAL_PKI_H

#include <openssl/x509.h>
#include <seal/crypto.h>
#include <seal/revocation.h>
#include <stdbool.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct seal_trust seal_trust;

int seal_trust_new(seal_trust **out);
void seal_trust_free(seal_trust *t);
/* Adds every certificate in a PEM/DER file, or in every .pem, .crt and .cer file of a directory. */
int seal_trust_add_path(seal_trust *t, const char *path);
int seal_trust_add_cert(seal_trust *t, X509 *cert);
size_t seal_trust_count(const seal_trust *t);
/* The i-th anchor (i < seal_trust_count), borrowed; NULL past the end. */
X509 *seal_trust_cert(const seal_trust *t, size_t i);
/* How this relying party checks revocation (cache, archive, offline, evidence handed in):
 * the trust takes `rv` and frees it with itself. Without one, verifiers use an online
 * context that keeps nothing on disk. */
void seal_trust_set_revocation(seal_trust *t, seal_revocation *rv);
/* The context set above, or NULL (borrowed). */
seal_revocation *seal_trust_revocation(const seal_trust *t);

typedef enum seal_chain_status {
    SEAL_CHAIN_OK = 0,        /* chain to an anchor, every certificate valid at T */
    SEAL_CHAIN_NO_ANCHOR,     /* no chain to a configured anchor could be built */
    SEAL_CHAIN_EXPIRED,       /* a certificate had expired at T */
    SEAL_CHAIN_NOT_YET_VALID, /* a certificate was not yet valid at T */
    SEAL_CHAIN_BAD_SIGNATURE, /* a certificate's signature does not verify */
    SEAL_CHAIN_CONSTRAINTS,   /* CA flags, path length, key usage... */
} seal_chain_status;

typedef struct seal_chain_result {
    seal_chain_status status;
    char detail[256];       /* OpenSSL's reason and the certificate it concerns */
    STACK_OF(X509) * chain; /* leaf first, anchor last, when one was built (owned) */
} seal_chain_result;

void seal_chain_result_clear(seal_chain_result *r);
const char *seal_chain_status_name(seal_chain_status s); /* "ok", "no-anchor"... */

/* Builds and checks the chain of `cert` at time `at`, with `untrusted` (may be NULL) as
 * intermediate candidates. `signing` also requires digitalSignature or nonRepudiation in
 * the leaf's key usage. Returns 0 when the check ran (outcome in *out). */
int seal_chain_verify(seal_chain_result *out, const seal_trust *t, X509 *cert,
                      STACK_OF(X509) * untrusted, time_t at, bool signing);

/* ---- certificate issuance (demo CA) ---- */
typedef enum seal_cert_role {
    SEAL_CERT_ROOT_CA,
    SEAL_CERT_ISSUING_CA,
    SEAL_CERT_SEAL_MAKER, /* signs SESeal structures */
    SEAL_CERT_TSA,        /* timeStamping EKU, critical */
    SEAL_CERT_OCSP,       /* OCSPSigning EKU, id-pkix-ocsp-nocheck */
    SEAL_CERT_SIGNER      /* an institution's or person's signing certificate */
} seal_cert_role;

typedef struct seal_cert_spec {
    seal_cert_role role;
    const char *country;        /* "CN" */
    const char *province;       /* ST, UTF-8, may be NULL */
    const char *locality;       /* L, UTF-8, may be NULL */
    const char *organization;   /* O, UTF-8 */
    const char *org_unit;       /* OU, may be NULL */
    const char *common_name;    /* CN, UTF-8 */
    const char *org_identifier; /* organizationIdentifier (2.5.4.97), e.g. the credit code */
    time_t not_before;
    time_t not_after;
    const char *crl_url;        /* CRL distribution point, may be NULL */
    const char *ocsp_url;       /* AIA OCSP, may be NULL */
    const char *ca_issuers_url; /* AIA caIssuers, may be NULL */
} seal_cert_spec;

/* Issues a certificate for `subject_key` signed by `issuer_key` under `issuer_cert`
 * (both NULL for a self-signed root: then the subject key signs). Random 128-bit serial.
 * RSA and ECDSA issuers sign with SHA-256. */
int seal_cert_issue(X509 **out, const seal_cert_spec *spec, EVP_PKEY *subject_key,
                    X509 *issuer_cert, EVP_PKEY *issuer_key);

#ifdef __cplusplus
}
#endif
#endif
