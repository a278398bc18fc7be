/* pkg/dns/dns.c: resolv.conf and hosts content as the kubelet makes them (dns.h). Pure: no I/O,
 * no clock; every input is a parameter, so a unit test gives any node and any pod address.
 */
#include "dns.h"

#include <string.h>

void dns_config_done(struct dns_config *c)
{
	strv_free(c->servers);
	strv_free(c->searches);
	strv_free(c->options);
	*c = (struct dns_config){0};
}

/* ---- the node's resolv.conf ---------------------------------------------------------------- */

/* The whitespace-separated fields of one line, NULL-terminated; NULL for an empty one. */
static int split_fields(const char *line, size_t len, char ***out)
{
	size_t n = 0, i = 0;

	*out = NULL;
	while (i < len) {
		size_t start;

		while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
			i++;
		start = i;
		while (i < len && line[i] != ' ' && line[i] != '\t' && line[i] != '\r')
			i++;
		if (i > start && strv_append(out, &n, strndup(line + start, i - start)) < 0)
			return -ENOMEM;
	}
	return 0;
}

int dns_parse_resolv_conf(const char *text, struct dns_config *out, struct nano_err *err)
{
	_cleanup_(dns_config_done) struct dns_config c = {0};
	size_t n_servers = 0;

	for (const char *line = text; line && *line;) {
		const char *end = strchrnul(line, '\n');
		_cleanup_strv_ char **f = NULL;

		if (split_fields(line, (size_t)(end - line), &f) < 0)
			return nano_err_set(err, ENOMEM, "out of memory");
		line = *end ? end + 1 : end;
		if (!f || f[0][0] == '#')
			continue;
		if (strcmp(f[0], "nameserver") == 0) {
			if (!f[1])
				return nano_err_set(err, EINVAL, "nameserver list is empty");
			if (strv_append(&c.servers, &n_servers, strdup(f[1])) < 0)
				return nano_err_set(err, ENOMEM, "out of memory");
		} else if (strcmp(f[0], "search") == 0) {
			/* the last search line wins; "example.com." and "example.com" are one
			 * domain, so that the same domain does not count twice against the limits
			 */
			strv_free(c.searches);
			c.searches = NULL;
			for (size_t i = 1; f[i]; i++) {
				size_t len = strlen(f[i]);

				if (len > 0 && f[i][len - 1] == '.')
					f[i][len - 1] = '\0';
				if (strv_push(&c.searches, strdup(f[i])) < 0)
					return nano_err_set(err, ENOMEM, "out of memory");
			}
		} else if (strcmp(f[0], "options") == 0) {
			strv_free(c.options);
			c.options = strv_copy(f + 1);
			if (!c.options && f[1])
				return nano_err_set(err, ENOMEM, "out of memory");
		}
	}
	*out = c;
	c = (struct dns_config){0};
	return 0;
}

/* ---- the pod's ----------------------------------------------------------------------------- */

/* Appends the strings of add that l does not hold yet (the kubelet's omitDuplicates over
 * append(l, add...)). */
static int append_new(char ***l, char *const *add)
{
	size_t n = strv_len(*l);

	for (size_t i = 0; add && add[i]; i++)
		if (!strv_contains(*l, add[i]) && strv_append(l, &n, strdup(add[i])) < 0)
			return -ENOMEM;
	return 0;
}

static size_t option_name_len(const char *op)
{
	return strcspn(op, ":");
}

/* The kubelet's mergeDNSOptions: an option of spec.dnsConfig replaces the one of the same name.
 * The kubelet goes through a Go map, so its order is random; here the base's options keep their
 * order, a replaced one keeps its place, and new ones follow in the spec's order. */
static int merge_options(char ***l, const struct spec_dns_config *dc)
{
	size_t n = strv_len(*l);

	for (size_t i = 0; i < dc->n_options; i++) {
		const struct spec_dns_option *o = &dc->options[i];
		char *op = o->value && *o->value ? strdupf("%s:%s", o->name, o->value)
		                                 : strdup(o->name);
		size_t k;

		if (!op)
			return -ENOMEM;
		for (k = 0; k < n; k++)
			if (option_name_len((*l)[k]) == strlen(o->name) &&
			    strncmp((*l)[k], o->name, strlen(o->name)) == 0)
				break;
		if (k < n) {
			free((*l)[k]);
			(*l)[k] = op;
		} else if (strv_append(l, &n, op) < 0) {
			return -ENOMEM;
		}
	}
	return 0;
}

static void warn_joined(dns_warn_fn *warn, void *userdata, const char *reason, const char *what,
                        char *const *l)
{
	_cleanup_free_ char *joined = strv_join(l, " ");
	_cleanup_free_ char *message = NULL;

	if (!warn || !joined)
		return;
	message = strdupf("%s limits were exceeded, some %s have been omitted, the applied %s line "
	                  "is: %s",
	                  what, strcmp(what, "Nameserver") == 0 ? "nameservers" : "search paths",
	                  strcmp(what, "Nameserver") == 0 ? "nameserver" : "search", joined);
	if (message)
		warn(userdata, reason, message);
}

/* formDNSConfigFitsLimits: at most 3 servers; at most 32 searches, none longer than 253, and a
 * search line of at most 2048 characters, cut from its end. */
static void fit_limits(struct dns_config *c, dns_warn_fn *warn, void *userdata)
{
	size_t n = strv_len(c->servers), len = 0, k = 0;
	bool cut = false;

	if (n > DNS_MAX_NAMESERVERS) {
		for (size_t i = DNS_MAX_NAMESERVERS; i < n; i++)
			free(c->servers[i]);
		c->servers[DNS_MAX_NAMESERVERS] = NULL;
		warn_joined(warn, userdata, "DNSConfigForming", "Nameserver", c->servers);
	}
	n = strv_len(c->searches);
	for (size_t i = 0; i < n; i++) {
		char *s = c->searches[i];

		/* glibc 2.28 aborts on a search path longer than 255 */
		if (i >= DNS_MAX_SEARCHES || strlen(s) > DNS_MAX_SEARCH_LEN) {
			free(s);
			cut = true;
			continue;
		}
		c->searches[k++] = s;
	}
	if (c->searches)
		c->searches[k] = NULL;
	for (size_t i = 0; i < k; i++)
		len += strlen(c->searches[i]) + (i > 0);
	while (len > DNS_MAX_SEARCH_CHARS && k > 0) {
		k--;
		len -= strlen(c->searches[k]) + (k > 0);
		free(c->searches[k]);
		c->searches[k] = NULL;
		cut = true;
	}
	if (cut)
		warn_joined(warn, userdata, "DNSConfigForming", "Search Line", c->searches);
}

static int cluster_first(const struct spec_pod *pod, const struct dns_node *node,
                         struct dns_config *c)
{
	_cleanup_strv_ char **searches = NULL;
	const char *domain = node->cluster_domain;

	strv_free(c->servers);
	c->servers = strv_copy(node->cluster_dns);
	if (!c->servers)
		return -ENOMEM;
	if (domain && *domain) {
		if (strv_pushf(&searches, "%s.svc.%s", pod->namespace, domain) < 0 ||
		    strv_pushf(&searches, "svc.%s", domain) < 0 ||
		    strv_push(&searches, strdup(domain)) < 0 ||
		    append_new(&searches, c->searches) < 0)
			return -ENOMEM;
		strv_free(c->searches);
		c->searches = TAKE_PTR(searches);
	}
	strv_free(c->options);
	c->options = NULL;
	return strv_push(&c->options, strdup("ndots:5"));
}

int dns_pod_config(const struct spec_pod *pod, const struct dns_node *node, dns_warn_fn *warn,
                   void *userdata, struct dns_config *out)
{
	_cleanup_(dns_config_done) struct dns_config c = {0};
	enum spec_dns_policy policy = pod->dns_policy;
	bool host = false;
	int r = 0;

	/* getPodDNSType: a hostNetwork pod's ClusterFirst is Default */
	if (policy == SPEC_DNS_CLUSTER_FIRST && pod->host_network)
		policy = SPEC_DNS_DEFAULT;
	if (policy != SPEC_DNS_NONE && node->host) {
		c.servers = strv_copy(node->host->servers);
		c.searches = strv_copy(node->host->searches);
		c.options = strv_copy(node->host->options);
		if ((!c.servers && node->host->servers) || (!c.searches && node->host->searches) ||
		    (!c.options && node->host->options))
			return -ENOMEM;
	}
	if (policy == SPEC_DNS_CLUSTER_FIRST || policy == SPEC_DNS_CLUSTER_FIRST_WITH_HOST_NET) {
		if (strv_len(node->cluster_dns) > 0) {
			r = cluster_first(pod, node, &c);
		} else {
			_cleanup_free_ char *message =
			        strdupf("pod: \"%s_%s(%s)\". kubelet does not have ClusterDNS IP "
			                "configured "
			                "and cannot create Pod using \"ClusterFirst\" policy. "
			                "Falling back to "
			                "\"Default\" policy.",
			                pod->name, pod->namespace, pod->uid ?: "");

			if (!message)
				return -ENOMEM;
			if (warn)
				warn(userdata, "MissingClusterDNS", message);
			host = true;
		}
	} else if (policy == SPEC_DNS_DEFAULT) {
		host = true;
	}
	/* --resolv-conf="": a resolver on the node itself, and no search ("the nameserver on the
	 * local machine", as bind documents an empty nameserver list) */
	if (host && !node->host) {
		if (strv_push(&c.servers, strdup("127.0.0.1")) < 0 ||
		    strv_push(&c.searches, strdup(".")) < 0)
			return -ENOMEM;
	}
	if (r >= 0 && pod->dns_config) {
		r = append_new(&c.servers, pod->dns_config->nameservers);
		if (r >= 0)
			r = append_new(&c.searches, pod->dns_config->searches);
		if (r >= 0)
			r = merge_options(&c.options, pod->dns_config);
	}
	if (r < 0)
		return r;
	fit_limits(&c, warn, userdata);
	*out = c;
	c = (struct dns_config){0};
	return 0;
}

static int line(char **text, const char *keyword, char *const *items, const char *sep)
{
	_cleanup_free_ char *joined = NULL;
	char *next;

	if (!items || !items[0])
		return 0;
	joined = strv_join(items, sep);
	next = joined ? strdupf("%s%s %s\n", *text, keyword, joined) : NULL;
	if (!next)
		return -ENOMEM;
	free(*text);
	*text = next;
	return 0;
}

char *dns_resolv_conf_text(const struct dns_config *c)
{
	_cleanup_free_ char *text = strdup("");

	if (!text || line(&text, "search", c->searches, " ") < 0 ||
	    line(&text, "nameserver", c->servers, "\nnameserver ") < 0 ||
	    line(&text, "options", c->options, " ") < 0)
		return NULL;
	return TAKE_PTR(text);
}

/* ---- hosts ---------------------------------------------------------------------------------- */

char *dns_host_domain(const struct spec_pod *pod, const char *cluster_domain)
{
	if (!pod->subdomain || !*pod->subdomain)
		return NULL;
	return strdupf("%s.%s.svc.%s", pod->subdomain, pod->namespace, cluster_domain ?: "");
}

/* hostsEntriesFromHostAliases: a blank line, the comment, one line per alias (its hostnames
 * tab-separated); "" without aliases. */
static char *aliases_text(const struct spec_host_alias *aliases, size_t n)
{
	_cleanup_free_ char *text = strdup(n ? "\n# Entries added by HostAliases.\n" : "");

	for (size_t i = 0; text && i < n; i++) {
		_cleanup_free_ char *names = strv_join(aliases[i].hostnames, "\t");
		char *next = names ? strdupf("%s%s\t%s\n", text, aliases[i].ip, names) : NULL;

		free(text);
		text = next;
	}
	return TAKE_PTR(text);
}

char *dns_hosts_managed(const char *pod_ip, const char *hostname, const char *host_domain,
                        const struct spec_host_alias *aliases, size_t n_aliases)
{
	_cleanup_free_ char *self = NULL, *alias_lines = aliases_text(aliases, n_aliases);

	if (!pod_ip)
		self = strdup("");
	else if (host_domain)
		self = strdupf("%s\t%s.%s\t%s\n", pod_ip, hostname, host_domain, hostname);
	else
		self = strdupf("%s\t%s\n", pod_ip, hostname);
	if (!self || !alias_lines)
		return NULL;
	return strdupf("# Kubernetes-managed hosts file.\n"
	               "127.0.0.1\tlocalhost\n"
	               "::1\tlocalhost ip6-localhost ip6-loopback\n"
	               "fe00::0\tip6-localnet\n"
	               "fe00::0\tip6-mcastprefix\n"
	               "fe00::1\tip6-allnodes\n"
	               "fe00::2\tip6-allrouters\n"
	               "%s%s",
	               self, alias_lines);
}

char *dns_hosts_host_network(const char *node_hosts, const struct spec_host_alias *aliases,
                             size_t n_aliases)
{
	_cleanup_free_ char *alias_lines = aliases_text(aliases, n_aliases);

	if (!alias_lines)
		return NULL;
	return strdupf("# Kubernetes-managed hosts file (host network).\n%s%s", node_hosts,
	               alias_lines);
}
