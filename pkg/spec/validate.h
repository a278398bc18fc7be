/* pkg/spec/validate.h: private to pkg/spec. The rules between fields (validate.c). */
#pragma once

#include <stdbool.h>

#include <jansson.h>

#include "spec.h"

/* document.c: gives a refusal of the request's its class (spec.h); returns r. */
int spec_request_error(struct nano_err *err, int r);

/* pod.c: `Pod "name" is invalid: [a: x, b: y]`, the API server's summary of all causes, which
 * err takes from causes. -EINVAL. */
int spec_invalid_error(const char *name, struct nano_err *causes, struct nano_err *err);

/* metadata.labels and metadata.annotations as the API server validates them (a create's and an
 * update's): qualified keys, label values of at most 63 characters of the label alphabet,
 * annotations 256 KiB in all. A cause to causes for each fault. */
void validate_labels_and_annotations(const json_t *meta, struct nano_err *causes);

/* Adds a cause to causes for every rule the pod breaks. spec is the pod's "spec" object, read
 * for the text of values quoted back in messages. */
void validate_pod(const struct spec_pod *pod, json_t *spec, struct nano_err *causes);

bool validate_dns1123_label(const char *s);     /* [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63 */
bool validate_dns1123_subdomain(const char *s); /* labels joined by '.', <= 253 */
bool validate_env_name(const char *s);          /* [-._a-zA-Z][-._a-zA-Z0-9]* */
bool validate_descending_path(const char *p);   /* relative, no ".." component */

/* IsValidPortName (an IANA service name): one cause at field for every rule name breaks. */
void validate_port_name(struct nano_err *causes, const char *field, const char *name);

/* The API server's words for a name that is not a DNS-1123 label or subdomain. */
extern const char *const validate_label_message;
extern const char *const validate_subdomain_message;

/* pod_dns.c: reads and checks spec.dnsPolicy, dnsConfig, hostAliases and subdomain into pod,
 * adding a cause to causes for every rule they break (the API server's validation). */
void spec_pod_read_dns(json_t *spec, struct spec_pod *pod, struct nano_err *causes);
void spec_pod_dns_done(struct spec_pod *pod);

/* probe.c: a container's probes, lifecycle hooks and termination message fields.
 * spec_container_default_probes applies the API server's defaults to a container's JSON (c may be
 * anything); spec_container_read_probes reads them into out, adding a cause for every rule they
 * break (path: the container's, "spec.containers[0]"; grace: the pod's
 * terminationGracePeriodSeconds, which bounds a sleep hook); spec_container_probes_done frees. */
void spec_container_default_probes(json_t *c);
void spec_container_read_probes(json_t *c, const char *path, int64_t grace,
                                struct spec_container *out, struct nano_err *causes);
void spec_container_probes_done(struct spec_container *c);
