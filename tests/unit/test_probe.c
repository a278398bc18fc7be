/* tests/unit/test_probe.c: pkg/probe's network checks against real servers — each test in a
 * network namespace of its own (root; every test forks), with lo up and its servers forked
 * from the test on 127.0.0.1, so no port of the node is ever touched. tcpSocket: open, refused
 * (IPv4 and IPv6), unreachable, a timeout (a dummy link that swallows every packet). httpGet:
 * 200 with its body, the request's exact head (User-Agent, Accept, Host, custom headers, their
 * overrides), 503 and 404 in the kubelet's words, same-host redirects followed (also to
 * another port), a redirect to another host a warning, a redirect loop stopped after 10, a
 * body cut at 10 KiB, chunked bodies, timeouts awaiting headers and reading the body; HTTPS
 * against a self-signed certificate made here. grpc: SERVING, NOT_SERVING, an unknown
 * service, an HTTP/1.1 server, a timeout, against tests/integration/helpers/
 * grpc_health_server. Every check: fn once, never before start returned; a cancelled check
 * calls nothing.
 */
#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <systemd/sd-event.h>

#include "check_main.h"
#include "net/net.h"
#include "probe/probe.h"
#include "probe/probe_internal.h"

static const char *skip_reason;

static void suite_setup(void)
{
	if (geteuid() != 0)
		skip_reason = "not root: the probe tests run in network namespaces of their own";
}

#define SKIP_UNLESS_ROOT()                                                                         \
	do {                                                                                       \
		if (skip_reason) {                                                                 \
			fprintf(stderr, "skipped: %s\n", skip_reason);                             \
			return;                                                                    \
		}                                                                                  \
	} while (0)

static void own_netns(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %m");
	ck_assert_int_eq(system("ip link set lo up"), 0);
}

/* ---- servers, each a child of the test --------------------------------------------------- */

#define MAX_SERVERS 4
static pid_t servers[MAX_SERVERS];

static void servers_stop(void)
{
	for (int i = 0; i < MAX_SERVERS; i++) {
		if (servers[i] > 0) {
			kill(servers[i], SIGKILL);
			waitpid(servers[i], NULL, 0);
			servers[i] = 0;
		}
	}
}

static void server_started(pid_t pid)
{
	for (int i = 0; i < MAX_SERVERS; i++) {
		if (servers[i] == 0) {
			servers[i] = pid;
			return;
		}
	}
	ck_abort_msg("too many servers");
}

static int listen_on(int family, const char *ip, unsigned *port)
{
	struct sockaddr_storage ss = {0};
	socklen_t len;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	ck_assert_int_ge(fd, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons((uint16_t)*port);
		inet_pton(AF_INET, ip, &in->sin_addr);
		len = sizeof(*in);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)*port);
		inet_pton(AF_INET6, ip, &in6->sin6_addr);
		len = sizeof(*in6);
	}
	ck_assert_msg(bind(fd, (struct sockaddr *)&ss, len) == 0, "bind %s: %m", ip);
	ck_assert_int_eq(listen(fd, 16), 0);
	len = sizeof(ss);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
	                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

static socklen_t make_addr(const char *ip, unsigned port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		ck_assert_int_eq(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
		return sizeof(*in6);
	}
	struct sockaddr_in *in = (struct sockaddr_in *)ss;

	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	return sizeof(*in);
}

/* ---- one check on a loop ----------------------------------------------------------------- */

struct outcome {
	bool started; /* start returned */
	int calls;
	bool early; /* fn came before start returned */
	enum probe_result result;
	char message[16384];
};

static void done(void *userdata, enum probe_result result, const char *message)
{
	struct outcome *o = userdata;

	o->early |= !o->started;
	o->calls++;
	o->result = result;
	snprintf(o->message, sizeof(o->message), "%s", message);
}

enum kind { TCP, HTTP, GRPC };

struct check_args {
	enum kind kind;
	const char *ip;
	unsigned port;
	uint64_t timeout_usec;
	struct probe_http_request http;
	const char *service;
	int fd; /* the socket, when not one of the test's namespace */
};

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Runs one check to its end on a loop of its own; the loop then runs dry, so a second call
 * of fn or a leftover source would show; and every descriptor it opened is closed. */
static void run_check(const struct check_args *a, struct outcome *o)
{
	sd_event *event = NULL;
	struct probe_check *check = NULL;
	struct nano_err err = {0};
	struct sockaddr_storage ss;
	socklen_t len = make_addr(a->ip, a->port, &ss);
	int fds = count_fds() - (a->fd > 0); /* a socket given is the check's */
	int fd, r;

	memset(o, 0, sizeof(*o));
	ck_assert_int_eq(sd_event_new(&event), 0);
	fd = a->fd > 0 ? a->fd
	               : socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	switch (a->kind) {
	case TCP:
		r = probe_tcp_start(event, fd, (struct sockaddr *)&ss, len, a->timeout_usec, done,
		                    o, &check, &err);
		break;
	case HTTP:
		r = probe_http_start(event, fd, (struct sockaddr *)&ss, len, &a->http,
		                     a->timeout_usec, done, o, &check, &err);
		break;
	default:
		r = probe_grpc_start(event, fd, (struct sockaddr *)&ss, len, a->service,
		                     a->timeout_usec, done, o, &check, &err);
		break;
	}
	ck_assert_msg(r == 0, "start: %s", err.message);
	o->started = true;
	while (o->calls == 0)
		ck_assert_int_ge(sd_event_run(event, UINT64_MAX), 0);
	/* nothing of the check is left: the loop has no source that would fire */
	for (int i = 0; i < 3; i++)
		ck_assert_int_ge(sd_event_run(event, 20000), 0);
	ck_assert_int_eq(o->calls, 1);
	ck_assert_msg(!o->early, "fn was called before start returned");
	sd_event_unref(event);
	ck_assert_int_eq(count_fds(), fds);
}

/* ---- net_pod_socket ---------------------------------------------------------------------- */

static ino_t netns_ino(const char *path)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	return st.st_ino;
}

/* A child in a namespace of its own with a listener on 127.0.0.1:port; a socket made through
 * its pidfd reaches it, one made here does not (nothing listens in the test's namespace), and
 * the thread is back in its own namespace. */
START_TEST(test_pod_socket)
{
	int ready[2], hold[2], pidfd, fd;
	struct sockaddr_storage ss;
	struct nano_err err = {0};
	unsigned port = 40123;
	ino_t self;
	char c;
	pid_t pid;

	SKIP_UNLESS_ROOT();
	own_netns();
	self = netns_ino("/proc/thread-self/ns/net");
	ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(hold, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0 || system("ip link set lo up") != 0)
			_exit(1);
		listen_on(AF_INET, "127.0.0.1", &port);
		(void)!write(ready[1], "r", 1);
		(void)!read(hold[0], &c, 1); /* until the test closes its end (or dies) */
		_exit(0);
	}
	server_started(pid);
	close(hold[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	ck_assert_int_ge(pidfd, 0);

	fd = net_pod_socket(pidfd, AF_INET, SOCK_STREAM, &err);
	ck_assert_msg(fd >= 0, "%s", err.message);
	ck_assert_int_eq(netns_ino("/proc/thread-self/ns/net"), self);
	ck_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	{
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int error = 0;
		socklen_t l = sizeof(error);
		socklen_t len = make_addr("127.0.0.1", port, &ss);

		ck_assert(connect(fd, (struct sockaddr *)&ss, len) == 0 || errno == EINPROGRESS);
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &l), 0);
		ck_assert_msg(error == 0, "the pod's listener: %s", strerror(error));
	}
	close(fd);
	/* the same address from the test's own namespace: nobody there */
	{
		int mine = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		socklen_t len = make_addr("127.0.0.1", port, &ss);

		ck_assert_int_lt(connect(mine, (struct sockaddr *)&ss, len), 0);
		ck_assert_int_eq(errno, ECONNREFUSED);
		close(mine);
	}
	/* not a pidfd nor a namespace: nothing made, still at home */
	fd = net_pod_socket(ready[0], AF_INET, SOCK_STREAM, &err);
	ck_assert_int_eq(fd, -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "enter the pod's network namespace"));
	ck_assert_int_eq(netns_ino("/proc/thread-self/ns/net"), self);
	nano_err_clear(&err);
	close(hold[1]);
	close(pidfd);
	servers_stop();
}
END_TEST

/* ---- tcpSocket --------------------------------------------------------------------------- */

/* Connects to 198.18.0.1 time out: its packets leave through a veth whose other end (here
 * too, forwarding off) drops them, and a permanent neighbour entry spares the ARP that would
 * fail them. */
static void blackhole(void)
{
	ck_assert_int_eq(system("ip link add nlprobe0 type veth peer name nlprobe1 && "
	                        "ip link set nlprobe0 up && ip link set nlprobe1 up && "
	                        "ip route add 198.18.0.0/15 dev nlprobe0 && "
	                        "ip neigh add 198.18.0.1 lladdr 02:00:00:00:00:01 dev nlprobe0 "
	                        "nud permanent"),
	                 0);
}

START_TEST(test_tcp)
{
	static const struct {
		const char *name;
		const char *ip;
		bool listen; /* a listener on ip, the check to its port */
		bool blackhole;
		unsigned port;
		enum probe_result result;
		const char *message;
	} cases[] = {
	        {"open", "127.0.0.1", true, false, 0, PROBE_SUCCESS, ""},
	        {"open v6", "::1", true, false, 0, PROBE_SUCCESS, ""},
	        {"refused", "127.0.0.1", false, false, 1, PROBE_FAILURE,
	         "dial tcp 127.0.0.1:1: connect: connection refused"},
	        {"refused v6", "::1", false, false, 1, PROBE_FAILURE,
	         "dial tcp [::1]:1: connect: connection refused"},
	        {"no route", "198.18.0.1", false, false, 80, PROBE_FAILURE,
	         "dial tcp 198.18.0.1:80: connect: network is unreachable"},
	        {"timeout", "198.18.0.1", false, true, 80, PROBE_FAILURE,
	         "dial tcp 198.18.0.1:80: i/o timeout"},
	};

	SKIP_UNLESS_ROOT();
	own_netns();
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct check_args a = {.kind = TCP,
		                       .ip = cases[i].ip,
		                       .port = cases[i].port,
		                       .timeout_usec = 300000};
		struct outcome o;
		int fd = -1;

		if (cases[i].listen)
			fd = listen_on(strchr(cases[i].ip, ':') ? AF_INET6 : AF_INET, cases[i].ip,
			               &a.port);
		if (cases[i].blackhole)
			blackhole();
		run_check(&a, &o);
		ck_assert_msg(o.result == cases[i].result, "%s: result %d: %s", cases[i].name,
		              o.result, o.message);
		ck_assert_msg(strcmp(o.message, cases[i].message) == 0, "%s: %s", cases[i].name,
		              o.message);
		if (fd >= 0)
			close(fd);
	}
}
END_TEST

/* ---- an HTTP(S) server ------------------------------------------------------------------- */

static gnutls_certificate_credentials_t server_credentials; /* HTTPS when set */
static unsigned other_port;                                 /* where /redirect-port sends */
static int record_fd = -1; /* each request's head goes here, after an "SNI: name" line */
static const char *ok_body = "ok body";

/* A self-signed certificate for the HTTPS server: the check must not verify it. */
static void make_certificate(void)
{
	gnutls_x509_privkey_t key;
	gnutls_x509_crt_t crt;
	time_t now = time(NULL);
	unsigned char serial[1] = {1};

	ck_assert_int_eq(gnutls_x509_privkey_init(&key), 0);
	ck_assert_int_eq(
	        gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	                                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
	        0);
	ck_assert_int_eq(gnutls_x509_crt_init(&crt), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_version(crt, 3), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_activation_time(crt, now - 60), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_expiration_time(crt, now + 3600), 0);
	ck_assert_int_eq(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	                                               "nanolet probe test", 18),
	                 0);
	ck_assert_int_eq(gnutls_x509_crt_set_key(crt, key), 0);
	ck_assert_int_eq(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), 0);
	ck_assert_int_eq(gnutls_certificate_allocate_credentials(&server_credentials), 0);
	ck_assert_int_eq(gnutls_certificate_set_x509_key(server_credentials, &crt, 1, key), 0);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
}

struct conn {
	int fd;
	gnutls_session_t tls;
};

static ssize_t conn_write(struct conn *c, const char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = c->tls ? gnutls_record_send(c->tls, buf + off, len - off)
		                   : send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return (ssize_t)len;
}

static void respond(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void respond(struct conn *c, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n > 0)
		(void)conn_write(c, text, (size_t)n);
	free(text);
}

static void serve_one(int fd)
{
	struct conn c = {.fd = fd};
	char head[8192], path[256] = "", sni[256] = "-";
	size_t len = 0, sni_len = sizeof(sni) - 1, type;
	ssize_t n;

	if (server_credentials) {
		gnutls_init(&c.tls, GNUTLS_SERVER);
		gnutls_set_default_priority(c.tls);
		gnutls_credentials_set(c.tls, GNUTLS_CRD_CERTIFICATE, server_credentials);
		gnutls_transport_set_int(c.tls, fd);
		if (gnutls_handshake(c.tls) < 0)
			_exit(1);
		type = GNUTLS_NAME_DNS;
		unsigned t = 0;
		if (gnutls_server_name_get(c.tls, sni, &sni_len, &t, 0) < 0)
			strcpy(sni, "-");
		(void)type;
	}
	while (!memmem(head, len, "\r\n\r\n", 4)) {
		n = c.tls ? gnutls_record_recv(c.tls, head + len, sizeof(head) - 1 - len)
		          : recv(fd, head + len, sizeof(head) - 1 - len, 0);
		if (n <= 0)
			_exit(1);
		len += (size_t)n;
		/* a TLS ClientHello to this plain server: what Go's http server answers */
		if (!c.tls && head[0] == 0x16) {
			respond(&c, "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request "
			            "to an HTTPS server.\n");
			/* a close with the ClientHello unread would be a reset, which may
			 * overtake the answer */
			shutdown(fd, SHUT_WR);
			while (recv(fd, head, sizeof(head), 0) > 0)
				;
			_exit(0);
		}
	}
	head[len] = '\0';
	{
		char record[8500];
		int r = snprintf(record, sizeof(record), "SNI: %s\n%s", sni, head);

		(void)!write(record_fd, record, (size_t)r + 1);
	}
	if (sscanf(head, "GET %255s ", path) != 1) {
		/* what an HTTP/1.1 server says to anything else (an HTTP/2 preface, say) */
		respond(&c, "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
	} else if (strcmp(path, "/ok") == 0) {
		respond(&c, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s", strlen(ok_body),
		        ok_body);
	} else if (strcmp(path, "/fail") == 0) {
		respond(&c, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\ndown");
	} else if (strcmp(path, "/missing") == 0) {
		respond(&c, "HTTP/1.1 404 Not Found\r\n\r\n");
	} else if (strcmp(path, "/redirect") == 0) {
		respond(&c, "HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n");
	} else if (strcmp(path, "/redirect-port") == 0) {
		respond(&c,
		        "HTTP/1.1 301 Moved Permanently\r\nLocation: http://127.0.0.1:%u/ok\r\n"
		        "Content-Length: 0\r\n\r\n",
		        other_port);
	} else if (strcmp(path, "/elsewhere") == 0) {
		respond(&c, "HTTP/1.1 302 Found\r\nLocation: http://example.invalid/x\r\n"
		            "Content-Length: 5\r\n\r\nmoved");
	} else if (strcmp(path, "/loop") == 0) {
		respond(&c, "HTTP/1.1 302 Found\r\nLocation: /loop\r\n\r\n");
	} else if (strcmp(path, "/big") == 0) {
		static char big[20000];

		memset(big, 'a', sizeof(big));
		respond(&c, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", sizeof(big));
		(void)conn_write(&c, big, sizeof(big));
	} else if (strcmp(path, "/chunked") == 0) {
		respond(&c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		            "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
	} else if (strcmp(path, "/hugechunk") == 0) {
		respond(&c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		            "ffffffffffffffff\r\nabc");
	} else if (strcmp(path, "/bigchunks") == 0) {
		static char chunk[6000];

		memset(chunk, 'b', sizeof(chunk));
		respond(&c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
		for (int i = 0; i < 3; i++) {
			respond(&c, "%zx\r\n", sizeof(chunk));
			(void)conn_write(&c, chunk, sizeof(chunk));
			respond(&c, "\r\n");
		}
		respond(&c, "0\r\n\r\n");
	} else if (strcmp(path, "/continue") == 0) {
		respond(&c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
	} else if (strcmp(path, "/hang") == 0) {
		pause();
	} else if (strcmp(path, "/slowbody") == 0) {
		respond(&c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
		pause();
	} else if (strcmp(path, "/short") == 0) {
		respond(&c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789");
	} else if (strcmp(path, "/garbage") == 0) {
		respond(&c, "hello\r\n\r\n");
	} else {
		/* /close: nothing at all */
	}
	if (c.tls) {
		gnutls_bye(c.tls, GNUTLS_SHUT_WR);
		gnutls_deinit(c.tls);
	}
	/* closed after the client: what it sent and this server did not read would make the
	 * close a reset */
	shutdown(fd, SHUT_WR);
	while (recv(fd, head, sizeof(head), 0) > 0)
		;
	_exit(0);
}

/* A server on lfd: a child per connection, each gone with the server (PDEATHSIG). */
static void serve_loop(int lfd)
{
	pid_t server = getpid();

	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0)
			continue;
		if (fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != server) /* the server went before prctl */
				_exit(0);
			serve_one(fd);
		}
		close(fd);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}

static void serve(int lfd)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		serve_loop(lfd);
	server_started(pid);
	close(lfd);
}

/* What the server was sent since the last call: the requests' heads, each after its SNI. */
static void recorded(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\0')
			buf[i] = '|';
}

/* ---- httpGet ----------------------------------------------------------------------------- */

/* template with each {port} replaced by port */
static void expand(const char *template, unsigned port, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *p = template; *p && n + 8 < size;) {
		if (strncmp(p, "{port}", 6) == 0) {
			n += (size_t)snprintf(buf + n, size - n, "%u", port);
			p += 6;
		} else {
			buf[n++] = *p++;
		}
	}
	buf[n] = '\0';
}

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

struct http_case {
	const char *name;
	const char *path;
	const char *host;
	struct spec_http_header headers[4];
	size_t n_headers;
	const char *ip; /* another address than the server's (then port 80, or port) */
	unsigned port;
	enum probe_result result;
	const char *message;   /* {port}: the server's */
	size_t message_len;    /* when message is NULL */
	const char *sent;      /* a part of what the server was sent */
	const char *sent_once; /* sent exactly n_sent times */
	size_t n_sent;
	uint64_t timeout_usec; /* 0: 5 s, which a check that should end sooner never needs */
};

static const struct http_case http_cases[] = {
        {.name = "200 with its body",
         .path = "/ok",
         .result = PROBE_SUCCESS,
         .message = "ok body",
         .sent = "SNI: -\nGET /ok HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: "
                 "kube-probe/0.1\r\nAccept: */*\r\nConnection: close\r\n\r\n|"},
        {.name = "headers added and overriding",
         .path = "/ok",
         .headers = {{"x-custom-header", "yes"},
                     {"user-agent", "mine/1"},
                     {"Accept", ""},
                     {"Host", "example.test"}},
         .n_headers = 4,
         .result = PROBE_SUCCESS,
         .message = "ok body",
         .sent = "GET /ok HTTP/1.1\r\nHost: example.test\r\nX-Custom-Header: yes\r\n"
                 "User-Agent: mine/1\r\nConnection: close\r\n\r\n|"},
        {.name = "host name in Host",
         .path = "/ok",
         .host = "localhost",
         .result = PROBE_SUCCESS,
         .message = "ok body",
         .sent = "Host: localhost:{port}\r\n"},
        {.name = "no path is /",
         .result = PROBE_FAILURE,
         .message = "Get \"http://127.0.0.1:{port}/\": EOF",
         .sent = "GET / HTTP/1.1\r\n"},
        {.name = "503",
         .path = "/fail",
         .result = PROBE_FAILURE,
         .message = "HTTP probe failed with statuscode: 503"},
        {.name = "404",
         .path = "/missing",
         .result = PROBE_FAILURE,
         .message = "HTTP probe failed with statuscode: 404"},
        {.name = "same-host redirect followed",
         .path = "/redirect",
         .result = PROBE_SUCCESS,
         .message = "ok body",
         .sent = "GET /ok HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"},
        {.name = "same-host redirect to another port",
         .path = "/redirect-port",
         .result = PROBE_SUCCESS,
         .message = "ok body",
         .sent_once = "GET /ok HTTP/1.1\r\n",
         .n_sent = 1},
        {.name = "redirect to another host: a warning",
         .path = "/elsewhere",
         .result = PROBE_WARNING,
         .message = "Probe terminated redirects, Response body: moved"},
        {.name = "redirect loop stopped after 10",
         .path = "/loop",
         .result = PROBE_FAILURE,
         .message = "Get \"http://127.0.0.1:{port}/loop\": stopped after 10 redirects",
         .sent_once = "GET /loop ",
         .n_sent = 10},
        {.name = "body cut at 10 KiB",
         .path = "/big",
         .result = PROBE_SUCCESS,
         .message_len = 10240},
        {.name = "chunked body",
         .path = "/chunked",
         .result = PROBE_SUCCESS,
         .message = "hello world"},
        {.name = "a chunk of 2^64-1 bytes, cut",
         .path = "/hugechunk",
         .result = PROBE_FAILURE,
         .message = "unexpected EOF"},
        {.name = "chunked body cut at 10 KiB",
         .path = "/bigchunks",
         .result = PROBE_SUCCESS,
         .message_len = 10240},
        {.name = "100 Continue then 204",
         .path = "/continue",
         .result = PROBE_SUCCESS,
         .message = ""},
        {.name = "no answer: timeout awaiting headers",
         .path = "/hang",
         .timeout_usec = 500000,
         .result = PROBE_FAILURE,
         .message = "Get \"http://127.0.0.1:{port}/hang\": context deadline exceeded "
                    "(Client.Timeout exceeded while awaiting headers)"},
        {.name = "body stalls: timeout reading it",
         .path = "/slowbody",
         .timeout_usec = 500000,
         .result = PROBE_FAILURE,
         .message = "context deadline exceeded (Client.Timeout or context cancellation while "
                    "reading body)"},
        {.name = "body shorter than its length",
         .path = "/short",
         .result = PROBE_FAILURE,
         .message = "unexpected EOF"},
        {.name = "not HTTP",
         .path = "/garbage",
         .result = PROBE_FAILURE,
         .message = "Get \"http://127.0.0.1:{port}/garbage\": net/http: HTTP/1.x transport "
                    "connection broken: malformed HTTP response \"hello\""},
        {.name = "refused",
         .path = "/ok",
         .ip = "127.0.0.1",
         .port = 1,
         .result = PROBE_FAILURE,
         .message = "Get \"http://127.0.0.1:1/ok\": dial tcp 127.0.0.1:1: connect: connection "
                    "refused"},
        {.name = "refused v6",
         .path = "/ok",
         .ip = "::1",
         .port = 1,
         .result = PROBE_FAILURE,
         .message = "Get \"http://[::1]:1/ok\": dial tcp [::1]:1: connect: connection "
                    "refused"},
        {.name = "connect timeout",
         .path = "/ok",
         .ip = "198.18.0.1",
         .port = 80,
         .timeout_usec = 500000,
         .result = PROBE_FAILURE,
         .message = "Get \"http://198.18.0.1:80/ok\": dial tcp 198.18.0.1:80: i/o timeout "
                    "(Client.Timeout exceeded while awaiting headers)"},
};

static void run_http_cases(const struct http_case *cases, size_t n, bool https)
{
	static char sent[65536], want[4096];
	int record[2];
	unsigned port = 0;
	int lfd, other;

	SKIP_UNLESS_ROOT();
	own_netns();
	blackhole();
	ck_assert_int_eq(pipe2(record, O_CLOEXEC | O_NONBLOCK), 0);
	record_fd = record[1];
	if (https)
		make_certificate();
	other = listen_on(AF_INET, "127.0.0.1", &other_port);
	lfd = listen_on(AF_INET, "127.0.0.1", &port);
	serve(other);
	serve(lfd);
	for (size_t i = 0; i < n; i++) {
		const struct http_case *t = &cases[i];
		struct check_args a = {.kind = HTTP,
		                       .ip = t->ip ? t->ip : "127.0.0.1",
		                       .port = t->ip ? t->port : port,
		                       .timeout_usec = t->timeout_usec ? t->timeout_usec : 5000000,
		                       .http = {.host = t->host,
		                                .path = t->path,
		                                .https = https,
		                                .headers = t->headers,
		                                .n_headers = t->n_headers}};
		static struct outcome o;

		run_check(&a, &o);
		recorded(record[0], sent, sizeof(sent));
		ck_assert_msg(o.result == t->result, "%s: result %d: %s", t->name, o.result,
		              o.message);
		if (t->message) {
			expand(t->message, port, want, sizeof(want));
			ck_assert_msg(strcmp(o.message, want) == 0, "%s: \"%s\", not \"%s\"",
			              t->name, o.message, want);
		} else {
			ck_assert_msg(strlen(o.message) == t->message_len, "%s: %zu bytes", t->name,
			              strlen(o.message));
		}
		if (t->sent) {
			expand(t->sent, port, want, sizeof(want));
			ck_assert_msg(strstr(sent, want), "%s: sent %s", t->name, sent);
		}
		if (t->sent_once)
			ck_assert_msg(count(sent, t->sent_once) == t->n_sent, "%s: sent %s",
			              t->name, sent);
	}
	servers_stop();
	close(record[0]);
	close(record[1]);
}

START_TEST(test_http)
{
	run_http_cases(http_cases, ELEMENTSOF(http_cases), false);
}
END_TEST

static const struct http_case https_cases[] = {
        {.name = "https 200, no SNI for an address",
         .path = "/ok",
         .result = PROBE_SUCCESS,
         .message = "ok body",
         .sent = "SNI: -\nGET /ok HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"},
        {.name = "https SNI for a name",
         .path = "/ok",
         .host = "localhost",
         .result = PROBE_SUCCESS,
         .message = "ok body",
         .sent = "SNI: localhost\nGET /ok HTTP/1.1\r\nHost: localhost:{port}\r\n"},
        {.name = "https 503",
         .path = "/fail",
         .result = PROBE_FAILURE,
         .message = "HTTP probe failed with statuscode: 503"},
        {.name = "https redirect followed",
         .path = "/redirect",
         .result = PROBE_SUCCESS,
         .message = "ok body",
         .sent_once = "GET /ok HTTP/1.1\r\n",
         .n_sent = 1},
        {.name = "https big body", .path = "/big", .result = PROBE_SUCCESS, .message_len = 10240},
        {.name = "https no answer",
         .path = "/hang",
         .timeout_usec = 500000,
         .result = PROBE_FAILURE,
         .message = "Get \"https://127.0.0.1:{port}/hang\": context deadline exceeded "
                    "(Client.Timeout exceeded while awaiting headers)"},
};

START_TEST(test_https)
{
	run_http_cases(https_cases, ELEMENTSOF(https_cases), true);
}
END_TEST

/* A check on a socket of a pod's namespace stays there, redirects too: the node's namespace
 * (the test's) has a server on the same port whose /ok says so. */
START_TEST(test_http_in_pod)
{
	int ready[2], record[2], pidfd, fd;
	static char sent[8192];
	struct nano_err err = {0};
	unsigned port = 40125;
	struct outcome o;
	pid_t pid;
	char c;

	SKIP_UNLESS_ROOT();
	own_netns();
	ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(record, O_CLOEXEC | O_NONBLOCK), 0);
	record_fd = record[1];
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int lfd;

		if (unshare(CLONE_NEWNET) < 0 || system("ip link set lo up") != 0)
			_exit(1);
		lfd = listen_on(AF_INET, "127.0.0.1", &port);
		(void)!write(ready[1], "r", 1);
		serve_loop(lfd);
	}
	server_started(pid);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ok_body = "the node's namespace";
	serve(listen_on(AF_INET, "127.0.0.1", &port));
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	ck_assert_int_ge(pidfd, 0);
	fd = net_pod_socket(pidfd, AF_INET, SOCK_STREAM, &err);
	ck_assert_msg(fd >= 0, "%s", err.message);
	{
		struct check_args a = {.kind = HTTP,
		                       .ip = "127.0.0.1",
		                       .port = port,
		                       .timeout_usec = 5000000,
		                       .http = {.path = "/redirect"},
		                       .fd = fd};

		run_check(&a, &o);
	}
	ck_assert_int_eq(o.result, PROBE_SUCCESS);
	ck_assert_str_eq(o.message, "ok body");
	recorded(record[0], sent, sizeof(sent));
	ck_assert_uint_eq(count(sent, "GET /ok HTTP/1.1"), 1);
	close(pidfd);
	servers_stop();
}
END_TEST

/* HTTPS to a server that speaks plain HTTP: Go's words for it. */
START_TEST(test_https_to_http)
{
	unsigned port = 0;
	int record[2], lfd;
	struct outcome o;
	char want[256];

	SKIP_UNLESS_ROOT();
	own_netns();
	ck_assert_int_eq(pipe2(record, O_CLOEXEC | O_NONBLOCK), 0);
	record_fd = record[1];
	lfd = listen_on(AF_INET, "127.0.0.1", &port);
	serve(lfd);
	{
		struct check_args a = {.kind = HTTP,
		                       .ip = "127.0.0.1",
		                       .port = port,
		                       .timeout_usec = 5000000,
		                       .http = {.path = "/ok", .https = true}};

		run_check(&a, &o);
	}
	ck_assert_int_eq(o.result, PROBE_FAILURE);
	expand("Get \"https://127.0.0.1:{port}/ok\": http: server gave HTTP response to HTTPS "
	       "client",
	       port, want, sizeof(want));
	ck_assert_str_eq(o.message, want);
	close(record[0]);
	close(record[1]);
	servers_stop();
}
END_TEST

/* A cancelled check calls nothing, and leaves nothing on the loop. */
START_TEST(test_cancel)
{
	sd_event *event = NULL;
	struct probe_check *check = NULL;
	struct nano_err err = {0};
	struct sockaddr_storage ss;
	struct outcome o = {0};
	struct timespec start, now;
	unsigned port = 0;
	int lfd, record[2];

	SKIP_UNLESS_ROOT();
	own_netns();
	ck_assert_int_eq(pipe2(record, O_CLOEXEC | O_NONBLOCK), 0);
	record_fd = record[1];
	lfd = listen_on(AF_INET, "127.0.0.1", &port);
	serve(lfd);
	ck_assert_int_eq(sd_event_new(&event), 0);
	{
		socklen_t len = make_addr("127.0.0.1", port, &ss);
		struct probe_http_request req = {.path = "/hang"};
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		ck_assert_int_eq(probe_http_start(event, fd, (struct sockaddr *)&ss, len, &req,
		                                  1000000, done, &o, &check, &err),
		                 0);
	}
	o.started = true;
	/* until the server has the request: the check waits for the answer */
	for (;;) {
		struct pollfd p = {.fd = record[0], .events = POLLIN};

		ck_assert_int_ge(sd_event_run(event, 10000), 0);
		ck_assert_int_eq(o.calls, 0);
		if (poll(&p, 1, 0) == 1)
			break;
	}
	probe_check_cancel(check);
	/* past the deadline the check had (1 s from its start) */
	ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &start), 0);
	do {
		ck_assert_int_ge(sd_event_run(event, 100000), 0);
		ck_assert_int_eq(clock_gettime(CLOCK_MONOTONIC, &now), 0);
	} while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 <
	         1500);
	ck_assert_int_eq(o.calls, 0);
	sd_event_unref(event);
	servers_stop();
}
END_TEST

/* ---- grpc -------------------------------------------------------------------------------- */

/* tests/integration/helpers/grpc_health_server, beside this test in the build dir, on
 * 127.0.0.1 with a port of its choosing; its port. */
static unsigned grpc_server(char *const *table)
{
	char exe[4096], line[128];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 20);
	char *argv[16] = {exe, "0"};
	int out[2], i = 2;
	unsigned port = 0;
	size_t len = 0;
	pid_t pid;

	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	strcpy(strrchr(exe, '/') + 1, "grpc_health_server");
	for (; *table && i < 15; table++)
		argv[i++] = *table;
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		execv(exe, argv);
		_exit(127);
	}
	server_started(pid);
	close(out[1]);
	/* its first line says it listens (Check's timeout bounds the wait) */
	while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
		n = read(out[0], line + len, sizeof(line) - 1 - len);
		ck_assert_msg(n > 0, "%s did not start", exe);
		len += (size_t)n;
	}
	line[len] = '\0';
	close(out[0]);
	ck_assert_msg(sscanf(line, "listening on 127.0.0.1:%u", &port) == 1, "%s", line);
	return port;
}

START_TEST(test_grpc)
{
	static char *const table[] = {"foo=NOT_SERVING", "unk=UNKNOWN", "slow=HANG",
	                              "none=UNIMPLEMENTED", NULL};
	static const struct {
		const char *name;
		const char *service;
		int server; /* 0 the health server, 1 an HTTP/1.1 one, 2 nobody answers, 3 none */
		enum probe_result result;
		const char *message; /* {port}: the server's */
	} cases[] = {
	        {"overall SERVING", "", 0, PROBE_SUCCESS, "service healthy"},
	        {"NULL is overall", NULL, 0, PROBE_SUCCESS, "service healthy"},
	        {"NOT_SERVING", "foo", 0, PROBE_FAILURE,
	         "service unhealthy (responded with \"NOT_SERVING\")"},
	        {"UNKNOWN", "unk", 0, PROBE_FAILURE,
	         "service unhealthy (responded with \"UNKNOWN\")"},
	        {"unknown service", "bar", 0, PROBE_FAILURE,
	         "error: health rpc probe failed: rpc error: code = NotFound desc = unknown "
	         "service"},
	        {"no health service", "none", 0, PROBE_FAILURE,
	         "error: this server does not implement the grpc health protocol "
	         "(grpc.health.v1.Health): unknown service grpc.health.v1.Health"},
	        {"no answer", "slow", 0, PROBE_FAILURE,
	         "timeout: health rpc did not complete within 300ms"},
	        {"an HTTP/1.1 server", "", 1, PROBE_FAILURE,
	         "error: failed to connect service at \"127.0.0.1:{port}\": connection error: "
	         "desc = \"error reading server preface: http2: frame too large\""},
	        {"a server that never speaks", "", 2, PROBE_FAILURE,
	         "timeout: failed to connect service \"127.0.0.1:{port}\" within 300ms: context "
	         "deadline exceeded"},
	        {"refused", "", 3, PROBE_FAILURE,
	         "error: failed to connect service at \"127.0.0.1:1\": connection error: desc = "
	         "\"transport: error while dialing: dial tcp 127.0.0.1:1: connect: connection "
	         "refused\""},
	};
	unsigned ports[4] = {0, 0, 0, 1};
	int record[2], mute;
	char want[512];

	SKIP_UNLESS_ROOT();
	own_netns();
	ports[0] = grpc_server(table);
	ck_assert_int_eq(pipe2(record, O_CLOEXEC | O_NONBLOCK), 0);
	record_fd = record[1];
	serve(listen_on(AF_INET, "127.0.0.1", &ports[1]));
	mute = listen_on(AF_INET, "127.0.0.1", &ports[2]); /* the kernel accepts, nobody reads */
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct check_args a = {.kind = GRPC,
		                       .ip = "127.0.0.1",
		                       .port = ports[cases[i].server],
		                       .timeout_usec = strstr(cases[i].message, "timeout: ") ==
		                                                       cases[i].message
		                                               ? 300000
		                                               : 5000000,
		                       .service = cases[i].service};
		static struct outcome o;

		run_check(&a, &o);
		expand(cases[i].message, a.port, want, sizeof(want));
		ck_assert_msg(o.result == cases[i].result, "%s: result %d: %s", cases[i].name,
		              o.result, o.message);
		ck_assert_msg(strcmp(o.message, want) == 0, "%s: \"%s\", not \"%s\"", cases[i].name,
		              o.message, want);
	}
	close(mute);
	close(record[0]);
	close(record[1]);
	servers_stop();
}
END_TEST

/* Go's time.Duration String(), which the grpc timeouts' words carry. */
START_TEST(test_duration)
{
	static const struct {
		uint64_t usec;
		const char *text;
	} cases[] = {
	        {1000000, "1s"},    {300000, "300ms"},   {1500000, "1.5s"},         {1500, "1.5ms"},
	        {60000000, "1m0s"}, {90000000, "1m30s"}, {3600000000ULL, "1h0m0s"}, {0, "0s"},
	};
	char buf[32];

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		probe_duration(cases[i].usec, buf, sizeof(buf));
		ck_assert_str_eq(buf, cases[i].text);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("probe");
	TCase *tc = tcase_create("core");

	suite_setup();
	tcase_add_checked_fixture(tc, NULL, servers_stop);
	tcase_add_test(tc, test_pod_socket);
	tcase_add_test(tc, test_tcp);
	tcase_add_test(tc, test_http);
	tcase_add_test(tc, test_http_in_pod);
	tcase_add_test(tc, test_https);
	tcase_add_test(tc, test_https_to_http);
	tcase_add_test(tc, test_cancel);
	tcase_add_test(tc, test_grpc);
	tcase_add_test(tc, test_duration);
	suite_add_tcase(s, tc);
	return check_run(s);
}
