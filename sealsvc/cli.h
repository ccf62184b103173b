/* The sealsvc command line: global options and the subcommands, one file each. */
#ifndef SEALSVC_CLI_H
#define SEALSVC_CLI_H

#include <seal/revocation.h>
#include <stdbool.h>
#include <time.h>

/* Exit codes shared by every command. verify also uses 1 (invalid) and 2 (indeterminate). */
enum { EXIT_OK = 0, EXIT_INVALID = 1, EXIT_INDETERMINATE = 2, EXIT_ERROR = 3, EXIT_USAGE = 64 };

typedef struct cli_ctx {
    const char *data_dir; /* --data DIR, or $SEALSVC_DATA; NULL when neither */
    const char *prog;     /* "sealsvc" */
} cli_ctx;

/* Each command gets argv with argv[0] = its own name, and returns an exit code. */
int cmd_demo(const cli_ctx *ctx, int argc, char **argv);
int cmd_seal(const cli_ctx *ctx, int argc, char **argv);
int cmd_stamp(const cli_ctx *ctx, int argc, char **argv);
int cmd_verify(const cli_ctx *ctx, int argc, char **argv);
int cmd_ca(const cli_ctx *ctx, int argc, char **argv);
int cmd_ocsp(const cli_ctx *ctx, int argc, char **argv);
int cmd_cert(const cli_ctx *ctx, int argc, char **argv);
int cmd_tsa(const cli_ctx *ctx, int argc, char **argv);

/* Prints "sealsvc: <class> error: <message of the last libseal failure>" to stderr and
 * returns EXIT_ERROR. `what` prefixes the message when not NULL. */
int cli_fail(const char *what);
/* Prints "sealsvc: <message>" and a hint to run --help; returns EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A time on the command line: "now", "@SECONDS", "2026-05-01T08:00:00Z" (ISO 8601; no
 * zone means UTC) or "2026-05-01" (midnight UTC). SEAL_EINVAL naming the text otherwise. */
int cli_parse_time(const char *text, time_t *out);

/* The relying party's revocation context for verify and cert status: offline or not,
 * the evidence files or folders given, and with a data directory its published CRLs
 * (DATA/crl), its cache (DATA/cache/revocation) and evidence archive (DATA/evidence). */
int cli_revocation(seal_revocation **out, const char *data_dir, bool offline,
                   const char *const *evidence, size_t n_evidence);

/* The data directory or a usage error when neither --data nor $SEALSVC_DATA is set. */
const char *cli_data_dir(const cli_ctx *ctx);

#endif
