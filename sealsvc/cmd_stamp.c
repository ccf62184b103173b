/* sealsvc stamp: the stamp flow on the command line. Resolves the seal in the store,
 * checks its certificate (expired, revoked or frozen refuses; near expiry warns), unlocks
 * its key with the PIN, and stamps the document at the requested place; with --level B-T
 * and above a TSA timestamps the signature, and B-LT/B-LTA add validation data in a
 * second update (cmd_ltv.c). */
#include "cli.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/pdf.h>
#include <seal/revocation.h>
#include <seal/store.h>

#include <getopt.h>
#include <glib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char stamp_usage[] =
    "usage: sealsvc --data DIR stamp IN.pdf OUT.pdf --seal ID (--pin PIN | --pin-file F)\n"
    "                 (--page N --at X,Y | --invisible) [--reason TEXT] [--location TEXT]\n"
    "                 [--level B-B|B-T|B-LT|B-LTA --tsa URL] [--trust PEM|DIR]...\n"
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
    "  --level L        PAdES level: B-B (default), B-T (signature timestamp; the default\n"
    "                   with --tsa), B-LT (and validation data), B-LTA (and a document\n"
    "                   timestamp)\n"
    "  --tsa URL        the RFC 3161 TSA; --tsa-hash sha256|sm3, --tsa-policy OID\n"
    "  --trust PEM|DIR  anchors the TSA and the chains must lead to (DATA/trust is used\n"
    "                   too); --evidence FILE|DIR and --offline as for 'sealsvc ltv'\n"
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
        {"help", no_argument, NULL, 'h'},
        CLI_TIME_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const char *seal_id = NULL, *pin_arg = NULL, *pin_file = NULL;
    seal_pdf_stamp_opts opts = {.page = 1};
    bool have_at = false;
    char pin[256] = "";
    int code = EXIT_ERROR;
    seal_store *store = NULL;
    seal_signer *signer = NULL;
    seal_record rec = {0};
    cli_time time = {0};
    char *signed_tmp = NULL;

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
    if (!opts.invisible && !have_at)
        return cli_usage_error("stamp: say where the seal goes with --at X,Y (or --invisible)");
    const char *data = cli_data_dir(ctx);
    if (!data)
        return cli_usage_error("stamp needs the data directory: --data DIR or $SEALSVC_DATA");
    code = cli_time_prepare(&time, ctx, "stamp");
    if (code != EXIT_OK)
        goto out;
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

    if (seal_store_open(&store, data, false) < 0 ||
        check_seal_certificate(store, data, seal_id) < 0 ||
        seal_store_unlock_seal(store, seal_id, pin, &signer, &rec) < 0)
        goto out_fail;
    seal_secure_zero(pin, sizeof pin);

    opts.image_png = rec.image_png.data;
    opts.image_png_len = rec.image_png.len;
    opts.width_mm = rec.width_mm;
    opts.height_mm = rec.height_mm;
    opts.seal_name = rec.name;
    if (time.level >= CLI_LEVEL_B_LT) {
        /* B-LT: the validation data goes into a later update of the signed file. */
        signed_tmp = g_strdup_printf("%s.signed-%d", out, (int)getpid());
        if (seal_pdf_stamp(in, signed_tmp, signer, &opts) < 0 ||
            cli_time_ltv(&time, signed_tmp, out) < 0)
            goto out_fail;
    } else if (seal_pdf_stamp(in, out, signer, &opts) < 0) {
        goto out_fail;
    }

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
    if (signed_tmp)
        unlink(signed_tmp);
    g_free(signed_tmp);
    cli_time_clear(&time);
    seal_secure_zero(pin, sizeof pin);
    seal_record_clear(&rec);
    seal_signer_free(signer);
    seal_store_close(store);
    return code;
}
