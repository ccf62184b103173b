/* stamp_and_verify: libseal as a program outside sealsvc uses it. Opens a platform's
 * store, stamps a PDF (or OFD) with one of its seals where the text "甲方（盖章）" is, prints
 * what the stamp did, then verifies the output and prints the verdict of each signature.
 *
 *     SEALSVC_PIN=... stamp_and_verify DATA_DIR SEAL_ID IN OUT
 *
 * DATA_DIR is a platform made by `sealsvc demo init --dir DATA_DIR` (its manifest lists the
 * seals and their PINs). Exit status: 0 stamped and VALID, 1 stamped but not VALID, 2 bad
 * usage, 3 a failure (the message says what). docs/library.md walks through this file. */
#include <seal/error.h>
#include <seal/report.h>
#include <seal/stamp.h>
#include <seal/store.h>
#include <seal/verify.h>

#include <stdio.h>
#include <stdlib.h>

/* Every libseal call returns 0 or a negative SEAL_E* code; the message of the failure is
 * kept per thread until the next one. */
static int failed(const char *what)
{
    fprintf(stderr, "%s failed (%s): %s\n", what, seal_error_class_name(seal_error_last_class()),
            seal_error_last());
    return 3;
}

static int stamp(seal_store *store, const char *seal_id, const char *pin, const char *in,
                 const char *out)
{
    /* One picture of the seal, centred on every occurrence of the keyword; the seal's own
     * printed size is used. */
    seal_place_request place = {.mode = SEAL_PLACE_KEYWORD, .keyword = "甲方（盖章）"};
    seal_stamp_request req = {
        .input = in,
        .output = out,
        .seal_id = seal_id,
        .pin = pin,
        .actor = "user:sample",
        .places = &place,
        .n_places = 1,
        .level = SEAL_LEVEL_B_B,
        .reason = "甲方签章",
    };
    seal_stamp_result res = {0};
    int rc = seal_stamp(&res, store, &req);
    if (rc < 0) {
        failed("stamp");
    } else {
        printf("stamped %s with seal %s (%s): %s, signer %s\n", res.output, res.seal_id,
               res.seal_name, res.how, res.signer);
        for (size_t i = 0; i < res.n_placements; i++)
            printf("  page %d at %.1f,%.1f mm\n", res.placements[i].page, res.placements[i].x_mm,
                   res.placements[i].y_mm);
        for (char **w = res.warnings; w && *w; w++)
            printf("  warning: %s\n", *w);
    }
    /* The result owns its strings and arrays, filled as far as the flow got: clear it on
     * success and on failure alike. */
    seal_stamp_result_clear(&res);
    return rc;
}

static int verify(seal_store *store, const char *path, seal_verdict *verdict)
{
    /* The platform's store gives the trust anchors and the CRLs its CAs published; a
     * relying party without one names anchors and evidence instead (trust_paths,
     * evidence_paths). */
    seal_verify_file_opts opts = {.store = store};
    seal_report *report = NULL;
    if (seal_verify_file(&report, path, &opts) < 0)
        return failed("verify");
    for (size_t i = 0; i < report->n_sigs; i++) {
        const seal_sig_report *s = &report->sigs[i];
        printf("  signature %s by %s: %s%s%s\n", s->field_name, s->signer_name,
               seal_verdict_name(s->verdict), s->reason ? ", " : "", s->reason ? s->reason : "");
    }
    printf("%s: %s\n", report->file, seal_verdict_name(report->verdict));
    *verdict = report->verdict;
    seal_report_free(report);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: SEALSVC_PIN=... %s DATA_DIR SEAL_ID IN OUT\n", argv[0]);
        return 2;
    }
    const char *data_dir = argv[1], *seal_id = argv[2], *in = argv[3], *out = argv[4];
    /* A PIN never goes on a command line, where other users can read it. */
    const char *pin = getenv("SEALSVC_PIN");
    if (!pin) {
        fprintf(stderr, "set SEALSVC_PIN to the seal's PIN\n");
        return 2;
    }

    /* One store handle per thread; this program has one thread. */
    seal_store *store = NULL;
    if (seal_store_open(&store, data_dir, false) < 0)
        return failed("opening the store");
    seal_verdict verdict = SEAL_VERDICT_INDETERMINATE;
    int rc = stamp(store, seal_id, pin, in, out);
    if (rc == 0)
        rc = verify(store, out, &verdict);
    seal_store_close(store);
    if (rc != 0)
        return 3;
    return verdict == SEAL_VERDICT_VALID ? 0 : 1;
}
