/* The PDF report sealed by the platform (seal_report_pdf_sealed, seal/verify.h), so that a
 * bidder or a court can file it and anyone can later check it was issued by the platform
 * and not changed: the report is rendered (report_pdf.c) into a private temporary file
 * beside the output, then stamped by the one stamp flow (seal/stamp.h, as `sealsvc stamp`
 * does) with the verification-service seal as an invisible PAdES signature, B-T when a TSA
 * is given. The stamp driver checks the seal, audits the use and writes OUT atomically. */
#include <seal/crypto.h>
#include <seal/error.h>
#include <seal/stamp.h>
#include <seal/verify.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int seal_report_pdf_opts_from_file(seal_report_pdf_opts *o, const char *path)
{
    int rc = 0;
    size_t len = 0;
    struct stat st;
    SEAL_ENSURE(stat(path, &st) == 0, SEAL_EIO, "cannot read %s: %s", path, strerror(errno));
    SEAL_TRY(seal_digest_file(EVP_sha256(), path, o->sha256, &len));
    SEAL_TRY(seal_digest_file(EVP_sm3(), path, o->sm3, &len));
    o->file_name = path;
    o->file_size = (uint64_t)st.st_size;
out:
    return rc;
}

int seal_report_pdf_sealed(const seal_report *r, const seal_report_pdf_opts *o, seal_store *store,
                           const seal_report_seal *how, const char *out_path)
{
    int rc = 0, fd = -1;
    seal_buf pdf = SEAL_BUF_INIT;
    seal_stamp_result result = {0};
    char *unsealed = NULL;

    SEAL_ENSURE(store && how && how->seal_id && out_path, SEAL_EINVAL,
                "sealing the report needs the platform's store, a seal and an output file");
    SEAL_TRY(seal_report_to_pdf(r, o, &pdf));
    /* Beside the output (same file system, same permissions as the caller's folder), mode
     * 0600, removed whatever happens. */
    unsealed = g_strdup_printf("%s.unsealed-XXXXXX", out_path);
    fd = g_mkstemp_full(unsealed, O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0) {
        int err = errno;
        g_free(unsealed);
        unsealed = NULL;
        SEAL_FAIL(SEAL_EIO, "cannot write the report beside %s: %s", out_path, strerror(err));
    }
    for (size_t done = 0; done < pdf.len;) {
        ssize_t n = write(fd, pdf.data + done, pdf.len - done);
        if (n < 0 && errno == EINTR)
            continue;
        SEAL_ENSURE(n > 0, SEAL_EIO, "cannot write the report to %s: %s", unsealed,
                    strerror(errno));
        done += (size_t)n;
    }
    SEAL_ENSURE(close(fd) == 0, SEAL_EIO, "cannot write the report to %s: %s", unsealed,
                strerror(errno));
    fd = -1;

    seal_stamp_request rq = {
        .input = unsealed,
        .output = out_path,
        .seal_id = how->seal_id,
        .pin = how->pin,
        .actor = how->actor ? how->actor : "verify-report",
        .invisible = true,
        .level = how->tsa ? SEAL_LEVEL_B_T : SEAL_LEVEL_B_B,
        .tsa = how->tsa,
        .trust = how->trust,
        .reason = "verification report",
    };
    rc = seal_stamp(&result, store, &rq);
    if (rc < 0)
        seal_error_wrap(rc, "the report could not be sealed with seal %s", how->seal_id);
out:
    if (fd >= 0)
        close(fd);
    if (unsealed)
        g_unlink(unsealed);
    g_free(unsealed);
    seal_stamp_result_clear(&result);
    seal_buf_clear(&pdf);
    return rc;
}
