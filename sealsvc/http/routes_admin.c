/* The administrator's routes for institutions, people and their roles, and API keys:
 * each one store call (seal/store.h) as `sealsvc institution`, `person` and `apikey` make
 * it, with the API key's id as the audit trail's actor. People's resident IDs and mobile
 * numbers leave the store masked only; a new API key's text is in the answer to its
 * creation and nowhere else. */
#include "service.h"

#include <seal/error.h>

#include <openssl/crypto.h>
#include <string.h>

/* ---- institutions ---- */

static json_t *role_json(const seal_role_record *r)
{
    return json_pack("{s:I, s:s, s:I, s:s, s:s, s:s, s:o}", "person", (json_int_t)r->person_id,
                     "name", r->person_name, "institution", (json_int_t)r->institution_id,
                     "institution_name", r->institution_name, "credit_code", r->credit_code, "role",
                     r->role, "since", json_time(r->since));
}

static json_t *roles_json(const seal_role_record *r, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, role_json(&r[i]));
    return arr;
}

int route_institutions(call *c)
{
    seal_institution_record *list = NULL;
    size_t n = 0;
    int rc = seal_store_institution_list(c->store, &list, &n);
    if (rc < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr,
                              json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)list[i].id,
                                        "name", list[i].name, "credit_code", list[i].credit_code,
                                        "created", json_time(list[i].created)));
    seal_institution_records_free(list, n);
    return call_json(c, 200, json_pack("{s:o}", "institutions", arr));
}

/* Institution `code` with the people who act for it. */
static int institution_answer(call *c, const char *code, unsigned status)
{
    int64_t id = 0;
    char *name = NULL;
    seal_role_record *roles = NULL;
    size_t n = 0;
    int rc = seal_store_find_institution(c->store, code, &id, &name);
    if (rc == 0)
        rc = seal_store_role_list(c->store, code, 0, &roles, &n);
    if (rc < 0) {
        g_free(name);
        return call_refused(c, rc, "institution-not-found");
    }
    rc = call_json(c, status,
                   json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)id, "name", name,
                             "credit_code", code, "people", roles_json(roles, n)));
    seal_role_records_free(roles, n);
    g_free(name);
    return rc;
}

int route_institution(call *c)
{
    return institution_answer(c, c->id, 200);
}

int route_institution_create(call *c)
{
    static const body_member members[] = {{"name", BODY_STRING, true},
                                          {"credit_code", BODY_STRING, true}};
    json_t *body = NULL;
    int rc = call_json_body(c, members, G_N_ELEMENTS(members), &body);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    const char *code = body_text(body, "credit_code");
    char *actor = auth_actor(c);
    rc = seal_store_institution_register(c->store, body_text(body, "name"), code, actor, NULL);
    if (rc < 0) {
        rc = call_refused(c, rc, NULL);
    } else {
        http_response_header(c->resp, "Location", "/api/v1/institutions/%s", code);
        rc = institution_answer(c, code, 201);
        c->resp->outcome = "created";
    }
    g_free(actor);
    json_decref(body);
    return rc;
}

/* ---- people ---- */

static json_t *person_json(const seal_person_record *p)
{
    return json_pack("{s:I, s:s, s:s, s:o, s:o}", "id", (json_int_t)p->id, "name", p->name,
                     "resident_id", p->id_masked, "mobile",
                     json_text(*p->mobile_masked ? p->mobile_masked : NULL), "created",
                     json_time(p->created));
}

int route_people(call *c)
{
    seal_person_record *list = NULL;
    size_t n = 0;
    int rc = seal_store_person_list(c->store, &list, &n);
    if (rc < 0)
        return rc;
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, person_json(&list[i]));
    seal_person_records_free(list, n);
    return call_json(c, 200, json_pack("{s:o}", "people", arr));
}

/* Person `id` (masked) with their roles. */
static int person_answer(call *c, int64_t id, unsigned status)
{
    seal_person_record p = {0};
    seal_role_record *roles = NULL;
    size_t n = 0;
    int rc = seal_store_person_get(c->store, id, &p);
    if (rc == 0)
        rc = seal_store_role_list(c->store, NULL, id, &roles, &n);
    if (rc < 0) {
        rc = call_refused(c, rc, "person-not-found");
    } else {
        json_t *j = person_json(&p);
        json_object_set_new(j, "roles", roles_json(roles, n));
        rc = call_json(c, status, j);
    }
    seal_role_records_free(roles, n);
    seal_person_record_clear(&p);
    return rc;
}

int route_person(call *c)
{
    int64_t id = 0;
    if (call_path_number(c, c->id, "person-not-found", &id))
        return 0;
    return person_answer(c, id, 200);
}

int route_person_create(call *c)
{
    static const body_member members[] = {{"name", BODY_STRING, true},
                                          {"resident_id", BODY_STRING, true},
                                          {"mobile", BODY_STRING, false}};
    json_t *body = NULL;
    int rc = call_json_body(c, members, G_N_ELEMENTS(members), &body);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    char *actor = auth_actor(c);
    int64_t id = 0;
    rc = seal_store_person_add(c->store, body_text(body, "name"), body_text(body, "resident_id"),
                               body_text(body, "mobile"), actor, &id);
    if (rc < 0) {
        rc = call_refused(c, rc, NULL);
    } else {
        http_response_header(c->resp, "Location", "/api/v1/people/%lld", (long long)id);
        rc = person_answer(c, id, 201);
        c->resp->outcome = "created";
    }
    g_free(actor);
    json_decref(body);
    return rc;
}

/* The person's roles, as the answer to a change of them. */
static int roles_answer(call *c, int64_t person, unsigned status)
{
    seal_role_record *roles = NULL;
    size_t n = 0;
    int rc = seal_store_role_list(c->store, NULL, person, &roles, &n);
    if (rc < 0)
        return rc;
    rc = call_json(
        c, status,
        json_pack("{s:I, s:o}", "person", (json_int_t)person, "roles", roles_json(roles, n)));
    seal_role_records_free(roles, n);
    return rc;
}

/* The person of the path: 0, or 1 when it answered 404. */
static int path_person(call *c, int64_t *id)
{
    seal_person_record p = {0};
    if (call_path_number(c, c->id, "person-not-found", id))
        return 1;
    int rc = seal_store_person_get(c->store, *id, &p);
    seal_person_record_clear(&p);
    if (rc == 0)
        return 0;
    rc = call_refused(c, rc, "person-not-found");
    return rc < 0 ? rc : 1;
}

int route_person_role_add(call *c)
{
    static const body_member members[] = {{"institution", BODY_STRING, true},
                                          {"role", BODY_STRING, true}};
    int64_t person = 0;
    json_t *body = NULL;
    int rc = path_person(c, &person);
    if (rc == 0)
        rc = call_json_body(c, members, G_N_ELEMENTS(members), &body);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    const char *role = body_text(body, "role");
    char *actor = NULL;
    if (seal_role_check(role) < 0) {
        rc = call_bad_field(c, "role", "%s", seal_error_last());
        goto out;
    }
    actor = auth_actor(c);
    rc = seal_store_role_grant(c->store, body_text(body, "institution"), person, role, actor);
    if (rc < 0) {
        rc = call_refused(c, rc, NULL);
        goto out;
    }
    rc = roles_answer(c, person, 201);
    c->resp->outcome = "created";
out:
    g_free(actor);
    json_decref(body);
    return rc < 0 ? rc : 0;
}

int route_person_role_remove(call *c)
{
    int64_t person = 0;
    int rc = path_person(c, &person);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    const char *code = http_request_query(c->req, "institution");
    if (!code || !*code) {
        call_bad_field(c, "institution",
                       "which institution? the institution query parameter (its credit code)");
        return 0;
    }
    if (seal_role_check(c->sub) < 0) {
        call_bad_field(c, "role", "%s", seal_error_last());
        return 0;
    }
    char *actor = auth_actor(c);
    rc = seal_store_role_revoke(c->store, code, person, c->sub, actor);
    g_free(actor);
    if (rc < 0)
        return call_refused(c, rc, "role-not-found");
    return roles_answer(c, person, 200);
}

/* ---- API keys ---- */

static json_t *apikey_json(const seal_apikey_record *r, time_t now)
{
    const char *state = r->revoked                        ? "revoked"
                        : r->expires && r->expires <= now ? "expired"
                                                          : "active";
    return json_pack("{s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o}", "id", r->id, "role", r->role,
                     "institution", json_text(r->institution), "label", json_text(r->label),
                     "state", state, "created", json_time(r->created), "expires",
                     json_time(r->expires), "revoked", json_time(r->revoked));
}

int route_apikeys(call *c)
{
    seal_apikey_record *list = NULL;
    size_t n = 0;
    int rc = seal_store_apikey_list(c->store, &list, &n);
    if (rc < 0)
        return rc;
    json_t *arr = json_array();
    time_t now = time(NULL);
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, apikey_json(&list[i], now));
    seal_apikey_records_free(list, n);
    return call_json(c, 200, json_pack("{s:o}", "apikeys", arr));
}

int route_apikey_create(call *c)
{
    static const body_member members[] = {{"role", BODY_STRING, true},
                                          {"institution", BODY_STRING, false},
                                          {"label", BODY_STRING, false},
                                          {"expires", BODY_TIME, false}};
    json_t *body = NULL;
    char *key = NULL, *actor = NULL;
    int rc = call_json_body(c, members, G_N_ELEMENTS(members), &body);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    seal_apikey_record r = {
        .role = (char *)body_text(body, "role"),
        .institution = (char *)body_text(body, "institution"),
        .label = (char *)body_text(body, "label"),
        .expires = body_time(body, "expires", 0),
    };
    if (seal_apikey_role_check(r.role) < 0) {
        rc = call_bad_field(c, "role", "%s", seal_error_last());
        goto out;
    }
    actor = auth_actor(c);
    rc = seal_store_apikey_create(c->store, &r, &key, actor);
    if (rc < 0) {
        rc = call_refused(c, rc, NULL);
        goto out;
    }
    json_t *j = apikey_json(&r, time(NULL));
    json_object_set_new(j, "key", json_string(key));
    rc = call_json(c, 201, j);
    c->resp->outcome = "created";
out:
    if (key)
        OPENSSL_cleanse(key, strlen(key));
    g_free(key);
    g_free(actor);
    json_decref(body);
    return rc < 0 ? rc : 0;
}

int route_apikey_revoke(call *c)
{
    json_t *body = NULL;
    seal_apikey_record *list = NULL;
    size_t n = 0;
    int rc = call_json_body(c, NULL, 0, &body);
    json_decref(body);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    char *actor = auth_actor(c);
    rc = seal_store_apikey_revoke(c->store, c->id, actor);
    g_free(actor);
    if (rc < 0)
        return call_refused(c, rc, "apikey-not-found");
    /* The key as it is now, as the list shows it. */
    SEAL_TRY(seal_store_apikey_list(c->store, &list, &n));
    size_t i = 0;
    while (i < n && strcmp(list[i].id, c->id) != 0)
        i++;
    SEAL_ENSURE(i < n, SEAL_ESTORE, "API key %s is gone from the store", c->id);
    rc = call_json(c, 200, apikey_json(&list[i], time(NULL)));
out:
    seal_apikey_records_free(list, n);
    return rc;
}
