/* pkg/plan/plan_network.c: the pod network's part of the plan — which interfaces the pod has
 * (lo; eth0 with its address and default route; the node end of its veth and the bridge it is
 * on), their JSON, and the sentence saying how the pod is reached and what it can reach.
 *
 * Pure, like the rest of the plan: the node's pod network and the pod's address come in
 * plan_config.network; pkg/net makes the links, nanoletd assigns the address. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "plan_internal.h"
#include "plan_words.h"

/* Every hostPort of the pod's containers, copied: each is forwarded from the node to the pod's
 * address (pkg/net/hostport.c). */
static int host_ports(struct plan *plan, const struct spec_pod *pod)
{
	size_t n = 0;

	for (size_t i = 0; i < pod->n_containers; i++)
		for (size_t j = 0; j < pod->containers[i].n_ports; j++)
			n += pod->containers[i].ports[j].host_port != 0;
	if (n == 0)
		return 0;
	plan->network.host_ports = calloc(n, sizeof(*plan->network.host_ports));
	if (!plan->network.host_ports)
		return -ENOMEM;
	for (size_t i = 0; i < pod->n_containers; i++)
		for (size_t j = 0; j < pod->containers[i].n_ports; j++) {
			const struct spec_port *p = &pod->containers[i].ports[j];
			struct plan_host_port *h =
			        &plan->network.host_ports[plan->network.n_host_ports];

			if (!p->host_port)
				continue;
			plan->network.n_host_ports++;
			h->container = strdup(pod->containers[i].name);
			h->protocol = strdup(p->protocol ? p->protocol : "TCP");
			h->host_ip = p->host_ip && *p->host_ip && strcmp(p->host_ip, "0.0.0.0")
			                     ? strdup(p->host_ip)
			                     : NULL;
			h->host_port = p->host_port;
			h->container_port = p->container_port;
			if (!h->container || !h->protocol ||
			    (p->host_ip && *p->host_ip && !h->host_ip &&
			     strcmp(p->host_ip, "0.0.0.0")))
				return -ENOMEM;
		}
	return 0;
}

/* The bandwidth annotations shape the pod's veth: without one (hostNetwork, or a node without
 * a pod network) there is nothing to put a qdisc on. The kubelet sets no pod network up for a
 * hostNetwork pod, so its CNI bandwidth plugin never runs and the annotations go unremarked;
 * nanolet says so. */
static int bandwidth_unapplied(struct plan *plan, const struct spec_pod *pod, const char *why)
{
	int r = 0;

	if (pod->ingress_bandwidth)
		r = strv_pushf(&plan->warnings,
		               "metadata.annotations[kubernetes.io/ingress-bandwidth] is not "
		               "applied: %s",
		               why);
	if (r >= 0 && pod->egress_bandwidth)
		r = strv_pushf(&plan->warnings,
		               "metadata.annotations[kubernetes.io/egress-bandwidth] is not "
		               "applied: %s",
		               why);
	return r < 0 ? -ENOMEM : 0;
}

int plan_network_build(struct plan *plan, const struct spec_pod *pod,
                       const struct plan_config *config)
{
	const struct plan_network_config *n = &config->network;

	plan->network.host = pod->host_network;
	if (pod->host_network)
		return bandwidth_unapplied(plan, pod,
		                           "hostNetwork is true, and the node's interfaces are not "
		                           "shaped for one pod");
	if (!n->bridge) {
		if (bandwidth_unapplied(plan, pod,
		                        "this node has no pod network (network.mode none)") < 0)
			return -ENOMEM;
		return host_ports(plan, pod); /* the sentence says they are not forwarded */
	}
	plan->network.bridge = strdup(n->bridge);
	if (!plan->network.bridge)
		return -ENOMEM;
	if (n->node_ifname[0] && !(plan->network.node_ifname = strdup(n->node_ifname)))
		return -ENOMEM;
	plan->network.ingress_bandwidth = pod->ingress_bandwidth;
	plan->network.egress_bandwidth = pod->egress_bandwidth;
	if (pod->egress_bandwidth && n->ifb_ifname[0] &&
	    !(plan->network.ifb_ifname = strdup(n->ifb_ifname)))
		return -ENOMEM;
	plan->network.cidr = n->cidr;
	plan->network.prefix = n->prefix;
	plan->network.mtu = n->mtu;
	plan->network.pod_ip = n->pod_ip;
	plan->network.masquerade = n->masquerade;
	return host_ports(plan, pod);
}

void plan_network_done(struct plan *plan)
{
	for (size_t i = 0; i < plan->network.n_host_ports; i++) {
		free(plan->network.host_ports[i].container);
		free(plan->network.host_ports[i].protocol);
		free(plan->network.host_ports[i].host_ip);
	}
	free(plan->network.host_ports);
	free(plan->network.bridge);
	free(plan->network.node_ifname);
	free(plan->network.ifb_ifname);
}

#define IP_FMT       "%" PRIu32 ".%" PRIu32 ".%" PRIu32 ".%" PRIu32
#define IP_ARGS(ip)  (ip) >> 24, ((ip) >> 16) & 0xff, ((ip) >> 8) & 0xff, (ip)&0xff
#define BRIDGE_IP(n) ((n)->cidr + 1)
/* a pod that is not created: its uid, and so its node end's name, is not known */
#define NODE_IFNAME_UNKNOWN "nl<first 12 hex digits of the pod uid>"
#define IFB_IFNAME_UNKNOWN  "nb<first 12 hex digits of the pod uid>"
/* the tbf's latency, pkg/net's NET_TBF_LATENCY_MS (the CNI bandwidth plugin's) */
#define TBF_LATENCY "25ms"

static json_t *interface(const char *name, const char *where, const char *kind)
{
	return json_pack("{s:s, s:s, s:s}", "name", name, "namespace", where, "kind", kind);
}

/* pod.network.hostPorts: [{container, protocol, hostIP, hostPort, containerPort}]; hostIP
 * "" is every address of the node. */
static json_t *host_ports_json(const struct plan_network *n)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < n->n_host_ports; i++) {
		const struct plan_host_port *h = &n->host_ports[i];

		if (json_array_append_new(list,
		                          json_pack("{s:s, s:s, s:s, s:I, s:I}", "container",
		                                    h->container, "protocol", h->protocol, "hostIP",
		                                    h->host_ip ? h->host_ip : "", "hostPort",
		                                    (json_int_t)h->host_port, "containerPort",
		                                    (json_int_t)h->container_port)) < 0)
			list = (json_decref(list), NULL);
	}
	return list;
}

/* pod.network.bandwidth: {ingress, egress: {bitsPerSecond, qdisc, on, latency}}, each only when
 * its annotation is there. */
static json_t *bandwidth_json(const struct plan_network *n, const char *node_name)
{
	json_t *o = json_object();
	int r = 0;

	if (!o)
		return NULL;
	if (n->ingress_bandwidth)
		r |= json_object_set_new(o, "ingress",
		                         json_pack("{s:I, s:s, s:s, s:s}", "bitsPerSecond",
		                                   (json_int_t)n->ingress_bandwidth, "qdisc",
		                                   "tbf (root)", "on", node_name, "latency",
		                                   TBF_LATENCY));
	if (n->egress_bandwidth)
		r |= json_object_set_new(
		        o, "egress",
		        json_pack("{s:I, s:s, s:s, s:s, s:s}", "bitsPerSecond",
		                  (json_int_t)n->egress_bandwidth, "qdisc", "tbf (root)", "on",
		                  n->ifb_ifname ? n->ifb_ifname : IFB_IFNAME_UNKNOWN,
		                  "redirectedFrom", node_name, "latency", TBF_LATENCY));
	return r < 0 ? (json_decref(o), NULL) : o;
}

/* pod.network: {mode, interfaces: [{name, namespace, kind, address, mtu, routes, peer,
 * master}], hostPorts (when it has some)}. hostNetwork: mode host and no list: the node's
 * interfaces, all of them. */
json_t *plan_network_json(const struct plan *plan)
{
	const struct plan_network *n = &plan->network;
	json_t *o, *list, *lo, *eth0, *node_end, *bridge;
	const char *node_name = n->node_ifname ? n->node_ifname : NODE_IFNAME_UNKNOWN;
	char cidr[24];
	int r = 0;

	if (n->host)
		return json_pack("{s:s, s:s}", "mode", "host", "interfaces",
		                 "the node's: hostNetwork is true");
	list = json_array();
	lo = interface("lo", "pod", "loopback");
	r |= json_object_set_new(lo, "address", json_string("127.0.0.1/8"));
	r |= json_array_append_new(list, lo);
	if (!n->bridge) {
		o = json_pack("{s:s, s:o}", "mode", "pod", "interfaces", list);
		goto ports;
	}
	snprintf(cidr, sizeof(cidr), IP_FMT "/%u", IP_ARGS(n->cidr), n->prefix);
	eth0 = interface("eth0", "pod", "veth");
	r |= json_object_set_new(eth0, "address",
	                         n->pod_ip
	                                 ? json_sprintf(IP_FMT "/%u", IP_ARGS(n->pod_ip), n->prefix)
	                                 : json_sprintf("assigned from %s at create", cidr));
	r |= json_object_set_new(eth0, "mtu", json_integer(n->mtu));
	r |= json_object_set_new(eth0, "peer", json_string(node_name));
	r |= json_object_set_new(eth0, "routes",
	                         json_pack("[{s:s, s:o}, {s:s, s:s}]", "destination", "0.0.0.0/0",
	                                   "via", json_sprintf(IP_FMT, IP_ARGS(BRIDGE_IP(n))),
	                                   "destination", cidr, "via", "eth0 (on link)"));
	r |= json_array_append_new(list, eth0);
	node_end = interface(node_name, "node", "veth");
	r |= json_object_set_new(node_end, "peer", json_string("eth0"));
	r |= json_object_set_new(node_end, "master", json_string(n->bridge));
	r |= json_object_set_new(node_end, "mtu", json_integer(n->mtu));
	r |= json_array_append_new(list, node_end);
	bridge = interface(n->bridge, "node", "bridge");
	r |= json_object_set_new(bridge, "address",
	                         json_sprintf(IP_FMT "/%u", IP_ARGS(BRIDGE_IP(n)), n->prefix));
	r |= json_object_set_new(bridge, "mtu", json_integer(n->mtu));
	r |= json_array_append_new(list, bridge);
	if (n->egress_bandwidth) {
		json_t *ifb = interface(n->ifb_ifname ? n->ifb_ifname : IFB_IFNAME_UNKNOWN, "node",
		                        "ifb");

		r |= json_object_set_new(ifb, "mtu", json_integer(n->mtu));
		r |= json_array_append_new(list, ifb);
	}
	o = json_pack("{s:s, s:o}", "mode", "pod", "interfaces", list);
	if (o && (n->ingress_bandwidth || n->egress_bandwidth))
		r |= json_object_set_new(o, "bandwidth", bandwidth_json(n, node_name));
ports:
	if (o && n->n_host_ports)
		r |= json_object_set_new(o, "hostPorts", host_ports_json(n));
	return r < 0 || !o ? (json_decref(o), NULL) : o;
}

/* " hostPort 8080/TCP (every address of the node) is forwarded to its port 80 ..." */
static char *host_ports_sentence(const struct plan_network *n, const char *to)
{
	_cleanup_free_ char *list = strdup("");

	for (size_t i = 0; list && i < n->n_host_ports; i++) {
		const struct plan_host_port *h = &n->host_ports[i];
		char *more = strdupf(
		        "%s%shostPort %" PRId64 "/%s (on %s%s) to port %" PRId64 " of container %s",
		        list, i ? ", " : "", h->host_port, h->protocol,
		        h->host_ip ? "the node's address " : "every address of the node",
		        h->host_ip ? h->host_ip : "", h->container_port, h->container);

		free(list);
		list = more;
	}
	if (!list)
		return NULL;
	if (!n->bridge)
		return strdupf(" Its %s %s not forwarded: this node has no pod network "
		               "(network.mode none).",
		               list, n->n_host_ports > 1 ? "are" : "is");
	return strdupf(" The node forwards %s at %s (a DNAT rule in nanolet's nftables table ip "
	               "nanolet; connections to 127.0.0.1 are not forwarded).",
	               list, to);
}

/* "10 Mbit/s", "1500 kbit/s", "1234567 bit/s": the largest SI unit that divides the rate */
static void rate_text(int64_t bits, char *buf, size_t size)
{
	static const struct {
		int64_t div;
		const char *unit;
	} units[] = {{1000000000, "Gbit/s"}, {1000000, "Mbit/s"}, {1000, "kbit/s"}};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (bits % units[i].div == 0) {
			snprintf(buf, size, "%" PRId64 " %s", bits / units[i].div, units[i].unit);
			return;
		}
	snprintf(buf, size, "%" PRId64 " bit/s", bits);
}

/* " Traffic to the pod is shaped to 10 Mbit/s (...); traffic from it to 5 Mbit/s (...)." — only
 * when an annotation is there, so that pods without one read as before. */
static char *bandwidth_sentence(const struct plan_network *n)
{
	const char *node = n->node_ifname ? n->node_ifname : NODE_IFNAME_UNKNOWN;
	const char *ifb = n->ifb_ifname ? n->ifb_ifname : IFB_IFNAME_UNKNOWN;
	_cleanup_free_ char *in = NULL, *out = NULL;
	char rate[32];

	if (!n->ingress_bandwidth && !n->egress_bandwidth)
		return strdup("");
	in = strdup("");
	out = strdup("");
	if (in && n->ingress_bandwidth) {
		rate_text(n->ingress_bandwidth, rate, sizeof(rate));
		free(in);
		in = strdupf(
		        " Traffic to the pod is shaped to %s (kubernetes.io/ingress-bandwidth: "
		        "a tbf qdisc on %s, " TBF_LATENCY " latency)%s",
		        rate, node, n->egress_bandwidth ? ";" : ".");
	}
	if (out && n->egress_bandwidth) {
		rate_text(n->egress_bandwidth, rate, sizeof(rate));
		free(out);
		out = strdupf(" %s from the pod %s %s (kubernetes.io/egress-bandwidth: redirected "
		              "from %s to the ifb %s, a tbf qdisc there, " TBF_LATENCY " latency).",
		              n->ingress_bandwidth ? "traffic" : "Traffic",
		              n->ingress_bandwidth ? "to" : "is shaped to", rate, node, ifb);
	}
	if (!in || !out)
		return NULL;
	return strdupf(
	        "%s%s The shaping is on the node's side: nothing inside the pod can lift it.", in,
	        out);
}

char *plan_sentence_network(const struct plan *plan)
{
	const struct plan_network *n = &plan->network;
	char eth0[64], ip[24];

	_cleanup_free_ char *ports = NULL, *shaped = NULL;

	if (!n->bridge) {
		ports = n->n_host_ports ? host_ports_sentence(n, NULL) : strdup("");
		return ports ? strdupf("net: the pod has its own network namespace with only a "
		                       "loopback interface, shared by its "
		                       "containers: " PLAN_WORDS_OWN_NET
		                       " (hostNetwork is false).%s",
		                       ports)
		             : NULL;
	}
	if (n->pod_ip) {
		snprintf(ip, sizeof(ip), IP_FMT, IP_ARGS(n->pod_ip));
		snprintf(eth0, sizeof(eth0), "%s/%u", ip, n->prefix);
	} else {
		snprintf(ip, sizeof(ip), "that address");
		snprintf(eth0, sizeof(eth0), "an address of " IP_FMT "/%u given at create",
		         IP_ARGS(n->cidr), n->prefix);
	}
	ports = n->n_host_ports ? host_ports_sentence(n, ip) : strdup("");
	shaped = bandwidth_sentence(n);
	if (!ports || !shaped)
		return NULL;
	return strdupf("net: the pod has its own network namespace, shared by its containers, "
	               "with lo and eth0 (%s, MTU %u), one end of a veth pair whose other "
	               "end, %s, is on the node's bridge %s (" IP_FMT "/%u); " PLAN_WORDS_OWN_NET
	               " (hostNetwork is false). It is "
	               "reached at %s from the node and from every other pod on the bridge, on "
	               "any port a container listens on; it reaches them the same way, and "
	               "everything else through its default route via " IP_FMT " (%s).%s%s",
	               eth0, n->mtu, n->node_ifname ? n->node_ifname : NODE_IFNAME_UNKNOWN,
	               n->bridge, IP_ARGS(BRIDGE_IP(n)), n->prefix, ip, IP_ARGS(BRIDGE_IP(n)),
	               n->masquerade ? "the node's net.ipv4.ip_forward decides whether that goes "
	                               "further; what leaves the pod network does with the "
	                               "node's address: nanolet masquerades it"
	                             : "the node decides whether that goes further: nanolet "
	                               "forwards nothing off the node",
	               ports, shaped);
}
