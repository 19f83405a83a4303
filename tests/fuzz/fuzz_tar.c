/*
 * libFuzzer target for the tarball reader: sg_tar_read() on arbitrary bytes, then every
 * accepted tree is checked (sorted, unique, bounded) and some of its files are read back
 * through the backend, which must return exactly what was hashed on the first pass, and
 * what the backend's view shows in place (the bytes the blob-id comparison hashes).
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I. tests/fuzz/fuzz_tar.c \
 *         <sg_verifier sg_diff sg_common> -larchive -ldeflate -lgit2 -lcjson -lcrypto
 *   ./a.out tests/fuzz/corpus/tar
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sourcegate/sourcegate.h"

#include "common/common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small limits keep each run fast; the code paths are the same as with the defaults. */
static sg_ctx *fuzz_ctx(void)
{
    static sg_ctx *ctx;
    if (!ctx) {
        if (sg_ctx_new(&ctx) != 0)
            abort();
        sg_ctx_set_limit(ctx, SG_LIMIT_UNPACKED_BYTES, 64u << 20);
        sg_ctx_set_limit(ctx, SG_LIMIT_FILE_SIZE, 16u << 20);
        sg_ctx_set_limit(ctx, SG_LIMIT_ENTRIES, 20000);
        sg_ctx_set_limit(ctx, SG_LIMIT_TARBALL_BYTES, 4u << 20);
    }
    return ctx;
}

static void check_tree(sg_ctx *ctx, const sg_tree *tree, const sg_tar_info *info)
{
    size_t i, n = sg_tree_count(tree);

    if (n > info->entries)
        abort();
    for (i = 0; i < n; i++) {
        const sg_entry *e = sg_tree_entry(tree, i);
        sg_buf out = SG_BUF_INIT;
        const void *view = NULL;
        size_t vlen = 0;
        if (!e || e->path_len != strlen(e->path) || e->path_len == 0 || e->path[0] == '/')
            abort();
        if (i && strcmp(sg_tree_entry(tree, i - 1)->path, e->path) >= 0)
            abort(); /* sorted and unique */
        if (i >= 16)
            continue; /* each read re-inflates from the start: bound the work */
        if (sg_tree_read(&out, ctx, tree, e) != 0 || out.size != e->size)
            abort(); /* the same bytes must give the same content */
        if (sg_tree__view(&view, &vlen, tree, e) == 0 &&
            (vlen != out.size || (vlen && memcmp(view, out.ptr, vlen) != 0)))
            abort(); /* the view is the entry's content, in place */
        sg_buf_dispose(&out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_ctx *ctx = fuzz_ctx();
    sg_report *report = NULL;
    sg_tree *tree = NULL;
    sg_tar_info info;

    sg_error_clear(ctx);
    if (sg_report_new(&report, ctx) != 0)
        return 0;
    if (sg_tar_read(&tree, &info, ctx, data, size, report) == 0)
        check_tree(ctx, tree, &info);
    else if (tree != NULL || sg_error_message(ctx)[0] == '\0')
        abort(); /* a failure leaves no tree and always says why */
    sg_tree_free(tree);
    sg_report_free(report);
    return 0;
}
