/* `sealsvc retention run [--at TIME] [--dry-run] [--json]`: deletes the identity data of the
 * people and institutions whose retention time is past (seal/retention.h: 5 years after
 * their last certificate expired), each deletion audited, and lists what it deleted and
 * what it keeps until when. Numbers are only ever shown masked. `person delete` and
 * `institution delete` (cmd_person.c, cmd_institution.c) delete one on request and print
 * with cli_retention_why. */
#include "cli.h"

#include <seal/error.h>
#include <seal/retention.h>

#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char retention_usage[] =
    "usage: sealsvc --data DIR retention run [--at TIME] [--dry-run] [--json]\n"
    "\n"
    "Deletes the identity data of the people and institutions whose last certificate\n"
    "expired more than 5 years ago (and with nothing else keeping it: docs/retention.md),\n"
    "each deletion recorded in the audit trail, and lists what it keeps and until when.\n"
    "--dry-run deletes nothing; --at TIME judges as at TIME (now, @SECONDS, 2031-05-01,\n"
    "2031-05-01T08:00:00Z): a run that deletes takes no time later than now.\n";

char *cli_retention_why(const seal_retention_item *it)
{
    if (it->held_by)
        return g_strdup_printf("kept while %s", it->held_by);
    char *until = cli_time_text(it->keep_until), *basis = cli_time_text(it->basis);
    char *text = g_strdup_printf("kept until %s (%d years after %s: %s)", until,
                                 SEAL_RETENTION_YEARS, basis, it->basis_what);
    g_free(until);
    g_free(basis);
    return text;
}

/* "person 3 王伟 110105********0013 (seals a, b)", "holder 张三 110105********0021 (seals
 * a)", "institution 2 北京某某有限公司 91110108MA01234567". */
static char *who(const seal_retention_item *it)
{
    GString *s = g_string_new(NULL);
    if (it->kind == SEAL_RETENTION_INSTITUTION)
        g_string_append_printf(s, "institution %lld", (long long)it->id);
    else if (it->id)
        g_string_append_printf(s, "person %lld", (long long)it->id);
    else
        g_string_append(s, "holder");
    g_string_append_printf(s, " %s %s", it->name, it->number);
    for (size_t i = 0; it->seals && it->seals[i]; i++)
        g_string_append_printf(s, "%s%s", i ? ", " : " (seals ", it->seals[i]);
    if (it->seals && it->seals[0])
        g_string_append_c(s, ')');
    return g_string_free(s, FALSE);
}

static json_t *time_json(time_t t)
{
    if (!t)
        return json_null();
    char *text = cli_time_text(t);
    json_t *j = json_string(text);
    g_free(text);
    return j;
}

static json_t *item_json(const seal_retention_item *it)
{
    bool person = it->kind == SEAL_RETENTION_PERSON;
    json_t *seals = person ? json_array() : json_null();
    for (size_t i = 0; person && seals && it->seals && it->seals[i]; i++)
        json_array_append_new(seals, json_string(it->seals[i]));
    return json_pack("{s:s, s:o, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o}", "kind",
                     person ? "person" : "institution", "id",
                     it->id ? json_integer((json_int_t)it->id) : json_null(), "name", it->name,
                     person ? "resident_id" : "credit_code", it->number, "seals", seals, "basis",
                     time_json(it->basis), "basis_what", it->basis_what ? it->basis_what : "",
                     "keep_until", time_json(it->keep_until), "held_by",
                     it->held_by ? json_string(it->held_by) : json_null(), "erased",
                     time_json(it->erased));
}

static int print_run(const seal_retention_item *items, size_t n, time_t at, bool dry_run, bool json)
{
    size_t gone = 0;
    for (size_t i = 0; i < n; i++)
        gone += items[i].due;
    if (json) {
        json_t *deleted = json_array(), *kept = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(items[i].due ? deleted : kept, item_json(&items[i]));
        json_t *j = json_pack("{s:o, s:b, s:o, s:o}", "at", time_json(at), "dry_run", dry_run,
                              "deleted", deleted, "kept", kept);
        int code = j && json_dumpf(j, stdout, JSON_INDENT(2)) == 0 ? EXIT_OK : EXIT_ERROR;
        fputc('\n', stdout);
        json_decref(j);
        return code;
    }
    char *when = cli_time_text(at);
    printf("retention as at %s: %s %zu, kept %zu\n", when, dry_run ? "would delete" : "deleted",
           gone, n - gone);
    g_free(when);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            if (items[i].due != (pass == 0))
                continue;
            char *name = who(&items[i]), *why = cli_retention_why(&items[i]);
            printf("%-13s %s: %s\n",
                   pass      ? "kept"
                   : dry_run ? "would delete"
                             : "deleted",
                   name, why);
            g_free(name);
            g_free(why);
        }
    }
    return EXIT_OK;
}

static int retention_run(seal_store *st, int argc, char **argv)
{
    enum { OPT_AT = 256, OPT_DRY_RUN, OPT_JSON };
    static const struct option options[] = {
        {"at", required_argument, NULL, OPT_AT},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"json", no_argument, NULL, OPT_JSON},
        {NULL, 0, NULL, 0},
    };
    time_t at = time(NULL);
    bool dry_run = false, json = false;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == OPT_AT) {
            if (cli_parse_time(optarg, &at) < 0)
                return cli_usage_error("retention run: --at: %s", seal_error_last());
        } else if (c == OPT_DRY_RUN) {
            dry_run = true;
        } else if (c == OPT_JSON) {
            json = true;
        } else {
            return cli_usage_error("retention run: unknown option");
        }
    }
    if (optind < argc)
        return cli_usage_error("retention run: unexpected argument '%s'", argv[optind]);
    seal_retention_item *items = NULL;
    size_t n = 0;
    if (seal_retention_run(st, at, dry_run, g_get_user_name(), &items, &n) < 0)
        return cli_fail("retention run");
    int code = print_run(items, n, at, dry_run, json);
    seal_retention_items_free(items, n);
    return code;
}

int cmd_retention(const cli_ctx *ctx, int argc, char **argv)
{
    int help = cli_subcommand_help(argc, argv, retention_usage);
    if (help >= 0)
        return help;
    if (strcmp(argv[1], "run") != 0)
        return cli_usage_error("retention: run [--at TIME] [--dry-run] [--json]");
    seal_store *st = NULL;
    int opened = cli_open_platform(ctx, "retention", &st);
    if (opened != EXIT_OK)
        return opened;
    int code = retention_run(st, argc - 1, argv + 1);
    seal_store_close(st);
    return code;
}
