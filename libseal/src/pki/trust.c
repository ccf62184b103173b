/* Trust anchors: the root (or pinned intermediate) certificates a chain must end at.
 * Verify flow: configuration loads them once from files or a folder; every chain check
 * (chain.c) reads them through the X509_STORE kept here. */
#include "pki/trust_internal.h"

#include <seal/error.h>

#include <dirent.h>
#include <limits.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* A trust file is a handful of certificates; anything larger is not one. */
#define TRUST_FILE_MAX (16u * 1024 * 1024)

struct seal_trust {
    X509_STORE *store;
    STACK_OF(X509) * anchors; /* the same certificates, for counting and partial chains */
    bool has_intermediate;
    seal_revocation *revocation; /* owned; NULL: verifiers use a default online one */
};

int seal_trust_new(seal_trust **out)
{
    int rc = 0;
    seal_trust *t = calloc(1, sizeof *t);
    SEAL_ENSURE(t, SEAL_ENOMEM, "out of memory");
    t->store = X509_STORE_new();
    t->anchors = sk_X509_new_null();
    SEAL_ENSURE(t->store && t->anchors, SEAL_ENOMEM, "out of memory");
    *out = t;
    t = NULL;
out:
    seal_trust_free(t);
    return rc;
}

void seal_trust_free(seal_trust *t)
{
    if (!t)
        return;
    X509_STORE_free(t->store);
    sk_X509_pop_free(t->anchors, X509_free);
    seal_revocation_free(t->revocation);
    free(t);
}

X509_STORE *seal_trust_store(const seal_trust *t)
{
    return t->store;
}

bool seal_trust_has_intermediate(const seal_trust *t)
{
    return t->has_intermediate;
}

void seal_trust_set_revocation(seal_trust *t, seal_revocation *rv)
{
    if (!t) {
        seal_revocation_free(rv);
        return;
    }
    if (t->revocation != rv)
        seal_revocation_free(t->revocation);
    t->revocation = rv;
}

seal_revocation *seal_trust_revocation(const seal_trust *t)
{
    return t ? t->revocation : NULL;
}

size_t seal_trust_count(const seal_trust *t)
{
    return t ? (size_t)sk_X509_num(t->anchors) : 0;
}

X509 *seal_trust_cert(const seal_trust *t, size_t i)
{
    return i < seal_trust_count(t) ? sk_X509_value(t->anchors, (int)i) : NULL;
}

int seal_trust_prepare_cert(X509 **out, X509 *cert)
{
    int rc = 0;
    X509 *copy = NULL;
    ASN1_OCTET_STRING *id = NULL;
    if (X509_get_signature_nid(cert) != NID_SM2_with_SM3 || X509_get0_distinguishing_id(cert)) {
        SEAL_ENSURE(X509_up_ref(cert) == 1, SEAL_ENOMEM, "out of memory");
        *out = cert;
        goto out;
    }
    copy = X509_dup(cert);
    id = ASN1_OCTET_STRING_new();
    SEAL_ENSURE(copy && id, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(ASN1_OCTET_STRING_set(id, (const unsigned char *)SEAL_SM2_USER_ID,
                                      (int)strlen(SEAL_SM2_USER_ID)),
                SEAL_ENOMEM, "out of memory");
    X509_set0_distinguishing_id(copy, id);
    id = NULL;
    *out = copy;
    copy = NULL;
out:
    ASN1_OCTET_STRING_free(id);
    X509_free(copy);
    return rc;
}

int seal_trust_add_cert(seal_trust *t, X509 *cert)
{
    int rc = 0;
    X509 *anchor = NULL;
    SEAL_ENSURE(t && cert, SEAL_EINVAL, "no certificate to trust");
    /* The same anchor listed twice (a bundle and a folder) is not an error. */
    for (int i = 0; i < sk_X509_num(t->anchors); i++) {
        if (X509_cmp(sk_X509_value(t->anchors, i), cert) == 0)
            goto out;
    }
    SEAL_TRY(seal_trust_prepare_cert(&anchor, cert));
    if (!X509_STORE_add_cert(t->store, anchor)) {
        rc = seal_error_set_openssl(SEAL_EPKI, "the certificate could not be added as an anchor");
        goto out;
    }
    SEAL_ENSURE(sk_X509_push(t->anchors, anchor), SEAL_ENOMEM, "out of memory");
    /* An anchor that is not self-issued is an intermediate pinned by the operator:
     * chains may then stop at it (checked in chain.c). */
    if (!(X509_get_extension_flags(anchor) & EXFLAG_SI))
        t->has_intermediate = true;
    anchor = NULL;
out:
    X509_free(anchor);
    return rc;
}

static int add_named(seal_trust *t, X509 *cert, const char *path)
{
    int rc = seal_trust_add_cert(t, cert);
    return rc < 0 ? seal_error_wrap(rc, "trust file %s", path) : 0;
}

/* Every certificate of one file: PEM (one or many) or a single DER certificate. */
static int add_file(seal_trust *t, const char *path)
{
    int rc = 0;
    seal_buf data = SEAL_BUF_INIT;
    BIO *bio = NULL;
    X509 *cert = NULL;
    size_t added = 0;

    SEAL_TRY(seal_buf_read_file(&data, path, TRUST_FILE_MAX));
    SEAL_ENSURE(data.len <= INT_MAX, SEAL_EFORMAT, "trust file %s is too large", path);
    bio = BIO_new_mem_buf(data.data, (int)data.len);
    SEAL_ENSURE(bio, SEAL_ENOMEM, "out of memory");
    while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        SEAL_TRY(add_named(t, cert, path));
        X509_free(cert);
        cert = NULL;
        added++;
    }
    ERR_clear_error(); /* the end of the PEM stream reads as an error */
    if (added == 0) {
        const unsigned char *p = data.data;
        cert = d2i_X509(NULL, &p, (long)data.len);
        if (!cert)
            SEAL_FAIL(SEAL_EFORMAT,
                      "trust file %s holds no certificate (expected PEM or DER X.509)", path);
        SEAL_TRY(add_named(t, cert, path));
    }
out:
    ERR_clear_error();
    X509_free(cert);
    BIO_free(bio);
    seal_buf_clear(&data);
    return rc;
}

static bool is_cert_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".pem") == 0 || strcasecmp(dot, ".crt") == 0 ||
                   strcasecmp(dot, ".cer") == 0);
}

static int add_dir(seal_trust *t, const char *path)
{
    int rc = 0;
    struct dirent **names = NULL;
    /* Sorted, so that the order anchors are added in (and any error) is reproducible. */
    int n = scandir(path, &names, NULL, alphasort);
    SEAL_ENSURE(n >= 0, SEAL_EIO, "trust folder %s cannot be read", path);
    for (int i = 0; i < n && rc == 0; i++) {
        if (names[i]->d_name[0] == '.' || !is_cert_name(names[i]->d_name))
            continue;
        char file[4096];
        int w = snprintf(file, sizeof file, "%s/%s", path, names[i]->d_name);
        if (w < 0 || (size_t)w >= sizeof file)
            rc = seal_error_set(SEAL_EINVAL, "trust file name in %s is too long", path);
        else
            rc = add_file(t, file);
    }
out:
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int seal_trust_add_path(seal_trust *t, const char *path)
{
    int rc = 0;
    struct stat st;
    SEAL_ENSURE(t && path, SEAL_EINVAL, "no trust path given");
    SEAL_ENSURE(stat(path, &st) == 0, SEAL_EIO, "trust path %s does not exist", path);
    if (S_ISDIR(st.st_mode))
        SEAL_TRY(add_dir(t, path));
    else
        SEAL_TRY(add_file(t, path));
out:
    return rc;
}
