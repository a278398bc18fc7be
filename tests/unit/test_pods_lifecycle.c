/* tests/unit/test_pods_lifecycle.c: the pod manager driven through its seams, without a shim,
 * a kernel cgroup or a wait.
 *
 * - The shim is a fake (struct fake_shim): starts and requests are recorded and answered by
 *   the test, as the real client would, later, through their callbacks; its death is a call.
 *   An exit is what the real shim leaves: a record in <run dir>/exits, seen through inotify.
 * - The clock is a fake (struct fake_clock): time moves only when the test says, and a timer
 *   fires when it is due, so a 10 s back-off or a 30 s grace period take no time.
 * - The cgroup driver is the real v1 driver on a fake cgroupfs in a temporary directory: its
 *   hierarchies are plain directories whose control files on_mkdir makes.
 * - The store is the real one, in the test's state directory: what a restarted daemon reads.
 *
 * Each test runs in a process of its own, in user and mount namespaces of its own: the pod's
 * tmpfs mounts (its /dev/shm) are made there without root, and go when the test ends, whatever
 * it did. Everything else lives under one mkdtemp directory, removed by the runner process. The
 * only process signalled is a child a test forks to stand in a container's cgroup (it dies with the
 * test: PR_SET_PDEATHSIG).
 */
#include "check_main.h"
#include <dirent.h>
#include <signal.h>
#include <string.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cgroup_fixture.h"
#include "fs_watch.h"
#include "tmp_fixture.h"
#include "pods.h"
#include "store/store.h"
#include "watch/watch.h"

TMP_FIXTURE("/tmp/nanolet-lifecycle-XXXXXX")

/* ---- the fake clock ------------------------------------------------------------------------- */

struct pod_timer {
	struct fake_clock *clock;
	struct pod_timer *next;
	clockid_t id;
	uint64_t usec;
	pod_timer_fn *fn;
	void *userdata;
	struct pod_timer **slot;
};

struct fake_clock {
	uint64_t monotonic, realtime; /* microseconds */
	struct pod_timer *timers;
};

static uint64_t clock_now(void *ctx, clockid_t id)
{
	struct fake_clock *c = ctx;

	return id == CLOCK_REALTIME ? c->realtime : c->monotonic;
}

static int clock_add(void *ctx, clockid_t id, uint64_t usec, pod_timer_fn *fn, void *userdata,
                     struct pod_timer **slot)
{
	struct fake_clock *c = ctx;
	struct pod_timer *t = calloc(1, sizeof(*t));

	ck_assert_ptr_nonnull(t);
	*t = (struct pod_timer){c, c->timers, id, usec, fn, userdata, slot};
	c->timers = t;
	*slot = t;
	return 0;
}

static uint64_t clock_when(const struct pod_timer *t)
{
	return t->usec;
}

static int clock_move(struct pod_timer *t, uint64_t usec)
{
	t->usec = usec;
	return 0;
}

static void clock_unlink(struct pod_timer *t)
{
	for (struct pod_timer **p = &t->clock->timers; *p; p = &(*p)->next)
		if (*p == t) {
			*p = t->next;
			return;
		}
	ck_abort_msg("a timer cancelled twice, or one that fired");
}

static void clock_cancel(struct pod_timer *t)
{
	if (!t)
		return;
	clock_unlink(t);
	free(t);
}

static const struct pod_clock_ops fake_clock_ops = {
        .now = clock_now,
        .add = clock_add,
        .when = clock_when,
        .move = clock_move,
        .cancel = clock_cancel,
};

/* The earliest due timer, or NULL. */
static struct pod_timer *clock_due(struct fake_clock *c)
{
	struct pod_timer *due = NULL;

	for (struct pod_timer *t = c->timers; t; t = t->next)
		if (t->usec <= clock_now(c, t->id) && (!due || t->usec < due->usec))
			due = t;
	return due;
}

/* ---- the fake shim -------------------------------------------------------------------------- */

struct pod_shim_call {
	struct pod_shim_call *next;
	bool start;
	char *run_dir;
	char *text; /* a request's; NULL for a start */
	pod_shim_started_fn *started;
	pod_shim_reply_fn *reply;
	void *userdata;
};

struct pod_shim_watch {
	struct pod_shim_watch *next;
	pid_t pid;
	pod_shim_gone_fn *fn;
	void *userdata;
};

struct fake_shim {
	struct pod_shim_call *calls;
	struct pod_shim_watch *watches;
	pid_t next_pid;
	unsigned starts;
};

static void call_push(struct fake_shim *s, struct pod_shim_call *call)
{
	struct pod_shim_call **p = &s->calls;

	while (*p)
		p = &(*p)->next;
	*p = call;
}

static int shim_start(void *ctx, const char *run_dir, uint64_t timeout_usec,
                      pod_shim_started_fn *fn, void *userdata, struct pod_shim_call **out)
{
	struct pod_shim_call *call = calloc(1, sizeof(*call));

	(void)timeout_usec;
	ck_assert_ptr_nonnull(call);
	*call = (struct pod_shim_call){
	        .start = true, .run_dir = strdup(run_dir), .started = fn, .userdata = userdata};
	call_push(ctx, call);
	((struct fake_shim *)ctx)->starts++;
	*out = call;
	return 0;
}

static int shim_request(void *ctx, const char *run_dir, const char *request, uint64_t timeout_usec,
                        pod_shim_reply_fn *fn, void *userdata, struct pod_shim_call **out)
{
	struct pod_shim_call *call = calloc(1, sizeof(*call));

	(void)timeout_usec;
	ck_assert_ptr_nonnull(call);
	*call = (struct pod_shim_call){.run_dir = strdup(run_dir),
	                               .text = strdup(request),
	                               .reply = fn,
	                               .userdata = userdata};
	call_push(ctx, call);
	*out = call;
	return 0;
}

static struct fake_shim *the_shim; /* one per test process */

static void call_free(struct pod_shim_call *call)
{
	free(call->run_dir);
	free(call->text);
	free(call);
}

static void shim_cancel(struct pod_shim_call *call)
{
	if (!call)
		return;
	for (struct pod_shim_call **p = &the_shim->calls; *p; p = &(*p)->next)
		if (*p == call) {
			*p = call->next;
			return call_free(call);
		}
	ck_abort_msg("a shim call cancelled that is not in flight");
}

static int shim_watch(void *ctx, pid_t pid, uint64_t *start_time, pod_shim_gone_fn *fn,
                      void *userdata, struct pod_shim_watch **out, struct nano_err *err)
{
	struct fake_shim *s = ctx;
	struct pod_shim_watch *w;

	if (pid <= 0 || pid >= s->next_pid)
		return nano_err_set(err, ESRCH, "no shim %d", (int)pid);
	if (*start_time == 0)
		*start_time = 1000 + (uint64_t)pid;
	else if (*start_time != 1000 + (uint64_t)pid)
		return nano_err_set(err, ESRCH, "pid %d is someone else's", (int)pid);
	w = calloc(1, sizeof(*w));
	ck_assert_ptr_nonnull(w);
	*w = (struct pod_shim_watch){s->watches, pid, fn, userdata};
	s->watches = w;
	*out = w;
	return 0;
}

static void shim_unwatch(struct pod_shim_watch *w)
{
	if (!w)
		return;
	for (struct pod_shim_watch **p = &the_shim->watches; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			free(w);
			return;
		}
	ck_abort_msg("a shim watch dropped twice");
}

static const struct pod_shim_ops fake_shim_ops = {
        .start = shim_start,
        .request = shim_request,
        .cancel = shim_cancel,
        .watch = shim_watch,
        .unwatch = shim_unwatch,
};

/* ---- the fake checks of probes and hooks ----------------------------------------------------- */

struct pod_check {
	struct pod_check *next;
	char *command; /* exec: argv joined by spaces; else the handler's type as a word */
	uint64_t timeout_usec;
	pod_check_done_fn *fn;
	void *userdata;
};

struct fake_checks {
	struct pod_check *checks;
	unsigned started;
};

static struct fake_checks *the_checks; /* one per test process */

static int check_start(void *ctx, struct pod *pod, size_t container,
                       const struct spec_handler *handler, uint64_t timeout_usec,
                       pod_check_done_fn *fn, void *userdata, struct pod_check **out,
                       struct nano_err *err)
{
	struct fake_checks *c = ctx;
	struct pod_check *check = calloc(1, sizeof(*check));

	(void)pod;
	(void)container;
	(void)err;
	ck_assert_ptr_nonnull(check);
	*check = (struct pod_check){.next = c->checks,
	                            .command = handler->type == SPEC_HANDLER_EXEC
	                                               ? strv_join(handler->command, " ")
	                                               : strdup("network"),
	                            .timeout_usec = timeout_usec,
	                            .fn = fn,
	                            .userdata = userdata};
	c->checks = check;
	c->started++;
	*out = check;
	return 0;
}

static void check_unlink(struct pod_check *check)
{
	for (struct pod_check **p = &the_checks->checks; *p; p = &(*p)->next)
		if (*p == check) {
			*p = check->next;
			return;
		}
	ck_abort_msg("a check cancelled that is not in flight");
}

static void check_cancel(struct pod_check *check)
{
	if (!check)
		return;
	check_unlink(check);
	free(check->command);
	free(check);
}

static const struct pod_check_ops fake_check_ops = {
        .start = check_start,
        .cancel = check_cancel,
};

/* ---- the fake cgroupfs (v1) ----------------------------------------------------------------- */

static const char *const hierarchies[] = {"memory", "cpu", "cpuacct", "pids", "freezer", "devices"};

static void fake_cgroup(const char *dir, void *userdata)
{
	static const char *const files[][2] = {
	        {"cgroup.procs", ""},
	        {"tasks", ""},
	        {"cgroup.event_control", ""},
	        {"notify_on_release", "0\n"},
	        {"memory.limit_in_bytes", "9223372036854771712\n"},
	        {"memory.memsw.limit_in_bytes", "9223372036854771712\n"},
	        {"memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"},
	        {"memory.stat", ""},
	        {"memory.usage_in_bytes", "0\n"},
	        {"cpu.shares", "1024\n"},
	        {"cpu.cfs_period_us", "100000\n"},
	        {"cpu.cfs_quota_us", "-1\n"},
	        {"cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n"},
	        {"cpuacct.usage", "0\n"},
	        {"pids.max", "max\n"},
	        {"pids.current", "0\n"},
	        {"pids.events", "max 0\n"},
	        {"freezer.state", "THAWED\n"},
	        {"devices.allow", ""},
	        {"devices.deny", ""},
	        {"devices.list", "a *:* rwm\n"},
	};

	(void)userdata;
	for (size_t i = 0; i < ELEMENTSOF(files); i++)
		put(dir, files[i][0], files[i][1]);
}

/* ---- the node ------------------------------------------------------------------------------- */

struct node {
	char *base, *state, *run, *log, *mount, *boot_id;
	sd_event *event;
	struct fs_watches *watches;
	struct fake_clock clock;
	struct fake_shim shim;
	struct fake_checks checks;
	struct pods_options options;
	struct pods *pods;
};

static char *node_dir(struct node *n, const char *name)
{
	char *dir = strdupf("%s/%s", n->base, name);

	ck_assert_int_eq(mkdir(dir, 0755), 0);
	return dir;
}

/* nanolet's root in each fake hierarchy: /nanolet under this process's "/" */
static void plan_config(void *userdata, const char *uid, uint32_t userns_base,
                        struct plan_config *out)
{
	struct node *n = userdata;

	*out = (struct plan_config){
	        .cgroup_root = "/nanolet",
	        .driver = PLAN_CGROUP_V1,
	        .pod_pids_limit = -1,
	        .state_dir = n->state,
	        .pod_uid = uid,
	        .run_dir = n->run,
	        .log_dir = n->log,
	        .userns_base = userns_base,
	};
}

/* As nanoletd: the store batches what one loop iteration writes (pump flushes it). */
static void node_open(struct node *n)
{
	struct nano_err err = {0};
	int r = pods_open(&n->options, &n->pods, &err);

	ck_assert_msg(r == 0, "pods_open: %s", err.message ? err.message : "");
	ck_assert_int_eq(store_batch(pods_store(n->pods), true, &err), 0);
}

/* This test process as root of a user namespace of its own (its uid and gid mapped to 0) with a
 * mount namespace of its own, no mount propagating out. */
static void private_namespaces(void)
{
	_cleanup_free_ char *uid_map = strdupf("0 %d 1", (int)geteuid());
	_cleanup_free_ char *gid_map = strdupf("0 %d 1", (int)getegid());

	ck_assert_msg(unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0, "unshare: %m");
	put("/proc/self", "setgroups", "deny");
	put("/proc/self", "uid_map", uid_map);
	put("/proc/self", "gid_map", gid_map);
	ck_assert_msg(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0, "private /: %m");
}

static void node_init_options(struct node *n)
{
	memset(n, 0, sizeof(*n));
	private_namespaces();
	n->base = strdupf("%s/node-XXXXXX", tmp_base);
	ck_assert_ptr_nonnull(mkdtemp(n->base));
	n->state = node_dir(n, "state");
	n->run = node_dir(n, "run");
	n->log = node_dir(n, "log");
	n->mount = node_dir(n, "cgroup");
	for (size_t i = 0; i < ELEMENTSOF(hierarchies); i++) {
		_cleanup_free_ char *dir = strdupf("%s/%s", n->mount, hierarchies[i]);

		ck_assert_int_eq(mkdir(dir, 0755), 0);
		fake_cgroup(dir, NULL);
	}
	n->boot_id = strdupf("%s/boot_id", n->base);
	put(n->base, "boot_id", "6a1b1a9e-0c52-4bd4-a0e0-5c8d7d4e6e01\n");
	ck_assert_int_ge(sd_event_new(&n->event), 0);
	ck_assert_int_eq(fs_watches_new(n->event, &n->watches, NULL), 0);
	n->clock = (struct fake_clock){.monotonic = 1000000000,
	                               .realtime = UINT64_C(1800000000000000)};
	n->shim.next_pid = 4000;
	the_shim = &n->shim;
	the_checks = &n->checks;
	n->options = (struct pods_options){
	        .event = n->event,
	        .state_dir = n->state,
	        .run_dir = n->run,
	        .log_dir = n->log,
	        .sup = SUP_CONFIG_DEFAULT,
	        .max_pods = 110,
	        .event_ttl = 3600,
	        .cpu_throttling_interval = 10,
	        .cpu_throttling_threshold = 25,
	        .container_log_max_size = 10 << 20,
	        .container_log_max_files = 5,
	        .cgroup = {.mount = n->mount,
	                   .host = {.mode = CGROUP_MODE_LEGACY},
	                   .driver = PLAN_CGROUP_V1,
	                   .proc_self_cgroup = "6:devices:/\n5:freezer:/\n4:pids:/\n3:cpuacct:/\n"
	                                       "2:cpu:/\n1:memory:/\n",
	                   .on_mkdir = fake_cgroup,
	                   .on_rmdir = fake_tree_rmdir},
	        .plan_config = plan_config,
	        .plan_userdata = n,
	        .hostname = "node-1",
	        .host_ip = "198.18.0.1",
	        .boot_id_path = n->boot_id,
	        .shim = &fake_shim_ops,
	        .shim_ctx = &n->shim,
	        .shim_timeout_usec = 10000000,
	        .clock = &fake_clock_ops,
	        .clock_ctx = &n->clock,
	        .checks = &fake_check_ops,
	        .checks_ctx = &n->checks,
	        .watches = n->watches,
	};
}

static void node_init(struct node *n)
{
	node_init_options(n);
	node_open(n);
}

/* What the loop has to do now, done: io (inotify on exits/) and every due timer, each followed
 * by the store's flush (nanoletd's post source), until nothing moves. */
static void pump(struct node *n)
{
	for (int rounds = 0; rounds < 10000; rounds++) {
		struct pod_timer *due;
		int r = sd_event_run(n->event, 0);

		ck_assert_int_ge(store_flush(pods_store(n->pods), NULL), 0);
		if (r > 0)
			continue;
		due = clock_due(&n->clock);
		if (!due)
			return;
		clock_unlink(due);
		*due->slot = NULL;
		due->fn(due->userdata);
		free(due);
		ck_assert_int_ge(store_flush(pods_store(n->pods), NULL), 0);
	}
	ck_abort_msg("the pod manager never settles");
}

/* Runs the loop until cond(arg) holds: what happens outside it (a child that removes a pod's
 * files) is waited for as the daemon would, on its pidfd. 20 s at most, then it fails. */
static void wait_until(struct node *n, bool (*cond)(struct node *n, const void *arg),
                       const void *arg)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pump(n);
		if (cond(n, arg))
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ck_assert_msg(now.tv_sec - start.tv_sec < 20, "waited 20 s in vain");
		ck_assert_int_ge(sd_event_run(n->event, 100000), 0);
	}
}

static bool flag_set(struct node *n, const void *flag)
{
	(void)n;
	return *(const bool *)flag;
}

/* Moves both clocks on by usec, one timer at a time, as a loop would see them. */
static void advance(struct node *n, uint64_t usec)
{
	uint64_t end = n->clock.monotonic + usec;

	pump(n);
	while (n->clock.monotonic < end) {
		uint64_t next = end;

		for (struct pod_timer *t = n->clock.timers; t; t = t->next) {
			uint64_t at = t->id == CLOCK_REALTIME
			                      ? n->clock.monotonic + (t->usec - n->clock.realtime)
			                      : t->usec;

			if (t->usec > clock_now(&n->clock, t->id) && at < next)
				next = at;
		}
		n->clock.realtime += next - n->clock.monotonic;
		n->clock.monotonic = next;
		pump(n);
	}
}

static void node_close(struct node *n)
{
	n->pods = pods_free(n->pods);
	ck_assert_msg(n->shim.calls == NULL, "shim calls left in flight: \"%s\"",
	              n->shim.calls ? n->shim.calls->text : "");
	ck_assert_msg(n->shim.watches == NULL, "shim watches left");
	ck_assert_msg(n->clock.timers == NULL, "timers left");
	ck_assert_msg(n->checks.checks == NULL, "checks left in flight: \"%s\"",
	              n->checks.checks ? n->checks.checks->command : "");
	ck_assert_uint_eq(fs_watches_count(n->watches), 0);
}

static void node_done(struct node *n)
{
	if (n->pods)
		node_close(n);
	n->watches = fs_watches_free(n->watches);
	n->event = sd_event_unref(n->event);
	free(n->base);
	free(n->state);
	free(n->run);
	free(n->log);
	free(n->mount);
	free(n->boot_id);
}

/* ---- the shim's side ------------------------------------------------------------------------ */

/* The call in flight whose text starts with prefix ("" matches any request; NULL the start). */
static struct pod_shim_call *find_call(struct node *n, const char *prefix)
{
	for (struct pod_shim_call *c = n->shim.calls; c; c = c->next)
		if (prefix ? c->text && strncmp(c->text, prefix, strlen(prefix)) == 0 : c->start)
			return c;
	return NULL;
}

static bool in_flight(struct node *n, const char *prefix)
{
	return find_call(n, prefix) != NULL;
}

static struct pod_shim_call *take_call(struct node *n, const char *prefix)
{
	struct pod_shim_call *c = find_call(n, prefix);

	ck_assert_msg(c != NULL, "no shim call \"%s\" in flight", prefix ? prefix : "(start)");
	for (struct pod_shim_call **p = &n->shim.calls; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	return c;
}

/* The new shim listens: as the real one, it has made exits/. */
static pid_t shim_listens(struct node *n)
{
	struct pod_shim_call *c = take_call(n, NULL);
	_cleanup_free_ char *exits = strdupf("%s/exits", c->run_dir);
	pid_t pid = n->shim.next_pid++;

	ck_assert(mkdir(exits, 0700) == 0 || errno == EEXIST);
	c->started(c->userdata, 0, pid, NULL);
	call_free(c);
	pump(n);
	return pid;
}

static void reply(struct node *n, const char *prefix, int r, const char *text)
{
	struct pod_shim_call *c = take_call(n, prefix);
	struct nano_err err = {0};

	if (r < 0)
		nano_err_set(&err, -r, "fake shim: %s", strerror(-r));
	c->reply(c->userdata, r, text, r < 0 ? &err : NULL);
	nano_err_clear(&err);
	call_free(c);
	pump(n);
}

static void shim_dies(struct node *n, pid_t pid)
{
	for (struct pod_shim_watch *w = n->shim.watches; w; w = w->next)
		if (w->pid == pid) {
			w->fn(w->userdata);
			return pump(n);
		}
	ck_abort_msg("no watch on shim %d", (int)pid);
}

/* The exit record the shim writes when a run ends. */
static void run_exits(struct node *n, const struct pod *pod, const char *container, int restart,
                      int exit_code, int signal)
{
	_cleanup_json_ json_t *o = pod_to_json(pod);
	const char *uid = json_string_value(json_object_get(json_object_get(o, "metadata"), "uid"));
	_cleanup_free_ char *dir = strdupf("%s/pods/%s/exits", n->run, uid);
	_cleanup_free_ char *name = strdupf("%s.%d.json", container, restart);
	struct timespec now = {.tv_sec = (time_t)(n->clock.realtime / 1000000)};
	char finished[UTIL_RFC3339_SIZE];
	_cleanup_free_ char *text = NULL;

	ck_assert_int_ge(util_rfc3339(finished, sizeof(finished), &now, false), 0);
	text = strdupf(
	        "{\"name\":\"%s\",\"restart\":%d,\"pid\":%d,\"exitCode\":%d,"
	        "\"signal\":%d,\"startedAt\":\"2027-01-15T08:00:00Z\",\"finishedAt\":\"%s\"}",
	        container, restart, 7000 + restart, exit_code, signal, finished);

	put(dir, name, text);
	pump(n);
}

/* ---- pods ----------------------------------------------------------------------------------- */

struct answer {
	bool called;
	int r;
	struct pod *pod;
	enum nano_class class;
	json_t *last;
};

static void on_created(void *userdata, int r, struct pod *pod, const struct nano_err *err)
{
	struct answer *a = userdata;

	ck_assert(!a->called);
	*a = (struct answer){.called = true, .r = r, .pod = pod, .class = err ? err->class : 0};
}

static void on_deleted(void *userdata, int r, const json_t *last, const struct nano_err *err)
{
	struct answer *a = userdata;

	ck_assert(!a->called);
	*a = (struct answer){.called = true,
	                     .r = r,
	                     .class = err ? err->class : 0,
	                     .last = last ? json_deep_copy(last) : NULL};
}

static struct spec_pod *spec_of(const char *yaml)
{
	_cleanup_json_ json_t *doc = NULL;
	_cleanup_strv_ char **warnings = NULL;
	struct spec_decode_options options = {.path_namespace = "default"};
	struct spec_pod *spec = NULL;
	struct nano_err err = {0};

	ck_assert_int_eq(spec_yaml_to_json(yaml, strlen(yaml), &doc, &err), 0);
	ck_assert_msg(spec_pod_decode(doc, &options, &spec, &warnings, &err) == 0, "decode: %s",
	              err.message);
	return spec;
}

#define POD_YAML(restart_policy, grace)                                                            \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"                                       \
	"spec:\n  restartPolicy: " restart_policy "\n  terminationGracePeriodSeconds: " grace      \
	"\n  containers:\n  - {name: app, image: host, command: [/bin/sleep, '1000']}\n"

/* Creates the pod and answers for the shim: it starts, and so does the container. */
static struct pod *create_running(struct node *n, const char *yaml)
{
	struct spec_pod *spec = spec_of(yaml);
	struct answer a = {0};
	struct nano_err err = {0};

	ck_assert_msg(pods_create(n->pods, &spec, NULL, on_created, &a, &err) == 0, "create: %s",
	              err.message);
	pump(n);
	ck_assert_msg(!a.called, "answered before the shim started");
	shim_listens(n);
	ck_assert_msg(!a.called, "answered before the container started");
	reply(n, "start app 0", 0, "ok 7000");
	ck_assert(a.called);
	ck_assert_int_eq(a.r, 0);
	return a.pod;
}

static json_t *container_status(const struct pod *pod)
{
	json_t *o = pod_to_json(pod);
	json_t *cs = json_incref(json_array_get(
	        json_object_get(json_object_get(o, "status"), "containerStatuses"), 0));

	json_decref(o);
	return cs;
}

static int64_t restart_count(const struct pod *pod)
{
	_cleanup_json_ json_t *cs = container_status(pod);

	return json_integer_value(json_object_get(cs, "restartCount"));
}

/* "running", "waiting" or "terminated" */
static bool state_is(const struct pod *pod, const char *state)
{
	_cleanup_json_ json_t *cs = container_status(pod);

	return json_object_get(json_object_get(cs, "state"), state) != NULL;
}

static const char *phase(const struct pod *pod)
{
	static char buf[32];
	_cleanup_json_ json_t *o = pod_to_json(pod);

	snprintf(buf, sizeof(buf), "%s",
	         json_string_value(json_object_get(json_object_get(o, "status"), "phase")));
	return buf;
}

/* How often the pod has an event of that reason. */
static int64_t events(struct node *n, const char *reason)
{
	struct store_event *evs = NULL;
	struct nano_err err = {0};
	size_t count = 0;
	int64_t total = 0;

	ck_assert_int_ge(
	        store_events_list(pods_store(n->pods), "default", NULL, &evs, &count, &err), 0);
	for (size_t i = 0; i < count; i++)
		if (strcmp(evs[i].reason, reason) == 0)
			total += evs[i].count;
	store_events_free(evs, count);
	return total;
}

static bool stored(struct node *n, const char *name)
{
	struct store_pod row = {0};
	struct nano_err err = {0};
	int r = store_pod_get(pods_store(n->pods), "default", name, &row, &err);

	nano_err_clear(&err);
	store_pod_done(&row);
	return r == 0;
}

/* Writes procs into every cgroup.procs of the container's cgroups ("" empties them): what the
 * kernel would list, for the driver's kill and its "populated". */
static void container_procs(const struct pod *pod, const char *procs)
{
	_cleanup_json_ json_t *iso = pod_isolation_json(pod);
	json_t *containers = json_object_get(json_object_get(iso, "live"), "containers");
	json_t *dirs = json_object_get(json_array_get(containers, 0), "cgroupDirs"), *dir;
	size_t k;

	ck_assert_int_gt(json_array_size(dirs), 0);
	json_array_foreach(dirs, k, dir)
	{
		put(json_string_value(dir), "cgroup.procs", procs);
	}
}

/* A child that waits to be killed, standing in for a container's process. */
static pid_t stand_in(void)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	return pid;
}

/* Whether the child was killed by SIGKILL (then reaped) within timeout_ms, its pidfd saying
 * when it ends; false while it lives. A signal sent is not a process dead: the kill lands
 * when the child next runs. */
static bool killed_within(pid_t pid, int timeout_ms)
{
	_cleanup_close_ int fd = pidfd_open(pid, 0);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int status;

	ck_assert_int_ge(fd, 0);
	if (poll(&p, 1, timeout_ms) <= 0 || waitpid(pid, &status, WNOHANG) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

#define killed(pid) killed_within(pid, 20000)
#define alive(pid)  (!killed_within(pid, 200)) /* a kill sent lands well within */

static bool gone_from_store(struct node *n, const void *name)
{
	return !stored(n, name);
}

/* ---- tests ---------------------------------------------------------------------------------- */

START_TEST(create_answers_once_the_container_runs)
{
	struct node n;
	struct pod *pod;

	node_init(&n);
	pod = create_running(&n, POD_YAML("Always", "30"));
	ck_assert_str_eq(phase(pod), "Running");
	ck_assert(state_is(pod, "running"));
	ck_assert_int_eq(restart_count(pod), 0);
	ck_assert_int_eq(events(&n, "Created"), 1);
	ck_assert_int_eq(events(&n, "Started"), 1);
	ck_assert(stored(&n, "web"));
	ck_assert_ptr_eq(pods_find(n.pods, "default", "web"), pod);
	node_done(&n);
}
END_TEST

START_TEST(a_failed_run_restarts_after_its_back_off)
{
	struct node n;
	struct pod *pod;

	node_init(&n);
	pod = create_running(&n, POD_YAML("Always", "30"));
	/* as the kubelet, the first restart comes at once */
	run_exits(&n, pod, "app", 0, 1, 0);
	reply(&n, "start app 1", 0, "ok 7001");
	ck_assert(state_is(pod, "running"));
	ck_assert_int_eq(restart_count(pod), 1);
	ck_assert_int_eq(events(&n, "BackOff"), 0);
	/* the next one after 10 s of CrashLoopBackOff: nothing before */
	run_exits(&n, pod, "app", 1, 1, 0);
	ck_assert(state_is(pod, "waiting"));
	ck_assert_int_eq(events(&n, "BackOff"), 1);
	advance(&n, 9 * 1000000);
	ck_assert(!in_flight(&n, "start"));
	advance(&n, 1 * 1000000);
	reply(&n, "start app 2", 0, "ok 7002");
	ck_assert_int_eq(restart_count(pod), 2);
	/* and the one after that twice as long */
	run_exits(&n, pod, "app", 2, 1, 0);
	advance(&n, 19 * 1000000);
	ck_assert(!in_flight(&n, "start"));
	advance(&n, 1 * 1000000);
	reply(&n, "start app 3", 0, "ok 7003");
	ck_assert_int_eq(restart_count(pod), 3);
	ck_assert(state_is(pod, "running"));
	node_done(&n);
}
END_TEST

START_TEST(a_delete_waits_out_the_grace_then_kills_and_removes_everything)
{
	struct node n;
	struct pod *pod;
	struct answer a = {0};
	_cleanup_free_ char *run_dir = NULL;
	pid_t shim, process;

	node_init(&n);
	pod = create_running(&n, POD_YAML("Always", "30"));
	shim = n.shim.next_pid - 1;
	{
		_cleanup_json_ json_t *o = pod_to_json(pod);

		run_dir = strdupf(
		        "%s/pods/%s", n.run,
		        json_string_value(json_object_get(json_object_get(o, "metadata"), "uid")));
	}
	{
		_cleanup_free_ char *procs = strdupf("%d\n", (int)(process = stand_in()));

		container_procs(pod, procs);
	}
	pod_delete(pod, -1, on_deleted, &a);
	pump(&n);
	reply(&n, "kill app 15", 0, "ok");
	ck_assert_int_eq(events(&n, "Killing"), 1);
	/* the container ignores SIGTERM: nothing happens before the grace is over */
	advance(&n, 29 * 1000000);
	ck_assert(!a.called);
	ck_assert(!in_flight(&n, "shutdown"));
	ck_assert(alive(process));
	/* then everything in its cgroup is killed, and the shim reports the end */
	advance(&n, 1 * 1000000);
	ck_assert(killed(process));
	container_procs(pod, "");
	run_exits(&n, pod, "app", 0, 137, SIGKILL);
	reply(&n, "shutdown", 0, "ok");
	ck_assert(!a.called);
	shim_dies(&n, shim);
	/* the files go in a child process while the loop goes on; then the answer */
	wait_until(&n, flag_set, &a.called);
	ck_assert_int_eq(a.r, 0);
	ck_assert_ptr_nonnull(a.last);
	json_decref(a.last);
	ck_assert_ptr_null(pods_find(n.pods, "default", "web"));
	ck_assert(!stored(&n, "web"));
	ck_assert_int_ne(access(run_dir, F_OK), 0);
	node_done(&n);
}
END_TEST

/* What the ring of changes (the watches') was told about pods. */
struct pod_changes {
	char types[16][16];
	uint64_t rvs[16];
	size_t n;
};

static void on_pod_change(void *userdata, const struct watch_change *c)
{
	struct pod_changes *seen = userdata;
	const char *rv = json_string_value(
	        json_object_get(json_object_get(c->object, "metadata"), "resourceVersion"));

	if (c->kind != WATCH_PODS)
		return;
	ck_assert_uint_lt(seen->n, 16);
	/* the object as served carries the change's resourceVersion */
	ck_assert_uint_eq(strtoull(rv ? rv : "0", NULL, 10), c->resource_version);
	snprintf(seen->types[seen->n], sizeof(seen->types[0]), "%s", watch_type_name(c->type));
	seen->rvs[seen->n++] = c->resource_version;
}

static json_t *metadata_of(const struct pod *pod, const char *key)
{
	_cleanup_json_ json_t *o = pod_to_json(pod);

	return json_incref(json_object_get(json_object_get(o, "metadata"), key));
}

/* A pod keeps its Pod as text (record.c): what it serves is the Pod as created, its strings
 * as they were (UTF-8, escapes) and its keys in the order they had. */
START_TEST(a_pod_serves_its_object_as_created)
{
	struct node n;
	struct pod *pod;
	_cleanup_json_ json_t *o = NULL;
	json_t *annotations, *value;
	const char *key;
	const char *order[] = {"z", "a", "m"};
	size_t i = 0;

	node_init(&n);
	pod = create_running(&n,
	                     "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
	                     "  annotations: {z: \"a\\tb\\\"c\", a: \"caf\u00e9\", m: \"1.50\"}\n"
	                     "spec:\n  containers:\n"
	                     "  - {name: app, image: host, command: [/bin/sleep, '1000']}\n");
	o = pod_to_json(pod);
	ck_assert_ptr_nonnull(o);
	annotations = json_object_get(json_object_get(o, "metadata"), "annotations");
	ck_assert_str_eq(json_string_value(json_object_get(annotations, "z")), "a\tb\"c");
	ck_assert_str_eq(json_string_value(json_object_get(annotations, "a")), "caf\xc3\xa9");
	ck_assert_str_eq(json_string_value(json_object_get(annotations, "m")), "1.50");
	json_object_foreach(annotations, key, value)
	{
		ck_assert_uint_lt(i, ELEMENTSOF(order));
		ck_assert_str_eq(key, order[i++]);
	}
	ck_assert_uint_eq(i, ELEMENTSOF(order));
	node_done(&n);
}
END_TEST

START_TEST(a_pods_changes_reach_the_watches_with_increasing_resource_versions)
{
	struct node n;
	struct pod *pod;
	struct answer a = {0};
	struct pod_changes seen = {0};
	struct nano_err err = {0};
	_cleanup_json_ json_t *generation = NULL, *deletion = NULL, *grace = NULL;
	json_t *same, *changed;
	size_t modified;
	pid_t shim;

	node_init(&n);
	ck_assert_ptr_nonnull(watch_ring_subscribe(pods_watch_ring(n.pods), on_pod_change, &seen));
	pod = create_running(&n, POD_YAML("Always", "30"));
	shim = n.shim.next_pid - 1;
	/* listed once it is answered: its ADDED, nothing before */
	ck_assert_uint_eq(seen.n, 1);
	ck_assert_str_eq(seen.types[0], "ADDED");
	generation = metadata_of(pod, "generation");
	ck_assert_int_eq(json_integer_value(generation), 1);
	/* an update that changed nothing served: no change; the spec's: generation 2, MODIFIED */
	same = pod_object(pod);
	changed = pod_object(pod);
	json_object_set_new(json_object_get(changed, "spec"), "activeDeadlineSeconds",
	                    json_integer(600));
	ck_assert_int_eq(pod_update_object(pod, same, &err), 0);
	ck_assert_uint_eq(seen.n, 1);
	ck_assert_int_eq(pod_update_object(pod, changed, &err), 0);
	json_decref(same);
	json_decref(changed);
	ck_assert_uint_eq(seen.n, 2);
	ck_assert_str_eq(seen.types[1], "MODIFIED");
	json_decref(generation);
	generation = metadata_of(pod, "generation");
	ck_assert_int_eq(json_integer_value(generation), 2);
	/* the delete's request: deletionTimestamp and its grace, a MODIFIED */
	ck_assert_int_eq(pod_delete_record(pod, -1, &err), 0);
	ck_assert_uint_eq(seen.n, 3);
	deletion = metadata_of(pod, "deletionTimestamp");
	grace = metadata_of(pod, "deletionGracePeriodSeconds");
	ck_assert(json_is_string(deletion));
	ck_assert_int_eq(json_integer_value(grace), 30);
	pod_delete(pod, -1, on_deleted, &a);
	pump(&n);
	reply(&n, "kill app 15", 0, "ok");
	advance(&n, 30 * 1000000);
	run_exits(&n, pod, "app", 0, 137, SIGKILL);
	reply(&n, "shutdown", 0, "ok");
	shim_dies(&n, shim);
	wait_until(&n, flag_set, &a.called);
	ck_assert_int_eq(a.r, 0);
	/* MODIFIED as it terminated, then DELETED with the last object, each a new version */
	modified = seen.n;
	ck_assert_uint_ge(modified, 4);
	ck_assert_str_eq(seen.types[seen.n - 1], "DELETED");
	for (size_t i = 1; i < seen.n; i++) {
		ck_assert_uint_gt(seen.rvs[i], seen.rvs[i - 1]);
		if (i < seen.n - 1)
			ck_assert_str_eq(seen.types[i], "MODIFIED");
	}
	/* the delete's answer is the DELETED's object */
	ck_assert_uint_eq(strtoull(json_string_value(json_object_get(
	                                   json_object_get(a.last, "metadata"), "resourceVersion")),
	                           NULL, 10),
	                  seen.rvs[seen.n - 1]);
	ck_assert_uint_ge(pods_resource_version(n.pods), seen.rvs[seen.n - 1]);
	json_decref(a.last);
	node_done(&n);
}
END_TEST

START_TEST(a_second_delete_shortens_the_grace_and_a_late_start_is_stopped)
{
	struct node n;
	struct pod *pod;
	struct answer first = {0}, second = {0};
	pid_t process;

	node_init(&n);
	pod = create_running(&n, POD_YAML("Always", "30"));
	/* the container ends, and its restart is on its way to the shim when the deletes come */
	run_exits(&n, pod, "app", 0, 1, 0);
	ck_assert(in_flight(&n, "start app 1"));
	pod_delete(pod, -1, on_deleted, &first);
	pod_delete(pod, 5, on_deleted, &second);
	pump(&n);
	/* the start was under way: it is answered, and the new run is stopped at once */
	{
		_cleanup_free_ char *procs = strdupf("%d\n", (int)(process = stand_in()));

		container_procs(pod, procs);
	}
	reply(&n, "start app 1", 0, "ok 7001");
	reply(&n, "kill app 15", 0, "ok");
	/* 5 s, not 30: the second delete's grace */
	advance(&n, 4 * 1000000);
	ck_assert(alive(process));
	advance(&n, 1 * 1000000);
	ck_assert(killed(process));
	container_procs(pod, "");
	run_exits(&n, pod, "app", 1, 137, SIGKILL);
	reply(&n, "shutdown", 0, "ok");
	shim_dies(&n, n.shim.next_pid - 1);
	/* both deletes are answered, once */
	wait_until(&n, flag_set, &first.called);
	ck_assert(second.called);
	ck_assert_int_eq(first.r, 0);
	ck_assert_int_eq(second.r, 0);
	json_decref(first.last);
	json_decref(second.last);
	ck_assert_int_eq(n.shim.starts, 1);
	node_done(&n);
}
END_TEST

START_TEST(a_lost_shim_brings_a_new_sandbox_and_the_container_back)
{
	struct node n;
	struct pod *pod;
	pid_t shim;

	node_init(&n);
	pod = create_running(&n, POD_YAML("Always", "30"));
	shim = n.shim.next_pid - 1;
	shim_dies(&n, shim);
	ck_assert_int_eq(events(&n, "SandboxChanged"), 1);
	ck_assert(!state_is(pod, "running"));
	/* as for a crash, the first restart is at once: a new shim, then the container in it */
	shim_listens(&n);
	reply(&n, "start app 1", 0, "ok 7001");
	ck_assert(state_is(pod, "running"));
	ck_assert_int_eq(restart_count(pod), 1);
	node_done(&n);
}
END_TEST

START_TEST(a_start_the_shim_did_not_answer_is_asked_about_not_repeated)
{
	struct node n;
	struct spec_pod *spec = spec_of(POD_YAML("Always", "30"));
	struct answer a = {0};
	struct nano_err err = {0};

	node_init(&n);
	ck_assert_int_eq(pods_create(n.pods, &spec, NULL, on_created, &a, &err), 0);
	pump(&n);
	shim_listens(&n);
	/* the shim is stopped: the start times out, and the create is answered with the
	 * container waiting */
	reply(&n, "start app 0", -ETIMEDOUT, NULL);
	ck_assert(a.called);
	ck_assert_int_eq(a.r, 0);
	ck_assert_int_eq(events(&n, "Failed"), 1);
	ck_assert(!state_is(a.pod, "running"));
	/* a second later it asks the shim what became of it rather than starting it again: the
	 * run came, and is adopted, not counted as a restart */
	advance(&n, 1 * 1000000);
	ck_assert(!in_flight(&n, "start"));
	reply(&n, "state", 0, "{\"containers\":[{\"name\":\"app\",\"restart\":0,\"pid\":7000}]}");
	ck_assert(state_is(a.pod, "running"));
	ck_assert_int_eq(restart_count(a.pod), 0);
	ck_assert(!in_flight(&n, "start"));
	node_done(&n);
}
END_TEST

START_TEST(a_restarted_manager_adopts_the_running_pod)
{
	struct node n;
	struct pod *pod;

	node_init(&n);
	pod = create_running(&n, POD_YAML("Always", "30"));
	(void)pod;
	node_close(&n);
	/* what the old one had recorded is all the new one knows: it asks the shim */
	node_open(&n);
	pod = pods_find(n.pods, "default", "web");
	ck_assert_ptr_nonnull(pod);
	pump(&n);
	reply(&n, "state", 0, "{\"containers\":[{\"name\":\"app\",\"restart\":0,\"pid\":7000}]}");
	ck_assert(state_is(pod, "running"));
	ck_assert_int_eq(restart_count(pod), 0);
	ck_assert_int_eq(n.shim.starts, 1);
	ck_assert(!in_flight(&n, "start"));
	/* an exit written while it was down is read */
	run_exits(&n, pod, "app", 0, 0, 0);
	ck_assert(!state_is(pod, "running"));
	node_done(&n);
}
END_TEST

START_TEST(a_create_cut_short_is_removed_at_the_next_start)
{
	struct node n;
	struct spec_pod *spec = spec_of(POD_YAML("Always", "30"));
	struct answer a = {0};
	struct nano_err err = {0};
	_cleanup_free_ char *pods_dir = NULL;
	DIR *d;
	struct dirent *de;
	int entries = 0;

	node_init(&n);
	ck_assert_int_eq(pods_create(n.pods, &spec, NULL, on_created, &a, &err), 0);
	pump(&n);
	shim_listens(&n);
	/* the manager stops with the container's start in flight: the create is not answered
	 * as made, and its row still says creating */
	node_close(&n);
	ck_assert(a.called);
	ck_assert_int_eq(a.r, -ESHUTDOWN);
	node_open(&n);
	wait_until(&n, gone_from_store, "web");
	ck_assert_ptr_null(pods_find(n.pods, "default", "web"));
	pods_dir = strdupf("%s/pods", n.run);
	d = opendir(pods_dir);
	while (d && (de = readdir(d)))
		entries += de->d_name[0] != '.';
	if (d)
		closedir(d);
	ck_assert_int_eq(entries, 0);
	node_done(&n);
}
END_TEST

START_TEST(a_second_create_of_the_same_name_conflicts)
{
	struct node n;
	struct spec_pod *spec;
	struct answer a = {0};
	struct nano_err err = {0};

	node_init(&n);
	create_running(&n, POD_YAML("Always", "30"));
	spec = spec_of(POD_YAML("Always", "30"));
	ck_assert_int_eq(pods_create(n.pods, &spec, NULL, on_created, &a, &err), -EEXIST);
	ck_assert_int_eq(err.class, NANO_CONFLICT);
	ck_assert(!a.called);
	spec_pod_free(spec);
	nano_err_clear(&err);
	node_done(&n);
}
END_TEST

/* The scheduler's event comes before the kubelet's in a cluster: the Scheduled event is the
 * pod's first, before its shim and its containers have started (kubectl describe lists them
 * in the order they are stored, within a second). */
START_TEST(the_scheduled_event_comes_first)
{
	struct node n;
	struct spec_pod *spec;
	struct answer a = {0};
	struct nano_err err = {0};
	struct store_event *evs = NULL;
	size_t count = 0;

	node_init(&n);
	spec = spec_of(POD_YAML("Always", "30"));
	ck_assert_int_eq(pods_create(n.pods, &spec, "Successfully assigned default/web to node1",
	                             on_created, &a, &err),
	                 0);
	pump(&n);
	shim_listens(&n);
	reply(&n, "start app 0", 0, "ok 7000");
	ck_assert(a.called);
	ck_assert_int_eq(a.r, 0);
	ck_assert_int_ge(
	        store_events_list(pods_store(n.pods), "default", "web", &evs, &count, &err), 0);
	ck_assert_uint_ge(count, 3);
	ck_assert_str_eq(evs[0].reason, "Scheduled");
	ck_assert_str_eq(evs[0].message, "Successfully assigned default/web to node1");
	ck_assert_str_eq(evs[count - 2].reason, "Created");
	ck_assert_str_eq(evs[count - 1].reason, "Started");
	store_events_free(evs, count);
	node_done(&n);
}
END_TEST

/* Without a message, no Scheduled event. */
START_TEST(no_scheduled_event_without_a_message)
{
	struct node n;

	node_init(&n);
	create_running(&n, POD_YAML("Always", "30"));
	ck_assert_int_eq(events(&n, "Scheduled"), 0);
	ck_assert_int_eq(events(&n, "Started"), 1);
	node_done(&n);
}
END_TEST

/* ---- OOM kills ------------------------------------------------------------------------------- */

/* A kernel log for the pods: records written to *writer are read one a read, as from
 * /dev/kmsg; what is written before it is made stands for the ring buffer's records. */
static struct cgroup_oom_log *kernel_log(int *writer, const char *const *ring)
{
	struct cgroup_oom_log *log = NULL;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
	                 0);
	*writer = sv[1];
	for (; ring && *ring; ring++)
		ck_assert_int_eq(write(*writer, *ring, strlen(*ring)), (ssize_t)strlen(*ring));
	ck_assert_int_eq(cgroup_oom_log_new(sv[0], &log), 0);
	return log;
}

/* Opens the manager with a kernel log holding ring's records; *writer writes more. */
static void node_open_with_log(struct node *n, const char *const *ring, int *writer)
{
	n->options.oom_log = kernel_log(writer, ring);
	node_open(n);
}

/* Closes the manager and its kernel log. */
static void node_close_with_log(struct node *n, int writer)
{
	node_close(n);
	n->options.oom_log = cgroup_oom_log_free(n->options.oom_log);
	close(writer);
}

/* The kernel's line for an OOM kill of pid (task) in memcg, record seq. */
static char *victim_line(uint64_t seq, const char *memcg, const char *task, int pid)
{
	char *line = strdupf("6,%" PRIu64 ",5000000,-;oom-kill:constraint=CONSTRAINT_MEMCG,"
	                     "nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=%s,"
	                     "task_memcg=%s,task=%s,pid=%d,uid=0\n",
	                     seq, memcg, memcg, task, pid);

	ck_assert_ptr_nonnull(line);
	return line;
}

static void log_put(int writer, const char *line)
{
	ck_assert_int_eq(write(writer, line, strlen(line)), (ssize_t)strlen(line));
}

/* The container's directory in the fake memory hierarchy, and its path there (the memcg the
 * kernel names). */
static char *memory_dir(struct node *n, const struct pod *pod, const char **memcg)
{
	_cleanup_json_ json_t *iso = pod_isolation_json(pod);
	json_t *containers = json_object_get(json_object_get(iso, "live"), "containers");
	json_t *dirs = json_object_get(json_array_get(containers, 0), "cgroupDirs"), *dir;
	_cleanup_free_ char *prefix = strdupf("%s/memory/", n->mount);
	size_t k;

	json_array_foreach(dirs, k, dir)
	{
		const char *d = json_string_value(dir);

		if (strncmp(d, prefix, strlen(prefix)) == 0) {
			char *copy = strdup(d);

			*memcg = copy + strlen(prefix) - 1;
			return copy;
		}
	}
	ck_abort_msg("no memory cgroup");
	return NULL;
}

static void oom_kills(const char *dir, int kills)
{
	_cleanup_free_ char *text =
	        strdupf("oom_kill_disable 0\nunder_oom 0\noom_kill %d\n", kills);

	put(dir, "memory.oom_control", text);
}

/* "state" or "lastState" of the container: its terminated reason, exit code and message. */
static void terminated_is(const struct pod *pod, const char *which, const char *reason,
                          int exit_code, const char *message)
{
	_cleanup_json_ json_t *cs = container_status(pod);
	json_t *t = json_object_get(json_object_get(cs, which), "terminated");

	ck_assert_msg(t != NULL, "%s: not terminated", which);
	ck_assert_str_eq(json_string_value(json_object_get(t, "reason")), reason);
	ck_assert_int_eq(json_integer_value(json_object_get(t, "exitCode")), exit_code);
	if (message)
		ck_assert_str_eq(json_string_value(json_object_get(t, "message")), message);
}

#define OOM_YAML(restart_policy)                                                                   \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"                                       \
	"spec:\n  restartPolicy: " restart_policy "\n  terminationGracePeriodSeconds: 30\n"        \
	"  containers:\n  - name: app\n    image: host\n    command: [sh, -c, 'python3 x.py']\n"   \
	"    resources: {limits: {memory: 64Mi}}\n"
#define LIMIT "memory limit 67108864 bytes (memory.limit_in_bytes) reached; "

START_TEST(an_oom_kill_of_any_process_is_oomkilled_with_the_exit_code_and_the_victim)
{
	static const char *const ring[] = {"6,1,10,-;Linux version 6.18\n", NULL};
	_cleanup_free_ char *dir = NULL, *line = NULL, *other = NULL;
	struct node n;
	struct pod *pod;
	const char *memcg;
	int w;

	node_init_options(&n);
	node_open_with_log(&n, ring, &w);
	pod = create_running(&n, OOM_YAML("Always"));
	dir = memory_dir(&n, pod, &memcg);
	/* the wrapper's child is killed, in the container's cgroup (a victim elsewhere is not
	 * its); the wrapper exits 3 */
	other = victim_line(11, "/nanolet/other", "dd", 6999);
	line = victim_line(12, memcg, "python3", 7100);
	log_put(w, other);
	log_put(w, line);
	oom_kills(dir, 1);
	run_exits(&n, pod, "app", 0, 3, 0);
	terminated_is(pod, "state", "OOMKilled", 3,
	              LIMIT "the kernel OOM killer ended pid 7100 (python3)");
	ck_assert_int_eq(events(&n, "OOMKilling"), 1);
	/* the reason lives on into lastState */
	reply(&n, "start app 1", 0, "ok 7001");
	ck_assert(state_is(pod, "running"));
	terminated_is(pod, "lastState", "OOMKilled", 3, NULL);
	/* a kill the kernel did not log (rate limited): the main process, SIGKILLed, is named;
	 * the last run's victim is not this run's */
	oom_kills(dir, 2);
	run_exits(&n, pod, "app", 1, 137, SIGKILL);
	terminated_is(pod, "lastState", "OOMKilled", 137,
	              LIMIT "the kernel OOM killer ended pid 7001");
	ck_assert_int_eq(events(&n, "OOMKilling"), 2);
	/* a SIGKILL with no OOM kill (the end of a grace period): Error */
	advance(&n, 10 * 1000000);
	reply(&n, "start app 2", 0, "ok 7002");
	run_exits(&n, pod, "app", 2, 137, SIGKILL);
	terminated_is(pod, "lastState", "Error", 137, NULL);
	ck_assert_int_eq(events(&n, "OOMKilling"), 2);
	node_close_with_log(&n, w);
	node_done(&n);
}
END_TEST

START_TEST(an_oom_kill_while_the_manager_was_down_is_named_from_the_ring_buffer)
{
	_cleanup_free_ char *dir = NULL, *before = NULL, *victim = NULL;
	const char *ring[4] = {"6,100,10,-;Linux version 6.18\n", NULL, NULL, NULL};
	struct node n;
	struct pod *pod;
	const char *memcg;
	int w;

	node_init_options(&n);
	node_open_with_log(&n, ring, &w);
	pod = create_running(&n, OOM_YAML("Always"));
	dir = memory_dir(&n, pod, &memcg);
	/* its run started at record 101: a kill in its cgroup logged before is not its run's */
	before = victim_line(50, memcg, "python3", 6000);
	log_put(w, before);
	node_close_with_log(&n, w);

	/* down: the kernel kills, the ring buffer keeps only the older line */
	ring[1] = before;
	oom_kills(dir, 1);
	node_open_with_log(&n, ring, &w);
	pod = pods_find(n.pods, "default", "web");
	pump(&n);
	reply(&n, "state", 0, "{\"containers\":[{\"name\":\"app\",\"restart\":0,\"pid\":7000}]}");
	run_exits(&n, pod, "app", 0, 137, SIGKILL);
	terminated_is(pod, "state", "OOMKilled", 137, LIMIT "the kernel OOM killer ended pid 7000");
	reply(&n, "start app 1", 0, "ok 7001");
	node_close_with_log(&n, w);

	/* down again: a child is killed, and this time the ring buffer has the line */
	victim = victim_line(140, memcg, "stress", 7201);
	ring[2] = victim;
	oom_kills(dir, 2);
	node_open_with_log(&n, ring, &w);
	pod = pods_find(n.pods, "default", "web");
	pump(&n);
	reply(&n, "state", 0, "{\"containers\":[{\"name\":\"app\",\"restart\":1,\"pid\":7001}]}");
	run_exits(&n, pod, "app", 1, 1, 0);
	terminated_is(pod, "lastState", "OOMKilled", 1,
	              LIMIT "the kernel OOM killer ended pid 7201 (stress)");
	node_close_with_log(&n, w);
	node_done(&n);
}
END_TEST

#define NAMED_POD_YAML(name)                                                                       \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: " name "}\nspec:\n  containers:\n"            \
	"  - {name: app, image: host, command: [/bin/sleep, '1000']}\n"

START_TEST(a_create_past_the_descriptor_budget_is_refused_whole)
{
	struct node n;
	struct spec_pod *spec;
	struct answer a = {0};
	struct nano_err err = {0};

	node_init(&n);
	node_close(&n);
	/* room for two pods of one container on the v1 driver */
	n.options.fd_budget = 2 * pods_fd_cost(1, PLAN_CGROUP_V1);
	node_open(&n);
	create_running(&n, POD_YAML("Always", "30"));
	spec = spec_of(NAMED_POD_YAML("db"));
	ck_assert_int_eq(pods_create(n.pods, &spec, NULL, on_created, &a, &err), 0);
	ck_assert_ptr_null(spec);
	spec = spec_of(NAMED_POD_YAML("cache"));
	ck_assert_int_eq(pods_create(n.pods, &spec, NULL, on_created, &a, &err), -EMFILE);
	ck_assert_int_eq(err.class, NANO_UNAVAILABLE);
	ck_assert_msg(strstr(err.message, "pods \"cache\": the daemon is out of file descriptors "
	                                  "for pods: 2 pods may hold 8 of the 8"),
	              "%s", err.message);
	ck_assert_ptr_nonnull(strstr(err.message, "LimitNOFILE"));
	ck_assert_ptr_nonnull(spec); /* still the caller's: nothing was made */
	ck_assert(!stored(&n, "cache"));
	spec_pod_free(spec);
	nano_err_clear(&err);
	node_done(&n);
}
END_TEST

/* ---- probes and lifecycle hooks ----------------------------------------------------------------
 */

#define PROBE_POD_YAML(grace, extra)                                                               \
	"apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"                                       \
	"spec:\n  restartPolicy: Always\n  terminationGracePeriodSeconds: " grace                  \
	"\n  containers:\n  - name: app\n    image: host\n    command: [/bin/sleep, "              \
	"'1000']\n" extra

static unsigned checks_in_flight(struct node *n, const char *command)
{
	unsigned count = 0;

	for (struct pod_check *c = n->checks.checks; c; c = c->next)
		count += strcmp(c->command, command) == 0;
	return count;
}

/* Ends the check of command in flight as the real ones would, later, through its callback. */
static void check_ends(struct node *n, const char *command, enum pod_check_status status,
                       const char *output, const char *error)
{
	struct pod_check *c = n->checks.checks;
	struct pod_check_end end = {.status = status, .output = output, .error = error};

	while (c && strcmp(c->command, command) != 0)
		c = c->next;
	ck_assert_msg(c != NULL, "no check \"%s\" in flight", command);
	check_unlink(c);
	c->fn(c->userdata, &end);
	free(c->command);
	free(c);
	pump(n);
}

/* The count of the pod's event of that reason and message (0: none). */
static int64_t event_count(struct node *n, const char *reason, const char *message)
{
	struct store_event *evs = NULL;
	struct nano_err err = {0};
	size_t count = 0;
	int64_t found = 0;

	ck_assert_int_ge(
	        store_events_list(pods_store(n->pods), "default", NULL, &evs, &count, &err), 0);
	for (size_t i = 0; i < count; i++)
		if (strcmp(evs[i].reason, reason) == 0 && strcmp(evs[i].message, message) == 0)
			found = evs[i].count;
	store_events_free(evs, count);
	return found;
}

static bool container_flag(const struct pod *pod, const char *flag)
{
	_cleanup_json_ json_t *cs = container_status(pod);

	return json_is_true(json_object_get(cs, flag));
}

/* status of the pod condition type ("True"/"False") */
static bool condition(const struct pod *pod, const char *type)
{
	_cleanup_json_ json_t *o = pod_to_json(pod);
	json_t *c;
	size_t k;

	json_array_foreach(json_object_get(json_object_get(o, "status"), "conditions"), k, c)
	{
		if (strcmp(json_string_value(json_object_get(c, "type")), type) == 0)
			return strcmp(json_string_value(json_object_get(c, "status")), "True") == 0;
	}
	ck_abort_msg("no condition %s", type);
	return false;
}

START_TEST(readiness_follows_its_probe_and_a_failure_is_an_unhealthy_event)
{
	struct node n;
	struct pod *pod;

	node_init(&n);
	pod = create_running(&n,
	                     PROBE_POD_YAML("30", "    readinessProbe:\n"
	                                          "      exec: {command: [test, -f, /tmp/ready]}\n"
	                                          "      periodSeconds: 1\n"
	                                          "      failureThreshold: 1\n"));
	/* not ready until its first success; the first check comes at once */
	ck_assert(!container_flag(pod, "ready"));
	ck_assert(container_flag(pod, "started"));
	ck_assert(!condition(pod, "Ready") && !condition(pod, "ContainersReady"));
	ck_assert_uint_eq(checks_in_flight(&n, "test -f /tmp/ready"), 1);
	check_ends(&n, "test -f /tmp/ready", POD_CHECK_SUCCESS, "", NULL);
	ck_assert(container_flag(pod, "ready"));
	ck_assert(condition(pod, "Ready") && condition(pod, "ContainersReady"));
	/* a period later, the next; a failure makes it unready, with the kubelet's words */
	ck_assert_uint_eq(checks_in_flight(&n, "test -f /tmp/ready"), 0);
	advance(&n, 1000000);
	check_ends(&n, "test -f /tmp/ready", POD_CHECK_FAILURE, "not yet", NULL);
	ck_assert(!container_flag(pod, "ready"));
	ck_assert(!condition(pod, "Ready"));
	ck_assert_int_eq(event_count(&n, "Unhealthy", "Readiness probe failed: not yet"), 1);
	/* the same failure again is the same event, counted */
	advance(&n, 1000000);
	check_ends(&n, "test -f /tmp/ready", POD_CHECK_FAILURE, "not yet", NULL);
	ck_assert_int_eq(event_count(&n, "Unhealthy", "Readiness probe failed: not yet"), 2);
	/* a check still running when the next tick comes: that tick is dropped */
	advance(&n, 3 * 1000000);
	ck_assert_uint_eq(checks_in_flight(&n, "test -f /tmp/ready"), 1);
	/* an error is reported and thrown away: ready stays what it was */
	check_ends(&n, "test -f /tmp/ready", POD_CHECK_ERROR, "no such port", NULL);
	ck_assert_int_eq(event_count(&n, "Unhealthy",
	                             "Readiness probe errored and resulted in unknown state: no "
	                             "such port"),
	                 1);
	ck_assert(!container_flag(pod, "ready"));
	/* a run that ended has no probe any more */
	run_exits(&n, pod, "app", 0, 1, 0);
	ck_assert_uint_eq(checks_in_flight(&n, "test -f /tmp/ready"), 0);
	node_done(&n);
}
END_TEST

START_TEST(a_liveness_failure_past_its_threshold_kills_the_container_which_restarts)
{
	struct node n;
	struct pod *pod;
	pid_t process;

	node_init(&n);
	pod = create_running(&n, PROBE_POD_YAML("30", "    livenessProbe:\n"
	                                              "      exec: {command: [alive]}\n"
	                                              "      periodSeconds: 1\n"
	                                              "      failureThreshold: 2\n"
	                                              "      terminationGracePeriodSeconds: 5\n"));
	{
		_cleanup_free_ char *procs = strdupf("%d\n", (int)(process = stand_in()));

		container_procs(pod, procs);
	}
	check_ends(&n, "alive", POD_CHECK_FAILURE, "", NULL);
	ck_assert(!in_flight(&n, "kill"));
	advance(&n, 1000000);
	check_ends(&n, "alive", POD_CHECK_FAILURE, "", NULL);
	ck_assert_int_eq(event_count(&n, "Unhealthy", "Liveness probe failed: "), 2);
	ck_assert_int_eq(event_count(&n, "Killing",
	                             "Container app failed liveness probe, will be restarted"),
	                 1);
	reply(&n, "kill app 15", 0, "ok");
	/* on hold: no more checks of this run; the probe's own grace, not the pod's 30 s, then a
	 * SIGKILL through the shim (not cgroup.kill: the next run is born into that cgroup) */
	advance(&n, 4 * 1000000);
	ck_assert_uint_eq(checks_in_flight(&n, "alive"), 0);
	ck_assert(!in_flight(&n, "kill"));
	advance(&n, 1000000);
	reply(&n, "kill app 9", 0, "ok");
	ck_assert(alive(process));
	run_exits(&n, pod, "app", 0, 137, SIGKILL);
	/* the restart policy brings it back, and its probe with it */
	reply(&n, "start app 1", 0, "ok 7001");
	ck_assert_int_eq(restart_count(pod), 1);
	ck_assert_uint_eq(checks_in_flight(&n, "alive"), 1);
	check_ends(&n, "alive", POD_CHECK_SUCCESS, "", NULL);
	ck_assert(state_is(pod, "running"));
	node_done(&n);
}
END_TEST

START_TEST(the_startup_probe_holds_liveness_back_until_it_succeeded)
{
	struct node n;
	struct pod *pod;

	node_init(&n);
	pod = create_running(&n, PROBE_POD_YAML("30", "    startupProbe:\n"
	                                              "      exec: {command: [warm]}\n"
	                                              "      periodSeconds: 1\n"
	                                              "      failureThreshold: 3\n"
	                                              "    livenessProbe:\n"
	                                              "      exec: {command: [alive]}\n"
	                                              "      periodSeconds: 1\n"));
	ck_assert(!container_flag(pod, "started"));
	ck_assert(!container_flag(pod, "ready"));
	check_ends(&n, "warm", POD_CHECK_FAILURE, "cold", NULL);
	ck_assert_int_eq(event_count(&n, "Unhealthy", "Startup probe failed: cold"), 1);
	advance(&n, 1000000);
	ck_assert_uint_eq(checks_in_flight(&n, "alive"), 0);
	check_ends(&n, "warm", POD_CHECK_SUCCESS, "", NULL);
	ck_assert(container_flag(pod, "started"));
	ck_assert(container_flag(pod, "ready")); /* no readiness probe */
	advance(&n, 1000000);
	ck_assert_uint_eq(checks_in_flight(&n, "warm"), 0);
	ck_assert_uint_eq(checks_in_flight(&n, "alive"), 1);
	node_done(&n);
}
END_TEST

START_TEST(a_container_is_creating_until_its_post_start_hook_ends_and_a_failure_kills_it)
{
	struct node n;
	struct pod *pod;

	node_init(&n);
	pod = create_running(&n, PROBE_POD_YAML("30", "    lifecycle:\n"
	                                              "      postStart:\n"
	                                              "        exec: {command: [hook, one]}\n"
	                                              "    readinessProbe:\n"
	                                              "      exec: {command: [ready]}\n"
	                                              "      periodSeconds: 1\n"));
	ck_assert(state_is(pod, "waiting"));
	ck_assert_str_eq(phase(pod), "Pending");
	/* no probe while the hook runs, and the hook has no deadline of its own */
	advance(&n, 5 * 1000000);
	ck_assert_uint_eq(checks_in_flight(&n, "ready"), 0);
	ck_assert_uint_eq(checks_in_flight(&n, "hook one"), 1);
	ck_assert_uint_eq(n.checks.checks->timeout_usec, 0);
	check_ends(&n, "hook one", POD_CHECK_SUCCESS, "", NULL);
	ck_assert(state_is(pod, "running"));
	ck_assert_str_eq(phase(pod), "Running");
	ck_assert_uint_eq(checks_in_flight(&n, "ready"), 1);
	check_ends(&n, "ready", POD_CHECK_SUCCESS, "", NULL);
	/* the next run has its hook again; this time it fails, and the container is killed */
	run_exits(&n, pod, "app", 0, 1, 0);
	reply(&n, "start app 1", 0, "ok 7001");
	ck_assert(state_is(pod, "waiting"));
	check_ends(&n, "hook one", POD_CHECK_FAILURE, "bad\n",
	           "command 'hook one' exited with 1: ");
	{
		_cleanup_json_ json_t *o = pod_to_json(pod);
		_cleanup_free_ char *want = strdupf(
		        "Exec lifecycle hook ([hook one]) for Container \"app\" in Pod "
		        "\"web_default(%s)\" failed - error: command 'hook one' exited with 1: , "
		        "message: \"bad\\n\"",
		        json_string_value(json_object_get(json_object_get(o, "metadata"), "uid")));

		ck_assert_int_eq(event_count(&n, "FailedPostStartHook", want), 1);
	}
	ck_assert(in_flight(&n, "kill app 15"));
	reply(&n, "kill app 15", 0, "ok");
	node_done(&n);
}
END_TEST

START_TEST(pre_stop_runs_before_the_sigterm_and_counts_against_the_grace)
{
	struct node n;
	struct pod *pod;
	struct answer a = {0};
	pid_t process;

	node_init(&n);
	pod = create_running(&n, PROBE_POD_YAML("30", "    lifecycle:\n"
	                                              "      preStop:\n"
	                                              "        exec: {command: [bye]}\n"));
	{
		_cleanup_free_ char *procs = strdupf("%d\n", (int)(process = stand_in()));

		container_procs(pod, procs);
	}
	pod_delete(pod, -1, on_deleted, &a);
	pump(&n);
	/* the hook first, with what is left of the grace as its deadline; no SIGTERM yet */
	ck_assert_uint_eq(checks_in_flight(&n, "bye"), 1);
	ck_assert_uint_eq(n.checks.checks->timeout_usec, 30 * 1000000);
	ck_assert(!in_flight(&n, "kill"));
	advance(&n, 3 * 1000000);
	check_ends(&n, "bye", POD_CHECK_FAILURE, "", "command 'bye' exited with 2: ");
	ck_assert_int_eq(events(&n, "FailedPreStopHook"), 1);
	reply(&n, "kill app 15", 0, "ok");
	/* the grace counts from the delete: the kill at 30 s */
	advance(&n, 26 * 1000000);
	ck_assert(alive(process));
	advance(&n, 1000000);
	ck_assert(killed(process));
	container_procs(pod, "");
	run_exits(&n, pod, "app", 0, 137, SIGKILL);
	reply(&n, "shutdown", 0, "ok");
	shim_dies(&n, n.shim.next_pid - 1);
	wait_until(&n, flag_set, &a.called);
	json_decref(a.last);
	node_done(&n);
}
END_TEST

START_TEST(a_pre_stop_that_outlives_the_grace_is_cut_short_and_the_sigterm_gets_two_seconds)
{
	struct node n;
	struct pod *pod;
	struct answer a = {0};
	pid_t process;

	node_init(&n);
	pod = create_running(&n, PROBE_POD_YAML("5", "    lifecycle:\n"
	                                             "      preStop:\n"
	                                             "        exec: {command: [slow]}\n"));
	{
		_cleanup_free_ char *procs = strdupf("%d\n", (int)(process = stand_in()));

		container_procs(pod, procs);
	}
	pod_delete(pod, -1, on_deleted, &a);
	pump(&n);
	advance(&n, 4 * 1000000);
	ck_assert(!in_flight(&n, "kill"));
	ck_assert_uint_eq(checks_in_flight(&n, "slow"), 1);
	/* cut short at the end of the grace: SIGTERM, and the kubelet's minimum of 2 s */
	advance(&n, 1000000);
	ck_assert_uint_eq(checks_in_flight(&n, "slow"), 0);
	reply(&n, "kill app 15", 0, "ok");
	ck_assert_int_eq(events(&n, "FailedPreStopHook"), 0);
	advance(&n, 1000000);
	ck_assert(alive(process));
	advance(&n, 1000000);
	ck_assert(killed(process));
	container_procs(pod, "");
	run_exits(&n, pod, "app", 0, 137, SIGKILL);
	reply(&n, "shutdown", 0, "ok");
	shim_dies(&n, n.shim.next_pid - 1);
	wait_until(&n, flag_set, &a.called);
	json_decref(a.last);
	node_done(&n);
}
END_TEST

START_TEST(probes_begin_again_for_a_run_a_restarted_manager_adopts)
{
	struct node n;
	struct pod *pod;

	node_init(&n);
	pod = create_running(&n, PROBE_POD_YAML("30", "    readinessProbe:\n"
	                                              "      exec: {command: [ready]}\n"
	                                              "      periodSeconds: 1\n"));
	check_ends(&n, "ready", POD_CHECK_SUCCESS, "", NULL);
	ck_assert(container_flag(pod, "ready"));
	node_close(&n);
	/* the kubelet keeps probe results in memory only: a restart begins with the initial ones,
	 * so a ready container is unready until its probe succeeds again */
	node_open(&n);
	pod = pods_find(n.pods, "default", "web");
	ck_assert_ptr_nonnull(pod);
	pump(&n);
	reply(&n, "state", 0, "{\"containers\":[{\"name\":\"app\",\"restart\":0,\"pid\":7000}]}");
	ck_assert(state_is(pod, "running"));
	ck_assert(!container_flag(pod, "ready"));
	ck_assert(!condition(pod, "Ready"));
	ck_assert_uint_eq(checks_in_flight(&n, "ready"), 1);
	check_ends(&n, "ready", POD_CHECK_SUCCESS, "", NULL);
	ck_assert(container_flag(pod, "ready"));
	ck_assert(condition(pod, "Ready"));
	node_done(&n);
}
END_TEST

static Suite *lifecycle_suite(void)
{
	Suite *s = suite_create("pods_lifecycle");
	TCase *tc = tcase_create("lifecycle");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, create_answers_once_the_container_runs);
	tcase_add_test(tc, a_failed_run_restarts_after_its_back_off);
	tcase_add_test(tc, a_delete_waits_out_the_grace_then_kills_and_removes_everything);
	tcase_add_test(tc, a_second_delete_shortens_the_grace_and_a_late_start_is_stopped);
	tcase_add_test(tc, a_pod_serves_its_object_as_created);
	tcase_add_test(tc, a_pods_changes_reach_the_watches_with_increasing_resource_versions);
	tcase_add_test(tc, a_lost_shim_brings_a_new_sandbox_and_the_container_back);
	tcase_add_test(tc, a_start_the_shim_did_not_answer_is_asked_about_not_repeated);
	tcase_add_test(tc, a_restarted_manager_adopts_the_running_pod);
	tcase_add_test(tc, a_create_cut_short_is_removed_at_the_next_start);
	tcase_add_test(tc, a_second_create_of_the_same_name_conflicts);
	tcase_add_test(tc, the_scheduled_event_comes_first);
	tcase_add_test(tc, no_scheduled_event_without_a_message);
	tcase_add_test(tc,
	               an_oom_kill_of_any_process_is_oomkilled_with_the_exit_code_and_the_victim);
	tcase_add_test(tc, an_oom_kill_while_the_manager_was_down_is_named_from_the_ring_buffer);
	tcase_add_test(tc, a_create_past_the_descriptor_budget_is_refused_whole);
	suite_add_tcase(s, tc);
	tc = tcase_create("probes");
	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, readiness_follows_its_probe_and_a_failure_is_an_unhealthy_event);
	tcase_add_test(tc,
	               a_liveness_failure_past_its_threshold_kills_the_container_which_restarts);
	tcase_add_test(tc, the_startup_probe_holds_liveness_back_until_it_succeeded);
	tcase_add_test(
	        tc, a_container_is_creating_until_its_post_start_hook_ends_and_a_failure_kills_it);
	tcase_add_test(tc, pre_stop_runs_before_the_sigterm_and_counts_against_the_grace);
	tcase_add_test(
	        tc,
	        a_pre_stop_that_outlives_the_grace_is_cut_short_and_the_sigterm_gets_two_seconds);
	tcase_add_test(tc, probes_begin_again_for_a_run_a_restarted_manager_adopts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(lifecycle_suite());
}
