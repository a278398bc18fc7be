/* tests/unit/test_config.c: nanoletd's settings — defaults, the YAML file, flags over the file.
 *
 * Two tables: file rows (the file's text, the return code, a piece of the message, and what the
 * config must hold after), flag rows (flag name and value, likewise). Then the shipped
 * configs/nanolet.yaml must equal the defaults, and a flag must win over the file.
 * This file must not start a daemon or touch /etc: files live in a temporary directory.
 */
#include <check.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"

static char tmpdir[] = "/tmp/nanolet-test-config-XXXXXX";

/* What a row expects to find in the config after loading; NULL/0 fields are not checked. */
struct expect {
	const char *socket;
	const char *state_dir;
	const char *run_dir;
	const char *log_dir;
	const char *cgroup_root;
	int cgroup_driver; /* -1: not checked */
	int64_t max_request_bytes;
	int64_t pod_pids_limit;
	int log_level; /* -1: not checked */
};

#define UNCHECKED .cgroup_driver = -1, .log_level = -1

struct file_case {
	const char *name;
	const char *text;
	int rc;
	const char *message; /* a substring of err.message when rc < 0 */
	struct expect expect;
};

static const struct file_case file_cases[] = {
        /* defaults stand */
        {"empty file",
         "",
         0,
         NULL,
         {.socket = "/run/nanolet/nanolet.sock",
          .state_dir = "/var/lib/nanolet",
          .run_dir = "/run/nanolet",
          .log_dir = "/var/log/nanolet",
          .cgroup_driver = CONFIG_CGROUP_AUTO,
          .max_request_bytes = 1048576,
          .pod_pids_limit = 4096,
          .log_level = LOG_LEVEL_INFO}},
        {"only comments",
         "# nothing\n\n",
         0,
         NULL,
         {.socket = "/run/nanolet/nanolet.sock", UNCHECKED}},
        {"explicit null document", "~\n", 0, NULL, {.max_request_bytes = 1048576, UNCHECKED}},

        /* each key */
        {"socket", "socket: /tmp/n.sock\n", 0, NULL, {.socket = "/tmp/n.sock", UNCHECKED}},
        {"state_dir", "state_dir: /srv/state\n", 0, NULL, {.state_dir = "/srv/state", UNCHECKED}},
        {"run_dir", "run_dir: /run/x\n", 0, NULL, {.run_dir = "/run/x", UNCHECKED}},
        {"log_dir", "log_dir: /var/log/x\n", 0, NULL, {.log_dir = "/var/log/x", UNCHECKED}},
        {"cgroup_root",
         "cgroup_root: /nanolet.slice/pods\n",
         0,
         NULL,
         {.cgroup_root = "/nanolet.slice/pods", UNCHECKED}},
        {"cgroup_root null", "cgroup_root: null\n", 0, NULL, {UNCHECKED}},
        {"cgroup_driver v1",
         "cgroup_driver: v1\n",
         0,
         NULL,
         {.cgroup_driver = CONFIG_CGROUP_V1, .log_level = -1}},
        {"cgroup_driver v2",
         "cgroup_driver: v2\n",
         0,
         NULL,
         {.cgroup_driver = CONFIG_CGROUP_V2, .log_level = -1}},
        {"cgroup_driver auto",
         "cgroup_driver: auto\n",
         0,
         NULL,
         {.cgroup_driver = CONFIG_CGROUP_AUTO, .log_level = -1}},
        {"max_request_bytes integer",
         "max_request_bytes: 4096\n",
         0,
         NULL,
         {.max_request_bytes = 4096, UNCHECKED}},
        {"max_request_bytes quantity",
         "max_request_bytes: 2Mi\n",
         0,
         NULL,
         {.max_request_bytes = 2097152, UNCHECKED}},
        {"pod_pids_limit", "pod_pids_limit: 100\n", 0, NULL, {.pod_pids_limit = 100, UNCHECKED}},
        {"pod_pids_limit unlimited",
         "pod_pids_limit: -1\n",
         0,
         NULL,
         {.pod_pids_limit = -1, UNCHECKED}},
        {"log_level debug",
         "log_level: debug\n",
         0,
         NULL,
         {.cgroup_driver = -1, .log_level = LOG_LEVEL_DEBUG}},
        {"log_level error",
         "log_level: error\n",
         0,
         NULL,
         {.cgroup_driver = -1, .log_level = LOG_LEVEL_ERROR}},
        {"several keys",
         "socket: /a.sock\nlog_level: warning\npod_pids_limit: 7\n",
         0,
         NULL,
         {.socket = "/a.sock",
          .pod_pids_limit = 7,
          .cgroup_driver = -1,
          .log_level = LOG_LEVEL_WARNING}},

        /* refused, naming the key */
        {"unknown key", "foo: 1\n", -EINVAL, "unknown key \"foo\"", {UNCHECKED}},
        {"unknown key after good ones",
         "socket: /a.sock\nsokcet: /b.sock\n",
         -EINVAL,
         "unknown key \"sokcet\"",
         {UNCHECKED}},
        {"driver not allowed",
         "cgroup_driver: v3\n",
         -EINVAL,
         "cgroup_driver: must be one of auto, v2, v1, got \"v3\"",
         {UNCHECKED}},
        {"driver wrong type",
         "cgroup_driver: 2\n",
         -EINVAL,
         "cgroup_driver: must be one of",
         {UNCHECKED}},
        {"relative state_dir",
         "state_dir: var/lib\n",
         -EINVAL,
         "state_dir: must be an absolute path, got \"var/lib\"",
         {UNCHECKED}},
        {"socket wrong type",
         "socket: [1, 2]\n",
         -EINVAL,
         "socket: must be an absolute path",
         {UNCHECKED}},
        {"socket too long",
         "socket: "
         "/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.sock\n",
         -EINVAL,
         "socket: must be a path shorter than 108 bytes",
         {UNCHECKED}},
        {"cgroup_root climbing out",
         "cgroup_root: /a/../b\n",
         -EINVAL,
         "cgroup_root: must be an absolute cgroup path",
         {UNCHECKED}},
        {"cgroup_root relative",
         "cgroup_root: nanolet\n",
         -EINVAL,
         "cgroup_root: must be an absolute cgroup path",
         {UNCHECKED}},
        {"max_request_bytes zero",
         "max_request_bytes: 0\n",
         -EINVAL,
         "max_request_bytes: must be a byte count from 1 to 1073741824",
         {UNCHECKED}},
        {"max_request_bytes too big",
         "max_request_bytes: 2Gi\n",
         -EINVAL,
         "max_request_bytes: must be a byte count",
         {UNCHECKED}},
        {"max_request_bytes bad quantity",
         "max_request_bytes: 12Mb\n",
         -EINVAL,
         "max_request_bytes: must be a byte count",
         {UNCHECKED}},
        {"max_request_bytes boolean",
         "max_request_bytes: true\n",
         -EINVAL,
         "max_request_bytes: must be a byte count",
         {UNCHECKED}},
        {"pod_pids_limit zero",
         "pod_pids_limit: 0\n",
         -EINVAL,
         "pod_pids_limit: must be a positive integer, or -1 for no limit, got 0",
         {UNCHECKED}},
        {"pod_pids_limit string",
         "pod_pids_limit: many\n",
         -EINVAL,
         "pod_pids_limit: must be a positive integer",
         {UNCHECKED}},
        {"log_level unknown",
         "log_level: verbose\n",
         -EINVAL,
         "log_level: must be one of error, warning, info, debug, got \"verbose\"",
         {UNCHECKED}},
        {"not a mapping", "[1, 2]\n", -EINVAL, "must be a mapping of keys to values", {UNCHECKED}},
        {"a YAML list",
         "- socket\n- state_dir\n",
         -EINVAL,
         "must be a mapping of keys to values",
         {UNCHECKED}},
        {"YAML 1.1 boolean where a path goes",
         "socket: yes\n",
         -EINVAL,
         "socket: must be an absolute path, got true",
         {UNCHECKED}},
        {"syntax error", "socket: [\n", -EBADMSG, "line", {UNCHECKED}},
        {"duplicate key", "socket: /a.sock\nsocket: /b.sock\n", -EBADMSG, "socket", {UNCHECKED}},
};

static char *write_file(const char *name, const char *text)
{
	char *path = strdupf("%s/%s", tmpdir, name);
	FILE *f;

	ck_assert_ptr_nonnull(path);
	f = fopen(path, "we");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void check_expect(const struct nano_config *c, const struct expect *e, const char *name)
{
	if (e->socket)
		ck_assert_msg(strcmp(c->socket, e->socket) == 0, "%s: socket %s", name, c->socket);
	if (e->state_dir)
		ck_assert_msg(strcmp(c->state_dir, e->state_dir) == 0, "%s: state_dir", name);
	if (e->run_dir)
		ck_assert_msg(strcmp(c->run_dir, e->run_dir) == 0, "%s: run_dir", name);
	if (e->log_dir)
		ck_assert_msg(strcmp(c->log_dir, e->log_dir) == 0, "%s: log_dir", name);
	if (e->cgroup_root)
		ck_assert_msg(c->cgroup_root && strcmp(c->cgroup_root, e->cgroup_root) == 0,
		              "%s: cgroup_root", name);
	if (e->cgroup_driver >= 0)
		ck_assert_msg((int)c->cgroup_driver == e->cgroup_driver, "%s: cgroup_driver %d",
		              name, c->cgroup_driver);
	if (e->max_request_bytes)
		ck_assert_msg(c->max_request_bytes == e->max_request_bytes,
		              "%s: max_request_bytes %" PRId64, name, c->max_request_bytes);
	if (e->pod_pids_limit)
		ck_assert_msg(c->pod_pids_limit == e->pod_pids_limit, "%s: pod_pids_limit %" PRId64,
		              name, c->pod_pids_limit);
	if (e->log_level >= 0)
		ck_assert_msg((int)c->log_level == e->log_level, "%s: log_level %d", name,
		              c->log_level);
}

START_TEST(test_file)
{
	const struct file_case *t = &file_cases[_i];
	_cleanup_free_ char *path = write_file("nanolet.yaml", t->text);
	struct nano_config config;
	struct nano_err err = {0};
	int r;

	ck_assert_int_eq(config_init(&config), 0);
	r = config_load_file(&config, path, &err);
	ck_assert_msg(r == t->rc, "%s: rc %d, want %d (%s)", t->name, r, t->rc,
	              err.message ? err.message : "");
	if (r < 0) {
		_cleanup_free_ char *prefix = strdupf("config %s: ", path);

		ck_assert_msg(err.message && strncmp(err.message, prefix, strlen(prefix)) == 0,
		              "%s: message %s does not name the file", t->name, err.message);
		ck_assert_msg(strstr(err.message, t->message), "%s: message \"%s\" lacks \"%s\"",
		              t->name, err.message, t->message);
	} else {
		check_expect(&config, &t->expect, t->name);
	}
	if (strcmp(t->name, "cgroup_root null") == 0)
		ck_assert_ptr_null(config.cgroup_root);
	nano_err_clear(&err);
	config_done(&config);
}
END_TEST

struct flag_case {
	const char *name;
	const char *flag;
	const char *value;
	int rc;
	const char *message;
	struct expect expect;
};

static const struct flag_case flag_cases[] = {
        {"socket", "socket", "/tmp/f.sock", 0, NULL, {.socket = "/tmp/f.sock", UNCHECKED}},
        {"state-dir", "state-dir", "/srv/s", 0, NULL, {.state_dir = "/srv/s", UNCHECKED}},
        {"run-dir", "run-dir", "/srv/r", 0, NULL, {.run_dir = "/srv/r", UNCHECKED}},
        {"log-dir", "log-dir", "/srv/l", 0, NULL, {.log_dir = "/srv/l", UNCHECKED}},
        {"cgroup-root", "cgroup-root", "/x", 0, NULL, {.cgroup_root = "/x", UNCHECKED}},
        {"cgroup-driver",
         "cgroup-driver",
         "v2",
         0,
         NULL,
         {.cgroup_driver = CONFIG_CGROUP_V2, .log_level = -1}},
        {"max-request-bytes integer",
         "max-request-bytes",
         "12",
         0,
         NULL,
         {.max_request_bytes = 12, UNCHECKED}},
        {"max-request-bytes quantity",
         "max-request-bytes",
         "1Ki",
         0,
         NULL,
         {.max_request_bytes = 1024, UNCHECKED}},
        {"pod-pids-limit unlimited",
         "pod-pids-limit",
         "-1",
         0,
         NULL,
         {.pod_pids_limit = -1, UNCHECKED}},
        {"log-level",
         "log-level",
         "debug",
         0,
         NULL,
         {.cgroup_driver = -1, .log_level = LOG_LEVEL_DEBUG}},
        {"underscore spelling is not a flag",
         "state_dir",
         "/srv/s",
         -EINVAL,
         "--state_dir: unknown flag",
         {UNCHECKED}},
        {"unknown flag", "verbose", "1", -EINVAL, "--verbose: unknown flag", {UNCHECKED}},
        {"bad driver",
         "cgroup-driver",
         "v9",
         -EINVAL,
         "--cgroup-driver: must be one of auto, v2, v1, got \"v9\"",
         {UNCHECKED}},
        {"relative socket",
         "socket",
         "x.sock",
         -EINVAL,
         "--socket: must be an absolute path, got \"x.sock\"",
         {UNCHECKED}},
        {"bad bytes",
         "max-request-bytes",
         "lots",
         -EINVAL,
         "--max-request-bytes: must be a byte count",
         {UNCHECKED}},
        {"pids not a number",
         "pod-pids-limit",
         "1Ki",
         -EINVAL,
         "--pod-pids-limit: must be a positive integer",
         {UNCHECKED}},
        {"bad log level", "log-level", "loud", -EINVAL, "--log-level: must be one of", {UNCHECKED}},
};

START_TEST(test_flag)
{
	const struct flag_case *t = &flag_cases[_i];
	struct nano_config config;
	struct nano_err err = {0};
	int r;

	ck_assert_int_eq(config_init(&config), 0);
	r = config_apply_flag(&config, t->flag, t->value, &err);
	ck_assert_msg(r == t->rc, "%s: rc %d, want %d (%s)", t->name, r, t->rc,
	              err.message ? err.message : "");
	if (r < 0)
		ck_assert_msg(err.message && strstr(err.message, t->message),
		              "%s: message \"%s\" lacks \"%s\"", t->name, err.message, t->message);
	else
		check_expect(&config, &t->expect, t->name);
	nano_err_clear(&err);
	config_done(&config);
}
END_TEST

/* main.c's order: defaults, then the file, then the flags. */
START_TEST(test_flags_over_file)
{
	_cleanup_free_ char *path = write_file(
	        "over.yaml", "socket: /file.sock\nlog_level: debug\nmax_request_bytes: 100\n");
	struct nano_config config;
	struct nano_err err = {0};

	ck_assert_int_eq(config_init(&config), 0);
	ck_assert_int_eq(config_load_file(&config, path, &err), 0);
	ck_assert_int_eq(config_apply_flag(&config, "socket", "/flag.sock", &err), 0);
	ck_assert_int_eq(config_apply_flag(&config, "max-request-bytes", "200", &err), 0);
	ck_assert_str_eq(config.socket, "/flag.sock");          /* flag wins */
	ck_assert_int_eq(config.max_request_bytes, 200);        /* flag wins */
	ck_assert_int_eq(config.log_level, LOG_LEVEL_DEBUG);    /* file kept */
	ck_assert_str_eq(config.state_dir, "/var/lib/nanolet"); /* default kept */
	config_done(&config);
}
END_TEST

START_TEST(test_missing_file)
{
	_cleanup_free_ char *path = strdupf("%s/absent.yaml", tmpdir);
	struct nano_config config;
	struct nano_err err = {0};

	ck_assert_int_eq(config_init(&config), 0);
	ck_assert_int_eq(config_load_file(&config, path, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.message, path));
	nano_err_clear(&err);
	config_done(&config);
}
END_TEST

/* The shipped file documents every key with its default: loading it changes nothing. */
START_TEST(test_shipped_config_is_the_defaults)
{
	const char *source = getenv("NANOLET_SOURCE_DIR");
	_cleanup_free_ char *path = strdupf("%s/configs/nanolet.yaml", source ? source : ".");
	struct nano_config defaults, loaded;
	struct nano_err err = {0};
	int r;

	ck_assert_int_eq(config_init(&defaults), 0);
	ck_assert_int_eq(config_init(&loaded), 0);
	r = config_load_file(&loaded, path, &err);
	ck_assert_msg(r == 0, "%s", err.message ? err.message : "");
	ck_assert_str_eq(loaded.socket, defaults.socket);
	ck_assert_str_eq(loaded.state_dir, defaults.state_dir);
	ck_assert_str_eq(loaded.run_dir, defaults.run_dir);
	ck_assert_str_eq(loaded.log_dir, defaults.log_dir);
	ck_assert_ptr_null(loaded.cgroup_root);
	ck_assert_int_eq(loaded.cgroup_driver, defaults.cgroup_driver);
	ck_assert_int_eq(loaded.max_request_bytes, defaults.max_request_bytes);
	ck_assert_int_eq(loaded.pod_pids_limit, defaults.pod_pids_limit);
	ck_assert_int_eq(loaded.log_level, defaults.log_level);
	ck_assert_int_eq(loaded.max_pods, defaults.max_pods);
	ck_assert_int_eq(loaded.container_log_max_size, defaults.container_log_max_size);
	ck_assert_int_eq(loaded.container_log_max_files, defaults.container_log_max_files);
	ck_assert_int_eq(loaded.crashloop_backoff_initial, defaults.crashloop_backoff_initial);
	ck_assert_int_eq(loaded.crashloop_backoff_max, defaults.crashloop_backoff_max);
	ck_assert_int_eq(loaded.crashloop_backoff_reset, defaults.crashloop_backoff_reset);
	ck_assert_int_eq(loaded.event_ttl, defaults.event_ttl);
	ck_assert_ptr_null(loaded.shim_path);
	ck_assert_int_eq(loaded.cpu_throttling_interval, defaults.cpu_throttling_interval);
	ck_assert_int_eq(loaded.cpu_throttling_threshold, defaults.cpu_throttling_threshold);
	ck_assert_int_eq(loaded.memory_qos, defaults.memory_qos);
	ck_assert(loaded.memory_throttling_factor == defaults.memory_throttling_factor);
	ck_assert_int_eq(loaded.max_connections, defaults.max_connections);
	ck_assert_int_eq(loaded.http_idle_timeout, defaults.http_idle_timeout);
	ck_assert_int_eq(loaded.http_header_timeout, defaults.http_header_timeout);
	ck_assert_int_eq(loaded.max_url_bytes, defaults.max_url_bytes);
	ck_assert_int_eq(loaded.max_header_bytes, defaults.max_header_bytes);
	ck_assert_int_eq(loaded.max_header_count, defaults.max_header_count);
	ck_assert_int_eq(loaded.max_warning_bytes, defaults.max_warning_bytes);
	ck_assert(memcmp(&loaded.pod_security.defaults, &defaults.pod_security.defaults,
	                 sizeof(defaults.pod_security.defaults)) == 0);
	ck_assert_uint_eq(loaded.pod_security.n_namespaces, 0);
	ck_assert_str_eq(loaded.api_write_groups[0], "nanolet");
	ck_assert_ptr_null(loaded.api_write_groups[1]);
	ck_assert_ptr_null(loaded.api_read_groups);
	ck_assert_ptr_null(loaded.allowed_unsafe_sysctls);
	ck_assert_int_eq(loaded.audit_log_max_size, defaults.audit_log_max_size);
	ck_assert_int_eq(loaded.audit_log_max_files, defaults.audit_log_max_files);
	ck_assert_int_eq(loaded.max_log_follows, defaults.max_log_follows);
	ck_assert_int_eq(loaded.stream_buffer_bytes, defaults.stream_buffer_bytes);
	ck_assert_int_eq(loaded.max_pod_containers, defaults.max_pod_containers);
	ck_assert_str_eq(loaded.network.bridge, defaults.network.bridge);
	ck_assert_uint_eq(loaded.network.cidr.network, defaults.network.cidr.network);
	ck_assert_uint_eq(loaded.network.cidr.prefix, defaults.network.cidr.prefix);
	ck_assert_int_eq(loaded.network.mtu, defaults.network.mtu);
	ck_assert(!loaded.network.none);
	ck_assert_str_eq(loaded.resolv_conf, defaults.resolv_conf);
	ck_assert_ptr_null(loaded.cluster_dns);
	ck_assert_str_eq(loaded.cluster_domain, defaults.cluster_domain);
	ck_assert_uint_eq(loaded.n_registries, 0);
	ck_assert_ptr_null(loaded.registry_auth_file);
	ck_assert_int_eq(loaded.image_pull_timeout, 60);
	ck_assert_int_eq(loaded.image_pull_timeout, defaults.image_pull_timeout);
	/* the one key the example sets apart from its default: the systemd unit's node serves
	 * kubectl on loopback, a daemon without a config file does not */
	ck_assert_ptr_null(defaults.listen);
	ck_assert_str_eq(loaded.listen, "127.0.0.1:6443");
	config_done(&defaults);
	config_done(&loaded);
}
END_TEST

/* network: a mapping in the file, the same mapping as YAML text in the flag; a bad key or value
 * names itself and changes nothing. */
static const struct {
	const char *file_text;
	const char *flag_value;
	int rc;
	const char *bridge, *cidr;
	int64_t mtu;
	const char *message;
} network_cases[] = {
        {"network: {}", "{}", 0, "nanolet0", "198.18.0.0/16", 1500, NULL},
        {"network: {bridge: pods0, pod_cidr: 198.18.4.0/24, mtu: 9000}",
         "{bridge: pods0, pod_cidr: 198.18.4.0/24, mtu: 9000}", 0, "pods0", "198.18.4.0/24", 9000,
         NULL},
        {"network: {pod_cidr: 198.18.0.0/30}", "{pod_cidr: 198.18.0.0/30}", 0, "nanolet0",
         "198.18.0.0/30", 1500, NULL},
        {"network: {pod_cidr: 198.18.0.1/16}", "{pod_cidr: 198.18.0.1/16}", -EINVAL, "nanolet0",
         "198.18.0.0/16", 1500, "pod_cidr: \"198.18.0.1/16\" has host bits set"},
        {"network: {pod_cidr: 198.18.0.0/31}", "{pod_cidr: 198.18.0.0/31}", -EINVAL, "nanolet0",
         "198.18.0.0/16", 1500, "must be 8 to 30"},
        {"network: {pod_cidr: 7}", "{pod_cidr: 7}", -EINVAL, "nanolet0", "198.18.0.0/16", 1500,
         "pod_cidr"},
        {"network: {bridge: a-name-too-long-0}", "{bridge: a-name-too-long-0}", -EINVAL, "nanolet0",
         "198.18.0.0/16", 1500, "bridge"},
        {"network: {mtu: 67}", "{mtu: 67}", -EINVAL, "nanolet0", "198.18.0.0/16", 1500, "mtu"},
        {"network: {mtu: 1400, pod_cidr: nope}", "{mtu: 1400, pod_cidr: nope}", -EINVAL, "nanolet0",
         "198.18.0.0/16", 1500, "pod_cidr"},
        {"network: {cidr: 198.18.0.0/16}", "{cidr: 198.18.0.0/16}", -EINVAL, "nanolet0",
         "198.18.0.0/16", 1500, "unknown key \"cidr\""},
        {"network: 198.18.0.0/16", "198.18.0.0/16", -EINVAL, "nanolet0", "198.18.0.0/16", 1500,
         "a mapping of mode, bridge, pod_cidr, mtu and masquerade"},
        {"network: {mode: none}", "{mode: none}", 0, "nanolet0", "198.18.0.0/16", 1500, NULL},
        {"network: {mode: bridge}", "{mode: bridge}", 0, "nanolet0", "198.18.0.0/16", 1500, NULL},
        {"network: {masquerade: false}", "{masquerade: false}", 0, "nanolet0", "198.18.0.0/16",
         1500, NULL},
        {"network: {masquerade: sometimes}", "{masquerade: sometimes}", -EINVAL, "nanolet0",
         "198.18.0.0/16", 1500, "masquerade"},
        {"network: {mode: host}", "{mode: host}", -EINVAL, "nanolet0", "198.18.0.0/16", 1500,
         "mode: must be bridge or none"},
};

START_TEST(test_network_key)
{
	_cleanup_free_ char *path = write_file("nanolet.yaml", network_cases[_i].file_text);
	struct nano_config configs[2];
	struct nano_err errs[2] = {0};
	char cidr[NET_CIDR_STRLEN];
	int r[2];

	ck_assert_int_eq(config_init(&configs[0]), 0);
	ck_assert_int_eq(config_init(&configs[1]), 0);
	r[0] = config_load_file(&configs[0], path, &errs[0]);
	r[1] = config_apply_flag(&configs[1], "network", network_cases[_i].flag_value, &errs[1]);
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(r[i] == network_cases[_i].rc, "%s: %d %s",
		              network_cases[_i].file_text, r[i],
		              errs[i].message ? errs[i].message : "");
		if (network_cases[_i].message)
			ck_assert_msg(strstr(errs[i].message, network_cases[_i].message), "%s",
			              errs[i].message);
		ck_assert_str_eq(configs[i].network.bridge, network_cases[_i].bridge);
		ck_assert_str_eq(net_cidr_str(&configs[i].network.cidr, cidr),
		                 network_cases[_i].cidr);
		ck_assert_int_eq(configs[i].network.mtu, network_cases[_i].mtu);
		ck_assert(configs[i].network.masquerade ==
		          !strstr(network_cases[_i].file_text, "masquerade: false"));
		ck_assert_int_eq(configs[i].network.none,
		                 strstr(network_cases[_i].file_text, "mode: none") != NULL);
		nano_err_clear(&errs[i]);
		config_done(&configs[i]);
	}
}
END_TEST

/* The keys of running pods: one row per key, through the file and through the flag. */
struct pod_key_case {
	const char *file_text;
	const char *flag, *flag_value;
	size_t offset;
	int64_t want; /* -1: refused */
};

static const struct pod_key_case pod_key_cases[] = {
        {"max_pods: 3", "max-pods", "3", offsetof(struct nano_config, max_pods), 3},
        {"max_pods: 0", "max-pods", "0", offsetof(struct nano_config, max_pods), -1},
        {"container_log_max_size: 1Mi", "container-log-max-size", "1Mi",
         offsetof(struct nano_config, container_log_max_size), 1048576},
        {"container_log_max_files: 2", "container-log-max-files", "2",
         offsetof(struct nano_config, container_log_max_files), 2},
        {"crashloop_backoff_initial: 1", "crashloop-backoff-initial", "1",
         offsetof(struct nano_config, crashloop_backoff_initial), 1},
        {"crashloop_backoff_max: 4", "crashloop-backoff-max", "4",
         offsetof(struct nano_config, crashloop_backoff_max), 4},
        {"crashloop_backoff_reset: 30", "crashloop-backoff-reset", "30",
         offsetof(struct nano_config, crashloop_backoff_reset), 30},
        {"crashloop_backoff_max: 10s", "crashloop-backoff-max", "10s",
         offsetof(struct nano_config, crashloop_backoff_max), -1},
        {"event_ttl: 60", "event-ttl", "60", offsetof(struct nano_config, event_ttl), 60},
        {"event_ttl: -1", "event-ttl", "-1", offsetof(struct nano_config, event_ttl), -1},
        {"cpu_throttling_interval: 1", "cpu-throttling-interval", "1",
         offsetof(struct nano_config, cpu_throttling_interval), 1},
        {"cpu_throttling_threshold: 50", "cpu-throttling-threshold", "50",
         offsetof(struct nano_config, cpu_throttling_threshold), 50},
        {"cpu_throttling_threshold: 101", "cpu-throttling-threshold", "101",
         offsetof(struct nano_config, cpu_throttling_threshold), -1},
        {"cpu_throttling_threshold: 0", "cpu-throttling-threshold", "0",
         offsetof(struct nano_config, cpu_throttling_threshold), -1},
        /* the bounds of what one client may hold */
        {"max_connections: 50", "max-connections", "50",
         offsetof(struct nano_config, max_connections), 50},
        {"max_connections: 0", "max-connections", "0",
         offsetof(struct nano_config, max_connections), -1},
        {"max_connections: 1000001", "max-connections", "1000001",
         offsetof(struct nano_config, max_connections), -1},
        {"http_idle_timeout: 5", "http-idle-timeout", "5",
         offsetof(struct nano_config, http_idle_timeout), 5},
        {"http_header_timeout: 2", "http-header-timeout", "2",
         offsetof(struct nano_config, http_header_timeout), 2},
        {"http_header_timeout: 0", "http-header-timeout", "0",
         offsetof(struct nano_config, http_header_timeout), -1},
        {"max_url_bytes: 2Ki", "max-url-bytes", "2Ki", offsetof(struct nano_config, max_url_bytes),
         2048},
        {"max_url_bytes: 100", "max-url-bytes", "100", offsetof(struct nano_config, max_url_bytes),
         -1},
        {"max_header_bytes: 16Ki", "max-header-bytes", "16Ki",
         offsetof(struct nano_config, max_header_bytes), 16384},
        {"max_header_bytes: 2Mi", "max-header-bytes", "2Mi",
         offsetof(struct nano_config, max_header_bytes), -1},
        {"max_header_count: 20", "max-header-count", "20",
         offsetof(struct nano_config, max_header_count), 20},
        {"max_warning_bytes: 1024", "max-warning-bytes", "1024",
         offsetof(struct nano_config, max_warning_bytes), 1024},
        {"max_warning_bytes: 10", "max-warning-bytes", "10",
         offsetof(struct nano_config, max_warning_bytes), -1},
        {"max_log_follows: 3", "max-log-follows", "3",
         offsetof(struct nano_config, max_log_follows), 3},
        {"stream_buffer_bytes: 16Ki", "stream-buffer-bytes", "16Ki",
         offsetof(struct nano_config, stream_buffer_bytes), 16384},
        {"stream_buffer_bytes: 1", "stream-buffer-bytes", "1",
         offsetof(struct nano_config, stream_buffer_bytes), -1},
        {"max_pod_containers: 10", "max-pod-containers", "10",
         offsetof(struct nano_config, max_pod_containers), 10},
};

START_TEST(test_pod_keys)
{
	const struct pod_key_case *t = &pod_key_cases[_i];
	_cleanup_free_ char *path = write_file("nanolet.yaml", t->file_text);
	struct nano_config from_file, from_flag;
	struct nano_err err = {0};
	int r1, r2;

	ck_assert_int_eq(config_init(&from_file), 0);
	ck_assert_int_eq(config_init(&from_flag), 0);
	r1 = config_load_file(&from_file, path, &err);
	nano_err_clear(&err);
	r2 = config_apply_flag(&from_flag, t->flag, t->flag_value, &err);
	nano_err_clear(&err);
	if (t->want < 0) {
		ck_assert_msg(r1 == -EINVAL && r2 == -EINVAL, "%s: %d %d", t->file_text, r1, r2);
	} else {
		ck_assert_msg(r1 == 0 && r2 == 0, "%s: %d %d", t->file_text, r1, r2);
		ck_assert_int_eq(*(int64_t *)((char *)&from_file + t->offset), t->want);
		ck_assert_int_eq(*(int64_t *)((char *)&from_flag + t->offset), t->want);
	}
	config_done(&from_file);
	config_done(&from_flag);
}
END_TEST

/* MemoryQoS: memory_qos a boolean, memory_throttling_factor in (0, 1], as the kubelet's. */
static const struct {
	const char *file_text;
	const char *flag, *flag_value;
	int rc;
	bool qos;
	double factor;
} memory_qos_cases[] = {
        {"memory_qos: true", "memory-qos", "true", 0, true, 0.9},
        {"memory_qos: false", "memory-qos", "false", 0, false, 0.9},
        {"memory_qos: 1", "memory-qos", "yes please", -EINVAL, false, 0.9},
        {"memory_throttling_factor: 0.5", "memory-throttling-factor", "0.5", 0, false, 0.5},
        {"memory_throttling_factor: 1", "memory-throttling-factor", "1", 0, false, 1},
        {"memory_throttling_factor: 0", "memory-throttling-factor", "0", -EINVAL, false, 0.9},
        {"memory_throttling_factor: 1.5", "memory-throttling-factor", "1.5", -EINVAL, false, 0.9},
        {"memory_throttling_factor: x", "memory-throttling-factor", "0.5x", -EINVAL, false, 0.9},
};

START_TEST(test_memory_qos_keys)
{
	_cleanup_free_ char *path = write_file("nanolet.yaml", memory_qos_cases[_i].file_text);
	struct nano_config from_file, from_flag;
	struct nano_err err = {0};
	int r1, r2;

	ck_assert_int_eq(config_init(&from_file), 0);
	ck_assert_int_eq(config_init(&from_flag), 0);
	r1 = config_load_file(&from_file, path, &err);
	nano_err_clear(&err);
	r2 = config_apply_flag(&from_flag, memory_qos_cases[_i].flag,
	                       memory_qos_cases[_i].flag_value, &err);
	nano_err_clear(&err);
	ck_assert_int_eq(r1, memory_qos_cases[_i].rc);
	ck_assert_int_eq(r2, memory_qos_cases[_i].rc);
	ck_assert_int_eq(from_file.memory_qos, memory_qos_cases[_i].qos);
	ck_assert_int_eq(from_flag.memory_qos, memory_qos_cases[_i].qos);
	ck_assert(from_file.memory_throttling_factor == memory_qos_cases[_i].factor);
	ck_assert(from_flag.memory_throttling_factor == memory_qos_cases[_i].factor);
	config_done(&from_file);
	config_done(&from_flag);
}
END_TEST

/* allowed_unsafe_sysctls: the same list from a file (a YAML list) and a flag (comma-separated),
 * each entry checked as the kubelet's NewAllowlist checks it, in its words. */
static const struct {
	const char *file_text, *flag_value;
	const char *list;  /* the entries joined by ",", NULL when none */
	const char *error; /* the message's end; NULL when it is accepted */
} sysctl_cases[] = {
        {"allowed_unsafe_sysctls: ['net.core.*', kernel.msgmax, 'kernel.shm*']\n",
         "net.core.*,kernel.msgmax,kernel.shm*", "net.core.*,kernel.msgmax,kernel.shm*", NULL},
        {"allowed_unsafe_sysctls: [net/core/somaxconn, fs.mqueue.*, kernel.sem]\n",
         "net/core/somaxconn,fs.mqueue.*,kernel.sem", "net/core/somaxconn,fs.mqueue.*,kernel.sem",
         NULL},
        {"allowed_unsafe_sysctls: []\n", "", NULL, NULL},
        {"allowed_unsafe_sysctls: [kernel.hostname]\n", "kernel.hostname", NULL,
         "the sysctls \"kernel.hostname\" are not known to be namespaced"},
        {"allowed_unsafe_sysctls: ['kernel.*']\n", "kernel.*", NULL,
         "the sysctls \"kernel.\" are not known to be namespaced"},
        {"allowed_unsafe_sysctls: ['*']\n", "*", NULL,
         "the sysctls \"\" are not known to be namespaced"},
        {"allowed_unsafe_sysctls: ['net.*.ipv4']\n", "net.*.ipv4", NULL,
         "sysctl \"net.*.ipv4\" must have at most 253 characters and match regex "
         "([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]"},
        {"allowed_unsafe_sysctls: [Net.core.somaxconn]\n", "Net.core.somaxconn", NULL,
         "must have at most 253 characters and match regex "
         "([a-z0-9]([-_a-z0-9]*[a-z0-9])?[\\./])*([a-z0-9][-_a-z0-9]*)?[a-z0-9*]"},
};

START_TEST(test_sysctl_keys)
{
	_cleanup_free_ char *path = write_file("nanolet.yaml", sysctl_cases[_i].file_text);
	struct nano_config from_file, from_flag;
	struct nano_err err_file = {0}, err_flag = {0};
	int r1, r2;

	ck_assert_int_eq(config_init(&from_file), 0);
	ck_assert_int_eq(config_init(&from_flag), 0);
	r1 = config_load_file(&from_file, path, &err_file);
	r2 = config_apply_flag(&from_flag, "allowed-unsafe-sysctls", sysctl_cases[_i].flag_value,
	                       &err_flag);
	if (sysctl_cases[_i].error) {
		const char *want = sysctl_cases[_i].error;

		ck_assert_int_eq(r1, -EINVAL);
		ck_assert_int_eq(r2, -EINVAL);
		ck_assert_msg(strstr(err_file.message, want), "%s", err_file.message);
		ck_assert_msg(strncmp(err_flag.message, "--allowed-unsafe-sysctls: ", 26) == 0 &&
		                      strstr(err_flag.message, want),
		              "%s", err_flag.message);
		ck_assert_ptr_null(from_file.allowed_unsafe_sysctls);
	} else {
		_cleanup_free_ char *a = strv_join(from_file.allowed_unsafe_sysctls, ",");
		_cleanup_free_ char *b = strv_join(from_flag.allowed_unsafe_sysctls, ",");
		const char *list = sysctl_cases[_i].list;

		ck_assert_msg(r1 == 0, "%s", err_file.message);
		ck_assert_msg(r2 == 0, "%s", err_flag.message);
		ck_assert_str_eq(a ? a : "", list ? list : "");
		ck_assert_str_eq(b ? b : "", list ? list : "");
	}
	nano_err_clear(&err_file);
	nano_err_clear(&err_flag);
	config_done(&from_file);
	config_done(&from_flag);
}
END_TEST

START_TEST(test_shim_path)
{
	_cleanup_free_ char *path = write_file("nanolet.yaml", "shim_path: /opt/nanolet-shim");
	struct nano_config config;
	struct nano_err err = {0};

	ck_assert_int_eq(config_init(&config), 0);
	ck_assert_int_eq(config_load_file(&config, path, &err), 0);
	ck_assert_str_eq(config.shim_path, "/opt/nanolet-shim");
	ck_assert_int_eq(config_apply_flag(&config, "shim-path", "relative", &err), -EINVAL);
	nano_err_clear(&err);
	config_done(&config);
}
END_TEST

/* The pods' DNS, as the kubelet's --resolv-conf, --cluster-dns and --cluster-domain: the file
 * and the flag take the same values (the flag's list comma-separated). */
static const struct {
	const char *file_text;
	const char *flag, *flag_value;
	int rc;
	const char *want; /* the key's value after, a list joined by "," */
} dns_cases[] = {
        {"resolv_conf: /srv/resolv.conf", "resolv-conf", "/srv/resolv.conf", 0, "/srv/resolv.conf"},
        {"resolv_conf: ''", "resolv-conf", "", 0, ""},
        {"resolv_conf: resolv.conf", "resolv-conf", "resolv.conf", -EINVAL, "/etc/resolv.conf"},
        {"cluster_dns: [198.18.0.10, 'fd00::a']", "cluster-dns", "198.18.0.10,fd00::a", 0,
         "198.18.0.10,fd00::a"},
        {"cluster_dns: []", "cluster-dns", "", 0, ""},
        {"cluster_dns: [dns.example]", "cluster-dns", "198.18.0.10,dns", -EINVAL, ""},
        {"cluster_domain: example.internal", "cluster-domain", "example.internal", 0,
         "example.internal"},
        {"cluster_domain: ''", "cluster-domain", "", 0, ""},
        {"cluster_domain: Bad_Domain", "cluster-domain", "Bad_Domain", -EINVAL, "cluster.local"},
};

static char *dns_value(const struct nano_config *c, const char *file_text)
{
	if (strncmp(file_text, "resolv_conf", 11) == 0)
		return strdup(c->resolv_conf);
	if (strncmp(file_text, "cluster_dns", 11) == 0)
		return strv_join(c->cluster_dns, ",");
	return strdup(c->cluster_domain);
}

START_TEST(test_dns_keys)
{
	_cleanup_free_ char *path = write_file("nanolet.yaml", dns_cases[_i].file_text);
	_cleanup_free_ char *got_file = NULL, *got_flag = NULL;
	struct nano_config from_file, from_flag;
	struct nano_err err = {0};
	int r1, r2;

	ck_assert_int_eq(config_init(&from_file), 0);
	ck_assert_int_eq(config_init(&from_flag), 0);
	r1 = config_load_file(&from_file, path, &err);
	nano_err_clear(&err);
	r2 = config_apply_flag(&from_flag, dns_cases[_i].flag, dns_cases[_i].flag_value, &err);
	nano_err_clear(&err);
	ck_assert_int_eq(r1, dns_cases[_i].rc);
	ck_assert_int_eq(r2, dns_cases[_i].rc);
	got_file = dns_value(&from_file, dns_cases[_i].file_text);
	got_flag = dns_value(&from_flag, dns_cases[_i].file_text);
	ck_assert_str_eq(got_file, dns_cases[_i].want);
	ck_assert_str_eq(got_flag, dns_cases[_i].want);
	config_done(&from_file);
	config_done(&from_flag);
}
END_TEST

/* listen: an IP address and port, the same in the file and as a flag; off by null or "". */
static const struct {
	const char *file_text;
	const char *flag_value;
	int rc;
	const char *want; /* NULL: off */
	const char *host;
	unsigned port;
} listen_cases[] = {
        {"listen: 127.0.0.1:6443", "127.0.0.1:6443", 0, "127.0.0.1:6443", "127.0.0.1", 6443},
        {"listen: '[::1]:6443'", "[::1]:6443", 0, "[::1]:6443", "::1", 6443},
        {"listen: 0.0.0.0:1", "0.0.0.0:1", 0, "0.0.0.0:1", "0.0.0.0", 1},
        {"listen: null", "", 0, NULL, NULL, 0},
        {"listen: localhost:6443", "localhost:6443", -EINVAL, NULL, NULL, 0},
        {"listen: 127.0.0.1", "127.0.0.1", -EINVAL, NULL, NULL, 0},
        {"listen: 127.0.0.1:0", "127.0.0.1:0", -EINVAL, NULL, NULL, 0},
        {"listen: 127.0.0.1:65536", "127.0.0.1:65536", -EINVAL, NULL, NULL, 0},
        {"listen: '::1:6443'", "::1:6443", -EINVAL, NULL, NULL, 0},
        {"listen: '[127.0.0.1]:6443'", "[127.0.0.1]:6443", -EINVAL, NULL, NULL, 0},
        {"listen: 6443", "6443", -EINVAL, NULL, NULL, 0},
};

/* registries: a mapping of domains to {mirrors, insecure}, the same as a flag's YAML text;
 * registry_auth_file and image_pull_timeout as their types. A bad entry names itself. */
static const struct {
	const char *file_text;
	int rc;
	const char *message;
	size_t n;
	const char *domain, *mirror;
	bool insecure;
} registry_cases[] = {
        {"registries: {}", 0, NULL, 0, NULL, NULL, false},
        {"registries: {docker.io: {mirrors: [\"https://mirror.example:5000/v\"]}}", 0, NULL, 1,
         "docker.io", "https://mirror.example:5000/v", false},
        {"registries: {\"10.0.0.5:5000\": {insecure: true}}", 0, NULL, 1, "10.0.0.5:5000", NULL,
         true},
        {"registries: {\"[::1]:5000\": null}", 0, NULL, 1, "[::1]:5000", NULL, false},
        {"registries: {docker.io: {mirrors: [\"mirror.example\"]}}", -EINVAL,
         "docker.io: must be a mirror URL", 0, NULL, NULL, false},
        {"registries: {docker.io: {insecure: 1}}", -EINVAL, "docker.io: must be", 0, NULL, NULL,
         false},
        {"registries: {docker.io: {proxy: x}}", -EINVAL, "unknown key \"proxy\"", 0, NULL, NULL,
         false},
        {"registries: {\"https://docker.io\": {}}", -EINVAL, "is not a registry domain", 0, NULL,
         NULL, false},
        {"registries: [docker.io]", -EINVAL, "must be a mapping of registry domains", 0, NULL, NULL,
         false},
};

START_TEST(test_registry_keys)
{
	_cleanup_free_ char *path = write_file("nanolet.yaml", registry_cases[_i].file_text);
	struct nano_config config, from_flag;
	struct nano_err err = {0}, err2 = {0};
	const char *text = registry_cases[_i].file_text + strlen("registries: ");
	int r, r2;

	ck_assert_int_eq(config_init(&config), 0);
	ck_assert_int_eq(config_init(&from_flag), 0);
	r = config_load_file(&config, path, &err);
	r2 = config_apply_flag(&from_flag, "registries", text, &err2);
	ck_assert_int_eq(r, registry_cases[_i].rc);
	ck_assert_int_eq(r2, registry_cases[_i].rc);
	if (r < 0) {
		ck_assert_msg(strstr(err.message, registry_cases[_i].message), "%s", err.message);
		ck_assert_uint_eq(config.n_registries, 0);
	} else {
		ck_assert_uint_eq(config.n_registries, registry_cases[_i].n);
		ck_assert_uint_eq(from_flag.n_registries, registry_cases[_i].n);
	}
	if (registry_cases[_i].domain) {
		ck_assert_str_eq(config.registries[0].domain, registry_cases[_i].domain);
		ck_assert_int_eq(config.registries[0].insecure, registry_cases[_i].insecure);
		if (registry_cases[_i].mirror) {
			ck_assert_str_eq(config.registries[0].mirrors[0],
			                 registry_cases[_i].mirror);
			ck_assert_ptr_null(config.registries[0].mirrors[1]);
		} else {
			ck_assert_ptr_null(config.registries[0].mirrors);
		}
	}
	nano_err_clear(&err);
	nano_err_clear(&err2);
	config_done(&config);
	config_done(&from_flag);
}
END_TEST

START_TEST(test_pull_keys)
{
	_cleanup_free_ char *path =
	        write_file("nanolet.yaml",
	                   "registry_auth_file: /etc/nanolet/auth.json\nimage_pull_timeout: 5");
	struct nano_config config;
	struct nano_err err = {0};

	ck_assert_int_eq(config_init(&config), 0);
	ck_assert_int_eq(config_load_file(&config, path, &err), 0);
	ck_assert_str_eq(config.registry_auth_file, "/etc/nanolet/auth.json");
	ck_assert_int_eq(config.image_pull_timeout, 5);
	ck_assert_int_eq(config_apply_flag(&config, "image-pull-timeout", "0", &err), -EINVAL);
	ck_assert_int_eq(config_apply_flag(&config, "registry-auth-file", "auth.json", &err),
	                 -EINVAL);
	ck_assert_int_eq(config_apply_flag(&config, "image-pull-timeout", "90", &err), 0);
	ck_assert_int_eq(config.image_pull_timeout, 90);
	nano_err_clear(&err);
	config_done(&config);
}
END_TEST

START_TEST(test_listen_key)
{
	_cleanup_free_ char *path = write_file("nanolet.yaml", listen_cases[_i].file_text);
	struct nano_config from_file, from_flag;
	struct config_listen parsed;
	struct nano_err err = {0};
	int r1, r2;

	ck_assert_int_eq(config_init(&from_file), 0);
	ck_assert_int_eq(config_init(&from_flag), 0);
	r1 = config_load_file(&from_file, path, &err);
	if (r1 < 0)
		ck_assert_ptr_nonnull(strstr(err.message, "such as 127.0.0.1:6443"));
	nano_err_clear(&err);
	r2 = config_apply_flag(&from_flag, "listen", listen_cases[_i].flag_value, &err);
	nano_err_clear(&err);
	ck_assert_int_eq(r1, listen_cases[_i].rc);
	ck_assert_int_eq(r2, listen_cases[_i].rc);
	if (listen_cases[_i].want) {
		ck_assert_str_eq(from_file.listen, listen_cases[_i].want);
		ck_assert_str_eq(from_flag.listen, listen_cases[_i].want);
		ck_assert_int_eq(config_listen_parse(from_file.listen, &parsed), 0);
		ck_assert_str_eq(parsed.host, listen_cases[_i].host);
		ck_assert_uint_eq(parsed.port, listen_cases[_i].port);
	} else {
		ck_assert_ptr_null(from_file.listen);
		ck_assert_ptr_null(from_flag.listen);
	}
	config_done(&from_file);
	config_done(&from_flag);
}
END_TEST

START_TEST(test_driver_names)
{
	ck_assert_str_eq(config_cgroup_driver_name(CONFIG_CGROUP_AUTO), "auto");
	ck_assert_str_eq(config_cgroup_driver_name(CONFIG_CGROUP_V2), "v2");
	ck_assert_str_eq(config_cgroup_driver_name(CONFIG_CGROUP_V1), "v1");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	SRunner *sr;
	int failed;

	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	tcase_add_loop_test(tc, test_file, 0, (int)ELEMENTSOF(file_cases));
	tcase_add_loop_test(tc, test_flag, 0, (int)ELEMENTSOF(flag_cases));
	tcase_add_test(tc, test_flags_over_file);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_shipped_config_is_the_defaults);
	tcase_add_loop_test(tc, test_network_key, 0, (int)ELEMENTSOF(network_cases));
	tcase_add_loop_test(tc, test_pod_keys, 0, (int)ELEMENTSOF(pod_key_cases));
	tcase_add_loop_test(tc, test_memory_qos_keys, 0, (int)ELEMENTSOF(memory_qos_cases));
	tcase_add_loop_test(tc, test_sysctl_keys, 0, (int)ELEMENTSOF(sysctl_cases));
	tcase_add_test(tc, test_shim_path);
	tcase_add_loop_test(tc, test_dns_keys, 0, (int)ELEMENTSOF(dns_cases));
	tcase_add_loop_test(tc, test_listen_key, 0, (int)ELEMENTSOF(listen_cases));
	tcase_add_loop_test(tc, test_registry_keys, 0, (int)ELEMENTSOF(registry_cases));
	tcase_add_test(tc, test_pull_keys);
	tcase_add_test(tc, test_driver_names);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	{
		_cleanup_free_ char *cmd = strdupf("rm -rf '%s'", tmpdir);

		if (cmd && system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
