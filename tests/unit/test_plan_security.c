#include "check_main.h"
/* tests/unit/test_plan_security.c: what the plan lets each container do beyond its namespaces:
 * capability sets, seccomp (and where the choice came from), masked and read-only paths,
 * devices, runAsNonRoot's refusal, the root's writable layer and hidden paths, the container's
 * own filesystems, and the warnings for hostPaths onto nanolet's directories.
 */
#include <linux/capability.h>

#include "plan_fixture.h"

#define BIT(c) (UINT64_C(1) << (c))

static char *add_net_admin[] = {"NET_ADMIN", NULL};
static char *drop_all[] = {"ALL", NULL};
static char *add_sys_admin[] = {"CAP_SYS_ADMIN", NULL};

/* ---- capabilities and seccomp
 * --------------------------------------------------------------------- */

static void m_add_net_admin(struct fixture *f)
{
	f->containers[0].security_context.capabilities_add = add_net_admin;
}
static void m_drop_all(struct fixture *f)
{
	f->containers[0].security_context.capabilities_drop = drop_all;
}
static void m_non_root(struct fixture *f)
{
	f->pod.security_context.run_as_user = 1000;
}
static void m_privileged(struct fixture *f)
{
	f->containers[0].security_context.privileged = SPEC_BOOL_TRUE;
}
static void m_privileged_with_profile(struct fixture *f)
{
	m_privileged(f);
	f->containers[0].security_context.seccomp_profile.type = SPEC_SECCOMP_RUNTIME_DEFAULT;
}
static void m_pod_unconfined(struct fixture *f)
{
	f->pod.security_context.seccomp_profile.type = SPEC_SECCOMP_UNCONFINED;
}
static void m_container_wins(struct fixture *f)
{
	m_pod_unconfined(f);
	f->containers[0].security_context.seccomp_profile.type = SPEC_SECCOMP_RUNTIME_DEFAULT;
}
static void m_localhost(struct fixture *f)
{
	f->containers[0].security_context.seccomp_profile =
	        (struct spec_seccomp_profile){SPEC_SECCOMP_LOCALHOST, "profiles/deny-mkdir.json"};
}
static void m_localhost_root(struct fixture *f)
{
	m_localhost(f);
	f->config.seccomp_profile_root = "/etc/nanolet/seccomp";
}
static void m_node_unconfined(struct fixture *f)
{
	f->config.seccomp_default_unconfined = true;
}
static void m_sys_admin(struct fixture *f)
{
	f->containers[0].security_context.capabilities_add = add_sys_admin;
}

static const struct {
	const char *name;
	void (*mutate)(struct fixture *f);
	uint64_t bounding, effective;
	enum security_seccomp_kind seccomp;
	const char *source, *localhost;
} security_rows[] = {
        {"the default: containerd's 14, RuntimeDefault by the node's default", m_none,
         UINT64_C(0xa80425fb), UINT64_C(0xa80425fb), SECURITY_SECCOMP_RUNTIME_DEFAULT,
         "unset: the node's seccomp_default, RuntimeDefault", NULL},
        {"add NET_ADMIN", m_add_net_admin, UINT64_C(0xa80425fb) | BIT(CAP_NET_ADMIN),
         UINT64_C(0xa80425fb) | BIT(CAP_NET_ADMIN), SECURITY_SECCOMP_RUNTIME_DEFAULT, NULL, NULL},
        {"drop ALL", m_drop_all, 0, 0, SECURITY_SECCOMP_RUNTIME_DEFAULT, NULL, NULL},
        {"a non-root user: bounding only", m_non_root, UINT64_C(0xa80425fb), 0,
         SECURITY_SECCOMP_RUNTIME_DEFAULT, NULL, NULL},
        {"privileged: everything, no filter", m_privileged, SECURITY_CAPS_ALL, SECURITY_CAPS_ALL,
         SECURITY_SECCOMP_UNCONFINED, "privileged: true", NULL},
        {"privileged ignores its profile, as containerd does", m_privileged_with_profile,
         SECURITY_CAPS_ALL, SECURITY_CAPS_ALL, SECURITY_SECCOMP_UNCONFINED, "privileged: true",
         NULL},
        {"the pod's profile", m_pod_unconfined, UINT64_C(0xa80425fb), UINT64_C(0xa80425fb),
         SECURITY_SECCOMP_UNCONFINED, "spec.securityContext.seccompProfile", NULL},
        {"the container's profile wins over the pod's", m_container_wins, UINT64_C(0xa80425fb),
         UINT64_C(0xa80425fb), SECURITY_SECCOMP_RUNTIME_DEFAULT,
         "spec.containers[0].securityContext.seccompProfile", NULL},
        {"Localhost under <state>/seccomp", m_localhost, UINT64_C(0xa80425fb), UINT64_C(0xa80425fb),
         SECURITY_SECCOMP_LOCALHOST, "spec.containers[0].securityContext.seccompProfile",
         "/var/lib/nanolet/seccomp/profiles/deny-mkdir.json"},
        {"Localhost under seccomp_profile_root", m_localhost_root, UINT64_C(0xa80425fb),
         UINT64_C(0xa80425fb), SECURITY_SECCOMP_LOCALHOST, NULL,
         "/etc/nanolet/seccomp/profiles/deny-mkdir.json"},
        {"seccomp_default Unconfined", m_node_unconfined, UINT64_C(0xa80425fb),
         UINT64_C(0xa80425fb), SECURITY_SECCOMP_UNCONFINED,
         "unset: the node's seccomp_default is Unconfined", NULL},
        {"add CAP_SYS_ADMIN", m_sys_admin, UINT64_C(0xa80425fb) | BIT(CAP_SYS_ADMIN),
         UINT64_C(0xa80425fb) | BIT(CAP_SYS_ADMIN), SECURITY_SECCOMP_RUNTIME_DEFAULT, NULL, NULL},
};

START_TEST(test_security)
{
	_cleanup_plan_ struct plan *plan = NULL;
	const struct plan_security *s;
	struct fixture f;

	fixture_init(&f);
	security_rows[_i].mutate(&f);
	plan = build(&f);
	s = &plan->containers[0].security;
	ck_assert_msg(s->capabilities.bounding == security_rows[_i].bounding, "%s: bounding %lx",
	              security_rows[_i].name, (unsigned long)s->capabilities.bounding);
	ck_assert(s->capabilities.effective == security_rows[_i].effective);
	ck_assert(s->capabilities.permitted == security_rows[_i].effective);
	ck_assert(s->capabilities.inheritable == 0 && s->capabilities.ambient == 0);
	ck_assert_int_eq(s->seccomp.kind, security_rows[_i].seccomp);
	if (security_rows[_i].source)
		ck_assert_str_eq(s->seccomp.source, security_rows[_i].source);
	if (security_rows[_i].localhost)
		ck_assert_str_eq(s->seccomp.localhost_path, security_rows[_i].localhost);
	else
		ck_assert_ptr_null(s->seccomp.localhost_path);
}
END_TEST

/* ---- masks, devices, refusal -------------------------------------------------------------------
 */

START_TEST(test_masks_and_devices)
{
	struct fixture f;

	for (int mode = 0; mode < 3; mode++) {
		_cleanup_plan_ struct plan *plan = NULL;
		const struct plan_security *s;

		fixture_init(&f);
		if (mode == 1)
			m_privileged(&f);
		if (mode == 2) {
			f.pod.host_users = SPEC_BOOL_FALSE;
			f.containers[0].security_context.proc_mount = SPEC_PROC_MOUNT_UNMASKED;
		}
		plan = build(&f);
		s = &plan->containers[0].security;
		if (mode == 0) {
			ck_assert(strv_contains(s->masked_paths, "/proc/kcore"));
			ck_assert(strv_contains(s->masked_paths, "/sys/firmware"));
			ck_assert(strv_contains(s->read_only_paths, "/proc/sys"));
			ck_assert(strv_contains(s->read_only_paths, "/proc/sysrq-trigger"));
			ck_assert_uint_eq(s->n_devices, 8);
			ck_assert_int_eq(s->devices[0].type, 'c');
		} else {
			/* privileged, or procMount Unmasked (in a user namespace) */
			ck_assert_uint_eq(strv_len(s->masked_paths), 0);
			ck_assert_uint_eq(strv_len(s->read_only_paths), 0);
			ck_assert_uint_eq(s->n_devices, mode == 1 ? 1 : 8);
		}
	}
}
END_TEST

static const struct {
	const char *name;
	enum spec_bool pod, container;
	int64_t pod_uid, container_uid;
	const char *refusal;
} non_root_rows[] = {
        {"unset", SPEC_BOOL_UNSET, SPEC_BOOL_UNSET, U, U, NULL},
        {"pod runAsNonRoot, root by default", SPEC_BOOL_TRUE, SPEC_BOOL_UNSET, U, U,
         "container has runAsNonRoot and image will run as root (pod: \"web_default(1234)\", "
         "container: app)"},
        {"runAsNonRoot with runAsUser 0", SPEC_BOOL_UNSET, SPEC_BOOL_TRUE, 0, U,
         "container's runAsUser breaks non-root policy (pod: \"web_default(1234)\", container: "
         "app)"},
        {"runAsNonRoot with runAsUser 1000", SPEC_BOOL_TRUE, SPEC_BOOL_UNSET, 1000, U, NULL},
        {"the container's false wins over the pod's true", SPEC_BOOL_TRUE, SPEC_BOOL_FALSE, U, U,
         NULL},
        {"the container's uid wins", SPEC_BOOL_TRUE, SPEC_BOOL_UNSET, 1000, 0,
         "container's runAsUser breaks non-root policy (pod: \"web_default(1234)\", container: "
         "app)"},
};

START_TEST(test_run_as_non_root)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;

	fixture_init(&f);
	f.pod.security_context.run_as_non_root = non_root_rows[_i].pod;
	f.containers[0].security_context.run_as_non_root = non_root_rows[_i].container;
	f.pod.security_context.run_as_user = non_root_rows[_i].pod_uid;
	f.containers[0].security_context.run_as_user = non_root_rows[_i].container_uid;
	plan = build(&f);
	if (non_root_rows[_i].refusal)
		ck_assert_str_eq(plan->containers[0].security.refusal, non_root_rows[_i].refusal);
	else
		ck_assert_ptr_null(plan->containers[0].security.refusal);
}
END_TEST

/* ---- the root and the container's own filesystems
 * ------------------------------------------------ */

START_TEST(test_root_layer)
{
	_cleanup_plan_ struct plan *plan = NULL, *userns = NULL, *image = NULL;
	const struct plan_root *root;
	struct fixture f;

	fixture_init(&f);
	f.config.log_dir = "/srv/logs";
	f.config.socket = "/run/api/nanolet.sock";
	plan = build(&f);
	root = &plan->containers[0].root;
	ck_assert_str_eq(root->layer, "/var/lib/nanolet/pods/1234/layers/app");
	ck_assert(strv_contains(root->hidden, "/etc/shadow"));
	ck_assert(strv_contains(root->hidden, "/etc/ssh/ssh_host_*_key"));
	ck_assert(strv_contains(root->hidden, "/var/lib/nanolet"));
	ck_assert(strv_contains(root->hidden, "/srv/logs"));
	ck_assert(strv_contains(root->hidden, "/run/nanolet"));
	ck_assert(strv_contains(root->hidden, "/run/api"));

	/* in a user namespace the image is bound read-only: no layer */
	fixture_init(&f);
	f.pod.host_users = SPEC_BOOL_FALSE;
	userns = build(&f);
	ck_assert_ptr_null(userns->containers[0].root.layer);
	ck_assert_ptr_nonnull(userns->containers[0].root.hidden);

	/* a directory image has a layer and hides nothing of the node's */
	fixture_init(&f);
	f.containers[0].image = "alpine";
	image = build(&f);
	ck_assert_str_eq(image->containers[0].root.layer, "/var/lib/nanolet/pods/1234/layers/app");
	ck_assert_ptr_null(image->containers[0].root.hidden);
}
END_TEST

static void m_image(struct fixture *f)
{
	f->containers[0].image = "/srv/rootfs";
}
static void m_host_ipc_v1_read_only(struct fixture *f)
{
	f->pod.host_ipc = true;
	f->config.driver = PLAN_CGROUP_V1;
	f->containers[0].security_context.read_only_root_filesystem = SPEC_BOOL_TRUE;
}
static void m_run_dir(struct fixture *f)
{
	f->config.run_dir = "/var/run/n";
	m_privileged(f);
}

#define PROC      "/proc proc proc nosuid,noexec,nodev"
#define DEV_TMPFS "/dev tmpfs tmpfs nosuid,strictatime,mode=755,size=65536k"
#define DEV_PTS   "/dev/pts devpts devpts nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5"
#define MQUEUE    "/dev/mqueue mqueue mqueue nosuid,noexec,nodev"

static const struct {
	const char *name;
	void (*mutate)(struct fixture *f);
	const char *want;
} system_mount_rows[] = {
        {"host image: /proc, /dev, /sys and its own /run, /tmp, /root, /home", m_none,
         PROC
         ";" DEV_TMPFS ";" DEV_PTS ";/dev/shm bind /run/nanolet/pods/1234/shm "
         "rbind,nosuid,nodev,noexec;" MQUEUE ";/sys sysfs sysfs nosuid,noexec,nodev,ro;"
         "/sys/fs/cgroup cgroup2 cgroup nosuid,noexec,nodev,ro;"
         "/run tmpfs tmpfs nosuid,nodev,mode=755,rw;/tmp tmpfs tmpfs nosuid,nodev,mode=1777,rw;"
         "/root tmpfs tmpfs nosuid,nodev,mode=700,rw;/home tmpfs tmpfs nosuid,nodev,mode=755,rw"},
        {"a directory image keeps its own /run and /tmp", m_image,
         PROC ";" DEV_TMPFS ";" DEV_PTS ";/dev/shm bind /run/nanolet/pods/1234/shm "
              "rbind,nosuid,nodev,noexec;" MQUEUE ";/sys sysfs sysfs nosuid,noexec,nodev,ro;"
              "/sys/fs/cgroup cgroup2 cgroup nosuid,noexec,nodev,ro"},
        {"hostIPC: the node's /dev/shm; v1: the node's hierarchies; read-only root",
         m_host_ipc_v1_read_only,
         PROC
         ";" DEV_TMPFS ";" DEV_PTS ";/dev/shm bind /dev/shm rbind,nosuid,nodev,noexec;" MQUEUE
         ";/sys sysfs sysfs nosuid,noexec,nodev,ro;/sys/fs/cgroup bind /sys/fs/cgroup rbind,ro;"
         "/run tmpfs tmpfs nosuid,nodev,mode=755,ro;/tmp tmpfs tmpfs nosuid,nodev,mode=1777,ro;"
         "/root tmpfs tmpfs nosuid,nodev,mode=700,ro;/home tmpfs tmpfs nosuid,nodev,mode=755,ro"},
        {"privileged: the node's /dev, writable /sys; the shm under run_dir", m_run_dir,
         PROC
         ";/dev bind /dev rbind;" DEV_PTS ";/dev/shm bind /var/run/n/pods/1234/shm "
         "rbind,nosuid,nodev,noexec;" MQUEUE ";/sys sysfs sysfs nosuid,noexec,nodev,rw;"
         "/sys/fs/cgroup cgroup2 cgroup nosuid,noexec,nodev,rw;"
         "/run tmpfs tmpfs nosuid,nodev,mode=755,rw;/tmp tmpfs tmpfs nosuid,nodev,mode=1777,rw;"
         "/root tmpfs tmpfs nosuid,nodev,mode=700,rw;/home tmpfs tmpfs nosuid,nodev,mode=755,rw"},
};

START_TEST(test_system_mounts)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;
	char got[2048] = "";

	fixture_init(&f);
	system_mount_rows[_i].mutate(&f);
	plan = build(&f);
	mounts_str(&plan->containers[0], 0, got, sizeof(got));
	ck_assert_str_eq(got, system_mount_rows[_i].want);
	ck_assert(!plan->shm == f.pod.host_ipc);
}
END_TEST

/* ---- warnings
 * ------------------------------------------------------------------------------------ */

static const struct {
	const char *path;
	const char *warning; /* NULL: none */
} host_path_rows[] = {
        {"/var/log/app", NULL},
        {"/run/nanolet", "spec.volumes[0].hostPath.path: \"/run/nanolet\" reaches nanoletd's API "
                         "socket"},
        {"/run", "reaches nanoletd's API socket"},
        {"/", "reaches nanoletd's API socket"},
        {"/var/lib/nanolet/pods", "reaches nanolet's state"},
        {"/var/lib/nanolet-other", NULL},
        {"/var/log/nanolet/", "reaches nanolet's container logs"},
};

START_TEST(test_host_path_warnings)
{
	_cleanup_plan_ struct plan *plan = NULL;
	struct fixture f;

	fixture_init(&f);
	f.volumes[0] = (struct spec_volume){"v", SPEC_VOLUME_HOST_PATH,           NULL,
	                                    U,   (char *)host_path_rows[_i].path, ""};
	f.pod.n_volumes = 1;
	plan = build(&f);
	if (host_path_rows[_i].warning)
		ck_assert_msg(has_warning(plan, host_path_rows[_i].warning), "%s",
		              host_path_rows[_i].path);
	else
		ck_assert_uint_eq(strv_len(plan->warnings), 0);
}
END_TEST

static Suite *plan_security_suite(void)
{
	Suite *s = suite_create("plan_security");
	TCase *tc = tcase_create("security");

	tcase_add_loop_test(tc, test_security, 0, ELEMENTSOF(security_rows));
	tcase_add_test(tc, test_masks_and_devices);
	tcase_add_loop_test(tc, test_run_as_non_root, 0, ELEMENTSOF(non_root_rows));
	tcase_add_test(tc, test_root_layer);
	tcase_add_loop_test(tc, test_system_mounts, 0, ELEMENTSOF(system_mount_rows));
	tcase_add_loop_test(tc, test_host_path_warnings, 0, ELEMENTSOF(host_path_rows));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(plan_security_suite());
}
