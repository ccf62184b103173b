/* Error values and the thread-local message of the last failure.
 *
 * Every libseal function that can fail returns 0 or a negative SEAL_E* code and records a
 * message that says what was wrong with the input, in words a user can act on. The code
 * names the class of the failure (I/O, format, crypto, PKI, policy...). */
#ifndef SEAL_ERROR_H
#define SEAL_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum seal_error_code {
    SEAL_OK = 0,
    SEAL_EINVAL = -1,       /* a caller-supplied argument or option is wrong */
    SEAL_ENOMEM = -2,       /* out of memory */
    SEAL_EIO = -3,          /* a file or socket could not be read or written */
    SEAL_EFORMAT = -4,      /* the input is not a well-formed document, key, seal... */
    SEAL_ECRYPTO = -5,      /* a signature, digest or key operation failed */
    SEAL_EPKI = -6,         /* a certificate, chain or revocation problem */
    SEAL_EPOLICY = -7,      /* the operation is not allowed (seal expired, doc locked...) */
    SEAL_EAUTH = -8,        /* wrong PIN, password or credentials */
    SEAL_ESTORE = -9,       /* the database failed */
    SEAL_ENOTFOUND = -10,   /* a named thing (seal, page, keyword) does not exist */
    SEAL_EEXISTS = -11,     /* refusing to overwrite something that exists */
    SEAL_EUNSUPPORTED = -12 /* a valid input that this version cannot handle */
} seal_error_code;

typedef enum seal_error_class {
    SEAL_ERROR_NONE = 0,
    SEAL_ERROR_ARGS,
    SEAL_ERROR_MEMORY,
    SEAL_ERROR_IO,
    SEAL_ERROR_FORMAT,
    SEAL_ERROR_CRYPTO,
    SEAL_ERROR_PKI,
    SEAL_ERROR_POLICY,
    SEAL_ERROR_AUTH,
    SEAL_ERROR_STORE,
    SEAL_ERROR_NOTFOUND,
    SEAL_ERROR_EXISTS,
    SEAL_ERROR_UNSUPPORTED
} seal_error_class;

/* Records the message for `code` and returns `code`, so callers write
 * `return seal_error_set(SEAL_EFORMAT, "...")`. Printf-style. */
int seal_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Like seal_error_set, and appends the reason OpenSSL queued (then clears its queue). */
int seal_error_set_openssl(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the current message with context: "page 3: <old message>". Returns `code`. */
int seal_error_wrap(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The message of the last failure on this thread ("" when none). */
const char *seal_error_last(void);

/* The code and class of the last failure on this thread. */
int seal_error_last_code(void);
seal_error_class seal_error_last_class(void);
const char *seal_error_class_name(seal_error_class cls);

void seal_error_clear(void);

/* Guard macros: a function that uses them declares `int rc = 0;` and has one `out:` label
 * where it releases what it holds. */
#define SEAL_TRY(expr)                                                                             \
    do {                                                                                           \
        int seal_try_rc_ = (expr);                                                                 \
        if (seal_try_rc_ < 0) {                                                                    \
            rc = seal_try_rc_;                                                                     \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

#define SEAL_ENSURE(cond, code, ...)                                                               \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            rc = seal_error_set((code), __VA_ARGS__);                                              \
            goto out;                                                                              \
        }                                                                                          \
    } while (0)

#define SEAL_FAIL(code, ...)                                                                       \
    do {                                                                                           \
        rc = seal_error_set((code), __VA_ARGS__);                                                  \
        goto out;                                                                                  \
    } while (0)

#ifdef __cplusplus
}
#endif
#endif
