/* The client behind a proxy: nginx in front of several instances (docs/deploy/) connects
 * to sealsvc itself, so every request's socket address is nginx's, and a per-client limit
 * (verify's rate limit) would count every client as one. The proxies named in
 * `[server] trusted_proxies` say who the client was in X-Forwarded-For, each appending
 * the address it received the request from. Only what a trusted proxy appended is
 * believed: the list is read from its right end, past every trusted proxy, and the first
 * address that is not one is the client. Anything a client wrote into the header itself
 * sits to the left of that and is never reached, so a client cannot choose its address.
 * From a peer that is not a trusted proxy the header is ignored. */
#include "forwarded.h"

#include <seal/error.h>

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool forwarded_client(const seal_netset *f, const char *peer, const char *header, char *out,
                      size_t size)
{
    if (!f || !header || !seal_netset_has(f, peer))
        return false;
    bool found = false;
    char **hops = g_strsplit(header, ",", -1);
    guint n = g_strv_length(hops);
    for (guint i = n; i-- > 0;) {
        char *hop = g_strstrip(hops[i]);
        /* A hop a trusted proxy wrote is an address; anything else means the list cannot
         * be followed further: keep the last trusted address found. */
        if (!seal_net_is_address(hop))
            break;
        g_strlcpy(out, hop, size);
        found = true;
        if (!seal_netset_has(f, hop))
            break;
    }
    g_strfreev(hops);
    return found;
}
