/* The RFC 3161 responder behind `sealsvc tsa`: reads a TimeStampReq (2.4.1), refuses what
 * it cannot honour with the PKIFailureInfo that says why, and otherwise signs a TSTInfo
 * (2.4.2) with the TSA's key: policy, the request's imprint as sent, a serial number that
 * never repeats, genTime, accuracy, the request's nonce, and the TSA's name.
 *
 * Serial numbers come from a counter reserved in blocks, made durable before any number of
 * a block is used: a restart, a crash or a second process skips ahead, never back. The
 * counter is the caller's (the platform's database, shared by its instances) or a file
 * under an exclusive lock. */
#include "crypto_int.h"
#include "tsp_internal.h"

#include <seal/cms.h>
#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Serial numbers reserved per trip to the counter file. */
#define SERIAL_BLOCK      64
#define SERIAL_FILE_MAX   64
#define STATUS_TEXT_LIMIT 300

struct seal_tsa {
    const seal_signer *signer;
    char *policy;
    char *serial_path;
    int (*reserve)(void *ctx, uint64_t count, uint64_t *first);
    void *reserve_ctx;
    unsigned accuracy_ms;
    seal_buf name_der; /* the TSA certificate's subject, DER */
    pthread_mutex_t lock;
    uint64_t next_serial, serial_limit; /* [next, limit) are ours to hand out */
};

/* Makes the rename of the counter file durable (the directory entry too). */
static int sync_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    free(copy);
    if (fd < 0)
        return seal_error_set(SEAL_EIO, "cannot open the folder of %s: %s", path, strerror(errno));
    int failed = fsync(fd);
    close(fd);
    return failed ? seal_error_set(SEAL_EIO, "cannot sync the folder of %s", path) : 0;
}

/* Reads the counter (the first serial not yet reserved; 1 when the file is new), stores
 * counter + SERIAL_BLOCK, and hands back the block. The lock is a separate file, so the
 * counter itself can be replaced atomically. Called with t->lock held. */
static int reserve_serials(seal_tsa *t)
{
    int rc = 0;
    int lock_fd = -1;
    char *lock_path = NULL;
    seal_buf text = SEAL_BUF_INIT;
    uint64_t first = 1;

    if (t->reserve) {
        SEAL_TRY(t->reserve(t->reserve_ctx, SERIAL_BLOCK, &first));
        SEAL_ENSURE(first >= 1 && first < UINT64_MAX - SERIAL_BLOCK, SEAL_ESTORE,
                    "the serial number counter handed out %" PRIu64 "; refusing to issue "
                    "timestamps that could repeat a serial number",
                    first);
        t->next_serial = first;
        t->serial_limit = first + SERIAL_BLOCK;
        goto out;
    }

    SEAL_ENSURE(asprintf(&lock_path, "%s.lock", t->serial_path) > 0, SEAL_ENOMEM, "out of memory");
    lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    SEAL_ENSURE(lock_fd >= 0, SEAL_EIO, "cannot open %s: %s", lock_path, strerror(errno));
    while (flock(lock_fd, LOCK_EX) != 0)
        SEAL_ENSURE(errno == EINTR, SEAL_EIO, "cannot lock %s: %s", lock_path, strerror(errno));

    if (access(t->serial_path, F_OK) == 0) {
        SEAL_TRY(seal_buf_read_file(&text, t->serial_path, SERIAL_FILE_MAX));
        SEAL_TRY(seal_buf_append_byte(&text, 0));
        char *end = NULL;
        errno = 0;
        unsigned long long value = strtoull((const char *)text.data, &end, 10);
        SEAL_ENSURE(errno == 0 && end != (char *)text.data && (*end == '\n' || *end == 0) &&
                        value >= 1 && value < UINT64_MAX - SERIAL_BLOCK,
                    SEAL_ESTORE,
                    "the serial number counter %s is damaged; refusing to issue timestamps "
                    "that could repeat a serial number (restore it from a backup, or set it "
                    "above the last serial issued)",
                    t->serial_path);
        first = value;
    } else {
        SEAL_ENSURE(errno == ENOENT, SEAL_EIO, "cannot read %s: %s", t->serial_path,
                    strerror(errno));
    }
    text.len = 0;
    SEAL_TRY(seal_buf_printf(&text, "%" PRIu64 "\n", first + SERIAL_BLOCK));
    SEAL_TRY(seal_buf_write_file(&text, t->serial_path, 0600));
    SEAL_TRY(sync_parent_dir(t->serial_path));
    t->next_serial = first;
    t->serial_limit = first + SERIAL_BLOCK;
out:
    if (lock_fd >= 0)
        close(lock_fd); /* releases the lock */
    free(lock_path);
    seal_buf_clear(&text);
    return rc;
}

static int next_serial(seal_tsa *t, uint64_t *out)
{
    int rc = 0;
    pthread_mutex_lock(&t->lock);
    if (t->next_serial >= t->serial_limit)
        rc = reserve_serials(t);
    if (rc == 0)
        *out = t->next_serial++;
    pthread_mutex_unlock(&t->lock);
    return rc;
}

int seal_tsa_new(seal_tsa **out, const seal_tsa_config *cfg)
{
    int rc = 0;
    seal_tsa *t = NULL;
    unsigned char *der = NULL;
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    seal_buf policy = SEAL_BUF_INIT;

    *out = NULL;
    SEAL_ENSURE(cfg && cfg->signer && cfg->policy && (cfg->serial_path || cfg->reserve),
                SEAL_EINVAL, "the TSA needs a key, a policy and a serial number counter");
    SEAL_TRY(tsp_check_tsa_eku(seal_signer_cert(cfg->signer)));
    tsp_oid_write(&w, cfg->policy); /* refuses a policy that is not an OID */
    SEAL_TRY(seal_der_finish(&w, &policy));
    t = calloc(1, sizeof *t);
    SEAL_ENSURE(t, SEAL_ENOMEM, "out of memory");
    pthread_mutex_init(&t->lock, NULL);
    t->signer = cfg->signer;
    t->accuracy_ms = cfg->accuracy_ms;
    t->policy = strdup(cfg->policy);
    t->serial_path = cfg->serial_path ? strdup(cfg->serial_path) : NULL;
    t->reserve = cfg->reserve;
    t->reserve_ctx = cfg->reserve_ctx;
    SEAL_ENSURE(t->policy && (t->serial_path || !cfg->serial_path), SEAL_ENOMEM, "out of memory");
    int n = i2d_X509_NAME(X509_get_subject_name(seal_signer_cert(cfg->signer)), &der);
    SEAL_ENSURE(n > 0, SEAL_ECRYPTO, "the TSA certificate's name cannot be encoded");
    SEAL_TRY(seal_buf_set(&t->name_der, der, (size_t)n));
    /* The first block now: a counter that cannot be used stops the service at start. */
    SEAL_TRY(reserve_serials(t));
    *out = t;
    t = NULL;
out:
    OPENSSL_free(der);
    seal_buf_clear(&policy);
    seal_tsa_free(t);
    return rc;
}

void seal_tsa_free(seal_tsa *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t->policy);
    free(t->serial_path);
    seal_buf_clear(&t->name_der);
    free(t);
}

/* TimeStampResp { PKIStatusInfo { rejection, statusString, failInfo } } (RFC 3161 2.4.2;
 * PKIFailureInfo is a named BIT STRING: DER drops trailing zero bits, X.690 11.2.2). */
static int write_rejection(seal_buf *resp, seal_tsp_failure failure, const char *text)
{
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    uint8_t bits[5] = {0};
    size_t octets = (size_t)failure / 8 + 1;
    bits[0] = (uint8_t)(7 - (unsigned)failure % 8);
    bits[octets] = (uint8_t)(0x80 >> ((unsigned)failure % 8));

    size_t r = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    size_t info = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_int(&w, SEAL_TSP_REJECTION);
    size_t strings = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_string(&w, SEAL_DER_UTF8_STRING, text);
    seal_der_end(&w, strings);
    seal_der_tlv(&w, SEAL_DER_BIT_STRING, bits, octets + 1);
    seal_der_end(&w, info);
    seal_der_end(&w, r);
    return seal_der_finish(&w, resp);
}

static void write_u64(seal_der_writer *w, uint64_t v)
{
    uint8_t bytes[8];
    for (int i = 0; i < 8; i++)
        bytes[i] = (uint8_t)(v >> (8 * (7 - i)));
    seal_der_uint_bytes(w, bytes, sizeof bytes);
}

/* TSTInfo (RFC 3161 2.4.2). ordering is FALSE, the DEFAULT, so it is left out. */
static int write_tst_info(seal_buf *out, const seal_tsa *t, const seal_tsp_request *req,
                          seal_slice imprint_der, uint64_t serial, time_t now)
{
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    size_t info = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_int(&w, 1);
    tsp_oid_write(&w, t->policy);
    seal_der_raw(&w, imprint_der.data, imprint_der.len);
    write_u64(&w, serial);
    seal_der_generalized_time(&w, now);
    if (t->accuracy_ms > 0) {
        size_t acc = seal_der_begin(&w, SEAL_DER_SEQUENCE);
        if (t->accuracy_ms >= 1000)
            seal_der_int(&w, (long)(t->accuracy_ms / 1000));
        if (t->accuracy_ms % 1000) {
            /* millis [0] IMPLICIT INTEGER (1..999): one or two content octets. */
            unsigned ms = t->accuracy_ms % 1000;
            uint8_t v[2] = {(uint8_t)(ms >> 8), (uint8_t)ms};
            bool two = ms >= 128;
            seal_der_tlv(&w, SEAL_DER_CONTEXT | 0, two ? v : v + 1, two ? 2 : 1);
        }
        seal_der_end(&w, acc);
    }
    if (req->nonce_len)
        seal_der_tlv(&w, SEAL_DER_INTEGER, req->nonce, req->nonce_len);
    /* tsa [0] EXPLICIT GeneralName, directoryName [4] EXPLICIT Name (X.680 31.2.7). */
    size_t tsa = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 0);
    size_t dir = seal_der_begin(&w, SEAL_DER_CONTEXT_CONS | 4);
    seal_der_raw(&w, t->name_der.data, t->name_der.len);
    seal_der_end(&w, dir);
    seal_der_end(&w, tsa);
    seal_der_end(&w, info);
    return seal_der_finish(&w, out);
}

/* What a request asks that we cannot give: the failure bit and the words for the client;
 * -1 when it can be granted. */
static int judge_request(const seal_tsa *t, const seal_tsp_request *req, char *text, size_t size)
{
    if (!req->md || EVP_MD_get_type(req->md) == NID_sha1) {
        snprintf(text, size,
                 "the hash algorithm %s is not accepted: use SHA-256, SHA-384, SHA-512 or SM3",
                 req->hash_oid);
        return SEAL_TSP_FAIL_BAD_ALG;
    }
    if (req->policy[0] && strcmp(req->policy, t->policy) != 0) {
        snprintf(text, size, "policy %s is not offered: this TSA issues under %s", req->policy,
                 t->policy);
        return SEAL_TSP_FAIL_UNACCEPTED_POLICY;
    }
    if (req->has_extensions) {
        snprintf(text, size, "this TSA accepts no request extensions");
        return SEAL_TSP_FAIL_UNACCEPTED_EXTENSION;
    }
    return -1;
}

static bool cert_valid_at(X509 *cert, time_t now)
{
    return X509_cmp_time(X509_get0_notBefore(cert), &now) < 0 &&
           X509_cmp_time(X509_get0_notAfter(cert), &now) > 0;
}

int seal_tsa_respond(seal_tsa *t, seal_buf *resp, seal_tsp_status *status, const uint8_t *req_der,
                     size_t len, time_t now)
{
    int rc = 0;
    seal_tsp_request req;
    seal_slice imprint_der;
    seal_buf info = SEAL_BUF_INIT, token = SEAL_BUF_INIT;
    seal_der_writer w = {SEAL_BUF_INIT, 0};
    char text[STATUS_TEXT_LIMIT];
    uint64_t serial = 0;

    *status = SEAL_TSP_REJECTION;
    if (tsp_request_parse(&req, &imprint_der, req_der, len) < 0) {
        snprintf(text, sizeof text, "not a valid TimeStampReq: %s", seal_error_last());
        return write_rejection(resp, SEAL_TSP_FAIL_BAD_DATA_FORMAT, text);
    }
    int failure = judge_request(t, &req, text, sizeof text);
    if (failure >= 0)
        return write_rejection(resp, (seal_tsp_failure)failure, text);
    if (!cert_valid_at(seal_signer_cert(t->signer), now))
        return write_rejection(resp, SEAL_TSP_FAIL_SYSTEM_FAILURE,
                               "the TSA certificate is not valid now");
    if (next_serial(t, &serial) < 0 ||
        write_tst_info(&info, t, &req, imprint_der, serial, now) < 0 ||
        seal_cms_sign_content(&token, t->signer, SEAL_OID_CT_TST_INFO, info.data, info.len,
                              req.cert_req) < 0) {
        /* The reason goes back to the caller for its log; the client learns only that the
         * TSA failed. */
        char reason[STATUS_TEXT_LIMIT];
        int code = seal_error_last_code() < 0 ? seal_error_last_code() : SEAL_EIO;
        snprintf(reason, sizeof reason, "%s", seal_error_last());
        SEAL_TRY(write_rejection(resp, SEAL_TSP_FAIL_SYSTEM_FAILURE, "the TSA cannot issue now"));
        rc = seal_error_set(code, "%s", reason);
        goto out;
    }
    size_t r = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    size_t st = seal_der_begin(&w, SEAL_DER_SEQUENCE);
    seal_der_int(&w, SEAL_TSP_GRANTED);
    seal_der_end(&w, st);
    seal_der_raw(&w, token.data, token.len);
    seal_der_end(&w, r);
    SEAL_TRY(seal_der_finish(&w, resp));
    *status = SEAL_TSP_GRANTED;
out:
    seal_buf_clear(&w.out);
    seal_buf_clear(&info);
    seal_buf_clear(&token);
    return rc;
}
