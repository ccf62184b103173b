/* A platform made before its shared state moved into the database (schema version 6) kept
 * it as files in the data directory: the platform's certificates and keys under pki/ (each
 * key encrypted under the KEK's text), the CRLs as published under crl/, the TSA's next
 * serial number in tsa/serial. The migration to version 6 brings them in, in its own
 * transaction (schema.c), so they come in exactly once and no open pays for a look at the
 * folders afterwards: the keys re-encrypted as platform.c keeps them, each CRL with its
 * number, the serial counter where the file left it (RFC 3161 2.4.2: a serial is never
 * issued twice). The import is one audit record. */
#include "store/store_internal.h"

#include <seal/ca.h>
#include <seal/error.h>

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#define TSA_SERIAL_COUNTER "tsa-serial"
#define FILE_MAX           (16 * 1024 * 1024)

/* The names NAME of DATA_DIR/SUB/NAME.SUFFIX, sorted (none when the folder is missing). */
static GPtrArray *names_in(const char *data_dir, const char *sub, const char *suffix)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    char *dir = g_build_filename(data_dir, sub, NULL);
    DIR *d = opendir(dir);
    g_free(dir);
    if (!d)
        return names;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && g_str_has_suffix(e->d_name, suffix))
            g_ptr_array_add(names, g_strndup(e->d_name, strlen(e->d_name) - strlen(suffix)));
    closedir(d);
    g_ptr_array_sort(names, (GCompareFunc)(void (*)(void))g_strcmp0);
    return names;
}

/* pki/NAME.pem with pki/private/NAME.key.pem when there is one. */
static int import_party(seal_store *st, const char *dir, const char *name, const seal_buf *kek)
{
    int rc = 0;
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    char *cert_path = g_strdup_printf("%s/pki/%s.pem", dir, name);
    char *key_path = g_strdup_printf("%s/pki/private/%s.key.pem", dir, name);
    rc = seal_cert_load(&cert, cert_path);
    if (rc < 0)
        SEAL_TRY(seal_error_wrap(rc, "importing %s", cert_path));
    if (g_file_test(key_path, G_FILE_TEST_EXISTS)) {
        rc = seal_key_load(&key, NULL, NULL, key_path, (const char *)kek->data);
        if (rc < 0)
            SEAL_TRY(seal_error_wrap(rc, "importing %s (encrypted under this KEK?)", key_path));
    }
    SEAL_TRY(seal_store_party_put(st, name, cert, key));
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    g_free(cert_path);
    g_free(key_path);
    return rc;
}

/* crl/NAME.crl, issued by the platform's certificate NAME (already imported). */
static int import_crl(seal_store *st, const char *dir, const char *name)
{
    int rc = 0;
    seal_buf der = SEAL_BUF_INIT;
    X509 *ca = NULL;
    X509_CRL *crl = NULL;
    ASN1_INTEGER *number = NULL;
    char key_id[65];
    char *path = g_strdup_printf("%s/crl/%s.crl", dir, name);
    SEAL_TRY(seal_buf_read_file(&der, path, FILE_MAX));
    const unsigned char *p = der.data;
    crl = d2i_X509_CRL(NULL, &p, (long)der.len);
    SEAL_ENSURE(crl && p == der.data + der.len, SEAL_EFORMAT, "importing %s: it is not one DER CRL",
                path);
    SEAL_TRY(seal_store_party_cert(st, name, &ca));
    SEAL_ENSURE(X509_CRL_verify(crl, X509_get0_pubkey(ca)) == 1, SEAL_EPKI,
                "importing %s: it is not signed by the platform's %s", path, name);
    number = X509_CRL_get_ext_d2i(crl, NID_crl_number, NULL, NULL);
    SEAL_ENSURE(number, SEAL_EFORMAT, "importing %s: it has no CRL number", path);
    uint64_t n = 0;
    SEAL_ENSURE(ASN1_INTEGER_get_uint64(&n, number) == 1, SEAL_EFORMAT,
                "importing %s: its CRL number is out of range", path);
    SEAL_TRY(seal_cert_key_id(key_id, ca));
    SEAL_TRY(store_crl_put(st, name, key_id, n, seal_asn1_time(X509_CRL_get0_lastUpdate(crl)),
                           seal_asn1_time(X509_CRL_get0_nextUpdate(crl)), &der));
out:
    ASN1_INTEGER_free(number);
    X509_CRL_free(crl);
    X509_free(ca);
    seal_buf_clear(&der);
    g_free(path);
    return rc;
}

/* tsa/serial: the next serial number the file-based TSA would have issued. */
static int import_tsa_serial(seal_store *st, const char *dir, bool *done)
{
    int rc = 0;
    seal_buf text = SEAL_BUF_INIT;
    seal_db_stmt *stmt = NULL;
    char *path = g_strdup_printf("%s/tsa/serial", dir);
    *done = false;
    if (!g_file_test(path, G_FILE_TEST_EXISTS))
        goto out;
    SEAL_TRY(seal_buf_read_file(&text, path, 64));
    char *end = NULL;
    errno = 0;
    unsigned long long next = strtoull((const char *)text.data, &end, 10);
    SEAL_ENSURE(errno == 0 && end != (char *)text.data && next > 0 && next < INT64_MAX,
                SEAL_EFORMAT, "importing %s: it holds no serial number", path);
    SEAL_TRY(store_prepare(st, &stmt, "importing the TSA's serial counter",
                           "INSERT INTO counter (name, next) VALUES (?1, ?2) "
                           "ON CONFLICT (name) DO UPDATE SET next = ?2 WHERE counter.next < ?2"));
    seal_db_bind_text(stmt, 1, TSA_SERIAL_COUNTER);
    seal_db_bind_int64(stmt, 2, (int64_t)next);
    SEAL_TRY(seal_db_step(stmt));
    *done = true;
out:
    seal_db_finalize(stmt);
    seal_buf_clear(&text);
    g_free(path);
    return rc;
}

int store_import_files(seal_store *st)
{
    int rc = 0;
    bool serial = false;
    size_t parties = 0, crls = 0;
    seal_buf kek = SEAL_BUF_INIT;
    const char *dir = seal_store_data_dir(st);
    char *detail = NULL;
    GPtrArray *pems = names_in(dir, "pki", ".pem"), *crl_names = NULL;
    if (pems->len == 0)
        goto out;
    SEAL_TRY(store_kek_read(dir, &kek));
    for (guint i = 0; i < pems->len; i++, parties++)
        SEAL_TRY(import_party(st, dir, g_ptr_array_index(pems, i), &kek));
    crl_names = names_in(dir, "crl", ".crl");
    for (guint i = 0; i < crl_names->len; i++, crls++)
        SEAL_TRY(import_crl(st, dir, g_ptr_array_index(crl_names, i)));
    SEAL_TRY(import_tsa_serial(st, dir, &serial));
    /* Version 6's data, written before the trail is keyed (version 8). */
    detail = g_strdup_printf("%zu certificate(s) with their keys, %zu CRL(s)%s from the data "
                             "directory's files into the database",
                             parties, crls, serial ? ", the TSA's serial counter" : "");
    SEAL_TRY(audit_plain_in_migration(st, "sealsvc", "import", "platform", detail));
out:
    g_free(detail);
    seal_buf_clear_secret(&kek);
    g_ptr_array_free(pems, TRUE);
    if (crl_names)
        g_ptr_array_free(crl_names, TRUE);
    return rc;
}
