/* X.509 certificates: loading them from PEM or DER, writing them back, and the subject
 * name we show in reports. Stamping loads the institution's certificate and chain here;
 * verification gets certificates from the CMS or the seal and hands them to pki/. */
#include "crypto_int.h"

#include <seal/error.h>

#include <glib.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

#define CERT_FILE_MAX (4 * 1024 * 1024)

static bool is_pem(const uint8_t *data, size_t len)
{
    static const char marker[] = "-----BEGIN ";
    return memmem(data, len, marker, sizeof marker - 1) != NULL;
}

int seal_cert_load_mem(X509 **out, const uint8_t *data, size_t len)
{
    X509 *cert = NULL;
    if (len == 0 || len > INT_MAX)
        return seal_error_set(SEAL_EFORMAT, "the certificate is %s", len ? "too large" : "empty");
    if (is_pem(data, len)) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        if (!bio)
            return seal_error_set(SEAL_ENOMEM, "out of memory");
        cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        BIO_free(bio);
    } else {
        const unsigned char *p = data;
        cert = d2i_X509(NULL, &p, (long)len);
        if (cert && p != data + len) {
            X509_free(cert);
            cert = NULL;
        }
    }
    if (!cert) {
        ERR_clear_error();
        return seal_error_set(SEAL_EFORMAT, "not a PEM or DER X.509 certificate");
    }
    *out = cert;
    return 0;
}

int seal_cert_load(X509 **out, const char *path)
{
    seal_buf file = SEAL_BUF_INIT;
    int rc = seal_buf_read_file(&file, path, CERT_FILE_MAX);
    if (rc == 0) {
        rc = seal_cert_load_mem(out, file.data, file.len);
        if (rc < 0)
            seal_error_wrap(rc, "%s", path);
    }
    seal_buf_clear(&file);
    return rc;
}

int seal_certs_load(STACK_OF(X509) * *out, const char *path)
{
    int rc = 0;
    seal_buf file = SEAL_BUF_INIT;
    BIO *bio = NULL;
    STACK_OF(X509) *certs = NULL;
    X509 *cert = NULL;

    SEAL_TRY(seal_buf_read_file(&file, path, CERT_FILE_MAX));
    certs = sk_X509_new_null();
    SEAL_ENSURE(certs, SEAL_ENOMEM, "out of memory");
    if (!is_pem(file.data, file.len)) {
        /* A DER file holds exactly one certificate. */
        rc = seal_cert_load_mem(&cert, file.data, file.len);
        if (rc < 0) {
            seal_error_wrap(rc, "%s", path);
            goto out;
        }
        SEAL_ENSURE(sk_X509_push(certs, cert), SEAL_ENOMEM, "out of memory");
        cert = NULL;
    } else {
        SEAL_ENSURE(file.len <= INT_MAX, SEAL_EFORMAT, "%s is too large", path);
        bio = BIO_new_mem_buf(file.data, (int)file.len);
        SEAL_ENSURE(bio, SEAL_ENOMEM, "out of memory");
        while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
            SEAL_ENSURE(sk_X509_push(certs, cert), SEAL_ENOMEM, "out of memory");
            cert = NULL;
        }
        /* The loop ends at end of input (PEM_R_NO_START_LINE); anything else is damage. */
        unsigned long e = ERR_peek_last_error();
        if (e && ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
            rc = seal_error_set_openssl(SEAL_EFORMAT, "%s holds a damaged PEM certificate", path);
            goto out;
        }
        ERR_clear_error();
        SEAL_ENSURE(sk_X509_num(certs) > 0, SEAL_EFORMAT, "%s holds no PEM certificate", path);
    }
    *out = certs;
    certs = NULL;
out:
    X509_free(cert);
    sk_X509_pop_free(certs, X509_free);
    BIO_free(bio);
    seal_buf_clear(&file);
    return rc;
}

int seal_cert_to_der(seal_buf *out, X509 *cert)
{
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    if (len <= 0)
        return seal_error_set_openssl(SEAL_ECRYPTO, "cannot encode the certificate");
    int rc = seal_buf_set(out, der, (size_t)len);
    OPENSSL_free(der);
    return rc;
}

int seal_cert_to_pem(seal_buf *out, X509 *cert)
{
    int rc = 0;
    char *pem = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    SEAL_ENSURE(bio, SEAL_ENOMEM, "out of memory");
    if (!PEM_write_bio_X509(bio, cert)) {
        rc = seal_error_set_openssl(SEAL_ECRYPTO, "cannot encode the certificate");
        goto out;
    }
    long len = BIO_get_mem_data(bio, &pem);
    SEAL_ENSURE(len > 0, SEAL_ECRYPTO, "cannot encode the certificate");
    SEAL_TRY(seal_buf_set(out, pem, (size_t)len));
out:
    BIO_free(bio);
    return rc;
}

char *seal_cert_subject_cn(X509 *cert)
{
    const X509_NAME *name = X509_get_subject_name(cert);
    int idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx >= 0) {
        const ASN1_STRING *value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
        unsigned char *utf8 = NULL;
        int len = ASN1_STRING_to_UTF8(&utf8, value);
        if (len >= 0) {
            char *cn = malloc((size_t)len + 1);
            if (cn) {
                memcpy(cn, utf8, (size_t)len);
                cn[len] = '\0';
            }
            OPENSSL_free(utf8);
            return cn;
        }
        ERR_clear_error();
    }
    /* No CN: the RFC 2253 one-line subject, with UTF-8 left as is. */
    return seal_x509_name_text(name);
}

time_t seal_asn1_time(const ASN1_TIME *t)
{
    struct tm tm;
    return t && ASN1_TIME_to_tm(t, &tm) ? timegm(&tm) : 0;
}

char *seal_cert_serial_hex(X509 *cert)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL);
    char *hex = bn ? BN_bn2hex(bn) : NULL;
    char *lower = g_ascii_strdown(hex ? hex : "0", -1);
    OPENSSL_free(hex);
    BN_free(bn);
    return lower;
}

char *seal_x509_name_text(const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *text = NULL;
    if (bio && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        char *data = NULL;
        long len = BIO_get_mem_data(bio, &data);
        text = strndup(len > 0 ? data : "", len > 0 ? (size_t)len : 0);
    }
    BIO_free(bio);
    return text;
}
