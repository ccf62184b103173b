/* The one face of a document format (DESIGN.md "The document face"). A document is opened
 * here, its format sniffed by content once, and every flow above (the stamp and verify
 * drivers, the command line, the HTTP service) reaches it through these calls only: page
 * count and sizes, text search, rendering, verification, and stamping in two phases.
 *
 * Two-phase stamping: seal_doc_prepare() fixes everything but the signature (the
 * appearance, placeholders sized up front from the signer's largest signature and, with
 * a timestamp, the token's expected size; the exact bytes to be signed) and returns a
 * pending stamp; a signer signs its digest, here or elsewhere; seal_doc_finish() checks
 * that the signature verifies over the prepared data before it writes anything, embeds it
 * (and the timestamp) and writes the output atomically. A pending stamp can be written
 * out (seal_pending_stamp_save) and finished by another process. */
#ifndef SEAL_DOC_H
#define SEAL_DOC_H

#include <seal/buf.h>
#include <seal/crypto.h>
#include <seal/pki.h>
#include <seal/place.h>
#include <seal/report.h>
#include <seal/revocation.h>
#include <seal/tsp.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct seal_doc seal_doc;

typedef struct seal_doc_open_opts {
    const char *password; /* an encrypted document's user or owner password; NULL: empty */
    /* When stamping with a signer of this digest: the adapter may start hashing the input
     * at once (beside the parse), so that a stamp reads a large input only once. NULL:
     * not for a stamp. */
    const EVP_MD *stamp_md;
    /* The document of a file that holds several (an OFD package's DocBody elements,
     * GB/T 33190 7.4), 1-based; 0: the first. Pages, text, rendering and stamping are
     * then that document's. A PDF holds one: above 1 is SEAL_EINVAL. */
    int document;
} seal_doc_open_opts;

/* Opens a document, its format told by its bytes (never its name). SEAL_EFORMAT "FILE is
 * neither a PDF nor an OFD document" for anything else; the format's own errors for a
 * damaged one. `opts` may be NULL. */
int seal_doc_open(seal_doc **out, const char *path, const seal_doc_open_opts *opts);
/* The same over an open file descriptor (read from, never written; kept open by the
 * caller until seal_doc_free). `name` names it in messages and reports. */
int seal_doc_open_fd(seal_doc **out, int fd, const char *name, const seal_doc_open_opts *opts);
void seal_doc_free(seal_doc *doc);

/* The format's name, "PDF" or "OFD": for reports, messages and the audit trail. Nothing
 * above this module branches on it. */
const char *seal_doc_format(const seal_doc *doc);
/* SEAL_EFORMAT when the file at `path` is no document format we know; else 0 and its
 * format's name. */
int seal_doc_sniff(const char *path, const char **format_out);

/* How many documents the file holds (1 for a PDF). */
int seal_doc_document_count(const seal_doc *doc);
int seal_doc_page_count(const seal_doc *doc);
/* The page (1-based) as it is shown (after rotation and cropping), in mm. SEAL_ENOTFOUND
 * names the page count when the page does not exist. */
int seal_doc_page_size(seal_doc *doc, int page, double *width_mm, double *height_mm);
/* Every occurrence of `text`, boxes in mm from the shown page's top-left corner; none
 * found is not an error. */
int seal_doc_find_text(seal_doc *doc, const char *text, seal_text_hits *hits);
/* The placement planner's view (page count, sizes, text search); valid while `doc` is. */
void seal_doc_place_view(seal_place_doc *out, seal_doc *doc);

typedef struct seal_doc_render_opts {
    double dpi;     /* PNG: pixels per inch; 0: SEAL_RENDER_DPI_DEFAULT (seal/render.h) */
    bool no_stamps; /* leave out the seals (where the format can tell them apart) */
} seal_doc_render_opts;

/* Where a verify report's signature rectangle (seal_sig_report.rect, or a widget's: the
 * format's own coordinates) lies on page `page` as it is shown: box_mm = x, y from the
 * shown page's top-left corner, width, height, in mm (rotation and crop box applied). */
int seal_doc_box_mm(seal_doc *doc, int page, const double rect[4], double box_mm[4]);

/* Page `page` (1-based) as a PNG on white, seals included, within the pixel limits of
 * seal/render.h. `opts` may be NULL. */
int seal_doc_render_png(seal_doc *doc, int page, const seal_doc_render_opts *opts, seal_buf *png);
/* The whole document as a PDF (every page, text kept as text where it can be);
 * SEAL_EUNSUPPORTED naming the format when it does not offer it. */
int seal_doc_render_pdf(seal_doc *doc, const seal_doc_render_opts *opts, seal_buf *pdf);

typedef struct seal_verify_opts {
    const seal_trust *trust; /* anchors, with their revocation context; may be NULL */
    /* Only the signatures of this document (1-based) of a file that holds several; 0:
     * every document's, whichever the document was opened with. */
    int document;
} seal_verify_opts;

/* Every signature of the document into a report (of every document of the file, each
 * signature naming its document when there are several). 0 when the document could be
 * examined (whatever the verdict). */
int seal_doc_verify(seal_doc *doc, const seal_verify_opts *opts, seal_report **out);

/* ---- the input examined before a stamp ---- */

/* What an attacker may have put in a document for a seal to vouch for: content a reader
 * does not show now but may later, things that act when the file is opened, bytes no
 * reader reaches. The stamp driver's input policy (seal/stamp.h) decides what follows. */
typedef struct seal_doc_finding {
    /* A stable word, the same in every format that has the thing: "hidden-content"
     * (optional content off by default), "hidden-annotation", "annotation-over-text",
     * "unreachable-objects", "update-after-signature", "javascript", "launch-action",
     * "embedded-file", "unlisted-file" (an OFD package file nothing refers to). */
    char *kind;
    int page;     /* 1-based; 0: of no one page */
    char *detail; /* what was found and where, in words a person can check */
} seal_doc_finding;

typedef struct seal_doc_findings {
    seal_doc_finding *items;
    size_t n;
    bool has_signatures; /* the document is signed: a rewrite would break a signature */
} seal_doc_findings;

void seal_doc_findings_clear(seal_doc_findings *f);
/* Adds one finding (printf-style detail). */
int seal_doc_findings_add(seal_doc_findings *f, const char *kind, int page, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Examines the document as an attacker's (docs/stamping.md, "The input examined"): every
 * finding into `out` (none is not an error). SEAL_EUNSUPPORTED naming the format when it
 * has no examination. */
int seal_doc_examine(seal_doc *doc, seal_doc_findings *out);
/* Writes the document anew at `path` with only what its pages and catalog reach and no
 * earlier revisions (for a PDF a full rewrite by qpdf): what a strict policy may stamp
 * instead of the input. SEAL_EPOLICY when the document is signed (the rewrite would break
 * the signature); SEAL_EUNSUPPORTED naming the format when it cannot be rewritten. */
int seal_doc_normalise(seal_doc *doc, const char *path);

/* ---- stamping, two phases ---- */

/* The format of the document read from `fd` (pread only), as seal_doc_sniff. */
int seal_doc_sniff_fd(int fd, const char **format_out);

/* Everything a format needs to prepare one signature. What a format cannot do is refused
 * by its adapter with a message that says so (an OFD signature has no /Reason; a PDF has
 * no lock mode but certification). */
/* The grant a stamp uses (seal/store.h), as the signature records it for verifiers: each
 * adapter writes it where its format lets a reader that does not know it skip it, covered
 * by the signature (docs/authorisations.md): PDF a /SealsvcGrant dictionary in the
 * signature dictionary, OFD ofd:Parameters in Signature.xml's SignedInfo (GM/T 0099). */
typedef struct seal_doc_grant {
    const char *id;      /* the grant's id, as text */
    const char *project; /* a project or tender number, or NULL */
    const char *grantee; /* the grantee's name, masked ("李**"): never a full name or ID */
} seal_doc_grant;

typedef struct seal_stamp_plan {
    /* Where the seal is shown (all of one signature); none with `invisible`. */
    const seal_placement *placements;
    size_t n_placements;
    const seal_seam_strips *strips; /* the pictures of placements whose strip >= 0 */
    bool invisible;
    int page; /* an invisible signature's page (1-based; 0: the first) */
    /* The seal: its picture and printed size, its name, its GB/T 38540 data. */
    const uint8_t *image_png;
    size_t image_png_len;
    double width_mm, height_mm;
    const char *seal_name;
    const uint8_t *esl;
    size_t esl_len;
    /* PDF signature dictionary and MDP (PDF-SIGN.md); NULL or 0 when not asked for. */
    const char *reason, *location;
    int certify;             /* 1, 2, 3: DocMDP P; 0: an approval signature */
    const char *lock_fields; /* "all" or "NAME,NAME" (FieldMDP) */
    const char *qr_url;      /* a QR code of it beside the seal; {sha256} = the input's */
    bool lock;               /* OFD: cover the signature list, no later signature */
    time_t signing_time;     /* 0: now */
    /* The signer as the document needs to know it: the certificate (and chain) the
     * signature will name, the largest signature it makes. */
    X509 *cert;
    STACK_OF(X509) * chain;
    size_t max_signature_len;
    bool timestamp;              /* room for a signature timestamp token (finish asks the TSA) */
    bool validation_data;        /* B-LT and above: validation data is added after finish */
    const char *output;          /* where finish writes; the prepared file (if any) goes beside */
    const seal_doc_grant *grant; /* the grant the stamp uses; NULL: none */
} seal_stamp_plan;

/* SEAL_EINVAL naming what to drop when a stamp as `plan` asks (its options; placements
 * and signer need not be set yet) cannot be made on a document of `format` (an OFD
 * signature records no reason; lock mode is OFD's; B-LT is a PAdES level). Called before
 * a seal is touched. */
int seal_doc_check_plan(const char *format, const seal_stamp_plan *plan);
/* How a stamp of `plan` by a key of `alg` at `level` ("B-T") is named in the audit trail
 * and to the user: "PAdES B-T, certifying", "OFD Type=Seal, timestamped". */
void seal_doc_describe(const char *format, const seal_stamp_plan *plan, seal_key_alg alg,
                       const char *level, char *out, size_t size);
/* True when the format shows a seal by the picture and size its GB/T 38540 data records
 * (OFD readers draw the SESeal's own picture), false when by the seal record's. */
bool seal_doc_shows_seal_data_picture(const seal_doc *doc);

typedef struct seal_doc_extend_opts {
    const seal_trust *trust;            /* the anchors every chain is built to */
    seal_revocation *revocation;        /* where CRLs and OCSP responses come from */
    const seal_tsp_client *archive_tsa; /* a document timestamp over it (B-LTA); NULL: B-LT */
    const char *password;               /* an encrypted PDF's user or owner password, or NULL */
} seal_doc_extend_opts;

typedef struct seal_doc_extend_summary {
    size_t signatures, timestamps; /* covered */
    size_t certs, crls, ocsps;     /* held afterwards */
    bool archived;                 /* a document timestamp was added */
} seal_doc_extend_summary;

/* Adds validation data for every signature of the signed document `in` into `out`
 * (B-LT; B-LTA with opts->archive_tsa). SEAL_EUNSUPPORTED naming the format when it has
 * no such thing. */
int seal_doc_extend(const char *in, const char *out, const seal_doc_extend_opts *opts,
                    seal_doc_extend_summary *summary);

/* A prepared stamp waiting for its signature. */
typedef struct seal_pending_stamp {
    char *format;     /* the adapter's name: who finishes it */
    char *output;     /* where finish writes */
    char *prepared;   /* a prepared file beside the output that finish completes and renames,
                         or NULL when finish writes the output anew */
    seal_buf to_sign; /* M: the exact bytes the signature covers */
    uint8_t digest[EVP_MAX_MD_SIZE]; /* what a signer signs: seal_cert_signed_digest(M):
                                        the hash of M, for SM2 e = SM3(Z_A || M) */
    size_t digest_len;
    seal_key_alg alg;
    X509 *cert; /* the certificate the signature must verify with */
    STACK_OF(X509) * chain;
    bool timestamp;
    seal_stamp_digests digests; /* md and `before` (the input's) are filled by prepare */
    seal_buf state;             /* the adapter's own, saved with the rest */
    void *live;                 /* the adapter's in-memory state (not saved; NULL after a
                                   load): what lets finish in the same process skip work */
} seal_pending_stamp;

/* Prepares a stamp of `doc` into *out (free with seal_pending_stamp_free). Nothing is
 * written at `plan->output` yet. */
int seal_doc_prepare(seal_doc *doc, const seal_stamp_plan *plan, seal_pending_stamp **out);

typedef struct seal_stamp_finish_opts {
    const seal_tsp_client *tsa;  /* the TSA when the plan asked for a timestamp */
    const seal_trust *tsa_trust; /* anchors the TSA must chain to at genTime; may be NULL */
} seal_stamp_finish_opts;

/* Embeds `sig` (over p->digest, by p->cert's key; checked first: SEAL_ECRYPTO and
 * nothing written when it does not verify) and writes p->output atomically. On success
 * `digests` (may be NULL) receives the input's and the output's digests. A failure leaves
 * no output; the pending stamp stays finishable (a wrong signature can be retried). */
int seal_doc_finish(seal_pending_stamp *p, const uint8_t *sig, size_t sig_len,
                    const seal_stamp_finish_opts *opts, seal_stamp_digests *digests);
/* Removes what prepare left on disk (the prepared file); for an expired or abandoned
 * stamp. */
void seal_doc_abandon(seal_pending_stamp *p);
void seal_pending_stamp_free(seal_pending_stamp *p);

/* A pending stamp as bytes for the store, and back (p->live is NULL after a load). */
int seal_pending_stamp_save(const seal_pending_stamp *p, seal_buf *out);
int seal_pending_stamp_load(seal_pending_stamp **out, const uint8_t *data, size_t len);

#ifdef __cplusplus
}
#endif
#endif
