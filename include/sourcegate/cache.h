/*
 * sourcegate: the local cache (DESIGN.md "Store and scale").
 *
 * Layout under the cache folder (default $XDG_CACHE_HOME/sourcegate):
 *   tarballs/sha512/<hh>/<hex>.tgz    tarballs, content-addressed by their SHA-512
 *   packuments/<registry-host>/<encoded-name>.json (+ .etag)   full packuments
 *   git/<host>/<path>.git             bare mirrors by normalized repository URL
 *   trust/<kind>/<url>.json (+ .meta) registry keys and attestation documents (trust.h)
 *   locks/                            lock files (flock) guarding mirror updates
 *   tmp/                              temporary files, renamed into place (atomic writes)
 * Two processes sharing one cache are safe: files appear atomically and mirror updates are
 * serialized by locks.
 */
#ifndef SOURCEGATE_CACHE_H
#define SOURCEGATE_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"
#include "buf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_cache sg_cache;

/** Open (creating folders as needed, mode 0700) the cache at dir. SG_EIO on failure. */
int sg_cache_open(sg_cache **out, sg_ctx *ctx, const char *dir);

void sg_cache_free(sg_cache *cache);

/** The cache's root folder, borrowed. */
const char *sg_cache_dir(const sg_cache *cache);

/**
 * Write data to `relpath` under the cache atomically (temporary file in tmp/, fsync, rename).
 * Parent folders are created. relpath must be normalized (no "..").
 */
int sg_cache_write(sg_cache *cache, sg_ctx *ctx, const char *relpath, const void *data,
                   size_t len);

/**
 * Read `relpath` into out (appended), refusing more than `limit` bytes. SG_ENOTFOUND when
 * absent. Touches the file's mtime so prune keeps what is used.
 */
int sg_cache_read(sg_buf *out, sg_ctx *ctx, sg_cache *cache, const char *relpath, uint64_t limit);

/** Absolute path of relpath in out (replaced). */
int sg_cache_path(sg_buf *out, sg_ctx *ctx, const sg_cache *cache, const char *relpath);

/** An exclusive lock on name (a file in locks/), blocking. Release with sg_cache_unlock(). */
int sg_cache_lock(int *fd_out, sg_ctx *ctx, sg_cache *cache, const char *name);
void sg_cache_unlock(int fd);

typedef struct sg_cache_prune_stats {
    uint64_t files_removed;   /**< tarballs and packuments removed */
    uint64_t mirrors_removed; /**< git mirrors removed */
    uint64_t bytes_freed;     /**< bytes of the removed files */
} sg_cache_prune_stats;

/**
 * Remove tarballs, packuments and mirrors not used for `older_than_seconds` (0: everything),
 * and stale temporary files. Holds each mirror's lock while removing it.
 */
int sg_cache_prune(sg_cache_prune_stats *stats, sg_ctx *ctx, sg_cache *cache,
                   uint64_t older_than_seconds);

#ifdef __cplusplus
}
#endif
#endif
