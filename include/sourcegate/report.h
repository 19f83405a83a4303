/*
 * sourcegate: findings, verdicts and the verification report.
 *
 * A report collects what one verification found: the package, the artifact, the source, the
 * normalizations applied, the findings and the counts. Finding kinds are a closed, documented
 * set (docs/finding-kinds.md); sg_report_add() refuses a kind not in the table so that nothing
 * is invented silently.
 */
#ifndef SOURCEGATE_REPORT_H
#define SOURCEGATE_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"
#include "buf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SG_SEV_INFO = 0,
    SG_SEV_LOW = 1,
    SG_SEV_MEDIUM = 2,
    SG_SEV_HIGH = 3,
    SG_SEV_CRITICAL = 4,
} sg_severity;

typedef enum {
    SG_VERDICT_PASS = 0,
    SG_VERDICT_FAIL = 1,
    SG_VERDICT_INCONCLUSIVE = 2,
} sg_verdict;

/** "info", "low", "medium", "high", "critical". */
const char *sg_severity_name(sg_severity sev);

/** Parse a severity name (case-insensitive). SG_EINVALID when unknown. */
int sg_severity_parse(sg_severity *out, const char *name);

/** "pass", "fail", "inconclusive". */
const char *sg_verdict_name(sg_verdict verdict);

/** One row of the table of finding kinds. */
typedef struct sg_finding_kind {
    const char *kind;         /**< stable identifier, e.g. "dependency-added" */
    sg_severity severity;     /**< default severity (callers may raise or lower per finding) */
    const char *summary;      /**< one-line meaning */
} sg_finding_kind;

/** The row for `kind`, or NULL when it is not a known kind. */
const sg_finding_kind *sg_finding_kind_lookup(const char *kind);

/** All rows; *count receives their number. */
const sg_finding_kind *sg_finding_kinds(size_t *count);

/**
 * The kinds that make a verdict inconclusive whatever their severity (sg_report_decide()),
 * in byte order; *count receives their number. The VSA policy document lists the same.
 */
const char *const *sg_finding_kinds_inconclusive(size_t *count);

/** One finding. Every string is optional (NULL when absent). */
typedef struct sg_finding {
    const char *kind;     /**< a kind of the table */
    sg_severity severity; /**< severity of this finding */
    const char *path;     /**< file the finding is about ("package.json" for manifest ones) */
    const char *field;    /**< manifest field ("dependencies", "scripts", "bin", ...) */
    const char *name;     /**< key inside the field (dependency, script or bin name) */
    const char *before;   /**< value in the source */
    const char *after;    /**< value in the artifact */
    const char *detail;   /**< human explanation */
} sg_finding;

typedef struct sg_report sg_report;

/** Fields of the report that hold one string (NULL when unset). */
typedef enum {
    SG_REPORT_PACKAGE,
    SG_REPORT_VERSION,
    SG_REPORT_PURL,
    SG_REPORT_ARTIFACT_URL,
    SG_REPORT_ARTIFACT_INTEGRITY,
    SG_REPORT_ARTIFACT_SHA256,
    SG_REPORT_SOURCE_REPOSITORY,
    SG_REPORT_SOURCE_COMMIT,
    SG_REPORT_SOURCE_REF,
    SG_REPORT_SOURCE_RESOLVED_BY,
    SG_REPORT_SOURCE_SUBDIR,
    SG_REPORT_COMPARED_REF,
    SG_REPORT_COMPARED_COMMIT,
    SG_REPORT_COMPARED_WHY,
    SG_REPORT_PACKER,          /**< which tool packed the artifact, as detected */
    SG_REPORT_REBUILD_STATUS,  /**< "reproduced", "partly-reproduced", "not-reproduced",
                                    "failed", "skipped" (NULL: no rebuild was needed or asked) */
    SG_REPORT_REBUILD_DETAIL,  /**< one line: how many files, or why it failed or was skipped */
    SG_REPORT_REBUILD_LOG,     /**< the rebuild's log file in the cache */
    SG_REPORT_REBUILD_SECOND,  /**< one line when a second, varied build ran: what varied and
                                    how it ended (NULL: none was needed) */
    SG_REPORT_STAGE_ID,        /**< verify --stage: the staged publish's id (UUID) */
    SG_REPORT_STAGE_ACTOR,     /**< ... who staged it ("actor (actorType)") */
    SG_REPORT_STAGE_CREATED,   /**< ... when (the record's createdAt) */
    SG_REPORT_STAGE_TAG,       /**< ... the dist-tag it will get when approved */
    SG_REPORT_STAGE_STATUS,    /**< ... the record's status when verified */
    SG_REPORT_REBUILD_RECIPE,  /**< the recipe of a rebuild that made a tarball, a JSON object
                                    (docs/rebuild.md "The recipe"); NULL: none */
    SG_REPORT__FIELD_COUNT
} sg_report_field;

/** Counters of the report. */
typedef enum {
    SG_COUNT_ARTIFACT_FILES,
    SG_COUNT_FILES_SAME,
    SG_COUNT_FILES_REBUILT,
    SG_COUNT_FILES_EXPLAINED,
    SG_COUNT__COUNT
} sg_report_counter;

/** A new empty report. Free with sg_report_free(). */
int sg_report_new(sg_report **out, sg_ctx *ctx);

void sg_report_free(sg_report *report);

/** Set a string field (copied; NULL clears it). */
int sg_report_set(sg_report *report, sg_ctx *ctx, sg_report_field field, const char *value);

/** A string field, borrowed; NULL when unset. */
const char *sg_report_get(const sg_report *report, sg_report_field field);

void sg_report_set_count(sg_report *report, sg_report_counter which, uint64_t value);
void sg_report_add_count(sg_report *report, sg_report_counter which, uint64_t delta);
uint64_t sg_report_count(const sg_report *report, sg_report_counter which);

/**
 * Append a finding; every string is copied. SG_EINVALID when f->kind is not in the table.
 */
int sg_report_add(sg_report *report, sg_ctx *ctx, const sg_finding *f);

/**
 * Convenience: a finding of `kind` at its default severity with a formatted detail.
 * path/field/name may be NULL.
 */
int sg_report_addf(sg_report *report, sg_ctx *ctx, const char *kind, const char *path,
                   const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

size_t sg_report_finding_count(const sg_report *report);

/** Finding i, borrowed. Order: as added until sg_report_decide() sorts them. */
const sg_finding *sg_report_finding(const sg_report *report, size_t i);

/** Name a normalization that was applied (kept once, in first-added order). */
int sg_report_add_normalization(sg_report *report, sg_ctx *ctx, const char *name);

size_t sg_report_normalization_count(const sg_report *report);
const char *sg_report_normalization(const sg_report *report, size_t i);

/** Lists of lines the report carries besides findings. */
typedef enum {
    SG_LIST_SOURCE_TRIED,   /**< source candidates tried: "tag: v1.2.3 -> 1a2b3c4 ok" */
    SG_LIST_CHECKS,         /**< checks that ran and how: "registry-signature: verified" */
    SG_LIST_REBUILD,        /**< the rebuild's choices and steps: "node: v20.20.2 (...)" */
    SG_LIST_REBUILD_TOKENS, /**< tokens established as volatile, per file: "dist/x.js: '2024-…'
                                 at line 1 (differs between the two builds)" */
    SG_LIST__COUNT
} sg_report_list;

/** Append a line to a list (copied). */
int sg_report_list_add(sg_report *report, sg_ctx *ctx, sg_report_list which, const char *line);

size_t sg_report_list_count(const sg_report *report, sg_report_list which);

/** Line i of a list, borrowed; NULL when out of range. */
const char *sg_report_list_get(const sg_report *report, sg_report_list which, size_t i);

/**
 * Mark the verification inconclusive for a reason that is not a finding (e.g. the source
 * could not be resolved). The reason is kept for the text report.
 */
int sg_report_set_inconclusive(sg_report *report, sg_ctx *ctx, const char *reason);

/**
 * Decide the verdict (DESIGN.md): fail if any finding is at or above fail_on; else
 * inconclusive if marked so or any finding is "file-unverified", "ref-unresolved" or
 * "source-missing"; else pass. Sorts the findings (severity descending, then kind, path,
 * name) so every writer prints them in one stable order. Returns the verdict.
 */
sg_verdict sg_report_decide(sg_report *report, sg_severity fail_on);

/** The verdict decided last (PASS before any decision). */
sg_verdict sg_report_verdict(const sg_report *report);

/** The highest severity among the findings; -1 when there are none. */
int sg_report_max_severity(const sg_report *report);

/** Whether and how the delta since the previous release was computed (registry mode). */
typedef enum {
    SG_DELTA_NONE = 0,        /**< not computed (local mode): no "delta" in the report */
    SG_DELTA_COMPARED,        /**< compared with the previous release */
    SG_DELTA_FIRST,           /**< no earlier release on this line: nothing to compare */
    SG_DELTA_UNAVAILABLE,     /**< the previous release could not be read (note says why) */
    SG_DELTA_SKIPPED,         /**< --no-delta */
} sg_delta_status;

/** "compared", "first-release", "unavailable", "skipped" ("none" for SG_DELTA_NONE). */
const char *sg_delta_status_name(sg_delta_status status);

/**
 * One change since the previous release (docs/report-format.md "delta"). Information for a
 * reviewer, never a finding. Every string is optional (NULL when absent).
 */
typedef struct sg_delta_change {
    const char *change; /**< "added", "removed" or "changed" */
    const char *field;  /**< "dependencies", "scripts", "bin", "main", "files", "size",
                             "provenance", "trusted-publisher", "publisher", "gitHead", ... */
    const char *name;   /**< key inside field: dependency, script, bin name, file path */
    const char *before; /**< value in the previous release */
    const char *after;  /**< value in this release */
} sg_delta_change;

/** Changes kept per report; more are counted in "omitted" (a hostile release is bounded). */
#define SG_DELTA_MAX_CHANGES 500

/** Set the delta's status, the previous version it compares with and a note (all copied;
 *  previous and note may be NULL). */
int sg_report_delta_set(sg_report *report, sg_ctx *ctx, sg_delta_status status,
                        const char *previous, const char *note);

/** Append a change (copied); past SG_DELTA_MAX_CHANGES it is only counted. */
int sg_report_delta_add(sg_report *report, sg_ctx *ctx, const sg_delta_change *change);

/** The delta's status; *previous and *note (either may be NULL) receive borrowed strings. */
sg_delta_status sg_report_delta_status(const sg_report *report, const char **previous,
                                       const char **note);

size_t sg_report_delta_count(const sg_report *report);

/** Change i, borrowed; NULL when out of range. */
const sg_delta_change *sg_report_delta_change(const sg_report *report, size_t i);

/** Changes that were counted but not kept. */
size_t sg_report_delta_omitted(const sg_report *report);

/** Append the report as JSON (schema "sourcegate/report/v1", schema_version "1.1";
 *  docs/report-format.md) to out. */
int sg_report_write_json(sg_buf *out, sg_ctx *ctx, const sg_report *report);

/** Flags for sg_report_write_text(). */
#define SG_TEXT_VERBOSE 0x1u  /**< also list info findings and normalizations */
#define SG_TEXT_COLOR 0x2u    /**< ANSI colours */
#define SG_TEXT_ALL 0x4u      /**< list every finding; without it the 20 most severe are
                                   listed one by one and the rest grouped by severity and kind
                                   (count, folders, examples) */

/**
 * Append one finding as the text report lists it ("HIGH     file-added  dist/x.js", its path,
 * field.name, before -> after, and its detail on a second line), every line indented by
 * `indent` more spaces, untrusted strings shown safely. Returns 0 or the buffer's error.
 */
int sg_report_write_finding_text(sg_buf *out, const sg_finding *finding, unsigned flags,
                                 unsigned indent);

/** Append the human-readable report to out. */
int sg_report_write_text(sg_buf *out, sg_ctx *ctx, const sg_report *report, unsigned flags);

#ifdef __cplusplus
}
#endif
#endif
