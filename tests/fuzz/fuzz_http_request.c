/* Fuzz target for the request parsing that is the HTTP service's own (sealsvc/http/): the
 * streaming multipart/form-data parser and the stamp parameters a query or form brings
 * (sealsvc/stamp_args.c). The first byte picks which.
 *
 * Multipart: the rest is a body with boundary "XyZ", parsed once whole and once fed in
 * pieces whose sizes come from the input; the parts seen (names, filenames, types, bytes)
 * and the verdict must be the same both ways, and no part may be seen after a failure.
 * Parameters: the rest is "name=value&..." text; stamp_args_build and stamp_args_level
 * must either accept it or fail with a message, never crash; so must the service's reader
 * of a stamp's parameters (http/stamp_input.c: the placements JSON, which a batch job's
 * placements_by_document entries go through too), with the level left at B-B so that no
 * store is needed.
 * X-Forwarded-For (first byte 2 mod 4): the rest is "TRUSTED\nHEADER"; the trusted list
 * either parses or fails with a message, and the client found, if any, is an address the
 * header holds.
 * Build: see README.md here (-DSEAL_FUZZ=ON). */
#include "http/forwarded.h"
#include "http/multipart.h"
#include "http/stamp_input.h"
#include "stamp_args.h"

#include <seal/error.h>

#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void require(int cond)
{
    if (!cond)
        __builtin_trap();
}

/* What a parse saw, as one text: each part's headers and bytes. */
typedef struct seen {
    GString *text;
} seen;

static int on_begin(void *ctx, const char *name, const char *filename, const char *type)
{
    seen *s = ctx;
    g_string_append_printf(s->text, "[%s|%s|%s]", name, filename ? filename : "-",
                           type ? type : "-");
    return 0;
}

static int on_data(void *ctx, const uint8_t *data, size_t len)
{
    g_string_append_len(((seen *)ctx)->text, (const char *)data, (gssize)len);
    return 0;
}

static int on_end(void *ctx)
{
    g_string_append(((seen *)ctx)->text, "[end]");
    return 0;
}

static const http_multipart_callbacks callbacks = {on_begin, on_data, on_end};

/* Parses `body` in pieces of the sizes `steps` cycles through (0: whole). */
static int parse(const uint8_t *body, size_t len, const uint8_t *steps, size_t n_steps,
                 GString *out)
{
    http_multipart *mp = NULL;
    seen s = {out};
    int rc = http_multipart_new(&mp, "multipart/form-data; boundary=XyZ", &callbacks, &s);
    require(rc == 0);
    size_t at = 0, k = 0;
    while (rc == 0 && at < len) {
        size_t step = n_steps ? (size_t)(1 + steps[k++ % n_steps] % 61) : len;
        step = step > len - at ? len - at : step;
        rc = http_multipart_feed(mp, body + at, step);
        at += step;
    }
    if (rc == 0)
        rc = http_multipart_finish(mp);
    if (rc < 0)
        require(seal_error_last()[0] != '\0');
    http_multipart_free(mp);
    return rc < 0 ? -1 : 0;
}

static void fuzz_multipart(const uint8_t *data, size_t size)
{
    size_t n_steps = size ? data[0] % 8 : 0;
    if (n_steps + 1 > size)
        n_steps = 0;
    const uint8_t *steps = data + (size ? 1 : 0);
    const uint8_t *body = data + (size ? 1 : 0) + n_steps;
    size_t len = size - (size_t)(body - data);
    GString *whole = g_string_new(NULL), *pieces = g_string_new(NULL);
    int a = parse(body, len, NULL, 0, whole);
    int b = parse(body, len, steps, n_steps ? n_steps : 1, pieces);
    require(a == b);
    /* a failure may stop at another place in the pieces, so compare only successes */
    require(a < 0 || g_string_equal(whole, pieces));
    g_string_free(whole, TRUE);
    g_string_free(pieces, TRUE);
}

/* The pairs as stamp_input_read's lookup, without the level and the TSA (B-T and above
 * load trust anchors from a store). */
static const char *pair_param(void *ctx, const char *name)
{
    if (strcmp(name, "level") == 0 || strncmp(name, "tsa", 3) == 0)
        return NULL;
    return g_hash_table_lookup(ctx, name);
}

static void fuzz_params(const uint8_t *data, size_t size)
{
    char *text = g_strndup((const char *)data, size);
    char **pairs = g_strsplit(text, "&", 32);
    stamp_args a = {.prefix = ""};
    const char *level = NULL;
    GHashTable *given = g_hash_table_new(g_str_hash, g_str_equal);
    for (char **p = pairs; *p; p++) {
        char *eq = strchr(*p, '=');
        if (!eq)
            continue;
        *eq = '\0';
        const char *v = eq + 1;
        g_hash_table_insert(given, *p, (gpointer)v);
        static const char *const names[] = {"page",   "pages", "at",      "keyword", "occurrence",
                                            "offset", "seam",  "reason",  "mode",    "certify",
                                            "lock",   "qr",    "expires", "level"};
        const char **fields[] = {&a.page,        &a.pages, &a.at,      &a.keyword, &a.occurrence,
                                 &a.offset,      &a.seam,  &a.reason,  &a.mode,    &a.certify,
                                 &a.lock_fields, &a.qr,    &a.expires, &level};
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
            if (strcmp(*p, names[i]) == 0)
                *fields[i] = v;
        if (strcmp(*p, "invisible") == 0)
            a.invisible = true;
        if (strcmp(*p, "external") == 0)
            a.external = true;
    }
    seal_stamp_request rq = {0};
    seal_place_request place = {0};
    if (stamp_args_build(&a, &rq, &place) < 0)
        require(seal_error_last()[0] != '\0');
    else
        require(rq.invisible ? rq.n_places == 0 : rq.n_places == 1 && rq.places == &place);
    seal_stamp_level l;
    if (level && stamp_args_level(level, "", &l) == 0)
        require(l <= SEAL_LEVEL_B_LTA);
    stamp_input in = {0};
    seal_stamp_request full = {0};
    int rc = stamp_input_read(&in, &full, pair_param, given, NULL, NULL, NULL, false);
    require(rc == 0 || rc == STAMP_INPUT_REFUSED);
    if (rc == STAMP_INPUT_REFUSED)
        require(seal_error_last()[0] != '\0');
    else
        require(full.invisible || (full.n_places >= 1 && full.n_places <= STAMP_MAX_PLACEMENTS));
    stamp_input_clear(&in);
    g_hash_table_destroy(given);
    g_strfreev(pairs);
    g_free(text);
}

static void fuzz_forwarded(const uint8_t *data, size_t size)
{
    char *text = g_strndup((const char *)data, size);
    char *header = strchr(text, '\n');
    if (header)
        *header++ = '\0';
    seal_netset *nets = NULL;
    if (seal_netset_parse(&nets, text, "trusted_proxies") < 0) {
        require(seal_error_last()[0] != '\0');
    } else {
        char client[64];
        if (forwarded_client(nets, "127.0.0.1", header, client, sizeof client))
            require(header && strstr(header, client) != NULL);
        seal_netset_free(nets);
    }
    g_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if ((data[0] & 3) == 2)
        fuzz_forwarded(data + 1, size - 1);
    else if (data[0] & 1)
        fuzz_multipart(data + 1, size - 1);
    else
        fuzz_params(data + 1, size - 1);
    return 0;
}
