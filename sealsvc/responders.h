/* The platform's own responders as services the HTTP servers can carry: the RFC 3161 TSA
 * (cmd_tsa.c) and the OCSP responder with CRL publication (cmd_ocsp.c). `sealsvc tsa` and
 * `sealsvc ocsp` serve one each on their own port; `sealsvc serve` serves both beside the
 * API (/tsa, /ocsp, /crl/NAME.crl). Each handler is thread-safe. */
#ifndef SEALSVC_RESPONDERS_H
#define SEALSVC_RESPONDERS_H

#include "http/server.h"

typedef struct tsa_service tsa_service;
/* The platform's TSA (its certificate and key in the database at `db_url`, NULL: the data
 * directory's), serial numbers from the database; `policy` NULL: the demo policy. */
int tsa_service_open(tsa_service **out, const char *db_url, const char *data, const char *policy,
                     long accuracy_ms);
void tsa_service_free(tsa_service *svc);
/* POST application/timestamp-query to /tsa or / (ctx: the tsa_service). */
int tsa_handle(void *ctx, const http_request *req, http_response *resp);

typedef struct ocsp_service ocsp_service;
/* OCSP answers for CA `ca_name` (NULL: issuing-ca) signed by `signer` (NULL: ocsp), and
 * the CRLs published in the database. */
int ocsp_service_open(ocsp_service **out, const char *db_url, const char *data, const char *ca_name,
                      const char *signer, int validity_minutes);
void ocsp_service_free(ocsp_service *svc);
/* POST to /ocsp or /, GET /ocsp/BASE64, GET /crl/NAME.crl (ctx: the ocsp_service). */
int ocsp_handle(void *ctx, const http_request *req, http_response *resp);

#endif
