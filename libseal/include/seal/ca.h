/* The platform's certificate authority: what the CA service agreements name (revoke,
 * freeze and unfreeze, renew within 30 days of expiry, re-key), the certificate database
 * and audit trail it keeps in the store, and the CRLs it publishes (RFC 5280 5).
 *
 * Two layers: CRL making and re-issuing certificates are pure PKI (src/pki/ca_*.c); the
 * operations on the platform's CAs, their database, their keys and published CRLs and the
 * seals bound to their certificates live in the store (src/store/ca_*.c, platform.c),
 * since they read the store's seals and keys. `sealsvc ca` and the OCSP responder drive
 * them. */
#ifndef SEAL_CA_H
#define SEAL_CA_H

#include <openssl/x509.h>
#include <seal/audit.h>
#include <seal/buf.h>
#include <seal/crypto.h>
#include <seal/pki.h>
#include <seal/revocation.h>
#include <seal/store.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEAL_CRL_REASON_HOLD 6 /* RFC 5280 5.3.1 certificateHold */

/* ---- PKI: CRLs and re-issued certificates (src/pki) ---- */

typedef struct seal_crl_entry {
    const char *serial_hex; /* the revoked certificate's serial number, hex */
    time_t revoked_at;
    int reason;             /* CRLReason; 0 or -1: no reasonCode entry (RFC 5280 5.3.1) */
    time_t invalidity_date; /* RFC 5280 5.3.2; 0: none */
} seal_crl_entry;

typedef struct seal_crl_spec {
    time_t this_update, next_update;
    uint64_t number; /* cRLNumber, RFC 5280 5.2.3: grows with every CRL of this CA */
    const seal_crl_entry *entries;
    size_t n_entries;
    /* Non-zero: a delta CRL (RFC 5280 5.2.4) on the complete CRL of this number: a
     * critical deltaCRLIndicator; its entries are the changes since that CRL, a
     * certificate no longer listed there as removeFromCRL (reason 8). */
    uint64_t delta_base;
} seal_crl_spec;

#define SEAL_CRL_REASON_REMOVE 8 /* RFC 5280 5.3.1 removeFromCRL, delta CRLs only */

/* A v2 CRL signed by the CA: authorityKeyIdentifier and cRLNumber, entries with
 * reasonCode, invalidityDate, and for holds the holdInstructionCode reject; complete, or a
 * delta CRL when spec->delta_base is set. */
int seal_crl_make(X509_CRL **out, const seal_crl_spec *spec, X509 *ca_cert, EVP_PKEY *ca_key);

/* A new certificate with the subject and extensions of `old` for `subject_key` (the old
 * key for a renewal, a new one for a re-key), a new serial, valid [not_before,
 * not_after], signed by the CA; the subject key identifier is made for the key.
 * `freshest_crl_url`, when not NULL, is where the CA's delta CRLs are: a Freshest CRL
 * extension (RFC 5280 4.2.1.15) naming it replaces any the old certificate had. */
int seal_cert_reissue(X509 **out, X509 *old, EVP_PKEY *subject_key, time_t not_before,
                      time_t not_after, X509 *ca_cert, EVP_PKEY *ca_key,
                      const char *freshest_crl_url);

/* Hex SHA-256 of a certificate's public key: how the database, the cache and the OCSP
 * responder name an issuer. */
int seal_cert_key_id(char out[65], X509 *cert);

/* Normalises a serial typed by a person ("0x4A:3F..", "4a3f..", "3ab") into the form the
 * CA database keeps, seal_cert_serial_hex's (lower-case hex of whole bytes: "03ab"); SEAL_EINVAL
 * when it is not hex. */
int seal_serial_normalize(char *out, size_t size, const char *text);

/* ---- PKI: the OCSP responder (src/pki/ocsp_respond.c, RFC 6960) ---- */

typedef struct seal_ocsp_answer {
    int state; /* SEAL_CERT_GOOD, _REVOKED, _SUSPENDED or _UNKNOWN (seal/revocation.h) */
    time_t revoked_at;
    int reason; /* -1: none */
    time_t invalidity_date;
} seal_ocsp_answer;

/* The status of the certificate with this serial (lower-case hex) issued by the
 * responder's CA. Returns 0 (state UNKNOWN when the CA never issued it) or an error, which
 * the responder answers with internalError. Called from several threads at once. */
typedef int (*seal_ocsp_lookup)(void *ctx, const char *serial_hex, seal_ocsp_answer *out);

typedef struct seal_ocsp_responder {
    X509 *issuer; /* the CA whose certificates are answered for */
    X509 *signer; /* the CA itself, or a responder it certified with OCSPSigning */
    EVP_PKEY *signer_key;
    int validity_minutes; /* nextUpdate - thisUpdate; 0: 60 */
    seal_ocsp_lookup lookup;
    void *lookup_ctx;
} seal_ocsp_responder;

/* Answers one DER OCSPRequest: a signed BasicOCSPResponse (responder named by key hash,
 * its certificate included, the request's nonce echoed) with good, revoked (time,
 * reason, invalidity date) or unknown per certificate; a hold is revoked with reason
 * certificateHold (RFC 6960 2.2). Unparseable requests get malformedRequest, certificates
 * of another CA unauthorized (RFC 5019 2.2.3), failed lookups internalError. Always
 * fills `out` with an OCSPResponse unless it returns an error (memory, signing). */
int seal_ocsp_respond(seal_buf *out, const seal_ocsp_responder *r, const uint8_t *request,
                      size_t len);

/* ---- the certificate database (src/store/ca_db.c) ---- */

typedef enum seal_ca_state { SEAL_CA_GOOD = 0, SEAL_CA_REVOKED, SEAL_CA_HOLD } seal_ca_state;
const char *seal_ca_state_name(seal_ca_state s); /* "good", "revoked", "hold" */

typedef struct seal_ca_record {
    char *serial;        /* lower-case hex */
    char *issuer_key_id; /* hex SHA-256 of the issuer's public key */
    char *issuer;        /* one-line names */
    char *subject;
    char *role; /* "ca", "signer", "seal-maker", "tsa", "ocsp" */
    time_t not_before, not_after, issued_at;
    seal_ca_state state;
    time_t revoked_at; /* revoked or on hold: since when */
    int reason;        /* -1: none */
    time_t invalidity_date;
    char *replaced_by; /* serial of the renewal or re-key, NULL */
    seal_buf der;
} seal_ca_record;

void seal_ca_record_clear(seal_ca_record *c);

/* Records a certificate the platform's CA issued (state good), audited as by `actor`. */
int seal_store_ca_add(seal_store *st, X509 *cert, X509 *issuer, const char *role,
                      const char *actor);
/* By serial (any format seal_serial_normalize takes), among the certificates of the
 * issuer with key id `issuer_key_id` (NULL: any issuer; two matches are SEAL_EINVAL).
 * SEAL_ENOTFOUND naming the serial when the CA never issued it. */
int seal_store_ca_find(seal_store *st, const char *serial, const char *issuer_key_id,
                       seal_ca_record *out);
/* Every revoked or held certificate of an issuer, for its CRL (caller frees each with
 * seal_ca_record_clear and the array with g_free). */
int seal_store_ca_listed(seal_store *st, const char *issuer_key_id, seal_ca_record **out,
                         size_t *n);

/* ---- the platform's own certificates and keys, its CRLs as published, and the relying
 * party's view of them (src/store/platform.c) ---- */

/* Keeps the platform's certificate `name` ("root-ca", "issuing-ca", "seal-maker", "tsa",
 * "ocsp": letters, digits, '-' and '_') in the database with its key (NULL: none), the key
 * encrypted under a passphrase derived from the key-encryption key. Replaces an earlier
 * one of that name. */
int seal_store_party_put(seal_store *st, const char *name, X509 *cert, EVP_PKEY *key);
/* One of them with its key: SEAL_ENOTFOUND when there is none of that name, SEAL_ECRYPTO
 * when the key does not open with this key-encryption key. */
int seal_ca_load_party(seal_store *st, const char *name, X509 **cert, EVP_PKEY **key);
/* Its certificate alone. */
int seal_store_party_cert(seal_store *st, const char *name, X509 **out);
/* The seal maker ("seal-maker", its chain the issuing CA "issuing-ca"), who signs SESeals
 * (GB/T 38540 7.2). */
int seal_store_maker_signer(seal_signer **out, seal_store *st);
/* Every one, oldest first: names (NULL-terminated, g_strfreev; `names_out` may be NULL)
 * and certificates (sk_X509_pop_free), in the same order. */
int seal_store_party_list(seal_store *st, char ***names_out, STACK_OF(X509) * *certs_out);
/* The platform's roots (its self-signed CA certificates) as trust anchors. */
int seal_store_trust_add(seal_store *st, seal_trust *trust);

/* Reserves `count` numbers of the platform's counter `name` ("tsa-serial") and hands
 * back the first: each number once, whichever instance asks. */
int seal_store_counter_reserve(seal_store *st, const char *name, uint64_t count, uint64_t *first);

/* The CRL that CA `ca_name` published last (DER), with its thisUpdate and nextUpdate (may
 * be NULL). SEAL_ENOTFOUND when it published none. */
int seal_store_crl_get(seal_store *st, const char *ca_name, seal_buf *der, time_t *this_update,
                       time_t *next_update);

/* A relying party's revocation context on the platform: the store as its cache and
 * evidence archive (shared by every instance on the database), every CRL the platform
 * published, and the platform's intermediate CA certificates for chain building; the rest
 * as `opts` says (may be NULL; its storage and folders are not used). `st` must outlive
 * the context, which uses it from the calling thread only. */
int seal_store_revocation_new(seal_revocation **out, seal_store *st,
                              const seal_revocation_opts *opts);

/* ---- the operations (src/store/ca_ops.c) ---- */

typedef struct seal_ca seal_ca;

/* One of the platform's CAs by name ("issuing-ca", "root-ca"), its key from the database
 * (seal_ca_load_party). */
int seal_ca_open(seal_ca **out, seal_store *st, const char *name);
/* The platform's CA that issued `cert` (SEAL_ENOTFOUND when none did). */
int seal_ca_open_issuer_of(seal_ca **out, seal_store *st, X509 *cert);
void seal_ca_free(seal_ca *ca);
X509 *seal_ca_cert(const seal_ca *ca); /* borrowed */
const char *seal_ca_name(const seal_ca *ca);
const char *seal_ca_key_id(const seal_ca *ca);

/* Each of these changes the database, records an audit entry by `actor`, and publishes
 * a new CRL (in the database: seal_store_crl_get). `serial` as for seal_store_ca_find. */
int seal_ca_revoke(seal_ca *ca, const char *serial, int reason, time_t invalidity_date,
                   const char *actor);
int seal_ca_freeze(seal_ca *ca, const char *serial, const char *actor);
int seal_ca_unfreeze(seal_ca *ca, const char *serial, const char *actor);

/* Issues and publishes a CRL valid for `hours` (0: 168) in the database, where the OCSP
 * responder serves it as /crl/NAME.crl and verifiers read it; `der_out` (may be NULL)
 * receives it. Of two publications racing, the one with the higher CRL number stays. */
int seal_ca_publish_crl(seal_ca *ca, int hours, seal_buf *der_out, const char *actor);

/* Issues and publishes a delta CRL (RFC 5280 5.2.4) on the complete CRL published last:
 * what changed since (new revocations and holds, and removeFromCRL for a certificate
 * unfrozen since), valid `hours` (0: 24), its number from the same sequence. Stored in
 * the database as CA "NAME-delta" (served as /crl/NAME-delta.crl). From then on, the
 * CA's changes publish a delta CRL instead of a complete one; `ca crl` still issues
 * complete CRLs. SEAL_ENOTFOUND when the CA published no complete CRL yet. */
int seal_ca_publish_delta_crl(seal_ca *ca, int hours, seal_buf *der_out, const char *actor);

#define SEAL_CA_RENEW_WINDOW_DAYS 30

/* Renewal (same key): refused more than 30 days before the certificate expires unless
 * `force`; the new certificate is valid `days` (0: as long as the old one was) and
 * replaces the old one in every seal that binds it (the seal maker signs a new SESeal
 * with the same seal code). The old certificate stays valid until it expires. */
int seal_ca_renew(seal_ca *ca, X509 **out, X509 *old, bool force, int days, const char *actor);

/* Re-key: a new key pair and certificate for seal `seal_id`, its key encrypted under
 * `pin` (which must open the seal's current key), a new SESeal; the old certificate is
 * revoked (superseded) unless another seal still binds it. */
int seal_ca_rekey(seal_ca *ca, X509 **out, const char *seal_id, const char *pin, int days,
                  const char *actor);

#ifdef __cplusplus
}
#endif
#endif
