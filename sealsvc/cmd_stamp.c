/* sealsvc stamp: the stamp flow on the command line. Resolves the seal in the store,
 * unlocks its key with the PIN, plans where the seal goes (a point on one or more pages,
 * a keyword's hits, a seam across pages) and stamps the document with one signature. */
#include "cli.h"
#include "stamp_ofd.h"

#include <seal/error.h>
#include <seal/image.h>
#include <seal/pdf.h>
#include <seal/place.h>
#include <seal/store.h>

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char stamp_usage[] =
    "usage: sealsvc --data DIR stamp IN.pdf|IN.ofd OUT --seal ID (--pin PIN | --pin-file F)\n"
    "                 (--at X,Y [--page N | --pages RANGE]\n"
    "                  | --keyword TEXT [--occurrence N|all] [--offset DX,DY] [--pages RANGE]\n"
    "                  | --seam right|left|top|bottom [--offset MM] [--pages RANGE]\n"
    "                  | --invisible [--page N])\n"
    "                 [--reason TEXT] [--location TEXT] [--mode continue|lock]\n"
    "\n"
    "  --seal ID        the seal to use (see 'sealsvc seal list')\n"
    "  --pin PIN        the seal's PIN (or $SEALSVC_PIN, or --pin-file with the PIN on its\n"
    "                   first line; prefer those: a PIN on the command line is visible to\n"
    "                   other users of the machine)\n"
    "  --page N         the page (1 = first), default 1\n"
    "  --at X,Y         the seal's centre, in mm from the top-left corner of the page as it\n"
    "                   is shown (rotation and CropBox are taken into account)\n"
    "  --pages RANGE    several pages, e.g. 1-3,5,last or 2-last, all, odd, even: --at puts\n"
    "                   the seal on each; --keyword searches only these; --seam spans them\n"
    "                   (default all)\n"
    "  --keyword TEXT   centre the seal on the text where it occurs (all occurrences unless\n"
    "                   --occurrence N picks the N-th, counted in reading order)\n"
    "  --offset DX,DY   with --keyword: move the centre DX mm right and DY mm down\n"
    "  --seam SIDE      a seam (cross-page) seal: one strip per page at that edge, the\n"
    "                   strips joining into the seal when the pages are fanned out\n"
    "  --offset MM      with --seam: the seal centre's distance along the edge from the\n"
    "                   middle of the edge, towards the bottom (right, left) or the right\n"
    "                   (top, bottom); default 0\n"
    "  --invisible      sign without a picture\n"
    "  --reason TEXT, --location TEXT   recorded in the signature (PDF)\n"
    "  --mode MODE      OFD: continue (default) lets later signatures be added; lock covers\n"
    "                   the signature list too, so any later stamp is refused\n"
    "\n"
    "All the pictures belong to one signature. The input is never modified; OUT is written\n"
    "atomically. Exit 0 when stamped, 3 on an error (the message says what to fix), 64 on a\n"
    "usage error.\n";

static int read_pin_file(const char *path, char *pin, size_t size)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return seal_error_set(SEAL_EIO, "cannot open the PIN file %s", path);
    char *line = fgets(pin, (int)size, f);
    fclose(f);
    if (!line)
        return seal_error_set(SEAL_EINVAL, "the PIN file %s is empty", path);
    pin[strcspn(pin, "\r\n")] = 0;
    return 0;
}

static int parse_point(const char *text, double *x, double *y)
{
    char *end = NULL;
    *x = strtod(text, &end);
    if (end == text || *end != ',')
        return -1;
    const char *second = end + 1;
    *y = strtod(second, &end);
    return (end == second || *end || !isfinite(*x) || !isfinite(*y)) ? -1 : 0;
}

static int parse_number(const char *text, double *x)
{
    char *end = NULL;
    *x = strtod(text, &end);
    return (end == text || *end || !isfinite(*x)) ? -1 : 0;
}

/* "stamped OUT: seal ID (NAME) on page 2 at 120.0,150.0 mm, signer CN", or for several
 * pictures "... in 3 places: page 1 at ...; page 2 at ..., signer CN". */
static void print_stamped(const char *out, const seal_record *rec, const seal_pdf_stamp_opts *opts,
                          const char *signer_cn)
{
    if (opts->invisible) {
        printf("stamped %s: invisible signature with seal %s (%s), signer %s\n", out, rec->id,
               rec->name, signer_cn);
        return;
    }
    if (opts->n_placements == 1) {
        const seal_placement *p = &opts->placements[0];
        printf("stamped %s: seal %s (%s) on page %d at %.1f,%.1f mm, signer %s\n", out, rec->id,
               rec->name, p->page, p->x_mm, p->y_mm, signer_cn);
        return;
    }
    printf("stamped %s: seal %s (%s) in %zu places:", out, rec->id, rec->name, opts->n_placements);
    for (size_t i = 0; i < opts->n_placements; i++) {
        const seal_placement *p = &opts->placements[i];
        printf("%s page %d at %.1f,%.1f mm", i ? ";" : "", p->page, p->x_mm, p->y_mm);
        if (p->strip >= 0)
            printf(" (strip %d, %.1f x %.1f mm)", p->strip + 1, p->width_mm, p->height_mm);
    }
    printf(", signer %s\n", signer_cn);
}

/* Opens the document only to plan: page count, page sizes, text search. */
static int plan_places(seal_place_plan *plan, const char *in, const seal_place_request *req)
{
    seal_pdf *pdf = NULL;
    int rc = seal_pdf_open(&pdf, in);
    if (rc == 0) {
        seal_place_doc doc;
        seal_pdf_place_doc(&doc, pdf);
        rc = seal_place_plan_make(plan, req, &doc);
    }
    seal_pdf_free(pdf);
    return rc;
}

int cmd_stamp(const cli_ctx *ctx, int argc, char **argv)
{
    static const struct option options[] = {
        {"seal", required_argument, NULL, 's'},
        {"pin", required_argument, NULL, 'p'},
        {"pin-file", required_argument, NULL, 'f'},
        {"page", required_argument, NULL, 'n'},
        {"at", required_argument, NULL, 'a'},
        {"invisible", no_argument, NULL, 'i'},
        {"reason", required_argument, NULL, 'r'},
        {"location", required_argument, NULL, 'l'},
        {"pages", required_argument, NULL, 'P'},
        {"keyword", required_argument, NULL, 'k'},
        {"occurrence", required_argument, NULL, 'o'},
        {"offset", required_argument, NULL, 'O'},
        {"seam", required_argument, NULL, 'S'},
        {"mode", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *seal_id = NULL, *pin_arg = NULL, *pin_file = NULL;
    seal_pdf_stamp_opts opts = {.page = 1};
    seal_place_request req = {.mode = SEAL_PLACE_AT};
    seal_place_plan plan = {NULL, 0, {NULL, 0}};
    const char *page_arg = NULL, *offset_arg = NULL, *occurrence_arg = NULL, *seam_arg = NULL;
    const char *mode_arg = NULL;
    seal_ofd_stamp_mode ofd_mode = SEAL_OFD_STAMP_CONTINUE;
    bool have_at = false;
    char pin[256] = "";
    int code = EXIT_ERROR;
    seal_store *store = NULL;
    seal_signer *signer = NULL;
    seal_record rec = {0};

    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 's':
            seal_id = optarg;
            break;
        case 'p':
            pin_arg = optarg;
            break;
        case 'f':
            pin_file = optarg;
            break;
        case 'n': {
            char *end = NULL;
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end || n < 1 || n > 10000000)
                return cli_usage_error("--page wants a page number (1 = first), not '%s'", optarg);
            opts.page = (int)n;
            page_arg = optarg;
            break;
        }
        case 'P':
            req.pages = optarg;
            break;
        case 'k':
            req.keyword = optarg;
            break;
        case 'o':
            occurrence_arg = optarg;
            break;
        case 'O':
            offset_arg = optarg;
            break;
        case 'S':
            seam_arg = optarg;
            break;
        case 'm':
            mode_arg = optarg;
            break;
        case 'a':
            if (parse_point(optarg, &opts.x_mm, &opts.y_mm) < 0)
                return cli_usage_error("--at wants X,Y in millimetres (e.g. 150,240), not '%s'",
                                       optarg);
            have_at = true;
            break;
        case 'i':
            opts.invisible = true;
            break;
        case 'r':
            opts.reason = optarg;
            break;
        case 'l':
            opts.location = optarg;
            break;
        case 'h':
            fputs(stamp_usage, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("stamp: unknown option");
        }
    }
    if (argc - optind != 2)
        return cli_usage_error("stamp wants an input and an output file");
    const char *in = argv[optind], *out = argv[optind + 1];
    if (!seal_id)
        return cli_usage_error("stamp: --seal ID is required");
    int modes = have_at + opts.invisible + (req.keyword != NULL) + (seam_arg != NULL);
    if (modes == 0)
        return cli_usage_error("stamp: say where the seal goes with --at X,Y, --keyword TEXT or "
                               "--seam SIDE (or --invisible)");
    if (modes > 1)
        return cli_usage_error("stamp: --at, --keyword, --seam and --invisible exclude each other");
    if (page_arg && req.pages)
        return cli_usage_error("stamp: --page and --pages exclude each other");
    if (page_arg && (req.keyword || seam_arg))
        return cli_usage_error("stamp: --keyword and --seam take --pages RANGE, not --page");
    if (req.pages && opts.invisible)
        return cli_usage_error("stamp: an invisible signature has no pages to show; drop --pages");
    if (occurrence_arg && !req.keyword)
        return cli_usage_error("stamp: --occurrence goes with --keyword");
    if (offset_arg && !req.keyword && !seam_arg)
        return cli_usage_error("stamp: --offset goes with --keyword or --seam");
    if (have_at) {
        req.x_mm = opts.x_mm;
        req.y_mm = opts.y_mm;
        if (page_arg)
            req.pages = page_arg;
    }
    if (req.keyword) {
        req.mode = SEAL_PLACE_KEYWORD;
        if (!*req.keyword)
            return cli_usage_error("stamp: --keyword wants the text to find, not ''");
        if (occurrence_arg && strcmp(occurrence_arg, "all") != 0) {
            char *end = NULL;
            long n = strtol(occurrence_arg, &end, 10);
            if (end == occurrence_arg || *end || n < 1 || n > 1000000)
                return cli_usage_error("--occurrence wants N (1 = first) or all, not '%s'",
                                       occurrence_arg);
            req.occurrence = (int)n;
        }
        if (offset_arg && parse_point(offset_arg, &req.dx_mm, &req.dy_mm) < 0)
            return cli_usage_error("--offset with --keyword wants DX,DY in millimetres (e.g. "
                                   "0,-10), not '%s'",
                                   offset_arg);
    }
    if (seam_arg) {
        req.mode = SEAL_PLACE_SEAM;
        if (seal_seam_side_parse(&req.side, seam_arg) < 0)
            return cli_usage_error("--seam wants right, left, top or bottom, not '%s'", seam_arg);
        if (offset_arg && parse_number(offset_arg, &req.offset_mm) < 0)
            return cli_usage_error("--offset with --seam wants millimetres (e.g. -40), not '%s'",
                                   offset_arg);
    }
    bool is_ofd = stamp_is_ofd(in);
    if (is_ofd && (opts.invisible || opts.reason || opts.location))
        return cli_usage_error("stamp: an OFD seal is always shown and OFD signatures record no "
                               "reason or location; drop --invisible, --reason, --location");
    if (is_ofd && stamp_ofd_mode_parse(mode_arg, &ofd_mode) < 0)
        return cli_usage_error("--mode wants continue or lock, not '%s'", mode_arg);
    if (!is_ofd && mode_arg)
        return cli_usage_error("stamp: --mode is for OFD documents");
    const char *data = cli_data_dir(ctx);
    if (!data)
        return cli_usage_error("stamp needs the data directory: --data DIR or $SEALSVC_DATA");

    if (pin_file) {
        if (read_pin_file(pin_file, pin, sizeof pin) < 0)
            goto out_fail;
    } else if (pin_arg) {
        snprintf(pin, sizeof pin, "%s", pin_arg);
    } else if (getenv("SEALSVC_PIN")) {
        snprintf(pin, sizeof pin, "%s", getenv("SEALSVC_PIN"));
    } else {
        code = cli_usage_error("stamp: the seal's PIN is required (--pin, --pin-file or "
                               "$SEALSVC_PIN)");
        goto out;
    }

    if (seal_store_open(&store, data, false) < 0 ||
        seal_store_unlock_seal(store, seal_id, pin, &signer, &rec) < 0)
        goto out_fail;
    seal_secure_zero(pin, sizeof pin);
    if (is_ofd) {
        code = stamp_ofd(in, out, signer, &rec, &req, ofd_mode);
        goto out;
    }

    opts.image_png = rec.image_png.data;
    opts.image_png_len = rec.image_png.len;
    opts.width_mm = rec.width_mm;
    opts.height_mm = rec.height_mm;
    opts.seal_name = rec.name;
    if (!opts.invisible) {
        req.image_png = rec.image_png.data;
        req.image_png_len = rec.image_png.len;
        req.width_mm = rec.width_mm;
        req.height_mm = rec.height_mm;
        if (plan_places(&plan, in, &req) < 0)
            goto out_fail;
        opts.placements = plan.items;
        opts.n_placements = plan.count;
        opts.strips = &plan.strips;
    }
    if (seal_pdf_stamp(in, out, signer, &opts) < 0)
        goto out_fail;

    char *signer_cn = seal_cert_subject_cn(seal_signer_cert(signer));
    print_stamped(out, &rec, &opts, signer_cn ? signer_cn : "?");
    free(signer_cn);
    code = EXIT_OK;
    goto out;
out_fail:
    code = cli_fail("stamp");
out:
    seal_secure_zero(pin, sizeof pin);
    seal_place_plan_clear(&plan);
    seal_record_clear(&rec);
    seal_signer_free(signer);
    seal_store_close(store);
    return code;
}
