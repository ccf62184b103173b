/* The seal picture as PDF image XObjects: RGB samples plus an /SMask with the alpha
 * channel (ISO 32000-1 11.6.5.3), both Flate-compressed. The whole seal's streams come
 * ready from the process-wide picture cache the store fills when it reads the seal
 * (seal/pdf_picture.c), so a stamp copies compressed bytes; seam strips, cut for one
 * stamp, are compressed here. */
#include "stamp_internal.h"

int pdf_seal_image_prepare(pdf_seal_image *out, const uint8_t *png, size_t len)
{
    return seal_pdf_picture_get(out, png, len);
}

int pdf_seal_image_prepare_once(pdf_seal_image *out, const uint8_t *png, size_t len)
{
    return seal_pdf_picture_make(out, png, len);
}

void pdf_seal_image_clear(pdf_seal_image *img)
{
    seal_pdf_picture_clear(img);
}
