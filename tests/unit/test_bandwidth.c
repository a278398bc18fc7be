/* tests/unit/test_bandwidth.c: a pod's bandwidth qdiscs (pkg/net/bandwidth.c), each test in a
 * network namespace of its own (root; every test forks), read back with `tc -j`: the tbf's
 * numbers for a rate; ingress as a tbf on the node end; egress through the pod's ifb (the node
 * end's ingress qdisc redirecting to it, a tbf on it); the ifb removed by uid and by the sweep,
 * and a link that is not an ifb left alone. */
#include <check.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "net/net.h"

static const char *const uid_a = "0a6c3c5e-4b4e-4c55-9d52-7c0d7f3e1a01";
static const char *const uid_b = "1b7d4d6f-4b4e-4c55-9d52-7c0d7f3e1a02";

/* ---- the tbf's numbers ---------------------------------------------------------------------- */

static const struct {
	uint64_t rate_bits;
	unsigned mtu;
	struct net_tbf want;
} tbf_rows[] = {
        /* 25 ms at the rate is the bucket, and the limit is 25 ms more */
        {10000000, 1500, {.rate = 1250000, .burst = 31250, .limit = 62500}},
        {1000000000, 1500, {.rate = 125000000, .burst = 3125000, .limit = 6250000}},
        /* a slow rate: one whole frame is the bucket */
        {1000, 1500, {.rate = 125, .burst = 1514, .limit = 1517}},
        {1000000, 9000, {.rate = 125000, .burst = 9014, .limit = 12139}},
        {17179869176, 1500, {.rate = 2147483647, .burst = 53687091, .limit = 107374182}},
};

START_TEST(test_tbf_compute)
{
	struct net_tbf got;

	net_tbf_compute(tbf_rows[_i].rate_bits, tbf_rows[_i].mtu, &got);
	ck_assert_uint_eq(got.rate, tbf_rows[_i].want.rate);
	ck_assert_uint_eq(got.burst, tbf_rows[_i].want.burst);
	ck_assert_uint_eq(got.limit, tbf_rows[_i].want.limit);
}
END_TEST

/* ---- in a network namespace ----------------------------------------------------------------- */

static void own_netns(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %m (run as root)");
	ck_assert_int_eq(system("ip link set lo up"), 0);
}

static char *run(const char *fmt, const char *arg)
{
	_cleanup_free_ char *cmd = strdupf(fmt, arg);
	char buf[8192];
	size_t n;
	FILE *p = popen(cmd, "r");

	ck_assert_ptr_nonnull(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	pclose(p);
	return strdup(buf);
}

/* A node end for uid (a veth on a bridge, as net_pod_attach leaves it) in *name. */
static struct net *node_end(const char *uid, char name[IFNAMSIZ])
{
	struct net_config config = {.bridge = "nlbr0", .mtu = 1500};
	struct nano_err err = {0};
	struct net *net = NULL;
	_cleanup_free_ char *cmd = NULL;

	ck_assert_int_eq(net_cidr_parse("198.18.0.0/16", &config.cidr, &err), 0);
	ck_assert_int_eq(net_new(&config, &net, &err), 0);
	ck_assert_msg(net_bridge_ready(net, &err) == 0, "%s", err.message);
	ck_assert_int_eq(net_node_ifname(uid, name), 0);
	cmd = strdupf("ip link add %s type veth peer name p%s && ip link set %s master nlbr0 up",
	              name, name + 2, name);
	ck_assert_int_eq(system(cmd), 0);
	return net;
}

START_TEST(test_ingress_and_egress)
{
	_cleanup_free_ char *node_q = NULL, *ifb_q = NULL, *filter = NULL, *after = NULL;
	char node[IFNAMSIZ], ifb[IFNAMSIZ];
	struct nano_err err = {0};
	struct net *net;

	own_netns();
	net = node_end(uid_a, node);
	ck_assert_int_eq(net_ifb_ifname(uid_a, ifb), 0);
	ck_assert_str_eq(ifb, "nb0a6c3c5e4b4e");
	ck_assert_msg(net_pod_bandwidth(net, uid_a, 10000000, 5000000, &err) == 0, "%s",
	              err.message);

	node_q = run("tc -j qdisc show dev %s", node);
	ck_assert_msg(strstr(node_q, "\"kind\":\"tbf\",\"handle\":\"1:\",\"root\":true"), "%s",
	              node_q);
	ck_assert_msg(strstr(node_q, "\"rate\":1250000,"), "%s", node_q);
	ck_assert_msg(strstr(node_q, "\"kind\":\"ingress\",\"handle\":\"ffff:\""), "%s", node_q);
	filter = run("tc -j filter show dev %s ingress", node);
	ck_assert_msg(strstr(filter, "\"kind\":\"u32\""), "%s", filter);
	ck_assert_msg(strstr(filter, "\"kind\":\"mirred\""), "%s", filter);
	ck_assert_msg(strstr(filter, "\"mirred_action\":\"redirect\""), "%s", filter);
	ck_assert_msg(strstr(filter, "\"to_dev\":\"nb0a6c3c5e4b4e\""), "%s", filter);
	ifb_q = run("tc -j qdisc show dev %s", ifb);
	ck_assert_msg(strstr(ifb_q, "\"kind\":\"tbf\",\"handle\":\"1:\",\"root\":true"), "%s",
	              ifb_q);
	ck_assert_msg(strstr(ifb_q, "\"rate\":625000,"), "%s", ifb_q);

	/* a new sandbox: the ifb made again, not refused */
	ck_assert_msg(net_pod_bandwidth(net, uid_a, 10000000, 5000000, &err) == 0, "%s",
	              err.message);
	ck_assert_int_eq(net_pod_bandwidth_remove(net, uid_a, &err), 0);
	ck_assert_int_eq(net_pod_bandwidth_remove(net, uid_a, &err), 0); /* gone: fine */
	after = run("ip -o link show %s 2>&1", ifb);
	ck_assert_msg(strstr(after, "does not exist"), "%s", after);
	net_free(net);
}
END_TEST

START_TEST(test_ingress_only_makes_no_ifb)
{
	_cleanup_free_ char *node_q = NULL, *links = NULL;
	char node[IFNAMSIZ];
	struct nano_err err = {0};
	struct net *net;

	own_netns();
	net = node_end(uid_a, node);
	ck_assert_int_eq(net_pod_bandwidth(net, uid_a, 1000000, 0, &err), 0);
	node_q = run("tc -j qdisc show dev %s", node);
	ck_assert_msg(strstr(node_q, "\"rate\":125000,"), "%s", node_q);
	ck_assert_ptr_null(strstr(node_q, "\"kind\":\"ingress\""));
	links = run("ip -o link show type ifb%s", "");
	ck_assert_str_eq(links, "");
	net_free(net);
}
END_TEST

static void count_swept(const char *ifname, void *userdata)
{
	ck_assert_str_eq(ifname, "nb1b7d4d6f4b4e");
	(*(int *)userdata)++;
}

START_TEST(test_sweep_and_strangers)
{
	char *const known[] = {(char *)uid_a, NULL};
	_cleanup_free_ char *links = NULL, *stranger = NULL;
	char a[IFNAMSIZ], b[IFNAMSIZ];
	struct nano_err err = {0};
	struct net *net;
	int swept = 0;

	own_netns();
	net = node_end(uid_a, a);
	net_free(node_end(uid_b, b));
	ck_assert_int_eq(net_pod_bandwidth(net, uid_a, 0, 2000000, &err), 0);
	ck_assert_int_eq(net_pod_bandwidth(net, uid_b, 0, 2000000, &err), 0);
	/* a link with an ifb's name that is no ifb is not ours: neither removed nor swept */
	ck_assert_int_eq(system("ip link add nb2c8e5e7a4b4e type veth peer name stranger0"), 0);
	ck_assert_int_eq(net_bandwidth_sweep(net, known, count_swept, &swept, &err), 1);
	ck_assert_int_eq(swept, 1);
	links = run("ip -o link show type ifb | cut -d: -f2%s", "");
	ck_assert_str_eq(links, " nb0a6c3c5e4b4e\n");
	ck_assert_int_eq(
	        net_pod_bandwidth_remove(net, "2c8e5e7a-4b4e-4c55-9d52-7c0d7f3e1a03", &err),
	        -EEXIST);
	ck_assert_ptr_nonnull(strstr(err.message, "nb2c8e5e7a4b4e exists and is not an ifb"));
	nano_err_clear(&err);
	stranger = run("ip -o link show nb2c8e5e7a4b4e | wc -l%s", "");
	ck_assert_str_eq(stranger, "1\n");
	net_free(net);
}
END_TEST

START_TEST(test_no_node_end_is_an_error)
{
	struct net_config config = {.bridge = "nlbr0", .mtu = 1500};
	_cleanup_free_ char *links = NULL;
	struct nano_err err = {0};
	struct net *net = NULL;

	own_netns();
	ck_assert_int_eq(net_cidr_parse("198.18.0.0/16", &config.cidr, &err), 0);
	ck_assert_int_eq(net_new(&config, &net, &err), 0);
	ck_assert_int_eq(net_pod_bandwidth(net, uid_a, 1000000, 1000000, &err), -ENODEV);
	ck_assert_str_eq(err.message, "the pod's node end nl0a6c3c5e4b4e is not there");
	nano_err_clear(&err);
	links = run("ip -o link show type ifb%s", "");
	ck_assert_str_eq(links, "");
	net_free(net);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("bandwidth");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_tbf_compute, 0, (int)ELEMENTSOF(tbf_rows));
	tcase_add_test(tc, test_ingress_and_egress);
	tcase_add_test(tc, test_ingress_only_makes_no_ifb);
	tcase_add_test(tc, test_sweep_and_strangers);
	tcase_add_test(tc, test_no_node_end_is_an_error);
	suite_add_tcase(s, tc);
	return check_run(s);
}
