/* The status of a certificate at a time T, with the evidence that decided it.
 *
 * Verify flow: for each certificate of a chain (but the anchor), at the proven signing
 * time. Evidence is judged by RFC 5280 6.3.3 (CRLs) and RFC 6960 (OCSP), and is
 * acceptable for T when it was issued at or after T, or when it is still fresh now
 * (ETSI EN 319 102-1 5.2.5: revocation data issued after the time of interest, or within
 * its validity now); revocation being final, a list fresh now that does not name the
 * certificate says it was not revoked at T either. certificateHold (RFC 5280 5.3.1) at T
 * is "suspended". */
#include "pki/status_internal.h"

#include <seal/crypto.h>
#include <seal/error.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

/* An OCSP answer without nextUpdate (RFC 6960 4.2.2.1: newer information is always
 * available) is fresh for this long after its thisUpdate. */
#define NO_NEXT_UPDATE_FRESH 600
#define MAX_URLS             4

static const char *const reason_names[] = {
    "unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
    "superseded",    "cessationOfOperation", "certificateHold", NULL,
    "removeFromCRL", "privilegeWithdrawn",   "aACompromise",
};
#define REASON_COUNT ((int)(sizeof reason_names / sizeof reason_names[0]))

const char *seal_crl_reason_name(int reason)
{
    return reason >= 0 && reason < REASON_COUNT ? reason_names[reason] : NULL;
}

int seal_crl_reason_parse(int *out, const char *name)
{
    for (int i = 0; name && i < REASON_COUNT; i++) {
        if (reason_names[i] && g_ascii_strcasecmp(reason_names[i], name) == 0) {
            *out = i;
            return 0;
        }
    }
    return seal_error_set(SEAL_EINVAL,
                          "'%s' is not a revocation reason (RFC 5280 5.3.1: unspecified, "
                          "keyCompromise, cACompromise, affiliationChanged, superseded, "
                          "cessationOfOperation, certificateHold, removeFromCRL, "
                          "privilegeWithdrawn, aACompromise)",
                          name ? name : "");
}

const char *seal_cert_state_name(seal_cert_state s)
{
    switch (s) {
    case SEAL_CERT_GOOD:
        return "good";
    case SEAL_CERT_REVOKED:
        return "revoked";
    case SEAL_CERT_SUSPENDED:
        return "suspended";
    case SEAL_CERT_UNKNOWN:
        return "unknown";
    }
    return "unknown";
}

static void evidence_clear(seal_evidence *e)
{
    g_free(e->source);
    g_free(e->signer);
    g_free(e->crl_number);
    g_free(e->archived);
    g_free(e->delta_crl_number);
    seal_buf_clear(&e->der);
    seal_buf_clear(&e->delta_der);
    memset(e, 0, sizeof *e);
}

void seal_cert_status_clear(seal_cert_status *s)
{
    if (!s)
        return;
    evidence_clear(&s->evidence);
    memset(s, 0, sizeof *s);
    s->reason = -1;
}

/* ---------------------------------------------------------------- judging one item */

typedef enum judged { NOT_RELEVANT, REJECTED, ACCEPTED } judged;

/* What one piece of evidence says about (cert, T), before the evidence is copied out. */
typedef struct finding {
    seal_cert_state state;
    time_t revoked_at;
    int reason;
    time_t invalidity_date;
    bool revoked_later;
    time_t this_update, next_update, produced_at;
    char *signer;
    char *crl_number;
    char *delta_number;
    const rev_item *item;
    const rev_item *delta; /* the delta CRL read with a complete CRL item, or NULL */
} finding;

static void finding_clear(finding *f)
{
    g_free(f->signer);
    g_free(f->crl_number);
    g_free(f->delta_number);
    memset(f, 0, sizeof *f);
}

/* NULL when acceptable for T (see the top of this file), else why not. */
static const char *freshness(time_t tu, time_t nu, time_t at, time_t now, char *buf, size_t n)
{
    char a[32], b[32];
    if (tu > now + SEAL_REVOCATION_CLOCK_SKEW) {
        rev_format_time(a, tu);
        snprintf(buf, n, "its thisUpdate %s is in the future", a);
        return buf;
    }
    if (tu >= at)
        return NULL;
    if (nu ? now <= nu : now - tu <= NO_NEXT_UPDATE_FRESH)
        return NULL;
    rev_format_time(a, tu);
    if (nu) {
        rev_format_time(b, nu);
        snprintf(buf, n,
                 "stale: issued %s, before the time in question, and past its nextUpdate %s", a, b);
    } else {
        snprintf(buf, n, "stale: issued %s, before the time in question, with no nextUpdate", a);
    }
    return buf;
}

/* A revocation (or hold) at `when` for reason `reason`, judged at T. */
static void apply_revocation(finding *f, time_t when, int reason, time_t at)
{
    f->revoked_at = when;
    f->reason = reason;
    if (when > at) {
        f->state = SEAL_CERT_GOOD;
        f->revoked_later = true;
    } else {
        f->state = reason == 6 /* certificateHold */ ? SEAL_CERT_SUSPENDED : SEAL_CERT_REVOKED;
    }
}

static char *asn1_integer_decimal(const ASN1_INTEGER *i)
{
    BIGNUM *bn = i ? ASN1_INTEGER_to_BN(i, NULL) : NULL;
    char *dec = bn ? BN_bn2dec(bn) : NULL;
    char *copy = dec ? g_strdup(dec) : NULL;
    OPENSSL_free(dec);
    BN_free(bn);
    return copy;
}

/* RFC 5280 5.2.4: a delta CRL applies to a complete CRL of the same issuer and scope
 * (issuing distribution point, and authority key) whose number is at least the delta's
 * BaseCRLNumber and below the delta's own number. */
static bool delta_applies(X509_CRL *delta, X509_CRL *base)
{
    bool applies = false;
    ASN1_INTEGER *base_number = X509_CRL_get_ext_d2i(base, NID_crl_number, NULL, NULL);
    ASN1_INTEGER *delta_number = X509_CRL_get_ext_d2i(delta, NID_crl_number, NULL, NULL);
    ASN1_INTEGER *delta_base = X509_CRL_get_ext_d2i(delta, NID_delta_crl, NULL, NULL);
    if (!base_number || !delta_number || !delta_base ||
        X509_NAME_cmp(X509_CRL_get_issuer(delta), X509_CRL_get_issuer(base)) != 0 ||
        ASN1_INTEGER_cmp(delta_base, base_number) > 0 ||
        ASN1_INTEGER_cmp(delta_number, base_number) <= 0)
        goto out;
    applies = true;
    for (size_t k = 0; applies && k < 2; k++) {
        int nid = k == 0 ? NID_issuing_distribution_point : NID_authority_key_identifier;
        int a = X509_CRL_get_ext_by_NID(delta, nid, -1);
        int b = X509_CRL_get_ext_by_NID(base, nid, -1);
        applies = (a < 0 && b < 0) ||
                  (a >= 0 && b >= 0 &&
                   ASN1_OCTET_STRING_cmp(X509_EXTENSION_get_data(X509_CRL_get_ext(delta, a)),
                                         X509_EXTENSION_get_data(X509_CRL_get_ext(base, b))) == 0);
    }
out:
    ASN1_INTEGER_free(base_number);
    ASN1_INTEGER_free(delta_number);
    ASN1_INTEGER_free(delta_base);
    ERR_clear_error();
    return applies;
}

/* The newest delta CRL among the evidence that applies to the complete CRL `base` and
 * passes the checks for `cert`; NULL when none does. */
static const rev_item *newest_delta(const seal_revocation *rv, const rev_item *base, X509 *cert,
                                    X509 *issuer)
{
    const rev_item *best = NULL;
    ASN1_INTEGER *best_number = NULL;
    for (guint i = 0; i < rv->items->len; i++) {
        const rev_item *it = g_ptr_array_index(rv->items, i);
        if (it->kind != SEAL_EVIDENCE_CRL || !rev_crl_is_delta(it->crl) ||
            !delta_applies(it->crl, base->crl))
            continue;
        if (rev_crl_check(it->crl, cert, issuer, rv->certs, true) < 0) {
            seal_error_clear();
            continue;
        }
        ASN1_INTEGER *number = X509_CRL_get_ext_d2i(it->crl, NID_crl_number, NULL, NULL);
        if (!best_number || ASN1_INTEGER_cmp(number, best_number) > 0) {
            ASN1_INTEGER_free(best_number);
            best_number = number;
            best = it;
        } else {
            ASN1_INTEGER_free(number);
        }
    }
    ASN1_INTEGER_free(best_number);
    ERR_clear_error();
    return best;
}

/* The entry of `crl` for `cert`: 1 listed, 2 listed as removeFromCRL, 0 not listed.
 * X509_CRL_get0_by_cert matches the serial and the issuer (an indirect CRL's entries
 * name theirs in certificateIssuer, RFC 5280 5.3.3), where by serial alone an entry for
 * another CA's certificate of the same serial would do. */
static int crl_entry(X509_CRL *crl, X509 *cert, X509_REVOKED **entry)
{
    *entry = NULL;
    int found = X509_CRL_get0_by_cert(crl, entry, cert);
    return *entry ? found : 0;
}

static void read_entry(finding *f, X509_REVOKED *entry, time_t at)
{
    ASN1_ENUMERATED *code = X509_REVOKED_get_ext_d2i(entry, NID_crl_reason, NULL, NULL);
    int reason = code ? (int)ASN1_ENUMERATED_get(code) : -1;
    ASN1_ENUMERATED_free(code);
    ASN1_GENERALIZEDTIME *inv = X509_REVOKED_get_ext_d2i(entry, NID_invalidity_date, NULL, NULL);
    f->invalidity_date = seal_asn1_time(inv);
    ASN1_GENERALIZEDTIME_free(inv);
    apply_revocation(f, seal_asn1_time(X509_REVOKED_get0_revocationDate(entry)), reason, at);
}

static judged judge_crl(finding *f, const seal_revocation *rv, const rev_item *it, X509 *cert,
                        X509 *issuer, time_t at, time_t now, GString *why)
{
    char buf[200];
    /* A delta CRL is read only with its complete CRL (RFC 5280 5.2.4). */
    if (!rev_crl_relevant(it->crl, cert) || rev_crl_is_delta(it->crl))
        return NOT_RELEVANT;
    if (rev_crl_check(it->crl, cert, issuer, rv->certs, false) < 0) {
        g_string_append_printf(why, "; CRL from %s: %s", it->source, seal_error_last());
        return REJECTED;
    }
    const rev_item *delta = newest_delta(rv, it, cert, issuer);
    f->this_update = seal_asn1_time(X509_CRL_get0_lastUpdate(it->crl));
    f->next_update = seal_asn1_time(X509_CRL_get0_nextUpdate(it->crl));
    const char *stale = freshness(f->this_update, f->next_update, at, now, buf, sizeof buf);
    if (delta) {
        /* The pair says what the CA knew at the delta's thisUpdate. */
        f->this_update = seal_asn1_time(X509_CRL_get0_lastUpdate(delta->crl));
        f->next_update = seal_asn1_time(X509_CRL_get0_nextUpdate(delta->crl));
        char dbuf[200];
        if (freshness(f->this_update, f->next_update, at, now, dbuf, sizeof dbuf) == NULL)
            stale = NULL;
    }
    if (stale) {
        g_string_append_printf(why, "; CRL from %s: %s", it->source, stale);
        return REJECTED;
    }
    f->state = SEAL_CERT_GOOD;
    f->reason = -1;
    f->delta = delta;
    X509_REVOKED *entry = NULL;
    /* The delta's entry wins; removeFromCRL there (RFC 5280 5.3.1) takes the certificate
     * off the complete CRL. In a complete CRL removeFromCRL lists nothing. */
    int in_delta = delta ? crl_entry(delta->crl, cert, &entry) : 0;
    if (in_delta == 1)
        read_entry(f, entry, at);
    else if (in_delta == 0 && crl_entry(it->crl, cert, &entry) == 1)
        read_entry(f, entry, at);
    ASN1_INTEGER *number = X509_CRL_get_ext_d2i(it->crl, NID_crl_number, NULL, NULL);
    f->crl_number = asn1_integer_decimal(number);
    ASN1_INTEGER_free(number);
    if (delta) {
        number = X509_CRL_get_ext_d2i(delta->crl, NID_crl_number, NULL, NULL);
        f->delta_number = asn1_integer_decimal(number);
        ASN1_INTEGER_free(number);
    }
    f->signer = rev_name_oneline(X509_CRL_get_issuer(it->crl));
    ERR_clear_error();
    return ACCEPTED;
}

static OCSP_SINGLERESP *single_for(OCSP_BASICRESP *bs, X509 *cert, X509 *issuer)
{
    for (int i = 0; i < OCSP_resp_count(bs); i++) {
        OCSP_SINGLERESP *single = OCSP_resp_get0(bs, i);
        const OCSP_CERTID *theirs = OCSP_SINGLERESP_get0_id(single);
        ASN1_OBJECT *md_obj = NULL;
        OCSP_id_get0_info(NULL, &md_obj, NULL, NULL, (OCSP_CERTID *)theirs);
        const EVP_MD *md = md_obj ? EVP_get_digestbyobj(md_obj) : NULL;
        OCSP_CERTID *mine = md ? OCSP_cert_to_id(md, cert, issuer) : NULL;
        bool match = mine && OCSP_id_cmp(mine, theirs) == 0;
        OCSP_CERTID_free(mine);
        if (match)
            return single;
    }
    return NULL;
}

/* RFC 6960 4.2.2.2.1: a delegated responder's own certificate is exempt from checks
 * when it carries id-pkix-ocsp-nocheck; otherwise a CRL of the same issuer among the
 * evidence must show it good when the response was produced. */
static bool responder_trusted(const seal_revocation *rv, X509 *signer, X509 *issuer,
                              time_t produced_at, time_t now)
{
    if (X509_cmp(signer, issuer) == 0 ||
        X509_get_ext_by_NID(signer, NID_id_pkix_OCSP_noCheck, -1) >= 0)
        return true;
    GString *ignored = g_string_new("");
    bool good = false;
    for (guint i = 0; i < rv->items->len && !good; i++) {
        const rev_item *it = g_ptr_array_index(rv->items, i);
        finding g;
        memset(&g, 0, sizeof g);
        if (it->kind == SEAL_EVIDENCE_CRL &&
            judge_crl(&g, rv, it, signer, issuer, produced_at, now, ignored) == ACCEPTED)
            good = g.state == SEAL_CERT_GOOD;
        finding_clear(&g);
    }
    g_string_free(ignored, TRUE);
    return good;
}

static judged judge_ocsp(finding *f, const seal_revocation *rv, const rev_item *it, X509 *cert,
                         X509 *issuer, time_t at, time_t now, GString *why)
{
    char buf[200];
    X509 *signer = NULL;
    OCSP_SINGLERESP *single = single_for(it->basic, cert, issuer);
    if (!single)
        return NOT_RELEVANT;
    if (seal_ocsp_check_response(&signer, it->basic, issuer, NULL) < 0) {
        g_string_append_printf(why, "; OCSP response from %s: %s", it->source, seal_error_last());
        return REJECTED;
    }
    if (!responder_trusted(rv, signer, issuer,
                           seal_asn1_time(OCSP_resp_get0_produced_at(it->basic)), now)) {
        char *name = rev_name_oneline(X509_get_subject_name(signer));
        g_string_append_printf(why,
                               "; OCSP response from %s: the responder %s has no "
                               "id-pkix-ocsp-nocheck and no CRL shows its own certificate good",
                               it->source, name);
        g_free(name);
        X509_free(signer);
        return REJECTED;
    }
    int reason = -1;
    ASN1_GENERALIZEDTIME *revtime = NULL, *tu = NULL, *nu = NULL;
    int status = OCSP_single_get0_status(single, &reason, &revtime, &tu, &nu);
    f->this_update = seal_asn1_time(tu);
    f->next_update = seal_asn1_time(nu);
    f->produced_at = seal_asn1_time(OCSP_resp_get0_produced_at(it->basic));
    f->signer = rev_name_oneline(X509_get_subject_name(signer));
    X509_free(signer);
    const char *stale = freshness(f->this_update, f->next_update, at, now, buf, sizeof buf);
    if (stale) {
        g_string_append_printf(why, "; OCSP response from %s: %s", it->source, stale);
        return REJECTED;
    }
    f->reason = -1;
    if (status == V_OCSP_CERTSTATUS_GOOD) {
        f->state = SEAL_CERT_GOOD;
    } else if (status == V_OCSP_CERTSTATUS_REVOKED) {
        ASN1_GENERALIZEDTIME *inv =
            OCSP_SINGLERESP_get1_ext_d2i(single, NID_invalidity_date, NULL, NULL);
        f->invalidity_date = seal_asn1_time(inv);
        ASN1_GENERALIZEDTIME_free(inv);
        /* RFC 6960 4.2.1: revocationReason is optional. */
        apply_revocation(f, seal_asn1_time(revtime), reason >= 0 ? reason : -1, at);
    } else {
        f->state = SEAL_CERT_UNKNOWN;
    }
    ERR_clear_error();
    return ACCEPTED;
}

static judged judge(finding *f, const seal_revocation *rv, const rev_item *it, X509 *cert,
                    X509 *issuer, time_t at, time_t now, GString *why)
{
    memset(f, 0, sizeof *f);
    f->item = it;
    f->reason = -1;
    judged j = it->kind == SEAL_EVIDENCE_CRL ? judge_crl(f, rv, it, cert, issuer, at, now, why)
                                             : judge_ocsp(f, rv, it, cert, issuer, at, now, why);
    if (j != ACCEPTED)
        finding_clear(f);
    return j;
}

/* The best finding among items [from, len): a revocation at or before T decides at once
 * (it is final); otherwise the newest thisUpdate, and "unknown" only when nothing else. */
static bool better(const finding *candidate, const finding *best)
{
    if (!best->item)
        return true;
    bool c_final = candidate->state == SEAL_CERT_REVOKED;
    bool b_final = best->state == SEAL_CERT_REVOKED;
    if (c_final != b_final)
        return c_final;
    bool c_unknown = candidate->state == SEAL_CERT_UNKNOWN;
    bool b_unknown = best->state == SEAL_CERT_UNKNOWN;
    if (c_unknown != b_unknown)
        return b_unknown;
    if (candidate->this_update != best->this_update)
        return candidate->this_update > best->this_update;
    /* Two CRLs of the same second: the higher cRLNumber is the later (RFC 5280 5.2.3;
     * complete and delta CRLs share one sequence). */
    const char *cn = candidate->delta_number ? candidate->delta_number : candidate->crl_number;
    const char *bn = best->delta_number ? best->delta_number : best->crl_number;
    if (cn && bn) {
        size_t lc = strlen(cn), lb = strlen(bn);
        return lc != lb ? lc > lb : strcmp(cn, bn) > 0;
    }
    /* Otherwise the one that became known last: fetched after what was held. */
    return true;
}

static void decide(finding *best, seal_revocation *rv, guint from, X509 *cert, X509 *issuer,
                   time_t at, time_t now, GString *why)
{
    for (guint i = from; i < rv->items->len; i++) {
        finding f;
        if (judge(&f, rv, g_ptr_array_index(rv->items, i), cert, issuer, at, now, why) != ACCEPTED)
            continue;
        if (better(&f, best)) {
            finding_clear(best);
            *best = f;
        } else {
            finding_clear(&f);
        }
    }
}

/* ---------------------------------------------------------------- fetching */

/* The URIs of the distribution points (full names) of a cRLDistributionPoints or
 * FreshestCRL extension (RFC 5280 4.2.1.13, 4.2.1.15), up to MAX_URLS in all. */
static void dp_uris(GPtrArray *out, CRL_DIST_POINTS *dps)
{
    for (int i = 0; i < sk_DIST_POINT_num(dps); i++) {
        const DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
        if (!dp->distpoint || dp->distpoint->type != 0)
            continue;
        GENERAL_NAMES *names = dp->distpoint->name.fullname;
        for (int j = 0; j < sk_GENERAL_NAME_num(names) && out->len < MAX_URLS; j++) {
            const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, j);
            if (gn->type != GEN_URI)
                continue;
            const ASN1_IA5STRING *uri = gn->d.uniformResourceIdentifier;
            g_ptr_array_add(out, g_strndup((const char *)ASN1_STRING_get0_data(uri),
                                           (gsize)ASN1_STRING_length(uri)));
        }
    }
    CRL_DIST_POINTS_free(dps);
}

static void urls_of(GPtrArray *ocsp, GPtrArray *crl, X509 *cert)
{
    STACK_OF(OPENSSL_STRING) *o = X509_get1_ocsp(cert);
    for (int i = 0; i < sk_OPENSSL_STRING_num(o) && ocsp->len < MAX_URLS; i++)
        g_ptr_array_add(ocsp, g_strdup(sk_OPENSSL_STRING_value(o, i)));
    X509_email_free(o);
    dp_uris(crl, X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL));
}

/* Fetches one URL into the context (and the cache); false (with why) when nothing usable
 * came. */
static bool fetch_into(seal_revocation *rv, seal_evidence_kind kind, const char *url, X509 *cert,
                       X509 *issuer, GString *why)
{
    rev_item *it = NULL;
    char *name = NULL;
    int rc = kind == SEAL_EVIDENCE_OCSP ? rev_fetch_ocsp(&it, rv, cert, issuer, url)
                                        : rev_fetch_crl(&it, rv, url);
    if (rc < 0) {
        g_string_append_printf(why, "; %s: %s", kind == SEAL_EVIDENCE_OCSP ? "OCSP" : "CRL",
                               seal_error_last());
        return false;
    }
    if (kind == SEAL_EVIDENCE_OCSP) {
        char *serial = seal_cert_serial_hex(cert);
        name = g_strdup_printf("ocsp-%s", serial);
        g_free(serial);
    } else {
        char *digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, url, -1);
        name = g_strdup_printf("crl-%.16s", digest);
        g_free(digest);
    }
    /* A cache that cannot be written only costs a later fetch. */
    if (rev_cache_store(rv, issuer, it, name, url) < 0)
        seal_error_clear();
    rev_add_item(rv, it);
    g_free(name);
    return true;
}

/* RFC 5280 5.2.6 and 4.2.1.15: where the delta CRLs for the complete CRLs fetched
 * (items [from, len)) are published, named by those CRLs or by the certificate. */
static void fetch_freshest(seal_revocation *rv, guint from, X509 *cert, X509 *issuer, GString *why)
{
    GPtrArray *urls = g_ptr_array_new_with_free_func(g_free);
    dp_uris(urls, X509_get_ext_d2i(cert, NID_freshest_crl, NULL, NULL));
    for (guint i = from; i < rv->items->len; i++) {
        const rev_item *it = g_ptr_array_index(rv->items, i);
        if (it->kind == SEAL_EVIDENCE_CRL)
            dp_uris(urls, X509_CRL_get_ext_d2i(it->crl, NID_freshest_crl, NULL, NULL));
    }
    ERR_clear_error();
    for (guint i = 0; i < urls->len; i++)
        fetch_into(rv, SEAL_EVIDENCE_CRL, g_ptr_array_index(urls, i), cert, issuer, why);
    g_ptr_array_free(urls, TRUE);
}

/* ---------------------------------------------------------------- the status */

static void fill_status(seal_cert_status *out, finding *f, time_t at)
{
    const rev_item *it = f->item;
    char t[32], r[32];
    out->state = f->state;
    out->revoked_at = f->revoked_at;
    out->reason = f->reason;
    out->invalidity_date = f->invalidity_date;
    out->revoked_later = f->revoked_later;
    out->evidence.kind = it->kind;
    out->evidence.source = g_strdup(it->source);
    out->evidence.signer = f->signer;
    out->evidence.crl_number = f->crl_number;
    f->signer = f->crl_number = NULL;
    out->evidence.this_update = f->this_update;
    out->evidence.next_update = f->next_update;
    out->evidence.produced_at = f->produced_at;
    out->evidence.fetched_at = it->fetched_at;
    out->evidence.archived = g_strdup(it->archived);
    seal_buf_set(&out->evidence.der, it->der.data, it->der.len);
    if (f->delta) {
        seal_buf_set(&out->evidence.delta_der, f->delta->der.data, f->delta->der.len);
        out->evidence.delta_crl_number = f->delta_number;
        f->delta_number = NULL;
    }
    rev_format_time(t, at);
    rev_format_time(r, f->revoked_at);
    const char *reason = seal_crl_reason_name(f->reason);
    const char *listed = it->kind == SEAL_EVIDENCE_CRL ? "listed" : "reported";
    switch (f->state) {
    case SEAL_CERT_GOOD:
        if (f->revoked_later)
            snprintf(out->detail, sizeof out->detail,
                     "not revoked at %s; %s as %s since %s, after that time", t, listed,
                     f->reason == 6 ? "on hold" : "revoked", r);
        else
            snprintf(out->detail, sizeof out->detail, "not revoked at %s (%s)", t,
                     it->kind == SEAL_EVIDENCE_OCSP ? "OCSP says good"
                     : f->delta                     ? "not on the CRL and its delta CRL"
                                                    : "not on the CRL");
        break;
    case SEAL_CERT_REVOKED:
        snprintf(out->detail, sizeof out->detail, "revoked since %s (%s), before %s", r,
                 reason ? reason : "no reason given", t);
        break;
    case SEAL_CERT_SUSPENDED:
        snprintf(out->detail, sizeof out->detail,
                 "on hold (certificateHold) since %s, at %s: suspended", r, t);
        break;
    case SEAL_CERT_UNKNOWN:
        snprintf(out->detail, sizeof out->detail,
                 "the OCSP responder does not know this certificate");
        break;
    }
}

int seal_pki_status_at(seal_cert_status *out, seal_revocation *rv, X509 *cert, X509 *issuer,
                       time_t at)
{
    int rc = 0;
    finding best = {0};
    GString *why = g_string_new("");
    GPtrArray *ocsp_urls = g_ptr_array_new_with_free_func(g_free);
    GPtrArray *crl_urls = g_ptr_array_new_with_free_func(g_free);
    SEAL_ENSURE(out && rv && cert && issuer, SEAL_EINVAL, "no certificate to ask about");
    memset(out, 0, sizeof *out);
    out->reason = -1;
    out->state = SEAL_CERT_UNKNOWN;
    time_t now = time(NULL);

    rc = rev_cache_load(rv, issuer);
    SEAL_ENSURE(rc != SEAL_ENOMEM, SEAL_ENOMEM, "out of memory");
    rc = 0;
    decide(&best, rv, 0, cert, issuer, at, now, why);
    if (!best.item || best.state == SEAL_CERT_UNKNOWN) {
        urls_of(ocsp_urls, crl_urls, cert);
        if (rv->offline && (ocsp_urls->len || crl_urls->len))
            g_string_append(why, "; working offline: the OCSP responder and CRL distribution "
                                 "points were not asked");
        for (guint i = 0; !rv->offline && i < ocsp_urls->len; i++) {
            guint from = rv->items->len;
            if (fetch_into(rv, SEAL_EVIDENCE_OCSP, g_ptr_array_index(ocsp_urls, i), cert, issuer,
                           why))
                decide(&best, rv, from, cert, issuer, at, now, why);
            if (best.item && best.state != SEAL_CERT_UNKNOWN)
                break;
        }
        for (guint i = 0; !rv->offline && i < crl_urls->len; i++) {
            if (best.item && best.state != SEAL_CERT_UNKNOWN)
                break;
            guint from = rv->items->len;
            if (fetch_into(rv, SEAL_EVIDENCE_CRL, g_ptr_array_index(crl_urls, i), cert, issuer,
                           why)) {
                fetch_freshest(rv, from, cert, issuer, why);
                decide(&best, rv, from, cert, issuer, at, now, why);
            }
        }
        if (!ocsp_urls->len && !crl_urls->len)
            g_string_append(why, "; the certificate names no OCSP responder and no CRL "
                                 "distribution point");
    }
    if (best.item) {
        fill_status(out, &best, at);
    } else {
        snprintf(out->detail, sizeof out->detail, "no acceptable revocation evidence%s%s",
                 why->len ? ": " : "", why->len ? why->str + 2 : "");
    }
    seal_error_clear();
out:
    finding_clear(&best);
    g_string_free(why, TRUE);
    g_ptr_array_free(ocsp_urls, TRUE);
    g_ptr_array_free(crl_urls, TRUE);
    return rc;
}

int seal_cert_status_describe(seal_buf *out, const seal_cert_status *s)
{
    char tu[32], nu[32];
    const seal_evidence *e = &s->evidence;
    int rc = seal_buf_printf(out, "%s: %s", seal_cert_state_name(s->state), s->detail);
    if (rc < 0 || e->kind == SEAL_EVIDENCE_NONE)
        return rc;
    rev_format_time(tu, e->this_update);
    rev_format_time(nu, e->next_update);
    return seal_buf_printf(
        out, " [%s from %s, thisUpdate %s, nextUpdate %s%s%s%s%s, signed by %s]",
        e->kind == SEAL_EVIDENCE_CRL ? "CRL" : "OCSP response", e->source, tu,
        e->next_update ? nu : "none", e->crl_number ? ", CRL number " : "",
        e->crl_number ? e->crl_number : "", e->delta_crl_number ? " with delta CRL number " : "",
        e->delta_crl_number ? e->delta_crl_number : "", e->signer ? e->signer : "?");
}
