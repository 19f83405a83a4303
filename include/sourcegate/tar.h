/*
 * sourcegate: reading a package tarball into a canonical tree.
 */
#ifndef SOURCEGATE_TAR_H
#define SOURCEGATE_TAR_H

#include <stddef.h>
#include "errors.h"
#include "tree.h"
#include "report.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Which tool most likely wrote the tarball (NPM-PACK.md §3.7, §5.1). */
typedef enum {
    SG_PACKER_UNKNOWN = 0,
    SG_PACKER_NPM,         /**< npm >= 7.7 (1985 mtime, NUL uid/gid, gzip OS 255) */
    SG_PACKER_NPM_LEGACY,  /**< npm 5.8-6 (1985 mtime, gzip OS 3) or older npm (real mtimes) */
    SG_PACKER_PNPM,        /**< pnpm (1985 mtime, "000000 " uid, modes 0644/0755 only) */
    SG_PACKER_YARN_BERRY,  /**< yarn 2+ (mtime 1984-06-22T21:50:00Z) */
    SG_PACKER_YARN_CLASSIC,/**< yarn 1 (directory entries, real mtimes) */
} sg_packer;

/** "npm", "npm-legacy", "pnpm", "yarn-berry", "yarn-classic", "unknown". */
const char *sg_packer_name(sg_packer packer);

typedef struct sg_tar_info {
    sg_packer packer;       /**< detected packer */
    char top[256];          /**< the first path component that was stripped ("package") */
    size_t entries;         /**< archive entries seen, of every type */
    uint64_t unpacked_bytes;/**< sum of the regular files' sizes */
} sg_tar_info;

/**
 * Read a gzip (or uncompressed) tar held in memory into a tree of its regular files, with the
 * first path component stripped and paths normalized. Nothing is written to disk. The tree
 * keeps its own copy of the bytes for later sg_tree_read() calls.
 *
 * Hostile shapes become findings in report (which may be NULL to drop them): entries that
 * leave the root or carry absolute, NUL or backslash paths and device/FIFO entries are
 * "unsafe-entry"; symlinks and hardlinks "link-entry"; two entries for one path with different
 * bytes "duplicate-entry" (the last one, which extraction keeps, is in the tree); two paths that
 * differ only by case "case-collision". Accepted normalizations are named in the report
 * ("tar-mtime", "tar-owner", "tar-order", "tar-directory-entries", "tar-pax", "tar-top-folder",
 * "tar-dot-segments", "tar-duplicate-identical").
 *
 * Errors: SG_EINVALID (not a tar, truncated, corrupt; the message names the entry),
 * SG_ELIMIT (any limit of limits.h: tarball, unpacked and file size, ratio, entries, path
 * length and depth), SG_ENOMEM.
 */
int sg_tar_read(sg_tree **out, sg_tar_info *info, sg_ctx *ctx, const unsigned char *bytes,
                size_t len, sg_report *report);

#ifdef __cplusplus
}
#endif
#endif
