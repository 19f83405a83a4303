/*
 * The host side of the sandbox: never root, bounded disk, no setuid file coming back.
 *
 * When sourcegate runs as root, bubblewrap is started under an unprivileged uid and gid of its
 * own (the child drops every group, then the gid, then the uid, and sets no_new_privs before it
 * executes bubblewrap), so the uid the build has inside maps onto that host uid, not onto root.
 * The folders it writes are handed over to that uid; what it reads must be readable by it. Its
 * binds are reached through a staging folder: the child, still root, makes a private mount
 * namespace and binds each source there, so the sandbox's uid needs no access to the folders
 * above them (the cache under /root) and sees nothing but the binds.
 *
 * Disk: the scratch's file system must have room for the limit before a step starts; while it
 * runs, the supervisor measures the blocks the writable binds hold and kills the step when they
 * grew by more than the limit (the tmpfs mounts carry the size themselves).
 */
#define _GNU_SOURCE /* unshare, setgroups */
#include "common/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "verifier/rebuild/sandbox_int.h"

/* How deep the walks go (an fd per level); deeper entries are not visited. */
#define WALK_DEPTH 256

/* What a walk does and found. */
typedef struct walk_state {
    int (*visit)(struct walk_state *ws, int dirfd, const char *name, const struct stat *st);
    unsigned uid, gid; /* hand entries over to these */
    uint64_t bytes;    /* blocks held, in bytes */
    int too_deep;      /* a folder deeper than WALK_DEPTH was not entered */
    int failed;        /* errno of the first failure */
    char where[256];   /* the first setuid file, or where the first failure was */
} walk_state;

/* Visit every entry under the folder fd (which it closes), never following a link: each folder
 * is opened O_NOFOLLOW relative to its parent, so a tree the sandbox wrote cannot lead the walk
 * (running as root) anywhere else, however it is swapped around meanwhile. */
static int walk_fd(walk_state *ws, int fd, unsigned depth)
{
    DIR *d = fdopendir(fd);
    struct dirent *de;
    int rc = 0;

    if (!d) {
        close(fd);
        return -1;
    }
    while (rc == 0 && (de = readdir(d))) {
        struct stat st;
        int sub;
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
            fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if ((rc = ws->visit(ws, dirfd(d), de->d_name, &st)) != 0 || !S_ISDIR(st.st_mode))
            continue;
        if (depth >= WALK_DEPTH) {
            ws->too_deep = 1;
            continue;
        }
        sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub >= 0)
            rc = walk_fd(ws, sub, depth + 1);
        else if (errno == EMFILE || errno == ENFILE)
            ws->too_deep = 1; /* not entered either */
    }
    closedir(d);
    return rc;
}

/* Visit path itself (as "." of itself) and everything under it. */
static int walk_tree(walk_state *ws, const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;
    if (fd < 0 || fstat(fd, &st) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if ((rc = ws->visit(ws, fd, ".", &st)) != 0) {
        close(fd);
        return rc;
    }
    return walk_fd(ws, fd, 0);
}

void sg_sandbox__host_init(sg_sandbox_host *h)
{
    memset(h, 0, sizeof(*h));
    sg_buf_init(&h->stage, 4096);
    h->seccomp_fd = -1;
}

/* The bind paths of spec (its binds, then the proxy's scratch folder), n receives how many. */
static const char *bind_path(const sg_sandbox_spec *spec, size_t i, int *flags)
{
    if (i < spec->nbinds) {
        *flags = spec->binds[i].flags;
        return spec->binds[i].path;
    }
    *flags = 0;
    return spec->scratch;
}

static size_t bind_count(const sg_sandbox_spec *spec)
{
    return spec->nbinds + (spec->net == SG_SANDBOX_NET_PROXY && spec->scratch ? 1 : 0);
}

/* ---------------------------------------------------------------- handing folders over */

static int hand_over_entry(walk_state *ws, int dirfd, const char *name, const struct stat *st)
{
    if (S_ISLNK(st->st_mode) || (st->st_uid == ws->uid && st->st_gid == ws->gid))
        return 0;
    /* a file linked from elsewhere is not ours to give away */
    if (!S_ISDIR(st->st_mode) && st->st_nlink > 1)
        return 0;
    if (fchownat(dirfd, name, ws->uid, ws->gid, AT_SYMLINK_NOFOLLOW) < 0) {
        ws->failed = errno;
        snprintf(ws->where, sizeof(ws->where), "%s", name);
        return -1;
    }
    return 0;
}

/* Can uid/gid read (and, for a folder, enter) what st describes? By the mode bits. */
static int readable_by(const struct stat *st, unsigned uid, unsigned gid)
{
    unsigned need = S_ISDIR(st->st_mode) ? 5u : 4u, bits;
    if (st->st_uid == uid)
        bits = ((unsigned)st->st_mode >> 6) & 7u;
    else if (st->st_gid == gid)
        bits = ((unsigned)st->st_mode >> 3) & 7u;
    else
        bits = (unsigned)st->st_mode & 7u;
    return (bits & need) == need;
}

/* The writable binds and the proxy's folder become the sandbox uid's; the others must be
 * readable by it. */
static int hand_over(sg_sandbox_host *h, sg_ctx *ctx, const sg_sandbox_spec *spec)
{
    walk_state ws;
    size_t i;
    int flags, error = 0;

    memset(&ws, 0, sizeof(ws));
    ws.visit = hand_over_entry;
    ws.uid = h->uid;
    ws.gid = h->gid;
    for (i = 0; i < bind_count(spec); i++) {
        const char *path = bind_path(spec, i, &flags);
        struct stat st;
        if (stat(path, &st) < 0) {
            if (flags & SG_SANDBOX_TRY)
                continue;
            error = sg_error_set(ctx, SG_EIO, "cannot bind '%s' into the sandbox: %s", path,
                                 strerror(errno));
            goto done;
        }
        if ((flags & SG_SANDBOX_RW) || i == spec->nbinds) {
            /* (what lies deeper than the walk goes the sandbox wrote: it is its own) */
            if (walk_tree(&ws, path) != 0) {
                error = sg_error_set(ctx, SG_EIO,
                                     "cannot hand '%s' over to the sandbox's uid %u: %s%s%s", path,
                                     h->uid, strerror(ws.failed ? ws.failed : errno),
                                     ws.where[0] ? " at " : "", ws.where);
                goto done;
            }
        } else if (!readable_by(&st, h->uid, h->gid)) {
            error = sg_error_set(ctx, SG_EIO,
                                 "'%s' is not readable by uid %u, which the sandbox runs as when "
                                 "sourcegate runs as root (mode %o, owner %u): install it where "
                                 "every user can read it",
                                 path, h->uid, (unsigned)st.st_mode & 07777u, (unsigned)st.st_uid);
            goto done;
        }
    }
done:
    return error;
}

/* ---------------------------------------------------------------- staging */

/* The staging folder (root's, 0711) with one empty mount point per bind: "<stage>/<i>". */
static int make_stage(sg_sandbox_host *h, sg_ctx *ctx, const sg_sandbox_spec *spec)
{
    sg_buf p = SG_BUF_INIT;
    size_t i, n = bind_count(spec);
    int flags, error = 0;

    sg_buf_puts(&h->stage, "/tmp/sourcegate-stage-XXXXXX");
    if (h->stage.error || !mkdtemp(h->stage.ptr)) {
        error = sg_error_set(ctx, SG_EIO, "cannot make the sandbox's staging folder: %s",
                             strerror(errno));
        sg_buf_clear(&h->stage);
        goto done;
    }
    if (chmod(h->stage.ptr, 0711) < 0) { /* dispose removes it */
        error = sg_error_set(ctx, SG_EIO, "cannot open up '%s': %s", h->stage.ptr, strerror(errno));
        goto done;
    }
    if (!(h->pairs = sg_calloc(2 * n + 1, sizeof(*h->pairs)))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory");
        goto done;
    }
    for (i = 0; i < n; i++) {
        const char *path = bind_path(spec, i, &flags);
        struct stat st;
        int fd;
        if (stat(path, &st) < 0)
            continue; /* a missing TRY bind: bubblewrap skips it (hand_over checked the rest) */
        sg_buf_clear(&p);
        sg_buf_printf(&p, "%s/%zu", h->stage.ptr, i);
        if ((error = sg_buf_check(&p, ctx, "a path")) < 0)
            goto done;
        h->npairs = i + 1;
        if (!(h->pairs[2 * i] = sg_strdup(path)) || !(h->pairs[2 * i + 1] = sg_strdup(p.ptr))) {
            error = sg_error_set(ctx, SG_ENOMEM, "out of memory");
            goto done;
        }
        if (S_ISDIR(st.st_mode) ? mkdir(p.ptr, 0700)
                                : (fd = open(p.ptr, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600),
                                   fd < 0 ? -1 : close(fd)) < 0) {
            error = sg_error_set(ctx, SG_EIO, "cannot make '%s': %s", p.ptr, strerror(errno));
            goto done;
        }
    }
done:
    sg_buf_dispose(&p);
    return error;
}

const char *sg_sandbox__host_source(const sg_sandbox_host *h, const sg_sandbox_spec *spec, size_t i)
{
    int flags;
    const char *path = bind_path(spec, i, &flags);
    if (h->stage.size && i < h->npairs && h->pairs[2 * i + 1])
        return h->pairs[2 * i + 1];
    return path; /* not staged; or missing: bubblewrap's -try skips it, or says so */
}

/* ---------------------------------------------------------------- disk */

static int count_entry(walk_state *ws, int dirfd, const char *name, const struct stat *st)
{
    (void)dirfd;
    (void)name;
    ws->bytes += (uint64_t)st->st_blocks * 512u;
    return 0;
}

int sg_sandbox__host_usage(uint64_t *bytes, const sg_sandbox_spec *spec)
{
    walk_state ws;
    size_t i;
    int flags, error = 0;

    memset(&ws, 0, sizeof(ws));
    ws.visit = count_entry;
    for (i = 0; i < spec->nbinds; i++) {
        const char *path = bind_path(spec, i, &flags);
        if ((flags & SG_SANDBOX_RW) && walk_tree(&ws, path) != 0 && errno != ENOENT)
            error = -1;
    }
    /* a tree deeper than the walk goes counts as over the limit: it cannot be measured */
    *bytes = ws.bytes;
    return error < 0 || ws.too_deep ? -1 : 0;
}

/* Room for the limit on the file system of the first writable bind. */
static int check_free(sg_ctx *ctx, const sg_sandbox_spec *spec)
{
    struct statvfs vfs;
    size_t i;
    for (i = 0; i < spec->nbinds; i++) {
        uint64_t avail;
        if (!(spec->binds[i].flags & SG_SANDBOX_RW) || statvfs(spec->binds[i].path, &vfs) < 0)
            continue;
        avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
        if (avail < spec->disk_bytes)
            return sg_error_set(ctx, SG_EIO,
                                "not enough free disk for a rebuild: %llu MiB free at '%s', a "
                                "step may write %llu MiB (--rebuild-disk)",
                                (unsigned long long)(avail >> 20), spec->binds[i].path,
                                (unsigned long long)(spec->disk_bytes >> 20));
        return 0;
    }
    return 0;
}

/* ---------------------------------------------------------------- setup and teardown */

int sg_sandbox__host_prepare(sg_sandbox_host *h, sg_ctx *ctx, const sg_sandbox_spec *spec)
{
    int error;

    if (spec->disk_bytes && (error = check_free(ctx, spec)) < 0)
        return error;
    if (spec->unsafe)
        return 0; /* a trusted program, or --unsafe-no-sandbox: as the caller */
    if ((error = sg_sandbox__seccomp_fd(&h->seccomp_fd, ctx)) < 0)
        return error;
    if (geteuid() == 0) {
        h->uid = h->gid = spec->uid ? spec->uid : SG_SANDBOX_DEFAULT_UID;
        if ((error = hand_over(h, ctx, spec)) < 0 || (error = make_stage(h, ctx, spec)) < 0)
            return error;
    }
    if (spec->disk_bytes && sg_sandbox__host_usage(&h->disk_base, spec) < 0)
        return sg_error_set(ctx, SG_EIO, "cannot measure the rebuild's folders: %s",
                            strerror(errno));
    return 0;
}

/* Write a fixed message (async-signal-safe) and leave the child. */
static void child_fail(const char *msg)
{
    ssize_t n = write(2, msg, strlen(msg));
    (void)n;
    _exit(125);
}

void sg_sandbox__host_enter(const sg_sandbox_host *h)
{
    size_t i;
    if (!h->uid)
        return;
    if (h->stage.size) {
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            child_fail("sourcegate: cannot make the sandbox's mount namespace\n");
        for (i = 0; i < h->npairs; i++)
            if (h->pairs[2 * i] &&
                mount(h->pairs[2 * i], h->pairs[2 * i + 1], NULL, MS_BIND | MS_REC, NULL) < 0)
                child_fail("sourcegate: cannot stage a bind of the sandbox\n");
    }
    if (setgroups(0, NULL) < 0 || setgid((gid_t)h->gid) < 0 || setuid((uid_t)h->uid) < 0 ||
        getuid() == 0 || geteuid() == 0)
        child_fail("sourcegate: cannot leave root for the sandbox's uid\n");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        child_fail("sourcegate: cannot set no_new_privs\n");
}

static int setuid_entry(walk_state *ws, int dirfd, const char *name, const struct stat *st)
{
    int fd;
    if (!S_ISREG(st->st_mode) || !(st->st_mode & (S_ISUID | S_ISGID)))
        return 0;
    if (!ws->where[0])
        snprintf(ws->where, sizeof(ws->where), "%s", name);
    fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
        fchmod(fd, (st->st_mode & 07777) & ~(mode_t)(S_ISUID | S_ISGID));
        close(fd);
    }
    return 0;
}

void sg_sandbox__host_after(const sg_sandbox_host *h, sg_sandbox_result *res,
                            const sg_sandbox_spec *spec)
{
    walk_state ws;
    size_t i;
    int flags;
    (void)h;
    memset(&ws, 0, sizeof(ws));
    ws.visit = setuid_entry;
    for (i = 0; i < spec->nbinds; i++) {
        const char *path = bind_path(spec, i, &flags);
        if (flags & SG_SANDBOX_RW)
            walk_tree(&ws, path);
    }
    memcpy(res->setuid_path, ws.where, sizeof(res->setuid_path));
}

void sg_sandbox__host_dispose(sg_sandbox_host *h)
{
    size_t i;
    for (i = 0; h->pairs && i < 2 * h->npairs; i++)
        sg_free(h->pairs[i]);
    sg_free(h->pairs);
    h->pairs = NULL;
    h->npairs = 0;
    if (h->stage.size)
        sg_sandbox__remove_tree(NULL, h->stage.ptr);
    sg_buf_dispose(&h->stage);
    if (h->seccomp_fd >= 0)
        close(h->seccomp_fd);
    h->seccomp_fd = -1;
}
