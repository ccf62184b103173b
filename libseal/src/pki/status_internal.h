/* What the revocation files of pki/ share: the context (evidence gathered so far, the
 * cache and archive storage), one piece of evidence, the HTTP exchange, and the cache.
 * Internal to src/pki. */
#ifndef SEAL_PKI_STATUS_INTERNAL_H
#define SEAL_PKI_STATUS_INTERNAL_H

#include <glib.h>
#include <seal/revocation.h>

/* How far a CRL's or OCSP response's times may run ahead of our clock. */
#define SEAL_REVOCATION_CLOCK_SKEW 300

/* One CRL or OCSP response the context knows, parsed once. */
typedef struct rev_item {
    seal_evidence_kind kind;
    X509_CRL *crl;         /* kind CRL */
    OCSP_BASICRESP *basic; /* kind OCSP */
    seal_buf der;          /* as received: the CRL, or the OCSPResponse (or a BasicOCSPResponse) */
    char *source;
    char *archived;
    time_t fetched_at;
} rev_item;

struct seal_revocation {
    seal_revocation_storage storage; /* the caller's, or the folders' (fetch_cache.c) */
    char *cache_dir;                 /* the folders, without a storage */
    char *archive_dir;
    bool offline;
    const struct seal_net_guard *guard; /* what fetches may reach; NULL: anything */
    long timeout_ms;
    size_t max_crl_bytes, max_ocsp_bytes, max_cert_bytes;
    GPtrArray *items;   /* rev_item *, in the order they became known */
    GHashTable *cached; /* issuer key ids whose cache folder has been read */
    STACK_OF(X509) * certs;
};

void rev_item_free(rev_item *it);
/* Parses DER (or PEM for a CRL) into a new item; SEAL_EFORMAT when it is neither. */
int rev_item_parse(rev_item **out, seal_evidence_kind kind, const uint8_t *data, size_t len,
                   const char *source);
/* Appends (the context takes the item). */
int rev_add_item(seal_revocation *rv, rev_item *it);

/* One HTTP GET (post_type NULL) or POST; only http and https, a bounded answer. */
int rev_http(seal_buf *out, const seal_revocation *rv, const char *url, const char *post_type,
             const seal_buf *body, size_t max_bytes);

/* Fetches and archives one CRL, or asks one OCSP responder (the answer is checked,
 * nonce included, and archived); the item is not added to the context. */
int rev_fetch_crl(rev_item **out, seal_revocation *rv, const char *url);
int rev_fetch_ocsp(rev_item **out, seal_revocation *rv, X509 *cert, X509 *issuer, const char *url);

/* How an issuer is named in the cache: hex SHA-256 of its public key. */
int rev_issuer_key_id(char out[65], X509 *issuer);
/* The storage over rv->cache_dir and rv->archive_dir (either may be NULL). */
void rev_dir_storage(seal_revocation *rv);
/* Reads the cache of `issuer` into the context, once per issuer. */
int rev_cache_load(seal_revocation *rv, X509 *issuer);
/* Keeps `it` in the cache under `name` ("crl-<hash of URL>", "ocsp-<serial>"). */
int rev_cache_store(seal_revocation *rv, X509 *issuer, const rev_item *it, const char *name,
                    const char *url);
/* Archives what was fetched from `url` (sets it->archived). */
int rev_archive(seal_revocation *rv, rev_item *it, const char *url);

/* CRLs (crl_check.c). Whether `crl` may speak of `cert`: issued by the certificate's
 * issuer, or by the CRL issuer its distribution point names (RFC 5280 4.2.1.13). */
bool rev_crl_relevant(X509_CRL *crl, X509 *cert);
bool rev_dp_names_crl_issuer(X509 *cert, const X509_NAME *crl_issuer);
/* Carries a deltaCRLIndicator (RFC 5280 5.2.4). */
bool rev_crl_is_delta(X509_CRL *crl);
/* seal_crl_check for a complete CRL (`delta` false) or a delta CRL (true); an indirect
 * CRL's issuer certificate is looked for in `pool` (may be NULL). */
int rev_crl_check(X509_CRL *crl, X509 *cert, X509 *issuer, STACK_OF(X509) * pool, bool delta);

/* "2026-05-01T08:00:00Z" */
void rev_format_time(char out[32], time_t t);
/* One-line RFC 2253 subject, UTF-8 kept (caller frees with g_free). */
char *rev_name_oneline(const X509_NAME *name);

#endif
