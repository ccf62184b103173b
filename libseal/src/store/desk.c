/* The clerk desk's logins and sessions (docs/desk.md). A person's desk password rests as an
 * Argon2id hash (password.c) in person_password, beside the wrong passwords counted since
 * the last success and the time a lock ends. A login opens a session: 32 random bytes as
 * its token, which only the browser keeps (an HttpOnly cookie); the store keeps SHA-256 of
 * it, so a copy of the database opens no session. Each session has its own CSRF token,
 * which the HTTP layer compares on every mutating request. The count, the lock and their
 * audit records change in one transaction, so two wrong passwords at once both count.
 *
 * The table is version 11 of the store's schema (schema.c). */
#include "store/store_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#define TOKEN_BYTES     32
#define MAX_TOKEN_CHARS 64

void seal_desk_session_clear(seal_desk_session *s)
{
    if (!s)
        return;
    g_free(s->person_name);
    g_free(s->institution_code);
    g_free(s->institution_name);
    OPENSSL_cleanse(s->csrf, sizeof s->csrf);
    memset(s, 0, sizeof *s);
}

/* 32 random bytes as base64url without padding (RFC 4648 5): 43 characters, fit for a
 * cookie and a header as they are. */
static int random_text(char out[44])
{
    uint8_t raw[TOKEN_BYTES];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return seal_error_set(SEAL_ECRYPTO, "no randomness for a session");
    char *b64 = g_base64_encode(raw, sizeof raw);
    g_strdelimit(b64, "+", '-');
    g_strdelimit(b64, "/", '_');
    *strchrnul(b64, '=') = '\0';
    g_strlcpy(out, b64, 44);
    OPENSSL_cleanse(raw, sizeof raw);
    OPENSSL_cleanse(b64, strlen(b64));
    g_free(b64);
    return 0;
}

/* The session's row id: lower-case hex of SHA-256(token). */
static int session_id(const char *token, char out[65])
{
    uint8_t md[32];
    unsigned len = 0;
    if (!token || !*token || strlen(token) > MAX_TOKEN_CHARS)
        return seal_error_set(SEAL_EAUTH, "this is not a desk session");
    if (EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL) != 1 || len != 32)
        return seal_error_set(SEAL_ECRYPTO, "cannot hash a session token");
    for (unsigned i = 0; i < len; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int seal_store_person_password_set(seal_store *st, int64_t person_id, const char *password,
                                   const char *actor)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    seal_person_record p = {0};
    char *hash = NULL, target[32];
    bool in_tx = false;
    SEAL_TRY(seal_password_check(password));
    SEAL_TRY(seal_store_person_get(st, person_id, &p));
    SEAL_TRY(seal_password_hash(&hash, password));
    SEAL_TRY(store_begin(st));
    in_tx = true;
    /* Delete and insert: one statement form for both engines (no upsert dialects). */
    SEAL_TRY(store_prepare(st, &stmt, "setting a desk password",
                           "DELETE FROM person_password WHERE person_id = ?1"));
    seal_db_bind_int64(stmt, 1, person_id);
    SEAL_TRY(seal_db_step(stmt));
    seal_db_finalize(stmt);
    stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "setting a desk password",
                           "INSERT INTO person_password (person_id, hash, failures, changed) "
                           "VALUES (?1, ?2, 0, ?3)"));
    seal_db_bind_int64(stmt, 1, person_id);
    seal_db_bind_text(stmt, 2, hash);
    seal_db_bind_int64(stmt, 3, (int64_t)time(NULL));
    SEAL_TRY(seal_db_step(stmt));
    seal_db_finalize(stmt);
    stmt = NULL;
    /* A new password ends the sessions the old one opened. */
    SEAL_TRY(store_prepare(st, &stmt, "ending a person's desk sessions",
                           "DELETE FROM desk_session WHERE person_id = ?1"));
    seal_db_bind_int64(stmt, 1, person_id);
    SEAL_TRY(seal_db_step(stmt));
    snprintf(target, sizeof target, "person:%lld", (long long)person_id);
    SEAL_TRY(store_audit_in_tx(st, actor ? actor : "unknown", "person-password", target,
                               "desk password set; failures and lock cleared, sessions ended"));
    rc = store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    seal_person_record_clear(&p);
    if (hash)
        OPENSSL_cleanse(hash, strlen(hash));
    g_free(hash);
    return rc;
}

/* The person's stored hash, failures and lock (in the caller's transaction); *found false
 * when the person has no password (or does not exist). */
static int read_password(seal_store *st, int64_t person_id, bool *found, char **hash,
                         int64_t *failures, time_t *locked_until)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *found = false;
    *hash = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading a desk password",
                           "SELECT hash, failures, locked_until FROM person_password "
                           "WHERE person_id = ?1"));
    seal_db_bind_int64(stmt, 1, person_id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step == SEAL_DB_ROW) {
        *found = true;
        *hash = store_column_text(stmt, 0);
        *failures = store_column_int64(stmt, 1);
        *locked_until = (time_t)store_column_int64(stmt, 2);
    }
out:
    seal_db_finalize(stmt);
    return rc;
}

static int write_failures(seal_store *st, int64_t person_id, int64_t failures, time_t locked_until)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "counting a wrong desk password",
                           "UPDATE person_password SET failures = ?2, locked_until = ?3 "
                           "WHERE person_id = ?1"));
    seal_db_bind_int64(stmt, 1, person_id);
    seal_db_bind_int64(stmt, 2, failures);
    if (locked_until)
        seal_db_bind_int64(stmt, 3, (int64_t)locked_until);
    else
        seal_db_bind_null(stmt, 3);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}

/* The institution the person acts for at the desk: where they are a handler, else where
 * they have any role; the lowest institution id among equals. 0 when none. */
static int desk_institution(seal_store *st, int64_t person_id, int64_t *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *out = 0;
    SEAL_TRY(store_prepare(st, &stmt, "reading a person's roles",
                           "SELECT institution_id FROM person_role WHERE person_id = ?1 "
                           "ORDER BY CASE WHEN role = 'handler' THEN 0 ELSE 1 END, "
                           "institution_id LIMIT 1"));
    seal_db_bind_int64(stmt, 1, person_id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step == SEAL_DB_ROW)
        *out = store_column_int64(stmt, 0);
out:
    seal_db_finalize(stmt);
    return rc;
}

#define SESSION_SELECT                                                                             \
    "SELECT s.person_id, p.name, i.credit_code, i.name, s.csrf, s.created, s.last_seen, "          \
    "s.expires, (SELECT count(*) FROM person_role r WHERE r.person_id = s.person_id AND "          \
    "r.institution_id = s.institution_id) FROM desk_session s JOIN person p ON p.id = "            \
    "s.person_id JOIN institution i ON i.id = s.institution_id WHERE s.id = ?1"

/* Reads session `id` into *out; *found false when there is none, *has_role whether its
 * person still has a role in its institution. */
static int read_session(seal_store *st, const char *id, seal_desk_session *out, bool *found,
                        bool *has_role)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *found = *has_role = false;
    SEAL_TRY(store_prepare(st, &stmt, "reading a desk session", SESSION_SELECT));
    seal_db_bind_text(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step == SEAL_DB_ROW) {
        *found = true;
        out->person_id = store_column_int64(stmt, 0);
        out->person_name = store_column_text(stmt, 1);
        out->institution_code = store_column_text(stmt, 2);
        out->institution_name = store_column_text(stmt, 3);
        char *csrf = store_column_text(stmt, 4);
        g_strlcpy(out->csrf, csrf ? csrf : "", sizeof out->csrf);
        g_free(csrf);
        out->created = (time_t)store_column_int64(stmt, 5);
        out->last_seen = (time_t)store_column_int64(stmt, 6);
        out->expires = (time_t)store_column_int64(stmt, 7);
        *has_role = store_column_int64(stmt, 8) > 0;
    }
out:
    seal_db_finalize(stmt);
    return rc;
}

static int open_session(seal_store *st, int64_t person_id, int64_t institution_id, time_t now,
                        const seal_desk_policy *policy, seal_desk_session *out, char **token_out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char token[44], csrf[44], id[65];
    bool found = false, has_role = false;
    SEAL_TRY(random_text(token));
    SEAL_TRY(random_text(csrf));
    SEAL_TRY(session_id(token, id));
    /* Sessions past their lifetime are swept here, the one place they are made. */
    SEAL_TRY(store_prepare(st, &stmt, "removing expired desk sessions",
                           "DELETE FROM desk_session WHERE expires <= ?1"));
    seal_db_bind_int64(stmt, 1, (int64_t)now);
    SEAL_TRY(seal_db_step(stmt));
    seal_db_finalize(stmt);
    stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "opening a desk session",
                           "INSERT INTO desk_session (id, person_id, institution_id, csrf, "
                           "created, last_seen, expires) VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6)"));
    seal_db_bind_text(stmt, 1, id);
    seal_db_bind_int64(stmt, 2, person_id);
    seal_db_bind_int64(stmt, 3, institution_id);
    seal_db_bind_text(stmt, 4, csrf);
    seal_db_bind_int64(stmt, 5, (int64_t)now);
    seal_db_bind_int64(stmt, 6, (int64_t)now + policy->lifetime);
    SEAL_TRY(seal_db_step(stmt));
    SEAL_TRY(read_session(st, id, out, &found, &has_role));
    SEAL_ENSURE(found, SEAL_ESTORE, "the new desk session cannot be read back");
    *token_out = g_strdup(token);
out:
    seal_db_finalize(stmt);
    OPENSSL_cleanse(token, sizeof token);
    OPENSSL_cleanse(csrf, sizeof csrf);
    return rc;
}

int seal_store_desk_login(seal_store *st, int64_t person_id, const char *password, time_t now,
                          const seal_desk_policy *policy, const char *from, seal_desk_session *out,
                          char **token_out, unsigned *wait_out)
{
    int rc = 0, verdict = 0;
    char *hash = NULL, target[32], actor[32];
    int64_t failures = 0, institution_id = 0;
    time_t locked_until = 0;
    bool found = false, in_tx = false;
    const char *where = from ? from : "an unknown address";
    memset(out, 0, sizeof *out);
    *token_out = NULL;
    *wait_out = 0;
    snprintf(target, sizeof target, "person:%lld", (long long)person_id);
    snprintf(actor, sizeof actor, "person:%lld", (long long)person_id);
    SEAL_TRY(store_begin(st));
    in_tx = true;
    SEAL_TRY(read_password(st, person_id, &found, &hash, &failures, &locked_until));
    if (found && locked_until > now) {
        *wait_out = (unsigned)(locked_until - now);
        SEAL_TRY(store_audit_in_tx(st, "desk-login", "desk-login-refused", target,
                                   "account locked, from %s", where));
        SEAL_TRY(store_commit(st));
        in_tx = false;
        SEAL_FAIL(SEAL_EPOLICY,
                  "this account is locked after %u wrong passwords; try again in %u minute(s) "
                  "or ask an administrator to set a new password",
                  policy->lock_after, (*wait_out + 59) / 60);
    }
    if (found) {
        verdict = seal_password_verify(hash, password);
        if (verdict == SEAL_EFORMAT)
            SEAL_FAIL(SEAL_ESTORE,
                      "person %lld's stored desk password is damaged; an "
                      "administrator must set a new one",
                      (long long)person_id);
        SEAL_TRY(verdict == SEAL_EAUTH ? 0 : verdict);
    } else {
        /* Spend what a check costs, so that the answer's time does not tell whether the
         * person exists or has a password. */
        char *spent = NULL;
        if (password && seal_password_hash(&spent, password) == 0)
            OPENSSL_cleanse(spent, strlen(spent));
        g_free(spent);
        verdict = SEAL_EAUTH;
    }
    if (verdict == SEAL_EAUTH) {
        if (found) {
            failures++;
            bool lock = failures >= (int64_t)policy->lock_after;
            if (failures >= (int64_t)policy->slow_after && !lock)
                *wait_out = (unsigned)(failures - policy->slow_after + 1);
            SEAL_TRY(write_failures(st, person_id, lock ? 0 : failures,
                                    lock ? now + (time_t)policy->lock_for : 0));
            if (lock)
                SEAL_TRY(store_audit_in_tx(st, "desk-login", "desk-login-locked", target,
                                           "wrong password %lld of %u from %s: locked for %u s",
                                           (long long)failures, policy->lock_after, where,
                                           policy->lock_for));
            else
                SEAL_TRY(store_audit_in_tx(st, "desk-login", "desk-login-failed", target,
                                           "wrong password %lld of %u from %s", (long long)failures,
                                           policy->lock_after, where));
            SEAL_TRY(store_commit(st));
            in_tx = false;
            if (lock) {
                *wait_out = policy->lock_for;
                SEAL_FAIL(SEAL_EPOLICY,
                          "this account is locked after %u wrong passwords; try again in %u "
                          "minute(s) or ask an administrator to set a new password",
                          policy->lock_after, (policy->lock_for + 59) / 60);
            }
        } else {
            SEAL_TRY(store_audit_in_tx(st, "desk-login", "desk-login-failed", target,
                                       "no such person or no desk password, from %s", where));
            SEAL_TRY(store_commit(st));
            in_tx = false;
        }
        SEAL_FAIL(SEAL_EAUTH, "wrong login or password");
    }
    SEAL_TRY(desk_institution(st, person_id, &institution_id));
    if (!institution_id) {
        SEAL_TRY(store_audit_in_tx(st, actor, "desk-login-refused", target,
                                   "no role in any institution, from %s", where));
        SEAL_TRY(store_commit(st));
        in_tx = false;
        SEAL_FAIL(SEAL_EPOLICY, "this person has no role in any institution: ask an "
                                "administrator to give them one");
    }
    SEAL_TRY(write_failures(st, person_id, 0, 0));
    SEAL_TRY(open_session(st, person_id, institution_id, now, policy, out, token_out));
    SEAL_TRY(store_audit_in_tx(st, actor, "desk-login", target, "session opened for %s from %s",
                               out->institution_code, where));
    rc = store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        store_rollback(st);
    if (rc < 0 && *token_out) {
        OPENSSL_cleanse(*token_out, strlen(*token_out));
        g_free(*token_out);
        *token_out = NULL;
    }
    if (rc < 0)
        seal_desk_session_clear(out);
    if (hash)
        OPENSSL_cleanse(hash, strlen(hash));
    g_free(hash);
    return rc;
}

static int remove_session(seal_store *st, const char *id)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "ending a desk session",
                           "DELETE FROM desk_session WHERE id = ?1"));
    seal_db_bind_text(stmt, 1, id);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_desk_session_check(seal_store *st, const char *token, time_t now,
                                  const seal_desk_policy *policy, seal_desk_session *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char id[65];
    bool found = false, has_role = false;
    memset(out, 0, sizeof *out);
    SEAL_TRY(session_id(token, id));
    SEAL_TRY(read_session(st, id, out, &found, &has_role));
    SEAL_ENSURE(found, SEAL_EAUTH, "no such desk session: it ended or never was; log in again");
    if (now >= out->expires || now - out->last_seen >= (time_t)policy->idle || !has_role) {
        SEAL_TRY(remove_session(st, id));
        SEAL_FAIL(SEAL_EAUTH, "%s; log in again",
                  !has_role ? "the desk session's person no longer has a role in its institution"
                            : "the desk session expired");
    }
    if (now > out->last_seen) {
        SEAL_TRY(store_prepare(st, &stmt, "noting a desk session's use",
                               "UPDATE desk_session SET last_seen = ?2 WHERE id = ?1"));
        seal_db_bind_text(stmt, 1, id);
        seal_db_bind_int64(stmt, 2, (int64_t)now);
        SEAL_TRY(seal_db_step(stmt));
        out->last_seen = now;
    }
out:
    if (rc < 0)
        seal_desk_session_clear(out);
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_desk_logout(seal_store *st, const char *token)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char id[65], actor[32];
    bool in_tx = false;
    int64_t person_id = 0;
    SEAL_TRY(session_id(token, id));
    SEAL_TRY(store_begin(st));
    in_tx = true;
    SEAL_TRY(store_prepare(st, &stmt, "reading a desk session",
                           "SELECT person_id FROM desk_session WHERE id = ?1"));
    seal_db_bind_text(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_EAUTH, "no such desk session: it ended already");
    person_id = store_column_int64(stmt, 0);
    SEAL_TRY(remove_session(st, id));
    snprintf(actor, sizeof actor, "person:%lld", (long long)person_id);
    SEAL_TRY(store_audit_in_tx(st, actor, "desk-logout", actor, "session ended"));
    rc = store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    return rc;
}
