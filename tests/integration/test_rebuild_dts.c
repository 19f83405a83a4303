/*
 * A rebuilt declaration file whose unions list their members in another order (diff/dts_union.c,
 * issue 15), end to end: a fixture repository whose build (a node script, offline) writes
 * dist/index.js and dist/index.d.ts, the latter with `this | Reporter[]` where the registry's
 * tarball has `Reporter[] | this` (TypeScript's order varies between honest builds: consola
 * 3.4.2). Both builds agree with each other, so only the normalization can explain the file:
 * the release passes, reproduced, naming "dts-union-order". The same reordering in the .js
 * file, or a member added to the union, fails. Skips without node, npm or bubblewrap.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "verifier/rebuild/rebuild_int.h"

#define PJ                                                                                         \
    "{\n  \"name\": \"fixture-dts\",\n  \"version\": \"1.0.0\",\n  \"main\": \"dist/index.js\",\n" \
    "  \"exports\": {\".\": {\"types\": \"./dist/index.d.ts\", \"default\": "                      \
    "\"./dist/index.js\"}},\n"                                                                     \
    "  \"files\": [\"dist\"],\n  \"scripts\": {\"build\": \"node build.js\"}\n}\n"

/* What the build writes: the union in the order the rebuild's TypeScript happened to pick. */
#define DTS_HEAD "type Reporter = {\n    log: () => void;\n};\ndeclare class Logger {\n"
#define DTS_TAIL "}\nexport { Logger };\n"
#define DTS_BUILT DTS_HEAD "    remove(r: Reporter): this | Reporter[];\n" DTS_TAIL
#define DTS_PUBLISHED DTS_HEAD "    remove(r: Reporter): Reporter[] | this;\n" DTS_TAIL
#define DTS_ADDED DTS_HEAD "    remove(r: Reporter): Reporter[] | this | any;\n" DTS_TAIL
#define JS_BUILT "exports.pick = (a, b) => a.x | b.y;\n"
#define JS_REORDERED "exports.pick = (a, b) => b.y | a.x;\n"

static const char build_js[] =
    "const fs = require('fs');\n"
    "fs.mkdirSync('dist', {recursive: true});\n"
    "fs.writeFileSync('dist/index.js', fs.readFileSync('src/index.js', 'utf8'));\n"
    "fs.writeFileSync('dist/index.d.ts', fs.readFileSync('src/index.d.txt', 'utf8'));\n";

typedef struct fx {
    sg_ctx *ctx;        /* context */
    int ready;          /* node, npm and a working bubblewrap */
    char bwrap[4096];   /* bubblewrap's path */
    char *cache;        /* the cache folder (logs) */
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
    if (sgt_have_program("node") && sgt_have_program("npm") &&
        sg_sandbox__which(&b, f->ctx, "bwrap", search_path()) == 0 &&
        sg_sandbox__probe(f->ctx, b.ptr) == 0) {
        snprintf(f->bwrap, sizeof(f->bwrap), "%s", b.ptr);
        f->ready = 1;
    }
    sg_error_clear(f->ctx);
    sg_buf_dispose(&b);
    f->cache = sgt_tmpdir();
    f->ro = (sg_rebuild_opts)SG_REBUILD_OPTS_INIT;
    f->ro.mode = SG_REBUILD_ALWAYS;
    f->ro.search_path = search_path();
    f->ro.bwrap = f->bwrap;
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

/* Commit the fixture, pack an artifact with these dist files, verify in local mode. */
static void verify(fx *f, const char *art_js, const char *art_dts)
{
    char *dir = sgt_tmpdir(), repo[4096], tgz[4096];
    const sgt_file files[] = {{"package.json", PJ, 0, 0},
                              {"build.js", build_js, 0, 0},
                              {"src/index.js", JS_BUILT, 0, 0},
                              {"src/index.d.txt", DTS_BUILT, 0, 0},
                              {".gitignore", "dist\nnode_modules\n", 0, 0}};
    const sgt_tar_entry entries[] = {{"package/package.json", PJ, 0, 0644, '0', NULL},
                                     {"package/dist/index.js", art_js, 0, 0644, '0', NULL},
                                     {"package/dist/index.d.ts", art_dts, 0, 0644, '0', NULL}};
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    sg_buf out = SG_BUF_INIT;

    snprintf(repo, sizeof(repo), "%s/repo", dir);
    snprintf(tgz, sizeof(tgz), "%s/fixture-dts-1.0.0.tgz", dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(NULL, repo, NULL, files, 5, "fixture", 0);
    sgt_tar_write(tgz, entries, 3);
    o.tarball_path = tgz;
    o.source = repo;
    o.rebuild = &f->ro;
    sg_report_free(f->report);
    f->report = NULL;
    if (sg_verify_local(&f->report, f->ctx, &o) != 0)
        fail_msg("verify: %s", sg_error_message(f->ctx));
    assert_int_equal(sg_report_write_text(&out, f->ctx, f->report, SG_TEXT_VERBOSE), 0);
    printf("%s", out.ptr);
    sg_buf_dispose(&out); /* dir goes at exit (sgt_cleanup) */
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

static void test_rebuild_dts__union_in_another_order_passes_reproduced(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    if (!f->ready)
        skip();
    verify(f, JS_BUILT, DTS_PUBLISHED);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_true(has_normalization(f->report, "dts-union-order"));
    x = finding_at(f->report, "file-modified", "dist/index.d.ts");
    assert_non_null(x);
    assert_int_equal(x->severity, SG_SEV_LOW);
    assert_non_null(strstr(x->detail, "first at line 5"));
    assert_int_equal(sg_report_count(f->report, SG_COUNT_FILES_REBUILT), 2);
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
}

static void test_rebuild_dts__same_reordering_in_code_fails(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    if (!f->ready)
        skip();
    verify(f, JS_REORDERED, DTS_BUILT);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_FAIL);
    x = finding_at(f->report, "file-modified", "dist/index.js");
    assert_non_null(x);
    assert_int_equal(x->severity, SG_SEV_HIGH);
    assert_false(has_normalization(f->report, "dts-union-order"));
}

static void test_rebuild_dts__added_union_member_fails(void **state)
{
    fx *f = *state;
    const sg_finding *x;
    if (!f->ready)
        skip();
    verify(f, JS_BUILT, DTS_ADDED);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_FAIL);
    x = finding_at(f->report, "file-modified", "dist/index.d.ts");
    assert_non_null(x);
    assert_int_equal(x->severity, SG_SEV_HIGH); /* exports names it */
    assert_false(has_normalization(f->report, "dts-union-order"));
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "partly-reproduced");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_rebuild_dts__union_in_another_order_passes_reproduced),
        T(test_rebuild_dts__same_reordering_in_code_fails),
        T(test_rebuild_dts__added_union_member_fails),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
