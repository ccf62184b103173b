/* libFuzzer target for the OCSP responder (seal_ocsp_respond): whatever a client POSTs
 * to `sealsvc ocsp` must be answered with an OCSPResponse or refused, never crash. */
#include <seal/ca.h>
#include <seal/pki.h>
#include <seal/revocation.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static seal_ocsp_responder responder;

static int lookup(void *ctx, const char *serial, seal_ocsp_answer *out)
{
    (void)ctx;
    /* Serials ending in an odd digit are revoked, so both kinds of answer are built. */
    char last = serial[0] ? serial[strlen(serial) - 1] : '0';
    out->state = (last - '0') % 2 ? SEAL_CERT_REVOKED : SEAL_CERT_GOOD;
    out->revoked_at = time(NULL) - 60;
    out->reason = 1;
    out->invalidity_date = time(NULL) - 120;
    return 0;
}

static void set_up(void)
{
    EVP_PKEY *key = NULL;
    time_t now = time(NULL);
    seal_cert_spec spec = {.role = SEAL_CERT_ROOT_CA,
                           .common_name = "Fuzz OCSP CA",
                           .not_before = now - 3600,
                           .not_after = now + 3600};
    X509 *ca = NULL;
    if (seal_key_generate(&key, SEAL_ALG_ECDSA, 0) < 0 ||
        seal_cert_issue(&ca, &spec, key, NULL, NULL) < 0)
        abort();
    responder =
        (seal_ocsp_responder){.issuer = ca, .signer = ca, .signer_key = key, .lookup = lookup};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!responder.issuer)
        set_up();
    seal_buf out = SEAL_BUF_INIT;
    (void)seal_ocsp_respond(&out, &responder, data, size);
    seal_buf_clear(&out);
    return 0;
}
