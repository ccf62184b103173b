/* Reading SES_Signature, the record of a seal applied to a document (GB/T 38540 7.3 v4,
 * GM/T 0031-2014 v1, GM/T 0031-2025 v5), and checking the stamper's signature over the
 * stored TBS_Sign. Verify flow: the OFD verifier hands the SignedValue.dat bytes of a
 * Type=Seal signature; they come from outside and are read through bounded DER cursors,
 * keeping every signed element's exact stored bytes (OFD-SEAL.md 1-3). */
#include <seal/der.h>
#include <seal/error.h>
#include <seal/ses.h>

#include <glib.h>
#include <limits.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>

static int copy_text(char **out, seal_slice s, const char *what)
{
    if (memchr(s.data, 0, s.len))
        return seal_error_set(SEAL_EFORMAT, "%s: text contains a NUL byte", what);
    *out = malloc(s.len + 1);
    if (!*out)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    memcpy(*out, s.data, s.len);
    (*out)[s.len] = '\0';
    return 0;
}

static X509 *cert_from(seal_slice bytes)
{
    if (bytes.len == 0 || bytes.len > LONG_MAX)
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

/* dataHash is a BIT STRING (GB/T 38540 7.3); an OCTET STRING is read the same. */
static int read_hash(seal_slice *cur, seal_slice *out, const char *what)
{
    seal_der_elem e;
    int rc = seal_der_next(cur, &e, what);
    if (rc < 0)
        return rc;
    if (e.tag == SEAL_DER_OCTET_STRING) {
        *out = e.content;
        return 0;
    }
    return seal_der_read_bits(&e, out, what);
}

static int read_property_info(seal_ses_signature *s, seal_slice *cur)
{
    seal_der_elem e;
    int rc = seal_der_next(cur, &e, "SES_Signature: propertyInfo");
    if (rc < 0)
        return rc;
    if (e.tag != SEAL_DER_IA5_STRING && e.tag != SEAL_DER_UTF8_STRING &&
        e.tag != SEAL_DER_PRINTABLE_STRING)
        return seal_error_set(SEAL_EFORMAT, "SES_Signature: propertyInfo is not a string");
    return copy_text(&s->property_info, e.content, "SES_Signature: propertyInfo");
}

/* v1 timeInfo is a BIT STRING holding a time text or a timestamp token (GM/T 0031-2014). */
static void read_v1_time(seal_ses_signature *s)
{
    time_t t;
    bool assumed = false;
    if (seal_ses_time_text(&t, &assumed, (const char *)s->time_info.data, s->time_info.len) == 0) {
        s->time = t;
        s->time_zone_assumed = assumed;
    }
    seal_error_clear();
}

/* timeStamp [0] BIT STRING OPTIONAL: EXPLICIT [0] (ofdrw), IMPLICIT [0], or untagged
 * (OFD-SEAL.md 1, accept all); some writers put the token itself inside [0]. */
static int read_timestamp(seal_ses_signature *s, const seal_der_elem *e)
{
    int rc = 0;
    const char *what = "SES_Signature: timeStamp";
    if (e->tag == SEAL_DER_BIT_STRING || e->tag == SEAL_DER_CONTEXT) {
        seal_der_elem bits = *e;
        bits.tag = SEAL_DER_BIT_STRING;
        return seal_der_read_bits(&bits, &s->timestamp, what);
    }
    SEAL_ENSURE(e->tag == SEAL_DER_CONTEXT_CONS, SEAL_EFORMAT,
                "%s: unexpected element (tag 0x%02x) after the signature", what, e->tag);
    seal_slice in = e->content;
    seal_der_elem inner;
    SEAL_TRY(seal_der_next(&in, &inner, what));
    SEAL_ENSURE(in.len == 0, SEAL_EFORMAT, "%s: more than one element inside [0]", what);
    if (inner.tag == SEAL_DER_SEQUENCE)
        s->timestamp = inner.whole;
    else
        SEAL_TRY(seal_der_read_bits(&inner, &s->timestamp, what));
out:
    return rc;
}

static int read_signer_cert(seal_ses_signature *s, seal_slice *cur, const char *what)
{
    seal_der_elem e;
    int rc = seal_der_expect(cur, SEAL_DER_OCTET_STRING, &e, what);
    if (rc < 0)
        return rc;
    s->signer_cert_der = e.content;
    s->signer_cert = cert_from(e.content);
    return 0;
}

static int read_alg(seal_ses_signature *s, seal_slice *cur, const char *what)
{
    seal_der_elem e;
    int rc = seal_der_expect(cur, SEAL_DER_OID, &e, what);
    return rc < 0 ? rc : seal_der_read_oid(&e, s->sig_alg_oid, sizeof s->sig_alg_oid, what);
}

static int read_signature_bits(seal_ses_signature *s, seal_slice *cur)
{
    seal_der_elem e;
    int rc = seal_der_expect(cur, SEAL_DER_BIT_STRING, &e, "SES_Signature: signature");
    return rc < 0 ? rc : seal_der_read_bits(&e, &s->signature, "SES_Signature: signature");
}

/* TBS_Sign: version, eseal, timeInfo, dataHash, propertyInfo, then v1: cert, alg;
 * v4/v5: extDatas [0] OPTIONAL. */
static int read_tbs(seal_ses_signature *s, const seal_der_elem *tbs, bool v1_shape)
{
    int rc = 0;
    seal_der_elem version, eseal, time_info;
    long v = 0;
    seal_slice cur = tbs->content;
    s->tbs = tbs->whole;
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_INTEGER, &version, "SES_Signature: version"));
    SEAL_TRY(seal_der_read_int(&version, &v, "SES_Signature: version"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &eseal, "SES_Signature: eseal"));
    s->eseal_der = eseal.whole;
    rc = seal_eseal_parse(&s->seal, eseal.whole.data, eseal.whole.len);
    if (rc < 0) {
        seal_error_wrap(rc, "SES_Signature: the seal inside cannot be read");
        goto out;
    }
    SEAL_TRY(seal_der_next(&cur, &time_info, "SES_Signature: timeInfo"));
    if (v1_shape) {
        SEAL_ENSURE(v == 1, SEAL_EFORMAT,
                    "SES_Signature: version %ld in a GM/T 0031-2014 (v1) structure", v);
        SEAL_TRY(seal_der_read_bits(&time_info, &s->time_info, "SES_Signature: timeInfo"));
        read_v1_time(s);
    } else {
        SEAL_ENSURE(v == 4 || v == 5, SEAL_EFORMAT,
                    "SES_Signature: version %ld in a GB/T 38540 (v4/v5) structure", v);
        s->time_info = time_info.content;
        SEAL_TRY(seal_der_read_time(&time_info, &s->time, "SES_Signature: timeInfo"));
    }
    s->version = (int)v;
    SEAL_TRY(read_hash(&cur, &s->data_hash, "SES_Signature: dataHash"));
    SEAL_TRY(read_property_info(s, &cur));
    if (v1_shape) {
        SEAL_TRY(read_signer_cert(s, &cur, "SES_Signature: cert"));
        SEAL_TRY(read_alg(s, &cur, "SES_Signature: signatureAlgorithm"));
    }
    if (cur.len > 0) {
        seal_der_elem ext;
        SEAL_TRY(seal_der_next(&cur, &ext, "SES_Signature: extDatas"));
        SEAL_ENSURE(ext.tag == SEAL_DER_CONTEXT_CONS || ext.tag == SEAL_DER_SEQUENCE, SEAL_EFORMAT,
                    "SES_Signature: unexpected element (tag 0x%02x) in TBS_Sign", ext.tag);
        s->has_ext_datas = true;
    }
    SEAL_ENSURE(cur.len == 0, SEAL_EFORMAT,
                "SES_Signature: %zu unexpected bytes after the last field of TBS_Sign", cur.len);
out:
    return rc;
}

int seal_ses_signature_parse(seal_ses_signature **out, const uint8_t *der, size_t len)
{
    int rc = 0;
    *out = NULL;
    seal_ses_signature *s = calloc(1, sizeof *s);
    SEAL_ENSURE(s, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(der && len > 0, SEAL_EFORMAT, "SES_Signature: no bytes");
    SEAL_TRY(seal_buf_set(&s->der, der, len));
    seal_slice input = seal_slice_of(s->der.data, s->der.len);
    seal_der_elem sig, tbs;
    SEAL_TRY(seal_der_expect(&input, SEAL_DER_SEQUENCE, &sig, "SES_Signature"));
    SEAL_ENSURE(input.len == 0, SEAL_EFORMAT,
                "SES_Signature: %zu unexpected bytes after the structure", input.len);
    size_t count = 0;
    SEAL_TRY(seal_der_count(sig.content, &count, "SES_Signature"));
    /* OFD-SEAL.md 1: 2 elements is v1; 4 or 5 is v4/v5 (told apart by TBS_Sign.version). */
    SEAL_ENSURE(count == 2 || count == 4 || count == 5, SEAL_EFORMAT,
                "SES_Signature has %zu elements (2 for v1, 4 or 5 for v4/v5 expected)", count);
    seal_slice cur = sig.content;
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &tbs, "SES_Signature: TBS_Sign"));
    SEAL_TRY(read_tbs(s, &tbs, count == 2));
    if (count != 2) {
        SEAL_TRY(read_signer_cert(s, &cur, "SES_Signature: cert"));
        SEAL_TRY(read_alg(s, &cur, "SES_Signature: signatureAlgID"));
    }
    SEAL_TRY(read_signature_bits(s, &cur));
    if (count == 5) {
        seal_der_elem stamp;
        SEAL_TRY(seal_der_next(&cur, &stamp, "SES_Signature: timeStamp"));
        SEAL_TRY(read_timestamp(s, &stamp));
    }
    *out = s;
    s = NULL;
out:
    seal_ses_signature_free(s);
    return rc;
}

void seal_ses_signature_free(seal_ses_signature *s)
{
    if (!s)
        return;
    seal_eseal_free(s->seal);
    X509_free(s->signer_cert);
    free(s->property_info);
    seal_buf_clear(&s->der);
    free(s);
}

int seal_ses_signature_verify(const seal_ses_signature *s)
{
    if (!s)
        return seal_error_set(SEAL_EINVAL, "no SES_Signature to check");
    if (!s->signer_cert)
        return seal_error_set(SEAL_EFORMAT,
                              "the signer certificate stored in the SES_Signature cannot be read");
    const EVP_MD *md = seal_digest_for_alg(seal_key_alg_of(X509_get0_pubkey(s->signer_cert)));
    int rc = seal_verify_signature(s->signer_cert, s->sig_alg_oid, md, s->tbs.data, s->tbs.len,
                                   s->signature.data, s->signature.len);
    return rc < 0 ? seal_error_wrap(rc, "stamper signature") : 0;
}

/* Reads `n` digits from text[*pos]. */
static bool digits(const char *text, size_t len, size_t *pos, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++, (*pos)++) {
        if (*pos >= len || text[*pos] < '0' || text[*pos] > '9')
            return false;
        v = v * 10 + (text[*pos] - '0');
    }
    *out = v;
    return true;
}

static bool expect_char(const char *text, size_t len, size_t *pos, const char *allowed)
{
    if (*pos >= len || !text[*pos] || !strchr(allowed, text[*pos]))
        return false;
    (*pos)++;
    return true;
}

int seal_ses_time_text(time_t *out, bool *zone_assumed, const char *text, size_t len)
{
    int year, month, day, hour, minute, second, zh = 0, zm = 0;
    size_t pos = 0;
    long offset = 8 * 3600;
    while (len > 0 && g_ascii_isspace(text[len - 1]))
        len--;
    while (pos < len && g_ascii_isspace(text[pos]))
        pos++;
    bool dashed = len - pos > 4 && text[pos + 4] == '-';
    if (!digits(text, len, &pos, 4, &year) || (dashed && !expect_char(text, len, &pos, "-")) ||
        !digits(text, len, &pos, 2, &month) || (dashed && !expect_char(text, len, &pos, "-")) ||
        !digits(text, len, &pos, 2, &day) || (dashed && !expect_char(text, len, &pos, "T ")) ||
        !digits(text, len, &pos, 2, &hour) || (dashed && !expect_char(text, len, &pos, ":")) ||
        !digits(text, len, &pos, 2, &minute) || (dashed && !expect_char(text, len, &pos, ":")) ||
        !digits(text, len, &pos, 2, &second))
        goto bad;
    if (pos < len && (text[pos] == '.' || text[pos] == ',')) {
        pos++;
        if (pos >= len || text[pos] < '0' || text[pos] > '9')
            goto bad;
        while (pos < len && text[pos] >= '0' && text[pos] <= '9')
            pos++;
    }
    *zone_assumed = false;
    if (pos < len && text[pos] == 'Z') {
        offset = 0;
        pos++;
    } else if (pos < len && (text[pos] == '+' || text[pos] == '-')) {
        int sign = text[pos] == '-' ? -1 : 1;
        pos++;
        if (!digits(text, len, &pos, 2, &zh))
            goto bad;
        if (pos < len && text[pos] == ':')
            pos++;
        if (!digits(text, len, &pos, 2, &zm) || zh > 14 || zm > 59)
            goto bad;
        offset = sign * (zh * 3600L + zm * 60L);
    } else {
        *zone_assumed = true;
    }
    if (pos != len)
        goto bad;
    if (year < 1 || month < 1 || month > 12 || day < 1 ||
        day > g_date_get_days_in_month((GDateMonth)month, (GDateYear)year) || hour > 23 ||
        minute > 59 || second > 60)
        goto bad;
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = month - 1,
                    .tm_mday = day,
                    .tm_hour = hour,
                    .tm_min = minute,
                    .tm_sec = second};
    *out = timegm(&tm) - offset;
    return 0;
bad:
    return seal_error_set(SEAL_EFORMAT, "\"%.*s\" is not a date and time",
                          (int)(len < 40 ? len : 40), text);
}
