/*
 * libFuzzer target for repository URL normalization and URL rewrites (verifier/source/repo_url.c,
 * verifier/source/url_rewrite.c, the mirror folder of verifier/source/mirror.c).
 *
 * Input: "VALUE" or "VALUE\0GITCONFIG". Checks: no crash or hang; an accepted value gives
 * "https://<host>/<path>.git" of printable ASCII with no "..", "//" in the path, '@', '#',
 * '?', '\\' or whitespace; normalization is idempotent (the canonical URL normalizes to
 * itself); its mirror folder stays under git/ with safe bytes only; a git config text either
 * parses or is refused, and applying its rewrites never fails; the case-kept form has the
 * canonical form's length and bytes apart from case (url_rewrite.c takes offsets from one into
 * the other), and a repository rewrite succeeds exactly when normalization does.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I. tests/fuzz/fuzz_repo_url.c \
 *         build/libsg_verifier.a build/libsg_diff.a build/libsg_common.a \
 *         -larchive -lgit2 -lcurl -lcjson -lcrypto -o fuzz_repo_url
 *   ./fuzz_repo_url -max_len=4096 tests/fuzz/corpus/repo_url
 */
#include "common/common.h"
#include "verifier/source/source_int.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sg_ctx *fuzz_ctx(void)
{
    static sg_ctx *ctx;
    if (!ctx && sg_ctx_new(&ctx) != 0)
        abort();
    sg_error_clear(ctx);
    return ctx;
}

static void check_canonical(sg_ctx *ctx, const char *url)
{
    sg_buf again = SG_BUF_INIT, rel = SG_BUF_INIT;
    const char *p, *path;
    size_t n = strlen(url);

    if (strncmp(url, "https://", 8) != 0 || n < 13 || strcmp(url + n - 4, ".git") != 0)
        abort();
    for (p = url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || strchr("@#?\\", *p))
            abort();
    path = strchr(url + 8, '/');
    if (!path || strstr(path, "//") || strstr(path, "/../") || strstr(path, "/./"))
        abort();
    if (sg_repo_url_normalize(&again, ctx, url) != 0 || strcmp(again.ptr, url) != 0)
        abort();
    if (sg_mirror__relpath(&rel, ctx, url) != 0 || strncmp(rel.ptr, "git/", 4) != 0 ||
        strstr(rel.ptr, "/.") ||
        strspn(rel.ptr, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR"
                        "STUVWXYZ0123456789._-/") != rel.size)
        abort();
    sg_buf_dispose(&again);
    sg_buf_dispose(&rel);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_ctx *ctx = fuzz_ctx();
    sg_buf out = SG_BUF_INIT, applied = SG_BUF_INIT;
    sg_url_rewrites *rw = NULL;
    const uint8_t *nul = memchr(data, 0, size);
    size_t vlen = nul ? (size_t)(nul - data) : size;
    char *value = malloc(vlen + 1);
    int taken = 0, normalized;

    if (!value)
        return 0;
    memcpy(value, data, vlen);
    value[vlen] = '\0';
    normalized = sg_repo_url_normalize(&out, ctx, value) == 0;
    if (normalized) {
        check_canonical(ctx, out.ptr);
        if (sg_repo_url__normalize_keep_case(&applied, ctx, value) != 0 ||
            applied.size != out.size || sg_strncasecmp(applied.ptr, out.ptr, out.size) != 0)
            abort();
    } else if (sg_error_code_of(ctx) != SG_EINVALID) {
        abort();
    }
    if (nul && sg_url_rewrites_new(&rw, ctx) == 0) {
        const char *cfg = (const char *)nul + 1;
        size_t clen = size - vlen - 1;
        sg_error_clear(ctx);
        (void)sg_url_rewrites_add_gitconfig(rw, ctx, cfg, clen);
        sg_error_clear(ctx);
        if (sg_url_rewrites_apply(&applied, ctx, rw, out.size ? out.ptr : value) != 0)
            abort();
        if (sg_url_rewrites_apply_repo(&applied, &taken, ctx, rw, value) !=
            (normalized ? 0 : SG_EINVALID))
            abort();
        sg_url_rewrites_free(rw);
    }
    sg_buf_dispose(&out);
    sg_buf_dispose(&applied);
    free(value);
    return 0;
}
