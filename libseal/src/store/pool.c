/* Open stores kept for reuse (seal/store.h, seal_store_pool): the service takes one for
 * each request and gives it back, instead of opening and closing a connection per request
 * (docs/performance.md, "The HTTP service"). A store goes back only when its connection is
 * idle (seal_db_idle: up, in no transaction), so no request sees another's transaction or
 * a connection the server dropped. The lock is a pthread mutex so that ThreadSanitizer,
 * which the concurrency tests run under, sees it. */
#include "store/store_internal.h"

#include <seal/error.h>

#include <glib.h>
#include <pthread.h>
#include <time.h>

/* A PostgreSQL connection that waited longer than this is checked before it is handed out:
 * the server, a proxy or a firewall may have closed it meanwhile. */
#define POOL_CHECK_AFTER_S 5

typedef struct pool_entry {
    seal_store *st;
    time_t since; /* when it was given back */
} pool_entry;

struct seal_store_pool {
    pthread_mutex_t lock;
    char *db_url, *data_dir;
    unsigned max_idle, n_idle;
    pool_entry *idle; /* [max_idle], the most recently given back last */
};

int seal_store_pool_new(seal_store_pool **out, const char *db_url, const char *data_dir,
                        unsigned max_idle)
{
    int rc = 0;
    *out = NULL;
    SEAL_ENSURE(data_dir && *data_dir, SEAL_EINVAL, "no data directory was given");
    seal_store_pool *pool = g_new0(seal_store_pool, 1);
    pthread_mutex_init(&pool->lock, NULL);
    pool->db_url = g_strdup(db_url);
    pool->data_dir = g_strdup(data_dir);
    pool->max_idle = max_idle;
    pool->idle = g_new0(pool_entry, max_idle ? max_idle : 1);
    *out = pool;
out:
    return rc;
}

/* A store that waited long enough to be doubted answers a trivial query. */
static bool still_there(seal_store *st, time_t since)
{
    seal_db *db = store_db(st);
    if (seal_db_engine_of(db) != SEAL_DB_POSTGRESQL || time(NULL) - since < POOL_CHECK_AFTER_S)
        return true;
    if (seal_db_exec(db, "checking a pooled connection", "SELECT 1") == 0)
        return true;
    seal_error_clear();
    return false;
}

int seal_store_pool_take(seal_store_pool *pool, seal_store **out)
{
    *out = NULL;
    for (;;) {
        pool_entry e = {NULL, 0};
        pthread_mutex_lock(&pool->lock);
        if (pool->n_idle)
            e = pool->idle[--pool->n_idle];
        pthread_mutex_unlock(&pool->lock);
        if (!e.st)
            break;
        if (still_there(e.st, e.since)) {
            *out = e.st;
            return 0;
        }
        seal_store_close(e.st);
    }
    return seal_store_open_db(out, pool->db_url, pool->data_dir, false);
}

void seal_store_pool_give(seal_store_pool *pool, seal_store *st)
{
    if (!st)
        return;
    bool kept = false;
    if (seal_db_idle(store_db(st))) {
        pthread_mutex_lock(&pool->lock);
        if (pool->n_idle < pool->max_idle) {
            pool->idle[pool->n_idle++] = (pool_entry){st, time(NULL)};
            kept = true;
        }
        pthread_mutex_unlock(&pool->lock);
    }
    if (!kept)
        seal_store_close(st);
}

void seal_store_pool_free(seal_store_pool *pool)
{
    if (!pool)
        return;
    for (unsigned i = 0; i < pool->n_idle; i++)
        seal_store_close(pool->idle[i].st);
    pthread_mutex_destroy(&pool->lock);
    g_free(pool->idle);
    g_free(pool->db_url);
    g_free(pool->data_dir);
    g_free(pool);
}
