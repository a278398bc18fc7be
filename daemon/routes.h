/* daemon/routes.h: the REST API. Takes a whole request, fills a response; every error is a
 * Kubernetes Status object. */
#pragma once

#include <jansson.h>

#include "events/events.h"
#include "http.h"
#include "watch/watch.h"

struct nanoletd;

/* The Kubernetes API level nanolet follows: /version's major and minor, and the release whose
 * OpenAPI schemas api/k8s/ holds (tools/k8s_openapi.py reads API_KUBE_MINOR from here). */
#define API_KUBE_MAJOR 1
#define API_KUBE_MINOR 32

void routes_handle(struct nanoletd *daemon, const struct http_request *req,
                   struct http_response *resp);

/* What http_server_new() is given: routes_handle() for the daemon, and routes_status() for the
 * answers the server gives itself. */
struct http_handler routes_handler(struct nanoletd *daemon);
/* The same for the TLS listener: each request authenticated by its bearer token first (401
 * without a known one), the token's user its caller. */
struct http_handler routes_handler_tls(struct nanoletd *daemon);

/* Fills resp with a Status (kind Status, status Failure) for err: the HTTP code and reason
 * follow err->class as pkg/util/util.h lays out (never its errno), the causes err->causes; a
 * 429 or 503 gets a Retry-After; a 500's message is also logged. */
void routes_error(struct http_response *resp, const struct nano_err *err);

/* The same with details.kind and details.name (either may be NULL), as the API server names
 * the object it refuses: kubectl prints `The Pod "x" is invalid: ...` from them. */
void routes_error_object(struct http_response *resp, const struct nano_err *err, const char *kind,
                         const char *name);

/* Fills resp with a Status of the given code, reason and message, no causes. */
void routes_status(struct http_response *resp, unsigned code, const char *reason,
                   const char *message);

/* Fills resp with json (serialised, then released). */
void routes_json(struct http_response *resp, unsigned code, json_t *json);

/* What a route's pattern captured from the path. */
struct route_args {
	char ns[64];    /* {ns}: a namespace, "" when the route has none */
	char name[254]; /* {name}: an object name */
	/* {ns} as the path has it, which may not fit ns: for the message that refuses it */
	const char *ns_segment;
	size_t ns_len;
};

typedef void route_fn(struct nanoletd *daemon, const struct http_request *req,
                      const struct route_args *args, struct http_response *resp);

/* The i-th route's path pattern ("/api/v1/namespaces/{ns}/pods"), NULL past the last: what
 * the API contract (api/openapi.yaml) must document. */
const char *routes_pattern(size_t i);

/* Which handler answers method and path, with args filled from the path; NULL when none does,
 * and then *code says why: 404, 405 (*allow the Allow header) or 400 (a {ns} that is no
 * namespace). Pure: routes_handle() is this and the call. */
route_fn *routes_resolve(const char *method, const char *path, struct route_args *args,
                         unsigned *code, const char **allow);

/* daemon/api_pods.c */
/* The pod the path names, or NULL with resp a 404 Status as the API server words it. */
struct pod *api_find_pod(struct nanoletd *d, const struct route_args *args,
                         struct http_response *resp);
/* The container a subresource request means (?container=, or the pod's only one), or NULL
 * with resp the API server's 400: "container c is not valid for pod p", "a container name must
 * be specified for pod p, choose one of: [a b]". Borrowed from the pod. */
const char *api_pod_container(const struct pod *pod, const char *name,
                              const struct http_request *req, struct http_response *resp);
/* A boolean query argument: true as Go's strconv.ParseBool reads it ("true", "1", "True",
 * "TRUE", "t", "T"). */
bool api_query_true(const struct http_request *req, const char *key);
/* resp: a 400 BadRequest Status with the message. */
void api_bad_request(struct http_response *resp, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

route_fn api_isolationplans_create; /* POST /apis/nanolet.io/v1/isolationplans */
route_fn api_pods_create;           /* POST .../namespaces/{ns}/pods */
route_fn api_pods_list;             /* GET /api/v1/pods, .../namespaces/{ns}/pods */
route_fn api_pod_get;               /* GET .../pods/{name} */
route_fn api_pod_delete;            /* DELETE .../pods/{name} */
/* daemon/api_pods_update.c */
route_fn api_pod_patch;     /* PATCH .../pods/{name}: merge, JSON and strategic merge patches */
route_fn api_pod_put;       /* PUT .../pods/{name}: the whole Pod */
route_fn api_pod_isolation; /* GET .../pods/{name}/isolation */
/* daemon/api_exec_ws.c */
route_fn api_pod_exec_ws; /* GET|POST .../pods/{name}/exec with Upgrade: websocket */
/* Whether the request asks to upgrade to a WebSocket (Connection: Upgrade, Upgrade: websocket). */
bool api_exec_is_upgrade(const struct http_request *req);
/* Ends every exec session (its process killed, its connection closed): at shutdown, before
 * the HTTP server goes. */
void api_exec_ws_close_all(struct nanoletd *d);
/* daemon/api_logs.c */
route_fn api_pod_log; /* GET .../pods/{name}/log */
/* daemon/api_exec.c */
/* An exec without a command, in kubectl's words */
#define API_EXEC_NO_COMMAND "you must specify at least one command for the container"
route_fn api_pod_exec; /* GET, POST .../pods/{name}/exec: WebSocket, or the plain form */
/* daemon/api_portforward.c */
route_fn api_pod_portforward; /* GET, POST .../pods/{name}/portforward: the API server's 405 */
/* daemon/api_events.c */
route_fn api_events_list; /* GET /api/v1/events, .../namespaces/{ns}/events */
/* daemon/api_select.c: ?fieldSelector= (of kind's fields) and ?labelSelector=. */
struct api_selectors {
	struct events_selector fields;
	struct watch_labels labels;
};
/* 0, or -EINVAL with resp the API server's 400 for a selector it could not read. */
int api_selectors_parse(const struct http_request *req, enum events_selector_kind kind,
                        struct api_selectors *out, struct http_response *resp);
void api_selectors_done(struct api_selectors *sel);
/* Whether object satisfies both (userdata: the struct api_selectors). */
bool api_selectors_match(const json_t *object, void *userdata);
/* daemon/api_watch.c: ?watch=true (or 1) on the pod and event lists. */
bool api_watch_wanted(const struct http_request *req);
/* Streams the WatchEvents of kind in args->ns ("" all) as the request asks. */
void api_watch(struct nanoletd *d, const struct http_request *req, const struct route_args *args,
               enum watch_kind kind, struct http_response *resp);
/* Ends every watch stream (at shutdown, before the pods go). */
void api_watch_close_all(struct nanoletd *d);
/* daemon/api_table.c */
/* After a GET handler: a printable 200 JSON answer becomes the meta.k8s.io Table the request's
 * Accept asks for (?includeObject= read as the API server does); anything else is left as is. */
void api_table_answer(const struct http_request *req, struct http_response *resp);
/* daemon/api_discovery.c */
route_fn api_discovery_versions; /* GET /api */
route_fn api_discovery_core;     /* GET /api/v1 */
route_fn api_discovery_groups;   /* GET /apis */
route_fn api_discovery_group;    /* GET /apis/{group}, /apis/{group}/{version} */
/* daemon/api_openapi.c (api_openapi.h) */
route_fn api_openapi_index;    /* GET /openapi/v3 */
route_fn api_openapi_document; /* GET /openapi/v3/api/v1, /openapi/v3/apis/nanolet.io/v1 */
/* daemon/api_images.c */
route_fn api_images_list;   /* GET /apis/nanolet.io/v1/images */
route_fn api_images_create; /* POST .../images: an archive (application/x-tar) or a pull */
route_fn api_image_get;     /* GET .../images/{name} */
route_fn api_image_delete;  /* DELETE .../images/{name} */
/* Completes every image operation still running (503; HTTP, stopped next, closes its
 * connection) and lets go of its pull or job: at shutdown, before the puller and HTTP go. */
void api_images_close_all(struct nanoletd *d);
/* Whether the request is an archive upload, whose body goes to a file (http_body_file). */
bool api_images_upload(const struct http_request *req);
/* The file an upload's body goes to (the image store's tmp/), its limit
 * (max_image_archive_bytes): 1, or -errno. */
int api_images_body_file(struct nanoletd *d, const struct http_request *req,
                         struct http_body_file *out);
/* daemon/api_stats.c */
route_fn api_stats_summary; /* GET /stats/summary */
route_fn api_metrics;       /* GET /metrics */
