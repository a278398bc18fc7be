/* daemon/socket.c: the API socket. Either systemd passes it (socket activation: the unit's
 * SocketMode/SocketGroup apply and we never unlink it), or we bind it ourselves: mode 0660, group
 * nanolet when that group exists; 0666 when a read-only group is configured (its members must
 * be able to connect; peer credentials decide what anyone may do, access.c). A socket file left by
 * a daemon that died is replaced; one that a live daemon answers on is not — two daemons on one
 * socket would split the API. */
#include "socket.h"

#include "config.h"

#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <systemd/sd-daemon.h>

static int parent_dir(const char *path, char **out)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return -EINVAL;
	*out = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	return *out ? 0 : -ENOMEM;
}

static int fill_addr(const char *path, struct sockaddr_un *addr)
{
	*addr = (struct sockaddr_un){.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	strcpy(addr->sun_path, path);
	return 0;
}

/* 1 when a server accepts connections on path, 0 when the socket is stale, -errno else. */
static int socket_is_live(const char *path)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_un addr;
	int r = fill_addr(path, &addr);

	if (r < 0)
		return r;
	/* Non-blocking: a live server with a full backlog answers EAGAIN rather than hanging us. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
		return 1;
	if (errno == EAGAIN || errno == EINPROGRESS)
		return 1;
	if (errno == ECONNREFUSED)
		return 0;
	return -errno;
}

static int socket_from_systemd(int *out, struct nano_err *err)
{
	int n = sd_listen_fds(1);

	if (n < 0)
		return nano_err_set(err, -n, "LISTEN_FDS: %s", strerror(-n));
	if (n == 0)
		return 0;
	if (n > 1)
		return nano_err_set(err, EINVAL, "systemd passed %d sockets, expected one", n);
	if (sd_is_socket_unix(SD_LISTEN_FDS_START, SOCK_STREAM, 1, NULL, 0) <= 0)
		return nano_err_set(
		        err, EINVAL,
		        "the socket systemd passed is not a listening unix stream socket");
	if (fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(SD_LISTEN_FDS_START, F_SETFL, fcntl(SD_LISTEN_FDS_START, F_GETFL) | O_NONBLOCK) <
	            0)
		return nano_err_set(err, errno, "passed socket: %s", strerror(errno));
	*out = SD_LISTEN_FDS_START;
	return 1;
}

static int clear_path(const char *path, struct nano_err *err)
{
	struct stat st;
	int r;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return nano_err_set(err, errno, "%s: %s", path, strerror(errno));
	}
	if (!S_ISSOCK(st.st_mode))
		return nano_err_set(err, EEXIST,
		                    "%s exists and is not a socket: refusing to replace it", path);
	r = socket_is_live(path);
	if (r > 0)
		return nano_err_set(err, EADDRINUSE, "another nanoletd is serving on %s", path);
	if (r < 0)
		return nano_err_set(err, -r, "probe %s: %s", path, strerror(-r));
	log_info("removing stale socket %s", path);
	if (unlink(path) < 0 && errno != ENOENT)
		return nano_err_set(err, errno, "remove stale socket %s: %s", path,
		                    strerror(errno));
	return 0;
}

int socket_listen_unix(const char *path, bool open_to_all, bool *activated, bool *created,
                       struct nano_err *err)
{
	_cleanup_free_ char *parent = NULL;
	_cleanup_close_ int fd = -1;
	struct sockaddr_un addr;
	struct group *group;
	mode_t old_umask;
	int r;

	*activated = *created = false;
	r = socket_from_systemd(&fd, err);
	if (r < 0)
		return r;
	if (r > 0) {
		*activated = true;
		return TAKE_FD(fd);
	}

	r = fill_addr(path, &addr);
	if (r < 0)
		return nano_err_set(err, -r, "socket path %s is too long", path);
	r = parent_dir(path, &parent);
	if (r < 0)
		return nano_err_set(err, -r, "socket path %s: no parent directory", path);
	r = mkdir_p(parent, 0755);
	if (r < 0)
		return nano_err_set(err, -r, "create %s: %s", parent, strerror(-r));
	r = clear_path(path, err);
	if (r < 0)
		return r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return nano_err_set(err, errno, "socket: %s", strerror(errno));
	/* bind() creates the file with 0777 & ~umask; fchmod on an AF_UNIX socket fd does not
	 * reach the file, so the umask is what sets 0660 from the first moment. */
	old_umask = umask(open_to_all ? 0111 : 0117);
	r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_umask);
	if (r < 0)
		return nano_err_set(err, errno, "bind %s: %s", path, strerror(errno));
	*created = true;

	group = getgrnam("nanolet");
	if (group && chown(path, (uid_t)-1, group->gr_gid) < 0)
		log_warn("chown %s to group nanolet: %s", path, strerror(errno));
	if (listen(fd, SOMAXCONN) < 0) {
		r = -errno;
		unlink(path);
		*created = false;
		return nano_err_set(err, -r, "listen %s: %s", path, strerror(-r));
	}
	return TAKE_FD(fd);
}

int socket_listen_tcp(const struct config_listen *where, struct nano_err *err)
{
	_cleanup_close_ int fd = -1;
	struct sockaddr_storage addr = {0};
	socklen_t len;
	int one = 1;

	if (where->family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&addr;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(where->port);
		if (inet_pton(AF_INET6, where->host, &in6->sin6_addr) != 1)
			return nano_err_set(err, EINVAL, "listen: %s is no IPv6 address",
			                    where->host);
		len = sizeof(*in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&addr;

		in->sin_family = AF_INET;
		in->sin_port = htons(where->port);
		if (inet_pton(AF_INET, where->host, &in->sin_addr) != 1)
			return nano_err_set(err, EINVAL, "listen: %s is no IPv4 address",
			                    where->host);
		len = sizeof(*in);
	}
	fd = socket(where->family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return nano_err_set(err, errno, "listen: socket: %m");
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (where->family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&addr, len) < 0)
		return nano_err_set(err, errno, "listen: bind %s%s%s:%u: %m",
		                    where->family == AF_INET6 ? "[" : "", where->host,
		                    where->family == AF_INET6 ? "]" : "", (unsigned)where->port);
	if (listen(fd, SOMAXCONN) < 0)
		return nano_err_set(err, errno, "listen: listen: %m");
	return TAKE_FD(fd);
}
