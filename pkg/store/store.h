/* pkg/store: nanolet's state in SQLite — pods (object and status), core/v1 events, and a small
 * key/value table — in <state_dir>/nanolet.db.
 *
 * The database is crash-safe (WAL, synchronous=FULL): a change a function reported is on disk,
 * or, in batch mode (store_batch), once the store_flush after it has committed it.
 * Functions never read the clock; every time is a parameter, in unix nanoseconds. Errors are
 * -errno with a struct nano_err message and class (util.h):
 *   -ENOENT  no such pod / key            NANO_NOT_FOUND
 *   -EEXIST  a pod with that name or uid  NANO_CONFLICT
 * Storage failures never use those two: SQLITE_FULL is -ENOSPC and SQLITE_READONLY -EROFS
 * (NANO_STORAGE), SQLITE_BUSY/LOCKED -EBUSY (NANO_UNAVAILABLE), SQLITE_IOERR -EIO, a corrupt
 * file -EUCLEAN, SQLITE_CANTOPEN -EIO (NANO_INTERNAL); each carries SQLite's own message.
 *
 * One connection, one thread: a struct store is not to be shared between threads.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/util.h"

/* The schema this build writes and the newest it can read. */
#define STORE_SCHEMA_VERSION 4
#define STORE_DB_NAME        "nanolet.db"

struct store;

/* Opens <state_dir>/nanolet.db, creating the file (0600) and the tables on first start and
 * migrating an older schema in one transaction. state_dir must exist (-ENOENT, -ENOTDIR). A
 * database written by a newer nanolet is refused with -EPROTONOSUPPORT. */
int store_open(const char *state_dir, struct store **out, struct nano_err *err);

/* Opens an existing database for reading only (inspection tools; writes fail with -EROFS). The
 * file must exist (-ENOENT) and carry exactly this schema version. */
int store_open_readonly(const char *state_dir, struct store **out, struct nano_err *err);

/* Finalizes the cached statements and closes. Accepts NULL; returns NULL. */
struct store *store_close(struct store *s);
static inline void store_closep(struct store **s)
{
	store_close(*s);
}
#define _cleanup_store_ _cleanup_(store_closep)

/* Groups several changes into one transaction (BEGIN IMMEDIATE). Transactions do not nest;
 * in a batch (below) the group is a savepoint inside it: all of it or none of it joins. */
int store_begin(struct store *s, struct nano_err *err);
int store_commit(struct store *s, struct nano_err *err);
void store_rollback(struct store *s);

/* ---- batched durability -------------------------------------------------------------------
 *
 * A commit costs an fsync (synchronous=FULL). In batch mode the first write opens a transaction
 * and every write after it joins it, until store_flush commits them together: the daemon calls
 * it once per loop iteration. Reads on this connection see the batch's writes at once; other
 * connections, and the disk, only after the flush. What must not be promised before it is on
 * disk — an answer to a client — waits in store_after_commit. */

/* Turns batch mode on or off (off: each write commits on its own, as without it). Turning it
 * off flushes first. */
int store_batch(struct store *s, bool on, struct nano_err *err);

/* r 0: what was written before fn was registered is on disk. r < 0: it was lost (the commit
 * failed, or SQLite rolled the batch back after a failed write) and err says why. */
typedef void store_committed_fn(void *userdata, int r, const struct nano_err *err);

/* Calls fn(userdata, ...) from the next store_flush, after its commit and in the order of
 * registration, never from this call. -ENOMEM. */
int store_after_commit(struct store *s, store_committed_fn *fn, void *userdata);
/* Forgets every waiting fn(userdata, ...) (fn NULL: every one for userdata). */
void store_after_commit_cancel(struct store *s, store_committed_fn *fn, void *userdata);

/* Commits the open batch, if any, then calls the waiting functions with its outcome; again
 * while they wrote or registered more. On a failed commit the batch is rolled back, its
 * functions get the error, and so does the caller. Accepts NULL. */
int store_flush(struct store *s, struct nano_err *err);

/* Commits the open batch now (0 when none is open), for a write that must be on disk before
 * the caller acts on it: a create's row before its pod is made, a delete's request before its
 * pod is stopped. Its waiters still run from the next store_flush. On failure the batch is
 * rolled back: the caller and the waiters get the error. */
int store_sync(struct store *s, struct nano_err *err);

/* Whether a batch is open or a function waits: a flush has something to do. */
bool store_pending(const struct store *s);

/* ---- meta: small facts about the node (boot_id, ...) ------------------------------------ */

/* *value is malloc'd. -ENOENT when the key was never set. */
int store_meta_get(struct store *s, const char *key, char **value, struct nano_err *err);
int store_meta_set(struct store *s, const char *key, const char *value, struct nano_err *err);

/* ---- pods -------------------------------------------------------------------------------- */

/* A stored pod. Everything is owned by the struct: store_pod_done frees it. */
struct store_pod {
	char *uid;
	char *namespace;
	char *name;
	json_t *object; /* the Pod as created: apiVersion, kind, metadata, spec */
	json_t *status; /* the last status written ({} before the first) */
	int64_t created_ns;
	bool deleting;            /* a delete was requested; then the next two are set */
	int64_t deletion_ns;      /* when it was requested */
	int64_t deletion_grace_s; /* terminationGracePeriodSeconds in force */
	json_t *runtime;          /* the daemon's own record of the pod ({} before the first) */
};

void store_pod_done(struct store_pod *pod);
void store_pods_free(struct store_pod *pods, size_t n);

/* object must be a JSON object; status may be NULL ({}). -EEXIST (`pods "web" already exists`)
 * when namespace/name or uid is taken. */
int store_pod_insert(struct store *s, const char *uid, const char *namespace, const char *name,
                     const json_t *object, const json_t *status, int64_t created_ns,
                     struct nano_err *err);

/* Fill *out (which the caller then store_pod_done's). -ENOENT when there is no such pod. */
int store_pod_get(struct store *s, const char *namespace, const char *name, struct store_pod *out,
                  struct nano_err *err);
int store_pod_get_by_uid(struct store *s, const char *uid, struct store_pod *out,
                         struct nano_err *err);

/* All pods, or those of one namespace (namespace != NULL), ordered by namespace then name.
 * *out is an array of n pods for store_pods_free (NULL when n is 0). Returns n. */
int store_pods_list(struct store *s, const char *namespace, struct store_pod **out, size_t *n,
                    struct nano_err *err);
/* Returns the number of pods, in one namespace or (NULL) in all. */
int store_pods_count(struct store *s, const char *namespace, struct nano_err *err);

/* Replaces the status. -ENOENT when there is no such pod. */
int store_pod_update_status(struct store *s, const char *uid, const json_t *status,
                            struct nano_err *err);

/* Replaces the object (an update or patch of the Pod: its labels, annotations, the fields that
 * may change); status, runtime and the delete mark stay. -ENOENT when there is no such pod,
 * -EINVAL when object is no JSON object. */
int store_pod_update_object(struct store *s, const char *uid, const json_t *object,
                            struct nano_err *err);

/* Replaces the status and the runtime record in one statement, so that the two never disagree
 * after a crash. -ENOENT when there is no such pod. */
int store_pod_save(struct store *s, const char *uid, const json_t *status, const json_t *runtime,
                   struct nano_err *err);

/* Records a delete request at now_ns with grace_s seconds. As the API server does, a repeated
 * request may shorten the deadline (now + grace) but never extend it. -ENOENT when there is no
 * such pod, -EINVAL for a negative grace. */
int store_pod_mark_deleting(struct store *s, const char *uid, int64_t now_ns, int64_t grace_s,
                            struct nano_err *err);

/* Removes the pod row. -ENOENT when there is no such pod. Its events stay until they expire. */
int store_pod_delete(struct store *s, const char *uid, struct nano_err *err);

/* ---- events ------------------------------------------------------------------------------ */

/* The object an event is about: a Pod (with fieldPath spec.containers{NAME} for one of its
 * containers) or the Node (namespace "", uid the node name, as the kubelet does). */
struct store_event_ref {
	const char *kind;
	const char *name;
	const char *namespace; /* NULL or "" for cluster-scoped objects */
	const char *uid;
	const char *field_path; /* NULL or "" for the whole object */
};

/* What store_event_record is given. */
struct store_event_new {
	const char *namespace; /* the Event's own namespace: the pod's, "default" for the node */
	struct store_event_ref involved;
	const char *reason;
	const char *message;
	const char *type; /* "Normal" or "Warning" */
	const char *source_component;
	const char *source_host;
	/* metadata.resourceVersion: the node's counter (store_meta "resourceVersion" is the
	 * daemon's) when it was recorded; a repeat takes the new one. 0: none. */
	int64_t resource_version;
};

/* A stored event. Strings are owned ("" where absent): store_event_done frees them. */
struct store_event {
	int64_t id; /* never reused, so it names the event for good */
	char *namespace;
	char *involved_kind;
	char *involved_name;
	char *involved_namespace;
	char *involved_uid;
	char *involved_field_path;
	char *reason;
	char *message;
	char *type;
	int64_t count;
	int64_t first_ns;
	int64_t last_ns;
	char *source_component;
	char *source_host;
	int64_t resource_version;
};

void store_event_done(struct store_event *ev);
void store_events_free(struct store_event *evs, size_t n);

/* Records an event at now_ns. As the kubelet's event correlator does, an event identical to a
 * stored one — same involved object (kind, namespace, name, uid, fieldPath), reason, message and
 * type — is not stored again: its count goes up by one and its last timestamp becomes now_ns.
 * out (optional) receives the row as it now is. -EINVAL for a missing field or a type other than
 * Normal/Warning. */
int store_event_record(struct store *s, const struct store_event_new *ev, int64_t now_ns,
                       struct store_event *out, struct nano_err *err);

/* Events of one namespace (or NULL: all), about objects named involved_name (or NULL: any),
 * ordered by last timestamp, then id. *out is for store_events_free. Returns n. */
int store_events_list(struct store *s, const char *namespace, const char *involved_name,
                      struct store_event **out, size_t *n, struct nano_err *err);

/* Deletes the events last seen before older_than_ns (retention: the caller passes now - 1h).
 * Returns how many went. */
int store_events_expire(struct store *s, int64_t older_than_ns, struct nano_err *err);

/* ---- pod addresses (the pod network's IPAM) ---------------------------------------------- */

/* IPv4 addresses in host byte order, one per pod uid. An address is the pod's until
 * store_pod_ip_release, or until its pod row goes (however it goes): never given twice. */

/* The pod's address in *ip: the one it has (wherever it lies), else the lowest free one of
 * [first, last], which becomes its own. -EADDRNOTAVAIL (NANO_UNAVAILABLE) when every one is
 * taken, -EINVAL for an empty range. */
int store_pod_ip_assign(struct store *s, const char *uid, uint32_t first, uint32_t last,
                        uint32_t *ip, struct nano_err *err);
/* -ENOENT when the pod has none. */
int store_pod_ip_get(struct store *s, const char *uid, uint32_t *ip, struct nano_err *err);
/* Gives the pod's address back (0 also when it had none). */
int store_pod_ip_release(struct store *s, const char *uid, struct nano_err *err);
/* Gives back every address whose pod has no row; returns how many. */
int store_pod_ips_release_orphans(struct store *s, struct nano_err *err);

struct store_pod_ip {
	uint32_t ip;
	char *uid;
};
/* Every assigned address, lowest first; *out is for store_pod_ips_free. Returns n. */
int store_pod_ips_list(struct store *s, struct store_pod_ip **out, size_t *n, struct nano_err *err);
void store_pod_ips_free(struct store_pod_ip *ips, size_t n);

/* ---- namespaces (store_namespaces.c) ----------------------------------------------------- */

/* A namespace exists once created (store_namespace_insert, or _ensure) or once a pod is
 * inserted in it: the pods table's trigger makes its row then, with a fresh uid and the pod's
 * creation time. It stays when its pods go. */
struct store_namespace {
	char *name;
	char *uid;
	json_t *object; /* the Namespace as created ({} for one a pod made) */
	int64_t created_ns;
};

void store_namespace_done(struct store_namespace *ns);
void store_namespaces_free(struct store_namespace *v, size_t n);

/* object may be NULL ({}). -EEXIST (`namespaces "x" already exists`, NANO_CONFLICT). */
int store_namespace_insert(struct store *s, const char *name, const char *uid, const json_t *object,
                           int64_t created_ns, struct nano_err *err);
/* The same, but a namespace that exists is left as it is (0). */
int store_namespace_ensure(struct store *s, const char *name, const char *uid, int64_t created_ns,
                           struct nano_err *err);
/* -ENOENT (`namespaces "x" not found`, NANO_NOT_FOUND). */
int store_namespace_get(struct store *s, const char *name, struct store_namespace *out,
                        struct nano_err *err);
/* Every namespace by name; *out for store_namespaces_free. Returns n. */
int store_namespaces_list(struct store *s, struct store_namespace **out, size_t *n,
                          struct nano_err *err);
/* Removes an empty namespace: -ENOENT when there is none, -ENOTEMPTY (NANO_IN_USE) while a
 * pod is in it. */
int store_namespace_delete(struct store *s, const char *name, struct nano_err *err);
