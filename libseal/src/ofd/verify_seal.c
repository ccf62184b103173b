/* Checking a Type=Seal signature (OFD-SEAL.md 6, steps 3-5): SignedValue.dat is an
 * SES_Signature; Seal.esl must equal the seal inside it byte for byte, dataHash must be
 * SM3 of the stored Signature.xml and propertyInfo must name it, the stamper's signature
 * covers the stored TBS_Sign, the signer must be in the seal's certificate list, the maker's
 * signature must hold, a timestamp over the signature value must hold (and then gives the
 * signing time), both certificates must chain to a trust anchor and be unrevoked at the
 * signing time, and the signing time must fall inside the seal's validity window. */
#include "verify_internal.h"

#include <seal/error.h>
#include <seal/ses.h>

#include <stdlib.h>
#include <string.h>

static const char *kind_of(const seal_ses_signature *ses)
{
    if (ses->version == 5 || ses->seal->version == 5)
        return "ses-v5";
    return ses->version == 1 ? "ses-v1" : "ses-v4";
}

static int fill_identity(seal_sig_report *s, const seal_ses_signature *ses)
{
    int rc = 0;
    free(s->kind);
    s->kind = strdup(kind_of(ses));
    s->seal_name = strdup(ses->seal->name);
    SEAL_ENSURE(s->kind && s->seal_name, SEAL_ENOMEM, "out of memory");
    if (ses->signer_cert)
        SEAL_TRY(seal_sig_report_set_signer(s, ses->signer_cert));
    const EVP_MD *md =
        ses->signer_cert ? seal_digest_for_alg(seal_key_alg_of(X509_get0_pubkey(ses->signer_cert)))
                         : EVP_sm3();
    char *lower = g_ascii_strdown(EVP_MD_get0_name(md), -1);
    s->digest = strdup(lower);
    g_free(lower);
    SEAL_ENSURE(s->digest, SEAL_ENOMEM, "out of memory");
out:
    return rc;
}

/* The claimed signing time: TBS_Sign.timeInfo (signed), else SignatureDateTime of
 * Signature.xml (signed through dataHash), else the time of verification. Only a
 * timestamp that holds (use_timestamp) proves one. */
static int fill_time(seal_sig_report *s, const seal_ses_signature *ses,
                     const seal_ofd_signature *sig)
{
    bool assumed = false;
    const char *proof =
        ses->timestamp.len ? "not proven: its timestamp does not hold" : "not proven: no timestamp";
    if (ses->time) {
        s->signing_time = ses->time;
        return ofd_set_time_source(s, "claimed by the signer (TBS_Sign timeInfo%s); %s",
                                   ses->time_zone_assumed ? ", no time zone: read as UTC+8" : "",
                                   proof);
    }
    s->signing_time = ofd_claimed_time(sig, &assumed);
    if (s->signing_time)
        return ofd_set_time_source(s, "claimed by the signer (SignatureDateTime%s); %s",
                                   assumed ? ", no time zone: read as UTC+8" : "", proof);
    s->signing_time = time(NULL);
    return ofd_set_time_source(s, "the time of verification: the signature names no "
                                  "readable signing time");
}

/* Step 3: Seal.esl, when the signature names one, is the seal inside, byte for byte. */
static int check_seal_file(ofd_verify_ctx *c, seal_sig_report *s, const seal_ofd_signature *sig,
                           const seal_ses_signature *ses)
{
    seal_slice esl;
    if (!sig->seal_path)
        return seal_sig_add_check(s, "seal-file", SEAL_VERDICT_VALID, NULL,
                                  "no Seal.esl: the seal exists only inside SignedValue.dat");
    if (seal_ofd_entry_read(c->doc, sig->seal_path, &esl) < 0) {
        seal_error_clear();
        return seal_sig_add_check(s, "seal-file", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                  "the seal file %s the signature names cannot be read",
                                  sig->seal_path);
    }
    if (!seal_slice_eq(esl, ses->eseal_der))
        return seal_sig_add_check(s, "seal-file", SEAL_VERDICT_INVALID, "SIG_CONSTRAINTS_FAILURE",
                                  "%s differs from the seal inside the signature", sig->seal_path);
    return seal_sig_add_check(s, "seal-file", SEAL_VERDICT_VALID, NULL,
                              "%s is byte for byte the seal inside the signature", sig->seal_path);
}

/* Step 4: dataHash over the stored Signature.xml (GB/T 38540 7.3, OFD-SEAL.md 2) and
 * propertyInfo naming that file. */
static int check_data_hash(ofd_verify_ctx *c, seal_sig_report *s, const seal_ofd_signature *sig,
                           const seal_ses_signature *ses)
{
    int rc = 0;
    seal_slice xml;
    char *named = NULL;
    uint8_t digest[EVP_MAX_MD_SIZE];
    size_t digest_len = sizeof digest;
    const EVP_MD *md =
        ses->signer_cert ? seal_digest_for_alg(seal_key_alg_of(X509_get0_pubkey(ses->signer_cert)))
                         : EVP_sm3();
    SEAL_TRY(seal_ofd_entry_read(c->doc, sig->path, &xml));
    SEAL_TRY(seal_digest(md, xml.data, xml.len, digest, &digest_len));
    bool same = seal_slice_eq(ses->data_hash, seal_slice_of(digest, digest_len));
    SEAL_TRY(seal_sig_add_check(s, "data-hash", same ? SEAL_VERDICT_VALID : SEAL_VERDICT_INVALID,
                                same ? NULL : "HASH_FAILURE",
                                same ? "dataHash is the %s of %s as stored"
                                     : "dataHash is not the %s of %s: the file was changed "
                                       "after signing, or the signature belongs elsewhere",
                                EVP_MD_get0_name(md), sig->path));
    bool names_it =
        seal_ofd_resolve(&named, NULL, ses->property_info) == 0 && strcmp(named, sig->path) == 0;
    seal_error_clear();
    SEAL_TRY(seal_sig_add_check(s, "property-info",
                                names_it ? SEAL_VERDICT_VALID : SEAL_VERDICT_INVALID,
                                names_it ? NULL : "SIG_CONSTRAINTS_FAILURE",
                                names_it ? "propertyInfo names %s"
                                         : "propertyInfo names \"%s\", not this signature's "
                                           "file %s",
                                names_it ? sig->path : ses->property_info, sig->path));
out:
    free(named);
    return rc;
}

/* Step 5: stamper signature, the signer in the seal's list, the maker's signature. */
static int check_signatures(seal_sig_report *s, const seal_ses_signature *ses)
{
    int rc = 0;
    if (!ses->signer_cert) {
        SEAL_TRY(seal_sig_add_check(s, "signature", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "the signer certificate in the signature cannot be read"));
    } else if (seal_ses_signature_verify(ses) == 0) {
        SEAL_TRY(seal_sig_add_check(s, "signature", SEAL_VERDICT_VALID, NULL,
                                    "the stamper's %s signature over TBS_Sign verifies with the "
                                    "signer certificate",
                                    s->algorithm));
    } else {
        SEAL_TRY(seal_sig_add_check(s, "signature", SEAL_VERDICT_INVALID, "SIG_CRYPTO_FAILURE",
                                    "the stamper's signature over TBS_Sign does not verify: %s",
                                    seal_error_last()));
    }
    if (ses->signer_cert) {
        int listed = seal_eseal_lists_cert(ses->seal, ses->signer_cert);
        SEAL_ENSURE(listed >= 0, listed, "%s", seal_error_last());
        SEAL_TRY(seal_sig_add_check(
            s, "seal-cert-list", listed ? SEAL_VERDICT_VALID : SEAL_VERDICT_INVALID,
            listed ? NULL : "SIG_CONSTRAINTS_FAILURE",
            listed ? "the signer certificate is one the seal lists (certListType %ld)"
                   : "the signer certificate is not among the %zu entries the seal lists "
                     "(certListType %ld): this signer may not use this seal",
            listed ? ses->seal->cert_list_type : (long)ses->seal->cert_list_count,
            ses->seal->cert_list_type));
    }
    if (seal_eseal_verify_maker(ses->seal) == 0)
        SEAL_TRY(seal_sig_add_check(s, "maker-signature", SEAL_VERDICT_VALID, NULL,
                                    "the seal maker's signature over the seal verifies"));
    else
        SEAL_TRY(seal_sig_add_check(s, "maker-signature", SEAL_VERDICT_INVALID,
                                    "SIG_CRYPTO_FAILURE", "%s", seal_error_last()));
out:
    return rc;
}

/* The seal's own validity window (SES_ESPropertyInfo validStart..validEnd) at the signing
 * time. A signer's own claim that it used the seal outside its window is not doubtful. */
static int check_seal_validity(seal_sig_report *s, const seal_eseal *seal)
{
    char from[32], to[32], at[32];
    struct tm tm;
    time_t t = s->signing_time;
    strftime(from, sizeof from, "%Y-%m-%d %H:%M:%S", gmtime_r(&seal->valid_start, &tm));
    strftime(to, sizeof to, "%Y-%m-%d %H:%M:%S", gmtime_r(&seal->valid_end, &tm));
    strftime(at, sizeof at, "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
    if (t < seal->valid_start || t > seal->valid_end)
        return seal_sig_add_check(s, "seal-validity", SEAL_VERDICT_INVALID, "SEAL_OUTSIDE_VALIDITY",
                                  "the seal was used at %s UTC, outside its validity (%s to %s "
                                  "UTC)",
                                  at, from, to);
    return seal_sig_add_check(s, "seal-validity", SEAL_VERDICT_VALID, NULL,
                              "the signing time lies inside the seal's validity (%s to %s UTC)",
                              from, to);
}

int ofd_verify_seal(ofd_verify_ctx *c, seal_sig_report *s, const seal_ofd_signature *sig)
{
    int rc = 0;
    seal_ses_signature *ses = NULL;
    seal_slice value;
    if (!sig->signed_value_path ||
        seal_ofd_entry_read(c->doc, sig->signed_value_path, &value) < 0) {
        SEAL_TRY(seal_sig_add_check(s, "signed-value", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "the signature value %s cannot be read: %s",
                                    sig->signed_value_path ? sig->signed_value_path : "(none)",
                                    seal_error_last()));
        goto out;
    }
    if (seal_ses_signature_parse(&ses, value.data, value.len) < 0) {
        SEAL_TRY(seal_sig_add_check(s, "signed-value", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "%s is not a readable SES_Signature: %s",
                                    sig->signed_value_path, seal_error_last()));
        goto out;
    }
    SEAL_TRY(fill_identity(s, ses));
    SEAL_TRY(fill_time(s, ses, sig));
    SEAL_TRY(check_seal_file(c, s, sig, ses));
    SEAL_TRY(check_data_hash(c, s, sig, ses));
    SEAL_TRY(check_signatures(s, ses));
    /* GB/T 38540 v4/v5 timeStamp: a token over the signature value (OFD-SEAL.md 1). v1
     * seals carry no such field (a v1 timeInfo token has no defined imprint). */
    time_t proven = 0;
    if (ses->timestamp.len)
        SEAL_TRY(ofd_check_timestamp(c, s, ses->timestamp, ses->signature,
                                     "the SES_Signature's signature value", &proven));
    if (proven)
        s->signing_time = proven;
    if (ses->signer_cert) {
        SEAL_TRY(
            ofd_check_cert_time(s, "signer-validity", ses->signer_cert, "signer", proven != 0));
        SEAL_TRY(ofd_check_certificate(c, s, ses->signer_cert, NULL, NULL, proven != 0));
    }
    if (ses->seal->maker_cert)
        SEAL_TRY(ofd_check_certificate(c, s, ses->seal->maker_cert, NULL, "maker", proven != 0));
    SEAL_TRY(check_seal_validity(s, ses->seal));
out:
    seal_ses_signature_free(ses);
    return rc;
}
