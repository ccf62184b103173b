/* libFuzzer target for the CMS reader (seal_cms_parse, then every accessor and the check),
 * which reads the /Contents of any PDF signature we are asked to verify. Build with
 * clang -fsanitize=fuzzer,address against libseal. */
#include <seal/cms.h>

#include <openssl/evp.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seal_cms *cms = NULL;
    if (seal_cms_parse(&cms, data, size) < 0)
        return 0;

    time_t when;
    (void)seal_cms_signing_time(cms, &when);
    (void)seal_cms_sig_alg_oid(cms);
    (void)seal_cms_signature_value(cms);
    (void)seal_cms_certs(cms);
    (void)seal_cms_signer_cert(cms);
    (void)seal_cms_content_type(cms);
    (void)seal_cms_content(cms);
    /* id-aa-signatureTimeStampToken (RFC 3161 Appendix A), what PAdES B-T reads: a whole
     * DER element of the (copied) input, so never longer than it. */
    seal_slice token;
    if (seal_cms_unsigned_attr(cms, "1.2.840.113549.1.9.16.2.14", &token) == 0 && token.len > size)
        __builtin_trap();

    const EVP_MD *md = seal_cms_digest_md(cms);
    if (md) {
        /* Any digest of the right size: the check must run or refuse, never crash. */
        uint8_t digest[EVP_MAX_MD_SIZE];
        memset(digest, 0x5a, sizeof digest);
        seal_cms_outcome result;
        (void)seal_cms_check(&result, cms, digest, (size_t)EVP_MD_get_size(md));
    }
    seal_cms_free(cms);
    return 0;
}
