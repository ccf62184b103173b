/* Desk passwords as Argon2id hashes (RFC 9106, libargon2): the one place a person's
 * password is turned into what the store keeps (desk.c) and checked against it. The
 * encoded form ("$argon2id$v=19$m=65536,t=3,p=1$SALT$HASH") carries its parameters and
 * salt, so a later change of parameters still verifies older hashes.
 *
 * Parameters: t=3 passes over m=64 MiB with p=1 lane, RFC 9106 4's second recommended
 * option for memory-constrained uses; it costs about a quarter of a second on one core of
 * a small server, which a person logging in does not notice and which makes guessing from
 * a stolen database slow. One lane because a login holds one of the service's request
 * threads, not the machine. */
#include "store/store_internal.h"

#include <seal/error.h>

#include <argon2.h>
#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <string.h>

#define PASSWORD_TIME_COST   3
#define PASSWORD_MEMORY_KIB  (64u * 1024u)
#define PASSWORD_LANES       1
#define PASSWORD_SALT_BYTES  16
#define PASSWORD_HASH_BYTES  32
#define PASSWORD_MIN_CHARS   8
#define PASSWORD_MAX_BYTES   1024
#define PASSWORD_ENCODED_MAX 256

int seal_password_check(const char *password)
{
    if (!password || !g_utf8_validate(password, -1, NULL))
        return seal_error_set(SEAL_EINVAL, "a desk password is UTF-8 text");
    if (g_utf8_strlen(password, -1) < PASSWORD_MIN_CHARS)
        return seal_error_set(SEAL_EINVAL, "a desk password has at least %d characters",
                              PASSWORD_MIN_CHARS);
    if (strlen(password) > PASSWORD_MAX_BYTES)
        return seal_error_set(SEAL_EINVAL, "a desk password has at most %d bytes",
                              PASSWORD_MAX_BYTES);
    return 0;
}

int seal_password_hash(char **out, const char *password)
{
    int rc = 0;
    uint8_t salt[PASSWORD_SALT_BYTES];
    char encoded[PASSWORD_ENCODED_MAX];
    *out = NULL;
    SEAL_ENSURE(password && strlen(password) <= PASSWORD_MAX_BYTES, SEAL_EINVAL,
                "a desk password has at most %d bytes", PASSWORD_MAX_BYTES);
    SEAL_ENSURE(RAND_bytes(salt, sizeof salt) == 1, SEAL_ECRYPTO, "no randomness for a salt");
    int a = argon2id_hash_encoded(PASSWORD_TIME_COST, PASSWORD_MEMORY_KIB, PASSWORD_LANES, password,
                                  strlen(password), salt, sizeof salt, PASSWORD_HASH_BYTES, encoded,
                                  sizeof encoded);
    SEAL_ENSURE(a == ARGON2_OK, a == ARGON2_MEMORY_ALLOCATION_ERROR ? SEAL_ENOMEM : SEAL_ECRYPTO,
                "cannot hash the password: %s", argon2_error_message(a));
    *out = g_strdup(encoded);
out:
    OPENSSL_cleanse(salt, sizeof salt);
    return rc;
}

int seal_password_verify(const char *encoded, const char *password)
{
    if (!encoded || !g_str_has_prefix(encoded, "$argon2id$") ||
        strlen(encoded) >= PASSWORD_ENCODED_MAX)
        return seal_error_set(SEAL_EFORMAT, "the stored password is not an Argon2id hash");
    /* $argon2id$v=19$m=..,t=..,p=..$SALT$TAG: the tag sealsvc writes is 32 bytes, 43
     * characters of unpadded base64. libargon2 accepts a shorter one when the cut leaves
     * whole bytes and then reports a mismatch, which would count a damaged store as a
     * person's wrong password. */
    const char *tag = strrchr(encoded, '$');
    if (!tag || strlen(tag + 1) != 43)
        return seal_error_set(SEAL_EFORMAT,
                              "the stored password hash is damaged: its tag is not the 32 "
                              "bytes sealsvc writes");
    if (!password || strlen(password) > PASSWORD_MAX_BYTES)
        return seal_error_set(SEAL_EAUTH, "wrong password");
    int a = argon2id_verify(encoded, password, strlen(password));
    if (a == ARGON2_OK)
        return 0;
    if (a == ARGON2_VERIFY_MISMATCH)
        return seal_error_set(SEAL_EAUTH, "wrong password");
    if (a == ARGON2_MEMORY_ALLOCATION_ERROR)
        return seal_error_set(SEAL_ENOMEM, "out of memory checking a password");
    return seal_error_set(SEAL_EFORMAT, "the stored password hash is damaged: %s",
                          argon2_error_message(a));
}
