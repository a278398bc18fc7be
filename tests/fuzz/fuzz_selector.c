/* tests/fuzz/fuzz_selector.c: a fieldSelector as GET …/events?fieldSelector= takes it, matched
 * against an event. */
#include "fuzz.h"

#include "events/events.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = fuzz_text(data, size);
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *event = json_pack(
	        "{s:{s:s, s:s}, s:{s:s, s:s, s:s, s:s}, s:s, s:s, s:{s:s}}", "metadata", "name",
	        "web.1", "namespace", "default", "involvedObject", "kind", "Pod", "name", "web",
	        "namespace", "default", "fieldPath", "spec.containers{app}", "reason", "Started",
	        "type", "Normal", "source", "component", "nanolet");
	struct events_selector sel = {0};

	if (strlen(s) != size)
		return 0; /* a query value holds no NUL: http_check_target refuses %00 */
	if (events_selector_parse(s, &sel, &err) == 0) {
		(void)events_selector_match(&sel, event);
		(void)events_selector_equal_value(&sel, "involvedObject.name");
		events_selector_done(&sel);
	} else {
		FUZZ_ASSERT(err.message);
	}
	return 0;
}
