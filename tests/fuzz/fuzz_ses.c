/* libFuzzer target: GB/T 38540 seals (SESeal of any version) from untrusted bytes.
 * Parsing must never crash, leak or read out of bounds; when a seal parses, the checks a
 * verifier runs on it (maker signature, certificate lookup) must be safe too.
 * Seeds: ../shared/corpus/ofd/UserV4.esl and UserV1.esl. */
#include <seal/error.h>
#include <seal/ses.h>

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seal_eseal *e = NULL;
    if (seal_eseal_parse(&e, data, size) == 0) {
        seal_eseal_verify_maker(e);
        if (e->maker_cert)
            seal_eseal_lists_cert(e, e->maker_cert);
        seal_eseal_free(e);
    }
    seal_error_clear();
    return 0;
}
