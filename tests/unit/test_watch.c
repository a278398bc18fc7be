/* tests/unit/test_watch.c: pkg/watch — the ring of changes (replay, eviction and its 410,
 * subscribers), resourceVersion parsing, the labelSelector — and the pods' fieldSelector of
 * pkg/events that lists and watches filter with. */
#include <string.h>

#include "check_main.h"
#include "events/events.h"
#include "util/util.h"
#include "watch/watch.h"

static json_t *pod(const char *name, const char *labels_json)
{
	json_error_t error;
	json_t *labels = json_loads(labels_json, 0, &error);
	json_t *p = json_pack("{s:{s:s, s:s, s:o}, s:{s:s, s:s, s:b}, s:{s:s, s:s}}", "metadata",
	                      "name", name, "namespace", "default", "labels", labels, "spec",
	                      "nodeName", "node1", "restartPolicy", "Always", "hostNetwork", 0,
	                      "status", "phase", "Running", "podIP", "10.88.0.2");

	ck_assert_ptr_nonnull(p);
	return p;
}

/* ---- the ring ---------------------------------------------------------------------------- */

struct seen {
	uint64_t rvs[16];
	enum watch_type types[16];
	size_t n;
	int stop_after; /* since: stop (return 7) after this many; 0: never */
};

static int collect(void *userdata, const struct watch_change *c)
{
	struct seen *s = userdata;

	ck_assert_uint_lt(s->n, 16);
	/* the object read back as it was pushed */
	ck_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(c->object, "metadata"), "name")),
	        "p");
	s->types[s->n] = c->type;
	s->rvs[s->n++] = c->resource_version;
	return s->stop_after && (int)s->n == s->stop_after ? 7 : 0;
}

static void push(struct watch_ring *ring, uint64_t rv, enum watch_type type)
{
	json_t *o = pod("p", "{}");

	ck_assert_int_eq(watch_ring_push(ring, rv, WATCH_PODS, type, o), 0);
	json_decref(o);
}

START_TEST(test_ring_replays_changes_after_a_version)
{
	struct watch_ring *ring = NULL;
	struct seen s = {0};

	ck_assert_int_eq(watch_ring_new(4, 10, &ring), 0);
	ck_assert_uint_eq(watch_ring_last(ring), 10);
	push(ring, 11, WATCH_ADDED);
	push(ring, 12, WATCH_MODIFIED);
	push(ring, 15, WATCH_DELETED);
	ck_assert_uint_eq(watch_ring_last(ring), 15);
	ck_assert_int_eq(watch_ring_since(ring, 11, collect, &s), 0);
	ck_assert_uint_eq(s.n, 2);
	ck_assert_uint_eq(s.rvs[0], 12);
	ck_assert_int_eq(s.types[0], WATCH_MODIFIED);
	ck_assert_uint_eq(s.rvs[1], 15);
	ck_assert_str_eq(watch_type_name(s.types[1]), "DELETED");
	/* from the start: all of them; from the newest or later: none */
	s.n = 0;
	ck_assert_int_eq(watch_ring_since(ring, 10, collect, &s), 0);
	ck_assert_uint_eq(s.n, 3);
	s.n = 0;
	ck_assert_int_eq(watch_ring_since(ring, 99, collect, &s), 0);
	ck_assert_uint_eq(s.n, 0);
	/* fn's answer stops the replay */
	s = (struct seen){.stop_after = 1};
	ck_assert_int_eq(watch_ring_since(ring, 10, collect, &s), 7);
	ck_assert_uint_eq(s.n, 1);
	watch_ring_free(ring);
}
END_TEST

START_TEST(test_ring_evicts_oldest_and_says_too_old)
{
	struct watch_ring *ring = NULL;
	struct seen s = {0};

	ck_assert_int_eq(watch_ring_new(3, 0, &ring), 0);
	for (uint64_t rv = 1; rv <= 5; rv++)
		push(ring, rv, WATCH_MODIFIED);
	/* 1 and 2 went: 2 is the start (3, 4, 5 are held), 1 is too old */
	ck_assert_uint_eq(watch_ring_start(ring), 2);
	ck_assert_int_eq(watch_ring_since(ring, 1, collect, &s), -ERANGE);
	ck_assert_int_eq(watch_ring_since(ring, 0, collect, &s), -ERANGE);
	ck_assert_int_eq(watch_ring_since(ring, 2, collect, &s), 0);
	ck_assert_uint_eq(s.n, 3);
	ck_assert_uint_eq(s.rvs[0], 3);
	watch_ring_free(ring);
}
END_TEST

START_TEST(test_ring_refuses_a_version_not_above_the_last)
{
	struct watch_ring *ring = NULL;
	json_t *o = pod("p", "{}");

	ck_assert_int_eq(watch_ring_new(2, 5, &ring), 0);
	ck_assert_int_eq(watch_ring_push(ring, 5, WATCH_PODS, WATCH_ADDED, o), -EINVAL);
	ck_assert_int_eq(watch_ring_push(ring, 6, WATCH_PODS, WATCH_ADDED, o), 0);
	ck_assert_int_eq(watch_ring_push(ring, 6, WATCH_PODS, WATCH_ADDED, o), -EINVAL);
	ck_assert_int_eq(watch_ring_push(ring, 7, WATCH_PODS, WATCH_ADDED, NULL), -EINVAL);
	ck_assert_int_eq(watch_ring_new(0, 0, &(struct watch_ring *){NULL}), -EINVAL);
	watch_ring_free(ring);
	json_decref(o);
}
END_TEST

struct sub_state {
	struct watch_ring *ring;
	struct watch_subscriber *self;
	size_t calls;
	bool leave; /* unsubscribe itself on its first call */
};

static void on_change(void *userdata, const struct watch_change *c)
{
	struct sub_state *st = userdata;

	ck_assert_ptr_nonnull(c->object);
	st->calls++;
	if (st->leave)
		watch_ring_unsubscribe(st->ring, st->self);
}

START_TEST(test_ring_tells_subscribers_until_they_leave)
{
	struct watch_ring *ring = NULL;
	struct sub_state a = {0}, b = {.leave = true};

	ck_assert_int_eq(watch_ring_new(2, 0, &ring), 0);
	a.ring = b.ring = ring;
	ck_assert_ptr_nonnull(a.self = watch_ring_subscribe(ring, on_change, &a));
	ck_assert_ptr_nonnull(b.self = watch_ring_subscribe(ring, on_change, &b));
	push(ring, 1, WATCH_ADDED);
	push(ring, 2, WATCH_MODIFIED);
	ck_assert_uint_eq(a.calls, 2);
	ck_assert_uint_eq(b.calls, 1); /* left inside its first call */
	watch_ring_unsubscribe(ring, a.self);
	push(ring, 3, WATCH_MODIFIED);
	ck_assert_uint_eq(a.calls, 2);
	watch_ring_unsubscribe(ring, NULL);
	watch_ring_free(ring);
}
END_TEST

static const struct {
	const char *text;
	int r;
	uint64_t rv;
} rv_cases[] = {
        {NULL, 0, 0},       {"", 0, 0},
        {"0", 0, 0},        {"42", 0, 42},
        {"-1", -EINVAL, 0}, {"4x", -EINVAL, 0},
        {" 4", -EINVAL, 0}, {"99999999999999999999999", -EINVAL, 0},
};

START_TEST(test_parse_resource_version)
{
	uint64_t rv = 7;

	ck_assert_int_eq(watch_parse_resource_version(rv_cases[_i].text, &rv), rv_cases[_i].r);
	if (rv_cases[_i].r == 0)
		ck_assert_uint_eq(rv, rv_cases[_i].rv);
}
END_TEST

/* ---- labelSelector ----------------------------------------------------------------------- */

/* Each selector against a pod labelled app=web, tier=front, rank=3. */
static const struct {
	const char *selector;
	bool matches;
} label_cases[] = {
        {"", true},
        {"app=web", true},
        {"app==web", true},
        {"app=db", false},
        {"app!=db", true},
        {"app!=web", false},
        {"missing!=x", true}, /* != selects objects without the label */
        {"app in (web,db)", true},
        {"app in (db, cache)", false},
        {"app notin (db)", true},
        {"app notin (web)", false},
        {"missing notin (x)", true},
        {"app", true},
        {"missing", false},
        {"!missing", true},
        {"!app", false},
        {"app=web,tier=front", true},
        {"app=web, tier=back", false},
        {" app = web ", true},
        {"rank>2", true},
        {"rank>3", false},
        {"rank<4", true},
        {"example.com/role!=x", true},
        {"app=", false}, /* an empty value: only a label whose value is "" */
};

START_TEST(test_labels_match)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_(watch_labels_done) struct watch_labels sel = {0};
	_cleanup_json_ json_t *p =
	        pod("p", "{\"app\": \"web\", \"tier\": \"front\", \"rank\": \"3\"}");

	ck_assert_msg(watch_labels_parse(label_cases[_i].selector, &sel, &err) == 0, "%s: %s",
	              label_cases[_i].selector, err.message);
	ck_assert_msg(watch_labels_match(&sel, p) == label_cases[_i].matches, "%s",
	              label_cases[_i].selector);
}
END_TEST

static const struct {
	const char *selector;
	const char *message; /* a part of it */
} label_errors[] = {
        {"app in web", "found 'web', expected: ("},
        {"app in (web", "expected: ',' or ')'"},
        {"app web", "found 'web', expected: in, notin, =, ==, !=, gt, lt"},
        {"app=web,", "found 'end of string', expected: identifier"},
        {",app", "found ',', expected: identifier"},
        {"app=we b", "found 'b'"},
        {"-app=web", "key: Invalid value: \"-app\""},
        {"app=-web", "Invalid value: \"-web\""},
        {"rank>x", "the value must be an integer"},
        {"!app=web", "found '='"},
};

START_TEST(test_labels_refused)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct watch_labels sel = {0};

	ck_assert_int_eq(watch_labels_parse(label_errors[_i].selector, &sel, &err), -EINVAL);
	ck_assert_msg(err.message && strstr(err.message, label_errors[_i].message), "%s: %s",
	              label_errors[_i].selector, err.message);
	ck_assert_uint_eq(sel.n, 0);
}
END_TEST

/* ---- the pods' fieldSelector ------------------------------------------------------------- */

static const struct {
	const char *selector;
	bool matches;
} pod_field_cases[] = {
        {"", true},
        {"metadata.name=web", true},
        {"metadata.name!=web", false},
        {"metadata.namespace=default,status.phase=Running", true},
        {"status.phase=Pending", false},
        {"status.phase!=Pending", true},
        {"spec.nodeName=node1", true},
        {"spec.host=node1", true}, /* the old name of spec.nodeName */
        {"spec.restartPolicy=Always", true},
        {"spec.hostNetwork=false", true},
        {"spec.hostNetwork=true", false},
        {"status.podIP=10.88.0.2", true},
        {"spec.serviceAccountName=", true}, /* absent: "" */
        {"status.nominatedNodeName=x", false},
};

START_TEST(test_pod_fields_match)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_(events_selector_done) struct events_selector sel = {0};
	_cleanup_json_ json_t *p = pod("web", "{}");

	ck_assert_msg(events_selector_parse_for(EVENTS_SELECT_PODS, pod_field_cases[_i].selector,
	                                        &sel, &err) == 0,
	              "%s: %s", pod_field_cases[_i].selector, err.message);
	ck_assert_msg(events_selector_match(&sel, p) == pod_field_cases[_i].matches, "%s",
	              pod_field_cases[_i].selector);
}
END_TEST

START_TEST(test_pod_fields_unknown_is_the_api_servers_message)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct events_selector sel = {0};

	ck_assert_int_eq(
	        events_selector_parse_for(EVENTS_SELECT_PODS, "spec.containers=x", &sel, &err),
	        -EINVAL);
	ck_assert_str_eq(err.message, "field label not supported: spec.containers");
	nano_err_clear(&err);
	/* an event's field is not a pod's, and the other way round */
	ck_assert_int_eq(events_selector_parse_for(EVENTS_SELECT_PODS, "reason=x", &sel, &err),
	                 -EINVAL);
	nano_err_clear(&err);
	ck_assert_int_eq(events_selector_parse("status.phase=x", &sel, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "is not a known field selector"));
}
END_TEST

static Suite *watch_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *ring = tcase_create("ring");
	TCase *labels = tcase_create("labels");
	TCase *fields = tcase_create("pod fields");

	tcase_add_test(ring, test_ring_replays_changes_after_a_version);
	tcase_add_test(ring, test_ring_evicts_oldest_and_says_too_old);
	tcase_add_test(ring, test_ring_refuses_a_version_not_above_the_last);
	tcase_add_test(ring, test_ring_tells_subscribers_until_they_leave);
	tcase_add_loop_test(ring, test_parse_resource_version, 0, (int)ELEMENTSOF(rv_cases));
	suite_add_tcase(s, ring);

	tcase_add_loop_test(labels, test_labels_match, 0, (int)ELEMENTSOF(label_cases));
	tcase_add_loop_test(labels, test_labels_refused, 0, (int)ELEMENTSOF(label_errors));
	suite_add_tcase(s, labels);

	tcase_add_loop_test(fields, test_pod_fields_match, 0, (int)ELEMENTSOF(pod_field_cases));
	tcase_add_test(fields, test_pod_fields_unknown_is_the_api_servers_message);
	suite_add_tcase(s, fields);
	return s;
}

int main(void)
{
	return check_run(watch_suite());
}
