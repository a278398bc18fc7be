/* tests/unit/plan_fixture.h: the pods of the plan tests, built in C from a base (one container
 * "app" running /bin/true, no resources, every optional field unset) that each row mutates;
 * nothing here goes through spec decoding. Included by test_plan*.c and by
 * test_cgroup_v*.c, whose drivers apply these plans.
 */
#pragma once

#include <check.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "plan/plan.h"

#define MI(n) ((int64_t)(n)*1024 * 1024)
#define U     SPEC_UNSET

/* ---- fixtures ----------------------------------------------------------------------------- */

struct fixture {
	struct spec_pod pod;
	struct spec_container containers[3];
	struct spec_volume volumes[4];
	struct spec_volume_mount mounts[4];
	struct spec_env_var env[4];
	int64_t groups[4];
	struct plan_config config;
};

static char *command_true[] = {"/bin/true", NULL};

static inline struct spec_container container(char *name)
{
	return (struct spec_container){
	        .name = name,
	        .image = "",
	        .command = command_true,
	        .resources = {SPEC_UNSET, SPEC_UNSET, SPEC_UNSET, SPEC_UNSET},
	        .security_context = {.run_as_user = SPEC_UNSET,
	                             .run_as_group = SPEC_UNSET,
	                             .run_as_non_root = SPEC_BOOL_UNSET,
	                             .allow_privilege_escalation = SPEC_BOOL_UNSET,
	                             .privileged = SPEC_BOOL_UNSET,
	                             .read_only_root_filesystem = SPEC_BOOL_UNSET},
	};
}

static inline void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->containers[0] = container("app");
	f->pod = (struct spec_pod){
	        .name = "web",
	        .namespace = "default",
	        .pids_limit_annotation = SPEC_UNSET,
	        .host_users = SPEC_BOOL_UNSET,
	        .termination_grace_period_seconds = 30,
	        .security_context = {.run_as_user = SPEC_UNSET,
	                             .run_as_group = SPEC_UNSET,
	                             .fs_group = SPEC_UNSET,
	                             .run_as_non_root = SPEC_BOOL_UNSET},
	        .containers = f->containers,
	        .n_containers = 1,
	        .volumes = f->volumes,
	};
	f->config = (struct plan_config){
	        .cgroup_root = "/nanolet",
	        .driver = PLAN_CGROUP_V2,
	        .pod_pids_limit = 1024,
	        .state_dir = "/var/lib/nanolet",
	        .pod_uid = "1234",
	};
}

static inline void resources(struct spec_container *c, int64_t cpu_req, int64_t cpu_lim,
                             int64_t mem_req, int64_t mem_lim)
{
	c->resources = (struct spec_resources){cpu_req, cpu_lim, mem_req, mem_lim};
}

static inline struct plan *build(struct fixture *f)
{
	struct plan *plan = NULL;

	ck_assert_int_eq(plan_build(&f->pod, &f->config, NULL, &plan), 0);
	ck_assert_ptr_nonnull(plan);
	return plan;
}

/* A cgroup's files as "name=value,name=value", to compare a whole set at once. */
static inline char *files_str(const struct plan_file *files, size_t n)
{
	static char buf[512];

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			strcat(buf, ",");
		strcat(buf, files[i].name);
		strcat(buf, "=");
		strcat(buf, files[i].value);
	}
	return buf;
}

/* A container's mounts from index from on as "dest type source opt,opt;...". */
static inline void mounts_str(const struct plan_container *c, size_t from, char *buf, size_t size)
{
	buf[0] = '\0';
	for (size_t i = from; i < c->n_mounts; i++) {
		const struct plan_mount *m = &c->mounts[i];
		size_t len = strlen(buf);

		snprintf(buf + len, size - len, "%s%s %s %s ", i > from ? ";" : "", m->destination,
		         m->type, m->source);
		for (size_t j = 0; m->options[j]; j++) {
			len = strlen(buf);
			snprintf(buf + len, size - len, "%s%s", j ? "," : "", m->options[j]);
		}
	}
}

static inline bool has_warning(const struct plan *plan, const char *needle)
{
	for (size_t i = 0; plan->warnings && plan->warnings[i]; i++)
		if (strstr(plan->warnings[i], needle))
			return true;
	return false;
}

static inline void m_none(struct fixture *f)
{
	(void)f;
}
