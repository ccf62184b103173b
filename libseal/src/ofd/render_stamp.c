/* Draws the visible seals of an OFD page: for every StampAnnot of a Type=Seal signature
 * that names the page, the seal picture from the signature's SES data (Signature.xml ->
 * SignedValue.dat -> SES_Signature -> SESeal -> picture) scaled into the Boundary and
 * clipped by Clip (OFD-SEAL.md 4); for a Type=Sign signature that names a seal file
 * (SignedInfo/Seal, e.g. Seal.esl), that seal's picture. Pictures of type "ofd" are OFD packages
 * themselves; their first page is drawn. Seam seals are one picture cut into slices this way. */
#include "ofd/render_internal.h"

#include <seal/error.h>
#include <seal/ses.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct seal_picture {
    seal_ses_signature *ses;  /* owns the picture's bytes (Type=Seal) */
    seal_eseal *eseal;        /* or this (Type=Sign with a seal file) */
    const char *type;         /* SES picture type: "PNG", "JPG", "ofd"... */
    seal_slice data;          /* the picture */
    cairo_surface_t *surface; /* raster pictures, decoded */
} seal_picture;

static void picture_clear(seal_picture *p)
{
    if (p->surface)
        cairo_surface_destroy(p->surface);
    seal_ses_signature_free(p->ses);
    seal_eseal_free(p->eseal);
    memset(p, 0, sizeof *p);
}

/* SignedValue.dat of a Type=Seal signature is an SES_Signature (GB/T 38540 7.3, or GM/T
 * 0031-2014 for v1); the picture is SES_SealInfo.picture of the seal inside it. */
static int load_picture(render_ctx *r, const seal_ofd_signature *sig, seal_picture *pic)
{
    int rc = 0;
    seal_slice value;
    const seal_eseal *seal = NULL;
    if (sig->is_seal) {
        if (!sig->signed_value_path)
            return seal_error_set(SEAL_EFORMAT, "it names no SignedValue");
        if ((rc = seal_ofd_entry_read(r->doc, sig->signed_value_path, &value)) < 0)
            return rc;
        if ((rc = seal_ses_signature_parse(&pic->ses, value.data, value.len)) < 0)
            return seal_error_wrap(rc, "%s", sig->signed_value_path);
        seal = pic->ses->seal;
    } else {
        if ((rc = seal_ofd_entry_read(r->doc, sig->seal_path, &value)) < 0)
            return rc;
        if ((rc = seal_eseal_parse(&pic->eseal, value.data, value.len)) < 0)
            return seal_error_wrap(rc, "%s", sig->seal_path);
        seal = pic->eseal;
    }
    pic->type = seal->picture_type ? seal->picture_type : "";
    pic->data = seal->picture;
    if (strcasecmp(pic->type, "ofd") == 0)
        return 0;
    char what[200];
    snprintf(what, sizeof what, "the seal picture (type %.16s)", *pic->type ? pic->type : "none");
    return render_image_decode(&pic->surface, pic->data.data, pic->data.len, pic->type, what);
}

/* A seal that is an OFD package: its first page, scaled to fill the Boundary. */
static int draw_ofd_picture(render_ctx *r, const seal_picture *pic, const seal_ofd_box *b)
{
    seal_ofd *seal_doc = NULL;
    double w, h;
    int rc = 0;
    SEAL_TRY(seal_ofd_open_mem(&seal_doc, pic->data.data, pic->data.len, NULL));
    SEAL_TRY(seal_ofd_page_size_mm(seal_doc, 1, &w, &h));
    SEAL_ENSURE(w > 0 && h > 0, SEAL_EFORMAT, "its page has no size");
    cairo_scale(r->cr, b->w / w, b->h / h);
    /* The seal's own seals, if it had any, are not drawn: a picture is a picture. */
    SEAL_TRY(render_page_on(r->cr, seal_doc, 1, false, r->depth + 1));
out:
    if (rc < 0)
        seal_error_wrap(rc, "the seal picture (an OFD package)");
    seal_ofd_free(seal_doc);
    return rc;
}

static int draw_stamp(render_ctx *r, const seal_picture *pic, const seal_ofd_stamp_annot *stamp)
{
    const seal_ofd_box *b = &stamp->boundary;
    int rc = 0;
    if (!(b->w > 0 && b->h > 0))
        return 0;
    cairo_t *cr = r->cr;
    cairo_save(cr);
    cairo_rectangle(cr, b->x, b->y, b->w, b->h);
    cairo_clip(cr);
    /* Clip "x y w h" is in the seal's own space: millimetres from the Boundary's corner
     * with the seal drawn at Boundary size (a seam seal's slice of each page). */
    if (stamp->has_clip) {
        cairo_rectangle(cr, b->x + stamp->clip.x, b->y + stamp->clip.y, stamp->clip.w,
                        stamp->clip.h);
        cairo_clip(cr);
    }
    cairo_translate(cr, b->x, b->y);
    if (!pic->surface) {
        rc = draw_ofd_picture(r, pic, b);
    } else {
        int w = cairo_image_surface_get_width(pic->surface);
        int h = cairo_image_surface_get_height(pic->surface);
        cairo_scale(cr, b->w / w, b->h / h);
        cairo_set_source_surface(cr, pic->surface, 0, 0);
        cairo_pattern_set_extend(cairo_get_source(cr), CAIRO_EXTEND_PAD);
        cairo_paint(cr);
    }
    cairo_restore(cr);
    return rc;
}

int render_stamps(render_ctx *r)
{
    size_t count = seal_ofd_signature_count(r->doc);
    for (size_t i = 0; i < count; i++) {
        const seal_ofd_signature *sig = seal_ofd_signature_at(r->doc, i);
        bool here = false;
        for (size_t k = 0; sig && !sig->error && k < sig->n_stamps; k++)
            here = here || sig->stamps[k].page == r->page;
        /* A Type=Sign signature's value carries no seal picture (GB/T 33190 18.2.2): it
         * shows one only when it names a seal file. */
        if (!here || (!sig->is_seal && !sig->seal_path))
            continue;
        seal_picture pic = {0};
        int rc = load_picture(r, sig, &pic);
        for (size_t k = 0; rc == 0 && k < sig->n_stamps; k++)
            if (sig->stamps[k].page == r->page)
                rc = draw_stamp(r, &pic, &sig->stamps[k]);
        picture_clear(&pic);
        if (rc < 0)
            return seal_error_wrap(rc, "the seal of signature %s (%s)", sig->id ? sig->id : "?",
                                   sig->path ? sig->path : "?");
    }
    return 0;
}
