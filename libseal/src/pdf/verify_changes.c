/* What changed after a signature: the signed revision (the file prefix its ByteRange
 * covers, read by qpdf from the same mapping, never copied) is compared object by object
 * with the final document, for every object a later cross-reference section defines or
 * frees. Each changed object is judged by the role it had in the SIGNED revision (catalog,
 * page tree, page, content stream, resources, annotation list, annotation, AcroForm,
 * field list, form field, validation data), never by what the new revision says it is,
 * and each change is allowed (later signatures and their fields, widgets, appearances,
 * DSS and document timestamps; filling in fields the signature does not lock, unless the
 * field lies over page text; annotations under DocMDP P=3) or not: anything not on that
 * allow-list is a modification. A trailer /Root that names a new catalog is judged
 * against the signed catalog, and bytes after the signed revision that are no
 * well-formed incremental update are reported. PDF-SIGN.md 5.6 and docs/verify.md, "What
 * counts as a change after signing", after pyHanko's difference analysis and the
 * published attacks (USF, ISA, SWA 2019; shadow attacks 2021; EAA, SSA 2021). */
#include "mdp.h"
#include "poppler_lazy.h"
#include "verify_internal.h"

#include <seal/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Changes we list one by one before summing up the rest. */
#define MAX_LISTED_CHANGES 50
#define MAX_KEYS           256
#define MAX_ALLOWED_TEXT   1500
/* Bounds on the walk that gives the signed revision's objects their roles. */
#define MAX_ROLE_DEPTH  64
#define MAX_ROLE_VISITS 200000

/* The role of an object in the signed revision (the first role found wins: a page's
 * content stream used as a resource too is judged as content). */
enum role {
    ROLE_NONE,
    ROLE_CATALOG,
    ROLE_PAGE_TREE,
    ROLE_PAGE,
    ROLE_CONTENT,
    ROLE_RESOURCE,
    ROLE_ANNOTS,
    ROLE_ANNOT,
    ROLE_ACROFORM,
    ROLE_FIELDS,
    ROLE_FIELD,
    ROLE_DSS,
};

static const char *const role_names[] = {
    "object",          "catalog",    "page tree", "page",       "content stream", "resources",
    "annotation list", "annotation", "AcroForm",  "field list", "form field",     "validation data",
};

typedef struct role_slot {
    int id; /* 0: empty */
    int role;
    int page; /* 1-based page the object belongs to; 0 when none */
} role_slot;

typedef struct changes_ctx {
    qpdf_data old_doc; /* the signed revision */
    qpdf_data new_doc; /* the final document */
    seal_slice signed_bytes;
    seal_sig_report *s;
    const pdf_mdp_policy *policy;
    const char *password;
    int root_id; /* the signed revision's catalog */
    role_slot *roles;
    size_t roles_cap; /* a power of two */
    size_t roles_n;
    size_t visits;
    size_t n_allowed;
    size_t n_refused;
    char allowed[MAX_ALLOWED_TEXT]; /* the allowed changes, "; " between them */
    bool allowed_full;
} changes_ctx;

/* ---- roles in the signed revision ---- */

static role_slot *role_find(const changes_ctx *c, int id)
{
    if (!c->roles || id <= 0)
        return NULL;
    for (size_t i = (size_t)id * 2654435761u & (c->roles_cap - 1);;
         i = (i + 1) & (c->roles_cap - 1)) {
        if (c->roles[i].id == id)
            return &c->roles[i];
        if (c->roles[i].id == 0)
            return NULL;
    }
}

/* Records the role; false when the object already has one (or cannot be recorded). */
static bool role_put(changes_ctx *c, int id, int role, int page)
{
    if (id <= 0 || role_find(c, id) || c->visits >= MAX_ROLE_VISITS)
        return false;
    if ((c->roles_n + 1) * 2 > c->roles_cap) {
        size_t cap = c->roles_cap ? c->roles_cap * 2 : 1024;
        role_slot *grown = calloc(cap, sizeof *grown);
        if (!grown)
            return false;
        for (size_t i = 0; i < c->roles_cap; i++) {
            if (c->roles[i].id == 0)
                continue;
            size_t j = (size_t)c->roles[i].id * 2654435761u & (cap - 1);
            while (grown[j].id != 0)
                j = (j + 1) & (cap - 1);
            grown[j] = c->roles[i];
        }
        free(c->roles);
        c->roles = grown;
        c->roles_cap = cap;
    }
    size_t i = (size_t)id * 2654435761u & (c->roles_cap - 1);
    while (c->roles[i].id != 0)
        i = (i + 1) & (c->roles_cap - 1);
    c->roles[i] = (role_slot){id, role, page};
    c->roles_n++;
    c->visits++;
    return true;
}

/* Gives `role` to `oh` and to every indirect object it reaches that has none yet (not
 * climbing back through /Parent or /P). */
static void role_walk(changes_ctx *c, qpdf_oh oh, int role, int page, int depth)
{
    qpdf_data q = c->old_doc;
    if (depth > MAX_ROLE_DEPTH || c->visits >= MAX_ROLE_VISITS)
        return;
    if (qpdf_oh_is_indirect(q, oh) && !role_put(c, qpdf_oh_get_object_id(q, oh), role, page))
        return;
    if (qpdf_oh_is_array(q, oh)) {
        int n = qpdf_oh_get_array_n_items(q, oh);
        for (int i = 0; i < n; i++)
            role_walk(c, qpdf_oh_get_array_item(q, oh, i), role, page, depth + 1);
        return;
    }
    qpdf_oh dict = qpdf_oh_is_stream(q, oh) ? qpdf_oh_get_dict(q, oh) : oh;
    if (!qpdf_oh_is_dictionary(q, dict))
        return;
    /* Collect first: the key iterator is shared state inside qpdf. */
    char *names[MAX_KEYS];
    size_t count = 0;
    qpdf_oh_begin_dict_key_iter(q, dict);
    while (count < MAX_KEYS && qpdf_oh_dict_more_keys(q))
        names[count++] = strdup(qpdf_oh_dict_next_key(q));
    for (size_t i = 0; i < count; i++) {
        if (names[i] && strcmp(names[i], "/Parent") != 0 && strcmp(names[i], "/P") != 0)
            role_walk(c, qpdf_oh_get_key(q, dict, names[i]), role, page, depth + 1);
        free(names[i]);
    }
}

static void role_walk_tree(changes_ctx *c, qpdf_oh node, int depth)
{
    qpdf_data q = c->old_doc;
    if (depth > MAX_ROLE_DEPTH || !qpdf_oh_is_dictionary(q, node))
        return;
    /* pages were given their role first; this marks the inner nodes */
    role_put(c, qpdf_oh_get_object_id(q, node), ROLE_PAGE_TREE, 0);
    role_walk(c, qpdf_oh_get_key(q, node, "/Resources"), ROLE_RESOURCE, 0, 0);
    qpdf_oh kids = qpdf_oh_get_key(q, node, "/Kids");
    if (qpdf_oh_is_indirect(q, kids))
        role_put(c, qpdf_oh_get_object_id(q, kids), ROLE_PAGE_TREE, 0);
    int n = qpdf_oh_is_array(q, kids) ? qpdf_oh_get_array_n_items(q, kids) : 0;
    for (int i = 0; i < n; i++)
        role_walk_tree(c, qpdf_oh_get_array_item(q, kids, i), depth + 1);
}

static void role_walk_fields(changes_ctx *c, qpdf_oh fields, int depth)
{
    qpdf_data q = c->old_doc;
    if (depth > MAX_ROLE_DEPTH || !qpdf_oh_is_array(q, fields))
        return;
    if (qpdf_oh_is_indirect(q, fields))
        role_put(c, qpdf_oh_get_object_id(q, fields), ROLE_FIELDS, 0);
    int n = qpdf_oh_get_array_n_items(q, fields);
    for (int i = 0; i < n; i++) {
        qpdf_oh f = qpdf_oh_get_array_item(q, fields, i);
        role_put(c, qpdf_oh_get_object_id(q, f), ROLE_FIELD, 0);
        role_walk_fields(c, qpdf_oh_get_key_if_dict(q, f, "/Kids"), depth + 1);
    }
}

/* The roles of the signed revision's objects: what each one was when it was signed. */
static void assign_roles(changes_ctx *c)
{
    qpdf_data q = c->old_doc;
    qpdf_oh root = qpdf_get_root(q);
    role_put(c, c->root_id, ROLE_CATALOG, 0);
    qpdf_oh dss = qpdf_oh_get_key_if_dict(q, root, "/DSS");
    int pages = qpdf_get_num_pages(q);
    for (int p = 0; p < pages; p++)
        role_put(c, qpdf_oh_get_object_id(q, qpdf_get_page_n(q, (size_t)p)), ROLE_PAGE, p + 1);
    for (int p = 0; p < pages; p++) {
        qpdf_oh page = qpdf_get_page_n(q, (size_t)p);
        role_walk(c, qpdf_oh_get_key(q, page, "/Contents"), ROLE_CONTENT, p + 1, 0);
        qpdf_oh annots = qpdf_oh_get_key(q, page, "/Annots");
        if (qpdf_oh_is_indirect(q, annots))
            role_put(c, qpdf_oh_get_object_id(q, annots), ROLE_ANNOTS, p + 1);
        int n = qpdf_oh_is_array(q, annots) ? qpdf_oh_get_array_n_items(q, annots) : 0;
        for (int i = 0; i < n; i++)
            role_walk(c, qpdf_oh_get_array_item(q, annots, i), ROLE_ANNOT, p + 1, 0);
    }
    qpdf_oh acroform = qpdf_oh_get_key_if_dict(q, root, "/AcroForm");
    if (qpdf_oh_is_indirect(q, acroform))
        role_put(c, qpdf_oh_get_object_id(q, acroform), ROLE_ACROFORM, 0);
    role_walk_fields(c, qpdf_oh_get_key_if_dict(q, acroform, "/Fields"), 0);
    role_walk_tree(c, qpdf_oh_get_key_if_dict(q, root, "/Pages"), 0);
    for (int p = 0; p < pages; p++)
        role_walk(c, qpdf_oh_get_key(q, qpdf_get_page_n(q, (size_t)p), "/Resources"), ROLE_RESOURCE,
                  p + 1, 0);
    role_walk(c, qpdf_oh_get_key_if_dict(q, acroform, "/DR"), ROLE_RESOURCE, 0, 0);
    role_walk(c, dss, ROLE_DSS, 0, 0);
}

/* ---- the report ---- */

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

static void role_label(const changes_ctx *c, int id, char *out, size_t size)
{
    const role_slot *r = role_find(c, id);
    int role = r ? r->role : ROLE_NONE;
    if (role == ROLE_PAGE)
        snprintf(out, size, "page %d", r->page);
    else if (r && r->page > 0 && role != ROLE_RESOURCE)
        snprintf(out, size, "%s of page %d", role_names[role], r->page);
    else
        snprintf(out, size, "%s", role_names[role]);
}

/* A change the signature does not allow, as "object N (ROLE): DETAIL". */
static int refuse(changes_ctx *c, const char *what, int id, const char *detail)
{
    c->n_refused++;
    if (c->n_refused > MAX_LISTED_CHANGES)
        return 0;
    return seal_sig_add_change(
        c->s, "object %d (%s): %s%s", id, what, detail,
        c->policy->docmdp == 1 ? ", but the certification allows no change (P=1)" : "");
}

static int refuse_role(changes_ctx *c, int id, const char *detail)
{
    char label[96];
    role_label(c, id, label, sizeof label);
    return refuse(c, label, id, detail);
}

/* A change the signature allows, listed in the "changes" check so that a reader sees it. */
static void allow(changes_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void allow(changes_ctx *c, const char *fmt, ...)
{
    char line[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->n_allowed++;
    if (strstr(c->allowed, line) || c->allowed_full)
        return;
    size_t used = strlen(c->allowed);
    if (used + strlen(line) + 8 >= sizeof c->allowed) {
        snprintf(c->allowed + used, sizeof c->allowed - used, "%s...", used ? "; " : "");
        c->allowed_full = true;
        return;
    }
    snprintf(c->allowed + used, sizeof c->allowed - used, "%s%s", used ? "; " : "", line);
}

/* ---- comparing values ---- */

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

static const char *key_change(const changes_ctx *c, qpdf_oh old_dict, qpdf_oh new_dict,
                              const char *key)
{
    return !qpdf_oh_has_key(c->old_doc, old_dict, key)   ? "added"
           : !qpdf_oh_has_key(c->new_doc, new_dict, key) ? "removed"
                                                         : "changed";
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

static void read_rect(qpdf_data q, qpdf_oh annot, double r[4])
{
    qpdf_oh rect = qpdf_oh_get_key_if_dict(q, annot, "/Rect");
    for (int i = 0; i < 4; i++)
        r[i] = qpdf_oh_is_array(q, rect) && qpdf_oh_get_array_n_items(q, rect) == 4
                   ? qpdf_oh_get_numeric_value(q, qpdf_oh_get_array_item(q, rect, i))
                   : 0;
}

/* ---- annotations and fields ---- */

/* An annotation other than a widget (ISO 32000-1 12.5.2): DocMDP P=3 allows them. */
static bool is_markup_annotation(qpdf_data q, qpdf_oh oh)
{
    qpdf_oh subtype = qpdf_oh_get_key_if_dict(q, oh, "/Subtype");
    return qpdf_oh_is_name(q, subtype) && !qpdf_oh_is_name_and_equals(q, subtype, "/Widget") &&
           qpdf_oh_is_array(q, qpdf_oh_get_key(q, oh, "/Rect"));
}

/* The fully qualified name (12.7.3.2) of the field a dictionary is or belongs to, and its
 * type (/FT, inheritable) in *ft. */
static void field_name(qpdf_data q, qpdf_oh oh, char *name, size_t size, qpdf_oh *ft)
{
    qpdf_oh cur = oh;
    *ft = qpdf_oh_new_null(q);
    name[0] = 0;
    for (int depth = 0; depth < 32 && qpdf_oh_is_dictionary(q, cur); depth++) {
        if (qpdf_oh_is_null(q, *ft) && qpdf_oh_has_key(q, cur, "/FT"))
            *ft = qpdf_oh_get_key(q, cur, "/FT");
        qpdf_oh t = qpdf_oh_get_key(q, cur, "/T");
        if (qpdf_oh_is_string(q, t)) {
            char joined[512];
            snprintf(joined, sizeof joined, "%s%s%s", qpdf_oh_get_utf8_value(q, t),
                     name[0] ? "." : "", name);
            snprintf(name, size, "%s", joined);
        }
        cur = qpdf_oh_get_key(q, cur, "/Parent");
    }
}

/* The form field a dictionary is or belongs to (a widget kid), when it is not a signature
 * field: its fully qualified name in `name`; false otherwise. */
static bool filled_field_name(qpdf_data q, qpdf_oh oh, char *name, size_t size)
{
    qpdf_oh ft;
    field_name(q, oh, name, size, &ft);
    return qpdf_oh_is_name(q, ft) && !qpdf_oh_is_name_and_equals(q, ft, "/Sig") && name[0];
}

/* Whether a widget draws something: a normal appearance, a rectangle with an area, and
 * neither Hidden nor NoView (12.5.3, Table 165: bits 2 and 6). */
static bool draws(qpdf_data q, qpdf_oh widget)
{
    double r[4];
    read_rect(q, widget, r);
    qpdf_oh flags = qpdf_oh_get_key_if_dict(q, widget, "/F");
    long long f = qpdf_oh_is_integer(q, flags) ? qpdf_oh_get_int_value(q, flags) : 0;
    qpdf_oh ap = qpdf_oh_get_key_if_dict(q, qpdf_oh_get_key_if_dict(q, widget, "/AP"), "/N");
    return !qpdf_oh_is_null(q, ap) && r[0] != r[2] && r[1] != r[3] && !(f & 2) && !(f & 32);
}

/* The signature dictionary of the field a signature field or widget belongs to. */
static qpdf_oh sig_value(qpdf_data q, qpdf_oh item)
{
    qpdf_oh cur = item;
    for (int depth = 0; depth < 32 && qpdf_oh_is_dictionary(q, cur); depth++) {
        if (qpdf_oh_has_key(q, cur, "/V"))
            return qpdf_oh_get_key(q, cur, "/V");
        cur = qpdf_oh_get_key(q, cur, "/Parent");
    }
    return qpdf_oh_new_null(q);
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

/* A new entry of a page's /Annots (`page` > 0) or of the AcroForm's /Fields (`page` 0):
 * a signature field or widget (under P=1 only a document timestamp's), or under P=3 a
 * markup annotation. An unsigned signature field that draws over the page is the
 * certification attacks' sneaky signature (SSA): refused whatever the policy. When
 * refused, `why` says what the entry is. */
static bool new_entry_allowed(changes_ctx *c, qpdf_oh item, int page, char *why, size_t size)
{
    qpdf_data q = c->new_doc;
    char name[512];
    if (seal_pdf_is_sig_field_or_widget(q, item)) {
        qpdf_oh ft;
        field_name(q, item, name, sizeof name, &ft);
        qpdf_oh v = sig_value(q, item);
        bool is_signed = qpdf_oh_is_dictionary(q, v);
        bool doc_ts =
            is_signed &&
            (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, v, "/Type"), "/DocTimeStamp") ||
             qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, v, "/SubFilter"), "/ETSI.RFC3161"));
        if (c->policy->docmdp == 1 && !doc_ts) {
            snprintf(why, size, "signature field '%s' added", name);
            return false;
        }
        if (page > 0 && !is_signed && draws(q, item)) {
            double r[4];
            read_rect(q, item, r);
            snprintf(why, size,
                     "unsigned signature field '%s' added whose appearance draws on page %d at "
                     "[%g %g %g %g] (a sneaky signature: no signature vouches for it)",
                     name, page, r[0], r[1], r[2], r[3]);
            return false;
        }
        if (page == 0 && is_signed) {
            qpdf_oh widget = qpdf_oh_has_key(q, item, "/Rect")
                                 ? item
                                 : qpdf_oh_get_array_item(q, qpdf_oh_get_key(q, item, "/Kids"), 0);
            qpdf_oh p = qpdf_oh_get_key_if_dict(q, widget, "/P");
            int on = qpdf_oh_is_dictionary(q, p) ? page_number(q, qpdf_oh_get_object_id(q, p)) : 0;
            if (on > 0)
                allow(c, "%s '%s' added on page %d", doc_ts ? "document timestamp" : "signature",
                      name, on);
            else
                allow(c, "%s '%s' added", doc_ts ? "document timestamp" : "signature", name);
        }
        return true;
    }
    if (is_markup_annotation(q, item)) {
        /* qpdf returns names and strings in one buffer per session: copy before the next */
        char subtype[64];
        snprintf(subtype, sizeof subtype, "%s",
                 qpdf_oh_get_name(q, qpdf_oh_get_key(q, item, "/Subtype")) + 1);
        if (c->policy->docmdp == 3 && !appearance_is_new(c, item)) {
            snprintf(why, size,
                     "a %s annotation added whose appearance is an object that existed before "
                     "signing (shadow hide)",
                     subtype);
            return false;
        }
        if (c->policy->docmdp == 3) {
            if (page > 0) {
                double r[4];
                read_rect(q, item, r);
                qpdf_oh text = qpdf_oh_get_key(q, item, "/Contents");
                allow(c, "%s annotation added on page %d at [%g %g %g %g]%s%s", subtype, page, r[0],
                      r[1], r[2], r[3], qpdf_oh_is_string(q, text) ? ": " : "",
                      qpdf_oh_is_string(q, text) ? qpdf_oh_get_utf8_value(q, text) : "");
            }
            return true;
        }
        snprintf(why, size, "a %s annotation added", subtype);
        return false;
    }
    snprintf(why, size, "an entry added that is no signature field%s",
             c->policy->docmdp == 3 ? " or annotation" : "");
    return false;
}

/* An array that only grew, by entries new_entry_allowed() accepts (a page's /Annots, the
 * AcroForm's /Fields). A missing old array counts as empty. */
static bool grew_by_allowed(changes_ctx *c, qpdf_oh old_arr, qpdf_oh new_arr, int page, char *why,
                            size_t size)
{
    why[0] = 0;
    if (!qpdf_oh_is_array(c->new_doc, new_arr))
        return false;
    int n_old =
        qpdf_oh_is_array(c->old_doc, old_arr) ? qpdf_oh_get_array_n_items(c->old_doc, old_arr) : 0;
    if (!qpdf_oh_is_array(c->old_doc, old_arr) && !qpdf_oh_is_null(c->old_doc, old_arr))
        return false;
    int n_new = qpdf_oh_get_array_n_items(c->new_doc, new_arr);
    if (n_new < n_old) {
        snprintf(why, size, "entries removed");
        return false;
    }
    for (int i = 0; i < n_new; i++) {
        qpdf_oh item = qpdf_oh_get_array_item(c->new_doc, new_arr, i);
        if (i < n_old) {
            /* Earlier entries stay as they were, in place. */
            char *a =
                strdup(qpdf_oh_unparse(c->old_doc, qpdf_oh_get_array_item(c->old_doc, old_arr, i)));
            bool same = a && strcmp(a, qpdf_oh_unparse(c->new_doc, item)) == 0;
            free(a);
            if (!same) {
                snprintf(why, size, "entry %d replaced", i + 1);
                return false;
            }
        } else if (!new_entry_allowed(c, item, page, why, size)) {
            return false;
        }
    }
    return true;
}

/* Dictionary changes where only `allowed` keys differ, and array-valued keys among
 * `grow_only` only grew by allowed entries (`page`: the page whose /Annots they are). */
static int judge_dict(changes_ctx *c, int id, const char *what, qpdf_oh old_oh, qpdf_oh new_oh,
                      const char *const *allowed, const char *const *grow_only, int page)
{
    int rc = 0;
    char *keys[32];
    size_t n = differing_keys(c, old_oh, new_oh, keys, 32);
    for (size_t i = 0; i < n; i++) {
        bool ok = false;
        char why[700] = "";
        for (const char *const *a = allowed; a && *a && !ok; a++)
            ok = strcmp(*a, keys[i]) == 0;
        for (const char *const *g = grow_only; g && *g && !ok; g++)
            ok = strcmp(*g, keys[i]) == 0 &&
                 grew_by_allowed(c, qpdf_oh_get_key(c->old_doc, old_oh, keys[i]),
                                 qpdf_oh_get_key(c->new_doc, new_oh, keys[i]), page, why,
                                 sizeof why);
        if (!ok && rc == 0) {
            char detail[800];
            snprintf(detail, sizeof detail, "%s %s%s%s", keys[i],
                     key_change(c, old_oh, new_oh, keys[i]), why[0] ? ": " : "", why);
            rc = refuse(c, what, id, detail);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    return rc;
}

/* ---- shadow replace: a field over page text ---- */

/* The page text of the signed revision that lies under `rect` (PDF user space of page
 * `page`, whose media box is taken to start at 0 0 and not to be rotated: Poppler lays
 * the text out from the top left), up to `size` bytes in `out`; empty when none. */
static void text_under(const changes_ctx *c, int page, const double rect[4], char *out, size_t size)
{
    const pdf_poppler *pp = NULL;
    GError *error = NULL;
    out[0] = 0;
    if (page <= 0 || pdf_poppler_get(&pp) < 0)
        return;
    GBytes *bytes = g_bytes_new_static(c->signed_bytes.data, c->signed_bytes.len);
    PopplerDocument *doc = pp->document_new_from_bytes(bytes, c->password, &error);
    PopplerPage *pg = doc ? pp->document_get_page(doc, page - 1) : NULL;
    PopplerRectangle *rects = NULL;
    guint n_rects = 0;
    char *text = pg ? pp->page_get_text(pg) : NULL;
    if (text && g_utf8_validate(text, -1, NULL) && pp->page_get_text_layout(pg, &rects, &n_rects)) {
        double width, height;
        pp->page_get_size(pg, &width, &height);
        double x0 = rect[0] < rect[2] ? rect[0] : rect[2],
               x1 = rect[0] < rect[2] ? rect[2] : rect[0];
        double y0 = rect[1] < rect[3] ? rect[1] : rect[3],
               y1 = rect[1] < rect[3] ? rect[3] : rect[1];
        size_t used = 0;
        const char *ch = text;
        for (guint i = 0; i < n_rects && *ch; i++, ch = g_utf8_next_char(ch)) {
            double cx = (rects[i].x1 + rects[i].x2) / 2,
                   cy = height - (rects[i].y1 + rects[i].y2) / 2;
            size_t len = (size_t)(g_utf8_next_char(ch) - ch);
            if (*ch == '\n' || cx < x0 || cx > x1 || cy < y0 || cy > y1 || used + len + 1 > size)
                continue;
            memcpy(out + used, ch, len);
            used += len;
            out[used] = 0;
        }
        /* only white space is no text */
        bool blank = true;
        for (const char *p = out; *p && blank; p++)
            blank = *p == ' ' || *p == '\t';
        if (blank)
            out[0] = 0;
    }
    g_free(text);
    g_free(rects);
    if (pg)
        g_object_unref(pg);
    if (doc)
        g_object_unref(doc);
    g_bytes_unref(bytes);
    g_clear_error(&error);
}

/* The page text under any widget of the field `field` (itself when merged, else its /Kids)
 * in the signed revision, with the widget's page. */
static bool field_covers_text(changes_ctx *c, qpdf_oh field, char *text, size_t size, int *page)
{
    qpdf_data q = c->old_doc;
    qpdf_oh widgets[16];
    int n = 0;
    if (qpdf_oh_has_key(q, field, "/Rect")) {
        widgets[n++] = field;
    } else {
        qpdf_oh kids = qpdf_oh_get_key(q, field, "/Kids");
        int k = qpdf_oh_is_array(q, kids) ? qpdf_oh_get_array_n_items(q, kids) : 0;
        for (int i = 0; i < k && n < 16; i++)
            widgets[n++] = qpdf_oh_get_array_item(q, kids, i);
    }
    for (int i = 0; i < n; i++) {
        const role_slot *r = role_find(c, qpdf_oh_get_object_id(q, widgets[i]));
        qpdf_oh p = qpdf_oh_get_key_if_dict(q, widgets[i], "/P");
        *page = r && r->page > 0 ? r->page : page_number(q, qpdf_oh_get_object_id(q, p));
        double rect[4];
        read_rect(q, widgets[i], rect);
        if (rect[0] == rect[2] || rect[1] == rect[3] || *page <= 0)
            continue;
        text_under(c, *page, rect, text, size);
        if (text[0])
            return true;
    }
    return false;
}

/* ---- judging one object ---- */

/* The catalog's /AcroForm, old and new values compared by what they hold: removing it
 * hides every field; a new or swapped AcroForm is judged as an edit of the signed one. */
static int judge_acroform_value(changes_ctx *c, int id, const char *what, qpdf_oh old_cat,
                                qpdf_oh new_cat)
{
    static const char *const acroform_ok[] = {"/SigFlags", "/DR", "/DA", NULL};
    static const char *const fields_grow[] = {"/Fields", NULL};
    qpdf_oh old_af = qpdf_oh_get_key(c->old_doc, old_cat, "/AcroForm");
    qpdf_oh new_af = qpdf_oh_get_key(c->new_doc, new_cat, "/AcroForm");
    if (!qpdf_oh_is_dictionary(c->new_doc, new_af))
        return refuse(c, what, id, "/AcroForm removed: the form fields are no longer shown");
    int old_id = qpdf_oh_get_object_id(c->old_doc, old_af);
    int new_id = qpdf_oh_get_object_id(c->new_doc, new_af);
    if (old_id > 0 && old_id == new_id)
        return 0; /* the same object: judged as itself where it changed */
    if (!qpdf_oh_is_dictionary(c->old_doc, old_af))
        old_af = qpdf_oh_new_null(c->old_doc); /* a first signature's new AcroForm */
    char label[64];
    snprintf(label, sizeof label,
             new_id > 0 ? "AcroForm, object %d, that the catalog now names"
                        : "AcroForm in the catalog",
             new_id);
    if (qpdf_oh_is_null(c->old_doc, old_af)) {
        char why[700];
        if (!grew_by_allowed(c, old_af, qpdf_oh_get_key(c->new_doc, new_af, "/Fields"), 0, why,
                             sizeof why)) {
            char detail[800];
            snprintf(detail, sizeof detail, "/AcroForm added: %s", why);
            return refuse(c, what, id, detail);
        }
        return 0;
    }
    return judge_dict(c, id, label, old_af, new_af, acroform_ok, fields_grow, 0);
}

/* The catalog (the signed one, or a new object the trailer's /Root now names, which is
 * judged against the signed one): validation data may be added (ISO 32000-2 12.8.4.3,
 * Table 257 allows DSS even under P=1), the AcroForm grow by signatures; nothing else. */
static int judge_catalog(changes_ctx *c, int id, const char *what, qpdf_oh old_cat, qpdf_oh new_cat)
{
    int rc = 0;
    char *keys[64];
    size_t n = differing_keys(c, old_cat, new_cat, keys, 64);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (strcmp(keys[i], "/DSS") == 0) {
            allow(c, "validation data (DSS) %s",
                  qpdf_oh_has_key(c->old_doc, old_cat, "/DSS") ? "updated" : "added");
        } else if (strcmp(keys[i], "/AcroForm") == 0) {
            rc = judge_acroform_value(c, id, what, old_cat, new_cat);
        } else {
            char detail[300];
            snprintf(detail, sizeof detail, "%s %s", keys[i],
                     key_change(c, old_cat, new_cat, keys[i]));
            rc = refuse(c, what, id, detail);
        }
    }
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    return rc;
}

/* A form field (not a signature field) whose value or appearance changed: allowed unless
 * the signature locks it (12.8.2.4), certifies with P=1, the new appearance existed before
 * signing, or the field lies over page text of the signed revision (shadow replace: a
 * filled-in value there can hide what was signed). */
static int judge_filled_field(changes_ctx *c, int id, const char *name, qpdf_oh old_oh,
                              qpdf_oh new_oh)
{
    static const char *const fill_ok[] = {"/V", "/AS", "/AP", NULL};
    char detail[900];
    bool shown = value_differs(c, old_oh, new_oh, "/V") ||
                 value_differs(c, old_oh, new_oh, "/AS") || value_differs(c, old_oh, new_oh, "/AP");
    if (!shown)
        return judge_dict(c, id, "form field", old_oh, new_oh, NULL, NULL, 0);
    if (pdf_mdp_policy_locks(c->policy, name)) {
        snprintf(detail, sizeof detail, "field '%s' is locked by the signature (FieldMDP)", name);
        return refuse(c, "form field", id, detail);
    }
    if (c->policy->docmdp == 1) {
        snprintf(detail, sizeof detail, "field '%s' filled in", name);
        return refuse(c, "form field", id, detail);
    }
    if (value_differs(c, old_oh, new_oh, "/AP") && !appearance_is_new(c, new_oh))
        return refuse(c, "form field", id,
                      "its new appearance is an object that existed before signing");
    char text[200];
    int page = 0;
    if (field_covers_text(c, old_oh, text, sizeof text, &page)) {
        snprintf(detail, sizeof detail,
                 "field '%s' covers page text of the signed revision on page %d (\"%s\") and "
                 "was filled in: what it now shows can hide what was signed (shadow replace)",
                 name, page, text);
        return refuse(c, "form field", id, detail);
    }
    size_t before = c->n_refused;
    int rc = judge_dict(c, id, "form field", old_oh, new_oh, fill_ok, NULL, 0);
    if (rc == 0 && c->n_refused == before)
        allow(c, "field '%s' filled in", name);
    return rc;
}

static int judge_changed(changes_ctx *c, int id, qpdf_oh old_oh, qpdf_oh new_oh)
{
    qpdf_data q = c->new_doc;
    static const char *const annots_grow[] = {"/Annots", NULL};
    /* A prepared, empty signature field being signed: it gains /V and its appearance. */
    static const char *const sign_field_ok[] = {"/V", "/AP", "/AS", "/M", "/DA", "/F", NULL};
    const role_slot *r = role_find(c, id);
    int role = r ? r->role : ROLE_NONE;
    char label[96], why[700] = "", detail[800];
    role_label(c, id, label, sizeof label);

    if (role == ROLE_DSS) {
        allow(c, "validation data (DSS) updated");
        return 0;
    }
    if (qpdf_oh_is_stream(q, new_oh) || qpdf_oh_is_stream(c->old_doc, old_oh)) {
        if (!qpdf_oh_is_stream(c->old_doc, old_oh) || !qpdf_oh_is_stream(q, new_oh))
            return refuse(c, label, id, "a stream replaced by another kind of object or back");
        if (!stream_data_equal(c, old_oh, new_oh))
            return refuse(c, label, id, "stream data changed");
        return judge_dict(c, id, label, qpdf_oh_get_dict(c->old_doc, old_oh),
                          qpdf_oh_get_dict(q, new_oh), NULL, NULL, 0);
    }
    if (id == c->root_id)
        return judge_catalog(c, id, "catalog", old_oh, new_oh);
    if (qpdf_oh_is_array(q, new_oh) || qpdf_oh_is_array(c->old_doc, old_oh)) {
        if ((role == ROLE_ANNOTS || role == ROLE_FIELDS) &&
            grew_by_allowed(c, old_oh, new_oh, role == ROLE_ANNOTS ? r->page : 0, why, sizeof why))
            return 0;
        snprintf(detail, sizeof detail, "entries changed%s%s", why[0] && role ? ": " : "",
                 role == ROLE_ANNOTS || role == ROLE_FIELDS ? why : "");
        return refuse(c, label, id, detail);
    }
    if (!qpdf_oh_is_dictionary(q, new_oh) || !qpdf_oh_is_dictionary(c->old_doc, old_oh))
        return refuse(c, label, id, "value changed");
    if (role == ROLE_ACROFORM) {
        static const char *const acroform_ok[] = {"/SigFlags", "/DR", "/DA", NULL};
        static const char *const fields_grow[] = {"/Fields", NULL};
        return judge_dict(c, id, label, old_oh, new_oh, acroform_ok, fields_grow, 0);
    }
    if (role == ROLE_PAGE)
        return judge_dict(c, id, label, old_oh, new_oh, NULL, annots_grow, r->page);
    char name[512];
    if (filled_field_name(c->old_doc, old_oh, name, sizeof name))
        return judge_filled_field(c, id, name, old_oh, new_oh);
    if (seal_pdf_is_sig_field_or_widget(c->old_doc, old_oh) &&
        !qpdf_oh_has_key(c->old_doc, old_oh, "/V") && seal_pdf_is_sig_field_or_widget(q, new_oh)) {
        qpdf_oh ft;
        field_name(c->old_doc, old_oh, name, sizeof name, &ft);
        if ((c->policy->lock != PDF_LOCK_NONE && pdf_mdp_policy_locks(c->policy, name)) ||
            c->policy->docmdp == 1) {
            snprintf(detail, sizeof detail, "signature field '%s' %s", name,
                     c->policy->docmdp == 1 ? "signed" : "is locked by the signature (FieldMDP)");
            return refuse(c, "signature field", id, detail);
        }
        if (!qpdf_oh_is_dictionary(q, sig_value(q, new_oh)) && draws(q, new_oh) &&
            (value_differs(c, old_oh, new_oh, "/AP") || value_differs(c, old_oh, new_oh, "/F"))) {
            const role_slot *w = role_find(c, id);
            snprintf(detail, sizeof detail,
                     "signature field '%s' now draws on page %d without being signed (a sneaky "
                     "signature: no signature vouches for it)",
                     name, w ? w->page : 0);
            return refuse(c, "signature field", id, detail);
        }
        size_t before = c->n_refused;
        int rc = judge_dict(c, id, "signature field", old_oh, new_oh, sign_field_ok, NULL, 0);
        if (rc == 0 && c->n_refused == before && qpdf_oh_has_key(q, new_oh, "/V"))
            allow(c, "signature field '%s' signed", name);
        return rc;
    }
    if (c->policy->docmdp == 3 && is_markup_annotation(c->old_doc, old_oh) &&
        is_markup_annotation(q, new_oh) && role == ROLE_ANNOT) {
        allow(c, "%s annotation changed on page %d",
              qpdf_oh_get_name(q, qpdf_oh_get_key(q, new_oh, "/Subtype")) + 1, r->page);
        return 0;
    }
    return judge_dict(c, id, label, old_oh, new_oh, NULL, NULL, 0);
}

static int judge_object(changes_ctx *c, const seal_pdf_xref_entry *e)
{
    qpdf_oh old_oh = qpdf_get_object_by_id(c->old_doc, (int)e->id, (int)e->gen);
    qpdf_oh new_oh = qpdf_get_object_by_id(c->new_doc, (int)e->id, (int)e->gen);
    /* A free entry names the generation a reuse would take (ISO 32000-1 7.5.4): the
     * object it frees has the one before. */
    if (!e->in_use && e->gen > 0 && qpdf_oh_is_null(c->old_doc, old_oh))
        old_oh = qpdf_get_object_by_id(c->old_doc, (int)e->id, (int)e->gen - 1);
    bool in_old = !qpdf_oh_is_null(c->old_doc, old_oh);
    bool in_new = e->in_use && !qpdf_oh_is_null(c->new_doc, new_oh);
    int rc = 0;
    if (in_new && qpdf_oh_is_dictionary_of_type(c->new_doc, new_oh, "/XRef", ""))
        return 0; /* the cross-reference streams of the updates themselves */
    if (in_old && !in_new) {
        /* a free entry (or one whose object is gone): readers show the signed object no
         * more, whatever it was */
        rc = refuse_role(c, (int)e->id, "deleted");
    } else if (!in_old && in_new) {
        /* New objects do nothing until a changed object refers to them, and those are
         * judged here; a new page is still named since it is what a reader sees. */
        if (qpdf_oh_is_dictionary_of_type(c->new_doc, new_oh, "/Page", "")) {
            char detail[64];
            snprintf(detail, sizeof detail, "page %d added", page_number(c->new_doc, (int)e->id));
            rc = refuse(c, "new object", (int)e->id, detail);
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
int seal_pdf_load_stream_entries(qpdf_data q, seal_pdf_revision *rev)
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

static bool is_white(uint8_t ch)
{
    /* ISO 32000-1 7.2.2, Table 1 */
    return ch == 0 || ch == 9 || ch == 10 || ch == 12 || ch == 13 || ch == 32;
}

/* Bytes after the signed revision that no revision of the /Prev chain accounts for: after
 * the last revision's %%EOF (white space aside), or a %%EOF that ends no chained
 * revision. Readers that follow the chain never see them; readers that repair a file do,
 * and they can hold anything (the incremental saving attacks, ISA). *found tells whether
 * a check was recorded. */
static int check_unchained(changes_ctx *c, seal_slice file, const seal_pdf_tail *tail,
                           size_t signed_end, bool *found)
{
    int rc = 0;
    *found = false;
    size_t last_end = tail->revs[0].end_eol;
    for (size_t p = signed_end; p + 5 <= last_end; p++) {
        if (memcmp(file.data + p, "%%EOF", 5) != 0)
            continue;
        bool chained = false;
        for (size_t r = 0; r < tail->n_revs && !chained; r++)
            chained = tail->revs[r].end == p + 5;
        if (!chained) {
            *found = true;
            SEAL_TRY(seal_sig_add_check(c->s, "changes", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                        "a revision ending at offset %zu is not in the chain of "
                                        "cross-reference sections (/Prev): readers that follow "
                                        "the chain and readers that repair the file show "
                                        "different documents",
                                        p + 5));
            goto out;
        }
    }
    size_t first = last_end;
    while (first < file.len && is_white(file.data[first]))
        first++;
    if (first == file.len)
        goto out;
    *found = true;
    size_t n = file.len - last_end;
    bool objects = memmem(file.data + first, file.len - first, "obj", 3) ||
                   memmem(file.data + first, file.len - first, "xref", 4) ||
                   memmem(file.data + first, file.len - first, "trailer", 7);
    if (objects)
        SEAL_TRY(seal_sig_add_check(c->s, "changes", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "%zu byte(s) after the last revision are not an incremental "
                                    "update: they hold objects or cross-reference keywords but "
                                    "no cross-reference section that the file's startxref "
                                    "leads to; a reader that repairs the file shows them "
                                    "(incremental saving attack)",
                                    n));
    else
        SEAL_TRY(seal_sig_add_check(c->s, "changes", SEAL_VERDICT_INDETERMINATE, "FORMAT_FAILURE",
                                    "%zu byte(s) after the last revision are not an incremental "
                                    "update: readers ignore them, but no signature covers them "
                                    "and they can hide data",
                                    n));
out:
    return rc;
}

/* An object header "N G obj" at `p` (at a line start): its number in *id. */
static bool object_header(seal_slice file, size_t p, uint64_t *id)
{
    size_t q = p;
    uint64_t v = 0;
    int parts = 0;
    while (parts < 2) {
        size_t digits = 0;
        for (v = 0; q < file.len && file.data[q] >= '0' && file.data[q] <= '9' && digits < 10;
             q++, digits++)
            v = v * 10 + (uint64_t)(file.data[q] - '0');
        if (digits == 0 || q >= file.len || !is_white(file.data[q]))
            return false;
        if (parts == 0)
            *id = v;
        while (q < file.len && is_white(file.data[q]))
            q++;
        parts++;
    }
    return file.len - q >= 3 && memcmp(file.data + q, "obj", 3) == 0;
}

/* The body of update `rev` (from the end of the revision before it to its cross-reference
 * section) may only hold the objects its cross-reference section lists: an object written
 * there and left out is what a reader that repairs the file shows and one that follows the
 * cross-reference does not (an incremental saving attack). Each listed object is skipped
 * to its "endobj", so that stream data is not scanned. */
static int check_update_body(changes_ctx *c, seal_slice file, const seal_pdf_revision *rev,
                             size_t from, bool *found)
{
    int rc = 0;
    for (size_t p = from; p < rev->xref_offset && p < file.len; p++) {
        uint64_t id = 0;
        if ((p > 0 && file.data[p - 1] != '\n' && file.data[p - 1] != '\r') ||
            !object_header(file, p, &id))
            continue;
        bool listed = false;
        for (size_t i = 0; i < rev->n_entries && !listed; i++)
            listed = rev->entries[i].in_use && !rev->entries[i].in_stream &&
                     rev->entries[i].offset == p && rev->entries[i].id == id;
        if (!listed) {
            *found = true;
            SEAL_TRY(seal_sig_add_check(
                c->s, "changes", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                "object %llu at offset %zu is written in a later update but not listed in its "
                "cross-reference section: a reader that repairs the file shows it, one that "
                "follows the cross-reference does not (incremental saving attack)",
                (unsigned long long)id, p));
            goto out;
        }
        const uint8_t *end = memmem(file.data + p, rev->xref_offset - p, "endobj", 6);
        if (!end)
            break;
        p = (size_t)(end - file.data) + 5;
    }
out:
    return rc;
}

int seal_pdf_check_changes(seal_sig_report *s, qpdf_data final_doc, seal_slice file,
                           seal_pdf_tail *tail, size_t signed_end, const pdf_mdp_policy *policy,
                           const char *password)
{
    int rc = 0;
    changes_ctx c = {.new_doc = final_doc,
                     .s = s,
                     .policy = policy,
                     .password = password,
                     .signed_bytes = seal_slice_of(file.data, signed_end)};
    size_t n_updates = 0;
    bool unchained = false;
    SEAL_TRY(pdf_qpdf_new_strict(&c.old_doc, "the signed revision"));
    if (qpdf_read_memory(c.old_doc, "the signed revision", (const char *)file.data, signed_end,
                         password) &
        QPDF_ERRORS) {
        pdf_qpdf_error(c.old_doc, "the signed revision cannot be read");
        SEAL_TRY(seal_sig_add_check(s, "changes", SEAL_VERDICT_INVALID, "FORMAT_FAILURE", "%s",
                                    seal_error_last()));
        goto out;
    }
    SEAL_TRY(check_unchained(&c, file, tail, signed_end, &unchained));
    c.root_id = qpdf_oh_get_object_id(c.old_doc, qpdf_get_root(c.old_doc));
    assign_roles(&c);

    /* A trailer whose /Root names another object than the signed catalog: the new catalog
     * is judged as an edit of the signed one (its old object is then unused, and new
     * objects are otherwise only judged through what refers to them). */
    int final_root = qpdf_oh_get_object_id(final_doc, qpdf_get_root(final_doc));
    if (final_root != c.root_id)
        SEAL_TRY(judge_catalog(&c, final_root, "new catalog", qpdf_get_root(c.old_doc),
                               qpdf_get_root(final_doc)));

    /* Every revision written after the signed one, oldest first so that the last
     * definition of an object is judged last (it is the one a reader shows). */
    for (size_t r = tail->n_revs; r-- > 0;) {
        seal_pdf_revision *rev = &tail->revs[r];
        if (rev->xref_offset < signed_end)
            continue;
        n_updates++;
        if (rev->is_stream && !rev->entries && seal_pdf_load_stream_entries(final_doc, rev) < 0) {
            SEAL_TRY(seal_sig_add_check(s, "changes", SEAL_VERDICT_INDETERMINATE, "FORMAT_FAILURE",
                                        "what a later update changed cannot be analysed: %s",
                                        seal_error_last()));
            goto out;
        }
        if (!unchained)
            SEAL_TRY(check_update_body(
                &c, file, rev, r + 1 < tail->n_revs ? tail->revs[r + 1].end_eol : 0, &unchained));
        for (size_t i = 0; i < rev->n_entries; i++)
            if (rev->entries[i].id != 0)
                SEAL_TRY(judge_object(&c, &rev->entries[i]));
    }
    if (c.n_refused > 0) {
        /* a damaged object met on the way does not make these changes less certain */
        if (c.n_refused > MAX_LISTED_CHANGES)
            SEAL_TRY(seal_sig_add_change(s, "... and %zu more changes",
                                         c.n_refused - MAX_LISTED_CHANGES));
        SEAL_TRY(seal_sig_add_check(s, "changes", SEAL_VERDICT_INVALID, "MODIFIED_AFTER_SIGNING",
                                    "%zu later update(s) changed the document in ways the "
                                    "signature does not allow (%zu change(s) listed)",
                                    n_updates, c.n_refused));
    } else if (qpdf_has_error(final_doc) || qpdf_has_error(c.old_doc)) {
        qpdf_data bad = qpdf_has_error(final_doc) ? final_doc : c.old_doc;
        pdf_qpdf_error(bad, "comparing the revisions failed");
        SEAL_TRY(seal_sig_add_check(s, "changes", SEAL_VERDICT_INDETERMINATE, "FORMAT_FAILURE",
                                    "%s", seal_error_last()));
    } else if (unchained) {
        /* already said */
    } else if (n_updates == 0) {
        SEAL_TRY(seal_sig_add_check(
            s, "changes", SEAL_VERDICT_VALID, NULL, "no later update%s",
            file.len > signed_end ? " (only white space after the signed revision)" : ""));
    } else {
        SEAL_TRY(seal_sig_add_check(
            s, "changes", SEAL_VERDICT_VALID, NULL,
            "%zu later update(s), every change allowed by the "
            "signature: %s",
            n_updates, c.allowed[0] ? c.allowed : "only objects that nothing shown refers to"));
    }
out:
    free(c.roles);
    if (c.old_doc)
        qpdf_cleanup(&c.old_doc);
    return rc;
}
