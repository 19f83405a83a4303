/*
 * sourcegate lockfile end to end, offline: a loopback registry serves four packages, their
 * repositories are fixtures made with libgit2 (reached through --git-rewrite), and the
 * lockfiles (npm v3, yarn classic, pnpm v9) are written here with the registry's digests.
 *
 *   alpha@1.0.0          tagged, genuine                       -> pass
 *   beta@1.0.0           tagged, genuine                       -> pass
 *   beta@1.0.1           untagged, adds a dependency           -> fail (dependency-added)
 *   gamma@1.0.0          genuine, but the lockfile's integrity
 *                        differs from the registry's           -> fail (integrity-mismatch)
 *   @scope/delta@2.0.0   tagged, genuine, scoped               -> pass
 * plus git, file and link entries, listed as not verifiable.
 */
#include "sg_test.h"
#include "http_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPKG 5

typedef struct pkg {
    const char *name;      /* package name */
    const char *version;   /* its version */
    const char *extra_dep; /* a dependency the tarball adds over the source, or NULL */
    int tagged;            /* the repository tags v<version> */
    char *pj;              /* package.json */
    unsigned char *tgz;    /* tarball */
    size_t tgz_len;
    char *integrity;    /* sha512 SRI of tgz */
    char tgz_path[128]; /* where the registry serves it */
} pkg;

typedef struct fixture {
    char *dir;                 /* temporary folder */
    sgt_http_server *srv;      /* the registry */
    sgt_http_route routes[16]; /* its routes */
    char *packuments[4];       /* alpha, beta, gamma, @scope/delta */
    pkg p[NPKG];               /* the releases */
    char rewrite[4300];        /* --git-rewrite https://github.com/acme/=file://DIR/repos/ */
    unsigned line[NPKG];       /* line of each release in the last npm lockfile written */
} fixture;

static pkg PKGS[NPKG] = {
    {"alpha", "1.0.0", NULL, 1},
    {"beta", "1.0.0", NULL, 1},
    {"beta", "1.0.1", "plain-crypto-js", 0},
    {"gamma", "1.0.0", NULL, 1},
    {"@scope/delta", "2.0.0", NULL, 1},
};

static const char *basename_of(const char *name)
{
    const char *s = strrchr(name, '/');
    return s ? s + 1 : name;
}

static char *make_pj(const char *name, const char *version, const char *dep)
{
    char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"name\":\"%s\",\"version\":\"%s\",\"main\":\"index.js\",\"repository\":"
             "\"git+https://github.com/acme/%s.git\",\"dependencies\":{\"ms\":\"^2.1.3\"%s%s%s}}",
             name, version, basename_of(name), dep ? ",\"" : "", dep ? dep : "",
             dep ? "\":\"^4.2.1\"" : "");
    return strdup(buf);
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

/* The repository of a package: the genuine package.json and index.js, tagged as asked. */
static void make_repo(fixture *f, const char *name)
{
    char repo[4300], commit[41], tag[64];
    size_t i;
    snprintf(repo, sizeof(repo), "%s/repos/%s.git", f->dir, basename_of(name));
    sgt_git_init(repo, 1);
    for (i = 0; i < NPKG; i++) {
        char *pj;
        if (strcmp(f->p[i].name, name) != 0)
            continue;
        pj = make_pj(name, f->p[i].version, NULL); /* the source never has the extra dep */
        {
            sgt_file files[] = {{"package.json", pj, 0, 0},
                                {"index.js", "module.exports = 1;\n", 0, 0}};
            sgt_git_commit(commit, repo, NULL, files, 2, f->p[i].version, (int64_t)i * 60);
        }
        if (f->p[i].tagged) {
            snprintf(tag, sizeof(tag), "v%s", f->p[i].version);
            sgt_git_tag(repo, tag, commit, 1);
        }
        free(pj);
    }
}

/* The packument of `name` with every version of it. */
static char *packument(fixture *f, const char *name)
{
    char *body = calloc(1, 65536);
    size_t i, n;
    int first = 1;
    n = (size_t)snprintf(body, 65536,
                         "{\"name\":\"%s\",\"dist-tags\":{\"latest\":\"%s\"},"
                         "\"versions\":{",
                         name, "1.0.0");
    for (i = 0; i < NPKG; i++) {
        if (strcmp(f->p[i].name, name) != 0)
            continue;
        n += (size_t)snprintf(body + n, 65536 - n,
                              "%s\"%s\":%.*s,\"dist\":{\"tarball\":\"%s%s\",\"integrity\":\"%s\"}}",
                              first ? "" : ",", f->p[i].version, (int)strlen(f->p[i].pj) - 1,
                              f->p[i].pj, sgt_http_base_url(f->srv), f->p[i].tgz_path + 1,
                              f->p[i].integrity);
        first = 0;
    }
    snprintf(body + n, 65536 - n, "}}");
    return body;
}

static int setup(void **state)
{
    static const char *names[4] = {"alpha", "beta", "gamma", "@scope/delta"};
    static const char *targets[4] = {"/alpha", "/beta", "/gamma", "/@scope%2fdelta"};
    fixture *f = calloc(1, sizeof(*f));
    size_t i, r = 0;

    f->dir = sgt_tmpdir();
    memcpy(f->p, PKGS, sizeof(PKGS));
    sgt_http_start_routes(&f->srv, NULL, 0);
    for (i = 0; i < NPKG; i++) {
        pkg *p = &f->p[i];
        sgt_tar_entry e[2] = {{"package/package.json", NULL, 0, 0, 0, NULL},
                              {"package/index.js", "module.exports = 1;\n", 0, 0, 0, NULL}};
        p->pj = make_pj(p->name, p->version, p->extra_dep);
        e[0].content = p->pj;
        sgt_tar_build(&p->tgz, &p->tgz_len, e, 2, 1);
        p->integrity = integrity_of(p->tgz, p->tgz_len);
        snprintf(p->tgz_path, sizeof(p->tgz_path), "/%s/-/%s-%s.tgz", p->name, basename_of(p->name),
                 p->version);
        f->routes[r].target = p->tgz_path;
        f->routes[r].body = p->tgz;
        f->routes[r].body_len = p->tgz_len;
        r++;
    }
    for (i = 0; i < 4; i++) {
        f->packuments[i] = packument(f, names[i]);
        f->routes[r].target = targets[i];
        f->routes[r].body = f->packuments[i];
        r++;
        make_repo(f, names[i]);
    }
    sgt_http_set_routes(f->srv, f->routes, r);
    snprintf(f->rewrite, sizeof(f->rewrite), "https://github.com/acme/=file://%s/repos/", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    size_t i;
    sgt_http_stop(f->srv);
    for (i = 0; i < NPKG; i++) {
        free(f->p[i].pj);
        free(f->p[i].tgz);
        free(f->p[i].integrity);
    }
    for (i = 0; i < 4; i++)
        free(f->packuments[i]);
    free(f);
    sgt_cleanup();
    return 0;
}

/* ---- lockfiles ---- */

/* The integrity the lockfile writes for release i: gamma's is another package's. */
static const char *lock_integrity(const fixture *f, size_t i)
{
    return strcmp(f->p[i].name, "gamma") == 0 ? f->p[0].integrity : f->p[i].integrity;
}

/* An npm v3 lockfile pinning the releases whose bit is set in `which`, plus git, file and
 * link entries. Records each release's line in f->line. */
static char *npm_lock(fixture *f, unsigned which)
{
    size_t cap = 65536, n = 0, i;
    char *s = malloc(cap);
    unsigned line = 6;
    n += (size_t)snprintf(s, cap,
                          "{\n  \"name\": \"app\",\n  \"lockfileVersion\": 3,\n"
                          "  \"requires\": true,\n  \"packages\": {\n");
    n += (size_t)snprintf(s + n, cap - n, "    \"\": {\n      \"name\": \"app\"\n    },\n");
    line += 3;
    for (i = 0; i < NPKG; i++) {
        if (!(which & (1u << i)))
            continue;
        f->line[i] = line;
        n +=
            (size_t)snprintf(s + n, cap - n,
                             "    \"node_modules/%s\": {\n      \"version\": \"%s\",\n"
                             "      \"resolved\": \"https://registry.npmjs.org%s\",\n"
                             "      \"integrity\": \"%s\"\n    },\n",
                             f->p[i].name, f->p[i].version, f->p[i].tgz_path, lock_integrity(f, i));
        line += 5;
    }
    n += (size_t)snprintf(
        s + n, cap - n,
        "    \"node_modules/gitdep\": {\n      \"version\": \"1.0.0\",\n      \"resolved\": "
        "\"git+ssh://git@github.com/acme/gitdep.git#0123456789abcdef0123456789abcdef01234567\"\n"
        "    },\n"
        "    \"node_modules/filedep\": {\n      \"version\": \"1.0.0\",\n      \"resolved\": "
        "\"file:vendor/filedep-1.0.0.tgz\",\n      \"integrity\": \"sha512-AAAA\"\n    },\n"
        "    \"node_modules/linkdep\": {\n      \"resolved\": \"linkdep\",\n      \"link\": true\n"
        "    }\n  }\n}\n");
    return s;
}

static void write_lock(fixture *f, const char *name, const char *text, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", f->dir, name);
    sgt_write_file(path, text, strlen(text), 0);
}

/* Run the CLI; returns the exit code, stdout in *out. */
static int run(fixture *f, const char *lockfile, const char *extra, char **out, char **err_out)
{
    char cmd[16384], cache[4200];
    char *err = NULL;
    int rc;
    snprintf(cache, sizeof(cache), "%s/cache", f->dir);
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && HOME='%s' npm_config_registry= CI=1 '%s' lockfile '%s' --registry '%s' "
             "--cache '%s' --git-rewrite '%s' %s",
             f->dir, f->dir, getenv("SG_CLI"), lockfile, sgt_http_base_url(f->srv), cache,
             f->rewrite, extra ? extra : "");
    rc = sgt_run(cmd, out, &err);
    if (err_out)
        *err_out = err;
    else
        free(err);
    return rc;
}

static const cJSON *release(const cJSON *doc, const char *name, const char *version)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(doc, "releases"))
    {
        if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "package")), name) &&
            !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "version")), version))
            return r;
    }
    return NULL;
}

static const char *str(const cJSON *o, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
    return s ? s : "(none)";
}

static int has_finding(const cJSON *rel, const char *kind)
{
    const cJSON *it;
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(rel, "findings"))
    {
        if (!strcmp(str(it, "kind"), kind))
            return 1;
    }
    return 0;
}

/* alpha, beta@1.0.1, gamma, @scope/delta */
#define NEW_LOCK ((1u << 0) | (1u << 2) | (1u << 3) | (1u << 4))
/* alpha, beta@1.0.0, @scope/delta */
#define BASE_LOCK ((1u << 0) | (1u << 1) | (1u << 4))

static void check_new_lock_json(fixture *f, const char *out, int check_lines)
{
    cJSON *doc = cJSON_Parse(out);
    const cJSON *r, *nv, *it;
    int kinds = 0;
    assert_non_null(doc);
    assert_string_equal(str(doc, "schema"), "sourcegate/lockfile/v1");
    assert_string_equal(str(doc, "verdict"), "fail");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "releases")), 4);
    r = release(doc, "alpha", "1.0.0");
    assert_non_null(r);
    assert_string_equal(str(r, "verdict"), "pass");
    r = release(doc, "beta", "1.0.1");
    assert_string_equal(str(r, "verdict"), "fail");
    assert_true(has_finding(r, "dependency-added"));
    r = release(doc, "gamma", "1.0.0");
    assert_string_equal(str(r, "verdict"), "fail");
    assert_true(has_finding(r, "integrity-mismatch"));
    if (check_lines)
        assert_int_equal(cJSON_GetObjectItem(r, "line")->valueint, f->line[3]);
    r = release(doc, "@scope/delta", "2.0.0");
    assert_string_equal(str(r, "verdict"), "pass");
    assert_non_null(cJSON_GetObjectItem(r, "report"));
    nv = cJSON_GetObjectItem(doc, "not_verifiable");
    cJSON_ArrayForEach(it, nv)
    {
        const char *k = str(it, "kind");
        kinds |= !strcmp(k, "git") ? 1 : !strcmp(k, "file") ? 2 : !strcmp(k, "link") ? 4 : 0;
    }
    assert_int_equal(kinds, 7);
    cJSON_Delete(doc);
}

static void test_lockfile_cli__npm_lock_json_has_every_verdict(void **state)
{
    fixture *f = *state;
    char path[4200], *text = npm_lock(f, NEW_LOCK), *out = NULL, *err = NULL;
    write_lock(f, "package-lock.json", text, path, sizeof(path));
    assert_int_equal(run(f, path, "--format json --jobs 3", &out, &err), 1);
    check_new_lock_json(f, out, 1);
    free(out);
    free(err);
    free(text);
}

/* The text names what a reader needs to act on each finding: the path, the field and both
 * values, the detail (issue 16: it printed "high file-modified: bytes differ ..." alone). */
static void test_lockfile_cli__text_findings_name_path_field_and_values(void **state)
{
    fixture *f = *state;
    char path[4200], *text = npm_lock(f, NEW_LOCK), *out = NULL;
    write_lock(f, "text/package-lock.json", text, path, sizeof(path));
    assert_int_equal(run(f, path, "--jobs 2 --allow-unverifiable git,file", &out, NULL), 1);
    assert_non_null(strstr(out, "dependency-added"));
    assert_non_null(strstr(out, " package.json dependencies."));
    assert_non_null(strstr(out, ": (none) -> ^4.2.1\n"));
    assert_non_null(strstr(out, "verdict: fail ("));
    assert_null(strstr(out, "Verdict:"));
    free(out);
    free(text);
}

static void test_lockfile_cli__genuine_lock_passes_in_text(void **state)
{
    fixture *f = *state;
    char path[4200], *text = npm_lock(f, BASE_LOCK), *out = NULL;
    write_lock(f, "base/package-lock.json", text, path, sizeof(path));
    /* issue 14: the git, file and link entries pass only when their classes are allowed */
    assert_int_equal(run(f, path, "--jobs 1 --allow-unverifiable git,file", &out, NULL), 0);
    assert_non_null(strstr(out, "pass"));
    assert_non_null(strstr(out, "@scope/delta@2.0.0"));
    assert_non_null(strstr(out, "verdict: pass (3 pass, 0 fail"));
    assert_non_null(strstr(out, "git "));
    free(out);
    free(text);
}

static void test_lockfile_cli__stored_verdicts_are_reused(void **state)
{
    fixture *f = *state;
    char path[4200], extra[4400], *text = npm_lock(f, BASE_LOCK), *out = NULL;
    cJSON *doc;
    write_lock(f, "reuse/package-lock.json", text, path, sizeof(path));
    snprintf(extra, sizeof(extra),
             "--jobs 2 --format json --allow-unverifiable git,file --cache '%s/cache-reuse'",
             f->dir);
    assert_int_equal(run(f, path, extra, &out, NULL), 0);
    doc = cJSON_Parse(out);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "counts"), "reused")->valueint,
                     0);
    cJSON_Delete(doc);
    free(out);
    out = NULL;
    /* the second run finds every verdict in the store (audit.sqlite in the cache folder) */
    assert_int_equal(run(f, path, extra, &out, NULL), 0);
    doc = cJSON_Parse(out);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "counts"), "reused")->valueint,
                     3);
    cJSON_Delete(doc);
    free(out);
    out = NULL;
    /* --no-store verifies afresh */
    snprintf(extra, sizeof(extra),
             "--jobs 2 --format json --no-store --allow-unverifiable git,file "
             "--cache '%s/cache-reuse'",
             f->dir);
    assert_int_equal(run(f, path, extra, &out, NULL), 0);
    doc = cJSON_Parse(out);
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "counts"), "reused")->valueint,
                     0);
    cJSON_Delete(doc);
    free(out);
    free(text);
}

/* The number of stored verdicts a JSON run reused; the run names its verdict options. */
static int reused_count(const char *out)
{
    cJSON *doc = cJSON_Parse(out);
    int n;
    assert_non_null(doc);
    assert_non_null(strstr(str(doc, "verdict_options"), "verdict-options/1 rebuild="));
    n = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "counts"), "reused")->valueint;
    cJSON_Delete(doc);
    return n;
}

/* Issue 14 item 4: lockfile takes --rebuild like verify; a verdict stored by a run with other
 * verdict options (a run that did not rebuild) is not reused by a run that would rebuild. */
static void test_lockfile_cli__stored_verdicts_are_reused_only_with_the_same_options(void **state)
{
    static const struct {
        const char *opts; /* the verdict options of the run */
        int reused;       /* stored verdicts it reuses */
    } runs[] = {
        {"--rebuild never", 0},
        {"--rebuild never", 3}, /* same options: reused */
        {"", 0},                /* the default (auto) would rebuild: verified again */
        {"--rebuild auto", 3},  /* auto is the default */
        {"--rebuild always", 0},
        {"--rebuild-timeout 60", 0}, /* another limit */
        {"--rebuild-timeout 60", 3},
        {"--rebuild never --rebuild-timeout 60", 0},
    };
    fixture *f = *state;
    char path[4200], extra[4600], *text = npm_lock(f, BASE_LOCK), *out = NULL, *err = NULL;
    size_t i;
    write_lock(f, "options/package-lock.json", text, path, sizeof(path));
    for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        int rc;
        snprintf(extra, sizeof(extra),
                 "--jobs 2 --format json --allow-unverifiable git,file --cache '%s/cache-opts' %s",
                 f->dir, runs[i].opts);
        rc = run(f, path, extra, &out, &err);
        if (strstr(runs[i].opts, "always") && rc == 4) { /* no sandbox here: an error */
            assert_non_null(strstr(out, "\"error\""));
            assert_int_equal(reused_count(out), 0);
        } else {
            assert_int_equal(rc, 0);
            if (reused_count(out) != runs[i].reused)
                fail_msg("run %zu (%s): %d reused, expected %d", i, runs[i].opts, reused_count(out),
                         runs[i].reused);
        }
        free(out);
        free(err);
        out = err = NULL;
    }
    /* a bad value is a usage error naming the option */
    assert_int_equal(run(f, path, "--rebuild sometimes", &out, &err), 2);
    assert_non_null(strstr(err, "--rebuild must be auto, always or never"));
    free(out);
    free(err);
    free(text);
}

static void test_lockfile_cli__base_verifies_only_added_and_changed(void **state)
{
    fixture *f = *state;
    char path[4200], base[4200], extra[4400], *t1 = npm_lock(f, BASE_LOCK), *out = NULL;
    char *t2;
    cJSON *doc;
    const cJSON *r;
    write_lock(f, "base2/package-lock.json", t1, base, sizeof(base));
    t2 = npm_lock(f, NEW_LOCK);
    write_lock(f, "package-lock.json", t2, path, sizeof(path));
    snprintf(extra, sizeof(extra), "--base '%s' --format json", base);
    assert_int_equal(run(f, path, extra, &out, NULL), 1);
    doc = cJSON_Parse(out);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "releases")), 2);
    assert_null(release(doc, "alpha", "1.0.0"));
    r = release(doc, "beta", "1.0.1");
    assert_string_equal(str(r, "change"), "changed");
    r = release(doc, "gamma", "1.0.0");
    assert_string_equal(str(r, "change"), "added");
    /* the git, file and link entries are the same in both: nothing left to list */
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "not_verifiable")), 0);
    cJSON_Delete(doc);
    free(out);
    free(t1);
    free(t2);
}

static void test_lockfile_cli__sarif_points_at_the_lockfile_lines(void **state)
{
    fixture *f = *state;
    char path[4200], *text = npm_lock(f, NEW_LOCK), *out = NULL;
    cJSON *doc, *run0, *rules, *it;
    int saw_gamma = 0, saw_rule = 0;
    write_lock(f, "package-lock.json", text, path, sizeof(path));
    assert_int_equal(run(f, path, "--format sarif --lockfile-path ./package-lock.json", &out, NULL),
                     1);
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_string_equal(str(doc, "version"), "2.1.0");
    assert_string_equal(str(doc, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
    run0 = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), 0);
    rules = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(run0, "tool"), "driver"),
                                "rules");
    cJSON_ArrayForEach(it, rules)
    {
        if (!strcmp(str(it, "id"), "integrity-mismatch")) {
            saw_rule = 1;
            assert_true(strlen(str(cJSON_GetObjectItem(it, "help"), "text")) > 0);
            assert_true(strlen(str(cJSON_GetObjectItem(it, "fullDescription"), "text")) > 0);
        }
    }
    assert_true(saw_rule);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(run0, "results"))
    {
        const cJSON *loc = cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(it, "locations"), 0), "physicalLocation");
        assert_string_equal(str(cJSON_GetObjectItem(loc, "artifactLocation"), "uri"),
                            "package-lock.json");
        assert_non_null(cJSON_GetObjectItem(it, "partialFingerprints"));
        if (!strcmp(str(it, "ruleId"), "integrity-mismatch")) {
            saw_gamma = 1;
            assert_string_equal(str(it, "level"), "error");
            assert_int_equal(
                cJSON_GetObjectItem(cJSON_GetObjectItem(loc, "region"), "startLine")->valueint,
                f->line[3]);
            assert_non_null(strstr(str(cJSON_GetObjectItem(it, "message"), "text"), "gamma@1.0.0"));
        }
    }
    assert_true(saw_gamma);
    cJSON_Delete(doc);
    free(out);
    free(text);
}

static void test_lockfile_cli__yarn_and_pnpm_lockfiles_give_the_same_verdicts(void **state)
{
    fixture *f = *state;
    char path[4200], *out = NULL, y[16384], pn[16384];
    size_t i, ny = 0, np = 0;
    cJSON *doc;
    const cJSON *r;

    ny +=
        (size_t)snprintf(y, sizeof(y), "# THIS IS AN AUTOGENERATED FILE.\n# yarn lockfile v1\n\n");
    np += (size_t)snprintf(pn, sizeof(pn), "lockfileVersion: '9.0'\n\npackages:\n\n");
    for (i = 0; i < NPKG; i++) {
        if (!(NEW_LOCK & (1u << i)))
            continue;
        ny += (size_t)snprintf(
            y + ny, sizeof(y) - ny,
            "\"%s@^%s\":\n  version \"%s\"\n  resolved "
            "\"https://registry.yarnpkg.com%s#0000000000000000000000000000000000000000\"\n"
            "  integrity %s\n\n",
            f->p[i].name, f->p[i].version, f->p[i].version, f->p[i].tgz_path, lock_integrity(f, i));
        np += (size_t)snprintf(pn + np, sizeof(pn) - np,
                               "  '%s@%s':\n    resolution: {integrity: %s}\n\n", f->p[i].name,
                               f->p[i].version, lock_integrity(f, i));
    }
    ny += (size_t)snprintf(y + ny, sizeof(y) - ny,
                           "\"gitdep@github:acme/gitdep\":\n  version \"1.0.0\"\n  resolved "
                           "\"https://codeload.github.com/acme/gitdep/tar.gz/0123456\"\n\n");
    write_lock(f, "y/yarn.lock", y, path, sizeof(path));
    assert_int_equal(run(f, path, "--format json", &out, NULL), 1);
    doc = cJSON_Parse(out);
    r = release(doc, "gamma", "1.0.0");
    assert_true(has_finding(r, "integrity-mismatch"));
    assert_int_equal(cJSON_GetObjectItem(r, "line")->valueint, 14);
    assert_string_equal(str(release(doc, "alpha", "1.0.0"), "verdict"), "pass");
    assert_string_equal(str(release(doc, "beta", "1.0.1"), "verdict"), "fail");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "not_verifiable")), 1);
    cJSON_Delete(doc);
    free(out);
    out = NULL;
    write_lock(f, "p/pnpm-lock.yaml", pn, path, sizeof(path));
    assert_int_equal(run(f, path, "--format json", &out, NULL), 1);
    doc = cJSON_Parse(out);
    assert_string_equal(str(doc, "format"), "pnpm");
    assert_true(has_finding(release(doc, "gamma", "1.0.0"), "integrity-mismatch"));
    assert_string_equal(str(release(doc, "@scope/delta", "2.0.0"), "verdict"), "pass");
    assert_false(has_finding(release(doc, "alpha", "1.0.0"), "integrity-mismatch"));
    cJSON_Delete(doc);
    free(out);
}

static void test_lockfile_cli__unknown_package_is_an_error_release(void **state)
{
    fixture *f = *state;
    char path[4200], *out = NULL;
    cJSON *doc;
    const cJSON *r;
    const char *text = "{\"lockfileVersion\":3,\"packages\":{\n"
                       "\"node_modules/missing\":{\"version\":\"1.0.0\"},\n"
                       "\"node_modules/@scope/delta\":{\"version\":\"2.0.0\"}}}";
    write_lock(f, "m/package-lock.json", text, path, sizeof(path));
    assert_int_equal(run(f, path, "--format json", &out, NULL), 2);
    doc = cJSON_Parse(out);
    assert_string_equal(str(doc, "verdict"), "error");
    r = release(doc, "missing", "1.0.0");
    assert_string_equal(str(r, "verdict"), "error");
    assert_non_null(strstr(str(r, "error"), "missing"));
    assert_string_equal(str(release(doc, "@scope/delta", "2.0.0"), "verdict"), "pass");
    cJSON_Delete(doc);
    free(out);
}

/* Issue 14 item 2: a git host that is down is an error (exit 4), never a stored verdict; the
 * next run, with the host up, verifies every release again. */
static void test_lockfile_cli__git_host_down_is_an_error_and_not_stored(void **state)
{
    fixture *f = *state;
    char path[4200], extra[4400], saved[sizeof(f->rewrite)], *text = npm_lock(f, BASE_LOCK);
    char *out = NULL;
    cJSON *doc;
    const cJSON *r, *counts;
    write_lock(f, "down/package-lock.json", text, path, sizeof(path));
    snprintf(extra, sizeof(extra),
             "--jobs 2 --format json --allow-unverifiable git,file --cache '%s/cache-down'",
             f->dir);
    memcpy(saved, f->rewrite, sizeof(saved));
    snprintf(f->rewrite, sizeof(f->rewrite), "https://github.com/acme/=http://127.0.0.1:1/acme/");
    assert_int_equal(run(f, path, extra, &out, NULL), 4);
    memcpy(f->rewrite, saved, sizeof(saved));
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_string_equal(str(doc, "verdict"), "error");
    counts = cJSON_GetObjectItem(doc, "counts");
    assert_int_equal(cJSON_GetObjectItem(counts, "error")->valueint, 3);
    assert_int_equal(cJSON_GetObjectItem(counts, "fail")->valueint, 0);
    cJSON_ArrayForEach(r, cJSON_GetObjectItem(doc, "releases"))
    {
        assert_string_equal(str(r, "verdict"), "error");
        assert_false(has_finding(r, "source-missing"));
    }
    cJSON_Delete(doc);
    free(out);
    out = NULL;
    /* the host is back: nothing comes from the store, every release is verified and passes */
    assert_int_equal(run(f, path, extra, &out, NULL), 0);
    doc = cJSON_Parse(out);
    counts = cJSON_GetObjectItem(doc, "counts");
    assert_int_equal(cJSON_GetObjectItem(counts, "reused")->valueint, 0);
    assert_int_equal(cJSON_GetObjectItem(counts, "pass")->valueint, 3);
    cJSON_Delete(doc);
    free(out);
    out = NULL;
    /* and in text, no "[stored verdict]" */
    snprintf(extra, sizeof(extra),
             "--jobs 2 --no-store --allow-unverifiable git,file --cache '%s/cache-down'", f->dir);
    assert_int_equal(run(f, path, extra, &out, NULL), 0);
    assert_null(strstr(out, "[stored verdict]"));
    free(out);
    free(text);
}

/* The SARIF of a run with the git host down: errors are tool execution notifications, not
 * results (FORMATS.md section 5). */
static void test_lockfile_cli__sarif_errors_are_notifications(void **state)
{
    fixture *f = *state;
    char path[4200], extra[4400], saved[sizeof(f->rewrite)], *text = npm_lock(f, BASE_LOCK);
    char *out = NULL;
    cJSON *doc, *run0, *inv, *notes;
    write_lock(f, "down-sarif/package-lock.json", text, path, sizeof(path));
    snprintf(extra, sizeof(extra), "--format sarif --no-store --cache '%s/cache-down-sarif'",
             f->dir);
    memcpy(saved, f->rewrite, sizeof(saved));
    snprintf(f->rewrite, sizeof(f->rewrite), "https://github.com/acme/=http://127.0.0.1:1/acme/");
    assert_int_equal(run(f, path, extra, &out, NULL), 4);
    memcpy(f->rewrite, saved, sizeof(saved));
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    run0 = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(run0, "results")), 0);
    inv = cJSON_GetArrayItem(cJSON_GetObjectItem(run0, "invocations"), 0);
    assert_non_null(inv);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(inv, "executionSuccessful")));
    notes = cJSON_GetObjectItem(inv, "toolExecutionNotifications");
    assert_int_equal(cJSON_GetArraySize(notes), 3);
    assert_string_equal(str(cJSON_GetArrayItem(notes, 0), "level"), "error");
    assert_non_null(
        strstr(str(cJSON_GetObjectItem(cJSON_GetArrayItem(notes, 0), "message"), "text"),
               "@scope/delta@2.0.0 could not be verified"));
    cJSON_Delete(doc);
    free(out);
    free(text);
}

/* Issue 14 item 3: the gate fails closed. Each class of entry that cannot be verified makes
 * it inconclusive (exit 3) until --allow-unverifiable names that class. */
static void test_lockfile_cli__unverifiable_entries_make_the_gate_inconclusive(void **state)
{
    fixture *f = *state;
    char path[4200], *text = npm_lock(f, BASE_LOCK), *out = NULL;
    cJSON *doc;
    const cJSON *it;
    write_lock(f, "closed/package-lock.json", text, path, sizeof(path));
    assert_int_equal(run(f, path, "--jobs 2", &out, NULL), 3);
    assert_non_null(strstr(out, "verdict: inconclusive (3 pass, 0 fail"));
    assert_non_null(strstr(out, "3 unverifiable entries not allowed"));
    assert_non_null(strstr(out, "(not allowed: the gate is inconclusive)"));
    assert_null(strstr(out, "verdict: pass"));
    free(out);
    out = NULL;
    /* git alone is not enough: the file and link entries still block */
    assert_int_equal(run(f, path, "--jobs 2 --allow-unverifiable git --format json", &out, NULL),
                     3);
    doc = cJSON_Parse(out);
    assert_string_equal(str(doc, "verdict"), "inconclusive");
    assert_non_null(strstr(str(doc, "inconclusive_reason"), "cannot be verified"));
    assert_int_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "counts"), "not_allowed")->valueint, 2);
    cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "not_verifiable"))
    {
        const char *cls = str(it, "class");
        assert_true(cJSON_IsTrue(cJSON_GetObjectItem(it, "allowed")) == !strcmp(cls, "git"));
    }
    cJSON_Delete(doc);
    free(out);
    out = NULL;
    assert_int_equal(run(f, path, "--jobs 2 --allow-unverifiable file,git", &out, NULL), 0);
    assert_non_null(strstr(out, "verdict: pass (3 pass"));
    free(out);
    out = NULL;
    /* an unknown class is a usage error */
    assert_int_equal(run(f, path, "--allow-unverifiable git,svn", &out, NULL), 2);
    free(out);
    free(text);
}

/* A lockfile whose every entry is unverifiable never passes, even with every class allowed:
 * nothing was verified. */
static void test_lockfile_cli__nothing_verified_is_inconclusive(void **state)
{
    fixture *f = *state;
    char path[4200], *text = npm_lock(f, 0), *out = NULL;
    cJSON *doc;
    write_lock(f, "none/package-lock.json", text, path, sizeof(path));
    assert_int_equal(run(f, path, "--allow-unverifiable git,file,remote --format json", &out, NULL),
                     3);
    doc = cJSON_Parse(out);
    assert_string_equal(str(doc, "verdict"), "inconclusive");
    assert_string_equal(str(doc, "inconclusive_reason"), "nothing was verified");
    cJSON_Delete(doc);
    free(out);
    out = NULL;
    assert_int_equal(run(f, path, "--allow-unverifiable git,file,remote", &out, NULL), 3);
    assert_non_null(strstr(out, "Inconclusive: nothing was verified"));
    assert_null(strstr(out, "verdict: pass"));
    free(out);
    free(text);
}

/* A tarball URL anywhere under the configured registry (here an Artifactory-like layout) is
 * that registry's release NAME@VERSION; one on another host is a "remote" entry. */
static void test_lockfile_cli__tarball_under_the_registry_is_verified(void **state)
{
    fixture *f = *state;
    char path[4200], text[8192], *out = NULL;
    cJSON *doc;
    const cJSON *r, *nv;
    snprintf(text, sizeof(text),
             "{\"lockfileVersion\":3,\"packages\":{\n"
             "\"node_modules/alpha\":{\"version\":\"1.0.0\",\"resolved\":"
             "\"%sapi/npm/npm-remote/alpha/-/alpha-1.0.0.tgz?x=1\",\"integrity\":\"%s\"},\n"
             "\"node_modules/@scope/delta\":{\"version\":\"2.0.0\",\"resolved\":"
             "\"%sdownload/@scope/delta/2.0.0/delta.tgz\",\"integrity\":\"%s\"},\n"
             "\"node_modules/beta\":{\"version\":\"1.0.0\",\"resolved\":"
             "\"https://cdn.example.com/files/beta.tgz\",\"integrity\":\"%s\"}}}\n",
             sgt_http_base_url(f->srv), f->p[0].integrity, sgt_http_base_url(f->srv),
             f->p[4].integrity, f->p[1].integrity);
    write_lock(f, "layout/package-lock.json", text, path, sizeof(path));
    assert_int_equal(run(f, path, "--format json --no-store", &out, NULL), 3);
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "releases")), 2);
    r = release(doc, "alpha", "1.0.0");
    assert_non_null(r);
    assert_string_equal(str(r, "verdict"), "pass");
    r = release(doc, "@scope/delta", "2.0.0");
    assert_non_null(r);
    assert_string_equal(str(r, "verdict"), "pass");
    nv = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "not_verifiable"), 0);
    assert_string_equal(str(nv, "package"), "beta");
    assert_string_equal(str(nv, "class"), "remote");
    assert_string_equal(str(nv, "reason"), "a tarball URL outside every configured registry");
    cJSON_Delete(doc);
    free(out);
    out = NULL;
    assert_int_equal(run(f, path, "--no-store --allow-unverifiable remote", &out, NULL), 0);
    free(out);
}

/* --base with nothing added or changed has nothing to verify: that is not "nothing was
 * verified", so the gate passes. */
static void test_lockfile_cli__base_with_no_change_passes(void **state)
{
    fixture *f = *state;
    char path[4200], base[4200], extra[4400], *text = npm_lock(f, BASE_LOCK), *out = NULL;
    write_lock(f, "same/package-lock.json", text, path, sizeof(path));
    write_lock(f, "same-base/package-lock.json", text, base, sizeof(base));
    snprintf(extra, sizeof(extra), "--base '%s'", base);
    assert_int_equal(run(f, path, extra, &out, NULL), 0);
    assert_non_null(strstr(out, "verdict: pass (0 pass"));
    free(out);
    free(text);
}

static void test_lockfile_cli__hostile_lockfile_is_one_usage_error(void **state)
{
    fixture *f = *state;
    char path[4200], *out = NULL, *err = NULL;
    const char *text = "{\"lockfileVersion\":3,\"packages\":{\"node_modules/a\":{\"version\":7}}}";
    write_lock(f, "h/package-lock.json", text, path, sizeof(path));
    assert_int_equal(run(f, path, NULL, &out, &err), 2);
    assert_string_equal(out, "");
    assert_non_null(strstr(err, "sourcegate: error: "));
    assert_non_null(strstr(err, "'version' of 'node_modules/a' is not a string"));
    assert_null(strchr(strchr(err, '\n') + 1, '\n')); /* one line */
    free(out);
    free(err);
    out = err = NULL;
    assert_int_equal(run(f, "/nonexistent/package-lock.json", NULL, &out, &err), 2);
    free(out);
    free(err);
    out = err = NULL;
    assert_int_equal(run(f, path, "--jobs 0", &out, &err), 2);
    assert_non_null(strstr(err, "--jobs"));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lockfile_cli__npm_lock_json_has_every_verdict),
        cmocka_unit_test(test_lockfile_cli__text_findings_name_path_field_and_values),
        cmocka_unit_test(test_lockfile_cli__genuine_lock_passes_in_text),
        cmocka_unit_test(test_lockfile_cli__stored_verdicts_are_reused),
        cmocka_unit_test(test_lockfile_cli__stored_verdicts_are_reused_only_with_the_same_options),
        cmocka_unit_test(test_lockfile_cli__base_verifies_only_added_and_changed),
        cmocka_unit_test(test_lockfile_cli__sarif_points_at_the_lockfile_lines),
        cmocka_unit_test(test_lockfile_cli__yarn_and_pnpm_lockfiles_give_the_same_verdicts),
        cmocka_unit_test(test_lockfile_cli__unknown_package_is_an_error_release),
        cmocka_unit_test(test_lockfile_cli__hostile_lockfile_is_one_usage_error),
        cmocka_unit_test(test_lockfile_cli__git_host_down_is_an_error_and_not_stored),
        cmocka_unit_test(test_lockfile_cli__sarif_errors_are_notifications),
        cmocka_unit_test(test_lockfile_cli__unverifiable_entries_make_the_gate_inconclusive),
        cmocka_unit_test(test_lockfile_cli__nothing_verified_is_inconclusive),
        cmocka_unit_test(test_lockfile_cli__tarball_under_the_registry_is_verified),
        cmocka_unit_test(test_lockfile_cli__base_with_no_change_passes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
