/* `sealsvc grant add | list | revoke | require`: who may use which seal, for which project,
 * for how long and how many times (seal/store.h, docs/authorisations.md). A stamp uses a
 * grant with `sealsvc stamp ... --grant ID`. Every change is audited as by the user
 * running the command. */
#include "cli.h"

#include <seal/error.h>
#include <seal/store.h>

#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char grant_usage[] =
    "usage: sealsvc --data DIR grant add --seal ID --grantor PERSON --grantee PERSON\n"
    "                 --until TIME [--from TIME] [--uses N] [--project TEXT] [--exclusive]\n"
    "       sealsvc --data DIR grant list [--seal ID] [--json]\n"
    "       sealsvc --data DIR grant revoke ID [--reason TEXT]\n"
    "       sealsvc --data DIR grant require SEAL on|off\n"
    "\n"
    "The grantor is a seal administrator of the seal's institution, the grantee a person\n"
    "with a role in it ('sealsvc person'). The grant lasts from --from (default now) to\n"
    "--until (2026-12-31 or 2026-12-31T18:00:00Z), for at most --uses stamps (default no\n"
    "limit). An --exclusive grant takes the seal on its first use: until the grant ends no\n"
    "one else may use the seal. 'require SEAL on' makes the seal stamp only with a grant.\n";

static bool parse_id(const char *text, int64_t *out)
{
    char *end = NULL;
    long long v = text && *text ? g_ascii_strtoll(text, &end, 10) : 0;
    *out = v;
    return end && !*end && v > 0;
}

static int grant_add(seal_store *st, int argc, char **argv)
{
    static const struct option options[] = {
        {"seal", required_argument, NULL, 's'},
        {"grantor", required_argument, NULL, 'g'},
        {"grantee", required_argument, NULL, 'e'},
        {"from", required_argument, NULL, 'f'},
        {"until", required_argument, NULL, 'u'},
        {"uses", required_argument, NULL, 'n'},
        {"project", required_argument, NULL, 'p'},
        {"exclusive", no_argument, NULL, 'x'},
        {NULL, 0, NULL, 0},
    };
    seal_grant_record g = {0};
    const char *seal = NULL;
    bool until = false;
    g.not_before = time(NULL);
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 's':
            seal = optarg;
            break;
        case 'g':
            if (!parse_id(optarg, &g.grantor_id))
                return cli_usage_error("grant add: --grantor takes a person's id (a number)");
            break;
        case 'e':
            if (!parse_id(optarg, &g.grantee_id))
                return cli_usage_error("grant add: --grantee takes a person's id (a number)");
            break;
        case 'f':
            if (cli_parse_time(optarg, &g.not_before) < 0)
                return cli_usage_error("grant add: --from: %s", seal_error_last());
            break;
        case 'u':
            if (cli_parse_time(optarg, &g.not_after) < 0)
                return cli_usage_error("grant add: --until: %s", seal_error_last());
            until = true;
            break;
        case 'n':
            if (!parse_id(optarg, &g.max_uses))
                return cli_usage_error("grant add: --uses takes a positive number");
            break;
        case 'p':
            g.project = optarg;
            break;
        case 'x':
            g.exclusive = true;
            break;
        default:
            return cli_usage_error("grant add: unknown option");
        }
    }
    if (optind < argc)
        return cli_usage_error("grant add: unexpected argument '%s'", argv[optind]);
    if (!seal || !g.grantor_id || !g.grantee_id || !until)
        return cli_usage_error("grant add: --seal, --grantor, --grantee and --until are required");
    g.seal_id = (char *)seal;
    int rc = seal_store_grant_add(st, &g, g_get_user_name());
    g.seal_id = NULL;
    g.project = NULL;
    if (rc < 0)
        return cli_fail("grant add");
    printf("grant %lld\n", (long long)g.id);
    return EXIT_OK;
}

static int grant_list(seal_store *st, int argc, char **argv)
{
    static const struct option options[] = {
        {"seal", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    const char *seal = NULL;
    bool json = false;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 's')
            seal = optarg;
        else if (c == 'j')
            json = true;
        else
            return cli_usage_error("grant list: unknown option");
    }
    if (optind < argc)
        return cli_usage_error("grant list: unexpected argument '%s'", argv[optind]);
    seal_grant_record *list = NULL;
    size_t n = 0;
    if (seal_store_grant_list(st, seal, &list, &n) < 0)
        return cli_fail("grant list");
    time_t now = time(NULL);
    json_t *arr = json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        const seal_grant_record *g = &list[i];
        const char *state = seal_grant_state_name(seal_grant_state_at(g, now));
        char *from = cli_time_text(g->not_before), *to = cli_time_text(g->not_after);
        if (arr) {
            json_t *j =
                json_pack("{s:I, s:s, s:s, s:I, s:s, s:I, s:s, s:s?, s:s, s:s, s:I, s:o, s:b}",
                          "id", (json_int_t)g->id, "state", state, "seal", g->seal_id, "grantor",
                          (json_int_t)g->grantor_id, "grantor_name", g->grantor_name, "grantee",
                          (json_int_t)g->grantee_id, "grantee_name", g->grantee_name, "project",
                          g->project, "from", from, "until", to, "uses", (json_int_t)g->uses,
                          "max_uses", g->max_uses ? json_integer(g->max_uses) : json_null(),
                          "exclusive", (int)g->exclusive);
            json_array_append_new(arr, j);
        } else {
            char uses[48];
            if (g->max_uses)
                snprintf(uses, sizeof uses, "%lld/%lld uses", (long long)g->uses,
                         (long long)g->max_uses);
            else
                snprintf(uses, sizeof uses, "%lld uses", (long long)g->uses);
            printf("%-5lld %-13s %s  %s -> %s  %s .. %s  %s%s%s%s\n", (long long)g->id, state,
                   g->seal_id, g->grantor_name, g->grantee_name, from, to, uses,
                   g->exclusive ? ", exclusive" : "", g->project ? ", project " : "",
                   g->project ? g->project : "");
        }
        g_free(from);
        g_free(to);
    }
    seal_grant_records_free(list, n);
    if (arr) {
        int code = json_dumpf(arr, stdout, JSON_INDENT(2)) == 0 ? EXIT_OK : EXIT_ERROR;
        fputc('\n', stdout);
        json_decref(arr);
        return code;
    }
    if (n == 0)
        printf("no grants\n");
    return EXIT_OK;
}

static int grant_revoke(seal_store *st, int argc, char **argv)
{
    static const struct option options[] = {
        {"reason", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    const char *why = NULL;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'r')
            why = optarg;
        else
            return cli_usage_error("grant revoke: unknown option");
    }
    int64_t id = 0;
    if (argc - optind != 1 || !parse_id(argv[optind], &id))
        return cli_usage_error("grant revoke: give the grant's id (a number)");
    if (seal_store_grant_revoke(st, id, why, g_get_user_name()) < 0)
        return cli_fail("grant revoke");
    printf("revoked grant %lld\n", (long long)id);
    return EXIT_OK;
}

int cmd_grant(const cli_ctx *ctx, int argc, char **argv)
{
    int help = cli_subcommand_help(argc, argv, grant_usage);
    if (help >= 0)
        return help;
    seal_store *st = NULL;
    int opened = cli_open_platform(ctx, "grant", &st);
    if (opened != EXIT_OK)
        return opened;
    int code;
    const char *sub = argv[1];
    if (strcmp(sub, "add") == 0)
        code = grant_add(st, argc - 1, argv + 1);
    else if (strcmp(sub, "list") == 0)
        code = grant_list(st, argc - 1, argv + 1);
    else if (strcmp(sub, "revoke") == 0)
        code = grant_revoke(st, argc - 1, argv + 1);
    else if (strcmp(sub, "require") == 0 && argc == 4 &&
             (strcmp(argv[3], "on") == 0 || strcmp(argv[3], "off") == 0)) {
        bool on = strcmp(argv[3], "on") == 0;
        code = seal_store_seal_require_grant(st, argv[2], on, g_get_user_name()) < 0
                   ? cli_fail("grant require")
                   : (printf("seal %s stamps %s\n", argv[2],
                             on ? "only with a grant" : "with or without a grant"),
                      EXIT_OK);
    } else
        code = cli_usage_error("grant: add, list, revoke ID or require SEAL on|off");
    seal_store_close(st);
    return code;
}
