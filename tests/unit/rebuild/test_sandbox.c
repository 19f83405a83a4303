/*
 * Tests of the rebuild's sandbox (verifier/rebuild/sandbox.c, sandbox_proxy.c and
 * sandbox_cgroup.c): the build cannot reach the network, cannot read files planted in $HOME or
 * the cache, cannot write outside its tree, is killed with its whole process tree at the time
 * limit, and the install step's proxy reaches the allowed host only. Skipped when bubblewrap
 * cannot make a sandbox here (and node for the network tests).
 */
#include "sg_test.h"
#include "http_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "verifier/rebuild/rebuild_int.h"

typedef struct fx {
    sg_ctx *ctx;      /* context */
    char bwrap[4096]; /* bubblewrap, "" when it cannot run here */
    char node[4096];  /* node, "" when absent */
    char *dir;        /* scratch: tree/, outside/, net/ */
    char tree[4096];  /* the only writable bind */
    char net[4096];   /* proxy scratch folder */
    sg_buf out;       /* output of the last run */
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
    char sub[4200];
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    if (sg_sandbox__which(&b, f->ctx, "bwrap", search_path()) == 0 &&
        sg_sandbox__probe(f->ctx, b.ptr) == 0)
        snprintf(f->bwrap, sizeof(f->bwrap), "%s", b.ptr);
    else
        fprintf(stderr, "# no sandbox here: %s\n", sg_error_message(f->ctx));
    sg_error_clear(f->ctx);
    if (sg_sandbox__which(&b, f->ctx, "node", search_path()) == 0)
        snprintf(f->node, sizeof(f->node), "%s", b.ptr);
    sg_error_clear(f->ctx);
    sg_buf_dispose(&b);
    f->dir = sgt_tmpdir();
    snprintf(f->tree, sizeof(f->tree), "%s/tree", f->dir);
    snprintf(f->net, sizeof(f->net), "%s/net", f->dir);
    assert_int_equal(mkdir(f->tree, 0700), 0);
    assert_int_equal(mkdir(f->net, 0700), 0);
    snprintf(sub, sizeof(sub), "%s/outside", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    sg_buf_init(&f->out, 1u << 20);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_buf_dispose(&f->out);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->dir);
    free(f);
    return 0;
}

#define NEED_SANDBOX(f)                                                                            \
    do {                                                                                           \
        if (!(f)->bwrap[0])                                                                        \
            skip();                                                                                \
    } while (0)

#define NEED_NODE(f)                                                                               \
    do {                                                                                           \
        if (!(f)->node[0])                                                                         \
            skip();                                                                                \
    } while (0)

/* Run `script` with /bin/sh in the sandbox, the tree bound writable. */
static void run_sh(fx *f, sg_sandbox_result *res, const char *script, sg_sandbox_net net,
                   const char *const *allow, size_t nallow, uint64_t timeout_ms)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    char path_env[4200], home_env[4200];
    const char *env[] = {path_env, home_env, "LANG=C", NULL};
    sg_sandbox_bind bind = {f->tree, SG_SANDBOX_RW};
    sg_sandbox_spec spec;

    snprintf(path_env, sizeof(path_env), "PATH=/usr/local/bin:/usr/bin:/bin");
    snprintf(home_env, sizeof(home_env), "HOME=%s", f->tree);
    memset(&spec, 0, sizeof(spec));
    spec.bwrap = f->bwrap;
    spec.argv = argv;
    spec.env = env;
    spec.cwd = f->tree;
    spec.binds = &bind;
    spec.nbinds = 1;
    spec.net = net;
    spec.allow = allow;
    spec.nallow = nallow;
    spec.node = f->node;
    spec.scratch = f->net;
    spec.timeout_ms = timeout_ms;
    spec.memory_bytes = 2048ull << 20;
    spec.max_processes = 256;
    spec.output = &f->out;
    sg_buf_clear(&f->out);
    assert_int_equal(sg_sandbox__run(res, f->ctx, &spec), 0);
}

static int file_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_sandbox__runs_a_command_and_captures_its_output(void **state)
{
    fx *f = *state;
    sg_sandbox_result res;
    NEED_SANDBOX(f);
    run_sh(f, &res, "echo hello from $(id -u); echo to stderr >&2; exit 3", SG_SANDBOX_NET_NONE,
           NULL, 0, 20000);
    assert_true(res.exited);
    assert_int_equal(res.status, 3);
    assert_non_null(strstr(f->out.ptr, "hello from 1000"));
    assert_non_null(strstr(f->out.ptr, "to stderr"));
    printf("# limits: %s; %llu ms\n", res.limits, (unsigned long long)res.elapsed_ms);
}

static char *read_text(const char *path)
{
    FILE *fp = fopen(path, "r");
    char *buf = calloc(1, 8192);
    assert_non_null(buf);
    if (fp) {
        size_t n = fread(buf, 1, 8191, fp);
        buf[n] = '\0';
        fclose(fp);
    }
    return buf;
}

/* Regression: a pid once went into cgroup.procs one digit per write(), which moved pid 1 (and
 * other single-digit pids) into the build's cgroup. Nothing but our child may move, and the
 * cgroups made for a run are gone when it ends. */
static void test_sandbox__limits_touch_no_other_process_and_leave_no_cgroup(void **state)
{
    fx *f = *state;
    char *before = read_text("/proc/1/cgroup"), *self_before = read_text("/proc/self/cgroup");
    char *after, *self_after, prefix[64];
    sg_sandbox_result res;
    const char *roots[] = {"/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"};
    size_t i;

    NEED_SANDBOX(f);
    run_sh(f, &res, "exit 0", SG_SANDBOX_NET_NONE, NULL, 0, 20000);
    assert_true(res.exited);
    after = read_text("/proc/1/cgroup");
    self_after = read_text("/proc/self/cgroup");
    assert_string_equal(before, after);
    assert_string_equal(self_before, self_after);
    snprintf(prefix, sizeof(prefix), "sourcegate-rebuild-%ld-", (long)getpid());
    for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
        char cmd[512], *out = NULL;
        snprintf(cmd, sizeof(cmd), "find %s -maxdepth 4 -name '%s*' 2>/dev/null", roots[i], prefix);
        sgt_run(cmd, &out, NULL);
        assert_string_equal(out, "");
        free(out);
    }
    free(before);
    free(after);
    free(self_before);
    free(self_after);
}

/* The empty cgroup a crashed run left behind goes away at the next run; a live one stays. */
static void test_sandbox__collects_cgroups_of_dead_runs(void **state)
{
    fx *f = *state;
    char stale[512], live[512], own_path[256] = "", *own = read_text("/proc/self/cgroup"), *line;
    const char *base;
    sg_sandbox_result res;
    pid_t dead;
    struct stat st;

    NEED_SANDBOX(f);
    if ((line = strstr(own, ":pids:")) != NULL)
        snprintf(own_path, sizeof(own_path), "%.*s", (int)strcspn(line + 6, "\n"), line + 6);
    free(own);
    if (!own_path[0] || stat("/sys/fs/cgroup/pids/cgroup.procs", &st) < 0)
        skip();
    base = strcmp(own_path, "/") == 0 ? "" : own_path;
    if ((dead = fork()) == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    snprintf(stale, sizeof(stale), "/sys/fs/cgroup/pids%s/sourcegate-rebuild-%ld-9", base,
             (long)dead);
    snprintf(live, sizeof(live), "/sys/fs/cgroup/pids%s/sourcegate-rebuild-%ld-99", base,
             (long)getpid());
    if (mkdir(stale, 0700) < 0)
        skip(); /* not writable here */
    assert_int_equal(mkdir(live, 0700), 0);
    run_sh(f, &res, "exit 0", SG_SANDBOX_NET_NONE, NULL, 0, 20000);
    assert_false(file_exists(stale));
    assert_true(file_exists(live));
    assert_int_equal(rmdir(live), 0);
}

static void test_sandbox__build_cannot_reach_the_network(void **state)
{
    fx *f = *state;
    sgt_http_server *srv = NULL;
    sgt_http_route route = {NULL, "/", 0, 200, NULL, "reachable", 0, SGT_HTTP_NORMAL,
                            0,    0,   0, NULL};
    sg_sandbox_result res;
    char script[8192];
    int port;

    NEED_SANDBOX(f);
    NEED_NODE(f);
    port = sgt_http_start_routes(&srv, &route, 1);
    /* The host's loopback server is one connect away outside; inside there is no route. */
    snprintf(script, sizeof(script),
             "%s -e \"require('http').get('http://127.0.0.1:%d/', r => { console.log('GOT', "
             "r.statusCode); }).on('error', e => { console.log('ERR', e.code); "
             "process.exit(7); })\"",
             f->node, port);
    run_sh(f, &res, script, SG_SANDBOX_NET_NONE, NULL, 0, 20000);
    sgt_http_stop(srv);
    assert_true(res.exited);
    assert_int_equal(res.status, 7);
    assert_non_null(strstr(f->out.ptr, "ERR ECONNREFUSED"));
    assert_null(strstr(f->out.ptr, "GOT"));
}

static void test_sandbox__cannot_read_files_in_home_or_the_cache(void **state)
{
    fx *f = *state;
    const char *home = getenv("HOME");
    char canary_home[4200], canary_cache[8400], cache_dir[4300], script[32768];
    sg_sandbox_result res;
    struct stat st;

    NEED_SANDBOX(f);
    if (!home || !*home || stat(home, &st) < 0 || !S_ISDIR(st.st_mode))
        skip();
    snprintf(canary_home, sizeof(canary_home), "%s/.sourcegate-canary-%ld", home, (long)getpid());
    snprintf(cache_dir, sizeof(cache_dir), "%s/outside/cache/tarballs", f->dir);
    snprintf(canary_cache, sizeof(canary_cache), "%s/secret.tgz", cache_dir);
    sgt_write_file(canary_home, "npm-token-in-home", 17, 0600);
    sgt_write_file(canary_cache, "tarball-in-cache", 16, 0600);
    snprintf(script, sizeof(script),
             "cat '%s'; cat '%s'; ls '%s'; cat ~/.npmrc /root/.ssh/id_rsa 2>&1; "
             "test -e '%s' && echo HOME-VISIBLE; exit 0",
             canary_home, canary_cache, cache_dir, home);
    run_sh(f, &res, script, SG_SANDBOX_NET_NONE, NULL, 0, 20000);
    unlink(canary_home);
    assert_true(res.exited);
    assert_null(strstr(f->out.ptr, "npm-token-in-home"));
    assert_null(strstr(f->out.ptr, "tarball-in-cache"));
    assert_non_null(strstr(f->out.ptr, "cannot access")); /* ls of the cache folder */
    if (strncmp(home, f->tree, strlen(home)) != 0) /* unless HOME is an ancestor of the tree */
        assert_null(strstr(f->out.ptr, "HOME-VISIBLE"));
}

static void test_sandbox__cannot_write_outside_its_tree(void **state)
{
    fx *f = *state;
    char script[32768], inside[4200], outside[4200], host_tmp[4200];
    sg_sandbox_result res;

    NEED_SANDBOX(f);
    snprintf(inside, sizeof(inside), "%s/made-inside", f->tree);
    snprintf(outside, sizeof(outside), "%s/outside/made-outside", f->dir);
    snprintf(host_tmp, sizeof(host_tmp), "/tmp/sourcegate-sandbox-escape-%ld", (long)getpid());
    snprintf(script, sizeof(script),
             "echo ok > '%s'; echo bad > '%s'; echo bad > '%s'; echo bad > /usr/escape; "
             "echo bad > /etc/escape; mkdir -p '%s/outside' && echo bad > '%s'; exit 0",
             inside, outside, host_tmp, f->dir, outside);
    run_sh(f, &res, script, SG_SANDBOX_NET_NONE, NULL, 0, 20000);
    assert_true(res.exited);
    assert_true(file_exists(inside));
    assert_false(file_exists(outside));
    assert_false(file_exists(host_tmp));
    assert_false(file_exists("/usr/escape"));
    assert_false(file_exists("/etc/escape"));
}

static void test_sandbox__is_killed_with_its_children_at_the_time_limit(void **state)
{
    fx *f = *state;
    char script[32768], late[4200];
    sg_sandbox_result res;

    NEED_SANDBOX(f);
    snprintf(late, sizeof(late), "%s/late", f->tree);
    snprintf(script, sizeof(script), "(sleep 1; echo late > '%s') & echo started; sleep 60", late);
    run_sh(f, &res, script, SG_SANDBOX_NET_NONE, NULL, 0, 800);
    printf("# killed after %llu ms (limit 800)\n", (unsigned long long)res.elapsed_ms);
    assert_true(res.timed_out);
    assert_false(res.exited);
    assert_non_null(strstr(f->out.ptr, "started"));
    usleep(1800000); /* the background child would have written by now */
    assert_false(file_exists(late));
}

static void test_sandbox__unsafe_mode_kills_the_process_group_too(void **state)
{
    fx *f = *state;
    char script[32768], late[4200];
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    const char *env[] = {"PATH=/usr/bin:/bin", NULL};
    sg_sandbox_spec spec;
    sg_sandbox_result res;

    snprintf(late, sizeof(late), "%s/late-unsafe", f->tree);
    snprintf(script, sizeof(script), "(sleep 1; echo late > '%s') & sleep 60", late);
    memset(&spec, 0, sizeof(spec));
    spec.unsafe = 1;
    spec.argv = argv;
    spec.env = env;
    spec.cwd = f->tree;
    spec.timeout_ms = 500;
    spec.output = &f->out;
    assert_int_equal(sg_sandbox__run(&res, f->ctx, &spec), 0);
    assert_true(res.timed_out);
    usleep(1800000);
    assert_false(file_exists(late));
}

static void test_sandbox__memory_limit_stops_a_hungry_build(void **state)
{
    fx *f = *state;
    char script[32768];
    sg_sandbox_result res;
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    const char *env[] = {"PATH=/usr/bin:/bin", NULL};
    sg_sandbox_bind bind = {f->tree, SG_SANDBOX_RW};
    sg_sandbox_spec spec;

    NEED_SANDBOX(f);
    NEED_NODE(f);
    snprintf(script, sizeof(script),
             "%s -e \"const a = []; for (let i = 0; i < 64; i++) a.push(Buffer.alloc(64 << 20, "
             "1)); console.log('ALLOCATED', a.length)\"",
             f->node);
    memset(&spec, 0, sizeof(spec));
    spec.bwrap = f->bwrap;
    spec.argv = argv;
    spec.env = env;
    spec.cwd = f->tree;
    spec.binds = &bind;
    spec.nbinds = 1;
    spec.timeout_ms = 30000;
    spec.memory_bytes = 1024ull << 20; /* 4 GiB wanted, 1 GiB allowed */
    spec.output = &f->out;
    sg_buf_clear(&f->out);
    assert_int_equal(sg_sandbox__run(&res, f->ctx, &spec), 0);
    printf("# %s; exited %d status %d signal %d\n", res.limits, res.exited, res.status, res.signal);
    assert_null(strstr(f->out.ptr, "ALLOCATED"));
    assert_false(res.exited && res.status == 0);
}

static void test_sandbox__process_limit_stops_a_fork_storm(void **state)
{
    fx *f = *state;
    sg_sandbox_result res;
    NEED_SANDBOX(f);
    run_sh(f, &res, "i=0; while [ $i -lt 400 ]; do sleep 5 & i=$((i+1)); done; echo SPAWNED",
           SG_SANDBOX_NET_NONE, NULL, 0, 20000);
    printf("# %s\n", res.limits);
    if (strstr(res.limits, "not enforced"))
        skip();
    assert_null(strstr(f->out.ptr, "SPAWNED"));
}

/* Through the proxy: the allowed host answers, another host gets 403, a direct connection
 * fails. */
static void test_sandbox__install_proxy_reaches_only_the_registry(void **state)
{
    fx *f = *state;
    sgt_http_server *registry = NULL, *other = NULL;
    sgt_http_route r1 = {NULL, "/pkg",          0, 200, NULL, "registry-body",
                         0,    SGT_HTTP_NORMAL, 0, 0,   0,    NULL};
    sgt_http_route r2 = {NULL, "/x", 0, 200, NULL, "other-body", 0, SGT_HTTP_NORMAL, 0, 0, 0, NULL};
    char allow0[64], script[16384], js[4096], jspath[4200];
    const char *allow[1];
    sg_sandbox_result res;
    int p1, p2;

    NEED_SANDBOX(f);
    NEED_NODE(f);
    p1 = sgt_http_start_routes(&registry, &r1, 1);
    p2 = sgt_http_start_routes(&other, &r2, 1);
    snprintf(allow0, sizeof(allow0), "127.0.0.1:%d", p1);
    allow[0] = allow0;
    /* Plain HTTP through an HTTP proxy: absolute-form requests; and CONNECT for the other. */
    snprintf(js, sizeof(js),
             "const http = require('http');\n"
             "const proxy = new URL(process.env.HTTP_PROXY);\n"
             "function via(url) { return new Promise(res => {\n"
             "  http.get({host: proxy.hostname, port: proxy.port, path: url}, r => {\n"
             "    let b = ''; r.on('data', d => b += d);\n"
             "    r.on('end', () => res(r.statusCode + ' ' + b.trim())); })\n"
             "  .on('error', e => res('ERR ' + e.code)); }); }\n"
             "function connect(hp) { return new Promise(res => {\n"
             "  http.request({host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: "
             "hp})\n"
             "  .on('connect', r => res('CONNECT ' + r.statusCode))\n"
             "  .on('response', r => res('CONNECT ' + r.statusCode))\n"
             "  .on('error', e => res('ERR ' + e.code)).end(); }); }\n"
             "function direct(url) { return new Promise(res => {\n"
             "  http.get(url, r => res('DIRECT ' + r.statusCode)).on('error', e => res('DIRECT "
             "ERR ' + e.code)); }); }\n"
             "(async () => {\n"
             "  console.log('A', await via('http://127.0.0.1:%d/pkg'));\n"
             "  console.log('B', await via('http://127.0.0.1:%d/x'));\n"
             "  console.log('C', await connect('127.0.0.1:%d'));\n"
             "  console.log('D', await connect('example.com:443'));\n"
             "  console.log('E', await direct('http://127.0.0.1:%d/pkg'));\n"
             "})();\n",
             p1, p2, p2, p1);
    snprintf(jspath, sizeof(jspath), "%s/probe.js", f->tree);
    sgt_write_file(jspath, js, strlen(js), 0644);
    snprintf(script, sizeof(script), "%s '%s'", f->node, jspath);
    run_sh(f, &res, script, SG_SANDBOX_NET_PROXY, allow, 1, 30000);
    printf("%s", f->out.ptr);
    assert_true(res.exited);
    assert_non_null(strstr(f->out.ptr, "A 200 registry-body"));
    assert_non_null(strstr(f->out.ptr, "B 403"));
    assert_non_null(strstr(f->out.ptr, "C CONNECT 403"));
    assert_non_null(strstr(f->out.ptr, "D CONNECT 403"));
    assert_non_null(strstr(f->out.ptr, "E DIRECT ERR"));
    assert_non_null(strstr(f->out.ptr, "the proxy refused"));
    assert_int_equal(sgt_http_request_count(registry), 1);
    assert_int_equal(sgt_http_request_count(other), 0);
    sgt_http_stop(registry);
    sgt_http_stop(other);
}

static void test_sandbox__check_refuses_without_bubblewrap_unless_unsafe(void **state)
{
    fx *f = *state;
    sg_rebuild_opts o = SG_REBUILD_OPTS_INIT;
    int sandboxed = -1;

    NEED_NODE(f);
    o.bwrap = "/nonexistent/bwrap";
    o.search_path = search_path();
    assert_int_equal(sg_rebuild_check(&sandboxed, f->ctx, &o), SG_EUNSUPPORTED);
    assert_non_null(strstr(sg_error_message(f->ctx), "cannot rebuild in a sandbox"));
    assert_non_null(strstr(sg_error_message(f->ctx), "--unsafe-no-sandbox"));
    sg_error_clear(f->ctx);
    o.allow_unsafe_no_sandbox = 1;
    assert_int_equal(sg_rebuild_check(&sandboxed, f->ctx, &o), 0);
    assert_int_equal(sandboxed, 0);
    if (f->bwrap[0]) {
        o.bwrap = f->bwrap;
        assert_int_equal(sg_rebuild_check(&sandboxed, f->ctx, &o), 0);
        assert_int_equal(sandboxed, 1);
    }
}

static void test_sandbox__which_finds_programs_on_the_search_path(void **state)
{
    fx *f = *state;
    sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_sandbox__which(&b, f->ctx, "sh", "/nonexistent:/bin:/usr/bin"), 0);
    assert_true(b.ptr[0] == '/');
    assert_int_equal(sg_sandbox__which(&b, f->ctx, "no-such-program-xyz", "/bin:/usr/bin"),
                     SG_ENOTFOUND);
    sg_error_clear(f->ctx);
    sg_buf_dispose(&b);
}

static void test_sandbox__mode_names_parse(void **state)
{
    fx *f = *state;
    sg_rebuild_mode m;
    assert_int_equal(sg_rebuild_mode_parse(&m, f->ctx, "always"), 0);
    assert_int_equal(m, SG_REBUILD_ALWAYS);
    assert_string_equal(sg_rebuild_mode_name(SG_REBUILD_AUTO), "auto");
    assert_int_equal(sg_rebuild_mode_parse(&m, f->ctx, "sometimes"), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(f->ctx), "'sometimes'"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_sandbox__runs_a_command_and_captures_its_output),
        T(test_sandbox__limits_touch_no_other_process_and_leave_no_cgroup),
        T(test_sandbox__collects_cgroups_of_dead_runs),
        T(test_sandbox__build_cannot_reach_the_network),
        T(test_sandbox__cannot_read_files_in_home_or_the_cache),
        T(test_sandbox__cannot_write_outside_its_tree),
        T(test_sandbox__is_killed_with_its_children_at_the_time_limit),
        T(test_sandbox__unsafe_mode_kills_the_process_group_too),
        T(test_sandbox__memory_limit_stops_a_hungry_build),
        T(test_sandbox__process_limit_stops_a_fork_storm),
        T(test_sandbox__install_proxy_reaches_only_the_registry),
        T(test_sandbox__check_refuses_without_bubblewrap_unless_unsafe),
        T(test_sandbox__which_finds_programs_on_the_search_path),
        T(test_sandbox__mode_names_parse),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
