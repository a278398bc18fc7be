/* daemon/api_portforward.c: .../pods/{name}/portforward, which nanolet does not serve.
 *
 * kubectl port-forward first asks for a WebSocket tunnel (GET, Upgrade: websocket, subprotocol
 * SPDY/3.1+portforward.k8s.io) and, refused, falls back to a SPDY upgrade (POST). Both get the
 * API server's answer for an action a resource does not support (apierrors.NewMethodNotSupported:
 * 405 MethodNotAllowed, details kind "pods"), right away, so that kubectl prints why and exits
 * non-zero instead of waiting. A pod that does not exist is a 404 first, as the API server
 * looks the pod up before it connects. Discovery does not list pods/portforward.
 *
 * What this must not do: upgrade the connection, or keep it. */
#include "nanoletd.h"
#include "routes.h"

void api_pod_portforward(struct nanoletd *d, const struct http_request *req,
                         const struct route_args *args, struct http_response *resp)
{
	(void)req;
	if (!api_find_pod(d, args, resp))
		return;
	routes_json(resp, 405,
	            json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:{s:s, s:s}, s:i}", "kind",
	                      "Status", "apiVersion", "v1", "metadata", "status", "Failure",
	                      "message",
	                      "portforward is not supported on resources of kind \"pods\": nanolet "
	                      "forwards no ports; from this node, connect to the pod's IP "
	                      "(status.podIP) instead",
	                      "reason", "MethodNotAllowed", "details", "group", "", "kind", "pods",
	                      "code", 405));
}
