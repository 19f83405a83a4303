#include "common/common.h"

struct sg_arena_chunk {
    sg_arena_chunk *next; /* older chunk */
    size_t used;          /* bytes used in data */
    size_t cap;           /* bytes available in data */
    max_align_t data[];   /* the storage, aligned for any type */
};

#define SG_ARENA_CHUNK (64u * 1024u)

void *sg_arena_alloc(sg_arena *a, size_t n)
{
    const size_t align = sizeof(max_align_t);
    sg_arena_chunk *c = a->head;
    size_t need, cap, bytes;
    void *p;

    if (sg_add_overflow(&need, n, align - 1))
        return NULL;
    need &= ~(align - 1);
    if (need == 0)
        need = align;
    if (!c || c->cap - c->used < need) {
        cap = need > SG_ARENA_CHUNK ? need : SG_ARENA_CHUNK;
        if (sg_add_overflow(&bytes, cap, sizeof(sg_arena_chunk)))
            return NULL;
        c = sg_malloc(bytes);
        if (!c)
            return NULL;
        c->used = 0;
        c->cap = cap;
        if (a->head && need > SG_ARENA_CHUNK) {
            /* A big one-off: keep the current chunk on top for small allocations. */
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    p = (char *)c->data + c->used;
    c->used += need;
    a->total += n;
    return p;
}

char *sg_arena_strndup(sg_arena *a, const char *s, size_t len)
{
    size_t n;
    char *p;
    if (sg_add_overflow(&n, len, 1))
        return NULL;
    p = sg_arena_alloc(a, n);
    if (!p)
        return NULL;
    if (len)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *sg_arena_strdup(sg_arena *a, const char *s)
{
    return sg_arena_strndup(a, s, strlen(s));
}

void sg_arena_dispose(sg_arena *a)
{
    sg_arena_chunk *c = a->head;
    while (c) {
        sg_arena_chunk *next = c->next;
        sg_free(c);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}
