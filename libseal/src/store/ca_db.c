/* The CA's certificate database, in the store's database.
 *
 * ca_cert holds every certificate the platform's CAs issued with its current state
 * (good, revoked, hold) and revocation time, reason and invalidity date; the OCSP
 * responder answers from it and CRLs are made from it (ca_ops.c). Every change is
 * recorded in the audit trail (audit/audit.c) in the same transaction. The tables are
 * version 4 of the store's schema (schema.c). */
#include "store/store_internal.h"

#include <seal/ca.h>
#include <seal/error.h>

#include <glib.h>
#include <openssl/evp.h>
#include <string.h>

#define SERIAL_MAX 80

int store_begin(seal_store *st)
{
    return seal_db_begin(store_db(st));
}

int store_commit(seal_store *st)
{
    return seal_db_commit(store_db(st));
}

void store_rollback(seal_store *st)
{
    seal_db_rollback(store_db(st));
}

const char *seal_ca_state_name(seal_ca_state s)
{
    switch (s) {
    case SEAL_CA_GOOD:
        return "good";
    case SEAL_CA_REVOKED:
        return "revoked";
    case SEAL_CA_HOLD:
        return "hold";
    }
    return "good";
}

static seal_ca_state state_of(const char *text)
{
    if (text && strcmp(text, "revoked") == 0)
        return SEAL_CA_REVOKED;
    if (text && strcmp(text, "hold") == 0)
        return SEAL_CA_HOLD;
    return SEAL_CA_GOOD;
}

void seal_ca_record_clear(seal_ca_record *c)
{
    if (!c)
        return;
    g_free(c->serial);
    g_free(c->issuer_key_id);
    g_free(c->issuer);
    g_free(c->subject);
    g_free(c->role);
    g_free(c->replaced_by);
    seal_buf_clear(&c->der);
    memset(c, 0, sizeof *c);
    c->reason = -1;
}

/* ---------------------------------------------------------------- certificates */

static char *name_oneline(const X509_NAME *name)
{
    char *text = seal_x509_name_text(name);
    char *line = g_strdup(text ? text : "?");
    free(text);
    return line;
}

int store_ca_add_in_tx(seal_store *st, X509 *cert, X509 *issuer, const char *role,
                       const char *actor)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char key_id[65];
    char *serial = seal_cert_serial_hex(cert);
    char *subject = name_oneline(X509_get_subject_name(cert));
    char *issuer_name = name_oneline(X509_get_subject_name(issuer));
    char *target = NULL;
    unsigned char *der = NULL;
    int der_len = i2d_X509(cert, &der);
    SEAL_ENSURE(der_len > 0, SEAL_ECRYPTO, "cannot encode the certificate");
    SEAL_TRY(seal_cert_key_id(key_id, issuer));
    SEAL_TRY(store_prepare(st, &stmt, "recording an issued certificate",
                           "INSERT INTO ca_cert (serial, issuer_key_id, issuer, subject, role, "
                           "not_before, not_after, cert_der, issued_at) VALUES (?1, ?2, ?3, ?4, "
                           "?5, ?6, ?7, ?8, ?9)"));
    seal_db_bind_text(stmt, 1, serial);
    seal_db_bind_text(stmt, 2, key_id);
    seal_db_bind_text(stmt, 3, issuer_name);
    seal_db_bind_text(stmt, 4, subject);
    seal_db_bind_text(stmt, 5, role);
    seal_db_bind_int64(stmt, 6, seal_asn1_time(X509_get0_notBefore(cert)));
    seal_db_bind_int64(stmt, 7, seal_asn1_time(X509_get0_notAfter(cert)));
    seal_db_bind_blob(stmt, 8, der, (size_t)der_len);
    seal_db_bind_int64(stmt, 9, (int64_t)time(NULL));
    int step = seal_db_step(stmt);
    SEAL_ENSURE(!(step < 0 && seal_db_last_failure(store_db(st)) == SEAL_DB_UNIQUE), SEAL_EEXISTS,
                "certificate %s is already in the CA database", serial);
    SEAL_TRY(step);
    target = g_strdup_printf("cert:%s", serial);
    SEAL_TRY(store_audit_in_tx(st, actor, "issue", target, "%s certificate for %s issued by %s",
                               role, subject, issuer_name));
out:
    seal_db_finalize(stmt);
    OPENSSL_free(der);
    g_free(serial);
    g_free(subject);
    g_free(issuer_name);
    g_free(target);
    return rc;
}

int seal_store_ca_add(seal_store *st, X509 *cert, X509 *issuer, const char *role, const char *actor)
{
    int rc = 0;
    SEAL_ENSURE(st && cert && issuer && role, SEAL_EINVAL, "no certificate to record");
    SEAL_TRY(store_begin(st));
    rc = store_ca_add_in_tx(st, cert, issuer, role, actor);
    if (rc < 0)
        store_rollback(st);
    else
        rc = store_commit(st);
out:
    return rc;
}

#define RECORD_COLUMNS                                                                             \
    "serial, issuer_key_id, issuer, subject, role, not_before, not_after, issued_at, state, "      \
    "revoked_at, reason, invalidity_date, replaced_by, cert_der"

static int read_record(seal_db_stmt *stmt, seal_ca_record *c)
{
    memset(c, 0, sizeof *c);
    c->serial = store_column_text(stmt, 0);
    c->issuer_key_id = store_column_text(stmt, 1);
    c->issuer = store_column_text(stmt, 2);
    c->subject = store_column_text(stmt, 3);
    c->role = store_column_text(stmt, 4);
    c->not_before = (time_t)store_column_int64(stmt, 5);
    c->not_after = (time_t)store_column_int64(stmt, 6);
    c->issued_at = (time_t)store_column_int64(stmt, 7);
    char *state = store_column_text(stmt, 8);
    c->state = state_of(state);
    g_free(state);
    c->revoked_at = (time_t)store_column_int64(stmt, 9);
    c->reason = seal_db_column_is_null(stmt, 10) ? -1 : (int)store_column_int64(stmt, 10);
    c->invalidity_date = (time_t)store_column_int64(stmt, 11);
    c->replaced_by = store_column_text(stmt, 12);
    return store_column_buf(stmt, 13, &c->der);
}

int seal_store_ca_find(seal_store *st, const char *serial_text, const char *issuer_key_id,
                       seal_ca_record *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char serial[SERIAL_MAX];
    seal_ca_record found = {0};
    SEAL_TRY(seal_serial_normalize(serial, sizeof serial, serial_text));
    SEAL_TRY(store_prepare(st, &stmt, "looking up a certificate",
                           issuer_key_id ? "SELECT " RECORD_COLUMNS " FROM ca_cert WHERE serial = "
                                           "?1 AND issuer_key_id = ?2 LIMIT 2"
                                         : "SELECT " RECORD_COLUMNS
                                           " FROM ca_cert WHERE serial = ?1 LIMIT 2"));
    seal_db_bind_text(stmt, 1, serial);
    if (issuer_key_id)
        seal_db_bind_text(stmt, 2, issuer_key_id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND,
                "the platform's CA never issued a certificate with serial %s", serial);
    SEAL_TRY(read_record(stmt, &found));
    step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_DONE, SEAL_EINVAL,
                "two CAs issued a certificate with serial %s; name the certificate file instead",
                serial);
    *out = found;
    memset(&found, 0, sizeof found);
out:
    seal_ca_record_clear(&found);
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_ca_listed(seal_store *st, const char *issuer_key_id, seal_ca_record **out, size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    GArray *list = g_array_new(FALSE, TRUE, sizeof(seal_ca_record));
    *out = NULL;
    *n = 0;
    SEAL_TRY(store_prepare(st, &stmt, "listing revoked certificates",
                           "SELECT " RECORD_COLUMNS " FROM ca_cert WHERE issuer_key_id = ?1 AND "
                           "state IN ('revoked', 'hold') ORDER BY revoked_at, serial"));
    seal_db_bind_text(stmt, 1, issuer_key_id);
    int step;
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        seal_ca_record c;
        rc = read_record(stmt, &c);
        g_array_append_val(list, c);
        if (rc < 0)
            goto out;
    }
    SEAL_TRY(step);
    *n = list->len;
    *out = (seal_ca_record *)g_array_free(list, FALSE);
    list = NULL;
out:
    if (list) {
        for (guint i = 0; i < list->len; i++)
            seal_ca_record_clear(&g_array_index(list, seal_ca_record, i));
        g_array_free(list, TRUE);
    }
    seal_db_finalize(stmt);
    return rc;
}

/* Runs a prepared change that must touch exactly one row. */
static int change_one(seal_db_stmt *stmt, const char *what, const char *serial)
{
    int rc = seal_db_step(stmt);
    if (rc < 0)
        return rc;
    if (seal_db_changes(stmt) != 1)
        return seal_error_set(SEAL_ESTORE, "cannot %s certificate %s: it is not in the CA database",
                              what, serial);
    return 0;
}

int store_ca_set_state(seal_store *st, const seal_ca_record *c, seal_ca_state state,
                       time_t revoked_at, int reason, time_t invalidity_date)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "changing a certificate's state",
                           "UPDATE ca_cert SET state = ?3, revoked_at = ?4, reason = ?5, "
                           "invalidity_date = ?6 WHERE issuer_key_id = ?1 AND serial = ?2"));
    seal_db_bind_text(stmt, 1, c->issuer_key_id);
    seal_db_bind_text(stmt, 2, c->serial);
    seal_db_bind_text(stmt, 3, seal_ca_state_name(state));
    seal_db_bind_null(stmt, 4);
    seal_db_bind_null(stmt, 5);
    seal_db_bind_null(stmt, 6);
    if (state != SEAL_CA_GOOD) {
        seal_db_bind_int64(stmt, 4, (int64_t)revoked_at);
        if (reason >= 0)
            seal_db_bind_int64(stmt, 5, reason);
        if (invalidity_date)
            seal_db_bind_int64(stmt, 6, (int64_t)invalidity_date);
    }
    SEAL_TRY(change_one(stmt, "change the state of", c->serial));
out:
    seal_db_finalize(stmt);
    return rc;
}

int store_ca_set_replaced(seal_store *st, const seal_ca_record *c, const char *by)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "recording a certificate's successor",
                           "UPDATE ca_cert SET replaced_by = ?3 WHERE issuer_key_id = ?1 AND "
                           "serial = ?2"));
    seal_db_bind_text(stmt, 1, c->issuer_key_id);
    seal_db_bind_text(stmt, 2, c->serial);
    seal_db_bind_text(stmt, 3, by);
    SEAL_TRY(change_one(stmt, "record the successor of", c->serial));
out:
    seal_db_finalize(stmt);
    return rc;
}

int store_ca_next_crl_number(seal_store *st, const char *issuer_key_id, uint64_t *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    /* One statement: two publishers never hand out the same number (RFC 5280 5.2.3). */
    SEAL_TRY(store_prepare(st, &stmt, "numbering the CRL",
                           "INSERT INTO ca_crl_number (issuer_key_id, last) VALUES (?1, 1) "
                           "ON CONFLICT (issuer_key_id) DO UPDATE SET last = ca_crl_number.last "
                           "+ 1 RETURNING last"));
    seal_db_bind_text(stmt, 1, issuer_key_id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ESTORE, "numbering the CRL gave no number");
    *out = (uint64_t)store_column_int64(stmt, 0);
    SEAL_TRY(seal_db_step(stmt));
out:
    seal_db_finalize(stmt);
    return rc;
}
