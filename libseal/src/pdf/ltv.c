/* PAdES B-LT and B-LTA (ETSI EN 319 142-1 5.4, 5.5). */
#include "ltv_internal.h"

#include <seal/error.h>
#include <seal/pdf.h>

int seal_pdf_ltv(const char *in, const char *out, const seal_pdf_ltv_opts *opts,
                 seal_pdf_ltv_summary *summary)
{
    (void)in;
    (void)out;
    (void)opts;
    (void)summary;
    return seal_error_set(SEAL_EUNSUPPORTED, "not yet");
}
