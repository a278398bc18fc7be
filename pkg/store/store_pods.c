/* pkg/store/store_pods.c: the pods table — one row per pod, keyed by uid, unique by
 * namespace/name, holding the Pod as created and its latest status as JSON text.
 *
 * The store does not look inside the JSON: it neither validates a Pod nor merges a status, it
 * keeps what the caller wrote and gives it back decoded. No clock reads: times are parameters.
 */
#include "store_internal.h"

#include <inttypes.h>
#include <string.h>

void store_pod_done(struct store_pod *pod)
{
	if (!pod)
		return;
	free(pod->uid);
	free(pod->namespace);
	free(pod->name);
	json_decref(pod->object);
	json_decref(pod->status);
	json_decref(pod->runtime);
	*pod = (struct store_pod){0};
}

void store_pods_free(struct store_pod *pods, size_t n)
{
	for (size_t i = 0; pods && i < n; i++)
		store_pod_done(&pods[i]);
	free(pods);
}

static char *encode(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* A stored JSON object; a row that does not hold one is damage (EUCLEAN), not a caller's error. */
static int decode(const char *uid, const char *what, const char *text, json_t **out,
                  struct nano_err *err)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (!j)
		return nano_err_set(err, EUCLEAN, "stored %s of pod %s is not JSON: %s", what, uid,
		                    jerr.text);
	if (!json_is_object(j)) {
		json_decref(j);
		return nano_err_set(err, EUCLEAN, "stored %s of pod %s is not a JSON object", what,
		                    uid);
	}
	*out = j;
	return 0;
}

/* Reads the current row of a STORE_POD_COLUMNS select into *pod. */
static int read_row(sqlite3_stmt *st, struct store_pod *pod, struct nano_err *err)
{
	struct store_pod p = {
	        .uid = store_column_strdup(st, 0),
	        .namespace = store_column_strdup(st, 1),
	        .name = store_column_strdup(st, 2),
	        .created_ns = sqlite3_column_int64(st, 5),
	        .deleting = sqlite3_column_type(st, 6) != SQLITE_NULL,
	        .deletion_ns = sqlite3_column_int64(st, 6),
	        .deletion_grace_s = sqlite3_column_int64(st, 7),
	};
	int r;

	if (!p.uid || !p.namespace || !p.name) {
		store_pod_done(&p);
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	r = decode(p.uid, "object", (const char *)sqlite3_column_text(st, 3), &p.object, err);
	if (r >= 0)
		r = decode(p.uid, "status", (const char *)sqlite3_column_text(st, 4), &p.status,
		           err);
	if (r >= 0)
		r = decode(p.uid, "runtime", (const char *)sqlite3_column_text(st, 8), &p.runtime,
		           err);
	if (r < 0) {
		store_pod_done(&p);
		return r;
	}
	*pod = p;
	return 0;
}

int store_pod_insert(struct store *s, const char *uid, const char *namespace, const char *name,
                     const json_t *object, const json_t *status, int64_t created_ns,
                     struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *object_text = NULL, *status_text = NULL;
	int r, rc;

	if (!uid || !*uid || !namespace || !*namespace || !name || !*name)
		return nano_err_set(err, EINVAL,
		                    "store: a pod needs a uid, a namespace and a name");
	if (!json_is_object(object) || (status && !json_is_object(status)))
		return nano_err_set(err, EINVAL,
		                    "store: pod %s/%s: object and status must be JSON "
		                    "objects",
		                    namespace, name);
	object_text = encode(object);
	status_text = status ? encode(status) : strdup("{}");
	if (!object_text || !status_text)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = store_stmt(s, STMT_POD_INSERT, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, uid);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 2, namespace);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 3, name);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 4, object_text);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 5, status_text);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 6, created_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	/* The API server's words for a 409. */
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return nano_err_setc(err, NANO_CONFLICT, EEXIST, "pods \"%s\" already exists",
		                     name);
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return nano_err_setc(err, NANO_CONFLICT, EEXIST, "a pod with uid %s already exists",
		                     uid);
	return store_fail(s, rc, err, "insert pod %s/%s", namespace, name);
}

static int get_one(struct store *s, sqlite3_stmt *st, int rc, const char *what,
                   struct store_pod *out, struct nano_err *err)
{
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return nano_err_setc(err, NANO_NOT_FOUND, ENOENT, "%s not found", what);
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, err, "get %s", what);
	return read_row(st, out, err);
}

int store_pod_get(struct store *s, const char *namespace, const char *name, struct store_pod *out,
                  struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *what = NULL;
	int r, rc;

	if (!namespace || !name || !out)
		return nano_err_set(err, EINVAL, "store: get pod needs a namespace and a name");
	r = store_stmt(s, STMT_POD_GET, &st, err);
	if (r < 0)
		return r;
	what = strdupf("pods \"%s\"", name);
	if (!what)
		return nano_err_set(err, ENOMEM, "out of memory");
	rc = store_bind_text(st, 1, namespace);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 2, name);
	return get_one(s, st, rc, what, out, err);
}

int store_pod_get_by_uid(struct store *s, const char *uid, struct store_pod *out,
                         struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *what = NULL;
	int r;

	if (!uid || !out)
		return nano_err_set(err, EINVAL, "store: get pod needs a uid");
	r = store_stmt(s, STMT_POD_GET_BY_UID, &st, err);
	if (r < 0)
		return r;
	what = strdupf("pod with uid %s", uid);
	if (!what)
		return nano_err_set(err, ENOMEM, "out of memory");
	return get_one(s, st, store_bind_text(st, 1, uid), what, out, err);
}

int store_pods_list(struct store *s, const char *namespace, struct store_pod **out, size_t *n,
                    struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_pod *pods = NULL;
	size_t len = 0, cap = 0;
	int r, rc;

	if (!out || !n)
		return nano_err_set(err, EINVAL, "store: list pods needs somewhere to put them");
	r = store_stmt(s, namespace ? STMT_PODS_LIST_NS : STMT_PODS_LIST, &st, err);
	if (r < 0)
		return r;
	rc = namespace ? store_bind_text(st, 1, namespace) : SQLITE_OK;
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		rc = sqlite3_step(st);
		if (rc != SQLITE_ROW)
			break;
		if (len == cap) {
			struct store_pod *grown;

			cap = cap ? 2 * cap : 16;
			grown = reallocarray(pods, cap, sizeof(*pods));
			if (!grown) {
				store_pods_free(pods, len);
				return nano_err_set(err, ENOMEM, "out of memory");
			}
			pods = grown;
		}
		r = read_row(st, &pods[len], err);
		if (r < 0) {
			store_pods_free(pods, len);
			return r;
		}
		len++;
	}
	if (rc != SQLITE_DONE) {
		store_pods_free(pods, len);
		return store_fail(s, rc, err, "list pods");
	}
	if (len > INT32_MAX) {
		store_pods_free(pods, len);
		return nano_err_set(err, EOVERFLOW, "list pods: too many to count");
	}
	*out = pods;
	*n = len;
	return (int)len;
}

int store_pods_count(struct store *s, const char *namespace, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	r = store_stmt(s, namespace ? STMT_PODS_COUNT_NS : STMT_PODS_COUNT, &st, err);
	if (r < 0)
		return r;
	rc = namespace ? store_bind_text(st, 1, namespace) : SQLITE_OK;
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, err, "count pods");
	return sqlite3_column_int(st, 0);
}

/* Runs a one-row UPDATE or DELETE by uid; -ENOENT when no row had that uid. */
static int change_by_uid(struct store *s, sqlite3_stmt *st, int rc, const char *uid,
                         const char *what, struct nano_err *err)
{
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, err, "%s of pod %s", what, uid);
	if (sqlite3_changes(s->db) == 0)
		return nano_err_setc(err, NANO_NOT_FOUND, ENOENT, "%s: pod with uid %s not found",
		                     what, uid);
	return 0;
}

int store_pod_update_status(struct store *s, const char *uid, const json_t *status,
                            struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *text = NULL;
	int r, rc;

	if (!uid || !json_is_object(status))
		return nano_err_set(err, EINVAL,
		                    "store: a status update needs a uid and an object");
	text = encode(status);
	if (!text)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = store_stmt(s, STMT_POD_UPDATE_STATUS, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, uid);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 2, text);
	return change_by_uid(s, st, rc, uid, "update status", err);
}

int store_pod_update_object(struct store *s, const char *uid, const json_t *object,
                            struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *text = NULL;
	int r, rc;

	if (!uid || !json_is_object(object))
		return nano_err_set(err, EINVAL,
		                    "store: an object update needs a uid and an object");
	text = encode(object);
	if (!text)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = store_stmt(s, STMT_POD_UPDATE_OBJECT, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, uid);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 2, text);
	return change_by_uid(s, st, rc, uid, "update object", err);
}

int store_pod_save(struct store *s, const char *uid, const json_t *status, const json_t *runtime,
                   struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *status_text = NULL, *runtime_text = NULL;
	int r, rc;

	if (!uid || !json_is_object(status) || !json_is_object(runtime))
		return nano_err_set(
		        err, EINVAL,
		        "store: saving a pod needs a uid, a status and a runtime object");
	status_text = encode(status);
	runtime_text = encode(runtime);
	if (!status_text || !runtime_text)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = store_stmt(s, STMT_POD_SAVE, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, uid);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 2, status_text);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 3, runtime_text);
	return change_by_uid(s, st, rc, uid, "save", err);
}

int store_pod_mark_deleting(struct store *s, const char *uid, int64_t now_ns, int64_t grace_s,
                            struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	if (!uid)
		return nano_err_set(err, EINVAL, "store: mark deleting needs a uid");
	/* Also keeps grace * 1e9 inside 64 bits in the statement's arithmetic. */
	if (grace_s < 0 || grace_s > INT32_MAX)
		return nano_err_set(err, EINVAL, "store: grace period %" PRId64 " out of range",
		                    grace_s);
	r = store_stmt(s, STMT_POD_MARK_DELETING, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, uid);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 2, now_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 3, grace_s);
	return change_by_uid(s, st, rc, uid, "mark deleting", err);
}

int store_pod_delete(struct store *s, const char *uid, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if (!uid)
		return nano_err_set(err, EINVAL, "store: delete needs a uid");
	r = store_stmt(s, STMT_POD_DELETE, &st, err);
	if (r < 0)
		return r;
	return change_by_uid(s, st, store_bind_text(st, 1, uid), uid, "delete", err);
}
