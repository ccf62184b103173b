/* A pending stamp as bytes and back (seal_pending_stamp_save / _load): what the store keeps
 * between prepare and finish, so that another process can finish a stamp an external
 * signer answers later. Every field is kept except the adapter's in-memory state (`live`).
 * The bytes come back from a database a stranger may have written to, so the reader takes
 * nothing on trust: every length is bounded by the DER reader, unknown versions and
 * formats and trailing bytes are refused, certificates must decode exactly.
 *
 * The encoding is DER (X.690), self-describing and versioned:
 *
 *   PendingStamp ::= SEQUENCE {
 *     version    INTEGER (1),
 *     format     UTF8String,              -- "PDF", "OFD": the adapter that finishes it
 *     output     UTF8String,
 *     prepared   [0] IMPLICIT UTF8String OPTIONAL,
 *     toSign     OCTET STRING,            -- M
 *     digest     OCTET STRING,            -- what the signer signs (1 to 64 bytes)
 *     alg        UTF8String,              -- "rsa", "ecdsa", "sm2"
 *     cert       [1] EXPLICIT Certificate OPTIONAL,
 *     chain      SEQUENCE OF Certificate,
 *     timestamp  BOOLEAN,
 *     digests    [2] IMPLICIT SEQUENCE {  -- absent when prepare set no digest
 *                  md OBJECT IDENTIFIER, before OCTET STRING, after OCTET STRING } OPTIONAL,
 *     state      OCTET STRING }           -- the adapter's own */
#include "doc/doc_internal.h"

#include <seal/der.h>
#include <seal/error.h>

#include <glib.h>
#include <openssl/objects.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_VERSION 1
#define WHAT            "the pending stamp"

static void write_cert(seal_der_writer *w, X509 *cert)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    if (len <= 0) {
        w->error = w->error
                       ? w->error
                       : seal_error_set_openssl(SEAL_ECRYPTO, "a certificate cannot be encoded");
        return;
    }
    seal_der_raw(w, der, (size_t)len);
    OPENSSL_free(der);
}

int seal_pending_stamp_save(const seal_pending_stamp *p, seal_buf *out)
{
    int rc = 0;
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    SEAL_ENSURE(p && out, SEAL_EINVAL, "no pending stamp to save");
    SEAL_ENSURE(p->format && p->output, SEAL_EINVAL, "the pending stamp has no format or output");
    SEAL_ENSURE(p->digest_len >= 1 && p->digest_len <= sizeof p->digest, SEAL_EINVAL,
                "the pending stamp has no digest");
    SEAL_ENSURE(p->digests.len <= sizeof p->digests.before, SEAL_EINVAL,
                "the pending stamp's document digests are too long");
    size_t top = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_int(&w, PENDING_VERSION);
    seal_der_string(&w, SEAL_DER_UTF8_STRING, p->format);
    seal_der_string(&w, SEAL_DER_UTF8_STRING, p->output);
    if (p->prepared)
        seal_der_string(&w, SEAL_DER_CONTEXT | 0, p->prepared);
    seal_der_octet_string(&w, p->to_sign.data, p->to_sign.len);
    seal_der_octet_string(&w, p->digest, p->digest_len);
    seal_der_string(&w, SEAL_DER_UTF8_STRING, seal_key_alg_name(p->alg));
    if (p->cert) {
        size_t mark = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 1);
        write_cert(&w, p->cert);
        seal_der_end(&w, mark);
    }
    size_t chain = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    for (int i = 0; i < sk_X509_num(p->chain); i++)
        write_cert(&w, sk_X509_value(p->chain, i));
    seal_der_end(&w, chain);
    seal_der_bool(&w, p->timestamp);
    if (p->digests.md) {
        char oid[128];
        SEAL_ENSURE(p->digests.len == (size_t)EVP_MD_get_size(p->digests.md), SEAL_EINVAL,
                    "the pending stamp's document digests do not match their algorithm");
        SEAL_ENSURE(OBJ_obj2txt(oid, sizeof oid, OBJ_nid2obj(EVP_MD_get_type(p->digests.md)), 1) >
                        0,
                    SEAL_EINVAL, "the pending stamp's document digest has no OID");
        size_t mark = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 2);
        seal_der_oid(&w, oid);
        seal_der_octet_string(&w, p->digests.before, p->digests.len);
        seal_der_octet_string(&w, p->digests.after, p->digests.len);
        seal_der_end(&w, mark);
    }
    seal_der_octet_string(&w, p->state.data, p->state.len);
    seal_der_end(&w, top);
    SEAL_TRY(seal_der_finish(&w, out));
out:
    if (rc < 0)
        seal_buf_clear(&w.out);
    return rc;
}

/* ---- reading ---- */

/* A UTF8String's text (malloc'd): no NUL inside, valid UTF-8, not empty. */
static int read_text(char **out, const seal_der_elem *e, const char *what)
{
    if (e->content.len == 0 || memchr(e->content.data, 0, e->content.len) ||
        !g_utf8_validate((const char *)e->content.data, (gssize)e->content.len, NULL))
        return seal_error_set(SEAL_EFORMAT, WHAT ": %s is empty or not UTF-8 text", what);
    *out = strndup((const char *)e->content.data, e->content.len);
    return *out ? 0 : seal_error_set(SEAL_ENOMEM, "out of memory");
}

static int read_string(char **out, seal_slice *cur, uint8_t tag, const char *what)
{
    seal_der_elem e;
    int rc = seal_der_expect(cur, tag, &e, what);
    return rc < 0 ? rc : read_text(out, &e, what);
}

/* A certificate: one whole DER element that decodes to an X.509 certificate exactly. */
static int read_cert(X509 **out, seal_slice *cur, const char *what)
{
    seal_der_elem e;
    int rc = seal_der_expect(cur, SEAL_DER_SEQUENCE, &e, what);
    if (rc < 0)
        return rc;
    const unsigned char *at = e.whole.data;
    *out = d2i_X509(NULL, &at, (long)e.whole.len);
    if (!*out || at != e.whole.data + e.whole.len) {
        X509_free(*out);
        *out = NULL;
        return seal_error_set_openssl(SEAL_EFORMAT, WHAT ": %s is not a certificate", what);
    }
    return 0;
}

static int read_bool(bool *out, seal_slice *cur, const char *what)
{
    seal_der_elem e;
    int rc = seal_der_expect(cur, SEAL_DER_BOOLEAN, &e, what);
    if (rc < 0)
        return rc;
    /* X.690 11.1: DER has exactly two encodings. */
    if (e.content.len != 1 || (e.content.data[0] != 0 && e.content.data[0] != 0xff))
        return seal_error_set(SEAL_EFORMAT, WHAT ": %s is not a DER BOOLEAN", what);
    *out = e.content.data[0] != 0;
    return 0;
}

static int read_digests(seal_stamp_digests *d, seal_slice cur)
{
    int rc = 0;
    seal_der_elem oid_elem, before, after;
    char oid[128];
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_OID, &oid_elem, WHAT ": the digest algorithm"));
    SEAL_TRY(seal_der_read_oid(&oid_elem, oid, sizeof oid, WHAT ": the digest algorithm"));
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    d->md = obj ? EVP_get_digestbyobj(obj) : NULL;
    ASN1_OBJECT_free(obj);
    SEAL_ENSURE(d->md, SEAL_EFORMAT, WHAT ": the document digest algorithm %s is unknown", oid);
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_OCTET_STRING, &before, WHAT ": the input's digest"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_OCTET_STRING, &after, WHAT ": the output's digest"));
    size_t len = (size_t)EVP_MD_get_size(d->md);
    SEAL_ENSURE(before.content.len == len && after.content.len == len && len <= sizeof d->before,
                SEAL_EFORMAT, WHAT ": the document digests are not %zu bytes long", len);
    SEAL_ENSURE(cur.len == 0, SEAL_EFORMAT, WHAT ": the document digests have trailing bytes");
    memcpy(d->before, before.content.data, len);
    memcpy(d->after, after.content.data, len);
    d->len = len;
out:
    return rc;
}

static int read_body(seal_pending_stamp *p, seal_slice cur)
{
    int rc = 0;
    seal_der_elem e;
    long version;
    char *alg = NULL;

    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_INTEGER, &e, WHAT ": the version"));
    SEAL_TRY(seal_der_read_int(&e, &version, WHAT ": the version"));
    SEAL_ENSURE(version == PENDING_VERSION, SEAL_EFORMAT,
                WHAT " is of version %ld; this version of sealsvc reads version %d", version,
                PENDING_VERSION);
    SEAL_TRY(read_string(&p->format, &cur, SEAL_DER_UTF8_STRING, "the format"));
    SEAL_ENSURE(seal_doc_ops_by_name(p->format), SEAL_EFORMAT,
                WHAT " is for a document format this version does not know");
    SEAL_TRY(read_string(&p->output, &cur, SEAL_DER_UTF8_STRING, "the output file"));
    if (seal_der_peek(&cur, SEAL_DER_CONTEXT | 0))
        SEAL_TRY(read_string(&p->prepared, &cur, SEAL_DER_CONTEXT | 0, "the prepared file"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_OCTET_STRING, &e, WHAT ": the data to sign"));
    SEAL_TRY(seal_buf_set(&p->to_sign, e.content.data, e.content.len));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_OCTET_STRING, &e, WHAT ": the digest"));
    SEAL_ENSURE(e.content.len >= 1 && e.content.len <= sizeof p->digest, SEAL_EFORMAT,
                WHAT ": the digest is %zu bytes long (1 to %zu expected)", e.content.len,
                sizeof p->digest);
    memcpy(p->digest, e.content.data, e.content.len);
    p->digest_len = e.content.len;
    SEAL_TRY(read_string(&alg, &cur, SEAL_DER_UTF8_STRING, "the signature algorithm"));
    SEAL_ENSURE(seal_key_alg_parse(&p->alg, alg) == 0 && p->alg != SEAL_ALG_UNKNOWN, SEAL_EFORMAT,
                WHAT ": the signature algorithm is not rsa, ecdsa or sm2");
    if (seal_der_peek(&cur, SEAL_DER_CONTEXT_CONS | 1)) {
        SEAL_TRY(seal_der_expect(&cur, SEAL_DER_CONTEXT_CONS | 1, &e, WHAT ": the certificate"));
        seal_slice inner = e.content;
        SEAL_TRY(read_cert(&p->cert, &inner, "the certificate"));
        SEAL_ENSURE(inner.len == 0, SEAL_EFORMAT, WHAT ": the certificate has trailing bytes");
    }
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &e, WHAT ": the chain"));
    p->chain = sk_X509_new_null();
    SEAL_ENSURE(p->chain, SEAL_ENOMEM, "out of memory");
    for (seal_slice chain = e.content; chain.len > 0;) {
        X509 *cert = NULL;
        SEAL_TRY(read_cert(&cert, &chain, "a certificate of the chain"));
        if (!sk_X509_push(p->chain, cert)) {
            X509_free(cert);
            SEAL_FAIL(SEAL_ENOMEM, "out of memory");
        }
    }
    SEAL_TRY(read_bool(&p->timestamp, &cur, "the timestamp flag"));
    if (seal_der_peek(&cur, SEAL_DER_CONTEXT_CONS | 2)) {
        SEAL_TRY(seal_der_expect(&cur, SEAL_DER_CONTEXT_CONS | 2, &e, WHAT ": the digests"));
        SEAL_TRY(read_digests(&p->digests, e.content));
    }
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_OCTET_STRING, &e, WHAT ": the format's state"));
    SEAL_TRY(seal_buf_set(&p->state, e.content.data, e.content.len));
    SEAL_ENSURE(cur.len == 0, SEAL_EFORMAT, WHAT " has %zu bytes after its last field", cur.len);
out:
    free(alg);
    return rc;
}

int seal_pending_stamp_load(seal_pending_stamp **out, const uint8_t *data, size_t len)
{
    int rc = 0;
    seal_pending_stamp *p = NULL;
    seal_der_elem top;
    SEAL_ENSURE(out, SEAL_EINVAL, "nowhere to load the pending stamp");
    *out = NULL;
    SEAL_ENSURE(data && len, SEAL_EFORMAT, WHAT " is empty");
    seal_slice cur = seal_slice_of(data, len);
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &top, WHAT));
    SEAL_ENSURE(cur.len == 0, SEAL_EFORMAT, WHAT " is followed by %zu more bytes", cur.len);
    p = calloc(1, sizeof *p);
    SEAL_ENSURE(p, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(read_body(p, top.content));
    *out = p;
    p = NULL;
out:
    seal_pending_stamp_free(p);
    return rc;
}
