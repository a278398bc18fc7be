/* pkg/spec/pod_dns.c: the fields that make a pod's /etc/resolv.conf and /etc/hosts —
 * spec.dnsPolicy, spec.dnsConfig, spec.hostAliases and spec.subdomain — read into struct spec_pod
 * and checked as the API server checks them (pkg/apis/core/validation: validateDNSPolicy,
 * validatePodDNSConfig, ValidateHostAliases, the subdomain label), every cause collected.
 *
 * The schema (schema.c) has already turned a value of the wrong JSON type into a cause, so what
 * is not of the right type here is skipped, not reported twice. Pure: no I/O.
 */
#include <arpa/inet.h>
#include <string.h>

#include "validate.h"

/* Limits of the resolver's libc, as the API server has them since ExpandedDNSConfig went GA
 * (MaxDNSNameservers, MaxDNSSearchPaths, MaxDNSSearchListChars). */
#define DNS_MAX_NAMESERVERS  3
#define DNS_MAX_SEARCHES     32
#define DNS_MAX_SEARCH_CHARS 2048
#define LABEL_MAX            63
#define SUBDOMAIN_MAX        253
#define FIELD_MAX            128

static const char *const policy_names[] = {
        [SPEC_DNS_CLUSTER_FIRST] = "ClusterFirst",
        [SPEC_DNS_CLUSTER_FIRST_WITH_HOST_NET] = "ClusterFirstWithHostNet",
        [SPEC_DNS_DEFAULT] = "Default",
        [SPEC_DNS_NONE] = "None",
};

const char *spec_dns_policy_name(enum spec_dns_policy policy)
{
	return (size_t)policy < ELEMENTSOF(policy_names) ? policy_names[policy] : "ClusterFirst";
}

static const char *string_at(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The strings of an array (non-strings skipped: the schema reported them); NULL when absent. */
static char **read_strings(json_t *a)
{
	char **l = NULL;
	size_t i, n = 0;
	json_t *v;

	json_array_foreach(a, i, v)
	{
		if (json_is_string(v) && strv_append(&l, &n, strdup(json_string_value(v))) < 0)
			break;
	}
	return l;
}

/* Go's %#v of a []string, as field.Invalid quotes a list back: []string{"a", "b"}. */
static char *go_strings(char *const *l)
{
	_cleanup_strv_ char **quoted = NULL;
	_cleanup_free_ char *joined = NULL;
	size_t n = 0;

	for (size_t i = 0; l && l[i]; i++)
		if (strv_append(&quoted, &n, strdupf("\"%s\"", l[i])) < 0)
			return NULL;
	joined = strv_join(quoted, ", ");
	return joined ? strdupf("[]string{%s}", joined) : NULL;
}

bool spec_ip_valid(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

bool spec_dns_subdomain_valid(const char *s)
{
	return validate_dns1123_subdomain(s);
}

static void check_ip(struct nano_err *causes, const char *field, const char *ip)
{
	if (!spec_ip_valid(ip))
		nano_err_cause(
		        causes, field, "FieldValueInvalid",
		        "Invalid value: \"%s\": must be a valid IP address, (e.g. 10.9.8.7 or "
		        "2001:db8::ffff)",
		        ip);
}

/* ValidateDNS1123Subdomain: too long, or not of the pattern. */
static void check_subdomain(struct nano_err *causes, const char *field, const char *value)
{
	if (strlen(value) > SUBDOMAIN_MAX)
		nano_err_cause(causes, field, "FieldValueInvalid",
		               "Invalid value: \"%s\": must be no more than %d characters", value,
		               SUBDOMAIN_MAX);
	else if (!validate_dns1123_subdomain(value))
		nano_err_cause(causes, field, "FieldValueInvalid", "Invalid value: \"%s\": %s",
		               value, validate_subdomain_message);
}

/* ValidateDNS1123Label, for spec.subdomain. */
static void check_label(struct nano_err *causes, const char *field, const char *value)
{
	if (strlen(value) > LABEL_MAX)
		nano_err_cause(causes, field, "FieldValueInvalid",
		               "Invalid value: \"%s\": must be no more than %d characters", value,
		               LABEL_MAX);
	else if (!validate_dns1123_label(value))
		nano_err_cause(causes, field, "FieldValueInvalid", "Invalid value: \"%s\": %s",
		               value, validate_label_message);
}

static enum spec_dns_policy read_policy(json_t *spec, struct nano_err *causes)
{
	const char *s = string_at(spec, "dnsPolicy");

	/* pod.c defaulted an absent or empty policy to ClusterFirst, as SetDefaults_PodSpec does */
	for (size_t i = 0; s && i < ELEMENTSOF(policy_names); i++)
		if (strcmp(s, policy_names[i]) == 0)
			return (enum spec_dns_policy)i;
	if (s)
		nano_err_cause(
		        causes, "spec.dnsPolicy", "FieldValueNotSupported",
		        "Unsupported value: \"%s\": supported values: "
		        "\"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"",
		        s);
	return SPEC_DNS_CLUSTER_FIRST;
}

static void check_dns_config(const struct spec_dns_config *c, struct nano_err *causes)
{
	_cleanup_free_ char *joined = NULL;
	size_t n_servers = strv_len(c->nameservers), n_searches = strv_len(c->searches);
	char field[FIELD_MAX];

	if (n_servers > DNS_MAX_NAMESERVERS) {
		_cleanup_free_ char *list = go_strings(c->nameservers);

		nano_err_cause(causes, "spec.dnsConfig.nameservers", "FieldValueInvalid",
		               "Invalid value: %s: must not have more than %d nameservers",
		               list ?: "[]string{...}", DNS_MAX_NAMESERVERS);
	}
	for (size_t i = 0; i < n_servers; i++) {
		snprintf(field, sizeof(field), "spec.dnsConfig.nameservers[%zu]", i);
		check_ip(causes, field, c->nameservers[i]);
	}
	joined = strv_join(c->searches, " ");
	if (n_searches > DNS_MAX_SEARCHES || (joined && strlen(joined) > DNS_MAX_SEARCH_CHARS)) {
		_cleanup_free_ char *list = go_strings(c->searches);

		if (n_searches > DNS_MAX_SEARCHES)
			nano_err_cause(causes, "spec.dnsConfig.searches", "FieldValueInvalid",
			               "Invalid value: %s: must not have more than %d search paths",
			               list ?: "[]string{...}", DNS_MAX_SEARCHES);
		if (joined && strlen(joined) > DNS_MAX_SEARCH_CHARS)
			nano_err_cause(causes, "spec.dnsConfig.searches", "FieldValueInvalid",
			               "Invalid value: %s: must not have more than %d characters "
			               "(including spaces) in the search list",
			               list ?: "[]string{...}", DNS_MAX_SEARCH_CHARS);
	}
	for (size_t i = 0; i < n_searches; i++) {
		_cleanup_free_ char *search = strdup(c->searches[i]);
		size_t len = search ? strlen(search) : 0;

		if (!search)
			continue;
		/* "it is fine to have a trailing dot" */
		if (len > 0 && search[len - 1] == '.')
			search[len - 1] = '\0';
		snprintf(field, sizeof(field), "spec.dnsConfig.searches[%zu]", i);
		check_subdomain(causes, field, search);
	}
	for (size_t i = 0; i < c->n_options; i++) {
		if (c->options[i].name && *c->options[i].name)
			continue;
		snprintf(field, sizeof(field), "spec.dnsConfig.options[%zu]", i);
		nano_err_cause(causes, field, "FieldValueRequired",
		               "Required value: Option.Name must not be empty");
	}
}

static struct spec_dns_config *read_dns_config(json_t *o)
{
	struct spec_dns_config *c = calloc(1, sizeof(*c));
	json_t *options = json_object_get(o, "options"), *v;
	size_t i;

	if (!c)
		return NULL;
	c->nameservers = read_strings(json_object_get(o, "nameservers"));
	c->searches = read_strings(json_object_get(o, "searches"));
	if (json_array_size(options) > 0)
		c->options = calloc(json_array_size(options), sizeof(*c->options));
	json_array_foreach(options, i, v)
	{
		const char *name = string_at(v, "name"), *value = string_at(v, "value");

		if (!c->options || !json_is_object(v))
			continue;
		c->options[c->n_options++] = (struct spec_dns_option){
		        .name = strdup(name ?: ""),
		        .value = value ? strdup(value) : NULL,
		};
	}
	return c;
}

static void read_host_aliases(json_t *a, struct spec_pod *pod, struct nano_err *causes)
{
	char field[FIELD_MAX];
	size_t i;
	json_t *v;

	if (json_array_size(a) == 0)
		return;
	pod->host_aliases = calloc(json_array_size(a), sizeof(*pod->host_aliases));
	json_array_foreach(a, i, v)
	{
		struct spec_host_alias *h;

		if (!pod->host_aliases || !json_is_object(v))
			continue;
		h = &pod->host_aliases[pod->n_host_aliases++];
		h->ip = strdup(string_at(v, "ip") ?: "");
		h->hostnames = read_strings(json_object_get(v, "hostnames"));
		snprintf(field, sizeof(field), "spec.hostAliases[%zu].ip", i);
		if (h->ip)
			check_ip(causes, field, h->ip);
		for (size_t j = 0; h->hostnames && h->hostnames[j]; j++) {
			snprintf(field, sizeof(field), "spec.hostAliases[%zu].hostnames[%zu]", i,
			         j);
			check_subdomain(causes, field, h->hostnames[j]);
		}
	}
}

void spec_pod_read_dns(json_t *spec, struct spec_pod *pod, struct nano_err *causes)
{
	json_t *config = json_object_get(spec, "dnsConfig");
	const char *subdomain = string_at(spec, "subdomain");

	pod->dns_policy = read_policy(spec, causes);
	if (json_is_object(config))
		pod->dns_config = read_dns_config(config);
	if (pod->dns_policy == SPEC_DNS_NONE && !pod->dns_config)
		nano_err_cause(causes, "spec.dnsConfig", "FieldValueRequired",
		               "Required value: must provide `dnsConfig` when `dnsPolicy` is None");
	else if (pod->dns_policy == SPEC_DNS_NONE && !strv_len(pod->dns_config->nameservers))
		nano_err_cause(causes, "spec.dnsConfig.nameservers", "FieldValueRequired",
		               "Required value: must provide at least one DNS nameserver when "
		               "`dnsPolicy` is None");
	else if (pod->dns_config)
		check_dns_config(pod->dns_config, causes);
	read_host_aliases(json_object_get(spec, "hostAliases"), pod, causes);
	if (subdomain && *subdomain) {
		pod->subdomain = strdup(subdomain);
		check_label(causes, "spec.subdomain", subdomain);
	}
}

void spec_pod_dns_done(struct spec_pod *pod)
{
	if (pod->dns_config) {
		strv_free(pod->dns_config->nameservers);
		strv_free(pod->dns_config->searches);
		for (size_t i = 0; i < pod->dns_config->n_options; i++) {
			free(pod->dns_config->options[i].name);
			free(pod->dns_config->options[i].value);
		}
		free(pod->dns_config->options);
		free(pod->dns_config);
	}
	for (size_t i = 0; i < pod->n_host_aliases; i++) {
		free(pod->host_aliases[i].ip);
		strv_free(pod->host_aliases[i].hostnames);
	}
	free(pod->host_aliases);
	free(pod->subdomain);
}
