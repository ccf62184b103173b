/* sealsvc stamp: the stamp flow on the command line. Resolves the seal in the store,
 * checks its certificate (expired, revoked or frozen refuses; near expiry warns), unlocks
 * its key with the PIN, plans where the seal goes (a point on one or more pages, a
 * keyword's hits, a seam across pages) and stamps the document with one signature; with
 * --level B-T and above a TSA timestamps the signature, and B-LT/B-LTA add validation data
 * in a second update (cmd_ltv.c). */
#include "cli.h"
#include "stamp_ofd.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/image.h>
#include <seal/pdf.h>
#include <seal/place.h>
#include <seal/revocation.h>
#include <seal/store.h>

#include <getopt.h>
#include <glib.h>
#include <math.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char stamp_usage[] =
    "usage: sealsvc --data DIR stamp IN.pdf|IN.ofd OUT --seal ID (--pin PIN | --pin-file F)\n"
    "                 (--at X,Y [--page N | --pages RANGE]\n"
    "                  | --keyword TEXT [--occurrence N|all] [--offset DX,DY] [--pages RANGE]\n"
    "                  | --seam right|left|top|bottom [--offset MM] [--pages RANGE]\n"
    "                  | --invisible [--page N])\n"
    "                 [--reason TEXT] [--location TEXT] [--mode continue|lock]\n"
    "                 [--level B-B|B-T|B-LT|B-LTA --tsa URL] [--trust PEM|DIR]...\n"
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
    "  --level L        PAdES level: B-B (default), B-T (signature timestamp; the default\n"
    "                   with --tsa), B-LT (and validation data), B-LTA (and a document\n"
    "                   timestamp)\n"
    "  --tsa URL        the RFC 3161 TSA; --tsa-hash sha256|sm3, --tsa-policy OID; for\n"
    "                   OFD a token over the signature value (SM3 unless --tsa-hash)\n"
    "  --trust PEM|DIR  anchors the TSA and the chains must lead to (DATA/trust is used\n"
    "                   too); --evidence FILE|DIR and --offline as for 'sealsvc ltv'\n"
    "  --password PW    an encrypted PDF's user or owner password (or $SEALSVC_PDF_PASSWORD,\n"
    "                   or --password-file); not needed for an empty user password\n"
    "  --certify P      certify the document (the first signature only): 1 no changes,\n"
    "                   2 form filling and signing, 3 also annotations\n"
    "  --lock-fields all|NAME,NAME   lock these form fields once sealed (FieldMDP)\n"
    "  --qr URL         draw a QR code of URL beside the seal; {sha256} in it becomes the\n"
    "                   SHA-256 of the input document (hex), e.g.\n"
    "                   --qr 'https://verify.example/{sha256}'\n"
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

#define RENEW_WARNING_DAYS SEAL_CA_RENEW_WINDOW_DAYS
#define STATUS_TIMEOUT_MS  5000
#define SECONDS_PER_DAY    86400

static void utc(char out[32], time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        strcpy(out, "?");
}

static time_t cert_time(const ASN1_TIME *t)
{
    struct tm tm;
    return t && ASN1_TIME_to_tm(t, &tm) ? timegm(&tm) : 0;
}

/* The platform's own word on the certificate: the CA database (CA agreements: a frozen
 * or revoked certificate may not be used). */
static int check_ca_database(seal_store *store, const char *id, X509 *cert)
{
    seal_ca_record c = {0};
    char since[32];
    char *serial = seal_cert_serial_hex(cert);
    int rc = seal_store_ca_find(store, serial, NULL, &c);
    g_free(serial);
    if (rc == SEAL_ENOTFOUND) {
        seal_error_clear();
        return 0; /* a certificate from another CA: OCSP and CRLs speak for it */
    }
    if (rc < 0)
        return rc;
    utc(since, c.revoked_at);
    const char *reason = seal_crl_reason_name(c.reason);
    if (c.state == SEAL_CA_REVOKED)
        rc = seal_error_set(SEAL_EPOLICY,
                            "seal %s cannot be used: its certificate %s is revoked since %s (%s)",
                            id, c.serial, since, reason ? reason : "no reason given");
    else if (c.state == SEAL_CA_HOLD)
        rc = seal_error_set(SEAL_EPOLICY,
                            "seal %s cannot be used: its certificate %s is frozen "
                            "(certificateHold) since %s; 'sealsvc ca unfreeze' releases it",
                            id, c.serial, since);
    seal_ca_record_clear(&c);
    return rc;
}

/* OCSP or CRL, when reachable: what relying parties will see. An answer that cannot be
 * had does not stop the stamp (the CA database above is authoritative for the platform's
 * own certificates); it is said on stderr. */
static int check_published_status(const char *data, const char *id, X509 *cert,
                                  STACK_OF(X509) * chain)
{
    int rc = 0;
    seal_revocation *rv = NULL;
    seal_cert_status st = {0};
    X509 *issuer = NULL;
    char since[32];
    char *cache = g_build_filename(data, "cache", "revocation", NULL);
    char *archive = g_build_filename(data, "evidence", NULL);
    char *published = g_build_filename(data, "crl", NULL);
    seal_revocation_opts opts = {
        .cache_dir = cache, .archive_dir = archive, .timeout_ms = STATUS_TIMEOUT_MS};
    for (int i = 0; chain && i < sk_X509_num(chain) && !issuer; i++)
        if (X509_check_issued(sk_X509_value(chain, i), cert) == X509_V_OK)
            issuer = sk_X509_value(chain, i);
    if (!issuer)
        goto out;
    SEAL_TRY(seal_revocation_new(&rv, &opts));
    SEAL_TRY(seal_revocation_add_dir(rv, published));
    SEAL_TRY(seal_pki_status_at(&st, rv, cert, issuer, time(NULL)));
    utc(since, st.revoked_at);
    const char *reason = seal_crl_reason_name(st.reason);
    if (st.state == SEAL_CERT_REVOKED)
        SEAL_FAIL(SEAL_EPOLICY,
                  "seal %s cannot be used: its certificate is revoked since %s (%s), says %s", id,
                  since, reason ? reason : "no reason given", st.evidence.source);
    if (st.state == SEAL_CERT_SUSPENDED)
        SEAL_FAIL(SEAL_EPOLICY,
                  "seal %s cannot be used: its certificate is frozen (certificateHold) since %s, "
                  "says %s",
                  id, since, st.evidence.source);
    if (st.state == SEAL_CERT_UNKNOWN)
        fprintf(stderr,
                "sealsvc: warning: the revocation status of seal %s's certificate could not be "
                "checked: %s\n",
                id, st.detail);
out:
    seal_cert_status_clear(&st);
    seal_revocation_free(rv);
    g_free(cache);
    g_free(archive);
    g_free(published);
    return rc;
}

/* Stamp policy: an expired, not yet valid, revoked or frozen certificate refuses the
 * stamp before any PIN is tried; one within 30 days of expiry warns (renewal window). */
static int check_seal_certificate(seal_store *store, const char *data, const char *id)
{
    int rc = 0;
    seal_record r = {0};
    X509 *cert = NULL;
    STACK_OF(X509) *chain = NULL;
    char end[32];
    SEAL_TRY(seal_store_get_seal(store, id, &r));
    SEAL_TRY(seal_cert_load_mem(&cert, r.cert_pem.data, r.cert_pem.len));
    time_t now = time(NULL);
    time_t not_before = cert_time(X509_get0_notBefore(cert));
    time_t not_after = cert_time(X509_get0_notAfter(cert));
    utc(end, not_after);
    SEAL_ENSURE(now <= not_after, SEAL_EPOLICY,
                "seal %s cannot be used: its certificate expired on %s", id, end);
    if (now < not_before) {
        char start[32];
        utc(start, not_before);
        SEAL_FAIL(SEAL_EPOLICY, "seal %s cannot be used: its certificate is not valid before %s",
                  id, start);
    }
    SEAL_TRY(check_ca_database(store, id, cert));
    if (r.chain_pem.len > 0) {
        chain = sk_X509_new_null();
        BIO *bio = BIO_new_mem_buf(r.chain_pem.data, (int)r.chain_pem.len);
        X509 *c;
        while (chain && bio && (c = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
            if (!sk_X509_push(chain, c))
                X509_free(c);
        BIO_free(bio);
        ERR_clear_error();
    }
    SEAL_TRY(check_published_status(data, id, cert, chain));
    if (not_after - now <= RENEW_WARNING_DAYS * SECONDS_PER_DAY)
        fprintf(stderr,
                "sealsvc: warning: the certificate of seal %s expires on %s (in %ld days); "
                "renew it ('sealsvc ca renew')\n",
                id, end, (long)((not_after - now) / SECONDS_PER_DAY));
out:
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    seal_record_clear(&r);
    return rc;
}

/* A decimal number of millimetres at TEXT ("150", "-2.5", "1e2"), not the hexadecimal,
 * "inf" or "nan" forms strtod also reads; END is where it stopped (NULL: not a number). */
static const char *parse_mm(const char *text, double *v)
{
    size_t len = strspn(text, "+-0123456789.eE");
    char *end = NULL;
    *v = strtod(text, &end);
    return len == 0 || end != text + len || !isfinite(*v) ? NULL : end;
}

static int parse_point(const char *text, double *x, double *y)
{
    const char *end = parse_mm(text, x);
    if (!end || *end != ',')
        return -1;
    end = parse_mm(end + 1, y);
    return !end || *end ? -1 : 0;
}

static int parse_number(const char *text, double *x)
{
    const char *end = parse_mm(text, x);
    return !end || *end ? -1 : 0;
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
static int plan_places(seal_place_plan *plan, const char *in, const char *password,
                       const seal_place_request *req)
{
    seal_pdf *pdf = NULL;
    int rc = seal_pdf_open_password(&pdf, in, password);
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
        {"password", required_argument, NULL, 'w'},
        {"password-file", required_argument, NULL, 'W'},
        {"certify", required_argument, NULL, 'c'},
        {"lock-fields", required_argument, NULL, 'L'},
        {"qr", required_argument, NULL, 'q'},
        {"mode", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        CLI_TIME_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const char *seal_id = NULL, *pin_arg = NULL, *pin_file = NULL;
    const char *password_arg = NULL, *password_file = NULL;
    char password[256] = "";
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
    cli_time time = {0};
    char *signed_tmp = NULL;
    stamp_record record = {.format = "PDF"};
    char *in_abs = NULL, *out_abs = NULL;

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
        case 'L':
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
        default: {
            int taken = c == '?' ? 0 : cli_time_option(&time, c, optarg);
            if (taken == EXIT_USAGE)
                return EXIT_USAGE;
            if (!taken)
                return cli_usage_error("stamp: unknown option");
        }
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
    if (is_ofd)
        record.format = "OFD";
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
    if (is_ofd && time.level_given && time.level >= CLI_LEVEL_B_LT)
        return cli_usage_error("stamp: %s is a PAdES level; an OFD signature takes --tsa URL "
                               "for a timestamp, and nothing more",
                               time.level == CLI_LEVEL_B_LT ? "B-LT" : "B-LTA");
    code = cli_time_prepare(&time, ctx, "stamp");
    if (code != EXIT_OK)
        goto out;
    /* GB/T 38540 signatures are SM2 with SM3; their timestamps hash with SM3 unless told. */
    if (is_ofd && !time.tsa_hash)
        time.client.md = EVP_sm3();
    code = EXIT_ERROR;
    if (time.level >= CLI_LEVEL_B_T) {
        opts.tsa = &time.client;
        opts.tsa_trust = time.trust;
    }

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

    /* The trail names the files as they are wherever it is read from. */
    in_abs = g_canonicalize_filename(in, NULL);
    out_abs = g_canonicalize_filename(out, NULL);
    record.in = in_abs;
    record.out = out_abs;
    if (seal_store_open(&store, data, false) < 0)
        goto out_fail;
    /* From here on every outcome is a use of the seal, recorded in the audit trail. */
    record.seal_id = seal_id;
    if (check_seal_certificate(store, data, seal_id) < 0 ||
        seal_store_unlock_seal(store, seal_id, pin, &signer, &rec) < 0)
        goto out_fail;
    seal_secure_zero(pin, sizeof pin);
    if (is_ofd) {
        code = stamp_ofd(in, out, signer, &rec, &req, ofd_mode, opts.tsa, opts.tsa_trust, &plan,
                         &record);
        code = stamp_audit(store, &record, code);
        if (code == EXIT_OK) {
            char *cn = seal_cert_subject_cn(seal_signer_cert(signer));
            stamp_ofd_print(out, &rec, &plan, ofd_mode, opts.tsa != NULL, cn ? cn : "?");
            free(cn);
        }
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
        if (plan_places(&plan, in, password, &req) < 0)
            goto out_fail;
        opts.placements = plan.items;
        opts.n_placements = plan.count;
        opts.strips = &plan.strips;
    }
    static const char *const levels[] = {"B-B", "B-T", "B-LT", "B-LTA"};
    snprintf(record.how, sizeof record.how, "PAdES %s%s", levels[time.level],
             opts.certify ? ", certifying" : "");
    record.places = opts.invisible ? 0 : plan.count;
    opts.digests = &record.digests;
    if (time.level >= CLI_LEVEL_B_LT) {
        /* B-LT: the validation data goes into a later update of the signed file. */
        signed_tmp = g_strdup_printf("%s.signed-%d", out, (int)getpid());
        if (seal_pdf_stamp(in, signed_tmp, signer, &opts) < 0 ||
            cli_time_ltv(&time, signed_tmp, out) < 0)
            goto out_fail;
        size_t len = 0;
        if (seal_digest_file(record.digests.md, out, record.digests.after, &len) < 0) {
            unlink(out);
            goto out_fail;
        }
    } else if (seal_pdf_stamp(in, out, signer, &opts) < 0) {
        goto out_fail;
    }

    code = stamp_audit(store, &record, EXIT_OK);
    if (code != EXIT_OK)
        goto out;
    char *signer_cn = seal_cert_subject_cn(seal_signer_cert(signer));
    print_stamped(out, &rec, &opts, signer_cn ? signer_cn : "?");
    free(signer_cn);
    goto out;
out_fail:
    code = cli_fail("stamp");
    if (record.seal_id)
        code = stamp_audit(store, &record, code);
out:
    if (signed_tmp)
        unlink(signed_tmp);
    g_free(signed_tmp);
    g_free(in_abs);
    g_free(out_abs);
    cli_time_clear(&time);
    seal_secure_zero(pin, sizeof pin);
    seal_place_plan_clear(&plan);
    seal_secure_zero(password, sizeof password);
    seal_record_clear(&rec);
    seal_signer_free(signer);
    seal_store_close(store);
    return code;
}
