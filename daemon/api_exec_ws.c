/* daemon/api_exec_ws.c: the exec subresource over a WebSocket, as the API server serves it and
 * kubectl >= 1.31 speaks it: GET (or POST) .../pods/{name}/exec?command=...&stdin=&stdout=
 * &stderr=&tty=&container= with an Upgrade to a WebSocket of subprotocol v5.channel.k8s.io or
 * v4.channel.k8s.io (the client lists what it speaks; the first we speak wins).
 *
 * Every binary message starts with its channel: 0 stdin (client to server), 1 stdout, 2 stderr,
 * 3 the end (a v1 Status: Success, or Failure NonZeroExitCode with the code in details.causes),
 * 4 a terminal resize ({"Width":w,"Height":h}); v5 adds 255, a client closing one of its
 * channels ([255, 0]: end of stdin). As the kubelet does, the server first sends an empty
 * message on its lowest writable channel, so that the client knows the stream is up.
 *
 * The process is pod_exec_start's (pods.h): its stdout, stderr (or its pty) and stdin are pipes
 * the daemon holds. This file only relays bytes between those and the socket, on the loop,
 * with backpressure both ways: at most EXEC_WS_BUFFER bytes are held for a client that does not
 * read (the process's output is not read meanwhile, so it blocks on its pipe) and for a process
 * that does not read its stdin (the client's messages are not read meanwhile). The end: when
 * the process has exited and its output reached EOF (or EXEC_WS_LINGER_USEC after its exit, for
 * a background child that holds the pipes), the Status goes out, then a close frame, then the
 * connection is closed. A client that hangs up or closes first ends the process (SIGKILL).
 */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>

#include "nanoletd.h"
#include "pods.h"
#include "routes.h"
#include "websocket/websocket.h"

/* What is held for a slow reader either way, and the largest message a client may send. */
#define EXEC_WS_BUFFER      ((size_t)256 << 10)
#define EXEC_WS_MAX_MESSAGE ((size_t)256 << 10)
#define EXEC_WS_READ        ((size_t)16 << 10)
/* After the process exited: how long its output may stay open (a background child) */
#define EXEC_WS_LINGER_USEC (2 * 1000000ULL)
/* After our close frame: how long the client has to answer with its own */
#define EXEC_WS_CLOSE_USEC (5 * 1000000ULL)

enum {
	CHANNEL_STDIN = 0,
	CHANNEL_STDOUT = 1,
	CHANNEL_STDERR = 2,
	CHANNEL_ERROR = 3,
	CHANNEL_RESIZE = 4,
	CHANNEL_CLOSE = 255, /* v5 */
};

static const char *const protocols[] = {"v5.channel.k8s.io", "v4.channel.k8s.io"};

struct exec_ws {
	struct nanoletd *daemon;
	struct exec_ws *prev, *next; /* the daemon's sessions (api_exec_ws_close_all) */
	struct pod_exec *exec;
	bool v5;
	bool want_stdin, want_stdout, want_stderr, tty;
	char *command; /* argv joined by spaces, for the Status */

	/* the client */
	struct http_upgraded *upgraded;
	int sock;
	sd_event_source *sock_source;
	struct ws_reader reader;
	uint8_t *out; /* frames for the client */
	size_t out_len, out_cap;
	/* The closing handshake (RFC 6455 7.1): our close frame queued, the client's received; the
	 * connection ends once both happened and ours is out, or EXEC_WS_CLOSE_USEC after ours */
	bool hang_up, close_received;
	sd_event_source *close_timer;

	/* the process */
	int in_fd;
	sd_event_source *in_source;
	uint8_t *in; /* the client's stdin for the process */
	size_t in_len;
	bool in_close;       /* end of stdin once in is written (maybe before the start) */
	int out_fd[2];       /* stdout and stderr, or the pty */
	struct winsize size; /* the terminal's, as the client last said */
	bool have_size;
	sd_event_source *out_source[2];
	bool started, exited;
	int exit_r, exit_code;
	char *exit_error;
	sd_event_source *linger;
};

static void session_free(struct exec_ws *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else if (s->daemon->exec_sessions == s)
		s->daemon->exec_sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (s->exec)
		pod_exec_cancel(s->exec);
	s->sock_source = sd_event_source_disable_unref(s->sock_source);
	s->in_source = sd_event_source_disable_unref(s->in_source);
	s->linger = sd_event_source_disable_unref(s->linger);
	s->close_timer = sd_event_source_disable_unref(s->close_timer);
	for (int i = 0; i < 2; i++) {
		s->out_source[i] = sd_event_source_disable_unref(s->out_source[i]);
		closep(&s->out_fd[i]);
	}
	closep(&s->in_fd);
	if (s->upgraded)
		http_upgraded_close(s->upgraded);
	ws_reader_done(&s->reader);
	free(s->out);
	free(s->in);
	free(s->exit_error);
	free(s->command);
	free(s);
}

/* ---- to the client ------------------------------------------------------------------------ */

static void update_sources(struct exec_ws *s);

static int queue(struct exec_ws *s, const void *data, size_t len)
{
	if (s->out_cap - s->out_len < len) {
		size_t cap = s->out_cap ? s->out_cap : 4096;
		uint8_t *grown;

		while (cap - s->out_len < len)
			cap *= 2;
		grown = realloc(s->out, cap);
		if (!grown)
			return -ENOMEM;
		s->out = grown;
		s->out_cap = cap;
	}
	memcpy(s->out + s->out_len, data, len);
	s->out_len += len;
	return 0;
}

static int queue_frame(struct exec_ws *s, enum ws_opcode opcode, int channel, const void *data,
                       size_t len)
{
	uint8_t header[WS_HEADER_MAX + 1];
	size_t n = ws_frame_header(header, opcode, len + (channel >= 0));

	if (s->hang_up) /* nothing follows our close frame */
		return 0;
	if (channel >= 0)
		header[n++] = (uint8_t)channel;
	if (queue(s, header, n) < 0 || queue(s, data, len) < 0)
		return -ENOMEM;
	return 0;
}

static int on_close_timer(sd_event_source *source, uint64_t usec, void *userdata)
{
	(void)source;
	(void)usec;
	session_free(userdata); /* the client never answered our close */
	return 0;
}

static void queue_close(struct exec_ws *s, uint16_t code)
{
	uint8_t payload[2] = {(uint8_t)(code >> 8), (uint8_t)code};

	if (s->hang_up)
		return;
	(void)queue_frame(s, WS_OP_CLOSE, -1, payload, sizeof(payload));
	s->hang_up = true;
	if (!s->close_received &&
	    sd_event_add_time_relative(s->daemon->event, &s->close_timer, CLOCK_MONOTONIC,
	                               EXEC_WS_CLOSE_USEC, 0, on_close_timer, s) < 0)
		s->close_received = true; /* no timer: do not wait */
}

/* Writes what is queued. Returns false when the session ended (s is freed). */
static bool flush(struct exec_ws *s)
{
	size_t sent = 0;

	while (s->upgraded && sent < s->out_len) {
		ssize_t n = send(s->sock, s->out + sent, s->out_len - sent,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n < 0) { /* the client is gone */
			session_free(s);
			return false;
		}
		sent += (size_t)n;
	}
	memmove(s->out, s->out + sent, s->out_len - sent);
	s->out_len -= sent;
	if (s->hang_up && s->close_received && s->out_len == 0 && s->upgraded) {
		session_free(s);
		return false;
	}
	update_sources(s);
	return true;
}

/* The v4/v5 Status on the error channel, as the kubelet's streaming server writes it. */
static json_t *end_status(const struct exec_ws *s)
{
	_cleanup_free_ char *message = NULL, *code = NULL;

	if (s->exit_r < 0) {
		message =
		        strdupf("Internal error occurred: error executing command in container: %s",
		                s->exit_error ? s->exit_error : strerror(-s->exit_r));
		return json_pack("{s:{}, s:s, s:s, s:s, s:{s:[{s:s}]}, s:i}", "metadata", "status",
		                 "Failure", "message", message ? message : "", "reason",
		                 "InternalError", "details", "causes", "message",
		                 s->exit_error ? s->exit_error : strerror(-s->exit_r), "code", 500);
	}
	if (s->exit_code == 0)
		return json_pack("{s:{}, s:s}", "metadata", "status", "Success");
	message = strdupf("command terminated with non-zero exit code: error executing command "
	                  "[%s], exit code %d",
	                  s->command ? s->command : "", s->exit_code);
	code = strdupf("%d", s->exit_code);
	return json_pack("{s:{}, s:s, s:s, s:s, s:{s:[{s:s, s:s}]}}", "metadata", "status",
	                 "Failure", "message", message ? message : "", "reason", "NonZeroExitCode",
	                 "details", "causes", "reason", "ExitCode", "message", code ? code : "");
}

/* ---- the end ------------------------------------------------------------------------------ */

static bool output_open(const struct exec_ws *s)
{
	return s->out_fd[0] >= 0 || s->out_fd[1] >= 0;
}

/* The process exited and its output is out (or lingered too long): the Status, the close
 * frame, and the end once they are sent. */
static void finish(struct exec_ws *s)
{
	_cleanup_json_ json_t *status = NULL;
	_cleanup_free_ char *text = NULL;

	if (!s->exited || s->hang_up || !s->upgraded)
		return;
	status = end_status(s);
	text = status ? json_dumps(status, JSON_COMPACT) : NULL;
	if (text)
		(void)queue_frame(s, WS_OP_BINARY, CHANNEL_ERROR, text, strlen(text));
	queue_close(s, WS_CLOSE_NORMAL);
	(void)flush(s);
}

static int on_linger(sd_event_source *source, uint64_t usec, void *userdata)
{
	struct exec_ws *s = userdata;

	(void)source;
	(void)usec;
	for (int i = 0; i < 2; i++) { /* a background child holds them: not waited for */
		s->out_source[i] = sd_event_source_disable_unref(s->out_source[i]);
		closep(&s->out_fd[i]);
	}
	finish(s);
	return 0;
}

static void on_exit_cb(void *userdata, int r, int exit_code, const struct nano_err *err)
{
	struct exec_ws *s = userdata;

	s->exec = NULL; /* it told its end: nothing to cancel */
	s->exited = true;
	s->exit_r = r;
	s->exit_code = exit_code;
	if (r < 0 && err && err->message)
		s->exit_error = strdup(err->message);
	if (output_open(s) && s->started &&
	    sd_event_add_time_relative(s->daemon->event, &s->linger, CLOCK_MONOTONIC,
	                               EXEC_WS_LINGER_USEC, 0, on_linger, s) >= 0)
		return;
	on_linger(NULL, 0, s);
}

/* ---- from the process --------------------------------------------------------------------- */

static int on_output(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct exec_ws *s = userdata;
	int i = source == s->out_source[0] ? 0 : 1;
	/* with a tty everything is the terminal's, stdout */
	int channel = i == 0 ? CHANNEL_STDOUT : CHANNEL_STDERR;
	bool wanted = i == 0 ? s->want_stdout : s->want_stderr;
	uint8_t buf[EXEC_WS_READ];
	ssize_t n;

	(void)revents;
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0) { /* EOF; a pty master reads EIO once its slave is closed */
		s->out_source[i] = sd_event_source_disable_unref(s->out_source[i]);
		closep(&s->out_fd[i]);
		if (!output_open(s) && s->exited) {
			s->linger = sd_event_source_disable_unref(s->linger);
			finish(s);
		}
		return 0;
	}
	if (wanted && queue_frame(s, WS_OP_BINARY, channel, buf, (size_t)n) < 0) {
		queue_close(s, WS_CLOSE_INTERNAL_ERROR);
		s->hang_up = true;
	}
	(void)flush(s);
	return 0;
}

/* ---- to the process ----------------------------------------------------------------------- */

/* The end of the process's input: what the client sends after it is dropped. */
static void close_stdin(struct exec_ws *s)
{
	s->in_source = sd_event_source_disable_unref(s->in_source);
	closep(&s->in_fd);
	s->in_len = 0;
	s->in_close = true;
}

static int on_stdin_writable(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct exec_ws *s = userdata;
	ssize_t n;

	(void)source;
	(void)revents;
	n = s->in_len ? write(fd, s->in, s->in_len) : 0;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n < 0) { /* the process closed its stdin: what the client sends is dropped */
		close_stdin(s);
	} else {
		memmove(s->in, s->in + n, s->in_len - (size_t)n);
		s->in_len -= (size_t)n;
		if (s->in_len == 0 && s->in_close)
			close_stdin(s);
	}
	update_sources(s);
	return 0;
}

static void to_stdin(struct exec_ws *s, const uint8_t *data, size_t len)
{
	uint8_t *grown;

	/* held until the process is there: a client may send before it started */
	if (!s->want_stdin || s->in_close || len == 0)
		return;
	grown = realloc(s->in, s->in_len + len);
	if (!grown)
		return;
	s->in = grown;
	memcpy(s->in + s->in_len, data, len);
	s->in_len += len;
	update_sources(s);
}

/* {"Width":80,"Height":24}, as client-go's TerminalSize marshals. kubectl sends the first
 * size as soon as it is connected, which may be before the terminal exists: it is kept and set
 * once the terminal is there. */
static void resize(struct exec_ws *s, const uint8_t *data, size_t len)
{
	_cleanup_json_ json_t *size = json_loadb((const char *)data, len, 0, NULL);
	json_int_t width = 0, height = 0;

	if (!s->tty || json_unpack(size, "{s:I, s:I}", "Width", &width, "Height", &height) < 0 ||
	    width < 0 || height < 0 || width > 65535 || height > 65535)
		return;
	s->size =
	        (struct winsize){.ws_col = (unsigned short)width, .ws_row = (unsigned short)height};
	s->have_size = true;
	if (s->out_fd[0] >= 0)
		(void)ioctl(s->out_fd[0], TIOCSWINSZ, &s->size);
}

static void on_message(struct exec_ws *s, const uint8_t *data, size_t len)
{
	if (len == 0)
		return;
	switch (data[0]) {
	case CHANNEL_STDIN:
		to_stdin(s, data + 1, len - 1);
		break;
	case CHANNEL_RESIZE:
		resize(s, data + 1, len - 1);
		break;
	case CHANNEL_CLOSE:
		/* v5: the client closes a channel of its own; only stdin is */
		if (s->v5 && len >= 2 && data[1] == CHANNEL_STDIN && !s->tty) {
			s->in_close = true; /* once what is held is written */
			if (s->in_len == 0 && s->in_fd >= 0)
				close_stdin(s);
		}
		break;
	default: /* as the API server: a frame for no channel is dropped */
		break;
	}
}

/* ---- from the client ---------------------------------------------------------------------- */

/* Takes the events out of what the client sent. Returns false when the session ended. */
static bool read_events(struct exec_ws *s)
{
	struct ws_event ev;

	for (ws_reader_next(&s->reader, &ev); ev.kind != WS_EVENT_NONE;
	     ws_reader_next(&s->reader, &ev)) {
		switch (ev.kind) {
		case WS_EVENT_MESSAGE:
			if (!s->hang_up)
				on_message(s, ev.data, ev.len);
			break;
		case WS_EVENT_PING:
			(void)queue_frame(s, WS_OP_PONG, -1, ev.data, ev.len);
			break;
		case WS_EVENT_CLOSE:
			/* the client is done (its process ends with the session), or answers ours
			 */
			s->close_received = true;
			queue_close(s, ev.close_code == 1005 ? WS_CLOSE_NORMAL : ev.close_code);
			break;
		case WS_EVENT_ERROR:
			log_warn("exec: closing a WebSocket: %s", ev.why);
			s->close_received =
			        true; /* nothing more is read from a client that broke it */
			queue_close(s, ev.close_code);
			break;
		case WS_EVENT_PONG:
		case WS_EVENT_NONE:
			break;
		}
		if (s->in_len >= EXEC_WS_BUFFER)
			break; /* the process reads no faster: the rest waits in the reader */
	}
	return flush(s);
}

static int on_socket(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct exec_ws *s = userdata;

	(void)source;
	if (revents & EPOLLOUT && !flush(s))
		return 0;
	if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return 0;
	for (;;) {
		uint8_t *space;
		size_t room;
		ssize_t n;

		if (ws_reader_space(&s->reader, EXEC_WS_READ, &space, &room) < 0)
			break; /* full: its events are taken first */
		n = recv(fd, space, room, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) { /* gone without a close frame */
			session_free(s);
			return 0;
		}
		ws_reader_fed(&s->reader, (size_t)n);
		if ((size_t)n < room)
			break;
	}
	(void)read_events(s);
	return 0;
}

/* Which sources wait, given what is held: output is read while the client keeps up, the
 * client's messages while the process keeps up with its stdin. */
static void update_sources(struct exec_ws *s)
{
	bool client_slow = s->out_len >= EXEC_WS_BUFFER;

	for (int i = 0; i < 2; i++)
		if (s->out_source[i])
			(void)sd_event_source_set_enabled(s->out_source[i],
			                                  client_slow ? SD_EVENT_OFF : SD_EVENT_ON);
	if (s->sock_source) {
		uint32_t events = s->out_len ? EPOLLOUT : 0;

		if (s->in_len < EXEC_WS_BUFFER && !s->close_received)
			events |= EPOLLIN;
		(void)sd_event_source_set_io_events(s->sock_source, events);
	}
	if (s->in_fd >= 0 && !s->in_source && s->in_len)
		(void)sd_event_add_io(s->daemon->event, &s->in_source, s->in_fd, EPOLLOUT,
		                      on_stdin_writable, s);
	else if (s->in_source)
		(void)sd_event_source_set_enabled(s->in_source,
		                                  s->in_len ? SD_EVENT_ON : SD_EVENT_OFF);
}

/* ---- the session -------------------------------------------------------------------------- */

static int watch_output(struct exec_ws *s, int i, int fd)
{
	s->out_fd[i] = fd;
	return fd < 0 ? 0
	              : sd_event_add_io(s->daemon->event, &s->out_source[i], fd, EPOLLIN, on_output,
	                                s);
}

static void on_started(void *userdata, struct pod_exec_streams *streams)
{
	struct exec_ws *s = userdata;
	int r;

	s->started = true;
	if (streams->pty_fd >= 0) {
		/* a terminal: its master is both the output and the input */
		s->in_fd = s->want_stdin ? fcntl(streams->pty_fd, F_DUPFD_CLOEXEC, 3) : -1;
		if (s->have_size)
			(void)ioctl(streams->pty_fd, TIOCSWINSZ, &s->size);
		r = watch_output(s, 0, streams->pty_fd);
	} else {
		s->in_fd = streams->stdin_fd;
		r = watch_output(s, 0, streams->stdout_fd);
		if (r >= 0)
			r = watch_output(s, 1, streams->stderr_fd);
		else
			closep(&streams->stderr_fd);
	}
	*streams = (struct pod_exec_streams){-1, -1, -1, -1};
	if (s->in_close && s->in_len == 0) /* the client ended its input before the start */
		close_stdin(s);
	if (r < 0) {
		log_warn("exec: watch the process's output: %s", strerror(-r));
		queue_close(s, WS_CLOSE_INTERNAL_ERROR);
		(void)flush(s);
		return;
	}
	update_sources(s);
}

static void on_upgraded(void *userdata, struct http_upgraded *upgraded, int fd, const char *extra,
                        size_t extra_len)
{
	struct exec_ws *s = userdata;
	/* the kubelet's first word: an empty message on the lowest channel it writes */
	int first = s->want_stdout   ? CHANNEL_STDOUT
	            : s->want_stderr ? CHANNEL_STDERR
	                             : CHANNEL_ERROR;
	int r;

	s->upgraded = upgraded;
	s->sock = fd;
	r = sd_event_add_io(s->daemon->event, &s->sock_source, fd, EPOLLIN, on_socket, s);
	if (r >= 0 && extra_len > 0)
		r = ws_reader_feed(&s->reader, extra, extra_len);
	if (r >= 0)
		r = queue_frame(s, WS_OP_BINARY, first, "", 0);
	if (r < 0) {
		log_warn("exec: set up the WebSocket: %s", strerror(-r));
		session_free(s);
		return;
	}
	if (extra_len > 0 && !read_events(s))
		return;
	if (s->exited && !output_open(s))
		finish(s);
	else
		(void)flush(s);
}

static void on_failed(void *userdata)
{
	session_free(userdata);
}

/* The subprotocol: the first the client lists that we speak, or NULL. */
static const char *pick_protocol(const char *offered)
{
	_cleanup_free_ char *copy = offered ? strdup(offered) : NULL;
	char *save = NULL;

	for (char *p = copy ? strtok_r(copy, ", \t", &save) : NULL; p;
	     p = strtok_r(NULL, ", \t", &save))
		for (size_t i = 0; i < ELEMENTSOF(protocols); i++)
			if (strcmp(p, protocols[i]) == 0)
				return protocols[i];
	return NULL;
}

bool api_exec_is_upgrade(const struct http_request *req)
{
	return ws_header_has_token(http_header(req, "Connection"), "upgrade") &&
	       ws_header_has_token(http_header(req, "Upgrade"), "websocket");
}

void api_pod_exec_ws(struct nanoletd *d, const struct http_request *req,
                     const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_strv_ char **command = http_query_all(req, "command");
	_cleanup_free_ char *joined = command ? strv_join(command, " ") : NULL;
	const char *version = http_header(req, "Sec-WebSocket-Version");
	const char *protocol = pick_protocol(http_header(req, "Sec-WebSocket-Protocol"));
	bool tty = api_query_true(req, "tty");
	/* the kubelet's checks of the options: a terminal has no stderr of its own (asked for
	 * anyway, it is dropped) */
	struct pod_exec_options options = {.container = http_query(req, "container"),
	                                   .argv = command,
	                                   .tty = tty,
	                                   .stdin = api_query_true(req, "stdin")};
	bool want_stdout = api_query_true(req, "stdout");
	bool want_stderr = api_query_true(req, "stderr") && !tty;
	char accept[WS_ACCEPT_LEN + 1];
	struct exec_ws *s;
	struct pod *pod;

	if (!version || strcmp(version, "13") != 0 ||
	    ws_accept_key(http_header(req, "Sec-WebSocket-Key"), accept) < 0)
		return routes_status(resp, 400, "BadRequest",
		                     "a WebSocket upgrade needs Sec-WebSocket-Version: 13 and a "
		                     "Sec-WebSocket-Key of 16 bytes in base64 (RFC 6455)");
	if (!protocol)
		return routes_status(
		        resp, 400, "BadRequest",
		        "requested protocol(s) are not supported: supports "
		        "[v5.channel.k8s.io v4.channel.k8s.io] (Sec-WebSocket-Protocol)");
	pod = api_find_pod(d, args, resp);
	if (!pod)
		return;
	if (!command)
		return routes_status(resp, 500, "InternalError", "out of memory");
	if (!command[0])
		return api_bad_request(resp, API_EXEC_NO_COMMAND);
	if (!options.stdin && !want_stdout && !want_stderr)
		return api_bad_request(resp,
		                       "you must specify at least 1 of stdin, stdout, stderr");
	s = calloc(1, sizeof(*s));
	if (!s)
		return routes_status(resp, 500, "InternalError", "out of memory");
	*s = (struct exec_ws){
	        .daemon = d,
	        .v5 = strcmp(protocol, protocols[0]) == 0,
	        .want_stdin = options.stdin,
	        .want_stdout = want_stdout,
	        .want_stderr = want_stderr,
	        .tty = tty,
	        .command = joined ? util_utf8_copy(joined, strlen(joined)) : NULL,
	        .sock = -1,
	        .in_fd = -1,
	        .out_fd = {-1, -1},
	};
	ws_reader_init(&s->reader, EXEC_WS_MAX_MESSAGE);
	if (pod_exec_start(pod, &options,
	                   &(struct pod_exec_ops){.on_started = on_started, .on_exit = on_exit_cb},
	                   s, &s->exec, &err) < 0) {
		session_free(s);
		return routes_error(resp, &err);
	}
	s->next = d->exec_sessions;
	if (s->next)
		s->next->prev = s;
	d->exec_sessions = s;
	http_upgrade(req,
	             (const char *const[]){"Sec-WebSocket-Accept", accept, "Sec-WebSocket-Protocol",
	                                   protocol, NULL},
	             &(struct http_upgrade_ops){.on_upgraded = on_upgraded, .on_failed = on_failed},
	             s);
}

void api_exec_ws_close_all(struct nanoletd *d)
{
	while (d->exec_sessions) {
		struct exec_ws *s = d->exec_sessions;

		/* best effort: a client that reads hears why (1001, going away) */
		queue_close(s, WS_CLOSE_GOING_AWAY);
		if (s->upgraded && s->out_len)
			(void)send(s->sock, s->out, s->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);
		session_free(s);
	}
}
