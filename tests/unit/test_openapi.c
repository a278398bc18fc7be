/* tests/unit/test_openapi.c: the OpenAPI v3 documents nanoletd serves: the embedded ones parse,
 * the index points at each by its hash, every text of pkg/plan's plan_fields is attached after
 * Kubernetes' description of the field its path names (and nowhere a path does not lead), and
 * kubectl finds what it looks for (the Pod's group-version-kind, fieldValidation on PATCH).
 */
#include <check.h>
#include <string.h>

#include "api_openapi.h"
#include "plan/plan.h"

static struct api_openapi *openapi;

static void setup(void)
{
	ck_assert_int_eq(api_openapi_new(&openapi), 0);
}

static void teardown(void)
{
	openapi = api_openapi_free(openapi);
}

static json_t *document(const char *gv)
{
	size_t len;
	const char *hash;
	const char *body = api_openapi_document_of(openapi, gv, &len, &hash);
	json_t *doc;

	ck_assert_ptr_nonnull(body);
	ck_assert_uint_eq(strlen(body), len);
	ck_assert_uint_eq(strlen(hash), 16);
	doc = json_loadb(body, len, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	return doc;
}

static json_t *schema(json_t *doc, const char *name)
{
	json_t *s = json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"),
	                            name);

	ck_assert_msg(s, "no schema %s", name);
	return s;
}

/* The schema a property stands for ($ref, or allOf of one $ref), or the property itself. */
static json_t *follow(json_t *doc, json_t *prop)
{
	json_t *all = json_object_get(prop, "allOf");
	const char *ref = json_string_value(json_object_get(prop, "$ref"));

	if (!ref && all)
		ref = json_string_value(json_object_get(json_array_get(all, 0), "$ref"));
	return ref ? schema(doc, ref + strlen("#/components/schemas/")) : prop;
}

/* The property at a plan_fields path below the Pod, walked here independently of the code. */
static json_t *field(json_t *doc, const char *path)
{
	json_t *s = schema(doc, "io.k8s.api.core.v1.Pod"), *prop = NULL;
	char copy[256];

	ck_assert_uint_lt(strlen(path), sizeof(copy));
	strcpy(copy, path);
	for (char *save = NULL, *seg = strtok_r(copy, ".", &save); seg;
	     seg = strtok_r(NULL, ".", &save)) {
		size_t len = strlen(seg);
		bool array = len > 2 && strcmp(seg + len - 2, "[]") == 0;

		if (array)
			seg[len - 2] = '\0';
		prop = json_object_get(json_object_get(s, "properties"), seg);
		ck_assert_msg(prop, "%s: no %s", path, seg);
		s = follow(doc, array ? json_object_get(prop, "items") : prop);
	}
	return prop;
}

START_TEST(test_index)
{
	size_t len;
	const char *index = api_openapi_index_of(openapi, &len);
	_cleanup_json_ json_t *json = json_loadb(index, len, 0, NULL);
	static const char *const gvs[] = {"api/v1", "apis/nanolet.io/v1"};

	ck_assert_ptr_nonnull(json);
	ck_assert_uint_eq(json_object_size(json_object_get(json, "paths")), ELEMENTSOF(gvs));
	for (size_t i = 0; i < ELEMENTSOF(gvs); i++) {
		const char *hash, *url = json_string_value(json_object_get(
		                          json_object_get(json_object_get(json, "paths"), gvs[i]),
		                          "serverRelativeURL"));
		_cleanup_free_ char *want = NULL;

		ck_assert_ptr_nonnull(api_openapi_document_of(openapi, gvs[i], &len, &hash));
		want = strdupf("/openapi/v3/%s?hash=%s", gvs[i], hash);
		ck_assert_str_eq(url, want);
	}
	ck_assert_ptr_null(api_openapi_document_of(openapi, "apis/apps/v1", &len, NULL));
}
END_TEST

/* Each text after Kubernetes' own description, once. */
START_TEST(test_field_texts)
{
	_cleanup_json_ json_t *doc = document("api/v1");
	const struct plan_field *f = &plan_fields[_i];
	const char *desc = json_string_value(json_object_get(field(doc, f->path), "description"));
	_cleanup_free_ char *tail = strdupf("\n\nnanolet: %s", f->text);
	size_t dlen, tlen;

	ck_assert_msg(desc, "%s has no description", f->path);
	dlen = strlen(desc);
	tlen = strlen(tail);
	ck_assert_msg(dlen > tlen && strcmp(desc + dlen - tlen, tail) == 0,
	              "%s: nanolet's words are not after Kubernetes' description: %s", f->path,
	              desc);
	ck_assert_msg(strstr(desc, "nanolet: ") == desc + dlen - tlen + 2, "%s: twice", f->path);
}
END_TEST

/* What a reader of `kubectl explain` checks against: Kubernetes' words, then the plan's. */
START_TEST(test_host_pid_words)
{
	_cleanup_json_ json_t *doc = document("api/v1");
	const char *desc =
	        json_string_value(json_object_get(field(doc, "spec.hostPID"), "description"));

	ck_assert_str_eq(plan_field_explanation("spec.hostPID"), plan_fields[0].text);
	ck_assert_ptr_nonnull(strstr(desc, "Use the host's pid namespace. Optional: Default to "
	                                   "false.\n\nnanolet: true: the pod uses the node's pid "
	                                   "namespace: its containers see every process"));
	ck_assert_ptr_null(plan_field_explanation("spec.dnsPolicy"));
	ck_assert_ptr_null(strstr(
	        json_string_value(json_object_get(field(doc, "spec.dnsPolicy"), "description")),
	        "nanolet"));
}
END_TEST

START_TEST(test_describe_refuses_a_missing_field)
{
	_cleanup_json_ json_t *doc = document("api/v1");

	ck_assert_int_eq(
	        api_openapi_describe(doc, "io.k8s.api.core.v1.Pod", "spec.noSuchField", "x"),
	        -ENOENT);
	ck_assert_int_eq(api_openapi_describe(doc, "io.k8s.api.core.v1.Pod",
	                                      "spec.containers.resources", "x"),
	                 -ENOENT); /* an array without [] */
	ck_assert_int_eq(api_openapi_describe(doc, "NoSuchSchema", "spec", "x"), -ENOENT);
}
END_TEST

/* kubectl: explain finds a kind by x-kubernetes-group-version-kind; create validates on the
 * server once the PATCH of that kind lists fieldValidation (cli-runtime's query param
 * verifier). */
START_TEST(test_what_kubectl_looks_for)
{
	_cleanup_json_ json_t *core = document("api/v1"), *own = document("apis/nanolet.io/v1");
	static const char *const kinds[] = {"Pod",  "PodList",  "Event",     "EventList",
	                                    "Node", "NodeList", "Namespace", "NamespaceList"};
	json_t *patch =
	        json_object_get(json_object_get(json_object_get(core, "paths"),
	                                        "/api/v1/namespaces/{namespace}/pods/{name}"),
	                        "patch");
	json_t *param, *gvk;
	size_t i;
	bool validation = false;

	for (i = 0; i < ELEMENTSOF(kinds); i++) {
		_cleanup_free_ char *name = strdupf("io.k8s.api.core.v1.%s", kinds[i]);

		gvk = json_array_get(
		        json_object_get(schema(core, name), "x-kubernetes-group-version-kind"), 0);
		ck_assert_str_eq(json_string_value(json_object_get(gvk, "kind")), kinds[i]);
		ck_assert_str_eq(json_string_value(json_object_get(gvk, "version")), "v1");
	}
	schema(core, "io.k8s.apimachinery.pkg.apis.meta.v1.Status");
	schema(core, "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions");
	gvk = json_object_get(patch, "x-kubernetes-group-version-kind");
	ck_assert_str_eq(json_string_value(json_object_get(gvk, "kind")), "Pod");
	json_array_foreach(json_object_get(patch, "parameters"), i, param) validation |=
	        strcmp(json_string_value(json_object_get(param, "name")), "fieldValidation") == 0;
	ck_assert(validation);
	gvk = json_array_get(json_object_get(schema(own, "io.nanolet.v1.IsolationPlan"),
	                                     "x-kubernetes-group-version-kind"),
	                     0);
	ck_assert_str_eq(json_string_value(json_object_get(gvk, "group")), "nanolet.io");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("openapi");
	TCase *tc = tcase_create("openapi");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_index);
	tcase_add_loop_test(tc, test_field_texts, 0, (int)plan_n_fields);
	tcase_add_test(tc, test_host_pid_words);
	tcase_add_test(tc, test_describe_refuses_a_missing_field);
	tcase_add_test(tc, test_what_kubectl_looks_for);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
