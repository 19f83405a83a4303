/*
 * The recipe as a script (sg_rebuild_recipe_script in verifier/rebuild/rebuild_script.c, issue
 * 15): the report's values are hostile (a repository URL, tool output in the skipped steps), so
 * every value is single-quoted, tool output becomes a one-line comment with control bytes
 * shown as \xHH, and a command that spans lines or does not start in the source copy is
 * refused. `sh -n` accepts what is written.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

static sg_report *report_with(sg_ctx *ctx, const char *repo, const char *recipe)
{
    sg_report *r = NULL;
    assert_int_equal(sg_report_new(&r, ctx), 0);
    assert_int_equal(sg_report_set(r, ctx, SG_REPORT_PACKAGE, "pkg"), 0);
    assert_int_equal(sg_report_set(r, ctx, SG_REPORT_VERSION, "1.0.0"), 0);
    assert_int_equal(sg_report_set(r, ctx, SG_REPORT_SOURCE_REPOSITORY, repo), 0);
    assert_int_equal(
        sg_report_set(r, ctx, SG_REPORT_SOURCE_COMMIT, "0123456789abcdef0123456789abcdef01234567"),
        0);
    if (recipe)
        assert_int_equal(sg_report_set(r, ctx, SG_REPORT_REBUILD_RECIPE, recipe), 0);
    return r;
}

#define RECIPE_HEAD                                                                                \
    "{\"package_manager\":\"npm\",\"package_manager_version\":\"10.9.2\",\"node\":\"v20.20.2\","   \
    "\"install\":\"frozen\",\"before\":\"\",\"lockfile\":\"package-lock.json\","                   \
    "\"lockfile_sha256\":\"ab\",\"package_folder\":\"\",\"publish_folder\":\"\","

static void test_recipe_script__hostile_values_stay_quoted_and_commented(void **state)
{
    sg_ctx *ctx = NULL;
    sg_buf script = SG_BUF_INIT;
    sg_report *r;
    char *dir = sgt_tmpdir(), path[4200], cmd[4400];
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    r = report_with(ctx, "https://example.com/it's\n$(touch pwned)`id`.git",
                    RECIPE_HEAD "\"commands\":[\"cd \\\"$SRC\\\" && npm ci --ignore-scripts\","
                                "\"cd \\\"$SRC\\\" && npm pack --pack-destination \\\"$OUT\\\"\"],"
                                "\"skipped\":[\"build: failed: oops\\nrm -rf ~\\u001b[2J\"]}");
    assert_int_equal(sg_rebuild_recipe_script(&script, ctx, r), 0);
    assert_non_null(strstr(script.ptr, "REPOSITORY='https://example.com/it'\\''s\n$(touch "
                                       "pwned)`id`.git'\n"));
    assert_non_null(strstr(script.ptr, "# passed over: build: failed: oops\\x0arm -rf "
                                       "~\\x1b[2J\n"));
    assert_null(strstr(script.ptr, "\nrm -rf"));
    assert_non_null(strstr(script.ptr, "(cd \"$SRC\" && npm ci --ignore-scripts)\n"));
    assert_non_null(strstr(script.ptr, "COMMIT='0123456789abcdef0123456789abcdef01234567'\n"));
    snprintf(path, sizeof(path), "%.4000s/r.sh", dir);
    sgt_write_file(path, script.ptr, script.size, 0644);
    snprintf(cmd, sizeof(cmd), "sh -n '%s'", path);
    assert_int_equal(sgt_run(cmd, NULL, NULL), 0);
    sg_buf_dispose(&script);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

static void test_recipe_script__malformed_recipes_are_refused(void **state)
{
    static const char *const recipes[] = {
        RECIPE_HEAD "\"commands\":[\"cd \\\"$SRC\\\" && npm ci\\nrm -rf ~\"],\"skipped\":[]}",
        RECIPE_HEAD "\"commands\":[\"rm -rf ~\"],\"skipped\":[]}",
        RECIPE_HEAD "\"commands\":[],\"skipped\":[]}",
        RECIPE_HEAD "\"commands\":[7],\"skipped\":[]}",
        "{\"commands\":",
    };
    sg_ctx *ctx = NULL;
    size_t i;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    for (i = 0; i < SG_ARRAY_SIZE(recipes); i++) {
        sg_buf script = SG_BUF_INIT;
        sg_report *r = report_with(ctx, "https://example.com/x.git", recipes[i]);
        if (sg_rebuild_recipe_script(&script, ctx, r) >= 0)
            fail_msg("recipe %zu was accepted", i);
        sg_error_clear(ctx);
        sg_buf_dispose(&script);
        sg_report_free(r);
    }
    {
        sg_buf script = SG_BUF_INIT;
        sg_report *r = report_with(ctx, "https://example.com/x.git", NULL);
        assert_int_equal(sg_rebuild_recipe_script(&script, ctx, r), SG_ENOTFOUND);
        sg_buf_dispose(&script);
        sg_report_free(r);
    }
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recipe_script__hostile_values_stay_quoted_and_commented),
        cmocka_unit_test(test_recipe_script__malformed_recipes_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
