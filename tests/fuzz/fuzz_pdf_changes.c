/* libFuzzer target for the change analysis of a PDF revision pair (src/pdf/verify_changes.c,
 * seal_pdf_check_changes): what the verifier judges after a signature's ByteRange checked
 * out, without the signature itself (no keys, no network). The input is a whole PDF with
 * at least two revisions; one of the older revisions is taken as the signed one (its bytes
 * up to the end of line after its %%EOF, as a ByteRange covering the entire revision
 * ends), and everything after it as the updates appended later. The last byte of the input
 * picks the signed revision and the DocMDP level (none, P=1, 2 or 3) judged against, so
 * that the fuzzer reaches every policy. Seeds: PDFs sealed twice by make_seeds.sh (an
 * incremental update after a signed revision). Nothing may crash, leak or read out of
 * bounds, and at least one "changes" check (and no other) must be recorded. */
#include "pdf/mdp.h"
#include "pdf/verify_internal.h"

#include <seal/error.h>
#include <seal/report.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void require(int cond)
{
    if (!cond)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seal_slice file = seal_slice_of(data, size);
    seal_pdf_tail tail = {0};
    qpdf_data final_doc = NULL;
    seal_report *report = NULL;
    if (size == 0 || seal_pdf_tail_scan(&tail, file) < 0)
        goto out;
    if (tail.n_revs < 2)
        goto out;
    /* revs[0] is the newest: the signed revision is one of revs[1..n-1]. */
    uint8_t pick = data[size - 1];
    size_t signed_rev = 1 + (size_t)(pick / 4) % (tail.n_revs - 1);
    size_t signed_end = tail.revs[signed_rev].end_eol;
    pdf_mdp_policy policy = {.docmdp = pick % 4};

    if (pdf_qpdf_new_strict(&final_doc, "the fuzzed document") < 0)
        goto out;
    if (qpdf_read_memory(final_doc, "the fuzzed document", (const char *)data, size, NULL) &
        QPDF_ERRORS)
        goto out;
    seal_sig_report *s = NULL;
    if (seal_report_new(&report, "fuzz.pdf", "pdf") < 0 || seal_report_add_sig(report, &s) < 0)
        goto out;
    /* at least one "changes" check (an update that is not well-formed and changes the
     * document besides gets one for each), and no other */
    if (seal_pdf_check_changes(s, final_doc, file, &tail, signed_end, &policy, NULL) == 0) {
        require(s->n_checks >= 1);
        for (size_t i = 0; i < s->n_checks; i++)
            require(strcmp(s->checks[i].name, "changes") == 0);
    }
out:
    seal_report_free(report);
    if (final_doc)
        qpdf_cleanup(&final_doc);
    seal_pdf_tail_clear(&tail);
    seal_error_clear();
    return 0;
}
