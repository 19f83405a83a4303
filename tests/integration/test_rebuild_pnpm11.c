/*
 * pnpm 11 in a rebuild (issue 15; verifier/rebuild/rebuild_run.c, registry_gateway.c).
 * pnpm 11 reads its settings from pnpm_config_* only (npm_config_registry no longer reaches
 * it), re-checks every lockfile entry against the repository's minimumReleaseAge and
 * trustPolicy (fetching the packument of every platform's optional package, the ones it will not
 * install included), and says "No authorization header was set for the request" when the
 * registry answers 404. pnpm is faked by a stand-in that behaves that way (offline: a loopback
 * registry behind the real gateway, the real sandbox); the cases skip without node, npm and a
 * working bubblewrap.
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

typedef struct fx {
    sg_ctx *ctx;        /* context */
    int ready;          /* node, npm and a working bubblewrap */
    char bwrap[4096];   /* bubblewrap */
    char *cache;        /* the cache folder */
    char *tools;        /* node, the fake corepack and pnpm */
    sg_rebuild_opts ro; /* rebuild options */
} fx;

static const char *search_path(void)
{
    const char *p = getenv("PATH");
    return p && *p ? p : "/usr/local/bin:/usr/bin:/bin";
}

/* A stand-in for corepack running pnpm 11: its registry is pnpm_config_registry (else the public
 * registry, which the sandbox cannot reach); unless pnpm_config_trust_lockfile is true it first
 * fetches the packument of every lockfile entry, other platforms' included, as pnpm 11's
 * supply-chain check does; then the entries for this platform; a 404 is reported in pnpm's own
 * words. `run NAME` runs the script; `pack --pack-destination D` packs with npm. */
static const char fake_pnpm[] =
    "'use strict';\n"
    "const http = require('http'), fs = require('fs'), cp = require('child_process');\n"
    "const args = process.argv.slice(3), env = process.env;\n"
    "const reg = env.pnpm_config_registry || 'https://registry.npmjs.org/';\n"
    "function get(name, next, optional) {\n"
    "  const url = reg + name.replace('/', '%2F');\n"
    "  const fail = (why) => { console.log(`[ERR_PNPM_META_FETCH_FAIL] GET ${url}: ${why}`);\n"
    "    process.exit(1); };\n"
    "  if (!url.startsWith('http://')) fail('fetch failed');\n"
    "  http.get(url, (res) => {\n"
    "    res.resume();\n"
    "    res.on('end', () => {\n"
    "      if (res.statusCode === 404 && optional) return next();\n"
    "      if (res.statusCode === 404) {\n"
    "        console.log(`[ERR_PNPM_FETCH_404] GET ${url}: Not Found - 404\\n\\n${name} is not in "
    "the npm registry, or you have no permission to fetch it.\\n\\nNo authorization header was "
    "set for the request.`);\n"
    "        process.exit(1);\n"
    "      }\n"
    "      if (res.statusCode !== 200) fail(`status ${res.statusCode}`);\n"
    "      next();\n"
    "    });\n"
    "  }).on('error', (e) => fail(e.message));\n"
    "}\n"
    "function each(names, done) {\n"
    "  if (!names.length) return done();\n"
    "  const [name, block] = names[0], next = () => each(names.slice(1), done);\n"
    "  const elsewhere = /tarball: (\\S+)\\}/.exec(block || '');\n"
    "  if (elsewhere) {\n"
    "    console.log(`[ERR_PNPM_FETCH_404] GET ${elsewhere[1]}: Not Found - 404`);\n"
    "    process.exit(1);\n"
    "  }\n"
    "  get(name, next, /optional: true/.test(block || ''));\n"
    "}\n"
    "if (args[0] === 'install') {\n"
    "  const all = [], here = [];\n"
    "  for (const block of fs.readFileSync('pnpm-lock.yaml', 'utf8').split('\\n\\n')) {\n"
    "    const m = /^  '?(@?[^@'\\s]+)@[^:]+'?:/.exec(block);\n"
    "    if (!m) continue;\n"
    "    all.push([m[1]]);\n"
    "    if (!/os: \\[(?!linux)/.test(block)) here.push([m[1], block]);\n"
    "  }\n"
    "  const install = () => each(here, () => console.log('fake pnpm: installed'));\n"
    "  if (env.pnpm_config_trust_lockfile === 'true') install();\n"
    "  else each(all, install);\n"
    "} else if (args[0] === 'run') {\n"
    "  const s = require(process.cwd() + '/package.json').scripts[args[1]];\n"
    "  cp.execFileSync('/bin/sh', ['-c', s], {stdio: 'inherit'});\n"
    "} else if (args[0] === 'pack') {\n"
    "  cp.execFileSync('npm', ['pack', '--pack-destination', args[2]], {stdio: 'inherit'});\n"
    "} else {\n"
    "  process.exit(2);\n"
    "}\n";

static const char fake_corepack[] = "#!/bin/sh\n"
                                    "exec node \"$(dirname \"$0\")/fake-pnpm.js\" \"$@\"\n";

static const char build_js[] = "const fs = require('fs');\n"
                               "fs.mkdirSync('dist', {recursive: true});\n"
                               "fs.writeFileSync('dist/index.js', 'module.exports = 1;\\n');\n";

#define PJ                                                                                         \
    "{\"name\": \"uses-pnpm\", \"version\": \"1.0.0\", \"main\": \"dist/index.js\",\n"             \
    " \"files\": [\"dist\"], \"packageManager\": \"pnpm@11.0.0\",\n"                               \
    " \"scripts\": {\"build\": \"node build.js\"}}\n"

/* an integrity of the right shape (nothing is downloaded: corepack and pnpm are faked) */
#define INTEG                                                                                      \
    "sha512-"                                                                                      \
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="

/* dep for every platform, dep-darwin for macOS only (the registry lacks it, as a mirror may) */
#define LOCK_PLATFORMS                                                                             \
    "lockfileVersion: '9.0'\n\npackages:\n\n"                                                      \
    "  dep@1.0.0:\n    resolution: {integrity: " INTEG "}\n\n"                                     \
    "  dep-darwin@1.0.0:\n    resolution: {integrity: " INTEG "}\n    os: [darwin]\n\n"

/* the registry lacks opt-gone, an optional dependency pnpm gets past; other's tarball is at
 * another host, which answers 404 */
#define LOCK_ELSEWHERE                                                                             \
    "lockfileVersion: '9.0'\n\npackages:\n\n"                                                      \
    "  opt-gone@1.0.0:\n    resolution: {integrity: " INTEG "}\n    optional: true\n\n"            \
    "  other@1.0.0:\n    resolution: {tarball: https://codeload.example/other.tgz}\n\n"

/* gone is needed on every platform and the registry lacks it */
#define LOCK_GONE                                                                                  \
    "lockfileVersion: '9.0'\n\npackages:\n\n"                                                      \
    "  dep@1.0.0:\n    resolution: {integrity: " INTEG "}\n\n"                                     \
    "  '@scope/gone@1.0.0':\n    resolution: {integrity: " INTEG "}\n\n"

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    sg_buf b = SG_BUF_INIT;
    char path[4300], shim[4400];
    char *real = NULL;

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
    f->tools = sgt_tmpdir();
    f->ro = (sg_rebuild_opts)SG_REBUILD_OPTS_INIT;
    f->ro.mode = SG_REBUILD_ALWAYS;
    f->ro.search_path = search_path();
    f->ro.bwrap = f->bwrap[0] ? f->bwrap : NULL;
    f->ro.cache_dir = f->cache;
    f->ro.timeout_seconds = 120;
    if (f->ready) { /* a node of its own folder, so that the fake corepack is found beside it */
        assert_int_equal(chmod(f->tools, 0755), 0); /* the sandbox's uid reads it */
        snprintf(path, sizeof(path), "%.4000s/bin", f->tools);
        assert_int_equal(mkdir(path, 0755), 0);
        assert_int_equal(sgt_run("command -v node", &real, NULL), 0);
        real[strcspn(real, "\n")] = '\0';
        snprintf(shim, sizeof(shim), "#!/bin/sh\nexec '%.4000s' \"$@\"\n", real);
        free(real);
        snprintf(path, sizeof(path), "%.4000s/bin/node", f->tools);
        sgt_write_file(path, shim, strlen(shim), 0755);
        snprintf(path, sizeof(path), "%.4000s/bin/corepack", f->tools);
        sgt_write_file(path, fake_corepack, strlen(fake_corepack), 0755);
        snprintf(path, sizeof(path), "%.4000s/bin/fake-pnpm.js", f->tools);
        sgt_write_file(path, fake_pnpm, strlen(fake_pnpm), 0644);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->cache);
    sgt_rm_rf(f->tools);
    free(f);
    return 0;
}

#define NEED_SANDBOX(f)                                                                            \
    do {                                                                                           \
        if (!(f)->ready)                                                                           \
            skip();                                                                                \
    } while (0)

/* The loopback registry: pnpm's packument (sourcegate checks the pinned pnpm before corepack
 * runs it) and dep's; anything else is a 404. */
typedef struct reg {
    sgt_http_server *srv;     /* the server */
    sgt_http_route routes[2]; /* its routes */
    char pnpm[1024];          /* pnpm's packument */
} reg;

static void start_registry(reg *g)
{
    memset(g, 0, sizeof(*g));
    sgt_http_start_routes(&g->srv, NULL, 0);
    snprintf(g->pnpm, sizeof(g->pnpm),
             "{\"name\":\"pnpm\",\"dist-tags\":{\"latest\":\"11.0.0\"},\"versions\":{\"11.0.0\":"
             "{\"name\":\"pnpm\",\"version\":\"11.0.0\",\"dist\":{\"tarball\":"
             "\"%spnpm/-/pnpm-11.0.0.tgz\",\"integrity\":\"" INTEG "\"}}}}",
             sgt_http_base_url(g->srv));
    g->routes[0].target = "/pnpm";
    g->routes[0].headers = "Content-Type: application/json\r\n";
    g->routes[0].body = g->pnpm;
    g->routes[1].target = "/dep";
    g->routes[1].headers = "Content-Type: application/json\r\n";
    g->routes[1].body = "{\"name\":\"dep\",\"versions\":{}}";
    sgt_http_set_routes(g->srv, g->routes, 2);
}

/* 1 when the registry was asked for target. */
static int asked(reg *g, const char *target)
{
    sgt_http_request q;
    size_t i, n = sgt_http_request_count(g->srv);
    for (i = 0; i < n; i++) {
        sgt_http_request_get(g->srv, i, &q);
        if (strcmp(q.target, target) == 0)
            return 1;
    }
    return 0;
}

/* Rebuild the fixture whose pnpm-lock.yaml is lock against the loopback registry g. */
static void rebuild(fx *f, sg_rebuild_result *res, reg *g, const char *lock)
{
    char node[4200];
    const sgt_file files[] = {{"package.json", PJ, 0, 0},
                              {"build.js", build_js, 0, 0},
                              {".gitignore", "dist\nnode_modules\n", 0, 0},
                              {"pnpm-lock.yaml", lock, 0, 0}};
    sg_tree *root = sgt_tree(files, 4);
    sg_rebuild_input in;
    size_t i;

    snprintf(node, sizeof(node), "%.4000s/bin/node", f->tools);
    f->ro.node = node;
    f->ro.registry = sgt_http_base_url(g->srv);
    memset(&in, 0, sizeof(in));
    in.root = root;
    in.subdir = "";
    in.name = "uses-pnpm";
    in.version = "1.0.0";
    in.commit = "0123456789abcdef0123456789abcdef01234567";
    assert_int_equal(sg_rebuild__run(res, f->ctx, &f->ro, &in), 0);
    for (i = 0; i < res->nsteps; i++)
        printf("    %s\n", res->steps[i]);
    printf("# rebuild: %s (log %s)\n", res->reason, res->log);
    sg_tree_free(root);
    f->ro.node = NULL;
    f->ro.registry = NULL;
}

/* pnpm 11 installs from the gateway (pnpm_config_registry) and does not re-check the release's
 * lockfile against today's registry: the macOS-only package the registry lacks, which pnpm
 * would not install here, does not fail the rebuild. */
static void test_pnpm11__installs_through_the_gateway_from_the_lockfile(void **state)
{
    fx *f = *state;
    sg_rebuild_result res = SG_REBUILD_RESULT_INIT;
    reg g;
    NEED_SANDBOX(f);
    start_registry(&g);
    rebuild(f, &res, &g, LOCK_PLATFORMS);
    assert_int_equal(res.status, SG_REBUILD_BUILT);
    assert_non_null(sg_tree_find(res.tree, "dist/index.js"));
    assert_true(asked(&g, "/dep"));         /* through the gateway, from the registry */
    assert_false(asked(&g, "/dep-darwin")); /* another platform's, never needed */
    sg_rebuild__result_dispose(&res);
    sgt_http_stop(g.srv);
}

/* A package the registry lacks ends the install with a reason that names it and the registry,
 * not pnpm's "No authorization header was set for the request"; the registry answered, so it is
 * a failed rebuild (the files stay unverified), not an operational error. */
static void test_pnpm11__a_package_the_registry_lacks_is_named(void **state)
{
    fx *f = *state;
    sg_rebuild_result res = SG_REBUILD_RESULT_INIT;
    char want[512];
    reg g;
    NEED_SANDBOX(f);
    start_registry(&g);
    rebuild(f, &res, &g, LOCK_GONE);
    assert_int_equal(res.status, SG_REBUILD_FAILED);
    snprintf(want, sizeof(want),
             "install failure (exit status 1): the registry has no package '@scope/gone' "
             "(%s@scope%%2Fgone answered 404), which the install needs",
             sgt_http_base_url(g.srv));
    assert_string_equal(res.reason, want);
    assert_null(strstr(res.reason, "authorization"));
    sg_rebuild__result_dispose(&res);
    sgt_http_stop(g.srv);
}

/* A 404 the install got past (an optional package the registry lacks) is not blamed for a
 * failure that another 404 caused: the reason is the tool's own line. */
static void test_pnpm11__a_tolerated_404_is_not_blamed(void **state)
{
    fx *f = *state;
    sg_rebuild_result res = SG_REBUILD_RESULT_INIT;
    reg g;
    NEED_SANDBOX(f);
    start_registry(&g);
    rebuild(f, &res, &g, LOCK_ELSEWHERE);
    assert_int_equal(res.status, SG_REBUILD_FAILED);
    assert_true(asked(&g, "/opt-gone"));
    assert_string_equal(res.reason, "install failure (exit status 1): [ERR_PNPM_FETCH_404] GET "
                                    "https://codeload.example/other.tgz: Not Found - 404");
    sg_rebuild__result_dispose(&res);
    sgt_http_stop(g.srv);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_pnpm11__installs_through_the_gateway_from_the_lockfile),
        T(test_pnpm11__a_package_the_registry_lacks_is_named),
        T(test_pnpm11__a_tolerated_404_is_not_blamed),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
