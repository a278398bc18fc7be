/* tests/integration/helpers/grpc_health_server.c: a gRPC health server (grpc.health.v1.Health/
 * Check over h2c, as grpc-go serves it) for the grpc probe's tests — pkg/probe's unit suite,
 * and a pod's probe end to end (a host pod sees the node's filesystem, so the build dir's
 * binary runs in it).
 *
 * Usage: grpc_health_server [-a ADDRESS] PORT [SERVICE=STATUS ...]
 *   ADDRESS   where it listens: 127.0.0.1 (the default), 0.0.0.0, ::1, ...
 *   PORT      0: one the kernel picks
 *   STATUS    SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN, HANG (never answers that
 *             service: a probe's timeout) or UNIMPLEMENTED (answers as a gRPC server without
 *             the health service: UNIMPLEMENTED "unknown service grpc.health.v1.Health"). ""
 * (=STATUS) is the server's overall health, SERVING unless given. A service not in the table:
 * NOT_FOUND "unknown service", as grpc-go's health server. Another method: UNIMPLEMENTED. Prints
 * "listening on ADDRESS:PORT" once it accepts connections, then serves until killed; each
 * connection in a child of its own that dies with the server (PR_SET_PDEATHSIG).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#define PATH_CHECK  "/grpc.health.v1.Health/Check"
#define MAX_STREAMS 16

struct entry {
	const char *service;
	int status; /* -1: HANG, -2: UNIMPLEMENTED */
};

static struct entry *table;
static size_t n_table;

struct stream {
	int32_t id;
	char path[128];
	uint8_t body[2048];
	size_t body_len;
	uint8_t answer[16];
	size_t answer_len, answer_off;
};

static struct stream streams[MAX_STREAMS];

static struct stream *stream_of(int32_t id, bool make)
{
	for (int i = 0; i < MAX_STREAMS; i++)
		if (streams[i].id == id)
			return &streams[i];
	if (!make)
		return NULL;
	for (int i = 0; i < MAX_STREAMS; i++) {
		if (streams[i].id == 0) {
			memset(&streams[i], 0, sizeof(streams[i]));
			streams[i].id = id;
			return &streams[i];
		}
	}
	return NULL;
}

static int status_of(const char *name)
{
	static const char *const names[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};

	if (strcmp(name, "HANG") == 0)
		return -1;
	if (strcmp(name, "UNIMPLEMENTED") == 0)
		return -2;
	for (int i = 0; i < 4; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	fprintf(stderr, "grpc_health_server: unknown status %s\n", name);
	exit(2);
}

/* HealthCheckRequest's service (field 1) out of the request's one message */
static void request_service(const struct stream *st, char *out, size_t size)
{
	const uint8_t *p = st->body + 5, *end = st->body + st->body_len;

	out[0] = '\0';
	if (st->body_len < 5)
		return;
	while (p < end) {
		uint8_t key = *p++;
		size_t len = 0;
		int shift = 0;

		while (p < end) {
			uint8_t b = *p++;

			len |= (size_t)(b & 0x7f) << shift;
			shift += 7;
			if (!(b & 0x80))
				break;
		}
		if (key == 0x0a && len < size && len <= (size_t)(end - p)) {
			memcpy(out, p, len);
			out[len] = '\0';
			return;
		}
		if ((key & 7) != 2)
			return;
		p += len;
	}
}

static ssize_t read_answer(nghttp2_session *s, int32_t id, uint8_t *buf, size_t length,
                           uint32_t *flags, nghttp2_data_source *source, void *userdata)
{
	struct stream *st = source->ptr;
	size_t n = st->answer_len - st->answer_off;
	nghttp2_nv trailer[] = {
	        {(uint8_t *)"grpc-status", (uint8_t *)"0", 11, 1, NGHTTP2_NV_FLAG_NONE},
	};

	(void)userdata;
	if (n > length)
		n = length;
	memcpy(buf, st->answer + st->answer_off, n);
	st->answer_off += n;
	if (st->answer_off == st->answer_len) {
		/* the status comes in the trailers, which end the stream */
		*flags |= NGHTTP2_DATA_FLAG_EOF | NGHTTP2_DATA_FLAG_NO_END_STREAM;
		nghttp2_submit_trailer(s, id, trailer, 1);
	}
	return (ssize_t)n;
}

#define NV(n, v)                                                                                   \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE         \
	}

/* Trailers-Only: the status alone, no message */
static void answer_error(nghttp2_session *s, int32_t id, const char *code, const char *message)
{
	nghttp2_nv headers[] = {
	        NV(":status", "200"),
	        NV("content-type", "application/grpc"),
	        NV("grpc-status", code),
	        NV("grpc-message", message),
	};

	nghttp2_submit_response(s, id, headers, 4, NULL);
}

static void answer(nghttp2_session *s, struct stream *st)
{
	char service[1024];
	nghttp2_nv headers[] = {NV(":status", "200"), NV("content-type", "application/grpc")};
	nghttp2_data_provider data = {.source.ptr = st, .read_callback = read_answer};
	const struct entry *e = NULL;

	if (strcmp(st->path, PATH_CHECK) != 0) {
		answer_error(s, st->id, "12", "unknown method");
		return;
	}
	request_service(st, service, sizeof(service));
	for (size_t i = 0; i < n_table; i++)
		if (strcmp(table[i].service, service) == 0)
			e = &table[i];
	if (!e) {
		answer_error(s, st->id, "5", "unknown service");
		return;
	}
	if (e->status == -2) {
		answer_error(s, st->id, "12", "unknown service grpc.health.v1.Health");
		return;
	}
	if (e->status < 0)
		return; /* HANG */
	/* HealthCheckResponse{status}: field 1, a varint (proto3 leaves out 0) */
	st->answer_len = 5;
	if (e->status) {
		st->answer[st->answer_len++] = 0x08;
		st->answer[st->answer_len++] = (uint8_t)e->status;
	}
	st->answer[4] = (uint8_t)(st->answer_len - 5);
	nghttp2_submit_response(s, st->id, headers, 2, &data);
}

static int on_header(nghttp2_session *s, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *userdata)
{
	struct stream *st = stream_of(frame->hd.stream_id, true);

	(void)s, (void)flags, (void)userdata;
	if (st && namelen == 5 && memcmp(name, ":path", 5) == 0)
		snprintf(st->path, sizeof(st->path), "%.*s", (int)valuelen, (const char *)value);
	return 0;
}

static int on_data(nghttp2_session *s, uint8_t flags, int32_t id, const uint8_t *data, size_t len,
                   void *userdata)
{
	struct stream *st = stream_of(id, false);

	(void)s, (void)flags, (void)userdata;
	if (st && len <= sizeof(st->body) - st->body_len) {
		memcpy(st->body + st->body_len, data, len);
		st->body_len += len;
	}
	return 0;
}

static int on_frame_recv(nghttp2_session *s, const nghttp2_frame *frame, void *userdata)
{
	struct stream *st;

	(void)userdata;
	if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
	    (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) &&
	    (st = stream_of(frame->hd.stream_id, false)))
		answer(s, st);
	return 0;
}

static int on_stream_close(nghttp2_session *s, int32_t id, uint32_t error, void *userdata)
{
	struct stream *st = stream_of(id, false);

	(void)s, (void)error, (void)userdata;
	if (st)
		st->id = 0;
	return 0;
}

static void serve_connection(int fd)
{
	nghttp2_session_callbacks *cbs;
	nghttp2_session *s;
	uint8_t buf[16384];

	nghttp2_session_callbacks_new(&cbs);
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
	nghttp2_session_server_new(&s, cbs, NULL);
	nghttp2_session_callbacks_del(cbs);
	nghttp2_submit_settings(s, NGHTTP2_FLAG_NONE, NULL, 0);
	for (;;) {
		const uint8_t *out;
		ssize_t n;

		while ((n = nghttp2_session_mem_send(s, &out)) > 0) {
			for (ssize_t off = 0; off < n;) {
				ssize_t w = send(fd, out + off, (size_t)(n - off), MSG_NOSIGNAL);

				if (w <= 0)
					_exit(0);
				off += w;
			}
		}
		if (n < 0 || (!nghttp2_session_want_read(s) && !nghttp2_session_want_write(s)))
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0 || nghttp2_session_mem_recv(s, buf, (size_t)n) < 0)
			break;
	}
	nghttp2_session_del(s);
	_exit(0);
}

static void usage(void)
{
	fprintf(stderr, "usage: grpc_health_server [-a ADDRESS] PORT [SERVICE=STATUS ...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *address = "127.0.0.1";
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int opt, fd, one = 1;
	char text[INET6_ADDRSTRLEN];
	unsigned port;
	bool overall = false;
	pid_t server;

	while ((opt = getopt(argc, argv, "a:")) != -1) {
		if (opt != 'a')
			usage();
		address = optarg;
	}
	if (optind >= argc)
		usage();
	port = (unsigned)strtoul(argv[optind++], NULL, 10);
	table = calloc((size_t)(argc - optind) + 1, sizeof(*table));
	if (!table)
		return 1;
	for (; optind < argc; optind++) {
		char *eq = strrchr(argv[optind], '=');

		if (!eq)
			usage();
		*eq = '\0';
		table[n_table].service = argv[optind];
		table[n_table++].status = status_of(eq + 1);
		overall |= !*argv[optind];
	}
	if (!overall)
		table[n_table++] = (struct entry){"", 1};

	if (strchr(address, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, address, &in6->sin6_addr) != 1)
			usage();
		len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)port);
		if (inet_pton(AF_INET, address, &in->sin_addr) != 1)
			usage();
		len = sizeof(*in);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 64) < 0) {
		perror("grpc_health_server: listen");
		return 1;
	}
	len = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &len);
	port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                     : ((struct sockaddr_in6 *)&ss)->sin6_port);
	inet_ntop(ss.ss_family,
	          ss.ss_family == AF_INET ? (void *)&((struct sockaddr_in *)&ss)->sin_addr
	                                  : (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
	          text, sizeof(text));
	printf(strchr(text, ':') ? "listening on [%s]:%u\n" : "listening on %s:%u\n", text, port);
	fflush(stdout);
	signal(SIGCHLD, SIG_IGN); /* no zombies */
	server = getpid();
	for (;;) {
		int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);

		if (c < 0)
			continue;
		if (fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != server) /* the server went before prctl */
				_exit(0);
			close(fd);
			serve_connection(c);
		}
		close(c);
	}
}
