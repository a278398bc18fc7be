/* tests/unit/test_store.c: pkg/store against real SQLite files in a temporary directory —
 * schema and version, pragmas, reopen and crash recovery through the WAL, pods (insert,
 * duplicates, get, list order, status, deletion, delete), meta, transactions, storage errors
 * (a full database, a read-only open, files that are not databases) and events (correlator
 * dedup, filters, order, expiry).
 *
 * Every test makes its own state directory under one /tmp root that main removes after the run,
 * whether the tests passed or not. store_internal.h is included only to reach the connection
 * (pragmas, max_page_count).
 */
#include <check.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "store/store.h"
#include "store/store_internal.h"

static char root[] = "/tmp/nanolet-test-store-XXXXXX";

#define SEC 1000000000LL

/* A fresh state directory for one test; it goes with root. */
static char *state_dir(void)
{
	char *dir = strdupf("%s/state-XXXXXX", root);

	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static struct store *open_ok(const char *dir)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s = NULL;
	int r = store_open(dir, &s, &err);

	ck_assert_msg(r == 0, "store_open: %d %s", r, err.message);
	return s;
}

static void close_ok(struct store *s)
{
	store_close(s);
}

/* One integer from a PRAGMA or SELECT on a connection. */
static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void raw_exec(const char *dir, const char *sql)
{
	_cleanup_free_ char *path = strdupf("%s/%s", dir, STORE_DB_NAME);
	sqlite3 *db = NULL;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s", sql,
	              sqlite3_errmsg(db));
	sqlite3_close(db);
}

static json_t *pod_object(const char *ns, const char *name)
{
	json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:[{s:s, s:s}]}}", "apiVersion", "v1",
	                      "kind", "Pod", "metadata", "name", name, "namespace", ns, "spec",
	                      "containers", "name", "app", "image", "busybox");

	ck_assert_ptr_nonnull(o);
	return o;
}

static void insert_ok(struct store *s, const char *uid, const char *ns, const char *name,
                      int64_t created)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *o = pod_object(ns, name);
	int r = store_pod_insert(s, uid, ns, name, o, NULL, created, &err);

	ck_assert_msg(r == 0, "insert %s/%s: %d %s", ns, name, r, err.message);
}

/* ---- opening ----------------------------------------------------------------------------- */

START_TEST(test_open_creates_schema)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_free_ char *path = strdupf("%s/%s", dir, STORE_DB_NAME);
	struct store *s;
	struct stat st;
	mode_t old = umask(0); /* the file must be 0600 whatever the umask */

	s = open_ok(dir);
	umask(old);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(query_int(s->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(query_int(s->db, "PRAGMA foreign_keys"), 1);
	ck_assert_int_eq(query_int(s->db, "PRAGMA synchronous"), 2); /* FULL */
	ck_assert_int_gt(query_int(s->db, "PRAGMA busy_timeout"), 0);
	ck_assert_int_eq(query_int(s->db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
	                                  "AND name IN ('meta', 'pods', 'events')"),
	                 3);
	ck_assert_int_eq(query_int(s->db, "SELECT count(*) FROM pragma_journal_mode "
	                                  "WHERE journal_mode = 'wal'"),
	                 1);
	close_ok(s);

	/* A second start finds the schema in place and changes nothing. */
	s = open_ok(dir);
	ck_assert_int_eq(query_int(s->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	close_ok(s);
}
END_TEST

/* A wider file left by someone else is tightened. */
START_TEST(test_open_tightens_mode)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_free_ char *path = strdupf("%s/%s", dir, STORE_DB_NAME);
	struct stat st;

	close_ok(open_ok(dir));
	ck_assert_int_eq(chmod(path, 0644), 0);
	close_ok(open_ok(dir));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
}
END_TEST

struct open_case {
	const char *name;
	const char *setup; /* shell-free: "missing", "file", "dbdir", "garbage", "newer" */
	bool readonly;
	int rc;
	const char *message; /* a substring */
};

static const struct open_case open_cases[] = {
        {"state dir missing", "missing", false, -ENOENT, "state directory"},
        {"state dir is a file", "file", false, -ENOTDIR, "state directory"},
        {"db is a directory", "dbdir", false, -EISDIR, STORE_DB_NAME},
        {"db is not a database", "garbage", false, -EUCLEAN, "file is not a database"},
        {"newer schema refused", "newer", false, -EPROTONOSUPPORT, "schema version 99 is newer"},
        {"newer schema refused read-only", "newer", true, -EPROTONOSUPPORT, "newer nanolet"},
        {"read-only needs the file", "empty", true, -ENOENT, STORE_DB_NAME},
        {"read-only cannot migrate", "oldschema", true, -EROFS, "needs migrating"},
};

START_TEST(test_open_fails)
{
	const struct open_case *c = &open_cases[_i];
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *dir = state_dir();
	_cleanup_free_ char *db = strdupf("%s/%s", dir, STORE_DB_NAME);
	_cleanup_free_ char *target = strdup(dir);
	struct store *s = NULL;
	int r;

	if (strcmp(c->setup, "missing") == 0) {
		free(target);
		target = strdupf("%s/absent", dir);
	} else if (strcmp(c->setup, "file") == 0) {
		FILE *f = fopen(db, "w");

		ck_assert_ptr_nonnull(f);
		fclose(f);
		free(target);
		target = strdup(db);
	} else if (strcmp(c->setup, "dbdir") == 0) {
		ck_assert_int_eq(mkdir(db, 0700), 0);
	} else if (strcmp(c->setup, "garbage") == 0) {
		FILE *f = fopen(db, "w");

		ck_assert_ptr_nonnull(f);
		for (int i = 0; i < 200; i++)
			fputs("this is not an SQLite database. ", f);
		fclose(f);
	} else if (strcmp(c->setup, "newer") == 0) {
		close_ok(open_ok(dir));
		raw_exec(dir, "PRAGMA user_version = 99");
	} else if (strcmp(c->setup, "oldschema") == 0) {
		raw_exec(dir, "CREATE TABLE t (x)"); /* a database at version 0 */
	}
	r = c->readonly ? store_open_readonly(target, &s, &err) : store_open(target, &s, &err);
	ck_assert_msg(r == c->rc, "%s: rc %d, want %d (%s)", c->name, r, c->rc, err.message);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(err.errnum, -c->rc);
	ck_assert_msg(err.message && strstr(err.message, c->message),
	              "%s: message \"%s\" lacks \"%s\"", c->name, err.message, c->message);
}
END_TEST

/* ---- durability -------------------------------------------------------------------------- */

static const struct store_event_new base_event = {
        .namespace = "default",
        .involved = {.kind = "Pod",
                     .name = "web",
                     .namespace = "default",
                     .uid = "u-web",
                     .field_path = "spec.containers{app}"},
        .reason = "Started",
        .message = "Started container app",
        .type = "Normal",
        .source_component = "nanolet",
        .source_host = "node1",
};

static void record_ok(struct store *s, const struct store_event_new *ev, int64_t now,
                      struct store_event *out)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	int r = store_event_record(s, ev, now, out, &err);

	ck_assert_msg(r == 0, "record: %d %s", r, err.message);
}

static void assert_state_back(struct store *s)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_free_ char *boot = NULL;
	_cleanup_json_ json_t *want = pod_object("default", "web");
	struct store_pod pod = {0};
	struct store_event *evs = NULL;
	size_t n = 0;

	ck_assert_int_eq(store_pod_get(s, "default", "web", &pod, &err), 0);
	ck_assert_str_eq(pod.uid, "u-web");
	ck_assert(json_equal(pod.object, want));
	ck_assert_int_eq(pod.created_ns, 5 * SEC);
	store_pod_done(&pod);
	ck_assert_int_eq(store_meta_get(s, "boot_id", &boot, &err), 0);
	ck_assert_str_eq(boot, "b-1");
	ck_assert_int_eq(store_events_list(s, NULL, NULL, &evs, &n, &err), 1);
	ck_assert_int_eq(evs[0].count, 2);
	store_events_free(evs, n);
}

static void write_state(struct store *s)
{
	insert_ok(s, "u-web", "default", "web", 5 * SEC);
	ck_assert_int_eq(store_meta_set(s, "boot_id", "b-1", NULL), 0);
	record_ok(s, &base_event, 6 * SEC, NULL);
	record_ok(s, &base_event, 7 * SEC, NULL);
}

START_TEST(test_reopen_keeps_data)
{
	_cleanup_free_ char *dir = state_dir();
	struct store *s = open_ok(dir);

	write_state(s);
	close_ok(s);
	s = open_ok(dir);
	assert_state_back(s);
	close_ok(s);
}
END_TEST

/* A daemon killed without closing leaves its commits in the -wal file; the next open reads them
 * back. */
START_TEST(test_crash_keeps_data_in_wal)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_free_ char *wal = strdupf("%s/%s-wal", dir, STORE_DB_NAME);
	struct store *s;
	struct stat st;
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		s = open_ok(dir);
		write_state(s);
		_exit(0); /* no store_close: no checkpoint */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(stat(wal, &st), 0);
	ck_assert_int_gt(st.st_size, 0);
	s = open_ok(dir);
	assert_state_back(s);
	close_ok(s);
}
END_TEST

/* WAL lets a second connection (a CLI) read what the daemon committed while it is open. */
START_TEST(test_second_connection_reads)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s = open_ok(dir), *reader = NULL;

	write_state(s);
	ck_assert_int_eq(store_open_readonly(dir, &reader, &err), 0);
	assert_state_back(reader);
	insert_ok(s, "u-2", "default", "two", 1);
	ck_assert_int_eq(store_pods_count(reader, NULL, &err), 2);
	close_ok(reader);
	close_ok(s);
}
END_TEST

/* ---- pods -------------------------------------------------------------------------------- */

START_TEST(test_pod_insert_get)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *want = pod_object("ns1", "web");
	_cleanup_json_ json_t *status = json_pack("{s:s}", "phase", "Pending");
	struct store *s = open_ok(dir);
	struct store_pod a = {0}, b = {0};

	ck_assert_int_eq(store_pod_insert(s, "u-1", "ns1", "web", want, status, 42, &err), 0);
	ck_assert_int_eq(store_pod_get(s, "ns1", "web", &a, &err), 0);
	ck_assert_int_eq(store_pod_get_by_uid(s, "u-1", &b, &err), 0);
	for (struct store_pod *p = &a; p; p = p == &a ? &b : NULL) {
		ck_assert_str_eq(p->uid, "u-1");
		ck_assert_str_eq(p->namespace, "ns1");
		ck_assert_str_eq(p->name, "web");
		ck_assert(json_equal(p->object, want));
		ck_assert(json_equal(p->status, status));
		ck_assert_int_eq(p->created_ns, 42);
		ck_assert(!p->deleting);
	}
	store_pod_done(&a);
	store_pod_done(&b);

	/* Without a status, {} */
	insert_ok(s, "u-2", "ns1", "db", 43);
	ck_assert_int_eq(store_pod_get_by_uid(s, "u-2", &a, &err), 0);
	ck_assert_int_eq(json_object_size(a.status), 0);
	ck_assert(json_is_object(a.status));
	store_pod_done(&a);
	close_ok(s);
}
END_TEST

START_TEST(test_pod_get_missing)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s = open_ok(dir);
	struct store_pod p = {0};

	insert_ok(s, "u-1", "a", "web", 1);
	ck_assert_int_eq(store_pod_get(s, "b", "web", &p, &err), -ENOENT);
	ck_assert_str_eq(err.message, "pods \"web\" not found");
	ck_assert_int_eq(store_pod_get_by_uid(s, "u-x", &p, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.message, "u-x"));
	ck_assert_ptr_null(p.uid);
	close_ok(s);
}
END_TEST

struct insert_case {
	const char *name;
	const char *uid, *ns, *pod;
	int rc;
	const char *message;
};

/* Against a store holding u-1 = a/web. */
static const struct insert_case insert_cases[] = {
        {"same name in another namespace", "u-2", "b", "web", 0, NULL},
        {"same namespace, other name", "u-2", "a", "db", 0, NULL},
        {"namespace/name taken", "u-2", "a", "web", -EEXIST, "pods \"web\" already exists"},
        {"uid taken", "u-1", "b", "other", -EEXIST, "a pod with uid u-1 already exists"},
        {"empty uid", "", "a", "x", -EINVAL, "uid"},
        {"no namespace", "u-3", NULL, "x", -EINVAL, "namespace"},
        {"empty name", "u-3", "a", "", -EINVAL, "name"},
};

START_TEST(test_pod_insert_cases)
{
	const struct insert_case *c = &insert_cases[_i];
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *o = pod_object("x", "y");
	struct store *s = open_ok(dir);
	int r;

	insert_ok(s, "u-1", "a", "web", 1);
	r = store_pod_insert(s, c->uid, c->ns, c->pod, o, NULL, 2, &err);
	ck_assert_msg(r == c->rc, "%s: %d, want %d (%s)", c->name, r, c->rc, err.message);
	if (c->message)
		ck_assert_msg(strstr(err.message, c->message), "%s: \"%s\"", c->name, err.message);
	ck_assert_int_eq(store_pods_count(s, NULL, &err), c->rc == 0 ? 2 : 1);
	close_ok(s);
}
END_TEST

START_TEST(test_pod_insert_not_objects)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_json_ json_t *arr = json_array(), *o = pod_object("a", "b");
	struct store *s = open_ok(dir);

	ck_assert_int_eq(store_pod_insert(s, "u", "a", "b", NULL, NULL, 1, NULL), -EINVAL);
	ck_assert_int_eq(store_pod_insert(s, "u", "a", "b", arr, NULL, 1, NULL), -EINVAL);
	ck_assert_int_eq(store_pod_insert(s, "u", "a", "b", o, arr, 1, NULL), -EINVAL);
	ck_assert_int_eq(store_pods_count(s, NULL, NULL), 0);
	close_ok(s);
}
END_TEST

START_TEST(test_pods_list_order)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	static const char *const rows[][3] = {
	        {"u1", "kube-system", "b"}, {"u2", "default", "z"}, {"u3", "default", "a"},
	        {"u4", "kube-system", "a"}, {"u5", "apps", "m"},
	};
	static const char *const want_all[] = {"apps/m", "default/a", "default/z", "kube-system/a",
	                                       "kube-system/b"};
	struct store *s = open_ok(dir);
	struct store_pod *pods = NULL;
	size_t n = 99;

	ck_assert_int_eq(store_pods_list(s, NULL, &pods, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(pods);
	for (size_t i = 0; i < ELEMENTSOF(rows); i++)
		insert_ok(s, rows[i][0], rows[i][1], rows[i][2], (int64_t)i);

	ck_assert_int_eq(store_pods_list(s, NULL, &pods, &n, &err), 5);
	ck_assert_uint_eq(n, 5);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *got = strdupf("%s/%s", pods[i].namespace, pods[i].name);

		ck_assert_str_eq(got, want_all[i]);
	}
	store_pods_free(pods, n);

	ck_assert_int_eq(store_pods_list(s, "default", &pods, &n, &err), 2);
	ck_assert_str_eq(pods[0].name, "a");
	ck_assert_str_eq(pods[1].name, "z");
	store_pods_free(pods, n);
	ck_assert_int_eq(store_pods_list(s, "nowhere", &pods, &n, &err), 0);

	ck_assert_int_eq(store_pods_count(s, NULL, &err), 5);
	ck_assert_int_eq(store_pods_count(s, "kube-system", &err), 2);
	ck_assert_int_eq(store_pods_count(s, "nowhere", &err), 0);
	close_ok(s);
}
END_TEST

/* A patch's new object replaces the stored one, and nothing else changes: status, runtime and
 * the delete mark stay; it is there after the store is opened again. */
START_TEST(test_pod_update_object)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *status = json_pack("{s:s}", "phase", "Running");
	_cleanup_json_ json_t *runtime = json_pack("{s:i}", "shimPid", 42);
	_cleanup_json_ json_t *object = NULL, *arr = json_array();
	struct store *s = open_ok(dir);
	struct store_pod p = {0};

	insert_ok(s, "u-1", "a", "web", 1);
	ck_assert_int_eq(store_pod_save(s, "u-1", status, runtime, &err), 0);
	ck_assert_int_eq(store_pod_mark_deleting(s, "u-1", 5, 30, &err), 0);
	ck_assert_int_eq(store_pod_get(s, "a", "web", &p, &err), 0);
	object = json_deep_copy(p.object);
	store_pod_done(&p);
	json_object_set_new(json_object_get(object, "metadata"), "labels",
	                    json_pack("{s:s}", "tier", "front"));
	ck_assert_int_eq(store_pod_update_object(s, "u-1", object, &err), 0);
	close_ok(s);

	s = open_ok(dir);
	ck_assert_int_eq(store_pod_get_by_uid(s, "u-1", &p, &err), 0);
	ck_assert(json_equal(p.object, object));
	ck_assert(json_equal(p.status, status));
	ck_assert(json_equal(p.runtime, runtime));
	ck_assert(p.deleting);
	ck_assert_int_eq(p.deletion_grace_s, 30);
	store_pod_done(&p);

	ck_assert_int_eq(store_pod_update_object(s, "u-x", object, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.message, "u-x"));
	ck_assert_int_eq(store_pod_update_object(s, "u-1", arr, &err), -EINVAL);
	ck_assert_int_eq(store_pod_update_object(s, "u-1", NULL, &err), -EINVAL);
	close_ok(s);
}
END_TEST

START_TEST(test_pod_update_status)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *running =
	        json_pack("{s:s, s:[{s:s, s:i}]}", "phase", "Running", "containerStatuses", "name",
	                  "app", "restartCount", 3);
	_cleanup_json_ json_t *arr = json_array();
	struct store *s = open_ok(dir);
	struct store_pod p = {0};
	_cleanup_json_ json_t *object_before = NULL;

	insert_ok(s, "u-1", "a", "web", 1);
	ck_assert_int_eq(store_pod_update_status(s, "u-1", running, &err), 0);
	ck_assert_int_eq(store_pod_get(s, "a", "web", &p, &err), 0);
	ck_assert(json_equal(p.status, running));
	object_before = json_incref(p.object);
	store_pod_done(&p);

	ck_assert_int_eq(store_pod_update_status(s, "u-x", running, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.message, "u-x"));
	ck_assert_int_eq(store_pod_update_status(s, "u-1", arr, &err), -EINVAL);
	/* The object is untouched by status writes. */
	ck_assert_int_eq(store_pod_get_by_uid(s, "u-1", &p, &err), 0);
	ck_assert(json_equal(p.object, object_before));
	store_pod_done(&p);
	close_ok(s);
}
END_TEST

/* The status and the runtime record are written together and read back together; a new row
 * has {} for its runtime. */
START_TEST(test_pod_save)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *status = json_pack("{s:s}", "phase", "Running");
	_cleanup_json_ json_t *runtime = json_pack("{s:b, s:{s:i, s:I}}", "creating", 0, "shim",
	                                           "pid", 42, "startTime", (json_int_t)123456789);
	_cleanup_json_ json_t *arr = json_array();
	struct store *s = open_ok(dir);
	struct store_pod p = {0};

	insert_ok(s, "u-1", "a", "web", 1);
	ck_assert_int_eq(store_pod_get(s, "a", "web", &p, &err), 0);
	ck_assert_int_eq(json_object_size(p.runtime), 0);
	store_pod_done(&p);
	ck_assert_int_eq(store_pod_save(s, "u-1", status, runtime, &err), 0);
	ck_assert_int_eq(store_pod_get_by_uid(s, "u-1", &p, &err), 0);
	ck_assert(json_equal(p.status, status));
	ck_assert(json_equal(p.runtime, runtime));
	store_pod_done(&p);
	ck_assert_int_eq(store_pod_save(s, "u-x", status, runtime, &err), -ENOENT);
	ck_assert_int_eq(store_pod_save(s, "u-1", status, arr, &err), -EINVAL);
	close_ok(s);
	/* and it is on disk */
	s = open_ok(dir);
	ck_assert_int_eq(store_pod_get_by_uid(s, "u-1", &p, &err), 0);
	ck_assert(json_equal(p.runtime, runtime));
	store_pod_done(&p);
	close_ok(s);
}
END_TEST

/* A database of schema 1 (before the runtime column) keeps its pods when opened: each gets {}. */
START_TEST(test_migrate_from_schema_1)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s;
	struct store_pod p = {0};

	close_ok(open_ok(dir));
	raw_exec(dir, "DROP TRIGGER pods_namespace; DROP TABLE namespaces;"
	              "DROP TRIGGER pod_ips_release; DROP TABLE pod_ips;"
	              "ALTER TABLE events DROP COLUMN resource_version;"
	              "ALTER TABLE pods DROP COLUMN runtime; PRAGMA user_version = 1;"
	              "INSERT INTO pods (uid, namespace, name, object, created_ns) "
	              "VALUES ('u-1', 'a', 'old', '{}', 1)");
	s = open_ok(dir);
	ck_assert_int_eq(query_int(s->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(store_pod_get(s, "a", "old", &p, &err), 0);
	ck_assert_int_eq(json_object_size(p.runtime), 0);
	store_pod_done(&p);
	close_ok(s);
}
END_TEST

struct deleting_step {
	const char *uid;
	int64_t now_s, grace_s;
	int rc;
	int64_t want_now_s, want_grace_s; /* the stored request after the step */
};

/* One pod, requests in sequence: the deadline (now + grace) only ever moves earlier. */
static const struct deleting_step deleting_steps[] = {
        {"u-1", 100, 30, 0, 100, 30},     /* first request: deadline 130 */
        {"u-1", 110, 60, 0, 100, 30},     /* deadline 170 would extend: kept */
        {"u-1", 105, 25, 0, 100, 30},     /* deadline 130, the same: kept */
        {"u-1", 110, 5, 0, 110, 5},       /* deadline 115: shortened */
        {"u-1", 111, 0, 0, 111, 0},       /* force: 111 */
        {"u-x", 112, 0, -ENOENT, 111, 0}, /* no such pod */
        {"u-1", 112, -1, -EINVAL, 111, 0},
};

START_TEST(test_pod_mark_deleting)
{
	_cleanup_free_ char *dir = state_dir();
	struct store *s = open_ok(dir);
	struct store_pod p = {0};

	insert_ok(s, "u-1", "a", "web", 1);
	ck_assert_int_eq(store_pod_get_by_uid(s, "u-1", &p, NULL), 0);
	ck_assert(!p.deleting);
	store_pod_done(&p);
	for (size_t i = 0; i < ELEMENTSOF(deleting_steps); i++) {
		const struct deleting_step *c = &deleting_steps[i];
		_cleanup_(nano_err_clear) struct nano_err err = {0};
		int r = store_pod_mark_deleting(s, c->uid, c->now_s * SEC, c->grace_s, &err);

		ck_assert_msg(r == c->rc, "step %zu: %d, want %d (%s)", i, r, c->rc, err.message);
		ck_assert_int_eq(store_pod_get_by_uid(s, "u-1", &p, NULL), 0);
		ck_assert(p.deleting);
		ck_assert_msg(p.deletion_ns == c->want_now_s * SEC &&
		                      p.deletion_grace_s == c->want_grace_s,
		              "step %zu: stored %lld+%lld", i, (long long)p.deletion_ns,
		              (long long)p.deletion_grace_s);
		store_pod_done(&p);
	}
	close_ok(s);
}
END_TEST

START_TEST(test_pod_delete)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s = open_ok(dir);
	struct store_pod p = {0};

	insert_ok(s, "u-1", "a", "web", 1);
	insert_ok(s, "u-2", "a", "db", 1);
	ck_assert_int_eq(store_pod_delete(s, "u-1", &err), 0);
	ck_assert_int_eq(store_pod_get(s, "a", "web", &p, &err), -ENOENT);
	ck_assert_int_eq(store_pod_delete(s, "u-1", &err), -ENOENT);
	ck_assert_int_eq(store_pods_count(s, NULL, &err), 1);
	/* The name is free again, for a new uid. */
	insert_ok(s, "u-3", "a", "web", 2);
	close_ok(s);
}
END_TEST

/* ---- meta and transactions --------------------------------------------------------------- */

START_TEST(test_meta)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s = open_ok(dir);
	char *v = NULL;

	ck_assert_int_eq(store_meta_get(s, "boot_id", &v, &err), -ENOENT);
	ck_assert_ptr_nonnull(strstr(err.message, "boot_id"));
	ck_assert_int_eq(store_meta_set(s, "boot_id", "one", &err), 0);
	ck_assert_int_eq(store_meta_set(s, "boot_id", "two", &err), 0);
	ck_assert_int_eq(store_meta_set(s, "empty", "", &err), 0);
	ck_assert_int_eq(store_meta_get(s, "boot_id", &v, &err), 0);
	ck_assert_str_eq(v, "two");
	free(v);
	ck_assert_int_eq(store_meta_get(s, "empty", &v, &err), 0);
	ck_assert_str_eq(v, "");
	free(v);
	close_ok(s);
}
END_TEST

START_TEST(test_transaction)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s = open_ok(dir);

	ck_assert_int_eq(store_begin(s, &err), 0);
	insert_ok(s, "u-1", "a", "web", 1);
	insert_ok(s, "u-2", "a", "db", 1);
	store_rollback(s);
	ck_assert_int_eq(store_pods_count(s, NULL, &err), 0);

	ck_assert_int_eq(store_begin(s, &err), 0);
	insert_ok(s, "u-1", "a", "web", 1);
	ck_assert_int_eq(store_meta_set(s, "k", "v", &err), 0);
	ck_assert_int_eq(store_commit(s, &err), 0);
	ck_assert_int_eq(store_pods_count(s, NULL, &err), 1);
	store_rollback(s); /* outside a transaction: nothing */
	ck_assert_int_eq(store_pods_count(s, NULL, &err), 1);
	close_ok(s);
}
END_TEST

/* ---- storage errors ---------------------------------------------------------------------- */

/* SQLITE_FULL, simulated by capping the file at its current size. */
START_TEST(test_full_is_enospc)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *big = pod_object("a", "big");
	_cleanup_free_ char *filler = malloc(256 * 1024);
	_cleanup_free_ char *pragma = NULL;
	struct store *s = open_ok(dir);
	struct store_pod p = {0};

	insert_ok(s, "u-1", "a", "web", 1);
	memset(filler, 'x', 256 * 1024 - 1);
	filler[256 * 1024 - 1] = '\0';
	json_object_set_new(big, "filler", json_string(filler));
	pragma = strdupf("PRAGMA max_page_count = %lld",
	                 (long long)query_int(s->db, "PRAGMA page_count"));
	ck_assert_int_eq(sqlite3_exec(s->db, pragma, NULL, NULL, NULL), SQLITE_OK);

	ck_assert_int_eq(store_pod_insert(s, "u-2", "a", "big", big, NULL, 2, &err), -ENOSPC);
	ck_assert_int_eq(err.errnum, ENOSPC);
	ck_assert_msg(strstr(err.message, "insert pod a/big") &&
	                      strstr(err.message, "database or disk is full"),
	              "message: %s", err.message);
	/* Nothing half-written, and reads still answer. */
	ck_assert_int_eq(store_pods_count(s, NULL, &err), 1);
	ck_assert_int_eq(store_pod_get(s, "a", "web", &p, &err), 0);
	store_pod_done(&p);
	close_ok(s);
}
END_TEST

START_TEST(test_readonly_is_erofs)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *o = pod_object("a", "x");
	struct store *s = open_ok(dir);
	struct store_pod p = {0};

	write_state(s);
	close_ok(s);
	ck_assert_int_eq(store_open_readonly(dir, &s, &err), 0);
	assert_state_back(s);

	ck_assert_int_eq(store_pod_insert(s, "u-9", "a", "x", o, NULL, 1, &err), -EROFS);
	ck_assert_msg(strstr(err.message, "readonly database"), "message: %s", err.message);
	ck_assert_int_eq(store_pod_update_status(s, "u-web", o, &err), -EROFS);
	ck_assert_int_eq(store_pod_delete(s, "u-web", &err), -EROFS);
	ck_assert_int_eq(store_meta_set(s, "k", "v", &err), -EROFS);
	ck_assert_int_eq(store_event_record(s, &base_event, 9, NULL, &err), -EROFS);
	ck_assert_int_eq(store_events_expire(s, INT64_MAX, &err), -EROFS);
	ck_assert_int_eq(store_pod_get(s, "default", "web", &p, &err), 0);
	store_pod_done(&p);
	close_ok(s);
}
END_TEST

struct errno_case {
	int sqlite_rc;
	int errnum;
};

static const struct errno_case errno_cases[] = {
        {SQLITE_FULL, ENOSPC},
        {SQLITE_IOERR, EIO},
        {SQLITE_IOERR_FSYNC, EIO},
        {SQLITE_READONLY, EROFS},
        {SQLITE_READONLY_DBMOVED, EROFS},
        {SQLITE_CANTOPEN, EIO},
        {SQLITE_BUSY, EBUSY},
        {SQLITE_LOCKED, EBUSY},
        {SQLITE_NOMEM, ENOMEM},
        {SQLITE_CORRUPT, EUCLEAN},
        {SQLITE_NOTADB, EUCLEAN},
        {SQLITE_CONSTRAINT_UNIQUE, EIO},
        {SQLITE_ERROR, EIO},
};

/* Storage failures never come out as ENOENT/EEXIST, which the API answers with 404/409. */
START_TEST(test_errno_mapping)
{
	const struct errno_case *c = &errno_cases[_i];

	ck_assert_int_eq(store_errno(c->sqlite_rc), c->errnum);
}
END_TEST

/* ---- events ------------------------------------------------------------------------------ */

START_TEST(test_event_dedup)
{
	_cleanup_free_ char *dir = state_dir();
	struct store *s = open_ok(dir);
	struct store_event a = {0}, b = {0}, c = {0};
	struct store_event_new ev = base_event;

	record_ok(s, &ev, 10 * SEC, &a);
	ck_assert_int_eq(a.count, 1);
	ck_assert_int_eq(a.first_ns, 10 * SEC);
	ck_assert_int_eq(a.last_ns, 10 * SEC);
	ck_assert_str_eq(a.involved_field_path, "spec.containers{app}");
	ck_assert_str_eq(a.source_host, "node1");

	record_ok(s, &ev, 20 * SEC, &b);
	ck_assert_int_eq(b.id, a.id);
	ck_assert_int_eq(b.count, 2);
	ck_assert_int_eq(b.first_ns, 10 * SEC);
	ck_assert_int_eq(b.last_ns, 20 * SEC);

	ev.message = "Started container app again";
	record_ok(s, &ev, 30 * SEC, &c);
	ck_assert_int_gt(c.id, a.id);
	ck_assert_int_eq(c.count, 1);
	store_event_done(&a);
	store_event_done(&b);
	store_event_done(&c);
	close_ok(s);
}
END_TEST

struct dedup_case {
	const char *name;
	int field; /* which field of base_event to change */
	const char *value;
	bool same_row;
};

enum { F_MESSAGE, F_REASON, F_TYPE, F_FIELD_PATH, F_UID, F_NAME, F_KIND, F_HOST, F_NONE };

static const struct dedup_case dedup_cases[] = {
        {"identical", F_NONE, NULL, true},
        {"other message", F_MESSAGE, "other", false},
        {"other reason", F_REASON, "Killing", false},
        {"other type", F_TYPE, "Warning", false},
        {"other container", F_FIELD_PATH, "spec.containers{side}", false},
        {"whole pod", F_FIELD_PATH, NULL, false},
        {"other uid (pod recreated)", F_UID, "u-web-2", false},
        {"other name", F_NAME, "web2", false},
        {"other kind", F_KIND, "Node", false},
        {"source is not in the key", F_HOST, "node2", true},
};

START_TEST(test_event_dedup_key)
{
	const struct dedup_case *c = &dedup_cases[_i];
	_cleanup_free_ char *dir = state_dir();
	struct store *s = open_ok(dir);
	struct store_event first = {0}, second = {0};
	struct store_event_new ev = base_event;

	record_ok(s, &ev, 1, &first);
	switch (c->field) {
	case F_MESSAGE:
		ev.message = c->value;
		break;
	case F_REASON:
		ev.reason = c->value;
		break;
	case F_TYPE:
		ev.type = c->value;
		break;
	case F_FIELD_PATH:
		ev.involved.field_path = c->value;
		break;
	case F_UID:
		ev.involved.uid = c->value;
		break;
	case F_NAME:
		ev.involved.name = c->value;
		break;
	case F_KIND:
		ev.involved.kind = c->value;
		break;
	case F_HOST:
		ev.source_host = c->value;
		break;
	}
	record_ok(s, &ev, 2, &second);
	ck_assert_msg((second.id == first.id) == c->same_row, "%s", c->name);
	ck_assert_int_eq(second.count, c->same_row ? 2 : 1);
	store_event_done(&first);
	store_event_done(&second);
	close_ok(s);
}
END_TEST

START_TEST(test_event_record_invalid)
{
	_cleanup_free_ char *dir = state_dir();
	struct store *s = open_ok(dir);
	struct {
		struct store_event_new ev;
		const char *message;
	} rows[] = {
	        {base_event, "reason"},    {base_event, "type"}, {base_event, "involvedObject.uid"},
	        {base_event, "namespace"}, {base_event, "type"}, {base_event, "source.host"},
	};

	rows[0].ev.reason = "";
	rows[1].ev.type = "Info";
	rows[2].ev.involved.uid = NULL;
	rows[3].ev.namespace = NULL;
	rows[4].ev.type = NULL;
	rows[5].ev.source_host = "";
	for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
		_cleanup_(nano_err_clear) struct nano_err err = {0};

		ck_assert_int_eq(store_event_record(s, &rows[i].ev, 1, NULL, &err), -EINVAL);
		ck_assert_msg(strstr(err.message, rows[i].message), "row %zu: %s", i, err.message);
	}
	ck_assert_int_eq(store_event_record(s, NULL, 1, NULL, NULL), -EINVAL);
	close_ok(s);
}
END_TEST

struct list_case {
	const char *name;
	const char *ns, *involved;
	const char *want; /* reasons in order, space-separated */
};

/* Recorded in this order (ids 1-5): A3@30, A1@10, B1@20, A2@30, N1@40; then A1 again @35.
 * A3 and A2 tie on last_ns and go by id; A1's repeat moves it to 35. */
static const struct list_case list_cases[] = {
        {"all, by last timestamp then id", NULL, NULL, "B1 A3 A2 A1 N1"},
        {"one namespace", "a", NULL, "A3 A2 A1"},
        {"other namespace", "b", NULL, "B1"},
        {"by involved name", NULL, "web", "B1 A3 A1"},
        {"namespace and name", "a", "web", "A3 A1"},
        {"node events in default", "default", "node1", "N1"},
        {"nothing", "a", "absent", ""},
};

START_TEST(test_events_list)
{
	const struct list_case *c = &list_cases[_i];
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	static const struct {
		const char *ns, *name, *reason;
		int64_t at;
	} rec[] = {
	        {"a", "web", "A3", 30}, {"a", "web", "A1", 10},         {"b", "web", "B1", 20},
	        {"a", "db", "A2", 30},  {"default", "node1", "N1", 40}, {"a", "web", "A1", 35},
	};
	struct store *s = open_ok(dir);
	struct store_event *evs = NULL;
	_cleanup_strv_ char **got = NULL;
	_cleanup_free_ char *joined = NULL;
	size_t n = 0;

	for (size_t i = 0; i < ELEMENTSOF(rec); i++) {
		struct store_event_new ev = base_event;

		ev.namespace = rec[i].ns;
		ev.involved.namespace = rec[i].ns;
		ev.involved.name = rec[i].name;
		ev.involved.uid = rec[i].name;
		ev.reason = rec[i].reason;
		record_ok(s, &ev, rec[i].at, NULL);
	}
	ck_assert_int_ge(store_events_list(s, c->ns, c->involved, &evs, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(strv_push(&got, strdup(evs[i].reason)), 0);
	joined = got ? strv_join(got, " ") : strdup("");
	ck_assert_msg(strcmp(joined, c->want) == 0, "%s: got \"%s\", want \"%s\"", c->name, joined,
	              c->want);
	store_events_free(evs, n);
	close_ok(s);
}
END_TEST

START_TEST(test_events_expire)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s = open_ok(dir);
	struct store_event_new ev = base_event;
	struct store_event *evs = NULL, last = {0};
	size_t n = 0;
	int64_t first_id;

	ev.reason = "Old";
	record_ok(s, &ev, 10 * SEC, &last);
	first_id = last.id;
	store_event_done(&last);
	ev.reason = "Refreshed";
	record_ok(s, &ev, 10 * SEC, NULL);
	record_ok(s, &ev, 50 * SEC, NULL); /* seen again: its age counts from here */
	ev.reason = "Edge";
	record_ok(s, &ev, 20 * SEC, NULL);
	ev.reason = "New";
	record_ok(s, &ev, 60 * SEC, NULL);

	ck_assert_int_eq(store_events_expire(s, 20 * SEC, &err), 1); /* only last < cutoff */
	ck_assert_int_eq(store_events_list(s, NULL, NULL, &evs, &n, &err), 3);
	ck_assert_str_eq(evs[0].reason, "Edge");
	ck_assert_str_eq(evs[1].reason, "Refreshed");
	ck_assert_int_eq(evs[1].count, 2);
	ck_assert_str_eq(evs[2].reason, "New");
	store_events_free(evs, n);
	ck_assert_int_eq(store_events_expire(s, 20 * SEC, &err), 0);

	/* After everything expired, ids go on: an event name is never reused. */
	ck_assert_int_eq(store_events_expire(s, INT64_MAX, &err), 3);
	ev.reason = "Old";
	record_ok(s, &ev, 70 * SEC, &last);
	ck_assert_int_gt(last.id, first_id + 3);
	store_event_done(&last);
	close_ok(s);
}
END_TEST

/* ---- namespaces ---- */

/* A pod's namespace exists once used: its insert makes the row, with the pod's time. */
START_TEST(test_namespace_of_a_pod)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *obj = pod_object("team-a", "web");
	struct store *s = open_ok(dir);
	struct store_namespace ns = {0};

	ck_assert_int_eq(store_namespace_get(s, "team-a", &ns, &err), -ENOENT);
	ck_assert_str_eq(err.message, "namespaces \"team-a\" not found");
	ck_assert_int_eq(err.class, NANO_NOT_FOUND);
	ck_assert_int_eq(store_pod_insert(s, "u-1", "team-a", "web", obj, NULL, 42, &err), 0);
	ck_assert_int_eq(store_namespace_get(s, "team-a", &ns, &err), 0);
	ck_assert_int_eq(ns.created_ns, 42);
	ck_assert_int_eq(strlen(ns.uid), 36);
	ck_assert_int_eq(ns.uid[14], '4');
	ck_assert_int_eq(json_object_size(ns.object), 0);
	store_namespace_done(&ns);
	/* a delete refused while the pod is there, done once it is gone */
	ck_assert_int_eq(store_namespace_delete(s, "team-a", &err), -ENOTEMPTY);
	ck_assert_int_eq(err.class, NANO_IN_USE);
	ck_assert_int_eq(store_pod_delete(s, "u-1", &err), 0);
	ck_assert_int_eq(store_namespace_get(s, "team-a", &ns, &err), 0);
	store_namespace_done(&ns);
	ck_assert_int_eq(store_namespace_delete(s, "team-a", &err), 0);
	ck_assert_int_eq(store_namespace_delete(s, "team-a", &err), -ENOENT);
	close_ok(s);
}
END_TEST

START_TEST(test_namespace_insert_list)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *obj = json_pack("{s:{s:s}}", "labels", "team", "b");
	struct store *s = open_ok(dir);
	struct store_namespace *v = NULL;
	size_t n = 0;

	ck_assert_int_eq(store_namespace_insert(s, "b", "uid-b", obj, 7, &err), 0);
	ck_assert_int_eq(store_namespace_insert(s, "b", "uid-c", NULL, 8, &err), -EEXIST);
	ck_assert_str_eq(err.message, "namespaces \"b\" already exists");
	ck_assert_int_eq(err.class, NANO_CONFLICT);
	/* ensure leaves one that exists as it is */
	ck_assert_int_eq(store_namespace_ensure(s, "b", "uid-d", 9, &err), 0);
	ck_assert_int_eq(store_namespace_ensure(s, "a", "uid-a", 9, &err), 0);
	ck_assert_int_eq(store_namespaces_list(s, &v, &n, &err), 2);
	ck_assert_str_eq(v[0].name, "a");
	ck_assert_str_eq(v[1].name, "b");
	ck_assert_str_eq(v[1].uid, "uid-b");
	ck_assert_int_eq(v[1].created_ns, 7);
	ck_assert_str_eq(
	        json_string_value(json_object_get(json_object_get(v[1].object, "labels"), "team")),
	        "b");
	store_namespaces_free(v, n);
	close_ok(s);
	/* and they stay */
	s = open_ok(dir);
	ck_assert_int_eq(store_namespaces_list(s, &v, &n, &err), 2);
	store_namespaces_free(v, n);
	close_ok(s);
}
END_TEST

/* A database of schema 3 gets a namespace for each namespace its pods are in, from the
 * oldest pod's time. */
START_TEST(test_migrate_from_schema_3)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s;
	struct store_namespace ns = {0};

	close_ok(open_ok(dir));
	raw_exec(dir, "DROP TRIGGER pods_namespace; DROP TABLE namespaces; "
	              "ALTER TABLE events DROP COLUMN resource_version; "
	              "PRAGMA user_version = 3;"
	              "INSERT INTO pods (uid, namespace, name, object, created_ns) "
	              "VALUES ('u-1', 'a', 'one', '{}', 5), ('u-2', 'a', 'two', '{}', 3), "
	              "('u-3', 'b', 'three', '{}', 9)");
	s = open_ok(dir);
	ck_assert_int_eq(query_int(s->db, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	ck_assert_int_eq(store_namespace_get(s, "a", &ns, &err), 0);
	ck_assert_int_eq(ns.created_ns, 3);
	store_namespace_done(&ns);
	ck_assert_int_eq(store_namespace_get(s, "b", &ns, &err), 0);
	ck_assert_int_eq(ns.created_ns, 9);
	store_namespace_done(&ns);
	ck_assert_int_eq(query_int(s->db, "SELECT count(DISTINCT uid) FROM namespaces"), 2);
	close_ok(s);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *open = tcase_create("open");
	TCase *pods = tcase_create("pods");
	TCase *errors = tcase_create("errors");
	TCase *events = tcase_create("events");

	tcase_add_test(open, test_open_creates_schema);
	tcase_add_test(open, test_open_tightens_mode);
	tcase_add_loop_test(open, test_open_fails, 0, (int)ELEMENTSOF(open_cases));
	tcase_add_test(open, test_reopen_keeps_data);
	tcase_add_test(open, test_crash_keeps_data_in_wal);
	tcase_add_test(open, test_second_connection_reads);
	suite_add_tcase(s, open);

	tcase_add_test(pods, test_pod_insert_get);
	tcase_add_test(pods, test_pod_get_missing);
	tcase_add_loop_test(pods, test_pod_insert_cases, 0, (int)ELEMENTSOF(insert_cases));
	tcase_add_test(pods, test_pod_insert_not_objects);
	tcase_add_test(pods, test_pods_list_order);
	tcase_add_test(pods, test_pod_update_status);
	tcase_add_test(pods, test_pod_update_object);
	tcase_add_test(pods, test_pod_save);
	tcase_add_test(pods, test_migrate_from_schema_1);
	tcase_add_test(pods, test_migrate_from_schema_3);
	tcase_add_test(pods, test_namespace_of_a_pod);
	tcase_add_test(pods, test_namespace_insert_list);
	tcase_add_test(pods, test_pod_mark_deleting);
	tcase_add_test(pods, test_pod_delete);
	tcase_add_test(pods, test_meta);
	tcase_add_test(pods, test_transaction);
	suite_add_tcase(s, pods);

	tcase_add_test(errors, test_full_is_enospc);
	tcase_add_test(errors, test_readonly_is_erofs);
	tcase_add_loop_test(errors, test_errno_mapping, 0, (int)ELEMENTSOF(errno_cases));
	suite_add_tcase(s, errors);

	tcase_add_test(events, test_event_dedup);
	tcase_add_loop_test(events, test_event_dedup_key, 0, (int)ELEMENTSOF(dedup_cases));
	tcase_add_test(events, test_event_record_invalid);
	tcase_add_loop_test(events, test_events_list, 0, (int)ELEMENTSOF(list_cases));
	tcase_add_test(events, test_events_expire);
	suite_add_tcase(s, events);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return EXIT_FAILURE;
	}
	sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	{
		_cleanup_free_ char *cmd = strdupf("rm -rf '%s'", root);

		if (cmd && system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", root);
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
