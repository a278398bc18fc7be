/* daemon/api_exec.c: .../pods/{name}/exec — a command run in a running container.
 *
 * api_pod_exec dispatches: a request with `Upgrade: websocket` is the streaming form (kubectl's
 * v5.channel.k8s.io, api_exec_ws.c); anything else is the plain form, which the Kubernetes
 * API does not have: a POST answered, once the process ended, with one JSON object
 * {"stdout","stderr","exitCode"} (and "stdoutTruncated"/"stderrTruncated" when an output passed
 * EXEC_PLAIN_MAX_OUTPUT and was cut). stdin=true feeds the request's body to the process's
 * stdin; a tty needs a stream and is refused. A GET that is no upgrade is answered as the API
 * server answers it, 400 "Upgrade request required".
 *
 * The answer is deferred (http_defer): the process's pipes are io sources on the loop, relayed
 * without blocking; nothing here waits.
 */
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "nanoletd.h"
#include "pods.h"
#include "routes.h"

/* What the plain form keeps of each output stream; past it the rest is read and dropped. */
#define EXEC_PLAIN_MAX_OUTPUT (1024 * 1024)
/* Once the process ended, how long its output may still take to reach EOF: a child it left
 * behind may hold the pipes open. */
#define EXEC_PLAIN_DRAIN_USEC (2 * 1000 * 1000)

struct output {
	int fd;
	sd_event_source *io;
	char *data;
	size_t len;
	bool truncated;
};

struct exec_plain {
	struct nanoletd *d;
	struct http_deferred *deferred;
	struct pod_exec *exec;
	struct output out[2]; /* stdout, stderr */
	int stdin_fd;
	sd_event_source *stdin_io, *drain_timer;
	char *input;
	size_t input_len, input_off;
	bool exited;
	int exit_code;
};

static void output_close(struct output *o)
{
	o->io = sd_event_source_disable_unref(o->io);
	closep(&o->fd);
}

static void plain_free(struct exec_plain *p)
{
	for (int i = 0; i < 2; i++) {
		output_close(&p->out[i]);
		free(p->out[i].data);
	}
	p->stdin_io = sd_event_source_disable_unref(p->stdin_io);
	p->drain_timer = sd_event_source_disable_unref(p->drain_timer);
	closep(&p->stdin_fd);
	pod_exec_cancel(p->exec);
	free(p->input);
	free(p);
}

static void answer(struct exec_plain *p, int r, const struct nano_err *err)
{
	struct http_response resp;
	json_t *o;

	http_deferred_response(p->deferred, &resp);
	if (r < 0) {
		routes_error(&resp, err);
	} else {
		/* a process's output is bytes; JSON carries text (invalid UTF-8 shown as U+FFFD) */
		_cleanup_free_ char *out =
		        util_utf8_copy(p->out[0].data ? p->out[0].data : "", p->out[0].len);
		_cleanup_free_ char *errs =
		        util_utf8_copy(p->out[1].data ? p->out[1].data : "", p->out[1].len);

		o = out && errs ? json_pack("{s:s, s:s, s:i}", "stdout", out, "stderr", errs,
		                            "exitCode", p->exit_code)
		                : NULL;
		if (o && p->out[0].truncated)
			json_object_set_new(o, "stdoutTruncated", json_true());
		if (o && p->out[1].truncated)
			json_object_set_new(o, "stderrTruncated", json_true());
		if (o)
			routes_json(&resp, 200, o);
		else
			routes_status(&resp, 500, "InternalError", "out of memory");
	}
	http_deferred_complete(p->deferred, &resp);
	plain_free(p);
}

/* The answer goes once the process ended and both outputs reached EOF (or the drain ran out). */
static void maybe_answer(struct exec_plain *p)
{
	if (p->exited && p->out[0].fd < 0 && p->out[1].fd < 0)
		answer(p, 0, NULL);
}

static int on_output(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct exec_plain *p = userdata;
	struct output *o =
	        sd_event_source_get_io_fd(source) == p->out[0].fd ? &p->out[0] : &p->out[1];
	char buf[65536];
	ssize_t n;

	(void)revents;
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) {
		output_close(o);
		maybe_answer(p);
		return 0;
	}
	if (o->len < EXEC_PLAIN_MAX_OUTPUT) {
		size_t take = (size_t)n < EXEC_PLAIN_MAX_OUTPUT - o->len
		                      ? (size_t)n
		                      : EXEC_PLAIN_MAX_OUTPUT - o->len;
		char *data = realloc(o->data, o->len + take);

		if (!data) {
			output_close(o);
			o->truncated = true;
			maybe_answer(p);
			return 0;
		}
		memcpy(data + o->len, buf, take);
		o->data = data;
		o->len += take;
		o->truncated = o->truncated || take < (size_t)n;
	} else {
		o->truncated = true;
	}
	return 0;
}

static int on_stdin(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct exec_plain *p = userdata;
	ssize_t n;

	(void)source;
	(void)revents;
	if (p->input_off < p->input_len) {
		n = write(fd, p->input + p->input_off, p->input_len - p->input_off);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n > 0)
			p->input_off += (size_t)n;
		if (n > 0 && p->input_off < p->input_len)
			return 0;
	}
	/* all of it, or the process closed its stdin: end of input */
	p->stdin_io = sd_event_source_disable_unref(p->stdin_io);
	closep(&p->stdin_fd);
	return 0;
}

static void on_started(void *userdata, struct pod_exec_streams *s)
{
	struct exec_plain *p = userdata;
	sd_event *event = p->d->event;
	int r = 0;

	p->out[0].fd = TAKE_FD(s->stdout_fd);
	p->out[1].fd = TAKE_FD(s->stderr_fd);
	p->stdin_fd = TAKE_FD(s->stdin_fd);
	closep(&s->pty_fd);
	for (int i = 0; i < 2 && r >= 0; i++)
		if (p->out[i].fd >= 0)
			r = sd_event_add_io(event, &p->out[i].io, p->out[i].fd, EPOLLIN, on_output,
			                    p);
	if (r >= 0 && p->stdin_fd >= 0)
		r = sd_event_add_io(event, &p->stdin_io, p->stdin_fd, EPOLLOUT, on_stdin, p);
	if (r < 0) {
		/* nothing could relay it: the process is killed, its end reported as lost */
		for (int i = 0; i < 2; i++)
			output_close(&p->out[i]);
		p->stdin_io = sd_event_source_disable_unref(p->stdin_io);
		closep(&p->stdin_fd);
	}
}

static int on_drained(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct exec_plain *p = userdata;

	(void)source;
	(void)usec;
	for (int i = 0; i < 2; i++)
		output_close(&p->out[i]);
	maybe_answer(p);
	return 0;
}

static void on_exit_(void *userdata, int r, int exit_code, const struct nano_err *err)
{
	struct exec_plain *p = userdata;
	uint64_t now;

	p->exec = NULL; /* gone after this call */
	if (r < 0)
		return answer(p, r, err);
	p->exited = true;
	p->exit_code = exit_code;
	p->stdin_io = sd_event_source_disable_unref(p->stdin_io);
	closep(&p->stdin_fd);
	if (p->out[0].fd < 0 && p->out[1].fd < 0)
		return answer(p, 0, NULL);
	if (sd_event_now(p->d->event, CLOCK_MONOTONIC, &now) < 0 ||
	    sd_event_add_time(p->d->event, &p->drain_timer, CLOCK_MONOTONIC,
	                      now + EXEC_PLAIN_DRAIN_USEC, 1000, on_drained, p) < 0) {
		for (int i = 0; i < 2; i++)
			output_close(&p->out[i]);
		answer(p, 0, NULL);
	}
}

static const struct pod_exec_ops plain_ops = {.on_started = on_started, .on_exit = on_exit_};

static void exec_plain(struct nanoletd *d, const struct http_request *req,
                       const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_strv_ char **command = http_query_all(req, "command");
	struct pod *pod = api_find_pod(d, args, resp);
	struct pod_exec_options options = {
	        .container = http_query(req, "container"),
	        .tty = api_query_true(req, "tty"),
	        .stdin = api_query_true(req, "stdin"),
	};
	struct exec_plain *p;

	if (!pod)
		return;
	if (!command)
		return routes_status(resp, 500, "InternalError", "out of memory");
	if (!command[0])
		return api_bad_request(resp, API_EXEC_NO_COMMAND);
	if (options.tty)
		return routes_status(resp, 400, "BadRequest",
		                     "tty=true needs a stream: upgrade to WebSocket "
		                     "(v5.channel.k8s.io), as kubectl exec -t does");
	p = calloc(1, sizeof(*p));
	if (!p)
		return routes_status(resp, 500, "InternalError", "out of memory");
	*p = (struct exec_plain){.d = d, .out = {{.fd = -1}, {.fd = -1}}, .stdin_fd = -1};
	if (options.stdin && req->body_len) {
		p->input = malloc(req->body_len);
		if (!p->input) {
			free(p);
			return routes_status(resp, 500, "InternalError", "out of memory");
		}
		memcpy(p->input, req->body, req->body_len);
		p->input_len = req->body_len;
	}
	options.argv = command;
	if (pod_exec_start(pod, &options, &plain_ops, p, &p->exec, &err) < 0) {
		plain_free(p);
		return routes_error(resp, &err);
	}
	/* no callback runs before this returns: the answer has its handle before it is due */
	p->deferred = http_defer(req, resp);
	if (!p->deferred) {
		plain_free(p); /* the process is killed with the connection to its shim */
		return routes_status(resp, 500, "InternalError", "out of memory");
	}
}

void api_pod_exec(struct nanoletd *d, const struct http_request *req, const struct route_args *args,
                  struct http_response *resp)
{
	if (api_exec_is_upgrade(req))
		return api_pod_exec_ws(d, req, args, resp);
	if (strcmp(req->method, "POST") != 0)
		return routes_status(resp, 400, "BadRequest", "Upgrade request required");
	exec_plain(d, req, args, resp);
}
