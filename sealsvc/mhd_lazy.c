/* Loads libmicrohttpd on first use (see mhd_lazy.h) through libseal's lazy loader
 * (base/lazy.h, the one part of libseal's internals the program uses). The library's name
 * is the soname found at configure time (SEAL_MHD_SONAME), so the version loaded is the one
 * the headers were compiled against. */
#include "mhd_lazy.h"

#include "lazy.h"

#include <seal/error.h>

http_mhd_table http_mhd;

/* The list's words lack the MHD_ prefix: mhd_lazy.h's macros do not apply to them. */
#define MHD_SYMBOL(name) {"MHD_" #name, &http_mhd.name},
static const seal_lazy_symbol symbols[] = {HTTP_MHD_FUNCTIONS(MHD_SYMBOL)};

static seal_lazy library = SEAL_LAZY_LIBRARY(SEAL_MHD_SONAME, "libmicrohttpd", "serving HTTP",
                                             SEAL_EUNSUPPORTED, symbols, NULL);

int http_mhd_load(void)
{
    return seal_lazy_load(&library);
}
