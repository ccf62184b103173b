/* libFuzzer target for the revocation evidence we are handed or fetch: the bytes as a CRL
 * and as an OCSP response (seal_revocation_add_crl/_ocsp), then judged for a certificate
 * (seal_pki_status_at, offline), as verify does with a DSS or a downloaded answer. */
#include <seal/pki.h>
#include <seal/revocation.h>

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *ca, *leaf;

static X509 *issue(seal_cert_role role, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
    time_t now = time(NULL);
    seal_cert_spec spec = {.role = role,
                           .common_name = role == SEAL_CERT_ROOT_CA ? "Fuzz CA" : "Fuzz Leaf",
                           .not_before = now - 3600,
                           .not_after = now + 3600,
                           .crl_url = "http://127.0.0.1:1/fuzz.crl"};
    X509 *x = NULL;
    if (seal_cert_issue(&x, &spec, key, issuer, issuer_key) < 0)
        abort();
    return x;
}

static void set_up(void)
{
    EVP_PKEY *ca_key = NULL, *leaf_key = NULL;
    if (seal_key_generate(&ca_key, SEAL_ALG_ECDSA, 0) < 0 ||
        seal_key_generate(&leaf_key, SEAL_ALG_ECDSA, 0) < 0)
        abort();
    ca = issue(SEAL_CERT_ROOT_CA, ca_key, NULL, NULL);
    leaf = issue(SEAL_CERT_SIGNER, leaf_key, ca, ca_key);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(leaf_key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ca)
        set_up();
    seal_revocation *rv = NULL;
    seal_revocation_opts opts = {.offline = true};
    if (seal_revocation_new(&rv, &opts) < 0)
        return 0;
    (void)seal_revocation_add_crl(rv, data, size, "fuzz");
    (void)seal_revocation_add_ocsp(rv, data, size, "fuzz");
    seal_cert_status st;
    if (seal_pki_status_at(&st, rv, leaf, ca, time(NULL)) == 0) {
        seal_buf text = SEAL_BUF_INIT;
        (void)seal_cert_status_describe(&text, &st);
        seal_buf_clear(&text);
        seal_cert_status_clear(&st);
    }
    seal_revocation_free(rv);
    return 0;
}
