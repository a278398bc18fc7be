/* pkg/net/link.c: the pod network's links, through libnl-route-3 — the bridge, each pod's veth
 * pair, the pod end's address and default route, and the sweep of node ends whose pod is gone.
 *
 * Two netlink sockets: the node's (opened in the daemon's namespace, kept) and, for one attach,
 * the pod's. A netlink socket belongs to the namespace it was created in, so the pod's is made
 * after a moment in the pod's namespace (setns to the shim's pidfd and straight back, on the
 * daemon's one thread: nothing else runs meanwhile) and every change inside the pod goes
 * through it; the node's interfaces are never reachable from it. On the node only the bridge
 * and the node ends are ever changed, and a node end is only ever removed when it is on the
 * bridge and has a node end's name.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "net/net.h"

#include "net_internal.h"

/* libnl's own error numbers, back to errno for our callers (nl_syserr2nlerr's inverse, for
 * the ones a link, address or route change returns). */
int net_nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_EXIST:
		return EEXIST;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return ENODEV;
	case NLE_PERM:
		return EPERM;
	case NLE_BUSY:
		return EBUSY;
	case NLE_INVAL:
	case NLE_RANGE:
		return EINVAL;
	case NLE_NOADDR:
		return EADDRNOTAVAIL;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_AGAIN:
		return EAGAIN;
	default:
		return EIO;
	}
}

int net_nl_fail(struct nano_err *err, int nlerr, const char *what, const char *name)
{
	return nano_err_set(err, net_nl_errno(nlerr), "%s %s: %s", what, name, nl_geterror(nlerr));
}

int net_new(const struct net_config *config, struct net **out, struct nano_err *err)
{
	struct net *net;

	if (!net_ifname_valid(config->bridge))
		return nano_err_set(err, EINVAL, "bridge name \"%s\" is not a link name",
		                    config->bridge ? config->bridge : "");
	net = calloc(1, sizeof(*net));
	if (!net || !(net->bridge = strdup(config->bridge))) {
		free(net);
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	net->config = *config;
	net->config.bridge = net->bridge;
	*out = net;
	return 0;
}

struct net *net_free(struct net *net)
{
	if (!net)
		return NULL;
	if (net->sk)
		nl_socket_free(net->sk);
	free(net->bridge);
	free(net);
	return NULL;
}

/* A route netlink socket in the calling thread's network namespace. */
static int socket_open(struct nl_sock **out, struct nano_err *err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0)
		return net_nl_fail(err, r, "netlink", "socket");
	*out = TAKE_PTR(sk);
	return 0;
}

int net_node_socket(struct net *net, struct nano_err *err)
{
	return net->sk ? 0 : socket_open(&net->sk, err);
}

static struct nl_addr *ipv4_addr(uint32_t ip, unsigned prefix)
{
	uint32_t be = htonl(ip);
	struct nl_addr *a = nl_addr_build(AF_INET, &be, sizeof(be));

	if (a)
		nl_addr_set_prefixlen(a, (int)prefix);
	return a;
}

/* Sets a link up and, when mtu is not 0, to that MTU. */
static int link_set(struct nl_sock *sk, struct rtnl_link *link, unsigned mtu, struct nano_err *err)
{
	_cleanup_link_ struct rtnl_link *change = NULL;
	int r;

	if ((rtnl_link_get_flags(link) & IFF_UP) && (!mtu || rtnl_link_get_mtu(link) == mtu))
		return 0;
	change = rtnl_link_alloc();
	if (!change)
		return nano_err_set(err, ENOMEM, "out of memory");
	rtnl_link_set_flags(change, IFF_UP);
	if (mtu)
		rtnl_link_set_mtu(change, mtu);
	r = rtnl_link_change(sk, link, change, 0);
	if (r < 0)
		return net_nl_fail(err, r, "set up", rtnl_link_get_name(link));
	return 0;
}

static int addr_add(struct nl_sock *sk, int ifindex, const char *ifname, uint32_t ip,
                    const struct net_cidr *cidr, struct nano_err *err)
{
	_cleanup_addr_ struct rtnl_addr *addr = rtnl_addr_alloc();
	_cleanup_nl_addr_ struct nl_addr *local = ipv4_addr(ip, cidr->prefix);
	_cleanup_nl_addr_ struct nl_addr *brd = ipv4_addr(net_cidr_broadcast(cidr), 32);
	char text[NET_IP_STRLEN];
	int r;

	if (!addr || !local || !brd)
		return nano_err_set(err, ENOMEM, "out of memory");
	rtnl_addr_set_ifindex(addr, ifindex);
	rtnl_addr_set_local(addr, local);
	rtnl_addr_set_prefixlen(addr, (int)cidr->prefix);
	rtnl_addr_set_broadcast(addr, brd);
	r = rtnl_addr_add(sk, addr, 0);
	if (r < 0)
		return nano_err_set(err, net_nl_errno(r), "add %s/%u to %s: %s",
		                    net_ip_str(ip, text), cidr->prefix, ifname, nl_geterror(r));
	return 0;
}

/* The bridge's IPv4 addresses: ours kept (or added), any other taken off. */
static int bridge_addresses(struct net *net, struct nano_err *err)
{
	_cleanup_nl_cache_ struct nl_cache *cache = NULL;
	uint32_t want = net_cidr_bridge_ip(&net->config.cidr);
	bool have = false;
	int r;

	/* IPv4's only: a dump of every family lists each veth's IPv6 link-local address too,
	 * a thousand of them with a thousand pods, at every attach */
	r = nl_cache_alloc_name("route/addr", &cache);
	if (r >= 0)
		r = nl_rtgen_request(net->sk, RTM_GETADDR, AF_INET, NLM_F_DUMP);
	if (r >= 0)
		r = nl_cache_pickup(net->sk, cache);
	if (r < 0)
		return net_nl_fail(err, r, "list addresses of", net->bridge);
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *local = rtnl_addr_get_local(a);
		uint32_t be;
		char text[NET_IP_STRLEN];

		if (rtnl_addr_get_ifindex(a) != net->bridge_ifindex ||
		    rtnl_addr_get_family(a) != AF_INET || !local ||
		    nl_addr_get_len(local) != sizeof(be))
			continue;
		memcpy(&be, nl_addr_get_binary_addr(local), sizeof(be));
		if (ntohl(be) == want &&
		    (unsigned)rtnl_addr_get_prefixlen(a) == net->config.cidr.prefix) {
			have = true;
			continue;
		}
		/* a pod_cidr of before: the bridge is nanolet's, and two subnets on it would
		 * route one of them the wrong way */
		log_warn("bridge %s: removing %s/%d, not the first address of network.pod_cidr",
		         net->bridge, net_ip_str(ntohl(be), text), rtnl_addr_get_prefixlen(a));
		r = rtnl_addr_delete(net->sk, a, 0);
		if (r < 0)
			return net_nl_fail(err, r, "remove an old address of", net->bridge);
	}
	if (have)
		return 0;
	return addr_add(net->sk, net->bridge_ifindex, net->bridge, want, &net->config.cidr, err);
}

int net_bridge_ready(struct net *net, struct nano_err *err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	const char *type;
	int r;

	/* looked at every time (a get and an address dump): a bridge removed or changed by hand
	 * while the daemon runs is made or mended again at the next pod's start */
	r = net_node_socket(net, err);
	if (r < 0)
		return r;
	r = rtnl_link_get_kernel(net->sk, 0, net->bridge, &link);
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV) {
		_cleanup_link_ struct rtnl_link *bridge = rtnl_link_alloc();

		if (!bridge)
			return nano_err_set(err, ENOMEM, "out of memory");
		rtnl_link_set_name(bridge, net->bridge);
		r = rtnl_link_set_type(bridge, "bridge");
		if (r < 0)
			return net_nl_fail(err, r, "bridge", net->bridge);
		rtnl_link_set_mtu(bridge, net->config.mtu);
		rtnl_link_set_flags(bridge, IFF_UP);
		r = rtnl_link_add(net->sk, bridge, NLM_F_CREATE | NLM_F_EXCL);
		if (r < 0)
			return net_nl_fail(err, r, "create bridge", net->bridge);
		log_info("bridge %s created", net->bridge);
		r = rtnl_link_get_kernel(net->sk, 0, net->bridge, &link);
	}
	if (r < 0)
		return net_nl_fail(err, r, "bridge", net->bridge);
	type = rtnl_link_get_type(link);
	if (!type || strcmp(type, "bridge") != 0)
		return nano_err_set(err, EEXIST,
		                    "network.bridge %s: a link of that name exists and is not a "
		                    "bridge (%s): remove it or name another bridge",
		                    net->bridge, type ? type : "no link kind");
	r = link_set(net->sk, link, net->config.mtu, err);
	if (r < 0)
		return r;
	net->bridge_ifindex = rtnl_link_get_ifindex(link);
	r = bridge_addresses(net, err);
	if (r < 0)
		net->bridge_ifindex = 0;
	return r;
}

/* The bridge's ifindex as the kernel has it now, 0 when there is no bridge. */
static int bridge_ifindex(struct net *net, struct nano_err *err)
{
	_cleanup_link_ struct rtnl_link *bridge = NULL;
	int r = net_node_socket(net, err);

	if (r < 0)
		return r;
	r = rtnl_link_get_kernel(net->sk, 0, net->bridge, &bridge);
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
		return 0;
	if (r < 0)
		return net_nl_fail(err, r, "bridge", net->bridge);
	return rtnl_link_get_ifindex(bridge);
}

/* The pod's node end by its uid, on bridge, through sk, in *out (NULL when there is none). A
 * link of that name that is not on the bridge is not ours: -EEXIST, and it is left alone. */
static int pod_node_end(struct nl_sock *sk, const char *bridge, const char *uid,
                        char name[IFNAMSIZ], struct rtnl_link **out, struct nano_err *err)
{
	_cleanup_link_ struct rtnl_link *master = NULL;
	struct rtnl_link *link = NULL;
	int r;

	*out = NULL;
	if (net_node_ifname(uid, name) < 0)
		return nano_err_set(err, EINVAL, "pod uid %s: no node end name", uid);
	r = rtnl_link_get_kernel(sk, 0, bridge, &master);
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
		return 0; /* no bridge: no node end */
	if (r < 0)
		return net_nl_fail(err, r, "bridge", bridge);
	r = rtnl_link_get_kernel(sk, 0, name, &link);
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
		return 0;
	if (r < 0)
		return net_nl_fail(err, r, "look up", name);
	if (rtnl_link_get_master(link) != rtnl_link_get_ifindex(master)) {
		rtnl_link_put(link);
		return nano_err_set(err, EEXIST, "link %s exists and is not on bridge %s", name,
		                    bridge);
	}
	*out = link;
	return 0;
}

static int detach(struct nl_sock *sk, const char *bridge, const char *uid, struct nano_err *err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	char name[IFNAMSIZ];
	int r;

	r = pod_node_end(sk, bridge, uid, name, &link, err);
	if (r < 0 || !link)
		return r;
	r = rtnl_link_delete(sk, link);
	/* gone meanwhile: its namespace went with its shim, and the kernel took the pair */
	if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
		return net_nl_fail(err, r, "remove", name);
	return 0;
}

int net_pod_detach(struct net *net, const char *uid, struct nano_err *err)
{
	int r = net_node_socket(net, err);

	return r < 0 ? r : detach(net->sk, net->bridge, uid, err);
}

int net_pod_detach_alone(const char *bridge, const char *uid, struct nano_err *err)
{
	_cleanup_nl_sock_ struct nl_sock *sk = NULL;
	int r = socket_open(&sk, err);

	return r < 0 ? r : detach(sk, bridge, uid, err);
}

int net_pod_attached(struct net *net, const char *uid, struct nano_err *err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	char name[IFNAMSIZ];
	int r = net_node_socket(net, err);

	if (r >= 0)
		r = pod_node_end(net->sk, net->bridge, uid, name, &link, err);
	if (r < 0)
		return r;
	return link ? 1 : 0;
}

struct pod_socket_args {
	struct nl_sock **sk;
	int pod; /* the pod's namespace, opened from inside it */
};

static int make_pod_socket(void *userdata, struct nano_err *err)
{
	struct pod_socket_args *a = userdata;

	a->pod = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (a->pod < 0)
		return nano_err_set(err, errno, "open the pod's network namespace: %m");
	return socket_open(a->sk, err);
}

/* Opens a route netlink socket inside the network namespace of the process behind pidfd, and
 * that namespace's descriptor (for the veth's peer). The thread is back in its own namespace
 * when this returns, whatever happened (net_in_netns). */
static int pod_socket(int pidfd, struct nl_sock **sk, int *nsfd, struct nano_err *err)
{
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	struct pod_socket_args a = {.sk = sk, .pod = -1};
	_cleanup_close_ int pod = -1;
	struct stat st_self, st_pod;
	int r;

	if (self < 0)
		return nano_err_set(err, errno, "open the daemon's network namespace: %m");
	r = net_in_netns(pidfd, make_pod_socket, &a, err);
	pod = a.pod;
	if (r < 0)
		return r;
	if (fstat(self, &st_self) < 0 || fstat(pod, &st_pod) < 0) {
		r = nano_err_set(err, errno, "network namespace: %m");
	} else if (st_self.st_ino == st_pod.st_ino && st_self.st_dev == st_pod.st_dev) {
		/* a hostNetwork shim: its "pod namespace" is the node's */
		r = nano_err_set(err, EINVAL, "the pod's network namespace is the node's");
	}
	if (r < 0) {
		nl_socket_free(*sk);
		*sk = NULL;
		return r;
	}
	*nsfd = TAKE_FD(pod);
	return 0;
}

static int veth_add(struct net *net, const char *name, int nsfd, struct nano_err *err)
{
	struct rtnl_link *veth = rtnl_link_veth_alloc(), *peer;
	int r;

	if (!veth)
		return nano_err_set(err, ENOMEM, "out of memory");
	rtnl_link_set_name(veth, name);
	rtnl_link_set_master(veth, net->bridge_ifindex);
	rtnl_link_set_mtu(veth, net->config.mtu);
	rtnl_link_set_flags(veth, IFF_UP);
	peer = rtnl_link_veth_get_peer(veth);
	rtnl_link_set_name(peer, "eth0");
	rtnl_link_set_mtu(peer, net->config.mtu);
	/* made in the pod's namespace, never on the node, so no name of the node's can clash */
	rtnl_link_set_ns_fd(peer, nsfd);
	rtnl_link_put(peer);
	r = rtnl_link_add(net->sk, veth, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_veth_release(veth);
	if (r < 0)
		return net_nl_fail(err, r, "create veth", name);
	return 0;
}

/* Inside the pod: eth0 up with its address, and the default route via the bridge. */
static int pod_side(struct net *net, struct nl_sock *sk, uint32_t ip, struct nano_err *err)
{
	_cleanup_link_ struct rtnl_link *eth0 = NULL;
	_cleanup_route_ struct rtnl_route *route = rtnl_route_alloc();
	_cleanup_nl_addr_ struct nl_addr *dst = ipv4_addr(0, 0);
	_cleanup_nl_addr_ struct nl_addr *gw = ipv4_addr(net_cidr_bridge_ip(&net->config.cidr), 32);
	struct rtnl_nexthop *nh;
	int r, ifindex;

	if (!route || !dst || !gw)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = rtnl_link_get_kernel(sk, 0, "eth0", &eth0);
	if (r < 0)
		return net_nl_fail(err, r, "the pod's", "eth0");
	ifindex = rtnl_link_get_ifindex(eth0);
	r = link_set(sk, eth0, 0, err);
	if (r >= 0)
		r = addr_add(sk, ifindex, "eth0", ip, &net->config.cidr, err);
	if (r < 0)
		return r;
	nh = rtnl_route_nh_alloc();
	if (!nh)
		return nano_err_set(err, ENOMEM, "out of memory");
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, gw);
	rtnl_route_add_nexthop(route, nh); /* the route owns it now */
	rtnl_route_set_family(route, AF_INET);
	rtnl_route_set_table(route, RT_TABLE_MAIN);
	rtnl_route_set_scope(route, RT_SCOPE_UNIVERSE);
	rtnl_route_set_protocol(route, RTPROT_BOOT);
	r = rtnl_route_set_dst(route, dst);
	if (r >= 0)
		r = rtnl_route_add(sk, route, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return net_nl_fail(err, r, "add the pod's", "default route");
	return 0;
}

int net_pod_attach(struct net *net, const char *uid, int pidfd, uint32_t ip,
                   struct net_attachment *out, struct nano_err *err)
{
	_cleanup_nl_sock_ struct nl_sock *pod_sk = NULL;
	_cleanup_close_ int nsfd = -1;
	char name[IFNAMSIZ], text[NET_IP_STRLEN];
	int r;

	if (!net_cidr_contains(&net->config.cidr, ip) ||
	    ip == net_cidr_bridge_ip(&net->config.cidr))
		return nano_err_set(err, EINVAL, "%s is not a pod address of the pod network",
		                    net_ip_str(ip, text));
	if (net_node_ifname(uid, name) < 0)
		return nano_err_set(err, EINVAL, "pod uid %s: no node end name", uid);
	r = net_bridge_ready(net, err);
	if (r >= 0)
		r = pod_socket(pidfd, &pod_sk, &nsfd, err);
	/* an earlier sandbox's node end (its namespace may not be freed yet) */
	if (r >= 0)
		r = net_pod_detach(net, uid, err);
	if (r >= 0)
		r = veth_add(net, name, nsfd, err);
	if (r < 0)
		return r;
	r = pod_side(net, pod_sk, ip, err);
	if (r < 0) {
		_cleanup_(nano_err_clear) struct nano_err undo = {0};

		if (net_pod_detach(net, uid, &undo) < 0)
			log_warn("pod %s: %s", uid, undo.message);
		return r;
	}
	if (out) {
		out->ip = ip;
		memcpy(out->node_ifname, name, sizeof(name));
	}
	return 0;
}

int net_sweep_links(struct net *net, struct nl_cache *cache,
                    bool (*ours)(struct rtnl_link *link, const char *name, const void *ctx),
                    const void *ctx, int (*name_of)(const char *uid, char out[IFNAMSIZ]),
                    const char *what, char *const *known,
                    void (*fn)(const char *ifname, void *userdata), void *userdata)
{
	int n = 0;

	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *link = (struct rtnl_link *)o;
		const char *name = rtnl_link_get_name(link);
		bool kept = false;
		char want[IFNAMSIZ];
		int r;

		if (!name || !ours(link, name, ctx))
			continue;
		for (char *const *uid = known; uid && *uid && !kept; uid++)
			kept = name_of(*uid, want) == 0 && strcmp(want, name) == 0;
		if (kept)
			continue;
		r = rtnl_link_delete(net->sk, link);
		if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV) {
			log_warn("orphan %s %s: remove: %s", what, name, nl_geterror(r));
			continue;
		}
		if (fn)
			fn(name, userdata);
		n++;
	}
	return n;
}

/* A node end: on the bridge, named as net_node_ifname names them. */
static bool on_bridge(struct rtnl_link *link, const char *name, const void *master)
{
	return rtnl_link_get_master(link) == *(const int *)master && net_is_node_ifname(name);
}

int net_sweep(struct net *net, char *const *known, void (*fn)(const char *ifname, void *userdata),
              void *userdata, struct nano_err *err)
{
	_cleanup_nl_cache_ struct nl_cache *cache = NULL;
	int r, master = bridge_ifindex(net, err);

	if (master <= 0)
		return master; /* no bridge, no node ends */
	r = rtnl_link_alloc_cache(net->sk, AF_UNSPEC, &cache);
	if (r < 0)
		return net_nl_fail(err, r, "list links on", net->bridge);
	return net_sweep_links(net, cache, on_bridge, &master, net_node_ifname, "veth", known, fn,
	                       userdata);
}
