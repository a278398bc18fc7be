/* pkg/image/unpack.h: the layer unpacker (unpack.c), private to pkg/image: store.c calls it
 * on a directory under tmp/ that it renames into layers/ when this returns 0. */
#pragma once

#include "image.h"

/* Reads the layer blob on fd (gzip, zstd or plain tar, told by its bytes) once: unpacks its
 * entries into the directory root_fd (empty, the layer's root) and writes the sha256 of the
 * uncompressed stream, all of it, into diff_id. -EBADMSG for a path that leaves the layer or
 * a broken archive, -errno from the filesystem; what is written then is the caller's to
 * remove. what names the blob in messages. */
int unpack_layer(int fd, int root_fd, const char *what, char diff_id[IMAGE_DIGEST_LEN + 1],
                 struct nano_err *err);
