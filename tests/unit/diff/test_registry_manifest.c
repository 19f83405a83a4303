/* Registry mode's manifest-confusion check (diff/registry_manifest.c). */
#include "sg_test.h"

#include <string.h>

#include "common/common.h"

static size_t run(const char *registry, const char *tarball, int gyp, sg_report **out)
{
    sg_ctx *ctx;
    cJSON *reg = cJSON_Parse(registry);
    assert_non_null(reg);
    sg_ctx_new(&ctx);
    assert_int_equal(sg_report_new(out, ctx), 0);
    if (sg_diff_registry_manifest(*out, ctx, reg, tarball, strlen(tarball), gyp) < 0)
        fail_msg("%s", sg_error_message(ctx));
    cJSON_Delete(reg);
    sg_ctx_free(ctx);
    return sg_report_finding_count(*out);
}

#define PJ(extra) "{\"name\":\"demo\",\"version\":\"1.0.0\"" extra "}"

static void test_registry_manifest__identical_is_quiet(void **state)
{
    sg_report *r;
    (void)state;
    assert_int_equal(run(PJ(",\"dependencies\":{\"a\":\"^1\"},\"gitHead\":\"abc\",\"_id\":\"x\""),
                         PJ(",\"dependencies\":{\"a\":\"^1\"},\"devDependencies\":{\"j\":\"1\"}"),
                         0, &r),
                     0);
    sg_report_free(r);
}

static void test_registry_manifest__dependency_hidden_from_registry(void **state)
{
    sg_report *r;
    const sg_finding *f;
    (void)state;
    assert_int_equal(run(PJ(",\"dependencies\":{\"a\":\"^1\"}"),
                         PJ(",\"dependencies\":{\"a\":\"^1\",\"evil\":\"1.0.0\"}"), 0, &r),
                     1);
    f = sg_report_finding(r, 0);
    assert_string_equal(f->kind, "manifest-mismatch");
    assert_int_equal(f->severity, SG_SEV_HIGH);
    assert_string_equal(f->field, "dependencies");
    assert_string_equal(f->name, "evil");
    assert_null(f->before);
    assert_string_equal(f->after, "1.0.0");
    sg_report_free(r);
}

static void test_registry_manifest__spec_and_install_script_differences(void **state)
{
    sg_report *r;
    (void)state;
    assert_int_equal(run(PJ(",\"optionalDependencies\":{\"a\":\"^1\"}"),
                         PJ(",\"optionalDependencies\":{\"a\":\"git+https://x/y\"}"), 0, &r),
                     1);
    sg_report_free(r);
    assert_int_equal(run(PJ(",\"scripts\":{\"test\":\"x\"}"),
                         PJ(",\"scripts\":{\"postinstall\":\"node x.js\"}"), 0, &r),
                     1);
    assert_string_equal(sg_report_finding(r, 0)->name, "postinstall");
    sg_report_free(r);
    assert_int_equal(run("{\"name\":\"demo\",\"version\":\"1.0.1\"}", PJ(""), 0, &r), 1);
    sg_report_free(r);
}

static void test_registry_manifest__npm_normalizations_are_accepted(void **state)
{
    sg_report *r;
    (void)state;
    /* npm adds node-gyp rebuild when binding.gyp is at the root */
    assert_int_equal(run(PJ(",\"scripts\":{\"install\":\"node-gyp rebuild\"}"), PJ(""), 1, &r),
                     0);
    sg_report_free(r);
    /* ...but not without one */
    assert_int_equal(run(PJ(",\"scripts\":{\"install\":\"node-gyp rebuild\"}"), PJ(""), 0, &r),
                     1);
    sg_report_free(r);
    /* bin as a string in the tarball, an object in the registry */
    assert_int_equal(run(PJ(",\"bin\":{\"demo\":\"cli.js\"}"), PJ(",\"bin\":\"./cli.js\""), 0, &r),
                     0);
    sg_report_free(r);
    /* older npm copied optional dependencies into dependencies */
    assert_int_equal(run(PJ(",\"dependencies\":{\"fsevents\":\"^1\"},\"optionalDependencies\":"
                            "{\"fsevents\":\"^1\"}"),
                         PJ(",\"optionalDependencies\":{\"fsevents\":\"^1\"}"), 0, &r),
                     0);
    sg_report_free(r);
}

static void test_registry_manifest__bad_input_is_an_error(void **state)
{
    sg_ctx *ctx;
    sg_report *r;
    cJSON *reg = cJSON_Parse(PJ(""));
    (void)state;
    sg_ctx_new(&ctx);
    sg_report_new(&r, ctx);
    assert_int_equal(sg_diff_registry_manifest(r, ctx, reg, "{", 1, 0), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_diff_registry_manifest(r, ctx, reg, "[1]", 3, 0), SG_EINVALID);
    cJSON_Delete(reg);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_manifest__identical_is_quiet),
        cmocka_unit_test(test_registry_manifest__dependency_hidden_from_registry),
        cmocka_unit_test(test_registry_manifest__spec_and_install_script_differences),
        cmocka_unit_test(test_registry_manifest__npm_normalizations_are_accepted),
        cmocka_unit_test(test_registry_manifest__bad_input_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
