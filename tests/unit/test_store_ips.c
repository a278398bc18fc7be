/* tests/unit/test_store_ips.c: the pod network's IPAM in pkg/store against real SQLite files —
 * addresses go lowest free first, a pod keeps the one it has, an address comes back only after
 * its release (or its pod row's removal, however it goes), an exhausted range is
 * -EADDRNOTAVAIL, and everything survives closing and opening the store again.
 *
 * Every test makes its own state directory under the suite's temporary one (tmp_fixture.h).
 */
#include <check.h>
#include <sqlite3.h>
#include <string.h>

#include "check_main.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "tmp_fixture.h"

TMP_FIXTURE("/tmp/nanolet-test-store-ips-XXXXXX")

/* 198.18.0.2 .. 198.18.0.5: a /29's pod addresses (network, bridge and broadcast left out) */
#define FIRST 0xc6120002u
#define LAST  0xc6120006u

static struct store *open_store(char **dir)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s = NULL;
	int r;

	if (!*dir) {
		*dir = strdupf("%s/state-XXXXXX", tmp_base);
		ck_assert_ptr_nonnull(*dir);
		ck_assert_ptr_nonnull(mkdtemp(*dir));
	}
	r = store_open(*dir, &s, &err);
	ck_assert_msg(r == 0, "store_open: %d %s", r, err.message);
	return s;
}

static void insert_pod(struct store *s, const char *uid)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *object = json_object();
	_cleanup_free_ char *name = strdupf("pod-%s", uid);

	ck_assert_int_eq(store_pod_insert(s, uid, "default", name, object, NULL, 1, &err), 0);
}

static uint32_t assign_ok(struct store *s, const char *uid)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	uint32_t ip = 0;
	int r = store_pod_ip_assign(s, uid, FIRST, LAST, &ip, &err);

	ck_assert_msg(r == 0, "assign %s: %d %s", uid, r, err.message);
	return ip;
}

/* One step on one store: a pod takes an address, or gives its own back. */
struct ip_step {
	const char *uid;
	bool release; /* else assign */
	int rc;
	uint32_t want; /* the address assigned */
};

static const struct {
	const char *name;
	struct ip_step steps[12];
} ip_cases[] = {
        {"lowest free first, in order",
         {{"a", false, 0, FIRST}, {"b", false, 0, FIRST + 1}, {"c", false, 0, FIRST + 2}}},
        {"a pod keeps the address it has",
         {{"a", false, 0, FIRST}, {"b", false, 0, FIRST + 1}, {"a", false, 0, FIRST}}},
        {"a released address is the lowest free again",
         {{"a", false, 0, FIRST},
          {"b", false, 0, FIRST + 1},
          {"c", false, 0, FIRST + 2},
          {"b", true, 0, 0},
          {"d", false, 0, FIRST + 1},
          {"e", false, 0, FIRST + 3}}},
        {"exhausted: none left, then one comes back",
         {{"a", false, 0, FIRST},
          {"b", false, 0, FIRST + 1},
          {"c", false, 0, FIRST + 2},
          {"d", false, 0, FIRST + 3},
          {"e", false, 0, LAST},
          {"f", false, -EADDRNOTAVAIL, 0},
          {"c", true, 0, 0},
          {"f", false, 0, FIRST + 2},
          {"g", false, -EADDRNOTAVAIL, 0}}},
        {"releasing what a pod does not have is fine", {{"a", true, 0, 0}, {"a", false, 0, FIRST}}},
};

START_TEST(test_ip_steps)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_store_ struct store *s = open_store(&dir);

	for (size_t i = 0; i < ELEMENTSOF(ip_cases[_i].steps) && ip_cases[_i].steps[i].uid; i++) {
		const struct ip_step *st = &ip_cases[_i].steps[i];
		_cleanup_(nano_err_clear) struct nano_err err = {0};
		uint32_t ip = 0;
		int r;

		if (st->release) {
			r = store_pod_ip_release(s, st->uid, &err);
		} else {
			r = store_pod_ip_assign(s, st->uid, FIRST, LAST, &ip, &err);
			if (r == 0)
				ck_assert_msg(ip == st->want,
				              "%s: step %zu: %s got %08x, want %08x",
				              ip_cases[_i].name, i, st->uid, ip, st->want);
		}
		ck_assert_msg(r == st->rc, "%s: step %zu: %d (%s), want %d", ip_cases[_i].name, i,
		              r, err.message ? err.message : "", st->rc);
		if (r == -EADDRNOTAVAIL)
			ck_assert_int_eq(err.class, NANO_UNAVAILABLE);
	}
}
END_TEST

/* Two pods never share an address: every assignment of a full range is distinct. */
START_TEST(test_ip_never_twice)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_store_ struct store *s = open_store(&dir);
	uint32_t seen[LAST - FIRST + 1];

	for (uint32_t i = 0; i <= LAST - FIRST; i++) {
		_cleanup_free_ char *uid = strdupf("u%u", i);

		seen[i] = assign_ok(s, uid);
		ck_assert(seen[i] >= FIRST && seen[i] <= LAST);
		for (uint32_t j = 0; j < i; j++)
			ck_assert_uint_ne(seen[i], seen[j]);
	}
}
END_TEST

/* Addresses outlive the store's connection (a daemon restart, a reboot). */
START_TEST(test_ip_survives_reopen)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s = open_store(&dir);
	uint32_t ip = 0;

	ck_assert_uint_eq(assign_ok(s, "a"), FIRST);
	ck_assert_uint_eq(assign_ok(s, "b"), FIRST + 1);
	store_close(s);
	s = open_store(&dir);
	ck_assert_int_eq(store_pod_ip_get(s, "b", &ip, &err), 0);
	ck_assert_uint_eq(ip, FIRST + 1);
	ck_assert_uint_eq(assign_ok(s, "a"), FIRST);
	ck_assert_uint_eq(assign_ok(s, "c"), FIRST + 2);
	store_close(s);
}
END_TEST

/* However a pod's row goes — a delete, or a row removed by hand while the daemon was down —
 * its address goes with it; and the sweep gives back those of uids without a row. */
START_TEST(test_ip_released_with_row)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_store_ struct store *s = open_store(&dir);
	struct store_pod_ip *ips = NULL;
	size_t n = 0;
	uint32_t ip;

	insert_pod(s, "a");
	insert_pod(s, "b");
	ck_assert_uint_eq(assign_ok(s, "a"), FIRST);
	ck_assert_uint_eq(assign_ok(s, "b"), FIRST + 1);
	ck_assert_uint_eq(assign_ok(s, "no-row"), FIRST + 2);
	ck_assert_int_eq(store_pod_delete(s, "a", &err), 0);
	ck_assert_int_eq(store_pod_ip_get(s, "a", &ip, &err), -ENOENT);
	nano_err_clear(&err);
	ck_assert_int_eq(sqlite3_exec(s->db, "DELETE FROM pods WHERE uid = 'b'", NULL, NULL, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(store_pod_ip_get(s, "b", &ip, &err), -ENOENT);
	nano_err_clear(&err);
	ck_assert_int_eq(store_pod_ips_release_orphans(s, &err), 1);
	ck_assert_int_eq(store_pod_ips_list(s, &ips, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	store_pod_ips_free(ips, n);
	ck_assert_uint_eq(assign_ok(s, "c"), FIRST);
}
END_TEST

START_TEST(test_ip_bad_range)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_store_ struct store *s = open_store(&dir);
	uint32_t ip;

	ck_assert_int_eq(store_pod_ip_assign(s, "a", LAST, FIRST, &ip, &err), -EINVAL);
	nano_err_clear(&err);
	ck_assert_int_eq(store_pod_ip_assign(s, NULL, FIRST, LAST, &ip, &err), -EINVAL);
}
END_TEST

static Suite *store_ips_suite(void)
{
	Suite *s = suite_create("store_ips");
	TCase *tc = tcase_create("ipam");

	tcase_add_unchecked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_loop_test(tc, test_ip_steps, 0, (int)ELEMENTSOF(ip_cases));
	tcase_add_test(tc, test_ip_never_twice);
	tcase_add_test(tc, test_ip_survives_reopen);
	tcase_add_test(tc, test_ip_released_with_row);
	tcase_add_test(tc, test_ip_bad_range);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(store_ips_suite());
}
