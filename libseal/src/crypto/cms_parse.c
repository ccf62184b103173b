/* Reading and checking the CMS SignedData of a PDF signature, ours or anyone's (RFC 5652).
 * Verify flow: the PDF verifier hands us the /Contents bytes; we keep the exact stored
 * encodings (never re-encode), the caller hashes the ByteRange with the digest named
 * here, and seal_cms_check compares it and checks the signature over the signed
 * attributes and the ESS signing-certificate binding (PDF-SIGN.md 5.3). */
#include "crypto_int.h"

#include <seal/cms.h>
#include <seal/der.h>
#include <seal/error.h>

#include <limits.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#define OID_SIGNED_DATA          "1.2.840.113549.1.7.2"
#define OID_SIGNED_DATA_GB       "1.2.156.10197.6.1.4.2.2" /* GB/T 35275 */
#define OID_ATTR_CONTENT_TYPE    "1.2.840.113549.1.9.3"
#define OID_ATTR_MESSAGE_DIGEST  "1.2.840.113549.1.9.4"
#define OID_ATTR_SIGNING_TIME    "1.2.840.113549.1.9.5"
#define OID_ATTR_SIGNING_CERT    "1.2.840.113549.1.9.16.2.12"
#define OID_ATTR_SIGNING_CERT_V2 "1.2.840.113549.1.9.16.2.47"

#define OID_MAX 128

struct seal_cms {
    seal_buf der; /* our copy of the input; every slice below points into it */
    STACK_OF(X509) * certs;
    X509 *signer; /* borrowed from certs */
    char content_type[OID_MAX];
    char digest_oid[OID_MAX];
    char sig_alg_oid[OID_MAX];
    const EVP_MD *md;
    seal_slice signature;
    seal_slice content;        /* eContent octets; data NULL when detached */
    seal_slice signed_attrs;   /* the whole [0] element; data NULL when absent */
    seal_slice unsigned_attrs; /* the content of [1]; data NULL when absent */
    seal_slice message_digest;
    bool has_message_digest;
    bool has_signing_time;
    time_t signing_time;
    seal_slice ess_v2; /* the SigningCertificateV2 value; data NULL when absent */
    seal_slice ess_v1; /* the SigningCertificate value */
    /* The SignerIdentifier: issuerAndSerialNumber, or subjectKeyIdentifier. */
    X509_NAME *sid_issuer;
    ASN1_INTEGER *sid_serial;
    seal_slice sid_key_id;
};

static bool all_zero(seal_slice s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.data[i] != 0)
            return false;
    return true;
}

static int read_alg_oid(seal_slice *cur, char *oid, const char *what)
{
    int rc = 0;
    seal_der_elem alg, id;
    SEAL_TRY(seal_der_expect(cur, SEAL_DER_SEQUENCE, &alg, what));
    SEAL_TRY(seal_der_expect(&alg.content, SEAL_DER_OID, &id, what));
    SEAL_TRY(seal_der_read_oid(&id, oid, OID_MAX, what));
out:
    return rc;
}

/* CertificateChoices (RFC 5652 10.2.2): only plain X.509 certificates (a SEQUENCE) are
 * kept; attribute and other certificate formats are skipped. */
static int read_certificates(seal_cms *cms, seal_slice set)
{
    int rc = 0;
    seal_der_elem e;
    while (set.len > 0) {
        SEAL_TRY(seal_der_next(&set, &e, "CMS certificates"));
        if (e.tag != SEAL_DER_SEQUENCE)
            continue;
        const unsigned char *p = e.whole.data;
        X509 *cert = d2i_X509(NULL, &p, (long)e.whole.len);
        if (!cert || p != e.whole.data + e.whole.len) {
            X509_free(cert);
            ERR_clear_error();
            SEAL_FAIL(SEAL_EFORMAT, "the CMS carries a damaged certificate (number %d)",
                      sk_X509_num(cms->certs) + 1);
        }
        if (!sk_X509_push(cms->certs, cert)) {
            X509_free(cert);
            SEAL_FAIL(SEAL_ENOMEM, "out of memory");
        }
    }
out:
    return rc;
}

static int read_sid(seal_cms *cms, seal_slice *cur)
{
    int rc = 0;
    seal_der_elem sid, name, serial;
    SEAL_TRY(seal_der_next(cur, &sid, "CMS signer identifier"));
    if (sid.tag == SEAL_DER_CONTEXT) {
        /* subjectKeyIdentifier [0] IMPLICIT OCTET STRING (RFC 5652 5.3) */
        cms->sid_key_id = sid.content;
        return 0;
    }
    SEAL_ENSURE(sid.tag == SEAL_DER_SEQUENCE, SEAL_EFORMAT,
                "the CMS signer identifier is neither issuerAndSerialNumber nor a key "
                "identifier (tag 0x%02x)",
                sid.tag);
    SEAL_TRY(seal_der_expect(&sid.content, SEAL_DER_SEQUENCE, &name, "CMS signer issuer"));
    SEAL_TRY(seal_der_expect(&sid.content, SEAL_DER_INTEGER, &serial, "CMS signer serial"));
    const unsigned char *p = name.whole.data;
    cms->sid_issuer = d2i_X509_NAME(NULL, &p, (long)name.whole.len);
    p = serial.whole.data;
    cms->sid_serial = d2i_ASN1_INTEGER(NULL, &p, (long)serial.whole.len);
    if (!cms->sid_issuer || !cms->sid_serial) {
        ERR_clear_error();
        SEAL_FAIL(SEAL_EFORMAT, "the CMS signer's issuer name or serial number is damaged");
    }
out:
    return rc;
}

/* Reads the single value of an attribute; RFC 5652 11 and RFC 5035 require exactly one
 * for each attribute we use. */
static int single_value(seal_slice values, seal_der_elem *value, const char *name)
{
    int rc = 0;
    SEAL_TRY(seal_der_next(&values, value, name));
    SEAL_ENSURE(values.len == 0, SEAL_EFORMAT, "the CMS %s attribute has more than one value",
                name);
out:
    return rc;
}

static int read_signed_attrs(seal_cms *cms)
{
    int rc = 0;
    seal_slice cur;
    seal_der_elem outer, attr, type, values, value;
    bool has_content_type = false;
    char oid[OID_MAX];

    cur = cms->signed_attrs;
    SEAL_TRY(seal_der_next(&cur, &outer, "CMS signed attributes"));
    cur = outer.content;
    while (cur.len > 0) {
        SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &attr, "CMS signed attribute"));
        SEAL_TRY(seal_der_expect(&attr.content, SEAL_DER_OID, &type, "CMS signed attribute"));
        SEAL_TRY(seal_der_read_oid(&type, oid, sizeof oid, "CMS signed attribute"));
        SEAL_TRY(seal_der_expect(&attr.content, SEAL_DER_SET, &values, "CMS signed attribute"));
        if (strcmp(oid, OID_ATTR_CONTENT_TYPE) == 0) {
            char value_oid[OID_MAX];
            SEAL_ENSURE(!has_content_type, SEAL_EFORMAT, "the CMS has two content-type attributes");
            SEAL_TRY(single_value(values.content, &value, "content-type"));
            SEAL_TRY(seal_der_read_oid(&value, value_oid, sizeof value_oid, "content-type"));
            /* RFC 5652 11.1: it must name the same type as encapContentInfo. */
            SEAL_ENSURE(strcmp(value_oid, cms->content_type) == 0, SEAL_EFORMAT,
                        "the CMS content-type attribute (%s) differs from its content (%s)",
                        value_oid, cms->content_type);
            has_content_type = true;
        } else if (strcmp(oid, OID_ATTR_MESSAGE_DIGEST) == 0) {
            SEAL_ENSURE(!cms->has_message_digest, SEAL_EFORMAT,
                        "the CMS has two message-digest attributes");
            SEAL_TRY(single_value(values.content, &value, "message-digest"));
            SEAL_ENSURE(value.tag == SEAL_DER_OCTET_STRING, SEAL_EFORMAT,
                        "the CMS message-digest attribute is not an OCTET STRING");
            cms->message_digest = value.content;
            cms->has_message_digest = true;
        } else if (strcmp(oid, OID_ATTR_SIGNING_TIME) == 0) {
            SEAL_ENSURE(!cms->has_signing_time, SEAL_EFORMAT,
                        "the CMS has two signing-time attributes");
            SEAL_TRY(single_value(values.content, &value, "signing-time"));
            SEAL_TRY(seal_der_read_time(&value, &cms->signing_time, "CMS signing-time"));
            cms->has_signing_time = true;
        } else if (strcmp(oid, OID_ATTR_SIGNING_CERT_V2) == 0 ||
                   strcmp(oid, OID_ATTR_SIGNING_CERT) == 0) {
            bool v2 = strcmp(oid, OID_ATTR_SIGNING_CERT_V2) == 0;
            seal_slice *slot = v2 ? &cms->ess_v2 : &cms->ess_v1;
            SEAL_ENSURE(!slot->data, SEAL_EFORMAT,
                        "the CMS has two signing-certificate%s attributes", v2 ? "-v2" : "");
            SEAL_TRY(single_value(values.content, &value, "signing-certificate"));
            SEAL_ENSURE(value.tag == SEAL_DER_SEQUENCE, SEAL_EFORMAT,
                        "the CMS signing-certificate attribute is not a SEQUENCE");
            *slot = value.whole;
        }
    }
    /* RFC 5652 5.3: with signed attributes, content-type and message-digest are required. */
    SEAL_ENSURE(has_content_type && cms->has_message_digest, SEAL_EFORMAT,
                "the CMS signed attributes lack the %s attribute",
                has_content_type ? "message-digest" : "content-type");
out:
    return rc;
}

static int read_signer_info(seal_cms *cms, seal_slice cur)
{
    int rc = 0;
    seal_der_elem version, e;

    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_INTEGER, &version, "CMS signer info version"));
    SEAL_TRY(read_sid(cms, &cur));
    SEAL_TRY(read_alg_oid(&cur, cms->digest_oid, "CMS signer digest algorithm"));
    cms->md = seal_md_by_oid(cms->digest_oid);
    if (seal_der_peek(&cur, SEAL_DER_CONTEXT_CONS | 0)) {
        SEAL_TRY(seal_der_next(&cur, &e, "CMS signed attributes"));
        cms->signed_attrs = e.whole;
        SEAL_TRY(read_signed_attrs(cms));
    }
    SEAL_TRY(read_alg_oid(&cur, cms->sig_alg_oid, "CMS signature algorithm"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_OCTET_STRING, &e, "CMS signature value"));
    cms->signature = e.content;
    if (seal_der_peek(&cur, SEAL_DER_CONTEXT_CONS | 1)) {
        SEAL_TRY(seal_der_next(&cur, &e, "CMS unsigned attributes"));
        cms->unsigned_attrs = e.content;
    }
    SEAL_ENSURE(cur.len == 0, SEAL_EFORMAT, "the CMS signer info has unexpected trailing data");
out:
    return rc;
}

static bool cert_is_signer(const seal_cms *cms, X509 *cert)
{
    if (cms->sid_issuer)
        return X509_NAME_cmp(X509_get_issuer_name(cert), cms->sid_issuer) == 0 &&
               ASN1_INTEGER_cmp(X509_get0_serialNumber(cert), cms->sid_serial) == 0;
    const ASN1_OCTET_STRING *key_id = X509_get0_subject_key_id(cert);
    return key_id && (size_t)ASN1_STRING_length(key_id) == cms->sid_key_id.len &&
           memcmp(ASN1_STRING_get0_data(key_id), cms->sid_key_id.data, cms->sid_key_id.len) == 0;
}

static int read_signed_data(seal_cms *cms, seal_slice cur)
{
    int rc = 0;
    seal_der_elem e, encap, signer_infos, signer_info;

    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_INTEGER, &e, "CMS SignedData version"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SET, &e, "CMS digest algorithms"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &encap, "CMS encapsulated content"));
    SEAL_TRY(seal_der_expect(&encap.content, SEAL_DER_OID, &e, "CMS content type"));
    SEAL_TRY(seal_der_read_oid(&e, cms->content_type, OID_MAX, "CMS content type"));
    if (encap.content.len > 0) {
        /* eContent [0] EXPLICIT OCTET STRING (RFC 5652 5.2), e.g. a timestamp's TSTInfo. */
        SEAL_TRY(seal_der_expect(&encap.content, SEAL_DER_CONTEXT_CONS | 0, &e, "CMS content"));
        SEAL_TRY(seal_der_expect(&e.content, SEAL_DER_OCTET_STRING, &e, "CMS content"));
        cms->content = e.content;
        SEAL_ENSURE(encap.content.len == 0, SEAL_EFORMAT,
                    "the CMS encapsulated content has unexpected trailing data");
    }
    if (seal_der_peek(&cur, SEAL_DER_CONTEXT_CONS | 0)) {
        SEAL_TRY(seal_der_next(&cur, &e, "CMS certificates"));
        SEAL_TRY(read_certificates(cms, e.content));
    }
    if (seal_der_peek(&cur, SEAL_DER_CONTEXT_CONS | 1)) /* revocation data, read by pki/ */
        SEAL_TRY(seal_der_next(&cur, &e, "CMS revocation data"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SET, &signer_infos, "CMS signer infos"));
    SEAL_ENSURE(cur.len == 0, SEAL_EFORMAT, "the CMS SignedData has unexpected trailing data");

    int count = 0;
    seal_slice infos = signer_infos.content;
    while (infos.len > 0) {
        SEAL_TRY(seal_der_expect(&infos, SEAL_DER_SEQUENCE, &signer_info, "CMS signer info"));
        count++;
    }
    /* ETSI EN 319 142-1 5.1 (and ISO 32000-2 12.8.3.3): one signer per PDF signature. */
    SEAL_ENSURE(count == 1, SEAL_EFORMAT, "the CMS has %d signer infos; PAdES requires exactly one",
                count);
    SEAL_TRY(read_signer_info(cms, signer_info.content));

    for (int i = 0; i < sk_X509_num(cms->certs) && !cms->signer; i++)
        if (cert_is_signer(cms, sk_X509_value(cms->certs, i)))
            cms->signer = sk_X509_value(cms->certs, i);
out:
    return rc;
}

int seal_cms_parse(seal_cms **out, const uint8_t *der, size_t len)
{
    int rc = 0;
    seal_cms *cms = NULL;
    seal_der_elem content_info, e;
    char oid[OID_MAX];

    SEAL_ENSURE(der && len > 0, SEAL_EFORMAT, "the CMS signature is empty");
    SEAL_ENSURE(len <= LONG_MAX, SEAL_EFORMAT, "the CMS signature is too large");
    cms = calloc(1, sizeof *cms);
    SEAL_ENSURE(cms, SEAL_ENOMEM, "out of memory");
    cms->certs = sk_X509_new_null();
    SEAL_ENSURE(cms->certs, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(seal_buf_set(&cms->der, der, len));

    seal_slice cur = seal_slice_of(cms->der.data, cms->der.len);
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &content_info, "CMS ContentInfo"));
    /* PDF /Contents is zero-padded after the DER (ISO 32000-2 12.8.1). */
    SEAL_ENSURE(all_zero(cur), SEAL_EFORMAT,
                "the CMS is followed by %zu bytes that are not zero padding", cur.len);
    SEAL_TRY(seal_der_expect(&content_info.content, SEAL_DER_OID, &e, "CMS content type"));
    SEAL_TRY(seal_der_read_oid(&e, oid, sizeof oid, "CMS content type"));
    SEAL_ENSURE(strcmp(oid, OID_SIGNED_DATA) == 0 || strcmp(oid, OID_SIGNED_DATA_GB) == 0,
                SEAL_EFORMAT, "the CMS holds content of type %s, not SignedData", oid);
    SEAL_TRY(seal_der_expect(&content_info.content, SEAL_DER_CONTEXT_CONS | 0, &e,
                             "CMS ContentInfo content"));
    SEAL_ENSURE(content_info.content.len == 0, SEAL_EFORMAT,
                "the CMS ContentInfo has unexpected trailing data");
    SEAL_TRY(seal_der_expect(&e.content, SEAL_DER_SEQUENCE, &e, "CMS SignedData"));
    SEAL_TRY(read_signed_data(cms, e.content));
    *out = cms;
    cms = NULL;
out:
    seal_cms_free(cms);
    return rc;
}

void seal_cms_free(seal_cms *cms)
{
    if (!cms)
        return;
    sk_X509_pop_free(cms->certs, X509_free);
    X509_NAME_free(cms->sid_issuer);
    ASN1_INTEGER_free(cms->sid_serial);
    seal_buf_clear(&cms->der);
    free(cms);
}

const EVP_MD *seal_cms_digest_md(const seal_cms *cms)
{
    return cms->md;
}

X509 *seal_cms_signer_cert(const seal_cms *cms)
{
    return cms->signer;
}

STACK_OF(X509) * seal_cms_certs(const seal_cms *cms)
{
    return cms->certs;
}

const char *seal_cms_sig_alg_oid(const seal_cms *cms)
{
    return cms->sig_alg_oid;
}

seal_slice seal_cms_signature_value(const seal_cms *cms)
{
    return cms->signature;
}

const char *seal_cms_content_type(const seal_cms *cms)
{
    return cms->content_type;
}

seal_slice seal_cms_content(const seal_cms *cms)
{
    return cms->content;
}

int seal_cms_unsigned_attr(const seal_cms *cms, const char *oid, seal_slice *value)
{
    int rc = 0;
    seal_slice cur = cms->unsigned_attrs;
    seal_der_elem attr, type, values, first;
    char found[OID_MAX];
    while (cur.len > 0) {
        SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &attr, "CMS unsigned attribute"));
        SEAL_TRY(seal_der_expect(&attr.content, SEAL_DER_OID, &type, "CMS unsigned attribute"));
        SEAL_TRY(seal_der_read_oid(&type, found, sizeof found, "CMS unsigned attribute"));
        SEAL_TRY(seal_der_expect(&attr.content, SEAL_DER_SET, &values, "CMS unsigned attribute"));
        if (strcmp(found, oid) != 0)
            continue;
        SEAL_TRY(seal_der_next(&values.content, &first, "CMS unsigned attribute value"));
        *value = first.whole;
        return 0;
    }
    return seal_error_set(SEAL_ENOTFOUND, "the CMS has no unsigned attribute %s", oid);
out:
    return rc;
}

int seal_cms_signing_time(const seal_cms *cms, time_t *out)
{
    if (!cms->has_signing_time)
        return seal_error_set(SEAL_ENOTFOUND, "the CMS has no signing-time attribute");
    *out = cms->signing_time;
    return 0;
}

/* IssuerSerial (RFC 5035 5.4.1.1): GeneralNames holding the issuer as directoryName [4],
 * and the serial number. True when both name the certificate. */
static bool issuer_serial_matches(seal_slice cur, X509 *cert)
{
    seal_der_elem issuer_serial, names, name, serial;
    if (seal_der_expect(&cur, SEAL_DER_SEQUENCE, &issuer_serial, "ESS issuerSerial") < 0 ||
        seal_der_expect(&issuer_serial.content, SEAL_DER_SEQUENCE, &names, "ESS issuer") < 0 ||
        seal_der_expect(&issuer_serial.content, SEAL_DER_INTEGER, &serial, "ESS serial") < 0)
        return false;
    bool name_ok = false;
    while (names.content.len > 0 && !name_ok) {
        if (seal_der_next(&names.content, &name, "ESS issuer") < 0)
            return false;
        if (name.tag != (SEAL_DER_CONTEXT_CONS | 4))
            continue;
        const unsigned char *p = name.content.data;
        X509_NAME *issuer = d2i_X509_NAME(NULL, &p, (long)name.content.len);
        name_ok = issuer && X509_NAME_cmp(issuer, X509_get_issuer_name(cert)) == 0;
        X509_NAME_free(issuer);
    }
    const unsigned char *p = serial.whole.data;
    ASN1_INTEGER *number = d2i_ASN1_INTEGER(NULL, &p, (long)serial.whole.len);
    bool serial_ok = number && ASN1_INTEGER_cmp(number, X509_get0_serialNumber(cert)) == 0;
    ASN1_INTEGER_free(number);
    ERR_clear_error();
    return name_ok && serial_ok;
}

/* SigningCertificate (RFC 2634 5.4, v1: SHA-1) or SigningCertificateV2 (RFC 5035 3:
 * hashAlgorithm DEFAULT SHA-256): the first ESSCertID must name the signer's certificate. */
static bool ess_matches(seal_slice value, bool v2, X509 *cert)
{
    seal_der_elem signing_cert, certs, cert_id, e;
    char oid[OID_MAX];
    const EVP_MD *md = v2 ? EVP_sha256() : EVP_sha1();
    uint8_t hash[EVP_MAX_MD_SIZE];
    size_t hash_len = 0;
    unsigned char *der = NULL;

    if (seal_der_expect(&value, SEAL_DER_SEQUENCE, &signing_cert, "ESS signing certificate") < 0 ||
        seal_der_expect(&signing_cert.content, SEAL_DER_SEQUENCE, &certs, "ESS certs") < 0 ||
        seal_der_expect(&certs.content, SEAL_DER_SEQUENCE, &cert_id, "ESS cert ID") < 0)
        return false;
    if (v2 && seal_der_peek(&cert_id.content, SEAL_DER_SEQUENCE)) {
        if (read_alg_oid(&cert_id.content, oid, "ESS hash algorithm") < 0)
            return false;
        md = seal_md_by_oid(oid);
        if (!md)
            return false;
    }
    if (seal_der_expect(&cert_id.content, SEAL_DER_OCTET_STRING, &e, "ESS cert hash") < 0)
        return false;
    int der_len = i2d_X509(cert, &der);
    bool ok = der_len > 0 && seal_digest(md, der, (size_t)der_len, hash, &hash_len) == 0 &&
              hash_len == e.content.len && memcmp(hash, e.content.data, hash_len) == 0;
    OPENSSL_free(der);
    if (ok && cert_id.content.len > 0)
        ok = issuer_serial_matches(cert_id.content, cert);
    return ok;
}

int seal_cms_check(seal_cms_outcome *result, const seal_cms *cms, const uint8_t *digest,
                   size_t digest_len)
{
    int rc = 0;
    seal_buf to_verify = SEAL_BUF_INIT;

    memset(result, 0, sizeof *result);
    SEAL_ENSURE(cms->md, SEAL_EUNSUPPORTED, "the CMS digest algorithm %s is not supported",
                cms->digest_oid);
    SEAL_ENSURE(digest_len == (size_t)EVP_MD_get_size(cms->md), SEAL_EINVAL,
                "the content digest has %zu bytes; %s needs %d", digest_len,
                EVP_MD_get0_name(cms->md), EVP_MD_get_size(cms->md));
    SEAL_ENSURE(cms->signed_attrs.data, SEAL_EUNSUPPORTED,
                "the CMS signs the content without signed attributes, which PAdES does not "
                "allow");
    SEAL_ENSURE(cms->signer, SEAL_EPKI, "the CMS does not carry the signer's certificate");

    result->digest_ok = cms->message_digest.len == digest_len &&
                        memcmp(cms->message_digest.data, digest, digest_len) == 0;

    /* RFC 5652 5.4: the signature covers the attributes' DER with the EXPLICIT SET OF tag
     * in place of the stored [0] IMPLICIT tag; length and content stay as stored. */
    SEAL_TRY(seal_buf_set(&to_verify, cms->signed_attrs.data, cms->signed_attrs.len));
    to_verify.data[0] = SEAL_DER_SET;
    int verified = seal_verify_signature(cms->signer, cms->sig_alg_oid, cms->md, to_verify.data,
                                         to_verify.len, cms->signature.data, cms->signature.len);
    if (verified < 0 && verified != SEAL_ECRYPTO) {
        rc = verified;
        goto out;
    }
    result->signature_ok = verified == 0;

    result->has_signing_cert_attr = cms->ess_v2.data || cms->ess_v1.data;
    result->signing_cert_ok = (!cms->ess_v2.data || ess_matches(cms->ess_v2, true, cms->signer)) &&
                              (!cms->ess_v1.data || ess_matches(cms->ess_v1, false, cms->signer));
out:
    seal_buf_clear(&to_verify);
    return rc;
}
