/* A seal's lifecycle over HTTP (docs/lifecycle.md): its events (GET; POST one to file,
 * activate, freeze, unfreeze, report it lost or cancel it), its state at a time, and the
 * wrong-PIN lock an administrator sets or clears. The store calls `sealsvc seal` makes
 * (seal_store_seal_action, _seal_history, _seal_state_at), audited with the API key's id
 * as the actor; a transition the seal's state does not allow is 409 naming both states. */
#include "service.h"

#include <seal/error.h>

#include <string.h>

/* A key that acts for one institution reads only its seals' lifecycle: 0, or 1 when it
 * answered (404, 403). Others read any seal's, and an application's (no seal yet). */
static int scope(call *c)
{
    if (!call_institution(c))
        return 0;
    seal_record r = {0};
    int rc = auth_seal(c, c->id, &r);
    seal_record_clear(&r);
    return rc;
}

static json_t *event_json(const seal_state_event *e)
{
    return json_pack("{s:o, s:s, s:o, s:s, s:s, s:s}", "at", json_time(e->at), "event", e->event,
                     "from", json_text(e->from), "to", e->to, "actor", e->actor, "why", e->why);
}

int route_seal_events(call *c)
{
    seal_state_event *events = NULL;
    size_t n = 0;
    int rc = scope(c);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    SEAL_TRY(seal_store_seal_history(c->store, c->id, &events, &n));
    if (n == 0) {
        /* a seal stored without its lifecycle (seal_store_add_seal) has no events */
        seal_record r = {0};
        rc = seal_store_get_seal(c->store, c->id, &r);
        seal_record_clear(&r);
        if (rc < 0) {
            rc = call_refused(c, rc, "seal-not-found");
            goto out;
        }
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        json_array_append_new(arr, event_json(&events[i]));
    rc = call_json(c, 200, json_pack("{s:s, s:o}", "seal", c->id, "events", arr));
out:
    seal_state_events_free(events, n);
    return rc;
}

/* 409: the seal is in a state `event` cannot leave, named with the state it would lead to. */
static int transition_refused(call *c, const char *event, const char *target)
{
    char *why = g_strdup(seal_error_last());
    char *state = NULL;
    if (seal_store_seal_state_at(c->store, c->id, time(NULL), &state) < 0)
        seal_error_clear();
    int rc = http_problem(
        c->resp, c->req, 409, "transition-not-allowed",
        json_pack("{s:s?, s:s, s:s}", "state", state, "target_state", target, "event", event),
        "%s (%s leads to %s)", why, event, target);
    g_free(state);
    g_free(why);
    return rc;
}

int route_seal_event_add(call *c)
{
    static const body_member members[] = {{"event", BODY_STRING, true},
                                          {"reason", BODY_STRING, true}};
    json_t *body = NULL;
    seal_state_event *events = NULL;
    size_t n = 0;
    char *actor = NULL;
    const char *target = NULL;
    int rc = call_json_body(c, members, G_N_ELEMENTS(members), &body);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    const char *event = body_text(body, "event");
    if (seal_lifecycle_target(event, &target) < 0) {
        rc = call_bad_field(c, "event", "%s", seal_error_last());
        goto out;
    }
    actor = auth_actor(c);
    rc = seal_store_seal_action(c->store, c->id, event, actor, body_text(body, "reason"));
    if (rc == SEAL_EPOLICY) {
        rc = transition_refused(c, event, target);
        goto out;
    }
    if (rc < 0) {
        rc = call_refused(c, rc, "seal-not-found");
        goto out;
    }
    /* The change just made is the seal's last event. */
    SEAL_TRY(seal_store_seal_history(c->store, c->id, &events, &n));
    SEAL_ENSURE(n > 0, SEAL_ESTORE, "seal %s has no recorded lifecycle", c->id);
    json_t *j = event_json(&events[n - 1]);
    json_object_set_new(j, "seal", json_string(c->id));
    http_response_header(c->resp, "Location", "/api/v1/seals/%s/events", c->id);
    rc = call_json(c, 201, j);
    c->resp->outcome = "created";
out:
    seal_state_events_free(events, n);
    g_free(actor);
    json_decref(body);
    return rc < 0 ? rc : 0;
}

int route_seal_state(call *c)
{
    time_t at = time(NULL);
    seal_state_event *events = NULL;
    size_t n = 0;
    seal_record r = {0};
    char *state = NULL;
    int rc = scope(c);
    if (rc == 0)
        rc = call_query_time(c, "at", &at);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    SEAL_TRY(seal_store_seal_history(c->store, c->id, &events, &n));
    rc = seal_store_get_seal(c->store, c->id, &r);
    if (rc == SEAL_ENOTFOUND && n > 0) /* an application: no seal yet */
        seal_error_clear();
    else if (rc < 0) {
        rc = call_refused(c, rc, "seal-not-found");
        goto out;
    }
    rc = seal_store_seal_state_at(c->store, c->id, at, &state);
    if (rc == SEAL_ENOTFOUND) /* it did not exist yet then */
        seal_error_clear();
    else
        SEAL_TRY(rc);
    json_t *j =
        json_pack("{s:s, s:o, s:o}", "seal", c->id, "at", json_time(at), "state", json_text(state));
    if (r.id)
        json_object_set_new(j, "locked", json_boolean(r.locked));
    rc = call_json(c, 200, j);
out:
    g_free(state);
    seal_record_clear(&r);
    seal_state_events_free(events, n);
    return rc;
}

/* The lock: "lock" or "unlock", with an optional reason for the audit trail. */
static int lock_common(call *c, const char *action)
{
    static const body_member members[] = {{"reason", BODY_STRING, false}};
    json_t *body = NULL;
    seal_record before = {0}, after = {0};
    int rc = call_json_body(c, members, G_N_ELEMENTS(members), &body);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    char *actor = auth_actor(c);
    rc = seal_store_get_seal(c->store, c->id, &before);
    if (rc == 0)
        rc = seal_store_seal_action(c->store, c->id, action, actor, body_text(body, "reason"));
    if (rc == 0)
        rc = seal_store_get_seal(c->store, c->id, &after);
    if (rc < 0) {
        rc = call_refused(c, rc, "seal-not-found");
    } else {
        rc = call_json(c, 200,
                       json_pack("{s:s, s:s, s:b, s:i, s:i}", "seal", c->id, "state", after.state,
                                 "locked", (int)after.locked, "pin_failures", after.pin_failures,
                                 "pin_failures_before", before.pin_failures));
    }
    g_free(actor);
    json_decref(body);
    seal_record_clear(&before);
    seal_record_clear(&after);
    return rc;
}

int route_seal_lock(call *c)
{
    return lock_common(c, "lock");
}

int route_seal_unlock(call *c)
{
    return lock_common(c, "unlock");
}
