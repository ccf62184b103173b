/* Shared between the stamper's files: the prepared seal picture, the widgets of one
 * signature resolved from the plan's placements (stamp_place.c), the input's single pass
 * (stamp_input.c), and what the two phases hand each other: the saved state (stamp_state.c)
 * and the in-memory part a finish in the same process reuses. */
#ifndef SEAL_PDF_STAMP_INTERNAL_H
#define SEAL_PDF_STAMP_INTERNAL_H

#include "pdf_internal.h"
#include "seal/pdf_picture.h"

#include <seal/doc.h>
#include <seal/place.h>

#include <openssl/evp.h>

/* The picture's image and /SMask streams (seal/pdf_picture.h). */
typedef seal_pdf_picture pdf_seal_image;

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
int pdf_widgets_resolve(pdf_widgets *out, const seal_pdf *pdf, const seal_stamp_plan *plan);
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

/* ---- two-phase stamping (stamp.c prepares, stamp_finish.c finishes) ---- */

/* What finish needs from prepare in any process, saved as the pending stamp's `state`
 * (stamp_state.c): where the /Contents gap is in the prepared file and what the signed
 * byte ranges hashed to. The ByteRange is [0, contents_at, contents_at + contents_len,
 * size - contents_at - contents_len]. The CMS needs nothing more: its signed attributes
 * are the pending stamp's `to_sign`, its certificates the pending stamp's own. */
typedef struct pdf_stamp_state {
    uint64_t size;         /* the prepared file's size */
    uint64_t contents_at;  /* file offset of the '<' of /Contents */
    uint64_t contents_len; /* length of "<...>": 2 + twice the bytes reserved for the CMS */
    const EVP_MD *md;      /* the digest of the byte ranges (the CMS messageDigest's) */
    uint8_t range_digest[EVP_MAX_MD_SIZE];
    size_t range_digest_len;
} pdf_stamp_state;

int pdf_stamp_state_save(seal_buf *out, const pdf_stamp_state *s);
/* SEAL_EFORMAT when `data` is not a state that pdf_stamp_state_save wrote. */
int pdf_stamp_state_load(pdf_stamp_state *s, const uint8_t *data, size_t len);

/* What a finish in the same process reuses (the pending stamp's `live`): the prepared
 * file still open (handed to the disk as it was written), and the input's hash state
 * with the update in memory, so that the output's digest needs no second read. */
typedef struct pdf_stamp_live {
    seal_outfile of;      /* the prepared file; of.path is the output */
    EVP_MD_CTX *input_md; /* the hash of the whole input, ready to take the update */
    seal_buf update;      /* the update as written at the input's end, its gap zero-filled */
} pdf_stamp_live;

#endif
