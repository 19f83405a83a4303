/*
 * A tar stream written block by block (tar_blocks.h).
 */
#include "tar_blocks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sg_test.h"

unsigned char *sgt_tb_blocks(sgt_tb *t, size_t n)
{
    unsigned char *b;
    if (t->len + n * 512 > t->cap) {
        t->cap = (t->len + n * 512) * 2 + 4096;
        t->p = realloc(t->p, t->cap);
        assert_non_null(t->p);
    }
    b = t->p + t->len;
    memset(b, 0, n * 512);
    t->len += n * 512;
    return b;
}

void sgt_tb_octal(unsigned char *field, size_t width, uint64_t v)
{
    char tmp[40];
    snprintf(tmp, sizeof(tmp), "%0*llo ", (int)(width - 2), (unsigned long long)v);
    memcpy(field, tmp, width - 1);
    field[width - 1] = '\0';
}

void sgt_tb_seal(unsigned char *h)
{
    unsigned sum = 0;
    size_t k;
    memset(h + 148, ' ', 8);
    for (k = 0; k < 512; k++)
        sum += h[k];
    sgt_tb_octal(h + 148, 8, sum);
}

void sgt_tb_body(sgt_tb *t, const void *data, size_t len)
{
    size_t off = t->len;
    if (!len)
        return;
    sgt_tb_blocks(t, (len + 511) / 512);
    memcpy(t->p + off, data, len);
}

void sgt_tb_free(sgt_tb *t)
{
    free(t->p);
    memset(t, 0, sizeof(*t));
}
