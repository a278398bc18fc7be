/* daemon/dir_watch.h: one inotify instance for the daemon's directory watches (the log
 * follows), on the event loop. Every inotify instance counts against
 * fs.inotify.max_user_instances (128 by default, shared by every process of the user), so a
 * client opening follows must not open instances: all follows share this one, and the follows
 * of one directory share its inotify watch. */
#pragma once

#include <systemd/sd-event.h>

#include "util/util.h"

struct dir_watches;
struct dir_watch;

int dir_watches_new(sd_event *event, struct dir_watches **out, struct nano_err *err);
/* Every watch must be removed first. Accepts NULL; returns NULL. */
struct dir_watches *dir_watches_free(struct dir_watches *watches);

/* Calls fn(userdata) after something in dir was written, created or renamed into it
 * (IN_MODIFY | IN_CREATE | IN_MOVED_TO), or dir went away, until dir_watch_remove(). A watch
 * may be removed from inside any fn. -errno (ENOSPC: fs.inotify.max_user_watches). */
int dir_watch_add(struct dir_watches *watches, const char *dir, void (*fn)(void *userdata),
                  void *userdata, struct dir_watch **out);
/* Accepts NULL. */
void dir_watch_remove(struct dir_watch *watch);
/* Directories watched now (for tests and /metrics). */
size_t dir_watches_count(const struct dir_watches *watches);
