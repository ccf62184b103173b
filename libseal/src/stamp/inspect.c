/* The stamp driver's look at its input before it plans a seal (driver.c calls these once the
 * document is open): the document's own signatures must still verify (a new seal must not
 * seem to vouch for a broken document), and the input is examined as an attacker's
 * document (seal_doc_examine), the request's input policy deciding what its findings do:
 * refuse, warn, or nothing; a strict policy may stamp a normalised rewrite instead.
 * Knows no format: the verify driver and the document face do that. */
#include "stamp/stamp_internal.h"

#include <seal/error.h>
#include <seal/verify.h>

#include <glib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *const policy_names[] = {"warn", "strict", "off"};

const char *seal_input_policy_name(seal_input_policy policy)
{
    return (unsigned)policy < G_N_ELEMENTS(policy_names) ? policy_names[policy] : "?";
}

int seal_input_policy_parse(seal_input_policy *out, const char *text)
{
    for (size_t i = 0; text && i < G_N_ELEMENTS(policy_names); i++) {
        if (strcasecmp(text, policy_names[i]) == 0) {
            *out = (seal_input_policy)i;
            return 0;
        }
    }
    return seal_error_set(SEAL_EINVAL, "the input policy is strict, warn or off, not '%s'",
                          text ? text : "");
}

int stamp_check_signatures(seal_stamp_result *res, seal_store *st, const seal_stamp_request *rq)
{
    int rc = 0;
    seal_report *report = NULL;
    GString *broken = g_string_new(NULL);
    /* Offline, with the platform's anchors and published CRLs: the document's integrity
     * is judged here, not the reachability of other CAs' responders. A signature whose
     * chain or status cannot be told (INDETERMINATE) is not broken. */
    seal_verify_file_opts vo = {
        .store = st, .offline = true, .password = rq->password, .document = rq->document};
    SEAL_TRY(rq->input_is_fd ? seal_verify_fd(&report, rq->input_fd, rq->input, &vo)
                             : seal_verify_file(&report, rq->input, &vo));
    size_t n = 0;
    for (size_t i = 0; i < report->n_sigs; i++) {
        const seal_sig_report *s = &report->sigs[i];
        if (s->verdict != SEAL_VERDICT_INVALID)
            continue;
        const char *why = s->reason ? s->reason : "INVALID";
        for (size_t k = 0; k < s->n_checks; k++) {
            if (s->checks[k].outcome == SEAL_VERDICT_INVALID && s->checks[k].detail) {
                why = s->checks[k].detail;
                break;
            }
        }
        g_string_append_printf(broken, "%s'%s' by %s (%s)", n++ ? "; " : "",
                               s->field_name ? s->field_name : "?",
                               s->signer_name ? s->signer_name : "an unknown signer", why);
    }
    if (n && rq->allow_broken_signatures) {
        stamp_warn(res, "the document's signature%s %s no longer verif%s: stamped anyway, as asked",
                   n == 1 ? "" : "s", broken->str, n == 1 ? "ies" : "y");
    } else if (n) {
        rc = seal_error_set(SEAL_EPOLICY,
                            "%s holds %s that no longer verif%s: %s; a new seal would seem to "
                            "vouch for it (allow broken signatures to stamp it anyway)",
                            rq->input, n == 1 ? "a signature" : "signatures", n == 1 ? "ies" : "y",
                            broken->str);
    }
out:
    seal_report_free(report);
    g_string_free(broken, TRUE);
    return rc;
}

/* "kind (page N): detail; ..." for a message or an audit record. */
static char *findings_text(const seal_doc_findings *f, bool details)
{
    GString *s = g_string_new(NULL);
    for (size_t i = 0; i < f->n; i++) {
        g_string_append_printf(s, "%s%s", i ? "; " : "", f->items[i].kind);
        if (details)
            g_string_append_printf(s, ": %s", f->items[i].detail);
        else if (f->items[i].page)
            g_string_append_printf(s, " (page %d)", f->items[i].page);
    }
    return g_string_free(s, FALSE);
}

static void findings_to_result(seal_stamp_result *res, seal_doc_findings *f)
{
    for (size_t i = 0; i < res->n_findings; i++) {
        g_free(res->findings[i].kind);
        g_free(res->findings[i].detail);
    }
    g_free(res->findings);
    res->findings = f->items;
    res->n_findings = f->n;
    f->items = NULL;
    f->n = 0;
}

int stamp_examine_input(seal_stamp_result *res, const seal_stamp_request *rq, seal_doc **doc,
                        const seal_doc_open_opts *oopts, const char *normalised_path,
                        char **audit_note)
{
    int rc = 0;
    seal_doc_findings f = {0};
    char *text = NULL, *why_not = NULL;
    *audit_note = NULL;
    if (rq->input_policy == SEAL_INPUT_OFF)
        return 0;
    SEAL_TRY(seal_doc_examine(*doc, &f));
    if (f.n && rq->normalise) {
        /* The rewrite is examined again: what it still holds is judged by the policy. */
        rc = seal_doc_normalise(*doc, normalised_path);
        if (rc == 0) {
            seal_doc *again = NULL;
            rc = seal_doc_open(&again, normalised_path, oopts);
            if (rc == 0) {
                seal_doc_free(*doc);
                *doc = again;
                res->normalised = true;
                seal_doc_findings_clear(&f);
                SEAL_TRY(seal_doc_examine(*doc, &f));
            }
        }
        if (rc < 0) {
            if (rq->input_policy != SEAL_INPUT_STRICT)
                goto out;
            why_not = g_strdup(seal_error_last());
            rc = 0;
        }
    }
    if (f.n && rq->input_policy == SEAL_INPUT_STRICT) {
        text = findings_text(&f, true);
        rc = seal_error_set(SEAL_EPOLICY,
                            "the input policy is strict and %s holds what a seal must not vouch "
                            "for: %s%s%s; nothing was stamped",
                            rq->input, text, why_not ? "; it was not normalised: " : "",
                            why_not ? why_not : "");
    } else if (f.n) {
        for (size_t i = 0; i < f.n; i++)
            stamp_warn(res, "the input holds %s: %s", f.items[i].kind, f.items[i].detail);
    }
    if (f.n || res->normalised) {
        char *kinds = findings_text(&f, false);
        *audit_note = g_strdup_printf("%s%s%s%s", res->normalised ? "normalised input" : "",
                                      res->normalised && f.n ? ", " : "",
                                      f.n ? "input findings: " : "", kinds);
        g_free(kinds);
    }
    findings_to_result(res, &f);
out:
    seal_doc_findings_clear(&f);
    g_free(text);
    g_free(why_not);
    return rc;
}
