/* PAdES B-LT and B-LTA for a signed PDF (ETSI EN 319 142-1 5.4 and 5.5; ISO 32000-2
 * 12.8.4.3): every signature and timestamp is read, the chain of each signer and TSA is
 * built to the trust anchors, and for each certificate but the anchor the revocation
 * module supplies a CRL or OCSP response. They go into a /DSS (keeping what an earlier
 * DSS held) with a /VRI entry per signature, in a new incremental update. B-LTA then
 * adds a document timestamp over everything, and a last DSS update with that
 * timestamp's own validation data. An encrypted document is opened with its password and
 * every update is encrypted with its key. */
#include "encrypt.h"
#include "ltv_internal.h"
#include "verify_tail.h"

#include <seal/error.h>
#include <seal/pdf.h>

#include <glib.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FIELD_DEPTH  32
#define MAX_ISSUER_FETCH 4
#define VRI_KEY_LEN      41

typedef struct blob {
    seal_buf der;
    long long obj; /* the stream that holds it: an earlier DSS's, or a new one */
} blob;

typedef struct blob_list {
    blob *items;
    size_t n, cap;
} blob_list;

typedef struct index_list {
    size_t *v;
    size_t n, cap;
} index_list;

/* ISO 32000-2 12.8.4.4: a VRI entry, keyed by the uppercase hex SHA-1 of the signature's
 * /Contents, listing the certificates, CRLs and OCSP responses it needs. */
typedef struct vri {
    char key[VRI_KEY_LEN];
    index_list certs, crls, ocsps;
} vri;

typedef struct ltv_ctx {
    seal_pdf *pdf;
    const seal_pdf_ltv_opts *opts;
    blob_list certs, crls, ocsps;
    vri *vris;
    size_t n_vris;
    seal_pdf_ltv_summary *summary;
} ltv_ctx;

/* ---- collections ---- */

static int index_add(index_list *l, size_t i)
{
    for (size_t k = 0; k < l->n; k++)
        if (l->v[k] == i)
            return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        size_t *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return seal_error_set(SEAL_ENOMEM, "out of memory");
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = i;
    return 0;
}

/* Adds `der` unless the list holds the same bytes; *index (may be NULL) says where. */
static int blob_add(blob_list *l, const uint8_t *der, size_t len, long long obj, size_t *index)
{
    for (size_t k = 0; k < l->n; k++) {
        if (l->items[k].der.len == len && memcmp(l->items[k].der.data, der, len) == 0) {
            if (index)
                *index = k;
            return 0;
        }
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        blob *items = realloc(l->items, cap * sizeof *items);
        if (!items)
            return seal_error_set(SEAL_ENOMEM, "out of memory");
        l->items = items;
        l->cap = cap;
    }
    blob *b = &l->items[l->n];
    b->der = (seal_buf)SEAL_BUF_INIT;
    b->obj = obj;
    int rc = seal_buf_set(&b->der, der, len);
    if (rc < 0)
        return rc;
    if (index)
        *index = l->n;
    l->n++;
    return 0;
}

static void blobs_clear(blob_list *l)
{
    for (size_t k = 0; k < l->n; k++)
        seal_buf_clear(&l->items[k].der);
    free(l->items);
    memset(l, 0, sizeof *l);
}

static void ctx_clear(ltv_ctx *c)
{
    blobs_clear(&c->certs);
    blobs_clear(&c->crls);
    blobs_clear(&c->ocsps);
    for (size_t i = 0; i < c->n_vris; i++) {
        free(c->vris[i].certs.v);
        free(c->vris[i].crls.v);
        free(c->vris[i].ocsps.v);
    }
    free(c->vris);
    c->vris = NULL;
    c->n_vris = 0;
}

static int add_cert(ltv_ctx *c, vri *v, X509 *cert)
{
    unsigned char *der = NULL;
    size_t at = 0;
    int len = i2d_X509(cert, &der);
    int rc = len > 0 ? blob_add(&c->certs, der, (size_t)len, 0, &at)
                     : seal_error_set(SEAL_ECRYPTO, "a certificate cannot be encoded");
    OPENSSL_free(der);
    return rc < 0 ? rc : index_add(&v->certs, at);
}

static char *subject_of(X509 *cert)
{
    char *cn = seal_cert_subject_cn(cert);
    return cn ? cn : strdup("(unnamed certificate)");
}

/* A CRL in DER whatever form it was fetched in (RFC 5280 5: the DSS holds DER). */
static int crl_der(seal_buf *out, const seal_buf *in)
{
    const unsigned char *p = in->data;
    X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)in->len);
    if (!crl) {
        BIO *bio = BIO_new_mem_buf(in->data, (int)in->len);
        crl = bio ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) : NULL;
        BIO_free(bio);
    }
    unsigned char *der = NULL;
    int len = crl ? i2d_X509_CRL(crl, &der) : -1;
    int rc = len > 0 ? seal_buf_set(out, der, (size_t)len)
                     : seal_error_set(SEAL_EFORMAT, "a CRL that was found cannot be read");
    OPENSSL_free(der);
    X509_CRL_free(crl);
    return rc;
}

/* An OCSP response and the responder's certificates it carries (RFC 6960 4.2.1). */
static int add_ocsp(ltv_ctx *c, vri *v, const seal_buf *der)
{
    int rc = 0;
    size_t at = 0;
    const unsigned char *p = der->data;
    OCSP_RESPONSE *resp = d2i_OCSP_RESPONSE(NULL, &p, (long)der->len);
    OCSP_BASICRESP *basic = resp ? OCSP_response_get1_basic(resp) : NULL;
    SEAL_ENSURE(basic, SEAL_EFORMAT, "an OCSP response that was found cannot be read");
    SEAL_TRY(blob_add(&c->ocsps, der->data, der->len, 0, &at));
    SEAL_TRY(index_add(&v->ocsps, at));
    const STACK_OF(X509) *certs = OCSP_resp_get0_certs(basic);
    for (int i = 0; i < sk_X509_num(certs); i++)
        SEAL_TRY(add_cert(c, v, sk_X509_value(certs, i)));
out:
    OCSP_BASICRESP_free(basic);
    OCSP_RESPONSE_free(resp);
    return rc;
}

/* The revocation evidence for `cert` (issued by `issuer`), as the revocation module finds
 * it now: any evidence fetched now was issued after every earlier signing time. */
static int add_evidence(ltv_ctx *c, vri *v, X509 *cert, X509 *issuer, const char *what)
{
    int rc = 0;
    seal_cert_status st = {0};
    seal_buf der = SEAL_BUF_INIT;
    char *name = subject_of(cert);
    SEAL_TRY(seal_pki_status_at(&st, c->opts->revocation, cert, issuer, time(NULL)));
    SEAL_ENSURE(st.state != SEAL_CERT_UNKNOWN && st.evidence.kind != SEAL_EVIDENCE_NONE, SEAL_EPKI,
                "%s: no revocation evidence for %s: %s", what, name, st.detail);
    if (st.evidence.kind == SEAL_EVIDENCE_CRL) {
        size_t at = 0;
        SEAL_TRY(crl_der(&der, &st.evidence.der));
        SEAL_TRY(blob_add(&c->crls, der.data, der.len, 0, &at));
        SEAL_TRY(index_add(&v->crls, at));
        /* RFC 5280 5.2.4: the delta CRL that decided with it, so that the DSS says what
         * the status said. */
        if (st.evidence.delta_der.len) {
            SEAL_TRY(
                blob_add(&c->crls, st.evidence.delta_der.data, st.evidence.delta_der.len, 0, &at));
            SEAL_TRY(index_add(&v->crls, at));
        }
    } else {
        SEAL_TRY(add_ocsp(c, v, &st.evidence.der));
    }
out:
    seal_buf_clear(&der);
    seal_cert_status_clear(&st);
    free(name);
    return rc;
}

/* The chain of `cert` at `at` (the certificates in the signature or token, the
 * revocation module's pool, and caIssuers downloads), its certificates and, for each but
 * the anchor, its revocation evidence. */
static int add_chain(ltv_ctx *c, vri *v, X509 *cert, STACK_OF(X509) * carried, time_t at,
                     const char *what)
{
    int rc = 0;
    seal_chain_result chain = {0};
    STACK_OF(X509) *pool = X509_chain_up_ref(carried);
    STACK_OF(X509) *extra = seal_revocation_certs(c->opts->revocation);
    char *name = subject_of(cert);
    SEAL_ENSURE(pool, SEAL_ENOMEM, "out of memory");
    for (int i = 0; i < sk_X509_num(extra); i++) {
        X509 *x = sk_X509_value(extra, i);
        SEAL_ENSURE(X509_up_ref(x) && sk_X509_push(pool, x), SEAL_ENOMEM, "out of memory");
    }
    SEAL_TRY(seal_chain_fetch_issuers(c->opts->revocation, cert, pool, MAX_ISSUER_FETCH));
    SEAL_TRY(seal_chain_verify(&chain, c->opts->trust, cert, pool, at, true));
    SEAL_ENSURE(chain.status == SEAL_CHAIN_OK && chain.chain, SEAL_EPKI,
                "%s: the chain of %s cannot be validated (%s): %s", what, name,
                seal_chain_status_name(chain.status), chain.detail);
    int n = sk_X509_num(chain.chain);
    for (int i = 0; i < n; i++) {
        SEAL_TRY(add_cert(c, v, sk_X509_value(chain.chain, i)));
        if (i + 1 < n)
            SEAL_TRY(add_evidence(c, v, sk_X509_value(chain.chain, i),
                                  sk_X509_value(chain.chain, i + 1), what));
    }
out:
    seal_chain_result_clear(&chain);
    sk_X509_pop_free(pool, X509_free);
    free(name);
    return rc;
}

static int add_token_chain(ltv_ctx *c, vri *v, const seal_tst *tst, const char *what)
{
    X509 *tsa = seal_tst_signer_cert(tst);
    if (!tsa)
        return seal_error_set(SEAL_EPKI, "%s: the timestamp does not carry the TSA's certificate",
                              what);
    return add_chain(c, v, tsa, seal_tst_certs(tst), seal_tst_get_info(tst)->gen_time, what);
}

/* ---- signatures ---- */

static int new_vri(ltv_ctx *c, const char *contents, size_t len, vri **out)
{
    uint8_t sha1[EVP_MAX_MD_SIZE];
    size_t n = 0;
    int rc = seal_digest(EVP_sha1(), contents, len, sha1, &n);
    if (rc < 0)
        return rc;
    vri *grown = realloc(c->vris, (c->n_vris + 1) * sizeof *grown);
    if (!grown)
        return seal_error_set(SEAL_ENOMEM, "out of memory");
    c->vris = grown;
    vri *v = &c->vris[c->n_vris++];
    memset(v, 0, sizeof *v);
    for (size_t i = 0; i < n; i++)
        snprintf(v->key + 2 * i, 3, "%02X", sha1[i]);
    *out = v;
    return 0;
}

/* The bytes of a signature dictionary's /Contents. qpdf decrypts every string of an
 * encrypted file but a /Type /Sig dictionary's /Contents, while ISO 32000-1 7.6.1 keeps
 * every signature dictionary's (a /DocTimeStamp's too) in the clear: those are read from
 * the ByteRange gap, which must be what qpdf read as this dictionary's /Contents. */
static int signature_contents(seal_buf *out, const ltv_ctx *c, qpdf_oh sig, const char *field)
{
    int rc = 0;
    qpdf_data q = c->pdf->q;
    size_t len = 0;
    const char *parsed =
        qpdf_oh_get_binary_string_value(q, qpdf_oh_get_key(q, sig, "/Contents"), &len);
    SEAL_ENSURE(parsed && len > 0, SEAL_EFORMAT, "signature %s has no /Contents", field);
    if (!c->pdf->crypt || qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, sig, "/Type"), "/Sig"))
        return seal_buf_set(out, parsed, len);
    SEAL_TRY(seal_buf_set(out, parsed, len)); /* qpdf reuses its memory on the next call */
    qpdf_oh br = qpdf_oh_get_key(q, sig, "/ByteRange");
    long long a = qpdf_oh_is_array(q, br) && qpdf_oh_get_array_n_items(q, br) == 4
                      ? qpdf_oh_get_int_value(q, qpdf_oh_get_array_item(q, br, 1))
                      : -1;
    long long b = a > 0 ? qpdf_oh_get_int_value(q, qpdf_oh_get_array_item(q, br, 2)) : -1;
    seal_buf raw = SEAL_BUF_INIT;
    bool match = false;
    seal_slice file = {(const uint8_t *)c->pdf->map, c->pdf->map_len};
    SEAL_ENSURE(a > 0 && b > a && (size_t)b <= c->pdf->map_len, SEAL_EFORMAT,
                "signature %s: its /ByteRange does not leave a gap for /Contents", field);
    rc = seal_pdf_gap_hex(&raw, file, (size_t)a, (size_t)b);
    if (rc == 0)
        rc = pdf_crypt_string_read_as(&match, c->pdf->crypt, qpdf_oh_get_object_id(q, sig),
                                      qpdf_oh_get_generation(q, sig), raw.data, raw.len, out->data,
                                      out->len);
    if (rc == 0 && !match)
        rc = seal_error_set(SEAL_EFORMAT,
                            "signature %s: the bytes its /ByteRange leaves out are not its "
                            "/Contents",
                            field);
    if (rc == 0)
        rc = seal_buf_set(out, raw.data, raw.len);
    seal_buf_clear(&raw);
out:
    return rc;
}

static int add_signature(ltv_ctx *c, qpdf_oh sig, const char *field)
{
    int rc = 0;
    seal_cms *cms = NULL;
    seal_tst *tst = NULL;
    vri *v = NULL;
    char what[160];
    seal_buf value = SEAL_BUF_INIT;
    qpdf_data q = c->pdf->q;
    SEAL_TRY(signature_contents(&value, c, sig, field));
    const char *contents = (const char *)value.data;
    size_t len = value.len;
    SEAL_TRY(new_vri(c, contents, len, &v));
    snprintf(what, sizeof what, "signature %.140s", field);
    c->summary->signatures++;

    if (qpdf_oh_is_name_and_equals(q, qpdf_oh_get_key(q, sig, "/SubFilter"), "/ETSI.RFC3161")) {
        rc = seal_tst_parse(&tst, (const uint8_t *)contents, len);
        if (rc < 0)
            SEAL_TRY(seal_error_wrap(rc, "document timestamp %s", field));
        snprintf(what, sizeof what, "document timestamp %.130s", field);
        SEAL_TRY(add_token_chain(c, v, tst, what));
        goto out;
    }
    rc = seal_cms_parse(&cms, (const uint8_t *)contents, len);
    if (rc < 0)
        SEAL_TRY(seal_error_wrap(rc, "signature %s", field));
    X509 *signer = seal_cms_signer_cert(cms);
    SEAL_ENSURE(signer, SEAL_EPKI, "signature %s does not carry its signer's certificate", field);
    /* The signer's chain at the proven time when there is one, else now. */
    time_t at = time(NULL);
    seal_slice token;
    if (seal_cms_unsigned_attr(cms, SEAL_OID_ATTR_TIMESTAMP_TOKEN, &token) == 0) {
        rc = seal_tst_parse(&tst, token.data, token.len);
        if (rc < 0)
            SEAL_TRY(seal_error_wrap(rc, "the timestamp of signature %s", field));
        char tsa_what[200];
        snprintf(tsa_what, sizeof tsa_what, "the timestamp of signature %.140s", field);
        SEAL_TRY(add_token_chain(c, v, tst, tsa_what));
        at = seal_tst_get_info(tst)->gen_time;
        c->summary->timestamps++;
    }
    seal_error_clear();
    SEAL_TRY(add_chain(c, v, signer, seal_cms_certs(cms), at, what));
out:
    seal_buf_clear(&value);
    seal_tst_free(tst);
    seal_cms_free(cms);
    return rc;
}

static bool has_signature_value(qpdf_data q, qpdf_oh field)
{
    qpdf_oh v = qpdf_oh_get_key(q, field, "/V");
    return qpdf_oh_is_dictionary(q, v) &&
           qpdf_oh_is_string(q, qpdf_oh_get_key(q, v, "/Contents")) &&
           qpdf_oh_has_key(q, v, "/ByteRange");
}

static int walk_fields(ltv_ctx *c, qpdf_oh fields, const char *prefix, int depth)
{
    int rc = 0;
    qpdf_data q = c->pdf->q;
    if (depth > MAX_FIELD_DEPTH || !qpdf_oh_is_array(q, fields))
        return 0;
    int n = qpdf_oh_get_array_n_items(q, fields);
    for (int i = 0; i < n; i++) {
        qpdf_oh f = qpdf_oh_get_array_item(q, fields, i);
        if (!qpdf_oh_is_dictionary(q, f))
            continue;
        qpdf_oh t = qpdf_oh_get_key(q, f, "/T");
        /* The fully qualified name (ISO 32000-1 12.7.3.2) has no length limit: a fixed
         * buffer would cut it, and two long names could then read as one. */
        char *name = g_strdup_printf("%s%s%s", prefix, *prefix ? "." : "",
                                     qpdf_oh_is_string(q, t) ? qpdf_oh_get_utf8_value(q, t) : "");
        if (has_signature_value(q, f))
            rc = add_signature(c, qpdf_oh_get_key(q, f, "/V"), name);
        else
            rc = walk_fields(c, qpdf_oh_get_key(q, f, "/Kids"), name, depth + 1);
        g_free(name);
        if (rc < 0)
            goto out;
    }
out:
    return rc;
}

/* ---- the DSS ---- */

typedef int (*evidence_fn)(seal_revocation *rv, const uint8_t *der, size_t len, const char *source);

/* What an earlier DSS holds stays, in its own streams (ISO 32000-2 12.8.4.3), and its
 * CRLs and OCSP responses count as evidence again (`use`, NULL for certificates). */
static int load_dss_array(ltv_ctx *c, qpdf_oh dss, const char *key, blob_list *l, evidence_fn use)
{
    int rc = 0;
    qpdf_data q = c->pdf->q;
    qpdf_oh arr = qpdf_oh_get_key(q, dss, key);
    int n = qpdf_oh_is_array(q, arr) ? qpdf_oh_get_array_n_items(q, arr) : 0;
    for (int i = 0; i < n; i++) {
        qpdf_oh s = qpdf_oh_get_array_item(q, arr, i);
        unsigned char *data = NULL;
        size_t len = 0;
        if (!qpdf_oh_is_stream(q, s) || !qpdf_oh_is_indirect(q, s))
            continue;
        qpdf_oh_get_stream_data(q, s, qpdf_dl_generalized, NULL, &data, &len);
        SEAL_TRY(pdf_qpdf_error(q, "the document's DSS cannot be read"));
        if (data && len > 0)
            rc = blob_add(l, data, len, qpdf_oh_get_object_id(q, s), NULL);
        if (rc == 0 && data && use && use(c->opts->revocation, data, len, "DSS") < 0)
            seal_error_clear(); /* damaged old evidence is not reused, and not fatal */
        free(data);
        SEAL_TRY(rc);
    }
out:
    return rc;
}

static int write_refs(seal_buf *out, const char *key, const blob_list *l, const index_list *only)
{
    int rc = 0;
    size_t n = only ? only->n : l->n;
    if (n == 0)
        return 0;
    SEAL_TRY(seal_buf_printf(out, " %s [", key));
    for (size_t k = 0; k < n; k++)
        SEAL_TRY(seal_buf_printf(out, " %lld 0 R", l->items[only ? only->v[k] : k].obj));
    SEAL_TRY(seal_buf_append_str(out, " ]"));
out:
    return rc;
}

static int write_new_streams(pdf_update *u, blob_list *l)
{
    int rc = 0;
    for (size_t k = 0; k < l->n; k++) {
        if (l->items[k].obj)
            continue;
        l->items[k].obj = pdf_update_new_number(u);
        SEAL_TRY(
            pdf_update_stream(u, l->items[k].obj, "", l->items[k].der.data, l->items[k].der.len));
    }
out:
    return rc;
}

/* The earlier /VRI entries of signatures we did not describe again. */
static int old_vri_entries(seal_buf *out, const ltv_ctx *c, qpdf_oh dss)
{
    int rc = 0;
    qpdf_data q = c->pdf->q;
    qpdf_oh old = qpdf_oh_get_key(q, dss, "/VRI");
    if (!qpdf_oh_is_dictionary(q, old))
        return 0;
    char *keys[512];
    size_t n = 0;
    qpdf_oh_begin_dict_key_iter(q, old);
    while (n < 512 && qpdf_oh_dict_more_keys(q))
        keys[n++] = strdup(qpdf_oh_dict_next_key(q));
    for (size_t i = 0; i < n; i++) {
        bool redone = !keys[i];
        for (size_t k = 0; k < c->n_vris && !redone; k++)
            redone = strcmp(keys[i] + 1, c->vris[k].key) == 0;
        if (!redone) {
            rc = seal_buf_printf(out, " %s ", keys[i]);
            if (rc == 0)
                rc = pdf_unparse(out, q, qpdf_oh_get_key(q, old, keys[i]));
        }
        free(keys[i]);
        keys[i] = NULL;
        if (rc < 0) {
            for (size_t k = i + 1; k < n; k++)
                free(keys[k]);
            return rc;
        }
    }
    return 0;
}

static int write_dss_update(ltv_ctx *c, pdf_update *u, qpdf_oh old_dss)
{
    int rc = 0;
    qpdf_data q = c->pdf->q;
    seal_buf dss = SEAL_BUF_INIT, extra = SEAL_BUF_INIT, catalog = SEAL_BUF_INIT;
    SEAL_TRY(write_new_streams(u, &c->certs));
    SEAL_TRY(write_new_streams(u, &c->crls));
    SEAL_TRY(write_new_streams(u, &c->ocsps));

    SEAL_TRY(seal_buf_append_str(&dss, "<< /Type /DSS"));
    SEAL_TRY(write_refs(&dss, "/Certs", &c->certs, NULL));
    SEAL_TRY(write_refs(&dss, "/CRLs", &c->crls, NULL));
    SEAL_TRY(write_refs(&dss, "/OCSPs", &c->ocsps, NULL));
    SEAL_TRY(seal_buf_append_str(&dss, " /VRI <<"));
    SEAL_TRY(old_vri_entries(&dss, c, old_dss));
    for (size_t i = 0; i < c->n_vris; i++) {
        const vri *v = &c->vris[i];
        SEAL_TRY(seal_buf_printf(&dss, " /%s <<", v->key));
        SEAL_TRY(write_refs(&dss, "/Cert", &c->certs, &v->certs));
        SEAL_TRY(write_refs(&dss, "/CRL", &c->crls, &v->crls));
        SEAL_TRY(write_refs(&dss, "/OCSP", &c->ocsps, &v->ocsps));
        SEAL_TRY(seal_buf_append_str(&dss, " >>"));
    }
    SEAL_TRY(seal_buf_append_str(&dss, " >> >>"));
    long long dss_obj = pdf_update_new_number(u);
    SEAL_TRY(pdf_update_begin_object(u, dss_obj, 0));
    SEAL_TRY(seal_buf_append(&u->text, dss.data, dss.len));
    SEAL_TRY(pdf_update_end_object(u));

    /* The catalog gains /DSS (replacing an earlier one, whose streams the new one lists). */
    const char *drop[] = {"/DSS", NULL};
    qpdf_oh root = qpdf_get_root(q);
    SEAL_TRY(seal_buf_printf(&extra, "/DSS %lld 0 R", dss_obj));
    SEAL_TRY(pdf_write_dict_with(&catalog, q, root, drop, (const char *)extra.data));
    SEAL_TRY(pdf_update_reemit(u, root, (const char *)catalog.data));
    SEAL_TRY(pdf_update_finish(u));
    c->summary->certs = c->certs.n;
    c->summary->crls = c->crls.n;
    c->summary->ocsps = c->ocsps.n;
out:
    seal_buf_clear(&dss);
    seal_buf_clear(&extra);
    seal_buf_clear(&catalog);
    return rc;
}

/* The signed PDF, an encrypted one with its password: the updates are then encrypted
 * with the document's key (ltv_update.c). */
static int open_signed(seal_pdf **pdf, const char *in, const seal_pdf_ltv_opts *opts)
{
    return seal_pdf_open_password(pdf, in, opts->password);
}

/* One B-LT round: `in` to `out` with a DSS for every signature in `in`. */
static int dss_round(const char *in, const char *out, const seal_pdf_ltv_opts *opts,
                     seal_pdf_ltv_summary *summary)
{
    int rc = 0;
    ltv_ctx c = {.opts = opts, .summary = summary};
    pdf_update u = {0};
    summary->signatures = summary->timestamps = 0;
    SEAL_TRY(open_signed(&c.pdf, in, opts));
    qpdf_data q = c.pdf->q;
    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh old_dss = qpdf_oh_get_key(q, root, "/DSS");
    if (qpdf_oh_is_dictionary(q, old_dss)) {
        SEAL_TRY(load_dss_array(&c, old_dss, "/Certs", &c.certs, NULL));
        SEAL_TRY(load_dss_array(&c, old_dss, "/CRLs", &c.crls, seal_revocation_add_crl));
        SEAL_TRY(load_dss_array(&c, old_dss, "/OCSPs", &c.ocsps, seal_revocation_add_ocsp));
    }
    SEAL_TRY(walk_fields(&c, qpdf_oh_get_key(q, qpdf_oh_get_key(q, root, "/AcroForm"), "/Fields"),
                         "", 0));
    SEAL_TRY(pdf_qpdf_error(q, "the document's signature fields cannot be read"));
    SEAL_ENSURE(c.n_vris > 0, SEAL_EINVAL,
                "%s has no signature: there is nothing to keep validation data for", in);
    SEAL_TRY(pdf_update_init(&u, c.pdf));
    SEAL_TRY(write_dss_update(&c, &u, old_dss));
    SEAL_TRY(pdf_update_write(&u, out, NULL, NULL, NULL, NULL));
out:
    pdf_update_clear(&u);
    ctx_clear(&c);
    seal_pdf_free(c.pdf);
    return rc;
}

/* ---- the document timestamp (B-LTA) ---- */

typedef struct doc_ts {
    const seal_pdf_ltv_opts *opts;
} doc_ts;

static int make_doc_token(void *ctx, seal_buf *der, const uint8_t *digest, size_t len)
{
    int rc = 0;
    const doc_ts *d = ctx;
    seal_tst *tst = NULL;
    seal_chain_result chain = {0};
    SEAL_TRY(seal_tsp_timestamp(&tst, d->opts->archive_tsa, digest, len));
    SEAL_TRY(seal_chain_verify(&chain, d->opts->trust, seal_tst_signer_cert(tst),
                               seal_tst_certs(tst), seal_tst_get_info(tst)->gen_time, true));
    SEAL_ENSURE(chain.status == SEAL_CHAIN_OK, SEAL_EPKI,
                "the TSA's certificate is not trusted at the time it gave (%s): %s",
                seal_chain_status_name(chain.status), chain.detail);
    seal_slice token = seal_tst_der(tst);
    SEAL_TRY(seal_buf_set(der, token.data, token.len));
out:
    seal_chain_result_clear(&chain);
    seal_tst_free(tst);
    return rc;
}

/* "Timestamp1", "Timestamp2"...: a name no top-level field has. */
static void timestamp_field_name(qpdf_data q, qpdf_oh fields, char out[32])
{
    int n = qpdf_oh_is_array(q, fields) ? qpdf_oh_get_array_n_items(q, fields) : 0;
    for (int k = 1;; k++) {
        snprintf(out, 32, "Timestamp%d", k);
        bool used = false;
        for (int i = 0; i < n && !used; i++) {
            qpdf_oh t = qpdf_oh_get_key_if_dict(q, qpdf_oh_get_array_item(q, fields, i), "/T");
            used = qpdf_oh_is_string(q, t) && strcmp(qpdf_oh_get_utf8_value(q, t), out) == 0;
        }
        if (!used)
            return;
    }
}

/* ISO 32000-2 12.8.5: a signature field whose /V is a /DocTimeStamp dictionary with
 * /SubFilter /ETSI.RFC3161 and a bare token in /Contents, invisible on page 1. */
static int build_doc_ts(pdf_update *u, size_t reserve)
{
    int rc = 0;
    qpdf_data q = u->pdf->q;
    seal_buf page_text = SEAL_BUF_INIT, form_text = SEAL_BUF_INIT, extra = SEAL_BUF_INIT;
    seal_buf catalog = SEAL_BUF_INIT;
    qpdf_oh root = qpdf_get_root(q);
    qpdf_oh acro = qpdf_oh_get_key(q, root, "/AcroForm");
    qpdf_oh page = qpdf_get_page_n(q, 0);
    char name[32];
    SEAL_ENSURE(qpdf_oh_is_dictionary(q, acro), SEAL_EFORMAT, "the document has no AcroForm");
    timestamp_field_name(q, qpdf_oh_get_key(q, acro, "/Fields"), name);

    long long sig = pdf_update_new_number(u), field = pdf_update_new_number(u);
    SEAL_TRY(pdf_update_begin_object(u, sig, 0));
    SEAL_TRY(seal_buf_append_str(&u->text, "<< /Type /DocTimeStamp /Filter /Adobe.PPKLite "
                                           "/SubFilter /ETSI.RFC3161 "));
    SEAL_TRY(pdf_update_placeholders(u, reserve));
    SEAL_TRY(seal_buf_append_str(
        &u->text, " /Prop_Build << /App << /Name /sealsvc /REx (" SEAL_VERSION ") >> >> >>"));
    SEAL_TRY(pdf_update_end_object(u));
    SEAL_TRY(pdf_update_begin_object(u, field, 0));
    SEAL_TRY(seal_buf_printf(&u->text,
                             "<< /Type /Annot /Subtype /Widget /FT /Sig /T (%s) /V %lld 0 R /F 132 "
                             "/Rect [0 0 0 0] /P %d %d R >>",
                             name, sig, qpdf_oh_get_object_id(q, page),
                             qpdf_oh_get_generation(q, page)));
    SEAL_TRY(pdf_update_end_object(u));

    SEAL_TRY(pdf_update_append_ref(u, page, "/Annots", field, &page_text));
    if (page_text.len)
        SEAL_TRY(pdf_update_reemit(u, page, (const char *)page_text.data));
    SEAL_TRY(pdf_update_append_ref(u, acro, "/Fields", field, &form_text));
    if (form_text.len && qpdf_oh_is_indirect(q, acro)) {
        SEAL_TRY(pdf_update_reemit(u, acro, (const char *)form_text.data));
    } else if (form_text.len) {
        const char *drop[] = {"/AcroForm", NULL};
        SEAL_TRY(seal_buf_printf(&extra, "/AcroForm %s", (const char *)form_text.data));
        SEAL_TRY(pdf_write_dict_with(&catalog, q, root, drop, (const char *)extra.data));
        SEAL_TRY(pdf_update_reemit(u, root, (const char *)catalog.data));
    }
    SEAL_TRY(pdf_update_finish(u));
out:
    seal_buf_clear(&page_text);
    seal_buf_clear(&form_text);
    seal_buf_clear(&extra);
    seal_buf_clear(&catalog);
    return rc;
}

static int doc_timestamp_round(const char *in, const char *out, const seal_pdf_ltv_opts *opts)
{
    int rc = 0;
    seal_pdf *pdf = NULL;
    pdf_update u = {0};
    doc_ts d = {opts};
    size_t reserve = SEAL_TSP_TOKEN_ESTIMATE;
    const EVP_MD *md = opts->archive_tsa->md ? opts->archive_tsa->md : EVP_sha256();
    SEAL_TRY(open_signed(&pdf, in, opts));
    /* A document timestamp is a signature field: what the permissions say of a seal
     * (Table 22 bits 4 and 6) holds for it. */
    if (pdf->crypt)
        SEAL_TRY(pdf_crypt_check_sign_allowed(pdf->crypt, pdf->path));
    for (int attempt = 0;; attempt++) {
        size_t needed = 0;
        pdf_update_clear(&u);
        SEAL_TRY(pdf_update_init(&u, pdf));
        SEAL_TRY(build_doc_ts(&u, reserve));
        rc = pdf_update_write(&u, out, md, make_doc_token, &d, &needed);
        if (rc == 0 || needed == 0 || attempt == 2)
            break;
        /* PDF-SIGN.md 3: a token larger than the gap means a new update, never a cut. */
        reserve = needed + 1024;
        seal_error_clear();
        rc = 0;
    }
out:
    pdf_update_clear(&u);
    seal_pdf_free(pdf);
    return rc;
}

/* ---- the whole ---- */

int seal_pdf_ltv(const char *in, const char *out, const seal_pdf_ltv_opts *opts,
                 seal_pdf_ltv_summary *summary)
{
    int rc = 0;
    seal_pdf_ltv_summary ignored;
    char *stage_dss = NULL, *stage_ts = NULL;
    if (!summary)
        summary = &ignored;
    memset(summary, 0, sizeof *summary);
    SEAL_ENSURE(in && out && opts && opts->trust && opts->revocation, SEAL_EINVAL,
                "long-term validation needs trust anchors and a source of revocation evidence");
    SEAL_ENSURE(!seal_same_file(in, out), SEAL_EINVAL,
                "the output must be a new file, not the input (%s): the input is never modified",
                in);
    if (!opts->archive_tsa)
        return dss_round(in, out, opts, summary);

    /* B-LTA: DSS, then the document timestamp over it, then that timestamp's own data. */
    SEAL_ENSURE(asprintf(&stage_dss, "%s.ltv-dss-%d", out, (int)getpid()) > 0, SEAL_ENOMEM,
                "out of memory");
    SEAL_ENSURE(asprintf(&stage_ts, "%s.ltv-ts-%d", out, (int)getpid()) > 0, SEAL_ENOMEM,
                "out of memory");
    SEAL_TRY(dss_round(in, stage_dss, opts, summary));
    SEAL_TRY(doc_timestamp_round(stage_dss, stage_ts, opts));
    seal_pdf_ltv_summary last = {0};
    SEAL_TRY(dss_round(stage_ts, out, opts, &last));
    summary->certs = last.certs;
    summary->crls = last.crls;
    summary->ocsps = last.ocsps;
    summary->archived = true;
out:
    if (stage_dss)
        unlink(stage_dss);
    if (stage_ts)
        unlink(stage_ts);
    free(stage_dss);
    free(stage_ts);
    return rc;
}
