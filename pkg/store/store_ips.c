/* pkg/store/store_ips.c: the pod_ips table — the pod network's address management (IPAM). One
 * row per address in use, keyed by the address, unique by pod uid.
 *
 * The range is the caller's (the node's pod CIDR less its network, bridge and broadcast
 * addresses): the store only hands out the lowest address of it that no row holds, in the same
 * statement that takes it, so two pods never get one address. A row goes with its pod's row (a
 * trigger, store.c), so an address is never kept by a pod that is gone, however it went.
 */
#include "store_internal.h"

#include <string.h>

int store_pod_ip_get(struct store *s, const char *uid, uint32_t *ip, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	if (!uid)
		return nano_err_set(err, EINVAL, "store: an address lookup needs a uid");
	r = store_stmt(s, STMT_IP_GET, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, uid);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return nano_err_setc(err, NANO_NOT_FOUND, ENOENT, "pod %s has no address", uid);
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, err, "address of pod %s", uid);
	*ip = (uint32_t)sqlite3_column_int64(st, 0);
	return 0;
}

int store_pod_ip_assign(struct store *s, const char *uid, uint32_t first, uint32_t last,
                        uint32_t *ip, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	if (!uid || first > last)
		return nano_err_set(err, EINVAL, "store: an address needs a uid and a range");
	r = store_pod_ip_get(s, uid, ip, err);
	if (r != -ENOENT)
		return r;
	nano_err_clear(err);
	r = store_stmt(s, STMT_IP_ASSIGN, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, uid);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, first);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, last);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return nano_err_setc(err, NANO_UNAVAILABLE, EADDRNOTAVAIL,
		                     "every pod address is taken");
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, err, "assign an address to pod %s", uid);
	*ip = (uint32_t)sqlite3_column_int64(st, 0);
	return 0;
}

int store_pod_ip_release(struct store *s, const char *uid, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	if (!uid)
		return nano_err_set(err, EINVAL, "store: a release needs a uid");
	r = store_stmt(s, STMT_IP_RELEASE, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, uid);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, err, "release the address of pod %s", uid);
	return 0;
}

int store_pod_ips_release_orphans(struct store *s, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = store_stmt(s, STMT_IPS_RELEASE_ORPHANS, &st, err);
	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, err, "release the addresses of pods that are gone");
	return sqlite3_changes(s->db);
}

void store_pod_ips_free(struct store_pod_ip *ips, size_t n)
{
	for (size_t i = 0; ips && i < n; i++)
		free(ips[i].uid);
	free(ips);
}

int store_pod_ips_list(struct store *s, struct store_pod_ip **out, size_t *n, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_pod_ip *ips = NULL;
	size_t len = 0;
	int r, rc;

	*out = NULL;
	*n = 0;
	r = store_stmt(s, STMT_IPS_LIST, &st, err);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_pod_ip *grown = realloc(ips, (len + 1) * sizeof(*ips));

		if (!grown) {
			store_pod_ips_free(ips, len);
			return nano_err_set(err, ENOMEM, "out of memory");
		}
		ips = grown;
		ips[len].ip = (uint32_t)sqlite3_column_int64(st, 0);
		ips[len].uid = store_column_strdup(st, 1);
		if (!ips[len++].uid) {
			store_pod_ips_free(ips, len);
			return nano_err_set(err, ENOMEM, "out of memory");
		}
	}
	if (rc != SQLITE_DONE) {
		store_pod_ips_free(ips, len);
		return store_fail(s, rc, err, "list pod addresses");
	}
	*out = ips;
	*n = len;
	return (int)len;
}
