/* Semantic versions and ranges (common/semver.c) against node-semver's answers, and
 * picking a version from a packument as npm-pick-manifest does. The expected values of the
 * table were produced by node-semver 7 (npm 11's copy). */
#include "sg_test.h"

#include <string.h>

#include "common/common.h"

static const struct {
    const char *range, *version;
    int want;
} cases[] = {
    {"^1.2.3", "1.2.3", 1},
    {"^1.2.3", "1.9.9", 1},
    {"^1.2.3", "2.0.0", 0},
    {"^1.2.3", "2.0.0-0", 0},
    {"^1.2.3", "1.3.0-beta", 0},
    {"^0.2.3", "0.2.9", 1},
    {"^0.2.3", "0.3.0", 0},
    {"^0.0.3", "0.0.3", 1},
    {"^0.0.3", "0.0.4", 0},
    {"^0.0", "0.0.9", 1},
    {"^0.0", "0.1.0", 0},
    {"^0.x", "0.9.0", 1},
    {"^1.x", "1.5.0", 1},
    {"^1.2.3-beta.2", "1.2.3-beta.4", 1},
    {"^1.2.3-beta.2", "1.2.3-beta.1", 0},
    {"^1.2.3-beta.2", "1.2.4-beta.1", 0},
    {"~1.2.3", "1.2.9", 1},
    {"~1.2.3", "1.3.0", 0},
    {"~1.2", "1.2.0", 1},
    {"~1", "1.9.0", 1},
    {"~1", "2.0.0", 0},
    {"~>1.2", "1.2.5", 1},
    {"1.x", "1.4.0", 1},
    {"1.x", "2.0.0", 0},
    {"1.2.x", "1.2.7", 1},
    {"*", "3.0.0", 1},
    {"*", "3.0.0-beta", 0},
    {"", "0.0.1", 1},
    {">1.2", "1.3.0", 1},
    {">1.2", "1.2.9", 0},
    {">=1.2", "1.2.0", 1},
    {"<1.2", "1.1.9", 1},
    {"<1.2", "1.2.0-0", 0},
    {"<=1.2", "1.2.9", 1},
    {"<=1.2", "1.3.0", 0},
    {">1", "2.0.0", 1},
    {">1", "1.9.9", 0},
    {"1.2.3 - 2.3.4", "2.3.4", 1},
    {"1.2.3 - 2.3.4", "2.3.5", 0},
    {"1.2 - 2.3", "2.3.9", 1},
    {"1.2 - 2.3", "2.4.0", 0},
    {">= 1.2.3 < 2", "1.9.0", 1},
    {">=1.2.3 <2", "2.0.0", 0},
    {"1.2.3 || 2.x", "2.5.0", 1},
    {"1.2.3 || 2.x", "1.2.4", 0},
    {"=1.2.3", "1.2.3", 1},
    {"v1.2.3", "1.2.3", 1},
    {"<*", "1.0.0", 0},
    {">=*", "1.0.0", 1},
    {"1.2.3-alpha.10", "1.2.3-alpha.10", 1},
    {">1.2.3-alpha.2", "1.2.3-alpha.10", 1},
    {">1.2.3-alpha.2", "1.2.3-alpha.beta", 1},
    {">1.2.3-alpha.beta", "1.2.3-alpha.10", 0},
    {"^4.17.21", "4.17.21", 1},
    {"^4.17.21", "5.0.0-rc", 0},
    {"x", "1.0.0", 1},
    {"1.2.3+build", "1.2.3", 1},
};

static void test_semver__matches_node_semver_table(void **state)
{
    sg_ctx *ctx;
    size_t i;
    (void)state;
    sg_ctx_new(&ctx);
    for (i = 0; i < SG_ARRAY_SIZE(cases); i++) {
        sg_semver_range *r = NULL;
        sg_semver v;
        if (sg_semver_range_parse(&r, ctx, cases[i].range) < 0)
            fail_msg("range '%s' did not parse: %s", cases[i].range, sg_error_message(ctx));
        assert_int_equal(sg_semver_parse(&v, cases[i].version, 0), 0);
        if (sg_semver_satisfies(r, &v) != cases[i].want)
            fail_msg("'%s' satisfies '%s': want %d", cases[i].version, cases[i].range,
                     cases[i].want);
        sg_semver_range_free(r);
    }
    sg_ctx_free(ctx);
}

static void test_semver__orders_prereleases_like_semver_spec(void **state)
{
    const char *order[] = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
                           "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1",
                           "1.1.0", "2.0.0"};
    size_t i;
    (void)state;
    for (i = 0; i + 1 < SG_ARRAY_SIZE(order); i++) {
        sg_semver a, b;
        assert_int_equal(sg_semver_parse(&a, order[i], 0), 0);
        assert_int_equal(sg_semver_parse(&b, order[i + 1], 0), 0);
        if (sg_semver_cmp(&a, &b) >= 0 || sg_semver_cmp(&b, &a) <= 0)
            fail_msg("%s should sort before %s", order[i], order[i + 1]);
    }
}

static void test_semver__refuses_invalid_versions_and_ranges(void **state)
{
    const char *bad_versions[] = {"1.2", "01.2.3", "1.2.3-", "1.2.3-a..b", "a.b.c", "1.2.3 x",
                                  "12345678901234567.0.0", ""};
    const char *bad_ranges[] = {"^^1", "1.2.3 - ", ">=a", "1.2.3 - 2 - 3", "~1.2.3.4"};
    sg_ctx *ctx;
    sg_semver v;
    size_t i;
    (void)state;
    sg_ctx_new(&ctx);
    for (i = 0; i < SG_ARRAY_SIZE(bad_versions); i++)
        if (sg_semver_parse(&v, bad_versions[i], 0) == 0)
            fail_msg("'%s' parsed as a version", bad_versions[i]);
    assert_int_equal(sg_semver_parse(&v, " v1.2.3 ", 1), 0);
    for (i = 0; i < SG_ARRAY_SIZE(bad_ranges); i++) {
        sg_semver_range *r = NULL;
        if (sg_semver_range_parse(&r, ctx, bad_ranges[i]) == 0)
            fail_msg("'%s' parsed as a range", bad_ranges[i]);
        sg_error_clear(ctx);
    }
    sg_ctx_free(ctx);
}

static const char *packument =
    "{\"name\":\"demo\",\"dist-tags\":{\"latest\":\"1.4.0\",\"next\":\"2.0.0-beta.1\"},"
    "\"versions\":{\"1.0.0\":{},\"1.4.0\":{},\"1.5.0\":{\"deprecated\":\"broken\"},"
    "\"1.6.0-rc.1\":{},\"2.0.0-beta.1\":{},\"0.9.0\":{}}}";

static const char *pick(sg_ctx *ctx, const char *spec, int *error)
{
    cJSON *doc = cJSON_Parse(packument);
    const char *out = NULL, *copy;
    static char keep[64];
    *error = sg_semver_pick(&out, ctx, doc, spec);
    if (out)
        snprintf(keep, sizeof(keep), "%s", out);
    copy = out ? keep : NULL;
    cJSON_Delete(doc);
    return copy;
}

static void test_semver__picks_like_npm(void **state)
{
    sg_ctx *ctx;
    int error;
    (void)state;
    sg_ctx_new(&ctx);
    assert_string_equal(pick(ctx, "latest", &error), "1.4.0");
    assert_string_equal(pick(ctx, "next", &error), "2.0.0-beta.1");
    assert_string_equal(pick(ctx, "1.0.0", &error), "1.0.0");
    assert_string_equal(pick(ctx, "", &error), "1.4.0");
    /* latest wins when it satisfies, even with a higher (deprecated) match */
    assert_string_equal(pick(ctx, "^1.0.0", &error), "1.4.0");
    /* latest does not satisfy: the highest non-deprecated match */
    assert_string_equal(pick(ctx, "<1.4.0", &error), "1.0.0");
    /* only a deprecated version matches: take it */
    assert_string_equal(pick(ctx, ">1.4.0 <1.6.0", &error), "1.5.0");
    assert_null(pick(ctx, "^3", &error));
    assert_int_equal(error, SG_ENOTFOUND);
    assert_non_null(strstr(sg_error_message(ctx), "latest is 1.4.0"));
    sg_error_clear(ctx);
    assert_null(pick(ctx, "9.9.9", &error));
    assert_int_equal(error, SG_ENOTFOUND);
    sg_error_clear(ctx);
    assert_null(pick(ctx, "not a range!", &error));
    assert_int_equal(error, SG_EINVALID);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_semver__matches_node_semver_table),
        cmocka_unit_test(test_semver__orders_prereleases_like_semver_spec),
        cmocka_unit_test(test_semver__refuses_invalid_versions_and_ranges),
        cmocka_unit_test(test_semver__picks_like_npm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
