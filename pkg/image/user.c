/* pkg/image/user.c: the uid and gid a container of an image runs as (image_store_user), as
 * runc resolves a USER: numbers as they are, names through the image's own /etc/passwd and
 * /etc/group, read from the topmost layer that has them (overlayfs's view without mounting
 * it: a whiteout or an opaque /etc above hides the files below). */
#include "store_private.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#define ETC_FILE_MAX (4 * 1024 * 1024)

/* Whether s is a decimal uint32. */
static bool parse_id(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!s[0] || s[0] == '-' || s[0] == '+' || s[0] == ' ')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*out = (uint32_t)v;
	return true;
}

/* The content of etc/<name> as the image's merged root shows it: *out NULL when no layer has
 * it (or one above hides it). */
static int etc_file(const struct image_store *s, const struct image_record *r, const char *name,
                    char **out)
{
	size_t n = strv_len(r->config.diff_ids);

	*out = NULL;
	for (size_t i = n; i-- > 0;) {
		_cleanup_free_ char *root = image_store_layer_path(s, r->config.diff_ids[i]);
		_cleanup_close_ int root_fd = -1, etc_fd = -1, fd = -1;
		char opaque[2] = {0};
		struct stat st;

		if (!root)
			return -ENOMEM;
		root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (root_fd < 0)
			return -errno;
		etc_fd = openat(root_fd, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (etc_fd < 0) {
			/* a whiteout of etc itself hides every lower etc */
			if (fstatat(root_fd, "etc", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			    S_ISCHR(st.st_mode) && st.st_rdev == 0)
				return 0;
			continue;
		}
		if (fstatat(etc_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
			if (S_ISCHR(st.st_mode) && st.st_rdev == 0)
				return 0; /* whited out */
			if (!S_ISREG(st.st_mode))
				return 0;
			fd = openat(etc_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			if (fd < 0)
				return -errno;
			return util_read_fd(fd, ETC_FILE_MAX, out, NULL);
		}
		if (fgetxattr(etc_fd, "trusted.overlay.opaque", opaque, 1) == 1 && opaque[0] == 'y')
			return 0;
	}
	return 0;
}

/* The next line of a passwd or group file that is not a comment, split at its colons into
 * fields[0..3] (in *line, a malloc'd copy the caller frees; strsep keeps empty fields: "x::0:"
 * has one): the number of fields. *line NULL: at the end (*text NULL), or out of memory. */
static size_t etc_next(const char **text, char **line, char *fields[4])
{
	while (*text && **text) {
		const char *end = strchrnul(*text, '\n');
		char *p;
		size_t k = 0;

		*line = p = strndup(*text, (size_t)(end - *text));
		if (!p)
			return 0;
		*text = end + (*end == '\n');
		if (p[0] != '#') {
			while (k < 4 && (fields[k] = strsep(&p, ":")))
				k++;
			return k;
		}
		free(TAKE_PTR(*line));
	}
	*text = NULL;
	*line = NULL;
	return 0;
}

/* The line of a passwd or group file whose first field is name (or whose third is id when
 * name is NULL): its third and fourth fields, and (found, malloc'd) its first. */
static bool etc_lookup(const char *text, const char *name, uint32_t id, uint32_t *f3, uint32_t *f4,
                       bool *has_f4, char **found)
{
	for (;;) {
		_cleanup_free_ char *line = NULL;
		char *fields[4] = {0};
		size_t k = etc_next(&text, &line, fields);
		uint32_t v3, v4;

		if (!line)
			return false;
		if (k < 3 || !parse_id(fields[2], &v3))
			continue;
		if (name ? strcmp(fields[0], name) != 0 : v3 != id)
			continue;
		*f3 = v3;
		*has_f4 = k >= 4 && parse_id(fields[3], &v4);
		if (*has_f4)
			*f4 = v4;
		if (found)
			*found = strdup(fields[0]);
		return true;
	}
}

/* Whether name is one of the comma-separated members. */
static bool member_of(const char *members, const char *name)
{
	size_t len = strlen(name);

	for (const char *m = members; m && *m;) {
		size_t n = strcspn(m, ",");

		if (n == len && strncmp(m, name, len) == 0)
			return true;
		m += n;
		m += *m == ',';
	}
	return false;
}

int image_store_user_groups(const struct image_store *s, const struct image_record *r,
                            const char *user, uint32_t **gids, size_t *n, struct nano_err *err)
{
	_cleanup_free_ char *passwd = NULL, *group = NULL, *named = NULL;
	_cleanup_free_ uint32_t *out = NULL;
	const char *name = user;
	size_t count = 0;
	uint32_t uid, ignored;
	bool unused;
	int q;

	*gids = NULL;
	*n = 0;
	if (!user || !user[0])
		return 0;
	if (parse_id(user, &uid)) {
		q = etc_file(s, r, "passwd", &passwd);
		if (q < 0)
			return nano_err_set(err, -q, "image %s: /etc/passwd: %s", r->id,
			                    strerror(-q));
		if (!passwd || !etc_lookup(passwd, NULL, uid, &ignored, &ignored, &unused, &named))
			return 0;
		if (!named)
			return nano_err_set(err, ENOMEM, "out of memory");
		name = named;
	}
	q = etc_file(s, r, "group", &group);
	if (q < 0)
		return nano_err_set(err, -q, "image %s: /etc/group: %s", r->id, strerror(-q));
	for (const char *text = group;;) {
		_cleanup_free_ char *line = NULL;
		char *fields[4] = {0};
		size_t k = etc_next(&text, &line, fields);
		uint32_t gid, *grown;
		bool seen = false;

		if (!line && text)
			return nano_err_set(err, ENOMEM, "out of memory");
		if (!line)
			break;
		if (k < 4 || !parse_id(fields[2], &gid) || strcmp(fields[0], name) == 0 ||
		    !member_of(fields[3], name))
			continue;
		for (size_t i = 0; i < count; i++)
			seen = seen || out[i] == gid;
		if (seen)
			continue;
		grown = realloc(out, (count + 1) * sizeof(*out));
		if (!grown)
			return nano_err_set(err, ENOMEM, "out of memory");
		out = grown;
		out[count++] = gid;
	}
	*gids = TAKE_PTR(out);
	*n = count;
	return 0;
}

int image_store_user(const struct image_store *s, const struct image_record *r, const char *user,
                     uint32_t *uid, uint32_t *gid, bool *has_gid, struct nano_err *err)
{
	_cleanup_free_ char *u = NULL, *passwd = NULL, *group = NULL;
	char *g;
	uint32_t pw_gid = 0, ignored;
	bool pw_has_gid = false, unused;
	int q;

	*uid = 0;
	*gid = 0;
	*has_gid = false;
	if (!user || !user[0])
		return 0;
	u = strdup(user);
	if (!u)
		return -ENOMEM;
	g = strchr(u, ':');
	if (g)
		*g++ = '\0';
	if (!u[0])
		return nano_err_set(err, EINVAL, "invalid user \"%s\"", user);

	q = etc_file(s, r, "passwd", &passwd);
	if (q < 0)
		return nano_err_set(err, -q, "image %s: /etc/passwd: %s", r->id, strerror(-q));
	if (parse_id(u, uid)) {
		/* a number needs no passwd, but takes its primary group from it when listed */
		if (passwd)
			etc_lookup(passwd, NULL, *uid, &ignored, &pw_gid, &pw_has_gid, NULL);
	} else if (!passwd || !etc_lookup(passwd, u, 0, uid, &pw_gid, &pw_has_gid, NULL)) {
		return nano_err_setc(err, NANO_NOT_FOUND, ENOENT,
		                     "unable to find user %s: no matching entries in passwd file",
		                     u);
	}
	if (!g || !g[0]) {
		*gid = pw_gid;
		*has_gid = pw_has_gid;
		return 0;
	}
	if (parse_id(g, gid)) {
		*has_gid = true;
		return 0;
	}
	q = etc_file(s, r, "group", &group);
	if (q < 0)
		return nano_err_set(err, -q, "image %s: /etc/group: %s", r->id, strerror(-q));
	if (!group || !etc_lookup(group, g, 0, gid, &ignored, &unused, NULL))
		return nano_err_setc(err, NANO_NOT_FOUND, ENOENT,
		                     "unable to find group %s: no matching entries in group file",
		                     g);
	*has_gid = true;
	return 0;
}
