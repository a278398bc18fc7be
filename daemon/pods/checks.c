/* daemon/pods/checks.c: the real checks of probes and lifecycle hooks (pod_checks.h), on the
 * daemon's loop: exec as a process in the container (pod_exec_start), its stdout and stderr read
 * into one buffer bounded as the kubelet bounds it (10 KiB) and killed at its timeout; tcpSocket,
 * httpGet and grpc through pkg/probe, on a socket made inside the pod's network namespace (the
 * shim's, through a pidfd: the pod's localhost and address, whether or not the pod network
 * exists; a hostNetwork pod's is the node's). Nothing here blocks.
 *
 * The address is the kubelet's: the handler's host, else status.podIP, else (no pod network)
 * 127.0.0.1 in the pod's namespace. A port by name is looked up in the container's ports.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "net/net.h"
#include "pods/record.h"
#include "probe/probe.h"

/* The kubelet's maxReadLength of an exec probe's output (pkg/probe/exec). */
#define CHECK_OUTPUT_MAX (10 * 1024)
/* A hook has no deadline of its own (postStart); its httpGet still needs one for pkg/probe. */
#define CHECK_HOOK_HTTP_TIMEOUT_USEC (3600 * UINT64_C(1000000))

struct pod_check {
	pod_check_done_fn *fn;
	void *userdata;
	/* exec */
	struct pod *pod;
	char *command; /* argv joined by spaces, as the kubelet's messages show it */
	struct pod_exec *exec;
	int fds[2]; /* stdout, stderr; -1 when closed */
	sd_event_source *sources[2];
	sd_event_source *timeout;
	char output[CHECK_OUTPUT_MAX + 1]; /* both streams, in the order they were read */
	size_t output_len;
	char errors[CHECK_OUTPUT_MAX + 1]; /* stderr alone, for the error of a failed command */
	size_t errors_len;
	/* network */
	struct probe_check *net;
};

static void check_free(struct pod_check *c)
{
	if (!c)
		return;
	for (size_t k = 0; k < 2; k++) {
		sd_event_source_disable_unref(c->sources[k]);
		if (c->fds[k] >= 0)
			close(c->fds[k]);
	}
	sd_event_source_disable_unref(c->timeout);
	if (c->exec)
		pod_exec_cancel(c->exec);
	if (c->net)
		probe_check_cancel(c->net);
	free(c->command);
	free(c);
}

static void check_end(struct pod_check *c, enum pod_check_status status, const char *output,
                      const char *error)
{
	struct pod_check_end end = {
	        .status = status, .output = output ? output : "", .error = error};
	/* the output lives in the check until the caller has it; then what still runs (an exec
	 * past its timeout) is killed with it. An exec or a network check that ended was let go
	 * by its own callback (exec_exited, net_done). */
	c->fn(c->userdata, &end);
	check_free(c);
}

/* ---- exec ----------------------------------------------------------------------------------- */

/* Reads what the stream k has now; its end closes it. */
static void drain(struct pod_check *c, size_t k)
{
	char buf[4096];

	while (c->fds[k] >= 0) {
		ssize_t n = read(c->fds[k], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			c->sources[k] = sd_event_source_disable_unref(c->sources[k]);
			close(c->fds[k]);
			c->fds[k] = -1;
			return;
		}
		/* the kubelet's LimitWriter: what passes the bound is dropped */
		if (c->output_len < CHECK_OUTPUT_MAX) {
			size_t room = CHECK_OUTPUT_MAX - c->output_len;
			size_t take = (size_t)n < room ? (size_t)n : room;

			memcpy(c->output + c->output_len, buf, take);
			c->output_len += take;
		}
		if (k == 1 && c->errors_len < CHECK_OUTPUT_MAX) {
			size_t room = CHECK_OUTPUT_MAX - c->errors_len;
			size_t take = (size_t)n < room ? (size_t)n : room;

			memcpy(c->errors + c->errors_len, buf, take);
			c->errors_len += take;
		}
	}
}

static int on_stream(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	struct pod_check *c = userdata;

	(void)s;
	(void)revents;
	drain(c, fd == c->fds[0] ? 0 : 1);
	return 0;
}

static void exec_started(void *userdata, struct pod_exec_streams *streams)
{
	struct pod_check *c = userdata;
	int fds[2] = {streams->stdout_fd, streams->stderr_fd};

	if (streams->stdin_fd >= 0)
		close(streams->stdin_fd);
	if (streams->pty_fd >= 0)
		close(streams->pty_fd);
	for (size_t k = 0; k < 2; k++) {
		c->fds[k] = fds[k];
		if (fds[k] >= 0 && sd_event_add_io(c->pod->env->event, &c->sources[k], fds[k],
		                                   EPOLLIN, on_stream, c) < 0)
			log_warn("pod %s: exec check: no io source: its output is read at its end",
			         c->pod->spec->name);
	}
}

static void exec_exited(void *userdata, int r, int exit_code, const struct nano_err *err)
{
	struct pod_check *c = userdata;
	_cleanup_free_ char *error = NULL;

	c->exec = NULL; /* ended: not to be cancelled */
	if (r < 0)
		return check_end(c, POD_CHECK_ERROR,
		                 err && err->message ? err->message : strerror(-r), NULL);
	/* everything it wrote is in the pipes by now */
	drain(c, 0);
	drain(c, 1);
	c->output[c->output_len] = '\0';
	c->errors[c->errors_len] = '\0';
	if (exit_code == 0)
		return check_end(c, POD_CHECK_SUCCESS, c->output, NULL);
	/* the CRI's ExecSync error, as the kubelet's RunInContainer words it */
	error = strdupf("command '%s' exited with %d: %s", c->command, exit_code, c->errors);
	check_end(c, POD_CHECK_FAILURE, c->output, error);
}

static const struct pod_exec_ops exec_ops = {
        .on_started = exec_started,
        .on_exit = exec_exited,
};

/* Go's %q of s (the kubelet quotes the command of a timed out probe with it). */
static char *go_quote(const char *s)
{
	char *out = malloc(strlen(s) * 4 + 3), *p = out;

	if (!out)
		return NULL;
	*p++ = '"';
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			p += sprintf(p, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			p += sprintf(p, "\\x%02x", ch);
		else
			*p++ = (char)ch;
	}
	strcpy(p, "\"");
	return out;
}

static int on_exec_timeout(sd_event_source *s, uint64_t usec, void *userdata)
{
	struct pod_check *c = userdata;
	_cleanup_free_ char *quoted = go_quote(c->command);
	_cleanup_free_ char *message = NULL;

	(void)s;
	(void)usec;
	/* remote_runtime.go's ExecSync past its deadline: a TimeoutError, whose words the exec
	 * probe returns as its output (the process is killed with the check) */
	message = strdupf("command %s timed out", quoted ? quoted : c->command);
	check_end(c, POD_CHECK_FAILURE, message ? message : "command timed out", NULL);
	return 0;
}

static int exec_start(struct pod_check *c, struct pod *pod, size_t i, const struct spec_handler *h,
                      uint64_t timeout_usec, char **error)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct pod_exec_options options = {.container = pod->spec->containers[i].name,
	                                   .argv = h->command};
	int r;

	if (!h->command || !h->command[0])
		return -EINVAL; /* the API server refuses it; a check without one cannot run */
	c->command = strv_join(h->command, " ");
	if (!c->command)
		return -ENOMEM;
	if (timeout_usec) {
		r = sd_event_add_time_relative(pod->env->event, &c->timeout, CLOCK_MONOTONIC,
		                               timeout_usec, 0, on_exec_timeout, c);
		if (r < 0)
			return r;
	}
	r = pod_exec_start(pod, &options, &exec_ops, c, &c->exec, &err);
	if (r < 0)
		*error = strdup(err.message ? err.message : strerror(-r));
	return r;
}

/* ---- network -------------------------------------------------------------------------------- */

static void net_done(void *userdata, enum probe_result result, const char *message)
{
	struct pod_check *c = userdata;

	c->net = NULL;
	check_end(c,
	          result == PROBE_SUCCESS   ? POD_CHECK_SUCCESS
	          : result == PROBE_WARNING ? POD_CHECK_WARNING
	                                    : POD_CHECK_FAILURE,
	          message, NULL);
}

/* The handler's port: a number, or a name of the container's ports. */
static int resolve_port(const struct spec_container *sc, const struct spec_handler *h, char **error)
{
	if (!h->port_name)
		return (int)h->port;
	for (size_t k = 0; k < sc->n_ports; k++)
		if (sc->ports[k].name && strcmp(sc->ports[k].name, h->port_name) == 0)
			return (int)sc->ports[k].container_port;
	/* ResolveContainerPort: findPortByName's error is replaced by its last try, the name
	 * parsed as a number, so that is what the kubelet reports */
	*error = strdupf("strconv.Atoi: parsing \"%s\": invalid syntax", h->port_name);
	return -ENOENT;
}

/* The pod's shim's network namespace: a socket made in it. */
static int pod_socket(struct pod *pod, int family, struct nano_err *err)
{
	_cleanup_close_ int pidfd = -1;
	uint64_t start_time = 0;

	if (pod->shim_pid <= 0)
		return nano_err_set(err, ESRCH, "the pod has no sandbox");
	pidfd = pidfd_open(pod->shim_pid, 0);
	if (pidfd < 0)
		return nano_err_set(err, errno, "pidfd of the shim: %m");
	/* the pid is still the shim's (it may have died and its pid been reused) */
	if (pod_proc_start_time(pod->shim_pid, &start_time) < 0 ||
	    start_time != pod->shim_start_time)
		return nano_err_set(err, ESRCH, "the pod's shim is gone");
	return net_pod_socket(pidfd, family, SOCK_STREAM, err);
}

static int net_start(struct pod_check *c, struct pod *pod, size_t i, const struct spec_handler *h,
                     uint64_t timeout_usec, char **error)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	const char *host = h->host ? h->host : pod->sup->pod_ip ? pod->sup->pod_ip : "127.0.0.1";
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	_cleanup_free_ char *authority = NULL;
	int port = resolve_port(&pod->spec->containers[i], h, error), fd, r;

	if (port < 0)
		return port;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		len = sizeof(*in4);
		authority = strdupf("%s:%d", host, port);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		len = sizeof(*in6);
		authority = strdupf("[%s]:%d", host, port);
	} else {
		/* nanolet has no resolver of its own for the node: an address it must be */
		*error = strdupf("host %s: nanolet probes addresses, not names", host);
		return -EINVAL;
	}
	if (!authority)
		return -ENOMEM;
	fd = pod_socket(pod, ss.ss_family, &err);
	if (fd < 0) {
		*error = strdup(err.message ? err.message : strerror(-fd));
		return fd;
	}
	switch (h->type) {
	case SPEC_HANDLER_TCP_SOCKET:
		r = probe_tcp_start(pod->env->event, fd, (struct sockaddr *)&ss, len, timeout_usec,
		                    net_done, c, &c->net, &err);
		break;
	case SPEC_HANDLER_HTTP_GET: {
		/* the URL's host:port is the Host header, as Go's client sends it */
		struct probe_http_request request = {.host = authority,
		                                     .path = h->path,
		                                     .https = h->https,
		                                     .headers = h->headers,
		                                     .n_headers = h->n_headers};

		r = probe_http_start(pod->env->event, fd, (struct sockaddr *)&ss, len, &request,
		                     timeout_usec ? timeout_usec : CHECK_HOOK_HTTP_TIMEOUT_USEC,
		                     net_done, c, &c->net, &err);
		break;
	}
	case SPEC_HANDLER_GRPC:
		r = probe_grpc_start(pod->env->event, fd, (struct sockaddr *)&ss, len, h->service,
		                     timeout_usec, net_done, c, &c->net, &err);
		break;
	default:
		close(fd);
		return -EINVAL;
	}
	if (r < 0)
		*error = strdup(err.message ? err.message : strerror(-r));
	return r;
}

/* ---- the table ------------------------------------------------------------------------------ */

static int checks_start(void *ctx, struct pod *pod, size_t i, const struct spec_handler *h,
                        uint64_t timeout_usec, pod_check_done_fn *fn, void *userdata,
                        struct pod_check **out, struct nano_err *err)
{
	struct pod_check *c = calloc(1, sizeof(*c));
	_cleanup_free_ char *error = NULL;
	int r;

	(void)ctx;
	if (!c)
		return -ENOMEM;
	*c = (struct pod_check){.fn = fn, .userdata = userdata, .pod = pod, .fds = {-1, -1}};
	if (h->type == SPEC_HANDLER_EXEC)
		r = exec_start(c, pod, i, h, timeout_usec, &error);
	else
		r = net_start(c, pod, i, h, timeout_usec, &error);
	if (r < 0) {
		check_free(c);
		return nano_err_set(err, -r, "%s", error ? error : strerror(-r));
	}
	*out = c;
	return 0;
}

const struct pod_check_ops pod_checks_real = {
        .start = checks_start,
        .cancel = check_free,
};
