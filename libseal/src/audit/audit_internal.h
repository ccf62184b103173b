/* The audit trail's call for the store's and the CA's own operations: a record written
 * inside the transaction the caller holds, so that the change and its record are kept or
 * lost together. Not part of the public API. */
#ifndef SEAL_AUDIT_INTERNAL_H
#define SEAL_AUDIT_INTERNAL_H

#include <seal/store.h>

/* Inside a transaction on `st`: one audit record (detail from `fmt`). */
int store_audit_in_tx(seal_store *st, const char *actor, const char *action, const char *target,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
