/* tests/unit/test_cgroup_oom_log.c: the OOM killer's victim line of the kernel log, parsed
 * (one row per record shape), and the log that keeps the victims, fed through a SOCK_SEQPACKET
 * socket pair, which gives one record a read as /dev/kmsg does. No root, no kernel log. */
#include "check_main.h"
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cgroup/cgroup.h"

#define MEMCG "/process_api/285d/nanolet/burstable/pod14"
#define LINE(seq, path, task, pid)                                                                 \
	"6," #seq ",36177974610,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"  \
	"mems_allowed=0,oom_memcg=" MEMCG ",task_memcg=" path ",task=" task ",pid=" #pid           \
	",uid=0\n"

static const struct parse_case {
	const char *name;
	const char *record;
	int r;
	uint64_t seq, usec;
	const char *memcg, *task;
	pid_t pid;
} parse_cases[] = {
        {"a memcg OOM on kernel 6.x", LINE(32645, MEMCG "/c", "python3", 883), 1, 32645,
         36177974610, MEMCG "/c", "python3", 883},
        {"a node-wide OOM: global_oom, no oom_memcg",
         "3,7,12,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,"
         "global_oom,task_memcg=/a/c,task=dd,pid=42,uid=1000\n",
         1, 7, 12, "/a/c", "dd", 42},
        {"dictionary lines after the text are not part of it",
         "6,9,100,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
         "oom_memcg=/a,task_memcg=/a/c,task=sh,pid=5,uid=0\n SUBSYSTEM=mem\n DEVICE=+m:x,pid=9\n",
         1, 9, 100, "/a/c", "sh", 5},
        {"a caller id field in the header",
         "6,10,200,-,caller=T77;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
         "mems_allowed=0,oom_memcg=/a,task_memcg=/a/c,task=sh,pid=6,uid=0\n",
         1, 10, 200, "/a/c", "sh", 6},
        {"a comm with a comma and an escaped byte",
         "6,11,300,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
         "mems_allowed=0,oom_memcg=/a,task_memcg=/a/c,task=a,b\\x5cc,pid=7,uid=0\n",
         1, 11, 300, "/a/c", "a,b\\c", 7},
        {"no newline at the end of the record",
         "6,12,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,"
         "nodemask=(null),cpuset=/,mems_allowed=0,"
         "oom_memcg=/a,task_memcg=/a,task=x,pid=8,uid=0",
         1, 12, 1, "/a", "x", 8},
        {"another line of the OOM report",
         "3,32646,36177974700,-;Memory cgroup out of memory: Killed process 883 (python3) "
         "total-vm:268000kB, anon-rss:65000kB\n",
         0, 32646, 36177974700, NULL, NULL, 0},
        {"the OOM header names the allocating task, not the victim",
         "4,32640,36177974000,-;python3 invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), "
         "order=0, oom_score_adj=0\n",
         0, 32640, 36177974000, NULL, NULL, 0},
        {"a fragment the kernel could not join (continuation flag): no victim yet",
         "6,13,2,c;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
         "mems_allowed=0,oom_memcg=/a\n",
         0, 13, 2, NULL, NULL, 0},
        {"the rest of that line in a record of its own is not a victim either",
         "6,14,3,+;,task_memcg=/a/c,task=x,pid=9,uid=0\n", 0, 14, 3, NULL, NULL, 0},
        {"truncated in the pid",
         "6,15,4,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
         "cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a/c,task=x,pid=",
         0, 15, 4, NULL, NULL, 0},
        {"truncated in the uid",
         "6,16,5,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
         "oom_memcg=/a,task_memcg=/a/c,task=x,pid=10,uid=\n",
         0, 16, 5, NULL, NULL, 0},
        {"a pid that is not a number",
         "6,17,6,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,"
         "oom_memcg=/a,task_memcg=/a/c,task=x,pid=1x,uid=0\n",
         0, 17, 6, NULL, NULL, 0},
        {"an empty comm", LINE(18, "/a/c", "", 11), 0, 18, 36177974610, NULL, NULL, 0},
        {"no header", "oom-kill:constraint=CONSTRAINT_MEMCG,task_memcg=/a,task=x,pid=1,uid=0\n",
         -EINVAL, 0, 0, NULL, NULL, 0},
        {"a header short of a field", "6,19;oom-kill:task_memcg=/a,task=x,pid=1,uid=0\n", -EINVAL,
         0, 0, NULL, NULL, 0},
        {"a sequence number that is not one", "6,1a,5,-;hello\n", -EINVAL, 0, 0, NULL, NULL, 0},
        {"an empty record", "", -EINVAL, 0, 0, NULL, NULL, 0},
};

START_TEST(test_parse)
{
	const struct parse_case *c = &parse_cases[_i];
	struct cgroup_oom_victim v;
	int r = cgroup_oom_kmsg_parse(c->record, strlen(c->record), &v);

	ck_assert_msg(r == c->r, "%s: %d, not %d", c->name, r, c->r);
	if (r >= 0) {
		ck_assert_msg(v.seq == c->seq, "%s: seq", c->name);
		ck_assert_msg(v.usec == c->usec, "%s: usec", c->name);
	}
	if (r == 1) {
		ck_assert_msg(strcmp(v.memcg, c->memcg) == 0, "%s: memcg %s", c->name, v.memcg);
		ck_assert_msg(strcmp(v.task, c->task) == 0, "%s: task %s", c->name, v.task);
		ck_assert_msg(v.pid == c->pid, "%s: pid %d", c->name, (int)v.pid);
	} else {
		ck_assert_msg(v.memcg == NULL, "%s: a memcg", c->name);
	}
	cgroup_oom_victim_done(&v);
}
END_TEST

/* A log over one end of a socket pair; records go in through the other. */
static struct cgroup_oom_log *log_pair(int *writer)
{
	struct cgroup_oom_log *log = NULL;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
	                 0);
	*writer = sv[1];
	ck_assert_int_eq(cgroup_oom_log_new(sv[0], &log), 0);
	return log;
}

static void put(int fd, const char *record)
{
	ck_assert_int_eq(write(fd, record, strlen(record)), (ssize_t)strlen(record));
}

START_TEST(test_log_reads_what_was_there_and_what_comes)
{
	struct cgroup_oom_log *log;
	const struct cgroup_oom_victim *v;
	int sv[2], w;

	/* what the ring buffer held before the daemon started: read when the log is made */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
	                 0);
	w = sv[1];
	put(w, "6,1,10,-;Linux version 6.18\n");
	put(w, LINE(2, MEMCG "/c", "python3", 100));
	put(w, "6,3,12,-;Memory cgroup out of memory: Killed process 100 (python3)\n");
	ck_assert_int_eq(cgroup_oom_log_new(sv[0], &log), 0);
	ck_assert_uint_eq(cgroup_oom_log_next_seq(log), 4);
	v = cgroup_oom_log_find(log, MEMCG "/c", 0);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v->pid, 100);
	ck_assert_str_eq(v->task, "python3");
	/* a run that started after it has no victim yet */
	ck_assert_ptr_null(cgroup_oom_log_find(log, MEMCG "/c", 4));
	/* then one in a cgroup below the container's, one of a sibling sharing its prefix */
	put(w, LINE(4, MEMCG "/c/sub", "stress", 200));
	put(w, LINE(5, MEMCG "/c2", "dd", 300));
	ck_assert_int_eq(cgroup_oom_log_read(log), 2);
	ck_assert_int_eq(cgroup_oom_log_read(log), 0); /* nothing new: no wait */
	v = cgroup_oom_log_find(log, MEMCG "/c", 4);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(v->pid, 200);
	ck_assert_str_eq(cgroup_oom_log_find(log, MEMCG "/c2/", 4)->task, "dd");
	ck_assert_ptr_null(cgroup_oom_log_find(log, MEMCG "/c3", 0));
	/* the most recent one wins */
	put(w, LINE(9, MEMCG "/c", "python3", 400));
	ck_assert_int_eq(cgroup_oom_log_read(log), 1);
	ck_assert_int_eq(cgroup_oom_log_find(log, MEMCG "/c", 0)->pid, 400);
	ck_assert_uint_eq(cgroup_oom_log_next_seq(log), 10);
	close(w);
	cgroup_oom_log_free(log);
}
END_TEST

START_TEST(test_log_keeps_the_last_victims)
{
	int w;
	struct cgroup_oom_log *log = log_pair(&w);
	char record[512];

	for (int k = 0; k < 300; k++) {
		snprintf(record, sizeof(record),
		         "6,%d,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,"
		         "mems_allowed=0,oom_memcg=/a,task_memcg=/a/c%d,task=t,pid=%d,uid=0\n",
		         k, k, k + 1);
		put(w, record);
		if (k % 50 == 49) /* the socket holds only so much */
			ck_assert_int_eq(cgroup_oom_log_read(log), 50);
	}
	ck_assert_int_eq(cgroup_oom_log_read(log), 0);
	ck_assert_ptr_null(cgroup_oom_log_find(log, "/a/c0", 0));
	ck_assert_ptr_null(cgroup_oom_log_find(log, "/a/c43", 0));
	ck_assert_int_eq(cgroup_oom_log_find(log, "/a/c44", 0)->pid, 45);
	ck_assert_int_eq(cgroup_oom_log_find(log, "/a/c299", 0)->pid, 300);
	close(w);
	cgroup_oom_log_free(log);
}
END_TEST

START_TEST(test_log_skips_what_is_not_a_record)
{
	int w;
	struct cgroup_oom_log *log = log_pair(&w);

	put(w, "garbage without a header");
	put(w, LINE(7, "/a/c", "x", 1));
	ck_assert_int_eq(cgroup_oom_log_read(log), 1);
	ck_assert_uint_eq(cgroup_oom_log_next_seq(log), 8);
	close(w);
	ck_assert_int_eq(cgroup_oom_log_read(log), 0); /* the other end gone: end of file */
	cgroup_oom_log_free(log);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("cgroup_oom_log");
	TCase *tc = tcase_create("oom_log");

	tcase_add_loop_test(tc, test_parse, 0, (int)ELEMENTSOF(parse_cases));
	tcase_add_test(tc, test_log_reads_what_was_there_and_what_comes);
	tcase_add_test(tc, test_log_keeps_the_last_victims);
	tcase_add_test(tc, test_log_skips_what_is_not_a_record);
	suite_add_tcase(s, tc);
	return check_run(s);
}
