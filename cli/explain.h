/* cli/explain.h: `nanolet explain`, the parts that share its types.
 *
 *   explain.c        the command: options, the node's settings, a plan per Pod, --fail-on
 *   explain_read.c   files, directories and stdin into the Pod documents they hold
 *   explain_print.c  plans as text (the explanation), JSON or YAML (the IsolationPlan)
 */
#pragma once

#include <stdbool.h>

#include "plan/plan.h"
#include "security/security.h"

/* Exit codes, documented in --help and the README. */
enum {
	EXPLAIN_OK = 0,
	EXPLAIN_FAILED_CHECK = 1, /* a pod fails a --fail-on check */
	EXPLAIN_USAGE = 2,        /* bad command line, unreadable input, a document not a Pod */
};

/* One document that is to be a Pod, and where it came from: "pod.yaml", "pod.yaml: document
 * 2", "list.json: items[3]", "stdin". */
struct explain_doc {
	char *origin;
	json_t *doc; /* NULL when it could not be read: error says why */
	char *error;
};

struct explain_docs {
	struct explain_doc *v;
	size_t n;
};

void explain_docs_done(struct explain_docs *docs);

/* explain.c: the command, argv after "explain"; returns the exit status. */
int explain_main(int argc, char **argv);
void explain_usage(FILE *out);

/* Reads path ("-" for stdin, a file, or a directory's *.yaml, *.yml and *.json in name order)
 * and appends its documents: every YAML document (null ones skipped) or the JSON value, and
 * each item of a kind List (or FooList). A file that cannot be read, or a document that cannot
 * be parsed, is one entry with its error. 0 or -ENOMEM. */
int explain_read(const char *path, struct explain_docs *docs);

enum explain_format {
	EXPLAIN_TEXT,
	EXPLAIN_JSON,
	EXPLAIN_YAML,
};

/* One explained pod: its plan (which says how it fares against the Pod Security Standards). */
struct explain_pod {
	const char *origin;
	struct plan *plan;
};

/* Writes the pods to out in format: text, or one IsolationPlan (a List of them for several).
 * 0, or -ENOMEM / -EIO. */
int explain_print(FILE *out, enum explain_format format, const struct explain_pod *pods, size_t n);
