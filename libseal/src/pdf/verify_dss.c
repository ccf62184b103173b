/* The verify flow's use of a document's /DSS (PAdES B-LT, ISO 32000-2 12.8.4.3): its
 * CRLs, OCSP responses and certificates feed an offline revocation context, and every
 * certificate of a chain but the anchor is judged at the signing time (proven, or
 * claimed) from that evidence alone: good, revoked before (INVALID), revoked after a
 * proven time (still VALID, and said), on hold (INDETERMINATE, SUSPENDED), or no evidence
 * (INDETERMINATE, TRY_LATER). Documents without a DSS are not judged here. */
#include "ltv_internal.h"

#include <seal/error.h>

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

int pdf_check_revocation(seal_sig_report *s, const char *check_name, seal_revocation *rv,
                         STACK_OF(X509) * chain, time_t at, bool proven)
{
    int rc = 0;
    seal_buf found = SEAL_BUF_INIT;
    seal_verdict worst = SEAL_VERDICT_VALID;
    const char *reason = NULL;
    int n = sk_X509_num(chain);
    for (int i = 0; i + 1 < n; i++) {
        seal_cert_status st = {0};
        X509 *cert = sk_X509_value(chain, i);
        rc = seal_pki_status_at(&st, rv, cert, sk_X509_value(chain, i + 1), at);
        char *name = seal_cert_subject_cn(cert);
        seal_verdict v = SEAL_VERDICT_VALID;
        const char *why = NULL;
        if (rc == 0) {
            switch (st.state) {
            case SEAL_CERT_GOOD:
                break;
            case SEAL_CERT_REVOKED:
                v = SEAL_VERDICT_INVALID;
                why = "REVOKED";
                break;
            case SEAL_CERT_SUSPENDED:
                v = SEAL_VERDICT_INDETERMINATE;
                why = "SUSPENDED";
                break;
            case SEAL_CERT_UNKNOWN:
                v = SEAL_VERDICT_INDETERMINATE;
                why = "TRY_LATER";
                break;
            }
            /* Revoked after a time nothing proves: it may have been revoked before the
             * signature was really made (ETSI EN 319 102-1: REVOKED_NO_POE). */
            if (st.state == SEAL_CERT_GOOD && st.revoked_later && !proven) {
                v = SEAL_VERDICT_INDETERMINATE;
                why = "REVOKED_NO_POE";
            }
            rc = seal_buf_printf(&found, "%s%s: ", found.len ? "; " : "", name ? name : "?");
            if (rc == 0)
                rc = seal_cert_status_describe(&found, &st);
            if (rc == 0 && st.revoked_later)
                rc = seal_buf_append_str(&found, proven ? " (revoked after the proven signing "
                                                          "time: the signature stays valid)"
                                                        : " (revoked since; the signing time is "
                                                          "not proven)");
        }
        free(name);
        seal_cert_status_clear(&st);
        SEAL_TRY(rc);
        if (v > worst) {
            worst = v;
            reason = why;
        }
    }
    SEAL_TRY(seal_sig_add_check(s, check_name, worst, reason,
                                "from the document's DSS, at %s "
                                "signing time: %s",
                                proven ? "the proven" : "the claimed",
                                found.len ? (const char *)found.data : "nothing to check"));
out:
    seal_buf_clear(&found);
    return rc;
}
