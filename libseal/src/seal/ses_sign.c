/* Writing a GB/T 38540 (v4) SES_Signature: the stamper (签章人) signs the seal, the time
 * and the digest of the OFD Signature.xml. Stamp flow: the OFD stamper hands the seal's
 * .esl bytes and SM3(Signature.xml) to seal_ses_tbs_prepare when it prepares, and the
 * TBS_Sign with the signature (made then or later, elsewhere) to seal_ses_signature_encode
 * when it finishes; the result goes to SignedValue.dat. The encoding is the one in
 * OFD-SEAL.md sections 1-3. */
#include <seal/der.h>
#include <seal/error.h>
#include <seal/ses.h>

#include <stdio.h>
#include <string.h>

/* GB/T 38540 electronic seal signature data (电子签章数据): TBS_Sign.version, equal to
 * the version of the seal it carries. */
#define SES_SIGNATURE_VERSION 4
/* dataHash: with an SM2 signature the digest is SM3 (GB/T 32905); OFD-SEAL.md 1-2. */
#define SM3_LEN 32

static bool is_ia5(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s > 0x7f)
            return false;
    return true;
}

int seal_ses_tbs_encode(seal_buf *tbs, const seal_ses_tbs_spec *spec)
{
    int rc = 0;
    seal_der_writer w = {SEAL_BUF_INIT, 0};

    SEAL_ENSURE(tbs && spec && spec->seal && spec->seal->der.len > 0, SEAL_EINVAL,
                "no seal to sign with");
    SEAL_ENSURE(spec->data_hash && spec->data_hash_len == SM3_LEN, SEAL_EINVAL,
                "the data hash must be an SM3 digest (%d bytes), not %zu bytes", SM3_LEN,
                spec->data_hash_len);
    SEAL_ENSURE(spec->property_info && *spec->property_info && is_ia5(spec->property_info),
                SEAL_EINVAL, "the signed file's path (propertyInfo) must be non-empty ASCII text");

    /* GB/T 38540 TBS_Sign ::= SEQUENCE { version, eseal, timeInfo GeneralizedTime,
     * dataHash BIT STRING, propertyInfo IA5String, extDatas [0] OPTIONAL } (OFD-SEAL.md 1);
     * we write no extDatas. The seal goes in exactly as stored (seal_eseal_parse keeps
     * one whole SESeal element): verifiers compare it with Seal.esl and check the maker's
     * signature over it. */
    size_t m = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_int(&w, SES_SIGNATURE_VERSION);
    seal_der_raw(&w, spec->seal->der.data, spec->seal->der.len);
    seal_der_generalized_time(&w, spec->time);
    seal_der_bit_string(&w, spec->data_hash, spec->data_hash_len);
    seal_der_string(&w, SEAL_DER_IA5_STRING, spec->property_info);
    seal_der_end(&w, m);
    SEAL_TRY(seal_der_finish(&w, tbs));
out:
    seal_buf_clear(&w.out);
    return rc;
}

void seal_ses_signed_clear(seal_ses_signed *s)
{
    if (!s)
        return;
    seal_buf_clear(&s->tbs);
    seal_buf_clear(&s->signature);
}

static void utc_text(char out[32], time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        snprintf(out, 32, "%lld", (long long)t);
}

int seal_eseal_check_use(const seal_eseal *e, X509 *cert, time_t when)
{
    char from[32], to[32], at[32];
    if (!e || !cert)
        return seal_error_set(SEAL_EINVAL, "no seal or certificate to check");
    int listed = seal_eseal_lists_cert(e, cert);
    if (listed < 0)
        return listed;
    if (listed == 0)
        return seal_error_set(SEAL_EPOLICY,
                              "the signing certificate is not one of the "
                              "certificates the seal '%s' is bound to",
                              e->name);
    if (when < e->valid_start || when > e->valid_end) {
        utc_text(from, e->valid_start);
        utc_text(to, e->valid_end);
        utc_text(at, when);
        return seal_error_set(SEAL_EPOLICY, "the seal '%s' is valid from %s to %s, not at %s",
                              e->name, from, to, at);
    }
    return 0;
}

int seal_ses_tbs_prepare(seal_buf *tbs, const seal_ses_tbs_spec *spec, X509 *stamper_cert)
{
    int rc = 0;
    EVP_PKEY *key = stamper_cert ? X509_get0_pubkey(stamper_cert) : NULL;
    seal_key_alg alg = key ? seal_key_alg_of(key) : SEAL_ALG_UNKNOWN;

    SEAL_ENSURE(tbs && spec && spec->seal && stamper_cert, SEAL_EINVAL, "nothing to sign");
    /* GB/T 38540: with SM2 the digest is SM3 and signatureAlgID SM2-with-SM3; the v4
     * structure we write names that algorithm (OFD-SEAL.md 1, 3). */
    SEAL_ENSURE(alg == SEAL_ALG_SM2, SEAL_EUNSUPPORTED,
                "a GB/T 38540 signature is made with an SM2 key; this key is %s",
                seal_key_alg_name(alg));
    SEAL_ENSURE(spec->seal->version == 4, SEAL_EUNSUPPORTED,
                "the seal is a v%d SESeal; stamping writes v4 signatures, which need a v4 seal "
                "(GB/T 38540)",
                spec->seal->version);
    /* The checks a verifier makes (OFD-SEAL.md 6, step 5), made before signing so that we
     * never produce a signature the verifier must reject. */
    SEAL_TRY(seal_eseal_check_use(spec->seal, stamper_cert, spec->time));
    SEAL_TRY(seal_ses_tbs_encode(tbs, spec));
out:
    return rc;
}

int seal_ses_sign(seal_ses_signed *out, const seal_ses_tbs_spec *spec, const seal_signer *stamper)
{
    int rc = 0;
    seal_ses_signed s = {SEAL_BUF_INIT, SEAL_BUF_INIT};

    SEAL_ENSURE(out && spec && spec->seal && stamper, SEAL_EINVAL, "nothing to sign");
    SEAL_TRY(seal_ses_tbs_prepare(&s.tbs, spec, seal_signer_cert(stamper)));
    /* OFD-SEAL.md 2: the stamper signs DER(TBS_Sign) as stored, tag and length included. */
    SEAL_TRY(seal_signer_sign(stamper, &s.signature, s.tbs.data, s.tbs.len));
    seal_ses_signed_clear(out);
    *out = s;
    memset(&s, 0, sizeof s);
out:
    seal_ses_signed_clear(&s);
    return rc;
}

int seal_ses_signature_encode(seal_buf *der, const seal_ses_signed *s, X509 *stamper_cert,
                              const uint8_t *timestamp, size_t timestamp_len)
{
    int rc = 0;
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    unsigned char *cert_der = NULL;

    SEAL_ENSURE(der && s && s->tbs.len > 0 && s->signature.len > 0 && stamper_cert, SEAL_EINVAL,
                "no signature to encode");
    SEAL_ENSURE(!timestamp == !timestamp_len, SEAL_EINVAL, "a timestamp token without bytes");
    int cert_len = i2d_X509(stamper_cert, &cert_der);
    SEAL_ENSURE(cert_len > 0, SEAL_EINVAL, "the signing certificate cannot be encoded");

    /* GB/T 38540 SES_Signature ::= SEQUENCE { toSign, cert OCTET STRING, signatureAlgID
     * OID, signature BIT STRING, timeStamp [0] BIT STRING OPTIONAL } (OFD-SEAL.md 1). */
    size_t m = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_raw(&w, s->tbs.data, s->tbs.len);
    seal_der_octet_string(&w, cert_der, (size_t)cert_len);
    seal_der_oid(&w, SEAL_OID_SM2_WITH_SM3);
    seal_der_bit_string(&w, s->signature.data, s->signature.len);
    if (timestamp) {
        /* OFD-SEAL.md 1: written EXPLICIT [0], as ofdrw does. */
        size_t tagged = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 0);
        seal_der_bit_string(&w, timestamp, timestamp_len);
        seal_der_end(&w, tagged);
    }
    seal_der_end(&w, m);
    SEAL_TRY(seal_der_finish(&w, der));
out:
    seal_buf_clear(&w.out);
    OPENSSL_free(cert_der);
    return rc;
}
