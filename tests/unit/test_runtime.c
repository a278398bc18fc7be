#include "check_main.h"
/* tests/unit/test_runtime.c: the files between the daemon and the shim — shim.json written by
 * runtime_shim_config_to_json and read back by shim_config_load, exit files, reply parsing.
 * Nothing here starts a shim (tests/integration/shim.bats does).
 */
#include <stdlib.h>
#include <sys/stat.h>

#include "plan_fixture.h"
#include "runtime/runtime.h"
#include "runtime/shim.h"

static char *tmp_dir(void)
{
	char *d = strdup("/tmp/nanolet-unit-runtime.XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(d));
	return d;
}

static void rm_dir(char *d)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	ck_assert_int_eq(system(cmd), 0);
	free(d);
}

static struct shim_config *round_trip(const struct plan *plan, const char *uid_map, const char *dir)
{
	char *procs[] = {"/cg/a/cgroup.procs", "/cg2/a/cgroup.procs", NULL};
	char *infra[] = {"/cg/infra/cgroup.procs", NULL};
	struct runtime_shim_container containers[] = {
	        {.name = plan->containers[0].name,
	         .cgroup_procs = procs,
	         .cgroup_dir = "/cg2/a",
	         .log_dir = "/logs/a"},
	};
	struct runtime_shim_config c = {.plan = plan,
	                                .infra_procs = infra,
	                                .uid_map = uid_map,
	                                .gid_map = uid_map,
	                                .containers = containers,
	                                .n_containers = 1,
	                                .log_max_size = 4096,
	                                .log_max_files = 3};
	struct nano_err err = {0};
	struct shim_config *out = NULL;
	json_t *o = runtime_shim_config_to_json(&c);
	struct stat st;
	char path[256];

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(runtime_shim_config_write(dir, o, &err), 0);
	json_decref(o);
	snprintf(path, sizeof(path), "%s/shim.json", dir);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_msg(shim_config_load(dir, &out, &err) == 0, "%s", err.message);
	return out;
}

START_TEST(shim_json_round_trip)
{
	struct fixture f;
	char *dir = tmp_dir();
	struct plan *plan;
	struct shim_config *c;
	const struct shim_container *sc;

	fixture_init(&f);
	f.pod.hostname = "vault";
	f.pod.host_users = SPEC_BOOL_FALSE;
	f.pod.security_context.run_as_user = 1000;
	f.pod.security_context.fs_group = 2000;
	f.volumes[0] = (struct spec_volume){.name = "data", .type = SPEC_VOLUME_EMPTY_DIR};
	f.pod.n_volumes = 1;
	f.mounts[0] = (struct spec_volume_mount){
	        .name = "data", .mount_path = "/data", .read_only = true};
	f.containers[0].volume_mounts = f.mounts;
	f.containers[0].n_volume_mounts = 1;
	plan = build(&f);
	c = round_trip(plan, "0 100000 65536", dir);

	ck_assert_str_eq(c->name, "web");
	ck_assert_str_eq(c->uid, "1234");
	ck_assert_str_eq(c->hostname, "vault");
	ck_assert_uint_eq(c->clone_flags, plan->clone_flags);
	ck_assert(c->clone_flags & CLONE_NEWUSER);
	ck_assert_str_eq(c->uid_map, "0 100000 65536");
	ck_assert_str_eq(c->infra_procs[0], "/cg/infra/cgroup.procs");
	ck_assert_int_eq(c->log_max_size, 4096);
	ck_assert_int_eq(c->log_max_files, 3);
	ck_assert_uint_eq(c->n_containers, 1);
	sc = shim_config_container(c, "app");
	ck_assert_ptr_nonnull(sc);
	ck_assert_ptr_null(shim_config_container(c, "nope"));
	ck_assert_uint_eq(sc->clone_flags, plan->containers[0].clone_flags);
	ck_assert_str_eq(sc->process.args[0], "/bin/true");
	ck_assert_uint_eq(sc->process.uid, 1000);
	ck_assert_uint_eq(sc->process.n_supplemental_groups, 2); /* its gid, 0, and fsGroup */
	ck_assert_uint_eq(sc->process.supplemental_groups[0], 0);
	ck_assert_uint_eq(sc->process.supplemental_groups[1], 2000);
	ck_assert_int_eq(sc->root.kind, PLAN_ROOT_HOST);
	ck_assert_uint_eq(sc->n_mounts, plan->containers[0].n_mounts);
	ck_assert_str_eq(sc->mounts[sc->n_mounts - 1].destination, "/data");
	ck_assert(strv_contains(sc->mounts[sc->n_mounts - 1].options, "ro"));
	ck_assert_str_eq(sc->cgroup_procs[1], "/cg2/a/cgroup.procs");
	ck_assert_str_eq(sc->cgroup_dir, "/cg2/a");
	ck_assert_str_eq(sc->log_dir, "/logs/a");
	shim_config_free(c);
	plan_free(plan);
	rm_dir(dir);
}
END_TEST

START_TEST(shim_json_userns_must_match_plan)
{
	struct fixture f;
	char *dir = tmp_dir();
	struct plan *plan;
	struct nano_err err = {0};
	struct shim_config *c = NULL;
	char *infra[] = {NULL};
	struct runtime_shim_container containers[] = {
	        {.name = "app", .cgroup_procs = infra, .log_dir = "/l"}};
	struct runtime_shim_config rc = {.infra_procs = infra,
	                                 .uid_map = "0 100000 65536",
	                                 .gid_map = "0 100000 65536",
	                                 .containers = containers,
	                                 .n_containers = 1};
	json_t *o;

	fixture_init(&f);
	plan = build(&f); /* hostUsers unset: no CLONE_NEWUSER */
	rc.plan = plan;
	o = runtime_shim_config_to_json(&rc);
	ck_assert_int_eq(runtime_shim_config_write(dir, o, &err), 0);
	json_decref(o);
	ck_assert_int_eq(shim_config_load(dir, &c, &err), -EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.message, "CLONE_NEWUSER"));
	nano_err_clear(&err);
	plan_free(plan);
	rm_dir(dir);
}
END_TEST

/* An image's container: empty until resolved; runtime_shim_config_replace_plan puts the
 * resolved plan in shim.json and shim_config_refresh reads that container again, the rest of
 * the shim's config as it was. */
START_TEST(shim_json_image_resolved_later)
{
	struct fixture f;
	char *dir = tmp_dir();
	struct plan *plan;
	struct shim_config *c;
	struct nano_err err = {0};
	char *lowers[] = {"/layers/sha256:b", "/layers/sha256:a", NULL};
	char *entrypoint[] = {"/bin/sh", "-c", NULL}, *cmd[] = {"echo hi", NULL};
	struct plan_image image = {.reference = "docker.io/library/busybox:1.36",
	                           .id = "sha256:c0ffee",
	                           .repo_digest = "docker.io/library/busybox@sha256:d1",
	                           .lowerdirs = lowers,
	                           .entrypoint = entrypoint,
	                           .cmd = cmd,
	                           .user = "1000",
	                           .has_uid = true,
	                           .uid = 1000};
	const struct shim_container *sc;

	fixture_init(&f);
	f.containers[0].image = "busybox:1.36";
	f.containers[0].command = NULL;
	plan = build(&f);
	c = round_trip(plan, NULL, dir);
	sc = shim_config_container(c, "app");
	ck_assert_int_eq(sc->root.kind, PLAN_ROOT_IMAGE);
	ck_assert_str_eq(sc->root.path, "busybox:1.36");
	ck_assert_ptr_null(sc->root.lowerdirs);
	ck_assert_ptr_null(sc->process.args[0]);

	ck_assert_int_eq(plan_container_apply_image(plan, 0, &f.pod, &image), 0);
	ck_assert_int_eq(runtime_shim_config_replace_plan(dir, plan, &err), 0);
	ck_assert_msg(shim_config_refresh(c, "app", &err) == 0, "%s", err.message);
	sc = shim_config_container(c, "app");
	ck_assert_str_eq(sc->root.image, "docker.io/library/busybox:1.36");
	ck_assert_str_eq(sc->root.image_id, "sha256:c0ffee");
	ck_assert_str_eq(sc->root.lowerdirs[0], "/layers/sha256:b");
	ck_assert_str_eq(sc->root.lowerdirs[1], "/layers/sha256:a");
	ck_assert_ptr_null(sc->root.lowerdirs[2]);
	ck_assert_str_eq(sc->process.args[0], "/bin/sh");
	ck_assert_str_eq(sc->process.args[2], "echo hi");
	ck_assert_uint_eq(sc->process.uid, 1000);
	ck_assert_uint_eq(sc->security.capabilities.effective, 0);
	/* the rest stays as the sandbox wrote it */
	ck_assert_str_eq(sc->log_dir, "/logs/a");
	ck_assert_str_eq(c->infra_procs[0], "/cg/infra/cgroup.procs");
	ck_assert_int_eq(shim_config_refresh(c, "nope", &err), -ENOENT);
	nano_err_clear(&err);
	shim_config_free(c);
	plan_free(plan);
	rm_dir(dir);
}
END_TEST

/* A container that is not an image's still needs a command in shim.json. */
START_TEST(shim_json_empty_args_refused)
{
	struct fixture f;
	char *dir = tmp_dir();
	struct plan *plan;
	struct nano_err err = {0};
	struct shim_config *c = NULL;
	char *infra[] = {NULL};
	struct runtime_shim_container containers[] = {
	        {.name = "app", .cgroup_procs = infra, .log_dir = "/l"}};
	struct runtime_shim_config rc = {
	        .infra_procs = infra, .containers = containers, .n_containers = 1};
	json_t *o;

	fixture_init(&f);
	plan = build(&f);
	strv_free(plan->containers[0].process.args);
	plan->containers[0].process.args = calloc(1, sizeof(char *));
	rc.plan = plan;
	o = runtime_shim_config_to_json(&rc);
	ck_assert_int_eq(runtime_shim_config_write(dir, o, &err), 0);
	json_decref(o);
	ck_assert_int_eq(shim_config_load(dir, &c, &err), -EBADMSG);
	ck_assert_str_eq(err.message, "shim.json: process.args is empty");
	nano_err_clear(&err);
	plan_free(plan);
	rm_dir(dir);
}
END_TEST

static const struct {
	const char *reply;
	bool is_error;
	int errnum;
	const char *message;
} reply_rows[] = {
        {"ok 1234", false, 0, NULL},
        {"ok", false, 0, NULL},
        {"error 2 No such file or directory", true, 2, "No such file or directory"},
        {"error 16 container a is running", true, 16, "container a is running"},
        {"error x", true, EIO, "x"},
        {"{\"pid\":1}", false, 0, NULL},
};

START_TEST(reply_error_rows)
{
	int errnum = 0;
	const char *message = NULL;
	bool is_error = runtime_reply_error(reply_rows[_i].reply, &errnum, &message);

	ck_assert_int_eq(is_error, reply_rows[_i].is_error);
	if (is_error) {
		ck_assert_int_eq(errnum, reply_rows[_i].errnum);
		ck_assert_str_eq(message, reply_rows[_i].message);
	}
}
END_TEST

/* The shim's reading of a request: what the daemon sends, and noise. */
static const struct {
	const char *text;
	int rc;
	enum runtime_request_kind kind;
	const char *name;
	int64_t number;
	const char *why;
} request_rows[] = {
        {"start app 0", 0, RUNTIME_REQUEST_START, "app", 0, NULL},
        {"start app 12\n", 0, RUNTIME_REQUEST_START, "app", 12, NULL},
        {"kill app 15", 0, RUNTIME_REQUEST_KILL, "app", 15, NULL},
        {"state", 0, RUNTIME_REQUEST_STATE, NULL, 0, NULL},
        {"  shutdown \n", 0, RUNTIME_REQUEST_SHUTDOWN, NULL, 0, NULL},
        {"start app -1", -EINVAL, RUNTIME_REQUEST_START, "app", -1, "RESTART must be a count"},
        {"start app 1x", -EINVAL, RUNTIME_REQUEST_START, "app", 1, "RESTART must be a count"},
        {"start app 99999999999999999999", -EINVAL, RUNTIME_REQUEST_START, "app", 0,
         "RESTART must be a count"},
        {"kill app 0", -EINVAL, RUNTIME_REQUEST_KILL, "app", 0, "SIGNAL must be a signal number"},
        {"kill app 65", -EINVAL, RUNTIME_REQUEST_KILL, "app", 65, "SIGNAL must be a signal number"},
        {"start app", -EINVAL, 0, NULL, 0, "unknown request"},
        {"start a b c", -EINVAL, 0, NULL, 0, "unknown request"},
        {"reboot", -EINVAL, 0, NULL, 0, "unknown request"},
        {"", -EINVAL, 0, NULL, 0, "unknown request"},
};

START_TEST(request_rows_parse)
{
	char *text = strdup(request_rows[_i].text);
	struct runtime_request q;
	const char *why = NULL;
	int rc = runtime_request_parse(text, &q, &why);

	ck_assert_msg(rc == request_rows[_i].rc, "%s: %d", request_rows[_i].text, rc);
	if (rc == 0) {
		ck_assert_int_eq(q.kind, request_rows[_i].kind);
		ck_assert_int_eq(q.number, request_rows[_i].number);
		if (request_rows[_i].name)
			ck_assert_str_eq(q.name, request_rows[_i].name);
		ck_assert_ptr_null(why);
	} else {
		ck_assert_str_eq(why, request_rows[_i].why);
	}
	free(text);
}
END_TEST

/* An exec request's JSON as the shim reads it (runtime_exec_request_parse): the daemon's, and
 * noise. */
static const struct {
	const char *json;
	int rc;
	const char *container;
	bool tty, stdin;
	size_t argc;
	const char *last; /* argv's last word */
} exec_rows[] = {
        {"{\"container\":\"c\",\"tty\":false,\"stdin\":true,\"argv\":[\"cat\"]}", 0, "c", false,
         true, 1, "cat"},
        {"{\"container\":\"web\",\"tty\":true,\"stdin\":false,\"argv\":[\"sh\",\"-c\",\"\"]}", 0,
         "web", true, false, 3, ""},
        {"{\"container\":\"c\",\"tty\":false,\"stdin\":false,\"argv\":[]}", -EINVAL, NULL, 0, 0, 0,
         NULL},
        {"{\"container\":\"c\",\"tty\":false,\"stdin\":false,\"argv\":[\"\"]}", -EINVAL, NULL, 0, 0,
         0, NULL},
        {"{\"container\":\"c\",\"tty\":false,\"stdin\":false,\"argv\":[\"ls\",7]}", -EINVAL, NULL,
         0, 0, 0, NULL},
        {"{\"container\":\"c\",\"tty\":0,\"stdin\":false,\"argv\":[\"ls\"]}", -EINVAL, NULL, 0, 0,
         0, NULL},
        {"{\"container\":\"c\",\"stdin\":false,\"argv\":[\"ls\"]}", -EINVAL, NULL, 0, 0, 0, NULL},
        {"{\"container\":\"c\",\"container\":\"d\",\"tty\":false,\"stdin\":false,\"argv\":[\"ls\"]"
         "}",
         -EINVAL, NULL, 0, 0, 0, NULL},
        {"[\"ls\"]", -EINVAL, NULL, 0, 0, 0, NULL},
        {"", -EINVAL, NULL, 0, 0, 0, NULL},
};

START_TEST(exec_rows_parse)
{
	struct runtime_exec_request req;
	const char *why = NULL;
	int rc = runtime_exec_request_parse(exec_rows[_i].json, &req, &why);

	ck_assert_msg(rc == exec_rows[_i].rc, "%s: %d", exec_rows[_i].json, rc);
	if (rc < 0) {
		ck_assert_ptr_nonnull(why);
		ck_assert_ptr_null(req.argv);
		return;
	}
	ck_assert_str_eq(req.container, exec_rows[_i].container);
	ck_assert_int_eq(req.tty, exec_rows[_i].tty);
	ck_assert_int_eq(req.stdin, exec_rows[_i].stdin);
	ck_assert_uint_eq(strv_len(req.argv), exec_rows[_i].argc);
	ck_assert_str_eq(req.argv[exec_rows[_i].argc - 1], exec_rows[_i].last);
	runtime_exec_request_done(&req);
}
END_TEST

/* What the daemon sends is what the shim reads back, through the protocol's "exec " word. */
START_TEST(exec_request_round_trip)
{
	char *const argv[] = {"sh", "-c", "echo \"hi\" there", NULL};
	struct runtime_exec_request req;
	struct runtime_request q;
	const char *why;
	char *big[RUNTIME_EXEC_MAX_ARGS + 2];
	int r;
	char *text = runtime_exec_request_format("app", false, true, argv, &r);

	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(runtime_request_parse(text, &q, &why), 0);
	ck_assert_int_eq(q.kind, RUNTIME_REQUEST_EXEC);
	ck_assert_int_eq(runtime_exec_request_parse(q.payload, &req, &why), 0);
	ck_assert_str_eq(req.container, "app");
	ck_assert(!req.tty && req.stdin);
	ck_assert_str_eq(req.argv[2], "echo \"hi\" there");
	ck_assert_ptr_null(req.argv[3]);
	runtime_exec_request_done(&req);
	free(text);

	/* nothing to run, or too much to send, is refused before anything is sent */
	ck_assert_ptr_null(runtime_exec_request_format("app", false, false, (char *[]){NULL}, &r));
	ck_assert_int_eq(r, -EINVAL);
	for (size_t i = 0; i < ELEMENTSOF(big) - 1; i++)
		big[i] = "x";
	big[ELEMENTSOF(big) - 1] = NULL;
	ck_assert_ptr_null(runtime_exec_request_format("app", false, false, big, &r));
	ck_assert_int_eq(r, -E2BIG);
	/* a word that is not UTF-8 cannot be sent as JSON: said, not taken for ENOMEM */
	ck_assert_ptr_null(runtime_exec_request_format("app", false, false,
	                                               (char *[]){"echo", "\xff", NULL}, &r));
	ck_assert_int_eq(r, -EILSEQ);
}
END_TEST

static const struct {
	const char *reply;
	bool ok;
	int code;
} exit_rows[] = {
        {"exit 0", true, 0},    {"exit 137", true, 137}, {"exit 255", true, 255},
        {"exit 256", false, 0}, {"exit -1", false, 0},   {"exit ", false, 0},
        {"exit 1x", false, 0},  {"ok 12", false, 0},     {"", false, 0},
};

START_TEST(exit_rows_parse)
{
	int code = -1;

	ck_assert_int_eq(runtime_exec_exit_parse(exit_rows[_i].reply, &code), exit_rows[_i].ok);
	if (exit_rows[_i].ok)
		ck_assert_int_eq(code, exit_rows[_i].code);
}
END_TEST

START_TEST(exit_file_read)
{
	char *dir = tmp_dir();
	char path[256];
	struct runtime_exit e;
	struct nano_err err = {0};
	FILE *f;

	snprintf(path, sizeof(path), "%s/a.2.json", dir);
	f = fopen(path, "w");
	fputs("{\"name\":\"a\",\"restart\":2,\"pid\":77,\"exitCode\":143,\"signal\":15,"
	      "\"startedAt\":\"2026-01-01T00:00:00.000000001Z\","
	      "\"finishedAt\":\"2026-01-01T00:00:01.000000000Z\"}",
	      f);
	fclose(f);
	ck_assert_int_eq(runtime_exit_read(path, &e, &err), 0);
	ck_assert_str_eq(e.name, "a");
	ck_assert_int_eq(e.restart, 2);
	ck_assert_int_eq(e.pid, 77);
	ck_assert_int_eq(e.exit_code, 143);
	ck_assert_int_eq(e.signal, 15);
	ck_assert_str_eq(e.started_at, "2026-01-01T00:00:00.000000001Z");
	runtime_exit_done(&e);

	f = fopen(path, "w");
	fputs("{\"name\":\"a\",\"restart\":2}", f);
	fclose(f);
	ck_assert_int_eq(runtime_exit_read(path, &e, &err), -EBADMSG);
	nano_err_clear(&err);
	rm_dir(dir);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("runtime");
	TCase *tc = tcase_create("files");

	tcase_add_test(tc, shim_json_round_trip);
	tcase_add_test(tc, shim_json_userns_must_match_plan);
	tcase_add_test(tc, shim_json_image_resolved_later);
	tcase_add_test(tc, shim_json_empty_args_refused);
	tcase_add_loop_test(tc, reply_error_rows, 0, ELEMENTSOF(reply_rows));
	tcase_add_loop_test(tc, request_rows_parse, 0, ELEMENTSOF(request_rows));
	tcase_add_test(tc, exit_file_read);
	tcase_add_loop_test(tc, exec_rows_parse, 0, ELEMENTSOF(exec_rows));
	tcase_add_test(tc, exec_request_round_trip);
	tcase_add_loop_test(tc, exit_rows_parse, 0, ELEMENTSOF(exit_rows));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
