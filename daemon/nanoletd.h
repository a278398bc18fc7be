/* daemon/nanoletd.h: the daemon's one context, handed to the routes. */
#pragma once

#include <systemd/sd-event.h>

#include "cgroup/cgroup.h"
#include "config.h"

struct http_server;

struct nanoletd {
	struct nano_config config;
	sd_event *event;
	struct http_server *http;
	struct cgroup_host host; /* what statfs found at start */
	char *cgroup_root;       /* resolved nanolet root (cgroup path), never NULL once started */
};

#define NANOLET_VERSION_STRING NANOLET_VERSION
