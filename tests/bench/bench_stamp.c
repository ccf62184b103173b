/* Benchmark (not a test): stamping speed and memory against a floor measured in the same
 * run. The floor for one document is what any signer must do at least: one SHA-256 pass
 * over the file plus one RSA-2048 signature, both with OpenSSL.
 *
 *   bench_stamp [DIR]   (DIR: where to write the generated PDFs; default a temp dir)
 *
 * Prints documents per second for a 50-page ~1 MB PDF stamped 200 times, and time and peak
 * memory above the baseline for a 100 MB PDF stamped once. Targets (issue #2): within 3x
 * of the floor for 1 MB, 1.5x for 100 MB, peak memory under 64 MiB above baseline. */
#include "bench_docs.h"

#include <seal/crypto.h>
#include <seal/error.h>
#include <seal/image.h>
#include <seal/pdf.h>
#include <seal/pki.h>

#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* The floor: SHA-256 over the whole file, read in 1 MiB chunks, plus one RSA signature. */
static double floor_once(const char *path, EVP_PKEY *key)
{
    double t0 = now();
    int fd = open(path, O_RDONLY);
    static unsigned char chunk[1 << 20];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        EVP_DigestUpdate(md, chunk, (size_t)n);
    unsigned char digest[32];
    unsigned len;
    EVP_DigestFinal_ex(md, digest, &len);
    close(fd);
    EVP_MD_CTX_reset(md);
    unsigned char sig[512];
    size_t sig_len = sizeof sig;
    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key);
    EVP_DigestSign(md, sig, &sig_len, digest, len);
    EVP_MD_CTX_free(md);
    return now() - t0;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_stamp: %s failed: %s\n", what, seal_error_last());
    exit(1);
}

static double file_mib(const char *path)
{
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    double mib = (double)ftell(f) / (1 << 20);
    fclose(f);
    return mib;
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
    char small[300], big[300], out[300];
    snprintf(small, sizeof small, "%s/50pages.pdf", dir);
    snprintf(big, sizeof big, "%s/100mb.pdf", dir);
    snprintf(out, sizeof out, "%s/out.pdf", dir);
    make_pdf(small, 50, 20 * 1024);
    make_pdf(big, 100, 1024 * 1024);

    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    seal_signer *signer = NULL;
    seal_cert_spec spec = {.role = SEAL_CERT_SIGNER,
                           .country = "CN",
                           .organization = "基准测试有限公司",
                           .common_name = "基准测试有限公司",
                           .not_before = time(NULL) - 60,
                           .not_after = time(NULL) + 86400};
    EVP_PKEY *ca_key = NULL;
    X509 *ca = NULL;
    seal_cert_spec ca_spec = spec;
    ca_spec.role = SEAL_CERT_ROOT_CA;
    ca_spec.common_name = "Benchmark Root";
    if (seal_key_generate(&key, SEAL_ALG_RSA, 2048) < 0 ||
        seal_key_generate(&ca_key, SEAL_ALG_RSA, 2048) < 0)
        die("key generation");
    if (seal_cert_issue(&ca, &ca_spec, ca_key, NULL, NULL) < 0 ||
        seal_cert_issue(&cert, &spec, key, ca, ca_key) < 0)
        die("certificate");
    if (seal_signer_new_software(&signer, key, cert, NULL) < 0)
        die("signer");
    seal_buf png = SEAL_BUF_INIT;
    seal_drawing drawing = {.shape = SEAL_SHAPE_ROUND, .name = "基准测试有限公司"};
    if (seal_image_draw(&png, &drawing) < 0)
        die("seal image");
    seal_pdf_stamp_opts opts = {.page = 1,
                                .x_mm = 100,
                                .y_mm = 100,
                                .image_png = png.data,
                                .image_png_len = png.len,
                                .width_mm = 42,
                                .height_mm = 42,
                                .seal_name = "基准测试有限公司公章"};

    /* 1 MB: warm up once, then 200 stamps and 200 floors. */
    if (seal_pdf_stamp(small, out, signer, &opts) < 0)
        die("stamp");
    const int runs = 200;
    double t0 = now();
    for (int i = 0; i < runs; i++)
        if (seal_pdf_stamp(small, out, signer, &opts) < 0)
            die("stamp");
    double stamp_s = (now() - t0) / runs;
    double floor_s = 0;
    for (int i = 0; i < runs; i++)
        floor_s += floor_once(small, key);
    floor_s /= runs;
    printf("1 MB PDF (%.2f MiB, 50 pages), %d stamps, RSA-2048:\n", file_mib(small), runs);
    printf("  sealsvc  %8.1f documents/s (%.2f ms each)\n", 1 / stamp_s, stamp_s * 1e3);
    printf("  floor    %8.1f documents/s (%.2f ms: SHA-256 of the file + one RSA-2048 "
           "signature)\n",
           1 / floor_s, floor_s * 1e3);
    printf("  ratio    %8.2fx the floor (target <= 3x)\n", stamp_s / floor_s);

    /* 100 MB, once, in a child so that its peak memory is its own. */
    floor_once(big, key); /* warm the page cache for both */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        long base = maxrss_kib();
        double s0 = now();
        if (seal_pdf_stamp(big, out, signer, &opts) < 0)
            die("stamp (100 MB)");
        double s = now() - s0;
        long peak = maxrss_kib();
        double f = floor_once(big, key);
        printf("100 MB PDF (%.1f MiB, 100 pages), one stamp:\n", file_mib(big));
        printf("  sealsvc  %8.3f s\n  floor    %8.3f s\n  ratio    %8.2fx the floor "
               "(target <= 1.5x)\n",
               s, f, s / f);
        printf("  peak memory %.1f MiB above the process baseline (target < 64 MiB)\n",
               (double)(peak - base) / 1024);
        fflush(stdout);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    unlink(small);
    unlink(big);
    unlink(out);
    if (argc <= 1)
        rmdir(dir);
    seal_buf_clear(&png);
    seal_signer_free(signer);
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
