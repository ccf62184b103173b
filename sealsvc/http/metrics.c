/* What the service counts, for GET /metrics in the Prometheus text format (version
 * 0.0.4): answers by route and status, their latency as a histogram by route, stamps by
 * format, algorithm and outcome, and the pending stamps' and batch jobs' counts read at
 * each scrape. One mutex guards the counters: a request takes it twice, for a few hash
 * lookups. It is a pthread mutex, not GLib's GMutex: GMutex is a bare futex that
 * ThreadSanitizer cannot see, so the service's TSan test (serve_concurrency) reported every
 * counter as a race. The verify route's per-client rate limit lives here too: a token
 * bucket per client address. */
#include "service.h"

#include <seal/error.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const double buckets[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
#define N_BUCKETS (sizeof buckets / sizeof buckets[0])

typedef struct latency {
    uint64_t counts[N_BUCKETS]; /* cumulative, as Prometheus wants them */
    uint64_t count;
    double sum;
} latency;

struct metrics {
    pthread_mutex_t lock;
    GHashTable *requests; /* "route\tstatus" -> uint64_t* */
    GHashTable *latency;  /* route -> latency* */
    GHashTable *stamps;   /* "format\talgorithm\toutcome" -> uint64_t* */
};

int metrics_new(metrics **out)
{
    metrics *m = g_new0(metrics, 1);
    pthread_mutex_init(&m->lock, NULL);
    m->requests = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->latency = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    m->stamps = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    *out = m;
    return 0;
}

void metrics_free(metrics *m)
{
    if (!m)
        return;
    g_hash_table_destroy(m->requests);
    g_hash_table_destroy(m->latency);
    g_hash_table_destroy(m->stamps);
    pthread_mutex_destroy(&m->lock);
    g_free(m);
}

static void count(GHashTable *table, char *key)
{
    uint64_t *n = g_hash_table_lookup(table, key);
    if (n) {
        (*n)++;
        g_free(key);
    } else {
        n = g_new(uint64_t, 1);
        *n = 1;
        g_hash_table_insert(table, key, n);
    }
}

void metrics_observe(void *ctx, const http_request *req, const http_response *resp, double seconds)
{
    metrics *m = ((service *)ctx)->metrics;
    const char *route = resp->route ? resp->route : "(none)";
    (void)req;
    pthread_mutex_lock(&m->lock);
    count(m->requests, g_strdup_printf("%s\t%u", route, resp->status));
    latency *l = g_hash_table_lookup(m->latency, route);
    if (!l) {
        l = g_new0(latency, 1);
        g_hash_table_insert(m->latency, g_strdup(route), l);
    }
    for (size_t i = 0; i < N_BUCKETS; i++)
        if (seconds <= buckets[i])
            l->counts[i]++;
    l->count++;
    l->sum += seconds;
    pthread_mutex_unlock(&m->lock);
}

void metrics_stamp(metrics *m, const char *format, const char *algorithm, const char *outcome)
{
    pthread_mutex_lock(&m->lock);
    count(m->stamps, g_strdup_printf("%s\t%s\t%s", format ? format : "unknown",
                                     algorithm ? algorithm : "unknown", outcome));
    pthread_mutex_unlock(&m->lock);
}

/* Label values are our route patterns, formats and codes; quotes and backslashes are
 * escaped anyway (the exposition format's rule). */
static void label(GString *s, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_c(s, '\\');
        if (*p == '\n')
            g_string_append(s, "\\n");
        else
            g_string_append_c(s, *p);
    }
}

static gint by_key(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static GPtrArray *sorted_keys(GHashTable *t)
{
    GPtrArray *keys = g_ptr_array_new();
    GHashTableIter it;
    gpointer k;
    g_hash_table_iter_init(&it, t);
    while (g_hash_table_iter_next(&it, &k, NULL))
        g_ptr_array_add(keys, k);
    g_ptr_array_sort(keys, by_key);
    return keys;
}

int metrics_render(metrics *m, long pending, const long jobs[2], seal_buf *out)
{
    GString *s = g_string_new(NULL);
    pthread_mutex_lock(&m->lock);
    g_string_append(s, "# HELP sealsvc_http_requests_total Answers sent, by route and status.\n"
                       "# TYPE sealsvc_http_requests_total counter\n");
    GPtrArray *keys = sorted_keys(m->requests);
    for (guint i = 0; i < keys->len; i++) {
        const char *k = keys->pdata[i];
        const char *tab = strchr(k, '\t');
        char *route = g_strndup(k, (size_t)(tab - k));
        g_string_append(s, "sealsvc_http_requests_total{route=\"");
        label(s, route);
        g_string_append_printf(s, "\",status=\"%s\"} %" G_GUINT64_FORMAT "\n", tab + 1,
                               *(uint64_t *)g_hash_table_lookup(m->requests, k));
        g_free(route);
    }
    g_ptr_array_free(keys, TRUE);
    g_string_append(s, "# HELP sealsvc_http_request_duration_seconds Time from a request's "
                       "headers to its answer, by route.\n"
                       "# TYPE sealsvc_http_request_duration_seconds histogram\n");
    keys = sorted_keys(m->latency);
    for (guint i = 0; i < keys->len; i++) {
        const char *route = keys->pdata[i];
        const latency *l = g_hash_table_lookup(m->latency, route);
        for (size_t b = 0; b <= N_BUCKETS; b++) {
            g_string_append(s, "sealsvc_http_request_duration_seconds_bucket{route=\"");
            label(s, route);
            if (b < N_BUCKETS)
                g_string_append_printf(s, "\",le=\"%g\"} %" G_GUINT64_FORMAT "\n", buckets[b],
                                       l->counts[b]);
            else
                g_string_append_printf(s, "\",le=\"+Inf\"} %" G_GUINT64_FORMAT "\n", l->count);
        }
        g_string_append(s, "sealsvc_http_request_duration_seconds_sum{route=\"");
        label(s, route);
        g_string_append_printf(s, "\"} %.6f\n", l->sum);
        g_string_append(s, "sealsvc_http_request_duration_seconds_count{route=\"");
        label(s, route);
        g_string_append_printf(s, "\"} %" G_GUINT64_FORMAT "\n", l->count);
    }
    g_ptr_array_free(keys, TRUE);
    g_string_append(s, "# HELP sealsvc_stamps_total Stamps asked for, by document format, "
                       "signature algorithm and outcome.\n"
                       "# TYPE sealsvc_stamps_total counter\n");
    keys = sorted_keys(m->stamps);
    for (guint i = 0; i < keys->len; i++) {
        char **parts = g_strsplit(keys->pdata[i], "\t", 3);
        g_string_append(s, "sealsvc_stamps_total{format=\"");
        label(s, parts[0]);
        g_string_append(s, "\",algorithm=\"");
        label(s, parts[1]);
        g_string_append(s, "\",outcome=\"");
        label(s, parts[2]);
        g_string_append_printf(s, "\"} %" G_GUINT64_FORMAT "\n",
                               *(uint64_t *)g_hash_table_lookup(m->stamps, keys->pdata[i]));
        g_strfreev(parts);
    }
    g_ptr_array_free(keys, TRUE);
    pthread_mutex_unlock(&m->lock);
    if (pending >= 0)
        g_string_append_printf(s,
                               "# HELP sealsvc_pending_stamps Two-phase stamps waiting for "
                               "their signature.\n"
                               "# TYPE sealsvc_pending_stamps gauge\n"
                               "sealsvc_pending_stamps %ld\n",
                               pending);
    if (jobs[0] >= 0)
        g_string_append_printf(s,
                               "# HELP sealsvc_jobs Batch jobs waiting for a worker (queued) "
                               "and being worked on (running), in the whole database.\n"
                               "# TYPE sealsvc_jobs gauge\n"
                               "sealsvc_jobs{state=\"queued\"} %ld\n"
                               "sealsvc_jobs{state=\"running\"} %ld\n",
                               jobs[0], jobs[1]);
    int rc = seal_buf_set(out, s->str, s->len);
    g_string_free(s, TRUE);
    return rc;
}

/* ---- the verify route's rate limit ---- */

typedef struct bucket {
    double tokens;
    gint64 at; /* microseconds, monotonic */
} bucket;

struct rate_limit {
    pthread_mutex_t lock;
    GHashTable *clients; /* address -> bucket */
    double per_second, burst;
};

#define MAX_CLIENTS_TRACKED 100000

int rate_limit_new(rate_limit **out, unsigned per_minute)
{
    rate_limit *r = g_new0(rate_limit, 1);
    pthread_mutex_init(&r->lock, NULL);
    r->clients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    r->per_second = per_minute / 60.0;
    r->burst = per_minute;
    *out = r;
    return 0;
}

void rate_limit_free(rate_limit *r)
{
    if (!r)
        return;
    g_hash_table_destroy(r->clients);
    pthread_mutex_destroy(&r->lock);
    g_free(r);
}

unsigned rate_limit_take(rate_limit *r, const char *who)
{
    if (r->burst <= 0)
        return 0;
    gint64 now = g_get_monotonic_time();
    unsigned wait = 0;
    pthread_mutex_lock(&r->lock);
    /* Forget everyone when the table grows too large, rather than grow without end under
     * many addresses: the limit is a courtesy against one busy client, not a ledger. */
    if (g_hash_table_size(r->clients) > MAX_CLIENTS_TRACKED)
        g_hash_table_remove_all(r->clients);
    bucket *b = g_hash_table_lookup(r->clients, who);
    if (!b) {
        b = g_new(bucket, 1);
        b->tokens = r->burst;
        b->at = now;
        g_hash_table_insert(r->clients, g_strdup(who), b);
    }
    b->tokens = fmin(r->burst, b->tokens + (double)(now - b->at) / 1e6 * r->per_second);
    b->at = now;
    if (b->tokens >= 1)
        b->tokens -= 1;
    else
        wait = (unsigned)ceil((1 - b->tokens) / r->per_second);
    pthread_mutex_unlock(&r->lock);
    return wait;
}
