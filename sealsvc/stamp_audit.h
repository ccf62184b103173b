/* The audit record of every use of a seal by `sealsvc stamp` (stamp_audit.c): who used
 * which seal on which document, the document's digest before and after, how, and the
 * outcome (DESIGN.md "The stamp flow"). */
#ifndef SEALSVC_STAMP_AUDIT_H
#define SEALSVC_STAMP_AUDIT_H

#include <seal/crypto.h>
#include <seal/store.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct stamp_record {
    const char *seal_id;
    const char *in, *out;
    const char *format;         /* "PDF" or "OFD" */
    char how[64];               /* "PAdES B-T", "OFD Type=Seal, timestamped", ... */
    size_t places;              /* where the seal is shown; 0: an invisible signature */
    seal_stamp_digests digests; /* filled by a stamp that succeeded */
} stamp_record;

/* Records the outcome `code` (an exit code; on failure, seal_error_last() says why, and is
 * left as it was). A success that cannot be recorded is undone: the output is removed and
 * EXIT_ERROR returned with the reason printed. Returns the exit code to leave with. */
int stamp_audit(seal_store *st, const stamp_record *r, int code);

#endif
