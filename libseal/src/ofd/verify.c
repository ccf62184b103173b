/* Verifying an OFD's signatures (OFD-SEAL.md 6): locate each signature through OFD.xml and
 * Signatures.xml, hash every file its References name with the declared CheckMethod over
 * the stored bytes, hand the signature to the Seal (SES) or Sign (CMS) checks, and judge
 * what changed after it: files added, changed or removed relative to what it covered,
 * benign (a later signature's own files, the signature list in continue mode) or not
 * (OFD-SEAL.md 5). One report entry per signature, then the overall verdict. */
#include "verify_internal.h"

#include <seal/error.h>
#include <seal/ses.h>

#include <openssl/bn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

/* The most changes listed per signature; the count says how many more there were. */
#define MAX_LISTED_CHANGES 50

typedef enum ref_state { REF_OK, REF_CHANGED, REF_MISSING, REF_UNCHECKED } ref_state;

time_t ofd_claimed_time(const seal_ofd_signature *sig, bool *zone_assumed)
{
    time_t t = 0;
    *zone_assumed = false;
    if (!sig->date_time ||
        seal_ses_time_text(&t, zone_assumed, sig->date_time, strlen(sig->date_time)) < 0) {
        seal_error_clear();
        return 0;
    }
    return t;
}

int ofd_set_time_source(seal_sig_report *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    free(s->time_source);
    s->time_source = strdup(text);
    g_free(text);
    return s->time_source ? 0 : seal_error_set(SEAL_ENOMEM, "out of memory");
}

int ofd_check_cert_time(seal_sig_report *s, const char *name, X509 *cert, const char *whose,
                        bool proven)
{
    time_t t = s->signing_time;
    const char *when = proven ? "the signing time a timestamp proves"
                              : "the claimed signing time (no proof of an earlier time)";
    if (X509_cmp_time(X509_get0_notBefore(cert), &t) > 0)
        return seal_sig_add_check(s, name, SEAL_VERDICT_INDETERMINATE, "NOT_YET_VALID",
                                  "the %s certificate was not yet valid at %s", whose, when);
    if (X509_cmp_time(X509_get0_notAfter(cert), &t) < 0)
        return seal_sig_add_check(s, name, SEAL_VERDICT_INDETERMINATE, "EXPIRED",
                                  "the %s certificate had expired at %s", whose, when);
    return seal_sig_add_check(
        s, name, SEAL_VERDICT_VALID, NULL, "the %s certificate was within its validity at %s",
        whose, proven ? "the signing time a timestamp proves" : "the claimed signing time");
}

/* GB/T 33190 18.2 CheckMethod: OIDs or names. GM/T 0006 1.2.156.10197.1.401.1 and .2 are
 * SM3 variants; .2 ("with key") cannot be recomputed without the key, and is read as SM3
 * so that what matches is reported as matching. */
static const EVP_MD *check_method_md(const char *method, bool *assumed)
{
    *assumed = false;
    if (!method || !*method) {
        *assumed = true;
        return EVP_sm3();
    }
    if (strcasecmp(method, "SM3") == 0 || strncmp(method, SEAL_OID_SM3, strlen(SEAL_OID_SM3)) == 0)
        return EVP_sm3();
    if (strcasecmp(method, "SHA1") == 0 || strcasecmp(method, "SHA-1") == 0 ||
        strcmp(method, "1.3.14.3.2.26") == 0)
        return EVP_sha1();
    if (strcasecmp(method, "SHA256") == 0 || strcasecmp(method, "SHA-256") == 0 ||
        strcmp(method, SEAL_OID_SHA256) == 0)
        return EVP_sha256();
    if (strcasecmp(method, "SHA384") == 0 || strcasecmp(method, "SHA-384") == 0 ||
        strcmp(method, SEAL_OID_SHA384) == 0)
        return EVP_sha384();
    if (strcasecmp(method, "SHA512") == 0 || strcasecmp(method, "SHA-512") == 0 ||
        strcmp(method, "2.16.840.1.101.3.4.2.3") == 0)
        return EVP_sha512();
    if (strcasecmp(method, "MD5") == 0 || strcmp(method, "1.2.840.113549.2.5") == 0)
        return EVP_md5();
    return NULL;
}

static bool has_later_signatures(const seal_ofd *doc, size_t index)
{
    return index + 1 < seal_ofd_signature_count(doc);
}

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* The index of the reference naming `path`, or -1. */
static ssize_t ref_index(const seal_ofd_signature *sig, const char *path)
{
    for (size_t i = 0; i < sig->n_refs; i++)
        if (same(sig->refs[i].path, path))
            return (ssize_t)i;
    return -1;
}

/* True when `path` is covered and still matches its check value. */
static bool covered_intact(const seal_ofd_signature *sig, const ref_state *states, const char *path)
{
    ssize_t i = ref_index(sig, path);
    return i >= 0 && states[i] == REF_OK;
}

/* True when `file` lies in the folder of `list` or below it. */
static bool in_folder_of(const char *list, const char *file)
{
    const char *slash = strrchr(list, '/');
    size_t dir = slash ? (size_t)(slash - list) + 1 : 0;
    return strncmp(list, file, dir) == 0;
}

/* OFD.xml judged by what it says, not by its bytes: real signers (tax e-invoices, SES v4)
 * leave it out of the References, and its DocInfo (title, author, dates, custom data) is
 * metadata a reader does not show. What it must still say is which document and which
 * signature list the signature belongs to (GB/T 33190 7.4 DocBody): the DocBody holding
 * the signature's list must name, as its DocRoot, a Document.xml the signature covers
 * intact; the list must be covered by the signature or hold the signature's own files in
 * its folder (so that a list moved elsewhere does not pass); and every other DocBody's
 * DocRoot must be covered intact (no document body added or swapped). NULL when OFD.xml
 * passes, else why not (g_free). */
static char *judge_ofd_xml(seal_ofd *doc, const seal_ofd_signature *sig, const ref_state *states)
{
    xmlDoc *xml = NULL;
    char *why = NULL;
    const char *list = doc->info.signatures_path;
    bool found = false;
    if (seal_ofd_entry_xml(doc, "OFD.xml", &xml) < 0) {
        why = g_strdup_printf("it cannot be read: %s", seal_error_last());
        seal_error_clear();
        return why;
    }
    xmlNode *root = xmlDocGetRootElement(xml);
    int n = 0;
    for (xmlNode *b = seal_ofd_xml_child(root, "DocBody"); b && !why;
         b = seal_ofd_xml_next(b, "DocBody")) {
        n++;
        const char *doc_root = NULL, *sigs = NULL;
        const char *root_ref = ofd_child_text(doc, b, "DocRoot");
        const char *sigs_ref = ofd_child_text(doc, b, "Signatures");
        if (!root_ref || ofd_locate(doc, &doc_root, "OFD.xml", root_ref) < 0 ||
            (sigs_ref && *sigs_ref && ofd_locate(doc, &sigs, "OFD.xml", sigs_ref) < 0)) {
            seal_error_clear();
            why = g_strdup_printf("its document body %d names no readable document", n);
            break;
        }
        if (!covered_intact(sig, states, doc_root))
            why = g_strdup_printf("its document body %d names the document %s, which this "
                                  "signature does not cover as signed",
                                  n, doc_root);
        else if (same(sigs, list))
            found = true;
    }
    if (!why && !found)
        why = g_strdup_printf("no document body names the signature list %s this signature "
                              "sits in",
                              list ? list : "(none)");
    if (!why && ref_index(sig, list) < 0 && !in_folder_of(list, sig->path))
        why = g_strdup_printf("it names the signature list %s, which this signature does not "
                              "cover and whose folder does not hold the signature's %s",
                              list, sig->path);
    return why;
}

/* What `path` is when it is another document's signature list (signatures added to that
 * document change it, not what this one shows), else NULL. */
static const char *foreign_list(const ofd_verify_ctx *c, const char *path)
{
    const char *what = g_hash_table_lookup(c->foreign, path);
    return what && g_str_has_prefix(what, "the signature list") ? what : NULL;
}

/* Step 2: every Reference hashed over the stored bytes, compared with its CheckValue. */
static int check_references(ofd_verify_ctx *c, seal_sig_report *s, const seal_ofd_signature *sig,
                            size_t index, ref_state *states)
{
    int rc = 0;
    bool assumed = false, deferred = false;
    size_t ok = 0, bad = 0;
    GString *failures = g_string_new("");
    const EVP_MD *md = check_method_md(sig->check_method, &assumed);
    if (!md) {
        for (size_t i = 0; i < sig->n_refs; i++)
            states[i] = REF_UNCHECKED;
        SEAL_TRY(seal_sig_add_check(s, "references", SEAL_VERDICT_INDETERMINATE,
                                    "CRYPTO_CONSTRAINTS_FAILURE",
                                    "the references use CheckMethod \"%s\", which is not "
                                    "supported",
                                    sig->check_method));
        goto out;
    }
    if (sig->n_refs == 0) {
        SEAL_TRY(seal_sig_add_check(s, "references", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "the signature names no file: it protects nothing"));
        goto out;
    }
    for (size_t i = 0; i < sig->n_refs; i++) {
        const seal_ofd_reference *ref = &sig->refs[i];
        seal_slice bytes;
        gsize want_len = 0;
        if (seal_ofd_entry_read(c->doc, ref->path, &bytes) < 0) {
            states[i] = seal_ofd_entry_exists(c->doc, ref->path) ? REF_CHANGED : REF_MISSING;
            g_string_append_printf(failures, "%s%s %s", bad ? "; " : "", ref->path,
                                   states[i] == REF_MISSING ? "is missing" : "cannot be read");
            bad++;
            seal_error_clear();
            continue;
        }
        uint8_t digest[EVP_MAX_MD_SIZE];
        size_t digest_len = sizeof digest;
        SEAL_TRY(seal_digest(md, bytes.data, bytes.len, digest, &digest_len));
        guchar *want = g_base64_decode(ref->check_value, &want_len);
        bool match = want && want_len == digest_len && memcmp(want, digest, digest_len) == 0;
        g_free(want);
        states[i] = match ? REF_OK : REF_CHANGED;
        if (match) {
            ok++;
            continue;
        }
        /* OFD.xml and a changed signature list under a later signature are judged with
         * the changes. */
        if (foreign_list(c, ref->path))
            continue;
        if (strcmp(ref->path, "OFD.xml") == 0) {
            deferred = true;
            continue;
        }
        if (c->doc->info.signatures_path && strcmp(ref->path, c->doc->info.signatures_path) == 0 &&
            has_later_signatures(c->doc, index))
            continue;
        g_string_append_printf(failures, "%s%s differs", bad ? "; " : "", ref->path);
        bad++;
    }
    const char *name = EVP_MD_get0_name(md);
    if (bad > 0)
        SEAL_TRY(seal_sig_add_check(s, "references", SEAL_VERDICT_INVALID, "HASH_FAILURE",
                                    "%zu of %zu referenced files do not match their %s check "
                                    "value: %s",
                                    bad, sig->n_refs, name, failures->str));
    else
        SEAL_TRY(seal_sig_add_check(s, "references", SEAL_VERDICT_VALID, NULL,
                                    "%zu of %zu referenced files match their %s check values%s%s",
                                    ok, sig->n_refs, name,
                                    assumed ? " (no CheckMethod given; SM3 assumed)" : "",
                                    deferred ? "; OFD.xml does not, and is judged with the "
                                               "changes by what it says"
                                             : ""));
out:
    g_string_free(failures, TRUE);
    return rc;
}

static bool is_covered(const seal_ofd_signature *sig, const char *path)
{
    for (size_t i = 0; i < sig->n_refs; i++)
        if (strcmp(sig->refs[i].path, path) == 0)
            return true;
    return false;
}

/* The signature (after `index`) whose own files include `path`, or NULL. */
static const seal_ofd_signature *later_owner(const seal_ofd *doc, size_t index, const char *path)
{
    for (size_t j = index + 1; j < seal_ofd_signature_count(doc); j++) {
        const seal_ofd_signature *later = seal_ofd_signature_at(doc, j);
        if (same(later->path, path) || same(later->signed_value_path, path) ||
            same(later->seal_path, path))
            return later;
    }
    return NULL;
}

/* What a file is, for a person reading the changes. */
static const char *file_kind(seal_ofd *doc, const char *path)
{
    for (int p = 1; p <= seal_ofd_page_count(doc); p++) {
        const ofd_page *page = &doc->pages[p - 1];
        if (same(page->pub.content_path, path))
            return "page content";
        if (same(page->pub.annotation_path, path))
            return "page annotations";
    }
    if (same(doc->info.annotations_path, path))
        return "annotation list";
    if (same(doc->info.attachments_path, path))
        return "attachment list";
    if (same(doc->info.document_path, path))
        return "document";
    for (size_t j = 0; j < seal_ofd_signature_count(doc); j++) {
        const seal_ofd_signature *sig = seal_ofd_signature_at(doc, j);
        if (same(sig->path, path) || same(sig->signed_value_path, path) ||
            same(sig->seal_path, path))
            return "signature file";
    }
    return "file";
}

/* True when `bytes` are an XML document whose root element is a Signature (GB/T 33190
 * 18.2), whatever its prefix: a signature's description file. */
static bool is_signature_xml(seal_slice bytes)
{
    const char *p = (const char *)bytes.data, *end = p + bytes.len;
    if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    while (p < end) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            p++;
            continue;
        }
        if (*p != '<' || end - p < 2)
            return false;
        if (p[1] == '?' || p[1] == '!') {
            const char *close = memchr(p, '>', (size_t)(end - p));
            if (!close)
                return false;
            p = close + 1;
            continue;
        }
        const char *name = ++p;
        while (p < end && *p != ' ' && *p != '>' && *p != '/' && *p != '\t' && *p != '\r' &&
               *p != '\n')
            p++;
        const char *colon = memchr(name, ':', (size_t)(p - name));
        const char *local = colon ? colon + 1 : name;
        return p - local == 9 && memcmp(local, "Signature", 9) == 0;
    }
    return false;
}

static void reach(GHashTable *reached, const char *path, const char *kind)
{
    if (path && *path && !g_hash_table_contains(reached, path))
        g_hash_table_insert(reached, g_strdup(path), (char *)kind);
}

/* The resource lists `file` names (Document.xml CommonData: DocumentRes, PublicRes; a
 * page's Content.xml: PageRes; GB/T 33190 7.5, 7.7), whether or not the package holds
 * them: one the signed document named but lacked, added later, is content too. */
static void reach_res_lists(seal_ofd *doc, GHashTable *reached, const char *file, bool page)
{
    static const char *const doc_lists[] = {"DocumentRes", "PublicRes"};
    static const char *const page_lists[] = {"PageRes", NULL};
    xmlDoc *xml = NULL;
    if (!file || !seal_ofd_entry_exists(doc, file) || seal_ofd_entry_xml(doc, file, &xml) < 0) {
        seal_error_clear();
        return;
    }
    xmlNode *root = xmlDocGetRootElement(xml);
    xmlNode *parent = page ? root : seal_ofd_xml_child(root, "CommonData");
    const char *const *names = page ? page_lists : doc_lists;
    for (size_t k = 0; k < 2 && names[k] && parent; k++)
        for (xmlNode *r = seal_ofd_xml_child(parent, names[k]); r;
             r = seal_ofd_xml_next(r, names[k])) {
            char *ref = seal_ofd_xml_text(r);
            const char *path = NULL;
            if (!ref || ofd_locate(doc, &path, file, ref) < 0)
                path = NULL;
            seal_error_clear();
            free(ref);
            reach(reached, path, "resource list");
        }
}

static void reach_resources(GHashTable *reached, GHashTable *table)
{
    GHashTableIter it;
    gpointer key, value;
    if (!table)
        return;
    g_hash_table_iter_init(&it, table);
    while (g_hash_table_iter_next(&it, &key, &value))
        reach(reached, ((const seal_ofd_resource *)value)->file_path, "resource file");
}

/* Every file the selected document's content reaches (GB/T 33190 7: the document, its
 * pages, templates, annotation lists, resource lists and the files resources name), into
 * c->reached: path -> what it is. A file there is never a later signature's own file: a
 * signature entry that names one as its Seal.esl or SignedValue.dat is a disguise. */
static void collect_reached(ofd_verify_ctx *c)
{
    seal_ofd *doc = c->doc;
    GHashTable *reached = c->reached;
    g_hash_table_remove_all(reached);
    reach(reached, doc->info.document_path, "document");
    reach(reached, doc->info.annotations_path, "annotation list");
    reach(reached, doc->info.attachments_path, "attachment list");
    reach_res_lists(doc, reached, doc->info.document_path, false);
    for (size_t t = 0; t < seal_ofd_template_count(doc); t++)
        reach(reached, seal_ofd_template_at(doc, t)->content_path, "page template");
    reach_resources(reached, doc->resources);
    for (int p = 1; p <= seal_ofd_page_count(doc); p++) {
        const seal_ofd_page *page = NULL;
        reach(reached, doc->pages[p - 1].pub.content_path, "page content");
        reach(reached, doc->pages[p - 1].pub.annotation_path, "page annotations");
        if (seal_ofd_page_get(doc, p, &page) < 0) {
            seal_error_clear();
            continue;
        }
        reach_res_lists(doc, reached, page->content_path, true);
        reach_resources(reached, doc->pages[p - 1].resources);
    }
}

typedef struct change_tally {
    size_t refused, allowed;
} change_tally;

static int note_change(seal_sig_report *s, change_tally *t, bool allowed, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int note_change(seal_sig_report *s, change_tally *t, bool allowed, const char *fmt, ...)
{
    size_t listed = t->refused + t->allowed;
    if (allowed)
        t->allowed++;
    else
        t->refused++;
    if (listed >= MAX_LISTED_CHANGES)
        return 0;
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    int rc = seal_sig_add_change(s, "%s%s", allowed ? "(allowed) " : "", text);
    g_free(text);
    return rc;
}

/* OFD.xml changed or left uncovered: allowed when it still says what the signature
 * signed (judge_ofd_xml); then only its metadata can differ. */
static int note_ofd_xml(seal_ofd *doc, seal_sig_report *s, change_tally *t,
                        const seal_ofd_signature *sig, const ref_state *states, bool changed)
{
    const char *what = changed ? "was changed after signing" : "is not covered by this signature";
    char *why = judge_ofd_xml(doc, sig, states);
    int rc;
    if (why)
        rc = note_change(s, t, false, "OFD.xml (package root) %s, and %s", what, why);
    else
        rc = note_change(s, t, true,
                         "OFD.xml (package root) %s; it still names the signed document %s and "
                         "the signature list %s, so %s its metadata (DocInfo: title, author, "
                         "dates, custom data)",
                         what, doc->info.document_path, doc->info.signatures_path,
                         changed ? "what changed is" : "what is unprotected is");
    g_free(why);
    return rc;
}

/* A signature is listed once; the signature files it covers (a later signature covers the
 * earlier ones' Signature.xml) must belong to signatures listed before it: one listed after it
 * means the list was reordered, one listed nowhere that a signature was dropped from Signatures.xml
 * (the list of a signature that left it open can be edited; its signers cannot). */
static int check_listed(ofd_verify_ctx *c, seal_sig_report *s, change_tally *t,
                        const seal_ofd_signature *sig, size_t index, const ref_state *states)
{
    int rc = 0;
    for (size_t j = 0; j < seal_ofd_signature_count(c->doc); j++)
        if (j != index && same(seal_ofd_signature_at(c->doc, j)->path, sig->path))
            SEAL_TRY(note_change(s, t, false,
                                 "the signature list names %s for signature %s too: one "
                                 "signature counted twice",
                                 sig->path, seal_ofd_signature_at(c->doc, j)->id));
    for (size_t i = 0; i < sig->n_refs; i++) {
        const char *path = sig->refs[i].path;
        const char *foreign = g_hash_table_lookup(c->foreign, path);
        seal_slice bytes;
        if (states[i] != REF_OK || (foreign && g_str_has_prefix(foreign, "signature ")))
            continue;
        ssize_t at = -1;
        for (size_t j = 0; j < seal_ofd_signature_count(c->doc) && at < 0; j++)
            if (same(seal_ofd_signature_at(c->doc, j)->path, path))
                at = (ssize_t)j;
        if (at >= 0 && (size_t)at < index)
            continue;
        if (seal_ofd_entry_read(c->doc, path, &bytes) < 0) {
            seal_error_clear();
            continue;
        }
        if (!is_signature_xml(bytes))
            continue;
        if (at >= 0)
            SEAL_TRY(note_change(s, t, false,
                                 "%s is the description of signature %s, which this signature "
                                 "covers as an earlier one but the signature list now puts "
                                 "after it: the list was reordered after signing",
                                 path, seal_ofd_signature_at(c->doc, (size_t)at)->id));
        else
            SEAL_TRY(note_change(s, t, false,
                                 "%s is the description of a signature this signature covers "
                                 "as an earlier one, which the signature list no longer holds: "
                                 "a signature was dropped from %s after signing",
                                 path, c->doc->info.signatures_path));
    }
out:
    return rc;
}

/* Step 7 and OFD-SEAL.md 5: files added, changed or removed relative to what the signature
 * covered. A later signature's own files and an unprotected signature list are allowed. */
static int check_changes(ofd_verify_ctx *c, seal_sig_report *s, const seal_ofd_signature *sig,
                         size_t index, const ref_state *states)
{
    int rc = 0;
    seal_ofd *doc = c->doc;
    change_tally t = {0};
    const char *list = doc->info.signatures_path;
    for (size_t i = 0; i < sig->n_refs; i++) {
        const char *path = sig->refs[i].path;
        if (states[i] == REF_MISSING)
            SEAL_TRY(note_change(s, &t, false, "%s (%s) was removed after signing", path,
                                 file_kind(doc, path)));
        else if (states[i] == REF_CHANGED && same(path, list) && has_later_signatures(doc, index))
            SEAL_TRY(note_change(s, &t, false,
                                 "%s was changed after signing: later signatures were added "
                                 "to a signature list this signature protects (locked)",
                                 path));
        else if (states[i] == REF_CHANGED && foreign_list(c, path))
            SEAL_TRY(note_change(s, &t, true,
                                 "%s (%s) was changed after signing: another document's "
                                 "signing",
                                 path, foreign_list(c, path)));
        else if (states[i] == REF_CHANGED && strcmp(path, "OFD.xml") == 0)
            SEAL_TRY(note_ofd_xml(doc, s, &t, sig, states, true));
        else if (states[i] == REF_CHANGED)
            SEAL_TRY(note_change(s, &t, false, "%s (%s) was changed after signing", path,
                                 file_kind(doc, path)));
    }
    SEAL_TRY(check_listed(c, s, &t, sig, index, states));
    for (size_t e = 0; e < seal_ofd_entry_count(doc); e++) {
        const char *path = seal_ofd_entry_name(doc, e);
        if (is_covered(sig, path) || same(path, sig->path) || same(path, sig->signed_value_path))
            continue;
        const seal_ofd_signature *owner = later_owner(doc, index, path);
        const char *foreign = g_hash_table_lookup(c->foreign, path);
        const char *content = g_hash_table_lookup(c->reached, path);
        if (content)
            SEAL_TRY(note_change(s, &t, false,
                                 "%s (%s) is not covered by this signature, yet the document "
                                 "shows it%s%s: content added after signing",
                                 path, content, owner || foreign ? "; it is named as " : "",
                                 owner     ? "a later signature's file"
                                 : foreign ? "another document's signature file"
                                           : ""));
        else if (strcmp(path, "OFD.xml") == 0)
            SEAL_TRY(note_ofd_xml(doc, s, &t, sig, states, false));
        else if (foreign)
            SEAL_TRY(
                note_change(s, &t, true, "%s is %s: another document's signing", path, foreign));
        else if (owner)
            SEAL_TRY(
                note_change(s, &t, true, "%s belongs to the later signature %s", path, owner->id));
        else if (same(path, list))
            SEAL_TRY(note_change(s, &t, true,
                                 "%s is not protected: the signature leaves the signature list "
                                 "open for later signatures",
                                 path));
        else
            SEAL_TRY(note_change(s, &t, false,
                                 "%s (%s) is not covered by this signature: added after "
                                 "signing, or never protected",
                                 path, file_kind(doc, path)));
    }
    if (t.refused + t.allowed > MAX_LISTED_CHANGES)
        SEAL_TRY(
            seal_sig_add_change(s, "... and %zu more", t.refused + t.allowed - MAX_LISTED_CHANGES));
    if (t.refused > 0)
        SEAL_TRY(seal_sig_add_check(s, "changes", SEAL_VERDICT_INVALID, "MODIFIED_AFTER_SIGNING",
                                    "the document was changed after signing: %zu change(s) a "
                                    "signature does not allow, %zu allowed",
                                    t.refused, t.allowed));
    else if (t.allowed > 0)
        SEAL_TRY(seal_sig_add_check(s, "changes", SEAL_VERDICT_VALID, NULL,
                                    "only allowed changes after signing (%zu: later signatures' "
                                    "files, the open signature list, OFD.xml metadata)",
                                    t.allowed));
    else
        SEAL_TRY(seal_sig_add_check(s, "changes", SEAL_VERDICT_VALID, NULL,
                                    "every file of the package is covered; nothing changed "
                                    "after signing"));
out:
    return rc;
}

/* Where the seal shows: the StampAnnots (GB/T 33190 18.2.3); a seam seal has one per page. */
static int describe_placement(ofd_verify_ctx *c, seal_sig_report *s, const seal_ofd_signature *sig)
{
    int rc = 0;
    GString *where = g_string_new("");
    size_t lost = 0;
    if (sig->n_stamps == 0)
        goto out;
    s->visible = true;
    s->page = sig->stamps[0].page;
    s->rect[0] = sig->stamps[0].boundary.x;
    s->rect[1] = sig->stamps[0].boundary.y;
    s->rect[2] = sig->stamps[0].boundary.w;
    s->rect[3] = sig->stamps[0].boundary.h;
    for (size_t i = 0; i < sig->n_stamps; i++) {
        const seal_ofd_stamp_annot *a = &sig->stamps[i];
        if (a->page == 0)
            lost++;
        if (seal_ofd_info(c->doc)->n_doc_bodies > 1)
            g_string_append_printf(where, "%sdocument %d ", i ? ", " : "",
                                   seal_ofd_info(c->doc)->document);
        else if (i)
            g_string_append(where, ", ");
        g_string_append_printf(where, "page %d [%g %g %g %g mm]", a->page, a->boundary.x,
                               a->boundary.y, a->boundary.w, a->boundary.h);
        if (a->has_clip)
            g_string_append_printf(where, " clip [%g %g %g %g]", a->clip.x, a->clip.y, a->clip.w,
                                   a->clip.h);
    }
    if (lost)
        SEAL_TRY(seal_sig_add_check(s, "placement", SEAL_VERDICT_INVALID, "FORMAT_FAILURE",
                                    "%zu StampAnnot(s) name a page the document does not have "
                                    "(%d pages): %s",
                                    lost, seal_ofd_page_count(c->doc), where->str));
    else
        SEAL_TRY(seal_sig_add_check(s, "placement", SEAL_VERDICT_VALID, NULL,
                                    "%zu StampAnnot(s): %s", sig->n_stamps, where->str));
out:
    g_string_free(where, TRUE);
    return rc;
}

static int describe_coverage(ofd_verify_ctx *c, seal_sig_report *s, const seal_ofd_signature *sig)
{
    const char *list = c->doc->info.signatures_path;
    bool locked = list && is_covered(sig, list);
    char *text = g_strdup_printf("%zu of the package's %zu files; %s", sig->n_refs,
                                 seal_ofd_entry_count(c->doc),
                                 locked ? "the signature list too (no later signature allowed)"
                                        : "the signature list left open for later signatures");
    s->coverage = strdup(text);
    g_free(text);
    return s->coverage ? 0 : seal_error_set(SEAL_ENOMEM, "out of memory");
}

static int verify_one(ofd_verify_ctx *c, seal_report *r, size_t index)
{
    int rc = 0;
    seal_sig_report *s = NULL;
    const seal_ofd_signature *sig = seal_ofd_signature_at(c->doc, index);
    ref_state *states = g_new0(ref_state, sig->n_refs ? sig->n_refs : 1);
    SEAL_TRY(seal_report_add_sig(r, &s));
    s->field_name = strdup(sig->id);
    s->kind = strdup(sig->is_seal ? "seal" : "sign");
    SEAL_ENSURE(s->field_name && s->kind, SEAL_ENOMEM, "out of memory");
    if (sig->error) {
        SEAL_TRY(seal_sig_add_check(s, "structure", SEAL_VERDICT_INVALID, "FORMAT_FAILURE", "%s",
                                    sig->message));
        goto out;
    }
    if (sig->grant_id) {
        s->grant_id = strdup(sig->grant_id);
        s->grant_project = sig->grant_project ? strdup(sig->grant_project) : NULL;
        s->grant_grantee = sig->grant_grantee ? strdup(sig->grant_grantee) : NULL;
    }
    SEAL_TRY(describe_coverage(c, s, sig));
    SEAL_TRY(describe_placement(c, s, sig));
    SEAL_TRY(check_references(c, s, sig, index, states));
    if (sig->is_seal)
        SEAL_TRY(ofd_verify_seal(c, s, sig));
    else
        SEAL_TRY(ofd_verify_sign(c, s, sig));
    SEAL_TRY(check_changes(c, s, sig, index, states));
out:
    g_free(states);
    return rc;
}

/* Files of the signatures of documents other than `self`, into c->foreign. Selects each
 * document in turn. */
static int collect_foreign(ofd_verify_ctx *c, int self)
{
    int rc = 0;
    g_hash_table_remove_all(c->foreign);
    for (int d = 1; d <= (int)seal_ofd_info(c->doc)->n_doc_bodies; d++) {
        if (d == self)
            continue;
        SEAL_TRY(seal_ofd_select_document(c->doc, d));
        const char *list = c->doc->info.signatures_path;
        if (list)
            g_hash_table_insert(c->foreign, g_strdup(list),
                                g_strdup_printf("the signature list of document %d", d));
        for (size_t i = 0; i < seal_ofd_signature_count(c->doc); i++) {
            const seal_ofd_signature *sig = seal_ofd_signature_at(c->doc, i);
            const char *files[] = {sig->path, sig->signed_value_path, sig->seal_path};
            for (size_t f = 0; f < G_N_ELEMENTS(files); f++)
                if (files[f] && *files[f])
                    g_hash_table_insert(c->foreign, g_strdup(files[f]),
                                        g_strdup_printf("signature %s of document %d", sig->id, d));
        }
    }
out:
    return rc;
}

/* The signatures of document `d` into the report. */
static int verify_document(ofd_verify_ctx *c, seal_report *r, int d)
{
    int rc = 0;
    size_t n = seal_ofd_info(c->doc)->n_doc_bodies;
    SEAL_TRY(collect_foreign(c, d));
    SEAL_TRY(seal_ofd_select_document(c->doc, d));
    collect_reached(c);
    for (size_t i = 0; i < seal_ofd_signature_count(c->doc); i++) {
        SEAL_TRY(verify_one(c, r, i));
        if (n > 1)
            r->sigs[r->n_sigs - 1].document = d;
    }
out:
    return rc;
}

int ofd_verify_doc(seal_report **out, seal_ofd *doc, const char *name, const seal_trust *trust,
                   int document)
{
    int rc = 0;
    seal_report *r = NULL;
    seal_trust *none = NULL;
    ofd_verify_ctx c = {.doc = doc};
    int was = seal_ofd_info(doc)->document;
    int n = (int)seal_ofd_info(doc)->n_doc_bodies;
    *out = NULL;
    c.foreign = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    c.reached = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    SEAL_ENSURE(document >= 0 && document <= n, SEAL_ENOTFOUND,
                "%s: document %d does not exist (the package holds %d %s)", name, document, n,
                n == 1 ? "document" : "documents");
    if (!trust) {
        SEAL_TRY(seal_trust_new(&none));
        trust = none;
    }
    c.trust = trust;
    SEAL_TRY(seal_report_new(&r, name, "ofd"));
    for (int d = 1; d <= n; d++)
        if (document == 0 || d == document)
            SEAL_TRY(verify_document(&c, r, d));
    seal_report_finish(r);
    *out = r;
    r = NULL;
out:
    if (seal_ofd_select_document(doc, was) < 0 && rc == 0)
        rc = SEAL_EFORMAT;
    g_hash_table_destroy(c.foreign);
    g_hash_table_destroy(c.reached);
    seal_report_free(r);
    seal_trust_free(none);
    return rc;
}

int seal_ofd_verify(seal_report **out, const char *path, const seal_trust *trust)
{
    seal_ofd *doc = NULL;
    *out = NULL;
    int rc = seal_ofd_open(&doc, path, NULL);
    if (rc == 0)
        rc = ofd_verify_doc(out, doc, path, trust, 0);
    seal_ofd_free(doc);
    return rc;
}
