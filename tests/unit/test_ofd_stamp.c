/* OFD stamping, checked by reading the output back: every original entry keeps its
 * compressed bytes, method and CRC; the references cover every file as OFD-SEAL.md 5 says
 * and their SM3 digests match; the SES_Signature verifies and binds SM3(Signature.xml);
 * an RSA seal gives a Type=Sign CMS over Signature.xml; a second signature leaves the
 * first intact; lock mode and locked corpus files refuse a further stamp; IDs follow the
 * document's counter; seam strips get Clip; bad input leaves no output file behind. */
#include "testutil.h"

#include <seal/cms.h>
#include <seal/error.h>
#include <seal/ofd.h>
#include <seal/pki.h>
#include <seal/ses.h>

#include <dirent.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <zip.h>

#define DAY (24 * 3600)

static const uint8_t PICTURE[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3, 4};

typedef struct fixture {
    time_t now;
    EVP_PKEY *root_key, *maker_key, *sm2_key, *rsa_key, *other_key;
    X509 *root, *maker, *sm2_cert, *rsa_cert, *other_cert;
    seal_signer *maker_signer, *sm2, *rsa, *other;
    seal_buf seal; /* v4, 40 x 40 mm, binding sm2_cert and rsa_cert */
    const char *dir;
} fixture;

static X509 *issue(fixture *f, seal_cert_role role, const char *cn, EVP_PKEY *key)
{
    return test_issue_cert(role, "测试单位", cn, key, f->root, f->root_key, f->now);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->now = time(NULL);
    f->dir = test_tmpdir();
    if (seal_key_generate(&f->root_key, SEAL_ALG_RSA, 2048) != 0 ||
        seal_key_generate(&f->maker_key, SEAL_ALG_SM2, 0) != 0 ||
        seal_key_generate(&f->sm2_key, SEAL_ALG_SM2, 0) != 0 ||
        seal_key_generate(&f->rsa_key, SEAL_ALG_RSA, 2048) != 0 ||
        seal_key_generate(&f->other_key, SEAL_ALG_SM2, 0) != 0)
        return -1;
    f->root = issue(f, SEAL_CERT_ROOT_CA, "根CA", f->root_key);
    f->maker = issue(f, SEAL_CERT_SEAL_MAKER, "制章者", f->maker_key);
    f->sm2_cert = issue(f, SEAL_CERT_SIGNER, "单位SM2", f->sm2_key);
    f->rsa_cert = issue(f, SEAL_CERT_SIGNER, "单位RSA", f->rsa_key);
    f->other_cert = issue(f, SEAL_CERT_SIGNER, "别的单位", f->other_key);
    if (seal_signer_new_software(&f->maker_signer, f->maker_key, f->maker, NULL) ||
        seal_signer_new_software(&f->sm2, f->sm2_key, f->sm2_cert, NULL) ||
        seal_signer_new_software(&f->rsa, f->rsa_key, f->rsa_cert, NULL) ||
        seal_signer_new_software(&f->other, f->other_key, f->other_cert, NULL))
        return -1;
    STACK_OF(X509) *certs = sk_X509_new_null();
    sk_X509_push(certs, f->sm2_cert);
    sk_X509_push(certs, f->rsa_cert);
    seal_eseal_spec spec = {.es_id = "4401060000002",
                            .vid = "sealsvc",
                            .type = SEAL_SES_TYPE_OFFICIAL,
                            .name = "广州测试有限公司",
                            .certs = certs,
                            .picture_type = "PNG",
                            .picture = PICTURE,
                            .picture_len = sizeof PICTURE,
                            .width_mm = 40,
                            .height_mm = 40,
                            .created = f->now - DAY,
                            .valid_start = f->now - DAY,
                            .valid_end = f->now + 30 * DAY};
    int rc = seal_eseal_make(&f->seal, &spec, f->maker_signer);
    sk_X509_free(certs);
    if (rc != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    seal_signer *signers[] = {f->maker_signer, f->sm2, f->rsa, f->other};
    for (size_t i = 0; i < 4; i++)
        seal_signer_free(signers[i]);
    X509 *certs[] = {f->root, f->maker, f->sm2_cert, f->rsa_cert, f->other_cert};
    EVP_PKEY *keys[] = {f->root_key, f->maker_key, f->sm2_key, f->rsa_key, f->other_key};
    for (size_t i = 0; i < 5; i++) {
        X509_free(certs[i]);
        EVP_PKEY_free(keys[i]);
    }
    seal_buf_clear(&f->seal);
    free(f);
    return 0;
}

/* ---------------------------------------------------------------- helpers */

static void add_entry(zip_t *z, const char *name, const char *text, zip_int32_t method)
{
    zip_source_t *s = zip_source_buffer(z, text, strlen(text), 0);
    assert_non_null(s);
    zip_int64_t idx = zip_file_add(z, name, s, ZIP_FL_ENC_UTF_8);
    assert_true(idx >= 0);
    assert_int_equal(zip_set_file_compression(z, (zip_uint64_t)idx, method, 0), 0);
}

/* An unsigned OFD of `pages` A4 pages (IDs 11, 12...) with a stored (uncompressed) entry,
 * a directory entry and a text line on each page. */
static const char *make_ofd(fixture *f, const char *name, int pages)
{
    const char *path = test_path(f->dir, name);
    int err = 0;
    unlink(path);
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_EXCL, &err);
    assert_non_null(z);
    GPtrArray *keep = g_ptr_array_new_with_free_func(g_free);
    add_entry(z, "OFD.xml",
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<ofd:OFD xmlns:ofd=\"http://www.ofdspec.org/2016\" Version=\"1.0\" "
              "DocType=\"OFD\"><ofd:DocBody><ofd:DocInfo><ofd:DocID>t</ofd:DocID></ofd:DocInfo>"
              "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
              ZIP_CM_DEFLATE);
    assert_true(zip_dir_add(z, "Doc_0/", ZIP_FL_ENC_UTF_8) >= 0);
    GString *doc = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                                "<ofd:Document xmlns:ofd=\"http://www.ofdspec.org/2016\">"
                                "<ofd:CommonData><ofd:MaxUnitID>100</ofd:MaxUnitID><ofd:PageArea>"
                                "<ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>"
                                "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
                                "<ofd:Pages>");
    for (int i = 0; i < pages; i++) {
        g_string_append_printf(doc, "<ofd:Page ID=\"%d\" BaseLoc=\"Pages/Page_%d/Content.xml\"/>",
                               11 + i, i);
        char *page_name = g_strdup_printf("Doc_0/Pages/Page_%d/Content.xml", i);
        char *content = g_strdup_printf(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<ofd:Page xmlns:ofd=\"http://www.ofdspec.org/2016\"><ofd:Content><ofd:Layer ID=\"1\">"
            "<ofd:TextObject ID=\"2\" Boundary=\"20 20 100 10\" Font=\"3\" Size=\"5\">"
            "<ofd:TextCode X=\"0\" Y=\"5\">第%d页 合同</ofd:TextCode></ofd:TextObject>"
            "</ofd:Layer></ofd:Content></ofd:Page>",
            i + 1);
        add_entry(z, page_name, content, ZIP_CM_DEFLATE);
        g_ptr_array_add(keep, page_name);
        g_ptr_array_add(keep, content);
    }
    g_string_append(doc, "</ofd:Pages></ofd:Document>");
    add_entry(z, "Doc_0/Document.xml", doc->str, ZIP_CM_DEFLATE);
    add_entry(z, "Doc_0/PublicRes.xml",
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              "<ofd:Res xmlns:ofd=\"http://www.ofdspec.org/2016\" BaseLoc=\"Res\"><ofd:Fonts>"
              "<ofd:Font ID=\"3\" FontName=\"宋体\"/></ofd:Fonts></ofd:Res>",
              ZIP_CM_DEFLATE);
    /* compressible, so that a writer that recompressed it would be seen */
    add_entry(z, "Doc_0/Res/stored.bin",
              "stored as it is, stored as it is, stored as it is, stored as it is, stored as it "
              "is, stored as it is, stored as it is, stored as it is, stored as it is",
              ZIP_CM_STORE);
    assert_int_equal(zip_close(z), 0);
    g_string_free(doc, TRUE);
    g_ptr_array_free(keep, TRUE);
    return path;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    gchar *data = NULL;
    gsize n = 0;
    assert_true(g_file_get_contents(path, &data, &n, NULL));
    *len = n;
    return (uint8_t *)data;
}

/* Every entry of `in` is in `out` with the same method, CRC, sizes and compressed bytes,
 * except the names in `changed`. */
static void assert_entries_kept(const char *in, const char *out, const char *const *changed)
{
    int err = 0;
    zip_t *a = zip_open(in, ZIP_RDONLY, &err), *b = zip_open(out, ZIP_RDONLY, &err);
    assert_non_null(a);
    assert_non_null(b);
    for (zip_int64_t i = 0; i < zip_get_num_entries(a, 0); i++) {
        zip_stat_t sa, sb;
        assert_int_equal(zip_stat_index(a, (zip_uint64_t)i, ZIP_FL_ENC_RAW, &sa), 0);
        bool is_changed = false;
        for (const char *const *c = changed; c && *c; c++)
            is_changed |= strcmp(*c, sa.name) == 0;
        zip_int64_t j = zip_name_locate(b, sa.name, ZIP_FL_ENC_RAW);
        if (j < 0)
            fail_msg("entry %s is missing from the output", sa.name);
        if (is_changed)
            continue;
        assert_int_equal(zip_stat_index(b, (zip_uint64_t)j, ZIP_FL_ENC_RAW, &sb), 0);
        if (sa.crc != sb.crc || sa.comp_method != sb.comp_method || sa.size != sb.size ||
            sa.comp_size != sb.comp_size || sa.mtime != sb.mtime)
            fail_msg("entry %s changed its CRC, method, size or time", sa.name);
        if (sa.size == 0)
            continue;
        uint8_t *ra = malloc(sa.comp_size), *rb = malloc(sb.comp_size);
        zip_file_t *fa = zip_fopen_index(a, (zip_uint64_t)i, ZIP_FL_COMPRESSED);
        zip_file_t *fb = zip_fopen_index(b, (zip_uint64_t)j, ZIP_FL_COMPRESSED);
        assert_int_equal(zip_fread(fa, ra, sa.comp_size), (zip_int64_t)sa.comp_size);
        assert_int_equal(zip_fread(fb, rb, sb.comp_size), (zip_int64_t)sb.comp_size);
        if (memcmp(ra, rb, sa.comp_size) != 0)
            fail_msg("the stored bytes of %s changed", sa.name);
        zip_fclose(fa);
        zip_fclose(fb);
        free(ra);
        free(rb);
    }
    zip_discard(a);
    zip_discard(b);
}

/* Each reference's CheckValue is the SM3 of the named entry's stored bytes. */
static void assert_refs_match(seal_ofd *doc, const seal_ofd_signature *sig)
{
    for (size_t i = 0; i < sig->n_refs; i++) {
        seal_slice bytes;
        uint8_t digest[32];
        size_t len = 0;
        if (seal_ofd_entry_read(doc, sig->refs[i].path, &bytes) != 0)
            fail_msg("%s: reference to missing %s", sig->path, sig->refs[i].path);
        assert_int_equal(seal_digest(EVP_sm3(), bytes.data, bytes.len, digest, &len), 0);
        gsize value_len = 0;
        guchar *value = g_base64_decode(sig->refs[i].check_value, &value_len);
        if (value_len != len || memcmp(value, digest, len) != 0)
            fail_msg("%s: the digest of %s does not match", sig->path, sig->refs[i].path);
        g_free(value);
    }
}

static bool refs_name(const seal_ofd_signature *sig, const char *path)
{
    for (size_t i = 0; i < sig->n_refs; i++)
        if (strcmp(sig->refs[i].path, path) == 0)
            return true;
    return false;
}

/* The SES_Signature in SignedValue.dat verifies, binds SM3(Signature.xml) and its path,
 * and carries exactly the bytes of Seal.esl. */
static void assert_seal_signature(seal_ofd *doc, const seal_ofd_signature *sig,
                                  const seal_buf *seal)
{
    seal_slice value, xml, esl;
    seal_ses_signature *ses = NULL;
    uint8_t digest[32];
    size_t len = 0;
    assert_true(sig->is_seal);
    assert_int_equal(seal_ofd_entry_read(doc, sig->signed_value_path, &value), 0);
    assert_int_equal(seal_ses_signature_parse(&ses, value.data, value.len), 0);
    assert_int_equal(ses->version, 4);
    assert_int_equal(seal_ses_signature_verify(ses), 0);
    assert_int_equal(seal_ofd_entry_read(doc, sig->path, &xml), 0);
    assert_int_equal(seal_digest(EVP_sm3(), xml.data, xml.len, digest, &len), 0);
    assert_true(seal_slice_eq(ses->data_hash, seal_slice_of(digest, len)));
    char *want = g_strconcat("/", sig->path, NULL);
    assert_string_equal(ses->property_info, want);
    g_free(want);
    assert_int_equal(seal_ofd_entry_read(doc, sig->seal_path, &esl), 0);
    assert_true(seal_slice_eq(ses->eseal_der, esl));
    assert_true(seal_slice_eq(esl, seal_slice_of(seal->data, seal->len)));
    assert_string_equal(sig->signature_method, "1.2.156.10197.1.501");
    assert_string_equal(sig->check_method, "1.2.156.10197.1.401");
    seal_ses_signature_free(ses);
}

static seal_ofd_stamp_opts at(const seal_placement *p, size_t n, seal_ofd_stamp_mode mode)
{
    seal_ofd_stamp_opts o = {.mode = mode, .placements = p, .n_placements = n};
    return o;
}

static const seal_placement PAGE2 = {2, 105, 150, 40, 40, -1};

/* ---------------------------------------------------------------- tests */

static void test_first_seal(void **state)
{
    fixture *f = *state;
    const char *in = make_ofd(f, "three.ofd", 3);
    const char *out = test_path(f->dir, "three-sealed.ofd");
    seal_ofd_stamp_opts o = at(&PAGE2, 1, SEAL_OFD_STAMP_CONTINUE);
    int rc = seal_ofd_stamp(in, out, f->sm2, f->seal.data, f->seal.len, &o);
    if (rc != 0)
        fail_msg("%s", seal_error_last());

    static const char *const changed[] = {"OFD.xml", NULL};
    assert_entries_kept(in, out, changed);

    seal_ofd *doc = NULL;
    assert_int_equal(seal_ofd_open(&doc, out, NULL), 0);
    assert_string_equal(seal_ofd_info(doc)->signatures_path, "Doc_0/Signs/Signatures.xml");
    assert_string_equal(seal_ofd_info(doc)->max_sign_id, "2");
    assert_int_equal(seal_ofd_signature_count(doc), 1);
    const seal_ofd_signature *sig = seal_ofd_signature_at(doc, 0);
    assert_int_equal(sig->error, 0);
    assert_string_equal(sig->id, "1");
    assert_string_equal(sig->type, "Seal");
    assert_string_equal(sig->path, "Doc_0/Signs/Sign_0/Signature.xml");
    assert_string_equal(sig->signed_value_path, "Doc_0/Signs/Sign_0/SignedValue.dat");
    assert_string_equal(sig->seal_path, "Doc_0/Signs/Sign_0/Seal.esl");
    assert_string_equal(sig->provider_name, "sealsvc");
    assert_non_null(sig->date_time);
    assert_int_equal(strlen(sig->date_time), 15);

    /* the seal centred at 105,150 on page 2: 40 x 40 mm from 85,130; PageRef the ID */
    assert_int_equal(sig->n_stamps, 1);
    assert_string_equal(sig->stamps[0].id, "2");
    assert_string_equal(sig->stamps[0].page_ref, "12");
    assert_int_equal(sig->stamps[0].page, 2);
    assert_true(sig->stamps[0].boundary.x == 85 && sig->stamps[0].boundary.y == 130);
    assert_true(sig->stamps[0].boundary.w == 40 && sig->stamps[0].boundary.h == 40);
    assert_false(sig->stamps[0].has_clip);

    /* every file but this signature's own two and (continue mode) Signatures.xml */
    const char *covered[] = {"OFD.xml",
                             "Doc_0/Document.xml",
                             "Doc_0/PublicRes.xml",
                             "Doc_0/Res/stored.bin",
                             "Doc_0/Pages/Page_0/Content.xml",
                             "Doc_0/Pages/Page_2/Content.xml",
                             "Doc_0/Signs/Sign_0/Seal.esl"};
    for (size_t i = 0; i < sizeof covered / sizeof covered[0]; i++)
        if (!refs_name(sig, covered[i]))
            fail_msg("%s is not covered", covered[i]);
    assert_int_equal(sig->n_refs, 8);
    assert_false(refs_name(sig, "Doc_0/Signs/Signatures.xml"));
    assert_false(refs_name(sig, sig->path));
    assert_false(refs_name(sig, sig->signed_value_path));
    assert_refs_match(doc, sig);
    assert_seal_signature(doc, sig, &f->seal);
    seal_ofd_free(doc);
}

static void test_second_signature_keeps_the_first(void **state)
{
    fixture *f = *state;
    const char *in = make_ofd(f, "two.ofd", 2);
    const char *one = test_path(f->dir, "two-1.ofd"), *two = test_path(f->dir, "two-2.ofd");
    seal_placement p1 = {1, 60, 60, 40, 40, -1};
    seal_ofd_stamp_opts o = at(&p1, 1, SEAL_OFD_STAMP_CONTINUE);
    assert_int_equal(seal_ofd_stamp(in, one, f->sm2, f->seal.data, f->seal.len, &o), 0);
    o = at(&PAGE2, 1, SEAL_OFD_STAMP_CONTINUE);
    int rc = seal_ofd_stamp(one, two, f->rsa, f->seal.data, f->seal.len, &o);
    if (rc != 0)
        fail_msg("%s", seal_error_last());

    /* OFD.xml already names the list: only Signatures.xml changes */
    static const char *const changed[] = {"Doc_0/Signs/Signatures.xml", NULL};
    assert_entries_kept(one, two, changed);

    seal_ofd *doc = NULL;
    assert_int_equal(seal_ofd_open(&doc, two, NULL), 0);
    assert_int_equal(seal_ofd_signature_count(doc), 2);
    assert_string_equal(seal_ofd_info(doc)->max_sign_id, "4");
    const seal_ofd_signature *first = seal_ofd_signature_at(doc, 0);
    const seal_ofd_signature *second = seal_ofd_signature_at(doc, 1);
    assert_refs_match(doc, first);
    assert_seal_signature(doc, first, &f->seal);
    assert_refs_match(doc, second);
    assert_string_equal(second->id, "3");
    assert_string_equal(second->stamps[0].id, "4");
    assert_string_equal(second->path, "Doc_0/Signs/Sign_1/Signature.xml");
    assert_true(refs_name(second, "Doc_0/Signs/Sign_0/Signature.xml"));
    assert_true(refs_name(second, "Doc_0/Signs/Sign_0/SignedValue.dat"));
    assert_false(refs_name(second, "Doc_0/Signs/Signatures.xml"));

    /* RSA: Type=Sign, a CMS whose message digest is SHA-256(Signature.xml) */
    assert_false(second->is_seal);
    assert_string_equal(second->type, "Sign");
    assert_string_equal(second->signature_method, SEAL_OID_SHA256_WITH_RSA);
    seal_slice value, xml;
    assert_int_equal(seal_ofd_entry_read(doc, second->signed_value_path, &value), 0);
    assert_int_equal(seal_ofd_entry_read(doc, second->path, &xml), 0);
    seal_cms *cms = NULL;
    assert_int_equal(seal_cms_parse(&cms, value.data, value.len), 0);
    assert_ptr_equal(seal_cms_digest_md(cms), EVP_sha256());
    uint8_t digest[32];
    size_t len = 0;
    assert_int_equal(seal_digest(EVP_sha256(), xml.data, xml.len, digest, &len), 0);
    seal_cms_outcome outcome;
    assert_int_equal(seal_cms_check(&outcome, cms, digest, len), 0);
    assert_true(outcome.digest_ok && outcome.signature_ok && outcome.signing_cert_ok);
    assert_int_equal(X509_cmp(seal_cms_signer_cert(cms), f->rsa_cert), 0);
    seal_cms_free(cms);
    seal_ofd_free(doc);
}

static void test_lock_refuses_later_stamps(void **state)
{
    fixture *f = *state;
    const char *in = make_ofd(f, "lock.ofd", 1);
    const char *locked = test_path(f->dir, "locked.ofd"), *again = test_path(f->dir, "again.ofd");
    seal_placement p = {1, 60, 60, 40, 40, -1};
    seal_ofd_stamp_opts o = at(&p, 1, SEAL_OFD_STAMP_LOCK);
    assert_int_equal(seal_ofd_stamp(in, locked, f->sm2, f->seal.data, f->seal.len, &o), 0);

    seal_ofd *doc = NULL;
    assert_int_equal(seal_ofd_open(&doc, locked, NULL), 0);
    const seal_ofd_signature *sig = seal_ofd_signature_at(doc, 0);
    assert_true(refs_name(sig, "Doc_0/Signs/Signatures.xml"));
    assert_refs_match(doc, sig);
    seal_ofd_free(doc);

    o.mode = SEAL_OFD_STAMP_CONTINUE;
    assert_int_equal(seal_ofd_stamp(locked, again, f->rsa, f->seal.data, f->seal.len, &o),
                     SEAL_EPOLICY);
    assert_non_null(strstr(seal_error_last(), "locked"));
    assert_false(test_exists(again));
    assert_int_equal(test_temp_files(f->dir), 0);
}

static void test_seam_strips_get_clips(void **state)
{
    fixture *f = *state;
    const char *in = make_ofd(f, "seam.ofd", 3);
    const char *out = test_path(f->dir, "seam-sealed.ofd");
    /* a right seam over 3 pages: 40 mm cut in 3, first page the leftmost strip */
    seal_seam_strip strips[3] = {
        {.width_mm = 13, .height_mm = 40, .start_mm = 0},
        {.width_mm = 13.5, .height_mm = 40, .start_mm = 13},
        {.width_mm = 13.5, .height_mm = 40, .start_mm = 26.5},
    };
    seal_seam_strips set = {strips, 3};
    seal_placement p[3] = {
        {1, 210 - 6.5, 148.5, 13, 40, 0},
        {2, 210 - 6.75, 148.5, 13.5, 40, 1},
        {3, 210 - 6.75, 148.5, 13.5, 40, 2},
    };
    seal_ofd_stamp_opts o = at(p, 3, SEAL_OFD_STAMP_CONTINUE);
    o.strips = &set;
    int rc = seal_ofd_stamp(in, out, f->sm2, f->seal.data, f->seal.len, &o);
    if (rc != 0)
        fail_msg("%s", seal_error_last());
    seal_ofd *doc = NULL;
    assert_int_equal(seal_ofd_open(&doc, out, NULL), 0);
    assert_int_equal(seal_ofd_signature_count(doc), 1);
    const seal_ofd_signature *sig = seal_ofd_signature_at(doc, 0);
    assert_int_equal(sig->n_stamps, 3);
    const double want_x[3] = {197, 196.5 - 13, 196.5 - 26.5};
    for (int i = 0; i < 3; i++) {
        const seal_ofd_stamp_annot *a = &sig->stamps[i];
        assert_int_equal(a->page, i + 1);
        assert_true(a->has_clip);
        assert_true(a->boundary.w == 40 && a->boundary.h == 40);
        assert_true(a->boundary.y == 128.5);
        if (a->boundary.x != want_x[i] || a->clip.x != strips[i].start_mm ||
            a->clip.w != strips[i].width_mm || a->clip.y != 0 || a->clip.h != 40)
            fail_msg("strip %d: Boundary x %g, Clip %g %g %g %g", i + 1, a->boundary.x, a->clip.x,
                     a->clip.y, a->clip.w, a->clip.h);
        /* the visible part ends at the right edge of the page */
        assert_true(a->boundary.x + a->clip.x + a->clip.w == 210);
    }
    assert_refs_match(doc, sig);
    seal_ofd_free(doc);
}

static void refused(fixture *f, const char *in, const seal_signer *signer,
                    const seal_ofd_stamp_opts *o, int code, const char *words)
{
    const char *out = test_path(f->dir, "refused.ofd");
    size_t before_len = 0, after_len = 0;
    uint8_t *before = test_exists(in) ? slurp(in, &before_len) : NULL;
    int rc = seal_ofd_stamp(in, out, signer, f->seal.data, f->seal.len, o);
    if (rc != code || !strstr(seal_error_last(), words))
        fail_msg("got %d '%s', wanted %d with '%s'", rc, seal_error_last(), code, words);
    assert_false(test_exists(out));
    assert_int_equal(test_temp_files(f->dir), 0);
    if (before) {
        uint8_t *after = slurp(in, &after_len);
        assert_int_equal(before_len, after_len);
        assert_memory_equal(before, after, before_len);
        g_free(after);
        g_free(before);
    }
}

static void test_refusals(void **state)
{
    fixture *f = *state;
    const char *in = make_ofd(f, "one.ofd", 1);
    seal_placement p = {1, 60, 60, 40, 40, -1};
    seal_ofd_stamp_opts o = at(&p, 1, SEAL_OFD_STAMP_CONTINUE);

    seal_placement page9 = {9, 60, 60, 40, 40, -1};
    seal_ofd_stamp_opts o9 = at(&page9, 1, SEAL_OFD_STAMP_CONTINUE);
    refused(f, in, f->sm2, &o9, SEAL_ENOTFOUND, "page 9");

    seal_placement outside = {1, 300, 60, 40, 40, -1};
    seal_ofd_stamp_opts oo = at(&outside, 1, SEAL_OFD_STAMP_CONTINUE);
    refused(f, in, f->sm2, &oo, SEAL_EINVAL, "outside page 1");

    seal_placement small = {1, 60, 60, 20, 20, -1};
    seal_ofd_stamp_opts os = at(&small, 1, SEAL_OFD_STAMP_CONTINUE);
    refused(f, in, f->sm2, &os, SEAL_EINVAL, "the seal is 40 x 40 mm");

    refused(f, in, f->other, &o, SEAL_EPOLICY, "not one of the certificates");

    seal_ofd_stamp_opts late = o;
    late.signing_time = f->now + 60 * DAY;
    refused(f, in, f->sm2, &late, SEAL_EPOLICY, "is valid from");

    seal_ofd_stamp_opts none = at(NULL, 0, SEAL_OFD_STAMP_CONTINUE);
    refused(f, in, f->sm2, &none, SEAL_EINVAL, "no placement");

    const char *garbage = test_path(f->dir, "garbage.ofd");
    assert_true(g_file_set_contents(garbage, "this is not a zip archive", -1, NULL));
    refused(f, garbage, f->sm2, &o, SEAL_EFORMAT, "not a zip");

    refused(f, test_path(f->dir, "missing.ofd"), f->sm2, &o, SEAL_EIO, "cannot open");

    /* the output may not be the input */
    assert_int_equal(seal_ofd_stamp(in, in, f->sm2, f->seal.data, f->seal.len, &o), SEAL_EINVAL);
    assert_non_null(strstr(seal_error_last(), "not the input"));

    /* an output that cannot be created: nothing is left behind */
    const char *dir_out = test_path(f->dir, "a-directory.ofd");
    assert_int_equal(mkdir(dir_out, 0755), 0);
    assert_int_equal(seal_ofd_stamp(in, dir_out, f->sm2, f->seal.data, f->seal.len, &o), SEAL_EIO);
    assert_int_equal(test_temp_files(f->dir), 0);
    rmdir(dir_out);
}

static void test_corpus_invoice_keeps_its_seal(void **state)
{
    fixture *f = *state;
    const char *corpus = test_corpus_dir();
    if (!corpus)
        skip();
    const char *in = test_path(corpus, "ofd/invoice-signed.ofd");
    const char *out = test_path(f->dir, "invoice-2.ofd");
    seal_placement p = {1, 160, 100, 40, 40, -1};
    seal_ofd_stamp_opts o = at(&p, 1, SEAL_OFD_STAMP_CONTINUE);
    int rc = seal_ofd_stamp(in, out, f->sm2, f->seal.data, f->seal.len, &o);
    if (rc != 0)
        fail_msg("%s", seal_error_last());
    static const char *const changed[] = {"Doc_0/Signs/Signatures.xml", NULL};
    assert_entries_kept(in, out, changed);

    seal_ofd *doc = NULL;
    assert_int_equal(seal_ofd_open(&doc, out, NULL), 0);
    assert_int_equal(seal_ofd_signature_count(doc), 2);
    /* the tax bureau's seal: its references and its SES signature still verify */
    const seal_ofd_signature *tax = seal_ofd_signature_at(doc, 0);
    assert_refs_match(doc, tax);
    seal_slice value;
    seal_ses_signature *ses = NULL;
    assert_int_equal(seal_ofd_entry_read(doc, tax->signed_value_path, &value), 0);
    assert_int_equal(seal_ses_signature_parse(&ses, value.data, value.len), 0);
    assert_int_equal(seal_ses_signature_verify(ses), 0);
    seal_ses_signature_free(ses);
    /* ours: after the counter's 2, in the list's folder */
    const seal_ofd_signature *ours = seal_ofd_signature_at(doc, 1);
    assert_string_equal(ours->id, "3");
    assert_string_equal(ours->stamps[0].id, "4");
    assert_string_equal(seal_ofd_info(doc)->max_sign_id, "4");
    assert_string_equal(ours->path, "Doc_0/Signs/Sign_1/Signature.xml");
    assert_true(refs_name(ours, "Doc_0/Signs/Sign_0/SignedValue.dat"));
    assert_refs_match(doc, ours);
    assert_seal_signature(doc, ours, &f->seal);
    seal_ofd_free(doc);
}

static void test_corpus_id_form_is_kept(void **state)
{
    fixture *f = *state;
    const char *corpus = test_corpus_dir();
    if (!corpus)
        skip();
    const char *in = test_path(corpus, "ofd/DigitalSign.ofd");
    const char *out = test_path(f->dir, "digital-2.ofd");
    seal_placement p = {1, 100, 100, 40, 40, -1};
    seal_ofd_stamp_opts o = at(&p, 1, SEAL_OFD_STAMP_CONTINUE);
    int rc = seal_ofd_stamp(in, out, f->sm2, f->seal.data, f->seal.len, &o);
    if (rc != 0)
        fail_msg("%s", seal_error_last());
    seal_ofd *doc = NULL;
    assert_int_equal(seal_ofd_open(&doc, out, NULL), 0);
    const seal_ofd_signature *ours = seal_ofd_signature_at(doc, 1);
    assert_string_equal(ours->id, "s002");
    assert_string_equal(ours->stamps[0].id, "s003");
    assert_string_equal(seal_ofd_info(doc)->max_sign_id, "s003");
    seal_ofd_free(doc);
}

static void test_corpus_locked_files_refused(void **state)
{
    fixture *f = *state;
    const char *corpus = test_corpus_dir();
    if (!corpus)
        skip();
    seal_placement p = {1, 100, 100, 40, 40, -1};
    seal_ofd_stamp_opts o = at(&p, 1, SEAL_OFD_STAMP_CONTINUE);
    /* ofdrw's whole-document protection covers Signatures.xml */
    const char *files[] = {"ofd/two-seals-v4.ofd", "ofd/seam-v4.ofd", "ofd/allprotected.ofd",
                           "ofd/keyword.ofd"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        refused(f, test_path(corpus, files[i]), f->sm2, &o, SEAL_EPOLICY, "locked");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_seal),
        cmocka_unit_test(test_second_signature_keeps_the_first),
        cmocka_unit_test(test_lock_refuses_later_stamps),
        cmocka_unit_test(test_seam_strips_get_clips),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_corpus_invoice_keeps_its_seal),
        cmocka_unit_test(test_corpus_id_form_is_kept),
        cmocka_unit_test(test_corpus_locked_files_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
