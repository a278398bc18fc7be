/* daemon/api_events.c: GET /api/v1/events and /api/v1/namespaces/{ns}/events, an EventList of
 * what the store recorded, narrowed by ?fieldSelector= as the API server does
 * (involvedObject.name=web, type=Warning, ...). */
#include "events/events.h"
#include "nanoletd.h"
#include "pods.h"
#include "routes.h"

void api_events_list(struct nanoletd *d, const struct http_request *req,
                     const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_(events_selector_done) struct events_selector sel = {0};
	struct store_event *evs = NULL;
	const char *selector = http_query(req, "fieldSelector");
	size_t n = 0;
	json_t *list;

	if (events_selector_parse(selector ? selector : "", &sel, &err) < 0) {
		/* a selector the API server cannot read is a 400 */
		nano_err_classify(&err, NANO_BAD_REQUEST);
		return routes_error(resp, &err);
	}
	/* the store narrows by name; the selector decides the rest */
	if (store_events_list(pods_store(d->pods), args->ns[0] ? args->ns : NULL,
	                      events_selector_equal_value(&sel, "involvedObject.name"), &evs, &n,
	                      &err) < 0)
		return routes_error(resp, &err);
	list = events_list_json(evs, n, &sel);
	store_events_free(evs, n);
	routes_json(resp, 200, list);
}
