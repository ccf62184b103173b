/* The certificate checks every verifier runs for a signature (PDF-SIGN.md 5.4): chain to
 * a trust anchor at the signing time, then the revocation status of each certificate of
 * that chain at that time, with the evidence named in the report. The PDF verifier calls
 * this for the signer; the OFD verifier and timestamp checks call it the same way. */
#include <seal/crypto.h>
#include <seal/error.h>
#include <seal/revocation.h>
#include <seal/verify.h>

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ISSUER_FETCHES 4

/* The first entry of `nid` in the name as UTF-8 (malloc'd), or NULL when there is none;
 * *failed when there is one we could not copy. */
static char *name_entry(const X509_NAME *name, int nid, bool *failed)
{
    int at = X509_NAME_get_index_by_NID(name, nid, -1);
    unsigned char *utf8 = NULL;
    if (at < 0)
        return NULL;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at)));
    char *copy = len >= 0 ? strndup((const char *)utf8, (size_t)len) : NULL;
    OPENSSL_free(utf8);
    if (!copy)
        *failed = true;
    return copy;
}

int seal_sig_report_set_signer(seal_sig_report *s, X509 *cert)
{
    bool failed = false;
    free(s->signer_name);
    free(s->signer_subject);
    free(s->signer_issuer);
    free(s->signer_serial);
    free(s->algorithm);
    free(s->signer_org);
    free(s->signer_org_id);
    s->signer_org = name_entry(X509_get_subject_name(cert), NID_organizationName, &failed);
    s->signer_org_id = name_entry(X509_get_subject_name(cert), NID_organizationIdentifier, &failed);
    s->signer_name = seal_cert_subject_cn(cert);
    s->signer_subject = seal_x509_name_text(X509_get_subject_name(cert));
    s->signer_issuer = seal_x509_name_text(X509_get_issuer_name(cert));
    s->signer_serial = seal_cert_serial_hex(cert);
    s->algorithm = strdup(seal_key_alg_name(seal_key_alg_of(X509_get0_pubkey(cert))));
    s->signer_not_before = seal_asn1_time(X509_get0_notBefore(cert));
    s->signer_not_after = seal_asn1_time(X509_get0_notAfter(cert));
    if (failed || !s->signer_name || !s->signer_subject || !s->signer_issuer || !s->signer_serial ||
        !s->algorithm)
        return seal_error_set(SEAL_ENOMEM, "out of memory for the verification report");
    return 0;
}

static char *check_name(const seal_cert_checks *how, const char *base)
{
    return how->who ? g_strdup_printf("%s-%s", how->who, base) : g_strdup(base);
}

static int add_chain_check(seal_sig_report *s, const char *name, const seal_chain_result *chain,
                           bool at_proven)
{
    const char *when = at_proven ? "the proven signing time" : "the claimed signing time";
    switch (chain->status) {
    case SEAL_CHAIN_OK:
        return seal_sig_add_check(s, name, SEAL_VERDICT_VALID, NULL,
                                  "chain of %d certificates to a trust anchor, all valid at %s",
                                  chain->chain ? sk_X509_num(chain->chain) : 0, when);
    case SEAL_CHAIN_NO_ANCHOR:
        return seal_sig_add_check(s, name, SEAL_VERDICT_INDETERMINATE, "NO_CERTIFICATE_CHAIN_FOUND",
                                  "no chain to a configured trust anchor: %s", chain->detail);
    case SEAL_CHAIN_EXPIRED:
        return seal_sig_add_check(s, name, SEAL_VERDICT_INDETERMINATE, "EXPIRED",
                                  "a certificate had expired at %s%s: %s", when,
                                  at_proven ? "" : " (no proof of an earlier time)", chain->detail);
    case SEAL_CHAIN_NOT_YET_VALID:
        return seal_sig_add_check(s, name, SEAL_VERDICT_INDETERMINATE, "NOT_YET_VALID",
                                  "a certificate was not yet valid at %s: %s", when, chain->detail);
    case SEAL_CHAIN_BAD_SIGNATURE:
    case SEAL_CHAIN_CONSTRAINTS:
        return seal_sig_add_check(s, name, SEAL_VERDICT_INVALID, "CHAIN_CONSTRAINTS_FAILURE",
                                  "%s (%s)", chain->detail, seal_chain_status_name(chain->status));
    }
    return 0;
}

static char *short_name(X509 *cert)
{
    char *cn = seal_cert_subject_cn(cert);
    char *copy = g_strdup(cn ? cn : "?");
    free(cn);
    return copy;
}

/* One certificate's revocation check (see verify.h for the verdicts). */
static int add_revocation_check(seal_sig_report *s, const char *name, X509 *cert,
                                const seal_cert_status *st, bool at_proven)
{
    int rc = 0;
    seal_buf text = SEAL_BUF_INIT;
    char *who = short_name(cert);
    SEAL_TRY(seal_cert_status_describe(&text, st));
    SEAL_TRY(seal_buf_append_byte(&text, 0));
    const char *d = (const char *)text.data;
    switch (st->state) {
    case SEAL_CERT_GOOD:
        if (!st->revoked_later)
            rc = seal_sig_add_check(s, name, SEAL_VERDICT_VALID, NULL, "%s: %s", who, d);
        else if (at_proven)
            rc = seal_sig_add_check(s, name, SEAL_VERDICT_VALID, NULL,
                                    "%s: revoked after the proven signing time (a "
                                    "timestamp proves it); the signature stays valid: %s",
                                    who, d);
        else
            rc = seal_sig_add_check(s, name, SEAL_VERDICT_INDETERMINATE, "REVOKED_NO_POE",
                                    "%s: revoked after the claimed signing time, which no "
                                    "timestamp proves: %s",
                                    who, d);
        break;
    case SEAL_CERT_REVOKED:
        rc = seal_sig_add_check(s, name, SEAL_VERDICT_INVALID, "REVOKED", "%s: %s", who, d);
        break;
    case SEAL_CERT_SUSPENDED:
        rc = seal_sig_add_check(s, name, SEAL_VERDICT_INDETERMINATE, "SUSPENDED", "%s: %s", who, d);
        break;
    case SEAL_CERT_UNKNOWN:
        rc = seal_sig_add_check(s, name, SEAL_VERDICT_INDETERMINATE, "TRY_LATER", "%s: %s", who, d);
        break;
    }
out:
    g_free(who);
    seal_buf_clear(&text);
    return rc;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The certificate and what decided its status, in the report (seal_cert_report): what the
 * HTML and PDF reports show of a chain and what an evidence bundle exports. `st` is NULL
 * for the anchor and for a certificate no chain was found for (`status` says which). */
static int record_cert(seal_sig_report *s, const char *role, X509 *cert, const seal_cert_status *st,
                       const char *status, seal_verdict outcome)
{
    int rc = 0;
    seal_cert_report *c = NULL;
    unsigned char *der = NULL;
    int len = i2d_X509(cert, &der);
    SEAL_ENSURE(len > 0, SEAL_ENOMEM, "out of memory for the verification report");
    SEAL_TRY(seal_sig_add_cert(s, &c));
    /* "revocation" is the signer's chain; "tsa-revocation" the timestamp authority's. */
    size_t prefix = strlen(role) > strlen("-revocation") ? strlen(role) - strlen("-revocation") : 0;
    bool named = prefix > 0 && strcmp(role + prefix, "-revocation") == 0;
    c->role =
        named ? strndup(role, prefix) : strdup(strcmp(role, "revocation") == 0 ? "signer" : role);
    c->subject = seal_x509_name_text(X509_get_subject_name(cert));
    c->issuer = seal_x509_name_text(X509_get_issuer_name(cert));
    c->serial = seal_cert_serial_hex(cert);
    c->not_before = seal_asn1_time(X509_get0_notBefore(cert));
    c->not_after = seal_asn1_time(X509_get0_notAfter(cert));
    c->status = strdup(st ? seal_cert_state_name(st->state) : status);
    c->outcome = outcome;
    SEAL_ENSURE(c->role && c->subject && c->issuer && c->serial && c->status, SEAL_ENOMEM,
                "out of memory for the verification report");
    SEAL_TRY(seal_buf_set(&c->der, der, (size_t)len));
    if (!st || st->evidence.kind == SEAL_EVIDENCE_NONE) {
        c->revoked_at = st && st->state != SEAL_CERT_GOOD ? st->revoked_at : 0;
        goto out;
    }
    const seal_evidence *e = &st->evidence;
    c->revoked_at = st->state != SEAL_CERT_GOOD || st->revoked_later ? st->revoked_at : 0;
    c->evidence_kind = strdup(e->kind == SEAL_EVIDENCE_CRL ? "crl" : "ocsp");
    c->evidence_source = dup_or_null(e->source);
    c->evidence_signer = dup_or_null(e->signer);
    c->crl_number = dup_or_null(e->crl_number);
    c->this_update = e->this_update;
    c->next_update = e->next_update;
    c->produced_at = e->produced_at;
    SEAL_ENSURE(c->evidence_kind && (!e->source || c->evidence_source) &&
                    (!e->signer || c->evidence_signer) && (!e->crl_number || c->crl_number),
                SEAL_ENOMEM, "out of memory for the verification report");
    SEAL_TRY(seal_buf_set(&c->evidence_der, e->der.data, e->der.len));
    if (e->delta_der.len > 0)
        SEAL_TRY(seal_buf_set(&c->delta_der, e->delta_der.data, e->delta_der.len));
out:
    OPENSSL_free(der);
    return rc;
}

static int pool_add(STACK_OF(X509) * pool, STACK_OF(X509) * certs)
{
    for (int i = 0; certs && i < sk_X509_num(certs); i++) {
        X509 *c = sk_X509_value(certs, i);
        if (!X509_up_ref(c))
            return seal_error_set(SEAL_ENOMEM, "out of memory");
        if (!sk_X509_push(pool, c)) {
            X509_free(c);
            return seal_error_set(SEAL_ENOMEM, "out of memory");
        }
    }
    return 0;
}

/* The relying party's context with the document's evidence in it; *own is the context to
 * free (a default one when the trust has none). */
static int context_for(seal_revocation **rv, seal_revocation **own, const seal_trust *trust,
                       seal_revocation *document_evidence)
{
    *own = NULL;
    *rv = seal_trust_revocation(trust);
    if (!*rv) {
        int rc = seal_revocation_new(own, NULL);
        if (rc < 0)
            return rc;
        *rv = *own;
    }
    return document_evidence ? seal_revocation_add_from(*rv, document_evidence) : 0;
}

static int chain_revocation(seal_sig_report *s, const char *name, seal_revocation *rv,
                            STACK_OF(X509) * chain, time_t at, bool at_proven, seal_verdict *worst)
{
    int rc = 0;
    /* Every certificate but the last, which is the trust anchor (a root, or an
     * intermediate the operator pinned). */
    int n = chain ? sk_X509_num(chain) : 0;
    for (int i = 0; i + 1 < n; i++) {
        seal_cert_status st;
        X509 *c = sk_X509_value(chain, i);
        SEAL_TRY(seal_pki_status_at(&st, rv, c, sk_X509_value(chain, i + 1), at));
        rc = add_revocation_check(s, name, c, &st, at_proven);
        seal_verdict v = rc == 0 ? s->checks[s->n_checks - 1].outcome : SEAL_VERDICT_INDETERMINATE;
        if (rc == 0)
            rc = record_cert(s, name, c, &st, NULL, v);
        seal_cert_status_clear(&st);
        SEAL_TRY(rc);
        if (worst && v > *worst)
            *worst = v;
    }
    if (n > 0)
        SEAL_TRY(record_cert(s, name, sk_X509_value(chain, n - 1), NULL, "trust anchor",
                             SEAL_VERDICT_VALID));
out:
    return rc;
}

int seal_verify_chain_revocation(seal_sig_report *s, const char *check_name,
                                 const seal_trust *trust, STACK_OF(X509) * chain, time_t at,
                                 bool at_proven, seal_revocation *document_evidence,
                                 seal_verdict *worst)
{
    int rc = 0;
    seal_revocation *rv = NULL, *own = NULL;
    if (worst)
        *worst = SEAL_VERDICT_VALID;
    SEAL_ENSURE(s && check_name && trust, SEAL_EINVAL, "no chain to check");
    SEAL_TRY(context_for(&rv, &own, trust, document_evidence));
    SEAL_TRY(chain_revocation(s, check_name, rv, chain, at, at_proven, worst));
out:
    seal_revocation_free(own);
    return rc;
}

int seal_verify_certificates(seal_sig_report *s, const seal_trust *trust, X509 *cert,
                             STACK_OF(X509) * certs, const seal_cert_checks *how)
{
    int rc = 0;
    seal_revocation *own = NULL, *rv = NULL;
    STACK_OF(X509) *pool = sk_X509_new_null();
    seal_chain_result chain = {0};
    char *chain_name = NULL, *rev_name = NULL;
    SEAL_ENSURE(s && trust && cert && how, SEAL_EINVAL, "no certificate to check");
    SEAL_ENSURE(pool, SEAL_ENOMEM, "out of memory");
    SEAL_TRY(context_for(&rv, &own, trust, how->document_evidence));
    chain_name = check_name(how, "chain");
    rev_name = check_name(how, "revocation");
    SEAL_TRY(pool_add(pool, certs));
    SEAL_TRY(pool_add(pool, seal_revocation_certs(rv)));

    SEAL_TRY(seal_chain_verify(&chain, trust, cert, pool, how->at, how->signing));
    /* RFC 5280 4.2.2.1: a missing intermediate can be fetched from caIssuers. */
    if (chain.status == SEAL_CHAIN_NO_ANCHOR && !seal_revocation_offline(rv)) {
        int before = sk_X509_num(pool);
        SEAL_TRY(seal_chain_fetch_issuers(rv, cert, pool, MAX_ISSUER_FETCHES));
        if (sk_X509_num(pool) > before) {
            seal_chain_result_clear(&chain);
            SEAL_TRY(seal_chain_verify(&chain, trust, cert, pool, how->at, how->signing));
        }
    }
    SEAL_TRY(add_chain_check(s, chain_name, &chain, how->at_proven));
    if (!chain.chain || sk_X509_num(chain.chain) == 0)
        SEAL_TRY(record_cert(s, rev_name, cert, NULL, "no chain",
                             s->n_checks > 0 ? s->checks[s->n_checks - 1].outcome
                                             : SEAL_VERDICT_INDETERMINATE));
    SEAL_TRY(chain_revocation(s, rev_name, rv, chain.chain, how->at, how->at_proven, NULL));
out:
    seal_chain_result_clear(&chain);
    sk_X509_pop_free(pool, X509_free);
    seal_revocation_free(own);
    g_free(chain_name);
    g_free(rev_name);
    return rc;
}
