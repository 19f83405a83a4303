/*
 * libFuzzer target for the git config reader behind url.<base>.insteadOf rewrites
 * (sg_url_rewrites_add_gitconfig in verifier/source/url_rewrite.c). fuzz_repo_url reaches the same
 * reader only after a NUL byte; this target gives it the whole input and a corpus of config
 * files.
 *
 * Input: the text of a git config file. Checks: no crash or hang; a refused text says why;
 * reading it is deterministic (a second rewrite set read from the same text rewrites every
 * probe URL the same way); applying the rewrites to a few probe URLs and to each URL-looking
 * token of the input never fails and gives a NUL-terminated string.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I. tests/fuzz/fuzz_gitconfig.c \
 *         build/libsg_verifier.a build/libsg_diff.a build/libsg_common.a \
 *         -lcurl -lgit2 -larchive -lcjson -lcrypto -o fuzz_gitconfig
 *   ./fuzz_gitconfig -max_len=4096 tests/fuzz/corpus/gitconfig
 */
#include "common/common.h"
#include "sourcegate/source.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const probes[] = {
    "https://github.com/axios/axios.git",
    "git@github.com:axios/axios.git",
    "ssh://git@gitlab.com/a/b.git",
    "https://",
    "",
};

static sg_ctx *fuzz_ctx(void)
{
    static sg_ctx *ctx;
    if (!ctx && sg_ctx_new(&ctx) != 0)
        abort();
    sg_error_clear(ctx);
    return ctx;
}

static void apply_both(sg_ctx *ctx, const sg_url_rewrites *a, const sg_url_rewrites *b,
                       const char *url)
{
    sg_buf x = SG_BUF_INIT, y = SG_BUF_INIT;

    if (sg_url_rewrites_apply(&x, ctx, a, url) != 0 || sg_url_rewrites_apply(&y, ctx, b, url) != 0)
        abort();
    if (x.size != strlen(x.ptr) || x.size != y.size || memcmp(x.ptr, y.ptr, x.size) != 0)
        abort();
    sg_buf_dispose(&x);
    sg_buf_dispose(&y);
}

/* Whitespace- and quote-separated tokens of the input that contain "://" or '@'. */
static void apply_tokens(sg_ctx *ctx, const sg_url_rewrites *a, const sg_url_rewrites *b,
                         const char *text, size_t len)
{
    size_t i = 0, found = 0;
    while (i < len && found < 8) {
        size_t j = i;
        while (j < len && !strchr(" \t\r\n\"=[]", text[j]) && text[j] != '\0')
            j++;
        if (j > i && j - i < 512) {
            char tok[512];
            memcpy(tok, text + i, j - i);
            tok[j - i] = '\0';
            if (strstr(tok, "://") || strchr(tok, '@')) {
                apply_both(ctx, a, b, tok);
                found++;
            }
        }
        i = j + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_ctx *ctx = fuzz_ctx();
    sg_url_rewrites *a = NULL, *b = NULL;
    const char *text = (const char *)data;
    int ra, rb;
    size_t i;

    if (sg_url_rewrites_new(&a, ctx) != 0 || sg_url_rewrites_new(&b, ctx) != 0)
        abort();
    ra = sg_url_rewrites_add_gitconfig(a, ctx, text, size);
    if (ra != 0 && sg_error_message(ctx)[0] == '\0')
        abort();
    sg_error_clear(ctx);
    rb = sg_url_rewrites_add_gitconfig(b, ctx, text, size);
    sg_error_clear(ctx);
    if (ra != rb)
        abort();
    for (i = 0; i < SG_ARRAY_SIZE(probes); i++)
        apply_both(ctx, a, b, probes[i]);
    apply_tokens(ctx, a, b, text, size);
    sg_url_rewrites_free(a);
    sg_url_rewrites_free(b);
    return 0;
}
