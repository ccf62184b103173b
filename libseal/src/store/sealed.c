/* Short secrets at rest, sealed with AES-256-GCM: a personal seal's holder's identity
 * number (holder.c), a batch job's PIN, document password and callback key (job.c). The
 * form is 0x01 || nonce (12 bytes, NIST SP 800-38D 8.2: GCM's 96-bit IV) || ciphertext ||
 * tag (16 bytes), and the associated data names where the value belongs (a seal id, "job:ID:
 * pin"), so a value copied to another row or column does not open. The key is the caller's,
 * derived from the key-encryption key for that one use. */
#include "store/store_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

#define SEALED_FORMAT_V1 0x01
#define SEALED_NONCE     12
#define SEALED_TAG       16

int store_sealed_put(seal_buf *out, const uint8_t key[STORE_SEALED_KEY_BYTES], const char *aad,
                     const char *plain, size_t max_plain, const char *what)
{
    int rc = 0, n = 0, total = 0;
    uint8_t nonce[SEALED_NONCE], tag[SEALED_TAG];
    size_t len = plain ? strlen(plain) : 0;
    uint8_t *cipher = NULL;
    EVP_CIPHER_CTX *ctx = NULL;
    SEAL_ENSURE(len > 0 && len <= max_plain, SEAL_EINVAL, "%s must have 1 to %zu characters", what,
                max_plain);
    cipher = g_malloc(len + 1);
    SEAL_ENSURE(RAND_bytes(nonce, sizeof nonce) == 1, SEAL_ECRYPTO,
                "no random bytes for the nonce of %s", what);
    ctx = EVP_CIPHER_CTX_new();
    SEAL_ENSURE(ctx, SEAL_ENOMEM, "out of memory");
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
        EVP_EncryptUpdate(ctx, cipher, &n, (const uint8_t *)plain, (int)len) != 1)
        SEAL_FAIL(SEAL_ECRYPTO, "cannot encrypt %s", what);
    total = n;
    if (EVP_EncryptFinal_ex(ctx, cipher + total, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, SEALED_TAG, tag) != 1)
        SEAL_FAIL(SEAL_ECRYPTO, "cannot encrypt %s", what);
    total += n;
    seal_buf_clear(out);
    SEAL_TRY(seal_buf_append_byte(out, SEALED_FORMAT_V1));
    SEAL_TRY(seal_buf_append(out, nonce, sizeof nonce));
    SEAL_TRY(seal_buf_append(out, cipher, (size_t)total));
    SEAL_TRY(seal_buf_append(out, tag, sizeof tag));
out:
    EVP_CIPHER_CTX_free(ctx);
    if (cipher) {
        OPENSSL_cleanse(cipher, len + 1);
        g_free(cipher);
    }
    return rc;
}

int store_sealed_open(char **plain_out, const uint8_t key[STORE_SEALED_KEY_BYTES], const char *aad,
                      const uint8_t *data, size_t len, size_t max_plain, const char *what)
{
    int rc = 0, n = 0, total = 0;
    const size_t overhead = 1 + SEALED_NONCE + SEALED_TAG;
    char *plain = NULL;
    size_t cipher_len = 0;
    EVP_CIPHER_CTX *ctx = NULL;
    *plain_out = NULL;
    SEAL_ENSURE(data && len > overhead && len - overhead <= max_plain, SEAL_EFORMAT,
                "the stored %s is damaged (%zu bytes)", what, len);
    SEAL_ENSURE(data[0] == SEALED_FORMAT_V1, SEAL_EUNSUPPORTED,
                "the stored %s has format %u, which this sealsvc does not know", what, data[0]);
    cipher_len = len - overhead;
    const uint8_t *nonce = data + 1, *cipher = nonce + SEALED_NONCE, *tag = cipher + cipher_len;
    plain = g_malloc(cipher_len + 1);
    ctx = EVP_CIPHER_CTX_new();
    SEAL_ENSURE(ctx, SEAL_ENOMEM, "out of memory");
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
        EVP_DecryptUpdate(ctx, (uint8_t *)plain, &n, cipher, (int)cipher_len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, SEALED_TAG, (void *)tag) != 1)
        SEAL_FAIL(SEAL_ECRYPTO, "cannot decrypt the stored %s", what);
    total = n;
    /* GCM's tag covers the associated data, the nonce and every ciphertext byte: any change,
     * a value copied to another place, or another KEK ends here. */
    if (EVP_DecryptFinal_ex(ctx, (uint8_t *)plain + total, &n) != 1)
        SEAL_FAIL(SEAL_ECRYPTO,
                  "the stored %s does not decrypt: it was altered, belongs to another place, "
                  "or the key-encryption key is not the one it was stored under",
                  what);
    total += n;
    plain[total] = '\0';
    *plain_out = plain;
    plain = NULL;
out:
    EVP_CIPHER_CTX_free(ctx);
    if (plain) {
        OPENSSL_cleanse(plain, cipher_len + 1);
        g_free(plain);
    }
    return rc;
}
