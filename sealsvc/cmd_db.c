/* `sealsvc db migrate | status`: the database's schema. Opening a store brings its schema up
 * to this sealsvc's (libseal/src/store/schema.c), so `migrate` is an open that says what it
 * did, for an operator who upgrades before starting the service; `status` says where the
 * database is and which version it holds. A database newer than this sealsvc is refused
 * by both, naming the versions. */
#include "cli.h"

#include <seal/store.h>

#include <stdio.h>
#include <string.h>

static const char db_usage[] = "usage: sealsvc [--db URL] --data DIR db migrate | status\n"
                               "\n"
                               "migrate brings the database's schema up to this sealsvc's and "
                               "says from which\n"
                               "version; status names the database and its schema version.\n";

int cmd_db(const cli_ctx *ctx, int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        fputs(db_usage, stdout);
        return EXIT_OK;
    }
    if (argc != 2 || (strcmp(argv[1], "migrate") != 0 && strcmp(argv[1], "status") != 0))
        return cli_usage_error("db wants 'migrate' or 'status'");
    const char *data = cli_data_dir(ctx);
    if (!data)
        return cli_usage_error("db needs the data directory: --data DIR or $SEALSVC_DATA");
    seal_store *st = NULL;
    if (cli_store_open(ctx, data, false, &st) < 0)
        return cli_fail(argv[1]);
    int found = 0, current = 0;
    const char *url = NULL;
    seal_store_schema(st, &found, &current, &url);
    if (strcmp(argv[1], "migrate") == 0 && found != current)
        printf("%s: schema version %d -> %d\n", url, found, current);
    else if (strcmp(argv[1], "migrate") == 0)
        printf("%s: schema version %d, up to date\n", url, current);
    else
        printf("%s: schema version %d (this sealsvc's)%s\n", url, current,
               found != current ? "; opening it just migrated it" : "");
    seal_store_close(st);
    return EXIT_OK;
}
