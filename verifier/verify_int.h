/*
 * The steps of the verification pipeline shared by local and registry mode.
 */
#ifndef SG_VERIFY_INT_H
#define SG_VERIFY_INT_H

#include "common/common.h"

/**
 * Read tarball bytes into the artifact tree; set the artifact digests, packer, package,
 * version and purl in report. `name` names the tarball in messages.
 */
int sg_verify__artifact(sg_tree **out, sg_report *report, sg_ctx *ctx,
                        const unsigned char *bytes, size_t len, const char *name);

/**
 * Compare the artifact with what npm would pack from `commit` below `subdir`, adding findings
 * to report (the verdict is not decided here).
 */
int sg_verify__compare(sg_report *report, sg_ctx *ctx, const sg_tree *artifact, sg_git_repo *repo,
                       const char *commit, const char *subdir);

/**
 * sg_verify__compare() with a rebuild (rebuild.h; NULL or mode never: none). In auto mode the
 * package is rebuilt when it has a build and the artifact has files the source lacks that the
 * build may make, or code files with other bytes; in always mode on every call. The rebuilt
 * package is diffed with the artifact (DESIGN.md "Rebuild"), its choices, steps, log and
 * outcome go into the report. Errors: those of sg_verify__compare(), and SG_EUNSUPPORTED when
 * always mode cannot make a sandbox and unsafe mode is off.
 */
int sg_verify__compare_ext(sg_report *report, sg_ctx *ctx, const sg_tree *artifact,
                           sg_git_repo *repo, const char *commit, const char *subdir,
                           const struct sg_rebuild_opts *rebuild);

/**
 * sg_verify__compare_ext() for a registry release: published is the packument's time[version]
 * (ISO 8601, NULL when absent). A rebuilt file whose tokens differ from the artifact's is
 * reproduced when the artifact's token is that time (or the commit, or the version) or varies
 * between two builds (docs/rebuild.md "Outcomes per file").
 */
int sg_verify__compare_release(sg_report *report, sg_ctx *ctx, const sg_tree *artifact,
                               sg_git_repo *repo, const char *commit, const char *subdir,
                               const struct sg_rebuild_opts *rebuild, const char *published);

/** 1 when name (len bytes) is a valid npm package name (verify_release.c). */
int sg_verify__valid_name(const char *name, size_t len);

#endif
