/* The stamper's package. Every entry the stamp does not change is copied as its compressed
 * bytes, with its compression method, CRC and time, so it stays byte-identical; changed and
 * new entries follow. Written into the prepared file of a two-phase stamp (stamp.c), which
 * finish completes with SignedValue.dat and renames (stamp_finish.c), so the output appears
 * only complete. Reads through the package handle ofd-core opened; writes through
 * stamp_sink.c. */
#include "ofd_internal.h"
#include "stamp_internal.h"

#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const ofd_new_file *find_file(const ofd_new_file *files, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(files[i].path, name) == 0)
            return &files[i];
    return NULL;
}

static int add_bytes(zip_t *dst, const ofd_new_file *file, time_t mtime)
{
    zip_source_t *src = zip_source_buffer(dst, file->data->data, file->data->len, 0);
    if (!src)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    zip_int64_t idx = zip_file_add(dst, file->path, src, ZIP_FL_ENC_UTF_8);
    if (idx < 0) {
        zip_source_free(src);
        return seal_error_set(SEAL_EIO, "cannot add %s to the output: %s", file->path,
                              zip_strerror(dst));
    }
    zip_int32_t method = file->deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE;
    if (zip_set_file_compression(dst, (zip_uint64_t)idx, method, 0) < 0 ||
        zip_file_set_mtime(dst, (zip_uint64_t)idx, mtime, 0) < 0)
        return seal_error_set(SEAL_EIO, "cannot add %s to the output: %s", file->path,
                              zip_strerror(dst));
    return 0;
}

/* An unchanged entry: its compressed bytes as stored, under the same method, time and
 * attributes, so that readers and the references of earlier signatures see it unchanged. */
static int copy_entry(zip_t *dst, zip_t *src_zip, zip_uint64_t index, const char *name)
{
    zip_stat_t st;
    zip_uint8_t opsys = 0;
    zip_uint32_t attributes = 0;
    zip_stat_init(&st);
    if (zip_stat_index(src_zip, index, ZIP_FL_ENC_RAW, &st) < 0 ||
        zip_file_get_external_attributes(src_zip, index, 0, &opsys, &attributes) < 0)
        return seal_error_set(SEAL_EFORMAT, "package entry %s cannot be read: %s", name,
                              zip_strerror(src_zip));
    zip_source_t *src = zip_source_zip(dst, src_zip, index, 0, 0, -1);
    if (!src)
        return seal_error_set(SEAL_EIO, "cannot copy %s: %s", name, zip_strerror(dst));
    zip_int64_t idx = zip_file_add(dst, name, src, ZIP_FL_ENC_GUESS);
    if (idx < 0) {
        zip_source_free(src);
        return seal_error_set(SEAL_EIO, "cannot copy %s: %s", name, zip_strerror(dst));
    }
    if (zip_set_file_compression(dst, (zip_uint64_t)idx, (zip_int32_t)st.comp_method, 0) < 0 ||
        zip_file_set_mtime(dst, (zip_uint64_t)idx, st.mtime, 0) < 0 ||
        zip_file_set_external_attributes(dst, (zip_uint64_t)idx, 0, opsys, attributes) < 0)
        return seal_error_set(SEAL_EIO, "cannot copy %s: %s", name, zip_strerror(dst));
    return 0;
}

int ofd_stamp_write_zip(seal_ofd *doc, seal_outfile *of, const ofd_new_file *replaced,
                        size_t n_replaced, const ofd_new_file *added, size_t n_added, time_t mtime)
{
    int rc = 0;
    zip_t *dst = NULL;
    ofd_sink sink = {.fd = -1};

    SEAL_TRY(ofd_sink_open(&sink, of, &dst));
    zip_int64_t count = zip_get_num_entries(doc->zip, 0);
    for (zip_uint64_t i = 0; count > 0 && i < (zip_uint64_t)count; i++) {
        const char *name = zip_get_name(doc->zip, i, ZIP_FL_ENC_RAW);
        SEAL_ENSURE(name, SEAL_EFORMAT, "package entry %llu cannot be read", (unsigned long long)i);
        const ofd_new_file *change = find_file(replaced, n_replaced, name);
        if (change)
            SEAL_TRY(add_bytes(dst, change, mtime));
        else
            SEAL_TRY(copy_entry(dst, doc->zip, i, name));
    }
    for (size_t i = 0; i < n_added; i++) {
        SEAL_ENSURE(!ofd_entry_find(doc, added[i].path), SEAL_EEXISTS,
                    "the package already has an entry %s", added[i].path);
        SEAL_TRY(add_bytes(dst, &added[i], mtime));
    }
    if (zip_close(dst) < 0)
        SEAL_FAIL(SEAL_EIO, "cannot write the output %s: %s", of->path, zip_strerror(dst));
    dst = NULL;
out:
    if (dst)
        zip_discard(dst);
    ofd_sink_clear(&sink);
    return rc;
}
