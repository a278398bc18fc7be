/* daemon/api_openapi.h: the OpenAPI v3 documents nanoletd serves (GET /openapi/v3/...), built
 * at the first request for one from the ones embedded at build time (api/k8s/,
 * tools/k8s_openapi.py) with nanolet's words (pkg/plan's plan_fields) appended to the
 * descriptions of the Pod fields it explains. */
#pragma once

#include <stddef.h>

#include <jansson.h>

struct api_openapi;

/* Parses the embedded documents and adds nanolet's words: 0, or -ENOMEM, or -EINVAL when an
 * embedded document does not parse or a field of plan_fields is not where its path says (a
 * build whose api/k8s/ and pkg/plan disagree). */
int api_openapi_new(struct api_openapi **out);
struct api_openapi *api_openapi_free(struct api_openapi *o);

/* The document of a group version ("api/v1", "apis/nanolet.io/v1") as served, with its hash
 * (hex, the index's ?hash=); NULL when nanolet serves none for it. */
const char *api_openapi_document_of(const struct api_openapi *o, const char *gv, size_t *len,
                                    const char **hash);
/* The index (GET /openapi/v3): {"paths": {gv: {"serverRelativeURL": ...}}}. */
const char *api_openapi_index_of(const struct api_openapi *o, size_t *len);

/* Appends "\n\nnanolet: <text>" to the description of the field at path (plan_fields' form:
 * "spec.containers[].resources.limits") below the schema named root in doc's
 * components.schemas. 0, -ENOENT when there is no such field, -ENOMEM. */
int api_openapi_describe(json_t *doc, const char *root, const char *path, const char *text);
