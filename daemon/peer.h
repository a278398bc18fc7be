/* daemon/peer.h: who is on the other end of a unix-socket connection, as the kernel says it
 * (SO_PEERCRED, SO_PEERGROUPS: the credentials at connect()), with the names a person reads:
 * the user's from the passwd database, the process's from /proc/<pid>/comm. Read once per
 * connection, when it is accepted. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PEER_MAX_GROUPS 64

struct peer_cred {
	bool known; /* false: not a unix socket, or the kernel would not say */
	uid_t uid;
	gid_t gid;
	pid_t pid;
	gid_t groups[PEER_MAX_GROUPS]; /* supplementary groups (the first PEER_MAX_GROUPS) */
	size_t n_groups;
	char user[64]; /* the user's name, or the uid as a number when it has none */
	char comm[17]; /* the process's name, "" when it is gone */
};

/* Fills *out for the connection fd; out->known false when SO_PEERCRED fails. */
void peer_cred_read(int fd, struct peer_cred *out);

/* Whether the peer holds gid as its primary or a supplementary group. */
bool peer_cred_in_group(const struct peer_cred *p, gid_t gid);
