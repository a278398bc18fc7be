/* pkg/net/net_internal.h: what link.c and bandwidth.c share inside pkg/net — struct net, the
 * node's netlink socket, libnl errors turned into errno and messages, and cleanup attributes
 * for libnl's objects. Not for other packages: net.h is pkg/net's interface. */
#pragma once

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>

#include "net/net.h"

struct net {
	struct net_config config;
	char *bridge;
	struct nl_sock *sk; /* the node's, opened at first need */
	int bridge_ifindex; /* the bridge net_bridge_ready last found (0: none yet) */
};

/* The node's netlink socket, opened at first need. */
int net_node_socket(struct net *net, struct nano_err *err);
/* libnl's error numbers back to errno, for our callers. */
int net_nl_errno(int nlerr);
/* Fills err with "<what> <name>: <libnl's words>" and returns -errno. */
int net_nl_fail(struct nano_err *err, int nlerr, const char *what, const char *name);
/* Removes each link of cache that ours() takes for a pod's and whose name is no known pod's
 * (name_of(uid) names a pod's); fn (may be NULL) is told of each. Returns how many went; a
 * link that would not go is a warning naming it as what ("veth", "ifb"). */
int net_sweep_links(struct net *net, struct nl_cache *cache,
                    bool (*ours)(struct rtnl_link *link, const char *name, const void *ctx),
                    const void *ctx, int (*name_of)(const char *uid, char out[IFNAMSIZ]),
                    const char *what, char *const *known,
                    void (*fn)(const char *ifname, void *userdata), void *userdata);

/* Runs make(userdata) with the thread in the network namespace of nsfd (a pidfd or a
 * namespace's descriptor) and returns to the daemon's: make's result, or -errno with err when
 * the namespace could not be entered. Aborts when it cannot return. */
int net_in_netns(int nsfd, int (*make)(void *userdata, struct nano_err *err), void *userdata,
                 struct nano_err *err);

static inline void nl_socket_freep(struct nl_sock **sk)
{
	if (*sk)
		nl_socket_free(*sk);
}
static inline void rtnl_link_putp(struct rtnl_link **l)
{
	if (*l)
		rtnl_link_put(*l);
}
static inline void rtnl_addr_putp(struct rtnl_addr **a)
{
	if (*a)
		rtnl_addr_put(*a);
}
static inline void rtnl_route_putp(struct rtnl_route **r)
{
	if (*r)
		rtnl_route_put(*r);
}
static inline void nl_addr_putp(struct nl_addr **a)
{
	if (*a)
		nl_addr_put(*a);
}
static inline void nl_cache_freep(struct nl_cache **c)
{
	if (*c)
		nl_cache_free(*c);
}
#define _cleanup_nl_sock_  _cleanup_(nl_socket_freep)
#define _cleanup_link_     _cleanup_(rtnl_link_putp)
#define _cleanup_addr_     _cleanup_(rtnl_addr_putp)
#define _cleanup_route_    _cleanup_(rtnl_route_putp)
#define _cleanup_nl_addr_  _cleanup_(nl_addr_putp)
#define _cleanup_nl_cache_ _cleanup_(nl_cache_freep)
