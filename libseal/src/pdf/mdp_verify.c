/* Verify side of document and field modification detection: what a signature lets later
 * updates change, read from its /Reference transforms (ISO 32000-1 12.8.2.2 DocMDP,
 * 12.8.2.4 FieldMDP) and its field's /Lock (12.7.4.5). verify_changes.c applies it. */
#include "mdp.h"

#include <seal/error.h>

#include <stdlib.h>
#include <string.h>

#define MAX_LOCK_NAMES 4096

static int read_lock(pdf_mdp_policy *p, qpdf_data q, qpdf_oh params)
{
    qpdf_oh action = qpdf_oh_get_key_if_dict(q, params, "/Action");
    int kind = qpdf_oh_is_name_and_equals(q, action, "/All")       ? PDF_LOCK_ALL
               : qpdf_oh_is_name_and_equals(q, action, "/Include") ? PDF_LOCK_INCLUDE
               : qpdf_oh_is_name_and_equals(q, action, "/Exclude") ? PDF_LOCK_EXCLUDE
                                                                   : PDF_LOCK_NONE;
    if (kind == PDF_LOCK_NONE || (p->lock != PDF_LOCK_NONE && p->lock != kind)) {
        /* Two different locks (transform and /Lock) or an unknown action: lock all, the
         * reading that never allows more than the signer meant. */
        if (kind != PDF_LOCK_NONE || qpdf_oh_is_dictionary(q, params))
            p->lock = PDF_LOCK_ALL;
        return 0;
    }
    p->lock = kind;
    qpdf_oh fields = qpdf_oh_get_key_if_dict(q, params, "/Fields");
    int n = qpdf_oh_is_array(q, fields) ? qpdf_oh_get_array_n_items(q, fields) : 0;
    for (int i = 0; i < n && p->n_names < MAX_LOCK_NAMES; i++) {
        qpdf_oh name = qpdf_oh_get_array_item(q, fields, i);
        if (!qpdf_oh_is_string(q, name))
            continue;
        char **grown = realloc(p->names, (p->n_names + 1) * sizeof *grown);
        if (!grown)
            return seal_error_set(SEAL_ENOMEM, "out of memory reading a field lock");
        p->names = grown;
        p->names[p->n_names] = strdup(qpdf_oh_get_utf8_value(q, name));
        if (!p->names[p->n_names])
            return seal_error_set(SEAL_ENOMEM, "out of memory reading a field lock");
        p->n_names++;
    }
    return 0;
}

int pdf_mdp_policy_read(pdf_mdp_policy *out, qpdf_data q, qpdf_oh sig, qpdf_oh field)
{
    int rc = 0;
    memset(out, 0, sizeof *out);
    out->docmdp = pdf_docmdp_level(q, sig);
    qpdf_oh refs = qpdf_oh_get_key_if_dict(q, sig, "/Reference");
    int n = qpdf_oh_is_array(q, refs) ? qpdf_oh_get_array_n_items(q, refs) : 0;
    for (int i = 0; i < n; i++) {
        qpdf_oh ref = qpdf_oh_get_array_item(q, refs, i);
        if (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key_if_dict(q, ref, "/TransformMethod"),
                                       "/FieldMDP"))
            SEAL_TRY(read_lock(out, q, qpdf_oh_get_key_if_dict(q, ref, "/TransformParams")));
    }
    qpdf_oh lock = qpdf_oh_get_key_if_dict(q, field, "/Lock");
    if (qpdf_oh_is_dictionary(q, lock))
        SEAL_TRY(read_lock(out, q, lock));
out:
    if (rc < 0)
        pdf_mdp_policy_clear(out);
    return rc;
}

bool pdf_mdp_policy_locks(const pdf_mdp_policy *p, const char *name)
{
    bool listed = false;
    for (size_t i = 0; i < p->n_names && !listed; i++)
        listed = strcmp(p->names[i], name) == 0;
    switch (p->lock) {
    case PDF_LOCK_ALL:
        return true;
    case PDF_LOCK_INCLUDE:
        return listed;
    case PDF_LOCK_EXCLUDE:
        return !listed;
    default:
        return false;
    }
}

const char *pdf_mdp_level_text(int level)
{
    switch (level) {
    case 1:
        return "certifies the document: no changes allowed (DocMDP P=1)";
    case 2:
        return "certifies the document: form filling and signing allowed (DocMDP P=2)";
    case 3:
        return "certifies the document: form filling, signing and annotations allowed (DocMDP "
               "P=3)";
    default:
        return "an approval signature: form filling and signing allowed after it";
    }
}

void pdf_mdp_policy_clear(pdf_mdp_policy *p)
{
    for (size_t i = 0; i < p->n_names; i++)
        free(p->names[i]);
    free(p->names);
    memset(p, 0, sizeof *p);
}
