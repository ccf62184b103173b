/* RFC 3161 2.4.1 TimeStampReq: encoded by our client for the digest of a signature value
 * or of a document's ByteRange, decoded by our responder from bytes anyone may send. */
#include "crypto_int.h"
#include "tsp_internal.h"

#include <seal/error.h>

#include <limits.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <string.h>

int tsp_oid_read(const seal_der_elem *e, char out[SEAL_TSP_OID_MAX], const char *what)
{
    if (e->tag != SEAL_DER_OID || e->whole.len > LONG_MAX)
        return seal_error_set(SEAL_EFORMAT, "%s is not an OBJECT IDENTIFIER", what);
    const unsigned char *p = e->whole.data;
    ASN1_OBJECT *obj = d2i_ASN1_OBJECT(NULL, &p, (long)e->whole.len);
    int n = obj ? OBJ_obj2txt(out, SEAL_TSP_OID_MAX, obj, 1) : -1;
    ASN1_OBJECT_free(obj);
    ERR_clear_error();
    if (n <= 0 || n >= SEAL_TSP_OID_MAX)
        return seal_error_set(SEAL_EFORMAT, "%s is not a readable OBJECT IDENTIFIER", what);
    return 0;
}

void tsp_oid_write(seal_der_writer *w, const char *dotted)
{
    if (w->error)
        return;
    ASN1_OBJECT *obj = dotted ? OBJ_txt2obj(dotted, 1) : NULL;
    unsigned char *der = NULL;
    int n = obj ? i2d_ASN1_OBJECT(obj, &der) : -1;
    if (n > 0)
        seal_der_raw(w, der, (size_t)n);
    else
        w->error = seal_error_set(SEAL_EINVAL, "'%s' is not an object identifier",
                                  dotted ? dotted : "(none)");
    OPENSSL_free(der);
    ASN1_OBJECT_free(obj);
    ERR_clear_error();
}

int tsp_imprint_read(seal_slice content, char hash_oid[SEAL_TSP_OID_MAX], const EVP_MD **md,
                     seal_slice *digest)
{
    int rc = 0;
    seal_der_elem alg, oid, hashed, params;
    SEAL_TRY(seal_der_expect(&content, SEAL_DER_SEQUENCE, &alg, "the imprint's hash algorithm"));
    SEAL_TRY(seal_der_expect(&alg.content, SEAL_DER_OID, &oid, "the imprint's hash algorithm"));
    SEAL_TRY(tsp_oid_read(&oid, hash_oid, "the imprint's hash algorithm"));
    /* RFC 5754 2: SHA-2 parameters are absent or NULL; nothing else may follow. */
    if (alg.content.len > 0) {
        SEAL_TRY(seal_der_expect(&alg.content, SEAL_DER_NULL, &params,
                                 "the imprint's hash algorithm parameters"));
        SEAL_ENSURE(alg.content.len == 0 && params.content.len == 0, SEAL_EFORMAT,
                    "the imprint's hash algorithm has unexpected parameters");
    }
    SEAL_TRY(seal_der_expect(&content, SEAL_DER_OCTET_STRING, &hashed, "the imprint's hash"));
    SEAL_ENSURE(content.len == 0, SEAL_EFORMAT, "the message imprint has unexpected trailing data");
    *md = seal_md_by_oid(hash_oid);
    *digest = hashed.content;
    if (*md)
        SEAL_ENSURE(hashed.content.len == (size_t)EVP_MD_get_size(*md), SEAL_EFORMAT,
                    "the imprint has %zu bytes; %s makes %d", hashed.content.len,
                    EVP_MD_get0_name(*md), EVP_MD_get_size(*md));
out:
    return rc;
}

int seal_tsp_request_encode(seal_buf *der, const EVP_MD *md, const uint8_t *digest,
                            size_t digest_len, const uint8_t *nonce, size_t nonce_len,
                            const char *policy, bool cert_req)
{
    int rc = 0;
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    const char *hash_oid = md ? seal_md_oid(md) : NULL;
    SEAL_ENSURE(hash_oid, SEAL_EINVAL, "timestamps are asked for SHA-256/384/512 or SM3 digests");
    SEAL_ENSURE(digest && digest_len == (size_t)EVP_MD_get_size(md), SEAL_EINVAL,
                "the digest to timestamp has %zu bytes; %s makes %d", digest_len,
                EVP_MD_get0_name(md), EVP_MD_get_size(md));
    SEAL_ENSURE(nonce_len <= SEAL_TSP_MAX_NONCE, SEAL_EINVAL, "the nonce is too long");

    size_t req = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_int(&w, 1); /* version v1 */
    size_t imprint = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    size_t alg = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_oid(&w, hash_oid); /* RFC 5754 2: no parameters for SHA-2 (nor SM3) */
    seal_der_end(&w, alg);
    seal_der_octet_string(&w, digest, digest_len);
    seal_der_end(&w, imprint);
    if (policy)
        tsp_oid_write(&w, policy);
    if (nonce && nonce_len)
        seal_der_uint_bytes(&w, nonce, nonce_len);
    if (cert_req)
        seal_der_bool(&w, 1); /* DEFAULT FALSE: only written when true (X.690 11.5) */
    seal_der_end(&w, req);
    SEAL_TRY(seal_der_finish(&w, der));
out:
    seal_buf_clear(&w.out);
    return rc;
}

int tsp_request_parse(seal_tsp_request *out, seal_slice *imprint_der, const uint8_t *der,
                      size_t len)
{
    int rc = 0;
    seal_der_elem req, e;
    seal_slice digest;
    long version = 0;

    memset(out, 0, sizeof *out);
    seal_slice cur = seal_slice_of(der, len);
    SEAL_ENSURE(der && len > 0, SEAL_EFORMAT, "the timestamp request is empty");
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &req, "TimeStampReq"));
    SEAL_ENSURE(cur.len == 0, SEAL_EFORMAT, "the timestamp request has trailing data");
    SEAL_TRY(seal_der_expect(&req.content, SEAL_DER_INTEGER, &e, "TimeStampReq version"));
    SEAL_TRY(seal_der_read_int(&e, &version, "TimeStampReq version"));
    SEAL_ENSURE(version == 1, SEAL_EFORMAT, "the timestamp request has version %ld, not 1",
                version);
    SEAL_TRY(seal_der_expect(&req.content, SEAL_DER_SEQUENCE, &e, "TimeStampReq messageImprint"));
    *imprint_der = e.whole;
    SEAL_TRY(tsp_imprint_read(e.content, out->hash_oid, &out->md, &digest));
    SEAL_ENSURE(digest.len <= SEAL_TSP_MAX_DIGEST, SEAL_EFORMAT,
                "the imprint has %zu bytes, more than any supported hash", digest.len);
    memcpy(out->imprint, digest.data, digest.len);
    out->imprint_len = digest.len;
    if (seal_der_peek(&req.content, SEAL_DER_OID)) {
        SEAL_TRY(seal_der_next(&req.content, &e, "TimeStampReq reqPolicy"));
        SEAL_TRY(tsp_oid_read(&e, out->policy, "TimeStampReq reqPolicy"));
    }
    if (seal_der_peek(&req.content, SEAL_DER_INTEGER)) {
        SEAL_TRY(seal_der_next(&req.content, &e, "TimeStampReq nonce"));
        SEAL_ENSURE(e.content.len > 0 && e.content.len <= SEAL_TSP_MAX_NONCE, SEAL_EFORMAT,
                    "the timestamp request's nonce has %zu bytes (1 to %d are accepted)",
                    e.content.len, SEAL_TSP_MAX_NONCE);
        memcpy(out->nonce, e.content.data, e.content.len);
        out->nonce_len = e.content.len;
    }
    if (seal_der_peek(&req.content, SEAL_DER_BOOLEAN)) {
        SEAL_TRY(seal_der_next(&req.content, &e, "TimeStampReq certReq"));
        SEAL_ENSURE(e.content.len == 1, SEAL_EFORMAT,
                    "the timestamp request's certReq is malformed");
        out->cert_req = e.content.data[0] != 0;
    }
    if (seal_der_peek(&req.content, SEAL_DER_CONTEXT_CONS | 0)) {
        SEAL_TRY(seal_der_next(&req.content, &e, "TimeStampReq extensions"));
        out->has_extensions = true;
    }
    SEAL_ENSURE(req.content.len == 0, SEAL_EFORMAT,
                "the timestamp request has unexpected fields after its known ones");
out:
    return rc;
}

int seal_tsp_request_decode(seal_tsp_request *out, const uint8_t *der, size_t len)
{
    seal_slice imprint;
    return tsp_request_parse(out, &imprint, der, len);
}
