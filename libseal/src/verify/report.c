/* The verification report model: the verifiers (PDF, OFD) add one entry per signature and
 * record each check as they run it; the worst outcome becomes the signature's verdict and
 * seal_report_finish() folds the signatures into the overall verdict (ETSI EN 319 102-1
 * main indications; reasons are DSS-style sub-indications, PDF-SIGN.md section 6). */
#include <seal/error.h>
#include <seal/report.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *seal_verdict_name(seal_verdict v)
{
    switch (v) {
    case SEAL_VERDICT_VALID:
        return "VALID";
    case SEAL_VERDICT_INVALID:
        return "INVALID";
    case SEAL_VERDICT_INDETERMINATE:
        return "INDETERMINATE";
    }
    return "INDETERMINATE";
}

/* INVALID outranks INDETERMINATE, which outranks VALID. */
static int severity(seal_verdict v)
{
    switch (v) {
    case SEAL_VERDICT_VALID:
        return 0;
    case SEAL_VERDICT_INDETERMINATE:
        return 1;
    case SEAL_VERDICT_INVALID:
        return 2;
    }
    return 1;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

int seal_report_new(seal_report **out, const char *file, const char *format)
{
    *out = NULL;
    seal_report *r = calloc(1, sizeof *r);
    if (!r)
        return seal_error_set(SEAL_ENOMEM, "out of memory for the verification report");
    r->file = dup_or_null(file);
    r->format = dup_or_null(format);
    r->verdict = SEAL_VERDICT_INDETERMINATE;
    r->size = -1;
    if ((file && !r->file) || (format && !r->format)) {
        seal_report_free(r);
        return seal_error_set(SEAL_ENOMEM, "out of memory for the verification report");
    }
    *out = r;
    return 0;
}

static void cert_clear(seal_cert_report *c)
{
    free(c->role);
    free(c->subject);
    free(c->issuer);
    free(c->serial);
    free(c->status);
    seal_buf_clear(&c->der);
    free(c->evidence_kind);
    free(c->evidence_source);
    free(c->evidence_signer);
    free(c->crl_number);
    seal_buf_clear(&c->evidence_der);
    seal_buf_clear(&c->delta_der);
}

static void sig_clear(seal_sig_report *s)
{
    free(s->field_name);
    free(s->kind);
    free(s->signer_name);
    free(s->signer_subject);
    free(s->signer_issuer);
    free(s->signer_serial);
    free(s->signer_org);
    free(s->signer_org_id);
    free(s->seal_name);
    free(s->grant_id);
    free(s->grant_project);
    free(s->grant_grantee);
    free(s->algorithm);
    free(s->digest);
    free(s->time_source);
    free(s->coverage);
    free(s->reason);
    for (size_t i = 0; i < s->n_checks; i++) {
        free(s->checks[i].name);
        free(s->checks[i].detail);
    }
    free(s->checks);
    for (size_t i = 0; i < s->n_changes; i++)
        free(s->changes[i]);
    free(s->changes);
    free(s->widgets);
    if (s->picture) {
        seal_buf_clear(&s->picture->seal_png);
        seal_buf_clear(&s->picture->thumbnail_png);
        free(s->picture);
    }
    for (size_t i = 0; i < s->n_certs; i++)
        cert_clear(&s->certs[i]);
    free(s->certs);
}

void seal_report_free(seal_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_sigs; i++)
        sig_clear(&r->sigs[i]);
    free(r->sigs);
    free(r->file);
    free(r->format);
    free(r->reason);
    free(r->sha256);
    free(r->sm3);
    free(r);
}

int seal_report_add_sig(seal_report *r, seal_sig_report **out)
{
    *out = NULL;
    seal_sig_report *grown = realloc(r->sigs, (r->n_sigs + 1) * sizeof *grown);
    if (!grown)
        return seal_error_set(SEAL_ENOMEM, "out of memory for the verification report");
    r->sigs = grown;
    seal_sig_report *s = &r->sigs[r->n_sigs++];
    memset(s, 0, sizeof *s);
    s->verdict = SEAL_VERDICT_VALID;
    *out = s;
    return 0;
}

int seal_sig_add_check(seal_sig_report *s, const char *name, seal_verdict outcome,
                       const char *reason, const char *fmt, ...)
{
    int rc = 0;
    char *detail = NULL;
    char *name_copy = strdup(name);
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&detail, fmt, ap);
    va_end(ap);
    if (n < 0)
        detail = NULL;
    SEAL_ENSURE(name_copy && detail, SEAL_ENOMEM, "out of memory for the verification report");

    seal_check *grown = realloc(s->checks, (s->n_checks + 1) * sizeof *grown);
    SEAL_ENSURE(grown, SEAL_ENOMEM, "out of memory for the verification report");
    s->checks = grown;
    s->checks[s->n_checks++] = (seal_check){name_copy, outcome, detail};
    name_copy = NULL;
    detail = NULL;

    /* The first reason of the worst outcome stays: later checks often fail only as a
     * consequence of the first (no digest, so no signature check...). */
    if (severity(outcome) > severity(s->verdict)) {
        s->verdict = outcome;
        free(s->reason);
        s->reason = dup_or_null(reason);
        SEAL_ENSURE(!reason || s->reason, SEAL_ENOMEM, "out of memory for the verification report");
    }
out:
    free(name_copy);
    free(detail);
    return rc;
}

int seal_sig_add_change(seal_sig_report *s, const char *fmt, ...)
{
    char *line = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return seal_error_set(SEAL_ENOMEM, "out of memory for the verification report");
    char **grown = realloc(s->changes, (s->n_changes + 1) * sizeof *grown);
    if (!grown) {
        free(line);
        return seal_error_set(SEAL_ENOMEM, "out of memory for the verification report");
    }
    s->changes = grown;
    s->changes[s->n_changes++] = line;
    return 0;
}

int seal_sig_add_widget(seal_sig_report *s, int page, const double rect[4])
{
    seal_widget_report *grown = realloc(s->widgets, (s->n_widgets + 1) * sizeof *grown);
    if (!grown)
        return seal_error_set(SEAL_ENOMEM, "out of memory for the verification report");
    s->widgets = grown;
    seal_widget_report *w = &s->widgets[s->n_widgets++];
    w->page = page;
    memcpy(w->rect, rect, sizeof w->rect);
    return 0;
}

int seal_sig_add_cert(seal_sig_report *s, seal_cert_report **out)
{
    *out = NULL;
    seal_cert_report *grown = realloc(s->certs, (s->n_certs + 1) * sizeof *grown);
    if (!grown)
        return seal_error_set(SEAL_ENOMEM, "out of memory for the verification report");
    s->certs = grown;
    seal_cert_report *c = &s->certs[s->n_certs++];
    memset(c, 0, sizeof *c);
    c->outcome = SEAL_VERDICT_VALID;
    *out = c;
    return 0;
}

void seal_report_finish(seal_report *r)
{
    free(r->reason);
    r->reason = NULL;
    if (r->n_sigs == 0) {
        r->verdict = SEAL_VERDICT_INDETERMINATE;
        r->reason = strdup("NO_SIGNATURE");
        return;
    }
    r->verdict = SEAL_VERDICT_VALID;
    for (size_t i = 0; i < r->n_sigs; i++) {
        const seal_sig_report *s = &r->sigs[i];
        if (severity(s->verdict) > severity(r->verdict)) {
            r->verdict = s->verdict;
            free(r->reason);
            r->reason = dup_or_null(s->reason);
        }
    }
}
