/* tests/unit/test_dl.c: dl_open (pkg/util/dl.h), on libc itself and on a library that is not
 * there: the slots it fills, the message a person reads when it cannot, that a failure is
 * tried again, and that threads racing to open a library all see it loaded once. */
#include "check_main.h"
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "util/dl.h"

DL_SYMBOL_DEFINE(getpid);
DL_SYMBOL_DEFINE(getppid);

START_TEST(test_dl_fills_every_slot)
{
	struct dl_library lib = DL_LIBRARY("libc.so.6");
	struct nano_err err = {0};

	sym_getpid = NULL;
	sym_getppid = NULL;
	ck_assert_int_eq(dl_open(&lib, &err, DL_SYMBOL(getpid), DL_SYMBOL(getppid), NULL), 0);
	ck_assert_ptr_null(err.message);
	ck_assert_ptr_nonnull(lib.handle);
	ck_assert_int_eq(sym_getpid(), getpid());
	ck_assert_int_eq(sym_getppid(), getppid());
}
END_TEST

START_TEST(test_dl_no_library_says_which)
{
	struct dl_library lib = DL_LIBRARY("libnanolet-absent.so.0");
	struct nano_err err = {0};

	sym_getpid = NULL;
	ck_assert_int_eq(dl_open(&lib, &err, DL_SYMBOL(getpid), NULL), -ELIBACC);
	ck_assert_int_eq(err.errnum, ELIBACC);
	ck_assert_str_eq(err.message, "libnanolet-absent.so.0 cannot be loaded: "
	                              "libnanolet-absent.so.0: cannot open shared object file: "
	                              "No such file or directory");
	ck_assert_ptr_null(sym_getpid);
	ck_assert_ptr_null(lib.handle);
	nano_err_clear(&err);

	/* not remembered: once the library is there, the next call loads it */
	lib.soname = "libc.so.6";
	ck_assert_int_eq(dl_open(&lib, &err, DL_SYMBOL(getpid), NULL), 0);
	ck_assert_ptr_nonnull(sym_getpid);
}
END_TEST

START_TEST(test_dl_missing_symbol_sets_no_slot)
{
	struct dl_library lib = DL_LIBRARY("libc.so.6");
	struct nano_err err = {0};
	void *absent = NULL;

	sym_getpid = NULL;
	ck_assert_int_eq(
	        dl_open(&lib, &err, DL_SYMBOL(getpid), &absent, "nanolet_absent_symbol", NULL),
	        -ELIBACC);
	ck_assert_str_eq(err.message,
	                 "libc.so.6 cannot be loaded: it has no nanolet_absent_symbol");
	ck_assert_ptr_null(sym_getpid);
	ck_assert_ptr_null(absent);
	ck_assert_ptr_null(lib.handle);
	nano_err_clear(&err);
}
END_TEST

static struct dl_library raced = DL_LIBRARY("libc.so.6");

static void *open_raced(void *arg)
{
	struct nano_err err = {0};

	(void)arg;
	if (dl_open(&raced, &err, DL_SYMBOL(getppid), NULL) < 0 || sym_getppid() != getppid())
		return (void *)1;
	return NULL;
}

START_TEST(test_dl_threads_race)
{
	pthread_t threads[8];
	void *failed;

	sym_getppid = NULL;
	for (size_t i = 0; i < ELEMENTSOF(threads); i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, open_raced, NULL), 0);
	for (size_t i = 0; i < ELEMENTSOF(threads); i++) {
		ck_assert_int_eq(pthread_join(threads[i], &failed), 0);
		ck_assert_ptr_null(failed);
	}
	ck_assert_ptr_nonnull(raced.handle);
}
END_TEST

static Suite *dl_suite(void)
{
	Suite *s = suite_create("dl");
	TCase *tc = tcase_create("open");

	tcase_add_test(tc, test_dl_fills_every_slot);
	tcase_add_test(tc, test_dl_no_library_says_which);
	tcase_add_test(tc, test_dl_missing_symbol_sets_no_slot);
	tcase_add_test(tc, test_dl_threads_race);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(dl_suite());
}
