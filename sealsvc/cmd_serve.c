/* `sealsvc serve --listen HOST:PORT [--config FILE]`: the HTTP API (docs/serve.md). It
 * reads the settings (the config file, a GLib key file; then SEALSVC_* environment
 * variables; then the command line), makes the service's shared state (metrics, the
 * verify rate limit, the work folder, the responders) and runs the server core
 * (http/server.h) with the router (http/router.c) as its handler until SIGTERM or SIGINT.
 * `--routes` prints the route table, which the tests hold docs/openapi.json against. */
#include "cli.h"
#include "http/forwarded.h"
#include "http/jobs.h"
#include "http/service.h"

#include <seal/error.h>
#include <seal/stamp.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <glib.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char serve_usage[] =
    "usage: sealsvc [--data DIR] serve --listen HOST:PORT [--config FILE] [--threads N]\n"
    "                                  [--job-workers N]\n"
    "       sealsvc serve --routes\n"
    "\n"
    "Serves the HTTP API (stamp, two-phase stamp, batch jobs, verify, seals; /healthz,\n"
    "/readyz, /metrics, /api/v1/openapi.json) and the data directory's TSA and OCSP\n"
    "responder, and works on the batch jobs of the database with its job workers,\n"
    "until SIGTERM or SIGINT (requests in flight finish first). Every setting can be given\n"
    "in the config file (a key file, see docs/serve.md) or as an environment variable; the\n"
    "command line wins, then the environment, then the file.\n"
    "\n"
    "  --listen HOST:PORT  where to listen (port 0: a free port, printed on stderr)\n"
    "  --config FILE       the config file\n"
    "  --threads N         worker threads (default: the number of CPUs)\n"
    "  --job-workers N     batch job workers of this instance (default 1; 0: none)\n"
    "  --routes            print the routes (METHOD PATH) and exit\n";

typedef enum setting_type { T_TEXT, T_UINT, T_SIZE, T_BOOL } setting_type;

typedef struct setting {
    const char *group, *key, *env;
    setting_type type;
    size_t offset;
} setting;

#define AT(field) offsetof(serve_config, field)
static const setting settings[] = {
    {"server", "listen", "SEALSVC_LISTEN", T_TEXT, AT(listen)},
    {"server", "data", "SEALSVC_DATA", T_TEXT, AT(data_dir)},
    {"server", "tmp_dir", "SEALSVC_TMP_DIR", T_TEXT, AT(tmp_dir)},
    {"server", "threads", "SEALSVC_THREADS", T_UINT, AT(threads)},
    {"server", "max_body", "SEALSVC_MAX_BODY", T_SIZE, AT(max_body)},
    {"server", "connections", "SEALSVC_CONNECTIONS", T_UINT, AT(connections)},
    {"server", "per_client_connections", "SEALSVC_PER_CLIENT_CONNECTIONS", T_UINT, AT(per_client)},
    {"server", "trusted_proxies", "SEALSVC_TRUSTED_PROXIES", T_TEXT, AT(trusted_proxies)},
    {"server", "idle_timeout", "SEALSVC_IDLE_TIMEOUT", T_UINT, AT(idle_timeout)},
    {"server", "shutdown_grace", "SEALSVC_SHUTDOWN_GRACE", T_UINT, AT(shutdown_grace)},
    {"server", "responders", "SEALSVC_RESPONDERS", T_BOOL, AT(responders)},
    {"server", "web_dir", "SEALSVC_WEB_DIR", T_TEXT, AT(web_dir)},
    {"verify", "per_minute", "SEALSVC_VERIFY_PER_MINUTE", T_UINT, AT(verify_per_minute)},
    {"verify", "offline", "SEALSVC_VERIFY_OFFLINE", T_BOOL, AT(verify_offline)},
    {"stamp", "tsa_url", "SEALSVC_TSA_URL", T_TEXT, AT(tsa_url)},
    {"server", "outbound_allow", "SEALSVC_OUTBOUND_ALLOW", T_TEXT, AT(outbound_allow)},
    {"stamp", "input_policy", "SEALSVC_STAMP_INPUT_POLICY", T_TEXT, AT(stamp_input_policy)},
    {"server", "db", "SEALSVC_DB", T_TEXT, AT(db_url)},
    {"jobs", "workers", "SEALSVC_JOB_WORKERS", T_UINT, AT(job_workers)},
    {"jobs", "document_max", "SEALSVC_JOB_DOCUMENT_MAX", T_SIZE, AT(job_document_max)},
    {"jobs", "stale_after", "SEALSVC_JOB_STALE_AFTER", T_UINT, AT(job_stale_after)},
    {"jobs", "callback_attempts", "SEALSVC_JOB_CALLBACK_ATTEMPTS", T_UINT,
     AT(job_callback_attempts)},
    {"jobs", "keep_days", "SEALSVC_JOB_KEEP_DAYS", T_UINT, AT(job_keep_days)},
    {"jobs", "callback_allow", "SEALSVC_JOB_CALLBACK_ALLOW", T_TEXT, AT(job_callback_allow)},
    {"desk", "session_idle", "SEALSVC_DESK_SESSION_IDLE", T_UINT, AT(desk_idle)},
    {"desk", "session_lifetime", "SEALSVC_DESK_SESSION_LIFETIME", T_UINT, AT(desk_lifetime)},
    {"desk", "lock_seconds", "SEALSVC_DESK_LOCK_SECONDS", T_UINT, AT(desk_lock_for)},
    {"csc", "sad_seconds", "SEALSVC_CSC_SAD_SECONDS", T_UINT, AT(csc_sad_seconds)},
};

static const setting *setting_named(const char *group, const char *key)
{
    for (size_t i = 0; i < G_N_ELEMENTS(settings); i++)
        if (strcmp(settings[i].group, group) == 0 && strcmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

/* "200M", "64K", "1G", "1048576": bytes (K, M, G are powers of 1024). */
static int parse_size(const char *text, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    guint64 n = g_ascii_strtoull(text, &end, 10);
    if (errno || end == text)
        return -1;
    uint64_t unit = 1;
    if (*end == 'K' || *end == 'k')
        unit = 1024, end++;
    else if (*end == 'M' || *end == 'm')
        unit = 1024 * 1024, end++;
    else if (*end == 'G' || *end == 'g')
        unit = 1024 * 1024 * 1024, end++;
    if (*end || n > UINT64_MAX / unit)
        return -1;
    *out = n * unit;
    return 0;
}

/* One setting's text into the config; `from` names where it came from, for the message. */
static int apply(serve_config *cfg, const setting *s, const char *text, const char *from)
{
    void *field = (char *)cfg + s->offset;
    switch (s->type) {
    case T_TEXT:
        g_free(*(char **)field);
        *(char **)field = g_strdup(text);
        return 0;
    case T_UINT: {
        char *end = NULL;
        errno = 0;
        guint64 n = g_ascii_strtoull(text, &end, 10);
        if (errno || end == text || *end || n > 1000000)
            return seal_error_set(SEAL_EINVAL, "%s: %s wants a whole number, not '%s'", from,
                                  s->key, text);
        *(unsigned *)field = (unsigned)n;
        return 0;
    }
    case T_SIZE:
        if (parse_size(text, (uint64_t *)field) < 0)
            return seal_error_set(SEAL_EINVAL, "%s: %s wants bytes (e.g. 200M), not '%s'", from,
                                  s->key, text);
        return 0;
    case T_BOOL:
        if (strcmp(text, "true") == 0 || strcmp(text, "1") == 0 || strcmp(text, "yes") == 0)
            *(bool *)field = true;
        else if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0 || strcmp(text, "no") == 0)
            *(bool *)field = false;
        else
            return seal_error_set(SEAL_EINVAL, "%s: %s wants true or false, not '%s'", from, s->key,
                                  text);
        return 0;
    }
    return 0;
}

static int load_config(serve_config *cfg, const char *path)
{
    int rc = 0;
    GError *err = NULL;
    GKeyFile *kf = g_key_file_new();
    char **groups = NULL;
    if (path) {
        SEAL_ENSURE(g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &err), SEAL_EINVAL,
                    "cannot read the config file %s: %s", path, err->message);
        /* A key we do not know is a typo that would silently keep a default. */
        groups = g_key_file_get_groups(kf, NULL);
        for (char **g = groups; *g; g++) {
            char **keys = g_key_file_get_keys(kf, *g, NULL, NULL);
            for (char **k = keys; k && *k && rc == 0; k++) {
                bool known = false;
                for (size_t i = 0; i < G_N_ELEMENTS(settings); i++)
                    known |= strcmp(settings[i].group, *g) == 0 && strcmp(settings[i].key, *k) == 0;
                if (!known)
                    rc = seal_error_set(SEAL_EINVAL,
                                        "%s: unknown setting [%s] %s (docs/serve.md "
                                        "lists them)",
                                        path, *g, *k);
            }
            g_strfreev(keys);
            if (rc < 0)
                goto out;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(settings); i++) {
            char *v = g_key_file_get_string(kf, settings[i].group, settings[i].key, NULL);
            if (v)
                rc = apply(cfg, &settings[i], g_strstrip(v), path);
            g_free(v);
            if (rc < 0)
                goto out;
        }
    }
    for (size_t i = 0; i < G_N_ELEMENTS(settings); i++) {
        const char *v = getenv(settings[i].env);
        if (v && *v)
            SEAL_TRY(apply(cfg, &settings[i], v, settings[i].env));
    }
out:
    if (err)
        g_error_free(err);
    g_strfreev(groups);
    g_key_file_free(kf);
    return rc;
}

static void config_clear(serve_config *cfg)
{
    for (size_t i = 0; i < G_N_ELEMENTS(settings); i++)
        if (settings[i].type == T_TEXT)
            g_free(*(char **)((char *)cfg + settings[i].offset));
}

/* Stamp outputs a crash left in the work folder: never a pending stamp's prepared file. */
static void sweep_work_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (g_str_has_prefix(e->d_name, "out-")) {
            char *path = g_build_filename(dir, e->d_name, NULL);
            unlink(path);
            g_free(path);
        }
    }
    if (d)
        closedir(d);
}

/* The server's stop hook: the job workers finish their documents while the requests in
 * flight drain. */
static void stop_jobs(void *ctx)
{
    job_runner_stop(((service *)ctx)->jobs);
}

/* The web pages: the configured folder, else the one installed beside the program
 * (bin/../share/sealsvc/web), else the source tree's (a build tree's program), else the
 * installation prefix's. Without one the service runs and its pages answer 404. */
static int find_web_root(char **out, const char *configured)
{
    char *exe = g_file_read_link("/proc/self/exe", NULL);
    char *exe_dir = exe ? g_path_get_dirname(exe) : NULL;
    char *beside = exe_dir ? g_canonicalize_filename(SEALSVC_WEB_DIR_FROM_BIN, exe_dir) : NULL;
    const char *candidates[] = {beside ? beside : SEALSVC_WEB_DIR_SOURCE, SEALSVC_WEB_DIR_SOURCE,
                                SEALSVC_WEB_DIR_INSTALL, NULL};
    int rc = serve_web_root(out, configured, candidates);
    if (rc == 0 && !*out)
        http_log("warning", NULL, "no web folder found (%s, %s): the pages are not served",
                 SEALSVC_WEB_DIR_SOURCE, SEALSVC_WEB_DIR_INSTALL);
    g_free(beside);
    g_free(exe_dir);
    g_free(exe);
    return rc;
}

int cmd_serve(const cli_ctx *ctx, int argc, char **argv)
{
    static const struct option options[] = {
        {"listen", required_argument, NULL, 'l'},  {"config", required_argument, NULL, 'c'},
        {"threads", required_argument, NULL, 't'}, {"job-workers", required_argument, NULL, 'j'},
        {"data", required_argument, NULL, 'd'},    {"routes", no_argument, NULL, 'r'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0},
    };
    const char *listen = NULL, *config = NULL, *threads = NULL, *data = NULL, *workers = NULL;
    seal_netset *proxies = NULL;
    serve_config cfg = {
        .max_body = 200u * 1024u * 1024u,
        .connections = 256,
        .per_client = 32,
        .idle_timeout = 30,
        .shutdown_grace = 60,
        .verify_per_minute = 60,
        .responders = true,
        .job_workers = 1,
        .job_document_max = 50u * 1024u * 1024u,
        .job_stale_after = 30,
        .job_callback_attempts = 8,
        .job_keep_days = 7,
        .desk_idle = 30 * 60,
        .desk_lifetime = 12 * 60 * 60,
        .desk_lock_for = 15 * 60,
        .csc_sad_seconds = 3600,
    };
    service svc = {.cfg = &cfg};
    int code = EXIT_ERROR;
    optind = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {
        case 'l':
            listen = optarg;
            break;
        case 'c':
            config = optarg;
            break;
        case 't':
            threads = optarg;
            break;
        case 'j':
            workers = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'r':
            for (size_t i = 0; i < serve_route_count; i++)
                printf("%s %s\n", serve_routes[i].method, serve_routes[i].pattern);
            return EXIT_OK;
        case 'h':
            fputs(serve_usage, stdout);
            return EXIT_OK;
        default:
            return cli_usage_error("serve: unknown option");
        }
    }
    if (optind < argc)
        return cli_usage_error("serve: unexpected argument '%s'", argv[optind]);
    if (load_config(&cfg, config) < 0) {
        code = cli_usage_error("serve: %s", seal_error_last());
        goto out;
    }
    const setting *listen_setting = &settings[0], *threads_setting = &settings[3];
    const setting *workers_setting = setting_named("jobs", "workers");
    if ((listen && apply(&cfg, listen_setting, listen, "--listen") < 0) ||
        (threads && apply(&cfg, threads_setting, threads, "--threads") < 0) ||
        (workers && apply(&cfg, workers_setting, workers, "--job-workers") < 0)) {
        code = cli_usage_error("serve: %s", seal_error_last());
        goto out;
    }
    /* The heartbeat is renewed every third of it: below 3 s a busy database could make a
     * live worker look dead. */
    if (cfg.job_stale_after < 3 || cfg.job_callback_attempts < 1) {
        code = cli_usage_error("serve: [jobs] stale_after must be at least 3 seconds and "
                               "callback_attempts at least 1");
        goto out;
    }
    seal_input_policy policy;
    if (cfg.stamp_input_policy && seal_input_policy_parse(&policy, cfg.stamp_input_policy) < 0) {
        code = cli_usage_error("serve: [stamp] %s", seal_error_last());
        goto out;
    }
    if (cfg.desk_idle < 1 || cfg.desk_lifetime < cfg.desk_idle || cfg.desk_lock_for < 1) {
        code = cli_usage_error("serve: [desk] session_idle and lock_seconds must be at least 1 "
                               "second and session_lifetime at least session_idle");
        goto out;
    }
    if (cfg.csc_sad_seconds < 1 || cfg.csc_sad_seconds > 86400) {
        code = cli_usage_error("serve: [csc] sad_seconds must be 1 to 86400 seconds");
        goto out;
    }
    if (data || (!cfg.data_dir && cli_data_dir(ctx))) {
        g_free(cfg.data_dir);
        cfg.data_dir = g_strdup(data ? data : cli_data_dir(ctx));
    }
    if (ctx->db_url) {
        g_free(cfg.db_url);
        cfg.db_url = g_strdup(ctx->db_url);
    }
    if (!cfg.listen) {
        code = cli_usage_error("serve needs --listen HOST:PORT (or listen in the config, or "
                               "$SEALSVC_LISTEN)");
        goto out;
    }
    if (!cfg.data_dir) {
        code = cli_usage_error("serve needs the data directory: --data DIR or $SEALSVC_DATA");
        goto out;
    }
    if (!cfg.threads)
        cfg.threads = g_get_num_processors();
    if ((cfg.trusted_proxies &&
         seal_netset_parse(&proxies, cfg.trusted_proxies, "[server] trusted_proxies") < 0) ||
        seal_net_guard_new(&svc.callback_guard, cfg.job_callback_allow, "[jobs] callback_allow") <
            0 ||
        seal_net_guard_new(&svc.outbound, cfg.outbound_allow, "[server] outbound_allow") < 0) {
        code = cli_usage_error("serve: %s", seal_error_last());
        goto out;
    }

    /* The store must open now: a service that cannot stamp should not look healthy. The
     * requests then take their stores from the pool, one per worker thread at most kept
     * open. */
    seal_store *st = NULL;
    if (seal_store_pool_new(&svc.stores, cfg.db_url, cfg.data_dir, cfg.threads) < 0 ||
        seal_store_pool_take(svc.stores, &st) < 0) {
        code = cli_fail("serve");
        goto out;
    }
    seal_store_pool_give(svc.stores, st);
    svc.work_dir = g_build_filename(cfg.data_dir, "serve", NULL);
    if (g_mkdir_with_parents(svc.work_dir, 0700) != 0) {
        seal_error_set(SEAL_EIO, "cannot create %s: %s", svc.work_dir, strerror(errno));
        code = cli_fail("serve");
        goto out;
    }
    sweep_work_dir(svc.work_dir);
    if (find_web_root(&svc.web_root, cfg.web_dir) < 0) {
        code = cli_fail("serve");
        goto out;
    }
    metrics_new(&svc.metrics);
    rate_limit_new(&svc.verify_limit, cfg.verify_per_minute);
    if (cfg.responders)
        responders_open(&svc.responders, cfg.db_url, cfg.data_dir);
    if (job_runner_start(&svc.jobs, &svc) < 0) {
        code = cli_fail("serve");
        goto out;
    }

    http_serve_opts serve = {
        .listen = cfg.listen,
        .name = "serve",
        .max_body = cfg.max_body,
        .spool_above = 64u * 1024u,
        .tmp_dir = cfg.tmp_dir,
        .threads = cfg.threads,
        .connection_limit = cfg.connections,
        .per_client_limit = cfg.per_client,
        .trusted_proxies = proxies,
        .idle_timeout = cfg.idle_timeout,
        .shutdown_grace = cfg.shutdown_grace,
        .handler = serve_dispatch,
        .ctx = &svc,
        .observer = metrics_observe,
        .on_stop = stop_jobs,
    };
    code = http_serve_run(&serve) < 0 ? cli_fail("serve") : EXIT_OK;
out:
    /* waits for each worker's document in progress, which may use what is freed below */
    job_runner_free(svc.jobs);
    seal_netset_free(proxies);
    seal_net_guard_free(svc.callback_guard);
    seal_net_guard_free(svc.outbound);
    responders_free(svc.responders);
    seal_store_pool_free(svc.stores);
    rate_limit_free(svc.verify_limit);
    metrics_free(svc.metrics);
    g_free(svc.work_dir);
    g_free(svc.web_root);
    config_clear(&cfg);
    return code;
}
