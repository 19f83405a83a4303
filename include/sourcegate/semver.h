/*
 * sourcegate: semantic versions and ranges as npm reads them (node-semver). Choosing the
 * version a spec names in a packument (npm-pick-manifest) is the registry's: registry.h.
 */
#ifndef SOURCEGATE_SEMVER_H
#define SOURCEGATE_SEMVER_H

#include <stdint.h>
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SG_SEMVER_PRE_MAX 128

typedef struct sg_semver {
    uint64_t major, minor, patch;   /**< numeric parts */
    char pre[SG_SEMVER_PRE_MAX];    /**< prerelease ("beta.1"), "" for a release */
} sg_semver;

/**
 * Parse a version. Strict: "1.2.3", "1.2.3-beta.1", "1.2.3+build" (build dropped). With loose,
 * a leading "v" or "=" and surrounding spaces are accepted. SG_EINVALID otherwise (no message
 * set: callers decide whether that is an error).
 */
int sg_semver_parse(sg_semver *out, const char *s, int loose);

/** <0, 0, >0 by semver precedence (prereleases before their release). */
int sg_semver_cmp(const sg_semver *a, const sg_semver *b);

typedef struct sg_semver_range sg_semver_range;

/**
 * Parse a range: "||" sets of comparators (<, <=, >, >=, =), hyphen ranges, x-ranges
 * ("1.x", "1.2.*", "*", ""), tilde and caret, partial versions. SG_EINVALID with a message
 * for anything else. At most 64 sets of 64 comparators.
 */
int sg_semver_range_parse(sg_semver_range **out, sg_ctx *ctx, const char *range);

void sg_semver_range_free(sg_semver_range *range);

/**
 * Does v satisfy the range? A prerelease version satisfies a set only when a comparator of
 * that set has a prerelease on the same major.minor.patch (node-semver's default).
 */
int sg_semver_satisfies(const sg_semver_range *range, const sg_semver *v);

#ifdef __cplusplus
}
#endif
#endif
