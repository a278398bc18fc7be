/* pkg/store/store.c: opening nanolet.db — pragmas, the schema and its migrations — the
 * statement cache, SQLite-to-errno mapping, transactions and the meta table.
 *
 * The schema version lives in PRAGMA user_version, which changes atomically with the tables in
 * the migration's transaction. Pods and events are in store_pods.c and store_events.c; every SQL
 * statement they run is in the table below, so the whole contract with the file is on one page.
 * Nothing here reads the clock or logs.
 *
 * Batch mode: store_stmt opens the batch (BEGIN IMMEDIATE) when it hands out a statement that
 * writes, so that no writer needs to know about batches; store_flush commits it and calls the
 * functions waiting for it. SQLite may roll a transaction back by itself after a failed write
 * (SQLITE_FULL, IOERR, BUSY, NOMEM): store_fail notices, and the batch's waiters learn it was
 * lost rather than being told it committed.
 */
#include "store_internal.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

/* Long enough to ride out a checkpoint or a CLI reading the file, short enough for an API. */
#define BUSY_TIMEOUT_MS 5000

/* Migrations: migrations[i] brings a database from version i to version i + 1. Append only;
 * never edit a step that has shipped. STRICT tables: SQLite checks the column types. */
static const char *const migrations[] = {
        /* 0 -> 1: the first schema. */
        "CREATE TABLE meta (\n"
        "  key   TEXT PRIMARY KEY NOT NULL,\n"
        "  value TEXT NOT NULL\n"
        ") STRICT;\n"
        "CREATE TABLE pods (\n"
        "  uid              TEXT PRIMARY KEY NOT NULL,\n"
        "  namespace        TEXT NOT NULL,\n"
        "  name             TEXT NOT NULL,\n"
        "  object           TEXT NOT NULL,\n" /* Pod JSON as created */
        "  status           TEXT NOT NULL DEFAULT '{}',\n"
        "  created_ns       INTEGER NOT NULL,\n" /* unix ns */
        "  deletion_ns      INTEGER,\n"          /* NULL until a delete is requested */
        "  deletion_grace_s INTEGER,\n"
        "  UNIQUE (namespace, name),\n"
        "  CHECK ((deletion_ns IS NULL) = (deletion_grace_s IS NULL))\n"
        ") STRICT;\n"
        "CREATE TABLE events (\n"
        /* AUTOINCREMENT: an expired event's id is never reused, so names stay unique */
        "  id                  INTEGER PRIMARY KEY AUTOINCREMENT,\n"
        "  namespace           TEXT NOT NULL,\n"
        "  involved_kind       TEXT NOT NULL,\n"
        "  involved_name       TEXT NOT NULL,\n"
        "  involved_namespace  TEXT NOT NULL DEFAULT '',\n"
        "  involved_uid        TEXT NOT NULL,\n"
        "  involved_field_path TEXT NOT NULL DEFAULT '',\n"
        "  reason              TEXT NOT NULL,\n"
        "  message             TEXT NOT NULL,\n"
        "  type                TEXT NOT NULL CHECK (type IN ('Normal', 'Warning')),\n"
        "  count               INTEGER NOT NULL DEFAULT 1 CHECK (count >= 1),\n"
        "  first_ns            INTEGER NOT NULL,\n"
        "  last_ns             INTEGER NOT NULL,\n"
        "  source_component    TEXT NOT NULL,\n"
        "  source_host         TEXT NOT NULL\n"
        ") STRICT;\n"
        /* The event correlator's key: what makes two events "the same" (store_event_record). */
        "CREATE UNIQUE INDEX events_correlation ON events (involved_uid, involved_field_path,\n"
        "  reason, message, type, involved_kind, involved_namespace, involved_name);\n"
        "CREATE INDEX events_by_last ON events (last_ns, id);\n"
        "CREATE INDEX events_by_namespace ON events (namespace, last_ns, id);\n"
        "CREATE INDEX events_by_involved_name ON events (involved_name, last_ns, id);\n",
        /* 1 -> 2: what the daemon needs to re-adopt a pod after a restart (its shim's
         * identity, the supervisor's bookkeeping, whether its creation finished), beside the
         * status the API shows. */
        "ALTER TABLE pods ADD COLUMN runtime TEXT NOT NULL DEFAULT '{}';\n",
        /* 2 -> 3: the pod network's addresses (store_ips.c). An address lives as long as its
         * pod's row: the trigger gives it back however the row goes (a delete, the removal
         * of a half made pod, a row removed by hand while the daemon was down). */
        "CREATE TABLE pod_ips (\n"
        "  ip  INTEGER PRIMARY KEY NOT NULL,\n" /* IPv4, host byte order */
        "  uid TEXT NOT NULL UNIQUE\n"
        ") STRICT;\n"
        "CREATE TRIGGER pod_ips_release AFTER DELETE ON pods\n"
        "BEGIN DELETE FROM pod_ips WHERE uid = old.uid; END;\n",
        /* 3 -> 4: namespaces (store_namespaces.c), and events' resourceVersions (below). A pod's
         * namespace exists once used: the trigger makes its row with the pod's (a fresh v4 uid, the
         * pod's creation time), and the pods already stored get theirs here. */
        "CREATE TABLE namespaces (\n"
        "  name       TEXT PRIMARY KEY NOT NULL,\n"
        "  uid        TEXT NOT NULL UNIQUE,\n"
        "  object     TEXT NOT NULL DEFAULT '{}',\n" /* the Namespace as created */
        "  created_ns INTEGER NOT NULL\n"
        ") STRICT;\n"
        "CREATE TRIGGER pods_namespace AFTER INSERT ON pods\n"
        "BEGIN INSERT OR IGNORE INTO namespaces (name, uid, created_ns)\n"
        "  VALUES (new.namespace, " STORE_UUID_SQL ", new.created_ns); END;\n"
        "INSERT OR IGNORE INTO namespaces (name, uid, created_ns)\n"
        "  SELECT namespace, " STORE_UUID_SQL ", min(created_ns) FROM pods GROUP BY namespace;\n"
        /* an event's metadata.resourceVersion, the node-wide counter's value when it
         * last changed (its count and lastTimestamp too): a watch from it sees what came after.
         * 0 for the rows written before. */
        "ALTER TABLE events ADD COLUMN resource_version INTEGER NOT NULL DEFAULT 0;\n",
};

_Static_assert(ELEMENTSOF(migrations) == STORE_SCHEMA_VERSION,
               "one migration step per schema version");

#define EVENTS_LIST_SQL(where)                                                                     \
	"SELECT " STORE_EVENT_COLUMNS " FROM events " where " ORDER BY last_ns, id"

static const char *const statements[STMT__MAX] = {
        [STMT_BEGIN] = "BEGIN IMMEDIATE",
        [STMT_COMMIT] = "COMMIT",
        [STMT_ROLLBACK] = "ROLLBACK",
        [STMT_SAVEPOINT] = "SAVEPOINT store_group",
        [STMT_RELEASE] = "RELEASE store_group",
        [STMT_ROLLBACK_TO] = "ROLLBACK TO store_group",
        [STMT_META_GET] = "SELECT value FROM meta WHERE key = ?1",
        [STMT_META_SET] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                          "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [STMT_POD_INSERT] = "INSERT INTO pods (uid, namespace, name, object, status, created_ns) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        [STMT_POD_GET] =
                "SELECT " STORE_POD_COLUMNS " FROM pods WHERE namespace = ?1 AND name = ?2",
        [STMT_POD_GET_BY_UID] = "SELECT " STORE_POD_COLUMNS " FROM pods WHERE uid = ?1",
        [STMT_PODS_LIST] = "SELECT " STORE_POD_COLUMNS " FROM pods ORDER BY namespace, name",
        [STMT_PODS_LIST_NS] = "SELECT " STORE_POD_COLUMNS " FROM pods WHERE namespace = ?1 "
                              "ORDER BY namespace, name",
        [STMT_PODS_COUNT] = "SELECT count(*) FROM pods",
        [STMT_PODS_COUNT_NS] = "SELECT count(*) FROM pods WHERE namespace = ?1",
        [STMT_POD_UPDATE_STATUS] = "UPDATE pods SET status = ?2 WHERE uid = ?1",
        [STMT_POD_UPDATE_OBJECT] = "UPDATE pods SET object = ?2 WHERE uid = ?1",
        [STMT_POD_SAVE] = "UPDATE pods SET status = ?2, runtime = ?3 WHERE uid = ?1",
        /* SET sees the old row in every expression, so both columns test the same deadline. */
        [STMT_POD_MARK_DELETING] =
                "UPDATE pods SET "
                "deletion_ns = CASE WHEN deletion_ns IS NULL OR ?2 + ?3 * 1000000000 < "
                "deletion_ns + deletion_grace_s * 1000000000 THEN ?2 ELSE deletion_ns END, "
                "deletion_grace_s = CASE WHEN deletion_ns IS NULL OR ?2 + ?3 * 1000000000 < "
                "deletion_ns + deletion_grace_s * 1000000000 THEN ?3 ELSE deletion_grace_s END "
                "WHERE uid = ?1",
        [STMT_POD_DELETE] = "DELETE FROM pods WHERE uid = ?1",
        [STMT_EVENT_RECORD] =
                "INSERT INTO events (namespace, involved_kind, involved_name, involved_namespace, "
                "involved_uid, involved_field_path, reason, message, type, first_ns, last_ns, "
                "source_component, source_host, resource_version) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12, ?13) "
                "ON CONFLICT (involved_uid, involved_field_path, reason, message, type, "
                "involved_kind, involved_namespace, involved_name) "
                "DO UPDATE SET count = count + 1, last_ns = excluded.last_ns, "
                "resource_version = excluded.resource_version "
                "RETURNING " STORE_EVENT_COLUMNS,
        [STMT_EVENTS_LIST] = EVENTS_LIST_SQL(""),
        [STMT_EVENTS_LIST_NS] = EVENTS_LIST_SQL("WHERE namespace = ?1"),
        [STMT_EVENTS_LIST_NAME] = EVENTS_LIST_SQL("WHERE involved_name = ?2"),
        [STMT_EVENTS_LIST_NS_NAME] = EVENTS_LIST_SQL("WHERE namespace = ?1 AND involved_name = ?2"),
        [STMT_EVENTS_EXPIRE] = "DELETE FROM events WHERE last_ns < ?1",
        [STMT_IP_GET] = "SELECT ip FROM pod_ips WHERE uid = ?1",
        /* The lowest free address of [?2, ?3]: ?2 itself, or the one after a taken address
         * whose next is free (a walk of the primary key, not of the range). */
        [STMT_IP_ASSIGN] =
                "INSERT INTO pod_ips (ip, uid) SELECT ip, ?1 FROM ("
                "SELECT ?2 AS ip WHERE NOT EXISTS (SELECT 1 FROM pod_ips WHERE ip = ?2) "
                "UNION ALL SELECT p.ip + 1 FROM pod_ips p WHERE p.ip >= ?2 AND p.ip < ?3 "
                "AND NOT EXISTS (SELECT 1 FROM pod_ips q WHERE q.ip = p.ip + 1) "
                "ORDER BY 1 LIMIT 1) RETURNING ip",
        [STMT_IP_RELEASE] = "DELETE FROM pod_ips WHERE uid = ?1",
        [STMT_IPS_RELEASE_ORPHANS] = "DELETE FROM pod_ips WHERE uid NOT IN (SELECT uid FROM pods)",
        [STMT_IPS_LIST] = "SELECT ip, uid FROM pod_ips ORDER BY ip",
        [STMT_NAMESPACE_INSERT] =
                "INSERT INTO namespaces (name, uid, object, created_ns) VALUES (?1, ?2, ?3, ?4)",
        [STMT_NAMESPACE_ENSURE] = "INSERT OR IGNORE INTO namespaces (name, uid, object, "
                                  "created_ns) VALUES (?1, ?2, ?3, ?4)",
        [STMT_NAMESPACE_GET] =
                "SELECT name, uid, object, created_ns FROM namespaces WHERE name = ?1",
        [STMT_NAMESPACES_LIST] =
                "SELECT name, uid, object, created_ns FROM namespaces ORDER BY name",
        /* only an empty one: a pod's namespace stays while the pod does */
        [STMT_NAMESPACE_DELETE] = "DELETE FROM namespaces WHERE name = ?1 AND NOT EXISTS "
                                  "(SELECT 1 FROM pods WHERE namespace = ?1)",
};

/* ---- errors ------------------------------------------------------------------------------ */

int store_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return ENOSPC;
	case SQLITE_IOERR:
		return rc == SQLITE_IOERR_NOMEM ? ENOMEM : EIO;
	case SQLITE_READONLY:
		return EROFS;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return EBUSY;
	case SQLITE_NOMEM:
		return ENOMEM;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return EUCLEAN;
	case SQLITE_TOOBIG:
		return EFBIG;
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return EACCES;
	case SQLITE_INTERRUPT:
		return EINTR;
	default:
		/* CANTOPEN, CONSTRAINT and SQL errors: a 500 with SQLite's message. Never ENOENT or
		 * EEXIST, which the API would turn into 404 and 409. */
		return EIO;
	}
}

/* A full or read-only state directory is storage the API reports (507); a busy database is
 * worth trying again (503); everything else is the node's trouble (500). */
static enum nano_class store_class(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
	case SQLITE_READONLY:
		return NANO_STORAGE;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return NANO_UNAVAILABLE;
	default:
		return NANO_INTERNAL;
	}
}

static void batch_lost(struct store *s, const struct nano_err *why);

int store_fail(struct store *s, int rc, struct nano_err *err, const char *fmt, ...)
{
	_cleanup_(nano_err_clear) struct nano_err e = {0};
	_cleanup_free_ char *context = NULL;
	const char *msg = s && s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc);
	int sys = s && s->db ? sqlite3_system_errno(s->db) : 0;
	va_list ap;
	int r;

	va_start(ap, fmt);
	if (vasprintf(&context, fmt, ap) < 0)
		context = NULL;
	va_end(ap);
	/* For I/O failures the kernel's reason is the useful half. */
	if (sys && ((rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_CANTOPEN))
		nano_err_set(&e, store_errno(rc), "%s: %s (%s)", context ? context : "store", msg,
		             strerror(sys));
	else
		nano_err_set(&e, store_errno(rc), "%s: %s", context ? context : "store", msg);
	r = nano_err_classify(&e, store_class(rc));
	/* the failure took the whole batch with it: its writes are not coming */
	if (s && s->db && s->batch_open && sqlite3_get_autocommit(s->db))
		batch_lost(s, &e);
	if (err) {
		nano_err_clear(err);
		*err = e;
		e = (struct nano_err){0};
	}
	return r;
}

/* ---- statements -------------------------------------------------------------------------- */

static int batch_begin(struct store *s, struct nano_err *err);

int store_stmt(struct store *s, enum store_stmt id, sqlite3_stmt **out, struct nano_err *err)
{
	int rc, r;

	if (!s->stmts[id]) {
		rc = sqlite3_prepare_v3(s->db, statements[id], -1, SQLITE_PREPARE_PERSISTENT,
		                        &s->stmts[id], NULL);
		if (rc != SQLITE_OK)
			return store_fail(s, rc, err, "prepare statement %d", (int)id);
	}
	/* a write joins the batch (transaction control is not one: SQLite calls BEGIN IMMEDIATE
	 * a write, as it takes the write lock) */
	if (s->batching && id > STMT_ROLLBACK_TO && !sqlite3_stmt_readonly(s->stmts[id])) {
		r = batch_begin(s, err);
		if (r < 0)
			return r;
	}
	sqlite3_reset(s->stmts[id]);
	sqlite3_clear_bindings(s->stmts[id]);
	*out = s->stmts[id];
	return 0;
}

int store_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	return s ? sqlite3_bind_text(st, idx, s, -1, SQLITE_STATIC) : sqlite3_bind_null(st, idx);
}

char *store_column_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return strdup(t ? (const char *)t : "");
}

/* ---- opening ----------------------------------------------------------------------------- */

static int exec(struct store *s, const char *sql, struct nano_err *err, const char *what)
{
	int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : store_fail(s, rc, err, "%s: %s", s->path, what);
}

/* The first column of the first row of a PRAGMA, as text. */
static int pragma_text(struct store *s, const char *sql, char *buf, size_t size,
                       struct nano_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		int r = store_fail(s, rc, err, "%s: %s", s->path, sql);

		sqlite3_finalize(st);
		return r;
	}
	snprintf(buf, size, "%s", (const char *)sqlite3_column_text(st, 0) ?: "");
	sqlite3_finalize(st);
	return 0;
}

static int schema_version(struct store *s, int *version, struct nano_err *err)
{
	char buf[32];
	int r = pragma_text(s, "PRAGMA user_version", buf, sizeof(buf), err);

	if (r < 0)
		return r;
	*version = atoi(buf);
	return 0;
}

static int refuse_newer(struct store *s, int version, struct nano_err *err)
{
	return nano_err_set(err, EPROTONOSUPPORT,
	                    "%s: schema version %d is newer than this nanolet knows (%d); it was "
	                    "written by a newer nanolet, which must be used (or the file moved "
	                    "away)",
	                    s->path, version, STORE_SCHEMA_VERSION);
}

/* Brings the schema to STORE_SCHEMA_VERSION in one transaction: a crash leaves the old schema
 * or the new one, never half. IMMEDIATE takes the write lock before reading the version, so two
 * daemons starting at once cannot both migrate. */
static int migrate(struct store *s, struct nano_err *err)
{
	char sql[64];
	int version, r;

	r = exec(s, "BEGIN IMMEDIATE", err, "begin migration");
	if (r < 0)
		return r;
	r = schema_version(s, &version, err);
	if (r >= 0 && version > STORE_SCHEMA_VERSION)
		r = refuse_newer(s, version, err);
	for (int v = version; r >= 0 && v < STORE_SCHEMA_VERSION; v++) {
		char what[64];

		snprintf(what, sizeof(what), "migrate schema %d to %d", v, v + 1);
		r = exec(s, migrations[v], err, what);
	}
	if (r >= 0 && version < STORE_SCHEMA_VERSION) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
		r = exec(s, sql, err, "record schema version");
	}
	if (r >= 0)
		r = exec(s, "COMMIT", err, "commit migration");
	if (r < 0 && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* Creates the file ourselves so that it is 0600 whatever the umask: SQLite would create it
 * 0644, and its -wal and -shm files copy the database file's mode. */
static int create_db_file(const char *path, struct nano_err *err)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);

	if (fd < 0)
		return nano_err_set(err, errno, "open %s: %s", path, strerror(errno));
	if (fchmod(fd, 0600) < 0)
		return nano_err_set(err, errno, "chmod %s: %s", path, strerror(errno));
	return 0;
}

static int open_db(const char *state_dir, bool readonly, struct store **out, struct nano_err *err)
{
	_cleanup_store_ struct store *s = NULL;
	struct stat st;
	char mode[16];
	int version, rc, r;

	if (!state_dir || !out)
		return nano_err_set(err, EINVAL, "store: no state directory");
	if (stat(state_dir, &st) < 0)
		return nano_err_set(err, errno, "state directory %s: %s", state_dir,
		                    strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return nano_err_set(err, ENOTDIR, "state directory %s: %s", state_dir,
		                    strerror(ENOTDIR));
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdupf("%s/%s", state_dir, STORE_DB_NAME)))
		return nano_err_set(err, ENOMEM, "out of memory");
	s->readonly = readonly;
	if (readonly) {
		if (stat(s->path, &st) < 0)
			return nano_err_set(err, errno, "%s: %s", s->path, strerror(errno));
	} else {
		r = create_db_file(s->path, err);
		if (r < 0)
			return r;
	}

	rc = sqlite3_open_v2(s->path, &s->db,
	                     (readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
	                             SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
	                     NULL);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "open %s", s->path);
	sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
	r = exec(s, "PRAGMA foreign_keys = ON", err, "foreign_keys");
	if (r >= 0)
		r = exec(s, "PRAGMA synchronous = FULL", err, "synchronous");
	/* The page cache: 512 KiB, not SQLite's 2 MiB. The daemon keeps its pods in memory and
	 * reads the store for events and at start; a page the cache lost is one pread of the
	 * kernel's. */
	if (r >= 0)
		r = exec(s, "PRAGMA cache_size = -512", err, "cache_size");
	if (r < 0)
		return r;

	if (readonly) {
		/* Reading only: no journal switch and no migration, just the version check. */
		r = schema_version(s, &version, err);
		if (r < 0)
			return r;
		if (version > STORE_SCHEMA_VERSION)
			return refuse_newer(s, version, err);
		if (version < STORE_SCHEMA_VERSION)
			return nano_err_set(err, EROFS,
			                    "%s: schema version %d needs migrating to %d, which a "
			                    "read-only open cannot do",
			                    s->path, version, STORE_SCHEMA_VERSION);
	} else {
		/* WAL survives in the file; asking again is cheap and catches a filesystem that
		 * cannot do it (the answer is then the old mode). */
		r = pragma_text(s, "PRAGMA journal_mode = WAL", mode, sizeof(mode), err);
		if (r < 0)
			return r;
		if (strcmp(mode, "wal") != 0)
			return nano_err_set(err, EIO, "%s: cannot use WAL journaling (still %s)",
			                    s->path, mode);
		r = migrate(s, err);
		if (r < 0)
			return r;
	}
	*out = TAKE_PTR(s);
	return 0;
}

int store_open(const char *state_dir, struct store **out, struct nano_err *err)
{
	return open_db(state_dir, false, out, err);
}

int store_open_readonly(const char *state_dir, struct store **out, struct nano_err *err)
{
	return open_db(state_dir, true, out, err);
}

struct store *store_close(struct store *s)
{
	if (!s)
		return NULL;
	/* what was written is kept, and whoever waits for it told */
	(void)store_flush(s, NULL);
	free(s->waiters);
	for (size_t i = 0; i < ELEMENTSOF(s->stmts); i++)
		sqlite3_finalize(s->stmts[i]);
	/* The last connection to close checkpoints the WAL into the database and removes it. */
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
	return NULL;
}

/* ---- transactions ------------------------------------------------------------------------ */

static int step_done(struct store *s, enum store_stmt id, struct nano_err *err, const char *what)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = store_stmt(s, id, &st, err), rc;

	if (r < 0)
		return r;
	rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, err, "%s", what);
}

int store_begin(struct store *s, struct nano_err *err)
{
	int r;

	if (!s->batching)
		return step_done(s, STMT_BEGIN, err, "begin transaction");
	r = batch_begin(s, err);
	if (r < 0)
		return r;
	r = step_done(s, STMT_SAVEPOINT, err, "begin transaction");
	s->group_open = r >= 0;
	return r;
}

int store_commit(struct store *s, struct nano_err *err)
{
	if (!s->group_open)
		return step_done(s, STMT_COMMIT, err, "commit transaction");
	s->group_open = false;
	return step_done(s, STMT_RELEASE, err, "commit transaction");
}

void store_rollback(struct store *s)
{
	if (!s || sqlite3_get_autocommit(s->db))
		return;
	if (!s->group_open) {
		(void)step_done(s, STMT_ROLLBACK, NULL, "rollback");
		return;
	}
	/* the group goes, the batch it joined stays */
	s->group_open = false;
	if (step_done(s, STMT_ROLLBACK_TO, NULL, "rollback") >= 0)
		(void)step_done(s, STMT_RELEASE, NULL, "rollback");
}

/* ---- batches ----------------------------------------------------------------------------- */

static void err_copy(struct nano_err *to, const struct nano_err *from)
{
	nano_err_setc(to, from->class, from->errnum ? from->errnum : EIO, "%s",
	              from->message ? from->message : "store: the batch was lost");
}

/* Every waiter of the batch that ended learns how: r 0, or the failure. */
static void resolve(struct store *s, int r, const struct nano_err *why)
{
	for (size_t i = 0; i < s->n_waiters; i++) {
		struct store_waiter *w = &s->waiters[i];

		if (w->resolved)
			continue;
		w->resolved = true;
		w->r = r;
		if (r < 0)
			err_copy(&w->err, why);
	}
}

static void batch_lost(struct store *s, const struct nano_err *why)
{
	s->batch_open = false;
	s->group_open = false;
	resolve(s, why->errnum ? -why->errnum : -EIO, why);
}

static int batch_begin(struct store *s, struct nano_err *err)
{
	int r;

	if (s->batch_open && !sqlite3_get_autocommit(s->db))
		return 0;
	if (s->batch_open) {
		/* rolled back behind our back, by a failure store_fail did not see */
		struct nano_err why = {0};

		nano_err_setc(&why, NANO_INTERNAL, EIO,
		              "%s: the transaction was rolled back after a failed write", s->path);
		batch_lost(s, &why);
		nano_err_clear(&why);
	}
	r = step_done(s, STMT_BEGIN, err, "begin transaction");
	s->batch_open = r >= 0;
	return r;
}

/* Commits the open batch, or rolls it back when the commit fails; its waiters are resolved
 * either way. */
static int batch_commit(struct store *s, struct nano_err *err)
{
	_cleanup_(nano_err_clear) struct nano_err e = {0};
	int r;

	r = step_done(s, STMT_COMMIT, &e, "commit");
	if (r < 0 && !sqlite3_get_autocommit(s->db))
		(void)step_done(s, STMT_ROLLBACK, NULL, "rollback");
	if (s->batch_open) {
		/* (store_fail resolved them already if the failed COMMIT rolled back itself) */
		s->batch_open = false;
		s->group_open = false;
		resolve(s, r < 0 ? r : 0, &e);
	}
	if (r < 0 && err) {
		nano_err_clear(err);
		*err = e;
		e = (struct nano_err){0};
	}
	return r;
}

int store_batch(struct store *s, bool on, struct nano_err *err)
{
	int r = 0;

	if (!on)
		r = store_flush(s, err);
	s->batching = on;
	return r;
}

int store_after_commit(struct store *s, store_committed_fn *fn, void *userdata)
{
	struct store_waiter *w = realloc(s->waiters, (s->n_waiters + 1) * sizeof(*w));

	if (!w)
		return -ENOMEM;
	s->waiters = w;
	/* with no batch open, what was written before is on disk already */
	s->waiters[s->n_waiters++] = (struct store_waiter){
	        .fn = fn,
	        .userdata = userdata,
	        .resolved = !s->batch_open,
	};
	return 0;
}

static void cancel_in(struct store_waiter *ws, size_t n, store_committed_fn *fn, void *userdata)
{
	for (size_t i = 0; i < n; i++)
		if (ws[i].userdata == userdata && (!fn || ws[i].fn == fn))
			ws[i].fn = NULL;
}

void store_after_commit_cancel(struct store *s, store_committed_fn *fn, void *userdata)
{
	if (!s)
		return;
	cancel_in(s->waiters, s->n_waiters, fn, userdata);
	cancel_in(s->running, s->n_running, fn, userdata);
}

int store_sync(struct store *s, struct nano_err *err)
{
	return s->batch_open ? batch_commit(s, err) : 0;
}

bool store_pending(const struct store *s)
{
	return s && (s->batch_open || s->n_waiters > 0);
}

int store_flush(struct store *s, struct nano_err *err)
{
	int first = 0, r;

	/* a waiter that flushes: the flush under way goes on until nothing is pending */
	if (!s || s->flushing)
		return 0;
	s->flushing = true;
	while (store_pending(s)) {
		if (s->batch_open) {
			r = batch_commit(s, first < 0 ? NULL : err);
			if (r < 0 && first == 0)
				first = r;
		}
		/* registered from here on, they wait for the next round */
		s->running = s->waiters;
		s->n_running = s->n_waiters;
		s->waiters = NULL;
		s->n_waiters = 0;
		for (size_t i = 0; i < s->n_running; i++) {
			struct store_waiter *w = &s->running[i];

			if (w->fn)
				w->fn(w->userdata, w->r, w->r < 0 ? &w->err : NULL);
			nano_err_clear(&w->err);
		}
		free(s->running);
		s->running = NULL;
		s->n_running = 0;
	}
	s->flushing = false;
	return first;
}

/* ---- meta -------------------------------------------------------------------------------- */

int store_meta_get(struct store *s, const char *key, char **value, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	if (!key || !value)
		return nano_err_set(err, EINVAL, "meta: no key");
	r = store_stmt(s, STMT_META_GET, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, key);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return nano_err_set(err, ENOENT, "meta key \"%s\" is not set", key);
	if (rc != SQLITE_ROW)
		return store_fail(s, rc, err, "get meta %s", key);
	*value = store_column_strdup(st, 0);
	return *value ? 0 : nano_err_set(err, ENOMEM, "out of memory");
}

int store_meta_set(struct store *s, const char *key, const char *value, struct nano_err *err)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r, rc;

	if (!key || !value)
		return nano_err_set(err, EINVAL, "meta: no key or value");
	r = store_stmt(s, STMT_META_SET, &st, err);
	if (r < 0)
		return r;
	rc = store_bind_text(st, 1, key);
	if (rc == SQLITE_OK)
		rc = store_bind_text(st, 2, value);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : store_fail(s, rc, err, "set meta %s", key);
}
