/* The administrator's routes for grants (who may use which seal, for what, how long, how
 * often: docs/authorisations.md) and for a seal's rule that it stamps only with one: the
 * store calls `sealsvc grant` makes (seal/store.h), audited with the API key's id as the
 * actor. A grant's state is the library's (seal_grant_state_at), now. */
#include "service.h"

#include <seal/error.h>

#include <string.h>

static json_t *grant_json(const seal_grant_record *g, time_t now)
{
    return json_pack(
        "{s:I, s:s, s:s, s:I, s:s, s:I, s:s, s:o, s:o, s:o, s:I, s:o, s:b, s:o, s:o, s:o, s:o, "
        "s:o}",
        "id", (json_int_t)g->id, "state", seal_grant_state_name(seal_grant_state_at(g, now)),
        "seal", g->seal_id, "grantor", (json_int_t)g->grantor_id, "grantor_name",
        g->grantor_name ? g->grantor_name : "", "grantee", (json_int_t)g->grantee_id,
        "grantee_name", g->grantee_name ? g->grantee_name : "", "project", json_text(g->project),
        "from", json_time(g->not_before), "until", json_time(g->not_after), "uses",
        (json_int_t)g->uses, "max_uses", g->max_uses ? json_integer(g->max_uses) : json_null(),
        "exclusive", (int)g->exclusive, "claimed", json_time(g->claimed), "revoked",
        json_time(g->revoked), "revoke_reason", json_text(g->revoke_reason), "created",
        json_time(g->created), "created_by", json_text(g->created_by));
}

/* The state query parameter: one of the library's names. */
static bool state_known(const char *name, seal_grant_state *out)
{
    for (seal_grant_state s = SEAL_GRANT_ACTIVE; s <= SEAL_GRANT_REVOKED; s++)
        if (strcmp(name, seal_grant_state_name(s)) == 0) {
            *out = s;
            return true;
        }
    return false;
}

int route_grants(call *c)
{
    const char *seal = http_request_query(c->req, "seal"),
               *state_text = http_request_query(c->req, "state");
    int64_t grantee = 0;
    seal_grant_state state = SEAL_GRANT_ACTIVE;
    if (call_query_int(c, "grantee", 1, INT64_MAX, &grantee))
        return 0;
    if (state_text && !state_known(state_text, &state)) {
        call_bad_field(c, "state", "state is active, not-yet-valid, used-up, expired or revoked");
        return 0;
    }
    seal_grant_record *list = NULL;
    size_t n = 0;
    int rc = seal_store_grant_list(c->store, seal && *seal ? seal : NULL, &list, &n);
    if (rc < 0)
        return rc;
    time_t now = time(NULL);
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if ((!grantee || list[i].grantee_id == grantee) &&
            (!state_text || seal_grant_state_at(&list[i], now) == state))
            json_array_append_new(arr, grant_json(&list[i], now));
    seal_grant_records_free(list, n);
    return call_json(c, 200, json_pack("{s:o}", "grants", arr));
}

static int grant_answer(call *c, int64_t id, unsigned status)
{
    seal_grant_record g = {0};
    int rc = seal_store_grant_get(c->store, id, &g);
    if (rc < 0)
        rc = call_refused(c, rc, "grant-not-found");
    else
        rc = call_json(c, status, grant_json(&g, time(NULL)));
    seal_grant_record_clear(&g);
    return rc;
}

int route_grant(call *c)
{
    int64_t id = 0;
    if (call_path_number(c, c->id, "grant-not-found", &id))
        return 0;
    return grant_answer(c, id, 200);
}

int route_grant_create(call *c)
{
    static const body_member members[] = {
        {"seal", BODY_STRING, true},     {"grantor", BODY_INTEGER, true},
        {"grantee", BODY_INTEGER, true}, {"from", BODY_TIME, false},
        {"until", BODY_TIME, true},      {"max_uses", BODY_INTEGER, false},
        {"project", BODY_STRING, false}, {"exclusive", BODY_BOOLEAN, false},
    };
    json_t *body = NULL;
    int rc = call_json_body(c, members, G_N_ELEMENTS(members), &body);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    seal_grant_record g = {
        .seal_id = (char *)body_text(body, "seal"),
        .grantor_id = json_integer_value(json_object_get(body, "grantor")),
        .grantee_id = json_integer_value(json_object_get(body, "grantee")),
        .not_before = body_time(body, "from", time(NULL)),
        .not_after = body_time(body, "until", 0),
        .max_uses = json_integer_value(json_object_get(body, "max_uses")),
        .project = (char *)body_text(body, "project"),
        .exclusive = json_is_true(json_object_get(body, "exclusive")),
    };
    char *actor = auth_actor(c);
    rc = seal_store_grant_add(c->store, &g, actor);
    g_free(actor);
    if (rc < 0) {
        rc = call_refused(c, rc, NULL);
    } else {
        http_response_header(c->resp, "Location", "/api/v1/grants/%lld", (long long)g.id);
        rc = grant_answer(c, g.id, 201);
        c->resp->outcome = "created";
    }
    json_decref(body);
    return rc;
}

int route_grant_revoke(call *c)
{
    static const body_member members[] = {{"reason", BODY_STRING, false}};
    int64_t id = 0;
    json_t *body = NULL;
    if (call_path_number(c, c->id, "grant-not-found", &id))
        return 0;
    int rc = call_json_body(c, members, G_N_ELEMENTS(members), &body);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    char *actor = auth_actor(c);
    rc = seal_store_grant_revoke(c->store, id, body_text(body, "reason"), actor);
    g_free(actor);
    json_decref(body);
    if (rc < 0)
        return call_refused(c, rc, "grant-not-found");
    return grant_answer(c, id, 200);
}

/* {"seal": ID, "required": BOOL} for the seal of the path; 404 when there is none. */
static int rule_answer(call *c)
{
    seal_record r = {0};
    bool required = false;
    int rc = seal_store_get_seal(c->store, c->id, &r);
    seal_record_clear(&r);
    if (rc == 0)
        rc = seal_store_seal_requires_grant(c->store, c->id, &required);
    if (rc < 0)
        return call_refused(c, rc, "seal-not-found");
    return call_json(c, 200, json_pack("{s:s, s:b}", "seal", c->id, "required", (int)required));
}

int route_grant_rule(call *c)
{
    return rule_answer(c);
}

int route_grant_rule_set(call *c)
{
    static const body_member members[] = {{"required", BODY_BOOLEAN, true}};
    json_t *body = NULL;
    int rc = call_json_body(c, members, G_N_ELEMENTS(members), &body);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    char *actor = auth_actor(c);
    rc = seal_store_seal_require_grant(c->store, c->id,
                                       json_is_true(json_object_get(body, "required")), actor);
    g_free(actor);
    json_decref(body);
    if (rc < 0)
        return call_refused(c, rc, "seal-not-found");
    return rule_answer(c);
}
