/* libFuzzer target for the RFC 3161 readers: the same bytes as a TimeStampReq (what
 * `sealsvc tsa` reads from anyone), a TimeStampResp (what a TSA sends our client) and a
 * TimeStampToken with every accessor and the check (what a PDF signature carries). */
#include <seal/tsp.h>

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    seal_tsp_request req;
    (void)seal_tsp_request_decode(&req, data, size);

    seal_buf token = SEAL_BUF_INIT;
    int status;
    (void)seal_tsp_response_decode(&token, &status, data, size);
    seal_buf_clear(&token);

    seal_tst *tst = NULL;
    if (seal_tst_parse(&tst, data, size) == 0) {
        (void)seal_tst_get_info(tst);
        (void)seal_tst_signer_cert(tst);
        (void)seal_tst_certs(tst);
        (void)seal_tst_der(tst);
        free(seal_tst_tsa_display_name(tst));
        (void)seal_tst_check(tst);
        (void)seal_tst_imprint_matches(tst, data, size);
        seal_tst_free(tst);
    }
    return 0;
}
