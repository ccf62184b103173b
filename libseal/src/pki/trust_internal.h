/* What chain.c needs to see inside a seal_trust: the anchors as an X509_STORE, and whether
 * one of them is an intermediate (then a chain may end there: X509_V_FLAG_PARTIAL_CHAIN). */
#ifndef SEAL_PKI_TRUST_INTERNAL_H
#define SEAL_PKI_TRUST_INTERNAL_H

#include <seal/pki.h>
#include <stdbool.h>

X509_STORE *seal_trust_store(const seal_trust *t);
bool seal_trust_has_intermediate(const seal_trust *t);

/* A new reference to `cert`, ready for chain checks: a certificate signed with SM2 gets a
 * copy that carries the GM/T 0009 user ID, which OpenSSL 3.0 needs to verify it. */
int seal_trust_prepare_cert(X509 **out, X509 *cert);

#endif
