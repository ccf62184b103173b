/* Verifies every signature of a PDF (PDF-SIGN.md section 5): finds the signature fields
 * through the AcroForm and the pages' widgets, checks each ByteRange against the raw bytes,
 * the CMS against a streamed digest of the signed ranges, its timestamp, the signer's
 * chain and its revocation status at the signing time (verify/cert_checks.c), and what
 * later incremental updates changed. qpdf reads the objects from a read-only
 * mapping of the file; our own bounded scanners (verify_tail.c) read the byte layout. */
#include "encrypt.h"
#include "ltv_internal.h"
#include "mdp.h"
#include "verify_internal.h"

#include <seal/cms.h>
#include <seal/error.h>
#include <seal/pdf.h>
#include <seal/verify.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define HASH_CHUNK      (1024 * 1024)
#define MAX_FIELD_DEPTH 32
#define MAX_SIGNATURES  1000
/* Places one signature's seal is listed at in the report (a seal on every page of a long
 * document has one widget per page). */
#define MAX_WIDGETS 10000

typedef struct sig_field {
    qpdf_oh field;  /* the dictionary that holds /V */
    qpdf_oh widget; /* its (first) widget annotation; 0 when none */
    int field_id;   /* object number of the field, 0 if direct */
    char *name;     /* fully qualified field name (ISO 32000-1 12.7.3.2) */
    uint64_t br[4]; /* its /ByteRange, once checked */
    bool br_ok;
} sig_field;

/* Which page's /Annots lists an annotation, by object number. */
typedef struct annot_page {
    int id;
    int page;
} annot_page;

typedef struct verify_ctx {
    const char *path;
    int fd;
    seal_slice file; /* the read-only mapping */
    size_t header;   /* bytes before "%PDF-"; cross-reference offsets count from there */
    seal_pdf_tail tail;
    qpdf_data q;
    const seal_trust *trust;
    seal_revocation *dss; /* the document's DSS as revocation evidence; NULL without one */
    const char *password; /* an encrypted file's, or NULL */
    sig_field *fields;
    size_t n_fields;
    annot_page *annots; /* sorted by id; built when the first placement is described */
    size_t n_annots;
    bool annots_indexed;
} verify_ctx;

/* ---- finding the signature fields ---- */

static bool name_is(qpdf_data q, qpdf_oh dict, const char *key, const char *value)
{
    return qpdf_oh_is_dictionary(q, dict) &&
           qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, dict, key), value);
}

/* /FT, looked up through the /Parent chain since it is inheritable. */
static bool field_type_is_sig(qpdf_data q, qpdf_oh field)
{
    qpdf_oh cur = field;
    for (int depth = 0; depth < MAX_FIELD_DEPTH && qpdf_oh_is_dictionary(q, cur); depth++) {
        if (qpdf_oh_has_key(q, cur, "/FT"))
            return name_is(q, cur, "/FT", "/Sig");
        cur = qpdf_oh_get_key(q, cur, "/Parent");
    }
    return false;
}

bool seal_pdf_is_sig_field_or_widget(qpdf_data q, qpdf_oh oh)
{
    return qpdf_oh_is_dictionary(q, oh) && field_type_is_sig(q, oh);
}

static char *field_full_name(qpdf_data q, qpdf_oh field)
{
    char *name = NULL;
    qpdf_oh cur = field;
    for (int depth = 0; depth < MAX_FIELD_DEPTH && qpdf_oh_is_dictionary(q, cur); depth++) {
        qpdf_oh t = qpdf_oh_get_key(q, cur, "/T");
        if (qpdf_oh_is_string(q, t)) {
            const char *part = qpdf_oh_get_utf8_value(q, t);
            char *joined = NULL;
            if (asprintf(&joined, "%s%s%s", part, name ? "." : "", name ? name : "") < 0)
                joined = NULL;
            free(name);
            name = joined;
            if (!name)
                return NULL;
        }
        cur = qpdf_oh_get_key(q, cur, "/Parent");
    }
    return name ? name : strdup("(unnamed)");
}

static bool already_listed(const verify_ctx *c, qpdf_oh field)
{
    int id = qpdf_oh_get_object_id(c->q, field);
    for (size_t i = 0; i < c->n_fields; i++)
        if (id != 0 ? c->fields[i].field_id == id : c->fields[i].field == field)
            return true;
    return false;
}

static int add_field(verify_ctx *c, qpdf_oh field, qpdf_oh widget)
{
    if (already_listed(c, field))
        return 0;
    if (c->n_fields >= MAX_SIGNATURES)
        return seal_error_set(SEAL_EFORMAT, "the document has more than %d signature fields",
                              MAX_SIGNATURES);
    sig_field *grown = realloc(c->fields, (c->n_fields + 1) * sizeof *grown);
    if (!grown)
        return seal_error_set(SEAL_ENOMEM, "out of memory listing signature fields");
    c->fields = grown;
    sig_field *f = &c->fields[c->n_fields];
    memset(f, 0, sizeof *f);
    f->field = field;
    f->widget = widget;
    f->field_id = qpdf_oh_get_object_id(c->q, field);
    f->name = field_full_name(c->q, field);
    if (!f->name)
        return seal_error_set(SEAL_ENOMEM, "out of memory listing signature fields");
    c->n_fields++;
    return 0;
}

/* The first widget of a field: the field itself when merged with its widget, else a kid
 * without /T (ISO 32000-1 12.7.3.1). */
static qpdf_oh first_widget(qpdf_data q, qpdf_oh field)
{
    if (name_is(q, field, "/Subtype", "/Widget"))
        return field;
    qpdf_oh kids = qpdf_oh_get_key(q, field, "/Kids");
    int n = qpdf_oh_is_array(q, kids) ? qpdf_oh_get_array_n_items(q, kids) : 0;
    for (int i = 0; i < n; i++) {
        qpdf_oh kid = qpdf_oh_get_array_item(q, kids, i);
        if (name_is(q, kid, "/Subtype", "/Widget") && !qpdf_oh_has_key(q, kid, "/T"))
            return kid;
    }
    return 0;
}

static int walk_fields(verify_ctx *c, qpdf_oh fields, int depth)
{
    int rc = 0;
    qpdf_data q = c->q;
    if (depth > MAX_FIELD_DEPTH || !qpdf_oh_is_array(q, fields))
        return 0;
    int n = qpdf_oh_get_array_n_items(q, fields);
    for (int i = 0; i < n; i++) {
        qpdf_oh f = qpdf_oh_get_array_item(q, fields, i);
        if (!qpdf_oh_is_dictionary(q, f))
            continue;
        if (field_type_is_sig(q, f) && qpdf_oh_has_key(q, f, "/V"))
            SEAL_TRY(add_field(c, f, first_widget(q, f)));
        else
            SEAL_TRY(walk_fields(c, qpdf_oh_get_key(q, f, "/Kids"), depth + 1));
    }
out:
    return rc;
}

/* Widgets in the pages' /Annots whose field is a signed signature field: a field missing
 * from /Fields is still shown by readers, so it is still verified. */
static int walk_annots(verify_ctx *c)
{
    int rc = 0;
    qpdf_data q = c->q;
    int pages = qpdf_get_num_pages(q);
    SEAL_TRY(pdf_qpdf_error(q, "the page tree is damaged"));
    for (int p = 0; p < pages; p++) {
        qpdf_oh annots = qpdf_oh_get_key(q, qpdf_get_page_n(q, (size_t)p), "/Annots");
        int n = qpdf_oh_is_array(q, annots) ? qpdf_oh_get_array_n_items(q, annots) : 0;
        for (int i = 0; i < n; i++) {
            qpdf_oh w = qpdf_oh_get_array_item(q, annots, i);
            if (!name_is(q, w, "/Subtype", "/Widget") || !field_type_is_sig(q, w))
                continue;
            qpdf_oh field = w;
            if (!qpdf_oh_has_key(q, w, "/FT") && !qpdf_oh_has_key(q, w, "/T"))
                field = qpdf_oh_get_key(q, w, "/Parent");
            if (qpdf_oh_is_dictionary(q, field) && qpdf_oh_has_key(q, field, "/V"))
                SEAL_TRY(add_field(c, field, w));
        }
    }
out:
    return rc;
}

/* ---- small readers ---- */

static char *string_key(qpdf_data q, qpdf_oh dict, const char *key)
{
    qpdf_oh v = qpdf_oh_get_key(q, dict, key);
    return qpdf_oh_is_string(q, v) ? strdup(qpdf_oh_get_utf8_value(q, v)) : NULL;
}

static int two_digits(const char *s, size_t len, size_t at, int fallback)
{
    if (at + 2 > len)
        return fallback;
    if (!isdigit((unsigned char)s[at]) || !isdigit((unsigned char)s[at + 1]))
        return -1;
    return (s[at] - '0') * 10 + (s[at + 1] - '0');
}

/* A PDF date (ISO 32000-1 7.9.4): "D:YYYYMMDDHHmmSSOHH'mm'", every part after the year
 * optional, O one of + - Z. 0 when it cannot be read. */
static time_t parse_pdf_date(const char *s)
{
    size_t len = strlen(s);
    size_t at = strncmp(s, "D:", 2) == 0 ? 2 : 0;
    if (len < at + 4)
        return 0;
    int year = 0;
    for (size_t i = 0; i < 4; i++) {
        if (!isdigit((unsigned char)s[at + i]))
            return 0;
        year = year * 10 + (s[at + i] - '0');
    }
    at += 4;
    int fields[5] = {1, 1, 0, 0, 0}; /* month day hour minute second */
    for (int i = 0; i < 5 && at < len && isdigit((unsigned char)s[at]); i++, at += 2) {
        fields[i] = two_digits(s, len, at, -1);
        if (fields[i] < 0)
            return 0;
    }
    if (fields[0] < 1 || fields[0] > 12 || fields[1] < 1 || fields[1] > 31 || fields[2] > 23 ||
        fields[3] > 59 || fields[4] > 60)
        return 0;
    long offset = 0;
    if (at < len && (s[at] == '+' || s[at] == '-')) {
        int sign = s[at] == '-' ? -1 : 1;
        int hours = two_digits(s, len, at + 1, 0);
        size_t m = at + 3 < len && s[at + 3] == '\'' ? at + 4 : at + 3;
        int minutes = two_digits(s, len, m, 0);
        if (hours < 0 || minutes < 0 || hours > 23 || minutes > 59)
            return 0;
        offset = sign * (hours * 3600L + minutes * 60L);
    }
    struct tm tm = {.tm_year = year - 1900,
                    .tm_mon = fields[0] - 1,
                    .tm_mday = fields[1],
                    .tm_hour = fields[2],
                    .tm_min = fields[3],
                    .tm_sec = fields[4]};
    time_t t = timegm(&tm);
    return t == (time_t)-1 ? 0 : t - offset;
}

static char *digest_name(const EVP_MD *md)
{
    char *name = strdup(OBJ_nid2sn(EVP_MD_get_type(md)));
    for (char *p = name; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return name;
}

/* Hashes [offset, offset + len) of the file in 1 MiB reads: a signed PDF may be larger
 * than we want in memory, and we never hold a second copy (PDF-SIGN.md 3). */
static int hash_range(EVP_MD_CTX *md, int fd, uint8_t *chunk, uint64_t offset, uint64_t len)
{
    while (len > 0) {
        size_t want = len < HASH_CHUNK ? (size_t)len : HASH_CHUNK;
        ssize_t got = pread(fd, chunk, want, (off_t)offset);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            return seal_error_set(SEAL_EIO, "could not read the signed bytes of the file: %s",
                                  got < 0 ? strerror(errno) : "it became shorter");
        if (EVP_DigestUpdate(md, chunk, (size_t)got) != 1)
            return seal_error_set_openssl(SEAL_ECRYPTO, "hashing the signed bytes failed");
        offset += (uint64_t)got;
        len -= (uint64_t)got;
    }
    return 0;
}

static int hash_byte_range(const verify_ctx *c, const EVP_MD *md, const uint64_t br[4],
                           uint8_t *out, unsigned *out_len)
{
    int rc = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t *chunk = malloc(HASH_CHUNK);
    SEAL_ENSURE(ctx && chunk, SEAL_ENOMEM, "out of memory hashing the signed bytes");
    if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
        SEAL_FAIL(SEAL_ECRYPTO, "the digest algorithm of the signature is not available");
    SEAL_TRY(hash_range(ctx, c->fd, chunk, br[0], br[1]));
    SEAL_TRY(hash_range(ctx, c->fd, chunk, br[2], br[3]));
    if (EVP_DigestFinal_ex(ctx, out, out_len) != 1)
        SEAL_FAIL(SEAL_ECRYPTO, "hashing the signed bytes failed");
out:
    free(chunk);
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* ---- one signature ---- */

/* PDF-SIGN.md 5.1: four non-negative integers, [0, a) and [b, b + n) with the gap [a, b)
 * exactly this signature's /Contents hex string, and the end at a revision end.
 * Returns false (after recording why) when later checks cannot run. */
static int check_byte_range(verify_ctx *c, seal_sig_report *s, qpdf_oh sig, uint64_t br[4],
                            seal_buf *cms_der, bool *ok)
{
    int rc = 0;
    qpdf_data q = c->q;
    *ok = false;
    qpdf_oh arr = qpdf_oh_get_key(q, sig, "/ByteRange");
    if (!qpdf_oh_is_array(q, arr) || qpdf_oh_get_array_n_items(q, arr) != 4) {
        SEAL_TRY(seal_sig_add_check(s, "byte-range", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "/ByteRange is missing or does not hold four numbers"));
        goto out;
    }
    for (int i = 0; i < 4; i++) {
        qpdf_oh item = qpdf_oh_get_array_item(q, arr, i);
        long long v = qpdf_oh_is_integer(q, item) ? qpdf_oh_get_int_value(q, item) : -1;
        if (v < 0) {
            SEAL_TRY(seal_sig_add_check(s, "byte-range", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                        "/ByteRange item %d is not a non-negative integer", i));
            goto out;
        }
        br[i] = (uint64_t)v;
    }
    uint64_t size = c->file.len;
    const char *problem = NULL;
    if (br[0] != 0)
        problem = "the first range does not start at the beginning of the file";
    else if (br[2] <= br[1])
        problem = "the ranges overlap or are out of order";
    else if (br[2] > size || br[3] > size - br[2])
        problem = "the second range runs past the end of the file";
    if (problem) {
        SEAL_TRY(seal_sig_add_check(s, "byte-range", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "[%llu %llu %llu %llu]: %s", (unsigned long long)br[0],
                                    (unsigned long long)br[1], (unsigned long long)br[2],
                                    (unsigned long long)br[3], problem));
        goto out;
    }

    /* The gap must be the '<...>' token itself, and hold the same bytes qpdf reads as this
     * dictionary's /Contents: otherwise the ranges could point at another string
     * (signature wrapping). */
    qpdf_oh contents = qpdf_oh_get_key(q, sig, "/Contents");
    size_t contents_len = 0;
    const char *contents_bytes = qpdf_oh_is_string(q, contents)
                                     ? qpdf_oh_get_binary_string_value(q, contents, &contents_len)
                                     : NULL;
    if (!contents_bytes) {
        SEAL_TRY(seal_sig_add_check(s, "byte-range", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "/Contents is missing or not a string"));
        goto out;
    }
    if (seal_pdf_gap_hex(cms_der, c->file, (size_t)br[1], (size_t)br[2]) < 0) {
        SEAL_TRY(seal_sig_add_check(s, "byte-range", SEAL_VERDICT_INVALID, "FORMAT_FAILURE", "%s",
                                    seal_error_last()));
        goto out;
    }
    bool same =
        cms_der->len == contents_len && memcmp(cms_der->data, contents_bytes, contents_len) == 0;
    if (!same && qpdf_is_encrypted(q) &&
        !qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, sig, "/Type"), "/Sig")) {
        /* qpdf decrypts a /DocTimeStamp's /Contents, which ISO 32000-1 7.6.1 keeps in the
         * clear: the gap must be what qpdf decrypted. */
        seal_buf parsed = SEAL_BUF_INIT;
        pdf_crypt crypt = {0};
        rc = seal_buf_set(&parsed, contents_bytes, contents_len);
        if (rc == 0)
            rc = pdf_crypt_open(&crypt, q, c->password, c->path);
        if (rc == 0)
            rc = pdf_crypt_string_read_as(&same, &crypt, qpdf_oh_get_object_id(q, sig),
                                          qpdf_oh_get_generation(q, sig), cms_der->data,
                                          cms_der->len, parsed.data, parsed.len);
        pdf_crypt_clear(&crypt);
        seal_buf_clear(&parsed);
        SEAL_TRY(rc);
    }
    if (!same) {
        SEAL_TRY(seal_sig_add_check(s, "byte-range", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "the excluded bytes [%llu, %llu) are not this signature's "
                                    "/Contents",
                                    (unsigned long long)br[1], (unsigned long long)br[2]));
        goto out;
    }

    uint64_t end = br[2] + br[3];
    if (end == size) {
        s->coverage = strdup("entire file");
    } else if (end > c->header &&
               seal_pdf_tail_revision_ending_at(&c->tail, (size_t)end - c->header)) {
        s->coverage = strdup("entire revision");
    } else {
        s->coverage = strdup("anomalous");
        SEAL_TRY(seal_sig_add_check(s, "byte-range", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "the signed bytes end at offset %llu, which is neither the "
                                    "end of the file (%llu) nor the end of a revision",
                                    (unsigned long long)end, (unsigned long long)size));
        goto out;
    }
    SEAL_ENSURE(s->coverage, SEAL_ENOMEM, "out of memory for the verification report");
    SEAL_TRY(seal_sig_add_check(s, "byte-range", SEAL_VERDICT_VALID, NULL,
                                "[%llu %llu %llu %llu] covers the %s except the signature value",
                                (unsigned long long)br[0], (unsigned long long)br[1],
                                (unsigned long long)br[2], (unsigned long long)br[3],
                                end == size ? "entire file" : "entire signed revision"));
    *ok = true;
out:
    return rc;
}

/* PDF-SIGN.md 5.2: the CMS fills the start of /Contents; the rest must be zeros. */
static int check_contents(seal_sig_report *s, const seal_buf *der, size_t *cms_len, bool *ok)
{
    int rc = 0;
    *ok = false;
    if (seal_ber_element_length(cms_len, seal_slice_of(der->data, der->len)) < 0) {
        SEAL_TRY(seal_sig_add_check(s, "contents", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "/Contents does not hold a complete CMS element: %s",
                                    seal_error_last()));
        goto out;
    }
    for (size_t i = *cms_len; i < der->len; i++) {
        if (der->data[i] != 0) {
            SEAL_TRY(seal_sig_add_check(s, "contents", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                        "/Contents has non-zero bytes after the CMS (at byte "
                                        "%zu of %zu)",
                                        i, der->len));
            goto out;
        }
    }
    SEAL_TRY(seal_sig_add_check(s, "contents", SEAL_VERDICT_VALID, NULL,
                                "%zu bytes of CMS, %zu bytes of zero padding", *cms_len,
                                der->len - *cms_len));
    *ok = true;
out:
    return rc;
}

/* PDF-SIGN.md 5.4: chain and revocation of the signer's certificate at the best signing
 * time we have (verify/cert_checks.c), with the document's DSS as evidence. Proven by a
 * timestamp, a certificate that was not valid then fails the signature (ETSI EN 319
 * 102-1: EXPIRED, NOT_YET_VALID) and a later revocation leaves it valid; merely claimed,
 * an expired certificate cannot be told from one that was valid then (DSS:
 * OUT_OF_BOUNDS_NO_POE) and a later revocation leaves it INDETERMINATE (REVOKED_NO_POE). */
static int check_chain(const verify_ctx *c, seal_sig_report *s, const seal_cms *cms, X509 *cert,
                       bool proven)
{
    seal_cert_checks how = {
        .at = s->signing_time, .at_proven = proven, .signing = true, .document_evidence = c->dss};
    return seal_verify_certificates(s, c->trust, cert, seal_cms_certs(cms), &how);
}

/* NSS-based signers (Poppler's pdfsig, Firefox-era tools) write the CMS in BER with
 * indefinite lengths; our CMS reader takes DER. OpenSSL's ASN.1 layer reads BER and writes
 * DER; the signature still verifies since it covers the DER of the signed attributes
 * (RFC 5652 5.4), and certificates keep their stored encoding. */
static int ber_to_der(seal_buf *out, const uint8_t *ber, size_t len)
{
    int rc = 0;
    const unsigned char *p = ber;
    unsigned char *der = NULL;
    CMS_ContentInfo *ci = d2i_CMS_ContentInfo(NULL, &p, (long)len);
    int n = ci ? i2d_CMS_ContentInfo(ci, &der) : -1;
    SEAL_ENSURE(n > 0, SEAL_EFORMAT, "the CMS is neither DER nor readable BER");
    SEAL_TRY(seal_buf_set(out, der, (size_t)n));
out:
    OPENSSL_free(der);
    CMS_ContentInfo_free(ci);
    ERR_clear_error();
    return rc;
}

/* B-T: a signature timestamp that holds replaces the claimed time with its genTime for
 * the chain (and, later, revocation) checks. */
static int use_signature_timestamp(const verify_ctx *c, seal_sig_report *s, const seal_cms *cms,
                                   bool *proven)
{
    int rc = 0;
    bool present = false;
    time_t gen_time = 0;
    char *tsa = NULL, *source = NULL;
    *proven = false;
    SEAL_TRY(pdf_check_signature_timestamp(s, c->trust, c->dss, cms, &present, &gen_time, &tsa));
    int n = 0;
    const char *claim_end = strstr(s->time_source, "; not proven");
    if (gen_time) {
        n = asprintf(&source, "proven by timestamp (%s)", tsa);
        s->signing_time = gen_time;
        *proven = true;
    } else if (present && claim_end) {
        n = asprintf(&source, "%.*s; not proven: its timestamp does not hold",
                     (int)(claim_end - s->time_source), s->time_source);
    }
    if (n < 0) {
        source = NULL;
        SEAL_FAIL(SEAL_ENOMEM, "out of memory for the verification report");
    }
    if (source) {
        free(s->time_source);
        s->time_source = source;
        source = NULL;
    }
out:
    free(tsa);
    free(source);
    return rc;
}

/* PDF-SIGN.md 5.3: message digest, signature over the signed attributes, and the ESS
 * signing-certificate attribute. */
static int check_cms(const verify_ctx *c, seal_sig_report *s, const seal_buf *der, size_t cms_len,
                     const uint64_t br[4], qpdf_oh sig)
{
    int rc = 0;
    seal_cms *cms = NULL;
    seal_buf normalised = SEAL_BUF_INIT;
    bool proven = false;
    if (seal_cms_parse(&cms, der->data, cms_len) < 0 &&
        (ber_to_der(&normalised, der->data, cms_len) < 0 ||
         seal_cms_parse(&cms, normalised.data, normalised.len) < 0)) {
        SEAL_TRY(seal_sig_add_check(s, "cms", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "the CMS cannot be read: %s", seal_error_last()));
        goto out;
    }
    const EVP_MD *md = seal_cms_digest_md(cms);
    if (!md) {
        SEAL_TRY(seal_sig_add_check(s, "digest", SEAL_VERDICT_INDETERMINATE,
                                    "CRYPTO_CONSTRAINTS_FAILURE",
                                    "the signature uses a digest algorithm we do not support"));
        goto out;
    }
    s->digest = digest_name(md);
    SEAL_ENSURE(s->digest, SEAL_ENOMEM, "out of memory for the verification report");

    X509 *cert = seal_cms_signer_cert(cms);
    if (cert)
        SEAL_TRY(seal_sig_report_set_signer(s, cert));

    /* The claimed time: /M, else a CMS signing-time attribute, else now. */
    char *m = string_key(c->q, sig, "/M");
    s->signing_time = m ? parse_pdf_date(m) : 0;
    free(m);
    const char *source = "claimed by the signer (/M); not proven: no timestamp";
    if (s->signing_time == 0 && seal_cms_signing_time(cms, &s->signing_time) == 0)
        source = "claimed by the signer (CMS signing-time); not proven: no timestamp";
    if (s->signing_time == 0) {
        s->signing_time = time(NULL);
        source = "the time of verification: the signature names no signing time";
    }
    s->time_source = strdup(source);
    SEAL_ENSURE(s->time_source, SEAL_ENOMEM, "out of memory for the verification report");

    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    SEAL_TRY(hash_byte_range(c, md, br, digest, &digest_len));

    seal_cms_outcome result = {0};
    if (!cert || seal_cms_check(&result, cms, digest, digest_len) < 0) {
        SEAL_TRY(seal_sig_add_check(
            s, "cms", SEAL_VERDICT_INDETERMINATE, "NO_SIGNING_CERTIFICATE_FOUND",
            "the signature cannot be checked: %s",
            cert ? seal_error_last() : "the CMS does not carry the signer's certificate"));
        goto out;
    }
    SEAL_TRY(seal_sig_add_check(s, "digest",
                                result.digest_ok ? SEAL_VERDICT_VALID : SEAL_VERDICT_INVALID,
                                result.digest_ok ? NULL : "HASH_FAILURE",
                                result.digest_ok ? "the signed bytes hash to the signed %s "
                                                   "message digest"
                                                 : "the signed bytes were changed: their %s "
                                                   "digest differs from the signed one",
                                s->digest));
    SEAL_TRY(seal_sig_add_check(s, "signature",
                                result.signature_ok ? SEAL_VERDICT_VALID : SEAL_VERDICT_INVALID,
                                result.signature_ok ? NULL : "SIG_CRYPTO_FAILURE",
                                result.signature_ok ? "the %s signature verifies with the "
                                                      "signer's certificate"
                                                    : "the %s signature does not verify with "
                                                      "the signer's certificate",
                                s->algorithm));
    SEAL_TRY(seal_sig_add_check(
        s, "signing-cert", result.signing_cert_ok ? SEAL_VERDICT_VALID : SEAL_VERDICT_INVALID,
        result.signing_cert_ok ? NULL : "SIG_CONSTRAINTS_FAILURE", "%s",
        !result.signing_cert_ok        ? "the signing-certificate attribute names another "
                                         "certificate"
        : result.has_signing_cert_attr ? "the signing-certificate attribute names the signer"
                                       : "no signing-certificate attribute (not PAdES "
                                         "baseline)"));
    SEAL_TRY(use_signature_timestamp(c, s, cms, &proven));
    SEAL_TRY(check_chain(c, s, cms, cert, proven));
out:
    seal_buf_clear(&normalised);
    seal_cms_free(cms);
    return rc;
}

/* A document timestamp (ISO 32000-2 12.8.5, PAdES B-LTA): /Contents is a bare RFC 3161
 * token whose imprint is the hash of the ByteRange; the TSA is its "signer". */
static int check_doc_timestamp(const verify_ctx *c, seal_sig_report *s, const seal_buf *der,
                               size_t len, const uint64_t br[4])
{
    int rc = 0;
    seal_tst *tst = NULL;
    char *tsa = NULL;
    bool proven = false;
    if (seal_tst_parse(&tst, der->data, len) < 0) {
        SEAL_TRY(seal_sig_add_check(s, "timestamp", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "the document timestamp cannot be read: %s",
                                    seal_error_last()));
        goto out;
    }
    const seal_tst_info *info = seal_tst_get_info(tst);
    if (seal_tst_signer_cert(tst))
        SEAL_TRY(seal_sig_report_set_signer(s, seal_tst_signer_cert(tst)));
    s->signing_time = info->gen_time;
    if (!info->md) {
        SEAL_TRY(seal_sig_add_check(
            s, "timestamp", SEAL_VERDICT_INDETERMINATE, "CRYPTO_CONSTRAINTS_FAILURE",
            "the document timestamp uses an unsupported hash (%s)", info->hash_oid));
        goto out;
    }
    s->digest = digest_name(info->md);
    SEAL_ENSURE(s->digest, SEAL_ENOMEM, "out of memory for the verification report");
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    SEAL_TRY(hash_byte_range(c, info->md, br, digest, &digest_len));
    SEAL_TRY(pdf_judge_timestamp(s, "timestamp", c->trust, c->dss, tst,
                                 seal_tst_imprint_is(tst, info->md, digest, digest_len) == 1,
                                 "the document's signed bytes (its ByteRange)", &proven));
    tsa = seal_tst_tsa_display_name(tst);
    SEAL_ENSURE(tsa, SEAL_ENOMEM, "out of memory for the verification report");
    if (asprintf(&s->time_source, "%s by %s",
                 proven ? "document timestamp"
                        : "genTime of a document timestamp that does not "
                          "hold, issued",
                 tsa) < 0) {
        s->time_source = NULL;
        SEAL_FAIL(SEAL_ENOMEM, "out of memory for the verification report");
    }
out:
    free(tsa);
    seal_tst_free(tst);
    return rc;
}

/* By id, then page: the first entry of an id is the first page that lists it. */
static int compare_annots(const void *a, const void *b)
{
    const annot_page *x = a, *y = b;
    if (x->id != y->id)
        return x->id < y->id ? -1 : 1;
    return x->page < y->page ? -1 : x->page > y->page;
}

/* One pass over every page's /Annots, so that placing many widgets stays linear. */
static int index_annots(verify_ctx *c)
{
    qpdf_data q = c->q;
    size_t cap = 0;
    c->annots_indexed = true;
    int pages = qpdf_get_num_pages(q);
    for (int p = 0; p < pages; p++) {
        qpdf_oh annots = qpdf_oh_get_key(q, qpdf_get_page_n(q, (size_t)p), "/Annots");
        int n = qpdf_oh_is_array(q, annots) ? qpdf_oh_get_array_n_items(q, annots) : 0;
        for (int i = 0; i < n; i++) {
            int id = qpdf_oh_get_object_id(q, qpdf_oh_get_array_item(q, annots, i));
            if (id <= 0)
                continue;
            if (c->n_annots == cap) {
                cap = cap ? cap * 2 : 64;
                annot_page *grown = realloc(c->annots, cap * sizeof *grown);
                if (!grown)
                    return seal_error_set(SEAL_ENOMEM, "out of memory listing annotations");
                c->annots = grown;
            }
            c->annots[c->n_annots++] = (annot_page){id, p + 1};
        }
    }
    if (c->n_annots > 1) /* qsort wants an array, even of none */
        qsort(c->annots, c->n_annots, sizeof *c->annots, compare_annots);
    return 0;
}

/* The page whose /Annots lists the widget (the first, if several do), else its /P. */
static int page_of_widget(verify_ctx *c, qpdf_oh widget)
{
    qpdf_data q = c->q;
    int id = qpdf_oh_get_object_id(q, widget);
    if (!c->annots_indexed && index_annots(c) < 0)
        return 0;
    int page = 0;
    size_t lo = 0, hi = c->n_annots;
    while (id > 0 && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->annots[mid].id < id) {
            lo = mid + 1;
        } else {
            if (c->annots[mid].id == id)
                page = c->annots[mid].page;
            hi = mid;
        }
    }
    if (page > 0)
        return page;
    qpdf_oh p = qpdf_oh_get_key(q, widget, "/P");
    int index = qpdf_oh_is_dictionary(q, p) ? qpdf_find_page_by_oh(q, p) : -1;
    return index >= 0 ? index + 1 : 0;
}

static void widget_rect(qpdf_data q, qpdf_oh widget, double rect[4])
{
    qpdf_oh r = qpdf_oh_get_key(q, widget, "/Rect");
    if (qpdf_oh_is_array(q, r) && qpdf_oh_get_array_n_items(q, r) == 4)
        for (int i = 0; i < 4; i++)
            rect[i] = qpdf_oh_get_numeric_value(q, qpdf_oh_get_array_item(q, r, i));
}

/* Where the seal is shown: its first widget (page and rect of the report), and every
 * widget of the field: the field itself when merged with its widget, else its kids that
 * are widgets and not fields of their own (no /T, ISO 32000-1 12.7.3.1). */
static int describe_placement(verify_ctx *c, seal_sig_report *s, const sig_field *f)
{
    int rc = 0;
    qpdf_data q = c->q;
    if (!f->widget)
        return 0;
    widget_rect(q, f->widget, s->rect);
    s->visible = s->rect[2] != s->rect[0] && s->rect[3] != s->rect[1];
    s->page = page_of_widget(c, f->widget);
    if (f->widget == f->field ||
        qpdf_oh_get_object_id(q, f->widget) == qpdf_oh_get_object_id(q, f->field))
        return seal_sig_add_widget(s, s->page, s->rect);
    qpdf_oh kids = qpdf_oh_get_key(q, f->field, "/Kids");
    int n = qpdf_oh_is_array(q, kids) ? qpdf_oh_get_array_n_items(q, kids) : 0;
    for (int i = 0; i < n && s->n_widgets < MAX_WIDGETS; i++) {
        qpdf_oh kid = qpdf_oh_get_array_item(q, kids, i);
        if (!name_is(q, kid, "/Subtype", "/Widget") || qpdf_oh_has_key(q, kid, "/T"))
            continue;
        double rect[4] = {0, 0, 0, 0};
        widget_rect(q, kid, rect);
        SEAL_TRY(seal_sig_add_widget(s, page_of_widget(c, kid), rect));
    }
    if (s->n_widgets == 0) /* found through a page's /Annots, not through /Kids */
        SEAL_TRY(seal_sig_add_widget(s, s->page, s->rect));
out:
    return rc;
}

/* Where the newest cross-reference section puts object `id` (from the header), or false
 * when it is compressed in an object stream or not defined. */
static int newest_definition(verify_ctx *c, int id, bool *found, bool *in_stream, uint64_t *offset)
{
    *found = false;
    for (size_t r = 0; r < c->tail.n_revs; r++) {
        seal_pdf_revision *rev = &c->tail.revs[r];
        if (rev->is_stream && !rev->entries && seal_pdf_load_stream_entries(c->q, rev) < 0)
            return -1;
        for (size_t i = 0; i < rev->n_entries; i++) {
            if (rev->entries[i].id != (uint32_t)id)
                continue;
            *found = rev->entries[i].in_use;
            *in_stream = rev->entries[i].in_stream;
            *offset = rev->entries[i].offset;
            return 0;
        }
    }
    return 0;
}

/* How often `key` occurs as a name in [from, to) of the file. */
static int count_key(seal_slice file, size_t from, size_t to, const char *key)
{
    int n = 0;
    size_t len = strlen(key);
    for (size_t p = from; to <= file.len && p + len <= to; p++) {
        if (memcmp(file.data + p, key, len) != 0)
            continue;
        uint8_t next = p + len < file.len ? file.data[p + len] : ' ';
        if (!isalnum(next))
            n++;
    }
    return n;
}

/* The signature dictionary as written (ISO 32000-1 12.8.1): a reader takes the object the
 * newest cross-reference section names, so that object must be the one around the
 * /ByteRange gap (else its /Contents is not the signed one: signature wrapping), and hold
 * one /ByteRange and one /Contents (a second key is what another reader may take).
 * `holder` is the object that holds the dictionary (the field itself for a direct /V).
 * `br` is NULL before the ByteRange is checked: then only the keys are counted. */
static int check_sig_dict_bytes(verify_ctx *c, seal_sig_report *s, int holder, const uint64_t *br,
                                bool *ok)
{
    int rc = 0;
    bool found = false, in_stream = false;
    uint64_t offset = 0;
    *ok = false;
    if (holder <= 0 || newest_definition(c, holder, &found, &in_stream, &offset) < 0 || !found) {
        SEAL_TRY(seal_sig_add_check(s, "structure", SEAL_VERDICT_INDETERMINATE, "FORMAT_FAILURE",
                                    "the signature dictionary cannot be found in the "
                                    "cross-reference sections, so its bytes cannot be checked"));
        goto out;
    }
    if (in_stream) {
        SEAL_TRY(seal_sig_add_check(s, "structure", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "the signature dictionary (object %d) is compressed in an "
                                    "object stream, where no /ByteRange gap can be",
                                    holder));
        goto out;
    }
    size_t at = (size_t)offset + c->header;
    const uint8_t *end_hit =
        at < c->file.len ? memmem(c->file.data + at, c->file.len - at, "endobj", 6) : NULL;
    size_t end = end_hit ? (size_t)(end_hit - c->file.data) : c->file.len;
    /* The gap holds hex digits only (checked before): the object is open across it when its
     * first "endobj" comes after it. */
    if (br && !(at < br[1] && end > br[2])) {
        SEAL_TRY(seal_sig_add_check(
            s, "structure", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
            "the signature dictionary (object %d) readers take is defined at offset %zu, not "
            "around its /ByteRange gap [%llu, %llu): its /Contents is not the signed one "
            "(signature wrapping)",
            holder, at, (unsigned long long)br[1], (unsigned long long)br[2]));
        goto out;
    }
    if (!br) {
        const char *keys[] = {"/ByteRange", "/Contents"};
        for (int k = 0; k < 2; k++) {
            int n = count_key(c->file, at, end, keys[k]);
            if (n > 1) {
                SEAL_TRY(seal_sig_add_check(s, "structure", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                            "the signature dictionary (object %d) has %d %s "
                                            "keys: readers may take either",
                                            holder, n, keys[k]));
                goto out;
            }
        }
    }
    *ok = true;
out:
    return rc;
}

/* Two signatures whose /ByteRange gaps overlap claim one signed value for both (a copied
 * signature dictionary, the universal signature forgery's "overlapping" variant). */
static int check_overlaps(verify_ctx *c, seal_report *r)
{
    int rc = 0;
    for (size_t i = 0; i < c->n_fields; i++) {
        for (size_t j = 0; j < c->n_fields; j++) {
            const sig_field *a = &c->fields[i], *b = &c->fields[j];
            if (i == j || !a->br_ok || !b->br_ok || a->br[1] >= b->br[2] || b->br[1] >= a->br[2])
                continue;
            SEAL_TRY(seal_sig_add_check(&r->sigs[i], "structure", SEAL_VERDICT_INVALID,
                                        "FORMAT_FAILURE",
                                        "this signature and signature '%s' have overlapping "
                                        "/ByteRange gaps: the same signed bytes are claimed "
                                        "by two signatures",
                                        b->name));
        }
    }
out:
    return rc;
}

static const char *kind_of(qpdf_data q, qpdf_oh sig)
{
    if (name_is(q, sig, "/Type", "/DocTimeStamp") || name_is(q, sig, "/SubFilter", "/ETSI.RFC3161"))
        return "doc-timestamp";
    if (name_is(q, sig, "/SubFilter", "/ETSI.CAdES.detached"))
        return "pades";
    if (name_is(q, sig, "/SubFilter", "/adbe.pkcs7.detached"))
        return "pkcs7";
    return NULL;
}

static int verify_one(verify_ctx *c, seal_report *r, sig_field *f)
{
    int rc = 0;
    qpdf_data q = c->q;
    seal_sig_report *s;
    seal_buf der = SEAL_BUF_INIT;
    uint64_t br[4] = {0};
    bool ok;
    size_t cms_len = 0;
    pdf_mdp_policy policy = {0};
    SEAL_TRY(seal_report_add_sig(r, &s));
    s->field_name = strdup(f->name);
    SEAL_ENSURE(s->field_name, SEAL_ENOMEM, "out of memory for the verification report");
    SEAL_TRY(describe_placement(c, s, f));

    qpdf_oh sig = qpdf_oh_get_key(q, f->field, "/V");
    if (!qpdf_oh_is_dictionary(q, sig)) {
        s->kind = strdup("unknown");
        SEAL_TRY(seal_sig_add_check(s, "structure", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "the field's /V is not a signature dictionary"));
        goto out;
    }
    const char *kind = kind_of(q, sig);
    s->kind = strdup(kind ? kind : "unknown");
    s->seal_name = string_key(q, sig, "/Name");
    /* The grant sealsvc recorded (docs/authorisations.md), in the dictionary the
     * ByteRange covers: shown with the verdict, which says whether it can be trusted. */
    qpdf_oh grant = qpdf_oh_get_key(q, sig, "/SealsvcGrant");
    if (qpdf_oh_is_dictionary(q, grant)) {
        s->grant_id = string_key(q, grant, "/ID");
        s->grant_project = string_key(q, grant, "/Project");
        s->grant_grantee = string_key(q, grant, "/Grantee");
    }
    SEAL_ENSURE(s->kind, SEAL_ENOMEM, "out of memory for the verification report");

    int holder = qpdf_oh_get_object_id(q, sig) > 0 ? qpdf_oh_get_object_id(q, sig) : f->field_id;
    SEAL_TRY(check_sig_dict_bytes(c, s, holder, NULL, &ok));
    if (!ok)
        goto out;
    SEAL_TRY(check_byte_range(c, s, sig, br, &der, &ok));
    if (!ok)
        goto out;
    memcpy(f->br, br, sizeof f->br);
    f->br_ok = true;
    SEAL_TRY(check_sig_dict_bytes(c, s, holder, br, &ok));
    if (!ok)
        goto out;
    if (!kind) {
        SEAL_TRY(seal_sig_add_check(s, "structure", SEAL_VERDICT_INDETERMINATE, "FORMAT_FAILURE",
                                    "unsupported /SubFilter: only ETSI.CAdES.detached and "
                                    "adbe.pkcs7.detached signatures can be checked"));
        goto out;
    }
    SEAL_TRY(check_contents(s, &der, &cms_len, &ok));
    if (!ok)
        goto out;
    if (strcmp(kind, "doc-timestamp") == 0) {
        SEAL_TRY(check_doc_timestamp(c, s, &der, cms_len, br));
        /* A document timestamp restricts nothing: judged like an approval signature. */
        if (strcmp(s->coverage, "entire revision") == 0)
            SEAL_TRY(seal_pdf_check_changes(
                s, q, seal_slice_of(c->file.data + c->header, c->file.len - c->header), &c->tail,
                (size_t)(br[2] + br[3]) - c->header, &policy, c->password));
        goto out;
    }
    SEAL_TRY(check_cms(c, s, &der, cms_len, br, sig));
    SEAL_TRY(pdf_mdp_policy_read(&policy, q, sig, f->field));
    if (policy.docmdp || policy.lock != PDF_LOCK_NONE)
        SEAL_TRY(seal_sig_add_check(s, "certification", SEAL_VERDICT_VALID, NULL, "%s%s",
                                    pdf_mdp_level_text(policy.docmdp),
                                    policy.lock == PDF_LOCK_ALL ? "; locks every form field"
                                    : policy.lock               ? "; locks some form fields"
                                                                : ""));
    if (strcmp(s->coverage, "entire revision") == 0)
        SEAL_TRY(seal_pdf_check_changes(
            s, q, seal_slice_of(c->file.data + c->header, c->file.len - c->header), &c->tail,
            (size_t)(br[2] + br[3]) - c->header, &policy, c->password));
out:
    pdf_mdp_policy_clear(&policy);
    seal_buf_clear(&der);
    return rc;
}

/* ---- the file ---- */

static int map_file(verify_ctx *c)
{
    int rc = 0;
    struct stat st;
    SEAL_ENSURE(fstat(c->fd, &st) == 0, SEAL_EIO, "cannot read %s: %s", c->path, strerror(errno));
    SEAL_ENSURE(S_ISREG(st.st_mode), SEAL_EIO, "%s is not a regular file", c->path);
    SEAL_ENSURE(st.st_size > 0, SEAL_EFORMAT, "%s is empty, not a PDF", c->path);
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, c->fd, 0);
    SEAL_ENSURE(map != MAP_FAILED, SEAL_EIO, "cannot map %s: %s", c->path, strerror(errno));
    c->file = seal_slice_of(map, (size_t)st.st_size);
out:
    return rc;
}

int seal_pdf_verify(seal_report **out, const char *path, const seal_trust *trust)
{
    return seal_pdf_verify_password(out, path, trust, NULL);
}

int seal_pdf_verify_password(seal_report **out, const char *path, const seal_trust *trust,
                             const char *password)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return seal_error_set(SEAL_EIO, "cannot open %s: %s", path, strerror(errno));
    int rc = pdf_verify_fd(out, fd, path, trust, password);
    close(fd);
    return rc;
}

int pdf_verify_fd(seal_report **out, int fd, const char *path, const seal_trust *trust,
                  const char *password)
{
    int rc = 0;
    seal_report *r = NULL;
    verify_ctx c = {.path = path, .fd = fd, .trust = trust, .password = password};
    *out = NULL;
    SEAL_TRY(map_file(&c));
    const uint8_t *header = memmem(c.file.data, c.file.len < 1024 ? c.file.len : 1024, "%PDF-", 5);
    SEAL_ENSURE(header, SEAL_EFORMAT, "%s is not a PDF (no %%PDF- header in its first 1024 bytes)",
                path);
    /* Readers count cross-reference offsets from the header (qpdf does; ISO 32000-1 7.5.2
     * puts it first); a ByteRange counts from the first byte of the file, as pdfsig and
     * Acrobat hash it, so bytes before the header are signed too. */
    c.header = (size_t)(header - c.file.data);
    if (seal_pdf_tail_scan(&c.tail, seal_slice_of(header, c.file.len - c.header)) < 0) {
        rc = seal_error_wrap(SEAL_EFORMAT, "%s is damaged", path);
        goto out;
    }

    /* A verifier must judge the bytes as written: a repaired cross-reference could show
     * objects the signed revision never had. */
    SEAL_TRY(pdf_qpdf_new_strict(&c.q, path));
    if (qpdf_read_memory(c.q, path, (const char *)c.file.data, c.file.len, password) &
        QPDF_ERRORS) {
        const char *detail = qpdf_get_error_message_detail(c.q, qpdf_get_error(c.q));
        if (detail && strstr(detail, "password"))
            SEAL_FAIL(SEAL_EAUTH,
                      password && *password
                          ? "the password given does not open %s"
                          : "%s is protected by a password: give it with --password",
                      path);
        SEAL_TRY(pdf_qpdf_error(c.q, "the PDF cannot be read"));
    }
    SEAL_TRY(seal_report_new(&r, path, "pdf"));
    SEAL_TRY(pdf_dss_load(&c.dss, c.q));

    qpdf_oh acroform = qpdf_oh_get_key(c.q, qpdf_get_root(c.q), "/AcroForm");
    SEAL_TRY(walk_fields(&c, qpdf_oh_get_key(c.q, acroform, "/Fields"), 0));
    SEAL_TRY(walk_annots(&c));
    SEAL_TRY(pdf_qpdf_error(c.q, "the PDF's form fields cannot be read"));

    for (size_t i = 0; i < c.n_fields; i++) {
        SEAL_TRY(verify_one(&c, r, &c.fields[i]));
        /* A damaged object inside one signature must not stop the others. */
        if (qpdf_has_error(c.q)) {
            int err = pdf_qpdf_error(c.q, "a damaged object");
            SEAL_TRY(seal_sig_add_check(&r->sigs[r->n_sigs - 1], "structure", SEAL_VERDICT_INVALID,
                                        "FORMAT_FAILURE", "%s",
                                        err < 0 ? seal_error_last() : "damaged object"));
        }
    }
    SEAL_TRY(check_overlaps(&c, r));
    seal_report_finish(r);
    /* An object not where the cross-reference says reads as null (with a warning): a
     * signature dictionary read so would be left out, and a later update's object would
     * escape the change analysis. A signature already found INVALID is the better answer
     * (a byte changed under it usually damages the structure too). */
    if (r->verdict != SEAL_VERDICT_INVALID)
        SEAL_TRY(pdf_qpdf_refuse_warnings(c.q, path, false,
                                          "its signatures cannot all be found and judged in a "
                                          "file that only reads after repair"));
    *out = r;
    r = NULL;
out:
    for (size_t i = 0; i < c.n_fields; i++)
        free(c.fields[i].name);
    free(c.fields);
    free(c.annots);
    seal_revocation_free(c.dss);
    if (c.q)
        qpdf_cleanup(&c.q);
    seal_pdf_tail_clear(&c.tail);
    if (c.file.data)
        munmap((void *)c.file.data, c.file.len);
    seal_report_free(r);
    return rc;
}
