/*
 * libFuzzer target for the rebuild's readers of hostile release data (issue 15): the chore
 * classifier of package scripts (verifier/rebuild/rebuild_chores.c) and the packument cut at a
 * publish date (verifier/rebuild/registry_as_of.c).
 *
 * Input: a first byte choosing the reader, then its text.
 *   'S' SCRIPT: classified against a scripts object whose entries run each other in a cycle
 *               and run SCRIPT itself; checks: no crash or hang, the same answer twice; then
 *               SCRIPT as a script's name, for the further building scripts' choice
 *               (sg_rebuild__more_scripts): at most SG_REBUILD_MORE_MAX names, each a key.
 *   'P' PACKUMENT: cut at three dates; checks: no crash; when it succeeds the result is JSON
 *               whose versions are a subset of the input's, every dist-tag names a version
 *               left, and cutting the result again at the same date drops nothing.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I. -DSG_WHOLE_API \
 *         tests/fuzz/fuzz_rebuild_scripts.c build/libsg_verifier.a build/libsg_attest.a \
 *         build/libsg_diff.a build/libsg_common.a ... -o fuzz_rebuild_scripts
 *   ./fuzz_rebuild_scripts -max_len=8192 tests/fuzz/corpus/rebuild_scripts
 */
#include "common/common.h"
#include "verifier/rebuild/rebuild_int.h"
#include "verifier/rebuild/sandbox_int.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sg_ctx *fuzz_ctx(void)
{
    static sg_ctx *ctx;
    if (!ctx && sg_ctx_new(&ctx) != 0)
        abort();
    sg_error_clear(ctx);
    return ctx;
}

static void check_script(const char *script)
{
    cJSON *scripts = cJSON_CreateObject();
    const char *names[SG_REBUILD_MORE_MAX];
    size_t n, i;
    int a, b;
    if (!scripts)
        return;
    cJSON_AddStringToObject(scripts, "test", "npm run lint && npm run self");
    cJSON_AddStringToObject(scripts, "lint", "npm run test");
    cJSON_AddStringToObject(scripts, "self", script);
    cJSON_AddStringToObject(scripts, "build", "npm run self");
    a = sg_rebuild__script_is_chore(script, scripts);
    b = sg_rebuild__script_is_chore(script, scripts);
    if (a != b || (a != 0 && a != 1))
        abort();
    /* SCRIPT as a script's name too: further building scripts are chosen by their names */
    cJSON_AddStringToObject(scripts, script, "tsc --emitDeclarationOnly");
    n = sg_rebuild__more_scripts(names, SG_REBUILD_MORE_MAX, scripts, "build");
    for (i = 0; i < n; i++)
        if (n > SG_REBUILD_MORE_MAX || !cJSON_GetObjectItemCaseSensitive(scripts, names[i]))
            abort();
    cJSON_Delete(scripts);
}

/* Every dist-tag of pack names one of its versions, and every version was in the input. */
static void check_cut(const cJSON *pack, const cJSON *input)
{
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(pack, "versions");
    const cJSON *in_versions = cJSON_GetObjectItemCaseSensitive(input, "versions"), *v;
    cJSON_ArrayForEach(v, versions)
    {
        if (v->string && !cJSON_GetObjectItemCaseSensitive(in_versions, v->string))
            abort();
    }
    cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(pack, "dist-tags"))
    {
        if (cJSON_IsString(v) && cJSON_IsObject(versions) &&
            !cJSON_GetObjectItemCaseSensitive(versions, v->valuestring) &&
            cJSON_GetObjectItemCaseSensitive(input, "time"))
            abort();
    }
}

static void check_packument(const char *text, size_t len)
{
    static const char *const dates[] = {"2020-01-01T00:00:00.000Z", "2021-06-15T12:30:00Z",
                                        "1970-01-01T00:00:00.000Z"};
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(dates); i++) {
        sg_buf b = SG_BUF_INIT;
        unsigned dropped = 0, again = 0;
        cJSON *in = NULL, *out;
        /* as the cut reads it (duplicate keys: the last one, as JSON.parse) */
        if (sg_json_parse(&in, fuzz_ctx(), text, len, "a packument") < 0)
            in = NULL;
        sg_buf_put(&b, text, len);
        if (sg_gateway__as_of(&b, fuzz_ctx(), dates[i], &dropped) == 0 && dropped) {
            if (!(out = cJSON_Parse(b.ptr)))
                abort();
            check_cut(out, in);
            cJSON_Delete(out);
            if (sg_gateway__as_of(&b, fuzz_ctx(), dates[i], &again) != 0 || again != 0)
                abort();
        }
        cJSON_Delete(in);
        sg_buf_dispose(&b);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text;
    if (size < 1 || size > 65536)
        return 0;
    if (!(text = malloc(size)))
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    if (data[0] == 'S')
        check_script(text);
    else if (data[0] == 'P')
        check_packument(text, size - 1);
    free(text);
    return 0;
}
