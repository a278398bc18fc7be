/* tests/fuzz/fuzz_shim_protocol.c: the shim's control protocol. The shim reads one request per
 * message (runtime_request_parse); the daemon reads replies (runtime_reply_error) and the exit
 * records in the pod's run directory (runtime_exit_from_json), an exec's JSON
 * (runtime_exec_request_parse) and its "exit CODE" (runtime_exec_exit_parse). The same bytes go
 * to all of them. */
#include "fuzz.h"

#include <signal.h>

#include "runtime/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *request = fuzz_text(data, size), *reply = fuzz_text(data, size);
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *record = NULL;
	struct runtime_request q;
	const char *why = NULL, *message = NULL;
	struct runtime_exit e;
	struct runtime_exec_request x;
	int errnum = 0, code = -1;

	if (runtime_request_parse(request, &q, &why) == 0) {
		FUZZ_ASSERT(!why);
		if (q.kind == RUNTIME_REQUEST_START || q.kind == RUNTIME_REQUEST_KILL)
			FUZZ_ASSERT(q.name && *q.name && q.number >= 0);
		if (q.kind == RUNTIME_REQUEST_KILL)
			FUZZ_ASSERT(q.number > 0 && q.number < NSIG);
	} else {
		FUZZ_ASSERT(why && *why);
	}
	if (runtime_exec_request_parse(reply, &x, &why) == 0) {
		FUZZ_ASSERT(x.container && x.argv && x.argv[0] && *x.argv[0]);
		runtime_exec_request_done(&x);
	} else {
		FUZZ_ASSERT(why && *why && !x.argv && !x.container);
	}
	if (runtime_exec_exit_parse(reply, &code))
		FUZZ_ASSERT(code >= 0 && code <= 255);
	if (runtime_reply_error(reply, &errnum, &message))
		FUZZ_ASSERT(errnum > 0 && message >= reply && message <= reply + size);
	record = json_loadb((const char *)data, size, 0, NULL);
	if (record && runtime_exit_from_json(record, &e, &err) == 0) {
		FUZZ_ASSERT(e.name && e.started_at && e.finished_at);
		runtime_exit_done(&e);
	}
	return 0;
}
