/* PAdES B-T while stamping (ETSI EN 319 142-1 5.3): the CMS the signer made is handed
 * to the TSA as the hash of its SignerInfo signature value (RFC 3161 appendix A), the
 * token is checked (by the client, and here the TSA's chain at genTime when anchors are
 * given) and goes back into the CMS as the id-aa-signatureTimeStampToken unsigned
 * attribute. The stamper then fills the /Contents gap as for B-B. */
#include "ltv_internal.h"

#include <seal/error.h>

int pdf_timestamp_signature(seal_buf *cms_der, const seal_tsp_client *tsa, const seal_trust *trust)
{
    int rc = 0;
    seal_cms *cms = NULL;
    seal_tst *tst = NULL;
    seal_chain_result chain = {0};

    SEAL_TRY(seal_cms_parse(&cms, cms_der->data, cms_der->len));
    seal_slice value = seal_cms_signature_value(cms);
    SEAL_TRY(seal_tsp_timestamp_data(&tst, tsa, value.data, value.len));
    if (trust) {
        time_t gen_time = seal_tst_get_info(tst)->gen_time;
        SEAL_TRY(seal_chain_verify(&chain, trust, seal_tst_signer_cert(tst), seal_tst_certs(tst),
                                   gen_time, true));
        SEAL_ENSURE(chain.status == SEAL_CHAIN_OK, SEAL_EPKI,
                    "the TSA's certificate is not trusted at the time it gave (%s): %s",
                    seal_chain_status_name(chain.status), chain.detail);
    }
    seal_slice token = seal_tst_der(tst);
    SEAL_TRY(
        seal_cms_add_unsigned_attr(cms_der, SEAL_OID_ATTR_TIMESTAMP_TOKEN, token.data, token.len));
out:
    seal_chain_result_clear(&chain);
    seal_tst_free(tst);
    seal_cms_free(cms);
    return rc;
}
