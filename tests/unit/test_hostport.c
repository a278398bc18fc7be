/* tests/unit/test_hostport.c: hostPort forwards in nanolet's nftables table (pkg/net/hostport.c),
 * each test in a network namespace of its own (root; every test forks), so the node's rules are
 * never touched. The rules are made once and replaced on every open, the pods' elements kept;
 * a pod's forwards go in one transaction and leave by its uid; the sweep keeps what it is told
 * to; bad input changes nothing; and a connection to the node's address and hostPort reaches
 * the pod's address and containerPort. */
#include <arpa/inet.h>
#include <check.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nftables/libnftables.h>

#include "check_main.h"
#include "net/hostport.h"

static const char *const uid_a = "0a6c3c5e-4b4e-4c55-9d52-7c0d7f3e1a01";
static const char *const uid_b = "0a6c3c5e-4b4e-4c55-9d52-7c0d7f3e1a02";

static void own_netns(void)
{
	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %m (run as root)");
	ck_assert_int_eq(system("ip link set lo up"), 0);
}

/* What `nft list table ip nanolet` prints. */
static char *ruleset(void)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	char *text;

	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	ck_assert_int_eq(nft_run_cmd_from_buffer(nft, "list table ip nanolet"), 0);
	text = strdup(nft_ctx_get_output_buffer(nft));
	nft_ctx_free(nft);
	return text;
}

static size_t count(const char *haystack, const char *needle)
{
	size_t n = 0;

	for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static struct hostports *open_ok(const char *cidr)
{
	struct nano_err err = {0};
	struct hostports *h = NULL;

	ck_assert_msg(hostports_open(cidr, &h, &err) == 0, "%s", err.message);
	return h;
}

static const struct hostport web[] = {
        {.protocol = "TCP", .host_port = 8080, .container_port = 80},
        {.protocol = "UDP", .host_ip = "198.19.0.1", .host_port = 53, .container_port = 5353},
};

START_TEST(test_open_makes_and_keeps)
{
	_cleanup_free_ char *first = NULL, *again = NULL;
	struct nano_err err = {0};
	struct hostports *h;

	own_netns();
	h = open_ok("198.18.0.0/16");
	first = ruleset();
	ck_assert_uint_eq(count(first, "dnat ip to meta l4proto . th dport map @hostports\n"), 2);
	ck_assert_uint_eq(
	        count(first, "dnat ip to ip daddr . meta l4proto . th dport map @hostports_addr"),
	        2);
	ck_assert_ptr_nonnull(
	        strstr(first, "ip saddr 198.18.0.0/16 ip daddr != 198.18.0.0/16 masquerade"));
	ck_assert_int_eq(hostports_add(h, uid_a, "198.18.0.5", web, 2, &err), 0);
	hostports_free(h);

	/* a restart: the rules once, as configured now; the running pods' forwards kept */
	h = open_ok(NULL);
	again = ruleset();
	ck_assert_uint_eq(count(again, "dnat ip to meta l4proto . th dport map @hostports\n"), 2);
	ck_assert_ptr_null(strstr(again, "masquerade"));
	ck_assert_ptr_nonnull(strstr(again, "tcp . 8080 comment \"" /* uid */));
	ck_assert_ptr_nonnull(strstr(again, ": 198.18.0.5 . 80"));
	ck_assert_ptr_nonnull(strstr(again, "198.19.0.1 . udp . 53"));
	ck_assert_ptr_nonnull(strstr(again, ": 198.18.0.5 . 5353"));
	hostports_free(h);
}
END_TEST

static bool same_uid(const char *uid, void *userdata)
{
	return strcmp(uid, userdata) == 0;
}

START_TEST(test_remove_and_sweep_by_uid)
{
	static const struct hostport other[] = {
	        {.protocol = "SCTP", .host_port = 9000, .container_port = 9000}};
	_cleanup_strv_ char **uids = NULL, **left = NULL, **none = NULL;
	_cleanup_free_ char *text = NULL;
	struct nano_err err = {0};
	struct hostports *h;

	own_netns();
	h = open_ok(NULL);
	ck_assert_int_eq(hostports_add(h, uid_a, "198.18.0.5", web, 2, &err), 0);
	ck_assert_int_eq(hostports_add(h, uid_b, "198.18.0.6", other, 1, &err), 0);
	ck_assert_int_eq(hostports_pods(h, &uids, &err), 0);
	ck_assert_uint_eq(strv_len(uids), 2);
	ck_assert(strv_contains(uids, uid_a) && strv_contains(uids, uid_b));

	ck_assert_int_eq(hostports_remove(h, uid_a, &err), 0);
	ck_assert_int_eq(hostports_remove(h, uid_a, &err), 0); /* none left: fine */
	ck_assert_int_eq(hostports_pods(h, &left, &err), 0);
	ck_assert_uint_eq(strv_len(left), 1);
	ck_assert_str_eq(left[0], uid_b);
	text = ruleset();
	ck_assert_ptr_null(strstr(text, "198.18.0.5"));
	ck_assert_ptr_nonnull(strstr(text, "sctp . 9000"));

	/* the orphan sweep: uid_b is no pod of ours any more */
	ck_assert_int_eq(hostports_add(h, uid_a, "198.18.0.5", web, 2, &err), 0);
	ck_assert_int_eq(hostports_sweep(h, same_uid, (void *)uid_a, &err), 0);
	ck_assert_int_eq(hostports_pods(h, &none, &err), 0);
	ck_assert_uint_eq(strv_len(none), 1);
	ck_assert_str_eq(none[0], uid_a);
	hostports_free(h);
}
END_TEST

START_TEST(test_bad_input_changes_nothing)
{
	static const struct hostport half_bad[] = {
	        {.protocol = "TCP", .host_port = 8080, .container_port = 80},
	        {.protocol = "QUIC", .host_port = 443, .container_port = 443},
	};
	static const struct hostport v6[] = {{.protocol = "TCP",
	                                      .host_ip = "2001:db8::1",
	                                      .host_port = 80,
	                                      .container_port = 80}};
	_cleanup_strv_ char **uids = NULL;
	struct nano_err err = {0};
	struct hostports *h = NULL;

	own_netns();
	ck_assert_int_eq(hostports_open("198.18.0.0/33", &h, &err), -EINVAL);
	ck_assert_str_eq(err.message,
	                 "masquerade: \"198.18.0.0/33\" is not an IPv4 CIDR (a.b.c.d/n)");
	nano_err_clear(&err);
	ck_assert_int_eq(hostports_open("198.18.0.0/16; flush ruleset", &h, &err), -EINVAL);
	nano_err_clear(&err);
	h = open_ok(NULL);
	ck_assert_int_eq(hostports_add(h, uid_a, "198.18.0.5", half_bad, 2, &err), -EINVAL);
	ck_assert_str_eq(err.message, "hostPort 443: protocol \"QUIC\" is not TCP, UDP or SCTP");
	nano_err_clear(&err);
	ck_assert_int_eq(hostports_add(h, uid_a, "198.18.0.5", v6, 1, &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err.message, "is not an IPv4 address"));
	nano_err_clear(&err);
	ck_assert_int_eq(hostports_add(h, uid_a, "198.18.0.5\" ; flush ruleset", web, 1, &err),
	                 -EINVAL);
	nano_err_clear(&err);
	ck_assert_int_eq(hostports_add(h, "x\" ; flush ruleset ; \"", "198.18.0.5", web, 1, &err),
	                 -EINVAL);
	nano_err_clear(&err);
	ck_assert_int_eq(hostports_pods(h, &uids, &err), 0);
	ck_assert_ptr_null(uids);
	hostports_free(h);
}
END_TEST

/* The forward itself: the node's address and hostPort reach the pod's address and
 * containerPort (here both on lo; the output chain, as a connection the node opens). */
START_TEST(test_connection_is_forwarded)
{
	static const struct hostport one[] = {
	        {.protocol = "TCP", .host_port = 18080, .container_port = 8080}};
	struct sockaddr_in pod = {.sin_family = AF_INET, .sin_port = htons(8080)};
	struct sockaddr_in node = {.sin_family = AF_INET, .sin_port = htons(18080)};
	struct nano_err err = {0};
	struct hostports *h;
	int server, client, conn;
	char buf[8] = "";

	own_netns();
	ck_assert_int_eq(system("ip addr add 198.18.0.5/32 dev lo && "
	                        "ip addr add 198.19.0.1/32 dev lo"),
	                 0);
	inet_pton(AF_INET, "198.18.0.5", &pod.sin_addr);
	inet_pton(AF_INET, "198.19.0.1", &node.sin_addr);
	server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(bind(server, (struct sockaddr *)&pod, sizeof(pod)), 0);
	ck_assert_int_eq(listen(server, 1), 0);

	/* before the forward: nothing listens on the node's 18080 */
	client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(client, (struct sockaddr *)&node, sizeof(node)), -1);
	close(client);

	h = open_ok(NULL);
	ck_assert_int_eq(hostports_add(h, uid_a, "198.18.0.5", one, 1, &err), 0);
	client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_msg(connect(client, (struct sockaddr *)&node, sizeof(node)) == 0, "connect: %m");
	conn = accept(server, NULL, NULL);
	ck_assert_int_ge(conn, 0);
	ck_assert_int_eq(write(client, "hi", 2), 2);
	ck_assert_int_eq(read(conn, buf, sizeof(buf)), 2);
	ck_assert_str_eq(buf, "hi");
	close(conn);
	close(client);

	/* removed with its pod: refused again */
	ck_assert_int_eq(hostports_remove(h, uid_a, &err), 0);
	client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(client, (struct sockaddr *)&node, sizeof(node)), -1);
	close(client);
	close(server);
	hostports_free(h);
}
END_TEST

/* A node that never had a pod on the network has no table: removing and sweeping are no-ops,
 * and make none. */
START_TEST(test_no_table_is_nothing_to_remove)
{
	_cleanup_strv_ char **uids = NULL;
	struct nano_err err = {0};
	struct hostports *h = NULL;
	struct nft_ctx *nft;

	own_netns();
	ck_assert_int_eq(hostports_new(&h, &err), 0);
	ck_assert_int_eq(hostports_remove(h, uid_a, &err), 0);
	ck_assert_int_eq(hostports_sweep(h, same_uid, (void *)uid_a, &err), 0);
	ck_assert_int_eq(hostports_pods(h, &uids, &err), 0);
	ck_assert_ptr_null(uids);
	nft = nft_ctx_new(NFT_CTX_DEFAULT);
	nft_ctx_buffer_output(nft);
	ck_assert_int_eq(nft_run_cmd_from_buffer(nft, "list tables"), 0);
	ck_assert_str_eq(nft_ctx_get_output_buffer(nft), "");
	nft_ctx_free(nft);
	hostports_free(h);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostport");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_open_makes_and_keeps);
	tcase_add_test(tc, test_remove_and_sweep_by_uid);
	tcase_add_test(tc, test_bad_input_changes_nothing);
	tcase_add_test(tc, test_connection_is_forwarded);
	tcase_add_test(tc, test_no_table_is_nothing_to_remove);
	suite_add_tcase(s, tc);
	return check_run(s);
}
