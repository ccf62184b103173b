/* sealsvc render: draws a page of a PDF or OFD document as a PNG, or turns a whole OFD
 * document into a PDF, through the document face (seal/doc.h; the format is told there).
 * The input is only read; the output is written atomically and never left half-written. */
#include "cli.h"

#include <seal/doc.h>
#include <seal/error.h>
#include <seal/render.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static const char render_usage[] =
    "usage: sealsvc render FILE.pdf|FILE.ofd [--doc N] [--page N] [--dpi D] [--no-stamps]\n"
    "                     -o PAGE.png\n"
    "       sealsvc render FILE.ofd [--no-stamps] -o OUT.pdf\n"
    "\n"
    "Draws one page as a PNG on white (pages of an OFD with their templates, annotations\n"
    "and the seals of its signatures), or writes a whole OFD document as a PDF whose text\n"
    "stays text. The kind of output follows the name given to -o.\n"
    "\n"
    "  --doc N       the document of an OFD that holds several (1 = first), default 1;\n"
    "                pages (and a PDF output) are then that document's\n"
    "  --page N      the page (1 = first), default 1; PNG output only\n"
    "  --dpi D       pixels per inch, 10 to 2400, default 150; PNG output only\n"
    "  --no-stamps   leave out the seals that OFD signatures place on pages\n"
    "  -o FILE       where to write (.png or .pdf)\n"
    "\n"
    "exit: 0 written, 3 error (nothing is written), 64 usage\n";

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcasecmp(s + n - k, suffix) == 0;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

int cmd_render(const cli_ctx *ctx, int argc, char **argv)
{
    static const struct option options[] = {
        {"page", required_argument, NULL, 'n'},
        {"dpi", required_argument, NULL, 'd'},
        {"doc", required_argument, NULL, 'D'},
        {"output", required_argument, NULL, 'o'},
        {"no-stamps", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *output = NULL;
    int page = 1;
    seal_doc_open_opts open_opts = {.document = 0};
    bool page_given = false, dpi_given = false;
    seal_doc_render_opts opts = {.dpi = SEAL_RENDER_DPI_DEFAULT};
    seal_doc *doc = NULL;
    seal_buf bytes = SEAL_BUF_INIT;
    int code = EXIT_ERROR;
    (void)ctx;

    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "o:", options, NULL)) != -1) {
        char *end = NULL;
        switch (c) {
        case 'n': {
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end || n < 1 || n > 10000000)
                return cli_usage_error("--page wants a page number (1 = first), not '%s'", optarg);
            page = (int)n;
            page_given = true;
            break;
        }
        case 'D': {
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end || n < 1 || n > 10000000)
                return cli_usage_error("--doc wants a document number (1 = first), not '%s'",
                                       optarg);
            open_opts.document = (int)n;
            break;
        }
        case 'd':
            opts.dpi = strtod(optarg, &end);
            if (end == optarg || *end ||
                !(opts.dpi >= SEAL_RENDER_DPI_MIN && opts.dpi <= SEAL_RENDER_DPI_MAX))
                return cli_usage_error("--dpi wants a number from %d to %d, not '%s'",
                                       SEAL_RENDER_DPI_MIN, SEAL_RENDER_DPI_MAX, optarg);
            dpi_given = true;
            break;
        case 'o':
            output = optarg;
            break;
        case 's':
            opts.no_stamps = true;
            break;
        case 'h':
            fputs(render_usage, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("render: unknown option");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("render wants one input file (sealsvc render FILE -o OUT)");
    const char *input = argv[optind];
    if (!output)
        return cli_usage_error("render: say where to write with -o PAGE.png or -o OUT.pdf");
    bool to_pdf = ends_with(output, ".pdf");
    if (!to_pdf && !ends_with(output, ".png"))
        return cli_usage_error("render: -o wants a file name ending in .png or .pdf, not '%s'",
                               output);
    if (to_pdf && (page_given || dpi_given))
        return cli_usage_error("render: --page and --dpi go with PNG output; a PDF gets every "
                               "page at its own size");
    if (same_file(input, output))
        return cli_usage_error("render: the output would overwrite the input '%s'", input);

    if (seal_doc_open(&doc, input, &open_opts) < 0) {
        /* A document the file does not hold is the command's mistake. */
        if (open_opts.document > 1 &&
            (seal_error_last_code() == SEAL_EINVAL || seal_error_last_code() == SEAL_ENOTFOUND)) {
            code = cli_usage_error("render: %s", seal_error_last());
            goto out;
        }
        goto fail;
    }
    if (to_pdf) {
        int rc = seal_doc_render_pdf(doc, &opts, &bytes);
        /* A format that is not turned into a PDF (a PDF is one already) asks for a PNG. */
        if (rc == SEAL_EUNSUPPORTED) {
            code = cli_usage_error("render: %s; -o wants a .png", seal_error_last());
            goto out;
        }
        if (rc < 0)
            goto fail;
    } else if (seal_doc_render_png(doc, page, &opts, &bytes) < 0) {
        goto fail;
    }
    if (seal_buf_write_file(&bytes, output, 0644) < 0)
        goto fail;
    char doc_label[48] = "";
    if (seal_doc_document_count(doc) > 1)
        snprintf(doc_label, sizeof doc_label, "document %d, ",
                 open_opts.document > 0 ? open_opts.document : 1);
    if (to_pdf)
        printf("rendered %s: %d page%s to %s\n", input, seal_doc_page_count(doc),
               seal_doc_page_count(doc) == 1 ? "" : "s", output);
    else
        printf("rendered %s: %spage %d at %g dpi to %s\n", input, doc_label, page, opts.dpi,
               output);
    code = fflush(stdout) == 0 ? EXIT_OK : EXIT_ERROR;
    goto out;
fail:
    code = cli_fail("render");
out:
    seal_buf_clear(&bytes);
    seal_doc_free(doc);
    return code;
}
