/* Certificates the store has parsed, kept parsed for the next reader (store_cert_parse,
 * store_chain_parse). A stamp reads its seal's certificate and chain and, for the policy's
 * revocation check, every certificate of the platform (root, issuing CA, seal maker, TSA,
 * OCSP signer): the same ones stamp after stamp, and OpenSSL 3 takes longer to decode a
 * certificate than the database takes to read it (docs/performance.md, "The store under
 * concurrent stamping"). Keyed by the stored text itself, so a certificate that changes
 * (renewed, re-keyed) is parsed anew. Process-wide, as the seal pictures' cache
 * (seal/pdf_picture.c), since the HTTP service opens a store for each request. */
#include "store/store_internal.h"

#include <seal/error.h>

#include <pthread.h>
#include <string.h>

/* A stamp needs about eight texts; a service stamps with a handful of seals at a time. */
#define MEMO_SLOTS 16

typedef struct memo {
    seal_buf pem;           /* the text as stored */
    bool single;            /* read as one certificate (store_cert_parse), not as a chain */
    STACK_OF(X509) * certs; /* what it holds; NULL: a free slot */
    uint64_t last_use;
} memo;

static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;
static memo memos[MEMO_SLOTS];
static uint64_t memo_clock;

static memo *find_locked(const seal_buf *pem, bool single)
{
    for (size_t i = 0; i < MEMO_SLOTS; i++) {
        memo *m = &memos[i];
        if (m->certs && m->single == single && m->pem.len == pem->len &&
            memcmp(m->pem.data, pem->data, pem->len) == 0)
            return m;
    }
    return NULL;
}

/* 1 with *out a new stack of new references to what `pem` holds, 0 when it is not kept. */
static int lookup(const seal_buf *pem, bool single, STACK_OF(X509) * *out)
{
    int found = 0;
    pthread_mutex_lock(&memo_lock);
    memo *m = find_locked(pem, single);
    if (m) {
        m->last_use = ++memo_clock;
        *out = X509_chain_up_ref(m->certs);
        found = *out ? 1 : -1;
    }
    pthread_mutex_unlock(&memo_lock);
    return found < 0 ? seal_error_set(SEAL_ENOMEM, "out of memory") : found;
}

/* Keeps what `pem` holds (new references to `certs`) in a free slot or the least recently
 * used one. The memo only saves time: when there is no memory for it, nothing is kept. */
static void keep(const seal_buf *pem, bool single, STACK_OF(X509) * certs)
{
    memo fresh = {.pem = SEAL_BUF_INIT, .single = single}, old = {.pem = SEAL_BUF_INIT};
    fresh.certs = X509_chain_up_ref(certs);
    if (!fresh.certs || seal_buf_set(&fresh.pem, pem->data, pem->len) < 0) {
        seal_error_clear();
        old = fresh;
    } else {
        pthread_mutex_lock(&memo_lock);
        memo *m = find_locked(pem, single); /* another thread kept it meanwhile */
        for (size_t i = 0; !m && i < MEMO_SLOTS; i++)
            if (!memos[i].certs)
                m = &memos[i];
        if (!m) {
            m = &memos[0];
            for (size_t i = 1; i < MEMO_SLOTS; i++)
                if (memos[i].last_use < m->last_use)
                    m = &memos[i];
        }
        old = *m;
        fresh.last_use = ++memo_clock;
        *m = fresh;
        pthread_mutex_unlock(&memo_lock);
    }
    seal_buf_clear(&old.pem);
    sk_X509_pop_free(old.certs, X509_free);
}

int store_cert_parse(const seal_buf *pem, X509 **out)
{
    STACK_OF(X509) *certs = NULL;
    *out = NULL;
    int rc = pem->len > 0 ? lookup(pem, true, &certs) : 0;
    if (rc < 0)
        return rc;
    if (rc == 1) {
        *out = sk_X509_shift(certs);
        sk_X509_free(certs);
        return 0;
    }
    rc = seal_cert_load_mem(out, pem->data, pem->len);
    if (rc < 0)
        return rc;
    certs = sk_X509_new_null();
    if (certs && sk_X509_push(certs, *out) > 0)
        keep(pem, true, certs);
    sk_X509_free(certs); /* *out is the caller's */
    return 0;
}

int store_chain_parse(const seal_buf *pem, STACK_OF(X509) * *out)
{
    *out = NULL;
    int rc = pem->len > 0 ? lookup(pem, false, out) : 0;
    if (rc != 0)
        return rc < 0 ? rc : 0;
    rc = store_certs_from_pem(out, pem);
    if (rc == 0 && pem->len > 0)
        keep(pem, false, *out);
    return rc;
}
