/* OFD (GB/T 33190-2016): the package, its XML, the document model, text search and the
 * verification of seals and signatures (GB/T 38540, GM/T 0031, GM/T 0099).
 *
 * Every flow starts with seal_ofd_open(): the zip is read with limits, entry names that
 * could escape the package are refused, OFD.xml -> Document.xml -> pages, resources,
 * annotations and signatures are read into the model. Stamp and render build on the model;
 * verify (seal_ofd_verify) reads the stored bytes of every file a signature names. Byte
 * rules: ../shared/formats/OFD-SEAL.md. All coordinates are millimetres (GB/T 33190 5.2). */
#ifndef SEAL_OFD_H
#define SEAL_OFD_H

#include <seal/buf.h>
#include <seal/crypto.h>
#include <seal/pki.h>
#include <seal/place.h>
#include <seal/render.h>
#include <seal/report.h>
#include <seal/tsp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- opening a package ---- */

/* Limits on what an untrusted package may make us do. */
typedef struct seal_ofd_limits {
    size_t max_entries;      /* zip entries, directories included */
    uint64_t max_entry_size; /* uncompressed bytes of one entry */
    uint64_t max_total_size; /* uncompressed bytes of all entries together */
    uint64_t ratio_floor;    /* entries smaller than this are not ratio-checked */
    unsigned max_ratio;      /* uncompressed / compressed, above ratio_floor */
    size_t max_xml_size;     /* bytes of one XML file */
    unsigned max_xml_depth;  /* element nesting of one XML file */
    size_t max_pages;        /* pages of the document */
} seal_ofd_limits;

/* 10000 entries, 256 MiB an entry, 1 GiB in all, ratio 200 above 1 MiB, XML up to 64 MiB
 * and 128 levels deep, 100000 pages. */
void seal_ofd_limits_default(seal_ofd_limits *out);

typedef struct seal_ofd seal_ofd;

/* Opens an OFD file read-only and reads its model (`limits` NULL: the defaults).
 * SEAL_EFORMAT names the entry or element that is wrong; SEAL_EPOLICY a limit crossed. */
int seal_ofd_open(seal_ofd **out, const char *path, const seal_ofd_limits *limits);
/* The same over bytes in memory (the caller keeps them alive until seal_ofd_free). */
int seal_ofd_open_mem(seal_ofd **out, const uint8_t *data, size_t len,
                      const seal_ofd_limits *limits);
void seal_ofd_free(seal_ofd *doc);

/* ---- package entries ----
 * Package paths are written without the leading '/' ("Doc_0/Document.xml"); functions that
 * take one also accept the absolute form ("/Doc_0/Document.xml"). */

/* File entries (directories left out), in archive order. */
size_t seal_ofd_entry_count(const seal_ofd *doc);
const char *seal_ofd_entry_name(const seal_ofd *doc, size_t index);
bool seal_ofd_entry_exists(const seal_ofd *doc, const char *path);
/* The entry's exact stored content (uncompressed), read once and kept by `doc`.
 * SEAL_ENOTFOUND when there is no such entry. */
int seal_ofd_entry_read(seal_ofd *doc, const char *path, seal_slice *out);

/* Resolves `ref` as GB/T 33190 7.5 says: "/a/b" from the package root, otherwise relative
 * to the folder of `base_file` (a package path; NULL or "" for the root). "." and ".."
 * segments are folded; a path that leaves the root, or is empty, is SEAL_EFORMAT.
 * Backslashes count as '/'. The result (malloc'd) has no leading '/'. */
int seal_ofd_resolve(char **out, const char *base_file, const char *ref);
/* Like seal_ofd_resolve, but tolerant of writers that mean the root where the standard
 * means the referring folder (OFD-SEAL.md 7): when the standard reading names no entry and
 * the root-relative one does, that one is taken. SEAL_ENOTFOUND when neither exists
 * (*out still holds the standard reading). */
int seal_ofd_locate(const seal_ofd *doc, char **out, const char *base_file, const char *ref);

/* ---- numbers and boxes (GB/T 33190 Table 2: ST_Box "x y w h", ST_Array) ---- */
typedef struct seal_ofd_box {
    double x, y, w, h; /* mm; y grows downwards from the top of the page */
} seal_ofd_box;

/* "x y w h": four finite numbers, w and h not negative. */
int seal_ofd_parse_box(seal_ofd_box *out, const char *text);
/* A matrix "a b c d e f" (GB/T 33190 Table 2, ST_Array of 6). */
int seal_ofd_parse_matrix(double out[6], const char *text);

/* ---- the document model ---- */

typedef struct seal_ofd_doc_info {
    const char *ofd_version;      /* OFD.xml Version, "" when absent */
    const char *document_path;    /* DocRoot, resolved: "Doc_0/Document.xml" */
    const char *signatures_path;  /* DocBody/Signatures resolved, NULL when absent */
    const char *annotations_path; /* Document/Annotations resolved, NULL when absent */
    const char *attachments_path; /* Document/Attachments resolved, NULL when absent */
    const char *max_unit_id;      /* CommonData/MaxUnitID text, "" when absent */
    const char *max_sign_id;      /* Signatures/MaxSignId text (the last one), NULL when absent */
    seal_ofd_box physical_box;    /* CommonData/PageArea */
    seal_ofd_box application_box; /* ApplicationBox, or the physical box when absent */
    size_t n_doc_bodies;          /* DocBody elements: the documents of the package */
    int document;                 /* 1-based: the DocBody this model reads */
} seal_ofd_doc_info;

const seal_ofd_doc_info *seal_ofd_info(const seal_ofd *doc);

/* A package may hold several documents (GB/T 33190 7.4, a DocBody each). The model reads
 * one at a time: the first at open; this reads document `number` (1-based) instead, so
 * that pages, text, rendering, signatures and stamping below are that document's.
 * SEAL_ENOTFOUND names the document count when there is no such document; on any error
 * the document read before stays. */
int seal_ofd_select_document(seal_ofd *doc, int number);

/* Page templates (CommonData/TemplatePage) and the pages' use of them. */
typedef enum seal_ofd_zorder {
    SEAL_OFD_ZORDER_BACKGROUND = 0, /* GB/T 33190 Table 11: drawn under the page content */
    SEAL_OFD_ZORDER_BODY,
    SEAL_OFD_ZORDER_FOREGROUND
} seal_ofd_zorder;

typedef struct seal_ofd_template {
    const char *id;
    const char *content_path; /* resolved BaseLoc */
    seal_ofd_zorder zorder;
} seal_ofd_template;

typedef struct seal_ofd_page_template {
    const seal_ofd_template *tpl;
    seal_ofd_zorder zorder; /* the page's ZOrder, else the template's */
} seal_ofd_page_template;

typedef struct seal_ofd_page {
    int number;                   /* 1-based, in Pages order */
    const char *id;               /* the page object ID (what StampAnnot PageRef names) */
    const char *content_path;     /* resolved BaseLoc of its Content.xml */
    seal_ofd_box physical_box;    /* own Area, else the document's PageArea */
    seal_ofd_box application_box; /* own, else the document's, else physical */
    const seal_ofd_page_template *templates;
    size_t n_templates;
    const char *annotation_path; /* this page's PageAnnot file, NULL when none */
} seal_ofd_page;

int seal_ofd_page_count(const seal_ofd *doc);
/* The page (1-based). Reads its Content.xml for its Area and Template on first use.
 * SEAL_ENOTFOUND names the page count when `number` is out of range. */
int seal_ofd_page_get(seal_ofd *doc, int number, const seal_ofd_page **out);
/* Width and height of the page's PhysicalBox, in mm. */
int seal_ofd_page_size_mm(seal_ofd *doc, int number, double *width_mm, double *height_mm);
/* The 1-based number of the page whose ID is `id`, 0 when none. */
int seal_ofd_page_by_id(const seal_ofd *doc, const char *id);

/* Templates of the document. */
size_t seal_ofd_template_count(const seal_ofd *doc);
const seal_ofd_template *seal_ofd_template_at(const seal_ofd *doc, size_t index);

/* ---- signatures (GB/T 33190 18) ---- */

typedef struct seal_ofd_reference {
    const char *file_ref;    /* as written */
    const char *path;        /* resolved package path */
    const char *check_value; /* base64, as written */
} seal_ofd_reference;

typedef struct seal_ofd_stamp_annot {
    const char *id;
    const char *page_ref; /* a page object ID */
    int page;             /* 1-based page it names, 0 when no page has that ID */
    seal_ofd_box boundary;
    bool has_clip;
    seal_ofd_box clip; /* in the seal's own coordinates */
} seal_ofd_stamp_annot;

typedef struct seal_ofd_signature {
    const char *id;      /* Signatures.xml Signature ID */
    const char *type;    /* "Seal" (the default when absent) or "Sign" */
    bool is_seal;        /* Type is Seal */
    const char *path;    /* resolved BaseLoc: the Signature.xml */
    int error;           /* 0, or why Signature.xml could not be read (then only the */
    const char *message; /* fields above are set) */
    const char *provider_name;
    const char *provider_company;
    const char *provider_version;
    const char *signature_method;
    const char *date_time;    /* SignatureDateTime as written, NULL when absent */
    const char *check_method; /* References CheckMethod, NULL when absent */
    const seal_ofd_reference *refs;
    size_t n_refs;
    const seal_ofd_stamp_annot *stamps;
    size_t n_stamps;
    const char *seal_path;         /* Seal/BaseLoc resolved, NULL when absent */
    const char *signed_value_path; /* SignedValue resolved, NULL when absent */
    /* SignedInfo's extension parameters (GM/T 0099 B.2) sealsvc writes for the grant a
     * stamp used (docs/authorisations.md); NULL when absent. */
    const char *grant_id, *grant_project, *grant_grantee;
} seal_ofd_signature;

size_t seal_ofd_signature_count(const seal_ofd *doc);
const seal_ofd_signature *seal_ofd_signature_at(const seal_ofd *doc, size_t index);

/* ---- text (GB/T 33190 11) ---- */

/* One glyph: the character and its cell on the page (mm, page coordinates). */
typedef struct seal_ofd_glyph {
    uint32_t codepoint;
    double x, y;      /* glyph origin on the baseline, page coordinates */
    seal_ofd_box box; /* the glyph's em cell, axis-aligned on the page */
} seal_ofd_glyph;

/* Every glyph of a page in content order (templates first when drawn under the page, then
 * the page's layers, then foreground templates). The caller frees *out with free(). */
int seal_ofd_page_glyphs(seal_ofd *doc, int page, seal_ofd_glyph **out, size_t *n_out);

typedef struct seal_ofd_text_hit {
    int document;     /* 1-based: the document searched (seal_ofd_select_document) */
    int page;         /* 1-based, in that document */
    seal_ofd_box box; /* union of the matched glyphs' cells, mm */
} seal_ofd_text_hit;

/* Finds every occurrence of `keyword` (UTF-8; white space in the page text is skipped
 * when matching) on every page of the selected document, also across TextCode and TextObject
 * boundaries, and across a line break where the next line follows in reading order (the
 * next line below, or the next column's first line); such a hit's box is the keyword's
 * part on the line where it begins. Hits come page by page in content order. *hits
 * (free()) may be NULL when *n_hits is 0. */
int seal_ofd_find_text(seal_ofd *doc, const char *keyword, seal_ofd_text_hit **hits,
                       size_t *n_hits);

/* ---- verification ---- */

/* Verifies every signature of an OFD into a report (format "ofd"): references, Seal.esl,
 * dataHash, stamper and maker signatures, certificates, chains and seal validity at the
 * signing time, and changes after each signature (OFD-SEAL.md 6). `trust` may be NULL or
 * empty: then chains are INDETERMINATE. Returns 0 when the file could be examined. */
int seal_ofd_verify(seal_report **out, const char *path, const seal_trust *trust);

/* ---- rendering (GB/T 33190 pages drawn with Cairo) ---- */

typedef struct seal_ofd_render_opts {
    double dpi;     /* PNG only: pixels per inch; 0: SEAL_RENDER_DPI_DEFAULT (seal/render.h) */
    bool no_stamps; /* leave out the seals that StampAnnot entries place on the page */
} seal_ofd_render_opts;

/* The page as a PNG on white at opts->dpi, within the pixel limits of seal/render.h. */
int seal_ofd_render_page_png(seal_buf *png, seal_ofd *doc, int page,
                             const seal_ofd_render_opts *opts);
/* The whole document as a PDF, a page per OFD page of the same size in points; text stays
 * text (the fonts are embedded). */
int seal_ofd_render_pdf(seal_buf *pdf, seal_ofd *doc, const seal_ofd_render_opts *opts);

/* ---- stamping (GB/T 33190 18, GB/T 38540; OFD-SEAL.md sections 4-5) ----
 * Stamp flow: open the document, plan where the seal goes with the place module over
 * seal_ofd_place_doc() (positions in mm from the top-left corner of each page's
 * PhysicalBox), then seal_ofd_stamp() writes a new package with one more signature. */

/* The planner's view of an open OFD: its page count, each page's PhysicalBox size, and
 * keyword search (seal_ofd_find_text), with hits in mm from the PhysicalBox's top-left
 * corner. Valid while `doc` is open. */
void seal_ofd_place_doc(seal_place_doc *out, seal_ofd *doc);

typedef enum seal_ofd_stamp_mode {
    SEAL_OFD_STAMP_CONTINUE = 0, /* later signatures may be added (Signatures.xml is not
                                    covered) */
    SEAL_OFD_STAMP_LOCK          /* Signatures.xml is covered too; a later stamp is refused */
} seal_ofd_stamp_mode;

typedef struct seal_ofd_stamp_opts {
    seal_ofd_stamp_mode mode;
    int document; /* the document (1-based DocBody) stamped; 0: the first */
    /* Where the seal is shown: one StampAnnot each, all of one signature. Whole seals
     * must be shown at the size the seal gives (its picture's width and height). */
    const seal_placement *placements;
    size_t n_placements;
    const seal_seam_strips *strips; /* the seam strips placements with strip >= 0 show */
    time_t signing_time;            /* 0: now */
    const seal_ofd_limits *limits;  /* NULL: the defaults */
    /* Trusted time (NULL: none): an RFC 3161 token over the signature value, checked by
     * the client and, with `tsa_trust`, for the TSA's chain at genTime. Type=Seal puts it
     * in the SES_Signature's timeStamp field (GB/T 38540, OFD-SEAL.md 1), Type=Sign as the CMS
     * signature-time-stamp attribute (RFC 3161 appendix A). */
    const seal_tsp_client *tsa;
    const seal_trust *tsa_trust;
    /* When not NULL, filled on success: the input package's and the output package's
     * digest, whole files (the output read back once more). */
    seal_stamp_digests *digests;
} seal_ofd_stamp_opts;

/* Stamps `in` into `out` (a new file, written atomically; `in` is only read) with the
 * seal `seal` (the GB/T 38540 SESeal, .esl bytes), which must list the signer's
 * certificate and be valid at the signing time. An SM2 signer makes a Type=Seal signature
 * (SignedValue.dat a v4 SES_Signature); RSA and ECDSA signers a Type=Sign signature
 * (SignedValue.dat a CMS SignedData over Signature.xml). Every entry of `in` is kept
 * byte-identical except Signatures.xml (and OFD.xml when the document had no signature
 * list). SEAL_EPOLICY when an earlier signature locked the document. */
int seal_ofd_stamp(const char *in, const char *out, const seal_signer *signer, const uint8_t *seal,
                   size_t seal_len, const seal_ofd_stamp_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
