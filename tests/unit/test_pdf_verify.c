/* The PDF verifier against signatures we did not make: Poppler's pdfsig signs corpus files
 * with a certificate from a CA made by the openssl CLI (NSS database via certutil and
 * pk12util), whose CRLs `openssl ca` makes. Then: intact, tampered inside the signed
 * range, a page appended in a later incremental update, a second signature on top,
 * unsigned, and damaged files; the signer revoked before and after it signed, or with
 * no revocation evidence at all; and signers whose certificates had expired, or were not
 * yet valid, at the claimed signing time (/M). */
#include "testutil.h"

#include <seal/error.h>
#include <seal/pdf.h>
#include <seal/revocation.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;
static char signed_pdf[512], signed_two_pdf[512], double_pdf[512], ca_pem[512];
static char expired_pdf[512], future_pdf[512];

static int setup(void **state)
{
    (void)state;
    const char *corpus = test_corpus_dir();
    if (!corpus) {
        fprintf(stderr, "SEAL_CORPUS is not set or missing: skipping the PDF verify tests\n");
        exit(77);
    }
    if (test_run("command -v pdfsig certutil pk12util openssl >/dev/null") != 0) {
        fprintf(stderr, "pdfsig, certutil, pk12util or openssl missing: skipping\n");
        exit(77);
    }
    dir = test_tmpdir();
    snprintf(ca_pem, sizeof ca_pem, "%s/ca.pem", dir);
    snprintf(signed_pdf, sizeof signed_pdf, "%s/signed.pdf", dir);
    snprintf(signed_two_pdf, sizeof signed_two_pdf, "%s/signed-two.pdf", dir);
    snprintf(double_pdf, sizeof double_pdf, "%s/double.pdf", dir);
    snprintf(expired_pdf, sizeof expired_pdf, "%s/expired.pdf", dir);
    snprintf(future_pdf, sizeof future_pdf, "%s/future.pdf", dir);
    int rc = test_make_nss_signer(dir, "Verify");
    if (rc == 0)
        rc = test_run(
            "set -e; cd '%s';"
            "pdfsig -nssdir sql:nss -add-signature -nick signer -new-signature-field-name First "
            "  '%s/pdf/minimal.pdf' signed.pdf 2>/dev/null;"
            "pdfsig -nssdir sql:nss -add-signature -nick signer -new-signature-field-name First "
            "  '%s/pdf/minimal-two-pages.pdf' signed-two.pdf 2>/dev/null;"
            "pdfsig -nssdir sql:nss -add-signature -nick signer -new-signature-field-name Second "
            "  signed.pdf double.pdf 2>/dev/null;"
            /* CRLs by openssl ca: none revoked; the signer revoked a second after it signed;
             * the same entry dated 2020, before it signed. */
            "sleep 1; openssl ca -config ca.cnf -revoke s.pem -crl_reason keyCompromise "
            "2>/dev/null;"
            "openssl ca -config ca.cnf -gencrl -out revoked-later.crl 2>/dev/null;"
            "awk -F'\\t' -v OFS='\\t' '{ $3 = \"200101000000Z,keyCompromise\"; print }' index.txt "
            "  > index.new && mv index.new index.txt;"
            "openssl ca -config ca.cnf -gencrl -out revoked-before.crl 2>/dev/null;"
            /* Signers valid only in 2000 and only in 2099, by the same CA (its own database,
             * so the CRLs above stay as they are); pdfsig signs with either all the same. */
            "mkdir dated dated/new; touch dated/index.txt; echo 10 > dated/serial;"
            "printf '[ca]\\ndefault_ca = d\\n[d]\\ndatabase = dated/index.txt\\n"
            "new_certs_dir = dated/new\\ncertificate = ca.pem\\nprivate_key = ca.key\\n"
            "serial = dated/serial\\ndefault_md = sha256\\npolicy = p\\nx509_extensions = e\\n"
            "[p]\\ncommonName = supplied\\n[e]\\nkeyUsage = critical,digitalSignature,"
            "nonRepudiation\\n' > dated/ca.cnf;"
            "for k in expired:20000101000000Z:20010101000000Z "
            "future:20990101000000Z:20991231000000Z; "
            "do"
            "  n=${k%%%%:*}; d=${k#*:};"
            "  openssl req -newkey rsa:2048 -nodes -keyout dated/$n.key -out dated/$n.csr "
            "    -subj \"/CN=$n signer\" 2>/dev/null;"
            "  openssl ca -batch -config dated/ca.cnf -in dated/$n.csr -out dated/$n.pem "
            "    -startdate ${d%%:*} -enddate ${d#*:} 2>/dev/null;"
            "  openssl pkcs12 -export -inkey dated/$n.key -in dated/$n.pem -certfile ca.pem -name "
            "$n "
            "    -out dated/$n.p12 -passout pass:pw;"
            "  pk12util -i dated/$n.p12 -d sql:nss -W pw >/dev/null;"
            "  pdfsig -nssdir sql:nss -add-signature -nick $n '%s/pdf/minimal.pdf' $n.pdf "
            "2>/dev/null;"
            "done",
            dir, corpus, corpus, corpus);
    if (rc != 0) {
        fprintf(stderr, "could not make signed PDFs with pdfsig (exit %d)\n", rc);
        return -1;
    }
    return 0;
}

static const seal_check *find_check(const seal_sig_report *s, const char *name)
{
    for (size_t i = 0; i < s->n_checks; i++)
        if (strcmp(s->checks[i].name, name) == 0)
            return &s->checks[i];
    return NULL;
}

static void assert_check(const seal_sig_report *s, const char *name, seal_verdict v)
{
    const seal_check *c = find_check(s, name);
    if (!c)
        fail_msg("no '%s' check in the report", name);
    if (c->outcome != v)
        fail_msg("check '%s' is %s (%s), expected %s", name, seal_verdict_name(c->outcome),
                 c->detail, seal_verdict_name(v));
}

/* The test CA as anchor; revocation judged offline by `crl` (NULL: no evidence). */
static seal_trust *trust_ca_with(const char *crl)
{
    seal_trust *t;
    seal_revocation *rv;
    seal_revocation_opts o = {.offline = true};
    assert_int_equal(seal_trust_new(&t), 0);
    assert_int_equal(seal_trust_add_path(t, ca_pem), 0);
    assert_int_equal(seal_revocation_new(&rv, &o), 0);
    if (crl)
        assert_int_equal(seal_revocation_add_file(rv, test_path(dir, crl)), 0);
    seal_trust_set_revocation(t, rv);
    return t;
}

static seal_trust *trust_ca(void)
{
    return trust_ca_with("good.crl");
}

static void copy_file(const char *from, const char *to)
{
    assert_int_equal(test_run("cp '%s' '%s' && chmod u+w '%s'", from, to, to), 0);
}

static void test_intact_signature(void **state)
{
    (void)state;
    seal_report *r;
    seal_trust *t = trust_ca();
    assert_int_equal(seal_pdf_verify(&r, signed_pdf, t), 0);
    assert_int_equal(r->n_sigs, 1);
    const seal_sig_report *s = &r->sigs[0];
    assert_string_equal(s->field_name, "First");
    assert_string_equal(s->coverage, "entire file");
    assert_string_equal(s->signer_name, "Verify Signer");
    assert_string_equal(s->algorithm, "rsa");
    assert_string_equal(s->digest, "sha256");
    assert_int_equal(s->page, 1);
    assert_false(s->visible);
    assert_true(s->signing_time > 0);
    assert_check(s, "byte-range", SEAL_VERDICT_VALID);
    assert_check(s, "contents", SEAL_VERDICT_VALID);
    assert_check(s, "digest", SEAL_VERDICT_VALID);
    assert_check(s, "signature", SEAL_VERDICT_VALID);
    assert_check(s, "signing-cert", SEAL_VERDICT_VALID);
    assert_check(s, "chain", SEAL_VERDICT_VALID);
    assert_check(s, "revocation", SEAL_VERDICT_VALID);
    assert_int_equal(r->verdict, SEAL_VERDICT_VALID);
    seal_report_free(r);
    seal_trust_free(t);

    /* Without the CA the signature is intact but its signer is unknown. */
    assert_int_equal(seal_trust_new(&t), 0);
    assert_int_equal(seal_pdf_verify(&r, signed_pdf, t), 0);
    assert_check(&r->sigs[0], "chain", SEAL_VERDICT_INDETERMINATE);
    assert_check(&r->sigs[0], "digest", SEAL_VERDICT_VALID);
    assert_int_equal(r->verdict, SEAL_VERDICT_INDETERMINATE);
    assert_string_equal(r->reason, "NO_CERTIFICATE_CHAIN_FOUND");
    seal_report_free(r);
    seal_trust_free(t);
}

static void test_byte_changed_in_signed_range(void **state)
{
    (void)state;
    const char *path = test_path(dir, "tampered.pdf");
    copy_file(signed_pdf, path);
    seal_buf b = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_read_file(&b, path, 64 << 20), 0);
    uint8_t *hello = memmem(b.data, b.len, "Hello World", 11);
    assert_non_null(hello);
    hello[0] = 'J'; /* same length, so every offset stays right */
    assert_int_equal(seal_buf_write_file(&b, path, 0644), 0);
    seal_buf_clear(&b);

    seal_report *r;
    seal_trust *t = trust_ca();
    assert_int_equal(seal_pdf_verify(&r, path, t), 0);
    assert_int_equal(r->n_sigs, 1);
    assert_check(&r->sigs[0], "digest", SEAL_VERDICT_INVALID);
    assert_int_equal(r->verdict, SEAL_VERDICT_INVALID);
    assert_string_equal(r->reason, "HASH_FAILURE");
    seal_report_free(r);
    seal_trust_free(t);
}

/* Appends an incremental update (ISO 32000-1 7.5.6) that adds a page: a new page object,
 * a new page tree root /Kids, a classic xref section and a trailer with /Prev. */
static void append_page(const char *path)
{
    seal_buf b = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_read_file(&b, path, 64 << 20), 0);
    const char *tail = (const char *)b.data + (b.len > 600 ? b.len - 600 : 0);
    const char *sx = NULL, *size_key = NULL;
    for (const char *p = tail;
         (p = memmem(p, (size_t)((const char *)b.data + b.len - p), "startxref", 9)); p++)
        sx = p;
    for (const char *p = tail;
         (p = memmem(p, (size_t)((const char *)b.data + b.len - p), "/Size", 5)); p++)
        size_key = p;
    assert_non_null(sx);
    assert_non_null(size_key);
    long prev = strtol(sx + 9, NULL, 10);
    long size = strtol(size_key + 5, NULL, 10);
    assert_true(prev > 0 && size > 4);

    size_t page_at = b.len + 1;
    seal_buf_printf(&b,
                    "\n%ld 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] >>\n"
                    "endobj\n",
                    size);
    size_t pages_at = b.len;
    seal_buf_printf(&b,
                    "2 0 obj\n<< /Type /Pages /Kids [3 0 R %ld 0 R] /Count 2 "
                    "/MediaBox [0 0 300 144] >>\nendobj\n",
                    size);
    size_t xref_at = b.len;
    seal_buf_printf(&b,
                    "xref\n0 1\n0000000000 65535 f \n2 1\n%010zu 00000 n \n%ld 1\n"
                    "%010zu 00000 n \ntrailer\n<< /Size %ld /Root 1 0 R /Prev %ld >>\n"
                    "startxref\n%zu\n%%%%EOF\n",
                    pages_at, size, page_at, size + 1, prev, xref_at);
    assert_int_equal(seal_buf_write_file(&b, path, 0644), 0);
    seal_buf_clear(&b);
}

static void test_page_appended_after_signing(void **state)
{
    (void)state;
    const char *path = test_path(dir, "appended.pdf");
    copy_file(signed_pdf, path);
    append_page(path);
    assert_int_equal(test_run("qpdf --check '%s' >/dev/null", path), 0);

    seal_report *r;
    seal_trust *t = trust_ca();
    assert_int_equal(seal_pdf_verify(&r, path, t), 0);
    assert_int_equal(r->n_sigs, 1);
    const seal_sig_report *s = &r->sigs[0];
    assert_string_equal(s->coverage, "entire revision");
    assert_check(s, "digest", SEAL_VERDICT_VALID);
    assert_check(s, "changes", SEAL_VERDICT_INVALID);
    assert_int_equal(r->verdict, SEAL_VERDICT_INVALID);
    assert_string_equal(r->reason, "MODIFIED_AFTER_SIGNING");
    bool page_added = false, tree_changed = false;
    for (size_t i = 0; i < s->n_changes; i++) {
        page_added |= strstr(s->changes[i], "page 2 added") != NULL;
        tree_changed |= strstr(s->changes[i], "object 2 (page tree)") != NULL;
    }
    assert_true(page_added);
    assert_true(tree_changed);
    seal_report_free(r);
    seal_trust_free(t);
}

static void test_second_signature_is_an_allowed_change(void **state)
{
    (void)state;
    seal_report *r;
    seal_trust *t = trust_ca();
    assert_int_equal(seal_pdf_verify(&r, double_pdf, t), 0);
    assert_int_equal(r->n_sigs, 2);
    const seal_sig_report *first =
        strcmp(r->sigs[0].field_name, "First") == 0 ? &r->sigs[0] : &r->sigs[1];
    const seal_sig_report *second = first == &r->sigs[0] ? &r->sigs[1] : &r->sigs[0];
    assert_string_equal(first->coverage, "entire revision");
    assert_check(first, "changes", SEAL_VERDICT_VALID);
    assert_int_equal(first->n_changes, 0);
    assert_string_equal(second->coverage, "entire file");
    assert_int_equal(r->verdict, SEAL_VERDICT_VALID);
    seal_report_free(r);
    seal_trust_free(t);
}

static void test_two_pages_signed(void **state)
{
    (void)state;
    seal_report *r;
    seal_trust *t = trust_ca();
    assert_int_equal(seal_pdf_verify(&r, signed_two_pdf, t), 0);
    assert_int_equal(r->n_sigs, 1);
    assert_string_equal(r->sigs[0].coverage, "entire file");
    assert_check(&r->sigs[0], "digest", SEAL_VERDICT_VALID);
    assert_check(&r->sigs[0], "signature", SEAL_VERDICT_VALID);
    seal_report_free(r);
    seal_trust_free(t);
}

static void test_unsigned_and_damaged(void **state)
{
    (void)state;
    seal_report *r;
    seal_trust *t;
    assert_int_equal(seal_trust_new(&t), 0);
    const char *plain = test_path(test_corpus_dir(), "pdf/minimal.pdf");
    assert_int_equal(seal_pdf_verify(&r, plain, t), 0);
    assert_int_equal(r->n_sigs, 0);
    assert_int_equal(r->verdict, SEAL_VERDICT_INDETERMINATE);
    assert_string_equal(r->reason, "NO_SIGNATURE");
    seal_report_free(r);

    /* Truncated signed file, garbage, and an empty file: errors, never a crash. */
    seal_buf b = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_read_file(&b, signed_pdf, 64 << 20), 0);
    const char *cut = test_path(dir, "truncated.pdf");
    for (size_t keep = 10; keep < b.len; keep = keep * 3 + 7) {
        seal_buf part = SEAL_BUF_INIT;
        assert_int_equal(seal_buf_set(&part, b.data, keep), 0);
        assert_int_equal(seal_buf_write_file(&part, cut, 0644), 0);
        seal_buf_clear(&part);
        r = NULL;
        int rc = seal_pdf_verify(&r, cut, t);
        if (rc == 0) {
            /* Cut inside the old revision tail: then the signature must not be VALID. */
            assert_true(r->verdict != SEAL_VERDICT_VALID);
            seal_report_free(r);
        } else {
            assert_int_equal(rc, SEAL_EFORMAT);
            assert_true(strlen(seal_error_last()) > 0);
        }
    }
    seal_buf_clear(&b);

    const char *junk = test_path(dir, "garbage.pdf");
    seal_buf g = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_append_str(&g, "%PDF-1.7\nthis is not a PDF\nstartxref\n9\n"), 0);
    assert_int_equal(seal_buf_write_file(&g, junk, 0644), 0);
    seal_buf_clear(&g);
    assert_int_equal(seal_pdf_verify(&r, junk, t), SEAL_EFORMAT);
    assert_int_equal(seal_pdf_verify(&r, test_path(dir, "missing.pdf"), t), SEAL_EIO);
    seal_trust_free(t);
}

static void verify_with(const char *crl, seal_verdict verdict, const char *reason)
{
    seal_report *r;
    seal_trust *t = trust_ca_with(crl);
    assert_int_equal(seal_pdf_verify(&r, signed_pdf, t), 0);
    assert_int_equal(r->n_sigs, 1);
    assert_check(&r->sigs[0], "signature", SEAL_VERDICT_VALID);
    assert_check(&r->sigs[0], "chain", SEAL_VERDICT_VALID);
    assert_check(&r->sigs[0], "revocation", verdict);
    assert_int_equal(r->verdict, verdict);
    assert_string_equal(r->reason, reason);
    seal_report_free(r);
    seal_trust_free(t);
}

static void test_revocation(void **state)
{
    (void)state;
    /* Revoked (2020) before the signature was made: invalid. */
    verify_with("revoked-before.crl", SEAL_VERDICT_INVALID, "REVOKED");
    /* Revoked after the claimed, unproven signing time: indeterminate, not valid. */
    verify_with("revoked-later.crl", SEAL_VERDICT_INDETERMINATE, "REVOKED_NO_POE");
    /* Nothing to judge by (offline, the certificate names no CRL or OCSP): never valid. */
    verify_with(NULL, SEAL_VERDICT_INDETERMINATE, "TRY_LATER");
}

/* The certificate judged at the claimed signing time: outside its validity the signature
 * is not valid, but only INDETERMINATE, since /M proves nothing (no timestamp). */
static void verify_dated(const char *path, const char *reason, const char *detail)
{
    seal_report *r;
    seal_trust *t = trust_ca();
    assert_int_equal(seal_pdf_verify(&r, path, t), 0);
    assert_int_equal(r->n_sigs, 1);
    const seal_sig_report *s = &r->sigs[0];
    assert_check(s, "digest", SEAL_VERDICT_VALID);
    assert_check(s, "signature", SEAL_VERDICT_VALID);
    assert_check(s, "chain", SEAL_VERDICT_INDETERMINATE);
    const char *got = find_check(s, "chain")->detail;
    if (!strstr(got, detail) || !strstr(got, "claimed signing time"))
        fail_msg("chain detail '%s' does not say '%s' at the claimed signing time", got, detail);
    assert_true(strstr(s->time_source, "not proven") != NULL);
    assert_int_equal(r->verdict, SEAL_VERDICT_INDETERMINATE);
    assert_string_equal(r->reason, reason);
    seal_report_free(r);
    seal_trust_free(t);
}

static void test_certificate_validity_at_claimed_time(void **state)
{
    (void)state;
    verify_dated(expired_pdf, "EXPIRED", "expired");
    verify_dated(future_pdf, "NOT_YET_VALID", "not yet valid");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_intact_signature),
        cmocka_unit_test(test_byte_changed_in_signed_range),
        cmocka_unit_test(test_page_appended_after_signing),
        cmocka_unit_test(test_second_signature_is_an_allowed_change),
        cmocka_unit_test(test_two_pages_signed),
        cmocka_unit_test(test_unsigned_and_damaged),
        cmocka_unit_test(test_revocation),
        cmocka_unit_test(test_certificate_validity_at_claimed_time),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
