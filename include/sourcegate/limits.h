/*
 * sourcegate: limits on untrusted input.
 *
 * Every input sourcegate reads (tarballs, package.json, git repositories, ...) is hostile.
 * Each limit has a default and a hard ceiling (SQLite sqliteLimit.h): a run may lower a limit
 * or raise it up to the ceiling, never beyond.
 */
#ifndef SOURCEGATE_LIMITS_H
#define SOURCEGATE_LIMITS_H

#include <stdint.h>
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SG_LIMIT_TARBALL_BYTES,   /**< compressed tarball size */
    SG_LIMIT_UNPACKED_BYTES,  /**< sum of the sizes of all tar entries */
    SG_LIMIT_RATIO,           /**< unpacked bytes / compressed bytes (gzip bomb guard) */
    SG_LIMIT_ENTRIES,         /**< entries in one tarball or tree */
    SG_LIMIT_PATH_LENGTH,     /**< bytes in one path */
    SG_LIMIT_PATH_DEPTH,      /**< components in one path */
    SG_LIMIT_FILE_SIZE,       /**< bytes in one file */
    SG_LIMIT_JSON_DEPTH,      /**< nesting depth of a JSON document */
    SG_LIMIT_JSON_SIZE,       /**< bytes of one JSON document */
    SG_LIMIT_GIT_BLOB_SIZE,   /**< bytes of one git blob read */
    SG_LIMIT_GIT_TREE_ENTRIES,/**< entries under the package folder of a git tree */
    SG_LIMIT_IGNORE_RULES,    /**< rules in one .npmignore/.gitignore */
    SG_LIMIT__COUNT
} sg_limit;

/** The default of a limit. */
uint64_t sg_limit_default(sg_limit which);

/** The hard ceiling of a limit. */
uint64_t sg_limit_ceiling(sg_limit which);

/** The option name of a limit ("tarball-bytes", ...), for --limit NAME=VALUE. */
const char *sg_limit_name(sg_limit which);

/** Look a limit up by its option name; SG_ENOTFOUND when unknown. */
int sg_limit_lookup(sg_limit *out, const char *name);

/** The value in force in ctx. */
uint64_t sg_ctx_limit(const sg_ctx *ctx, sg_limit which);

/**
 * Set a limit for this context. Returns SG_EINVALID (message in ctx) when value is 0 or above
 * the ceiling.
 */
int sg_ctx_set_limit(sg_ctx *ctx, sg_limit which, uint64_t value);

#ifdef __cplusplus
}
#endif
#endif
