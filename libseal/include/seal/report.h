/* The verification report: one verdict per signature and one overall, with the reasons a
 * bidder or a court can read, and a JSON rendering for programs.
 *
 * Verdicts and reason codes follow ETSI EN 319 102-1 / EU DSS sub-indications
 * (../shared/formats/PDF-SIGN.md section 6). */
#ifndef SEAL_REPORT_H
#define SEAL_REPORT_H

#include <seal/buf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum seal_verdict {
    SEAL_VERDICT_VALID = 0,
    SEAL_VERDICT_INVALID = 1,
    SEAL_VERDICT_INDETERMINATE = 2
} seal_verdict;

const char *seal_verdict_name(seal_verdict v); /* "VALID", "INVALID", "INDETERMINATE" */

/* One check that was run, in the order it was run. */
typedef struct seal_check {
    char *name; /* "byte-range", "digest", "signature", "chain", "validity"... */
    seal_verdict outcome;
    char *detail; /* what was found, in words */
} seal_check;

/* One place where a signature's seal is shown (a PDF widget, an OFD appearance). */
typedef struct seal_widget_report {
    int page;       /* 1-based, 0: not on any page */
    double rect[4]; /* as seal_sig_report.rect */
} seal_widget_report;

/* What a person sees of a signature on its page (seal_verify_file_opts.pictures): for a
 * verification page to show the seal as printed and where it sits. */
typedef struct seal_sig_picture {
    int page;               /* 1-based: the signature's first place on a page */
    double page_mm[2];      /* that page as shown: width, height in mm */
    double box_mm[4];       /* the seal's box: x, y from the shown top-left, width, height (mm) */
    seal_buf seal_png;      /* the page rendered (seals included) cropped to the box */
    seal_buf thumbnail_png; /* the whole page, small (SEAL_PICTURE_THUMBNAIL_PX wide) */
} seal_sig_picture;

/* A thumbnail's width in pixels, and the resolution the seal's crop is rendered at. */
#define SEAL_PICTURE_THUMBNAIL_PX 240
#define SEAL_PICTURE_SEAL_DPI     150

typedef struct seal_sig_report {
    char *field_name;     /* PDF field name, OFD signature ID */
    char *kind;           /* "pades", "ses-v4", "sign"... */
    char *signer_name;    /* signer certificate's CN */
    char *signer_subject; /* one-line subject */
    char *signer_issuer;
    char *signer_serial;                        /* hex */
    time_t signer_not_before, signer_not_after; /* the certificate's validity; 0: unknown */
    char *seal_name; /* the seal's name, when the signature carries one */
    /* The grant the stamp used, as the signature records it (docs/authorisations.md):
     * its id, project and the grantee's masked name; NULL when it records none. */
    char *grant_id, *grant_project, *grant_grantee;
    char *algorithm;     /* "rsa", "ecdsa", "sm2" */
    char *digest;        /* "sha256", "sm3"... */
    time_t signing_time; /* 0: unknown */
    char *time_source;   /* "claimed (/M), not proven: no timestamp" */
    char *coverage;      /* "entire file", "entire revision", "anomalous" */
    int document;        /* OFD: the 1-based document (DocBody) the signature belongs to in
                            a package of several; 0 otherwise (pages are then the file's) */
    int page;            /* 1-based, 0: invisible */
    double rect[4];      /* llx lly urx ury in points (PDF) or x y w h mm (OFD) */
    bool visible;
    seal_widget_report *widgets; /* every place the seal is shown (page and rect above are
                                    the first); several for seals on several pages or seams */
    size_t n_widgets;
    seal_verdict verdict;
    char *reason; /* sub-indication when not VALID: "HASH_FAILURE"... */
    seal_check *checks;
    size_t n_checks;
    char **changes; /* changes after signing, one line each */
    size_t n_changes;
    seal_sig_picture *picture; /* NULL unless asked for and the signature shows on a page */
    /* The signer certificate's organisation (O) and organisationIdentifier (2.5.4.97:
     * the unified social credit code, GB 32100); NULL when it has none. */
    char *signer_organization, *signer_credit_code;
} seal_sig_report;

typedef struct seal_report {
    char *file;
    char *format; /* "pdf", "ofd" */
    seal_verdict verdict;
    char *reason;
    seal_sig_report *sigs;
    size_t n_sigs;
} seal_report;

int seal_report_new(seal_report **out, const char *file, const char *format);
void seal_report_free(seal_report *r);
/* Appends a signature entry (zeroed) and returns it through *out. */
int seal_report_add_sig(seal_report *r, seal_sig_report **out);
/* Records a check on a signature; the signature's verdict becomes the worst seen
 * (INVALID > INDETERMINATE > VALID), and `reason` the first reason of that worst. */
int seal_sig_add_check(seal_sig_report *s, const char *name, seal_verdict outcome,
                       const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int seal_sig_add_change(seal_sig_report *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int seal_sig_add_widget(seal_sig_report *s, int page, const double rect[4]);
/* Sets r->verdict from its signatures: INVALID if any is, else INDETERMINATE if any is,
 * else VALID; a report with no signature is INDETERMINATE with NO_SIGNATURE. */
void seal_report_finish(seal_report *r);

/* JSON for programs (UTF-8, pretty-printed). */
int seal_report_to_json(const seal_report *r, seal_buf *out);
/* Plain text for people. */
int seal_report_to_text(const seal_report *r, seal_buf *out);

/* ---- the PDF report (report_pdf.c): for a bidder's or a court's file ---- */

/* What the report says about the document besides the report itself: the caller computes
 * it from the file (seal_report_pdf_opts_from_file, seal/verify.h). */
typedef struct seal_report_pdf_opts {
    const char *file_name; /* as shown on the cover (its last path element); NULL: r->file */
    uint64_t file_size;    /* in bytes */
    uint8_t sha256[32], sm3[32];
    time_t verified_at;     /* 0: now */
    const char *verify_url; /* the verification page's base ("https://verify.example"): a QR
                               code leads to BASE/verify/?sha256=HEX; NULL: no QR code */
} seal_report_pdf_opts;

/* The report as an A4 PDF (Cairo; Chinese in the seal font): a cover with the document's
 * name, size, SHA-256 and SM3, the verdict in large words and the time of verification,
 * the QR code; then per signature the seal picture and its page small (when the report has
 * pictures), the signer, institution and credit code, the time and its proof, the checks
 * and the changes after signing. Text from the document is drawn as text only. */
int seal_report_to_pdf(const seal_report *r, const seal_report_pdf_opts *o, seal_buf *out);

#ifdef __cplusplus
}
#endif
#endif
