/* Loads libxml2 on first use (see xml_lazy.h) through the lazy loader (base/lazy.h), and
 * starts it once in the process: libxml2 2.9's xmlInitParser is not safe to run from two
 * threads at once, and the loader runs the start hook once, under its lock. The library's
 * name is the soname found at configure time (SEAL_LIBXML2_SONAME), so the version loaded
 * is the one the headers were compiled against. */
#include "xml_lazy.h"

#include "base/lazy.h"

#include <seal/error.h>

ofd_libxml2_table ofd_libxml2;

/* The list's words lack the xml prefix: xml_lazy.h's macros do not apply to them. */
#define LIBXML2_SYMBOL(name) {"xml" #name, &ofd_libxml2.name},
static const seal_lazy_symbol symbols[] = {
    OFD_LIBXML2_FUNCTIONS(LIBXML2_SYMBOL)
    /* the variable holding the deallocator */
    {"xmlFree", &ofd_libxml2.Free},
};
SEAL_LAZY_COVERS(symbols, ofd_libxml2);

static const char *start(void)
{
    xmlInitParser();
    return NULL;
}

static seal_lazy library = SEAL_LAZY_LIBRARY(SEAL_LIBXML2_SONAME, "libxml2", "OFD support",
                                             SEAL_EUNSUPPORTED, symbols, start);

int ofd_libxml2_load(void)
{
    return seal_lazy_load(&library);
}
