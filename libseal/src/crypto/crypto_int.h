/* Helpers shared by the files of the crypto module (keys, signer, signature checks, CMS).
 * Not part of the public API. */
#ifndef SEAL_CRYPTO_INT_H
#define SEAL_CRYPTO_INT_H

#include <seal/crypto.h>

/* A key usable with the algorithm it belongs to: an EC key on the SM2 curve is turned
 * into an SM2 key (OpenSSL signs an EC-typed key with ECDSA, never SM2). Returns a new
 * reference in *out. */
int seal_key_normalize(EVP_PKEY **out, EVP_PKEY *key);

/* The digest named by an AlgorithmIdentifier OID (SHA-1/256/384/512, SM3); NULL if
 * unsupported. */
const EVP_MD *seal_md_by_oid(const char *oid);

/* The dotted OID of a digest we write (SHA-256/384/512, SM3); NULL for others. */
const char *seal_md_oid(const EVP_MD *md);

/* EVP_PKEY_sign over a digest made by seal_signer_digest, with whatever key (in memory or
 * on a token through libp11): RSA with PKCS#1 v1.5 padding and the DigestInfo of SHA-256;
 * ECDSA and SM2 sign the digest as given (for SM2 it is e, Z_A folded in). 0, or -1 with
 * OpenSSL's error queue telling why (the caller names the signer in its message). */
int crypto_pkey_sign_digest(EVP_PKEY *key, seal_key_alg alg, const uint8_t *digest, size_t len,
                            seal_buf *sig);

#endif
