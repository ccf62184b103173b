/* The platform's responders served beside the API by `sealsvc serve`: POST /tsa (RFC
 * 3161), POST /ocsp and GET /ocsp/{request} (RFC 6960), GET /crl/{name} (RFC 5280 CRLs).
 * The handlers are the ones `sealsvc tsa` and `sealsvc ocsp` serve (responders.h); a data
 * directory without a TSA or an OCSP signer simply does not serve them (404). */
#include "service.h"

#include "responders.h"

#include <seal/error.h>

struct responders {
    tsa_service *tsa;
    ocsp_service *ocsp;
};

int responders_open(responders **out, const char *db_url, const char *data_dir)
{
    responders *r = g_new0(responders, 1);
    if (tsa_service_open(&r->tsa, db_url, data_dir, NULL, 1000) < 0)
        http_log("warning", NULL, "serve: no TSA at /tsa: %s", seal_error_last());
    if (ocsp_service_open(&r->ocsp, db_url, data_dir, NULL, NULL, 60) < 0)
        http_log("warning", NULL, "serve: no OCSP responder at /ocsp: %s", seal_error_last());
    *out = r;
    return 0;
}

void responders_free(responders *r)
{
    if (!r)
        return;
    tsa_service_free(r->tsa);
    ocsp_service_free(r->ocsp);
    g_free(r);
}

static int not_served(call *c, const char *what)
{
    return http_problem(c->resp, c->req, 404, "not-served", NULL,
                        "this service does not run %s (the data directory has none, or the "
                        "responders are turned off)",
                        what);
}

int route_tsa(call *c)
{
    responders *r = c->svc->responders;
    return r && r->tsa ? tsa_handle(r->tsa, c->req, c->resp) : not_served(c, "a TSA");
}

int route_ocsp(call *c)
{
    responders *r = c->svc->responders;
    return r && r->ocsp ? ocsp_handle(r->ocsp, c->req, c->resp)
                        : not_served(c, "an OCSP responder");
}

int route_crl(call *c)
{
    responders *r = c->svc->responders;
    return r && r->ocsp ? ocsp_handle(r->ocsp, c->req, c->resp) : not_served(c, "CRLs");
}
