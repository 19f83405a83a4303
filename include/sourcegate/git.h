/*
 * sourcegate: reading a commit's tree from a git repository (libgit2), without a checkout.
 */
#ifndef SOURCEGATE_GIT_H
#define SOURCEGATE_GIT_H

#include "errors.h"
#include "tree.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_git_repo sg_git_repo;

/**
 * Open a local repository: a path to a bare or non-bare repository (or a folder inside a work
 * tree), or a file:// URL. Free with sg_git_repo_free(). Errors: SG_ENOTFOUND (no repository
 * there), SG_EINVALID (URL scheme other than file://), SG_EDEP.
 */
int sg_git_repo_open(sg_git_repo **out, sg_ctx *ctx, const char *path_or_url);

/** Free; trees made from the repository stay valid (they hold a reference). */
void sg_git_repo_free(sg_git_repo *repo);

/**
 * Resolve a revision (tag, branch, full or abbreviated sha, any git rev-parse expression) to
 * the commit it names, peeling annotated tags. out receives 40 hex digits and a NUL.
 * Errors: SG_ENOTFOUND (no such revision), SG_EINVALID (it names no commit).
 */
int sg_git_resolve(char out[41], sg_ctx *ctx, sg_git_repo *repo, const char *rev);

/**
 * The tree of commit `commit_hex` below `subdir` ("" or NULL for the root), as a checkout would
 * show it: regular files with the executable bit from the blob mode, content converted as
 * .gitattributes at that commit asks (eol=crlf, text, ident) for a checkout on Linux, symlinks
 * as SG_ENTRY_SYMLINK with their target, submodules as SG_ENTRY_SUBMODULE. Blobs are read
 * directly from the object database. Errors: SG_ENOTFOUND (no commit, subdir missing or not a
 * folder), SG_ELIMIT (git tree entries, blob size, path limits), SG_EDEP.
 */
int sg_git_tree(sg_tree **out, sg_ctx *ctx, sg_git_repo *repo, const char *commit_hex,
                const char *subdir);

/** Flags of sg_git_tree_ext(). */
#define SG_GIT_TREE_LAZY 0x1u /**< list files without reading them: entries are pending
                                   (size 0, unknown) until read or sg_tree_complete(); no
                                   blob, not even its header, is looked at before, so the
                                   object database may lack the blobs nobody reads (a
                                   partial clone). A read checks the blob's header first:
                                   SG_EINVALID "... is missing from the repository",
                                   SG_ELIMIT for git-blob-size */

/** sg_git_tree() with flags. */
int sg_git_tree_ext(sg_tree **out, sg_ctx *ctx, sg_git_repo *repo, const char *commit_hex,
                    const char *subdir, unsigned flags);

#ifdef __cplusplus
}
#endif
#endif
