/* The OFD adapter behind seal/doc.h (doc_ofd.c holds its ops table): an open package, and
 * the two phases of a stamp (stamp.c). Not part of the public API. */
#ifndef SEAL_OFD_DOC_OFD_H
#define SEAL_OFD_DOC_OFD_H

#include <seal/doc.h>
#include <seal/ofd.h>

typedef struct ofd_doc {
    seal_ofd *ofd;      /* the model, read over `map` */
    int fd;             /* the input, the caller's: read only, never closed here */
    char *name;         /* names the input in messages */
    const uint8_t *map; /* the whole input, mapped read-only */
    size_t map_len;
} ofd_doc;

/* SEAL_EINVAL naming what an OFD signature cannot be asked for (stamp.c). */
int ofd_stamp_check_options(const seal_stamp_plan *plan);

/* The input examined before a stamp (examine.c). */
int ofd_doc_examine(void *impl, seal_doc_findings *out);

/* The two phases (stamp.c), for seal_ofd_doc_ops. */
int ofd_doc_prepare(void *impl, const seal_stamp_plan *plan, seal_pending_stamp *p);
int ofd_doc_finish(seal_pending_stamp *p, const uint8_t *sig, size_t sig_len,
                   const seal_stamp_finish_opts *opts, seal_stamp_digests *digests);
void ofd_doc_abandon(seal_pending_stamp *p);
void ofd_doc_live_free(void *live);

#endif
