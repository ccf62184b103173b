/* Stamping a PDF, first phase: one incremental update (PDF-SIGN.md sections 1-3) that adds
 * a signature field merged with its widget, the seal's appearance, and a signature
 * dictionary whose /Contents gap is sized up front; written after a copy of the input
 * into a prepared file beside the output, with the signed attributes over the ByteRange
 * digest for the signer. stamp_finish.c embeds the signature and renames the file.
 *
 * The input is read once (stamp_input.c): hashed on a helper thread while this one parses
 * the document, and copied by the kernel into the prepared file, so memory stays bounded
 * whatever the file's size. */
#include "doc_pdf.h"
#include "encrypt.h"
#include "mdp.h"
#include "qr.h"

#include <seal/cms.h>
#include <seal/error.h>
#include <seal/place.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* "[0 a b c]" with each of a, b, c up to 20 digits: fits any 64-bit offset. */
#define BYTE_RANGE_WIDTH 66
/* Room beyond the estimates: the unsigned attribute around a timestamp token (RFC 5652
 * 5.3: its SET, SEQUENCE and OID) and the length octets of the structures around it that
 * grow with it. */
#define CMS_SLACK 256

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
                /* The catalog keeps its reference to the form: only /Perms is new. */
                const char *drop_perms[] = {"/Perms", NULL};
                SEAL_TRY(
                    pdf_write_dict_with(&catalog, q, root, drop_perms, (const char *)perms->data));
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

static int write_signature_dict(update *u, long long num, const seal_stamp_plan *plan,
                                size_t contents_bytes, const seal_buf *references)
{
    int rc = 0;
    char date[32];
    pdf_date(date, plan->signing_time ? plan->signing_time : time(NULL));
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
    if (plan->seal_name) {
        SEAL_TRY(seal_buf_append_str(&u->text, " /Name "));
        SEAL_TRY(pdf_text_string(&u->text, plan->seal_name));
    }
    if (plan->reason) {
        SEAL_TRY(seal_buf_append_str(&u->text, " /Reason "));
        SEAL_TRY(pdf_text_string(&u->text, plan->reason));
    }
    if (plan->location) {
        SEAL_TRY(seal_buf_append_str(&u->text, " /Location "));
        SEAL_TRY(pdf_text_string(&u->text, plan->location));
    }
    SEAL_TRY(seal_buf_append_str(&u->text, " /Prop_Build << /Filter << /Name /Adobe.PPKLite >> "
                                           "/App << /Name /sealsvc /REx (" SEAL_VERSION ") >> >>"));
    if (plan->grant) {
        /* A private entry (ISO 32000-1 7.12.2: readers ignore keys they do not know),
         * inside the dictionary the ByteRange covers: the grant this stamp used
         * (docs/authorisations.md). */
        SEAL_TRY(seal_buf_append_str(&u->text, "\n/SealsvcGrant << /ID "));
        SEAL_TRY(pdf_text_string(&u->text, plan->grant->id));
        if (plan->grant->project) {
            SEAL_TRY(seal_buf_append_str(&u->text, " /Project "));
            SEAL_TRY(pdf_text_string(&u->text, plan->grant->project));
        }
        if (plan->grant->grantee) {
            SEAL_TRY(seal_buf_append_str(&u->text, " /Grantee "));
            SEAL_TRY(pdf_text_string(&u->text, plan->grant->grantee));
        }
        SEAL_TRY(seal_buf_append_str(&u->text, " >>"));
    }
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
static int write_field(update *u, seal_pdf *pdf, const seal_stamp_plan *plan,
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
        SEAL_TRY(write_widget(u, pdf, field, w, w ? w->page : plan->page, ap_obj[0],
                              (const char *)keys.data, plan->seal_name));
        goto out;
    }
    SEAL_TRY(begin_object(u, field, 0));
    SEAL_TRY(seal_buf_printf(&u->text, "<< %s /Kids [", (const char *)keys.data));
    for (size_t i = 0; i < widgets->count; i++)
        SEAL_TRY(seal_buf_printf(&u->text, " %lld 0 R", widget_obj[i]));
    SEAL_TRY(seal_buf_append_str(&u->text, " ]"));
    if (plan->seal_name) {
        SEAL_TRY(seal_buf_append_str(&u->text, " /TU "));
        SEAL_TRY(pdf_text_string(&u->text, plan->seal_name));
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
static int add_widgets_to_pages(update *u, seal_pdf *pdf, const seal_stamp_plan *plan,
                                const pdf_widgets *widgets, long long field,
                                const long long *widget_obj)
{
    int rc = 0;
    long long *refs = NULL;
    if (widgets->count <= 1) {
        int page = widgets->count ? widgets->items[0].page : plan->page;
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
static int build_update(update *u, seal_pdf *pdf, const seal_stamp_plan *plan,
                        const pdf_widgets *widgets, const pdf_qr *qr, size_t contents_bytes,
                        bool need_newline)
{
    int rc = 0;
    seal_buf references = SEAL_BUF_INIT, perms = SEAL_BUF_INIT;
    long long next = pdf->next_obj;
    long long sig = next++, field = next++;
    long long lock = plan->lock_fields ? next++ : 0, qr_img = qr ? next++ : 0;
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
    SEAL_TRY(pdf_write_sig_references(&references, pdf, plan));
    if (plan->certify)
        SEAL_TRY(pdf_write_catalog_perms(&perms, pdf, sig));

    if (need_newline)
        SEAL_TRY(seal_buf_append_byte(&u->text, '\n'));
    SEAL_TRY(write_signature_dict(u, sig, plan, contents_bytes, &references));
    SEAL_TRY(write_field(u, pdf, plan, widgets, sig, field, lock, widget_obj, ap_obj));
    if (lock) {
        SEAL_TRY(begin_object(u, lock, 0));
        SEAL_TRY(pdf_write_field_lock(&u->text, plan));
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
    SEAL_TRY(add_widgets_to_pages(u, pdf, plan, widgets, field, widget_obj));
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

int pdf_stamp_check_options(const seal_stamp_plan *plan)
{
    if (plan->lock)
        return seal_error_set(SEAL_EINVAL,
                              "lock mode is for OFD documents; a PDF is locked by certifying it "
                              "(no changes allowed) or by locking its fields");
    return 0;
}

/* What the plan asks of a PDF that a PDF cannot do, or that makes no sense. */
static int check_plan(const pdf_doc *d, const seal_stamp_plan *plan)
{
    struct stat in_st, out_st;
    if (!plan->output || !plan->cert || !plan->max_signature_len)
        return seal_error_set(SEAL_EINVAL, "missing output, signer certificate or signature size");
    /* The prepared file is renamed onto the output: never onto the input. */
    if (fstat(d->fd, &in_st) == 0 && stat(plan->output, &out_st) == 0 &&
        in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino)
        return seal_error_set(SEAL_EINVAL,
                              "the output must be a new file, not the input (%s): the input is "
                              "never modified",
                              d->name);
    int rc = pdf_stamp_check_options(plan);
    if (rc < 0)
        return rc;
    if (plan->invisible && plan->qr_url)
        return seal_error_set(SEAL_EINVAL, "a QR code is drawn beside the seal: it needs a "
                                           "visible seal, not --invisible");
    if (!plan->invisible) {
        if (!plan->image_png || !plan->image_png_len)
            return seal_error_set(SEAL_EINVAL, "a visible seal needs its image");
        if (!(plan->width_mm > 0 && plan->height_mm > 0 && plan->width_mm <= 500 &&
              plan->height_mm <= 500))
            return seal_error_set(SEAL_EINVAL, "seal size %.1f x %.1f mm is not sensible",
                                  plan->width_mm, plan->height_mm);
    }
    return 0;
}

/* The input's single pass, hashing with `md`: the one open started when it hashes with
 * that digest, else a new one (the signer's digest was not known when it was opened). */
static int take_input_pass(pdf_input_pass **out, pdf_doc *d, const EVP_MD *md)
{
    pdf_input_pass *pass = d->pass;
    d->pass = NULL;
    if (pass && d->md && EVP_MD_get_type(d->md) == EVP_MD_get_type(md)) {
        *out = pass;
        return 0;
    }
    if (pass)
        pdf_input_pass_finish(pass, NULL);
    return pdf_input_pass_start(out, d->fd, d->size, d->name, md);
}

void pdf_doc_live_free(void *live)
{
    pdf_stamp_live *l = live;
    if (!l)
        return;
    /* Closed, not removed: the prepared file stays for a finish (or an abandon) later. */
    free(l->of.tmp);
    l->of.tmp = NULL;
    seal_outfile_abort(&l->of);
    EVP_MD_CTX_free(l->input_md);
    seal_buf_clear(&l->update);
    free(l);
}

/* Writes the input and the update, its /Contents gap sized up front for the largest CMS
 * the signer can make (PDF-SIGN.md section 3: a CMS is never truncated, and the update is
 * never rebuilt once written), beside the output; the signed attributes over the
 * ByteRange digest are what the signer signs. */
int pdf_doc_prepare(void *impl, const seal_stamp_plan *plan_in, seal_pending_stamp *p)
{
    int rc = 0;
    pdf_doc *d = impl;
    seal_stamp_plan plan = *plan_in;
    seal_pdf *pdf = NULL;
    pdf_widgets widgets = {NULL, 0, NULL, 0};
    pdf_qr qr = {SEAL_BUF_INIT, 0, NULL};
    update u = {.text = SEAL_BUF_INIT};
    EVP_MD_CTX *md_ctx = NULL;
    pdf_input_pass *pass = NULL;
    pdf_stamp_live *live = NULL;
    pdf_stamp_state state = {0};

    SEAL_TRY(check_plan(d, &plan));
    SEAL_TRY(pdf_doc_structure(d));
    pdf = d->pdf;
    if (plan.invisible && plan.page == 0)
        plan.page = 1;
    const EVP_MD *md = seal_digest_for_alg(seal_key_alg_of(X509_get0_pubkey(plan.cert)));
    SEAL_ENSURE(md, SEAL_EUNSUPPORTED, "the signer's certificate has a key we cannot sign with");
    /* The input is hashed on a helper thread (since it was opened, when it could be), then
     * copied into the prepared file, while this one checks the plan against the document. */
    SEAL_TRY(take_input_pass(&pass, d, md));
    live = calloc(1, sizeof *live);
    SEAL_ENSURE(live, SEAL_ENOMEM, "out of memory");
    live->of = (seal_outfile)SEAL_OUTFILE_INIT;
    int ready = seal_outfile_open(&live->of, plan.output);
    if (ready == 0)
        pdf_input_pass_output(pass, &live->of);
    if (ready == 0)
        ready = pdf_check_may_sign(pdf, &plan);
    if (ready == 0 && plan.invisible && (plan.page < 1 || plan.page > pdf->page_count))
        ready = seal_error_set(SEAL_ENOTFOUND, "page %d does not exist (document has %d page%s)",
                               plan.page, pdf->page_count, pdf->page_count == 1 ? "" : "s");
    if (ready == 0)
        ready = pdf_widgets_resolve(&widgets, pdf, &plan);
    if (ready == 0 && plan.qr_url)
        ready = pdf_qr_prepare(&qr, plan.qr_url, pdf);
    SEAL_TRY(ready); /* the pass is abandoned at out: this error is the one reported */
    rc = pdf_input_pass_finish(pass, &live->input_md);
    pass = NULL;
    SEAL_TRY(rc);
    SEAL_ENSURE(pdf->file_size == d->size, SEAL_EIO, "%s changed while being stamped", d->name);
    uint8_t last = '\n';
    SEAL_ENSURE(pread(d->fd, &last, 1, (off_t)(pdf->file_size - 1)) == 1, SEAL_EIO,
                "cannot read %s", d->name);

    size_t reserve = seal_cms_estimate_size_for(plan.cert, plan.chain, plan.max_signature_len) +
                     CMS_SLACK + (plan.timestamp ? SEAL_TSP_TOKEN_ESTIMATE : 0);
    u.base = pdf->file_size;
    u.header = pdf->header_offset;
    u.crypt = pdf->crypt;
    SEAL_TRY(build_update(&u, pdf, &plan, &widgets, plan.qr_url ? &qr : NULL, reserve,
                          last != '\n' && last != '\r'));
    /* Everything the update copies has been read now: an object qpdf could not find where
     * the cross-reference says (read as null) would be silently dropped. */
    SEAL_TRY(pdf_qpdf_refuse_warnings(pdf->q, d->name, false, PDF_REFUSE_REPAIRED));
    fill_byte_range(&u);
    /* Written now and handed to the disk while the signature is made; finish fills the
     * gap, and its sync has little left to wait for. */
    SEAL_TRY(seal_outfile_write_at(&live->of, u.text.data, u.text.len, pdf->file_size));
    seal_outfile_start_writeback(&live->of, pdf->file_size, u.text.len);

    state.size = pdf->file_size + u.text.len;
    state.contents_at = pdf->file_size + u.contents_pos;
    state.contents_len = u.contents_len;
    state.md = md;
    unsigned range_len = 0, before_len = 0;
    md_ctx = EVP_MD_CTX_new();
    SEAL_ENSURE(md_ctx, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(EVP_MD_CTX_copy_ex(md_ctx, live->input_md) == 1 &&
                    EVP_DigestFinal_ex(md_ctx, p->digests.before, &before_len) == 1 &&
                    EVP_MD_CTX_copy_ex(md_ctx, live->input_md) == 1 &&
                    EVP_DigestUpdate(md_ctx, u.text.data, u.contents_pos) == 1 &&
                    EVP_DigestUpdate(md_ctx, u.text.data + u.contents_pos + u.contents_len,
                                     u.text.len - u.contents_pos - u.contents_len) == 1 &&
                    EVP_DigestFinal_ex(md_ctx, state.range_digest, &range_len) == 1,
                SEAL_ECRYPTO, "cannot compute the document digest");
    state.range_digest_len = range_len;
    p->digests.md = md;
    p->digests.len = before_len;

    p->to_sign.len = 0;
    SEAL_TRY(seal_cms_signed_attrs(&p->to_sign, plan.cert, state.range_digest, range_len));
    p->state.len = 0;
    SEAL_TRY(pdf_stamp_state_save(&p->state, &state));
    p->prepared = strdup(live->of.tmp);
    SEAL_ENSURE(p->prepared, SEAL_ENOMEM, "out of memory");
    live->update = u.text;
    u.text = (seal_buf)SEAL_BUF_INIT;
    p->live = live;
    live = NULL;
out:
    if (pass)
        pdf_input_pass_finish(pass, NULL);
    if (live)
        seal_outfile_abort(&live->of); /* removes the prepared file */
    pdf_doc_live_free(live);
    EVP_MD_CTX_free(md_ctx);
    seal_buf_clear(&u.text);
    free(u.entries);
    pdf_widgets_clear(&widgets);
    pdf_qr_clear(&qr);
    return rc;
}
