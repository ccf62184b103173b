/* The PKCS#11 signer: a seal whose private key lives on a token (an HSM, a USB key,
 * SoftHSM2 in the tests) and never leaves it. The store keeps only the key's RFC 7512
 * URI; unlocking the seal logs in to the token with the seal PIN (which is the token's
 * user PIN) and the stamp flow hands this signer the digest, which the token signs:
 * CKM_RSA_PKCS over the DigestInfo of SHA-256, or CKM_ECDSA over the digest, returned as
 * DER. `sealsvc seal make --pkcs11-uri` finds the key, or generates it on the token
 * (seal_pkcs11_key_ensure). Tokens are reached through libp11; key pairs are generated
 * with C_GenerateKeyPair on the module libp11 loaded, since libp11 0.4.12 generates no
 * EC keys. SoftHSM2 and libp11 have no SM2, so SM2 seals are refused here. */
#include "crypto_int.h"

#include <seal/error.h>

#include <dlfcn.h>
#include <glib.h>
#include <libp11.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <p11-kit/pkcs11.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KEY_ID_BYTES 16
/* RFC 7512 2.3: the id attribute is bytes; no token we know takes ids this long. */
#define KEY_ID_MAX 256

static const char sm2_refusal[] =
    "SM2 keys cannot live on a PKCS#11 token here (SoftHSM2 and libp11 have no SM2)";

/* ---------------------------------------------------------------- the URI (RFC 7512) */

typedef struct p11_uri {
    char *token;  /* CKA_LABEL of the token (CK_TOKEN_INFO.label) */
    char *object; /* CKA_LABEL of the key */
    char *serial; /* CK_TOKEN_INFO.serialNumber */
    seal_buf id;  /* CKA_ID of the key */
    char *module_path;
} p11_uri;

static void uri_clear(p11_uri *u)
{
    g_free(u->token);
    g_free(u->object);
    g_free(u->serial);
    g_free(u->module_path);
    seal_buf_clear(&u->id);
    memset(u, 0, sizeof *u);
}

/* RFC 7512 2.3: values are percent-encoded UTF-8 (text attributes) or bytes (id). */
static int uri_value(p11_uri *u, const char *name, const char *value)
{
    bool text = strcmp(name, "id") != 0;
    char **slot = strcmp(name, "token") == 0         ? &u->token
                  : strcmp(name, "object") == 0      ? &u->object
                  : strcmp(name, "serial") == 0      ? &u->serial
                  : strcmp(name, "module-path") == 0 ? &u->module_path
                                                     : NULL;
    if (text && !slot)
        return 0;
    if (text ? *slot != NULL : u->id.len > 0)
        return seal_error_set(SEAL_EINVAL, "the PKCS#11 URI gives %s twice", name);
    GBytes *bytes = g_uri_unescape_bytes(value, -1, NULL, NULL);
    if (!bytes)
        return seal_error_set(
            SEAL_EINVAL, "the PKCS#11 URI's %s has a bad percent-encoding (RFC 7512 2.3)", name);
    gsize len = 0;
    const char *data = g_bytes_get_data(bytes, &len);
    int rc = 0;
    if (len == 0) {
        rc = seal_error_set(SEAL_EINVAL, "the PKCS#11 URI's %s is empty", name);
    } else if (!text) {
        rc = len > KEY_ID_MAX ? seal_error_set(SEAL_EINVAL, "the PKCS#11 URI's id is too long")
                              : seal_buf_set(&u->id, data, len);
    } else if (memchr(data, '\0', len) || !g_utf8_validate(data, (gssize)len, NULL)) {
        rc = seal_error_set(SEAL_EINVAL, "the PKCS#11 URI's %s is not UTF-8 text", name);
    } else {
        *slot = g_strndup(data, len);
    }
    g_bytes_unref(bytes);
    return rc;
}

/* One "name=value" of the path (';'-separated) or the query ('&'-separated). The
 * attributes this signer does not use are refused rather than ignored, so that a URI
 * never names a key more narrowly than we look it up. */
static int uri_attribute(p11_uri *u, const char *attr, bool query)
{
    static const char *const path_names[] = {"token", "object", "id", "serial", "type"};
    const char *eq = strchr(attr, '=');
    if (!eq)
        return seal_error_set(SEAL_EINVAL, "the PKCS#11 URI has an attribute without '=' (RFC "
                                           "7512 2.3 wants name=value)");
    char *name = g_strndup(attr, (gsize)(eq - attr));
    const char *value = eq + 1;
    int rc = 0;
    if (strcmp(name, "pin-value") == 0 || strcmp(name, "pin-source") == 0) {
        /* The URI rests in the store: a PIN in it would rest there in clear. */
        rc = seal_error_set(SEAL_EINVAL,
                            "the PKCS#11 URI carries a PIN (%s); a seal's URI is stored, so it "
                            "must not: give the token PIN as the seal PIN instead",
                            name);
    } else if (query) {
        rc = strcmp(name, "module-path") == 0
                 ? uri_value(u, name, value)
                 : seal_error_set(SEAL_EINVAL,
                                  "the PKCS#11 URI's query attribute '%s' is not supported here "
                                  "(module-path is)",
                                  name);
    } else {
        bool known = false;
        for (size_t i = 0; i < G_N_ELEMENTS(path_names); i++)
            known = known || strcmp(name, path_names[i]) == 0;
        if (!known)
            rc = seal_error_set(SEAL_EINVAL,
                                "the PKCS#11 URI's attribute '%s' is not supported here (token, "
                                "object, id, serial and type=private are)",
                                name);
        else if (strcmp(name, "type") == 0 && strcmp(value, "private") != 0)
            rc = seal_error_set(SEAL_EINVAL,
                                "the PKCS#11 URI names a %s object; a seal needs its private key "
                                "(type=private)",
                                value);
        else if (strcmp(name, "type") != 0)
            rc = uri_value(u, name, value);
    }
    g_free(name);
    return rc;
}

static int uri_parse(p11_uri *u, const char *uri)
{
    int rc = 0;
    char **path = NULL, **query = NULL;
    memset(u, 0, sizeof *u);
    SEAL_ENSURE(uri && g_ascii_strncasecmp(uri, "pkcs11:", 7) == 0, SEAL_EINVAL,
                "a PKCS#11 URI starts with 'pkcs11:' (RFC 7512), e.g. "
                "'pkcs11:token=Seals;object=seal-1'");
    const char *rest = uri + 7;
    const char *question = strchr(rest, '?');
    char *path_text = g_strndup(rest, question ? (gsize)(question - rest) : strlen(rest));
    path = g_strsplit(path_text, ";", -1);
    g_free(path_text);
    if (question)
        query = g_strsplit(question + 1, "&", -1);
    for (char **a = path; *a; a++)
        if (**a)
            SEAL_TRY(uri_attribute(u, *a, false));
    for (char **a = query; a && *a; a++)
        if (**a)
            SEAL_TRY(uri_attribute(u, *a, true));
    SEAL_ENSURE(u->token, SEAL_EINVAL, "the PKCS#11 URI names no token (token=LABEL)");
    SEAL_ENSURE(u->object || u->id.len > 0, SEAL_EINVAL,
                "the PKCS#11 URI names no key on token %s (object=LABEL or id=%%XX...)", u->token);
out:
    g_strfreev(path);
    g_strfreev(query);
    if (rc < 0)
        uri_clear(u);
    return rc;
}

int seal_pkcs11_uri_check(const char *uri)
{
    p11_uri u;
    int rc = uri_parse(&u, uri);
    if (rc == 0)
        uri_clear(&u);
    return rc;
}

/* The module: the URI's module-path, else $SEAL_PKCS11_MODULE, else Debian's SoftHSM2. */
static const char *module_path_of(const p11_uri *u)
{
    if (u->module_path)
        return u->module_path;
    const char *env = getenv("SEAL_PKCS11_MODULE");
    return env && *env ? env : SEAL_PKCS11_DEFAULT_MODULE;
}

/* ---------------------------------------------------------------- modules */

/* One libp11 context per module in the process, shared by every signer on it: a module
 * is initialised once (C_Initialize) and C_Finalize by one user would end every other
 * user's sessions. The last signer to go unloads it. The token checked the first PIN
 * that logged in; login state is the whole application's (PKCS#11 v2.40 5.6), so a later
 * C_Login answers CKR_USER_ALREADY_LOGGED_IN whatever the PIN: later PINs are compared
 * with the first, kept only as an HMAC under a random key. */
typedef struct p11_module {
    char *path;
    PKCS11_CTX *ctx;
    PKCS11_SLOT *slots;
    unsigned int nslots;
    int refs;
    pthread_mutex_t lock; /* one token operation at a time */
    GHashTable *pins;     /* token label -> HMAC of the PIN that logged in (32 bytes) */
    uint8_t pin_key[32];
} p11_module;

/* POSIX mutexes, not GLib's: GLib's are futexes inside an uninstrumented library, which
 * ThreadSanitizer cannot see, so it would report every use of what they guard. */
static pthread_mutex_t modules_lock = PTHREAD_MUTEX_INITIALIZER;
static GHashTable *modules; /* path -> p11_module */

static void module_unload(p11_module *m)
{
    if (m->slots)
        PKCS11_release_all_slots(m->ctx, m->slots, m->nslots);
    if (m->ctx) {
        PKCS11_CTX_unload(m->ctx);
        PKCS11_CTX_free(m->ctx);
    }
    if (m->pins)
        g_hash_table_destroy(m->pins);
    OPENSSL_cleanse(m->pin_key, sizeof m->pin_key);
    pthread_mutex_destroy(&m->lock);
    g_free(m->path);
    g_free(m);
}

static void pin_mac_free(void *mac)
{
    OPENSSL_cleanse(mac, 32);
    g_free(mac);
}

static int module_get(p11_module **out, const char *path)
{
    int rc = 0;
    p11_module *m = NULL;
    pthread_mutex_lock(&modules_lock);
    if (!modules)
        modules = g_hash_table_new(g_str_hash, g_str_equal);
    m = g_hash_table_lookup(modules, path);
    if (m) {
        m->refs++;
        *out = m;
        m = NULL;
        goto out;
    }
    m = g_new0(p11_module, 1);
    pthread_mutex_init(&m->lock, NULL);
    m->path = g_strdup(path);
    m->pins = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, pin_mac_free);
    SEAL_ENSURE(RAND_bytes(m->pin_key, sizeof m->pin_key) == 1, SEAL_ECRYPTO,
                "no random bytes for the PKCS#11 PIN check");
    m->ctx = PKCS11_CTX_new();
    SEAL_ENSURE(m->ctx, SEAL_ENOMEM, "out of memory");
    if (PKCS11_CTX_load(m->ctx, path) != 0) {
        ERR_clear_error();
        PKCS11_CTX_free(m->ctx);
        m->ctx = NULL;
        SEAL_FAIL(SEAL_ENOTFOUND,
                  "the PKCS#11 module %s cannot be loaded; give the token's module with "
                  "module-path in the URI or SEAL_PKCS11_MODULE",
                  path);
    }
    if (PKCS11_enumerate_slots(m->ctx, &m->slots, &m->nslots) != 0) {
        ERR_clear_error();
        SEAL_FAIL(SEAL_ECRYPTO, "the PKCS#11 module %s lists no slots", path);
    }
    m->refs = 1;
    g_hash_table_insert(modules, m->path, m);
    *out = m;
    m = NULL;
out:
    if (m)
        module_unload(m);
    pthread_mutex_unlock(&modules_lock);
    return rc;
}

/* The last user unloads the module under modules_lock: a module_get on another thread
 * must not C_Initialize the same library while this one is still in C_Finalize, which
 * would end the new user's sessions (PKCS#11 v2.40 5.4: C_Finalize is the whole
 * application's). */
static void module_put(p11_module *m)
{
    if (!m)
        return;
    pthread_mutex_lock(&modules_lock);
    if (--m->refs == 0) {
        g_hash_table_remove(modules, m->path);
        module_unload(m);
    }
    pthread_mutex_unlock(&modules_lock);
}

/* The PKCS#11 return value behind libp11's last error (libp11 queues CK_RV as the reason
 * of its own error library), 0 when there is none; the queue is emptied. */
static unsigned long last_ckr(void)
{
    unsigned long e, ckr = 0;
    while ((e = ERR_get_error()) != 0)
        if (ERR_GET_LIB(e) == ERR_get_CKR_code())
            ckr = (unsigned long)ERR_GET_REASON(e);
    return ckr;
}

/* PKCS11_TOKEN.label is the 32-byte CK_TOKEN_INFO.label with its padding removed. */
static PKCS11_SLOT *find_token(p11_module *m, const p11_uri *u, int *matches)
{
    PKCS11_SLOT *found = NULL;
    *matches = 0;
    for (unsigned int i = 0; i < m->nslots; i++) {
        PKCS11_TOKEN *t = m->slots[i].token;
        if (!t || !t->initialized || strcmp(t->label, u->token) != 0)
            continue;
        if (u->serial && strcmp(t->serialnr, u->serial) != 0)
            continue;
        if (!found)
            found = &m->slots[i];
        (*matches)++;
    }
    return found;
}

static int pin_mac(p11_module *m, const char *pin, uint8_t out[32])
{
    unsigned len = 0;
    if (!HMAC(EVP_sha256(), m->pin_key, sizeof m->pin_key, (const uint8_t *)pin, strlen(pin), out,
              &len) ||
        len != 32)
        return seal_error_set(SEAL_ECRYPTO, "cannot check the token PIN");
    return 0;
}

/* Logs in as the user. A wrong PIN is SEAL_EAUTH (the caller counts it against the seal);
 * a locked PIN SEAL_EPOLICY. Called with m->lock held. */
static int login(p11_module *m, PKCS11_SLOT *slot, const char *label, const char *pin)
{
    int rc = 0;
    uint8_t mac[32];
    SEAL_ENSURE(pin && *pin, SEAL_EAUTH, "no PIN was given for token %s", label);
    SEAL_TRY(pin_mac(m, pin, mac));
    const uint8_t *known = g_hash_table_lookup(m->pins, label);
    if (known) {
        SEAL_ENSURE(CRYPTO_memcmp(known, mac, sizeof mac) == 0, SEAL_EAUTH,
                    "wrong PIN for token %s", label);
        goto out;
    }
    SEAL_ENSURE(!slot->token->userPinLocked, SEAL_EPOLICY,
                "the PIN of token %s is locked; the token's security officer must unlock it",
                label);
    if (PKCS11_login(slot, 0, pin) != 0) {
        unsigned long ckr = last_ckr();
        SEAL_ENSURE(ckr != CKR_PIN_LOCKED, SEAL_EPOLICY,
                    "the PIN of token %s is locked; the token's security officer must unlock "
                    "it",
                    label);
        SEAL_ENSURE(ckr != CKR_PIN_INCORRECT && ckr != CKR_PIN_LEN_RANGE, SEAL_EAUTH,
                    "wrong PIN for token %s", label);
        SEAL_FAIL(SEAL_ECRYPTO, "cannot log in to token %s (PKCS#11 error 0x%lx)", label, ckr);
    }
    g_hash_table_insert(m->pins, g_strdup(label), g_memdup2(mac, sizeof mac));
out:
    OPENSSL_cleanse(mac, sizeof mac);
    return rc;
}

/* Opens the token the URI names and logs in. Called with m->lock held. */
static int open_token(p11_module *m, const p11_uri *u, const char *pin, PKCS11_SLOT **slot_out)
{
    int matches = 0;
    PKCS11_SLOT *slot = find_token(m, u, &matches);
    if (!slot)
        return seal_error_set(SEAL_ENOTFOUND, "there is no token labelled %s%s%s in %s", u->token,
                              u->serial ? " with serial " : "", u->serial ? u->serial : "",
                              m->path);
    if (matches > 1)
        return seal_error_set(SEAL_EINVAL,
                              "%d tokens are labelled %s in %s; add serial= to the URI", matches,
                              u->token, m->path);
    int rc = login(m, slot, u->token, pin);
    if (rc == 0)
        *slot_out = slot;
    return rc;
}

/* The private key the URI names: by label and/or id. None is SEAL_ENOTFOUND. */
static int find_key(PKCS11_SLOT *slot, const p11_uri *u, PKCS11_KEY **key_out)
{
    PKCS11_KEY *keys = NULL, *found = NULL;
    unsigned int n = 0, matches = 0;
    *key_out = NULL;
    if (PKCS11_enumerate_keys(slot->token, &keys, &n) != 0) {
        ERR_clear_error();
        return seal_error_set(SEAL_ECRYPTO, "cannot list the keys on token %s", u->token);
    }
    for (unsigned int i = 0; i < n; i++) {
        PKCS11_KEY *k = &keys[i];
        if (!k->isPrivate)
            continue;
        if (u->object && (!k->label || strcmp(k->label, u->object) != 0))
            continue;
        if (u->id.len > 0 && (k->id_len != u->id.len || memcmp(k->id, u->id.data, k->id_len) != 0))
            continue;
        found = found ? found : k;
        matches++;
    }
    if (matches > 1)
        return seal_error_set(
            SEAL_EINVAL, "%u private keys on token %s match the URI; name one with id=", matches,
            u->token);
    if (!found)
        return seal_error_set(SEAL_ENOTFOUND, "token %s holds no private key %s%s", u->token,
                              u->object ? "labelled " : "with the URI's id",
                              u->object ? u->object : "");
    *key_out = found;
    return 0;
}

/* The key's public half as a plain OpenSSL key (SubjectPublicKeyInfo round trip: libp11's
 * keys carry their token methods, which certificates and comparisons do not need). */
static int public_key(EVP_PKEY **out, PKCS11_KEY *key, const char *token)
{
    int rc = 0;
    EVP_PKEY *p11_pub = PKCS11_get_public_key(key);
    uint8_t *der = NULL;
    int len = p11_pub ? i2d_PUBKEY(p11_pub, &der) : -1;
    const uint8_t *p = der;
    if (len <= 0 || !(*out = d2i_PUBKEY(NULL, &p, len))) {
        ERR_clear_error();
        rc = seal_error_set(SEAL_ECRYPTO, "cannot read the public key of %s on token %s",
                            key->label ? key->label : "the key", token);
    }
    OPENSSL_free(der);
    EVP_PKEY_free(p11_pub);
    return rc;
}

/* The key is usable for a seal: RSA >= 2048 or ECDSA P-256; SM2 named as such. */
static int check_key_alg(EVP_PKEY *pub)
{
    if (seal_key_alg_of(pub) == SEAL_ALG_SM2)
        return seal_error_set(SEAL_EUNSUPPORTED, "%s", sm2_refusal);
    return seal_key_check_seal_alg(pub);
}

/* ---------------------------------------------------------------- key generation */

/* C_GenerateKeyPair on the module libp11 has loaded and initialised (the same library
 * handle, found with RTLD_NOLOAD), in a session of our own; the login is the
 * application's, so the new private key is made by the logged-in user. The private key
 * is CKA_SENSITIVE and not CKA_EXTRACTABLE: it never leaves the token (PKCS#11 v2.40
 * 4.9); it may sign and nothing else. Called with m->lock held. */
static int generate_key_pair(p11_module *m, PKCS11_SLOT *slot, const p11_uri *u, seal_key_alg alg,
                             int bits)
{
    int rc = 0;
    CK_FUNCTION_LIST_PTR f = NULL;
    CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ULONG modulus_bits = (CK_ULONG)bits;
    CK_BYTE exponent[] = {0x01, 0x00, 0x01};
    /* RFC 5480 2.1.1.1: namedCurve secp256r1, the DER of its OID, as CKA_EC_PARAMS. */
    CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    uint8_t id[KEY_ID_BYTES];
    const uint8_t *id_bytes = u->id.data;
    size_t id_len = u->id.len;
    CK_OBJECT_HANDLE pub_handle, priv_handle;
    void *lib = dlopen(m->path, RTLD_NOW | RTLD_NOLOAD);
    SEAL_ENSURE(lib, SEAL_ECRYPTO, "the PKCS#11 module %s is not loaded", m->path);
    CK_C_GetFunctionList get_list = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList");
    SEAL_ENSURE(get_list && get_list(&f) == CKR_OK && f, SEAL_ECRYPTO,
                "the PKCS#11 module %s has no function list", m->path);
    /* The public and the private key share a CKA_ID, which is how libp11 pairs them. */
    if (id_len == 0) {
        SEAL_ENSURE(RAND_bytes(id, sizeof id) == 1, SEAL_ECRYPTO, "no random bytes for a key id");
        id_bytes = id;
        id_len = sizeof id;
    }
    const char *label = u->object ? u->object : "seal";
    CK_ATTRIBUTE pub[] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &no, sizeof no},
        {CKA_VERIFY, &yes, sizeof yes},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_ID, (void *)id_bytes, id_len},
        {alg == SEAL_ALG_RSA ? CKA_MODULUS_BITS : CKA_EC_PARAMS,
         alg == SEAL_ALG_RSA ? (void *)&modulus_bits : (void *)p256,
         alg == SEAL_ALG_RSA ? sizeof modulus_bits : sizeof p256},
        {CKA_PUBLIC_EXPONENT, exponent, sizeof exponent},
    };
    CK_ATTRIBUTE priv[] = {
        {CKA_TOKEN, &yes, sizeof yes},
        {CKA_PRIVATE, &yes, sizeof yes},
        {CKA_SENSITIVE, &yes, sizeof yes},
        {CKA_EXTRACTABLE, &no, sizeof no},
        {CKA_SIGN, &yes, sizeof yes},
        {CKA_DECRYPT, &no, sizeof no}, /* a seal key signs and does nothing else */
        {CKA_UNWRAP, &no, sizeof no},
        {CKA_DERIVE, &no, sizeof no},
        {CKA_LABEL, (void *)label, strlen(label)},
        {CKA_ID, (void *)id_bytes, id_len},
    };
    CK_MECHANISM mechanism = {alg == SEAL_ALG_RSA ? CKM_RSA_PKCS_KEY_PAIR_GEN : CKM_EC_KEY_PAIR_GEN,
                              NULL, 0};
    CK_RV rv = f->C_OpenSession(PKCS11_get_slotid_from_slot(slot),
                                CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &session);
    SEAL_ENSURE(rv == CKR_OK, SEAL_ECRYPTO,
                "cannot open a read-write session on token %s (PKCS#11 error 0x%lx)", u->token,
                (unsigned long)rv);
    rv = f->C_GenerateKeyPair(session, &mechanism, pub,
                              alg == SEAL_ALG_RSA ? G_N_ELEMENTS(pub) : G_N_ELEMENTS(pub) - 1, priv,
                              G_N_ELEMENTS(priv), &pub_handle, &priv_handle);
    SEAL_ENSURE(rv == CKR_OK, SEAL_ECRYPTO,
                "token %s could not generate a %s key pair (PKCS#11 error 0x%lx)", u->token,
                alg == SEAL_ALG_RSA ? "RSA" : "ECDSA P-256", (unsigned long)rv);
out:
    if (session != CK_INVALID_HANDLE)
        f->C_CloseSession(session);
    if (lib)
        dlclose(lib);
    return rc;
}

int seal_pkcs11_key_ensure(EVP_PKEY **pub_out, bool *generated_out, const char *uri,
                           const char *pin, seal_key_alg alg, int bits)
{
    int rc = 0;
    p11_uri u = {0};
    p11_module *m = NULL;
    PKCS11_SLOT *slot = NULL;
    PKCS11_KEY *key = NULL;
    bool locked = false;
    *pub_out = NULL;
    *generated_out = false;
    SEAL_ENSURE(alg != SEAL_ALG_SM2, SEAL_EUNSUPPORTED, "%s", sm2_refusal);
    SEAL_ENSURE(alg == SEAL_ALG_RSA || alg == SEAL_ALG_ECDSA, SEAL_EINVAL,
                "a key on a PKCS#11 token is RSA or ECDSA P-256");
    SEAL_ENSURE(alg != SEAL_ALG_RSA || bits == 2048 || bits == 3072, SEAL_EINVAL,
                "an RSA key on a token has 2048 or 3072 bits, not %d", bits);
    SEAL_TRY(uri_parse(&u, uri));
    SEAL_TRY(module_get(&m, module_path_of(&u)));
    pthread_mutex_lock(&m->lock);
    locked = true;
    SEAL_TRY(open_token(m, &u, pin, &slot));
    rc = find_key(slot, &u, &key);
    if (rc == SEAL_ENOTFOUND) {
        seal_error_clear();
        SEAL_TRY(generate_key_pair(m, slot, &u, alg, bits));
        *generated_out = true;
        rc = find_key(slot, &u, &key);
        if (rc < 0) {
            seal_error_wrap(rc, "the key pair generated on token %s cannot be found again",
                            u.token);
            goto out;
        }
    }
    SEAL_TRY(rc);
    SEAL_TRY(public_key(pub_out, key, u.token));
    rc = check_key_alg(*pub_out);
    if (rc < 0) {
        seal_error_wrap(rc, "key %s on token %s", u.object ? u.object : "(by id)", u.token);
        EVP_PKEY_free(*pub_out);
        *pub_out = NULL;
        goto out;
    }
out:
    if (locked)
        pthread_mutex_unlock(&m->lock);
    module_put(m);
    uri_clear(&u);
    return rc;
}

/* ---------------------------------------------------------------- the signer */

typedef struct p11_signer {
    p11_module *module;
    EVP_PKEY *key; /* libp11's: its operations run on the token */
    size_t max_len;
    char *token;
} p11_signer;

static void p11_signer_free(void *impl)
{
    p11_signer *s = impl;
    if (!s)
        return;
    if (s->key) {
        /* libp11's key belongs to the token's object list, which other signers on the
         * module read and change under the module's lock. */
        pthread_mutex_lock(&s->module->lock);
        EVP_PKEY_free(s->key);
        pthread_mutex_unlock(&s->module->lock);
    }
    module_put(s->module);
    g_free(s->token);
    g_free(s);
}

/* EVP_PKEY_sign with libp11's key: RSA goes through its RSA_METHOD, OpenSSL building the
 * DigestInfo of SHA-256 (RFC 8017 9.2) and the token doing CKM_RSA_PKCS; ECDSA through
 * its EC_KEY_METHOD, the token doing CKM_ECDSA over the digest (r || s) and OpenSSL
 * encoding it as the DER Ecdsa-Sig-Value of RFC 3279 2.2.3. */
static int p11_sign_digest(void *impl, seal_key_alg alg, const uint8_t *digest, size_t len,
                           seal_buf *sig)
{
    int rc = 0;
    p11_signer *s = impl;
    pthread_mutex_lock(&s->module->lock);
    if (crypto_pkey_sign_digest(s->key, alg, digest, len, sig) < 0) {
        unsigned long ckr = last_ckr();
        rc = seal_error_set(SEAL_ECRYPTO,
                            "token %s could not make the %s signature (PKCS#11 error 0x%lx)",
                            s->token, seal_key_alg_name(alg), ckr);
    }
    pthread_mutex_unlock(&s->module->lock);
    return rc;
}

static size_t p11_max_signature_len(void *impl)
{
    return ((p11_signer *)impl)->max_len;
}

static const seal_signer_ops pkcs11_ops = {
    .kind = "pkcs11",
    .sign_digest = p11_sign_digest,
    .max_signature_len = p11_max_signature_len,
    .free = p11_signer_free,
};

static int same_public_key(EVP_PKEY *a, EVP_PKEY *b)
{
    uint8_t *da = NULL, *db = NULL;
    int la = i2d_PUBKEY(a, &da), lb = i2d_PUBKEY(b, &db);
    bool same = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;
    OPENSSL_free(da);
    OPENSSL_free(db);
    return same;
}

int seal_signer_new_pkcs11(seal_signer **out, const char *uri, const char *pin, X509 *cert,
                           STACK_OF(X509) * chain)
{
    int rc = 0;
    p11_uri u = {0};
    p11_signer *s = NULL;
    PKCS11_SLOT *slot = NULL;
    PKCS11_KEY *key = NULL;
    EVP_PKEY *pub = NULL;
    bool locked = false;
    *out = NULL;
    SEAL_ENSURE(cert && X509_get0_pubkey(cert), SEAL_EINVAL,
                "a PKCS#11 signer needs the key's certificate");
    SEAL_ENSURE(seal_key_alg_of(X509_get0_pubkey(cert)) != SEAL_ALG_SM2, SEAL_EUNSUPPORTED, "%s",
                sm2_refusal);
    SEAL_TRY(uri_parse(&u, uri));
    s = g_new0(p11_signer, 1);
    s->token = g_strdup(u.token);
    SEAL_TRY(module_get(&s->module, module_path_of(&u)));
    pthread_mutex_lock(&s->module->lock);
    locked = true;
    SEAL_TRY(open_token(s->module, &u, pin, &slot));
    SEAL_TRY(find_key(slot, &u, &key));
    SEAL_TRY(public_key(&pub, key, u.token));
    SEAL_ENSURE(same_public_key(pub, X509_get0_pubkey(cert)), SEAL_ECRYPTO,
                "the key %s on token %s does not belong to the seal's certificate",
                u.object ? u.object : "(by id)", u.token);
    s->key = PKCS11_get_private_key(key);
    if (!s->key) {
        ERR_clear_error();
        SEAL_FAIL(SEAL_ECRYPTO, "cannot use the private key on token %s", u.token);
    }
    int size = EVP_PKEY_get_size(pub);
    s->max_len = size > 0 ? (size_t)size : 0;
    pthread_mutex_unlock(&s->module->lock);
    locked = false;
    rc = seal_signer_new(out, &pkcs11_ops, s, cert, chain);
    s = NULL; /* owned (or freed) by the signer now */
out:
    if (locked)
        pthread_mutex_unlock(&s->module->lock);
    p11_signer_free(s);
    EVP_PKEY_free(pub);
    uri_clear(&u);
    return rc;
}
