/* The stamp flow as one library call (DESIGN.md "The stamp driver"): a request in, a
 * result out. The command line (`sealsvc stamp`), the HTTP service and the desk call
 * these and nothing below them; no face knows PDF from OFD.
 *
 * seal_stamp() does, in this order: resolve the seal and check its state; check its
 * certificate (expired, not yet valid, revoked or frozen refuses; within 30 days of expiry
 * warns); unlock the signer (a software key with its PIN, a PKCS#11 token with its PIN)
 * or, for an external signer, take the seal's certificate; open the document once; check
 * that its own signatures still verify and examine it as an attacker's document (the input
 * policy); plan the placements; prepare; sign; timestamp; finish; add validation data
 * (B-LT, B-LTA); audit. With an external signer it stops after prepare and keeps a pending
 * stamp in the store; seal_stamp_finish() completes it with a signature made elsewhere, in
 * this process or another one.
 *
 * Every outcome that touched a seal is in the audit trail, by the request's actor: a
 * stamp whose record cannot be written is undone.
 *
 * Threads: one process may stamp and verify from many threads at once, the same or
 * different documents with the same or different seals (and PKCS#11 tokens). The one rule:
 * a seal_store handle belongs to one thread at a time (seal/store.h); open one per thread
 * on the same data directory. Requests, results, signers and reports are the caller's and
 * are not shared by the library. Everything else is safe: errors (seal/error.h) are kept
 * per thread; libraries with a process-wide start (libxml2, libcurl, FreeType, OpenSSL's
 * legacy provider) are started once; a PKCS#11 module is loaded once per process and its
 * token operations take turns, since a token's login is the whole process's. A call may
 * run a helper thread beside itself (hashing, syncing the output); at most one helper per
 * CPU the process may run on exists at a time in the whole process, and a call that finds
 * none free does that work on its own thread. */
#ifndef SEAL_STAMP_H
#define SEAL_STAMP_H

#include <seal/crypto.h>
#include <seal/doc.h>
#include <seal/pki.h>
#include <seal/place.h>
#include <seal/revocation.h>
#include <seal/store.h>
#include <seal/tsp.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum seal_stamp_level {
    SEAL_LEVEL_B_B,  /* a signature */
    SEAL_LEVEL_B_T,  /* and a signature timestamp */
    SEAL_LEVEL_B_LT, /* and validation data (PAdES only) */
    SEAL_LEVEL_B_LTA /* and a document timestamp over it (PAdES only) */
} seal_stamp_level;

/* "B-B" ... "B-LTA". */
const char *seal_stamp_level_name(seal_stamp_level level);

/* Seconds an external signer has to sign a prepared stamp when the request does not say. */
#define SEAL_PENDING_TTL_DEFAULT 3600
#define SEAL_PENDING_TTL_MAX     (7 * 86400)

/* What the stamp does with what the examination of its input finds (seal_doc_examine:
 * hidden content, things that act when the file is opened, bytes no reader reaches;
 * docs/stamping.md "The input examined"). */
typedef enum seal_input_policy {
    SEAL_INPUT_WARN = 0, /* stamp; the findings go into the result's warnings and the audit
                            record */
    SEAL_INPUT_STRICT,   /* refuse a document with any finding (SEAL_EPOLICY naming them) */
    SEAL_INPUT_OFF       /* not examined */
} seal_input_policy;

/* "warn", "strict", "off". */
const char *seal_input_policy_name(seal_input_policy policy);
/* SEAL_EINVAL naming the three when `text` is none of them. */
int seal_input_policy_parse(seal_input_policy *out, const char *text);

typedef struct seal_stamp_request {
    /* The document: a path, or an open descriptor (`input` then names it). Never
     * written. */
    const char *input;
    bool input_is_fd;
    int input_fd;
    const char *output;   /* written atomically; must not be the input */
    const char *password; /* an encrypted document's password; NULL: none */

    /* The seal and who asks. */
    const char *seal_id;
    const char *pin;   /* unlocks a software key or a token; not used when `external` */
    bool external;     /* the signature is made elsewhere: stop after prepare */
    long pending_ttl;  /* external: seconds to finish in; 0: SEAL_PENDING_TTL_DEFAULT */
    const char *actor; /* for the audit trail: "user:li", "apikey:portal-3"; NULL: "unknown" */
    /* The grant the stamp uses (seal/store.h; 0: none): checked before the seal is
     * touched, its use counted in the transaction that writes the stamp's audit record,
     * and recorded in the signature. A seal that needs a grant refuses a stamp without
     * one. Not with `external` (yet): refused. */
    int64_t grant_id;

    /* Where the seal is shown: each request is planned over the document, all the
     * pictures belong to one signature. None with `invisible`. */
    const seal_place_request *places;
    size_t n_places;
    bool invisible;
    int page;     /* an invisible signature's page; 0: the first */
    int document; /* the document of a file that holds several (an OFD package's DocBody
                     elements), 1-based; 0: the first. A PDF holds one. */

    /* The signature. */
    seal_stamp_level level;
    const seal_tsp_client *tsa;  /* B-T and above */
    const seal_trust *trust;     /* anchors for the TSA and, at B-LT, every chain */
    seal_revocation *revocation; /* B-LT: where CRLs and OCSP responses come from */
    const char *reason, *location;
    int certify;             /* 1, 2, 3: a certifying signature (PDF DocMDP) */
    const char *lock_fields; /* "all" or "NAME,NAME" (PDF FieldMDP) */
    bool lock;               /* OFD: no later signature (the signature list is covered) */
    const char *qr_url;      /* a QR code beside the seal; {sha256}: the input's digest */

    /* The document's own signatures: one that no longer verifies (its bytes changed, its
     * signature value wrong, a change after it that it does not allow: INVALID) refuses
     * the stamp (SEAL_EPOLICY naming it), so that a new seal never seems to vouch for a
     * broken document; with this set the stamp goes on and the result warns instead. */
    bool allow_broken_signatures;
    /* The input examined as an attacker's document first, and what its findings do. */
    seal_input_policy input_policy;
    /* With findings: stamp a rewrite of the input that keeps only what the document
     * reaches and drops its earlier revisions (seal_doc_normalise) instead, and judge what
     * the rewrite still holds. Refused (SEAL_EPOLICY) for a signed input, which the
     * rewrite would break; a usage error with the policy off. */
    bool normalise;
} seal_stamp_request;

typedef struct seal_stamp_result {
    /* Filled as far as the flow got, also on failure. */
    char *seal_id, *seal_name;
    seal_key_alg alg;
    char *format;    /* "PDF", "OFD" */
    bool usage;      /* the request cannot be done on this document (an OFD has no /Reason...):
                        nothing was touched or recorded; the message says what to drop */
    char **warnings; /* NULL-terminated (may be NULL): near expiry, status unknown... */
    /* What the examination of the input found (also on a strict refusal), and whether the
     * stamp is on a normalised rewrite of the input (request->normalise). */
    seal_doc_finding *findings;
    size_t n_findings;
    bool normalised;

    /* A finished stamp. */
    char *output;
    char *how;                  /* "PAdES B-T, certifying", "OFD Type=Seal, document locked" */
    char *signer;               /* the signer certificate's subject CN */
    seal_placement *placements; /* pages are the stamped document's */
    size_t n_placements;
    int document;               /* the document stamped, when the file holds several; else 0 */
    seal_stamp_digests digests; /* the input's and the output's */
    /* B-LT and B-LTA: what the validation data holds. */
    bool ltv;
    size_t ltv_signatures, ltv_timestamps, ltv_certs, ltv_crls, ltv_ocsps;
    bool ltv_archived;

    /* A pending stamp (request->external): what the signer signs. */
    char pending_id[33];
    uint8_t digest[EVP_MAX_MD_SIZE]; /* the hash of the signed data, for SM2 e = SM3(Z_A||M) */
    size_t digest_len;
    const char *signature_alg; /* "RSA-SHA256", "ECDSA-SHA256", "SM2-SM3" */
    bool digest_is_sm2_e;      /* the digest is e (Z_A with ID 1234567812345678 included) */
    seal_buf to_sign;          /* M itself, for signers that hash on their own */
    time_t expires;
} seal_stamp_result;

void seal_stamp_result_clear(seal_stamp_result *r);

/* Runs the flow. 0 when stamped (or, external, prepared and kept); a negative code with
 * the error set otherwise, `result` filled as far as it got. */
int seal_stamp(seal_stamp_result *result, seal_store *store, const seal_stamp_request *request);

typedef struct seal_stamp_finish_request {
    const char *pending_id;
    const uint8_t *signature; /* over the result's digest, by the seal's key */
    size_t signature_len;
    /* The signer's certificate, PEM, when the platform may not know it yet: it must be the
     * seal's own. NULL: the seal's. */
    const uint8_t *certificate_pem;
    size_t certificate_pem_len;
    const char *actor;
    /* B-T and above: the TSA's anchors (the TSA itself is the one the stamp was prepared
     * with); B-LT: where CRLs and OCSP responses come from. */
    const seal_trust *trust;
    seal_revocation *revocation;
    /* What the TSA may be reached at (seal/net.h) unless it is `tsa_url_trusted` (the
     * platform's own, which the operator chose): the URL a stamp was prepared with may be
     * a requester's. NULL: any address. */
    const struct seal_net_guard *tsa_guard;
    const char *tsa_url_trusted;
    /* An encrypted PDF's password, for B-LT and B-LTA: the validation data is written in
     * an update encrypted with the document's key. NULL: none. */
    const char *password;
} seal_stamp_finish_request;

/* Completes a pending stamp: claims it (one finisher at a time; an expired one is
 * refused and removed), checks the signature against the prepared data before writing
 * anything, embeds it and writes the output atomically. A refused signature leaves no
 * output and the stamp pending. Audited like seal_stamp(). */
int seal_stamp_finish(seal_stamp_result *result, seal_store *store,
                      const seal_stamp_finish_request *request);

/* Removes the pending stamps that expired (and what they left on disk), recording each in
 * the audit trail. Called by seal_stamp() and seal_stamp_finish(); *removed (may be
 * NULL) counts them. */
int seal_stamp_expire(seal_store *store, size_t *removed);

#ifdef __cplusplus
}
#endif
#endif
