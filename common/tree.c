#include "common/common.h"

#include <stdlib.h>

/* A content backend shared by every tree selected from the same source. */
typedef struct backend_ref {
    const sg_tree_backend_ops *ops; /* NULL: no readable content */
    void *self;                     /* the backend's state */
    size_t refs;                    /* trees using it */
} backend_ref;

struct sg_tree {
    sg_entry *entries;    /* sorted by path, unique */
    size_t count;         /* number of entries */
    sg_arena strings;     /* paths and targets */
    backend_ref *backend; /* where content comes from */
};

struct sg_tree_builder {
    sg_tree *tree;   /* the tree being built */
    size_t cap;      /* allocated entries */
    uint64_t limit;  /* SG_LIMIT_ENTRIES at start */
};

static void backend_release(backend_ref *b)
{
    if (!b || --b->refs)
        return;
    if (b->ops && b->ops->free)
        b->ops->free(b->self);
    sg_free(b);
}

int sg_tree__builder_new(sg_tree_builder **out, sg_ctx *ctx, const sg_tree_backend_ops *ops,
                         void *backend)
{
    sg_tree_builder *b = NULL;
    backend_ref *ref = NULL;

    *out = NULL;
    b = sg_calloc(1, sizeof(*b));
    ref = sg_calloc(1, sizeof(*ref));
    if (b)
        b->tree = sg_calloc(1, sizeof(sg_tree));
    if (!b || !ref || !b->tree) {
        if (b)
            sg_free(b->tree);
        sg_free(b);
        sg_free(ref);
        if (ops && ops->free)
            ops->free(backend);
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for a tree");
    }
    ref->ops = ops;
    ref->self = backend;
    ref->refs = 1;
    b->tree->backend = ref;
    b->limit = sg_ctx_limit(ctx, SG_LIMIT_ENTRIES);
    *out = b;
    return 0;
}

int sg_tree__builder_add(sg_tree_builder *b, sg_ctx *ctx, const sg_entry *entry)
{
    sg_tree *t = b->tree;
    sg_entry *e;

    if (t->count >= b->limit)
        return sg_error_set(ctx, SG_ELIMIT, "more than %llu entries (the entries limit)",
                            (unsigned long long)b->limit);
    if (SG_ARRAY_GROW(t->entries, b->cap, t->count + 1, 64) < 0)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for tree entries");
    e = &t->entries[t->count];
    *e = *entry;
    e->path = sg_arena_strndup(&t->strings, entry->path, strlen(entry->path));
    e->target = entry->target ? sg_arena_strdup(&t->strings, entry->target) : NULL;
    if (!e->path || (entry->target && !e->target))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for tree paths");
    e->path_len = strlen(e->path);
    t->count++;
    return 0;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const sg_entry *)a)->path, ((const sg_entry *)b)->path);
}

int sg_tree__builder_finish(sg_tree **out, sg_ctx *ctx, sg_tree_builder *b)
{
    sg_tree *t = b->tree;
    size_t i;

    *out = NULL;
    sg_free(b);
    if (t->count > 1)
        qsort(t->entries, t->count, sizeof(sg_entry), entry_cmp);
    for (i = 1; i < t->count; i++) {
        if (strcmp(t->entries[i - 1].path, t->entries[i].path) == 0) {
            int error = sg_error_set(ctx, SG_EINVALID, "two tree entries for path '%s'",
                                     t->entries[i].path);
            sg_tree_free(t);
            return error;
        }
    }
    *out = t;
    return 0;
}

void sg_tree__builder_free(sg_tree_builder *b)
{
    if (!b)
        return;
    sg_tree_free(b->tree);
    sg_free(b);
}

int sg_entry__set_content(sg_entry *e, sg_ctx *ctx, const void *data, size_t len)
{
    size_t n = len < SG_ENTRY_HEAD ? len : SG_ENTRY_HEAD;
    e->size = len;
    memset(e->head, 0, sizeof(e->head));
    if (n)
        memcpy(e->head, data, n);
    return sg_sha256(e->sha256, ctx, data, len);
}

size_t sg_tree_count(const sg_tree *tree)
{
    return tree ? tree->count : 0;
}

const sg_entry *sg_tree_entry(const sg_tree *tree, size_t i)
{
    return tree && i < tree->count ? &tree->entries[i] : NULL;
}

size_t sg_tree_index(const sg_tree *tree, const char *path)
{
    size_t lo = 0, hi = tree ? tree->count : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(tree->entries[mid].path, path);
        if (c == 0)
            return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

const sg_entry *sg_tree_find(const sg_tree *tree, const char *path)
{
    size_t i = sg_tree_index(tree, path);
    return i == SIZE_MAX ? NULL : &tree->entries[i];
}

int sg_tree_read(sg_buf *out, sg_ctx *ctx, const sg_tree *tree, const sg_entry *entry)
{
    backend_ref *b = tree->backend;
    size_t start = out->size;
    unsigned char digest[32];
    int error;

    if (entry->kind != SG_ENTRY_FILE)
        return sg_error_set(ctx, SG_EINVALID, "'%s' is not a regular file", entry->path);
    if (!b || !b->ops || !b->ops->read)
        return sg_error_set(ctx, SG_EUNSUPPORTED, "the content of '%s' is not available",
                            entry->path);
    if ((error = b->ops->read(b->self, out, ctx, entry)) < 0) {
        /* a backend that passed a buffer error up without a message still gets one */
        if (sg_error_code_of(ctx) != error)
            return out->error ? sg_buf_check(out, ctx, entry->path)
                              : sg_error_set(ctx, error, "cannot read '%s'", entry->path);
        return error;
    }
    if ((error = sg_buf_check(out, ctx, entry->path)) < 0)
        return error;
    if (entry->pending)
        return 0; /* no digest yet to check against */
    if ((error = sg_sha256(digest, ctx, out->ptr + start, out->size - start)) < 0)
        return error;
    if (memcmp(digest, entry->sha256, 32) != 0)
        return sg_error_set(ctx, SG_EINVALID, "the content of '%s' changed since it was read",
                            entry->path);
    return 0;
}

int sg_tree__select_exec(sg_tree **out, sg_ctx *ctx, const sg_tree *src, const unsigned char *keep,
                         const unsigned char *exec)
{
    sg_tree *t;
    size_t i;

    *out = NULL;
    t = sg_calloc(1, sizeof(*t));
    if (!t)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for a tree");
    if (src->count) {
        t->entries = sg_calloc(src->count, sizeof(sg_entry));
        if (!t->entries) {
            sg_free(t);
            return sg_error_set(ctx, SG_ENOMEM, "out of memory for a tree");
        }
    }
    for (i = 0; i < src->count; i++) {
        sg_entry *e;
        if (!keep[i])
            continue;
        e = &t->entries[t->count++];
        *e = src->entries[i];
        e->path = sg_arena_strndup(&t->strings, e->path, e->path_len);
        e->target = e->target ? sg_arena_strdup(&t->strings, e->target) : NULL;
        if (!e->path || (src->entries[i].target && !e->target)) {
            sg_tree_free(t);
            return sg_error_set(ctx, SG_ENOMEM, "out of memory for tree paths");
        }
        if (exec && e->kind == SG_ENTRY_FILE)
            e->exec = exec[i] ? 1 : 0;
    }
    t->backend = src->backend;
    if (t->backend)
        t->backend->refs++;
    *out = t;
    return 0;
}

int sg_tree__view(const void **data, size_t *len, const sg_tree *tree, const sg_entry *e)
{
    const backend_ref *b = tree ? tree->backend : NULL;
    const void *p = NULL;
    size_t n = 0;

    if (!b || !b->ops || !b->ops->view || e->kind != SG_ENTRY_FILE || e->pending ||
        b->ops->view(b->self, &p, &n, e) != 0 || (uint64_t)n != e->size || (n && !p))
        return -1;
    *data = n ? p : "";
    *len = n;
    return 0;
}

void *sg_tree__backend(const sg_tree *tree, const sg_tree_backend_ops *ops)
{
    return tree && tree->backend && tree->backend->ops == ops ? tree->backend->self : NULL;
}

/* Fill a pending file of t: from an entry known to have the same content, else by reading. */
static int complete_entry(sg_tree *t, sg_entry *e, sg_buf *content, sg_ctx *ctx,
                          sg_tree_same_fn same, void *arg)
{
    const sg_entry *k = NULL;
    int error;

    if (same && (error = same(&k, arg, ctx, t, e)) < 0)
        return error;
    if (k) {
        e->size = k->size;
        memcpy(e->sha256, k->sha256, sizeof(e->sha256));
        memcpy(e->head, k->head, sizeof(e->head));
        return 0;
    }
    sg_buf_clear(content);
    if ((error = sg_tree_read(content, ctx, t, e)) < 0)
        return error;
    return sg_entry__set_content(e, ctx, content->ptr, content->size);
}

int sg_tree__complete_with(sg_tree **out, sg_ctx *ctx, const sg_tree *src, sg_tree_same_fn same,
                           void *arg)
{
    sg_tree *t = NULL;
    sg_buf content = SG_BUF_INIT;
    unsigned char *keep = NULL;
    size_t i;
    int error = 0;

    *out = NULL;
    keep = sg_malloc(src->count ? src->count : 1);
    if (!keep)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for a tree");
    memset(keep, 1, src->count);
    if ((error = sg_tree__select_exec(&t, ctx, src, keep, NULL)) < 0)
        goto done;
    sg_buf_init(&content, (size_t)sg_ctx_limit(ctx, SG_LIMIT_FILE_SIZE));
    for (i = 0; i < t->count; i++) {
        sg_entry *e = &t->entries[i];
        if (!e->pending || e->kind != SG_ENTRY_FILE)
            continue;
        if ((error = complete_entry(t, e, &content, ctx, same, arg)) < 0)
            goto done;
        e->pending = 0;
    }
    *out = t;
    t = NULL;
done:
    sg_tree_free(t);
    sg_buf_dispose(&content);
    sg_free(keep);
    return error;
}

int sg_tree_complete(sg_tree **out, sg_ctx *ctx, const sg_tree *src)
{
    return sg_tree__complete_with(out, ctx, src, NULL, NULL);
}

int sg_tree_select(sg_tree **out, sg_ctx *ctx, const sg_tree *src, const unsigned char *keep)
{
    return sg_tree__select_exec(out, ctx, src, keep, NULL);
}

void sg_tree_free(sg_tree *tree)
{
    if (!tree)
        return;
    backend_release(tree->backend);
    sg_arena_dispose(&tree->strings);
    sg_free(tree->entries);
    sg_free(tree);
}
