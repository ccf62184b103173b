/* Pending stamps in the store: kept, listed, claimed by one finisher only (also when two
 * processes race for the same id), given back after a failed finish, expired and handed
 * back for their prepared files to be removed (not while a finish holds them). */
#include "testutil.h"

#include <seal/error.h>
#include <seal/store.h>

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static seal_store *open_fresh(void)
{
    static int n;
    char name[32];
    snprintf(name, sizeof name, "store-%d", n++);
    seal_store *st = NULL;
    assert_int_equal(test_store_open(&st, test_path(test_tmpdir(), name), true), 0);
    return st;
}

static void put(seal_store *st, seal_pending_record *r, time_t created, time_t expires)
{
    memset(r, 0, sizeof *r);
    r->seal_id = g_strdup("demo-official-1");
    r->actor = g_strdup("clerk-li");
    r->format = g_strdup("PDF");
    r->input = g_strdup("/tmp/in.pdf");
    r->output = g_strdup("/tmp/out.pdf");
    r->how = g_strdup("PAdES B-T");
    r->places = 2;
    r->level = 1;
    r->tsa_url = g_strdup("http://127.0.0.1:1/tsa");
    r->alg = g_strdup("ECDSA");
    r->created = created;
    r->expires = expires;
    assert_int_equal(seal_buf_append(&r->stamp, "prepared-bytes", 14), 0);
    assert_int_equal(seal_store_pending_put(st, r, "PDF in.pdf -> out.pdf, PAdES B-B"), 0);
    assert_int_equal(strlen(r->id), 32);
}

static void test_put_list_claim_remove(void **state)
{
    (void)state;
    seal_store *st = open_fresh();
    seal_pending_record a, b, got = {0};
    put(st, &a, 1000, 5000);
    put(st, &b, 2000, 6000);
    assert_string_not_equal(a.id, b.id);

    seal_pending_record *list = NULL;
    size_t n = 0;
    assert_int_equal(seal_store_pending_list(st, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, a.id);
    assert_string_equal(list[1].id, b.id);
    assert_string_equal(list[0].actor, "clerk-li");
    assert_string_equal(list[0].tsa_url, "http://127.0.0.1:1/tsa");
    assert_null(list[0].tsa_hash);
    assert_int_equal(list[0].places, 2);
    assert_false(list[0].finishing);
    assert_int_equal(list[0].stamp.len, 0);
    seal_pending_records_free(list, n);

    /* Read without claiming (a finish learns the level first) and without the data. */
    assert_int_equal(seal_store_pending_get(st, b.id, &got), 0);
    assert_string_equal(got.id, b.id);
    assert_int_equal(got.level, 1);
    assert_false(got.finishing);
    assert_int_equal(got.stamp.len, 0);
    seal_pending_record_clear(&got);
    assert_int_equal(seal_store_pending_get(st, "0123456789abcdef0123456789abcdef", &got),
                     SEAL_ENOTFOUND);
    assert_null(got.seal_id);

    assert_int_equal(seal_store_pending_claim(st, a.id, 3000, &got), 0);
    assert_true(got.finishing);
    assert_int_equal(got.stamp.len, 14);
    assert_memory_equal(got.stamp.data, "prepared-bytes", 14);
    seal_pending_record_clear(&got);

    /* A second claim while the first runs is refused; after a release it is allowed. */
    assert_int_equal(seal_store_pending_claim(st, a.id, 3001, &got), SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "being finished by another"));
    seal_pending_record_clear(&got);
    assert_int_equal(seal_store_pending_release(st, a.id), 0);
    assert_int_equal(seal_store_pending_claim(st, a.id, 3002, &got), 0);
    seal_pending_record_clear(&got);
    /* A claim whose process died is taken over once stale. */
    assert_int_equal(seal_store_pending_claim(st, a.id, 3002 + SEAL_PENDING_CLAIM_STALE + 1, &got),
                     0);
    seal_pending_record_clear(&got);

    assert_int_equal(seal_store_pending_remove(st, a.id), 0);
    assert_int_equal(seal_store_pending_claim(st, a.id, 3003, &got), SEAL_ENOTFOUND);
    assert_non_null(strstr(seal_error_last(), a.id));
    seal_pending_record_clear(&got);
    /* Not an id at all: named, not looked up. */
    assert_int_equal(seal_store_pending_claim(st, "'; DROP TABLE seal; --", 3003, &got),
                     SEAL_ENOTFOUND);
    seal_pending_record_clear(&got);

    seal_pending_record_clear(&a);
    seal_pending_record_clear(&b);
    seal_store_close(st);
}

static void test_expiry(void **state)
{
    (void)state;
    seal_store *st = open_fresh();
    seal_pending_record a, b, got = {0};
    put(st, &a, 1000, 2000);
    put(st, &b, 1000, 9000);

    /* A claim after expiry is refused, names the time, and removes the stamp, handing it
     * over so its prepared file can be removed. */
    assert_int_equal(seal_store_pending_claim(st, a.id, 2001, &got), SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "expired at 1970-01-01 00:33:20 UTC"));
    assert_string_equal(got.output, "/tmp/out.pdf");
    seal_pending_record_clear(&got);
    assert_int_equal(seal_store_pending_claim(st, a.id, 2001, &got), SEAL_ENOTFOUND);
    seal_pending_record_clear(&got);

    seal_pending_record *gone = NULL;
    size_t n = 0;
    assert_int_equal(seal_store_pending_take_expired(st, 8000, &gone, &n), 0);
    assert_int_equal(n, 0);
    seal_pending_records_free(gone, n);
    assert_int_equal(seal_store_pending_take_expired(st, 9001, &gone, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(gone[0].id, b.id);
    assert_int_equal(gone[0].stamp.len, 14);
    seal_pending_records_free(gone, n);
    assert_int_equal(seal_store_pending_list(st, &gone, &n), 0);
    assert_int_equal(n, 0);
    seal_pending_records_free(gone, n);

    /* A stamp claimed just before its expiry is its finisher's: the sweep leaves it (the
     * finish is writing from its prepared file) until the claim is stale. */
    seal_pending_record c;
    put(st, &c, 1000, 10000);
    assert_int_equal(seal_store_pending_claim(st, c.id, 10000, &got), 0);
    seal_pending_record_clear(&got);
    assert_int_equal(seal_store_pending_take_expired(st, 10001, &gone, &n), 0);
    assert_int_equal(n, 0);
    seal_pending_records_free(gone, n);
    assert_int_equal(
        seal_store_pending_take_expired(st, 10001 + SEAL_PENDING_CLAIM_STALE, &gone, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(gone[0].id, c.id);
    seal_pending_records_free(gone, n);

    seal_pending_record_clear(&a);
    seal_pending_record_clear(&b);
    seal_pending_record_clear(&c);
    seal_store_close(st);
}

/* Eight processes claim the same stamp at once: exactly one gets it. */
static void test_claim_race(void **state)
{
    (void)state;
    seal_store *st = open_fresh();
    char dir[4096];
    g_strlcpy(dir, seal_store_data_dir(st), sizeof dir);
    seal_pending_record a;
    put(st, &a, 1000, 9000);
    seal_store_close(st);

    enum { RACERS = 8 };
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pids[RACERS];
    for (int i = 0; i < RACERS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char c;
            close(go[1]);
            seal_store *mine = NULL;
            if (test_store_open(&mine, dir, false) < 0)
                _exit(3);
            if (read(go[0], &c, 1) < 0)
                _exit(3);
            seal_pending_record got = {0};
            int rc = seal_store_pending_claim(mine, a.id, 3000, &got);
            seal_pending_record_clear(&got);
            seal_store_close(mine);
            _exit(rc == 0 ? 0 : rc == SEAL_EPOLICY ? 1 : 3);
        }
    }
    close(go[0]);
    close(go[1]); /* every child's read returns at once */
    int won = 0, refused = 0;
    for (int i = 0; i < RACERS; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        won += WEXITSTATUS(status) == 0;
        refused += WEXITSTATUS(status) == 1;
    }
    assert_int_equal(won, 1);
    assert_int_equal(refused, RACERS - 1);
    seal_pending_record_clear(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_list_claim_remove),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_claim_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
