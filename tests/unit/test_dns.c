/* The kubelet's managed files: resolv.conf by dnsPolicy (pkg/dns: the node's file read, the
 * cluster DNS, the fallback and its warning, dnsConfig appended, the limits), /etc/hosts with
 * and without the pod's address, subdomain and aliases; and the API server's checks of
 * dnsPolicy, dnsConfig, hostAliases and subdomain (pkg/spec), one row per behaviour. */
#include "check_main.h"
#include <string.h>

#include "dns/dns.h"
#include "spec/spec.h"

/* JSON with ' for " so that rows stay readable. */
static json_t *json_q(const char *text)
{
	_cleanup_free_ char *s = strdup(text);
	json_error_t e;
	json_t *j;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, 0, &e);
	ck_assert_msg(j, "bad test JSON: %s: %s", text, e.text);
	return j;
}

/* A pod named p in namespace ns with the spec fields of patch (a JSON object's members). */
static int decode(const char *patch, struct spec_pod **pod, struct nano_err *err)
{
	_cleanup_free_ char *text = strdupf(
	        "{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'p'}, 'spec': {%s%s"
	        "'containers': [{'name': 'a', 'image': 'host', 'command': ['/bin/true']}]}}",
	        patch ? patch : "", patch && *patch ? ", " : "");
	_cleanup_json_ json_t *doc = json_q(text);
	_cleanup_strv_ char **warnings = NULL;
	struct spec_decode_options o = {.path_namespace = "ns"};
	int r = spec_pod_decode(doc, &o, pod, &warnings, err);

	if (r >= 0)
		(*pod)->uid = strdup("u-1");
	return r;
}

static struct spec_pod *pod_of(const char *patch)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct spec_pod *pod = NULL;
	int r = decode(patch, &pod, &err);

	ck_assert_msg(r == 0, "%s: %s", patch, err.message);
	return pod;
}

/* ---- validation ------------------------------------------------------------------------------ */

struct rule_row {
	const char *name;
	const char *patch;
	const char *causes; /* "field: message" of each cause, joined by "\n"; NULL: valid */
};

static const struct rule_row rule_rows[] = {
        {"no DNS fields: valid, ClusterFirst", "", NULL},
        {"every policy is known", "'dnsPolicy': 'ClusterFirstWithHostNet'", NULL},
        {"an unknown policy", "'dnsPolicy': 'Cluster'",
         "spec.dnsPolicy: Unsupported value: \"Cluster\": supported values: "
         "\"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\""},
        {"None needs dnsConfig", "'dnsPolicy': 'None'",
         "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None"},
        {"None needs a nameserver", "'dnsPolicy': 'None', 'dnsConfig': {'searches': ['a.b']}",
         "spec.dnsConfig.nameservers: Required value: must provide at least one DNS "
         "nameserver when `dnsPolicy` is None"},
        {"None with a nameserver", "'dnsPolicy': 'None', 'dnsConfig': {'nameservers': ['::1']}",
         NULL},
        {"four nameservers are too many",
         "'dnsConfig': {'nameservers': ['198.18.0.1', '198.18.0.2', '198.18.0.3', "
         "'198.18.0.4']}",
         "spec.dnsConfig.nameservers: Invalid value: []string{\"198.18.0.1\", \"198.18.0.2\", "
         "\"198.18.0.3\", \"198.18.0.4\"}: must not have more than 3 nameservers"},
        {"a nameserver is an IP address", "'dnsConfig': {'nameservers': ['dns.example']}",
         "spec.dnsConfig.nameservers[0]: Invalid value: \"dns.example\": must be a valid IP "
         "address, (e.g. 10.9.8.7 or 2001:db8::ffff)"},
        {"a search may end in a dot", "'dnsConfig': {'searches': ['example.com.']}", NULL},
        {"a search is a DNS subdomain", "'dnsConfig': {'searches': ['Example.com']}",
         "spec.dnsConfig.searches[0]: Invalid value: \"Example.com\": a lowercase RFC 1123 "
         "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
         "start and end with an alphanumeric character (e.g. 'example.com', regex used for "
         "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
        {"an option needs a name", "'dnsConfig': {'options': [{'name': 'ndots'}, {'value': '2'}]}",
         "spec.dnsConfig.options[1]: Required value: Option.Name must not be empty"},
        {"an alias's ip and hostnames",
         "'hostAliases': [{'ip': '198.18.0.9', 'hostnames': ['a.example']}, {'ip': '300.1.1.1', "
         "'hostnames': ['ok', 'No']}]",
         "spec.hostAliases[1].ip: Invalid value: \"300.1.1.1\": must be a valid IP address, (e.g. "
         "10.9.8.7 or 2001:db8::ffff)\n"
         "spec.hostAliases[1].hostnames[1]: Invalid value: \"No\": a lowercase RFC 1123 "
         "subdomain must consist of lower case alphanumeric characters, '-' or '.', and must "
         "start and end with an alphanumeric character (e.g. 'example.com', regex used for "
         "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"},
        {"an alias without ip", "'hostAliases': [{'hostnames': ['a']}]",
         "spec.hostAliases[0].ip: Invalid value: \"\": must be a valid IP address, (e.g. "
         "10.9.8.7 or 2001:db8::ffff)"},
        {"a subdomain is a DNS label", "'subdomain': 'a.b'",
         "spec.subdomain: Invalid value: \"a.b\": a lowercase RFC 1123 label must consist of "
         "lower case alphanumeric characters or '-', and must start and end with an "
         "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
         "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"},
        {"a wrong type is the schema's cause", "'hostAliases': {'ip': '198.18.0.1'}",
         "spec.hostAliases: Invalid value: {\"ip\":\"198.18.0.1\"}: must be a array"},
};

START_TEST(test_rules)
{
	const struct rule_row *row = &rule_rows[_i];
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_strv_ char **lines = NULL;
	_cleanup_free_ char *got = NULL;
	struct spec_pod *pod = NULL;
	int r = decode(row->patch, &pod, &err);

	for (size_t i = 0; i < err.n_causes; i++)
		ck_assert_int_eq(
		        strv_pushf(&lines, "%s: %s", err.causes[i].field, err.causes[i].message),
		        0);
	got = strv_join(lines, "\n");
	if (!row->causes) {
		ck_assert_msg(r == 0, "%s: %s", row->name, err.message);
	} else {
		ck_assert_msg(r == -EINVAL, "%s: %d", row->name, r);
		ck_assert_msg(strcmp(got, row->causes) == 0, "%s:\n got %s\nwant %s", row->name,
		              got, row->causes);
	}
	spec_pod_free(pod);
}
END_TEST

START_TEST(test_defaults)
{
	struct spec_pod *pod = pod_of("'dnsPolicy': ''");
	json_t *spec = json_object_get(pod->object, "spec");

	ck_assert_int_eq(pod->dns_policy, SPEC_DNS_CLUSTER_FIRST);
	ck_assert_str_eq(json_string_value(json_object_get(spec, "dnsPolicy")), "ClusterFirst");
	spec_pod_free(pod);
	pod = pod_of("'dnsPolicy': 'None', 'dnsConfig': {'nameservers': ['198.18.0.1'], "
	             "'options': [{'name': 'ndots', 'value': '2'}, {'name': 'edns0'}]}, "
	             "'hostAliases': [{'ip': '198.18.0.9', 'hostnames': ['a', 'b']}], "
	             "'subdomain': 'sub'");
	ck_assert_int_eq(pod->dns_policy, SPEC_DNS_NONE);
	ck_assert_str_eq(pod->dns_config->nameservers[0], "198.18.0.1");
	ck_assert_uint_eq(pod->dns_config->n_options, 2);
	ck_assert_str_eq(pod->dns_config->options[0].value, "2");
	ck_assert_ptr_null(pod->dns_config->options[1].value);
	ck_assert_uint_eq(pod->n_host_aliases, 1);
	ck_assert_str_eq(pod->host_aliases[0].hostnames[1], "b");
	ck_assert_str_eq(pod->subdomain, "sub");
	spec_pod_free(pod);
}
END_TEST

/* ---- resolv.conf ----------------------------------------------------------------------------- */

static const char *const node_resolv_conf = "# the node's\n"
                                            "nameserver 198.18.0.53\n"
                                            "search example.com. corp.example\n"
                                            "nameserver 198.18.0.54 ignored\n"
                                            "options ndots:1 timeout:2\n";

struct warnings {
	char **reasons, **messages;
};

static void collect(void *userdata, const char *reason, const char *message)
{
	struct warnings *w = userdata;

	ck_assert_int_eq(strv_push(&w->reasons, strdup(reason)), 0);
	ck_assert_int_eq(strv_push(&w->messages, strdup(message)), 0);
}

struct resolv_row {
	const char *name;
	const char *patch;
	bool node_file;       /* false: resolv_conf "" */
	const char *cluster;  /* cluster_dns, comma-separated; NULL: none */
	const char *want;     /* the file */
	const char *warnings; /* "Reason: message" joined by "\n"; NULL: none */
};

static const struct resolv_row resolv_rows[] = {
        {"Default is the node's", "'dnsPolicy': 'Default'", true, NULL,
         "search example.com corp.example\nnameserver 198.18.0.53\nnameserver 198.18.0.54\n"
         "options ndots:1 timeout:2\n",
         NULL},
        {"ClusterFirst without cluster DNS falls back to Default, with the kubelet's warning", "",
         true, NULL,
         "search example.com corp.example\nnameserver 198.18.0.53\nnameserver 198.18.0.54\n"
         "options ndots:1 timeout:2\n",
         "MissingClusterDNS: pod: \"p_ns(u-1)\". kubelet does not have ClusterDNS IP "
         "configured and cannot create Pod using \"ClusterFirst\" policy. Falling back to "
         "\"Default\" policy."},
        {"ClusterFirst: the cluster's servers, its searches before the node's, ndots:5", "", true,
         "198.18.1.10",
         "search ns.svc.cluster.local svc.cluster.local cluster.local example.com "
         "corp.example\nnameserver 198.18.1.10\noptions ndots:5\n",
         NULL},
        {"ClusterFirst on the host network is Default", "'hostNetwork': true", true, "198.18.1.10",
         "search example.com corp.example\nnameserver 198.18.0.53\nnameserver 198.18.0.54\n"
         "options ndots:1 timeout:2\n",
         NULL},
        {"ClusterFirstWithHostNet on the host network is the cluster's",
         "'hostNetwork': true, 'dnsPolicy': 'ClusterFirstWithHostNet'", true, "198.18.1.10",
         "search ns.svc.cluster.local svc.cluster.local cluster.local example.com "
         "corp.example\nnameserver 198.18.1.10\noptions ndots:5\n",
         NULL},
        {"None is dnsConfig alone",
         "'dnsPolicy': 'None', 'dnsConfig': {'nameservers': ['198.18.0.1'], 'searches': "
         "['a.example'], 'options': [{'name': 'edns0'}]}",
         true, "198.18.1.10", "search a.example\nnameserver 198.18.0.1\noptions edns0\n", NULL},
        {"dnsConfig is appended, duplicates dropped, its options win in place",
         "'dnsPolicy': 'Default', 'dnsConfig': {'nameservers': ['198.18.0.53', '198.18.0.1'], "
         "'searches': ['corp.example', 'x.example'], 'options': [{'name': 'timeout', 'value': "
         "'5'}, {'name': 'edns0'}, {'name': 'ndots', 'value': ''}]}",
         true, NULL,
         "search example.com corp.example x.example\nnameserver 198.18.0.53\nnameserver "
         "198.18.0.54\nnameserver 198.18.0.1\noptions ndots timeout:5 edns0\n",
         NULL},
        {"more than 3 nameservers are cut, with a warning",
         "'dnsPolicy': 'Default', 'dnsConfig': {'nameservers': ['198.18.0.1', '198.18.0.2']}", true,
         NULL,
         "search example.com corp.example\nnameserver 198.18.0.53\nnameserver 198.18.0.54\n"
         "nameserver 198.18.0.1\noptions ndots:1 timeout:2\n",
         "DNSConfigForming: Nameserver limits were exceeded, some nameservers have been "
         "omitted, the applied nameserver line is: 198.18.0.53 198.18.0.54 198.18.0.1"},
        {"resolv_conf \"\": a resolver on the node, no search", "'dnsPolicy': 'Default'", false,
         NULL, "search .\nnameserver 127.0.0.1\n", NULL},
        {"resolv_conf \"\" and a cluster DNS: the cluster's searches only", "", false,
         "198.18.1.10,198.18.1.11",
         "search ns.svc.cluster.local svc.cluster.local cluster.local\nnameserver "
         "198.18.1.10\nnameserver 198.18.1.11\noptions ndots:5\n",
         NULL},
};

static void resolv_of(const struct resolv_row *row, const char *node_text, char **text,
                      struct warnings *w)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_(dns_config_done) struct dns_config host = {0}, conf = {0};
	_cleanup_strv_ char **cluster = NULL;
	struct spec_pod *pod = pod_of(row->patch);
	struct dns_node node = {.cluster_domain = "cluster.local"};

	if (row->node_file) {
		ck_assert_int_eq(dns_parse_resolv_conf(node_text, &host, &err), 0);
		node.host = &host;
	}
	if (row->cluster) {
		_cleanup_free_ char *copy = strdup(row->cluster);
		char *save = NULL;

		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
			ck_assert_int_eq(strv_push(&cluster, strdup(t)), 0);
	}
	node.cluster_dns = cluster;
	ck_assert_int_eq(dns_pod_config(pod, &node, collect, w, &conf), 0);
	*text = dns_resolv_conf_text(&conf);
	ck_assert_ptr_nonnull(*text);
	spec_pod_free(pod);
}

START_TEST(test_resolv_conf)
{
	const struct resolv_row *row = &resolv_rows[_i];
	_cleanup_free_ char *text = NULL, *got = NULL;
	_cleanup_strv_ char **lines = NULL;
	struct warnings w = {0};

	resolv_of(row, node_resolv_conf, &text, &w);
	ck_assert_msg(strcmp(text, row->want) == 0, "%s:\n got %s\nwant %s", row->name, text,
	              row->want);
	for (size_t i = 0; w.reasons && w.reasons[i]; i++)
		ck_assert_int_eq(strv_pushf(&lines, "%s: %s", w.reasons[i], w.messages[i]), 0);
	got = strv_join(lines, "\n");
	ck_assert_msg(strcmp(got, row->warnings ?: "") == 0, "%s:\n got %s\nwant %s", row->name,
	              got, row->warnings ?: "");
	strv_free(w.reasons);
	strv_free(w.messages);
}
END_TEST

/* The search line's limits: 32 domains, none over 253 characters, 2048 characters in all, cut
 * from the end, as formDNSSearchFitsLimits does. */
START_TEST(test_search_limits)
{
	const struct resolv_row row = {.patch = "'dnsPolicy': 'Default'", .node_file = true};
	_cleanup_free_ char *node = strdup("nameserver 198.18.0.53\nsearch"), *text = NULL;
	struct warnings w = {0};
	char label[64];

	/* 40 domains of 62 characters: 32 are kept by count, then 2048 characters fit 32
	 * (32 * 63 - 1 = 2015); one of 254 characters is dropped wherever it is */
	memset(label, 'a', 62);
	label[62] = '\0';
	for (int i = 0; i < 40; i++) {
		char *next = strdupf("%s %02d%.60s", node, i, label);

		free(node);
		node = next;
		if (i == 3) {
			next = strdupf("%s %0254d", node, 7);
			free(node);
			node = next;
		}
	}
	resolv_of(&row, node, &text, &w);
	ck_assert_int_eq((int)strv_len(w.reasons), 1);
	ck_assert_str_eq(w.reasons[0], "DNSConfigForming");
	ck_assert_msg(strstr(w.messages[0], "Search Line limits were exceeded, some search paths "
	                                    "have been omitted, the applied search line is: 00a"),
	              "%s", w.messages[0]);
	/* the long one counted among the first 32, then dropped: 31 of 62 characters left */
	ck_assert_msg(strstr(text, " 30aaa") && !strstr(text, " 31aaa") && !strstr(text, "0007"),
	              "%s", text);
	strv_free(w.reasons);
	strv_free(w.messages);
	free(text);
	text = NULL;

	/* 20 domains of 200 characters: 10 fit in 2048 (10 * 201 - 1 = 2009) */
	free(node);
	node = strdup("nameserver 198.18.0.53\nsearch");
	for (int i = 0; i < 20; i++) {
		char *next = strdupf("%s %02d%0198d", node, i, 0);

		free(node);
		node = next;
	}
	w = (struct warnings){0};
	resolv_of(&row, node, &text, &w);
	ck_assert_int_eq((int)strv_len(w.reasons), 1);
	ck_assert_msg(strstr(text, " 09000") && !strstr(text, " 10000"), "%s", text);
	ck_assert_uint_le(strlen(strchr(text, ' ') + 1) - strlen(strchr(text, '\n')), 2048);
	strv_free(w.reasons);
	strv_free(w.messages);
}
END_TEST

START_TEST(test_parse_resolv_conf)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_(dns_config_done) struct dns_config c = {0};
	_cleanup_free_ char *empty = NULL;

	ck_assert_int_eq(dns_parse_resolv_conf("search a b\n  search c.\n#nameserver x\n"
	                                       "options a\noptions b c\n",
	                                       &c, &err),
	                 0);
	ck_assert_ptr_null(c.servers);
	ck_assert_str_eq(c.searches[0], "c");
	ck_assert_ptr_null(c.searches[1]);
	ck_assert_str_eq(c.options[1], "c");
	dns_config_done(&c);
	ck_assert_int_eq(dns_parse_resolv_conf("nameserver\n", &c, &err), -EINVAL);
	ck_assert_str_eq(err.message, "nameserver list is empty");
	ck_assert_int_eq(dns_parse_resolv_conf("", &c, &err), 0);
	empty = dns_resolv_conf_text(&c);
	ck_assert_str_eq(empty, "");
}
END_TEST

/* ---- hosts ----------------------------------------------------------------------------------- */

#define HOSTS_HEADER                                                                               \
	"# Kubernetes-managed hosts file.\n"                                                       \
	"127.0.0.1\tlocalhost\n"                                                                   \
	"::1\tlocalhost ip6-localhost ip6-loopback\n"                                              \
	"fe00::0\tip6-localnet\n"                                                                  \
	"fe00::0\tip6-mcastprefix\n"                                                               \
	"fe00::1\tip6-allnodes\n"                                                                  \
	"fe00::2\tip6-allrouters\n"

START_TEST(test_hosts)
{
	char *one[] = {"one.example", NULL}, *two[] = {"a", "b.example", NULL};
	const struct spec_host_alias aliases[] = {{"198.18.0.9", one}, {"2001:db8::1", two}};
	struct spec_pod *pod = pod_of("'subdomain': 'sub'");
	_cleanup_free_ char *domain = dns_host_domain(pod, "cluster.local");
	char *text;

	ck_assert_str_eq(domain, "sub.ns.svc.cluster.local");
	spec_pod_free(pod);
	pod = pod_of(NULL);
	ck_assert_ptr_null(dns_host_domain(pod, "cluster.local"));
	spec_pod_free(pod);

	text = dns_hosts_managed("198.18.0.5", "web", NULL, NULL, 0);
	ck_assert_str_eq(text, HOSTS_HEADER "198.18.0.5\tweb\n");
	free(text);
	text = dns_hosts_managed("198.18.0.5", "web", domain, NULL, 0);
	ck_assert_str_eq(text, HOSTS_HEADER "198.18.0.5\tweb.sub.ns.svc.cluster.local\tweb\n");
	free(text);
	/* no address yet (no pod network): no line of the pod's own */
	text = dns_hosts_managed(NULL, "web", domain, aliases, 2);
	ck_assert_str_eq(text, HOSTS_HEADER "\n# Entries added by HostAliases.\n"
	                                    "198.18.0.9\tone.example\n"
	                                    "2001:db8::1\ta\tb.example\n");
	free(text);
	text = dns_hosts_host_network("127.0.0.1 localhost\n198.18.0.2 node\n", aliases, 1);
	ck_assert_str_eq(text, "# Kubernetes-managed hosts file (host network).\n"
	                       "127.0.0.1 localhost\n198.18.0.2 node\n"
	                       "\n# Entries added by HostAliases.\n198.18.0.9\tone.example\n");
	free(text);
	text = dns_hosts_host_network("127.0.0.1 localhost\n", NULL, 0);
	ck_assert_str_eq(text, "# Kubernetes-managed hosts file (host network).\n"
	                       "127.0.0.1 localhost\n");
	free(text);
}
END_TEST

static Suite *dns_suite(void)
{
	Suite *s = suite_create("dns");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_rules, 0, ELEMENTSOF(rule_rows));
	tcase_add_test(tc, test_defaults);
	tcase_add_loop_test(tc, test_resolv_conf, 0, ELEMENTSOF(resolv_rows));
	tcase_add_test(tc, test_search_limits);
	tcase_add_test(tc, test_parse_resolv_conf);
	tcase_add_test(tc, test_hosts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(dns_suite());
}
