/*
 * Internals shared by the registry client (registry.c), the npm configuration (npm_config.c)
 * and the cache (cache.c); also used by their tests and the packument fuzz target.
 */
#ifndef SG_REGISTRY_INT_H
#define SG_REGISTRY_INT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "sourcegate/buf.h"
#include "sourcegate/cache.h"
#include "sourcegate/errors.h"
#include "sourcegate/registry.h"
#include "verifier/fetch/url_int.h"

/* ---- tokens (npm_config.c) ------------------------------------------------------------- */

/**
 * The auth token for a request URL by npm's nerf-dart rules: "//host[:port]/path" walked up
 * segment by segment (and trailing slash) until a "//host/path/:_authToken" key matches.
 * NULL when none (or cfg is NULL). Borrowed.
 */
const char *sg_npm_config__token_for(const sg_npm_config *cfg, const char *url);

/* ---- cache internals (cache.c) --------------------------------------------------------- */

/** A fresh temporary file in the cache's tmp/ folder (mode 0600); its path into path_out. */
int sg_cache__tmpfile(int *fd_out, sg_buf *path_out, sg_ctx *ctx, sg_cache *cache);

/**
 * Make the temporary file `tmp_path` (open as fd, which is fsynced and closed here in every
 * case) appear atomically at relpath, creating parent folders. On failure the temporary file
 * is removed.
 */
int sg_cache__commit(sg_ctx *ctx, sg_cache *cache, int fd, const char *tmp_path,
                     const char *relpath);

/** 1 when relpath is a normalized relative path the cache accepts. */
int sg_cache__relpath_ok(const char *relpath);

/**
 * Lock file name used for `name` by sg_cache_lock (bytes other than [A-Za-z0-9._-] are
 * %XX-encoded, so "git/github.com/a/b.git" becomes one flat file name). Into out (replaced).
 */
int sg_cache__lock_filename(sg_buf *out, const char *name);

/* ---- registry internals (registry.c) --------------------------------------------------- */

/**
 * Parse a packument body exactly as sg_registry_packument does after a 200: JSON limits, an
 * object, and when it carries a string "name" it must equal `name`.
 */
int sg_registry__parse_packument(cJSON **out, sg_ctx *ctx, const char *data, size_t len,
                                 const char *name);

/** The packument URL path component for a name: "@scope/x" -> "@scope%2fx". SG_EINVALID for
 *  names npm would not publish (empty, too long, not URL-safe, "." or ".." parts). */
int sg_registry__escape_name(sg_buf *out, sg_ctx *ctx, const char *name);

#endif
