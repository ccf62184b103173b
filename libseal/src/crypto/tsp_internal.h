/* Shared by the RFC 3161 files of the crypto module (requests, tokens, responses, client,
 * responder). Not part of the public API. */
#ifndef SEAL_TSP_INTERNAL_H
#define SEAL_TSP_INTERNAL_H

#include <seal/der.h>
#include <seal/tsp.h>

/* Policy OIDs may have arcs beyond 64 bits (a 2.25 UUID arc, X.667), which the base DER
 * helpers do not take: these go through OpenSSL's bignum OID code. */
int tsp_oid_read(const seal_der_elem *e, char out[SEAL_TSP_OID_MAX], const char *what);
void tsp_oid_write(seal_der_writer *w, const char *dotted);

/* Decodes a TimeStampReq and hands back the exact stored MessageImprint element, which a
 * TSA copies into its TSTInfo (RFC 3161 2.4.2: "the same value"). */
int tsp_request_parse(seal_tsp_request *out, seal_slice *imprint_der, const uint8_t *der,
                      size_t len);

/* Reads MessageImprint ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, hashedMessage
 * OCTET STRING } from its content. */
int tsp_imprint_read(seal_slice content, char hash_oid[SEAL_TSP_OID_MAX], const EVP_MD **md,
                     seal_slice *digest);

/* RFC 3161 2.3: the TSA certificate's extendedKeyUsage is critical and holds only
 * id-kp-timeStamping. SEAL_EPKI naming what is missing. */
int tsp_check_tsa_eku(X509 *cert);

#endif
