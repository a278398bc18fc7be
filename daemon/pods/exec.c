/* daemon/pods/exec.c: a process run in a running container (pods.h, "exec"), for `kubectl exec`,
 * the plain exec form, exec probes and hooks.
 *
 * The daemon makes the process's pipes (or none, with a tty: the shim's helper opens the pty in
 * the container's devpts and passes its master back), sends the pod's shim an "exec" request
 * with their far ends (pkg/runtime: SCM_RIGHTS), and keeps the connection as an io source: on
 * it come "ok PID" (or the error), later "exit CODE"; the shim going away closes it. Closing it
 * is how an exec is cancelled: the shim's helper SIGKILLs the process. Nothing waits: the
 * connect and send never block (a unix socket), the answers are events with a deadline for
 * the first.
 *
 * It reads the record (record.h) and no layer above; the descriptors it holds count against
 * the pods' budget through env->fds_held, which the manager sets. */
#include <fcntl.h>
#include <string.h>
#include <sys/epoll.h>

#include "pods.h"
#include "pods/exec.h"
#include "pods/record.h"
#include "runtime/runtime.h"

/* What an exec holds while it runs: its connection to the shim and, until the caller takes
 * them (and, counted here, after: the caller relays them on the same loop), three streams. */
#define EXEC_FDS 4

struct pod_exec {
	struct pod_env *env;
	int fd; /* the connection to the shim's helper */
	sd_event_source *io, *timer;
	struct pod_exec_ops ops;
	void *userdata;
	struct pod_exec_streams streams; /* ours until on_started */
	char *container;
	bool started;
	bool dispatching, cancelled;   /* a callback runs: a cancel inside it frees after */
	struct pod_exec *next, **prev; /* in env->execs */
};

static void close_streams(struct pod_exec_streams *s)
{
	closep(&s->stdin_fd);
	closep(&s->stdout_fd);
	closep(&s->stderr_fd);
	closep(&s->pty_fd);
}

static void exec_free(struct pod_exec *e)
{
	if (!e)
		return;
	e->io = sd_event_source_disable_unref(e->io);
	e->timer = sd_event_source_disable_unref(e->timer);
	/* the helper sees the hang-up and kills the process */
	closep(&e->fd);
	close_streams(&e->streams);
	e->env->exec_fds -= EXEC_FDS;
	if (e->prev) {
		*e->prev = e->next;
		if (e->next)
			e->next->prev = e->prev;
	}
	free(e->container);
	free(e);
}

/* on_exit, once, then the exec is gone. */
static void finish(struct pod_exec *e, int r, int exit_code, const struct nano_err *err)
{
	e->dispatching = true;
	e->ops.on_exit(e->userdata, r, exit_code, err);
	exec_free(e);
}

static void lost(struct pod_exec *e, int r, const struct nano_err *why)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	nano_err_setc(&err, NANO_INTERNAL, r < 0 ? -r : EIO, "exec in container %s: %s",
	              e->container,
	              why && why->message ? why->message : strerror(r < 0 ? -r : EIO));
	finish(e, r < 0 ? r : -EIO, -1, &err);
}

static void on_ok(struct pod_exec *e, int pty_fd)
{
	struct pod_exec_streams streams = e->streams;

	e->timer = sd_event_source_disable_unref(e->timer);
	e->started = true;
	if (pty_fd >= 0) {
		closep(&streams.pty_fd);
		streams.pty_fd = pty_fd;
	}
	e->streams = (struct pod_exec_streams){-1, -1, -1, -1};
	e->dispatching = true;
	e->ops.on_started(e->userdata, &streams);
	e->dispatching = false;
	if (e->cancelled)
		exec_free(e);
}

static int on_reply(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct pod_exec *e = userdata;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *reply = NULL;
	_cleanup_close_ int passed = -1;
	const char *message;
	int r, errnum, code;

	(void)source;
	(void)revents;
	r = runtime_shim_reply_fd(fd, &reply, &passed, &err);
	if (r == -EAGAIN)
		return 0;
	if (r < 0)
		return lost(e, r, &err), 0;
	if (runtime_reply_error(reply, &errnum, &message)) {
		nano_err_setc(&err, errnum == ESRCH ? NANO_BAD_REQUEST : NANO_INTERNAL, errnum,
		              "%s", message);
		return finish(e, -errnum, -1, &err), 0;
	}
	if (!e->started && strncmp(reply, "ok ", 3) == 0)
		return on_ok(e, TAKE_FD(passed)), 0;
	if (e->started && runtime_exec_exit_parse(reply, &code))
		return finish(e, 0, code, NULL), 0;
	nano_err_set(&err, EBADMSG, "the shim answered \"%.64s\"", reply);
	lost(e, -EBADMSG, &err);
	return 0;
}

static int on_timeout(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct pod_exec *e = userdata;
	_cleanup_(nano_err_clear) struct nano_err err = {0};

	(void)source;
	(void)usec;
	nano_err_set(&err, ETIMEDOUT, "the shim did not start it within %u ms",
	             (unsigned)(e->env->shim_timeout_usec / 1000));
	lost(e, -ETIMEDOUT, &err);
	return 0;
}

/* The container the request means, as the API server picks it: the one named, or the only
 * one. NULL and err (400) otherwise, with the API server's words. */
static const char *pick(const struct pod *pod, const char *wanted, struct nano_err *err)
{
	const struct plan *plan = pod->plan;
	_cleanup_free_ char *names = NULL;
	size_t len = 0;

	for (size_t i = 0; wanted && i < plan->n_containers; i++)
		if (strcmp(plan->containers[i].name, wanted) == 0)
			return plan->containers[i].name;
	if (!wanted && plan->n_containers == 1)
		return plan->containers[0].name;
	for (size_t i = 0; i < plan->n_containers; i++)
		len += strlen(plan->containers[i].name) + 1;
	names = calloc(len + 1, 1);
	if (!names)
		return nano_err_set(err, ENOMEM, "out of memory"), NULL;
	for (size_t i = 0; i < plan->n_containers; i++) {
		if (i)
			strcat(names, " ");
		strcat(names, plan->containers[i].name);
	}
	if (wanted)
		nano_err_setc(err, NANO_BAD_REQUEST, ENOENT,
		              "container %s is not valid for pod %s, choose one of: [%s]", wanted,
		              pod->spec->name, names);
	else
		nano_err_setc(err, NANO_BAD_REQUEST, ENOENT,
		              "a container name must be specified for pod %s, choose one of: [%s]",
		              pod->spec->name, names);
	return NULL;
}

static bool running(const struct pod *pod, const char *container)
{
	for (size_t i = 0; i < pod->plan->n_containers; i++)
		if (strcmp(pod->plan->containers[i].name, container) == 0)
			return pod->sup->containers[i].state == SUP_RUNNING && pod->shim_watch;
	return false;
}

/* A pipe: the process's end (blocking, as a program expects) in *theirs, ours non-blocking. */
static int make_pipe(bool ours_writes, int *ours, int *theirs)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	*ours = fds[ours_writes ? 1 : 0];
	*theirs = fds[ours_writes ? 0 : 1];
	if (fcntl(*ours, F_SETFL, O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int pod_exec_start(struct pod *pod, const struct pod_exec_options *options,
                   const struct pod_exec_ops *ops, void *userdata, struct pod_exec **out,
                   struct nano_err *err)
{
	struct pod_env *env = pod->env;
	const char *container = pick(pod, options->container, err);
	int theirs[3] = {-1, -1, -1};
	_cleanup_free_ char *request = NULL;
	struct pod_exec *e;
	size_t n = 0;
	uint64_t now;
	int r;

	if (!container)
		return -err->errnum;
	if (!running(pod, container))
		return nano_err_setc(err, NANO_BAD_REQUEST, ESRCH, "container %s is not running",
		                     container);
	if (env->opt.fd_budget && env->fds_held &&
	    env->fds_held(env) + EXEC_FDS > env->opt.fd_budget)
		return nano_err_setc(err, NANO_UNAVAILABLE, EMFILE,
		                     "the daemon is out of file descriptors for pods and execs "
		                     "(RLIMIT_NOFILE: raise LimitNOFILE= of nanoletd.service, or "
		                     "ulimit -n)");
	request = runtime_exec_request_format(container, options->tty,
	                                      options->stdin && !options->tty, options->argv, &r);
	if (!request)
		return r == -E2BIG    ? nano_err_setc(err, NANO_BAD_REQUEST, E2BIG,
		                                      "the command is too long (at most %d bytes, %d "
		                                         "words)",
		                                      RUNTIME_EXEC_MAX_BYTES, RUNTIME_EXEC_MAX_ARGS)
		       : r == -EINVAL ? nano_err_setc(err, NANO_BAD_REQUEST, EINVAL,
		                                      "the command must not be empty")
		       : r == -EILSEQ ? nano_err_setc(err, NANO_BAD_REQUEST, EILSEQ,
		                                      "the command must be valid UTF-8")
		                      : nano_err_set(err, -r, "%s", strerror(-r));
	e = calloc(1, sizeof(*e));
	if (!e)
		return nano_err_set(err, ENOMEM, "out of memory");
	*e = (struct pod_exec){.env = env,
	                       .fd = -1,
	                       .ops = *ops,
	                       .userdata = userdata,
	                       .streams = {-1, -1, -1, -1},
	                       .container = strdup(container)};
	env->exec_fds += EXEC_FDS;
	e->next = env->execs;
	if (e->next)
		e->next->prev = &e->next;
	e->prev = &env->execs;
	env->execs = e;
	r = e->container ? 0 : -ENOMEM;
	if (r == 0 && !options->tty) {
		if (options->stdin)
			r = make_pipe(true, &e->streams.stdin_fd, &theirs[n++]);
		if (r == 0)
			r = make_pipe(false, &e->streams.stdout_fd, &theirs[n++]);
		if (r == 0)
			r = make_pipe(false, &e->streams.stderr_fd, &theirs[n++]);
	}
	if (r < 0) {
		r = nano_err_set(err, -r, "exec pipes: %s", strerror(-r));
	} else {
		e->fd = runtime_shim_send_fds(pod->run_dir, request, theirs, n, err);
		r = e->fd < 0 ? e->fd : 0;
	}
	/* sent or not, the process's ends are the shim's copies now */
	for (size_t i = 0; i < n; i++)
		closep(&theirs[i]);
	if (r == 0)
		r = sd_event_add_io(env->event, &e->io, e->fd, EPOLLIN, on_reply, e);
	if (r == 0)
		r = sd_event_now(env->event, CLOCK_MONOTONIC, &now);
	if (r == 0)
		r = sd_event_add_time(env->event, &e->timer, CLOCK_MONOTONIC,
		                      now + env->shim_timeout_usec, 1000, on_timeout, e);
	if (r < 0) {
		if (!err->errnum)
			nano_err_set(err, -r, "exec: %s", strerror(-r));
		exec_free(e);
		return r;
	}
	*out = e;
	return 0;
}

void pod_exec_cancel(struct pod_exec *exec)
{
	if (!exec)
		return;
	if (exec->dispatching) {
		exec->cancelled = true;
		return;
	}
	exec_free(exec);
}

void pod_execs_stop(struct pod_env *env)
{
	while (env->execs) {
		struct pod_exec *e = env->execs;
		_cleanup_(nano_err_clear) struct nano_err err = {0};

		nano_err_setc(&err, NANO_UNAVAILABLE, ESHUTDOWN,
		              "nanoletd is stopping: the exec in container %s ended", e->container);
		/* from the daemon's end, after its loop: no callback of an exec is running */
		finish(e, -ESHUTDOWN, -1, &err);
	}
}
