/* The end of a prepared package, for a two-phase stamp. Prepare writes the whole new
 * package but SignedValue.dat (stamp.c); here its central directory is read back, and
 * finish (stamp_finish.c) puts SignedValue.dat where that directory was and writes the
 * directory again with one more entry: the package as one libzip write would have made it,
 * written once. Byte layout: PKWARE APPNOTE 6.3.10, sections 4.3.7 (local file header),
 * 4.3.12 (central directory header) and 4.3.16 (end of central directory record). */
#include "stamp_internal.h"

#include <seal/error.h>

#include <string.h>
#include <zlib.h>

#define SIG_LOCAL   0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_END     0x06054b50u
#define SIG_END64   0x07064b50u /* APPNOTE 4.3.15: the zip64 end locator */
#define LOCAL_LEN   30
#define END_LEN     22
#define END64_LEN   20
/* APPNOTE 4.4.4: bit 0 encrypted, bit 3 sizes in a data descriptor after the data. */
#define FLAGS_NOT_PLAIN 0x0009u

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

int ofd_tail_read(ofd_prepared *pp, const uint8_t *file, size_t len, const char *template_path)
{
    int rc = 0;
    const uint8_t *end = file + len - END_LEN;

    /* libzip wrote this file a moment ago, without a comment; zip64 (over 4 GiB or 65535
     * entries) is past every limit the package reader sets. */
    SEAL_ENSURE(len >= END_LEN && get32(end) == SIG_END && get16(end + 20) == 0, SEAL_EIO,
                "the prepared package has no end record where it was written");
    SEAL_ENSURE(len < END_LEN + END64_LEN || get32(end - END64_LEN) != SIG_END64, SEAL_EUNSUPPORTED,
                "the stamped package would need zip64; it is too large");
    uint16_t n = get16(end + 10);
    uint32_t cd_len = get32(end + 12), cd_offset = get32(end + 16);
    SEAL_ENSURE(get16(end + 8) == n && (uint64_t)cd_offset + cd_len == len - END_LEN, SEAL_EIO,
                "the prepared package's central directory is not where its end record says");

    const uint8_t *p = file + cd_offset, *template = NULL;
    for (uint16_t i = 0; i < n; i++) {
        SEAL_ENSURE((size_t)(end - p) >= OFD_CENTRAL_LEN && get32(p) == SIG_CENTRAL, SEAL_EIO,
                    "the prepared package's central directory is damaged");
        size_t name_len = get16(p + 28),
               entry_len = OFD_CENTRAL_LEN + name_len + get16(p + 30) + get16(p + 32);
        SEAL_ENSURE((size_t)(end - p) >= entry_len, SEAL_EIO,
                    "the prepared package's central directory is damaged");
        if (name_len == strlen(template_path) &&
            memcmp(p + OFD_CENTRAL_LEN, template_path, name_len) == 0)
            template = p;
        p += entry_len;
    }
    /* SignedValue.dat is written as Seal.esl was: stored DER, the same time and attributes.
     * Its own header is that entry's with the name, CRC, sizes and offset changed. */
    SEAL_ENSURE(template && get16(template + 10) == 0 && !(get16(template + 8) & FLAGS_NOT_PLAIN) &&
                    get16(template + 30) == 0 && get16(template + 32) == 0,
                SEAL_EIO, "the prepared package has no plain stored entry %s", template_path);
    memcpy(pp->entry_template, template, OFD_CENTRAL_LEN);
    pp->cd_offset = cd_offset;
    pp->n_entries = n;
    SEAL_TRY(seal_buf_set(&pp->central, file + cd_offset, cd_len));
out:
    return rc;
}

int ofd_tail_make(seal_buf *tail, const ofd_prepared *pp, const seal_buf *signed_value)
{
    int rc = 0;
    uint8_t local[LOCAL_LEN], central[OFD_CENTRAL_LEN], end[END_LEN];
    const uint8_t *t = pp->entry_template;
    size_t name_len = strlen(pp->signed_value_path);
    uint64_t entry_len = LOCAL_LEN + (uint64_t)name_len + signed_value->len;
    uint64_t new_cd_offset = pp->cd_offset + entry_len;
    uint64_t new_cd_len = pp->central.len + OFD_CENTRAL_LEN + (uint64_t)name_len;

    SEAL_ENSURE(new_cd_offset + new_cd_len <= UINT32_MAX && pp->n_entries < UINT16_MAX &&
                    name_len <= UINT16_MAX,
                SEAL_EUNSUPPORTED, "the stamped package would need zip64; it is too large");
    uint32_t crc =
        (uint32_t)crc32(crc32(0, Z_NULL, 0), signed_value->data, (uInt)signed_value->len);

    /* 4.3.7: version needed, flags, method, time and date as the template's. */
    put32(local, SIG_LOCAL);
    memcpy(local + 4, t + 6, 10);
    put32(local + 14, crc);
    put32(local + 18, (uint32_t)signed_value->len);
    put32(local + 22, (uint32_t)signed_value->len);
    put16(local + 26, (uint32_t)name_len);
    put16(local + 28, 0);

    /* 4.3.12: the template's, with this entry's CRC, sizes, name and offset. */
    memcpy(central, t, OFD_CENTRAL_LEN);
    put32(central + 16, crc);
    put32(central + 20, (uint32_t)signed_value->len);
    put32(central + 24, (uint32_t)signed_value->len);
    put16(central + 28, (uint32_t)name_len);
    put32(central + 42, (uint32_t)pp->cd_offset);

    /* 4.3.16: one disk, one more entry, the directory after the new entry. */
    put32(end, SIG_END);
    put16(end + 4, 0);
    put16(end + 6, 0);
    put16(end + 8, pp->n_entries + 1u);
    put16(end + 10, pp->n_entries + 1u);
    put32(end + 12, (uint32_t)new_cd_len);
    put32(end + 16, (uint32_t)new_cd_offset);
    put16(end + 20, 0);

    seal_buf_clear(tail);
    SEAL_TRY(seal_buf_append(tail, local, sizeof local));
    SEAL_TRY(seal_buf_append(tail, pp->signed_value_path, name_len));
    SEAL_TRY(seal_buf_append(tail, signed_value->data, signed_value->len));
    SEAL_TRY(seal_buf_append(tail, pp->central.data, pp->central.len));
    SEAL_TRY(seal_buf_append(tail, central, sizeof central));
    SEAL_TRY(seal_buf_append(tail, pp->signed_value_path, name_len));
    SEAL_TRY(seal_buf_append(tail, end, sizeof end));
out:
    return rc;
}
