/* The audit record of every use of a seal: a seal used without a trace is what a platform
 * must never allow, so a stamp whose record cannot be written is undone (its output
 * removed). A stamp's record also counts the use of the grant it used, in the same
 * transaction (seal_store_use_record). Records carry the actor the request names, paths,
 * digests and the error's wording, never a PIN, a key or a signature. */
#include "stamp/stamp_internal.h"

#include <seal/audit.h>
#include <seal/error.h>

#include <stdio.h>
#include <time.h>
#include <unistd.h>

int stamp_audit(seal_store *st, const stamp_audit_info *a, const seal_stamp_digests *d, int rc)
{
    char target[300], where[48];
    const char *actor = a->actor && *a->actor ? a->actor : "unknown";
    snprintf(target, sizeof target, "seal:%s", a->seal_id);
    if (a->places)
        snprintf(where, sizeof where, "%zu place%s", a->places, a->places == 1 ? "" : "s");
    else
        snprintf(where, sizeof where, "invisible");
    if (rc < 0) {
        /* The stamp's own error is what the caller reads; a record that fails too is
         * appended to it. */
        int err = seal_error_last_code();
        char *why = g_strdup(seal_error_last());
        if (seal_store_audit(st, actor, "stamp-failed", target, "%s %s -> %s: %s",
                             a->format ? a->format : "?", a->input, a->output, why) < 0)
            seal_error_set(err, "%s (and the failure could not be recorded in the audit trail: %s)",
                           why, seal_error_last());
        else
            seal_error_set(err, "%s", why);
        g_free(why);
        return rc;
    }
    seal_buf before = SEAL_BUF_INIT, after = SEAL_BUF_INIT;
    const char *alg = seal_digest_name(d->md);
    rc = seal_hex_encode(&before, d->before, d->len, false);
    if (rc == 0)
        rc = seal_hex_encode(&after, d->after, d->len, false);
    if (rc == 0)
        rc = seal_store_use_record(st, a->seal_id, a->grant_id, a->pending_id, time(NULL), actor,
                                   "stamp", "%s %s (%s %s) -> %s (%s %s), %s, %s%s%s", a->format,
                                   a->input, alg, (const char *)before.data, a->output, alg,
                                   (const char *)after.data, where, a->how, a->note ? ", " : "",
                                   a->note ? a->note : "");
    seal_buf_clear(&before);
    seal_buf_clear(&after);
    if (rc == 0)
        return 0;
    unlink(a->staged ? a->staged : a->output);
    if (rc == SEAL_EPOLICY) {
        /* Refused at the last moment (a racing stamp took the grant's last use, an
         * exclusive grant was claimed meanwhile): nothing was written, so say so. */
        char *why = g_strdup(seal_error_last());
        seal_error_set(rc, "%s; nothing was written", why);
        g_free(why);
        return stamp_audit(st, a, NULL, rc);
    }
    return seal_error_wrap(seal_error_last_code(),
                           "the stamp could not be recorded in the audit trail, so %s was removed",
                           a->output);
}
