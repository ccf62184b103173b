/* Remote signing's signature activation data (SAD; Cloud Signature Consortium API v2,
 * credentials/authorize and signatures/signHash, sealsvc/http/routes_csc.c). Authorize
 * checks the seal's PIN and issues a SAD; signHash presents it to sign. The SAD is a token
 * every instance can check without the database: its claims (the seal, the caller, the
 * grant, the hashes it authorises, how many signatures, the expiry) in clear, the PIN
 * sealed (AES-256-GCM, sealed.c) because signing needs it again to open the seal's key,
 * and HMAC-SHA256 over all of it. Both keys are derived from the key-encryption key, which
 * every instance sharing the database has, as the API keys' MAC key is (apikey.c). What
 * the token cannot say by itself, which hashes were signed already, is in the database
 * (csc_sad_use, schema version 13), so each hash is signed once whichever instance asks. */
#include "store/store_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <string.h>

#define SAD_FORMAT    "csc-sad-v1"
#define SAD_MAC_LABEL "sealsvc csc sad mac v1"
#define SAD_PIN_LABEL "sealsvc csc sad pin v1"
#define SAD_PIN_MAX   256
#define SAD_TOKEN_MAX (64u * 1024u)
#define SAD_FIELDS    9

void seal_sad_clear(seal_sad *s)
{
    if (!s)
        return;
    g_free(s->seal_id);
    g_free(s->caller);
    g_strfreev(s->hashes);
    if (s->pin)
        OPENSSL_cleanse(s->pin, strlen(s->pin));
    g_free(s->pin);
    memset(s, 0, sizeof *s);
}

/* base64url without padding (RFC 4648 5): the token travels in JSON and may be logged by
 * a client, never parsed by one. */
static char *b64url(const uint8_t *data, size_t len)
{
    char *t = g_base64_encode(data, len);
    for (char *p = t; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    char *eq = strchr(t, '=');
    if (eq)
        *eq = '\0';
    return t;
}

static uint8_t *b64url_decode(const char *text, size_t len, size_t *out_len)
{
    if (len == 0 ||
        strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") < len)
        return NULL;
    GString *s = g_string_new_len(text, (gssize)len);
    for (size_t i = 0; i < s->len; i++)
        s->str[i] = s->str[i] == '-' ? '+' : s->str[i] == '_' ? '/' : s->str[i];
    while (s->len % 4)
        g_string_append_c(s, '=');
    gsize n = 0;
    uint8_t *data = g_base64_decode(s->str, &n);
    g_string_free(s, TRUE);
    *out_len = n;
    return data;
}

static int sad_mac(seal_store *st, const char *payload, size_t len, uint8_t mac[32])
{
    int rc = 0;
    uint8_t key[STORE_KEK_DERIVED_BYTES];
    unsigned mac_len = 0;
    SEAL_TRY(store_kek_derive(st, SAD_MAC_LABEL, key));
    SEAL_ENSURE(
        HMAC(EVP_sha256(), key, (int)sizeof key, (const uint8_t *)payload, len, mac, &mac_len) &&
            mac_len == 32,
        SEAL_ECRYPTO, "cannot compute a SAD's MAC");
out:
    OPENSSL_cleanse(key, sizeof key);
    return rc;
}

static bool hex_hash(const char *h)
{
    size_t n = strlen(h);
    return n >= 2 && n <= 2 * EVP_MAX_MD_SIZE && n % 2 == 0 && strspn(h, "0123456789abcdef") == n;
}

int seal_store_sad_issue(seal_store *st, seal_sad *s, char **token_out)
{
    int rc = 0;
    uint8_t id[16], key[STORE_KEK_DERIVED_BYTES], mac[32];
    seal_buf sealed = SEAL_BUF_INIT, sealed_hex = SEAL_BUF_INIT;
    char *hashes = NULL, *payload = NULL, *aad = NULL, *p64 = NULL, *m64 = NULL;
    *token_out = NULL;
    SEAL_ENSURE(s->seal_id && s->caller && s->pin && s->n_hashes <= SEAL_SAD_MAX_HASHES &&
                    s->num_signatures > 0,
                SEAL_EINVAL, "a SAD needs a seal, a caller, a PIN and at most %d hashes",
                SEAL_SAD_MAX_HASHES);
    SEAL_ENSURE(!strchr(s->seal_id, '|') && !strchr(s->caller, '|'), SEAL_EINVAL,
                "a SAD's seal and caller cannot have '|'");
    for (size_t i = 0; i < s->n_hashes; i++)
        SEAL_ENSURE(hex_hash(s->hashes[i]), SEAL_EINVAL, "a SAD's hash %zu is not lower-case hex",
                    i + 1);
    SEAL_ENSURE(RAND_bytes(id, sizeof id) == 1, SEAL_ECRYPTO, "no random bytes for a SAD's id");
    for (size_t i = 0; i < sizeof id; i++)
        snprintf(s->id + 2 * i, 3, "%02x", id[i]);
    /* The PIN is bound to this SAD: sealed with the id as associated data. */
    aad = g_strconcat("csc-sad:", s->id, NULL);
    SEAL_TRY(store_kek_derive(st, SAD_PIN_LABEL, key));
    SEAL_TRY(store_sealed_put(&sealed, key, aad, s->pin, SAD_PIN_MAX, "the seal's PIN"));
    SEAL_TRY(seal_hex_encode(&sealed_hex, sealed.data, sealed.len, false));
    hashes = s->n_hashes ? g_strjoinv(",", s->hashes) : g_strdup("");
    payload = g_strdup_printf(SAD_FORMAT "|%s|%s|%s|%lld|%lld|%lld|%s|%s", s->id, s->seal_id,
                              s->caller, (long long)s->grant_id, (long long)s->num_signatures,
                              (long long)s->expires, hashes, (const char *)sealed_hex.data);
    SEAL_TRY(sad_mac(st, payload, strlen(payload), mac));
    p64 = b64url((const uint8_t *)payload, strlen(payload));
    m64 = b64url(mac, sizeof mac);
    *token_out = g_strconcat(p64, ".", m64, NULL);
out:
    OPENSSL_cleanse(key, sizeof key);
    seal_buf_clear(&sealed);
    seal_buf_clear(&sealed_hex);
    g_free(hashes);
    g_free(payload);
    g_free(aad);
    g_free(p64);
    g_free(m64);
    return rc;
}

static bool read_int(const char *text, int64_t min, int64_t *out)
{
    gint64 v = 0;
    if (!g_ascii_string_to_signed(text, 10, min, G_MAXINT64, &v, NULL))
        return false;
    *out = v;
    return true;
}

int seal_store_sad_open(seal_store *st, const char *token, seal_sad *out)
{
    int rc = 0;
    uint8_t mac[32], key[STORE_KEK_DERIVED_BYTES];
    uint8_t *payload = NULL, *given = NULL, *sealed = NULL;
    size_t payload_len = 0, given_len = 0;
    gchar **f = NULL;
    char *aad = NULL;
    int64_t expires = 0;
    bool have_key = false;
    memset(out, 0, sizeof *out);
    const char *dot = token ? strchr(token, '.') : NULL;
    SEAL_ENSURE(dot && strlen(token) <= SAD_TOKEN_MAX, SEAL_EAUTH, "not a SAD of this platform");
    payload = b64url_decode(token, (size_t)(dot - token), &payload_len);
    given = b64url_decode(dot + 1, strlen(dot + 1), &given_len);
    SEAL_ENSURE(payload && given && given_len == sizeof mac &&
                    memchr(payload, '\0', payload_len) == NULL,
                SEAL_EAUTH, "not a SAD of this platform");
    SEAL_TRY(sad_mac(st, (const char *)payload, payload_len, mac));
    SEAL_ENSURE(CRYPTO_memcmp(mac, given, sizeof mac) == 0, SEAL_EAUTH,
                "not a SAD of this platform (altered, or issued under another key)");
    /* From here on the claims are ours: a malformed one is a bug, still refused. */
    char *text = g_strndup((const char *)payload, payload_len);
    f = g_strsplit(text, "|", -1);
    g_free(text);
    SEAL_ENSURE(g_strv_length(f) == SAD_FIELDS && strcmp(f[0], SAD_FORMAT) == 0 &&
                    strlen(f[1]) == 32,
                SEAL_EAUTH, "not a SAD of this platform (another format)");
    memcpy(out->id, f[1], 32);
    out->id[32] = '\0';
    out->seal_id = g_strdup(f[2]);
    out->caller = g_strdup(f[3]);
    SEAL_ENSURE(read_int(f[4], 0, &out->grant_id) && read_int(f[5], 1, &out->num_signatures) &&
                    read_int(f[6], 0, &expires),
                SEAL_EAUTH, "not a SAD of this platform (bad numbers)");
    out->expires = (time_t)expires;
    out->hashes = g_strsplit(f[7], ",", -1);
    out->n_hashes = g_strv_length(out->hashes);
    size_t sealed_len = 0;
    SEAL_ENSURE(out->n_hashes <= SEAL_SAD_MAX_HASHES && strlen(f[8]) % 2 == 0, SEAL_EAUTH,
                "not a SAD of this platform (bad hashes)");
    sealed = g_malloc(strlen(f[8]) / 2 + 1);
    for (size_t i = 0; f[8][2 * i]; i++) {
        int hi = g_ascii_xdigit_value(f[8][2 * i]), lo = g_ascii_xdigit_value(f[8][2 * i + 1]);
        SEAL_ENSURE(hi >= 0 && lo >= 0, SEAL_EAUTH, "not a SAD of this platform (bad PIN)");
        sealed[sealed_len++] = (uint8_t)(hi << 4 | lo);
    }
    aad = g_strconcat("csc-sad:", out->id, NULL);
    SEAL_TRY(store_kek_derive(st, SAD_PIN_LABEL, key));
    have_key = true;
    SEAL_TRY(
        store_sealed_open(&out->pin, key, aad, sealed, sealed_len, SAD_PIN_MAX, "the seal's PIN"));
out:
    if (have_key)
        OPENSSL_cleanse(key, sizeof key);
    if (rc < 0)
        seal_sad_clear(out);
    g_free(payload);
    g_free(given);
    g_free(sealed);
    g_free(aad);
    g_strfreev(f);
    return rc;
}

int seal_store_sad_spend(seal_store *st, const seal_sad *s, const char *const *hashes, size_t n,
                         time_t now)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char lock[64];
    bool in_tx = false;
    int64_t used = 0;
    SEAL_ENSURE(n > 0, SEAL_EINVAL, "no hash to sign");
    snprintf(lock, sizeof lock, "csc-sad:%s", s->id);
    SEAL_TRY(store_begin(st));
    in_tx = true;
    /* The SAD's own lock: two instances spending the same SAD see each other's rows. */
    SEAL_TRY(seal_db_lock(store_db(st), lock));
    /* Rows of expired SADs can go: an expired SAD is refused before it is spent. */
    SEAL_TRY(store_prepare(st, &stmt, "forgetting expired SADs",
                           "DELETE FROM csc_sad_use WHERE expires < ?1"));
    seal_db_bind_int64(stmt, 1, (int64_t)now);
    SEAL_TRY(seal_db_step(stmt));
    seal_db_finalize(stmt);
    stmt = NULL;
    /* A hash signed already (or twice in this request) says so, whatever the count. */
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < i; k++)
            SEAL_ENSURE(strcmp(hashes[k], hashes[i]) != 0, SEAL_EEXISTS, "hash %zu is given twice",
                        i + 1);
        SEAL_TRY(store_prepare(st, &stmt, "checking a SAD's hash",
                               "SELECT 1 FROM csc_sad_use WHERE sad_id = ?1 AND hash = ?2"));
        seal_db_bind_text(stmt, 1, s->id);
        seal_db_bind_text(stmt, 2, hashes[i]);
        int found = seal_db_step(stmt);
        seal_db_finalize(stmt);
        stmt = NULL;
        if (found < 0)
            SEAL_TRY(found);
        SEAL_ENSURE(found != SEAL_DB_ROW, SEAL_EEXISTS, "hash %zu was signed with this SAD already",
                    i + 1);
    }
    SEAL_TRY(store_prepare(st, &stmt, "counting a SAD's signatures",
                           "SELECT count(*) FROM csc_sad_use WHERE sad_id = ?1"));
    seal_db_bind_text(stmt, 1, s->id);
    if (seal_db_step(stmt) == SEAL_DB_ROW)
        used = store_column_int64(stmt, 0);
    seal_db_finalize(stmt);
    stmt = NULL;
    SEAL_ENSURE(used + (int64_t)n <= s->num_signatures, SEAL_EPOLICY,
                "the SAD authorises %lld signatures, %lld are made, %zu more asked",
                (long long)s->num_signatures, (long long)used, n);
    for (size_t i = 0; i < n; i++) {
        SEAL_TRY(store_prepare(st, &stmt, "recording a SAD's signature",
                               "INSERT INTO csc_sad_use (sad_id, hash, used, expires) "
                               "VALUES (?1, ?2, ?3, ?4)"));
        seal_db_bind_text(stmt, 1, s->id);
        seal_db_bind_text(stmt, 2, hashes[i]);
        seal_db_bind_int64(stmt, 3, (int64_t)now);
        seal_db_bind_int64(stmt, 4, (int64_t)s->expires);
        SEAL_TRY(seal_db_step(stmt));
        seal_db_finalize(stmt);
        stmt = NULL;
    }
    rc = store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    return rc;
}
