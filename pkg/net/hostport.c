/* pkg/net/hostport.c: hostPort forwards in nanolet's own nftables table (hostport.h).
 *
 * Everything goes through libnftables' command language, each call one transaction (a batch
 * the kernel applies whole or not at all). Nothing a request sends reaches the command text
 * unchecked: addresses are parsed and printed again, protocols mapped from the three the API
 * allows, uids limited to the characters a uid has.
 */
#include "hostport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dl_nftables.h"

#define TABLE "ip nanolet"

struct hostports {
	struct nft_ctx *nft; /* NULL until the first command (ctx_open) */
};

/* The context, made the first time one is needed: libnftables (and the libraries it brings) is
 * loaded then, not at the daemon's start. */
static int ctx_open(struct hostports *h, struct nano_err *err)
{
	int r;

	if (h->nft)
		return 0;
	r = nftables_dl_open(err);
	if (r < 0)
		return r;
	h->nft = sym_nft_ctx_new(NFT_CTX_DEFAULT);
	if (!h->nft)
		return nano_err_set(err, ENOMEM, "nftables: no context");
	sym_nft_ctx_buffer_error(h->nft);
	sym_nft_ctx_buffer_output(h->nft);
	return 0;
}

/* Runs commands (one transaction); the error text libnftables wrote becomes the message. */
static int run(struct hostports *h, const char *commands, struct nano_err *err)
{
	const char *why;
	size_t n;
	int r = ctx_open(h, err);

	if (r < 0)
		return r;
	if (sym_nft_run_cmd_from_buffer(h->nft, commands) == 0)
		return 0;
	why = sym_nft_ctx_get_error_buffer(h->nft);
	why = why && *why ? why : "failed";
	n = strcspn(why, "\n");
	return nano_err_set(err, EIO, "nftables: %.*s", (int)n, why);
}

/* "a.b.c.d/n" as nftables should read it, or -EINVAL. */
static int parse_cidr(const char *cidr, char out[INET_ADDRSTRLEN + 4])
{
	char addr[INET_ADDRSTRLEN] = "";
	struct in_addr a;
	const char *slash = strchr(cidr, '/');
	char *end;
	long bits;

	if (!slash || (size_t)(slash - cidr) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, cidr, (size_t)(slash - cidr));
	errno = 0;
	bits = strtol(slash + 1, &end, 10);
	if (inet_pton(AF_INET, addr, &a) != 1 || errno || *end || end == slash + 1 || bits < 0 ||
	    bits > 32)
		return -EINVAL;
	snprintf(out, INET_ADDRSTRLEN + 4, "%s/%ld", addr, bits);
	return 0;
}

int hostports_new(struct hostports **out, struct nano_err *err)
{
	struct hostports *h = calloc(1, sizeof(*h));

	if (!h)
		return nano_err_set(err, ENOMEM, "out of memory");
	*out = h;
	return 0;
}

int hostports_ready(struct hostports *h, const char *masquerade_cidr, struct nano_err *err)
{
	static const char *const hooks[] = {"prerouting", "output"};
	_cleanup_free_ char *rules = NULL;
	char cidr[INET_ADDRSTRLEN + 4] = "";

	if (masquerade_cidr && parse_cidr(masquerade_cidr, cidr) < 0)
		return nano_err_set(err, EINVAL,
		                    "masquerade: \"%s\" is not an IPv4 CIDR (a.b.c.d/n)",
		                    masquerade_cidr);
	/* the maps are added only when missing, so their elements (the running pods' forwards)
	 * survive a restart; the chains are flushed and filled again, so the rules are this
	 * build's and this config's */
	rules = strdupf("add table " TABLE "\n"
	                "add map " TABLE " hostports { type inet_proto . inet_service : "
	                "ipv4_addr . inet_service ; }\n"
	                "add map " TABLE " hostports_addr { type ipv4_addr . inet_proto . "
	                "inet_service : ipv4_addr . inet_service ; }\n"
	                "add chain " TABLE " prerouting { type nat hook prerouting priority "
	                "dstnat ; policy accept ; }\n"
	                "add chain " TABLE " output { type nat hook output priority -100 ; "
	                "policy accept ; }\n"
	                "add chain " TABLE " postrouting { type nat hook postrouting priority "
	                "srcnat ; policy accept ; }\n"
	                "flush chain " TABLE " prerouting\n"
	                "flush chain " TABLE " output\n"
	                "flush chain " TABLE " postrouting\n");
	for (size_t i = 0; rules && i < ELEMENTSOF(hooks); i++) {
		char *more =
		        strdupf("%s"
		                "add rule " TABLE " %s fib daddr type local meta l4proto { tcp, "
		                "udp, sctp } dnat ip to ip daddr . meta l4proto . th dport map "
		                "@hostports_addr\n"
		                "add rule " TABLE " %s fib daddr type local meta l4proto { tcp, "
		                "udp, sctp } dnat ip to meta l4proto . th dport map @hostports\n",
		                rules, hooks[i], hooks[i]);

		free(rules);
		rules = more;
	}
	if (rules && *cidr) {
		char *more = strdupf("%sadd rule " TABLE " postrouting ip saddr %s ip daddr != %s "
		                     "masquerade\n",
		                     rules, cidr, cidr);

		free(rules);
		rules = more;
	}
	if (!rules)
		return nano_err_set(err, ENOMEM, "out of memory");
	return run(h, rules, err);
}

int hostports_open(const char *masquerade_cidr, struct hostports **out, struct nano_err *err)
{
	struct hostports *h = NULL;
	int r = hostports_new(&h, err);

	if (r < 0)
		return r;
	r = hostports_ready(h, masquerade_cidr, err);
	if (r < 0)
		return hostports_free(h), r;
	*out = h;
	return 0;
}

void hostports_free(struct hostports *h)
{
	if (!h)
		return;
	if (h->nft)
		sym_nft_ctx_free(h->nft);
	free(h);
}

static bool uid_ok(const char *uid)
{
	return uid && *uid && strlen(uid) <= 64 &&
	       strspn(uid, "0123456789abcdefABCDEF-") == strlen(uid);
}

static const char *nft_protocol(const char *protocol)
{
	if (!protocol || !strcmp(protocol, "TCP"))
		return "tcp";
	if (!strcmp(protocol, "UDP"))
		return "udp";
	if (!strcmp(protocol, "SCTP"))
		return "sctp";
	return NULL;
}

static bool any_address(const char *ip)
{
	return !ip || !*ip || !strcmp(ip, "0.0.0.0");
}

int hostports_add(struct hostports *h, const char *uid, const char *pod_ip,
                  const struct hostport *ports, size_t n, struct nano_err *err)
{
	_cleanup_free_ char *commands = strdup("");
	char ip[INET_ADDRSTRLEN];
	struct in_addr a;

	if (!uid_ok(uid))
		return nano_err_set(err, EINVAL, "hostPort: \"%s\" is not a pod uid",
		                    uid ? uid : "");
	if (!pod_ip || inet_pton(AF_INET, pod_ip, &a) != 1)
		return nano_err_set(err, EINVAL, "hostPort: the pod's address \"%s\" is not IPv4",
		                    pod_ip ? pod_ip : "");
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	for (size_t i = 0; commands && i < n; i++) {
		const struct hostport *p = &ports[i];
		const char *proto = nft_protocol(p->protocol);
		char node[INET_ADDRSTRLEN] = "";
		struct in_addr b;
		char *more;

		if (!proto)
			return nano_err_set(err, EINVAL,
			                    "hostPort %u: protocol \"%s\" is not TCP, UDP "
			                    "or SCTP",
			                    p->host_port, p->protocol);
		if (!p->host_port || !p->container_port)
			return nano_err_set(err, EINVAL, "hostPort %u to %u: a port is 0",
			                    p->host_port, p->container_port);
		if (!any_address(p->host_ip)) {
			if (inet_pton(AF_INET, p->host_ip, &b) != 1)
				return nano_err_set(
				        err, EINVAL,
				        "hostPort %u: hostIP \"%s\" is not an IPv4 address "
				        "(the pod network is IPv4)",
				        p->host_port, p->host_ip);
			inet_ntop(AF_INET, &b, node, sizeof(node));
		}
		if (*node)
			more = strdupf(
			        "%sadd element " TABLE " hostports_addr { %s . %s . %u comment "
			        "\"%s\" : %s . %u }\n",
			        commands, node, proto, p->host_port, uid, ip, p->container_port);
		else
			more = strdupf("%sadd element " TABLE
			               " hostports { %s . %u comment \"%s\" : "
			               "%s . %u }\n",
			               commands, proto, p->host_port, uid, ip, p->container_port);
		free(commands);
		commands = more;
	}
	if (!commands)
		return nano_err_set(err, ENOMEM, "out of memory");
	return *commands ? run(h, commands, err) : 0;
}

/* An element's key in the command language from its JSON parts ("concat": ["tcp", 8080]);
 * false when a part is not a plain name, address or number. */
static bool key_text(json_t *parts, char *text, size_t size)
{
	size_t len = 0, k;
	json_t *part;

	json_array_foreach(parts, k, part)
	{
		const char *s = json_string_value(part);
		const char *sep = k ? " . " : "";
		int n;

		if (s && (!*s || strspn(s, "0123456789abcdefghijklmnopqrstuvwxyz.:") != strlen(s)))
			return false;
		if (!s && !json_is_integer(part))
			return false;
		n = s ? snprintf(text + len, size - len, "%s%s", sep, s)
		      : snprintf(text + len, size - len, "%s%" JSON_INTEGER_FORMAT, sep,
		                 json_integer_value(part));
		if (n < 0 || (size_t)n >= size - len)
			return false;
		len += (size_t)n;
	}
	return len > 0;
}

/* Deletes, in one transaction, each element of the map whose comment (its pod's uid) drop()
 * says yes to; the elements are read as nftables lists them (JSON). */
static int sweep_map(struct hostports *h, const char *map,
                     bool (*drop)(const char *uid, void *userdata), void *userdata,
                     struct nano_err *err)
{
	_cleanup_free_ char *list = strdupf("list map " TABLE " %s", map);
	_cleanup_free_ char *deletes = strdup("");
	_cleanup_json_ json_t *doc = NULL;
	json_t *items, *item, *elems, *pair;
	size_t i, j;
	int r;

	if (!list || !deletes)
		return nano_err_set(err, ENOMEM, "out of memory");
	sym_nft_ctx_output_set_flags(h->nft, NFT_CTX_OUTPUT_JSON);
	r = run(h, list, err);
	sym_nft_ctx_output_set_flags(h->nft, 0);
	if (r < 0)
		return r;
	doc = json_loads(sym_nft_ctx_get_output_buffer(h->nft), 0, NULL);
	items = json_object_get(doc, "nftables");
	if (!json_is_array(items))
		return nano_err_set(err, EBADMSG, "nftables: list map %s: not the JSON expected",
		                    map);
	json_array_foreach(items, i, item)
	{
		elems = json_object_get(json_object_get(item, "map"), "elem");
		json_array_foreach(elems, j, pair)
		{
			/* [key, value]; a key with a comment is {"elem": {"val": key, "comment"}}
			 */
			json_t *key = json_array_get(pair, 0), *elem = json_object_get(key, "elem");
			const char *uid = json_string_value(json_object_get(elem, "comment"));
			json_t *parts = json_object_get(elem ? json_object_get(elem, "val") : key,
			                                "concat");
			char text[128];
			char *more;

			if (!drop(uid ? uid : "", userdata))
				continue;
			if (!key_text(parts, text, sizeof(text)))
				return nano_err_set(
				        err, EBADMSG,
				        "nftables: an element of map %s that nanolet cannot "
				        "read",
				        map);
			more = strdupf("%sdelete element " TABLE " %s { %s }\n", deletes, map,
			               text);
			free(deletes);
			deletes = more;
			if (!deletes)
				return nano_err_set(err, ENOMEM, "out of memory");
		}
	}
	return *deletes ? run(h, deletes, err) : 0;
}

/* 1 when the table is there, 0 when not (a node that never had a pod on the network). */
static int table_exists(struct hostports *h, struct nano_err *err)
{
	_cleanup_json_ json_t *doc = NULL;
	json_t *items, *item;
	size_t i;
	int r = ctx_open(h, err);

	if (r < 0)
		return r;
	sym_nft_ctx_output_set_flags(h->nft, NFT_CTX_OUTPUT_JSON);
	r = run(h, "list tables ip", err);
	sym_nft_ctx_output_set_flags(h->nft, 0);
	if (r < 0)
		return r;
	doc = json_loads(sym_nft_ctx_get_output_buffer(h->nft), 0, NULL);
	items = json_object_get(doc, "nftables");
	json_array_foreach(items, i, item)
	{
		const char *name =
		        json_string_value(json_object_get(json_object_get(item, "table"), "name"));

		if (name && !strcmp(name, "nanolet"))
			return 1;
	}
	return 0;
}

static int sweep(struct hostports *h, bool (*drop)(const char *uid, void *userdata), void *userdata,
                 struct nano_err *err)
{
	int r = table_exists(h, err);

	if (r <= 0)
		return r;
	r = sweep_map(h, "hostports", drop, userdata, err);

	return r < 0 ? r : sweep_map(h, "hostports_addr", drop, userdata, err);
}

static bool is_uid(const char *uid, void *userdata)
{
	return !strcmp(uid, userdata);
}

int hostports_remove(struct hostports *h, const char *uid, struct nano_err *err)
{
	if (!uid_ok(uid))
		return nano_err_set(err, EINVAL, "hostPort: \"%s\" is not a pod uid",
		                    uid ? uid : "");
	return sweep(h, is_uid, (void *)uid, err);
}

struct keep_call {
	bool (*keep)(const char *uid, void *userdata);
	void *userdata;
};

static bool not_kept(const char *uid, void *userdata)
{
	struct keep_call *c = userdata;

	return !c->keep(uid, c->userdata);
}

int hostports_sweep(struct hostports *h, bool (*keep)(const char *uid, void *userdata),
                    void *userdata, struct nano_err *err)
{
	struct keep_call c = {keep, userdata};

	return sweep(h, not_kept, &c, err);
}

static bool collect(const char *uid, void *userdata)
{
	char ***uids = userdata;

	if (*uid && !strv_contains(*uids, uid))
		strv_push(uids, strdup(uid));
	return false;
}

int hostports_pods(struct hostports *h, char ***uids, struct nano_err *err)
{
	int r;

	*uids = NULL;
	r = sweep(h, collect, uids, err);
	if (r < 0) {
		strv_free(*uids);
		*uids = NULL;
	}
	return r;
}
