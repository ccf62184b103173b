/* Trusted time for a new OFD signature: the stamper asks a TSA (RFC 3161) for a token over
 * the signature value it just made. The client checks the answer (status, nonce, imprint,
 * the TSA's signature, ESS binding, timeStamping usage); here the TSA's chain is checked
 * at genTime when the caller gave trust anchors, so a token nobody could trust is never
 * embedded. stamp.c puts the token in the SES timeStamp field or the CMS. */
#include "stamp_internal.h"

#include <seal/cms.h>
#include <seal/error.h>

#include <openssl/evp.h>

static int check_tsa_chain(const seal_tst *tst, const seal_trust *trust)
{
    int rc = 0;
    seal_chain_result chain = {0};
    if (!trust)
        return 0;
    time_t gen_time = seal_tst_get_info(tst)->gen_time;
    SEAL_TRY(seal_chain_verify(&chain, trust, seal_tst_signer_cert(tst), seal_tst_certs(tst),
                               gen_time, true));
    SEAL_ENSURE(chain.status == SEAL_CHAIN_OK, SEAL_EPKI,
                "the TSA's certificate is not trusted at the time it gave (%s): %s",
                seal_chain_status_name(chain.status), chain.detail);
out:
    seal_chain_result_clear(&chain);
    return rc;
}

int ofd_stamp_timestamp(seal_buf *out, const seal_tsp_client *tsa, const seal_trust *trust,
                        const uint8_t *value, size_t len)
{
    int rc = 0;
    seal_tst *tst = NULL;
    /* GB/T 38540 signatures are SM2 with SM3: their tokens hash with SM3 unless the caller
     * chose. */
    seal_tsp_client client = *tsa;
    if (!client.md)
        client.md = EVP_sm3();
    SEAL_TRY(seal_tsp_timestamp_data(&tst, &client, value, len));
    SEAL_TRY(check_tsa_chain(tst, trust));
    seal_slice token = seal_tst_der(tst);
    SEAL_TRY(seal_buf_set(out, token.data, token.len));
out:
    seal_tst_free(tst);
    return rc;
}

/* RFC 3161 appendix A: the token's imprint is the hash of the SignerInfo's signature
 * value, and it travels as the id-aa-signatureTimeStampToken unsigned attribute. */
int ofd_stamp_timestamp_cms(seal_buf *cms_der, const seal_tsp_client *tsa, const seal_trust *trust)
{
    int rc = 0;
    seal_cms *cms = NULL;
    seal_buf token = SEAL_BUF_INIT;
    SEAL_TRY(seal_cms_parse(&cms, cms_der->data, cms_der->len));
    seal_slice value = seal_cms_signature_value(cms);
    SEAL_TRY(ofd_stamp_timestamp(&token, tsa, trust, value.data, value.len));
    SEAL_TRY(
        seal_cms_add_unsigned_attr(cms_der, SEAL_OID_ATTR_TIMESTAMP_TOKEN, token.data, token.len));
out:
    seal_buf_clear(&token);
    seal_cms_free(cms);
    return rc;
}
