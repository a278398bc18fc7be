/* pkg/dns: the files the kubelet manages in every container — /etc/resolv.conf and /etc/hosts —
 * as text, from a Pod and the node's settings. Pure: the callers read the node's files and write
 * the results (the daemon the resolv.conf, since it needs the node's DNS settings and emits the
 * pod's events; the shim the hosts file, since only it knows the pod's address in time).
 *
 *   resolv.conf  the kubelet's GetPodDNS (pkg/kubelet/network/dns): the policy picks a base
 *                (the node's resolv_conf, the cluster DNS, or nothing), spec.dnsConfig is
 *                appended, the result is cut to the resolver's limits; laid out as containerd
 *                writes a sandbox's resolv.conf (search, nameserver lines, options)
 *   hosts        the kubelet's managedHostsFileContent / nodeHostsFileContent
 *                (pkg/kubelet/kubelet_pods.go), with the HostAliases block
 */
#pragma once

#include "spec/spec.h"
#include "util/util.h"

/* The resolver's limits the kubelet cuts to (validation.MaxDNSNameservers, MaxDNSSearchPaths,
 * MaxDNSSearchListChars) and the longest search domain glibc takes without aborting. */
#define DNS_MAX_NAMESERVERS  3
#define DNS_MAX_SEARCHES     32
#define DNS_MAX_SEARCH_CHARS 2048
#define DNS_MAX_SEARCH_LEN   253

/* One resolv.conf's content; each list NULL-terminated, NULL when empty. */
struct dns_config {
	char **servers;
	char **searches;
	char **options; /* "ndots:5", "edns0" */
};

void dns_config_done(struct dns_config *c);

/* Reads resolv.conf text as the kubelet's parseResolvConf: nameserver lines accumulate (the
 * first address of each), the last search line wins (each domain without its trailing dot), the
 * last options line wins; comments (#) and other lines are skipped. A nameserver line without
 * an address is -EINVAL ("nameserver list is empty"). */
int dns_parse_resolv_conf(const char *text, struct dns_config *out, struct nano_err *err);

/* What the node gives: its resolv.conf read (NULL when the node's resolv_conf setting is "":
 * the kubelet's --resolv-conf="" then means a resolver on the node itself), the cluster DNS
 * servers (NULL or empty: none) and the cluster domain ("" or NULL: none). */
struct dns_node {
	const struct dns_config *host;
	char *const *cluster_dns;
	const char *cluster_domain;
};

/* A Warning event for the pod: reason and message, as the kubelet records it. */
typedef void dns_warn_fn(void *userdata, const char *reason, const char *message);

/* The pod's resolv.conf content by its dnsPolicy, hostNetwork and dnsConfig (GetPodDNS):
 *   None                     spec.dnsConfig alone
 *   ClusterFirst             the cluster DNS servers alone, the searches
 *                            <ns>.svc.<domain> svc.<domain> <domain> before the node's, options
 *                            ndots:5; with no cluster DNS: Default, and a MissingClusterDNS
 *                            warning
 *   ClusterFirstWithHostNet  ClusterFirst, for hostNetwork pods too
 *   Default                  the node's (and ClusterFirst on a hostNetwork pod)
 * then spec.dnsConfig appended (duplicates dropped, its options overriding the same names), and
 * the lists cut to the limits above with a DNSConfigForming warning. warn may be NULL. */
int dns_pod_config(const struct spec_pod *pod, const struct dns_node *node, dns_warn_fn *warn,
                   void *userdata, struct dns_config *out);

/* "search a b\nnameserver x\nnameserver y\noptions o p\n", each line only when it has items:
 * the layout containerd writes. NULL on ENOMEM. */
char *dns_resolv_conf_text(const struct dns_config *c);

/* "<subdomain>.<namespace>.svc.<cluster_domain>" when the pod has a subdomain, else NULL (and
 * NULL on ENOMEM: check pod->subdomain to tell). */
char *dns_host_domain(const struct spec_pod *pod, const char *cluster_domain);

/* The managed hosts file of a pod on its own network: the header, the localhost and ip6 lines,
 * the pod's address with "<hostname>.<host_domain>\t<hostname>" (host_domain NULL: the hostname
 * alone; pod_ip NULL: no such line, as the kubelet writes for a pod without an address), then
 * the aliases. NULL on ENOMEM. */
char *dns_hosts_managed(const char *pod_ip, const char *hostname, const char *host_domain,
                        const struct spec_host_alias *aliases, size_t n_aliases);

/* A hostNetwork pod's: the header, the node's hosts file as it is, then the aliases. */
char *dns_hosts_host_network(const char *node_hosts, const struct spec_host_alias *aliases,
                             size_t n_aliases);
