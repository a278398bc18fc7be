/* tests/fuzz/fuzz_log_line.c: CRI log records as the reader parses them (a log file is written
 * by the shim, but its content is whatever a container printed), their timestamps, and the
 * directory name a pod's namespace, name and uid make (NAME_MAX for any of them). */
#include "fuzz.h"

#include <limits.h>

#include "logs/logs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_free_ char *text = fuzz_text(data, size);
	const char *p = text, *end = text + size;
	char dir[NAME_MAX + 1];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
		struct logs_entry e;
		struct timespec ts;

		if (logs_parse_line(p, len, &e) == 0) {
			char stamp[LOGS_TIMESTAMP_MAX];

			FUZZ_ASSERT(e.stream == LOGS_STDOUT || e.stream == LOGS_STDERR);
			FUZZ_ASSERT(e.content >= p && e.content + e.content_len <= p + len);
			/* a time read back is written again, and reads as the same time */
			if (logs_format_timestamp(&e.time, stamp) > 0) {
				FUZZ_ASSERT(logs_parse_timestamp(stamp, strlen(stamp), &ts) == 0);
				FUZZ_ASSERT(ts.tv_sec == e.time.tv_sec &&
				            ts.tv_nsec == e.time.tv_nsec);
			}
		}
		(void)logs_parse_timestamp(p, strcspn(p, " \n"), &ts);
		p += len;
	}
	/* three NUL-separated pieces: namespace, name, uid */
	{
		const char *ns = text, *name = ns + strlen(ns) + 1, *uid;

		if (name > end)
			return 0;
		uid = name + strlen(name) + 1;
		if (uid > end)
			return 0;
		if (logs_pod_dir_name(ns, name, uid, dir) == 0) {
			const char *last = strrchr(dir, '_');

			FUZZ_ASSERT(strlen(dir) <= NAME_MAX);
			/* the orphan sweep finds the uid after the last '_' */
			FUZZ_ASSERT(!strchr(uid, '_') ? last && strcmp(last + 1, uid) == 0 : 1);
		} else {
			FUZZ_ASSERT(strlen(ns) + strlen(uid) + 12 > NAME_MAX);
		}
	}
	return 0;
}
