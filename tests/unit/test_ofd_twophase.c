/* Two-phase OFD stamping (ofd_doc_prepare / ofd_doc_finish), driven as doc.c drives it
 * over an ofd_doc filled by hand: prepare, sign p->digest, finish, and our verifier finds
 * every check but the (untrusted) chains VALID. Finished in the same process and from the
 * saved state alone (p->live freed, as in another process), which give the same bytes;
 * signed by our signer and by `openssl pkeyutl` (SM2 over M with the distinguishing ID,
 * RSA and ECDSA over the digest), the CMS also checked by `openssl cms -verify`. A refused
 * signature, a finish that fails and a changed prepared file leave no output and the stamp
 * finishable; PDF-only requests are refused before anything is written. */
#include "ofd/doc_ofd.h"
#include "testutil.h"

#include <seal/error.h>
#include <seal/ofd.h>
#include <seal/pki.h>
#include <seal/report.h>
#include <seal/ses.h>

#include <dirent.h>
#include <fcntl.h>
#include <glib.h>
#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#define DAY  (24 * 3600)
#define WHEN ((time_t)1750000000)

static const uint8_t PICTURE[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3, 4};
static const seal_placement PLACE = {1, 60, 60, 40, 40, -1};

typedef struct signer_keys {
    EVP_PKEY *key;
    X509 *cert;
    seal_signer *signer;
    char key_path[512];
} signer_keys;

typedef struct fixture {
    const char *dir;
    EVP_PKEY *root_key, *maker_key;
    X509 *root, *maker;
    signer_keys sm2, rsa, ecdsa, other;
    seal_buf seal; /* v4, 40 x 40 mm, listing sm2, rsa and ecdsa */
    const char *input;
} fixture;

static X509 *issue(fixture *f, seal_cert_role role, const char *cn, EVP_PKEY *key)
{
    return test_issue_cert(role, "测试单位", cn, key, f->root, f->root_key, WHEN);
}

static void make_signer(fixture *f, signer_keys *k, seal_key_alg alg, const char *cn)
{
    assert_int_equal(seal_key_generate(&k->key, alg, 2048), 0);
    k->cert = issue(f, SEAL_CERT_SIGNER, cn, k->key);
    assert_int_equal(seal_signer_new_software(&k->signer, k->key, k->cert, NULL), 0);
    snprintf(k->key_path, sizeof k->key_path, "%s/%s.key", f->dir, cn);
    FILE *out = fopen(k->key_path, "w");
    assert_non_null(out);
    assert_int_equal(PEM_write_PrivateKey(out, k->key, NULL, NULL, 0, NULL, NULL), 1);
    fclose(out);
}

/* A one-page OFD, enough for a seal. */
static const char *make_input(fixture *f)
{
    static const char *const entries[][2] = {
        {"OFD.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\" Version=\"1.0\" "
                    "DocType=\"OFD\"><ofd:DocBody><ofd:DocInfo><ofd:DocID>t</ofd:DocID>"
                    "</ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody>"
                    "</ofd:OFD>"},
        {"Doc_0/Document.xml",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<ofd:Document xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:CommonData>"
         "<ofd:MaxUnitID>10</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297"
         "</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages><ofd:Page ID=\"1\" "
         "BaseLoc=\"Pages/Page_0/Content.xml\"/></ofd:Pages></ofd:Document>"},
        {"Doc_0/Pages/Page_0/Content.xml",
         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<ofd:Page xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:Content/></ofd:Page>"},
    };
    const char *path = g_strdup(test_path(f->dir, "in.ofd"));
    int err = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    assert_non_null(z);
    for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
        zip_source_t *s = zip_source_buffer(z, entries[i][1], strlen(entries[i][1]), 0);
        assert_true(zip_file_add(z, entries[i][0], s, ZIP_FL_ENC_UTF_8) >= 0);
    }
    assert_int_equal(zip_close(z), 0);
    return path;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = test_tmpdir();
    if (seal_key_generate(&f->root_key, SEAL_ALG_RSA, 2048) != 0 ||
        seal_key_generate(&f->maker_key, SEAL_ALG_SM2, 0) != 0)
        return -1;
    f->root = issue(f, SEAL_CERT_ROOT_CA, "根CA", f->root_key);
    f->maker = issue(f, SEAL_CERT_SEAL_MAKER, "制章者", f->maker_key);
    make_signer(f, &f->sm2, SEAL_ALG_SM2, "sm2");
    make_signer(f, &f->rsa, SEAL_ALG_RSA, "rsa");
    make_signer(f, &f->ecdsa, SEAL_ALG_ECDSA, "ecdsa");
    make_signer(f, &f->other, SEAL_ALG_SM2, "other");
    seal_signer *maker = NULL;
    if (seal_signer_new_software(&maker, f->maker_key, f->maker, NULL) != 0)
        return -1;
    STACK_OF(X509) *certs = sk_X509_new_null();
    sk_X509_push(certs, f->sm2.cert);
    sk_X509_push(certs, f->rsa.cert);
    sk_X509_push(certs, f->ecdsa.cert);
    seal_eseal_spec spec = {.es_id = "4401060000003",
                            .vid = "sealsvc",
                            .type = SEAL_SES_TYPE_OFFICIAL,
                            .name = "两阶段测试章",
                            .certs = certs,
                            .picture_type = "PNG",
                            .picture = PICTURE,
                            .picture_len = sizeof PICTURE,
                            .width_mm = 40,
                            .height_mm = 40,
                            .created = WHEN - DAY,
                            .valid_start = WHEN - DAY,
                            .valid_end = WHEN + 30 * DAY};
    int rc = seal_eseal_make(&f->seal, &spec, maker);
    sk_X509_free(certs);
    seal_signer_free(maker);
    if (rc != 0)
        return -1;
    f->input = make_input(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    signer_keys *all[] = {&f->sm2, &f->rsa, &f->ecdsa, &f->other};
    for (size_t i = 0; i < 4; i++) {
        seal_signer_free(all[i]->signer);
        X509_free(all[i]->cert);
        EVP_PKEY_free(all[i]->key);
    }
    X509_free(f->root);
    X509_free(f->maker);
    EVP_PKEY_free(f->root_key);
    EVP_PKEY_free(f->maker_key);
    seal_buf_clear(&f->seal);
    g_free((char *)f->input);
    free(f);
    return 0;
}

/* ---------------------------------------------------------------- helpers */

/* What doc.c's open does for an OFD: the input mapped, the model read over it. */
static void doc_open(ofd_doc *d, const char *path)
{
    struct stat st;
    memset(d, 0, sizeof *d);
    d->fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(d->fd >= 0);
    assert_int_equal(fstat(d->fd, &st), 0);
    d->map_len = (size_t)st.st_size;
    d->map = mmap(NULL, d->map_len, PROT_READ, MAP_PRIVATE, d->fd, 0);
    assert_true(d->map != MAP_FAILED);
    d->name = g_strdup(path);
    assert_int_equal(seal_ofd_open_mem(&d->ofd, d->map, d->map_len, NULL), 0);
}

static void doc_close(ofd_doc *d)
{
    seal_ofd_free(d->ofd);
    munmap((void *)d->map, d->map_len);
    close(d->fd);
    g_free(d->name);
}

static seal_stamp_plan plan_for(fixture *f, X509 *cert, const char *out)
{
    seal_stamp_plan plan = {.placements = &PLACE,
                            .n_placements = 1,
                            .esl = f->seal.data,
                            .esl_len = f->seal.len,
                            .signing_time = WHEN,
                            .cert = cert,
                            .max_signature_len = 512,
                            .output = out};
    return plan;
}

/* What doc.c sets before the adapter's prepare, and the digest it makes after. */
static void prepare(fixture *f, const seal_stamp_plan *plan, seal_pending_stamp *p)
{
    ofd_doc d;
    doc_open(&d, f->input);
    memset(p, 0, sizeof *p);
    p->output = g_strdup(plan->output);
    p->cert = plan->cert;
    p->alg = seal_key_alg_of(X509_get0_pubkey(plan->cert));
    p->timestamp = plan->timestamp;
    if (ofd_doc_prepare(&d, plan, p) != 0)
        fail_msg("prepare: %s", seal_error_last());
    doc_close(&d);
    assert_int_equal(seal_cert_signed_digest(p->cert, p->to_sign.data, p->to_sign.len, p->digest,
                                             &p->digest_len),
                     0);
}

static void pending_clear(seal_pending_stamp *p)
{
    ofd_doc_live_free(p->live);
    g_free(p->output);
    g_free(p->prepared);
    seal_buf_clear(&p->to_sign);
    seal_buf_clear(&p->state);
}

/* As another process has it: what was saved, nothing in memory. */
static void forget_live(seal_pending_stamp *p)
{
    ofd_doc_live_free(p->live);
    p->live = NULL;
}

static void sign_here(const seal_pending_stamp *p, const seal_signer *s, seal_buf *sig)
{
    assert_int_equal(seal_signer_sign_digest(s, sig, p->digest, p->digest_len), 0);
    /* what doc.c checks before it calls finish */
    assert_int_equal(
        seal_verify_digest_signature(p->cert, p->digest, p->digest_len, sig->data, sig->len), 0);
}

static void finish(seal_pending_stamp *p, const seal_buf *sig, seal_stamp_digests *d)
{
    if (ofd_doc_finish(p, sig->data, sig->len, NULL, d) != 0)
        fail_msg("finish: %s", seal_error_last());
}

/* Our verifier: one signature of `kind`, every check VALID but the chains (no trust
 * anchors here), the seal where it was put. */
static void assert_verifies(const char *path, const char *kind)
{
    seal_report *r = NULL;
    if (seal_ofd_verify(&r, path, NULL) != 0)
        fail_msg("verify %s: %s", path, seal_error_last());
    assert_int_equal(r->n_sigs, 1);
    const seal_sig_report *s = &r->sigs[0];
    assert_string_equal(s->kind, kind);
    bool signature_checked = false;
    for (size_t i = 0; i < s->n_checks; i++) {
        const seal_check *c = &s->checks[i];
        if (strstr(c->name, "chain"))
            continue;
        if (c->outcome != SEAL_VERDICT_VALID)
            fail_msg("%s: check %s is %s: %s", path, c->name, seal_verdict_name(c->outcome),
                     c->detail ? c->detail : "");
        signature_checked |= strcmp(c->name, "signature") == 0;
    }
    assert_true(signature_checked);
    assert_int_not_equal(r->verdict, SEAL_VERDICT_INVALID);
    assert_int_equal(s->page, 1);
    assert_float_equal(s->rect[0], 40, 1e-9);
    seal_report_free(r);
}

static void assert_file_digest(const EVP_MD *md, const char *path, const uint8_t *want, size_t len)
{
    uint8_t got[EVP_MAX_MD_SIZE];
    size_t got_len = 0;
    assert_int_equal(seal_digest_file(md, path, got, &got_len), 0);
    assert_int_equal(got_len, len);
    assert_memory_equal(got, want, len);
}

static int run(const char *cmd)
{
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void write_bytes(const char *path, const uint8_t *data, size_t len)
{
    assert_true(g_file_set_contents(path, (const char *)data, (gssize)len, NULL));
}

static void read_bytes(const char *path, seal_buf *out)
{
    gchar *data = NULL;
    gsize len = 0;
    assert_true(g_file_get_contents(path, &data, &len, NULL));
    assert_int_equal(seal_buf_set(out, data, len), 0);
    g_free(data);
}

/* ---------------------------------------------------------------- tests */

static void test_sm2_in_process(void **state)
{
    fixture *f = *state;
    const char *out = g_strdup(test_path(f->dir, "sm2.ofd"));
    seal_stamp_plan plan = plan_for(f, f->sm2.cert, out);
    seal_pending_stamp p;
    seal_buf sig = SEAL_BUF_INIT;
    seal_stamp_digests d = {0};

    prepare(f, &plan, &p);
    /* M is DER(TBS_Sign); nothing at the output yet, the prepared file private */
    assert_int_equal(p.to_sign.data[0], 0x30);
    assert_false(test_exists(out));
    struct stat st;
    assert_int_equal(stat(p.prepared, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_ptr_equal(p.digests.md, EVP_sm3());
    assert_file_digest(EVP_sm3(), f->input, p.digests.before, p.digests.len);

    sign_here(&p, f->sm2.signer, &sig);
    char *prepared = g_strdup(p.prepared);
    finish(&p, &sig, &d);
    assert_false(test_exists(prepared));
    assert_int_equal(stat(out, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(test_temp_files(f->dir), 0);
    assert_verifies(out, "ses-v4");
    assert_file_digest(EVP_sm3(), f->input, d.before, d.len);
    assert_file_digest(EVP_sm3(), out, d.after, d.len);

    /* a second finish of the same stamp is refused and leaves the output as it is */
    p.prepared = prepared;
    assert_int_equal(ofd_doc_finish(&p, sig.data, sig.len, NULL, NULL), SEAL_ENOTFOUND);
    assert_non_null(strstr(seal_error_last(), "finished or abandoned"));
    assert_verifies(out, "ses-v4");

    pending_clear(&p);
    seal_buf_clear(&sig);
    g_free((char *)out);
}

/* RSA signatures are deterministic: finishing from the saved state alone gives the bytes
 * finishing in the process that prepared gives. */
static void test_rsa_from_saved_state(void **state)
{
    fixture *f = *state;
    const char *out_live = g_strdup(test_path(f->dir, "rsa-live.ofd"));
    const char *out_saved = g_strdup(test_path(f->dir, "rsa-saved.ofd"));
    seal_pending_stamp a, b;
    seal_buf sig_a = SEAL_BUF_INIT, sig_b = SEAL_BUF_INIT, bytes_a = SEAL_BUF_INIT,
             bytes_b = SEAL_BUF_INIT;
    seal_stamp_digests d = {0};

    seal_stamp_plan plan = plan_for(f, f->rsa.cert, out_live);
    prepare(f, &plan, &a);
    plan.output = out_saved;
    prepare(f, &plan, &b);
    assert_int_equal(a.to_sign.len, b.to_sign.len);
    assert_memory_equal(a.to_sign.data, b.to_sign.data, a.to_sign.len);
    assert_ptr_equal(b.digests.md, EVP_sha256());

    sign_here(&a, f->rsa.signer, &sig_a);
    finish(&a, &sig_a, NULL);
    forget_live(&b);
    sign_here(&b, f->rsa.signer, &sig_b);
    finish(&b, &sig_b, &d);
    assert_verifies(out_saved, "sign");
    read_bytes(out_live, &bytes_a);
    read_bytes(out_saved, &bytes_b);
    assert_int_equal(bytes_a.len, bytes_b.len);
    assert_memory_equal(bytes_a.data, bytes_b.data, bytes_a.len);
    assert_file_digest(EVP_sha256(), out_saved, d.after, d.len);

    pending_clear(&a);
    pending_clear(&b);
    seal_buf_clear(&sig_a);
    seal_buf_clear(&sig_b);
    seal_buf_clear(&bytes_a);
    seal_buf_clear(&bytes_b);
    g_free((char *)out_live);
    g_free((char *)out_saved);
}

/* A signature by another key is refused before finish (doc.c's check); a finish that
 * fails (no TSA for a timestamped stamp, the output's name taken by a folder, a changed
 * prepared file) writes no output; the stamp is finished all the same afterwards. */
static void test_failures_keep_it_finishable(void **state)
{
    fixture *f = *state;
    const char *out = g_strdup(test_path(f->dir, "retry.ofd"));
    seal_stamp_plan plan = plan_for(f, f->sm2.cert, out);
    seal_pending_stamp p;
    seal_buf wrong = SEAL_BUF_INIT, sig = SEAL_BUF_INIT;

    prepare(f, &plan, &p);
    forget_live(&p);
    assert_int_equal(seal_signer_sign_digest(f->other.signer, &wrong, p.digest, p.digest_len), 0);
    assert_int_equal(
        seal_verify_digest_signature(p.cert, p.digest, p.digest_len, wrong.data, wrong.len),
        SEAL_ECRYPTO);
    assert_false(test_exists(out));
    assert_true(test_exists(p.prepared));
    sign_here(&p, f->sm2.signer, &sig);

    p.timestamp = true;
    assert_int_equal(ofd_doc_finish(&p, sig.data, sig.len, NULL, NULL), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "needs a TSA"));
    p.timestamp = false;
    assert_false(test_exists(out));

    assert_int_equal(mkdir(out, 0755), 0);
    assert_int_equal(ofd_doc_finish(&p, sig.data, sig.len, NULL, NULL), SEAL_EIO);
    assert_true(test_exists(p.prepared));
    assert_int_equal(rmdir(out), 0);
    assert_false(test_exists(out));

    /* a byte of the prepared package changed on disk: refused, and put back, finished */
    int fd = open(p.prepared, O_RDWR);
    uint8_t byte = 0, flipped;
    assert_int_equal(pread(fd, &byte, 1, 40), 1);
    flipped = byte ^ 0xff;
    assert_int_equal(pwrite(fd, &flipped, 1, 40), 1);
    assert_int_equal(ofd_doc_finish(&p, sig.data, sig.len, NULL, NULL), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "has changed since it was prepared"));
    assert_false(test_exists(out));
    assert_int_equal(pwrite(fd, &byte, 1, 40), 1);
    close(fd);

    finish(&p, &sig, NULL);
    assert_verifies(out, "ses-v4");
    assert_int_equal(test_temp_files(f->dir), 0);

    pending_clear(&p);
    seal_buf_clear(&wrong);
    seal_buf_clear(&sig);
    g_free((char *)out);
}

/* An external SM2 signer: `openssl pkeyutl` signs M (TBS_Sign) itself, with the
 * distinguishing ID, so it makes e = SM3(Z_A || M) on its own: what it returns verifies
 * over the digest we handed out, and finishes a stamp our verifier accepts. */
static void test_sm2_signed_by_openssl(void **state)
{
    fixture *f = *state;
    const char *out = g_strdup(test_path(f->dir, "sm2-openssl.ofd"));
    char *m = g_strdup(test_path(f->dir, "sm2.tbs")),
         *sig_path = g_strdup(test_path(f->dir, "sm2.sig"));
    seal_stamp_plan plan = plan_for(f, f->sm2.cert, out);
    seal_pending_stamp p;
    seal_buf sig = SEAL_BUF_INIT;

    prepare(f, &plan, &p);
    forget_live(&p);
    write_bytes(m, p.to_sign.data, p.to_sign.len);
    char *cmd = g_strdup_printf("openssl pkeyutl -sign -inkey '%s' -rawin -in '%s' -pkeyopt "
                                "distid:1234567812345678 -out '%s'",
                                f->sm2.key_path, m, sig_path);
    assert_int_equal(run(cmd), 0);
    read_bytes(sig_path, &sig);
    assert_int_equal(sig.data[0], 0x30); /* DER SEQUENCE { r, s }, as GB/T 38540 stores it */
    assert_int_equal(
        seal_verify_digest_signature(p.cert, p.digest, p.digest_len, sig.data, sig.len), 0);
    finish(&p, &sig, NULL);
    assert_verifies(out, "ses-v4");

    pending_clear(&p);
    seal_buf_clear(&sig);
    g_free(cmd);
    g_free(m);
    g_free(sig_path);
    g_free((char *)out);
}

/* A token that hands back SM2 as 64-byte r||s: stored DER all the same (GB/T 38540). */
static void test_sm2_raw_signature_stored_as_der(void **state)
{
    fixture *f = *state;
    const char *out = g_strdup(test_path(f->dir, "sm2-raw.ofd"));
    seal_stamp_plan plan = plan_for(f, f->sm2.cert, out);
    seal_pending_stamp p;
    seal_buf der = SEAL_BUF_INIT, raw = SEAL_BUF_INIT, stored = SEAL_BUF_INIT;
    seal_ses_signature *ses = NULL;

    prepare(f, &plan, &p);
    forget_live(&p);
    sign_here(&p, f->sm2.signer, &der);
    const unsigned char *q = der.data;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)der.len);
    assert_non_null(es);
    uint8_t rs[64];
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, 32), 32);
    assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + 32, 32), 32);
    ECDSA_SIG_free(es);
    assert_int_equal(seal_buf_set(&raw, rs, sizeof rs), 0);
    finish(&p, &raw, NULL);
    assert_verifies(out, "ses-v4");

    char *cmd =
        g_strdup_printf("unzip -p '%s' Doc_0/Signs/Sign_0/SignedValue.dat > '%s.dat'", out, out);
    assert_int_equal(run(cmd), 0);
    char *dat = g_strdup_printf("%s.dat", out);
    read_bytes(dat, &stored);
    assert_int_equal(seal_ses_signature_parse(&ses, stored.data, stored.len), 0);
    assert_int_equal(ses->signature.data[0], 0x30);
    assert_int_equal(ses->signature.len, der.len);
    assert_memory_equal(ses->signature.data, der.data, der.len);

    seal_ses_signature_free(ses);
    pending_clear(&p);
    seal_buf_clear(&der);
    seal_buf_clear(&raw);
    seal_buf_clear(&stored);
    g_free(cmd);
    g_free(dat);
    g_free((char *)out);
}

/* RSA and ECDSA signers outside: `openssl pkeyutl -pkeyopt digest:sha256` over the digest
 * handed out. Our verifier accepts the result, and so does `openssl cms -verify` over
 * SignedValue.dat with Signature.xml as the detached content. */
static void external_cms(fixture *f, const signer_keys *k, const char *name)
{
    const char *out = g_strdup(test_path(f->dir, name));
    char *dgst = g_strdup_printf("%s.dgst", out), *sig_path = g_strdup_printf("%s.sig", out);
    char *cms = g_strdup_printf("%s.cms", out), *xml = g_strdup_printf("%s.xml", out);
    seal_stamp_plan plan = plan_for(f, k->cert, out);
    seal_pending_stamp p;
    seal_buf sig = SEAL_BUF_INIT;

    prepare(f, &plan, &p);
    forget_live(&p);
    assert_int_equal(p.digest_len, 32);
    write_bytes(dgst, p.digest, p.digest_len);
    char *cmd = g_strdup_printf("openssl pkeyutl -sign -inkey '%s' -in '%s' -pkeyopt "
                                "digest:sha256 -out '%s'",
                                k->key_path, dgst, sig_path);
    assert_int_equal(run(cmd), 0);
    g_free(cmd);
    read_bytes(sig_path, &sig);
    assert_int_equal(
        seal_verify_digest_signature(p.cert, p.digest, p.digest_len, sig.data, sig.len), 0);
    finish(&p, &sig, NULL);
    assert_verifies(out, "sign");

    cmd = g_strdup_printf("unzip -p '%s' Doc_0/Signs/Sign_0/SignedValue.dat > '%s' && "
                          "unzip -p '%s' Doc_0/Signs/Sign_0/Signature.xml > '%s' && "
                          "openssl cms -verify -inform DER -in '%s' -content '%s' -binary "
                          "-noverify -out /dev/null 2>/dev/null",
                          out, cms, out, xml, cms, xml);
    assert_int_equal(run(cmd), 0);
    g_free(cmd);

    pending_clear(&p);
    seal_buf_clear(&sig);
    g_free(dgst);
    g_free(sig_path);
    g_free(cms);
    g_free(xml);
    g_free((char *)out);
}

static void test_rsa_and_ecdsa_signed_by_openssl(void **state)
{
    fixture *f = *state;
    external_cms(f, &f->rsa, "rsa-openssl.ofd");
    external_cms(f, &f->ecdsa, "ecdsa-openssl.ofd");
}

/* What a PDF signature has and an OFD one does not: refused with words that say so,
 * before anything is written. */
static void test_pdf_only_requests_refused(void **state)
{
    fixture *f = *state;
    const char *out = g_strdup(test_path(f->dir, "refused.ofd"));
    ofd_doc d;
    doc_open(&d, f->input);
    struct {
        seal_stamp_plan plan;
        const char *words;
    } cases[] = {{plan_for(f, f->sm2.cert, out), "no reason or location"},
                 {plan_for(f, f->sm2.cert, out), "no reason or location"},
                 {plan_for(f, f->sm2.cert, out), "certification and form-field locks"},
                 {plan_for(f, f->sm2.cert, out), "certification and form-field locks"},
                 {plan_for(f, f->sm2.cert, out), "drawn on PDF pages only"},
                 {plan_for(f, f->sm2.cert, f->input), "not the input"}};
    cases[0].plan.reason = "approved";
    cases[1].plan.invisible = true;
    cases[2].plan.certify = 2;
    cases[3].plan.lock_fields = "all";
    cases[4].plan.qr_url = "https://example.org/{sha256}";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        seal_pending_stamp p = {0};
        p.cert = f->sm2.cert;
        int rc = ofd_doc_prepare(&d, &cases[i].plan, &p);
        if (rc >= 0 || !strstr(seal_error_last(), cases[i].words))
            fail_msg("case %zu: got %d '%s', wanted '%s'", i, rc, seal_error_last(),
                     cases[i].words);
        assert_null(p.prepared);
        pending_clear(&p);
    }
    assert_false(test_exists(out));
    assert_int_equal(test_temp_files(f->dir), 0);
    doc_close(&d);
    g_free((char *)out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sm2_in_process),
        cmocka_unit_test(test_rsa_from_saved_state),
        cmocka_unit_test(test_failures_keep_it_finishable),
        cmocka_unit_test(test_sm2_signed_by_openssl),
        cmocka_unit_test(test_sm2_raw_signature_stored_as_der),
        cmocka_unit_test(test_rsa_and_ecdsa_signed_by_openssl),
        cmocka_unit_test(test_pdf_only_requests_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
