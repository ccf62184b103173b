/* Revocation: CRLs and OCSP responses fetched over HTTP, kept in a cache and an evidence
 * archive (the caller's storage: the platform's database, or folders), and the status of a
 * certificate at a time T.
 *
 * Verify flow: for every certificate of a chain but the anchor, the verifiers ask
 * seal_pki_status_at() whether it was good, revoked or suspended at the (proven) signing
 * time, and report the evidence used. B-LT (the DSS) embeds the same evidence: the DER of
 * the CRL or OCSP response is in seal_cert_status.evidence.der. Standards: RFC 5280 5 and
 * 6.3 (CRLs), RFC 6960 (OCSP), ETSI EN 319 102-1 5.2.5 (revocation freshness). */
#ifndef SEAL_REVOCATION_H
#define SEAL_REVOCATION_H

#include <openssl/ocsp.h>
#include <openssl/x509.h>
#include <seal/buf.h>
#include <stdbool.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the relying party's revocation context ---- */

typedef struct seal_revocation seal_revocation;

typedef enum seal_evidence_kind {
    SEAL_EVIDENCE_NONE = 0,
    SEAL_EVIDENCE_CRL,
    SEAL_EVIDENCE_OCSP
} seal_evidence_kind;

/* One CRL or OCSP response as a storage keeps it. */
typedef struct seal_evidence_entry {
    seal_evidence_kind kind;
    const char *url; /* where it was fetched from */
    time_t fetched_at;
    time_t this_update, next_update; /* what it says of itself; 0: not given */
    const char *sha256;              /* lower-case hex of `der` */
    const uint8_t *der;              /* the CRL or the OCSPResponse, as received */
    size_t len;
} seal_evidence_entry;

/* Called by a storage for each entry it holds; a negative return stops the walk. */
typedef int (*seal_evidence_visit)(void *visit_ctx, const seal_evidence_entry *e);

/* Where a revocation context keeps what it fetches between runs. This module never
 * reaches a database itself (it sits below the store): the platform plugs its store in
 * (seal_store_revocation_new, seal/ca.h), a library user without one names folders
 * (cache_dir, archive_dir below). Any operation may be NULL: nothing is kept that way. */
typedef struct seal_revocation_storage {
    /* The cache, by issuer (the hex SHA-256 of its public key) and a name that says what
     * the entry answers ("crl-<hash of URL>", "ocsp-<serial>"): put replaces the entry of
     * that name; each hands every entry of the issuer to `visit`. */
    int (*cache_put)(void *ctx, const char *issuer_key_id, const char *name,
                     const seal_evidence_entry *e);
    int (*cache_each)(void *ctx, const char *issuer_key_id, seal_evidence_visit visit,
                      void *visit_ctx);
    /* The archive: every fetched answer, judged good or not, kept for good so that a
     * dispute can show what was known when. *where_out (g_free) names where it went. */
    int (*archive_put)(void *ctx, const seal_evidence_entry *e, char **where_out);
    void *ctx;
} seal_revocation_storage;

typedef struct seal_revocation_opts {
    /* The cache and archive; when given, cache_dir and archive_dir are not used. Copied:
     * its ctx must outlive the context. */
    const seal_revocation_storage *storage;
    /* Without a storage: where fetched CRLs and OCSP responses are kept between runs, one
     * folder per issuer (named by the SHA-256 of its public key); NULL: in memory only. */
    const char *cache_dir;
    /* Without a storage: where every fetched CRL and OCSP response is archived with its
     * fetch time, by day; NULL: not archived. */
    const char *archive_dir;
    bool offline;          /* never use the network: embedded, local and cached evidence */
    long timeout_ms;       /* per HTTP request, connection included; 0: 10 s */
    size_t max_crl_bytes;  /* 0: 16 MiB */
    size_t max_ocsp_bytes; /* 0: 64 KiB */
    size_t max_cert_bytes; /* AIA caIssuers; 0: 256 KiB */
    /* The addresses fetches may reach (seal/net.h): a service verifying documents strangers
     * send, whose certificates name the URLs; NULL: any. Must outlive the context. */
    const struct seal_net_guard *guard;
} seal_revocation_opts;

/* `opts` may be NULL (online, nothing kept on disk). */
int seal_revocation_new(seal_revocation **out, const seal_revocation_opts *opts);
void seal_revocation_free(seal_revocation *rv);
bool seal_revocation_offline(const seal_revocation *rv);
/* Sets (or, NULL, lifts) the guard on what the context fetches from now on; `guard` must
 * outlive the context. */
void seal_revocation_set_guard(seal_revocation *rv, const struct seal_net_guard *guard);

/* Evidence handed in by the caller: a document's DSS, a platform's published CRLs, files
 * given on the command line. `source` says where it came from in reports ("DSS",
 * a path...). The bytes are DER (a CRL, or an OCSPResponse / BasicOCSPResponse); they are
 * checked when used, against the certificate's issuer. */
int seal_revocation_add_crl(seal_revocation *rv, const uint8_t *der, size_t len,
                            const char *source);
int seal_revocation_add_ocsp(seal_revocation *rv, const uint8_t *der, size_t len,
                             const char *source);
/* A file holding a CRL (PEM or DER) or an OCSP response (DER). */
int seal_revocation_add_file(seal_revocation *rv, const char *path);
/* Every *.crl, *.der and *.ocsp file of a folder (a missing folder adds nothing). */
int seal_revocation_add_dir(seal_revocation *rv, const char *path);
/* Everything `src` holds (evidence and certificates) added to `dst`, skipping evidence
 * `dst` already has; `src` is unchanged. */
int seal_revocation_add_from(seal_revocation *dst, const seal_revocation *src);
/* Extra certificates for chain building (a DSS's /Certs, a pool given by the user). */
int seal_revocation_add_certs(seal_revocation *rv, STACK_OF(X509) * certs);
/* The extra certificates (borrowed; may be empty). */
STACK_OF(X509) * seal_revocation_certs(const seal_revocation *rv);

/* ---- fetching (libcurl; http and https only; timeouts and size limits) ---- */

/* Downloads a CRL (DER or PEM) and archives it; the CRL is not checked here. */
int seal_crl_fetch(X509_CRL **out, seal_buf *der_out, seal_revocation *rv, const char *url);

/* Asks the responder at `url` for the status of `cert` (SHA-1 CertID, a fresh 16-byte
 * nonce, POST application/ocsp-request) and archives the answer. The response is checked
 * (seal_ocsp_check_response) before it is returned: an answer that fails is SEAL_EPKI
 * naming why. `der_out` (may be NULL) receives the OCSPResponse DER. */
int seal_ocsp_fetch(OCSP_BASICRESP **out, seal_buf *der_out, seal_revocation *rv, X509 *cert,
                    X509 *issuer, const char *url);

/* Downloads the certificates at an AIA caIssuers URL (DER, PEM or a certs-only PKCS#7)
 * and appends them to `pool`. */
int seal_cert_fetch_ca_issuers(STACK_OF(X509) * pool, seal_revocation *rv, const char *url);

/* Adds to `pool` the issuers missing above `cert` in `pool` (RFC 5280 4.2.2.1 caIssuers),
 * at most `max_fetches` downloads; no download when offline. Not an error when a URL
 * fails: the chain check then reports what is missing. */
int seal_chain_fetch_issuers(seal_revocation *rv, X509 *cert, STACK_OF(X509) * pool,
                             int max_fetches);

/* ---- checking evidence ---- */

/* RFC 6960 3.2 and 4.2.2.2: `bs` is signed by `issuer` itself or by a responder whose
 * certificate `issuer` signed with id-kp-OCSPSigning; `req` (may be NULL) is the request
 * whose nonce must come back (a response with another nonce is refused; one without a
 * nonce is accepted). `signer_out` (may be NULL) receives a new reference to the
 * certificate that signed. SEAL_EPKI naming the problem when the response fails. */
int seal_ocsp_check_response(X509 **signer_out, OCSP_BASICRESP *bs, X509 *issuer,
                             OCSP_REQUEST *req);

/* RFC 5280 6.3.3: the CRL is issued and signed by `issuer` (names match, the signature
 * verifies with its key, which may sign CRLs), is a complete CRL (not a delta) and its
 * scope covers `cert` (issuing distribution point). An indirect CRL (5.2.5) signed by
 * another CRL issuer is checked by seal_pki_status_at, which holds the certificates that
 * may name it. SEAL_EPKI naming the problem. */
int seal_crl_check(X509_CRL *crl, X509 *cert, X509 *issuer);

/* ---- status at a time T ---- */

typedef enum seal_cert_state {
    SEAL_CERT_GOOD = 0,
    SEAL_CERT_REVOKED,   /* revoked at or before T */
    SEAL_CERT_SUSPENDED, /* on hold (certificateHold) at T */
    SEAL_CERT_UNKNOWN    /* no acceptable evidence, or the responder does not know it */
} seal_cert_state;

const char *seal_cert_state_name(seal_cert_state s); /* "good", "revoked"... */

/* RFC 5280 5.3.1 CRLReason: "unspecified", "keyCompromise"... (NULL if not a reason). */
const char *seal_crl_reason_name(int reason);
/* SEAL_EINVAL listing the names when `name` is none of them. */
int seal_crl_reason_parse(int *out, const char *name);

typedef struct seal_evidence {
    seal_evidence_kind kind;
    char *source; /* the URL it was fetched from, "cache: URL", "DSS", a path... */
    char *signer; /* one-line subject of the CRL issuer or OCSP responder */
    time_t this_update;
    time_t next_update; /* 0: none given */
    time_t produced_at; /* OCSP producedAt; 0 for CRLs */
    time_t fetched_at;  /* 0: not fetched by us (embedded, a file) */
    char *crl_number;   /* decimal; NULL when absent or OCSP */
    char *archived;     /* the archive file, when it was archived */
    seal_buf der;       /* the CRL or the OCSPResponse, as received */
    /* A complete CRL read with a delta CRL (RFC 5280 5.2.4): the delta, as received, and
     * its number; thisUpdate and nextUpdate above are then the delta's. Empty and NULL
     * when no delta applied. */
    seal_buf delta_der;
    char *delta_crl_number;
} seal_evidence;

typedef struct seal_cert_status {
    seal_cert_state state;
    /* revoked or suspended: since when, and why (-1: no reason code). Also set when the
     * certificate was good at T but revoked or put on hold later (revoked_later). */
    time_t revoked_at;
    int reason;
    time_t invalidity_date; /* RFC 5280 5.3.2; 0: none */
    bool revoked_later;     /* good at T, revoked (or held) after T */
    seal_evidence evidence; /* what decided (kind NONE when nothing did) */
    char detail[768];       /* in words: what was found, or what was tried and failed */
} seal_cert_status;

void seal_cert_status_clear(seal_cert_status *s);

/* The status of `cert` (issued by `issuer`) at time `at`, with the evidence. A complete
 * CRL is read together with the newest delta CRL among the evidence that applies to it
 * (RFC 5280 5.2.4: same issuer and scope, BaseCRLNumber <= the complete CRL's number <
 * the delta's): the delta's entries win (removeFromCRL: no longer listed). Online, the
 * delta is fetched from the Freshest CRL extension (5.2.6) of the certificate or of the
 * complete CRL. Indirect CRLs (5.2.5) are read by the certificateIssuer of their entries
 * (5.3.3), when signed by the certificate's CA or a CRL issuer that CA certified and the
 * certificate's distribution point names in cRLIssuer. Evidence is
 * acceptable for T when it was issued at or after T (thisUpdate >= T), or when it is
 * fresh now (thisUpdate <= now <= nextUpdate); the newest acceptable evidence decides,
 * except that a revocation (not a hold) at or before T always does. A delegated OCSP
 * responder without id-pkix-ocsp-nocheck counts only when a CRL among the evidence shows
 * its own certificate good (RFC 6960 4.2.2.2.1). Order: embedded and
 * local evidence and the cache, then (unless offline) OCSP from the AIA, then the CRL
 * distribution points. Returns 0 when the question could be asked (the answer may be
 * UNKNOWN); an error only for bad arguments or memory. */
int seal_pki_status_at(seal_cert_status *out, seal_revocation *rv, X509 *cert, X509 *issuer,
                       time_t at);

/* One line: "good (OCSP http://..., thisUpdate ..., nextUpdate ..., signed by CN=...)".
 * Appends to `out`. */
int seal_cert_status_describe(seal_buf *out, const seal_cert_status *s);

#ifdef __cplusplus
}
#endif
#endif
