/* OFD verification end to end on packages built here with libzip from a demo PKI made in
 * the test (RSA root, SM2 seal maker and signer): a GB/T 38540 v4 seal whose every check
 * passes is VALID with the root as trust anchor and INDETERMINATE without; a signer the
 * seal does not list, a Seal.esl that differs, a TBS_Sign changed after signing are
 * INVALID; a Type=Sign CMS with signed attributes over Signature.xml is VALID; a second
 * seal added in continue mode leaves the first VALID with its changes allowed. OFD.xml is
 * judged by what it says (a signer that leaves it out, a DocInfo edit: allowed; another
 * DocRoot, another document body, a moved signature list: INVALID). */
#include "testutil.h"

#include <seal/ca.h>
#include <seal/cms.h>
#include <seal/der.h>
#include <seal/error.h>
#include <seal/ofd.h>
#include <seal/pki.h>
#include <seal/revocation.h>
#include <seal/ses.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#define DAY (24 * 3600)

static const char NS[] = "xmlns:ofd=\"http://www.ofdspec.org/2016\"";

typedef struct pki {
    time_t now;
    EVP_PKEY *root_key, *maker_key, *signer_key, *other_key;
    X509 *root, *maker, *signer, *other;
    seal_signer *maker_signer, *signer_signer, *other_signer;
    seal_trust *trust, *empty;
} pki;

static X509 *issue(pki *p, seal_cert_role role, const char *cn, EVP_PKEY *key)
{
    return test_issue_cert(role, "测试单位", cn, key, p->root, p->root_key, p->now);
}

/* The root's CRL, revoking nobody, as offline evidence: with it the chains' revocation
 * checks hold (without any, they are INDETERMINATE). */
static int add_empty_crl(pki *p)
{
    X509_CRL *crl = NULL;
    seal_revocation *rv = NULL;
    unsigned char *der = NULL;
    seal_revocation_opts o = {.offline = true};
    seal_crl_spec spec = {.this_update = p->now - 3600, .next_update = p->now + 86400, .number = 1};
    if (seal_crl_make(&crl, &spec, p->root, p->root_key) || seal_revocation_new(&rv, &o))
        return -1;
    int len = i2d_X509_CRL(crl, &der);
    int rc = len > 0 ? seal_revocation_add_crl(rv, der, (size_t)len, "test CRL") : -1;
    OPENSSL_free(der);
    X509_CRL_free(crl);
    seal_trust_set_revocation(p->trust, rv);
    return rc;
}

static int setup(void **state)
{
    pki *p = calloc(1, sizeof *p);
    p->now = time(NULL);
    if (seal_key_generate(&p->root_key, SEAL_ALG_RSA, 2048) ||
        seal_key_generate(&p->maker_key, SEAL_ALG_SM2, 0) ||
        seal_key_generate(&p->signer_key, SEAL_ALG_SM2, 0) ||
        seal_key_generate(&p->other_key, SEAL_ALG_SM2, 0))
        return -1;
    p->root = issue(p, SEAL_CERT_ROOT_CA, "测试根CA", p->root_key);
    p->maker = issue(p, SEAL_CERT_SEAL_MAKER, "制章者", p->maker_key);
    p->signer = issue(p, SEAL_CERT_SIGNER, "测试单位印章", p->signer_key);
    p->other = issue(p, SEAL_CERT_SIGNER, "别的单位", p->other_key);
    if (seal_signer_new_software(&p->maker_signer, p->maker_key, p->maker, NULL) ||
        seal_signer_new_software(&p->signer_signer, p->signer_key, p->signer, NULL) ||
        seal_signer_new_software(&p->other_signer, p->other_key, p->other, NULL) ||
        seal_trust_new(&p->trust) || seal_trust_add_cert(p->trust, p->root) ||
        seal_trust_new(&p->empty) || add_empty_crl(p))
        return -1;
    *state = p;
    return 0;
}

static int teardown(void **state)
{
    pki *p = *state;
    seal_signer_free(p->maker_signer);
    seal_signer_free(p->signer_signer);
    seal_signer_free(p->other_signer);
    seal_trust_free(p->trust);
    seal_trust_free(p->empty);
    X509 *certs[] = {p->root, p->maker, p->signer, p->other};
    EVP_PKEY *keys[] = {p->root_key, p->maker_key, p->signer_key, p->other_key};
    for (size_t i = 0; i < 4; i++) {
        X509_free(certs[i]);
        EVP_PKEY_free(keys[i]);
    }
    free(p);
    return 0;
}

/* ---- the package: files by name, written with libzip ---- */

typedef struct file {
    char *name;
    seal_buf data;
} file;

typedef struct package {
    file files[16];
    size_t n;
    bool leave_ofd_xml; /* signatures leave OFD.xml out of their References, as tax
                           e-invoices do */
} package;

static seal_buf *put(package *pkg, const char *name, const void *data, size_t len)
{
    for (size_t i = 0; i < pkg->n; i++)
        if (strcmp(pkg->files[i].name, name) == 0) {
            assert_int_equal(seal_buf_set(&pkg->files[i].data, data, len), 0);
            return &pkg->files[i].data;
        }
    file *f = &pkg->files[pkg->n++];
    f->name = strdup(name);
    f->data = (seal_buf)SEAL_BUF_INIT;
    assert_int_equal(seal_buf_set(&f->data, data, len), 0);
    return &f->data;
}

static const seal_buf *get(const package *pkg, const char *name)
{
    for (size_t i = 0; i < pkg->n; i++)
        if (strcmp(pkg->files[i].name, name) == 0)
            return &pkg->files[i].data;
    fail_msg("no file %s in the test package", name);
    return NULL;
}

static void put_str(package *pkg, const char *name, const char *text)
{
    put(pkg, name, text, strlen(text));
}

/* Renames a file of the package (its bytes kept). */
static void move(package *pkg, const char *from, const char *to)
{
    for (size_t i = 0; i < pkg->n; i++)
        if (strcmp(pkg->files[i].name, from) == 0) {
            free(pkg->files[i].name);
            pkg->files[i].name = strdup(to);
            return;
        }
    fail_msg("no file %s in the test package", from);
}

static void package_free(package *pkg)
{
    for (size_t i = 0; i < pkg->n; i++) {
        free(pkg->files[i].name);
        seal_buf_clear(&pkg->files[i].data);
    }
    pkg->n = 0;
}

static const char *write_package(const package *pkg, const char *name)
{
    const char *path = test_path(test_tmpdir(), name);
    int err = 0;
    remove(path);
    zip_t *zip = zip_open(path, ZIP_CREATE | ZIP_EXCL, &err);
    assert_non_null(zip);
    for (size_t i = 0; i < pkg->n; i++) {
        zip_source_t *src =
            zip_source_buffer(zip, pkg->files[i].data.data, pkg->files[i].data.len, 0);
        assert_true(zip_file_add(zip, pkg->files[i].name, src, ZIP_FL_ENC_UTF_8) >= 0);
    }
    assert_int_equal(zip_close(zip), 0);
    return path;
}

/* The document: one page with a line of text, and the signature list. */
static void base_document(package *pkg)
{
    char *ofd = g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:OFD %s Version=\"1.1\" DocType=\"OFD\">"
        "<ofd:DocBody><ofd:DocInfo><ofd:DocID>t</ofd:DocID></ofd:DocInfo>"
        "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
        "<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody></ofd:OFD>",
        NS);
    put_str(pkg, "OFD.xml", ofd);
    g_free(ofd);
    char *doc = g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Document %s><ofd:CommonData>"
        "<ofd:MaxUnitID>20</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297"
        "</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages>"
        "<ofd:Page ID=\"1\" BaseLoc=\"Pages/Page_0/Content.xml\"/></ofd:Pages></ofd:Document>",
        NS);
    put_str(pkg, "Doc_0/Document.xml", doc);
    g_free(doc);
    char *page = g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Page %s><ofd:Content><ofd:Layer ID=\"2\">"
        "<ofd:TextObject ID=\"3\" Boundary=\"20 20 100 10\" Font=\"4\" Size=\"5\">"
        "<ofd:TextCode X=\"0\" Y=\"5\" DeltaX=\"g 3 5\">甲方盖章</ofd:TextCode></ofd:TextObject>"
        "</ofd:Layer></ofd:Content></ofd:Page>",
        NS);
    put_str(pkg, "Doc_0/Pages/Page_0/Content.xml", page);
    g_free(page);
}

static void signature_list(package *pkg, size_t n_sigs, const char *type)
{
    GString *x = g_string_new(NULL);
    g_string_printf(x,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Signatures %s>"
                    "<ofd:MaxSignId>%zu</ofd:MaxSignId>",
                    NS, n_sigs * 10);
    for (size_t i = 0; i < n_sigs; i++)
        g_string_append_printf(x,
                               "<ofd:Signature ID=\"%zu\" Type=\"%s\" "
                               "BaseLoc=\"/Doc_0/Signs/Sign_%zu/Signature.xml\"/>",
                               i * 10 + 1, type, i);
    g_string_append(x, "</ofd:Signatures>");
    put_str(pkg, "Doc_0/Signs/Signatures.xml", x->str);
    g_string_free(x, TRUE);
}

/* Signature.xml for signature `index`: References to every file present now (except the
 * signature list in continue mode), SM3 check values. */
static const seal_buf *signature_xml(package *pkg, size_t index, bool with_seal, bool lock,
                                     time_t when)
{
    char dir[64], stamp[32];
    struct tm tm;
    strftime(stamp, sizeof stamp, "%Y%m%d%H%M%SZ", gmtime_r(&when, &tm));
    snprintf(dir, sizeof dir, "Doc_0/Signs/Sign_%zu/", index);
    GString *x = g_string_new(NULL);
    g_string_printf(x,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:Signature %s><ofd:SignedInfo>"
                    "<ofd:Provider ProviderName=\"test\" Version=\"1\" Company=\"sealsvc\"/>"
                    "<ofd:SignatureMethod>1.2.156.10197.1.501</ofd:SignatureMethod>"
                    "<ofd:SignatureDateTime>%s</ofd:SignatureDateTime>"
                    "<ofd:References CheckMethod=\"1.2.156.10197.1.401\">",
                    NS, stamp);
    for (size_t i = 0; i < pkg->n; i++) {
        const char *name = pkg->files[i].name;
        bool own = strncmp(name, dir, strlen(dir)) == 0 && !strstr(name, "Seal.esl");
        if (own || (!lock && strcmp(name, "Doc_0/Signs/Signatures.xml") == 0) ||
            (pkg->leave_ofd_xml && strcmp(name, "OFD.xml") == 0))
            continue;
        uint8_t md[EVP_MAX_MD_SIZE];
        size_t md_len = sizeof md;
        assert_int_equal(
            seal_digest(EVP_sm3(), pkg->files[i].data.data, pkg->files[i].data.len, md, &md_len),
            0);
        gchar *b64 = g_base64_encode(md, md_len);
        g_string_append_printf(x,
                               "<ofd:Reference FileRef=\"/%s\"><ofd:CheckValue>%s"
                               "</ofd:CheckValue></ofd:Reference>",
                               name, b64);
        g_free(b64);
    }
    g_string_append(x, "</ofd:References>"
                       "<ofd:StampAnnot ID=\"9\" PageRef=\"1\" Boundary=\"50 60 40 40\"/>");
    if (with_seal)
        g_string_append_printf(x, "<ofd:Seal><ofd:BaseLoc>/%sSeal.esl</ofd:BaseLoc></ofd:Seal>",
                               dir);
    g_string_append_printf(x,
                           "</ofd:SignedInfo><ofd:SignedValue>/%sSignedValue.dat"
                           "</ofd:SignedValue></ofd:Signature>",
                           dir);
    char name[96];
    snprintf(name, sizeof name, "%sSignature.xml", dir);
    const seal_buf *b = put(pkg, name, x->str, x->len);
    g_string_free(x, TRUE);
    return b;
}

/* A v4 seal listing `listed`, made by the maker. */
static void make_eseal(pki *p, seal_buf *der, X509 *listed)
{
    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    STACK_OF(X509) *certs = sk_X509_new_null();
    sk_X509_push(certs, listed);
    seal_eseal_spec spec = {.es_id = "3301000000001",
                            .vid = "sealsvc",
                            .type = SEAL_SES_TYPE_OFFICIAL,
                            .name = "测试单位公章",
                            .certs = certs,
                            .picture_type = "PNG",
                            .picture = png,
                            .picture_len = sizeof png,
                            .width_mm = 40,
                            .height_mm = 40,
                            .created = p->now - DAY,
                            .valid_start = p->now - DAY,
                            .valid_end = p->now + 30 * DAY};
    assert_int_equal(seal_eseal_make(der, &spec, p->maker_signer), 0);
    sk_X509_free(certs);
}

/* SES_Signature v4 (GB/T 38540 7.3) over the given Signature.xml, signed by `stamper`. */
static void make_ses_signature(seal_buf *out, const seal_buf *eseal, const seal_buf *xml,
                               const char *xml_path, const seal_signer *stamper, time_t when)
{
    uint8_t md[EVP_MAX_MD_SIZE];
    size_t md_len = sizeof md;
    seal_buf tbs = SEAL_BUF_INIT, sig = SEAL_BUF_INIT, cert = SEAL_BUF_INIT;
    assert_int_equal(seal_digest(EVP_sm3(), xml->data, xml->len, md, &md_len), 0);
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    size_t m = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_int(&w, 4);
    seal_der_raw(&w, eseal->data, eseal->len);
    seal_der_generalized_time(&w, when);
    seal_der_bit_string(&w, md, md_len);
    seal_der_string(&w, SEAL_DER_IA5_STRING, xml_path);
    seal_der_end(&w, m);
    assert_int_equal(seal_der_finish(&w, &tbs), 0);
    assert_int_equal(seal_signer_sign(stamper, &sig, tbs.data, tbs.len), 0);
    assert_int_equal(seal_cert_to_der(&cert, seal_signer_cert(stamper)), 0);
    seal_der_writer o = {SEAL_BUF_INIT, 0};
    m = seal_der_begin(&o, SEAL_DER_SEQUENCE);
    seal_der_raw(&o, tbs.data, tbs.len);
    seal_der_octet_string(&o, cert.data, cert.len);
    seal_der_oid(&o, SEAL_OID_SM2_WITH_SM3);
    seal_der_bit_string(&o, sig.data, sig.len);
    seal_der_end(&o, m);
    assert_int_equal(seal_der_finish(&o, out), 0);
    seal_buf_clear(&tbs);
    seal_buf_clear(&sig);
    seal_buf_clear(&cert);
}

/* Seals signature `index` of the package: Seal.esl, Signature.xml, SignedValue.dat. */
static void add_seal(pki *p, package *pkg, size_t index, X509 *listed, const seal_signer *stamper,
                     bool lock)
{
    char esl_path[96], value_path[96], xml_path[96];
    snprintf(esl_path, sizeof esl_path, "Doc_0/Signs/Sign_%zu/Seal.esl", index);
    snprintf(value_path, sizeof value_path, "Doc_0/Signs/Sign_%zu/SignedValue.dat", index);
    snprintf(xml_path, sizeof xml_path, "/Doc_0/Signs/Sign_%zu/Signature.xml", index);
    seal_buf eseal = SEAL_BUF_INIT, value = SEAL_BUF_INIT;
    make_eseal(p, &eseal, listed);
    put(pkg, esl_path, eseal.data, eseal.len);
    const seal_buf *xml = signature_xml(pkg, index, true, lock, p->now);
    make_ses_signature(&value, &eseal, xml, xml_path, stamper, p->now);
    put(pkg, value_path, value.data, value.len);
    seal_buf_clear(&eseal);
    seal_buf_clear(&value);
}

static const char *check_outcome(const seal_sig_report *s, const char *name)
{
    for (size_t i = 0; i < s->n_checks; i++)
        if (strcmp(s->checks[i].name, name) == 0)
            return seal_verdict_name(s->checks[i].outcome);
    return "absent";
}

static seal_report *verify(const char *path, const seal_trust *trust)
{
    seal_report *r = NULL;
    if (seal_ofd_verify(&r, path, trust) != 0)
        fail_msg("verify %s: %s", path, seal_error_last());
    return r;
}

static void test_seal_valid_with_trust(void **state)
{
    pki *p = *state;
    package pkg = {0};
    base_document(&pkg);
    signature_list(&pkg, 1, "Seal");
    add_seal(p, &pkg, 0, p->signer, p->signer_signer, false);
    const char *path = write_package(&pkg, "sealed.ofd");
    seal_report *r = verify(path, p->trust);
    assert_int_equal(r->n_sigs, 1);
    const seal_sig_report *s = &r->sigs[0];
    if (r->verdict != SEAL_VERDICT_VALID) {
        seal_buf text = SEAL_BUF_INIT;
        seal_report_to_text(r, &text);
        fail_msg("%.*s", (int)text.len, (const char *)text.data);
    }
    assert_string_equal(s->kind, "ses-v4");
    assert_string_equal(s->seal_name, "测试单位公章");
    assert_string_equal(s->signer_name, "测试单位印章");
    assert_int_equal(s->page, 1);
    assert_float_equal(s->rect[0], 50, 1e-9);
    assert_string_equal(check_outcome(s, "chain"), "VALID");
    assert_string_equal(check_outcome(s, "maker-chain"), "VALID");
    assert_string_equal(check_outcome(s, "changes"), "VALID");
    seal_report_free(r);
    /* Without the root: everything but the chains holds. */
    r = verify(path, p->empty);
    assert_int_equal(r->verdict, SEAL_VERDICT_INDETERMINATE);
    assert_string_equal(r->sigs[0].reason, "NO_CERTIFICATE_CHAIN_FOUND");
    seal_report_free(r);
    r = verify(path, NULL);
    assert_int_equal(r->verdict, SEAL_VERDICT_INDETERMINATE);
    seal_report_free(r);
    package_free(&pkg);
}

/* The stamper is not one the seal lists: this signer may not use this seal. */
static void test_signer_not_listed(void **state)
{
    pki *p = *state;
    package pkg = {0};
    base_document(&pkg);
    signature_list(&pkg, 1, "Seal");
    add_seal(p, &pkg, 0, p->signer, p->other_signer, false);
    seal_report *r = verify(write_package(&pkg, "stranger.ofd"), p->trust);
    assert_int_equal(r->verdict, SEAL_VERDICT_INVALID);
    assert_string_equal(check_outcome(&r->sigs[0], "seal-cert-list"), "INVALID");
    assert_string_equal(check_outcome(&r->sigs[0], "signature"), "VALID");
    assert_string_equal(r->sigs[0].reason, "SIG_CONSTRAINTS_FAILURE");
    seal_report_free(r);
    package_free(&pkg);
}

/* Seal.esl replaced by another seal after signing; TBS_Sign changed by one byte. */
static void test_seal_file_and_tbs_tampered(void **state)
{
    pki *p = *state;
    package pkg = {0};
    base_document(&pkg);
    signature_list(&pkg, 1, "Seal");
    add_seal(p, &pkg, 0, p->signer, p->signer_signer, false);
    seal_buf other = SEAL_BUF_INIT;
    make_eseal(p, &other, p->other);
    package copy = {0};
    for (size_t i = 0; i < pkg.n; i++)
        put(&copy, pkg.files[i].name, pkg.files[i].data.data, pkg.files[i].data.len);
    put(&copy, "Doc_0/Signs/Sign_0/Seal.esl", other.data, other.len);
    seal_report *r = verify(write_package(&copy, "other-esl.ofd"), p->trust);
    assert_string_equal(check_outcome(&r->sigs[0], "seal-file"), "INVALID");
    assert_string_equal(check_outcome(&r->sigs[0], "references"), "INVALID");
    seal_report_free(r);
    package_free(&copy);
    /* The time in TBS_Sign moved by one byte: the stamper signature no longer holds. */
    const seal_buf *value = get(&pkg, "Doc_0/Signs/Sign_0/SignedValue.dat");
    seal_buf changed = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_set(&changed, value->data, value->len), 0);
    seal_ses_signature *ses = NULL;
    assert_int_equal(seal_ses_signature_parse(&ses, changed.data, changed.len), 0);
    size_t at = (size_t)(ses->time_info.data - ses->der.data) + 12; /* a seconds digit */
    seal_ses_signature_free(ses);
    changed.data[at] = changed.data[at] == '0' ? '1' : '0';
    put(&pkg, "Doc_0/Signs/Sign_0/SignedValue.dat", changed.data, changed.len);
    r = verify(write_package(&pkg, "tbs.ofd"), p->trust);
    assert_int_equal(r->verdict, SEAL_VERDICT_INVALID);
    assert_string_equal(check_outcome(&r->sigs[0], "signature"), "INVALID");
    assert_string_equal(r->sigs[0].reason, "SIG_CRYPTO_FAILURE");
    seal_report_free(r);
    seal_buf_clear(&changed);
    seal_buf_clear(&other);
    package_free(&pkg);
}

/* Continue mode: a second seal added later; the first stays VALID, its changes allowed. */
static void test_second_seal_in_continue_mode(void **state)
{
    pki *p = *state;
    package pkg = {0};
    base_document(&pkg);
    signature_list(&pkg, 1, "Seal");
    add_seal(p, &pkg, 0, p->signer, p->signer_signer, false);
    signature_list(&pkg, 2, "Seal");
    add_seal(p, &pkg, 1, p->signer, p->signer_signer, false);
    seal_report *r = verify(write_package(&pkg, "two.ofd"), p->trust);
    assert_int_equal(r->n_sigs, 2);
    assert_int_equal(r->verdict, SEAL_VERDICT_VALID);
    const seal_sig_report *first = &r->sigs[0];
    assert_string_equal(check_outcome(first, "changes"), "VALID");
    assert_true(first->n_changes >= 4); /* the list and Sign_1's three files */
    for (size_t i = 0; i < first->n_changes; i++)
        assert_non_null(strstr(first->changes[i], "(allowed)"));
    seal_report_free(r);
    /* The same in lock mode: the first protected the list, so the second breaks it. */
    package_free(&pkg);
    base_document(&pkg);
    signature_list(&pkg, 1, "Seal");
    add_seal(p, &pkg, 0, p->signer, p->signer_signer, true);
    signature_list(&pkg, 2, "Seal");
    add_seal(p, &pkg, 1, p->signer, p->signer_signer, false);
    r = verify(write_package(&pkg, "locked.ofd"), p->trust);
    assert_int_equal(r->sigs[0].verdict, SEAL_VERDICT_INVALID);
    assert_string_equal(r->sigs[0].reason, "MODIFIED_AFTER_SIGNING");
    assert_int_equal(r->sigs[1].verdict, SEAL_VERDICT_VALID);
    seal_report_free(r);
    package_free(&pkg);
}

/* Type=Sign: a detached CMS with signed attributes whose message digest is SM3 of the
 * stored Signature.xml (GB/T 35275 layout written by our PAdES CMS writer). */
static void test_sign_cms(void **state)
{
    pki *p = *state;
    package pkg = {0};
    base_document(&pkg);
    signature_list(&pkg, 1, "Sign");
    const seal_buf *xml = signature_xml(&pkg, 0, false, false, p->now);
    uint8_t md[EVP_MAX_MD_SIZE];
    size_t md_len = sizeof md;
    seal_buf cms = SEAL_BUF_INIT;
    assert_int_equal(
        seal_digest(seal_signer_md(p->signer_signer), xml->data, xml->len, md, &md_len), 0);
    assert_int_equal(seal_cms_sign_detached(&cms, p->signer_signer, md, md_len), 0);
    put(&pkg, "Doc_0/Signs/Sign_0/SignedValue.dat", cms.data, cms.len);
    const char *path = write_package(&pkg, "signed.ofd");
    seal_report *r = verify(path, p->trust);
    if (r->verdict != SEAL_VERDICT_VALID) {
        seal_buf text = SEAL_BUF_INIT;
        seal_report_to_text(r, &text);
        fail_msg("%.*s", (int)text.len, (const char *)text.data);
    }
    assert_string_equal(r->sigs[0].kind, "sign");
    assert_string_equal(check_outcome(&r->sigs[0], "digest"), "VALID");
    assert_string_equal(check_outcome(&r->sigs[0], "signature"), "VALID");
    seal_report_free(r);
    /* Signature.xml changed after signing (the provider's name): digest fails. */
    seal_buf changed = SEAL_BUF_INIT;
    assert_int_equal(seal_buf_set(&changed, xml->data, xml->len), 0);
    char *at = g_strstr_len((char *)changed.data, (gssize)changed.len, "ProviderName=\"test\"");
    at[14] = 'b';
    put(&pkg, "Doc_0/Signs/Sign_0/Signature.xml", changed.data, changed.len);
    r = verify(write_package(&pkg, "signed-changed.ofd"), p->trust);
    assert_int_equal(r->verdict, SEAL_VERDICT_INVALID);
    assert_string_equal(check_outcome(&r->sigs[0], "digest"), "INVALID");
    seal_report_free(r);
    seal_buf_clear(&changed);
    seal_buf_clear(&cms);
    package_free(&pkg);
}

/* A Signature.xml that cannot be read is reported on its signature; a missing
 * SignedValue.dat too. */
static void test_broken_signature_files(void **state)
{
    pki *p = *state;
    package pkg = {0};
    base_document(&pkg);
    signature_list(&pkg, 2, "Seal");
    add_seal(p, &pkg, 0, p->signer, p->signer_signer, false);
    put_str(&pkg, "Doc_0/Signs/Sign_1/Signature.xml", "<ofd:Signature");
    seal_report *r = verify(write_package(&pkg, "broken.ofd"), p->trust);
    assert_int_equal(r->n_sigs, 2);
    assert_int_equal(r->sigs[1].verdict, SEAL_VERDICT_INVALID);
    assert_string_equal(r->sigs[1].reason, "FORMAT_FAILURE");
    assert_non_null(strstr(r->sigs[1].checks[0].detail, "Sign_1/Signature.xml"));
    seal_report_free(r);
    package_free(&pkg);
}

/* OFD.xml as a test writes it over a sealed package: DocInfo, then the bodies. */
static void ofd_xml(package *pkg, const char *doc_info, const char *bodies)
{
    char *ofd = g_strdup_printf(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ofd:OFD %s Version=\"1.1\" DocType=\"OFD\">"
        "<ofd:DocBody><ofd:DocInfo>%s</ofd:DocInfo>%s</ofd:OFD>",
        NS, doc_info, bodies);
    put_str(pkg, "OFD.xml", ofd);
    g_free(ofd);
}

#define BODY_0                                                                                     \
    "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"                                                \
    "<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody>"
#define EDITED_INFO                                                                                  \
    "<ofd:DocID>t</ofd:DocID><ofd:Title>改过的标题</ofd:Title><ofd:Author>someone</ofd:Author>" \
    "<ofd:ModDate>2031-01-01</ofd:ModDate><ofd:CustomDatas><ofd:CustomData Name=\"k\">v"             \
    "</ofd:CustomData></ofd:CustomDatas>"

/* The change entry about OFD.xml, failing when there is none. */
static const char *ofd_xml_change(const seal_sig_report *s)
{
    for (size_t i = 0; i < s->n_changes; i++)
        if (strstr(s->changes[i], "OFD.xml"))
            return s->changes[i];
    fail_msg("no change names OFD.xml");
    return NULL;
}

static seal_report *verify_sealed(pki *p, package *pkg, const char *name)
{
    return verify(write_package(pkg, name), p->trust);
}

static void assert_valid_with_allowed_ofd_xml(seal_report *r)
{
    if (r->verdict != SEAL_VERDICT_VALID) {
        seal_buf text = SEAL_BUF_INIT;
        seal_report_to_text(r, &text);
        fail_msg("%.*s", (int)text.len, (const char *)text.data);
    }
    assert_string_equal(check_outcome(&r->sigs[0], "references"), "VALID");
    assert_string_equal(check_outcome(&r->sigs[0], "changes"), "VALID");
    const char *change = ofd_xml_change(&r->sigs[0]);
    assert_non_null(strstr(change, "(allowed)"));
    assert_non_null(strstr(change, "metadata"));
}

static void assert_ofd_xml_refused(seal_report *r, const char *why)
{
    assert_int_equal(r->verdict, SEAL_VERDICT_INVALID);
    assert_string_equal(r->sigs[0].reason, "MODIFIED_AFTER_SIGNING");
    const char *change = ofd_xml_change(&r->sigs[0]);
    assert_null(strstr(change, "(allowed)"));
    if (!strstr(change, why))
        fail_msg("the OFD.xml change does not say \"%s\": %s", why, change);
}

/* A tax e-invoice's signer leaves OFD.xml out of its References: the document verifies,
 * OFD.xml's metadata reported as unprotected; a DocInfo edit afterwards is allowed. */
static void test_ofd_xml_uncovered(void **state)
{
    pki *p = *state;
    package pkg = {.leave_ofd_xml = true};
    base_document(&pkg);
    signature_list(&pkg, 1, "Seal");
    add_seal(p, &pkg, 0, p->signer, p->signer_signer, false);
    seal_report *r = verify_sealed(p, &pkg, "invoice-like.ofd");
    assert_valid_with_allowed_ofd_xml(r);
    assert_non_null(strstr(ofd_xml_change(&r->sigs[0]), "is not covered"));
    seal_report_free(r);
    ofd_xml(&pkg, EDITED_INFO, BODY_0);
    r = verify_sealed(p, &pkg, "invoice-like-retitled.ofd");
    assert_valid_with_allowed_ofd_xml(r);
    seal_report_free(r);
    package_free(&pkg);
}

/* Our own seals cover OFD.xml: a DocInfo edit after signing is an allowed metadata change
 * (VALID, listed), where it was MODIFIED_AFTER_SIGNING before. */
static void test_ofd_xml_covered_doc_info_edited(void **state)
{
    pki *p = *state;
    package pkg = {0};
    base_document(&pkg);
    signature_list(&pkg, 1, "Seal");
    add_seal(p, &pkg, 0, p->signer, p->signer_signer, false);
    seal_report *r = verify_sealed(p, &pkg, "ours.ofd");
    assert_int_equal(r->verdict, SEAL_VERDICT_VALID);
    for (size_t i = 0; i < r->sigs[0].n_changes; i++)
        assert_null(strstr(r->sigs[0].changes[i], "OFD.xml"));
    seal_report_free(r);
    ofd_xml(&pkg, EDITED_INFO, BODY_0);
    r = verify_sealed(p, &pkg, "ours-retitled.ofd");
    assert_valid_with_allowed_ofd_xml(r);
    assert_non_null(strstr(ofd_xml_change(&r->sigs[0]), "was changed after signing"));
    assert_non_null(strstr(r->sigs[0].checks[1].detail, "OFD.xml does not"));
    seal_report_free(r);
    package_free(&pkg);
}

/* Another DocRoot: OFD.xml now shows a document the signature never saw. */
static void test_ofd_xml_other_doc_root(void **state)
{
    pki *p = *state;
    for (int covered = 0; covered < 2; covered++) {
        package pkg = {.leave_ofd_xml = !covered};
        base_document(&pkg);
        signature_list(&pkg, 1, "Seal");
        add_seal(p, &pkg, 0, p->signer, p->signer_signer, false);
        seal_buf doc = SEAL_BUF_INIT;
        assert_int_equal(seal_buf_set(&doc, get(&pkg, "Doc_0/Document.xml")->data,
                                      get(&pkg, "Doc_0/Document.xml")->len),
                         0);
        put(&pkg, "Doc_0/Document2.xml", doc.data, doc.len);
        seal_buf_clear(&doc);
        ofd_xml(&pkg, "<ofd:DocID>t</ofd:DocID>",
                "<ofd:DocRoot>Doc_0/Document2.xml</ofd:DocRoot>"
                "<ofd:Signatures>Doc_0/Signs/Signatures.xml</ofd:Signatures></ofd:DocBody>");
        seal_report *r = verify_sealed(p, &pkg, "other-root.ofd");
        assert_ofd_xml_refused(r, "names the document Doc_0/Document2.xml");
        seal_report_free(r);
        package_free(&pkg);
    }
}

/* Another document body beside the signed one. */
static void test_ofd_xml_added_doc_body(void **state)
{
    pki *p = *state;
    package pkg = {.leave_ofd_xml = true};
    base_document(&pkg);
    signature_list(&pkg, 1, "Seal");
    add_seal(p, &pkg, 0, p->signer, p->signer_signer, false);
    move(&pkg, "Doc_0/Pages/Page_0/Content.xml", "Doc_1/Pages/Page_0/Content.xml");
    put(&pkg, "Doc_0/Pages/Page_0/Content.xml", get(&pkg, "Doc_1/Pages/Page_0/Content.xml")->data,
        get(&pkg, "Doc_1/Pages/Page_0/Content.xml")->len);
    const seal_buf *doc = get(&pkg, "Doc_0/Document.xml");
    put(&pkg, "Doc_1/Document.xml", doc->data, doc->len);
    ofd_xml(&pkg, "<ofd:DocID>t</ofd:DocID>",
            BODY_0 "<ofd:DocBody><ofd:DocInfo><ofd:DocID>u</ofd:DocID></ofd:DocInfo>"
                   "<ofd:DocRoot>Doc_1/Document.xml</ofd:DocRoot></ofd:DocBody>");
    seal_report *r = verify_sealed(p, &pkg, "added-body.ofd");
    assert_ofd_xml_refused(r, "document body 2 names the document Doc_1/Document.xml");
    seal_report_free(r);
    package_free(&pkg);
}

/* The Signatures path changed: the list moved to a folder that holds none of the
 * signature's files (the old one gone). */
static void test_ofd_xml_moved_signature_list(void **state)
{
    pki *p = *state;
    package pkg = {.leave_ofd_xml = true};
    base_document(&pkg);
    signature_list(&pkg, 1, "Seal");
    add_seal(p, &pkg, 0, p->signer, p->signer_signer, false);
    move(&pkg, "Doc_0/Signs/Signatures.xml", "Doc_0/Elsewhere/Signatures.xml");
    ofd_xml(&pkg, "<ofd:DocID>t</ofd:DocID>",
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot>"
            "<ofd:Signatures>Doc_0/Elsewhere/Signatures.xml</ofd:Signatures></ofd:DocBody>");
    seal_report *r = verify_sealed(p, &pkg, "moved-list.ofd");
    assert_ofd_xml_refused(r, "signature list Doc_0/Elsewhere/Signatures.xml");
    seal_report_free(r);
    package_free(&pkg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seal_valid_with_trust),
        cmocka_unit_test(test_signer_not_listed),
        cmocka_unit_test(test_seal_file_and_tbs_tampered),
        cmocka_unit_test(test_second_seal_in_continue_mode),
        cmocka_unit_test(test_sign_cms),
        cmocka_unit_test(test_broken_signature_files),
        cmocka_unit_test(test_ofd_xml_uncovered),
        cmocka_unit_test(test_ofd_xml_covered_doc_info_edited),
        cmocka_unit_test(test_ofd_xml_other_doc_root),
        cmocka_unit_test(test_ofd_xml_added_doc_body),
        cmocka_unit_test(test_ofd_xml_moved_signature_list),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
