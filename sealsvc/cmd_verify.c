/* `sealsvc verify FILE [--trust PEM|DIR]... [--offline] [--json]`: parses the flags, hands
 * the file to the verify driver (seal_verify_file: anchors, evidence, the document face)
 * and prints the report (text for people, JSON for programs). The exit code is the
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

    for (int i = 1; i < argc; i++) {
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
out:
    seal_secure_zero(password, sizeof password);
    seal_buf_clear(&text);
    seal_report_free(report);
    seal_store_close(opts.store);
    g_ptr_array_free(trust, TRUE);
    g_ptr_array_free(evidence, TRUE);
    return code;
}
