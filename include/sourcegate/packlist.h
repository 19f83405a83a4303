/*
 * sourcegate: npm's packing rules, applied to a source tree (NPM-PACK.md §1, §5.1).
 */
#ifndef SOURCEGATE_PACKLIST_H
#define SOURCEGATE_PACKLIST_H

#include <stddef.h>
#include "errors.h"
#include "tree.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_packlist_opts {
    /**
     * Ignore files of the folders between the workspace root and the package folder, outermost
     * first (npm workspace packs, NPM-PACK.md §1.8): their lines are added as default rules.
     * May be NULL/0.
     */
    const char *const *ancestor_ignores;
    const size_t *ancestor_ignore_lens;
    size_t ancestor_ignore_count;
} sg_packlist_opts;

#define SG_PACKLIST_OPTS_INIT { NULL, NULL, 0 }

/**
 * The files `npm pack` (npm 11, npm-packlist 10) would put in the tarball when run in a
 * checkout of `pkg` (a tree rooted at the package folder): package.json `files`, .npmignore and
 * .gitignore at every level with their precedence, default and strict exclusions, the
 * always-included names, forced main/bin/browser. Symlinks and submodules are dropped, as npm
 * drops them. *out shares pkg's content backend.
 *
 * The executable bit of each kept entry is adjusted as npm writes it (NPM-PACK.md §3.3: bin
 * files at the root gain +x, including the isPackageBin quirk).
 *
 * Errors: SG_ENOTFOUND (no package.json), SG_EINVALID (package.json not a JSON object, `files`
 * not an array), SG_ELIMIT.
 */
int sg_packlist_npm(sg_tree **out, sg_ctx *ctx, const sg_tree *pkg, const sg_packlist_opts *opts);

/** A set of .gitignore files evaluated with git's rules over one tree. */
typedef struct sg_gitignore sg_gitignore;

/** Read every .gitignore of `tree` (lazily is fine). Free with sg_gitignore_free(). */
int sg_gitignore_new(sg_gitignore **out, sg_ctx *ctx, const sg_tree *tree);

void sg_gitignore_free(sg_gitignore *gi);

/**
 * Would git ignore `path` (relative to the tree's root, a file unless is_dir) by the tree's
 * .gitignore files (git semantics: last match wins, a parent folder excluded excludes all
 * below)? *out is 1 or 0.
 */
int sg_gitignore_match(int *out, sg_ctx *ctx, sg_gitignore *gi, const char *path, int is_dir);

#ifdef __cplusplus
}
#endif
#endif
