/* sealsvc stamp: the stamp flow on the command line. Resolves the seal in the store,
 * unlocks its key with the PIN, and stamps the document at the requested place. */
#include "cli.h"

#include <seal/error.h>
#include <seal/pdf.h>
#include <seal/store.h>

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char stamp_usage[] =
    "usage: sealsvc --data DIR stamp IN.pdf OUT.pdf --seal ID (--pin PIN | --pin-file F)\n"
    "                 (--page N --at X,Y | --invisible) [--reason TEXT] [--location TEXT]\n"
    "                 [--password PW | --password-file F] [--certify 1|2|3]\n"
    "                 [--lock-fields all|NAME,NAME] [--qr URL-TEMPLATE]\n"
    "\n"
    "  --seal ID        the seal to use (see 'sealsvc seal list')\n"
    "  --pin PIN        the seal's PIN (or $SEALSVC_PIN, or --pin-file with the PIN on its\n"
    "                   first line; prefer those: a PIN on the command line is visible to\n"
    "                   other users of the machine)\n"
    "  --page N         the page (1 = first), default 1\n"
    "  --at X,Y         the seal's centre, in mm from the top-left corner of the page as it\n"
    "                   is shown (rotation and CropBox are taken into account)\n"
    "  --invisible      sign without a picture\n"
    "  --reason TEXT, --location TEXT   recorded in the signature\n"
    "  --password PW    an encrypted PDF's user or owner password (or $SEALSVC_PDF_PASSWORD,\n"
    "                   or --password-file); not needed for an empty user password\n"
    "  --certify P      certify the document (the first signature only): 1 no changes,\n"
    "                   2 form filling and signing, 3 also annotations\n"
    "  --lock-fields all|NAME,NAME   lock these form fields once sealed (FieldMDP)\n"
    "  --qr URL         draw a QR code of URL beside the seal; {sha256} in it becomes the\n"
    "                   SHA-256 of the input document (hex), e.g.\n"
    "                   --qr 'https://verify.example/{sha256}'\n"
    "\n"
    "The input is never modified; OUT is written atomically. Exit 0 when stamped, 3 on an\n"
    "error (the message says what to fix), 64 on a usage error.\n";

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
    return (end == second || *end) ? -1 : 0;
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
        {"password", required_argument, NULL, 'w'},
        {"password-file", required_argument, NULL, 'W'},
        {"certify", required_argument, NULL, 'c'},
        {"lock-fields", required_argument, NULL, 'k'},
        {"qr", required_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *seal_id = NULL, *pin_arg = NULL, *pin_file = NULL;
    const char *password_arg = NULL, *password_file = NULL;
    char password[256] = "";
    seal_pdf_stamp_opts opts = {.page = 1};
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
            break;
        }
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
        case 'w':
            password_arg = optarg;
            break;
        case 'W':
            password_file = optarg;
            break;
        case 'c':
            if (strlen(optarg) != 1 || optarg[0] < '1' || optarg[0] > '3')
                return cli_usage_error("--certify wants 1, 2 or 3, not '%s'", optarg);
            opts.certify = optarg[0] - '0';
            break;
        case 'q':
            opts.qr_url = optarg;
            break;
        case 'k':
            if (!*optarg || optarg[0] == ',' || optarg[strlen(optarg) - 1] == ',' ||
                strstr(optarg, ",,"))
                return cli_usage_error("--lock-fields wants 'all' or field names separated by "
                                       "commas, not '%s'",
                                       optarg);
            opts.lock_fields = optarg;
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
    if (!opts.invisible && !have_at)
        return cli_usage_error("stamp: say where the seal goes with --at X,Y (or --invisible)");
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

    if (cli_read_password(password, sizeof password, password_arg, password_file) < 0)
        goto out_fail;
    opts.password = password;

    if (seal_store_open(&store, data, false) < 0 ||
        seal_store_unlock_seal(store, seal_id, pin, &signer, &rec) < 0)
        goto out_fail;
    seal_secure_zero(pin, sizeof pin);

    opts.image_png = rec.image_png.data;
    opts.image_png_len = rec.image_png.len;
    opts.width_mm = rec.width_mm;
    opts.height_mm = rec.height_mm;
    opts.seal_name = rec.name;
    if (seal_pdf_stamp(in, out, signer, &opts) < 0)
        goto out_fail;

    char *signer_cn = seal_cert_subject_cn(seal_signer_cert(signer));
    if (opts.invisible)
        printf("stamped %s: invisible signature with seal %s (%s), signer %s\n", out, rec.id,
               rec.name, signer_cn ? signer_cn : "?");
    else
        printf("stamped %s: seal %s (%s) on page %d at %.1f,%.1f mm, signer %s\n", out, rec.id,
               rec.name, opts.page, opts.x_mm, opts.y_mm, signer_cn ? signer_cn : "?");
    free(signer_cn);
    code = EXIT_OK;
    goto out;
out_fail:
    code = cli_fail("stamp");
out:
    seal_secure_zero(pin, sizeof pin);
    seal_secure_zero(password, sizeof password);
    seal_record_clear(&rec);
    seal_signer_free(signer);
    seal_store_close(store);
    return code;
}
