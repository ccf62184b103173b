/* RFC 3161 TimeStampTokens: a CMS SignedData whose content is a TSTInfo (2.4.2). Verify
 * flow: the PDF verifier hands us a token from a signature's unsigned attributes or a
 * document timestamp's /Contents; we read the TSTInfo, check the TSA's signature, its ESS
 * binding and its certificate's extendedKeyUsage, and compare the imprint. The client
 * checks every token it receives the same way. */
#include "crypto_int.h"
#include "tsp_internal.h"

#include <seal/cms.h>
#include <seal/error.h>

#include <limits.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

struct seal_tst {
    seal_buf der; /* the token without padding */
    seal_cms *cms;
    seal_tst_info info; /* slices point into the CMS's copy of the token */
    X509_NAME *tsa_dir_name;
};

/* Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL,
 * micros [1] INTEGER (1..999) OPTIONAL }, rounded up to whole milliseconds. */
static int read_accuracy(seal_slice cur, long *ms)
{
    int rc = 0;
    seal_der_elem e;
    long seconds = 0, millis = 0, micros = 0;
    if (seal_der_peek(&cur, SEAL_DER_INTEGER)) {
        SEAL_TRY(seal_der_next(&cur, &e, "TSTInfo accuracy seconds"));
        SEAL_TRY(seal_der_read_int(&e, &seconds, "TSTInfo accuracy seconds"));
    }
    if (seal_der_peek(&cur, SEAL_DER_CONTEXT | 0)) {
        SEAL_TRY(seal_der_next(&cur, &e, "TSTInfo accuracy millis"));
        e.tag = SEAL_DER_INTEGER;
        SEAL_TRY(seal_der_read_int(&e, &millis, "TSTInfo accuracy millis"));
    }
    if (seal_der_peek(&cur, SEAL_DER_CONTEXT | 1)) {
        SEAL_TRY(seal_der_next(&cur, &e, "TSTInfo accuracy micros"));
        e.tag = SEAL_DER_INTEGER;
        SEAL_TRY(seal_der_read_int(&e, &micros, "TSTInfo accuracy micros"));
    }
    SEAL_ENSURE(cur.len == 0 && seconds >= 0 && seconds < LONG_MAX / 1000 - 1000 && millis >= 0 &&
                    millis <= 999 && micros >= 0 && micros <= 999,
                SEAL_EFORMAT, "the TSTInfo accuracy is malformed");
    *ms = seconds * 1000 + millis + (micros > 0);
out:
    return rc;
}

/* tsa [0] GeneralName OPTIONAL: explicit, since GeneralName is a CHOICE (X.680 31.2.7);
 * only a directoryName [4] is read, other forms are kept unnamed. */
static int read_tsa_name(seal_tst *t, seal_der_elem *tagged)
{
    int rc = 0;
    seal_der_elem name, dir;
    SEAL_TRY(seal_der_next(&tagged->content, &name, "TSTInfo tsa"));
    if (name.tag != (SEAL_DER_CONTEXT_CONS | 4))
        return 0;
    SEAL_TRY(seal_der_expect(&name.content, SEAL_DER_SEQUENCE, &dir, "TSTInfo tsa name"));
    const unsigned char *p = dir.whole.data;
    t->tsa_dir_name = d2i_X509_NAME(NULL, &p, (long)dir.whole.len);
    if (!t->tsa_dir_name) {
        ERR_clear_error();
        SEAL_FAIL(SEAL_EFORMAT, "the TSTInfo tsa name is damaged");
    }
    t->info.tsa_name = seal_x509_name_text(t->tsa_dir_name);
    SEAL_ENSURE(t->info.tsa_name, SEAL_ENOMEM, "out of memory");
out:
    return rc;
}

/* TSTInfo (RFC 3161 2.4.2): version, policy, messageImprint, serialNumber, genTime,
 * accuracy, ordering, nonce, tsa, extensions. */
static int read_tst_info(seal_tst *t, seal_slice der)
{
    int rc = 0;
    seal_der_elem info, e;
    long version = 0;
    seal_tst_info *i = &t->info;
    i->accuracy_ms = -1;

    SEAL_TRY(seal_der_expect(&der, SEAL_DER_SEQUENCE, &info, "TSTInfo"));
    SEAL_ENSURE(der.len == 0, SEAL_EFORMAT, "the TSTInfo has trailing data");
    seal_slice cur = info.content;
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_INTEGER, &e, "TSTInfo version"));
    SEAL_TRY(seal_der_read_int(&e, &version, "TSTInfo version"));
    SEAL_ENSURE(version == 1, SEAL_EFORMAT, "the TSTInfo has version %ld, not 1", version);
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_OID, &e, "TSTInfo policy"));
    SEAL_TRY(tsp_oid_read(&e, i->policy, "TSTInfo policy"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &e, "TSTInfo messageImprint"));
    SEAL_TRY(tsp_imprint_read(e.content, i->hash_oid, &i->md, &i->imprint));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_INTEGER, &e, "TSTInfo serialNumber"));
    SEAL_ENSURE(e.content.len > 0, SEAL_EFORMAT, "the TSTInfo serial number is empty");
    i->serial = e.content;
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_GENERALIZED_TIME, &e, "TSTInfo genTime"));
    SEAL_TRY(seal_der_read_time(&e, &i->gen_time, "TSTInfo genTime"));
    if (seal_der_peek(&cur, SEAL_DER_SEQUENCE)) {
        SEAL_TRY(seal_der_next(&cur, &e, "TSTInfo accuracy"));
        SEAL_TRY(read_accuracy(e.content, &i->accuracy_ms));
    }
    if (seal_der_peek(&cur, SEAL_DER_BOOLEAN))
        SEAL_TRY(seal_der_next(&cur, &e, "TSTInfo ordering"));
    if (seal_der_peek(&cur, SEAL_DER_INTEGER)) {
        SEAL_TRY(seal_der_next(&cur, &e, "TSTInfo nonce"));
        i->nonce = e.content;
    }
    if (seal_der_peek(&cur, SEAL_DER_CONTEXT_CONS | 0)) {
        SEAL_TRY(seal_der_next(&cur, &e, "TSTInfo tsa"));
        SEAL_TRY(read_tsa_name(t, &e));
    }
    if (seal_der_peek(&cur, SEAL_DER_CONTEXT_CONS | 1))
        SEAL_TRY(seal_der_next(&cur, &e, "TSTInfo extensions"));
    SEAL_ENSURE(cur.len == 0, SEAL_EFORMAT, "the TSTInfo has unexpected fields");
out:
    return rc;
}

int seal_tst_parse(seal_tst **out, const uint8_t *der, size_t len)
{
    int rc = 0;
    seal_tst *t = NULL;
    seal_der_elem whole;
    *out = NULL;
    SEAL_ENSURE(der && len > 0, SEAL_EFORMAT, "the timestamp token is empty");
    seal_slice cur = seal_slice_of(der, len);
    SEAL_TRY(seal_der_next(&cur, &whole, "timestamp token"));
    for (size_t k = 0; k < cur.len; k++)
        SEAL_ENSURE(cur.data[k] == 0, SEAL_EFORMAT,
                    "the timestamp token is followed by %zu bytes that are not zero padding",
                    cur.len);
    t = calloc(1, sizeof *t);
    SEAL_ENSURE(t, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(seal_buf_set(&t->der, whole.whole.data, whole.whole.len));
    rc = seal_cms_parse(&t->cms, t->der.data, t->der.len);
    if (rc < 0)
        SEAL_TRY(seal_error_wrap(rc, "the timestamp token"));
    SEAL_ENSURE(strcmp(seal_cms_content_type(t->cms), SEAL_OID_CT_TST_INFO) == 0, SEAL_EFORMAT,
                "the timestamp token holds content of type %s, not a TSTInfo",
                seal_cms_content_type(t->cms));
    SEAL_ENSURE(seal_cms_content(t->cms).data, SEAL_EFORMAT,
                "the timestamp token does not carry its TSTInfo");
    SEAL_TRY(read_tst_info(t, seal_cms_content(t->cms)));
    *out = t;
    t = NULL;
out:
    seal_tst_free(t);
    return rc;
}

void seal_tst_free(seal_tst *t)
{
    if (!t)
        return;
    seal_cms_free(t->cms);
    seal_buf_clear(&t->der);
    X509_NAME_free(t->tsa_dir_name);
    free(t->info.tsa_name);
    free(t);
}

const seal_tst_info *seal_tst_get_info(const seal_tst *t)
{
    return &t->info;
}

X509 *seal_tst_signer_cert(const seal_tst *t)
{
    return seal_cms_signer_cert(t->cms);
}

STACK_OF(X509) * seal_tst_certs(const seal_tst *t)
{
    return seal_cms_certs(t->cms);
}

seal_slice seal_tst_der(const seal_tst *t)
{
    return seal_slice_of(t->der.data, t->der.len);
}

char *seal_tst_tsa_display_name(const seal_tst *t)
{
    X509 *cert = seal_tst_signer_cert(t);
    if (cert)
        return seal_cert_subject_cn(cert);
    return strdup(t->info.tsa_name ? t->info.tsa_name : "an unnamed TSA");
}

/* RFC 3161 2.3: "The corresponding certificate MUST contain only one instance of the
 * extended key usage field extension ... with KeyPurposeID having value id-kp-timeStamping.
 * This extension MUST be critical." */
int tsp_check_tsa_eku(X509 *cert)
{
    int rc = 0;
    int where = X509_get_ext_by_NID(cert, NID_ext_key_usage, -1);
    SEAL_ENSURE(where >= 0, SEAL_EPKI,
                "the TSA certificate has no extendedKeyUsage; RFC 3161 requires "
                "id-kp-timeStamping");
    SEAL_ENSURE(X509_get_ext_by_NID(cert, NID_ext_key_usage, where) < 0, SEAL_EPKI,
                "the TSA certificate has two extendedKeyUsage extensions");
    SEAL_ENSURE(X509_EXTENSION_get_critical(X509_get_ext(cert, where)), SEAL_EPKI,
                "the TSA certificate's extendedKeyUsage is not critical, as RFC 3161 2.3 "
                "requires");
    EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(cert, NID_ext_key_usage, NULL, NULL);
    bool only_timestamping = eku && sk_ASN1_OBJECT_num(eku) == 1 &&
                             OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, 0)) == NID_time_stamp;
    EXTENDED_KEY_USAGE_free(eku);
    ERR_clear_error();
    SEAL_ENSURE(only_timestamping, SEAL_EPKI,
                "the TSA certificate's extendedKeyUsage is not id-kp-timeStamping alone");
out:
    return rc;
}

int seal_tst_check(const seal_tst *t)
{
    int rc = 0;
    seal_cms_outcome result;
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len = 0;
    X509 *cert = seal_cms_signer_cert(t->cms);
    const EVP_MD *md = seal_cms_digest_md(t->cms);
    seal_slice content = seal_cms_content(t->cms);

    SEAL_ENSURE(cert, SEAL_EPKI,
                "the timestamp token does not carry the TSA's certificate, so it cannot be "
                "checked");
    SEAL_ENSURE(md, SEAL_EUNSUPPORTED, "the timestamp token uses an unsupported digest");
    SEAL_TRY(seal_digest(md, content.data, content.len, digest, &digest_len));
    SEAL_TRY(seal_cms_check(&result, t->cms, digest, digest_len));
    SEAL_ENSURE(result.digest_ok, SEAL_ECRYPTO,
                "the timestamp token's message digest does not match its TSTInfo: the token "
                "was altered");
    SEAL_ENSURE(result.signature_ok, SEAL_ECRYPTO,
                "the TSA's signature on the timestamp token does not verify");
    SEAL_ENSURE(result.has_signing_cert_attr, SEAL_EPKI,
                "the timestamp token lacks the ESS signing-certificate attribute RFC 3161 2.4.2 "
                "requires");
    SEAL_ENSURE(result.signing_cert_ok, SEAL_EPKI,
                "the timestamp token's signing-certificate attribute names another certificate");
    SEAL_TRY(tsp_check_tsa_eku(cert));
    /* RFC 3161 2.4.2: the tsa field, when present, names the TSA certificate's subject. */
    SEAL_ENSURE(!t->tsa_dir_name ||
                    X509_NAME_cmp(t->tsa_dir_name, X509_get_subject_name(cert)) == 0,
                SEAL_EPKI,
                "the token's tsa field (%s) is not the name of the certificate that "
                "signed it",
                t->info.tsa_name ? t->info.tsa_name : "?");
out:
    return rc;
}

int seal_tst_imprint_is(const seal_tst *t, const EVP_MD *md, const uint8_t *digest,
                        size_t digest_len)
{
    return t->info.md && md && EVP_MD_get_type(t->info.md) == EVP_MD_get_type(md) &&
           t->info.imprint.len == digest_len &&
           memcmp(t->info.imprint.data, digest, digest_len) == 0;
}

int seal_tst_imprint_matches(const seal_tst *t, const uint8_t *data, size_t len)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len = 0;
    if (!t->info.md)
        return seal_error_set(SEAL_EUNSUPPORTED,
                              "the timestamp's imprint uses an unsupported hash (%s)",
                              t->info.hash_oid);
    int rc = seal_digest(t->info.md, data, len, digest, &digest_len);
    if (rc < 0)
        return rc;
    return seal_tst_imprint_is(t, t->info.md, digest, digest_len);
}
