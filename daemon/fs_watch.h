/* daemon/fs_watch.h: the daemon's one inotify instance, on the event loop. Every instance counts
 * against fs.inotify.max_user_instances (128 by default, shared by every process of the user),
 * so nothing in the daemon opens its own: the log follows, each pod's exits/ directory and, on
 * cgroup v2, its cgroups' memory.events and pids.events all watch through this one, and the
 * watches of one file or directory share its inotify watch. A thousand pods take one instance
 * and a few thousand watches (fs.inotify.max_user_watches). */
#pragma once

#include <stdint.h>
#include <sys/inotify.h>
#include <systemd/sd-event.h>

#include "util/util.h"

struct fs_watches;
struct fs_watch;

int fs_watches_new(sd_event *event, struct fs_watches **out, struct nano_err *err);
/* Every watch must be removed first. Accepts NULL; returns NULL. */
struct fs_watches *fs_watches_free(struct fs_watches *watches);

/* The events a log follow wants of its directory. */
#define FS_WATCH_DIR_CHANGES (IN_MODIFY | IN_CREATE | IN_MOVED_TO)

/* Calls fn(userdata) after one of the inotify events in mask happened to path, after path went
 * away (its watch is then over: fn is not called again), and after the kernel's queue
 * overflowed (events were lost: everyone looks again), until fs_watch_remove(). Events are read
 * in batches: fn runs once per batch however many came. A watch may be added or removed from
 * inside any fn. -errno (ENOSPC: fs.inotify.max_user_watches). */
int fs_watch_add(struct fs_watches *watches, const char *path, uint32_t mask,
                 void (*fn)(void *userdata), void *userdata, struct fs_watch **out);
/* Accepts NULL. */
void fs_watch_remove(struct fs_watch *watch);
/* Files and directories watched now (for tests and /metrics). */
size_t fs_watches_count(const struct fs_watches *watches);
