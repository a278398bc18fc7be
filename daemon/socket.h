/* daemon/socket.h: the API's listening unix socket, passed by systemd or bound here. */
#pragma once

#include <stdbool.h>

#include "util/util.h"

/* Returns a listening AF_UNIX stream socket (non-blocking, close-on-exec):
 *  - the one systemd passed (LISTEN_FDS=1, a unix stream socket): *activated = true;
 *  - else binds path (mode 0660, or 0666 with open_to_all; group nanolet when it exists; parent
 *    created 0755). A path
 *    where a server answers -> -EADDRINUSE "another nanoletd is serving on PATH"; a stale socket
 *    (nobody listening) is replaced; any other file is refused (-EEXIST).
 * *created tells whether the caller must unlink path on exit. */
int socket_listen_unix(const char *path, bool open_to_all, bool *activated, bool *created,
                       struct nano_err *err);

struct config_listen;
/* A TCP socket bound to listen's address and port, listening (SO_REUSEADDR: a restart need not
 * wait for TIME_WAIT; an IPv6 address only IPv6). -errno with a message naming the address. */
int socket_listen_tcp(const struct config_listen *listen, struct nano_err *err);
