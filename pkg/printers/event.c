/* pkg/printers/event.c: an Event's row as the API server's printEvent writes it: LAST SEEN
 * (lastTimestamp, else firstTimestamp, else eventTime; series.lastObservedTime for a series),
 * TYPE, REASON, OBJECT (kind in lower case / name), MESSAGE trimmed; wide: SUBOBJECT (the
 * fieldPath), SOURCE (component, host, falling back to reportingComponent and
 * reportingInstance), FIRST SEEN, COUNT (an integer: 1 for a singleton without count, the
 * series' count for a series), NAME.
 *
 * Pure: reads the Event JSON, nothing else.
 */
#include "printers_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct printers_column event_columns[] = {
        {"Last Seen", "string", "",
         "The time at which the most recent occurrence of this event was recorded.", 0},
        {"Type", "string", "",
         "Type of this event (Normal, Warning), new types could be added in the future", 0},
        {"Reason", "string", "",
         "This should be a short, machine understandable string that gives the reason for the "
         "transition into the object's current status.",
         0},
        {"Object", "string", "", "The object that this event is about.", 0},
        {"Subobject", "string", "",
         "If referring to a piece of an object instead of an entire object, this string should "
         "contain a valid JSON/Go field access statement, such as "
         "desiredState.manifest.containers[2]. For example, if the object reference is to a "
         "container within a pod, this would take on a value like: \"spec.containers{name}\" "
         "(where \"name\" refers to the name of the container that triggered the event) or if "
         "no container name is specified \"spec.containers[2]\" (container with index 2 in this "
         "pod). This syntax is chosen only to have some well-defined way of referencing a part "
         "of an object.",
         1},
        {"Source", "string", "",
         "The component reporting this event. Should be a short machine understandable string.", 1},
        {"Message", "string", "", "A human-readable description of the status of this operation.",
         0},
        {"First Seen", "string", "",
         "The time at which the event was first recorded. (Time of server receipt is in "
         "TypeMeta.)",
         1},
        {"Count", "string", "", "The number of times this event has occurred.", 1},
        {"Name", "string", "name", printers_doc_name, 1},
};

static int event_cells(const json_t *ev, int64_t now_s, json_t *cells, json_t **conditions)
{
	const json_t *involved = json_object_get(ev, "involvedObject");
	const json_t *source = json_object_get(ev, "source"),
	             *series = json_object_get(ev, "series");
	const char *kind = printers_str(involved, "kind"), *name = printers_str(involved, "name");
	const char *component = printers_str(source, "component"),
	           *host = printers_str(source, "host");
	const char *message = printers_str(ev, "message");
	char first[PRINTERS_DURATION_SIZE], last[PRINTERS_DURATION_SIZE], target[512], src[512];
	int64_t first_t = printers_time(ev, "firstTimestamp"), count;
	size_t kind_len = strlen(kind), msg_len;
	int r = 0;

	(void)conditions;
	if (first_t == PRINTERS_TIME_NONE)
		first_t = printers_time(ev, "eventTime");
	printers_since(first_t, now_s, first, sizeof(first));
	if (printers_time(ev, "lastTimestamp") == PRINTERS_TIME_NONE)
		snprintf(last, sizeof(last), "%s", first);
	else
		printers_since(printers_time(ev, "lastTimestamp"), now_s, last, sizeof(last));
	count = json_integer_value(json_object_get(ev, "count"));
	if (json_is_object(series)) {
		printers_since(printers_time(series, "lastObservedTime"), now_s, last,
		               sizeof(last));
		count = json_integer_value(json_object_get(series, "count"));
	} else if (count == 0) {
		count = 1; /* singleton events of the new API carry no count */
	}

	snprintf(target, sizeof(target), "%.*s%s%s", (int)(kind_len < 200 ? kind_len : 200), kind,
	         name[0] ? "/" : "", name);
	for (size_t i = 0; i < kind_len && i < 200; i++)
		target[i] = (char)tolower((unsigned char)target[i]);
	if (!component[0])
		component = printers_str(ev, "reportingComponent");
	if (!host[0])
		host = printers_str(ev, "reportingInstance");
	snprintf(src, sizeof(src), "%s%s%s", component, host[0] ? ", " : "", host);
	while (isspace((unsigned char)*message))
		message++;
	msg_len = strlen(message);
	while (msg_len > 0 && isspace((unsigned char)message[msg_len - 1]))
		msg_len--;

	r |= printers_append(cells, last);
	r |= printers_append(cells, printers_str(ev, "type"));
	r |= printers_append(cells, printers_str(ev, "reason"));
	r |= printers_append(cells, target);
	r |= printers_append(cells, printers_str(involved, "fieldPath"));
	r |= printers_append(cells, src);
	if (json_array_append_new(cells, json_stringn(message, msg_len)) < 0)
		r = -ENOMEM;
	r |= printers_append(cells, first);
	if (json_array_append_new(cells, json_integer(count)) < 0)
		r = -ENOMEM;
	r |= printers_append(cells, printers_str(json_object_get(ev, "metadata"), "name"));
	return r < 0 ? -ENOMEM : 0;
}

const struct printers_kind printers_event = {
        .kind = "Event",
        .list_kind = "EventList",
        .columns = event_columns,
        .n_columns = sizeof(event_columns) / sizeof(event_columns[0]),
        .cells = event_cells,
};
