/* Reading GB/T 38540 seals of any version (GM/T 0031-2014 v1, GB/T 38540 v4, GM/T
 * 0031-2025 v5) and checking them: the maker's signature, and whether a certificate is
 * bound to the seal. Verify flow: the OFD verifier hands the SESeal bytes it found in a
 * SES_Signature; the bytes come from outside and are read through bounded DER cursors. */
#include <seal/der.h>
#include <seal/error.h>
#include <seal/ses.h>

#include <glib.h>
#include <limits.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The public struct plus what lists_cert needs later: the stored certList content. */
typedef struct eseal_full {
    seal_eseal pub;
    seal_slice cert_list;
} eseal_full;

/* OFD-SEAL.md 1, v1: SES_SealInfo.header.id is "ES" in every version. */
#define SES_HEADER_ID "ES"

/* A string element as C text; NUL bytes inside are refused (they would cut it short). */
static int copy_text(char **out, const seal_der_elem *e, const char *what)
{
    if (memchr(e->content.data, 0, e->content.len))
        return seal_error_set(SEAL_EFORMAT, "%s: text contains a NUL byte", what);
    char *s = malloc(e->content.len + 1);
    if (!s)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    memcpy(s, e->content.data, e->content.len);
    s[e->content.len] = '\0';
    *out = s;
    return 0;
}

static int read_text(seal_slice *cur, uint8_t tag, char **out, const char *what)
{
    seal_der_elem e;
    int rc = seal_der_expect(cur, tag, &e, what);
    return rc < 0 ? rc : copy_text(out, &e, what);
}

static int read_int(seal_slice *cur, long *out, const char *what)
{
    seal_der_elem e;
    int rc = seal_der_expect(cur, SEAL_DER_INTEGER, &e, what);
    return rc < 0 ? rc : seal_der_read_int(&e, out, what);
}

static int read_time(seal_slice *cur, time_t *out, const char *what)
{
    seal_der_elem e;
    int rc = seal_der_next(cur, &e, what);
    return rc < 0 ? rc : seal_der_read_time(&e, out, what);
}

static int expect_end(const seal_slice *cur, const char *what)
{
    if (cur->len != 0)
        return seal_error_set(SEAL_EFORMAT, "%s: %zu unexpected bytes after the last field", what,
                              cur->len);
    return 0;
}

/* A certificate when the bytes are exactly one; NULL otherwise (v1 seals carry other
 * things in certList). */
static X509 *cert_from(seal_slice bytes)
{
    if (bytes.len > LONG_MAX)
        return NULL;
    const unsigned char *p = bytes.data;
    X509 *cert = d2i_X509(NULL, &p, (long)bytes.len);
    if (cert && p != bytes.data + bytes.len) {
        X509_free(cert);
        cert = NULL;
    }
    ERR_clear_error();
    return cert;
}

/* certList: SEQUENCE OF OCTET STRING (type 1) or SEQUENCE OF SEQUENCE { type
 * PrintableString, value OCTET STRING } (type 2), OFD-SEAL.md 1. */
static int read_cert_list(eseal_full *f, const seal_der_elem *list)
{
    int rc = 0;
    seal_eseal *e = &f->pub;
    seal_slice cur = list->content;
    f->cert_list = list->content;
    while (cur.len > 0) {
        seal_der_elem entry;
        if (e->cert_list_type == 1) {
            /* Entries are OCTET STRINGs holding certificates; some v1 seals hold a text
             * instead (seal-v1.ofd: IA5String "1"). Such an entry is counted but is no
             * certificate, so no signer can match it. */
            SEAL_TRY(seal_der_next(&cur, &entry, "seal property: certList entry"));
            SEAL_ENSURE(entry.tag == SEAL_DER_OCTET_STRING || entry.tag == SEAL_DER_IA5_STRING ||
                            entry.tag == SEAL_DER_PRINTABLE_STRING ||
                            entry.tag == SEAL_DER_UTF8_STRING,
                        SEAL_EFORMAT,
                        "seal property: certList entry is neither an OCTET STRING nor a string "
                        "(tag 0x%02x)",
                        entry.tag);
            X509 *cert = entry.tag == SEAL_DER_OCTET_STRING ? cert_from(entry.content) : NULL;
            if (cert && !sk_X509_push(e->certs, cert)) {
                X509_free(cert);
                SEAL_FAIL(SEAL_ENOMEM, "out of memory");
            }
        } else {
            seal_der_elem type, value;
            SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &entry,
                                     "seal property: certList digest entry"));
            seal_slice in = entry.content;
            SEAL_TRY(seal_der_next(&in, &type, "seal property: certList digest type"));
            SEAL_ENSURE(type.tag == SEAL_DER_PRINTABLE_STRING || type.tag == SEAL_DER_IA5_STRING ||
                            type.tag == SEAL_DER_UTF8_STRING,
                        SEAL_EFORMAT, "seal property: certList digest type is not a string");
            SEAL_TRY(seal_der_expect(&in, SEAL_DER_OCTET_STRING, &value,
                                     "seal property: certList digest value"));
            SEAL_TRY(expect_end(&in, "seal property: certList digest entry"));
        }
        e->cert_list_count++;
    }
out:
    return rc;
}

/* SES_ESPropertyInfo. v1 has no certListType (its list holds certificates) and may use
 * UTCTime for its dates (GM/T 0031-2014). */
static int read_property(eseal_full *f, seal_slice *info)
{
    int rc = 0;
    seal_eseal *e = &f->pub;
    seal_der_elem prop, list;
    SEAL_TRY(seal_der_expect(info, SEAL_DER_SEQUENCE, &prop, "seal property"));
    seal_slice cur = prop.content;
    SEAL_TRY(read_int(&cur, &e->type, "seal property: type"));
    SEAL_TRY(read_text(&cur, SEAL_DER_UTF8_STRING, &e->name, "seal property: name"));
    SEAL_ENSURE(g_utf8_validate(e->name, -1, NULL), SEAL_EFORMAT,
                "seal property: name is not valid UTF-8");
    e->cert_list_type = 1;
    if (seal_der_peek(&cur, SEAL_DER_INTEGER))
        SEAL_TRY(read_int(&cur, &e->cert_list_type, "seal property: certListType"));
    SEAL_ENSURE(e->cert_list_type == 1 || e->cert_list_type == 2, SEAL_EFORMAT,
                "seal property: certListType %ld is neither 1 (certificates) nor 2 (digests)",
                e->cert_list_type);
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &list, "seal property: certList"));
    SEAL_TRY(read_cert_list(f, &list));
    SEAL_TRY(read_time(&cur, &e->created, "seal property: createDate"));
    SEAL_TRY(read_time(&cur, &e->valid_start, "seal property: validStart"));
    SEAL_TRY(read_time(&cur, &e->valid_end, "seal property: validEnd"));
    SEAL_TRY(expect_end(&cur, "seal property"));
out:
    return rc;
}

static int read_picture(seal_eseal *e, seal_slice *info)
{
    int rc = 0;
    seal_der_elem pic, data;
    SEAL_TRY(seal_der_expect(info, SEAL_DER_SEQUENCE, &pic, "seal picture"));
    seal_slice cur = pic.content;
    SEAL_TRY(read_text(&cur, SEAL_DER_IA5_STRING, &e->picture_type, "seal picture: type"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_OCTET_STRING, &data, "seal picture: data"));
    e->picture = data.content;
    SEAL_TRY(read_int(&cur, &e->width_mm, "seal picture: width"));
    SEAL_TRY(read_int(&cur, &e->height_mm, "seal picture: height"));
    SEAL_ENSURE(e->width_mm >= 0 && e->height_mm >= 0, SEAL_EFORMAT,
                "seal picture: size %ldx%ld mm is negative", e->width_mm, e->height_mm);
    SEAL_TRY(expect_end(&cur, "seal picture"));
out:
    return rc;
}

/* ExtensionDatas ::= SEQUENCE OF SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE,
 * extnValue OCTET STRING }. Real files carry `critical FALSE` explicitly; accept it. */
static int check_ext_entries(seal_slice cur)
{
    int rc = 0;
    while (cur.len > 0) {
        seal_der_elem entry, id, value, critical;
        SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &entry, "seal extDatas entry"));
        seal_slice in = entry.content;
        SEAL_TRY(seal_der_expect(&in, SEAL_DER_OID, &id, "seal extDatas: extnID"));
        if (seal_der_peek(&in, SEAL_DER_BOOLEAN))
            SEAL_TRY(seal_der_expect(&in, SEAL_DER_BOOLEAN, &critical, "seal extDatas: critical"));
        SEAL_TRY(seal_der_expect(&in, SEAL_DER_OCTET_STRING, &value, "seal extDatas: extnValue"));
        SEAL_TRY(expect_end(&in, "seal extDatas entry"));
    }
out:
    return rc;
}

/* extDatas appear untagged in real files and as [0] (explicit or implicit) from other
 * writers (OFD-SEAL.md 1); accept all three. */
static int check_ext_datas(seal_slice *info)
{
    int rc = 0;
    seal_der_elem ext;
    SEAL_TRY(seal_der_next(info, &ext, "seal extDatas"));
    if (ext.tag == SEAL_DER_SEQUENCE) {
        SEAL_TRY(check_ext_entries(ext.content));
    } else if (ext.tag == SEAL_DER_CONTEXT_CONS) {
        seal_slice peek = ext.content;
        seal_der_elem first;
        bool explicit_tag = false;
        if (peek.len > 0) {
            SEAL_TRY(seal_der_expect(&peek, SEAL_DER_SEQUENCE, &first, "seal extDatas"));
            seal_slice in = first.content;
            /* Explicit: the one SEQUENCE holds entries; implicit: it is the first entry. */
            explicit_tag = in.len == 0 || seal_der_peek(&in, SEAL_DER_SEQUENCE);
        }
        if (explicit_tag) {
            SEAL_TRY(expect_end(&peek, "seal extDatas"));
            SEAL_TRY(check_ext_entries(first.content));
        } else {
            SEAL_TRY(check_ext_entries(ext.content));
        }
    } else {
        SEAL_FAIL(SEAL_EFORMAT, "seal extDatas: unexpected element (tag 0x%02x)", ext.tag);
    }
out:
    return rc;
}

/* SES_SealInfo: header, esID, property, picture, extDatas OPTIONAL. */
static int read_seal_info(eseal_full *f, const seal_der_elem *info, long *header_version)
{
    int rc = 0;
    seal_eseal *e = &f->pub;
    seal_der_elem header;
    char *id = NULL;
    seal_slice cur = info->content;
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &header, "seal header"));
    seal_slice h = header.content;
    SEAL_TRY(read_text(&h, SEAL_DER_IA5_STRING, &id, "seal header: id"));
    SEAL_ENSURE(strcmp(id, SES_HEADER_ID) == 0, SEAL_EFORMAT,
                "seal header: id is not \"ES\"; this is not an electronic seal");
    SEAL_TRY(read_int(&h, header_version, "seal header: version"));
    SEAL_TRY(read_text(&h, SEAL_DER_IA5_STRING, &e->vid, "seal header: vid"));
    SEAL_TRY(expect_end(&h, "seal header"));
    SEAL_TRY(read_text(&cur, SEAL_DER_IA5_STRING, &e->es_id, "seal information: esID"));
    SEAL_TRY(read_property(f, &cur));
    SEAL_TRY(read_picture(e, &cur));
    if (cur.len > 0)
        SEAL_TRY(check_ext_datas(&cur));
    SEAL_TRY(expect_end(&cur, "seal information"));
out:
    free(id);
    return rc;
}

static int read_maker(seal_eseal *e, seal_slice *cur, seal_der_elem *cert, seal_der_elem *alg)
{
    int rc = 0;
    seal_der_elem sig;
    SEAL_TRY(seal_der_expect(cur, SEAL_DER_OCTET_STRING, cert, "seal: maker certificate"));
    e->maker_cert = cert_from(cert->content);
    SEAL_TRY(seal_der_expect(cur, SEAL_DER_OID, alg, "seal: signature algorithm"));
    SEAL_TRY(seal_der_read_oid(alg, e->maker_alg_oid, sizeof e->maker_alg_oid,
                               "seal: signature algorithm"));
    SEAL_TRY(seal_der_expect(cur, SEAL_DER_BIT_STRING, &sig, "seal: maker signature"));
    SEAL_TRY(seal_der_read_bits(&sig, &e->maker_signature, "seal: maker signature"));
out:
    return rc;
}

int seal_eseal_parse(seal_eseal **out, const uint8_t *der, size_t len)
{
    int rc = 0;
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    eseal_full *f = calloc(1, sizeof *f);
    SEAL_ENSURE(f, SEAL_ENOMEM, "out of memory");
    seal_eseal *e = &f->pub;
    SEAL_ENSURE(der && len > 0, SEAL_EFORMAT, "seal: no bytes");
    e->certs = sk_X509_new_null();
    SEAL_ENSURE(e->certs, SEAL_ENOMEM, "out of memory");
    /* Slices below point into this copy, which lives as long as the seal. */
    SEAL_TRY(seal_buf_set(&e->der, der, len));

    seal_slice input = seal_slice_of(e->der.data, e->der.len);
    seal_der_elem seal, info, cert, alg;
    SEAL_TRY(seal_der_expect(&input, SEAL_DER_SEQUENCE, &seal, "seal"));
    SEAL_TRY(expect_end(&input, "seal"));
    size_t count = 0;
    SEAL_TRY(seal_der_count(seal.content, &count, "seal"));
    /* OFD-SEAL.md 1: the version is decided by shape. v1 SESeal is { esealInfo, signInfo };
     * v4 { esealInfo, cert, signAlgID, signedValue }; v5 adds timeStamp [0]. */
    SEAL_ENSURE(count == 2 || count == 4 || count == 5, SEAL_EFORMAT,
                "seal: SESeal has %zu elements (2 for v1, 4 for v4, 5 for v5 expected)", count);

    seal_slice cur = seal.content;
    long header_version = 0;
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &info, "seal information"));
    SEAL_TRY(read_seal_info(f, &info, &header_version));

    if (count == 2) {
        seal_der_elem sign_info;
        SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &sign_info, "seal: signInfo"));
        seal_slice in = sign_info.content;
        SEAL_TRY(read_maker(e, &in, &cert, &alg));
        SEAL_TRY(expect_end(&in, "seal: signInfo"));
        e->version = 1;
        /* GM/T 0031-2014: the maker signs DER(SEQUENCE { SES_SealInfo, cert, alg }),
         * rebuilt here from the stored element bytes. */
        size_t tbs = seal_der_begin(&w, SEAL_DER_SEQUENCE);
        seal_der_raw(&w, info.whole.data, info.whole.len);
        seal_der_raw(&w, cert.whole.data, cert.whole.len);
        seal_der_raw(&w, alg.whole.data, alg.whole.len);
        seal_der_end(&w, tbs);
        SEAL_TRY(seal_der_finish(&w, &e->maker_tbs));
    } else {
        SEAL_TRY(read_maker(e, &cur, &cert, &alg));
        if (count == 5) {
            seal_der_elem stamp;
            SEAL_TRY(seal_der_next(&cur, &stamp, "seal: timeStamp"));
            SEAL_ENSURE(stamp.tag == SEAL_DER_CONTEXT_CONS || stamp.tag == SEAL_DER_CONTEXT ||
                            stamp.tag == SEAL_DER_BIT_STRING,
                        SEAL_EFORMAT, "seal: fifth element is not a timeStamp [0]");
            e->version = 5;
        } else {
            SEAL_ENSURE(header_version == 4 || header_version == 5, SEAL_EFORMAT,
                        "seal header: version %ld does not match a v4/v5 SESeal", header_version);
            e->version = (int)header_version;
        }
        /* GB/T 38540 7.2: the maker signs DER(SES_SealInfo) exactly as stored. */
        SEAL_TRY(seal_buf_set(&e->maker_tbs, info.whole.data, info.whole.len));
    }
    *out = e;
    f = NULL;
out:
    seal_buf_clear(&w.out);
    if (f)
        seal_eseal_free(&f->pub);
    return rc;
}

void seal_eseal_free(seal_eseal *e)
{
    if (!e)
        return;
    free(e->es_id);
    free(e->vid);
    free(e->name);
    free(e->picture_type);
    sk_X509_pop_free(e->certs, X509_free);
    X509_free(e->maker_cert);
    seal_buf_clear(&e->der);
    seal_buf_clear(&e->maker_tbs);
    free((eseal_full *)e);
}

int seal_eseal_verify_maker(const seal_eseal *e)
{
    if (!e)
        return seal_error_set(SEAL_EINVAL, "no seal to check");
    if (!e->maker_cert)
        return seal_error_set(SEAL_ECRYPTO,
                              "the seal maker certificate stored in the seal cannot be read");
    /* The digest only matters when the seal names a bare key algorithm (rsaEncryption,
     * ecPublicKey); then it is the one that goes with the maker's key. */
    const EVP_MD *md = seal_digest_for_alg(seal_key_alg_of(X509_get0_pubkey(e->maker_cert)));
    int rc =
        seal_verify_signature(e->maker_cert, e->maker_alg_oid, md, e->maker_tbs.data,
                              e->maker_tbs.len, e->maker_signature.data, e->maker_signature.len);
    return rc < 0 ? seal_error_wrap(rc, "seal maker signature") : 0;
}

/* The digest a certList type 2 entry names: "SM3", "SHA1", "SHA256" (any case, with or
 * without the dash) or the digest's OID. */
static const EVP_MD *digest_named(seal_slice name)
{
    char text[64];
    if (name.len == 0 || name.len >= sizeof text)
        return NULL;
    memcpy(text, name.data, name.len);
    text[name.len] = '\0';
    if (strcasecmp(text, "SM3") == 0 || strcmp(text, SEAL_OID_SM3) == 0)
        return EVP_sm3();
    if (strcasecmp(text, "SHA1") == 0 || strcasecmp(text, "SHA-1") == 0 ||
        strcmp(text, "1.3.14.3.2.26") == 0)
        return EVP_sha1();
    if (strcasecmp(text, "SHA256") == 0 || strcasecmp(text, "SHA-256") == 0 ||
        strcmp(text, SEAL_OID_SHA256) == 0)
        return EVP_sha256();
    return NULL;
}

static int listed_by_digest(seal_slice list, const seal_buf *cert_der)
{
    int rc = 0;
    while (list.len > 0) {
        seal_der_elem entry, type, value;
        uint8_t digest[EVP_MAX_MD_SIZE];
        size_t digest_len = sizeof digest;
        SEAL_TRY(seal_der_next(&list, &entry, "seal property: certList digest entry"));
        seal_slice in = entry.content;
        SEAL_TRY(seal_der_next(&in, &type, "seal property: certList digest type"));
        SEAL_TRY(seal_der_next(&in, &value, "seal property: certList digest value"));
        const EVP_MD *md = digest_named(type.content);
        if (!md)
            continue;
        SEAL_TRY(seal_digest(md, cert_der->data, cert_der->len, digest, &digest_len));
        if (seal_slice_eq(value.content, seal_slice_of(digest, digest_len)))
            return 1;
    }
out:
    return rc;
}

int seal_eseal_lists_cert(const seal_eseal *e, X509 *cert)
{
    int rc = 0;
    seal_buf cert_der = SEAL_BUF_INIT;
    if (!e || !cert)
        return seal_error_set(SEAL_EINVAL, "no seal or certificate to compare");
    const eseal_full *f = (const eseal_full *)e;
    SEAL_TRY(seal_cert_to_der(&cert_der, cert));
    if (e->cert_list_type == 2) {
        rc = listed_by_digest(f->cert_list, &cert_der);
        goto out;
    }
    /* certListType 1: the stored certificate bytes, compared as stored. */
    seal_slice list = f->cert_list;
    while (list.len > 0) {
        seal_der_elem entry;
        SEAL_TRY(seal_der_next(&list, &entry, "seal property: certList entry"));
        if (seal_slice_eq(entry.content, seal_slice_of(cert_der.data, cert_der.len))) {
            rc = 1;
            goto out;
        }
    }
out:
    seal_buf_clear(&cert_der);
    return rc;
}
