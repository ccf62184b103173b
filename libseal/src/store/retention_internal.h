/* What retention.c (the rule) hands retention_erase.c (the deletions): one person's or
 * institution's time under the rule, read again inside the transaction that deletes, so
 * that what is deleted is judged on what the database holds then. Not part of the public
 * API. */
#ifndef SEAL_STORE_RETENTION_INTERNAL_H
#define SEAL_STORE_RETENTION_INTERNAL_H

#include <seal/retention.h>

/* The person with id `person_id`, or (`person_id` 0) the holder without a person record
 * who holds seal `seal_id`, under the rule at `at`. *found false (and 0) when there is no
 * such person, or their identity data was deleted already. */
int retention_person(seal_store *st, time_t at, int64_t person_id, const char *seal_id,
                     seal_retention_item *out, bool *found);
/* The same for institution `id`. */
int retention_institution(seal_store *st, time_t at, int64_t id, seal_retention_item *out,
                          bool *found);
/* `t` as UTC in ISO 8601 ("2031-03-01T00:00:00Z"); g_free it. */
char *retention_time_text(time_t t);

#endif
