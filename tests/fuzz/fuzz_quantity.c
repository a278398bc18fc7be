/* tests/fuzz/fuzz_quantity.c: Kubernetes quantities ("100m", "1.5Gi", "1e3") as resources,
 * emptyDir sizeLimit and the byte-sized config keys take them. */
#include "fuzz.h"

#include "spec/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *s = fuzz_text(data, size);
	int64_t bytes = -1, milli = -1;
	int a = spec_quantity_parse(s, 1, &bytes);
	int b = spec_quantity_parse(s, 1000, &milli);

	FUZZ_ASSERT(a == 0 || a == -EINVAL || a == -ERANGE || a == -ENOMEM);
	FUZZ_ASSERT(b == 0 || b == -EINVAL || b == -ERANGE || b == -ENOMEM);
	/* a valid quantity is valid at either scale, or too large at the finer one */
	FUZZ_ASSERT(!(a == -EINVAL && b == 0));
	return 0;
}
