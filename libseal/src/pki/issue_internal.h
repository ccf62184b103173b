/* What issuance (issue.c) shares with the CA operations (ca_*.c): serial numbers and
 * signing certificates and CRLs with the issuer's key. Internal to src/pki. */
#ifndef SEAL_PKI_ISSUE_INTERNAL_H
#define SEAL_PKI_ISSUE_INTERNAL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* RFC 5280 4.1.2.2: a fresh random positive serial of 16 octets. */
int pki_set_random_serial(X509 *x);

/* Prepares `md_ctx` to sign with `key`: SHA-256 for RSA and ECDSA, SM3 with the GM/T 0009
 * user ID for SM2 (*pkey_ctx then holds the ID; the caller frees it after signing). */
int pki_sign_init(EVP_MD_CTX *md_ctx, EVP_PKEY_CTX **pkey_ctx, EVP_PKEY *key);

int pki_sign_cert(X509 *x, EVP_PKEY *key);

/* Adds a non-critical extension of the CRLDistributionPoints syntax (`nid`
 * NID_crl_distribution_points or NID_freshest_crl) naming one URL. */
int pki_add_dist_point(X509 *x, int nid, const char *url);

#endif
