/* People and their roles in institutions (DESIGN.md: the platform's administrators
 * register institutions and the people who act for them). A person has a name, a resident
 * identity number (GB 11643-1999, checked) and optionally a mainland mobile number; both
 * numbers are personal data, so they rest only as ciphertext sealed by holder.c's
 * store_id_encrypt under the KEK-derived key (the person's id and the field as associated
 * data, so a value copied to another row or field does not open), beside their masked
 * forms, which are all that listings, messages and the audit trail ever show. A MAC of the
 * resident ID (id_lookup, HMAC-SHA256 under another KEK-derived key) finds a person by
 * number and keeps anyone from being registered twice, without the number in the
 * database.
 *
 * Roles: legal representative (one per institution), seal administrator (at most
 * SEAL_MAX_SEAL_ADMINISTRATORS per institution, as the business-licence e-seal rules
 * allow), handler. A limit is counted and the role added in one transaction under the
 * writer lock "roles:INSTITUTION", so two administrators adding at once cannot pass it.
 * Every change is audited in its own transaction (store_audit_in_tx). grant.c asks
 * store_person_has_role who may grant and who may be granted a seal. */
#include "store/store_internal.h"

#include <seal/error.h>
#include <seal/idnum.h>

#include <glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define LOOKUP_LABEL   "sealsvc person resident id lookup v1"
#define PERSON_COLUMNS "id, name, id_masked, mobile_masked, created, erased"

static const char *const role_names[] = {"legal-representative", "seal-administrator", "handler"};

int seal_role_check(const char *role)
{
    for (size_t i = 0; role && i < G_N_ELEMENTS(role_names); i++)
        if (strcmp(role, role_names[i]) == 0)
            return 0;
    return seal_error_set(SEAL_EINVAL,
                          "a person's role in an institution is legal-representative, "
                          "seal-administrator or handler, not '%s'",
                          role ? role : "");
}

/* Lower-case hex of HMAC-SHA256(HMAC-SHA256(KEK, LOOKUP_LABEL), resident ID), the ID's
 * check character written as GB 11643-1999 7.2 does (capital X). */
int store_person_lookup_mac(seal_store *st, const char *resident_id, char out[65])
{
    int rc = 0;
    seal_buf kek = SEAL_BUF_INIT;
    uint8_t derived[EVP_MAX_MD_SIZE], mac[EVP_MAX_MD_SIZE];
    unsigned derived_len = 0, mac_len = 0;
    char id[19];
    g_strlcpy(id, resident_id, sizeof id);
    if (id[17] == 'x')
        id[17] = 'X';
    SEAL_TRY(store_kek_read(seal_store_data_dir(st), &kek));
    SEAL_ENSURE(HMAC(EVP_sha256(), kek.data, (int)kek.len, (const uint8_t *)LOOKUP_LABEL,
                     strlen(LOOKUP_LABEL), derived, &derived_len) &&
                    HMAC(EVP_sha256(), derived, (int)derived_len, (const uint8_t *)id, strlen(id),
                         mac, &mac_len) &&
                    mac_len == 32,
                SEAL_ECRYPTO, "cannot compute the lookup value of a resident ID");
    for (unsigned i = 0; i < mac_len; i++)
        snprintf(out + 2 * i, 3, "%02x", mac[i]);
out:
    OPENSSL_cleanse(derived, sizeof derived);
    OPENSSL_cleanse(id, sizeof id);
    seal_buf_clear_secret(&kek);
    return rc;
}

/* The associated data a person's number is sealed with: "person:ID:FIELD". */
static void sealed_for(char out[64], int64_t id, const char *field)
{
    snprintf(out, 64, "person:%lld:%s", (long long)id, field);
}

static int seal_number(seal_store *st, seal_buf *out, int64_t id, const char *field,
                       const char *plain)
{
    int rc = 0;
    seal_buf kek = SEAL_BUF_INIT;
    char ad[64];
    sealed_for(ad, id, field);
    SEAL_TRY(store_kek_read(seal_store_data_dir(st), &kek));
    SEAL_TRY(store_id_encrypt(out, kek.data, kek.len, ad, plain));
out:
    seal_buf_clear_secret(&kek);
    return rc;
}

void seal_person_record_clear(seal_person_record *p)
{
    if (!p)
        return;
    g_free(p->name);
    memset(p, 0, sizeof *p);
}

void seal_person_records_free(seal_person_record *p, size_t n)
{
    for (size_t i = 0; p && i < n; i++)
        seal_person_record_clear(&p[i]);
    g_free(p);
}

static int read_person(seal_db_stmt *stmt, void *record)
{
    seal_person_record *p = record;
    memset(p, 0, sizeof *p);
    p->id = store_column_int64(stmt, 0);
    p->name = store_column_text(stmt, 1);
    char *id = store_column_text(stmt, 2), *mobile = store_column_text(stmt, 3);
    g_strlcpy(p->id_masked, id ? id : "", sizeof p->id_masked);
    g_strlcpy(p->mobile_masked, mobile ? mobile : "", sizeof p->mobile_masked);
    g_free(id);
    g_free(mobile);
    p->created = (time_t)store_column_int64(stmt, 4);
    p->erased = (time_t)store_column_int64(stmt, 5);
    return 0;
}

int seal_store_person_add(seal_store *st, const char *name, const char *resident_id,
                          const char *mobile, const char *actor, int64_t *id_out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    seal_buf id_sealed = SEAL_BUF_INIT, mobile_sealed = SEAL_BUF_INIT;
    char mac[65], id_masked[19], mobile_masked[12] = "";
    int64_t id = 0;
    bool in_tx = false;
    SEAL_ENSURE(name && *name && g_utf8_validate(name, -1, NULL) && strlen(name) <= 200,
                SEAL_EINVAL, "a person needs a name in UTF-8 (at most 200 bytes)");
    rc = seal_resident_id_check(resident_id);
    if (rc < 0) {
        seal_error_wrap(rc, "the resident ID of %s", name);
        goto out;
    }
    if (mobile) {
        rc = seal_mobile_check(mobile);
        if (rc < 0) {
            seal_error_wrap(rc, "the mobile number of %s", name);
            goto out;
        }
        seal_mobile_mask(mobile, mobile_masked);
    }
    seal_resident_id_mask(resident_id, id_masked);
    SEAL_TRY(store_person_lookup_mac(st, resident_id, mac));
    SEAL_TRY(store_begin(st));
    in_tx = true;
    /* The id is the associated data of the sealed numbers: the row first, then them. */
    SEAL_TRY(
        store_prepare(st, &stmt, "registering a person",
                      "INSERT INTO person (name, id_lookup, id_masked, mobile_masked, created) "
                      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id_lookup) DO NOTHING "
                      "RETURNING id"));
    seal_db_bind_text(stmt, 1, name);
    seal_db_bind_text(stmt, 2, mac);
    seal_db_bind_text(stmt, 3, id_masked);
    seal_db_bind_text(stmt, 4, mobile ? mobile_masked : NULL);
    seal_db_bind_int64(stmt, 5, (int64_t)time(NULL));
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_EEXISTS,
                "a person with resident ID %s is registered already ('sealsvc person list')",
                id_masked);
    id = store_column_int64(stmt, 0);
    seal_db_finalize(stmt);
    stmt = NULL;
    SEAL_TRY(seal_number(st, &id_sealed, id, "resident-id", resident_id));
    if (mobile)
        SEAL_TRY(seal_number(st, &mobile_sealed, id, "mobile", mobile));
    SEAL_TRY(store_prepare(st, &stmt, "registering a person",
                           "UPDATE person SET id_sealed = ?2, mobile_sealed = ?3 WHERE id = ?1"));
    seal_db_bind_int64(stmt, 1, id);
    seal_db_bind_blob(stmt, 2, id_sealed.data, id_sealed.len);
    if (mobile)
        seal_db_bind_blob(stmt, 3, mobile_sealed.data, mobile_sealed.len);
    else
        seal_db_bind_null(stmt, 3);
    SEAL_TRY(seal_db_step(stmt));
    char target[40];
    snprintf(target, sizeof target, "person:%lld", (long long)id);
    SEAL_TRY(store_audit_in_tx(st, actor ? actor : "unknown", "person-add", target,
                               "%s, resident ID %s%s%s", name, id_masked, mobile ? ", mobile " : "",
                               mobile ? mobile_masked : ""));
    rc = store_commit(st);
    in_tx = false;
    if (rc == 0 && id_out)
        *id_out = id;
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    seal_buf_clear(&id_sealed);
    seal_buf_clear(&mobile_sealed);
    return rc;
}

int seal_store_person_get(seal_store *st, int64_t id, seal_person_record *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    memset(out, 0, sizeof *out);
    SEAL_TRY(store_prepare(st, &stmt, "reading a person",
                           "SELECT " PERSON_COLUMNS " FROM person WHERE id = ?1"));
    seal_db_bind_int64(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "there is no person %lld", (long long)id);
    read_person(stmt, out);
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_person_find(seal_store *st, const char *resident_id, seal_person_record *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    char mac[65], masked[19];
    memset(out, 0, sizeof *out);
    rc = seal_resident_id_check(resident_id);
    if (rc < 0) {
        seal_error_wrap(rc, "finding a person");
        goto out;
    }
    seal_resident_id_mask(resident_id, masked);
    SEAL_TRY(store_person_lookup_mac(st, resident_id, mac));
    SEAL_TRY(store_prepare(st, &stmt, "finding a person",
                           "SELECT " PERSON_COLUMNS " FROM person WHERE id_lookup = ?1"));
    seal_db_bind_text(stmt, 1, mac);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "no person with resident ID %s is registered",
                masked);
    read_person(stmt, out);
out:
    seal_db_finalize(stmt);
    return rc;
}

static void free_people(void *records, size_t n)
{
    seal_person_records_free(records, n);
}

int seal_store_person_list(seal_store *st, seal_person_record **out, size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *out = NULL;
    *n = 0;
    SEAL_TRY(store_prepare(st, &stmt, "listing people",
                           "SELECT " PERSON_COLUMNS " FROM person ORDER BY id"));
    SEAL_TRY(store_read_all(stmt, sizeof(seal_person_record), read_person, free_people,
                            (void **)out, n));
out:
    seal_db_finalize(stmt);
    return rc;
}

int store_person_numbers(seal_store *st, int64_t id, char **resident_id_out, char **mobile_out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    seal_buf kek = SEAL_BUF_INIT;
    const uint8_t *data = NULL;
    size_t len = 0;
    char ad[64];
    *resident_id_out = NULL;
    if (mobile_out)
        *mobile_out = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "reading a person",
                           "SELECT id_sealed, mobile_sealed FROM person WHERE id = ?1"));
    seal_db_bind_int64(stmt, 1, id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    SEAL_ENSURE(step == SEAL_DB_ROW, SEAL_ENOTFOUND, "there is no person %lld", (long long)id);
    SEAL_ENSURE(!seal_db_column_is_null(stmt, 0), SEAL_ENOTFOUND,
                "the numbers of person %lld were deleted (their retention time was past)",
                (long long)id);
    SEAL_TRY(store_kek_read(seal_store_data_dir(st), &kek));
    SEAL_TRY(seal_db_column_blob(stmt, 0, &data, &len));
    sealed_for(ad, id, "resident-id");
    rc = store_id_decrypt(resident_id_out, kek.data, kek.len, ad, data, len);
    if (rc < 0) {
        seal_error_set(rc,
                       "the stored resident ID of person %lld does not decrypt: it was altered, "
                       "belongs to another person, or the key-encryption key is not the one it "
                       "was stored under",
                       (long long)id);
        goto out;
    }
    if (mobile_out && !seal_db_column_is_null(stmt, 1)) {
        SEAL_TRY(seal_db_column_blob(stmt, 1, &data, &len));
        sealed_for(ad, id, "mobile");
        rc = store_id_decrypt(mobile_out, kek.data, kek.len, ad, data, len);
        if (rc < 0) {
            seal_error_set(rc, "the stored mobile number of person %lld does not decrypt",
                           (long long)id);
            goto out;
        }
    }
out:
    if (rc < 0) {
        if (*resident_id_out)
            OPENSSL_cleanse(*resident_id_out, strlen(*resident_id_out));
        g_clear_pointer(resident_id_out, g_free);
    }
    seal_db_finalize(stmt);
    seal_buf_clear_secret(&kek);
    return rc;
}

/* ---------------------------------------------------------------- institutions */

void seal_institution_records_free(seal_institution_record *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++) {
        g_free(r[i].name);
        g_free(r[i].credit_code);
    }
    g_free(r);
}

static int read_institution(seal_db_stmt *stmt, void *record)
{
    seal_institution_record *r = record;
    *r = (seal_institution_record){
        .id = store_column_int64(stmt, 0),
        .name = store_column_text(stmt, 1),
        .credit_code = store_column_text(stmt, 2),
        .created = (time_t)store_column_int64(stmt, 3),
        .erased = (time_t)store_column_int64(stmt, 4),
    };
    return 0;
}

static void free_institutions(void *records, size_t n)
{
    seal_institution_records_free(records, n);
}

int seal_store_institution_register(seal_store *st, const char *name, const char *credit_code,
                                    const char *actor, int64_t *id_out)
{
    int rc = 0;
    int64_t id = 0;
    bool in_tx = false;
    SEAL_TRY(seal_credit_code_check(credit_code));
    SEAL_TRY(store_begin(st));
    in_tx = true;
    SEAL_TRY(seal_store_add_institution(st, name, credit_code, &id));
    char target[40];
    snprintf(target, sizeof target, "institution:%lld", (long long)id);
    SEAL_TRY(store_audit_in_tx(st, actor ? actor : "unknown", "institution-add", target,
                               "%s, credit code %s", name, credit_code));
    rc = store_commit(st);
    in_tx = false;
    if (rc == 0 && id_out)
        *id_out = id;
out:
    if (in_tx)
        store_rollback(st);
    return rc;
}

int seal_store_institution_list(seal_store *st, seal_institution_record **out, size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *out = NULL;
    *n = 0;
    SEAL_TRY(store_prepare(st, &stmt, "listing institutions",
                           "SELECT id, name, credit_code, created, erased FROM institution "
                           "ORDER BY id"));
    SEAL_TRY(store_read_all(stmt, sizeof(seal_institution_record), read_institution,
                            free_institutions, (void **)out, n));
out:
    seal_db_finalize(stmt);
    return rc;
}

/* ---------------------------------------------------------------- roles */

int store_person_has_role(seal_store *st, int64_t institution_id, int64_t person_id,
                          const char *role, bool *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *out = false;
    if (role) {
        SEAL_TRY(store_prepare(st, &stmt, "reading a person's roles",
                               "SELECT count(*) FROM person_role WHERE institution_id = ?1 AND "
                               "person_id = ?2 AND role = ?3"));
        seal_db_bind_text(stmt, 3, role);
    } else {
        SEAL_TRY(store_prepare(st, &stmt, "reading a person's roles",
                               "SELECT count(*) FROM person_role WHERE institution_id = ?1 AND "
                               "person_id = ?2"));
    }
    seal_db_bind_int64(stmt, 1, institution_id);
    seal_db_bind_int64(stmt, 2, person_id);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    *out = step == SEAL_DB_ROW && store_column_int64(stmt, 0) > 0;
out:
    seal_db_finalize(stmt);
    return rc;
}

static int count_role(seal_store *st, int64_t institution_id, const char *role, int64_t *out)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    SEAL_TRY(store_prepare(st, &stmt, "counting an institution's roles",
                           "SELECT count(*) FROM person_role WHERE institution_id = ?1 AND "
                           "role = ?2"));
    seal_db_bind_int64(stmt, 1, institution_id);
    seal_db_bind_text(stmt, 2, role);
    int step = seal_db_step(stmt);
    SEAL_TRY(step);
    *out = step == SEAL_DB_ROW ? store_column_int64(stmt, 0) : 0;
out:
    seal_db_finalize(stmt);
    return rc;
}

int seal_store_role_grant(seal_store *st, const char *credit_code, int64_t person_id,
                          const char *role, const char *actor)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    seal_person_record p = {0};
    int64_t inst = 0;
    char *inst_name = NULL;
    bool in_tx = false, has = false;
    char lock[48];
    SEAL_TRY(seal_role_check(role));
    SEAL_TRY(seal_store_find_institution(st, credit_code, &inst, &inst_name));
    SEAL_TRY(seal_store_person_get(st, person_id, &p));
    SEAL_TRY(store_begin(st));
    in_tx = true;
    snprintf(lock, sizeof lock, "roles:%lld", (long long)inst);
    SEAL_TRY(seal_db_lock(store_db(st), lock));
    SEAL_TRY(store_person_has_role(st, inst, person_id, role, &has));
    SEAL_ENSURE(!has, SEAL_EEXISTS, "person %lld (%s) is %s of %s already", (long long)person_id,
                p.name, role, inst_name);
    int64_t n = 0;
    if (strcmp(role, "legal-representative") == 0) {
        SEAL_TRY(count_role(st, inst, role, &n));
        SEAL_ENSURE(n == 0, SEAL_EPOLICY,
                    "%s has a legal representative already: an institution has one ('sealsvc "
                    "person role-remove' the present one first)",
                    inst_name);
    } else if (strcmp(role, "seal-administrator") == 0) {
        SEAL_TRY(count_role(st, inst, role, &n));
        SEAL_ENSURE(n < SEAL_MAX_SEAL_ADMINISTRATORS, SEAL_EPOLICY,
                    "%s has %lld seal administrators already, the most an institution may have",
                    inst_name, (long long)n);
    }
    SEAL_TRY(store_prepare(st, &stmt, "giving a person a role",
                           "INSERT INTO person_role (institution_id, person_id, role, since) "
                           "VALUES (?1, ?2, ?3, ?4)"));
    seal_db_bind_int64(stmt, 1, inst);
    seal_db_bind_int64(stmt, 2, person_id);
    seal_db_bind_text(stmt, 3, role);
    seal_db_bind_int64(stmt, 4, (int64_t)time(NULL));
    SEAL_TRY(seal_db_step(stmt));
    char target[40];
    snprintf(target, sizeof target, "person:%lld", (long long)person_id);
    SEAL_TRY(store_audit_in_tx(st, actor ? actor : "unknown", "role-grant", target,
                               "%s becomes %s of %s (%s)", p.name, role, inst_name, credit_code));
    rc = store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    seal_person_record_clear(&p);
    g_free(inst_name);
    return rc;
}

int seal_store_role_revoke(seal_store *st, const char *credit_code, int64_t person_id,
                           const char *role, const char *actor)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    int64_t inst = 0;
    char *inst_name = NULL;
    bool in_tx = false;
    SEAL_TRY(seal_role_check(role));
    SEAL_TRY(seal_store_find_institution(st, credit_code, &inst, &inst_name));
    SEAL_TRY(store_begin(st));
    in_tx = true;
    SEAL_TRY(store_prepare(st, &stmt, "taking a person's role",
                           "DELETE FROM person_role WHERE institution_id = ?1 AND person_id = ?2 "
                           "AND role = ?3"));
    seal_db_bind_int64(stmt, 1, inst);
    seal_db_bind_int64(stmt, 2, person_id);
    seal_db_bind_text(stmt, 3, role);
    SEAL_TRY(seal_db_step(stmt));
    SEAL_ENSURE(seal_db_changes(stmt) == 1, SEAL_ENOTFOUND, "person %lld is not %s of %s",
                (long long)person_id, role, inst_name);
    char target[40];
    snprintf(target, sizeof target, "person:%lld", (long long)person_id);
    /* retention.c finds when an institution's last role ended by this record: its target
     * and action, and the detail ending in "(CREDIT-CODE)". */
    SEAL_TRY(store_audit_in_tx(st, actor ? actor : "unknown", "role-revoke", target,
                               "no longer %s of %s (%s)", role, inst_name, credit_code));
    rc = store_commit(st);
    in_tx = false;
out:
    if (in_tx)
        store_rollback(st);
    seal_db_finalize(stmt);
    g_free(inst_name);
    return rc;
}

void seal_role_records_free(seal_role_record *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++) {
        g_free(r[i].person_name);
        g_free(r[i].institution_name);
        g_free(r[i].credit_code);
        g_free(r[i].role);
    }
    g_free(r);
}

static int read_role(seal_db_stmt *stmt, void *record)
{
    seal_role_record *r = record;
    *r = (seal_role_record){
        .person_id = store_column_int64(stmt, 0),
        .person_name = store_column_text(stmt, 1),
        .institution_id = store_column_int64(stmt, 2),
        .institution_name = store_column_text(stmt, 3),
        .credit_code = store_column_text(stmt, 4),
        .role = store_column_text(stmt, 5),
        .since = (time_t)store_column_int64(stmt, 6),
    };
    return 0;
}

static void free_roles(void *records, size_t n)
{
    seal_role_records_free(records, n);
}

int seal_store_role_list(seal_store *st, const char *credit_code, int64_t person_id,
                         seal_role_record **out, size_t *n)
{
    int rc = 0;
    seal_db_stmt *stmt = NULL;
    *out = NULL;
    *n = 0;
    /* Two placeholders per filter: a lone "?1 IS NULL" has no type on PostgreSQL. */
    SEAL_TRY(store_prepare(st, &stmt, "listing roles",
                           "SELECT r.person_id, p.name, r.institution_id, i.name, i.credit_code, "
                           "r.role, r.since FROM person_role r JOIN person p ON p.id = r.person_id "
                           "JOIN institution i ON i.id = r.institution_id "
                           "WHERE (?1 = 0 OR i.credit_code = ?2) AND (?3 = 0 OR r.person_id = ?3) "
                           "ORDER BY r.institution_id, r.role, r.person_id"));
    seal_db_bind_int64(stmt, 1, credit_code ? 1 : 0);
    seal_db_bind_text(stmt, 2, credit_code ? credit_code : "");
    seal_db_bind_int64(stmt, 3, person_id);
    SEAL_TRY(
        store_read_all(stmt, sizeof(seal_role_record), read_role, free_roles, (void **)out, n));
out:
    seal_db_finalize(stmt);
    return rc;
}
