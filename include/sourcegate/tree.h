/*
 * sourcegate: the canonical tree.
 *
 * The one shape that crosses module borders (DESIGN.md): a sorted array of entries with a
 * normalized relative '/'-separated path, a kind, the executable bit, the size, the SHA-256 of
 * the content and a way to read the bytes. The tar reader, the git tree reader, the npm packlist
 * and the rebuild all produce it; the diff consumes two of them and never sees libgit2 or
 * libarchive.
 *
 * Entries are sorted by path in byte order (strcmp) and paths are unique. A tree is immutable
 * once built. Content is not necessarily kept in memory: sg_tree_read() asks the backend that
 * made the tree (the tarball bytes, the git object database) for it.
 */
#ifndef SOURCEGATE_TREE_H
#define SOURCEGATE_TREE_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"
#include "buf.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    SG_ENTRY_FILE = 0,      /**< regular file */
    SG_ENTRY_SYMLINK = 1,   /**< symbolic link; link target in `target` */
    SG_ENTRY_SUBMODULE = 2, /**< git submodule (gitlink): no content in this repository */
} sg_entry_kind;

/** Bytes of each file's beginning kept in the entry, for type detection without a read. */
#define SG_ENTRY_HEAD 64

typedef struct sg_entry {
    const char *path;     /**< normalized relative path, owned by the tree */
    size_t path_len;      /**< strlen(path) */
    sg_entry_kind kind;   /**< what the entry is */
    unsigned exec;        /**< 1 when the executable bit is set (files only) */
    uint64_t size;        /**< content size in bytes (link target length for symlinks) */
    unsigned char sha256[32]; /**< SHA-256 of the content (of the target for symlinks) */
    unsigned char head[SG_ENTRY_HEAD]; /**< first min(size, SG_ENTRY_HEAD) content bytes */
    const char *target;   /**< symlink target, owned by the tree; NULL for other kinds */
    uint64_t cookie;      /**< backend-private locator of the content */
    unsigned pending;     /**< 1 while size, sha256 and head are not computed yet (a lazily
                               read tree; size may be 0, unknown, so a size check before a
                               read is no bound: the read's buffer limit is);
                               sg_tree_complete() computes them */
} sg_entry;

typedef struct sg_tree sg_tree;

/** Number of entries. */
size_t sg_tree_count(const sg_tree *tree);

/** Entry i (0 <= i < count), borrowed; NULL when out of range. */
const sg_entry *sg_tree_entry(const sg_tree *tree, size_t i);

/** Index of the entry with exactly this path, or SIZE_MAX (binary search). */
size_t sg_tree_index(const sg_tree *tree, const char *path);

/** The entry with exactly this path, or NULL (binary search). */
const sg_entry *sg_tree_find(const sg_tree *tree, const char *path);

/**
 * Read the content of an entry of this tree into out (appended). Returns 0, SG_ENOMEM,
 * SG_ELIMIT (the buffer's limit), SG_EIO/SG_EDEP from the backend; SG_EINVALID when the
 * entry is not a file or its content no longer matches its sha256.
 */
int sg_tree_read(sg_buf *out, sg_ctx *ctx, const sg_tree *tree, const sg_entry *entry);

/**
 * A new tree with the entries of src whose keep[i] is nonzero, sharing src's content
 * backend (which stays alive while either tree lives). Free with sg_tree_free().
 */
int sg_tree_select(sg_tree **out, sg_ctx *ctx, const sg_tree *src, const unsigned char *keep);

/**
 * A new tree with the same entries as src, where every pending entry's size, sha256 and head
 * are computed by reading its content (sharing src's backend). Lets a reader list a large
 * tree cheaply and hash only the entries that survive a selection. Errors: those of
 * sg_tree_read().
 */
int sg_tree_complete(sg_tree **out, sg_ctx *ctx, const sg_tree *src);

/** Free a tree; NULL is accepted. */
void sg_tree_free(sg_tree *tree);

/** Lowercase hex of a SHA-256 (65 bytes with the NUL). */
void sg_sha256_hex(char out[65], const unsigned char sha256[32]);

#ifdef __cplusplus
}
#endif
#endif
