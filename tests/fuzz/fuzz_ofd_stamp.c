/* libFuzzer target: stamping OFD packages nobody vouches for. The stamper reads the
 * package through the model, rewrites Signatures.xml and OFD.xml from their parsed trees,
 * reads the IDs of existing signatures and copies every entry; none of that may crash, and
 * whatever it accepts must come out as a package that opens again with one more signature.
 * Seeds: small OFD files of the shared corpus. */
#include <seal/error.h>
#include <seal/ofd.h>
#include <seal/pki.h>
#include <seal/ses.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static seal_signer *signer;
static seal_buf seal = SEAL_BUF_INIT;
static char in_path[64], out_path[80];

static char dir_path[] = "/tmp/fuzz-ofd-stamp.XXXXXX";

static void remove_files(void)
{
    unlink(in_path);
    unlink(out_path);
    rmdir(dir_path);
}

static void die(const char *what)
{
    fprintf(stderr, "fuzz_ofd_stamp: %s: %s\n", what, seal_error_last());
    abort();
}

/* One SM2 stamper and a 40 x 40 mm seal bound to it, made once per process. */
static void setup(void)
{
    time_t now = time(NULL);
    EVP_PKEY *root_key = NULL, *key = NULL;
    X509 *root = NULL, *cert = NULL;
    seal_signer *maker = NULL;
    seal_cert_spec spec = {.role = SEAL_CERT_ROOT_CA,
                           .country = "CN",
                           .organization = "fuzz",
                           .common_name = "fuzz root",
                           .not_before = now - 3600,
                           .not_after = now + 86400};
    if (seal_key_generate(&root_key, SEAL_ALG_SM2, 0) < 0 ||
        seal_key_generate(&key, SEAL_ALG_SM2, 0) < 0 ||
        seal_cert_issue(&root, &spec, root_key, NULL, NULL) < 0)
        die("root");
    spec.role = SEAL_CERT_SIGNER;
    spec.common_name = "fuzz signer";
    if (seal_cert_issue(&cert, &spec, key, root, root_key) < 0 ||
        seal_signer_new_software(&signer, key, cert, NULL) < 0 ||
        seal_signer_new_software(&maker, root_key, root, NULL) < 0)
        die("signer");
    static const uint8_t picture[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    STACK_OF(X509) *certs = sk_X509_new_null();
    sk_X509_push(certs, cert);
    seal_eseal_spec s = {.es_id = "1",
                         .vid = "fuzz",
                         .type = SEAL_SES_TYPE_OFFICIAL,
                         .name = "fuzz",
                         .certs = certs,
                         .picture_type = "PNG",
                         .picture = picture,
                         .picture_len = sizeof picture,
                         .width_mm = 40,
                         .height_mm = 40,
                         .created = now - 3600,
                         .valid_start = now - 3600,
                         .valid_end = now + 86400};
    if (seal_eseal_make(&seal, &s, maker) < 0)
        die("seal");
    sk_X509_free(certs);
    seal_signer_free(maker);
    X509_free(root);
    X509_free(cert);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(key);
    if (!mkdtemp(dir_path))
        die("temporary folder");
    snprintf(in_path, sizeof in_path, "%s/in.ofd", dir_path);
    snprintf(out_path, sizeof out_path, "%s/out.ofd", dir_path);
    atexit(remove_files);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!signer)
        setup();
    FILE *f = fopen(in_path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0)
        die("writing the input");
    seal_ofd_limits limits;
    seal_ofd_limits_default(&limits);
    limits.max_entry_size = 16 << 20; /* keep a fuzzing run's memory small */
    limits.max_total_size = 64 << 20;
    seal_placement place = {1, 20, 20, 40, 40, -1};
    seal_ofd_stamp_opts opts = {.placements = &place, .n_placements = 1, .limits = &limits};
    if (size > 0 && (data[size - 1] & 1))
        opts.mode = SEAL_OFD_STAMP_LOCK;
    if (seal_ofd_stamp(in_path, out_path, signer, seal.data, seal.len, &opts) == 0) {
        seal_ofd *before = NULL, *after = NULL;
        if (seal_ofd_open_mem(&before, data, size, &limits) < 0)
            die("the stamped input does not open by itself");
        if (seal_ofd_open(&after, out_path, &limits) < 0)
            die("the stamped output does not open");
        if (seal_ofd_signature_count(after) != seal_ofd_signature_count(before) + 1)
            die("the output does not have one more signature");
        seal_ofd_free(before);
        seal_ofd_free(after);
        unlink(out_path);
    }
    unlink(in_path);
    seal_error_clear();
    return 0;
}
