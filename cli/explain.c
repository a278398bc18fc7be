/* cli/explain.c: `nanolet explain`, a Pod's isolation plan from the command line, with no
 * daemon and no root: the plan layer is pure, and the node's settings come through the same
 * code as nanoletd's (daemon/node.c over daemon/config.c: the config file, the same flags, the
 * same defaults), so its output equals what nanoletd answers for the same spec and node config.
 * With --fail-on it is a check for CI pipelines: the exit code says whether every pod passed.
 *
 * It reads files and /proc/self/cgroup and statfs(2)s /sys/fs/cgroup; it must not write
 * anything, open a socket, or need a privilege.
 */
#include <fcntl.h>
#include <string.h>

#include "explain.h"
#include "node.h"
#include "spec/spec.h"

#define CGROUP_MOUNT "/sys/fs/cgroup"

enum fail_on {
	FAIL_PRIVILEGED = 1 << 0,
	FAIL_HOST_NAMESPACES = 1 << 1,
	FAIL_BASELINE = 1 << 2,
	FAIL_RESTRICTED = 1 << 3,
};

struct options {
	char **files;
	enum explain_format format;
	unsigned fail_on;
	int baseline_version, restricted_version; /* SECURITY_PSS_LATEST or a minor */
	const char *config;
	char **flags; /* name, value, name, value, ...: the node's settings, as nanoletd's */
};

void explain_usage(FILE *out)
{
	fprintf(out,
	        "Usage: nanolet explain -f FILE [-f FILE]... [OPTION]...\n"
	        "Print the isolation plan of each Pod in FILE: what it may see, use and do on "
	        "this\n"
	        "node, and why, from the spec alone (no daemon, no root).\n"
	        "\n"
	        "  -f, --filename FILE    a YAML or JSON file of Pods (several documents, or a "
	        "kind\n"
	        "                         List), a directory of *.yaml, *.yml and *.json files, or "
	        "-\n"
	        "                         for stdin; may be given again\n"
	        "  -o, --output FORMAT    text (default): the explanation, warnings and the Pod\n"
	        "                         Security Standards met; json or yaml: the IsolationPlan "
	        "as\n"
	        "                         nanoletd's POST /apis/nanolet.io/v1/isolationplans "
	        "answers\n"
	        "                         it (a List of them for several pods)\n"
	        "      --fail-on CHECK    exit 1 when a pod fails CHECK: privileged (a privileged\n"
	        "                         container), host-namespaces (hostPID, hostNetwork or\n"
	        "                         hostIPC), baseline or restricted (that Pod Security\n"
	        "                         Standard, latest; baseline:v1.N for a version); several\n"
	        "                         with commas, or the flag again\n"
	        "      --config FILE      the node's config (default " CONFIG_DEFAULT_PATH
	        ", read when\n"
	        "                         it exists), as nanoletd reads it\n"
	        "      --KEY VALUE        any nanoletd flag, over the config: --cgroup-driver v1,\n"
	        "                         --cgroup-root /nanolet, --pod-pids-limit 100,\n"
	        "                         --memory-qos true, --seccomp-default Unconfined, ...\n"
	        "  -h, --help             show this help and exit\n"
	        "\n"
	        "Without a cgroup_root, pods are placed as a nanoletd started here would place\n"
	        "them. Exit status: 0 when every pod passes every --fail-on check, 1 when one\n"
	        "fails one (each failure on stderr), 2 for a bad command line, a file that cannot\n"
	        "be read or a document that is not a valid Pod.\n");
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "nanolet explain: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'nanolet explain --help'.\n");
	return -EXPLAIN_USAGE;
}

static int parse_fail_on(struct options *o, const char *arg)
{
	_cleanup_free_ char *copy = strdup(arg);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *colon = strchr(t, ':');
		enum security_pss_level level;
		int version = SECURITY_PSS_LATEST;

		if (strcmp(t, "privileged") == 0) {
			o->fail_on |= FAIL_PRIVILEGED;
			continue;
		}
		if (strcmp(t, "host-namespaces") == 0) {
			o->fail_on |= FAIL_HOST_NAMESPACES;
			continue;
		}
		if (colon)
			*colon = '\0';
		if (security_pss_level_parse(t, &level) < 0 || level == SECURITY_PSS_PRIVILEGED ||
		    (colon && security_pss_version_parse(colon + 1, &version) < 0))
			return usage_error(
			        "--fail-on %s: must be privileged, host-namespaces, "
			        "baseline or restricted (baseline:v1.N, restricted:latest)",
			        arg);
		if (level == SECURITY_PSS_BASELINE) {
			o->fail_on |= FAIL_BASELINE;
			o->baseline_version = version;
		} else {
			o->fail_on |= FAIL_RESTRICTED;
			o->restricted_version = version;
		}
	}
	return 0;
}

/* "-f x", "-fx", "--filename x", "--filename=x": the value, or NULL when it is missing. */
static const char *value_of(int argc, char **argv, int *i, const char *arg, size_t name_len)
{
	if (arg[name_len] == '=')
		return arg + name_len + 1;
	if (arg[1] != '-' && arg[name_len])
		return arg + name_len;
	if (*i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static bool is_opt(const char *arg, const char *name)
{
	size_t len = strlen(name);

	return strncmp(arg, name, len) == 0 &&
	       (arg[len] == '\0' || arg[len] == '=' || (name[1] != '-' && len == 2));
}

static int parse(int argc, char **argv, struct options *o)
{
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i], *v;
		int r = 0;

		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			explain_usage(stdout);
			return 1;
		}
		if (is_opt(arg, "-f") || is_opt(arg, "--filename")) {
			v = value_of(argc, argv, &i, arg, arg[1] == '-' ? strlen("--filename") : 2);
			r = v ? strv_push(&o->files, strdup(v))
			      : usage_error("%s needs a file", arg);
		} else if (is_opt(arg, "-o") || is_opt(arg, "--output")) {
			v = value_of(argc, argv, &i, arg, arg[1] == '-' ? strlen("--output") : 2);
			if (v && strcmp(v, "text") == 0)
				o->format = EXPLAIN_TEXT;
			else if (v && strcmp(v, "json") == 0)
				o->format = EXPLAIN_JSON;
			else if (v && strcmp(v, "yaml") == 0)
				o->format = EXPLAIN_YAML;
			else
				r = usage_error("-o %s: must be text, json or yaml", v ? v : "");
		} else if (is_opt(arg, "--fail-on")) {
			v = value_of(argc, argv, &i, arg, strlen("--fail-on"));
			r = v ? parse_fail_on(o, v) : usage_error("%s needs a check", arg);
		} else if (is_opt(arg, "--config")) {
			o->config = value_of(argc, argv, &i, arg, strlen("--config"));
			if (!o->config)
				r = usage_error("%s needs a file", arg);
		} else if (strncmp(arg, "--", 2) == 0 && arg[2]) {
			/* a nanoletd flag: checked against the config's keys when applied */
			size_t len = strcspn(arg + 2, "=");
			_cleanup_free_ char *name = strndup(arg + 2, len);

			v = value_of(argc, argv, &i, arg, 2 + len);
			if (!name)
				r = -ENOMEM;
			else if (!v)
				r = usage_error("%s needs a value", arg);
			else if ((r = strv_push(&o->flags, TAKE_PTR(name))) >= 0)
				r = strv_push(&o->flags, strdup(v));
		} else {
			r = usage_error("unexpected argument %s", arg);
		}
		if (r < 0)
			return r;
	}
	if (!o->files)
		return usage_error("%s", "no pods: give them with -f FILE (or -f - for stdin)");
	return 0;
}

/* The node's settings, as nanoletd reads them: defaults, the config file, the flags. */
static int node_config(const struct options *o, struct nano_config *config)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	const char *path = o->config;
	int r = config_init(config);

	if (r < 0)
		return r;
	if (path || access(CONFIG_DEFAULT_PATH, F_OK) == 0) {
		r = config_load_file(config, path ? path : CONFIG_DEFAULT_PATH, &err);
		if (r < 0) {
			fprintf(stderr, "nanolet explain: %s\n", err.message ? err.message : "");
			return -EXPLAIN_USAGE;
		}
	}
	for (size_t i = 0; o->flags && o->flags[i]; i += 2) {
		r = config_apply_flag(config, o->flags[i], o->flags[i + 1], &err);
		if (r < 0)
			return usage_error("%s", err.message ? err.message : "bad flag");
	}
	return 0;
}

/* "hostNetwork=true, hostPID=true": the host namespaces a pod asks for, in Kubernetes' words. */
static char *host_namespaces(const struct spec_pod *pod)
{
	return strdupf("%s%s%s%s%s", pod->host_network ? "hostNetwork=true" : "",
	               pod->host_network && (pod->host_pid || pod->host_ipc) ? ", " : "",
	               pod->host_pid ? "hostPID=true" : "",
	               pod->host_pid && pod->host_ipc ? ", " : "",
	               pod->host_ipc ? "hostIPC=true" : "");
}

/* Each --fail-on check the pod fails, on stderr. Returns how many, or -ENOMEM. */
static int checks(const struct options *o, const struct explain_doc *d, const struct spec_pod *pod,
                  const struct plan *plan)
{
	const enum security_pss_level levels[] = {SECURITY_PSS_BASELINE, SECURITY_PSS_RESTRICTED};
	const unsigned flags[] = {FAIL_BASELINE, FAIL_RESTRICTED};
	const int versions[] = {o->baseline_version, o->restricted_version};
	int failed = 0;

	if (o->fail_on & FAIL_PRIVILEGED)
		for (size_t i = 0; i < plan->n_containers; i++)
			if (plan->containers[i].security.privileged) {
				fprintf(stderr,
				        "nanolet explain: %s: pod %s/%s fails --fail-on "
				        "privileged: "
				        "container %s is privileged\n",
				        d->origin, plan->namespace, plan->name,
				        plan->containers[i].name);
				failed++;
			}
	if ((o->fail_on & FAIL_HOST_NAMESPACES) &&
	    (pod->host_network || pod->host_pid || pod->host_ipc)) {
		_cleanup_free_ char *which = host_namespaces(pod);

		if (!which)
			return -ENOMEM;
		fprintf(stderr,
		        "nanolet explain: %s: pod %s/%s fails --fail-on host-namespaces: %s\n",
		        d->origin, plan->namespace, plan->name, which);
		failed++;
	}
	for (size_t i = 0; i < ELEMENTSOF(levels); i++) {
		_cleanup_(security_pss_result_done) struct security_pss_result r = {0};
		_cleanup_free_ char *message = NULL;

		if (!(o->fail_on & flags[i]))
			continue;
		if (security_pss_evaluate(pod->object, levels[i], versions[i], &r) < 0)
			return -ENOMEM;
		if (r.n == 0)
			continue;
		message = security_pss_message(&r, levels[i], versions[i]);
		if (!message)
			return -ENOMEM;
		fprintf(stderr, "nanolet explain: %s: pod %s/%s fails --fail-on %s: %s\n",
		        d->origin, plan->namespace, plan->name, security_pss_level_name(levels[i]),
		        message);
		failed++;
	}
	return failed;
}

/* The cgroup driver and roots a nanoletd started here with config would use. */
static int node_cgroup(const struct nano_config *config, enum config_cgroup_driver *driver,
                       char **root, struct node_hierarchies *hierarchies)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *proc = NULL;
	struct cgroup_host host = {.mode = CGROUP_MODE_UNIFIED, .unified_mounted = true};
	int r;

	if (cgroup_detect(CGROUP_MOUNT, &host, &err) < 0 &&
	    config->cgroup_driver == CONFIG_CGROUP_AUTO)
		fprintf(stderr,
		        "nanolet explain: %s: explaining for cgroup v2 (--cgroup-driver chooses)\n",
		        err.message);
	if (util_read_file_at(AT_FDCWD, "/proc/self/cgroup", &proc) < 0)
		proc = NULL;
	r = node_resolve_cgroup(config, &host, proc, false, driver, root, &err);
	if (r < 0)
		return r;
	return node_hierarchies(config, &host, *driver, proc, hierarchies);
}

struct run {
	struct nano_config config;
	enum config_cgroup_driver driver;
	char *root;
	struct node_hierarchies hierarchies;
	struct explain_docs docs;
	struct explain_pod *pods;
	size_t n_pods;
	struct spec_pod **specs;
};

static void run_done(struct run *run)
{
	for (size_t i = 0; i < run->n_pods; i++) {
		plan_free(run->pods[i].plan);
		spec_pod_free(run->specs[i]);
	}
	free(run->pods);
	free(run->specs);
	explain_docs_done(&run->docs);
	node_hierarchies_done(&run->hierarchies);
	free(run->root);
	config_done(&run->config);
}

/* Decodes and plans one document as nanoletd's isolationplans endpoint does: its own
 * namespace, or default. 1 when it is not a valid Pod (said on stderr), 0, -ENOMEM. */
static int explain_one(struct run *run, const struct explain_doc *d)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_strv_ char **warnings = NULL;
	struct spec_decode_options options;
	struct plan_config config;
	struct explain_pod *pod = &run->pods[run->n_pods];
	struct spec_pod **spec = &run->specs[run->n_pods];
	int r;

	if (!d->doc) {
		fprintf(stderr, "nanolet explain: %s: %s\n", d->origin, d->error);
		return 1;
	}
	node_decode_options(&run->config, d->doc, NULL, &options);
	r = spec_pod_decode(d->doc, &options, spec, &warnings, &err);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		fprintf(stderr, "nanolet explain: %s: %s\n", d->origin,
		        err.message ? err.message : "not a Pod");
		return 1;
	}
	node_plan_config(&run->config, run->driver, run->root, &run->hierarchies, NULL, 0, &config);
	*pod = (struct explain_pod){.origin = d->origin};
	run->n_pods++;
	return plan_build(*spec, &config, warnings, &pod->plan) < 0 ? -ENOMEM : 0;
}

int explain_main(int argc, char **argv)
{
	_cleanup_(run_done) struct run run = {0};
	struct options o = {.baseline_version = SECURITY_PSS_LATEST,
	                    .restricted_version = SECURITY_PSS_LATEST};
	int r, invalid = 0, failed = 0;

	r = parse(argc, argv, &o);
	if (r == 0)
		r = node_config(&o, &run.config);
	if (r == 0)
		r = node_cgroup(&run.config, &run.driver, &run.root, &run.hierarchies);
	for (size_t i = 0; r == 0 && o.files[i]; i++)
		r = explain_read(o.files[i], &run.docs);
	if (r == 0) {
		run.pods = calloc(run.docs.n + 1, sizeof(*run.pods));
		run.specs = calloc(run.docs.n + 1, sizeof(*run.specs));
		if (!run.pods || !run.specs)
			r = -ENOMEM;
	}
	for (size_t i = 0; r == 0 && i < run.docs.n; i++) {
		size_t at = run.n_pods;
		int k = explain_one(&run, &run.docs.v[i]);

		if (k < 0)
			r = k;
		else if (k > 0)
			invalid++;
		else if ((k = checks(&o, &run.docs.v[i], run.specs[at], run.pods[at].plan)) < 0)
			r = k;
		else
			failed += k;
	}
	if (r == 0 && run.docs.n == 0) {
		fprintf(stderr, "nanolet explain: no Pod in %s\n", o.files[0]);
		invalid++;
	}
	if (r == 0 && explain_print(stdout, o.format, run.pods, run.n_pods) < 0)
		r = -EIO;
	strv_free(o.files);
	strv_free(o.flags);
	if (r == 1)
		return EXPLAIN_OK; /* --help */
	if (r == -EXPLAIN_USAGE)
		return EXPLAIN_USAGE;
	if (r < 0) {
		fprintf(stderr, "nanolet explain: %s\n", strerror(-r));
		return EXPLAIN_USAGE;
	}
	if (invalid)
		return EXPLAIN_USAGE;
	return failed ? EXPLAIN_FAILED_CHECK : EXPLAIN_OK;
}
