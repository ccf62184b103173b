/* Loads libqpdf on first use (see qpdf_lazy.h) through the lazy loader (base/lazy.h). The
 * library's name is the soname found at configure time (SEAL_QPDF_SONAME), so the version
 * loaded is the one the headers were compiled against. */
#include "qpdf_lazy.h"

#include "base/lazy.h"

#include <seal/error.h>

pdf_qpdf_table pdf_qpdf;

/* The list's words lack the qpdf_ prefix: qpdf_lazy.h's macros do not apply to them. */
#define QPDF_SYMBOL(name) {"qpdf_" #name, &pdf_qpdf.name},
static const seal_lazy_symbol symbols[] = {PDF_QPDF_FUNCTIONS(QPDF_SYMBOL)};

static seal_lazy library =
    SEAL_LAZY_LIBRARY(SEAL_QPDF_SONAME, "libqpdf", "PDF support", SEAL_EUNSUPPORTED, symbols, NULL);

int pdf_qpdf_load(void)
{
    return seal_lazy_load(&library);
}
