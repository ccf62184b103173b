/* The stamp driver (seal/stamp.h): the one stamp flow the command line, the HTTP service
 * and the desk share. It knows no format: the document is reached through seal/doc.h
 * only, the seal through the store, the key through a seal_signer of whatever kind.
 *
 *   request -> check (usage: nothing touched) -> seal, grant, policy, signer -> open once
 *   -> the input's own signatures and its examination (inspect.c; a normalised rewrite
 *   may replace it) -> plan -> prepare (then a refusal of the input is said) ->
 *   [external: keep pending, stop] -> sign -> finish (+ timestamp)
 *   into OUT.tmp-stamp-PID -> validation data (B-LT, B-LTA) -> audit (the grant's use
 *   counted in the same transaction) -> rename onto OUT
 *
 * finish.c completes a pending stamp through the same last steps (stamp_complete). */
#include "stamp/stamp_internal.h"

#include <seal/audit.h>
#include <seal/doc.h>
#include <seal/error.h>
#include <seal/idnum.h>
#include <seal/ses.h>

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const level_names[] = {"B-B", "B-T", "B-LT", "B-LTA"};

const char *stamp_signature_alg_name(seal_key_alg alg)
{
    return alg == SEAL_ALG_SM2 ? "SM2-SM3" : alg == SEAL_ALG_RSA ? "RSA-SHA256" : "ECDSA-SHA256";
}

const char *seal_stamp_level_name(seal_stamp_level level)
{
    return (unsigned)level < G_N_ELEMENTS(level_names) ? level_names[level] : "?";
}

void seal_stamp_result_clear(seal_stamp_result *r)
{
    if (!r)
        return;
    g_free(r->seal_id);
    g_free(r->seal_name);
    g_free(r->format);
    g_strfreev(r->warnings);
    g_free(r->output);
    g_free(r->how);
    g_free(r->signer);
    g_free(r->placements);
    for (size_t i = 0; i < r->n_findings; i++) {
        g_free(r->findings[i].kind);
        g_free(r->findings[i].detail);
    }
    g_free(r->findings);
    seal_buf_clear(&r->to_sign);
    memset(r, 0, sizeof *r);
}

/* The output is written beside itself and renamed into place, so this is the one place
 * that can see it would replace the input (by its path, a symlink or a hard link to it, or
 * the descriptor's file), or that its folder cannot take it. Not usage errors: the paths
 * are well formed, the files clash. */
static int check_output_is_new(const seal_stamp_request *rq)
{
    struct stat in_st, out_st;
    bool same = rq->input_is_fd
                    ? fstat(rq->input_fd, &in_st) == 0 && stat(rq->output, &out_st) == 0 &&
                          in_st.st_dev == out_st.st_dev && in_st.st_ino == out_st.st_ino
                    : seal_same_file(rq->input, rq->output);
    if (same)
        return seal_error_set(SEAL_EINVAL,
                              "the output must be a new file, not the input (%s): the input is "
                              "never modified",
                              rq->input);
    /* It cannot be put in place over a directory, and its folder must take it: said of
     * the output the user named, not of the file it is first written to. */
    if (stat(rq->output, &out_st) == 0 && S_ISDIR(out_st.st_mode))
        return seal_error_set(SEAL_EIO, "cannot create %s: Is a directory", rq->output);
    char *dir = g_path_get_dirname(rq->output);
    int ok = access(dir, W_OK | X_OK);
    int err = errno;
    g_free(dir);
    if (ok != 0)
        return seal_error_set(SEAL_EIO, "cannot create the output %s: %s", rq->output,
                              strerror(err));
    return 0;
}

/* What the request alone says is wrong: a usage error, nothing touched. */
static int check_request(seal_stamp_result *res, const seal_stamp_request *rq)
{
    int rc = 0;
    SEAL_ENSURE(rq->input && rq->output && *rq->output, SEAL_EINVAL,
                "a stamp needs an input and an output");
    SEAL_ENSURE(rq->seal_id && *rq->seal_id, SEAL_EINVAL, "a stamp needs a seal");
    SEAL_ENSURE(rq->invisible || rq->n_places > 0, SEAL_EINVAL,
                "say where the seal goes (a point, a keyword or a seam), or sign invisibly");
    SEAL_ENSURE(!rq->invisible || rq->n_places == 0, SEAL_EINVAL,
                "an invisible signature has no places to show");
    size_t seams = 0;
    for (size_t i = 0; i < rq->n_places; i++)
        seams += rq->places[i].mode == SEAL_PLACE_SEAM;
    SEAL_ENSURE(seams <= 1, SEAL_EINVAL, "one signature takes at most one seam");
    SEAL_ENSURE(rq->level <= SEAL_LEVEL_B_LTA, SEAL_EINVAL, "unknown signature level");
    SEAL_ENSURE(rq->level == SEAL_LEVEL_B_B || rq->tsa, SEAL_EINVAL, "level %s needs a TSA",
                seal_stamp_level_name(rq->level));
    SEAL_ENSURE(rq->input_policy <= SEAL_INPUT_OFF, SEAL_EINVAL, "unknown input policy");
    SEAL_ENSURE(!rq->normalise || rq->input_policy != SEAL_INPUT_OFF, SEAL_EINVAL,
                "normalising the input follows from its examination: not with the input "
                "policy off");
    SEAL_ENSURE(rq->grant_id >= 0, SEAL_EINVAL, "a grant's id is a positive number");
    SEAL_ENSURE(rq->pending_ttl >= 0 && rq->pending_ttl <= SEAL_PENDING_TTL_MAX, SEAL_EINVAL,
                "a pending stamp lives between 1 s and %d s, not %ld s", SEAL_PENDING_TTL_MAX,
                rq->pending_ttl);
out:
    res->usage = rc < 0;
    return rc;
}

/* The options part of the plan, from the request (placements and signer come later). */
static void plan_options(seal_stamp_plan *plan, const seal_stamp_request *rq)
{
    memset(plan, 0, sizeof *plan);
    plan->invisible = rq->invisible;
    plan->page = rq->page;
    plan->reason = rq->reason;
    plan->location = rq->location;
    plan->certify = rq->certify;
    plan->lock_fields = rq->lock_fields;
    plan->qr_url = rq->qr_url;
    plan->lock = rq->lock;
    plan->timestamp = rq->level >= SEAL_LEVEL_B_T;
    plan->validation_data = rq->level >= SEAL_LEVEL_B_LT;
}

/* One run of the flow: what it holds, freed by run_clear. */
typedef struct stamp_run {
    seal_record rec;
    seal_eseal *esl;
    seal_signer *signer;
    seal_doc *doc;
    seal_place_plan *plans;
    size_t n_plans;
    seal_placement *placements;
    size_t n_placements;
    seal_stamp_plan plan;
    seal_pending_stamp *pending;
    char *signed_tmp; /* B-LT: where finish writes before validation data is added */
    char *staged;     /* where the finished stamp waits for its record before the rename */
    char *normalised; /* where a normalised rewrite of the input goes (request->normalise) */
    char *audit_note; /* what the examination of the input adds to the audit record */
    int refused;      /* the input's signatures or examination refuse the stamp: the code */
    char *refusal;    /* and why, said once the format has judged the document too */
    seal_grant_record grant;
    char grant_id[24];
    char *grantee_masked;
    seal_doc_grant doc_grant;
    char how[96];
} stamp_run;

static void run_clear(stamp_run *run)
{
    seal_pending_stamp_free(run->pending);
    seal_doc_free(run->doc);
    seal_signer_free(run->signer);
    seal_eseal_free(run->esl);
    for (size_t i = 0; i < run->n_plans; i++)
        seal_place_plan_clear(&run->plans[i]);
    g_free(run->plans);
    g_free(run->placements);
    seal_record_clear(&run->rec);
    g_free(run->signed_tmp);
    if (run->staged)
        unlink(run->staged); /* still there: the stamp was not recorded */
    g_free(run->staged);
    if (run->normalised)
        unlink(run->normalised); /* the stamp read it; the input itself is what the user has */
    g_free(run->normalised);
    g_free(run->audit_note);
    g_free(run->refusal);
    seal_grant_record_clear(&run->grant);
    g_free(run->grantee_masked);
}

/* Plans every placement request over the open document with the seal's picture as the
 * document's format shows it, into one list (all the pictures of one signature). */
static int plan_places(stamp_run *run, const seal_stamp_request *rq)
{
    int rc = 0;
    const uint8_t *png = run->rec.image_png.data;
    size_t png_len = run->rec.image_png.len;
    double w = run->rec.width_mm, h = run->rec.height_mm;
    bool png_picture = true;
    if (seal_doc_shows_seal_data_picture(run->doc)) {
        /* GB/T 38540: readers draw the seal's own picture at the size it records. */
        rc = seal_eseal_parse(&run->esl, run->rec.esl.data, run->rec.esl.len);
        if (rc < 0)
            return seal_error_wrap(rc, "seal %s", run->rec.id);
        png = run->esl->picture.data;
        png_len = run->esl->picture.len;
        w = (double)run->esl->width_mm;
        h = (double)run->esl->height_mm;
        png_picture = strcasecmp(run->esl->picture_type, "PNG") == 0;
    }
    run->plan.image_png = png;
    run->plan.image_png_len = png_len;
    run->plan.width_mm = w;
    run->plan.height_mm = h;
    if (rq->invisible)
        return 0;
    seal_place_doc view;
    seal_doc_place_view(&view, run->doc);
    run->plans = g_new0(seal_place_plan, rq->n_places);
    for (size_t i = 0; i < rq->n_places; i++) {
        seal_place_request req = rq->places[i];
        SEAL_ENSURE(req.mode != SEAL_PLACE_SEAM || png_picture, SEAL_EUNSUPPORTED,
                    "seal %s has a %s picture; seam seals are cut from PNG pictures", run->rec.id,
                    run->esl ? run->esl->picture_type : "?");
        req.image_png = png;
        req.image_png_len = png_len;
        req.width_mm = w;
        req.height_mm = h;
        SEAL_TRY(seal_place_plan_make(&run->plans[i], &req, &view));
        run->n_plans++;
        run->n_placements += run->plans[i].count;
        if (req.mode == SEAL_PLACE_SEAM)
            run->plan.strips = &run->plans[i].strips;
    }
    run->placements = g_new(seal_placement, run->n_placements);
    size_t at = 0;
    for (size_t i = 0; i < run->n_plans; i++) {
        memcpy(run->placements + at, run->plans[i].items,
               run->plans[i].count * sizeof *run->placements);
        at += run->plans[i].count;
    }
    run->plan.placements = run->placements;
    run->plan.n_placements = run->n_placements;
out:
    return rc;
}

/* The result's account of a stamp (`output` NULL: nothing written yet). */
void stamp_result_done(seal_stamp_result *res, const char *output, const char *how,
                       X509 *signer_cert, const seal_placement *placements, size_t n)
{
    res->output = g_strdup(output);
    res->how = g_strdup(how);
    char *cn = seal_cert_subject_cn(signer_cert);
    res->signer = g_strdup(cn ? cn : "?");
    free(cn);
    if (n > 0)
        res->placements = g_memdup2(placements, n * sizeof *placements);
    res->n_placements = n;
}

int stamp_complete(seal_stamp_result *res, seal_pending_stamp *p, const uint8_t *sig,
                   size_t sig_len, const stamp_finish_ctx *ctx, bool *signed_out)
{
    int rc = 0;
    seal_stamp_finish_opts fopts = {.tsa = ctx->tsa, .tsa_trust = ctx->trust};
    seal_stamp_digests digests = {0};
    bool extend = ctx->level >= SEAL_LEVEL_B_LT;
    *signed_out = false;
    SEAL_TRY(seal_doc_finish(p, sig, sig_len, &fopts, &digests));
    *signed_out = true;
    if (extend) {
        /* p->output is a file beside the output: the signed document before its
         * validation data, which goes into a later update. */
        seal_doc_extend_opts eopts = {.trust = ctx->trust,
                                      .revocation = ctx->revocation,
                                      .archive_tsa =
                                          ctx->level == SEAL_LEVEL_B_LTA ? ctx->tsa : NULL,
                                      .password = ctx->password};
        seal_doc_extend_summary sum = {0};
        rc = seal_doc_extend(p->output, ctx->output, &eopts, &sum);
        unlink(p->output);
        SEAL_TRY(rc);
        res->ltv = true;
        res->ltv_signatures = sum.signatures;
        res->ltv_timestamps = sum.timestamps;
        res->ltv_certs = sum.certs;
        res->ltv_crls = sum.crls;
        res->ltv_ocsps = sum.ocsps;
        res->ltv_archived = sum.archived;
        size_t len = 0;
        rc = seal_digest_file(digests.md, ctx->output, digests.after, &len);
        if (rc < 0) {
            unlink(ctx->output);
            goto out;
        }
    }
    res->digests = digests;
out:
    return rc;
}

/* The external path: the prepared stamp kept in the store, the result saying what to
 * sign. */
static int keep_pending(seal_stamp_result *res, seal_store *st, const seal_stamp_request *rq,
                        stamp_run *run, const stamp_audit_info *audit)
{
    int rc = 0;
    seal_pending_stamp *p = run->pending;
    seal_pending_record rec = {0};
    char *what = NULL;
    time_t now = time(NULL);
    long ttl = rq->pending_ttl > 0 ? rq->pending_ttl : SEAL_PENDING_TTL_DEFAULT;
    rec.seal_id = g_strdup(run->rec.id);
    rec.actor = g_strdup(audit->actor);
    rec.format = g_strdup(audit->format);
    rec.input = g_strdup(audit->input);
    rec.output = g_strdup(audit->output);
    rec.how = g_strdup(audit->how);
    rec.places = audit->places;
    rec.level = (int)rq->level;
    if (rq->tsa) {
        rec.tsa_url = g_strdup(rq->tsa->url);
        rec.tsa_hash = rq->tsa->md ? g_strdup(seal_digest_name(rq->tsa->md)) : NULL;
        rec.tsa_policy = g_strdup(rq->tsa->policy);
    }
    rec.alg = g_strdup(stamp_signature_alg_name(p->alg));
    rec.created = now;
    rec.expires = now + ttl;
    rec.grant_id = rq->grant_id;
    SEAL_TRY(seal_pending_stamp_save(p, &rec.stamp));
    what =
        g_strdup_printf("%s %s -> %s, %s", audit->format, audit->input, audit->output, audit->how);
    SEAL_TRY(seal_store_pending_put(st, &rec, what));
    g_strlcpy(res->pending_id, rec.id, sizeof res->pending_id);
    memcpy(res->digest, p->digest, p->digest_len);
    res->digest_len = p->digest_len;
    res->signature_alg = stamp_signature_alg_name(p->alg);
    res->digest_is_sm2_e = p->alg == SEAL_ALG_SM2;
    SEAL_TRY(seal_buf_append(&res->to_sign, p->to_sign.data, p->to_sign.len));
    res->expires = rec.expires;
    stamp_result_done(res, NULL, audit->how, p->cert, run->placements, run->n_placements);
out:
    g_free(what);
    seal_pending_record_clear(&rec);
    return rc;
}

int seal_stamp(seal_stamp_result *res, seal_store *st, const seal_stamp_request *rq)
{
    int rc = 0;
    stamp_run run = {0};
    seal_buf sig = SEAL_BUF_INIT;
    const char *format = NULL;
    bool audited = false;
    stamp_audit_info audit = {0};
    SEAL_ENSURE(res && st && rq, SEAL_EINVAL, "no stamp request");
    memset(res, 0, sizeof *res);
    SEAL_TRY(check_request(res, rq));
    SEAL_TRY(check_output_is_new(rq));

    size_t expired = 0;
    if (seal_stamp_expire(st, &expired) < 0)
        stamp_warn(res, "expired pending stamps could not be removed: %s", seal_error_last());

    /* The format, told by content, and what it can take: before the seal is touched. An
     * input that is no document fails at open, recorded as a use of the seal. */
    plan_options(&run.plan, rq);
    int sniffed = rq->input_is_fd ? seal_doc_sniff_fd(rq->input_fd, &format)
                                  : seal_doc_sniff(rq->input, &format);
    if (sniffed == 0) {
        res->format = g_strdup(format);
        if (seal_doc_check_plan(format, &run.plan) < 0) {
            res->usage = true;
            rc = seal_error_last_code();
            goto out;
        }
    } else {
        seal_error_clear();
    }

    audit = (stamp_audit_info){.actor = rq->actor ? rq->actor : "unknown",
                               .seal_id = rq->seal_id,
                               .format = format ? format : "?",
                               .input = rq->input,
                               .output = rq->output,
                               .how = run.how};
    audited = true;
    SEAL_TRY(seal_store_get_seal(st, rq->seal_id, &run.rec));
    seal_store_picture_ready(st, &run.rec);
    res->seal_id = g_strdup(run.rec.id);
    res->seal_name = g_strdup(run.rec.name);
    res->alg = run.rec.alg;
    /* The grant (or the seal's need of one, or another's exclusive grant) before the
     * certificate, the PIN and the document: a refused use counts no PIN failure. */
    SEAL_TRY(seal_store_use_check(st, run.rec.id, rq->grant_id, time(NULL), &run.grant));
    if (rq->grant_id) {
        snprintf(run.grant_id, sizeof run.grant_id, "%lld", (long long)rq->grant_id);
        run.grantee_masked = seal_name_mask(run.grant.grantee_name);
        run.doc_grant = (seal_doc_grant){
            .id = run.grant_id, .project = run.grant.project, .grantee = run.grantee_masked};
        run.plan.grant = &run.doc_grant;
        audit.grant_id = rq->grant_id;
    }
    SEAL_TRY(stamp_check_certificate(res, st, &run.rec));
    SEAL_TRY(seal_store_seal_signer(st, &run.rec,
                                    rq->external ? NULL
                                    : rq->pin    ? rq->pin
                                                 : "",
                                    &run.signer));

    seal_doc_open_opts oopts = {
        .password = rq->password, .stamp_md = seal_signer_md(run.signer), .document = rq->document};
    rc = rq->input_is_fd ? seal_doc_open_fd(&run.doc, rq->input_fd, rq->input, &oopts)
                         : seal_doc_open(&run.doc, rq->input, &oopts);
    /* A document the file does not hold is the request's mistake, not the file's. */
    if ((rc == SEAL_EINVAL || rc == SEAL_ENOTFOUND) && rq->document > 1)
        res->usage = true;
    SEAL_TRY(rc);
    if (seal_doc_document_count(run.doc) > 1)
        res->document = rq->document > 0 ? rq->document : 1;
    format = seal_doc_format(run.doc);
    audit.format = format;
    if (!res->format) {
        res->format = g_strdup(format);
        SEAL_TRY(seal_doc_check_plan(format, &run.plan));
    }
    /* The input as it stands: its signatures must still verify, and what an attacker may
     * have put in it is judged by the input policy (a normalised rewrite replacing it when
     * asked), before anything is planned on it. A refusal waits until the format has
     * judged the document in prepare: a damaged or locked file is refused as such. */
    run.refused = stamp_check_signatures(res, st, rq);
    run.normalised = g_strdup_printf("%s.tmp-normal-%d", rq->output, (int)getpid());
    if (run.refused == 0)
        run.refused =
            stamp_examine_input(res, rq, &run.doc, &oopts, run.normalised, &run.audit_note);
    if (run.refused < 0)
        run.refusal = g_strdup(seal_error_last());
    audit.note = run.audit_note;

    SEAL_TRY(plan_places(&run, rq));
    audit.places = rq->invisible ? 0 : run.n_placements;
    run.plan.seal_name = run.rec.name;
    run.plan.esl = run.rec.esl.data;
    run.plan.esl_len = run.rec.esl.len;
    run.plan.cert = seal_signer_cert(run.signer);
    run.plan.chain = seal_signer_chain(run.signer);
    run.plan.max_signature_len = seal_signer_max_sig_len(run.signer);
    run.plan.output = rq->output;
    if (!rq->external) {
        /* Finished beside the output and renamed onto it only once recorded (and the
         * grant's use counted): a stamp refused or killed before leaves no output. */
        run.staged = g_strdup_printf("%s.tmp-stamp-%d", rq->output, (int)getpid());
        run.plan.output = run.staged;
        audit.staged = run.staged;
    }
    if (run.plan.validation_data) {
        run.signed_tmp = g_strdup_printf("%s.signed-%d", rq->output, (int)getpid());
        run.plan.output = run.signed_tmp;
    }
    seal_doc_describe(format, &run.plan, run.rec.alg, seal_stamp_level_name(rq->level), run.how,
                      sizeof run.how);

    SEAL_TRY(seal_doc_prepare(run.doc, &run.plan, &run.pending));
    if (run.refusal) {
        seal_doc_abandon(run.pending);
        SEAL_FAIL(run.refused, "%s", run.refusal);
    }
    if (rq->external) {
        audited = false; /* keep_pending records the preparation itself */
        rc = keep_pending(res, st, rq, &run, &audit);
        if (rc < 0) {
            seal_doc_abandon(run.pending);
            audited = true;
        }
        goto out;
    }
    SEAL_TRY(
        seal_signer_sign_digest(run.signer, &sig, run.pending->digest, run.pending->digest_len));
    stamp_finish_ctx ctx = {.output = run.staged,
                            .level = rq->level,
                            .tsa = rq->tsa,
                            .trust = rq->trust,
                            .revocation = rq->revocation,
                            .password = rq->password};
    bool spent = false;
    rc = stamp_complete(res, run.pending, sig.data, sig.len, &ctx, &spent);
    if (rc < 0) {
        seal_doc_abandon(run.pending);
        goto out;
    }
    stamp_result_done(res, rq->output, run.how, seal_signer_cert(run.signer), run.placements,
                      run.n_placements);
    rc = stamp_audit(st, &audit, &res->digests, 0);
    audited = false; /* stamp_audit recorded the outcome, or undid the stamp and said so */
    if (rc == 0 && rename(run.staged, rq->output) != 0)
        rc = seal_error_set(SEAL_EIO,
                            "the stamp was recorded in the audit trail, but %s could not be "
                            "put in place: %s",
                            rq->output, g_strerror(errno));
    else if (rc == 0)
        g_clear_pointer(&run.staged, g_free);
    if (rc < 0)
        g_clear_pointer(&res->output, g_free);
out:
    if (rc < 0 && audited)
        stamp_audit(st, &audit, NULL, rc);
    seal_buf_clear(&sig);
    run_clear(&run);
    return rc;
}
