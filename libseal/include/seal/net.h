/* Address sets and the outbound guard.
 *
 * A set of IPv4 and IPv6 networks ("127.0.0.1, ::1, 10.0.0.0/8") serves two purposes: the
 * service's trusted proxies, and the guard on connections whose URL somebody else chose.
 * A portal names a TSA or a callback URL; a document's certificates name the CRL, OCSP and
 * issuer URLs a verification fetches. Followed blindly, such a URL turns the service into
 * a way into the platform's own network (server-side request forgery): this host, private
 * and link-local networks (where cloud metadata services answer), shared, reserved and
 * multicast addresses. A guard refuses those unless its allow list names them. The check
 * is made on the address a connection is about to be opened to, after name resolution, so
 * that a name resolving to an internal address (or resolving differently later) is
 * refused too. */
#ifndef SEAL_NET_H
#define SEAL_NET_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct seal_netset seal_netset;

/* Addresses and networks separated by commas or spaces; an empty text gives an empty set.
 * An IPv4-mapped IPv6 address or network counts as IPv4. SEAL_EINVAL naming the entry that
 * is neither, prefixed with `what` (the setting it came from). */
int seal_netset_parse(seal_netset **out, const char *text, const char *what);
void seal_netset_free(seal_netset *s);
/* Whether `addr` (numeric, IPv4 or IPv6) is in the set; false for anything else. */
bool seal_netset_has(const seal_netset *s, const char *addr);
/* Whether `text` is a numeric IPv4 or IPv6 address. */
bool seal_net_is_address(const char *text);

typedef struct seal_net_guard seal_net_guard;

/* A guard refusing RFC 6890's special-purpose networks and this host, except the
 * networks `allow` names (may be NULL or empty). `setting` names where the allow list is
 * configured, for messages ("[server] outbound_allow"). */
int seal_net_guard_new(seal_net_guard **out, const char *allow, const char *setting);
void seal_net_guard_free(seal_net_guard *g);
/* Whether a connection to `addr` (numeric) may be opened. A NULL guard allows all. */
bool seal_net_guard_allows(const seal_net_guard *g, const char *addr);
/* The setting that names the allowed networks, for messages. */
const char *seal_net_guard_setting(const seal_net_guard *g);

#ifdef __cplusplus
}
#endif
#endif
