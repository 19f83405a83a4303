/*
 * libFuzzer target for packuments: the input is a registry response body, parsed exactly as
 * sg_registry_packument parses a 200 answer (JSON limits, an object, the name check), then
 * walked the way the verifier reads it (dist-tags, versions, dist fields). Odd-sized inputs
 * also go through the .npmrc parser, the other text the registry client reads.
 * Build by hand, e.g.
 *   clang -g -fsanitize=fuzzer,address,undefined -Iinclude -I. tests/fuzz/fuzz_packument.c \
 *         build/libsg_verifier.a build/libsg_diff.a build/libsg_common.a \
 *         -lcurl -lgit2 -larchive -lcjson -lcrypto -o fuzz_packument
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sourcegate/sourcegate.h"
#include "common/json.h"
#include "verifier/fetch/registry_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *env_lookup(const char *name)
{
    return name[0] == 'A' ? "expanded" : NULL;
}

static size_t walk(const cJSON *doc)
{
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(doc, "versions");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(doc, "dist-tags");
    const cJSON *v;
    size_t n = 0;

    cJSON_ArrayForEach(v, tags)
    {
        if (cJSON_IsString(v))
            n += strlen(v->valuestring);
    }
    cJSON_ArrayForEach(v, versions)
    {
        const cJSON *dist = cJSON_GetObjectItemCaseSensitive(v, "dist");
        const char *s;
        if ((s = sg_json_str(dist, "integrity")) != NULL)
            n += strlen(s);
        if ((s = sg_json_str(dist, "shasum")) != NULL)
            n += strlen(s);
        if ((s = sg_json_str(dist, "tarball")) != NULL) {
            sg_url_parts parts;
            char shown[256];
            if (sg_url__split(&parts, s) == 0)
                n += strlen(parts.host);
            sg_url__redact(shown, sizeof(shown), s);
            n += strlen(shown);
        }
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sg_ctx *ctx;
    cJSON *doc = NULL;

    if (!ctx && sg_ctx_new(&ctx) < 0)
        return 0;
    sg_error_clear(ctx);
    if (sg_registry__parse_packument(&doc, ctx, (const char *)data, size, "pkg") == 0) {
        volatile size_t sink = walk(doc);
        (void)sink;
        cJSON_Delete(doc);
    }
    if (size & 1) {
        sg_npm_config *cfg = NULL;
        sg_error_clear(ctx);
        if (sg_npm_config_new(&cfg, ctx) == 0) {
            sg_npm_config_parse(cfg, ctx, (const char *)data, size, "fuzz", env_lookup);
            (void)sg_npm_config_registry_for(cfg, "@scope/x");
            (void)sg_npm_config__token_for(cfg, "https://registry.npmjs.org/x");
            sg_npm_config_free(cfg);
        }
    }
    sg_error_clear(ctx);
    return 0;
}
