/* Uploaded documents, for the clerk desk's page previews (docs/api.md "Documents"): POST
 * /api/v1/documents keeps the upload in the service's work folder under a random id;
 * GET /api/v1/documents/{id} says its pages and their sizes, .../pages/{n} renders one
 * to PNG, .../find says where a text is, and .../stamp stamps it with the parameters of
 * POST /api/v1/stamp (routes_stamp.c's stamp_document: the same flow) and then removes
 * it. Everything goes through the document face (seal/doc.h), so a PDF and an OFD
 * preview alike.
 *
 * An upload is private to whoever sent it: the person of a desk session ("person:ID"),
 * or the API key. Its id is 128 random bits; another caller's id answers 404 exactly as
 * an unknown one does, so that ids cannot be probed. It lives UPLOAD_TTL seconds from
 * the upload (each upload sweeps the expired ones, and an expired one is never
 * answered), and goes once a stamp of it has been made. On disk: upload-ID (the bytes)
 * and upload-ID.json (owner, name, format); the latter's time is the upload's. */
#include "service.h"

#include <seal/doc.h>
#include <seal/error.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UPLOAD_TTL          (30 * 60)
#define UPLOAD_ID_BYTES     16
#define PREVIEW_DPI_DEFAULT 96
#define PREVIEW_DPI_MIN     24
#define PREVIEW_DPI_MAX     300
#define FIND_TEXT_MAX       200

typedef struct upload {
    char *path, *meta; /* the document's file and its description's */
    char *name, *format;
    time_t created;
} upload;

static void upload_clear(upload *u)
{
    g_free(u->path);
    g_free(u->meta);
    g_free(u->name);
    g_free(u->format);
    memset(u, 0, sizeof *u);
}

static void upload_remove(const upload *u)
{
    unlink(u->meta);
    unlink(u->path);
}

/* An id as upload_new makes them: 32 lowercase hex digits. */
static bool id_plain(const char *id)
{
    return id && strlen(id) == 2 * UPLOAD_ID_BYTES &&
           strspn(id, "0123456789abcdef") == 2 * UPLOAD_ID_BYTES;
}

static void upload_paths(upload *u, const service *svc, const char *id)
{
    u->path = g_strdup_printf("%s/upload-%s", svc->work_dir, id);
    u->meta = g_strdup_printf("%s/upload-%s.json", svc->work_dir, id);
}

/* Removes the uploads whose time is over (their description's age), and the bytes of
 * an upload that never got a description (a crash between the two writes). */
static void sweep_expired(const service *svc, time_t now)
{
    DIR *d = opendir(svc->work_dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (!g_str_has_prefix(e->d_name, "upload-"))
            continue;
        char *path = g_build_filename(svc->work_dir, e->d_name, NULL);
        struct stat st;
        if (stat(path, &st) == 0 && st.st_mtime + UPLOAD_TTL < now)
            unlink(path);
        g_free(path);
    }
    if (d)
        closedir(d);
}

static int not_found(call *c)
{
    http_problem(c->resp, c->req, 404, "document-not-found", NULL,
                 "there is no uploaded document with this id for you (it may have expired "
                 "after 30 minutes or been removed after its stamp): upload it again");
    return 1;
}

/* The caller's upload c->id: 0 with *u; 1 when it answered 404 (unknown, expired,
 * another caller's); or an error. */
static int upload_find(call *c, upload *u)
{
    json_t *meta = NULL;
    json_error_t err;
    struct stat st;
    int rc = 0;
    if (!id_plain(c->id))
        return not_found(c);
    upload_paths(u, c->svc, c->id);
    if (stat(u->meta, &st) != 0) {
        rc = not_found(c);
        goto out;
    }
    if (st.st_mtime + UPLOAD_TTL < time(NULL)) {
        upload_remove(u);
        rc = not_found(c);
        goto out;
    }
    meta = json_load_file(u->meta, 0, &err);
    const char *owner = json_string_value(json_object_get(meta, "owner"));
    if (!owner || strcmp(owner, c->key.id) != 0) {
        rc = not_found(c);
        goto out;
    }
    u->name = g_strdup(json_string_value(json_object_get(meta, "name")));
    u->format = g_strdup(json_string_value(json_object_get(meta, "format")));
    u->created = st.st_mtime;
out:
    json_decref(meta);
    if (rc != 0)
        upload_clear(u);
    return rc;
}

/* The upload's description: its id, name, format, expiry and pages with their sizes. */
static int describe(const char *id, const upload *u, seal_doc *doc, json_t **out)
{
    json_t *pages = json_array();
    int n = seal_doc_page_count(doc);
    if (n < 0) {
        json_decref(pages);
        return n;
    }
    for (int p = 1; p <= n; p++) {
        double w = 0, h = 0;
        int rc = seal_doc_page_size(doc, p, &w, &h);
        if (rc < 0) {
            json_decref(pages);
            return rc;
        }
        json_array_append_new(
            pages, json_pack("{s:i, s:f, s:f}", "page", p, "width_mm", w, "height_mm", h));
    }
    *out =
        json_pack("{s:s, s:s, s:s, s:o, s:i, s:o}", "id", id, "name", u->name, "format", u->format,
                  "expires", json_time(u->created + UPLOAD_TTL), "page_count", n, "pages", pages);
    return *out ? 0 : seal_error_set(SEAL_ENOMEM, "out of memory for an answer");
}

/* Opens the upload through the document face: 0; 1 when it answered; or an error. */
static int upload_open(call *c, const upload *u, seal_doc **doc)
{
    int rc = seal_doc_open(doc, u->path, NULL);
    if (rc < 0)
        return http_problem_from_error(c->resp, c->req, rc) == 0 ? 1 : rc;
    return 0;
}

/* Copies descriptor `from` (from its start) into the new file `path` (mode 0600). */
static int copy_to(int from, const char *path)
{
    int to = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (to < 0)
        return seal_error_set(SEAL_EIO, "cannot create %s: %s", path, strerror(errno));
    char buf[65536];
    off_t at = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = pread(from, buf, sizeof buf, at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                rc = seal_error_set(SEAL_EIO, "cannot read the upload: %s", strerror(errno));
            break;
        }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(to, buf + done, (size_t)(n - done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w < 0) {
                rc = seal_error_set(SEAL_EIO, "cannot write %s: %s", path, strerror(errno));
                goto out;
            }
            done += w;
        }
        at += n;
    }
out:
    if (close(to) != 0 && rc == 0)
        rc = seal_error_set(SEAL_EIO, "cannot write %s: %s", path, strerror(errno));
    if (rc < 0)
        unlink(path);
    return rc;
}

int route_document_upload(call *c)
{
    int rc = 0, fd = -1;
    const char *name = NULL;
    unsigned char raw[UPLOAD_ID_BYTES];
    char id[2 * UPLOAD_ID_BYTES + 1];
    upload u = {0};
    seal_doc *doc = NULL;
    json_t *meta = NULL, *answer = NULL;
    char *meta_tmp = NULL;
    sweep_expired(c->svc, time(NULL));
    if ((rc = call_document(c, &fd, &name)) != 0)
        goto out;
    if (RAND_bytes(raw, sizeof raw) != 1) {
        rc = seal_error_set(SEAL_ECRYPTO, "no random bytes for an upload's id");
        goto out;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(id + 2 * i, 3, "%02x", raw[i]);
    upload_paths(&u, c->svc, id);
    if ((rc = copy_to(fd, u.path)) < 0)
        goto out;
    rc = seal_doc_open(&doc, u.path, NULL);
    /* A document is opened lazily: its pages are what shows it can be read. */
    int pages = rc < 0 ? rc : seal_doc_page_count(doc);
    if (pages < 1) {
        unlink(u.path);
        rc = pages < 0 ? http_problem_from_error(c->resp, c->req, pages)
                       : http_problem(c->resp, c->req, 422, "document-refused", NULL,
                                      "the document has no page to show or stamp");
        goto out;
    }
    u.name = g_strdup(name);
    u.format = g_strdup(seal_doc_format(doc));
    u.created = time(NULL);
    /* The description last, whole (renamed into place): an upload without one is none. */
    meta = json_pack("{s:s, s:s, s:s}", "owner", c->key.id, "name", u.name, "format", u.format);
    meta_tmp = g_strdup_printf("%s.part", u.meta);
    if (!meta || json_dump_file(meta, meta_tmp, JSON_COMPACT) != 0 ||
        rename(meta_tmp, u.meta) != 0) {
        unlink(meta_tmp);
        unlink(u.path);
        rc = seal_error_set(SEAL_EIO, "cannot keep the upload in %s", c->svc->work_dir);
        goto out;
    }
    if ((rc = describe(id, &u, doc, &answer)) < 0) {
        upload_remove(&u);
        goto out;
    }
    http_response_header(c->resp, "Location", "/api/v1/documents/%s", id);
    rc = call_json(c, 201, answer);
    c->resp->outcome = "uploaded";
out:
    if (fd >= 0)
        close(fd);
    seal_doc_free(doc);
    json_decref(meta);
    g_free(meta_tmp);
    upload_clear(&u);
    return rc < 0 ? rc : 0;
}

int route_document(call *c)
{
    upload u = {0};
    seal_doc *doc = NULL;
    json_t *answer = NULL;
    int rc = upload_find(c, &u);
    if (rc == 0 && (rc = upload_open(c, &u, &doc)) == 0 &&
        (rc = describe(c->id, &u, doc, &answer)) == 0)
        rc = call_json(c, 200, answer);
    seal_doc_free(doc);
    upload_clear(&u);
    return rc < 0 ? rc : 0;
}

int route_document_page(call *c)
{
    upload u = {0};
    seal_doc *doc = NULL;
    seal_buf png = SEAL_BUF_INIT;
    int64_t page = 0, dpi = PREVIEW_DPI_DEFAULT;
    int rc = upload_find(c, &u);
    if (rc != 0 || (rc = call_path_number(c, c->sub, "page-not-found", &page)) != 0 ||
        (rc = call_query_int(c, "dpi", PREVIEW_DPI_MIN, PREVIEW_DPI_MAX, &dpi)) != 0 ||
        (rc = upload_open(c, &u, &doc)) != 0)
        goto out;
    if (page > seal_doc_page_count(doc)) {
        rc = http_problem(c->resp, c->req, 404, "page-not-found", NULL,
                          "the document has %d page(s), not %lld", seal_doc_page_count(doc),
                          (long long)page);
        goto out;
    }
    seal_doc_render_opts opts = {.dpi = (double)dpi};
    if ((rc = seal_doc_render_png(doc, (int)page, &opts, &png)) < 0) {
        rc = http_problem_from_error(c->resp, c->req, rc);
        goto out;
    }
    /* the caller's own document: no shared cache may keep it */
    http_response_header(c->resp, "Cache-Control", "private, no-store");
    rc = http_response_set(c->resp, 200, "image/png", png.data, png.len);
out:
    seal_buf_clear(&png);
    seal_doc_free(doc);
    upload_clear(&u);
    return rc < 0 ? rc : 0;
}

int route_document_find(call *c)
{
    upload u = {0};
    seal_doc *doc = NULL;
    seal_text_hits hits = {0};
    const char *text = http_request_query(c->req, "text");
    int rc = upload_find(c, &u);
    if (rc != 0)
        goto out;
    if (!text || !*text || strlen(text) > FIND_TEXT_MAX) {
        rc = call_bad_field(c, "text", "give the text to find (text=, at most %d bytes)",
                            FIND_TEXT_MAX);
        goto out;
    }
    if ((rc = upload_open(c, &u, &doc)) != 0)
        goto out;
    if ((rc = seal_doc_find_text(doc, text, &hits)) < 0) {
        rc = http_problem_from_error(c->resp, c->req, rc);
        goto out;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < hits.count; i++) {
        const double *b = hits.hits[i].box;
        json_array_append_new(list, json_pack("{s:i, s:f, s:f, s:f, s:f}", "page",
                                              hits.hits[i].page, "x_mm", b[0], "y_mm", b[1],
                                              "width_mm", b[2] - b[0], "height_mm", b[3] - b[1]));
    }
    rc = call_json(c, 200, json_pack("{s:s, s:o}", "text", text, "hits", list));
out:
    seal_text_hits_clear(&hits);
    seal_doc_free(doc);
    upload_clear(&u);
    return rc < 0 ? rc : 0;
}

int route_document_stamp(call *c)
{
    upload u = {0};
    int rc = upload_find(c, &u);
    if (rc != 0)
        goto out;
    int fd = open(u.path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = seal_error_set(SEAL_EIO, "cannot open the upload: %s", strerror(errno));
        goto out;
    }
    rc = call_stamp(c, false, fd, u.name);
    /* Stamped: the sealed document is on its way, the upload has served. */
    if (rc == 0 && c->resp->status == 200 && c->resp->has_fd)
        upload_remove(&u);
out:
    upload_clear(&u);
    return rc < 0 ? rc : 0;
}
