/*
 * The build path (issue 15, diff/rebuilt_tokens.c): a sourcemap or declaration file that embeds
 * the absolute folder it was built in is reproduced when the only difference from the
 * artifact is that folder: the rebuild wrote its own folder there, the second, varied build
 * its own (so honest builds vary there), and the artifact a plain absolute path ending in the
 * same folder name. Another folder name, any other changed byte, or the same path in code is
 * never reproduced that way. The rule on in-memory trees first, then end to end with a fixture
 * whose build writes process.cwd() into a .map (skips without node, npm and bubblewrap).
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "diff/diff_int.h"
#include "verifier/rebuild/rebuild_int.h"

#define D1 "/scratch/rebuild-AAAAAA/src/pkg"
#define D2 "/scratch/rebuild-BBBBBB/varied-build-path/src/pkg"
#define MAP(dir) "{\"version\":3,\"sources\":[\"" dir "/index.js\"],\"mappings\":\"AAAA\"}\n"
#define PJ_MIN "{\"name\":\"x\",\"version\":\"1.0.0\"}\n"

typedef struct fx {
    sg_ctx *ctx;        /* context */
    int have_node;      /* node and npm on PATH */
    char bwrap[4096];   /* bubblewrap when it can make a sandbox here, else "" */
    char *cache;        /* the cache folder */
    sg_rebuild_opts ro; /* rebuild options */
    sg_report *report;  /* the last report */
} fx;

static const char *search_path(void)
{
    const char *p = getenv("PATH");
    return p && *p ? p : "/usr/local/bin:/usr/bin:/bin";
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    sg_buf b = SG_BUF_INIT;
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    f->have_node = sgt_have_program("node") && sgt_have_program("npm");
    if (sg_sandbox__which(&b, f->ctx, "bwrap", search_path()) == 0 &&
        sg_sandbox__probe(f->ctx, b.ptr) == 0)
        snprintf(f->bwrap, sizeof(f->bwrap), "%s", b.ptr);
    sg_error_clear(f->ctx);
    sg_buf_dispose(&b);
    f->cache = sgt_tmpdir();
    f->ro = (sg_rebuild_opts)SG_REBUILD_OPTS_INIT;
    f->ro.mode = SG_REBUILD_AUTO;
    f->ro.search_path = search_path();
    f->ro.bwrap = f->bwrap[0] ? f->bwrap : NULL;
    f->ro.cache_dir = f->cache;
    f->ro.timeout_seconds = 120;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_report_free(f->report);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->cache);
    free(f);
    return 0;
}

static const sg_finding *finding_at(const sg_report *r, const char *kind, const char *path)
{
    size_t i;
    for (i = 0; i < sg_report_finding_count(r); i++) {
        const sg_finding *x = sg_report_finding(r, i);
        if (strcmp(x->kind, kind) == 0 && x->path && strcmp(x->path, path) == 0)
            return x;
    }
    return NULL;
}

static int has_normalization(const sg_report *r, const char *name)
{
    size_t i;
    for (i = 0; i < sg_report_normalization_count(r); i++)
        if (strcmp(sg_report_normalization(r, i), name) == 0)
            return 1;
    return 0;
}

static void print_report(const sg_report *r)
{
    sg_buf out = SG_BUF_INIT;
    sg_ctx *ctx = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_report_write_text(&out, ctx, r, SG_TEXT_VERBOSE), 0);
    printf("%s", out.ptr);
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
}

/* ---------------------------------------------------------------- the rule */

static sg_diff_opts dirs(void)
{
    sg_diff_opts o = SG_DIFF_OPTS_INIT;
    o.rebuilt_dir = D1;
    o.rebuilt_again_dir = D2;
    return o;
}

/* sg_diff__explain_build_path() on one text per copy. */
static int explained(sg_token_check *tc, const char *art, const char *reb, const char *again)
{
    sg_diff_opts o = dirs();
    return sg_diff__explain_build_path(tc, art, strlen(art), reb, strlen(reb), again,
                                       again ? strlen(again) : 0, &o);
}

static void test_build_path__the_build_folder_is_established(void **state)
{
    sg_token_check tc;
    (void)state;
    assert_true(explained(&tc, "x\n" MAP("/home/luigi/pkg"), "x\n" MAP(D1), "x\n" MAP(D2)));
    assert_int_equal(tc.varied, 1);
    assert_string_equal(tc.examples,
                        "'/home/luigi/pkg' at line 2 (the build folder, which differs between "
                        "the two builds)");
    /* every place on a line, and a folder of that name deeper in the artifact's path */
    assert_true(explained(&tc, "[\"/a/pkg/x.js\",\"/b/pkg/pkg/y.js\"]",
                          "[\"" D1 "/x.js\",\"" D1 "/pkg/y.js\"]",
                          "[\"" D2 "/x.js\",\"" D2 "/pkg/y.js\"]"));
    assert_int_equal(tc.varied, 2);
    /* the path ends the line */
    assert_true(explained(&tc, "at /home/u/pkg", "at " D1, "at " D2));
}

static void test_build_path__anything_else_is_not(void **state)
{
    const char *reb = MAP(D1), *again = MAP(D2);
    sg_token_check tc;
    (void)state;
    assert_false(explained(&tc, MAP("/home/luigi/other"), reb, again));   /* another folder */
    assert_false(explained(&tc, MAP("/home/luigi/pkg2"), reb, again));    /* longer name */
    assert_false(explained(&tc, MAP("home/luigi/pkg"), reb, again));      /* not absolute */
    assert_false(explained(&tc, MAP("/home/../etc/pkg"), reb, again));    /* not plain */
    assert_false(explained(&tc, MAP("/home//pkg"), reb, again));          /* empty folder */
    assert_false(explained(&tc, MAP("/home/lu\\\"igi/pkg"), reb, again)); /* a quote */
    assert_false(explained(&tc, MAP("/home/luigi/pkg/"), reb, again));    /* another byte */
    assert_int_equal(tc.line, 1);
    /* one changed byte elsewhere on the line */
    assert_false(explained(&tc,
                           "{\"version\":3,\"sources\":[\"/home/luigi/pkg/index.js\"],"
                           "\"mappings\":\"AAAB\"}\n",
                           reb, again));
    /* the second build wrote the first one's folder (or nothing) there: not established */
    assert_false(explained(&tc, MAP("/home/luigi/pkg"), reb, reb));
    assert_false(explained(&tc, MAP("/home/luigi/pkg"), reb, NULL));
    /* a line that differs without the folder */
    assert_false(explained(&tc, "a\n" MAP("/home/luigi/pkg"), "b\n" MAP(D1), "b\n" MAP(D2)));
    /* lines and the final newline must pair up */
    assert_false(explained(&tc, MAP("/h/pkg") "x\n", reb, again));
    assert_false(explained(&tc, "at /home/u/pkg\n", "at " D1, "at " D2));
    /* identical copies: nothing to establish */
    assert_false(explained(&tc, reb, reb, again));
}

/* Artifact file path with content art against the builds' copies of it. */
static sg_report *diff_one(const char *path, const char *art, const char *reb, const char *again)
{
    const sgt_file src[] = {{"package.json", PJ_MIN, 0, 0}};
    const sgt_file a[] = {{"package.json", PJ_MIN, 0, 0}, {path, art, 0, 0}};
    const sgt_file r[] = {{"package.json", PJ_MIN, 0, 0}, {path, reb, 0, 0}};
    const sgt_file g[] = {{"package.json", PJ_MIN, 0, 0}, {path, again, 0, 0}};
    sg_tree *s = sgt_tree(src, 1), *at = sgt_tree(a, 2), *rt = sgt_tree(r, 2), *gt = sgt_tree(g, 2);
    sg_diff_opts o = dirs();
    sg_report *report = NULL;
    sg_ctx *ctx = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_report_new(&report, ctx), 0);
    o.rebuilt = rt;
    o.rebuilt_again = gt;
    assert_int_equal(sg_diff_trees(report, ctx, s, at, &o), 0);
    sg_report_decide(report, SG_SEV_HIGH);
    sg_tree_free(s);
    sg_tree_free(at);
    sg_tree_free(rt);
    sg_tree_free(gt);
    sg_ctx_free(ctx);
    return report;
}

static void test_build_path__a_sourcemap_or_declaration_passes_low(void **state)
{
    static const char *const paths[] = {"dist/index.js.map", "dist/index.d.ts", "README.md"};
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(paths); i++) {
        sg_report *r = diff_one(paths[i], MAP("/home/someone/pkg"), MAP(D1), MAP(D2));
        const sg_finding *x = finding_at(r, "file-modified", paths[i]);
        print_report(r);
        assert_int_equal(sg_report_verdict(r), SG_VERDICT_PASS);
        assert_non_null(x);
        assert_int_equal(x->severity, SG_SEV_LOW);
        assert_non_null(strstr(x->detail, "except the build path on 1 line, first at line 1"));
        assert_non_null(strstr(x->detail, "'/home/someone/pkg' at line 1 (the build folder"));
        assert_true(has_normalization(r, "build-path"));
        assert_int_equal(sg_report_count(r, SG_COUNT_FILES_REBUILT), 1);
        assert_int_equal(sg_report_list_count(r, SG_LIST_REBUILD_TOKENS), 1);
        sg_report_free(r);
    }
}

/* In code an absolute path is something a require may load: never explained as the build
 * path; honest builds vary there, so it stays unverified (never a pass, never a fail). */
static void test_build_path__code_is_never_explained(void **state)
{
    static const char *const paths[] = {"dist/where.js", "dist/where.cjs", "bin/where"};
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(paths); i++) {
        sg_report *r = diff_one(paths[i], "module.exports = '/home/someone/pkg/index.js';\n",
                                "module.exports = '" D1 "/index.js';\n",
                                "module.exports = '" D2 "/index.js';\n");
        print_report(r);
        assert_int_equal(sg_report_verdict(r), SG_VERDICT_INCONCLUSIVE);
        assert_non_null(finding_at(r, "file-unverified", paths[i]));
        assert_false(has_normalization(r, "build-path"));
        sg_report_free(r);
    }
}

static void test_build_path__other_differences_in_a_sourcemap_stay_findings(void **state)
{
    const sg_finding *x;
    sg_report *r;
    (void)state;
    /* another folder name: honest builds vary on that line, but it is not the build path */
    r = diff_one("dist/index.js.map", MAP("/home/someone/other"), MAP(D1), MAP(D2));
    assert_int_not_equal(sg_report_verdict(r), SG_VERDICT_PASS);
    assert_false(has_normalization(r, "build-path"));
    sg_report_free(r);
    /* the build path and a changed mapping on the same line */
    r = diff_one("dist/index.js.map",
                 "{\"version\":3,\"sources\":[\"/home/someone/pkg/index.js\"],\"mappings\":"
                 "\"AAAC\"}\n",
                 MAP(D1), MAP(D2));
    assert_int_not_equal(sg_report_verdict(r), SG_VERDICT_PASS);
    assert_false(has_normalization(r, "build-path"));
    sg_report_free(r);
    /* the build path on line 1 and a changed line where both builds agree: a modification
     * (medium, a sourcemap's severity) */
    r = diff_one("dist/index.js.map", MAP("/home/someone/pkg") "evil\n", MAP(D1) "good\n",
                 MAP(D2) "good\n");
    x = finding_at(r, "file-modified", "dist/index.js.map");
    assert_non_null(x);
    assert_int_equal(x->severity, SG_SEV_MEDIUM);
    assert_null(strstr(x->detail, "build path"));
    assert_false(has_normalization(r, "build-path"));
    assert_int_equal(sg_report_count(r, SG_COUNT_FILES_REBUILT), 0);
    sg_report_free(r);
}

/* ---------------------------------------------------------------- end to end */

#define PJ_BUILD                                                                                   \
    "{\n  \"name\": \"fixture-build\",\n  \"version\": \"1.0.0\",\n  \"main\": "                   \
    "\"dist/index.js\",\n"                                                                         \
    "  \"files\": [\"dist\"],\n  \"scripts\": {\"build\": \"node build.js\"}\n}\n"
#define SRC_JS "module.exports = 1;\n"
/* The build writes its folder (the repository's copy, "<scratch>/src/repo") into a .map and
 * a .js, as rollup's sourcemaps and a bundled __filename do. */
static const char build_cwd[] =
    "const fs = require('fs');\n"
    "fs.mkdirSync('dist', {recursive: true});\n"
    "fs.writeFileSync('dist/index.js', fs.readFileSync('src/index.js', 'utf8'));\n"
    "fs.writeFileSync('dist/index.js.map', '{\"version\":3,\"sources\":[\"' + process.cwd() + "
    "'/src/index.js\"],\"mappings\":\"AAAA\"}\\n');\n"
    "fs.writeFileSync('dist/where.js', 'module.exports = \\'' + process.cwd() + "
    "'/src/index.js\\';\\n');\n";

#define ART_MAP(dir)                                                                               \
    "{\"version\":3,\"sources\":[\"" dir "/src/index.js\"],\"mappings\":\"AAAA\"}\n"
#define ART_WHERE(dir) "module.exports = '" dir "/src/index.js';\n"

/* Verify a fixture whose build is build_cwd against an artifact with this .map (and this
 * where.js, when not NULL). */
static int verify(fx *f, const char *map, const char *where)
{
    char *dir = sgt_tmpdir(), repo[4096], tgz[4096];
    const sgt_file files[] = {{"package.json", PJ_BUILD, 0, 0},
                              {"build.js", build_cwd, 0, 0},
                              {"src/index.js", SRC_JS, 0, 0},
                              {".gitignore", "dist\nnode_modules\n", 0, 0}};
    const sgt_tar_entry entries[] = {
        {"package/package.json", PJ_BUILD, 0, 0644, '0', NULL},
        {"package/dist/index.js", SRC_JS, 0, 0644, '0', NULL},
        {"package/dist/index.js.map", map, 0, 0644, '0', NULL},
        {"package/dist/where.js", where ? where : ART_WHERE(""), 0, 0644, '0', NULL}};
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    int error;

    snprintf(repo, sizeof(repo), "%s/repo", dir);
    snprintf(tgz, sizeof(tgz), "%s/fixture-build-1.0.0.tgz", dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(NULL, repo, NULL, files, 4, "fixture", 0);
    sgt_tar_write(tgz, entries, where ? 4 : 3);
    o.tarball_path = tgz;
    o.source = repo;
    o.rebuild = &f->ro;
    sg_report_free(f->report);
    f->report = NULL;
    error = sg_verify_local(&f->report, f->ctx, &o);
    if (error == 0)
        print_report(f->report);
    else
        printf("# error: %s\n", sg_error_message(f->ctx));
    return error;
}

#define NEED_SANDBOX(f)                                                                            \
    do {                                                                                           \
        if (!(f)->have_node || !(f)->bwrap[0])                                                     \
            skip();                                                                                \
    } while (0)

static void test_build_path__a_map_built_elsewhere_passes(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, ART_MAP("/home/someone/repo"), NULL), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    x = finding_at(f->report, "file-modified", "dist/index.js.map");
    assert_non_null(x);
    assert_int_equal(x->severity, SG_SEV_LOW);
    assert_non_null(strstr(x->detail, "'/home/someone/repo' at line 1 (the build folder, which "
                                      "differs between the two builds)"));
    assert_true(has_normalization(f->report, "build-path"));
    assert_non_null(strstr(sg_report_get(f->report, SG_REPORT_REBUILD_SECOND), "built"));
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
    assert_non_null(
        strstr(sg_report_get(f->report, SG_REPORT_REBUILD_DETAIL), "(some under build-path)"));
}

static void test_build_path__another_folder_name_does_not_pass(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, ART_MAP("/home/someone/elsewhere"), NULL), 0);
    assert_int_not_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_false(has_normalization(f->report, "build-path"));
}

static void test_build_path__another_changed_byte_does_not_pass(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f,
                            "{\"version\":3,\"sources\":[\"/home/someone/repo/src/index.js\"],"
                            "\"mappings\":\"AAAC\"}\n",
                            NULL),
                     0);
    assert_int_not_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_false(has_normalization(f->report, "build-path"));
}

static void test_build_path__the_same_path_in_code_is_not_explained(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, ART_MAP("/home/someone/repo"), ART_WHERE("/home/someone/repo")), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_INCONCLUSIVE);
    assert_non_null(finding_at(f->report, "file-unverified", "dist/where.js"));
    assert_non_null(finding_at(f->report, "file-modified", "dist/index.js.map")); /* low */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_build_path__the_build_folder_is_established),
        T(test_build_path__anything_else_is_not),
        T(test_build_path__a_sourcemap_or_declaration_passes_low),
        T(test_build_path__code_is_never_explained),
        T(test_build_path__other_differences_in_a_sourcemap_stay_findings),
        T(test_build_path__a_map_built_elsewhere_passes),
        T(test_build_path__another_folder_name_does_not_pass),
        T(test_build_path__another_changed_byte_does_not_pass),
        T(test_build_path__the_same_path_in_code_is_not_explained),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
