/* pkg/probe/tls.c: the TLS client of an HTTPS httpGet, GnuTLS on the check's non-blocking
 * socket. The certificate is not verified, as the kubelet's prober does not
 * (InsecureSkipVerify): a probe asks whether the server answers, not who it is. SNI names the
 * host when the URL's host is a name (Go sends none for an address).
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <gnutls/gnutls.h>

#include "probe_internal.h"

struct probe_tls {
	gnutls_session_t session;
	gnutls_certificate_credentials_t credentials;
	int fd;
	char first[5]; /* the server's first bytes: "HTTP/" is a plain HTTP server */
	size_t first_len;
};

void probe_tls_free(struct probe_tls *t)
{
	if (!t)
		return;
	if (t->session)
		gnutls_deinit(t->session);
	if (t->credentials)
		gnutls_certificate_free_credentials(t->credentials);
	free(t);
}

/* The socket's own reads and writes, so the first bytes can be kept (and a write to a closed
 * connection is an error, not a SIGPIPE). */
static ssize_t pull(gnutls_transport_ptr_t p, void *buf, size_t len)
{
	struct probe_tls *t = p;
	ssize_t n = recv(t->fd, buf, len, 0);

	if (n < 0) {
		gnutls_transport_set_errno(t->session, errno);
		return n;
	}
	if (t->first_len < sizeof(t->first)) {
		size_t take = sizeof(t->first) - t->first_len;

		if (take > (size_t)n)
			take = (size_t)n;
		memcpy(t->first + t->first_len, buf, take);
		t->first_len += take;
	}
	return n;
}

static ssize_t push(gnutls_transport_ptr_t p, const void *buf, size_t len)
{
	struct probe_tls *t = p;
	ssize_t n = send(t->fd, buf, len, MSG_NOSIGNAL);

	if (n < 0)
		gnutls_transport_set_errno(t->session, errno);
	return n;
}

bool probe_tls_server_is_http(const struct probe_tls *t)
{
	return t->first_len == sizeof(t->first) && memcmp(t->first, "HTTP/", 5) == 0;
}

static bool is_address(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

int probe_tls_new(int fd, const char *server_name, struct probe_tls **out)
{
	struct probe_tls *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return GNUTLS_E_MEMORY_ERROR;
	r = gnutls_certificate_allocate_credentials(&t->credentials);
	if (r >= 0)
		r = gnutls_init(&t->session, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
	if (r >= 0)
		r = gnutls_set_default_priority(t->session);
	if (r >= 0)
		r = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, t->credentials);
	if (r >= 0 && server_name && *server_name && !is_address(server_name))
		r = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, server_name,
		                           strlen(server_name));
	if (r < 0) {
		probe_tls_free(t);
		return r;
	}
	t->fd = fd;
	gnutls_transport_set_ptr(t->session, t);
	gnutls_transport_set_pull_function(t->session, pull);
	gnutls_transport_set_push_function(t->session, push);
	gnutls_handshake_set_timeout(t->session, 0); /* the check's timer bounds it */
	*out = t;
	return 0;
}

static uint32_t direction(struct probe_tls *t)
{
	return gnutls_record_get_direction(t->session) ? EPOLLOUT : EPOLLIN;
}

int probe_tls_handshake(struct probe_tls *t, uint32_t *want)
{
	int r = gnutls_handshake(t->session);

	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
		*want = direction(t);
		return 0;
	}
	return r < 0 ? r : 1;
}

ssize_t probe_tls_send(struct probe_tls *t, const void *buf, size_t len, uint32_t *want)
{
	ssize_t r = gnutls_record_send(t->session, buf, len);

	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
		*want = direction(t);
		return PROBE_TLS_AGAIN;
	}
	return r;
}

ssize_t probe_tls_recv(struct probe_tls *t, void *buf, size_t len, uint32_t *want)
{
	ssize_t r = gnutls_record_recv(t->session, buf, len);

	if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED) {
		*want = direction(t);
		return PROBE_TLS_AGAIN;
	}
	/* a server that closes without close_notify has still said all it had to */
	if (r == GNUTLS_E_PREMATURE_TERMINATION)
		return 0;
	return r;
}

const char *probe_tls_strerror(int r)
{
	return gnutls_strerror(r);
}
