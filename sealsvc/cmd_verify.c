/* `sealsvc verify FILE [--trust PEM|DIR]... [--json]`: verifies every signature of a PDF or
 * OFD document and prints the report (text for people, JSON for programs). The exit code is
 * the verdict: 0 valid, 1 invalid, 2 indeterminate, 3 the file could not be examined. */
#include "cli.h"

#include <seal/error.h>
#include <seal/ofd.h>
#include <seal/pdf.h>
#include <seal/pki.h>
#include <seal/report.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char verify_usage[] =
    "usage: sealsvc verify FILE [--trust PEM|DIR]... [--json]\n"
    "\n"
    "Verifies every signature of a PDF or OFD document: the bytes or files it covers,\n"
    "the CMS signature or GB/T 38540 seal (stamper and maker signatures, the seal's\n"
    "certificate list and validity), the certificate chains at the claimed signing time,\n"
    "and what changed after.\n"
    "\n"
    "  --trust PEM|DIR   a trust anchor certificate file, or a directory of them\n"
    "                    (repeatable; DATA/trust is added when a data directory is set)\n"
    "  --json            print the report as JSON instead of text\n"
    "\n"
    "exit: 0 valid, 1 invalid, 2 indeterminate (or no signature), 3 error, 64 usage\n";

typedef enum doc_format { FORMAT_UNKNOWN, FORMAT_PDF, FORMAT_OFD } doc_format;

/* Zip's end-of-central-directory record is within this many bytes of the end. */
#define ZIP_TAIL (22 + 65535)

/* True when the end of the file holds a zip end-of-central-directory record (an OFD
 * package with bytes before it, OFD-SEAL.md 7). */
static bool has_zip_tail(FILE *f)
{
    static uint8_t tail[ZIP_TAIL];
    if (fseeko(f, 0, SEEK_END) != 0)
        return false;
    off_t size = ftello(f);
    size_t n = size < 0 ? 0 : (size_t)size < sizeof tail ? (size_t)size : sizeof tail;
    if (n < 22 || fseeko(f, size - (off_t)n, SEEK_SET) != 0 || fread(tail, 1, n, f) != n)
        return false;
    return memmem(tail, n, "PK\5\6", 4) != NULL;
}

/* By content, not by name: %PDF- within the first 1024 bytes (as readers accept it), or a
 * zip (an OFD package, GB/T 33190 is a zip): a local file header at the start, or the
 * zip's closing record at the end when something precedes the archive. */
static int detect_format(doc_format *out, const char *path)
{
    uint8_t head[1024];
    FILE *f = fopen(path, "rb");
    if (!f)
        return seal_error_set(SEAL_EIO, "cannot open %s", path);
    size_t n = fread(head, 1, sizeof head, f);
    *out = FORMAT_UNKNOWN;
    if (n >= 4 && memcmp(head, "PK\3\4", 4) == 0)
        *out = FORMAT_OFD;
    else if (memmem(head, n, "%PDF-", 5))
        *out = FORMAT_PDF;
    else if (has_zip_tail(f))
        *out = FORMAT_OFD;
    fclose(f);
    if (*out == FORMAT_UNKNOWN)
        return seal_error_set(SEAL_EFORMAT, "%s is neither a PDF nor an OFD document", path);
    return 0;
}

static int exit_for(seal_verdict v)
{
    switch (v) {
    case SEAL_VERDICT_VALID:
        return EXIT_OK;
    case SEAL_VERDICT_INVALID:
        return EXIT_INVALID;
    case SEAL_VERDICT_INDETERMINATE:
        return EXIT_INDETERMINATE;
    }
    return EXIT_INDETERMINATE;
}

int cmd_verify(const cli_ctx *ctx, int argc, char **argv)
{
    const char *file = NULL;
    bool json = false;
    int code = EXIT_ERROR;
    seal_trust *trust = NULL;
    seal_report *report = NULL;
    seal_buf text = SEAL_BUF_INIT;
    doc_format format = FORMAT_UNKNOWN;

    if (seal_trust_new(&trust) < 0)
        return cli_fail(NULL);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(verify_usage, stdout);
            code = EXIT_OK;
            goto out;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--trust") == 0 || strncmp(argv[i], "--trust=", 8) == 0) {
            const char *path = argv[i][7] == '=' ? argv[i] + 8 : NULL;
            if (!path && i + 1 >= argc) {
                code = cli_usage_error("--trust needs a certificate file or directory");
                goto out;
            }
            if (!path)
                path = argv[++i];
            if (seal_trust_add_path(trust, path) < 0) {
                code = cli_fail("--trust");
                goto out;
            }
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            code = cli_usage_error("verify: unknown option '%s'", argv[i]);
            goto out;
        } else if (file) {
            code = cli_usage_error("verify: one file at a time ('%s' and '%s')", file, argv[i]);
            goto out;
        } else {
            file = argv[i];
        }
    }
    if (!file) {
        code = cli_usage_error("verify: which file? (sealsvc verify FILE)");
        goto out;
    }
    /* The data directory is optional here: verification is for anyone, and a bidder's
     * machine has no platform data. When there is one, its trust anchors count. */
    if (ctx->data_dir) {
        char dir[4096];
        struct stat st;
        snprintf(dir, sizeof dir, "%s/trust", ctx->data_dir);
        if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && seal_trust_add_path(trust, dir) < 0) {
            code = cli_fail("the data directory's trust anchors");
            goto out;
        }
    }

    if (detect_format(&format, file) < 0) {
        code = cli_fail(NULL);
        goto out;
    }
    if ((format == FORMAT_OFD ? seal_ofd_verify(&report, file, trust)
                              : seal_pdf_verify(&report, file, trust)) < 0) {
        code = cli_fail(NULL);
        goto out;
    }
    if ((json ? seal_report_to_json(report, &text) : seal_report_to_text(report, &text)) < 0) {
        code = cli_fail(NULL);
        goto out;
    }
    fwrite(text.data, 1, text.len, stdout);
    code = fflush(stdout) == 0 ? exit_for(report->verdict) : EXIT_ERROR;
out:
    seal_buf_clear(&text);
    seal_report_free(report);
    seal_trust_free(trust);
    return code;
}
