/* Stamping an OFD document: one new signature per call, as GB/T 33190 18 and OFD-SEAL.md
 * sections 4-5 describe. With an SM2 key it is a Type=Seal signature whose SignedValue.dat
 * is a GB/T 38540 v4 SES_Signature; with an RSA or ECDSA key a Type=Sign signature whose
 * SignedValue.dat is a CMS SignedData over Signature.xml. Both carry the seal (Seal.esl)
 * and one StampAnnot per placement, which is all a reader draws.
 *
 * Prepare (the first of two phases, seal/doc.h): check the plan, the seal and that no
 * signature locks the document -> the new signature list (and OFD.xml when the document
 * had none) -> references over every file -> Signature.xml -> the bytes the signer signs
 * (TBS_Sign, or the CMS signed attributes) -> the new package but SignedValue.dat, written
 * beside the output. The signature is made elsewhere; stamp_finish.c completes the package.
 * seal_ofd_stamp is both phases with a signer at hand. */
#include "doc_ofd.h"
#include "ofd_internal.h"
#include "stamp_internal.h"

#include <seal/cms.h>
#include <seal/error.h>
#include <seal/ses.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

/* A seal picture shown larger or smaller than the seal says by more than this is a
 * caller's mistake, not rounding. */
#define SIZE_TOLERANCE_MM 0.01

/* Everything prepare builds; freed in one place. */
typedef struct stamp_job {
    seal_ofd *doc; /* the open input (the caller's) */
    const seal_stamp_plan *plan;
    seal_eseal *seal; /* its der, the bytes given, is also what Seal.esl holds */
    time_t when;
    seal_key_alg alg;
    bool type_seal; /* Type=Seal (SM2, SES) or Type=Sign (CMS) */

    char *list_path; /* Signatures.xml */
    bool list_is_new;
    char *sig_dir; /* "Doc_0/Signs/Sign_N" */
    char *sig_xml_path, *signed_value_path, *seal_path;

    ofd_id_counter ids;
    char sig_id[OFD_ID_SIZE];
    char (*annot_ids)[OFD_ID_SIZE];
    ofd_sig_annot *annots;
    size_t n_annots;

    seal_buf list_xml, ofd_xml, signature_xml;
    bool ofd_xml_changed;
    ofd_sig_ref *refs;
    size_t n_refs;
} stamp_job;

static void job_clear(stamp_job *j)
{
    seal_eseal_free(j->seal);
    g_free(j->list_path);
    g_free(j->sig_dir);
    g_free(j->sig_xml_path);
    g_free(j->signed_value_path);
    g_free(j->seal_path);
    g_free(j->annot_ids);
    g_free(j->annots);
    seal_buf_clear(&j->list_xml);
    seal_buf_clear(&j->ofd_xml);
    seal_buf_clear(&j->signature_xml);
    g_free(j->refs);
}

/* The one-phase stamp maps the input once and everything reads it from there: the package
 * reader, the digests and the copy of unchanged entries all see the same bytes, without a
 * system call per entry. */
static int map_input(ofd_doc *d, const char *in)
{
    int rc = 0;
    struct stat st;
    int fd = open(in, O_RDONLY | O_CLOEXEC);
    SEAL_ENSURE(fd >= 0, SEAL_EIO, "cannot open %s: %s", in, strerror(errno));
    SEAL_ENSURE(fstat(fd, &st) == 0, SEAL_EIO, "cannot read %s: %s", in, strerror(errno));
    SEAL_ENSURE(S_ISREG(st.st_mode), SEAL_EIO, "%s is not a regular file", in);
    SEAL_ENSURE(st.st_size > 0, SEAL_EFORMAT, "%s is empty; an OFD package is a zip archive", in);
    SEAL_ENSURE((uint64_t)st.st_size <= SIZE_MAX, SEAL_EUNSUPPORTED, "%s is too large", in);
    void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    SEAL_ENSURE(map != MAP_FAILED, SEAL_EIO, "cannot read %s: %s", in, strerror(errno));
    d->map = map;
    d->map_len = (size_t)st.st_size;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

static int check_args(const char *in, const char *out, const seal_signer *signer,
                      const uint8_t *seal, size_t seal_len, const seal_ofd_stamp_opts *opts)
{
    if (!in || !out || !signer || !opts)
        return seal_error_set(SEAL_EINVAL, "missing input, output, signer or options");
    if (!seal || seal_len == 0)
        return seal_error_set(SEAL_EINVAL, "no seal (.esl) to stamp with");
    if (seal_same_file(in, out))
        return seal_error_set(SEAL_EINVAL,
                              "the output must be a new file, not the input (%s): the input is "
                              "never modified",
                              in);
    if (opts->mode != SEAL_OFD_STAMP_CONTINUE && opts->mode != SEAL_OFD_STAMP_LOCK)
        return seal_error_set(SEAL_EINVAL, "unknown stamp mode %d", (int)opts->mode);
    return 0;
}

/* True when `path` is the file open at `fd`. */
static bool is_open_file(int fd, const char *path)
{
    struct stat a, b;
    return fd >= 0 && fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* What an OFD signature can be asked for. The PDF signature dictionary and MDP have no
 * place in GB/T 33190 18: a Signature.xml names no reason or location, and the only lock is
 * a signature over the signature list (plan->lock, OFD-SEAL.md 5). Validation data (a DSS)
 * is PAdES's; an OFD signature carries its timestamp in the SES_Signature. */
int ofd_stamp_check_options(const seal_stamp_plan *plan)
{
    if (plan->invisible || plan->reason || plan->location)
        return seal_error_set(SEAL_EINVAL, "an OFD seal is always shown and OFD "
                                           "signatures record no reason or location");
    if (plan->certify || plan->lock_fields)
        return seal_error_set(SEAL_EINVAL,
                              "certification and form-field locks are PDF signatures' (DocMDP, "
                              "FieldMDP); an OFD signature can lock the signature list instead");
    if (plan->qr_url)
        return seal_error_set(SEAL_EINVAL, "a QR code beside the seal is drawn on PDF pages "
                                           "only; an OFD seal shows its own picture");
    if (plan->validation_data)
        return seal_error_set(SEAL_EINVAL,
                              "B-LT and B-LTA are PAdES levels; an OFD signature takes a "
                              "timestamp (B-T) and nothing more");
    return 0;
}

static int check_plan(const ofd_doc *d, const seal_stamp_plan *plan)
{
    if (!plan || !plan->output || !plan->cert)
        return seal_error_set(SEAL_EINVAL, "missing output or signing certificate");
    int rc = ofd_stamp_check_options(plan);
    if (rc < 0)
        return rc;
    if (!plan->esl || plan->esl_len == 0)
        return seal_error_set(SEAL_EINVAL, "no seal (.esl) to stamp with");
    if (is_open_file(d->fd, plan->output))
        return seal_error_set(SEAL_EINVAL,
                              "the output must be a new file, not the input (%s): the input is "
                              "never modified",
                              d->name);
    if (!plan->placements || plan->n_placements == 0)
        return seal_error_set(SEAL_EINVAL, "say where the seal goes: no placement given");
    if (plan->n_placements > SEAL_PLACEMENTS_MAX)
        return seal_error_set(SEAL_EINVAL, "one signature can show the seal at most %d times",
                              SEAL_PLACEMENTS_MAX);
    return 0;
}

/* OFD-SEAL.md 5: a signature that covers Signatures.xml forbids any later signature (it
 * would break); one whose Signature.xml cannot be read could be doing so. */
static int check_not_locked(const stamp_job *j)
{
    for (size_t i = 0; i < seal_ofd_signature_count(j->doc); i++) {
        const seal_ofd_signature *s = seal_ofd_signature_at(j->doc, i);
        if (s->error)
            return seal_error_set(SEAL_EFORMAT,
                                  "signature %s of the document cannot be read (%s); refusing to "
                                  "add a signature next to it",
                                  s->id, s->message ? s->message : "unreadable");
        for (size_t r = 0; r < s->n_refs; r++)
            if (j->list_path && strcmp(s->refs[r].path, j->list_path) == 0)
                return seal_error_set(SEAL_EPOLICY,
                                      "the document is locked: signature %s protects the "
                                      "signature list %s, so adding a signature would break it",
                                      s->id, j->list_path);
    }
    return 0;
}

/* The folder of a package path, "" for the root. */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? g_strndup(path, (size_t)(slash - path + 1)) : g_strdup("");
}

/* Where the new files go: next to the signature list, in the first Sign_N folder after
 * every existing one (GB/T 33190 18 leaves names free; readers follow BaseLoc). */
static int choose_paths(stamp_job *j)
{
    int rc = 0;
    char *list_dir = NULL;
    const seal_ofd_doc_info *info = seal_ofd_info(j->doc);
    if (info->signatures_path) {
        j->list_path = g_strdup(info->signatures_path);
    } else {
        char *doc_dir = folder_of(info->document_path);
        j->list_path = g_strconcat(doc_dir, "Signs/Signatures.xml", NULL);
        g_free(doc_dir);
        j->list_is_new = true;
        SEAL_ENSURE(!seal_ofd_entry_exists(j->doc, j->list_path), SEAL_EFORMAT,
                    "the package has %s, but OFD.xml does not name it as its signature list",
                    j->list_path);
    }
    list_dir = folder_of(j->list_path);
    size_t prefix_len = strlen(list_dir) + strlen("Sign_");
    long next = 0;
    for (size_t i = 0; i < seal_ofd_entry_count(j->doc); i++) {
        const char *name = seal_ofd_entry_name(j->doc, i);
        if (strncmp(name, list_dir, strlen(list_dir)) != 0 ||
            strncmp(name + strlen(list_dir), "Sign_", 5) != 0)
            continue;
        char *end = NULL;
        long n = strtol(name + prefix_len, &end, 10);
        if (end != name + prefix_len && *end == '/' && n >= next)
            next = n + 1;
    }
    SEAL_ENSURE(next < 1000000, SEAL_EUNSUPPORTED, "the package already has %ld signature folders",
                next);
    j->sig_dir = g_strdup_printf("%sSign_%ld", list_dir, next);
    j->sig_xml_path = g_strconcat(j->sig_dir, "/Signature.xml", NULL);
    j->signed_value_path = g_strconcat(j->sig_dir, "/SignedValue.dat", NULL);
    j->seal_path = g_strconcat(j->sig_dir, "/Seal.esl", NULL);
out:
    g_free(list_dir);
    return rc;
}

static bool close_to(double a, double b)
{
    return fabs(a - b) < SIZE_TOLERANCE_MM;
}

/* One StampAnnot: Boundary is the whole seal at its size from the seal (GB/T 38540
 * picture width/height), in page coordinates; a seam strip shows the part Clip selects, in
 * the seal's own coordinates, with the Boundary shifted so that part lands where the
 * placement says (OFD-SEAL.md 5). */
static int make_annot(stamp_job *j, const seal_placement *p, ofd_sig_annot *a)
{
    int rc = 0;
    const seal_ofd_page *page = NULL;
    double seal_w = (double)j->seal->width_mm, seal_h = (double)j->seal->height_mm;
    const seal_seam_strips *strips = j->plan->strips;

    SEAL_TRY(seal_ofd_page_get(j->doc, p->page, &page));
    const seal_ofd_box *box = &page->physical_box;
    SEAL_ENSURE(p->x_mm >= 0 && p->y_mm >= 0 && p->x_mm <= box->w && p->y_mm <= box->h, SEAL_EINVAL,
                "position %.1f,%.1f mm is outside page %d (%.1f x %.1f mm)", p->x_mm, p->y_mm,
                p->page, box->w, box->h);
    double cx = box->x + p->x_mm, cy = box->y + p->y_mm;
    a->page_ref = page->id;
    a->boundary[2] = seal_w;
    a->boundary[3] = seal_h;
    if (p->strip < 0) {
        SEAL_ENSURE(close_to(p->width_mm, seal_w) && close_to(p->height_mm, seal_h), SEAL_EINVAL,
                    "the seal is %.0f x %.0f mm; it cannot be shown at %.1f x %.1f mm", seal_w,
                    seal_h, p->width_mm, p->height_mm);
        a->boundary[0] = cx - seal_w / 2;
        a->boundary[1] = cy - seal_h / 2;
        return 0;
    }
    SEAL_ENSURE(strips && (size_t)p->strip < strips->count, SEAL_EINVAL,
                "placement on page %d shows seam strip %d, which was not cut", p->page,
                p->strip + 1);
    const seal_seam_strip *s = &strips->strips[p->strip];
    a->has_clip = true;
    if (close_to(s->height_mm, seal_h) && s->width_mm < seal_w) {
        /* a vertical strip (right or left seam) */
        a->boundary[0] = cx - s->width_mm / 2 - s->start_mm;
        a->boundary[1] = cy - seal_h / 2;
        a->clip[0] = s->start_mm;
        a->clip[1] = 0;
        a->clip[2] = s->width_mm;
        a->clip[3] = seal_h;
    } else if (close_to(s->width_mm, seal_w) && s->height_mm < seal_h) {
        /* a horizontal strip (top or bottom seam) */
        a->boundary[0] = cx - seal_w / 2;
        a->boundary[1] = cy - s->height_mm / 2 - s->start_mm;
        a->clip[0] = 0;
        a->clip[1] = s->start_mm;
        a->clip[2] = seal_w;
        a->clip[3] = s->height_mm;
    } else {
        SEAL_FAIL(SEAL_EINVAL,
                  "seam strip %d (%.1f x %.1f mm) was not cut from this %.0f x %.0f mm seal",
                  p->strip + 1, s->width_mm, s->height_mm, seal_w, seal_h);
    }
out:
    return rc;
}

/* IDs: the signature first, then its StampAnnots, from the shared counter. */
static int make_annots(stamp_job *j)
{
    int rc = 0;
    size_t n = j->plan->n_placements;
    j->annots = g_new0(ofd_sig_annot, n);
    j->annot_ids = g_malloc0_n(n, sizeof *j->annot_ids);
    ofd_ids_init(&j->ids, j->doc);
    SEAL_TRY(ofd_ids_take(&j->ids, j->sig_id));
    for (size_t i = 0; i < n; i++) {
        SEAL_TRY(make_annot(j, &j->plan->placements[i], &j->annots[i]));
        SEAL_TRY(ofd_ids_take(&j->ids, j->annot_ids[i]));
        j->annots[i].id = j->annot_ids[i];
        j->n_annots++;
    }
out:
    return rc;
}

static int make_list_and_ofd_xml(stamp_job *j)
{
    int rc = 0;
    char *base_loc = g_strconcat("/", j->sig_xml_path, NULL);
    char *list_loc = g_strconcat("/", j->list_path, NULL);
    const char *max_id = j->n_annots ? j->annot_ids[j->n_annots - 1] : j->sig_id;
    ofd_list_entry entry = {j->sig_id, j->type_seal ? "Seal" : "Sign", base_loc, max_id};
    seal_slice old, ofd_xml;

    if (j->list_is_new) {
        SEAL_TRY(ofd_signatures_xml_add(&j->list_xml, NULL, &entry, &j->doc->limits));
        /* GB/T 33190 7.3 (OFD.xml): the document body names its signature list. */
        SEAL_TRY(seal_ofd_entry_read(j->doc, "OFD.xml", &ofd_xml));
        SEAL_TRY(ofd_ofd_xml_add_signatures(&j->ofd_xml, ofd_xml, seal_ofd_info(j->doc)->document,
                                            list_loc, &j->doc->limits));
        j->ofd_xml_changed = true;
    } else {
        SEAL_TRY(seal_ofd_entry_read(j->doc, j->list_path, &old));
        SEAL_TRY(ofd_signatures_xml_add(&j->list_xml, &old, &entry, &j->doc->limits));
    }
out:
    g_free(base_loc);
    g_free(list_loc);
    return rc;
}

static int digest_of(ofd_sig_ref *ref, const seal_buf *bytes)
{
    return seal_digest(EVP_sm3(), bytes->data, bytes->len, ref->digest, &ref->digest_len);
}

/* True when `name` is the signature list of another document of the package: signatures
 * added to that document change it, which must not break this one (left out like this
 * document's list in continue mode). */
static bool other_list(const stamp_job *j, const char *name)
{
    const seal_ofd_doc_info *info = seal_ofd_info(j->doc);
    for (size_t d = 1; d <= info->n_doc_bodies; d++) {
        const char *list = NULL;
        if ((int)d != info->document && ofd_body_signatures(j->doc, (int)d, &list) == 0 && list &&
            strcmp(list, name) == 0)
            return true;
        seal_error_clear();
    }
    return false;
}

/* OFD-SEAL.md 5: every file of the package as it will be, except this signature's own
 * Signature.xml and SignedValue.dat, except Signatures.xml unless the mode is lock, and
 * except the other documents' signature lists.
 * Digests are SM3 (CheckMethod 1.2.156.10197.1.401, the write form of section 4): of the
 * new bytes for the files this stamp writes, streamed from the package for the others.
 * The package's files come in archive order, then the new ones. */
static int make_references(stamp_job *j)
{
    int rc = 0;
    bool cover_list = j->plan->lock;
    size_t n_entries = seal_ofd_entry_count(j->doc);
    j->refs = g_new0(ofd_sig_ref, n_entries + 2);
    for (size_t i = 0; i < n_entries; i++) {
        const char *name = seal_ofd_entry_name(j->doc, i);
        ofd_sig_ref *ref = &j->refs[j->n_refs];
        if (other_list(j, name))
            continue;
        if (strcmp(name, j->list_path) == 0) {
            if (!cover_list)
                continue;
            SEAL_TRY(digest_of(ref, &j->list_xml));
        } else if (j->ofd_xml_changed && strcmp(name, "OFD.xml") == 0) {
            SEAL_TRY(digest_of(ref, &j->ofd_xml));
        }
        ref->path = name;
        j->n_refs++;
    }
    SEAL_TRY(ofd_stamp_digest_entries(j->doc, j->refs, j->n_refs));
    if (j->list_is_new && cover_list) {
        j->refs[j->n_refs].path = j->list_path;
        SEAL_TRY(digest_of(&j->refs[j->n_refs], &j->list_xml));
        j->n_refs++;
    }
    j->refs[j->n_refs].path = j->seal_path;
    SEAL_TRY(digest_of(&j->refs[j->n_refs], &j->seal->der));
    j->n_refs++;
out:
    return rc;
}

static const char *signature_method(seal_key_alg alg)
{
    switch (alg) {
    case SEAL_ALG_SM2:
        return SEAL_OID_SM2_WITH_SM3;
    case SEAL_ALG_RSA:
        return SEAL_OID_SHA256_WITH_RSA;
    default:
        return SEAL_OID_ECDSA_WITH_SHA256;
    }
}

static int make_signature_xml(stamp_job *j)
{
    ofd_sig_info info = {.provider_name = "sealsvc",
                         .provider_version = SEAL_VERSION,
                         .signature_method = signature_method(j->alg),
                         .time = j->when,
                         .check_method = SEAL_OID_SM3,
                         .refs = j->refs,
                         .n_refs = j->n_refs,
                         .annots = j->annots,
                         .n_annots = j->n_annots,
                         .seal_path = j->seal_path,
                         .signed_value_path = j->signed_value_path,
                         .grant = j->plan->grant};
    return ofd_signature_xml_write(&j->signature_xml, &info);
}

/* What the signer signs. Type=Seal (OFD-SEAL.md 2): DER(TBS_Sign) whose dataHash is
 * SM3(Signature.xml). Type=Sign (OFD-SEAL.md 4): the signed attributes of a CMS whose
 * message-digest is the digest of Signature.xml with the signer's algorithm (SHA-256 for
 * RSA and ECDSA). */
static int make_to_sign(stamp_job *j, seal_buf *to_sign)
{
    int rc = 0;
    uint8_t hash[EVP_MAX_MD_SIZE];
    size_t hash_len = 0;
    char *property = NULL;

    if (j->type_seal) {
        SEAL_TRY(
            seal_digest(EVP_sm3(), j->signature_xml.data, j->signature_xml.len, hash, &hash_len));
        property = g_strconcat("/", j->sig_xml_path, NULL);
        seal_ses_tbs_spec spec = {.seal = j->seal,
                                  .time = j->when,
                                  .data_hash = hash,
                                  .data_hash_len = hash_len,
                                  .property_info = property};
        SEAL_TRY(seal_ses_tbs_prepare(to_sign, &spec, j->plan->cert));
    } else {
        SEAL_TRY(seal_digest(seal_digest_for_alg(j->alg), j->signature_xml.data,
                             j->signature_xml.len, hash, &hash_len));
        SEAL_TRY(seal_cms_signed_attrs(to_sign, j->plan->cert, hash, hash_len));
    }
out:
    g_free(property);
    return rc;
}

/* The new package but SignedValue.dat, in a new file beside the output (mode 0600, the
 * output's temporary name), and what stamp_finish.c needs to complete it: its central
 * directory and the digest of everything before it. */
static int write_prepared(stamp_job *j, seal_outfile *of, ofd_prepared *pp, const EVP_MD *md)
{
    int rc = 0;
    ofd_new_file replaced[2], added[3];
    size_t n_replaced = 0, n_added = 0;
    void *map = MAP_FAILED;
    struct stat st;

    if (j->ofd_xml_changed)
        replaced[n_replaced++] = (ofd_new_file){"OFD.xml", &j->ofd_xml, true};
    if (j->list_is_new)
        added[n_added++] = (ofd_new_file){j->list_path, &j->list_xml, true};
    else
        replaced[n_replaced++] = (ofd_new_file){j->list_path, &j->list_xml, true};
    added[n_added++] = (ofd_new_file){j->seal_path, &j->seal->der, false};
    added[n_added++] = (ofd_new_file){j->sig_xml_path, &j->signature_xml, true};
    SEAL_TRY(seal_outfile_open(of, j->plan->output));
    SEAL_TRY(ofd_stamp_write_zip(j->doc, of, replaced, n_replaced, added, n_added, j->when));

    SEAL_ENSURE(fstat(of->fd, &st) == 0 && st.st_size > 0, SEAL_EIO, "cannot read back %s: %s",
                of->tmp, strerror(errno));
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, of->fd, 0);
    SEAL_ENSURE(map != MAP_FAILED, SEAL_EIO, "cannot read back %s: %s", of->tmp, strerror(errno));
    SEAL_TRY(ofd_tail_read(pp, map, (size_t)st.st_size, j->seal_path));
    pp->type_seal = j->type_seal;
    pp->signed_value_path = g_strdup(j->signed_value_path);
    pp->prefix_md = EVP_MD_CTX_new();
    EVP_MD_CTX *copy = EVP_MD_CTX_new();
    unsigned int len = 0;
    bool hashed = pp->prefix_md && copy && EVP_DigestInit_ex(pp->prefix_md, md, NULL) &&
                  EVP_DigestUpdate(pp->prefix_md, map, pp->cd_offset) &&
                  EVP_MD_CTX_copy_ex(copy, pp->prefix_md) &&
                  EVP_DigestFinal_ex(copy, pp->prefix_digest, &len);
    EVP_MD_CTX_free(copy);
    SEAL_ENSURE(hashed, SEAL_ECRYPTO, "cannot hash the prepared package");
    pp->prefix_digest_len = len;
out:
    if (map != MAP_FAILED)
        munmap(map, (size_t)st.st_size);
    return rc;
}

int ofd_doc_prepare(void *impl, const seal_stamp_plan *plan, seal_pending_stamp *p)
{
    int rc = 0;
    ofd_doc *d = impl;
    stamp_job j = {.doc = d->ofd, .plan = plan};
    seal_outfile of = SEAL_OUTFILE_INIT;
    ofd_prepared *pp = g_new0(ofd_prepared, 1);

    SEAL_TRY(check_plan(d, plan));
    j.when = plan->signing_time ? plan->signing_time : time(NULL);
    j.alg = seal_key_alg_of(X509_get0_pubkey(plan->cert));
    j.type_seal = j.alg == SEAL_ALG_SM2;
    SEAL_TRY(seal_eseal_parse(&j.seal, plan->esl, plan->esl_len));
    SEAL_ENSURE(j.seal->width_mm > 0 && j.seal->height_mm > 0, SEAL_EFORMAT,
                "the seal's picture has no size (%ld x %ld mm)", j.seal->width_mm,
                j.seal->height_mm);
    SEAL_TRY(seal_eseal_check_use(j.seal, plan->cert, j.when));

    SEAL_TRY(choose_paths(&j));
    SEAL_TRY(check_not_locked(&j));
    SEAL_TRY(make_annots(&j));
    SEAL_TRY(make_list_and_ofd_xml(&j));
    SEAL_TRY(make_references(&j));
    SEAL_TRY(make_signature_xml(&j));
    SEAL_TRY(make_to_sign(&j, &p->to_sign));

    /* The record a platform keeps (DESIGN.md "The stamp flow"): the input as it was read,
     * with the signature's own digest. */
    p->digests.md = seal_digest_for_alg(j.alg);
    SEAL_TRY(seal_digest(p->digests.md, d->map, d->map_len, p->digests.before, &p->digests.len));
    SEAL_TRY(write_prepared(&j, &of, pp, p->digests.md));
    SEAL_TRY(ofd_prepared_encode(&p->state, pp));
    p->prepared = g_strdup(of.tmp);
    free(of.tmp);
    of.tmp = NULL; /* kept: finish completes it */
    p->live = pp;
    pp = NULL;
out:
    seal_outfile_abort(&of);
    ofd_prepared_free(pp);
    job_clear(&j);
    return rc;
}

int seal_ofd_stamp(const char *in, const char *out, const seal_signer *signer, const uint8_t *seal,
                   size_t seal_len, const seal_ofd_stamp_opts *opts)
{
    int rc = 0;
    ofd_doc d = {.fd = -1, .name = (char *)in};
    seal_pending_stamp p = {0};
    seal_buf sig = SEAL_BUF_INIT;

    SEAL_TRY(check_args(in, out, signer, seal, seal_len, opts));
    SEAL_TRY(map_input(&d, in));
    rc = seal_ofd_open_mem(&d.ofd, d.map, d.map_len, opts->limits);
    if (rc == 0 && opts->document > 1)
        rc = seal_ofd_select_document(d.ofd, opts->document);
    if (rc < 0)
        SEAL_TRY(seal_error_wrap(rc, "%s", in));

    seal_stamp_plan plan = {.placements = opts->placements,
                            .n_placements = opts->n_placements,
                            .strips = opts->strips,
                            .esl = seal,
                            .esl_len = seal_len,
                            .lock = opts->mode == SEAL_OFD_STAMP_LOCK,
                            .signing_time = opts->signing_time,
                            .cert = seal_signer_cert(signer),
                            .chain = seal_signer_chain(signer),
                            .max_signature_len = seal_signer_max_sig_len(signer),
                            .timestamp = opts->tsa != NULL,
                            .output = out};
    p.output = g_strdup(out);
    p.alg = seal_signer_alg(signer);
    p.cert = plan.cert;
    p.chain = plan.chain;
    p.timestamp = plan.timestamp;
    SEAL_TRY(ofd_doc_prepare(&d, &plan, &p));
    SEAL_TRY(seal_signer_digest(signer, p.to_sign.data, p.to_sign.len, p.digest, &p.digest_len));
    SEAL_TRY(seal_signer_sign_digest(signer, &sig, p.digest, p.digest_len));
    seal_stamp_finish_opts finish = {.tsa = opts->tsa, .tsa_trust = opts->tsa_trust};
    SEAL_TRY(ofd_doc_finish(&p, sig.data, sig.len, &finish, opts->digests));
out:
    if (rc < 0)
        ofd_doc_abandon(&p);
    ofd_doc_live_free(p.live);
    g_free(p.output);
    g_free(p.prepared);
    seal_buf_clear(&p.to_sign);
    seal_buf_clear(&p.state);
    seal_buf_clear(&sig);
    seal_ofd_free(d.ofd);
    if (d.map)
        munmap((void *)d.map, d.map_len);
    return rc;
}
