/*
 * Between manifest.c (the field-by-field package.json diff) and manifest_rewrites.c (the
 * publish-time rewrites it accepts).
 */
#ifndef SG_MANIFEST_INT_H
#define SG_MANIFEST_INT_H

#include <cjson/cJSON.h>

#include "common/common.h"
#include "sourcegate/diff.h"

/** One package.json comparison. */
typedef struct sg_mdiff {
    sg_report *report;        /**< where findings go */
    sg_ctx *ctx;              /**< errors and limits */
    const sg_diff_opts *opts; /**< callbacks; never NULL inside (an empty one stands in) */
    cJSON *src;               /**< the source manifest, rewritten in place as rewrites apply */
    cJSON *art;               /**< the artifact manifest */
    int residual;             /**< a difference that no accepted rewrite explains */
    sg_buf va;                /**< text of a finding's before value */
    sg_buf vb;                /**< text of a finding's after value */
} sg_mdiff;

/* Normalization names (docs/finding-kinds.md "Normalizations"). */
#define SG_MNORM_WORKSPACE "package.json-workspace-protocol"
#define SG_MNORM_WORKSPACE_UNVERIFIED "package.json-workspace-protocol-unverified"
#define SG_MNORM_CATALOG "package.json-catalog-protocol"
#define SG_MNORM_CATALOG_UNVERIFIED "package.json-catalog-protocol-unverified"
#define SG_MNORM_JSR "package.json-jsr-protocol"
#define SG_MNORM_PUBLISH_CONFIG "package.json-publish-config"
#define SG_MNORM_VERSION "package.json-version-placeholder"
#define SG_MNORM_SCRIPTS_REMOVED "package.json-scripts-removed"
#define SG_MNORM_PINST "package.json-pinst"
#define SG_MNORM_FIELDS_REMOVED "package.json-fields-removed"
#define SG_MNORM_FORMAT "package.json-format"

/* ---- manifest.c ---- */

/** obj's member key, or NULL (also when obj is not an object). */
const cJSON *sg_diff__member(const cJSON *obj, const char *key);

/** 1 when s is one of list[0..n). */
int sg_diff__in_list(const char *s, const char *const *list, size_t n);

/** Add a finding on package.json with texts for before/after (NULL: none). */
int sg_diff__manifest_add(sg_mdiff *m, const char *kind, sg_severity sev, const char *field,
                          const char *name, const char *before, const char *after,
                          const char *detail);

/** A finding with JSON values for before/after; counts as an unexplained difference. */
int sg_diff__manifest_addv(sg_mdiff *m, const char *kind, sg_severity sev, const char *field,
                           const char *name, const cJSON *before, const cJSON *after,
                           const char *detail);

/** Name an accepted rewrite in the report's normalizations. */
int sg_diff__manifest_norm(sg_mdiff *m, const char *name);

/**
 * Equal for what the field does: paths with or without "./", bin after npm's normalization,
 * an absent "type" is "commonjs"; everything else as JSON values. NULL is absent.
 */
int sg_diff__field_equiv(const char *key, const cJSON *sdoc, const cJSON *s, const cJSON *adoc,
                         const cJSON *a);

/* ---- manifest_rewrites.c ---- */

/**
 * A protocol spec s (workspace:, catalog:, jsr:) in the source against a different artifact
 * spec a (art_is_range: a is a registry range). Sets *handled when the difference is settled
 * here (accepted or reported; quiet: devDependencies, no findings).
 */
int sg_diff__dep_protocol(sg_mdiff *m, const char *field, const char *name, const cJSON *s,
                          const cJSON *a, int art_is_range, int quiet, int *handled);

/** version: a placeholder in the source that the release replaced, or a finding. */
int sg_diff__manifest_version(sg_mdiff *m);

/** Take the source's publishConfig value of an overlay field where the artifact has it. */
int sg_diff__publish_config_apply(sg_mdiff *m);

/** publishConfig itself: kept, pruned of the moved keys or dropped; else a finding. */
int sg_diff__publish_config_diff(sg_mdiff *m);

#endif
