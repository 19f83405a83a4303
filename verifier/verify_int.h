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

#endif
