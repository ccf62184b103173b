/* The holder of a personal seal: a name and a resident identity number (GB 11643-1999).
 * The number is personal data, so it rests in the seal_holder table only as AES-256-GCM
 * ciphertext (sealed.c) under a key derived from the platform's key-encryption key
 * (DATA/secrets/kek, never in the database), with the seal id as associated data; readers get the
 * masked form alone. create.c records a holder with its seal; `seal list` shows it masked. Beside
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

#define ID_KEY_BYTES STORE_SEALED_KEY_BYTES
#define ID_MAX_PLAIN 64
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
    uint8_t key[ID_KEY_BYTES];
    if (!seal_id || !*seal_id)
        return seal_error_set(SEAL_EINVAL, "an identity number is encrypted for a seal id");
    int rc = derive_key(key, kek, kek_len);
    if (rc == 0)
        rc = store_sealed_put(out, key, seal_id, plain, ID_MAX_PLAIN, "an identity number");
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

int store_id_decrypt(char **plain_out, const uint8_t *kek, size_t kek_len, const char *seal_id,
                     const uint8_t *sealed, size_t len)
{
    uint8_t key[ID_KEY_BYTES];
    char *what = g_strdup_printf("identity number of seal %s", seal_id);
    int rc = derive_key(key, kek, kek_len);
    if (rc == 0)
        rc = store_sealed_open(plain_out, key, seal_id, sealed, len, ID_MAX_PLAIN, what);
    OPENSSL_cleanse(key, sizeof key);
    g_free(what);
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
