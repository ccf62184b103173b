/* `sealsvc verify FILE [--trust PEM|DIR]... [--offline] [--format F] [-o REPORT]`: parses
 * the flags, hands the file to the verify driver (seal_verify_file: anchors, evidence, the
 * document face) and writes the report (text or HTML for people, JSON for programs, a PDF
 * sealed by the platform's verification-service seal for filing: seal_report_pdf_sealed)
 * to stdout or REPORT, and the evidence it used to a folder when asked (--evidence-out).
 * The exit code is the verdict: 0 valid, 1 invalid, 2 indeterminate, 3 the file could not
 * be examined. */
#include "cli.h"

#include <seal/error.h>
#include <seal/report.h>
#include <seal/verify.h>

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char verify_usage[] =
    "usage: sealsvc verify FILE [--trust PEM|DIR]... [--evidence FILE|DIR]... [--offline]\n"
    "                      [--format json|text|html|pdf] [-o REPORT] [--evidence-out DIR]\n"
    "                      [--password PW | --password-file F] [--doc N]\n"
    "                      [--report-seal ID] [--report-pin-file F] [--report-tsa URL]\n"
    "                      [--report-url BASE]\n"
    "\n"
    "Verifies every signature and timestamp of a PDF or OFD document: the bytes or files\n"
    "it covers, the CMS signature or GB/T 38540 seal (stamper and maker signatures, the\n"
    "seal's certificate list and validity), a PDF signature's timestamp, the certificate\n"
    "chains and (for PDF) their revocation status at the signing time (proven by a\n"
    "timestamp, else claimed), and what changed after.\n"
    "\n"
    "  --trust PEM|DIR   a trust anchor certificate file, or a directory of them\n"
    "                    (repeatable; the platform's roots are added when there is one)\n"
    "  --format F        the report as text (default), json (for programs), html (one\n"
    "                    self-contained page, printable) or pdf (A4, Chinese and English,\n"
    "                    sealed by the platform's verification-service seal with an\n"
    "                    invisible PAdES signature; needs -o and the platform: --data or\n"
    "                    --db)\n"
    "  --json            the same as --format json\n"
    "  -o REPORT         write the report to REPORT instead of stdout\n"
    "  --report-seal ID  the PDF report's seal (or $SEALSVC_REPORT_SEAL; default\n"
    "                    platform-verification, which 'demo init' makes)\n"
    "  --report-pin-file F  its PIN on F's first line (or $SEALSVC_REPORT_PIN)\n"
    "  --report-tsa URL  timestamp the report's seal (PAdES B-T) at this RFC 3161 TSA\n"
    "  --report-url BASE the verification page: the PDF report's QR code leads to\n"
    "                    BASE/verify/?sha256=HEX (or $SEALSVC_VERIFY_URL; none: no QR)\n"
    "  --evidence-out DIR  write the certificates, CRLs and OCSP responses the verdict used\n"
    "                    to the new folder DIR with manifest.json; 'verify FILE --offline\n"
    "                    --evidence DIR' reproduces the verdict later without a network\n"
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
    "\n"
    "exit: 0 valid, 1 invalid, 2 indeterminate (or no signature), 3 error, 64 usage\n";

typedef enum report_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_HTML, FORMAT_PDF } report_format;

static int parse_format(const char *name, report_format *out)
{
    static const char *const names[] = {"text", "json", "html", "pdf"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (report_format)i;
            return 0;
        }
    return -1;
}

static int render(const seal_report *r, report_format f, seal_buf *out)
{
    switch (f) {
    case FORMAT_JSON:
        return seal_report_to_json(r, out);
    case FORMAT_HTML:
        return seal_report_to_html(r, out);
    case FORMAT_PDF: /* written by write_report_pdf, sealed */
    case FORMAT_TEXT:
        break;
    }
    return seal_report_to_text(r, out);
}

/* The report to REPORT through a temporary file renamed into place: no half report. */
static int write_report(const seal_buf *text, const char *path)
{
    if (!path) {
        fwrite(text->data, 1, text->len, stdout);
        return fflush(stdout) == 0 ? 0 : seal_error_set(SEAL_EIO, "cannot write the report");
    }
    gchar *tmp = g_strdup_printf("%s.partial", path);
    int rc = seal_buf_write_file(text, tmp, 0644);
    if (rc == 0 && g_rename(tmp, path) != 0)
        rc = seal_error_set(SEAL_EIO, "cannot write the report to %s: %s", path, g_strerror(errno));
    if (rc < 0)
        g_unlink(tmp);
    g_free(tmp);
    return rc;
}

/* The PDF report's seal and how it is made (--report-*). */
typedef struct report_pdf_args {
    const char *out, *seal, *pin_file, *tsa, *url;
} report_pdf_args;

static const char **report_option(report_pdf_args *a, const char *name)
{
    return strcmp(name, "--report-seal") == 0       ? &a->seal
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
    const char *file = NULL, *password_arg = NULL, *password_file = NULL;
    char password[256] = "";
    seal_verify_file_opts opts = {.data_dir = ctx->data_dir};
    report_format format = FORMAT_TEXT;
    const char *report_path = NULL, *evidence_out = NULL;
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
            format = FORMAT_JSON;
        } else if (strcmp(argv[i], "--format") == 0) {
            if (i + 1 >= argc || parse_format(argv[i + 1], &format) < 0) {
                code = cli_usage_error("--format wants json, text, html or pdf%s%s%s",
                                       i + 1 < argc ? ", not '" : "",
                                       i + 1 < argc ? argv[i + 1] : "", i + 1 < argc ? "'" : "");
                goto out;
            }
            i++;
        } else if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--evidence-out") == 0) {
            if (i + 1 >= argc) {
                code = cli_usage_error("%s needs a %s", argv[i],
                                       argv[i][1] == 'o' ? "file for the report" : "folder");
                goto out;
            }
            if (argv[i][1] == 'o')
                report_path = argv[++i];
            else
                evidence_out = argv[++i];
        } else if ((slot = report_option(&report_args, argv[i])) != NULL) {
            if (i + 1 >= argc) {
                code = cli_usage_error("verify: %s needs a value", argv[i]);
                goto out;
            }
            *slot = argv[++i];
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
    if (format == FORMAT_PDF && !report_path) {
        code = cli_usage_error("verify: the PDF report goes to a file: --format pdf -o OUT.pdf");
        goto out;
    }
    if (format != FORMAT_PDF &&
        (report_args.seal || report_args.pin_file || report_args.tsa || report_args.url)) {
        code = cli_usage_error("verify: the --report-* options go with --format pdf");
        goto out;
    }
    report_args.out = format == FORMAT_PDF ? report_path : NULL;
    if (evidence_out && g_file_test(evidence_out, G_FILE_TEST_EXISTS) &&
        !g_file_test(evidence_out, G_FILE_TEST_IS_DIR)) {
        code = cli_usage_error("verify: --evidence-out wants a new or empty folder; %s is a file",
                               evidence_out);
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
    /* The HTML and PDF reports show each seal as printed and where it sits on its page. */
    opts.pictures = format == FORMAT_HTML || format == FORMAT_PDF;
    /* A data directory that holds a platform (or --db) brings the platform's anchors,
     * published CRLs and evidence from the database; a folder without one, its trust/ and
     * crl/ folders. */
    if (cli_store_open_optional(ctx, opts.data_dir, &opts.store) < 0) {
        code = cli_fail(NULL);
        goto out;
    }
    if (format == FORMAT_PDF && !opts.store) {
        code = cli_usage_error("verify: the PDF report is sealed with the platform's seal: give "
                               "the platform's --data DIR (or --db URL)");
        goto out;
    }
    if (seal_verify_file(&report, file, &opts) < 0) {
        /* A document the file does not hold is the command's mistake. */
        bool usage = opts.document > 1 && (seal_error_last_code() == SEAL_EINVAL ||
                                           seal_error_last_code() == SEAL_ENOTFOUND);
        code = usage ? cli_usage_error("verify: %s", seal_error_last()) : cli_fail(NULL);
        goto out;
    }
    /* The bundle first: a folder that cannot take it then leaves no report either. */
    int written = evidence_out ? seal_report_write_evidence(report, evidence_out) : 0;
    if (written == 0 && format == FORMAT_PDF)
        written = write_report_pdf(&report_args, report, file, &opts);
    else if (written == 0 && (written = render(report, format, &text)) == 0)
        written = write_report(&text, report_path);
    if (written < 0) {
        code = cli_fail(NULL);
        goto out;
    }
    code = exit_for(report->verdict);
out:
    seal_secure_zero(password, sizeof password);
    seal_buf_clear(&text);
    seal_report_free(report);
    seal_store_close(opts.store);
    g_ptr_array_free(trust, TRUE);
    g_ptr_array_free(evidence, TRUE);
    return code;
}
