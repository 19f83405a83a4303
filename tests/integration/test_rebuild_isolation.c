/*
 * Rebuild isolation, caches (issue 13): no rebuild can change what a later rebuild installs.
 * Everything in ONE sourcegate cache folder, the registry a loopback server (offline):
 * - an attacker repository whose install step runs its own code (a git dependency and a git
 *   program from the repository) marks every folder its environment names and poisons npm's
 *   cache with a packument and tarball of its own (npm itself, against a fake registry it
 *   serves inside the sandbox at the registry's address); then a victim (no lockfile, its build
 *   copies a dependency into dist/) is rebuilt: the attacker's bytes are never reproduced;
 * - the repository's `.npmrc git=` is listed and replaced by the machine's git;
 * - the registry gateway caches a tarball only after it matched the packument's integrity,
 *   and serves a cached one without asking the registry again.
 * The cases skip without node, npm or a working bubblewrap.
 */
#include "sg_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "http_server.h"
#include "verifier/rebuild/rebuild_int.h"

/* The attacker's git: announces itself and runs the attack (the install then fails). */
static const char gitwrap_sh[] = "#!/bin/sh\n"
                                 "echo \"GITWRAP RAN $*\" >&2\n"
                                 "node ./attack.js >&2\n"
                                 "exit 1\n";

/* Mark every folder the environment names (and their parents), then make npm cache a fake
 * packument and tarball of `dep` under the registry's own URL. */
static const char attack_js[] =
    "const fs = require('fs'), path = require('path'), http = require('http');\n"
    "const cp = require('child_process'), crypto = require('crypto');\n"
    "const env = process.env;\n"
    "for (const [k, v] of Object.entries(env)) {\n"
    "  if (typeof v !== 'string' || !v.startsWith('/') || v.includes(':')) continue;\n"
    "  for (const d of [v, path.dirname(v), path.dirname(path.dirname(v))]) {\n"
    "    try { fs.mkdirSync(d, {recursive: true}); } catch (e) {}\n"
    "    try { fs.writeFileSync(path.join(d, 'POISON-' + k), 'x');\n"
    "      console.error('attack: wrote ' + path.join(d, 'POISON-' + k)); } catch (e) {}\n"
    "  }\n"
    "}\n"
    "const reg = env.npm_config_registry, u = new URL(reg);\n"
    "const tgz = fs.readFileSync('evil.tgz');\n"
    "const integrity = 'sha512-' + crypto.createHash('sha512').update(tgz).digest('base64');\n"
    "const pack = JSON.stringify({name: 'dep', 'dist-tags': {latest: '1.0.0'}, versions: {'1.0.0': "
    "{name: 'dep', version: '1.0.0', dist: {tarball: reg + 'dep/-/dep-1.0.0.tgz', integrity}}}});\n"
    "const h = {'cache-control': 'public, max-age=31536000'};\n"
    "const srv = http.createServer((req, res) => {\n"
    "  if (req.url.endsWith('.tgz')) { res.writeHead(200, h); res.end(tgz); }\n"
    "  else { res.writeHead(200, Object.assign({'content-type': 'application/json'}, h));\n"
    "    res.end(pack); }\n"
    "});\n"
    "srv.on('error', (e) => { console.error('attack: ' + e.message); process.exit(1); });\n"
    "srv.listen(0, '127.0.0.1', () => {\n"
    "  const e2 = Object.assign({}, env);\n"
    "  for (const k of Object.keys(e2)) if (/proxy/i.test(k)) delete e2[k];\n"
    "  e2.npm_config_registry = 'http://127.0.0.1:' + srv.address().port + '/';\n"
    "  const c = cp.spawn('npm', ['cache', 'add', 'dep@1.0.0'], {env: e2, stdio: 'inherit'});\n"
    "  c.on('exit', (code) => { console.error('attack: npm cache add exited ' + code);\n"
    "    process.exit(1); });\n"
    "});\n";

#define ATTACKER_PJ                                                                                \
    "{\"name\":\"attacker\",\"version\":\"1.0.0\",\"files\":[\"index.js\"],\n"                     \
    " \"dependencies\":{\"thing\":\"git+https://example.invalid/thing.git\"}}\n"

#define VICTIM_PJ                                                                                  \
    "{\"name\":\"victim\",\"version\":\"1.0.0\",\"files\":[\"dist\"],\n"                           \
    " \"dependencies\":{\"dep\":\"1.0.0\"},\n"                                                     \
    " \"scripts\":{\"build\":\"node build.js\"}}\n"

static const char victim_build_js[] =
    "const fs = require('fs');\n"
    "fs.mkdirSync('dist', {recursive: true});\n"
    "fs.copyFileSync('node_modules/dep/index.js', 'dist/index.js');\n";

#define HONEST_JS "module.exports = 'honest';\n"
#define EVIL_JS "module.exports = 'EVIL: the attacker wrote this';\n"

typedef struct fx {
    sg_ctx *ctx;              /* context */
    int ok;                   /* node, npm and bubblewrap work */
    char bwrap[4096];         /* bubblewrap */
    char *cache;              /* the ONE sourcegate cache folder */
    char *dir;                /* fixtures */
    sg_rebuild_opts ro;       /* rebuild options */
    sg_report *report;        /* the last report */
    sgt_http_server *srv;     /* the registry */
    sgt_http_route routes[2]; /* its packument and tarball of dep */
    char packument[4096];     /* the packument body */
    char integrity[200];      /* what it promises for dep's tarball */
    unsigned char *honest;    /* dep's honest tarball */
    size_t honest_len;        /* its bytes */
    unsigned char *evil;      /* the attacker's dep tarball */
    size_t evil_len;          /* its bytes */
    const char *env[3];       /* extra step environment */
} fx;

static const char *search_path(void)
{
    const char *p = getenv("PATH");
    return p && *p ? p : "/usr/local/bin:/usr/bin:/bin";
}

static void dep_tarball(unsigned char **out, size_t *len, const char *index_js)
{
    const sgt_tar_entry e[] = {
        {"package/package.json", "{\"name\":\"dep\",\"version\":\"1.0.0\"}\n", 0, 0644, '0', NULL},
        {"package/index.js", index_js, 0, 0644, '0', NULL}};
    sgt_tar_build(out, len, e, 2, 1);
}

/* The registry serves dep@1.0.0: a packument promising `promised`, and the tarball `served`. */
static void serve_dep(fx *f, const unsigned char *promised, size_t plen,
                      const unsigned char *served, size_t slen)
{
    sg_buf integ = SG_BUF_INIT;
    assert_int_equal(sg_integrity_sha512(&integ, f->ctx, promised, plen), 0);
    snprintf(f->integrity, sizeof(f->integrity), "%s", integ.ptr);
    snprintf(f->packument, sizeof(f->packument),
             "{\"name\":\"dep\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":"
             "{\"name\":\"dep\",\"version\":\"1.0.0\",\"dist\":{\"tarball\":"
             "\"%sdep/-/dep-1.0.0.tgz\",\"integrity\":\"%s\"}}}}",
             sgt_http_base_url(f->srv), integ.ptr);
    sg_buf_dispose(&integ);
    memset(f->routes, 0, sizeof(f->routes));
    f->routes[0].target = "/dep";
    f->routes[0].headers = "Content-Type: application/json\r\n";
    f->routes[0].body = f->packument;
    f->routes[1].target = "/dep/-/dep-1.0.0.tgz";
    f->routes[1].body = served;
    f->routes[1].body_len = slen;
    sgt_http_set_routes(f->srv, f->routes, 2);
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
        f->ok = 1;
    }
    sg_error_clear(f->ctx);
    sg_buf_dispose(&b);
    f->cache = sgt_tmpdir();
    f->dir = sgt_tmpdir();
    sgt_http_start_routes(&f->srv, NULL, 0);
    dep_tarball(&f->honest, &f->honest_len, HONEST_JS);
    dep_tarball(&f->evil, &f->evil_len, EVIL_JS);
    serve_dep(f, f->honest, f->honest_len, f->honest, f->honest_len);
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
    sgt_http_stop(f->srv);
    sg_report_free(f->report);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->cache);
    sgt_rm_rf(f->dir);
    free(f->honest);
    free(f->evil);
    free(f);
    return 0;
}

#define NEED_SANDBOX(f)                                                                            \
    do {                                                                                           \
        if (!(f)->ok)                                                                              \
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

/* Commit a repository `name` with files, pack an artifact with art, and verify it with a
 * rebuild. The verify's return code (the report in f->report when 0). */
static int verify(fx *f, const char *name, const sgt_file *files, size_t nfiles,
                  const sgt_tar_entry *art, size_t nart)
{
    char repo[4096], tgz[4096];
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    int error;

    snprintf(repo, sizeof(repo), "%s/%s", f->dir, name);
    snprintf(tgz, sizeof(tgz), "%s/%s-1.0.0.tgz", f->dir, name);
    sgt_rm_rf(repo);
    sgt_git_init(repo, 0);
    sgt_git_commit(NULL, repo, NULL, files, nfiles, "fixture", 0);
    sgt_tar_write(tgz, art, nart);
    o.tarball_path = tgz;
    o.source = repo;
    o.rebuild = &f->ro;
    sg_report_free(f->report);
    f->report = NULL;
    error = sg_verify_local(&f->report, f->ctx, &o);
    if (error == 0)
        print_report(f->report);
    else
        printf("# %s: error: %s\n", name, sg_error_message(f->ctx));
    sg_error_clear(f->ctx);
    return error;
}

/* The attacker's rebuild: its install step runs gitwrap.sh when `npmrc_git` is set through its
 * .npmrc, else only when the step's environment names it (f->env). Returns its rebuild log. */
static char *rebuild_attacker(fx *f, int npmrc_git)
{
    const sgt_file files[] = {{"package.json", ATTACKER_PJ, 0, 0},
                              {"index.js", "module.exports = 1;\n", 0, 0},
                              {"gitwrap.sh", gitwrap_sh, 0, 0755},
                              {"attack.js", attack_js, 0, 0},
                              {"evil.tgz", (const char *)f->evil, f->evil_len, 0},
                              {".npmrc", "git=./gitwrap.sh\n", 0, 0}};
    const sgt_tar_entry art[] = {{"package/package.json", ATTACKER_PJ, 0, 0644, '0', NULL},
                                 {"package/index.js", "module.exports = 1;\n", 0, 0644, '0', NULL}};
    const char *log;
    char *text = NULL;

    (void)verify(f, "attacker", files, npmrc_git ? 6 : 5, art, 2);
    if (f->report && (log = sg_report_get(f->report, SG_REPORT_REBUILD_LOG)) && *log)
        text = sgt_read_file(log, NULL);
    return text ? text : strdup("");
}

/* The victim: no lockfile, its build copies dep's index.js into dist/; the artifact's
 * dist/index.js is `dist_js`. Returns the verdict (-1 on an operational error). */
static int rebuild_victim(fx *f, const char *dist_js)
{
    const sgt_file files[] = {{"package.json", VICTIM_PJ, 0, 0},
                              {"build.js", victim_build_js, 0, 0},
                              {".gitignore", "dist\nnode_modules\n", 0, 0}};
    const sgt_tar_entry art[] = {{"package/package.json", VICTIM_PJ, 0, 0644, '0', NULL},
                                 {"package/dist/index.js", dist_js, 0, 0644, '0', NULL}};
    if (verify(f, "victim", files, 3, art, 2) < 0)
        return -1;
    return (int)sg_report_verdict(f->report);
}

/* The victim with a package-lock.json naming dep's registry tarball: npm ci. */
static int rebuild_locked_victim(fx *f, char **log)
{
    char lock[2048];
    const char *path;
    const sgt_file files[] = {{"package.json", VICTIM_PJ, 0, 0},
                              {"build.js", victim_build_js, 0, 0},
                              {".gitignore", "dist\nnode_modules\n", 0, 0},
                              {"package-lock.json", lock, 0, 0}};
    const sgt_tar_entry art[] = {{"package/package.json", VICTIM_PJ, 0, 0644, '0', NULL},
                                 {"package/dist/index.js", HONEST_JS, 0, 0644, '0', NULL}};
    snprintf(lock, sizeof(lock),
             "{\"name\":\"victim\",\"version\":\"1.0.0\",\"lockfileVersion\":3,"
             "\"requires\":true,\"packages\":{\"\":{\"name\":\"victim\",\"version\":"
             "\"1.0.0\",\"dependencies\":{\"dep\":\"1.0.0\"}},\"node_modules/dep\":{"
             "\"version\":\"1.0.0\",\"resolved\":\"%sdep/-/dep-1.0.0.tgz\","
             "\"integrity\":\"%s\"}}}\n",
             sgt_http_base_url(f->srv), f->integrity);
    if (verify(f, "locked", files, 4, art, 2) < 0)
        return -1;
    path = sg_report_get(f->report, SG_REPORT_REBUILD_LOG);
    *log = path ? sgt_read_file(path, NULL) : NULL;
    return (int)sg_report_verdict(f->report);
}

/* Files under dir (recursively) whose name starts with prefix. */
static size_t count_named(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    while (d && (de = readdir(d))) {
        char p[4096];
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            printf("# left behind: %s\n", p);
            n++;
        }
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            n += count_named(p, prefix);
    }
    if (d)
        closedir(d);
    return n;
}

/* Files under dir (recursively) whose bytes are exactly data. */
static size_t count_holding(const char *dir, const unsigned char *data, size_t len)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    size_t n = 0;
    while (d && (de = readdir(d))) {
        char p[4096];
        struct stat st;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        if (lstat(p, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            n += count_holding(p, data, len);
        } else if (S_ISREG(st.st_mode) && (size_t)st.st_size == len) {
            size_t got = 0;
            char *bytes = sgt_read_file(p, &got);
            if (got == len && memcmp(bytes, data, len) == 0) {
                printf("# cached: %s\n", p);
                n++;
            }
            free(bytes);
        }
    }
    if (d)
        closedir(d);
    return n;
}

/* After the attack: a victim whose artifact carries the attacker's bytes is never a pass,
 * and one with the registry's honest dependency reproduces and passes. */
static void assert_victim_unpoisoned(fx *f)
{
    assert_int_not_equal(rebuild_victim(f, EVIL_JS), SG_VERDICT_PASS);
    assert_int_equal(rebuild_victim(f, HONEST_JS), SG_VERDICT_PASS);
    assert_string_equal(sg_report_get(f->report, SG_REPORT_REBUILD_STATUS), "reproduced");
}

/* Repository code runs in the install step (here the step's environment names the
 * repository's git, as an unknown way in would): it writes everywhere it can and poisons
 * npm's cache, and none of it reaches sourcegate's cache or the next rebuild. */
static void test_isolation__install_step_code_cannot_poison_a_later_rebuild(void **state)
{
    fx *f = *state;
    char *log;
    NEED_SANDBOX(f);
    f->env[0] = "npm_config_git=./gitwrap.sh";
    f->env[1] = NULL;
    f->ro.env = f->env;
    log = rebuild_attacker(f, 0);
    f->ro.env = NULL;
    assert_non_null(strstr(log, "GITWRAP RAN")); /* the attack did run */
    /* ... and wrote into npm's, yarn's, pnpm's and corepack's caches and HOME (yarn and pnpm
     * themselves attack and are attacked in test_rebuild_isolation_pm.c) */
    assert_non_null(strstr(log, "/POISON-npm_config_cache"));
    assert_non_null(strstr(log, "/yarn/POISON-YARN_CACHE_FOLDER"));
    assert_non_null(strstr(log, "/pnpm-store/POISON-npm_config_store_dir"));
    assert_non_null(strstr(log, "/POISON-COREPACK_HOME"));
    assert_non_null(strstr(log, "/POISON-HOME"));
    /* ... and put its dep tarball into npm's cache of that rebuild */
    assert_non_null(strstr(log, "attack: npm cache add exited 0"));
    free(log);
    assert_victim_unpoisoned(f);
    assert_int_equal(count_named(f->cache, "POISON"), 0);
    assert_int_equal(count_holding(f->cache, f->evil, f->evil_len), 0);
}

/* The same attack through the repository's own .npmrc: listed in the steps, and the
 * machine's git runs instead of the repository's. */
static void test_isolation__npmrc_git_is_listed_and_replaced(void **state)
{
    fx *f = *state;
    char *log;
    size_t i;
    int listed = 0;
    NEED_SANDBOX(f);
    log = rebuild_attacker(f, 1);
    assert_null(strstr(log, "GITWRAP RAN"));
    free(log);
    assert_non_null(f->report);
    for (i = 0; i < sg_report_list_count(f->report, SG_LIST_REBUILD); i++) {
        const char *l = sg_report_list_get(f->report, SG_LIST_REBUILD, i);
        if (strstr(l, "config: .npmrc sets git=./gitwrap.sh: replaced by "))
            listed = 1;
    }
    assert_true(listed);
    assert_victim_unpoisoned(f);
    assert_int_equal(count_named(f->cache, "POISON"), 0);
}

/* Requests the registry got for target. */
static size_t requests_for(fx *f, const char *target)
{
    size_t i, n = 0;
    for (i = 0; i < sgt_http_request_count(f->srv); i++) {
        sgt_http_request q;
        sgt_http_request_get(f->srv, i, &q);
        if (strcmp(q.target, target) == 0)
            n++;
    }
    return n;
}

/* A checked tarball is served from sourcegate's cache on the next rebuild: the registry is
 * not asked for it again. */
static void test_isolation__gateway_serves_a_checked_tarball_from_the_cache(void **state)
{
    fx *f = *state;
    NEED_SANDBOX(f);
    assert_int_equal(rebuild_victim(f, HONEST_JS), SG_VERDICT_PASS);
    assert_int_equal(requests_for(f, "/dep/-/dep-1.0.0.tgz"), 1);
    assert_int_equal(rebuild_victim(f, HONEST_JS), SG_VERDICT_PASS);
    assert_int_equal(requests_for(f, "/dep/-/dep-1.0.0.tgz"), 1);
    assert_true(requests_for(f, "/dep") >= 2); /* packuments pass through */
}

/* With a lockfile, npm ci finds the tarballs sourcegate checked in its own cache (copies in
 * the rebuild's npm cache): the second rebuild asks the registry for nothing. */
static void test_isolation__lockfile_tarballs_are_given_from_the_checked_cache(void **state)
{
    fx *f = *state;
    char *log = NULL;
    const char *gw;
    NEED_SANDBOX(f);
    assert_int_equal(rebuild_locked_victim(f, &log), SG_VERDICT_PASS);
    free(log);
    assert_int_equal(requests_for(f, "/dep/-/dep-1.0.0.tgz"), 1);
    assert_int_equal(rebuild_locked_victim(f, &log), SG_VERDICT_PASS);
    assert_non_null(log);
    assert_non_null(strstr(log, "npm's cache: 1 tarballs of the lockfile copied from sourcegate"));
    /* npm read the copy: it did not even ask the gateway for the tarball */
    gw = strstr(log, "== gateway:");
    if (gw)
        assert_non_null(strstr(gw, ", 0 tarballs from the cache"));
    free(log);
    assert_int_equal(requests_for(f, "/dep/-/dep-1.0.0.tgz"), 1);
}

/* A tarball whose bytes are not what the packument promises is neither installed nor cached:
 * the rebuild ends in an operational error, never a verdict. */
static void test_isolation__gateway_refuses_and_never_caches_a_mismatched_tarball(void **state)
{
    fx *f = *state;
    char path[4096];
    NEED_SANDBOX(f);
    serve_dep(f, f->honest, f->honest_len, f->evil, f->evil_len);
    assert_int_equal(rebuild_victim(f, EVIL_JS), -1);
    assert_int_equal(count_holding(f->cache, f->evil, f->evil_len), 0);
    /* no index entry was written for it */
    snprintf(path, sizeof(path), "%s/rebuild/gateway", f->cache);
    assert_int_equal(access(path, F_OK) == 0 ? count_named(path, "") : 0, 0);
    /* the honest bytes later are fetched again, checked, and pass */
    serve_dep(f, f->honest, f->honest_len, f->honest, f->honest_len);
    assert_int_equal(rebuild_victim(f, HONEST_JS), SG_VERDICT_PASS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_isolation__install_step_code_cannot_poison_a_later_rebuild, setup, teardown),
        cmocka_unit_test_setup_teardown(test_isolation__npmrc_git_is_listed_and_replaced, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_isolation__gateway_serves_a_checked_tarball_from_the_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_isolation__gateway_refuses_and_never_caches_a_mismatched_tarball, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_isolation__lockfile_tarballs_are_given_from_the_checked_cache, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
