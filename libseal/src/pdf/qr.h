/* The verification QR code drawn beside a visible seal: a URL from the caller's template
 * with {sha256} replaced by the SHA-256 of the input document (the output's own hash
 * cannot be known while its appearance is being drawn), encoded with libqrencode and
 * kept as a Flate-compressed grey image. Internal to src/pdf. */
#ifndef SEAL_PDF_QR_H
#define SEAL_PDF_QR_H

#include "pdf_internal.h"

typedef struct pdf_qr {
    seal_buf gray_z; /* one byte per module, 0 black, 255 white, quiet zone included */
    int modules;     /* width = height, in modules */
    char *text;      /* what it encodes */
} pdf_qr;

/* The QR's side beside a seal of height h (mm), and the gap between them. */
#define PDF_QR_SIDE_OF_SEAL 0.6
#define PDF_QR_GAP_MM       2.0

/* Encodes `url_template` for the document `pdf` (SEAL_EINVAL for an empty or over-long
 * template, or one with characters that are not printable ASCII). */
int pdf_qr_prepare(pdf_qr *out, const char *url_template, const seal_pdf *pdf);
void pdf_qr_clear(pdf_qr *qr);

#endif
