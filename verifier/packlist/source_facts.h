/*
 * What the verifier knows about the source repository at the commit, handed to the diff as
 * callbacks (sg_diff_opts): does the package have a build, is a missing file plausibly a build
 * output, the versions of the workspace packages.
 */
#ifndef SG_SOURCE_FACTS_H
#define SG_SOURCE_FACTS_H

#include "common/common.h"

typedef struct sg_source_facts {
    const sg_tree *root;     /**< the repository root's tree (or the package's when at root) */
    const sg_tree *pkg;      /**< the package folder's tree */
    char *subdir;            /**< package folder relative to root, "" at the root */
    sg_gitignore *gi;        /**< .gitignore rules of root, NULL until needed */
    int has_build;           /**< the package has a build step */
    char build_reason[160];  /**< what makes it one ("scripts.build", "tsconfig.json") */
    char **out_dirs;         /**< output folders build configs name, package-relative */
    size_t nout;             /**< number of out_dirs */
    size_t out_cap;          /**< allocated length of out_dirs */
    char **submodules;       /**< package-relative paths of submodules */
    size_t nsub;             /**< number of submodules */
    size_t sub_cap;          /**< allocated length of submodules */
    char **ws_names;         /**< workspace packages, each "name\0version" */
    size_t nws;              /**< number of workspace packages */
    size_t ws_cap;           /**< allocated length of ws_names */
    sg_ctx *ctx;             /**< for gitignore evaluation inside callbacks */
    char why[1024];          /**< the last explanation given by the possibly_built callback */
    const char *rebuild_note;/**< what the rebuild says about such a file, ending the
                                  explanation ("not rebuilt" when NULL); owned by the caller */
    char publish_from[300];  /**< why the release is packed from another folder than the
                                  package's ("" when it is not): a private package.json, or
                                  publishConfig.directory */
} sg_source_facts;

#define SG_SOURCE_FACTS_INIT {0}

/**
 * Gather the facts. root is the repository root's tree (pkg itself when subdir is ""), pkg the
 * package folder's; both must outlive the facts. Errors: SG_ENOMEM.
 */
int sg_source_facts_init(sg_source_facts *f, sg_ctx *ctx, const sg_tree *root, const sg_tree *pkg,
                         const char *subdir);

/** Point the diff options' callbacks at these facts. */
void sg_source_facts_diff_opts(sg_source_facts *f, sg_diff_opts *opts);

void sg_source_facts_dispose(sg_source_facts *f);

#endif
