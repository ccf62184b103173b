/* A prepared PDF stamp's state as bytes, for a finish in another process (the pending
 * stamp's `state`, kept in the store beside the prepared file). DER, read back with the
 * bounded reader, versioned so that a later layout is told apart:
 *
 *   PdfStampState ::= SEQUENCE {
 *     version          INTEGER (1),
 *     preparedSize     INTEGER,            -- the prepared file's size
 *     contentsAt       INTEGER,            -- file offset of the '<' of /Contents
 *     contentsLength   INTEGER,            -- length of "<...>"
 *     digestAlgorithm  OBJECT IDENTIFIER,  -- of the byte ranges (CMS messageDigest)
 *     rangeDigest      OCTET STRING }
 */
#include "stamp_internal.h"

#include <seal/der.h>
#include <seal/error.h>

#include <openssl/objects.h>
#include <string.h>

#define STATE_VERSION 1

int pdf_stamp_state_save(seal_buf *out, const pdf_stamp_state *s)
{
    char oid[128];
    if (OBJ_obj2txt(oid, sizeof oid, OBJ_nid2obj(EVP_MD_get_type(s->md)), 1) <= 0)
        return seal_error_set(SEAL_ECRYPTO, "the document digest has no OID");
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    size_t seq = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_int(&w, STATE_VERSION);
    seal_der_int(&w, (long)s->size);
    seal_der_int(&w, (long)s->contents_at);
    seal_der_int(&w, (long)s->contents_len);
    seal_der_oid(&w, oid);
    seal_der_octet_string(&w, s->range_digest, s->range_digest_len);
    seal_der_end(&w, seq);
    return seal_der_finish(&w, out);
}

static int read_size(seal_slice *cur, uint64_t *out, const char *what)
{
    seal_der_elem e;
    long value = 0;
    int rc = seal_der_expect(cur, SEAL_DER_INTEGER, &e, what);
    if (rc == 0)
        rc = seal_der_read_int(&e, &value, what);
    if (rc == 0 && value < 0)
        rc = seal_error_set(SEAL_EFORMAT, "the prepared stamp's %s is negative", what);
    *out = (uint64_t)value;
    return rc;
}

int pdf_stamp_state_load(pdf_stamp_state *s, const uint8_t *data, size_t len)
{
    int rc = 0;
    seal_slice all = {data, len}, cur;
    seal_der_elem seq, e;
    uint64_t version = 0;
    char oid[128];
    memset(s, 0, sizeof *s);
    SEAL_TRY(seal_der_expect(&all, SEAL_DER_SEQUENCE, &seq, "prepared PDF stamp"));
    SEAL_ENSURE(all.len == 0, SEAL_EFORMAT, "the prepared PDF stamp has bytes after its state");
    cur = seq.content;
    SEAL_TRY(read_size(&cur, &version, "version"));
    SEAL_ENSURE(version == STATE_VERSION, SEAL_EFORMAT,
                "the prepared PDF stamp is of version %llu, this build reads version %d",
                (unsigned long long)version, STATE_VERSION);
    SEAL_TRY(read_size(&cur, &s->size, "prepared file size"));
    SEAL_TRY(read_size(&cur, &s->contents_at, "/Contents offset"));
    SEAL_TRY(read_size(&cur, &s->contents_len, "/Contents length"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_OID, &e, "digest algorithm"));
    SEAL_TRY(seal_der_read_oid(&e, oid, sizeof oid, "digest algorithm"));
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    s->md = obj ? EVP_get_digestbyobj(obj) : NULL;
    ASN1_OBJECT_free(obj);
    SEAL_ENSURE(s->md, SEAL_EFORMAT, "the prepared PDF stamp names an unknown digest (%s)", oid);
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_OCTET_STRING, &e, "range digest"));
    SEAL_ENSURE(e.content.len == (size_t)EVP_MD_get_size(s->md), SEAL_EFORMAT,
                "the prepared PDF stamp's digest has %zu bytes, not %d", e.content.len,
                EVP_MD_get_size(s->md));
    memcpy(s->range_digest, e.content.data, e.content.len);
    s->range_digest_len = e.content.len;
    SEAL_ENSURE(cur.len == 0, SEAL_EFORMAT, "the prepared PDF stamp has unknown fields");
    /* "<" and ">" around an even number of hex digits, inside the file. */
    SEAL_ENSURE(s->contents_len >= 4 && s->contents_len % 2 == 0 && s->contents_at < s->size &&
                    s->contents_len <= s->size - s->contents_at,
                SEAL_EFORMAT, "the prepared PDF stamp's /Contents is not inside its file");
out:
    return rc;
}
