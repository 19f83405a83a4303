/*
 * Path normalization for entries of archives and trees: relative, '/'-separated, no empty,
 * "." or ".." segments, no NUL or backslash.
 */
#ifndef SG_PATH_H
#define SG_PATH_H

#include <stddef.h>
#include "sourcegate/buf.h"

typedef enum {
    SG_PATH_OK = 0,
    SG_PATH_EMPTY,        /**< nothing left (e.g. "./" or the top folder itself) */
    SG_PATH_ABSOLUTE,     /**< starts with '/' */
    SG_PATH_PARENT,       /**< a ".." segment */
    SG_PATH_NUL,          /**< contains a NUL byte */
    SG_PATH_BACKSLASH,    /**< contains '\\' */
    SG_PATH_TOO_LONG,     /**< longer than the limit */
    SG_PATH_TOO_DEEP,     /**< more components than the limit */
} sg_path_status;

/** Why a path was refused, as a phrase: "is absolute", "has a '..' segment", ... */
const char *sg_path_status_phrase(sg_path_status st);

/**
 * Normalize in[0..len) into out (replacing its content): drop empty and "." segments, refuse
 * ".." (never resolved: an entry that needs it is hostile), absolute paths, NUL and backslash.
 * With strip_first, the first remaining component is removed and copied into top (if top is
 * not NULL, up to top_size-1 bytes). *dotted is set to 1 when "." or empty segments were
 * dropped. Limits: max_len bytes and max_depth components of the result.
 * Returns SG_PATH_OK or why it refused; a buffer allocation failure shows in out->error.
 */
sg_path_status sg_path_normalize(sg_buf *out, const char *in, size_t len, int strip_first,
                                 char *top, size_t top_size, int *dotted, size_t max_len,
                                 size_t max_depth);

/** The last component of a normalized path (pointer into it). */
const char *sg_path_basename(const char *path);

/** Extension of the basename including the dot, lowercased into out ("" if none); node's
 *  path.extname rules: ".hidden" has none. */
void sg_path_extname_lower(char *out, size_t out_size, const char *path);

/** ASCII case-insensitive comparisons. */
int sg_strcasecmp(const char *a, const char *b);
int sg_strncasecmp(const char *a, const char *b, size_t n);

/** 1 when path equals prefix or lies below it ("dist" covers "dist/a.js", not "distx"). */
int sg_path_under(const char *path, const char *prefix);

#endif
