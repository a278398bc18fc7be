/* pkg/store/store_internal.h: what the store's files share — the connection, the statement
 * cache and SQLite-to-errno mapping. Not for other packages (tests may include it to reach the
 * connection, e.g. to shrink max_page_count).
 */
#pragma once

#include <sqlite3.h>

#include "store.h"

/* Every statement the store runs more than once, prepared on first use and kept until close. The
 * SQL of each is in store.c's table, next to the schema it reads. */
enum store_stmt {
	/* transaction control first, up to STMT_ROLLBACK_TO: never a write that opens a batch */
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_SAVEPOINT, /* store_begin inside a batch */
	STMT_RELEASE,
	STMT_ROLLBACK_TO,
	STMT_META_GET,
	STMT_META_SET,
	STMT_POD_INSERT,
	STMT_POD_GET,
	STMT_POD_GET_BY_UID,
	STMT_PODS_LIST,
	STMT_PODS_LIST_NS,
	STMT_PODS_COUNT,
	STMT_PODS_COUNT_NS,
	STMT_POD_UPDATE_STATUS,
	STMT_POD_UPDATE_OBJECT,
	STMT_POD_SAVE,
	STMT_POD_MARK_DELETING,
	STMT_POD_DELETE,
	STMT_EVENT_RECORD,
	STMT_EVENTS_LIST, /* the four lists: + 1 with a namespace, + 2 with a name */
	STMT_EVENTS_LIST_NS,
	STMT_EVENTS_LIST_NAME,
	STMT_EVENTS_LIST_NS_NAME,
	STMT_EVENTS_EXPIRE,
	STMT_IP_GET,
	STMT_IP_ASSIGN,
	STMT_IP_RELEASE,
	STMT_IPS_RELEASE_ORPHANS,
	STMT_IPS_LIST,
	STMT_NAMESPACE_INSERT,
	STMT_NAMESPACE_ENSURE,
	STMT_NAMESPACE_GET,
	STMT_NAMESPACES_LIST,
	STMT_NAMESPACE_DELETE,
	STMT__MAX,
};

/* Column lists, in the order the row readers (store_pods.c, store_events.c) take them. */
#define STORE_POD_COLUMNS                                                                          \
	"uid, namespace, name, object, status, created_ns, deletion_ns, deletion_grace_s, "        \
	"runtime"
#define STORE_EVENT_COLUMNS                                                                        \
	"id, namespace, involved_kind, involved_name, involved_namespace, involved_uid, "          \
	"involved_field_path, reason, message, type, count, first_ns, last_ns, "                   \
	"source_component, source_host, resource_version"

/* A version 4 UUID made by SQLite (the namespaces a pod's insert makes, in a trigger). */
#define STORE_UUID_SQL                                                                             \
	"(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "               \
	"substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), "  \
	"1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))"

/* A function waiting for a commit (store_after_commit). */
struct store_waiter {
	store_committed_fn *fn; /* NULL once cancelled */
	void *userdata;
	bool resolved; /* the batch it waited for ended: r and err say how */
	int r;
	struct nano_err err;
};

struct store {
	sqlite3 *db;
	char *path;
	bool readonly;
	sqlite3_stmt *stmts[STMT__MAX];
	/* batch mode (store_batch) */
	bool batching;
	bool batch_open; /* a batch's BEGIN ran and its COMMIT has not */
	bool group_open; /* store_begin's savepoint inside the batch */
	bool flushing;
	struct store_waiter *waiters; /* in the order of registration */
	size_t n_waiters;
	struct store_waiter *running; /* those store_flush is calling now */
	size_t n_running;
};

/* The cached statement id, reset and unbound; on failure fills err. Callers hold it in a
 * _cleanup_stmt_ variable so that it is reset (and its bindings cleared) on every return. */
int store_stmt(struct store *s, enum store_stmt id, sqlite3_stmt **out, struct nano_err *err);

static inline void store_stmt_resetp(sqlite3_stmt **st)
{
	if (*st) {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
	}
}
#define _cleanup_stmt_ _cleanup_(store_stmt_resetp)

/* The errno for an SQLite result code (extended codes understood). */
int store_errno(int rc);

/* Fills err with "<context>: <SQLite's message>" and returns -errno for rc. */
int store_fail(struct store *s, int rc, struct nano_err *err, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* Binds text (NULL binds SQL NULL); the string must outlive the step. */
int store_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* A malloc'd copy of a text column; "" for NULL. NULL only on ENOMEM. */
char *store_column_strdup(sqlite3_stmt *st, int col);
