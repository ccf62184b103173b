/* Private keys: generating them, loading them from the files institutions hand us (PEM,
 * DER PKCS#8, PKCS#12) and encrypting them under a PIN for the data directory. Stamping
 * loads a key here and wraps it in a seal_signer (signer.c). */
#include "crypto_int.h"

#include <seal/error.h>

#include <limits.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEY_FILE_MAX (1024 * 1024)

static const struct {
    seal_key_alg alg;
    const char *name;
} alg_names[] = {
    {SEAL_ALG_RSA, "rsa"},
    {SEAL_ALG_ECDSA, "ecdsa"},
    {SEAL_ALG_SM2, "sm2"},
};

const char *seal_key_alg_name(seal_key_alg alg)
{
    for (size_t i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++)
        if (alg_names[i].alg == alg)
            return alg_names[i].name;
    return "unknown";
}

int seal_key_alg_parse(seal_key_alg *out, const char *name)
{
    for (size_t i = 0; name && i < sizeof alg_names / sizeof alg_names[0]; i++) {
        if (strcasecmp(alg_names[i].name, name) == 0) {
            *out = alg_names[i].alg;
            return 0;
        }
    }
    return seal_error_set(SEAL_EINVAL, "unknown key algorithm '%s' (expected rsa, ecdsa or sm2)",
                          name ? name : "");
}

/* True for an EC-typed key whose group is the SM2 curve (GB/T 32918.5). */
static bool is_ec_on_sm2_curve(const EVP_PKEY *key)
{
    char group[64];
    size_t len = 0;
    if (!EVP_PKEY_is_a(key, "EC"))
        return false;
    if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len))
        return false;
    return strcmp(group, "SM2") == 0;
}

seal_key_alg seal_key_alg_of(const EVP_PKEY *key)
{
    if (!key)
        return SEAL_ALG_UNKNOWN;
    if (EVP_PKEY_is_a(key, "SM2") || is_ec_on_sm2_curve(key))
        return SEAL_ALG_SM2;
    if (EVP_PKEY_is_a(key, "RSA"))
        return SEAL_ALG_RSA;
    if (EVP_PKEY_is_a(key, "EC"))
        return SEAL_ALG_ECDSA;
    return SEAL_ALG_UNKNOWN;
}

int seal_key_check_seal_alg(const EVP_PKEY *key)
{
    static const char supported[] = "seals sign with RSA (2048 bits or more), ECDSA on P-256 "
                                    "or SM2";
    char group[64] = "";
    size_t len = 0;
    switch (seal_key_alg_of(key)) {
    case SEAL_ALG_SM2:
        return 0;
    case SEAL_ALG_RSA:
        if (EVP_PKEY_get_bits(key) >= 2048)
            return 0;
        return seal_error_set(SEAL_EUNSUPPORTED, "the key is RSA of %d bits; %s",
                              EVP_PKEY_get_bits(key), supported);
    case SEAL_ALG_ECDSA:
        if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                           &len) &&
            strcmp(group, "prime256v1") == 0)
            return 0;
        ERR_clear_error();
        return seal_error_set(SEAL_EUNSUPPORTED, "the key is ECDSA on the curve %s; %s",
                              group[0] ? group : "(unnamed)", supported);
    default:
        return seal_error_set(SEAL_EUNSUPPORTED, "the key is %s; %s",
                              key ? EVP_PKEY_get0_type_name(key) : "missing", supported);
    }
}

static void params_clear_free(OSSL_PARAM *params)
{
    for (OSSL_PARAM *p = params; p && p->key; p++)
        if (p->data)
            OPENSSL_cleanse(p->data, p->data_size);
    OSSL_PARAM_free(params);
}

int seal_key_normalize(EVP_PKEY **out, EVP_PKEY *key)
{
    int rc = 0;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *sm2 = NULL;

    if (!is_ec_on_sm2_curve(key)) {
        SEAL_ENSURE(EVP_PKEY_up_ref(key), SEAL_ENOMEM, "out of memory");
        *out = key;
        return 0;
    }
    /* Same numbers, SM2 key management: only then does EVP_DigestSign apply SM2 (with the
     * Z value of GB/T 32918.2 6.1) instead of ECDSA. */
    int selection = EVP_PKEY_KEYPAIR;
    if (!EVP_PKEY_todata(key, selection, &params)) {
        selection = EVP_PKEY_PUBLIC_KEY;
        ERR_clear_error();
        if (!EVP_PKEY_todata(key, selection, &params)) {
            rc = seal_error_set_openssl(SEAL_ECRYPTO, "cannot read the SM2 key");
            goto out;
        }
    }
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "SM2", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &sm2, selection, params) <= 0) {
        rc = seal_error_set_openssl(SEAL_ECRYPTO, "cannot use the EC key on the SM2 curve as SM2");
        goto out;
    }
    *out = sm2;
    sm2 = NULL;
out:
    params_clear_free(params);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(sm2);
    return rc;
}

int seal_key_generate(EVP_PKEY **out, seal_key_alg alg, int bits)
{
    EVP_PKEY *key = NULL;
    switch (alg) {
    case SEAL_ALG_RSA:
        if (bits != 2048 && bits != 3072 && bits != 4096)
            return seal_error_set(SEAL_EINVAL, "RSA keys must have 2048, 3072 or 4096 bits, not %d",
                                  bits);
        key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
        break;
    case SEAL_ALG_ECDSA:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        break;
    case SEAL_ALG_SM2:
        key = EVP_PKEY_Q_keygen(NULL, NULL, "SM2");
        break;
    default:
        return seal_error_set(SEAL_EINVAL, "cannot generate a key of unknown algorithm");
    }
    if (!key)
        return seal_error_set_openssl(SEAL_ECRYPTO, "could not generate an %s key",
                                      seal_key_alg_name(alg));
    *out = key;
    return 0;
}

/* PEM password callback: hands OpenSSL the caller's password, and never prompts on a
 * terminal (OpenSSL's default callback would). */
static int password_cb(char *buf, int size, int rwflag, void *u)
{
    (void)rwflag;
    const char *password = u;
    if (!password || size <= 0)
        return -1;
    size_t len = strlen(password);
    if (len > (size_t)size)
        return -1;
    memcpy(buf, password, len);
    return (int)len;
}

static bool looks_like_pem(const uint8_t *data, size_t len)
{
    static const char marker[] = "-----BEGIN ";
    return len >= sizeof marker - 1 && memmem(data, len, marker, sizeof marker - 1) != NULL;
}

static bool contains(const uint8_t *data, size_t len, const char *text)
{
    return memmem(data, len, text, strlen(text)) != NULL;
}

static int load_pem(EVP_PKEY **out, const uint8_t *data, size_t len, const char *password,
                    const char *what)
{
    bool encrypted = contains(data, len, "ENCRYPTED PRIVATE KEY") ||
                     contains(data, len, "Proc-Type: 4,ENCRYPTED");
    if (encrypted && !password)
        return seal_error_set(SEAL_EAUTH, "%s is encrypted; a password is needed", what);
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (!bio)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, password_cb, (void *)password);
    BIO_free(bio);
    if (!key) {
        ERR_clear_error();
        if (encrypted)
            return seal_error_set(SEAL_EAUTH, "wrong password for %s", what);
        return seal_error_set(SEAL_EFORMAT, "%s holds no readable PEM private key", what);
    }
    *out = key;
    return 0;
}

/* DER: encrypted PKCS#8 (RFC 5958 EncryptedPrivateKeyInfo), plain PKCS#8, or a
 * traditional RSA/EC private key. Each must use up the whole input. */
static int load_der(EVP_PKEY **out, const uint8_t *data, size_t len, const char *password,
                    const char *what)
{
    int rc = 0;
    X509_SIG *p8enc = NULL;
    PKCS8_PRIV_KEY_INFO *p8 = NULL;
    EVP_PKEY *key = NULL;
    const unsigned char *p = data;
    long dlen = (long)len;

    p8enc = d2i_X509_SIG(NULL, &p, dlen);
    if (p8enc && p == data + len) {
        SEAL_ENSURE(password, SEAL_EAUTH, "%s is encrypted; a password is needed", what);
        p8 = PKCS8_decrypt(p8enc, password, (int)strlen(password));
        if (!p8) {
            ERR_clear_error();
            SEAL_FAIL(SEAL_EAUTH, "wrong password for %s", what);
        }
    } else {
        p = data;
        p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, dlen);
        if (p8 && p != data + len) {
            PKCS8_PRIV_KEY_INFO_free(p8);
            p8 = NULL;
        }
    }
    if (p8) {
        key = EVP_PKCS82PKEY(p8);
    } else {
        p = data;
        key = d2i_AutoPrivateKey(NULL, &p, dlen);
        if (key && p != data + len) {
            EVP_PKEY_free(key);
            key = NULL;
        }
    }
    if (!key) {
        ERR_clear_error();
        SEAL_FAIL(SEAL_EFORMAT, "%s is not a PEM, DER PKCS#8 or PKCS#12 private key", what);
    }
    *out = key;
out:
    X509_SIG_free(p8enc);
    PKCS8_PRIV_KEY_INFO_free(p8);
    return rc;
}

static int load_mem(EVP_PKEY **out, const uint8_t *data, size_t len, const char *password,
                    const char *what)
{
    if (len == 0 || len > INT_MAX)
        return seal_error_set(SEAL_EFORMAT, "%s is %s", what, len ? "too large" : "empty");
    if (looks_like_pem(data, len))
        return load_pem(out, data, len, password, what);
    return load_der(out, data, len, password, what);
}

int seal_key_load_mem(EVP_PKEY **out, const uint8_t *data, size_t len, const char *password)
{
    return load_mem(out, data, len, password, "the key data");
}

/* Many PKCS#12 files (Windows exports, older CA tools) protect certificates with
 * RC2-40 or 3DES, which OpenSSL 3 keeps in its legacy provider. Loaded once, on first
 * need, for the life of the process (with the default provider kept as fallback). */
static OSSL_PROVIDER *legacy_provider;

static void load_legacy_provider(void)
{
    legacy_provider = OSSL_PROVIDER_try_load(NULL, "legacy", 1);
    ERR_clear_error();
}

static int load_pkcs12(EVP_PKEY **out, X509 **cert_out, STACK_OF(X509) * *chain_out, PKCS12 *p12,
                       const char *password, const char *what)
{
    static pthread_once_t legacy_once = PTHREAD_ONCE_INIT;
    int rc = 0;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *chain = NULL;

    /* RFC 7292 5.1: the MAC is keyed by the password, so it tells a wrong password apart
     * from a damaged file. */
    if (PKCS12_mac_present(p12)) {
        bool ok = password ? PKCS12_verify_mac(p12, password, -1)
                           : PKCS12_verify_mac(p12, NULL, 0) || PKCS12_verify_mac(p12, "", 0);
        if (!ok) {
            ERR_clear_error();
            SEAL_ENSURE(password, SEAL_EAUTH, "%s is protected by a password; a password is needed",
                        what);
            SEAL_FAIL(SEAL_EAUTH, "wrong password for %s", what);
        }
    }
    if (!PKCS12_parse(p12, password, &key, &cert, &chain)) {
        ERR_clear_error();
        pthread_once(&legacy_once, load_legacy_provider);
        if (!PKCS12_parse(p12, password, &key, &cert, &chain)) {
            if (!PKCS12_mac_present(p12)) {
                ERR_clear_error();
                SEAL_FAIL(SEAL_EAUTH, "wrong password for %s", what);
            }
            rc = seal_error_set_openssl(SEAL_EFORMAT, "cannot read the PKCS#12 file %s", what);
            goto out;
        }
    }
    SEAL_ENSURE(key, SEAL_EFORMAT, "%s holds no private key", what);
    *out = key;
    key = NULL;
    if (cert_out) {
        *cert_out = cert;
        cert = NULL;
    }
    if (chain_out) {
        if (!chain)
            chain = sk_X509_new_null();
        SEAL_ENSURE(chain, SEAL_ENOMEM, "out of memory");
        *chain_out = chain;
        chain = NULL;
    }
out:
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    return rc;
}

int seal_key_load(EVP_PKEY **out, X509 **cert_out, STACK_OF(X509) * *chain_out, const char *path,
                  const char *password)
{
    int rc = 0;
    seal_buf file = SEAL_BUF_INIT;
    PKCS12 *p12 = NULL;
    char what[600];

    if (cert_out)
        *cert_out = NULL;
    if (chain_out)
        *chain_out = NULL;
    snprintf(what, sizeof what, "the key in %s", path);
    SEAL_TRY(seal_buf_read_file(&file, path, KEY_FILE_MAX));
    SEAL_ENSURE(file.len > 0 && file.len <= INT_MAX, SEAL_EFORMAT, "%s is empty", path);

    if (!looks_like_pem(file.data, file.len)) {
        const unsigned char *p = file.data;
        p12 = d2i_PKCS12(NULL, &p, (long)file.len);
        if (p12 && p == file.data + file.len) {
            rc = load_pkcs12(out, cert_out, chain_out, p12, password, what);
            goto out;
        }
        ERR_clear_error();
    }
    rc = load_mem(out, file.data, file.len, password, what);
out:
    PKCS12_free(p12);
    seal_buf_clear_secret(&file);
    return rc;
}

int seal_key_encrypt_pem(seal_buf *out, EVP_PKEY *key, const char *pin)
{
    int rc = 0;
    BIO *bio = NULL;
    char *pem = NULL;

    SEAL_ENSURE(pin && pin[0], SEAL_EINVAL, "a PIN is needed to encrypt the key");
    SEAL_ENSURE(strlen(pin) <= INT_MAX, SEAL_EINVAL, "the PIN is too long");
    bio = BIO_new(BIO_s_mem());
    SEAL_ENSURE(bio, SEAL_ENOMEM, "out of memory");
    /* PKCS#8 EncryptedPrivateKeyInfo (RFC 5958) with PBES2; OpenSSL 3 picks PBKDF2 with
     * HMAC-SHA256 for the key derivation. */
    if (!PEM_write_bio_PKCS8PrivateKey(bio, key, EVP_aes_256_cbc(), (const char *)pin,
                                       (int)strlen(pin), NULL, NULL)) {
        rc = seal_error_set_openssl(SEAL_ECRYPTO, "could not encrypt the key");
        goto out;
    }
    long len = BIO_get_mem_data(bio, &pem);
    SEAL_ENSURE(len > 0, SEAL_ECRYPTO, "could not encrypt the key");
    SEAL_TRY(seal_buf_set(out, pem, (size_t)len));
out:
    BIO_free(bio);
    return rc;
}
