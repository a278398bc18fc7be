/* pkg/cgroup/detect.c: which cgroup layout the host has, and where a process sits in it.
 *
 * cgroup_detect looks at the filesystem types only (statfs), the way systemd's
 * cg_unified_cached() and runc tell the layouts apart: cgroup2 at the mount point is pure v2;
 * a tmpfs there holds v1 hierarchies, with cgroup2 at <mount>/unified on hybrid hosts.
 * cgroup_path_from_proc reads the text of /proc/PID/cgroup, which the caller has read.
 *
 * This file must not create, write or remove cgroups (the drivers do), and
 * cgroup_path_from_proc must stay pure so that it is tested on text alone.
 */
#include "cgroup.h"

#include <linux/magic.h>
#include <string.h>
#include <sys/vfs.h>

static const char *const mode_names[] = {
        [CGROUP_MODE_UNIFIED] = "unified",
        [CGROUP_MODE_HYBRID] = "hybrid",
        [CGROUP_MODE_LEGACY] = "legacy",
};

const char *cgroup_mode_name(enum cgroup_mode mode)
{
	if ((size_t)mode >= ELEMENTSOF(mode_names) || !mode_names[mode])
		return "unknown";
	return mode_names[mode];
}

static bool is_fs_type(const struct statfs *st, unsigned long magic)
{
	return (unsigned long)st->f_type == magic;
}

int cgroup_detect(const char *mount, struct cgroup_host *out, struct nano_err *err)
{
	_cleanup_free_ char *unified = NULL;
	struct statfs st;

	if (!mount || !out)
		return nano_err_set(err, EINVAL, "cgroup_detect: no mount point");

	if (statfs(mount, &st) < 0)
		return nano_err_set(err, errno, "statfs %s: %s", mount, strerror(errno));

	if (is_fs_type(&st, CGROUP2_SUPER_MAGIC)) {
		*out = (struct cgroup_host){.mode = CGROUP_MODE_UNIFIED, .unified_mounted = true};
		return 0;
	}

	/* v1 hierarchies are each mounted in a directory of a tmpfs: anything else at the mount
	 * point (a plain directory, a cgroup v1 hierarchy mounted directly) is not a layout we
	 * know how to drive. */
	if (!is_fs_type(&st, TMPFS_MAGIC))
		return nano_err_set(err, ENOTSUP,
		                    "%s is neither cgroup2 nor a tmpfs of cgroup v1 hierarchies "
		                    "(filesystem type 0x%lx)",
		                    mount, (unsigned long)st.f_type);

	unified = strdupf("%s/unified", mount);
	if (!unified)
		return nano_err_set(err, ENOMEM, "out of memory");

	/* Hybrid: systemd mounts cgroup2 at <mount>/unified, for process tracking, next to the v1
	 * controllers. Without it (missing, or a plain directory there), the host is legacy. */
	if (statfs(unified, &st) == 0 && is_fs_type(&st, CGROUP2_SUPER_MAGIC))
		*out = (struct cgroup_host){.mode = CGROUP_MODE_HYBRID, .unified_mounted = true};
	else
		*out = (struct cgroup_host){.mode = CGROUP_MODE_LEGACY, .unified_mounted = false};
	return 0;
}

/* Whether controller is one of the comma-separated names in [list, list + len). The unified
 * entry has an empty list, which only the empty name matches. */
static bool controller_in_list(const char *list, size_t len, const char *controller)
{
	size_t want = strlen(controller);
	const char *p = list, *end = list + len;

	if (len == 0)
		return want == 0;
	for (;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *stop = comma ? comma : end;

		if ((size_t)(stop - p) == want && memcmp(p, controller, want) == 0)
			return true;
		if (!comma)
			return false;
		p = comma + 1;
	}
}

char *cgroup_path_from_proc(const char *proc_cgroup_text, const char *controller, int *r)
{
	const char *line = proc_cgroup_text;
	int dummy;

	if (!r)
		r = &dummy;
	if (!proc_cgroup_text) {
		*r = -EINVAL;
		return NULL;
	}
	/* "hierarchy-ID:controller-list:cgroup-path" (cgroups(7)); v2's entry is "0::PATH". */
	if (!controller)
		controller = "";

	while (*line) {
		const char *eol = strchrnul(line, '\n');
		const char *c1 = memchr(line, ':', (size_t)(eol - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(eol - c1 - 1)) : NULL;

		/* The path is the rest of the line: it may itself contain ':'. */
		if (c2 && controller_in_list(c1 + 1, (size_t)(c2 - c1 - 1), controller)) {
			char *path = strndup(c2 + 1, (size_t)(eol - c2 - 1));

			*r = path ? 0 : -ENOMEM;
			return path;
		}
		line = *eol ? eol + 1 : eol;
	}
	*r = -ENOENT;
	return NULL;
}
