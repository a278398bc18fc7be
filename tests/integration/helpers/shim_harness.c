/* tests/integration/helpers/shim_harness.c: plays the daemon's part for shim.bats.
 *
 *   shim_harness prepare POD.yaml WORKDIR   decode the pod, build its plan (pkg/spec, pkg/plan),
 *                                           create test cgroups and emptyDir dirs, write
 *                                           WORKDIR/run/shim.json (runtime_shim_config_write)
 *   shim_harness resolve WORKDIR NAME IMAGE.json [NAME IMAGE.json...]
 *                                           containers' images on the node, as the daemon
 *                                           resolves it after its shim started: the pod's plan
 *                                           built again, plan_container_apply_image with
 *                                           IMAGE.json ({"reference", "id", "layers": [top
 *                                           first], "entrypoint", "cmd", "env", "workingDir",
 *                                           "user", "uid", "gid"}), shim.json's plan replaced
 *                                           (runtime_shim_config_replace_plan)
 *   shim_harness spawn SHIM WORKDIR         runtime_shim_spawn; prints the shim's pid
 *   shim_harness request WORKDIR WORDS...   runtime_shim_request; prints the reply
 *   shim_harness wait-exit WORKDIR NAME RESTART
 *                                           waits (10 s) for exits/NAME.RESTART.json, prints
 *                                           "exitCode=N signal=S pid=P" (runtime_exit_read)
 *   shim_harness cleanup WORKDIR            kills what is left in the test cgroups
 *                                           (cgroup.kill), removes them
 *
 * Test cgroups go under this process's own cgroup of each hierarchy, in nanolet-test-<pid>/
 * (memory, cpu, pids and the unified mirror on v1/hybrid hosts; the one hierarchy on v2), so
 * the session's accounting still sees them. Test-only: it trusts its arguments.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>

#include <linux/magic.h>

#include "cgroup/cgroup.h"
#include "plan/plan.h"
#include "runtime/runtime.h"
#include "spec/spec.h"

static int die(const char *what, struct nano_err *err)
{
	fprintf(stderr, "shim_harness: %s: %s\n", what,
	        err && err->message ? err->message : strerror(errno));
	nano_err_clear(err);
	return 1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;

	*len = 0;
	if (f) {
		buf = calloc(1, 1 << 20);
		*len = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
		fclose(f);
	}
	return buf;
}

/* The hierarchies the test uses: mount point and this process's cgroup in it. */
struct hierarchy {
	const char *controller; /* NULL: the unified one */
	char mount[64];
	char *own;
};

static size_t hierarchies(struct hierarchy *h)
{
	struct statfs fs;
	size_t len, n = 0;
	_cleanup_free_ char *text = slurp("/proc/self/cgroup", &len);
	static const char *const v1[] = {"memory", "cpu", "pids"};
	int r;

	if (statfs("/sys/fs/cgroup", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
		h[n] = (struct hierarchy){.controller = NULL, .mount = "/sys/fs/cgroup"};
		h[n].own = cgroup_path_from_proc(text, NULL, &r);
		return h[n].own ? 1 : 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(v1); i++) {
		h[n] = (struct hierarchy){.controller = v1[i]};
		snprintf(h[n].mount, sizeof(h[n].mount), "/sys/fs/cgroup/%s", v1[i]);
		h[n].own = cgroup_path_from_proc(text, v1[i], &r);
		if (h[n].own)
			n++;
	}
	if (statfs("/sys/fs/cgroup/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC) {
		h[n] = (struct hierarchy){.controller = NULL, .mount = "/sys/fs/cgroup/unified"};
		h[n].own = cgroup_path_from_proc(text, NULL, &r);
		if (h[n].own)
			n++;
	}
	return n;
}

static char *test_dir(const struct hierarchy *h, const char *workdir, const char *leaf)
{
	/* The workdir's name makes the root unique per test, like the daemon's pod uid. */
	const char *base = strrchr(workdir, '/') ? strrchr(workdir, '/') + 1 : workdir;

	return strdupf("%s%s/nanolet-test-%s%s%s", h->mount, strcmp(h->own, "/") ? h->own : "",
	               base, leaf ? "/" : "", leaf ? leaf : "");
}

/* The pod of WORKDIR/pod.yaml (or pod_path) and its plan, as prepare makes them. */
static int build_plan(const char *pod_path, const char *workdir, struct spec_pod **pod_out,
                      struct plan **out)
{
	struct nano_err err = {0};
	size_t len;
	struct hierarchy h[8];
	_cleanup_free_ char *yaml = slurp(pod_path, &len);
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_strv_ char **warnings = NULL;
	_cleanup_free_ char *state = strdupf("%s/state", workdir);
	_cleanup_free_ char *uid = strdupf("uid-%s", strrchr(workdir, '/') + 1);
	struct spec_decode_options opts = {.path_namespace = "default"};
	size_t n_h;

	if (!yaml || spec_document_decode(yaml, len, SPEC_FORMAT_YAML, &doc, &err) < 0 ||
	    spec_pod_decode(doc, &opts, pod_out, &warnings, &err) < 0)
		return die("decode", &err);
	n_h = hierarchies(h);
	for (size_t k = 0; k < n_h; k++)
		free(h[k].own);
	struct plan_config pc = {
	        .cgroup_root = "/nanolet-test",
	        .driver = n_h == 1 ? PLAN_CGROUP_V2 : PLAN_CGROUP_V1,
	        .pod_pids_limit = -1,
	        .state_dir = state,
	        .pod_uid = uid,
	        .run_dir = workdir,
	};
	if (plan_build(*pod_out, &pc, warnings, out) < 0)
		return die("plan", NULL);
	return 0;
}

static char **json_strv_or_null(json_t *a)
{
	char **l;
	size_t i;
	json_t *v;

	if (!json_is_array(a))
		return NULL;
	l = calloc(json_array_size(a) + 1, sizeof(char *));
	json_array_foreach(a, i, v) l[i] = strdup(json_string_value(v));
	return l;
}

/* Resolves one container of plan from the image description at image_path. */
static int resolve_one(struct plan *plan, const struct spec_pod *pod, const char *name,
                       const char *image_path)
{
	_cleanup_json_ json_t *j = NULL;
	_cleanup_strv_ char **layers = NULL, **entrypoint = NULL, **cmd = NULL, **env = NULL;
	json_error_t jerr;
	size_t i;

	j = json_load_file(image_path, 0, &jerr);
	if (!j) {
		fprintf(stderr, "shim_harness: %s: %s\n", image_path, jerr.text);
		return 1;
	}
	layers = json_strv_or_null(json_object_get(j, "layers"));
	entrypoint = json_strv_or_null(json_object_get(j, "entrypoint"));
	cmd = json_strv_or_null(json_object_get(j, "cmd"));
	env = json_strv_or_null(json_object_get(j, "env"));
	struct plan_image image = {
	        .reference = json_string_value(json_object_get(j, "reference")),
	        .id = json_string_value(json_object_get(j, "id")),
	        .lowerdirs = layers,
	        .entrypoint = entrypoint,
	        .cmd = cmd,
	        .env = env,
	        .working_dir = json_string_value(json_object_get(j, "workingDir")),
	        .user = json_string_value(json_object_get(j, "user")),
	        .has_uid = json_is_integer(json_object_get(j, "uid")),
	        .has_gid = json_is_integer(json_object_get(j, "gid")),
	        .uid = (uint32_t)json_integer_value(json_object_get(j, "uid")),
	        .gid = (uint32_t)json_integer_value(json_object_get(j, "gid")),
	};
	for (i = 0; i < plan->n_containers; i++)
		if (strcmp(plan->containers[i].name, name) == 0)
			break;
	if (i == plan->n_containers || plan_container_apply_image(plan, i, pod, &image) < 0) {
		fprintf(stderr, "shim_harness: cannot resolve container %s\n", name);
		return 1;
	}
	return 0;
}

/* Every container named in pairs (NAME IMAGE.json ...) resolved in the pod's plan, built again
 * as prepare built it; then shim.json's plan replaced, as the daemon does. */
static int resolve(const char *workdir, char **pairs, int n)
{
	struct nano_err err = {0};
	_cleanup_free_ char *pod_path = strdupf("%s/pod.yaml", workdir);
	_cleanup_free_ char *run = strdupf("%s/run", workdir);
	_cleanup_pod_ struct spec_pod *pod = NULL;
	_cleanup_plan_ struct plan *plan = NULL;

	if (build_plan(pod_path, workdir, &pod, &plan))
		return 1;
	for (int k = 0; k + 1 < n; k += 2)
		if (resolve_one(plan, pod, pairs[k], pairs[k + 1]))
			return 1;
	if (runtime_shim_config_replace_plan(run, plan, &err) < 0)
		return die("shim.json", &err);
	return 0;
}

static int prepare(const char *pod_path, const char *workdir)
{
	struct nano_err err = {0};
	size_t n_h;
	_cleanup_json_ json_t *config = NULL;
	_cleanup_pod_ struct spec_pod *pod = NULL;
	_cleanup_plan_ struct plan *plan = NULL;
	_cleanup_strv_ char **infra = NULL;
	_cleanup_free_ char *state = strdupf("%s/state", workdir);
	_cleanup_free_ char *run = strdupf("%s/run", workdir);
	struct hierarchy h[8];
	struct runtime_shim_container *containers;
	char ***procs;
	char **dirs, **logs;

	if (build_plan(pod_path, workdir, &pod, &plan))
		return 1;
	n_h = hierarchies(h);
	mkdir_p(run, 0755);
	/* The daemon's part: the pod's /dev/shm (a tmpfs there; a directory does here). */
	if (plan->shm && mkdir_p(plan->shm, 01777) < 0)
		return die(plan->shm, NULL);

	for (size_t k = 0; k < n_h; k++) {
		_cleanup_free_ char *d = test_dir(&h[k], workdir, "infra");

		if (mkdir_p(d, 0755) < 0)
			return die(d, NULL);
		strv_pushf(&infra, "%s/cgroup.procs", d);
	}
	containers = calloc(plan->n_containers, sizeof(*containers));
	procs = calloc(plan->n_containers, sizeof(char **));
	dirs = calloc(plan->n_containers, sizeof(char *));
	logs = calloc(plan->n_containers, sizeof(char *));
	for (size_t i = 0; i < plan->n_containers; i++) {
		const struct plan_container *c = &plan->containers[i];

		for (size_t k = 0; k < n_h; k++) {
			_cleanup_free_ char *d = test_dir(&h[k], workdir, c->name);

			if (mkdir_p(d, 0755) < 0)
				return die(d, NULL);
			strv_pushf(&procs[i], "%s/cgroup.procs", d);
			if (!h[k].controller)
				dirs[i] = strdup(d);
		}
		logs[i] = strdupf("%s/logs/%s", workdir, c->name);
		containers[i] = (struct runtime_shim_container){.name = c->name,
		                                                .cgroup_procs = procs[i],
		                                                .cgroup_dir = dirs[i],
		                                                .log_dir = logs[i]};
		/* The daemon's part: emptyDir directories exist before the shim binds them. */
		for (size_t m = 0; m < c->n_mounts; m++)
			if (strncmp(c->mounts[m].source, state, strlen(state)) == 0)
				mkdir_p(c->mounts[m].source, 0755);
	}
	struct runtime_shim_config sc = {
	        .plan = plan,
	        .infra_procs = infra,
	        .uid_map = (plan->clone_flags & CLONE_NEWUSER) ? "0 100000 65536" : NULL,
	        .gid_map = (plan->clone_flags & CLONE_NEWUSER) ? "0 100000 65536" : NULL,
	        .containers = containers,
	        .n_containers = plan->n_containers,
	        .log_max_size = 1 << 20,
	        .log_max_files = 2,
	};
	config = runtime_shim_config_to_json(&sc);
	if (!config || runtime_shim_config_write(run, config, &err) < 0)
		return die("shim.json", &err);
	for (size_t i = 0; i < plan->n_containers; i++) {
		strv_free(procs[i]);
		free(dirs[i]);
		free(logs[i]);
	}
	free(procs), free(dirs), free(logs), free(containers);
	for (size_t k = 0; k < n_h; k++)
		free(h[k].own);
	return 0;
}

/* Removes dir and everything below it, deepest first (cgroup dirs only go with rmdir). */
static void rmdir_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_type == DT_DIR && strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			_cleanup_free_ char *sub = strdupf("%s/%s", dir, e->d_name);

			rmdir_tree(sub);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

static int cleanup(const char *workdir)
{
	struct hierarchy h[8];
	size_t n_h = hierarchies(h);

	/* cgroup.kill (v2) first: every process of the test's cgroups, and only those. */
	for (size_t k = 0; k < n_h; k++) {
		_cleanup_free_ char *root = test_dir(&h[k], workdir, NULL);
		_cleanup_free_ char *kill_file = strdupf("%s/cgroup.kill", root);
		FILE *f = h[k].controller ? NULL : fopen(kill_file, "we");

		if (f) {
			fputs("1", f);
			fclose(f);
		}
	}
	for (size_t k = 0; k < n_h; k++) {
		_cleanup_free_ char *root = test_dir(&h[k], workdir, NULL);
		struct stat st;

		/* Killed processes leave their v1 cgroups only once reaped, which the init of
		 * this sandbox does lazily. */
		for (int i = 0; i < 400 && stat(root, &st) == 0; i++) {
			rmdir_tree(root);
			if (stat(root, &st) == 0)
				nanosleep(&(struct timespec){0, 50000000}, NULL);
		}
		if (stat(root, &st) == 0)
			fprintf(stderr, "shim_harness: %s is still there\n", root);
		free(h[k].own);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct nano_err err = {0};

	if (argc == 4 && strcmp(argv[1], "prepare") == 0)
		return prepare(argv[2], argv[3]);
	if (argc >= 5 && argc % 2 == 1 && strcmp(argv[1], "resolve") == 0)
		return resolve(argv[2], argv + 3, argc - 3);
	if (argc == 4 && strcmp(argv[1], "spawn") == 0) {
		_cleanup_free_ char *run = strdupf("%s/run", argv[3]);
		pid_t pid;

		if (runtime_shim_spawn(argv[2], run, 10000, &pid, &err) < 0)
			return die("spawn", &err);
		printf("%d\n", (int)pid);
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "request") == 0) {
		_cleanup_free_ char *run = strdupf("%s/run", argv[2]);
		_cleanup_free_ char *request = strv_join(argv + 3, " ");
		_cleanup_free_ char *reply = NULL;

		if (runtime_shim_request(run, request, &reply, 10000, &err) < 0)
			return die("request", &err);
		printf("%s\n", reply);
		return 0;
	}
	if (argc == 5 && strcmp(argv[1], "wait-exit") == 0) {
		_cleanup_free_ char *path =
		        strdupf("%s/run/exits/%s.%s.json", argv[2], argv[3], argv[4]);
		struct runtime_exit e;
		struct stat st;

		for (int i = 0; i < 200 && stat(path, &st) < 0; i++)
			nanosleep(&(struct timespec){0, 50000000}, NULL);
		if (runtime_exit_read(path, &e, &err) < 0)
			return die("exit", &err);
		printf("exitCode=%d signal=%d pid=%d\n", e.exit_code, e.signal, (int)e.pid);
		runtime_exit_done(&e);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "cleanup") == 0)
		return cleanup(argv[2]);
	fprintf(stderr, "usage: see the comment at the top of shim_harness.c\n");
	return 2;
}
