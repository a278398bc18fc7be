/* daemon/fs_watch.c: the daemon's one inotify instance (fs_watch.h).
 *
 * One entry per watched file or directory (inotify gives the same watch descriptor for the same
 * inode), found by its descriptor in a hash table, holding the watches of everyone interested.
 * The kernel watch asks for the union of their masks; each watch is called for its own events.
 * Events are read in batches; each entry touched goes on a pending list once and is dispatched
 * once per batch. Callbacks may add and remove watches, so while a batch is dispatched removals
 * only mark; the entries marked are collected afterwards. */
#include "fs_watch.h"

#include <string.h>
#include <sys/epoll.h>

#define FS_WATCH_BUCKETS 64 /* to start with; doubled when the entries are twice as many */

struct fs_watch {
	struct fs_watches *owner;
	struct fs_entry *entry;
	uint32_t mask;
	void (*fn)(void *userdata);
	void *userdata;
	bool removed;
	struct fs_watch *next;
};

struct fs_entry {
	int wd;
	uint32_t events; /* what came in the batch being read */
	bool pending;    /* on the pending list */
	bool dirty;      /* on the dirty list: a watch of it was removed */
	bool gone;       /* IN_IGNORED: the kernel dropped the watch (the path went away) */
	struct fs_watch *watches;
	struct fs_entry *hash_next, *pending_next, *dirty_next;
};

struct fs_watches {
	int fd;
	sd_event_source *source;
	struct fs_entry **buckets;
	size_t n_buckets, n_entries;
	struct fs_entry *pending, *dirty;
	bool dispatching;
};

static struct fs_entry **bucket_of(struct fs_watches *fw, int wd)
{
	return &fw->buckets[(unsigned)wd % fw->n_buckets];
}

static struct fs_entry *entry_of(struct fs_watches *fw, int wd)
{
	for (struct fs_entry *e = *bucket_of(fw, wd); e; e = e->hash_next)
		if (e->wd == wd && !e->gone)
			return e;
	return NULL;
}

/* More buckets once the entries outnumber them twice; a failed allocation keeps the old ones
 * (longer chains, nothing lost). */
static void grow(struct fs_watches *fw)
{
	size_t n = fw->n_buckets * 2;
	struct fs_entry **buckets;

	if (fw->n_entries <= 2 * fw->n_buckets || !(buckets = calloc(n, sizeof(*buckets))))
		return;
	for (size_t i = 0; i < fw->n_buckets; i++)
		for (struct fs_entry *e = fw->buckets[i], *next; e; e = next) {
			next = e->hash_next;
			e->hash_next = buckets[(unsigned)e->wd % n];
			buckets[(unsigned)e->wd % n] = e;
		}
	free(fw->buckets);
	fw->buckets = buckets;
	fw->n_buckets = n;
}

static void unlink_entry(struct fs_watches *fw, struct fs_entry *entry)
{
	for (struct fs_entry **e = bucket_of(fw, entry->wd); *e; e = &(*e)->hash_next)
		if (*e == entry) {
			*e = entry->hash_next;
			fw->n_entries--;
			return;
		}
}

/* Frees the watches removed; an entry nobody watches any more gives its inotify watch back. */
static void collect(struct fs_watches *fw)
{
	while (fw->dirty) {
		struct fs_entry *entry = fw->dirty;

		fw->dirty = entry->dirty_next;
		entry->dirty = false;
		for (struct fs_watch **w = &entry->watches; *w;) {
			struct fs_watch *watch = *w;

			if (!watch->removed) {
				w = &watch->next;
				continue;
			}
			*w = watch->next;
			free(watch);
		}
		if (entry->watches)
			continue;
		if (!entry->gone)
			(void)inotify_rm_watch(fw->fd, entry->wd);
		unlink_entry(fw, entry);
		free(entry);
	}
}

static void mark_pending(struct fs_watches *fw, struct fs_entry *e, uint32_t events)
{
	e->events |= events;
	if (e->pending)
		return;
	e->pending = true;
	e->pending_next = fw->pending;
	fw->pending = e;
}

static void dispatch(struct fs_watches *fw)
{
	fw->dispatching = true;
	while (fw->pending) {
		struct fs_entry *e = fw->pending;
		uint32_t events = e->events;

		fw->pending = e->pending_next;
		e->pending = false;
		e->events = 0;
		for (struct fs_watch *w = e->watches; w; w = w->next)
			if (!w->removed && (events & (w->mask | IN_IGNORED | IN_Q_OVERFLOW)))
				w->fn(w->userdata);
	}
	fw->dispatching = false;
	collect(fw);
}

static int on_inotify(sd_event_source *source, int fd, uint32_t revents, void *userdata)
{
	struct fs_watches *fw = userdata;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)source;
	(void)revents;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			struct fs_entry *e;

			p += sizeof(*ev) + ev->len;
			if (ev->mask & IN_Q_OVERFLOW) {
				/* events were lost: everyone looks again */
				for (size_t i = 0; i < fw->n_buckets; i++)
					for (e = fw->buckets[i]; e; e = e->hash_next)
						if (!e->gone)
							mark_pending(fw, e, IN_Q_OVERFLOW);
				continue;
			}
			e = entry_of(fw, ev->wd);
			if (!e)
				continue;
			mark_pending(fw, e, ev->mask);
			if (ev->mask & IN_IGNORED)
				e->gone = true;
		}
	}
	dispatch(fw);
	return 0;
}

int fs_watches_new(sd_event *event, struct fs_watches **out, struct nano_err *err)
{
	struct fs_watches *fw = calloc(1, sizeof(*fw));
	int r;

	if (!fw || !(fw->buckets = calloc(FS_WATCH_BUCKETS, sizeof(*fw->buckets)))) {
		free(fw);
		return nano_err_set(err, ENOMEM, "out of memory");
	}
	fw->n_buckets = FS_WATCH_BUCKETS;
	fw->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (fw->fd < 0) {
		r = -errno;
		goto fail;
	}
	r = sd_event_add_io(event, &fw->source, fw->fd, EPOLLIN, on_inotify, fw);
	if (r < 0) {
		close(fw->fd);
		goto fail;
	}
	(void)sd_event_source_set_description(fw->source, "fs-watches");
	*out = fw;
	return 0;
fail:
	free(fw->buckets);
	free(fw);
	return nano_err_set(err, -r, "inotify: %s", strerror(-r));
}

struct fs_watches *fs_watches_free(struct fs_watches *fw)
{
	if (!fw)
		return NULL;
	fw->dispatching = true; /* marks only: collected below */
	for (size_t i = 0; i < fw->n_buckets; i++)
		for (struct fs_entry *e = fw->buckets[i]; e; e = e->hash_next)
			for (struct fs_watch *w = e->watches; w; w = w->next)
				fs_watch_remove(w);
	fw->dispatching = false;
	collect(fw);
	fw->source = sd_event_source_disable_unref(fw->source);
	close(fw->fd);
	free(fw->buckets);
	free(fw);
	return NULL;
}

int fs_watch_add(struct fs_watches *fw, const char *path, uint32_t mask, void (*fn)(void *userdata),
                 void *userdata, struct fs_watch **out)
{
	struct fs_watch *w = calloc(1, sizeof(*w));
	struct fs_entry *e;
	int wd;

	if (!w)
		return -ENOMEM;
	/* IN_MASK_ADD: the watch of a path already watched keeps the others' events */
	wd = inotify_add_watch(fw->fd, path, mask | IN_MASK_ADD);
	if (wd < 0) {
		int r = -errno;

		free(w);
		return r;
	}
	e = entry_of(fw, wd);
	if (!e) {
		e = calloc(1, sizeof(*e));
		if (!e) {
			free(w);
			(void)inotify_rm_watch(fw->fd, wd);
			return -ENOMEM;
		}
		e->wd = wd;
		e->hash_next = *bucket_of(fw, wd);
		*bucket_of(fw, wd) = e;
		fw->n_entries++;
		grow(fw);
	}
	*w = (struct fs_watch){.owner = fw,
	                       .entry = e,
	                       .mask = mask,
	                       .fn = fn,
	                       .userdata = userdata,
	                       .next = e->watches};
	e->watches = w;
	*out = w;
	return 0;
}

void fs_watch_remove(struct fs_watch *w)
{
	struct fs_entry *e;

	if (!w || w->removed)
		return;
	w->removed = true;
	e = w->entry;
	if (!e->dirty) {
		e->dirty = true;
		e->dirty_next = w->owner->dirty;
		w->owner->dirty = e;
	}
	if (!w->owner->dispatching)
		collect(w->owner);
}

size_t fs_watches_count(const struct fs_watches *fw)
{
	return fw ? fw->n_entries : 0;
}
