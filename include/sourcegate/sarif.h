/*
 * sourcegate: SARIF 2.1.0 for a set of release reports (GitHub code scanning).
 *
 * One run of the tool "sourcegate"; one rule per finding kind of the table (report.h), so
 * rule ids are the stable kind names; one result per finding, located at a line of one file
 * (for `sourcegate lockfile`: the lockfile line of the entry that pins the release). What
 * GitHub requires beyond the schema (shared/FORMATS.md §5) is always written: $schema, rule
 * short and full descriptions and help, result message and location, partialFingerprints.
 */
#ifndef SOURCEGATE_SARIF_H
#define SOURCEGATE_SARIF_H

#include <stddef.h>
#include "errors.h"
#include "buf.h"
#include "report.h"

#ifdef __cplusplus
extern "C" {
#endif

/** One release's report and where its results point. */
typedef struct sg_sarif_release {
    const sg_report *report; /**< its findings (package and version are read from it) */
    unsigned line;           /**< 1-based line in the artifact (0 is written as 1) */
    const char *error;       /**< when report is NULL: why the release could not be verified
                                  (an operational error, written as a tool execution
                                  notification, never as a result); else NULL */
} sg_sarif_release;

typedef struct sg_sarif_opts {
    const char *artifact_uri; /**< the file results point into, relative to the repository
                                   root ("package-lock.json"); required */
    const char *category;     /**< runAutomationDetails.id prefix, e.g. "sourcegate/lockfile";
                                   NULL: none written */
    sg_severity min_severity; /**< findings below it are left out (SG_SEV_LOW by default:
                                   info findings are context, not alerts) */
} sg_sarif_opts;

#define SG_SARIF_OPTS_INIT                                                                         \
    {                                                                                              \
        NULL, NULL, SG_SEV_LOW                                                                     \
    }

/** Results per run that GitHub accepts; past it the run stops and says it was truncated. */
#define SG_SARIF_MAX_RESULTS 25000

/**
 * Append the SARIF log to out. Levels: critical and high findings are "error", medium
 * "warning", low and info "note"; each rule carries properties.security-severity from its
 * default severity (critical 9.5, high 8.0, medium 5.5, low 3.0, info 1.0) and the tags
 * "security" and "supply-chain". Releases that carry an `error` instead of a report are
 * written as invocations[0].toolExecutionNotifications (level "error", located at their line)
 * with executionSuccessful false; a log without them has no invocations. Errors: SG_EINVALID (no
 * artifact_uri), SG_ENOMEM, SG_ELIMIT (the buffer's limit).
 */
int sg_sarif_write(sg_buf *out, sg_ctx *ctx, const sg_sarif_release *releases, size_t n,
                   const sg_sarif_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
