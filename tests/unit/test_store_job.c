/* Batch jobs in the store (seal/job.h): submitted whole or not at all, claimed by one worker
 * only (also when processes race), taken over once the holder's heartbeat is stale, each
 * document's outcome recorded once and only by the holder, ended in the right state with
 * the secrets gone, cancelled, their callbacks claimed, retried and settled, and removed
 * after they are kept long enough. */
#include "testutil.h"

#include <seal/audit.h>
#include <seal/error.h>
#include <seal/job.h>

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static seal_store *open_fresh(void)
{
    static int n;
    char name[32];
    snprintf(name, sizeof name, "jobs-%d", n++);
    seal_store *st = NULL;
    assert_int_equal(test_store_open(&st, test_path(test_tmpdir(), name), true), 0);
    return st;
}

/* A queued job of `docs` documents ("doc-N.pdf", bytes "input N"); with a callback when
 * `key` is not NULL (it receives the key). */
static void submit(seal_store *st, size_t docs, time_t now, char id[33], char **key)
{
    seal_job_submit in = {
        .institution = "91110108MA01XH3K7J",
        .actor = "apikey:key-000000000001",
        .seal_id = "demo-official-1",
        .params = "{\"page\":\"1\",\"at\":\"100,100\"}",
        .pin = "123456",
        .password = "open sesame",
        .callback_url = key ? "http://127.0.0.1:9/hook" : NULL,
        .documents = docs,
    };
    assert_int_equal(seal_store_job_create(st, &in, now, id, key), 0);
    assert_int_equal(strlen(id), 32);
    for (size_t i = 1; i <= docs; i++) {
        char name[32], data[32];
        snprintf(name, sizeof name, "doc-%zu.pdf", i);
        snprintf(data, sizeof data, "input %zu", i);
        assert_int_equal(
            seal_store_job_add_document(st, id, (int64_t)i, name,
                                        i == 2 ? "[{\"page\":2,\"at\":\"1,1\"}]" : NULL,
                                        (const uint8_t *)data, strlen(data)),
            0);
    }
    assert_int_equal(seal_store_job_queue(st, id), 0);
}

static void test_submit_and_read(void **state)
{
    (void)state;
    seal_store *st = open_fresh();
    char id[33];
    char *key = NULL;
    seal_job_record r = {0};

    /* Being submitted, a job is no job: no reader and no worker sees it. */
    seal_job_submit in = {
        .actor = "apikey:k", .seal_id = "s", .params = "{}", .pin = "1", .documents = 2};
    assert_int_equal(seal_store_job_create(st, &in, 100, id, NULL), 0);
    assert_int_equal(seal_store_job_add_document(st, id, 1, "a.pdf", NULL, (const uint8_t *)"a", 1),
                     0);
    assert_int_equal(seal_store_job_get(st, id, &r), SEAL_ENOTFOUND);
    assert_int_equal(seal_store_job_claim(st, "w1", 200, 0, &r), SEAL_ENOTFOUND);
    /* One document of two: not queued. */
    assert_int_not_equal(seal_store_job_queue(st, id), 0);
    assert_int_equal(seal_store_job_discard(st, id), 0);

    submit(st, 3, 1000, id, &key);
    assert_non_null(key);
    assert_int_equal(strlen(key), 64);
    assert_int_equal(seal_store_job_get(st, id, &r), 0);
    assert_int_equal(r.state, SEAL_JOB_QUEUED);
    assert_string_equal(r.seal_id, "demo-official-1");
    assert_string_equal(r.institution, "91110108MA01XH3K7J");
    assert_string_equal(r.callback_url, "http://127.0.0.1:9/hook");
    assert_int_equal(r.total, 3);
    assert_int_equal(r.queued, 3);
    assert_int_equal(r.created, 1000);
    assert_null(r.worker);
    seal_job_record_clear(&r);

    seal_job_document *docs = NULL;
    size_t n = 0;
    assert_int_equal(seal_store_job_documents(st, id, &docs, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(docs[1].name, "doc-2.pdf");
    assert_string_equal(docs[1].placements, "[{\"page\":2,\"at\":\"1,1\"}]");
    assert_null(docs[0].placements);
    assert_int_equal(docs[2].input_size, 7);
    seal_job_documents_free(docs, n);

    /* The submission is in the audit trail. */
    seal_audit_record *audit = NULL;
    char target[48];
    snprintf(target, sizeof target, "job:%s", id);
    assert_int_equal(seal_store_audit_list(st, target, &audit, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(audit[0].action, "job-submit");
    assert_string_equal(audit[0].actor, "apikey:key-000000000001");
    seal_audit_records_free(audit, n);

    /* A document that is not sealed has no output to read. */
    seal_buf out = SEAL_BUF_INIT;
    assert_int_equal(seal_store_job_output(st, id, 1, NULL, &out), SEAL_EPOLICY);
    assert_int_equal(seal_store_job_output(st, id, 9, NULL, &out), SEAL_ENOTFOUND);
    g_free(key);
    seal_store_close(st);
}

/* The list: newest first, only the institution asked for, only the state asked for, at most
 * the limit, with the counts; a job being submitted is not listed; a state that no listed
 * job can be in is refused. */
static void test_list(void **state)
{
    (void)state;
    seal_store *st = open_fresh();
    char a[33], b[33], c[33], d[33];
    submit(st, 2, 100, a, NULL);
    submit(st, 3, 200, b, NULL);
    seal_job_submit other = {.institution = "91350100M000100Y43",
                             .actor = "apikey:o",
                             .seal_id = "s",
                             .params = "{}",
                             .pin = "1",
                             .documents = 1};
    assert_int_equal(seal_store_job_create(st, &other, 300, c, NULL), 0);
    assert_int_equal(seal_store_job_add_document(st, c, 1, "c.pdf", NULL, (const uint8_t *)"c", 1),
                     0);
    assert_int_equal(seal_store_job_queue(st, c), 0);
    other.documents = 1;
    assert_int_equal(seal_store_job_create(st, &other, 400, d, NULL), 0); /* not queued */

    seal_job_record *list = NULL;
    size_t n = 0;
    assert_int_equal(seal_store_job_list(st, "91110108MA01XH3K7J", NULL, 50, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, b);
    assert_string_equal(list[1].id, a);
    assert_int_equal(list[0].total, 3);
    assert_int_equal(list[0].queued, 3);
    assert_int_equal(list[0].state, SEAL_JOB_QUEUED);
    seal_job_records_free(list, n);

    assert_int_equal(seal_store_job_list(st, NULL, NULL, 2, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].id, c);
    assert_string_equal(list[1].id, b);
    seal_job_records_free(list, n);

    assert_int_equal(seal_store_job_list(st, NULL, "done", 50, &list, &n), 0);
    assert_int_equal(n, 0);
    seal_job_records_free(list, n);
    assert_int_equal(seal_store_job_list(st, NULL, "submitting", 50, &list, &n), SEAL_EINVAL);
    assert_int_equal(seal_store_job_list(st, NULL, "bogus", 50, &list, &n), SEAL_EINVAL);
    seal_error_clear();
    seal_store_close(st);
}

static void test_run_takeover_end(void **state)
{
    (void)state;
    seal_store *st = open_fresh();
    char id[33];
    seal_job_record r = {0};
    seal_job_document d = {0};
    seal_buf in = SEAL_BUF_INIT, out = SEAL_BUF_INIT;
    submit(st, 3, 1000, id, NULL);

    assert_int_equal(seal_store_job_claim(st, "w1", 2000, 2000 - 30, &r), 0);
    assert_string_equal(r.id, id);
    assert_int_equal(r.state, SEAL_JOB_RUNNING);
    assert_string_equal(r.worker, "w1");
    assert_int_equal(r.claims, 1);
    assert_int_equal(r.started, 2000);
    seal_job_record_clear(&r);
    /* Held and alive: no one else gets it. */
    assert_int_equal(seal_store_job_claim(st, "w2", 2010, 2010 - 30, &r), SEAL_ENOTFOUND);

    char *pin = NULL, *password = NULL;
    assert_int_equal(seal_store_job_secrets(st, id, &pin, &password), 0);
    assert_string_equal(pin, "123456");
    assert_string_equal(password, "open sesame");
    g_free(pin);
    g_free(password);

    /* Document 1 sealed by w1. */
    assert_int_equal(seal_store_job_next_document(st, id, &d, &in), 0);
    assert_int_equal(d.n, 1);
    assert_memory_equal(in.data, "input 1", 7);
    seal_buf_set(&out, "sealed 1", 8);
    assert_int_equal(seal_store_job_document_done(st, id, "w1", 1, 2020, "PDF", &out, NULL, NULL),
                     0);
    /* Not twice: the holder is told it was recorded already, and goes on. */
    assert_int_equal(seal_store_job_document_done(st, id, "w1", 1, 2020, "PDF", &out, NULL, NULL),
                     SEAL_EEXISTS);
    seal_job_document_clear(&d);
    assert_int_equal(seal_store_job_heartbeat(st, id, "w1", 2025), 0);

    /* w1 goes silent; after the stale limit w2 takes the job over. */
    assert_int_equal(seal_store_job_claim(st, "w2", 2040, 2040 - 30, &r), SEAL_ENOTFOUND);
    assert_int_equal(seal_store_job_claim(st, "w2", 2060, 2060 - 30, &r), 0);
    assert_string_equal(r.worker, "w2");
    assert_int_equal(r.claims, 2);
    assert_int_equal(r.started, 2000);
    assert_int_equal(r.done, 1);
    assert_int_equal(r.queued, 2);
    seal_job_record_clear(&r);
    /* w1 comes back: it holds nothing any more. */
    assert_int_equal(seal_store_job_heartbeat(st, id, "w1", 2061), SEAL_EPOLICY);
    assert_int_equal(seal_store_job_document_done(st, id, "w1", 2, 2061, "PDF", &out, NULL, NULL),
                     SEAL_EPOLICY);
    assert_int_equal(seal_store_job_end(st, id, "w1", 2061, NULL, NULL, NULL), SEAL_EPOLICY);

    /* w2 goes on with document 2 (failed) and 3 (sealed). */
    assert_int_equal(seal_store_job_next_document(st, id, &d, &in), 0);
    assert_int_equal(d.n, 2);
    seal_job_document_clear(&d);
    assert_int_equal(seal_store_job_document_done(st, id, "w2", 2, 2070, NULL, NULL,
                                                  "document-refused", "not a PDF"),
                     0);
    /* Ending with a document left is a mistake of the caller. */
    assert_int_not_equal(seal_store_job_end(st, id, "w2", 2071, NULL, NULL, NULL), 0);
    assert_int_equal(seal_store_job_next_document(st, id, &d, &in), 0);
    assert_int_equal(d.n, 3);
    seal_job_document_clear(&d);
    seal_buf_set(&out, "sealed 3", 8);
    assert_int_equal(seal_store_job_document_done(st, id, "w2", 3, 2080, "OFD", &out, NULL, NULL),
                     0);
    assert_int_equal(seal_store_job_next_document(st, id, &d, &in), SEAL_ENOTFOUND);

    seal_job_state final;
    assert_int_equal(seal_store_job_end(st, id, "w2", 2090, NULL, NULL, &final), 0);
    assert_int_equal(final, SEAL_JOB_DONE);
    assert_int_equal(seal_store_job_get(st, id, &r), 0);
    assert_int_equal(r.state, SEAL_JOB_DONE);
    assert_int_equal(r.done, 2);
    assert_int_equal(r.failed, 1);
    assert_int_equal(r.finished, 2090);
    assert_null(r.worker);
    assert_int_equal(r.callback_state, SEAL_JOB_CALLBACK_NONE);
    seal_job_record_clear(&r);
    /* The PIN is gone with the job's end. */
    char *gone = NULL, *gone_pw = NULL;
    assert_int_equal(seal_store_job_secrets(st, id, &gone, &gone_pw), SEAL_EPOLICY);
    assert_null(gone);

    seal_job_document doc = {0};
    assert_int_equal(seal_store_job_output(st, id, 3, &doc, &out), 0);
    assert_int_equal(out.len, 8);
    assert_memory_equal(out.data, "sealed 3", 8);
    assert_string_equal(doc.format, "OFD");
    assert_string_equal(doc.name, "doc-3.pdf");
    seal_job_document_clear(&doc);
    assert_int_equal(seal_store_job_output(st, id, 2, NULL, &out), SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "not a PDF"));

    /* Nothing is left to claim, and an ended job cannot be cancelled. */
    assert_int_equal(seal_store_job_claim(st, "w3", 9000, 9000 - 30, &r), SEAL_ENOTFOUND);
    assert_int_equal(seal_store_job_cancel(st, id, "apikey:k", 9000, NULL), SEAL_EPOLICY);
    seal_buf_clear(&in);
    seal_buf_clear(&out);
    seal_store_close(st);
}

static void test_release_fail_cancel(void **state)
{
    (void)state;
    seal_store *st = open_fresh();
    char a[33], b[33], c[33];
    seal_job_record r = {0};
    seal_job_state s;
    submit(st, 2, 1000, a, NULL);
    submit(st, 2, 1001, b, NULL);
    submit(st, 2, 1002, c, NULL);

    /* Oldest first; a released job is taken again at once. */
    assert_int_equal(seal_store_job_claim(st, "w1", 2000, 1970, &r), 0);
    assert_string_equal(r.id, a);
    seal_job_record_clear(&r);
    assert_int_equal(seal_store_job_release(st, a, "w1"), 0);
    assert_int_equal(seal_store_job_claim(st, "w2", 2001, 1971, &r), 0);
    assert_string_equal(r.id, a);
    seal_job_record_clear(&r);

    /* A fault of the job (the PIN refused) fails every document left. */
    assert_int_equal(seal_store_job_end(st, a, "w2", 2002, "pin-refused", "wrong PIN", &s), 0);
    assert_int_equal(s, SEAL_JOB_FAILED);
    assert_int_equal(seal_store_job_get(st, a, &r), 0);
    assert_int_equal(r.failed, 2);
    assert_string_equal(r.error, "wrong PIN");
    seal_job_record_clear(&r);

    /* A queued job is cancelled at once; a running one when its worker next looks. */
    assert_int_equal(seal_store_job_claim(st, "w1", 2010, 1980, &r), 0);
    assert_string_equal(r.id, b);
    seal_job_record_clear(&r);
    assert_int_equal(seal_store_job_cancel(st, c, "apikey:k", 2011, &s), 0);
    assert_int_equal(s, SEAL_JOB_CANCELLED);
    assert_int_equal(seal_store_job_get(st, c, &r), 0);
    assert_int_equal(r.state, SEAL_JOB_CANCELLED);
    assert_int_equal(r.cancelled, 2);
    seal_job_record_clear(&r);
    assert_int_equal(seal_store_job_cancel(st, b, "apikey:k", 2012, &s), 0);
    assert_int_equal(s, SEAL_JOB_RUNNING);
    assert_int_equal(seal_store_job_get(st, b, &r), 0);
    assert_true(r.cancel_requested);
    seal_job_record_clear(&r);
    assert_int_equal(seal_store_job_end(st, b, "w1", 2013, NULL, NULL, &s), 0);
    assert_int_equal(s, SEAL_JOB_CANCELLED);
    assert_int_equal(seal_store_job_get(st, b, &r), 0);
    assert_int_equal(r.cancelled, 2);
    seal_job_record_clear(&r);

    /* Removed once kept long enough (by when they ended). */
    size_t removed = 0;
    assert_int_equal(seal_store_job_expire(st, 2011, 0, &removed), 0);
    assert_int_equal(removed, 1);
    assert_int_equal(seal_store_job_get(st, a, &r), SEAL_ENOTFOUND);
    assert_int_equal(seal_store_job_expire(st, 3000, 0, &removed), 0);
    assert_int_equal(removed, 2);
    int64_t queued = -1, running = -1;
    assert_int_equal(seal_store_job_counts(st, &queued, &running), 0);
    assert_int_equal(queued + running, 0);
    seal_store_close(st);
}

static void test_callback(void **state)
{
    (void)state;
    seal_store *st = open_fresh();
    char id[33];
    char *key = NULL;
    seal_job_callback cb = {0};
    seal_job_record r = {0};
    submit(st, 1, 1000, id, &key);
    /* Not due before the job ends. */
    assert_int_equal(seal_store_job_callback_claim(st, 5000, 60, &cb), SEAL_ENOTFOUND);
    assert_int_equal(seal_store_job_claim(st, "w1", 2000, 1970, &r), 0);
    seal_job_record_clear(&r);
    assert_int_equal(seal_store_job_document_done(st, id, "w1", 1, 2001, NULL, NULL, "x", "y"), 0);
    assert_int_equal(seal_store_job_end(st, id, "w1", 2002, NULL, NULL, NULL), 0);

    assert_int_equal(seal_store_job_callback_claim(st, 2002, 60, &cb), 0);
    assert_string_equal(cb.job.id, id);
    assert_int_equal(cb.job.state, SEAL_JOB_FAILED);
    assert_string_equal(cb.key, key);
    assert_int_equal(cb.attempts, 0);
    seal_job_callback_clear(&cb);
    /* Leased: another worker does not take it meanwhile. */
    assert_int_equal(seal_store_job_callback_claim(st, 2003, 60, &cb), SEAL_ENOTFOUND);
    assert_int_equal(
        seal_store_job_callback_record(st, id, 1, 2004, 500, "answered 500", false, 2005), 0);
    assert_int_equal(seal_store_job_callback_claim(st, 2004, 60, &cb), SEAL_ENOTFOUND);
    assert_int_equal(seal_store_job_callback_claim(st, 2005, 60, &cb), 0);
    assert_int_equal(cb.attempts, 1);
    seal_job_callback_clear(&cb);
    assert_int_equal(seal_store_job_callback_record(st, id, 2, 2006, 204, NULL, true, 0), 0);
    assert_int_equal(seal_store_job_callback_claim(st, 99999, 60, &cb), SEAL_ENOTFOUND);

    seal_job_attempt *attempts = NULL;
    size_t n = 0;
    assert_int_equal(seal_store_job_attempts(st, id, &attempts, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(attempts[0].status, 500);
    assert_string_equal(attempts[0].error, "answered 500");
    assert_int_equal(attempts[1].status, 204);
    assert_null(attempts[1].error);
    seal_job_attempts_free(attempts, n);
    assert_int_equal(seal_store_job_get(st, id, &r), 0);
    assert_int_equal(r.callback_state, SEAL_JOB_CALLBACK_DELIVERED);
    seal_job_record_clear(&r);
    g_free(key);
    seal_store_close(st);
}

/* Six processes claim at once with one job queued: exactly one gets it. */
static void test_claim_race(void **state)
{
    (void)state;
    seal_store *st = open_fresh();
    char dir[4096], id[33];
    g_strlcpy(dir, seal_store_data_dir(st), sizeof dir);
    submit(st, 1, 1000, id, NULL);
    seal_store_close(st);

    enum { RACERS = 6 };
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pids[RACERS];
    for (int i = 0; i < RACERS; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0) {
            char c, worker[16];
            close(go[1]);
            snprintf(worker, sizeof worker, "w%d", i);
            seal_store *mine = NULL;
            if (test_store_open(&mine, dir, false) < 0)
                _exit(3);
            if (read(go[0], &c, 1) < 0)
                _exit(3);
            seal_job_record got = {0};
            int rc = seal_store_job_claim(mine, worker, 2000, 1970, &got);
            seal_job_record_clear(&got);
            seal_store_close(mine);
            _exit(rc == 0 ? 0 : rc == SEAL_ENOTFOUND ? 1 : 3);
        }
    }
    close(go[0]);
    close(go[1]);
    int won = 0, none = 0;
    for (int i = 0; i < RACERS; i++) {
        int status = 0;
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        assert_true(WIFEXITED(status));
        won += WEXITSTATUS(status) == 0;
        none += WEXITSTATUS(status) == 1;
    }
    assert_int_equal(won, 1);
    assert_int_equal(none, RACERS - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_submit_and_read),  cmocka_unit_test(test_list),
        cmocka_unit_test(test_run_takeover_end), cmocka_unit_test(test_release_fail_cancel),
        cmocka_unit_test(test_callback),         cmocka_unit_test(test_claim_race),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
