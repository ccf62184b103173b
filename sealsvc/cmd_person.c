/* `sealsvc person add | list | show | role-add | role-remove | delete`: the platform's people
 * and the roles they have in institutions (seal/store.h; institutions: cmd_institution.c).
 * Identity numbers are shown masked only; every change is audited as by the user running the
 * command, like `seal` and `apikey`. `delete` deletes a person's numbers once their retention
 * time is past, and is refused (audited) before it (seal/retention.h). `password` sets a
 * person's clerk-desk password (docs/desk.md), read from a file or standard input, never
 * from the command line, where other users of the machine could see it. */
#include "cli.h"

#include <seal/error.h>
#include <seal/retention.h>
#include <seal/store.h>

#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

static const char person_usage[] =
    "usage: sealsvc --data DIR person add --name NAME --id RESIDENT-ID [--mobile NUMBER]\n"
    "       sealsvc --data DIR person list [--json]\n"
    "       sealsvc --data DIR person show ID [--json]\n"
    "       sealsvc --data DIR person role-add ID --institution CREDIT-CODE --role ROLE\n"
    "       sealsvc --data DIR person role-remove ID --institution CREDIT-CODE --role ROLE\n"
    "       sealsvc --data DIR person delete ID --reason TEXT\n"
    "       sealsvc --data DIR person password ID (--password-file F | --password-stdin)\n"
    "\n"
    "A person's resident ID (GB 11643-1999) and mobile number (11 digits, starting with 1)\n"
    "are checked and kept encrypted; they are only ever shown masked. ROLE is\n"
    "legal-representative (one per institution), seal-administrator (at most 5) or\n"
    "handler. Seal administrators grant seals ('sealsvc grant'). delete deletes the\n"
    "numbers once they have been kept 5 years past the person's last certificate\n"
    "(docs/retention.md); earlier, it is refused and the attempt recorded.\n"
    "password sets the person's clerk-desk password (docs/desk.md): the first line of the\n"
    "file F, or of standard input; at least 8 characters. It clears a lock-out and ends\n"
    "the person's open desk sessions.\n";

static bool parse_id(const char *text, int64_t *out)
{
    char *end = NULL;
    long long v = text && *text ? g_ascii_strtoll(text, &end, 10) : 0;
    *out = v;
    return end && !*end && v > 0;
}

static json_t *person_json(const seal_person_record *p)
{
    char *created = cli_time_text(p->created);
    char *erased = p->erased ? cli_time_text(p->erased) : NULL;
    json_t *j = json_pack("{s:I, s:s, s:s, s:s?, s:s, s:s?}", "id", (json_int_t)p->id, "name",
                          p->name, "resident_id", p->id_masked, "mobile",
                          *p->mobile_masked ? p->mobile_masked : NULL, "created", created,
                          "numbers_deleted", erased);
    g_free(created);
    g_free(erased);
    return j;
}

static json_t *roles_json(const seal_role_record *r, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, json_pack("{s:I, s:s, s:I, s:s, s:s, s:s}", "person",
                                             (json_int_t)r[i].person_id, "name", r[i].person_name,
                                             "institution", (json_int_t)r[i].institution_id,
                                             "institution_name", r[i].institution_name,
                                             "credit_code", r[i].credit_code, "role", r[i].role));
    return arr;
}

static int print_json(json_t *j)
{
    int code = j && json_dumpf(j, stdout, JSON_INDENT(2)) == 0 ? EXIT_OK : EXIT_ERROR;
    if (code == EXIT_OK)
        fputc('\n', stdout);
    json_decref(j);
    return code;
}

static int person_add(seal_store *st, int argc, char **argv)
{
    static const struct option options[] = {
        {"name", required_argument, NULL, 'n'},
        {"id", required_argument, NULL, 'i'},
        {"mobile", required_argument, NULL, 'm'},
        {NULL, 0, NULL, 0},
    };
    const char *name = NULL, *id = NULL, *mobile = NULL;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'n')
            name = optarg;
        else if (c == 'i')
            id = optarg;
        else if (c == 'm')
            mobile = optarg;
        else
            return cli_usage_error("person add: unknown option");
    }
    if (optind < argc)
        return cli_usage_error("person add: unexpected argument '%s'", argv[optind]);
    if (!name || !id)
        return cli_usage_error("person add: --name and --id are required");
    int64_t pid = 0;
    if (seal_store_person_add(st, name, id, mobile, g_get_user_name(), &pid) < 0)
        return cli_fail("person add");
    seal_person_record p = {0};
    if (seal_store_person_get(st, pid, &p) < 0)
        return cli_fail("person add");
    printf("person %lld: %s, resident ID %s%s%s\n", (long long)p.id, p.name, p.id_masked,
           *p.mobile_masked ? ", mobile " : "", p.mobile_masked);
    seal_person_record_clear(&p);
    return EXIT_OK;
}

static int person_list(seal_store *st, bool json)
{
    seal_person_record *list = NULL;
    size_t n = 0;
    if (seal_store_person_list(st, &list, &n) < 0)
        return cli_fail("person list");
    json_t *arr = json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        if (arr)
            json_array_append_new(arr, person_json(&list[i]));
        else
            printf("%-5lld %-16s %s  %s%s\n", (long long)list[i].id, list[i].name,
                   list[i].id_masked, *list[i].mobile_masked ? list[i].mobile_masked : "-",
                   list[i].erased ? "  (numbers deleted)" : "");
    }
    seal_person_records_free(list, n);
    if (arr)
        return print_json(arr);
    if (n == 0)
        printf("no people registered\n");
    return EXIT_OK;
}

static int person_show(seal_store *st, const char *id_text, bool json)
{
    int64_t id = 0;
    if (!parse_id(id_text, &id))
        return cli_usage_error("person show: a person's id is a positive number");
    seal_person_record p = {0};
    seal_role_record *roles = NULL;
    size_t n = 0;
    if (seal_store_person_get(st, id, &p) < 0 ||
        seal_store_role_list(st, NULL, id, &roles, &n) < 0) {
        seal_person_record_clear(&p);
        return cli_fail("person show");
    }
    int code = EXIT_OK;
    if (json) {
        json_t *j = person_json(&p);
        json_object_set_new(j, "roles", roles_json(roles, n));
        code = print_json(j);
    } else {
        printf("Person:      %lld\nName:        %s\nResident ID: %s\nMobile:      %s\n",
               (long long)p.id, p.name, p.id_masked, *p.mobile_masked ? p.mobile_masked : "-");
        if (p.erased) {
            char *erased = cli_time_text(p.erased);
            printf("Numbers:     deleted on %s (docs/retention.md)\n", erased);
            g_free(erased);
        }
        for (size_t i = 0; i < n; i++)
            printf("%-13s%s of %s (%s)\n", i ? "" : "Roles:", roles[i].role,
                   roles[i].institution_name, roles[i].credit_code);
        if (n == 0)
            printf("Roles:       none\n");
    }
    seal_role_records_free(roles, n);
    seal_person_record_clear(&p);
    return code;
}

static int person_role(seal_store *st, bool add, int argc, char **argv)
{
    static const struct option options[] = {
        {"institution", required_argument, NULL, 'i'},
        {"role", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    const char *what = add ? "person role-add" : "person role-remove";
    const char *code = NULL, *role = NULL;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'i')
            code = optarg;
        else if (c == 'r')
            role = optarg;
        else
            return cli_usage_error("%s: unknown option", what);
    }
    int64_t id = 0;
    if (argc - optind != 1 || !parse_id(argv[optind], &id))
        return cli_usage_error("%s: give the person's id (a number)", what);
    if (!code || !role)
        return cli_usage_error("%s: --institution and --role are required", what);
    if (seal_role_check(role) < 0)
        return cli_usage_error("%s: %s", what, seal_error_last());
    int rc = add ? seal_store_role_grant(st, code, id, role, g_get_user_name())
                 : seal_store_role_revoke(st, code, id, role, g_get_user_name());
    if (rc < 0)
        return cli_fail(what);
    printf("person %lld %s %s of %s\n", (long long)id, add ? "is now" : "is no longer", role, code);
    return EXIT_OK;
}

static int person_delete(seal_store *st, int argc, char **argv)
{
    const char *text = NULL, *reason = NULL;
    int64_t id = 0;
    int usage =
        cli_delete_args(argc, argv, "person delete", "the person's id (a number)", &text, &reason);
    if (usage != EXIT_OK)
        return usage;
    if (!parse_id(text, &id))
        return cli_usage_error("person delete: give the person's id (a number)");
    seal_retention_item it = {0};
    if (seal_store_person_delete(st, id, reason, g_get_user_name(), &it) < 0) {
        seal_retention_item_clear(&it);
        return cli_fail("person delete");
    }
    char *when = cli_time_text(it.erased);
    if (it.basis_what) {
        char *why = cli_retention_why(&it);
        printf("person %lld (%s %s): resident ID and mobile number deleted, %s; recorded in the "
               "audit trail\n",
               (long long)id, it.name, it.number, why);
        g_free(why);
    } else {
        printf("person %lld (%s %s): the numbers were deleted already, on %s\n", (long long)id,
               it.name, it.number, when);
    }
    g_free(when);
    seal_retention_item_clear(&it);
    return EXIT_OK;
}

/* The first line of `file` ("-" or NULL: standard input) into `out`, its line end cut. */
static int read_password_line(char *out, size_t size, const char *file)
{
    FILE *f = file ? fopen(file, "r") : stdin;
    if (!f)
        return seal_error_set(SEAL_EIO, "cannot open the password file %s", file);
    char *line = fgets(out, (int)size, f);
    bool whole = line && (strchr(out, '\n') || feof(f));
    if (file)
        fclose(f);
    if (!line)
        return seal_error_set(SEAL_EINVAL, "no password in %s", file ? file : "standard input");
    if (!whole)
        return seal_error_set(SEAL_EINVAL, "the password is longer than %zu bytes", size - 2);
    out[strcspn(out, "\r\n")] = '\0';
    return 0;
}

static int person_password(seal_store *st, int argc, char **argv)
{
    static const struct option options[] = {
        {"password-file", required_argument, NULL, 'f'},
        {"password-stdin", no_argument, NULL, 's'},
        {NULL, 0, NULL, 0},
    };
    const char *file = NULL;
    bool from_stdin = false;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'f')
            file = optarg;
        else if (c == 's')
            from_stdin = true;
        else
            return cli_usage_error("person password: unknown option (the password is read from "
                                   "--password-file F or --password-stdin)");
    }
    int64_t id = 0;
    if (argc - optind != 1 || !parse_id(argv[optind], &id))
        return cli_usage_error("person password: give the person's id (a number)");
    if (!file == !from_stdin)
        return cli_usage_error("person password: give one of --password-file F or "
                               "--password-stdin");
    char password[1026];
    int code = EXIT_OK;
    if (read_password_line(password, sizeof password, file) < 0 ||
        seal_store_person_password_set(st, id, password, g_get_user_name()) < 0)
        code = cli_fail("person password");
    else
        printf("person %lld: desk password set\n", (long long)id);
    OPENSSL_cleanse(password, sizeof password);
    return code;
}

int cmd_person(const cli_ctx *ctx, int argc, char **argv)
{
    int help = cli_subcommand_help(argc, argv, person_usage);
    if (help >= 0)
        return help;
    seal_store *st = NULL;
    int opened = cli_open_platform(ctx, "person", &st);
    if (opened != EXIT_OK)
        return opened;
    int code;
    const char *sub = argv[1];
    if (strcmp(sub, "add") == 0)
        code = person_add(st, argc - 1, argv + 1);
    else if (strcmp(sub, "list") == 0 && (argc == 2 || cli_json_flag(argc, argv, 2)))
        code = person_list(st, argc == 3);
    else if (strcmp(sub, "show") == 0 && (argc == 3 || cli_json_flag(argc, argv, 3)))
        code = person_show(st, argv[2], argc == 4);
    else if (strcmp(sub, "role-add") == 0 || strcmp(sub, "role-remove") == 0)
        code = person_role(st, strcmp(sub, "role-add") == 0, argc - 1, argv + 1);
    else if (strcmp(sub, "delete") == 0)
        code = person_delete(st, argc - 1, argv + 1);
    else if (strcmp(sub, "password") == 0)
        code = person_password(st, argc - 1, argv + 1);
    else
        code = cli_usage_error(
            "person: add, list, show ID, role-add ID, role-remove ID, delete ID or password ID");
    seal_store_close(st);
    return code;
}
