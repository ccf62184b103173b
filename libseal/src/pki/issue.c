/* Certificate issuance for the demo CA: a root, an issuing CA, and the seal-maker, TSA,
 * OCSP and signer certificates under it (RFC 5280 profile; Chinese names in UTF-8).
 * `sealsvc demo` and the tests build their PKI with it; production certificates come
 * from a real CA and are only imported. */
#include "pki/issue_internal.h"

#include <seal/error.h>
#include <seal/pki.h>

#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <string.h>

/* RFC 5280 4.1.2.2: positive, at most 20 octets; 128 random bits with the top bit
 * cleared stays positive without a leading zero octet. */
int pki_set_random_serial(X509 *x)
{
    int rc = 0;
    unsigned char bytes[16];
    BIGNUM *bn = NULL;
    SEAL_ENSURE(RAND_bytes(bytes, sizeof bytes) == 1, SEAL_ECRYPTO,
                "no random bytes for the certificate serial number");
    bytes[0] &= 0x7f;
    bytes[0] |= 0x40; /* a fixed length: always 16 octets */
    bn = BN_bin2bn(bytes, sizeof bytes, NULL);
    SEAL_ENSURE(bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)), SEAL_ENOMEM,
                "out of memory");
out:
    BN_free(bn);
    return rc;
}

static int add_name_entry(X509_NAME *name, int nid, const char *value, const char *what)
{
    if (!value || !*value)
        return 0;
    if (!X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (const unsigned char *)value, -1, -1,
                                    0))
        return seal_error_set_openssl(SEAL_EINVAL, "certificate subject: %s is not acceptable",
                                      what);
    return 0;
}

static int build_subject(X509 *x, const seal_cert_spec *spec)
{
    int rc = 0;
    X509_NAME *name = X509_NAME_new();
    SEAL_ENSURE(name, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(spec->common_name && *spec->common_name, SEAL_EINVAL,
                "certificate subject: a common name (CN) is required");
    SEAL_ENSURE(!spec->country || strlen(spec->country) == 2, SEAL_EINVAL,
                "certificate subject: country must be a two-letter code such as CN");
    /* The country is a PrintableString (RFC 5280 appendix A); the rest UTF8String. */
    if (spec->country &&
        !X509_NAME_add_entry_by_NID(name, NID_countryName, MBSTRING_ASC,
                                    (const unsigned char *)spec->country, -1, -1, 0)) {
        rc = seal_error_set_openssl(SEAL_EINVAL, "certificate subject: country is not acceptable");
        goto out;
    }
    SEAL_TRY(add_name_entry(name, NID_stateOrProvinceName, spec->province, "province (ST)"));
    SEAL_TRY(add_name_entry(name, NID_localityName, spec->locality, "locality (L)"));
    SEAL_TRY(add_name_entry(name, NID_organizationName, spec->organization, "organization (O)"));
    SEAL_TRY(add_name_entry(name, NID_organizationalUnitName, spec->org_unit, "unit (OU)"));
    SEAL_TRY(add_name_entry(name, NID_organizationIdentifier, spec->org_identifier,
                            "organization identifier"));
    SEAL_TRY(add_name_entry(name, NID_commonName, spec->common_name, "common name (CN)"));
    SEAL_ENSURE(X509_set_subject_name(x, name), SEAL_ENOMEM, "out of memory");
out:
    X509_NAME_free(name);
    return rc;
}

/* Extensions with fixed values are written through the config syntax; URLs (which come
 * from configuration) are built as structures so that no URL is ever parsed as syntax. */
static int add_conf_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (!ext || !X509_add_ext(x, ext, -1)) {
        X509_EXTENSION_free(ext);
        return seal_error_set_openssl(SEAL_ECRYPTO, "certificate extension %s could not be made",
                                      OBJ_nid2sn(nid));
    }
    X509_EXTENSION_free(ext);
    return 0;
}

static GENERAL_NAME *uri_name(const char *url)
{
    GENERAL_NAME *gn = GENERAL_NAME_new();
    ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
    if (!gn || !ia5 || !ASN1_STRING_set(ia5, url, -1)) {
        GENERAL_NAME_free(gn);
        ASN1_IA5STRING_free(ia5);
        return NULL;
    }
    GENERAL_NAME_set0_value(gn, GEN_URI, ia5);
    return gn;
}

/* A CRLDistributionPoints syntax extension with one distribution point, the full name `url`:
 * cRLDistributionPoints (RFC 5280 4.2.1.13) or freshestCRL (4.2.1.15, the same syntax;
 * both non-critical as the RFC asks of freshestCRL and recommends for the other). */
int pki_add_dist_point(X509 *x, int nid, const char *url)
{
    int rc = 0;
    CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
    DIST_POINT *dp = DIST_POINT_new();
    GENERAL_NAME *gn = uri_name(url);
    SEAL_ENSURE(dps && dp && gn, SEAL_ENOMEM, "out of memory");
    dp->distpoint = DIST_POINT_NAME_new();
    SEAL_ENSURE(dp->distpoint, SEAL_ENOMEM, "out of memory");
    dp->distpoint->type = 0; /* fullName */
    dp->distpoint->name.fullname = GENERAL_NAMES_new();
    SEAL_ENSURE(dp->distpoint->name.fullname &&
                    sk_GENERAL_NAME_push(dp->distpoint->name.fullname, gn),
                SEAL_ENOMEM, "out of memory");
    gn = NULL;
    SEAL_ENSURE(sk_DIST_POINT_push(dps, dp), SEAL_ENOMEM, "out of memory");
    dp = NULL;
    SEAL_ENSURE(X509_add1_ext_i2d(x, nid, dps, 0, X509V3_ADD_DEFAULT) == 1, SEAL_ECRYPTO,
                "certificate extension %s could not be made", OBJ_nid2ln(nid));
out:
    GENERAL_NAME_free(gn);
    DIST_POINT_free(dp);
    sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
    return rc;
}

static int push_access(AUTHORITY_INFO_ACCESS *aia, int method, const char *url)
{
    ACCESS_DESCRIPTION *ad = ACCESS_DESCRIPTION_new();
    GENERAL_NAME *gn = uri_name(url);
    if (!ad || !gn) {
        ACCESS_DESCRIPTION_free(ad);
        GENERAL_NAME_free(gn);
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    }
    ASN1_OBJECT_free(ad->method);
    ad->method = OBJ_nid2obj(method);
    GENERAL_NAME_free(ad->location);
    ad->location = gn;
    if (!sk_ACCESS_DESCRIPTION_push(aia, ad)) {
        ACCESS_DESCRIPTION_free(ad);
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    }
    return 0;
}

static int add_aia(X509 *x, const char *ocsp_url, const char *ca_issuers_url)
{
    int rc = 0;
    AUTHORITY_INFO_ACCESS *aia = sk_ACCESS_DESCRIPTION_new_null();
    SEAL_ENSURE(aia, SEAL_ENOMEM, "out of memory");
    if (ocsp_url && *ocsp_url)
        SEAL_TRY(push_access(aia, NID_ad_OCSP, ocsp_url));
    if (ca_issuers_url && *ca_issuers_url)
        SEAL_TRY(push_access(aia, NID_ad_ca_issuers, ca_issuers_url));
    if (sk_ACCESS_DESCRIPTION_num(aia) > 0)
        SEAL_ENSURE(X509_add1_ext_i2d(x, NID_info_access, aia, 0, X509V3_ADD_DEFAULT) == 1,
                    SEAL_ECRYPTO, "certificate extension authorityInfoAccess could not be made");
out:
    AUTHORITY_INFO_ACCESS_free(aia);
    return rc;
}

/* The extensions of each role (RFC 5280 4.2; RFC 3161 2.3 for the TSA; RFC 6960 4.2.2.2
 * for OCSP). */
static int add_extensions(X509 *x, X509 *issuer, const seal_cert_spec *spec)
{
    int rc = 0;
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    bool root = spec->role == SEAL_CERT_ROOT_CA;

    switch (spec->role) {
    case SEAL_CERT_ROOT_CA:
        SEAL_TRY(add_conf_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE"));
        SEAL_TRY(add_conf_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
        break;
    case SEAL_CERT_ISSUING_CA:
        SEAL_TRY(add_conf_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
        SEAL_TRY(add_conf_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
        break;
    case SEAL_CERT_SEAL_MAKER:
    case SEAL_CERT_SIGNER:
        SEAL_TRY(add_conf_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,nonRepudiation"));
        break;
    case SEAL_CERT_TSA:
        SEAL_TRY(add_conf_ext(x, &ctx, NID_key_usage, "critical,digitalSignature"));
        SEAL_TRY(add_conf_ext(x, &ctx, NID_ext_key_usage, "critical,timeStamping"));
        break;
    case SEAL_CERT_OCSP:
        SEAL_TRY(add_conf_ext(x, &ctx, NID_key_usage, "critical,digitalSignature"));
        SEAL_TRY(add_conf_ext(x, &ctx, NID_ext_key_usage, "OCSPSigning"));
        SEAL_TRY(add_conf_ext(x, &ctx, NID_id_pkix_OCSP_noCheck, "yes"));
        break;
    default:
        SEAL_FAIL(SEAL_EINVAL, "unknown certificate role %d", (int)spec->role);
    }
    SEAL_TRY(add_conf_ext(x, &ctx, NID_subject_key_identifier, "hash"));
    if (!root) {
        SEAL_TRY(add_conf_ext(x, &ctx, NID_authority_key_identifier, "keyid:always"));
        if (spec->crl_url && *spec->crl_url)
            SEAL_TRY(pki_add_dist_point(x, NID_crl_distribution_points, spec->crl_url));
        SEAL_TRY(add_aia(x, spec->ocsp_url, spec->ca_issuers_url));
    }
out:
    return rc;
}

/* RSA and ECDSA sign with SHA-256; SM2 with SM3 and the GM/T 0009 user ID (GB/T 32918.2
 * Z value), which plain X509_sign cannot pass. */
int pki_sign_init(EVP_MD_CTX *md_ctx, EVP_PKEY_CTX **pkey_ctx, EVP_PKEY *key)
{
    int rc = 0;
    char group[32] = "";
    *pkey_ctx = NULL;
    /* OpenSSL signs an EC-typed key with ECDSA even on the SM2 curve, which would make a
     * certificate no SM2 verifier accepts. */
    if (EVP_PKEY_is_a(key, "EC") && EVP_PKEY_get_group_name(key, group, sizeof group, NULL) == 1 &&
        strcmp(group, "SM2") == 0)
        SEAL_FAIL(SEAL_EUNSUPPORTED,
                  "the issuer key is an EC key on the SM2 curve; load it as an SM2 key");
    if (EVP_PKEY_is_a(key, "SM2")) {
        *pkey_ctx = EVP_PKEY_CTX_new(key, NULL);
        SEAL_ENSURE(*pkey_ctx, SEAL_ENOMEM, "out of memory");
        SEAL_ENSURE(EVP_PKEY_CTX_set1_id(*pkey_ctx, SEAL_SM2_USER_ID, strlen(SEAL_SM2_USER_ID)) ==
                        1,
                    SEAL_ECRYPTO, "the SM2 user ID could not be set");
        EVP_MD_CTX_set_pkey_ctx(md_ctx, *pkey_ctx);
        SEAL_ENSURE(EVP_DigestSignInit(md_ctx, NULL, EVP_sm3(), NULL, key) == 1, SEAL_ECRYPTO,
                    "the SM2 issuer key cannot sign");
    } else if (EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "EC")) {
        SEAL_ENSURE(EVP_DigestSignInit(md_ctx, NULL, EVP_sha256(), NULL, key) == 1, SEAL_ECRYPTO,
                    "the issuer key cannot sign");
    } else {
        SEAL_FAIL(SEAL_EUNSUPPORTED, "issuer keys of type %s cannot sign certificates here",
                  EVP_PKEY_get0_type_name(key));
    }
out:
    return rc;
}

int pki_sign_cert(X509 *x, EVP_PKEY *key)
{
    int rc = 0;
    EVP_MD_CTX *md_ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pkey_ctx = NULL;
    SEAL_ENSURE(md_ctx, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(pki_sign_init(md_ctx, &pkey_ctx, key));
    if (X509_sign_ctx(x, md_ctx) <= 0) {
        rc = seal_error_set_openssl(SEAL_ECRYPTO, "the certificate could not be signed");
        goto out;
    }
out:
    EVP_MD_CTX_free(md_ctx);
    EVP_PKEY_CTX_free(pkey_ctx);
    return rc;
}

int seal_cert_issue(X509 **out, const seal_cert_spec *spec, EVP_PKEY *subject_key,
                    X509 *issuer_cert, EVP_PKEY *issuer_key)
{
    int rc = 0;
    X509 *x = NULL;
    SEAL_ENSURE(out && spec && subject_key, SEAL_EINVAL, "no certificate request to issue");
    SEAL_ENSURE((issuer_cert == NULL) == (issuer_key == NULL), SEAL_EINVAL,
                "an issuer needs both its certificate and its key");
    SEAL_ENSURE(issuer_cert || spec->role == SEAL_CERT_ROOT_CA, SEAL_EINVAL,
                "only a root CA certificate can be self-signed");
    SEAL_ENSURE(spec->not_after > spec->not_before, SEAL_EINVAL,
                "certificate validity ends before it starts");
    if (issuer_cert && X509_check_private_key(issuer_cert, issuer_key) != 1)
        SEAL_FAIL(SEAL_EINVAL, "the issuer key does not belong to the issuer certificate");

    x = X509_new();
    SEAL_ENSURE(x, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(X509_set_version(x, X509_VERSION_3), SEAL_ENOMEM, "out of memory");
    SEAL_TRY(pki_set_random_serial(x));
    SEAL_TRY(build_subject(x, spec));
    SEAL_ENSURE(X509_set_issuer_name(x, issuer_cert ? X509_get_subject_name(issuer_cert)
                                                    : X509_get_subject_name(x)),
                SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(ASN1_TIME_set(X509_getm_notBefore(x), spec->not_before) &&
                    ASN1_TIME_set(X509_getm_notAfter(x), spec->not_after),
                SEAL_EINVAL, "certificate validity dates cannot be encoded");
    SEAL_ENSURE(X509_set_pubkey(x, subject_key), SEAL_ECRYPTO,
                "the subject key cannot go into a certificate");
    SEAL_TRY(add_extensions(x, issuer_cert ? issuer_cert : x, spec));
    SEAL_TRY(pki_sign_cert(x, issuer_key ? issuer_key : subject_key));
    *out = x;
    x = NULL;
out:
    X509_free(x);
    return rc;
}
