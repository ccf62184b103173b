/* The incremental updates that B-LT and B-LTA append to a signed document (ISO 32000-1
 * 7.5.6): a /DSS and its streams, or a document timestamp's field and signature
 * dictionary. Like the stamper's update it re-emits only changed objects, keeps the
 * previous revision's kind of cross-reference section, /Prev, /Root, /Info and the first
 * /ID, and is written atomically; the input is never touched (PDF-SIGN.md section 1).
 * In an encrypted document the update is encrypted with the document's key as the
 * stamper's is (encrypt.h), but for a document timestamp's /Contents (ISO 32000-1 7.6.1). */
#include "encrypt.h"
#include "ltv_internal.h"

#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* "[0 a b c]" with each of a, b, c up to 20 digits: fits any 64-bit offset. */
#define BYTE_RANGE_WIDTH 66

int pdf_update_init(pdf_update *u, seal_pdf *pdf)
{
    memset(u, 0, sizeof *u);
    u->pdf = pdf;
    u->crypt = pdf->crypt;
    u->next_obj = pdf->next_obj;
    /* The update starts on a line of its own (7.5.6). */
    uint8_t last = pdf->map_len ? (uint8_t)pdf->map[pdf->map_len - 1] : '\n';
    if (last != '\n' && last != '\r')
        return seal_buf_append_byte(&u->text, '\n');
    return 0;
}

void pdf_update_clear(pdf_update *u)
{
    seal_buf_clear(&u->text);
    free(u->rows);
    u->rows = NULL;
    u->n_rows = u->cap_rows = 0;
}

long long pdf_update_new_number(pdf_update *u)
{
    return u->next_obj++;
}

static uint64_t offset_now(const pdf_update *u)
{
    return u->pdf->file_size + u->text.len;
}

static int add_row(pdf_update *u, long long num, long long gen)
{
    for (size_t i = 0; i < u->n_rows; i++)
        if (u->rows[i].num == num)
            return seal_error_set(SEAL_EUNSUPPORTED, "object %lld would be written twice", num);
    if (u->n_rows == u->cap_rows) {
        size_t cap = u->cap_rows ? 2 * u->cap_rows : 32;
        pdf_xref_row *rows = realloc(u->rows, cap * sizeof *rows);
        if (!rows)
            return seal_error_set(SEAL_ENOMEM, "out of memory");
        u->rows = rows;
        u->cap_rows = cap;
    }
    u->rows[u->n_rows++] = (pdf_xref_row){num, gen, offset_now(u)};
    return 0;
}

/* "N G obj", remembering where the object's text starts for its encryption. */
static int object_header(pdf_update *u, long long num, long long gen)
{
    int rc = seal_buf_printf(&u->text, "%lld %lld obj\n", num, gen);
    u->obj_num = num;
    u->obj_gen = gen;
    u->obj_body = u->text.len;
    return rc;
}

int pdf_update_begin_object(pdf_update *u, long long num, long long gen)
{
    int rc = add_row(u, num, gen);
    return rc < 0 ? rc : object_header(u, num, gen);
}

int pdf_update_end_object(pdf_update *u)
{
    if (u->crypt) {
        /* ISO 32000-1 7.6.1: every string of the object, but a signature's /Contents. */
        size_t keep =
            u->contents_len && u->contents_pos >= u->obj_body ? u->contents_pos : SIZE_MAX;
        int rc =
            pdf_crypt_object_text(&u->text, u->obj_body, u->crypt, u->obj_num, u->obj_gen, keep);
        if (rc < 0)
            return rc;
    }
    return seal_buf_append_str(&u->text, "\nendobj\n");
}

/* The object's text, its data encrypted when `crypt` is set (7.6.2: after the filters);
 * its xref row is the caller's. */
static int stream_text(pdf_update *u, long long num, const char *keys, const uint8_t *data,
                       size_t len)
{
    int rc = 0;
    seal_buf sealed = SEAL_BUF_INIT;
    if (u->crypt) {
        SEAL_TRY(pdf_crypt_stream(&sealed, u->crypt, num, 0, data, len));
        data = sealed.data;
        len = sealed.len;
    }
    SEAL_TRY(object_header(u, num, 0));
    SEAL_TRY(seal_buf_printf(&u->text, "<< %s /Length %zu >>\nstream\n", keys, len));
    SEAL_TRY(seal_buf_append(&u->text, data, len));
    SEAL_TRY(seal_buf_append_str(&u->text, "\nendstream"));
    SEAL_TRY(pdf_update_end_object(u));
out:
    seal_buf_clear(&sealed);
    return rc;
}

int pdf_update_stream(pdf_update *u, long long num, const char *keys, const uint8_t *data,
                      size_t len)
{
    int rc = 0;
    seal_buf z = SEAL_BUF_INIT, dict = SEAL_BUF_INIT;
    uLongf z_len = compressBound((uLong)len);
    SEAL_TRY(seal_buf_reserve(&z, z_len));
    SEAL_ENSURE(compress2(z.data, &z_len, data, (uLong)len, 6) == Z_OK, SEAL_ENOMEM,
                "cannot compress a stream");
    SEAL_TRY(seal_buf_printf(&dict, "%s%s/Filter /FlateDecode", keys, *keys ? " " : ""));
    SEAL_TRY(add_row(u, num, 0));
    SEAL_TRY(stream_text(u, num, (const char *)dict.data, z.data, z_len));
out:
    seal_buf_clear(&z);
    seal_buf_clear(&dict);
    return rc;
}

int pdf_update_reemit(pdf_update *u, qpdf_oh obj, const char *text)
{
    int rc = 0;
    qpdf_data q = u->pdf->q;
    SEAL_TRY(
        pdf_update_begin_object(u, qpdf_oh_get_object_id(q, obj), qpdf_oh_get_generation(q, obj)));
    SEAL_TRY(seal_buf_append_str(&u->text, text));
    SEAL_TRY(pdf_update_end_object(u));
out:
    return rc;
}

static int array_with(seal_buf *out, qpdf_data q, qpdf_oh array, long long ref)
{
    int rc = 0;
    SEAL_TRY(seal_buf_append_str(out, "["));
    int n = qpdf_oh_is_array(q, array) ? qpdf_oh_get_array_n_items(q, array) : 0;
    for (int i = 0; i < n; i++) {
        SEAL_TRY(seal_buf_append_byte(out, ' '));
        SEAL_TRY(pdf_unparse(out, q, qpdf_oh_get_array_item(q, array, i)));
    }
    SEAL_TRY(seal_buf_printf(out, " %lld 0 R ]", ref));
out:
    return rc;
}

int pdf_update_append_ref(pdf_update *u, qpdf_oh dict, const char *key, long long ref,
                          seal_buf *dict_text)
{
    int rc = 0;
    qpdf_data q = u->pdf->q;
    seal_buf more = SEAL_BUF_INIT;
    qpdf_oh value = qpdf_oh_get_key(q, dict, key);
    if (qpdf_oh_is_array(q, value) && qpdf_oh_is_indirect(q, value)) {
        SEAL_TRY(pdf_update_begin_object(u, qpdf_oh_get_object_id(q, value),
                                         qpdf_oh_get_generation(q, value)));
        SEAL_TRY(array_with(&u->text, q, value, ref));
        SEAL_TRY(pdf_update_end_object(u));
    } else {
        const char *drop[] = {key, NULL};
        SEAL_TRY(seal_buf_printf(&more, "%s ", key));
        SEAL_TRY(array_with(&more, q, value, ref));
        SEAL_TRY(pdf_write_dict_with(dict_text, q, dict, drop, (const char *)more.data));
    }
out:
    seal_buf_clear(&more);
    return rc;
}

int pdf_update_placeholders(pdf_update *u, size_t contents_bytes)
{
    int rc = 0;
    SEAL_TRY(seal_buf_append_str(&u->text, "/ByteRange "));
    u->byte_range_pos = u->text.len;
    SEAL_TRY(seal_buf_printf(&u->text, "%-*s", BYTE_RANGE_WIDTH, "[0 0 0 0]"));
    SEAL_TRY(seal_buf_append_str(&u->text, "\n/Contents "));
    u->contents_pos = u->text.len;
    SEAL_TRY(seal_buf_reserve(&u->text, contents_bytes * 2 + 2));
    u->text.data[u->text.len++] = '<';
    memset(u->text.data + u->text.len, '0', contents_bytes * 2);
    u->text.len += contents_bytes * 2;
    u->text.data[u->text.len++] = '>';
    u->contents_len = u->text.len - u->contents_pos;
out:
    return rc;
}

static int compare_rows(const void *a, const void *b)
{
    long long x = ((const pdf_xref_row *)a)->num, y = ((const pdf_xref_row *)b)->num;
    return x < y ? -1 : x > y;
}

int pdf_update_finish(pdf_update *u)
{
    int rc = 0;
    seal_buf keys = SEAL_BUF_INIT, data = SEAL_BUF_INIT, index = SEAL_BUF_INIT;
    seal_buf dict = SEAL_BUF_INIT;
    bool stream = u->pdf->xref_is_stream;
    long long xref_obj = stream ? pdf_update_new_number(u) : 0;
    uint64_t xref_offset = offset_now(u);
    SEAL_ENSURE(xref_offset < (1ull << 40), SEAL_EUNSUPPORTED,
                "the file is too large for this cross-reference layout");
    if (stream)
        SEAL_TRY(add_row(u, xref_obj, 0)); /* 7.5.8.4: the stream lists itself */
    qsort(u->rows, u->n_rows, sizeof u->rows[0], compare_rows);
    for (size_t i = 0; i < u->n_rows;) {
        size_t j = i + 1;
        while (j < u->n_rows && u->rows[j].num == u->rows[j - 1].num + 1)
            j++;
        if (stream)
            SEAL_TRY(
                seal_buf_printf(&index, "%s%lld %zu", index.len ? " " : "", u->rows[i].num, j - i));
        else
            SEAL_TRY(seal_buf_printf(&data, "%lld %zu\n", u->rows[i].num, j - i));
        for (size_t k = i; k < j; k++) {
            const pdf_xref_row *r = &u->rows[k];
            SEAL_TRY(pdf_xref_entry(&data, stream, r->offset, r->gen));
        }
        i = j;
    }
    SEAL_TRY(pdf_trailer_keys(&keys, u->pdf, u->next_obj));
    if (stream) {
        SEAL_TRY(seal_buf_printf(&dict, "/Type /XRef /W [1 5 2] /Index [%s] %s",
                                 (const char *)index.data, (const char *)keys.data));
        /* 7.5.8.4 / 7.6.1: a cross-reference stream is never encrypted; it is the last
         * object of the update. */
        u->crypt = NULL;
        SEAL_TRY(stream_text(u, xref_obj, (const char *)dict.data, data.data, data.len));
    } else {
        SEAL_TRY(seal_buf_append_str(&u->text, "xref\n"));
        SEAL_TRY(seal_buf_append(&u->text, data.data, data.len));
        SEAL_TRY(seal_buf_printf(&u->text, "trailer\n<< %s >>\n", (const char *)keys.data));
    }
    SEAL_TRY(
        seal_buf_printf(&u->text, "startxref\n%llu\n%%%%EOF\n", (unsigned long long)xref_offset));
out:
    seal_buf_clear(&keys);
    seal_buf_clear(&data);
    seal_buf_clear(&index);
    seal_buf_clear(&dict);
    return rc;
}

/* ISO 32000-1 12.8.1: the ByteRange covers everything but the <hex> /Contents token. */
static int fill_contents(pdf_update *u, const EVP_MD *md, pdf_contents_fn fill, void *ctx,
                         size_t *needed)
{
    int rc = 0;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    seal_buf der = SEAL_BUF_INIT, hex = SEAL_BUF_INIT;
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned digest_len = 0;
    uint64_t a = u->pdf->file_size + u->contents_pos, b = a + u->contents_len;
    uint64_t end = u->pdf->file_size + u->text.len;
    char range[128];
    int n = snprintf(range, sizeof range, "[0 %llu %llu %llu]", (unsigned long long)a,
                     (unsigned long long)b, (unsigned long long)(end - b));
    memset(u->text.data + u->byte_range_pos, ' ', BYTE_RANGE_WIDTH);
    memcpy(u->text.data + u->byte_range_pos, range, (size_t)n);

    SEAL_ENSURE(mctx, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(EVP_DigestInit_ex(mctx, md, NULL) == 1 &&
                    EVP_DigestUpdate(mctx, u->pdf->map, u->pdf->map_len) == 1 &&
                    EVP_DigestUpdate(mctx, u->text.data, u->contents_pos) == 1 &&
                    EVP_DigestUpdate(mctx, u->text.data + u->contents_pos + u->contents_len,
                                     u->text.len - u->contents_pos - u->contents_len) == 1 &&
                    EVP_DigestFinal_ex(mctx, digest, &digest_len) == 1,
                SEAL_ECRYPTO, "cannot hash the document");
    SEAL_TRY(fill(ctx, &der, digest, digest_len));
    if (der.len * 2 > u->contents_len - 2) {
        *needed = der.len;
        SEAL_FAIL(SEAL_EUNSUPPORTED, "the timestamp (%zu bytes) does not fit its placeholder",
                  der.len);
    }
    SEAL_TRY(seal_hex_encode(&hex, der.data, der.len, false));
    memcpy(u->text.data + u->contents_pos + 1, hex.data, hex.len);
out:
    EVP_MD_CTX_free(mctx);
    seal_buf_clear(&der);
    seal_buf_clear(&hex);
    return rc;
}

int pdf_update_write(pdf_update *u, const char *out, const EVP_MD *md, pdf_contents_fn fill,
                     void *ctx, size_t *needed)
{
    int rc = 0;
    seal_outfile of = SEAL_OUTFILE_INIT;
    /* Everything the update copies has been read: an object qpdf found elsewhere than the
     * cross-reference says (an earlier /DSS, say) was read as null and would be dropped. */
    SEAL_TRY(pdf_qpdf_refuse_warnings(u->pdf->q, u->pdf->path, false, PDF_REFUSE_REPAIRED));
    if (u->contents_len)
        SEAL_TRY(fill_contents(u, md, fill, ctx, needed));
    SEAL_TRY(seal_outfile_open(&of, out));
    SEAL_TRY(seal_outfile_write_at(&of, u->pdf->map, u->pdf->map_len, 0));
    SEAL_TRY(seal_outfile_write_at(&of, u->text.data, u->text.len, u->pdf->map_len));
    SEAL_TRY(seal_outfile_commit(&of, 0644));
out:
    seal_outfile_abort(&of);
    return rc;
}
