/* daemon/config.c: nanoletd's settings — the embedded defaults, the YAML file over them, and
 * command-line flags over both. One table lists every key; a file value and a flag value go
 * through the same check, so a key cannot accept in one place what it refuses in the other.
 * Nothing here acts on a setting (no mkdir, no socket): main.c does, after everything is read. */
#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <string.h>
#include <sys/un.h>

#include "spec/spec.h"

/* A request body is buffered whole before it is decoded: more than this is never sensible. */
#define CONFIG_MAX_REQUEST_BYTES (INT64_C(1) << 30)
/* A config file larger than this is not a config file. */
#define CONFIG_MAX_FILE_BYTES (1 << 20)

enum key_type {
	KEY_PATH,          /* absolute filesystem path */
	KEY_SOCKET_PATH,   /* absolute path that fits in sockaddr_un.sun_path */
	KEY_CGROUP_PATH,   /* absolute cgroup path, or null for "under the daemon's own cgroup" */
	KEY_DRIVER,        /* auto | v2 | v1 */
	KEY_BYTES,         /* positive integer, or a quantity string ("1Mi") */
	KEY_PIDS,          /* positive integer, or -1 for no limit */
	KEY_LOG_LEVEL,     /* error | warning | info | debug */
	KEY_COUNT,         /* positive integer */
	KEY_SECONDS,       /* positive integer of seconds */
	KEY_OPTIONAL_PATH, /* absolute filesystem path, or null for the built-in choice */
	KEY_PERCENT,       /* integer from 1 to 100 */
	KEY_SECCOMP,       /* RuntimeDefault | Unconfined (or the kubelet's true | false) */
	KEY_BOOL,          /* true | false */
	KEY_FACTOR,        /* a number above 0, at most 1 */
	KEY_POD_SECURITY,  /* a mapping: levels and versions, per namespace too */
	KEY_GROUPS,        /* a list of group names (a flag: comma-separated) */
	KEY_SYSCTLS,       /* a list of namespaced sysctls or patterns (a flag: comma-separated) */
	KEY_NETWORK,       /* a mapping: mode, bridge, pod_cidr, mtu, masquerade */
	KEY_RESOLV_CONF,   /* absolute path, or "" (the kubelet's --resolv-conf="") */
	KEY_IPS,           /* a list of IP addresses (a flag: comma-separated) */
	KEY_DOMAIN,        /* a DNS subdomain, or "" for none */
	KEY_LISTEN,        /* an IP address and port ("[v6]:port"), or null (a flag: "") for none */
	KEY_REGISTRIES,    /* a mapping of registry domains to {mirrors, insecure} */
};

struct config_key {
	const char *name;
	enum key_type type;
	size_t offset;
	int64_t min, max; /* KEY_BYTES and KEY_COUNT: the range, when max is not 0 */
};

static const struct config_key config_keys[] = {
        {"socket", KEY_SOCKET_PATH, offsetof(struct nano_config, socket), 0, 0},
        {"state_dir", KEY_PATH, offsetof(struct nano_config, state_dir), 0, 0},
        {"run_dir", KEY_PATH, offsetof(struct nano_config, run_dir), 0, 0},
        {"log_dir", KEY_PATH, offsetof(struct nano_config, log_dir), 0, 0},
        {"cgroup_root", KEY_CGROUP_PATH, offsetof(struct nano_config, cgroup_root), 0, 0},
        {"cgroup_driver", KEY_DRIVER, offsetof(struct nano_config, cgroup_driver), 0, 0},
        {"max_request_bytes", KEY_BYTES, offsetof(struct nano_config, max_request_bytes), 0, 0},
        {"pod_pids_limit", KEY_PIDS, offsetof(struct nano_config, pod_pids_limit), 0, 0},
        {"log_level", KEY_LOG_LEVEL, offsetof(struct nano_config, log_level), 0, 0},
        {"max_pods", KEY_COUNT, offsetof(struct nano_config, max_pods), 0, 0},
        {"container_log_max_size", KEY_BYTES, offsetof(struct nano_config, container_log_max_size),
         0, 0},
        {"container_log_max_files", KEY_COUNT,
         offsetof(struct nano_config, container_log_max_files), 0, 0},
        {"crashloop_backoff_initial", KEY_SECONDS,
         offsetof(struct nano_config, crashloop_backoff_initial), 0, 0},
        {"crashloop_backoff_max", KEY_SECONDS, offsetof(struct nano_config, crashloop_backoff_max),
         0, 0},
        {"crashloop_backoff_reset", KEY_SECONDS,
         offsetof(struct nano_config, crashloop_backoff_reset), 0, 0},
        {"image_pull_backoff_initial", KEY_SECONDS,
         offsetof(struct nano_config, image_pull_backoff_initial), 0, 0},
        {"image_pull_backoff_max", KEY_SECONDS,
         offsetof(struct nano_config, image_pull_backoff_max), 0, 0},
        {"event_ttl", KEY_SECONDS, offsetof(struct nano_config, event_ttl), 0, 0},
        {"shim_path", KEY_OPTIONAL_PATH, offsetof(struct nano_config, shim_path), 0, 0},
        {"cpu_throttling_interval", KEY_SECONDS,
         offsetof(struct nano_config, cpu_throttling_interval), 0, 0},
        {"cpu_throttling_threshold", KEY_PERCENT,
         offsetof(struct nano_config, cpu_throttling_threshold), 0, 0},
        {"seccomp_default", KEY_SECCOMP, offsetof(struct nano_config, seccomp_default_unconfined),
         0, 0},
        {"seccomp_profile_root", KEY_OPTIONAL_PATH,
         offsetof(struct nano_config, seccomp_profile_root), 0, 0},
        {"max_connections", KEY_COUNT, offsetof(struct nano_config, max_connections), 1, 1000000},
        {"http_idle_timeout", KEY_SECONDS, offsetof(struct nano_config, http_idle_timeout), 0, 0},
        {"http_header_timeout", KEY_SECONDS, offsetof(struct nano_config, http_header_timeout), 0,
         0},
        /* the URL, header and warning bounds size libmicrohttpd's memory per connection */
        {"max_url_bytes", KEY_BYTES, offsetof(struct nano_config, max_url_bytes), 256, 1 << 20},
        {"max_header_bytes", KEY_BYTES, offsetof(struct nano_config, max_header_bytes), 1024,
         1 << 20},
        {"max_header_count", KEY_COUNT, offsetof(struct nano_config, max_header_count), 1, 10000},
        {"max_warning_bytes", KEY_BYTES, offsetof(struct nano_config, max_warning_bytes), 512,
         1 << 20},
        {"max_log_follows", KEY_COUNT, offsetof(struct nano_config, max_log_follows), 1, 1000000},
        {"watch_history", KEY_COUNT, offsetof(struct nano_config, watch_history), 16, 1000000},
        {"stream_buffer_bytes", KEY_BYTES, offsetof(struct nano_config, stream_buffer_bytes), 4096,
         64 << 20},
        {"max_pod_containers", KEY_COUNT, offsetof(struct nano_config, max_pod_containers), 1,
         100000},
        {"memory_qos", KEY_BOOL, offsetof(struct nano_config, memory_qos), 0, 0},
        {"allowed_unsafe_sysctls", KEY_SYSCTLS,
         offsetof(struct nano_config, allowed_unsafe_sysctls), 0, 0},
        {"memory_throttling_factor", KEY_FACTOR,
         offsetof(struct nano_config, memory_throttling_factor), 0, 0},
        {"pod_security", KEY_POD_SECURITY, offsetof(struct nano_config, pod_security), 0, 0},
        {"api_write_groups", KEY_GROUPS, offsetof(struct nano_config, api_write_groups), 0, 0},
        {"api_read_groups", KEY_GROUPS, offsetof(struct nano_config, api_read_groups), 0, 0},
        {"audit_log_max_size", KEY_BYTES, offsetof(struct nano_config, audit_log_max_size), 4096,
         INT64_C(1) << 40},
        {"audit_log_max_files", KEY_COUNT, offsetof(struct nano_config, audit_log_max_files), 1,
         1000},
        {"network", KEY_NETWORK, offsetof(struct nano_config, network), 0, 0},
        {"resolv_conf", KEY_RESOLV_CONF, offsetof(struct nano_config, resolv_conf), 0, 0},
        {"cluster_dns", KEY_IPS, offsetof(struct nano_config, cluster_dns), 0, 0},
        {"cluster_domain", KEY_DOMAIN, offsetof(struct nano_config, cluster_domain), 0, 0},
        {"listen", KEY_LISTEN, offsetof(struct nano_config, listen), 0, 0},
        {"image_gc_high_threshold_percent", KEY_PERCENT,
         offsetof(struct nano_config, image_gc_high_threshold), 0, 0},
        {"image_gc_low_threshold_percent", KEY_PERCENT,
         offsetof(struct nano_config, image_gc_low_threshold), 0, 0},
        {"image_minimum_gc_age", KEY_SECONDS, offsetof(struct nano_config, image_minimum_gc_age), 0,
         0},
        {"max_image_archive_bytes", KEY_BYTES,
         offsetof(struct nano_config, max_image_archive_bytes), 1024, INT64_C(1) << 50},
        {"registries", KEY_REGISTRIES, offsetof(struct nano_config, registries), 0, 0},
        {"registry_auth_file", KEY_OPTIONAL_PATH, offsetof(struct nano_config, registry_auth_file),
         0, 0},
        {"image_pull_timeout", KEY_SECONDS, offsetof(struct nano_config, image_pull_timeout), 0, 0},
};

static const char *const driver_names[] = {
        [CONFIG_CGROUP_AUTO] = "auto",
        [CONFIG_CGROUP_V2] = "v2",
        [CONFIG_CGROUP_V1] = "v1",
};

const char *config_cgroup_driver_name(enum config_cgroup_driver driver)
{
	if ((size_t)driver >= ELEMENTSOF(driver_names))
		return "unknown";
	return driver_names[driver];
}

static void pod_security_namespaces_free(struct config_pod_security *ps)
{
	for (size_t i = 0; i < ps->n_namespaces; i++)
		free(ps->namespaces[i].name);
	free(ps->namespaces);
	ps->namespaces = NULL;
	ps->n_namespaces = 0;
}

static void registries_free(struct config_registry *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].domain);
		strv_free(r[i].mirrors);
	}
	free(r);
}

int config_init(struct nano_config *config)
{
	*config = (struct nano_config){
	        .socket = strdup("/run/nanolet/nanolet.sock"),
	        .state_dir = strdup("/var/lib/nanolet"),
	        .run_dir = strdup("/run/nanolet"),
	        .log_dir = strdup("/var/log/nanolet"),
	        .cgroup_root = NULL,
	        .cgroup_driver = CONFIG_CGROUP_AUTO,
	        .max_request_bytes = 1048576,
	        .pod_pids_limit = 4096,
	        .log_level = LOG_LEVEL_INFO,
	        .max_pods = 110,
	        .container_log_max_size = 10 * 1024 * 1024,
	        .container_log_max_files = 5,
	        .crashloop_backoff_initial = 10,
	        .crashloop_backoff_max = 300,
	        .crashloop_backoff_reset = 600,
	        .image_pull_backoff_initial = 10,
	        .image_pull_backoff_max = 300,
	        .event_ttl = 3600,
	        .cpu_throttling_interval = 10,
	        .cpu_throttling_threshold = 25,
	        .shim_path = NULL,
	        .max_connections = 1000,
	        .http_idle_timeout = 60,
	        .http_header_timeout = 10,
	        .max_url_bytes = 8 * 1024,
	        .max_header_bytes = 32 * 1024,
	        .max_header_count = 100,
	        .max_warning_bytes = 4 * 1024,
	        .max_log_follows = 100,
	        .watch_history = 1024,
	        .stream_buffer_bytes = 64 * 1024,
	        .max_pod_containers = 256,
	        .image_gc_high_threshold = 85,
	        .image_gc_low_threshold = 80,
	        .image_minimum_gc_age = 120,
	        .max_image_archive_bytes = INT64_C(8) << 30,
	        .memory_qos = false,
	        .memory_throttling_factor = 0.9,
	        /* pod-security-admission's own defaults are privileged everywhere; a node warns
	         * (and audits) at baseline, so that nothing breaks and every user sees what their
	         * pods would fail */
	        .pod_security.defaults =
	                {
	                        .enforce = {SECURITY_PSS_PRIVILEGED, SECURITY_PSS_LATEST, true,
	                                    true},
	                        .warn = {SECURITY_PSS_BASELINE, SECURITY_PSS_LATEST, true, true},
	                        .audit = {SECURITY_PSS_BASELINE, SECURITY_PSS_LATEST, true, true},
	                },
	        .audit_log_max_size = 100 * 1024 * 1024,
	        .audit_log_max_files = 5,
	        /* 198.18.0.0/15 is reserved for benchmarking networks (RFC 2544): no private
	         * network a node sits in uses it, so pods never shadow the node's own routes */
	        .network = {.bridge = strdup("nanolet0"),
	                    .cidr = {.network = 0xc6120000, .prefix = 16},
	                    .mtu = 1500,
	                    .masquerade = true},
	        .resolv_conf = strdup("/etc/resolv.conf"),
	        .cluster_domain = strdup("cluster.local"),
	        .image_pull_timeout = 60,
	};
	if (!config->socket || !config->state_dir || !config->run_dir || !config->log_dir ||
	    !config->network.bridge || !config->resolv_conf || !config->cluster_domain ||
	    strv_push(&config->api_write_groups, strdup("nanolet")) < 0) {
		config_done(config);
		return -ENOMEM;
	}
	return 0;
}

void config_done(struct nano_config *config)
{
	if (!config)
		return;
	free(config->socket);
	free(config->state_dir);
	free(config->run_dir);
	free(config->log_dir);
	free(config->cgroup_root);
	free(config->shim_path);
	free(config->seccomp_profile_root);
	free(config->network.bridge);
	pod_security_namespaces_free(&config->pod_security);
	strv_free(config->api_write_groups);
	strv_free(config->api_read_groups);
	strv_free(config->allowed_unsafe_sysctls);
	free(config->resolv_conf);
	strv_free(config->cluster_dns);
	free(config->cluster_domain);
	free(config->listen);
	registries_free(config->registries, config->n_registries);
	free(config->registry_auth_file);
	*config = (struct nano_config){0};
}

static const struct config_key *key_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(config_keys); i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

/* The value as the file spelled it, for messages: "12", "\"v3\"", "true". */
static char *value_text(const json_t *value)
{
	char *s = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);

	return s ? s : strdup("?");
}

static int want(struct nano_err *err, const json_t *value, const char *allowed)
{
	_cleanup_free_ char *got = value_text(value);

	return nano_err_set(err, EINVAL, "must be %s, got %s", allowed, got);
}

/* A JSON string without embedded NULs, or NULL. */
static const char *plain_string(const json_t *value)
{
	const char *s = json_string_value(value);

	if (!s || strlen(s) != json_string_length(value))
		return NULL;
	return s;
}

static int set_string(char **field, const char *s)
{
	char *copy = strdup(s);

	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

static int set_path(char **field, const json_t *value, bool socket, struct nano_err *err)
{
	const char *s = plain_string(value);

	if (!s || s[0] != '/')
		return want(err, value, "an absolute path");
	if (socket && strlen(s) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
		return want(err, value,
		            "a path shorter than 108 bytes (the limit of a unix socket)");
	return set_string(field, s);
}

/* Whether a path has a ".." component: a cgroup root must not climb out of where it points. */
static bool has_dotdot(const char *s)
{
	for (const char *p = s; (p = strstr(p, "..")); p += 2)
		if ((p == s || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
			return true;
	return false;
}

static int set_cgroup_path(char **field, const json_t *value, struct nano_err *err)
{
	const char *s;

	if (json_is_null(value)) {
		free(*field);
		*field = NULL;
		return 0;
	}
	s = plain_string(value);
	if (!s || s[0] != '/' || has_dotdot(s))
		return want(err, value,
		            "an absolute cgroup path such as \"/nanolet\" without \"..\", or null");
	return set_string(field, s);
}

static int set_driver(enum config_cgroup_driver *field, const json_t *value, struct nano_err *err)
{
	const char *s = plain_string(value);

	for (size_t i = 0; s && i < ELEMENTSOF(driver_names); i++)
		if (strcmp(s, driver_names[i]) == 0) {
			*field = (enum config_cgroup_driver)i;
			return 0;
		}
	return want(err, value, "one of auto, v2, v1");
}

static int set_positive(int64_t *field, const json_t *value, const char *allowed,
                        struct nano_err *err)
{
	if (!json_is_integer(value) || json_integer_value(value) < 1)
		return want(err, value, allowed);
	*field = json_integer_value(value);
	return 0;
}

static int set_bytes(int64_t *field, const json_t *value, int64_t min, int64_t max,
                     struct nano_err *err)
{
	_cleanup_free_ char *allowed = NULL;
	const char *s = plain_string(value);
	int64_t n;

	if (max == 0)
		min = 1, max = CONFIG_MAX_REQUEST_BYTES;
	allowed = strdupf("a byte count from %" PRId64 " to %" PRId64
	                  ", as an integer or a quantity such as \"1Mi\"",
	                  min, max);
	if (!allowed)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (json_is_integer(value))
		n = json_integer_value(value);
	else if (!s || spec_quantity_parse(s, 1, &n) < 0)
		return want(err, value, allowed);
	if (n < min || n > max)
		return want(err, value, allowed);
	*field = n;
	return 0;
}

static int set_count(int64_t *field, const json_t *value, int64_t min, int64_t max,
                     struct nano_err *err)
{
	_cleanup_free_ char *allowed = NULL;

	if (max == 0)
		return set_positive(field, value, "a positive integer", err);
	allowed = strdupf("an integer from %" PRId64 " to %" PRId64, min, max);
	if (!allowed)
		return nano_err_set(err, ENOMEM, "out of memory");
	if (!json_is_integer(value) || json_integer_value(value) < min ||
	    json_integer_value(value) > max)
		return want(err, value, allowed);
	*field = json_integer_value(value);
	return 0;
}

static int set_pids(int64_t *field, const json_t *value, struct nano_err *err)
{
	int64_t n;

	if (!json_is_integer(value))
		return want(err, value, "a positive integer, or -1 for no limit");
	n = json_integer_value(value);
	if (n < 1 && n != -1)
		return want(err, value, "a positive integer, or -1 for no limit");
	*field = n;
	return 0;
}

static int set_optional_path(char **field, const json_t *value, struct nano_err *err)
{
	if (json_is_null(value)) {
		free(*field);
		*field = NULL;
		return 0;
	}
	return set_path(field, value, false, err);
}

static int set_log_level(enum log_level *field, const json_t *value, struct nano_err *err)
{
	const char *s = plain_string(value);

	if (!s || log_level_from_string(s, field) < 0)
		return want(err, value, "one of error, warning, info, debug");
	return 0;
}

/* The kubelet's --seccomp-default is a boolean (true: RuntimeDefault); the profile's own name
 * says the same more plainly. */
static int set_seccomp(bool *unconfined, const json_t *value, struct nano_err *err)
{
	const char *s = plain_string(value);

	if (json_is_true(value) ||
	    (s && (strcmp(s, "RuntimeDefault") == 0 || strcmp(s, "true") == 0)))
		*unconfined = false;
	else if (json_is_false(value) ||
	         (s && (strcmp(s, "Unconfined") == 0 || strcmp(s, "false") == 0)))
		*unconfined = true;
	else
		return want(err, value,
		            "RuntimeDefault or Unconfined (or true or false, as the "
		            "kubelet's --seccomp-default)");
	return 0;
}

/* A flag's "true"/"false" is text; the file's is a boolean. */
static int set_bool(bool *field, const json_t *value, struct nano_err *err)
{
	const char *s = plain_string(value);

	if (json_is_boolean(value))
		*field = json_is_true(value);
	else if (s && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
		*field = strcmp(s, "true") == 0;
	else
		return want(err, value, "true or false");
	return 0;
}

/* The kubelet's memoryThrottlingFactor: above 0, at most 1.0. */
static int set_factor(double *field, const json_t *value, struct nano_err *err)
{
	const char *s = plain_string(value);
	double f;
	char *end;

	if (json_is_number(value)) {
		f = json_number_value(value);
	} else if (s && *s) {
		errno = 0;
		f = strtod(s, &end);
		if (*end || errno)
			return want(err, value, "a number above 0 and at most 1, such as 0.9");
	} else {
		return want(err, value, "a number above 0 and at most 1, such as 0.9");
	}
	if (!(f > 0 && f <= 1))
		return want(err, value, "a number above 0 and at most 1, such as 0.9");
	*field = f;
	return 0;
}

/* "baseline" and "v1.30": one mode of a policy, from the keys MODE and MODE_version. */
static int set_pss_mode(struct config_pss_mode *mode, const char *name, const json_t *value,
                        struct nano_err *err)
{
	const char *s = plain_string(value);

	if (strchr(name, '_')) { /* enforce_version */
		if (!s || security_pss_version_parse(s, &mode->version) < 0)
			return want(err, value, "\"latest\" or a version such as \"v1.30\"");
		mode->version_set = true;
	} else {
		if (!s || security_pss_level_parse(s, &mode->level) < 0)
			return want(err, value, "one of privileged, baseline, restricted");
		mode->level_set = true;
	}
	return 0;
}

/* The keys of a policy (enforce, enforce_version, warn, ...) onto p; anything else -EINVAL. */
static int set_pss_policy(struct config_pss_policy *p, const json_t *value, bool top,
                          struct nano_err *err)
{
	static const char *const modes[] = {"enforce", "warn", "audit"};
	const char *key;
	json_t *v;

	if (!json_is_object(value))
		return want(err, value,
		            "a mapping of enforce, warn, audit and their _version keys");
	json_object_foreach((json_t *)value, key, v)
	{
		struct config_pss_mode *targets[] = {&p->enforce, &p->warn, &p->audit};
		bool known = false;
		int r = 0;

		if (top && strcmp(key, "namespaces") == 0)
			continue;
		for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
			size_t len = strlen(modes[i]);

			if (strncmp(key, modes[i], len) == 0 &&
			    (key[len] == '\0' || strcmp(key + len, "_version") == 0)) {
				known = true;
				r = set_pss_mode(targets[i], key, v, err);
			}
		}
		if (!known)
			return nano_err_set(err, EINVAL,
			                    "unknown key \"%s\" (enforce, enforce_version, warn, "
			                    "warn_version, audit, audit_version%s)",
			                    key, top ? ", namespaces" : "");
		if (r < 0)
			return nano_err_wrap(err, "%s", key);
	}
	return 0;
}

/* pod_security: the defaults' keys over what is set, and namespaces (when given) replacing the
 * overrides. A flag's value is the same mapping as YAML text: --pod-security '{enforce:
 * baseline}'. */
static int set_pod_security(struct config_pod_security *ps, const json_t *value,
                            struct nano_err *err)
{
	_cleanup_json_ json_t *parsed = NULL;
	struct config_pod_security next = {.defaults = ps->defaults};
	const char *s = plain_string(value), *ns;
	json_t *namespaces, *v;
	int r;

	if (s) {
		r = spec_yaml_to_json(s, strlen(s), &parsed, err);
		if (r < 0)
			return r;
		value = parsed;
	}
	r = set_pss_policy(&next.defaults, value, true, err);
	if (r < 0)
		return r;
	namespaces = json_object_get(value, "namespaces");
	if (!namespaces) {
		ps->defaults = next.defaults;
		return 0;
	}
	if (!json_is_object(namespaces) && !json_is_null(namespaces))
		return want(err, namespaces, "a mapping of namespaces to policies (namespaces)");
	next.namespaces = calloc(json_object_size(namespaces) + 1, sizeof(*next.namespaces));
	if (!next.namespaces)
		return nano_err_set(err, ENOMEM, "out of memory");
	json_object_foreach(namespaces, ns, v)
	{
		struct config_pss_namespace *n = &next.namespaces[next.n_namespaces];

		n->name = strdup(ns);
		if (!n->name) {
			pod_security_namespaces_free(&next);
			return nano_err_set(err, ENOMEM, "out of memory");
		}
		next.n_namespaces++;
		r = set_pss_policy(&n->policy, v, false, err);
		if (r < 0) {
			pod_security_namespaces_free(&next);
			return nano_err_wrap(err, "namespaces: %s", ns);
		}
	}
	pod_security_namespaces_free(ps);
	*ps = next;
	return 0;
}

static void override_mode(struct config_pss_mode *out, const struct config_pss_mode *o)
{
	if (o->level_set) {
		out->level = o->level;
		out->version = o->version_set ? o->version : SECURITY_PSS_LATEST;
	} else if (o->version_set) {
		out->version = o->version;
	}
}

void config_pod_security_for(const struct config_pod_security *ps, const char *ns,
                             struct config_pss_policy *out)
{
	*out = ps->defaults;
	for (size_t i = 0; ns && i < ps->n_namespaces; i++) {
		const struct config_pss_policy *o = &ps->namespaces[i].policy;

		if (strcmp(ps->namespaces[i].name, ns) != 0)
			continue;
		override_mode(&out->enforce, &o->enforce);
		override_mode(&out->warn, &o->warn);
		override_mode(&out->audit, &o->audit);
	}
}

/* A group name as groupadd takes it: no separators, not empty. */
static bool is_group_name(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (*p == ',' || *p == ':' || *p == '/' || (unsigned char)*p <= ' ')
			return false;
	return true;
}

/* A list of strings, each one check() takes (0, or -errno with err set): a YAML sequence, or a
 * flag's "a,b" ("" for none); null for none. Nothing is taken unless every entry is good. */
static int set_list(char ***field, const json_t *value, const char *allowed,
                    int (*check)(const char *entry, const json_t *value, const char *allowed,
                                 struct nano_err *err),
                    struct nano_err *err)
{
	_cleanup_strv_ char **list = NULL;
	const char *s = plain_string(value);
	json_t *item;
	size_t i;

	if (s) {
		_cleanup_free_ char *copy = strdup(s);
		char *save = NULL;

		if (!copy)
			return nano_err_set(err, ENOMEM, "out of memory");
		for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			int r = check(t, value, allowed, err);

			if (r < 0)
				return r;
			if (strv_push(&list, strdup(t)) < 0)
				return nano_err_set(err, ENOMEM, "out of memory");
		}
	} else if (json_is_array(value)) {
		json_array_foreach(value, i, item)
		{
			const char *entry = plain_string(item);
			int r = entry ? check(entry, value, allowed, err)
			              : want(err, value, allowed);

			if (r < 0)
				return r;
			if (strv_push(&list, strdup(entry)) < 0)
				return nano_err_set(err, ENOMEM, "out of memory");
		}
	} else if (!json_is_null(value)) {
		return want(err, value, allowed);
	}
	strv_free(*field);
	*field = TAKE_PTR(list);
	return 0;
}

static int check_group(const char *entry, const json_t *value, const char *allowed,
                       struct nano_err *err)
{
	return is_group_name(entry) ? 0 : want(err, value, allowed);
}

/* The kubelet's --cluster-dns: IP addresses. */
static int check_ip(const char *entry, const json_t *value, const char *allowed,
                    struct nano_err *err)
{
	return spec_ip_valid(entry) ? 0 : want(err, value, allowed);
}

/* One entry of allowed_unsafe_sysctls, checked as the kubelet checks --allowed-unsafe-sysctls
 * when it starts (NewAllowlist): a name or a pattern ending in '*', of a namespaced sysctl. */
static int check_sysctl(const char *entry, const json_t *value, const char *allowed,
                        struct nano_err *err)
{
	_cleanup_free_ char *refusal = security_sysctl_pattern_error(entry);

	(void)value;
	(void)allowed;
	return refusal ? nano_err_set(err, EINVAL, "%s", refusal) : 0;
}

/* The kubelet's --resolv-conf: the file a Default pod's resolv.conf is made from, or "" for
 * none (a resolver on the node itself). */
static int set_resolv_conf(char **field, const json_t *value, struct nano_err *err)
{
	const char *s = plain_string(value);

	if (s && !*s)
		return set_string(field, s);
	return set_path(field, value, false, err) < 0
	               ? want(err, value, "an absolute path, or \"\" for a resolver on the node")
	               : 0;
}

/* The kubelet's --cluster-domain: what ClusterFirst searches and a subdomain's name end in. */
static int set_domain(char **field, const json_t *value, struct nano_err *err)
{
	const char *s = plain_string(value);

	if (!s || (*s && !spec_dns_subdomain_valid(s)))
		return want(err, value, "a DNS name such as \"cluster.local\", or \"\" for none");
	return set_string(field, s);
}

/* network: its keys over what is set. A flag's value is the same mapping as YAML text:
 * --network '{pod_cidr: 198.18.0.0/24}'. Nothing is taken unless every key is good. */
static int set_network(struct config_network *net, const json_t *value, struct nano_err *err)
{
	_cleanup_json_ json_t *parsed = NULL;
	struct config_network next = *net;
	const char *s = plain_string(value), *key;
	json_t *v;
	int r;

	if (s) {
		r = spec_yaml_to_json(s, strlen(s), &parsed, err);
		if (r < 0)
			return r;
		value = parsed;
	}
	if (!json_is_object(value))
		return want(err, value, "a mapping of mode, bridge, pod_cidr, mtu and masquerade");
	json_object_foreach((json_t *)value, key, v)
	{
		if (strcmp(key, "mode") == 0) {
			s = plain_string(v);
			if (!s || (strcmp(s, "bridge") != 0 && strcmp(s, "none") != 0)) {
				want(err, v, "bridge or none");
				return nano_err_wrap(err, "mode");
			}
			next.none = strcmp(s, "none") == 0;
		} else if (strcmp(key, "bridge") == 0) {
			s = plain_string(v);
			if (!s || !net_ifname_valid(s)) {
				want(err, v,
				     "a link name of 1 to 15 bytes without '/', ':' or spaces");
				return nano_err_wrap(err, "bridge");
			}
			next.bridge = (char *)s;
		} else if (strcmp(key, "pod_cidr") == 0) {
			s = plain_string(v);
			if (!s) {
				want(err, v, "an IPv4 CIDR such as 198.18.0.0/16");
				return nano_err_wrap(err, "pod_cidr");
			}
			r = net_cidr_parse(s, &next.cidr, err);
			if (r < 0)
				return nano_err_wrap(err, "pod_cidr");
		} else if (strcmp(key, "mtu") == 0) {
			/* 68: the least IPv4 allows (RFC 791); 65535: the most a veth takes */
			r = set_count(&next.mtu, v, 68, 65535, err);
			if (r < 0)
				return nano_err_wrap(err, "mtu");
		} else if (strcmp(key, "masquerade") == 0) {
			r = set_bool(&next.masquerade, v, err);
			if (r < 0)
				return nano_err_wrap(err, "masquerade");
		} else {
			return nano_err_set(
			        err, EINVAL,
			        "unknown key \"%s\" (mode, bridge, pod_cidr, mtu, masquerade)",
			        key);
		}
	}
	if (next.bridge != net->bridge) {
		char *copy = strdup(next.bridge);

		if (!copy)
			return nano_err_set(err, ENOMEM, "out of memory");
		free(net->bridge);
		next.bridge = copy;
	}
	*net = next;
	return 0;
}

/* A mirror: "https://host[:port][/path]" or "http://...", as containerd's hosts.toml writes a
 * host; no query, no fragment, no space. */
static bool mirror_valid(const char *s)
{
	const char *host;

	if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else
		return false;
	return *host && *host != '/' && !strpbrk(s, " \t?#@");
}

/* A registry domain as a reference spells it: "docker.io", "quay.io", "127.0.0.1:5000",
 * "[::1]:5000"; no scheme, no path. */
static bool registry_domain_valid(const char *s)
{
	return *s && !strpbrk(s, "/ \t@") && strlen(s) <= 255;
}

/* registries: {"docker.io": {mirrors: ["https://mirror.example"]}, "10.0.0.5:5000":
 * {insecure: true}} (a flag: the same as YAML) */
static int set_registries(struct nano_config *config, const json_t *value, struct nano_err *err)
{
	_cleanup_json_ json_t *parsed = NULL;
	struct config_registry *regs = NULL;
	size_t n = 0;
	const char *s = plain_string(value), *domain;
	json_t *entry;
	int r;

	if (s) {
		r = spec_yaml_to_json(s, strlen(s), &parsed, err);
		if (r < 0)
			return r;
		value = parsed;
	}
	if (json_is_null(value))
		value = NULL;
	if (value && !json_is_object(value))
		return want(err, value,
		            "a mapping of registry domains to {mirrors: [...], insecure: bool}");
	regs = calloc(value ? json_object_size(value) + 1 : 1, sizeof(*regs));
	if (!regs)
		return nano_err_set(err, ENOMEM, "out of memory");
	json_object_foreach((json_t *)value, domain, entry)
	{
		struct config_registry *reg = &regs[n++];
		const char *key;
		json_t *v;

		if (!registry_domain_valid(domain)) {
			registries_free(regs, n);
			return nano_err_set(err, EINVAL,
			                    "\"%s\" is not a registry domain (host[:port], as in "
			                    "references)",
			                    domain);
		}
		reg->domain = strdup(domain);
		if (!reg->domain) {
			registries_free(regs, n);
			return nano_err_set(err, ENOMEM, "out of memory");
		}
		if (json_is_null(entry))
			continue;
		if (!json_is_object(entry)) {
			want(err, entry, "a mapping of mirrors and insecure");
			registries_free(regs, n);
			return nano_err_wrap(err, "%s", domain);
		}
		json_object_foreach(entry, key, v)
		{
			if (strcmp(key, "insecure") == 0) {
				r = set_bool(&reg->insecure, v, err);
			} else if (strcmp(key, "mirrors") == 0) {
				size_t i;
				json_t *m;

				r = 0;
				if (!json_is_array(v))
					r = want(err, v,
					         "a list of \"https://host[:port][/path]\"");
				json_array_foreach(v, i, m)
				{
					const char *url = plain_string(m);

					if (r < 0)
						break;
					if (!url || !mirror_valid(url))
						r = want(err, m,
						         "a mirror URL such as "
						         "\"https://mirror.example:5000\"");
					else if (strv_push(&reg->mirrors, strdup(url)) < 0)
						r = nano_err_set(err, ENOMEM, "out of memory");
				}
			} else {
				r = nano_err_set(err, EINVAL,
				                 "unknown key \"%s\" (mirrors, insecure)", key);
			}
			if (r < 0) {
				registries_free(regs, n);
				return nano_err_wrap(err, "%s", domain);
			}
		}
	}
	registries_free(config->registries, config->n_registries);
	config->registries = regs;
	config->n_registries = n;
	return 0;
}

int config_listen_parse(const char *listen, struct config_listen *out)
{
	const char *colon, *host = listen;
	size_t host_len;
	char *end;
	unsigned long port;
	unsigned char addr[16];

	*out = (struct config_listen){0};
	if (!listen)
		return -EINVAL;
	colon = strrchr(listen, ':');
	if (!colon || colon == listen)
		return -EINVAL;
	host_len = (size_t)(colon - listen);
	if (listen[0] == '[') { /* [::1]:6443, as a URL writes an IPv6 address */
		if (host_len < 3 || listen[host_len - 1] != ']')
			return -EINVAL;
		host++;
		host_len -= 2;
		out->family = AF_INET6;
	} else {
		out->family = AF_INET;
	}
	if (host_len >= sizeof(out->host))
		return -EINVAL;
	memcpy(out->host, host, host_len);
	out->host[host_len] = '\0';
	if (inet_pton(out->family, out->host, addr) != 1)
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end || errno || port == 0 || port > 65535)
		return -EINVAL;
	out->port = (uint16_t)port;
	return 0;
}

/* listen: "127.0.0.1:6443", "[::1]:6443"; null, or a flag's "", for none. */
static int set_listen(char **field, const json_t *value, struct nano_err *err)
{
	struct config_listen parsed;
	const char *s = plain_string(value);

	if (json_is_null(value) || (s && !*s)) {
		free(*field);
		*field = NULL;
		return 0;
	}
	if (!s || config_listen_parse(s, &parsed) < 0)
		return want(err, value,
		            "an IP address and port such as 127.0.0.1:6443 or [::1]:6443, or null");
	return set_string(field, s);
}

static int key_set(struct nano_config *config, const struct config_key *key, const json_t *value,
                   struct nano_err *err)
{
	void *field = (char *)config + key->offset;

	switch (key->type) {
	case KEY_PATH:
		return set_path(field, value, false, err);
	case KEY_SOCKET_PATH:
		return set_path(field, value, true, err);
	case KEY_CGROUP_PATH:
		return set_cgroup_path(field, value, err);
	case KEY_DRIVER:
		return set_driver(field, value, err);
	case KEY_BYTES:
		return set_bytes(field, value, key->min, key->max, err);
	case KEY_PIDS:
		return set_pids(field, value, err);
	case KEY_LOG_LEVEL:
		return set_log_level(field, value, err);
	case KEY_COUNT:
		return set_count(field, value, key->min, key->max, err);
	case KEY_SECONDS:
		return set_positive(field, value, "a whole number of seconds, at least 1", err);
	case KEY_OPTIONAL_PATH:
		return set_optional_path(field, value, err);
	case KEY_PERCENT:
		if (json_is_integer(value) && json_integer_value(value) > 100)
			return want(err, value, "a percentage from 1 to 100");
		return set_positive(field, value, "a percentage from 1 to 100", err);
	case KEY_SECCOMP:
		return set_seccomp(field, value, err);
	case KEY_BOOL:
		return set_bool(field, value, err);
	case KEY_FACTOR:
		return set_factor(field, value, err);
	case KEY_POD_SECURITY:
		return set_pod_security(field, value, err);
	case KEY_GROUPS:
		return set_list(field, value, "a list of group names (a flag: comma-separated)",
		                check_group, err);
	case KEY_SYSCTLS:
		return set_list(field, value, "a list of sysctls (a flag: comma-separated)",
		                check_sysctl, err);
	case KEY_NETWORK:
		return set_network(field, value, err);
	case KEY_RESOLV_CONF:
		return set_resolv_conf(field, value, err);
	case KEY_IPS:
		return set_list(field, value, "a list of IP addresses (a flag: comma-separated)",
		                check_ip, err);
	case KEY_DOMAIN:
		return set_domain(field, value, err);
	case KEY_LISTEN:
		return set_listen(field, value, err);
	case KEY_REGISTRIES:
		return set_registries(config, value, err);
	}
	return nano_err_set(err, EINVAL, "unhandled key type");
}

static int read_file(const char *path, char **out, size_t *out_len, struct nano_err *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (!f)
		return nano_err_set(err, errno, "config %s: %s", path, strerror(errno));
	buf = malloc(CONFIG_MAX_FILE_BYTES + 1);
	if (!buf)
		return nano_err_set(err, ENOMEM, "config %s: out of memory", path);
	len = fread(buf, 1, CONFIG_MAX_FILE_BYTES + 1, f);
	if (ferror(f))
		return nano_err_set(err, EIO, "config %s: read error", path);
	if (len > CONFIG_MAX_FILE_BYTES)
		return nano_err_set(err, EFBIG, "config %s: larger than %d bytes", path,
		                    CONFIG_MAX_FILE_BYTES);
	buf[len] = '\0';
	*out = TAKE_PTR(buf);
	*out_len = len;
	return 0;
}

int config_load_file(struct nano_config *config, const char *path, struct nano_err *err)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_json_ json_t *doc = NULL;
	const char *name;
	json_t *value;
	size_t len = 0;
	int r;

	r = read_file(path, &buf, &len, err);
	if (r < 0)
		return r;
	r = spec_yaml_to_json(buf, len, &doc, err);
	if (r < 0)
		return nano_err_wrap(err, "config %s", path);
	/* An empty file (or one with only comments) is a YAML null: the defaults stand. */
	if (!doc || json_is_null(doc))
		return 0;
	if (!json_is_object(doc))
		return nano_err_set(err, EINVAL, "config %s: must be a mapping of keys to values",
		                    path);
	json_object_foreach(doc, name, value)
	{
		const struct config_key *key = key_find(name);

		if (!key)
			return nano_err_set(err, EINVAL, "config %s: unknown key \"%s\"", path,
			                    name);
		r = key_set(config, key, value, err);
		if (r < 0)
			return nano_err_wrap(err, "config %s: %s", path, name);
	}
	return 0;
}

int config_apply_flag(struct nano_config *config, const char *name, const char *value,
                      struct nano_err *err)
{
	_cleanup_free_ char *key_name = strdup(name);
	_cleanup_json_ json_t *json = NULL;
	const struct config_key *key;
	char *end;
	long long n;
	int r;

	if (!key_name)
		return -ENOMEM;
	for (char *p = key_name; *p; p++)
		if (*p == '-')
			*p = '_';
		else if (*p == '_')
			*p = '-'; /* --state_dir is not a flag: keep it from matching */
	key = key_find(key_name);
	if (!key)
		return nano_err_set(err, EINVAL, "--%s: unknown flag", name);
	/* A flag is text; numbers are numbers when the whole argument is one. */
	errno = 0;
	n = strtoll(value, &end, 10);
	if ((key->type == KEY_BYTES || key->type == KEY_PIDS || key->type == KEY_COUNT ||
	     key->type == KEY_SECONDS || key->type == KEY_PERCENT) &&
	    *value && !*end && errno == 0)
		json = json_integer(n);
	else
		json = json_string(value);
	if (!json)
		return nano_err_set(err, EINVAL, "--%s: not valid UTF-8", name);
	r = key_set(config, key, json, err);
	if (r < 0)
		return nano_err_wrap(err, "--%s", name);
	return 0;
}
