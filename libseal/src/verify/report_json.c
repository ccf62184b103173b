/* The verification report as JSON, for programs (the HTTP API and `sealsvc verify --json`).
 * One object per report; field names are those of seal_report and seal_sig_report, times
 * are ISO 8601 UTC, absent values are null; pictures (when asked for) are base64 PNG. */
#include <seal/error.h>
#include <seal/report.h>

#include <glib.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* NULL strings become JSON null; jansson refuses invalid UTF-8, which we turn into null
 * as well rather than failing the whole report. */
static json_t *str_or_null(const char *s)
{
    json_t *j = s ? json_string(s) : NULL;
    return j ? j : json_null();
}

static json_t *time_or_null(time_t t)
{
    if (t == 0)
        return json_null();
    struct tm tm;
    char text[32];
    if (!gmtime_r(&t, &tm) || strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return json_null();
    return json_string(text);
}

/* Bytes as base64 text (RFC 4648 4), for the pictures a page shows as data: URLs. */
static json_t *base64_of(const seal_buf *b)
{
    gchar *text = g_base64_encode(b->data, b->len);
    json_t *j = text ? json_string(text) : NULL;
    g_free(text);
    return j;
}

/* Present only when pictures were asked for (seal_verify_file_opts.pictures), so the
 * report of `sealsvc verify --json` stays as it was. */
static int add_picture(json_t *sig, const seal_sig_picture *p)
{
    json_t *j = json_pack("{s:i, s:[f, f], s:[f, f, f, f], s:o, s:o}", "page", p->page,
                          "page_size_mm", p->page_mm[0], p->page_mm[1], "box_mm", p->box_mm[0],
                          p->box_mm[1], p->box_mm[2], p->box_mm[3], "seal_png",
                          base64_of(&p->seal_png), "thumbnail_png", base64_of(&p->thumbnail_png));
    if (!j || json_object_set_new(sig, "picture", j) != 0)
        return seal_error_set(SEAL_ENOMEM, "out of memory for the JSON report");
    return 0;
}

/* The verdict in the vocabulary of ETSI EN 319 102-1 with the sentences for people. */
static json_t *status_to_json(seal_verdict v, const char *reason)
{
    seal_status st;
    seal_status_of(v, reason, &st);
    return json_pack("{s:s, s:o, s:o, s:s, s:s}", "indication",
                     seal_etsi_indication_name(st.indication), "sub_indication",
                     str_or_null(st.sub_indication), "detail", str_or_null(st.detail), "en", st.en,
                     "zh", st.zh);
}

static json_t *sha256_or_null(const seal_buf *b)
{
    if (b->len == 0)
        return json_null();
    gchar *hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, b->data, b->len);
    json_t *j = str_or_null(hex);
    g_free(hex);
    return j;
}

static json_t *cert_to_json(const seal_cert_report *c)
{
    json_t *evidence =
        c->evidence_kind
            ? json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "kind",
                        str_or_null(c->evidence_kind), "source", str_or_null(c->evidence_source),
                        "signer", str_or_null(c->evidence_signer), "crl_number",
                        str_or_null(c->crl_number), "this_update", time_or_null(c->this_update),
                        "next_update", time_or_null(c->next_update), "produced_at",
                        time_or_null(c->produced_at), "sha256", sha256_or_null(&c->evidence_der),
                        "delta_sha256", sha256_or_null(&c->delta_der))
            : NULL;
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "role",
                     str_or_null(c->role), "subject", str_or_null(c->subject), "issuer",
                     str_or_null(c->issuer), "serial", str_or_null(c->serial), "not_before",
                     time_or_null(c->not_before), "not_after", time_or_null(c->not_after), "status",
                     str_or_null(c->status), "outcome", seal_verdict_name(c->outcome), "revoked_at",
                     time_or_null(c->revoked_at), "sha256", sha256_or_null(&c->der), "evidence",
                     evidence ? evidence : json_null());
}

static json_t *sig_to_json(const seal_sig_report *s)
{
    json_t *checks = json_array();
    for (size_t i = 0; checks && i < s->n_checks; i++)
        json_array_append_new(checks,
                              json_pack("{s:o, s:s, s:o}", "name", str_or_null(s->checks[i].name),
                                        "outcome", seal_verdict_name(s->checks[i].outcome),
                                        "detail", str_or_null(s->checks[i].detail)));
    json_t *changes = json_array();
    for (size_t i = 0; changes && i < s->n_changes; i++)
        json_array_append_new(changes, str_or_null(s->changes[i]));

    json_t *signer = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name", str_or_null(s->signer_name), "subject",
        str_or_null(s->signer_subject), "organization", str_or_null(s->signer_org),
        "organization_id", str_or_null(s->signer_org_id), "issuer", str_or_null(s->signer_issuer),
        "serial", str_or_null(s->signer_serial), "not_before", time_or_null(s->signer_not_before),
        "not_after", time_or_null(s->signer_not_after));
    json_t *rect = json_pack("[f, f, f, f]", s->rect[0], s->rect[1], s->rect[2], s->rect[3]);
    json_t *page = s->page > 0 ? json_integer(s->page) : json_null();
    json_t *widgets = json_array();
    for (size_t i = 0; widgets && i < s->n_widgets; i++) {
        const seal_widget_report *w = &s->widgets[i];
        json_array_append_new(widgets,
                              json_pack("{s:o, s:[f, f, f, f]}", "page",
                                        w->page > 0 ? json_integer(w->page) : json_null(), "rect",
                                        w->rect[0], w->rect[1], w->rect[2], w->rect[3]));
    }

    json_t *grant = s->grant_id ? json_pack("{s:o, s:o, s:o}", "id", str_or_null(s->grant_id),
                                            "project", str_or_null(s->grant_project), "grantee",
                                            str_or_null(s->grant_grantee))
                                : NULL;

    json_t *certs = json_array();
    for (size_t i = 0; certs && i < s->n_certs; i++)
        json_array_append_new(certs, cert_to_json(&s->certs[i]));

    /* json_pack with "o" steals every reference, also when it fails. */
    json_t *document = s->document > 0 ? json_integer(s->document) : json_null();
    json_t *status = status_to_json(s->verdict, s->reason);
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, "
                     "s:s, s:o, s:o, s:o, s:o, s:o}",
                     "field", str_or_null(s->field_name), "kind", str_or_null(s->kind), "signer",
                     signer ? signer : json_null(), "seal", str_or_null(s->seal_name), "grant",
                     grant ? grant : json_null(), "algorithm", str_or_null(s->algorithm), "digest",
                     str_or_null(s->digest), "signing_time", time_or_null(s->signing_time),
                     "time_source", str_or_null(s->time_source), "coverage",
                     str_or_null(s->coverage), "document", document, "page", page, "rect",
                     rect ? rect : json_null(), "visible", (int)s->visible, "widgets",
                     widgets ? widgets : json_null(), "verdict", seal_verdict_name(s->verdict),
                     "reason", str_or_null(s->reason), "checks", checks ? checks : json_null(),
                     "changes", changes ? changes : json_null(), "status",
                     status ? status : json_null(), "certificates", certs ? certs : json_null());
}

int seal_report_to_json(const seal_report *r, seal_buf *out)
{
    int rc = 0;
    char *text = NULL;
    json_t *sigs = json_array();
    SEAL_ENSURE(sigs, SEAL_ENOMEM, "out of memory for the JSON report");
    for (size_t i = 0; i < r->n_sigs; i++) {
        json_t *one = sig_to_json(&r->sigs[i]);
        SEAL_ENSURE(one && json_array_append_new(sigs, one) == 0, SEAL_ENOMEM,
                    "out of memory for the JSON report");
        if (r->sigs[i].picture)
            SEAL_TRY(add_picture(one, r->sigs[i].picture));
    }
    json_t *status = status_to_json(r->verdict, r->reason);
    json_t *root = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o}", "file",
                             str_or_null(r->file), "format", str_or_null(r->format), "size",
                             r->size >= 0 ? json_integer(r->size) : json_null(), "sha256",
                             str_or_null(r->sha256), "sm3", str_or_null(r->sm3), "verified_at",
                             time_or_null(r->verified_at), "verdict", seal_verdict_name(r->verdict),
                             "reason", str_or_null(r->reason), "status",
                             status ? status : json_null(), "signatures", sigs);
    sigs = NULL; /* stolen by json_pack */
    SEAL_ENSURE(root, SEAL_ENOMEM, "out of memory for the JSON report");
    text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    SEAL_ENSURE(text, SEAL_ENOMEM, "out of memory for the JSON report");
    SEAL_TRY(seal_buf_set(out, text, strlen(text)));
    SEAL_TRY(seal_buf_append_byte(out, '\n'));
out:
    free(text);
    json_decref(sigs);
    return rc;
}
