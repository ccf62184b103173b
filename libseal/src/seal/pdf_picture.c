/* The seal picture's PDF image streams, made once and kept (see pdf_picture.h): made here
 * when a seal is made or first read from an older store, kept in the store, and held in a
 * small process-wide cache between the store reading a seal and the stamper drawing it. */
#include "seal/pdf_picture.h"

#include <seal/error.h>
#include <seal/image.h>

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>
#include <zlib.h>

/* A service stamps with a handful of seals at a time; each picture's streams are about
 * 100 KiB. */
#define CACHE_SLOTS 8

typedef struct slot {
    uint8_t key[SEAL_PDF_PICTURE_KEY_LEN];
    bool used;
    uint64_t last_use;
    seal_pdf_picture picture;
} slot;

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static slot cache[CACHE_SLOTS];
static uint64_t cache_clock;

int seal_pdf_picture_key(uint8_t key[SEAL_PDF_PICTURE_KEY_LEN], const uint8_t *png, size_t len)
{
    unsigned key_len = 0;
    if (!EVP_Digest(png, len, key, &key_len, EVP_sha256(), NULL))
        return seal_error_set_openssl(SEAL_ECRYPTO, "cannot hash the seal picture");
    return 0;
}

static int deflate_buf(seal_buf *out, const seal_buf *in)
{
    uLongf bound = compressBound((uLong)in->len);
    int rc = seal_buf_reserve(out, bound);
    if (rc < 0)
        return rc;
    uLongf len = bound;
    if (compress2(out->data, &len, in->data, (uLong)in->len, 6) != Z_OK)
        return seal_error_set(SEAL_ENOMEM, "cannot compress the seal picture");
    out->len = len;
    return 0;
}

int seal_pdf_picture_make(seal_pdf_picture *out, const uint8_t *png, size_t len)
{
    int rc = 0;
    seal_buf rgb = SEAL_BUF_INIT, alpha = SEAL_BUF_INIT;
    memset(out, 0, sizeof *out);
    SEAL_TRY(seal_image_decode_rgba(png, len, &rgb, &alpha, &out->width, &out->height));
    SEAL_TRY(deflate_buf(&out->rgb_z, &rgb));
    SEAL_TRY(deflate_buf(&out->alpha_z, &alpha));
out:
    seal_buf_clear(&rgb);
    seal_buf_clear(&alpha);
    if (rc < 0)
        seal_pdf_picture_clear(out);
    return rc;
}

void seal_pdf_picture_clear(seal_pdf_picture *p)
{
    seal_buf_clear(&p->rgb_z);
    seal_buf_clear(&p->alpha_z);
    p->width = p->height = 0;
}

static slot *find_locked(const uint8_t key[SEAL_PDF_PICTURE_KEY_LEN])
{
    for (size_t i = 0; i < CACHE_SLOTS; i++)
        if (cache[i].used && memcmp(cache[i].key, key, SEAL_PDF_PICTURE_KEY_LEN) == 0)
            return &cache[i];
    return NULL;
}

int seal_pdf_picture_cached(seal_pdf_picture *out, const uint8_t key[SEAL_PDF_PICTURE_KEY_LEN])
{
    int rc = 0;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&cache_lock);
    slot *s = find_locked(key);
    if (s) {
        s->last_use = ++cache_clock;
        const seal_pdf_picture *p = &s->picture;
        rc = seal_buf_set(&out->rgb_z, p->rgb_z.data, p->rgb_z.len);
        if (rc == 0)
            rc = seal_buf_set(&out->alpha_z, p->alpha_z.data, p->alpha_z.len);
        out->width = p->width;
        out->height = p->height;
    }
    pthread_mutex_unlock(&cache_lock);
    if (rc < 0) {
        seal_pdf_picture_clear(out);
        return rc;
    }
    return s ? 1 : 0;
}

void seal_pdf_picture_remember(const uint8_t key[SEAL_PDF_PICTURE_KEY_LEN], seal_pdf_picture *p)
{
    pthread_mutex_lock(&cache_lock);
    slot *s = find_locked(key);
    for (size_t i = 0; !s && i < CACHE_SLOTS; i++)
        if (!cache[i].used)
            s = &cache[i];
    if (!s) {
        s = &cache[0];
        for (size_t i = 1; i < CACHE_SLOTS; i++)
            if (cache[i].last_use < s->last_use)
                s = &cache[i];
    }
    /* The old streams are swapped out and freed after the lock is released. */
    seal_pdf_picture old = s->picture;
    s->picture = *p;
    memcpy(s->key, key, SEAL_PDF_PICTURE_KEY_LEN);
    s->used = true;
    s->last_use = ++cache_clock;
    pthread_mutex_unlock(&cache_lock);
    memset(p, 0, sizeof *p);
    seal_pdf_picture_clear(&old);
}

int seal_pdf_picture_get(seal_pdf_picture *out, const uint8_t *png, size_t len)
{
    int rc = 0;
    uint8_t key[SEAL_PDF_PICTURE_KEY_LEN];
    seal_pdf_picture made = {SEAL_BUF_INIT, SEAL_BUF_INIT, 0, 0};
    memset(out, 0, sizeof *out);
    SEAL_TRY(seal_pdf_picture_key(key, png, len));
    rc = seal_pdf_picture_cached(out, key);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    SEAL_TRY(seal_pdf_picture_make(&made, png, len));
    SEAL_TRY(seal_buf_set(&out->rgb_z, made.rgb_z.data, made.rgb_z.len));
    SEAL_TRY(seal_buf_set(&out->alpha_z, made.alpha_z.data, made.alpha_z.len));
    out->width = made.width;
    out->height = made.height;
    seal_pdf_picture_remember(key, &made);
out:
    seal_pdf_picture_clear(&made);
    if (rc < 0)
        seal_pdf_picture_clear(out);
    return rc;
}
