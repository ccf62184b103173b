/* The password of an encrypted PDF for stamp and verify: from --password, a file named by
 * --password-file (first line), or $SEALSVC_PDF_PASSWORD; empty when none is given (the
 * usual case: an empty user password). The caller wipes it after use. */
#include "cli.h"

#include <seal/error.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_read_password(char *out, size_t size, const char *arg, const char *file)
{
    const char *env = getenv("SEALSVC_PDF_PASSWORD");
    out[0] = 0;
    if (file) {
        FILE *f = fopen(file, "r");
        if (!f)
            return seal_error_set(SEAL_EIO, "cannot open the password file %s", file);
        char *line = fgets(out, (int)size, f);
        fclose(f);
        if (!line)
            return seal_error_set(SEAL_EINVAL, "the password file %s is empty", file);
        out[strcspn(out, "\r\n")] = 0;
    } else if (arg || env) {
        const char *from = arg ? arg : env;
        if (strlen(from) >= size)
            return seal_error_set(SEAL_EINVAL, "the PDF password is longer than %zu bytes",
                                  size - 1);
        memcpy(out, from, strlen(from) + 1);
    }
    return 0;
}
