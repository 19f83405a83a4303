/*
 * Tests of verifier/source/git_tree.c: opening repositories, resolving revisions and reading a
 * commit's tree as a Linux checkout would produce it. Fixture repositories are made here with
 * libgit2 (tests/support), hostile ones by writing raw objects.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "common/alloc.h"
#include "common/hash.h"
#include "common/tree_int.h"
#include "verifier/source/git_int.h"

#define NFILES(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ---- */

static sg_ctx *ctx_new(void)
{
    sg_ctx *ctx = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    return ctx;
}

/* A fresh repository under a temporary folder with one commit of these files. */
static char *repo_with(char commit[41], const sgt_file *files, size_t n, int bare)
{
    char *dir = sgt_tmpdir();
    char *repo = malloc(strlen(dir) + 8);
    snprintf(repo, strlen(dir) + 8, "%s/r", dir);
    sgt_git_init(repo, bare);
    sgt_git_commit(commit, repo, NULL, files, n, "first", 0);
    return repo;
}

static sg_git_repo *open_ok(sg_ctx *ctx, const char *path)
{
    sg_git_repo *r = NULL;
    int rc;
    sg_error_clear(ctx);
    rc = sg_git_repo_open(&r, ctx, path);
    if (rc != 0)
        fail_msg("open '%s': %s", path, sg_error_message(ctx));
    assert_non_null(r);
    return r;
}

static sg_tree *tree_ok(sg_ctx *ctx, sg_git_repo *r, const char *commit, const char *subdir)
{
    sg_tree *t = NULL;
    int rc;
    sg_error_clear(ctx);
    rc = sg_git_tree(&t, ctx, r, commit, subdir);
    if (rc != 0)
        fail_msg("tree at '%s': %s", subdir ? subdir : "", sg_error_message(ctx));
    assert_non_null(t);
    return t;
}

/* The error code of sg_git_tree, with *out checked to be NULL on failure. */
static int tree_err(sg_ctx *ctx, sg_git_repo *r, const char *commit, const char *subdir)
{
    sg_tree *t = (sg_tree *)(uintptr_t)1;
    int rc;
    sg_error_clear(ctx);
    rc = sg_git_tree(&t, ctx, r, commit, subdir);
    if (rc == 0) {
        sg_tree_free(t);
        fail_msg("sg_git_tree at '%s' succeeded unexpectedly", subdir ? subdir : "");
    }
    assert_null(t);
    assert_int_equal(sg_error_code_of(ctx), rc);
    return rc;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("'%s' does not contain '%s'", hay, needle);
}

/* The entry exists, is a file with exactly these bytes (size, sha256, head) and exec bit,
 * and sg_tree_read gives the same bytes back. */
static void assert_file(sg_ctx *ctx, const sg_tree *t, const char *path, const char *content,
                        size_t len, unsigned exec)
{
    const sg_entry *e = sg_tree_find(t, path);
    unsigned char sha[32];
    sg_buf buf = SG_BUF_INIT;
    size_t head = len < SG_ENTRY_HEAD ? len : SG_ENTRY_HEAD;

    if (!e)
        fail_msg("no entry '%s'", path);
    assert_int_equal(e->kind, SG_ENTRY_FILE);
    assert_int_equal(e->exec, exec);
    assert_int_equal(e->size, len);
    assert_int_equal(sg_sha256(sha, ctx, content, len), 0);
    assert_memory_equal(e->sha256, sha, 32);
    if (head)
        assert_memory_equal(e->head, content, head);
    assert_null(e->target);
    if (sg_tree_read(&buf, ctx, t, e) != 0)
        fail_msg("read '%s': %s", path, sg_error_message(ctx));
    assert_int_equal(buf.size, len);
    if (len)
        assert_memory_equal(buf.ptr, content, len);
    sg_buf_dispose(&buf);
}

static void assert_paths(const sg_tree *t, const char *const *paths, size_t n)
{
    size_t i;
    if (sg_tree_count(t) != n) {
        for (i = 0; i < sg_tree_count(t); i++)
            print_message("  entry %s\n", sg_tree_entry(t, i)->path);
        fail_msg("%zu entries, expected %zu", sg_tree_count(t), n);
    }
    for (i = 0; i < n; i++)
        assert_string_equal(sg_tree_entry(t, i)->path, paths[i]);
}

static git_repository *git_open(const char *path)
{
    git_repository *r = NULL;
    if (git_repository_open(&r, path) < 0)
        fail_msg("git open %s: %s", path, git_error_last()->message);
    return r;
}

/* Path of the loose object file of an object. */
static void loose_path(char *out, size_t size, const char *gitdir, const git_oid *id)
{
    char hex[41];
    git_oid_tostr(hex, sizeof(hex), id);
    snprintf(out, size, "%s/objects/%.2s/%s", gitdir, hex, hex + 2);
}

/* ---- raw objects for hostile trees ---- */

typedef struct raw_entry {
    const char *mode; /* octal as written in the tree object */
    const char *name; /* may contain anything but NUL */
    git_oid id;       /* target */
} raw_entry;

static void raw_tree(git_oid *out, git_repository *repo, const raw_entry *e, size_t n)
{
    git_odb *odb = NULL;
    char buf[8192];
    size_t len = 0, i;

    for (i = 0; i < n; i++) {
        int k = snprintf(buf + len, sizeof(buf) - len, "%s %s", e[i].mode, e[i].name);
        len += (size_t)k + 1; /* keep the NUL snprintf wrote */
        memcpy(buf + len, e[i].id.id, 20);
        len += 20;
    }
    assert_int_equal(git_repository_odb(&odb, repo), 0);
    assert_int_equal(git_odb_write(out, odb, buf, len, GIT_OBJECT_TREE), 0);
    git_odb_free(odb);
}

static void raw_blob(git_oid *out, git_repository *repo, const char *content)
{
    assert_int_equal(git_blob_create_from_buffer(out, repo, content, strlen(content)), 0);
}

/* A commit object for a raw tree, written without parsing the tree. */
static void raw_commit(char out[41], git_repository *repo, const git_oid *tree)
{
    git_odb *odb = NULL;
    git_oid id;
    char hex[41], buf[512];
    int len;

    git_oid_tostr(hex, sizeof(hex), tree);
    len = snprintf(buf, sizeof(buf),
                   "tree %s\nauthor A <a@example.com> 1704067200 +0000\n"
                   "committer A <a@example.com> 1704067200 +0000\n\nhostile\n",
                   hex);
    assert_int_equal(git_repository_odb(&odb, repo), 0);
    assert_int_equal(git_odb_write(&id, odb, buf, (size_t)len, GIT_OBJECT_COMMIT), 0);
    git_odb_free(odb);
    git_oid_tostr(out, 41, &id);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- opening ---- */

static const sgt_file basic_files[] = {
    {"README.md", "# hello\n", 0, 0},
    {"bin/run.sh", "#!/bin/sh\necho hi\n", 0, 0755},
    {"lib/index.js", "module.exports = 1;\n", 0, 0},
    {"lib/link.js", "index.js", 0, 0120000},
    {"packages/a/package.json", "{\"name\":\"a\"}\n", 0, 0},
    {"packages/a/src/a.js", "export const a = 1;\n", 0, 0},
    {"vendor/sub", "0123456789abcdef0123456789abcdef01234567", 0, 0160000},
};

static void test_git__opens_non_bare_repo_and_a_folder_inside_it(void **state)
{
    char commit[41], resolved[41], sub[4096];
    char *repo = repo_with(commit, basic_files, NFILES(basic_files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r;

    (void)state;
    r = open_ok(ctx, repo);
    assert_int_equal(sg_git_resolve(resolved, ctx, r, "HEAD"), 0);
    assert_string_equal(resolved, commit);
    sg_git_repo_free(r);

    /* a folder inside the work tree finds its repository */
    snprintf(sub, sizeof(sub), "%s/lib/x", repo); /* commits leave the work tree empty */
    sgt_write_file(sub, "x", 1, 0);
    snprintf(sub, sizeof(sub), "%s/lib", repo);
    r = open_ok(ctx, sub);
    assert_int_equal(sg_git_resolve(resolved, ctx, r, "main"), 0);
    assert_string_equal(resolved, commit);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__opens_bare_repo(void **state)
{
    char commit[41], resolved[41];
    char *repo = repo_with(commit, basic_files, NFILES(basic_files), 1);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r;
    sg_tree *t;

    (void)state;
    r = open_ok(ctx, repo);
    assert_int_equal(sg_git_resolve(resolved, ctx, r, "main"), 0);
    assert_string_equal(resolved, commit);
    t = tree_ok(ctx, r, commit, NULL);
    assert_int_equal(sg_tree_count(t), NFILES(basic_files));
    assert_file(ctx, t, "README.md", "# hello\n", 8, 0);
    sg_tree_free(t);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__opens_file_urls(void **state)
{
    char commit[41], resolved[41], url[4096];
    char *dir = sgt_tmpdir(), repo[4096];
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r;
    const char *p;
    size_t n = 0;

    (void)state;
    snprintf(repo, sizeof(repo), "%s/with space%%", dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(commit, repo, NULL, basic_files, NFILES(basic_files), "c", 0);

    /* file:///abs/path with the space and the percent sign percent-encoded */
    n = (size_t)snprintf(url, sizeof(url), "file://");
    for (p = repo; *p; p++) {
        if (*p == ' ')
            n += (size_t)snprintf(url + n, sizeof(url) - n, "%%20");
        else if (*p == '%')
            n += (size_t)snprintf(url + n, sizeof(url) - n, "%%25");
        else
            url[n++] = *p;
    }
    url[n] = '\0';
    r = open_ok(ctx, url);
    assert_int_equal(sg_git_resolve(resolved, ctx, r, "HEAD"), 0);
    assert_string_equal(resolved, commit);
    sg_git_repo_free(r);

    /* file://localhost/abs/path, upper-case scheme */
    snprintf(url, sizeof(url), "FILE://localhost%s", dir);
    r = NULL;
    assert_int_equal(sg_git_repo_open(&r, ctx, url), SG_ENOTFOUND); /* dir itself: no repo */
    assert_null(r);

    /* "localhost" in any case (local mode took it in lower case only, the mirrors in any) */
    sg_error_clear(ctx);
    snprintf(url, sizeof(url), "file://LocalHost%s", dir);
    assert_int_equal(sg_git_repo_open(&r, ctx, url), SG_ENOTFOUND); /* local: dir has no repo */
    assert_null(r);

    /* "%00" cannot be in a path (the mirrors passed it through) */
    sg_error_clear(ctx);
    snprintf(url, sizeof(url), "file://%s%%00", dir);
    assert_int_equal(sg_git_repo_open(&r, ctx, url), SG_EINVALID);
    assert_contains(sg_error_message(ctx), "malformed file URL");
    assert_null(r);

    /* a file URL naming another host is refused */
    sg_error_clear(ctx);
    assert_int_equal(sg_git_repo_open(&r, ctx, "file://server/srv/repo.git"), SG_EINVALID);
    assert_contains(sg_error_message(ctx), "only local repositories are supported");
    sg_ctx_free(ctx);
}

/* The one file:// decoder of local mode and the mirrors: localhost in any case, %00 refused. */
static void test_git__file_url_paths_decode_one_way(void **state)
{
    static const struct {
        const char *url;  /* a file:// URL */
        int rc;           /* what sg_git__file_url_path() returns */
        const char *path; /* the path it names when rc is 0 */
    } cases[] = {
        {"file:///srv/repo.git", 0, "/srv/repo.git"},
        {"FILE:///srv/repo.git", 0, "/srv/repo.git"},
        {"file://localhost/srv/repo.git", 0, "/srv/repo.git"},
        {"file://LocalHost/srv/repo.git", 0, "/srv/repo.git"},
        {"file://LOCALHOST/a%20b%25c%2Fd", 0, "/a b%c/d"},
        {"file://server/srv/repo.git", SG_GIT_FILE_URL_HOST, NULL},
        {"file://localhost", SG_GIT_FILE_URL_HOST, NULL},
        {"file://", SG_GIT_FILE_URL_HOST, NULL},
        {"file:///a%00b", SG_GIT_FILE_URL_MALFORMED, NULL},
        {"file:///a%zz", SG_GIT_FILE_URL_MALFORMED, NULL},
        {"file:///a%2", SG_GIT_FILE_URL_MALFORMED, NULL},
        {"file:///a%", SG_GIT_FILE_URL_MALFORMED, NULL},
    };
    sg_buf b = SG_BUF_INIT;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sg_buf_clear(&b);
        assert_int_equal(sg_git__file_url_path(&b, cases[i].url), cases[i].rc);
        if (cases[i].path)
            assert_string_equal(b.ptr, cases[i].path);
    }
    sg_buf_dispose(&b);
}

static void test_git__refuses_remote_urls(void **state)
{
    static const char *const urls[] = {
        "https://user:secret-token@github.com/axios/axios.git",
        "ssh://git@github.com/axios/axios.git",
        "git://github.com/axios/axios.git",
        "git+https://github.com/axios/axios.git",
        "git@github.com:axios/axios.git",
    };
    sg_ctx *ctx = ctx_new();
    size_t i;

    (void)state;
    for (i = 0; i < NFILES(urls); i++) {
        sg_git_repo *r = (sg_git_repo *)(uintptr_t)1;
        sg_error_clear(ctx);
        assert_int_equal(sg_git_repo_open(&r, ctx, urls[i]), SG_EINVALID);
        assert_null(r);
        assert_contains(sg_error_message(ctx),
                        "only local repositories are supported in local mode");
        assert_null(strstr(sg_error_message(ctx), "secret-token"));
    }
    sg_ctx_free(ctx);
}

static void test_git__missing_repository_is_not_found(void **state)
{
    char *dir = sgt_tmpdir(), path[4096];
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = NULL;

    (void)state;
    snprintf(path, sizeof(path), "%s/does-not-exist", dir);
    assert_int_equal(sg_git_repo_open(&r, ctx, path), SG_ENOTFOUND);
    assert_null(r);
    assert_contains(sg_error_message(ctx), "no git repository at '");
    assert_contains(sg_error_message(ctx), "does-not-exist'");

    sg_error_clear(ctx);
    assert_int_equal(sg_git_repo_open(&r, ctx, dir), SG_ENOTFOUND); /* an empty folder */
    assert_null(r);

    sg_error_clear(ctx);
    assert_int_equal(sg_git_repo_open(&r, ctx, ""), SG_EINVALID);
    sg_git_repo_free(NULL);
    sg_ctx_free(ctx);
}

/* ---- resolving ---- */

static void test_git__resolves_tags_branches_and_shas(void **state)
{
    char c1[41], c2[41], out[41], shortsha[8];
    char *repo = repo_with(c1, basic_files, NFILES(basic_files), 0);
    static const sgt_file second[] = {{"README.md", "# two\n", 0, 0}};
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r;

    (void)state;
    sgt_git_commit(c2, repo, NULL, second, 1, "second", 10);
    sgt_git_commit(NULL, repo, "feature", second, 1, "on feature", 20);
    sgt_git_tag(repo, "v1.0.0", c1, 0);
    sgt_git_tag(repo, "v1.0.1", c2, 1);
    r = open_ok(ctx, repo);

    assert_int_equal(sg_git_resolve(out, ctx, r, "v1.0.0"), 0); /* lightweight */
    assert_string_equal(out, c1);
    assert_int_equal(sg_git_resolve(out, ctx, r, "v1.0.1"), 0); /* annotated: peeled */
    assert_string_equal(out, c2);
    assert_int_equal(sg_git_resolve(out, ctx, r, "refs/tags/v1.0.1"), 0);
    assert_string_equal(out, c2);
    assert_int_equal(sg_git_resolve(out, ctx, r, "main"), 0);
    assert_string_equal(out, c2);
    assert_int_equal(sg_git_resolve(out, ctx, r, "main~1"), 0);
    assert_string_equal(out, c1);
    assert_int_equal(sg_git_resolve(out, ctx, r, "feature"), 0);
    assert_int_equal(strlen(out), 40);
    assert_string_not_equal(out, c2);
    assert_int_equal(sg_git_resolve(out, ctx, r, c1), 0); /* full sha */
    assert_string_equal(out, c1);
    memcpy(shortsha, c1, 7);
    shortsha[7] = '\0';
    assert_int_equal(sg_git_resolve(out, ctx, r, shortsha), 0);
    assert_string_equal(out, c1);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__missing_revision_is_not_found(void **state)
{
    char c1[41], out[41];
    char *repo = repo_with(c1, basic_files, NFILES(basic_files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);

    (void)state;
    assert_int_equal(sg_git_resolve(out, ctx, r, "v9.9.9"), SG_ENOTFOUND);
    assert_string_equal(sg_error_message(ctx), "revision 'v9.9.9' not found");
    assert_string_equal(out, "");
    sg_error_clear(ctx);
    assert_int_equal(sg_git_resolve(out, ctx, r, "0000000000000000000000000000000000000001"),
                     SG_ENOTFOUND);
    sg_error_clear(ctx);
    assert_int_equal(sg_git_resolve(out, ctx, r, ""), SG_EINVALID);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__revision_naming_a_blob_or_tree_is_invalid(void **state)
{
    char c1[41], out[41];
    char *repo = repo_with(c1, basic_files, NFILES(basic_files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    git_repository *g = git_open(repo);
    git_object *blob = NULL;
    git_signature *sig = NULL;
    git_oid tag;

    (void)state;
    assert_int_equal(sg_git_resolve(out, ctx, r, "HEAD:README.md"), SG_EINVALID);
    assert_contains(sg_error_message(ctx), "names a blob");
    sg_error_clear(ctx);
    assert_int_equal(sg_git_resolve(out, ctx, r, "HEAD^{tree}"), SG_EINVALID);
    assert_contains(sg_error_message(ctx), "names a tree");

    /* an annotated tag of a blob */
    assert_int_equal(git_revparse_single(&blob, g, "HEAD:README.md"), 0);
    assert_int_equal(git_signature_new(&sig, "T", "t@example.com", 1704067200, 0), 0);
    assert_int_equal(git_tag_create(&tag, g, "blobtag", blob, sig, "a blob", 0), 0);
    sg_error_clear(ctx);
    assert_int_equal(sg_git_resolve(out, ctx, r, "blobtag"), SG_EINVALID);
    assert_string_equal(out, "");
    git_signature_free(sig);
    git_object_free(blob);
    git_repository_free(g);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

/* ---- trees ---- */

static void test_git__tree_at_root_has_files_exec_symlinks_and_submodules(void **state)
{
    static const char *const paths[] = {"README.md",
                                        "bin/run.sh",
                                        "lib/index.js",
                                        "lib/link.js",
                                        "packages/a/package.json",
                                        "packages/a/src/a.js",
                                        "vendor/sub"};
    char commit[41];
    char *repo = repo_with(commit, basic_files, NFILES(basic_files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    sg_tree *t = tree_ok(ctx, r, commit, "");
    const sg_entry *e;
    unsigned char sha[32];
    sg_buf buf = SG_BUF_INIT;

    (void)state;
    assert_paths(t, paths, NFILES(paths));
    assert_file(ctx, t, "README.md", "# hello\n", 8, 0);
    assert_file(ctx, t, "bin/run.sh", "#!/bin/sh\necho hi\n", 18, 1);
    assert_file(ctx, t, "lib/index.js", "module.exports = 1;\n", 20, 0);

    e = sg_tree_find(t, "lib/link.js");
    assert_non_null(e);
    assert_int_equal(e->kind, SG_ENTRY_SYMLINK);
    assert_string_equal(e->target, "index.js");
    assert_int_equal(e->size, 8);
    assert_int_equal(e->exec, 0);
    assert_int_equal(sg_sha256(sha, ctx, "index.js", 8), 0);
    assert_memory_equal(e->sha256, sha, 32);
    assert_int_equal(sg_tree_read(&buf, ctx, t, e), SG_EINVALID); /* not a regular file */

    e = sg_tree_find(t, "vendor/sub");
    assert_non_null(e);
    assert_int_equal(e->kind, SG_ENTRY_SUBMODULE);
    assert_string_equal(e->target, "0123456789abcdef0123456789abcdef01234567");
    assert_int_equal(e->size, 0);

    sg_buf_dispose(&buf);
    sg_tree_free(t);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__tree_below_subdir_has_relative_paths(void **state)
{
    static const char *const paths[] = {"package.json", "src/a.js"};
    static const char *const spellings[] = {"packages/a",  "/packages/a/",  "./packages/a",
                                            "packages//a", "packages/./a/", "packages/a/."};
    char commit[41];
    char *repo = repo_with(commit, basic_files, NFILES(basic_files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    size_t i;

    (void)state;
    for (i = 0; i < NFILES(spellings); i++) {
        sg_tree *t = tree_ok(ctx, r, commit, spellings[i]);
        assert_paths(t, paths, NFILES(paths));
        assert_file(ctx, t, "src/a.js", "export const a = 1;\n", 20, 0);
        sg_tree_free(t);
    }
    /* "/" and "." mean the root */
    {
        sg_tree *t = tree_ok(ctx, r, commit, "/");
        assert_int_equal(sg_tree_count(t), NFILES(basic_files));
        sg_tree_free(t);
        t = tree_ok(ctx, r, commit, ".");
        assert_int_equal(sg_tree_count(t), NFILES(basic_files));
        sg_tree_free(t);
    }
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__bad_subdirs_and_commits_are_refused(void **state)
{
    char commit[41], blob_hex[41];
    char *repo = repo_with(commit, basic_files, NFILES(basic_files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    git_repository *g = git_open(repo);
    git_object *blob = NULL;

    (void)state;
    assert_int_equal(tree_err(ctx, r, commit, "packages/b"), SG_ENOTFOUND);
    assert_contains(sg_error_message(ctx), "subdir 'packages/b' not found");
    assert_int_equal(tree_err(ctx, r, commit, "README.md"), SG_ENOTFOUND);
    assert_contains(sg_error_message(ctx), "is not a folder");
    assert_int_equal(tree_err(ctx, r, commit, "vendor/sub"), SG_ENOTFOUND);  /* a submodule */
    assert_int_equal(tree_err(ctx, r, commit, "lib/link.js"), SG_ENOTFOUND); /* a symlink */
    assert_int_equal(tree_err(ctx, r, commit, "../packages/a"), SG_EINVALID);
    assert_int_equal(tree_err(ctx, r, commit, "packages/../packages/a"), SG_EINVALID);
    assert_int_equal(tree_err(ctx, r, commit, "packages/a/.."), SG_EINVALID);
    assert_int_equal(tree_err(ctx, r, commit, ".git"), SG_EINVALID);

    /* commits: malformed, unknown, an object that is no commit */
    assert_int_equal(tree_err(ctx, r, "main", NULL), SG_EINVALID);
    assert_int_equal(tree_err(ctx, r, "0123456", NULL), SG_EINVALID);
    assert_int_equal(tree_err(ctx, r, "0123456789abcdef0123456789abcdef0123456z", NULL),
                     SG_EINVALID);
    assert_int_equal(tree_err(ctx, r, "0123456789abcdef0123456789abcdef012345678", NULL),
                     SG_EINVALID);
    assert_int_equal(tree_err(ctx, r, "0123456789abcdef0123456789abcdef01234567", NULL),
                     SG_ENOTFOUND);
    assert_int_equal(git_revparse_single(&blob, g, "HEAD:README.md"), 0);
    git_oid_tostr(blob_hex, sizeof(blob_hex), git_object_id(blob));
    assert_int_equal(tree_err(ctx, r, blob_hex, NULL), SG_ENOTFOUND);
    git_object_free(blob);
    git_repository_free(g);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

/* ---- checkout filters ---- */

static void test_git__gitattributes_eol_crlf_converts_and_binary_is_untouched(void **state)
{
    static const sgt_file files[] = {
        {".gitattributes", "* text eol=crlf\n*.bin binary\n*.raw -text\n*.id ident\n", 0, 0},
        {"a.txt", "one\ntwo\n", 0, 0},
        {"already.txt", "one\r\ntwo\r\n", 0, 0},
        {"data.bin", "x\ny\n", 0, 0},
        {"keep.raw", "p\nq\n", 0, 0},
        {"v.id", "$Id$\n", 0, 0},
        {"sub/deep.js", "a\nb\nc\n", 0, 0755},
    };
    char commit[41], expect_id[80], blob_hex[41];
    char *repo = repo_with(commit, files, NFILES(files), 1);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    sg_tree *t = tree_ok(ctx, r, commit, NULL);
    git_oid blob;

    (void)state;
    assert_file(ctx, t, "a.txt", "one\r\ntwo\r\n", 10, 0);
    assert_file(ctx, t, "already.txt", "one\r\ntwo\r\n", 10, 0);
    assert_file(ctx, t, "data.bin", "x\ny\n", 4, 0);
    assert_file(ctx, t, "keep.raw", "p\nq\n", 4, 0);
    assert_file(ctx, t, "sub/deep.js", "a\r\nb\r\nc\r\n", 9, 1);
    {
        static const char attrs[] =
            "* text eol=crlf\r\n*.bin binary\r\n*.raw -text\r\n*.id ident\r\n";
        assert_file(ctx, t, ".gitattributes", attrs, sizeof(attrs) - 1, 0);
    }
    /* ident expands $Id$ to the blob id (then eol=crlf applies) */
    assert_int_equal(git_odb_hash(&blob, "$Id$\n", 5, GIT_OBJECT_BLOB), 0);
    git_oid_tostr(blob_hex, sizeof(blob_hex), &blob);
    snprintf(expect_id, sizeof(expect_id), "$Id: %s $\r\n", blob_hex);
    assert_file(ctx, t, "v.id", expect_id, strlen(expect_id), 0);
    sg_tree_free(t);

    /* attributes in a parent folder apply below a subdir */
    t = tree_ok(ctx, r, commit, "sub");
    assert_file(ctx, t, "deep.js", "a\r\nb\r\nc\r\n", 9, 1);
    sg_tree_free(t);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__lazy_tree_completes_to_the_eager_digests(void **state)
{
    static const sgt_file files[] = {
        {".gitattributes", "*.txt text eol=crlf\n", 0, 0},
        {"a.txt", "one\ntwo\n", 0, 0},
        {"b.js", "module.exports = 1;\n", 0, 0755},
        {"link", "b.js", 0, 0120000},
    };
    char commit[41];
    char *repo = repo_with(commit, files, NFILES(files), 1);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    sg_tree *eager = tree_ok(ctx, r, commit, NULL), *lazy = NULL, *done = NULL;
    sg_buf b = SG_BUF_INIT;
    size_t i;

    (void)state;
    assert_int_equal(sg_git_tree_ext(&lazy, ctx, r, commit, NULL, SG_GIT_TREE_LAZY), 0);
    assert_int_equal(sg_tree_count(lazy), sg_tree_count(eager));
    assert_true(sg_tree_find(lazy, "a.txt")->pending);
    assert_int_equal(sg_tree_find(lazy, "a.txt")->size, 0); /* unknown until completed */
    /* a pending entry can be read (filters applied) before it is hashed */
    assert_int_equal(sg_tree_read(&b, ctx, lazy, sg_tree_find(lazy, "a.txt")), 0);
    assert_string_equal(b.ptr, "one\r\ntwo\r\n");
    assert_int_equal(sg_tree_complete(&done, ctx, lazy), 0);
    for (i = 0; i < sg_tree_count(eager); i++) {
        const sg_entry *e = sg_tree_entry(eager, i), *d = sg_tree_entry(done, i);
        assert_string_equal(e->path, d->path);
        assert_false(d->pending);
        assert_int_equal(e->size, d->size);
        assert_int_equal(e->exec, d->exec);
        assert_memory_equal(e->sha256, d->sha256, 32);
        assert_memory_equal(e->head, d->head, SG_ENTRY_HEAD);
    }
    sg_buf_dispose(&b);
    sg_tree_free(done);
    sg_tree_free(lazy);
    sg_tree_free(eager);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

/* sg_git__blob_id computes git's blob ids; sg_git__tree_raw_blob names the blob of a file only
 * where no checkout filter can apply (no .gitattributes on its path), and never for a tree
 * of another backend. */
static void test_git__blob_ids_name_unfiltered_files_only(void **state)
{
    static const sgt_file files[] = {
        {"sub/.gitattributes", "*.txt text eol=crlf\n", 0, 0},
        {"sub/a.txt", "one\n", 0, 0},
        {"b.js", "x\n", 0, 0755},
        {"link", "b.js", 0, 0120000},
    };
    static const sgt_file mem[] = {{"b.js", "x\n", 0, 0}};
    char commit[41];
    char *repo = repo_with(commit, files, NFILES(files), 1);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    sg_tree *lazy = NULL, *other = sgt_tree(mem, 1);
    unsigned char id[20], want[20];
    git_oid oid;

    (void)state;
    assert_int_equal(sg_git__blob_id(id, ctx, "x\n", 2), 0);
    assert_int_equal(git_odb_hash(&oid, "x\n", 2, GIT_OBJECT_BLOB), 0);
    assert_memory_equal(id, oid.id, 20);
    /* the empty blob: e69de29b... */
    assert_int_equal(sg_git__blob_id(id, ctx, NULL, 0), 0);
    assert_int_equal(git_oid_fromstr(&oid, "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"), 0);
    assert_memory_equal(id, oid.id, 20);

    assert_int_equal(sg_git_tree_ext(&lazy, ctx, r, commit, NULL, SG_GIT_TREE_LAZY), 0);
    assert_int_equal(sg_git__blob_id(want, ctx, "x\n", 2), 0);
    memset(id, 0, sizeof(id));
    assert_int_equal(sg_git__tree_raw_blob(id, lazy, sg_tree_find(lazy, "b.js")), 1);
    assert_memory_equal(id, want, 20);
    assert_int_equal(sg_git__tree_raw_blob(id, lazy, sg_tree_find(lazy, "sub/a.txt")), 0);
    assert_int_equal(sg_git__tree_raw_blob(id, lazy, sg_tree_find(lazy, "link")), 0);
    assert_int_equal(sg_git__tree_raw_blob(id, other, sg_tree_find(other, "b.js")), 0);
    sg_tree_free(other);
    sg_tree_free(lazy);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

/* A file another entry is known to equal is not read: its size, digest and head are copied.
 * A later read still checks the bytes it gets against that digest, so a wrong "same" cannot
 * slip other bytes through. */
static const sg_entry *known_entry;

static int same_b_js(const sg_entry **same, void *arg, sg_ctx *ctx, const sg_tree *tree,
                     const sg_entry *e)
{
    (void)arg;
    (void)ctx;
    (void)tree;
    *same = strcmp(e->path, "b.js") == 0 ? known_entry : NULL;
    return 0;
}

static void test_git__complete_with_copies_known_content(void **state)
{
    static const sgt_file files[] = {{"a.js", "a\n", 0, 0}, {"b.js", "x\n", 0, 0}};
    static const sgt_file same[] = {{"b.js", "x\n", 0, 0}};
    static const sgt_file wrong[] = {{"b.js", "not x\n", 0, 0}};
    char commit[41];
    char *repo = repo_with(commit, files, NFILES(files), 1);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    sg_tree *lazy = NULL, *done = NULL, *k_same = sgt_tree(same, 1), *k_wrong = sgt_tree(wrong, 1);
    sg_buf b = SG_BUF_INIT;
    const sg_entry *e;

    (void)state;
    assert_int_equal(sg_git_tree_ext(&lazy, ctx, r, commit, NULL, SG_GIT_TREE_LAZY), 0);
    known_entry = sg_tree_find(k_same, "b.js");
    assert_int_equal(sg_tree__complete_with(&done, ctx, lazy, same_b_js, NULL), 0);
    e = sg_tree_find(done, "b.js");
    assert_false(e->pending);
    assert_int_equal(e->size, 2);
    assert_memory_equal(e->sha256, known_entry->sha256, 32);
    assert_int_equal(sg_tree_read(&b, ctx, done, e), 0);
    assert_int_equal(sg_tree_find(done, "a.js")->size, 2); /* read */
    sg_tree_free(done);

    known_entry = sg_tree_find(k_wrong, "b.js");
    assert_int_equal(sg_tree__complete_with(&done, ctx, lazy, same_b_js, NULL), 0);
    e = sg_tree_find(done, "b.js");
    assert_int_equal(e->size, 6); /* taken on trust... */
    sg_buf_clear(&b);
    assert_int_equal(sg_tree_read(&b, ctx, done, e), SG_EINVALID); /* ...and caught on a read */
    assert_non_null(strstr(sg_error_message(ctx), "changed since it was read"));
    sg_buf_dispose(&b);
    sg_tree_free(done);
    sg_tree_free(k_same);
    sg_tree_free(k_wrong);
    sg_tree_free(lazy);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__gitattributes_apply_only_below_their_folder(void **state)
{
    static const sgt_file files[] = {
        {"a/.gitattributes", "*.txt text eol=crlf\n", 0, 0},
        {"a/x.txt", "1\n2\n", 0, 0},
        {"a/b/y.txt", "3\n", 0, 0},
        {"b/x.txt", "1\n2\n", 0, 0},
        {"text.txt", "plain\n", 0, 0},
        {"-early.txt", "sorted before the attributes file\n", 0, 0},
        {"c/.gitattributes", "*.txt text\n", 0, 0},
        {"c/-first.txt", "lf\n", 0, 0},
        {"c/z.txt", "lf\n", 0, 0},
    };
    char commit[41];
    char *repo = repo_with(commit, files, NFILES(files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    sg_tree *t = tree_ok(ctx, r, commit, NULL);

    (void)state;
    assert_file(ctx, t, "a/x.txt", "1\r\n2\r\n", 6, 0);
    assert_file(ctx, t, "a/b/y.txt", "3\r\n", 3, 0);
    assert_file(ctx, t, "b/x.txt", "1\n2\n", 4, 0);
    assert_file(ctx, t, "text.txt", "plain\n", 6, 0);
    assert_file(ctx, t, "-early.txt", "sorted before the attributes file\n", 34, 0);
    /* "text" alone: a Linux checkout keeps LF */
    assert_file(ctx, t, "c/-first.txt", "lf\n", 3, 0);
    assert_file(ctx, t, "c/z.txt", "lf\n", 3, 0);
    sg_tree_free(t);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__no_gitattributes_keeps_bytes(void **state)
{
    static const sgt_file files[] = {
        {"lf.txt", "a\nb\n", 0, 0},
        {"crlf.txt", "a\r\nb\r\n", 0, 0},
        {"mixed.txt", "a\r\nb\nc\r", 0, 0},
        {"bin.dat", "\x00\x01\r\n\x02", 5, 0},
        {"empty", "", 0, 0},
    };
    char commit[41];
    char *repo = repo_with(commit, files, NFILES(files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    sg_tree *t = tree_ok(ctx, r, commit, NULL);

    (void)state;
    assert_file(ctx, t, "lf.txt", "a\nb\n", 4, 0);
    assert_file(ctx, t, "crlf.txt", "a\r\nb\r\n", 6, 0);
    assert_file(ctx, t, "mixed.txt", "a\r\nb\nc\r", 7, 0);
    assert_file(ctx, t, "bin.dat", "\x00\x01\r\n\x02", 5, 0);
    assert_file(ctx, t, "empty", "", 0, 0);
    sg_tree_free(t);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

/*
 * Nothing outside the commit changes the content: repository config core.autocrlf=true and
 * core.eol=crlf, $GIT_DIR/info/attributes, an uncommitted work-tree .gitattributes, the
 * global (XDG) and the system attributes files. Each of those is first shown to be live for
 * libgit2 itself, so the test would fail if sourcegate honored it.
 */
/* Teardown: the default global and system search paths again, even after a failure. */
static int reset_search_paths(void **state)
{
    (void)state;
    return git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, NULL) < 0 ||
           git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, NULL) < 0;
}

static void test_git__local_config_and_attributes_do_not_change_content(void **state)
{
    /* the committed .gitattributes sends every path through the filter lookup */
    static const sgt_file files[] = {
        {".gitattributes", "*.bin binary\n", 0, 0},
        {"a.txt", "one\ntwo\n", 0, 0},
        {"pkg/b.txt", "x\ny\n", 0, 0},
    };
    static const sgt_file bare_files[] = {
        {"a.txt", "one\ntwo\n", 0, 0},
    };
    char commit[41], commit2[41], path[4096];
    char *repo = repo_with(commit, files, NFILES(files), 0);
    char *xdg = sgt_tmpdir(), *sys = sgt_tmpdir();
    sg_ctx *ctx = ctx_new();
    git_repository *g = git_open(repo);
    git_config *cfg = NULL;
    git_buf out = GIT_BUF_INIT;
    const char *value = NULL;
    sg_git_repo *r;
    sg_tree *t;
    git_object *blob = NULL;
    git_blob_filter_options fo;

    (void)state;
    assert_int_equal(git_blob_filter_options_init(&fo, GIT_BLOB_FILTER_OPTIONS_VERSION), 0);
    assert_int_equal(git_repository_config(&cfg, g), 0);
    assert_int_equal(git_config_set_bool(cfg, "core.autocrlf", 1), 0);
    assert_int_equal(git_config_set_string(cfg, "core.eol", "crlf"), 0);
    git_config_free(cfg);
    snprintf(path, sizeof(path), "%s/.git/info/attributes", repo);
    sgt_write_file(path, "*.txt text eol=crlf\n", 20, 0);
    snprintf(path, sizeof(path), "%s/.gitattributes", repo);
    sgt_write_file(path, "* text eol=crlf\n", 16, 0);
    snprintf(path, sizeof(path), "%s/attributes", xdg);
    sgt_write_file(path, "* text eol=crlf xdgmark\n", 24, 0);
    snprintf(path, sizeof(path), "%s/gitattributes", sys);
    sgt_write_file(path, "* text eol=crlf sysmark\n", 24, 0);
    assert_int_equal(git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, xdg), 0);
    assert_int_equal(git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, sys), 0);

    /* libgit2 on its own sees all of it (a fresh handle, so its caches are new) */
    git_repository_free(g);
    g = git_open(repo);
    assert_int_equal(git_attr_get(&value, g, 0, "pkg/b.txt", "xdgmark"), 0);
    assert_true(GIT_ATTR_IS_TRUE(value));
    assert_int_equal(git_attr_get(&value, g, 0, "pkg/b.txt", "sysmark"), 0);
    assert_true(GIT_ATTR_IS_TRUE(value));
    assert_int_equal(git_revparse_single(&blob, g, "HEAD:a.txt"), 0);
    assert_int_equal(git_blob_filter(&out, (git_blob *)blob, "a.txt", &fo), 0);
    assert_string_equal(out.ptr, "one\r\ntwo\r\n");
    git_buf_dispose(&out);
    git_object_free(blob);
    git_repository_free(g);

    sgt_git_commit(commit2, repo, "plain", bare_files, NFILES(bare_files), "no attrs", 1);
    r = open_ok(ctx, repo);
    t = tree_ok(ctx, r, commit, NULL);
    assert_file(ctx, t, "a.txt", "one\ntwo\n", 8, 0);
    assert_file(ctx, t, "pkg/b.txt", "x\ny\n", 4, 0);
    assert_file(ctx, t, ".gitattributes", "*.bin binary\n", 13, 0);
    sg_tree_free(t);
    t = tree_ok(ctx, r, commit2, NULL);
    assert_file(ctx, t, "a.txt", "one\ntwo\n", 8, 0);
    sg_tree_free(t);
    sg_git_repo_free(r);

    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__reads_use_the_attributes_of_their_own_commit(void **state)
{
    static const sgt_file first[] = {{".gitattributes", "*.txt eol=crlf\n", 0, 0},
                                     {"a.txt", "1\n2\n", 0, 0}};
    static const sgt_file second[] = {{".gitattributes", "*.txt -text\n", 0, 0},
                                      {"a.txt", "1\n2\n", 0, 0}};
    char c1[41], c2[41];
    char *repo = repo_with(c1, first, NFILES(first), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r;
    sg_tree *t1, *t2;

    (void)state;
    sgt_git_commit(c2, repo, NULL, second, NFILES(second), "second", 1);
    r = open_ok(ctx, repo);
    t1 = tree_ok(ctx, r, c1, NULL);
    t2 = tree_ok(ctx, r, c2, NULL);
    /* interleaved reads: each re-filters with its own commit's .gitattributes */
    assert_file(ctx, t1, "a.txt", "1\r\n2\r\n", 6, 0);
    assert_file(ctx, t2, "a.txt", "1\n2\n", 4, 0);
    assert_file(ctx, t1, "a.txt", "1\r\n2\r\n", 6, 0);
    sg_tree_free(t2);
    t2 = tree_ok(ctx, r, c1, NULL);
    assert_file(ctx, t2, "a.txt", "1\r\n2\r\n", 6, 0);
    sg_tree_free(t1);
    sg_tree_free(t2);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__gitattributes_lines_and_size_are_limited(void **state)
{
    static const sgt_file files[] = {{".gitattributes", "*.txt text\n*.md text", 0, 0},
                                     {"sub/.gitattributes", "*.js text\n*.ts text\n", 0, 0},
                                     {"sub/a.js", "a\n", 0, 0},
                                     {"top.txt", "t\n", 0, 0}};
    char commit[41];
    char *repo = repo_with(commit, files, NFILES(files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    sg_tree *t;

    (void)state;
    /* two lines at the root plus two in sub apply to sub/a.js */
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_IGNORE_RULES, 4), 0);
    t = tree_ok(ctx, r, commit, NULL);
    assert_int_equal(sg_tree_count(t), 4);
    sg_tree_free(t);
    t = tree_ok(ctx, r, commit, "sub");
    assert_int_equal(sg_tree_count(t), 2);
    sg_tree_free(t);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_IGNORE_RULES, 3), 0);
    assert_int_equal(tree_err(ctx, r, commit, NULL), SG_ELIMIT);
    assert_contains(sg_error_message(ctx), "'sub/.gitattributes'");
    assert_int_equal(tree_err(ctx, r, commit, "sub"), SG_ELIMIT); /* the root file counts */
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_IGNORE_RULES, 100), 0);

    /* a .gitattributes above the subdir is size-checked before libgit2 loads it */
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_GIT_BLOB_SIZE, 20), 0);
    t = tree_ok(ctx, r, commit, "sub");
    sg_tree_free(t);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_GIT_BLOB_SIZE, 19), 0);
    assert_int_equal(tree_err(ctx, r, commit, "sub"), SG_ELIMIT);
    assert_contains(sg_error_message(ctx), "'.gitattributes'");
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

/* ---- limits ---- */

static void test_git__blob_size_limit_at_and_past(void **state)
{
    static const sgt_file files[] = {{"ten.txt", "0123456789", 0, 0}};
    static const sgt_file eleven[] = {{"pkg/eleven.txt", "0123456789A", 0, 0}};
    static const sgt_file grows[] = {{".gitattributes", "*.txt eol=crlf\n", 0, 0},
                                     {"g.txt", "a\nb\nc\nd\ne\nf\ng\nh\n", 0, 0}};
    char c1[41], c2[41], c3[41];
    char *repo = repo_with(c1, files, NFILES(files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r;
    sg_tree *t;

    (void)state;
    sgt_git_commit(c2, repo, NULL, eleven, 1, "eleven", 1);
    sgt_git_commit(c3, repo, NULL, grows, 2, "grows", 2);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_GIT_BLOB_SIZE, 10), 0);
    r = open_ok(ctx, repo);
    t = tree_ok(ctx, r, c1, NULL);
    assert_file(ctx, t, "ten.txt", "0123456789", 10, 0);
    sg_tree_free(t);
    assert_int_equal(tree_err(ctx, r, c2, NULL), SG_ELIMIT);
    assert_contains(sg_error_message(ctx), "'pkg/eleven.txt'");
    /* 16 bytes in git, 24 after eol=crlf */
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_GIT_BLOB_SIZE, 23), 0);
    assert_int_equal(tree_err(ctx, r, c3, NULL), SG_ELIMIT);
    assert_contains(sg_error_message(ctx), "'g.txt'");
    assert_contains(sg_error_message(ctx), "after checkout filters");
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_GIT_BLOB_SIZE, 24), 0);
    sg_error_clear(ctx);
    t = tree_ok(ctx, r, c3, NULL);
    assert_file(ctx, t, "g.txt", "a\r\nb\r\nc\r\nd\r\ne\r\nf\r\ng\r\nh\r\n", 24, 0);
    sg_tree_free(t);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__tree_entries_limit_at_and_past(void **state)
{
    static const sgt_file files[] = {
        {"a", "1", 0, 0}, {"b", "2", 0, 0}, {"c", "3", 0, 0}, {"d/e", "4", 0, 0}};
    char commit[41];
    char *repo = repo_with(commit, files, NFILES(files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    sg_tree *t;

    (void)state;
    /* five entries visited: a, b, c, d (a tree) and d/e */
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_GIT_TREE_ENTRIES, 5), 0);
    t = tree_ok(ctx, r, commit, NULL);
    assert_int_equal(sg_tree_count(t), 4);
    sg_tree_free(t);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_GIT_TREE_ENTRIES, 4), 0);
    assert_int_equal(tree_err(ctx, r, commit, NULL), SG_ELIMIT);
    assert_contains(sg_error_message(ctx), "git-tree-entries");
    /* below a subdir only the subdir's entries count */
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_GIT_TREE_ENTRIES, 1), 0);
    sg_error_clear(ctx);
    t = tree_ok(ctx, r, commit, "d");
    assert_int_equal(sg_tree_count(t), 1);
    sg_tree_free(t);
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__path_length_and_depth_limits(void **state)
{
    static const sgt_file files[] = {{"pkg/ab/cdefgh", "1", 0, 0}};
    char commit[41];
    char *repo = repo_with(commit, files, NFILES(files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    sg_tree *t;

    (void)state;
    /* limits apply to the path below the subdir: "ab/cdefgh" is 9 bytes, 2 deep */
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_PATH_LENGTH, 9), 0);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_PATH_DEPTH, 2), 0);
    t = tree_ok(ctx, r, commit, "pkg");
    assert_int_equal(sg_tree_count(t), 1);
    sg_tree_free(t);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_PATH_LENGTH, 8), 0);
    assert_int_equal(tree_err(ctx, r, commit, "pkg"), SG_ELIMIT);
    assert_contains(sg_error_message(ctx), "path-length");
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_PATH_LENGTH, 100), 0);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_PATH_DEPTH, 1), 0);
    assert_int_equal(tree_err(ctx, r, commit, "pkg"), SG_ELIMIT);
    assert_contains(sg_error_message(ctx), "path-depth");
    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(repo);
}

/* ---- lifetimes ---- */

static void test_git__tree_outlives_its_repository(void **state)
{
    static const sgt_file files[] = {
        {".gitattributes", "*.txt eol=crlf\n", 0, 0},
        {"a.txt", "1\n2\n", 0, 0},
        {"b.js", "b\n", 0, 0},
    };
    static const unsigned char keep[] = {0, 1, 0};
    char commit[41];
    char *repo = repo_with(commit, files, NFILES(files), 0);
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r = open_ok(ctx, repo);
    sg_tree *t1 = tree_ok(ctx, r, commit, NULL), *t2 = tree_ok(ctx, r, commit, NULL), *sel = NULL;

    (void)state;
    sg_git_repo_free(r);
    assert_file(ctx, t1, "a.txt", "1\r\n2\r\n", 6, 0);
    assert_int_equal(sg_tree_select(&sel, ctx, t1, keep), 0);
    sg_tree_free(t1);
    assert_file(ctx, sel, "a.txt", "1\r\n2\r\n", 6, 0);
    sg_tree_free(sel);
    assert_file(ctx, t2, "b.js", "b\n", 2, 0);
    sg_tree_free(t2);
    sg_ctx_free(ctx);
    free(repo);
}

/* Every allocation of sourcegate's own failing in turn: an error, never a crash or a leak. */
static void test_git__allocation_failures_are_reported(void **state)
{
    static const sgt_file files[] = {
        {".gitattributes", "*.txt eol=crlf\n", 0, 0},
        {"a.txt", "1\n2\n", 0, 0},
        {"d/b.js", "b\n", 0, 0755},
        {"d/l", "b.js", 0, 0120000},
        {"m", "0123456789abcdef0123456789abcdef01234567", 0, 0160000},
    };
    char commit[41];
    char *repo = repo_with(commit, files, NFILES(files), 0);
    sg_ctx *ctx = ctx_new();
    long n;
    int opened = 0, built = 0;

    (void)state;
    for (n = 0; n < 10000 && !built; n++) {
        sg_git_repo *r = NULL;
        sg_tree *t = NULL;
        sg_buf buf = SG_BUF_INIT;
        int rc;

        sg_error_clear(ctx);
        sg_alloc__fail_after(n);
        rc = sg_git_repo_open(&r, ctx, repo);
        if (rc == 0) {
            opened = 1;
            rc = sg_git_tree(&t, ctx, r, commit, "");
            if (rc == 0)
                rc = sg_tree_read(&buf, ctx, t, sg_tree_find(t, "a.txt"));
            if (rc == 0) {
                built = 1;
                assert_string_equal(buf.ptr, "1\r\n2\r\n");
            }
        }
        sg_alloc__fail_after(-1);
        if (rc != 0) {
            assert_true(rc < 0);
            assert_int_equal(sg_error_code_of(ctx), rc);
            assert_true(strlen(sg_error_message(ctx)) > 0);
        }
        sg_buf_dispose(&buf);
        sg_tree_free(t);
        sg_git_repo_free(r);
    }
    assert_true(opened);
    assert_true(built);
    assert_true(n > 5); /* some allocations did fail on the way */
    sg_ctx_free(ctx);
    free(repo);
}

/* A lazy listing reads no blob: a mirror without the blobs a package never uses (a partial
 * clone) lists, and only a read of a missing or huge blob fails, naming it. */
static void test_git__lazy_tree_reads_no_blob_until_asked(void **state)
{
    static const sgt_file files[] = {
        {"pkg/index.js", "exports.x = 1;\n", 0, 0},
        {"pkg/big.bin", "more than twenty bytes of content\n", 0, 0},
        {"benchmark/samples/document_huge.yaml", "gone from this mirror\n", 0, 0},
        {"pkg/gone.js", "gone as well\n", 0, 0},
    };
    char commit[41], gitdir[2048], obj[4096];
    char *repo = repo_with(commit, files, NFILES(files), 0);
    sg_ctx *ctx = ctx_new();
    git_repository *g = git_open(repo);
    git_object *o = NULL;
    sg_git_repo *r;
    sg_tree *lazy = NULL, *pkg = NULL, *sel = NULL, *done = NULL;
    sg_buf b = SG_BUF_INIT;
    unsigned char keep[3] = {1, 0, 1}; /* pkg/: big.bin, gone.js, index.js */
    size_t i;

    (void)state;
    snprintf(gitdir, sizeof(gitdir), "%s/.git", repo);
    for (i = 0; i < 2; i++) {
        assert_int_equal(git_revparse_single(&o, g,
                                             i ? "HEAD:pkg/gone.js"
                                               : "HEAD:benchmark/samples/document_huge.yaml"),
                         0);
        loose_path(obj, sizeof(obj), gitdir, git_object_id(o));
        git_object_free(o);
        assert_int_equal(unlink(obj), 0);
    }
    r = open_ok(ctx, repo);
    /* the eager reader still needs every blob */
    assert_int_equal(tree_err(ctx, r, commit, NULL), SG_EINVALID);
    sg_error_clear(ctx);
    /* the lazy one lists the whole commit and the package without them */
    assert_int_equal(sg_git_tree_ext(&lazy, ctx, r, commit, NULL, SG_GIT_TREE_LAZY), 0);
    assert_int_equal(sg_tree_count(lazy), 4);
    assert_true(sg_tree_find(lazy, "benchmark/samples/document_huge.yaml")->pending);
    assert_int_equal(sg_git_tree_ext(&pkg, ctx, r, commit, "pkg", SG_GIT_TREE_LAZY), 0);
    assert_int_equal(sg_tree_count(pkg), 3);
    /* the files that are used complete; the missing one is a clear error naming it */
    assert_int_equal(sg_tree_select(&sel, ctx, pkg, keep), 0);
    assert_int_equal(sg_tree_complete(&done, ctx, sel), 0);
    assert_int_equal(sg_tree_find(done, "index.js")->size, 15);
    assert_int_equal(sg_tree_read(&b, ctx, pkg, sg_tree_find(pkg, "gone.js")), SG_EINVALID);
    assert_contains(sg_error_message(ctx), "'pkg/gone.js' is missing from the repository");
    sg_tree_free(done);
    done = NULL;
    sg_error_clear(ctx);
    assert_int_equal(sg_tree_complete(&done, ctx, pkg), SG_EINVALID);
    assert_null(done);
    assert_contains(sg_error_message(ctx), "'pkg/gone.js'");
    /* a blob over the limit is refused from its header when it is read, not when listed */
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_GIT_BLOB_SIZE, 20), 0);
    sg_error_clear(ctx);
    sg_buf_clear(&b);
    assert_int_equal(sg_tree_read(&b, ctx, pkg, sg_tree_find(pkg, "big.bin")), SG_ELIMIT);
    assert_contains(sg_error_message(ctx), "'pkg/big.bin'");
    assert_int_equal(b.size, 0);
    sg_buf_dispose(&b);
    sg_tree_free(sel);
    sg_tree_free(pkg);
    sg_tree_free(lazy);
    sg_git_repo_free(r);
    git_repository_free(g);
    sg_ctx_free(ctx);
    free(repo);
}

/* ---- broken and hostile repositories ---- */

static void test_git__missing_objects_give_errors(void **state)
{
    static const sgt_file files[] = {
        {"x.txt", "the blob that goes missing\n", 0, 0},
        {"d/b.txt", "in a tree that goes missing\n", 0, 0},
        {"y.txt", "read after the tree was made\n", 0, 0},
    };
    char commit[41], gitdir[2048], obj[4096];
    char *repo = repo_with(commit, files, NFILES(files), 0);
    sg_ctx *ctx = ctx_new();
    git_repository *g = git_open(repo);
    git_object *o = NULL;
    sg_git_repo *r;
    sg_tree *t;
    sg_buf buf = SG_BUF_INIT;
    FILE *f;

    (void)state;
    snprintf(gitdir, sizeof(gitdir), "%s/.git", repo);
    r = open_ok(ctx, repo);
    t = tree_ok(ctx, r, commit, NULL);

    /* a blob deleted after the tree was made: the read fails cleanly */
    assert_int_equal(git_revparse_single(&o, g, "HEAD:y.txt"), 0);
    loose_path(obj, sizeof(obj), gitdir, git_object_id(o));
    git_object_free(o);
    assert_int_equal(unlink(obj), 0);
    assert_int_not_equal(sg_tree_read(&buf, ctx, t, sg_tree_find(t, "y.txt")), 0);
    assert_contains(sg_error_message(ctx), "y.txt");
    sg_tree_free(t);
    sg_git_repo_free(r);

    /* a missing blob */
    assert_int_equal(git_revparse_single(&o, g, "HEAD:x.txt"), 0);
    loose_path(obj, sizeof(obj), gitdir, git_object_id(o));
    git_object_free(o);
    assert_int_equal(unlink(obj), 0);
    r = open_ok(ctx, repo);
    assert_int_equal(tree_err(ctx, r, commit, NULL), SG_EINVALID);
    assert_contains(sg_error_message(ctx), "'x.txt'");
    assert_contains(sg_error_message(ctx), "missing");
    sg_git_repo_free(r);

    /* a corrupted tree object */
    assert_int_equal(git_revparse_single(&o, g, "HEAD:d"), 0);
    loose_path(obj, sizeof(obj), gitdir, git_object_id(o));
    git_object_free(o);
    assert_int_equal(chmod(obj, 0644), 0);
    f = fopen(obj, "wb");
    assert_non_null(f);
    fputs("not zlib at all", f);
    fclose(f);
    r = open_ok(ctx, repo);
    assert_int_equal(tree_err(ctx, r, commit, "d"), SG_EDEP);
    assert_contains(sg_error_message(ctx), "'d'");
    assert_int_equal(tree_err(ctx, r, commit, NULL), SG_EDEP);
    sg_git_repo_free(r);

    /* a missing tree */
    assert_int_equal(unlink(obj), 0);
    r = open_ok(ctx, repo);
    assert_int_equal(tree_err(ctx, r, commit, NULL), SG_EINVALID);
    assert_int_equal(tree_err(ctx, r, commit, "d"), SG_EINVALID);
    sg_git_repo_free(r);

    sg_buf_dispose(&buf);
    git_repository_free(g);
    sg_ctx_free(ctx);
    free(repo);
}

static void test_git__hostile_tree_entries_are_refused(void **state)
{
    static const char *const bad_names[] = {".git", ".GIT", ".Git", ".", "..", "a/b", "a\\b"};
    static const char *const bad_modes[] = {"70000", "10644", "0", "140000"};
    static const char *const odd_modes[] = {"100664", "100744", "100600"};
    char commit[41], *dir = sgt_tmpdir(), repo[4096];
    sg_ctx *ctx = ctx_new();
    git_repository *g;
    sg_git_repo *r;
    raw_entry e[3];
    git_oid blob, tree, sub;
    size_t i;

    (void)state;
    snprintf(repo, sizeof(repo), "%s/hostile.git", dir);
    sgt_git_init(repo, 1);
    g = git_open(repo);
    raw_blob(&blob, g, "payload\n");
    r = open_ok(ctx, repo);

    for (i = 0; i < NFILES(bad_names); i++) {
        e[0].mode = "100644";
        e[0].name = bad_names[i];
        e[0].id = blob;
        raw_tree(&tree, g, e, 1);
        raw_commit(commit, g, &tree);
        assert_int_equal(tree_err(ctx, r, commit, NULL), SG_EINVALID);
        /* the same name as a folder */
        e[0].mode = "40000";
        e[0].id = tree;
        raw_tree(&sub, g, e, 1);
        raw_commit(commit, g, &sub);
        assert_int_equal(tree_err(ctx, r, commit, NULL), SG_EINVALID);
    }
    for (i = 0; i < NFILES(bad_modes); i++) {
        e[0].mode = bad_modes[i];
        e[0].name = "x";
        e[0].id = blob;
        raw_tree(&tree, g, e, 1);
        raw_commit(commit, g, &tree);
        assert_int_equal(tree_err(ctx, r, commit, NULL), SG_EINVALID);
        assert_contains(sg_error_message(ctx), "unknown mode");
    }
    /* legacy modes git still checks out: regular files, exec from the user-exec bit */
    for (i = 0; i < NFILES(odd_modes); i++) {
        sg_tree *t;
        e[0].mode = odd_modes[i];
        e[0].name = "x";
        e[0].id = blob;
        raw_tree(&tree, g, e, 1);
        raw_commit(commit, g, &tree);
        sg_error_clear(ctx);
        t = tree_ok(ctx, r, commit, NULL);
        assert_file(ctx, t, "x", "payload\n", 8, strcmp(odd_modes[i], "100744") == 0);
        sg_tree_free(t);
    }
    /* two entries with one name */
    e[0].mode = "100644";
    e[0].name = "dup";
    e[0].id = blob;
    e[1] = e[0];
    raw_tree(&tree, g, e, 2);
    raw_commit(commit, g, &tree);
    assert_int_equal(tree_err(ctx, r, commit, NULL), SG_EINVALID);

    /* a file entry naming a tree, a folder entry naming a blob, a missing object */
    raw_tree(&sub, g, e, 1);
    e[0].name = "f";
    e[0].id = sub;
    raw_tree(&tree, g, e, 1);
    raw_commit(commit, g, &tree);
    assert_int_equal(tree_err(ctx, r, commit, NULL), SG_EINVALID);
    assert_contains(sg_error_message(ctx), "not a blob");
    e[0].mode = "40000";
    e[0].id = blob;
    raw_tree(&tree, g, e, 1);
    raw_commit(commit, g, &tree);
    assert_int_equal(tree_err(ctx, r, commit, NULL), SG_EINVALID);
    e[0].mode = "100644";
    memset(&e[0].id, 0x42, sizeof(e[0].id));
    raw_tree(&tree, g, e, 1);
    raw_commit(commit, g, &tree);
    assert_int_equal(tree_err(ctx, r, commit, NULL), SG_EINVALID);
    assert_contains(sg_error_message(ctx), "missing");
    /* a symlink whose target holds a NUL */
    {
        git_oid nul;
        assert_int_equal(git_blob_create_from_buffer(&nul, g, "a\0b", 3), 0);
        e[0].mode = "120000";
        e[0].name = "l";
        e[0].id = nul;
        raw_tree(&tree, g, e, 1);
        raw_commit(commit, g, &tree);
        assert_int_equal(tree_err(ctx, r, commit, NULL), SG_EINVALID);
    }
    /* the commit's tree is missing */
    memset(&tree, 0x43, sizeof(tree));
    raw_commit(commit, g, &tree);
    assert_true(tree_err(ctx, r, commit, NULL) < 0);

    sg_git_repo_free(r);
    git_repository_free(g);
    sg_ctx_free(ctx);
}

/* A tree whose 16 entries all name the tree below, 6 levels: 16^6 paths from 7 objects. */
static void test_git__tree_bomb_and_deep_nesting_hit_limits(void **state)
{
    char commit[41], *dir = sgt_tmpdir(), repo[4096], names[16][4];
    sg_ctx *ctx = ctx_new();
    git_repository *g;
    sg_git_repo *r;
    raw_entry e[16];
    git_oid blob, tree;
    size_t i, level;
    time_t start = time(NULL);

    (void)state;
    snprintf(repo, sizeof(repo), "%s/bomb.git", dir);
    sgt_git_init(repo, 1);
    g = git_open(repo);
    raw_blob(&blob, g, "x");
    for (i = 0; i < 16; i++) {
        snprintf(names[i], sizeof(names[i]), "%c", (char)('a' + i));
        e[i].mode = "100644";
        e[i].name = names[i];
        e[i].id = blob;
    }
    raw_tree(&tree, g, e, 16);
    for (level = 0; level < 6; level++) {
        for (i = 0; i < 16; i++) {
            e[i].mode = "40000";
            e[i].id = tree;
        }
        raw_tree(&tree, g, e, 16);
    }
    raw_commit(commit, g, &tree);
    r = open_ok(ctx, repo);
    {
        double t0 = now_seconds();
        assert_int_equal(tree_err(ctx, r, commit, NULL), SG_ELIMIT); /* default limits */
        print_message("bomb: %.3f s: %s\n", now_seconds() - t0, sg_error_message(ctx));
    }
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_GIT_TREE_ENTRIES, 1000), 0);
    assert_int_equal(tree_err(ctx, r, commit, NULL), SG_ELIMIT);
    assert_contains(sg_error_message(ctx), "git-tree-entries");

    /* 100 nested folders: deeper than the default path-depth limit (64) */
    e[0].mode = "100644";
    e[0].name = "f";
    e[0].id = blob;
    raw_tree(&tree, g, e, 1);
    for (level = 0; level < 100; level++) {
        e[0].mode = "40000";
        e[0].name = "d";
        e[0].id = tree;
        raw_tree(&tree, g, e, 1);
    }
    raw_commit(commit, g, &tree);
    assert_int_equal(tree_err(ctx, r, commit, NULL), SG_ELIMIT);
    assert_contains(sg_error_message(ctx), "path-depth");
    print_message("tree bomb refused in %ld s\n", (long)(time(NULL) - start));
    sg_git_repo_free(r);
    git_repository_free(g);
    sg_ctx_free(ctx);
}

/* ---- performance ---- */

static void test_git__six_thousand_files_are_read_quickly(void **state)
{
    enum { N = 6000 };
    sgt_file *files = calloc(N + 1, sizeof(sgt_file));
    char(*paths)[64] = calloc(N, 64), (*contents)[64] = calloc(N, 64);
    char commit[41], *repo;
    sg_ctx *ctx = ctx_new();
    sg_git_repo *r;
    sg_tree *t;
    double t0, plain, filtered;
    size_t i;

    (void)state;
    for (i = 0; i < N; i++) {
        snprintf(paths[i], 64, "d%02zu/e%02zu/f%04zu.%s", i % 50, (i / 50) % 10, i,
                 i % 3 ? "js" : "txt");
        snprintf(contents[i], 64, "line %zu\nline two\n", i);
        files[i].path = paths[i];
        files[i].content = contents[i];
    }
    repo = repo_with(commit, files, N, 0);
    r = open_ok(ctx, repo);
    t0 = now_seconds();
    t = tree_ok(ctx, r, commit, NULL);
    plain = now_seconds() - t0;
    assert_int_equal(sg_tree_count(t), N);
    sg_tree_free(t);

    /* with attributes at the root every path goes through the filter lookup */
    files[N].path = ".gitattributes";
    files[N].content = "*.txt text eol=crlf\n";
    sgt_git_commit(commit, repo, NULL, files, N + 1, "attrs", 1);
    t0 = now_seconds();
    t = tree_ok(ctx, r, commit, NULL);
    filtered = now_seconds() - t0;
    assert_int_equal(sg_tree_count(t), N + 1);
    assert_file(ctx, t, "d00/e00/f0000.txt", "line 0\r\nline two\r\n", 18, 0);
    assert_file(ctx, t, "d01/e00/f0001.js", "line 1\nline two\n", 16, 0);
    sg_tree_free(t);
    print_message("6000 files: %.3f s plain, %.3f s with .gitattributes\n", plain, filtered);

    sg_git_repo_free(r);
    sg_ctx_free(ctx);
    free(files);
    free(paths);
    free(contents);
    free(repo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_git__opens_non_bare_repo_and_a_folder_inside_it),
        cmocka_unit_test(test_git__opens_bare_repo),
        cmocka_unit_test(test_git__lazy_tree_completes_to_the_eager_digests),
        cmocka_unit_test(test_git__opens_file_urls),
        cmocka_unit_test(test_git__file_url_paths_decode_one_way),
        cmocka_unit_test(test_git__refuses_remote_urls),
        cmocka_unit_test(test_git__missing_repository_is_not_found),
        cmocka_unit_test(test_git__resolves_tags_branches_and_shas),
        cmocka_unit_test(test_git__missing_revision_is_not_found),
        cmocka_unit_test(test_git__revision_naming_a_blob_or_tree_is_invalid),
        cmocka_unit_test(test_git__tree_at_root_has_files_exec_symlinks_and_submodules),
        cmocka_unit_test(test_git__tree_below_subdir_has_relative_paths),
        cmocka_unit_test(test_git__bad_subdirs_and_commits_are_refused),
        cmocka_unit_test(test_git__gitattributes_eol_crlf_converts_and_binary_is_untouched),
        cmocka_unit_test(test_git__gitattributes_apply_only_below_their_folder),
        cmocka_unit_test(test_git__no_gitattributes_keeps_bytes),
        cmocka_unit_test_teardown(test_git__local_config_and_attributes_do_not_change_content,
                                  reset_search_paths),
        cmocka_unit_test(test_git__reads_use_the_attributes_of_their_own_commit),
        cmocka_unit_test(test_git__gitattributes_lines_and_size_are_limited),
        cmocka_unit_test(test_git__blob_size_limit_at_and_past),
        cmocka_unit_test(test_git__tree_entries_limit_at_and_past),
        cmocka_unit_test(test_git__path_length_and_depth_limits),
        cmocka_unit_test(test_git__tree_outlives_its_repository),
        cmocka_unit_test(test_git__allocation_failures_are_reported),
        cmocka_unit_test(test_git__lazy_tree_reads_no_blob_until_asked),
        cmocka_unit_test(test_git__missing_objects_give_errors),
        cmocka_unit_test(test_git__hostile_tree_entries_are_refused),
        cmocka_unit_test(test_git__tree_bomb_and_deep_nesting_hit_limits),
        cmocka_unit_test(test_git__six_thousand_files_are_read_quickly),
        cmocka_unit_test(test_git__blob_ids_name_unfiltered_files_only),
        cmocka_unit_test(test_git__complete_with_copies_known_content),
    };
    int rc;

    git_libgit2_init();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    git_libgit2_shutdown();
    sgt_cleanup();
    return rc;
}
