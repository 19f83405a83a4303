/*
 * Glob matchers for the packlist and for git ignore rules.
 *
 * sg_glob is a port of minimatch 10 (the matcher npm 11's ignore-walk uses): brace expansion
 * (brace-expansion 5), `*`, `**`, `?`, `[...]` classes with POSIX names, extglobs
 * `@() ?() *() +() !()`, its fast paths, matchBase, flipNegate and partial matching.
 * Matching never backtracks exponentially: plain segments use the two-pointer wildcard
 * algorithm, extglob segments a Thompson NFA, `**` minimatch's own bounded section walk.
 * Differences from minimatch: case folding covers ASCII, Latin-1, Latin Extended-A, Greek and
 * Cyrillic only; `?` consumes one code point (JavaScript without the u flag: one UTF-16 unit);
 * POSIX classes approximate the Unicode properties for non-ASCII; a pattern whose brace
 * expansion exceeds SG_GLOB_MAX_EXPANSIONS is refused (SG_ELIMIT) instead of truncated.
 *
 * sg_glob__wildmatch is git's wildmatch() with WM_PATHNAME (case-sensitive), evaluated by
 * dynamic programming in O(pattern * text).
 */
#ifndef SG_GLOB_INT_H
#define SG_GLOB_INT_H

#include <stddef.h>
#include "sourcegate/errors.h"

#define SG_GLOB_NOCASE 1u     /**< case-insensitive (minimatch nocase) */
#define SG_GLOB_DOT 2u        /**< wildcards match a leading '.' (minimatch dot) */
#define SG_GLOB_MATCHBASE 4u  /**< a one-segment pattern matches the basename */
#define SG_GLOB_FLIPNEGATE 8u /**< match() reports a hit even for a '!' pattern */
#define SG_GLOB_NPM (SG_GLOB_NOCASE | SG_GLOB_DOT | SG_GLOB_MATCHBASE | SG_GLOB_FLIPNEGATE)

/** Longest pattern accepted (minimatch's assertValidPattern: 64 Ki). */
#define SG_GLOB_MAX_PATTERN (64 * 1024)
/** Most alternatives one pattern's braces may expand to. */
#define SG_GLOB_MAX_EXPANSIONS 4096
/** Most bytes all alternatives of one pattern may hold together. */
#define SG_GLOB_MAX_EXPANDED_BYTES (1024 * 1024)

typedef struct sg_glob sg_glob;

/**
 * Compile pattern[0..len) with SG_GLOB_* flags. Errors: SG_ENOMEM, SG_ELIMIT (pattern longer
 * than SG_GLOB_MAX_PATTERN, braces nested too deeply or expanding too far).
 */
int sg_glob__compile(sg_glob **out, sg_ctx *ctx, const char *pattern, size_t len, unsigned flags);

void sg_glob__free(sg_glob *g);

/**
 * minimatch's Minimatch#match(path, partial): 1 or 0 (SG_ENOMEM when a scratch allocation for
 * an extglob or a very deep path fails). With SG_GLOB_FLIPNEGATE, 1 means "the pattern
 * (without its '!') matched"; without it, a '!' pattern inverts the result. A compiled glob
 * holds no mutable state: matching from several threads at once is safe.
 */
int sg_glob__match(const sg_glob *g, const char *path, size_t len, int partial);

/** One '/'-separated part of a path. */
typedef struct sg_glob_seg {
    const char *p; /**< bytes (not NUL-terminated) */
    size_t n;      /**< length */
} sg_glob_seg;

/**
 * sg_glob__match() on a path already split as JavaScript's path.split(/\/+/) splits it
 * ("/a/b/" is "", "a", "b", ""); n >= 1. Lets a caller that tries many rules and many forms
 * of one path split it once. Does not have the `"/" with partial` shortcut of match().
 */
int sg_glob__match_segs(const sg_glob *g, const sg_glob_seg *segs, size_t n, int partial);

/** 1 when the pattern started with an odd number of '!'. */
int sg_glob__negate(const sg_glob *g);

/**
 * ignore-walk's isRelativeRule test: some expanded pattern has one segment, or two with an
 * empty last one ("name/").
 */
int sg_glob__relative(const sg_glob *g);

/**
 * git's wildmatch(pattern, text, WM_PATHNAME): `*` and `?` and classes never match '/',
 * `**` between slashes (or at either end) matches across folders, `\` escapes. 1 or 0, or
 * SG_ENOMEM. Callers apply git's literal-prefix step themselves (see gitignore.c).
 */
int sg_glob__wildmatch(const char *pattern, size_t plen, const char *text, size_t tlen);

#endif
