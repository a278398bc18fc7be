/* tests/integration/helpers/image_pull.c: drives pkg/image's puller on an sd-event loop, as the
 * daemon does, for images_registry.bats.
 *
 * Usage: image_pull STORE_DIR CONFIG_JSON REFERENCE...
 * CONFIG_JSON: {"registries": {"<domain>": {"mirrors": ["http://..."], "insecure": true}},
 *               "auth_file": "/path/config.json", "timeout": 60}
 * Starts one pull per REFERENCE argument, all at once (the same reference twice: two waiters of
 * one transfer), and prints a JSON line per waiter as it ends: {"reference", "r", "message"} or
 * {"reference", "r": 0, "id", "manifest", "repo_tags", "repo_digests", "bytes", "layers":
 * [lowerdirs]}. A REFERENCE written cancel:REF is a waiter cancelled at once (image_pull_cancel):
 * it prints nothing, and the transfer goes on for the others. Last, {"max_loop_gap_ms": N}: the
 * longest the loop went without running a 10 ms timer (a pull must never block it). Exits 0 when
 * every pull succeeded, 1 otherwise. "stop_after_ms" in CONFIG_JSON: the loop ends then and the
 * puller is freed with its pulls in flight (image_puller_free), exit 3.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "image/image.h"

struct waiter {
	const char *reference;
	struct image_store *store;
	int *left, *failed;
	sd_event *event;
};

static uint64_t last_tick, max_gap;
static int64_t stop_after_ms;

static int on_stop(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)s;
	(void)usec;
	return sd_event_exit(userdata, 3);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	(void)userdata;
	if (last_tick && usec - last_tick > max_gap)
		max_gap = usec - last_tick;
	last_tick = usec;
	sd_event_source_set_time(s, usec + 10000);
	sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
	return 0;
}

static json_t *strv_json(char **l)
{
	json_t *a = json_array();

	for (; l && *l; l++)
		json_array_append_new(a, json_string(*l));
	return a;
}

static void on_done(void *userdata, int r, const struct image_pull_result *result,
                    const struct nano_err *err)
{
	struct waiter *w = userdata;
	json_t *out;

	if (r < 0) {
		out = json_pack("{s:s,s:i,s:s}", "reference", w->reference, "r", r, "message",
		                err && err->message ? err->message : "");
		(*w->failed)++;
	} else {
		char **lower = NULL;
		struct nano_err e = {0};

		(void)image_store_lowerdirs(w->store, &result->record, &lower, &e);
		nano_err_clear(&e);
		out = json_pack("{s:s,s:i,s:s,s:s,s:o,s:o,s:I,s:o}", "reference", w->reference, "r",
		                0, "id", result->record.id, "manifest", result->record.manifest,
		                "repo_tags", strv_json(result->record.repo_tags), "repo_digests",
		                strv_json(result->record.repo_digests), "bytes",
		                (json_int_t)result->bytes, "layers", strv_json(lower));
		strv_free(lower);
	}
	char *s = json_dumps(out, JSON_COMPACT);
	printf("%s\n", s);
	fflush(stdout);
	free(s);
	json_decref(out);
	if (--*w->left == 0)
		sd_event_exit(w->event, 0);
}

static int config_from_json(const char *text, struct image_puller_config *c)
{
	json_error_t jerr;
	json_t *root = json_loads(text, 0, &jerr), *regs, *v;
	const char *domain;

	if (!root) {
		fprintf(stderr, "config: %s\n", jerr.text);
		return -EINVAL;
	}
	regs = json_object_get(root, "registries");
	c->registries = calloc(json_object_size(regs) + 1, sizeof(*c->registries));
	json_object_foreach(regs, domain, v)
	{
		struct image_registry_config *rc = &c->registries[c->n_registries++];
		size_t i;
		json_t *m;

		rc->domain = strdup(domain);
		rc->insecure = json_is_true(json_object_get(v, "insecure"));
		json_array_foreach(json_object_get(v, "mirrors"), i, m)
		        strv_push(&rc->mirrors, strdup(json_string_value(m)));
	}
	if (json_string_value(json_object_get(root, "auth_file")))
		c->auth_file = strdup(json_string_value(json_object_get(root, "auth_file")));
	c->timeout_s = json_integer_value(json_object_get(root, "timeout"));
	stop_after_ms = json_integer_value(json_object_get(root, "stop_after_ms"));
	json_decref(root);
	return 0;
}

int main(int argc, char **argv)
{
	struct image_puller_config config = {0};
	struct image_store *store = NULL;
	struct image_puller *puller = NULL;
	struct nano_err err = {0};
	sd_event *e = NULL;
	sd_event_source *tick = NULL;
	int left, failed = 0, r;
	struct waiter *waiters;

	if (argc < 4) {
		fprintf(stderr, "usage: %s STORE_DIR CONFIG_JSON REFERENCE...\n", argv[0]);
		return 2;
	}
	if (config_from_json(argv[2], &config) < 0)
		return 2;
	r = sd_event_default(&e);
	if (r < 0)
		return 2;
	r = image_store_open(argv[1], &store, &err);
	if (r < 0) {
		fprintf(stderr, "store: %s\n", err.message);
		return 2;
	}
	r = image_puller_new(e, store, &config, &puller, &err);
	if (r < 0) {
		fprintf(stderr, "puller: %s\n", err.message);
		return 2;
	}
	left = 0;
	waiters = calloc((size_t)argc, sizeof(*waiters));
	for (int i = 3; i < argc; i++) {
		struct waiter *w = &waiters[i - 3];
		bool cancel = strncmp(argv[i], "cancel:", 7) == 0;
		const char *ref = cancel ? argv[i] + 7 : argv[i];
		struct image_pull *handle;

		*w = (struct waiter){ref, store, &left, &failed, e};
		handle = image_pull_start(puller, ref, on_done, w);
		if (!handle) {
			fprintf(stderr, "image_pull_start: out of memory\n");
			return 2;
		}
		if (cancel)
			image_pull_cancel(handle);
		else
			left++;
	}
	sd_event_add_time_relative(e, &tick, CLOCK_MONOTONIC, 10000, 1000, on_tick, NULL);
	if (stop_after_ms > 0)
		sd_event_add_time_relative(e, NULL, CLOCK_MONOTONIC, (uint64_t)stop_after_ms * 1000,
		                           1000, on_stop, e);
	r = left > 0 ? sd_event_loop(e) : 0;
	printf("{\"max_loop_gap_ms\":%llu}\n", (unsigned long long)(max_gap / 1000));
	sd_event_source_disable_unref(tick);
	image_puller_free(puller);
	image_store_close(store);
	for (size_t i = 0; i < config.n_registries; i++) {
		free(config.registries[i].domain);
		strv_free(config.registries[i].mirrors);
	}
	free(config.registries);
	free(config.auth_file);
	free(waiters);
	sd_event_unref(e);
	if (r == 3)
		return 3; /* stopped with pulls in flight: the puller freed them */
	return r < 0 || failed ? 1 : 0;
}
