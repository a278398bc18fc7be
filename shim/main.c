/* shim/main.c: nanolet-shim, one per pod (pkg/runtime/shim.h says what it does).
 *
 * Usage: nanolet-shim RUN_DIR [SOFT:HARD]
 *   RUN_DIR/shim.json is written by the daemon; SOFT:HARD is the RLIMIT_NOFILE the shim and
 *   its containers get (the daemon's own before it raised it: runtime_shim_nofile).
 * Only argument handling lives here; it must stay this thin.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "runtime/shim.h"

/* "SOFT:HARD", each a decimal rlim_t */
static bool parse_nofile(const char *s, struct rlimit *out)
{
	char *end;

	errno = 0;
	out->rlim_cur = strtoull(s, &end, 10);
	if (errno || end == s || *end != ':')
		return false;
	s = end + 1;
	out->rlim_max = strtoull(s, &end, 10);
	return !errno && end != s && *end == '\0' && out->rlim_cur <= out->rlim_max;
}

int main(int argc, char **argv)
{
	struct rlimit nofile;

	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("nanolet-shim %s (%s)\n", NANOLET_VERSION, NANOLET_GIT_COMMIT);
		return 0;
	}
	if (argc < 2 || argc > 3 || argv[1][0] != '/' ||
	    (argc == 3 && !parse_nofile(argv[2], &nofile))) {
		fprintf(stderr,
		        "usage: %s RUN_DIR [SOFT:HARD] (RUN_DIR absolute: RUN_DIR/shim.json is "
		        "read; SOFT:HARD its RLIMIT_NOFILE)\n",
		        argv[0]);
		return 2;
	}
	return shim_main(argv[1], argc == 3 ? &nofile : NULL);
}
