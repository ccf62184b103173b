/* Opening a PDF for stamping: qpdf reads the objects (no recovery: a file that could only
 * be read after repair is refused, PDF-SIGN.md section 1), and we read the tail ourselves
 * to learn where the last revision's cross-reference section is and which kind it is.
 * An encrypted file opens with its user or owner password and gets its file key
 * (encrypt.c); bytes before "%PDF-" are allowed as readers allow them. */
#include "encrypt.h"
#include "pdf_internal.h"

#include <seal/error.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAIL_SCAN 2048
/* ISO 32000-1 does not allow bytes before the header, but readers look for it in the
 * first 1024 bytes and then count offsets from it (qpdf does; Poppler accepts both). */
#define HEADER_SCAN 1024

/* Reads [off, off+len) of the file into buf (len <= sizeof buf). */
static int read_at(int fd, uint64_t off, char *buf, size_t len, size_t *got)
{
    ssize_t n = pread(fd, buf, len, (off_t)off);
    if (n < 0)
        return seal_error_set(SEAL_EIO, "cannot read: %s", strerror(errno));
    *got = (size_t)n;
    return 0;
}

/* Finds the last "startxref N %%EOF" in the tail and checks what N points at. */
static int read_tail(seal_pdf *pdf, int fd)
{
    int rc = 0;
    char tail[TAIL_SCAN + 1];
    uint64_t start = pdf->file_size > TAIL_SCAN ? pdf->file_size - TAIL_SCAN : 0;
    size_t got = 0;
    SEAL_TRY(read_at(fd, start, tail, TAIL_SCAN, &got));
    tail[got] = 0;

    char *sx = NULL;
    for (char *p = tail; (p = memmem(p, got - (size_t)(p - tail), "startxref", 9)); p += 9)
        sx = p;
    SEAL_ENSURE(sx, SEAL_EFORMAT,
                "%s has no 'startxref' near its end: the file is truncated or damaged", pdf->path);
    char *p = sx + 9;
    while (*p && isspace((unsigned char)*p))
        p++;
    char *end = NULL;
    errno = 0;
    unsigned long long off = strtoull(p, &end, 10);
    SEAL_ENSURE(end != p && errno == 0, SEAL_EFORMAT, "%s: 'startxref' is not followed by a number",
                pdf->path);
    SEAL_ENSURE(strstr(end, "%%EOF"), SEAL_EFORMAT,
                "%s: no %%%%EOF after the last startxref: the file is truncated", pdf->path);
    SEAL_ENSURE(off < pdf->file_size - pdf->header_offset, SEAL_EFORMAT,
                "%s: startxref points at byte %llu, past the end of the file (%llu bytes)",
                pdf->path, off, (unsigned long long)pdf->file_size);
    pdf->startxref = off;

    char head[64];
    SEAL_TRY(read_at(fd, off + pdf->header_offset, head, sizeof head - 1, &got));
    head[got] = 0;
    if (strncmp(head, "xref", 4) == 0) {
        pdf->xref_is_stream = false;
    } else {
        long long num = 0, gen = 0;
        int used = 0;
        SEAL_ENSURE(sscanf(head, "%lld %lld obj%n", &num, &gen, &used) == 2 && used > 0,
                    SEAL_EFORMAT,
                    "%s: startxref points at byte %llu, where there is no cross-reference "
                    "section; the file is damaged and would need repair",
                    pdf->path, off);
        pdf->xref_is_stream = true;
    }
out:
    return rc;
}

/* Finds "%PDF-" in the first bytes; offsets in the file's cross-reference sections count
 * from there (ISO 32000-1 7.5.2 puts it at byte 0; readers tolerate junk before it). */
static int check_header(seal_pdf *pdf, int fd)
{
    char scan[HEADER_SCAN];
    size_t got = 0;
    int rc = read_at(fd, 0, scan, sizeof scan, &got);
    if (rc < 0)
        return rc;
    const char *at = memmem(scan, got, "%PDF-", 5);
    if (!at || (size_t)(at - scan) + 8 > got)
        return seal_error_set(SEAL_EFORMAT, "%s has no PDF header (%%PDF-) in its first %d bytes",
                              pdf->path, HEADER_SCAN);
    pdf->header_offset = (uint64_t)(at - scan);
    const char *head = at;
    if (!isdigit((unsigned char)head[5]) || head[6] != '.' || !isdigit((unsigned char)head[7]))
        return seal_error_set(SEAL_EFORMAT, "%s has a malformed PDF header (%.8s)", pdf->path,
                              head);
    return 0;
}

int seal_pdf_open(seal_pdf **out, const char *path)
{
    return seal_pdf_open_password(out, path, NULL);
}

/* qpdf checks the password as it reads; its message is turned into ours, which never
 * repeats the password. */
static int refuse_unreadable(seal_pdf *pdf, const char *password)
{
    const char *detail = qpdf_get_error_message_detail(pdf->q, qpdf_get_error(pdf->q));
    if (detail && strstr(detail, "password"))
        return seal_error_set(SEAL_EAUTH,
                              password && *password
                                  ? "the password given does not open %s"
                                  : "%s is protected by a password: give it with --password",
                              pdf->path);
    return seal_error_set(SEAL_EFORMAT, "%s is not a PDF that can be stamped: %s", pdf->path,
                          detail && *detail ? detail : "unreadable");
}

int seal_pdf_open_password(seal_pdf **out, const char *path, const char *password)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return seal_error_set(SEAL_EIO, "cannot open %s: %s", path, strerror(errno));
    int rc = pdf_open_fd(out, fd, path, password);
    close(fd);
    return rc;
}

int pdf_open_fd(seal_pdf **out, int fd, const char *path, const char *password)
{
    int rc = 0;
    *out = NULL;
    seal_pdf *pdf = calloc(1, sizeof *pdf);
    SEAL_ENSURE(pdf, SEAL_ENOMEM, "out of memory");
    pdf->path = strdup(path);
    SEAL_ENSURE(pdf->path, SEAL_ENOMEM, "out of memory");

    struct stat st;
    SEAL_ENSURE(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), SEAL_EIO, "%s is not a regular file",
                path);
    pdf->file_size = (uint64_t)st.st_size;
    SEAL_ENSURE(pdf->file_size > 0, SEAL_EFORMAT, "%s is empty", path);
    SEAL_TRY(check_header(pdf, fd));
    SEAL_TRY(read_tail(pdf, fd));

    SEAL_TRY(pdf_qpdf_new_strict(&pdf->q, path));
    /* qpdf reads objects with a seek and a small read each; from a mapping of the file
     * that costs page faults on what it touches instead of thousands of system calls.
     * The mapping is not a copy: memory does not grow with the file. */
    pdf->map = mmap(NULL, (size_t)pdf->file_size, PROT_READ, MAP_PRIVATE, fd, 0);
    SEAL_ENSURE(pdf->map != MAP_FAILED, SEAL_EIO, "cannot map %s: %s", path, strerror(errno));
    pdf->map_len = (size_t)pdf->file_size;
    if (qpdf_read_memory(pdf->q, path, pdf->map, (unsigned long long)pdf->map_len, password) &
        QPDF_ERRORS)
        SEAL_TRY(refuse_unreadable(pdf, password));
    if (qpdf_is_encrypted(pdf->q)) {
        pdf->crypt = calloc(1, sizeof *pdf->crypt);
        SEAL_ENSURE(pdf->crypt, SEAL_ENOMEM, "out of memory");
        SEAL_TRY(pdf_crypt_open(pdf->crypt, pdf->q, password, path));
        if (password && *password) {
            pdf->password = strdup(password);
            SEAL_ENSURE(pdf->password, SEAL_ENOMEM, "out of memory");
        }
    }

    qpdf_oh trailer = qpdf_get_trailer(pdf->q);
    qpdf_oh size = qpdf_oh_get_key(pdf->q, trailer, "/Size");
    SEAL_ENSURE(qpdf_oh_is_integer(pdf->q, size) && qpdf_oh_get_int_value(pdf->q, size) > 0,
                SEAL_EFORMAT, "%s: the trailer has no valid /Size", path);
    pdf->next_obj = qpdf_oh_get_int_value(pdf->q, size);
    SEAL_ENSURE(qpdf_oh_is_dictionary(pdf->q, qpdf_get_root(pdf->q)), SEAL_EFORMAT,
                "%s: the trailer's /Root is not a dictionary", path);

    int pages = qpdf_get_num_pages(pdf->q);
    if (pages < 0 || qpdf_has_error(pdf->q)) {
        SEAL_TRY(pdf_qpdf_error(pdf->q, "the page tree cannot be read"));
        SEAL_FAIL(SEAL_EFORMAT, "%s: the page tree cannot be read", path);
    }
    SEAL_TRY(pdf_qpdf_refuse_warnings(pdf->q, pdf->path, true, PDF_REFUSE_REPAIRED));
    SEAL_ENSURE(pages > 0, SEAL_EFORMAT, "%s has no pages", path);
    pdf->page_count = pages;
    *out = pdf;
    pdf = NULL;
out:
    seal_pdf_free(pdf);
    return rc;
}

void seal_pdf_free(seal_pdf *pdf)
{
    if (!pdf)
        return;
    if (pdf->q)
        qpdf_cleanup(&pdf->q);
    if (pdf->map && pdf->map != MAP_FAILED)
        munmap(pdf->map, pdf->map_len);
    if (pdf->crypt)
        pdf_crypt_clear(pdf->crypt);
    free(pdf->crypt);
    if (pdf->password) {
        OPENSSL_cleanse(pdf->password, strlen(pdf->password));
        free(pdf->password);
    }
    free(pdf->path);
    free(pdf);
}

int seal_pdf_page_count(const seal_pdf *pdf)
{
    return pdf->page_count;
}

/* Looks up a page attribute, following /Parent for the inheritable ones (ISO 32000-1
 * 7.7.3.4: MediaBox, CropBox, Rotate, Resources). Bounded against loops. */
static qpdf_oh inherited(qpdf_data q, qpdf_oh page, const char *key)
{
    qpdf_oh node = page;
    for (int depth = 0; depth < 64; depth++) {
        if (qpdf_oh_has_key(q, node, key))
            return qpdf_oh_get_key(q, node, key);
        if (!qpdf_oh_has_key(q, node, "/Parent"))
            break;
        node = qpdf_oh_get_key(q, node, "/Parent");
        if (!qpdf_oh_is_dictionary(q, node))
            break;
    }
    return qpdf_oh_new_null(q);
}

static bool read_box(qpdf_data q, qpdf_oh box, double out[4])
{
    if (!qpdf_oh_is_array(q, box) || qpdf_oh_get_array_n_items(q, box) != 4)
        return false;
    for (int i = 0; i < 4; i++) {
        qpdf_oh v = qpdf_oh_get_array_item(q, box, i);
        if (!qpdf_oh_is_number(q, v))
            return false;
        out[i] = qpdf_oh_get_numeric_value(q, v);
    }
    /* Normalise so that [0],[1] is the lower-left corner (7.9.5: any two corners). */
    if (out[0] > out[2]) {
        double t = out[0];
        out[0] = out[2];
        out[2] = t;
    }
    if (out[1] > out[3]) {
        double t = out[1];
        out[1] = out[3];
        out[3] = t;
    }
    return out[2] - out[0] > 0 && out[3] - out[1] > 0;
}

int seal_pdf_page_geometry(const seal_pdf *pdf, int page, seal_pdf_page_geom *out)
{
    if (page < 1 || page > pdf->page_count)
        return seal_error_set(SEAL_ENOTFOUND, "page %d does not exist (document has %d page%s)",
                              page, pdf->page_count, pdf->page_count == 1 ? "" : "s");
    qpdf_data q = pdf->q;
    qpdf_oh p = qpdf_get_page_n(q, (size_t)(page - 1));
    if (!read_box(q, inherited(q, p, "/MediaBox"), out->media))
        return seal_error_set(
            SEAL_EFORMAT, "page %d has no valid /MediaBox (required by ISO 32000-1 7.7.3.3)", page);
    memcpy(out->crop, out->media, sizeof out->crop);
    double crop[4];
    if (read_box(q, inherited(q, p, "/CropBox"), crop)) {
        /* 14.11.2: the crop box is clipped to the media box. */
        out->crop[0] = crop[0] > out->media[0] ? crop[0] : out->media[0];
        out->crop[1] = crop[1] > out->media[1] ? crop[1] : out->media[1];
        out->crop[2] = crop[2] < out->media[2] ? crop[2] : out->media[2];
        out->crop[3] = crop[3] < out->media[3] ? crop[3] : out->media[3];
        if (out->crop[2] <= out->crop[0] || out->crop[3] <= out->crop[1])
            memcpy(out->crop, out->media, sizeof out->crop);
    }
    qpdf_oh rot = inherited(q, p, "/Rotate");
    long long r = qpdf_oh_is_integer(q, rot) ? qpdf_oh_get_int_value(q, rot) : 0;
    r %= 360;
    if (r < 0)
        r += 360;
    if (r % 90)
        return seal_error_set(SEAL_EFORMAT, "page %d has /Rotate %lld, not a multiple of 90", page,
                              r);
    out->rotate = (int)r;
    double w = out->crop[2] - out->crop[0], h = out->crop[3] - out->crop[1];
    out->view_width_pt = (r == 90 || r == 270) ? h : w;
    out->view_height_pt = (r == 90 || r == 270) ? w : h;
    return 0;
}
