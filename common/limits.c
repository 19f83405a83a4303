#include "common/common.h"

#include <inttypes.h>

#include "common/ctx_int.h"

/* Every limit on untrusted input, with its default and hard ceiling (SQLite sqliteLimit.h).
 * Defaults fit the largest real npm packages with room to spare (typescript unpacks to ~23 MB,
 * ~200 files; the largest popular packages hold tens of thousands of files). */
static const struct {
    const char *name;  /* option name */
    uint64_t def;      /* default */
    uint64_t ceiling;  /* hard maximum */
} limit_table[SG_LIMIT__COUNT] = {
    [SG_LIMIT_TARBALL_BYTES] = {"tarball-bytes", 256ull << 20, 4ull << 30},
    [SG_LIMIT_UNPACKED_BYTES] = {"unpacked-bytes", 1ull << 30, 16ull << 30},
    [SG_LIMIT_RATIO] = {"compression-ratio", 200, 100000},
    [SG_LIMIT_ENTRIES] = {"entries", 100000, 2000000},
    [SG_LIMIT_PATH_LENGTH] = {"path-length", 1024, 4096},
    [SG_LIMIT_PATH_DEPTH] = {"path-depth", 64, 512},
    [SG_LIMIT_FILE_SIZE] = {"file-size", 256ull << 20, 4ull << 30},
    [SG_LIMIT_JSON_DEPTH] = {"json-depth", 128, 1000},
    [SG_LIMIT_JSON_SIZE] = {"json-size", 64ull << 20, 1ull << 30},
    [SG_LIMIT_GIT_BLOB_SIZE] = {"git-blob-size", 256ull << 20, 4ull << 30},
    [SG_LIMIT_GIT_TREE_ENTRIES] = {"git-tree-entries", 500000, 5000000},
    [SG_LIMIT_IGNORE_RULES] = {"ignore-rules", 10000, 1000000},
};

uint64_t sg_limit_default(sg_limit which)
{
    return (unsigned)which < SG_LIMIT__COUNT ? limit_table[which].def : 0;
}

uint64_t sg_limit_ceiling(sg_limit which)
{
    return (unsigned)which < SG_LIMIT__COUNT ? limit_table[which].ceiling : 0;
}

const char *sg_limit_name(sg_limit which)
{
    return (unsigned)which < SG_LIMIT__COUNT ? limit_table[which].name : "unknown";
}

int sg_limit_lookup(sg_limit *out, const char *name)
{
    size_t i;
    for (i = 0; i < SG_LIMIT__COUNT; i++) {
        if (strcmp(limit_table[i].name, name) == 0) {
            *out = (sg_limit)i;
            return 0;
        }
    }
    return SG_ENOTFOUND;
}

uint64_t sg_ctx_limit(const sg_ctx *ctx, sg_limit which)
{
    if ((unsigned)which >= SG_LIMIT__COUNT)
        return 0;
    return ctx ? ctx->limits[which] : limit_table[which].def;
}

int sg_ctx_set_limit(sg_ctx *ctx, sg_limit which, uint64_t value)
{
    if ((unsigned)which >= SG_LIMIT__COUNT)
        return sg_error_set(ctx, SG_EINVALID, "unknown limit %d", (int)which);
    if (value == 0 || value > limit_table[which].ceiling)
        return sg_error_set(ctx, SG_EINVALID,
                            "limit '%s' must be between 1 and %" PRIu64 ", not %" PRIu64,
                            limit_table[which].name, limit_table[which].ceiling, value);
    ctx->limits[which] = value;
    return 0;
}
