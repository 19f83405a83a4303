/*
 * Release scripts that are not builds (sg_rebuild__script_is_chore in
 * verifier/rebuild/rebuild_chores.c, issue 15): a script is a chore only when every command in
 * it is git, a test, a lint or check, or a release tool; anything that may write a file is not.
 */
#include "sg_test.h"

#include <string.h>

#include "verifier/rebuild/rebuild_int.h"

static cJSON *scripts_of(const char *json)
{
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    return o;
}

static void test_chores__publishing_chores_are_recognised(void **state)
{
    static const char *const chores[] = {
        "git push origin --follow-tags",
        "npm test",
        "npm t",
        "npm run test:unit && npm run lint",
        "yarn test",
        "pnpm run lint",
        "eslint . && tsc --noEmit",
        "prettier --check src",
        "np --no-publish",
        "changeset publish",
        "standard-version",
        "git push && git push --tags",
        "cross-env NODE_ENV=test jest --coverage",
        "npx --no-install semantic-release",
        "node --test test/",
        "in-publish && npm run check || not-in-publish",
        "lerna publish from-package",
        "npm run check", /* check: eslint ., below */
    };
    cJSON *scripts = scripts_of("{\"check\": \"eslint . && npm test\", \"build\": \"tsc\"}");
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(chores); i++)
        if (!sg_rebuild__script_is_chore(chores[i], scripts))
            fail_msg("'%s' should be a chore", chores[i]);
    cJSON_Delete(scripts);
}

static void test_chores__anything_that_may_build_is_not_a_chore(void **state)
{
    static const char *const builds[] = {
        "npm run build",
        "tsc",
        "tsc -p tsconfig.build.json",
        "npm test && npm run build",
        "git describe > dist/version.txt",
        "echo hi > dist/index.js",
        "prettier --write src",
        "rollup -c",
        "node build.js",
        "npm run bundle", /* bundle: rollup -c, below */
        "yarn bundle",
        "make",
        "",
        "   ",
        "npm",
        "npm run",
    };
    cJSON *scripts = scripts_of("{\"bundle\": \"rollup -c\"}");
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(builds); i++)
        if (sg_rebuild__script_is_chore(builds[i], scripts))
            fail_msg("'%s' should count as a build", builds[i]);
    assert_false(sg_rebuild__script_is_chore(NULL, scripts));
    cJSON_Delete(scripts);
}

/* A script running itself (or a cycle) ends at the depth bound, not in a stack overflow. */
static void test_chores__script_cycles_end(void **state)
{
    cJSON *scripts = scripts_of("{\"a\": \"npm run b\", \"b\": \"npm run a\"}");
    (void)state;
    assert_false(sg_rebuild__script_is_chore("npm run a", scripts));
    assert_false(sg_rebuild__script_is_chore("npm run a", NULL));
    cJSON_Delete(scripts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chores__publishing_chores_are_recognised),
        cmocka_unit_test(test_chores__anything_that_may_build_is_not_a_chore),
        cmocka_unit_test(test_chores__script_cycles_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
