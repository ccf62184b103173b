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

/* The name of an entry as a package path: relative, '/'-separated, no "." or ".."
 * segment, no empty segment, no backslash, no control character, no drive letter.
 * Directories end in '/'. */
static int check_entry_name(const char *name, bool *is_dir)
{
    size_t len = strlen(name);
    if (len == 0)
        return seal_error_set(SEAL_EFORMAT, "the package has an entry with an empty name");
    if (name[0] == '/')
        return seal_error_set(SEAL_EFORMAT,
                              "package entry \"%s\" has an absolute name; refusing a package "
                              "whose entries could be written outside its root",
                              name);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '\\')
            return seal_error_set(SEAL_EFORMAT,
                                  "package entry \"%s\" contains a backslash; zip names use '/' "
                                  "and a backslash can name a path outside the package",
                                  name);
        if (c < 0x20 || c == 0x7f)
            return seal_error_set(SEAL_EFORMAT,
                                  "package entry name contains a control character (byte %u)", c);
    }
    const char *colon = strchr(name, ':');
    const char *slash = strchr(name, '/');
    if (colon && (!slash || colon < slash))
        return seal_error_set(SEAL_EFORMAT,
                              "package entry \"%s\" starts with a drive or scheme name", name);
    *is_dir = name[len - 1] == '/';
    const char *seg = name;
    while (*seg) {
        const char *end = strchr(seg, '/');
        size_t seg_len = end ? (size_t)(end - seg) : strlen(seg);
        if (seg_len == 0 || (seg_len == 1 && seg[0] == '.'))
            return seal_error_set(SEAL_EFORMAT,
                                  "package entry \"%s\" has an empty or \".\" path segment", name);
        if (seg_len == 2 && seg[0] == '.' && seg[1] == '.')
            return seal_error_set(SEAL_EFORMAT,
                                  "package entry \"%s\" contains \"..\"; refusing a package whose "
                                  "entries could be written outside its root",
                                  name);
        if (!end)
            break;
        seg = end + 1;
    }
    return 0;
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
        SEAL_TRY(check_entry_limits(&doc->limits, st.name, &st, &total));
        if (is_dir) {
            SEAL_ENSURE(!g_hash_table_contains(dirs, st.name), SEAL_EFORMAT,
                        "package entry \"%s\" appears twice", st.name);
            g_hash_table_add(dirs, (char *)ofd_str(doc, st.name));
            continue;
        }
        SEAL_ENSURE(!g_hash_table_contains(doc->by_name, st.name), SEAL_EFORMAT,
                    "package entry \"%s\" appears twice; refusing a package whose readers could "
                    "see different files under one name",
                    st.name);
        ofd_entry *e = &doc->entries[doc->n_entries++];
        e->name = (char *)ofd_str(doc, st.name);
        e->index = i;
        e->size = st.size;
        g_hash_table_insert(doc->by_name, e->name, e);
    }
out:
    g_hash_table_destroy(dirs);
    return rc;
}

static int open_common(seal_ofd **out, zip_t *zip, const seal_ofd_limits *limits)
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

static int open_source(seal_ofd **out, zip_source_t *src, const char *name,
                       const seal_ofd_limits *limits)
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
    return open_common(out, zip, limits);
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
    rc = open_source(out, src, path, limits);
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
    int rc = open_source(out, src, name, limits);
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
