/*
 * Internal interface of the git reader for the rest of verifier/ (mirrors, resolution).
 */
#ifndef SG_GIT_INT_H
#define SG_GIT_INT_H

#include <git2.h>

#include "sourcegate/git.h"

/** The libgit2 repository as opened (refs, rev-parse, history), borrowed. */
git_repository *sg_git__repository(sg_git_repo *repo);

#define SG_GIT_FILE_URL_HOST 1      /**< sg_git__file_url_path(): the URL names another host */
#define SG_GIT_FILE_URL_MALFORMED 2 /**< sg_git__file_url_path(): a bad or %00 escape */

/**
 * Append the local path a "file://" URL names (the caller checked the scheme, in any case) to
 * out, percent-decoded: "file:///p" and "file://localhost/p" ("localhost" in any case) name
 * "/p". Returns 0 (out's own error aside), SG_GIT_FILE_URL_HOST when the URL names another
 * host, or SG_GIT_FILE_URL_MALFORMED at a '%' not followed by two hex digits or at "%00" (a
 * path cannot hold a NUL). out may then hold part of the path. The one decoder of the git
 * reader (local mode) and the mirrors (local upstreams), so both open the same folder.
 */
int sg_git__file_url_path(sg_buf *out, const char *url);

#endif
