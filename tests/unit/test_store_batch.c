/* tests/unit/test_store_batch.c: pkg/store's batched durability against real SQLite files —
 * several writes are one commit at the flush, reads on the connection see them before it, other
 * connections only after; the functions waiting for a commit run after it, in order, never
 * before, and again for what they wrote; a failed commit rolls the batch back and tells them;
 * a group (store_begin) is a savepoint inside the batch; store_sync commits early; and a write
 * whose waiter ran is on disk when the process is killed right then, while one not flushed yet
 * is not.
 *
 * Commits are counted with SQLite's commit hook on the store's connection (store_internal.h).
 * Every test makes its own state directory under one /tmp root that main removes after the run.
 */
#include <check.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>

#include "store/store.h"
#include "store/store_internal.h"

static char root[] = "/tmp/nanolet-test-store-batch-XXXXXX";

static char *state_dir(void)
{
	char *dir = strdupf("%s/state-XXXXXX", root);

	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

/* The commit hook: counts commits, and refuses them (turning each into a rollback) while
 * refuse is set. */
struct commits {
	int n;
	bool refuse;
};

static int on_commit(void *userdata)
{
	struct commits *c = userdata;

	c->n++;
	return c->refuse;
}

static struct store *open_batched(const char *dir, struct commits *commits)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s = NULL;

	ck_assert_msg(store_open(dir, &s, &err) == 0, "store_open: %s", err.message);
	ck_assert_int_eq(store_batch(s, true, &err), 0);
	if (commits)
		sqlite3_commit_hook(s->db, on_commit, commits);
	return s;
}

static struct store *open_reader(const char *dir)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store *s = NULL;

	ck_assert_msg(store_open_readonly(dir, &s, &err) == 0, "open: %s", err.message);
	return s;
}

static void insert_ok(struct store *s, const char *uid, const char *name)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *o =
	        json_pack("{s:s, s:s, s:{s:s, s:s}}", "apiVersion", "v1", "kind", "Pod", "metadata",
	                  "name", name, "namespace", "default");
	int r = store_pod_insert(s, uid, "default", name, o, NULL, 1, &err);

	ck_assert_msg(r == 0, "insert %s: %d %s", name, r, err.message);
}

static int count_pods(struct store *s)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	int n = store_pods_count(s, NULL, &err);

	ck_assert_msg(n >= 0, "count: %s", err.message);
	return n;
}

static bool has_pod(struct store *s, const char *name)
{
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct store_pod p = {0};
	int r = store_pod_get(s, "default", name, &p, &err);

	ck_assert_msg(r == 0 || r == -ENOENT, "get %s: %d %s", name, r, err.message);
	store_pod_done(&p);
	return r == 0;
}

static const struct store_event_new started = {
        .namespace = "default",
        .involved = {.kind = "Pod", .name = "web", .namespace = "default", .uid = "u-web"},
        .reason = "Started",
        .message = "Started container app",
        .type = "Normal",
        .source_component = "nanolet",
        .source_host = "node1",
};

/* What the waiting functions saw: each call appends one entry. */
struct call {
	int tag;
	int r;
	int commits;     /* commits counted when it ran */
	int reader_pods; /* pods another connection saw then */
	char message[128];
};

struct calls {
	struct call calls[8];
	size_t n;
	struct commits *commits;
	struct store *reader;
};

struct waiter {
	struct calls *log;
	int tag;
	struct store *s; /* set: the function writes and waits again (tag + 10) */
	struct waiter *next;
};

static void on_committed(void *userdata, int r, const struct nano_err *err)
{
	struct waiter *w = userdata;
	struct call *c;

	ck_assert_uint_lt(w->log->n, ELEMENTSOF(w->log->calls));
	c = &w->log->calls[w->log->n++];
	*c = (struct call){.tag = w->tag, .r = r, .reader_pods = -1};
	c->commits = w->log->commits ? w->log->commits->n : -1;
	if (w->log->reader)
		c->reader_pods = count_pods(w->log->reader);
	if (r < 0) {
		ck_assert_ptr_nonnull(err);
		snprintf(c->message, sizeof(c->message), "%s", err->message ? err->message : "");
	}
	if (w->s && w->next) {
		insert_ok(w->s, "u-late", "late");
		ck_assert_int_eq(store_after_commit(w->s, on_committed, w->next), 0);
	}
}

/* ---- tests ------------------------------------------------------------------------------- */

/* Pod, status, deletion mark and an event: one commit, at the flush. Until then this connection
 * reads them and another does not. */
START_TEST(test_writes_are_one_commit)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	_cleanup_json_ json_t *status = json_pack("{s:s}", "phase", "Running");
	struct commits commits = {0};
	struct store *s = open_batched(dir, &commits), *reader = open_reader(dir);
	struct store_event *evs = NULL;
	size_t n = 0;

	ck_assert(!store_pending(s));
	insert_ok(s, "u-web", "web");
	ck_assert_int_eq(store_pod_update_status(s, "u-web", status, &err), 0);
	ck_assert_int_eq(store_pod_save(s, "u-web", status, status, &err), 0);
	ck_assert_int_eq(store_pod_mark_deleting(s, "u-web", 5, 30, &err), 0);
	ck_assert_int_eq(store_event_record(s, &started, 5, NULL, &err), 0);
	ck_assert_int_eq(store_meta_set(s, "boot_id", "b1", &err), 0);

	ck_assert_int_eq(commits.n, 0);
	ck_assert(store_pending(s));
	/* the batch's own connection sees its writes */
	ck_assert(has_pod(s, "web"));
	ck_assert_int_eq(store_events_list(s, NULL, "web", &evs, &n, &err), 1);
	store_events_free(evs, n);
	/* nobody else does, yet */
	ck_assert_int_eq(count_pods(reader), 0);

	ck_assert_int_eq(store_flush(s, &err), 0);
	ck_assert_int_eq(commits.n, 1);
	ck_assert(!store_pending(s));
	ck_assert_int_eq(count_pods(reader), 1);
	/* nothing to do: no commit */
	ck_assert_int_eq(store_flush(s, &err), 0);
	ck_assert_int_eq(commits.n, 1);
	store_close(reader);
	store_close(s);
}
END_TEST

/* Waiters run at the flush, after its commit, in the order they came; one that writes and
 * waits again is committed and called in the same flush. None runs from a write or from its
 * registration. */
START_TEST(test_after_commit_order)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct commits commits = {0};
	struct store *s = open_batched(dir, &commits);
	struct calls log = {.commits = &commits, .reader = open_reader(dir)};
	struct waiter late = {&log, 13, NULL, NULL};
	struct waiter w[3] = {{&log, 1, NULL, NULL}, {&log, 2, s, &late}, {&log, 3, NULL, NULL}};

	insert_ok(s, "u-a", "a");
	for (size_t i = 0; i < ELEMENTSOF(w); i++)
		ck_assert_int_eq(store_after_commit(s, on_committed, &w[i]), 0);
	insert_ok(s, "u-b", "b");
	ck_assert_uint_eq(log.n, 0);

	ck_assert_int_eq(store_flush(s, &err), 0);
	ck_assert_uint_eq(log.n, 4);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(log.calls[i].tag, (int)i + 1);
		ck_assert_int_eq(log.calls[i].r, 0);
		ck_assert_int_eq(log.calls[i].commits, 1);
		ck_assert_int_eq(log.calls[i].reader_pods, 2); /* on disk when they ran */
	}
	ck_assert_int_eq(log.calls[3].tag, 13);
	ck_assert_int_eq(log.calls[3].r, 0);
	ck_assert_int_eq(log.calls[3].commits, 2);
	ck_assert_int_eq(log.calls[3].reader_pods, 3);
	ck_assert(!store_pending(s));
	store_close(log.reader);
	store_close(s);
}
END_TEST

/* A waiter registered with nothing written still waits for the flush; a cancelled one is not
 * called at all. */
START_TEST(test_after_commit_idle_and_cancel)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct commits commits = {0};
	struct store *s = open_batched(dir, &commits);
	struct calls log = {.commits = &commits};
	struct waiter a = {&log, 1, NULL, NULL}, b = {&log, 2, NULL, NULL};

	ck_assert_int_eq(store_after_commit(s, on_committed, &a), 0);
	ck_assert_int_eq(store_after_commit(s, on_committed, &b), 0);
	ck_assert_uint_eq(log.n, 0);
	ck_assert(store_pending(s));
	store_after_commit_cancel(s, NULL, &b);
	ck_assert_int_eq(store_flush(s, &err), 0);
	ck_assert_uint_eq(log.n, 1);
	ck_assert_int_eq(log.calls[0].tag, 1);
	ck_assert_int_eq(log.calls[0].r, 0);
	ck_assert_int_eq(commits.n, 0);
	store_close(s);
}
END_TEST

/* A commit that fails: the batch is rolled back (this connection no longer reads it either),
 * its waiters and the flush get the error, and the next batch starts clean. */
START_TEST(test_failed_commit_rolls_back)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct commits commits = {0};
	struct store *s = open_batched(dir, &commits);
	struct calls log = {.commits = &commits};
	struct waiter a = {&log, 1, NULL, NULL}, b = {&log, 2, NULL, NULL};

	insert_ok(s, "u-a", "a");
	ck_assert_int_eq(store_flush(s, &err), 0);

	insert_ok(s, "u-b", "b");
	ck_assert_int_eq(store_after_commit(s, on_committed, &a), 0);
	ck_assert_int_eq(store_after_commit(s, on_committed, &b), 0);
	commits.refuse = true;
	ck_assert_int_lt(store_flush(s, &err), 0);
	ck_assert_ptr_nonnull(err.message);
	ck_assert_msg(strstr(err.message, "commit"), "message: %s", err.message);
	ck_assert_uint_eq(log.n, 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_int_eq(log.calls[i].tag, (int)i + 1);
		ck_assert_int_lt(log.calls[i].r, 0);
		ck_assert_msg(strstr(log.calls[i].message, "commit"), "message: %s",
		              log.calls[i].message);
	}
	ck_assert(!store_pending(s));
	ck_assert(has_pod(s, "a"));
	ck_assert(!has_pod(s, "b"));

	commits.refuse = false;
	nano_err_clear(&err);
	insert_ok(s, "u-b", "b");
	ck_assert_int_eq(store_flush(s, &err), 0);
	ck_assert(has_pod(s, "b"));
	store_close(s);
}
END_TEST

/* store_begin inside a batch is a savepoint: its rollback takes back the group only, its commit
 * waits for the batch's. */
START_TEST(test_group_inside_batch)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct commits commits = {0};
	struct store *s = open_batched(dir, &commits), *reader = open_reader(dir);

	insert_ok(s, "u-a", "a");
	ck_assert_int_eq(store_begin(s, &err), 0);
	insert_ok(s, "u-b", "b");
	store_rollback(s);
	ck_assert(has_pod(s, "a"));
	ck_assert(!has_pod(s, "b"));

	ck_assert_int_eq(store_begin(s, &err), 0);
	insert_ok(s, "u-c", "c");
	ck_assert_int_eq(store_commit(s, &err), 0);
	ck_assert_int_eq(commits.n, 0);
	ck_assert_int_eq(count_pods(reader), 0);

	ck_assert_int_eq(store_flush(s, &err), 0);
	ck_assert_int_eq(commits.n, 1);
	ck_assert_int_eq(count_pods(reader), 2);
	ck_assert(!has_pod(reader, "b"));
	store_close(reader);
	store_close(s);
}
END_TEST

/* store_sync commits at once, for a write the caller acts on; its waiters still wait for the
 * flush, which has no commit left to make. A sync that fails rolls the batch back and says so
 * to the caller and, at the flush, to the waiters. */
START_TEST(test_sync)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct commits commits = {0};
	struct store *s = open_batched(dir, &commits), *reader = open_reader(dir);
	struct calls log = {.commits = &commits};
	struct waiter a = {&log, 1, NULL, NULL}, b = {&log, 2, NULL, NULL};

	ck_assert_int_eq(store_sync(s, &err), 0); /* nothing open */
	ck_assert_int_eq(commits.n, 0);
	insert_ok(s, "u-a", "a");
	ck_assert_int_eq(store_after_commit(s, on_committed, &a), 0);
	ck_assert_int_eq(store_sync(s, &err), 0);
	ck_assert_int_eq(commits.n, 1);
	ck_assert_int_eq(count_pods(reader), 1);
	ck_assert_uint_eq(log.n, 0);
	ck_assert_int_eq(store_flush(s, &err), 0);
	ck_assert_int_eq(commits.n, 1);
	ck_assert_uint_eq(log.n, 1);
	ck_assert_int_eq(log.calls[0].r, 0);

	insert_ok(s, "u-b", "b");
	ck_assert_int_eq(store_after_commit(s, on_committed, &b), 0);
	commits.refuse = true;
	ck_assert_int_lt(store_sync(s, &err), 0);
	ck_assert(!has_pod(s, "b"));
	ck_assert_uint_eq(log.n, 1);
	nano_err_clear(&err);
	ck_assert_int_eq(store_flush(s, &err), 0); /* the failure was the sync's */
	ck_assert_uint_eq(log.n, 2);
	ck_assert_int_eq(log.calls[1].tag, 2);
	ck_assert_int_lt(log.calls[1].r, 0);
	store_close(reader);
	store_close(s);
}
END_TEST

/* Turning batching off flushes; writes then commit one by one again. */
START_TEST(test_batch_off)
{
	_cleanup_free_ char *dir = state_dir();
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	struct commits commits = {0};
	struct store *s = open_batched(dir, &commits);

	insert_ok(s, "u-a", "a");
	ck_assert_int_eq(store_batch(s, false, &err), 0);
	ck_assert_int_eq(commits.n, 1);
	insert_ok(s, "u-b", "b");
	insert_ok(s, "u-c", "c");
	ck_assert_int_eq(commits.n, 3);
	ck_assert(!store_pending(s));
	store_close(s);
}
END_TEST

/* The crash a 201 must survive: the process is SIGKILLed inside the waiter, right after the
 * commit (as the daemon could be right after answering), having written more that no flush
 * committed. The next open finds the first write and not the second. */
static void kill_self(void *userdata, int r, const struct nano_err *err)
{
	struct store *s = userdata;

	(void)err;
	if (r < 0)
		_exit(2);
	insert_ok(s, "u-lost", "lost");
	raise(SIGKILL);
	_exit(3);
}

START_TEST(test_waited_write_survives_crash)
{
	_cleanup_free_ char *dir = state_dir();
	struct store *s;
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		s = open_batched(dir, NULL);
		insert_ok(s, "u-kept", "kept");
		if (store_after_commit(s, kill_self, s) < 0)
			_exit(4);
		(void)store_flush(s, NULL);
		_exit(5); /* not reached: the waiter killed us */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %#x",
	              status);
	s = open_batched(dir, NULL);
	ck_assert(has_pod(s, "kept"));
	ck_assert(!has_pod(s, "lost"));
	store_close(s);
}
END_TEST

static Suite *store_batch_suite(void)
{
	Suite *s = suite_create("store_batch");
	TCase *tc = tcase_create("batch");

	tcase_add_test(tc, test_writes_are_one_commit);
	tcase_add_test(tc, test_after_commit_order);
	tcase_add_test(tc, test_after_commit_idle_and_cancel);
	tcase_add_test(tc, test_failed_commit_rolls_back);
	tcase_add_test(tc, test_group_inside_batch);
	tcase_add_test(tc, test_sync);
	tcase_add_test(tc, test_batch_off);
	tcase_add_test(tc, test_waited_write_survives_crash);
	suite_add_tcase(s, tc);
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
	sr = srunner_create(store_batch_suite());
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
