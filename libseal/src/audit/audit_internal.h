/* The audit trail's call for the store's and the CA's own operations: a record written
 * inside the transaction the caller holds, so that the change and its record are kept or
 * lost together. Not part of the public API. */
#ifndef SEAL_AUDIT_INTERNAL_H
#define SEAL_AUDIT_INTERNAL_H

#include "db/db.h"

#include <seal/store.h>

/* Inside a transaction on `st`: one audit record (detail from `fmt`). */
int store_audit_in_tx(seal_store *st, const char *actor, const char *action, const char *target,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Inside the migration to schema version 7: pins the last unkeyed record (its id and link,
 * MACed under the key derived from DATA_DIR's KEK) in audit_keyed_from, so that every
 * record after it must be keyed. */
int audit_pin_in_migration(seal_db *db, const char *data_dir);

#endif
