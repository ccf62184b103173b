/* The client's address behind trusted proxies (forwarded.c): `[server] trusted_proxies`
 * and X-Forwarded-For. */
#ifndef SEALSVC_HTTP_FORWARDED_H
#define SEALSVC_HTTP_FORWARDED_H

#include <stdbool.h>
#include <stddef.h>

typedef struct forwarded_nets forwarded_nets;

/* "127.0.0.1, ::1, 10.0.0.0/8": addresses and networks, separated by commas or spaces;
 * an empty text gives an empty list. SEAL_EINVAL naming the entry that is neither. */
int forwarded_nets_parse(forwarded_nets **out, const char *text);
void forwarded_nets_free(forwarded_nets *f);
/* Whether `addr` (numeric, as getnameinfo gives it) is one of them. */
bool forwarded_trusted(const forwarded_nets *f, const char *addr);
/* When `peer` is a trusted proxy and `header` (the X-Forwarded-For value) names the client:
 * true with the client's address in `out` (the rightmost address that is not a trusted
 * proxy). Otherwise false: the peer is the client. */
bool forwarded_client(const forwarded_nets *f, const char *peer, const char *header, char *out,
                      size_t size);

#endif
