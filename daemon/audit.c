/* daemon/audit.c: audit events and the file they go to. The Event's fields are
 * k8s.io/apiserver/pkg/apis/audit/v1 Event's; user.uid is the peer's uid, and what UserInfo has
 * no field for (gid, pid, process name) is in user.extra under nanolet.io/ keys. The file is
 * opened O_APPEND and each event is one write(2) of one line: no fsync, so a request costs the
 * loop a copy into the page cache, never a wait for the disk. */
#include "audit.h"

#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct audit_log {
	int fd;
	char *path;
	int64_t size;
	int64_t max_size;
	int64_t max_files;
	bool failing; /* the last write failed: said once, and once more when one succeeds */
};

void audit_request_free(struct audit_request *r)
{
	if (!r)
		return;
	free(r->request_uri);
	free(r->user_agent);
	token_user_free(r->token_user);
	json_decref(r->annotations);
	free(r);
}

int audit_id_new(char out[37])
{
	static uint64_t counter;
	uint8_t b[16];

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t)sizeof(b)) {
		/* no entropy yet (early boot): unique is what an auditID must be, so the clock
		 * and a counter, rather than refusing every request */
		struct timespec ts;
		uint64_t words[2];

		clock_gettime(CLOCK_REALTIME, &ts);
		words[0] = (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
		words[1] = ++counter ^ ((uint64_t)getpid() << 32);
		memcpy(b, words, sizeof(b));
	}
	util_uuid_format(b, out);
	return 0;
}

bool audit_wanted(const struct audit_request *r, unsigned code)
{
	/* creates that change nothing on the node: who the caller is, a plan */
	static const char *const reviews[] = {"selfsubjectreviews", "isolationplans"};

	if (code == 401 || code == 403)
		return true;
	for (size_t i = 0; i < ELEMENTSOF(reviews); i++)
		if (strcmp(r->info.resource, reviews[i]) == 0)
			return false;
	return request_info_mutating(&r->info);
}

/* metav1.MicroTime: "2006-01-02T15:04:05.000000Z" */
static json_t *micro_time(int64_t ns)
{
	struct timespec ts = util_timespec_from_ns(ns);
	char secs[UTIL_RFC3339_SIZE];

	if (util_rfc3339(secs, sizeof(secs), &ts, false) < 2)
		return json_null();
	secs[strlen(secs) - 1] = '\0'; /* the Z */
	return json_sprintf("%s.%06ldZ", secs, ts.tv_nsec / 1000);
}

static json_t *strings1(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static json_t *strings1(const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : json_pack("[s]", s);
}

/* The peer's groups by name (a gid without one by number), then system:authenticated. */
static json_t *group_names(const struct peer_cred *p)
{
	json_t *groups = json_array();
	gid_t all[PEER_MAX_GROUPS + 1];
	size_t n = 0;

	all[n++] = p->gid;
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i] != p->gid)
			all[n++] = p->groups[i];
	for (size_t i = 0; groups && i < n; i++) {
		struct group gr, *found = NULL;
		char buf[4096];

		if (getgrgid_r(all[i], &gr, buf, sizeof(buf), &found) == 0 && found)
			json_array_append_new(groups, json_string(found->gr_name));
		else
			json_array_append_new(groups, json_sprintf("%u", (unsigned)all[i]));
	}
	if (groups)
		json_array_append_new(groups, json_string("system:authenticated"));
	return groups;
}

json_t *audit_user_json(const struct peer_cred *p)
{
	if (!p->known)
		return json_pack("{s:s, s:[s]}", "username", "system:anonymous", "groups",
		                 "system:unauthenticated");
	return json_pack("{s:s, s:o*, s:o*, s:{s:o*, s:o*, s:o*}}", "username", p->user, "uid",
	                 json_sprintf("%u", (unsigned)p->uid), "groups", group_names(p), "extra",
	                 "nanolet.io/gid", strings1("%u", (unsigned)p->gid), "nanolet.io/pid",
	                 strings1("%d", (int)p->pid), "nanolet.io/process",
	                 strings1("%s", p->comm));
}

json_t *audit_token_user_json(const struct token_user *u)
{
	json_t *groups = json_array();

	for (char **g = u->groups; groups && g && *g; g++)
		json_array_append_new(groups, json_string(*g));
	if (groups)
		json_array_append_new(groups, json_string("system:authenticated"));
	return json_pack("{s:s, s:s, s:o*}", "username", u->name, "uid", u->uid, "groups", groups);
}

static json_t *object_ref(const struct request_info *info)
{
	json_t *ref;

	if (!info->resource_request)
		return NULL;
	ref = json_pack("{s:s}", "resource", info->resource);
	if (!ref)
		return NULL;
	if (info->ns[0])
		json_object_set_new(ref, "namespace", json_string(info->ns));
	if (info->name[0])
		json_object_set_new(ref, "name", json_string(info->name));
	if (info->api_group[0])
		json_object_set_new(ref, "apiGroup", json_string(info->api_group));
	json_object_set_new(ref, "apiVersion", json_string(info->api_version));
	if (info->subresource[0])
		json_object_set_new(ref, "subresource", json_string(info->subresource));
	return ref;
}

/* responseStatus: the code, and a failure's status, reason and message from its Status. */
static json_t *response_status(unsigned code, const char *body, size_t body_len)
{
	_cleanup_json_ json_t *status = NULL;
	json_t *out = json_pack("{s:{}, s:i}", "metadata", "code", (int)code);
	const char *keys[] = {"status", "message", "reason"};

	if (!out || code < 300 || !body || body_len == 0)
		return out;
	status = json_loadb(body, body_len, 0, NULL);
	if (!json_is_object(status) ||
	    strcmp(json_string_value(json_object_get(status, "kind")) ?: "", "Status") != 0)
		return out;
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		json_t *v = json_object_get(status, keys[i]);

		if (json_is_string(v))
			json_object_set(out, keys[i], v);
	}
	return out;
}

json_t *audit_event_json(const struct audit_request *r, unsigned code, const char *body,
                         size_t body_len, int64_t completed_ns)
{
	json_t *event = json_pack(
	        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o*, s:[], s:o*, s:o*, s:o*, s:o*}", "kind",
	        "Event", "apiVersion", "audit.k8s.io/v1", "level", "Metadata", "auditID",
	        r->audit_id, "stage", "ResponseComplete", "requestURI",
	        r->request_uri ? r->request_uri : "", "verb", r->info.verb, "user",
	        r->token_user ? audit_token_user_json(r->token_user) : audit_user_json(&r->peer),
	        "sourceIPs", "objectRef", object_ref(&r->info), "responseStatus",
	        response_status(code, body, body_len), "requestReceivedTimestamp",
	        micro_time(r->received_ns), "stageTimestamp", micro_time(completed_ns));

	if (!event)
		return NULL;
	if (r->user_agent)
		json_object_set_new(event, "userAgent", json_string(r->user_agent));
	if (r->annotations && json_object_size(r->annotations) > 0)
		json_object_set(event, "annotations", r->annotations);
	return event;
}

/* ---- the file ------------------------------------------------------------------------- */

static int open_log(struct audit_log *log)
{
	struct stat st;

	log->fd = open(log->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (log->fd < 0)
		return -errno;
	log->size = fstat(log->fd, &st) == 0 ? st.st_size : 0;
	return 0;
}

int audit_log_open(const char *dir, int64_t max_size, int64_t max_files, struct audit_log **out,
                   struct nano_err *err)
{
	struct audit_log *log = calloc(1, sizeof(*log));
	int r;

	if (!log || !(log->path = strdupf("%s/audit.log", dir))) {
		free(log);
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	log->max_size = max_size;
	log->max_files = max_files;
	r = open_log(log);
	if (r < 0) {
		nano_err_set(err, -r, "open %s: %s", log->path, strerror(-r));
		audit_log_free(log);
		return r;
	}
	*out = log;
	return 0;
}

struct audit_log *audit_log_free(struct audit_log *log)
{
	if (!log)
		return NULL;
	if (log->fd >= 0)
		close(log->fd);
	free(log->path);
	free(log);
	return NULL;
}

/* audit.log.<n-1> -> .<n>, ..., audit.log -> .1, a new audit.log. Renames in one directory:
 * metadata only, no copy. */
static void rotate(struct audit_log *log)
{
	for (int64_t i = log->max_files; i >= 1; i--) {
		_cleanup_free_ char *from =
		        i == 1 ? strdup(log->path) : strdupf("%s.%" PRId64, log->path, i - 1);
		_cleanup_free_ char *to = strdupf("%s.%" PRId64, log->path, i);

		if (from && to && rename(from, to) < 0 && errno != ENOENT)
			log_warn("audit: rotate %s: %s", from, strerror(errno));
	}
	close(log->fd);
	if (open_log(log) < 0)
		log_warn("audit: reopen %s: %s", log->path, strerror(errno));
}

void audit_log_write(struct audit_log *log, const json_t *event)
{
	_cleanup_free_ char *line = NULL;
	size_t len;
	ssize_t n;

	if (!log || !event)
		return;
	line = json_dumps(event, JSON_COMPACT);
	if (!line)
		return;
	len = strlen(line);
	line[len++] = '\n'; /* over the NUL: the write takes len bytes */
	if (log->size > 0 && log->size + (int64_t)len > log->max_size)
		rotate(log);
	if (log->fd < 0)
		return;
	n = write(log->fd, line, len);
	if (n < 0) {
		/* a full disk fails every request's line: one log line, not one each */
		if (!log->failing)
			log_warn("audit: write %s: %s: events are lost until a write succeeds",
			         log->path, strerror(errno));
		log->failing = true;
		return;
	}
	if (log->failing)
		log_info("audit: writing %s again", log->path);
	log->failing = false;
	log->size += n;
}
