/*
 * sourcegate: audit summaries. Collect stored results (and the jobs that ended in an error)
 * and write them as text, as JSON (schema "sourcegate/audit/v1") or as one self-contained
 * HTML page: verdict counts, charts of verdicts per package and over time, the failing and
 * inconclusive releases with their findings and sources, a filter box. The page loads
 * nothing from the network (inline CSS, JavaScript and SVG; a Content-Security-Policy that
 * forbids any fetch).
 *
 * Reports come from a store and are untrusted: each is parsed with the JSON limits of the
 * ctx, every string is escaped where it is written, and a report that does not parse still
 * counts with its verdict and a note.
 */
#ifndef SOURCEGATE_AUDIT_H
#define SOURCEGATE_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"
#include "buf.h"
#include "report.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_audit sg_audit;

/** One verified release (the strings are copied). */
typedef struct sg_audit_release {
    const char *ecosystem;   /**< "npm" (NULL: "npm") */
    const char *name;        /**< package name */
    const char *version;     /**< exact version */
    const char *integrity;   /**< SRI integrity, or NULL */
    sg_verdict verdict;      /**< the stored verdict */
    const char *report_json; /**< the report (schema sourcegate/report/v1), or NULL */
    size_t report_len;       /**< its length */
    int64_t verified_at;     /**< seconds since the epoch */
} sg_audit_release;

/** A release that could not be verified (an operational error). */
typedef struct sg_audit_error {
    const char *ecosystem; /**< "npm" (NULL: "npm") */
    const char *name;      /**< package name */
    const char *spec;      /**< version, tag or range as listed */
    const char *message;   /**< the error */
    int attempts;          /**< how many times it was tried */
    int64_t at;            /**< when it gave up, seconds since the epoch (0: unknown) */
} sg_audit_error;

/** A new empty summary. Free with sg_audit_free(). */
int sg_audit_new(sg_audit **out, sg_ctx *ctx);

void sg_audit_free(sg_audit *audit);

/**
 * Add a release. Its report is parsed for the findings, the source and what it was compared
 * with; a report that is missing or does not parse (or breaks a JSON limit) is kept as a
 * note instead. SG_EINVALID for a missing name or version; SG_ENOMEM.
 */
int sg_audit_add_release(sg_audit *audit, sg_ctx *ctx, const sg_audit_release *release);

/** Add an error. SG_EINVALID for a missing name; SG_ENOMEM. */
int sg_audit_add_error(sg_audit *audit, sg_ctx *ctx, const sg_audit_error *error);

/** Counts over what was added. */
typedef struct sg_audit_counts {
    size_t releases;     /**< releases added */
    size_t packages;     /**< distinct (ecosystem, name) among them */
    size_t pass;         /**< releases that passed */
    size_t fail;         /**< that failed */
    size_t inconclusive; /**< that were inconclusive */
    size_t errors;       /**< errors added */
    size_t findings;     /**< findings over all releases */
} sg_audit_counts;

void sg_audit_get_counts(const sg_audit *audit, sg_audit_counts *out);

/** Options of the writers. */
typedef struct sg_audit_write_opts {
    const char *title;     /**< HTML page title; NULL: "sourcegate audit" */
    int64_t generated_at;  /**< seconds since the epoch; 0: not written (stable output) */
    unsigned text_flags;   /**< SG_TEXT_COLOR, SG_TEXT_VERBOSE (list every finding) */
} sg_audit_write_opts;

#define SG_AUDIT_WRITE_OPTS_INIT { NULL, 0, 0 }

/**
 * Append {"schema": "sourcegate/audit/v1", "releases": [{"ecosystem", "package", "version",
 * "purl", "integrity", "verdict", "verified_at" (ISO 8601 UTC), "findings", "source",
 * "compared_with"}, ...], "errors": [...], "counts": {"releases", "packages", "pass", "fail",
 * "inconclusive", "errors", "findings", "by_kind": {KIND: N}}} to out. Releases are ordered
 * by package name, then version precedence. opts may be NULL.
 */
int sg_audit_write_json(sg_buf *out, sg_ctx *ctx, sg_audit *audit,
                        const sg_audit_write_opts *opts);

/** Append the text summary: counts, one line per release (worst first), the errors. */
int sg_audit_write_text(sg_buf *out, sg_ctx *ctx, sg_audit *audit,
                        const sg_audit_write_opts *opts);

/** Append the HTML page. */
int sg_audit_write_html(sg_buf *out, sg_ctx *ctx, sg_audit *audit,
                        const sg_audit_write_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
