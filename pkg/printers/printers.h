/* pkg/printers: the API server's Tables (meta.k8s.io/v1 Table), which kubectl prints as they
 * come: the columns and cells of pkg/printers/internalversion/printers.go for the kinds nanolet
 * serves (Pod, Event, Node, Namespace), STATUS computed exactly as its printPod does
 * (Init:..., ContainerCreating, CrashLoopBackOff, OOMKilled, Completed, Error, Terminating ...).
 *
 * Pure: no I/O; the clock is a parameter (AGE, LAST SEEN).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

/* How a Table is asked for. */
struct printers_options {
	bool include_object; /* rows carry their object (?includeObject=Object); else its metadata
	                      */
	bool no_headers;     /* a watch's later events: rows only (columnDefinitions empty) */
	int64_t now_s;       /* unix seconds, for ages */
};

/* Whether an Accept header asks for a Table (application/json;as=Table;v=v1;g=meta.k8s.io,
 * v1beta1 too) before any plain JSON. */
bool printers_table_wanted(const char *accept);

/* The Table of obj: a list (PodList, EventList, NodeList, NamespaceList) gives a row per item,
 * a single object (Pod, Event, Node, Namespace) one row; metadata.resourceVersion (and
 * continue) carried over from a list. NULL with errno EOPNOTSUPP for a kind without printer
 * (the caller answers the plain object), ENOMEM. */
json_t *printers_table(const json_t *obj, const struct printers_options *options);
