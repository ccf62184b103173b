/* PDF: stamp a visible seal with a PAdES signature as an incremental update, and verify
 * the signatures of a PDF.
 *
 * Stamp flow: open (qpdf reads the structure; damaged, repaired-only or encrypted input is
 * refused), place (page geometry: MediaBox, CropBox, Rotate), write the update (field,
 * widget, appearance, signature dictionary with placeholders) to a temporary file beside
 * the output, hash the ByteRange, sign, fill /Contents, rename. The input is never
 * modified. Byte-level rules: ../shared/formats/PDF-SIGN.md. */
#ifndef SEAL_PDF_H
#define SEAL_PDF_H

#include <seal/crypto.h>
#include <seal/pki.h>
#include <seal/report.h>
#include <stdbool.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct seal_pdf seal_pdf;

/* Opens a PDF for reading its structure. */
int seal_pdf_open(seal_pdf **out, const char *path);
/* The same for an encrypted PDF: `password` is its user or owner password (NULL or "" for
 * the empty user password). SEAL_EAUTH when it opens neither; the message never holds it. */
int seal_pdf_open_password(seal_pdf **out, const char *path, const char *password);
void seal_pdf_free(seal_pdf *pdf);
int seal_pdf_page_count(const seal_pdf *pdf);

/* The page as a person sees it: the CropBox (clipped to the MediaBox), its rotation, and
 * the size after rotation, in points. */
typedef struct seal_pdf_page_geom {
    double media[4]; /* llx lly urx ury */
    double crop[4];
    int rotate; /* 0, 90, 180, 270 */
    double view_width_pt, view_height_pt;
} seal_pdf_page_geom;

int seal_pdf_page_geometry(const seal_pdf *pdf, int page, seal_pdf_page_geom *out);

typedef struct seal_pdf_stamp_opts {
    int page;          /* 1-based */
    double x_mm, y_mm; /* seal centre, from the top-left of the page as shown */
    bool invisible;
    const uint8_t *image_png; /* the seal picture (NULL when invisible) */
    size_t image_png_len;
    double width_mm, height_mm; /* printed size of the seal */
    const char *seal_name;      /* goes to /Name... and the report */
    const char *reason;         /* /Reason, may be NULL */
    const char *location;       /* /Location, may be NULL */
    time_t signing_time;        /* /M; 0: now */
    const char *password;       /* an encrypted input's user or owner password, or NULL */
    int certify;                /* 1, 2, 3: certify with DocMDP P=n (ISO 32000-1 12.8.2.2);
                                 * 0: an approval signature */
    const char *lock_fields;    /* "all" or "NAME,NAME": fields locked by this signature
                                 * (FieldMDP, 12.8.2.4); NULL: none */
    const char *qr_url;         /* a URL template: a QR code of it is drawn beside the seal,
                                 * {sha256} replaced by the SHA-256 (hex) of the input
                                 * document; NULL: no QR code */
} seal_pdf_stamp_opts;

/* Stamps `in` into `out` (atomically; `out` must differ from `in`). */
int seal_pdf_stamp(const char *in, const char *out, const seal_signer *signer,
                   const seal_pdf_stamp_opts *opts);

/* Verifies every signature of a PDF into a report. `trust` may be empty (then chains are
 * INDETERMINATE). Returns 0 when the file could be examined (even if signatures are
 * invalid); an error when it is not a readable PDF. */
int seal_pdf_verify(seal_report **out, const char *path, const seal_trust *trust);
/* The same for an encrypted PDF that needs its user (or owner) password to be read. */
int seal_pdf_verify_password(seal_report **out, const char *path, const seal_trust *trust,
                             const char *password);

#ifdef __cplusplus
}
#endif
#endif
