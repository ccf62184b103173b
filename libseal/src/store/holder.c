/* The holder of a personal seal: a name and a resident identity number (GB 11643-1999).
 * The number is personal data, so it rests in the seal_holder table only as AES-256-GCM
 * ciphertext under a key derived from the platform's key-encryption key (DATA/secrets/kek,
 * never in the database), with the seal id as associated data; readers get the masked
 * form alone. create.c records a holder with its seal; `seal list` shows it masked. Beside
 * it: the masked form, and the MAC of the number person.c finds people by, which is how
 * retention.c knows whose seals these are; the number goes when the holder's retention
 * time is past, the name and masked form stay (docs/retention.md). */
#include "store/store_internal.h"

#include <seal/error.h>
#include <seal/idnum.h>

#include <glib.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <string.h>

#define ID_FORMAT_V1   0x01
#define ID_KEY_BYTES   32
#define ID_NONCE_BYTES 12 /* NIST SP 800-38D 8.2: the 96-bit IV of GCM */
#define ID_TAG_BYTES   16
#define ID_MAX_PLAIN   64
/* The HKDF info string: this key is for identity numbers and nothing else. */
#define ID_KEY_INFO "sealsvc seal-holder identity number v1"

/* RFC 5869 HKDF-SHA256 of the KEK text, so the key for identity numbers differs from the
 * passphrases seal keys rest under (seal_key.c) though both come from the same KEK. */
static int derive_key(uint8_t key[ID_KEY_BYTES], const uint8_t *kek, size_t kek_len)
{
    int rc = 0;
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)kek, kek_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)ID_KEY_INFO,
                                          strlen(ID_KEY_INFO)),
        OSSL_PARAM_construct_end(),
    };
    SEAL_ENSURE(kek_len > 0, SEAL_EINVAL, "the key-encryption key is empty");
    if (!ctx || EVP_KDF_derive(ctx, key, ID_KEY_BYTES, params) != 1)
        SEAL_FAIL(SEAL_ECRYPTO, "cannot derive the key for identity numbers");
out:
    EVP_KDF_CTX_free(ctx);
    EVP_KDF_free(kdf);
    return rc;
}

int store_id_encrypt(seal_buf *out, const uint8_t *kek, size_t kek_len, const char *seal_id,
                     const char *plain)
{
    int rc = 0;
    uint8_t key[ID_KEY_BYTES];
    uint8_t nonce[ID_NONCE_BYTES];
    uint8_t cipher[ID_MAX_PLAIN];
    uint8_t tag[ID_TAG_BYTES];
    int n = 0, total = 0;
    size_t plain_len = plain ? strlen(plain) : 0;
    EVP_CIPHER_CTX *ctx = NULL;
    SEAL_ENSURE(plain_len > 0 && plain_len <= ID_MAX_PLAIN, SEAL_EINVAL,
                "an identity number to encrypt must have 1 to %d characters", ID_MAX_PLAIN);
    SEAL_ENSURE(seal_id && *seal_id, SEAL_EINVAL, "an identity number is encrypted for a seal id");
    SEAL_TRY(derive_key(key, kek, kek_len));
    SEAL_ENSURE(RAND_bytes(nonce, sizeof nonce) == 1, SEAL_ECRYPTO,
                "no random bytes for an identity number's nonce");
    ctx = EVP_CIPHER_CTX_new();
    SEAL_ENSURE(ctx, SEAL_ENOMEM, "out of memory");
    if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
        EVP_EncryptUpdate(ctx, NULL, &n, (const uint8_t *)seal_id, (int)strlen(seal_id)) != 1 ||
        EVP_EncryptUpdate(ctx, cipher, &n, (const uint8_t *)plain, (int)plain_len) != 1)
        SEAL_FAIL(SEAL_ECRYPTO, "cannot encrypt an identity number");
    total = n;
    if (EVP_EncryptFinal_ex(ctx, cipher + total, &n) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, ID_TAG_BYTES, tag) != 1)
        SEAL_FAIL(SEAL_ECRYPTO, "cannot encrypt an identity number");
    total += n;
    seal_buf_clear(out);
    SEAL_TRY(seal_buf_append_byte(out, ID_FORMAT_V1));
    SEAL_TRY(seal_buf_append(out, nonce, sizeof nonce));
    SEAL_TRY(seal_buf_append(out, cipher, (size_t)total));
    SEAL_TRY(seal_buf_append(out, tag, sizeof tag));
out:
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(cipher, sizeof cipher);
    return rc;
}

int store_id_decrypt(char **plain_out, const uint8_t *kek, size_t kek_len, const char *seal_id,
                     const uint8_t *sealed, size_t len)
{
    int rc = 0;
    uint8_t key[ID_KEY_BYTES];
    char plain[ID_MAX_PLAIN + 1];
    int n = 0, total = 0;
    EVP_CIPHER_CTX *ctx = NULL;
    *plain_out = NULL;
    const size_t overhead = 1 + ID_NONCE_BYTES + ID_TAG_BYTES;
    SEAL_ENSURE(sealed && len > overhead && len - overhead <= ID_MAX_PLAIN, SEAL_EFORMAT,
                "the stored identity number of seal %s is damaged (%zu bytes)", seal_id, len);
    SEAL_ENSURE(sealed[0] == ID_FORMAT_V1, SEAL_EUNSUPPORTED,
                "the stored identity number of seal %s has format %u, which this sealsvc does "
                "not know",
                seal_id, sealed[0]);
    const uint8_t *nonce = sealed + 1;
    const uint8_t *cipher = nonce + ID_NONCE_BYTES;
    size_t cipher_len = len - overhead;
    const uint8_t *tag = cipher + cipher_len;
    SEAL_TRY(derive_key(key, kek, kek_len));
    ctx = EVP_CIPHER_CTX_new();
    SEAL_ENSURE(ctx, SEAL_ENOMEM, "out of memory");
    if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce) != 1 ||
        EVP_DecryptUpdate(ctx, NULL, &n, (const uint8_t *)seal_id, (int)strlen(seal_id)) != 1 ||
        EVP_DecryptUpdate(ctx, (uint8_t *)plain, &n, cipher, (int)cipher_len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, ID_TAG_BYTES, (void *)tag) != 1)
        SEAL_FAIL(SEAL_ECRYPTO, "cannot decrypt the identity number of seal %s", seal_id);
    total = n;
    /* GCM's tag covers the seal id, the nonce's use and every ciphertext byte: any change,
     * a row copied to another seal, or another KEK ends here. */
    if (EVP_DecryptFinal_ex(ctx, (uint8_t *)plain + total, &n) != 1)
        SEAL_FAIL(SEAL_ECRYPTO,
                  "the stored identity number of seal %s does not decrypt: it was altered, "
                  "belongs to another seal, or the key-encryption key is not the one it was "
                  "stored under",
                  seal_id);
    total += n;
    plain[total] = '\0';
    *plain_out = g_strdup(plain);
out:
    EVP_CIPHER_CTX_free(ctx);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(plain, sizeof plain);
    return rc;
}

int store_holder_check(const char *seal_id, const char *kind, const char *name,
                       const char *resident_id)
{
    bool personal = kind && strcmp(kind, "personal") == 0;
    if (!personal) {
        if (name || resident_id)
            return seal_error_set(SEAL_EINVAL,
                                  "seal %s is a %s seal: only a personal seal has a holder",
                                  seal_id, kind ? kind : "(no kind)");
        return 0;
    }
    if (!name || !*name || !g_utf8_validate(name, -1, NULL))
        return seal_error_set(SEAL_EINVAL, "personal seal %s needs its holder's name in UTF-8",
                              seal_id);
    int rc = seal_resident_id_check(resident_id);
    if (rc < 0)
        return seal_error_wrap(rc, "the holder of personal seal %s", seal_id);
    return 0;
}

int store_holder_add_in_tx(seal_store *st, const char *seal_id, const char *name,
                           const char *resident_id)
{
    int rc = 0;
    seal_buf kek = SEAL_BUF_INIT;
    seal_buf sealed = SEAL_BUF_INIT;
    seal_db_stmt *stmt = NULL;
    char id[19], masked[19], mac[65];
    /* GB 11643-1999 7.2 writes the check value 10 as a capital X. */
    g_strlcpy(id, resident_id, sizeof id);
    if (id[17] == 'x')
        id[17] = 'X';
    seal_resident_id_mask(id, masked);
    SEAL_TRY(store_person_lookup_mac(st, id, mac));
    SEAL_TRY(store_kek_read(seal_store_data_dir(st), &kek));
    SEAL_TRY(store_id_encrypt(&sealed, kek.data, kek.len, seal_id, id));
    SEAL_TRY(store_prepare(st, &stmt, "storing a seal's holder",
                           "INSERT INTO seal_holder (seal_id, name, id_sealed, id_masked, "
                           "id_lookup) VALUES (?1, ?2, ?3, ?4, ?5)"));
    seal_db_bind_text(stmt, 1, seal_id);
    seal_db_bind_text(stmt, 2, name);
    seal_db_bind_blob(stmt, 3, sealed.data, sealed.len);
    seal_db_bind_text(stmt, 4, masked);
    seal_db_bind_text(stmt, 5, mac);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    seal_buf_clear_secret(&kek);
    seal_buf_clear(&sealed);
    OPENSSL_cleanse(id, sizeof id);
    return rc;
}

int seal_store_get_holder(seal_store *st, const char *seal_id, char **name_out,
                          char id_masked_out[19])
{
    int rc = 0;
    seal_buf kek = SEAL_BUF_INIT;
    seal_db_stmt *stmt = NULL;
    char *plain = NULL;
    const uint8_t *sealed = NULL;
    size_t sealed_len = 0;
    *name_out = NULL;
    strcpy(id_masked_out, "?");
    SEAL_TRY(
        store_prepare(st, &stmt, "reading a seal's holder",
                      "SELECT name, id_sealed, id_masked FROM seal_holder WHERE seal_id = ?1"));
    seal_db_bind_text(stmt, 1, seal_id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "seal %s records no holder", seal_id);
    *name_out = store_column_text(stmt, 0);
    if (seal_db_column_is_null(stmt, 1)) {
        /* Deleted when its retention time was past: the masked form is what is left. */
        char *kept = store_column_text(stmt, 2);
        g_strlcpy(id_masked_out, kept ? kept : "?", 19);
        g_free(kept);
        goto out;
    }
    SEAL_TRY(seal_db_column_blob(stmt, 1, &sealed, &sealed_len));
    rc = store_kek_read(seal_store_data_dir(st), &kek);
    if (rc < 0) {
        seal_error_wrap(rc,
                        "the identity number of seal %s's holder cannot be decrypted without "
                        "the platform's key-encryption key",
                        seal_id);
        goto out;
    }
    SEAL_TRY(store_id_decrypt(&plain, kek.data, kek.len, seal_id, sealed, sealed_len));
    seal_resident_id_mask(plain, id_masked_out);
out:
    if (plain)
        OPENSSL_cleanse(plain, strlen(plain));
    g_free(plain);
    seal_db_finalize(stmt);
    seal_buf_clear_secret(&kek);
    return rc;
}

int store_holder_identify(seal_store *st, const char *seal_id, const uint8_t *sealed, size_t len,
                          char mac[65], char masked[19])
{
    int rc = 0;
    seal_buf kek = SEAL_BUF_INIT;
    char *plain = NULL;
    SEAL_TRY(store_kek_read(seal_store_data_dir(st), &kek));
    SEAL_TRY(store_id_decrypt(&plain, kek.data, kek.len, seal_id, sealed, len));
    SEAL_ENSURE(seal_resident_id_check(plain) == 0, SEAL_EFORMAT,
                "the stored identity number of seal %s is not a resident ID", seal_id);
    seal_resident_id_mask(plain, masked);
    SEAL_TRY(store_person_lookup_mac(st, plain, mac));
out:
    if (plain)
        OPENSSL_cleanse(plain, strlen(plain));
    g_free(plain);
    seal_buf_clear_secret(&kek);
    return rc;
}

/* One holder's seal id and sealed number, as read for store_holder_link. */
typedef struct unlinked {
    char *seal_id;
    seal_buf sealed;
} unlinked;

static int read_unlinked(seal_db_stmt *stmt, void *record)
{
    unlinked *u = record;
    u->seal_id = store_column_text(stmt, 0);
    return store_column_buf(stmt, 1, &u->sealed);
}

static void free_unlinked(void *records, size_t n)
{
    unlinked *u = records;
    for (size_t i = 0; u && i < n; i++) {
        g_free(u[i].seal_id);
        seal_buf_clear(&u[i].sealed);
    }
    g_free(u);
}

int store_holder_link(seal_store *st)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    unlinked *rows = NULL;
    size_t n = 0;
    SEAL_TRY(store_prepare(st, &stmt, "reading the holders of personal seals",
                           "SELECT seal_id, id_sealed FROM seal_holder WHERE id_lookup IS NULL "
                           "AND id_sealed IS NOT NULL ORDER BY seal_id"));
    SEAL_TRY(
        store_read_all(stmt, sizeof(unlinked), read_unlinked, free_unlinked, (void **)&rows, &n));
    seal_db_finalize(stmt);
    stmt = NULL;
    for (size_t i = 0; i < n; i++) {
        char mac[65], masked[19];
        /* Without the key, or for a number that does not open (altered, another KEK), the
         * holder stays unmatched: retention.c tries again on each run and, meanwhile, keeps
         * everyone's data that could be this holder's. */
        if (store_holder_identify(st, rows[i].seal_id, rows[i].sealed.data, rows[i].sealed.len, mac,
                                  masked) < 0) {
            seal_error_clear();
            continue;
        }
        SEAL_TRY(store_prepare(st, &stmt, "matching a seal's holder to a person",
                               "UPDATE seal_holder SET id_lookup = ?2, id_masked = ?3 "
                               "WHERE seal_id = ?1"));
        seal_db_bind_text(stmt, 1, rows[i].seal_id);
        seal_db_bind_text(stmt, 2, mac);
        seal_db_bind_text(stmt, 3, masked);
        SEAL_TRY(seal_db_step(stmt));
        seal_db_finalize(stmt);
        stmt = NULL;
    }
out:
    seal_db_finalize(stmt);
    free_unlinked(rows, n);
    return rc;
}
