/* tests/unit/test_image_gc.c: image_gc_pick, the kubelet's image garbage collection pick
 * (pkg/kubelet/images/image_gc_manager.go): nothing at or below the high threshold; above it,
 * unused images older than the minimum age, least recently used first, until usage reaches
 * the low threshold. One row per behaviour. */
#include "check_main.h"
#include <string.h>

#include "image/image.h"

#define S 1000000000LL

/* five images of 100 bytes each: created at 0, last used at the times below */
static const int64_t last_used[] = {50, 10, 40, 20, 30};
static const char letters[] = "abcde";

struct gc_case {
	const char *name;
	int64_t used, capacity;
	int high, low;
	int64_t min_age_s, now_s;
	bool in_use[5];
	const char *want; /* the picked ids' first letters, in order */
};

static const struct gc_case cases[] = {
        {"below high", 800, 1000, 85, 80, 0, 100, {0}, ""},
        {"at high exactly", 850, 1000, 85, 80, 0, 100, {0}, ""},
        {"above high frees to low, LRU first", 900, 1000, 85, 80, 0, 100, {0}, "b"},
        {"several to reach low", 900, 1000, 85, 60, 0, 100, {0}, "bde"},
        {"in use is never picked", 900, 1000, 85, 60, 0, 100, {0, 1, 0, 1, 0}, "eca"},
        {"everything and still short", 1000, 1000, 85, 0, 0, 100, {0}, "bdeca"},
        {"too young by last use", 900, 1000, 85, 60, 75, 100, {0}, "bd"},
        {"too young by creation", 900, 1000, 85, 60, 200, 100, {0}, ""},
        {"no capacity", 900, 0, 85, 80, 0, 100, {0}, ""},
        {"high 100 never collects", 1000, 1000, 100, 80, 0, 100, {0}, ""},
};

START_TEST(test_gc_table)
{
	const struct gc_case *c = &cases[_i];
	struct image_record r[5];
	char **picked, got[8] = "";

	for (size_t i = 0; i < 5; i++) {
		r[i] = (struct image_record){
		        .size = 100, .created = 0, .last_used = last_used[i] * S};
		memcpy(r[i].id, "sha256:", 7);
		memset(r[i].id + 7, letters[i], 64);
		r[i].id[IMAGE_DIGEST_LEN] = '\0';
	}
	picked = image_gc_pick(r, c->in_use, 5, c->used, c->capacity, c->high, c->low,
	                       c->min_age_s * S, c->now_s * S);
	ck_assert_ptr_nonnull(picked);
	for (size_t i = 0; picked[i]; i++) {
		ck_assert_uint_lt(i, 5);
		got[i] = picked[i][7];
	}
	ck_assert_msg(strcmp(got, c->want) == 0, "%s: picked \"%s\", want \"%s\"", c->name, got,
	              c->want);
	strv_free(picked);
}
END_TEST

START_TEST(test_gc_empty)
{
	char **picked = image_gc_pick(NULL, NULL, 0, 900, 1000, 85, 80, 0, 0);

	ck_assert_ptr_nonnull(picked);
	ck_assert_ptr_null(picked[0]);
	strv_free(picked);
}
END_TEST

static Suite *gc_suite(void)
{
	Suite *s = suite_create("image_gc");
	TCase *tc = tcase_create("pick");

	tcase_add_loop_test(tc, test_gc_table, 0, (int)ELEMENTSOF(cases));
	tcase_add_test(tc, test_gc_empty);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(gc_suite());
}
