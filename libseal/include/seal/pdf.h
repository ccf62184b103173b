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
#include <seal/place.h>
#include <seal/render.h>
#include <seal/report.h>
#include <seal/revocation.h>
#include <seal/tsp.h>
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

/* Every occurrence of `text` on the pages as they are shown, found in Poppler's text
 * layout (characters in reading order whatever the text runs, CJK, rotated pages and
 * CropBoxes; case-sensitive). A hit broken across two lines at a space or hyphen counts
 * once, its box around both parts; CJK text broken across lines is not found. None found
 * is not an error (hits->count is 0). */
int seal_pdf_find_text(seal_text_hits *hits, const seal_pdf *pdf, const char *text);

/* The placement planner's view of an open PDF: page count, page sizes as shown, text
 * search. Valid while `pdf` is open. */
void seal_pdf_place_doc(seal_place_doc *out, const seal_pdf *pdf);

typedef struct seal_pdf_stamp_opts {
    int page;          /* 1-based */
    double x_mm, y_mm; /* seal centre, from the top-left of the page as shown */
    /* A visible seal shown several times (pages, keyword hits, seam strips): one widget
     * per placement, all of one signature field. NULL: one at page, x_mm, y_mm. */
    const seal_placement *placements;
    size_t n_placements;
    const seal_seam_strips *strips; /* the pictures of placements whose strip >= 0 */
    bool invisible;
    const uint8_t *image_png; /* the seal picture (NULL when invisible) */
    size_t image_png_len;
    double width_mm, height_mm; /* printed size of the seal */
    const char *seal_name;      /* goes to /Name... and the report */
    const char *reason;         /* /Reason, may be NULL */
    const char *location;       /* /Location, may be NULL */
    time_t signing_time;        /* /M; 0: now */
    /* PAdES B-T (ETSI EN 319 142-1 5.3): a TSA that timestamps the signature value
     * (NULL: B-B), and the anchors its certificate must chain to at genTime (NULL: the
     * chain is not checked while stamping). */
    const seal_tsp_client *tsa;
    const seal_trust *tsa_trust;
    const char *password;        /* an encrypted input's user or owner password, or NULL */
    int certify;                 /* 1, 2, 3: certify with DocMDP P=n (ISO 32000-1 12.8.2.2);
                                  * 0: an approval signature */
    const char *lock_fields;     /* "all" or "NAME,NAME": fields locked by this signature
                                  * (FieldMDP, 12.8.2.4); NULL: none */
    const char *qr_url;          /* a URL template: a QR code of it is drawn beside the seal,
                                  * {sha256} replaced by the SHA-256 (hex) of the input
                                  * document; NULL: no QR code */
    seal_stamp_digests *digests; /* when not NULL, filled on success: the input's and the
                                  * output's digest (hashed on the way, at no extra pass) */
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

/* ---- long-term validation: PAdES B-LT and B-LTA (ETSI EN 319 142-1 5.4, 5.5) ---- */

typedef struct seal_pdf_ltv_opts {
    const seal_trust *trust;     /* the anchors every chain is built to */
    seal_revocation *revocation; /* where CRLs and OCSP responses come from (an earlier
                                  * DSS's evidence is added to it) */
    /* B-LTA: a document timestamp (/DocTimeStamp, ETSI.RFC3161) over the document and its
     * DSS, then the validation data of that timestamp in a last DSS update; NULL: B-LT */
    const seal_tsp_client *archive_tsa;
    /* an encrypted input's user or owner password (NULL: the empty user password); the
     * update is encrypted with the document's key */
    const char *password;
} seal_pdf_ltv_opts;

typedef struct seal_pdf_ltv_summary {
    size_t signatures;         /* signatures and document timestamps covered */
    size_t timestamps;         /* signature timestamps among them */
    size_t certs, crls, ocsps; /* what the DSS holds afterwards */
    bool archived;             /* a document timestamp was added */
} seal_pdf_ltv_summary;

/* Adds, in a new incremental update, a /DSS (ISO 32000-2 12.8.4.3) with /Certs, /CRLs,
 * /OCSPs and a /VRI entry per signature, holding the chains of every signature and of
 * every timestamp, and for each certificate but the anchors the revocation evidence for
 * the time it is judged at (signing time, genTime). Refuses (SEAL_EPKI naming the
 * certificate) when a chain cannot be built or no evidence is found; `out` is written
 * atomically, `in` never changes. `summary` may be NULL. */
int seal_pdf_ltv(const char *in, const char *out, const seal_pdf_ltv_opts *opts,
                 seal_pdf_ltv_summary *summary);

/* ---- rendering pages (Poppler and Cairo, within the limits of seal/render.h) ---- */

/* Renders page `page` (1-based) of the PDF at `path` as Poppler shows it (rotation, crop
 * box and annotations, seals included) on white, at `dpi` (0: the default), into a PNG.
 * SEAL_ENOTFOUND names the page count when the page does not exist. */
int seal_pdf_render_page(seal_buf *png, const char *path, int page, double dpi);

#ifdef __cplusplus
}
#endif
#endif
