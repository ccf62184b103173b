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

#include <arpa/inet.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct net {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    unsigned prefix; /* bits that must match */
} net;

struct forwarded_nets {
    GArray *nets; /* net */
};

/* An address as AF_INET or AF_INET6 bytes; an IPv4-mapped IPv6 address as IPv4. */
static bool parse_addr(const char *text, int *family, uint8_t out[16])
{
    if (inet_pton(AF_INET, text, out) == 1) {
        *family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, text, out) != 1)
        return false;
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(out, mapped, sizeof mapped) == 0) {
        memmove(out, out + 12, 4);
        *family = AF_INET;
    } else {
        *family = AF_INET6;
    }
    return true;
}

static bool net_has(const net *n, int family, const uint8_t addr[16])
{
    if (n->family != family)
        return false;
    unsigned whole = n->prefix / 8, rest = n->prefix % 8;
    if (memcmp(n->addr, addr, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (n->addr[whole] & mask) == (addr[whole] & mask);
}

int forwarded_nets_parse(forwarded_nets **out, const char *text)
{
    int rc = 0;
    char **items = g_strsplit_set(text ? text : "", ", \t", -1);
    forwarded_nets *f = g_new0(forwarded_nets, 1);
    f->nets = g_array_new(FALSE, TRUE, sizeof(net));
    *out = NULL;
    for (char **it = items; *it; it++) {
        if (!**it)
            continue;
        net n = {0};
        char *slash = strchr(*it, '/');
        if (slash)
            *slash = '\0';
        SEAL_ENSURE(parse_addr(*it, &n.family, n.addr), SEAL_EINVAL,
                    "trusted_proxies: '%s' is not an IPv4 or IPv6 address", *it);
        /* An IPv4-mapped network (::ffff:10.0.0.0/104) is kept as IPv4 (10.0.0.0/8). */
        bool mapped = n.family == AF_INET && strchr(*it, ':');
        unsigned max = n.family == AF_INET && !mapped ? 32 : 128;
        n.prefix = max;
        if (slash) {
            char *end = NULL;
            unsigned long bits = strtoul(slash + 1, &end, 10);
            SEAL_ENSURE(slash[1] && !*end && bits <= max, SEAL_EINVAL,
                        "trusted_proxies: '/%s' after %s is not a prefix length (0 to %u)",
                        slash + 1, *it, max);
            SEAL_ENSURE(!mapped || bits >= 96, SEAL_EINVAL,
                        "trusted_proxies: /%lu after %s reaches beyond its IPv4 part (96 to 128)",
                        bits, *it);
            n.prefix = (unsigned)(mapped ? bits - 96 : bits);
        } else if (mapped) {
            n.prefix = 32;
        }
        g_array_append_val(f->nets, n);
    }
    *out = f;
    f = NULL;
out:
    forwarded_nets_free(f);
    g_strfreev(items);
    return rc;
}

void forwarded_nets_free(forwarded_nets *f)
{
    if (!f)
        return;
    g_array_free(f->nets, TRUE);
    g_free(f);
}

bool forwarded_trusted(const forwarded_nets *f, const char *addr)
{
    int family = 0;
    uint8_t bytes[16];
    if (!f || !addr || !parse_addr(addr, &family, bytes))
        return false;
    for (guint i = 0; i < f->nets->len; i++)
        if (net_has(&g_array_index(f->nets, net, i), family, bytes))
            return true;
    return false;
}

bool forwarded_client(const forwarded_nets *f, const char *peer, const char *header, char *out,
                      size_t size)
{
    if (!f || !header || !forwarded_trusted(f, peer))
        return false;
    bool found = false;
    char **hops = g_strsplit(header, ",", -1);
    guint n = g_strv_length(hops);
    for (guint i = n; i-- > 0;) {
        char *hop = g_strstrip(hops[i]);
        int family = 0;
        uint8_t bytes[16];
        /* A hop a trusted proxy wrote is an address; anything else means the list cannot
         * be followed further: keep the last trusted address found. */
        if (!parse_addr(hop, &family, bytes))
            break;
        g_strlcpy(out, hop, size);
        found = true;
        if (!forwarded_trusted(f, hop))
            break;
    }
    g_strfreev(hops);
    return found;
}
