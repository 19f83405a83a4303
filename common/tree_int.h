/*
 * Building canonical trees (for the readers in verifier/ and the packlist).
 */
#ifndef SG_TREE_INT_H
#define SG_TREE_INT_H

#include "sourcegate/tree.h"

/** A content backend: where a tree's bytes come from. */
typedef struct sg_tree_backend_ops {
    const char *name; /**< "tar", "git", ... for messages */
    /** Append the content of e (e->cookie locates it) to out. */
    int (*read)(void *self, sg_buf *out, sg_ctx *ctx, const sg_entry *e);
    /** Release the backend (called when the last tree using it is freed). */
    void (*free)(void *self);
    /**
     * Optional: point *data at e's content when the backend holds it in memory in one piece
     * and *len at its size, without copying or checking it (0); -1 when it cannot (nothing
     * set, no error). The bytes live as long as the backend.
     */
    int (*view)(void *self, const void **data, size_t *len, const sg_entry *e);
} sg_tree_backend_ops;

typedef struct sg_tree_builder sg_tree_builder;

/**
 * Start a tree whose content comes from (ops, backend). The builder takes ownership of backend
 * immediately: it is freed with ops->free on any failure, including this one. ops may be NULL
 * for a tree with no readable content.
 */
int sg_tree__builder_new(sg_tree_builder **out, sg_ctx *ctx, const sg_tree_backend_ops *ops,
                         void *backend);

/**
 * Add an entry: path, target are copied; everything else copied by value. The path must be
 * normalized already. Counts against SG_LIMIT_ENTRIES.
 */
int sg_tree__builder_add(sg_tree_builder *b, sg_ctx *ctx, const sg_entry *entry);

/**
 * Sort and finish. SG_EINVALID when two entries have the same path (readers handle duplicates
 * themselves before adding). Frees the builder in every case.
 */
int sg_tree__builder_finish(sg_tree **out, sg_ctx *ctx, sg_tree_builder *b);

/** Free an unfinished builder (and its backend). */
void sg_tree__builder_free(sg_tree_builder *b);

/**
 * Like sg_tree_select(), but entry i of the new tree gets exec bit exec[i] (exec may be NULL:
 * unchanged). Used by the packlist, which sets the bits npm writes (NPM-PACK.md §3.3).
 */
int sg_tree__select_exec(sg_tree **out, sg_ctx *ctx, const sg_tree *src, const unsigned char *keep,
                         const unsigned char *exec);

/**
 * e's content in place, when the tree's backend keeps it in memory (see the view op): 0 with
 * *data and *len set, or -1 (no error recorded) when it does not, e is not a regular file, or
 * the backend's length is not e->size. Read-only; any thread, while the tree lives.
 */
int sg_tree__view(const void **data, size_t *len, const sg_tree *tree, const sg_entry *e);

/** The backend state of tree when its backend's operations are ops, else NULL. */
void *sg_tree__backend(const sg_tree *tree, const sg_tree_backend_ops *ops);

/**
 * Answers, for a pending file e of tree, an entry (of another tree) whose content is known to
 * be e's, byte for byte, without reading e; or NULL (read it). A failure is an error code
 * (negative) with ctx set; *same is NULL then.
 */
typedef int (*sg_tree_same_fn)(const sg_entry **same, void *arg, sg_ctx *ctx, const sg_tree *tree,
                               const sg_entry *e);

/**
 * sg_tree_complete(), where `same` (may be NULL) may show a pending file's content to be
 * another entry's: its size, digest and head are then copied instead of read. A later
 * sg_tree_read() of such an entry still checks the bytes it gets against that digest.
 */
int sg_tree__complete_with(sg_tree **out, sg_ctx *ctx, const sg_tree *src, sg_tree_same_fn same,
                           void *arg);

/** Fill e->size, e->sha256 and e->head from content bytes. */
int sg_entry__set_content(sg_entry *e, sg_ctx *ctx, const void *data, size_t len);

#endif
