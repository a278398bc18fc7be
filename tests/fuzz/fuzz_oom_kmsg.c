/* tests/fuzz/fuzz_oom_kmsg.c: /dev/kmsg records as the OOM victim parser reads them (the
 * kernel writes them, but a victim's command name and its cgroup's path are whatever a
 * container chose). The record is handed as read(2) gives it: its bytes, no NUL after them. */
#include "fuzz.h"

#include <errno.h>

#include "cgroup/cgroup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *record = malloc(size ? size : 1);
	struct cgroup_oom_victim v;
	int r;

	if (!record)
		abort();
	memcpy(record, data, size);
	r = cgroup_oom_kmsg_parse(record, size, &v);
	FUZZ_ASSERT(r == 1 || r == 0 || r == -EINVAL);
	if (r == 1) {
		FUZZ_ASSERT(v.memcg && v.memcg[0] == '/');
		FUZZ_ASSERT(v.task[0] != '\0' && strlen(v.task) < sizeof(v.task));
		FUZZ_ASSERT(v.pid > 0);
	} else {
		FUZZ_ASSERT(v.memcg == NULL);
	}
	cgroup_oom_victim_done(&v);
	return 0;
}
