/* The evidence bundle (`sealsvc verify --evidence-out DIR`): every certificate, CRL and
 * OCSP response a verdict rested on, as the certificate checks recorded them in the report
 * (seal_cert_report), written to a folder with a manifest, so that the verdict can be
 * reproduced later with no network: `sealsvc verify FILE --offline --evidence DIR` reads
 * the CRLs and OCSP responses at the folder's top (seal_revocation_add_dir) and the
 * certificates of DIR/certs as chain material, never as anchors (seal_verify_revocation_new).
 *
 * Layout: SHA256.crl (complete and delta CRLs, DER), SHA256.ocsp (OCSPResponse, DER),
 * certs/SHA256.pem, manifest.json (each file with its kind, SHA-256 and what it was used
 * for). The folder is written under a temporary name beside DIR and renamed into place,
 * so a failure leaves no half bundle. */
#include <seal/error.h>
#include <seal/report.h>

#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef struct bundle {
    char *dir;        /* the temporary folder being filled */
    json_t *files;    /* manifest entries, in the order first met */
    GHashTable *seen; /* "kind:sha256" -> its entry (borrowed from `files`) */
} bundle;

static int write_bytes(const char *path, const void *data, size_t len)
{
    GError *err = NULL;
    if (!g_file_set_contents(path, data, (gssize)len, &err)) {
        int rc =
            seal_error_set(SEAL_EIO, "cannot write the evidence file %s: %s", path, err->message);
        g_error_free(err);
        return rc;
    }
    return 0;
}

/* RFC 7468 2: base64 in lines of 64 between the labels. */
static int write_pem(const char *path, const seal_buf *der)
{
    int rc = 0;
    gchar *b64 = g_base64_encode(der->data, der->len);
    GString *pem = g_string_new("-----BEGIN CERTIFICATE-----\n");
    for (size_t i = 0, n = strlen(b64); i < n; i += 64)
        g_string_append_printf(pem, "%.64s\n", b64 + i);
    g_string_append(pem, "-----END CERTIFICATE-----\n");
    rc = write_bytes(path, pem->str, pem->len);
    g_string_free(pem, TRUE);
    g_free(b64);
    return rc;
}

/* Writes the bytes once (named by their digest) and notes what they were used for. */
static int add_file(bundle *b, const char *kind, const seal_buf *data, const char *used_for)
{
    int rc = 0;
    gchar *sha = g_compute_checksum_for_data(G_CHECKSUM_SHA256, data->data, data->len);
    gchar *key = g_strdup_printf("%s:%s", kind, sha);
    gchar *name = NULL, *path = NULL;
    json_t *entry = g_hash_table_lookup(b->seen, key);
    if (!entry) {
        bool cert = strcmp(kind, "certificate") == 0;
        name = cert ? g_strdup_printf("certs/%s.pem", sha)
                    : g_strdup_printf("%s.%s", sha, strcmp(kind, "ocsp") == 0 ? "ocsp" : "crl");
        path = g_build_filename(b->dir, name, NULL);
        SEAL_TRY(cert ? write_pem(path, data) : write_bytes(path, data->data, data->len));
        entry = json_pack("{s:s, s:s, s:s, s:[]}", "file", name, "kind", kind, "sha256", sha,
                          "used_for");
        SEAL_ENSURE(entry && json_array_append_new(b->files, entry) == 0, SEAL_ENOMEM,
                    "out of memory for the evidence manifest");
        g_hash_table_insert(b->seen, key, entry);
        key = NULL;
    }
    json_t *uses = json_object_get(entry, "used_for");
    SEAL_ENSURE(json_array_append_new(uses, json_string(used_for)) == 0, SEAL_ENOMEM,
                "out of memory for the evidence manifest");
out:
    g_free(sha);
    g_free(key);
    g_free(name);
    g_free(path);
    return rc;
}

static int add_sig(bundle *b, size_t index, const seal_sig_report *s)
{
    int rc = 0;
    gchar *use = NULL;
    for (size_t i = 0; i < s->n_certs; i++) {
        const seal_cert_report *c = &s->certs[i];
        g_free(use);
        use = g_strdup_printf("signature %zu (%s), %s: certificate %s (serial %s), %s", index + 1,
                              s->field_name ? s->field_name : "-", c->role, c->subject, c->serial,
                              c->status);
        SEAL_TRY(add_file(b, "certificate", &c->der, use));
        if (c->evidence_der.len == 0)
            continue;
        g_free(use);
        use = g_strdup_printf("signature %zu (%s), %s: status of %s (serial %s) at the "
                              "signing time: %s",
                              index + 1, s->field_name ? s->field_name : "-", c->role, c->subject,
                              c->serial, c->status);
        SEAL_TRY(add_file(b, c->evidence_kind, &c->evidence_der, use));
        if (c->delta_der.len > 0)
            SEAL_TRY(add_file(b, "delta-crl", &c->delta_der, use));
    }
out:
    g_free(use);
    return rc;
}

static json_t *time_json(time_t t)
{
    struct tm tm;
    char text[32];
    if (t == 0 || !gmtime_r(&t, &tm) || strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        return json_null();
    return json_string(text);
}

static int write_manifest(bundle *b, const seal_report *r)
{
    int rc = 0;
    char *text = NULL;
    gchar *path = g_build_filename(b->dir, "manifest.json", NULL);
    seal_status st;
    seal_status_of(r->verdict, r->reason, &st);
    json_t *m = json_pack(
        "{s:s, s:{s:s?, s:s?, s:s?, s:s?}, s:o, s:s, s:s, s:s?, s:s?, s:O}", "about",
        "The evidence a verification used. Reproduce its verdict with no network: sealsvc "
        "verify FILE --offline --evidence THIS-FOLDER --trust ANCHOR",
        "document", "file", r->file, "format", r->format, "sha256", r->sha256, "sm3", r->sm3,
        "verified_at", time_json(r->verified_at), "verdict", seal_verdict_name(r->verdict),
        "indication", seal_etsi_indication_name(st.indication), "sub_indication", st.sub_indication,
        "detail", st.detail, "files", b->files);
    SEAL_ENSURE(m, SEAL_ENOMEM, "out of memory for the evidence manifest");
    text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(m);
    SEAL_ENSURE(text, SEAL_ENOMEM, "out of memory for the evidence manifest");
    SEAL_TRY(write_bytes(path, text, strlen(text)));
out:
    free(text);
    g_free(path);
    return rc;
}

static void remove_tree(const char *dir)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d)) != NULL) {
        gchar *path = g_build_filename(dir, name, NULL);
        if (g_file_test(path, G_FILE_TEST_IS_DIR))
            remove_tree(path);
        else
            g_unlink(path);
        g_free(path);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
}

int seal_report_write_evidence(const seal_report *r, const char *dir)
{
    int rc = 0;
    bundle b = {0};
    gchar *certs = NULL;
    SEAL_ENSURE(r && dir && *dir, SEAL_EINVAL, "no folder to write the evidence to");
    b.dir = g_strdup_printf("%s.partial-XXXXXX", dir);
    SEAL_ENSURE(g_mkdtemp(b.dir), SEAL_EIO, "cannot create a folder beside %s: %s", dir,
                g_strerror(errno));
    certs = g_build_filename(b.dir, "certs", NULL);
    SEAL_ENSURE(g_mkdir(certs, 0755) == 0, SEAL_EIO, "cannot create %s: %s", certs,
                g_strerror(errno));
    b.files = json_array();
    b.seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    SEAL_ENSURE(b.files, SEAL_ENOMEM, "out of memory for the evidence manifest");
    for (size_t i = 0; i < r->n_sigs; i++)
        SEAL_TRY(add_sig(&b, i, &r->sigs[i]));
    SEAL_TRY(write_manifest(&b, r));
    /* rename(2) replaces an empty folder and refuses one that holds something. */
    SEAL_ENSURE(g_rename(b.dir, dir) == 0, SEAL_EIO,
                "cannot put the evidence in %s: %s (name a new or empty folder)", dir,
                g_strerror(errno));
    g_free(b.dir);
    b.dir = NULL;
out:
    if (b.dir && rc < 0)
        remove_tree(b.dir);
    g_free(b.dir);
    g_free(certs);
    json_decref(b.files);
    if (b.seen)
        g_hash_table_destroy(b.seen);
    return rc;
}
