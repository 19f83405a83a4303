/*
 * Further building scripts (sg_rebuild__more_scripts and sg_rebuild__build_file in
 * verifier/rebuild/rebuild_chores.c, issue 15): when the pack lacks files the release has, the
 * scripts whose names say they make declarations come first, then those named build-X, build:X,
 * compile...; never watchers, dev servers, tests, docs, examples, lifecycle scripts, chores or
 * what the build script already ran. The script lists are those of real repositories (vue,
 * zustand, uuid, superjson, escalade).
 */
#include "sg_test.h"

#include <string.h>

#include "verifier/rebuild/rebuild_int.h"

static cJSON *parse(const char *json)
{
    cJSON *o = cJSON_Parse(json);
    assert_non_null(o);
    return o;
}

/* vue's root: build-dts is the one; test-dts, the playground and dev scripts are not. */
static void test_more_scripts__declarations_first_then_builds(void **state)
{
    cJSON *s = parse("{\"dev\": \"node scripts/dev.js\", \"build\": \"node scripts/build.js\","
                     " \"build-dts\": \"tsc -p tsconfig.build.json --noCheck && rollup -c "
                     "rollup.dts.config.js\", \"clean\": \"rimraf dist\","
                     " \"check\": \"tsc --incremental --noEmit\", \"test-dts\": \"run-s "
                     "build-dts test-dts-only\", \"test-dts-only\": \"tsc -p x.json\","
                     " \"build-sfc-playground\": \"run-s build-all-cjs\","
                     " \"build-all-cjs\": \"node scripts/build.js vue -af cjs\","
                     " \"size-esm\": \"node scripts/build.js shared -f esm-bundler\","
                     " \"release\": \"node scripts/release.js\","
                     " \"preinstall\": \"npx only-allow pnpm\"}");
    const char *names[SG_REBUILD_MORE_MAX];
    size_t n;
    (void)state;
    n = sg_rebuild__more_scripts(names, SG_REBUILD_MORE_MAX, s, "build");
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "build-dts");
    assert_string_equal(names[1], "build-all-cjs");
    /* bounded */
    assert_int_equal(sg_rebuild__more_scripts(names, 1, s, "build"), 1);
    assert_string_equal(names[0], "build-dts");
    cJSON_Delete(s);
}

/* Scripts the build runs (by name or an npm-run-all glob), watchers, chores, hooks. */
static void test_more_scripts__never_what_ran_watchers_chores_or_hooks(void **state)
{
    cJSON *s = parse("{\"prebuild\": \"rimraf dist\", \"build\": \"pnpm build:base && pnpm "
                     "build:vanilla\", \"build:base\": \"rollup -c\", \"build:vanilla\": "
                     "\"rollup -c --config-vanilla\", \"build-watch\": \"rollup -c -w\","
                     " \"build:esm\": \"tsc -p esm.json --watch\", \"postbuild\": \"node "
                     "fix.js\", \"test:types\": \"tsc --noEmit\", \"types:check\": \"tsc\","
                     " \"typecheck\": \"tsc --noEmit\", \"types\": \"tsc --noEmit\","
                     " \"examples:browser:rollup:build\": \"cd examples && npm run build\","
                     " \"build:docs\": \"typedoc\", \"prepare\": \"npm run build:types\","
                     " \"build:types\": \"tsc --emitDeclarationOnly\"}");
    cJSON *glob = parse("{\"build\": \"run-p build:*\", \"build:esm\": \"tsc\", \"build:cjs\":"
                        " \"tsc -p cjs.json\", \"compile\": \"babel src -d lib\"}");
    const char *names[SG_REBUILD_MORE_MAX];
    (void)state;
    assert_int_equal(sg_rebuild__more_scripts(names, SG_REBUILD_MORE_MAX, s, "build"), 1);
    assert_string_equal(names[0], "build:types");
    assert_int_equal(sg_rebuild__more_scripts(names, SG_REBUILD_MORE_MAX, glob, "build"), 1);
    assert_string_equal(names[0], "compile");
    /* without a script that ran, build:esm and build:cjs are candidates in their order, up
     * to the bound */
    assert_int_equal(sg_rebuild__more_scripts(names, SG_REBUILD_MORE_MAX, glob, NULL), 3);
    assert_string_equal(names[0], "build");
    assert_string_equal(names[1], "build:esm");
    assert_string_equal(names[2], "build:cjs");
    assert_int_equal(sg_rebuild__more_scripts(names, SG_REBUILD_MORE_MAX, NULL, "build"), 0);
    cJSON_Delete(s);
    cJSON_Delete(glob);
}

static int in_list(void *payload, const char *name)
{
    const char *const *files = payload;
    size_t i;
    for (i = 0; files[i]; i++)
        if (strcmp(files[i], name) == 0)
            return 1;
    return 0;
}

/* escalade: build.ts, which no script runs, is the maintainer's own step; a build program a
 * script runs ("node build", "tsx build.ts") is not another one. */
static void test_more_scripts__a_build_program_no_script_runs(void **state)
{
    static const char *const ts[] = {"build.ts", "package.json", NULL};
    static const char *const both[] = {"build.mjs", "build.ts", NULL};
    cJSON *esc = parse("{\"build\": \"bundt\", \"pretest\": \"npm run build\", \"test\": \"uvu "
                       "-r esm test\"}");
    cJSON *named = parse("{\"build\": \"node build\"}");
    cJSON *tsx = parse("{\"build\": \"tsx build.ts\"}");
    (void)state;
    assert_string_equal(sg_rebuild__build_file(esc, in_list, (void *)ts), "build.ts");
    assert_string_equal(sg_rebuild__build_file(esc, in_list, (void *)both), "build.mjs");
    assert_null(sg_rebuild__build_file(named, in_list, (void *)both));
    assert_null(sg_rebuild__build_file(tsx, in_list, (void *)ts));
    assert_null(sg_rebuild__build_file(esc, in_list, (void *)(const char *const[]){NULL}));
    cJSON_Delete(esc);
    cJSON_Delete(named);
    cJSON_Delete(tsx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_more_scripts__declarations_first_then_builds),
        cmocka_unit_test(test_more_scripts__never_what_ran_watchers_chores_or_hooks),
        cmocka_unit_test(test_more_scripts__a_build_program_no_script_runs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
