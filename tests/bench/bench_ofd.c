/* Benchmark (not a test): OFD stamping speed and memory against a floor measured in the
 * same run. The floor for one document is what any OFD sealer must do at least: one SM3
 * pass over the package bytes plus one SM2 signature, both with OpenSSL.
 *
 *   bench_ofd [DIR]   (DIR: where to write the generated OFD; default a temp dir)
 *
 * Generates a 100-page OFD (text on every page, a font and images as stored entries),
 * seals it 100 times with an SM2 seal (Type=Seal, one StampAnnot on page 1), and prints
 * documents per second, the floor, their ratio (target: within 3x), the same against
 * the least the format itself requires (SM3 over every entry's uncompressed bytes), CPU
 * time, and the peak memory above the process baseline. */
#include "bench_docs.h"

#include <seal/crypto.h>
#include <seal/error.h>
#include <seal/image.h>
#include <seal/ofd.h>
#include <seal/pki.h>
#include <seal/ses.h>

#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#define PAGES 100
#define RUNS  100

/* CPU time of the process (user and system): what the stamper itself costs, whatever
 * else the machine is doing. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* A field of /proc/self/status in KiB ("VmRSS", "VmHWM"). */
static long status_kib(const char *field)
{
    char line[256];
    long kib = -1;
    size_t n = strlen(field);
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0 && line[n] == ':')
            kib = strtol(line + n + 1, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

/* Resets the peak resident size (VmHWM) to the current one, so that the next peak is the
 * stamps' own and not the set-up's (Linux: clear_refs 5). */
static void reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

/* Adds an entry whose bytes libzip frees after writing. */
static void add(zip_t *z, const char *name, void *data, size_t len, zip_int32_t method)
{
    zip_source_t *src = zip_source_buffer(z, data, len, 1);
    zip_int64_t idx = src ? zip_file_add(z, name, src, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0 || zip_set_file_compression(z, (zip_uint64_t)idx, method, 0) < 0) {
        fprintf(stderr, "bench_ofd: cannot add %s: %s\n", name, zip_strerror(z));
        exit(1);
    }
}

static void add_text(zip_t *z, const char *name, char *text)
{
    add(z, name, text, strlen(text), ZIP_CM_DEFLATE);
}

static void *noise(size_t len)
{
    unsigned char *p = malloc(len);
    RAND_bytes(p, (int)len);
    return p;
}

/* 100 A4 pages of 40 text lines each; a 256 KiB font and ten 64 KiB images, stored. */
static void make_ofd(const char *path)
{
    int err = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    if (!z) {
        fprintf(stderr, "bench_ofd: cannot create %s\n", path);
        exit(1);
    }
    const char *ns = "xmlns:ofd=\"http://www.ofdspec.org/2016\"";
    char *text = NULL;
    if (asprintf(&text,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:OFD %s Version=\"1.0\" "
                 "DocType=\"OFD\"><ofd:DocBody><ofd:DocInfo><ofd:DocID>bench</ofd:DocID>"
                 "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>"
                 "</ofd:OFD>",
                 ns) < 0)
        exit(1);
    add_text(z, "OFD.xml", text);

    size_t cap = 64 * 1024 + PAGES * 128;
    char *doc = malloc(cap);
    int n = snprintf(doc, cap,
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Document %s>"
                     "<ofd:CommonData><ofd:MaxUnitID>%d</ofd:MaxUnitID><ofd:PageArea>"
                     "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
                     "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData><ofd:Pages>",
                     ns, 100 * PAGES);
    for (int i = 0; i < PAGES; i++)
        n += snprintf(doc + n, cap - (size_t)n,
                      "<ofd:Page ID=\"%d\" BaseLoc=\"Pages/Page_%d/Content.xml\"/>", 100 + i, i);
    snprintf(doc + n, cap - (size_t)n, "</ofd:Pages></ofd:Document>");
    add_text(z, "Doc_0/Document.xml", doc);

    char *res = NULL;
    if (asprintf(&res,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Res %s BaseLoc=\"Res\">"
                 "<ofd:Fonts><ofd:Font ID=\"1\" FontName=\"SimSun\" FamilyName=\"SimSun\">"
                 "<ofd:FontFile>font.ttf</ofd:FontFile></ofd:Font></ofd:Fonts></ofd:Res>",
                 ns) < 0)
        exit(1);
    add_text(z, "Doc_0/PublicRes.xml", res);
    add(z, "Doc_0/Res/font.ttf", noise(256 * 1024), 256 * 1024, ZIP_CM_STORE);
    for (int i = 0; i < 10; i++) {
        char name[64];
        snprintf(name, sizeof name, "Doc_0/Res/image_%d.png", i);
        add(z, name, noise(64 * 1024), 64 * 1024, ZIP_CM_STORE);
    }

    for (int p = 0; p < PAGES; p++) {
        size_t page_cap = 16 * 1024;
        char *page = malloc(page_cap);
        int m = snprintf(page, page_cap,
                         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Page %s><ofd:Content>"
                         "<ofd:Layer ID=\"%d\">",
                         ns, 100 * p + 1);
        for (int line = 0; line < 40; line++)
            m += snprintf(page + m, page_cap - (size_t)m,
                          "<ofd:TextObject ID=\"%d\" Boundary=\"20 %d 170 6\" Font=\"1\" "
                          "Size=\"4\"><ofd:TextCode X=\"0\" Y=\"4\">第%d页第%d行 本合同一式两份，"
                          "甲乙双方各执一份，具有同等法律效力。</ofd:TextCode></ofd:TextObject>",
                          100 * p + 2 + line, 20 + 6 * line, p + 1, line + 1);
        snprintf(page + m, page_cap - (size_t)m, "</ofd:Layer></ofd:Content></ofd:Page>");
        char name[64];
        snprintf(name, sizeof name, "Doc_0/Pages/Page_%d/Content.xml", p);
        add_text(z, name, page);
    }
    if (zip_close(z) < 0) {
        fprintf(stderr, "bench_ofd: cannot write %s\n", path);
        exit(1);
    }
}

/* The floor: SM3 over the package bytes, read in 1 MiB chunks, plus one SM2 signature of
 * the digest with the user ID of GB/T 32918 (what a sealer signs is about that size). */
static double floor_once(const char *path, EVP_PKEY *key)
{
    double t0 = bench_now();
    int fd = open(path, O_RDONLY);
    static unsigned char chunk[1 << 20];
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sm3(), NULL);
    ssize_t n;
    while ((n = read(fd, chunk, sizeof chunk)) > 0)
        EVP_DigestUpdate(md, chunk, (size_t)n);
    unsigned char digest[32];
    unsigned len = 0;
    EVP_DigestFinal_ex(md, digest, &len);
    close(fd);
    EVP_MD_CTX_reset(md);
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key, NULL);
    EVP_PKEY_CTX_set1_id(pctx, SEAL_SM2_USER_ID, (int)strlen(SEAL_SM2_USER_ID));
    EVP_MD_CTX_set_pkey_ctx(md, pctx);
    unsigned char sig[128];
    size_t sig_len = sizeof sig;
    if (EVP_DigestSignInit(md, NULL, EVP_sm3(), NULL, key) <= 0 ||
        EVP_DigestSign(md, sig, &sig_len, digest, len) <= 0) {
        fprintf(stderr, "bench_ofd: the floor's SM2 signature failed\n");
        exit(1);
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_CTX_free(pctx);
    return bench_now() - t0;
}

/* What the format itself asks of any OFD sealer (OFD-SEAL.md 4: a reference's digest is
 * over a file's uncompressed bytes): every entry inflated by libzip and hashed with SM3,
 * plus one SM2 signature. Printed beside the floor to show how much of the ratio the
 * format accounts for. */
static double format_floor_once(const char *path, EVP_PKEY *key, double *uncompressed_mib)
{
    double t0 = bench_now();
    int err = 0;
    static unsigned char chunk[1 << 16];
    zip_t *z = zip_open(path, ZIP_RDONLY, &err);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    unsigned char digest[32];
    unsigned len = 0;
    uint64_t total = 0;
    for (zip_int64_t i = 0; z && i < zip_get_num_entries(z, 0); i++) {
        zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)i, 0);
        EVP_DigestInit_ex(md, EVP_sm3(), NULL);
        zip_int64_t n;
        while (f && (n = zip_fread(f, chunk, sizeof chunk)) > 0) {
            EVP_DigestUpdate(md, chunk, (size_t)n);
            total += (uint64_t)n;
        }
        EVP_DigestFinal_ex(md, digest, &len);
        if (f)
            zip_fclose(f);
    }
    if (z)
        zip_discard(z);
    EVP_MD_CTX_reset(md);
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(key, NULL);
    EVP_PKEY_CTX_set1_id(pctx, SEAL_SM2_USER_ID, (int)strlen(SEAL_SM2_USER_ID));
    EVP_MD_CTX_set_pkey_ctx(md, pctx);
    unsigned char sig[128];
    size_t sig_len = sizeof sig;
    if (EVP_DigestSignInit(md, NULL, EVP_sm3(), NULL, key) <= 0 ||
        EVP_DigestSign(md, sig, &sig_len, digest, len) <= 0) {
        fprintf(stderr, "bench_ofd: the format floor's SM2 signature failed\n");
        exit(1);
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_CTX_free(pctx);
    *uncompressed_mib = (double)total / (1 << 20);
    return bench_now() - t0;
}

int main(int argc, char **argv)
{
    /* As sealsvc's main does: the zone named once, not looked up at every mktime. */
    setenv("TZ", ":/etc/localtime", 0);
    char dir[256];
    if (argc > 1) {
        snprintf(dir, sizeof dir, "%s", argv[1]);
    } else {
        snprintf(dir, sizeof dir, "/tmp/sealbench.XXXXXX");
        if (!mkdtemp(dir))
            return 1;
    }
    char in[300], out[300];
    snprintf(in, sizeof in, "%s/100pages.ofd", dir);
    snprintf(out, sizeof out, "%s/sealed.ofd", dir);
    make_ofd(in);

    /* An SM2 institution key and certificate, a seal maker, and a v4 seal binding them. */
    time_t t = time(NULL);
    seal_cert_spec spec = {.role = SEAL_CERT_ROOT_CA,
                           .country = "CN",
                           .organization = "基准测试有限公司",
                           .common_name = "Benchmark Root",
                           .not_before = t - 60,
                           .not_after = t + 86400};
    EVP_PKEY *ca_key = NULL, *maker_key = NULL, *key = NULL;
    X509 *ca = NULL, *maker = NULL, *cert = NULL;
    seal_signer *maker_signer = NULL, *signer = NULL;
    if (seal_key_generate(&ca_key, SEAL_ALG_RSA, 2048) < 0 ||
        seal_key_generate(&maker_key, SEAL_ALG_SM2, 0) < 0 ||
        seal_key_generate(&key, SEAL_ALG_SM2, 0) < 0)
        bench_die("key generation");
    if (seal_cert_issue(&ca, &spec, ca_key, NULL, NULL) < 0)
        bench_die("root certificate");
    spec.role = SEAL_CERT_SEAL_MAKER;
    spec.common_name = "制章者";
    if (seal_cert_issue(&maker, &spec, maker_key, ca, ca_key) < 0)
        bench_die("maker certificate");
    spec.role = SEAL_CERT_SIGNER;
    spec.common_name = "基准测试有限公司";
    if (seal_cert_issue(&cert, &spec, key, ca, ca_key) < 0)
        bench_die("certificate");
    if (seal_signer_new_software(&maker_signer, maker_key, maker, NULL) < 0 ||
        seal_signer_new_software(&signer, key, cert, NULL) < 0)
        bench_die("signer");
    seal_buf png = SEAL_BUF_INIT, esl = SEAL_BUF_INIT;
    seal_drawing drawing = {.shape = SEAL_SHAPE_ROUND, .name = "基准测试有限公司"};
    if (seal_image_draw(&png, &drawing) < 0)
        bench_die("seal image");
    STACK_OF(X509) *bound = sk_X509_new_null();
    sk_X509_push(bound, cert);
    seal_eseal_spec seal_spec = {.es_id = "1101080000001",
                                 .vid = "sealsvc",
                                 .type = SEAL_SES_TYPE_OFFICIAL,
                                 .name = "基准测试有限公司",
                                 .certs = bound,
                                 .picture_type = "PNG",
                                 .picture = png.data,
                                 .picture_len = png.len,
                                 .width_mm = 42,
                                 .height_mm = 42,
                                 .created = t - 60,
                                 .valid_start = t - 60,
                                 .valid_end = t + 86400};
    if (seal_eseal_make(&esl, &seal_spec, maker_signer) < 0)
        bench_die("seal");
    sk_X509_free(bound);

    seal_placement place = {1, 150, 240, 42, 42, -1};
    seal_ofd_stamp_opts opts = {.placements = &place, .n_placements = 1};

    /* Warm up once (page cache, lazy initialisation), then RUNS rounds of one stamp, one
     * floor and one format floor, interleaved so that all three meet the same machine: on
     * a shared virtual machine the speed of the CPU and the disk drifts from one second to
     * the next, and blocks of one kind each would measure the drift. */
    long base = status_kib("VmRSS");
    reset_peak();
    if (seal_ofd_stamp(in, out, signer, esl.data, esl.len, &opts) < 0)
        bench_die("stamp");
    /* Each stamp writes a new file, as the service does; they are removed afterwards. */
    static char outs[RUNS][320];
    for (int i = 0; i < RUNS; i++)
        snprintf(outs[i], sizeof outs[i], "%s/sealed-%d.ofd", dir, i);
    double stamp_s = 0, stamp_cpu = 0, floor_s = 0, floor_cpu = 0, format_s = 0;
    double uncompressed_mib = 0;
    for (int i = 0; i < RUNS; i++) {
        double t0 = bench_now(), c0 = cpu_s();
        if (seal_ofd_stamp(in, outs[i], signer, esl.data, esl.len, &opts) < 0)
            bench_die("stamp");
        stamp_s += bench_now() - t0;
        stamp_cpu += cpu_s() - c0;
        unlink(outs[i]);
        c0 = cpu_s();
        floor_s += floor_once(in, key);
        floor_cpu += cpu_s() - c0;
        format_s += format_floor_once(in, key, &uncompressed_mib);
    }
    stamp_s /= RUNS;
    stamp_cpu /= RUNS;
    floor_s /= RUNS;
    floor_cpu /= RUNS;
    format_s /= RUNS;
    long peak = status_kib("VmHWM");

    printf("%d-page OFD (%.2f MiB), %d SM2 seals (Type=Seal, one StampAnnot):\n", PAGES,
           bench_file_mib(in), RUNS);
    printf("  sealsvc  %8.1f documents/s (%.2f ms each)\n", 1 / stamp_s, stamp_s * 1e3);
    printf("  floor    %8.1f documents/s (%.2f ms: SM3 of the package + one SM2 signature)\n",
           1 / floor_s, floor_s * 1e3);
    printf("  ratio    %8.2fx the floor (target <= 3x)\n", stamp_s / floor_s);
    printf("  format   %8.1f documents/s (%.2f ms: SM3 of every entry's %.2f MiB of "
           "uncompressed bytes + one SM2 signature): %.2fx\n",
           1 / format_s, format_s * 1e3, uncompressed_mib, stamp_s / format_s);
    printf("  CPU time %8.2f ms per stamp, %.2f ms per floor: %.2fx\n", stamp_cpu * 1e3,
           floor_cpu * 1e3, stamp_cpu / floor_cpu);
    printf("  peak memory %.1f MiB above the process baseline\n", (double)(peak - base) / 1024);

    unlink(in);
    unlink(out);
    if (argc <= 1)
        rmdir(dir);
    seal_buf_clear(&png);
    seal_buf_clear(&esl);
    seal_signer_free(signer);
    seal_signer_free(maker_signer);
    X509_free(cert);
    X509_free(maker);
    X509_free(ca);
    EVP_PKEY_free(key);
    EVP_PKEY_free(maker_key);
    EVP_PKEY_free(ca_key);
    return 0;
}
