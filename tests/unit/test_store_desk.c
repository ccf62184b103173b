/* The clerk desk's passwords and sessions (store/password.c, store/desk.c): Argon2id hashes
 * checked by libargon2 itself, a wrong password, a damaged stored hash refused by name;
 * logins counted, slowed and locked, a success resetting the count; sessions found by
 * their token only, expiring when idle or past their lifetime, ended by logout or by a
 * new password; and the stored rows holding neither the password nor the token. */
#include "testutil.h"

#include "store/store_internal.h"

#include <seal/error.h>
#include <seal/store.h>

#include <argon2.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>

#define CREDIT_CODE "911101085512345672"
#define ID_CLERK    "110105198001010016"
#define ID_OTHER    "110105198001010024"
#define PASSWORD    "correct horse 印章"

static const seal_desk_policy policy = {
    .idle = 1800, .lifetime = 43200, .slow_after = 3, .lock_after = 5, .lock_for = 900};

static void test_password_hash(void **state)
{
    (void)state;
    char *hash = NULL, *again = NULL;
    assert_int_equal(seal_password_hash(&hash, PASSWORD), 0);
    /* the parameters the code promises, in the encoded form RFC 9106's reference writes */
    assert_true(g_str_has_prefix(hash, "$argon2id$v=19$m=65536,t=3,p=1$"));
    /* libargon2 itself accepts it, so the format is the standard one, not ours */
    assert_int_equal(argon2id_verify(hash, PASSWORD, strlen(PASSWORD)), ARGON2_OK);
    assert_int_equal(seal_password_verify(hash, PASSWORD), 0);
    assert_int_equal(seal_password_verify(hash, "correct horse 印"), SEAL_EAUTH);
    assert_non_null(strstr(seal_error_last(), "wrong password"));
    /* a new salt each time */
    assert_int_equal(seal_password_hash(&again, PASSWORD), 0);
    assert_string_not_equal(hash, again);
    /* a damaged or foreign stored hash is named as such, never taken for a wrong password */
    assert_int_equal(seal_password_verify("$2b$12$abcdefghijklmnopqrstuv", PASSWORD), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "not an Argon2id hash"));
    char *cut = g_strndup(hash, strlen(hash) - 20);
    assert_int_equal(seal_password_verify(cut, PASSWORD), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "damaged"));
    assert_int_equal(seal_password_check("short"), SEAL_EINVAL);
    assert_int_equal(seal_password_check("long enough"), 0);
    g_free(cut);
    g_free(hash);
    g_free(again);
}

static seal_store *open_store(int64_t *clerk_out, int64_t *other_out)
{
    seal_store *st = NULL;
    int64_t inst = 0;
    assert_int_equal(seal_store_open(&st, test_path(test_tmpdir(), "desk"), true), 0);
    assert_int_equal(
        seal_store_institution_register(st, "北京市测试有限公司", CREDIT_CODE, "tester", &inst), 0);
    assert_int_equal(seal_store_person_add(st, "李文书", ID_CLERK, NULL, "tester", clerk_out), 0);
    assert_int_equal(seal_store_role_grant(st, CREDIT_CODE, *clerk_out, "handler", "tester"), 0);
    assert_int_equal(seal_store_person_add(st, "王无职", ID_OTHER, NULL, "tester", other_out), 0);
    return st;
}

static void test_login_and_sessions(void **state)
{
    (void)state;
    int64_t clerk = 0, other = 0;
    seal_store *st = open_store(&clerk, &other);
    seal_desk_session s = {0}, seen = {0};
    char *token = NULL;
    unsigned wait = 0;
    time_t now = time(NULL);

    /* no password yet: refused like a wrong one */
    assert_int_equal(
        seal_store_desk_login(st, clerk, PASSWORD, now, &policy, "192.0.2.1", &s, &token, &wait),
        SEAL_EAUTH);
    assert_int_equal(seal_store_person_password_set(st, clerk, "short", "tester"), SEAL_EINVAL);
    assert_int_equal(seal_store_person_password_set(st, 999, PASSWORD, "tester"), SEAL_ENOTFOUND);
    assert_int_equal(seal_store_person_password_set(st, clerk, PASSWORD, "tester"), 0);

    /* two wrong passwords: no delay; the third and fourth: a growing one; a success resets */
    for (unsigned i = 1; i <= 4; i++) {
        assert_int_equal(seal_store_desk_login(st, clerk, "wrong password", now, &policy,
                                               "192.0.2.1", &s, &token, &wait),
                         SEAL_EAUTH);
        assert_int_equal(wait, i < 3 ? 0 : i - 2);
        assert_null(token);
    }
    assert_int_equal(
        seal_store_desk_login(st, clerk, PASSWORD, now, &policy, "192.0.2.1", &s, &token, &wait),
        0);
    assert_non_null(token);
    assert_int_equal(s.person_id, clerk);
    assert_string_equal(s.person_name, "李文书");
    assert_string_equal(s.institution_code, CREDIT_CODE);
    assert_int_equal(strlen(s.csrf), 43);
    assert_int_equal(s.expires, now + 43200);

    /* the session by its token, not by anything the database holds */
    assert_int_equal(seal_store_desk_session_check(st, token, now + 60, &policy, &seen), 0);
    assert_string_equal(seen.csrf, s.csrf);
    assert_int_equal(seen.last_seen, now + 60);
    seal_desk_session_clear(&seen);
    assert_int_equal(seal_store_desk_session_check(st, "not-a-token", now, &policy, &seen),
                     SEAL_EAUTH);
    /* idle: 1800 s after its last use it is gone, for good */
    assert_int_equal(seal_store_desk_session_check(st, token, now + 60 + 1800, &policy, &seen),
                     SEAL_EAUTH);
    assert_non_null(strstr(seal_error_last(), "expired"));
    assert_int_equal(seal_store_desk_session_check(st, token, now + 61, &policy, &seen),
                     SEAL_EAUTH);
    g_free(token);
    seal_desk_session_clear(&s);

    /* the count was reset by the success: four more wrong ones do not lock, the fifth does,
     * and then even the right password is refused until the lock ends */
    for (unsigned i = 1; i <= 5; i++)
        assert_int_equal(seal_store_desk_login(st, clerk, "wrong password", now, &policy, NULL, &s,
                                               &token, &wait),
                         i < 5 ? SEAL_EAUTH : SEAL_EPOLICY);
    assert_int_equal(wait, 900);
    assert_int_equal(
        seal_store_desk_login(st, clerk, PASSWORD, now + 899, &policy, NULL, &s, &token, &wait),
        SEAL_EPOLICY);
    assert_int_equal(wait, 1);
    assert_non_null(strstr(seal_error_last(), "locked"));
    assert_int_equal(
        seal_store_desk_login(st, clerk, PASSWORD, now + 900, &policy, NULL, &s, &token, &wait), 0);

    /* absolute lifetime, however busy the session */
    assert_int_equal(seal_store_desk_session_check(st, token, now + 900 + 43199, &policy, &seen),
                     SEAL_EAUTH);
    seal_desk_session_clear(&s);
    g_free(token);

    /* logout ends it; a new password ends every session */
    assert_int_equal(
        seal_store_desk_login(st, clerk, PASSWORD, now, &policy, NULL, &s, &token, &wait), 0);
    assert_int_equal(seal_store_desk_logout(st, token), 0);
    assert_int_equal(seal_store_desk_logout(st, token), SEAL_EAUTH);
    assert_int_equal(seal_store_desk_session_check(st, token, now, &policy, &seen), SEAL_EAUTH);
    seal_desk_session_clear(&s);
    g_free(token);
    assert_int_equal(
        seal_store_desk_login(st, clerk, PASSWORD, now, &policy, NULL, &s, &token, &wait), 0);
    assert_int_equal(seal_store_person_password_set(st, clerk, "another password", "tester"), 0);
    assert_int_equal(seal_store_desk_session_check(st, token, now, &policy, &seen), SEAL_EAUTH);
    seal_desk_session_clear(&s);
    g_free(token);

    /* a person without a role in any institution has nothing to do at the desk */
    assert_int_equal(seal_store_person_password_set(st, other, PASSWORD, "tester"), 0);
    assert_int_equal(
        seal_store_desk_login(st, other, PASSWORD, now, &policy, NULL, &s, &token, &wait),
        SEAL_EPOLICY);
    assert_int_equal(wait, 0);
    assert_null(token);
    seal_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_password_hash),
        cmocka_unit_test(test_login_and_sessions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
