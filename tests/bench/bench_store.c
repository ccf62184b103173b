/* Benchmark (not a test): what the store costs a stamp, and how stamping scales with
 * processes, on SQLite and on PostgreSQL (issue 12, "Speed"). Run by hand, best through
 * tests/bench/bench_store.sh, which makes the platforms and a private PostgreSQL:
 *
 *   SEAL_BENCH_PIN=PIN bench_store [-n STAMPS] [-r ROUNDS] [-p 1,2,4,8] [-d DIR]
 *                                  DB_URL DATA_DIR SEAL_ID
 *
 * DB_URL is `sqlite:PATH` or `postgresql://...`, DATA_DIR the platform's data directory (its
 * key-encryption key), SEAL_ID a seal of that platform whose key is in the store, its PIN in
 * SEAL_BENCH_PIN (kept off the command line). Each worker process (forked) stamps STAMPS
 * copies of the 1 MB 50-page PDF bench_stamp uses (bench_docs.c), visible on page 1 at
 * 100,100 mm, PAdES B-B, writing a new file each time and removing it after (a service hands
 * it on). Two kinds of worker, with 1, 2, 4 and 8 processes at once:
 *
 *   store  opens the store itself (seal_store_open_db) and calls seal_stamp: the whole
 *          driver path with the store: the sweep of expired pending stamps, the seal read,
 *          the grant check, the policy (certificate validity, the CA database, the published
 *          status from the store's CRLs), the PIN unlock (the KEK read, the passphrase
 *          derived, the PKCS#8 key decrypted, the PIN count reset), and the audit record
 *          written in its transaction (the use counted, the chain's head read and linked).
 *   floor  the same stamp of the same document with the same key, certificate, chain,
 *          picture, seal data and placement, and no store at all. seal_stamp cannot run
 *          without a store, so the floor is the driver's own sequence below it, on the
 *          document face (seal/doc.h): sniff, open (hashing beside the parse), plan the
 *          place, prepare, sign, finish into a file beside the output (synced), rename. The
 *          signer is a software signer made once, before any timing, from the seal's key
 *          as the store decrypts it (as a signer from a key file would be: the same key).
 *          Everything listed under `store` above is what the floor leaves out.
 *
 * Each worker opens what it needs and stamps once untimed (libraries, caches, the
 * connection), then all of a run start together; a run's time is from the start to the
 * last worker's last stamp, and its rate is processes x STAMPS over that. Within each round
 * the kinds alternate for each process count (which goes first alternates by round), so
 * both meet the same machine; the median round counts. Goals: the store costs at most 20%
 * at 1 process (store time / floor time <= 1.2), and the rate keeps rising up to the core
 * count (sysconf(_SC_NPROCESSORS_ONLN), printed). */
#include "bench_docs.h"

#include <seal/doc.h>
#include <seal/error.h>
#include <seal/stamp.h>
#include <seal/store.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_COUNTS 8
#define MAX_ROUNDS 15

enum kind { STORE, FLOOR, KINDS };
static const char *const kind_names[KINDS] = {"store", "floor"};

typedef struct bench {
    const char *db_url, *data_dir, *seal_id, *pin;
    char dir[256], input[300];
    int stamps, rounds;
    int counts[MAX_COUNTS];
    int n_counts;
    /* The floor's kit, read once from the store before any worker starts. */
    seal_record seal;
    seal_signer *signer;
} bench;

/* Where each picture of the seal goes: page 1, centred at 100,100 mm (`--page 1 --at
 * 100,100`, as bench_cli.sh stamps). */
static const seal_place_request place = {
    .mode = SEAL_PLACE_AT, .pages = "1", .x_mm = 100, .y_mm = 100};

static int store_stamp(seal_store *st, const bench *b, const char *out)
{
    seal_stamp_result res = {0};
    seal_stamp_request rq = {.input = b->input,
                             .output = out,
                             .seal_id = b->seal_id,
                             .pin = b->pin,
                             .actor = "bench",
                             .places = &place,
                             .n_places = 1,
                             .level = SEAL_LEVEL_B_B};
    int rc = seal_stamp(&res, st, &rq);
    seal_stamp_result_clear(&res);
    return rc;
}

/* The driver's steps on the document face, in its order, without the store (driver.c:
 * seal_stamp from the sniff on, with the seal record and signer given). */
static int floor_stamp(const bench *b, const char *out, const char *staged)
{
    int rc = 0;
    const char *format = NULL;
    seal_doc *doc = NULL;
    seal_place_plan places = {0};
    seal_pending_stamp *pending = NULL;
    seal_buf sig = SEAL_BUF_INIT;
    seal_stamp_plan plan = {0};
    seal_place_doc view;
    char how[96];
    const seal_record *r = &b->seal;

    SEAL_TRY(seal_doc_sniff(b->input, &format));
    SEAL_TRY(seal_doc_check_plan(format, &plan));
    seal_doc_open_opts oopts = {.stamp_md = seal_signer_md(b->signer)};
    SEAL_TRY(seal_doc_open(&doc, b->input, &oopts));
    seal_doc_place_view(&view, doc);
    seal_place_request req = place;
    req.image_png = r->image_png.data;
    req.image_png_len = r->image_png.len;
    req.width_mm = r->width_mm;
    req.height_mm = r->height_mm;
    SEAL_TRY(seal_place_plan_make(&places, &req, &view));
    plan.placements = places.items;
    plan.n_placements = places.count;
    plan.image_png = r->image_png.data;
    plan.image_png_len = r->image_png.len;
    plan.width_mm = r->width_mm;
    plan.height_mm = r->height_mm;
    plan.seal_name = r->name;
    plan.esl = r->esl.data;
    plan.esl_len = r->esl.len;
    plan.cert = seal_signer_cert(b->signer);
    plan.chain = seal_signer_chain(b->signer);
    plan.max_signature_len = seal_signer_max_sig_len(b->signer);
    plan.output = staged;
    seal_doc_describe(seal_doc_format(doc), &plan, r->alg, "B-B", how, sizeof how);
    SEAL_TRY(seal_doc_prepare(doc, &plan, &pending));
    SEAL_TRY(seal_signer_sign_digest(b->signer, &sig, pending->digest, pending->digest_len));
    seal_stamp_finish_opts fopts = {0};
    seal_stamp_digests digests = {0};
    rc = seal_doc_finish(pending, sig.data, sig.len, &fopts, &digests);
    if (rc < 0) {
        seal_doc_abandon(pending);
        goto out;
    }
    SEAL_ENSURE(rename(staged, out) == 0, SEAL_EIO, "cannot rename %s: %s", staged,
                strerror(errno));
out:
    seal_buf_clear(&sig);
    seal_pending_stamp_free(pending);
    seal_place_plan_clear(&places);
    seal_doc_free(doc);
    return rc;
}

/* CPU seconds (user and system) of this process, every thread. */
static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Reads `len` bytes from the workers; on their end of file (a worker died: each closes
 * its end after writing, or exits), kills them all and stops the benchmark. */
static void read_all(int fd, void *buf, size_t len, const pid_t *pids, int procs, const char *what)
{
    for (size_t got = 0; got < len;) {
        ssize_t n = read(fd, (char *)buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            for (int i = 0; i < procs; i++)
                kill(pids[i], SIGKILL);
            for (int i = 0; i < procs; i++)
                waitpid(pids[i], NULL, 0);
            fprintf(stderr, "bench_store: a worker stopped before %s\n", what);
            exit(1);
        }
        got += (size_t)n;
    }
}

/* What a worker reports: when its last stamp ended, and the CPU time its stamps took. */
typedef struct report {
    double end, cpu;
} report;

/* One worker: ready (opened, one stamp made) -> waits for the start -> STAMPS stamps ->
 * reports. Exits 1 on any failure, saying why. */
static void worker(const bench *b, enum kind kind, int index, int ready_fd, int go_fd, int done_fd)
{
    char out[320], staged[340];
    seal_store *st = NULL;
    report rep = {0};
    snprintf(out, sizeof out, "%s/%s-%d.pdf", b->dir, kind_names[kind], index);
    snprintf(staged, sizeof staged, "%s.tmp-stamp-%d", out, (int)getpid());
    if (kind == STORE && seal_store_open_db(&st, b->db_url, b->data_dir, false) < 0)
        bench_die("opening the store");
    for (int i = -1; i < b->stamps; i++) {
        if (i == 0) {
            char c;
            if (write(ready_fd, "r", 1) != 1)
                _exit(1);
            close(ready_fd); /* so that the parent sees a worker that died before this */
            if (read(go_fd, &c, 1) != 0) /* the parent closes it: everyone starts */
                _exit(1);
            rep.cpu = cpu_seconds();
        }
        int rc = kind == STORE ? store_stamp(st, b, out) : floor_stamp(b, out, staged);
        if (rc < 0)
            bench_die(kind == STORE ? "seal_stamp" : "the floor's stamp");
        unlink(out);
    }
    rep.end = bench_now();
    rep.cpu = cpu_seconds() - rep.cpu;
    if (write(done_fd, &rep, sizeof rep) != sizeof rep)
        _exit(1);
    seal_store_close(st);
    _exit(0);
}

/* What one run measured. */
typedef struct result {
    double rate;       /* stamps per second, all the workers together */
    double cpu_per_ms; /* CPU milliseconds per stamp, all threads */
} result;

/* `procs` workers of `kind` at once. */
static result run(const bench *b, enum kind kind, int procs)
{
    int ready[2], go[2], done[2];
    pid_t pids[64];
    if (pipe(ready) != 0 || pipe(go) != 0 || pipe(done) != 0) {
        perror("bench_store: pipe");
        exit(1);
    }
    fflush(stdout);
    for (int i = 0; i < procs; i++) {
        pids[i] = fork();
        if (pids[i] < 0) {
            perror("bench_store: fork");
            exit(1);
        }
        if (pids[i] == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL); /* no worker outlives the benchmark */
            close(ready[0]);
            close(go[1]);
            close(done[0]);
            worker(b, kind, i, ready[1], go[0], done[1]);
        }
    }
    close(ready[1]);
    close(go[0]);
    close(done[1]);
    char c;
    for (int i = 0; i < procs; i++)
        read_all(ready[0], &c, 1, pids, procs, "it was ready");
    double start = bench_now(), last = start, cpu = 0;
    close(go[1]);
    for (int i = 0; i < procs; i++) {
        report rep;
        read_all(done[0], &rep, sizeof rep, pids, procs, "its last stamp");
        if (rep.end > last)
            last = rep.end;
        cpu += rep.cpu;
    }
    close(ready[0]);
    close(done[0]);
    for (int i = 0; i < procs; i++) {
        int status = 0;
        if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "bench_store: a %s worker failed\n", kind_names[kind]);
            exit(1);
        }
    }
    return (result){.rate = procs * b->stamps / (last - start),
                    .cpu_per_ms = cpu * 1e3 / (procs * b->stamps)};
}

static double median(const double *v, int n)
{
    double s[MAX_ROUNDS];
    for (int i = 0; i < n; i++) {
        int j = i;
        for (; j > 0 && s[j - 1] > v[i]; j--)
            s[j] = s[j - 1];
        s[j] = v[i];
    }
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void usage(void)
{
    fprintf(stderr, "usage: SEAL_BENCH_PIN=PIN bench_store [-n STAMPS] [-r ROUNDS] [-p 1,2,4,8] "
                    "[-d DIR] DB_URL DATA_DIR SEAL_ID\n");
    exit(64);
}

static void parse_counts(bench *b, const char *list)
{
    char *copy = strdup(list), *save = NULL;
    b->n_counts = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int n = atoi(t);
        if (n < 1 || n > 64 || b->n_counts == MAX_COUNTS)
            usage();
        b->counts[b->n_counts++] = n;
    }
    free(copy);
    if (b->n_counts == 0)
        usage();
}

/* The floor's kit: the seal's record and its key as a software signer. One stamp of each
 * kind, checked, before anything is timed. */
static void prepare(bench *b)
{
    seal_store *st = NULL;
    char out[320], staged[340];
    if (seal_store_open_db(&st, b->db_url, b->data_dir, false) < 0)
        bench_die("opening the store");
    if (seal_store_unlock_seal(st, b->seal_id, b->pin, &b->signer, &b->seal) < 0)
        bench_die("unlocking the seal");
    snprintf(out, sizeof out, "%s/check.pdf", b->dir);
    snprintf(staged, sizeof staged, "%s.tmp-stamp-%d", out, (int)getpid());
    if (store_stamp(st, b, out) < 0)
        bench_die("seal_stamp");
    unlink(out);
    if (floor_stamp(b, out, staged) < 0)
        bench_die("the floor's stamp");
    unlink(out);
    /* No connection crosses a fork: each worker opens its own. */
    seal_store_close(st);
}

int main(int argc, char **argv)
{
    bench b = {.stamps = 50, .rounds = 3, .counts = {1, 2, 4, 8}, .n_counts = 4};
    const char *dir = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "n:r:p:d:")) != -1) {
        if (opt == 'n')
            b.stamps = atoi(optarg);
        else if (opt == 'r')
            b.rounds = atoi(optarg);
        else if (opt == 'p')
            parse_counts(&b, optarg);
        else if (opt == 'd')
            dir = optarg;
        else
            usage();
    }
    if (argc - optind != 3 || b.stamps < 1 || b.rounds < 1 || b.rounds > MAX_ROUNDS)
        usage();
    b.db_url = argv[optind];
    b.data_dir = argv[optind + 1];
    b.seal_id = argv[optind + 2];
    b.pin = getenv("SEAL_BENCH_PIN");
    if (!b.pin || !*b.pin) {
        fprintf(stderr, "bench_store: set SEAL_BENCH_PIN to the seal's PIN\n");
        return 64;
    }
    if (dir) {
        snprintf(b.dir, sizeof b.dir, "%s", dir);
    } else {
        snprintf(b.dir, sizeof b.dir, "/tmp/bench_store.XXXXXX");
        if (!mkdtemp(b.dir)) {
            perror("bench_store: mkdtemp");
            return 1;
        }
    }
    snprintf(b.input, sizeof b.input, "%s/50pages.pdf", b.dir);
    make_pdf(b.input, 50, 20 * 1024);
    prepare(&b);

    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    double load[3] = {0};
    getloadavg(load, 3);
    const char *engine = strncmp(b.db_url, "postgres", 8) == 0 ? "PostgreSQL" : "SQLite";
    printf("%s (%s), seal %s (%s), 1 MB PDF (%.2f MiB, 50 pages), PAdES B-B, visible\n", engine,
           b.db_url, b.seal_id, seal_key_alg_name(b.seal.alg), bench_file_mib(b.input));
    printf("  %ld cores online (sysconf); load average %.2f at the start; %d rounds; each "
           "process stamps %d documents\n",
           cores, load[0], b.rounds, b.stamps);

    result res[KINDS][MAX_COUNTS][MAX_ROUNDS];
    for (int r = 0; r < b.rounds; r++) {
        printf("  round %d:", r + 1);
        for (int c = 0; c < b.n_counts; c++) {
            int p = b.counts[c];
            /* Alternating which kind goes first, round by round, cancels any order effect. */
            enum kind first = r % 2 ? FLOOR : STORE;
            enum kind second = first == STORE ? FLOOR : STORE;
            res[first][c][r] = run(&b, first, p);
            res[second][c][r] = run(&b, second, p);
            printf("  %dp %.0f/%.0f (%.2fx)", p, res[STORE][c][r].rate, res[FLOOR][c][r].rate,
                   res[FLOOR][c][r].rate / res[STORE][c][r].rate);
            fflush(stdout);
        }
        printf("\n");
    }
    printf("  (each: processes, store/floor stamps per second, store time / floor time; CPU "
           "below: the stamping processes' own, every thread, a database server's not "
           "counted)\n");

    /* Medians over the rounds: the rates, the ratio of each round's pair, CPU per stamp. */
    double rate[KINDS][MAX_COUNTS], cpu[KINDS][MAX_COUNTS], ratio[MAX_COUNTS];
    printf("  processes  store/s  floor/s  store/floor time (rounds)  CPU ms/stamp store, "
           "floor  store/floor CPU\n");
    for (int c = 0; c < b.n_counts; c++) {
        double v[MAX_ROUNDS], lo = 1e9, hi = 0;
        for (int k = 0; k < KINDS; k++) {
            for (int r = 0; r < b.rounds; r++)
                v[r] = res[k][c][r].rate;
            rate[k][c] = median(v, b.rounds);
            for (int r = 0; r < b.rounds; r++)
                v[r] = res[k][c][r].cpu_per_ms;
            cpu[k][c] = median(v, b.rounds);
        }
        for (int r = 0; r < b.rounds; r++) {
            v[r] = res[FLOOR][c][r].rate / res[STORE][c][r].rate;
            lo = v[r] < lo ? v[r] : lo;
            hi = v[r] > hi ? v[r] : hi;
        }
        ratio[c] = median(v, b.rounds);
        printf("  %9d  %7.1f  %7.1f  %7.2fx (%.2f-%.2f)        %6.2f, %6.2f         %.2fx\n",
               b.counts[c], rate[STORE][c], rate[FLOOR][c], ratio[c], lo, hi, cpu[STORE][c],
               cpu[FLOOR][c], cpu[STORE][c] / cpu[FLOOR][c]);
    }
    for (int k = 0; k < KINDS; k++) {
        printf("  scaling, %s:", kind_names[k]);
        for (int c = 1; c < b.n_counts; c++)
            printf(" %d->%d %.2fx%s", b.counts[0], b.counts[c], rate[k][c] / rate[k][0],
                   c + 1 < b.n_counts ? "," : "");
        printf("\n");
    }

    /* The goals. */
    if (b.counts[0] == 1)
        printf("  goal: the store costs at most 20%% at 1 process: %.2fx the floor's time "
               "(median round): %s\n",
               ratio[0], ratio[0] <= 1.2 ? "met" : "NOT met");
    bool rising = true;
    int compared = 0;
    for (int c = 1; c < b.n_counts && b.counts[c] <= cores; c++, compared++)
        rising = rising && rate[STORE][c] > rate[STORE][c - 1];
    if (compared > 0)
        printf("  goal: the rate keeps rising up to the core count (%ld cores): %s (store, "
               "%d->%d processes: %.1f -> %.1f/s)\n",
               cores, rising ? "met" : "NOT met", b.counts[0], b.counts[compared], rate[STORE][0],
               rate[STORE][compared]);
    else
        printf("  goal: the rate keeps rising up to the core count (%ld cores): not measured "
               "(give -p counts up to %ld)\n",
               cores, cores);

    unlink(b.input);
    if (!dir)
        rmdir(b.dir);
    seal_signer_free(b.signer);
    seal_record_clear(&b.seal);
    return 0;
}
