/* Making a new seal and keeping it: the key is encrypted under the seal PIN (with the
 * platform's key-encryption key, seal_key.c), or stays on its PKCS#11 token and only
 * its URI is kept; the seal
 * maker signs a v4 SESeal (GB/T 38540) that binds the signing certificate to the picture,
 * and the record goes into the store, with the holder of a personal seal (holder.c). Used by
 * `sealsvc demo` and `sealsvc seal make`; the stamp flow later unlocks the record (unlock.c). */
#include "store/store_internal.h"

#include <seal/error.h>
#include <seal/idnum.h>
#include <seal/image.h>
#include <seal/ses.h>

#include <glib.h>
#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PIN_MIN_LEN             6
#define PIN_MAX_LEN             64
#define SEAL_CODE_RANDOM_DIGITS 7

/* The seal code (GB/T 38540 SES_SealInfo.esID): the six-digit division code inside the
 * institution's credit code (GB 32100 positions 3-8), then random digits, in the style of
 * the 13-digit codes public-security seal registries hand out. */
int seal_store_seal_code(char out[14], const char *credit_code)
{
    uint8_t random[SEAL_CODE_RANDOM_DIGITS];
    if (!credit_code || strlen(credit_code) < 8)
        return seal_error_set(SEAL_EINVAL, "a seal code needs the institution's credit code");
    if (RAND_bytes(random, sizeof random) != 1)
        return seal_error_set_openssl(SEAL_ECRYPTO, "cannot draw random digits for a seal code");
    memcpy(out, credit_code + 2, 6);
    for (size_t i = 0; i < sizeof random; i++)
        out[6 + i] = (char)('0' + random[i] % 10);
    out[6 + SEAL_CODE_RANDOM_DIGITS] = '\0';
    return 0;
}

static int check_pin(const char *pin)
{
    size_t len = pin ? strlen(pin) : 0;
    if (len < PIN_MIN_LEN || len > PIN_MAX_LEN)
        return seal_error_set(SEAL_EINVAL, "a seal PIN must have %d to %d characters", PIN_MIN_LEN,
                              PIN_MAX_LEN);
    return 0;
}

/* A seal whose key is on a token: the URI may be stored (no PIN in it), and the PIN opens
 * the token's key, which is the certificate's. A signer is opened and dropped: the
 * store keeps nothing of it. */
static int check_token_key(const seal_record *r, const char *pin)
{
    int rc = 0;
    X509 *cert = NULL;
    seal_signer *signer = NULL;
    const char *id = r->id ? r->id : "(no id)";
    SEAL_ENSURE(r->key_uri && r->key_pem.len == 0, SEAL_EINVAL,
                "seal %s needs its key or the PKCS#11 URI of its key on a token", id);
    SEAL_TRY(seal_pkcs11_uri_check(r->key_uri));
    SEAL_ENSURE(r->cert_pem.len > 0, SEAL_EINVAL, "seal %s needs its certificate", id);
    SEAL_TRY(seal_cert_load_mem(&cert, r->cert_pem.data, r->cert_pem.len));
    SEAL_TRY(seal_key_check_seal_alg(X509_get0_pubkey(cert)));
    SEAL_TRY(seal_signer_new_pkcs11(&signer, r->key_uri, pin, cert, NULL));
out:
    seal_signer_free(signer);
    X509_free(cert);
    return rc;
}

/* The record of a new seal: what it is, whose, its certificate and validity; a holder's
 * resident ID only masked, no credit code (identity numbers stay out of the trail). */
static int audit_made(seal_store *st, const seal_record *r, X509 *cert, const char *es_id,
                      const char *actor)
{
    char from[32], to[32], held[160] = "", masked[19];
    struct tm tm;
    strftime(from, sizeof from, "%Y-%m-%d", gmtime_r(&r->valid_start, &tm));
    strftime(to, sizeof to, "%Y-%m-%d", gmtime_r(&r->valid_end, &tm));
    if (r->holder_id) {
        seal_resident_id_mask(r->holder_id, masked);
        snprintf(held, sizeof held, ", held by %s (%s)", r->holder_name, masked);
    }
    char *serial = seal_cert_serial_hex(cert);
    char *target = g_strdup_printf("seal:%s", r->id);
    int rc = store_audit_in_tx(st, actor ? actor : "sealsvc", "make", target,
                               "%s seal %s (%s) of %s, code %s, %s key%s, certificate %s, valid "
                               "%s to %s%s",
                               r->kind, r->id, r->name, r->owner, es_id, seal_key_alg_name(r->alg),
                               r->key_uri ? " on a PKCS#11 token" : "", serial ? serial : "?", from,
                               to, held);
    g_free(target);
    free(serial);
    return rc;
}

int seal_store_create_seal(seal_store *st, seal_record *r, const char *es_id, EVP_PKEY *key,
                           const char *pin, const seal_signer *maker, const char *actor)
{
    int rc = 0;
    bool in_tx = false;
    X509 *cert = NULL;
    STACK_OF(X509) *certs = NULL;
    char new_code[14];
    SEAL_TRY(check_pin(pin));
    if (key)
        SEAL_TRY(seal_key_check_seal_alg(key));
    else
        SEAL_TRY(check_token_key(r, pin));
    SEAL_ENSURE(r->image_png.len > 0, SEAL_EINVAL, "seal %s needs a picture",
                r->id ? r->id : "(no id)");
    SEAL_ENSURE(r->image_png.len <= SEAL_PICTURE_MAX_BYTES, SEAL_EINVAL,
                "seal %s: its picture has %zu bytes; a seal picture may have at most %u KB "
                "(an OFD carries it twice and web OFD readers fail on large ones; a one-colour "
                "PNG of the seal, indexed or grey with alpha, is 10 to 40 KB)",
                r->id ? r->id : "(no id)", r->image_png.len, SEAL_PICTURE_MAX_BYTES / 1024);
    SEAL_TRY(store_holder_check(r->id ? r->id : "(no id)", r->kind, r->holder_name, r->holder_id));
    /* One transaction: a new institution is only registered with its first seal. */
    SEAL_TRY(store_begin(st));
    in_tx = true;
    if (r->institution_id == 0) {
        SEAL_ENSURE(r->owner && r->owner_code, SEAL_EINVAL,
                    "seal %s names no institution (neither its id nor its name and code)",
                    r->id ? r->id : "(no id)");
        SEAL_TRY(seal_store_add_institution(st, r->owner, r->owner_code, &r->institution_id));
    }
    g_free(r->owner);
    g_free(r->owner_code);
    r->owner = r->owner_code = NULL;
    SEAL_TRY(store_institution_by_id(st, r->institution_id, &r->owner, &r->owner_code));
    SEAL_TRY(seal_cert_load_mem(&cert, r->cert_pem.data, r->cert_pem.len));
    if (key) {
        SEAL_ENSURE(X509_check_private_key(cert, key) == 1, SEAL_EINVAL,
                    "the private key given for seal %s does not belong to its certificate", r->id);
        r->alg = seal_key_alg_of(key);
        SEAL_TRY(store_seal_key_wrap(st, &r->key_pem, key, pin));
    } else {
        r->alg = seal_key_alg_of(X509_get0_pubkey(cert));
    }
    if (!es_id) {
        SEAL_TRY(seal_store_seal_code(new_code, r->owner_code));
        es_id = new_code;
    }
    certs = sk_X509_new_null();
    SEAL_ENSURE(certs && sk_X509_push(certs, cert) > 0, SEAL_ENOMEM, "out of memory");
    cert = NULL;
    seal_eseal_spec spec = {
        .es_id = es_id,
        .vid = "sealsvc",
        .type = strcmp(r->kind, "personal") == 0 ? SEAL_SES_TYPE_PERSONAL : SEAL_SES_TYPE_OFFICIAL,
        .name = r->name,
        .certs = certs,
        .picture_type = "PNG",
        .picture = r->image_png.data,
        .picture_len = r->image_png.len,
        .width_mm = lround(r->width_mm),
        .height_mm = lround(r->height_mm),
        .created = time(NULL),
        .valid_start = r->valid_start,
        .valid_end = r->valid_end,
    };
    SEAL_TRY(seal_eseal_make(&r->esl, &spec, maker));
    SEAL_TRY(store_seal_birth_in_tx(st, r, actor ? actor : "sealsvc"));
    r->pin_failures = 0;
    r->locked = false;
    SEAL_TRY(seal_store_add_seal(st, r));
    SEAL_TRY(store_pdf_picture_keep(st, &r->image_png));
    if (r->holder_id)
        SEAL_TRY(store_holder_add_in_tx(st, r->id, r->holder_name, r->holder_id));
    SEAL_TRY(audit_made(st, r, sk_X509_value(certs, 0), es_id, actor));
    in_tx = false;
    SEAL_TRY(store_commit(st));
out:
    if (in_tx)
        store_rollback(st);
    X509_free(cert);
    sk_X509_pop_free(certs, X509_free);
    return rc;
}
