/* Benchmark (not a test): sealsvc's PDF stamping side by side with Poppler's
 * `pdfsig -add-signature`, on the same generated documents with the same RSA-2048 key and
 * certificate (imported into an NSS database made here with certutil and pk12util).
 *
 *   bench_pdfsig [DIR]   (DIR: where to write the documents and the NSS database)
 *
 * Both make one invisible PAdES-style signature per document. pdfsig is a program, so each
 * of its documents pays its start-up (loading NSS and the database); that cost is measured
 * on its own (pdfsig -list-nicks) and printed, so the ratio can be read with and without
 * it. Targets (issue #3): at least 3x pdfsig's documents/s on 1 MB, never slower on large
 * documents. */
#include "bench_docs.h"

#include <seal/crypto.h>
#include <seal/error.h>
#include <seal/pdf.h>
#include <seal/pki.h>

#include <fcntl.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Runs argv quietly; dies when it fails. */
static void run(char *const argv[])
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int status = 0;
    if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0 ||
        waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "bench_pdfsig: '%s %s' failed\n", argv[0], argv[1]);
        exit(1);
    }
    posix_spawn_file_actions_destroy(&fa);
}

/* The NSS database pdfsig signs with: the same key and certificate as ours. */
static void make_nssdb(const char *dir, EVP_PKEY *key, X509 *cert, X509 *ca)
{
    char db[300], p12[300], ca_pem[300];
    snprintf(db, sizeof db, "sql:%s/nss", dir);
    snprintf(p12, sizeof p12, "%s/bench.p12", dir);
    snprintf(ca_pem, sizeof ca_pem, "%s/ca.pem", dir);
    char mkdir_path[300];
    snprintf(mkdir_path, sizeof mkdir_path, "%s/nss", dir);
    mkdir(mkdir_path, 0700);
    PKCS12 *bundle = PKCS12_create("bench", "bench", key, cert, NULL, 0, 0, 0, 0, 0);
    FILE *f = fopen(p12, "wb");
    if (!bundle || !f || i2d_PKCS12_fp(f, bundle) != 1)
        bench_die("writing the PKCS#12 file");
    fclose(f);
    PKCS12_free(bundle);
    f = fopen(ca_pem, "w");
    if (!f || PEM_write_X509(f, ca) != 1)
        bench_die("writing the CA certificate");
    fclose(f);
    run((char *[]){"certutil", "-N", "-d", db, "--empty-password", NULL});
    run((char *[]){"certutil", "-A", "-d", db, "-n", "bench-root", "-t", "CT,C,C", "-i", ca_pem,
                   NULL});
    run((char *[]){"pk12util", "-i", p12, "-d", db, "-W", "bench", NULL});
}

typedef struct result {
    double ours_s, pdfsig_s;
} result;

static result compare(const char *doc, const char *out, const char *db, int runs,
                      const seal_signer *signer, const seal_pdf_stamp_opts *opts)
{
    result r = {0, 0};
    char *pdfsig[] = {"pdfsig",    "-nssdir",   (char *)db, "-add-signature", "-nick", "bench",
                      (char *)doc, (char *)out, NULL};
    /* One of each first: the page cache and the libraries are warm for both. */
    if (seal_pdf_stamp(doc, out, signer, opts) < 0)
        bench_die("stamp");
    unlink(out);
    run(pdfsig);
    for (int i = 0; i < runs; i++) {
        unlink(out);
        double t0 = bench_now();
        if (seal_pdf_stamp(doc, out, signer, opts) < 0)
            bench_die("stamp");
        r.ours_s += bench_now() - t0;
        unlink(out);
        t0 = bench_now();
        run(pdfsig);
        r.pdfsig_s += bench_now() - t0;
    }
    r.ours_s /= runs;
    r.pdfsig_s /= runs;
    return r;
}

static void print(const char *title, result r, double startup)
{
    printf("%s\n", title);
    printf("  sealsvc  %8.1f documents/s (%.1f ms each)\n", 1 / r.ours_s, r.ours_s * 1e3);
    printf("  pdfsig   %8.1f documents/s (%.1f ms each, of which %.1f ms start-up)\n",
           1 / r.pdfsig_s, r.pdfsig_s * 1e3, startup * 1e3);
    printf("  ratio    %8.2fx pdfsig's documents/s (%.2fx without its start-up)\n",
           r.pdfsig_s / r.ours_s, (r.pdfsig_s - startup) / r.ours_s);
}

int main(int argc, char **argv)
{
    char dir[256];
    if (argc > 1) {
        snprintf(dir, sizeof dir, "%s", argv[1]);
    } else {
        snprintf(dir, sizeof dir, "/tmp/sealbench.XXXXXX");
        if (!mkdtemp(dir))
            return 1;
    }
    char small[300], big[300], out[300], db[300];
    snprintf(small, sizeof small, "%s/50pages.pdf", dir);
    snprintf(big, sizeof big, "%s/100mb.pdf", dir);
    snprintf(out, sizeof out, "%s/out.pdf", dir);
    snprintf(db, sizeof db, "sql:%s/nss", dir);
    make_pdf(small, 50, 20 * 1024);
    make_pdf(big, 100, 1024 * 1024);

    EVP_PKEY *key = NULL, *ca_key = NULL;
    X509 *cert = NULL, *ca = NULL;
    seal_signer *signer = NULL;
    seal_cert_spec spec = {.role = SEAL_CERT_SIGNER,
                           .country = "CN",
                           .organization = "Benchmark Ltd",
                           .common_name = "Benchmark Ltd",
                           .not_before = time(NULL) - 60,
                           .not_after = time(NULL) + 86400};
    seal_cert_spec ca_spec = spec;
    ca_spec.role = SEAL_CERT_ROOT_CA;
    ca_spec.common_name = "Benchmark Root";
    if (seal_key_generate(&key, SEAL_ALG_RSA, 2048) < 0 ||
        seal_key_generate(&ca_key, SEAL_ALG_RSA, 2048) < 0)
        bench_die("key generation");
    if (seal_cert_issue(&ca, &ca_spec, ca_key, NULL, NULL) < 0 ||
        seal_cert_issue(&cert, &spec, key, ca, ca_key) < 0)
        bench_die("certificate");
    if (seal_signer_new_software(&signer, key, cert, NULL) < 0)
        bench_die("signer");
    make_nssdb(dir, key, cert, ca);

    /* pdfsig's fixed cost per document: starting, loading NSS and the database. */
    char *list[] = {"pdfsig", "-nssdir", db, "-list-nicks", NULL};
    run(list);
    double startup = 0;
    for (int i = 0; i < 20; i++) {
        double t0 = bench_now();
        run(list);
        startup += bench_now() - t0;
    }
    startup /= 20;

    seal_pdf_stamp_opts opts = {.page = 1, .invisible = true, .seal_name = "Benchmark seal"};
    printf("invisible signatures, RSA-2048 with SHA-256, same key and certificate for both\n");
    print("1 MB PDF (50 pages), 50 documents:", compare(small, out, db, 50, signer, &opts),
          startup);
    print("100 MB PDF (100 pages), 5 documents:", compare(big, out, db, 5, signer, &opts), startup);

    unlink(small);
    unlink(big);
    unlink(out);
    seal_signer_free(signer);
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return 0;
}
