/* The sealsvc command line: global options and the subcommands, one file each. */
#ifndef SEALSVC_CLI_H
#define SEALSVC_CLI_H

#include <seal/pki.h>
#include <seal/retention.h>
#include <seal/revocation.h>
#include <seal/store.h>
#include <seal/tsp.h>

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Exit codes shared by every command. verify also uses 1 (invalid) and 2 (indeterminate). */
enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_INDETERMINATE = 2, EXIT_ERROR = 3, EXIT_USAGE = 64 };

typedef struct cli_ctx {
    const char *data_dir; /* --data DIR, or $SEALSVC_DATA; NULL when neither */
    const char *db_url;   /* --db URL, or $SEALSVC_DB; NULL: DATA_DIR/sealsvc.db */
    const char *prog;     /* "sealsvc" */
} cli_ctx;

/* Each command gets argv with argv[0] = its own name, and returns an exit code. */
int cmd_demo(const cli_ctx *ctx, int argc, char **argv);
int cmd_seal(const cli_ctx *ctx, int argc, char **argv);
int cmd_stamp(const cli_ctx *ctx, int argc, char **argv);
int cmd_verify(const cli_ctx *ctx, int argc, char **argv);
int cmd_ca(const cli_ctx *ctx, int argc, char **argv);
int cmd_audit(const cli_ctx *ctx, int argc, char **argv);
int cmd_ocsp(const cli_ctx *ctx, int argc, char **argv);
int cmd_cert(const cli_ctx *ctx, int argc, char **argv);
int cmd_tsa(const cli_ctx *ctx, int argc, char **argv);
int cmd_apikey(const cli_ctx *ctx, int argc, char **argv);
int cmd_db(const cli_ctx *ctx, int argc, char **argv);
int cmd_serve(const cli_ctx *ctx, int argc, char **argv);
int cmd_person(const cli_ctx *ctx, int argc, char **argv);
int cmd_institution(const cli_ctx *ctx, int argc, char **argv);
int cmd_grant(const cli_ctx *ctx, int argc, char **argv);
int cmd_retention(const cli_ctx *ctx, int argc, char **argv);

int cmd_ltv(const cli_ctx *ctx, int argc, char **argv);

/* Trusted time for stamp and ltv (cmd_ltv.c): the PAdES level, the TSA, the trust anchors
 * and the revocation evidence. A command adds CLI_TIME_OPTIONS to its getopt table and
 * hands every option code it does not know to cli_time_option(). */
typedef enum cli_level { CLI_LEVEL_B_B, CLI_LEVEL_B_T, CLI_LEVEL_B_LT, CLI_LEVEL_B_LTA } cli_level;

#define CLI_MAX_PATHS 32

typedef struct cli_time {
    cli_level level;
    bool level_given;
    const char *tsa_url, *tsa_hash, *tsa_policy;
    const char *trust_paths[CLI_MAX_PATHS];
    int n_trust;
    const char *evidence_paths[CLI_MAX_PATHS];
    int n_evidence;
    bool offline;
    bool existing_signatures; /* ltv: B-LT adds no timestamp, so needs no TSA */
    /* made by cli_time_prepare */
    seal_tsp_client client;
    seal_trust *trust;
    seal_revocation *revocation;
    seal_store *store; /* the platform's, for the anchors and evidence; NULL without one */
} cli_time;

enum {
    CLI_OPT_TSA = 0x1000,
    CLI_OPT_LEVEL,
    CLI_OPT_TSA_HASH,
    CLI_OPT_TSA_POLICY,
    CLI_OPT_TRUST,
    CLI_OPT_EVIDENCE,
    CLI_OPT_OFFLINE
};

#define CLI_TIME_OPTIONS                                                                           \
    {"tsa", required_argument, NULL, CLI_OPT_TSA},                                                 \
        {"level", required_argument, NULL, CLI_OPT_LEVEL},                                         \
        {"tsa-hash", required_argument, NULL, CLI_OPT_TSA_HASH},                                   \
        {"tsa-policy", required_argument, NULL, CLI_OPT_TSA_POLICY},                               \
        {"trust", required_argument, NULL, CLI_OPT_TRUST},                                         \
        {"evidence", required_argument, NULL, CLI_OPT_EVIDENCE},                                   \
    {                                                                                              \
        "offline", no_argument, NULL, CLI_OPT_OFFLINE                                              \
    }

/* 1 when `code` was a trusted-time option (taken), 0 when it is not one, or EXIT_USAGE
 * after printing what is wrong with `arg`. */
int cli_time_option(cli_time *t, int code, const char *arg);
/* Checks the combination (B-T and above need --tsa...), loads anchors (each --trust, and
 * the platform's roots when there is a platform) and evidence, and makes the TSA client. EXIT_OK,
 * or EXIT_USAGE / EXIT_ERROR after printing why. */
int cli_time_prepare(cli_time *t, const cli_ctx *ctx, const char *command);
void cli_time_clear(cli_time *t);
int cmd_render(const cli_ctx *ctx, int argc, char **argv);

/* Prints "sealsvc: <class> error: <message of the last libseal failure>" to stderr and
 * returns EXIT_ERROR. `what` prefixes the message when not NULL. */
int cli_fail(const char *what);
/* Prints "sealsvc: <message>" and a hint to run --help; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The password of an encrypted PDF: `arg` (--password), else the first line of `file`
 * (--password-file), else $SEALSVC_PDF_PASSWORD, else "". */
int cli_read_password(char *out, size_t size, const char *arg, const char *file);

/* A time on the command line: "now", "@SECONDS", "2026-05-01T08:00:00Z" (ISO 8601; no
 * zone means UTC) or "2026-05-01" (midnight UTC). SEAL_EINVAL naming the text otherwise. */
int cli_parse_time(const char *text, time_t *out);

/* `t` as UTC in ISO 8601 ("2026-05-01T08:00:00Z"), for JSON and people; g_free it. */
char *cli_time_text(time_t t);

/* The data directory or a usage error when neither --data nor $SEALSVC_DATA is set. */
const char *cli_data_dir(const cli_ctx *ctx);
/* The platform's store: the database --db names (or DATA_DIR/sealsvc.db), with the data
 * directory for what stays outside it. */
int cli_store_open(const cli_ctx *ctx, const char *data_dir, bool create, seal_store **out);
/* The platform's existing store for COMMAND: EXIT_OK with *out open, or the usage error
 * (no data directory) or the failure, printed, as the exit code. */
int cli_open_platform(const cli_ctx *ctx, const char *command, seal_store **out);
/* Why a person's or institution's identity data is kept (cmd_retention.c): "kept until T (5
 * years after B: WHAT)" or "kept while HELD_BY"; g_free it. */
char *cli_retention_why(const seal_retention_item *it);
/* `person delete ID --reason TEXT` and `institution delete CODE --reason TEXT`
 * (cmd_retention.c): EXIT_OK with the one argument and the reason, or the usage error
 * (`command` names the command, `what` the argument: "the person's id (a number)"). */
int cli_delete_args(int argc, char **argv, const char *command, const char *what,
                    const char **target, const char **reason);
/* A command with sub-commands asked for none (usage on stderr, EXIT_USAGE) or for --help /
 * -h (usage on stdout, EXIT_OK): that exit code; -1 when there is a sub-command to run. */
int cli_subcommand_help(int argc, char **argv, const char *usage);
/* Whether argv[from] is the last argument and is --json. */
bool cli_json_flag(int argc, char **argv, int from);
/* The platform a relying party's command may use (verify, cert status, B-LT): the store of
 * --db, or of `data_dir` when it holds one. 0 with *out NULL when there is none: no --db,
 * and no data directory or one without sealsvc.db (a folder of trust/, crl/... then). */
int cli_store_open_optional(const cli_ctx *ctx, const char *data_dir, seal_store **out);

#endif
