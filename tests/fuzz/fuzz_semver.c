/*
 * libFuzzer target for semantic versions and npm ranges (common/semver.c).
 *
 * Input: "RANGE" or "RANGE\nVERSION\nVERSION..." (at most 16 versions). The range is parsed;
 * every line is also parsed as a version, strictly and loosely. Checks: no crash or hang;
 * a failed range parse leaves no range and says why; comparison is reflexive and
 * antisymmetric; a version that parses strictly parses loosely to the same thing; satisfies()
 * answers 0 or 1, the same way twice. Then a packument made of the versions (the first one
 * tagged latest, every third deprecated) goes through sg_semver_pick() with the range as the
 * spec, and a picked version must be one of the packument's keys.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I. tests/fuzz/fuzz_semver.c \
 *         build/libsg_common.a -lcjson -lcrypto -o fuzz_semver
 *   ./fuzz_semver -max_len=1024 tests/fuzz/corpus/semver
 */
#include "common/common.h"
#include "sourcegate/semver.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_VERSIONS 16

static sg_ctx *fuzz_ctx(void)
{
    static sg_ctx *ctx;
    if (!ctx && sg_ctx_new(&ctx) != 0)
        abort();
    sg_error_clear(ctx);
    return ctx;
}

static void check_versions(const sg_semver *v, size_t n)
{
    size_t i, k;
    for (i = 0; i < n; i++) {
        if (sg_semver_cmp(&v[i], &v[i]) != 0 ||
            strnlen(v[i].pre, SG_SEMVER_PRE_MAX) >= SG_SEMVER_PRE_MAX)
            abort();
        for (k = 0; k < n; k++) {
            int a = sg_semver_cmp(&v[i], &v[k]), b = sg_semver_cmp(&v[k], &v[i]);
            if ((a < 0 && b <= 0) || (a > 0 && b >= 0) || (a == 0 && b != 0))
                abort();
        }
    }
}

/* The versions as a packument; pick the range from it. */
static void check_pick(sg_ctx *ctx, const char *spec, char **lines, size_t n)
{
    cJSON *doc = cJSON_CreateObject(), *versions, *tags;
    const char *picked = NULL;
    size_t i;

    if (!doc)
        return;
    versions = cJSON_AddObjectToObject(doc, "versions");
    tags = cJSON_AddObjectToObject(doc, "dist-tags");
    if (!versions || !tags)
        goto done;
    for (i = 0; i < n; i++) {
        cJSON *m = cJSON_AddObjectToObject(versions, lines[i]);
        if (m && i % 3 == 2)
            cJSON_AddStringToObject(m, "deprecated", "do not use");
    }
    if (n)
        cJSON_AddStringToObject(tags, "latest", lines[0]);
    if (sg_semver_pick(&picked, ctx, doc, spec) == 0) {
        if (!picked || !cJSON_GetObjectItemCaseSensitive(versions, picked))
            abort();
    } else if (sg_error_message(ctx)[0] == '\0') {
        abort();
    }
done:
    cJSON_Delete(doc);
    sg_error_clear(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_ctx *ctx = fuzz_ctx();
    sg_semver v[MAX_VERSIONS];
    sg_semver_range *range = NULL;
    char *copy, *lines[MAX_VERSIONS + 1];
    size_t n = 0, nv = 0, i;

    if (memchr(data, 0, size))
        return 0; /* every caller hands C strings */
    copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    lines[n++] = copy;
    for (i = 0; i < size && n <= MAX_VERSIONS; i++) {
        if (copy[i] == '\n') {
            copy[i] = '\0';
            lines[n++] = copy + i + 1;
        }
    }
    for (i = 0; i < n; i++) {
        sg_semver strict, loose;
        int s = sg_semver_parse(&strict, lines[i], 0), l = sg_semver_parse(&loose, lines[i], 1);
        if (s == 0 && (l != 0 || sg_semver_cmp(&strict, &loose) != 0))
            abort();
        if (l == 0 && nv < MAX_VERSIONS)
            v[nv++] = loose;
    }
    check_versions(v, nv);
    if (sg_semver_range_parse(&range, ctx, lines[0]) == 0) {
        for (i = 0; i < nv; i++) {
            int a = sg_semver_satisfies(range, &v[i]), b = sg_semver_satisfies(range, &v[i]);
            if (a != b || a < 0 || a > 1)
                abort();
        }
        sg_semver_range_free(range);
    } else if (range != NULL || sg_error_message(ctx)[0] == '\0') {
        abort();
    }
    sg_error_clear(ctx);
    check_pick(ctx, lines[0], lines + 1, n - 1);
    free(copy);
    return 0;
}
