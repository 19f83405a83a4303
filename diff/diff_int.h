/*
 * Internal interface of the diff module (filetype.c, manifest.c, tree_diff.c).
 */
#ifndef SG_DIFF_INT_H
#define SG_DIFF_INT_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include "sourcegate/diff.h"

/** What the tree diff wants to know from the manifest diff, beyond the findings. */
/** A file a manifest entry point names. */
typedef struct sg_entry_target {
    char *field; /**< the field ("main", "exports", ...); sg_malloc'd */
    char *path;  /**< the path it names, normalized ("lib/index.js"); sg_malloc'd */
    int changed; /**< the field differs from the source's */
} sg_entry_target;

typedef struct sg_manifest_info {
    int residual;             /**< 1 when a difference remained that no accepted rewrite explains */
    char **bin_paths;         /**< the artifact's bin targets, normalized ("cli.js"); sg_malloc'd */
    size_t bin_count;         /**< entries of bin_paths */
    char *bin_dir;            /**< the artifact's directories.bin, normalized, or NULL */
    sg_entry_target *entries; /**< the files main, module, browser, exports, imports name */
    size_t entry_count;       /**< entries of entries */
    size_t entry_cap;         /**< allocated */
} sg_manifest_info;

#define SG_MANIFEST_INFO_INIT                                                                      \
    {                                                                                              \
        0, NULL, 0, NULL, NULL, 0, 0                                                               \
    }

void sg_diff__manifest_info_dispose(sg_manifest_info *info);

/**
 * sg_diff_manifest() that also fills info (may be NULL): whether an unexplained difference
 * remained and the artifact's bin targets (for the executable-bit rule of npm and pnpm).
 */
int sg_diff__manifest(sg_report *report, sg_ctx *ctx, const char *source, size_t source_len,
                      const char *artifact, size_t artifact_len, const sg_diff_opts *opts,
                      sg_manifest_info *info);

/**
 * 1 when path gets its executable bit from the packer because of the manifest's bin (npm's
 * isPackageBin: a root bin target, or any "X/<bin target>"; pnpm: every bin target) or lies
 * under directories.bin.
 */
int sg_diff__is_bin_target(const sg_manifest_info *info, const char *path);

/** 1 when two manifests' bin fields mean the same after npm's normalization. */
int sg_diff__bin_equiv(const cJSON *sdoc, const cJSON *sbin, const cJSON *adoc, const cJSON *abin);

/**
 * 1 when art is src with only blank lines, whole-line // comments and whole-line block
 * comments removed (clean-publish and similar); 0 otherwise (including equal inputs).
 */
int sg_diff__only_comments_removed(const char *src, size_t slen, const char *art, size_t alen);

/** How an artifact file compares with the rebuild's copy (sg_diff__rebuilt_compare()). */
typedef enum {
    SG_REBUILT_SAME = 0,      /**< identical bytes */
    SG_REBUILT_VOLATILE = 1,  /**< differs only in volatile tokens (DESIGN.md "Rebuild") */
    SG_REBUILT_DIFFERENT = 2, /**< any other difference */
} sg_rebuilt_outcome;

/** Where and how the two copies differ, for the finding's detail. */
typedef struct sg_rebuilt_cmp {
    sg_rebuilt_outcome outcome; /**< the verdict */
    size_t first_line;          /**< 1-based line of the first difference (0: none) */
    size_t lines_changed;       /**< lines that differ (volatile or not) */
    size_t appended;            /**< lines the artifact has after the rebuild's last line, when
                                     everything before matched */
    size_t missing;             /**< lines the rebuild has after the artifact's last line, when
                                     everything before matched */
} sg_rebuilt_cmp;

/**
 * Compare the artifact's bytes with the rebuild's line by line. Lines must pair up; two lines
 * of a pair may differ only inside volatile tokens that sit at the same place in both with the
 * same length: a whole number of at least 4 digits, a whole hex string of at least 7 digits
 * with a decimal digit in it, or an ISO 8601 date, date-time or time (tokens are bounded by
 * characters that cannot continue an identifier). Inputs with a NUL byte are compared exactly.
 */
void sg_diff__rebuilt_compare(sg_rebuilt_cmp *out, const char *art, size_t alen, const char *reb,
                              size_t rlen);

#endif
