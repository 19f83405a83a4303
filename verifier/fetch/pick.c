/*
 * Choosing the version a spec names in a packument, as npm-pick-manifest does: exact
 * versions, dist-tags and ranges (sg_semver_pick(), registry.h). Version parsing, comparison
 * and ranges are plain semver and stay in common/semver.c; reading a packument's versions
 * and dist-tags is the fetch stage's job.
 */
#include "common/common.h"

static int version_exists(const cJSON *versions, const char *v)
{
    return cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(versions, v));
}

static int is_deprecated(const cJSON *versions, const char *v)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(versions, v);
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(m, "deprecated");
    return cJSON_IsString(d) && d->valuestring[0];
}

int sg_semver_pick(const char **out, sg_ctx *ctx, const cJSON *packument, const char *spec)
{
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(packument, "versions");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(packument, "dist-tags");
    const char *name = sg_json_str(packument, "name");
    const char *latest = sg_json_str(tags, "latest"), *best = NULL, *best_dep = NULL;
    sg_semver v, bv, bdv;
    sg_semver_range *range = NULL;
    const cJSON *it;
    int error;

    *out = NULL;
    if (!cJSON_IsObject(versions))
        return sg_error_set(ctx, SG_EINVALID, "the packument of '%s' has no versions",
                            name ? name : "?");
    if (!spec)
        spec = "";
    while (*spec == ' ')
        spec++;
    if (sg_json_str(tags, spec)) {
        const char *t = sg_json_str(tags, spec);
        if (!version_exists(versions, t))
            return sg_error_set(ctx, SG_ENOTFOUND,
                                "dist-tag '%s' of '%s' names version '%s', "
                                "which the packument does not have",
                                spec, name ? name : "?", t);
        *out = cJSON_GetObjectItemCaseSensitive(versions, t)->string;
        return 0;
    }
    if (sg_semver_parse(&v, spec, 1) == 0) {
        for (it = versions->child; it; it = it->next) {
            if (sg_semver_parse(&bv, it->string, 1) == 0 && sg_semver_cmp(&v, &bv) == 0) {
                *out = it->string;
                return 0;
            }
        }
        return sg_error_set(ctx, SG_ENOTFOUND, "'%s' has no version %s%s%s%s", name ? name : "?",
                            spec, latest ? " (latest is " : "", latest ? latest : "",
                            latest ? ")" : "");
    }
    if ((error = sg_semver_range_parse(&range, ctx, spec)) < 0) {
        sg_error_clear(ctx);
        return sg_error_set(ctx, SG_EINVALID,
                            "'%.100s' is not a version, a range or a dist-tag of '%s'", spec,
                            name ? name : "?");
    }
    if (latest && version_exists(versions, latest) && sg_semver_parse(&v, latest, 1) == 0 &&
        sg_semver_satisfies(range, &v)) {
        *out = cJSON_GetObjectItemCaseSensitive(versions, latest)->string;
        sg_semver_range_free(range);
        return 0;
    }
    for (it = versions->child; it; it = it->next) {
        if (sg_semver_parse(&v, it->string, 1) < 0 || !sg_semver_satisfies(range, &v))
            continue;
        if (is_deprecated(versions, it->string)) {
            if (!best_dep || sg_semver_cmp(&v, &bdv) > 0) {
                best_dep = it->string;
                bdv = v;
            }
        } else if (!best || sg_semver_cmp(&v, &bv) > 0) {
            best = it->string;
            bv = v;
        }
    }
    sg_semver_range_free(range);
    *out = best ? best : best_dep;
    if (!*out)
        return sg_error_set(ctx, SG_ENOTFOUND, "no version of '%s' matches '%s'%s%s%s",
                            name ? name : "?", spec, latest ? " (latest is " : "",
                            latest ? latest : "", latest ? ")" : "");
    return 0;
}
