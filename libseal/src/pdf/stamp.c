/* Stamping a PDF: one incremental update (PDF-SIGN.md sections 1-3) that adds a signature
 * field merged with its widget, the seal's appearance, and a signature dictionary with
 * placeholders; then the ByteRange digest, the CMS, and an atomic rename.
 *
 * The input is read once (stamp_input.c): hashed on a helper thread while this one parses
 * the document, and copied by the kernel into the new output, so memory stays bounded
 * whatever the file's size. */
#include "encrypt.h"
#include "ltv_internal.h"
#include "mdp.h"
#include "qr.h"
#include "stamp_internal.h"

#include <seal/cms.h>
#include <seal/error.h>
#include <seal/place.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "[0 a b c]" with each of a, b, c up to 20 digits: fits any 64-bit offset. */
#define BYTE_RANGE_WIDTH 66

typedef struct xref_entry {
    long long num;
    long long gen;
    uint64_t offset;
} xref_entry;

typedef struct update {
    seal_buf text;          /* the bytes appended to the input */
    uint64_t base;          /* file offset of text.data[0] */
    uint64_t header;        /* bytes before "%PDF-": cross-reference offsets count from there */
    const pdf_crypt *crypt; /* an encrypted input's key: our strings and streams use it */
    long long obj_num, obj_gen;
    size_t obj_body;     /* offset in text of the object being written, after "N G obj" */
    xref_entry *entries; /* the objects written, in the order written */
    size_t n_entries;
    size_t cap_entries;
    size_t byte_range_pos; /* offset in text of the ByteRange array */
    size_t contents_pos;   /* offset in text of the '<' of /Contents */
    size_t contents_len;   /* length of "<...>" */
} update;

static int add_entry(update *u, xref_entry entry)
{
    if (u->n_entries == u->cap_entries) {
        size_t cap = u->cap_entries ? u->cap_entries * 2 : 32;
        xref_entry *grown = realloc(u->entries, cap * sizeof *grown);
        if (!grown)
            return seal_error_set(SEAL_ENOMEM, "out of memory for the update's objects");
        u->entries = grown;
        u->cap_entries = cap;
    }
    u->entries[u->n_entries++] = entry;
    return 0;
}

static int begin_object(update *u, long long num, long long gen)
{
    for (size_t i = 0; i < u->n_entries; i++)
        if (u->entries[i].num == num)
            return seal_error_set(SEAL_EUNSUPPORTED,
                                  "object %lld would be rewritten twice; this document's "
                                  "structure is not supported",
                                  num);
    int rc = add_entry(u, (xref_entry){num, gen, u->base - u->header + u->text.len});
    if (rc < 0)
        return rc;
    u->obj_num = num;
    u->obj_gen = gen;
    rc = seal_buf_printf(&u->text, "%lld %lld obj\n", num, gen);
    u->obj_body = u->text.len;
    return rc;
}

static int end_object(update *u)
{
    if (u->crypt) {
        /* ISO 32000-1 7.6.1: every string of the object, except a signature's /Contents. */
        size_t keep = u->contents_pos >= u->obj_body ? u->contents_pos : SIZE_MAX;
        int rc =
            pdf_crypt_object_text(&u->text, u->obj_body, u->crypt, u->obj_num, u->obj_gen, keep);
        if (rc < 0)
            return rc;
    }
    return seal_buf_append_str(&u->text, "\nendobj\n");
}

static int write_stream(update *u, long long num, const char *dict_keys, const seal_buf *data)
{
    int rc = 0;
    seal_buf sealed = SEAL_BUF_INIT;
    if (u->crypt) {
        SEAL_TRY(pdf_crypt_stream(&sealed, u->crypt, num, 0, data->data, data->len));
        data = &sealed;
    }
    SEAL_TRY(begin_object(u, num, 0));
    SEAL_TRY(seal_buf_printf(&u->text, "<< %s /Length %zu >>\nstream\n", dict_keys, data->len));
    SEAL_TRY(seal_buf_append(&u->text, data->data, data->len));
    SEAL_TRY(seal_buf_append_str(&u->text, "\nendstream"));
    SEAL_TRY(end_object(u));
out:
    seal_buf_clear(&sealed);
    return rc;
}

static int write_array_with(seal_buf *out, qpdf_data q, qpdf_oh array, const long long *refs,
                            size_t n_refs)
{
    int rc = 0;
    SEAL_TRY(seal_buf_append_str(out, "["));
    if (qpdf_oh_is_array(q, array)) {
        int n = qpdf_oh_get_array_n_items(q, array);
        for (int i = 0; i < n; i++) {
            SEAL_TRY(seal_buf_append_byte(out, ' '));
            SEAL_TRY(pdf_unparse(out, q, qpdf_oh_get_array_item(q, array, i)));
        }
    }
    for (size_t i = 0; i < n_refs; i++)
        SEAL_TRY(seal_buf_printf(out, " %lld 0 R", refs[i]));
    SEAL_TRY(seal_buf_append_str(out, " ]"));
out:
    return rc;
}

/* Appends `refs` to dict[key] (an array, direct or indirect) and re-emits what changed:
 * the indirect array alone, or else the dictionary (returned in *dict_text with `extra`
 * keys added, for the caller to emit). */
static int append_to_array_key(update *u, qpdf_data q, qpdf_oh dict, const char *key,
                               const long long *refs, size_t n_refs, seal_buf *dict_text,
                               const char *extra)
{
    int rc = 0;
    seal_buf more = SEAL_BUF_INIT;
    qpdf_oh value = qpdf_oh_get_key(q, dict, key);
    if (qpdf_oh_is_array(q, value) && qpdf_oh_is_indirect(q, value)) {
        SEAL_TRY(
            begin_object(u, qpdf_oh_get_object_id(q, value), qpdf_oh_get_generation(q, value)));
        SEAL_TRY(write_array_with(&u->text, q, value, refs, n_refs));
        SEAL_TRY(end_object(u));
        if (extra) {
            const char *drop[] = {"/NeedAppearances", "/SigFlags", NULL};
            SEAL_TRY(pdf_write_dict_with(dict_text, q, dict, drop, extra));
        }
    } else {
        SEAL_TRY(seal_buf_printf(&more, "%s ", key));
        SEAL_TRY(write_array_with(&more, q, value, refs, n_refs));
        if (extra)
            SEAL_TRY(seal_buf_printf(&more, " %s", extra));
        const char *drop[] = {key, "/NeedAppearances", extra ? "/SigFlags" : NULL, NULL};
        SEAL_TRY(pdf_write_dict_with(dict_text, q, dict, drop, (const char *)more.data));
    }
out:
    seal_buf_clear(&more);
    return rc;
}

static int emit_dict_object(update *u, qpdf_data q, qpdf_oh obj, const seal_buf *text)
{
    int rc = 0;
    SEAL_TRY(begin_object(u, qpdf_oh_get_object_id(q, obj), qpdf_oh_get_generation(q, obj)));
    SEAL_TRY(seal_buf_append(&u->text, text->data, text->len));
    SEAL_TRY(end_object(u));
out:
    return rc;
}

/* Adds the field to the AcroForm (ISO 32000-1 12.7.2): /Fields gains it, /SigFlags 3
 * (SignaturesExist | AppendOnly), /NeedAppearances dropped (PDF-SIGN.md section 2). */
static int add_to_acroform(update *u, seal_pdf *pdf, long long field, long long *next_obj,
                           const seal_buf *perms)
{
    int rc = 0;
    qpdf_data q = pdf->q;
    seal_buf form = SEAL_BUF_INIT, extra = SEAL_BUF_INIT, catalog = SEAL_BUF_INIT;
    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh acro = qpdf_oh_get_key(q, root, "/AcroForm");
    const char *drop_acro[] = {"/AcroForm", perms->len ? "/Perms" : NULL, NULL};

    if (perms->len)
        SEAL_TRY(seal_buf_printf(&extra, "%s ", (const char *)perms->data));
    if (qpdf_oh_is_dictionary(q, acro)) {
        SEAL_TRY(append_to_array_key(u, q, acro, "/Fields", &field, 1, &form, "/SigFlags 3"));
        if (qpdf_oh_is_indirect(q, acro)) {
            SEAL_TRY(emit_dict_object(u, q, acro, &form));
            if (perms->len) {
                SEAL_TRY(
                    pdf_write_dict_with(&catalog, q, root, drop_acro, (const char *)perms->data));
                SEAL_TRY(emit_dict_object(u, q, root, &catalog));
            }
        } else {
            SEAL_TRY(seal_buf_printf(&extra, "/AcroForm %s", (const char *)form.data));
            SEAL_TRY(pdf_write_dict_with(&catalog, q, root, drop_acro, (const char *)extra.data));
            SEAL_TRY(emit_dict_object(u, q, root, &catalog));
        }
    } else {
        long long num = (*next_obj)++;
        SEAL_TRY(begin_object(u, num, 0));
        SEAL_TRY(seal_buf_printf(&u->text, "<< /Fields [ %lld 0 R ] /SigFlags 3 >>", field));
        SEAL_TRY(end_object(u));
        SEAL_TRY(seal_buf_printf(&extra, "/AcroForm %lld 0 R", num));
        SEAL_TRY(pdf_write_dict_with(&catalog, q, root, drop_acro, (const char *)extra.data));
        SEAL_TRY(emit_dict_object(u, q, root, &catalog));
    }
out:
    seal_buf_clear(&form);
    seal_buf_clear(&extra);
    seal_buf_clear(&catalog);
    return rc;
}

static int add_to_page(update *u, seal_pdf *pdf, qpdf_oh page, const long long *widgets,
                       size_t n_widgets)
{
    int rc = 0;
    seal_buf text = SEAL_BUF_INIT;
    SEAL_TRY(append_to_array_key(u, pdf->q, page, "/Annots", widgets, n_widgets, &text, NULL));
    if (text.len)
        SEAL_TRY(emit_dict_object(u, pdf->q, page, &text));
out:
    seal_buf_clear(&text);
    return rc;
}

/* A field name no top-level field uses yet: "Seal1", "Seal2"... */
static int unique_field_name(seal_pdf *pdf, char out[32])
{
    qpdf_data q = pdf->q;
    qpdf_oh acro = qpdf_oh_get_key(q, qpdf_get_root(q), "/AcroForm");
    qpdf_oh fields = qpdf_oh_get_key_if_dict(q, acro, "/Fields");
    int n = qpdf_oh_is_array(q, fields) ? qpdf_oh_get_array_n_items(q, fields) : 0;
    for (int k = 1; k < 100000; k++) {
        snprintf(out, 32, "Seal%d", k);
        bool used = false;
        for (int i = 0; i < n && !used; i++) {
            qpdf_oh t = qpdf_oh_get_key_if_dict(q, qpdf_oh_get_array_item(q, fields, i), "/T");
            used = qpdf_oh_is_string(q, t) && strcmp(qpdf_oh_get_utf8_value(q, t), out) == 0;
        }
        if (!used)
            return 0;
    }
    return seal_error_set(SEAL_EUNSUPPORTED, "the document has too many signature fields");
}

static int write_signature_dict(update *u, long long num, const seal_pdf_stamp_opts *opts,
                                size_t contents_bytes, const seal_buf *references)
{
    int rc = 0;
    char date[32];
    pdf_date(date, opts->signing_time ? opts->signing_time : time(NULL));
    SEAL_TRY(begin_object(u, num, 0));
    SEAL_TRY(seal_buf_append_str(&u->text, "<< /Type /Sig /Filter /Adobe.PPKLite "
                                           "/SubFilter /ETSI.CAdES.detached /ByteRange "));
    u->byte_range_pos = u->text.len;
    SEAL_TRY(seal_buf_printf(&u->text, "%-*s", BYTE_RANGE_WIDTH, "[0 0 0 0]"));
    SEAL_TRY(seal_buf_append_str(&u->text, "\n/Contents "));
    u->contents_pos = u->text.len;
    SEAL_TRY(seal_buf_append_byte(&u->text, '<'));
    SEAL_TRY(seal_buf_reserve(&u->text, contents_bytes * 2 + 2));
    memset(u->text.data + u->text.len, '0', contents_bytes * 2);
    u->text.len += contents_bytes * 2;
    SEAL_TRY(seal_buf_append_byte(&u->text, '>'));
    u->contents_len = u->text.len - u->contents_pos;
    SEAL_TRY(seal_buf_printf(&u->text, "\n/M (%s)", date));
    if (opts->seal_name) {
        SEAL_TRY(seal_buf_append_str(&u->text, " /Name "));
        SEAL_TRY(pdf_text_string(&u->text, opts->seal_name));
    }
    if (opts->reason) {
        SEAL_TRY(seal_buf_append_str(&u->text, " /Reason "));
        SEAL_TRY(pdf_text_string(&u->text, opts->reason));
    }
    if (opts->location) {
        SEAL_TRY(seal_buf_append_str(&u->text, " /Location "));
        SEAL_TRY(pdf_text_string(&u->text, opts->location));
    }
    SEAL_TRY(seal_buf_append_str(&u->text, " /Prop_Build << /Filter << /Name /Adobe.PPKLite >> "
                                           "/App << /Name /sealsvc /REx (" SEAL_VERSION ") >> >>"));
    if (references->len)
        SEAL_TRY(seal_buf_append(&u->text, references->data, references->len));
    SEAL_TRY(seal_buf_append_str(&u->text, " >>"));
    SEAL_TRY(end_object(u));
out:
    return rc;
}

/* The widget's appearance: a form drawing the picture (image XObject `img`) upright, and
 * the QR code (image XObject `qr_img`) beside it when the widget has one. */
static int write_appearance(update *u, long long ap, long long img, const pdf_widget *w,
                            long long qr_img)
{
    int rc = 0;
    seal_buf keys = SEAL_BUF_INIT, content = SEAL_BUF_INIT, qr_keys = SEAL_BUF_INIT;
    const seal_place_rect *place = &w->place;
    SEAL_TRY(
        seal_buf_printf(&content, "q %.4f 0 0 %.4f 0 0 cm /Seal Do Q", w->width_pt, w->height_pt));
    if (w->qr) {
        /* Beside the seal, centred on its height; modules stay sharp (8.9.5.3). */
        double side = w->height_pt * PDF_QR_SIDE_OF_SEAL, gap = seal_mm_to_pt(PDF_QR_GAP_MM);
        SEAL_TRY(seal_buf_printf(&content, " q %.4f 0 0 %.4f %.4f %.4f cm /QR Do Q", side, side,
                                 w->width_pt + gap, (w->height_pt - side) / 2));
        SEAL_TRY(seal_buf_printf(&qr_keys, " /QR %lld 0 R", qr_img));
    }
    SEAL_TRY(seal_buf_printf(&keys,
                             "/Type /XObject /Subtype /Form /BBox [0 0 %.4f %.4f] "
                             "/Matrix [%g %g %g %g 0 0] /Resources << /XObject << /Seal %lld 0 R%s "
                             ">> >>",
                             w->box_width_pt, w->height_pt, place->matrix[0], place->matrix[1],
                             place->matrix[2], place->matrix[3], img,
                             w->qr ? (const char *)qr_keys.data : ""));
    SEAL_TRY(write_stream(u, ap, (const char *)keys.data, &content));
out:
    seal_buf_clear(&keys);
    seal_buf_clear(&content);
    seal_buf_clear(&qr_keys);
    return rc;
}

/* The QR code's image, shared by every widget that shows it. */
static int write_qr_image(update *u, long long qr_img, const pdf_qr *qr)
{
    int rc = 0;
    seal_buf keys = SEAL_BUF_INIT;
    SEAL_TRY(seal_buf_printf(&keys,
                             "/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                             "/DeviceGray /BitsPerComponent 8 /Interpolate false /Filter "
                             "/FlateDecode",
                             qr->modules, qr->modules));
    SEAL_TRY(write_stream(u, qr_img, (const char *)keys.data, &qr->gray_z));
out:
    seal_buf_clear(&keys);
    return rc;
}

/* A picture as an image XObject `img` with its alpha in the /SMask `img + 1`. */
static int write_picture(update *u, long long img, const pdf_seal_image *image)
{
    int rc = 0;
    long long smask = img + 1;
    seal_buf keys = SEAL_BUF_INIT;
    SEAL_TRY(seal_buf_printf(&keys,
                             "/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                             "/DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /SMask %lld 0 R",
                             image->width, image->height, smask));
    SEAL_TRY(write_stream(u, img, (const char *)keys.data, &image->rgb_z));

    keys.len = 0;
    SEAL_TRY(seal_buf_printf(&keys,
                             "/Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
                             "/DeviceGray /BitsPerComponent 8 /Filter /FlateDecode",
                             image->width, image->height));
    SEAL_TRY(write_stream(u, smask, (const char *)keys.data, &image->alpha_z));
out:
    seal_buf_clear(&keys);
    return rc;
}

static int compare_entries(const void *a, const void *b)
{
    long long x = ((const xref_entry *)a)->num, y = ((const xref_entry *)b)->num;
    return x < y ? -1 : x > y;
}

/* A classic table (7.5.4) when the last revision had one, else a stream (7.5.8). */
static int write_xref(update *u, seal_pdf *pdf, long long size)
{
    int rc = 0;
    seal_buf keys = SEAL_BUF_INIT, data = SEAL_BUF_INIT, index = SEAL_BUF_INIT;
    long long xref_obj = size;
    uint64_t xref_offset = u->base - u->header + u->text.len;
    if (pdf->xref_is_stream) {
        SEAL_TRY(add_entry(u, (xref_entry){xref_obj, 0, xref_offset}));
        size = xref_obj + 1;
    }
    qsort(u->entries, u->n_entries, sizeof u->entries[0], compare_entries);

    for (size_t i = 0; i < u->n_entries;) {
        size_t j = i + 1;
        while (j < u->n_entries && u->entries[j].num == u->entries[j - 1].num + 1)
            j++;
        if (pdf->xref_is_stream) {
            SEAL_TRY(seal_buf_printf(&index, "%s%lld %zu", index.len ? " " : "", u->entries[i].num,
                                     j - i));
        } else {
            SEAL_TRY(seal_buf_printf(&data, "%lld %zu\n", u->entries[i].num, j - i));
        }
        for (size_t k = i; k < j; k++) {
            const xref_entry *e = &u->entries[k];
            SEAL_TRY(pdf_xref_entry(&data, pdf->xref_is_stream, e->offset, e->gen));
        }
        i = j;
    }
    /* 5-byte offsets in our stream (/W [1 5 2]); 10 digits in a table (7.5.4). */
    SEAL_ENSURE(xref_offset < (pdf->xref_is_stream ? (1ull << 40) : 10000000000ull),
                SEAL_EUNSUPPORTED,
                "the file is too large for its kind of cross-reference section (%s)",
                pdf->xref_is_stream ? "over 1 TiB" : "over 9.3 GiB with a classic table");
    SEAL_TRY(pdf_trailer_keys(&keys, pdf, size));
    if (pdf->xref_is_stream) {
        seal_buf dict = SEAL_BUF_INIT;
        rc = seal_buf_printf(&dict, "/Type /XRef /W [1 5 2] /Index [%s] %s",
                             (const char *)index.data, (const char *)keys.data);
        if (rc == 0) {
            u->n_entries--; /* begin_object would record it twice */
            /* 7.5.8.4 / 7.6.1: a cross-reference stream is never encrypted. */
            u->crypt = NULL;
            rc = write_stream(u, xref_obj, (const char *)dict.data, &data);
        }
        seal_buf_clear(&dict);
        SEAL_TRY(rc);
    } else {
        SEAL_TRY(seal_buf_append_str(&u->text, "xref\n"));
        SEAL_TRY(seal_buf_append(&u->text, data.data, data.len));
        SEAL_TRY(seal_buf_printf(&u->text, "trailer\n<< %s >>\n", (const char *)keys.data));
    }
    SEAL_TRY(
        seal_buf_printf(&u->text, "startxref\n%llu\n%%%%EOF\n", (unsigned long long)xref_offset));
out:
    seal_buf_clear(&index);
    seal_buf_clear(&keys);
    seal_buf_clear(&data);
    return rc;
}

/* A widget annotation (12.5.6.19): Print|Locked (/F 132), on page `page`, showing its
 * appearance `ap` (none when invisible: w is NULL and /Rect is empty). `field_keys` are
 * the field's own keys when the field and its widget are one dictionary (12.7.3.1), or
 * the /Parent and /V of a kid. */
static int write_widget(update *u, seal_pdf *pdf, long long obj, const pdf_widget *w, int page,
                        long long ap, const char *field_keys, const char *seal_name)
{
    int rc = 0;
    qpdf_data q = pdf->q;
    qpdf_oh page_oh = qpdf_get_page_n(q, (size_t)(page - 1));
    SEAL_TRY(begin_object(u, obj, 0));
    SEAL_TRY(
        seal_buf_printf(&u->text, "<< /Type /Annot /Subtype /Widget %s /F 132 /Rect ", field_keys));
    if (w)
        SEAL_TRY(seal_buf_printf(&u->text, "[%.4f %.4f %.4f %.4f]", w->place.rect[0],
                                 w->place.rect[1], w->place.rect[2], w->place.rect[3]));
    else
        SEAL_TRY(seal_buf_append_str(&u->text, "[0 0 0 0]"));
    SEAL_TRY(seal_buf_printf(&u->text, " /P %d %d R", qpdf_oh_get_object_id(q, page_oh),
                             qpdf_oh_get_generation(q, page_oh)));
    if (seal_name) {
        SEAL_TRY(seal_buf_append_str(&u->text, " /TU "));
        SEAL_TRY(pdf_text_string(&u->text, seal_name));
    }
    if (w)
        SEAL_TRY(seal_buf_printf(&u->text, " /AP << /N %lld 0 R >>", ap));
    SEAL_TRY(seal_buf_append_str(&u->text, " >>"));
    SEAL_TRY(end_object(u));
out:
    return rc;
}

/* The signature field. One widget (or none: invisible) is merged into the field; several
 * widgets are the field's /Kids, so that one signature shows the seal on several pages or
 * places. Each kid has /Parent (required for one of several widgets, 12.5.6.19) and also
 * the field's /V: a kid without /T is another representation of the same field, with the
 * same value (12.7.3.2). Poppler (pdfsig, Evince, Okular) reads a kid with /Parent as a
 * field of its own and looks for /V there only; without it the seal shows as unsigned. */
static int write_field(update *u, seal_pdf *pdf, const seal_pdf_stamp_opts *opts,
                       const pdf_widgets *widgets, long long sig, long long field, long long lock,
                       const long long *widget_obj, const long long *ap_obj)
{
    int rc = 0;
    char field_name[32];
    seal_buf keys = SEAL_BUF_INIT;
    SEAL_TRY(unique_field_name(pdf, field_name));
    SEAL_TRY(seal_buf_printf(&keys, "/FT /Sig /T (%s) /V %lld 0 R", field_name, sig));
    if (lock) /* 12.7.4.5: the field's /Lock, an indirect reference */
        SEAL_TRY(seal_buf_printf(&keys, " /Lock %lld 0 R", lock));
    if (widgets->count <= 1) {
        const pdf_widget *w = widgets->count ? &widgets->items[0] : NULL;
        SEAL_TRY(write_widget(u, pdf, field, w, w ? w->page : opts->page, ap_obj[0],
                              (const char *)keys.data, opts->seal_name));
        goto out;
    }
    SEAL_TRY(begin_object(u, field, 0));
    SEAL_TRY(seal_buf_printf(&u->text, "<< %s /Kids [", (const char *)keys.data));
    for (size_t i = 0; i < widgets->count; i++)
        SEAL_TRY(seal_buf_printf(&u->text, " %lld 0 R", widget_obj[i]));
    SEAL_TRY(seal_buf_append_str(&u->text, " ]"));
    if (opts->seal_name) {
        SEAL_TRY(seal_buf_append_str(&u->text, " /TU "));
        SEAL_TRY(pdf_text_string(&u->text, opts->seal_name));
    }
    SEAL_TRY(seal_buf_append_str(&u->text, " >>"));
    SEAL_TRY(end_object(u));
    keys.len = 0;
    SEAL_TRY(seal_buf_printf(&keys, "/Parent %lld 0 R /V %lld 0 R", field, sig));
    for (size_t i = 0; i < widgets->count; i++)
        SEAL_TRY(write_widget(u, pdf, widget_obj[i], &widgets->items[i], widgets->items[i].page,
                              ap_obj[i], (const char *)keys.data, NULL));
out:
    seal_buf_clear(&keys);
    return rc;
}

/* Each page that shows widgets gains them in its /Annots, once per page. */
static int add_widgets_to_pages(update *u, seal_pdf *pdf, const seal_pdf_stamp_opts *opts,
                                const pdf_widgets *widgets, long long field,
                                const long long *widget_obj)
{
    int rc = 0;
    long long *refs = NULL;
    if (widgets->count <= 1) {
        int page = widgets->count ? widgets->items[0].page : opts->page;
        return add_to_page(u, pdf, qpdf_get_page_n(pdf->q, (size_t)(page - 1)), &field, 1);
    }
    refs = calloc(widgets->count, sizeof *refs);
    SEAL_ENSURE(refs, SEAL_ENOMEM, "out of memory for the widgets");
    for (size_t i = 0; i < widgets->count; i++) {
        int page = widgets->items[i].page;
        bool done = false;
        for (size_t k = 0; k < i && !done; k++)
            done = widgets->items[k].page == page;
        if (done)
            continue;
        size_t n = 0;
        for (size_t k = i; k < widgets->count; k++)
            if (widgets->items[k].page == page)
                refs[n++] = widget_obj[k];
        SEAL_TRY(add_to_page(u, pdf, qpdf_get_page_n(pdf->q, (size_t)(page - 1)), refs, n));
    }
out:
    free(refs);
    return rc;
}

/* Builds the whole update in memory with a /Contents gap of contents_bytes. */
static int build_update(update *u, seal_pdf *pdf, const seal_pdf_stamp_opts *opts,
                        const pdf_widgets *widgets, const pdf_qr *qr, size_t contents_bytes,
                        bool need_newline)
{
    int rc = 0;
    seal_buf references = SEAL_BUF_INIT, perms = SEAL_BUF_INIT;
    long long next = pdf->next_obj;
    long long sig = next++, field = next++;
    long long lock = opts->lock_fields ? next++ : 0, qr_img = qr ? next++ : 0;
    /* Object numbers: per widget its annotation (the field itself when merged) and its
     * appearance; per picture shown an image and its soft mask. */
    size_t n_widgets = widgets->count ? widgets->count : 1;
    long long *objs = calloc(2 * n_widgets + widgets->n_pictures, sizeof *objs);
    SEAL_ENSURE(objs, SEAL_ENOMEM, "out of memory for the update's objects");
    long long *widget_obj = objs, *ap_obj = objs + n_widgets, *picture_obj = objs + 2 * n_widgets;
    for (size_t i = 0; i < widgets->count; i++) {
        widget_obj[i] = widgets->count == 1 ? field : next++;
        ap_obj[i] = next++;
    }
    for (size_t k = 0; k < widgets->n_pictures; k++)
        if (widgets->pictures[k].width > 0) {
            picture_obj[k] = next;
            next += 2;
        }
    SEAL_TRY(pdf_write_sig_references(&references, pdf, opts));
    if (opts->certify)
        SEAL_TRY(pdf_write_catalog_perms(&perms, pdf, sig));

    if (need_newline)
        SEAL_TRY(seal_buf_append_byte(&u->text, '\n'));
    SEAL_TRY(write_signature_dict(u, sig, opts, contents_bytes, &references));
    SEAL_TRY(write_field(u, pdf, opts, widgets, sig, field, lock, widget_obj, ap_obj));
    if (lock) {
        SEAL_TRY(begin_object(u, lock, 0));
        SEAL_TRY(pdf_write_field_lock(&u->text, opts));
        SEAL_TRY(end_object(u));
    }
    for (size_t i = 0; i < widgets->count; i++)
        SEAL_TRY(write_appearance(u, ap_obj[i], picture_obj[widgets->items[i].picture],
                                  &widgets->items[i], qr_img));
    for (size_t k = 0; k < widgets->n_pictures; k++)
        if (widgets->pictures[k].width > 0)
            SEAL_TRY(write_picture(u, picture_obj[k], &widgets->pictures[k]));
    if (qr)
        SEAL_TRY(write_qr_image(u, qr_img, qr));
    SEAL_TRY(add_widgets_to_pages(u, pdf, opts, widgets, field, widget_obj));
    SEAL_TRY(add_to_acroform(u, pdf, field, &next, &perms));
    SEAL_TRY(write_xref(u, pdf, next));
out:
    free(objs);
    seal_buf_clear(&references);
    seal_buf_clear(&perms);
    return rc;
}

/* Fills the ByteRange (7.3.4 and 12.8.1): [0, '<') and ('>'+1, EOF). */
static void fill_byte_range(update *u)
{
    uint64_t a = u->base + u->contents_pos;
    uint64_t b = a + u->contents_len;
    uint64_t end = u->base + u->text.len;
    char text[128];
    int n = snprintf(text, sizeof text, "[0 %llu %llu %llu]", (unsigned long long)a,
                     (unsigned long long)b, (unsigned long long)(end - b));
    /* The placeholder was written as BYTE_RANGE_WIDTH characters; pad with spaces. */
    memset(u->text.data + u->byte_range_pos, ' ', BYTE_RANGE_WIDTH);
    memcpy(u->text.data + u->byte_range_pos, text, (size_t)n);
}

static int check_opts(const char *in, const char *out, const seal_pdf_stamp_opts *opts)
{
    if (!in || !out || !opts)
        return seal_error_set(SEAL_EINVAL, "missing input, output or options");
    if (seal_same_file(in, out))
        return seal_error_set(SEAL_EINVAL,
                              "the output must be a new file, not the input (%s): the input is "
                              "never modified",
                              in);
    if (!opts->invisible) {
        if (!opts->image_png || !opts->image_png_len)
            return seal_error_set(SEAL_EINVAL, "a visible seal needs its image");
        if (!(opts->width_mm > 0 && opts->height_mm > 0 && opts->width_mm <= 500 &&
              opts->height_mm <= 500))
            return seal_error_set(SEAL_EINVAL, "seal size %.1f x %.1f mm is not sensible",
                                  opts->width_mm, opts->height_mm);
    }
    if (opts->invisible && opts->qr_url)
        return seal_error_set(SEAL_EINVAL, "a QR code is drawn beside the seal: it needs a "
                                           "visible seal, not --invisible");
    return 0;
}

/* The input's digest is where its pass left off; the output's, that plus the update as
 * written (`text`, its /Contents filled). */
static int stamp_digests(seal_stamp_digests *d, const EVP_MD_CTX *input_md, EVP_MD_CTX *md,
                         const seal_buf *text)
{
    unsigned before = 0, after = 0;
    d->md = EVP_MD_CTX_get0_md(input_md);
    if (EVP_MD_CTX_copy_ex(md, input_md) != 1 || EVP_DigestFinal_ex(md, d->before, &before) != 1 ||
        EVP_MD_CTX_copy_ex(md, input_md) != 1 || EVP_DigestUpdate(md, text->data, text->len) != 1 ||
        EVP_DigestFinal_ex(md, d->after, &after) != 1 || before != after)
        return seal_error_set(SEAL_ECRYPTO, "cannot compute the documents' digests");
    d->len = before;
    return 0;
}

int seal_pdf_stamp(const char *in, const char *out, const seal_signer *signer,
                   const seal_pdf_stamp_opts *opts)
{
    int rc = 0;
    seal_pdf *pdf = NULL;
    pdf_widgets widgets = {NULL, 0, NULL, 0};
    pdf_qr qr = {SEAL_BUF_INIT, 0, NULL};
    update u = {.text = SEAL_BUF_INIT};
    seal_buf cms = SEAL_BUF_INIT, hex = SEAL_BUF_INIT;
    EVP_MD_CTX *input_md = NULL, *md = NULL;
    int in_fd = -1;
    seal_outfile of = SEAL_OUTFILE_INIT;
    pdf_input_pass *pass = NULL;

    SEAL_TRY(check_opts(in, out, opts));
    in_fd = open(in, O_RDONLY | O_CLOEXEC);
    SEAL_ENSURE(in_fd >= 0, SEAL_EIO, "cannot open %s: %s", in, strerror(errno));
    struct stat st;
    SEAL_ENSURE(fstat(in_fd, &st) == 0 && S_ISREG(st.st_mode), SEAL_EIO, "%s is not a regular file",
                in);
    /* The input is hashed on a helper thread, then copied into the output, while this one
     * creates the output and reads the document. */
    SEAL_TRY(pdf_input_pass_start(&pass, in_fd, (uint64_t)st.st_size, in, seal_signer_md(signer)));
    int opened = seal_outfile_open(&of, out);
    if (opened == 0)
        pdf_input_pass_output(pass, &of);

    if (opened == 0)
        opened = pdf_open_fd(&pdf, in_fd, in, opts->password);
    if (opened == 0)
        opened = pdf_check_may_sign(pdf, opts);
    if (opened == 0 && (opts->invisible || !opts->placements) &&
        (opts->page < 1 || opts->page > pdf->page_count))
        opened = seal_error_set(SEAL_ENOTFOUND, "page %d does not exist (document has %d page%s)",
                                opts->page, pdf->page_count, pdf->page_count == 1 ? "" : "s");
    if (opened == 0)
        opened = pdf_widgets_resolve(&widgets, pdf, opts);
    if (opened == 0 && opts->qr_url)
        opened = pdf_qr_prepare(&qr, opts->qr_url, pdf);
    SEAL_TRY(opened); /* the pass is abandoned at out: this error is the one reported */
    rc = pdf_input_pass_finish(pass, &input_md);
    pass = NULL;
    SEAL_TRY(rc);
    SEAL_ENSURE(pdf->file_size == (uint64_t)st.st_size, SEAL_EIO, "%s changed while being stamped",
                in);
    uint8_t last = '\n';
    SEAL_ENSURE(pread(in_fd, &last, 1, (off_t)(pdf->file_size - 1)) == 1, SEAL_EIO,
                "cannot read %s", in);

    md = EVP_MD_CTX_new();
    SEAL_ENSURE(md, SEAL_ENOMEM, "out of memory");

    /* Sign; if the CMS outgrows the reserved gap, rebuild the update with a larger one
     * (PDF-SIGN.md section 3: never truncate). */
    size_t reserve =
        seal_cms_estimate_size(signer) + 256 + (opts->tsa ? SEAL_TSP_TOKEN_ESTIMATE : 0);
    for (int attempt = 0;; attempt++) {
        u.text.len = 0;
        u.n_entries = 0;
        u.base = pdf->file_size;
        u.header = pdf->header_offset;
        u.crypt = pdf->crypt;
        SEAL_TRY(build_update(&u, pdf, opts, &widgets, opts->qr_url ? &qr : NULL, reserve,
                              last != '\n' && last != '\r'));
        /* Everything the update copies has been read now: an object qpdf could not find
         * where the cross-reference says (read as null) would be silently dropped. */
        SEAL_TRY(pdf_qpdf_refuse_warnings(pdf->q, in, false, PDF_REFUSE_REPAIRED));
        fill_byte_range(&u);
        /* Written now and synced beside while the signature is made; the signature goes
         * into its placeholder after. */
        SEAL_TRY(seal_outfile_write_at(&of, u.text.data, u.text.len, pdf->file_size));
        if (attempt == 0)
            seal_outfile_sync_start(&of, 0644);
        uint8_t digest[EVP_MAX_MD_SIZE];
        unsigned digest_len = 0;
        SEAL_ENSURE(EVP_MD_CTX_copy_ex(md, input_md) == 1 &&
                        EVP_DigestUpdate(md, u.text.data, u.contents_pos) == 1 &&
                        EVP_DigestUpdate(md, u.text.data + u.contents_pos + u.contents_len,
                                         u.text.len - u.contents_pos - u.contents_len) == 1 &&
                        EVP_DigestFinal_ex(md, digest, &digest_len) == 1,
                    SEAL_ECRYPTO, "cannot compute the document digest");
        cms.len = 0;
        SEAL_TRY(seal_cms_sign_detached(&cms, signer, digest, digest_len));
        if (opts->tsa)
            SEAL_TRY(pdf_timestamp_signature(&cms, opts->tsa, opts->tsa_trust));
        if (cms.len <= reserve)
            break;
        SEAL_ENSURE(attempt < 2, SEAL_ECRYPTO, "the signature does not fit its placeholder");
        reserve = cms.len + 1024;
    }
    hex.len = 0;
    SEAL_TRY(seal_hex_encode(&hex, cms.data, cms.len, false));
    SEAL_TRY(seal_outfile_write_at(&of, hex.data, hex.len, pdf->file_size + u.contents_pos + 1));
    if (opts->digests) {
        memcpy(u.text.data + u.contents_pos + 1, hex.data, hex.len);
        SEAL_TRY(stamp_digests(opts->digests, input_md, md, &u.text));
    }
    SEAL_TRY(seal_outfile_commit(&of, 0644));
out:
    if (pass)
        pdf_input_pass_finish(pass, NULL);
    seal_outfile_abort(&of);
    if (in_fd >= 0)
        close(in_fd);
    EVP_MD_CTX_free(input_md);
    EVP_MD_CTX_free(md);
    seal_buf_clear(&u.text);
    free(u.entries);
    seal_buf_clear(&cms);
    seal_buf_clear(&hex);
    pdf_widgets_clear(&widgets);
    pdf_qr_clear(&qr);
    seal_pdf_free(pdf);
    return rc;
}
