/* The client's address behind trusted proxies (forwarded.c): `[server] trusted_proxies`
 * and X-Forwarded-For. */
#ifndef SEALSVC_HTTP_FORWARDED_H
#define SEALSVC_HTTP_FORWARDED_H

#include <seal/net.h>

#include <stdbool.h>
#include <stddef.h>

/* When `peer` is a trusted proxy and `header` (the X-Forwarded-For value) names the client:
 * true with the client's address in `out` (the rightmost address that is not a trusted
 * proxy). Otherwise false: the peer is the client. */
bool forwarded_client(const seal_netset *f, const char *peer, const char *header, char *out,
                      size_t size);

#endif
