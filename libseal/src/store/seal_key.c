/* How a seal's private key rests in the store: PKCS#8 (PBES2, AES-256) under a passphrase
 * made from the seal PIN and the platform's key-encryption key (DATA/secrets/kek, never
 * in the database). A PIN of six digits alone could be found by trying all of them on a
 * copy of sealsvc.db, past the five-try lock; with the KEK in the passphrase a copy of the
 * database alone opens nothing. create.c wraps keys, unlock.c and the re-key unwrap them. */
#include "store/store_internal.h"

#include <seal/error.h>

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

#define KEK_BYTES     32
#define KEK_MAX_BYTES 4096

int store_kek_ensure(const char *data_dir)
{
    int rc = 0;
    uint8_t raw[KEK_BYTES];
    seal_buf hex = SEAL_BUF_INIT;
    char *dir = g_build_filename(data_dir, "secrets", NULL);
    char *path = g_build_filename(dir, "kek", NULL);
    if (g_file_test(path, G_FILE_TEST_EXISTS))
        goto out;
    SEAL_ENSURE(g_mkdir_with_parents(dir, 0700) == 0, SEAL_EIO, "cannot create %s: %s", dir,
                strerror(errno));
    SEAL_ENSURE(RAND_bytes(raw, sizeof raw) == 1, SEAL_ECRYPTO,
                "no random bytes for the key-encryption key");
    SEAL_TRY(seal_hex_encode(&hex, raw, sizeof raw, false));
    SEAL_TRY(seal_buf_write_file(&hex, path, 0600));
out:
    OPENSSL_cleanse(raw, sizeof raw);
    seal_buf_clear_secret(&hex);
    g_free(dir);
    g_free(path);
    return rc;
}

int store_kek_read(const char *data_dir, seal_buf *kek_out)
{
    int rc = 0;
    char *path = g_build_filename(data_dir, "secrets", "kek", NULL);
    SEAL_TRY(seal_buf_read_file(kek_out, path, KEK_MAX_BYTES));
    g_strstrip((char *)kek_out->data);
    kek_out->len = strlen((const char *)kek_out->data);
    SEAL_ENSURE(kek_out->len > 0, SEAL_EFORMAT, "%s is empty", path);
out:
    if (rc < 0)
        seal_buf_clear_secret(kek_out);
    g_free(path);
    return rc;
}

int store_kek_derive(const char *data_dir, const char *label, uint8_t out[STORE_DERIVED_KEY_BYTES])
{
    int rc = 0;
    seal_buf kek = SEAL_BUF_INIT;
    unsigned len = 0;
    SEAL_TRY(store_kek_read(data_dir, &kek));
    SEAL_ENSURE(HMAC(EVP_sha256(), kek.data, (int)kek.len, (const uint8_t *)label, strlen(label),
                     out, &len) != NULL &&
                    len == STORE_DERIVED_KEY_BYTES,
                SEAL_ECRYPTO, "cannot derive a key from the key-encryption key");
out:
    if (rc < 0)
        OPENSSL_cleanse(out, STORE_DERIVED_KEY_BYTES);
    seal_buf_clear_secret(&kek);
    return rc;
}

/* The passphrase: the lower-case hex of HMAC-SHA256 keyed with the KEK file's text (as
 * `sealsvc demo init` writes it, surrounding white space ignored) over the PIN. */
static int passphrase(seal_store *st, const char *pin, char out[2 * 32 + 1])
{
    int rc = 0;
    seal_buf kek = SEAL_BUF_INIT;
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    rc = store_kek_read(seal_store_data_dir(st), &kek);
    if (rc < 0) {
        seal_error_wrap(rc, "the platform's key-encryption key, without which no seal key "
                            "opens");
        goto out;
    }
    SEAL_ENSURE(HMAC(EVP_sha256(), kek.data, (int)kek.len, (const uint8_t *)pin, strlen(pin), mac,
                     &mac_len) != NULL &&
                    mac_len == 32,
                SEAL_ECRYPTO, "cannot derive the seal key's passphrase");
    for (unsigned i = 0; i < mac_len; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
out:
    OPENSSL_cleanse(mac, sizeof mac);
    seal_buf_clear_secret(&kek);
    return rc;
}

int store_seal_key_wrap(seal_store *st, seal_buf *pem_out, EVP_PKEY *key, const char *pin)
{
    char pass[2 * 32 + 1];
    int rc = passphrase(st, pin, pass);
    if (rc == 0)
        rc = seal_key_encrypt_pem(pem_out, key, pass);
    OPENSSL_cleanse(pass, sizeof pass);
    return rc;
}

int store_seal_key_unwrap(seal_store *st, const seal_buf *pem, const char *pin, EVP_PKEY **key_out,
                          bool *pin_only)
{
    char pass[2 * 32 + 1];
    *key_out = NULL;
    *pin_only = false;
    int rc = passphrase(st, pin, pass);
    if (rc < 0)
        return rc;
    rc = seal_key_load_mem(key_out, pem->data, pem->len, pass);
    OPENSSL_cleanse(pass, sizeof pass);
    if (rc == 0 || rc == SEAL_ENOMEM)
        return rc;
    /* Keys stored before the KEK was part of the passphrase rest under the PIN alone. */
    rc = seal_key_load_mem(key_out, pem->data, pem->len, pin);
    if (rc == 0)
        *pin_only = true;
    if (rc == 0 || rc == SEAL_ENOMEM)
        return rc;
    /* The key was written by seal_store_create_seal: whatever the decoder said, a key that
     * does not decrypt means the PIN is wrong. */
    return seal_error_set(SEAL_EAUTH, "the PIN does not open the seal's key");
}

int store_seal_key_update(seal_store *st, const char *id, const seal_buf *pem)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "storing a seal's key",
                           "UPDATE seal SET key_pem = ?1 WHERE id = ?2"));
    store_bind_buf_text(stmt, 1, pem);
    seal_db_bind_text(stmt, 2, id);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}
