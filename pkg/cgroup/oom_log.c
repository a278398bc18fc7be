/* pkg/cgroup/oom_log.c: who the kernel's OOM killer ended, from the kernel log (/dev/kmsg).
 *
 * A cgroup's oom_kill counter says that a kill happened in it, not whom it hit. The kernel
 * names the victim in one line per kill (mm/oom_kill.c, dump_oom_victim, dump_oom_summary
 * before 6.2), for a memcg OOM:
 *
 *   oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,
 *   oom_memcg=/a/pod1,task_memcg=/a/pod1/app,task=python3,pid=1234,uid=0
 *
 * (one line; ",global_oom" instead of oom_memcg for a node-wide OOM). Paths are from the root
 * of the memory controller's hierarchy (v1: the memory hierarchy, v2: cgroup2), the pid is the
 * host's. /dev/kmsg gives one record a read: "PRIO,SEQ,USEC,FLAGS[,...];TEXT\n", then
 * dictionary lines that begin with a space; bytes below 0x20, above 0x7e and '\\' in TEXT
 * come as "\xNN". The line is printed before the kill is counted, and it is rate limited with
 * the rest of the OOM report: a victim may be missing, never wrong.
 *
 * The log keeps the last victims it read (a ring), from every cgroup; it reads what the ring
 * buffer holds when it is made, so that a kill while nanoletd was down can still be named.
 * Records are compared by sequence number, which the kernel counts per boot, not by time
 * (printk's clock is not CLOCK_MONOTONIC and drifts from it). This file reads; it decides
 * nothing about containers. */
#include "cgroup_internal.h"

#include <ctype.h>
#include <string.h>
#include <unistd.h>

/* The victims kept: every OOM kill of the node lands here, nanolet's or not. */
#define OOM_LOG_VICTIMS 256
/* One record: the kernel's longest (CONSOLE_EXT_LOG_MAX 8192) and room for the end. */
#define KMSG_RECORD_MAX 8200

struct cgroup_oom_log {
	int fd;
	uint64_t next_seq; /* of the record after the last one read */
	struct cgroup_oom_victim victims[OOM_LOG_VICTIMS];
	size_t n, head; /* victims kept; where the next one goes */
};

void cgroup_oom_victim_done(struct cgroup_oom_victim *v)
{
	free(v->memcg);
	*v = (struct cgroup_oom_victim){0};
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* [s, end) with kmsg's "\xNN" undone, into out (size > 0): false when it does not fit. */
static bool unescape(const char *s, const char *end, char *out, size_t size)
{
	size_t n = 0;

	while (s < end) {
		char c = *s++;

		if (c == '\\' && end - s >= 3 && s[0] == 'x' && hex_digit(s[1]) >= 0 &&
		    hex_digit(s[2]) >= 0) {
			c = (char)(hex_digit(s[1]) * 16 + hex_digit(s[2]));
			s += 3;
		}
		if (n + 1 >= size)
			return false;
		out[n++] = c;
	}
	out[n] = '\0';
	return true;
}

/* The last occurrence of needle in [s, end), or NULL. */
static const char *find_last(const char *s, const char *end, const char *needle)
{
	size_t len = strlen(needle);

	if ((size_t)(end - s) < len)
		return NULL;
	for (const char *p = end - len; p >= s; p--)
		if (memcmp(p, needle, len) == 0)
			return p;
	return NULL;
}

/* A decimal number filling [s, end) exactly. */
static bool parse_number(const char *s, const char *end, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (s >= end)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

/* "PRIO,SEQ,USEC,FLAGS[,...];": the sequence number and timestamp; *text after the ';'. */
static int parse_header(const char *record, const char *end, struct cgroup_oom_victim *out,
                        const char **text)
{
	const char *semi = memchr(record, ';', (size_t)(end - record));
	const char *f[3] = {record, NULL, NULL}, *usec_end;
	uint64_t prio;

	if (!semi)
		return -EINVAL;
	for (size_t k = 1; k < ELEMENTSOF(f); k++) {
		f[k] = memchr(f[k - 1], ',', (size_t)(semi - f[k - 1]));
		if (!f[k])
			return -EINVAL;
		f[k]++;
	}
	usec_end = memchr(f[2], ',', (size_t)(semi - f[2]));
	if (!usec_end || !parse_number(f[0], f[1] - 1, UINT32_MAX, &prio) ||
	    !parse_number(f[1], f[2] - 1, UINT64_MAX, &out->seq) ||
	    !parse_number(f[2], usec_end, UINT64_MAX, &out->usec))
		return -EINVAL;
	*text = semi + 1;
	return 0;
}

int cgroup_oom_kmsg_parse(const char *record, size_t len, struct cgroup_oom_victim *out)
{
	static const char prefix[] = "oom-kill:";
	const char *end = record + len, *text, *nl, *memcg, *task, *pid, *uid;
	uint64_t number;
	int r;

	*out = (struct cgroup_oom_victim){0};
	r = parse_header(record, end, out, &text);
	if (r < 0)
		return r;
	/* the text ends at the first newline: what follows is the record's dictionary */
	nl = memchr(text, '\n', (size_t)(end - text));
	if (nl)
		end = nl;
	if ((size_t)(end - text) < sizeof(prefix) - 1 ||
	    memcmp(text, prefix, sizeof(prefix) - 1) != 0)
		return 0;
	/* from the end: ",task=COMM,pid=N,uid=N" (a comm may hold a comma, a path too) */
	memcg = find_last(text, end, ",task_memcg=");
	uid = find_last(text, end, ",uid=");
	pid = uid ? find_last(text, uid, ",pid=") : NULL;
	task = pid ? find_last(text, pid, ",task=") : NULL;
	if (!memcg || !task || task < memcg + strlen(",task_memcg=") ||
	    !parse_number(uid + strlen(",uid="), end, UINT32_MAX, &number) ||
	    !parse_number(pid + strlen(",pid="), uid, INT32_MAX, &number) || number == 0)
		return 0; /* a fragment (the kernel could not join its pieces), or not this line */
	memcg += strlen(",task_memcg=");
	out->pid = (pid_t)number;
	if (!unescape(task + strlen(",task="), pid, out->task, sizeof(out->task)) ||
	    out->task[0] == '\0' || memcg == task || *memcg != '/')
		return 0;
	out->memcg = malloc((size_t)(task - memcg) + 1);
	if (!out->memcg)
		return -ENOMEM;
	unescape(memcg, task, out->memcg, (size_t)(task - memcg) + 1);
	return 1;
}

/* Reads every record there is now. */
int cgroup_oom_log_read(struct cgroup_oom_log *log)
{
	_cleanup_free_ char *buf = malloc(KMSG_RECORD_MAX);
	int victims = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct cgroup_oom_victim v;
		ssize_t n = read(log->fd, buf, KMSG_RECORD_MAX - 1);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE)
			continue; /* records overwritten before we read them: on with the rest */
		if (n < 0 && errno == EAGAIN)
			return victims;
		if (n < 0)
			return -errno;
		if (n == 0)
			return victims;
		r = cgroup_oom_kmsg_parse(buf, (size_t)n, &v);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			continue;
		log->next_seq = v.seq + 1;
		if (r == 0)
			continue;
		cgroup_oom_victim_done(&log->victims[log->head]);
		log->victims[log->head] = v;
		log->head = (log->head + 1) % OOM_LOG_VICTIMS;
		if (log->n < OOM_LOG_VICTIMS)
			log->n++;
		victims++;
	}
}

int cgroup_oom_log_new(int fd, struct cgroup_oom_log **out)
{
	struct cgroup_oom_log *log = calloc(1, sizeof(*log));
	int r;

	*out = NULL;
	if (!log) {
		close(fd);
		return -ENOMEM;
	}
	log->fd = fd;
	r = cgroup_oom_log_read(log);
	if (r < 0) {
		cgroup_oom_log_free(log);
		return r;
	}
	*out = log;
	return 0;
}

struct cgroup_oom_log *cgroup_oom_log_free(struct cgroup_oom_log *log)
{
	if (!log)
		return NULL;
	for (size_t k = 0; k < OOM_LOG_VICTIMS; k++)
		cgroup_oom_victim_done(&log->victims[k]);
	if (log->fd >= 0)
		close(log->fd);
	free(log);
	return NULL;
}

int cgroup_oom_log_fd(const struct cgroup_oom_log *log)
{
	return log->fd;
}

uint64_t cgroup_oom_log_next_seq(const struct cgroup_oom_log *log)
{
	return log->next_seq;
}

const struct cgroup_oom_victim *cgroup_oom_log_find(const struct cgroup_oom_log *log,
                                                    const char *memcg, uint64_t since_seq)
{
	size_t len = strlen(memcg);

	while (len > 1 && memcg[len - 1] == '/')
		len--;
	for (size_t k = 1; k <= log->n; k++) {
		const struct cgroup_oom_victim *v =
		        &log->victims[(log->head + OOM_LOG_VICTIMS - k) % OOM_LOG_VICTIMS];

		if (v->seq < since_seq)
			break; /* older than the run: so is every one before it */
		/* the cgroup itself or one below it, never a sibling that shares a prefix */
		if (strncmp(v->memcg, memcg, len) == 0 &&
		    (v->memcg[len] == '\0' || v->memcg[len] == '/' || len == 1))
			return v;
	}
	return NULL;
}
