/* Address sets and the outbound guard (seal/net.h). */
#include <seal/error.h>
#include <seal/net.h>

#include <arpa/inet.h>
#include <glib.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct net {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    unsigned prefix; /* bits that must match */
} net;

struct seal_netset {
    GArray *nets; /* net */
};

struct seal_net_guard {
    seal_netset *internal, *allow;
    char *setting;
};

/* RFC 6890's special-purpose blocks, this host and multicast: no business for a URL
 * somebody else chose. */
static const char internal_nets[] =
    "0.0.0.0/8, 10.0.0.0/8, 100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, 172.16.0.0/12, "
    "192.0.0.0/24, 192.0.2.0/24, 192.168.0.0/16, 198.18.0.0/15, 198.51.100.0/24, "
    "203.0.113.0/24, 224.0.0.0/4, 240.0.0.0/4, ::/128, ::1/128, 64:ff9b::/96, 100::/64, "
    "2001:db8::/32, fc00::/7, fe80::/10, ff00::/8";

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

bool seal_net_is_address(const char *text)
{
    int family = 0;
    uint8_t bytes[16];
    return text && parse_addr(text, &family, bytes);
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

int seal_netset_parse(seal_netset **out, const char *text, const char *what)
{
    int rc = 0;
    char **items = g_strsplit_set(text ? text : "", ", \t", -1);
    seal_netset *s = g_new0(seal_netset, 1);
    s->nets = g_array_new(FALSE, TRUE, sizeof(net));
    *out = NULL;
    for (char **it = items; *it; it++) {
        if (!**it)
            continue;
        net n = {0};
        char *slash = strchr(*it, '/');
        if (slash)
            *slash = '\0';
        SEAL_ENSURE(parse_addr(*it, &n.family, n.addr), SEAL_EINVAL,
                    "%s: '%s' is not an IPv4 or IPv6 address", what, *it);
        /* An IPv4-mapped network (::ffff:10.0.0.0/104) is kept as IPv4 (10.0.0.0/8). */
        bool mapped = n.family == AF_INET && strchr(*it, ':');
        unsigned max = n.family == AF_INET && !mapped ? 32 : 128;
        n.prefix = max;
        if (slash) {
            char *end = NULL;
            unsigned long bits = strtoul(slash + 1, &end, 10);
            SEAL_ENSURE(slash[1] && !*end && bits <= max, SEAL_EINVAL,
                        "%s: '/%s' after %s is not a prefix length (0 to %u)", what, slash + 1, *it,
                        max);
            SEAL_ENSURE(!mapped || bits >= 96, SEAL_EINVAL,
                        "%s: /%lu after %s reaches beyond its IPv4 part (96 to 128)", what, bits,
                        *it);
            n.prefix = (unsigned)(mapped ? bits - 96 : bits);
        } else if (mapped) {
            n.prefix = 32;
        }
        g_array_append_val(s->nets, n);
    }
    *out = s;
    s = NULL;
out:
    seal_netset_free(s);
    g_strfreev(items);
    return rc;
}

void seal_netset_free(seal_netset *s)
{
    if (!s)
        return;
    g_array_free(s->nets, TRUE);
    g_free(s);
}

bool seal_netset_has(const seal_netset *s, const char *addr)
{
    int family = 0;
    uint8_t bytes[16];
    if (!s || !addr || !parse_addr(addr, &family, bytes))
        return false;
    for (guint i = 0; i < s->nets->len; i++)
        if (net_has(&g_array_index(s->nets, net, i), family, bytes))
            return true;
    return false;
}

int seal_net_guard_new(seal_net_guard **out, const char *allow, const char *setting)
{
    int rc = 0;
    seal_net_guard *g = g_new0(seal_net_guard, 1);
    *out = NULL;
    g->setting = g_strdup(setting ? setting : "the allow list");
    SEAL_TRY(seal_netset_parse(&g->internal, internal_nets, "internal networks"));
    SEAL_TRY(seal_netset_parse(&g->allow, allow, g->setting));
    *out = g;
    g = NULL;
out:
    seal_net_guard_free(g);
    return rc;
}

void seal_net_guard_free(seal_net_guard *g)
{
    if (!g)
        return;
    seal_netset_free(g->internal);
    seal_netset_free(g->allow);
    g_free(g->setting);
    g_free(g);
}

bool seal_net_guard_allows(const seal_net_guard *g, const char *addr)
{
    if (!g)
        return true;
    if (!seal_net_is_address(addr))
        return false;
    return !seal_netset_has(g->internal, addr) || seal_netset_has(g->allow, addr);
}

const char *seal_net_guard_setting(const seal_net_guard *g)
{
    return g ? g->setting : "";
}
