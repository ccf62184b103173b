/* CMS SignedData for PAdES (ETSI EN 319 142-1 baseline B-B) and its verification.
 *
 * Stamp flow: the PDF writer reserves a /Contents gap of seal_cms_estimate_size() bytes,
 * hashes the ByteRange with seal_signer_md(), and asks seal_cms_sign_detached() for the
 * DER to put in the gap. Verify flow: seal_cms_parse() reads what a signer wrote (ours or
 * anyone's), the caller hashes the ByteRange with the digest the CMS names, and
 * seal_cms_check() compares and checks the signature over the signed attributes. */
#ifndef SEAL_CMS_H
#define SEAL_CMS_H

#include <seal/crypto.h>

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An upper bound for the DER size of the CMS that seal_cms_sign_detached() will produce
 * with this signer. */
size_t seal_cms_estimate_size(const seal_signer *s);

/* Detached SignedData, one SignerInfo, signed attributes content-type (id-data),
 * message-digest (= digest, made with seal_signer_md) and ESS signing-certificate-v2;
 * no signing-time. Certificates: the signer's and its chain. */
int seal_cms_sign_detached(seal_buf *der, const seal_signer *s, const uint8_t *digest,
                           size_t digest_len);

/* The same bound for a signer known only by its certificate, chain and largest
 * signature (an external signer's, say). */
size_t seal_cms_estimate_size_for(X509 *cert, STACK_OF(X509) * chain, size_t max_sig_len);

/* Two-phase signing of the same detached SignedData: first the signed attributes (the
 * DER SET OF that the signature covers, RFC 5652 5.4) for `cert` and the content digest;
 * a signer signs them (seal_signer_sign, or outside over seal_cert_signed_digest of
 * them); then the SignedData is assembled around that signature, with `cert` and `chain`
 * as its certificates. seal_cms_sign_detached is both phases at once. */
int seal_cms_signed_attrs(seal_buf *to_sign, X509 *cert, const uint8_t *digest, size_t digest_len);
int seal_cms_assemble_detached(seal_buf *der, X509 *cert, STACK_OF(X509) * chain,
                               const uint8_t *to_sign, size_t to_sign_len, const uint8_t *sig,
                               size_t sig_len);

/* SignedData with the content inside (RFC 5652 5.2 eContent) of type `content_type`
 * (dotted OID), signed attributes as above with content-type naming that type: what a
 * TSA signs (RFC 3161 2.4.2, id-ct-TSTInfo). The signer's digest hashes the content.
 * Certificates (the signer's and its chain) only `with_certs` (RFC 3161 2.4.1 certReq). */
int seal_cms_sign_content(seal_buf *der, const seal_signer *s, const char *content_type,
                          const uint8_t *content, size_t len, bool with_certs);

/* Adds an unsigned attribute (RFC 5652 5.3) with one pre-encoded value to the single
 * SignerInfo of the DER SignedData in *der, which is rewritten in place. PAdES B-T adds
 * id-aa-signatureTimeStampToken this way (ETSI EN 319 142-1 5.3). */
int seal_cms_add_unsigned_attr(seal_buf *der, const char *oid, const uint8_t *value, size_t len);

typedef struct seal_cms seal_cms;

/* Parses DER SignedData (ContentInfo). Trailing zero padding after the DER is accepted
 * (PDF /Contents); other trailing bytes are SEAL_EFORMAT. */
int seal_cms_parse(seal_cms **out, const uint8_t *der, size_t len);
void seal_cms_free(seal_cms *cms);

/* The digest the signer info names (SHA-256/384/512, SM3...); NULL if unsupported. */
const EVP_MD *seal_cms_digest_md(const seal_cms *cms);
/* The signer's certificate found in the CMS by its SignerIdentifier (borrowed; NULL when
 * the CMS does not carry it). */
X509 *seal_cms_signer_cert(const seal_cms *cms);
/* Every certificate the CMS carries (borrowed). */
STACK_OF(X509) * seal_cms_certs(const seal_cms *cms);
/* The signature algorithm, as dotted OID text. */
const char *seal_cms_sig_alg_oid(const seal_cms *cms);
/* The signature value (what an RFC 3161 signature timestamp covers). */
seal_slice seal_cms_signature_value(const seal_cms *cms);
/* The encapsulated content type (dotted OID) and content: the eContent octets, or an
 * empty slice with data NULL when the signature is detached. */
const char *seal_cms_content_type(const seal_cms *cms);
seal_slice seal_cms_content(const seal_cms *cms);
/* The first value (whole DER element) of the unsigned attribute `oid` (dotted), e.g.
 * id-aa-signatureTimeStampToken; SEAL_ENOTFOUND when the signer info has none. */
int seal_cms_unsigned_attr(const seal_cms *cms, const char *oid, seal_slice *value);
/* The signing-time signed attribute, if any (PAdES forbids it; others write it). */
int seal_cms_signing_time(const seal_cms *cms, time_t *out); /* SEAL_ENOTFOUND if absent */

typedef struct seal_cms_outcome {
    int digest_ok;       /* message-digest attribute equals the content digest */
    int signature_ok;    /* the signature over the signed attributes verifies */
    int signing_cert_ok; /* ESS signing-certificate(-v2) names the signer's cert (or absent) */
    int has_signing_cert_attr;
} seal_cms_outcome;

/* Checks the CMS against the digest of the signed content (made with
 * seal_cms_digest_md()). Returns 0 when the checks could be run (see *result for their
 * outcome), or an error if the CMS lacks what the checks need (e.g. no signer cert). */
int seal_cms_check(seal_cms_outcome *result, const seal_cms *cms, const uint8_t *digest,
                   size_t digest_len);

#ifdef __cplusplus
}
#endif
#endif
