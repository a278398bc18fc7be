#include "check_main.h"
/* tests/unit/test_plan_image.c: a container whose root is an image, before and after
 * plan_container_apply_image: the process as Kubernetes joins the spec and the image's config
 * (command/args vs Entrypoint/Cmd, env, workingDir, user), the kubelet's runAsNonRoot words with
 * an image user, a second resolution replacing the first, the root's image fields, the JSON and
 * the explanation.
 */
#include "plan_fixture.h"

static char *entrypoint[] = {"/docker-entrypoint.sh", NULL};
static char *cmd[] = {"nginx", "-g", "daemon off;", NULL};
static char *spec_command[] = {"/bin/sh", "-c", NULL};
static char *spec_args[] = {"echo hi", NULL};
static char *layers[] = {"/var/lib/nanolet/images/layers/sha256:bb/root",
                         "/var/lib/nanolet/images/layers/sha256:aa/root", NULL};

static struct plan_image image_base(void)
{
	return (struct plan_image){
	        .reference = "docker.io/library/nginx:1.25",
	        .id = "sha256:c0ffee",
	        .repo_digest = "docker.io/library/nginx@sha256:d1ge57",
	        .lowerdirs = layers,
	        .entrypoint = entrypoint,
	        .cmd = cmd,
	};
}

static void image_fixture(struct fixture *f)
{
	fixture_init(f);
	f->containers[0].image = "nginx:1.25";
	f->containers[0].command = NULL;
}

static char *joined(char *const *l)
{
	static char buf[512];

	buf[0] = '\0';
	for (size_t i = 0; l && l[i]; i++) {
		if (i)
			strcat(buf, "|");
		strcat(buf, l[i]);
	}
	return buf;
}

/* The explanation's sentence that holds needle, or NULL. */
static const char *sentence_with(char *const *e, const char *needle)
{
	for (size_t i = 0; e && e[i]; i++)
		if (strstr(e[i], needle))
			return e[i];
	return NULL;
}

static struct plan *resolved(struct fixture *f, const struct plan_image *image)
{
	struct plan *plan = build(f);

	ck_assert_int_eq(plan_container_apply_image(plan, 0, &f->pod, image), 0);
	return plan;
}

/* ---- before: the reference, nothing resolved ------------------------------------------------ */

START_TEST(test_unresolved)
{
	_cleanup_plan_ struct plan *plan = NULL;
	_cleanup_json_ json_t *j = NULL;
	json_t *root;
	struct fixture f;

	image_fixture(&f);
	f.pod.security_context.run_as_non_root = SPEC_BOOL_TRUE;
	plan = build(&f);
	ck_assert_int_eq(plan->containers[0].root.kind, PLAN_ROOT_IMAGE);
	ck_assert_str_eq(plan->containers[0].root.path, "nginx:1.25");
	ck_assert_ptr_null(plan->containers[0].root.lowerdirs);
	/* no command yet: the process is empty until the image says */
	ck_assert_ptr_nonnull(plan->containers[0].process.args);
	ck_assert_ptr_null(plan->containers[0].process.args[0]);
	/* runAsNonRoot cannot be judged before the image's user is known */
	ck_assert_ptr_null(plan->containers[0].security.refusal);

	j = plan_to_json(plan);
	root = json_object_get(json_array_get(json_object_get(j, "containers"), 0), "root");
	ck_assert_str_eq(json_string_value(json_object_get(root, "path")), "nginx:1.25");
	ck_assert(json_is_null(json_object_get(root, "image")));
	ck_assert(json_is_null(json_object_get(root, "imageID")));
	ck_assert(json_is_null(json_object_get(root, "layers")));
	ck_assert_str_eq(json_string_value(json_object_get(root, "upperDir")),
	                 "/var/lib/nanolet/pods/1234/layers/app/upper");
	ck_assert_ptr_nonnull(sentence_with(plan->explanation,
	                                    "image: the root of container app is the image "
	                                    "nginx:1.25, not pulled yet"));
}
END_TEST

/* ---- args: the kubelet's table ------------------------------------------------------------- */

static const struct {
	const char *name;
	char **command, **args;
	char **entrypoint, **cmd;
	const char *want;
} args_rows[] = {
        {"neither: Entrypoint + Cmd", NULL, NULL, entrypoint, cmd,
         "/docker-entrypoint.sh|nginx|-g|daemon off;"},
        {"args only: Entrypoint + args", NULL, spec_args, entrypoint, cmd,
         "/docker-entrypoint.sh|echo hi"},
        {"command only: Cmd is not used", spec_command, NULL, entrypoint, cmd, "/bin/sh|-c"},
        {"command and args", spec_command, spec_args, entrypoint, cmd, "/bin/sh|-c|echo hi"},
        {"no Entrypoint: Cmd alone", NULL, NULL, NULL, cmd, "nginx|-g|daemon off;"},
        {"no Entrypoint, args: args alone", NULL, spec_args, NULL, cmd, "echo hi"},
        {"nothing at all: empty", NULL, NULL, NULL, NULL, ""},
};

START_TEST(test_args)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct plan_image image = image_base();
	struct fixture f;

	image_fixture(&f);
	f.containers[0].command = args_rows[_i].command;
	f.containers[0].args = args_rows[_i].args;
	image.entrypoint = args_rows[_i].entrypoint;
	image.cmd = args_rows[_i].cmd;
	plan = resolved(&f, &image);
	ck_assert_str_eq(joined(plan->containers[0].process.args), args_rows[_i].want);
}
END_TEST

/* ---- env, cwd ------------------------------------------------------------------------------- */

START_TEST(test_env)
{
	_cleanup_plan_ struct plan *plan = NULL;
	char *image_env[] = {"PATH=/opt/bin:/bin", "NGINX_VERSION=1.25", "MODE=image", "BROKEN",
	                     NULL};
	struct plan_image image = image_base();
	struct fixture f;

	image_fixture(&f);
	f.env[0] = (struct spec_env_var){"MODE", "spec"};
	f.env[1] = (struct spec_env_var){"EXTRA", "1"};
	f.containers[0].env = f.env;
	f.containers[0].n_env = 2;
	image.env = image_env;
	plan = resolved(&f, &image);
	/* the image's PATH replaces the default in place; the spec's MODE replaces the image's in
	 * place; HOSTNAME and the spec's own follow */
	ck_assert_str_eq(joined(plan->containers[0].process.env),
	                 "PATH=/opt/bin:/bin|NGINX_VERSION=1.25|MODE=spec|HOSTNAME=web|EXTRA=1");
}
END_TEST

START_TEST(test_env_spec_path)
{
	_cleanup_plan_ struct plan *plan = NULL;
	char *image_env[] = {"PATH=/opt/bin:/bin", NULL};
	struct plan_image image = image_base();
	struct fixture f;

	image_fixture(&f);
	f.env[0] = (struct spec_env_var){"PATH", "/spec"};
	f.containers[0].env = f.env;
	f.containers[0].n_env = 1;
	image.env = image_env;
	plan = resolved(&f, &image);
	ck_assert_str_eq(joined(plan->containers[0].process.env), "PATH=/spec|HOSTNAME=web");
}
END_TEST

START_TEST(test_env_no_image_env)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct plan_image image = image_base();
	struct fixture f;

	image_fixture(&f);
	plan = resolved(&f, &image);
	ck_assert_str_eq(joined(plan->containers[0].process.env),
	                 "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|"
	                 "HOSTNAME=web");
}
END_TEST

static const struct {
	const char *spec, *image, *want;
} cwd_rows[] = {
        {NULL, NULL, "/"},
        {NULL, "/usr/share/nginx", "/usr/share/nginx"},
        {"/work", "/usr/share/nginx", "/work"},
        {"", "/usr/share/nginx", "/usr/share/nginx"},
};

START_TEST(test_cwd)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct plan_image image = image_base();
	struct fixture f;

	image_fixture(&f);
	f.containers[0].working_dir = (char *)cwd_rows[_i].spec;
	image.working_dir = cwd_rows[_i].image;
	plan = resolved(&f, &image);
	ck_assert_str_eq(plan->containers[0].process.cwd, cwd_rows[_i].want);
}
END_TEST

/* ---- user, runAsNonRoot ------------------------------------------------------------------- */

#define FORMAT_POD "(pod: \"web_default(1234)\", container: app)"

static const struct {
	const char *name;
	int64_t pod_user, pod_group, user, group;
	enum spec_bool non_root;
	const char *image_user;
	bool has_uid, has_gid;
	uint32_t uid, gid;
	uint32_t want_uid, want_gid;
	const char *refusal; /* NULL: none */
} user_rows[] = {
        {"no image user: root", U, U, U, U, SPEC_BOOL_UNSET, NULL, false, false, 0, 0, 0, 0, NULL},
        {"numeric image user", U, U, U, U, SPEC_BOOL_UNSET, "101:102", true, true, 101, 102, 101,
         102, NULL},
        {"named image user resolved", U, U, U, U, SPEC_BOOL_UNSET, "nginx", true, true, 101, 101,
         101, 101, NULL},
        {"runAsUser wins over the image's, and its group with it", 1000, U, U, U, SPEC_BOOL_UNSET,
         "101", true, true, 101, 102, 1000, 0, NULL},
        {"runAsGroup wins over the image's", U, 3000, U, U, SPEC_BOOL_UNSET, "101", true, true, 101,
         102, 101, 3000, NULL},
        {"the container's runAsUser", U, U, 2000, 2001, SPEC_BOOL_UNSET, "101", true, true, 101,
         102, 2000, 2001, NULL},
        {"runAsNonRoot, numeric non-root image user", U, U, U, U, SPEC_BOOL_TRUE, "101", true,
         false, 101, 0, 101, 0, NULL},
        {"runAsNonRoot, image runs as root", U, U, U, U, SPEC_BOOL_TRUE, "0", true, false, 0, 0, 0,
         0, "container has runAsNonRoot and image will run as root " FORMAT_POD},
        {"runAsNonRoot, image names no user", U, U, U, U, SPEC_BOOL_TRUE, NULL, false, false, 0, 0,
         0, 0, "container has runAsNonRoot and image will run as root " FORMAT_POD},
        {"runAsNonRoot, named image user: not verifiable", U, U, U, U, SPEC_BOOL_TRUE, "nginx",
         true, true, 101, 101, 101, 101,
         "container has runAsNonRoot and image has non-numeric user (nginx), cannot verify "
         "user is non-root " FORMAT_POD},
        {"runAsNonRoot, named image user, runAsUser set", 1000, U, U, U, SPEC_BOOL_TRUE, "nginx",
         true, true, 101, 101, 1000, 0, NULL},
        {"runAsNonRoot, runAsUser 0", 0, U, U, U, SPEC_BOOL_TRUE, "101", true, false, 101, 0, 0, 0,
         "container's runAsUser breaks non-root policy " FORMAT_POD},
};

START_TEST(test_user)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct plan_image image = image_base();
	const struct plan_container *c;
	struct fixture f;

	image_fixture(&f);
	f.pod.security_context.run_as_user = user_rows[_i].pod_user;
	f.pod.security_context.run_as_group = user_rows[_i].pod_group;
	f.containers[0].security_context.run_as_user = user_rows[_i].user;
	f.containers[0].security_context.run_as_group = user_rows[_i].group;
	f.pod.security_context.run_as_non_root = user_rows[_i].non_root;
	image.user = user_rows[_i].image_user;
	image.has_uid = user_rows[_i].has_uid;
	image.has_gid = user_rows[_i].has_gid;
	image.uid = user_rows[_i].uid;
	image.gid = user_rows[_i].gid;
	plan = resolved(&f, &image);
	c = &plan->containers[0];
	ck_assert_uint_eq(c->process.uid, user_rows[_i].want_uid);
	ck_assert_uint_eq(c->process.gid, user_rows[_i].want_gid);
	if (user_rows[_i].refusal)
		ck_assert_str_eq(c->security.refusal, user_rows[_i].refusal);
	else
		ck_assert_ptr_null(c->security.refusal);
	/* uid 0 holds its bounding set effective; any other uid none */
	if (c->process.uid == 0)
		ck_assert_uint_eq(c->security.capabilities.effective,
		                  c->security.capabilities.bounding);
	else
		ck_assert_uint_eq(c->security.capabilities.effective, 0);
}
END_TEST

/* hostUsers: false: an image's root is no refusal; its explanation says the layers are mounted
 * idmapped into the pod's user namespace, and only then. */
START_TEST(test_userns_idmapped)
{
	static const struct {
		enum spec_bool host_users;
		bool idmapped;
	} rows[] = {
	        {SPEC_BOOL_FALSE, true},
	        {SPEC_BOOL_TRUE, false},
	        {SPEC_BOOL_UNSET, false},
	};

	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		_cleanup_plan_ struct plan *plan = NULL;
		_cleanup_strv_ char **e = NULL;
		struct plan_image image = image_base();
		const char *sentence;
		struct fixture f;

		image_fixture(&f);
		f.pod.host_users = rows[i].host_users;
		f.config.userns_base = 65536 * 10;
		plan = build(&f);
		ck_assert_ptr_null(plan->containers[0].security.refusal);
		ck_assert_int_eq(plan_container_apply_image(plan, 0, &f.pod, &image), 0);
		ck_assert_ptr_null(plan->containers[0].security.refusal);
		ck_assert_str_eq(plan->containers[0].root.layer,
		                 "/var/lib/nanolet/pods/1234/layers/app");
		e = plan_explanation(plan, &f.pod, &f.config);
		sentence = sentence_with(e, "image: the root of container app");
		ck_assert_ptr_nonnull(sentence);
		ck_assert_int_eq(!!strstr(sentence,
		                          "each layer is mounted idmapped into the pod's "
		                          "user namespace (mount_setattr MOUNT_ATTR_IDMAP"),
		                 rows[i].idmapped);
	}
}
END_TEST

/* ---- the root, again, and what refuses -------------------------------------------------- */

START_TEST(test_root_fields)
{
	_cleanup_plan_ struct plan *plan = NULL;
	_cleanup_json_ json_t *j = NULL;
	struct plan_image image = image_base();
	const struct plan_root *r;
	json_t *root;
	struct fixture f;

	image_fixture(&f);
	f.containers[0].security_context.read_only_root_filesystem = SPEC_BOOL_TRUE;
	plan = resolved(&f, &image);
	r = &plan->containers[0].root;
	ck_assert_str_eq(r->path, "nginx:1.25");
	ck_assert_str_eq(r->image, "docker.io/library/nginx:1.25");
	ck_assert_str_eq(r->image_id, "sha256:c0ffee");
	ck_assert_str_eq(r->repo_digest, "docker.io/library/nginx@sha256:d1ge57");
	ck_assert_str_eq(joined(r->lowerdirs), "/var/lib/nanolet/images/layers/sha256:bb/root|"
	                                       "/var/lib/nanolet/images/layers/sha256:aa/root");
	/* copied, not borrowed */
	ck_assert_ptr_ne(r->lowerdirs, layers);

	j = plan_to_json(plan);
	root = json_object_get(json_array_get(json_object_get(j, "containers"), 0), "root");
	ck_assert_str_eq(json_string_value(json_object_get(root, "kind")), "image");
	ck_assert_str_eq(json_string_value(json_object_get(root, "image")),
	                 "docker.io/library/nginx:1.25");
	ck_assert_str_eq(json_string_value(json_object_get(root, "imageID")), "sha256:c0ffee");
	ck_assert_str_eq(json_string_value(json_object_get(root, "repoDigest")),
	                 "docker.io/library/nginx@sha256:d1ge57");
	ck_assert_uint_eq(json_array_size(json_object_get(root, "layers")), 2);
	ck_assert_str_eq(json_string_value(json_object_get(root, "upperDir")),
	                 "/var/lib/nanolet/pods/1234/layers/app/upper");
	ck_assert(json_is_true(json_object_get(root, "readOnly")));
}
END_TEST

/* The explanation, made again from the resolved plan (plan_explanation), names it all. */
START_TEST(test_explanation)
{
	_cleanup_plan_ struct plan *plan = NULL;
	_cleanup_strv_ char **e = NULL;
	struct plan_image image = image_base();
	struct fixture f;
	const char *image_sentence;

	image_fixture(&f);
	f.containers[0].security_context.read_only_root_filesystem = SPEC_BOOL_TRUE;
	plan = resolved(&f, &image);
	e = plan_explanation(plan, &f.pod, &f.config);
	ck_assert_ptr_nonnull(e);
	image_sentence =
	        sentence_with(e, "image: the root of container app is the image "
	                         "docker.io/library/nginx:1.25 (sha256:c0ffee, "
	                         "docker.io/library/nginx@sha256:d1ge57): its 2 layers, "
	                         "top first, /var/lib/nanolet/images/layers/sha256:bb/root, "
	                         "/var/lib/nanolet/images/layers/sha256:aa/root");
	ck_assert_ptr_nonnull(image_sentence);
	ck_assert_ptr_nonnull(
	        strstr(image_sentence, "/var/lib/nanolet/pods/1234/layers/app/upper"));
	ck_assert_ptr_nonnull(strstr(image_sentence, "readOnlyRootFilesystem is true"));
	ck_assert_ptr_null(sentence_with(e, "not pulled yet"));
	ck_assert_ptr_nonnull(
	        sentence_with(e, "Its root is the image docker.io/library/nginx:1.25, read-only"));
	ck_assert_ptr_nonnull(sentence_with(e, "runAsUser is unset: the image's user"));
}
END_TEST

/* A new pull: the second resolution replaces the first, nothing of it left. */
START_TEST(test_again)
{
	_cleanup_plan_ struct plan *plan = NULL;
	char *env1[] = {"A=1", NULL}, *env2[] = {"B=2", NULL};
	char *layers2[] = {"/l/new", NULL};
	struct plan_image one = image_base(), two = image_base();
	struct fixture f;

	image_fixture(&f);
	one.env = env1;
	one.user = "0";
	one.has_uid = true;
	two.env = env2;
	two.id = "sha256:beef";
	two.lowerdirs = layers2;
	two.entrypoint = NULL;
	two.cmd = spec_args;
	two.user = "7";
	two.has_uid = true;
	two.uid = 7;
	plan = resolved(&f, &one);
	ck_assert_int_eq(plan_container_apply_image(plan, 0, &f.pod, &two), 0);
	ck_assert_str_eq(joined(plan->containers[0].process.args), "echo hi");
	ck_assert_ptr_null(strstr(joined(plan->containers[0].process.env), "A=1"));
	ck_assert_ptr_nonnull(strstr(joined(plan->containers[0].process.env), "B=2"));
	ck_assert_str_eq(plan->containers[0].root.image_id, "sha256:beef");
	ck_assert_str_eq(joined(plan->containers[0].root.lowerdirs), "/l/new");
	ck_assert_uint_eq(plan->containers[0].process.uid, 7);
}
END_TEST

/* Only an image's container is resolved; an index past the plan is refused. */
START_TEST(test_not_an_image)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct plan_image image = image_base();
	struct fixture f;

	fixture_init(&f); /* image "" : the host's root */
	plan = build(&f);
	ck_assert_int_eq(plan_container_apply_image(plan, 0, &f.pod, &image), -EINVAL);
	ck_assert_int_eq(plan_container_apply_image(plan, 1, &f.pod, &image), -EINVAL);
	ck_assert_str_eq(joined(plan->containers[0].process.args), "/bin/true");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("plan_image");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_unresolved);
	tcase_add_loop_test(tc, test_args, 0, ELEMENTSOF(args_rows));
	tcase_add_test(tc, test_env);
	tcase_add_test(tc, test_env_spec_path);
	tcase_add_test(tc, test_env_no_image_env);
	tcase_add_loop_test(tc, test_cwd, 0, ELEMENTSOF(cwd_rows));
	tcase_add_loop_test(tc, test_user, 0, ELEMENTSOF(user_rows));
	tcase_add_test(tc, test_userns_idmapped);
	tcase_add_test(tc, test_root_fields);
	tcase_add_test(tc, test_explanation);
	tcase_add_test(tc, test_again);
	tcase_add_test(tc, test_not_an_image);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
