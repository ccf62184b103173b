/* The retention rule for identity data (docs/retention.md): how long the platform must keep
 * what it knows of each person and institution. The CFCA and CWCA agreements: at least
 * SEAL_RETENTION_YEARS years after the subscriber's last certificate expires. This file
 * works out that time; retention_erase.c deletes what is past it.
 *
 * A person is a resident ID: the person record with its MAC (person.c) and every personal
 * seal whose holder has the same MAC (holder.c). Their certificates: each such seal's (and
 * the ones the platform's CA renewed or re-keyed into it), with the seal's validity end.
 * An institution's: each of its seals', and every certificate the platform's CA issued
 * with its credit code in the subject's organizationIdentifier.
 *
 * Being conservative, the time counts from the latest of those certificates' ends and of
 * what else the platform records about the subscriber: the end of a role or a grant, an
 * application, an API key's end; registration only when there was never a certificate.
 * Something still going on (a role held, an open application, an API key in force, a
 * certificate that cannot be read, a holder whose number cannot be read) keeps the data
 * whatever the date. Every subject is read with a few queries: a review goes through all
 * of them, which is what a platform's few thousand people and institutions allow. */
#include "store/retention_internal.h"
#include "store/store_internal.h"

#include <seal/crypto.h>
#include <seal/error.h>
#include <seal/idnum.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include <string.h>

#define SECONDS_PER_DAY 86400

/* ---------------------------------------------------------------- calendar years */

/* Days since 1970-01-01 of a date in the proleptic Gregorian calendar, and back (the
 * era-based conversions of H. Hinnant's "chrono-Compatible Low-Level Date Algorithms"). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

time_t seal_retention_add_years(time_t t, int years)
{
    int64_t days = (int64_t)t / SECONDS_PER_DAY, secs = (int64_t)t % SECONDS_PER_DAY;
    if (secs < 0) {
        secs += SECONDS_PER_DAY;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    y += years;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (m == 2 && d == 29 && !leap) {
        m = 3;
        d = 1;
    }
    return (time_t)(days_from_civil(y, m, d) * SECONDS_PER_DAY + secs);
}

char *retention_time_text(time_t t)
{
    GDateTime *dt = g_date_time_new_from_unix_utc((gint64)t);
    char *text = dt ? g_date_time_format(dt, "%Y-%m-%dT%H:%M:%SZ") : NULL;
    if (dt)
        g_date_time_unref(dt);
    return text ? text : g_strdup_printf("@%lld", (long long)t);
}

/* ---------------------------------------------------------------- items */

void seal_retention_item_clear(seal_retention_item *item)
{
    if (!item)
        return;
    g_free(item->name);
    g_free(item->number);
    g_strfreev(item->seals);
    g_free(item->basis_what);
    g_free(item->held_by);
    memset(item, 0, sizeof *item);
}

void seal_retention_items_free(seal_retention_item *items, size_t n)
{
    for (size_t i = 0; items && i < n; i++)
        seal_retention_item_clear(&items[i]);
    g_free(items);
}

/* What the rule counts from: `t` when it is the latest so far (takes `what`). */
static void count(seal_retention_item *it, time_t t, char *what)
{
    if (!it->basis_what || t > it->basis) {
        g_free(it->basis_what);
        it->basis = t;
        it->basis_what = what;
    } else {
        g_free(what);
    }
}

/* Something that keeps the data whatever the date; the first one found is told. */
static void hold(seal_retention_item *it, char *why)
{
    if (!it->held_by)
        it->held_by = why;
    else
        g_free(why);
}

/* Each row of `stmt`, (text, time), counted at that time as PREFIX text SUFFIX; a NULL
 * time is skipped (an aggregate over no rows). */
static int count_rows(seal_db_stmt *stmt, seal_retention_item *it, const char *prefix,
                      const char *suffix)
{
    int step;
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        if (seal_db_column_is_null(stmt, 1))
            continue;
        char *text = store_column_text(stmt, 0);
        count(it, (time_t)store_column_int64(stmt, 1), g_strconcat(prefix, text, suffix, NULL));
        g_free(text);
    }
    return step < 0 ? step : 0;
}

/* A seal's certificates: its own, the ones the platform's CA renewed or re-keyed into it
 * (ca_cert.replaced_by, followed back), and the seal's validity end. *certified is set. */
static int count_seal(seal_store *st, seal_retention_item *it, const char *seal_id,
                      const seal_buf *cert_pem, time_t valid_end, bool *certified)
{
    int rc = 0;
    X509 *cert = NULL;
    char *serial = NULL;
    seal_db_stmt *stmt = NULL;
    time_t end = 0;
    *certified = true;
    if (seal_cert_load_mem(&cert, cert_pem->data, cert_pem->len) < 0 ||
        (end = seal_asn1_time(X509_get0_notAfter(cert))) == 0) {
        seal_error_clear();
        hold(it, g_strdup_printf("the certificate of seal %s cannot be read", seal_id));
        count(it, valid_end, g_strdup_printf("the end of seal %s's validity", seal_id));
        goto out;
    }
    count(it, end, g_strdup_printf("the end of the certificate of seal %s", seal_id));
    /* after the certificate, so that the certificate is named when the two ends agree */
    count(it, valid_end, g_strdup_printf("the end of seal %s's validity", seal_id));
    serial = seal_cert_serial_hex(cert);
    SEAL_ENSURE(serial, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(store_prepare(st, &stmt, "reading the certificates a seal's replaced",
                           "WITH RECURSIVE prior(serial) AS ("
                           "  SELECT serial FROM ca_cert WHERE replaced_by = CAST(?1 AS TEXT)"
                           "  UNION SELECT c.serial FROM ca_cert c JOIN prior p"
                           "  ON c.replaced_by = p.serial)"
                           " SELECT c.serial, c.not_after FROM ca_cert c"
                           " JOIN prior p ON c.serial = p.serial"));
    seal_db_bind_text(stmt, 1, serial);
    char *suffix = g_strdup_printf(", which seal %s's replaced", seal_id);
    rc = count_rows(stmt, it, "the end of certificate ", suffix);
    g_free(suffix);
out:
    seal_db_finalize(stmt);
    X509_free(cert);
    free(serial);
    return rc;
}

/* ---------------------------------------------------------------- people */

/* A personal seal's holder as the rule reads it. */
typedef struct holder_row {
    char *seal_id, *name;
    char mac[65];    /* "" when the number cannot be read */
    char masked[19]; /* "?" then */
    seal_buf cert_pem;
    time_t valid_end;
} holder_row;

/* A person: the person record (id 0: none) and the seals they hold. */
typedef struct person_group {
    seal_retention_item item;
    char mac[65]; /* "" for a holder whose number cannot be read: a person of its own */
    time_t created;
    GPtrArray *holders; /* holder_row *, borrowed from the list */
} person_group;

static void holder_rows_free(holder_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        g_free(rows[i].seal_id);
        g_free(rows[i].name);
        seal_buf_clear(&rows[i].cert_pem);
    }
    g_free(rows);
}

static void person_group_free(gpointer p)
{
    person_group *g = p;
    seal_retention_item_clear(&g->item);
    g_ptr_array_free(g->holders, TRUE);
    g_free(g);
}

static person_group *group_new(int64_t id, const char *name, const char *number, const char *mac)
{
    person_group *g = g_new0(person_group, 1);
    g->item.kind = SEAL_RETENTION_PERSON;
    g->item.id = id;
    g->item.name = g_strdup(name ? name : "");
    g->item.number = g_strdup(number ? number : "?");
    g_strlcpy(g->mac, mac ? mac : "", sizeof g->mac);
    g->holders = g_ptr_array_new();
    return g;
}

/* Every holder still holding identity data, in the order their seals were made; one whose
 * MAC was never written (made before schema version 9 and not matched then) is identified
 * here, in memory, if its number opens now. */
static int read_holders(seal_store *st, holder_row **out, size_t *n)
{
    int rc = 0, step;
    seal_db_stmt *stmt = NULL;
    GArray *list = g_array_new(FALSE, TRUE, sizeof(holder_row));
    *out = NULL;
    *n = 0;
    SEAL_TRY(store_prepare(st, &stmt, "reading the holders of personal seals",
                           "SELECT h.seal_id, h.name, h.id_lookup, h.id_masked, h.id_sealed, "
                           "s.cert_pem, s.valid_end FROM seal_holder h JOIN seal s "
                           "ON s.id = h.seal_id WHERE h.erased IS NULL ORDER BY s.created, "
                           "h.seal_id"));
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        holder_row h = {.seal_id = store_column_text(stmt, 0), .name = store_column_text(stmt, 1)};
        char *mac = store_column_text(stmt, 2), *masked = store_column_text(stmt, 3);
        g_strlcpy(h.mac, mac ? mac : "", sizeof h.mac);
        g_strlcpy(h.masked, masked ? masked : "?", sizeof h.masked);
        g_free(mac);
        g_free(masked);
        const uint8_t *sealed = NULL;
        size_t len = 0;
        if (!*h.mac && !seal_db_column_is_null(stmt, 4) &&
            (seal_db_column_blob(stmt, 4, &sealed, &len) < 0 ||
             store_holder_identify(st, h.seal_id, sealed, len, h.mac, h.masked) < 0)) {
            seal_error_clear();
            *h.mac = '\0';
            g_strlcpy(h.masked, "?", sizeof h.masked);
        }
        h.valid_end = (time_t)store_column_int64(stmt, 6);
        g_array_append_val(list, h);
        SEAL_TRY(
            store_column_buf(stmt, 5, &g_array_index(list, holder_row, list->len - 1).cert_pem));
    }
    SEAL_TRY(step);
out:
    seal_db_finalize(stmt);
    size_t len = list->len;
    holder_row *rows = (holder_row *)(void *)g_array_free(list, FALSE);
    if (rc < 0) {
        holder_rows_free(rows, len);
    } else {
        *out = rows;
        *n = len;
    }
    return rc;
}

/* People by id, then holders without a person record, by seal; `by_mac` finds them. */
static int read_people(seal_store *st, GPtrArray *groups, GHashTable *by_mac, holder_row *holders,
                       size_t n_holders)
{
    int rc = 0, step;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading people",
                           "SELECT id, name, id_lookup, id_masked, created FROM person "
                           "WHERE erased IS NULL ORDER BY id"));
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        char *name = store_column_text(stmt, 1), *mac = store_column_text(stmt, 2),
             *masked = store_column_text(stmt, 3);
        person_group *g = group_new(store_column_int64(stmt, 0), name, masked, mac);
        g->created = (time_t)store_column_int64(stmt, 4);
        g_ptr_array_add(groups, g);
        g_hash_table_insert(by_mac, g->mac, g);
        g_free(name);
        g_free(mac);
        g_free(masked);
    }
    SEAL_TRY(step);
    for (size_t i = 0; i < n_holders; i++) {
        holder_row *h = &holders[i];
        person_group *g = *h->mac ? g_hash_table_lookup(by_mac, h->mac) : NULL;
        if (!g) {
            g = group_new(0, h->name, h->masked, h->mac);
            g_ptr_array_add(groups, g);
            if (*g->mac)
                g_hash_table_insert(by_mac, g->mac, g);
        }
        g_ptr_array_add(g->holders, h);
    }
out:
    seal_db_finalize(stmt);
    return rc;
}

static int evaluate_person(seal_store *st, person_group *g)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    seal_retention_item *it = &g->item;
    bool certified = false;
    char target[40];
    it->seals = g_new0(char *, g->holders->len + 1);
    for (guint i = 0; i < g->holders->len; i++) {
        holder_row *h = g_ptr_array_index(g->holders, i);
        it->seals[i] = g_strdup(h->seal_id);
        SEAL_TRY(count_seal(st, it, h->seal_id, &h->cert_pem, h->valid_end, &certified));
    }
    if (!*g->mac)
        hold(it, g_strdup_printf("the resident ID of seal %s's holder cannot be read with this "
                                 "key-encryption key, so whose it is cannot be known",
                                 it->seals[0]));
    if (it->id) {
        SEAL_TRY(store_prepare(st, &stmt, "reading a person's roles",
                               "SELECT role, institution_id FROM person_role WHERE person_id = ?1 "
                               "ORDER BY institution_id, role"));
        seal_db_bind_int64(stmt, 1, it->id);
        int step = seal_db_step(stmt);
        SEAL_TRY(step);
        if (step == SEAL_DB_ROW) {
            char *role = store_column_text(stmt, 0);
            hold(it, g_strdup_printf("person %lld is %s of institution %lld", (long long)it->id,
                                     role, (long long)store_column_int64(stmt, 1)));
            g_free(role);
        }
        seal_db_finalize(stmt);
        stmt = NULL;
        /* A role taken away leaves only its audit record (person.c, role-revoke). */
        snprintf(target, sizeof target, "person:%lld", (long long)it->id);
        SEAL_TRY(store_prepare(st, &stmt, "reading the end of a person's roles",
                               "SELECT '', MAX(at) FROM audit WHERE target = ?1 AND action = "
                               "'role-revoke'"));
        seal_db_bind_text(stmt, 1, target);
        SEAL_TRY(count_rows(stmt, it, "the end of a role", ""));
        seal_db_finalize(stmt);
        stmt = NULL;
        SEAL_TRY(store_prepare(st, &stmt, "reading a person's grants",
                               "SELECT CAST(id AS TEXT), not_after FROM seal_grant WHERE "
                               "grantor_id = ?1 OR grantee_id = ?1 UNION ALL SELECT CAST(id AS "
                               "TEXT), created FROM seal_grant WHERE grantor_id = ?1 OR "
                               "grantee_id = ?1"));
        seal_db_bind_int64(stmt, 1, it->id);
        SEAL_TRY(count_rows(stmt, it, "grant ", ""));
        if (!certified)
            count(it, g->created, g_strdup("the registration (no certificate)"));
    }
    it->keep_until = seal_retention_add_years(it->basis, SEAL_RETENTION_YEARS);
out:
    seal_db_finalize(stmt);
    return rc;
}

/* Whether review_people was asked for `g`: everyone, the person `person_id`, or the holder
 * without a person record whose first seal is `seal_id`. */
static bool wanted(const person_group *g, int64_t person_id, const char *seal_id)
{
    if (person_id)
        return g->item.id == person_id;
    if (seal_id)
        return !g->item.id && g->holders->len > 0 &&
               strcmp(((holder_row *)g_ptr_array_index(g->holders, 0))->seal_id, seal_id) == 0;
    return true;
}

/* Reads the people (all of them, or the one with `person_id`, or the holder of `seal_id`
 * without a person record) under the rule at `at` into `items` (seal_retention_item *,
 * taken from the groups). A holder whose number cannot be read may be anyone: until its
 * own time is past, nobody's data is due. */
static int review_people(seal_store *st, time_t at, int64_t person_id, const char *seal_id,
                         GArray *items)
{
    int rc = 0;
    holder_row *holders = NULL;
    size_t n_holders = 0;
    GPtrArray *groups = g_ptr_array_new_with_free_func(person_group_free);
    GHashTable *by_mac = g_hash_table_new(g_str_hash, g_str_equal);
    char *unknown_seal = NULL; /* the first unreadable holder whose time is not past */
    time_t unknown_until = 0;
    SEAL_TRY(read_holders(st, &holders, &n_holders));
    SEAL_TRY(read_people(st, groups, by_mac, holders, n_holders));
    for (guint i = 0; i < groups->len; i++) {
        person_group *g = g_ptr_array_index(groups, i);
        if (!wanted(g, person_id, seal_id) && *g->mac)
            continue;
        SEAL_TRY(evaluate_person(st, g));
        if (!*g->mac && g->item.keep_until > at && !unknown_seal) {
            unknown_seal = g_strdup(g->item.seals[0]);
            unknown_until = g->item.keep_until;
        }
    }
    for (guint i = 0; i < groups->len; i++) {
        person_group *g = g_ptr_array_index(groups, i);
        if (!wanted(g, person_id, seal_id) || !g->item.seals)
            continue;
        if (unknown_seal && strcmp(g->item.seals[0] ? g->item.seals[0] : "", unknown_seal)) {
            char *until = retention_time_text(unknown_until);
            hold(&g->item, g_strdup_printf("the resident ID of seal %s's holder cannot be read, "
                                           "and until %s it may be this person's",
                                           unknown_seal, until));
            g_free(until);
        }
        g->item.due = !g->item.held_by && g->item.keep_until <= at;
        g_array_append_val(items, g->item);
        memset(&g->item, 0, sizeof g->item);
    }
out:
    g_free(unknown_seal);
    g_hash_table_destroy(by_mac);
    g_ptr_array_free(groups, TRUE);
    holder_rows_free(holders, n_holders);
    return rc;
}

/* ---------------------------------------------------------------- institutions */

/* Whether `cert_der` names `code` in an organizationIdentifier of its subject (2.5.4.97),
 * as it is or in the ETSI EN 319 412-1 5.1.4 form "NTRCN-<code>". */
static bool names_institution(const uint8_t *der, size_t len, const char *code)
{
    X509 *cert = NULL;
    bool found = false;
    if (seal_cert_load_mem(&cert, der, len) < 0) {
        seal_error_clear();
        return false;
    }
    const X509_NAME *subject = X509_get_subject_name(cert);
    for (int i = -1;
         !found && (i = X509_NAME_get_index_by_NID(subject, NID_organizationIdentifier, i)) >= 0;) {
        unsigned char *utf8 = NULL;
        if (ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i))) <
            0)
            continue;
        const char *named = (const char *)utf8;
        if (strncmp(named, "NTRCN-", 6) == 0)
            named += 6;
        found = strcmp(named, code) == 0;
        OPENSSL_free(utf8);
    }
    X509_free(cert);
    return found;
}

/* Each seal of the institution, with its certificates. */
static int count_institution_seals(seal_store *st, seal_retention_item *it, bool *certified)
{
    int rc = 0, step;
    seal_db_stmt *stmt = NULL;
    seal_buf pem = SEAL_BUF_INIT;
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    GArray *ends = g_array_new(FALSE, FALSE, sizeof(time_t));
    GPtrArray *pems = g_ptr_array_new_with_free_func(g_free);
    SEAL_TRY(store_prepare(st, &stmt, "reading an institution's seals",
                           "SELECT id, valid_end, cert_pem FROM seal WHERE institution_id = ?1 "
                           "ORDER BY created, id"));
    seal_db_bind_int64(stmt, 1, it->id);
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        time_t end = (time_t)store_column_int64(stmt, 1);
        g_ptr_array_add(ids, store_column_text(stmt, 0));
        g_array_append_val(ends, end);
        g_ptr_array_add(pems, store_column_text(stmt, 2));
    }
    SEAL_TRY(step);
    seal_db_finalize(stmt);
    stmt = NULL;
    for (guint i = 0; i < ids->len; i++) {
        const char *text = g_ptr_array_index(pems, i);
        SEAL_TRY(seal_buf_set(&pem, text, text ? strlen(text) : 0));
        SEAL_TRY(count_seal(st, it, g_ptr_array_index(ids, i), &pem, g_array_index(ends, time_t, i),
                            certified));
    }
out:
    seal_db_finalize(stmt);
    seal_buf_clear(&pem);
    g_ptr_array_free(ids, TRUE);
    g_array_free(ends, TRUE);
    g_ptr_array_free(pems, TRUE);
    return rc;
}

/* Every certificate the platform's CA issued to the institution (its old ones too). */
static int count_ca_certs(seal_store *st, seal_retention_item *it, bool *certified)
{
    int rc = 0, step;
    seal_db_stmt *stmt = NULL;
    char *pattern = g_strdup_printf("%%%s%%", it->number);
    SEAL_TRY(
        store_prepare(st, &stmt, "reading the certificates issued to an institution",
                      "SELECT serial, not_after, cert_der FROM ca_cert WHERE subject LIKE ?1"));
    seal_db_bind_text(stmt, 1, pattern);
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        const uint8_t *der = NULL;
        size_t len = 0;
        if (seal_db_column_blob(stmt, 2, &der, &len) < 0 ||
            !names_institution(der, len, it->number)) {
            seal_error_clear();
            continue;
        }
        char *serial = store_column_text(stmt, 0);
        count(it, (time_t)store_column_int64(stmt, 1),
              g_strdup_printf("the end of certificate %s the platform's CA issued to it", serial));
        g_free(serial);
        *certified = true;
    }
    SEAL_TRY(step);
out:
    seal_db_finalize(stmt);
    g_free(pattern);
    return rc;
}

/* Roles held in it, applications, API keys acting for it, grants of its seals. */
static int count_institution_dealings(seal_store *st, seal_retention_item *it, time_t at)
{
    int rc = 0, step;
    seal_db_stmt *stmt = NULL;
    char *pattern = g_strdup_printf("%%(%s)", it->number);
    SEAL_TRY(store_prepare(st, &stmt, "reading the roles in an institution",
                           "SELECT person_id, role FROM person_role WHERE institution_id = ?1 "
                           "ORDER BY person_id, role"));
    seal_db_bind_int64(stmt, 1, it->id);
    step = seal_db_step(stmt);
    SEAL_TRY(step);
    if (step == SEAL_DB_ROW) {
        char *role = store_column_text(stmt, 1);
        hold(it, g_strdup_printf("person %lld is %s of it", (long long)store_column_int64(stmt, 0),
                                 role));
        g_free(role);
    }
    seal_db_finalize(stmt);
    /* A role taken away leaves only its audit record, whose detail ends in the credit code
     * in brackets (person.c, role-revoke). */
    SEAL_TRY(store_prepare(st, &stmt, "reading the end of the roles in an institution",
                           "SELECT '', MAX(at) FROM audit WHERE action = 'role-revoke' AND "
                           "detail LIKE ?1"));
    seal_db_bind_text(stmt, 1, pattern);
    SEAL_TRY(count_rows(stmt, it, "the end of a role in it", ""));
    seal_db_finalize(stmt);
    SEAL_TRY(store_prepare(st, &stmt, "reading an institution's applications",
                           "SELECT a.id, a.applied, (SELECT e.to_state FROM seal_event e WHERE "
                           "e.seal_id = a.id ORDER BY e.at DESC, e.id DESC LIMIT 1), (SELECT "
                           "MAX(e.at) FROM seal_event e WHERE e.seal_id = a.id) FROM "
                           "seal_application a WHERE a.institution_id = ?1"));
    seal_db_bind_int64(stmt, 1, it->id);
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        char *id = store_column_text(stmt, 0), *state = store_column_text(stmt, 2);
        count(it, (time_t)store_column_int64(stmt, 1),
              g_strdup_printf("the application for seal %s", id));
        if (!seal_db_column_is_null(stmt, 3))
            count(it, (time_t)store_column_int64(stmt, 3),
                  g_strdup_printf("the last change of seal %s", id));
        if (state && strcmp(state, "applied") == 0)
            hold(it, g_strdup_printf("the application for seal %s is open", id));
        g_free(id);
        g_free(state);
    }
    SEAL_TRY(step);
    seal_db_finalize(stmt);
    SEAL_TRY(store_prepare(st, &stmt, "reading the API keys of an institution",
                           "SELECT id, created, expires, revoked FROM api_key WHERE "
                           "institution = ?1"));
    seal_db_bind_text(stmt, 1, it->number);
    while ((step = seal_db_step(stmt)) == SEAL_DB_ROW) {
        char *id = store_column_text(stmt, 0);
        time_t expires = (time_t)store_column_int64(stmt, 2),
               revoked = (time_t)store_column_int64(stmt, 3);
        count(it, (time_t)store_column_int64(stmt, 1), g_strdup_printf("API key %s", id));
        if (revoked)
            count(it, revoked, g_strdup_printf("the revocation of API key %s", id));
        else if (expires && expires <= at)
            count(it, expires, g_strdup_printf("the end of API key %s", id));
        else
            hold(it, g_strdup_printf("API key %s acts for it", id));
        g_free(id);
    }
    SEAL_TRY(step);
    seal_db_finalize(stmt);
    SEAL_TRY(store_prepare(st, &stmt, "reading the grants of an institution's seals",
                           "SELECT CAST(g.id AS TEXT), g.not_after FROM seal_grant g JOIN seal s "
                           "ON s.id = g.seal_id WHERE s.institution_id = ?1 UNION ALL SELECT "
                           "CAST(g.id AS TEXT), g.created FROM seal_grant g JOIN seal s ON s.id "
                           "= g.seal_id WHERE s.institution_id = ?1"));
    seal_db_bind_int64(stmt, 1, it->id);
    SEAL_TRY(count_rows(stmt, it, "grant ", ""));
out:
    seal_db_finalize(stmt);
    g_free(pattern);
    return rc;
}

static int read_institution(seal_db_stmt *stmt, void *record)
{
    seal_retention_item *it = record;
    it->kind = SEAL_RETENTION_INSTITUTION;
    it->id = store_column_int64(stmt, 0);
    it->name = store_column_text(stmt, 1);
    it->number = store_column_text(stmt, 2);
    /* the registration, kept in basis until the certificates are known */
    it->basis = (time_t)store_column_int64(stmt, 3);
    return it->name && it->number ? 0 : seal_error_set(SEAL_ENOMEM, "out of memory");
}

static void free_institution_items(void *records, size_t n)
{
    seal_retention_items_free(records, n);
}

/* The institutions (all, or the one with `id`) under the rule at `at`, into `items`. */
static int review_institutions(seal_store *st, time_t at, int64_t id, GArray *items)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    seal_retention_item *list = NULL;
    size_t n = 0;
    SEAL_TRY(store_prepare(st, &stmt, "reading institutions",
                           "SELECT id, name, credit_code, created FROM institution WHERE erased "
                           "IS NULL AND (?1 = 0 OR id = ?1) ORDER BY id"));
    seal_db_bind_int64(stmt, 1, id);
    SEAL_TRY(store_read_all(stmt, sizeof *list, read_institution, free_institution_items,
                            (void **)&list, &n));
    for (size_t i = 0; i < n; i++) {
        seal_retention_item *it = &list[i];
        time_t registered = it->basis;
        bool certified = false;
        it->basis = 0;
        SEAL_TRY(count_institution_seals(st, it, &certified));
        SEAL_TRY(count_ca_certs(st, it, &certified));
        SEAL_TRY(count_institution_dealings(st, it, at));
        if (!certified)
            count(it, registered, g_strdup("the registration (no certificate)"));
        it->keep_until = seal_retention_add_years(it->basis, SEAL_RETENTION_YEARS);
        it->due = !it->held_by && it->keep_until <= at;
    }
    g_array_append_vals(items, list, (guint)n);
    g_free(list);
    list = NULL;
    n = 0;
out:
    seal_db_finalize(stmt);
    seal_retention_items_free(list, n);
    return rc;
}

/* ---------------------------------------------------------------- the review */

static int take_items(GArray *items, int rc, seal_retention_item **out, size_t *n)
{
    size_t len = items->len;
    seal_retention_item *list = (seal_retention_item *)(void *)g_array_free(items, FALSE);
    if (rc < 0) {
        seal_retention_items_free(list, len);
        return rc;
    }
    *out = list;
    *n = len;
    return 0;
}

int seal_retention_review(seal_store *st, time_t at, seal_retention_item **out, size_t *n)
{
    GArray *items = g_array_new(FALSE, TRUE, sizeof(seal_retention_item));
    *out = NULL;
    *n = 0;
    int rc = review_people(st, at, 0, NULL, items);
    if (rc == 0)
        rc = review_institutions(st, at, 0, items);
    return take_items(items, rc, out, n);
}

/* The one item `items` holds (moved into *out), *found saying whether there was one. */
static int take_one(GArray *items, int rc, seal_retention_item *out, bool *found)
{
    seal_retention_item *list = NULL;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    *found = false;
    rc = take_items(items, rc, &list, &n);
    if (rc == 0 && n > 0) {
        *out = list[0];
        memset(&list[0], 0, sizeof list[0]);
        *found = true;
    }
    seal_retention_items_free(list, n);
    return rc;
}

int retention_person(seal_store *st, time_t at, int64_t person_id, const char *seal_id,
                     seal_retention_item *out, bool *found)
{
    GArray *items = g_array_new(FALSE, TRUE, sizeof(seal_retention_item));
    int rc = review_people(st, at, person_id, person_id ? NULL : seal_id, items);
    return take_one(items, rc, out, found);
}

int retention_institution(seal_store *st, time_t at, int64_t id, seal_retention_item *out,
                          bool *found)
{
    GArray *items = g_array_new(FALSE, TRUE, sizeof(seal_retention_item));
    int rc = id > 0 ? review_institutions(st, at, id, items) : 0;
    return take_one(items, rc, out, found);
}
