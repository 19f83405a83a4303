/*
 * Tests of verifier/source/mirror.c: bare mirrors in the cache made and updated from file:// URLs of
 * fixture repositories (offline), incremental fetches, --offline, URL changes, prune of moved
 * tags and deleted branches, failures that leave nothing behind, and two processes on one
 * mirror.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>

#include "verifier/source/source_int.h"

#define CANON "https://example.com/owner/repo.git"

static sg_ctx *ctx_new(void)
{
    sg_ctx *ctx = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    return ctx;
}

static char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* "file://" + an absolute path. */
static char *file_url(const char *path)
{
    size_t n = strlen(path) + 8;
    char *p = malloc(n);
    snprintf(p, n, "file://%s", path);
    return p;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A bare origin with `nfiles` files in one commit tagged v1.0.0; its file:// URL into url
 * (malloc'd). */
static char *make_origin_tagged(char c1[41], char **url, size_t nfiles, int annotated)
{
    char *dir = path_join(sgt_tmpdir(), "origin.git");
    sgt_file *files = calloc(nfiles, sizeof(*files));
    char(*names)[32] = calloc(nfiles, sizeof(*names));
    char(*bodies)[64] = calloc(nfiles, sizeof(*bodies));
    size_t i;

    for (i = 0; i < nfiles; i++) {
        snprintf(names[i], sizeof(names[i]), "src/f%04zu.js", i);
        snprintf(bodies[i], sizeof(bodies[i]), "module.exports = %zu;\n", i);
        files[i].path = names[i];
        files[i].content = bodies[i];
    }
    sgt_git_init(dir, 1);
    sgt_git_commit(c1, dir, NULL, files, nfiles, "first", 0);
    sgt_git_tag(dir, "v1.0.0", c1, annotated);
    free(files);
    free(names);
    free(bodies);
    *url = file_url(dir);
    return dir;
}

static char *make_origin(char c1[41], char **url, size_t nfiles)
{
    return make_origin_tagged(c1, url, nfiles, 1);
}

static sg_cache *cache_new(sg_ctx *ctx, char **dir_out)
{
    sg_cache *cache = NULL;
    char *dir = path_join(sgt_tmpdir(), "cache");
    assert_int_equal(sg_cache_open(&cache, ctx, dir), 0);
    *dir_out = dir;
    return cache;
}

static sg_git_repo *mirror_ok(sg_ctx *ctx, sg_cache *cache, const char *url, int offline,
                              size_t *received)
{
    sg_git_repo *repo = NULL;
    sg_error_clear(ctx);
    if (sg_mirror__open(&repo, ctx, cache, CANON, url, offline, received) != 0)
        fail_msg("mirror of '%s': %s", url, sg_error_message(ctx));
    assert_non_null(repo);
    return repo;
}

static void expect_rev(sg_ctx *ctx, sg_git_repo *repo, const char *rev, const char *want)
{
    char got[41];
    sg_error_clear(ctx);
    if (sg_git_resolve(got, ctx, repo, rev) != 0)
        fail_msg("resolve '%s': %s", rev, sg_error_message(ctx));
    assert_string_equal(got, want);
}

static void expect_no_rev(sg_ctx *ctx, sg_git_repo *repo, const char *rev)
{
    char got[41];
    sg_error_clear(ctx);
    assert_int_equal(sg_git_resolve(got, ctx, repo, rev), SG_ENOTFOUND);
}

/* ---- tests ---- */

static void test_mirror__relpath_from_canonical_url(void **state)
{
    static const struct {
        const char *url;
        const char *want; /* exact, or NULL: only properties checked */
    } cases[] = {
        {"https://github.com/axios/axios.git", "git/github.com/axios/axios.git"},
        {"https://gitlab.com/group/sub/proj.git", "git/gitlab.com/group/sub/proj.git"},
        {"https://example.com/repo", "git/example.com/repo.git"},
        {"https://user:secret@example.com/o/r.git", "git/example.com/o/r.git"},
        {"https://example.com/a/../b.git", NULL},
        {"https://example.com/./x/.hidden.git", NULL},
        {"https://example.com:8443/o/r.git", NULL},
        {"https://example.com/a b/c.git", NULL},
        {"file:///srv/x.git", NULL},
        {"https://example.com", NULL},
    };
    sg_ctx *ctx = ctx_new();
    sg_buf out = SG_BUF_INIT, other = SG_BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(sg_mirror__relpath(&out, ctx, cases[i].url), 0);
        if (cases[i].want) {
            assert_string_equal(out.ptr, cases[i].want);
            continue;
        }
        /* sanitized: no dot segments, only safe bytes, a hash suffix, ends in .git */
        assert_null(strstr(out.ptr, "/."));
        assert_int_equal(strspn(out.ptr, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                         "0123456789._-/"),
                         out.size);
        assert_int_equal(strncmp(out.ptr, "git/", 4), 0);
        assert_string_equal(out.ptr + out.size - 4, ".git");
        if (!(out.size > 17 && out.ptr[out.size - 17] == '-'))
            fail_msg("'%s' -> '%s' has no hash suffix", cases[i].url, out.ptr);
    }
    /* URLs that sanitize alike stay apart */
    assert_int_equal(sg_mirror__relpath(&out, ctx, "https://example.com/a b.git"), 0);
    assert_int_equal(sg_mirror__relpath(&other, ctx, "https://example.com/a_b.git"), 0);
    assert_string_not_equal(out.ptr, other.ptr);
    /* very long URLs are bounded */
    {
        char big[1500];
        memset(big, 'a', sizeof(big) - 1);
        memcpy(big, "https://h.com/", 14);
        big[sizeof(big) - 1] = '\0';
        assert_int_equal(sg_mirror__relpath(&out, ctx, big), 0);
        assert_true(out.size <= 420);
    }
    assert_int_equal(sg_mirror__relpath(&out, ctx, ""), SG_EINVALID);
    sg_buf_dispose(&out);
    sg_buf_dispose(&other);
    sg_ctx_free(ctx);
}

static void test_mirror__created_from_file_url_then_fetches_only_new_objects(void **state)
{
    sg_ctx *ctx = ctx_new();
    char c1[41], c2[41], *url, *cdir;
    char *origin = make_origin(c1, &url, 60);
    sg_cache *cache = cache_new(ctx, &cdir);
    sg_git_repo *repo;
    size_t first = 0, second = 0, third = 0;
    char *mpath = path_join(cdir, "git/example.com/owner/repo.git");
    char *partial = path_join(cdir, "git/example.com/owner/repo.git.partial");
    sgt_file f2[] = {{"src/f0000.js", "changed\n", 0, 0}, {"package.json", "{}", 0, 0}};

    (void)state;
    repo = mirror_ok(ctx, cache, url, 0, &first);
    assert_true(exists(mpath));
    assert_false(exists(partial));
    expect_rev(ctx, repo, "v1.0.0", c1);
    expect_rev(ctx, repo, "refs/heads/main", c1);
    sg_git_repo_free(repo);
    assert_true(first >= 60); /* every blob came over */

    /* a new commit and tag upstream: the second open sees them, and only they travel */
    sgt_git_commit(c2, origin, NULL, f2, 2, "second", 10);
    sgt_git_tag(origin, "v1.1.0", c2, 1);
    repo = mirror_ok(ctx, cache, url, 0, &second);
    expect_rev(ctx, repo, "v1.1.0", c2);
    expect_rev(ctx, repo, "v1.0.0", c1);
    sg_git_repo_free(repo);
    if (!(second > 0 && second <= 6))
        fail_msg("second fetch received %zu objects (first %zu)", second, first);

    /* nothing new: nothing received */
    repo = mirror_ok(ctx, cache, url, 0, &third);
    sg_git_repo_free(repo);
    assert_int_equal(third, 0);

    free(mpath);
    free(partial);
    free(url);
    free(origin);
    free(cdir);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
}

/* Objects in a repository's object database, counting an object once per pack or loose
 * file that holds it: a fetch that brought old objects again shows as a larger count. */
static int count_cb(const git_oid *id, void *payload)
{
    (void)id;
    (*(size_t *)payload)++;
    return 0;
}

static size_t odb_entries(const char *gitdir)
{
    git_repository *g = NULL;
    git_odb *odb = NULL;
    size_t n = 0;
    assert_int_equal(git_repository_open(&g, gitdir), 0);
    assert_int_equal(git_repository_odb(&odb, g), 0);
    assert_int_equal(git_odb_foreach(odb, count_cb, &n), 0);
    git_odb_free(odb);
    git_repository_free(g);
    return n;
}

static void test_mirror__mirror_holds_each_object_once(void **state)
{
    sg_ctx *ctx = ctx_new();
    char c1[41], c2[41], *url, *cdir;
    char *origin = make_origin(c1, &url, 30);
    sg_cache *cache = cache_new(ctx, &cdir);
    sg_git_repo *repo;
    char *mpath = path_join(cdir, "git/example.com/owner/repo.git");
    sgt_file f[] = {{"src/f0001.js", "new\n", 0, 0}};

    (void)state;
    repo = mirror_ok(ctx, cache, url, 0, NULL);
    sg_git_repo_free(repo);
    assert_int_equal(odb_entries(mpath), odb_entries(origin));
    sgt_git_commit(c2, origin, NULL, f, 1, "more", 10);
    sgt_git_tag(origin, "v1.0.1", c2, 1);
    repo = mirror_ok(ctx, cache, url, 0, NULL);
    expect_rev(ctx, repo, "v1.0.1", c2);
    sg_git_repo_free(repo);
    assert_int_equal(odb_entries(mpath), odb_entries(origin));

    free(mpath);
    free(url);
    free(origin);
    free(cdir);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
}

static void test_mirror__relative_path_upstream_goes_through_git_transport(void **state)
{
    /* a relative path is not copied as files: libgit2's fetch (its local transport here, the
     * smart protocol for https) makes and updates the mirror */
    sg_ctx *ctx = ctx_new();
    char c1[41], c2[41], *url, *cdir, cwd[4096];
    char *origin = make_origin_tagged(c1, &url, 40, 0);
    sg_cache *cache = cache_new(ctx, &cdir);
    sg_git_repo *repo;
    size_t first = 0, second = 0;
    char *slash = strrchr(origin, '/');
    sgt_file f[] = {{"src/f0002.js", "changed\n", 0, 0}};

    (void)state;
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    *slash = '\0';
    assert_int_equal(chdir(origin), 0);
    *slash = '/';
    repo = mirror_ok(ctx, cache, "origin.git", 0, &first);
    expect_rev(ctx, repo, "v1.0.0", c1);
    sg_git_repo_free(repo);
    assert_true(first >= 40);
    /* lightweight tags: libgit2 1.5's local transport packs everything an advertised
     * annotated tag reaches on every fetch (why absolute local upstreams are copied) */
    sgt_git_commit(c2, origin, NULL, f, 1, "second", 10);
    sgt_git_tag(origin, "v1.1.0", c2, 0);
    repo = mirror_ok(ctx, cache, "origin.git", 0, &second);
    expect_rev(ctx, repo, "v1.1.0", c2);
    sg_git_repo_free(repo);
    assert_int_equal(chdir(cwd), 0);
    if (!(second > 0 && second <= 5))
        fail_msg("second fetch received %zu objects (first %zu)", second, first);

    free(url);
    free(origin);
    free(cdir);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
}

static void test_mirror__unchanged_upstream_is_not_fetched_again(void **state)
{
    sg_ctx *ctx = ctx_new();
    char c1[41], c2[41], *url, *cdir;
    char *origin = make_origin(c1, &url, 80); /* annotated v1.0.0 */
    sg_cache *cache = cache_new(ctx, &cdir);
    sg_git_repo *repo;
    size_t first = 0, again = 0, after = 0;
    sgt_file f[] = {{"x.txt", "x\n", 0, 0}};

    (void)state;
    repo = mirror_ok(ctx, cache, url, 0, &first);
    sg_git_repo_free(repo);
    assert_true(first >= 80);
    repo = mirror_ok(ctx, cache, url, 0, &again);
    expect_rev(ctx, repo, "v1.0.0", c1);
    sg_git_repo_free(repo);
    assert_int_equal(again, 0);
    /* a change upstream (a new annotated tag) is fetched */
    sgt_git_commit(c2, origin, NULL, f, 1, "next", 10);
    sgt_git_tag(origin, "v1.0.1", c2, 1);
    repo = mirror_ok(ctx, cache, url, 0, &after);
    expect_rev(ctx, repo, "v1.0.1", c2);
    sg_git_repo_free(repo);
    assert_true(after > 0);
    /* and a deleted upstream tag is pruned even though no object is new */
    {
        git_repository *g = NULL;
        assert_int_equal(git_repository_open(&g, origin), 0);
        assert_int_equal(git_tag_delete(g, "v1.0.1"), 0);
        git_repository_free(g);
    }
    repo = mirror_ok(ctx, cache, url, 0, NULL);
    expect_no_rev(ctx, repo, "v1.0.1");
    sg_git_repo_free(repo);

    free(url);
    free(origin);
    free(cdir);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
}

static void test_mirror__moved_tags_and_deleted_branches_follow_upstream(void **state)
{
    sg_ctx *ctx = ctx_new();
    char c1[41], c2[41], c3[41], *url, *cdir;
    char *origin = make_origin(c1, &url, 3);
    sg_cache *cache = cache_new(ctx, &cdir);
    sg_git_repo *repo;
    sgt_file f[] = {{"a.txt", "a\n", 0, 0}};
    git_repository *g = NULL;
    git_reference *ref = NULL;

    (void)state;
    sgt_git_commit(c2, origin, "feature", f, 1, "on a branch", 5);
    repo = mirror_ok(ctx, cache, url, 0, NULL);
    expect_rev(ctx, repo, "refs/heads/feature", c2);
    sg_git_repo_free(repo);

    /* upstream moves v1.0.0 and deletes the branch */
    sgt_git_commit(c3, origin, NULL, f, 1, "third", 20);
    sgt_git_tag(origin, "v1.0.0", c3, 0);
    assert_int_equal(git_repository_open(&g, origin), 0);
    assert_int_equal(git_reference_lookup(&ref, g, "refs/heads/feature"), 0);
    assert_int_equal(git_reference_delete(ref), 0);
    git_reference_free(ref);
    git_repository_free(g);

    repo = mirror_ok(ctx, cache, url, 0, NULL);
    expect_rev(ctx, repo, "v1.0.0", c3);
    expect_no_rev(ctx, repo, "refs/heads/feature");
    /* the pruned branch's commit stays in the object database */
    expect_rev(ctx, repo, c2, c2);
    sg_git_repo_free(repo);

    free(url);
    free(origin);
    free(cdir);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
}

static void test_mirror__offline_opens_without_fetching(void **state)
{
    sg_ctx *ctx = ctx_new();
    char c1[41], c2[41], *url, *cdir;
    char *origin = make_origin(c1, &url, 2);
    sg_cache *cache = cache_new(ctx, &cdir);
    sg_git_repo *repo = NULL;
    sgt_file f[] = {{"b.txt", "b\n", 0, 0}};

    (void)state;
    /* no mirror yet: offline says so */
    assert_int_equal(sg_mirror_open(&repo, ctx, cache, CANON, url, 1), SG_ENOTFOUND);
    assert_null(repo);
    assert_non_null(strstr(sg_error_message(ctx), "offline"));
    assert_non_null(strstr(sg_error_message(ctx), CANON));

    repo = mirror_ok(ctx, cache, url, 0, NULL);
    sg_git_repo_free(repo);
    sgt_git_commit(c2, origin, NULL, f, 1, "later", 30);
    sgt_git_tag(origin, "v2.0.0", c2, 0);

    /* offline: the mirror as it was */
    repo = mirror_ok(ctx, cache, url, 1, NULL);
    expect_rev(ctx, repo, "v1.0.0", c1);
    expect_no_rev(ctx, repo, "v2.0.0");
    sg_git_repo_free(repo);
    /* offline does not even need the upstream */
    sgt_rm_rf(origin);
    repo = mirror_ok(ctx, cache, "file:///nonexistent/gone.git", 1, NULL);
    expect_rev(ctx, repo, "v1.0.0", c1);
    sg_git_repo_free(repo);

    free(url);
    free(origin);
    free(cdir);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
}

static void test_mirror__changed_rewrite_updates_the_remote_url(void **state)
{
    sg_ctx *ctx = ctx_new();
    char c1[41], c2[41], *url, *url2, *cdir;
    char *origin = make_origin(c1, &url, 2);
    char *origin2 = path_join(sgt_tmpdir(), "other.git");
    sg_cache *cache = cache_new(ctx, &cdir);
    sg_git_repo *repo;
    char *mpath = path_join(cdir, "git/example.com/owner/repo.git");
    git_repository *g = NULL;
    git_config *cfg = NULL;
    git_config_iterator *it = NULL;
    git_config_entry *e = NULL;
    git_buf val = GIT_BUF_INIT;
    size_t n = 0;
    sgt_file f[] = {{"c.txt", "c\n", 0, 0}};

    (void)state;
    repo = mirror_ok(ctx, cache, url, 0, NULL);
    sg_git_repo_free(repo);

    /* the same repository now reached through another URL (a new --git-rewrite) */
    sgt_git_init(origin2, 1);
    sgt_git_commit(c2, origin2, NULL, f, 1, "elsewhere", 0);
    sgt_git_tag(origin2, "v9.9.9", c2, 0);
    url2 = file_url(origin2);
    repo = mirror_ok(ctx, cache, url2, 0, NULL);
    expect_rev(ctx, repo, "v9.9.9", c2);
    expect_no_rev(ctx, repo, "v1.0.0"); /* pruned: the mirror shows the new upstream */
    sg_git_repo_free(repo);

    assert_int_equal(git_repository_open(&g, mpath), 0);
    assert_true(git_repository_is_bare(g));
    /* read the configuration directly: git_remote_lookup leaks inside libgit2 1.5 (pcre2) */
    assert_int_equal(git_repository_config(&cfg, g), 0);
    assert_int_equal(git_config_get_string_buf(&val, cfg, "remote.origin.url"), 0);
    assert_string_equal(val.ptr, url2);
    assert_int_equal(git_config_multivar_iterator_new(&it, cfg, "remote.origin.fetch", NULL), 0);
    while (git_config_next(&e, it) == 0) {
        assert_true(n < 2);
        assert_string_equal(e->value,
                            n == 0 ? "+refs/heads/*:refs/heads/*" : "+refs/tags/*:refs/tags/*");
        n++;
    }
    assert_int_equal(n, 2);
    git_config_iterator_free(it);
    git_buf_dispose(&val);
    git_config_free(cfg);
    git_repository_free(g);

    free(mpath);
    free(url);
    free(url2);
    free(origin);
    free(origin2);
    free(cdir);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
}

static void test_mirror__failed_first_fetch_leaves_nothing(void **state)
{
    sg_ctx *ctx = ctx_new();
    char *cdir;
    sg_cache *cache = cache_new(ctx, &cdir);
    sg_git_repo *repo = NULL;
    char *mpath = path_join(cdir, "git/example.com/owner/repo.git");
    char *partial = path_join(cdir, "git/example.com/owner/repo.git.partial");

    (void)state;
    assert_int_equal(sg_mirror_open(&repo, ctx, cache, CANON, "file:///nonexistent/x.git", 0),
                     SG_ENET);
    assert_null(repo);
    assert_non_null(strstr(sg_error_message(ctx), "file:///nonexistent/x.git"));
    assert_false(exists(mpath));
    assert_false(exists(partial));
    /* and offline still finds no mirror */
    sg_error_clear(ctx);
    assert_int_equal(sg_mirror_open(&repo, ctx, cache, CANON, "file:///nonexistent/x.git", 1),
                     SG_ENOTFOUND);

    /* a network failure names the URL without its credentials (port 1: refused at once) */
    sg_error_clear(ctx);
    assert_int_equal(
        sg_mirror_open(&repo, ctx, cache, CANON, "https://alice:pw-s3cret@127.0.0.1:1/o/r.git", 0),
        SG_ENET);
    assert_null(strstr(sg_error_message(ctx), "pw-s3cret"));
    assert_non_null(strstr(sg_error_message(ctx), "127.0.0.1:1/o/r.git"));
    assert_false(exists(mpath));

    free(mpath);
    free(partial);
    free(cdir);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
}

/* What a progress listener saw (sourcegate/progress.h). */
typedef struct seen_progress {
    int starts, updates, ends, ok;   /* events, and the last END's ok */
    uint64_t done, total;            /* the last UPDATE's counts */
    int leaked;                      /* a password showed in `what` */
    int wrong_step;                  /* a step other than "fetch" */
} seen_progress;

static void on_progress(void *payload, const sg_progress_event *ev)
{
    seen_progress *s = payload;
    if (strcmp(ev->step, "fetch") != 0)
        s->wrong_step = 1;
    if (strstr(ev->what, "pw-s3cret"))
        s->leaked = 1;
    if (ev->phase == SG_PROGRESS_START)
        s->starts++;
    else if (ev->phase == SG_PROGRESS_UPDATE) {
        s->updates++;
        s->done = ev->done;
        s->total = ev->total;
        assert_string_equal(ev->unit, "objects");
    } else {
        s->ends++;
        s->ok = ev->ok;
    }
}

/* A fetch tells a listener that it starts, how many objects came in, and how it ended; the
 * URL it shows carries no credentials (issue 16: long work is not silent). */
static void test_mirror__fetch_reports_progress(void **state)
{
    sg_ctx *ctx = ctx_new();
    char c1[41], *url, *cdir;
    char *origin = make_origin(c1, &url, 60);
    sg_cache *cache = cache_new(ctx, &cdir);
    sg_git_repo *repo = NULL;
    seen_progress seen;

    (void)state;
    memset(&seen, 0, sizeof(seen));
    sg_ctx_set_progress(ctx, on_progress, &seen);
    repo = mirror_ok(ctx, cache, url, 0, NULL);
    sg_git_repo_free(repo);
    assert_int_equal(seen.starts, 1);
    assert_int_equal(seen.ends, 1);
    assert_int_equal(seen.ok, 1);
    assert_true(seen.updates > 0);
    assert_true(seen.done >= 60);
    assert_int_equal(seen.done, seen.total);
    assert_false(seen.wrong_step);

    /* a failed fetch ends failed, and never shows the password */
    memset(&seen, 0, sizeof(seen));
    repo = NULL;
    assert_int_equal(sg_mirror_open(&repo, ctx, cache, "https://127.0.0.1:1/o/r",
                                    "https://alice:pw-s3cret@127.0.0.1:1/o/r.git", 0),
                     SG_ENET);
    assert_int_equal(seen.starts, 1);
    assert_int_equal(seen.ends, 1);
    assert_int_equal(seen.ok, 0);
    assert_false(seen.leaked);

    /* no listener: nothing is called (the default) */
    sg_ctx_set_progress(ctx, NULL, NULL);
    memset(&seen, 0, sizeof(seen));
    repo = mirror_ok(ctx, cache, url, 0, NULL);
    sg_git_repo_free(repo);
    assert_int_equal(seen.starts + seen.updates + seen.ends, 0);

    free(url);
    free(origin);
    free(cdir);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
}

static void test_mirror__damaged_mirror_is_made_again(void **state)
{
    sg_ctx *ctx = ctx_new();
    char c1[41], *url, *cdir;
    char *origin = make_origin(c1, &url, 2);
    sg_cache *cache = cache_new(ctx, &cdir);
    sg_git_repo *repo;
    char *mpath = path_join(cdir, "git/example.com/owner/repo.git");
    char *junk = path_join(mpath, "junk.txt");

    (void)state;
    sgt_write_file(junk, "not a repository", 16, 0); /* a folder that is no repository */
    repo = mirror_ok(ctx, cache, url, 0, NULL);
    expect_rev(ctx, repo, "v1.0.0", c1);
    sg_git_repo_free(repo);
    assert_false(exists(junk));

    free(junk);
    free(mpath);
    free(url);
    free(origin);
    free(cdir);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
}

static void test_mirror__two_processes_open_one_mirror_concurrently(void **state)
{
    sg_ctx *ctx = ctx_new();
    char c1[41], c2[41], *url, *cdir;
    char *origin = make_origin(c1, &url, 400);
    sg_cache *cache = cache_new(ctx, &cdir);
    sg_git_repo *repo;
    pid_t pids[2];
    int i, round;
    sgt_file f[] = {{"d.txt", "d\n", 0, 0}};

    (void)state;
    /* round 0: both create the mirror at once; round 1: both update it at once */
    for (round = 0; round < 2; round++) {
        if (round == 1) {
            sgt_git_commit(c2, origin, NULL, f, 1, "update", 40);
            sgt_git_tag(origin, "v1.1.0", c2, 1);
        }
        for (i = 0; i < 2; i++) {
            pids[i] = fork();
            assert_true(pids[i] >= 0);
            if (pids[i] == 0) {
                sg_ctx *cctx = NULL;
                sg_cache *cc = NULL;
                sg_git_repo *r = NULL;
                char got[41];
                int ok = sg_ctx_new(&cctx) == 0 && sg_cache_open(&cc, cctx, cdir) == 0 &&
                         sg_mirror_open(&r, cctx, cc, CANON, url, 0) == 0 &&
                         sg_git_resolve(got, cctx, r, round ? "v1.1.0" : "v1.0.0") == 0;
                if (!ok)
                    fprintf(stderr, "child %d: %s\n", i, sg_error_message(cctx));
                _exit(ok ? 0 : 1);
            }
        }
        for (i = 0; i < 2; i++) {
            int status = 0;
            assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
        }
    }
    repo = mirror_ok(ctx, cache, url, 1, NULL);
    expect_rev(ctx, repo, "v1.0.0", c1);
    expect_rev(ctx, repo, "v1.1.0", c2);
    sg_git_repo_free(repo);

    free(url);
    free(origin);
    free(cdir);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
}

static void test_mirror__bad_arguments_are_refused(void **state)
{
    sg_ctx *ctx = ctx_new();
    char *cdir;
    sg_cache *cache = cache_new(ctx, &cdir);
    sg_git_repo *repo = NULL;

    (void)state;
    assert_int_equal(sg_mirror_open(&repo, ctx, NULL, CANON, "file:///x", 0), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_mirror_open(&repo, ctx, cache, CANON, "", 0), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_mirror_open(&repo, ctx, cache, "", "file:///x", 0), SG_EINVALID);
    assert_null(repo);
    free(cdir);
    sg_cache_free(cache);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mirror__relpath_from_canonical_url),
        cmocka_unit_test(test_mirror__created_from_file_url_then_fetches_only_new_objects),
        cmocka_unit_test(test_mirror__mirror_holds_each_object_once),
        cmocka_unit_test(test_mirror__relative_path_upstream_goes_through_git_transport),
        cmocka_unit_test(test_mirror__unchanged_upstream_is_not_fetched_again),
        cmocka_unit_test(test_mirror__moved_tags_and_deleted_branches_follow_upstream),
        cmocka_unit_test(test_mirror__offline_opens_without_fetching),
        cmocka_unit_test(test_mirror__changed_rewrite_updates_the_remote_url),
        cmocka_unit_test(test_mirror__failed_first_fetch_leaves_nothing),
        cmocka_unit_test(test_mirror__fetch_reports_progress),
        cmocka_unit_test(test_mirror__damaged_mirror_is_made_again),
        cmocka_unit_test(test_mirror__two_processes_open_one_mirror_concurrently),
        cmocka_unit_test(test_mirror__bad_arguments_are_refused),
    };
    int rc;

    git_libgit2_init();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    git_libgit2_shutdown();
    sgt_cleanup();
    return rc;
}
