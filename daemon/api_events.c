/* daemon/api_events.c: GET /api/v1/events and /api/v1/namespaces/{ns}/events, an EventList of
 * what the store recorded, narrowed by ?fieldSelector= as the API server does
 * (involvedObject.name=web, type=Warning, ...) and ?labelSelector=; ?watch=true streams them
 * (api_watch.c). */
#include <inttypes.h>

#include "events/events.h"
#include "nanoletd.h"
#include "pods.h"
#include "routes.h"

void api_events_list(struct nanoletd *d, const struct http_request *req,
                     const struct route_args *args, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_(api_selectors_done) struct api_selectors sel = {0};
	struct store_event *evs = NULL;
	size_t n = 0;
	json_t *list, *items;
	char rv[24];

	if (api_watch_wanted(req))
		return api_watch(d, req, args, WATCH_EVENTS, resp);
	if (api_selectors_parse(req, EVENTS_SELECT_EVENTS, &sel, resp) < 0)
		return;
	/* the store narrows by name; the selectors decide the rest */
	if (store_events_list(pods_store(d->pods), args->ns[0] ? args->ns : NULL,
	                      events_selector_equal_value(&sel.fields, "involvedObject.name"), &evs,
	                      &n, &err) < 0)
		return routes_error(resp, &err);
	list = events_list_json(evs, n, &sel.fields);
	store_events_free(evs, n);
	/* labels: events carry none, so only a selector that absent labels satisfy keeps them */
	items = json_object_get(list, "items");
	for (size_t i = json_array_size(items); i > 0; i--)
		if (!watch_labels_match(&sel.labels, json_array_get(items, i - 1)))
			json_array_remove(items, i - 1);
	snprintf(rv, sizeof(rv), "%" PRIu64, pods_resource_version(d->pods));
	json_object_set_new(json_object_get(list, "metadata"), "resourceVersion", json_string(rv));
	routes_json(resp, 200, list);
}
