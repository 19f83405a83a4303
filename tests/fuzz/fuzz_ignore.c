/*
 * libFuzzer target for the ignore-rule machinery: the minimatch port, git's wildmatch, the
 * .gitignore evaluator and sg_packlist_npm() on a tree generated from the input.
 *
 * Input: up to four parts separated by NUL bytes:
 *   1. the root .npmignore (each line is also matched as a glob against every path)
 *   2. package.json (a default one when empty)
 *   3. lib/.gitignore (also used as the root .gitignore)
 *   4. file paths, one per line (invalid ones are skipped; at most 64)
 * Checks: no crash or hang; matching is deterministic; the packed tree is a subset of the
 * input, holds no name with '*', and holds package.json unless a string of the manifest holds
 * a line break: npm joins the `files`, `main`, `browser` and `bin` values into ignore-rule text,
 * so a value holding "\n*" adds the rule "*", which excludes everything, package.json too
 * (npm 11.19 then refuses to pack: "no paths specified to add to archive"). sg_packlist_npm
 * does the same; tests/fuzz/regressions/ignore/bin-newline-star is that input.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -I. tests/fuzz/fuzz_ignore.c \
 *         <sg_verifier sg_diff sg_common> -larchive -lgit2 -lcjson -lcrypto
 *   ./a.out -max_len=4096
 */
#include "common/common.h"
#include "verifier/packlist/glob_int.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PATHS 64

typedef struct mem {
    const char *bytes[MAX_PATHS + 4]; /* file contents */
    size_t lens[MAX_PATHS + 4];       /* their lengths */
} mem;

static int mem_read(void *self, sg_buf *out, sg_ctx *ctx, const sg_entry *e)
{
    mem *m = self;
    (void)ctx;
    return sg_buf_put(out, m->bytes[e->cookie], m->lens[e->cookie]);
}

static void mem_free(void *self)
{
    (void)self;
}

static const sg_tree_backend_ops mem_ops = {"fuzz", mem_read, mem_free, NULL};

static sg_ctx *fuzz_ctx(void)
{
    static sg_ctx *ctx;
    if (!ctx) {
        if (sg_ctx_new(&ctx) != 0)
            abort();
        sg_ctx_set_limit(ctx, SG_LIMIT_IGNORE_RULES, 256);
    }
    return ctx;
}

static int valid_path(const char *p, size_t n)
{
    size_t i, start = 0;
    if (!n || n > 200 || p[0] == '/' || p[n - 1] == '/')
        return 0;
    for (i = 0; i <= n; i++) {
        if (i < n && (p[i] == '\0' || p[i] == '\\'))
            return 0;
        if (i == n || p[i] == '/') {
            size_t l = i - start;
            if (l == 0 || (l == 1 && p[start] == '.') ||
                (l == 2 && p[start] == '.' && p[start + 1] == '.'))
                return 0;
            start = i + 1;
        }
    }
    return 1;
}

/* Every line of rules as a glob against every path, twice. */
static void fuzz_globs(sg_ctx *ctx, const char *rules, size_t rlen, char **paths, size_t np)
{
    size_t i = 0;
    while (i < rlen) {
        const char *nl = memchr(rules + i, '\n', rlen - i);
        size_t end = nl ? (size_t)(nl - rules) : rlen, k;
        sg_glob *g = NULL;
        if (sg_glob__compile(&g, ctx, rules + i, end - i, SG_GLOB_NPM) == 0) {
            if (sg_glob__relative(g) > 1 || sg_glob__negate(g) > 1)
                abort();
            for (k = 0; k < np; k++) {
                size_t pl = strlen(paths[k]);
                int a = sg_glob__match(g, paths[k], pl, 0), b = sg_glob__match(g, paths[k], pl, 0);
                int c = sg_glob__match(g, paths[k], pl, 1);
                if (a != b || a < 0 || a > 1 || c < 0 || c > 1)
                    abort();
                if (sg_glob__wildmatch(rules + i, end - i, paths[k], pl) < 0)
                    abort();
            }
            sg_glob__free(g);
        }
        sg_error_clear(ctx);
        i = end + 1;
    }
}

/* 1 when a string (or key) anywhere in v holds CR or LF. */
static int has_line_break(const cJSON *v)
{
    const cJSON *c;
    if ((v->string && strpbrk(v->string, "\r\n")) ||
        (cJSON_IsString(v) && v->valuestring && strpbrk(v->valuestring, "\r\n")))
        return 1;
    for (c = v->child; c; c = c->next)
        if (has_line_break(c))
            return 1;
    return 0;
}

/* package.json must be packed unless rule text could have been injected through it. */
static int needs_package_json(const char *text, size_t len)
{
    cJSON *doc = cJSON_ParseWithLength(text, len);
    int need = doc && !has_line_break(doc);
    cJSON_Delete(doc);
    return need;
}

static void check_packed(const sg_tree *in, const sg_tree *out, int need_pkg)
{
    size_t i;
    int has_pkg = 0;
    for (i = 0; i < sg_tree_count(out); i++) {
        const sg_entry *e = sg_tree_entry(out, i), *src = sg_tree_find(in, e->path);
        if (!src || src->kind != SG_ENTRY_FILE || e->kind != SG_ENTRY_FILE || strchr(e->path, '*'))
            abort();
        has_pkg |= strcmp(e->path, "package.json") == 0;
    }
    if (need_pkg && !has_pkg)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char default_pkg[] = "{\"name\":\"f\",\"version\":\"1.0.0\",\"files\":[\"lib\",\"*"
                                      ".js\",\"!x\"],\"main\":\"m.js\","
                                      "\"bin\":{\"b\":\"bin/b\"}}";
    sg_ctx *ctx = fuzz_ctx();
    const char *part[4] = {"", "", "", ""};
    size_t plen[4] = {0, 0, 0, 0}, np = 0, i, k, start = 0;
    char *copy, *paths[MAX_PATHS];
    mem m;
    sg_tree_builder *b = NULL;
    sg_tree *tree = NULL, *out = NULL;
    sg_gitignore *gi = NULL;

    copy = malloc(size + 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (i = 0, k = 0; i <= size && k < 4; i++) {
        if (i == size || (copy[i] == '\0' && k < 3)) {
            part[k] = copy + start, plen[k] = i - start;
            k++;
            start = i + 1;
        }
    }
    memset(&m, 0, sizeof(m));
    for (i = 0; i < plen[3] && np < MAX_PATHS;) {
        const char *nl = memchr(part[3] + i, '\n', plen[3] - i);
        size_t end = nl ? (size_t)(nl - part[3]) : plen[3];
        if (valid_path(part[3] + i, end - i)) {
            paths[np] = sg_strndup(part[3] + i, end - i);
            if (paths[np])
                np++;
        }
        i = end + 1;
    }
    fuzz_globs(ctx, part[0], plen[0], paths, np);

    if (sg_tree__builder_new(&b, ctx, &mem_ops, &m) == 0) {
        const char *fixed[4] = {"package.json", ".npmignore", ".gitignore", "lib/.gitignore"};
        const char *body[4] = {plen[1] ? part[1] : default_pkg, part[0], part[2], part[2]};
        size_t blen[4] = {plen[1] ? plen[1] : strlen(default_pkg), plen[0], plen[2], plen[2]};
        int ok = 1;
        for (i = 0; i < 4 + np && ok; i++) {
            sg_entry e;
            const char *p = i < 4 ? fixed[i] : paths[i - 4];
            memset(&e, 0, sizeof(e));
            if (i >= 4) {
                for (k = 0; k < 4 && strcmp(p, fixed[k]) != 0; k++)
                    ;
                if (k < 4)
                    continue;
            }
            m.bytes[i] = i < 4 ? body[i] : p;
            m.lens[i] = i < 4 ? blen[i] : strlen(p);
            e.path = p;
            e.kind = SG_ENTRY_FILE;
            e.cookie = i;
            e.exec = (unsigned)(i & 1);
            ok = sg_entry__set_content(&e, ctx, m.bytes[i], m.lens[i]) == 0 &&
                 sg_tree__builder_add(b, ctx, &e) == 0;
        }
        if (ok && sg_tree__builder_finish(&tree, ctx, b) == 0) {
            if (sg_packlist_npm(&out, ctx, tree, NULL) == 0)
                check_packed(tree, out, needs_package_json(body[0], blen[0]));
            if (sg_gitignore_new(&gi, ctx, tree) == 0) {
                for (i = 0; i < np; i++) {
                    int ig = -1;
                    if (sg_gitignore_match(&ig, ctx, gi, paths[i], (int)(i & 1)) == 0 && ig != 0 &&
                        ig != 1)
                        abort();
                }
                sg_gitignore_free(gi);
            }
        } else if (!ok) {
            sg_tree__builder_free(b);
        }
    }
    sg_error_clear(ctx);
    sg_tree_free(out);
    sg_tree_free(tree);
    for (i = 0; i < np; i++)
        sg_free(paths[i]);
    free(copy);
    return 0;
}
