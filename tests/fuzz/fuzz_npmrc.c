/*
 * libFuzzer target for .npmrc text (verifier/fetch/npm_config.c). fuzz_packument feeds odd-sized
 * inputs to the same parser, but from a JSON corpus; this target starts from .npmrc files.
 *
 * Input: "NPMRC" or "NPMRC\0NAME": the .npmrc text (parsed twice into one configuration, as a
 * user's and a project's file would be, with ${A...} variables expanding) and a package name
 * to look up (default "@scope/x"). Checks: no crash or hang; a refused text says why; the
 * registry chosen for the name, for "@scope/x" and for "plain" is an http(s) URL ending in
 * '/'; the token lookup for each of them works, answers the same twice, and holds no control
 * character other than tab.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I. tests/fuzz/fuzz_npmrc.c \
 *         build/libsg_verifier.a build/libsg_diff.a build/libsg_common.a \
 *         -lcurl -lgit2 -larchive -lcjson -lcrypto -o fuzz_npmrc
 *   ./fuzz_npmrc -max_len=4096 tests/fuzz/corpus/npmrc
 */
#include "common/common.h"
#include "verifier/fetch/registry_int.h"

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

static const char *env_lookup(const char *name)
{
    if (name[0] == 'A')
        return "expanded";
    if (name[0] == 'B')
        return "https://mirror.example/npm/";
    return NULL;
}

static void check_lookup(const sg_npm_config *cfg, const char *name)
{
    const char *reg = sg_npm_config_registry_for(cfg, name), *tok, *again, *p;
    size_t n = reg ? strlen(reg) : 0;
    sg_url_parts parts;

    if (!reg || n == 0 || reg[n - 1] != '/' || sg_url__split(&parts, reg) != 0)
        abort();
    tok = sg_npm_config__token_for(cfg, reg);
    again = sg_npm_config__token_for(cfg, reg);
    if (tok != again)
        abort();
    for (p = tok; p && *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_ctx *ctx = fuzz_ctx();
    sg_npm_config *cfg = NULL;
    const uint8_t *nul = memchr(data, 0, size);
    size_t tlen = nul ? (size_t)(nul - data) : size;
    char *name = NULL;
    size_t pass;

    if (nul) {
        size_t nlen = size - tlen - 1;
        if (!(name = malloc(nlen + 1)))
            return 0;
        memcpy(name, nul + 1, nlen);
        name[nlen] = '\0';
    }
    if (sg_npm_config_new(&cfg, ctx) != 0)
        abort();
    for (pass = 0; pass < 2; pass++) {
        if (sg_npm_config_parse(cfg, ctx, (const char *)data, tlen, pass ? "project" : "user",
                                env_lookup) != 0 &&
            sg_error_message(ctx)[0] == '\0')
            abort();
        sg_error_clear(ctx);
    }
    check_lookup(cfg, name ? name : "@scope/x");
    check_lookup(cfg, "@scope/x");
    check_lookup(cfg, "plain");
    sg_npm_config_free(cfg);
    free(name);
    return 0;
}
