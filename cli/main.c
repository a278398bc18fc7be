/* cli/main.c: `nanolet`, the command line; only the dispatch to its commands (explain.c) lives
 * here. It talks to no daemon: what needs nanoletd is curl or kubectl against its socket.
 */
#include <stdio.h>
#include <string.h>

#include "explain.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: nanolet COMMAND [ARG]...\n"
	             "\n"
	             "Commands:\n"
	             "  explain   print a Pod's isolation plan: what it may see, use and do, and "
	             "why\n"
	             "\n"
	             "  nanolet --version        the version and git commit\n"
	             "  nanolet COMMAND --help   a command's options\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXPLAIN_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXPLAIN_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("nanolet %s (git commit %s)\n", NANOLET_VERSION, NANOLET_GIT_COMMIT);
		return EXPLAIN_OK;
	}
	if (strcmp(argv[1], "explain") == 0)
		return explain_main(argc - 2, argv + 2);
	fprintf(stderr, "nanolet: unknown command \"%s\"\nTry 'nanolet --help'.\n", argv[1]);
	return EXPLAIN_USAGE;
}
