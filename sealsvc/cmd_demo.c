/* `sealsvc demo init --dir DIR`: a complete demo platform in one command, so that a new
 * user can stamp and verify at once. It makes a PKI (root and issuing CA, seal maker, TSA
 * and OCSP signer), three institutions with RSA, ECDSA and SM2 signing certificates and
 * the platform itself, six seals signed by the seal maker (the platform's own seals the
 * verification service's PDF reports), an admin API key for `sealsvc serve`, and prints a JSON
 * manifest (with the seal PINs and the key, shown this once) on stdout. It never touches
 * a directory that already holds a platform. */
#include "cli.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/idnum.h>
#include <seal/image.h>
#include <seal/pki.h>
#include <seal/store.h>

#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEMO_OCSP_PORT 8088
#define DEMO_CRL_PORT  8089
#define ROOT_CRL_HOURS (30 * 24) /* an offline root publishes rarely */
#define DEMO_PLATFORM  "sealsvc 演示平台"
#define KEK_BYTES      32
#define PIN_DIGITS     6
#define CLOCK_SKEW     300 /* seconds certificates start in the past, for slightly slow clocks */
#define ROUND_SEAL_MM  42.0
#define SQUARE_SEAL_MM 20.0

typedef struct demo_institution {
    const char *slug;
    const char *name;
    const char *province;
    const char *locality;
    const char *division; /* GB/T 2260 administrative division code */
    const char *org_code; /* the 8-character body of the organisation code (GB 11714) */
    seal_key_alg alg;
} demo_institution;

static const demo_institution demo_institutions[] = {
    {"xinghe", "北京市星河信息技术有限公司", "北京市", "海淀区", "110108", "MA01XH3K",
     SEAL_ALG_RSA},
    {"pujiang", "上海浦江建设工程有限公司", "上海市", "浦东新区", "310115", "MA1GPJ7C",
     SEAL_ALG_ECDSA},
    {"nanyue", "广州南粤招标代理有限公司", "广东省", "广州市", "440106", "MA5NY2AD", SEAL_ALG_SM2},
    /* The platform itself, as the holder of its verification service's seal. */
    {"platform", DEMO_PLATFORM, "北京市", "东城区", "110101", "MA0YJF8T", SEAL_ALG_RSA},
};
#define INSTITUTION_COUNT (sizeof demo_institutions / sizeof demo_institutions[0])

/* The legal representative of the first institution, who holds a personal seal. His
 * resident ID (GB 11643-1999) is made up: registered in Chaoyang, Beijing (GB/T 2260
 * 110105), born 14 June 1978, a random odd sequence number (odd: male, 5.4), and its
 * check character. */
#define PERSON_NAME      "张伟明"
#define PERSON_SEAL_TEXT "张伟明印"
#define PERSON_ALG       SEAL_ALG_ECDSA
#define PERSON_ID_REGION "110105"
#define PERSON_ID_BIRTH  "19780614"

typedef struct demo_seal {
    const char *id;
    size_t institution;
    const char *kind;
    seal_shape shape;
    const char *purpose; /* the line below the star; NULL for an official seal */
    bool personal;       /* the legal representative's own certificate and name */
} demo_seal;

static const demo_seal demo_seals[] = {
    {"xinghe-official", 0, "official", SEAL_SHAPE_ROUND, NULL, false},
    {"xinghe-contract", 0, "contract", SEAL_SHAPE_ROUND, "合同专用章", false},
    {"pujiang-official", 1, "official", SEAL_SHAPE_ROUND, NULL, false},
    {"nanyue-official", 2, "official", SEAL_SHAPE_ROUND, NULL, false},
    {"xinghe-legal-rep", 0, "personal", SEAL_SHAPE_SQUARE, NULL, true},
    /* The seal `verify --format pdf` seals its reports with (SEAL_REPORT_SEAL_DEFAULT). */
    {"platform-verification", 3, "verification", SEAL_SHAPE_ROUND, "验证专用章", false},
};

/* A private key and its certificate. */
typedef struct demo_party {
    EVP_PKEY *key;
    X509 *cert;
} demo_party;

typedef struct demo {
    char *dir; /* absolute */
    char *ocsp_url, *crl_url, *root_crl_url;
    char *kek; /* the key-encryption key's text */
    time_t now;
    demo_party root, ca, maker, tsa, ocsp;
    demo_party institutions[INSTITUTION_COUNT];
    demo_party person;
    char credit_codes[INSTITUTION_COUNT][19];
    int64_t institution_ids[INSTITUTION_COUNT];
    seal_buf ca_pem;
    seal_store *store;
    seal_signer *maker_signer;
    json_t *seals;
    json_t *api_key; /* the demo's API key for `sealsvc serve`, shown once in the manifest */
    json_t *desk;    /* the demo clerk's desk login (docs/desk.md), in the manifest */
} demo;

static void log_step(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_step(const char *fmt, ...)
{
    va_list ap;
    fputs("sealsvc demo: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void party_clear(demo_party *p)
{
    EVP_PKEY_free(p->key);
    X509_free(p->cert);
    p->key = NULL;
    p->cert = NULL;
}

static time_t years_after(time_t t, int years)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    tm.tm_year += years;
    return timegm(&tm);
}

static int write_in(const demo *d, const char *rel, const seal_buf *b, unsigned mode)
{
    char *path = g_build_filename(d->dir, rel, NULL);
    int rc = seal_buf_write_file(b, path, mode);
    g_free(path);
    return rc;
}

/* ---------------------------------------------------------------- the directory */

/* Refuses a directory that holds a platform or the leftovers of one, before anything is
 * written, so a second run can never overwrite keys or seals. */
static int refuse_existing(const char *dir)
{
    static const char *const taken[] = {"sealsvc.db", "pki", "secrets", "seals"};
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++) {
        char *path = g_build_filename(dir, taken[i], NULL);
        bool exists = g_file_test(path, G_FILE_TEST_EXISTS);
        g_free(path);
        if (exists && i == 0)
            return seal_error_set(SEAL_EEXISTS,
                                  "%s already holds a platform (sealsvc.db exists); refusing to "
                                  "overwrite it: choose a new directory",
                                  dir);
        if (exists)
            return seal_error_set(SEAL_EEXISTS,
                                  "%s already has a %s folder (left by an earlier run?); "
                                  "refusing to overwrite it: choose a new directory",
                                  dir, taken[i]);
    }
    return 0;
}

static int make_dirs(const demo *d)
{
    static const struct {
        const char *rel;
        int mode;
    } dirs[] = {
        {"", 0700},      {"pki", 0755},   {"pki/private", 0700}, {"secrets", 0700},
        {"seals", 0755}, {"trust", 0755}, {"certs", 0755},
    };
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        char *path = g_build_filename(d->dir, dirs[i].rel, NULL);
        int failed = g_mkdir_with_parents(path, dirs[i].mode);
        int err = errno;
        g_free(path);
        if (failed)
            return seal_error_set(SEAL_EIO, "cannot create %s/%s: %s", d->dir, dirs[i].rel,
                                  strerror(err));
    }
    return 0;
}

/* The key-encryption key, never in the database: SEALSVC_KEK when it is set (nothing is
 * written then), else a random one kept in secrets/kek beside the database. The store
 * derives from it the keys the platform's own keys rest under. */
static int make_kek(demo *d)
{
    int rc = 0;
    uint8_t raw[KEK_BYTES];
    seal_buf hex = SEAL_BUF_INIT;
    const char *env = getenv("SEALSVC_KEK");
    if (env && *env) {
        d->kek = g_strstrip(g_strdup(env));
        goto out;
    }
    SEAL_ENSURE(RAND_bytes(raw, sizeof raw) == 1, SEAL_ECRYPTO,
                "no random bytes for the key-encryption key");
    SEAL_TRY(seal_hex_encode(&hex, raw, sizeof raw, false));
    d->kek = g_strndup((const char *)hex.data, hex.len);
    SEAL_TRY(write_in(d, "secrets/kek", &hex, 0600));
out:
    OPENSSL_cleanse(raw, sizeof raw);
    seal_buf_clear_secret(&hex);
    return rc;
}

/* ---------------------------------------------------------------- the PKI */

static int issue(demo_party *p, seal_key_alg alg, int bits, const seal_cert_spec *spec,
                 const demo_party *issuer)
{
    int rc = seal_key_generate(&p->key, alg, bits);
    if (rc < 0)
        return rc;
    return seal_cert_issue(&p->cert, spec, p->key, issuer ? issuer->cert : NULL,
                           issuer ? issuer->key : NULL);
}

/* Into the database, where the platform reads it; and, for the user's own tools (openssl
 * issuing a test certificate, pdfsig's anchors), exported as pki/NAME.pem and
 * pki/private/NAME.key.pem (encrypted under the KEK's text), which nothing of sealsvc
 * reads. */
static int save_party(const demo *d, const demo_party *p, const char *name)
{
    int rc = 0;
    seal_buf pem = SEAL_BUF_INIT;
    char *rel = NULL;
    SEAL_TRY(seal_store_party_put(d->store, name, p->cert, p->key));
    SEAL_TRY(seal_cert_to_pem(&pem, p->cert));
    rel = g_strdup_printf("pki/%s.pem", name);
    SEAL_TRY(write_in(d, rel, &pem, 0644));
    g_free(rel);
    rel = g_strdup_printf("pki/private/%s.key.pem", name);
    SEAL_TRY(seal_key_encrypt_pem(&pem, p->key, d->kek));
    SEAL_TRY(write_in(d, rel, &pem, 0600));
out:
    g_free(rel);
    seal_buf_clear_secret(&pem);
    return rc;
}

static seal_cert_spec platform_spec(const demo *d, seal_cert_role role, const char *cn, int years)
{
    seal_cert_spec spec = {
        .role = role,
        .country = "CN",
        .organization = DEMO_PLATFORM,
        .common_name = cn,
        .not_before = d->now - CLOCK_SKEW,
        .not_after = years_after(d->now, years),
    };
    /* Certificates say where their issuer publishes their revocation status: the root's
     * CRL for the issuing CA, the issuing CA's CRL and OCSP responder for the rest (the
     * OCSP signer itself carries id-pkix-ocsp-nocheck, RFC 6960 4.2.2.2.1). */
    if (role == SEAL_CERT_ISSUING_CA) {
        spec.crl_url = d->root_crl_url;
    } else if (role != SEAL_CERT_ROOT_CA) {
        spec.crl_url = d->crl_url;
        if (role != SEAL_CERT_OCSP)
            spec.ocsp_url = d->ocsp_url;
    }
    return spec;
}

static int make_pki(demo *d)
{
    int rc = 0;
    seal_buf pem = SEAL_BUF_INIT;
    STACK_OF(X509) *chain = NULL;
    seal_cert_spec spec;

    log_step("root CA (RSA 3072, 20 years)");
    spec = platform_spec(d, SEAL_CERT_ROOT_CA, "sealsvc Demo Root CA", 20);
    SEAL_TRY(issue(&d->root, SEAL_ALG_RSA, 3072, &spec, NULL));
    SEAL_TRY(save_party(d, &d->root, "root-ca"));
    SEAL_TRY(seal_cert_to_pem(&pem, d->root.cert));
    SEAL_TRY(write_in(d, "trust/root-ca.pem", &pem, 0644));

    log_step("issuing CA (RSA 2048, 10 years)");
    spec = platform_spec(d, SEAL_CERT_ISSUING_CA, "sealsvc Demo Issuing CA", 10);
    SEAL_TRY(issue(&d->ca, SEAL_ALG_RSA, 2048, &spec, &d->root));
    SEAL_TRY(save_party(d, &d->ca, "issuing-ca"));
    SEAL_TRY(seal_cert_to_pem(&d->ca_pem, d->ca.cert));

    log_step("seal maker (SM2, 5 years)");
    spec = platform_spec(d, SEAL_CERT_SEAL_MAKER, "sealsvc Demo Seal Maker", 5);
    SEAL_TRY(issue(&d->maker, SEAL_ALG_SM2, 0, &spec, &d->ca));
    SEAL_TRY(save_party(d, &d->maker, "seal-maker"));

    log_step("time-stamping authority (RSA 2048, 5 years)");
    spec = platform_spec(d, SEAL_CERT_TSA, "sealsvc Demo TSA", 5);
    SEAL_TRY(issue(&d->tsa, SEAL_ALG_RSA, 2048, &spec, &d->ca));
    SEAL_TRY(save_party(d, &d->tsa, "tsa"));

    log_step("OCSP signer (RSA 2048, 2 years)");
    spec = platform_spec(d, SEAL_CERT_OCSP, "sealsvc Demo OCSP Responder", 2);
    SEAL_TRY(issue(&d->ocsp, SEAL_ALG_RSA, 2048, &spec, &d->ca));
    SEAL_TRY(save_party(d, &d->ocsp, "ocsp"));

    chain = sk_X509_new_null();
    SEAL_ENSURE(chain && sk_X509_push(chain, d->ca.cert) > 0, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(seal_signer_new_software(&d->maker_signer, d->maker.key, d->maker.cert, chain));
out:
    sk_X509_free(chain); /* the certificate stays owned by d->ca */
    seal_buf_clear(&pem);
    return rc;
}

/* ---------------------------------------------------------------- institutions */

/* GB 11714-1997: the organisation code's check character over its 8-character body;
 * letters count as 10 for A up to 35 for Z. */
static char org_code_check(const char *body)
{
    static const int weights[8] = {3, 7, 9, 10, 5, 8, 4, 2};
    int sum = 0;
    for (int i = 0; i < 8; i++) {
        char c = body[i];
        int v = g_ascii_isdigit(c) ? c - '0' : c - 'A' + 10;
        sum += v * weights[i];
    }
    int check = 11 - sum % 11;
    return check == 10 ? 'X' : check == 11 ? '0' : (char)('0' + check);
}

/* GB 32100-2015: registration authority 9 (market regulation) and category 1
 * (enterprise), the division code, the organisation code with its own check character,
 * and the check character of Appendix B: C18 = 31 - (sum of value * 3^(i-1) mod 31). */
static int make_credit_code(char out[19], const demo_institution *inst)
{
    static const char alphabet[] = "0123456789ABCDEFGHJKLMNPQRTUWXY";
    snprintf(out, 19, "91%s%s%c", inst->division, inst->org_code, org_code_check(inst->org_code));
    int sum = 0, weight = 1;
    for (int i = 0; i < 17; i++) {
        sum += (int)(strchr(alphabet, out[i]) - alphabet) * weight;
        weight = weight * 3 % 31;
    }
    out[17] = alphabet[(31 - sum % 31) % 31];
    out[18] = '\0';
    return seal_credit_code_check(out);
}

/* GB 11643-1999 5.4: region, birth date, a three-digit sequence number; 7.2 (ISO 7064
 * MOD 11-2): the check character makes the weighted sum 1 mod 11, weight i = 2^(18-i). */
static int make_resident_id(char out[19], const char *birth)
{
    static const char check[] = "10X98765432";
    uint8_t random[2];
    if (RAND_bytes(random, sizeof random) != 1)
        return seal_error_set(SEAL_ECRYPTO, "no random bytes for a resident ID");
    snprintf(out, 19, "%s%s%02d%d", PERSON_ID_REGION, birth, random[0] % 100,
             (random[1] % 5) * 2 + 1);
    int sum = 0, weight = 1 << 17;
    for (int i = 0; i < 17; i++, weight >>= 1)
        sum += (out[i] - '0') * (weight % 11);
    out[17] = check[sum % 11];
    out[18] = '\0';
    return seal_resident_id_check(out);
}

static int signer_spec_issue(demo *d, demo_party *p, const demo_institution *inst, const char *cn,
                             const char *credit_code, seal_key_alg alg)
{
    seal_cert_spec spec = {
        .role = SEAL_CERT_SIGNER,
        .country = "CN",
        .province = inst->province,
        .locality = inst->locality,
        .organization = inst->name,
        .common_name = cn,
        .org_identifier = credit_code,
        .not_before = d->now - CLOCK_SKEW,
        .not_after = years_after(d->now, 2),
        .crl_url = d->crl_url,
        .ocsp_url = d->ocsp_url,
    };
    return issue(p, alg, alg == SEAL_ALG_RSA ? 2048 : 0, &spec, &d->ca);
}

static int export_cert(const demo *d, const demo_party *p, const char *name)
{
    seal_buf pem = SEAL_BUF_INIT;
    char *rel = g_strdup_printf("certs/%s.pem", name);
    int rc = seal_cert_to_pem(&pem, p->cert);
    if (rc == 0)
        rc = write_in(d, rel, &pem, 0644);
    g_free(rel);
    seal_buf_clear(&pem);
    return rc;
}

static int make_institutions(demo *d)
{
    int rc = 0;
    for (size_t i = 0; i < INSTITUTION_COUNT; i++) {
        const demo_institution *inst = &demo_institutions[i];
        log_step("institution %s (%s signing certificate, 2 years)", inst->slug,
                 seal_key_alg_name(inst->alg));
        SEAL_TRY(make_credit_code(d->credit_codes[i], inst));
        SEAL_TRY(seal_store_add_institution(d->store, inst->name, d->credit_codes[i],
                                            &d->institution_ids[i]));
        SEAL_TRY(signer_spec_issue(d, &d->institutions[i], inst, inst->name, d->credit_codes[i],
                                   inst->alg));
        SEAL_TRY(export_cert(d, &d->institutions[i], inst->slug));
    }
    log_step("legal representative of %s (%s signing certificate, 2 years)",
             demo_institutions[0].slug, seal_key_alg_name(PERSON_ALG));
    SEAL_TRY(
        signer_spec_issue(d, &d->person, &demo_institutions[0], PERSON_NAME, NULL, PERSON_ALG));
    SEAL_TRY(export_cert(d, &d->person, "xinghe-legal-rep"));
out:
    return rc;
}

/* ---------------------------------------------------------------- seals */

/* A uniformly drawn 6-digit PIN (rejection sampling keeps every value equally likely). */
static int random_pin(char out[PIN_DIGITS + 1])
{
    uint32_t v;
    do {
        if (RAND_bytes((unsigned char *)&v, sizeof v) != 1)
            return seal_error_set(SEAL_ECRYPTO, "no random bytes for a seal PIN");
    } while (v >= UINT32_MAX - UINT32_MAX % 1000000);
    snprintf(out, PIN_DIGITS + 1, "%06u", (unsigned)(v % 1000000));
    OPENSSL_cleanse(&v, sizeof v);
    return 0;
}

/* The manifest's entry for a seal; a personal seal's holder with the ID masked, as
 * everywhere outside the store. */
static json_t *seal_entry(const demo *d, const seal_record *r, const char *pin)
{
    char *image = g_strdup_printf("%s/seals/%s.png", d->dir, r->id);
    char *esl = g_strdup_printf("%s/seals/%s.esl", d->dir, r->id);
    json_t *entry = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", r->id, "name",
                              r->name, "type", r->kind, "owner", r->owner, "algorithm",
                              seal_key_alg_name(r->alg), "pin", pin, "image", image, "esl", esl);
    if (entry && r->holder_id) {
        char masked[19];
        seal_resident_id_mask(r->holder_id, masked);
        if (json_object_set_new(
                entry, "holder",
                json_pack("{s:s, s:s}", "name", r->holder_name, "id_masked", masked)) != 0) {
            json_decref(entry);
            entry = NULL;
        }
    }
    g_free(image);
    g_free(esl);
    return entry;
}

static int make_seal(demo *d, const demo_seal *s)
{
    int rc = 0;
    const demo_institution *inst = &demo_institutions[s->institution];
    const demo_party *party = s->personal ? &d->person : &d->institutions[s->institution];
    seal_record r = {0};
    char pin[PIN_DIGITS + 1] = "";
    char code[14];
    char *rel = NULL;
    json_t *entry = NULL;

    SEAL_TRY(random_pin(pin));
    SEAL_TRY(seal_store_seal_code(code, d->credit_codes[s->institution]));
    double size_mm = s->shape == SEAL_SHAPE_SQUARE ? SQUARE_SEAL_MM : ROUND_SEAL_MM;
    seal_drawing drawing = {
        .shape = s->shape,
        .name = s->personal ? PERSON_SEAL_TEXT : inst->name,
        .purpose = s->purpose,
        .code = s->shape == SEAL_SHAPE_ROUND ? code : NULL,
        .width_mm = size_mm,
        .height_mm = size_mm,
    };
    SEAL_TRY(seal_image_draw(&r.image_png, &drawing));

    r.id = g_strdup(s->id);
    r.name = s->personal ? g_strdup(PERSON_NAME)
                         : g_strconcat(inst->name, s->purpose ? s->purpose : "", NULL);
    r.kind = g_strdup(s->kind);
    r.shape = g_strdup(seal_shape_name(s->shape));
    r.institution_id = d->institution_ids[s->institution];
    if (s->personal) {
        char resident_id[19];
        r.holder_name = g_strdup(PERSON_NAME);
        rc = make_resident_id(resident_id, PERSON_ID_BIRTH);
        r.holder_id = g_strdup(resident_id);
        OPENSSL_cleanse(resident_id, sizeof resident_id);
        if (rc < 0)
            goto out;
    }
    SEAL_TRY(seal_cert_to_pem(&r.cert_pem, party->cert));
    SEAL_TRY(seal_buf_set(&r.chain_pem, d->ca_pem.data, d->ca_pem.len));
    r.width_mm = r.height_mm = size_mm;
    /* GB/T 38540: the seal is valid while the certificate it binds is. */
    r.valid_start = d->now - CLOCK_SKEW;
    r.valid_end = years_after(d->now, 2);
    SEAL_TRY(
        seal_store_create_seal(d->store, &r, code, party->key, pin, d->maker_signer, "demo init"));

    rel = g_strdup_printf("seals/%s.esl", r.id);
    SEAL_TRY(write_in(d, rel, &r.esl, 0644));
    g_free(rel);
    rel = g_strdup_printf("seals/%s.png", r.id);
    SEAL_TRY(write_in(d, rel, &r.image_png, 0644));

    entry = seal_entry(d, &r, pin);
    SEAL_ENSURE(entry && json_array_append_new(d->seals, entry) == 0, SEAL_ENOMEM, "out of memory");
    entry = NULL;
    log_step("seal %s (%s, %s, %s) made", r.id, r.kind, r.shape, seal_key_alg_name(r.alg));
out:
    OPENSSL_cleanse(pin, sizeof pin);
    json_decref(entry);
    g_free(rel);
    seal_record_clear(&r);
    return rc;
}

/* ---------------------------------------------------------------- the CA database */

/* Every certificate the demo CAs issued goes into the CA database (so that `sealsvc ca`
 * can revoke or freeze it and the OCSP responder can answer for it), and both CAs
 * publish their first CRL (in the database). */
static int register_certs(demo *d)
{
    int rc = 0;
    seal_ca *ca = NULL;
    static const char *const roles[] = {"seal-maker", "tsa", "ocsp"};
    const demo_party *platform[] = {&d->maker, &d->tsa, &d->ocsp};
    log_step("CA database and first CRLs");
    SEAL_TRY(seal_store_ca_add(d->store, d->ca.cert, d->root.cert, "ca", "demo init"));
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        SEAL_TRY(seal_store_ca_add(d->store, platform[i]->cert, d->ca.cert, roles[i], "demo init"));
    for (size_t i = 0; i < INSTITUTION_COUNT; i++)
        SEAL_TRY(seal_store_ca_add(d->store, d->institutions[i].cert, d->ca.cert, "signer",
                                   "demo init"));
    SEAL_TRY(seal_store_ca_add(d->store, d->person.cert, d->ca.cert, "signer", "demo init"));
    SEAL_TRY(seal_ca_open(&ca, d->store, "root-ca"));
    SEAL_TRY(seal_ca_publish_crl(ca, ROOT_CRL_HOURS, NULL, "demo init"));
    seal_ca_free(ca);
    ca = NULL;
    SEAL_TRY(seal_ca_open(&ca, d->store, "issuing-ca"));
    SEAL_TRY(seal_ca_publish_crl(ca, 0, NULL, "demo init"));
out:
    seal_ca_free(ca);
    return rc;
}

/* ---------------------------------------------------------------- the command */

static void demo_clear(demo *d)
{
    party_clear(&d->root);
    party_clear(&d->ca);
    party_clear(&d->maker);
    party_clear(&d->tsa);
    party_clear(&d->ocsp);
    party_clear(&d->person);
    for (size_t i = 0; i < INSTITUTION_COUNT; i++)
        party_clear(&d->institutions[i]);
    seal_signer_free(d->maker_signer);
    seal_store_close(d->store);
    seal_buf_clear(&d->ca_pem);
    json_decref(d->seals);
    if (d->kek)
        OPENSSL_cleanse(d->kek, strlen(d->kek));
    g_free(d->kek);
    g_free(d->dir);
    g_free(d->ocsp_url);
    g_free(d->crl_url);
    g_free(d->root_crl_url);
    json_decref(d->api_key);
    json_decref(d->desk);
}

/* An admin API key for the HTTP service, so the demo's curl lines work at once. */
static int make_api_key(demo *d)
{
    seal_apikey_record r = {.role = "admin", .label = "demo"};
    char *key = NULL;
    int rc = seal_store_apikey_create(d->store, &r, &key, "demo init");
    if (rc < 0)
        return rc;
    d->api_key = json_pack("{s:s, s:s, s:s}", "id", r.id, "key", key, "role", r.role);
    OPENSSL_cleanse(key, strlen(key));
    g_free(key);
    return d->api_key ? 0 : seal_error_set(SEAL_ENOMEM, "out of memory");
}

/* The clerk desk's demo: a seal administrator and a clerk (a handler) of the first
 * institution, registered with made-up resident IDs (born on other days than the legal
 * representative, so no two collide), the clerk granted its two institution seals for a
 * year under a demo project, and given a known desk password. A demo only: the password is
 * printed in the manifest for anyone to log in with. */
#define DESK_ADMIN_NAME    "赵明理"
#define DESK_ADMIN_BIRTH   "19820309"
#define DESK_CLERK_NAME    "李文书"
#define DESK_CLERK_BIRTH   "19900721"
#define DESK_DEMO_PASSWORD "demo-desk-2026"
#define DESK_DEMO_PROJECT  "DEMO-2026-001"
#define DESK_GRANT_USES    100
#define DESK_GRANT_DAYS    365

static int make_desk(demo *d)
{
    int rc = 0;
    char admin_id[19], clerk_id[19];
    int64_t admin = 0, clerk = 0;
    const char *code = d->credit_codes[0];
    static const char *const granted[] = {"xinghe-official", "xinghe-contract"};
    SEAL_TRY(make_resident_id(admin_id, DESK_ADMIN_BIRTH));
    SEAL_TRY(make_resident_id(clerk_id, DESK_CLERK_BIRTH));
    SEAL_TRY(seal_store_person_add(d->store, DESK_ADMIN_NAME, admin_id, NULL, "demo init", &admin));
    SEAL_TRY(seal_store_person_add(d->store, DESK_CLERK_NAME, clerk_id, NULL, "demo init", &clerk));
    SEAL_TRY(seal_store_role_grant(d->store, code, admin, "seal-administrator", "demo init"));
    SEAL_TRY(seal_store_role_grant(d->store, code, clerk, "handler", "demo init"));
    for (size_t i = 0; i < G_N_ELEMENTS(granted); i++) {
        seal_grant_record g = {
            .seal_id = (char *)granted[i],
            .grantor_id = admin,
            .grantee_id = clerk,
            .project = DESK_DEMO_PROJECT,
            .not_before = d->now - 60,
            .not_after = d->now + (time_t)DESK_GRANT_DAYS * 86400,
            .max_uses = DESK_GRANT_USES,
        };
        SEAL_TRY(seal_store_grant_add(d->store, &g, "demo init"));
    }
    SEAL_TRY(seal_store_person_password_set(d->store, clerk, DESK_DEMO_PASSWORD, "demo init"));
    char *login = g_strdup_printf("%lld", (long long)clerk);
    d->desk = json_pack("{s:s, s:s, s:s, s:s, s:s}", "url", "/desk/", "login", login, "password",
                        DESK_DEMO_PASSWORD, "name", DESK_CLERK_NAME, "institution", code);
    g_free(login);
    SEAL_ENSURE(d->desk, SEAL_ENOMEM, "out of memory");
out:
    OPENSSL_cleanse(admin_id, sizeof admin_id);
    OPENSSL_cleanse(clerk_id, sizeof clerk_id);
    return rc;
}

static int print_manifest(const demo *d)
{
    char *anchor = g_build_filename(d->dir, "trust", "root-ca.pem", NULL);
    json_t *manifest = json_pack("{s:s, s:[s], s:O, s:O, s:O}", "data_dir", d->dir, "trust_anchors",
                                 anchor, "seals", d->seals, "api_key", d->api_key, "desk", d->desk);
    g_free(anchor);
    if (!manifest)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    int failed = json_dumpf(manifest, stdout, JSON_INDENT(2));
    json_decref(manifest);
    if (failed || fputc('\n', stdout) == EOF || fflush(stdout) != 0)
        return seal_error_set(SEAL_EIO, "cannot write the manifest to standard output");
    return 0;
}

static int demo_init(const cli_ctx *ctx, const char *dir_arg, int ocsp_port, int crl_port)
{
    int rc = 0;
    demo d = {0};
    d.dir = g_canonicalize_filename(dir_arg, NULL);
    d.ocsp_url = g_strdup_printf("http://127.0.0.1:%d/ocsp", ocsp_port);
    d.crl_url = g_strdup_printf("http://127.0.0.1:%d/crl/issuing-ca.crl", crl_port);
    d.root_crl_url = g_strdup_printf("http://127.0.0.1:%d/crl/root-ca.crl", crl_port);
    d.now = time(NULL);
    d.seals = json_array();
    SEAL_ENSURE(d.seals, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(refuse_existing(d.dir));
    log_step("creating a demo platform in %s", d.dir);
    SEAL_TRY(make_dirs(&d));
    SEAL_TRY(make_kek(&d));
    SEAL_TRY(cli_store_open(ctx, d.dir, true, &d.store));
    SEAL_TRY(make_pki(&d));
    SEAL_TRY(make_institutions(&d));
    for (size_t i = 0; i < sizeof demo_seals / sizeof demo_seals[0]; i++)
        SEAL_TRY(make_seal(&d, &demo_seals[i]));
    SEAL_TRY(register_certs(&d));
    SEAL_TRY(make_api_key(&d));
    SEAL_TRY(make_desk(&d));
    SEAL_TRY(print_manifest(&d));
    log_step("done: %zu seals; their PINs are in the manifest on standard output",
             json_array_size(d.seals));
out:
    if (rc < 0 && rc != SEAL_EEXISTS && d.dir)
        seal_error_wrap(rc, "demo init stopped part-way; remove %s before trying again", d.dir);
    demo_clear(&d);
    return rc;
}

static const char demo_usage[] =
    "usage: sealsvc demo init --dir DIR [--ocsp-port N] [--crl-port N]\n"
    "\n"
    "Creates a demo platform in DIR (a new or empty directory): a PKI, three institutions\n"
    "and the platform, six seals (platform-verification seals verification reports), and\n"
    "prints a JSON manifest with the seal PINs.\n"
    "\n"
    "  --ocsp-port N, --crl-port N   the 127.0.0.1 ports the certificates name for OCSP\n"
    "                                (default 8088) and CRLs (default 8089); serve both\n"
    "                                with 'sealsvc ocsp --listen 127.0.0.1:N ...'\n";

int cmd_demo(const cli_ctx *ctx, int argc, char **argv)
{
    static const struct option options[] = {
        {"dir", required_argument, NULL, 'd'},
        {"ocsp-port", required_argument, NULL, 'o'},
        {"crl-port", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int ports[2] = {DEMO_OCSP_PORT, DEMO_CRL_PORT};
    int help = cli_subcommand_help(argc, argv, demo_usage);
    if (help >= 0)
        return help;
    if (strcmp(argv[1], "init") != 0)
        return cli_usage_error("unknown demo subcommand '%s' (only 'init' exists)", argv[1]);
    const char *dir = ctx->data_dir;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc - 1, argv + 1, "d:h", options, NULL)) != -1) {
        switch (opt) {
        case 'd':
            dir = optarg;
            break;
        case 'o':
        case 'c': {
            char *end = NULL;
            long port = strtol(optarg, &end, 10);
            if (end == optarg || *end || port < 1 || port > 65535)
                return cli_usage_error("demo init: --%s-port wants a port number, not '%s'",
                                       opt == 'o' ? "ocsp" : "crl", optarg);
            ports[opt == 'o' ? 0 : 1] = (int)port;
            break;
        }
        case 'h':
            fputs(demo_usage, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("demo init: bad option");
        }
    }
    if (optind < argc - 1)
        return cli_usage_error("demo init: unexpected argument '%s'", argv[optind + 1]);
    if (!dir || !*dir)
        return cli_usage_error("demo init needs --dir DIR");
    if (demo_init(ctx, dir, ports[0], ports[1]) < 0)
        return cli_fail("demo init");
    return EXIT_OK;
}
