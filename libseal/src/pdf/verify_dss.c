/* The verify flow's use of a document's /DSS (PAdES B-LT, ISO 32000-2 12.8.4.3): its
 * CRLs, OCSP responses and certificates are read into a revocation context, which the
 * certificate checks (verify/cert_checks.c) judge with the relying party's own evidence:
 * every certificate of a chain but the anchor at the signing time (proven, or claimed). */
#include "ltv_internal.h"

#include <seal/error.h>
#include <seal/verify.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*add_fn)(seal_revocation *rv, const uint8_t *der, size_t len, const char *source);

static int add_streams(seal_revocation *rv, qpdf_data q, qpdf_oh dss, const char *key, add_fn add,
                       STACK_OF(X509) * certs)
{
    int rc = 0;
    qpdf_oh arr = qpdf_oh_get_key(q, dss, key);
    int n = qpdf_oh_is_array(q, arr) ? qpdf_oh_get_array_n_items(q, arr) : 0;
    for (int i = 0; i < n; i++) {
        qpdf_oh s = qpdf_oh_get_array_item(q, arr, i);
        unsigned char *data = NULL;
        size_t len = 0;
        if (!qpdf_oh_is_stream(q, s))
            continue;
        qpdf_oh_get_stream_data(q, s, qpdf_dl_generalized, NULL, &data, &len);
        SEAL_TRY(pdf_qpdf_error(q, "the document's DSS cannot be read"));
        if (data && certs) {
            X509 *cert = NULL;
            if (seal_cert_load_mem(&cert, data, len) == 0 && !sk_X509_push(certs, cert)) {
                X509_free(cert);
                rc = seal_error_set(SEAL_ENOMEM, "out of memory");
            }
            seal_error_clear();
        } else if (data) {
            /* Damaged evidence is not fatal: the status of what it concerned stays unknown. */
            if (add(rv, data, len, "DSS") < 0)
                seal_error_clear();
        }
        free(data);
        SEAL_TRY(rc);
    }
out:
    return rc;
}

int pdf_dss_load(seal_revocation **out, qpdf_data q)
{
    int rc = 0;
    seal_revocation *rv = NULL;
    STACK_OF(X509) *certs = NULL;
    seal_revocation_opts opts = {.offline = true};
    *out = NULL;
    qpdf_oh dss = qpdf_oh_get_key(q, qpdf_get_root(q), "/DSS");
    if (!qpdf_oh_is_dictionary(q, dss))
        return 0;
    SEAL_TRY(seal_revocation_new(&rv, &opts));
    certs = sk_X509_new_null();
    SEAL_ENSURE(certs, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(add_streams(rv, q, dss, "/CRLs", seal_revocation_add_crl, NULL));
    SEAL_TRY(add_streams(rv, q, dss, "/OCSPs", seal_revocation_add_ocsp, NULL));
    SEAL_TRY(add_streams(rv, q, dss, "/Certs", NULL, certs));
    SEAL_TRY(seal_revocation_add_certs(rv, certs));
    *out = rv;
    rv = NULL;
out:
    sk_X509_pop_free(certs, X509_free);
    seal_revocation_free(rv);
    return rc;
}

int pdf_check_revocation(seal_sig_report *s, const char *check_name, const seal_trust *trust,
                         seal_revocation *dss, STACK_OF(X509) * chain, time_t at, bool proven,
                         seal_verdict *worst)
{
    return seal_verify_chain_revocation(s, check_name, trust, chain, at, proven, dss, worst);
}
