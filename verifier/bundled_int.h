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

/** A finding about a bundled file, held until the source has had its say. */
typedef struct sg_bundled_finding {
    const char *path;         /* the artifact's path, borrowed from the artifact */
    unsigned char sha256[32]; /* the artifact's bytes, hashed */
    const char *kind;         /* "file-modified", "file-added", "file-unverified" (static) */
    sg_severity severity;     /* its severity */
    char *detail;             /* what the registry said; sg_malloc'd */
} sg_bundled_finding;

/** What verifying the bundled dependencies left for the comparison with the source. */
typedef struct sg_bundled {
    sg_tree *rest;               /* the artifact without the files settled here (NULL: none) */
    size_t explained;            /* files equal to their bundled release's copy */
    size_t releases;             /* bundled releases looked at */
    sg_bundled_finding *pending; /* findings not yet in the report (sg_bundled__report()) */
    size_t npending;             /* how many */
    size_t cap;                  /* allocated */
} sg_bundled;

void sg_bundled__dispose(sg_bundled *b);

/**
 * Add b's pending findings to report, except for files the commit holds with the same bytes
 * (committed: the package folder's files at those paths, hashed; NULL when there is no
 * source): the source explains them whatever the registry says, as for any file the packing
 * rules leave out (normalization "ignored-but-tracked", counted in files_explained).
 * Errors: SG_ENOMEM.
 */
int sg_bundled__report(sg_bundled *b, sg_report *report, sg_ctx *ctx, const sg_tree *committed);

/**
 * Verify every package folder under the artifact's node_modules/ that its manifest bundles
 * (bundleDependencies or bundledDependencies; true: every dependency), or that a bundled
 * package depends on (nested below it, or hoisted): read its package.json (name, version),
 * fetch that release from `registry` with its integrity, and compare file by file. Equal
 * bytes are explained; other bytes are a high file-modified, a file the release lacks a high
 * file-added, a release the registry does not have (or an invalid name or version, or more
 * than SG_BUNDLED_MAX_RELEASES) file-unverified, each naming the release: those findings
 * wait in out->pending for sg_bundled__report(). Folders that are
 * not bundled are left to the comparison with the source (out->rest keeps them).
 * Errors: network and cache failures (SG_ENET, SG_EIO; an offline cache miss), SG_ENOMEM;
 * never a finding for those.
 */
int sg_bundled__verify(sg_bundled *out, sg_report *report, sg_ctx *ctx, sg_registry *registry,
                       const sg_tree *artifact, int offline);

#endif
