/* `sealsvc institution add | list | show | delete`: the platform's institutions (unified
 * social credit code checked) and who acts for each (seal/store.h). Registering is audited as
 * by the user running the command; people and their roles are cmd_person.c's. `delete`
 * deletes an institution's registration (or only its name and credit code, when seals or keys
 * refer to it) once its retention time is past, and is refused (audited) before it
 * (seal/retention.h). */
#include "cli.h"

#include <seal/error.h>
#include <seal/retention.h>
#include <seal/store.h>

#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

static const char institution_usage[] =
    "usage: sealsvc --data DIR institution add --name NAME --code CREDIT-CODE\n"
    "       sealsvc --data DIR institution list [--json]\n"
    "       sealsvc --data DIR institution show CREDIT-CODE [--json]\n"
    "       sealsvc --data DIR institution delete CREDIT-CODE --reason TEXT\n"
    "\n"
    "The unified social credit code (GB 32100-2015) is checked. show lists the people\n"
    "who act for the institution and their roles. delete deletes its registration once it\n"
    "has been kept 5 years past the institution's last certificate (docs/retention.md);\n"
    "earlier, it is refused and the attempt recorded.\n";

static int print_json(json_t *j)
{
    int code = j && json_dumpf(j, stdout, JSON_INDENT(2)) == 0 ? EXIT_OK : EXIT_ERROR;
    if (code == EXIT_OK)
        fputc('\n', stdout);
    json_decref(j);
    return code;
}

static int institution_add(seal_store *st, int argc, char **argv)
{
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"code", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *code = NULL;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'n')
            name = optarg;
        else if (c == 'c')
            code = optarg;
        else
            return cli_usage_error("institution add: unknown option");
    }
    if (optind < argc)
        return cli_usage_error("institution add: unexpected argument '%s'", argv[optind]);
    if (!name || !code)
        return cli_usage_error("institution add: --name and --code are required");
    int64_t id = 0;
    if (seal_store_institution_register(st, name, code, g_get_user_name(), &id) < 0)
        return cli_fail("institution add");
    printf("institution %lld: %s (%s)\n", (long long)id, name, code);
    return EXIT_OK;
}

static int institution_list(seal_store *st, bool json)
{
    seal_institution_record *list = NULL;
    size_t n = 0;
    if (seal_store_institution_list(st, &list, &n) < 0)
        return cli_fail("institution list");
    json_t *arr = json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        char *erased = list[i].erased ? cli_time_text(list[i].erased) : NULL;
        if (arr) {
            char *created = cli_time_text(list[i].created);
            json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:s?}", "id",
                                                 (json_int_t)list[i].id, "name", list[i].name,
                                                 "credit_code", list[i].credit_code, "created",
                                                 created, "erased", erased));
            g_free(created);
        } else if (erased) {
            printf("%-5lld (name and credit code deleted on %s)\n", (long long)list[i].id, erased);
        } else {
            printf("%-5lld %s  %s\n", (long long)list[i].id, list[i].credit_code, list[i].name);
        }
        g_free(erased);
    }
    seal_institution_records_free(list, n);
    if (arr)
        return print_json(arr);
    if (n == 0)
        printf("no institutions registered\n");
    return EXIT_OK;
}

static int institution_show(seal_store *st, const char *credit_code, bool json)
{
    int64_t id = 0;
    char *name = NULL;
    seal_role_record *roles = NULL;
    size_t n = 0;
    if (seal_store_find_institution(st, credit_code, &id, &name) < 0 ||
        seal_store_role_list(st, credit_code, 0, &roles, &n) < 0) {
        g_free(name);
        return cli_fail("institution show");
    }
    int code = EXIT_OK;
    if (json) {
        json_t *people = json_array();
        for (size_t i = 0; people && i < n; i++)
            json_array_append_new(people, json_pack("{s:I, s:s, s:s}", "person",
                                                    (json_int_t)roles[i].person_id, "name",
                                                    roles[i].person_name, "role", roles[i].role));
        code = print_json(json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)id, "name", name,
                                    "credit_code", credit_code, "people", people));
    } else {
        printf("Institution: %lld\nName:        %s\nCredit code: %s\n", (long long)id, name,
               credit_code);
        for (size_t i = 0; i < n; i++)
            printf("%-13s%s: person %lld, %s\n", i ? "" : "People:", roles[i].role,
                   (long long)roles[i].person_id, roles[i].person_name);
        if (n == 0)
            printf("People:      none\n");
    }
    seal_role_records_free(roles, n);
    g_free(name);
    return code;
}

static int institution_delete(seal_store *st, int argc, char **argv)
{
    const char *code = NULL, *reason = NULL;
    int usage = cli_delete_args(argc, argv, "institution delete", "the institution's credit code",
                                &code, &reason);
    if (usage != EXIT_OK)
        return usage;
    seal_retention_item it = {0};
    if (seal_store_institution_delete(st, code, reason, g_get_user_name(), &it) < 0) {
        seal_retention_item_clear(&it);
        return cli_fail("institution delete");
    }
    char *why = cli_retention_why(&it);
    printf("institution %lld (%s %s): deleted, %s; recorded in the audit trail\n", (long long)it.id,
           it.name, it.number, why);
    g_free(why);
    seal_retention_item_clear(&it);
    return EXIT_OK;
}

int cmd_institution(const cli_ctx *ctx, int argc, char **argv)
{
    int help = cli_subcommand_help(argc, argv, institution_usage);
    if (help >= 0)
        return help;
    seal_store *st = NULL;
    int opened = cli_open_platform(ctx, "institution", &st);
    if (opened != EXIT_OK)
        return opened;
    int code;
    const char *sub = argv[1];
    if (strcmp(sub, "add") == 0)
        code = institution_add(st, argc - 1, argv + 1);
    else if (strcmp(sub, "list") == 0 && (argc == 2 || cli_json_flag(argc, argv, 2)))
        code = institution_list(st, argc == 3);
    else if (strcmp(sub, "show") == 0 && (argc == 3 || cli_json_flag(argc, argv, 3)))
        code = institution_show(st, argv[2], argc == 4);
    else if (strcmp(sub, "delete") == 0)
        code = institution_delete(st, argc - 1, argv + 1);
    else
        code = cli_usage_error("institution: add, list, show CREDIT-CODE or delete CREDIT-CODE");
    seal_store_close(st);
    return code;
}
