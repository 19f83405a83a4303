/*
 * Bundled dependencies (issue 15): the node_modules/ folders a release ships, verified against
 * the registry's own releases of those packages (docs/finding-kinds.md
 * "bundled-from-registry").
 */
#ifndef SG_BUNDLED_INT_H
#define SG_BUNDLED_INT_H

#include "common/common.h"

/** At most this many bundled releases are fetched per verification; the rest are unverified. */
#define SG_BUNDLED_MAX_RELEASES 1000

/** What verifying the bundled dependencies left for the comparison with the source. */
typedef struct sg_bundled {
    sg_tree *rest;    /* the artifact without the files settled here (NULL: nothing was) */
    size_t explained; /* files equal to their bundled release's copy */
    size_t releases;  /* bundled releases looked at */
} sg_bundled;

#define SG_BUNDLED_INIT                                                                            \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void sg_bundled__dispose(sg_bundled *b);

/**
 * Verify every package folder under the artifact's node_modules/ that its manifest bundles
 * (bundleDependencies or bundledDependencies; true: every dependency), or that a bundled
 * package depends on (nested below it, or hoisted): read its package.json (name, version),
 * fetch that release from `registry` with its integrity, and compare file by file. Equal
 * bytes are explained; other bytes are a high file-modified, a file the release lacks a high
 * file-added, a release the registry does not have (or an invalid name or version, or more
 * than SG_BUNDLED_MAX_RELEASES) file-unverified, each naming the release. Folders that are
 * not bundled are left to the comparison with the source (out->rest keeps them).
 * Errors: network and cache failures (SG_ENET, SG_EIO; an offline cache miss), SG_ENOMEM;
 * never a finding for those.
 */
int sg_bundled__verify(sg_bundled *out, sg_report *report, sg_ctx *ctx, sg_registry *registry,
                       const sg_tree *artifact, int offline);

#endif
