/* The seal picture as PDF image XObjects: RGB samples plus an /SMask with the alpha
 * channel (ISO 32000-1 11.6.5.3), both Flate-compressed. Compressing a 600 dpi seal costs
 * more than hashing a megabyte, so the last seal's streams are kept for the next stamp. */
#include "stamp_internal.h"

#include <seal/error.h>
#include <seal/image.h>

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>
#include <zlib.h>

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    uint8_t key[32];
    bool valid;
    pdf_seal_image image;
} cache;

static int deflate_buf(seal_buf *out, const seal_buf *in)
{
    uLongf bound = compressBound((uLong)in->len);
    int rc = seal_buf_reserve(out, bound);
    if (rc < 0)
        return rc;
    uLongf len = bound;
    if (compress2(out->data, &len, in->data, (uLong)in->len, 6) != Z_OK)
        return seal_error_set(SEAL_ENOMEM, "cannot compress the seal image");
    out->len = len;
    return 0;
}

static void image_clear(pdf_seal_image *img)
{
    seal_buf_clear(&img->rgb_z);
    seal_buf_clear(&img->alpha_z);
    img->width = img->height = 0;
}

static int image_copy(pdf_seal_image *dst, const pdf_seal_image *src)
{
    int rc = 0;
    SEAL_TRY(seal_buf_set(&dst->rgb_z, src->rgb_z.data, src->rgb_z.len));
    SEAL_TRY(seal_buf_set(&dst->alpha_z, src->alpha_z.data, src->alpha_z.len));
    dst->width = src->width;
    dst->height = src->height;
out:
    return rc;
}

int pdf_seal_image_prepare_once(pdf_seal_image *out, const uint8_t *png, size_t len)
{
    int rc = 0;
    seal_buf rgb = SEAL_BUF_INIT, alpha = SEAL_BUF_INIT;
    SEAL_TRY(seal_image_decode_rgba(png, len, &rgb, &alpha, &out->width, &out->height));
    SEAL_TRY(deflate_buf(&out->rgb_z, &rgb));
    SEAL_TRY(deflate_buf(&out->alpha_z, &alpha));
out:
    seal_buf_clear(&rgb);
    seal_buf_clear(&alpha);
    return rc;
}

int pdf_seal_image_prepare(pdf_seal_image *out, const uint8_t *png, size_t len)
{
    int rc = 0;
    uint8_t key[32];
    unsigned key_len = 0;
    if (!EVP_Digest(png, len, key, &key_len, EVP_sha256(), NULL))
        return seal_error_set_openssl(SEAL_ECRYPTO, "cannot hash the seal image");

    pthread_mutex_lock(&cache_lock);
    if (cache.valid && memcmp(cache.key, key, sizeof key) == 0) {
        rc = image_copy(out, &cache.image);
        pthread_mutex_unlock(&cache_lock);
        return rc;
    }
    pthread_mutex_unlock(&cache_lock);

    SEAL_TRY(pdf_seal_image_prepare_once(out, png, len));

    pthread_mutex_lock(&cache_lock);
    image_clear(&cache.image);
    cache.valid = image_copy(&cache.image, out) == 0;
    memcpy(cache.key, key, sizeof key);
    pthread_mutex_unlock(&cache_lock);
out:
    return rc;
}

void pdf_seal_image_clear(pdf_seal_image *img)
{
    image_clear(img);
}
