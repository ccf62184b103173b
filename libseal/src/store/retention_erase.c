/* Deleting identity data whose retention time is past (docs/retention.md): `sealsvc
 * retention run` for everything due, `person delete` and `institution delete` for one, on
 * request. Each deletion is one transaction under the writer lock "retention": the
 * subject is judged again by retention.c on what the database holds then (a role given or
 * a seal made meanwhile counts), its rows changed, and an audit record written, all or
 * nothing; a deletion that is not due is refused and the refusal recorded in a
 * transaction of its own. The audit records name the subject by id ("person:3") and carry
 * dates and reasons, never a name or a number: they outlive what they record the deletion
 * of.
 *
 * What goes (a person): the sealed resident ID and mobile number, the masked mobile number,
 * and the MAC the person was found by (replaced by "erased:ID", which no MAC equals, since
 * the column is NOT NULL and UNIQUE), of the person record and of every personal seal's
 * holder with that resident ID; the name and the masked resident ID stay, as the audit
 * trail, grants and signatures show them. An institution: its registration, when nothing
 * refers to it; else its name ("") and credit code ("erased:ID"), the record staying for
 * the seals, applications and API keys that refer to it (the keys' copy of the code is
 * replaced too). */
#include "store/retention_internal.h"
#include "store/store_internal.h"

#include <seal/error.h>
#include <seal/idnum.h>

#include <glib.h>
#include <string.h>

typedef struct erase_job {
    seal_store *st;
    seal_retention_kind kind;
    int64_t id;          /* the person's or the institution's */
    const char *seal_id; /* a holder without a person record: one of their seals */
    time_t at;
    const char *actor;
    const char *reason; /* on request; NULL for `retention run` */
    /* results */
    seal_retention_item item; /* the subject as judged inside the transaction */
    bool found;
    time_t erased; /* when the rows were changed; 0: not (not due) */
} erase_job;

/* "kept until T (5 years after B: WHAT)" or "kept while HELD_BY"; g_free it. */
static char *why_kept(const seal_retention_item *it)
{
    char *until = retention_time_text(it->keep_until), *basis = retention_time_text(it->basis);
    char *text = it->held_by ? g_strdup_printf("kept while %s (and %d years after)", it->held_by,
                                               SEAL_RETENTION_YEARS)
                             : g_strdup_printf("kept until %s (%d years after %s: %s)", until,
                                               SEAL_RETENTION_YEARS, basis, it->basis_what);
    g_free(until);
    g_free(basis);
    return text;
}

static char *target_of(const erase_job *job)
{
    if (job->kind == SEAL_RETENTION_INSTITUTION)
        return g_strdup_printf("institution:%lld", (long long)job->item.id);
    if (job->item.id)
        return g_strdup_printf("person:%lld", (long long)job->item.id);
    return g_strdup_printf("seal:%s", job->item.seals[0]);
}

/* One statement binding ?1 an id, ?2 a text and ?3 a time. */
static int run_sql(seal_store *st, const char *what, const char *sql, int64_t id, const char *text,
                   time_t when)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, what, sql));
    seal_db_bind_int64(stmt, 1, id);
    seal_db_bind_text(stmt, 2, text);
    seal_db_bind_int64(stmt, 3, (int64_t)when);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}

static int erase_person(erase_job *job, const char **what)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    const seal_retention_item *it = &job->item;
    char *erased_mac = g_strdup_printf("erased:%lld", (long long)it->id);
    if (it->id)
        SEAL_TRY(run_sql(job->st, "deleting a person's identity numbers",
                         "UPDATE person SET id_sealed = NULL, mobile_sealed = NULL, mobile_masked "
                         "= NULL, id_lookup = ?2, erased = ?3 WHERE id = ?1 AND erased IS NULL",
                         it->id, erased_mac, job->erased));
    for (size_t i = 0; it->seals && it->seals[i]; i++) {
        SEAL_TRY(store_prepare(job->st, &stmt, "deleting a seal holder's resident ID",
                               "UPDATE seal_holder SET id_sealed = NULL, id_lookup = NULL, erased "
                               "= ?2 WHERE seal_id = ?1 AND erased IS NULL"));
        seal_db_bind_text(stmt, 1, it->seals[i]);
        seal_db_bind_int64(stmt, 2, (int64_t)job->erased);
        SEAL_TRY(seal_db_step(stmt));
        seal_db_finalize(stmt);
        stmt = NULL;
    }
    *what = !it->id ? "the resident ID of the holder of its personal seals"
            : it->seals && it->seals[0]
                ? "the resident ID and mobile number, also as the holder of personal seals"
                : "the resident ID and mobile number";
out:
    seal_db_finalize(stmt);
    g_free(erased_mac);
    return rc;
}

static int erase_institution(erase_job *job, const char **what)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    const seal_retention_item *it = &job->item;
    char *erased_code = g_strdup_printf("erased:%lld", (long long)it->id);
    SEAL_TRY(store_prepare(job->st, &stmt, "reading what refers to an institution",
                           "SELECT (SELECT count(*) FROM seal WHERE institution_id = ?1) + "
                           "(SELECT count(*) FROM person_role WHERE institution_id = ?1) + "
                           "(SELECT count(*) FROM seal_application WHERE institution_id = ?1) + "
                           "(SELECT count(*) FROM api_key WHERE institution = ?2)"));
    seal_db_bind_int64(stmt, 1, it->id);
    seal_db_bind_text(stmt, 2, it->number);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    bool referred = step == SEAL_DB_ROW && store_column_int64(stmt, 0) > 0;
    seal_db_finalize(stmt);
    stmt = NULL;
    if (!referred) {
        SEAL_TRY(store_prepare(job->st, &stmt, "deleting an institution's registration",
                               "DELETE FROM institution WHERE id = ?1 AND erased IS NULL"));
        seal_db_bind_int64(stmt, 1, it->id);
        SEAL_TRY(seal_db_step(stmt));
        *what = "its registration";
        goto out;
    }
    SEAL_TRY(
        run_sql(job->st, "deleting an institution's name and credit code",
                "UPDATE institution SET name = '', credit_code = ?2, erased = ?3 WHERE id = ?1 "
                "AND erased IS NULL",
                it->id, erased_code, job->erased));
    SEAL_TRY(store_prepare(job->st, &stmt, "deleting an institution's credit code from API keys",
                           "UPDATE api_key SET institution = ?2 WHERE institution = ?1"));
    seal_db_bind_text(stmt, 1, it->number);
    seal_db_bind_text(stmt, 2, erased_code);
    SEAL_TRY(seal_db_step(stmt));
    *what = "its name and credit code (the record stays for the seals, applications or API "
            "keys that refer to it)";
out:
    seal_db_finalize(stmt);
    g_free(erased_code);
    return rc;
}

static int erase_in_tx(seal_db *db, void *arg)
{
    int rc = 0;
    erase_job *job = arg;
    char *target = NULL, *kept = NULL;
    const char *what = NULL;
    /* seal_db_transaction may run this again after a conflict: start afresh. */
    seal_retention_item_clear(&job->item);
    job->found = false;
    job->erased = 0;
    SEAL_TRY(seal_db_lock(db, "retention"));
    if (job->kind == SEAL_RETENTION_INSTITUTION)
        SEAL_TRY(retention_institution(job->st, job->at, job->id, &job->item, &job->found));
    else
        SEAL_TRY(
            retention_person(job->st, job->at, job->id, job->seal_id, &job->item, &job->found));
    if (!job->found || !job->item.due)
        goto out;
    job->erased = time(NULL);
    if (job->kind == SEAL_RETENTION_INSTITUTION)
        SEAL_TRY(erase_institution(job, &what));
    else
        SEAL_TRY(erase_person(job, &what));
    target = target_of(job);
    kept = why_kept(&job->item);
    SEAL_TRY(store_audit_in_tx(
        job->st, job->actor, "identity-erase", target, "deleted %s; %s; %s%s", what, kept,
        job->reason ? "on request: " : "by retention run", job->reason ? job->reason : ""));
out:
    if (rc < 0)
        job->erased = 0;
    g_free(target);
    g_free(kept);
    return rc;
}

static int erase(erase_job *job)
{
    if (!job->actor || !*job->actor)
        job->actor = "unknown";
    return seal_db_transaction(store_db(job->st), erase_in_tx, job);
}

/* A refused deletion, in the audit trail in its own transaction: what was asked, why not. */
static int audit_refusal(seal_store *st, const char *actor, const char *target, const char *detail)
{
    int rc = store_begin(st);
    if (rc < 0)
        return rc;
    rc = store_audit_in_tx(st, actor && *actor ? actor : "unknown", "identity-erase-refused",
                           target, "%s", detail);
    if (rc < 0) {
        store_rollback(st);
        return rc;
    }
    return store_commit(st);
}

int seal_retention_run(seal_store *st, time_t at, bool dry_run, const char *actor,
                       seal_retention_item **out, size_t *n)
{
    int rc = 0;
    seal_retention_item *items = NULL;
    size_t count = 0;
    time_t now = time(NULL);
    *out = NULL;
    *n = 0;
    if (!dry_run && at > now) {
        char *when = retention_time_text(at);
        char *detail =
            g_strdup_printf("run refused: it would delete as at %s, later than now", when);
        rc = audit_refusal(st, actor, "retention", detail);
        g_free(detail);
        if (rc == 0)
            rc = seal_error_set(SEAL_EPOLICY,
                                "a retention run that deletes counts from the present: --at %s "
                                "is later than now, which only --dry-run may ask; the attempt "
                                "is recorded in the audit trail",
                                when);
        g_free(when);
        return rc;
    }
    SEAL_TRY(seal_retention_review(st, at, &items, &count));
    for (size_t i = 0; !dry_run && i < count; i++) {
        if (!items[i].due)
            continue;
        erase_job job = {.st = st,
                         .kind = items[i].kind,
                         .id = items[i].id,
                         .seal_id = items[i].seals ? items[i].seals[0] : NULL,
                         .at = at,
                         .actor = actor};
        rc = erase(&job);
        seal_retention_item_clear(&job.item);
        SEAL_TRY(rc);
        /* Judged again in its transaction: something that changed meanwhile keeps it. */
        items[i].due = job.erased != 0;
        items[i].erased = job.erased;
    }
    *out = items;
    *n = count;
    items = NULL;
    count = 0;
out:
    seal_retention_items_free(items, count);
    return rc;
}

/* A resident ID (GB 11643-1999: 17 digits and a check character that fits) anywhere in
 * `text`: the reason goes into the audit trail, where no number may. */
static bool holds_resident_id(const char *text)
{
    size_t len = strlen(text);
    for (size_t i = 0; i + 18 <= len; i++) {
        char id[19];
        memcpy(id, text + i, 18);
        id[18] = '\0';
        if (seal_resident_id_check(id) == 0)
            return true;
    }
    seal_error_clear();
    return false;
}

static int check_reason(const char *reason)
{
    if (!reason || !*reason || !g_utf8_validate(reason, -1, NULL))
        return seal_error_set(SEAL_EINVAL, "a deletion needs a reason (--reason TEXT) in UTF-8");
    if (holds_resident_id(reason))
        return seal_error_set(SEAL_EINVAL, "the reason holds a resident ID, and it goes into the "
                                           "audit trail: give it without the number");
    return 0;
}

/* The deletion `job` asks for, now: done (0, job->erased set), nothing found to delete (0,
 * job->found false), or refused (SEAL_EPOLICY naming the date or what holds the data, the
 * refusal audited). */
static int delete_on_request(erase_job *job, const char *label)
{
    int rc = 0;
    char *target = NULL, *kept = NULL, *detail = NULL;
    SEAL_TRY(erase(job));
    if (!job->found || job->erased)
        goto out;
    target = target_of(job);
    kept = why_kept(&job->item);
    detail = g_strdup_printf("deletion refused: %s; asked: %s", kept, job->reason);
    SEAL_TRY(audit_refusal(job->st, job->actor, target, detail));
    SEAL_FAIL(SEAL_EPOLICY,
              "the identity data of %s must be %s; the attempt is recorded in the audit trail",
              label, kept);
out:
    job->item.erased = job->erased;
    g_free(target);
    g_free(kept);
    g_free(detail);
    return rc;
}

/* Hands the subject to the caller (out may be NULL). */
static void give(erase_job *job, seal_retention_item *out)
{
    if (out) {
        *out = job->item;
        memset(&job->item, 0, sizeof job->item);
    }
    seal_retention_item_clear(&job->item);
}

int seal_store_person_delete(seal_store *st, int64_t person_id, const char *reason,
                             const char *actor, seal_retention_item *out)
{
    int rc = 0;
    seal_person_record p = {0};
    char label[40];
    erase_job job = {.st = st,
                     .kind = SEAL_RETENTION_PERSON,
                     .id = person_id,
                     .at = time(NULL),
                     .actor = actor,
                     .reason = reason};
    if (out)
        memset(out, 0, sizeof *out);
    SEAL_TRY(check_reason(reason));
    SEAL_TRY(seal_store_person_get(st, person_id, &p));
    snprintf(label, sizeof label, "person %lld", (long long)person_id);
    if (!p.erased) {
        rc = delete_on_request(&job, label);
        if (rc < 0 || job.found)
            goto out;
        /* Deleted meanwhile, by a retention run: say when. */
        seal_person_record_clear(&p);
        SEAL_TRY(seal_store_person_get(st, person_id, &p));
    }
    seal_retention_item_clear(&job.item);
    job.item = (seal_retention_item){.kind = SEAL_RETENTION_PERSON,
                                     .id = p.id,
                                     .name = g_strdup(p.name),
                                     .number = g_strdup(p.id_masked),
                                     .erased = p.erased};
out:
    give(&job, out);
    seal_person_record_clear(&p);
    return rc;
}

int seal_store_institution_delete(seal_store *st, const char *credit_code, const char *reason,
                                  const char *actor, seal_retention_item *out)
{
    int rc = 0;
    char label[48];
    erase_job job = {.st = st,
                     .kind = SEAL_RETENTION_INSTITUTION,
                     .at = time(NULL),
                     .actor = actor,
                     .reason = reason};
    if (out)
        memset(out, 0, sizeof *out);
    SEAL_TRY(check_reason(reason));
    SEAL_TRY(seal_store_find_institution(st, credit_code, &job.id, NULL));
    snprintf(label, sizeof label, "institution %lld", (long long)job.id);
    SEAL_TRY(delete_on_request(&job, label));
    SEAL_ENSURE(job.found, SEAL_ENOTFOUND,
                "institution %lld was deleted meanwhile (by a retention run)", (long long)job.id);
out:
    give(&job, out);
    return rc;
}
