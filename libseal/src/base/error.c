/* The thread-local record of the last failure: code, class and a message that names the
 * problem with the input. Every module reports through seal_error_set(). */
#include <seal/error.h>

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MESSAGE_MAX 1024

static _Thread_local struct {
    int code;
    char message[MESSAGE_MAX];
} last_error;

/* The format attribute (archetype printf, no variadic arguments to check) lets the
 * compiler check fmt at the callers, which pass their own checked format on; without it
 * clang's -Wformat-nonliteral fires at the vsnprintf below. */
static void set_message(int code, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void set_message(int code, const char *fmt, va_list ap)
{
    last_error.code = code;
    vsnprintf(last_error.message, sizeof last_error.message, fmt, ap);
}

int seal_error_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_message(code, fmt, ap);
    va_end(ap);
    return code;
}

int seal_error_set_openssl(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_message(code, fmt, ap);
    va_end(ap);

    unsigned long e = ERR_peek_last_error();
    if (e != 0) {
        char reason[256];
        ERR_error_string_n(e, reason, sizeof reason);
        size_t used = strlen(last_error.message);
        snprintf(last_error.message + used, sizeof last_error.message - used, " (OpenSSL: %s)",
                 reason);
    }
    ERR_clear_error();
    return code;
}

int seal_error_wrap(int code, const char *fmt, ...)
{
    char prefix[MESSAGE_MAX];
    char old[MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error.message, sizeof old);
    last_error.code = code;
    size_t used = strlen(prefix);
    memcpy(last_error.message, prefix, used + 1);
    if (used + 2 < sizeof last_error.message) {
        memcpy(last_error.message + used, ": ", 3);
        used += 2;
        size_t rest = strnlen(old, sizeof last_error.message - used - 1);
        memcpy(last_error.message + used, old, rest);
        last_error.message[used + rest] = '\0';
    }
    return code;
}

const char *seal_error_last(void)
{
    return last_error.message;
}

int seal_error_last_code(void)
{
    return last_error.code;
}

seal_error_class seal_error_last_class(void)
{
    switch (last_error.code) {
    case SEAL_OK:
        return SEAL_ERROR_NONE;
    case SEAL_EINVAL:
        return SEAL_ERROR_ARGS;
    case SEAL_ENOMEM:
        return SEAL_ERROR_MEMORY;
    case SEAL_EIO:
        return SEAL_ERROR_IO;
    case SEAL_EFORMAT:
        return SEAL_ERROR_FORMAT;
    case SEAL_ECRYPTO:
        return SEAL_ERROR_CRYPTO;
    case SEAL_EPKI:
        return SEAL_ERROR_PKI;
    case SEAL_EPOLICY:
        return SEAL_ERROR_POLICY;
    case SEAL_EAUTH:
        return SEAL_ERROR_AUTH;
    case SEAL_ESTORE:
        return SEAL_ERROR_STORE;
    case SEAL_ENOTFOUND:
        return SEAL_ERROR_NOTFOUND;
    case SEAL_EEXISTS:
        return SEAL_ERROR_EXISTS;
    case SEAL_EUNSUPPORTED:
        return SEAL_ERROR_UNSUPPORTED;
    default:
        return SEAL_ERROR_NONE;
    }
}

const char *seal_error_class_name(seal_error_class cls)
{
    static const char *const names[] = {
        [SEAL_ERROR_NONE] = "none",
        [SEAL_ERROR_ARGS] = "args",
        [SEAL_ERROR_MEMORY] = "memory",
        [SEAL_ERROR_IO] = "io",
        [SEAL_ERROR_FORMAT] = "format",
        [SEAL_ERROR_CRYPTO] = "crypto",
        [SEAL_ERROR_PKI] = "pki",
        [SEAL_ERROR_POLICY] = "policy",
        [SEAL_ERROR_AUTH] = "auth",
        [SEAL_ERROR_STORE] = "store",
        [SEAL_ERROR_NOTFOUND] = "notfound",
        [SEAL_ERROR_EXISTS] = "exists",
        [SEAL_ERROR_UNSUPPORTED] = "unsupported",
    };
    if ((unsigned)cls >= sizeof names / sizeof names[0])
        return "none";
    return names[cls];
}

void seal_error_clear(void)
{
    last_error.code = SEAL_OK;
    last_error.message[0] = '\0';
}
