/*
 * A rebuilt file that the second, varied build made with the artifact's bytes exactly is
 * reproduced, whatever the first build wrote there (diff/tree_diff.c): an honest build from the
 * same commit made those bytes. Rollup chunk order, a union TypeScript wrote in another order,
 * any output that varies between honest builds: the artifact is one of the outputs. A second
 * build that made other bytes decides nothing by itself.
 */
#include "sg_test.h"

#include <string.h>

#include "common/common.h"
#include "diff/diff_int.h"

#define PKG "{\"name\":\"p\",\"version\":\"1.0.0\",\"scripts\":{\"build\":\"rollup -c\"}}"
#define FIRST "import './b.js';\nimport './a.js';\nexport const v = 1;\n"
#define ART "import './a.js';\nimport './b.js';\nexport const v = 1;\n"

static sg_ctx *ctx;
static sg_report *rep;

static int setup(void **state)
{
    (void)state;
    return sg_ctx_new(&ctx) < 0 || sg_report_new(&rep, ctx) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    sg_report_free(rep);
    sg_ctx_free(ctx);
    rep = NULL;
    ctx = NULL;
    return 0;
}

/* Diff an artifact whose dist/index.js is ART against builds that made first and again. */
static void diff_builds(const char *first, const char *again, unsigned again_mode)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}};
    const sgt_file a[] = {{"package.json", PKG, 0, 0}, {"dist/index.js", ART, 0, 0}};
    const sgt_file r[] = {{"package.json", PKG, 0, 0}, {"dist/index.js", first, 0, 0}};
    const sgt_file g[] = {{"package.json", PKG, 0, 0}, {"dist/index.js", again, 0, again_mode}};
    sg_tree *st = sgt_tree(src, 1), *at = sgt_tree(a, 2), *rt = sgt_tree(r, 2);
    sg_tree *gt = sgt_tree(g, 2);
    sg_diff_opts opts = SG_DIFF_OPTS_INIT;
    int rc;

    sg_report_free(rep);
    assert_int_equal(sg_report_new(&rep, ctx), 0);
    opts.rebuilt = rt;
    opts.rebuilt_again = gt;
    if ((rc = sg_diff_trees(rep, ctx, st, at, &opts)) != 0)
        fail_msg("sg_diff_trees failed: %d %s", rc, sg_error_message(ctx));
    sg_tree_free(st);
    sg_tree_free(at);
    sg_tree_free(rt);
    sg_tree_free(gt);
}

static void test_rebuilt_again__second_build_made_the_artifact_bytes(void **state)
{
    (void)state;
    diff_builds(FIRST, ART, 0);
    assert_int_equal(sg_report_finding_count(rep), 0);
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_REBUILT), 1);
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_PASS);
}

static void test_rebuilt_again__its_mode_is_compared_too(void **state)
{
    (void)state;
    diff_builds(FIRST, ART, 0755);
    assert_int_equal(sg_report_finding_count(rep), 1);
    assert_string_equal(sg_report_finding(rep, 0)->kind, "mode-changed");
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_REBUILT), 1);
}

static void test_rebuilt_again__other_bytes_from_both_builds_still_fail(void **state)
{
    (void)state;
    /* both builds agree on a file the artifact changed */
    diff_builds(FIRST, FIRST, 0);
    assert_string_equal(sg_report_finding(rep, 0)->kind, "file-modified");
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
    assert_int_equal(sg_report_count(rep, SG_COUNT_FILES_REBUILT), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rebuilt_again__second_build_made_the_artifact_bytes),
        cmocka_unit_test(test_rebuilt_again__its_mode_is_compared_too),
        cmocka_unit_test(test_rebuilt_again__other_bytes_from_both_builds_still_fail),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
