/* Loads Cairo and FreeType on first use (see cairo_lazy.h) through the lazy loader
 * (base/lazy.h). Cairo is linked with FreeType itself, so by the time FreeType is asked
 * for it is already in the process and opening it costs nothing more. The libraries'
 * names are the sonames found at configure time (SEAL_CAIRO_SONAME, SEAL_FREETYPE_SONAME),
 * so the versions loaded are the ones the headers were compiled against. */
#include "render/cairo_lazy.h"

#include "base/lazy.h"

#include <seal/error.h>

render_cairo_table render_cairo;
render_freetype_table render_freetype;

/* The lists' words lack the cairo_ and FT_ prefixes: cairo_lazy.h's macros do not apply
 * to them. */
#define CAIRO_SYMBOL(name) {"cairo_" #name, &render_cairo.name},
static const seal_lazy_symbol cairo_symbols[] = {RENDER_CAIRO_FUNCTIONS(CAIRO_SYMBOL)};
#define FREETYPE_SYMBOL(name) {"FT_" #name, &render_freetype.name},
static const seal_lazy_symbol freetype_symbols[] = {RENDER_FREETYPE_FUNCTIONS(FREETYPE_SYMBOL)};

static seal_lazy cairo = SEAL_LAZY_LIBRARY(SEAL_CAIRO_SONAME, "Cairo", "drawing seals and pages",
                                           SEAL_EUNSUPPORTED, cairo_symbols, NULL);
static seal_lazy freetype =
    SEAL_LAZY_LIBRARY(SEAL_FREETYPE_SONAME, "FreeType", "drawing seals and pages",
                      SEAL_EUNSUPPORTED, freetype_symbols, NULL);

int render_cairo_load(void)
{
    int rc = seal_lazy_load(&cairo);
    if (rc == 0)
        rc = seal_lazy_load(&freetype);
    return rc;
}
