/* pkg/spec/probe.c: a container's livenessProbe, readinessProbe, startupProbe, lifecycle hooks
 * (postStart, preStop) and terminationMessagePath/Policy.
 *
 * Three jobs, as for the rest of the Pod: the API server's defaults written into the container's
 * JSON (SetDefaults_Probe, SetDefaults_HTTPGetAction, SetDefaults_Container, the generated
 * default of grpc.service), so that the stored Pod shows them; the fields read into struct
 * spec_probe / spec_handler; and the API server's rules (validateProbe, validateHandler,
 * validateHTTPGetAction, ValidatePortNumOrName, validateSleepAction, validateLivenessProbe, ...)
 * with its words and field paths, every cause collected. A port by name is only checked to be a
 * valid IANA_SVC_NAME here, as the API server does: the kubelet resolves it against the
 * container's ports when the probe runs. Pure: no I/O.
 */
#include <inttypes.h>
#include <string.h>

#include "schema.h"
#include "validate.h"

/* ---- defaults ------------------------------------------------------------------------------ */

/* Go's zero value is "unset": absent, null and 0 take the default. */
static void default_int(json_t *obj, const char *key, json_int_t value)
{
	json_t *cur = json_object_get(obj, key);

	if (!cur || json_is_null(cur) || (schema_json_is_int(cur) && json_number_value(cur) == 0))
		json_object_set_new(obj, key, json_integer(value));
}

/* absent, null and "" take the default */
static void default_string(json_t *obj, const char *key, const char *value)
{
	json_t *cur = json_object_get(obj, key);

	if (!cur || json_is_null(cur) || (json_is_string(cur) && !*json_string_value(cur)))
		json_object_set_new(obj, key, json_string(value));
}

static void default_http_get(json_t *handler)
{
	json_t *http = json_object_get(handler, "httpGet");

	if (!json_is_object(http))
		return;
	default_string(http, "path", "/");
	default_string(http, "scheme", "HTTP");
}

static void default_probe(json_t *p)
{
	json_t *grpc = json_object_get(p, "grpc");

	if (!json_is_object(p))
		return;
	default_int(p, "timeoutSeconds", 1);
	default_int(p, "periodSeconds", 10);
	default_int(p, "successThreshold", 1);
	default_int(p, "failureThreshold", 3);
	default_http_get(p);
	/* GRPCAction.Service is +default="": absent reads as the server's overall health */
	if (json_is_object(grpc)) {
		json_t *service = json_object_get(grpc, "service");

		if (!service || json_is_null(service))
			json_object_set_new(grpc, "service", json_string(""));
	}
}

void spec_container_default_probes(json_t *c)
{
	json_t *lifecycle = json_object_get(c, "lifecycle");

	if (!json_is_object(c))
		return;
	default_string(c, "terminationMessagePath", SPEC_TERMINATION_MESSAGE_PATH);
	default_string(c, "terminationMessagePolicy", "File");
	default_probe(json_object_get(c, "livenessProbe"));
	default_probe(json_object_get(c, "readinessProbe"));
	default_probe(json_object_get(c, "startupProbe"));
	if (json_is_object(lifecycle)) {
		default_http_get(json_object_get(lifecycle, "postStart"));
		default_http_get(json_object_get(lifecycle, "preStop"));
	}
}

/* ---- reading and the rules --------------------------------------------------------------- */

/* A cause at "<path>.<key>" (key NULL: at path). */
static void cause(struct nano_err *causes, const char *path, const char *key, const char *reason,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void cause(struct nano_err *causes, const char *path, const char *key, const char *reason,
                  const char *fmt, ...)
{
	_cleanup_free_ char *message = NULL;
	char field[SCHEMA_PATH_MAX];
	va_list ap;

	snprintf(field, sizeof(field), "%s%s%s", path, key ? "." : "", key ? key : "");
	va_start(ap, fmt);
	if (vasprintf(&message, fmt, ap) < 0)
		message = NULL;
	va_end(ap);
	nano_err_cause(causes, field, reason, "%s", message ? message : "?");
}

/* An integer field; dflt when absent or not an integer (schema.c reported the type). */
static int64_t int_field(json_t *obj, const char *key, int64_t dflt)
{
	json_t *v = json_object_get(obj, key);

	if (!schema_json_is_int(v))
		return dflt;
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : (int64_t)json_real_value(v);
}

static char *string_field(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? strdup(s) : NULL;
}

static void check_port_number(struct nano_err *causes, const char *path, int64_t port)
{
	if (port < 1 || port > 65535)
		cause(causes, path, "port", "FieldValueInvalid",
		      "Invalid value: %" PRId64 ": must be between 1 and 65535, inclusive", port);
}

/* ValidatePortNumOrName: a number in 1..65535 (absent is 0), or an IANA_SVC_NAME. A JSON string
 * is a name even when it is all digits, as intstr reads it. */
static void read_port(json_t *action, const char *path, bool number_only, struct spec_handler *out,
                      struct nano_err *causes)
{
	json_t *v = json_object_get(action, "port");
	char field[SCHEMA_PATH_MAX];

	if (!number_only && json_is_string(v)) {
		out->port = 0;
		out->port_name = strdup(json_string_value(v));
		snprintf(field, sizeof(field), "%s.port", path);
		validate_port_name(causes, field, json_string_value(v));
		return;
	}
	out->port = int_field(action, "port", 0);
	check_port_number(causes, path, out->port);
}

static char **read_command(json_t *exec)
{
	json_t *arr = json_object_get(exec, "command"), *item;
	char **l = calloc(1, sizeof(char *));
	size_t i, n = 0;

	json_array_foreach(arr, i, item)
	{
		if (l && json_is_string(item) &&
		    strv_append(&l, &n, strdup(json_string_value(item))) < 0)
			break;
	}
	return l;
}

/* IsHTTPHeaderName: [-A-Za-z0-9]+ */
static bool http_header_name_valid(const char *s)
{
	size_t n = strlen(s);

	return n > 0 &&
	       strspn(s, "-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == n;
}

static void read_http_get(json_t *http, const char *path, struct spec_handler *out,
                          struct nano_err *causes)
{
	json_t *headers = json_object_get(http, "httpHeaders"), *h;
	const char *scheme = json_string_value(json_object_get(http, "scheme"));
	size_t i;

	out->path = string_field(http, "path");
	out->host = string_field(http, "host");
	if (!out->path || !*out->path)
		cause(causes, path, "path", "FieldValueRequired", "Required value");
	read_port(http, path, false, out, causes);
	out->https = scheme && strcmp(scheme, "HTTPS") == 0;
	if (!scheme || (strcmp(scheme, "HTTP") != 0 && strcmp(scheme, "HTTPS") != 0))
		cause(causes, path, "scheme", "FieldValueNotSupported",
		      "Unsupported value: \"%s\": supported values: \"HTTP\", \"HTTPS\"",
		      scheme ? scheme : "");
	if (!json_is_array(headers) || json_array_size(headers) == 0)
		return;
	out->headers = calloc(json_array_size(headers), sizeof(*out->headers));
	json_array_foreach(headers, i, h)
	{
		struct spec_http_header *header;

		if (!out->headers || !json_is_object(h))
			continue;
		header = &out->headers[out->n_headers++];
		header->name = strdup(json_string_value(json_object_get(h, "name")) ?: "");
		header->value = strdup(json_string_value(json_object_get(h, "value")) ?: "");
		/* the API server names the list, not the entry */
		if (header->name && !http_header_name_valid(header->name))
			cause(causes, path, "httpHeaders", "FieldValueInvalid",
			      "Invalid value: \"%s\": a valid HTTP header must consist of "
			      "alphanumeric characters or '-' (e.g. 'X-Header-Name', regex used "
			      "for validation is '[-A-Za-z0-9]+')",
			      header->name);
	}
}

static const struct {
	const char *key;
	enum spec_handler_type type;
} handler_kinds[] = {
        {"exec", SPEC_HANDLER_EXEC},
        {"httpGet", SPEC_HANDLER_HTTP_GET},
        {"tcpSocket", SPEC_HANDLER_TCP_SOCKET},
        {"grpc", SPEC_HANDLER_GRPC},
        {"sleep", SPEC_HANDLER_SLEEP},
};

/* validateHandler: exactly one action (schema.c pruned those the context has not: grpc in a
 * hook, sleep in a probe), then that action's rules. grace bounds a sleep. */
static void read_handler(json_t *obj, const char *path, int64_t grace, struct spec_handler *out,
                         struct nano_err *causes)
{
	char sub[SCHEMA_PATH_MAX];
	size_t n = 0;

	for (size_t k = 0; k < ELEMENTSOF(handler_kinds); k++) {
		json_t *action = json_object_get(obj, handler_kinds[k].key);

		if (!json_is_object(action))
			continue;
		if (n++ > 0) {
			cause(causes, path, handler_kinds[k].key, "FieldValueForbidden",
			      "Forbidden: may not specify more than 1 handler type");
			continue;
		}
		snprintf(sub, sizeof(sub), "%s.%s", path, handler_kinds[k].key);
		out->type = handler_kinds[k].type;
		switch (out->type) {
		case SPEC_HANDLER_EXEC:
			out->command = read_command(action);
			if (strv_len(out->command) == 0)
				cause(causes, sub, "command", "FieldValueRequired",
				      "Required value");
			break;
		case SPEC_HANDLER_HTTP_GET:
			read_http_get(action, sub, out, causes);
			break;
		case SPEC_HANDLER_TCP_SOCKET:
			out->host = string_field(action, "host");
			read_port(action, sub, false, out, causes);
			break;
		case SPEC_HANDLER_GRPC:
			out->service = string_field(action, "service");
			read_port(action, sub, true, out, causes);
			break;
		case SPEC_HANDLER_SLEEP:
			out->sleep_seconds = int_field(action, "seconds", 0);
			/* PodLifecycleSleepActionAllowZero (on since 1.33): 0 is allowed */
			if (out->sleep_seconds < 0 || out->sleep_seconds > grace)
				cause(causes, sub, NULL, "FieldValueInvalid",
				      "Invalid value: %" PRId64 ": must be non-negative and less "
				      "than terminationGracePeriodSeconds (%" PRId64 ")",
				      out->sleep_seconds, grace);
			break;
		}
	}
	if (n == 0)
		cause(causes, path, NULL, "FieldValueRequired",
		      "Required value: must specify a handler type");
}

enum probe_kind { PROBE_LIVENESS, PROBE_READINESS, PROBE_STARTUP };

/* validateProbe, then validateLivenessProbe/validateReadinessProbe/validateStartupProbe. After
 * the defaults a count can only be 0 in initialDelaySeconds; a negative one is refused
 * (ValidateNonnegativeField), so periods, timeouts and thresholds are at least 1. */
static struct spec_probe *read_probe(json_t *c, const char *container_path, const char *key,
                                     enum probe_kind kind, int64_t grace, struct nano_err *causes)
{
	static const char *const counts[] = {"initialDelaySeconds", "timeoutSeconds",
	                                     "periodSeconds", "successThreshold",
	                                     "failureThreshold"};
	json_t *p = json_object_get(c, key);
	char path[SCHEMA_PATH_MAX];
	struct spec_probe *probe;
	int64_t values[ELEMENTSOF(counts)];
	json_t *grace_json;

	if (!json_is_object(p))
		return NULL;
	probe = calloc(1, sizeof(*probe));
	if (!probe)
		return NULL;
	snprintf(path, sizeof(path), "%s.%s", container_path, key);
	read_handler(p, path, grace, &probe->handler, causes);
	for (size_t i = 0; i < ELEMENTSOF(counts); i++) {
		values[i] = int_field(p, counts[i], 0);
		if (values[i] < 0)
			cause(causes, path, counts[i], "FieldValueInvalid",
			      "Invalid value: %" PRId64 ": must be greater than or equal to 0",
			      values[i]);
	}
	probe->initial_delay_seconds = values[0];
	probe->timeout_seconds = values[1];
	probe->period_seconds = values[2];
	probe->success_threshold = values[3];
	probe->failure_threshold = values[4];
	probe->termination_grace_period_seconds = SPEC_UNSET;
	grace_json = json_object_get(p, "terminationGracePeriodSeconds");
	if (schema_json_is_int(grace_json)) {
		int64_t v = int_field(p, "terminationGracePeriodSeconds", 0);

		if (v <= 0)
			cause(causes, path, "terminationGracePeriodSeconds", "FieldValueInvalid",
			      "Invalid value: %" PRId64 ": must be greater than 0", v);
		else
			probe->termination_grace_period_seconds = v;
		if (kind == PROBE_READINESS)
			cause(causes, path, "terminationGracePeriodSeconds", "FieldValueInvalid",
			      "Invalid value: %" PRId64 ": must not be set for readinessProbes", v);
	}
	if (kind != PROBE_READINESS && probe->success_threshold != 1)
		cause(causes, path, "successThreshold", "FieldValueInvalid",
		      "Invalid value: %" PRId64 ": must be 1", probe->success_threshold);
	return probe;
}

static struct spec_handler *read_hook(json_t *lifecycle, const char *container_path,
                                      const char *key, int64_t grace, struct nano_err *causes)
{
	json_t *h = json_object_get(lifecycle, key);
	char path[SCHEMA_PATH_MAX];
	struct spec_handler *handler;

	if (!json_is_object(h))
		return NULL;
	handler = calloc(1, sizeof(*handler));
	if (!handler)
		return NULL;
	snprintf(path, sizeof(path), "%s.lifecycle.%s", container_path, key);
	read_handler(h, path, grace, handler, causes);
	return handler;
}

/* terminationMessagePolicy by validateContainerCommon. terminationMessagePath: the API server
 * takes any string; nanolet bind-mounts a file there, so it must be an absolute path of a file
 * (not "/") that does not climb. */
static void read_termination_message(json_t *c, const char *path, struct spec_container *out,
                                     struct nano_err *causes)
{
	const char *policy = json_string_value(json_object_get(c, "terminationMessagePolicy"));
	const char *p;

	out->termination_message_path =
	        strdup(json_string_value(json_object_get(c, "terminationMessagePath"))
	                       ?: SPEC_TERMINATION_MESSAGE_PATH);
	p = out->termination_message_path;
	if (p && (p[0] != '/' || !p[1] || !validate_descending_path(p + 1)))
		cause(causes, path, "terminationMessagePath", "FieldValueInvalid",
		      "Invalid value: \"%s\": must be an absolute path without '..'", p);
	out->termination_message_policy = SPEC_TERMINATION_MESSAGE_FILE;
	if (!policy || !*policy)
		cause(causes, path, "terminationMessagePolicy", "FieldValueRequired",
		      "Required value");
	else if (strcmp(policy, "FallbackToLogsOnError") == 0)
		out->termination_message_policy =
		        SPEC_TERMINATION_MESSAGE_FALLBACK_TO_LOGS_ON_ERROR;
	else if (strcmp(policy, "File") != 0)
		cause(causes, path, "terminationMessagePolicy", "FieldValueNotSupported",
		      "Unsupported value: \"%s\": supported values: \"File\", "
		      "\"FallbackToLogsOnError\"",
		      policy);
}

void spec_container_read_probes(json_t *c, const char *path, int64_t grace,
                                struct spec_container *out, struct nano_err *causes)
{
	json_t *lifecycle = json_object_get(c, "lifecycle");

	read_termination_message(c, path, out, causes);
	/* validateContainers' order: lifecycle, then liveness, readiness, startup */
	out->post_start = read_hook(lifecycle, path, "postStart", grace, causes);
	out->pre_stop = read_hook(lifecycle, path, "preStop", grace, causes);
	out->liveness_probe = read_probe(c, path, "livenessProbe", PROBE_LIVENESS, grace, causes);
	out->readiness_probe =
	        read_probe(c, path, "readinessProbe", PROBE_READINESS, grace, causes);
	out->startup_probe = read_probe(c, path, "startupProbe", PROBE_STARTUP, grace, causes);
}

/* ---- freeing ------------------------------------------------------------------------------- */

static void handler_done(struct spec_handler *h)
{
	if (!h)
		return;
	strv_free(h->command);
	free(h->port_name);
	free(h->host);
	free(h->path);
	for (size_t i = 0; i < h->n_headers; i++) {
		free(h->headers[i].name);
		free(h->headers[i].value);
	}
	free(h->headers);
	free(h->service);
}

static void probe_free(struct spec_probe *p)
{
	if (!p)
		return;
	handler_done(&p->handler);
	free(p);
}

void spec_container_probes_done(struct spec_container *c)
{
	probe_free(c->liveness_probe);
	probe_free(c->readiness_probe);
	probe_free(c->startup_probe);
	handler_done(c->post_start);
	free(c->post_start);
	handler_done(c->pre_stop);
	free(c->pre_stop);
	free(c->termination_message_path);
}
