/*
 * npm's packing rules (verifier/packlist/packlist.c) and git's ignore rules (verifier/packlist/gitignore.c).
 *
 * The file lists of the test_packlist__<row> cases are the rows of NPM-PACK.md §1.1-§1.6 (the
 * row id starts the name); each expected list is what `npm pack --dry-run --json` (npm 11.19.1)
 * printed for the same folder, executable bits included.
 */
#include "sg_test.h"
#include "common/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SG_ARRAY_N(a) (sizeof(a) / sizeof((a)[0]))

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void print_tree(const char *what, const sg_tree *t)
{
    size_t i;
    print_error("%s (%zu):\n", what, t ? sg_tree_count(t) : 0);
    for (i = 0; t && i < sg_tree_count(t); i++)
        print_error("  %s%s\n", sg_tree_entry(t, i)->path, sg_tree_entry(t, i)->exec ? " +x" : "");
}

/* Pack files and compare with want (any order) and the executable set. */
static void check_case_opts(const sgt_file *files, size_t n, const char *const *want, size_t nwant,
                            const char *const *exec, size_t nexec, const sg_packlist_opts *opts)
{
    sg_ctx *ctx = NULL;
    sg_tree *src = sgt_tree(files, n), *out = NULL;
    const char **sorted = calloc(nwant + 1, sizeof(*sorted));
    size_t i, bad = 0;

    assert_int_equal(sg_ctx_new(&ctx), 0);
    if (sg_packlist_npm(&out, ctx, src, opts) < 0)
        fail_msg("packlist: %s", sg_error_message(ctx));
    memcpy(sorted, want, nwant * sizeof(*sorted));
    qsort(sorted, nwant, sizeof(*sorted), cmp_str);
    if (sg_tree_count(out) != nwant)
        bad++;
    for (i = 0; !bad && i < nwant; i++) {
        const sg_entry *e = sg_tree_entry(out, i);
        size_t k;
        int want_x = 0;
        for (k = 0; k < nexec; k++)
            want_x |= strcmp(exec[k], e->path) == 0;
        if (strcmp(e->path, sorted[i]) != 0 || (int)e->exec != want_x)
            bad++;
    }
    if (bad) {
        print_error("npm packs (%zu):\n", nwant);
        for (i = 0; i < nwant; i++) {
            size_t k;
            int x = 0;
            for (k = 0; k < nexec; k++)
                x |= strcmp(exec[k], sorted[i]) == 0;
            print_error("  %s%s\n", sorted[i], x ? " +x" : "");
        }
        print_tree("sg_packlist_npm packs", out);
    }
    free(sorted);
    sg_tree_free(out);
    sg_tree_free(src);
    sg_ctx_free(ctx);
    assert_int_equal(bad, 0);
}

static void check_case(const sgt_file *files, size_t n, const char *const *want, size_t nwant,
                       const char *const *exec, size_t nexec)
{
    check_case_opts(files, n, want, nwant, exec, nexec, NULL);
}

/* ---- NPM-PACK.md §1 rows (generated from npm's own output) ---- */

static const sgt_file files_g14[] = {
    {"#x", "x", 0, 0},
    {".npmignore", "# comment\n  dist  \n\\#x\r\nsrc\r\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_g14[] = {
    "LICENSE",  "README.md",     "docs/guide.md", "index.js",      "lib/a.js",
    "lib/b.ts", "lib/secret.js", "lib/sub/s.js",  "lib/test/t.js", "package.json",
};
static const char *const exec_g14[] = {NULL};
static void test_packlist__g14_comments_whitespace_escapes_and_crlf(void **state)
{
    (void)state;
    check_case(files_g14, SG_ARRAY_N(files_g14), want_g14, SG_ARRAY_N(want_g14), exec_g14, 0);
}

static const sgt_file files_g15[] = {
    {".npmignore", "docs/\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_g15[] = {
    "LICENSE",       "README.md",    "dist/d.js", "dist/d.map",    "docs",
    "index.js",      "lib/a.js",     "lib/b.ts",  "lib/secret.js", "lib/sub/s.js",
    "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_g15[] = {NULL};
static void test_packlist__g15_trailing_slash_matches_folders_only(void **state)
{
    (void)state;
    check_case(files_g15, SG_ARRAY_N(files_g15), want_g15, SG_ARRAY_N(want_g15), exec_g15, 0);
}

static const sgt_file files_g10[] = {
    {".npmignore", "/index.js\nsub\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
    {"x/index.js", "x", 0, 0},
};
static const char *const want_g10[] = {
    "LICENSE",  "README.md",     "dist/d.js",     "dist/d.map",   "docs/guide.md", "lib/a.js",
    "lib/b.ts", "lib/secret.js", "lib/test/t.js", "package.json", "src/x.js",      "x/index.js",
};
static const char *const exec_g10[] = {NULL};
static void test_packlist__g10_leading_slash_anchors_and_bare_name_matches_at_depth(void **state)
{
    (void)state;
    check_case(files_g10, SG_ARRAY_N(files_g10), want_g10, SG_ARRAY_N(want_g10), exec_g10, 0);
}

static const sgt_file files_n1[] = {
    {".npmignore", "sub/s.js\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_n1[] = {
    "LICENSE",       "README.md",    "dist/d.js", "dist/d.map",    "docs/guide.md",
    "index.js",      "lib/a.js",     "lib/b.ts",  "lib/secret.js", "lib/sub/s.js",
    "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_n1[] = {NULL};
static void test_packlist__n1_slash_rule_is_anchored_to_its_file(void **state)
{
    (void)state;
    check_case(files_n1, SG_ARRAY_N(files_n1), want_n1, SG_ARRAY_N(want_n1), exec_n1, 0);
}

static const sgt_file files_n3[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/.npmignore", "sub/s.js\n", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_n3[] = {
    "LICENSE",  "README.md", "dist/d.js",     "dist/d.map",    "docs/guide.md", "index.js",
    "lib/a.js", "lib/b.ts",  "lib/secret.js", "lib/test/t.js", "package.json",  "src/x.js",
};
static const char *const exec_n3[] = {NULL};
static void test_packlist__n3_nested_npmignore_rule_relative_to_its_folder(void **state)
{
    (void)state;
    check_case(files_n3, SG_ARRAY_N(files_n3), want_n3, SG_ARRAY_N(want_n3), exec_n3, 0);
}

static const sgt_file files_n2[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/.npmignore", "/sub\n", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
    {"sub/keep.js", "x", 0, 0},
};
static const char *const want_n2[] = {
    "LICENSE",      "README.md", "dist/d.js",   "dist/d.map",    "docs/guide.md",
    "index.js",     "lib/a.js",  "lib/b.ts",    "lib/secret.js", "lib/test/t.js",
    "package.json", "src/x.js",  "sub/keep.js",
};
static const char *const exec_n2[] = {NULL};
static void test_packlist__n2_nested_anchored_rule_stays_in_its_folder(void **state)
{
    (void)state;
    check_case(files_n2, SG_ARRAY_N(files_n2), want_n2, SG_ARRAY_N(want_n2), exec_n2, 0);
}

static const sgt_file files_n4[] = {
    {".npmignore", "**/sub\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_n4[] = {
    "LICENSE",  "README.md", "dist/d.js",     "dist/d.map",    "docs/guide.md", "index.js",
    "lib/a.js", "lib/b.ts",  "lib/secret.js", "lib/test/t.js", "package.json",  "src/x.js",
};
static const char *const exec_n4[] = {NULL};
static void test_packlist__n4_globstar_rule_reaches_any_depth(void **state)
{
    (void)state;
    check_case(files_n4, SG_ARRAY_N(files_n4), want_n4, SG_ARRAY_N(want_n4), exec_n4, 0);
}

static const sgt_file files_g11[] = {
    {".npmignore", "*.JS\nreadme.md\nlicense\npackage.json\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_g11[] = {
    "LICENSE", "README.md", "dist/d.map", "docs/guide.md", "lib/b.ts", "package.json",
};
static const char *const exec_g11[] = {NULL};
static void test_packlist__g11_rules_are_case_insensitive_and_cannot_drop_readme(void **state)
{
    (void)state;
    check_case(files_g11, SG_ARRAY_N(files_g11), want_g11, SG_ARRAY_N(want_g11), exec_g11, 0);
}

static const sgt_file files_g8[] = {
    {".npmignore", "lib\n!lib/a.js\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_g8[] = {
    "LICENSE",       "README.md",    "dist/d.js", "dist/d.map",    "docs/guide.md",
    "index.js",      "lib/a.js",     "lib/b.ts",  "lib/secret.js", "lib/sub/s.js",
    "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_g8[] = {NULL};
static void test_packlist__g8_folder_reentered_through_negation_packs_everything(void **state)
{
    (void)state;
    check_case(files_g8, SG_ARRAY_N(files_g8), want_g8, SG_ARRAY_N(want_g8), exec_g8, 0);
}

static const sgt_file files_g9[] = {
    {".npmignore", "lib/*\n!lib/a.js\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_g9[] = {
    "LICENSE",  "README.md", "dist/d.js",    "dist/d.map", "docs/guide.md",
    "index.js", "lib/a.js",  "package.json", "src/x.js",
};
static const char *const exec_g9[] = {NULL};
static void test_packlist__g9_folder_star_then_negation_keeps_one_file(void **state)
{
    (void)state;
    check_case(files_g9, SG_ARRAY_N(files_g9), want_g9, SG_ARRAY_N(want_g9), exec_g9, 0);
}

static const sgt_file files_n8[] = {
    {".npmignore", "lib/\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/.npmignore", "!a.js\n", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_n8[] = {
    "LICENSE",       "README.md", "dist/d.js",    "dist/d.map",
    "docs/guide.md", "index.js",  "package.json", "src/x.js",
};
static const char *const exec_n8[] = {NULL};
static void test_packlist__n8_excluded_folder_is_never_entered(void **state)
{
    (void)state;
    check_case(files_n8, SG_ARRAY_N(files_n8), want_n8, SG_ARRAY_N(want_n8), exec_n8, 0);
}

static const sgt_file files_n7[] = {
    {".npmignore", "*.js\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/.npmignore", "!a.js\n", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_n7[] = {
    "LICENSE", "README.md", "dist/d.map", "docs/guide.md", "lib/a.js", "lib/b.ts", "package.json",
};
static const char *const exec_n7[] = {NULL};
static void test_packlist__n7_nested_negation_wins_inside_its_folder(void **state)
{
    (void)state;
    check_case(files_n7, SG_ARRAY_N(files_n7), want_n7, SG_ARRAY_N(want_n7), exec_n7, 0);
}

static const sgt_file files_g1[] = {
    {".gitignore", "dist\n*.map\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_g1[] = {
    "LICENSE",       "README.md",    "docs/guide.md", "index.js",     "lib/a.js", "lib/b.ts",
    "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_g1[] = {NULL};
static void test_packlist__g1_gitignore_used_without_npmignore(void **state)
{
    (void)state;
    check_case(files_g1, SG_ARRAY_N(files_g1), want_g1, SG_ARRAY_N(want_g1), exec_g1, 0);
}

static const sgt_file files_g2[] = {
    {".gitignore", "dist\n", 0, 0},
    {".npmignore", "docs\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_g2[] = {
    "LICENSE",  "README.md",     "dist/d.js",    "dist/d.map",    "index.js",     "lib/a.js",
    "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_g2[] = {NULL};
static void test_packlist__g2_npmignore_replaces_gitignore(void **state)
{
    (void)state;
    check_case(files_g2, SG_ARRAY_N(files_g2), want_g2, SG_ARRAY_N(want_g2), exec_g2, 0);
}

static const sgt_file files_n9[] = {
    {".gitignore", "dist/*.map\n", 0, 0},
    {".npmignore", "", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_n9[] = {
    "LICENSE",       "README.md",    "dist/d.js", "dist/d.map",    "docs/guide.md",
    "index.js",      "lib/a.js",     "lib/b.ts",  "lib/secret.js", "lib/sub/s.js",
    "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_n9[] = {NULL};
static void test_packlist__n9_empty_npmignore_still_disables_gitignore(void **state)
{
    (void)state;
    check_case(files_n9, SG_ARRAY_N(files_n9), want_n9, SG_ARRAY_N(want_n9), exec_n9, 0);
}

static const sgt_file files_g3[] = {
    {".gitignore", "dist\n", 0, 0},
    {".npmignore", "lib/secret.js\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"dist\"]}", 0,
     0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_g3[] = {
    "LICENSE",  "README.md",     "dist/d.js",    "dist/d.map",    "lib/a.js",
    "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_g3[] = {NULL};
static void test_packlist__g3_files_discards_root_ignore_files(void **state)
{
    (void)state;
    check_case(files_g3, SG_ARRAY_N(files_g3), want_g3, SG_ARRAY_N(want_g3), exec_g3, 0);
}

static const sgt_file files_g4[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/.gitignore", "*\n", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"dist\"]}", 0,
     0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_g4[] = {
    "LICENSE",       "README.md",    "lib/a.js",      "lib/b.ts",
    "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_g4[] = {NULL};
static void test_packlist__g4_nested_gitignore_applies_under_files(void **state)
{
    (void)state;
    check_case(files_g4, SG_ARRAY_N(files_g4), want_g4, SG_ARRAY_N(want_g4), exec_g4, 0);
}

static const sgt_file files_g5[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/.gitignore", "a.js\n", 0, 0},
    {"lib/.npmignore", "secret.js\n", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"dist\"]}", 0,
     0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_g5[] = {
    "LICENSE",  "README.md",    "dist/d.js",     "dist/d.map",   "lib/a.js",
    "lib/b.ts", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_g5[] = {NULL};
static void test_packlist__g5_nested_npmignore_beats_sibling_gitignore(void **state)
{
    (void)state;
    check_case(files_g5, SG_ARRAY_N(files_g5), want_g5, SG_ARRAY_N(want_g5), exec_g5, 0);
}

static const sgt_file files_g6[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/.gitignore", "a.js\n", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"dist\"]}", 0,
     0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_g6[] = {
    "LICENSE",       "README.md",    "dist/d.js",     "dist/d.map",   "lib/b.ts",
    "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_g6[] = {NULL};
static void test_packlist__g6_nested_gitignore_alone_applies(void **state)
{
    (void)state;
    check_case(files_g6, SG_ARRAY_N(files_g6), want_g6, SG_ARRAY_N(want_g6), exec_g6, 0);
}

static const sgt_file files_g7[] = {
    {".npmignore", "lib/b.ts\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/.gitignore", "a.js\n", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_g7[] = {
    "LICENSE",       "README.md",    "dist/d.js",     "dist/d.map",   "docs/guide.md", "index.js",
    "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_g7[] = {NULL};
static void test_packlist__g7_precedence_is_per_folder(void **state)
{
    (void)state;
    check_case(files_g7, SG_ARRAY_N(files_g7), want_g7, SG_ARRAY_N(want_g7), exec_g7, 0);
}

static const sgt_file files_np[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
    {"sub/.npmignore", "other.js\n", 0, 0},
    {"sub/m.js", "x", 0, 0},
    {"sub/only.js", "x", 0, 0},
    {"sub/other.js", "x", 0, 0},
    {"sub/package.json", "{\"files\": [\"only.js\"]}", 0, 0},
};
static const char *const want_np[] = {
    "LICENSE",  "README.md", "dist/d.js",     "dist/d.map",       "docs/guide.md", "index.js",
    "lib/a.js", "lib/b.ts",  "lib/secret.js", "lib/sub/s.js",     "lib/test/t.js", "package.json",
    "src/x.js", "sub/m.js",  "sub/only.js",   "sub/package.json",
};
static const char *const exec_np[] = {NULL};
static void test_packlist__np_nested_package_json_files_is_ignored(void **state)
{
    (void)state;
    check_case(files_np, SG_ARRAY_N(files_np), want_np, SG_ARRAY_N(want_np), exec_np, 0);
}

static const sgt_file files_t2[] = {
    {".DS_Store", "x", 0, 0},
    {"._foo", "x", 0, 0},
    {".editorconfig", "x", 0, 0},
    {".env", "x", 0, 0},
    {".git/config", "x", 0, 0},
    {".gitignore", "x", 0, 0},
    {".hg", "x", 0, 0},
    {".lock-wscript", "x", 0, 0},
    {".npmignore2", "x", 0, 0},
    {".npmrc", "x", 0, 0},
    {".svn", "x", 0, 0},
    {".wafpickle-7", "x", 0, 0},
    {".x.swp", "x", 0, 0},
    {"CVS", "x", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"a.orig", "x", 0, 0},
    {"archived-packages/x.tgz", "x", 0, 0},
    {"b1-1.0.0.tgz", "x", 0, 0},
    {"build/config.gypi", "x", 0, 0},
    {"build/other.txt", "x", 0, 0},
    {"bun.lock", "x", 0, 0},
    {"bun.lockb", "x", 0, 0},
    {"deep/a/node_modules/q/i.js", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"node_modules/m/i.js", "x", 0, 0},
    {"npm-debug.log", "x", 0, 0},
    {"npm-shrinkwrap.json", "{}", 0, 0},
    {"package-lock.json", "{}", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"pnpm-lock.yaml", "x", 0, 0},
    {"q?.js", "x", 0, 0},
    {"src/x.js", "x", 0, 0},
    {"star*name.js", "x", 0, 0},
    {"sub/.DS_Store", "x", 0, 0},
    {"sub/._bar", "x", 0, 0},
    {"sub/.git/y", "x", 0, 0},
    {"sub/.lock-wscript", "x", 0, 0},
    {"sub/.npmrc", "x", 0, 0},
    {"sub/.wafpickle-1", "x", 0, 0},
    {"sub/.y.swp", "x", 0, 0},
    {"sub/CVS/x", "x", 0, 0},
    {"sub/archived-packages/z", "x", 0, 0},
    {"sub/b.orig", "x", 0, 0},
    {"sub/build/config.gypi", "x", 0, 0},
    {"sub/node_modules/x/a.js", "x", 0, 0},
    {"sub/npm-debug.log", "x", 0, 0},
    {"sub/package-lock.json", "{}", 0, 0},
    {"sub/yarn.lock", "x", 0, 0},
    {"yarn.lock", "x", 0, 0},
};
static const char *const want_t2[] = {
    ".editorconfig",
    ".env",
    ".npmignore2",
    "LICENSE",
    "README.md",
    "b1-1.0.0.tgz",
    "build/other.txt",
    "bun.lock",
    "deep/a/node_modules/q/i.js",
    "dist/d.js",
    "dist/d.map",
    "docs/guide.md",
    "index.js",
    "lib/a.js",
    "lib/b.ts",
    "lib/secret.js",
    "lib/sub/s.js",
    "lib/test/t.js",
    "npm-shrinkwrap.json",
    "package.json",
    "q?.js",
    "src/x.js",
    "sub/package-lock.json",
    "sub/yarn.lock",
};
static const char *const exec_t2[] = {NULL};
static void test_packlist__t2_default_and_strict_exclusions(void **state)
{
    (void)state;
    check_case(files_t2, SG_ARRAY_N(files_t2), want_t2, SG_ARRAY_N(want_t2), exec_t2, 0);
}

static const sgt_file files_t1[] = {
    {"AUTHORS", "x", 0, 0},
    {"CHANGELOG.md", "x", 0, 0},
    {"CONTRIBUTING.md", "x", 0, 0},
    {"COPYING", "x", 0, 0},
    {"COPYING.txt", "x", 0, 0},
    {"HISTORY.md", "x", 0, 0},
    {"LICENCE", "x", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"LICENSE-MIT", "x", 0, 0},
    {"LICENSE.txt~", "x", 0, 0},
    {"LICENSES", "x", 0, 0},
    {"NOTICE", "x", 0, 0},
    {"README", "x", 0, 0},
    {"README$", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"README.md.bak", "x", 0, 0},
    {"README.md~", "x", 0, 0},
    {"README~", "x", 0, 0},
    {"Readme", "x", 0, 0},
    {"changelog", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/README.md", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"license.md", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\"], \"main\": \"src/main.js\", "
     "\"bin\": {\"c\": \"scripts/cli.js\"}, \"browser\": \"web/browser.js\"}",
     0, 0},
    {"readme.txt", "x", 0, 0},
    {"scripts/cli.js", "x", 0, 0},
    {"src/main.js", "x", 0, 0},
    {"src/x.js", "x", 0, 0},
    {"sub/LICENSE", "x", 0, 0},
    {"web/browser.js", "x", 0, 0},
};
static const char *const want_t1[] = {
    "COPYING",       "COPYING.txt",    "LICENCE",       "LICENSE",        "README",
    "README.md",     "README.md.bak",  "Readme",        "lib/a.js",       "lib/b.ts",
    "lib/secret.js", "lib/sub/s.js",   "lib/test/t.js", "license.md",     "package.json",
    "readme.txt",    "scripts/cli.js", "src/main.js",   "web/browser.js",
};
static const char *const exec_t1[] = {NULL};
static void test_packlist__t1_always_included_names_and_forced_entries(void **state)
{
    (void)state;
    check_case(files_t1, SG_ARRAY_N(files_t1), want_t1, SG_ARRAY_N(want_t1), exec_t1, 0);
}

static const sgt_file files_r1[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"!README.md\", \"!LICENSE\", "
     "\"!package.json\"]}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_r1[] = {
    "LICENSE",       "README.md",    "lib/a.js",      "lib/b.ts",
    "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_r1[] = {NULL};
static void test_packlist__r1_files_negation_cannot_drop_required_names(void **state)
{
    (void)state;
    check_case(files_r1, SG_ARRAY_N(files_r1), want_r1, SG_ARRAY_N(want_r1), exec_r1, 0);
}

static const sgt_file files_s1[] = {
    {".DS_Store", "x", 0, 0},
    {"._x", "x", 0, 0},
    {".git/config", "x", 0, 0},
    {".gitignore", "x", 0, 0},
    {".npmignore", "x", 0, 0},
    {".npmrc", "x", 0, 0},
    {".y.swp", "x", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"build/config.gypi", "x", 0, 0},
    {"bun.lockb", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"node_modules/foo/i.js", "x", 0, 0},
    {"npm-debug.log", "x", 0, 0},
    {"npm-shrinkwrap.json", "x", 0, 0},
    {"package-lock.json", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\".npmrc\", \"package-lock.json\", "
     "\"yarn.lock\", \"pnpm-lock.yaml\", \"bun.lockb\", \"node_modules\", "
     "\"node_modules/foo/i.js\", \".git/config\", \"sub/.npmrc\", \".DS_Store\", \"._x\", "
     "\".y.swp\", \"x.orig\", \"npm-debug.log\", \"build/config.gypi\", \".gitignore\", "
     "\".npmignore\", \"sub/.gitignore\", \"npm-shrinkwrap.json\"]}",
     0, 0},
    {"pnpm-lock.yaml", "x", 0, 0},
    {"src/x.js", "x", 0, 0},
    {"sub/.gitignore", "x", 0, 0},
    {"sub/.npmrc", "x", 0, 0},
    {"x.orig", "x", 0, 0},
    {"yarn.lock", "x", 0, 0},
};
static const char *const want_s1[] = {
    ".DS_Store",     "._x",
    ".gitignore",    ".npmignore",
    ".y.swp",        "LICENSE",
    "README.md",     "build/config.gypi",
    "npm-debug.log", "npm-shrinkwrap.json",
    "package.json",  "sub/.gitignore",
    "x.orig",
};
static const char *const exec_s1[] = {NULL};
static void test_packlist__s1_strict_exclusions_beat_files(void **state)
{
    (void)state;
    check_case(files_s1, SG_ARRAY_N(files_s1), want_s1, SG_ARRAY_N(want_s1), exec_s1, 0);
}

static const sgt_file files_s2[] = {
    {".DS_Store", "x", 0, 0},
    {"._x", "x", 0, 0},
    {".git/config", "x", 0, 0},
    {".gitignore", "x", 0, 0},
    {".npmignore",
     "!.DS_Store\n!*.orig\n!.gitignore\n!.npmignore\n!.npmrc\n!package-lock.json\n!node_modules\n",
     0, 0},
    {".npmrc", "x", 0, 0},
    {".y.swp", "x", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"build/config.gypi", "x", 0, 0},
    {"bun.lockb", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"node_modules/foo/i.js", "x", 0, 0},
    {"npm-debug.log", "x", 0, 0},
    {"npm-shrinkwrap.json", "x", 0, 0},
    {"package-lock.json", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"pnpm-lock.yaml", "x", 0, 0},
    {"src/x.js", "x", 0, 0},
    {"sub/.gitignore", "x", 0, 0},
    {"sub/.npmrc", "x", 0, 0},
    {"x.orig", "x", 0, 0},
    {"yarn.lock", "x", 0, 0},
};
static const char *const want_s2[] = {
    ".DS_Store",    ".gitignore",    ".npmignore",    "LICENSE",       "README.md",
    "dist/d.js",    "dist/d.map",    "docs/guide.md", "index.js",      "lib/a.js",
    "lib/b.ts",     "lib/secret.js", "lib/sub/s.js",  "lib/test/t.js", "npm-shrinkwrap.json",
    "package.json", "src/x.js",      "x.orig",
};
static const char *const exec_s2[] = {NULL};
static void test_packlist__s2_npmignore_negation_overrides_defaults_not_strict(void **state)
{
    (void)state;
    check_case(files_s2, SG_ARRAY_N(files_s2), want_s2, SG_ARRAY_N(want_s2), exec_s2, 0);
}

static const sgt_file files_m1[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"main\": \"index.js\"}", 0,
     0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_m1[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "index.js", "package.json",
};
static const char *const exec_m1[] = {NULL};
static void test_packlist__m1_main_forced(void **state)
{
    (void)state;
    check_case(files_m1, SG_ARRAY_N(files_m1), want_m1, SG_ARRAY_N(want_m1), exec_m1, 0);
}

static const sgt_file files_m2[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"main\": \"/index.js\"}", 0,
     0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_m2[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "index.js", "package.json",
};
static const char *const exec_m2[] = {NULL};
static void test_packlist__m2_main_with_leading_slash_forced(void **state)
{
    (void)state;
    check_case(files_m2, SG_ARRAY_N(files_m2), want_m2, SG_ARRAY_N(want_m2), exec_m2, 0);
}

static const sgt_file files_m3[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"main\": \"Index.js\"}", 0,
     0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_m3[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "index.js", "package.json",
};
static const char *const exec_m3[] = {NULL};
static void test_packlist__m3_main_matched_without_case(void **state)
{
    (void)state;
    check_case(files_m3, SG_ARRAY_N(files_m3), want_m3, SG_ARRAY_N(want_m3), exec_m3, 0);
}

static const sgt_file files_m4[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"main\": \"./index.js\"}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_m4[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json",
};
static const char *const exec_m4[] = {NULL};
static void test_packlist__m4_main_with_dot_slash_not_forced(void **state)
{
    (void)state;
    check_case(files_m4, SG_ARRAY_N(files_m4), want_m4, SG_ARRAY_N(want_m4), exec_m4, 0);
}

static const sgt_file files_m5[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"main\": \"index\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_m5[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json",
};
static const char *const exec_m5[] = {NULL};
static void test_packlist__m5_main_without_extension_not_resolved(void **state)
{
    (void)state;
    check_case(files_m5, SG_ARRAY_N(files_m5), want_m5, SG_ARRAY_N(want_m5), exec_m5, 0);
}

static const sgt_file files_m6[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"main\": \"lib\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_m6[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json",
};
static const char *const exec_m6[] = {NULL};
static void test_packlist__m6_main_folder_not_expanded(void **state)
{
    (void)state;
    check_case(files_m6, SG_ARRAY_N(files_m6), want_m6, SG_ARRAY_N(want_m6), exec_m6, 0);
}

static const sgt_file files_m7[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"main\": \"lib/\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_m7[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json",
};
static const char *const exec_m7[] = {NULL};
static void test_packlist__m7_main_folder_with_slash_not_expanded(void **state)
{
    (void)state;
    check_case(files_m7, SG_ARRAY_N(files_m7), want_m7, SG_ARRAY_N(want_m7), exec_m7, 0);
}

static const sgt_file files_b1[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"browser\": "
     "\"docs/guide.md\"}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_b1[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "package.json",
};
static const char *const exec_b1[] = {NULL};
static void test_packlist__b1_browser_string_forced(void **state)
{
    (void)state;
    check_case(files_b1, SG_ARRAY_N(files_b1), want_b1, SG_ARRAY_N(want_b1), exec_b1, 0);
}

static const sgt_file files_b2[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"browser\": "
     "\"./src/x.js\"}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_b2[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json",
};
static const char *const exec_b2[] = {NULL};
static void test_packlist__b2_browser_with_dot_slash_not_forced(void **state)
{
    (void)state;
    check_case(files_b2, SG_ARRAY_N(files_b2), want_b2, SG_ARRAY_N(want_b2), exec_b2, 0);
}

static const sgt_file files_b3[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"browser\": {\"a\": "
     "\"b\"}}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_b3[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json",
};
static const char *const exec_b3[] = {NULL};
static void test_packlist__b3_browser_object_ignored(void **state)
{
    (void)state;
    check_case(files_b3, SG_ARRAY_N(files_b3), want_b3, SG_ARRAY_N(want_b3), exec_b3, 0);
}

static const sgt_file files_bin1[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"bin\": \"src/x.js\"}", 0,
     0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_bin1[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json", "src/x.js",
};
static const char *const exec_bin1[] = {NULL};
static void test_packlist__bin1_bin_string_forced(void **state)
{
    (void)state;
    check_case(files_bin1, SG_ARRAY_N(files_bin1), want_bin1, SG_ARRAY_N(want_bin1), exec_bin1, 0);
}

static const sgt_file files_bin2[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"bin\": {\"x\": "
     "\"./src/x.js\"}}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_bin2[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json", "src/x.js",
};
static const char *const exec_bin2[] = {NULL};
static void test_packlist__bin2_bin_object_normalized(void **state)
{
    (void)state;
    check_case(files_bin2, SG_ARRAY_N(files_bin2), want_bin2, SG_ARRAY_N(want_bin2), exec_bin2, 0);
}

static const sgt_file files_bin3[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"bin\": {\"x\": "
     "\"src/../src/x.js\"}}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_bin3[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json", "src/x.js",
};
static const char *const exec_bin3[] = {NULL};
static void test_packlist__bin3_bin_dotdot_normalized(void **state)
{
    (void)state;
    check_case(files_bin3, SG_ARRAY_N(files_bin3), want_bin3, SG_ARRAY_N(want_bin3), exec_bin3, 0);
}

static const sgt_file files_bin4[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"bin\": {\"x\": "
     "\"/src/x.js\"}}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_bin4[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json", "src/x.js",
};
static const char *const exec_bin4[] = {NULL};
static void test_packlist__bin4_bin_leading_slash_normalized(void **state)
{
    (void)state;
    check_case(files_bin4, SG_ARRAY_N(files_bin4), want_bin4, SG_ARRAY_N(want_bin4), exec_bin4, 0);
}

static const sgt_file files_bd[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"directories\": {\"bin\": "
     "\"docs\"}}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_bd[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "docs/guide.md", "package.json",
};
static const char *const exec_bd[] = {NULL};
static void test_packlist__bd_directories_bin_expanded(void **state)
{
    (void)state;
    check_case(files_bd, SG_ARRAY_N(files_bd), want_bd, SG_ARRAY_N(want_bd), exec_bd, 0);
}

static const sgt_file files_man[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist\"], \"man\": \"docs/guide.md\", "
     "\"types\": \"src/x.js\", \"module\": \"src/x.js\"}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_man[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json",
};
static const char *const exec_man[] = {NULL};
static void test_packlist__man_types_module_never_forced(void **state)
{
    (void)state;
    check_case(files_man, SG_ARRAY_N(files_man), want_man, SG_ARRAY_N(want_man), exec_man, 0);
}

static const sgt_file files_h2[] = {
    {".gitignore", "dist\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"main\": \"dist/d.js\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_h2[] = {
    "LICENSE",       "README.md",    "dist/d.js", "dist/d.map",    "docs/guide.md",
    "index.js",      "lib/a.js",     "lib/b.ts",  "lib/secret.js", "lib/sub/s.js",
    "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_h2[] = {NULL};
static void test_packlist__h2_main_reenters_gitignored_folder(void **state)
{
    (void)state;
    check_case(files_h2, SG_ARRAY_N(files_h2), want_h2, SG_ARRAY_N(want_h2), exec_h2, 0);
}

static const sgt_file files_h3[] = {
    {".gitignore", "dist/\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"main\": \"dist/d.js\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_h3[] = {
    "LICENSE",       "README.md",    "dist/d.js", "dist/d.map",    "docs/guide.md",
    "index.js",      "lib/a.js",     "lib/b.ts",  "lib/secret.js", "lib/sub/s.js",
    "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_h3[] = {NULL};
static void test_packlist__h3_main_reenters_gitignored_folder_with_slash_rule(void **state)
{
    (void)state;
    check_case(files_h3, SG_ARRAY_N(files_h3), want_h3, SG_ARRAY_N(want_h3), exec_h3, 0);
}

static const sgt_file files_h4[] = {
    {".gitignore", "dist/*\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"main\": \"dist/d.js\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_h4[] = {
    "LICENSE",  "README.md",     "dist/d.js",    "docs/guide.md", "index.js",     "lib/a.js",
    "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_h4[] = {NULL};
static void test_packlist__h4_folder_star_rule_keeps_only_main(void **state)
{
    (void)state;
    check_case(files_h4, SG_ARRAY_N(files_h4), want_h4, SG_ARRAY_N(want_h4), exec_h4, 0);
}

static const sgt_file files_f94a676[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f94a676[] = {
    "LICENSE",       "README.md",    "lib/a.js",      "lib/b.ts",
    "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_f94a676[] = {NULL};
static void test_packlist__f94a676_files_folder(void **state)
{
    (void)state;
    check_case(files_f94a676, SG_ARRAY_N(files_f94a676), want_f94a676, SG_ARRAY_N(want_f94a676),
               exec_f94a676, 0);
}

static const sgt_file files_f7bd222[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib/\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f7bd222[] = {
    "LICENSE",       "README.md",    "lib/a.js",      "lib/b.ts",
    "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_f7bd222[] = {NULL};
static void test_packlist__f7bd222_files_folder_with_slash(void **state)
{
    (void)state;
    check_case(files_f7bd222, SG_ARRAY_N(files_f7bd222), want_f7bd222, SG_ARRAY_N(want_f7bd222),
               exec_f7bd222, 0);
}

static const sgt_file files_fbca211[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"./lib\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_fbca211[] = {
    "LICENSE",       "README.md",    "lib/a.js",      "lib/b.ts",
    "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_fbca211[] = {NULL};
static void test_packlist__fbca211_files_dot_slash_folder(void **state)
{
    (void)state;
    check_case(files_fbca211, SG_ARRAY_N(files_fbca211), want_fbca211, SG_ARRAY_N(want_fbca211),
               exec_fbca211, 0);
}

static const sgt_file files_fbc7249[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"/lib\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_fbc7249[] = {
    "LICENSE",       "README.md",    "lib/a.js",      "lib/b.ts",
    "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_fbc7249[] = {NULL};
static void test_packlist__fbc7249_files_slash_folder(void **state)
{
    (void)state;
    check_case(files_fbc7249, SG_ARRAY_N(files_fbc7249), want_fbc7249, SG_ARRAY_N(want_fbc7249),
               exec_fbc7249, 0);
}

static const sgt_file files_f43eb9d[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib/*\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f43eb9d[] = {
    "LICENSE",       "README.md",    "lib/a.js",      "lib/b.ts",
    "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_f43eb9d[] = {NULL};
static void test_packlist__f43eb9d_files_folder_star_becomes_globstar(void **state)
{
    (void)state;
    check_case(files_f43eb9d, SG_ARRAY_N(files_f43eb9d), want_f43eb9d, SG_ARRAY_N(want_f43eb9d),
               exec_f43eb9d, 0);
}

static const sgt_file files_fd490e1[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib/*.js\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_fd490e1[] = {
    "LICENSE", "README.md", "lib/a.js", "lib/secret.js", "package.json",
};
static const char *const exec_fd490e1[] = {NULL};
static void test_packlist__fd490e1_files_star_js_one_level(void **state)
{
    (void)state;
    check_case(files_fd490e1, SG_ARRAY_N(files_fd490e1), want_fd490e1, SG_ARRAY_N(want_fd490e1),
               exec_fd490e1, 0);
}

static const sgt_file files_fd91f06[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib/**/*.js\"]}", 0,
     0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_fd91f06[] = {
    "LICENSE",      "README.md",     "lib/a.js",     "lib/secret.js",
    "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_fd91f06[] = {NULL};
static void test_packlist__fd91f06_files_globstar_js_under_lib(void **state)
{
    (void)state;
    check_case(files_fd91f06, SG_ARRAY_N(files_fd91f06), want_fd91f06, SG_ARRAY_N(want_fd91f06),
               exec_fd91f06, 0);
}

static const sgt_file files_f6ac99d[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"**/*.js\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f6ac99d[] = {
    "LICENSE",       "README.md",    "dist/d.js",     "index.js",     "lib/a.js",
    "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_f6ac99d[] = {NULL};
static void test_packlist__f6ac99d_files_globstar_js_everywhere(void **state)
{
    (void)state;
    check_case(files_f6ac99d, SG_ARRAY_N(files_f6ac99d), want_f6ac99d, SG_ARRAY_N(want_f6ac99d),
               exec_f6ac99d, 0);
}

static const sgt_file files_fa9b3d2[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"*.js\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_fa9b3d2[] = {
    "LICENSE",
    "README.md",
    "index.js",
    "package.json",
};
static const char *const exec_fa9b3d2[] = {NULL};
static void test_packlist__fa9b3d2_files_star_js_root_only(void **state)
{
    (void)state;
    check_case(files_fa9b3d2, SG_ARRAY_N(files_fa9b3d2), want_fa9b3d2, SG_ARRAY_N(want_fa9b3d2),
               exec_fa9b3d2, 0);
}

static const sgt_file files_f45133f[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"li*\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f45133f[] = {
    "LICENSE",
    "README.md",
    "package.json",
};
static const char *const exec_f45133f[] = {NULL};
static void test_packlist__f45133f_files_pattern_matching_folder_adds_nothing(void **state)
{
    (void)state;
    check_case(files_f45133f, SG_ARRAY_N(files_f45133f), want_f45133f, SG_ARRAY_N(want_f45133f),
               exec_f45133f, 0);
}

static const sgt_file files_f8e3725[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib/*/\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f8e3725[] = {
    "LICENSE",
    "README.md",
    "package.json",
};
static const char *const exec_f8e3725[] = {NULL};
static void test_packlist__f8e3725_files_folder_glob_with_slash_adds_nothing(void **state)
{
    (void)state;
    check_case(files_f8e3725, SG_ARRAY_N(files_f8e3725), want_f8e3725, SG_ARRAY_N(want_f8e3725),
               exec_f8e3725, 0);
}

static const sgt_file files_f11ab8b[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"**/test\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f11ab8b[] = {
    "LICENSE",
    "README.md",
    "package.json",
};
static const char *const exec_f11ab8b[] = {NULL};
static void test_packlist__f11ab8b_files_globstar_folder_adds_nothing(void **state)
{
    (void)state;
    check_case(files_f11ab8b, SG_ARRAY_N(files_f11ab8b), want_f11ab8b, SG_ARRAY_N(want_f11ab8b),
               exec_f11ab8b, 0);
}

static const sgt_file files_f20e553[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"{lib,src}\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f20e553[] = {
    "LICENSE",
    "README.md",
    "package.json",
};
static const char *const exec_f20e553[] = {NULL};
static void test_packlist__f20e553_files_brace_folders_add_nothing(void **state)
{
    (void)state;
    check_case(files_f20e553, SG_ARRAY_N(files_f20e553), want_f20e553, SG_ARRAY_N(want_f20e553),
               exec_f20e553, 0);
}

static const sgt_file files_f8bfcf4[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"{lib,src}/**\"]}", 0,
     0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f8bfcf4[] = {
    "LICENSE",      "README.md",     "lib/a.js",     "lib/b.ts", "lib/secret.js",
    "lib/sub/s.js", "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_f8bfcf4[] = {NULL};
static void test_packlist__f8bfcf4_files_brace_globstar(void **state)
{
    (void)state;
    check_case(files_f8bfcf4, SG_ARRAY_N(files_f8bfcf4), want_f8bfcf4, SG_ARRAY_N(want_f8bfcf4),
               exec_f8bfcf4, 0);
}

static const sgt_file files_f21edb2[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"!lib/test\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f21edb2[] = {
    "LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/secret.js", "lib/sub/s.js", "package.json",
};
static const char *const exec_f21edb2[] = {NULL};
static void test_packlist__f21edb2_files_negated_subfolder(void **state)
{
    (void)state;
    check_case(files_f21edb2, SG_ARRAY_N(files_f21edb2), want_f21edb2, SG_ARRAY_N(want_f21edb2),
               exec_f21edb2, 0);
}

static const sgt_file files_f753131[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"!lib/secret.js\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f753131[] = {
    "LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_f753131[] = {NULL};
static void test_packlist__f753131_files_negated_file(void **state)
{
    (void)state;
    check_case(files_f753131, SG_ARRAY_N(files_f753131), want_f753131, SG_ARRAY_N(want_f753131),
               exec_f753131, 0);
}

static const sgt_file files_f237fa7[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"!**/secret.js\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f237fa7[] = {
    "LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_f237fa7[] = {NULL};
static void test_packlist__f237fa7_files_negated_globstar_file(void **state)
{
    (void)state;
    check_case(files_f237fa7, SG_ARRAY_N(files_f237fa7), want_f237fa7, SG_ARRAY_N(want_f237fa7),
               exec_f237fa7, 0);
}

static const sgt_file files_f72b904[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"!secret.js\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f72b904[] = {
    "LICENSE", "README.md", "lib/a.js", "lib/b.ts", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_f72b904[] = {NULL};
static void test_packlist__f72b904_files_negated_basename_any_depth(void **state)
{
    (void)state;
    check_case(files_f72b904, SG_ARRAY_N(files_f72b904), want_f72b904, SG_ARRAY_N(want_f72b904),
               exec_f72b904, 0);
}

static const sgt_file files_fc8cab1[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"!lib/a.js\", \"lib\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_fc8cab1[] = {
    "LICENSE",      "README.md",     "lib/b.ts",     "lib/secret.js",
    "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_fc8cab1[] = {NULL};
static void test_packlist__fc8cab1_files_negation_first_still_wins(void **state)
{
    (void)state;
    check_case(files_fc8cab1, SG_ARRAY_N(files_fc8cab1), want_fc8cab1, SG_ARRAY_N(want_fc8cab1),
               exec_fc8cab1, 0);
}

static const sgt_file files_f404030[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"!lib/**/*.ts\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f404030[] = {
    "LICENSE",      "README.md",     "lib/a.js",     "lib/secret.js",
    "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_f404030[] = {NULL};
static void test_packlist__f404030_files_negated_extension(void **state)
{
    (void)state;
    check_case(files_f404030, SG_ARRAY_N(files_f404030), want_f404030, SG_ARRAY_N(want_f404030),
               exec_f404030, 0);
}

static const sgt_file files_febc9c4[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"docs\", \"!docs\"]}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_febc9c4[] = {
    "LICENSE",
    "README.md",
    "package.json",
};
static const char *const exec_febc9c4[] = {NULL};
static void test_packlist__febc9c4_files_folder_then_its_negation(void **state)
{
    (void)state;
    check_case(files_febc9c4, SG_ARRAY_N(files_febc9c4), want_febc9c4, SG_ARRAY_N(want_febc9c4),
               exec_febc9c4, 0);
}

static const sgt_file files_fc5a362[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"LIB\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_fc5a362[] = {
    "LICENSE",
    "README.md",
    "package.json",
};
static const char *const exec_fc5a362[] = {NULL};
static void test_packlist__fc5a362_files_wrong_case_folder_adds_nothing(void **state)
{
    (void)state;
    check_case(files_fc5a362, SG_ARRAY_N(files_fc5a362), want_fc5a362, SG_ARRAY_N(want_fc5a362),
               exec_fc5a362, 0);
}

static const sgt_file files_f333fb9[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"Index.JS\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f333fb9[] = {
    "LICENSE",
    "README.md",
    "index.js",
    "package.json",
};
static const char *const exec_f333fb9[] = {NULL};
static void test_packlist__f333fb9_files_wrong_case_file_matches(void **state)
{
    (void)state;
    check_case(files_f333fb9, SG_ARRAY_N(files_f333fb9), want_f333fb9, SG_ARRAY_N(want_f333fb9),
               exec_f333fb9, 0);
}

static const sgt_file files_f280863[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"nonexistent.js\", \"lib/a.js\"]}", 0,
     0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f280863[] = {
    "LICENSE",
    "README.md",
    "lib/a.js",
    "package.json",
};
static const char *const exec_f280863[] = {NULL};
static void test_packlist__f280863_files_missing_entry_ignored(void **state)
{
    (void)state;
    check_case(files_f280863, SG_ARRAY_N(files_f280863), want_f280863, SG_ARRAY_N(want_f280863),
               exec_f280863, 0);
}

static const sgt_file files_f3ea35d[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\".\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f3ea35d[] = {
    "LICENSE",
    "README.md",
    "package.json",
};
static const char *const exec_f3ea35d[] = {NULL};
static void test_packlist__f3ea35d_files_dot_adds_nothing(void **state)
{
    (void)state;
    check_case(files_f3ea35d, SG_ARRAY_N(files_f3ea35d), want_f3ea35d, SG_ARRAY_N(want_f3ea35d),
               exec_f3ea35d, 0);
}

static const sgt_file files_f22b770[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"./\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f22b770[] = {
    "LICENSE",       "README.md",    "dist/d.js", "dist/d.map",    "docs/guide.md",
    "index.js",      "lib/a.js",     "lib/b.ts",  "lib/secret.js", "lib/sub/s.js",
    "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_f22b770[] = {NULL};
static void test_packlist__f22b770_files_dot_slash_packs_everything(void **state)
{
    (void)state;
    check_case(files_f22b770, SG_ARRAY_N(files_f22b770), want_f22b770, SG_ARRAY_N(want_f22b770),
               exec_f22b770, 0);
}

static const sgt_file files_f9ef1fb[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib/../src\"]}", 0,
     0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f9ef1fb[] = {
    "LICENSE",
    "README.md",
    "package.json",
    "src/x.js",
};
static const char *const exec_f9ef1fb[] = {NULL};
static void test_packlist__f9ef1fb_files_dotdot_resolved(void **state)
{
    (void)state;
    check_case(files_f9ef1fb, SG_ARRAY_N(files_f9ef1fb), want_f9ef1fb, SG_ARRAY_N(want_f9ef1fb),
               exec_f9ef1fb, 0);
}

static const sgt_file files_f58e049[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": []}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_f58e049[] = {
    "LICENSE",
    "README.md",
    "package.json",
};
static const char *const exec_f58e049[] = {NULL};
static void test_packlist__f58e049_files_empty_array(void **state)
{
    (void)state;
    check_case(files_f58e049, SG_ARRAY_N(files_f58e049), want_f58e049, SG_ARRAY_N(want_f58e049),
               exec_f58e049, 0);
}

static const sgt_file files_fs1[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": \"lib\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_fs1[] = {
    "LICENSE",
    "README.md",
    "package.json",
};
static const char *const exec_fs1[] = {NULL};
static void test_packlist__fs1_files_string_iterates_characters(void **state)
{
    (void)state;
    check_case(files_fs1, SG_ARRAY_N(files_fs1), want_fs1, SG_ARRAY_N(want_fs1), exec_fs1, 0);
}

static const sgt_file files_fempty[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_fempty[] = {
    "LICENSE",       "README.md",    "dist/d.js", "dist/d.map",    "docs/guide.md",
    "index.js",      "lib/a.js",     "lib/b.ts",  "lib/secret.js", "lib/sub/s.js",
    "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_fempty[] = {NULL};
static void test_packlist__files_empty_string_entry_packs_everything(void **state)
{
    (void)state;
    check_case(files_fempty, SG_ARRAY_N(files_fempty), want_fempty, SG_ARRAY_N(want_fempty),
               exec_fempty, 0);
}

static const sgt_file files_h1[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/.gitignore", "*\n", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"dist/d.js\"]}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_h1[] = {
    "LICENSE",
    "README.md",
    "dist/d.js",
    "package.json",
};
static const char *const exec_h1[] = {NULL};
static void test_packlist__h1_required_file_beats_nested_gitignore(void **state)
{
    (void)state;
    check_case(files_h1, SG_ARRAY_N(files_h1), want_h1, SG_ARRAY_N(want_h1), exec_h1, 0);
}

static const sgt_file files_t4[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"abs.js", "/etc/passwd", 0, 0120000},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"empty.txt", "", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"real.js", "x", 0, 0},
    {"src/x.js", "x", 0, 0},
    {"sym.js", "real.js", 0, 0120000},
    {"symdir", "symdir-target", 0, 0120000},
    {"symdir-target/f.js", "x", 0, 0},
};
static const char *const want_t4[] = {
    "LICENSE",       "README.md",     "dist/d.js",    "dist/d.map",
    "docs/guide.md", "empty.txt",     "index.js",     "lib/a.js",
    "lib/b.ts",      "lib/secret.js", "lib/sub/s.js", "lib/test/t.js",
    "package.json",  "real.js",       "src/x.js",     "symdir-target/f.js",
};
static const char *const exec_t4[] = {NULL};
static void test_packlist__t4_symlinks_dropped_empty_file_kept(void **state)
{
    (void)state;
    check_case(files_t4, SG_ARRAY_N(files_t4), want_t4, SG_ARRAY_N(want_t4), exec_t4, 0);
}

static const sgt_file files_sl[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"link.js", "real.js", 0, 0120000},
    {"linkdir", "lib", 0, 0120000},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"link.js\", \"linkdir\", \"dist\"], "
     "\"main\": \"link.js\"}",
     0, 0},
    {"real.js", "x", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_sl[] = {
    "LICENSE", "README.md", "dist/d.js", "dist/d.map", "package.json",
};
static const char *const exec_sl[] = {NULL};
static void test_packlist__sl_symlinks_in_files_and_main_dropped(void **state)
{
    (void)state;
    check_case(files_sl, SG_ARRAY_N(files_sl), want_sl, SG_ARRAY_N(want_sl), exec_sl, 0);
}

static const sgt_file files_odd[] = {
    {"@root.js", "x", 0, 0},
    {"@scope/x/i.js", "x", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"a b.js", "x", 0, 0},
    {"a@b.js", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"q?.js", "x", 0, 0},
    {"src/x.js", "x", 0, 0},
    {"st*r.js", "x", 0, 0},
    {"st*r/x.js", "x", 0, 0},
    {"ünï/café.js", "x", 0, 0},
};
static const char *const want_odd[] = {
    "@root.js",     "@scope/x/i.js", "LICENSE",       "README.md",     "a b.js",
    "a@b.js",       "dist/d.js",     "dist/d.map",    "docs/guide.md", "index.js",
    "lib/a.js",     "lib/b.ts",      "lib/secret.js", "lib/sub/s.js",  "lib/test/t.js",
    "package.json", "q?.js",         "src/x.js",      "ünï/café.js",
};
static const char *const exec_odd[] = {NULL};
static void test_packlist__odd_names_kept_star_names_dropped(void **state)
{
    (void)state;
    check_case(files_odd, SG_ARRAY_N(files_odd), want_odd, SG_ARRAY_N(want_odd), exec_odd, 0);
}

static const sgt_file files_t6[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"bin/b.js", "x", 0, 0},
    {"cli.js", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"other/cli.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"bin\": {\"a\": \"cli.js\", \"b\": \"bin/b.js\"}}",
     0, 0},
    {"src/x.js", "x", 0, 0},
    {"x/bin/b.js", "x", 0, 0},
};
static const char *const want_t6[] = {
    "LICENSE",       "README.md",    "bin/b.js",     "cli.js",   "dist/d.js",     "dist/d.map",
    "docs/guide.md", "index.js",     "lib/a.js",     "lib/b.ts", "lib/secret.js", "lib/sub/s.js",
    "lib/test/t.js", "other/cli.js", "package.json", "src/x.js", "x/bin/b.js",
};
static const char *const exec_t6[] = {"cli.js", "other/cli.js", "x/bin/b.js"};
static void test_packlist__t6_exec_bit_follows_is_package_bin_quirk(void **state)
{
    (void)state;
    check_case(files_t6, SG_ARRAY_N(files_t6), want_t6, SG_ARRAY_N(want_t6), exec_t6, 3);
}

static const sgt_file files_at[] = {
    {"@root.js", "x", 0, 0},
    {"@scope/x/i.js", "x", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"bin\": {\"a\": \"@root.js\", \"b\": "
     "\"@scope/x/i.js\"}}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_at[] = {
    "@root.js",      "@scope/x/i.js", "LICENSE",       "README.md",    "dist/d.js",
    "dist/d.map",    "docs/guide.md", "index.js",      "lib/a.js",     "lib/b.ts",
    "lib/secret.js", "lib/sub/s.js",  "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_at[] = {"@root.js", "@scope/x/i.js"};
static void test_packlist__at_names_starting_with_at_get_bin_exec(void **state)
{
    (void)state;
    check_case(files_at, SG_ARRAY_N(files_at), want_at, SG_ARRAY_N(want_at), exec_at, 2);
}

static const sgt_file files_ws[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"other/.npmignore", "o.js\n", 0, 0},
    {"other/o.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\", \"workspaces\": [\"packages/*\"]}",
     0, 0},
    {"packages/a/.npmignore", "x.js\n", 0, 0},
    {"packages/a/package.json", "{\"name\": \"a\", \"version\": \"1.0.0\"}", 0, 0},
    {"packages/a/x.js", "x", 0, 0},
    {"packages/a/y.js", "x", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_ws[] = {
    "LICENSE",
    "README.md",
    "dist/d.js",
    "dist/d.map",
    "docs/guide.md",
    "index.js",
    "lib/a.js",
    "lib/b.ts",
    "lib/secret.js",
    "lib/sub/s.js",
    "lib/test/t.js",
    "package.json",
    "packages/a/package.json",
    "packages/a/x.js",
    "packages/a/y.js",
    "src/x.js",
};
static const char *const exec_ws[] = {NULL};
static void test_packlist__ws_workspaces_make_nested_package_json_an_ignore_file(void **state)
{
    (void)state;
    check_case(files_ws, SG_ARRAY_N(files_ws), want_ws, SG_ARRAY_N(want_ws), exec_ws, 0);
}

static const sgt_file files_nocase[] = {
    {".npmignore", "DIST\n*.MAP\nLib/Sub\n", 0, 0},
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"package.json", "{\"name\": \"p\", \"version\": \"1.0.0\"}", 0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_nocase[] = {
    "LICENSE",  "README.md",     "docs/guide.md", "index.js",     "lib/a.js",
    "lib/b.ts", "lib/secret.js", "lib/test/t.js", "package.json", "src/x.js",
};
static const char *const exec_nocase[] = {NULL};
static void test_packlist__nocase_rules_match_any_case(void **state)
{
    (void)state;
    check_case(files_nocase, SG_ARRAY_N(files_nocase), want_nocase, SG_ARRAY_N(want_nocase),
               exec_nocase, 0);
}

static const sgt_file files_nm[] = {
    {"LICENSE", "x", 0, 0},
    {"README.md", "x", 0, 0},
    {"dist/d.js", "x", 0, 0},
    {"dist/d.map", "x", 0, 0},
    {"docs/guide.md", "x", 0, 0},
    {"index.js", "x", 0, 0},
    {"lib/a.js", "x", 0, 0},
    {"lib/b.ts", "x", 0, 0},
    {"lib/node_modules/b/i.js", "x", 0, 0},
    {"lib/secret.js", "x", 0, 0},
    {"lib/sub/s.js", "x", 0, 0},
    {"lib/test/t.js", "x", 0, 0},
    {"node_modules/a/i.js", "x", 0, 0},
    {"package.json",
     "{\"name\": \"p\", \"version\": \"1.0.0\", \"files\": [\"lib\", \"node_modules\"], "
     "\"bundleDependencies\": [\"a\"]}",
     0, 0},
    {"src/x.js", "x", 0, 0},
};
static const char *const want_nm[] = {
    "LICENSE",       "README.md",    "lib/a.js",      "lib/b.ts",     "lib/node_modules/b/i.js",
    "lib/secret.js", "lib/sub/s.js", "lib/test/t.js", "package.json",
};
static const char *const exec_nm[] = {NULL};
static void test_packlist__nm_root_node_modules_strict_nested_kept(void **state)
{
    (void)state;
    check_case(files_nm, SG_ARRAY_N(files_nm), want_nm, SG_ARRAY_N(want_nm), exec_nm, 0);
}

/* ---- more behaviour ---- */

static void test_packlist__disk_exec_bit_is_kept(void **state)
{
    static const sgt_file files[] = {
        {"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\"}", 0, 0},
        {"run.sh", "#!/bin/sh\n", 0, 0755},
        {"lib/x.js", "x", 0, 0644},
    };
    static const char *const want[] = {"package.json", "run.sh", "lib/x.js"};
    static const char *const exec[] = {"run.sh"};
    (void)state;
    check_case(files, SG_ARRAY_N(files), want, SG_ARRAY_N(want), exec, 1);
}

/* §1.8: `cd packages/foo && npm pack` with the root .gitignore (dist, *.log) and
 * packages/.gitignore (src) handed in as ancestor ignore files. */
static void test_packlist__ancestor_ignore_files_are_default_rules(void **state)
{
    static const sgt_file files[] = {
        {"package.json", "{\"name\":\"foo\",\"version\":\"1.0.0\"}", 0, 0},
        {"i.js", "x", 0, 0},
        {"dist/d.js", "x", 0, 0},
        {"src/s.js", "x", 0, 0},
        {"x.log", "x", 0, 0},
    };
    static const char *const want[] = {"i.js", "package.json"};
    static const char *const all[] = {"dist/d.js", "i.js", "package.json", "src/s.js", "x.log"};
    const char *anc[] = {"dist\n*.log\n", "src\n"};
    sg_packlist_opts opts = SG_PACKLIST_OPTS_INIT;
    (void)state;
    opts.ancestor_ignores = anc;
    opts.ancestor_ignore_count = 2;
    check_case_opts(files, SG_ARRAY_N(files), want, SG_ARRAY_N(want), NULL, 0, &opts);
    /* `npm pack ./packages/foo` from the root: no ancestor files */
    check_case_opts(files, SG_ARRAY_N(files), all, SG_ARRAY_N(all), NULL, 0, NULL);
}

static void test_packlist__submodule_is_an_empty_folder(void **state)
{
    static const sgt_file files[] = {
        {"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\",\"files\":[\"vendor\",\"a.js\"]}",
         0, 0},
        {"a.js", "x", 0, 0},
        {"vendor", "0123456789012345678901234567890123456789", 0, 0160000},
    };
    static const char *const want[] = {"a.js", "package.json"};
    (void)state;
    check_case(files, SG_ARRAY_N(files), want, SG_ARRAY_N(want), NULL, 0);
}

static void test_packlist__symlinked_npmignore_is_followed_inside_the_tree(void **state)
{
    static const sgt_file files[] = {
        {"package.json", "{\"name\":\"p\",\"version\":\"1.0.0\"}", 0, 0},
        {".npmignore", "rules/npm.txt", 0, 0120000},
        {"rules/npm.txt", "*.map\nrules\n", 0, 0},
        {"a.js", "x", 0, 0},
        {"a.map", "x", 0, 0},
    };
    static const char *const want[] = {"a.js", "package.json"};
    (void)state;
    check_case(files, SG_ARRAY_N(files), want, SG_ARRAY_N(want), NULL, 0);
}

static int pack_error(const sgt_file *files, size_t n, sg_ctx *ctx)
{
    sg_tree *src = sgt_tree(files, n), *out = NULL;
    int rc = sg_packlist_npm(&out, ctx, src, NULL);
    if (rc == 0)
        assert_non_null(out);
    else
        assert_null(out);
    sg_tree_free(out);
    sg_tree_free(src);
    return rc;
}

static void test_packlist__errors_without_or_with_bad_package_json(void **state)
{
    static const sgt_file none[] = {{"a.js", "x", 0, 0}};
    static const sgt_file array[] = {{"package.json", "[1,2]", 0, 0}};
    static const sgt_file broken[] = {{"package.json", "{\"name\":", 0, 0}};
    static const sgt_file files_obj[] = {{"package.json", "{\"files\":{\"a\":1}}", 0, 0}};
    static const sgt_file files_num[] = {{"package.json", "{\"files\":5}", 0, 0}};
    static const sgt_file files_int[] = {{"package.json", "{\"files\":[\"a\",1]}", 0, 0}};
    static const sgt_file folder[] = {{"package.json", "{}", 0, 0},
                                      {"lib/.npmignore/x", "x", 0, 0}};
    static const sgt_file bom[] = {{"package.json", "\xEF\xBB\xBF{\"files\":[]}", 0, 0},
                                   {"a.js", "x", 0, 0}};
    sg_ctx *ctx = NULL;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(pack_error(none, 1, ctx), SG_ENOTFOUND);
    sg_error_clear(ctx);
    assert_int_equal(pack_error(array, 1, ctx), SG_EINVALID);
    sg_error_clear(ctx);
    assert_true(pack_error(broken, 1, ctx) < 0);
    sg_error_clear(ctx);
    assert_int_equal(pack_error(files_obj, 1, ctx), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "files"));
    sg_error_clear(ctx);
    assert_int_equal(pack_error(files_num, 1, ctx), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(pack_error(files_int, 1, ctx), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(pack_error(folder, 2, ctx), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "'lib/.npmignore'"));
    sg_error_clear(ctx);
    assert_int_equal(pack_error(bom, 2, ctx), 0);
    sg_ctx_free(ctx);
}

static void test_packlist__rule_count_limit(void **state)
{
    sgt_file files[2] = {{"package.json", "{}", 0, 0}, {".npmignore", NULL, 0, 0}};
    char *rules = malloc(200000);
    size_t n = 0, i;
    sg_ctx *ctx = NULL;
    (void)state;
    for (i = 0; i < 20000; i++)
        n += (size_t)snprintf(rules + n, 200000 - n, "r%zu\n", i);
    files[1].content = rules;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(pack_error(files, 2, ctx), SG_ELIMIT);
    sg_error_clear(ctx);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_IGNORE_RULES, 30000), 0);
    assert_int_equal(pack_error(files, 2, ctx), 0);
    free(rules);
    sg_ctx_free(ctx);
}

static void test_packlist__hostile_patterns_fail_cleanly(void **state)
{
    sgt_file files[3] = {
        {"package.json", "{}", 0, 0}, {".npmignore", NULL, 0, 0}, {"a.js", "x", 0, 0}};
    char *rules = malloc(4096);
    size_t n = 0, i;
    sg_ctx *ctx = NULL;
    (void)state;
    for (i = 0; i < 24; i++)
        n += (size_t)snprintf(rules + n, 4096 - n, "{a,b}");
    rules[n++] = '\n';
    rules[n] = '\0';
    files[1].content = rules;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(pack_error(files, 3, ctx), SG_ELIMIT);
    assert_non_null(strstr(sg_error_message(ctx), ".npmignore"));
    free(rules);
    sg_ctx_free(ctx);
}

/* Every allocation failure is reported as an error; nothing crashes or leaks (ASan builds). */
static void test_packlist__survives_allocation_failures(void **state)
{
    static const sgt_file files[] = {
        {"package.json",
         "{\"name\":\"p\",\"version\":\"1.0.0\",\"files\":[\"lib\",\"a.js\",\"!lib/x\"],"
         "\"bin\":{\"b\":\"a.js\"},\"main\":\"m.js\"}",
         0, 0},
        {".npmignore", "*.map\n!keep.map\n+(a|b).js\n{x,y}/**\n", 0, 0},
        {"lib/.gitignore", "gen/\n", 0, 0},
        {"lib/x/a.js", "x", 0, 0},
        {"lib/gen/g.js", "x", 0, 0},
        {"a.js", "x", 0, 0},
        {"m.js", "x", 0, 0},
        {"README.md", "x", 0, 0},
    };
    sg_tree *src = sgt_tree(files, SG_ARRAY_N(files));
    sg_ctx *ctx = NULL;
    long n;
    int ok = 0;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    for (n = 0; n < 5000 && !ok; n++) {
        sg_tree *out = NULL;
        sg_gitignore *gi = NULL;
        int rc, ig;
        sg_alloc__fail_after(n);
        rc = sg_packlist_npm(&out, ctx, src, NULL);
        if (rc == 0 && sg_gitignore_new(&gi, ctx, src) == 0) {
            ok = sg_gitignore_match(&ig, ctx, gi, "lib/gen/g.js", 0) == 0;
            sg_gitignore_free(gi);
        }
        sg_alloc__fail_after(-1);
        if (rc < 0)
            assert_null(out);
        else
            assert_int_equal(sg_tree_count(out), 4);
        sg_tree_free(out);
        sg_error_clear(ctx);
    }
    assert_true(ok);
    sg_tree_free(src);
    sg_ctx_free(ctx);
}

/* ---- git's ignore rules ---- */

typedef struct gi_case {
    const char *path; /* queried path */
    int is_dir;       /* queried as a folder */
    int ignored;      /* what `git check-ignore --no-index` says (git 2.39) */
} gi_case;

static void check_gitignore(const sgt_file *files, size_t n, const gi_case *cases, size_t nc)
{
    sg_ctx *ctx = NULL;
    sg_tree *t = sgt_tree(files, n);
    sg_gitignore *gi = NULL;
    size_t i, bad = 0;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_gitignore_new(&gi, ctx, t), 0);
    for (i = 0; i < nc; i++) {
        int ig = -1;
        if (sg_gitignore_match(&ig, ctx, gi, cases[i].path, cases[i].is_dir) < 0)
            fail_msg("match %s: %s", cases[i].path, sg_error_message(ctx));
        if (ig != cases[i].ignored) {
            print_error("'%s'%s: ignored=%d, git says %d\n", cases[i].path,
                        cases[i].is_dir ? " (folder)" : "", ig, cases[i].ignored);
            bad++;
        }
    }
    sg_gitignore_free(gi);
    sg_tree_free(t);
    sg_ctx_free(ctx);
    assert_int_equal(bad, 0);
}

static void test_gitignore__basename_anchored_and_folder_rules(void **state)
{
    static const sgt_file files[] = {
        {".gitignore", "dist\n/build\n*.log\nout/\ndocs/*.tmp\n", 0, 0},
        {"lib/.gitignore", "gen/\n/local.js\n", 0, 0},
    };
    static const gi_case cases[] = {
        {"dist/index.js", 0, 1},
        {"lib/dist/x.js", 0, 1},
        {"build/x.js", 0, 1},
        {"lib/build/x.js", 0, 0},
        {"a.log", 0, 1},
        {"lib/deep/a.log", 0, 1},
        {"out", 0, 0},
        {"out", 1, 1},
        {"out/x", 0, 1},
        {"docs/a.tmp", 0, 1},
        {"lib/docs/a.tmp", 0, 0},
        {"lib/gen/x.js", 0, 1},
        {"lib/local.js", 0, 1},
        {"lib/x/local.js", 0, 0},
        {"local.js", 0, 0},
        {"src/index.js", 0, 0},
        {"DIST/x.js", 0, 0},
    };
    (void)state;
    check_gitignore(files, SG_ARRAY_N(files), cases, SG_ARRAY_N(cases));
}

static void test_gitignore__negation_cannot_reinclude_below_excluded_folder(void **state)
{
    static const sgt_file files[] = {
        {".gitignore", "lib\n!lib/a.js\nlogs/*\n!logs/keep.txt\n*.map\n", 0, 0},
        {"src/.gitignore", "!x.map\n", 0, 0},
    };
    static const gi_case cases[] = {
        {"lib/a.js", 0, 1}, {"lib/b.js", 0, 1},  {"logs/keep.txt", 0, 0}, {"logs/other.txt", 0, 1},
        {"a.map", 0, 1},    {"src/x.map", 0, 0}, {"src/y.map", 0, 1},
    };
    (void)state;
    check_gitignore(files, SG_ARRAY_N(files), cases, SG_ARRAY_N(cases));
}

static void test_gitignore__globstar_escapes_spaces_and_prefix_quirk(void **state)
{
    static const sgt_file files[] = {
        {".gitignore",
         "a/**/b\n**/tmp\nx/**\n\\#h\n\\!bang\nsp\\ \ntrail   \n  lead\nfoo**/bar\n[ab]?.c\n# c\n",
         0, 0},
    };
    static const gi_case cases[] = {
        {"a/b", 0, 1},   {"a/x/y/b", 0, 1}, {"a/xb", 0, 0},    {"q/tmp", 0, 1},
        {"tmp", 0, 1},   {"x/y/z", 0, 1},   {"x", 0, 0},       {"#h", 0, 1},
        {"!bang", 0, 1}, {"sp ", 0, 1},     {"sp", 0, 0},      {"trail", 0, 1},
        {"lead", 0, 0},  {"  lead", 0, 1},  {"foo/bar", 0, 1}, {"foox/y/bar", 0, 1},
        {"ax.c", 0, 1},  {"cx.c", 0, 0},    {"# c", 0, 0},
    };
    (void)state;
    check_gitignore(files, SG_ARRAY_N(files), cases, SG_ARRAY_N(cases));
}

static void test_gitignore__crlf_bom_and_deeper_file_wins(void **state)
{
    static const sgt_file files[] = {
        {".gitignore", "\xEF\xBB\xBF*.gen\r\n!keep.gen\r\n", 0, 0},
        {"a/.gitignore", "keep.gen\n", 0, 0},
        {"b/.gitignore", "!*.gen\n", 0, 0},
    };
    static const gi_case cases[] = {
        {"x.gen", 0, 1},   {"keep.gen", 0, 0}, {"a/keep.gen", 0, 1},
        {"b/y.gen", 0, 0}, {"c/y.gen", 0, 1},
    };
    (void)state;
    check_gitignore(files, SG_ARRAY_N(files), cases, SG_ARRAY_N(cases));
}

static void test_gitignore__symlinked_gitignore_not_read_and_case_sensitive(void **state)
{
    static const sgt_file files[] = {
        {".gitignore", "real.txt", 0, 0120000},
        {"real.txt", "*.js\n", 0, 0},
        {"sub/.gitignore", "Build/\n", 0, 0},
    };
    static const gi_case cases[] = {
        {"a.js", 0, 0},
        {"sub/Build/x", 0, 1},
        {"sub/build/x", 0, 0},
    };
    (void)state;
    check_gitignore(files, SG_ARRAY_N(files), cases, SG_ARRAY_N(cases));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_packlist__g14_comments_whitespace_escapes_and_crlf),
        cmocka_unit_test(test_packlist__g15_trailing_slash_matches_folders_only),
        cmocka_unit_test(test_packlist__g10_leading_slash_anchors_and_bare_name_matches_at_depth),
        cmocka_unit_test(test_packlist__n1_slash_rule_is_anchored_to_its_file),
        cmocka_unit_test(test_packlist__n3_nested_npmignore_rule_relative_to_its_folder),
        cmocka_unit_test(test_packlist__n2_nested_anchored_rule_stays_in_its_folder),
        cmocka_unit_test(test_packlist__n4_globstar_rule_reaches_any_depth),
        cmocka_unit_test(test_packlist__g11_rules_are_case_insensitive_and_cannot_drop_readme),
        cmocka_unit_test(test_packlist__g8_folder_reentered_through_negation_packs_everything),
        cmocka_unit_test(test_packlist__g9_folder_star_then_negation_keeps_one_file),
        cmocka_unit_test(test_packlist__n8_excluded_folder_is_never_entered),
        cmocka_unit_test(test_packlist__n7_nested_negation_wins_inside_its_folder),
        cmocka_unit_test(test_packlist__g1_gitignore_used_without_npmignore),
        cmocka_unit_test(test_packlist__g2_npmignore_replaces_gitignore),
        cmocka_unit_test(test_packlist__n9_empty_npmignore_still_disables_gitignore),
        cmocka_unit_test(test_packlist__g3_files_discards_root_ignore_files),
        cmocka_unit_test(test_packlist__g4_nested_gitignore_applies_under_files),
        cmocka_unit_test(test_packlist__g5_nested_npmignore_beats_sibling_gitignore),
        cmocka_unit_test(test_packlist__g6_nested_gitignore_alone_applies),
        cmocka_unit_test(test_packlist__g7_precedence_is_per_folder),
        cmocka_unit_test(test_packlist__np_nested_package_json_files_is_ignored),
        cmocka_unit_test(test_packlist__t2_default_and_strict_exclusions),
        cmocka_unit_test(test_packlist__t1_always_included_names_and_forced_entries),
        cmocka_unit_test(test_packlist__r1_files_negation_cannot_drop_required_names),
        cmocka_unit_test(test_packlist__s1_strict_exclusions_beat_files),
        cmocka_unit_test(test_packlist__s2_npmignore_negation_overrides_defaults_not_strict),
        cmocka_unit_test(test_packlist__m1_main_forced),
        cmocka_unit_test(test_packlist__m2_main_with_leading_slash_forced),
        cmocka_unit_test(test_packlist__m3_main_matched_without_case),
        cmocka_unit_test(test_packlist__m4_main_with_dot_slash_not_forced),
        cmocka_unit_test(test_packlist__m5_main_without_extension_not_resolved),
        cmocka_unit_test(test_packlist__m6_main_folder_not_expanded),
        cmocka_unit_test(test_packlist__m7_main_folder_with_slash_not_expanded),
        cmocka_unit_test(test_packlist__b1_browser_string_forced),
        cmocka_unit_test(test_packlist__b2_browser_with_dot_slash_not_forced),
        cmocka_unit_test(test_packlist__b3_browser_object_ignored),
        cmocka_unit_test(test_packlist__bin1_bin_string_forced),
        cmocka_unit_test(test_packlist__bin2_bin_object_normalized),
        cmocka_unit_test(test_packlist__bin3_bin_dotdot_normalized),
        cmocka_unit_test(test_packlist__bin4_bin_leading_slash_normalized),
        cmocka_unit_test(test_packlist__bd_directories_bin_expanded),
        cmocka_unit_test(test_packlist__man_types_module_never_forced),
        cmocka_unit_test(test_packlist__h2_main_reenters_gitignored_folder),
        cmocka_unit_test(test_packlist__h3_main_reenters_gitignored_folder_with_slash_rule),
        cmocka_unit_test(test_packlist__h4_folder_star_rule_keeps_only_main),
        cmocka_unit_test(test_packlist__f94a676_files_folder),
        cmocka_unit_test(test_packlist__f7bd222_files_folder_with_slash),
        cmocka_unit_test(test_packlist__fbca211_files_dot_slash_folder),
        cmocka_unit_test(test_packlist__fbc7249_files_slash_folder),
        cmocka_unit_test(test_packlist__f43eb9d_files_folder_star_becomes_globstar),
        cmocka_unit_test(test_packlist__fd490e1_files_star_js_one_level),
        cmocka_unit_test(test_packlist__fd91f06_files_globstar_js_under_lib),
        cmocka_unit_test(test_packlist__f6ac99d_files_globstar_js_everywhere),
        cmocka_unit_test(test_packlist__fa9b3d2_files_star_js_root_only),
        cmocka_unit_test(test_packlist__f45133f_files_pattern_matching_folder_adds_nothing),
        cmocka_unit_test(test_packlist__f8e3725_files_folder_glob_with_slash_adds_nothing),
        cmocka_unit_test(test_packlist__f11ab8b_files_globstar_folder_adds_nothing),
        cmocka_unit_test(test_packlist__f20e553_files_brace_folders_add_nothing),
        cmocka_unit_test(test_packlist__f8bfcf4_files_brace_globstar),
        cmocka_unit_test(test_packlist__f21edb2_files_negated_subfolder),
        cmocka_unit_test(test_packlist__f753131_files_negated_file),
        cmocka_unit_test(test_packlist__f237fa7_files_negated_globstar_file),
        cmocka_unit_test(test_packlist__f72b904_files_negated_basename_any_depth),
        cmocka_unit_test(test_packlist__fc8cab1_files_negation_first_still_wins),
        cmocka_unit_test(test_packlist__f404030_files_negated_extension),
        cmocka_unit_test(test_packlist__febc9c4_files_folder_then_its_negation),
        cmocka_unit_test(test_packlist__fc5a362_files_wrong_case_folder_adds_nothing),
        cmocka_unit_test(test_packlist__f333fb9_files_wrong_case_file_matches),
        cmocka_unit_test(test_packlist__f280863_files_missing_entry_ignored),
        cmocka_unit_test(test_packlist__f3ea35d_files_dot_adds_nothing),
        cmocka_unit_test(test_packlist__f22b770_files_dot_slash_packs_everything),
        cmocka_unit_test(test_packlist__f9ef1fb_files_dotdot_resolved),
        cmocka_unit_test(test_packlist__f58e049_files_empty_array),
        cmocka_unit_test(test_packlist__fs1_files_string_iterates_characters),
        cmocka_unit_test(test_packlist__files_empty_string_entry_packs_everything),
        cmocka_unit_test(test_packlist__h1_required_file_beats_nested_gitignore),
        cmocka_unit_test(test_packlist__t4_symlinks_dropped_empty_file_kept),
        cmocka_unit_test(test_packlist__sl_symlinks_in_files_and_main_dropped),
        cmocka_unit_test(test_packlist__odd_names_kept_star_names_dropped),
        cmocka_unit_test(test_packlist__t6_exec_bit_follows_is_package_bin_quirk),
        cmocka_unit_test(test_packlist__at_names_starting_with_at_get_bin_exec),
        cmocka_unit_test(test_packlist__ws_workspaces_make_nested_package_json_an_ignore_file),
        cmocka_unit_test(test_packlist__nocase_rules_match_any_case),
        cmocka_unit_test(test_packlist__nm_root_node_modules_strict_nested_kept),
        cmocka_unit_test(test_packlist__disk_exec_bit_is_kept),
        cmocka_unit_test(test_packlist__ancestor_ignore_files_are_default_rules),
        cmocka_unit_test(test_packlist__submodule_is_an_empty_folder),
        cmocka_unit_test(test_packlist__symlinked_npmignore_is_followed_inside_the_tree),
        cmocka_unit_test(test_packlist__errors_without_or_with_bad_package_json),
        cmocka_unit_test(test_packlist__rule_count_limit),
        cmocka_unit_test(test_packlist__hostile_patterns_fail_cleanly),
        cmocka_unit_test(test_packlist__survives_allocation_failures),
        cmocka_unit_test(test_gitignore__basename_anchored_and_folder_rules),
        cmocka_unit_test(test_gitignore__negation_cannot_reinclude_below_excluded_folder),
        cmocka_unit_test(test_gitignore__globstar_escapes_spaces_and_prefix_quirk),
        cmocka_unit_test(test_gitignore__crlf_bom_and_deeper_file_wins),
        cmocka_unit_test(test_gitignore__symlinked_gitignore_not_read_and_case_sensitive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
