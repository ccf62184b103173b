/* Making a GB/T 38540 (v4) electronic seal: the seal maker (制章者) signs the seal's
 * information, picture and bound certificates. Stamp flow: a seal is made once when an
 * administrator registers it; every stamp then embeds these exact bytes in its
 * SES_Signature. Encoding as in OFD-SEAL.md section 1. */
#include <seal/der.h>
#include <seal/error.h>
#include <seal/ses.h>

#include <stdlib.h>
#include <string.h>

/* GB/T 38540 7.1: the header names the structure ("ES") and its version. */
#define SES_HEADER_ID              "ES"
#define SES_VERSION                4
#define SES_CERT_LIST_CERTIFICATES 1

static bool is_ia5(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s > 0x7f)
            return false;
    }
    return true;
}

static int check_spec(const seal_eseal_spec *spec)
{
    if (!spec->es_id || !*spec->es_id || !is_ia5(spec->es_id))
        return seal_error_set(SEAL_EINVAL, "seal code (esID) must be non-empty ASCII text");
    if (!spec->vid || !is_ia5(spec->vid))
        return seal_error_set(SEAL_EINVAL, "seal vendor id must be ASCII text");
    if (!spec->name || !*spec->name)
        return seal_error_set(SEAL_EINVAL, "the seal needs a name");
    if (!spec->picture_type || !*spec->picture_type || !is_ia5(spec->picture_type))
        return seal_error_set(SEAL_EINVAL, "seal picture type must be ASCII text such as PNG");
    if (!spec->picture || spec->picture_len == 0)
        return seal_error_set(SEAL_EINVAL, "the seal needs a picture");
    if (spec->width_mm <= 0 || spec->height_mm <= 0)
        return seal_error_set(SEAL_EINVAL, "seal size %ldx%ld mm is not a real size",
                              spec->width_mm, spec->height_mm);
    if (!spec->certs || sk_X509_num(spec->certs) == 0)
        return seal_error_set(SEAL_EINVAL, "the seal must list at least one certificate");
    if (spec->valid_end <= spec->valid_start)
        return seal_error_set(SEAL_EINVAL, "seal validity ends before it starts");
    return 0;
}

static const char *maker_alg_oid(seal_key_alg alg)
{
    switch (alg) {
    case SEAL_ALG_SM2:
        return SEAL_OID_SM2_WITH_SM3;
    case SEAL_ALG_RSA:
        return SEAL_OID_SHA256_WITH_RSA;
    case SEAL_ALG_ECDSA:
        return SEAL_OID_ECDSA_WITH_SHA256;
    default:
        return NULL;
    }
}

/* SES_SealInfo (GB/T 38540 7.1; OFD-SEAL.md 1), without extDatas. */
static int write_seal_info(seal_der_writer *w, const seal_eseal_spec *spec)
{
    int rc = 0;
    unsigned char *cert_der = NULL;
    size_t info = seal_der_begin(w, SEAL_DER_SEQUENCE);

    size_t header = seal_der_begin(w, SEAL_DER_SEQUENCE);
    seal_der_string(w, SEAL_DER_IA5_STRING, SES_HEADER_ID);
    seal_der_int(w, SES_VERSION);
    seal_der_string(w, SEAL_DER_IA5_STRING, spec->vid);
    seal_der_end(w, header);

    seal_der_string(w, SEAL_DER_IA5_STRING, spec->es_id);

    size_t property = seal_der_begin(w, SEAL_DER_SEQUENCE);
    seal_der_int(w, spec->type);
    seal_der_string(w, SEAL_DER_UTF8_STRING, spec->name);
    seal_der_int(w, SES_CERT_LIST_CERTIFICATES);
    size_t list = seal_der_begin(w, SEAL_DER_SEQUENCE);
    for (int i = 0; i < sk_X509_num(spec->certs); i++) {
        int n = i2d_X509(sk_X509_value(spec->certs, i), &cert_der);
        SEAL_ENSURE(n > 0, SEAL_EINVAL, "certificate %d of the seal cannot be encoded", i + 1);
        seal_der_octet_string(w, cert_der, (size_t)n);
        OPENSSL_free(cert_der);
        cert_der = NULL;
    }
    seal_der_end(w, list);
    seal_der_generalized_time(w, spec->created);
    seal_der_generalized_time(w, spec->valid_start);
    seal_der_generalized_time(w, spec->valid_end);
    seal_der_end(w, property);

    size_t picture = seal_der_begin(w, SEAL_DER_SEQUENCE);
    seal_der_string(w, SEAL_DER_IA5_STRING, spec->picture_type);
    seal_der_octet_string(w, spec->picture, spec->picture_len);
    seal_der_int(w, spec->width_mm);
    seal_der_int(w, spec->height_mm);
    seal_der_end(w, picture);

    seal_der_end(w, info);
out:
    OPENSSL_free(cert_der);
    return rc;
}

int seal_eseal_make(seal_buf *der, const seal_eseal_spec *spec, const seal_signer *maker)
{
    int rc = 0;
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    seal_buf info = SEAL_BUF_INIT;
    seal_buf sig = SEAL_BUF_INIT;
    unsigned char *maker_der = NULL;

    SEAL_ENSURE(der && spec && maker, SEAL_EINVAL, "no seal to make");
    SEAL_TRY(check_spec(spec));
    const char *alg_oid = maker_alg_oid(seal_signer_alg(maker));
    SEAL_ENSURE(alg_oid, SEAL_EUNSUPPORTED, "the seal maker's key type cannot sign seals");
    int maker_len = i2d_X509(seal_signer_cert(maker), &maker_der);
    SEAL_ENSURE(maker_len > 0, SEAL_EINVAL, "the seal maker certificate cannot be encoded");

    SEAL_TRY(write_seal_info(&w, spec));
    SEAL_TRY(seal_der_finish(&w, &info));
    /* GB/T 38540 7.2: the maker signs DER(SES_SealInfo), exactly the bytes stored below. */
    SEAL_TRY(seal_signer_sign(maker, &sig, info.data, info.len));

    size_t seal = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_raw(&w, info.data, info.len);
    seal_der_octet_string(&w, maker_der, (size_t)maker_len);
    seal_der_oid(&w, alg_oid);
    seal_der_bit_string(&w, sig.data, sig.len);
    seal_der_end(&w, seal);
    SEAL_TRY(seal_der_finish(&w, der));
out:
    seal_buf_clear(&w.out); /* what a failed write left behind */
    OPENSSL_free(maker_der);
    seal_buf_clear(&info);
    seal_buf_clear(&sig);
    return rc;
}
