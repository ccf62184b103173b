/* The document face (seal/doc.h) and the verify driver (seal/verify.h) against real files:
 * the format told by content whatever the name (corpus PDF and OFD, a zip that is no OFD,
 * text, an empty file, renamed files, a vendor's prefixed package, a truncated one); page
 * counts, sizes and text hits against values pdfinfo and the OFD XML give; pages rendered
 * to PNG (header and pixel size read back); a sealed corpus OFD and a PDF signed by
 * Poppler's pdfsig verified through seal_doc_verify and seal_verify_file; and pending
 * stamps written out and read back, then fed truncated, bit-flipped and hostile blobs. */
#include "testutil.h"

#include <seal/doc.h>
#include <seal/error.h>
#include <seal/verify.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *corpus, *dir;
static char ca_pem[512], signed_pdf[512], good_crl[512], signer_pem[512];

static const char *corpus_file(const char *name)
{
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", corpus, name);
    return p;
}

/* A PDF signed by pdfsig with a certificate from a CA the openssl CLI makes, and that
 * CA's CRL: a signature that is not ours, with everything needed to call it VALID. */
static int setup(void **state)
{
    (void)state;
    corpus = test_corpus_dir();
    if (!corpus) {
        fprintf(stderr, "SEAL_CORPUS is not set or missing: skipping the document face tests\n");
        exit(77);
    }
    if (test_run("command -v pdfsig certutil pk12util openssl python3 >/dev/null") != 0) {
        fprintf(stderr, "pdfsig, certutil, pk12util, openssl or python3 missing: skipping\n");
        exit(77);
    }
    dir = test_tmpdir();
    snprintf(ca_pem, sizeof ca_pem, "%s/ca.pem", dir);
    snprintf(signer_pem, sizeof signer_pem, "%s/s.pem", dir);
    snprintf(signed_pdf, sizeof signed_pdf, "%s/signed.pdf", dir);
    snprintf(good_crl, sizeof good_crl, "%s/good.crl", dir);
    int rc = test_make_nss_signer(dir, "Doc");
    if (rc == 0)
        rc = test_run(
            "set -e; cd '%s';"
            "pdfsig -nssdir sql:nss -add-signature -nick signer -new-signature-field-name First "
            "  '%s/pdf/minimal-two-pages.pdf' signed.pdf 2>/dev/null;"
            /* Files to sniff: a zip that is no OFD, text, nothing, renamed documents, a
             * vendor's header before a package, a package cut short. */
            "python3 -c 'import zipfile; z = zipfile.ZipFile(\"plain.zip\", \"w\");"
            "  z.writestr(\"word/document.xml\", \"<w/>\"); z.close()';"
            "echo 'not a document' > text.txt; : > empty.pdf;"
            "cp '%s/pdf/minimal.pdf' pdf-named.ofd; cp '%s/ofd/helloworld.ofd' ofd-named.pdf;"
            "{ printf 'VENDOR-HEADER'; cat '%s/ofd/helloworld.ofd'; } > prefixed.ofd;"
            "head -c 3000 '%s/ofd/invoice-signed.ofd' > truncated.ofd;"
            /* An OFD whose first entry, stored, is a PDF: "%%PDF-" in its first bytes. */
            "python3 -c 'import sys, zipfile; src = zipfile.ZipFile(sys.argv[2]);"
            "  z = zipfile.ZipFile(\"attached.ofd\", \"w\", zipfile.ZIP_STORED);"
            "  z.writestr(\"Doc_0/Attachs/a.pdf\", open(sys.argv[1], \"rb\").read());"
            "  [z.writestr(i, src.read(i)) for i in src.namelist()]; z.close()'"
            "  '%s/pdf/minimal.pdf' '%s/ofd/helloworld.ofd'",
            dir, corpus, corpus, corpus, corpus, corpus, corpus, corpus);
    if (rc != 0) {
        fprintf(stderr, "could not make the test files (exit %d)\n", rc);
        return -1;
    }
    return 0;
}

static const char *tmp_file(const char *name)
{
    return test_path(dir, name);
}

/* ---- sniffing ---- */

static void assert_sniff(const char *path, const char *want)
{
    const char *format = NULL;
    int rc = seal_doc_sniff(path, &format);
    if (want) {
        if (rc != 0)
            fail_msg("%s: %s", path, seal_error_last());
        assert_string_equal(format, want);
    } else {
        assert_int_equal(rc, SEAL_EFORMAT);
        assert_non_null(strstr(seal_error_last(), "neither a PDF nor an OFD document"));
        assert_non_null(strstr(seal_error_last(), path));
    }
}

static void test_sniff_by_content(void **state)
{
    (void)state;
    assert_sniff(corpus_file("pdf/minimal.pdf"), "PDF");
    assert_sniff(corpus_file("pdf/minimal-two-pages.pdf"), "PDF");
    assert_sniff(corpus_file("ofd/helloworld.ofd"), "OFD");
    assert_sniff(corpus_file("ofd/two-seals-v4.ofd"), "OFD");
    /* The name says nothing. */
    assert_sniff(tmp_file("pdf-named.ofd"), "PDF");
    assert_sniff(tmp_file("ofd-named.pdf"), "OFD");
    assert_sniff(tmp_file("attached.ofd"), "OFD");
    /* A vendor's header before the archive (OFD-SEAL.md 7). */
    assert_sniff(tmp_file("prefixed.ofd"), "OFD");
    /* Neither. */
    assert_sniff(tmp_file("plain.zip"), NULL);
    assert_sniff(tmp_file("text.txt"), NULL);
    assert_sniff(tmp_file("empty.pdf"), NULL);
    assert_sniff(dir, NULL); /* a folder */
    const char *format = NULL;
    assert_int_equal(seal_doc_sniff(tmp_file("missing.pdf"), &format), SEAL_EIO);
    assert_non_null(strstr(seal_error_last(), "cannot open"));
}

/* A zip cut short is an OFD package that cannot be read: the reader says so, naming the
 * file, rather than "not a document". */
static void test_truncated_package(void **state)
{
    (void)state;
    seal_doc *doc = NULL;
    const char *path = tmp_file("truncated.ofd");
    assert_int_equal(seal_doc_open(&doc, path, NULL), SEAL_EFORMAT);
    assert_null(doc);
    assert_non_null(strstr(seal_error_last(), "is not a readable OFD package"));
    assert_non_null(strstr(seal_error_last(), path));
}

/* ---- pages and text ---- */

static void test_pages(void **state)
{
    (void)state;
    seal_doc *doc = NULL;
    double w, h;
    /* pdfinfo: 2 pages of 300 x 144 pt. */
    assert_int_equal(seal_doc_open(&doc, corpus_file("pdf/minimal-two-pages.pdf"), NULL), 0);
    assert_string_equal(seal_doc_format(doc), "PDF");
    assert_int_equal(seal_doc_page_count(doc), 2);
    assert_int_equal(seal_doc_page_size(doc, 2, &w, &h), 0);
    assert_true(fabs(w - 300 * 25.4 / 72) < 0.01 && fabs(h - 144 * 25.4 / 72) < 0.01);
    assert_int_equal(seal_doc_page_size(doc, 3, &w, &h), SEAL_ENOTFOUND);
    assert_non_null(strstr(seal_error_last(), "page 3 does not exist (document has 2 pages)"));
    seal_doc_free(doc);

    /* helloworld.ofd: one A4 page (PageArea PhysicalBox 0 0 210 297). */
    assert_int_equal(seal_doc_open(&doc, corpus_file("ofd/helloworld.ofd"), NULL), 0);
    assert_string_equal(seal_doc_format(doc), "OFD");
    assert_int_equal(seal_doc_page_count(doc), 1);
    assert_int_equal(seal_doc_page_size(doc, 1, &w, &h), 0);
    assert_true(fabs(w - 210) < 1e-9 && fabs(h - 297) < 1e-9);
    assert_int_equal(seal_doc_page_size(doc, 4, &w, &h), SEAL_ENOTFOUND);
    seal_doc_free(doc);

    /* seam-v4.ofd: five pages (pdfinfo of its PDF rendering agrees, ofd_render.sh). */
    assert_int_equal(seal_doc_open(&doc, corpus_file("ofd/seam-v4.ofd"), NULL), 0);
    assert_int_equal(seal_doc_page_count(doc), 5);
    seal_place_doc view;
    seal_doc_place_view(&view, doc);
    assert_int_equal(view.page_count, 5);
    assert_int_equal(view.page_size(view.ctx, 5, &w, &h), 0);
    seal_doc_free(doc);
}

static void test_find_text(void **state)
{
    (void)state;
    seal_doc *doc = NULL;
    seal_text_hits hits;
    /* keyword.ofd TextObject 15: 李 at x 191.7523 (test_ofd_text.c). */
    assert_int_equal(seal_doc_open(&doc, corpus_file("ofd/keyword.ofd"), NULL), 0);
    assert_int_equal(seal_doc_find_text(doc, "李伟", &hits), 0);
    assert_int_equal(hits.count, 1);
    assert_int_equal(hits.hits[0].page, 1);
    assert_true(fabs(hits.hits[0].box[0] - 191.7523) < 0.01);
    seal_text_hits_clear(&hits);
    assert_int_equal(seal_doc_find_text(doc, "no such words here", &hits), 0);
    assert_int_equal(hits.count, 0);
    seal_doc_free(doc);

    /* pdftotext: "Hello World" on page 1, "Second Page" on page 2. */
    assert_int_equal(seal_doc_open(&doc, corpus_file("pdf/minimal-two-pages.pdf"), NULL), 0);
    assert_int_equal(seal_doc_find_text(doc, "Second", &hits), 0);
    assert_int_equal(hits.count, 1);
    assert_int_equal(hits.hits[0].page, 2);
    seal_text_hits_clear(&hits);
    seal_doc_free(doc);
}

/* ---- rendering ---- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The PNG signature, then IHDR's width and height (ISO/IEC 15948 5.2, 11.2.2). */
static void assert_png(const seal_buf *png, uint32_t width, uint32_t height)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    assert_true(png->len > 33);
    assert_memory_equal(png->data, sig, 8);
    assert_memory_equal(png->data + 12, "IHDR", 4);
    assert_int_equal(be32(png->data + 16), width);
    assert_int_equal(be32(png->data + 20), height);
}

static void test_render(void **state)
{
    (void)state;
    seal_doc *doc = NULL;
    seal_buf out = SEAL_BUF_INIT;
    seal_doc_render_opts opts = {.dpi = 72};

    /* 210 x 297 mm at 72 dpi: ceil(595.3) x ceil(841.9). */
    assert_int_equal(seal_doc_open(&doc, corpus_file("ofd/helloworld.ofd"), NULL), 0);
    assert_int_equal(seal_doc_render_png(doc, 1, &opts, &out), 0);
    assert_png(&out, 596, 842);
    assert_int_equal(seal_doc_render_png(doc, 2, &opts, &out), SEAL_ENOTFOUND);
    opts.dpi = 2400;
    assert_int_equal(seal_doc_render_png(doc, 1, &opts, &out), SEAL_EPOLICY);
    opts.dpi = 72;
    assert_int_equal(seal_doc_render_pdf(doc, NULL, &out), 0);
    assert_true(out.len > 5 && memcmp(out.data, "%PDF-", 5) == 0);
    seal_doc_free(doc);

    /* 300 x 144 pt at 72 dpi: one pixel a point. */
    assert_int_equal(seal_doc_open(&doc, corpus_file("pdf/minimal-two-pages.pdf"), NULL), 0);
    assert_int_equal(seal_doc_render_png(doc, 2, &opts, &out), 0);
    assert_png(&out, 300, 144);
    assert_int_equal(seal_doc_render_png(doc, 3, &opts, &out), SEAL_ENOTFOUND);
    assert_non_null(strstr(seal_error_last(), "page 3 does not exist (document has 2 pages)"));
    assert_int_equal(seal_doc_render_pdf(doc, NULL, &out), SEAL_EUNSUPPORTED);
    seal_doc_free(doc);
    seal_buf_clear(&out);
}

/* ---- verification ---- */

static const seal_check *find_check(const seal_sig_report *s, const char *name)
{
    for (size_t i = 0; i < s->n_checks; i++)
        if (strcmp(s->checks[i].name, name) == 0)
            return &s->checks[i];
    return NULL;
}

/* SESV4SignDoc.ofd: one GB/T 38540 v4 seal whose signatures, data hash and references
 * hold (its seal's validity has passed, and its CA is not ours). */
static void assert_sealed_ofd_report(const seal_report *r, const char *name)
{
    assert_string_equal(r->format, "ofd");
    assert_string_equal(r->file, name);
    assert_int_equal(r->n_sigs, 1);
    const char *valid[] = {"references", "data-hash", "signature", "maker-signature"};
    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        const seal_check *c = find_check(&r->sigs[0], valid[i]);
        assert_non_null(c);
        assert_int_equal(c->outcome, SEAL_VERDICT_VALID);
    }
    assert_int_not_equal(r->verdict, SEAL_VERDICT_VALID);
}

static void test_verify_ofd(void **state)
{
    (void)state;
    const char *path = corpus_file("ofd/SESV4SignDoc.ofd");
    seal_doc *doc = NULL;
    seal_report *r = NULL;
    assert_int_equal(seal_doc_open(&doc, path, NULL), 0);
    assert_int_equal(seal_doc_verify(doc, NULL, &r), 0);
    assert_sealed_ofd_report(r, path);
    seal_report_free(r);
    seal_doc_free(doc);

    seal_verify_file_opts opts = {.offline = true};
    assert_int_equal(seal_verify_file(&r, path, &opts), 0);
    assert_sealed_ofd_report(r, path);
    seal_report_free(r);

    /* From a descriptor: the name given is the report's. */
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(seal_verify_fd(&r, fd, "upload.ofd", &opts), 0);
    assert_sealed_ofd_report(r, "upload.ofd");
    seal_report_free(r);
    close(fd);
}

static void test_verify_pdf(void **state)
{
    (void)state;
    seal_report *r = NULL;
    seal_doc *doc = NULL;
    /* With the CA as anchor and its CRL: valid, covering the whole file. */
    const char *trust[] = {ca_pem}, *evidence[] = {good_crl};
    seal_verify_file_opts opts = {.trust_paths = trust,
                                  .n_trust_paths = 1,
                                  .evidence_paths = evidence,
                                  .n_evidence_paths = 1,
                                  .offline = true};
    if (seal_verify_file(&r, signed_pdf, &opts) != 0)
        fail_msg("%s", seal_error_last());
    assert_string_equal(r->format, "pdf");
    assert_int_equal(r->n_sigs, 1);
    assert_string_equal(r->sigs[0].signer_name, "Doc Signer");
    assert_string_equal(r->sigs[0].coverage, "entire file");
    assert_int_equal(r->verdict, SEAL_VERDICT_VALID);
    seal_report_free(r);

    /* Through the face without anchors: the signature holds, the chain cannot be judged. */
    assert_int_equal(seal_doc_open(&doc, signed_pdf, NULL), 0);
    assert_int_equal(seal_doc_verify(doc, NULL, &r), 0);
    assert_int_equal(r->n_sigs, 1);
    assert_int_equal(find_check(&r->sigs[0], "signature")->outcome, SEAL_VERDICT_VALID);
    assert_int_equal(r->verdict, SEAL_VERDICT_INDETERMINATE);
    seal_report_free(r);
    seal_doc_free(doc);

    /* An anchor that is not a certificate: the driver says which input is wrong. */
    const char *bad[] = {tmp_file("text.txt")};
    opts.trust_paths = bad;
    assert_true(seal_verify_file(&r, signed_pdf, &opts) < 0);
    assert_null(r);
    /* Not a document. */
    opts.n_trust_paths = 0;
    assert_int_equal(seal_verify_file(&r, tmp_file("plain.zip"), &opts), SEAL_EFORMAT);
    assert_null(r);
}

/* ---- two phases: what this build refuses ---- */

/* What a format cannot be asked for is refused by name before anything is prepared. */
static void test_check_plan(void **state)
{
    (void)state;
    seal_stamp_plan plan = {.reason = "approved"};
    assert_int_equal(seal_doc_check_plan("PDF", &plan), 0);
    assert_int_equal(seal_doc_check_plan("OFD", &plan), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "no reason or location"));
    plan = (seal_stamp_plan){.validation_data = true};
    assert_int_equal(seal_doc_check_plan("PDF", &plan), 0);
    assert_int_equal(seal_doc_check_plan("OFD", &plan), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "PAdES levels"));
    plan = (seal_stamp_plan){.lock = true};
    assert_int_equal(seal_doc_check_plan("OFD", &plan), 0);
    assert_int_equal(seal_doc_check_plan("PDF", &plan), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "for OFD documents"));
    assert_int_equal(seal_doc_check_plan("DOCX", &plan), SEAL_EFORMAT);

    char how[64];
    plan = (seal_stamp_plan){.certify = 2, .timestamp = true};
    seal_doc_describe("PDF", &plan, SEAL_ALG_RSA, "B-T", how, sizeof how);
    assert_string_equal(how, "PAdES B-T, certifying");
    plan = (seal_stamp_plan){.lock = true, .timestamp = true};
    seal_doc_describe("OFD", &plan, SEAL_ALG_SM2, "B-T", how, sizeof how);
    assert_string_equal(how, "OFD Type=Seal, timestamped, document locked");
}

/* ---- pending stamps as bytes ---- */

static seal_pending_stamp *pending_by_hand(void)
{
    seal_pending_stamp *p = calloc(1, sizeof *p);
    assert_non_null(p);
    p->format = strdup("OFD");
    p->output = strdup("/srv/out/contract.ofd");
    p->prepared = strdup("/srv/out/contract.ofd.prepared");
    assert_int_equal(seal_buf_set(&p->to_sign, "<Signature>the bytes signed</Signature>", 39), 0);
    for (size_t i = 0; i < 32; i++)
        p->digest[i] = (uint8_t)(i * 7 + 1);
    p->digest_len = 32;
    p->alg = SEAL_ALG_SM2;
    assert_int_equal(seal_cert_load(&p->cert, corpus_file("ofd/sign_cert.pem")), 0);
    p->chain = sk_X509_new_null();
    X509 *a = NULL, *b = NULL;
    assert_int_equal(seal_cert_load(&a, signer_pem), 0);
    assert_int_equal(seal_cert_load(&b, ca_pem), 0);
    sk_X509_push(p->chain, a);
    sk_X509_push(p->chain, b);
    p->timestamp = true;
    p->digests.md = EVP_sm3();
    p->digests.len = 32;
    memset(p->digests.before, 0xab, 32);
    assert_int_equal(seal_buf_set(&p->state, "\x01\x02\x00\x03 adapter state", 19), 0);
    return p;
}

static void test_pending_round_trip(void **state)
{
    (void)state;
    seal_pending_stamp *p = pending_by_hand(), *q = NULL;
    seal_buf der = SEAL_BUF_INIT, again = SEAL_BUF_INIT;
    assert_int_equal(seal_pending_stamp_save(p, &der), 0);
    assert_int_equal(seal_pending_stamp_load(&q, der.data, der.len), 0);
    assert_string_equal(q->format, "OFD");
    assert_string_equal(q->output, p->output);
    assert_string_equal(q->prepared, p->prepared);
    assert_int_equal(q->to_sign.len, p->to_sign.len);
    assert_memory_equal(q->to_sign.data, p->to_sign.data, p->to_sign.len);
    assert_int_equal(q->digest_len, 32);
    assert_memory_equal(q->digest, p->digest, 32);
    assert_int_equal(q->alg, SEAL_ALG_SM2);
    assert_int_equal(X509_cmp(q->cert, p->cert), 0);
    assert_int_equal(sk_X509_num(q->chain), 2);
    assert_int_equal(X509_cmp(sk_X509_value(q->chain, 1), sk_X509_value(p->chain, 1)), 0);
    assert_true(q->timestamp);
    assert_int_equal(EVP_MD_get_type(q->digests.md), EVP_MD_get_type(EVP_sm3()));
    assert_memory_equal(q->digests.before, p->digests.before, 32);
    assert_int_equal(q->state.len, p->state.len);
    assert_memory_equal(q->state.data, p->state.data, p->state.len);
    assert_null(q->live);
    /* The same bytes again: nothing lost or added on the way. */
    assert_int_equal(seal_pending_stamp_save(q, &again), 0);
    assert_int_equal(again.len, der.len);
    assert_memory_equal(again.data, der.data, der.len);
    seal_pending_stamp_free(q);

    /* Optional fields absent: no prepared file, no certificate yet, no digests. */
    free(p->prepared);
    p->prepared = NULL;
    X509_free(p->cert);
    p->cert = NULL;
    p->digests.md = NULL;
    p->digests.len = 0;
    seal_buf_clear(&again);
    assert_int_equal(seal_pending_stamp_save(p, &again), 0);
    assert_int_equal(seal_pending_stamp_load(&q, again.data, again.len), 0);
    assert_null(q->prepared);
    assert_null(q->cert);
    assert_null(q->digests.md);
    seal_pending_stamp_free(q);

    /* A finish with a format nobody knows, or without a signature, is refused. */
    free(p->format);
    p->format = strdup("DOCX");
    assert_int_equal(seal_doc_finish(p, (const uint8_t *)"sig", 3, NULL, NULL), SEAL_EFORMAT);
    assert_int_equal(seal_doc_finish(p, NULL, 0, NULL, NULL), SEAL_EINVAL);
    seal_pending_stamp_free(p);
    seal_buf_clear(&der);
    seal_buf_clear(&again);
}

/* Loads `len` bytes from a copy the size of the input (so that ASan sees any read past
 * the end); returns the code. A success must give a complete stamp. */
static int load_copy(const uint8_t *data, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, data, len);
    seal_pending_stamp *q = NULL;
    int rc = seal_pending_stamp_load(&q, copy, len);
    if (rc == 0) {
        assert_non_null(q->format);
        assert_non_null(q->output);
        assert_true(q->digest_len >= 1 && q->digest_len <= sizeof q->digest);
    } else {
        assert_null(q);
        assert_true(seal_error_last()[0] != '\0');
    }
    seal_pending_stamp_free(q);
    free(copy);
    return rc;
}

/* A copy of `der` with `len` bytes at `at` replaced by `with`: refused with SEAL_EFORMAT,
 * the message naming `words`. */
static void assert_refused(const seal_buf *der, size_t at, const void *with, size_t len,
                           const char *words)
{
    uint8_t *copy = malloc(der->len);
    memcpy(copy, der->data, der->len);
    memcpy(copy + at, with, len);
    assert_int_equal(load_copy(copy, der->len), SEAL_EFORMAT);
    if (!strstr(seal_error_last(), words))
        fail_msg("expected '%s' in: %s", words, seal_error_last());
    free(copy);
}

/* Where `what` first (or, with `last`, last) occurs in `b`. */
static size_t find_at(const seal_buf *b, const void *what, size_t len, bool last)
{
    size_t found = b->len;
    for (size_t i = 0; i + len <= b->len; i++) {
        if (memcmp(b->data + i, what, len) == 0) {
            found = i;
            if (!last)
                break;
        }
    }
    assert_true(found < b->len);
    return found;
}

static size_t find(const seal_buf *b, const void *what, size_t len)
{
    return find_at(b, what, len, false);
}

static void test_pending_hostile(void **state)
{
    (void)state;
    seal_pending_stamp *p = pending_by_hand();
    seal_buf der = SEAL_BUF_INIT;
    assert_int_equal(seal_pending_stamp_save(p, &der), 0);
    seal_pending_stamp_free(p);

    /* Every truncation, the empty blob included. */
    for (size_t n = 0; n < der.len; n++)
        assert_int_equal(load_copy(der.data, n), SEAL_EFORMAT);
    /* A byte more. */
    uint8_t *longer = malloc(der.len + 1);
    memcpy(longer, der.data, der.len);
    longer[der.len] = 0;
    assert_int_equal(load_copy(longer, der.len + 1), SEAL_EFORMAT);
    assert_non_null(strstr(seal_error_last(), "followed by 1 more bytes"));
    free(longer);
    /* Every single bit flipped, one at a time: refused, or read as a complete stamp
     * (a flip inside the bytes to sign is still a well-formed stamp), never a crash. */
    size_t refused = 0;
    for (size_t i = 0; i < der.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            der.data[i] ^= (uint8_t)(1u << bit);
            if (load_copy(der.data, der.len) < 0)
                refused++;
            der.data[i] ^= (uint8_t)(1u << bit);
        }
    }
    assert_true(refused > 0);
    /* Garbage. */
    uint8_t noise[4096];
    srand(11);
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof noise; i++)
            noise[i] = (uint8_t)rand();
        size_t len = (size_t)rand() % sizeof noise;
        assert_int_equal(load_copy(noise, len), SEAL_EFORMAT);
    }
    /* A SEQUENCE claiming more than there is. */
    const uint8_t huge[] = {0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x02, 0x01, 0x01};
    assert_int_equal(load_copy(huge, sizeof huge), SEAL_EFORMAT);

    /* Fields a newer or hostile writer could put there. The version is the INTEGER right
     * after the SEQUENCE's header. */
    size_t version = find(&der, "\x02\x01\x01", 3);
    assert_refused(&der, version + 2, "\x02", 1, "version 2");
    assert_refused(&der, find(&der, "OFD", 3), "ZIP", 3, "format this version does not know");
    assert_refused(&der, find(&der, "sm2", 3), "dsa", 3, "not rsa, ecdsa or sm2");
    assert_refused(&der, find(&der, "contract.ofd", 12), "contract\0ofd", 12, "not UTF-8 text");
    /* The timestamp flag: the last BOOLEAN (certificates before it have their own). */
    assert_refused(&der, find_at(&der, "\x01\x01\xff", 3, true), "\x01\x01\x01", 3,
                   "not a DER BOOLEAN");
    seal_buf_clear(&der);
}

/* Cairo 1.16 leaves one 192-byte array behind when a PDF surface with embedded font subsets
 * is finished after other renders in the same process (seal_doc_render_pdf after
 * seal_doc_render_png here; a single `sealsvc render -o x.pdf` leaks nothing, which the
 * integration tests check under AddressSanitizer). It is let go in this test alone. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libcairo.so.2\n";
}

/* Rendering loads fontconfig's configuration (Poppler looks fonts up through it), kept for
 * the process's life; it is given back here so that LeakSanitizer sees only what the
 * library itself leaks. FcFini is looked up rather than linked: fontconfig comes with
 * Cairo and Poppler, not as a dependency of ours. */
static int teardown(void **state)
{
    (void)state;
    void (*fc_fini)(void) = NULL;
    *(void **)&fc_fini = dlsym(RTLD_DEFAULT, "FcFini");
    if (fc_fini)
        fc_fini();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff_by_content),
        cmocka_unit_test(test_truncated_package),
        cmocka_unit_test(test_pages),
        cmocka_unit_test(test_find_text),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_verify_ofd),
        cmocka_unit_test(test_verify_pdf),
        cmocka_unit_test(test_check_plan),
        cmocka_unit_test(test_pending_round_trip),
        cmocka_unit_test(test_pending_hostile),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
