/*
 * cli/git_tls.c: a local verify never connects, so libgit2 parses no TLS trust store there;
 * registry mode, which may clone over https, still loads it, through mbedTLS's own function.
 *
 * Observed with strace (the files the process opens): the registry run is the control that
 * shows the trust store being opened at all, the local run must open none of those files.
 * LeakSanitizer cannot run under ptrace: the sanitizer build's leak check is off in the traced
 * runs (every other test checks leaks).
 * Skipped without strace (failed when CI is set: ci/deps installs it).
 */
#include "sg_test.h"
#include "http_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/common.h"

#define PJ                                                                                         \
    "{\"name\":\"tls-fixture\",\"version\":\"1.0.0\",\"main\":\"index.js\","                       \
    "\"repository\":\"git+https://github.com/acme/tls-fixture.git\"}\n"
#define INDEX_JS "module.exports = 1;\n"

typedef struct fixture {
    char *dir;                /* temporary folder */
    sgt_http_server *srv;     /* the registry */
    sgt_http_route routes[2]; /* packument and tarball */
    unsigned char *tgz;       /* the release's tarball */
    size_t tgz_len;           /* its length */
    char packument[8192];     /* its packument */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sgt_file files[] = {{"package.json", PJ, 0, 0}, {"index.js", INDEX_JS, 0, 0}};
    sgt_tar_entry e[] = {{"package/package.json", PJ, 0, 0, 0, NULL},
                         {"package/index.js", INDEX_JS, 0, 0, 0, NULL}};
    char repo[4300], commit[41], path[4300];
    sg_ctx *ctx = NULL;
    sg_buf integrity = SG_BUF_INIT;

    f->dir = sgt_tmpdir();
    snprintf(repo, sizeof(repo), "%s/repos/tls-fixture.git", f->dir);
    sgt_git_init(repo, 1);
    sgt_git_commit(commit, repo, NULL, files, 2, "1.0.0", 0);
    sgt_git_tag(repo, "v1.0.0", commit, 1);
    sgt_tar_build(&f->tgz, &f->tgz_len, e, 2, 1);
    snprintf(path, sizeof(path), "%s/tls-fixture-1.0.0.tgz", f->dir);
    sgt_write_file(path, f->tgz, f->tgz_len, 0644);
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_integrity_sha512(&integrity, ctx, f->tgz, f->tgz_len), 0);
    sgt_http_start_routes(&f->srv, NULL, 0);
    snprintf(f->packument, sizeof(f->packument),
             "{\"name\":\"tls-fixture\",\"dist-tags\":{\"latest\":\"1.0.0\"},"
             "\"versions\":{\"1.0.0\":%.*s,\"dist\":{\"tarball\":\"%s"
             "tls-fixture/-/tls-fixture-1.0.0.tgz\",\"integrity\":\"%s\"}}}}",
             (int)strlen(PJ) - 2, PJ, sgt_http_base_url(f->srv), integrity.ptr);
    f->routes[0].target = "/tls-fixture";
    f->routes[0].body = f->packument;
    f->routes[1].target = "/tls-fixture/-/tls-fixture-1.0.0.tgz";
    f->routes[1].body = f->tgz;
    f->routes[1].body_len = f->tgz_len;
    sgt_http_set_routes(f->srv, f->routes, 2);
    sg_buf_dispose(&integrity);
    sg_ctx_free(ctx);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sgt_http_stop(f->srv);
    free(f->tgz);
    free(f);
    sgt_cleanup();
    return 0;
}

/* Run the CLI under strace with these arguments; the exit code; the opened paths in *log. */
static int traced(fixture *f, const char *name, const char *args, char **log)
{
    char cmd[16384], logpath[4300], *out = NULL, *err = NULL;
    int rc;

    snprintf(logpath, sizeof(logpath), "%s/%s.strace", f->dir, name);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && HOME='%s' npm_config_registry= ASAN_OPTIONS=detect_leaks=0 strace -f "
             "-qq -e trace=open,openat -o '%s' '%s' %s",
             f->dir, f->dir, logpath, getenv("SG_CLI"), args);
    rc = sgt_run(cmd, &out, &err);
    if (rc != 0)
        printf("# %s -> %d\n%s%s", cmd, rc, out, err);
    free(out);
    free(err);
    *log = sgt_read_file(logpath, NULL);
    assert_non_null(*log);
    return rc;
}

/* How many lines of an strace log open a file whose path has "cert" in it. */
static size_t cert_opens(const char *log)
{
    size_t n = 0;
    const char *line = log, *end;
    for (; *line; line = *end ? end + 1 : end) {
        char buf[4096];
        size_t len;
        end = strchr(line, '\n');
        if (!end)
            end = line + strlen(line);
        len = (size_t)(end - line) < sizeof(buf) - 1 ? (size_t)(end - line) : sizeof(buf) - 1;
        memcpy(buf, line, len);
        buf[len] = '\0';
        if (strstr(buf, "open") && strstr(buf, "cert"))
            n++;
    }
    return n;
}

static void test_git_tls__local_verify_loads_no_trust_store(void **state)
{
    fixture *f = *state;
    char args[16384], *log = NULL;

    if (!sgt_have_program("strace")) {
        if (getenv("CI"))
            fail_msg("strace is missing (ci/deps installs it)");
        skip();
    }
    /* the control: registry mode clones the repository with libgit2 (file:// here), and
     * libgit2's initialization opens the trust store through mbedTLS's own parser */
    snprintf(args, sizeof(args),
             "verify tls-fixture@1.0.0 --registry '%s' --cache '%s/cache' --git-rewrite "
             "'https://github.com/acme/=file://%s/repos/' --rebuild never -q",
             sgt_http_base_url(f->srv), f->dir, f->dir);
    assert_int_equal(traced(f, "registry", args, &log), 0);
    if (cert_opens(log) == 0)
        fail_msg("registry mode opened no trust store: the control failed\n%s", log);
    free(log);

    /* local mode: the same release, the same repository, no trust store */
    snprintf(args, sizeof(args),
             "verify --tarball tls-fixture-1.0.0.tgz --source '%s/repos/tls-fixture.git' "
             "--ref v1.0.0 -q",
             f->dir);
    assert_int_equal(traced(f, "local", args, &log), 0);
    if (cert_opens(log) != 0)
        fail_msg("local mode opened a trust store\n%s", log);
    free(log);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_git_tls__local_verify_loads_no_trust_store),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
