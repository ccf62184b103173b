/* The OFD package (GB/T 33190 7.1: a zip): opening it with limits, checking every entry
 * name, and reading an entry's exact stored content. Every flow (stamp, render, verify)
 * starts here; nothing in the archive is trusted until it passed these checks: names that
 * could escape the root, duplicates, encryption, zip bombs (size, total, ratio). */
#include "ofd_internal.h"

#include <seal/error.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void seal_ofd_limits_default(seal_ofd_limits *out)
{
    out->max_entries = 10000;
    out->max_entry_size = (uint64_t)256 << 20;
    out->max_total_size = (uint64_t)1 << 30;
    out->ratio_floor = (uint64_t)1 << 20;
    out->max_ratio = 200;
    out->max_xml_size = (size_t)64 << 20;
    out->max_xml_depth = 128;
    out->max_pages = 100000;
}

const char *ofd_str(seal_ofd *doc, const char *s)
{
    return s ? g_string_chunk_insert(doc->strings, s) : NULL;
}

void *ofd_own(seal_ofd *doc, void *p)
{
    g_ptr_array_add(doc->owned, p);
    return p;
}

/* An entry name as raw bytes, printable in a message: valid UTF-8 without control
 * characters stays as it is, anything else is shown as \xNN (g_free). */
static char *safe_name(const uint8_t *name, size_t len)
{
    GString *out = g_string_new("");
    const char *p = (const char *)name, *end = p + len;
    while (p < end) {
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar)-1 || c == (gunichar)-2 || !g_unichar_isprint(c) || c == '"') {
            g_string_append_printf(out, "\\x%02X", (unsigned char)*p);
            p++;
            continue;
        }
        const char *next = g_utf8_next_char(p);
        g_string_append_len(out, p, next - p);
        p = next;
    }
    return g_string_free(out, FALSE);
}

/* The name of an entry as a package path: relative, '/'-separated, no "." or ".."
 * segment, no empty segment, no backslash, no control character, no drive letter.
 * Directories end in '/'. */
static int check_name_parts(const char *name, size_t len, const char *shown, bool *is_dir)
{
    if (name[0] == '/')
        return seal_error_set(SEAL_EFORMAT,
                              "package entry \"%s\" has an absolute name; refusing a package "
                              "whose entries could be written outside its root",
                              shown);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '\\')
            return seal_error_set(SEAL_EFORMAT,
                                  "package entry \"%s\" contains a backslash; zip names use '/' "
                                  "and a backslash can name a path outside the package",
                                  shown);
        if (c < 0x20 || c == 0x7f)
            return seal_error_set(SEAL_EFORMAT,
                                  "package entry \"%s\" contains a control character (byte %u)",
                                  shown, c);
    }
    const char *colon = strchr(name, ':');
    const char *slash = strchr(name, '/');
    if (colon && (!slash || colon < slash))
        return seal_error_set(SEAL_EFORMAT,
                              "package entry \"%s\" starts with a drive or scheme name", shown);
    *is_dir = name[len - 1] == '/';
    const char *seg = name;
    while (*seg) {
        const char *end = strchr(seg, '/');
        size_t seg_len = end ? (size_t)(end - seg) : strlen(seg);
        if (seg_len == 0 || (seg_len == 1 && seg[0] == '.'))
            return seal_error_set(SEAL_EFORMAT,
                                  "package entry \"%s\" has an empty or \".\" path segment", shown);
        if (seg_len == 2 && seg[0] == '.' && seg[1] == '.')
            return seal_error_set(SEAL_EFORMAT,
                                  "package entry \"%s\" contains \"..\"; refusing a package whose "
                                  "entries could be written outside its root",
                                  shown);
        if (!end)
            break;
        seg = end + 1;
    }
    return 0;
}

static int check_entry_name(const char *name, bool *is_dir)
{
    size_t len = strlen(name);
    if (len == 0)
        return seal_error_set(SEAL_EFORMAT, "the package has an entry with an empty name");
    char *shown = safe_name((const uint8_t *)name, len);
    int rc = check_name_parts(name, len, shown, is_dir);
    g_free(shown);
    return rc;
}

static int check_entry_limits(const seal_ofd_limits *lim, const char *name, const zip_stat_t *st,
                              uint64_t *total)
{
    if (!(st->valid & ZIP_STAT_SIZE) || !(st->valid & ZIP_STAT_COMP_SIZE))
        return seal_error_set(SEAL_EFORMAT, "package entry \"%s\" has no recorded size", name);
    if ((st->valid & ZIP_STAT_ENCRYPTION_METHOD) && st->encryption_method != ZIP_EM_NONE)
        return seal_error_set(SEAL_EUNSUPPORTED,
                              "package entry \"%s\" is encrypted; encrypted OFD packages are not "
                              "supported",
                              name);
    if ((st->valid & ZIP_STAT_COMP_METHOD) && !zip_compression_method_supported(st->comp_method, 0))
        return seal_error_set(SEAL_EUNSUPPORTED,
                              "package entry \"%s\" uses zip compression method %u, which this "
                              "build cannot read",
                              name, (unsigned)st->comp_method);
    if (st->size > lim->max_entry_size)
        return seal_error_set(SEAL_EPOLICY,
                              "package entry \"%s\" expands to %llu bytes, more than the limit of "
                              "%llu",
                              name, (unsigned long long)st->size,
                              (unsigned long long)lim->max_entry_size);
    if (st->size > lim->ratio_floor &&
        (st->comp_size == 0 || st->size / st->comp_size > lim->max_ratio))
        return seal_error_set(SEAL_EPOLICY,
                              "package entry \"%s\" expands from %llu to %llu bytes (more than "
                              "%u times); refusing it as a zip bomb",
                              name, (unsigned long long)st->comp_size, (unsigned long long)st->size,
                              lim->max_ratio);
    if (st->size > lim->max_total_size - *total)
        return seal_error_set(SEAL_EPOLICY,
                              "the package expands to more than %llu bytes in all; refusing it as "
                              "a zip bomb",
                              (unsigned long long)lim->max_total_size);
    *total += st->size;
    return 0;
}

static const char *zip_message(int code)
{
    switch (code) {
    case ZIP_ER_NOZIP:
        return "not a zip archive";
    case ZIP_ER_INCONS:
        return "the zip archive is inconsistent (damaged central directory)";
    case ZIP_ER_READ:
    case ZIP_ER_OPEN:
        return "cannot read the file";
    case ZIP_ER_MEMORY:
        return "out of memory";
    case ZIP_ER_CRC:
        return "CRC mismatch: the entry is damaged";
    case ZIP_ER_COMPNOTSUPP:
        return "compression method not supported";
    case ZIP_ER_ENCRNOTSUPP:
    case ZIP_ER_NOPASSWD:
        return "encrypted";
    default:
        return "damaged zip data";
    }
}

/* Reads the central directory: names, limits, duplicates. */
static int scan_entries(seal_ofd *doc)
{
    int rc = 0;
    zip_int64_t count = zip_get_num_entries(doc->zip, 0);
    uint64_t total = 0;
    GHashTable *dirs = g_hash_table_new(g_str_hash, g_str_equal);
    GHashTable *cases = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    char *folded = NULL, *shown = NULL;
    SEAL_ENSURE(count >= 0, SEAL_EFORMAT, "the package's zip directory cannot be read");
    SEAL_ENSURE((uint64_t)count <= doc->limits.max_entries, SEAL_EPOLICY,
                "the package has %lld entries, more than the limit of %zu", (long long)count,
                doc->limits.max_entries);
    doc->entries = g_new0(ofd_entry, count > 0 ? (size_t)count : 1);
    for (zip_uint64_t i = 0; i < (zip_uint64_t)count; i++) {
        zip_stat_t st;
        zip_stat_init(&st);
        SEAL_ENSURE(zip_stat_index(doc->zip, i, ZIP_FL_ENC_RAW, &st) == 0 && st.name &&
                        (st.valid & ZIP_STAT_NAME),
                    SEAL_EFORMAT, "the package's zip entry %llu cannot be read",
                    (unsigned long long)i);
        bool is_dir = false;
        SEAL_TRY(check_entry_name(st.name, &is_dir));
        g_free(shown);
        shown = safe_name((const uint8_t *)st.name, strlen(st.name));
        SEAL_TRY(check_entry_limits(&doc->limits, shown, &st, &total));
        if (is_dir) {
            SEAL_ENSURE(!g_hash_table_contains(dirs, st.name), SEAL_EFORMAT,
                        "package entry \"%s\" appears twice", shown);
            g_hash_table_add(dirs, (char *)ofd_str(doc, st.name));
            continue;
        }
        SEAL_ENSURE(!g_hash_table_contains(doc->by_name, st.name), SEAL_EFORMAT,
                    "package entry \"%s\" appears twice; refusing a package whose readers could "
                    "see different files under one name",
                    shown);
        /* On a case-insensitive file system (Windows, macOS) two names differing only in
         * (ASCII) case extract to one file, the later one winning. */
        g_free(folded);
        folded = g_ascii_strdown(st.name, -1);
        SEAL_ENSURE(!g_hash_table_contains(cases, folded), SEAL_EFORMAT,
                    "package entry \"%s\" differs from another entry's name only in case; "
                    "refusing a package whose files could overwrite each other when extracted",
                    shown);
        g_hash_table_add(cases, folded);
        folded = NULL;
        ofd_entry *e = &doc->entries[doc->n_entries++];
        e->name = (char *)ofd_str(doc, st.name);
        e->index = i;
        e->size = st.size;
        g_hash_table_insert(doc->by_name, e->name, e);
    }
out:
    g_free(shown);
    g_free(folded);
    g_hash_table_destroy(cases);
    g_hash_table_destroy(dirs);
    return rc;
}

/* Zip's end-of-central-directory record (APPNOTE 4.3.16) is at most this far from the end. */
#define EOCD_SEARCH (22 + 65535)

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Bytes before the archive (a vendor's header, a self-extractor stub: OFD-SEAL.md 7). The
 * end-of-central-directory record says where the directory starts counted from the
 * archive's first byte; where it really ends up tells how much precedes the archive.
 * `tail` holds the file's last bytes, starting at file offset `tail_offset`. */
static uint64_t archive_prefix(const uint8_t *tail, size_t tail_len, uint64_t tail_offset)
{
    for (size_t i = tail_len >= 22 ? tail_len - 21 : 0; i-- > 0;) {
        if (memcmp(tail + i, "PK\5\6", 4) != 0)
            continue;
        uint32_t dir_size = le32(tail + i + 12), dir_offset = le32(tail + i + 16);
        uint64_t at = tail_offset + i;
        /* ZIP64 archives keep the offsets elsewhere; libzip reads those itself. */
        if (dir_offset == 0xffffffffu || at < (uint64_t)dir_offset + dir_size)
            return 0;
        return at - dir_offset - dir_size;
    }
    return 0;
}

/* Where the archive's bytes are, for reading its records as stored: the whole file (`f`,
 * the archive from `base` on) or memory. */
typedef struct zip_bytes {
    FILE *f;
    uint64_t base;
    const uint8_t *mem;
    uint64_t len; /* of the archive, from base (or mem) to the end of the file */
} zip_bytes;

static bool bytes_at(const zip_bytes *z, uint64_t off, void *buf, size_t n)
{
    if (off > z->len || n > z->len - off)
        return false;
    if (z->mem) {
        memcpy(buf, z->mem + off, n);
        return true;
    }
    return fseeko(z->f, (off_t)(z->base + off), SEEK_SET) == 0 && fread(buf, 1, n, z->f) == n;
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t le64(const uint8_t *p)
{
    return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/* One central directory record (APPNOTE 4.3.12), sizes and offset already taken from the
 * ZIP64 extra field (4.5.3) where the record says 0xFFFFFFFF. */
typedef struct cd_record {
    uint16_t flags, method;
    uint32_t crc;
    uint64_t comp, size, offset;
    const uint8_t *name;
    uint16_t name_len;
    uint64_t end; /* where its local entry ends: header, name, extra, data, descriptor */
} cd_record;

/* The ZIP64 extended information (APPNOTE 4.5.3): its fields are present, in this order,
 * for exactly the fields the record holds as 0xFFFFFFFF. */
static bool zip64_extra(const uint8_t *extra, size_t len, uint64_t *size, uint64_t *comp,
                        uint64_t *offset)
{
    uint64_t *want[3] = {*size == 0xffffffffu ? size : NULL, *comp == 0xffffffffu ? comp : NULL,
                         offset && *offset == 0xffffffffu ? offset : NULL};
    if (!want[0] && !want[1] && !want[2])
        return true;
    for (size_t at = 0; at + 4 <= len;) {
        uint16_t id = le16(extra + at), n = le16(extra + at + 2);
        if (at + 4 + n > len)
            return false;
        if (id == 1) {
            size_t k = at + 4;
            for (int i = 0; i < 3; i++) {
                if (!want[i])
                    continue;
                if (k + 8 > at + 4 + n)
                    return false;
                *want[i] = le64(extra + k);
                k += 8;
            }
            return true;
        }
        at += 4 + (size_t)n;
    }
    return false;
}

/* False when the extra field holds an Info-ZIP Unicode Path (0x7075: version, CRC of the
 * header name, the UTF-8 name) naming another file than the header does: 7-Zip and
 * Info-ZIP unzip extract under that name, libzip under the header's. */
static bool same_unicode_path(const uint8_t *extra, size_t len, const uint8_t *name,
                              size_t name_len)
{
    for (size_t at = 0; at + 4 <= len;) {
        uint16_t id = le16(extra + at), n = le16(extra + at + 2);
        if (at + 4 + n > len)
            return false;
        if (id == 0x7075 &&
            (n < 5 || n - 5u != name_len || memcmp(extra + at + 4 + 5, name, name_len) != 0))
            return false;
        at += 4 + (size_t)n;
    }
    return true;
}

static int by_offset(const void *a, const void *b)
{
    const cd_record *x = a, *y = b;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Reads the end of central directory record (APPNOTE 4.3.16, or its ZIP64 form 4.3.14 when
 * a field is saturated): where the directory starts and ends, and how many records. */
static int read_eocd(const zip_bytes *z, uint64_t *cd_offset, uint64_t *cd_size, uint64_t *count,
                     uint64_t *cd_end)
{
    int rc = 0;
    uint8_t rec[56];
    size_t tail_len = z->len < EOCD_SEARCH ? (size_t)z->len : EOCD_SEARCH;
    uint8_t *tail = g_malloc(tail_len ? tail_len : 1);
    uint64_t tail_off = z->len - tail_len, at = UINT64_MAX;
    SEAL_ENSURE(bytes_at(z, tail_off, tail, tail_len), SEAL_EIO, "the package cannot be read");
    for (size_t i = tail_len >= 22 ? tail_len - 21 : 0; i-- > 0;)
        if (memcmp(tail + i, "PK\5\6", 4) == 0) {
            at = tail_off + i;
            break;
        }
    SEAL_ENSURE(at != UINT64_MAX, SEAL_EFORMAT, "the package has no zip end record");
    const uint8_t *e = tail + (at - tail_off);
    SEAL_ENSURE(le16(e + 4) == 0 && le16(e + 6) == 0 && le16(e + 8) == le16(e + 10), SEAL_EFORMAT,
                "the package is a multi-volume zip archive, which OFD does not use");
    *count = le16(e + 10);
    *cd_size = le32(e + 12);
    *cd_offset = le32(e + 16);
    *cd_end = at;
    if (*count == 0xffff || *cd_size == 0xffffffffu || *cd_offset == 0xffffffffu) {
        SEAL_ENSURE(at >= 20 && bytes_at(z, at - 20, rec, 20) && memcmp(rec, "PK\6\7", 4) == 0,
                    SEAL_EFORMAT, "the package's ZIP64 end record locator is missing");
        uint64_t z64 = le64(rec + 8);
        SEAL_ENSURE(z64 + 56 <= at - 20 && bytes_at(z, z64, rec, 56) &&
                        memcmp(rec, "PK\6\6", 4) == 0,
                    SEAL_EFORMAT, "the package's ZIP64 end record is missing");
        *count = le64(rec + 32);
        *cd_size = le64(rec + 40);
        *cd_offset = le64(rec + 48);
        *cd_end = z64;
    }
    SEAL_ENSURE(*cd_offset <= *cd_end && *cd_size == *cd_end - *cd_offset, SEAL_EFORMAT,
                "the package's zip central directory does not end where its end record "
                "starts: there are bytes between them");
out:
    g_free(tail);
    return rc;
}

/* Compares the local header of `r` (APPNOTE 4.3.7) and its data descriptor (4.3.9) with
 * the central directory record, and sets r->end. A streaming reader (one that reads local
 * headers front to back, as many unzip libraries and upload scanners do) sees only these:
 * if they differ from the directory, it extracts another file than the one we verify. */
static int check_local(const zip_bytes *z, cd_record *r)
{
    int rc = 0;
    uint8_t h[30], d[24];
    uint8_t *name = NULL, *extra = NULL;
    char *shown = safe_name(r->name, r->name_len);
    SEAL_ENSURE(bytes_at(z, r->offset, h, 30) && memcmp(h, "PK\3\4", 4) == 0, SEAL_EFORMAT,
                "package entry \"%s\": the central directory points at no local header", shown);
    uint16_t name_len = le16(h + 26), extra_len = le16(h + 28);
    name = g_malloc(name_len + 1u);
    extra = g_malloc(extra_len + 1u);
    SEAL_ENSURE(bytes_at(z, r->offset + 30, name, name_len) &&
                    bytes_at(z, r->offset + 30 + name_len, extra, extra_len),
                SEAL_EFORMAT, "package entry \"%s\": its local header is cut off", shown);
    SEAL_ENSURE(name_len == r->name_len && memcmp(name, r->name, name_len) == 0, SEAL_EFORMAT,
                "package entry \"%s\": its local header names another file; refusing a package "
                "that streaming readers would extract differently",
                shown);
    uint16_t flags = le16(h + 6), method = le16(h + 8);
    /* Encryption (bit 0), data descriptor (bit 3) and UTF-8 names (bit 11) change how an
     * entry is read; the method says how its bytes expand. */
    SEAL_ENSURE((flags & 0x0809) == (r->flags & 0x0809) && method == r->method, SEAL_EFORMAT,
                "package entry \"%s\": its local header's flags or compression method differ "
                "from the central directory's",
                shown);
    uint32_t crc = le32(h + 14);
    uint64_t comp = le32(h + 18), size = le32(h + 22);
    SEAL_ENSURE(zip64_extra(extra, extra_len, &size, &comp, NULL), SEAL_EFORMAT,
                "package entry \"%s\": its local header's ZIP64 field is damaged", shown);
    SEAL_ENSURE(same_unicode_path(extra, extra_len, name, name_len), SEAL_EFORMAT,
                "package entry \"%s\": its local header carries a Unicode path naming another "
                "file; refusing a package that other readers would extract differently",
                shown);
    uint64_t data_start = r->offset + 30 + name_len + extra_len;
    SEAL_ENSURE(r->comp <= z->len - data_start, SEAL_EFORMAT,
                "package entry \"%s\": its data runs past the end of the archive", shown);
    uint64_t data_end = data_start + r->comp;
    if (r->flags & 8) {
        /* Sizes and CRC follow the data; the header's are zero (or already right). */
        SEAL_ENSURE((crc == 0 || crc == r->crc) && (comp == 0 || comp == r->comp) &&
                        (size == 0 || size == r->size),
                    SEAL_EFORMAT,
                    "package entry \"%s\": its local header's size or CRC differ from the "
                    "central directory's",
                    shown);
        size_t n = 0;
        SEAL_ENSURE(bytes_at(z, data_end, d, 4), SEAL_EFORMAT,
                    "package entry \"%s\": its data descriptor is missing", shown);
        size_t sig = memcmp(d, "PK\7\10", 4) == 0 ? 4 : 0;
        bool wide = r->comp > 0xffffffffu || r->size > 0xffffffffu;
        n = sig + 4 + (wide ? 16 : 8);
        SEAL_ENSURE(bytes_at(z, data_end, d, n), SEAL_EFORMAT,
                    "package entry \"%s\": its data descriptor is cut off", shown);
        uint64_t dcomp = wide ? le64(d + sig + 4) : le32(d + sig + 4);
        uint64_t dsize = wide ? le64(d + sig + 12) : le32(d + sig + 8);
        SEAL_ENSURE(le32(d + sig) == r->crc && dcomp == r->comp && dsize == r->size, SEAL_EFORMAT,
                    "package entry \"%s\": its data descriptor's size or CRC differ from the "
                    "central directory's",
                    shown);
        data_end += n;
    } else {
        SEAL_ENSURE(crc == r->crc && comp == r->comp && size == r->size, SEAL_EFORMAT,
                    "package entry \"%s\": its local header's size or CRC (%llu bytes, CRC "
                    "%08x) differ from the central directory's (%llu bytes, CRC %08x); "
                    "refusing a package that streaming readers would extract differently",
                    shown, (unsigned long long)size, crc, (unsigned long long)r->size, r->crc);
    }
    r->end = data_end;
out:
    g_free(name);
    g_free(extra);
    g_free(shown);
    return rc;
}

/* True when `len` bytes at `off` hold a local header signature (APPNOTE 4.3.7). */
static bool holds_local_header(const zip_bytes *z, uint64_t off, uint64_t len)
{
    enum { CHUNK = 65536 };
    uint8_t *chunk = g_malloc(CHUNK);
    bool found = false;
    while (len >= 4 && !found) {
        size_t n = len < CHUNK ? (size_t)len : CHUNK;
        if (!bytes_at(z, off, chunk, n))
            break;
        for (size_t i = 0; i + 4 <= n && !found; i++)
            found = memcmp(chunk + i, "PK\3\4", 4) == 0;
        if (n == len)
            break;
        off += n - 3;
        len -= n - 3;
    }
    g_free(chunk);
    return found;
}

/* The archive as stored, beyond what libzip reads (it trusts the central directory): every
 * central directory record agrees with the entry libzip lists and with its local header,
 * the local entries follow one another from the archive's first byte to the directory
 * with no gap, no overlap and no entry the directory leaves out, and the bytes before or
 * after the archive hold no local header. Otherwise a reader that walks the local headers
 * (APPNOTE 4.3.6 allows both ways of reading) would see files we never verified.
 * `z` covers the file from its first byte; the archive starts at `prefix`. */
static int check_layout(seal_ofd *doc, const zip_bytes *whole, uint64_t prefix)
{
    int rc = 0;
    uint8_t *cd = NULL;
    cd_record *recs = NULL;
    zip_bytes z = *whole;
    uint64_t cd_offset = 0, cd_size = 0, count = 0, cd_end = 0;
    z.base += prefix;
    z.mem = z.mem ? z.mem + prefix : NULL;
    z.len -= prefix;
    SEAL_ENSURE(!holds_local_header(whole, 0, prefix), SEAL_EFORMAT,
                "the package has %llu bytes before its zip archive that hold a zip entry; "
                "refusing a package that readers could read as another archive",
                (unsigned long long)prefix);
    SEAL_TRY(read_eocd(&z, &cd_offset, &cd_size, &count, &cd_end));
    zip_int64_t listed = zip_get_num_entries(doc->zip, 0);
    SEAL_ENSURE(listed >= 0 && count == (uint64_t)listed, SEAL_EFORMAT,
                "the package's zip end record counts %llu entries, its directory %lld",
                (unsigned long long)count, (long long)listed);
    SEAL_ENSURE(count <= doc->limits.max_entries, SEAL_EPOLICY,
                "the package has %llu entries, more than the limit of %zu",
                (unsigned long long)count, doc->limits.max_entries);
    SEAL_ENSURE(cd_size <= ((uint64_t)64 << 20), SEAL_EPOLICY,
                "the package's zip central directory is larger than 64 MiB");
    cd = g_malloc(cd_size ? (size_t)cd_size : 1);
    SEAL_ENSURE(bytes_at(&z, cd_offset, cd, (size_t)cd_size), SEAL_EFORMAT,
                "the package's zip central directory cannot be read");
    recs = g_new0(cd_record, count ? count : 1);
    size_t at = 0;
    for (uint64_t i = 0; i < count; i++) {
        const uint8_t *c = cd + at;
        SEAL_ENSURE(at + 46 <= cd_size && memcmp(c, "PK\1\2", 4) == 0, SEAL_EFORMAT,
                    "the package's zip central directory record %llu is damaged",
                    (unsigned long long)i);
        cd_record *r = &recs[i];
        uint16_t extra_len = le16(c + 30), comment_len = le16(c + 32);
        r->flags = le16(c + 8);
        r->method = le16(c + 10);
        r->crc = le32(c + 16);
        r->comp = le32(c + 20);
        r->size = le32(c + 24);
        r->name_len = le16(c + 28);
        r->offset = le32(c + 42);
        r->name = c + 46;
        SEAL_ENSURE(
            at + 46 + r->name_len + extra_len + comment_len <= cd_size &&
                zip64_extra(c + 46 + r->name_len, extra_len, &r->size, &r->comp, &r->offset),
            SEAL_EFORMAT, "the package's zip central directory record %llu is damaged",
            (unsigned long long)i);
        if (!same_unicode_path(c + 46 + r->name_len, extra_len, r->name, r->name_len)) {
            char *shown = safe_name(r->name, r->name_len);
            rc = seal_error_set(SEAL_EFORMAT,
                                "package entry \"%s\" carries a Unicode path naming another "
                                "file; refusing a package that other readers would extract "
                                "differently",
                                shown);
            g_free(shown);
            goto out;
        }
        zip_stat_t st;
        zip_stat_init(&st);
        SEAL_ENSURE(zip_stat_index(doc->zip, i, ZIP_FL_ENC_RAW, &st) == 0 && st.name &&
                        strlen(st.name) == r->name_len &&
                        memcmp(st.name, r->name, r->name_len) == 0,
                    SEAL_EFORMAT,
                    "the package's zip central directory record %llu is not the entry the zip "
                    "reader lists there",
                    (unsigned long long)i);
        SEAL_TRY(check_local(&z, r));
        at += 46 + (size_t)r->name_len + extra_len + comment_len;
    }
    qsort(recs, count, sizeof *recs, by_offset);
    uint64_t expect = 0;
    for (uint64_t i = 0; i <= count; i++) {
        uint64_t next = i < count ? recs[i].offset : cd_offset;
        char *shown = i < count ? safe_name(recs[i].name, recs[i].name_len)
                                : g_strdup("(the central directory)");
        if (next < expect)
            rc = seal_error_set(SEAL_EFORMAT,
                                "package entry \"%s\" overlaps the entry before it; refusing a "
                                "package whose entries share bytes",
                                shown);
        else if (next > expect)
            rc = seal_error_set(SEAL_EFORMAT,
                                "the package holds %llu bytes before \"%s\" that its zip "
                                "central directory does not list (%s); refusing bytes that "
                                "streaming readers could extract",
                                (unsigned long long)(next - expect), shown,
                                holds_local_header(&z, expect, next - expect) ? "a hidden zip entry"
                                                                              : "unlisted data");
        g_free(shown);
        if (rc < 0)
            goto out;
        if (i < count)
            expect = recs[i].end;
    }
    uint64_t after = cd_end + 22;
    SEAL_ENSURE(!holds_local_header(&z, after, z.len > after ? z.len - after : 0), SEAL_EFORMAT,
                "the package has bytes after its zip archive that hold a zip entry; refusing "
                "a package that readers could read as another archive");
out:
    g_free(cd);
    g_free(recs);
    return rc;
}

static int open_common(seal_ofd **out, zip_t *zip, const seal_ofd_limits *limits,
                       const zip_bytes *bytes, uint64_t prefix)
{
    int rc = 0;
    seal_ofd *doc = g_new0(seal_ofd, 1);
    doc->zip = zip;
    if (limits)
        doc->limits = *limits;
    else
        seal_ofd_limits_default(&doc->limits);
    doc->strings = g_string_chunk_new(4096);
    doc->by_name = g_hash_table_new(g_str_hash, g_str_equal);
    doc->owned = g_ptr_array_new_with_free_func(g_free);
    /* The layout first: where the central directory and the local headers disagree, the
     * names libzip lists may already be the other reading. */
    SEAL_TRY(check_layout(doc, bytes, prefix));
    SEAL_TRY(scan_entries(doc));
    /* Every seal_ofd holds XML trees, so one that exists has libxml2 loaded (xml_lazy.h). */
    SEAL_TRY(ofd_libxml2_load());
    SEAL_TRY(ofd_model_load(doc, 1));
    *out = doc;
    doc = NULL;
out:
    seal_ofd_free(doc);
    return rc;
}

static int open_source(seal_ofd **out, zip_source_t *src, const char *name,
                       const seal_ofd_limits *limits, const zip_bytes *bytes, uint64_t prefix)
{
    zip_error_t error;
    zip_error_init(&error);
    zip_t *zip = zip_open_from_source(src, ZIP_RDONLY, &error);
    if (!zip) {
        int code = zip_error_code_zip(&error);
        zip_source_free(src);
        zip_error_fini(&error);
        return seal_error_set(SEAL_EFORMAT, "%s is not a readable OFD package: %s", name,
                              zip_message(code));
    }
    zip_error_fini(&error);
    return open_common(out, zip, limits, bytes, prefix);
}

int seal_ofd_open(seal_ofd **out, const char *path, const seal_ofd_limits *limits)
{
    int rc = 0;
    zip_error_t error;
    uint8_t *tail = NULL;
    FILE *f = NULL;
    *out = NULL;
    zip_error_init(&error);
    SEAL_ENSURE(path, SEAL_EINVAL, "no OFD file named");
    f = fopen(path, "rb");
    SEAL_ENSURE(f, SEAL_EIO, "cannot open %s", path);
    SEAL_ENSURE(fseeko(f, 0, SEEK_END) == 0, SEAL_EIO, "cannot read %s", path);
    off_t size = ftello(f);
    SEAL_ENSURE(size >= 0, SEAL_EIO, "cannot read %s", path);
    size_t tail_len = (uint64_t)size < EOCD_SEARCH ? (size_t)size : EOCD_SEARCH;
    tail = malloc(tail_len ? tail_len : 1);
    SEAL_ENSURE(tail, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(fseeko(f, size - (off_t)tail_len, SEEK_SET) == 0 &&
                    fread(tail, 1, tail_len, f) == tail_len,
                SEAL_EIO, "cannot read %s", path);
    uint64_t prefix = archive_prefix(tail, tail_len, (uint64_t)size - tail_len);
    zip_source_t *src = zip_source_file_create(path, prefix, 0, &error);
    SEAL_ENSURE(src, SEAL_EIO, "cannot open %s", path);
    zip_bytes bytes = {.f = f, .len = (uint64_t)size};
    rc = open_source(out, src, path, limits, &bytes, prefix);
out:
    if (f)
        fclose(f);
    free(tail);
    zip_error_fini(&error);
    return rc;
}

int ofd_package_open_mem(seal_ofd **out, const uint8_t *data, size_t len, const char *name,
                         const seal_ofd_limits *limits)
{
    zip_error_t error;
    *out = NULL;
    size_t tail_len = len < EOCD_SEARCH ? len : EOCD_SEARCH;
    uint64_t prefix = len ? archive_prefix(data + len - tail_len, tail_len, len - tail_len) : 0;
    zip_error_init(&error);
    zip_source_t *src =
        zip_source_buffer_create(len ? (const void *)(data + prefix) : "", len - prefix, 0, &error);
    zip_error_fini(&error);
    if (!src)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    zip_bytes bytes = {.mem = len ? data : (const uint8_t *)"", .len = len};
    int rc = open_source(out, src, name, limits, &bytes, prefix);
    if (rc == 0 && len) {
        (*out)->mem = data + prefix;
        (*out)->mem_len = len - prefix;
    }
    return rc;
}

int seal_ofd_open_mem(seal_ofd **out, const uint8_t *data, size_t len,
                      const seal_ofd_limits *limits)
{
    return ofd_package_open_mem(out, data, len, "the data", limits);
}

ofd_package_kind ofd_package_sniff(const uint8_t *data, size_t len)
{
    if (len < 22)
        return OFD_SNIFF_NO;
    size_t tail_len = len < EOCD_SEARCH ? len : EOCD_SEARCH;
    uint64_t prefix = archive_prefix(data + len - tail_len, tail_len, len - tail_len);
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t *src = zip_source_buffer_create(data + prefix, len - prefix, 0, &error);
    zip_t *zip = src ? zip_open_from_source(src, ZIP_RDONLY, &error) : NULL;
    zip_error_fini(&error);
    ofd_package_kind found;
    if (zip) {
        /* GB/T 33190 7.3: the package's entry point is OFD.xml at its root. */
        found = zip_name_locate(zip, "OFD.xml", 0) >= 0 ? OFD_SNIFF_YES : OFD_SNIFF_NO;
        zip_discard(zip);
    } else {
        zip_source_free(src);
        /* A zip (a local file header first, APPNOTE 4.3.7) that libzip cannot read: a
         * damaged package, whose reader says better what is wrong than "not a document". */
        found = memcmp(data, "PK\3\4", 4) == 0 ? OFD_SNIFF_DAMAGED : OFD_SNIFF_NO;
    }
    return found;
}

zip_t *ofd_package_reopen(const seal_ofd *doc)
{
    if (!doc->mem) {
        seal_error_set(SEAL_EUNSUPPORTED, "the package was not opened from memory");
        return NULL;
    }
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t *src = zip_source_buffer_create(doc->mem, doc->mem_len, 0, &error);
    zip_t *zip = src ? zip_open_from_source(src, ZIP_RDONLY, &error) : NULL;
    if (!zip) {
        seal_error_set(SEAL_EFORMAT, "the package cannot be opened twice: %s",
                       zip_error_strerror(&error));
        zip_source_free(src);
    }
    zip_error_fini(&error);
    return zip;
}

void seal_ofd_free(seal_ofd *doc)
{
    if (!doc)
        return;
    for (size_t i = 0; i < doc->n_entries; i++) {
        seal_buf_clear(&doc->entries[i].data);
        xmlFreeDoc(doc->entries[i].xml);
    }
    ofd_model_clear(doc);
    if (doc->owned)
        g_ptr_array_free(doc->owned, TRUE);
    if (doc->by_name)
        g_hash_table_destroy(doc->by_name);
    g_free(doc->entries);
    if (doc->zip)
        zip_discard(doc->zip);
    if (doc->strings)
        g_string_chunk_free(doc->strings);
    g_free(doc);
}

size_t seal_ofd_entry_count(const seal_ofd *doc)
{
    return doc ? doc->n_entries : 0;
}

const char *seal_ofd_entry_name(const seal_ofd *doc, size_t index)
{
    return doc && index < doc->n_entries ? doc->entries[index].name : NULL;
}

ofd_entry *ofd_entry_find(const seal_ofd *doc, const char *path)
{
    if (!doc || !path)
        return NULL;
    while (*path == '/')
        path++;
    return g_hash_table_lookup(doc->by_name, path);
}

bool seal_ofd_entry_exists(const seal_ofd *doc, const char *path)
{
    return ofd_entry_find(doc, path) != NULL;
}

/* Decompresses one entry, no more than its recorded size: a stream that yields more (or
 * fewer) bytes than the central directory promised is refused. libzip checks the CRC when
 * the stream ends. */
static int load_entry(seal_ofd *doc, ofd_entry *e)
{
    int rc = 0;
    uint8_t extra;
    zip_file_t *zf = zip_fopen_index(doc->zip, e->index, 0);
    SEAL_ENSURE(zf, SEAL_EFORMAT, "package entry \"%s\" cannot be read: %s", e->name,
                zip_message(zip_error_code_zip(zip_get_error(doc->zip))));
    SEAL_ENSURE(e->size <= SIZE_MAX - 1, SEAL_EPOLICY, "package entry \"%s\" is too large",
                e->name);
    SEAL_TRY(seal_buf_reserve(&e->data, (size_t)e->size + 1));
    while (e->data.len < e->size) {
        zip_int64_t n = zip_fread(zf, e->data.data + e->data.len, e->size - e->data.len);
        SEAL_ENSURE(n >= 0, SEAL_EFORMAT, "package entry \"%s\" is damaged: %s", e->name,
                    zip_message(zip_error_code_zip(zip_file_get_error(zf))));
        SEAL_ENSURE(n > 0, SEAL_EFORMAT,
                    "package entry \"%s\" is shorter (%zu bytes) than its recorded size (%llu)",
                    e->name, e->data.len, (unsigned long long)e->size);
        e->data.len += (size_t)n;
    }
    zip_int64_t more = zip_fread(zf, &extra, 1);
    SEAL_ENSURE(more >= 0, SEAL_EFORMAT, "package entry \"%s\" is damaged: %s", e->name,
                zip_message(zip_error_code_zip(zip_file_get_error(zf))));
    SEAL_ENSURE(more == 0, SEAL_EFORMAT,
                "package entry \"%s\" expands beyond its recorded size of %llu bytes", e->name,
                (unsigned long long)e->size);
    e->loaded = true;
out:
    if (zf)
        zip_fclose(zf);
    if (rc < 0)
        seal_buf_clear(&e->data);
    return rc;
}

int seal_ofd_entry_read(seal_ofd *doc, const char *path, seal_slice *out)
{
    ofd_entry *e = ofd_entry_find(doc, path);
    if (!e)
        return seal_error_set(SEAL_ENOTFOUND, "the package has no file \"%s\"",
                              path ? path : "(none)");
    if (!e->loaded) {
        int rc = load_entry(doc, e);
        if (rc < 0)
            return rc;
    }
    *out = seal_slice_of(e->data.data, e->data.len);
    return 0;
}
