/* Probes, lifecycle hooks and termination messages in the Pod spec (pkg/spec/probe.c): the API
 * server's defaults in the stored Pod and in the model, and every rule with its field path and
 * words. Rows patch the one container of a minimal Pod. */
#include "check_main.h"
#include <string.h>

#include "spec/spec.h"

/* JSON with ' for " so that rows stay readable. */
static json_t *json_q(const char *text)
{
	_cleanup_free_ char *s = strdup(text);
	json_error_t e;
	json_t *j;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, JSON_DECODE_ANY, &e);
	ck_assert_msg(j, "bad test JSON: %s: %s", text, e.text);
	return j;
}

struct decoded {
	int rc;
	struct spec_pod *pod;
	char **warnings;
	struct nano_err err;
};

/* container: the members after name and command, "" for none; spec: more of the pod's spec */
static void decode(const char *container, const char *spec, struct decoded *d)
{
	_cleanup_free_ char *text = strdupf(
	        "{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'p'}, 'spec': "
	        "{%s%s'containers': [{'name': 'app', 'image': 'host', 'command': ['x']%s%s}]}}",
	        spec ? spec : "", spec ? ", " : "", *container ? ", " : "", container);
	_cleanup_json_ json_t *doc = json_q(text);
	struct spec_decode_options o = {.path_namespace = "default"};

	*d = (struct decoded){0};
	d->rc = spec_pod_decode(doc, &o, &d->pod, &d->warnings, &d->err);
}

static void decoded_done(struct decoded *d)
{
	spec_pod_free(d->pod);
	strv_free(d->warnings);
	nano_err_clear(&d->err);
}

/* ---- the rules, one row each ---------------------------------------------------------------- */

struct rule_row {
	const char *name;
	const char *container;
	const char *spec;   /* NULL: the defaults */
	const char *causes; /* "field: message" joined by " | "; NULL: valid */
};

#define P  "spec.containers[0]."
#define LP P "livenessProbe"
#define RP P "readinessProbe"
#define SP P "startupProbe"

static const struct rule_row rule_rows[] = {
        {"no probes, no hooks", "", NULL, NULL},
        {"an exec liveness probe", "'livenessProbe': {'exec': {'command': ['cat', '/ok']}}", NULL,
         NULL},
        {"every handler of a probe",
         "'readinessProbe': {'httpGet': {'port': 'http', 'host': '198.18.0.1', 'path': '/h', "
         "'scheme': 'HTTPS', 'httpHeaders': [{'name': 'X-A', 'value': 'b'}]}}, 'livenessProbe': "
         "{'tcpSocket': {'port': 80}}, 'startupProbe': {'grpc': {'port': 9090, 'service': "
         "'s'}}",
         NULL, NULL},
        {"a probe needs a handler", "'livenessProbe': {'periodSeconds': 5}", NULL,
         LP ": Required value: must specify a handler type"},
        {"an empty probe needs a handler", "'readinessProbe': {}", NULL,
         RP ": Required value: must specify a handler type"},
        {"a null probe is no probe", "'readinessProbe': null", NULL, NULL},
        {"more than one handler type",
         "'livenessProbe': {'exec': {'command': ['x']}, 'httpGet': {'port': 80}, 'grpc': "
         "{'port': 1}}",
         NULL,
         LP ".httpGet: Forbidden: may not specify more than 1 handler type | " LP
            ".grpc: Forbidden: may not specify more than 1 handler type"},
        {"exec needs a command", "'startupProbe': {'exec': {}}", NULL,
         SP ".exec.command: Required value"},
        {"exec with an empty command", "'startupProbe': {'exec': {'command': []}}", NULL,
         SP ".exec.command: Required value"},
        {"httpGet port absent is 0", "'readinessProbe': {'httpGet': {}}", NULL,
         RP ".httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive"},
        {"httpGet port out of range", "'readinessProbe': {'httpGet': {'port': 65536}}", NULL,
         RP ".httpGet.port: Invalid value: 65536: must be between 1 and 65535, inclusive"},
        {"a port name is an IANA_SVC_NAME", "'readinessProbe': {'tcpSocket': {'port': 'Web--'}}",
         NULL,
         RP ".tcpSocket.port: Invalid value: \"Web--\": must contain only alpha-numeric "
            "characters (a-z, 0-9), and hyphens (-) | " RP
            ".tcpSocket.port: Invalid value: \"Web--\": must not contain consecutive hyphens "
            "| " RP ".tcpSocket.port: Invalid value: \"Web--\": must not begin or end with a "
            "hyphen"},
        {"a port name of digits is a name, as intstr reads it",
         "'livenessProbe': {'tcpSocket': {'port': '8080'}}", NULL,
         LP ".tcpSocket.port: Invalid value: \"8080\": must contain at least one letter "
            "(a-z)"},
        {"a long port name", "'livenessProbe': {'tcpSocket': {'port': 'abcdefghijklmnop'}}", NULL,
         LP ".tcpSocket.port: Invalid value: \"abcdefghijklmnop\": must be no more than 15 "
            "characters"},
        {"a port name need not be a container port (resolved when the probe runs)",
         "'livenessProbe': {'httpGet': {'port': 'metrics'}}", NULL, NULL},
        {"a port that is neither number nor string", "'livenessProbe': {'httpGet': {'port': true}}",
         NULL,
         LP ".httpGet.port: Invalid value: true: must be an integer or string | " LP
            ".httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive"},
        {"grpc takes a number only", "'livenessProbe': {'grpc': {'port': 'grpc'}}", NULL,
         LP ".grpc.port: Invalid value: \"grpc\": must be an integer | " LP
            ".grpc.port: Invalid value: 0: must be between 1 and 65535, inclusive"},
        {"httpGet scheme", "'livenessProbe': {'httpGet': {'port': 80, 'scheme': 'https'}}", NULL,
         LP ".httpGet.scheme: Unsupported value: \"https\": supported values: \"HTTP\", "
            "\"HTTPS\""},
        {"httpGet header names",
         "'livenessProbe': {'httpGet': {'port': 80, 'httpHeaders': [{'name': 'Good-1', "
         "'value': ''}, {'name': 'Bad Name', 'value': 'v'}, {'value': 'v'}]}}",
         NULL,
         LP ".httpGet.httpHeaders: Invalid value: \"Bad Name\": a valid HTTP header must "
            "consist of alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for "
            "validation is '[-A-Za-z0-9]+') | " LP
            ".httpGet.httpHeaders: Invalid value: \"\": a valid HTTP header must consist of "
            "alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used for validation "
            "is '[-A-Za-z0-9]+')"},
        {"negative counts",
         "'readinessProbe': {'exec': {'command': ['x']}, 'initialDelaySeconds': -1, "
         "'timeoutSeconds': -2, 'periodSeconds': -3, 'successThreshold': -4, "
         "'failureThreshold': -5}",
         NULL,
         RP ".initialDelaySeconds: Invalid value: -1: must be greater than or equal to 0 | " RP
            ".timeoutSeconds: Invalid value: -2: must be greater than or equal to 0 | " RP
            ".periodSeconds: Invalid value: -3: must be greater than or equal to 0 | " RP
            ".successThreshold: Invalid value: -4: must be greater than or equal to 0 | " RP
            ".failureThreshold: Invalid value: -5: must be greater than or equal to 0"},
        {"zero counts take the defaults",
         "'readinessProbe': {'exec': {'command': ['x']}, 'timeoutSeconds': 0, "
         "'periodSeconds': 0, 'successThreshold': 0, 'failureThreshold': 0}",
         NULL, NULL},
        {"readiness may succeed more than once",
         "'readinessProbe': {'exec': {'command': ['x']}, 'successThreshold': 3}", NULL, NULL},
        {"liveness successThreshold must be 1",
         "'livenessProbe': {'exec': {'command': ['x']}, 'successThreshold': 2}", NULL,
         LP ".successThreshold: Invalid value: 2: must be 1"},
        {"startup successThreshold must be 1",
         "'startupProbe': {'exec': {'command': ['x']}, 'successThreshold': 5}", NULL,
         SP ".successThreshold: Invalid value: 5: must be 1"},
        {"a negative liveness successThreshold: both rules",
         "'livenessProbe': {'exec': {'command': ['x']}, 'successThreshold': -1}", NULL,
         LP ".successThreshold: Invalid value: -1: must be greater than or equal to 0 | " LP
            ".successThreshold: Invalid value: -1: must be 1"},
        {"probe terminationGracePeriodSeconds on liveness and startup",
         "'livenessProbe': {'exec': {'command': ['x']}, 'terminationGracePeriodSeconds': 5}, "
         "'startupProbe': {'exec': {'command': ['x']}, 'terminationGracePeriodSeconds': 1}",
         NULL, NULL},
        {"probe terminationGracePeriodSeconds must be positive",
         "'livenessProbe': {'exec': {'command': ['x']}, 'terminationGracePeriodSeconds': 0}", NULL,
         LP ".terminationGracePeriodSeconds: Invalid value: 0: must be greater than 0"},
        {"probe terminationGracePeriodSeconds not on readiness",
         "'readinessProbe': {'exec': {'command': ['x']}, 'terminationGracePeriodSeconds': 5}", NULL,
         RP ".terminationGracePeriodSeconds: Invalid value: 5: must not be set for "
            "readinessProbes"},
        {"a probe has no sleep (pruned)", "'livenessProbe': {'sleep': {'seconds': 1}}", NULL,
         LP ": Required value: must specify a handler type"},
        {"hooks: exec, httpGet, sleep",
         "'lifecycle': {'postStart': {'exec': {'command': ['x']}}, 'preStop': {'sleep': "
         "{'seconds': 5}}}",
         NULL, NULL},
        {"a hook httpGet", "'lifecycle': {'preStop': {'httpGet': {'port': 8080, 'path': '/q'}}}",
         NULL, NULL},
        {"a hook tcpSocket is kept, as the API server does",
         "'lifecycle': {'preStop': {'tcpSocket': {'port': 80}}}", NULL, NULL},
        {"a hook has no grpc (pruned)", "'lifecycle': {'postStart': {'grpc': {'port': 1}}}", NULL,
         P "lifecycle.postStart: Required value: must specify a handler type"},
        {"a hook needs a handler", "'lifecycle': {'preStop': {}}", NULL,
         P "lifecycle.preStop: Required value: must specify a handler type"},
        {"an empty lifecycle is fine", "'lifecycle': {}", NULL, NULL},
        {"a hook with two handlers",
         "'lifecycle': {'postStart': {'exec': {'command': ['x']}, 'sleep': {'seconds': 1}}}", NULL,
         P "lifecycle.postStart.sleep: Forbidden: may not specify more than 1 handler type"},
        {"sleep of zero is allowed", "'lifecycle': {'preStop': {'sleep': {'seconds': 0}}}", NULL,
         NULL},
        {"sleep up to the grace period", "'lifecycle': {'preStop': {'sleep': {'seconds': 10}}}",
         "'terminationGracePeriodSeconds': 10", NULL},
        {"sleep past the grace period", "'lifecycle': {'preStop': {'sleep': {'seconds': 11}}}",
         "'terminationGracePeriodSeconds': 10",
         P "lifecycle.preStop.sleep: Invalid value: 11: must be non-negative and less than "
           "terminationGracePeriodSeconds (10)"},
        {"sleep past the default grace period",
         "'lifecycle': {'postStart': {'sleep': {'seconds': 31}}}", NULL,
         P "lifecycle.postStart.sleep: Invalid value: 31: must be non-negative and less than "
           "terminationGracePeriodSeconds (30)"},
        {"negative sleep", "'lifecycle': {'preStop': {'sleep': {'seconds': -1}}}", NULL,
         P "lifecycle.preStop.sleep: Invalid value: -1: must be non-negative and less than "
           "terminationGracePeriodSeconds (30)"},
        {"terminationMessagePolicy values",
         "'terminationMessagePolicy': 'FallbackToLogsOnError', 'terminationMessagePath': "
         "'/tmp/msg'",
         NULL, NULL},
        {"terminationMessagePolicy unknown", "'terminationMessagePolicy': 'Logs'", NULL,
         P "terminationMessagePolicy: Unsupported value: \"Logs\": supported values: "
           "\"File\", \"FallbackToLogsOnError\""},
        {"terminationMessagePath relative", "'terminationMessagePath': 'dev/log'", NULL,
         P "terminationMessagePath: Invalid value: \"dev/log\": must be an absolute path "
           "without '..'"},
        {"terminationMessagePath climbing", "'terminationMessagePath': '/a/../../etc/x'", NULL,
         P "terminationMessagePath: Invalid value: \"/a/../../etc/x\": must be an absolute "
           "path without '..'"},
        {"terminationMessagePath is not the root", "'terminationMessagePath': '/'", NULL,
         P "terminationMessagePath: Invalid value: \"/\": must be an absolute path without "
           "'..'"},
        {"terminationMessagePath of the wrong type", "'terminationMessagePath': 1", NULL,
         P "terminationMessagePath: Invalid value: 1: must be a string"},
        {"every cause at once, in the API server's order",
         "'terminationMessagePolicy': 'x', 'lifecycle': {'preStop': {}}, 'livenessProbe': {}, "
         "'readinessProbe': {}, 'startupProbe': {}",
         NULL,
         P "terminationMessagePolicy: Unsupported value: \"x\": supported values: \"File\", "
           "\"FallbackToLogsOnError\" | " P
           "lifecycle.preStop: Required value: must specify a handler type | " LP
           ": Required value: must specify a handler type | " RP
           ": Required value: must specify a handler type | " SP
           ": Required value: must specify a handler type"},
};

START_TEST(test_rules)
{
	const struct rule_row *row = &rule_rows[_i];
	_cleanup_strv_ char **causes = NULL;
	_cleanup_free_ char *got = NULL;
	struct decoded d;

	decode(row->container, row->spec, &d);
	for (size_t i = 0; i < d.err.n_causes; i++)
		strv_push(&causes,
		          strdupf("%s: %s", d.err.causes[i].field, d.err.causes[i].message));
	got = strv_join(causes, " | ");
	if (!row->causes) {
		ck_assert_msg(d.rc == 0, "%s: rc %d, causes: %s (%s)", row->name, d.rc, got,
		              d.err.message);
		ck_assert_ptr_nonnull(d.pod);
	} else {
		ck_assert_msg(d.rc == -EINVAL, "%s: rc %d (%s)", row->name, d.rc, d.err.message);
		ck_assert_msg(strcmp(got, row->causes) == 0, "%s:\n got  '%s'\n want '%s'",
		              row->name, got, row->causes);
		for (size_t i = 0; i < d.err.n_causes; i++)
			ck_assert_str_ne(d.err.causes[i].reason, "");
	}
	decoded_done(&d);
}
END_TEST

/* ---- defaults: in the stored Pod and in the model ------------------------------------------- */

static json_t *container_json(const struct decoded *d)
{
	return json_array_get(
	        json_object_get(json_object_get(d->pod->object, "spec"), "containers"), 0);
}

static void assert_json(json_t *obj, const char *key, const char *want)
{
	_cleanup_json_ json_t *expected = json_q(want);
	_cleanup_free_ char *got = json_dumps(json_object_get(obj, key),
	                                      JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_COMPACT);
	_cleanup_free_ char *exp =
	        json_dumps(expected, JSON_ENCODE_ANY | JSON_SORT_KEYS | JSON_COMPACT);

	ck_assert_msg(strcmp(got ?: "(none)", exp) == 0, "%s: got %s, want %s", key,
	              got ?: "(none)", exp);
}

START_TEST(test_defaults)
{
	const struct spec_container *c;
	struct decoded d;
	json_t *cj;

	/* no probe at all: the two container defaults every Pod shows */
	decode("", NULL, &d);
	ck_assert_int_eq(d.rc, 0);
	cj = container_json(&d);
	assert_json(cj, "terminationMessagePath", "'/dev/termination-log'");
	assert_json(cj, "terminationMessagePolicy", "'File'");
	c = &d.pod->containers[0];
	ck_assert_str_eq(c->termination_message_path, SPEC_TERMINATION_MESSAGE_PATH);
	ck_assert_int_eq(c->termination_message_policy, SPEC_TERMINATION_MESSAGE_FILE);
	ck_assert_ptr_null(c->liveness_probe);
	ck_assert_ptr_null(c->readiness_probe);
	ck_assert_ptr_null(c->startup_probe);
	ck_assert_ptr_null(c->post_start);
	ck_assert_ptr_null(c->pre_stop);
	ck_assert_ptr_null(json_object_get(cj, "livenessProbe"));
	ck_assert_ptr_null(d.warnings);
	decoded_done(&d);

	/* "" is unset, as Go reads it */
	decode("'terminationMessagePath': '', 'terminationMessagePolicy': ''", NULL, &d);
	ck_assert_int_eq(d.rc, 0);
	assert_json(container_json(&d), "terminationMessagePath", "'/dev/termination-log'");
	assert_json(container_json(&d), "terminationMessagePolicy", "'File'");
	decoded_done(&d);

	decode("'terminationMessagePath': '/run/msg', 'terminationMessagePolicy': "
	       "'FallbackToLogsOnError', "
	       "'livenessProbe': {'httpGet': {'port': 8080}}, "
	       "'readinessProbe': {'grpc': {'port': 9090}, 'initialDelaySeconds': 2, "
	       "'periodSeconds': 0}, "
	       "'startupProbe': {'tcpSocket': {'port': 'web', 'host': '198.18.0.9'}, "
	       "'failureThreshold': 30, 'terminationGracePeriodSeconds': 7}, "
	       "'lifecycle': {'postStart': {'httpGet': {'port': 'web', 'path': ''}}, 'preStop': "
	       "{'exec': {'command': ['sh', '-c', 'kill 1']}}}",
	       NULL, &d);
	ck_assert_msg(d.rc == 0, "%s", d.err.message);
	ck_assert_ptr_null(d.warnings);
	cj = container_json(&d);
	/* SetDefaults_Probe and SetDefaults_HTTPGetAction, as the API answers them */
	assert_json(
	        cj, "livenessProbe",
	        "{'httpGet': {'port': 8080, 'path': '/', 'scheme': 'HTTP'}, 'timeoutSeconds': 1, "
	        "'periodSeconds': 10, 'successThreshold': 1, 'failureThreshold': 3}");
	assert_json(cj, "readinessProbe",
	            "{'grpc': {'port': 9090, 'service': ''}, 'initialDelaySeconds': 2, "
	            "'timeoutSeconds': 1, 'periodSeconds': 10, 'successThreshold': 1, "
	            "'failureThreshold': 3}");
	assert_json(cj, "startupProbe",
	            "{'tcpSocket': {'port': 'web', 'host': '198.18.0.9'}, 'timeoutSeconds': 1, "
	            "'periodSeconds': 10, 'successThreshold': 1, 'failureThreshold': 30, "
	            "'terminationGracePeriodSeconds': 7}");
	assert_json(cj, "lifecycle",
	            "{'postStart': {'httpGet': {'port': 'web', 'path': '/', 'scheme': 'HTTP'}}, "
	            "'preStop': {'exec': {'command': ['sh', '-c', 'kill 1']}}}");
	assert_json(cj, "terminationMessagePath", "'/run/msg'");

	c = &d.pod->containers[0];
	ck_assert_str_eq(c->termination_message_path, "/run/msg");
	ck_assert_int_eq(c->termination_message_policy,
	                 SPEC_TERMINATION_MESSAGE_FALLBACK_TO_LOGS_ON_ERROR);

	ck_assert_ptr_nonnull(c->liveness_probe);
	ck_assert_int_eq(c->liveness_probe->handler.type, SPEC_HANDLER_HTTP_GET);
	ck_assert_int_eq(c->liveness_probe->handler.port, 8080);
	ck_assert_ptr_null(c->liveness_probe->handler.port_name);
	ck_assert_str_eq(c->liveness_probe->handler.path, "/");
	ck_assert(!c->liveness_probe->handler.https);
	ck_assert_ptr_null(c->liveness_probe->handler.host);
	ck_assert_int_eq(c->liveness_probe->initial_delay_seconds, 0);
	ck_assert_int_eq(c->liveness_probe->timeout_seconds, 1);
	ck_assert_int_eq(c->liveness_probe->period_seconds, 10);
	ck_assert_int_eq(c->liveness_probe->success_threshold, 1);
	ck_assert_int_eq(c->liveness_probe->failure_threshold, 3);
	ck_assert_int_eq(c->liveness_probe->termination_grace_period_seconds, SPEC_UNSET);

	ck_assert_int_eq(c->readiness_probe->handler.type, SPEC_HANDLER_GRPC);
	ck_assert_int_eq(c->readiness_probe->handler.port, 9090);
	ck_assert_str_eq(c->readiness_probe->handler.service, "");
	ck_assert_int_eq(c->readiness_probe->initial_delay_seconds, 2);
	ck_assert_int_eq(c->readiness_probe->period_seconds, 10);

	ck_assert_int_eq(c->startup_probe->handler.type, SPEC_HANDLER_TCP_SOCKET);
	ck_assert_int_eq(c->startup_probe->handler.port, 0);
	ck_assert_str_eq(c->startup_probe->handler.port_name, "web");
	ck_assert_str_eq(c->startup_probe->handler.host, "198.18.0.9");
	ck_assert_int_eq(c->startup_probe->failure_threshold, 30);
	ck_assert_int_eq(c->startup_probe->termination_grace_period_seconds, 7);

	ck_assert_int_eq(c->post_start->type, SPEC_HANDLER_HTTP_GET);
	ck_assert_str_eq(c->post_start->port_name, "web");
	ck_assert_str_eq(c->post_start->path, "/");
	ck_assert_int_eq(c->pre_stop->type, SPEC_HANDLER_EXEC);
	ck_assert_int_eq(strv_len(c->pre_stop->command), 3);
	ck_assert_str_eq(c->pre_stop->command[2], "kill 1");
	decoded_done(&d);
}
END_TEST

START_TEST(test_model)
{
	const struct spec_handler *h;
	struct decoded d;

	decode("'readinessProbe': {'httpGet': {'port': 443, 'scheme': 'HTTPS', 'host': "
	       "'localhost', 'path': '/healthz?x=1', 'httpHeaders': [{'name': 'Host', 'value': "
	       "'example.test'}, {'name': 'X-Empty'}]}, 'timeoutSeconds': 4, 'successThreshold': "
	       "2}, "
	       "'lifecycle': {'preStop': {'sleep': {'seconds': 3}}, 'postStart': {'tcpSocket': "
	       "{'port': 22}}}, 'livenessProbe': {'exec': {'command': ['true']}}",
	       NULL, &d);
	ck_assert_msg(d.rc == 0, "%s", d.err.message);
	h = &d.pod->containers[0].readiness_probe->handler;
	ck_assert_int_eq(h->type, SPEC_HANDLER_HTTP_GET);
	ck_assert(h->https);
	ck_assert_str_eq(h->host, "localhost");
	ck_assert_str_eq(h->path, "/healthz?x=1");
	ck_assert_uint_eq(h->n_headers, 2);
	ck_assert_str_eq(h->headers[0].name, "Host");
	ck_assert_str_eq(h->headers[0].value, "example.test");
	ck_assert_str_eq(h->headers[1].name, "X-Empty");
	ck_assert_str_eq(h->headers[1].value, "");
	ck_assert_int_eq(d.pod->containers[0].readiness_probe->timeout_seconds, 4);
	ck_assert_int_eq(d.pod->containers[0].readiness_probe->success_threshold, 2);
	ck_assert_int_eq(d.pod->containers[0].pre_stop->type, SPEC_HANDLER_SLEEP);
	ck_assert_int_eq(d.pod->containers[0].pre_stop->sleep_seconds, 3);
	ck_assert_int_eq(d.pod->containers[0].post_start->type, SPEC_HANDLER_TCP_SOCKET);
	ck_assert_int_eq(d.pod->containers[0].post_start->port, 22);
	ck_assert_int_eq(d.pod->containers[0].liveness_probe->handler.type, SPEC_HANDLER_EXEC);
	ck_assert_str_eq(d.pod->containers[0].liveness_probe->handler.command[0], "true");
	ck_assert_ptr_null(d.pod->containers[0].liveness_probe->handler.command[1]);
	decoded_done(&d);
}
END_TEST

/* The fields were once ignored with a warning; now nothing is said, but lifecycle.stopSignal
 * still is, and the wrong shapes are type errors. */
START_TEST(test_warnings_and_types)
{
	struct decoded d;

	decode("'livenessProbe': {'exec': {'command': ['x']}}, 'lifecycle': {'stopSignal': "
	       "'SIGUSR1'}, 'readinessProbe': {'exec': {'command': ['x']}, 'colour': 1}",
	       NULL, &d);
	ck_assert_msg(d.rc == 0, "%s", d.err.message);
	ck_assert_int_eq(strv_len(d.warnings), 2);
	ck_assert(strv_contains(d.warnings, "spec.containers[0].lifecycle.stopSignal: not "
	                                    "implemented by nanolet; ignored"));
	ck_assert(strv_contains(d.warnings,
	                        "unknown field \"spec.containers[0].readinessProbe.colour\""));
	decoded_done(&d);

	decode("'livenessProbe': 'cat /ok', 'lifecycle': []", NULL, &d);
	ck_assert_int_eq(d.rc, -EINVAL);
	ck_assert_uint_eq(d.err.n_causes, 2);
	ck_assert_str_eq(d.err.causes[0].field, "spec.containers[0].livenessProbe");
	ck_assert_str_eq(d.err.causes[0].message, "Invalid value: \"cat /ok\": must be an object");
	ck_assert_str_eq(d.err.causes[1].field, "spec.containers[0].lifecycle");
	decoded_done(&d);
}
END_TEST

static Suite *probe_spec_suite(void)
{
	Suite *s = suite_create("probe_spec");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_rules, 0, (int)ELEMENTSOF(rule_rows));
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_model);
	tcase_add_test(tc, test_warnings_and_types);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(probe_spec_suite());
}
