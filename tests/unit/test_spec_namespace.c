/* tests/unit/test_spec_namespace.c: pkg/spec's Namespace documents — what the API server
 * accepts, and its words for what it refuses. */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "spec/spec.h"

struct ns_case {
	const char *name;
	const char *doc;
	int rc;
	const char *want; /* the name, or a substring of the message */
	const char *field;
};

static const struct ns_case cases[] = {
        {"kubectl create namespace",
         "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"team-a\","
         "\"creationTimestamp\":null},\"spec\":{},\"status\":{}}",
         0, "team-a", NULL},
        {"no kind: fine", "{\"metadata\":{\"name\":\"x\"}}", 0, "x", NULL},
        {"labels kept", "{\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":\"b\"}}}", 0, "x", NULL},
        {"upper case", "{\"metadata\":{\"name\":\"Team\"}}", -EINVAL,
         "Namespace \"Team\" is invalid: metadata.name: Invalid value: \"Team\": a lowercase "
         "RFC 1123 label",
         "metadata.name"},
        {"a dot is no label", "{\"metadata\":{\"name\":\"a.b\"}}", -EINVAL, "RFC 1123 label",
         "metadata.name"},
        {"64 characters",
         "{\"metadata\":{\"name\":"
         "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}",
         -EINVAL, "RFC 1123 label", "metadata.name"},
        {"no name", "{\"metadata\":{}}", -EINVAL,
         "Namespace \"\" is invalid: metadata.name: Required value: name or generateName is "
         "required",
         "metadata.name"},
        {"another kind", "{\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"}}", -EINVAL,
         "kind: Unsupported value: \"Pod\"", "kind"},
        {"a label that is no string", "{\"metadata\":{\"name\":\"x\",\"labels\":{\"a\":1}}}",
         -EINVAL, "metadata.labels", "metadata.labels"},
        {"not an object", "[1]", -EBADMSG, "must be a JSON or YAML object", NULL},
};

START_TEST(test_namespace_decode)
{
	const struct ns_case *c = &cases[_i];
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *doc = json_loads(c->doc, 0, NULL);
	_cleanup_json_ json_t *metadata = NULL;
	_cleanup_free_ char *name = NULL;
	int r;

	ck_assert_ptr_nonnull(doc);
	r = spec_namespace_decode(doc, &name, &metadata, &err);
	ck_assert_msg(r == c->rc, "%s: %d (%s)", c->name, r, err.message);
	if (r == 0) {
		ck_assert_str_eq(name, c->want);
		ck_assert_ptr_nonnull(metadata);
		if (strstr(c->doc, "labels"))
			ck_assert_str_eq(json_string_value(json_object_get(
			                         json_object_get(metadata, "labels"), "a")),
			                 "b");
		return;
	}
	ck_assert_msg(strstr(err.message, c->want), "%s: \"%s\" lacks \"%s\"", c->name, err.message,
	              c->want);
	ck_assert_ptr_null(name);
	if (c->field) {
		ck_assert_int_eq(err.class, NANO_INVALID);
		ck_assert_uint_ge(err.n_causes, 1);
		ck_assert_str_eq(err.causes[0].field, c->field);
	}
}
END_TEST

/* What `kubectl create namespace team-a` sends (with a label, and a varint field to skip). */
static const char protobuf_body[] =
        "\x6b\x38\x73\x00\x0a\x0f\x0a\x02\x76\x31\x12\x09\x4e\x61\x6d\x65\x73\x70\x61\x63"
        "\x65\x12\x18\x0a\x12\x0a\x06\x74\x65\x61\x6d\x2d\x61\x40\x05\x5a\x06\x0a\x01\x61"
        "\x12\x01\x62\x12\x00\x1a\x00\x22\x00";

START_TEST(test_protobuf)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *doc = NULL, *metadata = NULL;
	_cleanup_free_ char *name = NULL;
	size_t len = sizeof(protobuf_body) - 1;

	ck_assert_uint_eq(len, 49);
	ck_assert_int_eq(spec_protobuf_namespace_to_json(protobuf_body, len, &doc, &err), 0);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "kind")), "Namespace");
	ck_assert_str_eq(json_string_value(json_object_get(doc, "apiVersion")), "v1");
	ck_assert_int_eq(spec_namespace_decode(doc, &name, &metadata, &err), 0);
	ck_assert_str_eq(name, "team-a");
	ck_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(metadata, "labels"), "a")), "b");
	json_decref(doc);
	doc = NULL;
	/* cut short anywhere, or without the magic: refused, never read past the end */
	for (size_t cut = 5; cut < len - 1; cut++) {
		int r = spec_protobuf_namespace_to_json(protobuf_body, cut, &doc, &err);

		if (r == 0) { /* a cut at a field's end still parses: never past it */
			json_decref(doc);
			doc = NULL;
			continue;
		}
		ck_assert_int_eq(r, -EBADMSG);
		ck_assert_int_eq(err.class, NANO_BAD_REQUEST);
	}
	ck_assert_int_eq(spec_protobuf_namespace_to_json("{\"a\":1}", 7, &doc, &err), -EBADMSG);
}
END_TEST

static Suite *namespace_suite(void)
{
	Suite *s = suite_create("spec_namespace");
	TCase *tc = tcase_create("decode");

	tcase_add_loop_test(tc, test_namespace_decode, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_protobuf);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(namespace_suite());
}
