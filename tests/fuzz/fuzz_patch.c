/* tests/fuzz/fuzz_patch.c: the three patch formats of PATCH .../pods/{name} (pkg/patch), each
 * applied to a document as the daemon applies a client's patch to a Pod. The input: its first
 * byte picks the format (merge, JSON, strategic), then the original document, a newline, and
 * the patch. What must hold: an answer either way (a document, or an error with a message), and
 * the original untouched. */
#include "fuzz.h"

#include "patch/patch.h"

typedef int patch_fn(const json_t *, const json_t *, json_t **, struct nano_err *);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static patch_fn *const formats[] = {patch_merge, patch_json, patch_strategic_pod};
	_cleanup_json_ json_t *original = NULL, *patch = NULL, *before = NULL, *out = NULL;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	const char *text, *nl;
	size_t len;
	int r;

	if (size < 1)
		return 0;
	text = (const char *)data + 1;
	len = size - 1;
	nl = memchr(text, '\n', len);
	if (!nl)
		return 0;
	/* the daemon's own Pod (original) and a client's body (patch), both JSON */
	original = json_loadb(text, (size_t)(nl - text), JSON_DECODE_ANY, NULL);
	patch = json_loadb(nl + 1, len - (size_t)(nl - text) - 1, JSON_DECODE_ANY, NULL);
	if (!original || !patch)
		return 0;
	before = json_deep_copy(original);
	r = formats[data[0] % ELEMENTSOF(formats)](original, patch, &out, &err);
	FUZZ_ASSERT(json_equal(original, before));
	if (r < 0) {
		FUZZ_ASSERT(err.message);
		FUZZ_ASSERT(!out);
	} else {
		FUZZ_ASSERT(out);
	}
	return 0;
}
