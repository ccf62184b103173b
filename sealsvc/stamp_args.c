/* Stamp parameters as text into a seal_stamp_request (see stamp_args.h), for the command
 * line and the HTTP service alike; the messages name each parameter with the face's
 * prefix, so a user reads "--at wants X,Y" on the command line and "at wants X,Y" in a
 * problem document. */
#include "stamp_args.h"

#include "cli.h"

#include <seal/error.h>

#include <glib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PAGE       10000000
#define MAX_OCCURRENCE 1000000

/* A decimal number of millimetres at TEXT ("150", "-2.5", "1e2"), not the hexadecimal,
 * "inf" or "nan" forms strtod also reads; END is where it stopped (NULL: not a number). */
static const char *parse_mm(const char *text, double *v)
{
    size_t len = strspn(text, "+-0123456789.eE");
    char *end = NULL;
    *v = strtod(text, &end);
    return len == 0 || end != text + len || !isfinite(*v) ? NULL : end;
}

static int parse_point(const char *text, double *x, double *y)
{
    const char *end = parse_mm(text, x);
    if (!end || *end != ',')
        return -1;
    end = parse_mm(end + 1, y);
    return !end || *end ? -1 : 0;
}

static int parse_number(const char *text, double *x)
{
    const char *end = parse_mm(text, x);
    return !end || *end ? -1 : 0;
}

/* A whole number from 1 to max, nothing else in the text. */
static int parse_count(const char *text, long max, long *out)
{
    char *end = NULL;
    long n = strtol(text, &end, 10);
    if (end == text || *end || n < 1 || n > max)
        return -1;
    *out = n;
    return 0;
}

int stamp_args_place(const stamp_args *a, seal_place_request *req)
{
    const char *p = a->prefix ? a->prefix : "";
    *req = (seal_place_request){.mode = SEAL_PLACE_AT};
    int modes = (a->at != NULL) + a->invisible + (a->keyword != NULL) + (a->seam != NULL);
    if (a->page) {
        long n = 0;
        if (parse_count(a->page, MAX_PAGE, &n) < 0)
            return seal_error_set(SEAL_EINVAL, "%spage wants a page number (1 = first), not '%s'",
                                  p, a->page);
    }
    if (a->at && parse_point(a->at, &req->x_mm, &req->y_mm) < 0)
        return seal_error_set(SEAL_EINVAL, "%sat wants X,Y in millimetres (e.g. 150,240), not '%s'",
                              p, a->at);
    if (modes == 0)
        return seal_error_set(SEAL_EINVAL,
                              "say where the seal goes with %sat X,Y, %skeyword TEXT or %sseam "
                              "SIDE (or %sinvisible)",
                              p, p, p, p);
    if (modes > 1)
        return seal_error_set(
            SEAL_EINVAL, "%sat, %skeyword, %sseam and %sinvisible exclude each other", p, p, p, p);
    if (a->page && a->pages)
        return seal_error_set(SEAL_EINVAL, "%spage and %spages exclude each other", p, p);
    if (a->page && (a->keyword || a->seam))
        return seal_error_set(SEAL_EINVAL, "%skeyword and %sseam take %spages RANGE, not %spage", p,
                              p, p, p);
    if (a->pages && a->invisible)
        return seal_error_set(SEAL_EINVAL,
                              "an invisible signature has no pages to show; drop %spages", p);
    if (a->occurrence && !a->keyword)
        return seal_error_set(SEAL_EINVAL, "%soccurrence goes with %skeyword", p, p);
    if (a->offset && !a->keyword && !a->seam)
        return seal_error_set(SEAL_EINVAL, "%soffset goes with %skeyword or %sseam", p, p, p);
    req->pages = a->at && a->page ? a->page : a->pages;
    if (a->keyword) {
        req->mode = SEAL_PLACE_KEYWORD;
        req->keyword = a->keyword;
        if (!*a->keyword)
            return seal_error_set(SEAL_EINVAL, "%skeyword wants the text to find, not ''", p);
        long n = 0;
        if (a->occurrence && strcmp(a->occurrence, "all") != 0) {
            if (parse_count(a->occurrence, MAX_OCCURRENCE, &n) < 0)
                return seal_error_set(SEAL_EINVAL,
                                      "%soccurrence wants N (1 = first) or all, not '%s'", p,
                                      a->occurrence);
            req->occurrence = (int)n;
        }
        if (a->offset && parse_point(a->offset, &req->dx_mm, &req->dy_mm) < 0)
            return seal_error_set(SEAL_EINVAL,
                                  "%soffset with %skeyword wants DX,DY in millimetres (e.g. "
                                  "0,-10), not '%s'",
                                  p, p, a->offset);
    }
    if (a->seam) {
        req->mode = SEAL_PLACE_SEAM;
        if (seal_seam_side_parse(&req->side, a->seam) < 0)
            return seal_error_set(SEAL_EINVAL, "%sseam wants right, left, top or bottom, not '%s'",
                                  p, a->seam);
        if (a->offset && parse_number(a->offset, &req->offset_mm) < 0)
            return seal_error_set(SEAL_EINVAL,
                                  "%soffset with %sseam wants millimetres (e.g. -40), not '%s'", p,
                                  p, a->offset);
    }
    return 0;
}

int stamp_args_build(const stamp_args *a, seal_stamp_request *rq, seal_place_request *place)
{
    const char *p = a->prefix ? a->prefix : "";
    int rc = stamp_args_place(a, place);
    if (rc < 0)
        return rc;
    if (a->certify && (strlen(a->certify) != 1 || a->certify[0] < '1' || a->certify[0] > '3'))
        return seal_error_set(SEAL_EINVAL, "%scertify wants 1, 2 or 3, not '%s'", p, a->certify);
    if (a->lock_fields &&
        (!*a->lock_fields || a->lock_fields[0] == ',' ||
         a->lock_fields[strlen(a->lock_fields) - 1] == ',' || strstr(a->lock_fields, ",,")))
        return seal_error_set(SEAL_EINVAL,
                              "%slock-fields wants 'all' or field names separated by commas, "
                              "not '%s'",
                              p, a->lock_fields);
    if (a->mode && strcmp(a->mode, "continue") != 0 && strcmp(a->mode, "lock") != 0)
        return seal_error_set(SEAL_EINVAL, "%smode wants continue or lock, not '%s'", p, a->mode);
    if (a->expires && !a->external)
        return seal_error_set(SEAL_EINVAL, "%sexpires goes with %sexternal", p, p);
    long ttl = 0;
    if (a->expires && parse_count(a->expires, SEAL_PENDING_TTL_MAX, &ttl) < 0)
        return seal_error_set(SEAL_EINVAL, "%sexpires wants seconds from 1 to %d, not '%s'", p,
                              SEAL_PENDING_TTL_MAX, a->expires);
    long doc = 0;
    if (a->doc && parse_count(a->doc, MAX_PAGE, &doc) < 0)
        return seal_error_set(SEAL_EINVAL, "%sdoc wants a document number (1 = first), not '%s'", p,
                              a->doc);
    if (a->input_policy && seal_input_policy_parse(&rq->input_policy, a->input_policy) < 0)
        return seal_error_set(SEAL_EINVAL, "%sinput-policy wants strict, warn or off, not '%s'", p,
                              a->input_policy);
    if (a->normalise && rq->input_policy == SEAL_INPUT_OFF)
        return seal_error_set(SEAL_EINVAL,
                              "%snormalise follows from the input's examination: not with "
                              "%sinput-policy off",
                              p, p);
    rq->normalise = a->normalise;
    rq->allow_broken_signatures = a->allow_broken_signatures;
    rq->document = (int)doc;
    rq->invisible = a->invisible;
    rq->page = a->invisible && a->page ? atoi(a->page) : a->invisible ? 1 : 0;
    rq->reason = a->reason;
    rq->location = a->location;
    rq->certify = a->certify ? a->certify[0] - '0' : 0;
    rq->lock_fields = a->lock_fields;
    rq->lock = a->mode && strcmp(a->mode, "lock") == 0;
    rq->qr_url = a->qr;
    rq->external = a->external;
    rq->pending_ttl = ttl;
    if (a->invisible) {
        rq->places = NULL;
        rq->n_places = 0;
    } else {
        rq->places = place;
        rq->n_places = 1;
    }
    return 0;
}

int stamp_args_level(const char *text, const char *prefix, seal_stamp_level *level)
{
    static const char *const names[] = {"B-B", "B-T", "B-LT", "B-LTA"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++)
        if (strcasecmp(text, names[i]) == 0) {
            *level = (seal_stamp_level)i;
            return 0;
        }
    return seal_error_set(SEAL_EINVAL, "%slevel wants B-B, B-T, B-LT or B-LTA, not '%s'",
                          prefix ? prefix : "", text);
}

json_t *stamp_prepared_json(const seal_stamp_result *r, const char *output)
{
    char *digest = g_base64_encode(r->digest, r->digest_len);
    char *to_sign = g_base64_encode(r->to_sign.data, r->to_sign.len);
    char *expires = cli_time_text(r->expires);
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:I, s:s}", "id", r->pending_id, "seal",
                  r->seal_id, "format", r->format, "algorithm", r->signature_alg, "digest", digest,
                  "digest_is_sm2_e", r->digest_is_sm2_e, "to_sign", to_sign, "expires", expires,
                  "expires_at", (json_int_t)r->expires, "signer", r->signer);
    if (j && output && json_object_set_new(j, "output", json_string(output)) < 0) {
        json_decref(j);
        j = NULL;
    }
    g_free(digest);
    g_free(to_sign);
    g_free(expires);
    return j;
}
