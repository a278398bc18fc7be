/* tests/unit/test_seccomp_cache.c: the shims' cache of compiled seccomp filters
 * (shim_seccomp_compile_cached). Whatever the cache holds, the filter must be the one
 * shim_seccomp_compile makes without it, byte for byte; a file that is not exactly what a shim
 * wrote, or that someone else could have written, is a miss (compiled again and replaced).
 * Compiling only: nothing here loads a filter.
 */
#include "check_main.h"
#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/shim.h"
#include "security/security.h"
#include "tmp_fixture.h"

TMP_FIXTURE("/tmp/nanolet-seccomp-cache-XXXXXX")

#define CAP(c) (UINT64_C(1) << (c))

static char *test_dir(const char *name)
{
	char *dir = strdupf("%s/%s", tmp_base, name);

	ck_assert_ptr_nonnull(dir);
	return dir;
}

static void assert_same(const struct shim_seccomp_filter *a, const struct shim_seccomp_filter *b)
{
	ck_assert_uint_eq(a->len, b->len);
	ck_assert_uint_eq(a->flags, b->flags);
	ck_assert_int_eq(memcmp(a->prog, b->prog, a->len * sizeof(*a->prog)), 0);
}

/* The one file in dir (the test makes one program): its path, and its inode in *ino. */
static char *only_file(const char *dir, ino_t *ino)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *path = NULL;
	struct stat st;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			n++;
			free(path);
			path = strdupf("%s/%s", dir, e->d_name);
		}
	closedir(d);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(stat(path, &st), 0);
	*ino = st.st_ino;
	return path;
}

static void compile(int fd, const struct security_seccomp_profile *p, uint64_t caps,
                    struct shim_seccomp_filter *out)
{
	struct nano_err err = {0};

	ck_assert_msg(shim_seccomp_compile_cached(fd, p, caps, out, &err) == 0, "%s", err.message);
}

/* A Localhost-like profile of the JSON reader's, with flags: the flags are not libseccomp's
 * program, and must still come out. */
static const char log_profile[] =
        "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],"
        " \"syscalls\": [{\"names\": [\"read\", \"write\", \"exit_group\"],"
        " \"action\": \"SCMP_ACT_ALLOW\"}, {\"names\": [\"personality\"], \"action\":"
        " \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"}]}]}";

static const struct {
	const char *name;
	bool runtime_default;
	uint64_t caps;
} cases[] = {
        {"runtime_default", true, 0},
        {"runtime_default_admin", true, CAP(CAP_SYS_ADMIN)},
        {"localhost_with_log_flag", false, 0},
};

static struct security_seccomp_profile *case_profile(int i)
{
	struct security_seccomp_profile *p = NULL;
	struct nano_err err = {0};

	if (cases[i].runtime_default)
		return (struct security_seccomp_profile *)security_seccomp_runtime_default();
	ck_assert_msg(security_seccomp_parse(log_profile, strlen(log_profile), &p, &err) == 0, "%s",
	              err.message);
	return p;
}

/* Without the cache, into it (a miss), from it (a hit): the same program each time. */
START_TEST(hit_is_the_compiled_filter)
{
	struct security_seccomp_profile *p = case_profile(_i);
	uint64_t caps = security_caps_runtime_default() | cases[_i].caps;
	_cleanup_free_ char *dir = test_dir(cases[_i].name), *path = NULL;
	struct shim_seccomp_filter plain = {0}, miss = {0}, hit = {0};
	ino_t first, second;
	int fd;

	compile(-1, p, caps, &plain);
	fd = shim_seccomp_cache_open(dir);
	ck_assert_int_ge(fd, 0);
	compile(fd, p, caps, &miss);
	free(only_file(dir, &first));
	compile(fd, p, caps, &hit);
	path = only_file(dir, &second);
	ck_assert_msg(first == second, "a hit rewrote %s", path);
	assert_same(&plain, &miss);
	assert_same(&plain, &hit);
	if (!cases[_i].runtime_default) {
		ck_assert_uint_eq(hit.flags, SECCOMP_FILTER_FLAG_LOG);
		security_seccomp_free(p);
	}
	shim_seccomp_filter_done(&plain);
	shim_seccomp_filter_done(&miss);
	shim_seccomp_filter_done(&hit);
	close(fd);
}
END_TEST

/* Other capabilities make another program, under another key. */
START_TEST(capabilities_are_in_the_key)
{
	_cleanup_free_ char *dir = test_dir("caps");
	uint64_t caps = security_caps_runtime_default();
	struct shim_seccomp_filter plain = {0}, admin = {0}, again = {0};
	int fd = shim_seccomp_cache_open(dir), n = 0;
	struct dirent *e;
	DIR *d;

	ck_assert_int_ge(fd, 0);
	compile(fd, security_seccomp_runtime_default(), caps, &plain);
	compile(fd, security_seccomp_runtime_default(), caps | CAP(CAP_SYS_ADMIN), &admin);
	ck_assert(plain.len != admin.len ||
	          memcmp(plain.prog, admin.prog, plain.len * sizeof(*plain.prog)) != 0);
	compile(fd, security_seccomp_runtime_default(), caps, &again);
	assert_same(&plain, &again);
	d = opendir(dir);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	ck_assert_int_eq(n, 2);
	shim_seccomp_filter_done(&plain);
	shim_seccomp_filter_done(&admin);
	shim_seccomp_filter_done(&again);
	close(fd);
}
END_TEST

/* A file that is not what a shim wrote: a miss, the filter compiled, the file replaced. */
enum damage { MODE_0666, TRUNCATED, KEY_BYTE, PROGRAM_BYTE, MAGIC, EMPTY, SYMLINK };

static const struct {
	const char *name;
	enum damage damage;
} damages[] = {
        {"others_may_write", MODE_0666},
        {"truncated", TRUNCATED},
        {"key_differs", KEY_BYTE},
        {"program_differs", PROGRAM_BYTE},
        {"bad_magic", MAGIC},
        {"empty", EMPTY},
        {"symlink", SYMLINK},
};

static void flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	uint8_t b;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &b, 1, off), 1);
	b ^= 0x5a;
	ck_assert_int_eq(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

/* Damages the file at path, in dir; returns the inode now at path. */
static ino_t damage(const char *dir, const char *path, enum damage d)
{
	struct stat st;

	ck_assert_int_eq(stat(path, &st), 0);
	switch (d) {
	case MODE_0666:
		ck_assert_int_eq(chmod(path, 0666), 0);
		break;
	case TRUNCATED:
		ck_assert_int_eq(truncate(path, st.st_size - 8), 0);
		break;
	case KEY_BYTE:
		flip_byte(path, 40); /* past the 24-byte header, in the key */
		break;
	case PROGRAM_BYTE:
		flip_byte(path, st.st_size - 3);
		break;
	case MAGIC:
		flip_byte(path, 0);
		break;
	case EMPTY:
		ck_assert_int_eq(truncate(path, 0), 0);
		break;
	case SYMLINK: {
		/* the same bytes, behind a symlink */
		_cleanup_free_ char *moved = strdupf("%s/.real", dir);

		ck_assert_int_eq(rename(path, moved), 0);
		ck_assert_int_eq(symlink(moved, path), 0);
		break;
	}
	}
	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_ino;
}

START_TEST(damaged_file_is_a_miss)
{
	_cleanup_free_ char *dir = test_dir(damages[_i].name), *path = NULL, *again = NULL;
	const struct security_seccomp_profile *p = security_seccomp_runtime_default();
	uint64_t caps = security_caps_runtime_default();
	struct shim_seccomp_filter plain = {0}, after = {0};
	int fd = shim_seccomp_cache_open(dir);
	ino_t first, second;
	struct stat st;

	ck_assert_int_ge(fd, 0);
	compile(fd, p, caps, &plain);
	path = only_file(dir, &first);
	first = damage(dir, path, damages[_i].damage);
	compile(fd, p, caps, &after);
	assert_same(&plain, &after);
	again = only_file(dir, &second);
	ck_assert_str_eq(again, path);
	ck_assert_msg(second != first, "the damaged file was kept");
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	shim_seccomp_filter_done(&plain);
	shim_seccomp_filter_done(&after);
	close(fd);
}
END_TEST

/* The directory: made 0700; refused when others may write it or it is a symlink. */
START_TEST(directory_checked)
{
	_cleanup_free_ char *dir = test_dir("made"), *open_dir = test_dir("open"),
	                    *link = test_dir("link");
	struct stat st;
	int fd = shim_seccomp_cache_open(dir);

	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0700);

	ck_assert_int_eq(mkdir(open_dir, 0700), 0);
	ck_assert_int_eq(chmod(open_dir, 0777), 0);
	ck_assert_int_eq(shim_seccomp_cache_open(open_dir), -EPERM);

	ck_assert_int_eq(symlink(dir, link), 0);
	ck_assert_int_lt(shim_seccomp_cache_open(link), 0);
}
END_TEST

static Suite *seccomp_cache_suite(void)
{
	Suite *s = suite_create("seccomp_cache");
	TCase *tc = tcase_create("cache");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_loop_test(tc, hit_is_the_compiled_filter, 0, (int)ELEMENTSOF(cases));
	tcase_add_test(tc, capabilities_are_in_the_key);
	tcase_add_loop_test(tc, damaged_file_is_a_miss, 0, (int)ELEMENTSOF(damages));
	tcase_add_test(tc, directory_checked);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(seccomp_cache_suite());
}
