/* tests/unit/test_dir_watch.c: the daemon's one inotify instance for log follows
 * (daemon/dir_watch.c). Follows of one directory share its watch; a change reaches each of them
 * once per batch; a callback may remove its own watch or another's; the instance count of the
 * process does not grow with the follows (it once grew by one per follow). */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>

#include "check_main.h"
#include "dir_watch.h"

static char base[64];

static void base_setup(void)
{
	strcpy(base, "/tmp/nanolet-test-dirwatch-XXXXXX");
	if (!mkdtemp(base))
		abort();
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void base_teardown(void)
{
	nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *subdir(const char *name)
{
	char *dir = strdupf("%s/%s-XXXXXX", base, name); /* each test forks: its own */

	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static void touch(const char *dir, const char *name)
{
	_cleanup_free_ char *path = strdupf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x\n", 2), 2);
	close(fd);
}

/* Runs the loop until nothing is pending (inotify events are there once the write returned). */
static void settle(sd_event *e)
{
	for (int i = 0; i < 10; i++)
		if (sd_event_run(e, 10000) <= 0)
			return;
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

/* anon_inode:inotify entries in /proc/self/fd */
static int inotify_instances(void)
{
	_cleanup_(closedirp) DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		char link[300], target[64] = "";

		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		if (readlink(link, target, sizeof(target) - 1) > 0 && strstr(target, "inotify"))
			n++;
	}
	return n;
}

struct follower {
	int calls;
	struct dir_watch *watch;
	struct dir_watch *remove_other; /* removed from inside the callback */
	bool remove_self;
};

static void on_change(void *userdata)
{
	struct follower *f = userdata;

	f->calls++;
	if (f->remove_other) {
		dir_watch_remove(f->remove_other);
		f->remove_other = NULL;
	}
	if (f->remove_self) {
		dir_watch_remove(f->watch);
		f->watch = NULL;
		f->remove_self = false;
	}
}

START_TEST(test_shared_instance)
{
	_cleanup_free_ char *a = subdir("a"), *b = subdir("b");
	struct dir_watches *dw = NULL;
	struct follower f[50] = {0};
	sd_event *e = NULL;
	int before;

	ck_assert_int_ge(sd_event_new(&e), 0);
	before = inotify_instances();
	ck_assert_int_eq(dir_watches_new(e, &dw, NULL), 0);
	for (size_t i = 0; i < ELEMENTSOF(f); i++)
		ck_assert_int_eq(dir_watch_add(dw, i % 2 ? b : a, on_change, &f[i], &f[i].watch),
		                 0);
	/* fifty follows, one instance, one watch per directory */
	ck_assert_int_eq(inotify_instances(), before + 1);
	ck_assert_uint_eq(dir_watches_count(dw), 2);

	touch(a, "0.log");
	touch(a, "0.log");
	settle(e);
	for (size_t i = 0; i < ELEMENTSOF(f); i++)
		ck_assert_int_eq(f[i].calls, i % 2 ? 0 : 1); /* a batch: once each */

	for (size_t i = 0; i < ELEMENTSOF(f); i++)
		dir_watch_remove(f[i].watch);
	ck_assert_uint_eq(dir_watches_count(dw), 0);
	dir_watches_free(dw);
	ck_assert_int_eq(inotify_instances(), before);
	sd_event_unref(e);
}
END_TEST

START_TEST(test_remove_inside_callbacks)
{
	_cleanup_free_ char *a = subdir("a");
	struct dir_watches *dw = NULL;
	struct follower f[3] = {0};
	sd_event *e = NULL;

	ck_assert_int_ge(sd_event_new(&e), 0);
	ck_assert_int_eq(dir_watches_new(e, &dw, NULL), 0);
	for (size_t i = 0; i < ELEMENTSOF(f); i++)
		ck_assert_int_eq(dir_watch_add(dw, a, on_change, &f[i], &f[i].watch), 0);
	/* added last, called first: it removes itself and the one added first */
	f[2].remove_self = true;
	f[2].remove_other = f[0].watch;
	f[0].watch = NULL;
	touch(a, "0.log");
	settle(e);
	ck_assert_int_eq(f[2].calls, 1);
	ck_assert_int_eq(f[1].calls, 1);
	ck_assert_int_eq(f[0].calls, 0);
	touch(a, "0.log");
	settle(e);
	ck_assert_int_eq(f[2].calls, 1);
	ck_assert_int_eq(f[1].calls, 2);
	dir_watch_remove(f[1].watch);
	ck_assert_uint_eq(dir_watches_count(dw), 0);
	dir_watches_free(dw);
	sd_event_unref(e);
}
END_TEST

START_TEST(test_directory_removed)
{
	_cleanup_free_ char *a = subdir("a");
	struct dir_watches *dw = NULL;
	struct follower f = {0}, g = {0};
	sd_event *e = NULL;

	ck_assert_int_ge(sd_event_new(&e), 0);
	ck_assert_int_eq(dir_watches_new(e, &dw, NULL), 0);
	ck_assert_int_eq(dir_watch_add(dw, a, on_change, &f, &f.watch), 0);
	ck_assert_int_eq(rmdir(a), 0);
	settle(e);
	ck_assert_int_ge(f.calls, 1); /* told: it reads, finds nothing more, and goes on */
	/* the same name again is a new directory with a watch of its own */
	ck_assert_int_eq(mkdir(a, 0755), 0);
	ck_assert_int_eq(dir_watch_add(dw, a, on_change, &g, &g.watch), 0);
	touch(a, "0.log");
	settle(e);
	ck_assert_int_eq(g.calls, 1);
	dir_watch_remove(f.watch);
	dir_watch_remove(g.watch);
	ck_assert_uint_eq(dir_watches_count(dw), 0);
	ck_assert_int_eq(dir_watch_add(dw, "/nonexistent-nanolet-dir", on_change, &g, &g.watch),
	                 -ENOENT);
	dir_watches_free(dw);
	sd_event_unref(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dir_watch");
	TCase *tc = tcase_create("dir_watch");

	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_add_test(tc, test_shared_instance);
	tcase_add_test(tc, test_remove_inside_callbacks);
	tcase_add_test(tc, test_directory_removed);
	suite_add_tcase(s, tc);
	return check_run(s);
}
