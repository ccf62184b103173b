/* Verification: the driver that takes a file to a report through the document face
 * (seal_verify_file, below), and the steps every format's verifier shares: the
 * certificate checks of PDF-SIGN.md 5.4, the same for every format.
 *
 * Verify flow: after the signature itself checks out, a verifier hands the signer's (or
 * timestamp authority's, or seal maker's) certificate, the certificates the signature
 * carries, and the time the signature was made; this builds the chain, judges it at that
 * time, and asks for the revocation status of every certificate in it at that time
 * (seal/revocation.h), recording the outcome as checks on the signature's report. */
#ifndef SEAL_VERIFY_H
#define SEAL_VERIFY_H

#include <seal/doc.h>
#include <seal/pki.h>
#include <seal/report.h>
#include <seal/revocation.h>
#include <seal/store.h>
#include <seal/tsp.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Fills the report's signer name, subject, issuer, serial and algorithm from CERT
 * (replacing what was there). */
int seal_sig_report_set_signer(seal_sig_report *s, X509 *cert);

typedef struct seal_cert_checks {
    time_t at;       /* the signing time the checks are made at */
    bool at_proven;  /* `at` comes from a timestamp (or other proof of existence) */
    bool signing;    /* the leaf must allow digitalSignature or nonRepudiation */
    const char *who; /* NULL for the signer (checks "chain", "revocation"); else a prefix:
                        "tsa" gives "tsa-chain", "tsa-revocation" */
    /* Evidence the document itself carries (a PDF's DSS: CRLs, OCSP responses and
     * certificates), judged with the trust's own; may be NULL. */
    seal_revocation *document_evidence;
} seal_cert_checks;

/* Adds to `s` one chain check and one revocation check per certificate of the chain but
 * the trust anchor. Chain: from `cert`, `certs` (what the signature carries; may be NULL),
 * the trust's revocation context's pool (a DSS's certificates) and, online, AIA
 * caIssuers. Revocation, at `at`: revoked before it is INVALID (REVOKED); revoked after
 * it stays VALID when `at_proven` and is INDETERMINATE (REVOKED_NO_POE) when not; on
 * hold is INDETERMINATE (SUSPENDED); no acceptable evidence is INDETERMINATE
 * (TRY_LATER), never VALID. Returns 0 when the checks ran, whatever their outcome. */
int seal_verify_certificates(seal_sig_report *s, const seal_trust *trust, X509 *cert,
                             STACK_OF(X509) * certs, const seal_cert_checks *how);

/* The revocation half alone, for a chain already built (leaf first, anchor last): one
 * check named `check_name` per certificate but the anchor, judged at `at` as above.
 * `worst` (may be NULL) receives the worst outcome among them (VALID when none). */
int seal_verify_chain_revocation(seal_sig_report *s, const char *check_name,
                                 const seal_trust *trust, STACK_OF(X509) * chain, time_t at,
                                 bool at_proven, seal_revocation *document_evidence,
                                 seal_verdict *worst);

/* ---- the verify driver: a file in, a report out (DESIGN.md "The verify flow") ---- */

/* What a relying party brings to a verification. Everything may be left empty: a bidder's
 * machine has no platform data, and then chains are judged against no anchor. */
typedef struct seal_verify_file_opts {
    /* The platform's store, or NULL. With one: its roots as trust anchors, its published
     * CRLs, its CA certificates as intermediates, and its revocation cache and evidence
     * archive (seal_store_revocation_new, seal/ca.h). Used from the calling thread. */
    seal_store *store;
    /* Without a store: a folder laid out as a data directory, or NULL. With one: its
     * trust anchors (DIR/trust), CRLs (DIR/crl), revocation cache (DIR/cache/revocation),
     * evidence archive (DIR/evidence) and CA certificates (DIR/pki, as intermediates). */
    const char *data_dir;
    const char *const *trust_paths; /* anchor certificate files or folders of them */
    size_t n_trust_paths;
    /* CRLs and OCSP responses (DER; CRLs also PEM), or folders of .crl, .der and .ocsp files */
    const char *const *evidence_paths;
    size_t n_evidence_paths;
    bool offline; /* never fetch CRLs, OCSP responses or issuers */
    /* What fetches may reach (seal/net.h): a service verifying strangers' documents, whose
     * certificates name the URLs; NULL: any address. */
    const struct seal_net_guard *guard;
    const char *password; /* an encrypted PDF's user or owner password; NULL: empty */
    /* Also each signature's picture as the page shows it and a thumbnail of its page
     * (seal_sig_report.picture), for a page that shows the verdict to a person. */
    bool pictures;
    /* Only this document's signatures (1-based) of a file that holds several (an OFD
     * package's DocBody elements); 0: every document's. A PDF holds one: above 1 is
     * SEAL_EINVAL. */
    int document;
} seal_verify_file_opts;

/* The relying party's revocation context: the evidence given, and with a store (or else a
 * data directory) its published CRLs, cache, archive and CA certificates; fetching unless
 * `offline`. */
int seal_verify_revocation_new(seal_revocation **out, seal_store *store, const char *data_dir,
                               bool offline, const char *const *evidence, size_t n_evidence);
/* The anchors (each trust path, then the store's roots, or DIR/trust when it exists) with
 * the revocation context above attached: what seal_doc_verify judges chains with. */
int seal_verify_trust_load(seal_trust **out, const seal_verify_file_opts *opts);

/* Adds to every signature of `r` shown on a page of `doc` its picture (seal_sig_picture):
 * the page rendered through the document face, cropped to the signature's first place, and
 * the page small. In a file of several documents `doc` is opened on one of them,
 * `document` (1-based): only that document's signatures get theirs; 0 for a file of one.
 * A page that cannot be rendered leaves that signature without a picture: the verdict does
 * not depend on it. */
int seal_report_add_pictures(seal_report *r, seal_doc *doc, int document);

/* Verifies every signature of the document at `path` (PDF or OFD, told by its content)
 * into a report. 0 when the file could be examined, whatever the verdict; an error when
 * the anchors or evidence cannot be read or the file is no document we can read. `opts`
 * may be NULL. */
int seal_verify_file(seal_report **out, const char *path, const seal_verify_file_opts *opts);
/* The same over an open file (read only, never closed here); `name` names it in the
 * report and in messages. */
int seal_verify_fd(seal_report **out, int fd, const char *name, const seal_verify_file_opts *opts);

/* ---- the sealed PDF report (report_seal.c) ---- */

/* The document's name, size, SHA-256 and SM3 from the file at `path` (read in pieces),
 * into the report options; `o->file_name` points at `path`. */
int seal_report_pdf_opts_from_file(seal_report_pdf_opts *o, const char *path);

/* The platform's verification-service seal the report is sealed with. */
typedef struct seal_report_seal {
    const char *seal_id;        /* SEAL_REPORT_SEAL_DEFAULT unless another is configured */
    const char *pin;            /* the seal's PIN (or its token's) */
    const seal_tsp_client *tsa; /* a timestamp on the seal (PAdES B-T); NULL: B-B */
    const seal_trust *trust;    /* anchors the TSA's answer must lead to */
    const char *actor;          /* for the audit trail; NULL: "verify-report" */
} seal_report_seal;

/* The seal `sealsvc demo init` makes for the platform's verification service. */
#define SEAL_REPORT_SEAL_DEFAULT "platform-verification"

/* Renders the report (seal_report_to_pdf) and seals it through the stamp driver
 * (seal_stamp: the seal's state and certificate checked, the use audited) with an
 * invisible PAdES signature, B-T when `how->tsa` is set, written atomically to `out_path`.
 * Nothing is left at `out_path` on failure. */
int seal_report_pdf_sealed(const seal_report *r, const seal_report_pdf_opts *o, seal_store *store,
                           const seal_report_seal *how, const char *out_path);

#ifdef __cplusplus
}
#endif
#endif
