/*
 * Rebuild recipes (issue 15; verifier/rebuild/rebuild_run.c, rebuild_chores.c,
 * rebuild_recipe.c): release scripts that are not builds are passed over with the reason and the
 * next plausible recipe is tried; the recipe that worked is recorded in the report. Fixture
 * repositories made by the test whose build is a node script, so everything runs offline; the
 * end-to-end cases skip without node, npm and a working bubblewrap.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "http_server.h"
#include "verifier/rebuild/rebuild_int.h"

#define SRC_JS "module.exports = function add(a, b) {\n  return a + b;\n};\n"
#define BUILT_JS "// built from src/index.js\n" SRC_JS

#define PJ_HEAD                                                                                    \
    "{\n  \"name\": \"fixture-build\",\n  \"version\": \"1.0.0\",\n  \"main\": "                   \
    "\"dist/index.js\",\n  \"files\": [\"dist\"],\n  \"scripts\": "

static const char build_clean[] =
    "const fs = require('fs');\n"
    "fs.mkdirSync('dist', {recursive: true});\n"
    "const src = fs.readFileSync('src/index.js', 'utf8');\n"
    "fs.writeFileSync('dist/index.js', '// built from src/index.js\\n' + src);\n";

typedef struct fx {
    sg_ctx *ctx;        /* context */
    int ready;          /* node, npm and a working bubblewrap */
    char bwrap[4096];   /* bubblewrap */
    char *cache;        /* the cache folder (logs) */
    sg_rebuild_opts ro; /* rebuild options */
    sg_report *report;  /* the last report */
    char repo[4096];    /* the last fixture's repository */
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

/* Commit a fixture with this package.json (build.js, src/index.js) and verify an artifact whose
 * dist/index.js is dist, in local mode. */
static int verify(fx *f, const char *pj, const char *dist)
{
    char *dir = sgt_tmpdir(), tgz[4200];
    const sgt_file files[] = {{"package.json", pj, 0, 0},
                              {"build.js", build_clean, 0, 0},
                              {"src/index.js", SRC_JS, 0, 0},
                              {".gitignore", "dist\nnode_modules\n", 0, 0}};
    const sgt_tar_entry entries[] = {{"package/package.json", pj, 0, 0644, '0', NULL},
                                     {"package/dist/index.js", dist, 0, 0644, '0', NULL}};
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    int error;

    snprintf(f->repo, sizeof(f->repo), "%.4000s/repo", dir);
    snprintf(tgz, sizeof(tgz), "%.4000s/fixture-build-1.0.0.tgz", dir);
    sgt_git_init(f->repo, 0);
    sgt_git_commit(NULL, f->repo, NULL, files, 4, "fixture", 0);
    sgt_tar_write(tgz, entries, 2);
    o.tarball_path = tgz;
    o.source = f->repo;
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

/* isaacs' prepublishOnly pushes to git: it fails in the copy (no remote, no network) and makes
 * no file, so it is skipped with the reason and the build script builds. */
static void test_recipe__git_push_prepublish_is_skipped_and_the_build_runs(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f,
                            PJ_HEAD "{\"prepublishOnly\": \"git push origin --follow-tags\", "
                                    "\"build\": \"node build.js\"}\n}\n",
                            BUILT_JS),
                     0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
    assert_non_null(step_with(f->report, "build: prepublishOnly skipped: it only runs release "
                                         "chores"));
    assert_non_null(step_with(f->report, "build: npm run build"));
}

/* zod: prepublishOnly only checks versions (a script that may write files, so it is no chore)
 * and the build script is not run by any publish lifecycle script: the maintainer ran it
 * before publishing, so the rebuild runs it first, then prepublishOnly. */
static void test_recipe__build_script_runs_before_a_prepublish_that_does_not_build(void **state)
{
    fx *f = *state;
    size_t i, ib = 0, ip = 0;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f,
                            PJ_HEAD "{\"prepublishOnly\": \"node -e 'process.exit(0)'\", "
                                    "\"build\": \"node build.js\"}\n}\n",
                            BUILT_JS),
                     0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
    assert_non_null(step_with(f->report, "build: npm run build"));
    for (i = 0; i < sg_report_list_count(f->report, SG_LIST_REBUILD); i++) {
        const char *l = sg_report_list_get(f->report, SG_LIST_REBUILD, i);
        if (!ib && strstr(l, "build: npm run build"))
            ib = i + 1;
        if (!ip && strstr(l, "prepublishOnly"))
            ip = i + 1;
    }
    assert_true(ib && ip && ib < ip); /* the build first, then prepublishOnly */
}

/* A prepare script that only sets up git hooks does not build: the build script runs, and when
 * the pack command fails on the hook tool, it packs again without its scripts. */
static void test_recipe__husky_prepare_does_not_stop_the_build(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f,
                            PJ_HEAD "{\"prepare\": \"husky install\", \"build\": \"node "
                                    "build.js\"}\n}\n",
                            BUILT_JS),
                     0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_non_null(step_with(f->report, "build: npm run build"));
    assert_non_null(step_with(f->report, "packing again with --ignore-scripts"));
    assert_non_null(step_with(f->report, "pack: npm pack --pack-destination <scratch>/out "
                                         "--ignore-scripts"));
}

/* A release script that is a build and fails is still a failure, with its reason, when no other
 * recipe is left: chores are recognised, failures are not hidden. */
static void test_recipe__a_failing_build_script_still_fails(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(
        verify(f, PJ_HEAD "{\"prepublishOnly\": \"node -e 'process.exit(5)'\"}\n}\n", BUILT_JS), 0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_INCONCLUSIVE);
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "failed");
    assert_non_null(
        strstr(sg_report_get(f->report, SG_REPORT_REBUILD_DETAIL), "build error (exit status 5)"));
}

/* A prepublishOnly that mixes a failing test with the build: the next recipe (the build
 * script) is tried, and the step says why. */
static void test_recipe__failing_mixed_prepublish_tries_the_build_script(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f,
                            PJ_HEAD "{\"prepublishOnly\": \"node -e 'process.exit(1)' && npm run "
                                    "build\", \"build\": \"node build.js\"}\n}\n",
                            BUILT_JS),
                     0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_non_null(step_with(f->report, "build: prepublishOnly failed ("));
    assert_non_null(step_with(f->report, "trying the next recipe"));
}

/* ---------------------------------------------------------------- the recipe */

/* The report records the recipe that worked: in JSON as the rebuild's `recipe` object, in text
 * as one line. */
static void test_recipe__report_records_the_recipe(void **state)
{
    fx *f = *state;
    sg_buf json = SG_BUF_INIT, text = SG_BUF_INIT;
    cJSON *doc, *recipe;
    char node[64];
    NEED_SANDBOX(f);
    assert_int_equal(verify(f,
                            PJ_HEAD "{\"prepublishOnly\": \"npm test\", \"build\": \"node "
                                    "build.js\"}\n}\n",
                            BUILT_JS),
                     0);
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_int_equal(sg_report_write_json(&json, f->ctx, f->report), 0);
    doc = cJSON_Parse(json.ptr);
    assert_non_null(doc);
    recipe = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "rebuild"), "recipe");
    assert_non_null(recipe);
    assert_string_equal(sg_json_str(recipe, "package_manager"), "npm");
    assert_true(strlen(sg_json_str(recipe, "package_manager_version")) > 0);
    assert_int_equal(strncmp(sg_json_str(recipe, "node"), "v", 1), 0);
    snprintf(node, sizeof(node), "%s", sg_json_str(recipe, "node"));
    assert_string_equal(sg_json_str(recipe, "install"), "none");
    assert_string_equal(sg_json_str(recipe, "before"), ""); /* local mode: no publish time */
    assert_string_equal(sg_json_str(recipe, "publish_folder"), "");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(recipe, "commands")), 2);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(recipe, "commands"), 0)->valuestring,
                        "cd \"$SRC\" && npm run build");
    assert_non_null(
        strstr(cJSON_GetArrayItem(cJSON_GetObjectItem(recipe, "commands"), 1)->valuestring,
               "npm pack --pack-destination \"$OUT\""));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(recipe, "skipped")), 1);
    cJSON_Delete(doc);
    assert_int_equal(sg_report_write_text(&text, f->ctx, f->report, 0), 0);
    assert_non_null(strstr(text.ptr, "recipe npm "));
    assert_non_null(strstr(text.ptr, ", install none, 2 commands, 1 skipped\n"));
    assert_non_null(strstr(text.ptr, node));
    sg_buf_dispose(&json);
    sg_buf_dispose(&text);
}

/* A failed rebuild has no recipe: nothing could rerun it. */
static void test_recipe__a_failed_rebuild_has_no_recipe(void **state)
{
    fx *f = *state;
    sg_buf script = SG_BUF_INIT;
    NEED_SANDBOX(f);
    assert_int_equal(verify(f, PJ_HEAD "{\"build\": \"node -e 'process.exit(4)'\"}\n}\n", BUILT_JS),
                     0);
    assert_null(sg_report_get(f->report, SG_REPORT_REBUILD_RECIPE));
    assert_int_equal(sg_rebuild_recipe_script(&script, f->ctx, f->report), SG_ENOTFOUND);
    sg_error_clear(f->ctx);
    sg_buf_dispose(&script);
}

/* `verify --rebuild-recipe FILE` writes a POSIX shell script that `sh -n` accepts, naming the
 * repository, the commit and the exact commands; its values are quoted. */
static void test_recipe__cli_writes_a_valid_recipe_script(void **state)
{
    fx *f = *state;
    char *dir = sgt_tmpdir(), *out = NULL, *err = NULL, *script;
    char repo[4200], tgz[4200], file[4200], cmd[16384], commit[41];
    const char *pj = PJ_HEAD "{\"prepublishOnly\": \"git push origin --follow-tags\", \"build\": "
                             "\"node build.js\"}\n}\n";
    const sgt_file files[] = {{"package.json", pj, 0, 0},
                              {"build.js", build_clean, 0, 0},
                              {"src/index.js", SRC_JS, 0, 0},
                              {".gitignore", "dist\nnode_modules\n", 0, 0}};
    const sgt_tar_entry entries[] = {{"package/package.json", pj, 0, 0644, '0', NULL},
                                     {"package/dist/index.js", BUILT_JS, 0, 0644, '0', NULL}};
    int rc;
    NEED_SANDBOX(f);
    assert_non_null(getenv("SG_CLI"));
    snprintf(repo, sizeof(repo), "%.4000s/it's repo", dir); /* a quote in the path */
    snprintf(tgz, sizeof(tgz), "%.4000s/pkg.tgz", dir);
    snprintf(file, sizeof(file), "%.4000s/rebuild.sh", dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(commit, repo, NULL, files, 4, "fixture", 0);
    sgt_tar_write(tgz, entries, 2);
    snprintf(cmd, sizeof(cmd),
             "NO_COLOR=1 XDG_CACHE_HOME='%s' '%s' verify --tarball '%s' --source \"%s\" "
             "--rebuild always --rebuild-recipe '%s'",
             f->cache, getenv("SG_CLI"), tgz, repo, file);
    rc = sgt_run(cmd, &out, &err);
    printf("%s%s", out ? out : "", err ? err : "");
    assert_int_equal(rc, 0);
    script = sgt_read_file(file, NULL);
    assert_non_null(script);
    printf("%s", script);
    assert_int_equal(strncmp(script, "#!/bin/sh\n", 10), 0);
    assert_non_null(strstr(script, commit));
    assert_non_null(strstr(script, "REPOSITORY='"));
    assert_non_null(strstr(script, "it'\\''s repo'")); /* quoted for sh */
    assert_non_null(strstr(script, "(cd \"$SRC\" && npm run build)\n"));
    assert_non_null(strstr(script, "npm pack --pack-destination \"$OUT\""));
    assert_non_null(strstr(script, "# passed over: build: prepublishOnly skipped"));
    assert_non_null(strstr(script, "openssl dgst -sha512"));
    free(out);
    free(err);
    out = err = NULL;
    snprintf(cmd, sizeof(cmd), "sh -n '%s'", file);
    assert_int_equal(sgt_run(cmd, &out, &err), 0);
    free(out);
    free(err);
    free(script);
}

/* Without a rebuild there is nothing to write: a warning, no file, the verdict's exit code. */
static void test_recipe__cli_without_a_rebuild_writes_no_recipe(void **state)
{
    fx *f = *state;
    char *dir = sgt_tmpdir(), *out = NULL, *err = NULL;
    char repo[4200], tgz[4200], file[4200], cmd[16384];
    const char *pj = "{\"name\": \"plain\", \"version\": \"1.0.0\"}\n";
    const sgt_file files[] = {{"package.json", pj, 0, 0}, {"index.js", SRC_JS, 0, 0}};
    const sgt_tar_entry entries[] = {{"package/package.json", pj, 0, 0644, '0', NULL},
                                     {"package/index.js", SRC_JS, 0, 0644, '0', NULL}};
    struct stat st;
    (void)f;
    assert_non_null(getenv("SG_CLI"));
    snprintf(repo, sizeof(repo), "%.4000s/repo", dir);
    snprintf(tgz, sizeof(tgz), "%.4000s/pkg.tgz", dir);
    snprintf(file, sizeof(file), "%.4000s/rebuild.sh", dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(NULL, repo, NULL, files, 2, "plain", 0);
    sgt_tar_write(tgz, entries, 2);
    snprintf(cmd, sizeof(cmd),
             "NO_COLOR=1 XDG_CACHE_HOME='%s' '%s' verify --tarball '%s' --source '%s' "
             "--rebuild never --rebuild-recipe '%s'",
             f->cache, getenv("SG_CLI"), tgz, repo, file);
    assert_int_equal(sgt_run(cmd, &out, &err), 0);
    assert_non_null(strstr(err, "warning: no recipe written"));
    assert_int_not_equal(stat(file, &st), 0);
    free(out);
    free(err);
}

/* ---------------------------------------------------------------- the registry as of a date */

/* The registry's dep: 1.0.0 published in 2020, 1.1.0 in 2030 (after the release). */
typedef struct reg {
    sgt_http_server *srv;     /* the loopback registry */
    sgt_http_route routes[3]; /* the packument and two tarballs */
    char packument[8192];     /* its body */
    unsigned char *tgz[2];    /* dep 1.0.0 and 1.1.0 */
    size_t len[2];            /* their bytes */
} reg;

static void start_registry(reg *g, sg_ctx *ctx)
{
    static const char *const vers[] = {"1.0.0", "1.1.0"};
    sg_buf integ[2] = {SG_BUF_INIT, SG_BUF_INIT};
    char pj[2][128], js[2][64];
    size_t i;

    memset(g, 0, sizeof(*g));
    sgt_http_start_routes(&g->srv, NULL, 0);
    for (i = 0; i < 2; i++) {
        snprintf(pj[i], sizeof(pj[i]), "{\"name\":\"dep\",\"version\":\"%s\"}\n", vers[i]);
        snprintf(js[i], sizeof(js[i]), "module.exports = 'dep %s';\n", vers[i]);
        {
            const sgt_tar_entry e[] = {{"package/package.json", pj[i], 0, 0644, '0', NULL},
                                       {"package/index.js", js[i], 0, 0644, '0', NULL}};
            sgt_tar_build(&g->tgz[i], &g->len[i], e, 2, 1);
        }
        assert_int_equal(sg_integrity_sha512(&integ[i], ctx, g->tgz[i], g->len[i]), 0);
    }
    snprintf(g->packument, sizeof(g->packument),
             "{\"_id\":\"dep\",\"name\":\"dep\",\"dist-tags\":{\"latest\":\"1.1.0\"},"
             "\"versions\":{"
             "\"1.0.0\":{\"name\":\"dep\",\"version\":\"1.0.0\",\"dist\":{\"tarball\":"
             "\"%sdep/-/dep-1.0.0.tgz\",\"integrity\":\"%s\"}},"
             "\"1.1.0\":{\"name\":\"dep\",\"version\":\"1.1.0\",\"dist\":{\"tarball\":"
             "\"%sdep/-/dep-1.1.0.tgz\",\"integrity\":\"%s\"}}},"
             "\"time\":{\"created\":\"2020-02-03T04:05:06.789Z\","
             "\"modified\":\"2030-01-01T00:00:00.000Z\","
             "\"1.0.0\":\"2020-02-03T04:05:06.789Z\",\"1.1.0\":\"2030-01-01T00:00:00.000Z\"}}",
             sgt_http_base_url(g->srv), integ[0].ptr, sgt_http_base_url(g->srv), integ[1].ptr);
    g->routes[0].target = "/dep";
    g->routes[0].headers = "Content-Type: application/json\r\n";
    g->routes[0].body = g->packument;
    g->routes[1].target = "/dep/-/dep-1.0.0.tgz";
    g->routes[1].body = g->tgz[0];
    g->routes[1].body_len = g->len[0];
    g->routes[2].target = "/dep/-/dep-1.1.0.tgz";
    g->routes[2].body = g->tgz[1];
    g->routes[2].body_len = g->len[1];
    sgt_http_set_routes(g->srv, g->routes, 3);
    sg_buf_dispose(&integ[0]);
    sg_buf_dispose(&integ[1]);
}

static void stop_registry(reg *g)
{
    sgt_http_stop(g->srv);
    free(g->tgz[0]);
    free(g->tgz[1]);
}

#define DEP_PJ                                                                                     \
    "{\"name\":\"uses-dep\",\"version\":\"1.0.0\",\"files\":[\"dist\"],\n"                         \
    " \"dependencies\":{\"dep\":\"^1.0.0\"},\n"                                                    \
    " \"scripts\":{\"build\":\"node build.js\"}}\n"

/* A lockfile that does not match package.json: it lists no dependency. */
#define STALE_LOCK                                                                                 \
    "{\"name\":\"uses-dep\",\"version\":\"1.0.0\",\"lockfileVersion\":3,\"requires\":true,"        \
    "\"packages\":{\"\":{\"name\":\"uses-dep\",\"version\":\"1.0.0\"}}}\n"

static const char copy_dep_js[] =
    "const fs = require('fs');\n"
    "fs.mkdirSync('dist', {recursive: true});\n"
    "fs.copyFileSync('node_modules/dep/index.js', 'dist/index.js');\n";

/* Rebuild the dep-using fixture (with lock as its package-lock.json unless NULL), published at
 * `published` (NULL: local mode), against the loopback registry; the rebuilt dist/index.js
 * into out. */
static void rebuild_dep_user(fx *f, sg_rebuild_result *res, char *out, size_t size,
                             const char *lock, const char *published)
{
    reg g;
    const sgt_file files[] = {{"package.json", DEP_PJ, 0, 0},
                              {"build.js", copy_dep_js, 0, 0},
                              {".gitignore", "dist\nnode_modules\n", 0, 0},
                              {"package-lock.json", lock ? lock : "", 0, 0}};
    sg_tree *root = sgt_tree(files, lock ? 4 : 3);
    sg_rebuild_input in;
    const sg_entry *e;
    sg_buf b = SG_BUF_INIT;

    start_registry(&g, f->ctx);
    f->ro.registry = sgt_http_base_url(g.srv);
    memset(&in, 0, sizeof(in));
    in.root = root;
    in.subdir = "";
    in.name = "uses-dep";
    in.version = "1.0.0";
    in.commit = "0123456789abcdef0123456789abcdef01234567";
    in.published = published;
    assert_int_equal(sg_rebuild__run(res, f->ctx, &f->ro, &in), 0);
    if (res->status != SG_REBUILD_BUILT)
        printf("# rebuild: %s (log %s)\n", res->reason, res->log);
    assert_int_equal(res->status, SG_REBUILD_BUILT);
    e = sg_tree_find(res->tree, "dist/index.js");
    assert_non_null(e);
    assert_int_equal(sg_tree_read(&b, f->ctx, res->tree, e), 0);
    snprintf(out, size, "%s", b.ptr);
    sg_buf_dispose(&b);
    sg_tree_free(root);
    stop_registry(&g);
    f->ro.registry = NULL;
}

static const char *recipe_str(const sg_rebuild_result *res, const char *key)
{
    return sg_json_str(res->recipe, key);
}

/* Without a lockfile the install sees the registry as of the publish time: dep 1.1.0, published
 * later, is not installed. In local mode (no publish time) today's 1.1.0 is, and the steps say
 * there was no date. */
static void test_recipe__install_without_lockfile_is_as_of_the_publish_date(void **state)
{
    fx *f = *state;
    sg_rebuild_result res = SG_REBUILD_RESULT_INIT;
    char dist[256];
    NEED_SANDBOX(f);
    rebuild_dep_user(f, &res, dist, sizeof(dist), NULL, "2021-01-01T00:00:00.000Z");
    assert_string_equal(dist, "module.exports = 'dep 1.0.0';\n");
    assert_string_equal(recipe_str(&res, "install"), "not frozen, as of 2021-01-01T00:00:00.000Z");
    assert_string_equal(recipe_str(&res, "before"), "2021-01-01T00:00:00.000Z");
    sg_rebuild__result_dispose(&res);

    rebuild_dep_user(f, &res, dist, sizeof(dist), NULL, NULL);
    assert_string_equal(dist, "module.exports = 'dep 1.1.0';\n");
    assert_string_equal(recipe_str(&res, "install"), "not frozen");
    assert_string_equal(recipe_str(&res, "before"), "");
    sg_rebuild__result_dispose(&res);
}

/* A registry whose publish times are not the releases' (a mirror stamping its ingest date)
 * can leave nothing as of the publish time: npm stops with ETARGET. The next recipe installs
 * today's versions, and the steps and the recipe say so. */
static void test_recipe__empty_registry_as_of_then_falls_back_to_today(void **state)
{
    fx *f = *state;
    sg_rebuild_result res = SG_REBUILD_RESULT_INIT;
    const cJSON *skipped, *it;
    char dist[256];
    int said = 0;
    NEED_SANDBOX(f);
    rebuild_dep_user(f, &res, dist, sizeof(dist), NULL, "2019-01-01T00:00:00.000Z");
    assert_string_equal(dist, "module.exports = 'dep 1.1.0';\n");
    assert_string_equal(recipe_str(&res, "install"), "not frozen, today's versions");
    assert_string_equal(recipe_str(&res, "before"), "");
    skipped = cJSON_GetObjectItemCaseSensitive(res.recipe, "skipped");
    cJSON_ArrayForEach(it, skipped)
    {
        if (cJSON_IsString(it) &&
            strstr(it->valuestring, "install: as of the publish time failed ("))
            said = 1;
    }
    assert_true(said);
    sg_rebuild__result_dispose(&res);
}

/* A lockfile the package manager refuses (it does not match package.json) is not the end: the
 * install runs again, not frozen, as of the publish date, and the steps and the recipe say so. */
static void test_recipe__refused_lockfile_falls_back_as_of_the_publish_date(void **state)
{
    fx *f = *state;
    sg_rebuild_result res = SG_REBUILD_RESULT_INIT;
    char dist[256];
    size_t i;
    int said = 0;
    NEED_SANDBOX(f);
    rebuild_dep_user(f, &res, dist, sizeof(dist), STALE_LOCK, "2021-01-01T00:00:00.000Z");
    assert_string_equal(dist, "module.exports = 'dep 1.0.0';\n");
    for (i = 0; i < res.nsteps; i++)
        said |= strstr(res.steps[i], "install: the lockfile does not match package.json") != NULL;
    assert_true(said);
    assert_string_equal(recipe_str(&res, "install"),
                        "not frozen (the lockfile did not match package.json), as of "
                        "2021-01-01T00:00:00.000Z");
    assert_string_equal(recipe_str(&res, "lockfile"), "package-lock.json");
    assert_int_equal(strlen(recipe_str(&res, "lockfile_sha256")), 64);
    sg_rebuild__result_dispose(&res);
}

/* A stand-in for corepack running yarn classic, next to a node of its own: `install
 * --frozen-lockfile` refuses with yarn's own words, `install` without it succeeds, `run NAME`
 * runs the script, `pack --filename F` packs with npm into F's folder. */
static const char fake_corepack[] =
    "#!/bin/sh\n"
    "shift\n" /* yarn@1.22.22 */
    "case \"$1\" in\n"
    "install)\n"
    "  for a in \"$@\"; do\n"
    "    if [ \"$a\" = --frozen-lockfile ]; then\n"
    "      echo 'error Your lockfile needs to be updated, but yarn was run with "
    "`--frozen-lockfile`.'\n"
    "      exit 1\n"
    "    fi\n"
    "  done\n"
    "  echo \"fake yarn: installed ($*)\"; exit 0 ;;\n"
    "run)\n"
    "  s=$(node -e \"process.stdout.write(require('./package.json').scripts[process.argv[1]])\" "
    "\"$2\")\n"
    "  exec /bin/sh -c \"$s\" ;;\n"
    "pack)\n"
    "  exec npm pack --pack-destination \"$(dirname \"$3\")\" ;;\n"
    "esac\n"
    "exit 2\n";

/* yarn classic refuses --frozen-lockfile when yarn.lock does not match package.json, although
 * the maintainer's release ran: the install runs again without it, as of the publish date, and
 * the steps and the recipe say so. yarn is faked (offline), the sandbox is real. */
static void test_recipe__yarn_frozen_lockfile_refusal_falls_back(void **state)
{
    fx *f = *state;
    char *dir = sgt_tmpdir(), bin[4200], node[4300], corepack[4300], shim[4400];
    const sgt_file files[] = {{"package.json", PJ_HEAD "{\"build\": \"node build.js\"}\n}\n", 0, 0},
                              {"build.js", build_clean, 0, 0},
                              {"src/index.js", SRC_JS, 0, 0},
                              {"yarn.lock", "# yarn lockfile v1\n\n\n", 0, 0}};
    sg_tree *root = sgt_tree(files, 4);
    sg_rebuild_result res = SG_REBUILD_RESULT_INIT;
    sg_rebuild_input in;
    const char *install;
    size_t i;
    int said = 0;
    NEED_SANDBOX(f);
    snprintf(bin, sizeof(bin), "%.4000s/bin", dir);
    assert_int_equal(mkdir(bin, 0755), 0);
    assert_int_equal(chmod(dir, 0755), 0); /* the sandbox's uid reads node's folder */
    snprintf(node, sizeof(node), "%s/node", bin);
    { /* a node of its own folder (so corepack is found beside it): the machine's, wrapped */
        char *real = NULL;
        assert_int_equal(sgt_run("command -v node", &real, NULL), 0);
        real[strcspn(real, "\n")] = '\0';
        snprintf(shim, sizeof(shim), "#!/bin/sh\nexec '%.4000s' \"$@\"\n", real);
        free(real);
    }
    sgt_write_file(node, shim, strlen(shim), 0755);
    snprintf(corepack, sizeof(corepack), "%s/corepack", bin);
    sgt_write_file(corepack, fake_corepack, strlen(fake_corepack), 0755);
    f->ro.node = node;
    memset(&in, 0, sizeof(in));
    in.root = root;
    in.subdir = "";
    in.name = "fixture-build";
    in.version = "1.0.0";
    in.commit = "0123456789abcdef0123456789abcdef01234567";
    in.published = "2021-01-01T00:00:00.000Z";
    assert_int_equal(sg_rebuild__run(&res, f->ctx, &f->ro, &in), 0);
    for (i = 0; i < res.nsteps; i++) {
        printf("    %s\n", res.steps[i]);
        said |= strstr(res.steps[i], "install: the lockfile does not match package.json (") &&
                strstr(res.steps[i], "yarn refused to install") != NULL;
    }
    if (res.status != SG_REBUILD_BUILT)
        printf("# rebuild: %s (log %s)\n", res.reason, res.log);
    assert_int_equal(res.status, SG_REBUILD_BUILT);
    assert_true(said);
    install = recipe_str(&res, "install");
    assert_string_equal(install, "not frozen (the lockfile did not match package.json), as of "
                                 "2021-01-01T00:00:00.000Z");
    assert_non_null(
        strstr(cJSON_GetArrayItem(cJSON_GetObjectItem(res.recipe, "commands"), 0)->valuestring,
               "corepack yarn@1.22.22 install --ignore-scripts"));
    assert_null(
        strstr(cJSON_GetArrayItem(cJSON_GetObjectItem(res.recipe, "commands"), 0)->valuestring,
               "--frozen-lockfile"));
    assert_string_equal(recipe_str(&res, "lockfile"), "yarn.lock");
    sg_rebuild__result_dispose(&res);
    sg_tree_free(root);
    f->ro.node = NULL;
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_recipe__git_push_prepublish_is_skipped_and_the_build_runs),
        T(test_recipe__build_script_runs_before_a_prepublish_that_does_not_build),
        T(test_recipe__husky_prepare_does_not_stop_the_build),
        T(test_recipe__a_failing_build_script_still_fails),
        T(test_recipe__failing_mixed_prepublish_tries_the_build_script),
        T(test_recipe__report_records_the_recipe),
        T(test_recipe__a_failed_rebuild_has_no_recipe),
        T(test_recipe__cli_writes_a_valid_recipe_script),
        T(test_recipe__cli_without_a_rebuild_writes_no_recipe),
        T(test_recipe__install_without_lockfile_is_as_of_the_publish_date),
        T(test_recipe__empty_registry_as_of_then_falls_back_to_today),
        T(test_recipe__refused_lockfile_falls_back_as_of_the_publish_date),
        T(test_recipe__yarn_frozen_lockfile_refusal_falls_back),
    };
#undef T
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    return rc;
}
