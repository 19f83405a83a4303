/*
 * One verdict everywhere (issue 14 item 4): `verify NAME@VERSION` and `lockfile` give a release
 * the same verdict, with the same defaults, where the rebuild decides it. A loopback registry
 * serves fixture-build@1.0.0, whose tarball ships dist/index.js that only the build script
 * (node build.js, no third-party package) makes from src/index.js; its repository is a fixture
 * made with libgit2, reached through --git-rewrite. With the default (--rebuild auto) both
 * commands rebuild and pass; with --rebuild never both leave dist/index.js unverified
 * (inconclusive). A lockfile verdict stored without a rebuild is not reused by a run that
 * would rebuild. Skips without node, npm or a working bubblewrap sandbox.
 */
#include "sg_test.h"
#include "http_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"
#include "verifier/rebuild/rebuild_int.h"

#define SRC_JS "module.exports = function add(a, b) {\n  return a + b;\n};\n"
#define BUILT_JS "// built from src/index.js\n" SRC_JS
#define BUILD_JS                                                                                   \
    "const fs = require('fs');\n"                                                                  \
    "fs.mkdirSync('dist', {recursive: true});\n"                                                   \
    "const src = fs.readFileSync('src/index.js', 'utf8');\n"                                       \
    "fs.writeFileSync('dist/index.js', '// built from src/index.js\\n' + src);\n"
#define PJ                                                                                         \
    "{\n  \"name\": \"fixture-build\",\n  \"version\": \"1.0.0\",\n  \"main\": "                   \
    "\"dist/index.js\",\n  \"files\": [\"dist\"],\n  \"repository\": "                             \
    "\"git+https://github.com/acme/fixture-build.git\",\n  \"scripts\": {\"build\": \"node "       \
    "build.js\"}\n}\n"

typedef struct fixture {
    char *dir;                /* temporary folder */
    int usable;               /* node, npm and a bubblewrap sandbox are here */
    sgt_http_server *srv;     /* the registry */
    sgt_http_route routes[2]; /* packument and tarball */
    unsigned char *tgz;       /* the release's tarball */
    size_t tgz_len;           /* its length */
    char *packument;          /* its packument */
    char lockfile[4200];      /* package-lock.json pinning the release */
    char rewrite[4300];       /* --git-rewrite https://github.com/acme/=file://DIR/repos/ */
} fixture;

static int sandbox_works(void)
{
    const char *path = getenv("PATH");
    sg_ctx *ctx = NULL;
    sg_buf b = SG_BUF_INIT;
    int ok;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    ok = sg_sandbox__which(&b, ctx, "bwrap", path && *path ? path : "/usr/bin:/bin") == 0 &&
         sg_sandbox__probe(ctx, b.ptr) == 0;
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
    return ok;
}

static char *integrity_of(const unsigned char *b, size_t n)
{
    sg_ctx *ctx;
    sg_buf out = SG_BUF_INIT;
    char *s;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_integrity_sha512(&out, ctx, b, n), 0);
    s = strdup(out.ptr);
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
    return s;
}

static void make_release(fixture *f)
{
    sgt_file files[] = {{"package.json", PJ, 0, 0},
                        {"build.js", BUILD_JS, 0, 0},
                        {"src/index.js", SRC_JS, 0, 0},
                        {".gitignore", "dist\nnode_modules\n", 0, 0}};
    sgt_tar_entry e[] = {{"package/package.json", PJ, 0, 0, 0, NULL},
                         {"package/dist/index.js", BUILT_JS, 0, 0, 0, NULL}};
    char repo[4300], commit[41], *integrity, lock[8192];
    size_t n;

    snprintf(repo, sizeof(repo), "%s/repos/fixture-build.git", f->dir);
    sgt_git_init(repo, 1);
    sgt_git_commit(commit, repo, NULL, files, 4, "1.0.0", 0);
    sgt_git_tag(repo, "v1.0.0", commit, 1);
    sgt_tar_build(&f->tgz, &f->tgz_len, e, 2, 1);
    integrity = integrity_of(f->tgz, f->tgz_len);
    f->packument = calloc(1, 8192);
    n = (size_t)snprintf(f->packument, 8192,
                         "{\"name\":\"fixture-build\",\"dist-tags\":{\"latest\":\"1.0.0\"},"
                         "\"versions\":{\"1.0.0\":%.*s,\"dist\":{\"tarball\":\"%s"
                         "fixture-build/-/fixture-build-1.0.0.tgz\",\"integrity\":\"%s\"}}}}",
                         (int)strlen(PJ) - 2, PJ, sgt_http_base_url(f->srv), integrity);
    assert_true(n < 8192);
    snprintf(lock, sizeof(lock),
             "{\n  \"name\": \"app\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n"
             "    \"\": {\"name\": \"app\"},\n"
             "    \"node_modules/fixture-build\": {\n      \"version\": \"1.0.0\",\n"
             "      \"resolved\": \"https://registry.npmjs.org/fixture-build/-/"
             "fixture-build-1.0.0.tgz\",\n      \"integrity\": \"%s\"\n    }\n  }\n}\n",
             integrity);
    snprintf(f->lockfile, sizeof(f->lockfile), "%s/package-lock.json", f->dir);
    sgt_write_file(f->lockfile, lock, strlen(lock), 0);
    free(integrity);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->dir = sgt_tmpdir();
    f->usable = sgt_have_program("node") && sgt_have_program("npm") && sandbox_works();
    sgt_http_start_routes(&f->srv, NULL, 0);
    make_release(f);
    f->routes[0].target = "/fixture-build";
    f->routes[0].body = f->packument;
    f->routes[1].target = "/fixture-build/-/fixture-build-1.0.0.tgz";
    f->routes[1].body = f->tgz;
    f->routes[1].body_len = f->tgz_len;
    sgt_http_set_routes(f->srv, f->routes, 2);
    snprintf(f->rewrite, sizeof(f->rewrite), "https://github.com/acme/=file://%s/repos/", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sgt_http_stop(f->srv);
    free(f->tgz);
    free(f->packument);
    free(f);
    sgt_cleanup();
    return 0;
}

/* Run `sourcegate CMD ARG --registry ... --cache DIR/cache --git-rewrite ... EXTRA`; returns
 * the exit code, stdout in *out. */
static int run(fixture *f, const char *cmd, const char *arg, const char *extra, char **out)
{
    char line[16384], *err = NULL;
    int rc;
    snprintf(line, sizeof(line),
             "cd '%s' && HOME='%s' npm_config_registry= CI=1 '%s' %s '%s' --registry '%s' "
             "--cache '%s/cache' --git-rewrite '%s' --rebuild-timeout 300 %s",
             f->dir, f->dir, getenv("SG_CLI"), cmd, arg, sgt_http_base_url(f->srv), f->dir,
             f->rewrite, extra ? extra : "");
    rc = sgt_run(line, out, &err);
    if (rc != 0 && rc != 3)
        printf("# %s -> %d\n%s%s", line, rc, *out, err);
    free(err);
    return rc;
}

/* The verdict and the reused flag of the lockfile's one release (JSON). */
static void lock_release(const char *out, const char **verdict, int *reused)
{
    static char v[32];
    cJSON *doc = cJSON_Parse(out), *r;
    assert_non_null(doc);
    r = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "releases"), 0);
    assert_non_null(r);
    snprintf(v, sizeof(v), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(r, "verdict")));
    *verdict = v;
    *reused = cJSON_IsTrue(cJSON_GetObjectItem(r, "reused"));
    cJSON_Delete(doc);
}

static void test_one_verdict__verify_and_lockfile_agree_where_the_rebuild_decides(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    const char *verdict = NULL;
    int reused = 0;
    if (!f->usable)
        skip();
    /* defaults: both rebuild dist/index.js and pass */
    assert_int_equal(run(f, "verify", "fixture-build@1.0.0", "--format json", &out), 0);
    assert_non_null(strstr(out, "\"verdict\": \"pass\""));
    free(out);
    assert_int_equal(run(f, "lockfile", f->lockfile, "--format json --no-store", &out), 0);
    lock_release(out, &verdict, &reused);
    assert_string_equal(verdict, "pass");
    free(out);
    /* --rebuild never: both leave it unverified */
    assert_int_equal(run(f, "verify", "fixture-build@1.0.0", "--rebuild never", &out), 3);
    assert_non_null(strstr(out, "dist/index.js"));
    free(out);
    assert_int_equal(
        run(f, "lockfile", f->lockfile, "--format json --no-store --rebuild never", &out), 3);
    lock_release(out, &verdict, &reused);
    assert_string_equal(verdict, "inconclusive");
    free(out);
}

static void test_one_verdict__a_verdict_stored_without_a_rebuild_is_not_reused_by_one(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    const char *verdict = NULL;
    int reused = 0;
    if (!f->usable)
        skip();
    assert_int_equal(run(f, "lockfile", f->lockfile, "--format json --rebuild never", &out), 3);
    lock_release(out, &verdict, &reused);
    assert_string_equal(verdict, "inconclusive");
    assert_false(reused);
    free(out);
    /* the same options reuse it */
    assert_int_equal(run(f, "lockfile", f->lockfile, "--format json --rebuild never", &out), 3);
    lock_release(out, &verdict, &reused);
    assert_string_equal(verdict, "inconclusive");
    assert_true(reused);
    free(out);
    /* a run that would rebuild verifies again and passes */
    assert_int_equal(run(f, "lockfile", f->lockfile, "--format json", &out), 0);
    lock_release(out, &verdict, &reused);
    assert_string_equal(verdict, "pass");
    assert_false(reused);
    free(out);
    assert_int_equal(run(f, "lockfile", f->lockfile, "--format json --rebuild always", &out), 0);
    lock_release(out, &verdict, &reused);
    assert_string_equal(verdict, "pass");
    assert_false(reused);
    free(out);
    assert_int_equal(run(f, "lockfile", f->lockfile, "--format json --rebuild always", &out), 0);
    lock_release(out, &verdict, &reused);
    assert_true(reused);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_verdict__verify_and_lockfile_agree_where_the_rebuild_decides),
        cmocka_unit_test(test_one_verdict__a_verdict_stored_without_a_rebuild_is_not_reused_by_one),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
