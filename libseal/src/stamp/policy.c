/* The stamp policy: may seal `rec` stamp now? Its certificate must be within its validity,
 * not revoked or frozen in the platform's CA database (authoritative for the platform's
 * own certificates), and not revoked or frozen by what relying parties will see (OCSP or
 * CRL, when reachable). A certificate in its last 30 days, or one whose published status
 * cannot be had, stamps with a warning in the result. Runs before any PIN is tried, so a
 * refused seal never counts a PIN failure. */
#include "stamp/stamp_internal.h"

#include <seal/ca.h>
#include <seal/error.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <string.h>

#define STATUS_TIMEOUT_MS  5000
#define SECONDS_PER_DAY    86400
#define RENEW_WARNING_DAYS SEAL_CA_RENEW_WINDOW_DAYS

void stamp_warn(seal_stamp_result *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    size_t n = 0;
    while (r->warnings && r->warnings[n])
        n++;
    r->warnings = g_renew(char *, r->warnings, n + 2);
    r->warnings[n] = text;
    r->warnings[n + 1] = NULL;
}

static void utc(char out[32], time_t t)
{
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
        strcpy(out, "?");
}

/* The platform's own word: the CA database (a frozen or revoked certificate may not be
 * used). */
static int check_ca_database(seal_store *store, const char *id, X509 *cert)
{
    seal_ca_record c = {0};
    char since[32];
    char *serial = seal_cert_serial_hex(cert);
    int rc = seal_store_ca_find(store, serial, NULL, &c);
    g_free(serial);
    if (rc == SEAL_ENOTFOUND) {
        seal_error_clear();
        return 0; /* a certificate from another CA: OCSP and CRLs speak for it */
    }
    if (rc < 0)
        return rc;
    utc(since, c.revoked_at);
    const char *reason = seal_crl_reason_name(c.reason);
    if (c.state == SEAL_CA_REVOKED)
        rc = seal_error_set(SEAL_EPOLICY,
                            "seal %s cannot be used: its certificate %s is revoked since %s (%s)",
                            id, c.serial, since, reason ? reason : "no reason given");
    else if (c.state == SEAL_CA_HOLD)
        rc = seal_error_set(SEAL_EPOLICY,
                            "seal %s cannot be used: its certificate %s is frozen "
                            "(certificateHold) since %s; 'sealsvc ca unfreeze' releases it",
                            id, c.serial, since);
    seal_ca_record_clear(&c);
    return rc;
}

/* OCSP or CRL, when reachable: what relying parties will see. An answer that cannot be
 * had does not stop the stamp; it is a warning. */
static int check_published_status(seal_stamp_result *res, seal_store *store, const char *id,
                                  X509 *cert, STACK_OF(X509) * chain)
{
    int rc = 0;
    seal_revocation *rv = NULL;
    seal_cert_status st = {0};
    X509 *issuer = NULL;
    char since[32];
    seal_revocation_opts opts = {.timeout_ms = STATUS_TIMEOUT_MS};
    for (int i = 0; chain && i < sk_X509_num(chain) && !issuer; i++)
        if (X509_check_issued(sk_X509_value(chain, i), cert) == X509_V_OK)
            issuer = sk_X509_value(chain, i);
    if (!issuer)
        goto out;
    /* The platform's published CRLs, its cache and archive: the database's. */
    SEAL_TRY(seal_store_revocation_new(&rv, store, &opts));
    SEAL_TRY(seal_pki_status_at(&st, rv, cert, issuer, time(NULL)));
    utc(since, st.revoked_at);
    const char *reason = seal_crl_reason_name(st.reason);
    if (st.state == SEAL_CERT_REVOKED)
        SEAL_FAIL(SEAL_EPOLICY,
                  "seal %s cannot be used: its certificate is revoked since %s (%s), says %s", id,
                  since, reason ? reason : "no reason given", st.evidence.source);
    if (st.state == SEAL_CERT_SUSPENDED)
        SEAL_FAIL(SEAL_EPOLICY,
                  "seal %s cannot be used: its certificate is frozen (certificateHold) since %s, "
                  "says %s",
                  id, since, st.evidence.source);
    if (st.state == SEAL_CERT_UNKNOWN)
        stamp_warn(res, "the revocation status of seal %s's certificate could not be checked: %s",
                   id, st.detail);
out:
    seal_cert_status_clear(&st);
    seal_revocation_free(rv);
    return rc;
}

int stamp_check_certificate(seal_stamp_result *res, seal_store *st, const seal_record *r)
{
    int rc = 0;
    X509 *cert = NULL;
    STACK_OF(X509) *chain = NULL;
    char end[32];
    const char *id = r->id;
    SEAL_TRY(seal_cert_load_mem(&cert, r->cert_pem.data, r->cert_pem.len));
    time_t now = time(NULL);
    time_t not_before = seal_asn1_time(X509_get0_notBefore(cert));
    time_t not_after = seal_asn1_time(X509_get0_notAfter(cert));
    utc(end, not_after);
    SEAL_ENSURE(now <= not_after, SEAL_EPOLICY,
                "seal %s cannot be used: its certificate expired on %s", id, end);
    if (now < not_before) {
        char start[32];
        utc(start, not_before);
        SEAL_FAIL(SEAL_EPOLICY, "seal %s cannot be used: its certificate is not valid before %s",
                  id, start);
    }
    SEAL_TRY(check_ca_database(st, id, cert));
    if (r->chain_pem.len > 0) {
        chain = sk_X509_new_null();
        BIO *bio = BIO_new_mem_buf(r->chain_pem.data, (int)r->chain_pem.len);
        X509 *c;
        while (chain && bio && (c = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
            if (!sk_X509_push(chain, c))
                X509_free(c);
        BIO_free(bio);
        ERR_clear_error();
    }
    SEAL_TRY(check_published_status(res, st, id, cert, chain));
    if (not_after - now <= RENEW_WARNING_DAYS * SECONDS_PER_DAY)
        stamp_warn(res,
                   "the certificate of seal %s expires on %s (in %ld days); renew it ('sealsvc "
                   "ca renew')",
                   id, end, (long)((not_after - now) / SECONDS_PER_DAY));
out:
    X509_free(cert);
    sk_X509_pop_free(chain, X509_free);
    return rc;
}
