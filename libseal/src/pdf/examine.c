/* The PDF input examined as an attacker's document before a stamp (seal_doc_examine, the
 * stamp driver's input policy, docs/stamping.md): what a reader does not show today but
 * another setting or a later update may (optional content off by default, hidden
 * annotations, fields painted over the page's text, objects nothing reaches, updates
 * after the last signature), and what acts when the file is opened (JavaScript, Launch
 * actions, embedded files). Also the strict policy's remedy, a full rewrite by qpdf that
 * keeps only what the document reaches and drops its earlier revisions. */
#include "pdf/doc_pdf.h"
#include "pdf/poppler_lazy.h"

#include <seal/error.h>
#include <seal/place.h>

#include <glib.h>
#include <stdio.h>
#include <string.h>

/* Bounds on what an examination walks, so that a crafted file cannot make it run away. */
#define MAX_DIRECT_DEPTH   64
#define MAX_PARENT_DEPTH   32
#define MAX_OBJECTS        (1 << 22)
#define MAX_LISTED_OBJECTS 10

/* ISO 32000-1 12.5.3 Table 165: annotation flags. */
#define ANNOT_HIDDEN 2
#define ANNOT_NOVIEW 32

typedef struct examine {
    seal_pdf *pdf;
    qpdf_data q;
    seal_doc_findings *out;
    uint8_t *reached; /* per object number: reached from the trailer */
    size_t n_objects;
    GHashTable *off_groups; /* object numbers of optional content groups off by default */
    size_t javascript, launch;
} examine;

static bool reach(examine *x, qpdf_oh oh)
{
    int id = qpdf_oh_get_object_id(x->q, oh);
    if (id <= 0 || (size_t)id >= x->n_objects)
        return false;
    if (x->reached[id])
        return true;
    x->reached[id] = 1;
    return false;
}

/* A dictionary's active parts: 12.6.4.16 JavaScript actions (and /JS anywhere: 12.6.4.16
 * Table 217, document-level scripts), 12.6.4.5 Launch actions, 7.11.4 file specifications
 * with embedded files. `id` is the indirect object it belongs to. */
static void look_at_dict(examine *x, qpdf_oh d, int id)
{
    qpdf_data q = x->q;
    qpdf_oh s = qpdf_oh_get_key(q, d, "/S");
    if (qpdf_oh_is_name_and_equals(q, s, "/JavaScript") || qpdf_oh_has_key(q, d, "/JS")) {
        if (x->javascript++ == 0)
            seal_doc_findings_add(x->out, "javascript", 0,
                                  "a JavaScript action (object %d): it runs when a reader opens "
                                  "the file or acts on it, and may change what is shown",
                                  id);
    } else if (qpdf_oh_is_name_and_equals(q, s, "/Launch")) {
        if (x->launch++ == 0)
            seal_doc_findings_add(x->out, "launch-action", 0,
                                  "a Launch action (object %d): it starts a program or opens "
                                  "another file",
                                  id);
    }
    if (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, d, "/Type"), "/Filespec") &&
        qpdf_oh_is_dictionary(q, qpdf_oh_get_key(q, d, "/EF"))) {
        qpdf_oh name = qpdf_oh_get_key(q, d, "/UF");
        if (!qpdf_oh_is_string(q, name))
            name = qpdf_oh_get_key(q, d, "/F");
        seal_doc_findings_add(x->out, "embedded-file", 0,
                              "an embedded file \"%s\" (object %d): a seal would seem to vouch "
                              "for content no page shows",
                              qpdf_oh_is_string(q, name) ? qpdf_oh_get_utf8_value(q, name) : "?",
                              id);
    }
}

/* Everything the trailer reaches, depth first with an explicit stack of indirect
 * objects; direct objects are walked within their object, to a bounded depth. */
static void walk_direct(examine *x, GArray *stack, qpdf_oh oh, int id, int depth)
{
    qpdf_data q = x->q;
    if (depth > MAX_DIRECT_DEPTH)
        return;
    if (depth > 0 && qpdf_oh_is_indirect(q, oh)) {
        if (!reach(x, oh))
            g_array_append_val(stack, oh);
        return;
    }
    if (qpdf_oh_is_array(q, oh)) {
        int n = qpdf_oh_get_array_n_items(q, oh);
        for (int i = 0; i < n; i++)
            walk_direct(x, stack, qpdf_oh_get_array_item(q, oh, i), id, depth + 1);
        return;
    }
    qpdf_oh d = qpdf_oh_is_stream(q, oh) ? qpdf_oh_get_dict(q, oh) : oh;
    if (!qpdf_oh_is_dictionary(q, d))
        return;
    look_at_dict(x, d, id);
    /* Keys first, values after: the iterator is qpdf's one per session. */
    GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
    qpdf_oh_begin_dict_key_iter(q, d);
    while (qpdf_oh_dict_more_keys(q))
        g_ptr_array_add(keys, g_strdup(qpdf_oh_dict_next_key(q)));
    for (guint i = 0; i < keys->len; i++) {
        /* /Parent points back up the page and field trees: reached from above already. */
        if (strcmp(keys->pdata[i], "/Parent") == 0 || strcmp(keys->pdata[i], "/P") == 0)
            continue;
        walk_direct(x, stack, qpdf_oh_get_key(q, d, keys->pdata[i]), id, depth + 1);
    }
    g_ptr_array_free(keys, TRUE);
}

static void walk_all(examine *x)
{
    GArray *stack = g_array_new(FALSE, FALSE, sizeof(qpdf_oh));
    qpdf_oh trailer = qpdf_get_trailer(x->q);
    walk_direct(x, stack, trailer, 0, 0);
    while (stack->len > 0) {
        qpdf_oh oh = g_array_index(stack, qpdf_oh, stack->len - 1);
        g_array_set_size(stack, stack->len - 1);
        walk_direct(x, stack, oh, qpdf_oh_get_object_id(x->q, oh), 0);
    }
    g_array_free(stack, TRUE);
    if (x->javascript > 1)
        seal_doc_findings_add(x->out, "javascript", 0, "%zu JavaScript actions in all",
                              x->javascript);
    if (x->launch > 1)
        seal_doc_findings_add(x->out, "launch-action", 0, "%zu Launch actions in all", x->launch);
}

/* Objects in the cross-reference that nothing reaches (7.5.4: a writer may leave them;
 * an attacker keeps content there that a later update switches in: the shadow attacks).
 * Cross-reference streams and object streams are the file's structure, and a linearized
 * file's parameter dictionary (Annex F.2) is reached by position, not by reference. */
static void find_unreached(examine *x)
{
    qpdf_data q = x->q;
    GString *list = g_string_new(NULL);
    size_t count = 0;
    for (size_t id = 1; id < x->n_objects; id++) {
        if (x->reached[id])
            continue;
        qpdf_oh oh = id > 0 && (size_t)id < x->n_objects ? qpdf_get_object_by_id(q, (int)id, 0)
                                                         : qpdf_oh_new_null(q);
        if (qpdf_oh_is_null(q, oh))
            continue;
        qpdf_oh d = qpdf_oh_is_stream(q, oh) ? qpdf_oh_get_dict(q, oh) : oh;
        qpdf_oh type = qpdf_oh_get_key_if_dict(q, d, "/Type");
        if (qpdf_oh_is_name_and_equals(q, type, "/XRef") ||
            qpdf_oh_is_name_and_equals(q, type, "/ObjStm") ||
            (qpdf_oh_is_dictionary(q, d) && qpdf_oh_has_key(q, d, "/Linearized")))
            continue;
        if (count++ < MAX_LISTED_OBJECTS)
            g_string_append_printf(list, "%s%zu", list->len ? ", " : "", id);
    }
    if (count)
        seal_doc_findings_add(x->out, "unreachable-objects", 0,
                              "%zu object%s that neither the pages nor the catalog reach "
                              "(object%s %s%s): a later update can switch them in",
                              count, count == 1 ? "" : "s", count == 1 ? "" : "s", list->str,
                              count > MAX_LISTED_OBJECTS ? ", ..." : "");
    g_string_free(list, TRUE);
}

/* 8.11.4.3 Table 101: the default configuration's /BaseState (ON when absent) and its
 * /OFF and /ON arrays say which groups a reader hides until the user switches them on. */
static void read_off_groups(examine *x)
{
    qpdf_data q = x->q;
    qpdf_oh props = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/OCProperties");
    qpdf_oh def = qpdf_oh_get_key_if_dict(q, props, "/D");
    qpdf_oh groups = qpdf_oh_get_key_if_dict(q, props, "/OCGs");
    bool base_off =
        qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, def, "/BaseState"), "/OFF");
    qpdf_oh list = base_off ? groups : qpdf_oh_get_key_if_dict(q, def, "/OFF");
    int n = qpdf_oh_is_array(q, list) ? qpdf_oh_get_array_n_items(q, list) : 0;
    for (int i = 0; i < n; i++) {
        int id = qpdf_oh_get_object_id(q, qpdf_oh_get_array_item(q, list, i));
        if (id > 0)
            g_hash_table_add(x->off_groups, GINT_TO_POINTER(id));
    }
    if (!base_off)
        return;
    qpdf_oh on = qpdf_oh_get_key_if_dict(q, def, "/ON");
    n = qpdf_oh_is_array(q, on) ? qpdf_oh_get_array_n_items(q, on) : 0;
    for (int i = 0; i < n; i++)
        g_hash_table_remove(x->off_groups, GINT_TO_POINTER(qpdf_oh_get_object_id(
                                               q, qpdf_oh_get_array_item(q, on, i))));
}

/* An /OC entry's group that is off by default: the group itself, or one of an optional
 * content membership dictionary's /OCGs (8.11.2.2), whose visibility then depends on it. */
static qpdf_oh off_group_of(examine *x, qpdf_oh oc)
{
    qpdf_data q = x->q;
    if (g_hash_table_contains(x->off_groups, GINT_TO_POINTER(qpdf_oh_get_object_id(q, oc))))
        return oc;
    qpdf_oh groups = qpdf_oh_get_key_if_dict(q, oc, "/OCGs");
    if (qpdf_oh_is_dictionary(q, groups))
        return off_group_of(x, groups);
    int n = qpdf_oh_is_array(q, groups) ? qpdf_oh_get_array_n_items(q, groups) : 0;
    for (int i = 0; i < n; i++) {
        qpdf_oh g = qpdf_oh_get_array_item(q, groups, i);
        if (g_hash_table_contains(x->off_groups, GINT_TO_POINTER(qpdf_oh_get_object_id(q, g))))
            return g;
    }
    return qpdf_oh_new_null(q);
}

static const char *group_name(examine *x, qpdf_oh group)
{
    qpdf_oh name = qpdf_oh_get_key_if_dict(x->q, group, "/Name");
    return qpdf_oh_is_string(x->q, name) ? qpdf_oh_get_utf8_value(x->q, name) : "unnamed";
}

/* 7.7.3.4: /Resources is inherited from the page tree. */
static qpdf_oh page_resources(examine *x, qpdf_oh page)
{
    qpdf_data q = x->q;
    for (int depth = 0; depth < MAX_PARENT_DEPTH && qpdf_oh_is_dictionary(q, page); depth++) {
        qpdf_oh r = qpdf_oh_get_key(q, page, "/Resources");
        if (qpdf_oh_is_dictionary(q, r))
            return r;
        page = qpdf_oh_get_key(q, page, "/Parent");
    }
    return qpdf_oh_new_null(q);
}

/* Content a page marks as optional (8.11.3.2: /OC in /Properties for marked content, 8.11.3.3:
 * /OC on a form XObject) in a group that is off by default. */
static void find_hidden_content(examine *x, qpdf_oh page, int number)
{
    qpdf_data q = x->q;
    if (g_hash_table_size(x->off_groups) == 0)
        return;
    qpdf_oh res = page_resources(x, page);
    const char *dicts[] = {"/Properties", "/XObject"};
    for (size_t k = 0; k < G_N_ELEMENTS(dicts); k++) {
        qpdf_oh d = qpdf_oh_get_key_if_dict(q, res, dicts[k]);
        if (!qpdf_oh_is_dictionary(q, d))
            continue;
        GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
        qpdf_oh_begin_dict_key_iter(q, d);
        while (qpdf_oh_dict_more_keys(q))
            g_ptr_array_add(keys, g_strdup(qpdf_oh_dict_next_key(q)));
        for (guint i = 0; i < keys->len; i++) {
            qpdf_oh v = qpdf_oh_get_key(q, d, keys->pdata[i]);
            qpdf_oh oc = k == 0
                             ? v
                             : qpdf_oh_get_key_if_dict(
                                   q, qpdf_oh_is_stream(q, v) ? qpdf_oh_get_dict(q, v) : v, "/OC");
            qpdf_oh g = off_group_of(x, oc);
            if (!qpdf_oh_is_null(q, g))
                seal_doc_findings_add(x->out, "hidden-content", number,
                                      "page %d: content in the optional content group \"%s\" "
                                      "(object %d), off by default: a reader hides it, another "
                                      "setting or a later update shows it",
                                      number, group_name(x, g), qpdf_oh_get_object_id(q, g));
        }
        g_ptr_array_free(keys, TRUE);
    }
}

/* The page's characters as Poppler lays them out (as shown, text in hidden optional
 * content left out), boxes in mm from the shown top-left. */
typedef struct page_chars {
    double (*boxes)[4];
    size_t n;
} page_chars;

static void page_chars_read(const pdf_poppler *pp, PopplerDocument *doc, int number,
                            page_chars *out)
{
    PopplerRectangle *rects = NULL;
    guint n = 0;
    PopplerPage *page = pp->document_get_page(doc, number - 1);
    if (!page)
        return;
    char *text = pp->page_get_text(page);
    glong n_chars = 0;
    gunichar *chars = NULL;
    if (text && g_utf8_validate(text, -1, NULL) && pp->page_get_text_layout(page, &rects, &n))
        chars = g_utf8_to_ucs4_fast(text, -1, &n_chars);
    size_t count = chars ? ((size_t)n_chars < n ? (size_t)n_chars : n) : 0;
    out->boxes = g_malloc_n(count + 1, sizeof *out->boxes);
    for (size_t i = 0; i < count; i++) {
        if (g_unichar_isspace(chars[i]))
            continue;
        double *b = out->boxes[out->n++];
        b[0] = seal_pt_to_mm(MIN(rects[i].x1, rects[i].x2));
        b[1] = seal_pt_to_mm(MIN(rects[i].y1, rects[i].y2));
        b[2] = seal_pt_to_mm(MAX(rects[i].x1, rects[i].x2));
        b[3] = seal_pt_to_mm(MAX(rects[i].y1, rects[i].y2));
    }
    g_free(chars);
    g_free(rects);
    g_free(text);
    g_object_unref(page);
}

/* How many of the page's characters have their centre inside box (x, y, w, h in mm). */
static size_t chars_under(const page_chars *c, const double box[4])
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        double cx = (c->boxes[i][0] + c->boxes[i][2]) / 2,
               cy = (c->boxes[i][1] + c->boxes[i][3]) / 2;
        n += cx >= box[0] && cx <= box[0] + box[2] && cy >= box[1] && cy <= box[1] + box[3];
    }
    return n;
}

/* Annotations whose purpose is to mark the text they lie on (12.5.6.10, 12.5.6.5 links),
 * and pop-ups (12.5.6.14), which a reader opens beside their parent. */
static bool covers_text_by_design(examine *x, qpdf_oh a)
{
    static const char *const kinds[] = {"/Link",     "/Popup",     "/Highlight", "/Underline",
                                        "/Squiggly", "/StrikeOut", "/Caret",     NULL};
    qpdf_oh sub = qpdf_oh_get_key(x->q, a, "/Subtype");
    for (size_t i = 0; kinds[i]; i++)
        if (qpdf_oh_is_name_and_equals(x->q, sub, kinds[i]))
            return true;
    return false;
}

/* A signature widget (12.7.4.5): a seal is put over text by design (a company's name). Its
 * /FT may be on the widget or on its parent field (12.7.3.1). */
static bool is_signature_widget(examine *x, qpdf_oh a)
{
    qpdf_data q = x->q;
    for (int depth = 0; depth < MAX_PARENT_DEPTH && qpdf_oh_is_dictionary(q, a); depth++) {
        qpdf_oh ft = qpdf_oh_get_key(q, a, "/FT");
        if (qpdf_oh_is_name(q, ft))
            return qpdf_oh_is_name_and_equals(q, ft, "/Sig");
        a = qpdf_oh_get_key(q, a, "/Parent");
    }
    return false;
}

/* A copy (g_free): qpdf's C API hands out names in a buffer its next call reuses. */
static char *subtype_of(examine *x, qpdf_oh a)
{
    qpdf_oh sub = qpdf_oh_get_key(x->q, a, "/Subtype");
    return g_strdup(qpdf_oh_is_name(x->q, sub) ? qpdf_oh_get_name(x->q, sub) + 1 : "untyped");
}

static int find_annotation_bait(examine *x, pdf_doc *d, qpdf_oh page, int number,
                                const pdf_poppler **pp, PopplerDocument **pop)
{
    int rc = 0;
    qpdf_data q = x->q;
    page_chars chars = {0};
    bool chars_read = false;
    char *subtype = NULL;
    qpdf_oh annots = qpdf_oh_get_key(q, page, "/Annots");
    int n = qpdf_oh_is_array(q, annots) ? qpdf_oh_get_array_n_items(q, annots) : 0;
    for (int i = 0; i < n; i++) {
        qpdf_oh a = qpdf_oh_get_array_item(q, annots, i);
        if (!qpdf_oh_is_dictionary(q, a) || covers_text_by_design(x, a))
            continue;
        g_free(subtype);
        subtype = subtype_of(x, a);
        int id = qpdf_oh_get_object_id(q, a);
        qpdf_oh f = qpdf_oh_get_key(q, a, "/F");
        long long flags = qpdf_oh_is_integer(q, f) ? qpdf_oh_get_int_value(q, f) : 0;
        qpdf_oh g = off_group_of(x, qpdf_oh_get_key(q, a, "/OC"));
        if (flags & (ANNOT_HIDDEN | ANNOT_NOVIEW)) {
            seal_doc_findings_add(x->out, "hidden-annotation", number,
                                  "page %d: a %s annotation (object %d) is hidden (flag %s): a "
                                  "later update may show it by changing one number",
                                  number, subtype, id, flags & ANNOT_HIDDEN ? "Hidden" : "NoView");
            continue;
        }
        if (!qpdf_oh_is_null(q, g)) {
            seal_doc_findings_add(x->out, "hidden-annotation", number,
                                  "page %d: a %s annotation (object %d) is in the optional "
                                  "content group \"%s\", off by default",
                                  number, subtype, id, group_name(x, g));
            continue;
        }
        if (is_signature_widget(x, a))
            continue;
        double rect[4];
        qpdf_oh r = qpdf_oh_get_key(q, a, "/Rect");
        if (!qpdf_oh_is_array(q, r) || qpdf_oh_get_array_n_items(q, r) != 4)
            continue;
        for (int k = 0; k < 4; k++)
            rect[k] = qpdf_oh_get_numeric_value(q, qpdf_oh_get_array_item(q, r, k));
        if (!chars_read) {
            chars_read = true;
            if (!*pop) {
                GError *error = NULL;
                SEAL_TRY(pdf_poppler_get(pp));
                GBytes *bytes = g_bytes_new_static(x->pdf->map, x->pdf->map_len);
                *pop = (*pp)->document_new_from_bytes(bytes, x->pdf->password, &error);
                g_bytes_unref(bytes);
                SEAL_ENSURE(*pop, SEAL_EFORMAT, "%s: Poppler cannot lay out its text: %s",
                            x->pdf->path, error ? error->message : "unknown error");
            }
            page_chars_read(*pp, *pop, number, &chars);
        }
        double box[4];
        SEAL_TRY(pdf_box_mm(d, number, rect, box));
        size_t under = chars_under(&chars, box);
        if (under > 0)
            seal_doc_findings_add(x->out, "annotation-over-text", number,
                                  "page %d: a %s annotation (object %d) lies over %zu character%s "
                                  "of the page's text at %.0f,%.0f mm: what it draws is what a "
                                  "reader shows there, and a form filler may change it",
                                  number, subtype, id, under, under == 1 ? "" : "s", box[0],
                                  box[1]);
    }
out:
    g_free(chars.boxes);
    g_free(subtype);
    return rc;
}

/* A signature's /ByteRange end (12.8.1: the revision it covers ends there). */
static long long signed_end(examine *x, qpdf_oh sig)
{
    qpdf_oh br = qpdf_oh_get_key_if_dict(x->q, sig, "/ByteRange");
    if (!qpdf_oh_is_array(x->q, br) || qpdf_oh_get_array_n_items(x->q, br) != 4)
        return -1;
    long long c = qpdf_oh_get_int_value(x->q, qpdf_oh_get_array_item(x->q, br, 2));
    long long l = qpdf_oh_get_int_value(x->q, qpdf_oh_get_array_item(x->q, br, 3));
    return c >= 0 && l >= 0 ? c + l : -1;
}

/* The signatures in the form (12.7.4.5) and where the last signed revision ends. */
static void walk_signatures(examine *x, qpdf_oh fields, int depth, long long *last_end,
                            char **last_name)
{
    qpdf_data q = x->q;
    int n = qpdf_oh_is_array(q, fields) ? qpdf_oh_get_array_n_items(q, fields) : 0;
    for (int i = 0; i < n && depth < MAX_PARENT_DEPTH; i++) {
        qpdf_oh f = qpdf_oh_get_array_item(q, fields, i);
        if (!qpdf_oh_is_dictionary(q, f))
            continue;
        qpdf_oh v = qpdf_oh_get_key(q, f, "/V");
        if (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, f, "/FT"), "/Sig") &&
            qpdf_oh_is_dictionary(q, v)) {
            x->out->has_signatures = true;
            long long end = signed_end(x, v);
            if (end > *last_end) {
                *last_end = end;
                qpdf_oh t = qpdf_oh_get_key(q, f, "/T");
                g_free(*last_name);
                *last_name = g_strdup(qpdf_oh_is_string(q, t) ? qpdf_oh_get_utf8_value(q, t) : "?");
            }
        }
        walk_signatures(x, qpdf_oh_get_key(q, f, "/Kids"), depth + 1, last_end, last_name);
    }
}

/* What the updates after the last signature define (7.5.6), other than validation data
 * (12.8.4.3: the DSS and what it reaches, with the catalog that points at it) and the
 * file's structure: what a later "allowed" update may have slipped in (the shadow attacks
 * change objects after a signature that a reader shows). The objects are told by their
 * "N G obj" headers in the bytes after the signed revision. */
static void find_late_updates(examine *x)
{
    qpdf_data q = x->q;
    long long end = -1;
    char *name = NULL;
    walk_signatures(
        x, qpdf_oh_get_key_if_dict(q, qpdf_oh_get_key(q, qpdf_get_root(q), "/AcroForm"), "/Fields"),
        0, &end, &name);
    uint64_t start = x->pdf->header_offset + (uint64_t)(end < 0 ? 0 : end);
    if (end < 0 || start >= x->pdf->map_len) {
        g_free(name);
        return;
    }
    /* What validation data reaches: the DSS and everything under it. */
    GHashTable *dss = g_hash_table_new(NULL, NULL);
    GArray *stack = g_array_new(FALSE, FALSE, sizeof(qpdf_oh));
    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh top = qpdf_oh_get_key(q, root, "/DSS");
    g_array_append_val(stack, top);
    while (stack->len > 0 && g_hash_table_size(dss) < MAX_OBJECTS) {
        qpdf_oh oh = g_array_index(stack, qpdf_oh, stack->len - 1);
        g_array_set_size(stack, stack->len - 1);
        int id = qpdf_oh_get_object_id(q, oh);
        if (id > 0 && !g_hash_table_add(dss, GINT_TO_POINTER(id)))
            continue;
        qpdf_oh d = qpdf_oh_is_stream(q, oh) ? qpdf_oh_get_dict(q, oh) : oh;
        if (qpdf_oh_is_array(q, d)) {
            int n = qpdf_oh_get_array_n_items(q, d);
            for (int i = 0; i < n; i++) {
                qpdf_oh item = qpdf_oh_get_array_item(q, d, i);
                g_array_append_val(stack, item);
            }
        } else if (qpdf_oh_is_dictionary(q, d)) {
            GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
            qpdf_oh_begin_dict_key_iter(q, d);
            while (qpdf_oh_dict_more_keys(q))
                g_ptr_array_add(keys, g_strdup(qpdf_oh_dict_next_key(q)));
            for (guint i = 0; i < keys->len; i++) {
                qpdf_oh item = qpdf_oh_get_key(q, d, keys->pdata[i]);
                g_array_append_val(stack, item);
            }
            g_ptr_array_free(keys, TRUE);
        }
    }
    g_array_free(stack, TRUE);

    GRegex *header = g_regex_new(
        "(?<![0-9])([0-9]{1,10})[ \\t\\r\\n]+[0-9]{1,5}[ \\t\\r\\n]+obj\\b", G_REGEX_RAW, 0, NULL);
    GMatchInfo *m = NULL;
    GString *list = g_string_new(NULL);
    size_t count = 0;
    int root_id = qpdf_oh_get_object_id(q, root);
    g_regex_match_full(header, x->pdf->map + start, (gssize)(x->pdf->map_len - start), 0, 0, &m,
                       NULL);
    while (g_match_info_matches(m)) {
        char *num = g_match_info_fetch(m, 1);
        long long id = g_ascii_strtoll(num, NULL, 10);
        g_free(num);
        qpdf_oh oh = qpdf_get_object_by_id(q, (int)id, 0);
        qpdf_oh d = qpdf_oh_is_stream(q, oh) ? qpdf_oh_get_dict(q, oh) : oh;
        bool structure =
            qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, d, "/Type"), "/XRef");
        if (id != root_id && !structure && !g_hash_table_contains(dss, GINT_TO_POINTER(id)) &&
            count++ < MAX_LISTED_OBJECTS)
            g_string_append_printf(list, "%s%lld", list->len ? ", " : "", id);
        g_match_info_next(m, NULL);
    }
    if (count)
        seal_doc_findings_add(x->out, "update-after-signature", 0,
                              "an update after the last signature (%s) changes or adds %zu "
                              "object%s (%s%s) that no signature covers: a seal over it would "
                              "vouch for what the signer never saw",
                              name, count, count == 1 ? "" : "s", list->str,
                              count > MAX_LISTED_OBJECTS ? ", ..." : "");
    g_string_free(list, TRUE);
    g_match_info_free(m);
    g_regex_unref(header);
    g_hash_table_destroy(dss);
    g_free(name);
}

int pdf_doc_examine(void *impl, seal_doc_findings *out)
{
    int rc = 0;
    pdf_doc *d = impl;
    const pdf_poppler *pp = NULL;
    PopplerDocument *pop = NULL;
    examine x = {.out = out};
    SEAL_TRY(pdf_doc_structure(d));
    /* A session of its own: every object the walk resolves would otherwise leave qpdf's
     * warnings about it in the stamp's session, whose update then refuses a file it only
     * reads after repair (open.c) for objects the stamp never touches. */
    SEAL_TRY(pdf_qpdf_new_strict(&x.q, d->name));
    qpdf_read_memory(x.q, d->name, d->pdf->map, d->pdf->map_len, d->password);
    SEAL_TRY(pdf_qpdf_error(x.q, d->name));
    x.pdf = d->pdf;
    long long size = d->pdf->next_obj;
    SEAL_ENSURE(size >= 0 && size <= MAX_OBJECTS, SEAL_EUNSUPPORTED,
                "%s declares %lld objects; more than %d are not examined", d->name, size,
                MAX_OBJECTS);
    x.n_objects = (size_t)size;
    x.reached = g_malloc0(x.n_objects + 1);
    x.off_groups = g_hash_table_new(NULL, NULL);
    walk_all(&x);
    find_unreached(&x);
    read_off_groups(&x);
    for (int page = 1; page <= d->pdf->page_count; page++) {
        qpdf_oh p = qpdf_get_page_n(x.q, (size_t)(page - 1));
        find_hidden_content(&x, p, page);
        SEAL_TRY(find_annotation_bait(&x, d, p, page, &pp, &pop));
    }
    find_late_updates(&x);
    SEAL_TRY(pdf_qpdf_error(x.q, "the document cannot be examined"));
out:
    if (pop)
        g_object_unref(pop);
    g_free(x.reached);
    if (x.off_groups)
        g_hash_table_destroy(x.off_groups);
    if (x.q)
        qpdf_cleanup(&x.q);
    return rc;
}

int pdf_doc_normalise(void *impl, const char *path)
{
    int rc = 0;
    pdf_doc *d = impl;
    qpdf_data q = NULL;
    seal_doc_findings seen = {0};
    examine x = {.out = &seen};
    long long end = -1;
    char *name = NULL;
    SEAL_TRY(pdf_doc_structure(d));
    /* Only an unsigned document: a rewrite moves every byte a signature covers. */
    x.pdf = d->pdf;
    x.q = d->pdf->q;
    walk_signatures(&x,
                    qpdf_oh_get_key_if_dict(
                        x.q, qpdf_oh_get_key(x.q, qpdf_get_root(x.q), "/AcroForm"), "/Fields"),
                    0, &end, &name);
    g_free(name);
    SEAL_ENSURE(!seen.has_signatures, SEAL_EPOLICY,
                "%s is signed: normalising it (rewriting it) would break its signature", d->name);
    /* QPDFWriter writes what the trailer reaches, in one revision (qpdf's manual, "Object
     * and cross-reference streams": unreferenced objects are dropped unless asked to be
     * kept); an encrypted input stays encrypted with the same keys. */
    SEAL_TRY(pdf_qpdf_new_strict(&q, d->name));
    qpdf_read_memory(q, d->name, d->pdf->map, d->pdf->map_len, d->password);
    SEAL_TRY(pdf_qpdf_error(q, d->name));
    qpdf_init_write(q, path);
    SEAL_TRY(pdf_qpdf_error(q, "the normalised copy cannot be written"));
    qpdf_write(q);
    SEAL_TRY(pdf_qpdf_error(q, "the normalised copy cannot be written"));
out:
    if (q)
        qpdf_cleanup(&q);
    seal_doc_findings_clear(&seen);
    return rc;
}
