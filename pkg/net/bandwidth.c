/* pkg/net/bandwidth.c: a pod's kubernetes.io/ingress-bandwidth and egress-bandwidth, as the
 * CNI bandwidth plugin (containernetworking/plugins, plugins/meta/bandwidth) makes them, through
 * libnl-route-3's qdisc, classifier and action API; no `tc` command.
 *
 * Ingress (to the pod) leaves the node through the node end of its veth: a tbf as that link's
 * root qdisc. Egress (from the pod) arrives at the node end, where a qdisc cannot hold it back,
 * so it is moved to an ifb first: the node end's ingress qdisc has one u32 filter matching
 * every packet whose action (mirred, egress redirect) sends it out of the pod's ifb, and the
 * ifb's root qdisc is the tbf. Everything is on the node's side: nothing inside the pod can
 * lift it.
 *
 * The node end's qdiscs go with the veth; the ifb is ours to remove (at detach, and by the
 * orphan sweep: an ifb with a pod ifb's name whose pod is gone).
 */
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <inttypes.h>
#include <linux/tc_act/tc_mirred.h>
#include <string.h>

#include <netlink/route/act/mirred.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>

#include "net_internal.h"

/* An Ethernet header on top of the MTU: a whole frame must fit in the bucket, or tbf drops it */
#define FRAME_OVERHEAD 14
/* tbf keeps the bucket as a time in 32-bit psched ticks (15.625 a microsecond on this kernel's
 * psched clock: about 275 seconds); a bucket that takes longer than 60 s to fill is refused */
#define BUCKET_SECONDS_MAX 60
/* "ffff:", the ingress qdisc's handle as tc writes it; spelled out, as TC_HANDLE(0xffff, 0)
 * shifts an int past its sign bit */
#define INGRESS_HANDLE 0xffff0000U

static void rtnl_qdisc_putp(struct rtnl_qdisc **q)
{
	if (*q)
		rtnl_qdisc_put(*q);
}
static void rtnl_cls_putp(struct rtnl_cls **c)
{
	if (*c)
		rtnl_cls_put(*c);
}
static void rtnl_act_putp(struct rtnl_act **a)
{
	if (*a)
		rtnl_act_put(*a);
}
#define _cleanup_qdisc_ _cleanup_(rtnl_qdisc_putp)
#define _cleanup_cls_   _cleanup_(rtnl_cls_putp)
#define _cleanup_act_   _cleanup_(rtnl_act_putp)

void net_tbf_compute(uint64_t rate_bits, unsigned mtu, struct net_tbf *out)
{
	uint64_t rate = rate_bits / 8, burst, limit;

	/* The CNI plugin takes its burst from the runtime, which passes 2^32-1 bits (containerd)
	 * or 4 GB (CRI-O): half a gigabyte or more unshaped after every pause. nanolet's bucket
	 * holds one latency's worth at the rate (25 ms), and at least one whole frame. */
	burst = rate * NET_TBF_LATENCY_MS / 1000;
	if (burst < (uint64_t)mtu + FRAME_OVERHEAD)
		burst = (uint64_t)mtu + FRAME_OVERHEAD;
	/* the plugin's limit: what the rate sends in the latency, plus the bucket */
	limit = rate * NET_TBF_LATENCY_MS / 1000 + burst;
	out->rate = rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
	out->burst = burst > UINT32_MAX ? UINT32_MAX : (uint32_t)burst;
	out->limit = limit > UINT32_MAX ? UINT32_MAX : (uint32_t)limit;
}

/* A tbf at rate_bits as the root qdisc of the link ifindex (replacing what is there). */
static int tbf_add(struct nl_sock *sk, int ifindex, const char *ifname, uint64_t rate_bits,
                   unsigned mtu, struct nano_err *err)
{
	_cleanup_qdisc_ struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct net_tbf tbf;
	int r;

	if (!q)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (rate_bits < 8 || rate_bits > NET_BANDWIDTH_MAX)
		return nano_err_set(err, ERANGE,
		                    "tbf on %s: %" PRIu64 " bits per second is outside "
		                    "8 to %" PRId64,
		                    ifname, rate_bits, NET_BANDWIDTH_MAX);
	net_tbf_compute(rate_bits, mtu, &tbf);
	if (tbf.burst / tbf.rate >= BUCKET_SECONDS_MAX)
		return nano_err_set(err, ERANGE,
		                    "tbf on %s: at %" PRIu64 " bits per second a frame of the MTU "
		                    "(%u) takes over %d seconds: more than a tbf's bucket holds",
		                    ifname, rate_bits, mtu, BUCKET_SECONDS_MAX);
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(1, 0));
	r = rtnl_tc_set_kind(TC_CAST(q), "tbf");
	if (r < 0)
		return net_nl_fail(err, r, "tbf on", ifname);
	rtnl_qdisc_tbf_set_rate(q, (int)tbf.rate, (int)tbf.burst, 0);
	rtnl_qdisc_tbf_set_limit(q, (int)tbf.limit);
	r = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	if (r < 0)
		return net_nl_fail(err, r, "add a tbf qdisc to", ifname);
	return 0;
}

/* The link called name, or NULL in *out when there is none. */
static int link_get(struct nl_sock *sk, const char *name, struct rtnl_link **out,
                    struct nano_err *err)
{
	int r = rtnl_link_get_kernel(sk, 0, name, out);

	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV) {
		*out = NULL;
		return 0;
	}
	return r < 0 ? net_nl_fail(err, r, "look up", name) : 0;
}

/* Removes the ifb called name when it is an ifb: a link of another kind is not ours. */
static int ifb_remove(struct nl_sock *sk, const char *name, struct nano_err *err)
{
	_cleanup_link_ struct rtnl_link *link = NULL;
	const char *type;
	int r = link_get(sk, name, &link, err);

	if (r < 0 || !link)
		return r;
	type = rtnl_link_get_type(link);
	if (!type || strcmp(type, "ifb") != 0)
		return nano_err_set(err, EEXIST, "link %s exists and is not an ifb (%s)", name,
		                    type ? type : "no link kind");
	r = rtnl_link_delete(sk, link);
	if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
		return net_nl_fail(err, r, "remove", name);
	return 0;
}

static int ifb_add(struct nl_sock *sk, const char *name, unsigned mtu, int *ifindex,
                   struct nano_err *err)
{
	_cleanup_link_ struct rtnl_link *ifb = rtnl_link_alloc();
	_cleanup_link_ struct rtnl_link *made = NULL;
	int r;

	if (!ifb)
		return nano_err_set(err, ENOMEM, "out of memory");
	rtnl_link_set_name(ifb, name);
	r = rtnl_link_set_type(ifb, "ifb");
	if (r < 0)
		return net_nl_fail(err, r, "ifb", name);
	rtnl_link_set_mtu(ifb, mtu);
	rtnl_link_set_flags(ifb, IFF_UP);
	r = rtnl_link_add(sk, ifb, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return net_nl_fail(err, r, "create ifb", name);
	r = rtnl_link_get_kernel(sk, 0, name, &made);
	if (r < 0)
		return net_nl_fail(err, r, "look up", name);
	*ifindex = rtnl_link_get_ifindex(made);
	return 0;
}

/* The node end's ingress qdisc and its one filter: every packet the pod sends is redirected
 * to the ifb (tc's "u32 match u32 0 0 action mirred egress redirect dev <ifb>"). */
static int redirect_add(struct nl_sock *sk, int node_ifindex, const char *node_ifname,
                        int ifb_ifindex, struct nano_err *err)
{
	_cleanup_qdisc_ struct rtnl_qdisc *ingress = rtnl_qdisc_alloc();
	_cleanup_cls_ struct rtnl_cls *cls = rtnl_cls_alloc();
	_cleanup_act_ struct rtnl_act *mirred = rtnl_act_alloc();
	int r;

	if (!ingress || !cls || !mirred)
		return nano_err_set(err, ENOMEM, "out of memory");
	rtnl_tc_set_ifindex(TC_CAST(ingress), node_ifindex);
	rtnl_tc_set_parent(TC_CAST(ingress), TC_H_INGRESS);
	rtnl_tc_set_handle(TC_CAST(ingress), INGRESS_HANDLE);
	r = rtnl_tc_set_kind(TC_CAST(ingress), "ingress");
	if (r >= 0)
		r = rtnl_qdisc_add(sk, ingress, NLM_F_CREATE | NLM_F_REPLACE);
	if (r < 0)
		return net_nl_fail(err, r, "add an ingress qdisc to", node_ifname);

	r = rtnl_tc_set_kind(TC_CAST(mirred), "mirred");
	if (r >= 0)
		r = rtnl_mirred_set_action(mirred, TCA_EGRESS_REDIR);
	if (r >= 0)
		r = rtnl_mirred_set_policy(mirred, TC_ACT_STOLEN);
	if (r >= 0)
		r = rtnl_mirred_set_ifindex(mirred, (uint32_t)ifb_ifindex);
	if (r < 0)
		return net_nl_fail(err, r, "mirred action for", node_ifname);

	rtnl_tc_set_ifindex(TC_CAST(cls), node_ifindex);
	rtnl_tc_set_parent(TC_CAST(cls), INGRESS_HANDLE);
	rtnl_cls_set_prio(cls, 1);
	rtnl_cls_set_protocol(cls, ETH_P_ALL);
	r = rtnl_tc_set_kind(TC_CAST(cls), "u32");
	if (r >= 0)
		r = rtnl_u32_set_cls_terminal(cls);
	if (r >= 0)
		r = rtnl_u32_add_key_uint32(cls, 0, 0, 0, 0);
	if (r >= 0)
		r = rtnl_u32_add_action(cls, mirred); /* takes its own reference */
	if (r >= 0)
		r = rtnl_cls_add(sk, cls, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return net_nl_fail(err, r, "add the redirect filter to", node_ifname);
	return 0;
}

static int egress_add(struct net *net, const char *ifb_name, struct rtnl_link *node,
                      uint64_t egress, struct nano_err *err)
{
	const char *node_ifname = rtnl_link_get_name(node);
	unsigned mtu = rtnl_link_get_mtu(node);
	int ifb_ifindex = 0, r;

	r = ifb_add(net->sk, ifb_name, mtu, &ifb_ifindex, err);
	if (r >= 0)
		r = tbf_add(net->sk, ifb_ifindex, ifb_name, egress, mtu, err);
	if (r >= 0)
		r = redirect_add(net->sk, rtnl_link_get_ifindex(node), node_ifname, ifb_ifindex,
		                 err);
	return r;
}

int net_pod_bandwidth(struct net *net, const char *uid, uint64_t ingress, uint64_t egress,
                      struct nano_err *err)
{
	_cleanup_link_ struct rtnl_link *node = NULL;
	char node_name[IFNAMSIZ], ifb_name[IFNAMSIZ];
	int r;

	if (net_node_ifname(uid, node_name) < 0 || net_ifb_ifname(uid, ifb_name) < 0)
		return nano_err_set(err, EINVAL, "pod uid %s: no link names", uid);
	r = net_node_socket(net, err);
	if (r < 0)
		return r;
	/* an earlier sandbox's (its node end went with its veth) */
	r = ifb_remove(net->sk, ifb_name, err);
	if (r < 0 || (!ingress && !egress))
		return r;
	r = link_get(net->sk, node_name, &node, err);
	if (r >= 0 && !node)
		r = nano_err_set(err, ENODEV, "the pod's node end %s is not there", node_name);
	if (r >= 0 && ingress)
		r = tbf_add(net->sk, rtnl_link_get_ifindex(node), node_name, ingress,
		            rtnl_link_get_mtu(node), err);
	if (r >= 0 && egress)
		r = egress_add(net, ifb_name, node, egress, err);
	if (r < 0) {
		_cleanup_(nano_err_clear) struct nano_err undo = {0};

		if (ifb_remove(net->sk, ifb_name, &undo) < 0)
			log_warn("pod %s: %s", uid, undo.message);
	}
	return r;
}

int net_pod_bandwidth_remove(struct net *net, const char *uid, struct nano_err *err)
{
	char name[IFNAMSIZ];
	int r;

	if (net_ifb_ifname(uid, name) < 0)
		return nano_err_set(err, EINVAL, "pod uid %s: no ifb name", uid);
	r = net_node_socket(net, err);
	return r < 0 ? r : ifb_remove(net->sk, name, err);
}

/* A pod's ifb: of kind ifb (a link of another kind with such a name is left alone), named as
 * net_ifb_ifname names them. */
static bool pod_ifb(struct rtnl_link *link, const char *name, const void *ctx)
{
	const char *type = rtnl_link_get_type(link);

	(void)ctx;
	return type && strcmp(type, "ifb") == 0 && net_is_ifb_ifname(name);
}

int net_bandwidth_sweep(struct net *net, char *const *known,
                        void (*fn)(const char *ifname, void *userdata), void *userdata,
                        struct nano_err *err)
{
	_cleanup_nl_cache_ struct nl_cache *cache = NULL;
	int r = net_node_socket(net, err);

	if (r < 0)
		return r;
	r = rtnl_link_alloc_cache(net->sk, AF_UNSPEC, &cache);
	if (r < 0)
		return net_nl_fail(err, r, "list", "links");
	return net_sweep_links(net, cache, pod_ifb, NULL, net_ifb_ifname, "ifb", known, fn,
	                       userdata);
}
