/* pkg/net/cidr.c: the pure half of the pod network — the pod CIDR, the addresses in it that the
 * bridge and pods get, and the names of node ends. No syscalls, no netlink. */
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

static uint32_t mask_of(unsigned prefix)
{
	return prefix == 0 ? 0 : UINT32_MAX << (32 - prefix);
}

int net_cidr_parse(const char *text, struct net_cidr *out, struct nano_err *err)
{
	_cleanup_free_ char *copy = text ? strdup(text) : NULL;
	struct in_addr addr;
	char *slash, *end;
	unsigned long prefix;
	uint32_t ip;
	char want[NET_CIDR_STRLEN];

	if (!text)
		return nano_err_set(err, EINVAL, "no CIDR");
	if (!copy)
		return nano_err_set(err, ENOMEM, "out of memory");
	slash = strchr(copy, '/');
	if (!slash)
		return nano_err_set(err, EINVAL,
		                    "\"%s\" is not an IPv4 CIDR such as 198.18.0.0/16: no prefix "
		                    "length",
		                    text);
	*slash = '\0';
	/* inet_pton takes only the dotted quad of four decimal numbers, no shorthand */
	if (inet_pton(AF_INET, copy, &addr) != 1)
		return nano_err_set(err, EINVAL,
		                    "\"%s\" is not an IPv4 CIDR such as 198.18.0.0/16: \"%s\" is "
		                    "not an IPv4 address",
		                    text, copy);
	errno = 0;
	prefix = strtoul(slash + 1, &end, 10);
	if (!isdigit((unsigned char)slash[1]) || *end || errno || prefix > 32)
		return nano_err_set(err, EINVAL,
		                    "\"%s\" is not an IPv4 CIDR such as 198.18.0.0/16: bad prefix "
		                    "length",
		                    text);
	if (prefix < 8 || prefix > NET_CIDR_MAX_PREFIX)
		return nano_err_set(err, EINVAL,
		                    "\"%s\": the prefix length must be 8 to %d (a /%d holds the "
		                    "network, the bridge, one pod and the broadcast address)",
		                    text, NET_CIDR_MAX_PREFIX, NET_CIDR_MAX_PREFIX);
	ip = ntohl(addr.s_addr);
	if (ip & ~mask_of((unsigned)prefix))
		return nano_err_set(err, EINVAL, "\"%s\" has host bits set: the network is %s",
		                    text,
		                    net_cidr_str(&(struct net_cidr){ip & mask_of((unsigned)prefix),
		                                                    (unsigned)prefix},
		                                 want));
	*out = (struct net_cidr){.network = ip, .prefix = (unsigned)prefix};
	return 0;
}

uint32_t net_cidr_bridge_ip(const struct net_cidr *c)
{
	return c->network + 1;
}

uint32_t net_cidr_broadcast(const struct net_cidr *c)
{
	return c->network | ~mask_of(c->prefix);
}

void net_cidr_pod_range(const struct net_cidr *c, uint32_t *first, uint32_t *last)
{
	*first = net_cidr_bridge_ip(c) + 1;
	*last = net_cidr_broadcast(c) - 1;
}

bool net_cidr_contains(const struct net_cidr *c, uint32_t ip)
{
	return (ip & mask_of(c->prefix)) == c->network;
}

char *net_ip_str(uint32_t ip, char buf[NET_IP_STRLEN])
{
	snprintf(buf, NET_IP_STRLEN, "%" PRIu32 ".%" PRIu32 ".%" PRIu32 ".%" PRIu32, ip >> 24,
	         (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	return buf;
}

char *net_cidr_str(const struct net_cidr *c, char buf[NET_CIDR_STRLEN])
{
	char ip[NET_IP_STRLEN];

	snprintf(buf, NET_CIDR_STRLEN, "%s/%u", net_ip_str(c->network, ip), c->prefix);
	return buf;
}

#define NODE_IFNAME_HEX 12

/* prefix and the first 12 hex digits of the uid, dashes skipped, lower case */
static int uid_ifname(const char *prefix, const char *uid, char out[IFNAMSIZ])
{
	size_t n = strlen(prefix), want = n + NODE_IFNAME_HEX;

	memcpy(out, prefix, n);
	for (const char *p = uid; p && *p && n < want; p++) {
		if (*p == '-')
			continue;
		if (!isxdigit((unsigned char)*p))
			return -EINVAL;
		out[n++] = (char)tolower((unsigned char)*p);
	}
	if (n != want)
		return -EINVAL;
	out[n] = '\0';
	return 0;
}

static bool is_uid_ifname(const char *prefix, const char *name)
{
	size_t n = strlen(prefix);

	if (strncmp(name, prefix, n) != 0 || strlen(name) != n + NODE_IFNAME_HEX)
		return false;
	for (const char *p = name + n; *p; p++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return false;
	return true;
}

int net_node_ifname(const char *uid, char out[IFNAMSIZ])
{
	return uid_ifname(NET_NODE_IFNAME_PREFIX, uid, out);
}

bool net_is_node_ifname(const char *name)
{
	return is_uid_ifname(NET_NODE_IFNAME_PREFIX, name);
}

int net_ifb_ifname(const char *uid, char out[IFNAMSIZ])
{
	return uid_ifname(NET_IFB_IFNAME_PREFIX, uid, out);
}

bool net_is_ifb_ifname(const char *name)
{
	return is_uid_ifname(NET_IFB_IFNAME_PREFIX, name);
}

bool net_ifname_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0 || len >= IFNAMSIZ || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *p = name; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return false;
	return true;
}
