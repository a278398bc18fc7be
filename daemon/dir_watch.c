/* daemon/dir_watch.c: the daemon's shared inotify instance (dir_watch.h).
 *
 * One entry per watched directory (inotify gives the same watch descriptor for the same
 * directory), holding the callbacks of everyone watching it. Events are read in batches and
 * each directory touched is reported once per batch. Callbacks may add and remove watches, so
 * while a batch is dispatched removals only mark; what is marked is freed afterwards. */
#include "dir_watch.h"

#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>

#define DIR_WATCH_MASK (IN_MODIFY | IN_CREATE | IN_MOVED_TO)

struct dir_watch {
	struct dir_watches *owner;
	struct dir_entry *entry;
	void (*fn)(void *userdata);
	void *userdata;
	bool removed;
	struct dir_watch *next;
};

struct dir_entry {
	int wd;
	bool pending; /* touched in the batch being dispatched */
	bool gone;    /* IN_IGNORED: the kernel dropped the watch (the directory went away) */
	struct dir_watch *watches;
	struct dir_entry *next;
};

struct dir_watches {
	int fd;
	sd_event_source *source;
	struct dir_entry *entries;
	bool dispatching;
};

/* Frees what was removed; an entry nobody watches any more gives its inotify watch back. */
static void collect(struct dir_watches *dw)
{
	for (struct dir_entry **e = &dw->entries; *e;) {
		struct dir_entry *entry = *e;

		for (struct dir_watch **w = &entry->watches; *w;) {
			struct dir_watch *watch = *w;

			if (!watch->removed) {
				w = &watch->next;
				continue;
			}
			*w = watch->next;
			free(watch);
		}
		if (entry->watches) {
			e = &entry->next;
			continue;
		}
		if (!entry->gone)
			(void)inotify_rm_watch(dw->fd, entry->wd);
		*e = entry->next;
		free(entry);
	}
}

static struct dir_entry *entry_of(struct dir_watches *dw, int wd)
{
	for (struct dir_entry *e = dw->entries; e; e = e->next)
		if (e->wd == wd && !e->gone)
			return e;
	return NULL;
}

static int on_inotify(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct dir_watches *dw = userdata;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)source;
	(void)revents;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			struct dir_entry *e;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				/* events were lost: everyone looks again */
				for (e = dw->entries; e; e = e->next)
					e->pending = true;
				continue;
			}
			e = entry_of(dw, ev->wd);
			if (!e)
				continue;
			e->pending = true;
			if (ev->mask & IN_IGNORED)
				e->gone = true;
		}
	}
	dw->dispatching = true;
	for (struct dir_entry *e = dw->entries; e; e = e->next) {
		if (!e->pending)
			continue;
		e->pending = false;
		for (struct dir_watch *w = e->watches; w; w = w->next)
			if (!w->removed)
				w->fn(w->userdata);
	}
	dw->dispatching = false;
	collect(dw);
	return 0;
}

int dir_watches_new(sd_event *event, struct dir_watches **out, struct nano_err *err)
{
	struct dir_watches *dw = calloc(1, sizeof(*dw));
	int r;

	if (!dw)
		return nano_err_set(err, ENOMEM, "out of memory");
	dw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (dw->fd < 0) {
		r = -errno;
		free(dw);
		return nano_err_set(err, -r, "inotify for log follows: %s", strerror(-r));
	}
	r = sd_event_add_io(event, &dw->source, dw->fd, EPOLLIN, on_inotify, dw);
	if (r < 0) {
		close(dw->fd);
		free(dw);
		return nano_err_set(err, -r, "inotify for log follows: %s", strerror(-r));
	}
	(void)sd_event_source_set_description(dw->source, "dir-watches");
	*out = dw;
	return 0;
}

struct dir_watches *dir_watches_free(struct dir_watches *dw)
{
	if (!dw)
		return NULL;
	for (struct dir_entry *e = dw->entries; e; e = e->next)
		for (struct dir_watch *w = e->watches; w; w = w->next)
			w->removed = true;
	collect(dw);
	dw->source = sd_event_source_disable_unref(dw->source);
	close(dw->fd);
	free(dw);
	return NULL;
}

int dir_watch_add(struct dir_watches *dw, const char *dir, void (*fn)(void *userdata),
                  void *userdata, struct dir_watch **out)
{
	struct dir_watch *w = calloc(1, sizeof(*w));
	struct dir_entry *e;
	int wd;

	if (!w)
		return -ENOMEM;
	wd = inotify_add_watch(dw->fd, dir, DIR_WATCH_MASK);
	if (wd < 0) {
		int r = -errno;

		free(w);
		return r;
	}
	e = entry_of(dw, wd);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			free(w);
			(void)inotify_rm_watch(dw->fd, wd);
			return -ENOMEM;
		}
		e->wd = wd;
		e->next = dw->entries;
		dw->entries = e;
	}
	*w = (struct dir_watch){dw, e, fn, userdata, false, e->watches};
	e->watches = w;
	*out = w;
	return 0;
}

void dir_watch_remove(struct dir_watch *w)
{
	if (!w)
		return;
	w->removed = true;
	if (!w->owner->dispatching)
		collect(w->owner);
}

size_t dir_watches_count(const struct dir_watches *dw)
{
	size_t n = 0;

	for (const struct dir_entry *e = dw ? dw->entries : NULL; e; e = e->next)
		n++;
	return n;
}
