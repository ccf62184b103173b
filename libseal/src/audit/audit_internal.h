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

/* Inside a migration before schema version 8 (whose audit table has no `keyed` column yet):
 * one record with the plain SHA-256 link of the records before the key; the migration to
 * version 8 then pins it with the rest. */
int audit_plain_in_migration(seal_store *st, const char *actor, const char *action,
                             const char *target, const char *detail);

/* Inside the migration to schema version 8: pins the last unkeyed record (its id and link,
 * MACed under the key derived from the platform's KEK) in audit_keyed_from, so that every
 * record after it must be keyed. */
int audit_pin_in_migration(seal_store *st);

#endif
