/* How long the platform keeps identity data, and its deletion (store/retention.c,
 * docs/retention.md).
 *
 * The CFCA and CWCA service agreements: a subscriber's identity data is kept at least five
 * years after the last certificate of that subscriber expires. For each person (the
 * people registered with `person add` and the holders of personal seals, matched by
 * resident ID) and each institution, the store works out the time until which its data
 * must be kept; `sealsvc retention run` deletes what is past it, and a deletion asked for
 * earlier (`person delete`, `institution delete`) is refused and recorded in the audit
 * trail. Seals, certificates, grants and the audit trail are not identity data here: they
 * are the evidence signatures are checked against, and stay.
 */
#ifndef SEAL_RETENTION_H
#define SEAL_RETENTION_H

#include <seal/store.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEAL_RETENTION_YEARS 5

/* `t` plus `years` calendar years in UTC: the same month, day and time of day. 29 February
 * into a year without one gives 1 March, so the result is never less than the years
 * counted (GLib's g_date_time_add_years gives 28 February, a day short). */
time_t seal_retention_add_years(time_t t, int years);

typedef enum seal_retention_kind {
    SEAL_RETENTION_PERSON = 0,
    SEAL_RETENTION_INSTITUTION,
} seal_retention_kind;

/* One person or institution under the rule, as of a time `at`. */
typedef struct seal_retention_item {
    seal_retention_kind kind;
    /* person: the person's id, or 0 for a holder of personal seals whom no person record
     * has; institution: its id */
    int64_t id;
    char *name;
    /* person: the resident ID masked ("110105********002X", "?" when it cannot be read);
     * institution: the credit code */
    char *number;
    char **seals;      /* person: the personal seals held (NULL-terminated, maybe empty) */
    time_t basis;      /* the latest time the rule counts from... */
    char *basis_what;  /* ...and what it was: "the end of the certificate of seal X" */
    time_t keep_until; /* basis + SEAL_RETENTION_YEARS calendar years */
    /* Why the data is kept now whatever the date (NULL: nothing): a role held in an
     * institution, an open application, an API key in force, a certificate that cannot be
     * read, a holder that cannot be matched to a person. */
    char *held_by;
    bool due;      /* at `at`: held_by is NULL and keep_until <= at */
    time_t erased; /* when its identity data was deleted (0: not yet) */
} seal_retention_item;

void seal_retention_item_clear(seal_retention_item *item);
void seal_retention_items_free(seal_retention_item *items, size_t n);

/* Every person and institution whose identity data is still kept, as of `at` (people by
 * id, holders without a person record after them by seal, then institutions by id). */
int seal_retention_review(seal_store *st, time_t at, seal_retention_item **out, size_t *n);

/* Deletes the identity data of everything due at `at`, each in its own transaction with an
 * audit record ("identity-erase"; never a number in it) by `actor`; with `dry_run`, only
 * says what would go. *out and *n: the review (seal_retention_review), with `due` set on
 * what was (or would be) deleted and `erased` on what was. Running again deletes nothing
 * more. A run that deletes counts from the present: `at` later than now is refused
 * (SEAL_EPOLICY, audited) unless `dry_run`. */
int seal_retention_run(seal_store *st, time_t at, bool dry_run, const char *actor,
                       seal_retention_item **out, size_t *n);

/* Deletes the identity data of person `person_id` now, on request (`reason` into the audit
 * record): the resident ID and mobile number, of the person record and of every personal
 * seal's holder with that resident ID. Before the person's time, or while something holds
 * the data (held_by), it is refused with SEAL_EPOLICY naming the date or the reason, and
 * the refusal is recorded ("identity-erase-refused"). *out (may be NULL) receives the
 * person under the rule; a person erased already is 0 with out->erased set, nothing done.
 * SEAL_EINVAL when `reason` is empty or holds a resident ID; SEAL_ENOTFOUND for no such
 * person. */
int seal_store_person_delete(seal_store *st, int64_t person_id, const char *reason,
                             const char *actor, seal_retention_item *out);
/* The same for the institution with `credit_code`: its registration deleted when nothing
 * refers to it (seals, roles, seal applications, API keys), else its name and credit
 * code. */
int seal_store_institution_delete(seal_store *st, const char *credit_code, const char *reason,
                                  const char *actor, seal_retention_item *out);

#ifdef __cplusplus
}
#endif
#endif
