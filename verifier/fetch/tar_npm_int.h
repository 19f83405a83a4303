/*
 * npm's view of a tarball: which files npm's installer (pacote over node-tar) writes to disk,
 * at which paths, with which bytes; and every construct where another tar reader (libarchive)
 * could see something else. A faithful port of node-tar 7.5's Header, Pax, ReadEntry and
 * Parser and of the path handling of its Unpack, with pacote's extract filter (strip: 1, links
 * and non-files dropped, .gitignore renamed to .npmignore).
 *
 * The view is exact on the archives it raises no ambiguity for. Where versions of node-tar
 * differ, or where node-tar and libarchive are known to read one header sequence differently,
 * it does not try to be clever: it records an ambiguity, and the verdict fails.
 */
#ifndef SG_TAR_NPM_INT_H
#define SG_TAR_NPM_INT_H

#include "common/common.h"

/** One file npm installs. */
typedef struct sg_tar_npm_file {
    const char *path;         /**< installed path, package-relative, '/'-separated (arena) */
    const char *archive_path; /**< the same before pacote renames a .gitignore to .npmignore */
    int dropped;              /**< pacote drops this .gitignore: a .npmignore came before it */
    size_t offset;            /**< where its bytes start in the decompressed stream */
    size_t size;              /**< bytes written (less than the header says when truncated) */
    unsigned mode;            /**< the header's permission bits (mode & 07777) */
    size_t header;            /**< offset of its header block, for messages */
} sg_tar_npm_file;

/** One construct that tar readers may interpret differently. */
typedef struct sg_tar_npm_ambiguity {
    const char *path;   /**< the entry's name as far as known, or "" (arena) */
    const char *detail; /**< what is ambiguous, one line (arena) */
    size_t header;      /**< offset of the header block concerned */
} sg_tar_npm_ambiguity;

/** Most ambiguities recorded; the rest are only counted. */
#define SG_TAR_NPM_MAX_AMBIGUITIES 64

typedef struct sg_tar_npm_view {
    sg_tar_npm_file *files;    /**< files in archive order (a later one overwrites);
                                    `dropped` ones are listed but not written */
    size_t nfiles;             /**< number of files */
    size_t files_cap;          /**< allocated slots */
    sg_tar_npm_ambiguity *amb; /**< the first SG_TAR_NPM_MAX_AMBIGUITIES ambiguities */
    size_t namb;               /**< recorded */
    size_t namb_total;         /**< found, recorded or not */
    sg_arena arena;            /**< paths and details */
} sg_tar_npm_view;

#define SG_TAR_NPM_VIEW_INIT                                                                       \
    {                                                                                              \
        NULL, 0, 0, NULL, 0, 0, SG_ARENA_INIT                                                      \
    }

/**
 * Walk the decompressed tar stream `tar` (len bytes) as npm's installer would and fill
 * `view`. Never fails on a malformed archive (node-tar warns and goes on; so does this, with an
 * ambiguity). Errors: SG_ENOMEM; SG_ELIMIT when more than max_entries headers are read.
 */
int sg_tar__npm_view(sg_tar_npm_view *view, sg_ctx *ctx, const unsigned char *tar, size_t len,
                     uint64_t max_entries);

void sg_tar__npm_view_dispose(sg_tar_npm_view *view);

/**
 * The decompressed stream of a gzip tarball as npm's installer reads it (libdeflate, one member
 * at a time, with the semantics of Node's zlib Unzip that node-tar uses: the table in
 * tar_npm.c), at most `limit` bytes; past it, an SG_ELIMIT error that names `which`. Where npm
 * could read the bytes differently (data after zero padding or after the gzip stream) or fails
 * on them, an SG_EINVALID error "cannot read gzip tarball: ...". A tarball that does not start
 * with 1f 8b (node-tar's test) is copied as it is. Errors: SG_EINVALID, SG_ELIMIT, SG_ENOMEM.
 */
int sg_tar__decompress(sg_buf *out, sg_ctx *ctx, const unsigned char *bytes, size_t len,
                       uint64_t limit, sg_limit which);

#endif
