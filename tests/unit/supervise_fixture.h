/* tests/unit/supervise_fixture.h: pods for the supervise tests, built in C (pod "web" in
 * "default", uid "uid-1", up to three containers "a", "b", "c" or named ones), and shorthands
 * for the events. Times count from T0 = 2024-05-01T12:00:00Z. Included by test_supervise*.c.
 */
#pragma once

#include <check.h>
#include <string.h>

#include "supervise/supervise.h"

#define T0 INT64_C(1714564800) /* 2024-05-01T12:00:00Z */

static const struct sup_config default_cfg = SUP_CONFIG_DEFAULT;

struct fixture {
	struct spec_pod spec;
	struct spec_container containers[3];
	struct sup_pod *pod;
};

static inline struct spec_container fixture_container(const char *name, const char *image)
{
	return (struct spec_container){
	        .name = (char *)name,
	        .image = (char *)image,
	        .resources = {SPEC_UNSET, SPEC_UNSET, SPEC_UNSET, SPEC_UNSET},
	};
}

/* A pod with n containers a, b, c (image "alpine"), created at T0. */
static inline struct sup_pod *fixture_pod_named(struct fixture *f, enum spec_restart_policy p,
                                                size_t n, const char *const *names,
                                                const char *const *images, const char *host_ip)
{
	static const char *const abc[] = {"a", "b", "c"};

	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < n; i++)
		f->containers[i] =
		        fixture_container(names ? names[i] : abc[i], images ? images[i] : "alpine");
	f->spec = (struct spec_pod){
	        .name = "web",
	        .namespace = "default",
	        .uid = "uid-1",
	        .restart_policy = p,
	        .containers = f->containers,
	        .n_containers = n,
	};
	ck_assert_int_eq(sup_pod_new(&f->spec, host_ip, T0, &f->pod), 0);
	return f->pod;
}

static inline struct sup_pod *fixture_pod(struct fixture *f, enum spec_restart_policy p, size_t n)
{
	return fixture_pod_named(f, p, n, NULL, NULL, NULL);
}

static inline void fixture_done(struct fixture *f)
{
	f->pod = sup_pod_free(f->pod);
}

/* ---- events, asserting success ------------------------------------------------------------- */

static inline void ev_sandbox(struct sup_pod *pod, int64_t at)
{
	ck_assert_int_eq(sup_pod_sandbox_ready(pod, at), 0);
}

static inline void ev_start(struct sup_pod *pod, size_t i, const char *id, int64_t at)
{
	ck_assert_int_eq(sup_container_started(pod, i, id, 1000 + (pid_t)i, at, &default_cfg), 0);
}

static inline void ev_exit_cfg(struct sup_pod *pod, size_t i, int32_t code, int64_t at,
                               const struct sup_config *cfg)
{
	struct sup_exit e = {.exit_code = code, .finished_at = at};

	ck_assert_int_eq(sup_container_exited(pod, i, &e, cfg), 0);
}

static inline void ev_exit(struct sup_pod *pod, size_t i, int32_t code, int64_t at)
{
	ev_exit_cfg(pod, i, code, at, &default_cfg);
}

static inline void assert_str_or_null(const char *got, const char *want)
{
	if (!want)
		ck_assert_ptr_null(got);
	else
		ck_assert_str_eq(got ? got : "(null)", want);
}
