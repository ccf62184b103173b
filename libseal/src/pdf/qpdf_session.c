/* The one way libseal opens a qpdf session, for stamping and verifying alike: libqpdf
 * loaded by the first (qpdf_lazy.h), errors and warnings kept for us to read rather than
 * printed, and no recovery, because an update written on top of a repaired
 * cross-reference, or a verdict given on one, would concern objects that are not where
 * the file says they are (PDF-SIGN.md section 1). */
#include "pdf_internal.h"

#include <seal/error.h>

#include <stdio.h>

int pdf_qpdf_new_strict(qpdf_data *out, const char *what)
{
    int rc = 0;
    *out = NULL;
    SEAL_TRY(pdf_qpdf_load());
    qpdf_data q = qpdf_init();
    SEAL_ENSURE(q, SEAL_ENOMEM, "out of memory opening %s", what);
    qpdf_silence_errors(q);
    qpdf_set_suppress_warnings(q, QPDF_TRUE);
    qpdf_set_attempt_recovery(q, QPDF_FALSE);
    *out = q;
out:
    return rc;
}

int pdf_qpdf_error(qpdf_data q, const char *what)
{
    if (!qpdf_has_error(q))
        return 0;
    qpdf_error e = qpdf_get_error(q);
    return seal_error_set(SEAL_EFORMAT, "%s: %s", what,
                          e ? qpdf_get_error_full_text(q, e) : "unreadable PDF structure");
}

int pdf_qpdf_refuse_warnings(qpdf_data q, const char *path, bool type_warnings,
                             const char *consequence)
{
    char damage[512] = "";
    /* The text is copied: qpdf frees it with the next warning. */
    while (qpdf_more_warnings(q)) {
        qpdf_error w = qpdf_next_warning(q);
        if (!damage[0] && (type_warnings || qpdf_get_error_code(q, w) != qpdf_e_object)) {
            const char *detail = qpdf_get_error_message_detail(q, w);
            snprintf(damage, sizeof damage, "%s", detail && *detail ? detail : "qpdf warning");
        }
    }
    if (!damage[0])
        return 0;
    return seal_error_set(SEAL_EFORMAT, "%s is damaged (%s); %s", path, damage, consequence);
}
