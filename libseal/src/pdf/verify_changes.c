/* What changed after a signature: the signed revision (the file prefix its ByteRange
 * covers, read by qpdf from the same mapping, never copied) is compared object by object
 * with the final document, for every object a later cross-reference section defines.
 * Each change is allowed (later signatures and their fields, widgets, appearances, DSS;
 * filling in fields the signature does not lock; annotations under DocMDP P=3) or not
 * (pages, contents, resources, locked fields, anything under DocMDP P=1...): PDF-SIGN.md
 * 5.6, after the lists of pyHanko's difference analysis and the incremental-saving attacks
 * it defeats. */
#include "mdp.h"
#include "verify_internal.h"

#include <seal/error.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Changes we list one by one before summing up the rest. */
#define MAX_LISTED_CHANGES 50
#define MAX_KEYS           256

typedef struct changes_ctx {
    qpdf_data old_doc; /* the signed revision */
    qpdf_data new_doc; /* the final document */
    seal_sig_report *s;
    const pdf_mdp_policy *policy;
    int root_id;
    int acroform_id;
    size_t n_allowed;
    size_t n_refused;
} changes_ctx;

static char *unparse(qpdf_data q, qpdf_oh oh)
{
    return strdup(qpdf_oh_unparse_resolved(q, oh));
}

static int page_number(qpdf_data q, int id)
{
    int pages = qpdf_get_num_pages(q);
    for (int p = 0; p < pages; p++)
        if (qpdf_oh_get_object_id(q, qpdf_get_page_n(q, (size_t)p)) == id)
            return p + 1;
    return 0;
}

static int refuse(changes_ctx *c, const char *what, int id, const char *detail)
{
    c->n_refused++;
    if (c->n_refused > MAX_LISTED_CHANGES)
        return 0;
    int page = page_number(c->new_doc, id);
    if (page > 0 && strcmp(what, "page") == 0)
        return seal_sig_add_change(c->s, "object %d (page %d): %s", id, page, detail);
    return seal_sig_add_change(c->s, "object %d (%s): %s", id, what, detail);
}

/* Whether two values of the same key differ, compared unresolved: a reference that now
 * points at a changed object is caught when that object itself is compared. */
static bool value_differs(const changes_ctx *c, qpdf_oh old_dict, qpdf_oh new_dict, const char *key)
{
    bool in_old = qpdf_oh_has_key(c->old_doc, old_dict, key);
    bool in_new = qpdf_oh_has_key(c->new_doc, new_dict, key);
    if (in_old != in_new)
        return true;
    if (!in_old)
        return false;
    char *a = strdup(qpdf_oh_unparse(c->old_doc, qpdf_oh_get_key(c->old_doc, old_dict, key)));
    const char *b = qpdf_oh_unparse(c->new_doc, qpdf_oh_get_key(c->new_doc, new_dict, key));
    bool differs = !a || strcmp(a, b) != 0;
    free(a);
    return differs;
}

/* The keys whose values differ between the two dictionaries (at most `max`, copied). */
static size_t differing_keys(const changes_ctx *c, qpdf_oh old_dict, qpdf_oh new_dict, char **keys,
                             size_t max)
{
    size_t n = 0;
    qpdf_data docs[2] = {c->old_doc, c->new_doc};
    qpdf_oh dicts[2] = {old_dict, new_dict};
    for (int d = 0; d < 2; d++) {
        /* Collect first: the key iterator is shared state inside qpdf. */
        char *names[MAX_KEYS];
        size_t count = 0;
        qpdf_oh_begin_dict_key_iter(docs[d], dicts[d]);
        while (count < MAX_KEYS && qpdf_oh_dict_more_keys(docs[d]))
            names[count++] = strdup(qpdf_oh_dict_next_key(docs[d]));
        for (size_t i = 0; i < count; i++) {
            bool seen = !names[i];
            for (size_t k = 0; !seen && k < n; k++)
                seen = strcmp(keys[k], names[i]) == 0;
            if (!seen && n < max && value_differs(c, old_dict, new_dict, names[i])) {
                keys[n++] = names[i];
                names[i] = NULL;
            }
            free(names[i]);
        }
    }
    return n;
}

/* An annotation other than a widget (ISO 32000-1 12.5.2): DocMDP P=3 allows them. */
static bool is_markup_annotation(qpdf_data q, qpdf_oh oh)
{
    qpdf_oh subtype = qpdf_oh_get_key_if_dict(q, oh, "/Subtype");
    return qpdf_oh_is_name(q, subtype) && !qpdf_oh_is_name_and_equals(q, subtype, "/Widget") &&
           qpdf_oh_is_array(q, qpdf_oh_get_key(q, oh, "/Rect"));
}

/* An array that only grew, by signature fields or their widgets (a page's /Annots, the
 * AcroForm's /Fields), or by annotations when P=3 allows them. A missing old array counts
 * as empty. */
static bool grew_by_signatures(const changes_ctx *c, qpdf_oh old_arr, qpdf_oh new_arr)
{
    if (!qpdf_oh_is_array(c->new_doc, new_arr))
        return false;
    int n_old =
        qpdf_oh_is_array(c->old_doc, old_arr) ? qpdf_oh_get_array_n_items(c->old_doc, old_arr) : 0;
    if (!qpdf_oh_is_array(c->old_doc, old_arr) && !qpdf_oh_is_null(c->old_doc, old_arr))
        return false;
    int n_new = qpdf_oh_get_array_n_items(c->new_doc, new_arr);
    if (n_new < n_old)
        return false;
    for (int i = 0; i < n_new; i++) {
        qpdf_oh item = qpdf_oh_get_array_item(c->new_doc, new_arr, i);
        if (i < n_old) {
            /* Earlier entries stay as they were, in place. */
            char *a =
                strdup(qpdf_oh_unparse(c->old_doc, qpdf_oh_get_array_item(c->old_doc, old_arr, i)));
            bool same = a && strcmp(a, qpdf_oh_unparse(c->new_doc, item)) == 0;
            free(a);
            if (!same)
                return false;
        } else if (!seal_pdf_is_sig_field_or_widget(c->new_doc, item) &&
                   !(c->policy->docmdp == 3 && is_markup_annotation(c->new_doc, item))) {
            return false;
        }
    }
    return true;
}

/* Dictionary changes where only `allowed` keys differ, and array-valued keys among
 * `grow_only` only grew by signature entries. */
static int judge_dict(changes_ctx *c, int id, const char *what, qpdf_oh old_oh, qpdf_oh new_oh,
                      const char *const *allowed, const char *const *grow_only)
{
    int rc = 0;
    char *keys[32];
    size_t n = differing_keys(c, old_oh, new_oh, keys, 32);
    bool refused = false;
    for (size_t i = 0; i < n; i++) {
        bool ok = false;
        for (const char *const *a = allowed; a && *a && !ok; a++)
            ok = strcmp(*a, keys[i]) == 0;
        for (const char *const *g = grow_only; g && *g && !ok; g++)
            ok = strcmp(*g, keys[i]) == 0 &&
                 grew_by_signatures(c, qpdf_oh_get_key(c->old_doc, old_oh, keys[i]),
                                    qpdf_oh_get_key(c->new_doc, new_oh, keys[i]));
        if (!ok && rc == 0) {
            char detail[300];
            snprintf(detail, sizeof detail, "%s %s", keys[i],
                     !qpdf_oh_has_key(c->old_doc, old_oh, keys[i])   ? "added"
                     : !qpdf_oh_has_key(c->new_doc, new_oh, keys[i]) ? "removed"
                                                                     : "changed");
            rc = refuse(c, what, id, detail);
            refused = true;
        }
    }
    if (!refused && n > 0)
        c->n_allowed++;
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    return rc;
}

static bool stream_data_equal(const changes_ctx *c, qpdf_oh old_oh, qpdf_oh new_oh)
{
    unsigned char *a = NULL, *b = NULL;
    size_t a_len = 0, b_len = 0;
    qpdf_oh_get_stream_data(c->old_doc, old_oh, qpdf_dl_none, NULL, &a, &a_len);
    qpdf_oh_get_stream_data(c->new_doc, new_oh, qpdf_dl_none, NULL, &b, &b_len);
    bool equal = a && b && a_len == b_len && memcmp(a, b, a_len) == 0;
    free(a);
    free(b);
    return equal;
}

/* The form field a dictionary is or belongs to (a widget kid), when it is not a signature
 * field: its fully qualified name (12.7.3.2) in `name`; false otherwise. */
static bool filled_field_name(qpdf_data q, qpdf_oh oh, char *name, size_t size)
{
    qpdf_oh ft = qpdf_oh_new_null(q);
    qpdf_oh cur = oh;
    name[0] = 0;
    for (int depth = 0; depth < 32 && qpdf_oh_is_dictionary(q, cur); depth++) {
        if (qpdf_oh_is_null(q, ft) && qpdf_oh_has_key(q, cur, "/FT"))
            ft = qpdf_oh_get_key(q, cur, "/FT");
        qpdf_oh t = qpdf_oh_get_key(q, cur, "/T");
        if (qpdf_oh_is_string(q, t)) {
            char joined[512];
            snprintf(joined, sizeof joined, "%s%s%s", qpdf_oh_get_utf8_value(q, t),
                     name[0] ? "." : "", name);
            snprintf(name, size, "%s", joined);
        }
        cur = qpdf_oh_get_key(q, cur, "/Parent");
    }
    return qpdf_oh_is_name(q, ft) && !qpdf_oh_is_name_and_equals(q, ft, "/Sig") && name[0];
}

/* An appearance that a later update points at must be new: one that already existed when
 * the document was signed could have been prepared to show something else (the shadow
 * attacks' "replace" variant). */
static bool appearance_is_new(const changes_ctx *c, qpdf_oh new_field)
{
    qpdf_data q = c->new_doc;
    qpdf_oh ap = qpdf_oh_get_key_if_dict(q, new_field, "/AP");
    const char *kinds[] = {"/N", "/R", "/D"};
    for (int k = 0; k < 3; k++) {
        qpdf_oh entry = qpdf_oh_get_key_if_dict(q, ap, kinds[k]);
        qpdf_oh states[64];
        int n = 0;
        if (qpdf_oh_is_stream(q, entry) || !qpdf_oh_is_dictionary(q, entry)) {
            states[n++] = entry;
        } else {
            qpdf_oh_begin_dict_key_iter(q, entry);
            while (n < 64 && qpdf_oh_dict_more_keys(q))
                states[n++] = qpdf_oh_get_key(q, entry, qpdf_oh_dict_next_key(q));
        }
        for (int i = 0; i < n; i++) {
            int id = qpdf_oh_get_object_id(q, states[i]);
            if (id > 0 && !qpdf_oh_is_null(c->old_doc, qpdf_get_object_by_id(
                                                           c->old_doc, id,
                                                           qpdf_oh_get_generation(q, states[i]))))
                return false;
        }
    }
    return true;
}

static int judge_changed(changes_ctx *c, int id, qpdf_oh old_oh, qpdf_oh new_oh)
{
    qpdf_data q = c->new_doc;
    static const char *const catalog_ok[] = {"/AcroForm", "/DSS", NULL};
    static const char *const acroform_ok[] = {"/SigFlags", "/DR", "/DA", NULL};
    static const char *const fields_grow[] = {"/Fields", NULL};
    static const char *const annots_grow[] = {"/Annots", NULL};
    /* A prepared, empty signature field being signed: it gains /V and its appearance. */
    static const char *const sign_field_ok[] = {"/V", "/AP", "/AS", "/M", "/DA", "/F", NULL};

    if (qpdf_oh_is_stream(q, new_oh)) {
        if (!qpdf_oh_is_stream(c->old_doc, old_oh))
            return refuse(c, "stream", id, "replaced by a stream");
        if (!stream_data_equal(c, old_oh, new_oh))
            return refuse(c, "stream", id, "stream data changed");
        return judge_dict(c, id, "stream", qpdf_oh_get_dict(c->old_doc, old_oh),
                          qpdf_oh_get_dict(q, new_oh), NULL, NULL);
    }
    if (qpdf_oh_is_array(q, new_oh)) {
        if (grew_by_signatures(c, old_oh, new_oh)) {
            c->n_allowed++;
            return 0;
        }
        return refuse(c, "array", id, "entries changed");
    }
    if (!qpdf_oh_is_dictionary(q, new_oh) || !qpdf_oh_is_dictionary(c->old_doc, old_oh))
        return refuse(c, "object", id, "value changed");
    if (id == c->root_id)
        return judge_dict(c, id, "catalog", old_oh, new_oh, catalog_ok, NULL);
    if (id == c->acroform_id)
        return judge_dict(c, id, "AcroForm", old_oh, new_oh, acroform_ok, fields_grow);
    if (qpdf_oh_is_dictionary_of_type(q, new_oh, "/Page", ""))
        return judge_dict(c, id, "page", old_oh, new_oh, NULL, annots_grow);
    /* Filling in a form field: its value and its widgets' appearance (12.7.4), where the
     * signature does not lock it (12.8.2.4) and is not a P=1 certification. */
    static const char *const fill_ok[] = {"/V", "/AS", "/AP", NULL};
    char name[512];
    if (filled_field_name(c->old_doc, old_oh, name, sizeof name)) {
        if (pdf_mdp_policy_locks(c->policy, name) &&
            (value_differs(c, old_oh, new_oh, "/V") || value_differs(c, old_oh, new_oh, "/AS") ||
             value_differs(c, old_oh, new_oh, "/AP"))) {
            char detail[600];
            snprintf(detail, sizeof detail, "field '%s' is locked by the signature (FieldMDP)",
                     name);
            return refuse(c, "form field", id, detail);
        }
        if (value_differs(c, old_oh, new_oh, "/AP") && !appearance_is_new(c, new_oh))
            return refuse(c, "form field", id,
                          "its new appearance is an object that existed before signing");
        return judge_dict(c, id, "form field", old_oh, new_oh, fill_ok, NULL);
    }
    if (seal_pdf_is_sig_field_or_widget(c->old_doc, old_oh) &&
        !qpdf_oh_has_key(c->old_doc, old_oh, "/V") && seal_pdf_is_sig_field_or_widget(q, new_oh)) {
        char *full = NULL;
        qpdf_oh t = qpdf_oh_get_key(c->old_doc, old_oh, "/T");
        if (c->policy->lock != PDF_LOCK_NONE && qpdf_oh_is_string(c->old_doc, t) &&
            pdf_mdp_policy_locks(c->policy, qpdf_oh_get_utf8_value(c->old_doc, t))) {
            full = strdup(qpdf_oh_get_utf8_value(c->old_doc, t));
            char detail[600];
            snprintf(detail, sizeof detail,
                     "signature field '%s' is locked by the signature (FieldMDP)",
                     full ? full : "?");
            free(full);
            return refuse(c, "signature field", id, detail);
        }
        return judge_dict(c, id, "signature field", old_oh, new_oh, sign_field_ok, NULL);
    }
    if (c->policy->docmdp == 3 && is_markup_annotation(c->old_doc, old_oh) &&
        is_markup_annotation(q, new_oh)) {
        c->n_allowed++;
        return 0;
    }
    if (qpdf_oh_is_dictionary_of_type(q, new_oh, "/Pages", ""))
        return judge_dict(c, id, "page tree", old_oh, new_oh, NULL, NULL);
    return judge_dict(c, id, "object", old_oh, new_oh, NULL, NULL);
}

static int judge_object(changes_ctx *c, const seal_pdf_xref_entry *e)
{
    qpdf_oh old_oh = qpdf_get_object_by_id(c->old_doc, (int)e->id, (int)e->gen);
    qpdf_oh new_oh = qpdf_get_object_by_id(c->new_doc, (int)e->id, (int)e->gen);
    bool in_old = !qpdf_oh_is_null(c->old_doc, old_oh);
    bool in_new = e->in_use && !qpdf_oh_is_null(c->new_doc, new_oh);
    int rc = 0;
    if (in_new && qpdf_oh_is_dictionary_of_type(c->new_doc, new_oh, "/XRef", ""))
        return 0; /* the cross-reference streams of the updates themselves */
    if (c->policy->docmdp == 1 && (in_old || in_new)) {
        /* 12.8.2.2 Table 254, P=1: no change at all, not even a signature. */
        bool changed = !in_old || !in_new;
        if (!changed) {
            char *a = unparse(c->old_doc, old_oh), *b = unparse(c->new_doc, new_oh);
            changed =
                !a || !b || strcmp(a, b) != 0 ||
                (qpdf_oh_is_stream(c->new_doc, new_oh) && !stream_data_equal(c, old_oh, new_oh));
            free(a);
            free(b);
        }
        return changed ? refuse(c, "object", (int)e->id,
                                !in_old   ? "added, but the certification allows no change (P=1)"
                                : !in_new ? "deleted, but the certification allows no change (P=1)"
                                          : "changed, but the certification allows no change (P=1)")
                       : 0;
    }
    if (in_old && !in_new) {
        rc = refuse(c, "object", (int)e->id, "deleted");
    } else if (!in_old && in_new) {
        /* New objects do nothing until a changed object refers to them, and those are
         * judged here; a new page is still named since it is what a reader sees. */
        if (qpdf_oh_is_dictionary_of_type(c->new_doc, new_oh, "/Page", "")) {
            char detail[64];
            snprintf(detail, sizeof detail, "page %d added", page_number(c->new_doc, (int)e->id));
            rc = refuse(c, "new object", (int)e->id, detail);
        } else {
            c->n_allowed++;
        }
    } else if (in_old && in_new) {
        char *a = unparse(c->old_doc, old_oh);
        char *b = unparse(c->new_doc, new_oh);
        if (!a || !b)
            rc = seal_error_set(SEAL_ENOMEM, "out of memory comparing revisions");
        else if (strcmp(a, b) != 0 ||
                 (qpdf_oh_is_stream(c->new_doc, new_oh) && !stream_data_equal(c, old_oh, new_oh)))
            rc = judge_changed(c, (int)e->id, old_oh, new_oh);
        free(a);
        free(b);
    }
    return rc;
}

/* A cross-reference stream's entries, decoded by qpdf (Flate and predictors) and read by
 * our bounded decoder. */
static int load_stream_entries(qpdf_data q, seal_pdf_revision *rev)
{
    int rc = 0;
    unsigned char *data = NULL;
    size_t len = 0;
    uint64_t *index = NULL;
    qpdf_oh xref = qpdf_get_object_by_id(q, (int)rev->stream_id, (int)rev->stream_gen);
    SEAL_ENSURE(qpdf_oh_is_stream(q, xref), SEAL_EFORMAT,
                "the cross-reference stream at offset %zu cannot be read", rev->xref_offset);
    qpdf_oh dict = qpdf_oh_get_dict(q, xref);
    qpdf_oh w = qpdf_oh_get_key(q, dict, "/W");
    SEAL_ENSURE(qpdf_oh_is_array(q, w) && qpdf_oh_get_array_n_items(q, w) == 3, SEAL_EFORMAT,
                "the cross-reference stream at offset %zu has no valid /W", rev->xref_offset);
    uint32_t widths[3];
    for (int i = 0; i < 3; i++) {
        long long v = qpdf_oh_get_int_value(q, qpdf_oh_get_array_item(q, w, i));
        SEAL_ENSURE(v >= 0 && v <= 8, SEAL_EFORMAT,
                    "the cross-reference stream at offset %zu has an invalid /W", rev->xref_offset);
        widths[i] = (uint32_t)v;
    }
    long long size = qpdf_oh_get_int_value(q, qpdf_oh_get_key(q, dict, "/Size"));
    qpdf_oh idx = qpdf_oh_get_key(q, dict, "/Index");
    size_t n_index = qpdf_oh_is_array(q, idx) ? (size_t)qpdf_oh_get_array_n_items(q, idx) : 0;
    if (n_index > 0) {
        index = calloc(n_index, sizeof *index);
        SEAL_ENSURE(index, SEAL_ENOMEM, "out of memory reading a cross-reference stream");
        for (size_t i = 0; i < n_index; i++) {
            long long v = qpdf_oh_get_int_value(q, qpdf_oh_get_array_item(q, idx, (int)i));
            SEAL_ENSURE(v >= 0, SEAL_EFORMAT,
                        "the cross-reference stream at offset %zu has a negative /Index",
                        rev->xref_offset);
            index[i] = (uint64_t)v;
        }
    }
    QPDF_BOOL filtered = QPDF_FALSE;
    qpdf_oh_get_stream_data(q, xref, qpdf_dl_generalized, &filtered, &data, &len);
    SEAL_TRY(pdf_qpdf_error(q, "a cross-reference stream cannot be decoded"));
    SEAL_ENSURE(data && filtered && size >= 0, SEAL_EFORMAT,
                "the cross-reference stream at offset %zu cannot be decoded", rev->xref_offset);
    SEAL_TRY(seal_pdf_xref_stream_entries(rev, seal_slice_of(data, len), widths, index, n_index,
                                          (uint64_t)size));
out:
    free(data);
    free(index);
    return rc;
}

int seal_pdf_check_changes(seal_sig_report *s, qpdf_data final_doc, seal_slice file,
                           seal_pdf_tail *tail, size_t signed_end, const pdf_mdp_policy *policy,
                           const char *password)
{
    int rc = 0;
    changes_ctx c = {.new_doc = final_doc, .s = s, .policy = policy};
    size_t n_updates = 0;
    SEAL_TRY(pdf_qpdf_new_strict(&c.old_doc, "the signed revision"));
    if (qpdf_read_memory(c.old_doc, "the signed revision", (const char *)file.data, signed_end,
                         password) &
        QPDF_ERRORS) {
        pdf_qpdf_error(c.old_doc, "the signed revision cannot be read");
        SEAL_TRY(seal_sig_add_check(s, "changes", SEAL_VERDICT_INVALID, "FORMAT_FAILURE", "%s",
                                    seal_error_last()));
        goto out;
    }
    c.root_id = qpdf_oh_get_object_id(final_doc, qpdf_get_root(final_doc));
    c.acroform_id = qpdf_oh_get_object_id(
        final_doc, qpdf_oh_get_key(final_doc, qpdf_get_root(final_doc), "/AcroForm"));

    /* Every revision written after the signed one, oldest first so that the last
     * definition of an object is judged last (it is the one a reader shows). */
    for (size_t r = tail->n_revs; r-- > 0;) {
        seal_pdf_revision *rev = &tail->revs[r];
        if (rev->xref_offset < signed_end)
            continue;
        n_updates++;
        if (rev->is_stream && !rev->entries && load_stream_entries(final_doc, rev) < 0) {
            SEAL_TRY(seal_sig_add_check(s, "changes", SEAL_VERDICT_INDETERMINATE, "FORMAT_FAILURE",
                                        "what a later update changed cannot be analysed: %s",
                                        seal_error_last()));
            goto out;
        }
        for (size_t i = 0; i < rev->n_entries; i++)
            if (rev->entries[i].id != 0)
                SEAL_TRY(judge_object(&c, &rev->entries[i]));
    }
    if (qpdf_has_error(final_doc) || qpdf_has_error(c.old_doc)) {
        qpdf_data bad = qpdf_has_error(final_doc) ? final_doc : c.old_doc;
        pdf_qpdf_error(bad, "comparing the revisions failed");
        SEAL_TRY(seal_sig_add_check(s, "changes", SEAL_VERDICT_INDETERMINATE, "FORMAT_FAILURE",
                                    "%s", seal_error_last()));
    } else if (c.n_refused > 0) {
        if (c.n_refused > MAX_LISTED_CHANGES)
            SEAL_TRY(seal_sig_add_change(s, "... and %zu more changes",
                                         c.n_refused - MAX_LISTED_CHANGES));
        SEAL_TRY(seal_sig_add_check(s, "changes", SEAL_VERDICT_INVALID, "MODIFIED_AFTER_SIGNING",
                                    "%zu later update(s) changed the document in ways a "
                                    "signature does not allow (%zu change(s) listed)",
                                    n_updates, c.n_refused));
    } else if (n_updates == 0) {
        /* Bytes after the signed revision's %%EOF with no cross-reference section and no
         * startxref of their own: readers go by the last startxref and never see them. */
        SEAL_TRY(seal_sig_add_check(s, "changes", SEAL_VERDICT_VALID, NULL,
                                    "no later update: the %zu byte(s) after the signed "
                                    "revision are not an incremental update, and readers "
                                    "ignore them",
                                    file.len - signed_end));
    } else {
        SEAL_TRY(
            seal_sig_add_check(s, "changes", SEAL_VERDICT_VALID, NULL,
                               "%zu later update(s) only added or changed %zu object(s) "
                               "in ways the signature allows (later signatures, %s)",
                               n_updates, c.n_allowed,
                               policy->docmdp == 3 ? "form filling, annotations" : "form filling"));
    }
out:
    if (c.old_doc)
        qpdf_cleanup(&c.old_doc);
    return rc;
}
