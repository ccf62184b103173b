/* API keys: who may call the HTTP service (DESIGN.md "The service", Auth). A key is 256
 * random bits shown once when made; the store keeps only HMAC-SHA256 of it under a key
 * derived from the platform's key-encryption key, so that a copy of the database alone
 * cannot be used to test guesses. A slow password hash (Argon2) would add nothing here:
 * it protects guessable secrets, and a 256-bit random key cannot be guessed, while every
 * request would pay its cost. The lookup is by that MAC, so a wrong key costs one HMAC and
 * one indexed read. Keys have a role (admin, portal, clerk, auditor), may act for one
 * institution (its credit code), may expire, and are revoked, never deleted, so the audit
 * trail's actors stay resolvable. Creating and revoking are audited in the same
 * transaction.
 *
 * The table is version 5 of the store's schema (schema.c). */
#include "store/store_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

#define KEY_PREFIX   "sealsvc_"
#define KEY_BYTES    32
#define ID_BYTES     6
#define MAC_LABEL    "sealsvc api key v1"
#define MAX_KEY_TEXT 128

#define COLUMNS "id, role, institution, label, created, expires, revoked, input_policy"

static const char *const roles[] = {"admin", "portal", "clerk", "auditor"};

int seal_apikey_role_check(const char *role)
{
    for (size_t i = 0; role && i < G_N_ELEMENTS(roles); i++)
        if (strcmp(role, roles[i]) == 0)
            return 0;
    return seal_error_set(SEAL_EINVAL,
                          "an API key's role is admin, portal, clerk or auditor, not '%s'",
                          role ? role : "");
}

/* Lower-case hex of HMAC-SHA256(HMAC-SHA256(KEK, MAC_LABEL), key): the KEK itself keys
 * only the derivation, as for the seal keys' passphrases. */
static int key_mac(seal_store *st, const char *key, char out[2 * 32 + 1])
{
    int rc = 0;
    uint8_t derived[STORE_KEK_DERIVED_BYTES], mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    SEAL_TRY(store_kek_derive(st, MAC_LABEL, derived));
    SEAL_ENSURE(HMAC(EVP_sha256(), derived, (int)sizeof derived, (const uint8_t *)key, strlen(key),
                     mac, &mac_len) &&
                    mac_len == 32,
                SEAL_ECRYPTO, "cannot compute an API key's MAC");
    for (unsigned i = 0; i < mac_len; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
out:
    OPENSSL_cleanse(derived, sizeof derived);
    return rc;
}

static int read_row(seal_db_stmt *stmt, void *record)
{
    seal_apikey_record *r = record;
    memset(r, 0, sizeof *r);
    char *id = store_column_text(stmt, 0);
    g_strlcpy(r->id, id ? id : "", sizeof r->id);
    g_free(id);
    r->role = store_column_text(stmt, 1);
    r->institution = store_column_text(stmt, 2);
    r->label = store_column_text(stmt, 3);
    r->created = (time_t)store_column_int64(stmt, 4);
    r->expires = (time_t)store_column_int64(stmt, 5);
    r->revoked = (time_t)store_column_int64(stmt, 6);
    r->input_policy = store_column_text(stmt, 7);
    return 0;
}

void seal_apikey_record_clear(seal_apikey_record *r)
{
    if (!r)
        return;
    g_free(r->role);
    g_free(r->institution);
    g_free(r->label);
    g_free(r->input_policy);
    memset(r, 0, sizeof *r);
}

void seal_apikey_records_free(seal_apikey_record *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        seal_apikey_record_clear(&r[i]);
    g_free(r);
}

int seal_store_apikey_create(seal_store *st, seal_apikey_record *r, char **key_out,
                             const char *actor)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    uint8_t raw[KEY_BYTES], id_raw[ID_BYTES];
    char mac[2 * 32 + 1];
    char *key = NULL, *encoded = NULL;
    bool in_tx = false;
    *key_out = NULL;
    SEAL_TRY(seal_apikey_role_check(r->role));
    if (r->institution)
        SEAL_TRY(seal_store_find_institution(st, r->institution, NULL, NULL));
    SEAL_ENSURE(!r->institution || strcmp(r->role, "admin") != 0, SEAL_EINVAL,
                "an admin key acts for the whole platform: it takes no institution");
    SEAL_ENSURE(r->expires == 0 || r->expires > time(NULL), SEAL_EINVAL,
                "the key's expiry lies in the past");
    SEAL_ENSURE(!r->input_policy || strcmp(r->input_policy, "strict") == 0 ||
                    strcmp(r->input_policy, "warn") == 0 || strcmp(r->input_policy, "off") == 0,
                SEAL_EINVAL, "an API key's input policy is strict, warn or off, not '%s'",
                r->input_policy ? r->input_policy : "");
    SEAL_ENSURE(RAND_bytes(raw, sizeof raw) == 1 && RAND_bytes(id_raw, sizeof id_raw) == 1,
                SEAL_ECRYPTO, "no randomness for an API key");
    /* base64url without padding (RFC 4648 5): the key goes in an HTTP header as is. */
    encoded = g_base64_encode(raw, sizeof raw);
    g_strdelimit(encoded, "+", '-');
    g_strdelimit(encoded, "/", '_');
    *strchrnul(encoded, '=') = '\0';
    key = g_strconcat(KEY_PREFIX, encoded, NULL);
    snprintf(r->id, sizeof r->id, "key-");
    for (size_t i = 0; i < sizeof id_raw; i++)
        snprintf(r->id + 4 + 2 * i, 3, "%02x", id_raw[i]);
    r->created = time(NULL);
    r->revoked = 0;
    SEAL_TRY(key_mac(st, key, mac));
    SEAL_TRY(store_begin(st));
    in_tx = true;
    SEAL_TRY(
        store_prepare(st, &stmt, "keeping an API key",
                      "INSERT INTO api_key (id, mac, role, institution, label, created, expires, "
                      "input_policy) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
    seal_db_bind_text(stmt, 1, r->id);
    seal_db_bind_text(stmt, 2, mac);
    seal_db_bind_text(stmt, 3, r->role);
    seal_db_bind_text(stmt, 4, r->institution);
    seal_db_bind_text(stmt, 5, r->label);
    seal_db_bind_int64(stmt, 6, (int64_t)r->created);
    if (r->expires)
        seal_db_bind_int64(stmt, 7, (int64_t)r->expires);
    else
        seal_db_bind_null(stmt, 7);
    seal_db_bind_text(stmt, 8, r->input_policy);
    SEAL_TRY(seal_db_step(stmt));
    char *target = g_strdup_printf("apikey:%s", r->id);
    rc = store_audit_in_tx(st, actor ? actor : "unknown", "apikey-create", target,
                           "role %s%s%s%s%s%s", r->role, r->institution ? ", institution " : "",
                           r->institution ? r->institution : "", r->expires ? ", expires" : "",
                           r->input_policy ? ", input policy " : "",
                           r->input_policy ? r->input_policy : "");
    g_free(target);
    if (rc < 0)
        goto out;
    rc = store_commit(st);
    in_tx = false;
    if (rc == 0) {
        *key_out = key;
        key = NULL;
    }
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    OPENSSL_cleanse(raw, sizeof raw);
    if (encoded)
        OPENSSL_cleanse(encoded, strlen(encoded));
    if (key)
        OPENSSL_cleanse(key, strlen(key));
    g_free(encoded);
    g_free(key);
    return rc;
}

int seal_store_apikey_check(seal_store *st, const char *key, time_t now, seal_apikey_record *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char mac[2 * 32 + 1];
    memset(out, 0, sizeof *out);
    SEAL_ENSURE(key && g_str_has_prefix(key, KEY_PREFIX) && strlen(key) < MAX_KEY_TEXT, SEAL_EAUTH,
                "this is not a sealsvc API key");
    SEAL_TRY(key_mac(st, key, mac));
    SEAL_TRY(store_prepare(st, &stmt, "reading the API keys",
                           "SELECT " COLUMNS " FROM api_key WHERE mac = ?1"));
    seal_db_bind_text(stmt, 1, mac);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step == SEAL_DB_DONE)
        SEAL_FAIL(SEAL_EAUTH, "unknown API key");
    read_row(stmt, out);
    if (out->revoked)
        SEAL_FAIL(SEAL_EAUTH, "API key %s was revoked", out->id);
    if (out->expires && out->expires <= now)
        SEAL_FAIL(SEAL_EAUTH, "API key %s expired", out->id);
out:
    if (rc < 0 && rc != SEAL_EAUTH)
        seal_apikey_record_clear(out);
    seal_db_finalize(stmt);
    return rc;
}

static void free_records(void *records, size_t n)
{
    seal_apikey_records_free(records, n);
}

int seal_store_apikey_list(seal_store *st, seal_apikey_record **out, size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *out = NULL;
    *n = 0;
    SEAL_TRY(store_prepare(st, &stmt, "reading the API keys",
                           "SELECT " COLUMNS " FROM api_key ORDER BY created, id"));
    SEAL_TRY(
        store_read_all(stmt, sizeof(seal_apikey_record), read_row, free_records, (void **)out, n));
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_apikey_revoke(seal_store *st, const char *id, const char *actor)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    bool in_tx = false;
    SEAL_ENSURE(id && *id, SEAL_EINVAL, "which API key? (give its id)");
    SEAL_TRY(store_begin(st));
    in_tx = true;
    SEAL_TRY(store_prepare(st, &stmt, "revoking an API key",
                           "UPDATE api_key SET revoked = ?2 WHERE id = ?1 AND revoked IS NULL"));
    seal_db_bind_text(stmt, 1, id);
    seal_db_bind_int64(stmt, 2, (int64_t)time(NULL));
    SEAL_TRY(seal_db_step(stmt));
    SEAL_ENSURE(seal_db_changes(stmt) == 1, SEAL_ENOTFOUND,
                "no API key %s that is not revoked already", id);
    char *target = g_strdup_printf("apikey:%s", id);
    rc = store_audit_in_tx(st, actor ? actor : "unknown", "apikey-revoke", target, "revoked");
    g_free(target);
    if (rc < 0)
        goto out;
    rc = store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    return rc;
}
