/* `sealsvc ca`: the platform CA's operations under the CA service agreements: revoke,
 * freeze and unfreeze (certificateHold), renew, re-key, publish a CRL, and show a
 * certificate's state and history. Every operation is audited in the store and followed
 * by a fresh CRL in the database, which `sealsvc ocsp` serves and `verify --data` reads. */
#include "cli.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/pki.h>
#include <seal/revocation.h>
#include <seal/store.h>

#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char ca_usage[] =
    "usage: sealsvc --data DIR ca COMMAND ...\n"
    "\n"
    "  revoke SERIAL|CERT.pem [--reason R] [--invalidity-date TIME]\n"
    "                      revoke for good (R: keyCompromise, cACompromise,\n"
    "                      affiliationChanged, superseded, cessationOfOperation,\n"
    "                      privilegeWithdrawn, aACompromise, unspecified)\n"
    "  freeze SERIAL|CERT.pem      put on hold (certificateHold)\n"
    "  unfreeze SERIAL|CERT.pem    release the hold: the next CRL omits the entry\n"
    "  renew CERT.pem|SERIAL [--force] [--days N] [-o OUT.pem]\n"
    "                      same key, new certificate and serial; within 30 days of expiry\n"
    "                      unless --force; seals bound to it get the new certificate\n"
    "  rekey (CERT.pem|SERIAL|--seal ID) (--pin PIN|--pin-file F) [--days N] [-o OUT.pem]\n"
    "                      new key pair and certificate for a seal, the key under its PIN\n"
    "  crl [--ca NAME] [--hours N] [-o FILE] [--pem]\n"
    "                      publish a CRL in the database (NAME default issuing-ca),\n"
    "                      served as /crl/NAME.crl; -o FILE writes a copy too\n"
    "  crl [--ca NAME] --delta [--hours N] [-o FILE] [--pem]\n"
    "                      publish a delta CRL (RFC 5280 5.2.4) on the last complete CRL,\n"
    "                      served as /crl/NAME-delta.crl; later changes publish deltas\n"
    "  crl [--ca NAME] [--delta] --current -o FILE [--pem]\n"
    "                      a copy of the CRL (or delta CRL) as last published\n"
    "  show SERIAL|CERT.pem [--json]   state and history of a certificate\n"
    "\n"
    "Each change is audited and publishes a new CRL (a delta CRL once --delta was used). The PIN "
    "may also come from\n"
    "$SEALSVC_PIN. Exit 0 done, 3 refused or failed (the message says why), 64 usage.\n";

/* The certificate a command names: a PEM/DER file, or a serial in the CA database. */
typedef struct target {
    X509 *cert;
    seal_ca_record record;
} target;

static void target_clear(target *t)
{
    X509_free(t->cert);
    seal_ca_record_clear(&t->record);
}

static int resolve(target *t, seal_store *st, const char *arg)
{
    int rc = 0;
    memset(t, 0, sizeof *t);
    if (g_file_test(arg, G_FILE_TEST_IS_REGULAR)) {
        SEAL_TRY(seal_cert_load(&t->cert, arg));
        char *serial = seal_cert_serial_hex(t->cert);
        rc = seal_store_ca_find(st, serial, NULL, &t->record);
        g_free(serial);
        if (rc < 0)
            goto out;
    } else {
        SEAL_TRY(seal_store_ca_find(st, arg, NULL, &t->record));
        SEAL_TRY(seal_cert_load_mem(&t->cert, t->record.der.data, t->record.der.len));
    }
out:
    return rc;
}

static const char *actor(void)
{
    return g_get_user_name();
}

static void print_time(FILE *f, const char *label, time_t t)
{
    char buf[32] = "?";
    struct tm tm;
    if (gmtime_r(&t, &tm))
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, "%s%s\n", label, buf);
}

static int read_pin(char *pin, size_t size, const char *pin_arg, const char *pin_file)
{
    if (pin_file) {
        FILE *f = fopen(pin_file, "r");
        if (!f)
            return seal_error_set(SEAL_EIO, "cannot open the PIN file %s", pin_file);
        char *line = fgets(pin, (int)size, f);
        fclose(f);
        if (!line)
            return seal_error_set(SEAL_EINVAL, "the PIN file %s is empty", pin_file);
        pin[strcspn(pin, "\r\n")] = 0;
    } else if (pin_arg) {
        g_strlcpy(pin, pin_arg, size);
    } else if (getenv("SEALSVC_PIN")) {
        g_strlcpy(pin, getenv("SEALSVC_PIN"), size);
    } else {
        return seal_error_set(SEAL_EAUTH, "the seal's PIN is required (--pin, --pin-file or "
                                          "$SEALSVC_PIN)");
    }
    return 0;
}

static int write_cert_out(X509 *cert, const char *path)
{
    seal_buf pem = SEAL_BUF_INIT;
    int rc = seal_cert_to_pem(&pem, cert);
    if (rc == 0 && path)
        rc = seal_buf_write_file(&pem, path, 0644);
    else if (rc == 0)
        fwrite(pem.data, 1, pem.len, stdout);
    seal_buf_clear(&pem);
    return rc;
}

/* ---------------------------------------------------------------- the commands */

typedef struct ca_args {
    const char *what; /* SERIAL or CERT.pem */
    const char *reason, *invalidity, *ca_name, *out, *seal_id, *pin, *pin_file;
    int days, hours;
    bool force, json, pem, current, delta;
} ca_args;

/* The commands and the options (by their letters below) each takes: an option of another
 * command is a slip worth saying, not something to ignore. */
static const struct {
    const char *cmd, *takes;
} ca_commands[] = {
    {"revoke", "ri"},   {"freeze", ""},    {"unfreeze", ""}, {"renew", "fdo"},
    {"rekey", "spPdo"}, {"crl", "cHomCD"}, {"show", "j"},
};

static int parse_args(ca_args *a, const char *cmd, const char *takes, int argc, char **argv)
{
    static const struct option options[] = {
        {"reason", required_argument, NULL, 'r'},
        {"invalidity-date", required_argument, NULL, 'i'},
        {"ca", required_argument, NULL, 'c'},
        {"days", required_argument, NULL, 'd'},
        {"hours", required_argument, NULL, 'H'},
        {"force", no_argument, NULL, 'f'},
        {"seal", required_argument, NULL, 's'},
        {"pin", required_argument, NULL, 'p'},
        {"pin-file", required_argument, NULL, 'P'},
        {"json", no_argument, NULL, 'j'},
        {"pem", no_argument, NULL, 'm'},
        {"output", required_argument, NULL, 'o'},
        {"current", no_argument, NULL, 'C'},
        {"delta", no_argument, NULL, 'D'},
        {NULL, 0, NULL, 0},
    };
    memset(a, 0, sizeof *a);
    optind = 0;
    int opt;
    int index = -1;
    while ((opt = getopt_long(argc, argv, "o:", options, &index)) != -1) {
        char *end = NULL;
        if (opt != '?' && !strchr(takes, opt))
            return cli_usage_error("ca %s does not take %s%s", cmd, index >= 0 ? "--" : "-",
                                   index >= 0 ? options[index].name : "o");
        index = -1;
        switch (opt) {
        case 'r':
            a->reason = optarg;
            break;
        case 'i':
            a->invalidity = optarg;
            break;
        case 'c':
            a->ca_name = optarg;
            break;
        case 'd':
        case 'H': {
            long v = strtol(optarg, &end, 10);
            if (end == optarg || *end || v < 1 || v > 100000)
                return cli_usage_error("ca %s: --%s wants a positive number, not '%s'", cmd,
                                       opt == 'd' ? "days" : "hours", optarg);
            *(opt == 'd' ? &a->days : &a->hours) = (int)v;
            break;
        }
        case 'f':
            a->force = true;
            break;
        case 's':
            a->seal_id = optarg;
            break;
        case 'p':
            a->pin = optarg;
            break;
        case 'P':
            a->pin_file = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'm':
            a->pem = true;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'C':
            a->current = true;
            break;
        case 'D':
            a->delta = true;
            break;
        default:
            return cli_usage_error("ca %s: unknown option", cmd);
        }
    }
    if (optind < argc)
        a->what = argv[optind++];
    if (optind < argc)
        return cli_usage_error("ca %s: unexpected argument '%s'", cmd, argv[optind]);
    return 0;
}

static int open_ca_of(seal_ca **ca, seal_store *st, const target *t)
{
    int rc = seal_ca_open_issuer_of(ca, st, t->cert);
    if (rc < 0)
        return seal_error_wrap(rc, "certificate %s", t->record.serial);
    return 0;
}

static int cmd_state(seal_store *st, const char *cmd, const ca_args *a)
{
    int rc = 0;
    target t = {0};
    seal_ca *ca = NULL;
    int reason = 0;
    time_t invalidity = 0;
    SEAL_ENSURE(a->what, SEAL_EINVAL, "ca %s: which certificate? (SERIAL or CERT.pem)", cmd);
    if (a->reason)
        SEAL_TRY(seal_crl_reason_parse(&reason, a->reason));
    if (a->invalidity)
        SEAL_TRY(cli_parse_time(a->invalidity, &invalidity));
    SEAL_TRY(resolve(&t, st, a->what));
    SEAL_TRY(open_ca_of(&ca, st, &t));
    if (strcmp(cmd, "revoke") == 0)
        SEAL_TRY(seal_ca_revoke(ca, t.record.serial, reason, invalidity, actor()));
    else if (strcmp(cmd, "freeze") == 0)
        SEAL_TRY(seal_ca_freeze(ca, t.record.serial, actor()));
    else
        SEAL_TRY(seal_ca_unfreeze(ca, t.record.serial, actor()));
    printf("%s %s (%s)%s%s; CRL published: %s.crl\n",
           strcmp(cmd, "revoke") == 0   ? "revoked"
           : strcmp(cmd, "freeze") == 0 ? "frozen"
                                        : "unfrozen",
           t.record.serial, t.record.subject, strcmp(cmd, "revoke") == 0 ? ": " : "",
           strcmp(cmd, "revoke") == 0 ? seal_crl_reason_name(reason) : "", seal_ca_name(ca));
out:
    seal_ca_free(ca);
    target_clear(&t);
    return rc;
}

static int cmd_renew(seal_store *st, const ca_args *a)
{
    int rc = 0;
    target t = {0};
    seal_ca *ca = NULL;
    X509 *fresh = NULL;
    SEAL_ENSURE(a->what, SEAL_EINVAL, "ca renew: which certificate? (CERT.pem or SERIAL)");
    SEAL_TRY(resolve(&t, st, a->what));
    SEAL_TRY(open_ca_of(&ca, st, &t));
    SEAL_TRY(seal_ca_renew(ca, &fresh, t.cert, a->force, a->days, actor()));
    char *serial = seal_cert_serial_hex(fresh);
    fprintf(stderr, "sealsvc ca: %s renewed as %s\n", t.record.serial, serial);
    g_free(serial);
    SEAL_TRY(write_cert_out(fresh, a->out));
out:
    X509_free(fresh);
    seal_ca_free(ca);
    target_clear(&t);
    return rc;
}

/* The one seal bound to a certificate, when rekey names the certificate. */
static int seal_of_cert(char **id_out, seal_store *st, X509 *cert)
{
    char **ids = NULL;
    int rc = seal_store_list_seals(st, &ids);
    GPtrArray *found = g_ptr_array_new_with_free_func(g_free);
    for (size_t i = 0; rc == 0 && ids[i]; i++) {
        seal_record r = {0};
        X509 *c = NULL;
        rc = seal_store_get_seal(st, ids[i], &r);
        if (rc == 0 && seal_cert_load_mem(&c, r.cert_pem.data, r.cert_pem.len) == 0 &&
            X509_cmp(c, cert) == 0)
            g_ptr_array_add(found, g_strdup(ids[i]));
        X509_free(c);
        seal_record_clear(&r);
    }
    g_strfreev(ids);
    if (rc == 0 && found->len == 0)
        rc = seal_error_set(SEAL_ENOTFOUND, "no seal binds this certificate");
    else if (rc == 0 && found->len > 1)
        rc = seal_error_set(SEAL_EINVAL, "%u seals bind this certificate; name one with --seal ID",
                            found->len);
    if (rc == 0)
        *id_out = g_strdup(g_ptr_array_index(found, 0));
    g_ptr_array_free(found, TRUE);
    return rc;
}

static int cmd_rekey(seal_store *st, const ca_args *a)
{
    int rc = 0;
    target t = {0};
    seal_ca *ca = NULL;
    X509 *fresh = NULL;
    char *seal_id = NULL;
    char pin[256] = "";
    SEAL_ENSURE(a->what || a->seal_id, SEAL_EINVAL,
                "ca rekey: which seal? (--seal ID, or its CERT.pem or SERIAL)");
    SEAL_TRY(read_pin(pin, sizeof pin, a->pin, a->pin_file));
    if (a->seal_id) {
        seal_record r = {0};
        seal_id = g_strdup(a->seal_id);
        SEAL_TRY(seal_store_get_seal(st, seal_id, &r));
        rc = seal_cert_load_mem(&t.cert, r.cert_pem.data, r.cert_pem.len);
        seal_record_clear(&r);
        SEAL_TRY(rc);
    } else {
        SEAL_TRY(resolve(&t, st, a->what));
        SEAL_TRY(seal_of_cert(&seal_id, st, t.cert));
    }
    SEAL_TRY(seal_ca_open_issuer_of(&ca, st, t.cert));
    SEAL_TRY(seal_ca_rekey(ca, &fresh, seal_id, pin, a->days, actor()));
    char *serial = seal_cert_serial_hex(fresh);
    fprintf(stderr, "sealsvc ca: seal %s re-keyed; its certificate is now %s\n", seal_id, serial);
    g_free(serial);
    SEAL_TRY(write_cert_out(fresh, a->out));
out:
    seal_secure_zero(pin, sizeof pin);
    X509_free(fresh);
    seal_ca_free(ca);
    target_clear(&t);
    g_free(seal_id);
    return rc;
}

static int cmd_crl(seal_store *st, const ca_args *a)
{
    int rc = 0;
    seal_ca *ca = NULL;
    seal_buf der = SEAL_BUF_INIT, pem = SEAL_BUF_INIT;
    X509_CRL *crl = NULL;
    BIO *bio = NULL;
    const char *name = a->ca_name ? a->ca_name : "issuing-ca";
    char *delta_name = g_strdup_printf("%s-delta", name);
    SEAL_ENSURE(!a->what, SEAL_EINVAL, "ca crl takes no certificate");
    SEAL_ENSURE(!a->current || (a->out && !a->hours), SEAL_EINVAL,
                "ca crl --current writes the CRL as published: it wants -o FILE and no --hours");
    if (a->current) {
        /* A copy of what relying parties are served, from the database; nothing issued. */
        SEAL_TRY(seal_store_crl_get(st, a->delta ? delta_name : name, &der, NULL, NULL));
    } else if (a->delta) {
        SEAL_TRY(seal_ca_open(&ca, st, name));
        SEAL_TRY(seal_ca_publish_delta_crl(ca, a->hours, &der, actor()));
        fprintf(stderr, "sealsvc ca: delta CRL published: %s.crl\n", delta_name);
    } else {
        SEAL_TRY(seal_ca_open(&ca, st, name));
        SEAL_TRY(seal_ca_publish_crl(ca, a->hours, &der, actor()));
        fprintf(stderr, "sealsvc ca: CRL published: %s.crl\n", seal_ca_name(ca));
    }
    if (a->out) {
        if (a->pem) {
            const unsigned char *p = der.data;
            crl = d2i_X509_CRL(NULL, &p, (long)der.len);
            bio = BIO_new(BIO_s_mem());
            SEAL_ENSURE(crl && bio && PEM_write_bio_X509_CRL(bio, crl), SEAL_ENOMEM,
                        "out of memory");
            char *text;
            long n = BIO_get_mem_data(bio, &text);
            SEAL_TRY(seal_buf_set(&pem, text, (size_t)n));
            SEAL_TRY(seal_buf_write_file(&pem, a->out, 0644));
        } else {
            SEAL_TRY(seal_buf_write_file(&der, a->out, 0644));
        }
    }
out:
    X509_CRL_free(crl);
    BIO_free(bio);
    seal_buf_clear(&der);
    seal_buf_clear(&pem);
    seal_ca_free(ca);
    g_free(delta_name);
    return rc;
}

static int cmd_show(seal_store *st, const ca_args *a)
{
    int rc = 0;
    target t = {0};
    seal_audit_record *history = NULL;
    size_t n = 0;
    char *key = NULL;
    json_t *j = NULL;
    SEAL_ENSURE(a->what, SEAL_EINVAL, "ca show: which certificate? (SERIAL or CERT.pem)");
    SEAL_TRY(resolve(&t, st, a->what));
    key = g_strdup_printf("cert:%s", t.record.serial);
    SEAL_TRY(seal_store_audit_list(st, key, &history, &n));
    const seal_ca_record *c = &t.record;
    const char *reason = seal_crl_reason_name(c->reason);
    if (a->json) {
        json_t *events = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(events,
                                  json_pack("{s:I, s:s, s:s, s:s}", "at", (json_int_t)history[i].at,
                                            "actor", history[i].actor, "action", history[i].action,
                                            "detail", history[i].detail));
        j = json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:o, s:o, s:o}", "serial", c->serial,
                      "subject", c->subject, "issuer", c->issuer, "role", c->role, "not_before",
                      (json_int_t)c->not_before, "not_after", (json_int_t)c->not_after, "state",
                      seal_ca_state_name(c->state), "since",
                      c->state != SEAL_CA_GOOD ? json_integer(c->revoked_at) : json_null(),
                      "reason",
                      reason && c->state != SEAL_CA_GOOD ? json_string(reason) : json_null(),
                      "history", events);
        SEAL_ENSURE(j, SEAL_ENOMEM, "out of memory");
        if (c->replaced_by)
            json_object_set_new(j, "replaced_by", json_string(c->replaced_by));
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        goto out;
    }
    printf("serial:     %s\nsubject:    %s\nissuer:     %s\nrole:       %s\n", c->serial,
           c->subject, c->issuer, c->role);
    print_time(stdout, "not before: ", c->not_before);
    print_time(stdout, "not after:  ", c->not_after);
    printf("state:      %s", seal_ca_state_name(c->state));
    if (c->state != SEAL_CA_GOOD) {
        char since[32] = "?";
        struct tm tm;
        if (gmtime_r(&c->revoked_at, &tm))
            strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf(" since %s (%s)", since, reason ? reason : "no reason given");
    }
    printf("\n");
    if (c->replaced_by)
        printf("replaced by: %s\n", c->replaced_by);
    printf("history:\n");
    for (size_t i = 0; i < n; i++) {
        char at[32] = "?";
        struct tm tm;
        if (gmtime_r(&history[i].at, &tm))
            strftime(at, sizeof at, "%Y-%m-%dT%H:%M:%SZ", &tm);
        printf("  %s  %-8s %s (by %s)\n", at, history[i].action, history[i].detail,
               history[i].actor);
    }
out:
    json_decref(j);
    g_free(key);
    seal_audit_records_free(history, n);
    target_clear(&t);
    return rc;
}

int cmd_ca(const cli_ctx *ctx, int argc, char **argv)
{
    ca_args a;
    seal_store *st = NULL;
    int code = EXIT_OK;
    int help = cli_subcommand_help(argc, argv, ca_usage);
    if (help >= 0)
        return help;
    const char *cmd = argv[1];
    const char *takes = NULL;
    for (size_t i = 0; i < sizeof ca_commands / sizeof ca_commands[0]; i++)
        if (strcmp(cmd, ca_commands[i].cmd) == 0)
            takes = ca_commands[i].takes;
    if (!takes)
        return cli_usage_error("unknown ca command '%s' (see 'sealsvc ca --help')", cmd);
    int usage = parse_args(&a, cmd, takes, argc - 1, argv + 1);
    if (usage)
        return usage;
    const char *data = cli_data_dir(ctx);
    if (!data)
        return cli_usage_error("ca needs the data directory: --data DIR or $SEALSVC_DATA");
    if (cli_store_open(ctx, data, false, &st) < 0)
        return cli_fail("ca");
    int rc;
    if (strcmp(cmd, "renew") == 0)
        rc = cmd_renew(st, &a);
    else if (strcmp(cmd, "rekey") == 0)
        rc = cmd_rekey(st, &a);
    else if (strcmp(cmd, "crl") == 0)
        rc = cmd_crl(st, &a);
    else if (strcmp(cmd, "show") == 0)
        rc = cmd_show(st, &a);
    else
        rc = cmd_state(st, cmd, &a);
    if (rc < 0) {
        char *what = g_strdup_printf("ca %s", cmd);
        code = cli_fail(what);
        g_free(what);
    } else if (fflush(stdout) != 0) {
        code = EXIT_ERROR;
    }
    seal_store_close(st);
    return code;
}
