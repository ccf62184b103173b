/* `sealsvc verify FILE [--trust PEM|DIR]... [--offline] [--json] [--report-pdf OUT]`:
 * parses the flags, hands the file to the verify driver (seal_verify_file: anchors,
 * evidence, the document face) and prints the report (text for people, JSON for
 * programs); with --report-pdf also writes the PDF report sealed by the platform's
 * verification-service seal (seal_report_pdf_sealed). The exit code is the
 * verdict: 0 valid, 1 invalid, 2 indeterminate, 3 the file could not be examined. */
#include "cli.h"

#include <seal/error.h>
#include <seal/report.h>
#include <seal/verify.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char verify_usage[] =
    "usage: sealsvc verify FILE [--trust PEM|DIR]... [--evidence FILE|DIR]... [--offline]\n"
    "                      [--json] [--password PW | --password-file F] [--doc N]\n"
    "                      [--report-pdf OUT.pdf [--report-seal ID] [--report-pin-file F]\n"
    "                       [--report-tsa URL] [--report-url BASE]]\n"
    "\n"
    "Verifies every signature and timestamp of a PDF or OFD document: the bytes or files\n"
    "it covers, the CMS signature or GB/T 38540 seal (stamper and maker signatures, the\n"
    "seal's certificate list and validity), a PDF signature's timestamp, the certificate\n"
    "chains and (for PDF) their revocation status at the signing time (proven by a\n"
    "timestamp, else claimed), and what changed after.\n"
    "\n"
    "  --trust PEM|DIR   a trust anchor certificate file, or a directory of them\n"
    "                    (repeatable; the platform's roots are added when there is one)\n"
    "  --json            print the report as JSON instead of text\n"
    "  --evidence F|DIR  a CRL or OCSP response (DER; CRLs also PEM), or a folder of\n"
    "                    *.crl/*.der/*.ocsp files, to judge revocation by (repeatable;\n"
    "                    the platform's published CRLs are added when there is one)\n"
    "  --data DIR        the data directory (also a global option); with its database\n"
    "                    (or --db) the platform's anchors, CRLs and evidence count; a\n"
    "                    folder without one lends its trust/ and crl/ folders\n"
    "  --offline         never fetch: only the document's DSS, evidence given, and the\n"
    "                    platform's published and cached CRLs and OCSP answers\n"
    "  --doc N           only the signatures of document N of an OFD that holds several\n"
    "                    (default: every document's, each named in the report)\n"
    "  --password PW     an encrypted PDF's user password (or $SEALSVC_PDF_PASSWORD, or\n"
    "                    --password-file F); not needed for an empty user password\n"
    "  --report-pdf OUT  also write the report as a PDF (A4, Chinese and English) sealed\n"
    "                    by the platform's verification-service seal with an invisible\n"
    "                    PAdES signature; needs the platform (--data or --db)\n"
    "  --report-seal ID  that seal (or $SEALSVC_REPORT_SEAL; default\n"
    "                    platform-verification, which 'demo init' makes)\n"
    "  --report-pin-file F  the seal's PIN on F's first line (or $SEALSVC_REPORT_PIN)\n"
    "  --report-tsa URL  timestamp the report's seal (PAdES B-T) at this RFC 3161 TSA\n"
    "  --report-url BASE the verification page: the report's QR code leads to\n"
    "                    BASE/verify/?sha256=HEX (or $SEALSVC_VERIFY_URL; none: no QR)\n"
    "\n"
    "exit: 0 valid, 1 invalid, 2 indeterminate (or no signature), 3 error, 64 usage\n";

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

/* --report-pdf and its companions. */
typedef struct report_pdf_args {
    const char *out, *seal, *pin_file, *tsa, *url;
} report_pdf_args;

static const char **report_option(report_pdf_args *a, const char *name)
{
    return strcmp(name, "--report-pdf") == 0        ? &a->out
           : strcmp(name, "--report-seal") == 0     ? &a->seal
           : strcmp(name, "--report-pin-file") == 0 ? &a->pin_file
           : strcmp(name, "--report-tsa") == 0      ? &a->tsa
           : strcmp(name, "--report-url") == 0      ? &a->url
                                                    : NULL;
}

/* The PDF report of `file`, sealed by the verification-service seal into a->out. */
static int write_report_pdf(const report_pdf_args *a, const seal_report *report, const char *file,
                            const seal_verify_file_opts *opts)
{
    int rc = 0;
    char pin[256] = "";
    seal_trust *trust = NULL;
    seal_report_pdf_opts pdf = {.verify_url = a->url ? a->url : getenv("SEALSVC_VERIFY_URL")};
    seal_tsp_client tsa = {.url = a->tsa};
    const char *env_pin = getenv("SEALSVC_REPORT_PIN");
    if (a->pin_file) {
        FILE *f = fopen(a->pin_file, "r");
        SEAL_ENSURE(f, SEAL_EIO, "cannot open the PIN file %s", a->pin_file);
        bool read = fgets(pin, sizeof pin, f) != NULL;
        fclose(f);
        SEAL_ENSURE(read, SEAL_EINVAL, "the PIN file %s is empty", a->pin_file);
        pin[strcspn(pin, "\r\n")] = 0;
    } else {
        SEAL_ENSURE(env_pin && *env_pin, SEAL_EINVAL,
                    "the report's seal needs its PIN: --report-pin-file F or $SEALSVC_REPORT_PIN");
        snprintf(pin, sizeof pin, "%s", env_pin);
    }
    if (pdf.verify_url && !*pdf.verify_url)
        pdf.verify_url = NULL;
    SEAL_TRY(seal_report_pdf_opts_from_file(&pdf, file));
    if (a->tsa)
        SEAL_TRY(seal_verify_trust_load(&trust, opts));
    const char *env_seal = getenv("SEALSVC_REPORT_SEAL");
    seal_report_seal how = {
        .seal_id = a->seal                 ? a->seal
                   : env_seal && *env_seal ? env_seal
                                           : SEAL_REPORT_SEAL_DEFAULT,
        .pin = pin,
        .tsa = a->tsa ? &tsa : NULL,
        .trust = trust,
        .actor = g_get_user_name(),
    };
    SEAL_TRY(seal_report_pdf_sealed(report, &pdf, opts->store, &how, a->out));
    fprintf(stderr, "sealsvc: PDF report written to %s, sealed with seal %s\n", a->out,
            how.seal_id);
out:
    seal_secure_zero(pin, sizeof pin);
    seal_trust_free(trust);
    return rc;
}

int cmd_verify(const cli_ctx *ctx, int argc, char **argv)
{
    const char *file = NULL, *password_arg = NULL, *password_file = NULL;
    char password[256] = "";
    seal_verify_file_opts opts = {.data_dir = ctx->data_dir};
    bool json = false;
    GPtrArray *evidence = g_ptr_array_new(), *trust = g_ptr_array_new();
    int code = EXIT_ERROR;
    seal_report *report = NULL;
    seal_buf text = SEAL_BUF_INIT;
    report_pdf_args report_args = {0};

    for (int i = 1; i < argc; i++) {
        const char **slot;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(verify_usage, stdout);
            code = EXIT_OK;
            goto out;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = true;
        } else if (strcmp(argv[i], "--offline") == 0) {
            opts.offline = true;
        } else if (strcmp(argv[i], "--data") == 0) {
            if (i + 1 >= argc) {
                code = cli_usage_error("--data needs a directory");
                goto out;
            }
            opts.data_dir = argv[++i];
        } else if (strcmp(argv[i], "--evidence") == 0) {
            if (i + 1 >= argc) {
                code = cli_usage_error("--evidence needs a CRL or OCSP response file or folder");
                goto out;
            }
            g_ptr_array_add(evidence, argv[++i]);
        } else if (strcmp(argv[i], "--trust") == 0 || strncmp(argv[i], "--trust=", 8) == 0) {
            const char *path = argv[i][7] == '=' ? argv[i] + 8 : NULL;
            if (!path && i + 1 >= argc) {
                code = cli_usage_error("--trust needs a certificate file or directory");
                goto out;
            }
            g_ptr_array_add(trust, path ? (char *)path : argv[++i]);
        } else if (strcmp(argv[i], "--doc") == 0) {
            char *end = NULL;
            long n = i + 1 < argc ? strtol(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || end == argv[i + 1] || *end || n < 1 || n > 10000000) {
                code = cli_usage_error("--doc wants a document number (1 = first)%s%s%s",
                                       i + 1 < argc ? ", not '" : "",
                                       i + 1 < argc ? argv[i + 1] : "", i + 1 < argc ? "'" : "");
                goto out;
            }
            opts.document = (int)n;
            i++;
        } else if ((slot = report_option(&report_args, argv[i])) != NULL) {
            if (i + 1 >= argc) {
                code = cli_usage_error("verify: %s needs a value", argv[i]);
                goto out;
            }
            *slot = argv[++i];
        } else if (strcmp(argv[i], "--password") == 0 || strcmp(argv[i], "--password-file") == 0) {
            if (i + 1 >= argc) {
                code = cli_usage_error("%s needs a value", argv[i]);
                goto out;
            }
            if (argv[i][10] == '-')
                password_file = argv[++i];
            else
                password_arg = argv[++i];
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
    if (!report_args.out &&
        (report_args.seal || report_args.pin_file || report_args.tsa || report_args.url)) {
        code = cli_usage_error("verify: the --report-* options go with --report-pdf OUT.pdf");
        goto out;
    }
    if (cli_read_password(password, sizeof password, password_arg, password_file) < 0) {
        code = cli_fail(NULL);
        goto out;
    }
    opts.trust_paths = (const char *const *)trust->pdata;
    opts.n_trust_paths = trust->len;
    opts.evidence_paths = (const char *const *)evidence->pdata;
    opts.n_evidence_paths = evidence->len;
    opts.password = password;
    /* A data directory that holds a platform (or --db) brings the platform's anchors,
     * published CRLs and evidence from the database; a folder without one, its trust/ and
     * crl/ folders. */
    if (cli_store_open_optional(ctx, opts.data_dir, &opts.store) < 0) {
        code = cli_fail(NULL);
        goto out;
    }
    if (report_args.out && !opts.store) {
        code = cli_usage_error("verify: --report-pdf seals the report with the platform's "
                               "seal: give the platform's --data DIR (or --db URL)");
        goto out;
    }
    opts.pictures = report_args.out != NULL;
    if (seal_verify_file(&report, file, &opts) < 0) {
        /* A document the file does not hold is the command's mistake. */
        bool usage = opts.document > 1 && (seal_error_last_code() == SEAL_EINVAL ||
                                           seal_error_last_code() == SEAL_ENOTFOUND);
        code = usage ? cli_usage_error("verify: %s", seal_error_last()) : cli_fail(NULL);
        goto out;
    }
    if ((json ? seal_report_to_json(report, &text) : seal_report_to_text(report, &text)) < 0) {
        code = cli_fail(NULL);
        goto out;
    }
    fwrite(text.data, 1, text.len, stdout);
    code = fflush(stdout) == 0 ? exit_for(report->verdict) : EXIT_ERROR;
    if (report_args.out && write_report_pdf(&report_args, report, file, &opts) < 0)
        code = cli_fail("verify --report-pdf");
out:
    seal_secure_zero(password, sizeof password);
    seal_buf_clear(&text);
    seal_report_free(report);
    seal_store_close(opts.store);
    g_ptr_array_free(trust, TRUE);
    g_ptr_array_free(evidence, TRUE);
    return code;
}
