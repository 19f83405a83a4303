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

/**
 * The git blob id of data (SHA-1 of "blob <len>\0" and data), computed as git computes it,
 * with collision detection (libgit2's SHA-1DC): 0, or SG_EINVALID when the bytes carry a
 * SHA-1 collision attack, SG_EDEP when libgit2 fails otherwise. Any thread.
 */
int sg_git__blob_id(unsigned char out[20], sg_ctx *ctx, const void *data, size_t len);

/**
 * 1 when e, a file of a tree from sg_git_tree_ext(), has exactly the bytes of the blob the
 * commit's tree names (no checkout filter can apply to its path: no .gitattributes on it),
 * with that blob's id in out; 0 otherwise (another tree, a filtered path, not a file).
 * Nothing is read: a partial clone may lack the blob.
 */
int sg_git__tree_raw_blob(unsigned char out[20], const sg_tree *tree, const sg_entry *e);

#endif
