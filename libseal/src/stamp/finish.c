/* The second phase of an external stamp (seal/stamp.h): a signature made elsewhere for a
 * pending stamp the driver prepared, possibly in another process. The pending stamp is
 * claimed in the store so that one finisher runs at a time; the seal is checked again
 * (it may have been revoked, frozen or locked since prepare); the signature is checked
 * over the prepared data before anything is written (seal_doc_finish); the last steps
 * are the driver's own (stamp_complete). A refused signature leaves the stamp pending
 * for a retry; every attempt is in the audit trail. */
#include "stamp/stamp_internal.h"

#include <seal/audit.h>
#include <seal/doc.h>
#include <seal/error.h>

#include <errno.h>
#include <glib.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* In seal_stamp_finish: on failure, go record it. */
#define FINISH_TRY(expr)                                                                           \
    do {                                                                                           \
        rc = (expr);                                                                               \
        if (rc < 0)                                                                                \
            goto fail;                                                                             \
    } while (0)

/* The prepared stamp's leftovers on disk, for a stamp that will not be finished. */
static void abandon_record(const seal_pending_record *r)
{
    seal_pending_stamp *p = NULL;
    if (r->stamp.len > 0 && seal_pending_stamp_load(&p, r->stamp.data, r->stamp.len) == 0)
        seal_doc_abandon(p);
    seal_pending_stamp_free(p);
}

int seal_stamp_expire(seal_store *st, size_t *removed)
{
    seal_pending_record *gone = NULL;
    size_t n = 0;
    int err = seal_error_last_code();
    char *msg = g_strdup(seal_error_last());
    int rc = seal_store_pending_take_expired(st, time(NULL), &gone, &n);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char target[300];
        abandon_record(&gone[i]);
        snprintf(target, sizeof target, "seal:%s", gone[i].seal_id);
        rc = seal_store_audit(st, "sealsvc", "stamp-expired", target,
                              "%s %s -> %s: pending %s expired unsigned", gone[i].format,
                              gone[i].input, gone[i].output, gone[i].id);
    }
    seal_pending_records_free(gone, n);
    if (removed)
        *removed = n;
    if (rc == 0 && err < 0)
        seal_error_set(err, "%s", msg); /* a caller's error is not ours to clear */
    g_free(msg);
    return rc;
}

/* The signer's certificate as the finisher gives it: it must be the seal's own. */
static int check_given_certificate(const seal_stamp_finish_request *rq, X509 *cert,
                                   const char *seal_id)
{
    int rc = 0;
    X509 *given = NULL;
    if (!rq->certificate_pem)
        return 0;
    SEAL_TRY(seal_cert_load_mem(&given, rq->certificate_pem, rq->certificate_pem_len));
    SEAL_ENSURE(X509_cmp(given, cert) == 0, SEAL_EPOLICY,
                "the certificate given is not the one of seal %s; a pending stamp is finished "
                "with the seal's own key",
                seal_id);
out:
    X509_free(given);
    return rc;
}

int seal_stamp_finish(seal_stamp_result *res, seal_store *st, const seal_stamp_finish_request *rq)
{
    int rc = 0;
    seal_pending_record rec = {0};
    seal_pending_stamp *p = NULL;
    seal_record seal = {0};
    seal_signer *signer = NULL;
    seal_tsp_client tsa = {0};
    bool claimed = false, spent = false;
    char *staged = NULL;
    stamp_audit_info audit = {0};
    SEAL_ENSURE(res && st && rq, SEAL_EINVAL, "no finish request");
    memset(res, 0, sizeof *res);
    SEAL_ENSURE(rq->pending_id && rq->signature && rq->signature_len > 0, SEAL_EINVAL,
                "finishing a stamp needs its pending id and a signature");
    /* This id is claimed before the sweep of expired stamps: had the sweep removed it, the
     * finisher would be told there is no such stamp instead of that it expired, and the
     * refused attempt would not be recorded against its seal. */
    rc = seal_store_pending_claim(st, rq->pending_id, time(NULL), &rec);
    if (seal_stamp_expire(st, NULL) < 0)
        stamp_warn(res, "expired pending stamps could not be removed: %s", seal_error_last());
    if (rc < 0 && !rec.seal_id)
        goto out; /* no such stamp: nothing to record it against */
    audit = (stamp_audit_info){.actor = rq->actor ? rq->actor : "unknown",
                               .seal_id = rec.seal_id,
                               .format = rec.format,
                               .input = rec.input,
                               .output = rec.output,
                               .how = rec.how,
                               .places = rec.places,
                               .grant_id = rec.grant_id};
    res->seal_id = g_strdup(rec.seal_id);
    res->format = g_strdup(rec.format);
    if (rc < 0) {
        if (!rec.finishing) /* expired: removed from the store, its file goes too */
            abandon_record(&rec);
        goto fail;
    }
    claimed = true;
    FINISH_TRY(seal_pending_stamp_load(&p, rec.stamp.data, rec.stamp.len));

    /* The seal may have changed since prepare: it must still be usable. */
    FINISH_TRY(seal_store_get_seal(st, rec.seal_id, &seal));
    res->seal_name = g_strdup(seal.name);
    res->alg = seal.alg;
    FINISH_TRY(stamp_check_certificate(res, st, &seal));
    FINISH_TRY(seal_store_seal_signer(st, &seal, NULL, &signer));
    if (X509_cmp(seal_signer_cert(signer), p->cert) != 0) {
        seal_error_set(SEAL_EPOLICY,
                       "seal %s has a new certificate since the stamp was prepared; prepare it "
                       "again",
                       seal.id);
        goto fail;
    }
    FINISH_TRY(check_given_certificate(rq, p->cert, seal.id));

    if (rec.tsa_url) {
        tsa.url = rec.tsa_url;
        tsa.policy = rec.tsa_policy;
        tsa.md = rec.tsa_hash ? EVP_get_digestbyname(rec.tsa_hash) : NULL;
        if (g_strcmp0(rec.tsa_url, rq->tsa_url_trusted) != 0)
            tsa.guard = rq->tsa_guard;
    }
    /* Finished beside the output and renamed onto it only once recorded, as the driver
     * does: a finish refused or killed before its record leaves no output. */
    staged = g_strdup_printf("%s.tmp-stamp-%d", rec.output, (int)getpid());
    if (g_strcmp0(p->output, rec.output) == 0) {
        free(p->output);
        p->output = strdup(staged);
        FINISH_TRY(p->output ? 0 : seal_error_set(SEAL_ENOMEM, "out of memory"));
    }
    stamp_finish_ctx ctx = {.output = staged,
                            .level = (seal_stamp_level)rec.level,
                            .tsa = rec.tsa_url ? &tsa : NULL,
                            .trust = rq->trust,
                            .revocation = rq->revocation,
                            .password = rq->password};
    rc = stamp_complete(res, p, rq->signature, rq->signature_len, &ctx, &spent);
    if (rc < 0)
        goto fail;
    char note[80];
    snprintf(note, sizeof note, "external signature (pending %s)", rec.id);
    audit.note = note;
    audit.staged = staged;
    audit.pending_id = rec.id; /* removed in the record's transaction */
    stamp_result_done(res, rec.output, rec.how, p->cert, NULL, 0);
    rc = stamp_audit(st, &audit, &res->digests, 0);
    if (rc == 0) {
        claimed = false;
        if (rename(staged, rec.output) != 0)
            rc = seal_error_set(SEAL_EIO,
                                "the stamp was recorded in the audit trail, but %s could not be "
                                "put in place: %s",
                                rec.output, g_strerror(errno));
        else
            g_clear_pointer(&staged, g_free);
    } else {
        /* Not recorded: the signature is spent, the stamp cannot be finished again. */
        seal_store_pending_remove(st, rec.id);
        claimed = false;
    }
    if (rc < 0)
        g_clear_pointer(&res->output, g_free);
    goto out;
fail:
    /* The claim's own refusals (expired, being finished) already name the pending stamp. */
    rc = claimed ? seal_error_wrap(seal_error_last_code(), "pending stamp %s", rec.id)
                 : seal_error_last_code();
    if (claimed) {
        /* A spent stamp cannot be tried again; a refused signature can. */
        if (spent)
            seal_store_pending_remove(st, rec.id);
        else
            seal_store_pending_release(st, rec.id);
        claimed = false;
    }
    stamp_audit(st, &audit, NULL, rc);
out:
    if (staged)
        unlink(staged); /* still there: the stamp was not recorded */
    g_free(staged);
    if (claimed)
        seal_store_pending_release(st, rec.id);
    seal_signer_free(signer);
    seal_record_clear(&seal);
    seal_pending_stamp_free(p);
    seal_pending_record_clear(&rec);
    return rc;
}
