/* pkg/image/store_private.h: what store.c and record.c share of the content store, private
 * to pkg/image. */
#pragma once

#include <pthread.h>

#include "image.h"

struct image_store {
	char *dir;                    /* <state_dir>/images */
	pthread_mutex_t records_lock; /* over the read-change-write of records (record.c) */
};

/* "<dir>/<sub>/<hex of digest>" for a valid digest, malloc'd; NULL otherwise or on ENOMEM. */
char *store_digest_path(const struct image_store *s, const char *sub, const char *digest,
                        const char *suffix);
/* Writes data to a tmp/ file, fsyncs it and renames it to path (atomic replacement). */
int store_write_atomic(struct image_store *s, const char *path, const void *data, size_t len,
                       struct nano_err *err);
/* Bytes under path (a blob or a layer's directory): blocks, a hard-linked file's shared
 * among its links. 0 when absent. */
int64_t store_path_bytes(const char *path);
