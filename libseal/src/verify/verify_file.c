/* The verify driver (seal/verify.h): a file in, a report out. It gathers what the relying
 * party brings (anchors, revocation evidence, the platform's store or a data directory,
 * whether to go online), opens the document through the document face (seal/doc.h), which tells the
 * format by content, and asks it for the report. `sealsvc verify` is flag parsing and
 * printing around this call; the HTTP service will be the same. */
#include <seal/ca.h>
#include <seal/doc.h>
#include <seal/error.h>
#include <seal/verify.h>

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* GB/T 38540 signatures carry only the signer's certificate, so the chain needs the
 * issuing CA from elsewhere: a data directory's CA certificates (DATA/pki/NAME.pem)
 * that are not self-signed are offered as untrusted intermediates (RFC 5280 6.1: they
 * count only when they chain to an anchor). An evidence bundle's certificates
 * (DIR/certs/SHA256.pem, seal_report_write_evidence) are offered the same way, all of
 * them: `ca_only` false. */
static int add_folder_certs(seal_revocation *rv, const char *parent, const char *sub, bool ca_only)
{
    int rc = 0;
    char *dir = g_build_filename(parent, sub, NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    STACK_OF(X509) *certs = sk_X509_new_null();
    const char *name;
    SEAL_ENSURE(certs, SEAL_ENOMEM, "out of memory");
    while (d && (name = g_dir_read_name(d)) != NULL) {
        X509 *cert = NULL;
        char *path = g_build_filename(dir, name, NULL);
        bool pem = g_str_has_suffix(name, ".pem") && g_file_test(path, G_FILE_TEST_IS_REGULAR);
        bool intermediate = pem && seal_cert_load(&cert, path) == 0 && X509_check_ca(cert) > 0 &&
                            X509_check_issued(cert, cert) != X509_V_OK;
        if (cert && (intermediate || !ca_only) && sk_X509_push(certs, cert))
            cert = NULL;
        seal_error_clear();
        X509_free(cert);
        g_free(path);
    }
    SEAL_TRY(seal_revocation_add_certs(rv, certs));
out:
    sk_X509_pop_free(certs, X509_free);
    if (d)
        g_dir_close(d);
    g_free(dir);
    return rc;
}

int seal_verify_revocation_new(seal_revocation **out, seal_store *store, const char *data_dir,
                               bool offline, const char *const *evidence, size_t n_evidence)
{
    int rc = 0;
    bool folders = data_dir && !store;
    char *cache = folders ? g_build_filename(data_dir, "cache", "revocation", NULL) : NULL;
    char *archive = folders ? g_build_filename(data_dir, "evidence", NULL) : NULL;
    char *published = folders ? g_build_filename(data_dir, "crl", NULL) : NULL;
    seal_revocation_opts opts = {.cache_dir = cache, .archive_dir = archive, .offline = offline};
    *out = NULL;
    if (store)
        SEAL_TRY(seal_store_revocation_new(out, store, &opts));
    else
        SEAL_TRY(seal_revocation_new(out, &opts));
    if (published)
        SEAL_TRY(seal_revocation_add_dir(*out, published));
    if (folders)
        SEAL_TRY(add_folder_certs(*out, data_dir, "pki", true));
    for (size_t i = 0; i < n_evidence; i++) {
        if (g_file_test(evidence[i], G_FILE_TEST_IS_DIR)) {
            SEAL_TRY(seal_revocation_add_dir(*out, evidence[i]));
            SEAL_TRY(add_folder_certs(*out, evidence[i], "certs", false));
        } else
            SEAL_TRY(seal_revocation_add_file(*out, evidence[i]));
    }
out:
    if (rc < 0) {
        seal_revocation_free(*out);
        *out = NULL;
    }
    g_free(cache);
    g_free(archive);
    g_free(published);
    return rc;
}

int seal_verify_trust_load(seal_trust **out, const seal_verify_file_opts *opts)
{
    int rc = 0;
    seal_trust *trust = NULL;
    seal_revocation *rv = NULL;
    char *dir = NULL;
    seal_verify_file_opts none = {0};
    if (!opts)
        opts = &none;
    *out = NULL;
    SEAL_TRY(seal_trust_new(&trust));
    for (size_t i = 0; i < opts->n_trust_paths; i++)
        SEAL_TRY(seal_trust_add_path(trust, opts->trust_paths[i]));
    /* The platform is optional: verification is for anyone, and a bidder's machine has no
     * platform data. When there is one, its roots count. */
    if (opts->store && seal_store_trust_add(opts->store, trust) < 0) {
        rc = seal_error_wrap(seal_error_last_code(), "the platform's trust anchors");
        goto out;
    }
    if (!opts->store && opts->data_dir) {
        dir = g_build_filename(opts->data_dir, "trust", NULL);
        if (g_file_test(dir, G_FILE_TEST_IS_DIR) && seal_trust_add_path(trust, dir) < 0) {
            rc = seal_error_wrap(seal_error_last_code(), "the data directory's trust anchors");
            goto out;
        }
    }
    if (seal_verify_revocation_new(&rv, opts->store, opts->data_dir, opts->offline,
                                   opts->evidence_paths, opts->n_evidence_paths) < 0) {
        rc = seal_error_wrap(seal_error_last_code(), "revocation evidence");
        goto out;
    }
    seal_revocation_set_guard(rv, opts->guard);
    seal_trust_set_revocation(trust, rv);
    *out = trust;
    trust = NULL;
out:
    seal_trust_free(trust);
    g_free(dir);
    return rc;
}

static char *hex_of(const uint8_t *md, unsigned len)
{
    char *hex = malloc(2 * (size_t)len + 1);
    for (unsigned i = 0; hex && i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    if (hex)
        hex[2 * (size_t)len] = '\0';
    return hex;
}

/* The file as a court would identify it: size, SHA-256 and SM3 of every byte (read again
 * from the start, in pieces), and when it was verified. */
static int record_file(seal_report *r, int fd)
{
    int rc = 0;
    uint8_t chunk[65536], md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    struct stat st;
    off_t at = 0;
    EVP_MD_CTX *sha = EVP_MD_CTX_new(), *sm3 = EVP_MD_CTX_new();
    r->verified_at = time(NULL);
    SEAL_ENSURE(sha && sm3, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(fstat(fd, &st) == 0, SEAL_EIO, "cannot examine %s: %s",
                r->file ? r->file : "the file", g_strerror(errno));
    SEAL_ENSURE(EVP_DigestInit_ex(sha, EVP_sha256(), NULL) &&
                    EVP_DigestInit_ex(sm3, EVP_sm3(), NULL),
                SEAL_ECRYPTO, "SHA-256 or SM3 is not available");
    for (;;) {
        ssize_t n = pread(fd, chunk, sizeof chunk, at);
        if (n < 0 && errno == EINTR)
            continue;
        SEAL_ENSURE(n >= 0, SEAL_EIO, "cannot read %s: %s", r->file ? r->file : "the file",
                    g_strerror(errno));
        if (n == 0)
            break;
        SEAL_ENSURE(EVP_DigestUpdate(sha, chunk, (size_t)n) &&
                        EVP_DigestUpdate(sm3, chunk, (size_t)n),
                    SEAL_ECRYPTO, "hashing the file failed");
        at += n;
    }
    r->size = (long long)at;
    SEAL_ENSURE(EVP_DigestFinal_ex(sha, md, &md_len), SEAL_ECRYPTO, "hashing the file failed");
    r->sha256 = hex_of(md, md_len);
    SEAL_ENSURE(EVP_DigestFinal_ex(sm3, md, &md_len), SEAL_ECRYPTO, "hashing the file failed");
    r->sm3 = hex_of(md, md_len);
    SEAL_ENSURE(r->sha256 && r->sm3, SEAL_ENOMEM, "out of memory");
out:
    EVP_MD_CTX_free(sha);
    EVP_MD_CTX_free(sm3);
    return rc;
}

/* record_file, and no report when it fails (the caller gets an error, not half facts). */
static int record_file_or_drop(seal_report **r, int fd)
{
    int rc = record_file(*r, fd);
    if (rc < 0) {
        seal_report_free(*r);
        *r = NULL;
    }
    return rc;
}

/* Where the file came from, to open it again on another of its documents. */
typedef struct doc_source {
    const char *path; /* or */
    int fd;
    const char *name;
} doc_source;

static int open_source(seal_doc **out, const doc_source *src, const seal_verify_file_opts *opts,
                       int document)
{
    seal_doc_open_opts o = {.password = opts ? opts->password : NULL, .document = document};
    return src->path ? seal_doc_open(out, src->path, &o)
                     : seal_doc_open_fd(out, src->fd, src->name, &o);
}

/* The pictures of every signature: each document's on its own pages (a package of several
 * documents is opened again on each other one that holds a signature). */
static int add_pictures(seal_report *r, seal_doc *doc, const doc_source *src,
                        const seal_verify_file_opts *opts)
{
    int rc = 0;
    int count = seal_doc_document_count(doc);
    int opened = count > 1 ? (opts->document ? opts->document : 1) : 0;
    SEAL_TRY(seal_report_add_pictures(r, doc, opened));
    for (int d = 1; count > 1 && d <= count; d++) {
        bool wanted = false;
        for (size_t i = 0; i < r->n_sigs && !wanted; i++)
            wanted = r->sigs[i].document == d && d != opened;
        if (!wanted)
            continue;
        seal_doc *other = NULL;
        SEAL_TRY(open_source(&other, src, opts, d));
        rc = seal_report_add_pictures(r, other, d);
        seal_doc_free(other);
        SEAL_TRY(rc);
    }
out:
    return rc;
}

static int verify_source(seal_report **out, const doc_source *src,
                         const seal_verify_file_opts *opts)
{
    int rc = 0;
    seal_doc *doc = NULL;
    seal_trust *trust = NULL;
    *out = NULL;
    SEAL_TRY(open_source(&doc, src, opts, opts ? opts->document : 0));
    SEAL_TRY(seal_verify_trust_load(&trust, opts));
    seal_verify_opts vo = {.trust = trust, .document = opts ? opts->document : 0};
    SEAL_TRY(seal_doc_verify(doc, &vo, out));
    if (opts && opts->pictures)
        SEAL_TRY(add_pictures(*out, doc, src, opts));
out:
    seal_trust_free(trust);
    seal_doc_free(doc);
    return rc;
}

int seal_verify_file(seal_report **out, const char *path, const seal_verify_file_opts *opts)
{
    int rc = 0;
    SEAL_ENSURE(out && path, SEAL_EINVAL, "no file to verify");
    *out = NULL;
    /* Verified and hashed through one descriptor: the facts recorded (size, digests) are of
     * the bytes verified. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    SEAL_ENSURE(fd >= 0, SEAL_EIO, "cannot open %s: %s", path, g_strerror(errno));
    rc = seal_verify_fd(out, fd, path, opts);
    close(fd);
out:
    return rc;
}

int seal_verify_fd(seal_report **out, int fd, const char *name, const seal_verify_file_opts *opts)
{
    int rc = 0;
    SEAL_ENSURE(out, SEAL_EINVAL, "nowhere to put the report");
    doc_source src = {.fd = fd, .name = name};
    rc = verify_source(out, &src, opts);
    if (rc == 0)
        rc = record_file_or_drop(out, fd);
out:
    return rc;
}
