/*
 * Registry mode end to end, offline: a loopback registry serves packuments and tarballs, the
 * repository is a fixture made with libgit2, reached through a --git-rewrite-style rewrite of
 * the URL the release names.
 */
#include "sg_test.h"
#include "http_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPO_URL "git+https://github.com/Acme/demo.git"

typedef struct fixture {
    char *dir;               /* temporary folder */
    char repo[4096];         /* the git repository */
    char file_url[4200];     /* file:// URL of it */
    sgt_http_server *srv;    /* the registry */
    sgt_http_route routes[8];
    char *packument;         /* served at /demo */
    unsigned char *tgz[4];   /* tarballs served at /demo/-/demo-V.tgz */
    size_t tgz_len[4];
    char tgz_path[4][64];
} fixture;

static const char *PJ100 = "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\","
                           "\"repository\":\"" REPO_URL "\",\"dependencies\":{\"ms\":\"^2.1.3\"}}";
static const char *PJ101 = "{\"name\":\"demo\",\"version\":\"1.0.1\",\"main\":\"index.js\","
                           "\"repository\":\"" REPO_URL "\",\"dependencies\":{\"ms\":\"^2.1.3\","
                           "\"plain-crypto-js\":\"^4.2.1\"}}";

static void make_tgz(fixture *f, int i, const char *version, const char *pj)
{
    sgt_tar_entry e[] = {{"package/package.json", pj, 0, 0, 0, NULL},
                         {"package/index.js", "module.exports = 1;\n", 0, 0, 0, NULL}};
    free(f->tgz[i]); /* serve() may run more than once */
    sgt_tar_build(&f->tgz[i], &f->tgz_len[i], e, 2, 1);
    snprintf(f->tgz_path[i], sizeof(f->tgz_path[i]), "/demo/-/demo-%s.tgz", version);
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

/* versions[V] of the packument: the manifest plus dist; `extra` is spliced in. */
static void add_version(char *buf, size_t size, const fixture *f, int i, const char *pj,
                        const char *integrity, const char *extra)
{
    size_t n = strlen(buf);
    snprintf(buf + n, size - n, "%s\"%.*s\":%.*s,\"dist\":{\"tarball\":\"%s%s\",\"integrity\":\"%s\"}%s}",
             buf[n - 1] == '{' ? "" : ",", 5, strstr(pj, "\"version\":\"") + 11,
             (int)strlen(pj) - 1, pj, sgt_http_base_url(f->srv), f->tgz_path[i] + 1, integrity,
             extra ? extra : "");
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    char commit[41];
    sgt_file v100[] = {{"package.json", PJ100, 0, 0}, {"index.js", "module.exports = 1;\n", 0, 0}};
    f->dir = sgt_tmpdir();
    snprintf(f->repo, sizeof(f->repo), "%s/repo.git", f->dir);
    snprintf(f->file_url, sizeof(f->file_url), "file://%s", f->repo);
    sgt_git_init(f->repo, 1);
    sgt_git_commit(commit, f->repo, NULL, v100, 2, "1.0.0", 0);
    sgt_git_tag(f->repo, "v1.0.0", commit, 1);
    sgt_http_start_routes(&f->srv, NULL, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    size_t i;
    sgt_http_stop(f->srv);
    for (i = 0; i < 4; i++)
        free(f->tgz[i]);
    free(f->packument);
    free(f);
    return 0;
}

/* Serve: 1.0.0 (tagged, genuine) and 1.0.1 (untagged, a dependency added), latest 1.0.1.
 * bad_integrity: 1.0.0's integrity is wrong. confused: 1.0.0's registry metadata lacks "ms". */
static void serve(fixture *f, int bad_integrity, int confused)
{
    char *i0, *i1, body[16384];
    make_tgz(f, 0, "1.0.0", PJ100);
    make_tgz(f, 1, "1.0.1", PJ101);
    i0 = integrity_of(f->tgz[0], f->tgz_len[0]);
    i1 = integrity_of(f->tgz[1], f->tgz_len[1]);
    if (bad_integrity)
        i0[10] = i0[10] == 'A' ? 'B' : 'A';
    snprintf(body, sizeof(body),
             "{\"name\":\"demo\",\"dist-tags\":{\"latest\":\"1.0.1\"},\"repository\":{\"url\":\""
             REPO_URL "\"},\"versions\":{");
    add_version(body, sizeof(body), f, 0,
                confused ? "{\"name\":\"demo\",\"version\":\"1.0.0\",\"main\":\"index.js\","
                           "\"repository\":\"" REPO_URL "\"}"
                         : PJ100,
                i0, ",\"gitHead\":\"0000000000000000000000000000000000000000\"");
    add_version(body, sizeof(body), f, 1, PJ101, i1, NULL);
    strncat(body, "}}", sizeof(body) - strlen(body) - 1);
    free(f->packument);
    f->packument = strdup(body);
    memset(f->routes, 0, sizeof(f->routes));
    f->routes[0].target = "/demo";
    f->routes[0].body = f->packument;
    f->routes[0].etag = "\"v1\"";
    f->routes[1].target = f->tgz_path[0];
    f->routes[1].body = f->tgz[0];
    f->routes[1].body_len = f->tgz_len[0];
    f->routes[2].target = f->tgz_path[1];
    f->routes[2].body = f->tgz[1];
    f->routes[2].body_len = f->tgz_len[1];
    sgt_http_set_routes(f->srv, f->routes, 3);
    free(i0);
    free(i1);
}

/* Run the CLI in registry mode; return its exit code and stdout (JSON). */
static int run(fixture *f, const char *spec, const char *extra, char **out)
{
    char cmd[16384], cache[4200];
    int rc;
    char *err = NULL;
    snprintf(cache, sizeof(cache), "%s/cache", f->dir);
    snprintf(cmd, sizeof(cmd),
             "HOME='%s' npm_config_registry= '%s' verify '%s' --registry '%s' --cache '%s' "
             "--git-rewrite https://github.com/acme/demo.git='%s' --format json %s",
             f->dir, getenv("SG_CLI"), spec, sgt_http_base_url(f->srv), cache, f->file_url,
             extra ? extra : "");
    rc = sgt_run(cmd, out, &err);
    if (rc == 2 || rc == 4)
        print_error("%s\nstderr: %s\n", cmd, err);
    free(err);
    return rc;
}

static cJSON *field(cJSON *doc, const char *a, const char *b)
{
    cJSON *x = cJSON_GetObjectItem(doc, a);
    return b ? cJSON_GetObjectItem(x, b) : x;
}

static int has_finding(cJSON *doc, const char *kind, const char *name)
{
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "findings"))
    {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(it, "kind"));
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(it, "name"));
        if (k && !strcmp(k, kind) && (!name || (n && !strcmp(n, name))))
            return 1;
    }
    return 0;
}

static void test_release__tagged_release_passes_by_tag(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    cJSON *doc;
    serve(f, 0, 0);
    assert_int_equal(run(f, "demo@1.0.0", NULL, &out), 0);
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetStringValue(field(doc, "verdict", NULL)), "pass");
    assert_string_equal(cJSON_GetStringValue(field(doc, "source", "repository")),
                        "https://github.com/acme/demo.git");
    assert_string_equal(cJSON_GetStringValue(field(doc, "source", "resolved_by")), "tag");
    assert_string_equal(cJSON_GetStringValue(field(doc, "source", "ref")), "v1.0.0");
    /* gitHead named a commit the repository does not have: tried, not a mismatch */
    assert_false(has_finding(doc, "ref-mismatch", NULL));
    cJSON_Delete(doc);
    free(out);
}

static void test_release__untagged_release_with_added_dependency_fails(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    cJSON *doc;
    serve(f, 0, 0);
    /* "latest" resolves to 1.0.1, which has no tag, gitHead or history commit */
    assert_int_equal(run(f, "demo", NULL, &out), 1);
    doc = cJSON_Parse(out);
    assert_string_equal(cJSON_GetStringValue(field(doc, "version", NULL)), "1.0.1");
    assert_true(has_finding(doc, "ref-unresolved", NULL));
    assert_true(has_finding(doc, "dependency-added", "plain-crypto-js"));
    assert_string_equal(cJSON_GetStringValue(field(doc, "compared_with", "ref")), "v1.0.0");
    cJSON_Delete(doc);
    free(out);
}

static void test_release__integrity_mismatch_fails_before_parsing(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    cJSON *doc;
    serve(f, 1, 0);
    {
        /* a cache of its own, so no earlier run's verified tarball is reused */
        char cache2[4200], cmd[16384], *err = NULL;
        snprintf(cache2, sizeof(cache2), "%s/cache-integrity", f->dir);
        snprintf(cmd, sizeof(cmd),
                 "HOME='%s' '%s' verify demo@1.0.0 --registry '%s' --cache '%s' --format json",
                 f->dir, getenv("SG_CLI"), sgt_http_base_url(f->srv), cache2);
        assert_int_equal(sgt_run(cmd, &out, &err), 1);
        free(err);
    }
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_true(has_finding(doc, "integrity-mismatch", NULL));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "findings")), 1);
    cJSON_Delete(doc);
    free(out);
}

static void test_release__manifest_confusion_is_reported(void **state)
{
    fixture *f = *state;
    char *out = NULL, cmd[16384], cache[4200], *err = NULL;
    cJSON *doc;
    serve(f, 0, 1);
    snprintf(cache, sizeof(cache), "%s/cache-confused", f->dir);
    snprintf(cmd, sizeof(cmd),
             "HOME='%s' '%s' verify demo@1.0.0 --registry '%s' --cache '%s' "
             "--git-rewrite https://github.com/acme/demo.git='%s' --format json",
             f->dir, getenv("SG_CLI"), sgt_http_base_url(f->srv), cache, f->file_url);
    assert_int_equal(sgt_run(cmd, &out, &err), 1);
    doc = cJSON_Parse(out);
    assert_true(has_finding(doc, "manifest-mismatch", "ms"));
    cJSON_Delete(doc);
    free(out);
    free(err);
}

static void test_release__offline_uses_the_cache(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    size_t before;
    serve(f, 0, 0);
    assert_int_equal(run(f, "demo@1.0.0", NULL, &out), 0);
    free(out);
    out = NULL;
    before = sgt_http_request_count(f->srv);
    assert_int_equal(run(f, "demo@1.0.0", "--offline", &out), 0);
    assert_int_equal(sgt_http_request_count(f->srv), before); /* nothing sent */
    free(out);
}

static void test_release__warm_run_makes_one_conditional_request(void **state)
{
    fixture *f = *state;
    char *out = NULL, inm[128];
    sgt_http_request req;
    size_t before;
    serve(f, 0, 0);
    assert_int_equal(run(f, "demo@1.0.0", NULL, &out), 0);
    free(out);
    out = NULL;
    before = sgt_http_request_count(f->srv);
    assert_int_equal(run(f, "demo@1.0.0", NULL, &out), 0);
    /* the packument, conditionally; the tarball and the mirror come from the cache */
    assert_int_equal(sgt_http_request_count(f->srv), before + 1);
    sgt_http_request_get(f->srv, before, &req);
    assert_string_equal(req.target, "/demo");
    assert_true(sgt_http_header(&req, "If-None-Match", inm, sizeof(inm)));
    assert_string_equal(inm, "\"v1\"");
    free(out);
}

/* A packument whose repository URL names this machine: sourcegate does not connect to it
 * (issue 12); the release fails as source-missing and the server sees no git request. */
static void test_release__loopback_repository_url_is_not_fetched(void **state)
{
    fixture *f = *state;
    char *out = NULL, url[256], *p, body[16384];
    const char *from = REPO_URL;
    size_t before;
    cJSON *doc, *it;
    int seen = 0;
    serve(f, 0, 0);
    snprintf(url, sizeof(url), "%sacme/demo.git", sgt_http_base_url(f->srv));
    body[0] = '\0';
    for (p = f->packument;;) {
        char *hit = strstr(p, from);
        if (!hit) {
            strncat(body, p, sizeof(body) - strlen(body) - 1);
            break;
        }
        strncat(body, p, (size_t)(hit - p));
        strncat(body, url, sizeof(body) - strlen(body) - 1);
        p = hit + strlen(from);
    }
    free(f->packument);
    f->packument = strdup(body);
    f->routes[0].body = f->packument;
    f->routes[0].etag = "\"loopback\""; /* not the cached packument's */
    sgt_http_set_routes(f->srv, f->routes, 3);
    before = sgt_http_request_count(f->srv);
    assert_int_equal(run(f, "demo@1.0.0", NULL, &out), 1);
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "findings"))
    {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(it, "kind"));
        const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(it, "detail"));
        if (k && !strcmp(k, "source-missing") && d && strstr(d, "not fetched: its host is an IP"))
            seen = 1;
    }
    assert_true(seen);
    /* the packument (and the tarball when not cached): nothing under /acme/ */
    for (; before < sgt_http_request_count(f->srv); before++) {
        sgt_http_request req;
        sgt_http_request_get(f->srv, before, &req);
        assert_null(strstr(req.target, "/acme/"));
    }
    cJSON_Delete(doc);
    free(out);
    out = NULL;
    /* a rewrite that leaves the host to the packument (only the scheme changes) takes
     * nothing over: still refused */
    before = sgt_http_request_count(f->srv);
    assert_int_equal(run(f, "demo@1.0.0", "--git-rewrite http://=https://", &out), 1);
    assert_non_null(strstr(out, "not fetched: its host is an IP"));
    for (; before < sgt_http_request_count(f->srv); before++) {
        sgt_http_request req;
        sgt_http_request_get(f->srv, before, &req);
        assert_null(strstr(req.target, "/acme/"));
    }
    free(out);
}

/* Run `verify demo@1.0.0` with one --git-rewrite and a cache of its own; return the exit code,
 * stdout in *out. */
static int run_rewrite(fixture *f, const char *cache_name, const char *rule, char **out)
{
    char cmd[16384], *err = NULL;
    int rc;
    snprintf(cmd, sizeof(cmd),
             "HOME='%s' npm_config_registry= '%s' verify demo@1.0.0 --registry '%s' "
             "--cache '%s/%s' --git-rewrite '%s' --format json",
             f->dir, getenv("SG_CLI"), sgt_http_base_url(f->srv), f->dir, cache_name, rule);
    rc = sgt_run(cmd, out, &err);
    if (rc != 0)
        print_error("%s\nstdout: %s\nstderr: %s\n", cmd, *out ? *out : "", err ? err : "");
    free(err);
    return rc;
}

/* Issue 14 item 5: --git-rewrite works as git's insteadOf on the URL the release names
 * (git+https://github.com/Acme/demo.git), not only on its lowercased canonical form. */
static void test_release__git_rewrite_keeps_case_and_adds_no_dot_git(void **state)
{
    fixture *f = *state;
    char *out = NULL, path[4200], rule[8400];
    char commit[41];
    sgt_file v100[] = {{"package.json", PJ100, 0, 0}, {"index.js", "module.exports = 1;\n", 0, 0}};
    cJSON *doc;
    size_t i;
    /* FROM=TO, then the repository folder under f->dir; TO is "file://" + f->dir + folder */
    static const char *const rules[][2] = {
        /* a prefix rule onto a folder of mirrors named as the owner writes it */
        {"https://github.com/=file://", "/mirrors/"},
        /* an exact rule, lowercase, whose target has no .git */
        {"https://github.com/acme/demo=file://", "/plain-demo"},
        /* an exact rule written with the owner's capital */
        {"https://github.com/Acme/demo.git=file://", "/capital-demo"},
    };
    serve(f, 0, 0);
    for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        char cache_name[32];
        snprintf(rule, sizeof(rule), "%s%s%s", rules[i][0], f->dir, rules[i][1]);
        snprintf(path, sizeof(path), "%s%s%s", f->dir, rules[i][1], i == 0 ? "Acme/demo.git" : "");
        sgt_git_init(path, 1);
        sgt_git_commit(commit, path, NULL, v100, 2, "1.0.0", 0);
        sgt_git_tag(path, "v1.0.0", commit, 1);
        snprintf(cache_name, sizeof(cache_name), "cache-rewrite-%zu", i);
        out = NULL;
        assert_int_equal(run_rewrite(f, cache_name, rule, &out), 0);
        doc = cJSON_Parse(out);
        assert_non_null(doc);
        assert_string_equal(cJSON_GetStringValue(field(doc, "verdict", NULL)), "pass");
        /* the report and the mirror folder still use the canonical URL */
        assert_string_equal(cJSON_GetStringValue(field(doc, "source", "repository")),
                            "https://github.com/acme/demo.git");
        assert_string_equal(cJSON_GetStringValue(field(doc, "source", "ref")), "v1.0.0");
        cJSON_Delete(doc);
        free(out);
    }
}

/* verify with the repository rewritten to `target`; exit code, stdout and stderr */
static int run_rewritten(fixture *f, const char *target, char **out, char **err)
{
    char cmd[16384];
    snprintf(cmd, sizeof(cmd),
             "HOME='%s' npm_config_registry= '%s' verify demo@1.0.0 --registry '%s' --cache "
             "'%s/cache-net' --git-rewrite https://github.com/acme/demo.git='%s' --format json",
             f->dir, getenv("SG_CLI"), sgt_http_base_url(f->srv), f->dir, target);
    return sgt_run(cmd, out, err);
}

/* A git host that cannot be reached is an operational error (exit 4), never a verdict about
 * the package (issue 14). */
static void test_release__unreachable_git_host_is_an_error_not_a_verdict(void **state)
{
    fixture *f = *state;
    char *out = NULL, *err = NULL;
    serve(f, 0, 0);
    assert_int_equal(run_rewritten(f, "http://127.0.0.1:1/acme/demo.git", &out, &err), 4);
    assert_string_equal(out, "");
    assert_non_null(strstr(err, "cannot fetch"));
    free(out);
    free(err);
}

/* A repository the host says does not exist is a fact about the release: source-missing. */
static void test_release__missing_repository_is_source_missing(void **state)
{
    fixture *f = *state;
    char *out = NULL, *err = NULL, url[512];
    cJSON *doc, *it;
    int seen = 0;
    serve(f, 0, 0);
    snprintf(url, sizeof(url), "%snot/there.git", sgt_http_base_url(f->srv));
    assert_int_equal(run_rewritten(f, url, &out, &err), 1);
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "findings"))
    {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(it, "kind"));
        const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(it, "detail"));
        if (k && !strcmp(k, "source-missing") && d && strstr(d, "does not exist"))
            seen = 1;
    }
    assert_true(seen);
    cJSON_Delete(doc);
    free(out);
    free(err);
}

static void test_release__unknown_version_is_bad_input(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    serve(f, 0, 0);
    assert_int_equal(run(f, "demo@9.9.9", NULL, &out), 2);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release__tagged_release_passes_by_tag),
        cmocka_unit_test(test_release__untagged_release_with_added_dependency_fails),
        cmocka_unit_test(test_release__integrity_mismatch_fails_before_parsing),
        cmocka_unit_test(test_release__manifest_confusion_is_reported),
        cmocka_unit_test(test_release__offline_uses_the_cache),
        cmocka_unit_test(test_release__warm_run_makes_one_conditional_request),
        cmocka_unit_test(test_release__unknown_version_is_bad_input),
        cmocka_unit_test(test_release__loopback_repository_url_is_not_fetched),
        cmocka_unit_test(test_release__unreachable_git_host_is_an_error_not_a_verdict),
        cmocka_unit_test(test_release__missing_repository_is_source_missing),
        cmocka_unit_test(test_release__git_rewrite_keeps_case_and_adds_no_dot_git),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
