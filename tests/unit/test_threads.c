/* One process, many requests (issue 11): eight threads at once stamp PDF and OFD through
 * seal_stamp(), each with its own seal_store handle on one data directory, two threads on
 * each seal (software RSA, SM2 and ECDSA keys, and an ECDSA key on a SoftHSM2 token), all
 * from the same input files; each then verifies its output with seal_verify_file() and
 * verifies corpus files that the other threads verify too. Every output must be VALID,
 * signed by its seal's certificate; every corpus verdict (or refusal, message and all)
 * must be the one a single thread gets. Run under ThreadSanitizer by tests/run.sh.
 *
 * The platform is made as a user makes it: `sealsvc demo init`, a SoftHSM2 token of the
 * test's own (SOFTHSM2_CONF) and `sealsvc seal make --pkcs11-uri`. Also: the helper thread
 * cap of base/thread.h holds when more helpers are asked for than it allows. */
#include "testutil.h"

#include "base/thread.h"

#include <seal/error.h>
#include <seal/report.h>
#include <seal/stamp.h>
#include <seal/store.h>
#include <seal/verify.h>

#include <dirent.h>
#include <glib.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_THREADS 8
#define N_ROUNDS  2
#define N_SEALS   4
#define MAX_FILES 64

#define TOKEN_SO_PIN "73918264"
#define TOKEN_PIN    "48152637"

typedef struct seal_use {
    char id[64];
    char pin[64];
    char cn[256]; /* the subject CN of the seal's certificate */
} seal_use;

/* What one verification gave: compared between a single thread and many. */
typedef struct outcome {
    int rc;
    char message[512]; /* the error when rc < 0 */
    seal_verdict verdict;
    size_t n_sigs;
    seal_verdict sig_verdicts[8];
} outcome;

static struct {
    char dir[512], data[600];
    char pdf[600], ofd[600];
    seal_use seals[N_SEALS];
    char files[MAX_FILES][900];
    outcome expected[MAX_FILES];
    size_t n_files;
} T;

typedef struct worker {
    int index;
    char failure[4096]; /* empty when everything checked out */
} worker;

/* libp11's own leaks (tests/lsan.supp) are let go, here and in the sealsvc processes the
 * test runs (LSAN_OPTIONS, set in setup). Some go through OPENSSL_strdup: the full unwind
 * finds libp11 behind it. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libp11.so\n";
}

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "fast_unwind_on_malloc=0";
}

static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static void cat_file(const char *path)
{
    gchar *text = NULL;
    if (g_file_get_contents(path, &text, NULL, NULL))
        fprintf(stderr, "%s\n", text);
    g_free(text);
}

static void seal_from_manifest(seal_use *out, json_t *manifest, const char *id)
{
    json_t *seals = json_object_get(manifest, "seals");
    size_t i;
    json_t *s;
    json_array_foreach(seals, i, s)
    {
        if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0) {
            snprintf(out->id, sizeof out->id, "%s", id);
            snprintf(out->pin, sizeof out->pin, "%s", json_string_value(json_object_get(s, "pin")));
            return;
        }
    }
    fail_msg("the demo manifest has no seal %s", id);
}

static void cn_of(seal_use *u, seal_store *st)
{
    seal_record r = {0};
    assert_int_equal(seal_store_get_seal(st, u->id, &r), 0);
    BIO *bio = BIO_new_mem_buf(r.cert_pem.data, (int)r.cert_pem.len);
    X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    assert_non_null(cert);
    assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, u->cn,
                                          sizeof u->cn) > 0);
    X509_free(cert);
    BIO_free(bio);
    seal_record_clear(&r);
}

/* A seal whose ECDSA key is generated on a SoftHSM2 token of the test's own, for the
 * institution of `like`. */
static void make_token_seal(seal_use *u, const char *sealsvc, seal_store *st, const char *like)
{
    seal_record r = {0};
    assert_int_equal(seal_store_get_seal(st, like, &r), 0);
    char conf[700], tokens[700];
    snprintf(tokens, sizeof tokens, "%s/tokens", T.dir);
    snprintf(conf, sizeof conf, "%s/softhsm2.conf", T.dir);
    assert_int_equal(sh("mkdir -p '%s' && printf 'directories.tokendir = %%s\\nobjectstore.backend "
                        "= file\\nlog.level = ERROR\\n' '%s' >'%s'",
                        tokens, tokens, conf),
                     0);
    setenv("SOFTHSM2_CONF", conf, 1);
    if (sh("softhsm2-util --init-token --free --label SealToken --so-pin %s --pin %s "
           ">'%s/token.log' 2>&1",
           TOKEN_SO_PIN, TOKEN_PIN, T.dir) != 0) {
        cat_file(test_path(T.dir, "token.log"));
        fail_msg("softhsm2-util --init-token failed (tests/install-deps.sh installs softhsm2)");
    }
    snprintf(u->id, sizeof u->id, "tk-ec");
    snprintf(u->pin, sizeof u->pin, "%s", TOKEN_PIN);
    if (sh("'%s' --data '%s' seal make --id %s --institution-code %s --name '%s' "
           "--pkcs11-uri 'pkcs11:token=SealToken;object=seal-ec' --key-type ecdsa --pin %s "
           ">'%s/make.log' 2>&1",
           sealsvc, T.data, u->id, r.owner_code, r.owner, u->pin, T.dir) != 0) {
        cat_file(test_path(T.dir, "make.log"));
        fail_msg("seal make --pkcs11-uri failed");
    }
    seal_record_clear(&r);
}

static void verify_into(outcome *o, const char *path)
{
    seal_verify_file_opts opts = {.offline = true};
    seal_report *rep = NULL;
    memset(o, 0, sizeof *o);
    /* The platform's anchors and published CRLs are in its database: a handle per call. */
    o->rc = seal_store_open(&opts.store, T.data, false);
    if (o->rc == 0)
        o->rc = seal_verify_file(&rep, path, &opts);
    seal_store_close(opts.store);
    if (o->rc < 0) {
        snprintf(o->message, sizeof o->message, "%s", seal_error_last());
        return;
    }
    o->verdict = rep->verdict;
    o->n_sigs = rep->n_sigs;
    for (size_t i = 0; i < rep->n_sigs && i < G_N_ELEMENTS(o->sig_verdicts); i++)
        o->sig_verdicts[i] = rep->sigs[i].verdict;
    seal_report_free(rep);
}

static bool corpus_file(const char *name)
{
    return g_str_has_suffix(name, ".pdf") || g_str_has_suffix(name, ".ofd");
}

static void add_corpus(const char *corpus, const char *sub)
{
    char dir[600];
    snprintf(dir, sizeof dir, "%s/%s", corpus, sub);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) && T.n_files < MAX_FILES) {
        if (!corpus_file(e->d_name))
            continue;
        snprintf(T.files[T.n_files], sizeof T.files[0], "%s/%s", dir, e->d_name);
        verify_into(&T.expected[T.n_files], T.files[T.n_files]);
        T.n_files++;
    }
    closedir(d);
}

static int setup(void **state)
{
    (void)state;
    const char *corpus = test_corpus_dir();
    const char *sealsvc = getenv("SEALSVC");
    const char *src = getenv("SEAL_SOURCE_DIR");
    if (!corpus || !sealsvc || !src) {
        fprintf(stderr, "SEAL_CORPUS, SEALSVC and SEAL_SOURCE_DIR must be set (ctest sets "
                        "them)\n");
        return -1;
    }
    snprintf(T.dir, sizeof T.dir, "%s", test_tmpdir());
    snprintf(T.data, sizeof T.data, "%s/data", T.dir);
    snprintf(T.pdf, sizeof T.pdf, "%s/samples/contract-zh.pdf", src);
    snprintf(T.ofd, sizeof T.ofd, "%s/samples/notice-zh.ofd", src);
    char lsan[800];
    snprintf(lsan, sizeof lsan, "suppressions=%s/tests/lsan.supp", src);
    setenv("LSAN_OPTIONS", lsan, 1);
    const char *asan = getenv("ASAN_OPTIONS");
    char *asan_full =
        g_strdup_printf("%s%sfast_unwind_on_malloc=0", asan ? asan : "", asan && *asan ? ":" : "");
    setenv("ASAN_OPTIONS", asan_full, 1);
    g_free(asan_full);
    if (sh("'%s' demo init --dir '%s' >'%s/manifest.json' 2>'%s/demo.log'", sealsvc, T.data, T.dir,
           T.dir) != 0) {
        cat_file(test_path(T.dir, "demo.log"));
        return -1;
    }
    json_t *manifest = json_load_file(test_path(T.dir, "manifest.json"), 0, NULL);
    assert_non_null(manifest);
    seal_from_manifest(&T.seals[0], manifest, "xinghe-official");  /* RSA */
    seal_from_manifest(&T.seals[1], manifest, "nanyue-official");  /* SM2 */
    seal_from_manifest(&T.seals[2], manifest, "pujiang-official"); /* ECDSA */
    json_decref(manifest);

    seal_store *st = NULL;
    assert_int_equal(seal_store_open(&st, T.data, false), 0);
    make_token_seal(&T.seals[3], sealsvc, st, "pujiang-official");
    for (int i = 0; i < N_SEALS; i++)
        cn_of(&T.seals[i], st);
    seal_store_close(st);

    /* What one thread alone makes of the corpus. */
    add_corpus(corpus, "pdf");
    add_corpus(corpus, "ofd");
    assert_true(T.n_files > 10);
    return 0;
}

#define FAILED(w, ...)                                                                             \
    do {                                                                                           \
        if (!(w)->failure[0])                                                                      \
            snprintf((w)->failure, sizeof(w)->failure, __VA_ARGS__);                               \
    } while (0)

static void stamp_and_check(worker *w, int round)
{
    const seal_use *u = &T.seals[w->index % N_SEALS];
    bool pdf = (w->index + round) % 2 == 0;
    char out[700], actor[32];
    snprintf(out, sizeof out, "%s/out-%d-%d.%s", T.dir, w->index, round, pdf ? "pdf" : "ofd");
    snprintf(actor, sizeof actor, "thread:%d", w->index);

    seal_store *st = NULL;
    if (seal_store_open(&st, T.data, false) < 0) {
        FAILED(w, "cannot open the store: %s", seal_error_last());
        return;
    }
    seal_place_request place = {
        .mode = SEAL_PLACE_AT, .x_mm = 50.0 + 12.0 * w->index, .y_mm = 60.0 + 40.0 * round};
    seal_stamp_request rq = {.input = pdf ? T.pdf : T.ofd,
                             .output = out,
                             .seal_id = u->id,
                             .pin = u->pin,
                             .actor = actor,
                             .places = &place,
                             .n_places = 1,
                             .level = SEAL_LEVEL_B_B};
    seal_stamp_result res = {0};
    int rc = seal_stamp(&res, st, &rq);
    seal_store_close(st);
    if (rc < 0)
        FAILED(w, "stamping %s with %s failed: %s", out, u->id, seal_error_last());
    else if (!res.signer || strcmp(res.signer, u->cn) != 0)
        FAILED(w, "%s was signed by %s, not %s", out, res.signer ? res.signer : "(none)", u->cn);
    seal_stamp_result_clear(&res);
    if (rc < 0)
        return;

    seal_verify_file_opts opts = {.offline = true};
    seal_report *rep = NULL;
    /* Each thread its own store handle (seal/store.h): the anchors and published CRLs. */
    rc = seal_store_open(&opts.store, T.data, false);
    if (rc == 0)
        rc = seal_verify_file(&rep, out, &opts);
    seal_store_close(opts.store);
    if (rc < 0) {
        FAILED(w, "verifying %s failed: %s", out, seal_error_last());
        return;
    }
    if (rep->verdict != SEAL_VERDICT_VALID || rep->n_sigs != 1)
        FAILED(w, "%s (%s): %s with %zu signatures, not VALID with one", out, u->id,
               seal_verdict_name(rep->verdict), rep->n_sigs);
    else if (!rep->sigs[0].signer_name || strcmp(rep->sigs[0].signer_name, u->cn) != 0)
        FAILED(w, "%s names signer %s, not %s", out,
               rep->sigs[0].signer_name ? rep->sigs[0].signer_name : "(none)", u->cn);
    seal_report_free(rep);
}

static void corpus_and_check(worker *w, int round)
{
    for (size_t k = (size_t)(w->index + round) % N_THREADS; k < T.n_files; k += N_THREADS) {
        outcome got;
        verify_into(&got, T.files[k]);
        const outcome *want = &T.expected[k];
        if (got.rc != want->rc || strcmp(got.message, want->message) != 0)
            FAILED(w, "%s: '%s' (%d) from a thread among others, '%s' (%d) alone", T.files[k],
                   got.message, got.rc, want->message, want->rc);
        else if (got.verdict != want->verdict || got.n_sigs != want->n_sigs ||
                 memcmp(got.sig_verdicts, want->sig_verdicts, sizeof got.sig_verdicts) != 0)
            FAILED(w, "%s: %s with %zu signatures from a thread among others, %s with %zu alone",
                   T.files[k], seal_verdict_name(got.verdict), got.n_sigs,
                   seal_verdict_name(want->verdict), want->n_sigs);
    }
}

static pthread_barrier_t start_line;

static void *work(void *arg)
{
    worker *w = arg;
    pthread_barrier_wait(&start_line);
    for (int round = 0; round < N_ROUNDS; round++) {
        stamp_and_check(w, round);
        corpus_and_check(w, round);
    }
    return NULL;
}

static void test_eight_threads(void **state)
{
    (void)state;
    worker workers[N_THREADS] = {0};
    pthread_t threads[N_THREADS];
    assert_int_equal(pthread_barrier_init(&start_line, NULL, N_THREADS), 0);
    for (int i = 0; i < N_THREADS; i++) {
        workers[i].index = i;
        assert_int_equal(pthread_create(&threads[i], NULL, work, &workers[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start_line);
    bool ok = true;
    for (int i = 0; i < N_THREADS; i++) {
        if (workers[i].failure[0]) {
            fprintf(stderr, "thread %d: %s\n", i, workers[i].failure);
            ok = false;
        }
    }
    assert_true(ok);

    /* The audit trail has every stamp, by the thread that asked, and its hash chain holds
     * although eight connections appended to it at once. */
    char cmd[1024], count[64] = "";
    snprintf(cmd, sizeof cmd,
             "sqlite3 '%s/sealsvc.db' \"SELECT count(*) FROM audit WHERE action = 'stamp' AND "
             "actor LIKE 'thread:%%'\"",
             T.data);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(count, sizeof count, p));
    pclose(p);
    assert_int_equal(atoi(count), N_THREADS * N_ROUNDS);
    assert_int_equal(
        sh("'%s' --data '%s' audit verify >'%s/audit.log' 2>&1", getenv("SEALSVC"), T.data, T.dir),
        0);
}

/* ---- the helper cap ---- */

static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static bool released;

static void *hold(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&hold_lock);
    while (!released)
        pthread_cond_wait(&hold_cond, &hold_lock);
    pthread_mutex_unlock(&hold_lock);
    return NULL;
}

static void test_helper_cap(void **state)
{
    (void)state;
    int cap = seal_thread_cap();
    assert_true(cap >= 1);
    pthread_t *helpers = calloc((size_t)cap + 1, sizeof *helpers);
    assert_non_null(helpers);
    released = false;
    for (int i = 0; i < cap; i++)
        assert_true(seal_thread_start_beside(&helpers[i], hold, NULL));
    /* Full: the caller is told to do the work itself. */
    assert_false(seal_thread_start_beside(&helpers[cap], hold, NULL));
    pthread_mutex_lock(&hold_lock);
    released = true;
    pthread_cond_broadcast(&hold_cond);
    pthread_mutex_unlock(&hold_lock);
    for (int i = 0; i < cap; i++)
        seal_thread_join(helpers[i]);
    /* Joined helpers give their places back. */
    assert_true(seal_thread_start_beside(&helpers[0], hold, NULL));
    seal_thread_join(helpers[0]);
    free(helpers);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helper_cap),
        cmocka_unit_test(test_eight_threads),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
