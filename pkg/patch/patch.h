/* pkg/patch: the three patch formats the API server applies to an object, as pure functions
 * on JSON documents (no I/O, no clock, no globals):
 *
 *   patch_merge       application/merge-patch+json            RFC 7386 JSON Merge Patch
 *   patch_json        application/json-patch+json             RFC 6902 JSON Patch
 *   patch_strategic   application/strategic-merge-patch+json  Kubernetes' strategic merge
 *
 * Each takes the original (borrowed, never changed) and the patch (borrowed), and returns a
 * new document in *out. A failure fills err: NANO_BAD_REQUEST for a patch that cannot be read
 * (not a JSON Patch array, an unknown op, a bad directive), NANO_INVALID for a JSON Patch that
 * does not apply to this document (a path that is not there, a failed "test"), as the API
 * server answers 400 and 422. */
#pragma once

#include <jansson.h>

#include "util/util.h"

/* RFC 7386: objects merge recursively, null removes a member, anything else replaces. */
int patch_merge(const json_t *original, const json_t *patch, json_t **out, struct nano_err *err);

/* RFC 6902: the operations in order (add, remove, replace, move, copy, test), paths as RFC 6901
 * JSON Pointers; one failing operation fails the whole patch. */
int patch_json(const json_t *original, const json_t *patch, json_t **out, struct nano_err *err);

/* Kubernetes' strategic merge patch (apimachinery's strategicpatch) for a Pod: a merge patch,
 * except that the lists the Pod's Go types declare with patchStrategy "merge" are merged
 * element by element by their patchMergeKey (containers, initContainers, ephemeralContainers,
 * volumes, imagePullSecrets, schedulingGates, resourceClaims by name, hostAliases by ip,
 * topologySpreadConstraints by topologyKey, a container's env by name, ports by
 * containerPort, volumeMounts by mountPath, volumeDevices by devicePath, metadata's
 * ownerReferences by uid; finalizers as a set), and the directives kubectl sends are obeyed:
 * "$patch": "replace" | "delete" | "merge" in a map or a list element, "$retainKeys",
 * "$setElementOrder/<list>", "$deleteFromPrimitiveList/<list>". Every other list is replaced
 * whole, as the API server does. */
int patch_strategic_pod(const json_t *original, const json_t *patch, json_t **out,
                        struct nano_err *err);

/* The patchMergeKey of the list at path (dots between fields, "[]" for a list's element:
 * "spec.containers[].env"); "" for a list merged as a set of primitives (finalizers); NULL
 * for a list replaced whole. */
const char *patch_pod_merge_key(const char *path);
