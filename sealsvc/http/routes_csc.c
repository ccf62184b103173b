/* Remote signing: the Cloud Signature Consortium API v2 (docs/csc.md), so that a standard
 * CSC client can sign with a seal's key the platform holds. POST /csc/v2/info (public),
 * credentials/list, credentials/info, credentials/authorize, signatures/signHash and
 * signatures/signDoc (PAdES through the stamp driver, seal/stamp.h), each with an API key as
 * the service's access token (`Authorization: Bearer`, as every other route). A credential
 * is a seal the key may use (auth_may_use_seal, the native API's rule); authorize checks the
 * seal's PIN (seal_store_unlock_seal: wrong PINs count toward the seal's lock) and issues a
 * SAD (store/sad.c) bound to the seal, the key, the hashes and their number, which expires
 * after [csc] sad_seconds; each hash is signed once (the database keeps what was signed),
 * counted against the grant and audited like a stamp (seal_store_use_record).
 *
 * Errors are the specification's (CSC API v2 section 10): {"error", "error_description"},
 * 400 invalid_request, 401 invalid_token, 501 not_implemented_method; not the problem
 * documents of the rest of the API, since CSC clients read these. */
#include "service.h"

#include "stamp_input.h"

#include <seal/ca.h>
#include <seal/crypto.h>
#include <seal/doc.h>
#include <seal/error.h>
#include <seal/stamp.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the service speaks (CSC API v2.0.0.2, section 11.1). */
#define CSC_SPECS "2.0.0.2"
/* Signatures one authorization may allow (credentials/info `multisign`). */
#define CSC_MULTISIGN SEAL_SAD_MAX_HASHES
/* Documents one signDoc may carry. */
#define CSC_MAX_DOCUMENTS 16

/* The OIDs of section 11.4's hashAlgorithmOID and signAlgo. */
#define OID_SHA256       "2.16.840.1.101.3.4.2.1"
#define OID_SM3          "1.2.156.10197.1.401"
#define OID_RSA_SHA256   "1.2.840.113549.1.1.11"
#define OID_RSA          "1.2.840.113549.1.1.1"
#define OID_ECDSA        "1.2.840.10045.2.1"
#define OID_ECDSA_SHA256 "1.2.840.10045.4.3.2"
#define OID_SM2_SM3      "1.2.156.10197.1.501"
#define OID_P256         "1.2.840.10045.3.1.7"
#define OID_SM2_CURVE    "1.2.156.10197.1.301"

/* ---------------------------------------------------------------- answers */

/* The specification's error object (section 10.1). Returns 1: answered. */
static int csc_error(call *c, unsigned status, const char *error, const char *description)
{
    if (status == 401)
        http_response_header(c->resp, "WWW-Authenticate",
                             "Bearer realm=\"sealsvc\", error=\"invalid_token\"");
    c->resp->outcome = error;
    int rc = call_json(c, status,
                       json_pack("{s:s, s:s}", "error", error, "error_description", description));
    return rc < 0 ? rc : 1;
}

static int invalid_request(call *c, const char *description)
{
    return csc_error(c, 400, "invalid_request", description);
}

/* "Missing (or invalid type) string parameter SAD" and its kin (section 10.1's wording). */
static int missing(call *c, const char *type, const char *name)
{
    char *text = g_strdup_printf("Missing (or invalid type) %s parameter %s", type, name);
    int rc = invalid_request(c, text);
    g_free(text);
    return rc;
}

static int invalid_parameter(call *c, const char *name)
{
    char *text = g_strdup_printf("Invalid parameter %s", name);
    int rc = invalid_request(c, text);
    g_free(text);
    return rc;
}

/* ---------------------------------------------------------------- the request */

/* The caller's API key (`Authorization: Bearer`): 0 with c->key, 1 when it answered 401
 * (or 403 for a role that may not sign: an auditor's), or an error. */
static int csc_auth(call *c)
{
    const char *header = http_request_header(c->req, "Authorization");
    if (!header || strncasecmp(header, "Bearer ", 7) != 0)
        return csc_error(c, 401, "invalid_token",
                         "The request needs an access token: Authorization: Bearer API_KEY");
    int rc = auth_bearer(c, header);
    if (rc == SEAL_EAUTH)
        return csc_error(c, 401, "invalid_token", "The access token is not valid");
    if (rc < 0)
        return rc;
    if (strcmp(c->key.role, "auditor") == 0)
        return csc_error(c, 403, "access_denied", "An auditor's API key may not sign");
    return 0;
}

/* The body: one JSON object (an empty body is {}). 0 with *out; 1 when it answered. */
static int csc_body(call *c, json_t **out)
{
    json_error_t err;
    json_t *j = NULL;
    *out = NULL;
    if (c->req->body_fd >= 0) {
        int fd = -1;
        int rc = http_request_body_fd(c->req, &fd);
        if (rc < 0)
            return rc;
        j = json_loadfd(fd, JSON_REJECT_DUPLICATES, &err);
        close(fd);
    } else if (c->req->body_len == 0) {
        j = json_object();
    } else {
        j = json_loadb((const char *)c->req->body, c->req->body_len, JSON_REJECT_DUPLICATES, &err);
    }
    if (!json_is_object(j)) {
        json_decref(j);
        return invalid_request(c, "The request body must be a JSON object");
    }
    *out = j;
    return 0;
}

/* A string member: NULL when absent; `bad` set when present but not a string. */
static const char *member_text(json_t *body, const char *name, bool *bad)
{
    json_t *v = json_object_get(body, name);
    if (v && !json_is_string(v))
        *bad = true;
    return json_string_value(v);
}

static bool member_flag(json_t *body, const char *name, bool otherwise, bool *bad)
{
    json_t *v = json_object_get(body, name);
    if (!v)
        return otherwise;
    if (!json_is_boolean(v))
        *bad = true;
    return json_is_true(v);
}

/* ---------------------------------------------------------------- credentials */

typedef enum cert_status { CERT_VALID, CERT_EXPIRED, CERT_SUSPENDED, CERT_REVOKED } cert_status;

static const char *const cert_status_names[] = {"valid", "expired", "suspended", "revoked"};

/* The certificate's status from the store: the platform CA's database (frozen: suspended,
 * revoked), else its validity window. */
static int certificate_status(call *c, X509 *cert, cert_status *out)
{
    seal_ca_record rec = {0};
    char *serial = seal_cert_serial_hex(cert);
    int rc = serial ? seal_store_ca_find(c->store, serial, NULL, &rec) : SEAL_ENOMEM;
    g_free(serial);
    *out = CERT_VALID;
    if (rc == SEAL_ENOTFOUND) {
        seal_error_clear();
        rc = 0;
    } else if (rc == 0 && rec.state == SEAL_CA_HOLD) {
        *out = CERT_SUSPENDED;
    } else if (rc == 0 && rec.state == SEAL_CA_REVOKED) {
        *out = CERT_REVOKED;
    }
    seal_ca_record_clear(&rec);
    if (rc == 0 && *out == CERT_VALID && time(NULL) > seal_asn1_time(X509_get0_notAfter(cert)))
        *out = CERT_EXPIRED;
    return rc;
}

/* The hash algorithm the seal's signatures take, and the signature algorithm, as OIDs. */
static const char *hash_oid(seal_key_alg alg)
{
    return alg == SEAL_ALG_SM2 ? OID_SM3 : OID_SHA256;
}

static const char *sign_oid(seal_key_alg alg)
{
    return alg == SEAL_ALG_RSA     ? OID_RSA_SHA256
           : alg == SEAL_ALG_ECDSA ? OID_ECDSA_SHA256
                                   : OID_SM2_SM3;
}

/* Whether signAlgo `oid` is what seal key `alg` makes: for RSA and ECDSA also the key's
 * own OID with the hash named apart (section 11.9 allows both). */
static bool sign_algo_fits(seal_key_alg alg, const char *oid)
{
    if (strcmp(oid, sign_oid(alg)) == 0)
        return true;
    return (alg == SEAL_ALG_RSA && strcmp(oid, OID_RSA) == 0) ||
           (alg == SEAL_ALG_ECDSA && strcmp(oid, OID_ECDSA) == 0);
}

/* An X.509 time as CSC writes it: GeneralizedTime, "20261231160000Z". */
static json_t *generalized_time(time_t t)
{
    struct tm tm;
    char text[32];
    if (!gmtime_r(&t, &tm) || strftime(text, sizeof text, "%Y%m%d%H%M%SZ", &tm) == 0)
        return json_null();
    return json_string(text);
}

static json_t *name_text(const X509_NAME *name)
{
    char *text = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    json_t *j = NULL;
    if (bio && X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
        long n = BIO_get_mem_data(bio, &text);
        j = json_stringn(text, (size_t)n);
    }
    BIO_free(bio);
    return j ? j : json_null();
}

/* The certificates of seal `r` as base64 DER: the seal's, and with `chain` its CAs'. */
static int certificates_json(const seal_record *r, bool chain, json_t *into)
{
    int rc = 0;
    BIO *bio = NULL;
    X509 *x = NULL;
    for (int part = 0; part < (chain ? 2 : 1); part++) {
        const seal_buf *pem = part == 0 ? &r->cert_pem : &r->chain_pem;
        if (pem->len == 0)
            continue;
        bio = BIO_new_mem_buf(pem->data, (int)pem->len);
        SEAL_ENSURE(bio, SEAL_ENOMEM, "out of memory");
        while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
            unsigned char *der = NULL;
            int n = i2d_X509(x, &der);
            SEAL_ENSURE(n > 0, SEAL_ECRYPTO, "cannot encode seal %s's certificates", r->id);
            char *b64 = g_base64_encode(der, (gsize)n);
            OPENSSL_free(der);
            json_array_append_new(into, json_string(b64));
            g_free(b64);
            X509_free(x);
            x = NULL;
        }
        ERR_clear_error();
        BIO_free(bio);
        bio = NULL;
    }
out:
    X509_free(x);
    BIO_free(bio);
    return rc;
}

/* What credentials/info says of seal `r` (section 11.5), as the request asks: `certificates`
 * "none", "single" or "chain"; `cert_info` the names and dates; `auth_info` how to
 * authorize. */
static int credential_json(call *c, const seal_record *r, const char *certificates, bool cert_info,
                           bool auth_info, json_t **out)
{
    int rc = 0;
    X509 *cert = NULL;
    cert_status status = CERT_VALID;
    json_t *j = NULL;
    *out = NULL;
    SEAL_TRY(seal_cert_load_mem(&cert, r->cert_pem.data, r->cert_pem.len));
    SEAL_TRY(certificate_status(c, cert, &status));
    EVP_PKEY *pub = X509_get0_pubkey(cert);
    bool enabled = strcmp(r->state, "active") == 0 && !r->locked;
    json_t *algos = json_array();
    json_array_append_new(algos, json_string(sign_oid(r->alg)));
    json_t *key = json_pack("{s:s, s:o, s:i}", "status", enabled ? "enabled" : "disabled", "algo",
                            algos, "len", pub ? EVP_PKEY_get_bits(pub) : 0);
    if (r->alg != SEAL_ALG_RSA)
        json_object_set_new(key, "curve",
                            json_string(r->alg == SEAL_ALG_SM2 ? OID_SM2_CURVE : OID_P256));
    json_t *cj = json_pack("{s:s}", "status", cert_status_names[status]);
    char *description =
        r->alg == SEAL_ALG_SM2
            ? g_strdup_printf("seal %s of %s (%s); SM2 with SM3: each hash is e = SM3(Z_A || M) "
                              "with the user ID " SEAL_SM2_USER_ID " (GB/T 32918.2 6.1)",
                              r->name, r->owner ? r->owner : "", r->kind)
            : g_strdup_printf("seal %s of %s (%s)", r->name, r->owner ? r->owner : "", r->kind);
    /* json_pack's "o" takes key and cj over, also when it fails: from here on j owns them. */
    j = json_pack("{s:s, s:o, s:o, s:s, s:i, s:s}", "description", description, "key", key, "cert",
                  cj, "SCAL", "2", "multisign", CSC_MULTISIGN, "lang", "zh-CN");
    g_free(description);
    SEAL_ENSURE(j, SEAL_ENOMEM, "out of memory for a credential");
    if (strcmp(certificates, "none") != 0) {
        json_t *list = json_array();
        json_object_set_new(cj, "certificates", list);
        SEAL_TRY(certificates_json(r, strcmp(certificates, "chain") == 0, list));
    }
    if (cert_info) {
        char *serial = seal_cert_serial_hex(cert);
        json_object_set_new(cj, "issuerDN", name_text(X509_get_issuer_name(cert)));
        json_object_set_new(cj, "serialNumber", json_string(serial ? serial : ""));
        json_object_set_new(cj, "subjectDN", name_text(X509_get_subject_name(cert)));
        json_object_set_new(cj, "validFrom",
                            generalized_time(seal_asn1_time(X509_get0_notBefore(cert))));
        json_object_set_new(cj, "validTo",
                            generalized_time(seal_asn1_time(X509_get0_notAfter(cert))));
        g_free(serial);
    }
    if (auth_info)
        json_object_set_new(j, "auth",
                            json_pack("{s:s, s:s, s:[{s:s, s:s, s:s, s:s}]}", "mode", "explicit",
                                      "expression", "PIN", "objects", "type", "PIN", "id", "PIN",
                                      "format", "A", "label", "the seal's PIN"));
    *out = j;
    j = NULL;
out:
    json_decref(j);
    X509_free(cert);
    return rc;
}

/* `certificates`, `certInfo`, `authInfo` of a request (sections 11.4, 11.5). 0, or 1 when
 * it answered. */
static int read_info_options(call *c, json_t *body, const char **certificates, bool *cert_info,
                             bool *auth_info)
{
    bool bad = false;
    const char *which = member_text(body, "certificates", &bad);
    if (bad)
        return missing(c, "string", "certificates");
    *certificates = which ? which : "single";
    if (strcmp(*certificates, "none") != 0 && strcmp(*certificates, "single") != 0 &&
        strcmp(*certificates, "chain") != 0)
        return invalid_parameter(c, "certificates");
    *cert_info = member_flag(body, "certInfo", false, &bad);
    if (bad)
        return missing(c, "boolean", "certInfo");
    *auth_info = member_flag(body, "authInfo", false, &bad);
    if (bad)
        return missing(c, "boolean", "authInfo");
    return 0;
}

/* The seal a request's credentialID names, when the caller may use it: 0 with *r; 1 when it
 * answered "Invalid parameter credentialID" (unknown and another institution's alike, so
 * that a caller learns nothing of seals not theirs). */
static int read_credential(call *c, json_t *body, seal_record *r)
{
    bool bad = false;
    const char *id = member_text(body, "credentialID", &bad);
    if (bad || !id)
        return missing(c, "string", "credentialID");
    int rc = seal_store_get_seal(c->store, id, r);
    if (rc == SEAL_ENOTFOUND || (rc == 0 && !auth_may_use_seal(c, r))) {
        seal_error_clear();
        seal_record_clear(r);
        return invalid_parameter(c, "credentialID");
    }
    return rc;
}

/* The refusal of a seal that may not sign now: a frozen, revoked or expired certificate. 0
 * when it may; 1 when it answered. */
static int refuse_certificate(call *c, const seal_record *r)
{
    X509 *cert = NULL;
    cert_status status = CERT_VALID;
    int rc = seal_cert_load_mem(&cert, r->cert_pem.data, r->cert_pem.len);
    if (rc == 0)
        rc = certificate_status(c, cert, &status);
    X509_free(cert);
    if (rc < 0)
        return rc;
    static const char *const why[] = {NULL, "The certificate is expired",
                                      "The certificate is suspended", "The certificate is revoked"};
    return status == CERT_VALID ? 0 : invalid_request(c, why[status]);
}

/* Opens seal r's key with `pin`: 0 with *signer; 1 when it answered ("The PIN is invalid",
 * "PIN locked" once this failure locked the seal, or the seal's state), or an error. */
static int unlock(call *c, const seal_record *r, const char *pin, seal_signer **signer)
{
    int rc = seal_store_unlock_seal(c->store, r->id, pin, signer, NULL);
    if (rc == SEAL_EAUTH || rc == SEAL_EPOLICY) {
        char *why = g_strdup(seal_error_last());
        seal_record now = {0};
        bool locked = seal_store_get_seal(c->store, r->id, &now) == 0 && now.locked;
        seal_record_clear(&now);
        rc = invalid_request(c, locked             ? "PIN locked"
                                : rc == SEAL_EAUTH ? "The PIN is invalid"
                                                   : why);
        g_free(why);
    }
    return rc;
}

/* ---------------------------------------------------------------- the routes */

int route_csc_info(call *c)
{
    json_t *body = NULL;
    int rc = csc_body(c, &body);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    json_decref(body);
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:[s], s:[s, s, s, s, s], s:{s:[s, s, s]}, "
        "s:{s:[s], s:[[s]]}, s:[s, s, s, s]}",
        "specs", CSC_SPECS, "name", "sealsvc", "logo", "", "region", "CN", "lang", "zh-CN",
        "description",
        "sealsvc electronic seal service: the platform's seal keys (RSA, ECDSA, SM2) for remote "
        "signing; the access token is a sealsvc API key (Authorization: Bearer)",
        "authType", "external", "methods", "credentials/list", "credentials/info",
        "credentials/authorize", "signatures/signHash", "signatures/signDoc", "signAlgorithms",
        "algos", OID_RSA_SHA256, OID_ECDSA_SHA256, OID_SM2_SM3, "signature_formats", "formats", "P",
        "envelope_properties", "Enveloped", "conformance_levels", "Ades-B-B", "Ades-B-T",
        "Ades-B-LT", "Ades-B-LTA");
    return call_json(c, 200, j);
}

int route_csc_credentials_list(call *c)
{
    json_t *body = NULL, *ids = json_array(), *infos = json_array();
    char **seals = NULL;
    const char *certificates = NULL;
    bool cert_info = false, auth_info = false, bad = false;
    int rc = 0;
    if ((rc = csc_auth(c)) != 0 || (rc = csc_body(c, &body)) != 0 ||
        (rc = read_info_options(c, body, &certificates, &cert_info, &auth_info)) != 0)
        goto out;
    bool with_info = member_flag(body, "credentialInfo", false, &bad);
    bool only_valid = member_flag(body, "onlyValid", false, &bad);
    if (bad) {
        rc = missing(c, "boolean", "credentialInfo or onlyValid");
        goto out;
    }
    if ((rc = seal_store_list_seals(c->store, &seals)) < 0)
        goto out;
    for (char **id = seals; id && *id; id++) {
        seal_record r = {0};
        json_t *info = NULL;
        if ((rc = seal_store_get_seal(c->store, *id, &r)) < 0)
            goto out;
        if (auth_may_use_seal(c, &r))
            rc = credential_json(c, &r, certificates, cert_info, auth_info, &info);
        seal_record_clear(&r);
        if (rc < 0)
            goto out;
        if (!info)
            continue;
        const char *key_status =
            json_string_value(json_object_get(json_object_get(info, "key"), "status"));
        const char *cert_state =
            json_string_value(json_object_get(json_object_get(info, "cert"), "status"));
        if (only_valid &&
            (strcmp(key_status, "enabled") != 0 || strcmp(cert_state, "valid") != 0)) {
            json_decref(info);
            continue;
        }
        json_array_append_new(ids, json_string(*id));
        json_object_set_new(info, "credentialID", json_string(*id));
        json_array_append_new(infos, info);
    }
    json_t *answer = json_pack("{s:O, s:b}", "credentialIDs", ids, "onlyValid", only_valid);
    if (with_info)
        json_object_set(answer, "credentialInfos", infos);
    rc = call_json(c, 200, answer);
out:
    json_decref(body);
    json_decref(ids);
    json_decref(infos);
    g_strfreev(seals);
    return rc < 0 ? rc : 0;
}

int route_csc_credentials_info(call *c)
{
    json_t *body = NULL, *info = NULL;
    seal_record r = {0};
    const char *certificates = NULL;
    bool cert_info = false, auth_info = false;
    int rc = 0;
    if ((rc = csc_auth(c)) != 0 || (rc = csc_body(c, &body)) != 0 ||
        (rc = read_credential(c, body, &r)) != 0 ||
        (rc = read_info_options(c, body, &certificates, &cert_info, &auth_info)) != 0 ||
        (rc = credential_json(c, &r, certificates, cert_info, auth_info, &info)) < 0)
        goto out;
    rc = call_json(c, 200, info);
out:
    json_decref(body);
    seal_record_clear(&r);
    return rc < 0 ? rc : 0;
}

/* The request's `hashes` (base64, each the length of the seal's hash) as lower-case hex
 * into *out (g_strfreev): 0; 1 when it answered. `required`: an absent member refuses. */
static int read_hashes(call *c, json_t *body, const seal_record *r, bool required, char ***out,
                       size_t *n_out)
{
    json_t *hashes = json_object_get(body, "hashes");
    *out = NULL;
    *n_out = 0;
    if (!hashes && !required)
        return 0;
    size_t n = json_array_size(hashes);
    if (!json_is_array(hashes) || n == 0)
        return missing(c, "array", "hashes");
    if (n > SEAL_SAD_MAX_HASHES)
        return invalid_request(c, "Numbers of signatures is too high");
    bool bad = false;
    const char *algo = member_text(body, "hashAlgorithmOID", &bad);
    if (bad)
        return missing(c, "string", "hashAlgorithmOID");
    /* Section 11.9: the hash algorithm may be left to signAlgo when that names it. */
    if (algo && strcmp(algo, hash_oid(r->alg)) != 0)
        return invalid_parameter(c, "hashAlgorithmOID");
    const size_t want = 32; /* SHA-256 and SM3 alike */
    char **hex = g_new0(char *, n + 1);
    for (size_t i = 0; i < n; i++) {
        const char *text = json_string_value(json_array_get(hashes, i));
        gsize len = 0;
        guchar *raw = NULL;
        if (text && *text &&
            strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
                strlen(text))
            raw = g_base64_decode(text, &len);
        if (!raw || len != want) {
            g_free(raw);
            g_strfreev(hex);
            return invalid_request(c, raw ? "Invalid digest value length"
                                          : "Invalid Base64 hashes string parameter");
        }
        seal_buf b = SEAL_BUF_INIT;
        int rc = seal_hex_encode(&b, raw, len, false);
        g_free(raw);
        if (rc < 0) {
            g_strfreev(hex);
            return rc;
        }
        hex[i] = g_strndup((const char *)b.data, b.len);
        seal_buf_clear(&b);
    }
    *out = hex;
    *n_out = n;
    return 0;
}

/* The extension `grant` (docs/csc.md): the grant whose uses the signatures count, as the
 * native API's grant parameter. 0; 1 when it answered. */
static int read_grant(call *c, json_t *body, int64_t *grant)
{
    json_t *g = json_object_get(body, "grant");
    *grant = 0;
    if (!g)
        return 0;
    if (!json_is_integer(g) || json_integer_value(g) < 1)
        return missing(c, "integer", "grant");
    *grant = json_integer_value(g);
    return 0;
}

/* A refusal of the store's use check (grants: docs/authorisations.md) as the request's
 * problem; 0 when the seal may be used. */
static int check_use(call *c, const char *seal_id, int64_t grant)
{
    int rc = seal_store_use_check(c->store, seal_id, grant, time(NULL), NULL);
    if (rc == SEAL_EPOLICY || rc == SEAL_ENOTFOUND)
        return invalid_request(c, seal_error_last());
    return rc;
}

int route_csc_credentials_authorize(call *c)
{
    json_t *body = NULL;
    seal_record r = {0};
    seal_signer *signer = NULL;
    seal_sad sad = {0};
    char **hashes = NULL, *token = NULL;
    const char *pin = NULL; /* in the body's JSON, wiped there when done */
    size_t n_hashes = 0;
    int64_t grant = 0;
    int rc = 0;
    if ((rc = csc_auth(c)) != 0 || (rc = csc_body(c, &body)) != 0 ||
        (rc = read_credential(c, body, &r)) != 0)
        goto out;
    json_t *num = json_object_get(body, "numSignatures");
    if (!json_is_integer(num) || json_integer_value(num) < 1) {
        rc = missing(c, "integer", "numSignatures");
        goto out;
    }
    if ((rc = read_hashes(c, body, &r, false, &hashes, &n_hashes)) != 0 ||
        (rc = read_grant(c, body, &grant)) != 0)
        goto out;
    /* SCAL 2 (section 8.2): the SAD signs the hashes it names and no others; without hashes
     * it signs documents through signDoc. */
    if (json_integer_value(num) > CSC_MULTISIGN ||
        (n_hashes && json_integer_value(num) > (json_int_t)n_hashes)) {
        rc = invalid_request(c, "Numbers of signatures is too high");
        goto out;
    }
    json_t *auth = json_object_get(body, "authData");
    for (size_t i = 0; i < json_array_size(auth); i++) {
        json_t *o = json_array_get(auth, i);
        if (json_is_string(json_object_get(o, "id")) &&
            json_is_string(json_object_get(o, "value")) &&
            strcmp(json_string_value(json_object_get(o, "id")), "PIN") == 0)
            pin = json_string_value(json_object_get(o, "value"));
    }
    if (!pin || !*pin) {
        rc = missing(c, "string", "authData PIN");
        goto out;
    }
    if (r.locked) {
        rc = invalid_request(c, "PIN locked");
        goto out;
    }
    if ((rc = refuse_certificate(c, &r)) != 0 || (rc = check_use(c, r.id, grant)) != 0 ||
        (rc = unlock(c, &r, pin, &signer)) != 0)
        goto out;
    sad.seal_id = g_strdup(r.id);
    sad.caller = g_strdup(c->key.id);
    sad.grant_id = grant;
    sad.hashes = hashes;
    sad.n_hashes = n_hashes;
    hashes = NULL;
    sad.num_signatures = json_integer_value(num);
    sad.expires = time(NULL) + c->svc->cfg->csc_sad_seconds;
    sad.pin = g_strdup(pin);
    if ((rc = seal_store_sad_issue(c->store, &sad, &token)) < 0)
        goto out;
    c->resp->outcome = "authorized";
    rc = call_json(
        c, 200,
        json_pack("{s:s, s:i}", "SAD", token, "expiresIn", (int)c->svc->cfg->csc_sad_seconds));
out:
    if (pin)
        OPENSSL_cleanse((char *)pin, strlen(pin));
    json_decref(body);
    seal_record_clear(&r);
    seal_signer_free(signer);
    seal_sad_clear(&sad);
    g_strfreev(hashes);
    g_free(token);
    return rc < 0 ? rc : 0;
}

/* The request's SAD for seal `r`: 0 with *sad; 1 when it answered (not ours, another
 * credential's or caller's: "Invalid parameter SAD"; "SAD expired"). */
static int read_sad(call *c, json_t *body, const seal_record *r, seal_sad *sad)
{
    bool bad = false;
    const char *token = member_text(body, "SAD", &bad);
    if (bad || !token)
        return missing(c, "string", "SAD");
    int rc = seal_store_sad_open(c->store, token, sad);
    if (rc == SEAL_EAUTH) {
        seal_error_clear();
        return invalid_parameter(c, "SAD");
    }
    if (rc < 0)
        return rc;
    if (strcmp(sad->seal_id, r->id) != 0 || strcmp(sad->caller, c->key.id) != 0)
        return invalid_parameter(c, "SAD");
    if (time(NULL) > sad->expires)
        return invalid_request(c, "SAD expired");
    return 0;
}

/* Spends `n` hashes of the SAD: 0; 1 when it answered. */
static int spend(call *c, const seal_sad *sad, char *const *hashes, size_t n)
{
    int rc = seal_store_sad_spend(c->store, sad, (const char *const *)hashes, n, time(NULL));
    if (rc == SEAL_EPOLICY)
        return invalid_request(c, "Numbers of signatures is too high");
    if (rc == SEAL_EEXISTS)
        return invalid_request(c, "Hash already signed with this SAD");
    return rc;
}

/* Everything a signature needs before it is made: the SAD's seal usable now (the
 * certificate, the grant) and its key opened with the SAD's PIN. 0; 1 when it answered. */
static int ready_to_sign(call *c, const seal_record *r, const seal_sad *sad, seal_signer **signer)
{
    int rc = 0;
    if (r->locked)
        return invalid_request(c, "PIN locked");
    if ((rc = refuse_certificate(c, r)) != 0 || (rc = check_use(c, r->id, sad->grant_id)) != 0)
        return rc;
    return unlock(c, r, sad->pin, signer);
}

/* Records one use of the seal (the grant counted, the audit record written) and answers
 * a refusal of it. 0; 1 when it answered. */
static int record_use(call *c, const seal_sad *sad, const char *what)
{
    char *actor = auth_actor(c);
    int rc = seal_store_use_record(c->store, sad->seal_id, sad->grant_id, NULL, time(NULL), actor,
                                   "csc-sign", "%s, CSC SAD %s", what, sad->id);
    g_free(actor);
    if (rc == SEAL_EPOLICY)
        return invalid_request(c, seal_error_last());
    return rc;
}

int route_csc_sign_hash(call *c)
{
    json_t *body = NULL, *signatures = json_array();
    seal_record r = {0};
    seal_signer *signer = NULL;
    seal_sad sad = {0};
    char **hashes = NULL;
    size_t n = 0;
    bool bad = false;
    int rc = 0;
    if ((rc = csc_auth(c)) != 0 || (rc = csc_body(c, &body)) != 0 ||
        (rc = read_credential(c, body, &r)) != 0 || (rc = read_sad(c, body, &r, &sad)) != 0 ||
        (rc = read_hashes(c, body, &r, true, &hashes, &n)) != 0)
        goto out;
    const char *algo = member_text(body, "signAlgo", &bad);
    const char *mode = member_text(body, "operationMode", &bad);
    if (bad || !algo) {
        rc = missing(c, "string", bad && algo ? "operationMode" : "signAlgo");
        goto out;
    }
    if (!sign_algo_fits(r.alg, algo)) {
        rc = invalid_parameter(c, "signAlgo");
        goto out;
    }
    if (mode && strcmp(mode, "S") != 0) {
        rc = invalid_parameter(c, "operationMode");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        bool authorized = false;
        for (size_t k = 0; k < sad.n_hashes && !authorized; k++)
            authorized = strcmp(sad.hashes[k], hashes[i]) == 0;
        if (!authorized) {
            rc = invalid_request(c, "Hash is not authorized by the SAD");
            goto out;
        }
    }
    if ((rc = ready_to_sign(c, &r, &sad, &signer)) != 0 || (rc = spend(c, &sad, hashes, n)) != 0)
        goto out;
    /* Each signature is made, then counted and recorded: one that cannot be recorded is not
     * handed out (nor any after it). */
    for (size_t i = 0; i < n; i++) {
        uint8_t digest[32];
        seal_buf sig = SEAL_BUF_INIT;
        for (size_t k = 0; k < sizeof digest; k++)
            digest[k] = (uint8_t)(g_ascii_xdigit_value(hashes[i][2 * k]) << 4 |
                                  g_ascii_xdigit_value(hashes[i][2 * k + 1]));
        if ((rc = seal_signer_sign_digest(signer, &sig, digest, sizeof digest)) < 0)
            goto out;
        char *b64 = g_base64_encode(sig.data, sig.len);
        seal_buf_clear(&sig);
        json_array_append_new(signatures, json_string(b64));
        g_free(b64);
        char *what = g_strdup_printf("signHash %s, hash %s", seal_key_alg_name(r.alg), hashes[i]);
        rc = record_use(c, &sad, what);
        g_free(what);
        if (rc != 0)
            goto out;
    }
    c->resp->outcome = "signed";
    rc = call_json(c, 200, json_pack("{s:O}", "signatures", signatures));
out:
    json_decref(body);
    json_decref(signatures);
    seal_record_clear(&r);
    seal_signer_free(signer);
    seal_sad_clear(&sad);
    g_strfreev(hashes);
    return rc < 0 ? rc : 0;
}

/* ---------------------------------------------------------------- signDoc */

/* A document's stamp parameters (docs/csc.md, the extension member "sealsvc"): the native
 * API's names (stamp_input_names), strings or numbers, `placements` an array, and `level`
 * from the document's conformance_level. */
typedef struct doc_params {
    GHashTable *values; /* name -> text */
} doc_params;

static const char *doc_param(void *ctx, const char *name)
{
    return g_hash_table_lookup(((doc_params *)ctx)->values, name);
}

/* Fills `p` from document object `doc`: 0; 1 when it answered. */
static int read_doc_params(call *c, json_t *doc, const char *level, doc_params *p)
{
    json_t *ext = json_object_get(doc, "sealsvc");
    const char *name;
    json_t *v;
    if (ext && !json_is_object(ext))
        return missing(c, "object", "sealsvc");
    json_object_foreach(ext, name, v)
    {
        bool known = false;
        for (size_t i = 0; stamp_input_names[i] && !known; i++)
            known = strcmp(stamp_input_names[i], name) == 0;
        if (!known || strcmp(name, "level") == 0) {
            char *text = g_strdup_printf("Invalid parameter sealsvc.%s", name);
            int rc = invalid_request(c, text);
            g_free(text);
            return rc;
        }
        char *text = json_is_string(v) ? g_strdup(json_string_value(v))
                     : json_is_integer(v)
                         ? g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(v))
                     : json_is_real(v)    ? g_strdup_printf("%g", json_real_value(v))
                     : json_is_boolean(v) ? g_strdup(json_is_true(v) ? "true" : "false")
                     : json_is_array(v)   ? json_dumps(v, JSON_COMPACT)
                                          : NULL;
        if (!text) {
            char *why = g_strdup_printf("Missing (or invalid type) parameter sealsvc.%s", name);
            int rc = invalid_request(c, why);
            g_free(why);
            return rc;
        }
        g_hash_table_insert(p->values, g_strdup(name), text);
    }
    /* Section 11.11 signs documents; where a seal is shown is ours to add: without a
     * placement the signature is invisible. */
    static const char *const places[] = {"page", "pages", "at", "keyword", "seam", "placements"};
    bool placed = false;
    for (size_t i = 0; i < G_N_ELEMENTS(places); i++)
        placed |= g_hash_table_contains(p->values, places[i]);
    if (!placed && !g_hash_table_contains(p->values, "invisible"))
        g_hash_table_insert(p->values, g_strdup("invisible"), g_strdup("true"));
    g_hash_table_insert(p->values, g_strdup("level"), g_strdup(level));
    return 0;
}

/* One document of a signDoc: stamped by the stamp driver with the SAD's seal, PIN and grant
 * as the native API stamps (seal_stamp, audited by the caller's key). 0 with the signed
 * document in *signed_out (base64, g_free); 1 when it answered. */
static int sign_document(call *c, const seal_sad *sad, json_t *doc, int fd, const char *level,
                         size_t n, char **signed_out)
{
    int rc = 0, out_fd = -1;
    doc_params p = {.values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free)};
    stamp_input in = {0};
    seal_stamp_request rq = {0};
    seal_stamp_result res = {0};
    seal_buf signed_doc = SEAL_BUF_INIT;
    char *actor = auth_actor(c);
    char *output = g_strdup_printf("%s/out-%s-csc%zu", c->svc->work_dir, c->req->request_id, n);
    if ((rc = read_doc_params(c, doc, level, &p)) != 0)
        goto out;
    rc = stamp_input_read(&in, &rq, doc_param, &p, c->store, c->svc->cfg->tsa_url, c->svc->outbound,
                          false);
    if (rc == STAMP_INPUT_REFUSED) {
        rc = invalid_request(c, seal_error_last());
        goto out;
    }
    if (rc < 0)
        goto out;
    rq.input = "document";
    rq.input_is_fd = true;
    rq.input_fd = fd;
    rq.output = output;
    rq.seal_id = sad->seal_id;
    /* the caller's input policy, as for the native stamp (docs/stamping.md) */
    rq.input_policy = call_input_policy(c);
    rq.pin = sad->pin;
    rq.grant_id = sad->grant_id;
    rq.actor = actor;
    int stamped = seal_stamp(&res, c->store, &rq);
    metrics_stamp(c->svc->metrics, res.format, seal_key_alg_name(res.alg),
                  stamped < 0 ? "refused" : "stamped");
    if (stamped < 0) {
        unlink(output);
        if (stamped == SEAL_EAUTH) {
            seal_record now = {0};
            bool locked = seal_store_get_seal(c->store, sad->seal_id, &now) == 0 && now.locked;
            seal_record_clear(&now);
            rc = invalid_request(c, locked ? "PIN locked" : "The PIN is invalid");
        } else if (res.usage || stamped == SEAL_EPOLICY || stamped == SEAL_EINVAL ||
                   stamped == SEAL_EFORMAT || stamped == SEAL_ENOTFOUND) {
            rc = invalid_request(c, seal_error_last());
        } else {
            rc = stamped;
        }
        goto out;
    }
    out_fd = open(output, O_RDONLY | O_CLOEXEC);
    unlink(output);
    if (out_fd < 0) {
        rc = seal_error_set(SEAL_EIO, "cannot open the signed document: %s", strerror(errno));
        goto out;
    }
    struct stat sb;
    if (fstat(out_fd, &sb) != 0 || (rc = seal_buf_reserve(&signed_doc, (size_t)sb.st_size)) < 0) {
        rc = rc < 0 ? rc : seal_error_set(SEAL_EIO, "cannot read the signed document");
        goto out;
    }
    ssize_t got = 0;
    while (signed_doc.len < (size_t)sb.st_size &&
           (got = read(out_fd, signed_doc.data + signed_doc.len,
                       (size_t)sb.st_size - signed_doc.len)) > 0)
        signed_doc.len += (size_t)got;
    if (signed_doc.len != (size_t)sb.st_size) {
        rc = seal_error_set(SEAL_EIO, "cannot read the signed document");
        goto out;
    }
    *signed_out = g_base64_encode(signed_doc.data, signed_doc.len);
out:
    if (out_fd >= 0)
        close(out_fd);
    g_hash_table_destroy(p.values);
    stamp_input_clear(&in);
    seal_stamp_result_clear(&res);
    seal_buf_clear(&signed_doc);
    g_free(actor);
    g_free(output);
    return rc;
}

/* A document's bytes in an unnamed file for the stamp driver: 0 with *fd; 1 when it
 * answered. */
static int document_fd(call *c, const char *b64, int *fd, char digest_hex[65])
{
    gsize len = 0;
    guchar *raw = NULL;
    int rc = 0;
    if (b64 && *b64 &&
        strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=\r\n") ==
            strlen(b64))
        raw = g_base64_decode(b64, &len);
    if (!raw || len == 0) {
        g_free(raw);
        return invalid_request(c, "Invalid Base64 documents string parameter");
    }
    uint8_t md[SHA256_DIGEST_LENGTH];
    SHA256(raw, len, md);
    for (size_t i = 0; i < sizeof md; i++)
        snprintf(digest_hex + 2 * i, 3, "%02x", md[i]);
    *fd = memfd_create("csc-document", MFD_CLOEXEC);
    if (*fd < 0) {
        rc = seal_error_set(SEAL_EIO, "cannot hold a document: %s", strerror(errno));
    } else {
        size_t done = 0;
        ssize_t w = 0;
        while (done < len && (w = write(*fd, raw + done, len - done)) > 0)
            done += (size_t)w;
        if (done != len || lseek(*fd, 0, SEEK_SET) != 0)
            rc = seal_error_set(SEAL_EIO, "cannot hold a document: %s", strerror(errno));
    }
    g_free(raw);
    return rc;
}

/* "Ades-B-B" .. "Ades-B-LTA" (section 11.11) as the stamp's level ("B-B"); NULL for another. */
static const char *level_of(const char *conformance)
{
    static const char *const levels[] = {"B-B", "B-T", "B-LT", "B-LTA"};
    if (!conformance)
        return "B-B";
    for (size_t i = 0; i < G_N_ELEMENTS(levels); i++)
        if (g_ascii_strncasecmp(conformance, "Ades-", 5) == 0 &&
            strcmp(conformance + 5, levels[i]) == 0)
            return levels[i];
    return NULL;
}

int route_csc_sign_doc(call *c)
{
    json_t *body = NULL, *signed_docs = json_array();
    seal_record r = {0};
    seal_sad sad = {0};
    int fds[CSC_MAX_DOCUMENTS];
    char digests[CSC_MAX_DOCUMENTS][65];
    char *spent[CSC_MAX_DOCUMENTS + 1] = {0};
    const char *levels[CSC_MAX_DOCUMENTS];
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < CSC_MAX_DOCUMENTS; i++)
        fds[i] = -1;
    if ((rc = csc_auth(c)) != 0 || (rc = csc_body(c, &body)) != 0 ||
        (rc = read_credential(c, body, &r)) != 0 || (rc = read_sad(c, body, &r, &sad)) != 0)
        goto out;
    if (json_object_get(body, "documentDigests")) {
        rc = invalid_request(c, "Invalid parameter documentDigests: this service signs documents "
                                "(signHash signs hashes)");
        goto out;
    }
    json_t *docs = json_object_get(body, "documents");
    if (!json_is_array(docs) || json_array_size(docs) == 0) {
        rc = missing(c, "array", "documents");
        goto out;
    }
    if (json_array_size(docs) > CSC_MAX_DOCUMENTS) {
        rc = invalid_request(c, "Numbers of signatures is too high");
        goto out;
    }
    /* A SAD that names hashes signs those (signHash); documents need one that names none. */
    if (sad.n_hashes > 0) {
        rc = invalid_parameter(c, "SAD");
        goto out;
    }
    for (n = 0; n < json_array_size(docs); n++) {
        json_t *doc = json_array_get(docs, n);
        bool bad = !json_is_object(doc);
        const char *format = bad ? NULL : member_text(doc, "signature_format", &bad);
        const char *conformance = bad ? NULL : member_text(doc, "conformance_level", &bad);
        const char *algo = bad ? NULL : member_text(doc, "signAlgo", &bad);
        const char *b64 = bad ? NULL : member_text(doc, "document", &bad);
        const char *sniffed = NULL;
        if (bad || !b64 || !format) {
            rc = missing(c, "string", !b64 ? "document" : "signature_format");
            goto out;
        }
        if (strcmp(format, "P") != 0) {
            rc = invalid_parameter(c, "signature_format");
            goto out;
        }
        if (!(levels[n] = level_of(conformance))) {
            rc = invalid_parameter(c, "conformance_level");
            goto out;
        }
        if (algo && !sign_algo_fits(r.alg, algo)) {
            rc = invalid_parameter(c, "signAlgo");
            goto out;
        }
        if ((rc = document_fd(c, b64, &fds[n], digests[n])) != 0)
            goto out;
        /* PAdES signs PDF: the library names the format (seal/doc.h), we only compare. */
        if (seal_doc_sniff_fd(fds[n], &sniffed) < 0 || strcmp(sniffed, "PDF") != 0) {
            seal_error_clear();
            rc = invalid_request(c, "Invalid parameter document: signature_format P (PAdES) signs "
                                    "PDF documents");
            goto out;
        }
        spent[n] = digests[n];
    }
    if (r.locked) {
        rc = invalid_request(c, "PIN locked");
        goto out;
    }
    /* What the stamp driver would refuse before it touches the seal, refused before the
     * SAD is spent. */
    if ((rc = refuse_certificate(c, &r)) != 0 || (rc = check_use(c, r.id, sad.grant_id)) != 0 ||
        (rc = spend(c, &sad, spent, n)) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        char *signed_b64 = NULL;
        if ((rc = sign_document(c, &sad, json_array_get(docs, i), fds[i], levels[i], i,
                                &signed_b64)) != 0)
            goto out;
        json_array_append_new(signed_docs, json_string(signed_b64));
        g_free(signed_b64);
    }
    c->resp->outcome = "stamped";
    rc = call_json(
        c, 200, json_pack("{s:O, s:[]}", "DocumentWithSignature", signed_docs, "SignatureObject"));
out:
    for (size_t i = 0; i < CSC_MAX_DOCUMENTS; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    json_decref(body);
    json_decref(signed_docs);
    seal_record_clear(&r);
    seal_sad_clear(&sad);
    return rc < 0 ? rc : 0;
}

int route_csc_not_implemented(call *c)
{
    int rc = csc_error(c, 501, "not_implemented_method",
                       "This method is not implemented (POST /csc/v2/info lists those that are)");
    return rc < 0 ? rc : 0;
}
