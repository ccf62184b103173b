/* The OFD adapter's ops table behind seal/doc.h: how the document face tells an OFD
 * package by its bytes, opens it from a file descriptor (mapped once; the model is read
 * over the mapping), asks its pages and text, renders and verifies it. The two phases of
 * a stamp are stamp.c's. */
#include "ofd/doc_ofd.h"

#include "doc/doc_internal.h"
#include "ofd/ofd_internal.h"
#include "ofd/verify_internal.h"

#include <seal/error.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* The whole file, mapped read-only: the package's central directory is at its end. */
static int map_input(const uint8_t **map, size_t *len, int fd, const char *name)
{
    struct stat st;
    *map = NULL;
    *len = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return seal_error_set(SEAL_EIO, "%s is not a regular file", name);
    if (st.st_size == 0)
        return seal_error_set(SEAL_EFORMAT, "%s is empty, not an OFD package", name);
    void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED)
        return seal_error_set(SEAL_EIO, "cannot map %s: %s", name, strerror(errno));
    *map = m;
    *len = (size_t)st.st_size;
    return 0;
}

/* GB/T 33190 7.3: a zip package whose root holds OFD.xml; a zip libzip cannot read at all
 * is taken too, so that the reader says what is wrong with it. The first bytes are not
 * enough: vendors put headers before the archive (OFD-SEAL.md 7). */
static bool ofd_sniff(int fd, const uint8_t *head, size_t len)
{
    const uint8_t *map;
    size_t map_len;
    (void)head;
    (void)len;
    if (map_input(&map, &map_len, fd, "the document") < 0) {
        seal_error_clear();
        return false;
    }
    ofd_package_kind found = ofd_package_sniff(map, map_len);
    munmap((void *)map, map_len);
    seal_error_clear();
    return found != OFD_SNIFF_NO;
}

static void ofd_close(void *impl)
{
    ofd_doc *d = impl;
    if (!d)
        return;
    seal_ofd_free(d->ofd);
    if (d->map)
        munmap((void *)d->map, d->map_len);
    free(d->name);
    free(d);
}

static int ofd_open(void **impl, int fd, const char *name, const seal_doc_open_opts *opts)
{
    int rc = 0;
    (void)opts; /* no password: GB/T 33190 packages are not encrypted (ours refuses them) */
    ofd_doc *d = calloc(1, sizeof *d);
    SEAL_ENSURE(d, SEAL_ENOMEM, "out of memory");
    d->fd = fd;
    d->name = strdup(name);
    SEAL_ENSURE(d->name, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(map_input(&d->map, &d->map_len, fd, name));
    SEAL_TRY(ofd_package_open_mem(&d->ofd, d->map, d->map_len, name, NULL));
    if (opts && opts->document > 1) {
        rc = seal_ofd_select_document(d->ofd, opts->document);
        if (rc < 0)
            SEAL_TRY(seal_error_wrap(rc, "%s", name));
    }
    *impl = d;
    d = NULL;
out:
    ofd_close(d);
    return rc;
}

static int ofd_document_count(void *impl)
{
    return (int)seal_ofd_info(((ofd_doc *)impl)->ofd)->n_doc_bodies;
}

static int ofd_page_count(void *impl)
{
    return seal_ofd_page_count(((ofd_doc *)impl)->ofd);
}

static int ofd_page_size(void *impl, int page, double *width_mm, double *height_mm)
{
    return seal_ofd_page_size_mm(((ofd_doc *)impl)->ofd, page, width_mm, height_mm);
}

static int ofd_find_text(void *impl, const char *text, seal_text_hits *hits)
{
    seal_place_doc view;
    seal_ofd_place_doc(&view, ((ofd_doc *)impl)->ofd);
    return view.find_text(view.ctx, text, hits);
}

static int ofd_render_png(void *impl, int page, const seal_doc_render_opts *opts, seal_buf *png)
{
    seal_ofd_render_opts o = {.dpi = opts ? opts->dpi : 0, .no_stamps = opts && opts->no_stamps};
    return seal_ofd_render_page_png(png, ((ofd_doc *)impl)->ofd, page, &o);
}

static int ofd_render_pdf(void *impl, const seal_doc_render_opts *opts, seal_buf *pdf)
{
    seal_ofd_render_opts o = {.no_stamps = opts && opts->no_stamps};
    return seal_ofd_render_pdf(pdf, ((ofd_doc *)impl)->ofd, &o);
}

static int ofd_verify(void *impl, const seal_verify_opts *opts, seal_report **out)
{
    ofd_doc *d = impl;
    return ofd_verify_doc(out, d->ofd, d->name, opts ? opts->trust : NULL,
                          opts ? opts->document : 0);
}

/* "OFD Type=Seal, timestamped, document locked": GB/T 38540 calls an SM2 seal's signature
 * Type=Seal, any other Type=Sign. */
static void ofd_describe(const seal_stamp_plan *plan, seal_key_alg alg, const char *level,
                         char *out, size_t size)
{
    (void)level;
    snprintf(out, size, "OFD Type=%s%s%s", alg == SEAL_ALG_SM2 ? "Seal" : "Sign",
             plan->timestamp ? ", timestamped" : "", plan->lock ? ", document locked" : "");
}

/* The two phases are stamp.c's; an OFD takes no validation data (.extend NULL). GB/T
 * 38540 readers draw the SESeal's own picture at the size it records. */
/* A stamp's Boundary (GB/T 38540 / GM/T 0099: x y w h in mm in the page's space) from
 * the page area's top-left, which is where a rendering starts. */
static int ofd_box_mm(void *impl, int page, const double rect[4], double box_mm[4])
{
    const seal_ofd_page *p = NULL;
    int rc = seal_ofd_page_get(((ofd_doc *)impl)->ofd, page, &p);
    if (rc < 0)
        return rc;
    box_mm[0] = rect[0] - p->physical_box.x;
    box_mm[1] = rect[1] - p->physical_box.y;
    box_mm[2] = rect[2];
    box_mm[3] = rect[3];
    return 0;
}

const seal_doc_ops seal_ofd_doc_ops = {
    .name = "OFD",
    .sniff = ofd_sniff,
    .open = ofd_open,
    .close = ofd_close,
    .document_count = ofd_document_count,
    .page_count = ofd_page_count,
    .page_size = ofd_page_size,
    .find_text = ofd_find_text,
    .box_mm = ofd_box_mm,
    .render_png = ofd_render_png,
    .render_pdf = ofd_render_pdf,
    .verify = ofd_verify,
    .prepare = ofd_doc_prepare,
    .finish = ofd_doc_finish,
    .abandon = ofd_doc_abandon,
    .live_free = ofd_doc_live_free,
    .check_plan = ofd_stamp_check_options,
    .describe = ofd_describe,
    .shows_seal_data_picture = true,
    .extend = NULL,
    .examine = ofd_doc_examine,
    .normalise = NULL,
};
