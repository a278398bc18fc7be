/* pkg/runtime/protocol.c: the words of the shim's control protocol (runtime.h) — a request as
 * the shim reads it, and the records and replies the daemon reads back. Pure: text in, a
 * struct out, nothing trusted about the text (tests/fuzz/fuzz_shim_protocol.c feeds it noise).
 * The shim acts on what it parsed (shim_loop.c); the daemon on what it read (client.c). */
#include "runtime.h"

#include <signal.h>
#include <string.h>

int runtime_request_parse(char *text, struct runtime_request *out, const char **why)
{
	char *words[4] = {0}, *save = NULL, *end;
	size_t n = 0;

	*out = (struct runtime_request){0};
	*why = "unknown request";
	for (char *w = strtok_r(text, " \n", &save); w && n < ELEMENTSOF(words);
	     w = strtok_r(NULL, " \n", &save))
		words[n++] = w;
	if (n == 1 && strcmp(words[0], "state") == 0) {
		out->kind = RUNTIME_REQUEST_STATE;
		*why = NULL;
		return 0;
	}
	if (n == 1 && strcmp(words[0], "shutdown") == 0) {
		out->kind = RUNTIME_REQUEST_SHUTDOWN;
		*why = NULL;
		return 0;
	}
	if (n != 3)
		return -EINVAL;
	if (strcmp(words[0], "start") == 0) {
		out->kind = RUNTIME_REQUEST_START;
		*why = "RESTART must be a count";
	} else if (strcmp(words[0], "kill") == 0) {
		out->kind = RUNTIME_REQUEST_KILL;
		*why = "SIGNAL must be a signal number";
	} else {
		return -EINVAL;
	}
	out->name = words[1];
	errno = 0;
	out->number = strtoll(words[2], &end, 10);
	if (errno || *end || end == words[2] || out->number < 0 ||
	    (out->kind == RUNTIME_REQUEST_KILL && (out->number <= 0 || out->number >= NSIG)))
		return -EINVAL;
	*why = NULL;
	return 0;
}

bool runtime_reply_error(const char *reply, int *errnum, const char **message)
{
	char *end;
	long e;

	if (strncmp(reply, "error ", 6) != 0)
		return false;
	e = strtol(reply + 6, &end, 10);
	*errnum = e > 0 && e < 4096 ? (int)e : EIO;
	*message = *end == ' ' ? end + 1 : end;
	return true;
}

int runtime_exit_from_json(const json_t *o, struct runtime_exit *out, struct nano_err *err)
{
	const char *name = NULL, *started = NULL, *finished = NULL;
	json_int_t restart = 0;
	int pid = 0, code = 0, sig = 0;
	json_error_t jerr;

	if (json_unpack_ex((json_t *)o, &jerr, 0, "{s:s, s:I, s:i, s:i, s:i, s:s, s:s}", "name",
	                   &name, "restart", &restart, "pid", &pid, "exitCode", &code, "signal",
	                   &sig, "startedAt", &started, "finishedAt", &finished) < 0)
		return nano_err_set(err, EBADMSG, "%s", jerr.text);
	*out = (struct runtime_exit){.restart = restart,
	                             .pid = pid,
	                             .exit_code = code,
	                             .signal = sig,
	                             .name = strdup(name),
	                             .started_at = strdup(started),
	                             .finished_at = strdup(finished)};
	if (!out->name || !out->started_at || !out->finished_at) {
		runtime_exit_done(out);
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}
