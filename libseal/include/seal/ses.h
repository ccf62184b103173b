/* GB/T 38540 electronic seals (SESeal): make (the seal maker signs), parse v1/v4/v5, check.
 *
 * A seal binds its picture and size, type, name, and the certificates allowed to use it,
 * with a validity window; the seal maker (制章者) signs DER(SES_SealInfo) (GB/T 38540 7.2).
 * The encoding is the one in ../shared/formats/OFD-SEAL.md section 1. */
#ifndef SEAL_SES_H
#define SEAL_SES_H

#include <seal/crypto.h>
#include <stdbool.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* SES_ESPropertyInfo.type values used by our seals. */
enum { SEAL_SES_TYPE_OFFICIAL = 1, SEAL_SES_TYPE_PERSONAL = 2 };

typedef struct seal_eseal_spec {
    const char *es_id;        /* unique seal code (IA5) */
    const char *vid;          /* vendor id (IA5), e.g. "sealsvc" */
    long type;                /* SEAL_SES_TYPE_* */
    const char *name;         /* UTF-8 */
    STACK_OF(X509) * certs;   /* certificates bound to the seal (certListType 1) */
    const char *picture_type; /* "PNG" */
    const uint8_t *picture;
    size_t picture_len;
    long width_mm, height_mm;
    time_t created, valid_start, valid_end;
} seal_eseal_spec;

/* Builds a v4 SESeal and signs DER(SES_SealInfo) with the maker. */
int seal_eseal_make(seal_buf *der, const seal_eseal_spec *spec, const seal_signer *maker);

/* A parsed seal. Slices point into `der`, which the seal owns. */
typedef struct seal_eseal {
    int version; /* 1, 4 or 5 */
    char *es_id;
    char *vid;
    long type;
    char *name;
    long cert_list_type;    /* 1: certificates, 2: digests */
    STACK_OF(X509) * certs; /* when cert_list_type is 1 and entries parse as X.509 */
    size_t cert_list_count; /* entries in certList, whatever their form */
    char *picture_type;
    seal_slice picture;
    long width_mm, height_mm;
    time_t created, valid_start, valid_end;
    X509 *maker_cert; /* NULL when the stored bytes are not a certificate */
    char maker_alg_oid[128];
    seal_slice maker_signature;
    seal_buf der;       /* the whole SESeal, as stored */
    seal_buf maker_tbs; /* the exact bytes the maker signed */
} seal_eseal;

/* Parses a SESeal of any version (decided by shape, OFD-SEAL.md section 1). */
int seal_eseal_parse(seal_eseal **out, const uint8_t *der, size_t len);
void seal_eseal_free(seal_eseal *e);

/* Checks the maker's signature over the stored bytes. 0 valid; SEAL_ECRYPTO not. */
int seal_eseal_verify_maker(const seal_eseal *e);

/* 1 when `cert` is in the seal's certificate list (by DER, or by digest for
 * certListType 2), 0 when not. */
int seal_eseal_lists_cert(const seal_eseal *e, X509 *cert);

/* ---- SES_Signature: a seal applied to a document (OFD-SEAL.md 1 and 2) ----
 * v4/v5 (GB/T 38540 7.3): SEQUENCE { TBS_Sign, cert, signatureAlgID, signature,
 * timeStamp [0] OPTIONAL }; v1 (GM/T 0031-2014): SEQUENCE { TBS_Sign, signature } with the
 * cert and algorithm inside TBS_Sign. The stamper signs the stored DER of TBS_Sign. */
typedef struct seal_ses_signature {
    int version;            /* 1, 4 or 5: TBS_Sign.version */
    seal_eseal *seal;       /* the SESeal inside, parsed (owned) */
    seal_slice eseal_der;   /* TBS_Sign.eseal exactly as stored (what Seal.esl must equal) */
    seal_slice tbs;         /* TBS_Sign exactly as stored, tag and length included */
    time_t time;            /* timeInfo as a time; 0 when it is not one (v1 token) */
    bool time_zone_assumed; /* v1 timeInfo text without a zone, read as UTC+8 */
    seal_slice time_info;   /* timeInfo's content: GeneralizedTime text, or v1 BIT STRING bytes */
    seal_slice data_hash;   /* TBS_Sign.dataHash bytes */
    char *property_info;    /* TBS_Sign.propertyInfo: the Signature.xml path */
    seal_slice signer_cert_der;
    X509 *signer_cert; /* NULL when the stored bytes are not one certificate */
    char sig_alg_oid[128];
    seal_slice signature; /* the signature value (BIT STRING bytes after the unused-bits octet) */
    seal_slice timestamp; /* v4/v5 timeStamp: the RFC 3161 token DER; empty when absent */
    bool has_ext_datas;
    seal_buf der; /* the whole SES_Signature as stored; slices point into it */
} seal_ses_signature;

/* Parses an SES_Signature of any version (decided by shape, OFD-SEAL.md 1). */
int seal_ses_signature_parse(seal_ses_signature **out, const uint8_t *der, size_t len);
void seal_ses_signature_free(seal_ses_signature *s);

/* Checks the stamper's signature over the stored TBS_Sign with the stored signer
 * certificate (SM2 with the user ID 1234567812345678; DER or raw r||s). 0 valid,
 * SEAL_ECRYPTO not, SEAL_EFORMAT when the certificate cannot be read. */
int seal_ses_signature_verify(const seal_ses_signature *s);

/* Reads a time written as text by OFD writers and v1 seals: "YYYYMMDDhhmmss[.f][Z]",
 * "YYYY-MM-DDThh:mm:ss[.f][Z|+hh:mm]" or with a space for 'T'. Without a zone the time is
 * read as China Standard Time (UTC+8) and *zone_assumed is set. */
int seal_ses_time_text(time_t *out, bool *zone_assumed, const char *text, size_t len);

/* ---- stamping: SES_Signature v4 (GB/T 38540; OFD-SEAL.md sections 1-3) ----
 * Stamp flow: the OFD stamper computes SM3 over the Signature.xml it wrote, seal_ses_sign
 * checks the seal may be used and has the stamper sign DER(TBS_Sign); a timestamp token
 * over the signature value (RFC 3161) may then be obtained; seal_ses_signature_encode
 * puts the parts together. */

typedef struct seal_ses_tbs_spec {
    const seal_eseal *seal;   /* the v4 seal; its stored bytes (der) go in as they are */
    time_t time;              /* timeInfo; the stamper's signing time */
    const uint8_t *data_hash; /* SM3 of the raw Signature.xml bytes (32 bytes) */
    size_t data_hash_len;
    const char *property_info; /* package path of that Signature.xml ("/Doc_0/...") */
} seal_ses_tbs_spec;

/* Whether `cert` may use the seal at `when`: it is in the seal's certList and `when` lies
 * within validStart..validEnd. SEAL_EPOLICY names what is wrong. */
int seal_eseal_check_use(const seal_eseal *e, X509 *cert, time_t when);

/* Encodes DER(TBS_Sign) version 4, without extDatas. */
int seal_ses_tbs_encode(seal_buf *tbs, const seal_ses_tbs_spec *spec);

/* What the stamper produced: the signed bytes and the signature value over them. */
typedef struct seal_ses_signed {
    seal_buf tbs;       /* DER(TBS_Sign) */
    seal_buf signature; /* SM2 DER SEQUENCE { r, s } over tbs, user ID 1234567812345678 */
} seal_ses_signed;

void seal_ses_signed_clear(seal_ses_signed *s);

/* The first of two phases (two-phase stamping: the signature is made elsewhere, later):
 * checks that `stamper_cert` has an SM2 key and that the seal is a v4 SESeal
 * (SEAL_EUNSUPPORTED otherwise) the stamper may use at spec->time (seal_eseal_check_use),
 * then encodes TBS_Sign: the exact bytes the stamper signs. seal_ses_signature_encode is
 * the second phase. */
int seal_ses_tbs_prepare(seal_buf *tbs, const seal_ses_tbs_spec *spec, X509 *stamper_cert);

/* Both phases' checks and TBS_Sign (seal_ses_tbs_prepare), signed by the SM2 stamper. */
int seal_ses_sign(seal_ses_signed *out, const seal_ses_tbs_spec *spec, const seal_signer *stamper);

/* SES_Signature { toSign, cert (the stamper's, DER), signatureAlgID SM2-with-SM3,
 * signature, timeStamp [0] EXPLICIT BIT STRING OPTIONAL }. `timestamp` is the DER of an
 * RFC 3161 token over the signature value, or NULL (then the field is absent). */
int seal_ses_signature_encode(seal_buf *der, const seal_ses_signed *s, X509 *stamper_cert,
                              const uint8_t *timestamp, size_t timestamp_len);

#ifdef __cplusplus
}
#endif
#endif
