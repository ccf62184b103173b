/* What the store's files share beyond store.h: the PIN-failure bookkeeping that unlock.c
 * needs from the SQLite engine, and small PEM helpers. Not part of the public API. */
#ifndef SEAL_STORE_INTERNAL_H
#define SEAL_STORE_INTERNAL_H

#include <seal/store.h>

/* Counts one wrong PIN for seal `id` (locking it at SEAL_STORE_MAX_PIN_FAILURES) in one
 * statement, so concurrent stampers cannot lose a count; *failures_out is the new count. */
int store_count_pin_failure(seal_store *st, const char *id, int *failures_out);

/* Resets the count after a right PIN. SEAL_EPOLICY when the seal stopped being active
 * since it was read (another process locked it). */
int store_reset_pin_failures(seal_store *st, const char *id);

/* The name and credit code of institution `id` (caller frees both with g_free). */
int store_institution_by_id(seal_store *st, int64_t id, char **name_out, char **code_out);

/* Every certificate in PEM text (an empty text gives an empty stack). */
int store_certs_from_pem(STACK_OF(X509) * *out, const seal_buf *pem);

#endif
