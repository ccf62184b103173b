/* `sealsvc audit verify|list`: the platform's audit trail. Every change to the CA
 * database (issue, revoke, freeze, renew, re-key...), to a seal's state, and every use of a
 * seal by `stamp` writes a record whose MAC (keyed with the key-encryption key; a plain
 * SHA-256 for records an older sealsvc wrote) chains to the one before, so an edited or
 * deleted record shows. `verify` recomputes the chain, says from which record it is keyed, and
 * prints its head (the last record's hash); noted somewhere else and given back with
 * --anchor, it also shows records cut from the end or a trail rewritten from scratch.
 * Exit codes: 0 intact, 1 broken (the message names the first record that is not), 3
 * error, 64 usage. */
#include "cli.h"

#include <seal/audit.h>
#include <seal/crypto.h>
#include <seal/error.h>
#include <seal/store.h>

#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char audit_usage[] =
    "usage: sealsvc --data DIR audit COMMAND ...\n"
    "\n"
    "  verify [--anchor HASH] [--json]\n"
    "                      recompute the hash chain of the audit trail and print its head\n"
    "                      (the last record's hash); --anchor: a head noted earlier must\n"
    "                      still be in the chain (nothing cut from the end, no rewrite)\n"
    "  list [--target T] [--document FILE] [--json]\n"
    "                      the records, oldest first; T: cert:SERIAL, seal:ID; FILE: the\n"
    "                      stamps whose input or output was this document (by digest)\n"
    "\n"
    "exit: 0 intact (verify) or listed, 1 the trail is broken, 3 error, 64 usage\n";

static void iso(char out[32], time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        strcpy(out, "?");
}

static int audit_verify(seal_store *st, const char *anchor, bool json)
{
    seal_audit_summary sum;
    if (seal_store_audit_verify(st, anchor, &sum) < 0)
        return cli_fail("audit verify");
    if (!sum.intact) {
        if (json) {
            json_t *j = json_pack("{s:b, s:s}", "intact", 0, "problem", sum.problem);
            json_dumpf(j, stdout, JSON_INDENT(2));
            fputc('\n', stdout);
            json_decref(j);
        } else {
            printf("audit trail: BROKEN - %s\n", sum.problem);
        }
        return EXIT_INVALID;
    }
    char last[32] = "";
    if (sum.records)
        iso(last, sum.last_at);
    if (json) {
        json_t *j =
            json_pack("{s:b, s:I, s:s, s:I}", "intact", 1, "records", (json_int_t)sum.records,
                      "head", sum.head, "keyed_from", (json_int_t)sum.keyed_from);
        if (sum.records)
            json_object_set_new(j, "last",
                                json_pack("{s:I, s:s}", "id", (json_int_t)sum.last_id, "at", last));
        if (anchor)
            json_object_set_new(j, "anchor_id", json_integer(sum.anchor_id));
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
        return EXIT_OK;
    }
    if (!sum.records) {
        printf("audit trail: intact, empty, keyed from record %lld\n", (long long)sum.keyed_from);
        return EXIT_OK;
    }
    printf("audit trail: intact, %zu records, keyed from record %lld%s, the last #%lld at %s\n",
           sum.records, (long long)sum.keyed_from,
           sum.keyed_from > sum.last_id ? " (none keyed yet)" : "", (long long)sum.last_id, last);
    printf("head:        %s\n", sum.head);
    if (anchor)
        printf("anchor:      record #%lld, still in the chain\n", (long long)sum.anchor_id);
    printf("Keep the head somewhere else; 'audit verify --anchor HEAD' later shows records "
           "cut from the end or a rewritten trail.\n");
    return EXIT_OK;
}

static gint by_id(gconstpointer a, gconstpointer b)
{
    const seal_audit_record *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* The records that name a document by its digest: stamps record SHA-256, or SM3 for SM2
 * seals, so both are looked for. */
static int find_document(seal_store *st, const char *target, const char *path,
                         seal_audit_record **out, size_t *n)
{
    const EVP_MD *mds[] = {EVP_sha256(), EVP_sm3()};
    GArray *all = g_array_new(FALSE, TRUE, sizeof(seal_audit_record));
    int rc = 0;
    for (size_t i = 0; i < sizeof mds / sizeof mds[0] && rc == 0; i++) {
        uint8_t d[EVP_MAX_MD_SIZE];
        size_t len = 0;
        seal_audit_record *found = NULL;
        size_t k = 0;
        rc = seal_digest_file(mds[i], path, d, &len);
        if (rc < 0)
            break;
        seal_buf hex = SEAL_BUF_INIT;
        rc = seal_hex_encode(&hex, d, len, false);
        if (rc == 0)
            rc = seal_store_audit_find(st, target, (const char *)hex.data, &found, &k);
        seal_buf_clear(&hex);
        if (rc == 0)
            g_array_append_vals(all, found, (guint)k); /* the strings now belong to `all` */
        g_free(found);
    }
    g_array_sort(all, by_id);
    *n = all->len;
    *out = (seal_audit_record *)g_array_free(all, FALSE);
    if (rc < 0) {
        seal_audit_records_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

static int audit_list(seal_store *st, const char *target, const char *document, bool json)
{
    seal_audit_record *records = NULL;
    size_t n = 0;
    /* Serials are kept in lower-case hex; `openssl x509 -serial` prints upper case. */
    char *key =
        target && strncmp(target, "cert:", 5) == 0 ? g_ascii_strdown(target, -1) : g_strdup(target);
    int rc = document ? find_document(st, key, document, &records, &n)
                      : seal_store_audit_list(st, key, &records, &n);
    g_free(key);
    if (rc < 0)
        return cli_fail("audit list");
    json_t *arr = json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        char at[32];
        iso(at, records[i].at);
        if (json)
            json_array_append_new(
                arr, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)records[i].id,
                               "at", at, "actor", records[i].actor, "action", records[i].action,
                               "target", records[i].target, "detail", records[i].detail));
        else
            printf("#%-5lld %s  %-12s %-24s %s (by %s)\n", (long long)records[i].id, at,
                   records[i].action, records[i].target, records[i].detail, records[i].actor);
    }
    if (json) {
        json_dumpf(arr, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(arr);
    } else if (n == 0) {
        printf("no audit records%s%s%s%s\n", target ? " about " : "", target ? target : "",
               document ? " naming " : "", document ? document : "");
    }
    seal_audit_records_free(records, n);
    return EXIT_OK;
}

int cmd_audit(const cli_ctx *ctx, int argc, char **argv)
{
    int help = cli_subcommand_help(argc, argv, audit_usage);
    if (help >= 0)
        return help;
    const char *cmd = argv[1];
    bool verify = strcmp(cmd, "verify") == 0;
    if (!verify && strcmp(cmd, "list") != 0)
        return cli_usage_error("unknown audit command '%s' (see 'sealsvc audit --help')", cmd);
    const char *anchor = NULL, *target = NULL, *document = NULL;
    bool json = false;
    static const struct option longopts[] = {
        {"anchor", required_argument, NULL, 'a'},   {"target", required_argument, NULL, 't'},
        {"document", required_argument, NULL, 'd'}, {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    optind = 1;
    opterr = 0;
    int opt;
    while ((opt = getopt_long(argc - 1, argv + 1, "", longopts, NULL)) != -1) {
        if (opt == 'a' && verify)
            anchor = optarg;
        else if (opt == 't' && !verify)
            target = optarg;
        else if (opt == 'd' && !verify)
            document = optarg;
        else if (opt == 'j')
            json = true;
        else if (opt == 'h') {
            fputs(audit_usage, stdout);
            return EXIT_OK;
        } else
            return cli_usage_error("audit %s: unknown option '%s'", cmd, argv[optind]);
    }
    if (optind < argc - 1)
        return cli_usage_error("audit %s: unexpected argument '%s'", cmd, argv[optind + 1]);
    if (anchor && (strlen(anchor) != 64 || strspn(anchor, "0123456789abcdefABCDEF") != 64))
        return cli_usage_error("audit verify: --anchor takes a head: 64 hex digits");
    seal_store *st = NULL;
    int opened = cli_open_platform(ctx, "audit", &st);
    if (opened != EXIT_OK)
        return opened;
    int code = verify ? audit_verify(st, anchor, json) : audit_list(st, target, document, json);
    if (code == EXIT_OK && fflush(stdout) != 0)
        code = EXIT_ERROR;
    seal_store_close(st);
    return code;
}
