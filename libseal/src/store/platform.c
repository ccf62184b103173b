/* What the platform itself owns in the database, so that several instances sharing it
 * need nothing else but the key-encryption key: its own certificates and keys (the CAs,
 * the seal maker, the TSA and OCSP signers), the CRLs as its CAs published them, and the
 * revocation cache and evidence archive plugged into pki's revocation context.
 *
 * `sealsvc demo init` puts the certificates and keys here; the CA operations (ca_ops.c),
 * the seal maker, the TSA and the OCSP responder read them; verify, `cert status` and the
 * stamp policy judge certificates with seal_store_revocation_new. A key rests as PKCS#8
 * (PBES2, AES-256) under a passphrase derived from the KEK with its name in the label, so
 * that a key moved to another name's row does not open. */
#include "store/store_internal.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/pki.h>
#include <seal/revocation.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>
#include <string.h>

#define PARTY_LABEL  "sealsvc platform key v1 "
#define NAME_MAX_LEN 64

static bool valid_name(const char *name)
{
    if (!name || !*name || strlen(name) > NAME_MAX_LEN)
        return false;
    for (const char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
            return false;
    return true;
}

static int party_passphrase(seal_store *st, const char *name, char out[STORE_KEK_PASSPHRASE_SIZE])
{
    char *label = g_strconcat(PARTY_LABEL, name, NULL);
    int rc = store_kek_passphrase(st, label, out);
    g_free(label);
    return rc;
}

/* ---------------------------------------------------------------- the platform's keys */

int seal_store_party_put(seal_store *st, const char *name, X509 *cert, EVP_PKEY *key)
{
    int rc = 0;
    char pass[STORE_KEK_PASSPHRASE_SIZE];
    seal_buf cert_pem = SEAL_BUF_INIT, key_pem = SEAL_BUF_INIT;
    seal_db_stmt *stmt = NULL;
    SEAL_ENSURE(st && cert, SEAL_EINVAL, "no certificate to keep");
    SEAL_ENSURE(valid_name(name), SEAL_EINVAL,
                "'%s' is not a name for the platform's certificates (letters, digits, '-' and "
                "'_')",
                name ? name : "");
    SEAL_ENSURE(!key || X509_check_private_key(cert, key) == 1, SEAL_EINVAL,
                "the key given for %s does not belong to its certificate", name);
    SEAL_TRY(seal_cert_to_pem(&cert_pem, cert));
    if (key) {
        SEAL_TRY(party_passphrase(st, name, pass));
        rc = seal_key_encrypt_pem(&key_pem, key, pass);
        OPENSSL_cleanse(pass, sizeof pass);
        SEAL_TRY(rc);
    }
    SEAL_TRY(store_prepare(st, &stmt, "keeping a certificate of the platform",
                           "INSERT INTO platform_party (name, cert_pem, key_pem, created) "
                           "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (name) DO UPDATE SET "
                           "cert_pem = excluded.cert_pem, key_pem = excluded.key_pem"));
    seal_db_bind_text(stmt, 1, name);
    store_bind_buf_text(stmt, 2, &cert_pem);
    if (key)
        store_bind_buf_text(stmt, 3, &key_pem);
    else
        seal_db_bind_null(stmt, 3);
    seal_db_bind_int64(stmt, 4, (int64_t)time(NULL));
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    seal_buf_clear(&cert_pem);
    seal_buf_clear_secret(&key_pem);
    return rc;
}

/* The row of `name`: its certificate, and its key when `key` is not NULL. */
static int party_get(seal_store *st, const char *name, X509 **cert, EVP_PKEY **key)
{
    int rc = 0;
    char pass[STORE_KEK_PASSPHRASE_SIZE];
    seal_db_stmt *stmt = NULL;
    seal_buf cert_pem = SEAL_BUF_INIT, key_pem = SEAL_BUF_INIT;
    SEAL_TRY(store_prepare(st, &stmt, "reading a certificate of the platform",
                           "SELECT cert_pem, key_pem FROM platform_party WHERE name = ?1"));
    seal_db_bind_text(stmt, 1, name);
    rc = seal_db_step(stmt);
    if (rc < 0)
        goto out;
    SEAL_ENSURE(rc == SEAL_DB_ROW, SEAL_ENOTFOUND,
                "the platform has no certificate named %s (made by 'sealsvc demo init')", name);
    rc = 0;
    SEAL_TRY(store_column_buf(stmt, 0, &cert_pem));
    SEAL_TRY(store_column_buf(stmt, 1, &key_pem));
    SEAL_TRY(seal_cert_load_mem(cert, cert_pem.data, cert_pem.len));
    if (key) {
        SEAL_ENSURE(key_pem.len > 0, SEAL_ENOTFOUND, "the platform keeps no key for %s", name);
        SEAL_TRY(party_passphrase(st, name, pass));
        rc = seal_key_load_mem(key, key_pem.data, key_pem.len, pass);
        OPENSSL_cleanse(pass, sizeof pass);
        if (rc < 0) {
            rc = seal_error_set(SEAL_ECRYPTO,
                                "the key of %s does not open with this key-encryption key "
                                "(another platform's KEK, or SEALSVC_KEK set wrong?)",
                                name);
            goto out;
        }
        SEAL_ENSURE(X509_check_private_key(*cert, *key) == 1, SEAL_EPKI,
                    "the stored key of %s does not belong to its certificate", name);
    }
out:
    if (rc < 0) {
        X509_free(*cert);
        *cert = NULL;
        if (key) {
            EVP_PKEY_free(*key);
            *key = NULL;
        }
    }
    seal_db_finalize(stmt);
    seal_buf_clear(&cert_pem);
    seal_buf_clear_secret(&key_pem);
    return rc;
}

int seal_ca_load_party(seal_store *st, const char *name, X509 **cert, EVP_PKEY **key)
{
    if (!st || !cert || !key || !valid_name(name))
        return seal_error_set(SEAL_EINVAL, "'%s' is not a name of the platform's certificates",
                              name ? name : "");
    *cert = NULL;
    *key = NULL;
    return party_get(st, name, cert, key);
}

int seal_store_maker_signer(seal_signer **out, seal_store *st)
{
    int rc = 0;
    X509 *cert = NULL, *ca = NULL;
    EVP_PKEY *key = NULL;
    STACK_OF(X509) *chain = sk_X509_new_null();
    *out = NULL;
    SEAL_ENSURE(chain, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(seal_ca_load_party(st, "seal-maker", &cert, &key));
    SEAL_TRY(seal_store_party_cert(st, "issuing-ca", &ca));
    SEAL_ENSURE(sk_X509_push(chain, ca), SEAL_ENOMEM, "out of memory");
    ca = NULL;
    SEAL_TRY(seal_signer_new_software(out, key, cert, chain));
out:
    X509_free(cert);
    X509_free(ca);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    return rc;
}

int seal_store_party_cert(seal_store *st, const char *name, X509 **out)
{
    if (!st || !out || !valid_name(name))
        return seal_error_set(SEAL_EINVAL, "'%s' is not a name of the platform's certificates",
                              name ? name : "");
    *out = NULL;
    return party_get(st, name, out, NULL);
}

int seal_store_party_list(seal_store *st, char ***names_out, STACK_OF(X509) * *certs_out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    STACK_OF(X509) *certs = sk_X509_new_null();
    seal_buf pem = SEAL_BUF_INIT;
    SEAL_ENSURE(certs, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(store_prepare(st, &stmt, "listing the platform's certificates",
                           "SELECT name, cert_pem FROM platform_party ORDER BY created, name"));
    while ((rc = seal_db_step(stmt)) == SEAL_DB_ROW) {
        X509 *cert = NULL;
        SEAL_TRY(store_column_buf(stmt, 1, &pem));
        SEAL_TRY(store_cert_parse(&pem, &cert));
        if (!sk_X509_push(certs, cert)) {
            X509_free(cert);
            SEAL_FAIL(SEAL_ENOMEM, "out of memory");
        }
        g_ptr_array_add(names, store_column_text(stmt, 0));
    }
    if (rc < 0)
        goto out;
    rc = 0;
    g_ptr_array_add(names, NULL);
    if (names_out)
        *names_out = (char **)g_ptr_array_free(names, FALSE);
    else
        g_ptr_array_free(names, TRUE);
    names = NULL;
    *certs_out = certs;
    certs = NULL;
out:
    if (names)
        g_ptr_array_free(names, TRUE);
    sk_X509_pop_free(certs, X509_free);
    seal_buf_clear(&pem);
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_trust_add(seal_store *st, seal_trust *trust)
{
    STACK_OF(X509) *certs = NULL;
    int rc = seal_store_party_list(st, NULL, &certs);
    for (int i = 0; rc == 0 && i < sk_X509_num(certs); i++) {
        X509 *c = sk_X509_value(certs, i);
        /* The platform's roots: self-signed CA certificates (RFC 5280 6.1.1 (d)). */
        if (X509_check_ca(c) > 0 && X509_check_issued(c, c) == X509_V_OK)
            rc = seal_trust_add_cert(trust, c);
    }
    sk_X509_pop_free(certs, X509_free);
    return rc;
}

/* ---------------------------------------------------------------- counters */

int seal_store_counter_reserve(seal_store *st, const char *name, uint64_t count, uint64_t *first)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_ENSURE(st && name && first && count > 0 && count < INT32_MAX, SEAL_EINVAL,
                "a counter reserves between 1 and 2^31 numbers");
    /* One statement: the row is locked while it grows, on both engines, so no two callers
     * ever get the same block. */
    SEAL_TRY(store_prepare(st, &stmt, "reserving numbers from a counter",
                           "INSERT INTO counter (name, next) VALUES (?1, 1 + ?2) "
                           "ON CONFLICT (name) DO UPDATE SET next = counter.next + ?2 "
                           "RETURNING next"));
    seal_db_bind_text(stmt, 1, name);
    seal_db_bind_int64(stmt, 2, (int64_t)count);
    rc = seal_db_step(stmt);
    if (rc < 0)
        goto out;
    SEAL_ENSURE(rc == SEAL_DB_ROW, SEAL_ESTORE, "the counter %s gave no number", name);
    rc = 0;
    int64_t next = store_column_int64(stmt, 0);
    SEAL_ENSURE(next > (int64_t)count, SEAL_ESTORE, "the counter %s is damaged", name);
    *first = (uint64_t)next - count;
out:
    seal_db_finalize(stmt);
    return rc;
}

/* ---------------------------------------------------------------- CRLs as published */

int store_crl_put(seal_store *st, const char *ca_name, const char *issuer_key_id, uint64_t number,
                  time_t this_update, time_t next_update, const seal_buf *der)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    /* Two publications racing: the CRL with the higher number stays (RFC 5280 5.2.3). */
    SEAL_TRY(store_prepare(st, &stmt, "publishing a CRL",
                           "INSERT INTO crl_published (ca_name, issuer_key_id, number, "
                           "this_update, next_update, der) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
                           "ON CONFLICT (ca_name) DO UPDATE SET issuer_key_id = "
                           "excluded.issuer_key_id, number = excluded.number, this_update = "
                           "excluded.this_update, next_update = excluded.next_update, der = "
                           "excluded.der WHERE crl_published.number < excluded.number"));
    seal_db_bind_text(stmt, 1, ca_name);
    seal_db_bind_text(stmt, 2, issuer_key_id);
    seal_db_bind_int64(stmt, 3, (int64_t)number);
    seal_db_bind_int64(stmt, 4, (int64_t)this_update);
    seal_db_bind_int64(stmt, 5, (int64_t)next_update);
    seal_db_bind_blob(stmt, 6, der->data, der->len);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_crl_get(seal_store *st, const char *ca_name, seal_buf *der, time_t *this_update,
                       time_t *next_update)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_ENSURE(st && der && valid_name(ca_name), SEAL_EINVAL, "'%s' is not a CA name",
                ca_name ? ca_name : "");
    SEAL_TRY(store_prepare(st, &stmt, "reading a published CRL",
                           "SELECT der, this_update, next_update FROM crl_published "
                           "WHERE ca_name = ?1"));
    seal_db_bind_text(stmt, 1, ca_name);
    rc = seal_db_step(stmt);
    if (rc < 0)
        goto out;
    SEAL_ENSURE(rc == SEAL_DB_ROW, SEAL_ENOTFOUND, "CA %s has published no CRL", ca_name);
    rc = 0;
    SEAL_TRY(store_column_buf(stmt, 0, der));
    if (this_update)
        *this_update = (time_t)store_column_int64(stmt, 1);
    if (next_update)
        *next_update = (time_t)store_column_int64(stmt, 2);
out:
    seal_db_finalize(stmt);
    return rc;
}

/* Every published CRL into the context, named as relying parties fetch it. */
static int add_published(seal_store *st, seal_revocation *rv)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading the published CRLs",
                           "SELECT ca_name, der FROM crl_published ORDER BY ca_name"));
    while ((rc = seal_db_step(stmt)) == SEAL_DB_ROW) {
        const uint8_t *der = NULL;
        size_t len = 0;
        char *name = store_column_text(stmt, 0);
        char *source = g_strdup_printf("published CRL %s.crl (database)", name ? name : "?");
        SEAL_TRY(seal_db_column_blob(stmt, 1, &der, &len));
        rc = seal_revocation_add_crl(rv, der, len, source);
        g_free(name);
        g_free(source);
        SEAL_TRY(rc);
    }
    if (rc > 0)
        rc = 0;
out:
    seal_db_finalize(stmt);
    return rc;
}

/* ---------------------------------------------------------------- revocation storage */

static const char *kind_text(seal_evidence_kind kind)
{
    return kind == SEAL_EVIDENCE_CRL ? "crl" : "ocsp";
}

static int db_cache_put(void *ctx, const char *issuer_key_id, const char *name,
                        const seal_evidence_entry *e)
{
    seal_store *st = ctx;
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "keeping revocation evidence in the cache",
                           "INSERT INTO revocation_cache (issuer_key_id, name, kind, url, "
                           "fetched_at, der) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT "
                           "(issuer_key_id, name) DO UPDATE SET kind = excluded.kind, url = "
                           "excluded.url, fetched_at = excluded.fetched_at, der = excluded.der"));
    seal_db_bind_text(stmt, 1, issuer_key_id);
    seal_db_bind_text(stmt, 2, name);
    seal_db_bind_text(stmt, 3, kind_text(e->kind));
    seal_db_bind_text(stmt, 4, e->url ? e->url : "");
    seal_db_bind_int64(stmt, 5, (int64_t)e->fetched_at);
    seal_db_bind_blob(stmt, 6, e->der, e->len);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}

static int db_cache_each(void *ctx, const char *issuer_key_id, seal_evidence_visit visit,
                         void *visit_ctx)
{
    seal_store *st = ctx;
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading the revocation cache",
                           "SELECT kind, url, fetched_at, der FROM revocation_cache "
                           "WHERE issuer_key_id = ?1 ORDER BY name"));
    seal_db_bind_text(stmt, 1, issuer_key_id);
    while ((rc = seal_db_step(stmt)) == SEAL_DB_ROW) {
        const char *kind = NULL, *url = NULL;
        seal_evidence_entry e = {0};
        SEAL_TRY(seal_db_column_text(stmt, 0, &kind));
        SEAL_TRY(seal_db_column_text(stmt, 1, &url));
        SEAL_TRY(seal_db_column_blob(stmt, 3, &e.der, &e.len));
        e.kind = kind && strcmp(kind, "crl") == 0 ? SEAL_EVIDENCE_CRL : SEAL_EVIDENCE_OCSP;
        e.url = url;
        e.fetched_at = (time_t)store_column_int64(stmt, 2);
        SEAL_TRY(visit(visit_ctx, &e));
    }
    if (rc > 0)
        rc = 0;
out:
    seal_db_finalize(stmt);
    return rc;
}

static int db_archive_put(void *ctx, const seal_evidence_entry *e, char **where_out)
{
    seal_store *st = ctx;
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "archiving revocation evidence",
                           "INSERT INTO revocation_evidence (kind, url, fetched_at, this_update, "
                           "next_update, sha256, der) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                           "RETURNING id"));
    seal_db_bind_text(stmt, 1, kind_text(e->kind));
    seal_db_bind_text(stmt, 2, e->url ? e->url : "");
    seal_db_bind_int64(stmt, 3, (int64_t)e->fetched_at);
    seal_db_bind_int64(stmt, 4, (int64_t)e->this_update);
    seal_db_bind_int64(stmt, 5, (int64_t)e->next_update);
    seal_db_bind_text(stmt, 6, e->sha256);
    seal_db_bind_blob(stmt, 7, e->der, e->len);
    rc = seal_db_step(stmt);
    if (rc < 0)
        goto out;
    SEAL_ENSURE(rc == SEAL_DB_ROW, SEAL_ESTORE, "archiving revocation evidence gave no id");
    rc = 0;
    *where_out = g_strdup_printf("revocation_evidence %lld (database)",
                                 (long long)store_column_int64(stmt, 0));
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_revocation_new(seal_revocation **out, seal_store *st,
                              const seal_revocation_opts *opts)
{
    int rc = 0;
    STACK_OF(X509) *certs = NULL, *intermediates = sk_X509_new_null();
    seal_revocation_storage storage = {
        .cache_put = db_cache_put,
        .cache_each = db_cache_each,
        .archive_put = db_archive_put,
        .ctx = st,
    };
    seal_revocation_opts o = opts ? *opts : (seal_revocation_opts){0};
    o.storage = &storage;
    o.cache_dir = o.archive_dir = NULL;
    *out = NULL;
    SEAL_ENSURE(st && intermediates, SEAL_EINVAL, "no store for the revocation context");
    SEAL_TRY(seal_revocation_new(out, &o));
    SEAL_TRY(add_published(st, *out));
    /* GB/T 38540 signatures carry only the signer's certificate: the platform's CA
     * certificates that are not self-signed are offered as untrusted intermediates (RFC
     * 5280 6.1: they count only when they chain to an anchor). */
    SEAL_TRY(seal_store_party_list(st, NULL, &certs));
    for (int i = 0; i < sk_X509_num(certs); i++) {
        X509 *c = sk_X509_value(certs, i);
        if (X509_check_ca(c) > 0 && X509_check_issued(c, c) != X509_V_OK)
            SEAL_ENSURE(sk_X509_push(intermediates, c), SEAL_ENOMEM, "out of memory");
    }
    SEAL_TRY(seal_revocation_add_certs(*out, intermediates));
out:
    if (rc < 0) {
        seal_revocation_free(*out);
        *out = NULL;
    }
    sk_X509_free(intermediates); /* the certificates are owned by `certs` */
    sk_X509_pop_free(certs, X509_free);
    return rc;
}
