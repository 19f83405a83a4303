/*
 * The delta since the previous release (issue 17), end to end on a loopback registry: the
 * axios@1.14.1 shape (a new dependency, prepare removed, provenance and trusted publisher
 * gone, no tag), a file that grew x100, a first release, prereleases, a predecessor whose
 * tarball cannot be read, --no-delta.
 */
#include "sg_test.h"
#include "http_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPO_URL "git+https://github.com/Acme/demo.git"
#define MAXV 6

/* One published version: its package.json, one extra file and what the packument adds. */
typedef struct ver {
    const char *version; /* "1.14.0" */
    const char *pj;      /* package.json (also versions[V], minus dist) */
    const char *path;    /* an extra file "package/<path>", or NULL */
    char *content;       /* its bytes (malloc'd) */
    size_t len;          /* their length */
    const char *meta;    /* spliced into versions[V] (",\"gitHead\":...") or NULL */
    const char *dist;    /* spliced into dist, or NULL */
    int bad_integrity;   /* the registry's integrity for it is wrong */
} ver;

typedef struct fixture {
    char *dir;                       /* temporary folder */
    char repo[4096];                 /* the git repository */
    char file_url[4200];             /* file:// URL of it */
    char tag_commit[41];             /* the commit tagged for the old release */
    sgt_http_server *srv;            /* the registry */
    sgt_http_route routes[MAXV + 1]; /* the packument, then one tarball per version */
    ver v[MAXV];                     /* versions */
    size_t nv;                       /* how many */
    unsigned char *tgz[MAXV];        /* their tarballs */
    size_t tgz_len[MAXV];            /* lengths */
    char tgz_path[MAXV][64];         /* "/demo/-/demo-V.tgz" */
    char *packument;                 /* served at /demo */
    int runs;                        /* caches made so far */
} fixture;

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

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sgt_file files[] = {{"package.json", "{\"name\":\"demo\",\"version\":\"1.14.0\"}", 0, 0}};
    f->dir = sgt_tmpdir();
    snprintf(f->repo, sizeof(f->repo), "%s/repo.git", f->dir);
    snprintf(f->file_url, sizeof(f->file_url), "file://%s", f->repo);
    sgt_git_init(f->repo, 1);
    sgt_git_commit(f->tag_commit, f->repo, NULL, files, 1, "1.14.0", 0);
    sgt_git_tag(f->repo, "v1.14.0", f->tag_commit, 1);
    sgt_http_start_routes(&f->srv, NULL, 0);
    *state = f;
    return 0;
}

static void reset(fixture *f)
{
    size_t i;
    for (i = 0; i < MAXV; i++) {
        free(f->tgz[i]);
        free(f->v[i].content);
        f->tgz[i] = NULL;
    }
    memset(f->v, 0, sizeof(f->v));
    f->nv = 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sgt_http_stop(f->srv);
    reset(f);
    free(f->packument);
    free(f);
    return 0;
}

static ver *add(fixture *f, const char *version, const char *pj)
{
    ver *v = &f->v[f->nv++];
    v->version = version;
    v->pj = pj;
    return v;
}

static void file_of(ver *v, const char *path, size_t len)
{
    size_t i;
    unsigned x = (unsigned)len; /* incompressible enough for the compression-ratio limit */
    v->path = path;
    v->content = malloc(len + 1);
    for (i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        v->content[i] = (char)('a' + (x >> 16) % 26);
    }
    v->content[len] = '\0';
    v->len = len;
}

/* Build the tarballs and the packument of f->v and serve them. */
static void serve(fixture *f, const char *latest)
{
    static char body[1 << 16];
    size_t i, n;
    snprintf(
        body, sizeof(body),
        "{\"name\":\"demo\",\"dist-tags\":{\"latest\":\"%s\"},\"repository\":{\"url\":\"" REPO_URL
        "\"},\"versions\":{",
        latest);
    for (i = 0; i < f->nv; i++) {
        ver *v = &f->v[i];
        sgt_tar_entry e[2] = {{"package/package.json", v->pj, 0, 0, 0, NULL},
                              {NULL, NULL, 0, 0, 0, NULL}};
        char path[256], *integ;
        if (v->path) {
            snprintf(path, sizeof(path), "package/%s", v->path);
            e[1].path = path;
            e[1].content = v->content;
            e[1].len = v->len;
        }
        free(f->tgz[i]);
        sgt_tar_build(&f->tgz[i], &f->tgz_len[i], e, v->path ? 2 : 1, 1);
        snprintf(f->tgz_path[i], sizeof(f->tgz_path[i]), "/demo/-/demo-%s.tgz", v->version);
        integ = integrity_of(f->tgz[i], f->tgz_len[i]);
        if (v->bad_integrity)
            integ[10] = integ[10] == 'A' ? 'B' : 'A';
        n = strlen(body);
        snprintf(body + n, sizeof(body) - n,
                 "%s\"%s\":%.*s,\"dist\":{\"tarball\":\"%s%s\",\"integrity\":\"%s\"%s}%s}",
                 i ? "," : "", v->version, (int)strlen(v->pj) - 1, v->pj, sgt_http_base_url(f->srv),
                 f->tgz_path[i] + 1, integ, v->dist ? v->dist : "", v->meta ? v->meta : "");
        free(integ);
        memset(&f->routes[i + 1], 0, sizeof(f->routes[i + 1]));
        f->routes[i + 1].target = f->tgz_path[i];
        f->routes[i + 1].body = f->tgz[i];
        f->routes[i + 1].body_len = f->tgz_len[i];
    }
    strncat(body, "}}", sizeof(body) - strlen(body) - 1);
    free(f->packument);
    f->packument = strdup(body);
    memset(&f->routes[0], 0, sizeof(f->routes[0]));
    f->routes[0].target = "/demo";
    f->routes[0].body = f->packument;
    sgt_http_set_routes(f->srv, f->routes, f->nv + 1);
}

/* Run the CLI (a fresh cache each time); its exit code and stdout. */
static int run(fixture *f, const char *spec, const char *extra, char **out)
{
    char cmd[16384], cache[4200];
    char *err = NULL;
    int rc;
    snprintf(cache, sizeof(cache), "%s/cache%d", f->dir, f->runs++);
    snprintf(cmd, sizeof(cmd),
             "HOME='%s' npm_config_registry= NO_COLOR=1 '%s' verify '%s' --registry '%s' "
             "--cache '%s' --git-rewrite https://github.com/acme/demo.git='%s' %s",
             f->dir, getenv("SG_CLI"), spec, sgt_http_base_url(f->srv), cache, f->file_url,
             extra ? extra : "--format json");
    rc = sgt_run(cmd, out, &err);
    if (rc == 2 || rc == 4)
        print_error("%s\nstderr: %s\n", cmd, err);
    free(err);
    return rc;
}

static cJSON *delta_of(cJSON *doc)
{
    return cJSON_GetObjectItem(doc, "delta");
}

static const char *delta_str(cJSON *doc, const char *key)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(delta_of(doc), key));
}

/* The change (change, field, name) of the delta, or NULL. */
static cJSON *change(cJSON *doc, const char *what, const char *field, const char *name)
{
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(delta_of(doc), "changes"))
    {
        const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(it, "change"));
        const char *fl = cJSON_GetStringValue(cJSON_GetObjectItem(it, "field"));
        const char *n = cJSON_GetStringValue(cJSON_GetObjectItem(it, "name"));
        if (c && fl && !strcmp(c, what) && !strcmp(fl, field) &&
            (!name ? !n : (n && !strcmp(n, name))))
            return it;
    }
    return NULL;
}

static int count_findings(cJSON *doc, const char *kind)
{
    cJSON *it;
    int n = 0;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "findings"))
    {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(it, "kind"));
        n += k && !strcmp(k, kind);
    }
    return n;
}

#define PJ(v, deps, scripts)                                                                       \
    "{\"name\":\"demo\",\"version\":\"" v "\",\"main\":\"index.js\",\"repository\":\"" REPO_URL    \
    "\",\"dependencies\":{" deps "},\"scripts\":{" scripts "}}"

/* axios@1.14.1 after 1.14.0: one new dependency, prepare gone, provenance and the trusted
 * publisher gone, no gitHead, no tag. */
static void axios_shape(fixture *f)
{
    ver *v;
    reset(f);
    add(f, "1.13.0", PJ("1.13.0", "\"follow-redirects\":\"^1.15.0\"", "\"prepare\":\"husky\""));
    v = add(f, "1.14.0", PJ("1.14.0", "\"follow-redirects\":\"^1.15.6\"", "\"prepare\":\"husky\""));
    v->meta = ",\"gitHead\":\"1111111111111111111111111111111111111111\",\"_npmUser\":{\"name\":"
              "\"GitHub Actions\",\"email\":\"npm-oidc-no-reply@github.com\",\"trustedPublisher\":"
              "{\"id\":\"github\"}}";
    v->dist =
        ",\"attestations\":{\"url\":\"https://registry.npmjs.org/-/npm/v1/attestations/"
        "demo@1.14.0\",\"provenance\":{\"predicateType\":\"https://slsa.dev/provenance/v1\"}}";
    v = add(f, "1.14.1",
            PJ("1.14.1", "\"follow-redirects\":\"^1.15.6\",\"plain-crypto-js\":\"^4.2.1\"", ""));
    v->meta = ",\"_npmUser\":{\"name\":\"jasonsaayman\",\"email\":\"jason@example.com\"}";
    serve(f, "1.14.1");
}

static void test_delta__axios_shape_names_dependency_script_and_provenance(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    cJSON *doc, *c;
    axios_shape(f);
    assert_int_equal(run(f, "demo@1.14.1", NULL, &out), 1);
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_string_equal(delta_str(doc, "status"), "compared");
    assert_string_equal(delta_str(doc, "previous"), "1.14.0");
    /* exactly these seven: nothing absent on both sides shows up */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(delta_of(doc), "changes")), 7);
    assert_non_null(c = change(doc, "added", "dependencies", "plain-crypto-js"));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(c, "after")), "^4.2.1");
    assert_non_null(change(doc, "removed", "scripts", "prepare"));
    assert_non_null(change(doc, "removed", "provenance", NULL));
    assert_non_null(change(doc, "removed", "trusted-publisher", NULL));
    assert_non_null(change(doc, "removed", "gitHead", NULL));
    assert_non_null(change(doc, "removed", "git-tag", NULL));
    assert_non_null(c = change(doc, "changed", "publisher", NULL));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(c, "after")), "jasonsaayman");
    /* follow-redirects did not change between 1.14.0 and 1.14.1 (1.13.0 is not compared) */
    assert_null(change(doc, "changed", "dependencies", "follow-redirects"));
    cJSON_Delete(doc);
    free(out);
    /* the delta adds no finding: the trust stage's provenance-regression (one for provenance,
     * one for the trusted publisher) is all there is, with or without the delta */
    {
        cJSON *without;
        int n;
        assert_int_equal(run(f, "demo@1.14.1", NULL, &out), 1);
        doc = cJSON_Parse(out);
        free(out);
        assert_int_equal(run(f, "demo@1.14.1", "--format json --no-delta", &out), 1);
        without = cJSON_Parse(out);
        free(out);
        n = count_findings(doc, "provenance-regression");
        assert_int_equal(n, 2);
        assert_int_equal(count_findings(without, "provenance-regression"), n);
        assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "findings")),
                         cJSON_GetArraySize(cJSON_GetObjectItem(without, "findings")));
        cJSON_Delete(doc);
        cJSON_Delete(without);
    }
    /* the text block, in one glance */
    assert_int_equal(run(f, "demo@1.14.1", "--format text", &out), 1);
    assert_non_null(strstr(out, "\ndelta since 1.14.0:\n"));
    assert_non_null(strstr(out, "  + dependencies.plain-crypto-js ^4.2.1\n"));
    assert_non_null(strstr(out, "  - scripts.prepare\n"));
    assert_non_null(strstr(out, "  provenance: present in 1.14.0, absent now\n"));
    assert_non_null(strstr(out, "  git-tag: present in 1.14.0, absent now\n"));
    assert_true(strstr(out, "delta since") > strstr(out, "verdict: fail"));
    if (getenv("SG_SHOW"))
        fputs(out, stderr);
    free(out);
}

static void test_delta__file_grown_a_hundredfold_is_named(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    cJSON *doc, *c;
    ver *v;
    reset(f);
    v = add(f, "1.0.0", PJ("1.0.0", "", ""));
    file_of(v, "lib/data.js", 4096);
    v = add(f, "1.0.1", PJ("1.0.1", "", ""));
    file_of(v, "lib/data.js", 409600);
    serve(f, "1.0.1");
    run(f, "demo@1.0.1", NULL, &out);
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_non_null(c = change(doc, "changed", "size", "lib/data.js"));
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(c, "before")), "4096");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(c, "after")), "409600");
    assert_null(change(doc, "changed", "dependencies", NULL));
    cJSON_Delete(doc);
    free(out);
    /* x2 is ordinary growth; a renamed file is one added and one removed */
    reset(f);
    v = add(f, "1.0.0", PJ("1.0.0", "", ""));
    file_of(v, "lib/data.js", 8192);
    v = add(f, "1.0.1", PJ("1.0.1", "", ""));
    file_of(v, "lib/data.js", 16384);
    v = add(f, "1.0.2", PJ("1.0.2", "", ""));
    file_of(v, "lib/other.js", 16384);
    serve(f, "1.0.2");
    run(f, "demo@1.0.1", NULL, &out);
    doc = cJSON_Parse(out);
    assert_null(change(doc, "changed", "size", "lib/data.js"));
    cJSON_Delete(doc);
    free(out);
    run(f, "demo@1.0.2", NULL, &out);
    doc = cJSON_Parse(out);
    assert_string_equal(delta_str(doc, "previous"), "1.0.1");
    assert_non_null(change(doc, "added", "files", "lib/other.js"));
    assert_non_null(change(doc, "removed", "files", "lib/data.js"));
    cJSON_Delete(doc);
    free(out);
}

static void test_delta__first_release_has_nothing_to_compare(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    cJSON *doc;
    reset(f);
    add(f, "1.0.0", PJ("1.0.0", "", ""));
    serve(f, "1.0.0");
    run(f, "demo@1.0.0", NULL, &out);
    doc = cJSON_Parse(out);
    assert_string_equal(delta_str(doc, "status"), "first-release");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(delta_of(doc), "previous")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(delta_of(doc), "changes")), 0);
    cJSON_Delete(doc);
    free(out);
}

static void test_delta__prerelease_follows_its_line(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    cJSON *doc;
    reset(f);
    add(f, "1.0.0", PJ("1.0.0", "", ""));
    add(f, "1.0.1", PJ("1.0.1", "", ""));
    add(f, "2.0.0-beta.1", PJ("2.0.0-beta.1", "\"a\":\"1\"", ""));
    add(f, "2.0.0-beta.2", PJ("2.0.0-beta.2", "\"a\":\"2\"", ""));
    add(f, "2.0.0-rc.1", PJ("2.0.0-rc.1", "\"a\":\"3\"", ""));
    add(f, "2.0.0", PJ("2.0.0", "\"a\":\"3\"", ""));
    serve(f, "1.0.1");
    run(f, "demo@2.0.0-beta.2", NULL, &out);
    doc = cJSON_Parse(out);
    assert_string_equal(delta_str(doc, "previous"), "2.0.0-beta.1");
    assert_non_null(change(doc, "changed", "dependencies", "a"));
    cJSON_Delete(doc);
    free(out);
    /* the first rc follows the last release, not a beta */
    run(f, "demo@2.0.0-rc.1", NULL, &out);
    doc = cJSON_Parse(out);
    assert_string_equal(delta_str(doc, "previous"), "1.0.1");
    assert_non_null(change(doc, "added", "dependencies", "a"));
    cJSON_Delete(doc);
    free(out);
    /* a release never follows a prerelease */
    run(f, "demo@2.0.0", NULL, &out);
    doc = cJSON_Parse(out);
    assert_string_equal(delta_str(doc, "previous"), "1.0.1");
    cJSON_Delete(doc);
    free(out);
}

static void test_delta__unreadable_predecessor_changes_no_verdict(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    cJSON *doc;
    int rc_with, rc_without;
    reset(f);
    add(f, "1.0.0", PJ("1.0.0", "", ""))->bad_integrity = 1;
    add(f, "1.0.1", PJ("1.0.1", "", ""));
    serve(f, "1.0.1");
    rc_with = run(f, "demo@1.0.1", NULL, &out);
    doc = cJSON_Parse(out);
    assert_string_equal(delta_str(doc, "status"), "unavailable");
    assert_string_equal(delta_str(doc, "previous"), "1.0.0");
    assert_non_null(strstr(delta_str(doc, "note"), "integrity"));
    assert_int_equal(count_findings(doc, "integrity-mismatch"), 0);
    cJSON_Delete(doc);
    free(out);
    rc_without = run(f, "demo@1.0.1", "--format json --no-delta", &out);
    doc = cJSON_Parse(out);
    assert_string_equal(delta_str(doc, "status"), "skipped");
    assert_int_equal(rc_with, rc_without);
    assert_true(rc_with != 2 && rc_with != 4);
    cJSON_Delete(doc);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delta__axios_shape_names_dependency_script_and_provenance),
        cmocka_unit_test(test_delta__file_grown_a_hundredfold_is_named),
        cmocka_unit_test(test_delta__first_release_has_nothing_to_compare),
        cmocka_unit_test(test_delta__prerelease_follows_its_line),
        cmocka_unit_test(test_delta__unreadable_predecessor_changes_no_verdict),
    };
    int rc = cmocka_run_group_tests(tests, setup, teardown);
    sgt_cleanup();
    return rc;
}
