/* Two-phase PDF stamping (stamp.c, stamp_finish.c) driven the way the document face drives
 * it: a pdf_doc opened over a file descriptor, prepare, a signature over p->digest made
 * elsewhere, finish. The signers are not ours: `openssl pkeyutl -sign` over the handed-out
 * digest (RSA and ECDSA with -pkeyopt digest:sha256; SM2 over e = SM3(Z_A || M) as it is),
 * finishing both in the process that prepared (from p->live) and as another process would
 * (from p->state and the prepared file alone). Outputs are checked with our verifier,
 * qpdf --check, pdfsig and openssl cms -verify on the extracted CMS (Poppler's NSS and
 * OpenSSL 3.0's CMS know no SM2: SM2 outputs are checked by our verifier and qpdf). Bad
 * finishes (a signature over other bytes, one too large for its gap, a prepared file
 * changed in between, a finish after abandon) leave no output and, where a retry makes
 * sense, a prepared file that a good signature then finishes. */
#include "testutil.h"

#include "pdf/doc_pdf.h"

#include <seal/cms.h>
#include <seal/error.h>
#include <seal/image.h>
#include <seal/pdf.h>
#include <seal/pki.h>

#include <fcntl.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { K_RSA, K_ECDSA, K_SM2, N_KEYS };
static const char *const KEY_NAMES[N_KEYS] = {"rsa", "ecdsa", "sm2"};

typedef struct fixture {
    const char *dir;
    char input[512];
    EVP_PKEY *root_key, *keys[N_KEYS];
    X509 *root, *certs[N_KEYS];
    seal_signer *signers[N_KEYS];
    char key_pem[N_KEYS][512];
    seal_buf png;
    seal_trust *trust;
} fixture;

/* One prepared stamp and the document it was prepared from. */
typedef struct prepared {
    pdf_doc doc;
    seal_placement place;
    seal_stamp_plan plan;
    seal_pending_stamp p;
} prepared;

static X509 *issue(fixture *f, seal_cert_role role, const char *cn, EVP_PKEY *key)
{
    return test_issue_cert(role, "两阶段测试单位", cn, key, f->root, f->root_key, time(NULL));
}

static int setup(void **state)
{
    const char *corpus = test_corpus_dir();
    if (!corpus) {
        fprintf(stderr, "SEAL_CORPUS is not set or missing: skipping the two-phase tests\n");
        exit(77);
    }
    if (test_run("command -v openssl qpdf pdfsig >/dev/null") != 0) {
        fprintf(stderr, "openssl, qpdf or pdfsig missing: skipping\n");
        exit(77);
    }
    fixture *f = calloc(1, sizeof *f);
    f->dir = test_tmpdir();
    snprintf(f->input, sizeof f->input, "%s/pdf/minimal-two-pages.pdf", corpus);
    static const seal_key_alg algs[N_KEYS] = {SEAL_ALG_RSA, SEAL_ALG_ECDSA, SEAL_ALG_SM2};
    if (seal_key_generate(&f->root_key, SEAL_ALG_RSA, 2048) != 0)
        return -1;
    f->root = issue(f, SEAL_CERT_ROOT_CA, "两阶段根CA", f->root_key);
    for (int k = 0; k < N_KEYS; k++) {
        char cn[64];
        snprintf(cn, sizeof cn, "两阶段 %s", KEY_NAMES[k]);
        if (seal_key_generate(&f->keys[k], algs[k], algs[k] == SEAL_ALG_RSA ? 2048 : 0) != 0)
            return -1;
        f->certs[k] = issue(f, SEAL_CERT_SIGNER, cn, f->keys[k]);
        if (seal_signer_new_software(&f->signers[k], f->keys[k], f->certs[k], NULL) != 0)
            return -1;
        /* The key as an outside signer holds it: a PEM file for openssl. */
        snprintf(f->key_pem[k], sizeof f->key_pem[k], "%s/%s.key", f->dir, KEY_NAMES[k]);
        FILE *fp = fopen(f->key_pem[k], "w");
        if (!fp || PEM_write_PrivateKey(fp, f->keys[k], NULL, NULL, 0, NULL, NULL) != 1)
            return -1;
        fclose(fp);
    }
    seal_drawing d = {.shape = SEAL_SHAPE_ROUND, .name = "两阶段测试有限公司", .dpi = 300};
    if (seal_image_draw(&f->png, &d) != 0 || seal_trust_new(&f->trust) != 0 ||
        seal_trust_add_cert(f->trust, f->root) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int k = 0; k < N_KEYS; k++) {
        seal_signer_free(f->signers[k]);
        X509_free(f->certs[k]);
        EVP_PKEY_free(f->keys[k]);
    }
    X509_free(f->root);
    EVP_PKEY_free(f->root_key);
    seal_trust_free(f->trust);
    seal_buf_clear(&f->png);
    free(f);
    return 0;
}

/* ---------------------------------------------------------------- helpers */

/* SHA-256, or SM3 with `md`. */
static void file_digest_with(const EVP_MD *md, const char *path, uint8_t out[EVP_MAX_MD_SIZE])
{
    size_t len = 0;
    assert_int_equal(seal_digest_file(md, path, out, &len), 0);
    assert_int_equal(len, 32);
}

static void file_digest(const char *path, uint8_t out[EVP_MAX_MD_SIZE])
{
    file_digest_with(EVP_sha256(), path, out);
}

/* DIR/NAME into `buf` (512 bytes). */
static const char *in_dir(char *buf, const fixture *f, const char *name)
{
    snprintf(buf, 512, "%s/%s", f->dir, name);
    return buf;
}

/* Opens `in` as the document face would (its hashing started at once when `early_pass`)
 * and prepares a visible stamp with key `k` into `out`. */
static void prepare(fixture *f, int k, const char *out, bool early_pass, prepared *pr)
{
    memset(pr, 0, sizeof *pr);
    pr->doc.fd = open(f->input, O_RDONLY | O_CLOEXEC);
    assert_true(pr->doc.fd >= 0);
    struct stat st;
    assert_int_equal(fstat(pr->doc.fd, &st), 0);
    pr->doc.name = f->input;
    pr->doc.size = (uint64_t)st.st_size;
    if (early_pass) {
        pr->doc.md = seal_signer_md(f->signers[k]);
        assert_int_equal(
            pdf_input_pass_start(&pr->doc.pass, pr->doc.fd, pr->doc.size, pr->doc.name, pr->doc.md),
            0);
    }
    assert_int_equal(pdf_open_fd(&pr->doc.pdf, pr->doc.fd, f->input, NULL), 0);

    pr->place = (seal_placement){2, 50, 25, 20, 20, -1};
    pr->plan = (seal_stamp_plan){.placements = &pr->place,
                                 .n_placements = 1,
                                 .image_png = f->png.data,
                                 .image_png_len = f->png.len,
                                 .width_mm = 20,
                                 .height_mm = 20,
                                 .seal_name = "两阶段测试章",
                                 .reason = "two-phase test",
                                 .cert = f->certs[k],
                                 .max_signature_len = seal_signer_max_sig_len(f->signers[k]),
                                 .output = out};
    pr->p = (seal_pending_stamp){.output = (char *)out,
                                 .to_sign = SEAL_BUF_INIT,
                                 .cert = f->certs[k],
                                 .alg = seal_signer_alg(f->signers[k]),
                                 .state = SEAL_BUF_INIT};
    if (pdf_doc_prepare(&pr->doc, &pr->plan, &pr->p) != 0)
        fail_msg("prepare: %s", seal_error_last());
    /* What seal_doc_prepare adds: the digest a signer signs. */
    assert_int_equal(seal_cert_signed_digest(pr->p.cert, pr->p.to_sign.data, pr->p.to_sign.len,
                                             pr->p.digest, &pr->p.digest_len),
                     0);
    assert_null(pr->doc.pass); /* taken over by prepare */

    /* Nothing at the output yet; the prepared file is private and holds a zero gap. */
    assert_false(test_exists(out));
    assert_non_null(pr->p.prepared);
    assert_int_equal(stat(pr->p.prepared, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    pdf_stamp_state s;
    assert_int_equal(pdf_stamp_state_load(&s, pr->p.state.data, pr->p.state.len), 0);
    assert_int_equal((uint64_t)st.st_size, s.size);
    seal_buf file = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_read_file(&file, pr->p.prepared, 64 << 20), 0);
    assert_int_equal(file.data[s.contents_at], '<');
    assert_int_equal(file.data[s.contents_at + s.contents_len - 1], '>');
    for (uint64_t i = s.contents_at + 1; i + 1 < s.contents_at + s.contents_len; i++)
        if (file.data[i] != '0')
            fail_msg("the prepared gap is not zero-filled at %llu", (unsigned long long)i);
    seal_buf_clear(&file);
    /* The gap holds the largest CMS the signer can make. */
    assert_true((s.contents_len - 2) / 2 >= (uint64_t)seal_cms_estimate_size(f->signers[k]));
    /* The input's digest, for the record of the stamp. */
    uint8_t before[EVP_MAX_MD_SIZE];
    assert_non_null(pr->p.digests.md);
    assert_int_equal(EVP_MD_get_type(pr->p.digests.md),
                     EVP_MD_get_type(seal_signer_md(f->signers[k])));
    file_digest_with(pr->p.digests.md, f->input, before);
    assert_int_equal(pr->p.digests.len, 32);
    assert_memory_equal(pr->p.digests.before, before, 32);
}

/* What a finish in another process has: the saved state and the prepared file. */
static void forget_live(prepared *pr)
{
    pdf_doc_live_free(pr->p.live);
    pr->p.live = NULL;
}

static void release(prepared *pr)
{
    pdf_doc_abandon(&pr->p);
    pdf_doc_live_free(pr->p.live);
    seal_buf_clear(&pr->p.to_sign);
    seal_buf_clear(&pr->p.state);
    if (pr->doc.pass)
        pdf_input_pass_finish(pr->doc.pass, NULL);
    seal_pdf_free(pr->doc.pdf);
    close(pr->doc.fd);
}

/* The handed-out digest signed by openssl: RSA PKCS#1 v1.5 over DigestInfo(SHA-256) and
 * ECDSA with -pkeyopt digest:sha256; SM2 signs the digest as it is (it is already e =
 * SM3(Z_A || M), for the user ID 1234567812345678). */
/* SM2 the other way OpenSSL 3.0 offers: over M itself (-rawin), Z_A made by openssl for
 * the user ID 1234567812345678: the same e, so the same verification. */
static void openssl_sign_sm2_message(fixture *f, const prepared *pr, seal_buf *sig)
{
    char msg_buf[512], out_buf[512];
    const char *msg = in_dir(msg_buf, f, "to-sign.der"), *out = in_dir(out_buf, f, "sig.bin");
    assert_int_equal(seal_buf_write_file(&pr->p.to_sign, msg, 0600), 0);
    unlink(out);
    assert_int_equal(test_run("openssl pkeyutl -sign -inkey '%s' -rawin -in '%s' -digest sm3 "
                              "-pkeyopt distid:1234567812345678 -out '%s'",
                              f->key_pem[K_SM2], msg, out),
                     0);
    seal_buf_clear(sig);
    assert_int_equal(seal_buf_read_file(sig, out, 4096), 0);
}

static void openssl_sign(fixture *f, int k, const prepared *pr, seal_buf *sig)
{
    char digest_buf[512], out_buf[512];
    const char *digest = in_dir(digest_buf, f, "digest.bin"), *out = in_dir(out_buf, f, "sig.bin");
    seal_buf d = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_set(&d, pr->p.digest, pr->p.digest_len), 0);
    assert_int_equal(seal_buf_write_file(&d, digest, 0600), 0);
    seal_buf_clear(&d);
    unlink(out);
    assert_int_equal(test_run("openssl pkeyutl -sign -inkey '%s' -in '%s' -out '%s' %s",
                              f->key_pem[k], digest, out,
                              k == K_SM2 ? "" : "-pkeyopt digest:sha256"),
                     0);
    seal_buf_clear(sig);
    assert_int_equal(seal_buf_read_file(sig, out, 4096), 0);
}

static void finish_ok(prepared *pr, const seal_buf *sig, const char *out)
{
    seal_stamp_digests digests = {0};
    char *prepared_path = strdup(pr->p.prepared);
    if (pdf_doc_finish(&pr->p, sig->data, sig->len, NULL, &digests) != 0)
        fail_msg("finish: %s", seal_error_last());
    assert_true(test_exists(out));
    assert_false(test_exists(prepared_path));
    free(prepared_path);
    assert_null(pr->p.prepared);
    struct stat st;
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    uint8_t after[EVP_MAX_MD_SIZE];
    file_digest_with(digests.md, out, after);
    assert_int_equal(digests.len, 32);
    assert_memory_equal(digests.after, after, 32);
    assert_memory_equal(digests.before, pr->p.digests.before, 32);
}

/* The CMS in /Contents (exactly its DER length) and the bytes the ByteRange covers. */
static void extract(const char *pdf, const char *cms_path, const char *content_path)
{
    seal_buf file = SEAL_BUF_INIT, der = SEAL_BUF_INIT, content = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_read_file(&file, pdf, 64 << 20), 0);
    const char *br = NULL;
    for (const char *p = (const char *)file.data;
         (p = memmem(p, file.len - (size_t)(p - (const char *)file.data), "/ByteRange [", 12));
         p += 12)
        br = p;
    assert_non_null(br);
    unsigned long long r[4];
    assert_int_equal(sscanf(br + 12, "%llu %llu %llu %llu", &r[0], &r[1], &r[2], &r[3]), 4);
    assert_int_equal(r[0], 0);
    assert_int_equal(r[2] + r[3], file.len);
    assert_int_equal(seal_hex_decode(&der, (const char *)file.data + r[1] + 1, r[2] - r[1] - 2), 0);
    assert_int_equal(der.data[0], 0x30);
    size_t total;
    if (der.data[1] < 0x80) {
        total = 2 + der.data[1];
    } else {
        size_t n = der.data[1] & 0x7f, len = 0;
        for (size_t i = 0; i < n; i++)
            len = len << 8 | der.data[2 + i];
        total = 2 + n + len;
    }
    assert_true(total <= der.len);
    der.len = total;
    assert_int_equal(seal_buf_append(&content, file.data, r[1]), 0);
    assert_int_equal(seal_buf_append(&content, file.data + r[2], r[3]), 0);
    assert_int_equal(seal_buf_write_file(&der, cms_path, 0600), 0);
    assert_int_equal(seal_buf_write_file(&content, content_path, 0600), 0);
    seal_buf_clear(&file);
    seal_buf_clear(&der);
    seal_buf_clear(&content);
}

/* What a user checks: our verifier, qpdf, and for RSA and ECDSA pdfsig and openssl cms. */
static void check_output(fixture *f, int k, const char *out)
{
    seal_report *r = NULL;
    assert_int_equal(seal_pdf_verify(&r, out, f->trust), 0);
    assert_int_equal(r->n_sigs, 1);
    const seal_sig_report *s = &r->sigs[0];
    const char *valid[] = {"byte-range", "contents",     "digest",
                           "signature",  "signing-cert", "chain"};
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        const seal_check *c = NULL;
        for (size_t j = 0; j < s->n_checks && !c; j++)
            if (strcmp(s->checks[j].name, valid[i]) == 0)
                c = &s->checks[j];
        if (!c || c->outcome != SEAL_VERDICT_VALID)
            fail_msg("%s: check '%s' is %s (%s)", KEY_NAMES[k], valid[i],
                     c ? seal_verdict_name(c->outcome) : "missing", c ? c->detail : "");
    }
    assert_string_equal(s->coverage, "entire file");
    assert_int_equal(s->page, 2);
    assert_true(s->visible);
    seal_report_free(r);

    assert_int_equal(test_run("qpdf --check '%s' >/dev/null", out), 0);
    if (k == K_SM2)
        return; /* neither NSS nor OpenSSL 3.0's CMS verifies SM2 */
    char log_buf[512], cms_buf[512], content_buf[512];
    const char *log = in_dir(log_buf, f, "pdfsig.txt");
    assert_int_equal(test_run("pdfsig '%s' > '%s' 2>&1", out, log), 0);
    assert_int_equal(test_run("grep -q 'Signature Validation: Signature is Valid' '%s'", log), 0);
    const char *cms = in_dir(cms_buf, f, "cms.der"),
               *content = in_dir(content_buf, f, "content.bin");
    extract(out, cms, content);
    assert_int_equal(test_run("openssl cms -verify -binary -inform DER -in '%s' -content '%s' "
                              "-noverify -out /dev/null 2>/dev/null",
                              cms, content),
                     0);
}

/* ---------------------------------------------------------------- tests */

/* RSA signed by openssl, finished as another process would: from the state alone. */
static void test_rsa_openssl_other_process(void **state)
{
    fixture *f = *state;
    char out_buf[512];
    const char *out = in_dir(out_buf, f, "rsa.pdf");
    prepared pr;
    seal_buf sig = SEAL_BUF_INIT;
    prepare(f, K_RSA, out, true, &pr);
    forget_live(&pr);
    openssl_sign(f, K_RSA, &pr, &sig);
    finish_ok(&pr, &sig, out);
    check_output(f, K_RSA, out);
    release(&pr);
    seal_buf_clear(&sig);
}

/* ECDSA P-256 signed by openssl, finished in the process that prepared it. */
static void test_ecdsa_openssl_same_process(void **state)
{
    fixture *f = *state;
    char out_buf[512];
    const char *out = in_dir(out_buf, f, "ecdsa.pdf");
    prepared pr;
    seal_buf sig = SEAL_BUF_INIT;
    prepare(f, K_ECDSA, out, false, &pr);
    assert_non_null(pr.p.live);
    openssl_sign(f, K_ECDSA, &pr, &sig);
    finish_ok(&pr, &sig, out);
    check_output(f, K_ECDSA, out);
    release(&pr);
    seal_buf_clear(&sig);
}

/* SM2: openssl signs the handed-out e = SM3(Z_A || M) as it is, finished in the same
 * process; then signs M itself with -rawin and the user ID, finished as another process. */
static void test_sm2_openssl(void **state)
{
    fixture *f = *state;
    for (int other = 0; other < 2; other++) {
        char out_buf[512];
        const char *out = in_dir(out_buf, f, other ? "sm2-other.pdf" : "sm2.pdf");
        prepared pr;
        seal_buf sig = SEAL_BUF_INIT;
        prepare(f, K_SM2, out, true, &pr);
        /* e is what our signer computes over M for this certificate. */
        uint8_t e[EVP_MAX_MD_SIZE];
        size_t e_len = 0;
        assert_int_equal(
            seal_signer_digest(f->signers[K_SM2], pr.p.to_sign.data, pr.p.to_sign.len, e, &e_len),
            0);
        assert_int_equal(e_len, 32);
        assert_memory_equal(e, pr.p.digest, 32);
        if (other) {
            forget_live(&pr);
            openssl_sign_sm2_message(f, &pr, &sig);
        } else {
            openssl_sign(f, K_SM2, &pr, &sig);
        }
        assert_int_equal(seal_verify_digest_signature(pr.p.cert, pr.p.digest, pr.p.digest_len,
                                                      sig.data, sig.len),
                         0);
        finish_ok(&pr, &sig, out);
        check_output(f, K_SM2, out);
        release(&pr);
        seal_buf_clear(&sig);
    }
}

/* Our own signer between the phases, as seal_pdf_stamp does it. */
static void test_our_signer(void **state)
{
    fixture *f = *state;
    for (int k = 0; k < N_KEYS; k++) {
        char out_buf[512];
        const char *out = in_dir(out_buf, f,
                                 k == K_RSA     ? "ours-rsa.pdf"
                                 : k == K_ECDSA ? "ours-ecdsa.pdf"
                                                : "ours-sm2.pdf");
        prepared pr;
        seal_buf sig = SEAL_BUF_INIT;
        prepare(f, k, out, k != K_ECDSA, &pr);
        assert_int_equal(seal_signer_sign_digest(f->signers[k], &sig, pr.p.digest, pr.p.digest_len),
                         0);
        finish_ok(&pr, &sig, out);
        check_output(f, k, out);
        release(&pr);
        seal_buf_clear(&sig);
    }
}

static void assert_prepared_unchanged(const prepared *pr, const uint8_t *digest)
{
    uint8_t now[EVP_MAX_MD_SIZE];
    assert_non_null(pr->p.prepared);
    file_digest(pr->p.prepared, now);
    assert_memory_equal(now, digest, 32);
}

/* Bad finishes leave no output and the prepared file as it was; a good signature then
 * finishes it. In the same process and in another. */
static void test_failures_then_retry(void **state)
{
    fixture *f = *state;
    for (int other = 0; other < 2; other++) {
        char out_buf[512];
        const char *out = in_dir(out_buf, f, other ? "retry-other.pdf" : "retry.pdf");
        prepared pr;
        seal_buf sig = SEAL_BUF_INIT, wrong = SEAL_BUF_INIT, big = SEAL_BUF_INIT;
        uint8_t prepared_digest[EVP_MAX_MD_SIZE];
        prepare(f, K_RSA, out, true, &pr);
        if (other)
            forget_live(&pr);
        file_digest(pr.p.prepared, prepared_digest);

        /* A signature over other bytes: refused by the check seal_doc_finish makes before
         * it calls finish; nothing written. */
        uint8_t other_digest[32] = {1, 2, 3};
        assert_int_equal(seal_signer_sign_digest(f->signers[K_RSA], &wrong, other_digest, 32), 0);
        assert_int_equal(seal_verify_digest_signature(pr.p.cert, pr.p.digest, pr.p.digest_len,
                                                      wrong.data, wrong.len),
                         SEAL_ECRYPTO);
        assert_false(test_exists(out));
        assert_prepared_unchanged(&pr, prepared_digest);

        /* A signature larger than the signer announced: its CMS does not fit the gap. */
        pdf_stamp_state s;
        assert_int_equal(pdf_stamp_state_load(&s, pr.p.state.data, pr.p.state.len), 0);
        size_t room = (size_t)(s.contents_len - 2) / 2;
        assert_int_equal(seal_buf_reserve(&big, room), 0);
        memset(big.data, 0x5a, room);
        big.len = room;
        assert_int_equal(pdf_doc_finish(&pr.p, big.data, big.len, NULL, NULL), SEAL_ECRYPTO);
        char room_text[64];
        snprintf(room_text, sizeof room_text, "%zu bytes reserved", room);
        if (!strstr(seal_error_last(), room_text) || !strstr(seal_error_last(), "needs"))
            fail_msg("unexpected message: %s", seal_error_last());
        assert_false(test_exists(out));
        assert_prepared_unchanged(&pr, prepared_digest);

        /* A stamp prepared with a timestamp cannot be finished without a TSA. */
        pr.p.timestamp = true;
        assert_int_equal(pdf_doc_finish(&pr.p, wrong.data, wrong.len, NULL, NULL), SEAL_EINVAL);
        assert_non_null(strstr(seal_error_last(), "needs a TSA"));
        pr.p.timestamp = false;
        assert_false(test_exists(out));

        if (other) {
            /* The prepared file changed in between (a byte of the signed range). */
            int fd = open(pr.p.prepared, O_RDWR);
            assert_true(fd >= 0);
            uint8_t byte, flipped;
            assert_int_equal(pread(fd, &byte, 1, 100), 1);
            flipped = byte ^ 0x20;
            assert_int_equal(pwrite(fd, &flipped, 1, 100), 1);
            assert_int_equal(
                seal_signer_sign_digest(f->signers[K_RSA], &sig, pr.p.digest, pr.p.digest_len), 0);
            assert_int_equal(pdf_doc_finish(&pr.p, sig.data, sig.len, NULL, NULL), SEAL_EFORMAT);
            assert_non_null(strstr(seal_error_last(), "no longer holds the bytes"));
            assert_false(test_exists(out));
            assert_int_equal(pwrite(fd, &byte, 1, 100), 1);
            close(fd);
            assert_prepared_unchanged(&pr, prepared_digest);
        }

        /* The retry with a good signature (openssl's) finishes it. */
        openssl_sign(f, K_RSA, &pr, &sig);
        finish_ok(&pr, &sig, out);
        check_output(f, K_RSA, out);
        release(&pr);
        seal_buf_clear(&sig);
        seal_buf_clear(&wrong);
        seal_buf_clear(&big);
    }
}

/* Abandon removes the prepared file; a finish after it is refused, no output. */
static void test_abandon(void **state)
{
    fixture *f = *state;
    char out_buf[512];
    const char *out = in_dir(out_buf, f, "abandoned.pdf");
    prepared pr;
    seal_buf sig = SEAL_BUF_INIT;
    prepare(f, K_ECDSA, out, true, &pr);
    char *path = strdup(pr.p.prepared);
    forget_live(&pr);
    /* As a saved stamp loaded elsewhere: the path known, the file then removed. */
    assert_int_equal(unlink(path), 0);
    assert_int_equal(
        seal_signer_sign_digest(f->signers[K_ECDSA], &sig, pr.p.digest, pr.p.digest_len), 0);
    assert_int_equal(pdf_doc_finish(&pr.p, sig.data, sig.len, NULL, NULL), SEAL_EIO);
    assert_non_null(strstr(seal_error_last(), "finished or abandoned"));
    assert_false(test_exists(out));
    release(&pr);
    seal_buf_clear(&sig);

    prepare(f, K_ECDSA, out, false, &pr);
    free(path);
    path = strdup(pr.p.prepared);
    pdf_doc_abandon(&pr.p);
    assert_false(test_exists(path));
    assert_null(pr.p.prepared);
    assert_int_equal(pdf_doc_finish(&pr.p, sig.data, sig.len, NULL, NULL), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "finished or abandoned"));
    assert_false(test_exists(out));
    release(&pr);
    free(path);
    seal_buf_clear(&sig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rsa_openssl_other_process),
        cmocka_unit_test(test_ecdsa_openssl_same_process),
        cmocka_unit_test(test_sm2_openssl),
        cmocka_unit_test(test_our_signer),
        cmocka_unit_test(test_failures_then_retry),
        cmocka_unit_test(test_abandon),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
