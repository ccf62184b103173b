/* Shared between the stamper's files: the prepared seal picture. */
#ifndef SEAL_PDF_STAMP_INTERNAL_H
#define SEAL_PDF_STAMP_INTERNAL_H

#include "pdf_internal.h"

typedef struct pdf_seal_image {
    seal_buf rgb_z;   /* Flate-compressed 8-bit RGB samples */
    seal_buf alpha_z; /* Flate-compressed 8-bit alpha samples, for the /SMask */
    int width, height;
} pdf_seal_image;

int pdf_seal_image_prepare(pdf_seal_image *out, const uint8_t *png, size_t len);
void pdf_seal_image_clear(pdf_seal_image *img);

#endif
