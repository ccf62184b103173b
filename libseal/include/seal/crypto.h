/* Keys, digests and the signer interface.
 *
 * A seal_signer signs with an institution's key wherever the key lives: a software key in
 * this process, a PKCS#11 token, or outside the platform altogether (an external signer: a
 * clerk's USB key, a remote HSM, a remote-signing client), which is handed the digest by
 * two-phase stamping and returns the signature later. Each kind is an ops table
 * (seal_signer_ops). What a signer signs is a digest made by seal_signer_digest(): the
 * algorithm's hash of the message for RSA PKCS#1 v1.5 with SHA-256 and ECDSA with
 * SHA-256, and for SM2 e = SM3(Z_A || M) with Z_A over the user ID "1234567812345678"
 * (GB/T 32918.2 6.1, GM/T 0009). */
#ifndef SEAL_CRYPTO_H
#define SEAL_CRYPTO_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <seal/buf.h>
#include <stdbool.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEAL_SM2_USER_ID "1234567812345678"

#define SEAL_OID_SM2_WITH_SM3      "1.2.156.10197.1.501"
#define SEAL_OID_SM3               "1.2.156.10197.1.401"
#define SEAL_OID_SM2_CURVE         "1.2.156.10197.1.301"
#define SEAL_OID_SHA256            "2.16.840.1.101.3.4.2.1"
#define SEAL_OID_SHA384            "2.16.840.1.101.3.4.2.2"
#define SEAL_OID_RSA_ENCRYPTION    "1.2.840.113549.1.1.1"
#define SEAL_OID_SHA256_WITH_RSA   "1.2.840.113549.1.1.11"
#define SEAL_OID_ECDSA_WITH_SHA256 "1.2.840.10045.4.3.2"

typedef enum seal_key_alg {
    SEAL_ALG_UNKNOWN = 0,
    SEAL_ALG_RSA,
    SEAL_ALG_ECDSA,
    SEAL_ALG_SM2
} seal_key_alg;

/* "rsa", "ecdsa", "sm2" (and "unknown"). */
const char *seal_key_alg_name(seal_key_alg alg);
int seal_key_alg_parse(seal_key_alg *out, const char *name);

/* The algorithm of a key (an SM2-curve EC key is SEAL_ALG_SM2). */
seal_key_alg seal_key_alg_of(const EVP_PKEY *key);

/* 0 when a seal may sign with `key`: RSA of at least 2048 bits, ECDSA on P-256, or SM2;
 * SEAL_EUNSUPPORTED naming what the key is otherwise (RSA 1024, another curve, EdDSA). */
int seal_key_check_seal_alg(const EVP_PKEY *key);

/* Generates a key: RSA (bits 2048 or 3072), ECDSA P-256, or SM2 (bits ignored). */
int seal_key_generate(EVP_PKEY **out, seal_key_alg alg, int bits);

/* Loads a private key from a file: PEM (plain or encrypted PKCS#8, traditional),
 * DER PKCS#8 (plain or encrypted), or PKCS#12 (.p12/.pfx). `password` may be NULL for an
 * unencrypted key. For PKCS#12, *cert_out and *chain_out (either may be NULL) receive the
 * certificate and the other certificates in the file. A wrong password is SEAL_EAUTH. */
int seal_key_load(EVP_PKEY **out, X509 **cert_out, STACK_OF(X509) * *chain_out, const char *path,
                  const char *password);

/* Loads a private key from memory (same formats as seal_key_load, PKCS#12 excluded). */
int seal_key_load_mem(EVP_PKEY **out, const uint8_t *data, size_t len, const char *password);

/* Encrypts a private key as PEM PKCS#8 (AES-256-CBC, PBKDF2-HMAC-SHA256) under `pin`.
 * This is how keys rest in the data directory. */
int seal_key_encrypt_pem(seal_buf *out, EVP_PKEY *key, const char *pin);

/* Certificates: PEM or DER file, or memory. */
int seal_cert_load(X509 **out, const char *path);
int seal_cert_load_mem(X509 **out, const uint8_t *data, size_t len);
int seal_certs_load(STACK_OF(X509) * *out, const char *path); /* every PEM cert in a file */
int seal_cert_to_der(seal_buf *out, X509 *cert);
int seal_cert_to_pem(seal_buf *out, X509 *cert);
/* The subject's CN (or the whole one-line subject when there is no CN), UTF-8. The
 * caller frees with g_free / free. */
char *seal_cert_subject_cn(X509 *cert);
/* A name on one line, RFC 2253 order, UTF-8 left as is; NULL when out of memory. The
 * caller frees with free. */
char *seal_x509_name_text(const X509_NAME *name);
/* A certificate's serial as lower-case hex without leading zeros, as reports show it
 * (caller frees with g_free or free). */
char *seal_cert_serial_hex(X509 *cert);
/* An ASN.1 time (UTCTime or GeneralizedTime) as seconds since 1970 UTC; 0 when it is
 * absent or unreadable. */
time_t seal_asn1_time(const ASN1_TIME *t);

/* ---- digests ---- */

/* The digest used with a key's algorithm: SHA-256 for RSA and ECDSA, SM3 for SM2. */
const EVP_MD *seal_digest_for_alg(seal_key_alg alg);
int seal_digest(const EVP_MD *md, const void *data, size_t len, uint8_t *out, size_t *out_len);
/* The digest of a whole file, read in pieces (never held in memory whole). */
int seal_digest_file(const EVP_MD *md, const char *path, uint8_t *out, size_t *out_len);
/* The digest's name as reports and the audit trail write it: "sha256", "sm3", ... */
const char *seal_digest_name(const EVP_MD *md);

/* What a stamp hashed, for the record a platform keeps of every use of a seal (DESIGN.md
 * "The stamp flow": the document digest before and after): the input and the output file,
 * whole, with the signature's own digest (SHA-256; SM3 for SM2 signers). */
typedef struct seal_stamp_digests {
    const EVP_MD *md;
    uint8_t before[EVP_MAX_MD_SIZE], after[EVP_MAX_MD_SIZE];
    size_t len;
} seal_stamp_digests;

/* ---- signer ---- */
typedef struct seal_signer seal_signer;

/* One kind of signer. `impl` is the kind's own state, owned by the seal_signer. */
typedef struct seal_signer_ops {
    const char *kind; /* "software", "pkcs11", "external" */
    /* Signs `digest` (what seal_signer_digest made) with the key of the certificate:
     * RSA: PKCS#1 v1.5 over DigestInfo(SHA-256, digest); ECDSA and SM2: DER
     * SEQUENCE { r, s } over the digest as it is (for SM2 it is already e). NULL for a
     * signer that signs elsewhere (external). */
    int (*sign_digest)(void *impl, seal_key_alg alg, const uint8_t *digest, size_t len,
                       seal_buf *sig);
    /* The largest signature it makes, in bytes; NULL: the size of the certificate's key. */
    size_t (*max_signature_len)(void *impl);
    void (*free)(void *impl);
} seal_signer_ops;

/* A signer of kind `ops` for `cert` (and `chain`: the issuing CA certificates, not the
 * root; may be NULL); takes its own references to both, and ownership of `impl` (freed
 * with ops->free, also when this fails). */
int seal_signer_new(seal_signer **out, const seal_signer_ops *ops, void *impl, X509 *cert,
                    STACK_OF(X509) * chain);
/* A software signer over a private key and its certificate. Takes its own references.
 * The key must match the certificate's public key (SEAL_ECRYPTO otherwise). */
int seal_signer_new_software(seal_signer **out, EVP_PKEY *key, X509 *cert, STACK_OF(X509) * chain);
/* A signer whose key is not here: it knows the certificate (to size placeholders and
 * name the signer) but cannot sign (seal_signer_sign_digest is SEAL_EUNSUPPORTED); the
 * stamp is prepared, and finished with the signature made elsewhere. */
int seal_signer_new_external(seal_signer **out, X509 *cert, STACK_OF(X509) * chain);
void seal_signer_free(seal_signer *s);

/* ---- PKCS#11 tokens (signer_pkcs11.c, through libp11) ----
 * A key on a token is named by an RFC 7512 URI: token= (the token's label) with object=
 * (the key's label) and/or id= (its CKA_ID, percent-encoded), optionally serial= and
 * type=private, and the module in the query (?module-path=/path/to/module.so). Without
 * module-path the module is $SEAL_PKCS11_MODULE, else SEAL_PKCS11_DEFAULT_MODULE (Debian's
 * SoftHSM2). A URI with pin-value or pin-source is refused: seals store their URI, and
 * the token PIN is the seal PIN, given at each use. SM2 is refused (SoftHSM2 and libp11
 * have no SM2). Errors: a wrong PIN is SEAL_EAUTH ("wrong PIN for token T"), a locked
 * token PIN SEAL_EPOLICY ("the PIN of token T is locked"), a missing module, token or key
 * SEAL_ENOTFOUND naming it. */
#define SEAL_PKCS11_DEFAULT_MODULE "/usr/lib/softhsm/libsofthsm2.so"

/* 0 when `uri` is a PKCS#11 URI this signer can use and store (SEAL_EINVAL naming what
 * is wrong otherwise). Does not touch the token. */
int seal_pkcs11_uri_check(const char *uri);
/* Logs in to the token with `pin` and finds the private key `uri` names; when there is
 * none, generates a key pair on the token (`alg` SEAL_ALG_RSA with `bits` 2048 or 3072,
 * or SEAL_ALG_ECDSA on P-256), the private key sensitive and not extractable, labelled
 * with object= and with id= (or a random id). *pub_out receives its public key (RSA of
 * at least 2048 bits or ECDSA P-256, else SEAL_EUNSUPPORTED), *generated_out whether it
 * was made now. */
int seal_pkcs11_key_ensure(EVP_PKEY **pub_out, bool *generated_out, const char *uri,
                           const char *pin, seal_key_alg alg, int bits);
/* A signer whose key stays on the token: logs in with `pin`, finds the key `uri` names
 * and checks it is `cert`'s. Takes its own references to `cert` and `chain`. Signers on
 * one module share its loaded library; it is unloaded with the last of them. */
int seal_signer_new_pkcs11(seal_signer **out, const char *uri, const char *pin, X509 *cert,
                           STACK_OF(X509) * chain);

const char *seal_signer_kind(const seal_signer *s);
/* False for an external signer: its signatures are made outside this process. */
bool seal_signer_signs_here(const seal_signer *s);
seal_key_alg seal_signer_alg(const seal_signer *s);
X509 *seal_signer_cert(const seal_signer *s);             /* borrowed */
STACK_OF(X509) * seal_signer_chain(const seal_signer *s); /* borrowed, may be empty */
const EVP_MD *seal_signer_md(const seal_signer *s);
/* The largest signature this signer can produce, in bytes. */
size_t seal_signer_max_sig_len(const seal_signer *s);

/* The digest a signature over `msg` signs, for the key of `cert`: SHA-256(msg) for RSA
 * and ECDSA, e = SM3(Z_A || msg) for SM2. `out` holds EVP_MAX_MD_SIZE bytes. */
int seal_cert_signed_digest(X509 *cert, const uint8_t *msg, size_t len, uint8_t *out,
                            size_t *out_len);
/* The same for the signer's certificate. */
int seal_signer_digest(const seal_signer *s, const uint8_t *msg, size_t len, uint8_t *out,
                       size_t *out_len);
/* Signs a digest made by seal_signer_digest. */
int seal_signer_sign_digest(const seal_signer *s, seal_buf *sig, const uint8_t *digest, size_t len);
/* Signs `msg`: seal_signer_digest, then seal_signer_sign_digest. RSA and ECDSA produce
 * their usual encodings; SM2 a DER SEQUENCE { r, s }. */
int seal_signer_sign(const seal_signer *s, seal_buf *sig, const uint8_t *msg, size_t len);

/* Checks that `sig` is a signature by `cert`'s key over `digest` (made by
 * seal_cert_signed_digest): what two-phase stamping asks of a signature returned from
 * outside before it writes anything. SM2 accepts DER and 64-byte raw r||s. 0 if valid,
 * SEAL_ECRYPTO naming the problem if not. */
int seal_verify_digest_signature(X509 *cert, const uint8_t *digest, size_t digest_len,
                                 const uint8_t *sig, size_t sig_len);

/* An SM2 signature as GM/T 0009 7.3 stores it (GB/T 38540, CMS): the 64-byte r||s some
 * tokens return becomes DER SEQUENCE { r, s }; anything else is copied as it is. */
int seal_sm2_signature_der(seal_buf *out, const uint8_t *sig, size_t len);

/* Verifies a signature over `msg` made with `cert`'s key. `alg_oid` names the signature
 * algorithm (one of the SEAL_OID_* signature OIDs, or rsaEncryption with `md`); SM2
 * accepts DER and 64-byte raw r||s. 0 if valid, SEAL_ECRYPTO if not. */
int seal_verify_signature(X509 *cert, const char *alg_oid, const EVP_MD *md, const uint8_t *msg,
                          size_t msg_len, const uint8_t *sig, size_t sig_len);

#ifdef __cplusplus
}
#endif
#endif
