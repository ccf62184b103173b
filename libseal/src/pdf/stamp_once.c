/* seal_pdf_stamp: the one-call stamp, for a signer in this process. The same path as
 * every two-phase stamp: the document opened for a stamp (its hashing started at once),
 * prepare (stamp.c), the signer signs the digest of the signed attributes, finish
 * (stamp_finish.c). */
#include "doc_pdf.h"

#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The stamp options as a plan: one placement at page, x, y when none are given. */
static void plan_from_opts(seal_stamp_plan *plan, seal_placement *single, const char *out,
                           const seal_signer *signer, const seal_pdf_stamp_opts *opts)
{
    *single =
        (seal_placement){opts->page, opts->x_mm, opts->y_mm, opts->width_mm, opts->height_mm, -1};
    *plan = (seal_stamp_plan){
        .placements = opts->placements ? opts->placements : single,
        .n_placements = opts->placements ? opts->n_placements : 1,
        .strips = opts->strips,
        .invisible = opts->invisible,
        .page = opts->page,
        .image_png = opts->image_png,
        .image_png_len = opts->image_png_len,
        .width_mm = opts->width_mm,
        .height_mm = opts->height_mm,
        .seal_name = opts->seal_name,
        .reason = opts->reason,
        .location = opts->location,
        .certify = opts->certify,
        .lock_fields = opts->lock_fields,
        .qr_url = opts->qr_url,
        .signing_time = opts->signing_time,
        .cert = seal_signer_cert(signer),
        .chain = seal_signer_chain(signer),
        .max_signature_len = seal_signer_max_sig_len(signer),
        .timestamp = opts->tsa != NULL,
        .output = out,
    };
    if (opts->invisible) {
        plan->placements = NULL;
        plan->n_placements = 0;
    }
}

int seal_pdf_stamp(const char *in, const char *out, const seal_signer *signer,
                   const seal_pdf_stamp_opts *opts)
{
    int rc = 0;
    seal_stamp_plan plan;
    seal_placement single;
    seal_buf sig = SEAL_BUF_INIT;
    /* Filled here as seal_doc_open fills it; the names are borrowed, never freed. */
    pdf_doc doc = {.fd = -1};
    seal_pending_stamp p = {.to_sign = SEAL_BUF_INIT, .state = SEAL_BUF_INIT};

    SEAL_ENSURE(in && out && signer && opts, SEAL_EINVAL, "missing input, output or options");
    SEAL_ENSURE(!seal_same_file(in, out), SEAL_EINVAL,
                "the output must be a new file, not the input (%s): the input is never modified",
                in);
    doc.fd = open(in, O_RDONLY | O_CLOEXEC);
    SEAL_ENSURE(doc.fd >= 0, SEAL_EIO, "cannot open %s: %s", in, strerror(errno));
    struct stat st;
    SEAL_ENSURE(fstat(doc.fd, &st) == 0 && S_ISREG(st.st_mode), SEAL_EIO,
                "%s is not a regular file", in);
    doc.name = (char *)in;
    doc.password = (char *)opts->password;
    doc.size = (uint64_t)st.st_size;
    doc.md = seal_signer_md(signer);
    /* Hashing starts now, on a helper thread, while qpdf reads the document. */
    SEAL_TRY(pdf_input_pass_start(&doc.pass, doc.fd, doc.size, in, doc.md));
    SEAL_TRY(pdf_open_fd(&doc.pdf, doc.fd, in, opts->password));

    plan_from_opts(&plan, &single, out, signer, opts);
    p.output = (char *)out;
    p.cert = plan.cert;
    p.chain = plan.chain;
    p.alg = seal_signer_alg(signer);
    p.timestamp = plan.timestamp;
    SEAL_TRY(pdf_doc_prepare(&doc, &plan, &p));
    SEAL_TRY(
        seal_cert_signed_digest(p.cert, p.to_sign.data, p.to_sign.len, p.digest, &p.digest_len));
    SEAL_TRY(seal_signer_sign_digest(signer, &sig, p.digest, p.digest_len));
    seal_stamp_finish_opts finish = {.tsa = opts->tsa, .tsa_trust = opts->tsa_trust};
    SEAL_TRY(pdf_doc_finish(&p, sig.data, sig.len, &finish, opts->digests));
out:
    pdf_doc_abandon(&p);
    pdf_doc_live_free(p.live);
    seal_buf_clear(&p.to_sign);
    seal_buf_clear(&p.state);
    seal_buf_clear(&sig);
    if (doc.pass)
        pdf_input_pass_finish(doc.pass, NULL);
    seal_pdf_free(doc.pdf);
    if (doc.fd >= 0)
        close(doc.fd);
    return rc;
}
