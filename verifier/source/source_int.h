/*
 * Internals shared by the source-resolution files (repo_url.c, url_rewrite.c, mirror.c,
 * resolve.c) and their tests.
 */
#ifndef SG_SOURCE_INT_H
#define SG_SOURCE_INT_H

#include <stddef.h>
#include <git2.h>

#include "sourcegate/source.h"
#include "verifier/source/git_int.h"

/** Longest repository URL accepted from registry data (bytes, after trimming). */
#define SG_REPO_URL_MAX 2048

/** The libgit2 repository inside an sg_git_repo (git_int.h). */
static inline git_repository *sg_source__git(sg_git_repo *repo)
{
    return sg_git__repository(repo);
}

/**
 * Append `value` to out for an error message: credentials (userinfo before '@' in the
 * authority) removed, bytes outside printable ASCII shown as '?', at most 200 bytes.
 */
int sg_source__quote_url(sg_buf *out, const char *value);

/**
 * sg_repo_url_normalize() without lowercasing the path on GitHub, GitLab and Bitbucket:
 * "git+ssh://git@github.com/Microsoft/tslib" -> "https://github.com/Microsoft/tslib.git".
 * Same length and same bytes as the canonical URL apart from the case of the path, so an
 * offset into one is an offset into the other. Same errors.
 */
int sg_repo_url__normalize_keep_case(sg_buf *out, sg_ctx *ctx, const char *value);

/**
 * 1 when a canonical repository URL that came from registry data may be fetched as it is: its
 * host is a public DNS name (no IP literal, no "localhost" or single-label name, no .local,
 * .localhost, .internal, .lan, .home.arpa name) on the default https port. 0 with the reason
 * in why otherwise: a packument must not make sourcegate connect to this machine or its
 * network. A user's --git-rewrite or --source is not checked.
 */
int sg_repo_url__public(const char *canonical, char *why, size_t why_size);

/**
 * The cache-relative folder of the mirror of `canonical`: "git/<host>/<path>.git", every
 * segment made of [A-Za-z0-9._-] and never starting with '.'; when sanitizing changed
 * anything (or the result would be too long) a "-<12 hex of sha256(canonical)>" suffix keeps
 * different URLs apart. out is replaced. SG_EINVALID for an empty URL.
 */
int sg_mirror__relpath(sg_buf *out, sg_ctx *ctx, const char *canonical);

/**
 * sg_mirror_open() that also reports how many objects came in: received by the fetch plus
 * copied from a local (file:// or absolute path) upstream's object files (0 offline or when
 * nothing was new). received may be NULL.
 */
int sg_mirror__open(sg_git_repo **out, sg_ctx *ctx, sg_cache *cache, const char *canonical,
                    const char *url, int offline, size_t *received);

/** Bound of the package.json history walk (commits). Tests may lower it. */
extern size_t sg_resolve__max_commits;

#endif
