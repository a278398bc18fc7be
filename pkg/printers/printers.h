/* pkg/printers: the API server's Tables (meta.k8s.io/v1 Table), which kubectl prints as they
 * come: the columns and cells of pkg/printers/internalversion/printers.go for the kinds nanolet
 * serves (Pod, Event, Node, Namespace), STATUS computed exactly as its printPod does
 * (Init:..., ContainerCreating, CrashLoopBackOff, OOMKilled, Completed, Error, Terminating ...).
 *
 * Pure: no I/O; the clock is a parameter (AGE, LAST SEEN).
 *
 * As the API server: every column is sent, the wide ones (priority 1) too; kubectl hides those
 * unless -o wide. A watch (`kubectl get -w`) gets one Table per WatchEvent object: the first
 * with its columnDefinitions, every later one with no_headers set (columnDefinitions null, the
 * API server's nil slice), rows only.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* How a Table is asked for. The zero value is the API server's default: a meta.k8s.io/v1
 * Table whose rows carry their object's metadata (PartialObjectMetadata). */
struct printers_options {
	bool include_object; /* rows carry their object (?includeObject=Object) */
	bool no_object;      /* rows carry no object, "object": null (?includeObject=None) */
	bool no_headers;     /* a watch's later events: rows only (columnDefinitions null) */
	int64_t now_s;       /* unix seconds, for ages */
	/* "meta.k8s.io/v1" (NULL) or "meta.k8s.io/v1beta1": printers_table_version() */
	const char *api_version;
};

/* The Table version an Accept header asks for before any plain JSON (media ranges in the
 * order given: application/json;as=Table;v=v1;g=meta.k8s.io gives "meta.k8s.io/v1", v1beta1
 * "meta.k8s.io/v1beta1"); NULL when it wants plain JSON (or says nothing we serve first). A
 * Table in another encoding (protobuf) is passed over, as nanolet answers JSON only. */
const char *printers_table_version(const char *accept);

/* Whether an Accept header asks for a Table: printers_table_version() != NULL. */
bool printers_table_wanted(const char *accept);

/* ?includeObject= as the API server reads it: NULL or "" and "Metadata" the default, "None",
 * "Object"; 0, or -EINVAL for anything else (the API server's 400 `unrecognized includeObject
 * value: "x"`). Sets the include fields of options. */
int printers_include_parse(const char *value, struct printers_options *options);

/* The Table of obj: a list (PodList, EventList, NodeList, NamespaceList) gives a row per item,
 * a single object (Pod, Event, Node, Namespace) one row; metadata.resourceVersion (and
 * continue, remainingItemCount) carried over from a list, the object's resourceVersion for
 * one object. NULL with errno EOPNOTSUPP for a kind without printer (the caller answers the
 * plain object), EINVAL for something that is no object, ENOMEM. */
json_t *printers_table(const json_t *obj, const struct printers_options *options);

/* duration.HumanDuration of seconds ("5s", "3m2s", "2d", "<invalid>" below -1s) into buf
 * (PRINTERS_DURATION_SIZE is enough); returns buf. */
#define PRINTERS_DURATION_SIZE 24
char *printers_duration(int64_t seconds, char *buf, size_t size);
