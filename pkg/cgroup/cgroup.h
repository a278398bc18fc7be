/* pkg/cgroup: the host's cgroup layout and (next issue) the v2 and v1 drivers.
 * Every function takes its mount point as a parameter so tests point it at a temporary tree. */
#pragma once

#include <stdbool.h>

#include "util/util.h"

enum cgroup_mode {
	CGROUP_MODE_UNIFIED, /* cgroup2 at the mount point: pure v2 */
	CGROUP_MODE_HYBRID,  /* v1 controllers, cgroup2 at <mount>/unified */
	CGROUP_MODE_LEGACY,  /* v1 only */
};

struct cgroup_host {
	enum cgroup_mode mode;
	bool unified_mounted; /* a cgroup2 hierarchy exists (the root or <mount>/unified) */
};

/* statfs of mount ("/sys/fs/cgroup") and, for tmpfs, of mount/unified. */
int cgroup_detect(const char *mount, struct cgroup_host *out, struct nano_err *err);

const char *cgroup_mode_name(enum cgroup_mode mode); /* "unified", "hybrid", "legacy" */

/* The cgroup path of a process for one hierarchy, from a /proc/PID/cgroup file's text:
 * controller NULL for the unified (0::) entry, else a v1 controller name ("memory"). Returns a
 * malloc'd path or NULL with -ENOENT/-ENOMEM in *r. Pure: the caller reads the file. */
char *cgroup_path_from_proc(const char *proc_cgroup_text, const char *controller, int *r);
