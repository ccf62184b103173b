/* The platform CA's operations under the CA service agreements (DESIGN.md): revoke, freeze
 * (certificateHold) and unfreeze, renew (same key, within 30 days of expiry), re-key (new
 * key under the seal's PIN), and publishing CRLs, complete and delta (RFC 5280 5.2.4).
 * Each one changes the certificate database and writes an audit record in one
 * transaction, then publishes a fresh CRL in the database (a delta CRL once the CA
 * publishes them), which the OCSP responder serves and verify reads. The CAs' keys rest in the
 * database under the key-encryption key (store/platform.c).
 *
 * pki's part is the CA's: the rules (what may change from which state, the renewal window,
 * the reasons RFC 5280 allows), the certificates and CRLs made and signed, the seals
 * remade around a new certificate. What is kept and how sits behind the store's interface
 * (store/store_internal.h: the certificate database of store/ca_db.c, the seal rows, the
 * audit trail, transactions), as the audit module reaches it; no SQL here. */
#include "store/store_internal.h"

#include <seal/ca.h>
#include <seal/error.h>
#include <seal/pki.h>
#include <seal/revocation.h>
#include <seal/ses.h>

#include <dirent.h>
#include <errno.h>
#include <glib.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <string.h>

#define DEFAULT_CRL_HOURS   168
#define DEFAULT_DELTA_HOURS 24
#define CLOCK_SKEW          300
#define DAY                 86400
#define SERIAL_MAX          80

struct seal_ca {
    seal_store *st;
    char *name;
    X509 *cert;
    EVP_PKEY *key;
    char key_id[65];
};

/* ---------------------------------------------------------------- loading */

static bool valid_name(const char *name)
{
    if (!name || !*name || name[0] == '.' || strlen(name) > 64)
        return false;
    for (const char *p = name; *p; p++)
        if (!g_ascii_isalnum(*p) && *p != '-' && *p != '_')
            return false;
    return true;
}

int seal_ca_open(seal_ca **out, seal_store *st, const char *name)
{
    int rc = 0;
    seal_ca *ca = NULL;
    SEAL_ENSURE(out && st, SEAL_EINVAL, "no CA to open");
    SEAL_ENSURE(valid_name(name), SEAL_EINVAL,
                "'%s' is not a CA name (letters, digits, '-' and '_': root-ca, issuing-ca)",
                name ? name : "");
    ca = g_new0(seal_ca, 1);
    ca->st = st;
    ca->name = g_strdup(name);
    SEAL_TRY(seal_ca_load_party(st, name, &ca->cert, &ca->key));
    SEAL_ENSURE(X509_check_ca(ca->cert) > 0, SEAL_EPKI,
                "the platform's certificate %s is not a CA certificate", name);
    SEAL_TRY(seal_cert_key_id(ca->key_id, ca->cert));
    *out = ca;
    ca = NULL;
out:
    seal_ca_free(ca);
    return rc;
}

int seal_ca_open_issuer_of(seal_ca **out, seal_store *st, X509 *cert)
{
    char **names = NULL;
    STACK_OF(X509) *certs = NULL;
    int rc = seal_store_party_list(st, &names, &certs);
    if (rc < 0)
        return rc;
    rc = SEAL_ENOTFOUND;
    for (int i = 0; rc == SEAL_ENOTFOUND && i < sk_X509_num(certs); i++) {
        X509 *candidate = sk_X509_value(certs, i);
        if (X509_check_ca(candidate) > 0 && X509_check_issued(candidate, cert) == X509_V_OK)
            rc = seal_ca_open(out, st, names[i]);
    }
    g_strfreev(names);
    sk_X509_pop_free(certs, X509_free);
    if (rc == SEAL_ENOTFOUND)
        return seal_error_set(SEAL_ENOTFOUND, "no CA of this platform issued the certificate");
    return rc;
}

void seal_ca_free(seal_ca *ca)
{
    if (!ca)
        return;
    X509_free(ca->cert);
    EVP_PKEY_free(ca->key);
    g_free(ca->name);
    g_free(ca);
}

X509 *seal_ca_cert(const seal_ca *ca)
{
    return ca->cert;
}

const char *seal_ca_name(const seal_ca *ca)
{
    return ca->name;
}

const char *seal_ca_key_id(const seal_ca *ca)
{
    return ca->key_id;
}

/* ---------------------------------------------------------------- CRLs */

/* Signs `spec` as the CA's CRL and publishes it in the database under `name` (where the
 * OCSP responder, /crl/NAME.crl and verify read it); its DER also into *der_out when given. */
static int sign_and_publish(seal_ca *ca, const seal_crl_spec *spec, const char *name,
                            seal_buf *der_out)
{
    int rc = 0;
    X509_CRL *crl = NULL;
    unsigned char *der = NULL;
    seal_buf out = SEAL_BUF_INIT;
    SEAL_TRY(seal_crl_make(&crl, spec, ca->cert, ca->key));
    int len = i2d_X509_CRL(crl, &der);
    SEAL_ENSURE(len > 0, SEAL_ECRYPTO, "the CRL cannot be encoded");
    SEAL_TRY(seal_buf_set(&out, der, (size_t)len));
    SEAL_TRY(store_crl_put(ca->st, name, ca->key_id, spec->number, spec->this_update,
                           spec->next_update, &out));
    if (der_out)
        SEAL_TRY(seal_buf_set(der_out, out.data, out.len));
out:
    X509_CRL_free(crl);
    OPENSSL_free(der);
    seal_buf_clear(&out);
    return rc;
}

int seal_ca_publish_crl(seal_ca *ca, int hours, seal_buf *der_out, const char *actor)
{
    int rc = 0;
    seal_ca_record *listed = NULL;
    size_t n = 0;
    seal_crl_entry *entries = NULL;
    uint64_t number = 0;
    time_t now = time(NULL);
    SEAL_ENSURE(hours >= 0 && hours <= 24 * 366, SEAL_EINVAL,
                "a CRL is valid between 1 hour and a year, not %d hours", hours);
    if (hours == 0)
        hours = DEFAULT_CRL_HOURS;
    SEAL_TRY(store_begin(ca->st));
    rc = seal_store_ca_listed(ca->st, ca->key_id, &listed, &n);
    if (rc == 0)
        rc = store_ca_next_crl_number(ca->st, ca->key_id, &number);
    if (rc == 0)
        rc = store_audit_in_tx(ca->st, actor, "crl", ca->name,
                               "CRL number %llu with %zu entries, valid %d hours",
                               (unsigned long long)number, n, hours);
    if (rc < 0) {
        store_rollback(ca->st);
        goto out;
    }
    SEAL_TRY(store_commit(ca->st));

    entries = g_new0(seal_crl_entry, n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        entries[i].serial_hex = listed[i].serial;
        entries[i].revoked_at = listed[i].revoked_at;
        entries[i].reason = listed[i].reason;
        entries[i].invalidity_date = listed[i].invalidity_date;
    }
    seal_crl_spec spec = {
        .this_update = now,
        .next_update = now + (time_t)hours * 3600,
        .number = number,
        .entries = entries,
        .n_entries = n,
    };
    SEAL_TRY(sign_and_publish(ca, &spec, ca->name, der_out));
out:
    for (size_t i = 0; i < n; i++)
        seal_ca_record_clear(&listed[i]);
    g_free(listed);
    g_free(entries);
    return rc;
}

/* Where a CA's delta CRL is kept among the published CRLs (and served). */
static char *delta_name(const seal_ca *ca)
{
    return g_strdup_printf("%s-delta", ca->name);
}

/* The first URI of a certificate's CRL distribution point (RFC 5280 4.2.1.13), or NULL;
 * g_free it. */
static char *first_crl_uri(X509 *cert)
{
    char *uri = NULL;
    STACK_OF(DIST_POINT) *points = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
    for (int i = 0; !uri && i < sk_DIST_POINT_num(points); i++) {
        DIST_POINT_NAME *name = sk_DIST_POINT_value(points, i)->distpoint;
        for (int j = 0;
             !uri && name && name->type == 0 && j < sk_GENERAL_NAME_num(name->name.fullname); j++) {
            GENERAL_NAME *g = sk_GENERAL_NAME_value(name->name.fullname, j);
            if (g->type == GEN_URI)
                uri = g_strndup((const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier),
                                (gsize)ASN1_STRING_length(g->d.uniformResourceIdentifier));
        }
    }
    sk_DIST_POINT_pop_free(points, DIST_POINT_free);
    ERR_clear_error();
    return uri;
}

/* Whether the CA publishes delta CRLs: it has published one. */
static bool publishes_deltas(seal_ca *ca)
{
    seal_buf der = SEAL_BUF_INIT;
    char *name = delta_name(ca);
    bool deltas = seal_store_crl_get(ca->st, name, &der, NULL, NULL) == 0;
    seal_buf_clear(&der);
    g_free(name);
    seal_error_clear();
    return deltas;
}

/* Where a certificate re-issued by a CA that publishes delta CRLs finds them, for its
 * Freshest CRL extension (RFC 5280 4.2.1.15, 5.2.6), or NULL. The CRLs are served as
 * /crl/NAME.crl and the deltas as /crl/NAME-delta.crl (`sealsvc ocsp`): a distribution
 * point ending in the CA's NAME.crl gives the delta's address beside it. A CA without
 * deltas, or a distribution point named otherwise (served by someone else), gives none:
 * a wrong address would be worse than no pointer. */
static char *freshest_url(seal_ca *ca, X509 *old)
{
    if (!publishes_deltas(ca))
        return NULL;
    char *uri = first_crl_uri(old);
    char *tail = g_strdup_printf("/%s.crl", ca->name);
    char *url = NULL;
    if (uri && g_str_has_suffix(uri, tail))
        url =
            g_strdup_printf("%.*s/%s-delta.crl", (int)(strlen(uri) - strlen(tail)), uri, ca->name);
    g_free(tail);
    g_free(uri);
    return url;
}

/* One entry of the base CRL, by serial (seal_cert_serial_hex's form). */
typedef struct base_entry {
    int reason;
    time_t revoked_at;
    bool still_listed;
} base_entry;

/* The base CRL's number and its entries, by serial. */
static int read_base(X509_CRL *base, uint64_t *number, GHashTable *entries)
{
    int rc = 0;
    ASN1_INTEGER *n = X509_CRL_get_ext_d2i(base, NID_crl_number, NULL, NULL);
    SEAL_ENSURE(n && ASN1_INTEGER_get_uint64(number, n) == 1 && *number > 0, SEAL_EFORMAT,
                "the CRL published last has no CRL number");
    STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(base);
    for (int i = 0; i < sk_X509_REVOKED_num(revoked); i++) {
        X509_REVOKED *r = sk_X509_REVOKED_value(revoked, i);
        BIGNUM *bn = ASN1_INTEGER_to_BN(X509_REVOKED_get0_serialNumber(r), NULL);
        char *hex = bn ? BN_bn2hex(bn) : NULL;
        BN_free(bn);
        SEAL_ENSURE(hex, SEAL_ENOMEM, "out of memory");
        char *serial = g_ascii_strdown(hex, -1);
        OPENSSL_free(hex);
        ASN1_ENUMERATED *code = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, NULL, NULL);
        base_entry *e = g_new0(base_entry, 1);
        e->reason = code ? (int)ASN1_ENUMERATED_get(code) : -1;
        e->revoked_at = seal_asn1_time(X509_REVOKED_get0_revocationDate(r));
        ASN1_ENUMERATED_free(code);
        g_hash_table_insert(entries, serial, e);
    }
out:
    ASN1_INTEGER_free(n);
    ERR_clear_error();
    return rc;
}

int seal_ca_publish_delta_crl(seal_ca *ca, int hours, seal_buf *der_out, const char *actor)
{
    int rc = 0;
    seal_ca_record *listed = NULL;
    size_t n = 0, n_entries = 0;
    seal_crl_entry *entries = NULL;
    uint64_t number = 0, base_number = 0;
    X509_CRL *base = NULL;
    seal_buf base_der = SEAL_BUF_INIT;
    GHashTable *in_base = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    char *name = delta_name(ca);
    time_t now = time(NULL);
    SEAL_ENSURE(ca, SEAL_EINVAL, "no CA");
    SEAL_ENSURE(hours >= 0 && hours <= 24 * 366, SEAL_EINVAL,
                "a CRL is valid between 1 hour and a year, not %d hours", hours);
    if (hours == 0)
        hours = DEFAULT_DELTA_HOURS;
    rc = seal_store_crl_get(ca->st, ca->name, &base_der, NULL, NULL);
    if (rc == SEAL_ENOTFOUND)
        SEAL_FAIL(SEAL_ENOTFOUND,
                  "CA %s has published no complete CRL for a delta CRL to build on: run "
                  "'sealsvc ca crl' first",
                  ca->name);
    SEAL_TRY(rc);
    const unsigned char *p = base_der.data;
    base = d2i_X509_CRL(NULL, &p, (long)base_der.len);
    SEAL_ENSURE(base, SEAL_EFORMAT, "the CRL CA %s published last cannot be read", ca->name);
    SEAL_TRY(read_base(base, &base_number, in_base));

    SEAL_TRY(store_begin(ca->st));
    rc = seal_store_ca_listed(ca->st, ca->key_id, &listed, &n);
    if (rc == 0)
        rc = store_ca_next_crl_number(ca->st, ca->key_id, &number);
    if (rc == 0)
        rc = store_audit_in_tx(ca->st, actor, "crl", ca->name,
                               "delta CRL number %llu on CRL number %llu, valid %d hours",
                               (unsigned long long)number, (unsigned long long)base_number, hours);
    if (rc < 0) {
        store_rollback(ca->st);
        goto out;
    }
    SEAL_TRY(store_commit(ca->st));

    /* RFC 5280 5.2.4: what changed since the base: new entries, entries whose reason
     * changed (a hold made a revocation), and removeFromCRL for entries gone (a
     * certificate unfrozen). */
    entries = g_new0(seal_crl_entry, n + g_hash_table_size(in_base) + 1);
    for (size_t i = 0; i < n; i++) {
        base_entry *b = g_hash_table_lookup(in_base, listed[i].serial);
        if (b)
            b->still_listed = true;
        if (b && b->reason == (listed[i].reason > 0 ? listed[i].reason : -1))
            continue;
        entries[n_entries].serial_hex = listed[i].serial;
        entries[n_entries].revoked_at = listed[i].revoked_at;
        entries[n_entries].reason = listed[i].reason;
        entries[n_entries].invalidity_date = listed[i].invalidity_date;
        n_entries++;
    }
    GHashTableIter iter;
    gpointer key, value;
    g_hash_table_iter_init(&iter, in_base);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        const base_entry *b = value;
        if (b->still_listed)
            continue;
        /* RFC 5280 5.3.1 does not say which date a removeFromCRL entry carries; it keeps
         * the base entry's, the time the hold began. */
        entries[n_entries].serial_hex = key;
        entries[n_entries].revoked_at = b->revoked_at;
        entries[n_entries].reason = SEAL_CRL_REASON_REMOVE;
        n_entries++;
    }
    seal_crl_spec spec = {
        .this_update = now,
        .next_update = now + (time_t)hours * 3600,
        .number = number,
        .entries = entries,
        .n_entries = n_entries,
        .delta_base = base_number,
    };
    SEAL_TRY(sign_and_publish(ca, &spec, name, der_out));
out:
    for (size_t i = 0; i < n; i++)
        seal_ca_record_clear(&listed[i]);
    g_free(listed);
    g_free(entries);
    X509_CRL_free(base);
    seal_buf_clear(&base_der);
    g_hash_table_destroy(in_base);
    g_free(name);
    return rc;
}

/* After a change: a CA that publishes delta CRLs (it has published one) publishes a
 * delta on its last complete CRL, which `ca crl` renews; the others a complete CRL. */
static int publish_after_change(seal_ca *ca, const char *actor)
{
    return publishes_deltas(ca) ? seal_ca_publish_delta_crl(ca, 0, NULL, actor)
                                : seal_ca_publish_crl(ca, 0, NULL, actor);
}

/* ---------------------------------------------------------------- state changes */

static void format_day(char out[32], time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        strcpy(out, "?");
}

/* Moves a certificate from one state to another in a transaction with its audit record,
 * then publishes the CRL. */
static int change_state(seal_ca *ca, const char *serial, seal_ca_state to, int reason,
                        time_t invalidity_date, const char *action, const char *actor)
{
    int rc = 0;
    seal_ca_record c = {0};
    char since[32], *target = NULL;
    bool in_tx = false;
    SEAL_TRY(store_begin(ca->st));
    in_tx = true;
    SEAL_TRY(seal_store_ca_find(ca->st, serial, ca->key_id, &c));
    format_day(since, c.revoked_at);
    const char *why = seal_crl_reason_name(c.reason);
    SEAL_ENSURE(c.state != SEAL_CA_REVOKED, to == SEAL_CA_REVOKED ? SEAL_EEXISTS : SEAL_EPOLICY,
                "certificate %s (%s) is already revoked since %s (%s); revocation is final",
                c.serial, c.subject, since, why ? why : "no reason given");
    if (to == SEAL_CA_HOLD)
        SEAL_ENSURE(c.state != SEAL_CA_HOLD, SEAL_EEXISTS,
                    "certificate %s (%s) is already frozen since %s", c.serial, c.subject, since);
    if (to == SEAL_CA_GOOD)
        SEAL_ENSURE(c.state == SEAL_CA_HOLD, SEAL_EPOLICY,
                    "certificate %s (%s) is not frozen; only a frozen certificate can be "
                    "unfrozen",
                    c.serial, c.subject);
    time_t now = time(NULL);
    SEAL_TRY(store_ca_set_state(ca->st, &c, to, now, reason, invalidity_date));
    target = g_strdup_printf("cert:%s", c.serial);
    if (to == SEAL_CA_REVOKED) {
        char inv[32] = "";
        if (invalidity_date)
            format_day(inv, invalidity_date);
        SEAL_TRY(store_audit_in_tx(ca->st, actor, action, target, "%s revoked (%s)%s%s%s",
                                   c.subject, seal_crl_reason_name(reason > 0 ? reason : 0),
                                   invalidity_date ? ", invalid since " : "", inv,
                                   c.state == SEAL_CA_HOLD ? ", was frozen" : ""));
    } else {
        SEAL_TRY(store_audit_in_tx(ca->st, actor, action, target, "%s %s", c.subject,
                                   to == SEAL_CA_HOLD ? "frozen (certificateHold)"
                                                      : "unfrozen: off the next CRL"));
    }
    SEAL_TRY(store_commit(ca->st));
    in_tx = false;
    if (publish_after_change(ca, actor) < 0) {
        rc = seal_error_wrap(seal_error_last_code(),
                             "certificate %s is %s, but the new CRL could not be published "
                             "(run 'sealsvc ca crl')",
                             c.serial, seal_ca_state_name(to));
        goto out;
    }
out:
    if (in_tx)
        store_rollback(ca->st);
    seal_ca_record_clear(&c);
    g_free(target);
    return rc;
}

int seal_ca_revoke(seal_ca *ca, const char *serial, int reason, time_t invalidity_date,
                   const char *actor)
{
    if (!ca)
        return seal_error_set(SEAL_EINVAL, "no CA");
    /* RFC 5280 5.3.1: certificateHold is a freeze, removeFromCRL belongs to delta CRLs. */
    if (reason == SEAL_CRL_REASON_HOLD)
        return seal_error_set(SEAL_EINVAL, "certificateHold is not a revocation: use 'ca freeze'");
    if (reason == 8 || reason == 7 || reason > 10 || reason < -1)
        return seal_error_set(SEAL_EINVAL,
                              "revocation reason %d cannot be used (RFC 5280 5.3.1; "
                              "removeFromCRL only appears in delta CRLs)",
                              reason);
    if (invalidity_date > time(NULL) + CLOCK_SKEW)
        return seal_error_set(SEAL_EINVAL, "the invalidity date lies in the future");
    return change_state(ca, serial, SEAL_CA_REVOKED, reason, invalidity_date, "revoke", actor);
}

int seal_ca_freeze(seal_ca *ca, const char *serial, const char *actor)
{
    if (!ca)
        return seal_error_set(SEAL_EINVAL, "no CA");
    return change_state(ca, serial, SEAL_CA_HOLD, SEAL_CRL_REASON_HOLD, 0, "freeze", actor);
}

int seal_ca_unfreeze(seal_ca *ca, const char *serial, const char *actor)
{
    if (!ca)
        return seal_error_set(SEAL_EINVAL, "no CA");
    return change_state(ca, serial, SEAL_CA_GOOD, -1, 0, "unfreeze", actor);
}

/* ---------------------------------------------------------------- seals of a certificate */

static bool same_cert(const seal_buf *pem, X509 *cert)
{
    X509 *c = NULL;
    bool same = seal_cert_load_mem(&c, pem->data, pem->len) == 0 && X509_cmp(c, cert) == 0;
    X509_free(c);
    seal_error_clear();
    return same;
}

/* The ids of the seals that bind `cert` (g_strfreev). */
static int seals_binding(seal_store *st, X509 *cert, GPtrArray *ids)
{
    char **all = NULL;
    int rc = seal_store_list_seals(st, &all);
    for (size_t i = 0; rc == 0 && all[i]; i++) {
        seal_record r = {0};
        rc = seal_store_get_seal(st, all[i], &r);
        if (rc == 0 && same_cert(&r.cert_pem, cert))
            g_ptr_array_add(ids, g_strdup(all[i]));
        seal_record_clear(&r);
    }
    g_strfreev(all);
    return rc;
}

/* The seal maker, who signs the new SESeal of a seal whose certificate changes. */
typedef struct maker {
    seal_signer *signer;
} maker;

static void maker_clear(maker *m)
{
    seal_signer_free(m->signer);
    m->signer = NULL;
}

static int load_maker(maker *m, seal_store *st)
{
    return seal_store_maker_signer(&m->signer, st);
}

/* GB/T 38540: the seal binds its certificate, so a new certificate needs a new SESeal,
 * signed by the seal maker, with the same seal code (esID), picture and name. */
static int remake_seal(seal_record *r, X509 *cert, const maker *m, time_t valid_start,
                       time_t valid_end)
{
    int rc = 0;
    seal_eseal *old = NULL;
    STACK_OF(X509) *certs = sk_X509_new_null();
    seal_buf esl = SEAL_BUF_INIT;
    SEAL_ENSURE(certs && X509_up_ref(cert), SEAL_ENOMEM, "out of memory");
    if (!sk_X509_push(certs, cert)) {
        X509_free(cert);
        SEAL_FAIL(SEAL_ENOMEM, "out of memory");
    }
    SEAL_TRY(seal_eseal_parse(&old, r->esl.data, r->esl.len));
    seal_eseal_spec spec = {
        .es_id = old->es_id,
        .vid = old->vid ? old->vid : "sealsvc",
        .type = old->type,
        .name = r->name,
        .certs = certs,
        .picture_type = "PNG",
        .picture = r->image_png.data,
        .picture_len = r->image_png.len,
        .width_mm = old->width_mm,
        .height_mm = old->height_mm,
        .created = time(NULL),
        .valid_start = valid_start,
        .valid_end = valid_end,
    };
    SEAL_TRY(seal_eseal_make(&esl, &spec, m->signer));
    SEAL_TRY(seal_buf_set(&r->esl, esl.data, esl.len));
    seal_buf_clear(&r->cert_pem);
    SEAL_TRY(seal_cert_to_pem(&r->cert_pem, cert));
    r->valid_start = valid_start;
    r->valid_end = valid_end;
out:
    seal_eseal_free(old);
    sk_X509_pop_free(certs, X509_free);
    seal_buf_clear(&esl);
    return rc;
}

/* DATA/seals/ID.esl follows the stored seal; written after the transaction commits. */
static int write_esl(seal_store *st, const seal_record *r)
{
    char *path = g_strdup_printf("%s/seals/%s.esl", seal_store_data_dir(st), r->id);
    int rc = seal_buf_write_file(&r->esl, path, 0644);
    g_free(path);
    return rc;
}

static int find_good(seal_ca *ca, X509 *cert, seal_ca_record *out)
{
    char *serial = seal_cert_serial_hex(cert);
    int rc = seal_store_ca_find(ca->st, serial, ca->key_id, out);
    g_free(serial);
    if (rc < 0)
        return rc;
    if (out->state != SEAL_CA_GOOD)
        return seal_error_set(SEAL_EPOLICY,
                              "certificate %s (%s) is %s; it cannot be renewed or "
                              "re-keyed",
                              out->serial, out->subject,
                              out->state == SEAL_CA_HOLD ? "frozen" : "revoked");
    return 0;
}

/* ---------------------------------------------------------------- renew */

int seal_ca_renew(seal_ca *ca, X509 **out, X509 *old, bool force, int days, const char *actor)
{
    int rc = 0;
    seal_ca_record c = {0};
    EVP_PKEY *key = NULL;
    X509 *fresh = NULL;
    GPtrArray *ids = g_ptr_array_new_with_free_func(g_free);
    seal_record *records = NULL;
    maker m = {0};
    char *fresh_serial = NULL, *target = NULL, *freshest = NULL;
    GString *names = g_string_new("");
    bool in_tx = false;
    SEAL_ENSURE(ca && out && old, SEAL_EINVAL, "no certificate to renew");
    SEAL_ENSURE(days >= 0 && days <= 3660, SEAL_EINVAL, "--days must be between 1 and 3660");
    SEAL_TRY(find_good(ca, old, &c));
    time_t now = time(NULL);
    char end[32];
    format_day(end, c.not_after);
    SEAL_ENSURE(c.not_after > now, SEAL_EPOLICY,
                "certificate %s expired on %s; an expired certificate is not renewed (issue a "
                "new one)",
                c.serial, end);
    /* CA agreements: renewal within 30 days before expiry. */
    SEAL_ENSURE(force || c.not_after - now <= SEAL_CA_RENEW_WINDOW_DAYS * DAY, SEAL_EPOLICY,
                "certificate %s expires on %s; renewal opens %d days before that (use --force "
                "to renew now)",
                c.serial, end, SEAL_CA_RENEW_WINDOW_DAYS);
    time_t lifetime = days ? (time_t)days * DAY : c.not_after - c.not_before;
    key = X509_get_pubkey(old);
    SEAL_ENSURE(key, SEAL_EFORMAT, "the certificate's public key cannot be read");
    freshest = freshest_url(ca, old);
    SEAL_TRY(seal_cert_reissue(&fresh, old, key, now - CLOCK_SKEW, now - CLOCK_SKEW + lifetime,
                               ca->cert, ca->key, freshest));
    fresh_serial = seal_cert_serial_hex(fresh);

    SEAL_TRY(seals_binding(ca->st, old, ids));
    records = g_new0(seal_record, ids->len ? ids->len : 1);
    if (ids->len)
        SEAL_TRY(load_maker(&m, ca->st));
    for (guint i = 0; i < ids->len; i++) {
        SEAL_TRY(seal_store_get_seal(ca->st, g_ptr_array_index(ids, i), &records[i]));
        SEAL_TRY(remake_seal(&records[i], fresh, &m, now, now - CLOCK_SKEW + lifetime));
        g_string_append_printf(names, "%s%s", i ? ", " : "", records[i].id);
    }
    SEAL_TRY(store_begin(ca->st));
    in_tx = true;
    SEAL_TRY(store_ca_add_in_tx(ca->st, fresh, ca->cert, c.role, actor));
    SEAL_TRY(store_ca_set_replaced(ca->st, &c, fresh_serial));
    for (guint i = 0; i < ids->len; i++)
        SEAL_TRY(store_seal_set_certificate(ca->st, &records[i], false));
    target = g_strdup_printf("cert:%s", c.serial);
    SEAL_TRY(store_audit_in_tx(ca->st, actor, "renew", target, "%s renewed as %s (same key)%s%s%s",
                               c.subject, fresh_serial,
                               force ? ", forced before the renewal window" : "",
                               ids->len ? "; seals now bound to it: " : "", names->str));
    SEAL_TRY(store_commit(ca->st));
    in_tx = false;
    for (guint i = 0; i < ids->len; i++)
        SEAL_TRY(write_esl(ca->st, &records[i]));
    *out = fresh;
    fresh = NULL;
out:
    if (in_tx)
        store_rollback(ca->st);
    for (guint i = 0; records && i < ids->len; i++)
        seal_record_clear(&records[i]);
    g_free(records);
    g_ptr_array_free(ids, TRUE);
    g_string_free(names, TRUE);
    maker_clear(&m);
    seal_ca_record_clear(&c);
    EVP_PKEY_free(key);
    X509_free(fresh);
    g_free(fresh_serial);
    g_free(freshest);
    g_free(target);
    return rc;
}

/* ---------------------------------------------------------------- re-key */

int seal_ca_rekey(seal_ca *ca, X509 **out, const char *seal_id, const char *pin, int days,
                  const char *actor)
{
    int rc = 0;
    seal_record r = {0};
    seal_signer *unlocked = NULL;
    seal_ca_record c = {0};
    X509 *old = NULL, *fresh = NULL;
    EVP_PKEY *key = NULL;
    GPtrArray *others = g_ptr_array_new_with_free_func(g_free);
    maker m = {0};
    char *fresh_serial = NULL, *target = NULL, *freshest = NULL;
    bool in_tx = false, revoke_old = false;
    SEAL_ENSURE(ca && out && seal_id, SEAL_EINVAL, "no seal to re-key");
    SEAL_ENSURE(days >= 0 && days <= 3660, SEAL_EINVAL, "--days must be between 1 and 3660");
    /* A key on a PKCS#11 token is not replaced by one made here: refused before the PIN
     * is tried, so that it spends no try. */
    SEAL_TRY(seal_store_get_seal(ca->st, seal_id, &r));
    SEAL_ENSURE(!r.key_uri, SEAL_EUNSUPPORTED,
                "seal %s has its key on a PKCS#11 token; re-key it there: a new key on the "
                "token and a new seal ('sealsvc seal make --pkcs11-uri')",
                r.id);
    seal_record_clear(&r);
    /* The PIN must open the current key: a wrong one counts towards the seal's lock. */
    SEAL_TRY(seal_store_unlock_seal(ca->st, seal_id, pin, &unlocked, &r));
    SEAL_TRY(seal_cert_load_mem(&old, r.cert_pem.data, r.cert_pem.len));
    SEAL_TRY(find_good(ca, old, &c));
    time_t now = time(NULL);
    time_t lifetime = days ? (time_t)days * DAY : c.not_after - c.not_before;
    /* The new key is as strong as the old one: an RSA 3072 seal stays RSA 3072. */
    int bits = r.alg == SEAL_ALG_RSA ? EVP_PKEY_get_bits(X509_get0_pubkey(old)) : 0;
    SEAL_TRY(seal_key_generate(&key, r.alg, r.alg == SEAL_ALG_RSA && bits < 2048 ? 2048 : bits));
    freshest = freshest_url(ca, old);
    SEAL_TRY(seal_cert_reissue(&fresh, old, key, now - CLOCK_SKEW, now - CLOCK_SKEW + lifetime,
                               ca->cert, ca->key, freshest));
    fresh_serial = seal_cert_serial_hex(fresh);
    seal_buf_clear_secret(&r.key_pem);
    SEAL_TRY(store_seal_key_wrap(ca->st, &r.key_pem, key, pin));
    SEAL_TRY(load_maker(&m, ca->st));
    SEAL_TRY(remake_seal(&r, fresh, &m, now, now - CLOCK_SKEW + lifetime));
    SEAL_TRY(seals_binding(ca->st, old, others));
    /* The old key is retired: its certificate goes (superseded) unless another seal,
     * with its own PIN, still binds it. */
    revoke_old = others->len <= 1;

    SEAL_TRY(store_begin(ca->st));
    in_tx = true;
    SEAL_TRY(store_ca_add_in_tx(ca->st, fresh, ca->cert, c.role, actor));
    SEAL_TRY(store_ca_set_replaced(ca->st, &c, fresh_serial));
    SEAL_TRY(store_seal_set_certificate(ca->st, &r, true));
    if (revoke_old)
        SEAL_TRY(store_ca_set_state(ca->st, &c, SEAL_CA_REVOKED, now, 4 /* superseded */, 0));
    target = g_strdup_printf("cert:%s", c.serial);
    SEAL_TRY(
        store_audit_in_tx(ca->st, actor, "rekey", target,
                          "seal %s re-keyed: new key pair, certificate %s; old certificate "
                          "%s",
                          r.id, fresh_serial,
                          revoke_old ? "revoked (superseded)" : "kept: other seals still bind it"));
    SEAL_TRY(store_commit(ca->st));
    in_tx = false;
    SEAL_TRY(write_esl(ca->st, &r));
    if (revoke_old && publish_after_change(ca, actor) < 0) {
        rc = seal_error_wrap(seal_error_last_code(),
                             "seal %s is re-keyed, but the CRL revoking its old certificate "
                             "could not be published (run 'sealsvc ca crl')",
                             r.id);
        goto out;
    }
    *out = fresh;
    fresh = NULL;
out:
    if (in_tx)
        store_rollback(ca->st);
    seal_record_clear(&r);
    seal_signer_free(unlocked);
    seal_ca_record_clear(&c);
    X509_free(old);
    X509_free(fresh);
    EVP_PKEY_free(key);
    g_ptr_array_free(others, TRUE);
    maker_clear(&m);
    g_free(fresh_serial);
    g_free(freshest);
    g_free(target);
    return rc;
}
