/* The ops table every document format implements behind seal/doc.h (DESIGN.md "The
 * document face"). doc.c sniffs the format with each table's `sniff`, in table order, and
 * dispatches; a third format is one more folder and one more line in doc.c's table. Not
 * part of the public API. */
#ifndef SEAL_DOC_INTERNAL_H
#define SEAL_DOC_INTERNAL_H

#include <seal/doc.h>

typedef struct seal_doc_ops {
    const char *name; /* "PDF", "OFD": seal_doc_format() and seal_pending_stamp.format */
    /* True when the bytes are this format: `head` is the file's first bytes (up to 1024),
     * `fd` the file (for a look at its end; read with pread only). */
    bool (*sniff)(int fd, const uint8_t *head, size_t len);
    /* Opens the document read from `fd` (kept open by the caller; never written); a
     * format with document_count reads opts->document (SEAL_ENOTFOUND when there is no
     * such document). */
    int (*open)(void **impl, int fd, const char *name, const seal_doc_open_opts *opts);
    void (*close)(void *impl);
    /* How many documents the file holds; NULL: one (doc.c refuses opts->document > 1). */
    int (*document_count)(void *impl);
    int (*page_count)(void *impl);
    int (*page_size)(void *impl, int page, double *width_mm, double *height_mm);
    int (*find_text)(void *impl, const char *text, seal_text_hits *hits);
    int (*box_mm)(void *impl, int page, const double rect[4], double box_mm[4]);
    int (*render_png)(void *impl, int page, const seal_doc_render_opts *opts, seal_buf *png);
    int (*render_pdf)(void *impl, const seal_doc_render_opts *opts, seal_buf *pdf); /* or NULL */
    int (*verify)(void *impl, const seal_verify_opts *opts, seal_report **out);
    /* Fills p->to_sign, p->prepared, p->state, p->live and p->digests (md, before); doc.c
     * has set p->format, output, cert, chain, alg and timestamp from the plan, and makes
     * p->digest from p->to_sign afterwards. */
    int (*prepare)(void *impl, const seal_stamp_plan *plan, seal_pending_stamp *p);
    /* Embeds `sig` (doc.c has checked it verifies over p->digest with p->cert) and the
     * timestamp, and writes p->output atomically; fills `digests` when not NULL. Works
     * from p->live when set, else from p->state and p->prepared alone (another process). */
    int (*finish)(seal_pending_stamp *p, const uint8_t *sig, size_t sig_len,
                  const seal_stamp_finish_opts *opts, seal_stamp_digests *digests);
    void (*abandon)(seal_pending_stamp *p); /* removes p->prepared and anything else */
    void (*live_free)(void *live);
    /* What the plan's options ask that this format cannot do: SEAL_EINVAL naming what to
     * drop (seal_doc_check_plan). Looks at the options only, not at a document. */
    int (*check_plan)(const seal_stamp_plan *plan);
    /* The stamp's name in the audit trail (seal_doc_describe). */
    void (*describe)(const seal_stamp_plan *plan, seal_key_alg alg, const char *level, char *out,
                     size_t size);
    bool shows_seal_data_picture; /* seal_doc_shows_seal_data_picture */
    /* The document examined as an attacker's before a stamp (seal_doc_examine): every
     * finding added to `out`, out->has_signatures set. */
    int (*examine)(void *impl, seal_doc_findings *out);
    /* A full rewrite at `path` keeping only what the document reaches (seal_doc_normalise),
     * or NULL when the format has none. */
    int (*normalise)(void *impl, const char *path);
    /* Validation data for a signed document (seal_doc_extend), or NULL. */
    int (*extend)(const char *in, const char *out, const seal_doc_extend_opts *opts,
                  seal_doc_extend_summary *summary);
} seal_doc_ops;

/* The table of the format named `name` ("PDF", "OFD"), NULL when none: who finishes a
 * pending stamp (doc.c). */
const seal_doc_ops *seal_doc_ops_by_name(const char *name);

extern const seal_doc_ops seal_pdf_doc_ops; /* libseal/src/pdf/doc_pdf.c */
extern const seal_doc_ops seal_ofd_doc_ops; /* libseal/src/ofd/doc_ofd.c */

#endif
