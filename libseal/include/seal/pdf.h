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
    /* PAdES B-T (ETSI EN 319 142-1 5.3): a TSA that timestamps the signature value
     * (NULL: B-B), and the anchors its certificate must chain to at genTime (NULL: the
     * chain is not checked while stamping). */
    const seal_tsp_client *tsa;
    const seal_trust *tsa_trust;
} seal_pdf_stamp_opts;

/* Stamps `in` into `out` (atomically; `out` must differ from `in`). */
int seal_pdf_stamp(const char *in, const char *out, const seal_signer *signer,
                   const seal_pdf_stamp_opts *opts);

/* Verifies every signature of a PDF into a report. `trust` may be empty (then chains are
 * INDETERMINATE). Returns 0 when the file could be examined (even if signatures are
 * invalid); an error when it is not a readable PDF. */
int seal_pdf_verify(seal_report **out, const char *path, const seal_trust *trust);

/* ---- long-term validation: PAdES B-LT and B-LTA (ETSI EN 319 142-1 5.4, 5.5) ---- */

typedef struct seal_pdf_ltv_opts {
    const seal_trust *trust;     /* the anchors every chain is built to */
    seal_revocation *revocation; /* where CRLs and OCSP responses come from (an earlier
                                  * DSS's evidence is added to it) */
    /* B-LTA: a document timestamp (/DocTimeStamp, ETSI.RFC3161) over the document and its
     * DSS, then the validation data of that timestamp in a last DSS update; NULL: B-LT */
    const seal_tsp_client *archive_tsa;
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

#ifdef __cplusplus
}
#endif
#endif
