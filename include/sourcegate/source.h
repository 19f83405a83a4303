/*
 * sourcegate: from a release to the commit it was cut from (DESIGN.md "Source resolution").
 */
#ifndef SOURCEGATE_SOURCE_H
#define SOURCEGATE_SOURCE_H

#include <stddef.h>
#include "errors.h"
#include "buf.h"
#include "cache.h"
#include "git.h"
#include "report.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Normalize a package.json/packument `repository` value (a string or an object's url) to one
 * canonical https URL: `owner/repo`, `github:`, `gitlab:`, `bitbucket:`, `gist:`,
 * `git+https://`, `git://`, `git+ssh://git@`, `ssh://`, `git@host:owner/repo`, `https://`
 * with or without `.git`, trailing slashes, `#ref` fragments and credentials removed; host
 * lowercased; GitHub/GitLab/Bitbucket owner and repo lowercased (they are case-insensitive
 * there); always ending in ".git". Example: "git+ssh://git@github.com/Axios/axios" ->
 * "https://github.com/axios/axios.git". out is replaced. SG_EINVALID for values that are not
 * a repository URL (message quotes the value with credentials removed).
 */
int sg_repo_url_normalize(sg_buf *out, sg_ctx *ctx, const char *value);

/** A set of URL prefix rewrites (--git-rewrite FROM=TO, git's url.<base>.insteadOf). */
typedef struct sg_url_rewrites sg_url_rewrites;

int sg_url_rewrites_new(sg_url_rewrites **out, sg_ctx *ctx);
void sg_url_rewrites_free(sg_url_rewrites *rw);

/** Add FROM -> TO. SG_EINVALID when from is empty. */
int sg_url_rewrites_add(sg_url_rewrites *rw, sg_ctx *ctx, const char *from, const char *to);

/**
 * Add the url.<base>.insteadOf entries of a git config file's text (as in ~/.gitconfig).
 */
int sg_url_rewrites_add_gitconfig(sg_url_rewrites *rw, sg_ctx *ctx, const char *text, size_t len);

/** Apply the longest matching FROM prefix to url into out (replaced; url itself if none). */
int sg_url_rewrites_apply(sg_buf *out, sg_ctx *ctx, const sg_url_rewrites *rw, const char *url);

/**
 * Rewrite a repository URL from registry data (a package.json "repository" value) the way
 * git's url.<base>.insteadOf rewrites the URL it is given. A FROM matches when it is a prefix
 * of any of three forms of the value:
 *   1. the https form with the case of the value kept ("git+ssh://git@github.com/Microsoft/
 *      tslib" -> "https://github.com/Microsoft/tslib.git"),
 *   2. the value as written (blanks and a "#ref" or "?query" tail dropped),
 *   3. the canonical form of sg_repo_url_normalize() ("https://github.com/microsoft/tslib.git").
 * The longest matching FROM wins, the latest added among equal lengths; for it the first
 * matching form above gives the rest of the URL (a match of form 3 takes the rest from form 1,
 * so the case of the value is kept). out is TO followed by that rest, or TO alone when the rest
 * is empty or ".git" (FROM named the whole repository: no ".git" is added to a TO written
 * without it). Without a match out is the canonical form. *taken_over is 1 when a FROM matched
 * and its TO names where to fetch from by itself (a path, a file: URL, a URL with a '/' after
 * its host, an scp-like "host:"): the registry data no longer chooses the host. A TO such as
 * "https://" leaves *taken_over 0. out is replaced. SG_EINVALID when value is not a
 * repository URL (as sg_repo_url_normalize).
 */
int sg_url_rewrites_apply_repo(sg_buf *out, int *taken_over, sg_ctx *ctx,
                               const sg_url_rewrites *rw, const char *value);

/**
 * Make or update the bare mirror of `url` (already rewritten) in the cache's git/ folder under
 * a lock, fetching all branches and tags (only new objects on later runs), then open it.
 * Offline: open the existing mirror without fetching; SG_ENOTFOUND when there is none.
 * `canonical` (the URL before rewriting) names the mirror folder so rewrites do not change it.
 * Errors: SG_ENET (fetch failed: message names the URL without credentials), SG_EDEP.
 */
int sg_mirror_open(sg_git_repo **out, sg_ctx *ctx, sg_cache *cache, const char *canonical,
                   const char *url, int offline);

/** What the registry says about a release, for resolution. */
typedef struct sg_release_hints {
    const char *name;                /**< package name */
    const char *version;             /**< exact version */
    const char *git_head;            /**< packument versions[v].gitHead, or NULL */
    const char *provenance_commit;   /**< commit named by a provenance attestation, or NULL */
    const char *directory;           /**< repository.directory, or NULL */
    const char *const *earlier;      /**< earlier versions of the package, newest first */
    size_t nearlier;                 /**< number of earlier versions */
} sg_release_hints;

/** How the commit was found. */
typedef struct sg_resolution {
    char commit[41];         /**< the commit, "" when none */
    const char *resolved_by; /**< "provenance", "gitHead", "tag", "history", or NULL */
    char ref[256];           /**< the tag that named it, "" when none */
    char subdir[1024];       /**< the package folder at that commit, "" at the root */
    char compared_commit[41];/**< when unresolved: the nearest earlier release's commit */
    char compared_ref[256];  /**< ... and its tag (or "") */
    char compared_version[128]; /**< ... and its version */
    sg_buf tried;            /**< candidates tried, one "how: what -> outcome" per line */
} sg_resolution;

void sg_resolution_init(sg_resolution *res);
void sg_resolution_dispose(sg_resolution *res);

/**
 * Find the commit the release was cut from, in DESIGN.md's order: provenance commit, gitHead,
 * the tag patterns (v{V}, {V}, {name}@{V}, {unscoped}@{V}, {unscoped}-v{V}, release-{V},
 * release/{V}; exact, then case-insensitive), then the package.json history (first commit
 * where the package folder's package.json carries V). Each candidate is checked: the
 * package.json at that commit (in the package folder: `directory`, else packages/<unscoped>,
 * else the folder whose package.json names the package) names the package and the version or
 * a placeholder. Findings go to report: ref-mismatch (gitHead, tag and provenance disagree),
 * ref-unreachable (commit on no branch or tag), ref-unresolved (none found: then the nearest
 * earlier version in hints->earlier that resolves fills compared_*).
 * Returns 0 whether or not a commit was found (res->commit tells); errors only for failures
 * (SG_EDEP, SG_ENOMEM, limits).
 */
int sg_resolve_commit(sg_resolution *res, sg_ctx *ctx, sg_git_repo *repo,
                      const sg_release_hints *hints, sg_report *report);

#ifdef __cplusplus
}
#endif
#endif
