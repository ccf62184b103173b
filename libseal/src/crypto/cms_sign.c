/* CMS SignedData (RFC 5652) built with our DER writer: OpenSSL's CMS layer always adds
 * signing-time (which PAdES forbids) and refuses SM2. Detached for PAdES baseline B-B
 * (ETSI EN 319 142-1 5.2; the PDF writer puts it into the /Contents gap), with the content
 * inside for the TSA's TSTInfo (RFC 3161 2.4.2), and an unsigned attribute added
 * afterwards for B-T's signature timestamp. */
#include "crypto_int.h"

#include <seal/cms.h>
#include <seal/der.h>
#include <seal/error.h>

#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

#define OID_SIGNED_DATA          "1.2.840.113549.1.7.2"
#define OID_DATA                 "1.2.840.113549.1.7.1"
#define OID_ATTR_CONTENT_TYPE    "1.2.840.113549.1.9.3"
#define OID_ATTR_MESSAGE_DIGEST  "1.2.840.113549.1.9.4"
#define OID_ATTR_SIGNING_CERT_V2 "1.2.840.113549.1.9.16.2.47"

/* Fixed overhead of the structure around certificates, names and signature: OIDs,
 * algorithm identifiers, headers of up to 5 bytes each, the two attributes besides
 * signing-certificate-v2 and the SHA-256 cert hash. Generous on purpose: the PDF writer
 * only needs an upper bound. */
#define CMS_FIXED_OVERHEAD 1024

static int i2d_buf(seal_buf *out, int len, unsigned char *der)
{
    int rc = 0;
    if (len <= 0)
        rc = seal_error_set_openssl(SEAL_ECRYPTO, "cannot encode the certificate's fields");
    else
        rc = seal_buf_set(out, der, (size_t)len);
    OPENSSL_free(der);
    return rc;
}

static int issuer_der(seal_buf *out, X509 *cert)
{
    unsigned char *der = NULL;
    int len = i2d_X509_NAME(X509_get_issuer_name(cert), &der);
    return i2d_buf(out, len, der);
}

static int serial_der(seal_buf *out, X509 *cert)
{
    unsigned char *der = NULL;
    int len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), &der);
    return i2d_buf(out, len, der);
}

static int cert_der(seal_buf *out, X509 *cert)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    return i2d_buf(out, len, der);
}

size_t seal_cms_estimate_size_for(X509 *cert, STACK_OF(X509) * chain, size_t max_sig_len)
{
    /* The signer's certificate, its issuer name and serial twice (sid and ESS
     * issuerSerial), every chain certificate, and the signature. */
    size_t total = CMS_FIXED_OVERHEAD + max_sig_len;
    total += (size_t)(i2d_X509(cert, NULL) > 0 ? i2d_X509(cert, NULL) : 0);
    int name_len = i2d_X509_NAME(X509_get_issuer_name(cert), NULL);
    int serial_len = i2d_ASN1_INTEGER(X509_get0_serialNumber(cert), NULL);
    total +=
        2 * (size_t)(name_len > 0 ? name_len : 0) + 2 * (size_t)(serial_len > 0 ? serial_len : 0);
    for (int i = 0; i < sk_X509_num(chain); i++) {
        int len = i2d_X509(sk_X509_value(chain, i), NULL);
        total += len > 0 ? (size_t)len : 0;
    }
    return total;
}

size_t seal_cms_estimate_size(const seal_signer *s)
{
    return seal_cms_estimate_size_for(seal_signer_cert(s), seal_signer_chain(s),
                                      seal_signer_max_sig_len(s));
}

/* AlgorithmIdentifiers per algorithm. RFC 5754 2: SHA-2 digests are written without
 * parameters. RFC 3370 3.2: rsaEncryption carries NULL. RFC 5758 3.2: ecdsa-with-SHA256
 * has no parameters. GM/T 0010 / GB/T 35275: SM3 and SM2-with-SM3 have none either. */
static void write_digest_alg(seal_der_writer *w, seal_key_alg alg)
{
    size_t m = seal_der_begin(w, SEAL_DER_SEQUENCE);
    seal_der_oid(w, alg == SEAL_ALG_SM2 ? SEAL_OID_SM3 : SEAL_OID_SHA256);
    seal_der_end(w, m);
}

static void write_signature_alg(seal_der_writer *w, seal_key_alg alg)
{
    size_t m = seal_der_begin(w, SEAL_DER_SEQUENCE);
    switch (alg) {
    case SEAL_ALG_RSA:
        seal_der_oid(w, SEAL_OID_RSA_ENCRYPTION);
        seal_der_null(w);
        break;
    case SEAL_ALG_ECDSA:
        seal_der_oid(w, SEAL_OID_ECDSA_WITH_SHA256);
        break;
    default:
        seal_der_oid(w, SEAL_OID_SM2_WITH_SM3);
        break;
    }
    seal_der_end(w, m);
}

/* Attribute ::= SEQUENCE { attrType OID, attrValues SET OF value } (RFC 5652 5.3), with
 * the single value given pre-encoded. */
static int make_attr(seal_buf *out, const char *oid, const uint8_t *value, size_t len)
{
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    size_t attr = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_oid(&w, oid);
    size_t set = seal_der_begin(&w, SEAL_DER_SET);
    seal_der_raw(&w, value, len);
    seal_der_end(&w, set);
    seal_der_end(&w, attr);
    return seal_der_finish(&w, out);
}

/* SigningCertificateV2 (RFC 5035 3) naming the signer's certificate:
 * SEQUENCE { SEQUENCE OF ESSCertIDv2 { certHash, issuerSerial } }. The hash algorithm is
 * SHA-256, the DEFAULT, so DER omits it (X.690 11.5). */
static int make_signing_cert_v2(seal_buf *out, X509 *cert, const seal_buf *issuer,
                                const seal_buf *serial)
{
    int rc = 0;
    seal_buf der = SEAL_BUF_INIT;
    uint8_t hash[EVP_MAX_MD_SIZE];
    size_t hash_len = 0;
    seal_der_writer w = {SEAL_BUF_INIT, 0};

    SEAL_TRY(cert_der(&der, cert));
    SEAL_TRY(seal_digest(EVP_sha256(), der.data, der.len, hash, &hash_len));
    size_t v2 = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    size_t certs = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    size_t id = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_octet_string(&w, hash, hash_len);
    size_t issuer_serial = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    size_t names = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    /* GeneralName directoryName [4]: explicit, since Name is a CHOICE (X.680 31.2.7). */
    size_t dir = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 4);
    seal_der_raw(&w, issuer->data, issuer->len);
    seal_der_end(&w, dir);
    seal_der_end(&w, names);
    seal_der_raw(&w, serial->data, serial->len);
    seal_der_end(&w, issuer_serial);
    seal_der_end(&w, id);
    seal_der_end(&w, certs);
    seal_der_end(&w, v2);
    SEAL_TRY(seal_der_finish(&w, out));
out:
    seal_buf_clear(&der);
    return rc;
}

/* X.690 11.6: the components of a SET OF are in ascending order of their encodings,
 * compared as octet strings with the shorter one padded with trailing zeros. */
static int compare_der(const void *a, const void *b)
{
    const seal_buf *x = a, *y = b;
    size_t common = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->data, y->data, common);
    if (c != 0)
        return c;
    const seal_buf *longer = x->len > y->len ? x : y;
    for (size_t i = common; i < longer->len; i++)
        if (longer->data[i] != 0)
            return longer == x ? 1 : -1;
    return 0;
}

enum { ATTR_COUNT = 3 };

/* The signed attributes' content (the members of the SET, sorted), RFC 5652 5.3 and
 * ETSI EN 319 122-1 5.2: content-type, message-digest, signing-certificate-v2 (which
 * RFC 5816 also asks of a TSA). */
static int make_signed_attrs(seal_buf *content, X509 *cert, const char *content_type,
                             const uint8_t *digest, size_t digest_len, const seal_buf *issuer,
                             const seal_buf *serial)
{
    int rc = 0;
    seal_buf attrs[ATTR_COUNT] = {SEAL_BUF_INIT, SEAL_BUF_INIT, SEAL_BUF_INIT};
    seal_buf value = SEAL_BUF_INIT;
    seal_der_writer w = {SEAL_BUF_INIT, 0};

    seal_der_oid(&w, content_type);
    SEAL_TRY(seal_der_finish(&w, &value));
    SEAL_TRY(make_attr(&attrs[0], OID_ATTR_CONTENT_TYPE, value.data, value.len));

    seal_der_octet_string(&w, digest, digest_len);
    SEAL_TRY(seal_der_finish(&w, &value));
    SEAL_TRY(make_attr(&attrs[1], OID_ATTR_MESSAGE_DIGEST, value.data, value.len));

    SEAL_TRY(make_signing_cert_v2(&value, cert, issuer, serial));
    SEAL_TRY(make_attr(&attrs[2], OID_ATTR_SIGNING_CERT_V2, value.data, value.len));

    qsort(attrs, ATTR_COUNT, sizeof attrs[0], compare_der);
    seal_buf_clear(content);
    for (int i = 0; i < ATTR_COUNT; i++)
        SEAL_TRY(seal_buf_append(content, attrs[i].data, attrs[i].len));
out:
    for (int i = 0; i < ATTR_COUNT; i++)
        seal_buf_clear(&attrs[i]);
    seal_buf_clear(&value);
    return rc;
}

static int write_certificates(seal_der_writer *w, X509 *cert, STACK_OF(X509) * chain)
{
    int rc = 0;
    seal_buf der = SEAL_BUF_INIT;

    /* SignedData certificates [0] IMPLICIT CertificateSet (RFC 5652 5.1): the signer's
     * and the chain up to, not including, the root (PDF-SIGN.md 4). */
    size_t certs = seal_der_begin(w, SEAL_DER_CONTEXT_CONS | 0);
    SEAL_TRY(cert_der(&der, cert));
    seal_der_raw(w, der.data, der.len);
    for (int i = 0; i < sk_X509_num(chain); i++) {
        SEAL_TRY(cert_der(&der, sk_X509_value(chain, i)));
        seal_der_raw(w, der.data, der.len);
    }
    seal_der_end(w, certs);
out:
    seal_buf_clear(&der);
    return rc;
}

/* The signed attributes of a SignedData over `digest` of content of type `content_type`,
 * as the DER SET OF that the signature covers (RFC 5652 5.4: the SET OF tag, while the
 * SignerInfo stores them under [0] IMPLICIT). */
static int signed_attrs(seal_buf *to_sign, X509 *cert, const char *content_type,
                        const uint8_t *digest, size_t digest_len)
{
    int rc = 0;
    seal_buf issuer = SEAL_BUF_INIT, serial = SEAL_BUF_INIT, attrs = SEAL_BUF_INIT;
    seal_der_writer w = {SEAL_BUF_INIT, 0};

    SEAL_ENSURE(cert && X509_get0_pubkey(cert), SEAL_EINVAL, "no signer certificate");
    const EVP_MD *md = seal_digest_for_alg(seal_key_alg_of(X509_get0_pubkey(cert)));
    SEAL_ENSURE(md, SEAL_EUNSUPPORTED, "the certificate's key is neither RSA, ECDSA nor SM2");
    SEAL_ENSURE(digest && digest_len == (size_t)EVP_MD_get_size(md), SEAL_EINVAL,
                "the content digest has %zu bytes; %s needs %d", digest_len, EVP_MD_get0_name(md),
                EVP_MD_get_size(md));
    SEAL_TRY(issuer_der(&issuer, cert));
    SEAL_TRY(serial_der(&serial, cert));
    SEAL_TRY(make_signed_attrs(&attrs, cert, content_type, digest, digest_len, &issuer, &serial));
    seal_der_tlv(&w, SEAL_DER_SET, attrs.data, attrs.len);
    SEAL_TRY(seal_der_finish(&w, to_sign));
out:
    seal_buf_clear(&w.out);
    seal_buf_clear(&issuer);
    seal_buf_clear(&serial);
    seal_buf_clear(&attrs);
    return rc;
}

/* The SignedData around `sig`, a signature by `cert`'s key over `to_sign` (what
 * signed_attrs made); the content goes inside when `content` is not NULL, else the
 * signature is detached. */
static int assemble_signed_data(seal_buf *der, X509 *cert, STACK_OF(X509) * chain, bool with_certs,
                                const char *content_type, const uint8_t *content,
                                size_t content_len, const uint8_t *to_sign, size_t to_sign_len,
                                const uint8_t *sig, size_t sig_len)
{
    int rc = 0;
    seal_buf issuer = SEAL_BUF_INIT, serial = SEAL_BUF_INIT;
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    seal_der_elem attrs;

    SEAL_ENSURE(cert && X509_get0_pubkey(cert), SEAL_EINVAL, "no signer certificate");
    seal_key_alg alg = seal_key_alg_of(X509_get0_pubkey(cert));
    SEAL_ENSURE(alg != SEAL_ALG_UNKNOWN, SEAL_EUNSUPPORTED,
                "the certificate's key is neither RSA, ECDSA nor SM2");
    SEAL_ENSURE(sig && sig_len > 0, SEAL_EINVAL, "no signature to put in the CMS");
    seal_slice cur = seal_slice_of(to_sign, to_sign_len);
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SET, &attrs, "the signed attributes"));
    SEAL_ENSURE(cur.len == 0, SEAL_EFORMAT, "bytes after the signed attributes");
    SEAL_TRY(issuer_der(&issuer, cert));
    SEAL_TRY(serial_der(&serial, cert));

    size_t content_info = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_oid(&w, OID_SIGNED_DATA);
    size_t explicit0 = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 0);
    size_t signed_data = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    /* RFC 5652 5.1: version 1 with issuerAndSerialNumber, no attribute certs and id-data;
     * 3 when the content is of another type (a TSTInfo). */
    seal_der_int(&w, strcmp(content_type, OID_DATA) == 0 ? 1 : 3);
    size_t digest_algs = seal_der_begin(&w, SEAL_DER_SET);
    write_digest_alg(&w, alg);
    seal_der_end(&w, digest_algs);
    size_t encap = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_oid(&w, content_type);
    if (content) {
        /* eContent [0] EXPLICIT OCTET STRING (RFC 5652 5.2); absent when detached. */
        size_t econtent = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 0);
        seal_der_octet_string(&w, content, content_len);
        seal_der_end(&w, econtent);
    }
    seal_der_end(&w, encap);
    if (with_certs)
        SEAL_TRY(write_certificates(&w, cert, chain));

    size_t signer_infos = seal_der_begin(&w, SEAL_DER_SET);
    size_t signer_info = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_int(&w, 1); /* RFC 5652 5.3: version 1 with issuerAndSerialNumber */
    size_t sid = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_raw(&w, issuer.data, issuer.len);
    seal_der_raw(&w, serial.data, serial.len);
    seal_der_end(&w, sid);
    write_digest_alg(&w, alg);
    seal_der_tlv(&w, SEAL_DER_CONTEXT_CONS | 0, attrs.content.data, attrs.content.len);
    write_signature_alg(&w, alg);
    seal_der_octet_string(&w, sig, sig_len);
    seal_der_end(&w, signer_info);
    seal_der_end(&w, signer_infos);

    seal_der_end(&w, signed_data);
    seal_der_end(&w, explicit0);
    seal_der_end(&w, content_info);
    SEAL_TRY(seal_der_finish(&w, der));
out:
    seal_buf_clear(&w.out); /* a half-written encoding after a failure */
    seal_buf_clear(&issuer);
    seal_buf_clear(&serial);
    return rc;
}

/* Both phases at once, for a signer that signs here. */
static int sign_signed_data(seal_buf *der, const seal_signer *s, const char *content_type,
                            const uint8_t *content, size_t content_len, bool with_certs,
                            const uint8_t *digest, size_t digest_len)
{
    int rc = 0;
    seal_buf to_sign = SEAL_BUF_INIT, sig = SEAL_BUF_INIT;
    SEAL_TRY(signed_attrs(&to_sign, seal_signer_cert(s), content_type, digest, digest_len));
    SEAL_TRY(seal_signer_sign(s, &sig, to_sign.data, to_sign.len));
    SEAL_TRY(assemble_signed_data(der, seal_signer_cert(s), seal_signer_chain(s), with_certs,
                                  content_type, content, content_len, to_sign.data, to_sign.len,
                                  sig.data, sig.len));
out:
    seal_buf_clear(&to_sign);
    seal_buf_clear(&sig);
    return rc;
}

int seal_cms_signed_attrs(seal_buf *to_sign, X509 *cert, const uint8_t *digest, size_t digest_len)
{
    return signed_attrs(to_sign, cert, OID_DATA, digest, digest_len);
}

int seal_cms_assemble_detached(seal_buf *der, X509 *cert, STACK_OF(X509) * chain,
                               const uint8_t *to_sign, size_t to_sign_len, const uint8_t *sig,
                               size_t sig_len)
{
    return assemble_signed_data(der, cert, chain, true, OID_DATA, NULL, 0, to_sign, to_sign_len,
                                sig, sig_len);
}

int seal_cms_sign_detached(seal_buf *der, const seal_signer *s, const uint8_t *digest,
                           size_t digest_len)
{
    return sign_signed_data(der, s, OID_DATA, NULL, 0, true, digest, digest_len);
}

int seal_cms_sign_content(seal_buf *der, const seal_signer *s, const char *content_type,
                          const uint8_t *content, size_t len, bool with_certs)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len = 0;
    if (!content_type || !content || len == 0)
        return seal_error_set(SEAL_EINVAL, "no content to sign");
    int rc = seal_digest(seal_signer_md(s), content, len, digest, &digest_len);
    if (rc < 0)
        return rc;
    return sign_signed_data(der, s, content_type, content, len, with_certs, digest, digest_len);
}

/* Rewrites ContentInfo > SignedData > signerInfos > the one SignerInfo with `attr` added to
 * its unsignedAttrs [1] IMPLICIT (RFC 5652 5.3), every enclosing length re-encoded. The
 * signature does not cover unsigned attributes, so it stays valid. */
int seal_cms_add_unsigned_attr(seal_buf *der, const char *oid, const uint8_t *value, size_t len)
{
    int rc = 0;
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    seal_buf attr = SEAL_BUF_INIT, copy = SEAL_BUF_INIT;
    seal_der_elem content_info, type, explicit0, signed_data, e, signer_info, unsigned_attrs = {0};

    SEAL_TRY(make_attr(&attr, oid, value, len));
    /* The reader's slices point into `copy` while `der` is rewritten. */
    SEAL_TRY(seal_buf_set(&copy, der->data, der->len));
    seal_slice cur = seal_slice_of(copy.data, copy.len);
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &content_info, "CMS ContentInfo"));
    SEAL_TRY(seal_der_expect(&content_info.content, SEAL_DER_OID, &type, "CMS content type"));
    SEAL_TRY(seal_der_expect(&content_info.content, SEAL_DER_CONTEXT_CONS | 0, &explicit0,
                             "CMS content"));
    SEAL_TRY(seal_der_expect(&explicit0.content, SEAL_DER_SEQUENCE, &signed_data, "SignedData"));

    size_t ci = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_raw(&w, type.whole.data, type.whole.len);
    size_t x0 = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 0);
    size_t sd = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    /* Everything before signerInfos, the last element of SignedData, stays as it is. */
    for (;;) {
        SEAL_TRY(seal_der_next(&signed_data.content, &e, "SignedData"));
        if (signed_data.content.len == 0)
            break;
        seal_der_raw(&w, e.whole.data, e.whole.len);
    }
    SEAL_ENSURE(e.tag == SEAL_DER_SET, SEAL_EFORMAT,
                "the SignedData does not end with signerInfos");
    SEAL_TRY(seal_der_expect(&e.content, SEAL_DER_SEQUENCE, &signer_info, "SignerInfo"));
    SEAL_ENSURE(e.content.len == 0, SEAL_EFORMAT,
                "the SignedData has more than one SignerInfo; PAdES allows one");
    size_t infos = seal_der_begin(&w, SEAL_DER_SET);
    size_t info = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    while (signer_info.content.len > 0) {
        SEAL_TRY(seal_der_next(&signer_info.content, &e, "SignerInfo"));
        if (e.tag == (SEAL_DER_CONTEXT_CONS | 1))
            unsigned_attrs = e;
        else
            seal_der_raw(&w, e.whole.data, e.whole.len);
    }
    size_t unsigned_mark = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 1);
    if (unsigned_attrs.whole.data)
        seal_der_raw(&w, unsigned_attrs.content.data, unsigned_attrs.content.len);
    seal_der_raw(&w, attr.data, attr.len);
    seal_der_end(&w, unsigned_mark);
    seal_der_end(&w, info);
    seal_der_end(&w, infos);
    seal_der_end(&w, sd);
    seal_der_end(&w, x0);
    seal_der_end(&w, ci);
    SEAL_TRY(seal_der_finish(&w, der));
out:
    seal_buf_clear(&w.out);
    seal_buf_clear(&attr);
    seal_buf_clear(&copy);
    return rc;
}
