/*
 * Bundled dependencies in registry mode (issue 15): the node_modules/ a release ships are
 * verified against the registry's own releases of those packages. Offline: a loopback
 * registry serves the packuments and tarballs, the repository is a libgit2 fixture.
 */
#include "sg_test.h"
#include "http_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPO_URL "git+https://github.com/Acme/app.git"
#define MAX_RELEASES 260

/* A release the registry serves: its packument and its tarball. */
typedef struct release {
    char name[64];      /* package name (unscoped) */
    char version[32];   /* its one version */
    unsigned char *tgz; /* the tarball */
    size_t tgz_len;     /* its bytes */
    char tgz_path[200]; /* "/name/-/name-V.tgz" */
    char pack_path[80]; /* "/name" */
    char *packument;    /* served at pack_path */
    int status;         /* the packument's HTTP status (0: 200) */
} release;

typedef struct fixture {
    char *dir;                               /* temporary folder */
    char repo[4096];                         /* the git repository */
    char file_url[4200];                     /* file:// URL of it */
    sgt_http_server *srv;                    /* the registry */
    release rel[MAX_RELEASES];               /* what it serves */
    size_t nrel;                             /* how many */
    sgt_http_route routes[2 * MAX_RELEASES]; /* packument and tarball of each */
    int runs;                                /* CLI runs so far (a fresh cache each) */
} fixture;

/* The application's manifest: it bundles "dep" (which depends on "sub" and "hoisted"). */
static const char *APP_PJ =
    "{\"name\":\"app\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"repository\":\"" REPO_URL
    "\",\"dependencies\":{\"dep\":\"^1.0.0\"},\"bundleDependencies\":[\"dep\"]}";
static const char *DEP_PJ = "{\"name\":\"dep\",\"version\":\"1.0.0\",\"main\":\"index.js\","
                            "\"dependencies\":{\"sub\":\"^2.0.0\",\"hoisted\":\"^3.0.0\"}}";
static const char *SUB_PJ = "{\"name\":\"sub\",\"version\":\"2.0.0\"}";
static const char *HOISTED_PJ = "{\"name\":\"hoisted\",\"version\":\"3.0.0\"}";

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

/* Add a release of name@version with package.json pj and files (paths without "package/"). */
static release *add_release(fixture *f, const char *name, const char *version, const char *pj,
                            const sgt_file *files, size_t n)
{
    release *r = &f->rel[f->nrel++];
    sgt_tar_entry e[16];
    char paths[16][256], *integrity;
    size_t i, size;

    assert_true(f->nrel <= MAX_RELEASES && n < 15);
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name);
    snprintf(r->version, sizeof(r->version), "%s", version);
    memset(e, 0, sizeof(e));
    e[0].path = "package/package.json";
    e[0].content = pj;
    for (i = 0; i < n; i++) {
        snprintf(paths[i], sizeof(paths[i]), "package/%s", files[i].path);
        e[i + 1].path = paths[i];
        e[i + 1].content = files[i].content;
    }
    sgt_tar_build(&r->tgz, &r->tgz_len, e, n + 1, 1);
    snprintf(r->tgz_path, sizeof(r->tgz_path), "/%s/-/%s-%s.tgz", name,
             strchr(name, '/') ? strchr(name, '/') + 1 : name, version);
    if (name[0] == '@') /* as npm asks for a scoped packument */
        snprintf(r->pack_path, sizeof(r->pack_path), "/%.*s%%2f%s", (int)(strchr(name, '/') - name),
                 name, strchr(name, '/') + 1);
    else
        snprintf(r->pack_path, sizeof(r->pack_path), "/%s", name);
    integrity = integrity_of(r->tgz, r->tgz_len);
    size = strlen(pj) + 1024;
    r->packument = malloc(size);
    snprintf(r->packument, size,
             "{\"name\":\"%s\",\"dist-tags\":{\"latest\":\"%s\"},\"versions\":{\"%s\":%.*s,"
             "\"dist\":{\"tarball\":\"%s%s\",\"integrity\":\"%s\"}}}}",
             name, version, version, (int)strlen(pj) - 1, pj, sgt_http_base_url(f->srv),
             r->tgz_path + 1, integrity);
    free(integrity);
    return r;
}

/* Serve every release added so far. */
static void serve(fixture *f)
{
    size_t i;
    memset(f->routes, 0, sizeof(f->routes));
    for (i = 0; i < f->nrel; i++) {
        f->routes[2 * i].target = f->rel[i].pack_path;
        f->routes[2 * i].body = f->rel[i].packument;
        f->routes[2 * i].status = f->rel[i].status;
        f->routes[2 * i + 1].target = f->rel[i].tgz_path;
        f->routes[2 * i + 1].body = f->rel[i].tgz;
        f->routes[2 * i + 1].body_len = f->rel[i].tgz_len;
    }
    sgt_http_set_routes(f->srv, f->routes, 2 * f->nrel);
}

/* The application's release: its own files plus the artifact's node_modules entries. */
static void add_app(fixture *f, const sgt_file *bundled, size_t n, const char *pj)
{
    sgt_file files[14];
    size_t i;
    assert_true(n < 13);
    files[0].path = "index.js";
    files[0].content = "module.exports = require('dep');\n";
    for (i = 0; i < n; i++)
        files[i + 1] = bundled[i];
    add_release(f, "app", "1.0.0", pj ? pj : APP_PJ, files, n + 1);
}

/* The registry's dep, sub and hoisted, as the artifact bundles them. */
static const sgt_file BUNDLED[] = {
    {"node_modules/dep/package.json", NULL, 0, 0},
    {"node_modules/dep/index.js", "module.exports = require('sub');\n", 0, 0},
    {"node_modules/dep/node_modules/sub/package.json", NULL, 0, 0},
    {"node_modules/dep/node_modules/sub/s.js", "module.exports = 2;\n", 0, 0},
    {"node_modules/hoisted/package.json", NULL, 0, 0},
    {"node_modules/hoisted/h.js", "module.exports = 3;\n", 0, 0},
};

static void bundled_files(sgt_file out[6])
{
    memcpy(out, BUNDLED, sizeof(BUNDLED));
    out[0].content = DEP_PJ;
    out[2].content = SUB_PJ;
    out[4].content = HOISTED_PJ;
}

/* dep, sub and hoisted in the registry (dep with one more file that it does not pack). */
static void add_dependencies(fixture *f)
{
    sgt_file dep[] = {{"index.js", "module.exports = require('sub');\n", 0, 0},
                      {"README.md", "# dep\n", 0, 0}};
    sgt_file sub[] = {{"s.js", "module.exports = 2;\n", 0, 0}};
    sgt_file hoisted[] = {{"h.js", "module.exports = 3;\n", 0, 0}};
    add_release(f, "dep", "1.0.0", DEP_PJ, dep, 2);
    add_release(f, "sub", "2.0.0", SUB_PJ, sub, 1);
    add_release(f, "hoisted", "3.0.0", HOISTED_PJ, hoisted, 1);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    f->dir = sgt_tmpdir();
    sgt_http_start_routes(&f->srv, NULL, 0);
    *state = f;
    return 0;
}

/* A repository whose tag v1.0.0 holds the application's source (pj: its package.json) and
 * n more files (a committed node_modules/, say). */
static void make_repo_with(fixture *f, const char *pj, const sgt_file *more, size_t n)
{
    char commit[41];
    sgt_file src[8] = {{"package.json", pj ? pj : APP_PJ, 0, 0},
                       {"index.js", "module.exports = require('dep');\n", 0, 0}};
    assert_true(n <= 6);
    if (n)
        memcpy(src + 2, more, n * sizeof(*more));
    snprintf(f->repo, sizeof(f->repo), "%s/repo%d.git", f->dir, f->runs);
    snprintf(f->file_url, sizeof(f->file_url), "file://%s", f->repo);
    sgt_git_init(f->repo, 1);
    sgt_git_commit(commit, f->repo, NULL, src, n + 2, "1.0.0", 0);
    sgt_git_tag(f->repo, "v1.0.0", commit, 1);
}

static void make_repo(fixture *f, const char *pj)
{
    make_repo_with(f, pj, NULL, 0);
}

static int teardown(void **state)
{
    fixture *f = *state;
    size_t i;
    sgt_http_stop(f->srv);
    for (i = 0; i < f->nrel; i++) {
        free(f->rel[i].tgz);
        free(f->rel[i].packument);
    }
    free(f);
    return 0;
}

/* Run the CLI on app@1.0.0 with a fresh cache; its exit code, stdout (JSON) and stderr. */
static int run(fixture *f, char **out, char **err)
{
    char cmd[16384];
    int rc;
    f->runs++;
    snprintf(cmd, sizeof(cmd),
             "HOME='%s' npm_config_registry= '%s' verify app@1.0.0 --registry '%s' "
             "--cache '%s/cache%d' --git-rewrite https://github.com/acme/app.git='%s' "
             "--format json",
             f->dir, getenv("SG_CLI"), sgt_http_base_url(f->srv), f->dir, f->runs, f->file_url);
    rc = sgt_run(cmd, out, err);
    if (rc == 2)
        print_error("%s\nstderr: %s\n", cmd, *err);
    return rc;
}

/* The finding of kind at path, or NULL. */
static cJSON *finding_at(cJSON *doc, const char *kind, const char *path)
{
    cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "findings"))
    {
        const char *k = cJSON_GetStringValue(cJSON_GetObjectItem(it, "kind"));
        const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(it, "path"));
        if (k && !strcmp(k, kind) && p && !strcmp(p, path))
            return it;
    }
    return NULL;
}

static int has_string(cJSON *array, const char *needle)
{
    cJSON *it;
    cJSON_ArrayForEach(it, array)
    {
        const char *s = cJSON_GetStringValue(it);
        if (s && strstr(s, needle))
            return 1;
    }
    return 0;
}

static const char *verdict(cJSON *doc)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(doc, "verdict"));
}

/* Build the registry with the artifact's bundled files (one may be replaced), run, parse. */
static cJSON *verify(fixture *f, int expect_rc, const char *changed_path, const char *content)
{
    sgt_file files[6];
    char *out = NULL, *err = NULL;
    cJSON *doc;
    size_t i;
    bundled_files(files);
    for (i = 0; changed_path && i < 6; i++)
        if (strcmp(files[i].path, changed_path) == 0)
            files[i].content = content;
    add_app(f, files, 6, NULL);
    serve(f);
    make_repo(f, NULL);
    assert_int_equal(run(f, &out, &err), expect_rc);
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    free(out);
    free(err);
    return doc;
}

static void test_bundled__equal_to_the_registry_passes(void **state)
{
    fixture *f = *state;
    cJSON *doc;
    add_dependencies(f);
    doc = verify(f, 0, NULL, NULL);
    assert_string_equal(verdict(doc), "pass");
    assert_true(has_string(cJSON_GetObjectItem(doc, "normalizations"), "bundled-from-registry"));
    assert_true(has_string(cJSON_GetObjectItem(doc, "checks"), "node_modules/dep is dep@1.0.0"));
    assert_true(has_string(cJSON_GetObjectItem(doc, "checks"),
                           "node_modules/dep/node_modules/sub is sub@2.0.0"));
    assert_true(
        has_string(cJSON_GetObjectItem(doc, "checks"), "node_modules/hoisted is hoisted@3.0.0"));
    /* every artifact file is counted, the bundled ones as explained */
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "artifact"), "files")->valueint,
                     8);
    assert_int_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "counts"), "files_explained")->valueint, 6);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "counts"), "findings")->valueint,
                     0);
    cJSON_Delete(doc);
}

static void test_bundled__changed_file_fails_high_naming_the_release(void **state)
{
    fixture *f = *state;
    cJSON *doc, *x;
    add_dependencies(f);
    doc = verify(f, 1, "node_modules/dep/index.js", "require('child_process').exec('x');\n");
    assert_string_equal(verdict(doc), "fail");
    x = finding_at(doc, "file-modified", "node_modules/dep/index.js");
    assert_non_null(x);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(x, "severity")), "high");
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(x, "detail")), "dep@1.0.0"));
    /* the other bundled files still verify */
    assert_null(finding_at(doc, "file-modified", "node_modules/hoisted/h.js"));
    assert_null(finding_at(doc, "file-added", "node_modules/hoisted/h.js"));
    cJSON_Delete(doc);
}

static void test_bundled__nested_file_changed_fails_naming_the_nested_release(void **state)
{
    fixture *f = *state;
    cJSON *doc, *x;
    add_dependencies(f);
    doc = verify(f, 1, "node_modules/dep/node_modules/sub/s.js", "module.exports = 666;\n");
    x = finding_at(doc, "file-modified", "node_modules/dep/node_modules/sub/s.js");
    assert_non_null(x);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(x, "severity")), "high");
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(x, "detail")), "sub@2.0.0"));
    cJSON_Delete(doc);
}

/* A bundled file patched in the artifact and committed with those bytes: the source explains
 * it, whatever the registry says; committed with other bytes, it stays a finding. */
static void patched_and_committed(void **state, const char *committed, int expect_rc)
{
    static const char *patched = "module.exports = require('sub') + 'patched';\n";
    fixture *f = *state;
    sgt_file files[6], more[] = {{"node_modules/dep/index.js", committed, 0, 0}};
    char *out = NULL, *err = NULL;
    cJSON *doc, *x;
    add_dependencies(f);
    bundled_files(files);
    files[1].content = patched;
    add_app(f, files, 6, NULL);
    serve(f);
    make_repo_with(f, NULL, more, 1);
    assert_int_equal(run(f, &out, &err), expect_rc);
    doc = cJSON_Parse(out);
    x = finding_at(doc, "file-modified", "node_modules/dep/index.js");
    if (expect_rc == 0) {
        assert_null(x);
        assert_true(has_string(cJSON_GetObjectItem(doc, "normalizations"), "ignored-but-tracked"));
        assert_int_equal(
            cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "counts"), "files_explained")->valueint,
            6);
    } else {
        assert_non_null(x);
        assert_non_null(
            strstr(cJSON_GetStringValue(cJSON_GetObjectItem(x, "detail")), "dep@1.0.0"));
    }
    cJSON_Delete(doc);
    free(out);
    free(err);
}

static void test_bundled__patched_file_committed_with_those_bytes_passes(void **state)
{
    patched_and_committed(state, "module.exports = require('sub') + 'patched';\n", 0);
}

static void test_bundled__patched_file_committed_with_other_bytes_fails(void **state)
{
    patched_and_committed(state, "module.exports = require('sub') + 'other';\n", 1);
}

static void test_bundled__file_the_release_lacks_is_added_high(void **state)
{
    fixture *f = *state;
    sgt_file files[7];
    char *out = NULL, *err = NULL;
    cJSON *doc, *x;
    add_dependencies(f);
    bundled_files(files);
    files[6].path = "node_modules/dep/postinstall.js";
    files[6].content = "steal();\n";
    files[6].len = 0;
    files[6].mode = 0;
    add_app(f, files, 7, NULL);
    serve(f);
    make_repo(f, NULL);
    assert_int_equal(run(f, &out, &err), 1);
    doc = cJSON_Parse(out);
    x = finding_at(doc, "file-added", "node_modules/dep/postinstall.js");
    assert_non_null(x);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(x, "severity")), "high");
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(x, "detail")), "dep@1.0.0"));
    cJSON_Delete(doc);
    free(out);
    free(err);
}

static void test_bundled__release_unknown_to_the_registry_is_inconclusive(void **state)
{
    fixture *f = *state;
    sgt_file sub[] = {{"s.js", "module.exports = 2;\n", 0, 0}};
    sgt_file hoisted[] = {{"h.js", "module.exports = 3;\n", 0, 0}};
    cJSON *doc, *x;
    /* no "dep" at all: the registry answers 404 */
    add_release(f, "sub", "2.0.0", SUB_PJ, sub, 1);
    add_release(f, "hoisted", "3.0.0", HOISTED_PJ, hoisted, 1);
    doc = verify(f, 3, NULL, NULL);
    assert_string_equal(verdict(doc), "inconclusive");
    x = finding_at(doc, "file-unverified", "node_modules/dep/index.js");
    assert_non_null(x);
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(x, "detail")),
                           "the registry has no package 'dep'"));
    assert_null(finding_at(doc, "file-added", "node_modules/dep/index.js"));
    cJSON_Delete(doc);
}

static void test_bundled__version_unknown_to_the_registry_is_inconclusive(void **state)
{
    fixture *f = *state;
    sgt_file dep[] = {{"index.js", "module.exports = require('sub');\n", 0, 0}};
    sgt_file sub[] = {{"s.js", "module.exports = 2;\n", 0, 0}};
    sgt_file hoisted[] = {{"h.js", "module.exports = 3;\n", 0, 0}};
    cJSON *doc, *x;
    /* the registry knows dep, but only 0.9.0 */
    add_release(f, "dep", "0.9.0", "{\"name\":\"dep\",\"version\":\"0.9.0\"}", dep, 1);
    add_release(f, "sub", "2.0.0", SUB_PJ, sub, 1);
    add_release(f, "hoisted", "3.0.0", HOISTED_PJ, hoisted, 1);
    doc = verify(f, 3, NULL, NULL);
    x = finding_at(doc, "file-unverified", "node_modules/dep/index.js");
    assert_non_null(x);
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(x, "detail")),
                           "the registry has no dep@1.0.0"));
    /* the others still verify */
    assert_null(finding_at(doc, "file-unverified", "node_modules/hoisted/h.js"));
    cJSON_Delete(doc);
}

static void test_bundled__invalid_version_is_inconclusive(void **state)
{
    fixture *f = *state;
    cJSON *doc, *x;
    add_dependencies(f);
    doc = verify(f, 3, "node_modules/hoisted/package.json",
                 "{\"name\":\"hoisted\",\"version\":\"latest\"}");
    x = finding_at(doc, "file-unverified", "node_modules/hoisted/h.js");
    assert_non_null(x);
    assert_non_null(
        strstr(cJSON_GetStringValue(cJSON_GetObjectItem(x, "detail")), "no valid version"));
    cJSON_Delete(doc);
}

/* npm 5 and 6 wrote "_" fields and false flags into an installed package.json. */
static const char *INSTALLED_HOISTED_PJ =
    "{\n  \"_from\": \"hoisted@^3.0.0\",\n  \"_resolved\": \"https://registry.example/"
    "hoisted/-/hoisted-3.0.0.tgz\",\n  \"bundleDependencies\": false,\n  \"deprecated\": "
    "false,\n  \"name\": \"hoisted\",\n  \"version\": \"3.0.0\"\n}\n";

static void test_bundled__installer_fields_of_older_npm_are_explained(void **state)
{
    fixture *f = *state;
    cJSON *doc;
    add_dependencies(f);
    doc = verify(f, 0, "node_modules/hoisted/package.json", INSTALLED_HOISTED_PJ);
    assert_string_equal(verdict(doc), "pass");
    assert_true(has_string(cJSON_GetObjectItem(doc, "normalizations"), "bundled-installer-fields"));
    cJSON_Delete(doc);
}

static void test_bundled__installer_fields_do_not_hide_a_script(void **state)
{
    fixture *f = *state;
    cJSON *doc, *x;
    add_dependencies(f);
    doc = verify(f, 1, "node_modules/hoisted/package.json",
                 "{\"_from\":\"hoisted@^3.0.0\",\"name\":\"hoisted\",\"version\":\"3.0.0\","
                 "\"scripts\":{\"install\":\"node steal.js\"}}");
    x = finding_at(doc, "file-modified", "node_modules/hoisted/package.json");
    assert_non_null(x);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(x, "severity")), "high");
    assert_false(
        has_string(cJSON_GetObjectItem(doc, "normalizations"), "bundled-installer-fields"));
    cJSON_Delete(doc);
}

static void test_bundled__scoped_package_verifies_and_stray_files_stay_findings(void **state)
{
    static const char *pj =
        "{\"name\":\"app\",\"version\":\"1.0.0\",\"main\":\"index.js\",\"repository\":\"" REPO_URL
        "\",\"dependencies\":{\"@acme/scoped\":\"^1.0.0\"},\"bundledDependencies\":"
        "[\"@acme/scoped\"]}";
    static const char *scoped_pj = "{\"name\":\"@acme/scoped\",\"version\":\"1.0.0\"}";
    fixture *f = *state;
    sgt_file rel[] = {{"i.js", "module.exports = 'scoped';\n", 0, 0}};
    sgt_file files[] = {{"node_modules/@acme/scoped/package.json", scoped_pj, 0, 0},
                        {"node_modules/@acme/scoped/i.js", "module.exports = 'scoped';\n", 0, 0},
                        {"node_modules/stray.js", "evil();\n", 0, 0},
                        {"node_modules/@acme/loose.js", "evil();\n", 0, 0},
                        {"node_modules/.bin/tool", "#!/bin/sh\nevil\n", 0, 0}};
    char *out = NULL, *err = NULL;
    cJSON *doc;
    add_release(f, "@acme/scoped", "1.0.0", scoped_pj, rel, 1);
    add_app(f, files, 5, pj);
    serve(f);
    make_repo(f, pj);
    assert_int_equal(run(f, &out, &err), 1);
    doc = cJSON_Parse(out);
    assert_true(has_string(cJSON_GetObjectItem(doc, "checks"),
                           "node_modules/@acme/scoped is @acme/scoped@1.0.0: 2 files equal"));
    assert_null(finding_at(doc, "file-added", "node_modules/@acme/scoped/i.js"));
    assert_non_null(finding_at(doc, "file-added", "node_modules/stray.js"));
    assert_non_null(finding_at(doc, "file-added", "node_modules/@acme/loose.js"));
    assert_non_null(finding_at(doc, "file-added", "node_modules/.bin/tool"));
    cJSON_Delete(doc);
    free(out);
    free(err);
}

static void test_bundled__folder_naming_another_package_is_inconclusive(void **state)
{
    fixture *f = *state;
    cJSON *doc, *x;
    add_dependencies(f);
    /* node_modules/hoisted holds sub@2.0.0's files: a release, but not the one bundled */
    doc = verify(f, 3, "node_modules/hoisted/package.json", SUB_PJ);
    x = finding_at(doc, "file-unverified", "node_modules/hoisted/h.js");
    assert_non_null(x);
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(x, "detail")),
                           "names 'sub', not the folder's package"));
    cJSON_Delete(doc);
}

static void test_bundled__registry_error_is_an_error_not_a_verdict(void **state)
{
    fixture *f = *state;
    sgt_file files[6];
    char *out = NULL, *err = NULL;
    add_dependencies(f);
    f->rel[0].status = 500; /* dep's packument */
    bundled_files(files);
    add_app(f, files, 6, NULL);
    serve(f);
    make_repo(f, NULL);
    assert_int_equal(run(f, &out, &err), 4);
    assert_non_null(strstr(err, "dep"));
    free(out);
    free(err);
}

static void test_bundled__folder_not_bundled_stays_a_finding(void **state)
{
    fixture *f = *state;
    sgt_file files[8];
    char *out = NULL, *err = NULL;
    size_t before;
    cJSON *doc, *x;
    add_dependencies(f);
    bundled_files(files);
    files[6].path = "node_modules/other/package.json";
    files[6].content = "{\"name\":\"other\",\"version\":\"1.0.0\"}";
    files[7].path = "node_modules/other/o.js";
    files[7].content = "evil();\n";
    files[6].len = files[7].len = 0;
    files[6].mode = files[7].mode = 0;
    add_app(f, files, 8, NULL);
    serve(f);
    make_repo(f, NULL);
    before = sgt_http_request_count(f->srv);
    assert_int_equal(run(f, &out, &err), 1);
    doc = cJSON_Parse(out);
    x = finding_at(doc, "file-added", "node_modules/other/o.js");
    assert_non_null(x);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(x, "severity")), "high");
    /* the bundled ones still verify */
    assert_null(finding_at(doc, "file-added", "node_modules/dep/index.js"));
    {
        /* "other" was never asked of the registry */
        size_t i;
        sgt_http_request q;
        for (i = before; i < sgt_http_request_count(f->srv); i++) {
            sgt_http_request_get(f->srv, i, &q);
            assert_null(strstr(q.target, "other"));
        }
    }
    cJSON_Delete(doc);
    free(out);
    free(err);
}

#define MANY 1001

/* An application bundling n packages pkgNNNN (bundleDependencies: true); the registry has
 * those from `registered` on, and the ones below `valid` have no valid version. */
static void add_many(fixture *f, size_t n, size_t registered, size_t valid)
{
    static char names[MANY][32], pjs[MANY][128], paths[2 * MANY][96];
    static char app_pj[MANY * 32];
    static sgt_tar_entry e[2 * MANY + 2];
    sgt_file one[1];
    release *app;
    char *integrity, version[32];
    size_t i, len, size;

    assert_true(n <= MANY && n - registered < MAX_RELEASES);
    len = (size_t)snprintf(app_pj, sizeof(app_pj),
                           "{\"name\":\"app\",\"version\":\"1.0.0\",\"main\":\"index.js\","
                           "\"repository\":\"" REPO_URL "\",\"bundleDependencies\":true,"
                           "\"dependencies\":{");
    memset(e, 0, sizeof(e));
    for (i = 0; i < n; i++) {
        snprintf(names[i], sizeof(names[i]), "pkg%04zu", i);
        snprintf(version, sizeof(version), i < valid ? "latest" : "1.0.%zu", i);
        snprintf(pjs[i], sizeof(pjs[i]), "{\"name\":\"%s\",\"version\":\"%s\"}", names[i], version);
        one[0].path = "index.js";
        one[0].content = names[i];
        one[0].len = 0;
        one[0].mode = 0;
        if (i >= registered)
            add_release(f, names[i], version, pjs[i], one, 1);
        len += (size_t)snprintf(app_pj + len, sizeof(app_pj) - len, "%s\"%s\":\"^1.0.0\"",
                                i ? "," : "", names[i]);
        snprintf(paths[2 * i], sizeof(paths[0]), "package/node_modules/%s/package.json", names[i]);
        snprintf(paths[2 * i + 1], sizeof(paths[0]), "package/node_modules/%s/index.js", names[i]);
        e[2 * i].path = paths[2 * i];
        e[2 * i].content = pjs[i];
        e[2 * i + 1].path = paths[2 * i + 1];
        e[2 * i + 1].content = names[i];
    }
    snprintf(app_pj + len, sizeof(app_pj) - len, "}}");
    /* the application's release, built by hand: 2n + 2 entries */
    e[2 * n].path = "package/package.json";
    e[2 * n].content = app_pj;
    e[2 * n + 1].path = "package/index.js";
    e[2 * n + 1].content = "module.exports = require('dep');\n";
    app = &f->rel[f->nrel++];
    memset(app, 0, sizeof(*app));
    sgt_tar_build(&app->tgz, &app->tgz_len, e, 2 * n + 2, 1);
    snprintf(app->tgz_path, sizeof(app->tgz_path), "/app/-/app-1.0.0.tgz");
    snprintf(app->pack_path, sizeof(app->pack_path), "/app");
    integrity = integrity_of(app->tgz, app->tgz_len);
    size = strlen(app_pj) + 1024;
    app->packument = malloc(size);
    snprintf(app->packument, size,
             "{\"name\":\"app\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":%.*s,"
             "\"dist\":{\"tarball\":\"%sapp/-/app-1.0.0.tgz\",\"integrity\":\"%s\"}}}}",
             (int)strlen(app_pj) - 1, app_pj, sgt_http_base_url(f->srv), integrity);
    free(integrity);
    serve(f);
    make_repo(f, app_pj);
}

/* 200 bundled packages, all equal to the registry's: pass; prints the time it took. */
static void test_bundled__two_hundred_bundled_releases_pass(void **state)
{
    fixture *f = *state;
    char *out = NULL, *err = NULL;
    struct timespec t0, t1;
    cJSON *doc;

    add_many(f, 200, 0, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(run(f, &out, &err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    doc = cJSON_Parse(out);
    assert_string_equal(verdict(doc), "pass");
    assert_true(
        has_string(cJSON_GetObjectItem(doc, "checks"), "node_modules/pkg0199 is pkg0199@1.0.199"));
    printf("bundled: 200 releases verified over loopback in %.2f s\n",
           (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    cJSON_Delete(doc);
    free(out);
    free(err);
}

/* Past 1,000 bundled releases the rest are not fetched: unverified, saying why. The first
 * 1,000 have no valid version (nothing to fetch, so the test stays fast). */
static void test_bundled__past_the_release_bound_is_unverified(void **state)
{
    fixture *f = *state;
    char *out = NULL, *err = NULL;
    size_t i, before;
    sgt_http_request q;
    cJSON *doc, *x;

    add_many(f, MANY, MANY - 1, MANY - 1);
    before = sgt_http_request_count(f->srv);
    assert_int_equal(run(f, &out, &err), 3);
    doc = cJSON_Parse(out);
    x = finding_at(doc, "file-unverified", "node_modules/pkg1000/index.js");
    assert_non_null(x);
    assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(x, "detail")),
                           "more than 1000 bundled releases"));
    x = finding_at(doc, "file-unverified", "node_modules/pkg0999/index.js");
    assert_non_null(x);
    assert_non_null(
        strstr(cJSON_GetStringValue(cJSON_GetObjectItem(x, "detail")), "no valid version"));
    for (i = before; i < sgt_http_request_count(f->srv); i++) {
        sgt_http_request_get(f->srv, i, &q);
        assert_null(strstr(q.target, "pkg1000"));
    }
    cJSON_Delete(doc);
    free(out);
    free(err);
}

/* Each test gets a registry of its own. */
static int reset(void **state)
{
    fixture *f = *state;
    size_t i;
    for (i = 0; i < f->nrel; i++) {
        free(f->rel[i].tgz);
        free(f->rel[i].packument);
    }
    f->nrel = 0;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_bundled__equal_to_the_registry_passes, reset),
        cmocka_unit_test_setup(test_bundled__changed_file_fails_high_naming_the_release, reset),
        cmocka_unit_test_setup(test_bundled__nested_file_changed_fails_naming_the_nested_release,
                               reset),
        cmocka_unit_test_setup(test_bundled__patched_file_committed_with_those_bytes_passes, reset),
        cmocka_unit_test_setup(test_bundled__patched_file_committed_with_other_bytes_fails, reset),
        cmocka_unit_test_setup(test_bundled__file_the_release_lacks_is_added_high, reset),
        cmocka_unit_test_setup(test_bundled__release_unknown_to_the_registry_is_inconclusive,
                               reset),
        cmocka_unit_test_setup(test_bundled__version_unknown_to_the_registry_is_inconclusive,
                               reset),
        cmocka_unit_test_setup(test_bundled__invalid_version_is_inconclusive, reset),
        cmocka_unit_test_setup(test_bundled__installer_fields_of_older_npm_are_explained, reset),
        cmocka_unit_test_setup(test_bundled__installer_fields_do_not_hide_a_script, reset),
        cmocka_unit_test_setup(test_bundled__scoped_package_verifies_and_stray_files_stay_findings,
                               reset),
        cmocka_unit_test_setup(test_bundled__folder_naming_another_package_is_inconclusive, reset),
        cmocka_unit_test_setup(test_bundled__registry_error_is_an_error_not_a_verdict, reset),
        cmocka_unit_test_setup(test_bundled__folder_not_bundled_stays_a_finding, reset),
        cmocka_unit_test_setup(test_bundled__two_hundred_bundled_releases_pass, reset),
        cmocka_unit_test_setup(test_bundled__past_the_release_bound_is_unverified, reset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
