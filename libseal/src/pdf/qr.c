/* Verification QR codes for PDF seals: the URL template's {sha256} becomes the SHA-256 of
 * the input document, hashed from the read-only mapping the stamper already has; the
 * symbol (ISO/IEC 18004, error correction level M, with its 4-module quiet zone) becomes
 * a grey image that the seal's appearance draws beside the seal. */
#include "qr.h"

#include <seal/error.h>

#include <openssl/evp.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MAX_URL     1024
#define QUIET_ZONE  4
#define PLACEHOLDER "{sha256}"

static int input_sha256(char hex[65], const seal_pdf *pdf)
{
    uint8_t digest[32];
    unsigned len = 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
    for (size_t off = 0; ok && off < pdf->map_len; off += 1u << 20) {
        size_t n = pdf->map_len - off < (1u << 20) ? pdf->map_len - off : 1u << 20;
        ok = EVP_DigestUpdate(md, pdf->map + off, n) == 1;
    }
    ok = ok && EVP_DigestFinal_ex(md, digest, &len) == 1;
    EVP_MD_CTX_free(md);
    if (!ok)
        return seal_error_set_openssl(SEAL_ECRYPTO, "cannot hash %s for the QR code", pdf->path);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

static int expand(char **out, const char *tmpl, const char *hash)
{
    size_t n = 0;
    for (const char *p = tmpl; (p = strstr(p, PLACEHOLDER)); p += strlen(PLACEHOLDER))
        n++;
    size_t len = strlen(tmpl) + n * (64 - strlen(PLACEHOLDER));
    char *text = malloc(len + 1), *w = text;
    if (!text)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    for (const char *p = tmpl; *p;) {
        if (strncmp(p, PLACEHOLDER, strlen(PLACEHOLDER)) == 0) {
            memcpy(w, hash, 64);
            w += 64;
            p += strlen(PLACEHOLDER);
        } else {
            *w++ = *p++;
        }
    }
    *w = 0;
    *out = text;
    return 0;
}

int pdf_qr_prepare(pdf_qr *out, const char *url_template, const seal_pdf *pdf)
{
    int rc = 0;
    char hash[65];
    QRcode *code = NULL;
    uint8_t *gray = NULL;
    memset(out, 0, sizeof *out);
    size_t tlen = strlen(url_template);
    SEAL_ENSURE(tlen > 0 && tlen <= MAX_URL, SEAL_EINVAL,
                "the QR URL template must have 1 to %d characters", MAX_URL);
    for (const char *p = url_template; *p; p++)
        SEAL_ENSURE(*p > 0x20 && *p < 0x7f, SEAL_EINVAL,
                    "the QR URL template may only hold printable ASCII without spaces "
                    "(percent-encode the rest)");
    SEAL_TRY(input_sha256(hash, pdf));
    SEAL_TRY(expand(&out->text, url_template, hash));

    code = QRcode_encodeString8bit(out->text, 0, QR_ECLEVEL_M);
    SEAL_ENSURE(code, SEAL_EINVAL, "the QR URL (%zu bytes) cannot be encoded as a QR code",
                strlen(out->text));
    out->modules = code->width + 2 * QUIET_ZONE;
    size_t n = (size_t)out->modules * (size_t)out->modules;
    gray = malloc(n);
    SEAL_ENSURE(gray, SEAL_ENOMEM, "out of memory");
    memset(gray, 255, n);
    /* libqrencode: one byte per module, bit 0 set for a dark module. */
    for (int y = 0; y < code->width; y++)
        for (int x = 0; x < code->width; x++)
            if (code->data[y * code->width + x] & 1)
                gray[(size_t)(y + QUIET_ZONE) * (size_t)out->modules + (size_t)(x + QUIET_ZONE)] =
                    0;
    uLongf bound = compressBound((uLong)n);
    SEAL_TRY(seal_buf_reserve(&out->gray_z, bound));
    SEAL_ENSURE(compress2(out->gray_z.data, &bound, gray, (uLong)n, 9) == Z_OK, SEAL_ENOMEM,
                "cannot compress the QR code");
    out->gray_z.len = bound;
out:
    free(gray);
    QRcode_free(code);
    if (rc < 0)
        pdf_qr_clear(out);
    return rc;
}

void pdf_qr_clear(pdf_qr *qr)
{
    seal_buf_clear(&qr->gray_z);
    free(qr->text);
    qr->text = NULL;
    qr->modules = 0;
}
