/* Digests: which one goes with which key algorithm, one-shot hashing, and the OIDs that
 * name digests in AlgorithmIdentifiers (CMS digestAlgorithm, ESS certHash, SES seals). */
#include "crypto_int.h"

#include <seal/error.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct {
    const char *oid;
    const EVP_MD *(*md)(void);
} digests[] = {
    {"1.3.14.3.2.26", EVP_sha1}, /* read only: older signers (RFC 3370 2.1) */
    {SEAL_OID_SHA256, EVP_sha256},
    {SEAL_OID_SHA384, EVP_sha384},
    {"2.16.840.1.101.3.4.2.3", EVP_sha512},
    {SEAL_OID_SM3, EVP_sm3},
};

const EVP_MD *seal_md_by_oid(const char *oid)
{
    for (size_t i = 0; oid && i < sizeof digests / sizeof digests[0]; i++)
        if (strcmp(digests[i].oid, oid) == 0)
            return digests[i].md();
    return NULL;
}

const char *seal_md_oid(const EVP_MD *md)
{
    /* SHA-1 is never written: index 0 is skipped. */
    for (size_t i = 1; md && i < sizeof digests / sizeof digests[0]; i++)
        if (EVP_MD_get_type(digests[i].md()) == EVP_MD_get_type(md))
            return digests[i].oid;
    return NULL;
}

const EVP_MD *seal_digest_for_alg(seal_key_alg alg)
{
    switch (alg) {
    case SEAL_ALG_RSA:
    case SEAL_ALG_ECDSA:
        return EVP_sha256();
    case SEAL_ALG_SM2:
        return EVP_sm3();
    default:
        return NULL;
    }
}

int seal_digest(const EVP_MD *md, const void *data, size_t len, uint8_t *out, size_t *out_len)
{
    unsigned int n = 0;
    if (!md)
        return seal_error_set(SEAL_EINVAL, "no digest algorithm given");
    if (!EVP_Digest(data, len, out, &n, md, NULL))
        return seal_error_set_openssl(SEAL_ECRYPTO, "could not compute the %s digest",
                                      EVP_MD_get0_name(md));
    *out_len = n;
    return 0;
}

int seal_digest_file(const EVP_MD *md, const char *path, uint8_t *out, size_t *out_len)
{
    enum { CHUNK = 1 << 20 };
    int rc = 0;
    uint8_t *chunk = NULL;
    EVP_MD_CTX *ctx = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    SEAL_ENSURE(md, SEAL_EINVAL, "no digest algorithm given");
    SEAL_ENSURE(fd >= 0, SEAL_EIO, "cannot open %s: %s", path, strerror(errno));
    chunk = malloc(CHUNK);
    ctx = EVP_MD_CTX_new();
    SEAL_ENSURE(chunk && ctx, SEAL_ENOMEM, "out of memory");
    SEAL_ENSURE(EVP_DigestInit_ex(ctx, md, NULL) == 1, SEAL_ECRYPTO, "cannot start the %s digest",
                EVP_MD_get0_name(md));
    for (;;) {
        ssize_t n = read(fd, chunk, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        SEAL_ENSURE(n >= 0, SEAL_EIO, "cannot read %s: %s", path, strerror(errno));
        if (n == 0)
            break;
        SEAL_ENSURE(EVP_DigestUpdate(ctx, chunk, (size_t)n) == 1, SEAL_ECRYPTO, "cannot hash %s",
                    path);
    }
    unsigned int len = 0;
    SEAL_ENSURE(EVP_DigestFinal_ex(ctx, out, &len) == 1, SEAL_ECRYPTO, "cannot hash %s", path);
    *out_len = len;
out:
    if (fd >= 0)
        close(fd);
    EVP_MD_CTX_free(ctx);
    free(chunk);
    return rc;
}

const char *seal_digest_name(const EVP_MD *md)
{
    switch (md ? EVP_MD_get_type(md) : NID_undef) {
    case NID_sha256:
        return "sha256";
    case NID_sha384:
        return "sha384";
    case NID_sha512:
        return "sha512";
    case NID_sm3:
        return "sm3";
    case NID_sha1:
        return "sha1";
    default:
        return "unknown";
    }
}
