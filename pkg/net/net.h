/* pkg/net: the pod network — a bridge on the node holding the first address of the pod CIDR,
 * and per pod a veth pair: the node end on the bridge, the pod end `eth0` in the pod's network
 * namespace with the pod's address and a default route via the bridge. Through libnl-route-3;
 * no `ip` command. Addresses are the store's to hand out (store_pod_ip_assign): this package
 * only computes the range and puts an address where it belongs.
 *
 * cidr.c is pure (parsing, ranges, names) and unit-tested; link.c talks netlink. Only the
 * daemon links this package: the shim never does (its size is per pod).
 *
 * bandwidth.c shapes a pod's traffic by its kubernetes.io/ingress-bandwidth and
 * egress-bandwidth annotations: tbf qdiscs on the node end and on the pod's ifb.
 *
 * What later parts of the pod network (hostPort forwards, bandwidth qdiscs) hang off: a pod's
 * attachment is its address and the name of its node end (struct net_attachment), made by
 * net_pod_attach and undone by net_pod_detach.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/util.h"

/* ---- cidr.c: pure -------------------------------------------------------------------------- */

/* An IPv4 network: its first address (host byte order) and prefix length. */
struct net_cidr {
	uint32_t network;
	unsigned prefix;
};

/* The smallest network with room for one pod: network, bridge, the pod, broadcast. */
#define NET_CIDR_MAX_PREFIX 30

/* "198.18.0.0/16" into *out. -EINVAL with a message for anything else: not IPv4, a prefix
 * missing or outside 8..30, host bits set ("198.18.0.1/16": the network is 198.18.0.0/16). */
int net_cidr_parse(const char *text, struct net_cidr *out, struct nano_err *err);
/* The bridge's address (the network's first usable one), the broadcast address, and the
 * addresses pods get: every one between the bridge's and the broadcast's. */
uint32_t net_cidr_bridge_ip(const struct net_cidr *c);
uint32_t net_cidr_broadcast(const struct net_cidr *c);
void net_cidr_pod_range(const struct net_cidr *c, uint32_t *first, uint32_t *last);
bool net_cidr_contains(const struct net_cidr *c, uint32_t ip);

/* Dotted quad of a host-order address into buf; returns buf. */
#define NET_IP_STRLEN 16
char *net_ip_str(uint32_t ip, char buf[NET_IP_STRLEN]);
/* "198.18.0.0/16" into buf (at least NET_CIDR_STRLEN); returns buf. */
#define NET_CIDR_STRLEN 19
char *net_cidr_str(const struct net_cidr *c, char buf[NET_CIDR_STRLEN]);

/* The node end of a pod's veth: "nl" and the first 12 hex digits of its uid (dashes skipped),
 * 14 characters, within IFNAMSIZ. 48 bits of a random (v4) uid: a clash among a node's pods is
 * about one in 10^11 at 110 pods. -EINVAL when the uid has fewer than 12 hex digits. */
#define NET_NODE_IFNAME_PREFIX "nl"
int net_node_ifname(const char *uid, char out[IFNAMSIZ]);
/* Whether a link name is one net_node_ifname makes. */
bool net_is_node_ifname(const char *name);
/* The pod's ifb, where its egress is shaped (bandwidth.c): "nb" and the same 12 hex digits. */
#define NET_IFB_IFNAME_PREFIX "nb"
int net_ifb_ifname(const char *uid, char out[IFNAMSIZ]);
bool net_is_ifb_ifname(const char *name);
/* A name the kernel takes for a link: 1 to 15 bytes, no '/', ':' or whitespace, not . or .. */
bool net_ifname_valid(const char *name);

/* ---- link.c: netlink ----------------------------------------------------------------------- */

struct net_config {
	const char *bridge; /* network.bridge: nanolet0 */
	struct net_cidr cidr;
	unsigned mtu;
	bool masquerade; /* network.masquerade: hostport.c's postrouting rule */
};

struct net;

/* Keeps the settings (copied); opens nothing yet. */
int net_new(const struct net_config *config, struct net **out, struct nano_err *err);
struct net *net_free(struct net *net);

/* The bridge, made at first need and kept when the daemon stops: created (up, the CIDR's first
 * address, the MTU) when missing; an existing one is reused, set up and to the MTU, its
 * address added when missing and other IPv4 addresses taken off (a pod_cidr changed since).
 * A link of that name that is not a bridge is an error naming it. Idempotent. */
int net_bridge_ready(struct net *net, struct nano_err *err);

/* A pod on the pod network. */
struct net_attachment {
	uint32_t ip;                /* the pod's address */
	char node_ifname[IFNAMSIZ]; /* the node end, on the bridge */
};

/* Attaches the pod whose network namespace the process behind pidfd holds (the shim): removes
 * a node end left by an earlier sandbox, makes the veth pair (the node end on the bridge and
 * up, the peer made directly in the pod's namespace as eth0), then inside the namespace: eth0
 * up with ip/prefix, a default route via the bridge. The namespace must not be the caller's
 * (a hostNetwork shim): -EINVAL. Nothing of the node is touched but the bridge and the node
 * end. On failure the node end is removed again. */
int net_pod_attach(struct net *net, const char *uid, int pidfd, uint32_t ip,
                   struct net_attachment *out, struct nano_err *err);
/* Removes the pod's node end (its peer goes with it): 0, also when it was not there. */
int net_pod_detach(struct net *net, const char *uid, struct nano_err *err);
/* The same on any thread, through a netlink socket of its own (net's is the loop's): bridge is
 * the network's (net_config.bridge). The kernel deletes a link inside the request, and that
 * waits for RCU grace periods: 2 to 37 ms measured, which the loop should not. */
int net_pod_detach_alone(const char *bridge, const char *uid, struct nano_err *err);
/* 1 when the pod's node end is on the bridge, 0 when not, -errno. */
int net_pod_attached(struct net *net, const char *uid, struct nano_err *err);
/* Removes every node end on the bridge whose pod is not in known (uids); fn(name) is told of
 * each. Returns how many went. Without a bridge, 0. */
int net_sweep(struct net *net, char *const *known, void (*fn)(const char *ifname, void *userdata),
              void *userdata, struct nano_err *err);

/* ---- netns.c: a socket in a pod's network namespace ---------------------------------------- */

/* A non-blocking, close-on-exec socket made in the network namespace of the process behind
 * pidfd (or of a network namespace's descriptor): for a hostNetwork pod the node's, which is
 * right for its probes (they run from the node). The thread is back in its own namespace when
 * this returns. The descriptor, or -errno with err. */
int net_pod_socket(int pidfd, int family, int type, struct nano_err *err);

/* ---- bandwidth.c: tbf qdiscs, as the CNI bandwidth plugin makes them ------------------------ */

/* A tbf's rate in bytes per second is 32-bit signed in libnl-route (rtnl_qdisc_tbf_set_rate):
 * the highest rate in bits per second nanolet can shape at. */
#define NET_BANDWIDTH_MAX INT64_C(17179869176)
/* The tbf's latency, the CNI bandwidth plugin's: how long a packet may wait in the queue. */
#define NET_TBF_LATENCY_MS 25

/* A tbf's numbers for a rate in bits per second and the link's MTU: its rate and burst (the
 * bucket) in bytes, and its limit (the queue) in bytes. */
struct net_tbf {
	uint32_t rate;  /* bytes per second */
	uint32_t burst; /* bytes */
	uint32_t limit; /* bytes */
};
void net_tbf_compute(uint64_t rate_bits, unsigned mtu, struct net_tbf *out);

/* Shapes the attached pod's traffic: ingress (bits per second, 0 for none) as a tbf root
 * qdisc on its node end; egress (0 for none) through its ifb: made (up, the node end's MTU),
 * an ingress qdisc on the node end whose one filter redirects every packet to the ifb, and a
 * tbf root qdisc on the ifb. An ifb of an earlier sandbox is removed first. On failure what
 * was made is removed again (the node end's qdiscs go with the veth). */
int net_pod_bandwidth(struct net *net, const char *uid, uint64_t ingress, uint64_t egress,
                      struct nano_err *err);
/* Removes the pod's ifb: 0, also when it was not there. */
int net_pod_bandwidth_remove(struct net *net, const char *uid, struct nano_err *err);
/* Removes every ifb with a pod ifb's name whose pod is not in known (uids); fn(name) is told
 * of each. Returns how many went. */
int net_bandwidth_sweep(struct net *net, char *const *known,
                        void (*fn)(const char *ifname, void *userdata), void *userdata,
                        struct nano_err *err);
