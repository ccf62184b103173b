/* `sealsvc cert status CERT.pem [--at TIME] [--offline] [--json]`: whether a certificate
 * was good, revoked or suspended at a time, with the CRL or OCSP response that says so.
 * The issuer comes from --issuer, the file itself (a chain), the data directory's CAs,
 * the trust anchors, or the certificate's caIssuers URL. Exit codes like verify: 0 good,
 * 1 revoked, 2 suspended or unknown, 3 error. */
#include "cli.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/pki.h>
#include <seal/revocation.h>
#include <seal/verify.h>

#include <dirent.h>
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char cert_usage[] =
    "usage: sealsvc [--data DIR] cert status CERT.pem [--issuer PEM] [--trust PEM|DIR]...\n"
    "                  [--at TIME] [--evidence FILE|DIR]... [--offline] [--json]\n"
    "\n"
    "Prints whether the certificate was good, revoked or suspended (certificateHold) at\n"
    "TIME (default now), and the CRL or OCSP response that says so.\n"
    "\n"
    "  --issuer PEM      the issuing CA's certificate (else: the rest of CERT.pem, the\n"
    "                    data directory's CAs, --trust, or the caIssuers URL)\n"
    "  --trust PEM|DIR   certificates to look for the issuer among (repeatable)\n"
    "  --at TIME         2026-05-01T08:00:00Z, 2026-05-01T16:00:00+08:00, 2026-05-01,\n"
    "                    @SECONDS or now\n"
    "  --evidence F|DIR  CRLs or OCSP responses to judge by (repeatable)\n"
    "  --offline         never fetch: evidence given, published in DATA/crl, or cached\n"
    "  --json            print JSON instead of text\n"
    "\n"
    "exit: 0 good, 1 revoked, 2 suspended or unknown, 3 error, 64 usage\n";

static void iso(char out[32], time_t t)
{
    struct tm tm;
    if (!t || !gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        strcpy(out, "");
}

static json_t *time_json(time_t t)
{
    char buf[32];
    iso(buf, t);
    return buf[0] ? json_string(buf) : json_null();
}

/* Candidate issuers: every certificate of the given files and folders. */
static void add_candidates(STACK_OF(X509) * pool, const char *path)
{
    STACK_OF(X509) *certs = NULL;
    if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
        struct dirent **names = NULL;
        int n = scandir(path, &names, NULL, alphasort);
        for (int i = 0; i < n; i++) {
            const char *name = names[i]->d_name;
            size_t len = strlen(name);
            if (name[0] != '.' && len > 4 &&
                (strcmp(name + len - 4, ".pem") == 0 || strcmp(name + len - 4, ".crt") == 0 ||
                 strcmp(name + len - 4, ".cer") == 0)) {
                char *file = g_build_filename(path, name, NULL);
                add_candidates(pool, file);
                g_free(file);
            }
            free(names[i]);
        }
        free(names);
    } else if (seal_certs_load(&certs, path) == 0) {
        while (sk_X509_num(certs) > 0)
            if (!sk_X509_push(pool, sk_X509_shift(certs)))
                break;
    }
    sk_X509_pop_free(certs, X509_free);
    seal_error_clear();
}

static X509 *issuer_among(STACK_OF(X509) * pool, X509 *cert)
{
    for (int i = 0; i < sk_X509_num(pool); i++) {
        /* Names and key identifiers (RFC 5280 4.2.1.1); the CRL or OCSP signature then
         * proves the key. */
        X509 *c = sk_X509_value(pool, i);
        if (X509_check_issued(c, cert) == X509_V_OK)
            return c;
    }
    return NULL;
}

static int find_issuer(X509 **out, seal_revocation *rv, X509 *cert, STACK_OF(X509) * pool)
{
    X509 *found = issuer_among(pool, cert);
    if (!found && !seal_revocation_offline(rv)) {
        seal_chain_fetch_issuers(rv, cert, pool, 1);
        found = issuer_among(pool, cert);
    }
    if (!found)
        return seal_error_set(SEAL_ENOTFOUND,
                              "the issuer of the certificate was not found; give it with "
                              "--issuer PEM");
    if (!X509_up_ref(found))
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    *out = found;
    return 0;
}

static void print_text(X509 *cert, time_t at, bool at_now, const seal_cert_status *st)
{
    char when[32], t[32];
    char *cn = seal_cert_subject_cn(cert);
    char *serial = seal_cert_serial_hex(cert);
    const seal_evidence *e = &st->evidence;
    iso(when, at);
    printf("certificate: %s (serial %s)\n", cn ? cn : "?", serial);
    printf("at:          %s%s\n", when, at_now ? " (now)" : "");
    printf("status:      %s\n", seal_cert_state_name(st->state));
    if (st->state == SEAL_CERT_REVOKED || st->state == SEAL_CERT_SUSPENDED || st->revoked_later) {
        const char *reason = seal_crl_reason_name(st->reason);
        iso(t, st->revoked_at);
        printf("%s %s (%s)\n", st->revoked_later ? "revoked later:" : "since:      ", t,
               reason ? reason : "no reason given");
    }
    if (st->invalidity_date) {
        iso(t, st->invalidity_date);
        printf("invalid since: %s\n", t);
    }
    printf("detail:      %s\n", st->detail);
    if (e->kind != SEAL_EVIDENCE_NONE) {
        printf("evidence:    %s from %s\n", e->kind == SEAL_EVIDENCE_CRL ? "CRL" : "OCSP response",
               e->source);
        printf("  signed by:   %s\n", e->signer ? e->signer : "?");
        iso(t, e->this_update);
        printf("  thisUpdate:  %s\n", t);
        iso(t, e->next_update);
        printf("  nextUpdate:  %s\n", e->next_update ? t : "(none)");
        if (e->produced_at) {
            iso(t, e->produced_at);
            printf("  producedAt:  %s\n", t);
        }
        if (e->crl_number)
            printf("  CRL number:  %s\n", e->crl_number);
        if (e->delta_crl_number)
            printf("  with delta CRL number: %s\n", e->delta_crl_number);
        if (e->fetched_at) {
            iso(t, e->fetched_at);
            printf("  fetched:     %s\n", t);
        }
        if (e->archived)
            printf("  archived:    %s\n", e->archived);
    }
    free(cn);
    g_free(serial);
}

static int print_json(X509 *cert, X509 *issuer, time_t at, const seal_cert_status *st)
{
    const seal_evidence *e = &st->evidence;
    char *cn = seal_cert_subject_cn(cert);
    char *issuer_cn = seal_cert_subject_cn(issuer);
    char *serial = seal_cert_serial_hex(cert);
    const char *reason = seal_crl_reason_name(st->reason);
    json_t *evidence = json_null();
    if (e->kind != SEAL_EVIDENCE_NONE)
        evidence = json_pack(
            "{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "kind",
            e->kind == SEAL_EVIDENCE_CRL ? "crl" : "ocsp", "source", e->source, "signer",
            e->signer ? e->signer : "", "this_update", time_json(e->this_update), "next_update",
            time_json(e->next_update), "produced_at", time_json(e->produced_at), "fetched_at",
            time_json(e->fetched_at), "crl_number",
            e->crl_number ? json_string(e->crl_number) : json_null(), "delta_crl_number",
            e->delta_crl_number ? json_string(e->delta_crl_number) : json_null(), "archived",
            e->archived ? json_string(e->archived) : json_null());
    bool listed =
        st->state == SEAL_CERT_REVOKED || st->state == SEAL_CERT_SUSPENDED || st->revoked_later;
    json_t *j =
        json_pack("{s:{s:s, s:s, s:s}, s:o, s:s, s:o, s:o, s:b, s:o, s:s, s:o}", "certificate",
                  "name", cn ? cn : "", "serial", serial, "issuer", issuer_cn ? issuer_cn : "",
                  "at", time_json(at), "status", seal_cert_state_name(st->state), "revoked_at",
                  listed ? time_json(st->revoked_at) : json_null(), "reason",
                  listed && reason ? json_string(reason) : json_null(), "revoked_later",
                  st->revoked_later, "invalidity_date", time_json(st->invalidity_date), "detail",
                  st->detail, "evidence", evidence);
    free(cn);
    free(issuer_cn);
    g_free(serial);
    if (!j)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    int failed = json_dumpf(j, stdout, JSON_INDENT(2));
    json_decref(j);
    if (failed || fputc('\n', stdout) == EOF)
        return seal_error_set(SEAL_EIO, "cannot write to standard output");
    return 0;
}

static int cert_status(const cli_ctx *ctx, int argc, char **argv)
{
    const char *file = NULL, *issuer_path = NULL, *at_text = NULL;
    bool json = false, offline = false;
    GPtrArray *evidence = g_ptr_array_new();
    GPtrArray *trust = g_ptr_array_new();
    STACK_OF(X509) *chain = NULL;
    STACK_OF(X509) *pool = sk_X509_new_null();
    X509 *cert = NULL, *issuer = NULL;
    seal_revocation *rv = NULL;
    seal_store *platform = NULL;
    seal_cert_status st = {0};
    int code = EXIT_ERROR;
    time_t at = time(NULL);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool takes = strcmp(a, "--issuer") == 0 || strcmp(a, "--trust") == 0 ||
                     strcmp(a, "--at") == 0 || strcmp(a, "--evidence") == 0;
        if (takes && i + 1 >= argc) {
            code = cli_usage_error("cert status: %s needs a value", a);
            goto out;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(cert_usage, stdout);
            code = EXIT_OK;
            goto out;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--offline") == 0) {
            offline = true;
        } else if (strcmp(a, "--issuer") == 0) {
            issuer_path = argv[++i];
        } else if (strcmp(a, "--trust") == 0) {
            g_ptr_array_add(trust, argv[++i]);
        } else if (strcmp(a, "--at") == 0) {
            at_text = argv[++i];
        } else if (strcmp(a, "--evidence") == 0) {
            g_ptr_array_add(evidence, argv[++i]);
        } else if (a[0] == '-' && a[1]) {
            code = cli_usage_error("cert status: unknown option '%s'", a);
            goto out;
        } else if (file) {
            code = cli_usage_error("cert status: one certificate at a time");
            goto out;
        } else {
            file = a;
        }
    }
    if (!file) {
        code = cli_usage_error("cert status: which certificate? (sealsvc cert status CERT.pem)");
        goto out;
    }
    if (at_text && cli_parse_time(at_text, &at) < 0) {
        code = cli_usage_error("cert status: --at: %s", seal_error_last());
        goto out;
    }
    if (!pool || seal_certs_load(&chain, file) < 0 || sk_X509_num(chain) == 0)
        goto fail;
    cert = sk_X509_shift(chain);
    while (sk_X509_num(chain) > 0)
        sk_X509_push(pool, sk_X509_shift(chain));
    if (issuer_path)
        add_candidates(pool, issuer_path);
    if (cli_store_open_optional(ctx, ctx->data_dir, &platform) < 0)
        goto fail;
    if (platform) {
        /* The platform's own certificates, from the database, as issuer candidates. */
        STACK_OF(X509) *own = NULL;
        if (seal_store_party_list(platform, NULL, &own) < 0)
            goto fail;
        while (sk_X509_num(own) > 0)
            sk_X509_push(pool, sk_X509_shift(own));
        sk_X509_free(own);
    } else if (ctx->data_dir) {
        char *pki = g_build_filename(ctx->data_dir, "pki", NULL);
        char *anchors = g_build_filename(ctx->data_dir, "trust", NULL);
        add_candidates(pool, pki);
        add_candidates(pool, anchors);
        g_free(pki);
        g_free(anchors);
    }
    for (guint i = 0; i < trust->len; i++)
        add_candidates(pool, g_ptr_array_index(trust, i));
    if (seal_verify_revocation_new(&rv, platform, ctx->data_dir, offline,
                                   (const char *const *)evidence->pdata, evidence->len) < 0 ||
        find_issuer(&issuer, rv, cert, pool) < 0 ||
        seal_pki_status_at(&st, rv, cert, issuer, at) < 0)
        goto fail;
    if (json) {
        if (print_json(cert, issuer, at, &st) < 0)
            goto fail;
    } else {
        print_text(cert, at, !at_text, &st);
    }
    if (fflush(stdout) != 0)
        goto out;
    code = st.state == SEAL_CERT_GOOD      ? EXIT_OK
           : st.state == SEAL_CERT_REVOKED ? EXIT_INVALID
                                           : EXIT_INDETERMINATE;
    goto out;
fail:
    code = cli_fail("cert status");
out:
    seal_cert_status_clear(&st);
    seal_revocation_free(rv);
    seal_store_close(platform);
    X509_free(cert);
    X509_free(issuer);
    sk_X509_pop_free(chain, X509_free);
    sk_X509_pop_free(pool, X509_free);
    g_ptr_array_free(evidence, TRUE);
    g_ptr_array_free(trust, TRUE);
    return code;
}

int cmd_cert(const cli_ctx *ctx, int argc, char **argv)
{
    int help = cli_subcommand_help(argc, argv, cert_usage);
    if (help >= 0)
        return help;
    if (strcmp(argv[1], "status") != 0)
        return cli_usage_error("unknown cert subcommand '%s' (only 'status' exists)", argv[1]);
    return cert_status(ctx, argc - 1, argv + 1);
}
