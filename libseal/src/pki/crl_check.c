/* Is this CRL one we may judge a certificate by? RFC 5280 6.3.3: the issuer's name and
 * key, a complete CRL whose scope (issuing distribution point, 5.2.5) covers the
 * certificate, and no critical extension we do not understand (5.2). Delta CRLs (5.2.4)
 * pass the same checks and are then matched to a complete CRL by status.c; indirect CRLs
 * (5.2.5 indirectCRL, 5.3.3 certificateIssuer) are signed by a CRL issuer the
 * certificate's distribution point names. Verify flow: status.c calls it for every CRL
 * before reading its entries. */
#include "pki/status_internal.h"

#include <seal/error.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

static bool understood_crl_extension(int nid)
{
    return nid == NID_crl_number || nid == NID_authority_key_identifier ||
           nid == NID_issuing_distribution_point || nid == NID_delta_crl ||
           nid == NID_issuer_alt_name || nid == NID_freshest_crl;
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

/* RFC 5280 4.2.1.13: a distribution point whose CRL someone else issues names that CRL
 * issuer in cRLIssuer. */
bool rev_dp_names_crl_issuer(X509 *cert, const X509_NAME *crl_issuer)
{
    bool named = false;
    CRL_DIST_POINTS *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    for (int i = 0; dps && !named && i < sk_DIST_POINT_num(dps); i++) {
        const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        for (int j = 0; !named && j < sk_GENERAL_NAME_num(dp->CRLissuer); j++) {
            const GENERAL_NAME *gn = sk_GENERAL_NAME_value(dp->CRLissuer, j);
            named = gn->type == GEN_DIRNAME && X509_NAME_cmp(gn->d.directoryName, crl_issuer) == 0;
        }
    }
    CRL_DIST_POINTS_free(dps);
    ERR_clear_error();
    return named;
}

bool rev_crl_relevant(X509_CRL *crl, X509 *cert)
{
    const X509_NAME *crl_issuer = X509_CRL_get_issuer(crl);
    return X509_NAME_cmp(crl_issuer, X509_get_issuer_name(cert)) == 0 ||
           rev_dp_names_crl_issuer(cert, crl_issuer);
}

bool rev_crl_is_delta(X509_CRL *crl)
{
    return X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1) >= 0;
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

static bool is_indirect(X509_CRL *crl)
{
    ISSUING_DIST_POINT *idp = X509_CRL_get_ext_d2i(crl, NID_issuing_distribution_point, NULL, NULL);
    bool indirect = idp && idp->indirectCRL;
    ISSUING_DIST_POINT_free(idp);
    return indirect;
}

/* RFC 5280 5.3.3: certificateIssuer belongs to indirect CRLs only. OpenSSL reads it in
 * any CRL (and then matches entries by it); we refuse a direct CRL that carries it rather
 * than guess which certificates its entries mean. */
static int check_entries(X509_CRL *crl, bool indirect)
{
    STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);
    if (indirect)
        return 0;
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); i++)
        if (X509_REVOKED_get_ext_by_NID(sk_X509_REVOKED_value(revoked, i), NID_certificate_issuer,
                                        -1) >= 0)
            return seal_error_set(SEAL_EPKI, "the CRL names other certificate issuers in its "
                                             "entries but is not marked as an indirect CRL");
    return 0;
}

/* The certificate of an indirect CRL's issuer (RFC 5280 6.3.3 (f)): we accept one the
 * certificate's own CA issued (found in `pool`), valid now, allowed cRLSign. The full
 * path validation RFC 5280 asks for a CRL issuer certified elsewhere is not done. */
static X509 *indirect_signer(X509_CRL *crl, X509 *issuer, STACK_OF(X509) * pool)
{
    for (int i = 0; i < sk_X509_num(pool); i++) {
        X509 *c = sk_X509_value(pool, i);
        if (X509_NAME_cmp(X509_get_subject_name(c), X509_CRL_get_issuer(crl)) != 0 ||
            X509_check_issued(issuer, c) != X509_V_OK ||
            X509_verify(c, X509_get0_pubkey(issuer)) != 1 ||
            X509_cmp_current_time(X509_get0_notBefore(c)) >= 0 ||
            X509_cmp_current_time(X509_get0_notAfter(c)) <= 0)
            continue;
        return c;
    }
    return NULL;
}

int rev_crl_check(X509_CRL *crl, X509 *cert, X509 *issuer, STACK_OF(X509) * pool, bool delta)
{
    int rc = 0;
    char *crl_issuer = NULL;
    X509 *signer = issuer;
    SEAL_ENSURE(crl && cert && issuer, SEAL_EINVAL, "no CRL to check");
    bool indirect = is_indirect(crl);
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0 ||
        X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer)) != 0) {
        crl_issuer = rev_name_oneline(X509_CRL_get_issuer(crl));
        /* RFC 5280 6.3.3 (b)(2)(iii): another CRL issuer only for an indirect CRL that
         * the certificate's distribution point names in cRLIssuer. */
        if (!indirect || !rev_dp_names_crl_issuer(cert, X509_CRL_get_issuer(crl)))
            SEAL_FAIL(SEAL_EPKI, "the CRL is issued by %s, not by the certificate's issuer",
                      crl_issuer);
        signer = indirect_signer(crl, issuer, pool);
        SEAL_ENSURE(signer, SEAL_EPKI,
                    "the indirect CRL is issued by %s, and no certificate for it from the "
                    "certificate's CA is at hand",
                    crl_issuer);
    }
    /* RFC 5280 4.2.1.3: only a key allowed cRLSign signs CRLs. */
    if (X509_get_extension_flags(signer) & EXFLAG_KUSAGE)
        SEAL_ENSURE(X509_get_key_usage(signer) & KU_CRL_SIGN, SEAL_EPKI,
                    "the CRL issuer's key usage does not allow cRLSign");
    if (X509_CRL_verify(crl, X509_get0_pubkey(signer)) != 1)
        SEAL_FAIL(SEAL_EPKI, "the CRL's signature does not verify with the CRL issuer's key");
    if (delta) {
        /* RFC 5280 5.2.4: a delta CRL carries a critical deltaCRLIndicator and a cRLNumber. */
        int at = X509_CRL_get_ext_by_NID(crl, NID_delta_crl, -1);
        SEAL_ENSURE(at >= 0, SEAL_EPKI, "the CRL is not a delta CRL");
        SEAL_ENSURE(X509_EXTENSION_get_critical(X509_CRL_get_ext(crl, at)), SEAL_EPKI,
                    "the delta CRL's deltaCRLIndicator is not critical (RFC 5280 5.2.4)");
        SEAL_ENSURE(X509_CRL_get_ext_by_NID(crl, NID_crl_number, -1) >= 0, SEAL_EPKI,
                    "the delta CRL has no CRL number (RFC 5280 5.2.4)");
    } else {
        SEAL_ENSURE(!rev_crl_is_delta(crl), SEAL_EPKI,
                    "the CRL is a delta CRL; a complete CRL is needed");
    }
    for (int i = 0; i < X509_CRL_get_ext_count(crl); i++) {
        X509_EXTENSION *ext = X509_CRL_get_ext(crl, i);
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
        SEAL_ENSURE(!X509_EXTENSION_get_critical(ext) || understood_crl_extension(nid), SEAL_EPKI,
                    "the CRL has a critical extension we do not understand (%s)",
                    nid != NID_undef ? OBJ_nid2sn(nid) : "unknown OID");
    }
    SEAL_TRY(check_entries(crl, indirect));
    SEAL_TRY(check_scope(crl, cert));
out:
    g_free(crl_issuer);
    ERR_clear_error();
    return rc;
}

int seal_crl_check(X509_CRL *crl, X509 *cert, X509 *issuer)
{
    return rev_crl_check(crl, cert, issuer, NULL, false);
}
