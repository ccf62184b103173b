/* `sealsvc apikey create | list | revoke`: the API keys the HTTP service (`sealsvc serve`)
 * takes in `Authorization: Bearer KEY`. `create` prints the key once (only its MAC is
 * stored, seal/store.h) and its id, which the service's log lines and the audit trail name
 * as the actor; `list` shows ids, roles, institutions and states, never a key. */
#include "cli.h"

#include <seal/error.h>
#include <seal/store.h>

#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char apikey_usage[] =
    "usage: sealsvc --data DIR apikey create --role portal|clerk|admin|auditor\n"
    "                                  [--institution CREDIT-CODE] [--expires DATE]\n"
    "                                  [--label TEXT] [--input-policy strict|warn|off]\n"
    "                                  [--json]\n"
    "       sealsvc --data DIR apikey list [--json]\n"
    "       sealsvc --data DIR apikey revoke ID\n"
    "\n"
    "create prints a new key once (keep it: only a MAC of it is stored) and its id. A portal\n"
    "or clerk key with --institution stamps only with that institution's seals; admin may do\n"
    "everything; auditor only reads. --expires takes 2026-12-31 or 2026-12-31T18:00:00Z.\n"
    "--input-policy: what the key's stamps do with what the examination of a document finds\n"
    "(docs/stamping.md); default: the service's [stamp] input_policy, else strict.\n";

static int apikey_create(seal_store *st, int argc, char **argv)
{
    static const struct option options[] = {
        {"role", required_argument, NULL, 'r'},
        {"institution", required_argument, NULL, 'i'},
        {"expires", required_argument, NULL, 'e'},
        {"label", required_argument, NULL, 'l'},
        {"json", no_argument, NULL, 'j'},
        {"input-policy", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    seal_apikey_record r = {0};
    bool json = false;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'r')
            r.role = optarg;
        else if (c == 'i')
            r.institution = optarg;
        else if (c == 'l')
            r.label = optarg;
        else if (c == 'j')
            json = true;
        else if (c == 'p')
            r.input_policy = optarg;
        else if (c == 'e') {
            if (cli_parse_time(optarg, &r.expires) < 0)
                return cli_usage_error("apikey create: --expires: %s", seal_error_last());
        } else
            return cli_usage_error("apikey create: unknown option");
    }
    if (optind < argc)
        return cli_usage_error("apikey create: unexpected argument '%s'", argv[optind]);
    if (!r.role)
        return cli_usage_error("apikey create: --role portal|clerk|admin|auditor is required");
    if (seal_apikey_role_check(r.role) < 0)
        return cli_usage_error("apikey create: %s", seal_error_last());
    char *key = NULL;
    if (seal_store_apikey_create(st, &r, &key, g_get_user_name()) < 0)
        return cli_fail("apikey create");
    if (json) {
        json_t *j = json_pack("{s:s, s:s, s:s, s:s?}", "id", r.id, "key", key, "role", r.role,
                              "institution", r.institution);
        json_dumpf(j, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(j);
    } else {
        printf("%s\n", key);
        fprintf(stderr, "apikey %s (%s%s%s) made; the key above is shown only once\n", r.id, r.role,
                r.institution ? ", institution " : "", r.institution ? r.institution : "");
    }
    OPENSSL_cleanse(key, strlen(key));
    g_free(key);
    return EXIT_OK;
}

static int apikey_list(seal_store *st, int argc, char **argv)
{
    bool json = argc == 2 && strcmp(argv[1], "--json") == 0;
    if (argc > 1 && !json)
        return cli_usage_error("apikey list takes only --json");
    seal_apikey_record *list = NULL;
    size_t n = 0;
    if (seal_store_apikey_list(st, &list, &n) < 0)
        return cli_fail("apikey list");
    json_t *arr = json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        const seal_apikey_record *r = &list[i];
        char *created = cli_time_text(r->created), *expires = cli_time_text(r->expires),
             *revoked = cli_time_text(r->revoked);
        const char *state = r->revoked                               ? "revoked"
                            : r->expires && r->expires <= time(NULL) ? "expired"
                                                                     : "active";
        if (arr)
            json_array_append_new(
                arr,
                json_pack("{s:s, s:s, s:s?, s:s?, s:s, s:s, s:s?, s:s?, s:s?}", "id", r->id, "role",
                          r->role, "institution", r->institution, "label", r->label, "state", state,
                          "created", created, "expires", r->expires ? expires : NULL, "revoked",
                          r->revoked ? revoked : NULL, "input_policy", r->input_policy));
        else
            printf("%s  %-7s  %-18s  %-7s  created %s%s%s\n", r->id, r->role,
                   r->institution ? r->institution : "(platform)", state, created,
                   r->expires ? ", expires " : "", r->expires ? expires : "");
        g_free(created);
        g_free(expires);
        g_free(revoked);
    }
    if (arr) {
        json_dumpf(arr, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(arr);
    } else if (n == 0) {
        printf("no API keys\n");
    }
    seal_apikey_records_free(list, n);
    return EXIT_OK;
}

int cmd_apikey(const cli_ctx *ctx, int argc, char **argv)
{
    int help = cli_subcommand_help(argc, argv, apikey_usage);
    if (help >= 0)
        return help;
    seal_store *st = NULL;
    int opened = cli_open_platform(ctx, "apikey", &st);
    if (opened != EXIT_OK)
        return opened;
    int code;
    if (strcmp(argv[1], "create") == 0)
        code = apikey_create(st, argc - 1, argv + 1);
    else if (strcmp(argv[1], "list") == 0)
        code = apikey_list(st, argc - 1, argv + 1);
    else if (strcmp(argv[1], "revoke") == 0 && argc == 3)
        code = seal_store_apikey_revoke(st, argv[2], g_get_user_name()) < 0
                   ? cli_fail("apikey revoke")
                   : (printf("revoked %s\n", argv[2]), EXIT_OK);
    else
        code = cli_usage_error("apikey: create, list or revoke ID");
    seal_store_close(st);
    return code;
}
