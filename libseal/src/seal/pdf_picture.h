/* The seal picture as a PDF shows it: Flate-compressed RGB samples for an image XObject and
 * its alpha channel for the /SMask (ISO 32000-1 8.9.5, 11.6.5.3). Decoding a 600 dpi PNG and
 * compressing it again costs more than hashing a megabyte, so the streams are made once,
 * when the seal is made, and kept in the store (store/sqlite.c); the store hands them to
 * this process-wide cache when it reads the seal, and the PDF stamper (pdf/appearance.c)
 * copies them from it. Every call is safe from any thread. */
#ifndef SEAL_PDF_PICTURE_H
#define SEAL_PDF_PICTURE_H

#include <seal/buf.h>

#include <stdint.h>

typedef struct seal_pdf_picture {
    seal_buf rgb_z;   /* Flate-compressed 8-bit RGB samples */
    seal_buf alpha_z; /* Flate-compressed 8-bit alpha samples, for the /SMask */
    int width, height;
} seal_pdf_picture;

#define SEAL_PDF_PICTURE_KEY_LEN 32

/* SHA-256 of the PNG's bytes: the pictures' key, in the cache and in the store. */
int seal_pdf_picture_key(uint8_t key[SEAL_PDF_PICTURE_KEY_LEN], const uint8_t *png, size_t len);
/* Decodes the PNG and compresses its samples. */
int seal_pdf_picture_make(seal_pdf_picture *out, const uint8_t *png, size_t len);
void seal_pdf_picture_clear(seal_pdf_picture *p);

/* 1 with a copy of the streams kept under `key` in *out, 0 when none are kept. */
int seal_pdf_picture_cached(seal_pdf_picture *out, const uint8_t key[SEAL_PDF_PICTURE_KEY_LEN]);
/* Keeps the streams under `key`, taking them from *p (left empty). The cache holds a few
 * pictures (a process stamping with several seals keeps each); the least recently used
 * one makes room. */
void seal_pdf_picture_remember(const uint8_t key[SEAL_PDF_PICTURE_KEY_LEN], seal_pdf_picture *p);
/* The streams of the PNG: from the cache, else made and remembered. */
int seal_pdf_picture_get(seal_pdf_picture *out, const uint8_t *png, size_t len);

#endif
