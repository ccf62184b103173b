/* DER: a small writer for the structures we sign (CMS SignerInfo, GB/T 38540 seals) and a
 * reader over seal_slice for the ones we verify.
 *
 * We write our own encodings instead of going through OpenSSL's CMS layer because PAdES
 * forbids the signing-time attribute OpenSSL always adds, and OpenSSL 3.0 refuses SM2 in
 * CMS. Verification never re-encodes: the reader hands back the exact stored bytes of
 * every element (tag and length included), which is what signatures cover. */
#ifndef SEAL_DER_H
#define SEAL_DER_H

#include <seal/buf.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Universal tags (X.690 8.x) and the class/constructed bits. */
enum {
    SEAL_DER_BOOLEAN = 0x01,
    SEAL_DER_INTEGER = 0x02,
    SEAL_DER_BIT_STRING = 0x03,
    SEAL_DER_OCTET_STRING = 0x04,
    SEAL_DER_NULL = 0x05,
    SEAL_DER_OID = 0x06,
    SEAL_DER_UTF8_STRING = 0x0c,
    SEAL_DER_PRINTABLE_STRING = 0x13,
    SEAL_DER_IA5_STRING = 0x16,
    SEAL_DER_UTC_TIME = 0x17,
    SEAL_DER_GENERALIZED_TIME = 0x18,
    SEAL_DER_SEQUENCE = 0x30,
    SEAL_DER_SET = 0x31,
    SEAL_DER_CONTEXT = 0x80,     /* context-specific class, primitive */
    SEAL_DER_CONTEXT_CONS = 0xa0 /* context-specific class, constructed */
};

/* ---- writer ----
 * Elements nest: seal_der_begin opens a constructed element and returns a mark,
 * seal_der_end closes it and writes its length. */
typedef struct seal_der_writer {
    seal_buf out;
    int error; /* first failure; later calls do nothing */
} seal_der_writer;

size_t seal_der_begin(seal_der_writer *w, uint8_t tag);
void seal_der_end(seal_der_writer *w, size_t mark);
void seal_der_raw(seal_der_writer *w, const void *der, size_t len); /* pre-encoded TLV */
void seal_der_tlv(seal_der_writer *w, uint8_t tag, const void *content, size_t len);
void seal_der_int(seal_der_writer *w, long value);
void seal_der_uint_bytes(seal_der_writer *w, const uint8_t *bigendian, size_t len);
void seal_der_oid(seal_der_writer *w, const char *dotted);
void seal_der_null(seal_der_writer *w);
void seal_der_bool(seal_der_writer *w, int value);
void seal_der_bit_string(seal_der_writer *w, const void *bytes, size_t len); /* 0 unused bits */
void seal_der_octet_string(seal_der_writer *w, const void *bytes, size_t len);
void seal_der_string(seal_der_writer *w, uint8_t tag, const char *s);
void seal_der_generalized_time(seal_der_writer *w, time_t t); /* YYYYMMDDhhmmssZ */
/* Finishes: moves the encoding to *out; returns 0 or the first error. */
int seal_der_finish(seal_der_writer *w, seal_buf *out);

/* ---- reader ---- */
typedef struct seal_der_elem {
    uint8_t tag;
    seal_slice content; /* the value bytes */
    seal_slice whole;   /* tag, length and value, exactly as stored */
} seal_der_elem;

/* Reads the next element from *cur (definite lengths only, at most 4 length bytes).
 * Returns 0, or SEAL_EFORMAT with a message naming `what`. */
int seal_der_next(seal_slice *cur, seal_der_elem *out, const char *what);
/* Counts the elements of `cur` (a constructed value's content) into *count; SEAL_EFORMAT
 * naming `what` when one cannot be read. */
int seal_der_count(seal_slice cur, size_t *count, const char *what);
/* Reads the next element and requires its tag. */
int seal_der_expect(seal_slice *cur, uint8_t tag, seal_der_elem *out, const char *what);
/* True when the next element in *cur has this tag (without consuming it). */
bool seal_der_peek(const seal_slice *cur, uint8_t tag);

int seal_der_read_int(const seal_der_elem *e, long *out, const char *what);
/* OID to dotted text ("1.2.156.10197.1.501"); out must hold 128 bytes. */
int seal_der_read_oid(const seal_der_elem *e, char *out, size_t out_len, const char *what);
/* UTCTime or GeneralizedTime to time_t (UTC). */
int seal_der_read_time(const seal_der_elem *e, time_t *out, const char *what);
/* BIT STRING with 0 unused bits: the bytes after the unused-bits octet. */
int seal_der_read_bits(const seal_der_elem *e, seal_slice *out, const char *what);

#ifdef __cplusplus
}
#endif
#endif
