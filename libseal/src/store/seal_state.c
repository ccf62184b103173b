/* An administrator's changes to a seal's state (seal_store_seal_action): unlock after the
 * wrong-PIN lock, lock by hand (a lost token, a suspended clerk), revoke for good. Each is
 * one transaction with its audit record, so the trail shows who did it and why. */
#include "store/store_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <stdio.h>
#include <string.h>

typedef struct transition {
    const char *action;
    const char *from[2]; /* the states it applies to */
    const char *to;
} transition;

static const transition transitions[] = {
    {"unlock", {"locked", NULL}, "active"},
    {"lock", {"active", NULL}, "locked"},
    {"revoke", {"active", "locked"}, "revoked"},
};

static int read_state(seal_store *st, const char *id, char state[16], int *failures)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading a seal's state",
                           "SELECT state, pin_failures FROM seal WHERE id = ?1"));
    seal_db_bind_text(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "there is no seal with id %s", id);
    char *s = store_column_text(stmt, 0);
    snprintf(state, 16, "%s", s ? s : "?");
    g_free(s);
    *failures = (int)store_column_int64(stmt, 1);
out:
    seal_db_finalize(stmt);
    return rc;
}

static int write_state(seal_store *st, const char *id, const char *state, bool reset_failures)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "changing a seal's state",
                           reset_failures
                               ? "UPDATE seal SET state = ?2, pin_failures = 0 WHERE id = ?1"
                               : "UPDATE seal SET state = ?2 WHERE id = ?1"));
    seal_db_bind_text(stmt, 1, id);
    seal_db_bind_text(stmt, 2, state);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_seal_action(seal_store *st, const char *id, const char *action, const char *actor,
                           const char *why)
{
    int rc = 0;
    const transition *t = NULL;
    for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++)
        if (action && strcmp(action, transitions[i].action) == 0)
            t = &transitions[i];
    if (!t)
        return seal_error_set(SEAL_EINVAL, "unknown seal action '%s' (unlock, lock or revoke)",
                              action ? action : "");
    if (!id || !*id)
        return seal_error_set(SEAL_EINVAL, "which seal? (give its id)");
    SEAL_TRY(store_begin(st));
    char state[16];
    int failures = 0;
    rc = read_state(st, id, state, &failures);
    if (rc == 0 && strcmp(state, t->from[0]) != 0 &&
        !(t->from[1] && strcmp(state, t->from[1]) == 0))
        rc = seal_error_set(SEAL_EPOLICY, "seal %s is %s: it cannot be %s", id, state,
                            strcmp(t->action, "unlock") == 0 ? "unlocked"
                            : strcmp(t->action, "lock") == 0 ? "locked"
                                                             : "revoked");
    if (rc == 0)
        rc = write_state(st, id, t->to, strcmp(t->action, "unlock") == 0);
    if (rc == 0) {
        char *target = g_strdup_printf("seal:%s", id);
        char wrong[48] = "";
        if (strcmp(t->action, "unlock") == 0)
            snprintf(wrong, sizeof wrong, " (%d wrong PINs forgiven)", failures);
        rc = store_audit_in_tx(st, actor, t->action, target, "%s -> %s%s: %s", state, t->to, wrong,
                               why && *why ? why : "no reason given");
        g_free(target);
    }
    if (rc < 0) {
        store_rollback(st);
        goto out;
    }
    SEAL_TRY(store_commit(st));
out:
    return rc;
}
