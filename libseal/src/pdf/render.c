/* Renders PDF pages through Poppler-glib onto a Cairo canvas (render/canvas.h), as a person
 * sees them (rotation, crop box, annotations with the seals' appearances), for
 * seal_doc_render_png and `sealsvc render`. Poppler reads the file as readers do: a page
 * of a file damaged elsewhere still renders, which the strict qpdf view would refuse. */
#include "pdf_internal.h"
#include "poppler_lazy.h"
#include "render/canvas.h"

#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PT_PER_INCH 72.0

static int open_document(const pdf_poppler *pp, PopplerDocument **out, GBytes *bytes,
                         const char *name, const char *password)
{
    GError *error = NULL;
    *out = pp->document_new_from_bytes(bytes, password, &error);
    if (*out)
        return 0;
    int rc;
    if (error && error->domain == pp->error_quark() && error->code == POPPLER_ERROR_ENCRYPTED)
        rc = password && *password
                 ? seal_error_set(SEAL_EAUTH, "the password given does not open %s", name)
                 : seal_error_set(SEAL_EUNSUPPORTED, "%s is encrypted and needs a password", name);
    else
        rc = seal_error_set(SEAL_EFORMAT, "%s is not a PDF Poppler can read (%s)", name,
                            error ? error->message : "no reason given");
    g_clear_error(&error);
    return rc;
}

int pdf_render_page_fd(seal_buf *png, int fd, const char *name, const char *password, int page,
                       double dpi)
{
    int rc = 0;
    void *map = MAP_FAILED;
    size_t map_len = 0;
    GBytes *bytes = NULL;
    PopplerDocument *doc = NULL;
    PopplerPage *p = NULL;
    seal_render_canvas canvas = {0};
    const pdf_poppler *pp = NULL;
    double width_pt, height_pt;
    struct stat st;

    SEAL_ENSURE(png && name, SEAL_EINVAL, "nothing to render");
    SEAL_TRY(pdf_poppler_get(&pp));
    SEAL_ENSURE(fstat(fd, &st) == 0 && S_ISREG(st.st_mode), SEAL_EIO, "%s is not a regular file",
                name);
    SEAL_ENSURE(st.st_size > 0, SEAL_EFORMAT, "%s is empty, not a PDF", name);
    map_len = (size_t)st.st_size;
    map = mmap(NULL, map_len, PROT_READ, MAP_PRIVATE, fd, 0);
    SEAL_ENSURE(map != MAP_FAILED, SEAL_EIO, "cannot map %s: %s", name, strerror(errno));
    bytes = g_bytes_new_static(map, map_len);
    SEAL_TRY(open_document(pp, &doc, bytes, name, password));
    int pages = pp->document_get_n_pages(doc);
    SEAL_ENSURE(page >= 1 && page <= pages, SEAL_ENOTFOUND,
                "page %d does not exist (document has %d page%s)", page, pages,
                pages == 1 ? "" : "s");
    p = pp->document_get_page(doc, page - 1);
    SEAL_ENSURE(p, SEAL_EFORMAT, "page %d of %s cannot be read", page, name);
    /* The size as shown: the crop box, turned by /Rotate. */
    pp->page_get_size(p, &width_pt, &height_pt);
    SEAL_TRY(seal_render_canvas_new(&canvas, width_pt / PT_PER_INCH * SEAL_MM_PER_INCH,
                                    height_pt / PT_PER_INCH * SEAL_MM_PER_INCH, dpi, PT_PER_INCH));
    pp->page_render(p, canvas.cr);
    SEAL_TRY(seal_render_canvas_png(&canvas, page, png));
out:
    seal_render_canvas_free(&canvas);
    if (p)
        g_object_unref(p);
    if (doc)
        g_object_unref(doc);
    if (bytes)
        g_bytes_unref(bytes);
    if (map != MAP_FAILED)
        munmap(map, map_len);
    return rc;
}

int seal_pdf_render_page(seal_buf *png, const char *path, int page, double dpi)
{
    if (!png || !path)
        return seal_error_set(SEAL_EINVAL, "nothing to render");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return seal_error_set(SEAL_EIO, "cannot read %s: %s", path, strerror(errno));
    int rc = pdf_render_page_fd(png, fd, path, NULL, page, dpi);
    close(fd);
    return rc;
}
