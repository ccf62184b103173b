/* Trusted time: RFC 3161 (with RFC 5816's ESS signing-certificate-v2) timestamp requests,
 * tokens, an HTTP client for a TSA, and a responder.
 *
 * Stamp flow (B-T): the signer's CMS signature value is hashed, seal_tsp_timestamp() asks
 * the TSA and checks its answer (status, nonce, imprint, the TSA's signature, ESS binding
 * and timeStamping EKU); the token becomes an unsigned attribute of the CMS. Verify flow:
 * seal_tst_parse() reads a token found in a signature or a document timestamp,
 * seal_tst_check() checks it, and the caller checks the TSA's chain at genTime (pki).
 * Responder: `sealsvc tsa` hands each HTTP body to seal_tsa_respond(). */
#ifndef SEAL_TSP_H
#define SEAL_TSP_H

#include <seal/crypto.h>

#include <stdbool.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SEAL_OID_CT_TST_INFO          "1.2.840.113549.1.9.16.1.4"  /* RFC 3161 2.4.2 */
#define SEAL_OID_ATTR_TIMESTAMP_TOKEN "1.2.840.113549.1.9.16.2.14" /* RFC 3161 appendix A */
#define SEAL_OID_KP_TIMESTAMPING      "1.3.6.1.5.5.7.3.8"

/* What a token usually takes, certificates included; placeholders are sized with it and
 * grown when a TSA's token turns out larger. */
#define SEAL_TSP_TOKEN_ESTIMATE 8192

/* RFC 3161 2.4.2 PKIStatus values. */
typedef enum seal_tsp_status {
    SEAL_TSP_GRANTED = 0,
    SEAL_TSP_GRANTED_WITH_MODS = 1,
    SEAL_TSP_REJECTION = 2,
    SEAL_TSP_WAITING = 3,
    SEAL_TSP_REVOCATION_WARNING = 4,
    SEAL_TSP_REVOCATION_NOTIFICATION = 5
} seal_tsp_status;

/* RFC 3161 2.4.2 PKIFailureInfo bits. */
typedef enum seal_tsp_failure {
    SEAL_TSP_FAIL_BAD_ALG = 0,
    SEAL_TSP_FAIL_BAD_REQUEST = 2,
    SEAL_TSP_FAIL_BAD_DATA_FORMAT = 5,
    SEAL_TSP_FAIL_TIME_NOT_AVAILABLE = 14,
    SEAL_TSP_FAIL_UNACCEPTED_POLICY = 15,
    SEAL_TSP_FAIL_UNACCEPTED_EXTENSION = 16,
    SEAL_TSP_FAIL_ADD_INFO_NOT_AVAILABLE = 17,
    SEAL_TSP_FAIL_SYSTEM_FAILURE = 25
} seal_tsp_failure;

#define SEAL_TSP_MAX_DIGEST 64
#define SEAL_TSP_MAX_NONCE  32
#define SEAL_TSP_OID_MAX    128

/* ---- requests (RFC 3161 2.4.1) ---- */

typedef struct seal_tsp_request {
    const EVP_MD *md; /* NULL when the hash algorithm is not one we know */
    char hash_oid[SEAL_TSP_OID_MAX];
    uint8_t imprint[SEAL_TSP_MAX_DIGEST];
    size_t imprint_len;
    char policy[SEAL_TSP_OID_MAX];     /* "" when the request names none */
    uint8_t nonce[SEAL_TSP_MAX_NONCE]; /* the INTEGER's content octets */
    size_t nonce_len;                  /* 0: no nonce */
    bool cert_req;
    bool has_extensions;
} seal_tsp_request;

/* Encodes a TimeStampReq v1 for `digest` (made with md: SHA-256/384/512 or SM3).
 * `nonce` (content octets of a positive INTEGER, NULL for none), `policy` (NULL: any). */
int seal_tsp_request_encode(seal_buf *der, const EVP_MD *md, const uint8_t *digest,
                            size_t digest_len, const uint8_t *nonce, size_t nonce_len,
                            const char *policy, bool cert_req);
/* Decodes a TimeStampReq; SEAL_EFORMAT naming what is malformed. */
int seal_tsp_request_decode(seal_tsp_request *out, const uint8_t *der, size_t len);

/* ---- tokens (RFC 3161 2.4.2) ---- */

typedef struct seal_tst seal_tst;

typedef struct seal_tst_info {
    char policy[SEAL_TSP_OID_MAX];
    const EVP_MD *md; /* the imprint's hash; NULL when unknown */
    char hash_oid[SEAL_TSP_OID_MAX];
    seal_slice imprint;
    seal_slice serial; /* INTEGER content octets */
    time_t gen_time;
    long accuracy_ms; /* -1: absent */
    seal_slice nonce; /* INTEGER content octets; data NULL when absent */
    char *tsa_name;   /* the tsa field's directory name (RFC 2253), or NULL */
} seal_tst_info;

/* Parses a TimeStampToken (ContentInfo of SignedData over a TSTInfo). Trailing zero
 * padding is accepted (a document timestamp's /Contents). */
int seal_tst_parse(seal_tst **out, const uint8_t *der, size_t len);
void seal_tst_free(seal_tst *t);
const seal_tst_info *seal_tst_get_info(const seal_tst *t);
/* The TSA's certificate, found in the token (borrowed; NULL when the token lacks it). */
X509 *seal_tst_signer_cert(const seal_tst *t);
/* Every certificate the token carries (borrowed). */
STACK_OF(X509) * seal_tst_certs(const seal_tst *t);
/* The token's DER (ContentInfo), without padding. */
seal_slice seal_tst_der(const seal_tst *t);
/* The TSA's name for reports: the token's tsa field, else its certificate's CN. Caller
 * frees with free(). */
char *seal_tst_tsa_display_name(const seal_tst *t);

/* Checks the token's own signature: content-type, message digest of the TSTInfo, the
 * signature by the TSA certificate it carries, the ESS signing-certificate(-v2) binding
 * (RFC 5816), and that certificate's extendedKeyUsage: only id-kp-timeStamping, critical
 * (RFC 3161 2.3). 0 when all hold; SEAL_ECRYPTO (signature, digest) or SEAL_EPKI
 * (certificate) with a message naming the failure. The TSA's chain is the caller's. */
int seal_tst_check(const seal_tst *t);

/* Whether the token's imprint is `digest` made with `md` (same algorithm, same bytes):
 * 1 yes, 0 no. */
int seal_tst_imprint_is(const seal_tst *t, const EVP_MD *md, const uint8_t *digest,
                        size_t digest_len);
/* Hashes `data` with the token's imprint algorithm and compares: 1 equal, 0 not,
 * SEAL_EUNSUPPORTED when the algorithm is unknown. */
int seal_tst_imprint_matches(const seal_tst *t, const uint8_t *data, size_t len);

/* ---- responses, client side ---- */

/* Reads a TimeStampResp. *status receives the PKIStatus; on granted (with or without
 * mods) *token receives the token's DER. Otherwise SEAL_EPKI (the TSA refused) with a
 * message naming the status, the TSA's text and its failure bits. */
int seal_tsp_response_decode(seal_buf *token, int *status, const uint8_t *der, size_t len);

typedef struct seal_tsp_client {
    const char *url;     /* http:// or https:// */
    const EVP_MD *md;    /* the imprint's hash (SHA-256 or SM3); NULL: SHA-256 */
    const char *policy;  /* reqPolicy, NULL: the TSA's default */
    long timeout_s;      /* whole exchange; 0: 30 s */
    size_t max_response; /* larger answers are refused; 0: 256 KiB */
    /* When somebody else chose the URL (a request's tsa parameter): the addresses it may
     * reach (seal/net.h); NULL: any. */
    const struct seal_net_guard *guard;
} seal_tsp_client;

/* Gets a token for `digest` (made with c->md): a request with a fresh 64-bit nonce and
 * certReq, POSTed as application/timestamp-query; the answer must be 200 with
 * application/timestamp-reply, granted, and its token must carry our nonce and imprint
 * and pass seal_tst_check(). *out receives the parsed token. */
int seal_tsp_timestamp(seal_tst **out, const seal_tsp_client *c, const uint8_t *digest,
                       size_t digest_len);
/* The same for `data` itself, hashed here with c->md: e.g. the signature value of a
 * GB/T 38540 v4 SES_Signature, whose timeStamp field holds seal_tst_der() of the result. */
int seal_tsp_timestamp_data(seal_tst **out, const seal_tsp_client *c, const uint8_t *data,
                            size_t len);

/* ---- the responder ---- */

typedef struct seal_tsa seal_tsa;

typedef struct seal_tsa_config {
    const seal_signer *signer; /* the TSA's key and certificate (EKU timeStamping) */
    const char *policy;        /* TSAPolicyId of every token (dotted) */
    const char *serial_path;   /* the serial counter file (made when missing) */
    unsigned accuracy_ms;      /* Accuracy of genTime; 0: none stated */
    /* Instead of the file: reserves `count` serial numbers for this TSA and hands back the
     * first, never the same twice, across processes and restarts (the platform's
     * database: seal_store_counter_reserve). Called under the TSA's own lock. */
    int (*reserve)(void *ctx, uint64_t count, uint64_t *first);
    void *reserve_ctx;
} seal_tsa_config;

/* The demo TSA's policy: the UUID 32348fc3-73c6-46d6-b090-584ba319ed74 as an OID under
 * the 2.25 arc (ITU-T X.667 / ISO/IEC 9834-8), which needs no registration. */
#define SEAL_TSA_DEMO_POLICY "2.25.66734315095785095120008572179295366516"

int seal_tsa_new(seal_tsa **out, const seal_tsa_config *cfg);
void seal_tsa_free(seal_tsa *t);

/* Answers one request: a granted TimeStampResp with a token (genTime = now), or a
 * rejection with the PKIFailureInfo that fits (badDataFormat, badAlg, unacceptedPolicy,
 * unacceptedExtension, systemFailure); *status tells which. Returns 0, or after an
 * internal failure (the serial counter, signing) a negative code whose message is for
 * the server's log, while *resp still holds the systemFailure rejection to send. Thread-
 * safe: serial numbers come from a counter reserved in blocks (under a file lock, or from
 * the reserve callback), so they never repeat across threads, processes or restarts. */
int seal_tsa_respond(seal_tsa *t, seal_buf *resp, seal_tsp_status *status, const uint8_t *req,
                     size_t len, time_t now);

#ifdef __cplusplus
}
#endif
#endif
