/*
 * Tests of the cache (verifier/fetch/cache.c): layout, atomic writes, reads with limits, locks
 * between processes, prune by age.
 */
#include "sg_test.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "verifier/fetch/registry_int.h"

typedef struct fx {
    sg_ctx *ctx;     /* context */
    char *dir;       /* cache folder */
    sg_cache *cache; /* under test */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    char sub[4096];
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    f->dir = sgt_tmpdir();
    /* a folder that does not exist yet: open makes it */
    snprintf(sub, sizeof(sub), "%s/cache/", f->dir);
    assert_int_equal(sg_cache_open(&f->cache, f->ctx, sub), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_cache_free(f->cache);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->dir);
    free(f);
    return 0;
}

static void path_of(char *out, size_t size, const fx *f, const char *rel)
{
    snprintf(out, size, "%s/%s", sg_cache_dir(f->cache), rel);
}

static int entries_in(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

/* Set a file's (or folder's) mtime to `age` seconds ago. */
static void age_path(const char *path, long age)
{
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= age;
    ts[1] = ts[0];
    assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void test_cache__open_makes_layout_private(void **state)
{
    fx *f = *state;
    static const char *const subs[] = {"tarballs", "packuments", "git", "locks", "tmp"};
    char p[4096];
    struct stat st;
    size_t i;

    assert_string_equal(sg_cache_dir(f->cache) + strlen(sg_cache_dir(f->cache)) - 6, "/cache");
    for (i = 0; i < 5; i++) {
        path_of(p, sizeof(p), f, subs[i]);
        assert_int_equal(stat(p, &st), 0);
        assert_true(S_ISDIR(st.st_mode));
        assert_int_equal(st.st_mode & 0777, 0700);
    }
    /* opening again is fine */
    {
        sg_cache *again = NULL;
        assert_int_equal(sg_cache_open(&again, f->ctx, sg_cache_dir(f->cache)), 0);
        sg_cache_free(again);
    }
    assert_int_equal(sg_cache_open(&(sg_cache *){NULL}, f->ctx, ""), SG_EINVALID);
}

static void test_cache__write_then_read_atomically(void **state)
{
    fx *f = *state;
    sg_buf b = SG_BUF_INIT;
    char p[4096];

    assert_int_equal(sg_cache_write(f->cache, f->ctx, "packuments/h/a.json", "first", 5), 0);
    assert_int_equal(sg_cache_write(f->cache, f->ctx, "packuments/h/a.json", "second!", 7), 0);
    assert_int_equal(sg_cache_read(&b, f->ctx, f->cache, "packuments/h/a.json", 100), 0);
    assert_string_equal(b.ptr, "second!");
    /* read appends */
    assert_int_equal(sg_cache_read(&b, f->ctx, f->cache, "packuments/h/a.json", 100), 0);
    assert_string_equal(b.ptr, "second!second!");
    path_of(p, sizeof(p), f, "tmp");
    assert_int_equal(entries_in(p), 0); /* no temporary file left behind */
    assert_int_equal(sg_cache_path(&b, f->ctx, f->cache, "packuments/h/a.json"), 0);
    path_of(p, sizeof(p), f, "packuments/h/a.json");
    assert_string_equal(b.ptr, p);
    /* binary and empty content */
    assert_int_equal(sg_cache_write(f->cache, f->ctx, "x/bin", "a\0b", 3), 0);
    sg_buf_clear(&b);
    assert_int_equal(sg_cache_read(&b, f->ctx, f->cache, "x/bin", 3), 0);
    assert_int_equal(b.size, 3);
    assert_memory_equal(b.ptr, "a\0b", 3);
    assert_int_equal(sg_cache_write(f->cache, f->ctx, "x/empty", "", 0), 0);
    sg_buf_clear(&b);
    assert_int_equal(sg_cache_read(&b, f->ctx, f->cache, "x/empty", 0), 0);
    assert_int_equal(b.size, 0);
    sg_buf_dispose(&b);
}

static void test_cache__refuses_paths_that_are_not_normalized(void **state)
{
    fx *f = *state;
    static const char *const bad[] = {"../escape", "a/../../b", "/abs", "a//b",
                                      "./a",       "a/",        "",     "a\\b"};
    sg_buf b = SG_BUF_INIT;
    size_t i;
    char p[4096];

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sg_error_clear(f->ctx);
        assert_int_equal(sg_cache_write(f->cache, f->ctx, bad[i], "x", 1), SG_EINVALID);
        sg_error_clear(f->ctx);
        assert_int_equal(sg_cache_read(&b, f->ctx, f->cache, bad[i], 10), SG_EINVALID);
    }
    snprintf(p, sizeof(p), "%s/escape", f->dir);
    assert_int_not_equal(access(p, F_OK), 0);
    sg_buf_dispose(&b);
}

static void test_cache__read_missing_and_over_limit(void **state)
{
    fx *f = *state;
    sg_buf b = SG_BUF_INIT;

    assert_int_equal(sg_cache_read(&b, f->ctx, f->cache, "no/such.json", 100), SG_ENOTFOUND);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_cache_write(f->cache, f->ctx, "big", "0123456789", 10), 0);
    assert_int_equal(sg_cache_read(&b, f->ctx, f->cache, "big", 9), SG_ELIMIT);
    assert_int_equal(b.size, 0);
    sg_buf_dispose(&b);
}

static void test_cache__read_marks_file_used(void **state)
{
    fx *f = *state;
    sg_buf b = SG_BUF_INIT;
    char p[4096];
    struct stat st;

    assert_int_equal(sg_cache_write(f->cache, f->ctx, "packuments/h/u.json", "{}", 2), 0);
    path_of(p, sizeof(p), f, "packuments/h/u.json");
    age_path(p, 10 * 86400);
    assert_int_equal(sg_cache_read(&b, f->ctx, f->cache, "packuments/h/u.json", 10), 0);
    assert_int_equal(stat(p, &st), 0);
    assert_true(st.st_mtime > time(NULL) - 3600);
    sg_buf_dispose(&b);
}

static void test_cache__symlink_not_followed(void **state)
{
    fx *f = *state;
    sg_buf b = SG_BUF_INIT;
    char p[4096], target[4096];

    snprintf(target, sizeof(target), "%s/secret", f->dir);
    sgt_write_file(target, "secret", 6, 0600);
    assert_int_equal(sg_cache_write(f->cache, f->ctx, "packuments/h/x", "", 0), 0);
    path_of(p, sizeof(p), f, "packuments/h/link.json");
    assert_int_equal(symlink(target, p), 0);
    assert_true(sg_cache_read(&b, f->ctx, f->cache, "packuments/h/link.json", 100) < 0);
    assert_int_equal(b.size, 0);
    sg_buf_dispose(&b);
}

/* Parent holds the lock; a child process blocks until it is released. */
static void test_cache__lock_excludes_another_process(void **state)
{
    fx *f = *state;
    int fd = -1, to_parent[2], status = 0;
    struct pollfd pfd;
    char c = 0;
    pid_t pid;

    assert_int_equal(sg_cache_lock(&fd, f->ctx, f->cache, "git/github.com/a/b.git"), 0);
    assert_true(fd >= 0);
    assert_int_equal(pipe(to_parent), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int cfd = -1;
        sg_ctx *cctx = NULL;
        close(to_parent[0]);
        if (sg_ctx_new(&cctx) < 0 || write(to_parent[1], "w", 1) != 1)
            _exit(2);
        /* a fresh descriptor in this process: flock locks are per open file */
        if (sg_cache_lock(&cfd, cctx, f->cache, "git/github.com/a/b.git") < 0)
            _exit(3);
        if (write(to_parent[1], "L", 1) != 1)
            _exit(4);
        sg_cache_unlock(cfd);
        _exit(0);
    }
    close(to_parent[1]);
    assert_int_equal(read(to_parent[0], &c, 1), 1);
    assert_int_equal(c, 'w');
    /* the child is waiting: nothing arrives while we hold the lock */
    pfd.fd = to_parent[0];
    pfd.events = POLLIN;
    assert_int_equal(poll(&pfd, 1, 300), 0);
    sg_cache_unlock(fd);
    assert_int_equal(poll(&pfd, 1, 5000), 1);
    assert_int_equal(read(to_parent[0], &c, 1), 1);
    assert_int_equal(c, 'L');
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    close(to_parent[0]);
}

static void test_cache__lock_names_are_flattened(void **state)
{
    fx *f = *state;
    sg_buf b = SG_BUF_INIT;
    char p[4096];
    int fd = -1;

    assert_int_equal(sg_cache__lock_filename(&b, "git/h/../x.git"), 0);
    assert_null(strchr(b.ptr, '/'));
    assert_string_equal(b.ptr, "git%2Fh%2F..%2Fx.git.lock");
    assert_int_equal(sg_cache__lock_filename(&b, ".."), 0);
    assert_string_equal(b.ptr, "%2E..lock");
    assert_int_equal(sg_cache_lock(&fd, f->ctx, f->cache, "../../outside"), 0);
    sg_cache_unlock(fd);
    path_of(p, sizeof(p), f, "locks");
    assert_int_equal(entries_in(p), 1);
    assert_int_equal(sg_cache_lock(&fd, f->ctx, f->cache, ""), SG_EINVALID);
    sg_buf_dispose(&b);
}

static void make_old(fx *f, const char *rel, const char *content, long age)
{
    char p[4096];
    assert_int_equal(sg_cache_write(f->cache, f->ctx, rel, content, strlen(content)), 0);
    path_of(p, sizeof(p), f, rel);
    age_path(p, age);
}

static int exists(const fx *f, const char *rel)
{
    char p[4096];
    path_of(p, sizeof(p), f, rel);
    return access(p, F_OK) == 0;
}

static void test_cache__prune_by_age(void **state)
{
    fx *f = *state;
    sg_cache_prune_stats st;
    char p[4096];
    const long day = 86400;

    make_old(f, "tarballs/sha512/aa/aaaa.tgz", "old tarball", 40 * day);
    make_old(f, "tarballs/sha512/bb/bbbb.tgz", "new tarball", 1 * day);
    make_old(f, "packuments/h/old.json", "{\"old\":1}", 40 * day);
    make_old(f, "packuments/h/old.etag", "\"e\"", 40 * day);
    make_old(f, "packuments/h/new.json", "{}", 0);
    /* an old mirror and a recently used one */
    make_old(f, "git/github.com/o/old.git/objects/pack/p.pack", "packdata", 40 * day);
    make_old(f, "git/github.com/o/old.git/HEAD", "ref: refs/heads/main\n", 40 * day);
    path_of(p, sizeof(p), f, "git/github.com/o/old.git/objects/pack");
    age_path(p, 40 * day);
    path_of(p, sizeof(p), f, "git/github.com/o/old.git/objects");
    age_path(p, 40 * day);
    path_of(p, sizeof(p), f, "git/github.com/o/old.git");
    age_path(p, 40 * day);
    make_old(f, "git/github.com/o/used.git/objects/x", "obj", 40 * day);
    make_old(f, "git/github.com/o/used.git/FETCH_HEAD", "abc", 0);
    path_of(p, sizeof(p), f, "git/github.com/o/used.git");
    age_path(p, 40 * day);
    /* a stale temporary file from a crashed run and a fresh one */
    path_of(p, sizeof(p), f, "tmp/w.crashed");
    sgt_write_file(p, "partial", 7, 0600);
    age_path(p, 2 * day);
    path_of(p, sizeof(p), f, "tmp/w.running");
    sgt_write_file(p, "partial", 7, 0600);

    assert_int_equal(sg_cache_prune(&st, f->ctx, f->cache, 30 * day), 0);
    assert_false(exists(f, "tarballs/sha512/aa/aaaa.tgz"));
    assert_false(exists(f, "tarballs/sha512/aa")); /* emptied folders go too */
    assert_true(exists(f, "tarballs/sha512/bb/bbbb.tgz"));
    assert_false(exists(f, "packuments/h/old.json"));
    assert_false(exists(f, "packuments/h/old.etag"));
    assert_true(exists(f, "packuments/h/new.json"));
    assert_false(exists(f, "git/github.com/o/old.git"));
    assert_true(exists(f, "git/github.com/o/used.git/objects/x"));
    assert_false(exists(f, "tmp/w.crashed"));
    assert_true(exists(f, "tmp/w.running"));
    assert_true(exists(f, "tarballs"));
    assert_int_equal(st.files_removed, 2); /* one tarball, one packument */
    assert_int_equal(st.mirrors_removed, 1);
    assert_int_equal(st.bytes_freed, strlen("old tarball") + strlen("{\"old\":1}") +
                                         strlen("\"e\"") + strlen("packdata") +
                                         strlen("ref: refs/heads/main\n") + strlen("partial"));

    /* 0: everything (but not a temporary file a running process may be writing) */
    assert_int_equal(sg_cache_prune(&st, f->ctx, f->cache, 0), 0);
    assert_false(exists(f, "tarballs/sha512/bb/bbbb.tgz"));
    assert_false(exists(f, "packuments/h/new.json"));
    assert_false(exists(f, "git/github.com/o/used.git"));
    assert_true(exists(f, "tmp/w.running"));
    assert_int_equal(st.files_removed, 2);
    assert_int_equal(st.mirrors_removed, 1);
}

/* The rebuild's own files: old gateway index entries and logs go by age; the dependency cache
 * every rebuild once shared (rebuild/npm-cache, issue 13) goes whatever its age. */
static void test_cache__prune_rebuild_files(void **state)
{
    fx *f = *state;
    sg_cache_prune_stats st;
    const long day = 86400;

    make_old(f, "rebuild/gateway/0123abcd", "https://r/x/-/x-1.tgz\nsha512-x\n\n", 40 * day);
    make_old(f, "rebuild/gateway/4567ef01", "https://r/y/-/y-1.tgz\nsha512-y\n\n", 1 * day);
    make_old(f, "rebuild/logs/x-1.0.0-abc.log", "old log", 40 * day);
    make_old(f, "rebuild/logs/y-1.0.0-def.log", "new log", 0);
    make_old(f, "rebuild/npm-cache/_cacache/index-v5/aa/bb", "poisoned?", 0);
    assert_int_equal(sg_cache_prune(&st, f->ctx, f->cache, 30 * day), 0);
    assert_false(exists(f, "rebuild/gateway/0123abcd"));
    assert_true(exists(f, "rebuild/gateway/4567ef01"));
    assert_false(exists(f, "rebuild/logs/x-1.0.0-abc.log"));
    assert_true(exists(f, "rebuild/logs/y-1.0.0-def.log"));
    assert_false(exists(f, "rebuild/npm-cache"));
    assert_true(st.bytes_freed >= strlen("old log") + strlen("poisoned?"));
}

static void test_cache__prune_skips_mirror_in_use(void **state)
{
    fx *f = *state;
    sg_cache_prune_stats st;
    int fd = -1, status = 0, sync[2];
    char c = 0;
    pid_t pid;

    make_old(f, "git/h/o/busy.git/HEAD", "x", 0);
    assert_int_equal(pipe(sync), 0);
    /* another process holds the mirror's lock */
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        sg_ctx *cctx = NULL;
        close(sync[0]);
        if (sg_ctx_new(&cctx) < 0 || sg_cache_lock(&fd, cctx, f->cache, "git/h/o/busy.git") < 0)
            _exit(1);
        if (write(sync[1], "L", 1) != 1)
            _exit(2);
        sleep(10);
        _exit(0);
    }
    close(sync[1]);
    assert_int_equal(read(sync[0], &c, 1), 1);
    close(sync[0]);
    assert_int_equal(sg_cache_prune(&st, f->ctx, f->cache, 0), 0);
    assert_true(exists(f, "git/h/o/busy.git/HEAD"));
    assert_int_equal(st.mirrors_removed, 0);
    kill(pid, SIGTERM);
    waitpid(pid, &status, 0);
    assert_int_equal(sg_cache_prune(&st, f->ctx, f->cache, 0), 0);
    assert_false(exists(f, "git/h/o/busy.git"));
    assert_int_equal(st.mirrors_removed, 1);
}

static void test_cache__tmpfile_commit_and_abandon(void **state)
{
    fx *f = *state;
    sg_buf tmp = SG_BUF_INIT, b = SG_BUF_INIT;
    char p[4096];
    int fd = -1;

    assert_int_equal(sg_cache__tmpfile(&fd, &tmp, f->ctx, f->cache), 0);
    assert_int_equal(write(fd, "streamed", 8), 8);
    assert_int_equal(sg_cache__commit(f->ctx, f->cache, fd, tmp.ptr, "tarballs/sha512/cc/c.tgz"),
                     0);
    assert_int_equal(sg_cache_read(&b, f->ctx, f->cache, "tarballs/sha512/cc/c.tgz", 100), 0);
    assert_string_equal(b.ptr, "streamed");
    /* a commit to a bad path removes the temporary file */
    assert_int_equal(sg_cache__tmpfile(&fd, &tmp, f->ctx, f->cache), 0);
    assert_int_equal(sg_cache__commit(f->ctx, f->cache, fd, tmp.ptr, "../x"), SG_EINVALID);
    path_of(p, sizeof(p), f, "tmp");
    assert_int_equal(entries_in(p), 0);
    sg_buf_dispose(&tmp);
    sg_buf_dispose(&b);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_cache__open_makes_layout_private),
        T(test_cache__write_then_read_atomically),
        T(test_cache__refuses_paths_that_are_not_normalized),
        T(test_cache__read_missing_and_over_limit),
        T(test_cache__read_marks_file_used),
        T(test_cache__symlink_not_followed),
        T(test_cache__lock_excludes_another_process),
        T(test_cache__lock_names_are_flattened),
        T(test_cache__prune_by_age),
        T(test_cache__prune_rebuild_files),
        T(test_cache__prune_skips_mirror_in_use),
        T(test_cache__tmpfile_commit_and_abandon),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
