/* daemon/image_gc.h: image garbage collection as the kubelet's (pkg/kubelet/images/
 * image_gc_manager.go): every 5 minutes, and after each load or pull through the images API
 * (a pod's own pull waits for the timer, as the kubelet's), the filesystem of
 * <state_dir>/images is read (statvfs); above image_gc_high_threshold_percent, unused images
 * whose creation and last use are older than image_minimum_gc_age are removed, least recently
 * used first, until usage comes down to image_gc_low_threshold_percent (image_gc_pick). An
 * image a pod's container has as its root (pods_image_in_use) is never removed: that is asked
 * again right before each removal. Removals run off the loop (util_work), one at a time. */
#pragma once

#include "util/util.h"

struct nanoletd;
struct image_gc;

/* The timer starts here; its first pass is 5 minutes on, when the pods are restored. */
int image_gc_new(struct nanoletd *d, struct image_gc **out, struct nano_err *err);
struct image_gc *image_gc_free(struct image_gc *gc);

/* A pass now (after a pull or a load): another one after it when one is running. */
void image_gc_soon(struct image_gc *gc);
