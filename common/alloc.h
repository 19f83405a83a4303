/*
 * Allocation through one place, so tests can fail the Nth allocation and cJSON shares it.
 * Checked size arithmetic for every sum and product that sizes an allocation (git st_add).
 */
#ifndef SG_ALLOC_H
#define SG_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *sg_malloc(size_t n);
void *sg_calloc(size_t count, size_t size);
void *sg_realloc(void *p, size_t n);
void sg_free(void *p);
char *sg_strdup(const char *s);
char *sg_strndup(const char *s, size_t n);

/**
 * Test hook: make the allocation after `n` more successful ones fail (then keep failing
 * until reset). n < 0 disables. Not thread-safe; tests only.
 */
void sg_alloc__fail_after(long n);

/** Overflow-checked arithmetic: return 1 (and leave *out unspecified) on overflow. */
static inline int sg_add_overflow(size_t *out, size_t a, size_t b)
{
    return __builtin_add_overflow(a, b, out);
}
static inline int sg_mul_overflow(size_t *out, size_t a, size_t b)
{
    return __builtin_mul_overflow(a, b, out);
}

/**
 * Make room for `need` elements of `elem` bytes in the array *ptrp (whose allocated capacity in
 * elements is *cap): when need > *cap, the capacity doubles from `first` (or from *cap) until
 * it holds need, and the array is sg_realloc'd. ptrp is the address of the array pointer
 * (any T **). On failure nothing changes. Returns 0, or SG_ENOMEM when the byte count
 * overflows or the allocation fails (git's ALLOC_GROW, libgit2's git_array_grow).
 */
int sg_array_grow(void *ptrp, size_t *cap, size_t need, size_t elem, size_t first);

/** sg_array_grow() for an array `arr` of any element type with capacity `cap` (an lvalue). */
#define SG_ARRAY_GROW(arr, cap, need, first)                                                       \
    sg_array_grow(&(arr), &(cap), (need), sizeof(*(arr)), (first))

#endif
