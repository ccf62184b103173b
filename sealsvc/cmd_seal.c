/* `sealsvc seal`: make a GB/T 38540 seal for an institution (`make`, with a key from a
 * file or on a PKCS#11 token), list the seals of a data directory (`list`), and show what
 * a .esl file holds and whether its maker signature verifies (`show`). Seals made here
 * are what `sealsvc stamp` later unlocks with their PIN. */
#include "cli.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/idnum.h>
#include <seal/image.h>
#include <seal/pki.h>
#include <seal/ses.h>
#include <seal/store.h>

#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ESL_MAX_BYTES   (16u * 1024 * 1024)
#define PNG_MAX_BYTES   (8u * 1024 * 1024)
#define SECONDS_PER_DAY 86400
#define CLOCK_SKEW      300 /* seconds certificates start in the past, for slow clocks */
#define TOKEN_CERT_DAYS 730 /* a token seal's certificate: 2 years, as the demo's signers */

static void format_time(char out[32], time_t t, bool with_clock)
{
    struct tm tm;
    size_t n = 0;
    if (gmtime_r(&t, &tm))
        n = with_clock ? strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm)
                       : strftime(out, 32, "%Y-%m-%d", &tm);
    if (n == 0)
        strcpy(out, "?");
}

static const char *data_dir_or(const cli_ctx *ctx, const char *option)
{
    return option ? option : cli_data_dir(ctx);
}

/* ---------------------------------------------------------------- seal list */

/* The holder column: "-" for a seal without a holder, else the name and the masked
 * resident ID. An ID that cannot be decrypted (the KEK file missing, the row altered)
 * shows as "?" with a warning naming why, so the rest of the list still serves. */
static int holder_column(seal_store *st, const char *id, char **out)
{
    char *name = NULL;
    char masked[19];
    int rc = seal_store_get_holder(st, id, &name, masked);
    if (rc == SEAL_ENOTFOUND) {
        seal_error_clear();
        *out = g_strdup("-");
        return 0;
    }
    if (rc < 0 && !name)
        return rc;
    if (rc < 0) {
        fprintf(stderr, "sealsvc seal list: warning: %s\n", seal_error_last());
        seal_error_clear();
    }
    *out = g_strdup_printf("%s %s", name, masked);
    g_free(name);
    return 0;
}

static int seal_list(const cli_ctx *ctx, int argc, char **argv)
{
    static const struct option options[] = {
        {"data", required_argument, NULL, 'D'},
        {NULL, 0, NULL, 0},
    };
    const char *data_opt = NULL;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt != 'D')
            return cli_usage_error("seal list: bad option");
        data_opt = optarg;
    }
    const char *dir = data_dir_or(ctx, data_opt);
    if (!dir)
        return cli_usage_error("seal list needs --data DIR (or $SEALSVC_DATA)");

    int rc = 0;
    seal_store *st = NULL;
    char **ids = NULL;
    SEAL_TRY(cli_store_open(ctx, dir, false, &st));
    SEAL_TRY(seal_store_list_seals(st, &ids));
    for (char **id = ids; *id; id++) {
        seal_record r;
        char start[32], end[32];
        char *holder = NULL;
        SEAL_TRY(seal_store_get_seal(st, *id, &r));
        format_time(start, r.valid_start, false);
        format_time(end, r.valid_end, false);
        rc = holder_column(st, r.id, &holder);
        if (rc == 0)
            printf("%s\t%s\t%s\t%s\t%s\t%s..%s\t%s%s\n", r.id, r.kind, seal_key_alg_name(r.alg),
                   r.owner, holder, start, end, r.state, r.locked ? " (locked)" : "");
        g_free(holder);
        seal_record_clear(&r);
        if (rc < 0)
            goto out;
    }
out:
    g_strfreev(ids);
    seal_store_close(st);
    return rc < 0 ? cli_fail("seal list") : EXIT_OK;
}

/* ------------------------------------------------- the lifecycle and the lock */

/* An administrator's change of a seal: a lifecycle event (file, activate, freeze,
 * unfreeze, report-lost, cancel; revoke is cancel's older name) or the lock (lock,
 * unlock), audited with the user name and --reason (required for the lifecycle's events).
 * `apply` records an application: --institution-code, --name, --kind. */
static int seal_action(const cli_ctx *ctx, const char *action, int argc, char **argv)
{
    static const struct option options[] = {
        {"data", required_argument, NULL, 'D'},
        {"reason", required_argument, NULL, 'r'},
        {"institution-code", required_argument, NULL, 'c'},
        {"name", required_argument, NULL, 'n'},
        {"kind", required_argument, NULL, 'k'},
        {NULL, 0, NULL, 0},
    };
    const char *data_opt = NULL, *reason = NULL, *code = NULL, *name = NULL, *kind = "official";
    bool apply = strcmp(action, "apply") == 0;
    bool flag = strcmp(action, "lock") == 0 || strcmp(action, "unlock") == 0;
    int opt;
    optind = 0;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == 'D')
            data_opt = optarg;
        else if (opt == 'r')
            reason = optarg;
        else if (apply && opt == 'c')
            code = optarg;
        else if (apply && opt == 'n')
            name = optarg;
        else if (apply && opt == 'k')
            kind = optarg;
        else
            return cli_usage_error("seal %s: bad option (--reason TEXT, --data DIR%s)", action,
                                   apply ? ", --institution-code CODE, --name NAME, --kind KIND"
                                         : "");
    }
    if (optind != argc - 1)
        return cli_usage_error("seal %s: give exactly one seal id", action);
    if (!reason && !flag && strcmp(action, "revoke") != 0)
        return cli_usage_error("seal %s: say why with --reason TEXT (it goes into the audit "
                               "trail)",
                               action);
    if (apply && (!code || !name))
        return cli_usage_error("seal apply needs --institution-code CODE and --name NAME");
    const char *id = argv[optind];
    const char *dir = data_dir_or(ctx, data_opt);
    if (!dir)
        return cli_usage_error("seal %s needs --data DIR (or $SEALSVC_DATA)", action);
    int rc = 0;
    seal_store *st = NULL;
    seal_state_event *events = NULL;
    size_t n = 0;
    seal_record r = {0};
    SEAL_TRY(cli_store_open(ctx, dir, false, &st));
    if (apply) {
        SEAL_TRY(seal_store_seal_apply(st, id, code, name, kind, g_get_user_name(), reason));
        printf("seal %s: applied for; recorded in the audit trail\n", id);
        goto out;
    }
    if (flag) {
        SEAL_TRY(seal_store_get_seal(st, id, &r));
        SEAL_TRY(seal_store_seal_action(st, id, action, g_get_user_name(), reason));
        printf("seal %s: %sed, %s", id, action, r.state);
        if (strcmp(action, "unlock") == 0)
            printf(" (%d wrong PIN%s forgiven)", r.pin_failures, r.pin_failures == 1 ? "" : "s");
        printf("; recorded in the audit trail\n");
        goto out;
    }
    SEAL_TRY(seal_store_seal_action(st, id, action, g_get_user_name(), reason));
    /* The change just made is the seal's last event. */
    SEAL_TRY(seal_store_seal_history(st, id, &events, &n));
    SEAL_ENSURE(n > 0, SEAL_ESTORE, "seal %s has no recorded lifecycle", id);
    printf("seal %s: %s -> %s; recorded in the audit trail\n", id,
           events[n - 1].from ? events[n - 1].from : "-", events[n - 1].to);
out:
    seal_state_events_free(events, n);
    seal_record_clear(&r);
    seal_store_close(st);
    if (rc < 0) {
        char *what = g_strdup_printf("seal %s", action);
        int code_out = cli_fail(what);
        g_free(what);
        return code_out;
    }
    return EXIT_OK;
}

/* `seal show ID [--at TIME] [--json]`: a seal's state now (or at TIME) and its lifecycle. */
static int seal_show_state(const cli_ctx *ctx, const char *id, const char *at_text, bool as_json)
{
    int rc = 0;
    seal_store *st = NULL;
    seal_record r = {0};
    seal_state_event *events = NULL;
    size_t n = 0;
    char *state = NULL;
    time_t at = time(NULL);
    json_t *j = NULL;
    const char *dir = cli_data_dir(ctx);
    if (!dir)
        return cli_usage_error("seal show ID needs --data DIR (or $SEALSVC_DATA)");
    if (at_text && cli_parse_time(at_text, &at) < 0)
        return cli_usage_error("seal show: --at: %s", seal_error_last());
    SEAL_TRY(cli_store_open(ctx, dir, false, &st));
    SEAL_TRY(seal_store_seal_history(st, id, &events, &n));
    rc = seal_store_get_seal(st, id, &r);
    if (rc == SEAL_ENOTFOUND && n > 0) /* an application: no seal yet */
        seal_error_clear();
    else
        SEAL_TRY(rc);
    rc = seal_store_seal_state_at(st, id, at, &state);
    if (rc == SEAL_ENOTFOUND)
        seal_error_clear();
    else if (rc < 0)
        goto out;
    rc = 0;
    char *when = cli_time_text(at);
    if (as_json) {
        json_t *hist = json_array();
        for (size_t i = 0; i < n; i++) {
            char *t = cli_time_text(events[i].at);
            json_array_append_new(hist, json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s}", "at", t,
                                                  "event", events[i].event, "from", events[i].from,
                                                  "to", events[i].to, "actor", events[i].actor,
                                                  "why", events[i].why));
            g_free(t);
        }
        j = json_pack("{s:s, s:s, s:s?, s:o}", "id", id, "at", when, "state", state, "history",
                      hist);
        if (r.id)
            json_object_set_new(j, "locked", json_boolean(r.locked));
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
    } else {
        printf("seal:    %s\n", id);
        printf("state:   %s at %s%s\n", state ? state : "(did not exist yet)", when,
               at_text ? "" : " (now)");
        if (r.id && !at_text)
            printf("locked:  %s\n", r.locked ? "yes: an administrator must unlock it" : "no");
        printf("history:\n");
        for (size_t i = 0; i < n; i++) {
            char *t = cli_time_text(events[i].at);
            printf("  %s  %-11s %s -> %s  (by %s: %s)\n", t, events[i].event,
                   events[i].from ? events[i].from : "-", events[i].to, events[i].actor,
                   events[i].why);
            g_free(t);
        }
    }
    g_free(when);
out:
    json_decref(j);
    g_free(state);
    seal_state_events_free(events, n);
    seal_record_clear(&r);
    seal_store_close(st);
    return rc < 0 ? cli_fail("seal show") : EXIT_OK;
}

/* ---------------------------------------------------------------- seal show */

static const char *seal_type_name(long type)
{
    /* GB/T 38540 SES_ESPropertyInfo.type: 1 organisation seal, 2 personal seal. */
    return type == SEAL_SES_TYPE_OFFICIAL   ? "official"
           : type == SEAL_SES_TYPE_PERSONAL ? "personal"
                                            : "other";
}

static char *serial_hex(X509 *cert)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    char *copy = g_strdup(hex ? hex : "?");
    OPENSSL_free(hex);
    BN_free(bn);
    return copy;
}

static json_t *cert_json(X509 *cert)
{
    char *cn = seal_cert_subject_cn(cert);
    char *serial = serial_hex(cert);
    json_t *j = json_pack("{s:s, s:s, s:s}", "subject_cn", cn ? cn : "?", "serial", serial,
                          "algorithm", seal_key_alg_name(seal_key_alg_of(X509_get0_pubkey(cert))));
    free(cn);
    g_free(serial);
    return j;
}

static json_t *eseal_json(const char *path, const seal_eseal *e, bool maker_ok,
                          const char *maker_error)
{
    char created[32], start[32], end[32];
    format_time(created, e->created, true);
    format_time(start, e->valid_start, true);
    format_time(end, e->valid_end, true);
    json_t *certs = json_array();
    for (int i = 0; e->certs && i < sk_X509_num(e->certs); i++)
        json_array_append_new(certs, cert_json(sk_X509_value(e->certs, i)));
    json_t *j = json_pack(
        "{s:s, s:i, s:s?, s:s?, s:s?, s:I, s:s, s:{s:s?, s:I, s:I, s:I}, s:s, s:s, s:s, s:I, "
        "s:I, s:o}",
        "file", path, "version", e->version, "es_id", e->es_id, "vid", e->vid, "name", e->name,
        "type", (json_int_t)e->type, "type_name", seal_type_name(e->type), "picture", "type",
        e->picture_type, "width_mm", (json_int_t)e->width_mm, "height_mm", (json_int_t)e->height_mm,
        "bytes", (json_int_t)e->picture.len, "created", created, "valid_start", start, "valid_end",
        end, "cert_list_type", (json_int_t)e->cert_list_type, "cert_list_count",
        (json_int_t)e->cert_list_count, "certificates", certs);
    if (!j)
        return NULL;
    json_t *maker = e->maker_cert ? cert_json(e->maker_cert) : json_object();
    json_object_set_new(maker, "signature_algorithm", json_string(e->maker_alg_oid));
    json_object_set_new(j, "maker", maker);
    json_object_set_new(j, "maker_signature_valid", json_boolean(maker_ok));
    if (!maker_ok)
        json_object_set_new(j, "maker_signature_error", json_string(maker_error));
    return j;
}

static void print_cert_line(const char *label, X509 *cert)
{
    char *cn = seal_cert_subject_cn(cert);
    char *serial = serial_hex(cert);
    printf("%s%s, serial %s, %s\n", label, cn ? cn : "?", serial,
           seal_key_alg_name(seal_key_alg_of(X509_get0_pubkey(cert))));
    free(cn);
    g_free(serial);
}

static void print_eseal(const char *path, const seal_eseal *e, bool maker_ok,
                        const char *maker_error)
{
    char created[32], start[32], end[32];
    format_time(created, e->created, true);
    format_time(start, e->valid_start, true);
    format_time(end, e->valid_end, true);
    printf("file:         %s\n", path);
    printf("version:      %d\n", e->version);
    printf("esID:         %s\n", e->es_id ? e->es_id : "");
    printf("vendor:       %s\n", e->vid ? e->vid : "");
    printf("name:         %s\n", e->name ? e->name : "");
    printf("type:         %ld (%s)\n", e->type, seal_type_name(e->type));
    printf("picture:      %s, %ld x %ld mm, %zu bytes\n", e->picture_type ? e->picture_type : "?",
           e->width_mm, e->height_mm, e->picture.len);
    printf("created:      %s\n", created);
    printf("valid:        %s to %s\n", start, end);
    printf("certificates: %zu (certListType %ld)\n", e->cert_list_count, e->cert_list_type);
    for (int i = 0; e->certs && i < sk_X509_num(e->certs); i++)
        print_cert_line("  ", sk_X509_value(e->certs, i));
    if (e->maker_cert)
        print_cert_line("maker:        ", e->maker_cert);
    else
        printf("maker:        (the stored maker certificate does not parse)\n");
    printf("maker alg:    %s\n", e->maker_alg_oid);
    if (maker_ok)
        printf("maker signature: valid\n");
    else
        printf("maker signature: INVALID (%s)\n", maker_error);
}

static int seal_show(const cli_ctx *ctx, int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"at", required_argument, NULL, 'a'},
        {NULL, 0, NULL, 0},
    };
    bool as_json = false;
    const char *at = NULL;
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt == 'j')
            as_json = true;
        else if (opt == 'a')
            at = optarg;
        else
            return cli_usage_error("seal show: bad option");
    }
    if (optind != argc - 1)
        return cli_usage_error("seal show needs exactly one FILE.esl or seal id");
    const char *path = argv[optind];
    /* A file is a GB/T 38540 seal to read; anything else names a seal in the store. */
    if (at || !g_file_test(path, G_FILE_TEST_IS_REGULAR))
        return seal_show_state(ctx, path, at, as_json);

    seal_buf der = SEAL_BUF_INIT;
    seal_eseal *e = NULL;
    int exit_code = EXIT_ERROR;
    if (seal_buf_read_file(&der, path, ESL_MAX_BYTES) < 0 ||
        seal_eseal_parse(&e, der.data, der.len) < 0) {
        exit_code = cli_fail(path);
        goto out;
    }
    bool maker_ok = seal_eseal_verify_maker(e) == 0;
    char *maker_error = g_strdup(maker_ok ? "" : seal_error_last());
    if (as_json) {
        json_t *j = eseal_json(path, e, maker_ok, maker_error);
        if (j) {
            json_dumpf(j, stdout, JSON_INDENT(2));
            fputc('\n', stdout);
        }
        json_decref(j);
    } else {
        print_eseal(path, e, maker_ok, maker_error);
    }
    g_free(maker_error);
    exit_code = maker_ok ? EXIT_OK : EXIT_INVALID;
out:
    seal_eseal_free(e);
    seal_buf_clear(&der);
    return exit_code;
}

/* ---------------------------------------------------------------- seal make */

typedef struct make_options {
    const char *data_dir;
    const char *id;
    const char *institution_code;
    const char *institution_name;
    const char *cert_path;
    const char *chain_path;
    const char *key_path;
    const char *key_password;
    const char *pin;
    const char *name;
    const char *kind;
    const char *image_path;
    const char *shape;
    const char *purpose;
    const char *code;
    const char *holder_name;
    const char *holder_id;
    const char *pkcs11_uri;
    const char *key_type;
    double width_mm, height_mm;
    long valid_days;
} make_options;

/* Everything `seal make` holds while it works, released in one place. */
typedef struct make_state {
    seal_store *store;
    EVP_PKEY *key;
    X509 *cert;
    STACK_OF(X509) * chain;
    X509 *maker_cert;
    seal_signer *maker;
    seal_record record;
    char *esl_path;
    char *png_path;
    X509 *ca_cert; /* the issuing CA, for a key on a token */
    EVP_PKEY *ca_key;
    bool key_generated;
} make_state;

static void make_state_clear(make_state *m)
{
    seal_store_close(m->store);
    EVP_PKEY_free(m->key);
    X509_free(m->cert);
    sk_X509_pop_free(m->chain, X509_free);
    X509_free(m->maker_cert);
    seal_signer_free(m->maker);
    seal_record_clear(&m->record);
    g_free(m->esl_path);
    g_free(m->png_path);
    X509_free(m->ca_cert);
    EVP_PKEY_free(m->ca_key);
}

static time_t asn1_to_time(const ASN1_TIME *t)
{
    struct tm tm;
    if (!ASN1_TIME_to_tm(t, &tm))
        return 0;
    return timegm(&tm);
}

/* The platform's seal maker, from the database (its key under the key-encryption key). */
static int load_maker(make_state *m)
{
    int rc = 0;
    SEAL_TRY(seal_store_maker_signer(&m->maker, m->store));
    m->maker_cert = seal_signer_cert(m->maker);
    SEAL_ENSURE(m->maker_cert && X509_up_ref(m->maker_cert), SEAL_ENOMEM, "out of memory");
out:
    return rc;
}

/* The signing key and certificate: a PEM/DER key with --cert, or a PKCS#12 file that may
 * carry both. Without --chain, the platform's issuing CA is used when it issued
 * the certificate. */
static int load_signing_key(make_state *m, const make_options *o)
{
    int rc = 0;
    X509 *bundled_cert = NULL;
    STACK_OF(X509) *bundled_chain = NULL;
    X509 *ca = NULL;
    SEAL_TRY(seal_key_load(&m->key, &bundled_cert, &bundled_chain, o->key_path, o->key_password));
    if (o->cert_path) {
        SEAL_TRY(seal_cert_load(&m->cert, o->cert_path));
    } else {
        SEAL_ENSURE(bundled_cert, SEAL_EINVAL,
                    "%s holds no certificate; give the signing certificate with --cert",
                    o->key_path);
        m->cert = bundled_cert;
        bundled_cert = NULL;
    }
    if (o->chain_path) {
        SEAL_TRY(seal_certs_load(&m->chain, o->chain_path));
    } else if (bundled_chain && sk_X509_num(bundled_chain) > 0) {
        m->chain = bundled_chain;
        bundled_chain = NULL;
    } else {
        m->chain = sk_X509_new_null();
        SEAL_ENSURE(m->chain, SEAL_ENOMEM, "out of memory");
        if (seal_store_party_cert(m->store, "issuing-ca", &ca) == 0 &&
            X509_check_issued(ca, m->cert) == X509_V_OK) {
            SEAL_ENSURE(sk_X509_push(m->chain, ca), SEAL_ENOMEM, "out of memory");
            ca = NULL;
        }
        seal_error_clear();
    }
out:
    X509_free(bundled_cert);
    sk_X509_pop_free(bundled_chain, X509_free);
    X509_free(ca);
    return rc;
}

/* The first URI of a certificate's CRL distribution point (RFC 5280 4.2.1.13); caller
 * frees with g_free. NULL when there is none. */
static char *crl_url_of(X509 *cert)
{
    char *url = NULL;
    STACK_OF(DIST_POINT) *points = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    for (int i = 0; !url && i < sk_DIST_POINT_num(points); i++) {
        DIST_POINT_NAME *name = sk_DIST_POINT_value(points, i)->distpoint;
        for (int j = 0;
             !url && name && name->type == 0 && j < sk_GENERAL_NAME_num(name->name.fullname); j++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(name->name.fullname, j);
            if (g->type == GEN_URI)
                url = g_strndup((const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier),
                                (gsize)ASN1_STRING_length(g->d.uniformResourceIdentifier));
        }
    }
    sk_DIST_POINT_pop_free(points, DIST_POINT_free);
    return url;
}

/* A key on a PKCS#11 token: found, or generated there (--key-type), then certified by the
 * data directory's issuing CA as the demo certifies institutions: the institution's name
 * and credit code in the subject, the CRL and OCSP addresses the CA's other certificates
 * name (the seal maker's). The token's PIN is the seal PIN. */
static int certify_token_key(make_state *m, const make_options *o)
{
    int rc = 0;
    EVP_PKEY *pub = NULL;
    char *owner = NULL, *crl_url = NULL;
    STACK_OF(OPENSSL_STRING) *ocsp = NULL;
    seal_key_alg alg = SEAL_ALG_RSA;
    if (o->key_type)
        SEAL_TRY(seal_key_alg_parse(&alg, o->key_type));
    SEAL_TRY(seal_pkcs11_key_ensure(&pub, &m->key_generated, o->pkcs11_uri, o->pin, alg, 2048));
    SEAL_TRY(seal_ca_load_party(m->store, "issuing-ca", &m->ca_cert, &m->ca_key));
    if (o->institution_name) {
        owner = g_strdup(o->institution_name);
    } else if (seal_store_find_institution(m->store, o->institution_code, NULL, &owner) < 0) {
        seal_error_clear();
        owner = NULL;
    }
    SEAL_ENSURE(owner, SEAL_ENOTFOUND,
                "no institution with this credit code is registered; add --institution-name "
                "NAME to register it");
    crl_url = crl_url_of(m->maker_cert);
    ocsp = X509_get1_ocsp(m->maker_cert);
    time_t now = time(NULL);
    seal_cert_spec spec = {
        .role = SEAL_CERT_SIGNER,
        .country = "CN",
        .organization = owner,
        .common_name = owner,
        .org_identifier = o->institution_code,
        .not_before = now - CLOCK_SKEW,
        .not_after = now + (time_t)TOKEN_CERT_DAYS * SECONDS_PER_DAY,
        .crl_url = crl_url,
        .ocsp_url = sk_OPENSSL_STRING_num(ocsp) > 0 ? sk_OPENSSL_STRING_value(ocsp, 0) : NULL,
    };
    SEAL_TRY(seal_cert_issue(&m->cert, &spec, pub, m->ca_cert, m->ca_key));
    m->chain = sk_X509_new_null();
    SEAL_ENSURE(m->chain && X509_up_ref(m->ca_cert), SEAL_ENOMEM, "out of memory");
    if (sk_X509_push(m->chain, m->ca_cert) <= 0) {
        X509_free(m->ca_cert);
        SEAL_FAIL(SEAL_ENOMEM, "out of memory");
    }
out:
    EVP_PKEY_free(pub);
    g_free(owner);
    g_free(crl_url);
    X509_email_free(ocsp);
    return rc;
}

/* The institution by its credit code; an unknown one is registered together with the
 * seal (seal_store_create_seal) when --institution-name names it. */
static int find_institution(make_state *m, const make_options *o)
{
    int rc = seal_credit_code_check(o->institution_code);
    if (rc < 0)
        return seal_error_wrap(rc, "--institution-code");
    rc =
        seal_store_find_institution(m->store, o->institution_code, &m->record.institution_id, NULL);
    if (rc != SEAL_ENOTFOUND)
        return rc;
    if (!o->institution_name)
        return seal_error_set(SEAL_ENOTFOUND,
                              "no institution with this credit code is registered; add "
                              "--institution-name NAME to register it");
    seal_error_clear();
    m->record.institution_id = 0;
    m->record.owner = g_strdup(o->institution_name);
    m->record.owner_code = g_strdup(o->institution_code);
    return 0;
}

/* The certificate must not name another institution: a subject organizationIdentifier
 * (2.5.4.97) that holds a credit code, as is or in the ETSI EN 319 412-1 5.1.4 form
 * "NTRCN-<code>", must be --institution-code's. */
static int check_cert_institution(X509 *cert, const char *code)
{
    const X509_NAME *subject = X509_get_subject_name(cert);
    for (int i = -1;
         (i = X509_NAME_get_index_by_NID(subject, NID_organizationIdentifier, i)) >= 0;) {
        const ASN1_STRING *value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
        unsigned char *utf8 = NULL;
        if (ASN1_STRING_to_UTF8(&utf8, value) < 0)
            continue;
        const char *named = (const char *)utf8;
        if (strncmp(named, "NTRCN-", 6) == 0)
            named += 6;
        bool other = seal_credit_code_check(named) == 0 && strcmp(named, code) != 0;
        int rc = other ? seal_error_set(SEAL_EINVAL,
                                        "the certificate belongs to another institution: the "
                                        "credit code in its organizationIdentifier is not "
                                        "--institution-code's")
                       : 0;
        OPENSSL_free(utf8);
        if (rc < 0)
            return rc;
    }
    seal_error_clear();
    return 0;
}

static void default_size(seal_shape shape, double *w, double *h)
{
    *w = shape == SEAL_SHAPE_OVAL ? 45 : shape == SEAL_SHAPE_SQUARE ? 20 : 42;
    *h = shape == SEAL_SHAPE_OVAL ? 30 : *w;
}

/* The picture: an uploaded PNG (checked to decode) or one drawn for the shape. */
static int make_picture(make_state *m, const make_options *o, const char *es_code)
{
    int rc = 0;
    seal_record *r = &m->record;
    seal_shape shape = SEAL_SHAPE_ROUND;
    if (o->shape)
        SEAL_TRY(seal_shape_parse(&shape, o->shape));
    else if (strcmp(o->kind, "personal") == 0)
        shape = SEAL_SHAPE_SQUARE;
    r->shape = g_strdup(seal_shape_name(shape));
    default_size(shape, &r->width_mm, &r->height_mm);
    if (o->width_mm > 0)
        r->width_mm = o->width_mm;
    if (o->height_mm > 0)
        r->height_mm = o->height_mm;
    if (o->image_path) {
        int w_px = 0, h_px = 0;
        SEAL_TRY(seal_buf_read_file(&r->image_png, o->image_path, PNG_MAX_BYTES));
        rc = seal_image_png_info(r->image_png.data, r->image_png.len, &w_px, &h_px);
        if (rc < 0) {
            seal_error_wrap(rc, "--image %s", o->image_path);
            goto out;
        }
        /* without --height-mm, the picture keeps its own aspect */
        if (o->height_mm <= 0 && w_px > 0)
            r->height_mm = r->width_mm * h_px / w_px;
    } else {
        const char *purpose = o->purpose;
        if (!purpose && strcmp(o->kind, "contract") == 0)
            purpose = "合同专用章";
        if (!purpose && strcmp(o->kind, "finance") == 0)
            purpose = "财务专用章";
        seal_drawing drawing = {
            .shape = shape,
            .name = o->name,
            .purpose = purpose,
            .code = o->code                      ? o->code
                    : shape != SEAL_SHAPE_SQUARE ? es_code
                                                 : NULL,
            .width_mm = r->width_mm,
            .height_mm = r->height_mm,
        };
        SEAL_TRY(seal_image_draw(&r->image_png, &drawing));
    }
out:
    return rc;
}

/* The seal lives while its certificate does, from now on, and no longer than
 * --valid-days when given. */
static int set_validity(seal_record *r, X509 *cert, long valid_days)
{
    time_t now = time(NULL);
    time_t not_before = asn1_to_time(X509_get0_notBefore(cert));
    time_t not_after = asn1_to_time(X509_get0_notAfter(cert));
    char end[32];
    format_time(end, not_after, true);
    if (not_after <= now)
        return seal_error_set(SEAL_EPKI,
                              "the signing certificate expired on %s; a seal cannot be made "
                              "for it",
                              end);
    r->valid_start = not_before > now ? not_before : now;
    r->valid_end = not_after;
    if (valid_days > 0 && now + valid_days * SECONDS_PER_DAY < not_after)
        r->valid_end = now + valid_days * SECONDS_PER_DAY;
    return 0;
}

static int refuse_existing_seal(make_state *m, const char *id)
{
    seal_record r;
    int rc = seal_store_get_seal(m->store, id, &r);
    if (rc == 0) {
        seal_record_clear(&r);
        return seal_error_set(SEAL_EEXISTS, "a seal with id %s already exists", id);
    }
    if (rc != SEAL_ENOTFOUND)
        return rc;
    seal_error_clear();
    if (g_file_test(m->esl_path, G_FILE_TEST_EXISTS))
        return seal_error_set(SEAL_EEXISTS, "%s already exists; refusing to overwrite it",
                              m->esl_path);
    return 0;
}

static int seal_make_run(const cli_ctx *ctx, const make_options *o)
{
    int rc = 0;
    make_state m = {0};
    seal_record *r = &m.record;
    char es_code[14];
    char masked[19];
    char *dir = g_canonicalize_filename(o->data_dir, NULL);
    json_t *entry = NULL;

    SEAL_TRY(cli_store_open(ctx, dir, false, &m.store));
    m.esl_path = g_strdup_printf("%s/seals/%s.esl", dir, o->id);
    m.png_path = g_strdup_printf("%s/seals/%s.png", dir, o->id);
    SEAL_TRY(refuse_existing_seal(&m, o->id));
    SEAL_TRY(load_maker(&m));
    if (o->pkcs11_uri) {
        SEAL_TRY(certify_token_key(&m, o));
        r->key_uri = g_strdup(o->pkcs11_uri);
    } else {
        SEAL_TRY(load_signing_key(&m, o));
    }
    SEAL_TRY(set_validity(r, m.cert, o->valid_days));
    SEAL_TRY(find_institution(&m, o));
    SEAL_TRY(check_cert_institution(m.cert, o->institution_code));
    bool new_institution = r->institution_id == 0;
    SEAL_TRY(seal_store_seal_code(es_code, o->institution_code));
    SEAL_TRY(make_picture(&m, o, es_code));

    r->id = g_strdup(o->id);
    r->name = g_strdup(o->name);
    r->kind = g_strdup(o->kind);
    r->holder_name = g_strdup(o->holder_name);
    r->holder_id = g_strdup(o->holder_id);
    SEAL_TRY(seal_cert_to_pem(&r->cert_pem, m.cert));
    for (int i = 0; i < sk_X509_num(m.chain); i++)
        SEAL_TRY(seal_cert_to_pem(&r->chain_pem, sk_X509_value(m.chain, i)));
    SEAL_TRY(
        seal_store_create_seal(m.store, r, es_code, m.key, o->pin, m.maker, g_get_user_name()));
    /* The CA database knows every certificate the platform's CA issued (revocation, OCSP). */
    if (m.ca_cert)
        SEAL_TRY(seal_store_ca_add(m.store, m.cert, m.ca_cert, "signer", g_get_user_name()));
    SEAL_TRY(seal_buf_write_file(&r->esl, m.esl_path, 0644));
    SEAL_TRY(seal_buf_write_file(&r->image_png, m.png_path, 0644));

    entry = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", r->id, "name", r->name,
                      "type", r->kind, "owner", r->owner, "algorithm", seal_key_alg_name(r->alg),
                      "es_id", es_code, "image", m.png_path, "esl", m.esl_path);
    SEAL_ENSURE(entry, SEAL_ENOMEM, "out of memory");
    if (r->key_uri)
        SEAL_ENSURE(json_object_set_new(entry, "pkcs11_uri", json_string(r->key_uri)) == 0,
                    SEAL_ENOMEM, "out of memory");
    if (o->holder_id) {
        seal_resident_id_mask(o->holder_id, masked);
        if (masked[17] == 'x') /* GB 11643-1999 7.2: the check value 10 is a capital X */
            masked[17] = 'X';
        SEAL_ENSURE(json_object_set_new(
                        entry, "holder",
                        json_pack("{s:s, s:s}", "name", o->holder_name, "id_masked", masked)) == 0,
                    SEAL_ENOMEM, "out of memory");
    }
    json_dumpf(entry, stdout, JSON_INDENT(2));
    fputc('\n', stdout);
    if (new_institution)
        fprintf(stderr, "sealsvc seal: institution %s registered\n", r->owner);
    if (r->key_uri)
        fprintf(stderr, "sealsvc seal: %s key %s on the token\n", seal_key_alg_name(r->alg),
                m.key_generated ? "generated" : "found");
    fprintf(stderr, "sealsvc seal: seal %s made (%s, %s)\n", r->id, r->kind,
            seal_key_alg_name(r->alg));
    if (o->holder_id)
        fprintf(stderr, "sealsvc seal: held by %s (%s)\n", o->holder_name, masked);
out:
    json_decref(entry);
    make_state_clear(&m);
    g_free(dir);
    return rc;
}

static const char make_usage[] =
    "usage: sealsvc seal make --data DIR --id ID --institution-code CODE\n"
    "         [--institution-name NAME]\n"
    "         (--key KEY.pem|KEY.p12 [--key-password P] [--cert CERT.pem] [--chain CA.pem]\n"
    "          | --pkcs11-uri 'pkcs11:token=T;object=O' [--key-type rsa|ecdsa])\n"
    "         --pin PIN --name NAME\n"
    "         [--kind official|contract|finance|personal]\n"
    "         [--holder-name NAME --holder-id ID]  (a personal seal's holder, required\n"
    "                                              for --kind personal; ID: resident ID)\n"
    "         (--image PNG | [--shape round|oval|square] [--purpose TEXT] [--code TEXT])\n"
    "         [--width-mm W --height-mm H] [--valid-days N]\n"
    "\n"
    "  --pkcs11-uri URI  the key lives on a PKCS#11 token (RFC 7512 URI, no PIN in it):\n"
    "                    used when it exists, else generated there (--key-type rsa:\n"
    "                    RSA-2048, the default, or ecdsa: P-256; no SM2 on tokens);\n"
    "                    the platform's issuing CA certifies it; --pin is the token's\n"
    "                    user PIN. Module: the URI's module-path, $SEAL_PKCS11_MODULE,\n"
    "                    else " SEAL_PKCS11_DEFAULT_MODULE "\n";

static bool parse_positive(const char *text, double *out)
{
    char *end = NULL;
    double v = strtod(text, &end);
    if (!end || *end || !(v > 0 && v < 1000))
        return false;
    *out = v;
    return true;
}

static int seal_make(const cli_ctx *ctx, int argc, char **argv)
{
    enum {
        OPT_DATA = 256,
        OPT_ID,
        OPT_CODE_INST,
        OPT_NAME_INST,
        OPT_CERT,
        OPT_CHAIN,
        OPT_KEY,
        OPT_KEY_PASSWORD,
        OPT_PIN,
        OPT_NAME,
        OPT_KIND,
        OPT_IMAGE,
        OPT_SHAPE,
        OPT_PURPOSE,
        OPT_CODE,
        OPT_WIDTH,
        OPT_HEIGHT,
        OPT_DAYS,
        OPT_HOLDER_NAME,
        OPT_HOLDER_ID,
        OPT_PKCS11_URI,
        OPT_KEY_TYPE,
        OPT_HELP,
    };
    static const struct option options[] = {
        {"data", required_argument, NULL, OPT_DATA},
        {"id", required_argument, NULL, OPT_ID},
        {"institution-code", required_argument, NULL, OPT_CODE_INST},
        {"institution-name", required_argument, NULL, OPT_NAME_INST},
        {"cert", required_argument, NULL, OPT_CERT},
        {"chain", required_argument, NULL, OPT_CHAIN},
        {"key", required_argument, NULL, OPT_KEY},
        {"key-password", required_argument, NULL, OPT_KEY_PASSWORD},
        {"pin", required_argument, NULL, OPT_PIN},
        {"name", required_argument, NULL, OPT_NAME},
        {"kind", required_argument, NULL, OPT_KIND},
        {"image", required_argument, NULL, OPT_IMAGE},
        {"shape", required_argument, NULL, OPT_SHAPE},
        {"purpose", required_argument, NULL, OPT_PURPOSE},
        {"code", required_argument, NULL, OPT_CODE},
        {"width-mm", required_argument, NULL, OPT_WIDTH},
        {"height-mm", required_argument, NULL, OPT_HEIGHT},
        {"valid-days", required_argument, NULL, OPT_DAYS},
        {"holder-name", required_argument, NULL, OPT_HOLDER_NAME},
        {"holder-id", required_argument, NULL, OPT_HOLDER_ID},
        {"pkcs11-uri", required_argument, NULL, OPT_PKCS11_URI},
        {"key-type", required_argument, NULL, OPT_KEY_TYPE},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    make_options o = {.kind = "official"};
    int opt;
    optind = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
        case OPT_DATA:
            o.data_dir = optarg;
            break;
        case OPT_ID:
            o.id = optarg;
            break;
        case OPT_CODE_INST:
            o.institution_code = optarg;
            break;
        case OPT_NAME_INST:
            o.institution_name = optarg;
            break;
        case OPT_CERT:
            o.cert_path = optarg;
            break;
        case OPT_CHAIN:
            o.chain_path = optarg;
            break;
        case OPT_KEY:
            o.key_path = optarg;
            break;
        case OPT_KEY_PASSWORD:
            o.key_password = optarg;
            break;
        case OPT_PIN:
            o.pin = optarg;
            break;
        case OPT_NAME:
            o.name = optarg;
            break;
        case OPT_KIND:
            o.kind = optarg;
            break;
        case OPT_IMAGE:
            o.image_path = optarg;
            break;
        case OPT_SHAPE:
            o.shape = optarg;
            break;
        case OPT_PURPOSE:
            o.purpose = optarg;
            break;
        case OPT_CODE:
            o.code = optarg;
            break;
        case OPT_WIDTH:
            if (!parse_positive(optarg, &o.width_mm))
                return cli_usage_error("seal make: --width-mm wants millimetres, e.g. 42");
            break;
        case OPT_HEIGHT:
            if (!parse_positive(optarg, &o.height_mm))
                return cli_usage_error("seal make: --height-mm wants millimetres, e.g. 42");
            break;
        case OPT_DAYS: {
            char *end = NULL;
            o.valid_days = strtol(optarg, &end, 10);
            if (!end || *end || o.valid_days <= 0 || o.valid_days > 36500)
                return cli_usage_error("seal make: --valid-days wants a number of days");
            break;
        }
        case OPT_HOLDER_NAME:
            o.holder_name = optarg;
            break;
        case OPT_HOLDER_ID:
            o.holder_id = optarg;
            break;
        case OPT_PKCS11_URI:
            o.pkcs11_uri = optarg;
            break;
        case OPT_KEY_TYPE:
            o.key_type = optarg;
            break;
        case OPT_HELP:
            fputs(make_usage, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("seal make: bad option");
        }
    }
    if (optind < argc)
        return cli_usage_error("seal make: unexpected argument '%s'", argv[optind]);
    o.data_dir = data_dir_or(ctx, o.data_dir);
    if (!o.data_dir)
        return cli_usage_error("seal make needs --data DIR (or $SEALSVC_DATA)");
    if (!o.id || !o.institution_code || !(o.key_path || o.pkcs11_uri) || !o.pin || !o.name)
        return cli_usage_error("seal make needs --id, --institution-code, --key (or "
                               "--pkcs11-uri), --pin and --name");
    if (o.pkcs11_uri && (o.key_path || o.cert_path || o.chain_path || o.key_password))
        return cli_usage_error("seal make: --pkcs11-uri takes the key from a token and has the "
                               "platform's CA certify it; it does not go with --key, --cert, "
                               "--chain or --key-password");
    if (o.key_type && !o.pkcs11_uri)
        return cli_usage_error("seal make: --key-type chooses the key generated on a token; it "
                               "goes with --pkcs11-uri");
    if (o.key_type && strcmp(o.key_type, "rsa") != 0 && strcmp(o.key_type, "ecdsa") != 0 &&
        strcmp(o.key_type, "sm2") != 0)
        return cli_usage_error("seal make: --key-type must be rsa (2048 bits) or ecdsa (P-256)");
    static const char *const kinds[] = {"official", "contract", "finance", "personal"};
    bool kind_known = false;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        kind_known = kind_known || strcmp(o.kind, kinds[i]) == 0;
    if (!kind_known)
        return cli_usage_error("seal make: --kind must be official, contract, finance or "
                               "personal");
    bool personal = strcmp(o.kind, "personal") == 0;
    if (personal && (!o.holder_name || !o.holder_id))
        return cli_usage_error("seal make: a personal seal needs --holder-name and --holder-id "
                               "(the holder's resident ID)");
    if (!personal && (o.holder_name || o.holder_id))
        return cli_usage_error("seal make: --holder-name and --holder-id are for --kind personal "
                               "only");
    if (o.holder_id && seal_resident_id_check(o.holder_id) < 0) {
        seal_error_wrap(SEAL_EINVAL, "--holder-id");
        return cli_fail("seal make");
    }
    if (o.image_path && (o.purpose || o.code))
        return cli_usage_error("seal make: --purpose and --code draw a picture; they do not "
                               "go with --image");
    if (seal_make_run(ctx, &o) < 0)
        return cli_fail("seal make");
    return EXIT_OK;
}

/* ---------------------------------------------------------------- dispatch */

static const char seal_usage[] =
    "usage: sealsvc seal make ...      make a seal (seal make --help)\n"
    "       sealsvc seal list [--data DIR]\n"
    "       sealsvc seal show FILE.esl [--json]\n"
    "       sealsvc seal show ID [--at TIME] [--json]\n"
    "                                 a seal's state now or at TIME, and its lifecycle\n"
    "       sealsvc seal apply ID --institution-code CODE --name NAME [--kind KIND]\n"
    "                         --reason TEXT\n"
    "                                 an application: `seal make --id ID` then makes it\n"
    "       sealsvc seal file|activate|freeze|unfreeze|report-lost|cancel ID --reason TEXT\n"
    "                                 the lifecycle (docs/lifecycle.md): made -> filed ->\n"
    "                                 active <-> frozen; lost; cancelled for good\n"
    "       sealsvc seal lock|unlock ID [--reason TEXT]\n"
    "                                 the lock (set by wrong PINs): no stamp until unlocked\n"
    "       sealsvc seal revoke ID [--reason TEXT]\n"
    "                                 cancel's older name\n";

int cmd_seal(const cli_ctx *ctx, int argc, char **argv)
{
    if (argc < 2) {
        fputs(seal_usage, stderr);
        return EXIT_USAGE;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        fputs(seal_usage, stdout);
        return EXIT_OK;
    }
    if (strcmp(sub, "list") == 0)
        return seal_list(ctx, argc - 1, argv + 1);
    if (strcmp(sub, "show") == 0)
        return seal_show(ctx, argc - 1, argv + 1);
    if (strcmp(sub, "make") == 0)
        return seal_make(ctx, argc - 1, argv + 1);
    static const char *const actions[] = {"apply",       "file",   "activate", "freeze", "unfreeze",
                                          "report-lost", "cancel", "lock",     "unlock", "revoke"};
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (strcmp(sub, actions[i]) == 0)
            return seal_action(ctx, sub, argc - 1, argv + 1);
    return cli_usage_error("unknown seal subcommand '%s' (make, list, show, apply, file, "
                           "activate, freeze, unfreeze, report-lost, cancel, lock, unlock or "
                           "revoke)",
                           sub);
}
