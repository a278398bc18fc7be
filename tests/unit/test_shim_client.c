/* tests/unit/test_shim_client.c: the daemon's shim client (daemon/pods/shim_client.c) on a real
 * sd-event loop, against fake shims: a unix socket that answers, one that never accepts (a
 * stopped shim), none at all, and shell scripts in place of nanolet-shim. Every answer comes
 * through the loop, never from inside the call; a shim that answers nothing costs a timeout
 * while the loop goes on serving (a timer keeps ticking); a cancelled call never calls back. */
#include <check.h>
#include <ftw.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check_main.h"
#include "pods/pod_ops.h"

static char dir[64];
static sd_event *event;
static struct pod_shim_client *client;

struct result {
	bool called;
	int r;
	pid_t pid;
	char reply[256];
	char message[256];
};

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void setup(void)
{
	strcpy(dir, "/tmp/nanolet-test-shimclient-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_ge(sd_event_new(&event), 0);
	ck_assert_int_eq(pod_shim_client_new(event, "/nonexistent/nanolet-shim", &client), 0);
}

static void teardown(void)
{
	client = pod_shim_client_free(client);
	event = sd_event_unref(event);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void on_reply(void *userdata, int r, const char *reply, const struct nano_err *err)
{
	struct result *res = userdata;

	res->called = true;
	res->r = r;
	snprintf(res->reply, sizeof(res->reply), "%s", reply ? reply : "");
	snprintf(res->message, sizeof(res->message), "%s", err && err->message ? err->message : "");
}

static void on_started(void *userdata, int r, pid_t pid, const struct nano_err *err)
{
	struct result *res = userdata;

	res->called = true;
	res->r = r;
	res->pid = pid;
	snprintf(res->message, sizeof(res->message), "%s", err && err->message ? err->message : "");
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the loop until res is called or max_ms passed; what it took. */
static int64_t run_until(struct result *res, int64_t max_ms)
{
	int64_t start = now_ms();

	while (!res->called && now_ms() - start < max_ms)
		ck_assert_int_ge(sd_event_run(event, 10 * 1000), 0);
	return now_ms() - start;
}

/* ---- fake shims ----------------------------------------------------------------------------- */

/* shim.sock in dir, listening; answers each request with "ok 42 <request>" when answer. */
struct fake_shim {
	int fd;
	bool answer;
	sd_event_source *source;
};

static int on_conn(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	char buf[256], reply[300];
	ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);

	(void)revents;
	(void)userdata;
	if (n > 0) {
		buf[n] = '\0';
		snprintf(reply, sizeof(reply), "ok 42 %s", buf);
		/* a client that went (a cancel) makes this EPIPE, as for the real shim */
		(void)!send(fd, reply, strlen(reply), MSG_NOSIGNAL);
	}
	sd_event_source_disable_unref(s);
	close(fd);
	return 0;
}

static int on_listen(sd_event_source *s, int fd, uint32_t revents, void *userdata)
{
	int conn = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	(void)s;
	(void)revents;
	(void)userdata;
	if (conn >= 0)
		ck_assert_int_ge(sd_event_add_io(event, NULL, conn, EPOLLIN, on_conn, NULL), 0);
	return 0;
}

static void fake_shim_listen(struct fake_shim *f, bool answer)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/shim.sock", dir);
	f->answer = answer;
	f->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ck_assert_int_ge(f->fd, 0);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(f->fd, 16), 0);
	if (answer)
		ck_assert_int_ge(sd_event_add_io(event, &f->source, f->fd, EPOLLIN, on_listen, f),
		                 0);
}

static void fake_shim_close(struct fake_shim *f)
{
	f->source = sd_event_source_disable_unref(f->source);
	close(f->fd);
}

/* A script in place of nanolet-shim: sh -c body, with the run dir as $1. */
static void write_script(const char *name, const char *body, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/%s", dir, name);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0755), 0);
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata)
{
	unsigned *ticks = userdata;

	(*ticks)++;
	return sd_event_source_set_time(s, usec + 20 * 1000);
}

/* ---- requests -------------------------------------------------------------------------------- */

START_TEST(test_request_answered_through_the_loop)
{
	struct fake_shim f = {0};
	struct result res = {0};
	struct pod_shim_call *call = NULL;

	fake_shim_listen(&f, true);
	ck_assert_int_eq(
	        pod_shim_real.request(client, dir, "state", 5 * 1000000, on_reply, &res, &call), 0);
	ck_assert(!res.called); /* never from inside the call */
	run_until(&res, 5000);
	ck_assert(res.called);
	ck_assert_int_eq(res.r, 0);
	ck_assert_str_eq(res.reply, "ok 42 state");
	fake_shim_close(&f);
}
END_TEST

/* A stopped shim: its socket takes the connection into its backlog and never answers. The
 * request ends at its own deadline, and the loop serves everything else meanwhile. */
START_TEST(test_request_to_a_stopped_shim_times_out_without_blocking)
{
	struct fake_shim f = {0};
	struct result res = {0};
	struct pod_shim_call *call = NULL;
	sd_event_source *tick = NULL;
	unsigned ticks = 0;
	uint64_t now;
	int64_t took;

	fake_shim_listen(&f, false);
	ck_assert_int_ge(sd_event_now(event, CLOCK_MONOTONIC, &now), 0);
	ck_assert_int_ge(sd_event_add_time(event, &tick, CLOCK_MONOTONIC, now + 20 * 1000, 1000,
	                                   on_tick, &ticks),
	                 0);
	ck_assert_int_ge(sd_event_source_set_enabled(tick, SD_EVENT_ON), 0);
	ck_assert_int_eq(
	        pod_shim_real.request(client, dir, "kill c 15", 300 * 1000, on_reply, &res, &call),
	        0);
	took = run_until(&res, 5000);
	ck_assert(res.called);
	ck_assert_int_eq(res.r, -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(res.message, "did not answer \"kill c 15\" within 300 ms"));
	ck_assert_int_ge(took, 250);
	ck_assert_int_lt(took, 3000);
	ck_assert_uint_ge(ticks, 5); /* the loop went on */
	sd_event_source_disable_unref(tick);
	fake_shim_close(&f);
}
END_TEST

START_TEST(test_request_without_a_shim_fails_through_the_loop)
{
	struct result res = {0};
	struct pod_shim_call *call = NULL;

	ck_assert_int_eq(
	        pod_shim_real.request(client, dir, "state", 5 * 1000000, on_reply, &res, &call), 0);
	ck_assert(!res.called);
	run_until(&res, 5000);
	ck_assert(res.called);
	ck_assert(res.r == -ENOENT || res.r == -ECONNREFUSED);
}
END_TEST

START_TEST(test_cancelled_request_never_calls_back)
{
	struct fake_shim f = {0};
	struct result res = {0}, never = {0};
	struct pod_shim_call *call = NULL;

	fake_shim_listen(&f, true);
	ck_assert_int_eq(
	        pod_shim_real.request(client, dir, "state", 50 * 1000, on_reply, &res, &call), 0);
	pod_shim_real.cancel(call);
	pod_shim_real.cancel(NULL);
	run_until(&never, 300); /* never.called stays false: runs the whole 300 ms */
	ck_assert(!res.called);
	fake_shim_close(&f);
}
END_TEST

/* ---- starts -------------------------------------------------------------------------------- */

static const struct {
	const char *name;
	const char *script;
	int r;
	pid_t pid;
	const char *message;
} start_cases[] = {
        {"listening", "echo 4242 >\"$1/shim.pid\"", 0, 4242, ""},
        {"refused", "echo 'no such namespace' >\"$1/shim.error\"; exit 1", -EIO, 0,
         "no such namespace"},
        {"silent", "exec sleep 60", -ETIMEDOUT, 0, "did not start within 300 ms"},
};

START_TEST(test_start)
{
	struct result res = {0};
	struct pod_shim_call *call = NULL;
	struct pod_shim_client *c = NULL;
	char path[128];

	write_script("shim", start_cases[_i].script, path, sizeof(path));
	ck_assert_int_eq(pod_shim_client_new(event, path, &c), 0);
	ck_assert_int_eq(pod_shim_real.start(c, dir, 300 * 1000, on_started, &res, &call), 0);
	ck_assert(!res.called);
	run_until(&res, 5000);
	ck_assert_msg(res.called, "%s", start_cases[_i].name);
	ck_assert_msg(res.r == start_cases[_i].r, "%s: %d", start_cases[_i].name, res.r);
	ck_assert_int_eq(res.pid, start_cases[_i].pid);
	ck_assert_msg(strstr(res.message, start_cases[_i].message), "%s: %s", start_cases[_i].name,
	              res.message);
	/* the first process is reaped whatever became of it: no child is left */
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	pod_shim_client_free(c);
}
END_TEST

/* ---- watching ------------------------------------------------------------------------------ */

static void on_gone(void *userdata)
{
	*(bool *)userdata = true;
}

START_TEST(test_watch_sees_the_end_and_checks_identity)
{
	struct pod_shim_watch *w = NULL;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	uint64_t start_time = 0, wrong;
	bool gone = false;
	pid_t child = fork();

	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	ck_assert_int_eq(pod_shim_real.watch(client, child, &start_time, on_gone, &gone, &w, &err),
	                 0);
	ck_assert_uint_gt(start_time, 0);
	/* the same pid with another start time is another process */
	wrong = start_time + 1;
	{
		struct pod_shim_watch *w2 = NULL;
		_cleanup_(nano_err_clear) struct nano_err err2 = {0};

		ck_assert_int_eq(
		        pod_shim_real.watch(client, child, &wrong, on_gone, &gone, &w2, &err2),
		        -ESRCH);
		ck_assert_ptr_null(w2);
	}
	kill(child, SIGKILL);
	for (int i = 0; i < 500 && !gone; i++)
		ck_assert_int_ge(sd_event_run(event, 10 * 1000), 0);
	ck_assert(gone);
	waitpid(child, NULL, 0);
	pod_shim_real.unwatch(w);
}
END_TEST

/* Out of descriptors right after the pidfd: the start time cannot be read, which says nothing
 * of the process. It is EMFILE (try again), never ESRCH (another process: its pod lost), as it
 * once was, when a restarted daemon short of descriptors made a second sandbox beside a live
 * shim. */
START_TEST(test_watch_out_of_descriptors_is_not_another_process)
{
	struct pod_shim_watch *w = NULL;
	_cleanup_(nano_err_clear) struct nano_err err = {0};
	uint64_t start_time = 0;
	struct rlimit nofile;
	pid_t child = fork();
	int lowest;

	ck_assert_int_ge(child, 0);
	if (child == 0) {
		pause();
		_exit(0);
	}
	ck_assert_int_eq(pod_shim_real.watch(client, child, &start_time, on_gone, NULL, &w, &err),
	                 0);
	pod_shim_real.unwatch(w);
	w = NULL;
	lowest = dup(0);
	ck_assert_int_ge(lowest, 0);
	close(lowest);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &nofile), 0);
	nofile.rlim_cur = (rlim_t)lowest + 1; /* room for the pidfd, not for /proc/<pid>/stat */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &nofile), 0);
	ck_assert_int_eq(pod_shim_real.watch(client, child, &start_time, on_gone, NULL, &w, &err),
	                 -EMFILE);
	ck_assert_ptr_null(w);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("shim_client");
	TCase *tc = tcase_create("shim_client");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_request_answered_through_the_loop);
	tcase_add_test(tc, test_request_to_a_stopped_shim_times_out_without_blocking);
	tcase_add_test(tc, test_request_without_a_shim_fails_through_the_loop);
	tcase_add_test(tc, test_cancelled_request_never_calls_back);
	tcase_add_loop_test(tc, test_start, 0, sizeof(start_cases) / sizeof(start_cases[0]));
	tcase_add_test(tc, test_watch_sees_the_end_and_checks_identity);
	tcase_add_test(tc, test_watch_out_of_descriptors_is_not_another_process);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return check_run(suite());
}
