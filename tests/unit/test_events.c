/* tests/unit/test_events.c: pkg/events — the exact Event and EventList JSON (golden strings, key
 * order included), the container fieldPath, the fieldSelector parser (table of valid and invalid
 * texts, with the API server's messages) and the matcher over an Event. Pure: no files.
 */
#include "check_main.h"
#include <string.h>

#include "events/events.h"

#define SEC 1000000000LL

static char s_default[] = "default", s_pod[] = "Pod", s_web[] = "web", s_uid[] = "8f1d-uid",
            s_fp[] = "spec.containers{app}", s_started[] = "Started",
            s_msg[] = "Started container app", s_normal[] = "Normal", s_nanolet[] = "nanolet",
            s_node[] = "node1", s_empty[] = "", s_node_kind[] = "Node", s_starting[] = "Starting",
            s_msg_node[] = "Starting nanolet.", s_warning[] = "Warning", s_oom[] = "OOMKilling",
            s_msg_oom[] = "Memory cgroup out of memory: Killed process 42 (app)";

/* A container event, seen twice (500 ms past a second on the last: seconds only). */
static const struct store_event pod_row = {
        .id = 42,
        .namespace = s_default,
        .involved_kind = s_pod,
        .involved_name = s_web,
        .involved_namespace = s_default,
        .involved_uid = s_uid,
        .involved_field_path = s_fp,
        .reason = s_started,
        .message = s_msg,
        .type = s_normal,
        .count = 2,
        .first_ns = 1714564800 * SEC,
        .last_ns = 1714564865 * SEC + 500000000,
        .source_component = s_nanolet,
        .source_host = s_node,
};

/* An event about the Node: no involved namespace, no fieldPath, uid the node name. */
static const struct store_event node_row = {
        .id = 1,
        .namespace = s_default,
        .involved_kind = s_node_kind,
        .involved_name = s_node,
        .involved_namespace = s_empty,
        .involved_uid = s_node,
        .involved_field_path = s_empty,
        .reason = s_starting,
        .message = s_msg_node,
        .type = s_normal,
        .count = 1,
        .first_ns = 1714564800 * SEC,
        .last_ns = 1714564800 * SEC,
        .source_component = s_nanolet,
        .source_host = s_node,
};

static const struct store_event oom_row = {
        .id = 0x1234abcd,
        .namespace = s_default,
        .involved_kind = s_pod,
        .involved_name = s_web,
        .involved_namespace = s_default,
        .involved_uid = s_uid,
        .involved_field_path = s_fp,
        .reason = s_oom,
        .message = s_msg_oom,
        .type = s_warning,
        .count = 1,
        .first_ns = 1714564865 * SEC,
        .last_ns = 1714564865 * SEC,
        .source_component = s_empty, /* falls back to nanolet */
        .source_host = s_node,
};

static const char pod_golden[] =
        "{\"kind\":\"Event\",\"apiVersion\":\"v1\","
        "\"metadata\":{\"name\":\"web.000000000000002a\",\"namespace\":\"default\","
        "\"creationTimestamp\":\"2024-05-01T12:00:00Z\"},"
        "\"involvedObject\":{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":\"web\","
        "\"uid\":\"8f1d-uid\",\"apiVersion\":\"v1\",\"fieldPath\":\"spec.containers{app}\"},"
        "\"reason\":\"Started\",\"message\":\"Started container app\","
        "\"source\":{\"component\":\"nanolet\",\"host\":\"node1\"},"
        "\"firstTimestamp\":\"2024-05-01T12:00:00Z\",\"lastTimestamp\":\"2024-05-01T12:01:05Z\","
        "\"count\":2,\"type\":\"Normal\",\"eventTime\":null,"
        "\"reportingComponent\":\"nanolet\",\"reportingInstance\":\"node1\"}";

static const char node_golden[] =
        "{\"kind\":\"Event\",\"apiVersion\":\"v1\","
        "\"metadata\":{\"name\":\"node1.0000000000000001\",\"namespace\":\"default\","
        "\"creationTimestamp\":\"2024-05-01T12:00:00Z\"},"
        "\"involvedObject\":{\"kind\":\"Node\",\"name\":\"node1\",\"uid\":\"node1\","
        "\"apiVersion\":\"v1\"},"
        "\"reason\":\"Starting\",\"message\":\"Starting nanolet.\","
        "\"source\":{\"component\":\"nanolet\",\"host\":\"node1\"},"
        "\"firstTimestamp\":\"2024-05-01T12:00:00Z\",\"lastTimestamp\":\"2024-05-01T12:00:00Z\","
        "\"count\":1,\"type\":\"Normal\",\"eventTime\":null,"
        "\"reportingComponent\":\"nanolet\",\"reportingInstance\":\"node1\"}";

static char *dump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	ck_assert_ptr_nonnull(s);
	return s;
}

START_TEST(test_event_json_golden)
{
	_cleanup_json_ json_t *pod = events_to_json(&pod_row), *node = events_to_json(&node_row);
	_cleanup_free_ char *pod_text = dump(pod), *node_text = dump(node);

	ck_assert_str_eq(pod_text, pod_golden);
	ck_assert_str_eq(node_text, node_golden);
}
END_TEST

START_TEST(test_event_json_name_and_fallback)
{
	_cleanup_json_ json_t *ev = events_to_json(&oom_row);

	ck_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(ev, "metadata"), "name")),
	        "web.000000001234abcd");
	ck_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(ev, "source"), "component")),
	        EVENTS_COMPONENT);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "reportingComponent")), "nanolet");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "type")), EVENTS_TYPE_WARNING);
}
END_TEST

START_TEST(test_event_list_golden)
{
	const struct store_event rows[] = {node_row, pod_row};
	_cleanup_json_ json_t *list = events_list_json(rows, ELEMENTSOF(rows), NULL);
	_cleanup_json_ json_t *empty = events_list_json(NULL, 0, NULL);
	_cleanup_free_ char *text = dump(list), *empty_text = dump(empty);
	_cleanup_free_ char *want = strdupf(
	        "{\"kind\":\"EventList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":[%s,%s]}",
	        node_golden, pod_golden);

	ck_assert_str_eq(text, want);
	ck_assert_str_eq(
	        empty_text,
	        "{\"kind\":\"EventList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":[]}");
}
END_TEST

START_TEST(test_event_list_selected)
{
	const struct store_event rows[] = {node_row, pod_row, oom_row};
	struct events_selector sel = {0};
	_cleanup_json_ json_t *list = NULL;
	json_t *items;

	ck_assert_int_eq(events_selector_parse("involvedObject.kind=Pod,type!=Warning", &sel, NULL),
	                 0);
	list = events_list_json(rows, ELEMENTSOF(rows), &sel);
	items = json_object_get(list, "items");
	ck_assert_uint_eq(json_array_size(items), 1);
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(items, 0), "reason")),
	                 "Started");
	events_selector_done(&sel);
}
END_TEST

START_TEST(test_container_field_path)
{
	_cleanup_free_ char *fp = events_container_field_path("app");

	ck_assert_str_eq(fp, "spec.containers{app}");
	ck_assert_ptr_null(events_container_field_path(NULL));
}
END_TEST

/* ---- fieldSelector parsing ---------------------------------------------------------------- */

struct term {
	const char *field, *value;
	bool not_equal;
};

struct parse_case {
	const char *name;
	const char *text;
	int rc;
	const char *message; /* substring, for failures */
	size_t n;
	struct term terms[3];
};

static const struct parse_case parse_cases[] = {
        {"empty selects all", "", 0, NULL, 0, {{0}}},
        {"NULL selects all", NULL, 0, NULL, 0, {{0}}},
        {"only commas", ",,", 0, NULL, 0, {{0}}},
        {"name", "involvedObject.name=web", 0, NULL, 1, {{"involvedObject.name", "web", false}}},
        {"double equals",
         "involvedObject.name==web",
         0,
         NULL,
         1,
         {{"involvedObject.name", "web", false}}},
        {"not equal", "type!=Normal", 0, NULL, 1, {{"type", "Normal", true}}},
        {"multiple",
         "involvedObject.kind=Pod,reason==Started,type!=Warning",
         0,
         NULL,
         3,
         {{"involvedObject.kind", "Pod", false},
          {"reason", "Started", false},
          {"type", "Warning", true}}},
        {"empty terms skipped",
         ",involvedObject.uid=u1,,",
         0,
         NULL,
         1,
         {{"involvedObject.uid", "u1", false}}},
        {"empty value", "involvedObject.name=", 0, NULL, 1, {{"involvedObject.name", "", false}}},
        {"empty value, not equal", "reason!=", 0, NULL, 1, {{"reason", "", true}}},
        {"fieldPath braces",
         "involvedObject.fieldPath=spec.containers{app}",
         0,
         NULL,
         1,
         {{"involvedObject.fieldPath", "spec.containers{app}", false}}},
        {"escaped comma",
         "reason=a\\,b,type=Normal",
         0,
         NULL,
         2,
         {{"reason", "a,b", false}, {"type", "Normal", false}}},
        {"escaped equals and backslash",
         "reason=a\\=b\\\\c",
         0,
         NULL,
         1,
         {{"reason", "a=b\\c", false}}},
        {"metadata fields",
         "metadata.namespace=default,metadata.name=web.1",
         0,
         NULL,
         2,
         {{"metadata.namespace", "default", false}, {"metadata.name", "web.1", false}}},
        {"fields the API server also allows",
         "source=nanolet,reportingComponent=nanolet",
         0,
         NULL,
         2,
         {{"source", "nanolet", false}, {"reportingComponent", "nanolet", false}}},
        {"operator inside the value", "reason=!x", 0, NULL, 1, {{"reason", "!x", false}}},
        {"unknown field",
         "foo=bar",
         -EINVAL,
         "\"foo\" is not a known field selector: only \"involvedObject.name\", "
         "\"involvedObject.kind\", \"involvedObject.uid\", \"involvedObject.fieldPath\"",
         0,
         {{0}}},
        {"unknown after a good one",
         "reason=x,spec.nodeName=n",
         -EINVAL,
         "\"spec.nodeName\" is not a known field selector",
         0,
         {{0}}},
        {"field names are case-sensitive",
         "Reason=x",
         -EINVAL,
         "\"Reason\" is not a known",
         0,
         {{0}}},
        {"no field", "=x", -EINVAL, "\"\" is not a known field selector", 0, {{0}}},
        {"no operator",
         "involvedObject.name",
         -EINVAL,
         "invalid selector: 'involvedObject.name'; can't understand 'involvedObject.name'",
         0,
         {{0}}},
        {"no operator in second term", "reason=x,web", -EINVAL, "can't understand 'web'", 0, {{0}}},
        {"bare equals in value",
         "reason=a=b",
         -EINVAL,
         "invalid field selector: unescaped character in value: =",
         0,
         {{0}}},
        {"unknown escape",
         "reason=a\\x",
         -EINVAL,
         "invalid field selector: invalid escape sequence: \\x",
         0,
         {{0}}},
        {"trailing backslash",
         "reason=a\\",
         -EINVAL,
         "invalid field selector: invalid escape sequence: \\",
         0,
         {{0}}},
};

START_TEST(test_selector_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct events_selector sel = {0};
	int r = events_selector_parse(c->text, &sel, &err);

	ck_assert_msg(r == c->rc, "%s: %d, want %d (%s)", c->name, r, c->rc, err.message);
	if (c->rc < 0) {
		ck_assert_int_eq(err.errnum, -c->rc);
		ck_assert_msg(strstr(err.message, c->message), "%s: \"%s\" lacks \"%s\"", c->name,
		              err.message, c->message);
		ck_assert_uint_eq(sel.n, 0);
		ck_assert_ptr_null(sel.terms);
		return;
	}
	ck_assert_uint_eq(sel.n, c->n);
	for (size_t i = 0; i < c->n; i++) {
		ck_assert_str_eq(sel.terms[i].field, c->terms[i].field);
		ck_assert_str_eq(sel.terms[i].value, c->terms[i].value);
		ck_assert_int_eq(sel.terms[i].not_equal, c->terms[i].not_equal);
	}
	events_selector_done(&sel);
}
END_TEST

/* The whole list of fields, in the message, as the API server spells them. */
START_TEST(test_selector_unknown_message)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct events_selector sel = {0};

	ck_assert_int_eq(events_selector_parse("foo=bar", &sel, &err), -EINVAL);
	ck_assert_str_eq(err.message,
	                 "\"foo\" is not a known field selector: only \"involvedObject.name\", "
	                 "\"involvedObject.kind\", \"involvedObject.uid\", "
	                 "\"involvedObject.fieldPath\", \"involvedObject.namespace\", "
	                 "\"involvedObject.apiVersion\", \"involvedObject.resourceVersion\", "
	                 "\"reason\", \"type\", \"source\", \"reportingComponent\", "
	                 "\"metadata.name\", \"metadata.namespace\"");
}
END_TEST

/* ---- matching ----------------------------------------------------------------------------- */

struct match_case {
	const char *text;
	bool pod, node; /* matches pod_row's Event, node_row's Event */
};

static const struct match_case match_cases[] = {
        {"", true, true},
        {"involvedObject.name=web", true, false},
        {"involvedObject.name==node1", false, true},
        {"involvedObject.name!=web", false, true},
        {"involvedObject.kind=Pod,reason=Started", true, false},
        {"involvedObject.kind=Pod,reason=Killing", false, false},
        {"involvedObject.uid=8f1d-uid", true, false},
        {"involvedObject.fieldPath=spec.containers{app}", true, false},
        {"involvedObject.fieldPath=", false, true}, /* absent is "" */
        {"involvedObject.namespace=default", true, false},
        {"involvedObject.apiVersion=v1", true, true},
        {"involvedObject.resourceVersion=", true, true},
        {"type=Normal", true, true},
        {"type!=Normal", false, false},
        {"metadata.name=web.000000000000002a", true, false},
        {"metadata.namespace=default", true, true},
        {"metadata.namespace=kube-system", false, false},
        {"source=nanolet,reportingComponent=nanolet", true, true},
        {"reason=Started,reason=Starting", false, false}, /* every term holds */
        {"reason!=Started,reason!=Starting", false, false},
        {"reason=Startin", false, false}, /* whole values only */
};

START_TEST(test_selector_match)
{
	const struct match_case *c = &match_cases[_i];
	_cleanup_json_ json_t *pod = events_to_json(&pod_row), *node = events_to_json(&node_row);
	struct events_selector sel = {0};

	ck_assert_int_eq(events_selector_parse(c->text, &sel, NULL), 0);
	ck_assert_msg(events_selector_match(&sel, pod) == c->pod, "%s on the pod event", c->text);
	ck_assert_msg(events_selector_match(&sel, node) == c->node, "%s on the node event",
	              c->text);
	events_selector_done(&sel);
}
END_TEST

START_TEST(test_selector_equal_value)
{
	struct events_selector sel = {0};

	ck_assert_int_eq(events_selector_parse("involvedObject.name!=a,type=Normal,"
	                                       "involvedObject.name=web",
	                                       &sel, NULL),
	                 0);
	ck_assert_str_eq(events_selector_equal_value(&sel, "involvedObject.name"), "web");
	ck_assert_str_eq(events_selector_equal_value(&sel, "type"), "Normal");
	ck_assert_ptr_null(events_selector_equal_value(&sel, "reason"));
	ck_assert_ptr_null(events_selector_equal_value(NULL, "reason"));
	events_selector_done(&sel);
	events_selector_done(&sel); /* twice is fine */
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *json = tcase_create("json");
	TCase *selector = tcase_create("selector");

	tcase_add_test(json, test_event_json_golden);
	tcase_add_test(json, test_event_json_name_and_fallback);
	tcase_add_test(json, test_event_list_golden);
	tcase_add_test(json, test_event_list_selected);
	tcase_add_test(json, test_container_field_path);
	suite_add_tcase(s, json);

	tcase_add_loop_test(selector, test_selector_parse, 0, (int)ELEMENTSOF(parse_cases));
	tcase_add_test(selector, test_selector_unknown_message);
	tcase_add_loop_test(selector, test_selector_match, 0, (int)ELEMENTSOF(match_cases));
	tcase_add_test(selector, test_selector_equal_value);
	suite_add_tcase(s, selector);
	return s;
}

int main(void)
{
	return check_run(events_suite());
}
