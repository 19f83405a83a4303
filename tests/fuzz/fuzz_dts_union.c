/*
 * libFuzzer target for the union-order comparison of declaration files (diff/dts_union.c).
 *
 * Input: "LINE A\nLINE B" (the first newline splits them; without one, A is compared with
 * itself reversed). Checks: no crash or hang; the answer is symmetric; two lines found equal
 * hold the same bytes in another order (the same length and the same count of every byte
 * value: members are only moved, never changed). Then the two inputs as whole files: files
 * found equal name the line where they differ.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I. tests/fuzz/fuzz_dts_union.c \
 *         build/libsg_diff.a build/libsg_common.a -lcjson -lcrypto -o fuzz_dts_union
 *   ./fuzz_dts_union -max_len=4096 tests/fuzz/corpus/dts_union
 */
#include "common/common.h"
#include "diff/diff_int.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int equal(const char *a, size_t an, const char *b, size_t bn)
{
    int out = -1;
    if (sg_diff__union_lines_equal(&out, a, an, b, bn) < 0)
        return -1; /* out of memory: no answer */
    if (out != 0 && out != 1)
        abort();
    return out;
}

static void same_bytes(const char *a, size_t an, const char *b, size_t bn)
{
    size_t count[256] = {0}, i;
    if (an != bn)
        abort();
    for (i = 0; i < an; i++) {
        count[(unsigned char)a[i]]++;
        count[(unsigned char)b[i]]--;
    }
    for (i = 0; i < 256; i++)
        if (count[i])
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static sg_ctx *ctx;
    const char *p = (const char *)data, *nl = memchr(p, '\n', size);
    char *rev = NULL;
    const char *b;
    size_t an, bn, i;
    sg_union_check uc;
    int ab, ba, same;

    if (!ctx && sg_ctx_new(&ctx) != 0)
        abort();
    an = nl ? (size_t)(nl - p) : size;
    if (nl) {
        b = nl + 1;
        bn = size - an - 1;
    } else {
        if (!(rev = malloc(size + 1)))
            return 0;
        for (i = 0; i < size; i++)
            rev[i] = p[size - 1 - i];
        b = rev;
        bn = size;
    }
    if (memchr(b, '\n', bn) == NULL) {
        ab = equal(p, an, b, bn);
        ba = equal(b, bn, p, an);
        if (ab >= 0 && ba >= 0 && ab != ba)
            abort();
        if (ab == 1)
            same_bytes(p, an, b, bn);
    }
    sg_error_clear(ctx);
    if (sg_diff__union_order_only(&same, &uc, ctx, p, an, b, bn) == 0 && same &&
        (uc.lines == 0 || uc.first_line == 0))
        abort();
    free(rev);
    return 0;
}
