#include "common/common.h"

#include <stdlib.h>

/* Test hook (sg_alloc__fail_after): remaining successful allocations; negative = unlimited. */
static long fail_countdown = -1;

static int should_fail(void)
{
    if (fail_countdown < 0)
        return 0;
    if (fail_countdown == 0)
        return 1;
    fail_countdown--;
    return 0;
}

void sg_alloc__fail_after(long n)
{
    fail_countdown = n;
}

void *sg_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    return malloc(n ? n : 1);
}

void *sg_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *sg_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    return realloc(p, n ? n : 1);
}

void sg_free(void *p)
{
    free(p);
}

char *sg_strndup(const char *s, size_t n)
{
    size_t alloc;
    char *r;
    if (sg_add_overflow(&alloc, n, 1))
        return NULL;
    r = sg_malloc(alloc);
    if (!r)
        return NULL;
    memcpy(r, s, n);
    r[n] = '\0';
    return r;
}

char *sg_strdup(const char *s)
{
    return sg_strndup(s, strlen(s));
}

int sg_array_grow(void *ptrp, size_t *cap, size_t need, size_t elem, size_t first)
{
    size_t ncap, bytes;
    void *old, *p;

    if (need <= *cap)
        return 0;
    ncap = *cap ? *cap : (first ? first : 1);
    while (ncap < need)
        if (sg_mul_overflow(&ncap, ncap, 2))
            return SG_ENOMEM;
    if (sg_mul_overflow(&bytes, ncap, elem))
        return SG_ENOMEM;
    /* The pointer is read and written as bytes: ptrp may point at any object pointer type. */
    memcpy(&old, ptrp, sizeof(old));
    if ((p = sg_realloc(old, bytes)) == NULL)
        return SG_ENOMEM;
    memcpy(ptrp, &p, sizeof(p));
    *cap = ncap;
    return 0;
}
