/* daemon/pods/images.h: the kubelet's image manager for a pod's containers (images.c), between
 * the lifecycle (which asks before each container start) and the sandbox (whose shim.json it
 * rewrites once a container is resolved). The pure part — the pull policy's decision, the
 * image back-off, the words of the events — is below for the Check suites. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image/image.h"
#include "pods/record.h"
#include "pods/sandbox.h"

/* ---- pure ---------------------------------------------------------------------------------- */

enum pod_image_action {
	POD_IMAGE_USE,        /* present, and the policy does not pull: Pulled "already present" */
	POD_IMAGE_PULL,       /* Always, or IfNotPresent and absent */
	POD_IMAGE_NEVER_PULL, /* Never and absent: ErrImageNeverPull */
};

/* shouldPullImage (pkg/kubelet/images/image_manager.go) and its caller's branches. */
enum pod_image_action pod_image_decide(enum image_pull_policy policy, bool present);

/* One entry of the kubelet's image back-off (flowcontrol.Backoff keyed "<pod uid>_<image>"):
 * per image per pod. Times in microseconds of CLOCK_REALTIME. */
struct pod_image_backoff {
	struct pod_image_backoff *next;
	char *image;         /* the spec's image, as written */
	int64_t backoff;     /* the current delay, usec */
	int64_t last_update; /* when it last advanced, usec */
	char *last_error;    /* "ErrImagePull: <the pull's message>", for the back-off's waiting
	                      * message */
};

/* IsInBackOffSinceUpdate: an entry not expired (last updated within 2 max) whose delay since
 * its last update has not passed. */
bool pod_image_backoff_active(const struct pod_image_backoff *b, int64_t now,
                              const struct pods_image_backoff *config);
/* Next: the first failure (or the first after the entry expired) waits initial, each next one
 * twice the last, up to max. */
void pod_image_backoff_next(struct pod_image_backoff *b, int64_t now,
                            const struct pods_image_backoff *config);

/* Go's time.Duration.String of ns truncated to milliseconds, as the Pulled event shows it:
 * "0s", "313ms", "1.594s", "1m2.5s", "1h0m0s". out holds at least 32 bytes. */
void pod_image_duration(int64_t ns, char *out, size_t size);

/* ---- the pod's images ---------------------------------------------------------------------- */

enum pod_image_step {
	POD_IMAGE_READY,   /* start it: the plan, status and shim.json name the image */
	POD_IMAGE_WAIT,    /* a pull is under way: done(pod, i) comes when it ends */
	POD_IMAGE_REFUSED, /* not now: the waiting reason, message, events and the time of the
	                    * next try (sup's restart_at, which pod_sync arms) are recorded */
};

/* Container i about to start: a root that is no reference (host, a path) is READY at once.
 * Else the image is made present as the kubelet's EnsureImageExists does — InvalidImageName,
 * ErrImageNeverPull, "already present", ImagePullBackOff, or a pull (Pulling, then Pulled or
 * Failed and ErrImagePull) — and the container is resolved with it: its User through the
 * image's /etc/passwd, plan_container_apply_image, pod_shim_config_rewrite, status image and
 * imageID, image_store_touch. done is called for a pull's end (never from this call), pulled
 * true when it brought the image (start again: the record is used), false when it failed (the
 * failure is recorded); it may free the pod. */
enum pod_image_step pod_image_ensure(struct pod *pod, size_t i,
                                     void (*done)(struct pod *pod, size_t i, bool pulled));
/* Whether container i waits for a pull (its start comes with the pull's end). */
bool pod_image_pulling(const struct pod *pod, size_t i);

/* A restored pod: each container whose status names an image (imageID) is resolved again from
 * the store, without a pull and without events, so that its plan and shim.json are whole for
 * the runs it already has. A record that is gone leaves the container unresolved: its next
 * start makes the image present again. */
void pod_images_restore(struct pod *pod);

/* Drops every pull the pod waits for and its back-off entries. */
void pod_images_done(struct pod *pod);
