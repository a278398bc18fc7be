/* daemon/peer.c: a connection's peer credentials. SO_PEERCRED and SO_PEERGROUPS (Linux 4.13)
 * are what the peer held when it connected, whatever it did since: what a socket's permission
 * check saw. The passwd lookup and the comm read are local files, done once per connection. */
#include "peer.h"

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/util.h"

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59
#endif

bool peer_cred_in_group(const struct peer_cred *p, gid_t gid)
{
	if (!p->known)
		return false;
	if (p->gid == gid)
		return true;
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i] == gid)
			return true;
	return false;
}

static void read_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	_cleanup_close_ int fd = -1;
	ssize_t n;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, buf, size - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

void peer_cred_read(int fd, struct peer_cred *out)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct passwd pw, *found = NULL;
	char buf[4096];

	*out = (struct peer_cred){0};
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    len != sizeof(cred))
		return;
	out->known = true;
	out->uid = cred.uid;
	out->gid = cred.gid;
	out->pid = cred.pid;
	len = sizeof(out->groups);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, out->groups, &len) == 0)
		out->n_groups = len / sizeof(gid_t);
	if (getpwuid_r(cred.uid, &pw, buf, sizeof(buf), &found) == 0 && found &&
	    strlen(found->pw_name) < sizeof(out->user))
		snprintf(out->user, sizeof(out->user), "%s", found->pw_name);
	else
		snprintf(out->user, sizeof(out->user), "%u", (unsigned)cred.uid);
	read_comm(cred.pid, out->comm, sizeof(out->comm));
}
