/* tests/fuzz/fuzz_request.c: what reaches nanoletd before a handler: the request target as sent
 * (http_check_target), its path decoded as libmicrohttpd decodes it and routed
 * (routes_resolve), its query arguments decoded and read as the handlers read them
 * (fieldSelector, sinceTime, the numbers); then the header lines after the first '\n', counted
 * against the header bounds and sent back as bounded Warning headers. */
#include "fuzz.h"

#include <microhttpd.h>

#include "events/events.h"
#include "http_check.h"
#include "logs/logs.h"
#include "routes.h"

static void query_argument(char *key, char *value)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct events_selector sel = {0};
	struct timespec ts;
	char *end;

	MHD_http_unescape(key);
	MHD_http_unescape(value);
	if (strcmp(key, "fieldSelector") == 0 && events_selector_parse(value, &sel, &err) == 0)
		events_selector_done(&sel);
	else if (strcmp(key, "sinceTime") == 0)
		(void)logs_parse_timestamp(value, strlen(value), &ts);
	else
		(void)strtoll(value, &end, 10); /* tailLines, limitBytes, gracePeriodSeconds */
}

static void route(char *target)
{
	static const char *const methods[] = {"GET", "HEAD", "POST", "DELETE", "PUT", "PATCH"};
	char *query = strchr(target, '?'), *save = NULL;
	struct route_args args;
	const char *allow;
	unsigned code;

	if (query)
		*query++ = '\0';
	MHD_http_unescape(target);
	for (size_t i = 0; i < ELEMENTSOF(methods); i++) {
		route_fn *fn = routes_resolve(methods[i], target, &args, &code, &allow);

		FUZZ_ASSERT(fn || code == 400 || code == 404 || (code == 405 && allow));
		FUZZ_ASSERT(strlen(args.ns) < sizeof(args.ns) &&
		            strlen(args.name) < sizeof(args.name));
	}
	for (char *arg = query ? strtok_r(query, "&", &save) : NULL; arg;
	     arg = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(arg, '='), none[1] = "";

		if (eq)
			*eq++ = '\0';
		query_argument(arg, eq ? eq : none);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, size), *message = NULL;
	_cleanup_strv_ char **lines = NULL, **values = NULL;
	char *rest = memchr(text, '\n', size), *save = NULL;
	size_t n = 0, bytes = 0, left_out = 0;
	unsigned code;

	if (rest)
		*rest++ = '\0';
	code = http_check_target(text, 8192, &message);
	FUZZ_ASSERT(code == 0 || code == 400 || code == 414);
	FUZZ_ASSERT(code == 0 ? !message : message != NULL);
	if (code == 0) {
		/* what is refused never reaches decoding: no NUL, no control byte in the path */
		_cleanup_free_ char *target = strdup(text);

		route(target);
	}
	for (char *l = rest ? strtok_r(rest, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		bytes += strlen(l) + 2;
		if (strv_append(&lines, &n, strdup(l)) < 0)
			abort();
	}
	free(TAKE_PTR(message));
	code = http_check_header(n, bytes, 100, 32768, &message);
	FUZZ_ASSERT(code == 0 || code == 431);
	values = http_warning_values(lines, 512 + size % 4096, &left_out);
	FUZZ_ASSERT(values);
	bytes = 0;
	for (char **v = values; *v; v++) {
		bytes += strlen(*v) + 11;
		/* a header value: no line break, no control byte, a closed quoted-string */
		for (const char *c = *v; *c; c++)
			FUZZ_ASSERT((unsigned char)*c >= 0x20 && *c != 0x7f);
		FUZZ_ASSERT(strncmp(*v, "299 - \"", 7) == 0 && (*v)[strlen(*v) - 1] == '"');
	}
	FUZZ_ASSERT(bytes <= 512 + size % 4096);
	return 0;
}
