/* pkg/store/store_namespaces.c: the namespaces table — one row per namespace, created by a
 * request or by the first pod in it (the trigger in store.c's migration 4), with the
 * Namespace's metadata as created. No clock reads: times are parameters. */
#include "store_internal.h"

#include <string.h>

void store_namespace_done(struct store_namespace *ns)
{
	if (!ns)
		return;
	free(ns->name);
	free(ns->uid);
	json_decref(ns->object);
	*ns = (struct store_namespace){0};
}

void store_namespaces_free(struct store_namespace *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		store_namespace_done(&v[i]);
	free(v);
}

static int read_row(sqlite3_stmt *st, struct store_namespace *out, struct nano_err *err)
{
	struct store_namespace ns = {
	        .name = store_column_strdup(st, 0),
	        .uid = store_column_strdup(st, 1),
	        .created_ns = sqlite3_column_int64(st, 3),
	};
	json_error_t jerr;

	if (!ns.name || !ns.uid) {
		store_namespace_done(&ns);
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	ns.object = json_loads((const char *)sqlite3_column_text(st, 2), 0, &jerr);
	if (!json_is_object(ns.object)) {
		int r = nano_err_set(err, EUCLEAN, "stored namespace %s is not a JSON object",
		                     ns.name);

		store_namespace_done(&ns);
		return r;
	}
	*out = ns;
	return 0;
}

static int insert(struct store *s, enum store_stmt id, const char *name, const char *uid,
                  const json_t *object, int64_t created_ns, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *text = NULL;
	int r, rc;

	if (!name || !*name || !uid || !*uid)
		return nano_err_set(err, EINVAL, "store: a namespace needs a name and a uid");
	if (object && !json_is_object(object))
		return nano_err_set(err, EINVAL, "store: namespace %s: not a JSON object", name);
	text = object ? json_dumps(object, JSON_COMPACT) : strdup("{}");
	if (!text)
		return nano_err_set(err, ENOMEM, "out of memory");
	r = store_stmt(s, id, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, name);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 2, uid);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 3, text);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, created_ns);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return nano_err_setc(err, NANO_CONFLICT, EEXIST, "namespaces \"%s\" already exists",
		                     name);
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return nano_err_setc(err, NANO_CONFLICT, EEXIST,
		                     "a namespace with uid %s already exists", uid);
	return store_fail(s, rc, err, "insert namespace %s", name);
}

int store_namespace_insert(struct store *s, const char *name, const char *uid, const json_t *object,
                           int64_t created_ns, struct nano_err *err)
{
	return insert(s, STMT_NAMESPACE_INSERT, name, uid, object, created_ns, err);
}

int store_namespace_ensure(struct store *s, const char *name, const char *uid, int64_t created_ns,
                           struct nano_err *err)
{
	return insert(s, STMT_NAMESPACE_ENSURE, name, uid, NULL, created_ns, err);
}

int store_namespace_get(struct store *s, const char *name, struct store_namespace *out,
                        struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	*out = (struct store_namespace){0};
	r = store_stmt(s, STMT_NAMESPACE_GET, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, name);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return nano_err_setc(err, NANO_NOT_FOUND, ENOENT, "namespaces \"%s\" not found",
		                     name);
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, err, "get namespace %s", name);
	return read_row(st, out, err);
}

int store_namespaces_list(struct store *s, struct store_namespace **out, size_t *n,
                          struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_namespace *v = NULL;
	size_t count = 0, cap = 0;
	int r, rc;

	*out = NULL;
	*n = 0;
	r = store_stmt(s, STMT_NAMESPACES_LIST, &st, err);
	if (r < 0)
		return r;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (count == cap) {
			size_t grown_cap = cap ? cap * 2 : 8;
			struct store_namespace *grown = realloc(v, grown_cap * sizeof(*v));

			if (!grown) {
				store_namespaces_free(v, count);
				return nano_err_set(err, ENOMEM, "out of memory");
			}
			v = grown;
			cap = grown_cap;
		}
		r = read_row(st, &v[count], err);
		if (r < 0) {
			store_namespaces_free(v, count);
			return r;
		}
		count++;
	}
	if (rc != SQLITE_DONE) {
		store_namespaces_free(v, count);
		return store_fail(s, rc, err, "list namespaces");
	}
	*out = v;
	*n = count;
	return (int)count;
}

int store_namespace_delete(struct store *s, const char *name, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct store_namespace ns;
	int r, rc;

	r = store_stmt(s, STMT_NAMESPACE_DELETE, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, name);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_DONE)
		return store_fail(s, rc, err, "delete namespace %s", name);
	if (sqlite3_changes(s->db) > 0)
		return 0;
	/* nothing went: there was none, or a pod is in it */
	r = store_namespace_get(s, name, &ns, err);
	if (r < 0)
		return r;
	store_namespace_done(&ns);
	return nano_err_setc(err, NANO_IN_USE, ENOTEMPTY,
	                     "namespace \"%s\" still has pods: nanolet deletes a namespace once "
	                     "its pods are deleted",
	                     name);
}
