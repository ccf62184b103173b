/* The SQL text of a statement or a migration, checked and written for one engine: the
 * store's numbered placeholders ?N become PostgreSQL's $N, the DDL tokens {id} {blob}
 * {real} become each engine's types (db.h), and what both engines would read differently
 * is refused before either sees it (a bare ?, $N, two statements where one is expected).
 *
 * The scanner knows the SQL both engines share: 'string' literals ('' inside), E'string'
 * literals (PostgreSQL, backslash escapes), "identifiers" ("" inside), -- comments to the
 * end of the line and block comments (not nested: SQLite does not nest them). Whatever is
 * inside those is copied unchanged. */
#include "db/db_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <string.h>

typedef struct scan {
    const char *sql;
    size_t pos;
    db_sql_mode mode;
    const db_engine_ops *engine;
    GString *out;
    bool used[DB_MAX_PARAMS + 1];
    int highest;
    bool statement_ended; /* a ';' was seen outside literals */
} scan;

static bool is_word_char(char c)
{
    return g_ascii_isalnum(c) || c == '_' || c == '$';
}

/* "at character 17": where in the SQL a problem is, for the programmer who wrote it. */
static int fail_at(size_t at, const char *problem)
{
    return seal_error_set(SEAL_EINVAL, "SQL statement: %s at character %zu", problem, at + 1);
}

/* Copies a quoted run that starts at s->pos (the opening quote) through its closing quote.
 * `backslash`: a backslash escapes the next character (E'...'). */
static int copy_quoted(scan *s, char quote, bool backslash)
{
    size_t start = s->pos;
    const char *p = s->sql + s->pos + 1;
    for (;;) {
        if (!*p)
            return fail_at(start, quote == '"' ? "a quoted identifier is not closed"
                                               : "a string literal is not closed");
        if (backslash && *p == '\\' && p[1]) {
            p += 2;
            continue;
        }
        if (*p == quote) {
            if (p[1] == quote) { /* '' or "" stands for the quote itself */
                p += 2;
                continue;
            }
            p++;
            break;
        }
        p++;
    }
    size_t end = (size_t)(p - s->sql);
    g_string_append_len(s->out, s->sql + start, (gssize)(end - start));
    s->pos = end;
    return 0;
}

static int copy_comment(scan *s)
{
    size_t start = s->pos;
    const char *p = s->sql + s->pos;
    if (p[0] == '-') {
        const char *nl = strchr(p, '\n');
        p = nl ? nl + 1 : p + strlen(p);
    } else {
        const char *close = strstr(p + 2, "*/");
        if (!close)
            return fail_at(start, "a /* comment is not closed");
        p = close + 2;
    }
    size_t end = (size_t)(p - s->sql);
    g_string_append_len(s->out, s->sql + start, (gssize)(end - start));
    s->pos = end;
    return 0;
}

static int placeholder(scan *s)
{
    size_t start = s->pos;
    const char *p = s->sql + s->pos + 1;
    if (s->mode != DB_SQL_STATEMENT)
        return fail_at(start, "a placeholder in SQL that takes no parameters");
    if (!g_ascii_isdigit(*p))
        return fail_at(start, "a bare '?'; number the placeholders ?1, ?2...");
    int n = 0;
    while (g_ascii_isdigit(*p)) {
        n = n * 10 + (*p - '0');
        if (n > DB_MAX_PARAMS)
            return fail_at(start, "a placeholder number above 999");
        p++;
    }
    if (n == 0)
        return fail_at(start, "placeholder ?0; they count from ?1");
    s->used[n] = true;
    if (n > s->highest)
        s->highest = n;
    g_string_append_printf(s->out, "%c%d", s->engine == &db_postgres_ops ? '$' : '?', n);
    s->pos = (size_t)(p - s->sql);
    return 0;
}

static int token(scan *s)
{
    size_t start = s->pos;
    const char *p = s->sql + s->pos;
    static const char *const names[] = {"{id}", "{blob}", "{real}"};
    const char *types[] = {s->engine->id_type, s->engine->blob_type, s->engine->real_type};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (strncmp(p, names[i], strlen(names[i])) == 0) {
            g_string_append(s->out, types[i]);
            s->pos += strlen(names[i]);
            return 0;
        }
    }
    return fail_at(start, "an unknown DDL token (there are {id}, {blob} and {real})");
}

int db_sql_translate(const char *sql, db_sql_mode mode, const db_engine_ops *engine, char **out,
                     int *n_params)
{
    int rc = 0;
    scan s = {.sql = sql, .mode = mode, .engine = engine, .out = g_string_new(NULL)};
    *out = NULL;
    SEAL_ENSURE(sql && *sql, SEAL_EINVAL, "an empty SQL statement");
    while (sql[s.pos]) {
        char c = sql[s.pos];
        char prev = s.pos > 0 ? sql[s.pos - 1] : ' ';
        char prev2 = s.pos > 1 ? sql[s.pos - 2] : ' ';
        if (s.statement_ended && !g_ascii_isspace(c) && !(c == '-' && sql[s.pos + 1] == '-') &&
            !(c == '/' && sql[s.pos + 1] == '*')) {
            if (mode == DB_SQL_STATEMENT)
                SEAL_FAIL(SEAL_EINVAL,
                          "SQL statement: a second statement at character %zu; prepare one "
                          "at a time",
                          s.pos + 1);
            s.statement_ended = false;
        }
        if (c == '\'') {
            /* E'...' when the E stands alone as a word: backslash escapes inside. */
            bool escape = (prev == 'E' || prev == 'e') && !is_word_char(prev2);
            SEAL_TRY(copy_quoted(&s, '\'', escape));
        } else if (c == '"') {
            SEAL_TRY(copy_quoted(&s, '"', false));
        } else if ((c == '-' && sql[s.pos + 1] == '-') || (c == '/' && sql[s.pos + 1] == '*')) {
            SEAL_TRY(copy_comment(&s));
        } else if (c == '?') {
            SEAL_TRY(placeholder(&s));
        } else if (c == '$' && !is_word_char(prev)) {
            SEAL_FAIL(SEAL_EINVAL,
                      "SQL statement: '$' at character %zu; write placeholders as ?1, ?2... "
                      "and strings in single quotes",
                      s.pos + 1);
        } else if (c == '{' && mode == DB_SQL_DDL) {
            SEAL_TRY(token(&s));
        } else {
            if (c == ';')
                s.statement_ended = true;
            g_string_append_c(s.out, c);
            s.pos++;
        }
    }
    for (int n = 1; n <= s.highest; n++)
        SEAL_ENSURE(s.used[n], SEAL_EINVAL,
                    "SQL statement: ?%d is never used, though ?%d is; number the placeholders "
                    "from ?1 without gaps",
                    n, s.highest);
    if (n_params)
        *n_params = s.highest;
    *out = g_string_free(s.out, FALSE);
    s.out = NULL;
out:
    if (s.out)
        g_string_free(s.out, TRUE);
    return rc;
}
