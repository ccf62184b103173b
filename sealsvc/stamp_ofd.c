/* sealsvc stamp for OFD documents: cmd_stamp.c parses the options and unlocks the seal
 * for both formats, then hands an OFD input (a zip with OFD.xml, or a file named .ofd)
 * here. The seal is shown at the size its GB/T 38540 picture gives; placement (--at,
 * --keyword, --pages, --seam) is planned over the OFD's pages as for PDF; --mode says
 * whether later signatures stay possible. */
#include "stamp_ofd.h"

#include "cli.h"

#include <seal/error.h>
#include <seal/ofd.h>
#include <seal/ses.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool stamp_is_ofd(const char *path)
{
    size_t len = strlen(path);
    return seal_ofd_is_package(path) || (len > 4 && strcasecmp(path + len - 4, ".ofd") == 0);
}

int stamp_ofd_mode_parse(const char *text, seal_ofd_stamp_mode *mode)
{
    if (!text || strcmp(text, "continue") == 0)
        *mode = SEAL_OFD_STAMP_CONTINUE;
    else if (strcmp(text, "lock") == 0)
        *mode = SEAL_OFD_STAMP_LOCK;
    else
        return -1;
    return 0;
}

void stamp_ofd_print(const char *out, const seal_record *rec, const seal_place_plan *plan,
                     seal_ofd_stamp_mode mode, bool timestamped, const char *signer_cn)
{
    const char *kind = rec->alg == SEAL_ALG_SM2 ? "seal" : "sign";
    char locked[48];
    snprintf(locked, sizeof locked, "%s%s", timestamped ? ", timestamped" : "",
             mode == SEAL_OFD_STAMP_LOCK ? ", document locked" : "");
    if (plan->count == 1) {
        const seal_placement *p = &plan->items[0];
        printf("stamped %s: seal %s (%s) on page %d at %.1f,%.1f mm, signer %s (OFD %s "
               "signature%s)\n",
               out, rec->id, rec->name, p->page, p->x_mm, p->y_mm, signer_cn, kind, locked);
        return;
    }
    printf("stamped %s: seal %s (%s) in %zu places:", out, rec->id, rec->name, plan->count);
    for (size_t i = 0; i < plan->count; i++) {
        const seal_placement *p = &plan->items[i];
        printf("%s page %d at %.1f,%.1f mm", i ? ";" : "", p->page, p->x_mm, p->y_mm);
        if (p->strip >= 0)
            printf(" (strip %d, %.1f x %.1f mm)", p->strip + 1, p->width_mm, p->height_mm);
    }
    printf(", signer %s (OFD %s signature%s)\n", signer_cn, kind, locked);
}

int stamp_ofd(const char *in, const char *out, const seal_signer *signer, const seal_record *rec,
              seal_place_request *req, seal_ofd_stamp_mode mode, const seal_tsp_client *tsa,
              const seal_trust *tsa_trust, seal_place_plan *plan, stamp_record *record)
{
    int code = EXIT_ERROR;
    seal_eseal *seal = NULL;
    seal_ofd *doc = NULL;

    if (seal_eseal_parse(&seal, rec->esl.data, rec->esl.len) < 0) {
        seal_error_wrap(seal_error_last_code(), "seal %s", rec->id);
        goto fail;
    }
    /* GB/T 38540: readers draw the seal's own picture at the size it records. */
    req->width_mm = (double)seal->width_mm;
    req->height_mm = (double)seal->height_mm;
    req->image_png = seal->picture.data;
    req->image_png_len = seal->picture.len;
    if (req->mode == SEAL_PLACE_SEAM && strcasecmp(seal->picture_type, "PNG") != 0) {
        seal_error_set(SEAL_EUNSUPPORTED,
                       "seal %s has a %s picture; seam seals are cut from PNG pictures", rec->id,
                       seal->picture_type);
        goto fail;
    }
    if (seal_ofd_open(&doc, in, NULL) < 0)
        goto fail;
    seal_place_doc place;
    seal_ofd_place_doc(&place, doc);
    if (seal_place_plan_make(plan, req, &place) < 0)
        goto fail;
    seal_ofd_free(doc);
    doc = NULL;

    record->places = plan->count;
    snprintf(record->how, sizeof record->how, "OFD Type=%s%s%s",
             rec->alg == SEAL_ALG_SM2 ? "Seal" : "Sign", tsa ? ", timestamped" : "",
             mode == SEAL_OFD_STAMP_LOCK ? ", document locked" : "");
    seal_ofd_stamp_opts opts = {.mode = mode,
                                .placements = plan->items,
                                .n_placements = plan->count,
                                .strips = &plan->strips,
                                .tsa = tsa,
                                .tsa_trust = tsa_trust,
                                .digests = &record->digests};
    if (seal_ofd_stamp(in, out, signer, rec->esl.data, rec->esl.len, &opts) < 0)
        goto fail;
    code = EXIT_OK;
    goto out;
fail:
    code = cli_fail("stamp");
out:
    seal_ofd_free(doc);
    seal_eseal_free(seal);
    return code;
}
