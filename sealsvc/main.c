/* sealsvc: the entry point. Parses the global options (--data DIR) and hands the rest of
 * the command line to a subcommand (demo, seal, stamp, verify, tsa, ca...). */
#include "cli.h"

#include <seal/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: sealsvc [--data DIR] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  demo init --dir DIR           create a demo platform (PKI, institutions, seals)\n"
    "  seal make ... | seal show F   make a GB/T 38540 seal; show what a .esl holds\n"
    "  seal list                     list the seals in the data directory\n"
    "  seal unlock|lock|revoke ID    an administrator's change of a seal's state\n"
    "  seal apply|file|activate|freeze|unfreeze|report-lost|cancel ID\n"
    "                                the seal lifecycle; seal show ID [--at T]: its state\n"
    "  stamp IN OUT --seal ID --pin PIN --page N --at X,Y [--invisible]\n"
    "                                stamp a PDF with a visible seal and a PAdES signature\n"
    "  verify FILE [--trust PEM]... [--offline] [--json]\n"
    "                                verify every signature (exit 0 valid, 1 invalid,\n"
    "                                2 indeterminate, 3 error)\n"
    "  tsa --listen HOST:PORT        serve RFC 3161 timestamps with the platform's TSA\n"
    "  ltv IN OUT [--archive --tsa URL]\n"
    "                                add long-term validation data (PAdES B-LT, B-LTA)\n"
    "  render FILE [--page N] [--dpi D] -o PAGE.png | render FILE.ofd -o OUT.pdf\n"
    "                                draw a page of a PDF or OFD; an OFD as a PDF\n"
    "  ca revoke|freeze|unfreeze|renew|rekey|crl|show ...\n"
    "                                the platform CA's operations\n"
    "  audit verify [--anchor HEAD] | audit list [--target T]\n"
    "                                check the audit trail's hash chain; list it\n"
    "  ocsp --listen HOST:PORT       OCSP responder and CRLs of the platform's CA\n"
    "  cert status CERT [--at TIME] [--offline] [--json]\n"
    "                                revocation status of a certificate at a time\n"
    "  serve --listen HOST:PORT [--config FILE]\n"
    "                                the HTTP API: stamp, verify, seals, TSA, OCSP\n"
    "  apikey create --role R | apikey list | apikey revoke ID\n"
    "                                the HTTP API's keys\n"
    "  db migrate | db status        the database's schema (docs/database.md)\n"
    "  institution add|list|show|delete\n"
    "                                the platform's institutions\n"
    "  person add|list|show|role-add|role-remove|delete\n"
    "                                people and their roles in institutions\n"
    "  grant add|list|revoke|require who may use which seal, for what, how long, how often\n"
    "  retention run [--at T] [--dry-run] [--json]\n"
    "                                delete identity data 5 years after the last certificate\n"
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
