/* The audit record of every use of a seal by `sealsvc stamp`: a seal used without a trace
 * is what a platform must never allow, so a stamp whose record cannot be written is undone
 * (its output removed). Records carry paths, digests and the error's wording, never a PIN
 * or a key. */
#include "stamp_audit.h"

#include "cli.h"

#include <seal/ca.h>
#include <seal/error.h>

#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int stamp_audit(seal_store *st, const stamp_record *r, int code)
{
    char target[300], where[48];
    snprintf(target, sizeof target, "seal:%s", r->seal_id);
    if (r->places)
        snprintf(where, sizeof where, "%zu place%s", r->places, r->places == 1 ? "" : "s");
    else
        snprintf(where, sizeof where, "invisible");
    if (code != EXIT_OK) {
        /* The stamp's own error is what the user reads; a record that fails too is said. */
        int err = seal_error_last_code();
        char *why = g_strdup(seal_error_last());
        if (seal_store_audit(st, g_get_user_name(), "stamp-failed", target, "%s %s -> %s: %s",
                             r->format, r->in, r->out, why) < 0)
            fprintf(stderr,
                    "sealsvc: warning: the failed stamp could not be recorded in the "
                    "audit trail: %s\n",
                    seal_error_last());
        seal_error_set(err, "%s", why);
        g_free(why);
        return code;
    }
    seal_buf before = SEAL_BUF_INIT, after = SEAL_BUF_INIT;
    const char *alg = seal_digest_name(r->digests.md);
    int rc = seal_hex_encode(&before, r->digests.before, r->digests.len, false);
    if (rc == 0)
        rc = seal_hex_encode(&after, r->digests.after, r->digests.len, false);
    if (rc == 0)
        rc = seal_store_audit(st, g_get_user_name(), "stamp", target,
                              "%s %s (%s %s) -> %s (%s %s), %s, %s", r->format, r->in, alg,
                              (const char *)before.data, r->out, alg, (const char *)after.data,
                              where, r->how);
    seal_buf_clear(&before);
    seal_buf_clear(&after);
    if (rc == 0)
        return EXIT_OK;
    unlink(r->out);
    seal_error_wrap(seal_error_last_code(),
                    "the stamp could not be recorded in the audit trail, so %s was removed",
                    r->out);
    return cli_fail("stamp");
}
