/* tests/unit/test_node.c: the node's settings as a plan takes them (daemon/node.c), shared by
 * nanoletd and `nanolet explain`: nanolet's root in each hierarchy from /proc/self/cgroup's text
 * (hybrid hosts place memory apart; joined hierarchies count once), the lenient resolution
 * explain uses for another node's driver, and the plan_config made of the config's defaults.
 */
#include "check_main.h"
#include <string.h>

#include "node.h"

#define HYBRID_JOINED                                                                              \
	"12:pids:/user.slice\n8:cpu,cpuacct:/user.slice\n6:memory:/process_api/abc\n"              \
	"5:freezer:/\n3:devices:/user.slice\n2:blkio:/\n1:name=systemd:/user.slice\n"              \
	"0::/user.slice/session-1.scope\n"
#define HYBRID_SPLIT                                                                               \
	"9:name=systemd:/\n8:pids:/\n6:freezer:/\n5:devices:/\n4:memory:/process_api/abc\n"        \
	"2:cpuacct:/\n1:cpu:/\n0::/\n"

static const struct {
	const char *name;
	enum cgroup_mode mode;
	enum config_cgroup_driver driver;
	const char *root; /* config cgroup_root */
	const char *proc;
	const char *want; /* "name=root;..." */
} rows[] = {
        {"hybrid, cpu and cpuacct joined", CGROUP_MODE_HYBRID, CONFIG_CGROUP_V1, NULL,
         HYBRID_JOINED,
         "memory=/process_api/abc/nanolet;cpu,cpuacct=/user.slice/nanolet;pids=/user.slice/"
         "nanolet;freezer=/nanolet;devices=/user.slice/nanolet;unified=/user.slice/"
         "session-1.scope/nanolet"},
        {"hybrid, each apart (the development machines)", CGROUP_MODE_HYBRID, CONFIG_CGROUP_V1,
         NULL, HYBRID_SPLIT,
         "memory=/process_api/abc/nanolet;cpu=/nanolet;cpuacct=/nanolet;pids=/nanolet;freezer=/"
         "nanolet;devices=/nanolet;unified=/nanolet"},
        {"legacy: no unified hierarchy", CGROUP_MODE_LEGACY, CONFIG_CGROUP_V1, NULL, HYBRID_SPLIT,
         "memory=/process_api/abc/nanolet;cpu=/nanolet;cpuacct=/nanolet;pids=/nanolet;freezer=/"
         "nanolet;devices=/nanolet"},
        {"an explicit root is every hierarchy's", CGROUP_MODE_HYBRID, CONFIG_CGROUP_V1, "/pods",
         HYBRID_SPLIT,
         "memory=/pods;cpu=/pods;cpuacct=/pods;pids=/pods;freezer=/pods;devices=/pods;unified=/"
         "pods"},
        {"an explicit root is one cgroup path: no repeated or trailing '/'", CGROUP_MODE_HYBRID,
         CONFIG_CGROUP_V1, "//nanolet-test//pods/", HYBRID_SPLIT,
         "memory=/nanolet-test/pods;cpu=/nanolet-test/pods;cpuacct=/nanolet-test/pods;pids=/"
         "nanolet-test/pods;freezer=/nanolet-test/pods;devices=/nanolet-test/pods;unified=/"
         "nanolet-test/pods"},
        {"an explicit root of / stays /", CGROUP_MODE_UNIFIED, CONFIG_CGROUP_V2, "//", "0::/x\n",
         "unified=/"},
        {"v2, an explicit root with a trailing '/'", CGROUP_MODE_UNIFIED, CONFIG_CGROUP_V2,
         "/kubepods/nanolet/", "0::/x\n", "unified=/kubepods/nanolet"},
        {"v2: one hierarchy", CGROUP_MODE_UNIFIED, CONFIG_CGROUP_V2, NULL,
         "0::/system.slice/nanoletd.service\n", "unified=/system.slice/nanoletd.service/nanolet"},
};

START_TEST(test_hierarchies)
{
	struct nano_config config;
	struct cgroup_host host = {.mode = rows[_i].mode,
	                           .unified_mounted = rows[_i].mode != CGROUP_MODE_LEGACY};
	enum config_cgroup_driver driver;
	_cleanup_free_ char *root = NULL;
	struct node_hierarchies h = {0};
	char got[1024] = "";
	struct nano_err err = {0};

	ck_assert_int_eq(config_init(&config), 0);
	config.cgroup_driver = rows[_i].driver;
	config.cgroup_root = rows[_i].root ? strdup(rows[_i].root) : NULL;
	ck_assert_int_eq(
	        node_resolve_cgroup(&config, &host, rows[_i].proc, true, &driver, &root, &err), 0);
	ck_assert_int_eq(node_hierarchies(&config, &host, driver, rows[_i].proc, &h), 0);
	for (size_t i = 0; i < h.n; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s=%s", i ? ";" : "",
		         h.v[i].name, h.v[i].root);
	ck_assert_msg(strcmp(got, rows[_i].want) == 0, "%s:\n got %s\nwant %s", rows[_i].name, got,
	              rows[_i].want);
	/* the root the daemon reports and locks is the first hierarchy's, where plans start */
	ck_assert_str_eq(root, h.v[0].root);
	node_hierarchies_done(&h);
	config_done(&config);
}
END_TEST

/* explain may describe another node: a driver the host cannot serve, an entry that is missing. */
START_TEST(test_lenient)
{
	struct nano_config config;
	struct cgroup_host hybrid = {.mode = CGROUP_MODE_HYBRID, .unified_mounted = true};
	struct cgroup_host unified = {.mode = CGROUP_MODE_UNIFIED, .unified_mounted = true};
	enum config_cgroup_driver driver;
	char *root = NULL;
	struct nano_err err = {0};

	ck_assert_int_eq(config_init(&config), 0);
	config.cgroup_driver = CONFIG_CGROUP_V2;
	ck_assert_int_eq(
	        node_resolve_cgroup(&config, &hybrid, HYBRID_SPLIT, true, &driver, &root, &err),
	        -EINVAL);
	nano_err_clear(&err);
	ck_assert_int_eq(
	        node_resolve_cgroup(&config, &hybrid, HYBRID_SPLIT, false, &driver, &root, &err),
	        0);
	ck_assert_int_eq(driver, CONFIG_CGROUP_V2);
	ck_assert_str_eq(root, "/nanolet");
	free(root);
	config.cgroup_driver = CONFIG_CGROUP_V1;
	ck_assert_int_eq(
	        node_resolve_cgroup(&config, &unified, "0::/x\n", false, &driver, &root, &err), 0);
	ck_assert_int_eq(driver, CONFIG_CGROUP_V1);
	ck_assert_str_eq(root, "/nanolet"); /* no memory entry: the root cgroup's */
	free(root);
	config_done(&config);
}
END_TEST

/* Both callers get the config's defaults, MemoryQoS's included. */
START_TEST(test_plan_config)
{
	struct nano_config config;
	struct node_hierarchies h = {0};
	struct plan_config pc;

	ck_assert_int_eq(config_init(&config), 0);
	node_plan_config(&config, CONFIG_CGROUP_V1, "/r", &h, "uid", 100000, &pc);
	ck_assert_str_eq(pc.cgroup_root, "/r");
	ck_assert_int_eq(pc.driver, PLAN_CGROUP_V1);
	ck_assert_int_eq(pc.pod_pids_limit, 4096);
	ck_assert_str_eq(pc.state_dir, "/var/lib/nanolet");
	ck_assert(!pc.memory_qos);
	ck_assert(pc.memory_throttling_factor == 0.9);
	ck_assert_uint_eq(pc.userns_base, 100000);
	ck_assert_str_eq(pc.pod_uid, "uid");
	config_done(&config);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("node");
	TCase *tc = tcase_create("node");

	tcase_add_loop_test(tc, test_hierarchies, 0, ELEMENTSOF(rows));
	tcase_add_test(tc, test_lenient);
	tcase_add_test(tc, test_plan_config);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
