/* daemon/api_select.c: ?labelSelector= and ?fieldSelector= of pod and event lists and watches,
 * read as the API server reads them: the labels by pkg/watch's parser, the fields by
 * pkg/events' (the events' fields, or the pod's field labels). A selector the API server could
 * not read is its 400. */
#include "events/events.h"
#include "nanoletd.h"
#include "routes.h"
#include "watch/watch.h"

int api_selectors_parse(const struct http_request *req, enum events_selector_kind kind,
                        struct api_selectors *out, struct http_response *resp)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	const char *fields = http_query(req, "fieldSelector");
	const char *labels = http_query(req, "labelSelector");

	*out = (struct api_selectors){0};
	if (events_selector_parse_for(kind, fields ? fields : "", &out->fields, &err) < 0 ||
	    watch_labels_parse(labels ? labels : "", &out->labels, &err) < 0) {
		api_selectors_done(out);
		nano_err_classify(&err, NANO_BAD_REQUEST);
		routes_error(resp, &err);
		return -EINVAL;
	}
	return 0;
}

void api_selectors_done(struct api_selectors *sel)
{
	events_selector_done(&sel->fields);
	watch_labels_done(&sel->labels);
}

bool api_selectors_match(const json_t *object, void *userdata)
{
	const struct api_selectors *sel = userdata;

	return events_selector_match(&sel->fields, object) &&
	       watch_labels_match(&sel->labels, object);
}
