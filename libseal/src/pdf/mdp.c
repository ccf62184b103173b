/* Stamp side of document and field modification detection: whether the document lets us
 * add a seal (encryption permissions, an earlier certification), and the dictionaries that
 * make our seal a certification (DocMDP) or lock form fields (FieldMDP), ISO 32000-1
 * 12.8.2.2 and 12.8.2.4 (PDF-SIGN.md section 2). */
#include "mdp.h"
#include "encrypt.h"

#include <seal/error.h>

#include <stdlib.h>
#include <string.h>

#define MAX_FIELD_DEPTH 32

int pdf_docmdp_level(qpdf_data q, qpdf_oh sig)
{
    qpdf_oh perms = qpdf_oh_get_key_if_dict(q, qpdf_get_root(q), "/Perms");
    qpdf_oh docmdp = qpdf_oh_get_key_if_dict(q, perms, "/DocMDP");
    int id = qpdf_oh_get_object_id(q, sig);
    if (id == 0 || qpdf_oh_get_object_id(q, docmdp) != id)
        return 0;
    qpdf_oh refs = qpdf_oh_get_key_if_dict(q, sig, "/Reference");
    int n = qpdf_oh_is_array(q, refs) ? qpdf_oh_get_array_n_items(q, refs) : 0;
    for (int i = 0; i < n; i++) {
        qpdf_oh ref = qpdf_oh_get_array_item(q, refs, i);
        if (!qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, ref, "/TransformMethod"),
                                        "/DocMDP"))
            continue;
        /* 12.8.2.2 Table 254: /P defaults to 2; a value outside 1-3 is read as the
         * strictest, so that a malformed entry never allows more. */
        qpdf_oh p =
            qpdf_oh_get_key_if_dict(q, qpdf_oh_get_key_if_dict(q, ref, "/TransformParams"), "/P");
        if (!qpdf_oh_is_integer(q, p))
            return 2;
        long long level = qpdf_oh_get_int_value(q, p);
        return level >= 1 && level <= 3 ? (int)level : 1;
    }
    return 0;
}

/* Fully qualified names of the terminal fields (12.7.3.2), and how many carry a
 * signature, walking /Fields and /Kids with a depth bound. */
typedef struct field_walk {
    char **names;
    size_t n;
    int signed_count;
} field_walk;

static int walk(field_walk *w, qpdf_data q, qpdf_oh fields, const char *prefix, int depth)
{
    int rc = 0;
    if (depth > MAX_FIELD_DEPTH || !qpdf_oh_is_array(q, fields))
        return 0;
    int n = qpdf_oh_get_array_n_items(q, fields);
    for (int i = 0; i < n; i++) {
        qpdf_oh f = qpdf_oh_get_array_item(q, fields, i);
        if (!qpdf_oh_is_dictionary(q, f))
            continue;
        qpdf_oh t = qpdf_oh_get_key(q, f, "/T");
        char *name = NULL;
        if (qpdf_oh_is_string(q, t)) {
            if (asprintf(&name, "%s%s%s", prefix, *prefix ? "." : "",
                         qpdf_oh_get_utf8_value(q, t)) < 0)
                name = NULL;
        } else {
            name = strdup(prefix);
        }
        SEAL_ENSURE(name, SEAL_ENOMEM, "out of memory reading the form fields");
        if (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, f, "/FT"), "/Sig") &&
            qpdf_oh_is_dictionary(q, qpdf_oh_get_key(q, f, "/V")))
            w->signed_count++;
        qpdf_oh kids = qpdf_oh_get_key(q, f, "/Kids");
        bool has_field_kids = false;
        int nk = qpdf_oh_is_array(q, kids) ? qpdf_oh_get_array_n_items(q, kids) : 0;
        for (int k = 0; k < nk && !has_field_kids; k++)
            has_field_kids = qpdf_oh_has_key(q, qpdf_oh_get_array_item(q, kids, k), "/T");
        if (has_field_kids) {
            rc = walk(w, q, kids, name, depth + 1);
            free(name);
            SEAL_TRY(rc);
        } else {
            char **grown = realloc(w->names, (w->n + 1) * sizeof *grown);
            if (!grown)
                free(name);
            SEAL_ENSURE(grown, SEAL_ENOMEM, "out of memory reading the form fields");
            w->names = grown;
            w->names[w->n++] = name;
        }
    }
out:
    return rc;
}

static void walk_clear(field_walk *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->names[i]);
    free(w->names);
}

/* Every name of "A,B,C" must be a field of the document. */
static int check_lock_names(const field_walk *w, const char *list)
{
    int rc = 0;
    char *copy = strdup(list), *save = NULL;
    SEAL_ENSURE(copy, SEAL_ENOMEM, "out of memory");
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        bool found = false;
        for (size_t i = 0; i < w->n && !found; i++)
            found = strcmp(w->names[i], name) == 0;
        SEAL_ENSURE(found, SEAL_ENOTFOUND,
                    "--lock-fields: the document has no form field named '%s' (%zu field%s)", name,
                    w->n, w->n == 1 ? "" : "s");
    }
out:
    free(copy);
    return rc;
}

int pdf_check_may_sign(seal_pdf *pdf, const seal_stamp_plan *plan)
{
    int rc = 0;
    qpdf_data q = pdf->q;
    field_walk w = {0};
    if (pdf->crypt)
        SEAL_TRY(pdf_crypt_check_sign_allowed(pdf->crypt, pdf->path));
    SEAL_ENSURE(plan->certify >= 0 && plan->certify <= 3, SEAL_EINVAL,
                "the certification level must be 1, 2 or 3, not %d", plan->certify);

    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh certifier =
        qpdf_oh_get_key_if_dict(q, qpdf_oh_get_key_if_dict(q, root, "/Perms"), "/DocMDP");
    int level = qpdf_oh_is_dictionary(q, certifier) ? pdf_docmdp_level(q, certifier) : 0;
    /* 12.8.2.2 Table 254, P=1: no changes at all; a seal is a change. */
    SEAL_ENSURE(level != 1, SEAL_EPOLICY,
                "%s is certified with no changes allowed (DocMDP P=1): a seal would break its "
                "certification",
                pdf->path);

    SEAL_TRY(walk(&w, q,
                  qpdf_oh_get_key_if_dict(q, qpdf_oh_get_key(q, root, "/AcroForm"), "/Fields"), "",
                  0));
    SEAL_TRY(pdf_qpdf_error(q, "the form fields cannot be read"));
    /* 12.8.2.2: a certification signature is the first signature of a document. */
    if (plan->certify) {
        SEAL_ENSURE(level == 0 && w.signed_count == 0, SEAL_EPOLICY,
                    "only the first signature may certify a document: %s %s", pdf->path,
                    level ? "is already certified" : "is already signed");
    }
    if (plan->lock_fields && strcmp(plan->lock_fields, "all") != 0)
        SEAL_TRY(check_lock_names(&w, plan->lock_fields));
out:
    walk_clear(&w);
    return rc;
}

static int write_field_names(seal_buf *out, const char *list)
{
    int rc = 0;
    char *copy = strdup(list), *save = NULL;
    SEAL_ENSURE(copy, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(seal_buf_append_str(out, " /Fields ["));
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        SEAL_TRY(seal_buf_append_byte(out, ' '));
        SEAL_TRY(pdf_text_string(out, name));
    }
    SEAL_TRY(seal_buf_append_str(out, " ]"));
out:
    free(copy);
    return rc;
}

/* 12.7.4.5 Table 233 and 12.8.2.4 Table 256 share /Action and /Fields. */
static int write_lock_action(seal_buf *out, const char *list)
{
    if (strcmp(list, "all") == 0)
        return seal_buf_append_str(out, " /Action /All");
    int rc = seal_buf_append_str(out, " /Action /Include");
    return rc < 0 ? rc : write_field_names(out, list);
}

int pdf_write_sig_references(seal_buf *out, seal_pdf *pdf, const seal_stamp_plan *plan)
{
    int rc = 0;
    if (!plan->certify && !plan->lock_fields)
        return 0;
    SEAL_TRY(seal_buf_append_str(out, " /Reference ["));
    if (plan->certify)
        SEAL_TRY(seal_buf_printf(out,
                                 " << /Type /SigRef /TransformMethod /DocMDP /TransformParams "
                                 "<< /Type /TransformParams /P %d /V /1.2 >> >>",
                                 plan->certify));
    if (plan->lock_fields) {
        /* Table 253: /Data, the object the FieldMDP analysis starts from: the catalog. */
        qpdf_oh root = qpdf_get_root(pdf->q);
        SEAL_TRY(seal_buf_append_str(out, " << /Type /SigRef /TransformMethod /FieldMDP "
                                          "/TransformParams << /Type /TransformParams"));
        SEAL_TRY(write_lock_action(out, plan->lock_fields));
        SEAL_TRY(seal_buf_printf(out, " /V /1.2 >> /Data %d %d R >>",
                                 qpdf_oh_get_object_id(pdf->q, root),
                                 qpdf_oh_get_generation(pdf->q, root)));
    }
    SEAL_TRY(seal_buf_append_str(out, " ]"));
out:
    return rc;
}

int pdf_write_field_lock(seal_buf *out, const seal_stamp_plan *plan)
{
    int rc = seal_buf_append_str(out, "<< /Type /SigFieldLock");
    if (rc == 0)
        rc = write_lock_action(out, plan->lock_fields);
    return rc < 0 ? rc : seal_buf_append_str(out, " >>");
}

int pdf_write_catalog_perms(seal_buf *out, seal_pdf *pdf, long long sig)
{
    int rc = 0;
    seal_buf entry = SEAL_BUF_INIT;
    qpdf_oh perms = qpdf_oh_get_key(pdf->q, qpdf_get_root(pdf->q), "/Perms");
    const char *drop[] = {"/DocMDP", NULL};
    SEAL_TRY(seal_buf_printf(&entry, "/DocMDP %lld 0 R", sig));
    SEAL_TRY(seal_buf_append_str(out, "/Perms "));
    if (qpdf_oh_is_dictionary(pdf->q, perms))
        SEAL_TRY(pdf_write_dict_with(out, pdf->q, perms, drop, (const char *)entry.data));
    else
        SEAL_TRY(seal_buf_printf(out, "<< %s >>", (const char *)entry.data));
out:
    seal_buf_clear(&entry);
    return rc;
}
