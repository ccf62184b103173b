/* The verification report as plain text, for people reading `sealsvc verify`: the overall
 * verdict first, then one block per signature (who, which seal, when and how we know,
 * what the signature covers, where it sits, each check, and any change after signing). */
#include <seal/error.h>
#include <seal/report.h>

#include <time.h>

static const char *or_dash(const char *s)
{
    return s && *s ? s : "-";
}

static int print_time(seal_buf *out, time_t t)
{
    struct tm tm;
    char text[40];
    if (t == 0 || !gmtime_r(&t, &tm) ||
        strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        return seal_buf_append_str(out, "unknown");
    return seal_buf_append_str(out, text);
}

/* "  ETSI:       TOTAL_FAILED / HASH_FAILURE (MODIFIED_AFTER_SIGNING)" and the sentence. */
static int print_status(seal_buf *out, const char *indent, seal_verdict v, const char *reason)
{
    int rc = 0;
    seal_status st;
    seal_status_of(v, reason, &st);
    SEAL_TRY(seal_buf_printf(out, "%sETSI:%s%s", indent, *indent ? "       " : "    ",
                             seal_etsi_indication_name(st.indication)));
    if (st.sub_indication)
        SEAL_TRY(seal_buf_printf(out, " / %s", st.sub_indication));
    if (st.detail)
        SEAL_TRY(seal_buf_printf(out, " (%s)", st.detail));
    SEAL_TRY(seal_buf_append_byte(out, '\n'));
    SEAL_TRY(seal_buf_printf(out, "%s%s\n", indent, st.en));
out:
    return rc;
}

static int print_sig(seal_buf *out, size_t index, const seal_sig_report *s)
{
    int rc = 0;
    SEAL_TRY(seal_buf_printf(out, "\nSignature %zu: field \"%s\" (%s)\n", index + 1,
                             or_dash(s->field_name), or_dash(s->kind)));
    SEAL_TRY(seal_buf_printf(out, "  Verdict:    %s%s%s\n", seal_verdict_name(s->verdict),
                             s->reason ? " - " : "", s->reason ? s->reason : ""));
    SEAL_TRY(print_status(out, "  ", s->verdict, s->reason));
    SEAL_TRY(seal_buf_printf(out, "  Signer:     %s\n", or_dash(s->signer_name)));
    if (s->signer_subject)
        SEAL_TRY(seal_buf_printf(out, "  Subject:    %s\n", s->signer_subject));
    if (s->signer_issuer)
        SEAL_TRY(seal_buf_printf(out, "  Issuer:     %s\n", s->signer_issuer));
    if (s->signer_serial)
        SEAL_TRY(seal_buf_printf(out, "  Serial:     %s\n", s->signer_serial));
    if (s->seal_name)
        SEAL_TRY(seal_buf_printf(out, "  Seal:       %s\n", s->seal_name));
    if (s->grant_id)
        SEAL_TRY(seal_buf_printf(out, "  Grant:      %s%s%s, used by %s\n", s->grant_id,
                                 s->grant_project ? ", project " : "",
                                 s->grant_project ? s->grant_project : "",
                                 or_dash(s->grant_grantee)));
    SEAL_TRY(seal_buf_printf(out, "  Algorithm:  %s with %s\n", or_dash(s->algorithm),
                             or_dash(s->digest)));
    SEAL_TRY(seal_buf_append_str(out, "  Signed at:  "));
    SEAL_TRY(print_time(out, s->signing_time));
    if (s->time_source)
        SEAL_TRY(seal_buf_printf(out, " (%s)", s->time_source));
    SEAL_TRY(seal_buf_printf(out, "\n  Covers:     %s\n", or_dash(s->coverage)));
    if (s->document > 0)
        SEAL_TRY(seal_buf_printf(out, "  Document:   %d (its pages below are that document's)\n",
                                 s->document));
    if (s->visible && s->n_widgets > 1)
        for (size_t i = 0; i < s->n_widgets; i++)
            SEAL_TRY(seal_buf_printf(out, "%-14spage %d, rectangle [%.2f %.2f %.2f %.2f]\n",
                                     i ? "" : "  Placement:", s->widgets[i].page,
                                     s->widgets[i].rect[0], s->widgets[i].rect[1],
                                     s->widgets[i].rect[2], s->widgets[i].rect[3]));
    else if (s->visible)
        SEAL_TRY(seal_buf_printf(out, "  Placement:  page %d, rectangle [%.2f %.2f %.2f %.2f]\n",
                                 s->page, s->rect[0], s->rect[1], s->rect[2], s->rect[3]));
    else if (s->page > 0)
        SEAL_TRY(seal_buf_printf(out, "  Placement:  invisible (page %d)\n", s->page));
    else
        SEAL_TRY(seal_buf_append_str(out, "  Placement:  invisible\n"));
    SEAL_TRY(seal_buf_append_str(out, "  Checks:\n"));
    for (size_t i = 0; i < s->n_checks; i++)
        SEAL_TRY(seal_buf_printf(out, "    %-13s %-13s %s\n", s->checks[i].name,
                                 seal_verdict_name(s->checks[i].outcome),
                                 or_dash(s->checks[i].detail)));
    if (s->n_changes > 0) {
        SEAL_TRY(seal_buf_append_str(out, "  Changes after signing:\n"));
        for (size_t i = 0; i < s->n_changes; i++)
            SEAL_TRY(seal_buf_printf(out, "    - %s\n", s->changes[i]));
    }
out:
    return rc;
}

int seal_report_to_text(const seal_report *r, seal_buf *out)
{
    int rc = 0;
    SEAL_TRY(seal_buf_printf(out, "File:    %s (%s)\n", or_dash(r->file), or_dash(r->format)));
    SEAL_TRY(seal_buf_printf(out, "Verdict: %s%s%s\n", seal_verdict_name(r->verdict),
                             r->reason ? " - " : "", r->reason ? r->reason : ""));
    SEAL_TRY(print_status(out, "", r->verdict, r->reason));
    if (r->sha256)
        SEAL_TRY(seal_buf_printf(out, "SHA-256: %s\nSM3:     %s\n", r->sha256, or_dash(r->sm3)));
    if (r->n_sigs == 0)
        SEAL_TRY(seal_buf_append_str(out, "The document carries no signature.\n"));
    else
        SEAL_TRY(seal_buf_printf(out, "Signatures: %zu\n", r->n_sigs));
    for (size_t i = 0; i < r->n_sigs; i++)
        SEAL_TRY(print_sig(out, i, &r->sigs[i]));
out:
    return rc;
}
