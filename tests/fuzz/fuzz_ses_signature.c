/* libFuzzer target: SES_Signature (GB/T 38540 v4/v5, GM/T 0031-2014 v1) from untrusted
 * bytes. Parsing must never crash, leak or read out of bounds; when it parses, the checks a
 * verifier runs (stamper signature, maker signature, certificate lookup) must be safe too.
 * Seeds: ../shared/corpus/ofd/SignedValueV4.dat (and every other corpus file). */
#include <seal/error.h>
#include <seal/ses.h>

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seal_ses_signature *s = NULL;
    if (seal_ses_signature_parse(&s, data, size) == 0) {
        seal_ses_signature_verify(s);
        seal_eseal_verify_maker(s->seal);
        if (s->signer_cert)
            seal_eseal_lists_cert(s->seal, s->signer_cert);
        seal_ses_signature_free(s);
    }
    seal_error_clear();
    return 0;
}
