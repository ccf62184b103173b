/* Unlocking a seal for the stamp flow: the seal must be active (seal_state.c's lifecycle),
 * not locked, and within its validity
 * window, and the PIN must decrypt its key (with the platform's key-encryption key,
 * seal_key.c) or, for a key on a PKCS#11 token, log in to the token (a PKCS#11 signer).
 * Wrong PINs, ours or the token's, are counted in the database and lock the seal at
 * SEAL_STORE_MAX_PIN_FAILURES; a right PIN resets the count. The PIN is never part of a
 * message. */
#include "store/store_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <stdio.h>
#include <string.h>

static void format_utc(char out[32], time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        strcpy(out, "(unknown date)");
}

/* State and validity, checked before the PIN is tried so that a locked or expired seal
 * does not spend a try. */
static int check_usable(const seal_record *r, time_t now)
{
    char start[32], end[32];
    const char *state = r->state ? r->state : "?";
    if (strcmp(state, "frozen") == 0)
        return seal_error_set(SEAL_EPOLICY,
                              "seal %s is frozen and cannot be used until it is unfrozen", r->id);
    if (strcmp(state, "made") == 0 || strcmp(state, "filed") == 0)
        return seal_error_set(SEAL_EPOLICY, "seal %s is %s and cannot be used until it is %s",
                              r->id, state,
                              strcmp(state, "made") == 0 ? "filed and activated" : "activated");
    if (strcmp(state, "active") != 0)
        return seal_error_set(SEAL_EPOLICY, "seal %s is %s and can no longer be used", r->id,
                              state);
    if (r->locked && r->pin_failures >= SEAL_STORE_MAX_PIN_FAILURES)
        return seal_error_set(SEAL_EPOLICY,
                              "seal %s is locked after %d wrong PINs; an administrator must "
                              "unlock it",
                              r->id, SEAL_STORE_MAX_PIN_FAILURES);
    if (r->locked)
        return seal_error_set(SEAL_EPOLICY,
                              "seal %s is locked by an administrator; it cannot be used until "
                              "unlocked",
                              r->id);
    format_utc(start, r->valid_start);
    format_utc(end, r->valid_end);
    if (now < r->valid_start)
        return seal_error_set(SEAL_EPOLICY, "seal %s is not valid before %s (valid %s to %s)",
                              r->id, start, start, end);
    if (now > r->valid_end)
        return seal_error_set(SEAL_EPOLICY, "seal %s expired on %s (valid %s to %s)", r->id, end,
                              start, end);
    return 0;
}

/* `token_says`: what the token's signer said when it refused the PIN ("wrong PIN for
 * token T"), NULL for a key stored here. */
static int wrong_pin(seal_store *st, const char *id, const char *token_says)
{
    int failures = 0;
    int rc = store_count_pin_failure(st, id, &failures);
    if (rc < 0)
        return rc;
    int left = SEAL_STORE_MAX_PIN_FAILURES - failures;
    /* The lock is a security event: the trail shows when it happened (never the PIN). */
    if (left == 0) {
        char target[160];
        snprintf(target, sizeof target, "seal:%s", id);
        rc = seal_store_audit(st, "sealsvc", "lock", target, "locked: %d wrong PINs in a row",
                              failures);
        if (rc < 0)
            return rc;
    }
    if (token_says && left <= 0)
        return seal_error_set(SEAL_EAUTH,
                              "%s; seal %s is now locked after %d wrong PINs and an "
                              "administrator must unlock it",
                              token_says, id, SEAL_STORE_MAX_PIN_FAILURES);
    if (token_says)
        return seal_error_set(SEAL_EAUTH, "%s (seal %s: %d %s left)", token_says, id, left,
                              left == 1 ? "try" : "tries");
    if (left <= 0)
        return seal_error_set(SEAL_EAUTH,
                              "wrong PIN for seal %s; it is now locked after %d wrong PINs and "
                              "an administrator must unlock it",
                              id, SEAL_STORE_MAX_PIN_FAILURES);
    return seal_error_set(SEAL_EAUTH, "wrong PIN for seal %s (%d %s left)", id, left,
                          left == 1 ? "try" : "tries");
}

/* The PKCS#11 signer of a seal whose key is on a token. A PIN the token refuses counts
 * like a wrong PIN for a key stored here; anything else (the token's PIN locked, the
 * token or key missing) is the token's problem and counts nothing. */
static int unlock_on_token(seal_store *st, const seal_record *r, const char *pin, X509 *cert,
                           STACK_OF(X509) * chain, seal_signer **signer_out)
{
    int rc = seal_signer_new_pkcs11(signer_out, r->key_uri, pin, cert, chain);
    if (rc == SEAL_EAUTH) {
        char *token_says = g_strdup(seal_error_last());
        rc = wrong_pin(st, r->id, token_says);
        g_free(token_says);
        return rc;
    }
    if (rc < 0)
        return seal_error_wrap(rc, "seal %s", r->id);
    return store_reset_pin_failures(st, r->id);
}

/* A key an earlier sealsvc stored under the PIN alone is stored again under the PIN and
 * the key-encryption key, now that the right PIN is known. */
static int rewrap(seal_store *st, seal_record *r, EVP_PKEY *key, const char *pin)
{
    seal_buf pem = SEAL_BUF_INIT;
    int rc = store_seal_key_wrap(st, &pem, key, pin);
    if (rc == 0)
        rc = store_seal_key_update(st, r->id, &pem);
    if (rc == 0) {
        seal_buf_clear_secret(&r->key_pem);
        r->key_pem = pem;
    } else {
        seal_buf_clear_secret(&pem);
    }
    return rc;
}

int seal_store_seal_signer(seal_store *st, seal_record *r, const char *pin,
                           seal_signer **signer_out)
{
    int rc = 0;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    STACK_OF(X509) *chain = NULL;
    *signer_out = NULL;
    SEAL_TRY(check_usable(r, time(NULL)));
    SEAL_TRY(store_cert_parse(&r->cert_pem, &cert));
    SEAL_TRY(store_chain_parse(&r->chain_pem, &chain));
    if (!pin) {
        SEAL_TRY(seal_signer_new_external(signer_out, cert, chain));
        goto out;
    }
    SEAL_ENSURE(*pin, SEAL_EAUTH, "no PIN was given for seal %s", r->id);
    if (r->key_uri) {
        rc = unlock_on_token(st, r, pin, cert, chain, signer_out);
        if (rc < 0) {
            seal_signer_free(*signer_out);
            *signer_out = NULL;
            goto out;
        }
        r->pin_failures = 0;
        goto out;
    }
    bool pin_only = false;
    int key_rc = store_seal_key_unwrap(st, &r->key_pem, pin, &key, &pin_only);
    if (key_rc == SEAL_EAUTH) {
        rc = wrong_pin(st, r->id, NULL);
        goto out;
    }
    SEAL_TRY(key_rc); /* no key-encryption key, out of memory: not the PIN's fault */
    SEAL_TRY(store_reset_pin_failures(st, r->id));
    if (pin_only)
        SEAL_TRY(rewrap(st, r, key, pin));
    r->pin_failures = 0;
    SEAL_TRY(seal_signer_new_software(signer_out, key, cert, chain));
out:
    EVP_PKEY_free(key);
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    return rc;
}

int seal_store_unlock_seal(seal_store *st, const char *id, const char *pin,
                           seal_signer **signer_out, seal_record *record_out)
{
    int rc = 0;
    seal_record r = {0};
    *signer_out = NULL;
    SEAL_TRY(seal_store_get_seal(st, id, &r));
    SEAL_TRY(seal_store_seal_signer(st, &r, pin ? pin : "", signer_out));
    if (record_out) {
        *record_out = r;
        memset(&r, 0, sizeof r);
    }
out:
    seal_record_clear(&r);
    return rc;
}
