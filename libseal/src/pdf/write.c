/* Small writers for PDF object syntax (ISO 32000-1 7.3): re-emitting a dictionary we
 * change, text strings, dates and cross-reference entries. Existing values are written
 * as qpdf unparses them, so references stay "N G R" and nothing outside the changed keys
 * moves. */
#include "pdf_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

int pdf_unparse(seal_buf *out, qpdf_data q, qpdf_oh oh)
{
    const char *text = qpdf_oh_unparse(q, oh);
    if (qpdf_has_error(q))
        return pdf_qpdf_error(q, "the document");
    return seal_buf_append_str(out, text ? text : "null");
}

static bool key_listed(const char *key, const char *const *keys)
{
    for (; keys && *keys; keys++)
        if (strcmp(key, *keys) == 0)
            return true;
    return false;
}

int pdf_write_dict_with(seal_buf *out, qpdf_data q, qpdf_oh dict, const char *const *drop_keys,
                        const char *extra)
{
    int rc = 0;
    SEAL_TRY(seal_buf_append_str(out, "<<"));
    qpdf_oh_begin_dict_key_iter(q, dict);
    while (qpdf_oh_dict_more_keys(q)) {
        const char *key = qpdf_oh_dict_next_key(q);
        if (key_listed(key, drop_keys))
            continue;
        /* Unparsing a name object re-encodes special characters (7.3.5 #xx escapes). */
        SEAL_TRY(seal_buf_append_byte(out, ' '));
        SEAL_TRY(pdf_unparse(out, q, qpdf_oh_new_name(q, key)));
        SEAL_TRY(seal_buf_append_byte(out, ' '));
        SEAL_TRY(pdf_unparse(out, q, qpdf_oh_get_key(q, dict, key)));
    }
    if (extra && *extra) {
        SEAL_TRY(seal_buf_append_byte(out, ' '));
        SEAL_TRY(seal_buf_append_str(out, extra));
    }
    SEAL_TRY(seal_buf_append_str(out, " >>"));
out:
    return rc;
}

int pdf_text_string(seal_buf *out, const char *utf8)
{
    bool ascii = true;
    for (const unsigned char *p = (const unsigned char *)utf8; *p; p++)
        if (*p >= 0x80 || *p < 0x20)
            ascii = false;
    if (ascii) {
        int rc = seal_buf_append_byte(out, '(');
        for (const char *p = utf8; rc == 0 && *p; p++) {
            if (*p == '(' || *p == ')' || *p == '\\')
                rc = seal_buf_append_byte(out, '\\');
            if (rc == 0)
                rc = seal_buf_append_byte(out, (uint8_t)*p);
        }
        return rc ? rc : seal_buf_append_byte(out, ')');
    }
    glong n = 0;
    GError *err = NULL;
    gunichar2 *u16 = g_utf8_to_utf16(utf8, -1, NULL, &n, &err);
    if (!u16) {
        g_clear_error(&err);
        return seal_error_set(SEAL_EINVAL, "text is not valid UTF-8");
    }
    int rc = seal_buf_append_str(out, "<FEFF");
    for (glong i = 0; rc == 0 && i < n; i++)
        rc = seal_buf_printf(out, "%04X", (unsigned)u16[i]);
    g_free(u16);
    return rc ? rc : seal_buf_append_byte(out, '>');
}

void pdf_date(char out[32], time_t t)
{
    /* Our users are in China Standard Time (UTC+8, no daylight saving). */
    time_t local = t + 8 * 3600;
    struct tm tm;
    gmtime_r(&local, &tm);
    strftime(out, 32, "D:%Y%m%d%H%M%S+08'00'", &tm);
}

int pdf_xref_entry(seal_buf *out, bool stream, uint64_t offset, long long gen)
{
    if (!stream)
        return seal_buf_printf(out, "%010llu %05lld n\r\n", (unsigned long long)offset, gen);
    uint8_t row[8] = {1};
    for (int b = 0; b < 5; b++)
        row[1 + b] = (uint8_t)(offset >> (8 * (4 - b)));
    row[6] = (uint8_t)(gen >> 8);
    row[7] = (uint8_t)gen;
    return seal_buf_append(out, row, sizeof row);
}

/* The trailer keys every revision repeats: /Root, /Info, /Encrypt, /ID with the first part
 * kept and a new second part (14.4), /Prev. A hybrid file's /XRefStm is not copied
 * (PDF-SIGN.md section 1). An encrypted file without /ID keeps none: the first part goes
 * into its key (7.6.3.3 Algorithm 2). */
int pdf_trailer_keys(seal_buf *out, const seal_pdf *pdf, long long size)
{
    int rc = 0;
    qpdf_data q = pdf->q;
    qpdf_oh trailer = qpdf_get_trailer(q);
    uint8_t fresh[16];
    seal_buf first = SEAL_BUF_INIT;
    SEAL_ENSURE(RAND_bytes(fresh, sizeof fresh) == 1, SEAL_ECRYPTO, "no random bytes available");
    SEAL_TRY(seal_buf_printf(out, "/Size %lld /Root ", size));
    SEAL_TRY(pdf_unparse(out, q, qpdf_oh_get_key(q, trailer, "/Root")));
    if (qpdf_oh_has_key(q, trailer, "/Info")) {
        SEAL_TRY(seal_buf_append_str(out, " /Info "));
        SEAL_TRY(pdf_unparse(out, q, qpdf_oh_get_key(q, trailer, "/Info")));
    }
    if (pdf->crypt) {
        SEAL_TRY(seal_buf_append_str(out, " /Encrypt "));
        SEAL_TRY(pdf_unparse(out, q, qpdf_oh_get_key(q, trailer, "/Encrypt")));
    }
    qpdf_oh id = qpdf_oh_get_key(q, trailer, "/ID");
    bool has_id = qpdf_oh_is_array(q, id) && qpdf_oh_get_array_n_items(q, id) >= 1 &&
                  qpdf_oh_is_string(q, qpdf_oh_get_array_item(q, id, 0));
    if (!has_id && pdf->crypt) {
        SEAL_TRY(seal_buf_printf(out, " /Prev %llu", (unsigned long long)pdf->startxref));
        goto out;
    }
    if (has_id) {
        size_t len = 0;
        const char *bytes =
            qpdf_oh_get_binary_string_value(q, qpdf_oh_get_array_item(q, id, 0), &len);
        SEAL_TRY(seal_hex_encode(&first, (const uint8_t *)bytes, len, false));
    } else {
        SEAL_TRY(seal_hex_encode(&first, fresh, sizeof fresh, false));
    }
    SEAL_TRY(seal_buf_printf(out, " /ID [<%s> <", (const char *)first.data));
    SEAL_TRY(seal_hex_encode(out, fresh, sizeof fresh, false));
    SEAL_TRY(seal_buf_printf(out, ">] /Prev %llu", (unsigned long long)pdf->startxref));
out:
    seal_buf_clear(&first);
    return rc;
}
