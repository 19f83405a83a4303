/*
 * Arena for per-tree and per-report strings: many small allocations freed at once.
 */
#ifndef SG_ARENA_H
#define SG_ARENA_H

#include <stddef.h>

typedef struct sg_arena_chunk sg_arena_chunk;

typedef struct sg_arena {
    sg_arena_chunk *head; /**< newest chunk first */
    size_t total;         /**< bytes handed out, for accounting */
} sg_arena;

#define SG_ARENA_INIT { NULL, 0 }

/** n bytes aligned for any type; NULL on overflow or allocation failure. */
void *sg_arena_alloc(sg_arena *a, size_t n);

/** Copy len bytes plus a NUL into the arena. */
char *sg_arena_strndup(sg_arena *a, const char *s, size_t len);
char *sg_arena_strdup(sg_arena *a, const char *s);

void sg_arena_dispose(sg_arena *a);

#endif
