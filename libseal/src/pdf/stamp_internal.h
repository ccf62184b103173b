/* Shared between the stamper's files: the prepared seal picture, and the widgets of one
 * signature resolved from the placements (stamp_place.c). */
#ifndef SEAL_PDF_STAMP_INTERNAL_H
#define SEAL_PDF_STAMP_INTERNAL_H

#include "pdf_internal.h"

#include <seal/place.h>

#include <openssl/evp.h>

typedef struct pdf_seal_image {
    seal_buf rgb_z;   /* Flate-compressed 8-bit RGB samples */
    seal_buf alpha_z; /* Flate-compressed 8-bit alpha samples, for the /SMask */
    int width, height;
} pdf_seal_image;

int pdf_seal_image_prepare(pdf_seal_image *out, const uint8_t *png, size_t len);
/* The same without the cache, for pictures used once (seam strips): the cache keeps the
 * whole seal, which the next stamp most likely shows again. */
int pdf_seal_image_prepare_once(pdf_seal_image *out, const uint8_t *png, size_t len);
void pdf_seal_image_clear(pdf_seal_image *img);

/* One widget of the signature in the page's user space. */
typedef struct pdf_widget {
    int page; /* 1-based */
    seal_place_rect place;
    double width_pt, height_pt; /* the upright picture's size */
    double box_width_pt;        /* the appearance's /BBox width: the picture, and the QR */
    bool qr;                    /* the QR code is drawn to the right of the picture */
    size_t picture;             /* index in pdf_widgets.pictures */
} pdf_widget;

typedef struct pdf_widgets {
    pdf_widget *items;        /* by page, as the placements came */
    size_t count;             /* 0: an invisible signature */
    pdf_seal_image *pictures; /* [0] the whole seal, [1 + i] seam strip i; width 0: unused */
    size_t n_pictures;
} pdf_widgets;

/* Checks the placements of a visible seal against the document (pages, positions,
 * strips) and prepares each picture they show once. */
int pdf_widgets_resolve(pdf_widgets *out, const seal_pdf *pdf, const seal_pdf_stamp_opts *opts);
void pdf_widgets_clear(pdf_widgets *widgets);

/* The input's single pass, on a helper thread from the moment the input is open: hashed,
 * then copied into the output once the caller hands it over (so that the caller creates
 * the output and parses the document meanwhile). The copy is handed to the disk as it
 * goes, so the sync at the end has little left to wait for. Every successful start is
 * followed by one pdf_input_pass_finish. */
typedef struct pdf_input_pass pdf_input_pass;

int pdf_input_pass_start(pdf_input_pass **out, int in_fd, uint64_t size, const char *in,
                         const EVP_MD *md);
/* Hands over the open output the input is to be copied into. */
void pdf_input_pass_output(pdf_input_pass *pass, seal_outfile *of);
/* Waits for the pass. On success *digest holds the hash state of the whole input, ready
 * to take the update (the caller frees it), and the output holds the input. With DIGEST
 * NULL the pass is abandoned (stopped where it is): the caller's error message stays. */
int pdf_input_pass_finish(pdf_input_pass *pass, EVP_MD_CTX **digest);

#endif
