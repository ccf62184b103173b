/* The standard security handler of an encrypted PDF (ISO 32000-1 7.6.3, ISO 32000-2
 * 7.6.4): the file key derived from the password, the document's permissions, and the
 * encryption of the strings and streams our incremental update adds, so that a stamp on
 * an encrypted document is encrypted like the rest of it. Internal to src/pdf. */
#ifndef SEAL_PDF_ENCRYPT_H
#define SEAL_PDF_ENCRYPT_H

#include <seal/buf.h>

#include "qpdf_lazy.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum pdf_cipher {
    PDF_CIPHER_NONE, /* /Identity or /None: left as is */
    PDF_CIPHER_RC4,  /* /V 1, 2, or /CFM /V2 */
    PDF_CIPHER_AESV2,
    PDF_CIPHER_AESV3
} pdf_cipher;

typedef struct pdf_crypt {
    int v, r;
    uint8_t key[32]; /* the file encryption key */
    size_t key_len;
    pdf_cipher strings, streams; /* /StrF and /StmF */
    int32_t p;                   /* /P, the permission bits (Table 22) */
    bool owner;                  /* opened with the owner password */
} pdf_crypt;

/* Reads the trailer's /Encrypt (standard handler only) and derives the file key from
 * `password` (NULL: the empty password), which must be the user or the owner password.
 * SEAL_EAUTH when it is neither, SEAL_EUNSUPPORTED for other security handlers. */
int pdf_crypt_open(pdf_crypt *out, qpdf_data q, const char *password, const char *path);

/* SEAL_EPOLICY, naming the bit, when the document's permissions forbid adding a signature
 * field (Table 22 bits 4 and 6); opening with the owner password lifts them. */
int pdf_crypt_check_sign_allowed(const pdf_crypt *c, const char *path);

/* Encrypts `len` bytes for object num/gen as a stream's data (7.6.2, Algorithm 1). */
int pdf_crypt_stream(seal_buf *out, const pdf_crypt *c, long long num, long long gen,
                     const uint8_t *in, size_t len);

/* Rewrites the text of one indirect object, text->data[body, text->len), with every
 * string encrypted for num/gen and written as a hex string; stops at the `stream` keyword
 * (the caller encrypts stream data). The hex string that starts at `keep_at` (a
 * signature's /Contents, never encrypted: ISO 32000-1 7.6.1) is left as it is and must not
 * move. SIZE_MAX for none. */
int pdf_crypt_object_text(seal_buf *text, size_t body, const pdf_crypt *c, long long num,
                          long long gen, size_t keep_at);

/* Whether `parsed` is what a reader that decrypts every string (qpdf does, but for a
 * /Type /Sig dictionary's /Contents) makes of the string `raw` of object num/gen: so a
 * document timestamp's /Contents, never encrypted (ISO 32000-1 7.6.1), can be read from
 * its ByteRange gap and still be known to be that dictionary's. AES: all but the last
 * block's padding must agree (7.6.2). */
int pdf_crypt_string_read_as(bool *match, const pdf_crypt *c, long long num, long long gen,
                             const uint8_t *raw, size_t raw_len, const uint8_t *parsed,
                             size_t parsed_len);

void pdf_crypt_clear(pdf_crypt *c);

#endif
