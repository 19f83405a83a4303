/*
 * The minimatch port and git's wildmatch (verifier/packlist/glob_*.c).
 *
 * The minimatch expectations were produced by minimatch 10.2.5 itself (npm 11.19.1's copy, with
 * the options ignore-walk passes: matchBase, dot, flipNegate, nocase); the file was also checked
 * against it on a few hundred thousand generated pattern/path pairs during development.
 */
#include "sg_test.h"
#include "verifier/packlist/glob_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct mm_case {
    const char *pattern; /* the rule */
    const char *path;    /* what it is matched against */
    int partial;         /* Minimatch#match's partial argument */
    int match;           /* minimatch's answer */
    int relative;        /* ignore-walk's isRelativeRule */
} mm_case;

static const mm_case mm_cases[] = {
    {"*.js", "a.js", 0, 1, 1},
    {"*.js", "lib/a.js", 0, 1, 1},
    {"*.js", "/lib/a.js", 0, 1, 1},
    {"*.JS", "lib/A.js", 0, 1, 1},
    {"*.js", ".a.js", 0, 1, 1},
    {"/index.js", "/index.js", 0, 1, 0},
    {"/index.js", "/x/index.js", 0, 0, 0},
    {"index.js", "/x/index.js", 0, 1, 1},
    {"lib/a.js", "lib/a.js", 0, 1, 0},
    {"lib/a.js", "/lib/a.js", 0, 0, 0},
    {"lib/a.js", "x/lib/a.js", 0, 0, 0},
    {"lib/a.js", "lib", 1, 1, 0},
    {"lib/a.js", "lib/", 0, 0, 0},
    {"lib/a.js", "/lib", 1, 0, 0},
    {"docs/", "docs", 0, 0, 1},
    {"docs/", "docs/", 0, 1, 1},
    {"docs/", "x/docs/", 0, 0, 1},
    {"**/sub", "lib/sub", 0, 1, 0},
    {"**/sub", "sub", 0, 1, 0},
    {"**/sub", "/lib/sub", 0, 1, 0},
    {"**/.git/**", "a/.git/x", 0, 1, 0},
    {"**/.git/**", ".git", 0, 0, 0},
    {"**/.git/**", ".git/", 0, 1, 0},
    {"/.wafpickle-*", "/.wafpickle-7", 0, 1, 0},
    {".*.swp", ".x.swp", 0, 1, 1},
    {".*.swp", "x.swp", 0, 0, 1},
    {"._*", "._foo", 0, 1, 1},
    {"*.orig", "sub/b.orig", 0, 1, 1},
    {"/archived-packages/**", "/archived-packages/x.tgz", 0, 1, 0},
    {"/archived-packages/**", "/archived-packages", 0, 0, 0},
    {"/archived-packages/**", "/archived-packages/", 0, 1, 0},
    {"/readme{,.*[^~$]}", "/README", 0, 1, 0},
    {"/readme{,.*[^~$]}", "/README.md", 0, 1, 0},
    {"/readme{,.*[^~$]}", "/README~", 0, 0, 0},
    {"/readme{,.*[^~$]}", "/README.md~", 0, 0, 0},
    {"/readme{,.*[^~$]}", "/README$", 0, 0, 0},
    {"/readme{,.*[^~$]}", "/README.", 0, 0, 0},
    {"/readme{,.*[^~$]}", "/READMEx", 0, 0, 0},
    {"lib/**", "lib", 1, 1, 0},
    {"lib/**", "lib/a/b", 0, 1, 0},
    {"lib/*", "lib/a", 0, 1, 0},
    {"lib/*", "lib/a/", 0, 1, 0},
    {"lib/*", "lib/a/b", 0, 0, 0},
    {"{lib,src}/**", "src/x.js", 0, 1, 0},
    {"{a,b}{c,d}", "bd", 0, 1, 1},
    {"a{1..3}b", "a2b", 0, 1, 1},
    {"a{01..10}", "a07", 0, 1, 1},
    {"a{c..a}", "ab", 0, 1, 1},
    {"{}x", "{}x", 0, 1, 1},
    {"a\\{b,c}", "a{b,c}", 0, 1, 1},
    {"[abc].js", "b.js", 0, 1, 1},
    {"[!a].js", "a.js", 0, 0, 1},
    {"[!a].js", "c.js", 0, 1, 1},
    {"[^a].js", "c.js", 0, 1, 1},
    {"[a-c]x", "Bx", 0, 1, 1},
    {"[]]", "]", 0, 1, 1},
    {"[", "[", 0, 1, 1},
    {"[a", "[a", 0, 1, 1},
    {"[[:digit:]]", "7", 0, 1, 1},
    {"[[:alpha:]]", "é", 0, 1, 1},
    {"[z-a]", "z", 0, 0, 1},
    {"\\#x", "#x", 0, 1, 1},
    {"#x", "#x", 0, 0, 0},
    {"!lib/a.js", "lib", 1, 1, 0},
    {"!!x", "x", 0, 1, 1},
    {"?.js", "a.js", 0, 1, 1},
    {"??.js", "ab.js", 0, 1, 1},
    {"?", ".", 0, 0, 1},
    {"*", ".", 0, 0, 1},
    {"*", "..", 0, 0, 1},
    {".*", ".", 0, 0, 1},
    {".*", ".a", 0, 1, 1},
    {"*.*", "a.b", 0, 1, 1},
    {"@(a|b).js", "b.js", 0, 1, 1},
    {"@(a|b).js", "c.js", 0, 0, 1},
    {"!(a).js", "a.js", 0, 0, 1},
    {"!(a).js", "b.js", 0, 0, 1},
    {"+(ab)", "ababab", 0, 1, 1},
    {"*(a|b)c", "ababc", 0, 1, 1},
    {"?(x)y", "xy", 0, 1, 1},
    {"?(x)y", "y", 0, 1, 1},
    {"@()", "@()", 0, 1, 1},
    {"x@()", "x", 0, 1, 1},
    {"a/**/b", "a/b", 0, 1, 0},
    {"a/**/b", "a/x/y/b", 0, 1, 0},
    {"a/**/b", "a/x/y/c", 0, 0, 0},
    {"a/**/b", "a", 1, 1, 0},
    {"a/**/b/", "a/x/b/", 0, 1, 0},
    {"**", "a/b", 0, 1, 1},
    {"**", "/", 1, 1, 1},
    {"a/../b", "b", 0, 1, 1},
    {"./index.js", "index.js", 0, 0, 0},
    {"//**", "x/y", 0, 0, 0},
    {"ünï/*", "ÜNÏ/café.js", 0, 1, 0},
    {"É*", "école", 0, 1, 1},
};

static sg_glob *compile(sg_ctx *ctx, const char *pattern, unsigned flags)
{
    sg_glob *g = NULL;
    int rc = sg_glob__compile(&g, ctx, pattern, strlen(pattern), flags);
    if (rc < 0)
        fail_msg("compile '%s': %s", pattern, sg_error_message(ctx));
    return g;
}

static int match(sg_ctx *ctx, const char *pattern, const char *path, int partial, unsigned flags)
{
    sg_glob *g = compile(ctx, pattern, flags);
    int r = sg_glob__match(g, path, strlen(path), partial);
    sg_glob__free(g);
    return r;
}

static void test_glob__agrees_with_minimatch_table(void **state)
{
    sg_ctx *ctx = NULL;
    size_t i, bad = 0;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    for (i = 0; i < sizeof(mm_cases) / sizeof(mm_cases[0]); i++) {
        const mm_case *c = &mm_cases[i];
        sg_glob *g = compile(ctx, c->pattern, SG_GLOB_NPM);
        int r = sg_glob__match(g, c->path, strlen(c->path), c->partial);
        if (r != c->match || sg_glob__relative(g) != c->relative) {
            print_error("'%s' vs '%s' (partial %d): match %d relative %d, minimatch says %d %d\n",
                        c->pattern, c->path, c->partial, r, sg_glob__relative(g), c->match,
                        c->relative);
            bad++;
        }
        sg_glob__free(g);
    }
    assert_int_equal(bad, 0);
    sg_ctx_free(ctx);
}

static void test_glob__negation_is_reported_not_applied_with_flipnegate(void **state)
{
    sg_ctx *ctx = NULL;
    sg_glob *g;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    g = compile(ctx, "!*.js", SG_GLOB_NPM);
    assert_int_equal(sg_glob__negate(g), 1);
    assert_int_equal(sg_glob__match(g, "a.js", 4, 0), 1);
    assert_int_equal(sg_glob__match(g, "a.ts", 4, 0), 0);
    sg_glob__free(g);
    /* without flipNegate a negated pattern inverts */
    assert_int_equal(match(ctx, "!*.js", "a.js", 0, SG_GLOB_MATCHBASE | SG_GLOB_DOT), 0);
    assert_int_equal(match(ctx, "!*.js", "a.ts", 0, SG_GLOB_MATCHBASE | SG_GLOB_DOT), 1);
    g = compile(ctx, "!!x", SG_GLOB_NPM);
    assert_int_equal(sg_glob__negate(g), 0);
    sg_glob__free(g);
    sg_ctx_free(ctx);
}

static void test_glob__comment_and_empty_patterns(void **state)
{
    sg_ctx *ctx = NULL;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(match(ctx, "#x", "#x", 0, SG_GLOB_NPM), 0);
    assert_int_equal(match(ctx, "", "", 0, SG_GLOB_NPM), 1);
    assert_int_equal(match(ctx, "", "a", 0, SG_GLOB_NPM), 0);
    /* "!" alone: an empty pattern after the negation matches no name */
    assert_int_equal(match(ctx, "!", "a", 0, SG_GLOB_NPM), 0);
    assert_int_equal(match(ctx, "!", "/", 1, SG_GLOB_NPM), 1);
    sg_ctx_free(ctx);
}

static void test_glob__case_and_dot_options(void **state)
{
    sg_ctx *ctx = NULL;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(match(ctx, "README*", "readme.md", 0, SG_GLOB_NOCASE), 1);
    assert_int_equal(match(ctx, "README*", "readme.md", 0, 0), 0);
    assert_int_equal(match(ctx, "[A-C]x", "bx", 0, SG_GLOB_NOCASE), 1);
    assert_int_equal(match(ctx, "[A-C]x", "bx", 0, 0), 0);
    assert_int_equal(match(ctx, "*", ".hidden", 0, 0), 0);
    assert_int_equal(match(ctx, "*", ".hidden", 0, SG_GLOB_DOT), 1);
    assert_int_equal(match(ctx, "a/**/b", "a/.x/b", 0, 0), 0);
    assert_int_equal(match(ctx, "a/**/b", "a/.x/b", 0, SG_GLOB_DOT), 1);
    /* without matchBase a one-segment pattern does not reach into folders */
    assert_int_equal(match(ctx, "*.js", "lib/a.js", 0, SG_GLOB_DOT), 0);
    assert_int_equal(match(ctx, "café", "CAFÉ", 0, SG_GLOB_NOCASE), 1);
    sg_ctx_free(ctx);
}

static void test_glob__brace_expansion_is_bounded(void **state)
{
    sg_ctx *ctx = NULL;
    sg_glob *g = NULL;
    char pat[8192];
    size_t i, n = 0;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    /* 2^20 alternatives */
    for (i = 0; i < 20; i++)
        n += (size_t)snprintf(pat + n, sizeof(pat) - n, "{a,b}");
    assert_int_equal(sg_glob__compile(&g, ctx, pat, n, SG_GLOB_NPM), SG_ELIMIT);
    assert_null(g);
    sg_error_clear(ctx);
    /* {a,{a,{a,...}}} nested 100 deep */
    n = 0;
    for (i = 0; i < 100; i++)
        n += (size_t)snprintf(pat + n, sizeof(pat) - n, "{a,");
    pat[n++] = 'a';
    for (i = 0; i < 100; i++)
        pat[n++] = '}';
    assert_int_equal(sg_glob__compile(&g, ctx, pat, n, SG_GLOB_NPM), SG_ELIMIT);
    sg_error_clear(ctx);
    assert_int_equal(sg_glob__compile(&g, ctx, "{1..100000}", 11, SG_GLOB_NPM), SG_ELIMIT);
    sg_error_clear(ctx);
    /* 40 nested levels are fine */
    n = 0;
    for (i = 0; i < 40; i++)
        n += (size_t)snprintf(pat + n, sizeof(pat) - n, "{b,");
    pat[n++] = 'a';
    for (i = 0; i < 40; i++)
        pat[n++] = '}';
    assert_int_equal(sg_glob__compile(&g, ctx, pat, n, SG_GLOB_NPM), 0);
    assert_int_equal(sg_glob__match(g, "a", 1, 0), 1);
    assert_int_equal(sg_glob__match(g, "c", 1, 0), 0);
    sg_glob__free(g);
    sg_ctx_free(ctx);
}

static void test_glob__refuses_overlong_pattern(void **state)
{
    sg_ctx *ctx = NULL;
    sg_glob *g = NULL;
    char *pat = malloc(SG_GLOB_MAX_PATTERN + 2);
    (void)state;
    assert_non_null(pat);
    memset(pat, 'a', SG_GLOB_MAX_PATTERN + 1);
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_glob__compile(&g, ctx, pat, SG_GLOB_MAX_PATTERN + 1, SG_GLOB_NPM),
                     SG_ELIMIT);
    assert_non_null(strstr(sg_error_message(ctx), "longer"));
    free(pat);
    sg_ctx_free(ctx);
}

/* Patterns that blow up a naive backtracking matcher must answer at once. */
static void test_glob__pathological_patterns_stay_polynomial(void **state)
{
    sg_ctx *ctx = NULL;
    sg_glob *g;
    char *pat = malloc(20000), *path = malloc(20000);
    size_t i, n;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    /* "**" repeated 1500 times then x, against a deep path that does not end in x */
    for (n = 0, i = 0; i < 1500; i++)
        n += (size_t)snprintf(pat + n, 20000 - n, "**/");
    pat[n++] = 'x';
    pat[n] = '\0';
    for (n = 0, i = 0; i < 300; i++)
        n += (size_t)snprintf(path + n, 20000 - n, "a/");
    path[n++] = 'y';
    path[n] = '\0';
    g = compile(ctx, pat, SG_GLOB_NPM);
    assert_int_equal(sg_glob__match(g, path, n, 0), 0);
    assert_int_equal(sg_glob__match(g, path, n, 1), 1);
    sg_glob__free(g);
    /* ("**", "a") repeated 400 times, then x */
    for (n = 0, i = 0; i < 400; i++)
        n += (size_t)snprintf(pat + n, 20000 - n, "**/a/");
    pat[n++] = 'x';
    pat[n] = '\0';
    g = compile(ctx, pat, SG_GLOB_NPM);
    assert_int_equal(sg_glob__match(g, path, strlen(path), 0), 0);
    sg_glob__free(g);
    /* *a*a*a...b against aaaa... */
    for (n = 0, i = 0; i < 3000; i++)
        pat[n++] = '*', pat[n++] = 'a';
    pat[n++] = 'b';
    pat[n] = '\0';
    memset(path, 'a', 5000);
    g = compile(ctx, pat, SG_GLOB_NPM);
    assert_int_equal(sg_glob__match(g, path, 5000, 0), 0);
    sg_glob__free(g);
    /* nested repeating extglobs against a long name */
    g = compile(ctx, "+(a|*(a|a))+(a|*(a|a))b", SG_GLOB_NPM);
    assert_int_equal(sg_glob__match(g, path, 3000, 0), 0);
    path[2999] = 'b';
    assert_int_equal(sg_glob__match(g, path, 3000, 0), 1);
    sg_glob__free(g);
    /* many '[' that never close */
    memset(pat, '[', 10000);
    g = NULL;
    assert_int_equal(sg_glob__compile(&g, ctx, pat, 10000, SG_GLOB_NPM), 0);
    assert_int_equal(sg_glob__match(g, "[", 1, 0), 0);
    sg_glob__free(g);
    free(pat);
    free(path);
    sg_ctx_free(ctx);
}

typedef struct wm_case {
    const char *pattern; /* git wildmatch pattern */
    const char *text;    /* text */
    int match;           /* wildmatch(..., WM_PATHNAME) == WM_MATCH */
} wm_case;

static const wm_case wm_cases[] = {
    {"foo", "foo", 1},
    {"fo?", "foo", 1},
    {"foo*", "foobar", 1},
    {"*", "a/b", 0},
    {"**", "a/b", 1},
    {"a/**/b", "a/b", 1},
    {"a/**/b", "a/x/y/b", 1},
    {"a/**/b", "a/xb", 0},
    {"a**b", "axb", 1},
    {"a**b", "ax/b", 0},
    {"**/x", "x", 1},
    {"**/x", "a/b/x", 1},
    {"x/**", "x/", 1},
    {"x/**", "x", 0},
    {"x/**", "x/a/b", 1},
    {"?", "/", 0},
    {"[!a]", "/", 0},
    {"[!a]", "b", 1},
    {"[^a]", "a", 0},
    {"[]a]", "]", 1},
    {"[!]a]", "b", 1},
    {"[a-c]x", "bx", 1},
    {"[c-a]x", "bx", 0},
    {"[a-]", "-", 1},
    {"[[:alpha:]]", "q", 1},
    {"[[:digit:]]", "q", 0},
    {"[[:foo:]]", "f", 0},
    {"[a", "[a", 0},
    {"\\*", "*", 1},
    {"\\*", "x", 0},
    {"a\\", "a", 0},
    {"*.txt", "a/b.txt", 0},
    {"**/*.txt", "a/b.txt", 1},
    {"a/*/c", "a/b/c", 1},
    {"a/*/c", "a/b/x/c", 0},
    {"", "", 1},
    {"", "a", 0},
    {"*", "", 1},
    {"Foo", "foo", 0},
};

static void test_glob__wildmatch_follows_git(void **state)
{
    size_t i, bad = 0;
    (void)state;
    for (i = 0; i < sizeof(wm_cases) / sizeof(wm_cases[0]); i++) {
        const wm_case *c = &wm_cases[i];
        int r = sg_glob__wildmatch(c->pattern, strlen(c->pattern), c->text, strlen(c->text));
        if (r != c->match) {
            print_error("wildmatch('%s', '%s') = %d, git says %d\n", c->pattern, c->text, r,
                        c->match);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

static void test_glob__wildmatch_is_polynomial(void **state)
{
    char *pat = malloc(8000), *text = malloc(8000);
    size_t n = 0, i;
    (void)state;
    for (i = 0; i < 1000; i++)
        n += (size_t)snprintf(pat + n, 8000 - n, "**/");
    pat[n++] = 'z';
    for (i = 0; i < 4000; i++)
        text[i] = i % 2 ? '/' : 'a';
    assert_int_equal(sg_glob__wildmatch(pat, n, text, 4000), 0);
    for (n = 0, i = 0; i < 2000; i++)
        pat[n++] = '*', pat[n++] = 'a';
    pat[n++] = 'b';
    memset(text, 'a', 4000);
    assert_int_equal(sg_glob__wildmatch(pat, n, text, 4000), 0);
    free(pat);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_glob__agrees_with_minimatch_table),
        cmocka_unit_test(test_glob__negation_is_reported_not_applied_with_flipnegate),
        cmocka_unit_test(test_glob__comment_and_empty_patterns),
        cmocka_unit_test(test_glob__case_and_dot_options),
        cmocka_unit_test(test_glob__brace_expansion_is_bounded),
        cmocka_unit_test(test_glob__refuses_overlong_pattern),
        cmocka_unit_test(test_glob__pathological_patterns_stay_polynomial),
        cmocka_unit_test(test_glob__wildmatch_follows_git),
        cmocka_unit_test(test_glob__wildmatch_is_polynomial),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
