/* sealsvc stamp: the stamp flow's command-line face. It parses the flags into a
 * seal_stamp_request, calls the driver (seal/stamp.h: seal, policy, signer, plan, prepare,
 * sign, finish, audit, all in libseal) and prints the result. With --external the driver
 * stops after prepare and this prints what the signer must sign; `stamp finish` hands the
 * signature back and `stamp pending` lists what waits. Nothing here knows PDF from OFD. */
#include "cli.h"
#include "stamp_args.h"

#include <seal/error.h>
#include <seal/place.h>
#include <seal/stamp.h>
#include <seal/store.h>

#include <getopt.h>
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char stamp_usage[] =
    "usage: sealsvc --data DIR stamp IN.pdf|IN.ofd OUT --seal ID (--pin PIN | --pin-file F\n"
    "                 | --external [--expires SECONDS])\n"
    "                 (--at X,Y [--page N | --pages RANGE]\n"
    "                  | --keyword TEXT [--occurrence N|all] [--offset DX,DY] [--pages RANGE]\n"
    "                  | --seam right|left|top|bottom [--offset MM] [--pages RANGE]\n"
    "                  | --invisible [--page N])\n"
    "                 [--doc N] [--reason TEXT] [--location TEXT] [--mode continue|lock]\n"
    "                 [--level B-B|B-T|B-LT|B-LTA --tsa URL] [--trust PEM|DIR]...\n"
    "                 [--password PW | --password-file F] [--certify 1|2|3]\n"
    "                 [--lock-fields all|NAME,NAME] [--qr URL-TEMPLATE] [--grant ID]\n"
    "                 [--input-policy strict|warn|off [--normalise]]\n"
    "                 [--allow-broken-signatures]\n"
    "\n"
    "  --seal ID        the seal to use (see 'sealsvc seal list')\n"
    "  --grant ID       the grant this stamp uses (see 'sealsvc grant list'): checked, its\n"
    "                   use counted, and recorded in the signature; needed for a seal set\n"
    "                   to stamp only with a grant ('sealsvc grant require')\n"
    "  --pin PIN        the seal's PIN (or $SEALSVC_PIN, or --pin-file with the PIN on its\n"
    "                   first line; prefer those: a PIN on the command line is visible to\n"
    "                   other users of the machine)\n"
    "  --page N         the page (1 = first), default 1\n"
    "  --doc N          the document of an OFD that holds several (1 = first), default 1;\n"
    "                   pages are then that document's (a PDF holds one)\n"
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
    "  --input-policy P the input is first examined as an attacker's document (hidden\n"
    "                   content, hidden annotations or fields over the text, objects nothing\n"
    "                   reaches, updates after a signature, JavaScript, Launch actions,\n"
    "                   embedded files): strict refuses it naming what was found, warn\n"
    "                   (default) stamps and records the findings, off does not look\n"
    "  --normalise      when something is found, stamp a rewrite of the input that keeps\n"
    "                   only what the document reaches and has no earlier revisions (not\n"
    "                   for a signed input), and judge what the rewrite still holds\n"
    "  --allow-broken-signatures   stamp a document whose own signature no longer\n"
    "                   verifies (refused by default), with a warning\n"
    "  --external       the seal's key signs elsewhere (a USB key, an HSM, a remote signer):\n"
    "                   prepare the stamp, print what to sign as JSON (id, digest, algorithm,\n"
    "                   expiry) and exit without writing OUT; --expires SECONDS (default\n"
    "                   3600) is how long the signer has\n"
    "\n"
    "       sealsvc --data DIR stamp finish ID --signature FILE [--certificate PEM]\n"
    "                 [--trust PEM|DIR]... [--evidence FILE|DIR]... [--offline]\n"
    "  completes pending stamp ID with the signature in FILE (DER or raw, over the digest\n"
    "  handed out; SM2 also as 64-byte r||s); --certificate: the signer's certificate, which\n"
    "  must be the seal's. The signature is checked before anything is written.\n"
    "\n"
    "       sealsvc --data DIR stamp pending [--json]\n"
    "  lists the stamps waiting for a signature (expired ones are removed first).\n"
    "\n"
    "All the pictures belong to one signature. The input is never modified; OUT is written\n"
    "atomically. Exit 0 when stamped (or prepared), 3 on an error (the message says what to\n"
    "fix), 64 on a usage error.\n";

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

static void print_warnings(const seal_stamp_result *res)
{
    for (size_t i = 0; res->warnings && res->warnings[i]; i++)
        fprintf(stderr, "sealsvc: warning: %s\n", res->warnings[i]);
}

/* "stamped OUT: seal ID (NAME) on page 2 at 120.0,150.0 mm, signer CN (HOW)", or for
 * several pictures "... in 3 places: page 1 at ...; page 2 at ..., signer CN (HOW)". */
static int print_stamped(const seal_stamp_result *r, const char *out)
{
    /* Pages are the stamped document's; a file of several documents names it. */
    char doc[48] = "", in_doc[48] = "";
    if (r->document > 0) {
        snprintf(doc, sizeof doc, "document %d, ", r->document);
        snprintf(in_doc, sizeof in_doc, " of document %d", r->document);
    }
    if (r->n_placements == 0) {
        printf("stamped %s: invisible signature with seal %s (%s), signer %s (%s)\n", out,
               r->seal_id, r->seal_name, r->signer, r->how);
    } else if (r->n_placements == 1) {
        const seal_placement *p = &r->placements[0];
        printf("stamped %s: seal %s (%s) on %spage %d at %.1f,%.1f mm, signer %s (%s)\n", out,
               r->seal_id, r->seal_name, doc, p->page, p->x_mm, p->y_mm, r->signer, r->how);
    } else {
        printf("stamped %s: seal %s (%s) in %zu places%s:", out, r->seal_id, r->seal_name,
               r->n_placements, in_doc);
        for (size_t i = 0; i < r->n_placements; i++) {
            const seal_placement *p = &r->placements[i];
            printf("%s page %d at %.1f,%.1f mm", i ? ";" : "", p->page, p->x_mm, p->y_mm);
            if (p->strip >= 0)
                printf(" (strip %d, %.1f x %.1f mm)", p->strip + 1, p->width_mm, p->height_mm);
        }
        printf(", signer %s (%s)\n", r->signer, r->how);
    }
    if (r->normalised)
        printf("%s: the seal is on a normalised rewrite of the input (objects nothing reached "
               "and earlier revisions dropped); the input is unchanged\n",
               out);
    if (r->ltv)
        printf("%s: validation data for %zu signature(s) and %zu timestamp(s): %zu "
               "certificate(s), %zu CRL(s), %zu OCSP response(s)%s\n",
               out, r->ltv_signatures, r->ltv_timestamps, r->ltv_certs, r->ltv_crls, r->ltv_ocsps,
               r->ltv_archived ? "; document timestamp added (B-LTA)" : " (B-LT)");
    return EXIT_OK;
}

/* What an external signer needs, as one JSON object on stdout. */
static int print_prepared(const seal_stamp_result *r, const char *out)
{
    json_t *j = stamp_prepared_json(r, out);
    int code = EXIT_ERROR;
    if (j && json_dumpf(j, stdout, JSON_INDENT(2)) == 0) {
        fputc('\n', stdout);
        code = EXIT_OK;
    }
    json_decref(j);
    return code;
}

static int stamp_one(const cli_ctx *ctx, int argc, char **argv)
{
    static const struct option options[] = {
        {"seal", required_argument, NULL, 's'},
        {"pin", required_argument, NULL, 'p'},
        {"pin-file", required_argument, NULL, 'f'},
        {"page", required_argument, NULL, 'n'},
        {"doc", required_argument, NULL, 'D'},
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
        {"external", no_argument, NULL, 'x'},
        {"expires", required_argument, NULL, 'e'},
        {"grant", required_argument, NULL, 'g'},
        {"input-policy", required_argument, NULL, 'I'},
        {"normalise", no_argument, NULL, 'N'},
        {"allow-broken-signatures", no_argument, NULL, 'B'},
        {"help", no_argument, NULL, 'h'},
        CLI_TIME_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const char *seal_id = NULL, *pin_arg = NULL, *pin_file = NULL;
    const char *password_arg = NULL, *password_file = NULL;
    char password[256] = "";
    stamp_args args = {.prefix = "--"};
    /* A clerk at the command line: findings are warned about (docs/stamping.md). */
    seal_stamp_request rq = {.page = 0, .input_policy = SEAL_INPUT_WARN};
    seal_place_request req = {.mode = SEAL_PLACE_AT};
    char pin[256] = "";
    int code = EXIT_ERROR;
    seal_store *store = NULL;
    seal_stamp_result res = {0};
    cli_time time = {0};
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
        case 'n':
            args.page = optarg;
            break;
        case 'D':
            args.doc = optarg;
            break;
        case 'P':
            args.pages = optarg;
            break;
        case 'k':
            args.keyword = optarg;
            break;
        case 'o':
            args.occurrence = optarg;
            break;
        case 'O':
            args.offset = optarg;
            break;
        case 'S':
            args.seam = optarg;
            break;
        case 'm':
            args.mode = optarg;
            break;
        case 'a':
            args.at = optarg;
            break;
        case 'i':
            args.invisible = true;
            break;
        case 'r':
            args.reason = optarg;
            break;
        case 'l':
            args.location = optarg;
            break;
        case 'x':
            args.external = true;
            break;
        case 'e':
            args.expires = optarg;
            break;
        case 'w':
            password_arg = optarg;
            break;
        case 'W':
            password_file = optarg;
            break;
        case 'c':
            args.certify = optarg;
            break;
        case 'q':
            args.qr = optarg;
            break;
        case 'L':
            args.lock_fields = optarg;
            break;
        case 'I':
            args.input_policy = optarg;
            break;
        case 'N':
            args.normalise = true;
            break;
        case 'B':
            args.allow_broken_signatures = true;
            break;
        case 'g': {
            char *end = NULL;
            long long id = g_ascii_strtoll(optarg, &end, 10);
            if (!*optarg || *end || id <= 0)
                return cli_usage_error("stamp: --grant takes a grant's id, a positive number");
            rq.grant_id = id;
            break;
        }
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
    if (stamp_args_build(&args, &rq, &req) < 0)
        return cli_usage_error("stamp: %s", seal_error_last());
    if (rq.external && (pin_arg || pin_file))
        return cli_usage_error("stamp: --external signs elsewhere; drop --pin and --pin-file");
    const char *data = cli_data_dir(ctx);
    if (!data)
        return cli_usage_error("stamp needs the data directory: --data DIR or $SEALSVC_DATA");
    code = cli_time_prepare(&time, ctx, "stamp");
    if (code != EXIT_OK)
        goto out;
    code = EXIT_ERROR;
    rq.level = (seal_stamp_level)time.level;
    if (time.level >= CLI_LEVEL_B_T)
        rq.tsa = &time.client;
    rq.trust = time.trust;
    rq.revocation = time.revocation;

    if (rq.external) {
        /* no PIN: the key is not here */
    } else if (pin_file) {
        if (read_pin_file(pin_file, pin, sizeof pin) < 0)
            goto out_fail;
    } else if (pin_arg) {
        snprintf(pin, sizeof pin, "%s", pin_arg);
    } else if (getenv("SEALSVC_PIN")) {
        snprintf(pin, sizeof pin, "%s", getenv("SEALSVC_PIN"));
    } else {
        code = cli_usage_error("stamp: the seal's PIN is required (--pin, --pin-file or "
                               "$SEALSVC_PIN), or --external");
        goto out;
    }
    if (cli_read_password(password, sizeof password, password_arg, password_file) < 0)
        goto out_fail;

    /* The trail names the files as they are wherever it is read from, and a pending stamp
     * is finished from any folder. */
    in_abs = g_canonicalize_filename(in, NULL);
    out_abs = g_canonicalize_filename(out, NULL);
    rq.input = in_abs;
    rq.output = out_abs;
    rq.password = password;
    rq.seal_id = seal_id;
    rq.pin = rq.external ? NULL : pin;
    rq.actor = g_get_user_name();
    if (cli_store_open(ctx, data, false, &store) < 0)
        goto out_fail;
    int rc = seal_stamp(&res, store, &rq);
    seal_secure_zero(pin, sizeof pin);
    print_warnings(&res);
    if (rc < 0) {
        code = res.usage ? cli_usage_error("stamp: %s", seal_error_last()) : cli_fail("stamp");
        goto out;
    }
    if (rq.external)
        code = print_prepared(&res, out_abs);
    else
        code = print_stamped(&res, out);
    goto out;
out_fail:
    code = cli_fail("stamp");
out:
    g_free(in_abs);
    g_free(out_abs);
    cli_time_clear(&time);
    seal_secure_zero(pin, sizeof pin);
    seal_secure_zero(password, sizeof password);
    seal_stamp_result_clear(&res);
    seal_store_close(store);
    return code;
}

/* sealsvc stamp finish ID --signature FILE [--certificate PEM] [trusted-time options] */
static int stamp_finish(const cli_ctx *ctx, int argc, char **argv)
{
    static const struct option options[] = {
        {"signature", required_argument, NULL, 'S'},
        {"certificate", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        CLI_TIME_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const char *sig_path = NULL, *cert_path = NULL;
    cli_time time = {0};
    seal_buf sig = SEAL_BUF_INIT, cert = SEAL_BUF_INIT;
    seal_store *store = NULL;
    seal_stamp_result res = {0};
    seal_pending_record pending = {0};
    int code = EXIT_ERROR;

    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'S') {
            sig_path = optarg;
        } else if (c == 'C') {
            cert_path = optarg;
        } else if (c == 'h') {
            fputs(stamp_usage, stdout);
            return EXIT_OK;
        } else if (c == CLI_OPT_LEVEL || c == CLI_OPT_TSA || c == CLI_OPT_TSA_HASH ||
                   c == CLI_OPT_TSA_POLICY) {
            return cli_usage_error("stamp finish: the level and the TSA are the prepared "
                                   "stamp's; give only --trust, --evidence, --offline");
        } else {
            int taken = c == '?' ? 0 : cli_time_option(&time, c, optarg);
            if (taken == EXIT_USAGE)
                return EXIT_USAGE;
            if (!taken)
                return cli_usage_error("stamp finish: unknown option");
        }
    }
    if (argc - optind != 1)
        return cli_usage_error("stamp finish wants the pending stamp's id");
    if (!sig_path)
        return cli_usage_error("stamp finish: --signature FILE is required");
    const char *data = cli_data_dir(ctx);
    if (!data)
        return cli_usage_error("stamp needs the data directory: --data DIR or $SEALSVC_DATA");
    if (seal_buf_read_file(&sig, sig_path, 64 * 1024) < 0 ||
        (cert_path && seal_buf_read_file(&cert, cert_path, 1024 * 1024) < 0) ||
        cli_store_open(ctx, data, false, &store) < 0 ||
        seal_store_pending_get(store, argv[optind], &pending) < 0)
        goto fail;
    /* Anchors and evidence for the level the stamp was prepared at: B-T wants the TSA's
     * anchors, B-LT and B-LTA the evidence too (level_given, or cli_time_prepare would take
     * B-B for want of --tsa; existing_signatures and at most B-LT, as the TSA is the
     * prepared stamp's, not one given here). */
    time.level = pending.level >= SEAL_LEVEL_B_LT ? CLI_LEVEL_B_LT : (cli_level)pending.level;
    time.level_given = true;
    time.existing_signatures = true;
    code = cli_time_prepare(&time, ctx, "stamp finish");
    if (code != EXIT_OK)
        goto out;
    code = EXIT_ERROR;
    seal_stamp_finish_request rq = {.pending_id = argv[optind],
                                    .signature = sig.data,
                                    .signature_len = sig.len,
                                    .certificate_pem = cert_path ? cert.data : NULL,
                                    .certificate_pem_len = cert.len,
                                    .actor = g_get_user_name(),
                                    .trust = time.trust,
                                    .revocation = time.revocation};
    int rc = seal_stamp_finish(&res, store, &rq);
    print_warnings(&res);
    if (rc < 0)
        goto fail;
    printf("stamped %s: seal %s (%s), signer %s (%s), external signature\n", res.output,
           res.seal_id, res.seal_name, res.signer, res.how);
    if (res.ltv)
        printf("%s: validation data for %zu signature(s) and %zu timestamp(s) (%s)\n", res.output,
               res.ltv_signatures, res.ltv_timestamps, res.ltv_archived ? "B-LTA" : "B-LT");
    code = EXIT_OK;
    goto out;
fail:
    code = cli_fail("stamp finish");
out:
    cli_time_clear(&time);
    seal_pending_record_clear(&pending);
    seal_buf_clear(&sig);
    seal_buf_clear(&cert);
    seal_stamp_result_clear(&res);
    seal_store_close(store);
    return code;
}

/* sealsvc stamp pending [--json] */
static int stamp_pending(const cli_ctx *ctx, int argc, char **argv)
{
    static const struct option options[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    bool as_json = false;
    seal_store *store = NULL;
    seal_pending_record *list = NULL;
    size_t n = 0;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c == 'j')
            as_json = true;
        else if (c == 'h') {
            fputs(stamp_usage, stdout);
            return EXIT_OK;
        } else
            return cli_usage_error("stamp pending: unknown option");
    }
    if (argc != optind)
        return cli_usage_error("stamp pending takes no arguments");
    const char *data = cli_data_dir(ctx);
    if (!data)
        return cli_usage_error("stamp needs the data directory: --data DIR or $SEALSVC_DATA");
    if (cli_store_open(ctx, data, false, &store) < 0 || seal_stamp_expire(store, NULL) < 0 ||
        seal_store_pending_list(store, &list, &n) < 0) {
        seal_store_close(store);
        return cli_fail("stamp pending");
    }
    json_t *arr = as_json ? json_array() : NULL;
    for (size_t i = 0; i < n; i++) {
        const seal_pending_record *r = &list[i];
        char *created = cli_time_text(r->created), *expires = cli_time_text(r->expires);
        if (arr)
            json_array_append_new(
                arr,
                json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "id", r->id,
                          "seal", r->seal_id, "actor", r->actor, "format", r->format, "input",
                          r->input, "output", r->output, "how", r->how, "algorithm", r->alg,
                          "created", created, "expires", expires, "finishing", r->finishing));
        else
            printf("%s  seal %s  %s -> %s  %s  %s  by %s, expires %s%s\n", r->id, r->seal_id,
                   r->input, r->output, r->how, r->alg, r->actor, expires,
                   r->finishing ? "  (being finished)" : "");
        g_free(created);
        g_free(expires);
    }
    if (arr) {
        json_dumpf(arr, stdout, JSON_INDENT(2));
        fputc('\n', stdout);
        json_decref(arr);
    } else if (n == 0) {
        printf("no pending stamps\n");
    }
    seal_pending_records_free(list, n);
    seal_store_close(store);
    return EXIT_OK;
}

int cmd_stamp(const cli_ctx *ctx, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "finish") == 0)
        return stamp_finish(ctx, argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "pending") == 0)
        return stamp_pending(ctx, argc - 1, argv + 1);
    return stamp_one(ctx, argc, argv);
}
