/* tests/integration/helpers/notify_listen.c: a stand-in for systemd's NOTIFY_SOCKET.
 *
 * Usage: notify_listen SOCKETPATH OUTFILE
 * Binds an AF_UNIX datagram socket at SOCKETPATH and appends every datagram it receives to
 * OUTFILE, followed by a line "--" (a datagram may hold several lines: "READY=1\nSTATUS=..").
 * Exits 0 on SIGTERM or SIGINT, removing SOCKETPATH. Test-only: it trusts every sender.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART: recv() returns EINTR */
	char buf[4096];
	int fd, out;

	if (argc != 3) {
		fprintf(stderr, "usage: %s SOCKETPATH OUTFILE\n", argv[0]);
		return 2;
	}
	if (strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "%s: socket path too long\n", argv[0]);
		return 2;
	}
	strcpy(addr.sun_path, argv[1]);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	out = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (out < 0) {
		perror(argv[2]);
		return 1;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		perror(argv[1]);
		return 1;
	}
	while (!stop) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("recv");
			break;
		}
		if (write(out, buf, (size_t)n) != n || write(out, "\n--\n", 4) != 4) {
			perror("write");
			break;
		}
	}
	unlink(argv[1]);
	close(fd);
	close(out);
	return stop ? 0 : 1;
}
