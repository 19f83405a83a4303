/*
 * sourcegate: the verification pipeline.
 */
#ifndef SOURCEGATE_VERIFY_H
#define SOURCEGATE_VERIFY_H

#include "errors.h"
#include "report.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_verify_opts {
    const char *tarball_path; /**< the packed artifact (.tgz) */
    const char *source;       /**< git repository: a path or a file:// URL */
    const char *ref;          /**< revision to compare with; NULL means HEAD */
    const char *subdir;       /**< package folder inside the repository; NULL or "" for root */
    sg_severity fail_on;      /**< findings at or above this fail the verification */
} sg_verify_opts;

#define SG_VERIFY_OPTS_INIT { NULL, NULL, NULL, NULL, SG_SEV_HIGH }

/**
 * Local mode: verify a packed tarball against a commit of a git repository. On success
 * *out holds the report with its verdict decided (free with sg_report_free()); a verdict of
 * fail is not an error. Errors: SG_EINVALID or SG_ELIMIT for a bad tarball, SG_ENOTFOUND for a
 * missing file, repository, ref or subdir, SG_EIO, SG_EDEP, SG_ENOMEM.
 */
int sg_verify_local(sg_report **out, sg_ctx *ctx, const sg_verify_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
