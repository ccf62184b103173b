/* A stamp's parameters into a seal_stamp_request (stamp_input.h): the flat placement
 * parameters or the placements array, the signature's options, the level and its TSA,
 * read through the caller's lookup, so that the synchronous stamp, the prepare, a batch
 * job's submit and its worker refuse and build exactly alike. */
#include "stamp_input.h"

#include <seal/error.h>
#include <seal/verify.h>

#include <glib.h>
#include <string.h>
#include <strings.h>

const char *const stamp_input_names[] = {
    "page",        "pages",
    "at",          "keyword",
    "occurrence",  "offset",
    "seam",        "invisible",
    "reason",      "location",
    "mode",        "certify",
    "lock-fields", "qr",
    "placements",  "level",
    "tsa",         "tsa-hash",
    "tsa-policy",  "input-policy",
    "normalise",   "allow-broken-signatures",
    NULL,
};

void stamp_input_clear(stamp_input *in)
{
    json_decref(in->placements);
    seal_trust_free(in->trust);
    seal_revocation_free(in->revocation);
    memset(in, 0, sizeof *in);
}

/* A member of a placement object as text: a string as it is, a number printed; another
 * type is refused. */
static int member_text(json_t *obj, size_t index, const char *name, const char **out)
{
    json_t *v = json_object_get(obj, name);
    *out = NULL;
    if (!v)
        return 0;
    if (json_is_string(v)) {
        *out = json_string_value(v);
        return 0;
    }
    if (json_is_integer(v)) {
        /* kept in the object, so that it lives as long as the request */
        char *text = g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
        json_object_set_new(obj, name, json_string(text));
        g_free(text);
        *out = json_string_value(json_object_get(obj, name));
        return 0;
    }
    seal_error_set(SEAL_EINVAL, "placements[%zu].%s must be a string or a whole number", index,
                   name);
    return STAMP_INPUT_REFUSED;
}

static int read_placements(stamp_input *in, const char *text)
{
    static const char *const names[] = {"page",       "pages",  "at",  "keyword",
                                        "occurrence", "offset", "seam"};
    json_error_t err;
    in->placements = json_loads(text, JSON_REJECT_DUPLICATES, &err);
    if (!in->placements || !json_is_array(in->placements) || json_array_size(in->placements) == 0 ||
        json_array_size(in->placements) > STAMP_MAX_PLACEMENTS) {
        seal_error_set(SEAL_EINVAL, "placements must be a JSON array of 1 to %d objects%s%s",
                       STAMP_MAX_PLACEMENTS, in->placements ? "" : ": ",
                       in->placements ? "" : err.text);
        return STAMP_INPUT_REFUSED;
    }
    for (size_t i = 0; i < json_array_size(in->placements); i++) {
        json_t *obj = json_array_get(in->placements, i);
        if (!json_is_object(obj)) {
            seal_error_set(SEAL_EINVAL, "placements[%zu] must be an object", i);
            return STAMP_INPUT_REFUSED;
        }
        const char *key;
        json_t *value;
        json_object_foreach(obj, key, value)
        {
            bool known = false;
            for (size_t n = 0; n < G_N_ELEMENTS(names); n++)
                known |= strcmp(key, names[n]) == 0;
            if (!known) {
                seal_error_set(SEAL_EINVAL,
                               "placements[%zu] has an unknown member '%s' (page, pages, at, "
                               "keyword, occurrence, offset, seam)",
                               i, key);
                return STAMP_INPUT_REFUSED;
            }
        }
        stamp_args a = {.prefix = ""};
        const char **fields[] = {&a.page,       &a.pages,  &a.at,  &a.keyword,
                                 &a.occurrence, &a.offset, &a.seam};
        for (size_t n = 0; n < G_N_ELEMENTS(names); n++)
            if (member_text(obj, i, names[n], fields[n]))
                return STAMP_INPUT_REFUSED;
        if (stamp_args_place(&a, &in->places[i]) < 0) {
            seal_error_wrap(SEAL_EINVAL, "placements[%zu]", i);
            return STAMP_INPUT_REFUSED;
        }
    }
    in->n_places = json_array_size(in->placements);
    return 0;
}

int stamp_input_read(stamp_input *in, seal_stamp_request *rq, stamp_param_fn param, void *ctx,
                     seal_store *st, const char *default_tsa, const seal_net_guard *guard,
                     bool external)
{
    stamp_args *a = &in->args;
    *a = (stamp_args){
        .prefix = "",
        .page = param(ctx, "page"),
        .pages = param(ctx, "pages"),
        .at = param(ctx, "at"),
        .keyword = param(ctx, "keyword"),
        .occurrence = param(ctx, "occurrence"),
        .offset = param(ctx, "offset"),
        .seam = param(ctx, "seam"),
        .reason = param(ctx, "reason"),
        .location = param(ctx, "location"),
        .mode = param(ctx, "mode"),
        .certify = param(ctx, "certify"),
        .lock_fields = param(ctx, "lock-fields"),
        .qr = param(ctx, "qr"),
        .external = external,
        .expires = external ? param(ctx, "expires") : NULL,
    };
    const char *invisible = param(ctx, "invisible");
    a->invisible = invisible && (strcmp(invisible, "true") == 0 || strcmp(invisible, "1") == 0);
    const char *normalise = param(ctx, "normalise");
    a->normalise = normalise && (strcmp(normalise, "true") == 0 || strcmp(normalise, "1") == 0);
    const char *broken = param(ctx, "allow-broken-signatures");
    a->allow_broken_signatures =
        broken && (strcmp(broken, "true") == 0 || strcmp(broken, "1") == 0);
    a->input_policy = param(ctx, "input-policy");
    const char *placements = param(ctx, "placements");
    if (placements && (a->at || a->keyword || a->seam || a->page || a->pages || a->invisible)) {
        seal_error_set(SEAL_EINVAL, "give the placements either as the placements array or as "
                                    "the flat parameters (at, keyword, seam...), not both");
        return STAMP_INPUT_REFUSED;
    }
    if (placements) {
        /* the flat parameters' checks, with a placement that passes them */
        stamp_args flat = *a;
        flat.at = "0,0";
        if (stamp_args_build(&flat, rq, &in->places[0]) < 0 || read_placements(in, placements) != 0)
            return STAMP_INPUT_REFUSED;
        rq->places = in->places;
        rq->n_places = in->n_places;
    } else if (stamp_args_build(a, rq, &in->places[0]) < 0) {
        return STAMP_INPUT_REFUSED;
    }
    const char *level = param(ctx, "level"), *named_tsa = param(ctx, "tsa");
    const char *tsa = named_tsa ? named_tsa : default_tsa;
    in->level = named_tsa ? SEAL_LEVEL_B_T : SEAL_LEVEL_B_B;
    if (level && stamp_args_level(level, "", &in->level) < 0)
        return STAMP_INPUT_REFUSED;
    if (in->level >= SEAL_LEVEL_B_T && !tsa) {
        seal_error_set(SEAL_EINVAL,
                       "level %s needs a TSA: the tsa parameter (or the service's tsa_url)",
                       seal_stamp_level_name(in->level));
        return STAMP_INPUT_REFUSED;
    }
    rq->level = in->level;
    if (in->level >= SEAL_LEVEL_B_T) {
        const char *hash = param(ctx, "tsa-hash");
        in->tsa = (seal_tsp_client){.url = tsa,
                                    .md = hash && strcasecmp(hash, "sm3") == 0 ? EVP_sm3() : NULL,
                                    .policy = param(ctx, "tsa-policy"),
                                    .guard = named_tsa ? guard : NULL};
        rq->tsa = &in->tsa;
        seal_verify_file_opts opts = {.store = st};
        int rc = seal_verify_trust_load(&in->trust, &opts);
        if (rc < 0)
            return rc;
        rq->trust = in->trust;
    }
    if (in->level >= SEAL_LEVEL_B_LT) {
        int rc = seal_verify_revocation_new(&in->revocation, st, NULL, false, NULL, 0);
        if (rc < 0)
            return rc;
        if (named_tsa)
            seal_revocation_set_guard(in->revocation, guard);
        rq->revocation = in->revocation;
    }
    return 0;
}
