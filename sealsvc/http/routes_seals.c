/* GET /api/v1/seals (the seals the caller may use), GET /api/v1/seals/{id} and GET
 * /api/v1/seals/{id}/picture (its PNG, for the desk): what a portal or a clerk needs to
 * pick a seal. A key that acts for an institution sees only that institution's seals. A
 * desk session (a person) sees the seals its grants let it use now (store/grant.c:
 * active, not held by another grantee's exclusive grant), each with those grants. */
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

static json_t *grant_json(const seal_grant_record *g)
{
    json_t *j =
        json_pack("{s:I, s:s?, s:o, s:o, s:I, s:b}", "id", (json_int_t)g->id, "project", g->project,
                  "not_before", json_time(g->not_before), "not_after", json_time(g->not_after),
                  "uses", (json_int_t)g->uses, "exclusive", g->exclusive);
    json_object_set_new(j, "max_uses", g->max_uses ? json_integer(g->max_uses) : json_null());
    json_object_set_new(j, "uses_left",
                        g->max_uses ? json_integer(g->max_uses - g->uses) : json_null());
    return j;
}

/* The seals a desk session's person may use now, each with the grants that allow it. */
static int desk_seals(call *c)
{
    int rc = 0;
    seal_grant_record *grants = NULL;
    size_t n = 0;
    time_t now = time(NULL);
    json_t *list = json_array(), *entry = NULL;
    SEAL_TRY(seal_store_grant_list_for(c->store, c->session.person_id, &grants, &n));
    for (size_t i = 0; i < n; i++) {
        const seal_grant_record *g = &grants[i];
        if (seal_grant_state_at(g, now) != SEAL_GRANT_ACTIVE)
            continue;
        int usable = seal_store_use_check(c->store, g->seal_id, g->id, now, NULL);
        if (usable == SEAL_EPOLICY)
            continue;
        SEAL_TRY(usable);
        /* the list is by seal: a seal's grants follow one another */
        const char *last = entry ? json_string_value(json_object_get(entry, "id")) : NULL;
        if (!last || strcmp(last, g->seal_id) != 0) {
            seal_record r = {0};
            SEAL_TRY(seal_store_get_seal(c->store, g->seal_id, &r));
            entry = auth_may_use_seal(c, &r) ? seal_json(&r) : NULL;
            seal_record_clear(&r);
            if (!entry)
                continue;
            json_object_set_new(entry, "grants", json_array());
            json_array_append_new(list, entry);
        }
        json_array_append_new(json_object_get(entry, "grants"), grant_json(g));
    }
    rc = call_json(c, 200, json_pack("{s:O}", "seals", list));
out:
    json_decref(list);
    seal_grant_records_free(grants, n);
    return rc;
}

/* The seals of the key's institution (every seal for a key of the whole platform). */
static int key_seals(call *c)
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

int route_seals(call *c)
{
    return c->has_session ? desk_seals(c) : key_seals(c);
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
