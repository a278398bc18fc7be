/* tests/unit/test_net.c: the pure half of pkg/net (cidr.c) — pod CIDR parsing and its errors,
 * the bridge, broadcast and pod addresses of a network, dotted quads, and the names of node
 * ends (derived from the pod uid, within IFNAMSIZ, recognised by the sweep). */
#include <check.h>
#include <string.h>

#include "check_main.h"
#include "net/net.h"

static const struct {
	const char *text;
	int rc;
	uint32_t network;
	unsigned prefix;
	const char *message; /* a part of the error's message */
} cidr_cases[] = {
        {"198.18.0.0/16", 0, 0xc6120000, 16, NULL},
        {"198.18.0.0/15", 0, 0xc6120000, 15, NULL},
        {"10.244.0.0/24", 0, 0x0af40000, 24, NULL},
        {"198.18.0.4/30", 0, 0xc6120004, 30, NULL},
        {"198.18.0.1/16", -EINVAL, 0, 0, "host bits set: the network is 198.18.0.0/16"},
        {"198.18.0.0", -EINVAL, 0, 0, "no prefix length"},
        {"198.18.0.0/", -EINVAL, 0, 0, "bad prefix length"},
        {"198.18.0.0/x", -EINVAL, 0, 0, "bad prefix length"},
        {"198.18.0.0/-1", -EINVAL, 0, 0, "bad prefix length"},
        {"198.18.0.0/33", -EINVAL, 0, 0, "bad prefix length"},
        {"198.18.0.0/16 ", -EINVAL, 0, 0, "bad prefix length"},
        {"198.18.0.0/31", -EINVAL, 0, 0, "must be 8 to 30"},
        {"198.18.0.0/32", -EINVAL, 0, 0, "must be 8 to 30"},
        {"0.0.0.0/0", -EINVAL, 0, 0, "must be 8 to 30"},
        {"198.18.0/16", -EINVAL, 0, 0, "not an IPv4 address"},
        {"198.18.0.256/24", -EINVAL, 0, 0, "not an IPv4 address"},
        {"fd00::/64", -EINVAL, 0, 0, "not an IPv4 address"},
        {"", -EINVAL, 0, 0, "no prefix length"},
};

START_TEST(test_cidr_parse)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct net_cidr c = {0};
	int r = net_cidr_parse(cidr_cases[_i].text, &c, &err);

	ck_assert_msg(r == cidr_cases[_i].rc, "%s: %d (%s)", cidr_cases[_i].text, r,
	              err.message ? err.message : "");
	if (r == 0) {
		ck_assert_uint_eq(c.network, cidr_cases[_i].network);
		ck_assert_uint_eq(c.prefix, cidr_cases[_i].prefix);
	} else {
		ck_assert_ptr_nonnull(strstr(err.message, cidr_cases[_i].message));
	}
}
END_TEST

static const struct {
	const char *cidr;
	const char *bridge, *first, *last, *broadcast;
} range_cases[] = {
        {"198.18.0.0/16", "198.18.0.1", "198.18.0.2", "198.18.255.254", "198.18.255.255"},
        {"198.18.0.0/30", "198.18.0.1", "198.18.0.2", "198.18.0.2", "198.18.0.3"},
        {"198.18.0.8/29", "198.18.0.9", "198.18.0.10", "198.18.0.14", "198.18.0.15"},
        {"10.0.0.0/8", "10.0.0.1", "10.0.0.2", "10.255.255.254", "10.255.255.255"},
};

/* The bridge takes the first address, the network and broadcast ones are never a pod's. */
START_TEST(test_cidr_range)
{
	struct net_cidr c;
	uint32_t first, last;
	char a[NET_IP_STRLEN], cidr[NET_CIDR_STRLEN];

	ck_assert_int_eq(net_cidr_parse(range_cases[_i].cidr, &c, NULL), 0);
	net_cidr_pod_range(&c, &first, &last);
	ck_assert_str_eq(net_ip_str(net_cidr_bridge_ip(&c), a), range_cases[_i].bridge);
	ck_assert_str_eq(net_ip_str(first, a), range_cases[_i].first);
	ck_assert_str_eq(net_ip_str(last, a), range_cases[_i].last);
	ck_assert_str_eq(net_ip_str(net_cidr_broadcast(&c), a), range_cases[_i].broadcast);
	ck_assert_str_eq(net_cidr_str(&c, cidr), range_cases[_i].cidr);
	ck_assert(net_cidr_contains(&c, first) && net_cidr_contains(&c, last));
	ck_assert(!net_cidr_contains(&c, net_cidr_broadcast(&c) + 1));
	ck_assert(!net_cidr_contains(&c, c.network - 1));
}
END_TEST

static const struct {
	const char *uid;
	int rc;
	const char *name;
} ifname_cases[] = {
        {"32716c7b-95d9-4e1f-8f0a-1b2c3d4e5f60", 0, "nl32716c7b95d9"},
        {"ABCDEF01-2345-4e1f-8f0a-1b2c3d4e5f60", 0, "nlabcdef012345"},
        {"0123456789ab", 0, "nl0123456789ab"},
        {"0123-4567-89ab-cdef", 0, "nl0123456789ab"},
        {"0123456789a", -EINVAL, NULL},  /* 11 hex digits */
        {"0123456789ag", -EINVAL, NULL}, /* not hex */
        {"", -EINVAL, NULL},
};

START_TEST(test_node_ifname)
{
	char name[IFNAMSIZ];
	int r = net_node_ifname(ifname_cases[_i].uid, name);

	ck_assert_int_eq(r, ifname_cases[_i].rc);
	ck_assert_int_eq(net_ifb_ifname(ifname_cases[_i].uid, name), ifname_cases[_i].rc);
	if (r < 0)
		return;
	r = net_node_ifname(ifname_cases[_i].uid, name);
	ck_assert_str_eq(name, ifname_cases[_i].name);
	ck_assert_uint_lt(strlen(name), IFNAMSIZ);
	ck_assert(net_is_node_ifname(name));
	ck_assert(!net_is_ifb_ifname(name));
	ck_assert(net_ifname_valid(name));
	/* the pod's ifb: the same digits after "nb" */
	ck_assert_int_eq(net_ifb_ifname(ifname_cases[_i].uid, name), 0);
	ck_assert_str_eq(name + 2, ifname_cases[_i].name + 2);
	ck_assert(strncmp(name, "nb", 2) == 0);
	ck_assert(net_is_ifb_ifname(name));
	ck_assert(!net_is_node_ifname(name));
}
END_TEST

/* Only a node end's or an ifb's exact shape is swept: never the bridge, eth0 or a user's link. */
static const struct {
	const char *name;
	bool node_end, valid, ifb;
} name_cases[] = {
        {"nl32716c7b95d9", true, true, false},
        {"nb32716c7b95d9", false, true, true},
        {"nb32716C7B95D9", false, true, false},
        {"nb32716c7b95d", false, true, false},
        {"ifb0", false, true, false},
        {"nl32716C7B95D9", false, true, false},
        {"nl32716c7b95d", false, true, false},
        {"nl32716c7b95d9a", false, true, false},
        {"nanolet0", false, true, false},
        {"eth0", false, true, false},
        {"nl-2716c7b95d9", false, true, false},
        {"", false, false, false},
        {"0123456789abcdef", false, false, false}, /* 16 bytes: past IFNAMSIZ */
        {"a/b", false, false, false},
        {"a:b", false, false, false},
        {"a b", false, false, false},
        {".", false, false, false},
        {"..", false, false, false},
};

START_TEST(test_ifname_shapes)
{
	ck_assert_int_eq(net_is_node_ifname(name_cases[_i].name), name_cases[_i].node_end);
	ck_assert_int_eq(net_ifname_valid(name_cases[_i].name), name_cases[_i].valid);
	ck_assert_int_eq(net_is_ifb_ifname(name_cases[_i].name), name_cases[_i].ifb);
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("cidr");

	tcase_add_loop_test(tc, test_cidr_parse, 0, (int)ELEMENTSOF(cidr_cases));
	tcase_add_loop_test(tc, test_cidr_range, 0, (int)ELEMENTSOF(range_cases));
	tcase_add_loop_test(tc, test_node_ifname, 0, (int)ELEMENTSOF(ifname_cases));
	tcase_add_loop_test(tc, test_ifname_shapes, 0, (int)ELEMENTSOF(name_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(net_suite());
}
