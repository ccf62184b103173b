/* Grants: who may use which seal, for which project, for how long, how many times
 * (DESIGN.md "The stamp flow": the caller's authorisation). A seal administrator of the
 * seal's institution grants a person of that institution the seal; the stamp driver asks
 * seal_store_use_check before it touches the seal, and records the stamp with
 * seal_store_use_record, which checks again, counts the use and writes the audit record
 * in one transaction under the seal's writer lock ("seal-use:ID"), so that racing
 * processes on one grant of N uses get exactly N stamps, and the first use of an exclusive
 * grant shuts every other user out, on both engines (docs/authorisations.md).
 *
 * A grant's state is computed from its columns (revoked, uses against max_uses, the
 * window), so "expired" needs no job to flip it. Seals that stamp only with a grant are
 * listed in seal_grant_rule (a table of its own, so the seal table keeps its shape). */
#include "store/store_internal.h"

#include <seal/error.h>
#include <seal/idnum.h>

#include <glib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define GRANT_COLUMNS                                                                              \
    "g.id, g.seal_id, g.grantor_id, g.grantee_id, a.name, b.name, g.project, g.not_before, "       \
    "g.not_after, g.max_uses, g.uses, g.exclusive, g.claimed, g.revoked, g.revoke_reason, "        \
    "g.created, g.created_by"
#define GRANT_FROM                                                                                 \
    " FROM seal_grant g JOIN person a ON a.id = g.grantor_id JOIN person b ON b.id = g.grantee_id"

static const char *const state_names[] = {"active", "not-yet-valid", "used-up", "expired",
                                          "revoked"};

const char *seal_grant_state_name(seal_grant_state s)
{
    return (unsigned)s < G_N_ELEMENTS(state_names) ? state_names[s] : "?";
}

seal_grant_state seal_grant_state_at(const seal_grant_record *g, time_t now)
{
    if (g->revoked)
        return SEAL_GRANT_REVOKED;
    if (g->max_uses > 0 && g->uses >= g->max_uses)
        return SEAL_GRANT_USED_UP;
    if (now < g->not_before)
        return SEAL_GRANT_NOT_YET_VALID;
    if (now > g->not_after)
        return SEAL_GRANT_EXPIRED;
    return SEAL_GRANT_ACTIVE;
}

void seal_grant_record_clear(seal_grant_record *g)
{
    if (!g)
        return;
    g_free(g->seal_id);
    g_free(g->grantor_name);
    g_free(g->grantee_name);
    g_free(g->project);
    g_free(g->revoke_reason);
    g_free(g->created_by);
    memset(g, 0, sizeof *g);
}

void seal_grant_records_free(seal_grant_record *g, size_t n)
{
    for (size_t i = 0; g && i < n; i++)
        seal_grant_record_clear(&g[i]);
    g_free(g);
}

static int read_grant(seal_db_stmt *stmt, void *record)
{
    seal_grant_record *g = record;
    memset(g, 0, sizeof *g);
    g->id = store_column_int64(stmt, 0);
    g->seal_id = store_column_text(stmt, 1);
    g->grantor_id = store_column_int64(stmt, 2);
    g->grantee_id = store_column_int64(stmt, 3);
    g->grantor_name = store_column_text(stmt, 4);
    g->grantee_name = store_column_text(stmt, 5);
    g->project = store_column_text(stmt, 6);
    g->not_before = (time_t)store_column_int64(stmt, 7);
    g->not_after = (time_t)store_column_int64(stmt, 8);
    g->max_uses = store_column_int64(stmt, 9);
    g->uses = store_column_int64(stmt, 10);
    g->exclusive = store_column_int64(stmt, 11) != 0;
    g->claimed = (time_t)store_column_int64(stmt, 12);
    g->revoked = (time_t)store_column_int64(stmt, 13);
    g->revoke_reason = store_column_text(stmt, 14);
    g->created = (time_t)store_column_int64(stmt, 15);
    g->created_by = store_column_text(stmt, 16);
    return 0;
}

static void free_grants(void *records, size_t n)
{
    seal_grant_records_free(records, n);
}

static void utc(char out[32], time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        strcpy(out, "?");
}

/* The institution of seal `seal_id`. */
static int seal_institution(seal_store *st, const char *seal_id, int64_t *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading a seal's institution",
                           "SELECT institution_id FROM seal WHERE id = ?1"));
    seal_db_bind_text(stmt, 1, seal_id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "there is no seal %s", seal_id);
    *out = store_column_int64(stmt, 0);
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_grant_add(seal_store *st, seal_grant_record *g, const char *actor)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    seal_person_record grantor = {0}, grantee = {0};
    int64_t inst = 0;
    bool ok = false, in_tx = false;
    char from[32], to[32];
    SEAL_ENSURE(g && g->seal_id && *g->seal_id, SEAL_EINVAL, "a grant needs a seal");
    SEAL_ENSURE(g->not_after > g->not_before, SEAL_EINVAL,
                "a grant's end must come after its start");
    SEAL_ENSURE(g->max_uses >= 0, SEAL_EINVAL, "a grant's number of uses cannot be negative");
    SEAL_ENSURE(!g->project || (g_utf8_validate(g->project, -1, NULL) && strlen(g->project) <= 200),
                SEAL_EINVAL, "a project or tender number is UTF-8 text of at most 200 bytes");
    SEAL_TRY(seal_institution(st, g->seal_id, &inst));
    SEAL_TRY(seal_store_person_get(st, g->grantor_id, &grantor));
    SEAL_TRY(seal_store_person_get(st, g->grantee_id, &grantee));
    SEAL_TRY(store_begin(st));
    in_tx = true;
    SEAL_TRY(store_person_has_role(st, inst, g->grantor_id, "seal-administrator", &ok));
    SEAL_ENSURE(ok, SEAL_EPOLICY,
                "person %lld (%s) is no seal administrator of seal %s's institution, so cannot "
                "grant it",
                (long long)g->grantor_id, grantor.name, g->seal_id);
    SEAL_TRY(store_person_has_role(st, inst, g->grantee_id, NULL, &ok));
    SEAL_ENSURE(ok, SEAL_EPOLICY,
                "person %lld (%s) has no role in seal %s's institution, so cannot be granted it",
                (long long)g->grantee_id, grantee.name, g->seal_id);
    g->created = time(NULL);
    SEAL_TRY(store_prepare(st, &stmt, "adding a grant",
                           "INSERT INTO seal_grant (seal_id, grantor_id, grantee_id, project, "
                           "not_before, not_after, max_uses, exclusive, created, created_by) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id"));
    seal_db_bind_text(stmt, 1, g->seal_id);
    seal_db_bind_int64(stmt, 2, g->grantor_id);
    seal_db_bind_int64(stmt, 3, g->grantee_id);
    seal_db_bind_text(stmt, 4, g->project);
    seal_db_bind_int64(stmt, 5, (int64_t)g->not_before);
    seal_db_bind_int64(stmt, 6, (int64_t)g->not_after);
    if (g->max_uses > 0)
        seal_db_bind_int64(stmt, 7, g->max_uses);
    else
        seal_db_bind_null(stmt, 7);
    seal_db_bind_int64(stmt, 8, g->exclusive ? 1 : 0);
    seal_db_bind_int64(stmt, 9, (int64_t)g->created);
    seal_db_bind_text(stmt, 10, actor ? actor : "unknown");
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ESTORE, "adding a grant gave no id");
    g->id = store_column_int64(stmt, 0);
    SEAL_TRY(seal_db_step(stmt));
    utc(from, g->not_before);
    utc(to, g->not_after);
    char target[300], uses[32] = "no use limit";
    snprintf(target, sizeof target, "seal:%s", g->seal_id);
    if (g->max_uses > 0)
        snprintf(uses, sizeof uses, "%lld uses", (long long)g->max_uses);
    SEAL_TRY(store_audit_in_tx(st, actor ? actor : "unknown", "grant-add", target,
                               "grant %lld: %s (person %lld) grants %s (person %lld)%s%s, %s to "
                               "%s, %s%s",
                               (long long)g->id, grantor.name, (long long)g->grantor_id,
                               grantee.name, (long long)g->grantee_id,
                               g->project ? " for project " : "", g->project ? g->project : "",
                               from, to, uses, g->exclusive ? ", exclusive" : ""));
    rc = store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    seal_person_record_clear(&grantor);
    seal_person_record_clear(&grantee);
    return rc;
}

int seal_store_grant_get(seal_store *st, int64_t id, seal_grant_record *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    memset(out, 0, sizeof *out);
    SEAL_TRY(store_prepare(st, &stmt, "reading a grant",
                           "SELECT " GRANT_COLUMNS GRANT_FROM " WHERE g.id = ?1"));
    seal_db_bind_int64(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "there is no grant %lld", (long long)id);
    read_grant(stmt, out);
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_grant_list(seal_store *st, const char *seal_id, seal_grant_record **out, size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *out = NULL;
    *n = 0;
    SEAL_TRY(store_prepare(st, &stmt, "listing grants",
                           "SELECT " GRANT_COLUMNS GRANT_FROM
                           " WHERE (?1 = 0 OR g.seal_id = ?2) ORDER BY g.id"));
    seal_db_bind_int64(stmt, 1, seal_id ? 1 : 0);
    seal_db_bind_text(stmt, 2, seal_id ? seal_id : "");
    SEAL_TRY(
        store_read_all(stmt, sizeof(seal_grant_record), read_grant, free_grants, (void **)out, n));
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_grant_list_for(seal_store *st, int64_t grantee_id, seal_grant_record **out,
                              size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *out = NULL;
    *n = 0;
    SEAL_TRY(store_prepare(st, &stmt, "listing a person's grants",
                           "SELECT " GRANT_COLUMNS GRANT_FROM
                           " WHERE g.grantee_id = ?1 ORDER BY g.seal_id, g.id"));
    seal_db_bind_int64(stmt, 1, grantee_id);
    SEAL_TRY(
        store_read_all(stmt, sizeof(seal_grant_record), read_grant, free_grants, (void **)out, n));
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_grant_revoke(seal_store *st, int64_t id, const char *why, const char *actor)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    seal_grant_record g = {0};
    bool in_tx = false;
    SEAL_TRY(store_begin(st));
    in_tx = true;
    SEAL_TRY(seal_store_grant_get(st, id, &g));
    SEAL_ENSURE(!g.revoked, SEAL_EPOLICY, "grant %lld is revoked already", (long long)id);
    SEAL_TRY(store_prepare(st, &stmt, "revoking a grant",
                           "UPDATE seal_grant SET revoked = ?2, revoke_reason = ?3 WHERE id = ?1 "
                           "AND revoked IS NULL"));
    seal_db_bind_int64(stmt, 1, id);
    seal_db_bind_int64(stmt, 2, (int64_t)time(NULL));
    seal_db_bind_text(stmt, 3, why);
    SEAL_TRY(seal_db_step(stmt));
    SEAL_ENSURE(seal_db_changes(stmt) == 1, SEAL_EPOLICY, "grant %lld is revoked already",
                (long long)id);
    char target[300];
    snprintf(target, sizeof target, "seal:%s", g.seal_id);
    SEAL_TRY(store_audit_in_tx(st, actor ? actor : "unknown", "grant-revoke", target,
                               "grant %lld revoked after %lld use%s%s%s", (long long)id,
                               (long long)g.uses, g.uses == 1 ? "" : "s", why ? ": " : "",
                               why ? why : ""));
    rc = store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    seal_grant_record_clear(&g);
    return rc;
}

int seal_store_seal_requires_grant(seal_store *st, const char *seal_id, bool *required)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *required = false;
    SEAL_TRY(store_prepare(st, &stmt, "reading a seal's grant rule",
                           "SELECT required FROM seal_grant_rule WHERE seal_id = ?1"));
    seal_db_bind_text(stmt, 1, seal_id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    *required = step == SEAL_DB_ROW && store_column_int64(stmt, 0) != 0;
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_seal_require_grant(seal_store *st, const char *seal_id, bool required,
                                  const char *actor)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    int64_t inst = 0;
    bool in_tx = false;
    SEAL_TRY(seal_institution(st, seal_id, &inst));
    SEAL_TRY(store_begin(st));
    in_tx = true;
    SEAL_TRY(store_prepare(st, &stmt, "setting a seal's grant rule",
                           "INSERT INTO seal_grant_rule (seal_id, required, changed) VALUES (?1, "
                           "?2, ?3) ON CONFLICT (seal_id) DO UPDATE SET required = ?2, changed = "
                           "?3"));
    seal_db_bind_text(stmt, 1, seal_id);
    seal_db_bind_int64(stmt, 2, required ? 1 : 0);
    seal_db_bind_int64(stmt, 3, (int64_t)time(NULL));
    SEAL_TRY(seal_db_step(stmt));
    char target[300];
    snprintf(target, sizeof target, "seal:%s", seal_id);
    SEAL_TRY(store_audit_in_tx(st, actor ? actor : "unknown", "seal-grant-rule", target,
                               required ? "stamps only with a grant"
                                        : "stamps with or without a grant"));
    rc = store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    return rc;
}

/* Another grantee's exclusive grant that holds seal `seal_id` at `now` (claimed by a use,
 * not ended), other than grant `except`: its id into *holder (0: none). */
static int exclusive_holder(seal_store *st, const char *seal_id, time_t now, int64_t except,
                            int64_t grantee, int64_t *holder, time_t *until)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *holder = 0;
    SEAL_TRY(store_prepare(st, &stmt, "reading a seal's exclusive grants",
                           "SELECT id, not_after FROM seal_grant WHERE seal_id = ?1 AND "
                           "exclusive = 1 AND claimed IS NOT NULL AND revoked IS NULL AND "
                           "not_before <= ?2 AND not_after >= ?2 AND (max_uses IS NULL OR uses < "
                           "max_uses) AND id <> ?3 AND grantee_id <> ?4 ORDER BY id LIMIT 1"));
    seal_db_bind_text(stmt, 1, seal_id);
    seal_db_bind_int64(stmt, 2, (int64_t)now);
    seal_db_bind_int64(stmt, 3, except);
    seal_db_bind_int64(stmt, 4, grantee);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step == SEAL_DB_ROW) {
        *holder = store_column_int64(stmt, 0);
        *until = (time_t)store_column_int64(stmt, 1);
    }
out:
    seal_db_finalize(stmt);
    return rc;
}

/* The one check of a use, for seal_store_use_check and inside seal_store_use_record. */
static int check_use(seal_store *st, const char *seal_id, int64_t grant_id, time_t now,
                     seal_grant_record *g)
{
    int rc = 0;
    bool required = false;
    int64_t holder = 0;
    time_t until = 0;
    char t[32];
    SEAL_TRY(seal_store_seal_requires_grant(st, seal_id, &required));
    SEAL_ENSURE(grant_id || !required, SEAL_EPOLICY,
                "seal %s stamps only with a grant: give the grant's id (--grant ID)", seal_id);
    if (grant_id) {
        rc = seal_store_grant_get(st, grant_id, g);
        if (rc == SEAL_ENOTFOUND)
            rc = seal_error_set(SEAL_EPOLICY, "there is no grant %lld", (long long)grant_id);
        SEAL_TRY(rc);
        SEAL_ENSURE(strcmp(g->seal_id, seal_id) == 0, SEAL_EPOLICY,
                    "grant %lld is for seal %s, not for seal %s", (long long)grant_id, g->seal_id,
                    seal_id);
        switch (seal_grant_state_at(g, now)) {
        case SEAL_GRANT_ACTIVE:
            break;
        case SEAL_GRANT_REVOKED:
            utc(t, g->revoked);
            SEAL_FAIL(SEAL_EPOLICY, "grant %lld was revoked on %s%s%s", (long long)grant_id, t,
                      g->revoke_reason ? ": " : "", g->revoke_reason ? g->revoke_reason : "");
        case SEAL_GRANT_USED_UP:
            SEAL_FAIL(SEAL_EPOLICY, "grant %lld is used up (%lld of %lld uses)",
                      (long long)grant_id, (long long)g->uses, (long long)g->max_uses);
        case SEAL_GRANT_NOT_YET_VALID:
            utc(t, g->not_before);
            SEAL_FAIL(SEAL_EPOLICY, "grant %lld is not valid before %s", (long long)grant_id, t);
        case SEAL_GRANT_EXPIRED:
            utc(t, g->not_after);
            SEAL_FAIL(SEAL_EPOLICY, "grant %lld expired on %s", (long long)grant_id, t);
        }
    }
    SEAL_TRY(exclusive_holder(st, seal_id, now, grant_id, grant_id ? g->grantee_id : -1, &holder,
                              &until));
    utc(t, until);
    SEAL_ENSURE(!holder, SEAL_EPOLICY,
                "seal %s is held by exclusive grant %lld of another person until %s", seal_id,
                (long long)holder, t);
out:
    return rc;
}

int seal_store_use_check(seal_store *st, const char *seal_id, int64_t grant_id, time_t now,
                         seal_grant_record *grant_out)
{
    seal_grant_record g = {0};
    int rc = check_use(st, seal_id, grant_id, now, &g);
    if (rc == 0 && grant_out)
        *grant_out = g;
    else
        seal_grant_record_clear(&g);
    return rc;
}

int seal_store_use_record(seal_store *st, const char *seal_id, int64_t grant_id,
                          const char *pending_id, time_t now, const char *actor, const char *action,
                          const char *fmt, ...)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    seal_grant_record g = {0};
    char *detail = NULL, target[300], lock[300];
    bool in_tx = false;
    va_list ap;
    va_start(ap, fmt);
    detail = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    snprintf(target, sizeof target, "seal:%s", seal_id);
    snprintf(lock, sizeof lock, "seal-use:%s", seal_id);
    SEAL_TRY(store_begin(st));
    in_tx = true;
    /* The seal's lock before the audit chain's (store_audit_in_tx takes "audit"): one
     * order for every use, and the check below sees every use committed before. */
    SEAL_TRY(seal_db_lock(store_db(st), lock));
    SEAL_TRY(check_use(st, seal_id, grant_id, now, &g));
    if (grant_id) {
        SEAL_TRY(store_prepare(st, &stmt, "counting a grant's use",
                               "UPDATE seal_grant SET uses = uses + 1, claimed = CASE WHEN "
                               "exclusive = 1 AND claimed IS NULL THEN ?2 ELSE claimed END "
                               "WHERE id = ?1"));
        seal_db_bind_int64(stmt, 1, grant_id);
        seal_db_bind_int64(stmt, 2, (int64_t)now);
        SEAL_TRY(seal_db_step(stmt));
        SEAL_ENSURE(seal_db_changes(stmt) == 1, SEAL_ESTORE, "grant %lld could not be counted",
                    (long long)grant_id);
        char limit[32] = "";
        if (g.max_uses > 0)
            snprintf(limit, sizeof limit, " of %lld", (long long)g.max_uses);
        SEAL_TRY(store_audit_in_tx(st, actor, action, target, "%s, grant %lld use %lld%s", detail,
                                   (long long)grant_id, (long long)g.uses + 1, limit));
    } else {
        SEAL_TRY(store_audit_in_tx(st, actor, action, target, "%s", detail));
    }
    if (pending_id)
        SEAL_TRY(store_pending_remove_in_tx(st, pending_id));
    rc = store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    seal_grant_record_clear(&g);
    g_free(detail);
    return rc;
}
