/* tests/unit/test_fs_watch.c: the daemon's one inotify instance (daemon/fs_watch.c). Follows of
 * one directory share its watch; a change reaches each of them once per batch, and only the
 * watches that asked for that kind of event; a callback may remove its own watch or another's;
 * the instance count of the process does not grow with the watches (it once grew by one per
 * follow, and by two per pod); a thousand files are a thousand watches; when the kernel's queue
 * overflows everyone is told. */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "check_main.h"
#include "fs_watch.h"
#include "tmp_fixture.h"

TMP_FIXTURE("/tmp/nanolet-test-fswatch-XXXXXX")

static char *subdir(const char *name)
{
	char *dir = strdupf("%s/%s-XXXXXX", tmp_base, name); /* each test forks: its own */

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
	struct fs_watch *watch;
	struct fs_watch *remove_other; /* removed from inside the callback */
	bool remove_self;
};

static void on_change(void *userdata)
{
	struct follower *f = userdata;

	f->calls++;
	if (f->remove_other) {
		fs_watch_remove(f->remove_other);
		f->remove_other = NULL;
	}
	if (f->remove_self) {
		fs_watch_remove(f->watch);
		f->watch = NULL;
		f->remove_self = false;
	}
}

START_TEST(test_shared_instance)
{
	_cleanup_free_ char *a = subdir("a"), *b = subdir("b");
	struct fs_watches *dw = NULL;
	struct follower f[50] = {0};
	sd_event *e = NULL;
	int before;

	ck_assert_int_ge(sd_event_new(&e), 0);
	before = inotify_instances();
	ck_assert_int_eq(fs_watches_new(e, &dw, NULL), 0);
	for (size_t i = 0; i < ELEMENTSOF(f); i++)
		ck_assert_int_eq(fs_watch_add(dw, i % 2 ? b : a, FS_WATCH_DIR_CHANGES, on_change,
		                              &f[i], &f[i].watch),
		                 0);
	/* fifty follows, one instance, one watch per directory */
	ck_assert_int_eq(inotify_instances(), before + 1);
	ck_assert_uint_eq(fs_watches_count(dw), 2);

	touch(a, "0.log");
	touch(a, "0.log");
	settle(e);
	for (size_t i = 0; i < ELEMENTSOF(f); i++)
		ck_assert_int_eq(f[i].calls, i % 2 ? 0 : 1); /* a batch: once each */

	for (size_t i = 0; i < ELEMENTSOF(f); i++)
		fs_watch_remove(f[i].watch);
	ck_assert_uint_eq(fs_watches_count(dw), 0);
	fs_watches_free(dw);
	ck_assert_int_eq(inotify_instances(), before);
	sd_event_unref(e);
}
END_TEST

START_TEST(test_remove_inside_callbacks)
{
	_cleanup_free_ char *a = subdir("a");
	struct fs_watches *dw = NULL;
	struct follower f[3] = {0};
	sd_event *e = NULL;

	ck_assert_int_ge(sd_event_new(&e), 0);
	ck_assert_int_eq(fs_watches_new(e, &dw, NULL), 0);
	for (size_t i = 0; i < ELEMENTSOF(f); i++)
		ck_assert_int_eq(
		        fs_watch_add(dw, a, FS_WATCH_DIR_CHANGES, on_change, &f[i], &f[i].watch),
		        0);
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
	fs_watch_remove(f[1].watch);
	ck_assert_uint_eq(fs_watches_count(dw), 0);
	fs_watches_free(dw);
	sd_event_unref(e);
}
END_TEST

START_TEST(test_directory_removed)
{
	_cleanup_free_ char *a = subdir("a");
	struct fs_watches *dw = NULL;
	struct follower f = {0}, g = {0};
	sd_event *e = NULL;

	ck_assert_int_ge(sd_event_new(&e), 0);
	ck_assert_int_eq(fs_watches_new(e, &dw, NULL), 0);
	ck_assert_int_eq(fs_watch_add(dw, a, FS_WATCH_DIR_CHANGES, on_change, &f, &f.watch), 0);
	ck_assert_int_eq(rmdir(a), 0);
	settle(e);
	ck_assert_int_ge(f.calls, 1); /* told: it reads, finds nothing more, and goes on */
	/* the same name again is a new directory with a watch of its own */
	ck_assert_int_eq(mkdir(a, 0755), 0);
	ck_assert_int_eq(fs_watch_add(dw, a, FS_WATCH_DIR_CHANGES, on_change, &g, &g.watch), 0);
	touch(a, "0.log");
	settle(e);
	ck_assert_int_eq(g.calls, 1);
	fs_watch_remove(f.watch);
	fs_watch_remove(g.watch);
	ck_assert_uint_eq(fs_watches_count(dw), 0);
	ck_assert_int_eq(fs_watch_add(dw, "/nonexistent-nanolet-dir", FS_WATCH_DIR_CHANGES,
	                              on_change, &g, &g.watch),
	                 -ENOENT);
	fs_watches_free(dw);
	sd_event_unref(e);
}
END_TEST

static void append(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x", 1), 1);
	close(fd);
}

/* Two watches of one file: each is told of its own events only. */
START_TEST(test_masks)
{
	_cleanup_free_ char *a = subdir("a");
	_cleanup_free_ char *file = strdupf("%s/memory.events", a);
	struct fs_watches *dw = NULL;
	struct follower modify = {0}, attrib = {0};
	sd_event *e = NULL;

	append(file);
	ck_assert_int_ge(sd_event_new(&e), 0);
	ck_assert_int_eq(fs_watches_new(e, &dw, NULL), 0);
	ck_assert_int_eq(fs_watch_add(dw, file, IN_MODIFY, on_change, &modify, &modify.watch), 0);
	ck_assert_int_eq(fs_watch_add(dw, file, IN_ATTRIB, on_change, &attrib, &attrib.watch), 0);
	ck_assert_uint_eq(fs_watches_count(dw), 1);
	append(file);
	settle(e);
	ck_assert_int_eq(modify.calls, 1);
	ck_assert_int_eq(attrib.calls, 0);
	ck_assert_int_eq(chmod(file, 0600), 0);
	settle(e);
	ck_assert_int_eq(modify.calls, 1);
	ck_assert_int_eq(attrib.calls, 1);
	/* the first one's going leaves the other's events on (IN_MASK_ADD kept them) */
	fs_watch_remove(modify.watch);
	ck_assert_int_eq(chmod(file, 0644), 0);
	settle(e);
	ck_assert_int_eq(attrib.calls, 2);
	fs_watch_remove(attrib.watch);
	ck_assert_uint_eq(fs_watches_count(dw), 0);
	fs_watches_free(dw);
	sd_event_unref(e);
}
END_TEST

/* A thousand pods' files: one instance, each file its own watch, each told once. */
START_TEST(test_thousand_files)
{
	_cleanup_free_ char *a = subdir("a");
	enum { N = 1000 };
	static struct follower f[N];
	struct fs_watches *dw = NULL;
	sd_event *e = NULL;
	int before;

	memset(f, 0, sizeof(f));
	ck_assert_int_ge(sd_event_new(&e), 0);
	before = inotify_instances();
	ck_assert_int_eq(fs_watches_new(e, &dw, NULL), 0);
	for (int i = 0; i < N; i++) {
		_cleanup_free_ char *file = strdupf("%s/%d.events", a, i);

		append(file);
		ck_assert_int_eq(fs_watch_add(dw, file, IN_MODIFY, on_change, &f[i], &f[i].watch),
		                 0);
	}
	ck_assert_int_eq(inotify_instances(), before + 1);
	ck_assert_uint_eq(fs_watches_count(dw), N);
	for (int i = 0; i < N; i += 3) {
		_cleanup_free_ char *file = strdupf("%s/%d.events", a, i);

		append(file);
	}
	settle(e);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(f[i].calls, i % 3 ? 0 : 1);
	for (int i = 0; i < N; i++)
		fs_watch_remove(f[i].watch);
	ck_assert_uint_eq(fs_watches_count(dw), 0);
	fs_watches_free(dw);
	sd_event_unref(e);
}
END_TEST

/* More events than the kernel queues (fs.inotify.max_queued_events) before the loop reads:
 * events are lost, so every watch is told, also one whose file nothing touched. */
START_TEST(test_overflow)
{
	_cleanup_free_ char *a = subdir("a");
	_cleanup_free_ char *one = strdupf("%s/one", a), *two = strdupf("%s/two", a),
	                    *quiet = strdupf("%s/quiet", a);
	struct follower f1 = {0}, f2 = {0}, fq = {0};
	struct fs_watches *dw = NULL;
	sd_event *e = NULL;
	long queued;
	FILE *file = fopen("/proc/sys/fs/inotify/max_queued_events", "re");

	ck_assert_ptr_nonnull(file);
	ck_assert_int_eq(fscanf(file, "%ld", &queued), 1);
	fclose(file);
	append(one);
	append(two);
	append(quiet);
	ck_assert_int_ge(sd_event_new(&e), 0);
	ck_assert_int_eq(fs_watches_new(e, &dw, NULL), 0);
	ck_assert_int_eq(fs_watch_add(dw, one, IN_MODIFY, on_change, &f1, &f1.watch), 0);
	ck_assert_int_eq(fs_watch_add(dw, two, IN_MODIFY, on_change, &f2, &f2.watch), 0);
	ck_assert_int_eq(fs_watch_add(dw, quiet, IN_MODIFY, on_change, &fq, &fq.watch), 0);
	{
		int fd1 = open(one, O_WRONLY | O_APPEND | O_CLOEXEC);
		int fd2 = open(two, O_WRONLY | O_APPEND | O_CLOEXEC);

		ck_assert_int_ge(fd1, 0);
		ck_assert_int_ge(fd2, 0);
		/* alternating: the kernel merges only an event equal to the last one queued */
		for (long i = 0; i <= queued; i++)
			ck_assert_int_eq(write(i % 2 ? fd2 : fd1, "x", 1), 1);
		close(fd1);
		close(fd2);
	}
	settle(e);
	ck_assert_int_eq(f1.calls, 1);
	ck_assert_int_eq(f2.calls, 1);
	ck_assert_int_eq(fq.calls, 1);
	fs_watch_remove(f1.watch);
	fs_watch_remove(f2.watch);
	fs_watch_remove(fq.watch);
	fs_watches_free(dw);
	sd_event_unref(e);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fs_watch");
	TCase *tc = tcase_create("fs_watch");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_shared_instance);
	tcase_add_test(tc, test_remove_inside_callbacks);
	tcase_add_test(tc, test_directory_removed);
	tcase_add_test(tc, test_masks);
	tcase_add_test(tc, test_thousand_files);
	tcase_add_test(tc, test_overflow);
	suite_add_tcase(s, tc);
	return check_run(s);
}
