/* sealsvc: the entry point. Parses the global options (--data DIR) and hands the rest of
 * the command line to a subcommand (demo, seal, stamp, verify, tsa, ca...). */
#include "cli.h"

#include <seal/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every form of every command, held against each command's --help and docs/cli.md by
 * tests/integration/cli_help.sh. */
static const char usage_text[] =
    "usage: sealsvc [--data DIR] [--db URL] COMMAND [ARGS]\n"
    "\n"
    "Every form of every command. [options] stands for more options, all listed by the\n"
    "'sealsvc COMMAND --help' named beside it.\n"
    "\n"
    "  demo init --dir DIR [--ocsp-port N] [--crl-port N]\n"
    "      create a demo platform (PKI, institutions, seals) and print its manifest\n"
    "  seal make --id ID --institution-code CODE --name NAME --pin PIN\n"
    "            (--key KEY.pem|KEY.p12 | --pkcs11-uri URI) [--kind KIND] [--image PNG]\n"
    "            [options]\n"
    "      make a GB/T 38540 seal (all its options: sealsvc seal make --help)\n"
    "  seal list\n"
    "  seal show FILE.esl [--json] | seal show ID [--at TIME] [--json]\n"
    "      list the seals; what a .esl holds, or a seal's state now or at TIME\n"
    "  seal apply ID --institution-code CODE --name NAME [--kind KIND] --reason TEXT\n"
    "  seal file|activate|freeze|unfreeze|report-lost|cancel ID --reason TEXT\n"
    "  seal lock|unlock|revoke ID [--reason TEXT]\n"
    "      the seal lifecycle (docs/lifecycle.md); a locked seal stamps nothing\n"
    "  stamp IN.pdf OUT.pdf --seal ID (--pin PIN | --pin-file F) [--grant ID]\n"
    "        (--at X,Y [--page N | --pages RANGE]\n"
    "         | --keyword TEXT [--occurrence N|all] [--offset DX,DY] [--pages RANGE]\n"
    "         | --seam right|left|top|bottom [--offset MM] [--pages RANGE]\n"
    "         | --invisible [--page N])\n"
    "        [--reason TEXT] [--location TEXT]\n"
    "        [--level B-B|B-T|B-LT|B-LTA] [--tsa URL [--tsa-hash sha256|sm3]\n"
    "        [--tsa-policy OID]] [--trust PEM|DIR]... [--evidence FILE|DIR]... [--offline]\n"
    "        [--password PW | --password-file F] [--certify 1|2|3]\n"
    "        [--lock-fields all|NAME,NAME] [--qr URL-TEMPLATE]\n"
    "        [--input-policy strict|warn|off [--normalise]] [--allow-broken-signatures]\n"
    "      stamp a PDF: the seal's picture and a PAdES signature\n"
    "  stamp IN.ofd OUT.ofd --seal ID (--pin PIN | --pin-file F) [--grant ID] [--doc N]\n"
    "        (--at X,Y ... | --keyword TEXT ... | --seam SIDE ...: as for a PDF)\n"
    "        [--mode continue|lock] [--tsa URL [--tsa-hash sha256|sm3]]\n"
    "      stamp an OFD: the seal's picture and a GB/T 38540 seal signature\n"
    "  stamp IN OUT --seal ID --external [--expires SECONDS] (the options above)\n"
    "  stamp finish ID --signature FILE [--certificate PEM] [--trust PEM|DIR]...\n"
    "        [--evidence FILE|DIR]... [--offline]\n"
    "  stamp pending [--json]\n"
    "      two-phase stamping: the seal's key signs elsewhere; finish it; what waits\n"
    "  verify FILE [--trust PEM|DIR]... [--evidence FILE|DIR]... [--offline]\n"
    "         [--format json|text|html|pdf | --json] [-o REPORT] [--evidence-out DIR]\n"
    "         [--password PW | --password-file F] [--doc N]\n"
    "         [--report-seal ID] [--report-pin-file F] [--report-tsa URL]\n"
    "         [--report-url BASE]\n"
    "      verify every signature (exit 0 valid, 1 invalid, 2 indeterminate, 3 error);\n"
    "      --format pdf -o OUT.pdf: a PDF report sealed by the platform\n"
    "  tsa --listen HOST:PORT [--policy OID] [--accuracy-ms N] [--threads N]\n"
    "      serve RFC 3161 timestamps with the platform's TSA\n"
    "  ltv IN.pdf OUT.pdf [--archive --tsa URL [--tsa-hash H] [--tsa-policy OID]]\n"
    "      [--trust PEM|DIR]... [--evidence FILE|DIR]... [--offline]\n"
    "      [--password PW | --password-file F]\n"
    "      add long-term validation data (PAdES B-LT; B-LTA with --archive)\n"
    "  render FILE.pdf|FILE.ofd [--doc N] [--page N] [--dpi D] [--no-stamps] -o PAGE.png\n"
    "  render FILE.ofd [--doc N] [--no-stamps] -o OUT.pdf\n"
    "      draw a page of a PDF or OFD; an OFD as a PDF\n"
    "  ca revoke SERIAL|CERT.pem [--reason R] [--invalidity-date TIME]\n"
    "  ca freeze|unfreeze SERIAL|CERT.pem\n"
    "  ca renew CERT.pem|SERIAL [--force] [--days N] [-o OUT.pem]\n"
    "  ca rekey (CERT.pem|SERIAL|--seal ID) (--pin PIN | --pin-file F) [--days N]\n"
    "     [-o OUT.pem]\n"
    "  ca crl [--ca NAME] [--hours N] [-o FILE] [--pem]\n"
    "  ca crl [--ca NAME] --delta [--hours N] [-o FILE] [--pem]\n"
    "  ca crl [--ca NAME] [--delta] --current -o FILE [--pem]\n"
    "  ca show SERIAL|CERT.pem [--json]\n"
    "      the platform CA: revoke, hold, renew, new keys, CRLs, a certificate's history\n"
    "  ocsp --listen HOST:PORT [--ca NAME] [--signer NAME] [--validity MINUTES]\n"
    "       [--threads N]\n"
    "      OCSP responder and CRLs of the platform's CA\n"
    "  cert status CERT.pem [--issuer PEM] [--trust PEM|DIR]... [--at TIME]\n"
    "       [--evidence FILE|DIR]... [--offline] [--json]\n"
    "      revocation status of a certificate at a time\n"
    "  audit verify [--anchor HASH] [--json]\n"
    "  audit list [--target T] [--document FILE] [--json]\n"
    "      check the audit trail's hash chain; list it\n"
    "  serve --listen HOST:PORT [--config FILE] [--threads N] [--job-workers N]\n"
    "  serve --routes\n"
    "      the HTTP API: stamp, verify, seals, jobs, TSA, OCSP (docs/serve.md)\n"
    "  apikey create --role portal|clerk|admin|auditor [--institution CREDIT-CODE]\n"
    "         [--expires DATE] [--label TEXT] [--input-policy strict|warn|off] [--json]\n"
    "  apikey list [--json]\n"
    "  apikey revoke ID\n"
    "      the HTTP API's keys\n"
    "  db migrate\n"
    "  db status\n"
    "      the database's schema (docs/database.md)\n"
    "  institution add --name NAME --code CREDIT-CODE\n"
    "  institution list [--json]\n"
    "  institution show CREDIT-CODE [--json]\n"
    "  institution delete CREDIT-CODE --reason TEXT\n"
    "      the platform's institutions\n"
    "  person add --name NAME --id RESIDENT-ID [--mobile NUMBER]\n"
    "  person list [--json]\n"
    "  person show ID [--json]\n"
    "  person role-add|role-remove ID --institution CREDIT-CODE --role ROLE\n"
    "  person delete ID --reason TEXT\n"
    "  person password ID (--password-file F | --password-stdin)\n"
    "      people, their roles in institutions, their desk passwords\n"
    "  grant add --seal ID --grantor PERSON --grantee PERSON --until TIME [--from TIME]\n"
    "        [--uses N] [--project TEXT] [--exclusive]\n"
    "  grant list [--seal ID] [--json]\n"
    "  grant revoke ID [--reason TEXT]\n"
    "  grant require SEAL on|off\n"
    "      who may use which seal, for what, how long, how often\n"
    "  retention run [--at TIME] [--dry-run] [--json]\n"
    "      delete identity data 5 years after the last certificate\n"
    "\n"
    "global options:\n"
    "  --data DIR   the data directory (default: $SEALSVC_DATA)\n"
    "  --db URL     the database: sqlite:PATH or postgresql://... (default: $SEALSVC_DB,\n"
    "               else DIR/sealsvc.db); see docs/database.md\n"
    "  --help       this text; COMMAND --help for a command's own\n"
    "  --version    the version\n";

int cli_fail(const char *what)
{
    const char *cls = seal_error_class_name(seal_error_last_class());
    if (what)
        fprintf(stderr, "sealsvc: %s error: %s: %s\n", cls, what, seal_error_last());
    else
        fprintf(stderr, "sealsvc: %s error: %s\n", cls, seal_error_last());
    return EXIT_ERROR;
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("sealsvc: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n(run 'sealsvc --help' for usage)\n", stderr);
    return EXIT_USAGE;
}

const char *cli_data_dir(const cli_ctx *ctx)
{
    return ctx->data_dir;
}

int cli_store_open(const cli_ctx *ctx, const char *data_dir, bool create, seal_store **out)
{
    return seal_store_open_db(out, ctx->db_url, data_dir, create);
}

int cli_open_platform(const cli_ctx *ctx, const char *command, seal_store **out)
{
    *out = NULL;
    const char *data = cli_data_dir(ctx);
    if (!data)
        return cli_usage_error("%s needs the data directory: --data DIR or $SEALSVC_DATA", command);
    if (cli_store_open(ctx, data, false, out) < 0)
        return cli_fail(command);
    return EXIT_OK;
}

int cli_delete_args(int argc, char **argv, const char *command, const char *what,
                    const char **target, const char **reason)
{
    static const struct option options[] = {
        {"reason", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    *target = *reason = NULL;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c != 'r')
            return cli_usage_error("%s: unknown option", command);
        *reason = optarg;
    }
    if (argc - optind != 1)
        return cli_usage_error("%s: give %s", command, what);
    if (!*reason || !**reason)
        return cli_usage_error("%s: --reason TEXT is required (it goes into the audit trail)",
                               command);
    *target = argv[optind];
    return EXIT_OK;
}

int cli_subcommand_help(int argc, char **argv, const char *usage)
{
    if (argc >= 2 && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0)
        return -1;
    fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? EXIT_USAGE : EXIT_OK;
}

bool cli_json_flag(int argc, char **argv, int from)
{
    return argc == from + 1 && strcmp(argv[from], "--json") == 0;
}

int cli_store_open_optional(const cli_ctx *ctx, const char *data_dir, seal_store **out)
{
    *out = NULL;
    if (!data_dir)
        return 0;
    int rc = seal_store_open_db(out, ctx->db_url, data_dir, false);
    if (rc == SEAL_ENOTFOUND && !ctx->db_url) {
        seal_error_clear();
        return 0;
    }
    return rc;
}

int main(int argc, char **argv)
{
    /* The system's zone, named once: with TZ unset, glibc looks at /etc/localtime again on
     * every mktime (libzip converts each entry's time of a package that way), a system
     * call per entry. Same zone, no per-call look-ups. */
    setenv("TZ", ":/etc/localtime", 0);
    cli_ctx ctx = {
        .data_dir = getenv("SEALSVC_DATA"), .db_url = getenv("SEALSVC_DB"), .prog = "sealsvc"};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("sealsvc %s\n", SEAL_VERSION);
            return EXIT_OK;
        } else if (strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
            ctx.data_dir = argv[++i];
        } else if (strncmp(argv[i], "--data=", 7) == 0) {
            ctx.data_dir = argv[i] + 7;
        } else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            ctx.db_url = argv[++i];
        } else if (strncmp(argv[i], "--db=", 5) == 0) {
            ctx.db_url = argv[i] + 5;
        } else {
            return cli_usage_error("unknown global option '%s'", argv[i]);
        }
    }
    if (i >= argc) {
        fputs(usage_text, stderr);
        return EXIT_USAGE;
    }
    static const struct {
        const char *name;
        int (*run)(const cli_ctx *, int, char **);
    } commands[] = {
        {"demo", cmd_demo},     {"seal", cmd_seal},
        {"stamp", cmd_stamp},   {"verify", cmd_verify},
        {"tsa", cmd_tsa},       {"ltv", cmd_ltv},
        {"ca", cmd_ca},         {"ocsp", cmd_ocsp},
        {"cert", cmd_cert},     {"render", cmd_render},
        {"audit", cmd_audit},   {"apikey", cmd_apikey},
        {"db", cmd_db},         {"serve", cmd_serve},
        {"person", cmd_person}, {"institution", cmd_institution},
        {"grant", cmd_grant},   {"retention", cmd_retention},
    };
    for (size_t c = 0; c < sizeof commands / sizeof commands[0]; c++)
        if (strcmp(argv[i], commands[c].name) == 0)
            return commands[c].run(&ctx, argc - i, argv + i);
    return cli_usage_error("unknown command '%s'", argv[i]);
}
