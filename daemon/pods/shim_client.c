/* daemon/pods/shim_client.c: the real shim behind the pod manager's seam (pod_ops.h), on the
 * daemon's loop and never waiting on it.
 *
 *   start    fork and exec nanolet-shim (runtime_shim_fork); its first process's pidfd is an io
 *            source: readable once it exited, when its verdict (shim.pid or shim.error) is read
 *   request  a non-blocking connect and send (runtime_shim_send); the socket is an io source,
 *            readable once the reply is there
 *   watch    a pidfd of the running shim (not our child: it must outlive us), readable once it
 *            is gone; its /proc start time proves the pid is still the shim's
 * Each start and request has a timer of its own: a shim that is stopped or wedged costs its own
 * pod a timeout, and nobody else a thing. A failure found before anything was sent is reported
 * from a defer source, so that no callback ever runs before its call returned.
 *
 * It knows no pod: run directories, requests and pids come from the caller. */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>

#include "pod_ops.h"
#include "runtime/runtime.h"

struct pod_shim_client {
	sd_event *event;
	char *shim_path;
};

struct pod_shim_call {
	struct pod_shim_client *client;
	bool start;
	int fd; /* the request's socket, or P0's pidfd */
	sd_event_source *io, *timer, *defer;
	char *run_dir;
	char *request;
	uint64_t timeout_usec;
	pod_shim_reply_fn *reply_fn;
	pod_shim_started_fn *started_fn;
	void *userdata;
	/* a failure found before anything was sent, reported by the defer source */
	struct nano_err early;
};

struct pod_shim_watch {
	int pidfd;
	sd_event_source *io;
	pod_shim_gone_fn *fn;
	void *userdata;
};

int pod_shim_client_new(sd_event *event, const char *shim_path, struct pod_shim_client **out)
{
	struct pod_shim_client *c = calloc(1, sizeof(*c));

	if (!c || !(c->shim_path = strdup(shim_path)))
		return free(c), -ENOMEM;
	c->event = event;
	*out = c;
	return 0;
}

struct pod_shim_client *pod_shim_client_free(struct pod_shim_client *c)
{
	if (c) {
		free(c->shim_path);
		free(c);
	}
	return NULL;
}

/* ---- calls -------------------------------------------------------------------------------- */

static void call_free(struct pod_shim_call *call)
{
	if (!call)
		return;
	call->io = sd_event_source_disable_unref(call->io);
	call->timer = sd_event_source_disable_unref(call->timer);
	call->defer = sd_event_source_disable_unref(call->defer);
	/* P0 still running (a timeout, a cancel) is killed and reaped; one already reaped
	 * (ESRCH, ECHILD) costs nothing more */
	if (call->fd >= 0) {
		if (call->start)
			runtime_shim_fork_abandon(call->fd);
		else
			close(call->fd);
	}
	nano_err_clear(&call->early);
	free(call->run_dir);
	free(call->request);
	free(call);
}

/* Reports once and frees the call: the caller's handle is dead when fn runs. */
static void finish(struct pod_shim_call *call, int r, const char *reply, pid_t pid,
                   const struct nano_err *err)
{
	pod_shim_reply_fn *reply_fn = call->reply_fn;
	pod_shim_started_fn *started_fn = call->started_fn;
	void *userdata = call->userdata;

	call->reply_fn = NULL;
	call->started_fn = NULL;
	if (started_fn)
		started_fn(userdata, r, pid, err);
	else if (reply_fn)
		reply_fn(userdata, r, reply, err);
	call_free(call);
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct pod_shim_call *call = userdata;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	unsigned ms = (unsigned)(call->timeout_usec / 1000);

	(void)source;
	(void)usec;
	if (call->start)
		nano_err_set(&err, ETIMEDOUT, "nanolet-shim did not start within %u ms", ms);
	else
		nano_err_set(&err, ETIMEDOUT, "the shim did not answer \"%s\" within %u ms",
		             call->request, ms);
	finish(call, -ETIMEDOUT, NULL, 0, &err);
	return 0;
}

static int on_early(sd_event_source *source, void *userdata)
{
	struct pod_shim_call *call = userdata;

	(void)source;
	finish(call, -call->early.errnum, NULL, 0, &call->early);
	return 0;
}

static int on_reply(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct pod_shim_call *call = userdata;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *reply = NULL;
	int r;

	(void)source;
	(void)revents;
	r = runtime_shim_reply(fd, &reply, &err);
	if (r == -EAGAIN)
		return 0;
	finish(call, r, reply, 0, &err);
	return 0;
}

static int on_started(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct pod_shim_call *call = userdata;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	pid_t pid = 0;
	int r;

	(void)source;
	(void)revents;
	r = runtime_shim_forked(call->client->shim_path, call->run_dir, fd, &pid, &err);
	if (r == -EAGAIN)
		return 0;
	finish(call, r, NULL, pid, &err);
	return 0;
}

static int call_new(struct pod_shim_client *client, bool start, const char *run_dir,
                    const char *request, uint64_t timeout_usec, struct pod_shim_call **out)
{
	struct pod_shim_call *call = calloc(1, sizeof(*call));
	uint64_t now;
	int r;

	if (!call)
		return -ENOMEM;
	*call = (struct pod_shim_call){
	        .client = client, .start = start, .fd = -1, .timeout_usec = timeout_usec};
	call->run_dir = strdup(run_dir);
	call->request = strdup(request ? request : "start");
	if (!call->run_dir || !call->request)
		return call_free(call), -ENOMEM;
	r = sd_event_now(client->event, CLOCK_MONOTONIC, &now);
	if (r >= 0)
		r = sd_event_add_time(client->event, &call->timer, CLOCK_MONOTONIC,
		                      now + timeout_usec, 1000, on_timeout, call);
	if (r < 0)
		return call_free(call), r;
	*out = call;
	return 0;
}

/* What failed before anything was sent goes out from a defer source, not from inside the call. */
static int fail_early(struct pod_shim_call *call)
{
	int r = sd_event_add_defer(call->client->event, &call->defer, on_early, call);

	return r < 0 ? r : 0;
}

static int shim_start(void *ctx, const char *run_dir, uint64_t timeout_usec,
                      pod_shim_started_fn *fn, void *userdata, struct pod_shim_call **out)
{
	struct pod_shim_client *client = ctx;
	struct pod_shim_call *call;
	pid_t child;
	int r;

	r = call_new(client, true, run_dir, NULL, timeout_usec, &call);
	if (r < 0)
		return r;
	call->started_fn = fn;
	call->userdata = userdata;
	if (runtime_shim_fork(client->shim_path, run_dir, &child, &call->fd, &call->early) < 0)
		r = fail_early(call);
	else
		r = sd_event_add_io(client->event, &call->io, call->fd, EPOLLIN, on_started, call);
	if (r < 0)
		return call_free(call), r;
	*out = call;
	return 0;
}

static int shim_request(void *ctx, const char *run_dir, const char *request, uint64_t timeout_usec,
                        pod_shim_reply_fn *fn, void *userdata, struct pod_shim_call **out)
{
	struct pod_shim_client *client = ctx;
	struct pod_shim_call *call;
	int r;

	r = call_new(client, false, run_dir, request, timeout_usec, &call);
	if (r < 0)
		return r;
	call->reply_fn = fn;
	call->userdata = userdata;
	call->fd = runtime_shim_send(run_dir, request, &call->early);
	if (call->fd < 0)
		r = fail_early(call);
	else
		r = sd_event_add_io(client->event, &call->io, call->fd, EPOLLIN, on_reply, call);
	if (r < 0)
		return call_free(call), r;
	*out = call;
	return 0;
}

static void shim_cancel(struct pod_shim_call *call)
{
	call_free(call);
}

/* ---- watching a running shim -------------------------------------------------------------- */

int pod_proc_start_time(pid_t pid, uint64_t *out)
{
	char path[64], buf[1024];
	unsigned long long start = 0;
	_cleanup_close_ int fd = -1;
	ssize_t n;
	char *p;

	*out = 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return n < 0 && errno != ESRCH ? -errno : -ESRCH; /* a zombie reaped meanwhile */
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: start past the last ')' */
	p = strrchr(buf, ')');
	/* field 3 (state) is the first after it; starttime is field 22 */
	if (!p || sscanf(p + 1,
	                 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
	                 "%*d %*d %*d %llu",
	                 &start) != 1)
		return -EIO;
	*out = start;
	return 0;
}

static void watch_free(struct pod_shim_watch *w)
{
	if (!w)
		return;
	w->io = sd_event_source_disable_unref(w->io);
	if (w->pidfd >= 0)
		close(w->pidfd);
	free(w);
}

static int on_gone(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct pod_shim_watch *w = userdata;

	(void)source;
	(void)fd;
	(void)revents;
	/* once: the pidfd stays readable */
	sd_event_source_set_enabled(w->io, SD_EVENT_OFF);
	w->fn(w->userdata);
	return 0;
}

static int shim_watch(void *ctx, pid_t pid, uint64_t *start_time, pod_shim_gone_fn *fn,
                      void *userdata, struct pod_shim_watch **out, struct nano_err *err)
{
	struct pod_shim_client *client = ctx;
	struct pod_shim_watch *w = calloc(1, sizeof(*w));
	uint64_t started;
	int r;

	if (!w)
		return nano_err_set(err, ENOMEM, "out of memory");
	*w = (struct pod_shim_watch){.pidfd = -1, .fn = fn, .userdata = userdata};
	/* the shim is not our child (it must outlive us): a pidfd tells when it ends */
	w->pidfd = pidfd_open(pid, 0);
	if (w->pidfd < 0) {
		r = nano_err_set(err, errno, "pidfd of shim %d: %m", (int)pid);
		return watch_free(w), r;
	}
	/* A pid names a process only until it is reused. Read after the pidfd was opened, an
	 * unchanged start time proves that the pidfd holds the very process recorded. */
	r = pod_proc_start_time(pid, &started);
	if (r < 0 && r != -ESRCH) {
		/* out of descriptors or memory: nothing known of the process yet */
		r = nano_err_set(err, -r, "/proc/%d/stat of shim: %s", (int)pid, strerror(-r));
		return watch_free(w), r;
	}
	if (*start_time && started != *start_time) {
		r = nano_err_set(err, ESRCH,
		                 "pid %d is not the pod's shim any more (start time %" PRIu64
		                 ", recorded %" PRIu64 ")",
		                 (int)pid, started, *start_time);
		return watch_free(w), r;
	}
	r = sd_event_add_io(client->event, &w->io, w->pidfd, EPOLLIN, on_gone, w);
	if (r < 0) {
		r = nano_err_set(err, -r, "watch shim %d: %s", (int)pid, strerror(-r));
		return watch_free(w), r;
	}
	*start_time = started;
	*out = w;
	return 0;
}

static void shim_unwatch(struct pod_shim_watch *w)
{
	watch_free(w);
}

const struct pod_shim_ops pod_shim_real = {
        .start = shim_start,
        .request = shim_request,
        .cancel = shim_cancel,
        .watch = shim_watch,
        .unwatch = shim_unwatch,
};
