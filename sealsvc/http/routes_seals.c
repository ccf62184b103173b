/* GET /api/v1/seals (the seals the caller may use), GET /api/v1/seals/{id} and GET
 * /api/v1/seals/{id}/picture (its PNG, for the desk): what a portal or a clerk needs to
 * pick a seal. A key that acts for an institution sees only that institution's seals. */
#include "service.h"

#include "cli.h"

#include <seal/error.h>

#include <string.h>

static json_t *seal_json(const seal_record *r)
{
    char *from = cli_time_text(r->valid_start), *until = cli_time_text(r->valid_end);
    char *picture = g_strdup_printf("/api/v1/seals/%s/picture", r->id);
    json_t *j =
        json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s, s:s, s:b, s:s, s:s, s:s, s:f, s:f}",
                  "id", r->id, "name", r->name, "kind", r->kind, "shape", r->shape, "institution",
                  "name", r->owner ? r->owner : "", "code", r->owner_code ? r->owner_code : "",
                  "algorithm", seal_key_alg_name(r->alg), "state", r->state, "locked", r->locked,
                  "valid_from", from, "valid_until", until, "picture", picture, "width_mm",
                  r->width_mm, "height_mm", r->height_mm);
    g_free(from);
    g_free(until);
    g_free(picture);
    return j;
}

int route_seals(call *c)
{
    int rc = 0;
    char **ids = NULL;
    json_t *list = json_array();
    SEAL_TRY(seal_store_list_seals(c->store, &ids));
    for (char **id = ids; *id; id++) {
        seal_record r = {0};
        SEAL_TRY(seal_store_get_seal(c->store, *id, &r));
        if (auth_may_use_seal(c, &r))
            json_array_append_new(list, seal_json(&r));
        seal_record_clear(&r);
    }
    rc = call_json(c, 200, json_pack("{s:O}", "seals", list));
out:
    json_decref(list);
    g_strfreev(ids);
    return rc;
}

int route_seal(call *c)
{
    seal_record r = {0};
    int rc = auth_seal(c, c->id, &r);
    if (rc == 0)
        rc = call_json(c, 200, seal_json(&r));
    seal_record_clear(&r);
    return rc < 0 ? rc : 0;
}

int route_seal_picture(call *c)
{
    seal_record r = {0};
    int rc = auth_seal(c, c->id, &r);
    if (rc == 0)
        rc = http_response_set(c->resp, 200, "image/png", r.image_png.data, r.image_png.len);
    seal_record_clear(&r);
    return rc < 0 ? rc : 0;
}
