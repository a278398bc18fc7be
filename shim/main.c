/* shim/main.c: nanolet-shim, one per pod (pkg/runtime/shim.h says what it does).
 *
 * Usage: nanolet-shim RUN_DIR   (RUN_DIR/shim.json written by the daemon)
 * Only argument handling lives here; it must stay this thin.
 */
#include <string.h>

#include "runtime/shim.h"

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("nanolet-shim %s (%s)\n", NANOLET_VERSION, NANOLET_GIT_COMMIT);
		return 0;
	}
	if (argc != 2 || argv[1][0] != '/') {
		fprintf(stderr, "usage: %s RUN_DIR (absolute; RUN_DIR/shim.json is read)\n",
		        argv[0]);
		return 2;
	}
	return shim_main(argv[1]);
}
