/* Shared helpers for the cmocka unit tests: corpus location and scratch directories. */
#include "testutil.h"

#include <dirent.h>
#include <glib.h>
#include <seal/store.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static void remove_tmpdir(void)
{
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
}

const char *test_corpus_dir(void)
{
    const char *dir = getenv("SEAL_CORPUS");
    struct stat st;
    if (dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
        return dir;
    return NULL;
}

const char *test_tmpdir(void)
{
    if (!tmpdir[0]) {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/sealtest.XXXXXX", base ? base : "/tmp");
        if (!mkdtemp(tmpdir))
            abort();
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

const char *test_path(const char *dir, const char *name)
{
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", dir, name);
    return b;
}

int test_run(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

int test_make_nss_signer(const char *dir, const char *org)
{
    return test_run(
        "set -e; cd '%s'; mkdir nss;"
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 "
        "  -subj '/CN=%s Test CA' -addext 'basicConstraints=critical,CA:TRUE' "
        "  -addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null;"
        "openssl req -newkey rsa:2048 -nodes -keyout s.key -out s.csr "
        "  -subj '/O=%s Org/CN=%s Signer' 2>/dev/null;"
        "printf 'keyUsage=critical,digitalSignature,nonRepudiation\\n' > ext.cnf;"
        "openssl x509 -req -in s.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out s.pem "
        "  -days 365 -extfile ext.cnf 2>/dev/null;"
        "openssl pkcs12 -export -inkey s.key -in s.pem -certfile ca.pem -name signer "
        "  -out s.p12 -passout pass:pw;"
        "certutil -N --empty-password -d sql:nss; pk12util -i s.p12 -d sql:nss -W pw >/dev/null;"
        "mkdir newcerts; touch index.txt; echo 01 > crlnumber;"
        "printf '[ca]\\ndefault_ca = d\\n[d]\\ndatabase = index.txt\\n"
        "new_certs_dir = newcerts\\ncertificate = ca.pem\\nprivate_key = ca.key\\n"
        "crlnumber = crlnumber\\ndefault_md = sha256\\ndefault_crl_days = 7\\n' > ca.cnf;"
        "openssl ca -config ca.cnf -gencrl -out good.crl 2>/dev/null",
        dir, org, org, org);
}

bool test_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int test_temp_files(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (strstr(e->d_name, ".tmp"))
            n++;
    if (d)
        closedir(d);
    return n;
}

X509 *test_issue_cert(seal_cert_role role, const char *org, const char *cn, EVP_PKEY *key,
                      X509 *issuer, EVP_PKEY *issuer_key, time_t now)
{
    const time_t day = 86400;
    seal_cert_spec s = {.role = role,
                        .country = "CN",
                        .organization = org,
                        .common_name = cn,
                        .not_before = now - day,
                        .not_after = now + 365 * day};
    X509 *cert = NULL;
    bool root = role == SEAL_CERT_ROOT_CA;
    assert_int_equal(
        seal_cert_issue(&cert, &s, key, root ? NULL : issuer, root ? NULL : issuer_key), 0);
    return cert;
}

/* ---- the store's suites on both engines ---- */

static GHashTable *store_urls;   /* data directory -> its PostgreSQL URL */
static GPtrArray *store_schemas; /* to drop at exit */

bool test_store_on_postgres(void)
{
    const char *base = getenv("SEAL_TEST_POSTGRES_URL");
    return base && *base;
}

static void drop_store_schemas(void)
{
    const char *base = getenv("SEAL_TEST_POSTGRES_URL");
    for (guint i = 0; store_schemas && i < store_schemas->len; i++)
        test_run("psql -X -q -d '%s' -c 'DROP SCHEMA IF EXISTS %s CASCADE' >/dev/null 2>&1", base,
                 (const char *)g_ptr_array_index(store_schemas, i));
}

const char *test_store_url(const char *dir)
{
    if (!test_store_on_postgres())
        return NULL;
    const char *base = getenv("SEAL_TEST_POSTGRES_URL");
    if (!store_urls) {
        store_urls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        store_schemas = g_ptr_array_new_with_free_func(g_free);
        atexit(drop_store_schemas);
    }
    const char *url = g_hash_table_lookup(store_urls, dir);
    if (url)
        return url;
    char *schema = g_strdup_printf("store_%d_%u", (int)getpid(), store_schemas->len + 1);
    if (test_run("psql -X -q -d '%s' -c 'DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s' "
                 ">/dev/null",
                 base, schema, schema) != 0)
        fail_msg("cannot make the schema %s in %s (is psql installed?)", schema, base);
    char *made = g_strdup_printf("%s%coptions=-csearch_path%%3D%s", base,
                                 strchr(base, '?') ? '&' : '?', schema);
    g_ptr_array_add(store_schemas, schema);
    g_hash_table_insert(store_urls, g_strdup(dir), made);
    return made;
}

int test_store_open(seal_store **out, const char *dir, bool create)
{
    return seal_store_open_db(out, test_store_url(dir), dir, create);
}
