/* Checking a Type=Sign signature (OFD-SEAL.md 6, step 6): SignedValue.dat is a CMS
 * SignedData (GB/T 35275 for SM2, or another algorithm's native CMS) whose content or
 * message-digest attribute is the digest of the stored Signature.xml; without signed
 * attributes the signature covers the content itself (RFC 5652 5.4). Some writers store a
 * bare signature over Signature.xml and no certificate (ofdrw's DigitalSign.ofd); then the
 * signer is looked for among the trusted certificates. */
#include "verify_internal.h"

#include <seal/cms.h>
#include <seal/der.h>
#include <seal/error.h>
#include <seal/tsp.h>

#include <stdlib.h>
#include <string.h>

/* What seal_cms does not expose: the encapsulated content (eContent) and whether the
 * signer info has signed attributes (RFC 5652 5.1-5.3), read from the stored DER. */
typedef struct cms_layout {
    bool has_content;
    seal_slice content;
    bool has_signed_attrs;
} cms_layout;

static int read_layout(cms_layout *out, seal_slice der)
{
    int rc = 0;
    seal_der_elem ci, e, signed_data, encap, infos, info;
    memset(out, 0, sizeof *out);
    SEAL_TRY(seal_der_expect(&der, SEAL_DER_SEQUENCE, &ci, "CMS ContentInfo"));
    SEAL_TRY(seal_der_expect(&ci.content, SEAL_DER_OID, &e, "CMS content type"));
    SEAL_TRY(seal_der_expect(&ci.content, SEAL_DER_CONTEXT_CONS | 0, &e, "CMS content"));
    SEAL_TRY(seal_der_expect(&e.content, SEAL_DER_SEQUENCE, &signed_data, "CMS SignedData"));
    seal_slice cur = signed_data.content;
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_INTEGER, &e, "CMS version"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SET, &e, "CMS digest algorithms"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SEQUENCE, &encap, "CMS encapsulated content"));
    SEAL_TRY(seal_der_expect(&encap.content, SEAL_DER_OID, &e, "CMS eContentType"));
    if (encap.content.len > 0) {
        seal_der_elem wrapper, octets;
        SEAL_TRY(
            seal_der_expect(&encap.content, SEAL_DER_CONTEXT_CONS | 0, &wrapper, "CMS eContent"));
        SEAL_TRY(seal_der_expect(&wrapper.content, SEAL_DER_OCTET_STRING, &octets, "CMS eContent"));
        out->has_content = true;
        out->content = octets.content;
    }
    while (cur.len > 0 && !seal_der_peek(&cur, SEAL_DER_SET))
        SEAL_TRY(seal_der_next(&cur, &e, "CMS certificates or CRLs"));
    SEAL_TRY(seal_der_expect(&cur, SEAL_DER_SET, &infos, "CMS signer infos"));
    SEAL_TRY(seal_der_expect(&infos.content, SEAL_DER_SEQUENCE, &info, "CMS signer info"));
    SEAL_TRY(seal_der_expect(&info.content, SEAL_DER_INTEGER, &e, "CMS signer info version"));
    SEAL_TRY(seal_der_next(&info.content, &e, "CMS signer identifier"));
    SEAL_TRY(seal_der_expect(&info.content, SEAL_DER_SEQUENCE, &e, "CMS digest algorithm"));
    out->has_signed_attrs = seal_der_peek(&info.content, SEAL_DER_CONTEXT_CONS | 0);
out:
    return rc;
}

/* eContent, when present, must be the digest of Signature.xml (GB/T 35275 writers) or
 * Signature.xml itself. */
static int check_content(seal_sig_report *s, const cms_layout *layout, seal_slice xml,
                         const EVP_MD *md, const char *path)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len = sizeof digest;
    int rc = seal_digest(md, xml.data, xml.len, digest, &digest_len);
    if (rc < 0)
        return rc;
    if (seal_slice_eq(layout->content, seal_slice_of(digest, digest_len)))
        return seal_sig_add_check(s, "content", SEAL_VERDICT_VALID, NULL,
                                  "the signed content is the %s of %s as stored",
                                  EVP_MD_get0_name(md), path);
    if (seal_slice_eq(layout->content, xml))
        return seal_sig_add_check(s, "content", SEAL_VERDICT_VALID, NULL,
                                  "the signed content is %s as stored", path);
    return seal_sig_add_check(s, "content", SEAL_VERDICT_INVALID, "HASH_FAILURE",
                              "the signed content is neither %s nor its %s: the file was "
                              "changed after signing",
                              path, EVP_MD_get0_name(md));
}

static int verify_cms(ofd_verify_ctx *c, seal_sig_report *s, const seal_ofd_signature *sig,
                      const seal_cms *cms, const cms_layout *layout, seal_slice xml)
{
    int rc = 0;
    X509 *cert = seal_cms_signer_cert(cms);
    const EVP_MD *md = seal_cms_digest_md(cms);
    if (!md) {
        SEAL_TRY(seal_sig_add_check(s, "digest", SEAL_VERDICT_INDETERMINATE,
                                    "CRYPTO_CONSTRAINTS_FAILURE",
                                    "the CMS uses a digest algorithm that is not supported"));
        goto out;
    }
    char *lower = g_ascii_strdown(EVP_MD_get0_name(md), -1);
    s->digest = strdup(lower);
    g_free(lower);
    SEAL_ENSURE(s->digest, SEAL_ENOMEM, "out of memory");
    if (!cert) {
        SEAL_TRY(seal_sig_add_check(s, "signature", SEAL_VERDICT_INDETERMINATE,
                                    "NO_SIGNING_CERTIFICATE_FOUND",
                                    "the CMS does not carry the signer's certificate"));
        goto out;
    }
    SEAL_TRY(seal_sig_report_set_signer(s, cert));
    if (layout->has_content)
        SEAL_TRY(check_content(s, layout, xml, md, sig->path));
    /* What the signature is about: the content when encapsulated, else Signature.xml. */
    seal_slice signed_bytes = layout->has_content ? layout->content : xml;
    if (layout->has_signed_attrs) {
        uint8_t digest[EVP_MAX_MD_SIZE];
        size_t digest_len = sizeof digest;
        seal_cms_outcome result = {0};
        SEAL_TRY(seal_digest(md, signed_bytes.data, signed_bytes.len, digest, &digest_len));
        if (seal_cms_check(&result, cms, digest, digest_len) < 0) {
            SEAL_TRY(seal_sig_add_check(s, "signature", SEAL_VERDICT_INDETERMINATE,
                                        "FORMAT_FAILURE", "the CMS cannot be checked: %s",
                                        seal_error_last()));
            goto out;
        }
        SEAL_TRY(seal_sig_add_check(
            s, "digest", result.digest_ok ? SEAL_VERDICT_VALID : SEAL_VERDICT_INVALID,
            result.digest_ok ? NULL : "HASH_FAILURE",
            result.digest_ok ? "the message-digest attribute is the %s of %s"
                             : "the message-digest attribute is not the %s of %s: it was "
                               "changed after signing",
            EVP_MD_get0_name(md), layout->has_content ? "the signed content" : sig->path));
        SEAL_TRY(seal_sig_add_check(s, "signature",
                                    result.signature_ok ? SEAL_VERDICT_VALID : SEAL_VERDICT_INVALID,
                                    result.signature_ok ? NULL : "SIG_CRYPTO_FAILURE",
                                    result.signature_ok ? "the %s signature over the signed "
                                                          "attributes verifies"
                                                        : "the %s signature over the signed "
                                                          "attributes does not verify",
                                    s->algorithm));
    } else {
        seal_slice value = seal_cms_signature_value(cms);
        int ok = seal_verify_signature(cert, seal_cms_sig_alg_oid(cms), md, signed_bytes.data,
                                       signed_bytes.len, value.data, value.len);
        SEAL_TRY(seal_sig_add_check(
            s, "signature", ok == 0 ? SEAL_VERDICT_VALID : SEAL_VERDICT_INVALID,
            ok == 0 ? NULL : "SIG_CRYPTO_FAILURE",
            ok == 0 ? "the %s signature over the %s verifies (no signed attributes)"
                    : "the %s signature over the %s does not verify",
            s->algorithm, layout->has_content ? "signed content" : "Signature.xml"));
        seal_error_clear();
    }
    /* A signature-time-stamp (RFC 3161 appendix A), as PAdES B-T has. */
    time_t proven = 0;
    seal_slice token;
    rc = seal_cms_unsigned_attr(cms, SEAL_OID_ATTR_TIMESTAMP_TOKEN, &token);
    if (rc == SEAL_ENOTFOUND) {
        seal_error_clear();
        rc = 0;
    } else {
        SEAL_TRY(rc);
        SEAL_TRY(ofd_check_timestamp(c, s, token, seal_cms_signature_value(cms),
                                     "the CMS signature value", &proven));
        if (proven)
            s->signing_time = proven;
        else if (strstr(s->time_source, "; not proven"))
            SEAL_TRY(ofd_set_time_source(
                s, "%.*s; not proven: its timestamp does not hold",
                (int)(strstr(s->time_source, "; not proven") - s->time_source), s->time_source));
    }
    SEAL_TRY(ofd_check_cert_time(s, "signer-validity", cert, "signer", proven != 0));
    SEAL_TRY(ofd_check_certificate(c, s, cert, seal_cms_certs(cms), NULL, proven != 0));
out:
    return rc;
}

/* The signature algorithm of a bare signature: SignatureMethod when it names one we
 * know, else SM2 with SM3 (the only algorithm such writers use). */
static const char *bare_algorithm(const seal_ofd_signature *sig)
{
    static const char *known[] = {SEAL_OID_SM2_WITH_SM3, SEAL_OID_SHA256_WITH_RSA,
                                  SEAL_OID_ECDSA_WITH_SHA256};
    for (size_t i = 0; sig->signature_method && i < G_N_ELEMENTS(known); i++)
        if (strcmp(sig->signature_method, known[i]) == 0)
            return known[i];
    return SEAL_OID_SM2_WITH_SM3;
}

/* A bare signature over Signature.xml, with no certificate in the package: the signer is
 * the trusted certificate whose key verifies it, if any. */
static int verify_bare(ofd_verify_ctx *c, seal_sig_report *s, const seal_ofd_signature *sig,
                       seal_slice value, seal_slice xml)
{
    int rc = 0;
    X509 *signer = NULL;
    const char *alg = bare_algorithm(sig);
    size_t tried = 0;
    for (size_t i = 0; i < seal_trust_count(c->trust) && !signer; i++) {
        X509 *cert = seal_trust_cert(c->trust, i);
        tried++;
        const EVP_MD *md = seal_digest_for_alg(seal_key_alg_of(X509_get0_pubkey(cert)));
        if (seal_verify_signature(cert, alg, md, xml.data, xml.len, value.data, value.len) == 0)
            signer = cert;
    }
    seal_error_clear();
    if (!signer) {
        SEAL_TRY(seal_sig_add_check(s, "signature", SEAL_VERDICT_INDETERMINATE,
                                    "NO_SIGNING_CERTIFICATE_FOUND",
                                    "%s is a bare %zu-byte signature without a certificate, and "
                                    "none of the %zu trusted certificates verifies it (give the "
                                    "signer's certificate with --trust)",
                                    sig->signed_value_path, value.len, tried));
        goto out;
    }
    SEAL_TRY(seal_sig_report_set_signer(s, signer));
    s->digest =
        strdup(seal_key_alg_of(X509_get0_pubkey(signer)) == SEAL_ALG_SM2 ? "sm3" : "sha256");
    SEAL_ENSURE(s->digest, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(seal_sig_add_check(s, "signature", SEAL_VERDICT_VALID, NULL,
                                "the bare %s signature over %s as stored verifies with a trusted "
                                "certificate (%s); the package carries no certificate",
                                s->algorithm, sig->path, s->signer_name));
    SEAL_TRY(ofd_check_cert_time(s, "signer-validity", signer, "signer", false));
    SEAL_TRY(ofd_check_certificate(c, s, signer, NULL, NULL, false));
out:
    return rc;
}

int ofd_verify_sign(ofd_verify_ctx *c, seal_sig_report *s, const seal_ofd_signature *sig)
{
    int rc = 0;
    seal_cms *cms = NULL;
    seal_slice value, xml;
    cms_layout layout;
    bool assumed = false;
    if (!sig->signed_value_path ||
        seal_ofd_entry_read(c->doc, sig->signed_value_path, &value) < 0) {
        SEAL_TRY(seal_sig_add_check(s, "signed-value", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "the signature value %s cannot be read: %s",
                                    sig->signed_value_path ? sig->signed_value_path : "(none)",
                                    seal_error_last()));
        goto out;
    }
    SEAL_TRY(seal_ofd_entry_read(c->doc, sig->path, &xml));
    s->signing_time = ofd_claimed_time(sig, &assumed);
    if (s->signing_time)
        SEAL_TRY(ofd_set_time_source(s,
                                     "claimed by the signer (SignatureDateTime%s); not proven: "
                                     "no timestamp",
                                     assumed ? ", no time zone: read as UTC+8" : ""));
    else {
        s->signing_time = time(NULL);
        SEAL_TRY(ofd_set_time_source(s, "the time of verification: the signature names no "
                                        "readable signing time"));
    }
    if (seal_cms_parse(&cms, value.data, value.len) == 0 && read_layout(&layout, value) == 0) {
        SEAL_TRY(verify_cms(c, s, sig, cms, &layout, xml));
    } else if (value.len == 64 || (value.len >= 8 && value.len <= 80 && value.data[0] == 0x30)) {
        seal_error_clear();
        SEAL_TRY(verify_bare(c, s, sig, value, xml));
    } else {
        SEAL_TRY(seal_sig_add_check(s, "signed-value", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "%s is neither a CMS SignedData nor a bare signature: %s",
                                    sig->signed_value_path, seal_error_last()));
    }
out:
    seal_cms_free(cms);
    return rc;
}
