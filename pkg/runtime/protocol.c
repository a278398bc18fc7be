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
	if (strncmp(text, "exec ", 5) == 0) {
		out->kind = RUNTIME_REQUEST_EXEC;
		out->payload = text + 5;
		*why = NULL;
		return 0;
	}
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

char *runtime_exec_request_format(const char *container, bool tty, bool stdin, char *const *argv,
                                  int *r)
{
	_cleanup_json_ json_t *o = NULL, *a = json_array();
	_cleanup_free_ char *text = NULL;
	char *request;

	*r = -ENOMEM;
	if (!a)
		return NULL;
	for (size_t i = 0; argv && argv[i]; i++) {
		json_t *word = json_string(argv[i]);

		if (!word && json_array_size(a) == i) {
			/* jansson takes text only: a word that is not UTF-8 */
			*r = -EILSEQ;
			return NULL;
		}
		if (json_array_append_new(a, word) < 0)
			return NULL;
	}
	if (json_array_size(a) == 0 || !*argv[0]) {
		*r = -EINVAL;
		return NULL;
	}
	o = json_pack("{s:s, s:b, s:b, s:O}", "container", container, "tty", tty, "stdin", stdin,
	              "argv", a);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (!text)
		return NULL;
	if (strlen(text) > RUNTIME_EXEC_MAX_BYTES || json_array_size(a) > RUNTIME_EXEC_MAX_ARGS) {
		*r = -E2BIG;
		return NULL;
	}
	request = strdupf("exec %s", text);
	*r = request ? 0 : -ENOMEM;
	return request;
}

int runtime_exec_request_parse(const char *text, struct runtime_exec_request *out, const char **why)
{
	_cleanup_json_ json_t *o = NULL;
	const char *container = NULL;
	json_t *argv = NULL;
	int tty = 0, in = 0;
	size_t n;

	*out = (struct runtime_exec_request){0};
	*why = "exec takes {\"container\",\"tty\",\"stdin\",\"argv\":[...]}";
	o = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	if (!o ||
	    json_unpack(o, "{s:s, s:b, s:b, s:o}", "container", &container, "tty", &tty, "stdin",
	                &in, "argv", &argv) < 0 ||
	    !json_is_array(argv))
		return -EINVAL;
	n = json_array_size(argv);
	*why = "argv must hold 1 to 4096 strings, the first not empty";
	if (n == 0 || n > RUNTIME_EXEC_MAX_ARGS)
		return -EINVAL;
	out->argv = calloc(n + 1, sizeof(char *));
	out->container = strdup(container);
	for (size_t i = 0; out->argv && out->container && i < n; i++) {
		const char *w = json_string_value(json_array_get(argv, i));

		if (!w || (i == 0 && !*w)) {
			runtime_exec_request_done(out);
			return -EINVAL;
		}
		if (!(out->argv[i] = strdup(w)))
			break;
	}
	if (!out->argv || !out->container || (n && !out->argv[n - 1])) {
		runtime_exec_request_done(out);
		*why = "out of memory";
		return -ENOMEM;
	}
	out->tty = tty;
	out->stdin = in;
	*why = NULL;
	return 0;
}

void runtime_exec_request_done(struct runtime_exec_request *req)
{
	free(req->container);
	strv_free(req->argv);
	*req = (struct runtime_exec_request){0};
}

bool runtime_exec_exit_parse(const char *reply, int *code)
{
	char *end;
	long c;

	if (strncmp(reply, "exit ", 5) != 0)
		return false;
	errno = 0;
	c = strtol(reply + 5, &end, 10);
	if (errno || end == reply + 5 || *end || c < 0 || c > 255)
		return false;
	*code = (int)c;
	return true;
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
