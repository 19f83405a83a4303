/*
 * The local cache (cache.h): atomic writes through tmp/ + rename, flock locks, prune by age.
 *
 * Lock names: sg_cache_lock() flattens any name into one file in locks/ (see
 * sg_cache__lock_filename). A git mirror is locked by its relative path in the cache,
 * "git/<host>/<path>.git"; prune takes that same lock before removing a mirror.
 */
#include "common/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "verifier/fetch/registry_int.h"

/* Temporary files younger than this may belong to a running process: prune leaves them. */
#define STALE_TMP_SECONDS 3600
/* Folders deeper than this below the cache root are not walked (a cache is shallow). */
#define MAX_WALK_DEPTH 64

struct sg_cache {
    char *dir; /* root folder, without a trailing '/' */
};

static const char *const cache_subdirs[] = {"tarballs", "packuments", "git", "locks", "tmp"};

/* mkdir -p for path[0..len) (mode 0700). */
static int mkdirs(sg_ctx *ctx, const char *path)
{
    sg_buf b = SG_BUF_INIT;
    size_t i;
    int error = 0;

    if (sg_buf_puts(&b, path) < 0) {
        error = sg_buf_check(&b, ctx, "a cache path");
        goto done;
    }
    for (i = 1; i <= b.size; i++) {
        if (b.ptr[i] != '/' && b.ptr[i] != '\0')
            continue;
        b.ptr[i] = '\0';
        if (mkdir(b.ptr, 0700) < 0 && errno != EEXIST) {
            error = sg_error_set(ctx, SG_EIO, "cannot create cache folder '%s': %s", b.ptr,
                                 strerror(errno));
            goto done;
        }
        if (i < b.size)
            b.ptr[i] = '/';
    }
done:
    sg_buf_dispose(&b);
    return error;
}

int sg_cache_open(sg_cache **out, sg_ctx *ctx, const char *dir)
{
    sg_cache *cache = NULL;
    sg_buf sub = SG_BUF_INIT;
    size_t len, i;
    int error = 0;

    *out = NULL;
    if (!dir || !*dir)
        return sg_error_set(ctx, SG_EINVALID, "cache folder is empty");
    len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    if (!(cache = sg_calloc(1, sizeof(*cache))) || !(cache->dir = sg_strndup(dir, len))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory opening the cache");
        goto done;
    }
    for (i = 0; i < SG_ARRAY_SIZE(cache_subdirs); i++) {
        sg_buf_clear(&sub);
        sg_buf_printf(&sub, "%s/%s", cache->dir, cache_subdirs[i]);
        if ((error = sg_buf_check(&sub, ctx, "a cache path")) < 0)
            goto done;
        if ((error = mkdirs(ctx, sub.ptr)) < 0)
            goto done;
    }
    *out = cache;
    cache = NULL;
done:
    sg_buf_dispose(&sub);
    sg_cache_free(cache);
    return error;
}

void sg_cache_free(sg_cache *cache)
{
    if (!cache)
        return;
    sg_free(cache->dir);
    sg_free(cache);
}

const char *sg_cache_dir(const sg_cache *cache)
{
    return cache->dir;
}

int sg_cache__relpath_ok(const char *relpath)
{
    /* the rules of sg_path_normalize's output, checked without allocating */
    const char *seg = relpath;
    size_t depth = 0;

    if (!relpath || !*relpath || strlen(relpath) > 4096 || strchr(relpath, '\\'))
        return 0;
    for (;;) {
        size_t len = strcspn(seg, "/");
        if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
            return 0; /* empty (leading, doubled or trailing '/'), "." or ".." */
        if (++depth > 64)
            return 0;
        if (!seg[len])
            return 1;
        seg += len + 1;
    }
}

int sg_cache_path(sg_buf *out, sg_ctx *ctx, const sg_cache *cache, const char *relpath)
{
    if (!sg_cache__relpath_ok(relpath))
        return sg_error_set(ctx, SG_EINVALID, "cache path '%s' is not a normalized relative path",
                            relpath ? relpath : "");
    sg_buf_clear(out);
    sg_buf_printf(out, "%s/%s", cache->dir, relpath);
    return sg_buf_check(out, ctx, "a cache path");
}

int sg_cache__tmpfile(int *fd_out, sg_buf *path_out, sg_ctx *ctx, sg_cache *cache)
{
    int fd;

    *fd_out = -1;
    sg_buf_clear(path_out);
    sg_buf_printf(path_out, "%s/tmp/w.XXXXXX", cache->dir);
    if (sg_buf_check(path_out, ctx, "a cache path") < 0)
        return sg_error_code_of(ctx);
    fd = mkstemp(path_out->ptr);
    if (fd < 0 && errno == ENOENT) {
        /* tmp/ was removed under us (a manual cleanup): make it again, once */
        sg_buf tmpdir = SG_BUF_INIT;
        int error;
        sg_buf_printf(&tmpdir, "%s/tmp", cache->dir);
        error = sg_buf_check(&tmpdir, ctx, "a cache path");
        if (!error)
            error = mkdirs(ctx, tmpdir.ptr);
        sg_buf_dispose(&tmpdir);
        if (error < 0)
            return error;
        sg_buf_truncate(path_out, path_out->size - 6);
        sg_buf_puts(path_out, "XXXXXX");
        fd = mkstemp(path_out->ptr);
    }
    if (fd < 0)
        return sg_error_set(ctx, SG_EIO, "cannot create a temporary file in '%s/tmp': %s",
                            cache->dir, strerror(errno));
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    *fd_out = fd;
    return 0;
}

/* The folder part of path (up to the last '/') into out (replaced). */
static int parent_of(sg_buf *out, sg_ctx *ctx, const char *path)
{
    const char *slash = strrchr(path, '/');
    sg_buf_clear(out);
    sg_buf_put(out, path, slash ? (size_t)(slash - path) : 0);
    return sg_buf_check(out, ctx, "a cache path");
}

int sg_cache__commit(sg_ctx *ctx, sg_cache *cache, int fd, const char *tmp_path,
                     const char *relpath)
{
    sg_buf final = SG_BUF_INIT, parent = SG_BUF_INIT;
    int error = 0, committed = 0;

    if (fsync(fd) < 0) {
        error = sg_error_set(ctx, SG_EIO, "cannot sync temporary file '%s': %s", tmp_path,
                             strerror(errno));
        goto done;
    }
    if (close(fd) < 0) {
        fd = -1;
        error = sg_error_set(ctx, SG_EIO, "cannot close temporary file '%s': %s", tmp_path,
                             strerror(errno));
        goto done;
    }
    fd = -1;
    if ((error = sg_cache_path(&final, ctx, cache, relpath)) < 0)
        goto done;
    if ((error = parent_of(&parent, ctx, final.ptr)) < 0 || (error = mkdirs(ctx, parent.ptr)) < 0)
        goto done;
    if (rename(tmp_path, final.ptr) < 0) {
        error = sg_error_set(ctx, SG_EIO, "cannot move a temporary file to '%s': %s", final.ptr,
                             strerror(errno));
        goto done;
    }
    committed = 1;
done:
    if (fd >= 0)
        close(fd);
    if (!committed)
        unlink(tmp_path);
    sg_buf_dispose(&final);
    sg_buf_dispose(&parent);
    return error;
}

int sg_cache_write(sg_cache *cache, sg_ctx *ctx, const char *relpath, const void *data, size_t len)
{
    sg_buf tmp = SG_BUF_INIT;
    int fd = -1, error = 0;

    if (!sg_cache__relpath_ok(relpath)) {
        error = sg_error_set(ctx, SG_EINVALID, "cache path '%s' is not a normalized relative path",
                             relpath ? relpath : "");
        goto done;
    }
    if ((error = sg_cache__tmpfile(&fd, &tmp, ctx, cache)) < 0)
        goto done;
    if (sg_fd_write_all(fd, data, len, 0) < 0) {
        error =
            sg_error_set(ctx, SG_EIO, "cannot write cache file '%s': %s", relpath, strerror(errno));
        close(fd);
        unlink(tmp.ptr);
        goto done;
    }
    error = sg_cache__commit(ctx, cache, fd, tmp.ptr, relpath);
done:
    sg_buf_dispose(&tmp);
    return error;
}

int sg_cache_read(sg_buf *out, sg_ctx *ctx, sg_cache *cache, const char *relpath, uint64_t limit)
{
    sg_buf path = SG_BUF_INIT;
    struct stat st;
    uint64_t total = 0;
    char chunk[65536];
    int fd = -1, error = 0;

    if ((error = sg_cache_path(&path, ctx, cache, relpath)) < 0)
        goto done;
    fd = open(path.ptr, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            error = sg_error_set(ctx, SG_ENOTFOUND, "'%s' is not in the cache", relpath);
        else
            error = sg_error_set(ctx, SG_EIO, "cannot open cache file '%s': %s", path.ptr,
                                 strerror(errno));
        goto done;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        error = sg_error_set(ctx, SG_EIO, "cache file '%s' is not a regular file", path.ptr);
        goto done;
    }
    if ((uint64_t)st.st_size > limit) {
        error = sg_error_set(ctx, SG_ELIMIT,
                             "cache file '%s' is larger than its limit of %" PRIu64 " bytes",
                             relpath, limit);
        goto done;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error = sg_error_set(ctx, SG_EIO, "cannot read cache file '%s': %s", path.ptr,
                                 strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        total += (uint64_t)n;
        if (total > limit) { /* grew while we read */
            error = sg_error_set(ctx, SG_ELIMIT,
                                 "cache file '%s' is larger than its limit of %" PRIu64 " bytes",
                                 relpath, limit);
            goto done;
        }
        if (sg_buf_put(out, chunk, (size_t)n) < 0) {
            error = sg_buf_check(out, ctx, "a cache file");
            goto done;
        }
    }
    /* Mark as used for prune; failure only makes prune less accurate. */
    (void)futimens(fd, NULL);
done:
    if (fd >= 0)
        close(fd);
    sg_buf_dispose(&path);
    return error;
}

int sg_cache__lock_filename(sg_buf *out, const char *name)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;

    sg_buf_clear(out);
    for (p = (const unsigned char *)name; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
                    (*p == '.' && p != (const unsigned char *)name);
        if (plain) {
            sg_buf_putc(out, (char)*p);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            sg_buf_put(out, esc, 3);
        }
    }
    sg_buf_puts(out, ".lock");
    return out->error;
}

/* Open locks/<name> and flock it; with nonblock, 1 is returned when another holder has it. */
static int lock_open(int *fd_out, sg_ctx *ctx, sg_cache *cache, const char *name, int nonblock)
{
    sg_buf file = SG_BUF_INIT, path = SG_BUF_INIT;
    int fd = -1, error = 0;

    *fd_out = -1;
    if (!name || !*name || strlen(name) > 1024) {
        error =
            sg_error_set(ctx, SG_EINVALID, "lock name '%s' is empty or too long", name ? name : "");
        goto done;
    }
    sg_cache__lock_filename(&file, name);
    sg_buf_printf(&path, "%s/locks/%s", cache->dir, file.ptr);
    if ((error = sg_buf_check(&file, ctx, "a lock name")) < 0 ||
        (error = sg_buf_check(&path, ctx, "a lock path")) < 0)
        goto done;
    fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        error = sg_error_set(ctx, SG_EIO, "cannot open lock '%s': %s", path.ptr, strerror(errno));
        goto done;
    }
    for (;;) {
        if (flock(fd, LOCK_EX | (nonblock ? LOCK_NB : 0)) == 0)
            break;
        if (errno == EINTR)
            continue;
        if (nonblock && errno == EWOULDBLOCK) {
            error = 1;
            goto done;
        }
        error = sg_error_set(ctx, SG_EIO, "cannot lock '%s': %s", path.ptr, strerror(errno));
        goto done;
    }
    *fd_out = fd;
    fd = -1;
done:
    if (fd >= 0)
        close(fd);
    sg_buf_dispose(&file);
    sg_buf_dispose(&path);
    return error;
}

int sg_cache_lock(int *fd_out, sg_ctx *ctx, sg_cache *cache, const char *name)
{
    return lock_open(fd_out, ctx, cache, name, 0);
}

void sg_cache_unlock(int fd)
{
    if (fd < 0)
        return;
    (void)flock(fd, LOCK_UN);
    close(fd);
}

/* ---- prune ----------------------------------------------------------------------------- */

typedef struct prune_state {
    sg_cache *cache;             /* the cache */
    sg_ctx *ctx;                 /* errors */
    time_t cutoff;               /* files last used before this go (0: keep nothing) */
    int everything;              /* older_than was 0 */
    sg_cache_prune_stats *stats; /* counters */
} prune_state;

static int is_stale(const prune_state *ps, const struct stat *st)
{
    return ps->everything || st->st_mtime < ps->cutoff;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* rm -rf of dirfd's entry `name` (not following symlinks); adds the bytes freed. */
static int remove_tree(int dirfd, const char *name, uint64_t *bytes, int depth)
{
    struct stat st;
    int fd, rc = 0;
    DIR *d;
    struct dirent *e;

    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode)) {
        if (unlinkat(dirfd, name, 0) < 0)
            return errno == ENOENT ? 0 : -1;
        *bytes += (uint64_t)st.st_size;
        return 0;
    }
    if (depth > MAX_WALK_DEPTH)
        return -1;
    fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    if (!(d = fdopendir(fd))) {
        close(fd);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (remove_tree(fd, e->d_name, bytes, depth + 1) < 0)
            rc = -1;
    }
    closedir(d);
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

/* Newest mtime among a mirror folder and the files git rewrites when it is used. */
static time_t mirror_last_use(int dirfd, const char *name, const struct stat *dst)
{
    static const char *const marks[] = {"FETCH_HEAD", "HEAD", "packed-refs"};
    time_t newest = dst->st_mtime;
    char rel[1100];
    size_t i;

    for (i = 0; i < SG_ARRAY_SIZE(marks); i++) {
        struct stat st;
        int n = snprintf(rel, sizeof(rel), "%s/%s", name, marks[i]);
        if (n < 0 || (size_t)n >= sizeof(rel))
            continue;
        if (fstatat(dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_mtime > newest)
            newest = st.st_mtime;
    }
    return newest;
}

static int prune_mirror(prune_state *ps, int dirfd, const char *name, const char *relpath,
                        const struct stat *st)
{
    int lockfd = -1, rc;
    uint64_t bytes = 0;
    struct stat again;

    if (!ps->everything && mirror_last_use(dirfd, name, st) >= ps->cutoff)
        return 0;
    rc = lock_open(&lockfd, ps->ctx, ps->cache, relpath, 1);
    if (rc == 1)
        return 0; /* in use right now: not stale */
    if (rc < 0)
        return rc;
    /* Re-check under the lock: another process may have just refreshed it. */
    if (fstatat(dirfd, name, &again, AT_SYMLINK_NOFOLLOW) == 0 &&
        (ps->everything || mirror_last_use(dirfd, name, &again) < ps->cutoff)) {
        if (remove_tree(dirfd, name, &bytes, 0) < 0)
            rc = sg_error_set(ps->ctx, SG_EIO, "cannot remove git mirror '%s' from the cache",
                              relpath);
        else
            ps->stats->mirrors_removed++;
        ps->stats->bytes_freed += bytes;
    }
    sg_cache_unlock(lockfd);
    return rc;
}

/*
 * Walk dirfd (whose path relative to the cache root is rel): remove stale files, stale git
 * mirrors (folders named *.git below git/), then folders left empty. kind: 'f' for
 * tarballs/packuments, 'g' below git/, 't' for tmp/.
 */
static int prune_dir(prune_state *ps, int dirfd, const char *rel, char kind, int depth)
{
    DIR *d = NULL;
    struct dirent *e;
    int error = 0;
    int fd = dup(dirfd);

    if (fd < 0 || !(d = fdopendir(fd))) {
        if (fd >= 0)
            close(fd);
        return sg_error_set(ps->ctx, SG_EIO, "cannot read cache folder '%s': %s", rel,
                            strerror(errno));
    }
    while ((e = readdir(d)) != NULL && error == 0) {
        struct stat st;
        char child[2048];
        int n;

        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n = snprintf(child, sizeof(child), "%s/%s", rel, e->d_name);
        if (n < 0 || (size_t)n >= sizeof(child))
            continue;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            int sub;
            if (kind == 'g' && ends_with(e->d_name, ".git")) {
                error = prune_mirror(ps, dirfd, e->d_name, child, &st);
                continue;
            }
            if (depth >= MAX_WALK_DEPTH)
                continue;
            sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub < 0)
                continue;
            error = prune_dir(ps, sub, child, kind, depth + 1);
            close(sub);
            /* Drop folders left empty; fails harmlessly (ENOTEMPTY) otherwise. */
            (void)unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
            continue;
        }
        if (kind == 't') {
            if (st.st_mtime >= time(NULL) - STALE_TMP_SECONDS)
                continue;
        } else if (!is_stale(ps, &st)) {
            continue;
        }
        if (unlinkat(dirfd, e->d_name, 0) < 0)
            continue; /* removed by someone else meanwhile */
        ps->stats->bytes_freed += (uint64_t)st.st_size;
        if (kind != 't' && (ends_with(e->d_name, ".tgz") || ends_with(e->d_name, ".json")))
            ps->stats->files_removed++;
    }
    closedir(d);
    return error;
}

/* Folders no version of sourcegate uses any more, removed whatever their age: the dependency
 * cache that every rebuild shared and wrote (rebuild/npm-cache, before rebuilds got private
 * caches and the registry gateway). */
static int prune_obsolete(prune_state *ps, int root)
{
    static const char *const obsolete[] = {"npm-cache"};
    int fd = openat(root, "rebuild", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    size_t i;
    int error = 0;

    if (fd < 0)
        return 0;
    for (i = 0; i < SG_ARRAY_SIZE(obsolete) && !error; i++) {
        uint64_t bytes = 0;
        if (remove_tree(fd, obsolete[i], &bytes, 0) < 0)
            error = sg_error_set(ps->ctx, SG_EIO, "cannot remove 'rebuild/%s' from the cache",
                                 obsolete[i]);
        ps->stats->bytes_freed += bytes;
    }
    close(fd);
    return error;
}

int sg_cache_prune(sg_cache_prune_stats *stats, sg_ctx *ctx, sg_cache *cache,
                   uint64_t older_than_seconds)
{
    static const struct {
        const char *name; /* top folder */
        char kind;        /* prune_dir kind */
    } tops[] = {
        {"tarballs", 'f'},     {"packuments", 'f'},   {"trust", 'f'}, {"rebuild/gateway", 'f'},
        {"rebuild/logs", 'f'}, {"rebuild/node", 'f'}, {"git", 'g'},   {"tmp", 't'}};
    prune_state ps;
    int root = -1, error = 0;
    size_t i;
    time_t now = time(NULL);

    memset(stats, 0, sizeof(*stats));
    ps.cache = cache;
    ps.ctx = ctx;
    ps.stats = stats;
    ps.everything = older_than_seconds == 0;
    ps.cutoff = older_than_seconds >= (uint64_t)now ? 0 : now - (time_t)older_than_seconds;
    root = open(cache->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return sg_error_set(ctx, SG_EIO, "cannot open cache folder '%s': %s", cache->dir,
                            strerror(errno));
    for (i = 0; i < SG_ARRAY_SIZE(tops) && !error; i++) {
        int fd = openat(root, tops[i].name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
            continue; /* nothing there yet */
        error = prune_dir(&ps, fd, tops[i].name, tops[i].kind, 1);
        close(fd);
    }
    if (!error)
        error = prune_obsolete(&ps, root);
    close(root);
    return error;
}
