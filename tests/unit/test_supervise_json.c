#include "check_main.h"
/* tests/unit/test_supervise_json.c: the core/v1 PodStatus that pkg/supervise prints — golden
 * documents for a Running and a Succeeded pod (field order included: the goldens are written
 * by hand in the API's order and compared as compact text), the container states the kubelet
 * writes for CrashLoopBackOff, StartError and a lost shim, and the RFC 3339 formatter.
 */
#include "supervise_fixture.h"

#include <stdlib.h>

/* Compact text of the golden (parsed, so it may be written readably) against ours. */
static void assert_json(json_t *got, const char *golden)
{
	json_error_t error;
	_cleanup_json_ json_t *want = json_loads(golden, 0, &error);
	_cleanup_free_ char *got_text = NULL, *want_text = NULL;

	ck_assert_msg(want, "golden: %s (line %d)", error.text, error.line);
	ck_assert_ptr_nonnull(got);
	got_text = json_dumps(got, JSON_COMPACT);
	want_text = json_dumps(want, JSON_COMPACT);
	ck_assert_str_eq(got_text, want_text);
}

static const char golden_running[] =
        "{\n"
        "  \"phase\": \"Running\",\n"
        "  \"conditions\": [\n"
        "    {\"type\": \"PodReadyToStartContainers\", \"status\": \"True\", "
        "\"lastProbeTime\": null, \"lastTransitionTime\": \"2024-05-01T12:00:01Z\"},\n"
        "    {\"type\": \"Initialized\", \"status\": \"True\", "
        "\"lastProbeTime\": null, \"lastTransitionTime\": \"2024-05-01T12:00:00Z\"},\n"
        "    {\"type\": \"Ready\", \"status\": \"True\", "
        "\"lastProbeTime\": null, \"lastTransitionTime\": \"2024-05-01T12:00:03Z\"},\n"
        "    {\"type\": \"ContainersReady\", \"status\": \"True\", "
        "\"lastProbeTime\": null, \"lastTransitionTime\": \"2024-05-01T12:00:03Z\"},\n"
        "    {\"type\": \"PodScheduled\", \"status\": \"True\", "
        "\"lastProbeTime\": null, \"lastTransitionTime\": \"2024-05-01T12:00:00Z\"}\n"
        "  ],\n"
        "  \"hostIP\": \"192.168.1.10\",\n"
        "  \"hostIPs\": [{\"ip\": \"192.168.1.10\"}],\n"
        "  \"startTime\": \"2024-05-01T12:00:00Z\",\n"
        "  \"containerStatuses\": [\n"
        "    {\"name\": \"app\",\n"
        "     \"state\": {\"running\": {\"startedAt\": \"2024-05-01T12:00:02Z\"}},\n"
        "     \"lastState\": {}, \"ready\": true, \"restartCount\": 0,\n"
        "     \"image\": \"alpine\", \"imageID\": \"\", \"containerID\": \"nanolet://abc\",\n"
        "     \"started\": true},\n"
        "    {\"name\": \"sidecar\",\n"
        "     \"state\": {\"running\": {\"startedAt\": \"2024-05-01T12:00:03Z\"}},\n"
        "     \"lastState\": {}, \"ready\": true, \"restartCount\": 0,\n"
        "     \"image\": \"busybox\", \"imageID\": \"\", \"containerID\": \"nanolet://def\",\n"
        "     \"started\": true}\n"
        "  ],\n"
        "  \"qosClass\": \"BestEffort\"\n"
        "}\n";

START_TEST(test_golden_running)
{
	static const char *const names[] = {"app", "sidecar"}, *const images[] = {"alpine",
	                                                                          "busybox"};
	_cleanup_json_ json_t *status = NULL;
	struct fixture f;
	struct sup_pod *pod =
	        fixture_pod_named(&f, SPEC_RESTART_ALWAYS, 2, names, images, "192.168.1.10");

	ev_sandbox(pod, T0 + 1);
	ev_start(pod, 0, "abc", T0 + 2);
	ev_start(pod, 1, "def", T0 + 3);
	status = sup_pod_status_json(pod);
	assert_json(status, golden_running);
	fixture_done(&f);
}
END_TEST

static const char golden_succeeded[] =
        "{\n"
        "  \"phase\": \"Succeeded\",\n"
        "  \"conditions\": [\n"
        "    {\"type\": \"PodReadyToStartContainers\", \"status\": \"True\", "
        "\"lastProbeTime\": null, \"lastTransitionTime\": \"2024-05-01T12:00:01Z\"},\n"
        "    {\"type\": \"Initialized\", \"status\": \"True\", "
        "\"lastProbeTime\": null, \"lastTransitionTime\": \"2024-05-01T12:00:00Z\", "
        "\"reason\": \"PodCompleted\"},\n"
        "    {\"type\": \"Ready\", \"status\": \"False\", "
        "\"lastProbeTime\": null, \"lastTransitionTime\": \"2024-05-01T12:00:12Z\", "
        "\"reason\": \"PodCompleted\"},\n"
        "    {\"type\": \"ContainersReady\", \"status\": \"False\", "
        "\"lastProbeTime\": null, \"lastTransitionTime\": \"2024-05-01T12:00:12Z\", "
        "\"reason\": \"PodCompleted\"},\n"
        "    {\"type\": \"PodScheduled\", \"status\": \"True\", "
        "\"lastProbeTime\": null, \"lastTransitionTime\": \"2024-05-01T12:00:00Z\"}\n"
        "  ],\n"
        "  \"hostIP\": \"10.0.0.5\",\n"
        "  \"hostIPs\": [{\"ip\": \"10.0.0.5\"}],\n"
        "  \"startTime\": \"2024-05-01T12:00:00Z\",\n"
        "  \"containerStatuses\": [\n"
        "    {\"name\": \"job\",\n"
        "     \"state\": {\"terminated\": {\"exitCode\": 0, \"reason\": \"Completed\",\n"
        "       \"startedAt\": \"2024-05-01T12:00:02Z\", \"finishedAt\": "
        "\"2024-05-01T12:00:12Z\",\n"
        "       \"containerID\": \"nanolet://j1\"}},\n"
        "     \"lastState\": {}, \"ready\": false, \"restartCount\": 0,\n"
        "     \"image\": \"alpine\", \"imageID\": \"\", \"containerID\": \"nanolet://j1\",\n"
        "     \"started\": false}\n"
        "  ],\n"
        "  \"qosClass\": \"BestEffort\"\n"
        "}\n";

START_TEST(test_golden_succeeded)
{
	static const char *const names[] = {"job"};
	_cleanup_json_ json_t *status = NULL;
	struct fixture f;
	struct sup_pod *pod = fixture_pod_named(&f, SPEC_RESTART_NEVER, 1, names, NULL, "10.0.0.5");

	ev_sandbox(pod, T0 + 1);
	ev_start(pod, 0, "j1", T0 + 2);
	ev_exit(pod, 0, 0, T0 + 12);
	status = sup_pod_status_json(pod);
	assert_json(status, golden_succeeded);
	fixture_done(&f);
}
END_TEST

/* ---- container states ----------------------------------------------------------------------- */

static json_t *container_status(json_t *status, size_t i)
{
	return json_array_get(json_object_get(status, "containerStatuses"), i);
}

START_TEST(test_json_crashloop)
{
	_cleanup_json_ json_t *status = NULL;
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, SPEC_RESTART_ALWAYS, 1);

	ev_start(pod, 0, "c1", T0 + 1);
	ev_exit(pod, 0, 1, T0 + 2);
	ev_start(pod, 0, "c2", T0 + 2);
	ev_exit(pod, 0, 2, T0 + 5);
	status = sup_pod_status_json(pod);
	ck_assert_ptr_null(json_object_get(status, "hostIP"));
	ck_assert_ptr_null(json_object_get(status, "hostIPs"));
	assert_json(
	        container_status(status, 0),
	        "{\"name\": \"a\", \"state\": {\"waiting\": {\"reason\": \"CrashLoopBackOff\", "
	        "\"message\": \"back-off 10s restarting failed container=a "
	        "pod=web_default(uid-1)\"}}, "
	        "\"lastState\": {\"terminated\": {\"exitCode\": 2, \"reason\": \"Error\", "
	        "\"startedAt\": \"2024-05-01T12:00:02Z\", \"finishedAt\": "
	        "\"2024-05-01T12:00:05Z\", \"containerID\": \"nanolet://c2\"}}, "
	        "\"ready\": false, \"restartCount\": 1, \"image\": \"alpine\", \"imageID\": \"\", "
	        "\"containerID\": \"nanolet://c2\", \"started\": false}");
	fixture_done(&f);
}
END_TEST

START_TEST(test_json_start_error_and_signal)
{
	_cleanup_json_ json_t *status = NULL;
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, SPEC_RESTART_NEVER, 2);
	struct sup_exit oom = {
	        .exit_code = 137, .signal = 9, .finished_at = T0 + 3, .reason = "OOMKilled"};

	ck_assert_int_eq(sup_container_start_failed(pod, 0, "s1", "exec: no such file", T0 + 1,
	                                            &default_cfg),
	                 0);
	ev_start(pod, 1, "o1", T0 + 1);
	ck_assert_int_eq(sup_container_exited(pod, 1, &oom, &default_cfg), 0);
	status = sup_pod_status_json(pod);
	ck_assert_str_eq(json_string_value(json_object_get(status, "phase")), "Failed");
	assert_json(
	        json_object_get(container_status(status, 0), "state"),
	        "{\"terminated\": {\"exitCode\": 128, \"reason\": \"StartError\", \"message\": "
	        "\"exec: no such file\", \"startedAt\": \"1970-01-01T00:00:00Z\", "
	        "\"finishedAt\": \"2024-05-01T12:00:01Z\", \"containerID\": \"nanolet://s1\"}}");
	assert_json(
	        json_object_get(container_status(status, 1), "state"),
	        "{\"terminated\": {\"exitCode\": 137, \"signal\": 9, \"reason\": \"OOMKilled\", "
	        "\"startedAt\": \"2024-05-01T12:00:01Z\", \"finishedAt\": "
	        "\"2024-05-01T12:00:03Z\", \"containerID\": \"nanolet://o1\"}}");
	fixture_done(&f);
}
END_TEST

START_TEST(test_json_shim_died)
{
	_cleanup_json_ json_t *status = NULL;
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, SPEC_RESTART_NEVER, 1);

	ev_sandbox(pod, T0);
	ev_start(pod, 0, "u1", T0 + 1);
	ck_assert_int_eq(sup_pod_shim_died(pod, T0 + 2, &default_cfg), 0);
	status = sup_pod_status_json(pod);
	assert_json(
	        container_status(status, 0),
	        "{\"name\": \"a\", \"state\": {\"terminated\": {\"exitCode\": 137, \"reason\": "
	        "\"ContainerStatusUnknown\", \"message\": \"The container could not be located "
	        "when the pod was terminated\", \"startedAt\": null, \"finishedAt\": null}}, "
	        "\"lastState\": {}, \"ready\": false, \"restartCount\": 1, \"image\": "
	        "\"alpine\", \"imageID\": \"\", \"containerID\": \"nanolet://u1\", \"started\": "
	        "false}");
	assert_json(json_array_get(json_object_get(status, "conditions"), 0),
	            "{\"type\": \"PodReadyToStartContainers\", \"status\": \"False\", "
	            "\"lastProbeTime\": null, \"lastTransitionTime\": \"2024-05-01T12:00:02Z\"}");
	fixture_done(&f);
}
END_TEST

START_TEST(test_json_pending)
{
	_cleanup_json_ json_t *status = NULL;
	struct fixture f;
	struct sup_pod *pod = fixture_pod(&f, SPEC_RESTART_ALWAYS, 2);

	ck_assert_int_eq(sup_container_not_created(pod, 1, "ErrImageNeverPull", "no rootfs", T0 + 1,
	                                           &default_cfg),
	                 0);
	status = sup_pod_status_json(pod);
	ck_assert_str_eq(json_string_value(json_object_get(status, "phase")), "Pending");
	assert_json(
	        json_array_get(json_object_get(status, "conditions"), 2),
	        "{\"type\": \"Ready\", \"status\": \"False\", \"lastProbeTime\": null, "
	        "\"lastTransitionTime\": \"2024-05-01T12:00:00Z\", \"reason\": "
	        "\"ContainersNotReady\", \"message\": \"containers with unready status: [a b]\"}");
	assert_json(
	        container_status(status, 0),
	        "{\"name\": \"a\", \"state\": {\"waiting\": {\"reason\": \"ContainerCreating\"}}, "
	        "\"lastState\": {}, \"ready\": false, \"restartCount\": 0, \"image\": "
	        "\"alpine\", \"imageID\": \"\", \"started\": false}");
	assert_json(
	        json_object_get(container_status(status, 1), "state"),
	        "{\"waiting\": {\"reason\": \"ErrImageNeverPull\", \"message\": \"no rootfs\"}}");
	fixture_done(&f);
}
END_TEST

/* ---- RFC 3339 ----------------------------------------------------------------------------- */

static const struct {
	int64_t t;
	const char *text;
} time_rows[] = {
        {0, "1970-01-01T00:00:00Z"},
        {T0, "2024-05-01T12:00:00Z"},
        {951782400, "2000-02-29T00:00:00Z"},
        {-1, "1969-12-31T23:59:59Z"},
        {INT64_C(253402300799), "9999-12-31T23:59:59Z"},
};

START_TEST(test_rfc3339)
{
	struct timespec ts = {.tv_sec = (time_t)time_rows[_i].t};
	char buf[UTIL_RFC3339_SIZE];

	/* PodStatus times are util_rfc3339 in whole seconds */
	ck_assert_int_gt(util_rfc3339(buf, sizeof(buf), &ts, false), 0);
	ck_assert_str_eq(buf, time_rows[_i].text);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("supervise_json");
	TCase *tc = tcase_create("json");

	tcase_add_loop_test(tc, test_rfc3339, 0, ELEMENTSOF(time_rows));
	tcase_add_test(tc, test_golden_running);
	tcase_add_test(tc, test_golden_succeeded);
	tcase_add_test(tc, test_json_crashloop);
	tcase_add_test(tc, test_json_start_error_and_signal);
	tcase_add_test(tc, test_json_shim_died);
	tcase_add_test(tc, test_json_pending);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
