/*
 * libFuzzer target for the package.json diff: the input is "SOURCE\0ARTIFACT" (no NUL: both
 * documents are the whole input). Build by hand, e.g.
 *   clang -g -fsanitize=fuzzer,address,undefined -Iinclude -I. tests/fuzz/fuzz_manifest.c \
 *         build/libsg_diff.a build/libsg_common.a -lcjson -lcrypto -o fuzz_manifest
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sourcegate/sourcegate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *ws_version(void *payload, const char *name)
{
    (void)payload;
    return name[0] && name[0] < 'm' ? "1.2.3" : NULL;
}

static const char *catalog(void *payload, const char *cat, const char *name)
{
    (void)payload;
    (void)name;
    return cat[0] ? NULL : "^4.17.21";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sg_ctx *ctx;
    sg_report *report = NULL;
    sg_diff_opts opts = SG_DIFF_OPTS_INIT;
    const uint8_t *nul = memchr(data, 0, size);
    const char *src = (const char *)data, *art = (const char *)data;
    size_t src_len = size, art_len = size;

    if (!ctx && sg_ctx_new(&ctx) < 0)
        return 0;
    if (nul) {
        src_len = (size_t)(nul - data);
        art = (const char *)nul + 1;
        art_len = size - src_len - 1;
    }
    if (sg_report_new(&report, ctx) < 0)
        return 0;
    /* Half of the inputs with callbacks, so the resolution paths run too. */
    if (size & 1) {
        opts.workspace_version = ws_version;
        opts.catalog_spec = catalog;
        opts.release_version = "1.2.3";
    }
    (void)sg_diff_manifest(report, ctx, src, src_len, art, art_len, &opts);
    sg_report_decide(report, SG_SEV_HIGH);
    sg_report_free(report);
    sg_error_clear(ctx);
    return 0;
}
