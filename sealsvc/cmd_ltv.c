/* Trusted time on the command line: `sealsvc ltv IN.pdf OUT.pdf [--archive] [--password]`
 * (PAdES B-LT and B-LTA for a signed document, encrypted or not), and the options stamp shares with
 * it (--level, --tsa,
 * --trust, --evidence, --offline): which TSA, which anchors, where revocation evidence
 * comes from (given files, the data directory's cache, the network). */
#include "cli.h"

#include <seal/ca.h>
#include <seal/doc.h>
#include <seal/error.h>
#include <seal/verify.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char ltv_usage[] =
    "usage: sealsvc [--data DIR] ltv IN.pdf OUT.pdf [--archive --tsa URL] [--trust PEM|DIR]...\n"
    "                 [--evidence FILE|DIR]... [--offline] [--password PW | --password-file F]\n"
    "\n"
    "Adds long-term validation data to a signed PDF in a new incremental update: a /DSS with\n"
    "the certificate chains of every signature and timestamp and the CRLs or OCSP responses\n"
    "for their certificates (PAdES B-LT). --archive then adds a document timestamp over it\n"
    "all (B-LTA).\n"
    "\n"
    "  --archive          add a document timestamp (needs --tsa)\n"
    "  --tsa URL          the RFC 3161 TSA (http or https)\n"
    "  --tsa-hash H       sha256 (default) or sm3\n"
    "  --tsa-policy OID   ask the TSA for this policy\n"
    "  --trust PEM|DIR    trust anchors (repeatable; DATA/trust is added with --data)\n"
    "  --evidence F|DIR   CRL (PEM/DER) or OCSP response (DER) files to use (repeatable)\n"
    "  --offline          fetch nothing: only given and cached evidence\n"
    "  --password PW      an encrypted PDF's user or owner password (or $SEALSVC_PDF_PASSWORD,\n"
    "                     or --password-file F); not needed for an empty user password\n"
    "\n"
    "exit: 0 done, 3 error (the message names the certificate or file), 64 usage\n";

static int parse_level(cli_level *out, const char *text)
{
    static const char *const names[] = {"B-B", "B-T", "B-LT", "B-LTA"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(text, names[i]) == 0) {
            *out = (cli_level)i;
            return 0;
        }
    }
    return -1;
}

int cli_time_option(cli_time *t, int code, const char *arg)
{
    switch (code) {
    case CLI_OPT_TSA:
        t->tsa_url = arg;
        return 1;
    case CLI_OPT_LEVEL:
        if (parse_level(&t->level, arg) < 0)
            return cli_usage_error("--level wants B-B, B-T, B-LT or B-LTA, not '%s'", arg);
        t->level_given = true;
        return 1;
    case CLI_OPT_TSA_HASH:
        if (strcasecmp(arg, "sha256") != 0 && strcasecmp(arg, "sm3") != 0)
            return cli_usage_error("--tsa-hash wants sha256 or sm3, not '%s'", arg);
        t->tsa_hash = arg;
        return 1;
    case CLI_OPT_TSA_POLICY:
        t->tsa_policy = arg;
        return 1;
    case CLI_OPT_TRUST:
        if (t->n_trust == CLI_MAX_PATHS)
            return cli_usage_error("at most %d --trust options", CLI_MAX_PATHS);
        t->trust_paths[t->n_trust++] = arg;
        return 1;
    case CLI_OPT_EVIDENCE:
        if (t->n_evidence == CLI_MAX_PATHS)
            return cli_usage_error("at most %d --evidence options", CLI_MAX_PATHS);
        t->evidence_paths[t->n_evidence++] = arg;
        return 1;
    case CLI_OPT_OFFLINE:
        t->offline = true;
        return 1;
    default:
        return 0;
    }
}

static bool is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The platform, when there is one: its roots, published CRLs and evidence storage. */
static int open_platform(cli_time *t, const cli_ctx *ctx)
{
    return t->store || !ctx->data_dir ? 0 : cli_store_open_optional(ctx, ctx->data_dir, &t->store);
}

/* Anchors: each --trust, and the platform's roots (or a data folder's trust/). */
static int load_trust(cli_time *t, const cli_ctx *ctx)
{
    int rc = 0;
    char *dir = NULL;
    SEAL_TRY(seal_trust_new(&t->trust));
    for (int i = 0; i < t->n_trust; i++)
        SEAL_TRY(seal_trust_add_path(t->trust, t->trust_paths[i]));
    SEAL_TRY(open_platform(t, ctx));
    if (t->store) {
        SEAL_TRY(seal_store_trust_add(t->store, t->trust));
    } else if (ctx->data_dir) {
        dir = g_build_filename(ctx->data_dir, "trust", NULL);
        if (is_dir(dir))
            SEAL_TRY(seal_trust_add_path(t->trust, dir));
    }
out:
    g_free(dir);
    return rc;
}

/* Evidence: the given files, with the platform's published CRLs, cache and archive when
 * there is one (the database), or a data folder's cache/revocation and evidence/. */
static int load_revocation(cli_time *t, const cli_ctx *ctx)
{
    int rc = 0;
    SEAL_TRY(open_platform(t, ctx));
    SEAL_TRY(
        seal_verify_revocation_new(&t->revocation, t->store, ctx->data_dir, t->offline, NULL, 0));
    for (int i = 0; i < t->n_evidence; i++) {
        const char *path = t->evidence_paths[i];
        rc = is_dir(path) ? seal_revocation_add_dir(t->revocation, path)
                          : seal_revocation_add_file(t->revocation, path);
        if (rc < 0)
            SEAL_TRY(seal_error_wrap(rc, "--evidence %s", path));
    }
out:
    return rc;
}

int cli_time_prepare(cli_time *t, const cli_ctx *ctx, const char *command)
{
    if (!t->level_given)
        t->level = t->tsa_url ? CLI_LEVEL_B_T : CLI_LEVEL_B_B;
    bool needs_tsa =
        t->existing_signatures ? t->level == CLI_LEVEL_B_LTA : t->level >= CLI_LEVEL_B_T;
    if (needs_tsa && !t->tsa_url)
        return cli_usage_error("%s: %s needs a TSA: --tsa URL", command,
                               t->existing_signatures ? "--archive" : "--level B-T and above");
    if (t->level == CLI_LEVEL_B_B && t->tsa_url)
        return cli_usage_error("%s: --tsa with --level B-B: the timestamp would not be used",
                               command);
    t->client.url = t->tsa_url;
    /* No --tsa-hash: the format's own (SHA-256 for PAdES, SM3 for GB/T 38540). */
    if (t->tsa_hash)
        t->client.md = strcasecmp(t->tsa_hash, "sm3") == 0 ? EVP_sm3() : EVP_sha256();
    t->client.policy = t->tsa_policy;
    /* Anchors serve the timestamp and the chains of B-LT; a plain signature needs none, and
     * reading them costs a whole-process stamp a tenth of its time. */
    if ((t->level >= CLI_LEVEL_B_T && load_trust(t, ctx) < 0) ||
        (t->level >= CLI_LEVEL_B_LT && load_revocation(t, ctx) < 0))
        return cli_fail(command);
    return EXIT_OK;
}

void cli_time_clear(cli_time *t)
{
    seal_trust_free(t->trust);
    seal_revocation_free(t->revocation);
    seal_store_close(t->store);
    t->trust = NULL;
    t->revocation = NULL;
    t->store = NULL;
}

/* B-LT (and B-LTA at that level) for a signed document, through the document face: `in` to
 * `out`. 0 or a libseal error. */
static int ltv_run(cli_time *t, const char *in, const char *out, const char *password)
{
    seal_doc_extend_summary summary = {0};
    seal_doc_extend_opts opts = {
        .trust = t->trust,
        .revocation = t->revocation,
        .archive_tsa = t->level == CLI_LEVEL_B_LTA ? &t->client : NULL,
        .password = password,
    };
    int rc = seal_doc_extend(in, out, &opts, &summary);
    if (rc == 0)
        printf("%s: validation data for %zu signature(s) and %zu timestamp(s): %zu "
               "certificate(s), %zu CRL(s), %zu OCSP response(s)%s\n",
               out, summary.signatures, summary.timestamps, summary.certs, summary.crls,
               summary.ocsps, summary.archived ? "; document timestamp added (B-LTA)" : " (B-LT)");
    return rc;
}

int cmd_ltv(const cli_ctx *ctx, int argc, char **argv)
{
    static const struct option options[] = {
        CLI_TIME_OPTIONS,
        {"archive", no_argument, NULL, 'a'},
        {"password", required_argument, NULL, 'w'},
        {"password-file", required_argument, NULL, 'W'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_time time = {.level = CLI_LEVEL_B_LT, .level_given = true, .existing_signatures = true};
    bool archive = false;
    const char *password_arg = NULL, *password_file = NULL;
    char password[256] = "";
    int code = EXIT_ERROR;

    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'a') {
            archive = true;
        } else if (c == 'w') {
            password_arg = optarg;
        } else if (c == 'W') {
            password_file = optarg;
        } else if (c == 'h') {
            fputs(ltv_usage, stdout);
            return EXIT_OK;
        } else if (c == CLI_OPT_LEVEL) {
            return cli_usage_error("ltv: the level is B-LT, or B-LTA with --archive");
        } else {
            int taken = c == '?' ? 0 : cli_time_option(&time, c, optarg);
            if (taken == EXIT_USAGE)
                return EXIT_USAGE;
            if (!taken)
                return cli_usage_error("ltv: unknown option");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("ltv wants an input and an output file");
    if (archive)
        time.level = CLI_LEVEL_B_LTA;
    else if (time.tsa_url)
        return cli_usage_error("ltv: --tsa is for --archive (a document timestamp)");
    if (cli_read_password(password, sizeof password, password_arg, password_file) < 0)
        return cli_fail("ltv");
    code = cli_time_prepare(&time, ctx, "ltv");
    if (code == EXIT_OK) {
        code = ltv_run(&time, argv[optind], argv[optind + 1], password) < 0 ? cli_fail("ltv")
                                                                            : EXIT_OK;
    }
    cli_time_clear(&time);
    seal_secure_zero(password, sizeof password);
    return code;
}
