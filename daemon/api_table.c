/* daemon/api_table.c: answers as a meta.k8s.io Table when the client asks for one (kubectl get:
 * Accept: application/json;as=Table;v=v1;g=meta.k8s.io, ...), in one place after any GET
 * handler ran, so that the handlers keep answering their objects: a 200 JSON answer of a kind
 * pkg/printers prints (PodList, Pod, EventList, Event, NodeList, Node, NamespaceList,
 * Namespace) is replaced by its Table, ?includeObject= (None, Metadata, Object) read as the API
 * server reads it. HEAD, errors, non-JSON answers, deferred answers and streams pass as they
 * are, as does a kind without printer, and any answer to ?watch=true: a watch writes its events
 * itself (printers_table per event object, no_headers after the first). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "printers/printers.h"
#include "routes.h"

void api_table_answer(const struct http_request *req, struct http_response *resp)
{
	const char *include = http_query(req, "includeObject");
	struct printers_options options = {0};
	_cleanup_json_ json_t *obj = NULL;
	struct timespec now;
	json_t *table;
	bool bad_include;

	if (!req->method || strcmp(req->method, "GET") != 0 || resp->code != 200 || !resp->body ||
	    !resp->content_type || strcmp(resp->content_type, "application/json") != 0)
		return;
	/* a watch is a stream of WatchEvents, each object its own Table (the watch writes them):
	 * an answer in one piece to ?watch=true is no watch, and no Table either */
	if (api_query_true(req, "watch"))
		return;
	options.api_version = printers_table_version(http_header(req, "Accept"));
	if (!options.api_version)
		return;
	obj = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (!json_is_object(obj))
		return;
	bad_include = printers_include_parse(include, &options) < 0;
	clock_gettime(CLOCK_REALTIME, &now);
	options.now_s = now.tv_sec;
	table = printers_table(obj, &options);
	if (!table) {
		if (errno == ENOMEM)
			routes_status(resp, 500, "InternalError", "out of memory");
		return; /* no printer: the object as it is */
	}
	if (bad_include) {
		json_decref(table);
		return api_bad_request(resp, "unrecognized includeObject value: \"%s\"", include);
	}
	routes_json(resp, 200, table);
}
