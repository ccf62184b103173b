/* Fuzz target for the database layer's readers of text (db/url.c, db/sql_text.c): the
 * database URL a user gives (--db, SEALSVC_DB), made safe to show, and the SQL scanner
 * that numbers placeholders and substitutes DDL tokens. Traps unless the URL shown holds
 * no password any more (read again, it gives none), and unless every SQL text is either
 * refused with a message or written for SQLite unchanged in meaning (scanning SQLite's
 * text again gives the same text).
 * Build: see README.md here (-DSEAL_FUZZ=ON). */
#include "db/db_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

static void require(int cond)
{
    if (!cond)
        __builtin_trap();
}

static void check_url(const char *url)
{
    char *shown = db_url_redact(url);
    char **left = db_url_passwords(shown);
    require(left[0] == NULL);
    g_strfreev(left);
    g_strfreev(db_url_passwords(url));
    g_free(shown);
}

static void check_sql(const char *sql)
{
    static const db_sql_mode modes[] = {DB_SQL_STATEMENT, DB_SQL_SCRIPT, DB_SQL_DDL};
    for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
        char *pg = NULL, *lite = NULL, *again = NULL;
        int n_pg = -1, n_lite = -1, n_again = -1;
        int rc_pg = db_sql_translate(sql, modes[m], &db_postgres_ops, &pg, &n_pg);
        int rc_lite = db_sql_translate(sql, modes[m], &db_sqlite_ops, &lite, &n_lite);
        require(rc_pg == rc_lite);
        if (rc_lite < 0) {
            require(!pg && !lite && seal_error_last()[0] != '\0');
            continue;
        }
        require(n_pg == n_lite && n_lite >= 0 && n_lite <= DB_MAX_PARAMS);
        if (modes[m] == DB_SQL_STATEMENT) {
            require(db_sql_translate(lite, modes[m], &db_sqlite_ops, &again, &n_again) == 0);
            require(strcmp(again, lite) == 0 && n_again == n_lite);
        }
        g_free(pg);
        g_free(lite);
        g_free(again);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = g_malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    check_url(text);
    check_sql(text);
    g_free(text);
    return 0;
}
