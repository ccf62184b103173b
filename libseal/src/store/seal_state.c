/* The seal lifecycle: applied -> made -> filed (备案) -> active <-> frozen; lost; cancelled
 * (注销). The table below is the one place the states and the allowed transitions are
 * written down (the schema keeps no second list, schema.c version 8). Each transition is one
 * transaction: the seal's state, an event in seal_event (from, to, when, who, why: the
 * state at any time is read back from these) and an audit record. Beside the state, the
 * wrong-PIN lock is a flag (unlock.c sets it, an administrator clears it) and not a state:
 * a frozen seal can be locked too, and unlocking it leaves it frozen.
 *
 * The stamp flow needs `active` and not locked (unlock.c). `seal make` (create.c) takes an
 * application to `made`; a seal made without one is made, filed and activated at once. */
#include "store/store_internal.h"

#include <seal/error.h>
#include <seal/idnum.h>

#include <glib.h>
#include <stdio.h>
#include <string.h>

/* "" in a `from` list: no seal and no application with this id yet. */
#define NOTHING ""

typedef struct lifecycle_step {
    const char *event;   /* the command's word: `sealsvc seal EVENT ID` */
    const char *from[7]; /* the states it applies to, NULL-terminated */
    const char *to;
    const char *done; /* for messages: "it cannot be filed" */
} lifecycle_step;

static const lifecycle_step steps[] = {
    {"apply", {NOTHING, NULL}, "applied", "applied for"},
    {"make", {NOTHING, "applied", NULL}, "made", "made"},
    {"file", {"made", NULL}, "filed", "filed"},
    {"activate", {"filed", NULL}, "active", "activated"},
    {"freeze", {"active", NULL}, "frozen", "frozen"},
    {"unfreeze", {"frozen", NULL}, "active", "unfrozen"},
    {"report-lost", {"made", "filed", "active", "frozen", NULL}, "lost", "reported lost"},
    {"cancel",
     {"applied", "made", "filed", "active", "frozen", "lost", NULL},
     "cancelled",
     "cancelled"},
};

static const lifecycle_step *step_named(const char *event)
{
    for (size_t i = 0; event && i < sizeof steps / sizeof steps[0]; i++)
        if (strcmp(event, steps[i].event) == 0)
            return &steps[i];
    return NULL;
}

static bool step_applies(const lifecycle_step *s, const char *state)
{
    for (size_t i = 0; s->from[i]; i++)
        if (strcmp(s->from[i], state) == 0)
            return true;
    return false;
}

int seal_lifecycle_target(const char *event, const char **state_out)
{
    /* `revoke` is the older word for cancelling a seal. */
    const lifecycle_step *s = step_named(event && strcmp(event, "revoke") == 0 ? "cancel" : event);
    *state_out = NULL;
    if (!s || strcmp(s->event, "apply") == 0 || strcmp(s->event, "make") == 0)
        return seal_error_set(SEAL_EINVAL,
                              "'%s' is no lifecycle event an administrator asks for (file, "
                              "activate, freeze, unfreeze, report-lost or cancel)",
                              event ? event : "");
    *state_out = s->to;
    return 0;
}

bool store_seal_state_known(const char *state)
{
    for (size_t i = 0; state && i < sizeof steps / sizeof steps[0]; i++)
        if (strcmp(state, steps[i].to) == 0)
            return true;
    return false;
}

/* One text column of a one-row query with a text parameter; *out NULL when no row. */
static int read_text(seal_store *st, const char *what, const char *sql, const char *id, char **out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *out = NULL;
    SEAL_TRY(store_prepare(st, &stmt, what, sql));
    seal_db_bind_text(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step == SEAL_DB_ROW)
        *out = store_column_text(stmt, 0);
out:
    seal_db_finalize(stmt);
    return rc;
}

/* The state of `id` now: the seal's, else its application's last event, else NOTHING.
 * *is_seal: a seal row exists. */
static int current_state(seal_store *st, const char *id, char **state_out, bool *is_seal)
{
    int rc = 0;
    char *state = NULL;
    *state_out = NULL;
    SEAL_TRY(read_text(st, "reading a seal's state", "SELECT state FROM seal WHERE id = ?1", id,
                       &state));
    *is_seal = state != NULL;
    if (!state)
        SEAL_TRY(read_text(st, "reading an application's state",
                           "SELECT e.to_state FROM seal_event e JOIN seal_application a ON "
                           "a.id = e.seal_id WHERE e.seal_id = ?1 ORDER BY e.at DESC, e.id DESC "
                           "LIMIT 1",
                           id, &state));
    *state_out = state ? state : g_strdup(NOTHING);
out:
    return rc;
}

static int add_event(seal_store *st, const char *id, time_t at, const char *event, const char *from,
                     const char *to, const char *actor, const char *why)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "recording a seal's lifecycle event",
                           "INSERT INTO seal_event (seal_id, at, event, from_state, to_state, "
                           "actor, why) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    seal_db_bind_text(stmt, 1, id);
    seal_db_bind_int64(stmt, 2, (int64_t)at);
    seal_db_bind_text(stmt, 3, event);
    if (from && *from)
        seal_db_bind_text(stmt, 4, from);
    else
        seal_db_bind_null(stmt, 4);
    seal_db_bind_text(stmt, 5, to);
    seal_db_bind_text(stmt, 6, actor);
    seal_db_bind_text(stmt, 7, why);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}

/* Inside a transaction: one transition of `id` from `from` by step `s`, with its event
 * and audit record. The seal's row changes only if it is still in `from`, so that two
 * administrators acting at once cannot both move it. */
static int transition_in_tx(seal_store *st, const char *id, bool is_seal, const char *from,
                            const lifecycle_step *s, const char *actor, const char *why)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char *target = g_strdup_printf("seal:%s", id);
    if (is_seal) {
        SEAL_TRY(store_prepare(st, &stmt, "changing a seal's state",
                               "UPDATE seal SET state = ?3 WHERE id = ?1 AND state = ?2"));
        seal_db_bind_text(stmt, 1, id);
        seal_db_bind_text(stmt, 2, from);
        seal_db_bind_text(stmt, 3, s->to);
        SEAL_TRY(seal_db_step(stmt));
        SEAL_ENSURE(seal_db_changes(stmt) == 1, SEAL_EPOLICY,
                    "seal %s changed state while it was being %s; look again", id, s->done);
    }
    SEAL_TRY(add_event(st, id, time(NULL), s->event, from, s->to, actor, why));
    SEAL_TRY(store_audit_in_tx(st, actor, s->event, target, "%s%s%s: %s", *from ? from : "",
                               *from ? " -> " : "", s->to, why));
out:
    seal_db_finalize(stmt);
    g_free(target);
    return rc;
}

/* The wrong-PIN lock, set or cleared by an administrator. */
static int lock_flag_in_tx(seal_store *st, const char *id, bool lock, const char *actor,
                           const char *why)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char *target = g_strdup_printf("seal:%s", id);
    char wrong[48] = "";
    SEAL_TRY(store_prepare(st, &stmt, "reading a seal's lock",
                           "SELECT state, locked, pin_failures FROM seal WHERE id = ?1"));
    seal_db_bind_text(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "there is no seal with id %s", id);
    char *state = store_column_text(stmt, 0);
    bool locked = store_column_int64(stmt, 1) != 0;
    int failures = (int)store_column_int64(stmt, 2);
    bool cancelled = state && strcmp(state, "cancelled") == 0;
    g_free(state);
    seal_db_finalize(stmt);
    stmt = NULL;
    SEAL_ENSURE(!cancelled, SEAL_EPOLICY, "seal %s is cancelled: it cannot be %s", id,
                lock ? "locked" : "unlocked");
    SEAL_ENSURE(locked != lock, SEAL_EPOLICY, "seal %s is %s: it cannot be %s", id,
                locked ? "locked already" : "not locked", lock ? "locked" : "unlocked");
    SEAL_TRY(store_prepare(st, &stmt, "changing a seal's lock",
                           lock ? "UPDATE seal SET locked = 1 WHERE id = ?1 AND locked = 0"
                                : "UPDATE seal SET locked = 0, pin_failures = 0 WHERE id = ?1 "
                                  "AND locked = 1"));
    seal_db_bind_text(stmt, 1, id);
    SEAL_TRY(seal_db_step(stmt));
    SEAL_ENSURE(seal_db_changes(stmt) == 1, SEAL_EPOLICY,
                "seal %s was %s meanwhile by another process", id, lock ? "locked" : "unlocked");
    if (!lock)
        snprintf(wrong, sizeof wrong, " (%d wrong PINs forgiven)", failures);
    SEAL_TRY(store_audit_in_tx(st, actor, lock ? "lock" : "unlock", target, "%s%s: %s",
                               lock ? "locked" : "unlocked", wrong, why));
out:
    seal_db_finalize(stmt);
    g_free(target);
    return rc;
}

typedef struct action_run {
    seal_store *st;
    const char *id, *actor, *why;
    const lifecycle_step *step; /* NULL: the lock flag */
    bool lock;
} action_run;

static int action_in_tx(seal_db *db, void *arg)
{
    (void)db;
    const action_run *a = arg;
    seal_store *st = a->st;
    if (!a->step)
        return lock_flag_in_tx(st, a->id, a->lock, a->actor, a->why);
    int rc = 0;
    char *state = NULL;
    bool is_seal = false;
    SEAL_TRY(current_state(st, a->id, &state, &is_seal));
    SEAL_ENSURE(*state, SEAL_ENOTFOUND,
                "there is no seal or application with id %s ('sealsvc seal list' shows the seals)",
                a->id);
    SEAL_ENSURE(step_applies(a->step, state), SEAL_EPOLICY, "seal %s is %s: it cannot be %s", a->id,
                state, a->step->done);
    SEAL_TRY(transition_in_tx(st, a->id, is_seal, state, a->step, a->actor, a->why));
out:
    g_free(state);
    return rc;
}

int seal_store_seal_action(seal_store *st, const char *id, const char *action, const char *actor,
                           const char *why)
{
    action_run a = {.st = st,
                    .id = id,
                    .actor = actor && *actor ? actor : "unknown",
                    .why = why && *why ? why : "no reason given"};
    if (action && (strcmp(action, "lock") == 0 || strcmp(action, "unlock") == 0))
        a.lock = strcmp(action, "lock") == 0;
    else
        /* `revoke` is the older word for cancelling a seal. */
        a.step = step_named(action && strcmp(action, "revoke") == 0 ? "cancel" : action);
    bool known =
        a.step || (action && (strcmp(action, "lock") == 0 || strcmp(action, "unlock") == 0));
    if (!known ||
        (a.step && (strcmp(a.step->event, "apply") == 0 || strcmp(a.step->event, "make") == 0)))
        return seal_error_set(SEAL_EINVAL,
                              "unknown seal action '%s' (file, activate, freeze, unfreeze, "
                              "report-lost, cancel, lock or unlock)",
                              action ? action : "");
    if (!id || !*id)
        return seal_error_set(SEAL_EINVAL, "which seal? (give its id)");
    /* One write transaction, retried on a conflict (db.h seal_db_transaction). */
    return seal_db_transaction(store_db(st), action_in_tx, &a);
}

typedef struct apply_run {
    seal_store *st;
    const char *id, *credit_code, *name, *kind, *actor, *why;
} apply_run;

static int apply_in_tx(seal_db *db, void *arg)
{
    int rc = 0;
    const apply_run *a = arg;
    seal_db_stmt *stmt = NULL;
    char *state = NULL;
    bool is_seal = false;
    int64_t institution = 0;
    (void)db;
    SEAL_TRY(current_state(a->st, a->id, &state, &is_seal));
    SEAL_ENSURE(!*state, SEAL_EEXISTS, "%s %s exists already (it is %s)",
                is_seal ? "a seal with id" : "an application for seal", a->id, state);
    SEAL_TRY(seal_store_find_institution(a->st, a->credit_code, &institution, NULL));
    SEAL_TRY(store_prepare(a->st, &stmt, "recording an application for a seal",
                           "INSERT INTO seal_application (id, institution_id, name, kind, applied) "
                           "VALUES (?1, ?2, ?3, ?4, ?5)"));
    seal_db_bind_text(stmt, 1, a->id);
    seal_db_bind_int64(stmt, 2, institution);
    seal_db_bind_text(stmt, 3, a->name);
    seal_db_bind_text(stmt, 4, a->kind);
    seal_db_bind_int64(stmt, 5, (int64_t)time(NULL));
    int step = seal_db_step(stmt);
    SEAL_ENSURE(!(step < 0 && seal_db_last_failure(store_db(a->st)) == SEAL_DB_UNIQUE),
                SEAL_EEXISTS, "seal %s was applied for meanwhile by another process", a->id);
    SEAL_TRY(step);
    SEAL_TRY(transition_in_tx(a->st, a->id, false, NOTHING, step_named("apply"), a->actor, a->why));
out:
    seal_db_finalize(stmt);
    g_free(state);
    return rc;
}

int seal_store_seal_apply(seal_store *st, const char *id, const char *credit_code, const char *name,
                          const char *kind, const char *actor, const char *why)
{
    int rc = 0;
    SEAL_TRY(store_seal_id_check(id));
    SEAL_ENSURE(name && *name && g_utf8_validate(name, -1, NULL), SEAL_EINVAL,
                "an application for seal %s needs the seal's name in UTF-8", id);
    SEAL_ENSURE(kind && *kind, SEAL_EINVAL, "an application for seal %s needs a kind", id);
    SEAL_TRY(seal_credit_code_check(credit_code));
    apply_run a = {.st = st,
                   .id = id,
                   .credit_code = credit_code,
                   .name = name,
                   .kind = kind,
                   .actor = actor && *actor ? actor : "unknown",
                   .why = why && *why ? why : "no reason given"};
    SEAL_TRY(seal_db_transaction(store_db(st), apply_in_tx, &a));
out:
    return rc;
}

int store_seal_birth_in_tx(seal_store *st, seal_record *r, const char *actor)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char *state = NULL;
    bool is_seal = false;
    time_t now = time(NULL);
    SEAL_TRY(current_state(st, r->id, &state, &is_seal));
    SEAL_ENSURE(!is_seal, SEAL_EEXISTS, "a seal with id %s already exists", r->id);
    if (!*state) {
        /* No application: made, filed and activated in one step, as seals always were. */
        static const char *const chain[] = {"make", "file", "activate"};
        const char *from = NOTHING;
        for (size_t i = 0; i < sizeof chain / sizeof chain[0]; i++) {
            const lifecycle_step *s = step_named(chain[i]);
            SEAL_TRY(add_event(st, r->id, now, s->event, from, s->to, actor,
                               "made without an application: filed and activated with it"));
            from = s->to;
        }
        g_free(r->state);
        r->state = g_strdup("active");
        goto out;
    }
    SEAL_ENSURE(strcmp(state, "applied") == 0, SEAL_EPOLICY,
                "the application for seal %s is %s: the seal cannot be made", r->id, state);
    SEAL_TRY(store_prepare(st, &stmt, "reading the application for a seal",
                           "SELECT institution_id, kind FROM seal_application WHERE id = ?1"));
    seal_db_bind_text(stmt, 1, r->id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ESTORE, "the application for seal %s is missing", r->id);
    char *kind = store_column_text(stmt, 1);
    bool same =
        store_column_int64(stmt, 0) == r->institution_id && kind && strcmp(kind, r->kind) == 0;
    g_free(kind);
    SEAL_ENSURE(same, SEAL_EINVAL,
                "seal %s was applied for by another institution or as another kind of seal", r->id);
    SEAL_TRY(add_event(st, r->id, now, "make", "applied", "made", actor, "made as applied for"));
    g_free(r->state);
    r->state = g_strdup("made");
out:
    seal_db_finalize(stmt);
    g_free(state);
    return rc;
}

int seal_store_seal_state_at(seal_store *st, const char *id, time_t at, char **state_out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *state_out = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading a seal's lifecycle",
                           "SELECT to_state FROM seal_event WHERE seal_id = ?1 AND at <= ?2 "
                           "ORDER BY at DESC, id DESC LIMIT 1"));
    seal_db_bind_text(stmt, 1, id ? id : "");
    seal_db_bind_int64(stmt, 2, (int64_t)at);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND,
                "seal %s did not exist yet at that time (or has no recorded lifecycle)",
                id ? id : "(none)");
    *state_out = store_column_text(stmt, 0);
out:
    seal_db_finalize(stmt);
    return rc;
}

void seal_state_events_free(seal_state_event *e, size_t n)
{
    for (size_t i = 0; e && i < n; i++) {
        g_free(e[i].event);
        g_free(e[i].from);
        g_free(e[i].to);
        g_free(e[i].actor);
        g_free(e[i].why);
    }
    g_free(e);
}

int seal_store_seal_history(seal_store *st, const char *id, seal_state_event **out, size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    GArray *list = g_array_new(FALSE, TRUE, sizeof(seal_state_event));
    *out = NULL;
    *n = 0;
    SEAL_TRY(store_prepare(st, &stmt, "reading a seal's lifecycle",
                           "SELECT at, event, from_state, to_state, actor, why FROM seal_event "
                           "WHERE seal_id = ?1 ORDER BY at, id"));
    seal_db_bind_text(stmt, 1, id ? id : "");
    int step;
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        seal_state_event e = {
            .at = (time_t)store_column_int64(stmt, 0),
            .event = store_column_text(stmt, 1),
            .from = store_column_text(stmt, 2),
            .to = store_column_text(stmt, 3),
            .actor = store_column_text(stmt, 4),
            .why = store_column_text(stmt, 5),
        };
        g_array_append_val(list, e);
    }
    SEAL_TRY(step);
    *n = list->len;
    *out = (seal_state_event *)g_array_free(list, FALSE);
    list = NULL;
out:
    if (list) {
        size_t len = list->len;
        seal_state_events_free((seal_state_event *)g_array_free(list, FALSE), len);
    }
    seal_db_finalize(stmt);
    return rc;
}
