/* tests/unit/cgroup_fixture.h: what the cgroup suites share — files of a fake cgroupfs tree,
 * a short sleep, and the clean-up of a real test cgroup. */
#pragma once

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "util/util.h"

/* Writes value to dir/file (the fake tree's files). */
static inline void put(const char *dir, const char *file, const char *value)
{
	_cleanup_free_ char *path = strdupf("%s/%s", dir, file);
	_cleanup_fclose_ FILE *f = fopen(path, "we");

	ck_assert_msg(f != NULL, "create %s", path);
	fputs(value, f);
}

/* A file's whole text, "" when empty, NULL when it does not exist. */
static inline char *slurp(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char *text = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	if (getdelim(&text, &len, '\0', f) < 0) {
		free(text);
		return strdup("");
	}
	return text;
}

/* dir/file's whole text, as slurp. */
static inline char *get(const char *dir, const char *file)
{
	_cleanup_free_ char *path = strdupf("%s/%s", dir, file);

	return slurp(path);
}

/* A fake tree's on_rmdir: cgroupfs removes its control files with the directory; tmpfs needs
 * them gone first. */
static inline void fake_tree_rmdir(const char *dir, void *userdata)
{
	DIR *dp = opendir(dir);
	struct dirent *de;

	(void)userdata;
	ck_assert_msg(dp != NULL, "open %s", dir);
	while ((de = readdir(dp)))
		if (de->d_type == DT_REG)
			ck_assert_int_eq(unlinkat(dirfd(dp), de->d_name, 0), 0);
	closedir(dp);
}

static inline void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* Kills what runs in d's root, waits (bounded) for it to empty and removes it, saying on stderr
 * what failed: a suite's clean-up, whether its tests passed or not. */
static inline void cgroup_fixture_clean_up(struct cgroup_driver *d)
{
	struct nano_err err = {0};

	if (cgroup_driver_kill(d, "", &err) < 0)
		fprintf(stderr, "clean-up: kill: %s\n", err.message);
	nano_err_clear(&err);
	for (int i = 0; i < 200 && cgroup_driver_populated(d, "", &err) > 0; i++)
		sleep_ms(10);
	nano_err_clear(&err);
	/* the driver tries once; the kernel may free the emptied cgroups a moment later */
	for (int i = 0; i < 50 && cgroup_driver_remove(d, "", &err) == -EBUSY; i++) {
		nano_err_clear(&err);
		sleep_ms(10);
	}
	if (err.message)
		fprintf(stderr, "clean-up: remove: %s\n", err.message);
	nano_err_clear(&err);
}
