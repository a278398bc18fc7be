/* daemon/routes.h: the REST API. Takes a whole request, fills a response; every error is a
 * Kubernetes Status object. */
#pragma once

#include <jansson.h>

#include "http.h"

struct nanoletd;

void routes_handle(struct nanoletd *daemon, const struct http_request *req,
                   struct http_response *resp);

/* Fills resp with a Status (kind Status, status Failure) for err: the HTTP code, reason and
 * causes follow err->errnum as pkg/util/util.h lays out. */
void routes_error(struct http_response *resp, const struct nano_err *err);

/* Fills resp with a Status of the given code, reason and message, no causes. */
void routes_status(struct http_response *resp, unsigned code, const char *reason,
                   const char *message);

/* Fills resp with json (serialised, then released). */
void routes_json(struct http_response *resp, unsigned code, json_t *json);

/* daemon/api_pods.c: the handlers that read Pods. routes.c dispatches to them. */
void api_isolationplans_create(struct nanoletd *daemon, const struct http_request *req,
                               struct http_response *resp);
void api_pods_create(struct nanoletd *daemon, const struct http_request *req, const char *ns,
                     struct http_response *resp);
