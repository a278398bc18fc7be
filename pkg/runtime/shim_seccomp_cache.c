/* pkg/runtime/shim_seccomp_cache.c: the shims' cache of compiled seccomp filters, one file per
 * program, shared by every pod of the daemon (<run dir>/seccomp/, shim.json's seccompCacheDir).
 *
 * libseccomp takes tens of milliseconds to compile containerd's profile, the same for every
 * container with the same capabilities on the same machine: the first shim compiles it and
 * stores libseccomp's program, the next ones read it (shim_seccomp.c says what the key is: every
 * call the compile makes to libseccomp, so that a program is only ever taken for the exact
 * calls that made it). A file holds a header (with a checksum of the program), the whole key and
 * the program; it is named after a hash of the key, and the key is compared byte for byte, so
 * that a collision is a miss.
 *
 * The cache must never give a container a weaker filter: the directory and its files must be
 * the shim's user's (root's) and writable by nobody else, are written whole (a temporary file,
 * then rename) and read back only when every size agrees; anything else is a miss, and the
 * program is compiled again. It runs in P0, in the host's user namespace (a shim in a pod's
 * user namespace would see root's files as the overflow uid, as anyone's).
 */
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <malloc.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "security/security.h"
#include "shim.h"

#define CACHE_MAGIC "NLSECC01"

struct cache_header {
	char magic[8];
	uint32_t key_len;
	uint32_t n;   /* instructions */
	uint64_t sum; /* fnv1a() of the program */
};

/* FNV-1a, 64 bits: not against an adversary (only root writes the directory), against a
 * file that is not what was written. */
static uint64_t fnv1a(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = UINT64_C(14695981039346656037);

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211);
	return h;
}

/* <fnv1a of the key>.bpf */
static void file_name(const void *key, size_t len, char name[static 32])
{
	snprintf(name, 32, "%016llx.bpf", (unsigned long long)fnv1a(key, len));
}

/* Only the shim's user may have written it. */
static int check_owner(const struct stat *st)
{
	return st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH)) ? 0 : -EPERM;
}

int shim_seccomp_cache_open(const char *dir)
{
	struct stat st;
	int fd, r;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = fstat(fd, &st) < 0 ? -errno : check_owner(&st);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

static int read_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EBADMSG;
}

int shim_seccomp_cache_get(int dir_fd, const void *key, size_t key_len, struct sock_filter **prog,
                           size_t *n)
{
	_cleanup_free_ uint8_t *stored = NULL;
	_cleanup_free_ struct sock_filter *p = NULL;
	_cleanup_close_ int fd = -1;
	struct cache_header h;
	struct stat st;
	char name[32];
	int r;

	file_name(key, key_len, name);
	fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || check_owner(&st) < 0)
		return -EPERM;
	r = read_at(fd, &h, sizeof(h), 0);
	if (r < 0)
		return r;
	if (memcmp(h.magic, CACHE_MAGIC, sizeof(h.magic)) != 0 || h.key_len != key_len ||
	    h.n == 0 || h.n > BPF_MAXINSNS ||
	    (uint64_t)st.st_size != sizeof(h) + (uint64_t)key_len + (uint64_t)h.n * sizeof(*p))
		return -EBADMSG;
	stored = malloc(key_len);
	p = calloc(h.n, sizeof(*p));
	if (!stored || !p)
		return -ENOMEM;
	r = read_at(fd, stored, key_len, sizeof(h));
	if (r < 0)
		return r;
	if (memcmp(stored, key, key_len) != 0)
		return -ENOENT; /* another key with the same hash */
	r = read_at(fd, p, h.n * sizeof(*p), (off_t)(sizeof(h) + key_len));
	if (r < 0)
		return r;
	if (fnv1a(p, h.n * sizeof(*p)) != h.sum)
		return -EBADMSG;
	*prog = TAKE_PTR(p);
	*n = h.n;
	return 0;
}

int shim_seccomp_cache_put(int dir_fd, const void *key, size_t key_len,
                           const struct sock_filter *prog, size_t n)
{
	struct cache_header h = {.key_len = (uint32_t)key_len,
	                         .n = (uint32_t)n,
	                         .sum = fnv1a(prog, n * sizeof(*prog))};
	struct iovec iov[] = {
	        {.iov_base = &h, .iov_len = sizeof(h)},
	        {.iov_base = (void *)key, .iov_len = key_len},
	        {.iov_base = (void *)prog, .iov_len = n * sizeof(*prog)},
	};
	size_t total = sizeof(h) + key_len + n * sizeof(*prog);
	char name[32], tmp[64];
	ssize_t written;
	int fd, r = 0;

	if (n == 0 || n > BPF_MAXINSNS || key_len > UINT32_MAX)
		return -EINVAL;
	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	file_name(key, key_len, name);
	snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid());
	fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	written = writev(fd, iov, (int)ELEMENTSOF(iov));
	if (written != (ssize_t)total)
		r = written < 0 ? -errno : -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	/* another shim may have put the same program there meanwhile: either is whole */
	if (r == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dir_fd, tmp, 0);
	return r;
}

void shim_seccomp_prepare(struct shim_config *config)
{
	_cleanup_close_ int fd = -1;
	bool any = false;

	for (size_t i = 0; i < config->n_containers; i++) {
		struct shim_container *c = &config->containers[i];
		struct nano_err err = {0};

		if (!c->runtime_default || c->runtime_default->prog)
			continue;
		if (!any && config->seccomp_cache_dir) {
			fd = shim_seccomp_cache_open(config->seccomp_cache_dir);
			if (fd < 0)
				fprintf(stderr, "nanolet-shim: seccomp cache %s: %s\n",
				        config->seccomp_cache_dir, strerror(-fd));
		}
		any = true;
		if (shim_seccomp_compile_cached(fd, security_seccomp_runtime_default(),
		                                c->security.capabilities.bounding,
		                                c->runtime_default, &err) < 0)
			fprintf(stderr, "nanolet-shim: the RuntimeDefault filter of %s: %s\n",
			        c->name, err.message ? err.message : strerror(err.errnum));
		nano_err_clear(&err);
	}
	/* what a compile used is freed, but P1 lives for the pod's life: give the heap back */
	if (any)
		malloc_trim(0);
}
