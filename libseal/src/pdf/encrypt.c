/* Encrypted input, stamp side: the standard security handler's file key from a password
 * (ISO 32000-1 7.6.3.3 Algorithms 2, 6, 7 for revisions 2-4; ISO 32000-2 7.6.4.3.3-4
 * Algorithms 2.A, 2.B for revision 6, and revision 5 of Adobe's extension level 3), the
 * permissions, and the per-object encryption of the strings and streams of our update
 * (Algorithm 1: RC4 or AES-128 with an object key; AES-256 with the file key). */
#include "encrypt.h"
#include "pdf_internal.h"

#include <seal/error.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

/* ISO 32000-1 7.6.3.3 Algorithm 2 step a: the padding string. */
static const uint8_t password_pad[32] = {
    0x28, 0xBF, 0x4E, 0x5E, 0x4E, 0x75, 0x8A, 0x41, 0x64, 0x00, 0x4E, 0x56, 0xFF, 0xFA, 0x01, 0x08,
    0x2E, 0x2E, 0x00, 0xB6, 0xD0, 0x68, 0x3E, 0x80, 0x2F, 0x0C, 0xA9, 0xFE, 0x64, 0x53, 0x69, 0x7A};

/* RC4 (the "RC4" of ISO 32000-1 7.6.2). OpenSSL 3 keeps it in the legacy provider, which
 * a system may not load, and it is a few lines. */
static void rc4(const uint8_t *key, size_t key_len, const uint8_t *in, uint8_t *out, size_t len)
{
    uint8_t s[256];
    for (int i = 0; i < 256; i++)
        s[i] = (uint8_t)i;
    for (int i = 0, j = 0; i < 256; i++) {
        j = (j + s[i] + key[(size_t)i % key_len]) & 0xff;
        uint8_t t = s[i];
        s[i] = s[j];
        s[j] = t;
    }
    for (size_t n = 0, i = 0, j = 0; n < len; n++) {
        i = (i + 1) & 0xff;
        j = (j + s[i]) & 0xff;
        uint8_t t = s[i];
        s[i] = s[j];
        s[j] = t;
        out[n] = in[n] ^ s[(s[i] + s[j]) & 0xff];
    }
    seal_secure_zero(s, sizeof s);
}

static int digest(const EVP_MD *md, const void *a, size_t a_len, const void *b, size_t b_len,
                  const void *c, size_t c_len, uint8_t *out)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, a, a_len) == 1 &&
             EVP_DigestUpdate(ctx, b, b_len) == 1 && EVP_DigestUpdate(ctx, c, c_len) == 1 &&
             EVP_DigestFinal_ex(ctx, out, NULL) == 1;
    EVP_MD_CTX_free(ctx);
    return ok ? 0 : seal_error_set_openssl(SEAL_ECRYPTO, "a digest for the PDF encryption failed");
}

/* AES in CBC mode without padding, or with PKCS#7 padding when `pad` (7.6.2: "padding
 * as in RFC 2898"), or ECB when iv is NULL. */
static int aes(uint8_t *out, int *out_len, const uint8_t *key, size_t key_len, const uint8_t *iv,
               const uint8_t *in, size_t len, bool encrypt, bool pad)
{
    const EVP_CIPHER *cipher = key_len == 16 ? (iv ? EVP_aes_128_cbc() : EVP_aes_128_ecb())
                                             : (iv ? EVP_aes_256_cbc() : EVP_aes_256_ecb());
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0, tail = 0;
    int ok = ctx && len <= INT32_MAX &&
             EVP_CipherInit_ex(ctx, cipher, NULL, key, iv, encrypt ? 1 : 0) == 1 &&
             EVP_CIPHER_CTX_set_padding(ctx, pad ? 1 : 0) == 1 &&
             EVP_CipherUpdate(ctx, out, &n, in, (int)len) == 1 &&
             EVP_CipherFinal_ex(ctx, out + n, &tail) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok)
        return seal_error_set_openssl(SEAL_ECRYPTO, "AES for the PDF encryption failed");
    *out_len = n + tail;
    return 0;
}

/* Copies the first `want` bytes of a string value (qpdf's C API returns memory that the
 * next call reuses); false when it is not a string or shorter. */
static bool get_bytes(qpdf_data q, qpdf_oh dict, const char *key, uint8_t *out, size_t want)
{
    qpdf_oh v = qpdf_oh_get_key(q, dict, key);
    size_t len = 0;
    const char *bytes =
        qpdf_oh_is_string(q, v) ? qpdf_oh_get_binary_string_value(q, v, &len) : NULL;
    if (!bytes || len < want)
        return false;
    memcpy(out, bytes, want);
    return true;
}

/* ---- revisions 2 to 4 (ISO 32000-1 7.6.3.3) ---- */

typedef struct legacy_params {
    uint8_t o[32], u[32], id0[64];
    size_t id0_len;
    bool encrypt_metadata;
} legacy_params;

static void pad_password(uint8_t out[32], const uint8_t *pw, size_t len)
{
    if (len > 32)
        len = 32;
    memcpy(out, pw, len);
    memcpy(out + len, password_pad, 32 - len);
}

/* Algorithm 2: the file key from a padded user password. */
static int legacy_file_key(pdf_crypt *c, const legacy_params *lp, const uint8_t padded[32])
{
    int rc = 0;
    uint8_t hash[16];
    uint8_t p_le[4] = {(uint8_t)c->p, (uint8_t)(c->p >> 8), (uint8_t)(c->p >> 16),
                       (uint8_t)((uint32_t)c->p >> 24)};
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    static const uint8_t no_metadata[4] = {0xff, 0xff, 0xff, 0xff};
    SEAL_ENSURE(
        ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
            EVP_DigestUpdate(ctx, padded, 32) == 1 && EVP_DigestUpdate(ctx, lp->o, 32) == 1 &&
            EVP_DigestUpdate(ctx, p_le, 4) == 1 &&
            EVP_DigestUpdate(ctx, lp->id0, lp->id0_len) == 1 &&
            (c->r < 4 || lp->encrypt_metadata || EVP_DigestUpdate(ctx, no_metadata, 4) == 1) &&
            EVP_DigestFinal_ex(ctx, hash, NULL) == 1,
        SEAL_ECRYPTO, "MD5 for the PDF encryption key failed");
    if (c->r >= 3)
        for (int i = 0; i < 50; i++)
            SEAL_TRY(digest(EVP_md5(), hash, c->key_len, "", 0, "", 0, hash));
    memcpy(c->key, hash, c->key_len);
out:
    seal_secure_zero(hash, sizeof hash);
    EVP_MD_CTX_free(ctx);
    return rc;
}

/* Algorithms 4 and 5: the /U value the current key gives, compared with the document's
 * (all 32 bytes for revision 2, the first 16 from revision 3 on). */
static int legacy_user_matches(const pdf_crypt *c, const legacy_params *lp, bool *match)
{
    int rc = 0;
    uint8_t u[32];
    if (c->r == 2) {
        rc4(c->key, c->key_len, password_pad, u, 32);
        *match = memcmp(u, lp->u, 32) == 0;
        goto out;
    }
    SEAL_TRY(digest(EVP_md5(), password_pad, 32, lp->id0, lp->id0_len, "", 0, u));
    rc4(c->key, c->key_len, u, u, 16);
    for (int i = 1; i <= 19; i++) {
        uint8_t k[16];
        for (size_t b = 0; b < c->key_len; b++)
            k[b] = c->key[b] ^ (uint8_t)i;
        rc4(k, c->key_len, u, u, 16);
        seal_secure_zero(k, sizeof k);
    }
    *match = memcmp(u, lp->u, 16) == 0;
out:
    return rc;
}

/* Algorithm 7: the owner password decrypts /O into the padded user password. */
static int legacy_user_from_owner(const pdf_crypt *c, const legacy_params *lp, const uint8_t *pw,
                                  size_t pw_len, uint8_t user[32])
{
    int rc = 0;
    uint8_t padded[32], hash[16];
    pad_password(padded, pw, pw_len);
    SEAL_TRY(digest(EVP_md5(), padded, 32, "", 0, "", 0, hash));
    if (c->r >= 3)
        for (int i = 0; i < 50; i++)
            SEAL_TRY(digest(EVP_md5(), hash, 16, "", 0, "", 0, hash));
    memcpy(user, lp->o, 32);
    if (c->r == 2) {
        rc4(hash, c->key_len, user, user, 32);
    } else {
        for (int i = 19; i >= 0; i--) {
            uint8_t k[16];
            for (size_t b = 0; b < c->key_len; b++)
                k[b] = hash[b] ^ (uint8_t)i;
            rc4(k, c->key_len, user, user, 32);
            seal_secure_zero(k, sizeof k);
        }
    }
out:
    seal_secure_zero(padded, sizeof padded);
    seal_secure_zero(hash, sizeof hash);
    return rc;
}

static int legacy_open(pdf_crypt *c, qpdf_data q, qpdf_oh enc, const uint8_t *pw, size_t pw_len,
                       const char *path)
{
    int rc = 0;
    legacy_params lp = {0};
    uint8_t padded[32];
    bool match = false;
    SEAL_ENSURE(get_bytes(q, enc, "/O", lp.o, 32) && get_bytes(q, enc, "/U", lp.u, 32),
                SEAL_EFORMAT, "%s: the encryption dictionary has no valid /O and /U", path);
    qpdf_oh id = qpdf_oh_get_key(q, qpdf_get_trailer(q), "/ID");
    qpdf_oh id0 = qpdf_oh_is_array(q, id) && qpdf_oh_get_array_n_items(q, id) >= 1
                      ? qpdf_oh_get_array_item(q, id, 0)
                      : qpdf_oh_new_null(q);
    if (qpdf_oh_is_string(q, id0)) {
        const char *bytes = qpdf_oh_get_binary_string_value(q, id0, &lp.id0_len);
        SEAL_ENSURE(bytes && lp.id0_len <= sizeof lp.id0, SEAL_EFORMAT,
                    "%s: the first part of the trailer's /ID is longer than %zu bytes", path,
                    sizeof lp.id0);
        memcpy(lp.id0, bytes, lp.id0_len);
    }
    qpdf_oh em = qpdf_oh_get_key(q, enc, "/EncryptMetadata");
    lp.encrypt_metadata = !qpdf_oh_is_bool(q, em) || qpdf_oh_get_bool_value(q, em);

    /* Algorithm 2 step c and the key length (7.6.3.3 Table 21 /Length, in bits). */
    c->key_len = 5;
    if (c->r >= 3) {
        qpdf_oh bits = qpdf_oh_get_key(q, enc, "/Length");
        long long n = qpdf_oh_is_integer(q, bits) ? qpdf_oh_get_int_value(q, bits) : 40;
        if (c->r == 4)
            n = 128;
        SEAL_ENSURE(n >= 40 && n <= 128 && n % 8 == 0, SEAL_EFORMAT,
                    "%s: the encryption key length (%lld bits) is not valid", path, n);
        c->key_len = (size_t)n / 8;
    }

    pad_password(padded, pw, pw_len);
    SEAL_TRY(legacy_file_key(c, &lp, padded));
    SEAL_TRY(legacy_user_matches(c, &lp, &match));
    if (!match) {
        SEAL_TRY(legacy_user_from_owner(c, &lp, pw, pw_len, padded));
        SEAL_TRY(legacy_file_key(c, &lp, padded));
        SEAL_TRY(legacy_user_matches(c, &lp, &match));
        c->owner = match;
    }
    SEAL_ENSURE(match, SEAL_EAUTH,
                pw_len ? "the password given does not open %s"
                       : "%s is protected by a password: give it with --password",
                path);
out:
    seal_secure_zero(padded, sizeof padded);
    return rc;
}

/* ---- revisions 5 and 6 (ISO 32000-2 7.6.4.3.3, Algorithm 2.B) ---- */

static int hash_2b(uint8_t out[32], int r, const uint8_t *pw, size_t pw_len, const uint8_t salt[8],
                   const uint8_t *udata, size_t u_len)
{
    int rc = 0;
    uint8_t k[64], e_block[64 * (127 + 64 + 48)];
    size_t k_len = 32;
    int e_len = 0;
    SEAL_TRY(digest(EVP_sha256(), pw, pw_len, salt, 8, udata, u_len, k));
    /* Revision 5 (Adobe extension level 3) stops at the plain SHA-256. */
    for (int round = 0; r >= 6 && (round < 64 || e_block[e_len - 1] > round - 32);) {
        uint8_t k1[sizeof e_block];
        size_t seq = pw_len + k_len + u_len, k1_len = 64 * seq;
        for (size_t i = 0; i < 64; i++) {
            memcpy(k1 + i * seq, pw, pw_len);
            memcpy(k1 + i * seq + pw_len, k, k_len);
            memcpy(k1 + i * seq + pw_len + k_len, udata, u_len);
        }
        SEAL_TRY(aes(e_block, &e_len, k, 16, k + 16, k1, k1_len, true, false));
        seal_secure_zero(k1, k1_len);
        /* The first 16 bytes as a big-endian number, modulo 3: 256 = 1 (mod 3), so the sum
         * of the bytes has the same remainder. */
        unsigned sum = 0;
        for (int i = 0; i < 16; i++)
            sum += e_block[i];
        const EVP_MD *md = sum % 3 == 0 ? EVP_sha256() : sum % 3 == 1 ? EVP_sha384() : EVP_sha512();
        SEAL_TRY(digest(md, e_block, (size_t)e_len, "", 0, "", 0, k));
        k_len = (size_t)EVP_MD_get_size(md);
        round++;
    }
    memcpy(out, k, 32);
out:
    seal_secure_zero(k, sizeof k);
    seal_secure_zero(e_block, sizeof e_block);
    return rc;
}

static int aes256_open(pdf_crypt *c, qpdf_data q, qpdf_oh enc, const uint8_t *pw, size_t pw_len,
                       const char *path)
{
    int rc = 0;
    uint8_t o[48], u[48], oe[32], ue[32], perms[16];
    uint8_t hash[32], plain[32];
    int n = 0;
    SEAL_ENSURE(get_bytes(q, enc, "/O", o, 48) && get_bytes(q, enc, "/U", u, 48) &&
                    get_bytes(q, enc, "/OE", oe, 32) && get_bytes(q, enc, "/UE", ue, 32),
                SEAL_EFORMAT, "%s: the encryption dictionary has no valid /O, /U, /OE and /UE",
                path);
    /* Passwords are UTF-8, at most 127 bytes (7.6.4.3.3 a). */
    if (pw_len > 127)
        pw_len = 127;
    static const uint8_t zero_iv[16] = {0};
    /* Algorithm 11 (user password) then 12 (owner password, with /U as user data). */
    SEAL_TRY(hash_2b(hash, c->r, pw, pw_len, u + 32, u, 0));
    if (memcmp(hash, u, 32) == 0) {
        SEAL_TRY(hash_2b(hash, c->r, pw, pw_len, u + 40, u, 0));
        SEAL_TRY(aes(c->key, &n, hash, 32, zero_iv, ue, 32, false, false));
    } else {
        SEAL_TRY(hash_2b(hash, c->r, pw, pw_len, o + 32, u, 48));
        SEAL_ENSURE(memcmp(hash, o, 32) == 0, SEAL_EAUTH,
                    pw_len ? "the password given does not open %s"
                           : "%s is protected by a password: give it with --password",
                    path);
        SEAL_TRY(hash_2b(hash, c->r, pw, pw_len, o + 40, u, 48));
        SEAL_TRY(aes(c->key, &n, hash, 32, zero_iv, oe, 32, false, false));
        c->owner = true;
    }
    c->key_len = 32;
    /* Algorithm 13: /Perms repeats /P under the file key, so /P cannot be changed alone. */
    if (c->r >= 6) {
        SEAL_ENSURE(get_bytes(q, enc, "/Perms", perms, 16), SEAL_EFORMAT,
                    "%s: the encryption dictionary has no valid /Perms", path);
        SEAL_TRY(aes(plain, &n, c->key, 32, NULL, perms, 16, false, false));
        uint32_t p = (uint32_t)plain[0] | (uint32_t)plain[1] << 8 | (uint32_t)plain[2] << 16 |
                     (uint32_t)plain[3] << 24;
        SEAL_ENSURE(memcmp(plain + 9, "adb", 3) == 0 && p == (uint32_t)c->p, SEAL_EFORMAT,
                    "%s: the encryption dictionary's /P does not match its /Perms (it was "
                    "altered)",
                    path);
    }
out:
    seal_secure_zero(hash, sizeof hash);
    seal_secure_zero(plain, sizeof plain);
    return rc;
}

/* 7.6.5 Table 25: /CFM of a named crypt filter; /Identity is no encryption. */
static int filter_cipher(pdf_cipher *out, qpdf_data q, qpdf_oh enc, const char *key,
                         const char *path)
{
    qpdf_oh name = qpdf_oh_get_key(q, enc, key);
    *out = PDF_CIPHER_NONE;
    if (!qpdf_oh_is_name(q, name) || qpdf_oh_is_name_and_equals(q, name, "/Identity"))
        return 0;
    qpdf_oh filter =
        qpdf_oh_get_key_if_dict(q, qpdf_oh_get_key(q, enc, "/CF"), qpdf_oh_get_name(q, name));
    qpdf_oh cfm = qpdf_oh_get_key_if_dict(q, filter, "/CFM");
    if (!qpdf_oh_is_name(q, cfm) || qpdf_oh_is_name_and_equals(q, cfm, "/None"))
        return 0;
    if (qpdf_oh_is_name_and_equals(q, cfm, "/V2"))
        *out = PDF_CIPHER_RC4;
    else if (qpdf_oh_is_name_and_equals(q, cfm, "/AESV2"))
        *out = PDF_CIPHER_AESV2;
    else if (qpdf_oh_is_name_and_equals(q, cfm, "/AESV3"))
        *out = PDF_CIPHER_AESV3;
    else
        return seal_error_set(SEAL_EUNSUPPORTED, "%s uses the unknown crypt filter method %s", path,
                              qpdf_oh_get_name(q, cfm));
    return 0;
}

int pdf_crypt_open(pdf_crypt *out, qpdf_data q, const char *password, const char *path)
{
    int rc = 0;
    memset(out, 0, sizeof *out);
    qpdf_oh enc = qpdf_oh_get_key(q, qpdf_get_trailer(q), "/Encrypt");
    const uint8_t *pw = (const uint8_t *)(password ? password : "");
    size_t pw_len = strlen((const char *)pw);
    SEAL_ENSURE(qpdf_oh_is_dictionary(q, enc), SEAL_EFORMAT,
                "%s: the trailer's /Encrypt is not a dictionary", path);
    SEAL_ENSURE(qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, enc, "/Filter"), "/Standard"),
                SEAL_EUNSUPPORTED,
                "%s is encrypted for certificate holders (a security handler other than "
                "/Standard); only password-protected PDFs can be stamped",
                path);
    qpdf_oh v = qpdf_oh_get_key(q, enc, "/V"), r = qpdf_oh_get_key(q, enc, "/R");
    qpdf_oh p = qpdf_oh_get_key(q, enc, "/P");
    SEAL_ENSURE(qpdf_oh_is_integer(q, r) && qpdf_oh_is_integer(q, p), SEAL_EFORMAT,
                "%s: the encryption dictionary has no valid /R and /P", path);
    out->v = qpdf_oh_is_integer(q, v) ? (int)qpdf_oh_get_int_value(q, v) : 0;
    out->r = (int)qpdf_oh_get_int_value(q, r);
    out->p = (int32_t)(uint32_t)qpdf_oh_get_int_value(q, p);

    switch (out->v) {
    case 1:
    case 2:
        out->strings = out->streams = PDF_CIPHER_RC4;
        break;
    case 4:
    case 5:
        SEAL_TRY(filter_cipher(&out->strings, q, enc, "/StrF", path));
        SEAL_TRY(filter_cipher(&out->streams, q, enc, "/StmF", path));
        break;
    default:
        SEAL_FAIL(SEAL_EUNSUPPORTED, "%s uses encryption version /V %d, which is not supported",
                  path, out->v);
    }
    if (out->r >= 2 && out->r <= 4)
        SEAL_TRY(legacy_open(out, q, enc, pw, pw_len, path));
    else if (out->r == 5 || out->r == 6)
        SEAL_TRY(aes256_open(out, q, enc, pw, pw_len, path));
    else
        SEAL_FAIL(SEAL_EUNSUPPORTED,
                  "%s uses revision %d of the standard security handler, which is not "
                  "supported",
                  path, out->r);
    SEAL_ENSURE((out->strings != PDF_CIPHER_AESV3 && out->streams != PDF_CIPHER_AESV3) ||
                    out->key_len == 32,
                SEAL_EFORMAT, "%s: AES-256 crypt filters need revision 5 or 6", path);
out:
    if (rc < 0)
        pdf_crypt_clear(out);
    return rc;
}

int pdf_crypt_check_sign_allowed(const pdf_crypt *c, const char *path)
{
    /* Table 22: bit 6 allows annotations and filling in form fields, and together with
     * bit 4 creating form fields, signature fields included; a seal is a new signature
     * field with a widget annotation. Revision 2 has no finer bits. */
    if (c->owner)
        return 0;
    if (!(c->p & (1 << 5)))
        return seal_error_set(SEAL_EPOLICY,
                              "%s forbids adding annotations and form fields (permission bit 6 "
                              "of /P is clear); a seal cannot be added without the owner "
                              "password",
                              path);
    if (!(c->p & (1 << 3)))
        return seal_error_set(SEAL_EPOLICY,
                              "%s forbids creating form fields, signature fields included "
                              "(permission bit 4 of /P is clear); a seal cannot be added "
                              "without the owner password",
                              path);
    return 0;
}

/* Algorithm 1: the key for one object (RC4, AESV2), or the file key (AESV3). */
static int object_key(uint8_t out[32], size_t *out_len, const pdf_crypt *c, pdf_cipher cipher,
                      long long num, long long gen)
{
    if (cipher == PDF_CIPHER_AESV3) {
        memcpy(out, c->key, 32);
        *out_len = 32;
        return 0;
    }
    uint8_t extra[9] = {(uint8_t)num,
                        (uint8_t)(num >> 8),
                        (uint8_t)(num >> 16),
                        (uint8_t)gen,
                        (uint8_t)(gen >> 8),
                        's',
                        'A',
                        'l',
                        'T'};
    uint8_t hash[16];
    int rc = digest(EVP_md5(), c->key, c->key_len, extra, cipher == PDF_CIPHER_AESV2 ? 9 : 5, "", 0,
                    hash);
    *out_len = c->key_len + 5 < 16 ? c->key_len + 5 : 16;
    memcpy(out, hash, *out_len);
    seal_secure_zero(hash, sizeof hash);
    return rc;
}

static int encrypt_bytes(seal_buf *out, const pdf_crypt *c, pdf_cipher cipher, long long num,
                         long long gen, const uint8_t *in, size_t len)
{
    int rc = 0;
    uint8_t key[32];
    size_t key_len = 0;
    out->len = 0;
    if (cipher == PDF_CIPHER_NONE)
        return seal_buf_set(out, in, len);
    SEAL_TRY(object_key(key, &key_len, c, cipher, num, gen));
    SEAL_ENSURE(len <= SIZE_MAX - 64, SEAL_ENOMEM, "too much data to encrypt");
    SEAL_TRY(seal_buf_reserve(out, len + 33));
    if (cipher == PDF_CIPHER_RC4) {
        rc4(key, key_len, in, out->data, len);
        out->len = len;
    } else {
        /* 7.6.2: AES-CBC, a random 16-byte initialisation vector first. */
        int n = 0;
        SEAL_ENSURE(RAND_bytes(out->data, 16) == 1, SEAL_ECRYPTO, "no random bytes available");
        SEAL_TRY(aes(out->data + 16, &n, key, key_len, out->data, in, len, true, true));
        out->len = 16 + (size_t)n;
    }
out:
    seal_secure_zero(key, sizeof key);
    return rc;
}

int pdf_crypt_stream(seal_buf *out, const pdf_crypt *c, long long num, long long gen,
                     const uint8_t *in, size_t len)
{
    return encrypt_bytes(out, c, c->streams, num, gen, in, len);
}

/* ---- rewriting the strings of an object we wrote ---- */

static bool is_white(uint8_t ch)
{
    return ch == 0 || ch == 9 || ch == 10 || ch == 12 || ch == 13 || ch == 32;
}

static bool is_delim(uint8_t ch)
{
    return ch == '(' || ch == ')' || ch == '<' || ch == '>' || ch == '[' || ch == ']' ||
           ch == '{' || ch == '}' || ch == '/' || ch == '%';
}

static int hex_digit(uint8_t ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* A literal string (7.3.4.2) from its '(' : its bytes, with escapes and end-of-line
 * conventions applied. Sets *end after the closing ')'. */
static int read_literal(seal_buf *out, const uint8_t *s, size_t len, size_t at, size_t *end)
{
    int rc = 0;
    int depth = 0;
    size_t i = at;
    for (; i < len; i++) {
        uint8_t ch = s[i];
        if (ch == '(' && depth++ == 0)
            continue;
        if (ch == ')' && --depth == 0)
            break;
        if (ch == '\\' && i + 1 < len) {
            uint8_t e = s[++i];
            static const char from[] = "nrtbf()\\", to[] = "\n\r\t\b\f()\\";
            const char *hit = e ? strchr(from, e) : NULL;
            if (hit) {
                SEAL_TRY(seal_buf_append_byte(out, (uint8_t)to[hit - from]));
            } else if (e >= '0' && e <= '7') {
                unsigned v = 0;
                for (int d = 0; d < 3 && i < len && s[i] >= '0' && s[i] <= '7'; d++, i++)
                    v = v * 8 + (unsigned)(s[i] - '0');
                i--;
                SEAL_TRY(seal_buf_append_byte(out, (uint8_t)v));
            } else if (e == '\r') {
                if (i + 1 < len && s[i + 1] == '\n')
                    i++;
            } else if (e != '\n') {
                SEAL_TRY(seal_buf_append_byte(out, e));
            }
            continue;
        }
        if (ch == '\r') {
            if (i + 1 < len && s[i + 1] == '\n')
                i++;
            ch = '\n';
        }
        SEAL_TRY(seal_buf_append_byte(out, ch));
    }
    SEAL_ENSURE(i < len, SEAL_EFORMAT, "an unterminated string in an object being written");
    *end = i + 1;
out:
    return rc;
}

static int read_hex(seal_buf *out, const uint8_t *s, size_t len, size_t at, size_t *end)
{
    int rc = 0;
    int high = -1;
    size_t i = at + 1;
    for (; i < len && s[i] != '>'; i++) {
        if (is_white(s[i]))
            continue;
        int d = hex_digit(s[i]);
        SEAL_ENSURE(d >= 0, SEAL_EFORMAT, "a malformed hex string in an object being written");
        if (high < 0) {
            high = d;
        } else {
            SEAL_TRY(seal_buf_append_byte(out, (uint8_t)(high << 4 | d)));
            high = -1;
        }
    }
    SEAL_ENSURE(i < len, SEAL_EFORMAT, "an unterminated hex string in an object being written");
    if (high >= 0)
        SEAL_TRY(seal_buf_append_byte(out, (uint8_t)(high << 4)));
    *end = i + 1;
out:
    return rc;
}

static bool keyword_at(const uint8_t *s, size_t len, size_t at, const char *word)
{
    size_t n = strlen(word);
    return at + n <= len && memcmp(s + at, word, n) == 0 &&
           (at == 0 || is_white(s[at - 1]) || is_delim(s[at - 1])) &&
           (at + n == len || is_white(s[at + n]) || is_delim(s[at + n]));
}

int pdf_crypt_object_text(seal_buf *text, size_t body, const pdf_crypt *c, long long num,
                          long long gen, size_t keep_at)
{
    int rc = 0;
    seal_buf out = SEAL_BUF_INIT, plain = SEAL_BUF_INIT, sealed = SEAL_BUF_INIT;
    const uint8_t *s = text->data;
    size_t len = text->len, i = body;
    while (i < len) {
        uint8_t ch = s[i];
        size_t end = i + 1;
        if (ch == '<' && i + 1 < len && s[i + 1] == '<') {
            end = i + 2;
        } else if (i == keep_at) {
            SEAL_ENSURE(ch == '<' && out.len == i - body, SEAL_EFORMAT,
                        "the signature's /Contents would move while encrypting (internal)");
            const uint8_t *gt = memchr(s + i, '>', len - i);
            SEAL_ENSURE(gt, SEAL_EFORMAT, "the signature's /Contents is not a hex string");
            end = (size_t)(gt - s) + 1;
        } else if (ch == '(' || ch == '<') {
            plain.len = 0;
            SEAL_TRY(ch == '(' ? read_literal(&plain, s, len, i, &end)
                               : read_hex(&plain, s, len, i, &end));
            SEAL_TRY(encrypt_bytes(&sealed, c, c->strings, num, gen, plain.data, plain.len));
            SEAL_TRY(seal_buf_append_byte(&out, '<'));
            SEAL_TRY(seal_hex_encode(&out, sealed.data, sealed.len, false));
            SEAL_TRY(seal_buf_append_byte(&out, '>'));
            i = end;
            continue;
        } else if (ch == '/') {
            while (end < len && !is_white(s[end]) && !is_delim(s[end]))
                end++;
        } else if (keyword_at(s, len, i, "stream")) {
            end = len; /* the data that follows is the caller's, already encrypted */
        }
        SEAL_TRY(seal_buf_append(&out, s + i, end - i));
        i = end;
    }
    text->len = body;
    SEAL_TRY(seal_buf_append(text, out.data, out.len));
out:
    seal_buf_clear(&out);
    seal_buf_clear(&plain);
    seal_buf_clear(&sealed);
    return rc;
}

int pdf_crypt_string_read_as(bool *match, const pdf_crypt *c, long long num, long long gen,
                             const uint8_t *raw, size_t raw_len, const uint8_t *parsed,
                             size_t parsed_len)
{
    int rc = 0;
    uint8_t key[32];
    size_t key_len = 0;
    seal_buf plain = SEAL_BUF_INIT, body = SEAL_BUF_INIT;
    *match = false;
    if (c->strings == PDF_CIPHER_NONE) {
        *match = raw_len == parsed_len && memcmp(raw, parsed, raw_len) == 0;
        return 0;
    }
    SEAL_TRY(object_key(key, &key_len, c, c->strings, num, gen));
    if (c->strings == PDF_CIPHER_RC4) {
        SEAL_TRY(seal_buf_reserve(&plain, raw_len + 1));
        rc4(key, key_len, raw, plain.data, raw_len);
        *match = raw_len == parsed_len && memcmp(plain.data, parsed, raw_len) == 0;
        goto out;
    }
    if (raw_len <= 16)
        goto out;
    /* The initialisation vector first; a last partial block counts as zero-filled, and the
     * padding a reader strips from the last block is at most 16 bytes. */
    size_t n = (raw_len - 16 + 15) / 16 * 16;
    int got = 0;
    SEAL_TRY(seal_buf_set(&body, raw + 16, raw_len - 16));
    SEAL_TRY(seal_buf_reserve(&body, n));
    memset(body.data + body.len, 0, n - body.len);
    SEAL_TRY(seal_buf_reserve(&plain, n + 16));
    SEAL_TRY(aes(plain.data, &got, key, key_len, raw, body.data, n, false, false));
    *match = parsed_len <= (size_t)got && (size_t)got - parsed_len <= 16 &&
             memcmp(plain.data, parsed, parsed_len) == 0;
out:
    seal_secure_zero(key, sizeof key);
    seal_buf_clear(&plain);
    seal_buf_clear(&body);
    return rc;
}

void pdf_crypt_clear(pdf_crypt *c)
{
    seal_secure_zero(c, sizeof *c);
}
