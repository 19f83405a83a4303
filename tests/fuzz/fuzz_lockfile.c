/*
 * libFuzzer target for lockfiles: the first byte picks the file name (and so the parser:
 * package-lock.json, yarn.lock classic or berry by content, pnpm-lock.yaml, or detection by
 * content alone), the rest is the lockfile. A parsed lockfile is walked the way the runner
 * reads it and diffed against itself (which must leave nothing) and against nothing.
 * Seeds: tests/fuzz/corpus/lockfile/ (lockfiles written by npm, yarn and pnpm, plus hostile
 * ones); each seed's first byte is the selector.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sourcegate/sourcegate.h"
#include "sourcegate/lockfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"package-lock.json", "yarn.lock", "pnpm-lock.yaml",
                                    "npm-shrinkwrap.json", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sg_ctx *ctx;
    sg_lockfile *lock = NULL, *d = NULL;
    size_t i, sink = 0;

    if (size < 1 || (!ctx && sg_ctx_new(&ctx) < 0))
        return 0;
    sg_error_clear(ctx);
    if (sg_lockfile_parse(&lock, ctx, (const char *)data + 1, size - 1,
                          names[data[0] % (sizeof(names) / sizeof(names[0]))]) < 0)
        return 0;
    for (i = 0; i < sg_lockfile_count(lock); i++) {
        const sg_lockfile_entry *e = sg_lockfile_entry_at(lock, i);
        sink += strlen(e->name) + e->line + (e->version ? strlen(e->version) : 0) +
                (e->resolved ? strlen(e->resolved) : 0) +
                (e->integrity ? strlen(e->integrity) : 0) + (e->alias ? strlen(e->alias) : 0) +
                strlen(sg_lockfile_kind_name(e->kind)) + strlen(sg_lockfile_skip_reason(e));
    }
    if (sg_lockfile_delta(&d, ctx, lock, lock) == 0) {
        if (sg_lockfile_count(d) != 0)
            abort(); /* a lockfile has nothing new over itself */
        sg_lockfile_free(d);
    }
    (void)sink;
    sg_lockfile_free(lock);
    sg_error_clear(ctx);
    return 0;
}
