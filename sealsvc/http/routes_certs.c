/* Certificates the platform's CA issued, by serial: their revocation status at a time
 * (GET .../status, any key: what `sealsvc cert status` says, judged by the same revocation
 * context, seal_verify_revocation_new and seal_pki_status_at, over the CRLs the platform
 * published) and the CA's operations under the service agreements, revoke, freeze and
 * unfreeze (admin: seal/ca.h as `sealsvc ca` calls it; each audited with the API key's id
 * and followed by a new CRL). */
#include "service.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/revocation.h>
#include <seal/verify.h>

#include <string.h>

/* The certificate of the path from the CA database: 0, or 1 when it answered (404; 400
 * for a serial that is not hex), or an error. */
static int path_certificate(call *c, seal_ca_record *rec, X509 **cert)
{
    int rc = seal_store_ca_find(c->store, c->id, NULL, rec);
    if (rc == SEAL_ENOTFOUND || rc == SEAL_EINVAL) {
        http_problem(c->resp, c->req, rc == SEAL_EINVAL ? 400 : 404,
                     rc == SEAL_EINVAL ? "invalid-request" : "certificate-not-found", NULL, "%s",
                     seal_error_last());
        return 1;
    }
    if (rc < 0)
        return rc;
    return seal_cert_load_mem(cert, rec->der.data, rec->der.len);
}

/* The platform certificate that issued `cert` (its names and key identifiers, RFC 5280
 * 4.2.1.1; the CRL's signature then proves the key). */
static int platform_issuer(seal_store *st, X509 *cert, X509 **out)
{
    STACK_OF(X509) *own = NULL;
    int rc = seal_store_party_list(st, NULL, &own);
    for (int i = 0; rc == 0 && !*out && i < sk_X509_num(own); i++)
        if (X509_check_issued(sk_X509_value(own, i), cert) == X509_V_OK &&
            X509_up_ref(sk_X509_value(own, i)))
            *out = sk_X509_value(own, i);
    sk_X509_pop_free(own, X509_free);
    if (rc == 0 && !*out)
        rc = seal_error_set(SEAL_ENOTFOUND, "the issuer of the certificate is not among the "
                                            "platform's certificates");
    return rc;
}

static json_t *status_json(X509 *cert, X509 *issuer, time_t at, const seal_cert_status *st)
{
    const seal_evidence *e = &st->evidence;
    char *cn = seal_cert_subject_cn(cert), *issuer_cn = seal_cert_subject_cn(issuer);
    char *serial = seal_cert_serial_hex(cert);
    const char *reason = seal_crl_reason_name(st->reason);
    bool listed =
        st->state == SEAL_CERT_REVOKED || st->state == SEAL_CERT_SUSPENDED || st->revoked_later;
    json_t *evidence = json_null();
    if (e->kind != SEAL_EVIDENCE_NONE)
        evidence = json_pack(
            "{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "kind",
            e->kind == SEAL_EVIDENCE_CRL ? "crl" : "ocsp", "source", e->source ? e->source : "",
            "signer", e->signer ? e->signer : "", "this_update", json_time(e->this_update),
            "next_update", json_time(e->next_update), "produced_at", json_time(e->produced_at),
            "fetched_at", json_time(e->fetched_at), "crl_number", json_text(e->crl_number));
    json_t *j =
        json_pack("{s:{s:s, s:s, s:s}, s:o, s:s, s:o, s:o, s:b, s:o, s:s, s:o}", "certificate",
                  "name", cn ? cn : "", "serial", serial, "issuer", issuer_cn ? issuer_cn : "",
                  "at", json_time(at), "status", seal_cert_state_name(st->state), "revoked_at",
                  listed ? json_time(st->revoked_at) : json_null(), "reason",
                  json_text(listed ? reason : NULL), "revoked_later", (int)st->revoked_later,
                  "invalidity_date", json_time(st->invalidity_date), "detail", st->detail,
                  "evidence", evidence);
    free(cn);
    free(issuer_cn);
    g_free(serial);
    return j;
}

int route_cert_status(call *c)
{
    seal_ca_record rec = {0};
    X509 *cert = NULL, *issuer = NULL;
    seal_revocation *rv = NULL;
    seal_cert_status status = {0};
    time_t at = time(NULL);
    int rc = call_query_time(c, "at", &at);
    if (rc == 0)
        rc = path_certificate(c, &rec, &cert);
    if (rc != 0)
        goto out;
    SEAL_TRY(platform_issuer(c->store, cert, &issuer));
    SEAL_TRY(seal_verify_revocation_new(&rv, c->store, c->svc->cfg->data_dir,
                                        c->svc->cfg->verify_offline, NULL, 0));
    SEAL_TRY(seal_pki_status_at(&status, rv, cert, issuer, at));
    rc = call_json(c, 200, status_json(cert, issuer, at, &status));
    c->resp->outcome = seal_cert_state_name(status.state);
out:
    seal_cert_status_clear(&status);
    seal_revocation_free(rv);
    X509_free(cert);
    X509_free(issuer);
    seal_ca_record_clear(&rec);
    return rc < 0 ? rc : 0;
}

/* The CA database's record of the certificate, as the answer to an operation on it. */
static json_t *record_json(const seal_ca_record *r, const char *ca_name)
{
    const char *reason = r->state != SEAL_CA_GOOD ? seal_crl_reason_name(r->reason) : NULL;
    char *crl = g_strdup_printf("/crl/%s.crl", ca_name);
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:s}", "serial", r->serial, "subject",
        r->subject, "issuer", r->issuer, "role", r->role, "not_before", json_time(r->not_before),
        "not_after", json_time(r->not_after), "state", seal_ca_state_name(r->state), "since",
        r->state != SEAL_CA_GOOD ? json_time(r->revoked_at) : json_null(), "reason",
        json_text(reason), "replaced_by", json_text(r->replaced_by), "crl", crl);
    g_free(crl);
    return j;
}

typedef enum ca_operation { CA_REVOKE, CA_FREEZE, CA_UNFREEZE } ca_operation;

static int ca_common(call *c, ca_operation op)
{
    static const body_member revoke_members[] = {{"reason", BODY_STRING, false},
                                                 {"invalidity_date", BODY_TIME, false}};
    static const seal_ca_state targets[] = {SEAL_CA_REVOKED, SEAL_CA_HOLD, SEAL_CA_GOOD};
    json_t *body = NULL;
    seal_ca_record rec = {0}, after = {0};
    X509 *cert = NULL;
    seal_ca *ca = NULL;
    char *actor = NULL;
    int reason = 0;
    int rc = call_json_body(c, revoke_members, op == CA_REVOKE ? G_N_ELEMENTS(revoke_members) : 0,
                            &body);
    if (rc == 0)
        rc = path_certificate(c, &rec, &cert);
    if (rc != 0)
        goto out;
    const char *reason_text = body_text(body, "reason");
    if (reason_text && seal_crl_reason_parse(&reason, reason_text) < 0) {
        rc = call_bad_field(c, "reason", "%s", seal_error_last());
        goto out;
    }
    SEAL_TRY(seal_ca_open_issuer_of(&ca, c->store, cert));
    actor = auth_actor(c);
    if (op == CA_REVOKE)
        rc = seal_ca_revoke(ca, rec.serial, reason, body_time(body, "invalidity_date", 0), actor);
    else if (op == CA_FREEZE)
        rc = seal_ca_freeze(ca, rec.serial, actor);
    else
        rc = seal_ca_unfreeze(ca, rec.serial, actor);
    if (rc == SEAL_EEXISTS || rc == SEAL_EPOLICY) {
        /* revoked already, frozen already, or not frozen: the state names why */
        rc = http_problem(c->resp, c->req, 409, "transition-not-allowed",
                          json_pack("{s:s, s:s}", "state", seal_ca_state_name(rec.state),
                                    "target_state", seal_ca_state_name(targets[op])),
                          "%s", seal_error_last());
        goto out;
    }
    if (rc < 0) {
        rc = call_refused(c, rc, "certificate-not-found");
        goto out;
    }
    SEAL_TRY(seal_store_ca_find(c->store, rec.serial, seal_ca_key_id(ca), &after));
    rc = call_json(c, 200, record_json(&after, seal_ca_name(ca)));
out:
    g_free(actor);
    seal_ca_free(ca);
    X509_free(cert);
    seal_ca_record_clear(&rec);
    seal_ca_record_clear(&after);
    json_decref(body);
    return rc < 0 ? rc : 0;
}

int route_cert_revoke(call *c)
{
    return ca_common(c, CA_REVOKE);
}

int route_cert_freeze(call *c)
{
    return ca_common(c, CA_FREEZE);
}

int route_cert_unfreeze(call *c)
{
    return ca_common(c, CA_UNFREEZE);
}
