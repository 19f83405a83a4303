/*
 * Further building scripts (issue 15; verifier/rebuild/rebuild_more.c): when the pack lacks
 * files the release has and git lacks, the rebuild runs the repository's other plausible
 * building scripts (a types script, a build program no script runs) and packs again, keeping
 * the new pack only when it adds files and changes none. Fixture repositories made by the
 * test whose builds are node scripts, so everything runs offline; the cases skip without node,
 * npm and a working bubblewrap.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/common.h"
#include "verifier/rebuild/rebuild_int.h"

#define SRC_JS "module.exports = function add(a, b) {\n  return a + b;\n};\n"
#define BUILT_JS "// built from src/index.js\n" SRC_JS
#define TYPES "export declare function add(a: number, b: number): number;\n"

#define PJ_HEAD                                                                                    \
    "{\n  \"name\": \"fixture-more\",\n  \"version\": \"1.0.0\",\n  \"main\": "                    \
    "\"dist/index.js\",\n  \"files\": [\"dist\"],\n  \"scripts\": "

static const char build_js[] =
    "const fs = require('fs');\n"
    "fs.mkdirSync('dist', {recursive: true});\n"
    "const src = fs.readFileSync('src/index.js', 'utf8');\n"
    "fs.writeFileSync('dist/index.js', '// built from src/index.js\\n' + src);\n";

/* The declarations, as a types script or a build program writes them. */
static const char types_js[] =
    "const fs = require('fs');\n"
    "fs.mkdirSync('dist', {recursive: true});\n"
    "fs.writeFileSync('dist/index.d.ts', 'export declare function add(a: number, b: number): "
    "number;\\n');\n";

/* A types script that also rewrites what the build made. */
static const char types_and_rewrite_js[] =
    "const fs = require('fs');\n"
    "fs.writeFileSync('dist/index.d.ts', 'export declare function add(a: number, b: number): "
    "number;\\n');\n"
    "fs.writeFileSync('dist/index.js', '// rewritten\\n');\n";

typedef struct fx {
    sg_ctx *ctx;        /* context */
    int ready;          /* node, npm and a working bubblewrap */
    char bwrap[4096];   /* bubblewrap */
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

#define NEED_SANDBOX(f)                                                                            \
    do {                                                                                           \
        if (!(f)->ready)                                                                           \
            skip();                                                                                \
    } while (0)

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

/* The first rebuild step line containing needle, or NULL. */
static const char *step_with(const sg_report *r, const char *needle)
{
    size_t i;
    for (i = 0; i < sg_report_list_count(r, SG_LIST_REBUILD); i++)
        if (strstr(sg_report_list_get(r, SG_LIST_REBUILD, i), needle))
            return sg_report_list_get(r, SG_LIST_REBUILD, i);
    return NULL;
}

/* The finding of kind at path, or NULL. */
static const sg_finding *finding(const sg_report *r, const char *kind, const char *path)
{
    size_t i;
    for (i = 0; i < sg_report_finding_count(r); i++) {
        const sg_finding *f = sg_report_finding(r, i);
        if (strcmp(f->kind, kind) == 0 && f->path && strcmp(f->path, path) == 0)
            return f;
    }
    return NULL;
}

/* Commit a fixture with this package.json, build.js, src/index.js and the extra file (name,
 * content; name NULL for none), and verify an artifact with dist/index.js (built) and
 * dist/index.d.ts (the declarations), in local mode. */
static int verify(fx *f, const char *pj, const char *extra, const char *extra_content)
{
    char *dir = sgt_tmpdir(), tgz[4200], repo[4200];
    const sgt_file files[] = {{"package.json", pj, 0, 0},
                              {"build.js", build_js, 0, 0},
                              {"src/index.js", SRC_JS, 0, 0},
                              {".gitignore", "dist\nnode_modules\n", 0, 0},
                              {extra ? extra : "none", extra_content, 0, 0}};
    const sgt_tar_entry entries[] = {{"package/package.json", pj, 0, 0644, '0', NULL},
                                     {"package/dist/index.js", BUILT_JS, 0, 0644, '0', NULL},
                                     {"package/dist/index.d.ts", TYPES, 0, 0644, '0', NULL}};
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    int error;

    snprintf(repo, sizeof(repo), "%.4000s/repo", dir);
    snprintf(tgz, sizeof(tgz), "%.4000s/fixture-more-1.0.0.tgz", dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(NULL, repo, NULL, files, extra ? 5 : 4, "fixture", 0);
    sgt_tar_write(tgz, entries, 3);
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

/* The build makes dist/index.js; the release's dist/index.d.ts comes from build:types, which
 * nothing runs: the rebuild runs it as a further script, packs again and reproduces both. */
static void test_more__a_types_script_makes_the_missing_declarations(void **state)
{
    fx *f = *state;
    const char *recipe;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f,
                            PJ_HEAD "{\"build\": \"node build.js\", \"build:types\": \"node "
                                    "types.js\", \"build:watch\": \"node types.js --watch\"}\n}\n",
                            "types.js", types_js),
                     0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
    assert_non_null(step_with(f->report, "more: the pack lacks 1 files the release has and git "
                                         "lacks ('dist/index.d.ts')"));
    assert_non_null(step_with(f->report, "more: npm run build:types in '.'"));
    assert_null(step_with(f->report, "build:watch in"));
    assert_non_null(step_with(f->report, "more: packed again: 1 of the 1 missing files made"));
    recipe = sg_report_get(f->report, SG_REPORT_REBUILD_RECIPE);
    assert_non_null(recipe);
    assert_non_null(strstr(recipe, "npm run build:types"));
}

/* A further script may only add files: one that also rewrites what the build made is not kept,
 * so the built file stays reproduced and the declarations stay unverified (never a failure). */
static void test_more__a_further_script_that_changes_a_built_file_is_not_kept(void **state)
{
    fx *f = *state;
    const char *recipe;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f,
                            PJ_HEAD "{\"build\": \"node build.js\", \"types\": \"node "
                                    "types.js\"}\n}\n",
                            "types.js", types_and_rewrite_js),
                     0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_INCONCLUSIVE);
    assert_non_null(step_with(f->report, "more: npm run types in '.'"));
    assert_non_null(step_with(f->report, "more: not kept: the further steps changed "
                                         "'dist/index.js'"));
    assert_non_null(finding(f->report, "file-unverified", "dist/index.d.ts"));
    assert_null(finding(f->report, "file-modified", "dist/index.js"));
    assert_null(finding(f->report, "file-unverified", "dist/index.js"));
    recipe = sg_report_get(f->report, SG_REPORT_REBUILD_RECIPE);
    assert_non_null(recipe);
    assert_null(strstr(recipe, "npm run types"));
}

/* A guessed script that makes the missing file with other bytes than the release's shows
 * nothing about it: not kept, so the file stays unverified, never modified. */
static void test_more__a_further_script_with_other_bytes_is_not_kept(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f,
                            PJ_HEAD "{\"build\": \"node build.js\", \"build:types\": \"node "
                                    "types.js\"}\n}\n",
                            "types.js",
                            "require('fs').writeFileSync('dist/index.d.ts', 'export {};\\n');\n"),
                     0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_INCONCLUSIVE);
    assert_non_null(step_with(f->report, "more: npm run build:types in '.'"));
    assert_non_null(step_with(f->report, "more: not kept: the further steps made "
                                         "'dist/index.d.ts' with other bytes"));
    assert_non_null(finding(f->report, "file-unverified", "dist/index.d.ts"));
    assert_null(finding(f->report, "file-modified", "dist/index.d.ts"));
}

/* escalade: a build program at the package's top that no script runs is the maintainer's own
 * step: node runs it. */
static void test_more__a_build_program_no_script_runs(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, PJ_HEAD "{\"build\": \"node build.js\"}\n}\n", "build.mjs",
                            "import fs from 'node:fs';\n"
                            "fs.writeFileSync('dist/index.d.ts', 'export declare function "
                            "add(a: number, b: number): number;\\n');\n"),
                     0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_non_null(step_with(f->report, "more: node build.mjs in '.'"));
}

/* A failing further script leaves the first pack as it was, and says so. */
static void test_more__a_failing_further_script_keeps_the_first_pack(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f,
                            PJ_HEAD "{\"build\": \"node build.js\", \"build:dts\": \"node -e "
                                    "'process.exit(3)'\"}\n}\n",
                            NULL, NULL),
                     0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_INCONCLUSIVE);
    assert_non_null(step_with(f->report, "more: build:dts failed (build error (exit status 3)"));
    assert_non_null(finding(f->report, "file-unverified", "dist/index.d.ts"));
    assert_null(finding(f->report, "file-modified", "dist/index.js"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_more__a_types_script_makes_the_missing_declarations),
        T(test_more__a_further_script_that_changes_a_built_file_is_not_kept),
        T(test_more__a_further_script_with_other_bytes_is_not_kept),
        T(test_more__a_build_program_no_script_runs),
        T(test_more__a_failing_further_script_keeps_the_first_pack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
