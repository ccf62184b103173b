/* Is this CRL one we may judge a certificate by? RFC 5280 6.3.3: the issuer's name and
 * key, a complete CRL whose scope (issuing distribution point, 5.2.5) covers the
 * certificate, and no critical extension we do not understand (5.2). Verify flow:
 * status.c calls it for every CRL before reading its entries. */
#include "pki/status_internal.h"

#include <seal/error.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

static bool understood_crl_extension(int nid)
{
    return nid == NID_crl_number || nid == NID_authority_key_identifier ||
           nid == NID_issuing_distribution_point || nid == NID_delta_crl ||
           nid == NID_issuer_alt_name;
}

static bool uri_equal(const GENERAL_NAME *a, const GENERAL_NAME *b)
{
    return a->type == GEN_URI && b->type == GEN_URI &&
           ASN1_STRING_cmp(a->d.uniformResourceIdentifier, b->d.uniformResourceIdentifier) == 0;
}

/* RFC 5280 6.3.3 (b)(2)(i): one of the CRL's distribution point names is one of the
 * certificate's. */
static bool dp_names_match(const DIST_POINT_NAME *idp_name, X509 *cert)
{
    bool match = false;
    CRL_DIST_POINTS *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    if (!idp_name || idp_name->type != 0)
        goto out;
    for (int i = 0; dps && !match && i < sk_DIST_POINT_num(dps); i++) {
        const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0)
            continue;
        GENERAL_NAMES *mine = dp->distpoint->name.fullname;
        GENERAL_NAMES *theirs = idp_name->name.fullname;
        for (int a = 0; !match && a < sk_GENERAL_NAME_num(mine); a++)
            for (int b = 0; !match && b < sk_GENERAL_NAME_num(theirs); b++)
                match = uri_equal(sk_GENERAL_NAME_value(mine, a), sk_GENERAL_NAME_value(theirs, b));
    }
out:
    CRL_DIST_POINTS_free(dps);
    return match;
}

static int check_scope(X509_CRL *crl, X509 *cert)
{
    int rc = 0;
    int crit = 0;
    ISSUING_DIST_POINT *idp =
        X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, &crit, NULL);
    if (!idp) {
        SEAL_ENSURE(crit == -1, SEAL_EPKI, "the CRL's issuing distribution point is damaged");
        goto out;
    }
    bool is_ca = X509_check_ca(cert) > 0;
    SEAL_ENSURE(!idp->indirectCRL, SEAL_EUNSUPPORTED,
                "the CRL is an indirect CRL, which is not supported");
    SEAL_ENSURE(!idp->onlysomereasons, SEAL_EPKI,
                "the CRL covers only some revocation reasons; a complete CRL is needed");
    SEAL_ENSURE(!idp->onlyattr, SEAL_EPKI, "the CRL covers only attribute certificates");
    SEAL_ENSURE(!(idp->onlyuser && is_ca), SEAL_EPKI,
                "the CRL covers only end-entity certificates and this one is a CA");
    SEAL_ENSURE(!(idp->onlyCA && !is_ca), SEAL_EPKI,
                "the CRL covers only CA certificates and this one is an end entity");
    SEAL_ENSURE(!idp->distpoint || dp_names_match(idp->distpoint, cert), SEAL_EPKI,
                "the CRL is for a distribution point the certificate does not name");
out:
    ISSUING_DIST_POINT_free(idp);
    return rc;
}

int seal_crl_check(X509_CRL *crl, X509 *cert, X509 *issuer)
{
    int rc = 0;
    char *crl_issuer = NULL;
    SEAL_ENSURE(crl && cert && issuer, SEAL_EINVAL, "no CRL to check");
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0 ||
        X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0) {
        crl_issuer = rev_name_oneline(X509_CRL_get_issuer(crl));
        SEAL_FAIL(SEAL_EPKI, "the CRL is issued by %s, not by the certificate's issuer",
                  crl_issuer);
    }
    /* RFC 5280 4.2.1.3: only a key allowed cRLSign signs CRLs. */
    if (X509_get_extension_flags(issuer) & EXFLAG_KUSAGE)
        SEAL_ENSURE(X509_get_key_usage(issuer) & KU_CRL_SIGN, SEAL_EPKI,
                    "the issuer's key usage does not allow cRLSign");
    if (X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1)
        SEAL_FAIL(SEAL_EPKI, "the CRL's signature does not verify with the issuer's key");
    SEAL_ENSURE(X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) < 0, SEAL_EPKI,
                "the CRL is a delta CRL; a complete CRL is needed");
    for (int i = 0; i < X509_CRL_get_ext_count(crl); i++) {
        X509_EXTENSION *ext = X509_CRL_get_ext(crl, i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
        SEAL_ENSURE(!X509_EXTENSION_get_critical(ext) || understood_crl_extension(nid), SEAL_EPKI,
                    "the CRL has a critical extension we do not understand (%s)",
                    nid != NID_undef ? OBJ_nid2sn(nid) : "unknown OID");
    }
    SEAL_TRY(check_scope(crl, cert));
out:
    g_free(crl_issuer);
    ERR_clear_error();
    return rc;
}
