/*
 * The rebuild's sandbox: bubblewrap with every namespace unshared, the system read-only, only
 * the binds the caller names writable, no network (or an allowlisting proxy for the install
 * step, sandbox_proxy.c), limits on time, memory and processes (cgroups: sandbox_cgroup.c), and
 * the whole process tree killed at the end. A seccomp filter (sandbox_seccomp.c); never root,
 * the disk watched and setuid bits refused (the host side: sandbox_host.c).
 */
#define _GNU_SOURCE /* nftw, pipe2 */
#include "common/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "verifier/rebuild/sandbox_int.h"

/* The uid and gid the build runs as inside the sandbox. */
#define SANDBOX_UID "1000"
#define SANDBOX_GID "1000"

/* System paths made visible read-only (when they exist); symlinks stay symlinks. */
static const char *const system_paths[] = {
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/etc/alternatives",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/pki",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/nsswitch.conf",
    "/etc/hosts",
    "/etc/localtime",
    "/etc/protocols",
    "/etc/services",
    "/etc/mime.types",
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---------------------------------------------------------------- small helpers */

int sg_sandbox__which(sg_buf *out, sg_ctx *ctx, const char *name, const char *search_path)
{
    const char *p = search_path ? search_path : "/usr/local/bin:/usr/bin:/bin";

    sg_buf_clear(out);
    if (!name || !*name)
        return sg_error_set(ctx, SG_EINVALID, "no program name");
    if (strchr(name, '/')) {
        char *cwd = name[0] != '/' ? getcwd(NULL, 0) : NULL;
        if (cwd)
            sg_buf_printf(out, "%s/%s", cwd, name);
        else
            sg_buf_puts(out, name);
        free(cwd);
        if (sg_buf_check(out, ctx, "a program path") < 0)
            return SG_ENOMEM;
        if (access(out->ptr, X_OK) != 0)
            return sg_error_set(ctx, SG_ENOTFOUND, "program '%s' is not executable: %s", name,
                                strerror(errno));
        return 0;
    }
    while (*p) {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);
        struct stat st;
        if (n && p[0] == '/') {
            sg_buf_clear(out);
            sg_buf_put(out, p, n);
            sg_buf_printf(out, "/%s", name);
            if (sg_buf_check(out, ctx, "a program path") < 0)
                return SG_ENOMEM;
            if (stat(out->ptr, &st) == 0 && S_ISREG(st.st_mode) && access(out->ptr, X_OK) == 0)
                return 0;
        }
        p += n;
        if (*p == ':')
            p++;
    }
    sg_buf_clear(out);
    return sg_error_set(ctx, SG_ENOTFOUND, "program '%s' not found on the search path", name);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP || flag == FTW_D)
        return rmdir(path) < 0 && errno != ENOENT ? -1 : 0;
    return unlink(path) < 0 && errno != ENOENT ? -1 : 0;
}

static int open_up_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_D && (st->st_mode & 0700) != 0700)
        chmod(path, (st->st_mode & 07777) | 0700);
    return 0;
}

int sg_sandbox__remove_tree(sg_ctx *ctx, const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT
                   ? 0
                   : sg_error_set(ctx, SG_EIO, "cannot remove '%s': %s", path, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return unlink(path) < 0
                   ? sg_error_set(ctx, SG_EIO, "cannot remove '%s': %s", path, strerror(errno))
                   : 0;
    if (nftw(path, remove_entry, 64, FTW_PHYS | FTW_DEPTH) == 0)
        return 0;
    /* A build may leave folders without write permission: open them up, then try again. */
    nftw(path, open_up_entry, 64, FTW_PHYS);
    if (nftw(path, remove_entry, 64, FTW_PHYS | FTW_DEPTH) < 0)
        return sg_error_set(ctx, SG_EIO, "cannot remove '%s': %s", path, strerror(errno));
    return 0;
}

/* A growable NULL-terminated array of owned strings (argument vectors). */
typedef struct strv {
    char **v;      /* the strings, NULL-terminated */
    size_t n, cap; /* used (without the NULL), allocated */
    int error;     /* sticky SG_ENOMEM */
} strv;

static void strv_add(strv *s, const char *str)
{
    char *d;
    if (s->error)
        return;
    if (SG_ARRAY_GROW(s->v, s->cap, s->n + 2, 64) < 0 || !(d = sg_strdup(str))) {
        s->error = SG_ENOMEM;
        return;
    }
    s->v[s->n++] = d;
    s->v[s->n] = NULL;
}

static void strv_add2(strv *s, const char *a, const char *b)
{
    strv_add(s, a);
    strv_add(s, b);
}

static void strv_add3(strv *s, const char *a, const char *b, const char *c)
{
    strv_add(s, a);
    strv_add(s, b);
    strv_add(s, c);
}

static void strv_dispose(strv *s)
{
    size_t i;
    for (i = 0; i < s->n; i++)
        sg_free(s->v[i]);
    sg_free(s->v);
    memset(s, 0, sizeof(*s));
}

/* ---------------------------------------------------------------- bwrap arguments */

static int bwrap_supports(const char *bwrap, const char *option)
{
    const char *argv[3];
    sg_buf out = SG_BUF_INIT;
    int yes;
    argv[0] = bwrap;
    argv[1] = "--help";
    argv[2] = NULL;
    sg_buf_init(&out, 1u << 16);
    sg_sandbox__capture(&out, NULL, argv, 5000);
    yes = strstr(out.ptr, option) != NULL;
    sg_buf_dispose(&out);
    return yes;
}

/* A memfd holding text (for --ro-bind-data); -1 on failure. */
static int memfd_text(const char *name, const char *text)
{
    int fd = (int)syscall(SYS_memfd_create, name, 0u);
    if (fd < 0)
        return -1;
    if (sg_fd_write_all(fd, text, strlen(text), 0) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void add_system_binds(strv *a)
{
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(system_paths); i++) {
        struct stat st;
        char target[4096];
        ssize_t n;
        if (lstat(system_paths[i], &st) < 0)
            continue;
        /* Top-level symlinks (merged /usr: /bin -> usr/bin) stay symlinks. */
        if (S_ISLNK(st.st_mode) && strchr(system_paths[i] + 1, '/') == NULL &&
            (n = readlink(system_paths[i], target, sizeof(target) - 1)) > 0 &&
            (size_t)n < sizeof(target) - 1) { /* else cut short: bind what it points to */
            target[n] = '\0';
            strv_add3(a, "--symlink", target, system_paths[i]);
            continue;
        }
        strv_add3(a, "--ro-bind", system_paths[i], system_paths[i]);
    }
}

/* fds of the command's bubblewrap: the passwd and group files, the seccomp filter. */
enum { FD_PASSWD = 3, FD_GROUP = 4, FD_SECCOMP = 5, FD_FIRST_FREE = 6 }; /* "3", "4", "5" below */

/* A tmpfs, of at most disk_bytes when that is set. */
static void add_tmpfs(strv *a, const char *path, uint64_t disk_bytes)
{
    char size[32];
    if (disk_bytes) {
        snprintf(size, sizeof(size), "%llu", (unsigned long long)disk_bytes);
        strv_add2(a, "--size", size);
    }
    strv_add2(a, "--tmpfs", path);
}

/* The bwrap command line for spec; argv is the command to run inside. The binds come from
 * where the host side says (staged when root). */
static void bwrap_args(strv *a, const sg_sandbox_spec *spec, const sg_sandbox_host *h,
                       const char *const *argv, int disable_userns)
{
    size_t i;

    strv_add(a, spec->bwrap);
    strv_add(a, "--unshare-all"); /* user (when possible), ipc, pid, net, uts, cgroup */
    strv_add(a, "--unshare-user");
    if (disable_userns)
        strv_add(a, "--disable-userns");
    strv_add2(a, "--uid", SANDBOX_UID);
    strv_add2(a, "--gid", SANDBOX_GID);
    strv_add2(a, "--hostname", "sourcegate-rebuild");
    strv_add(a, "--die-with-parent");
    strv_add(a, "--new-session");
    strv_add2(a, "--cap-drop", "ALL");
    add_system_binds(a);
    strv_add2(a, "--perms", "0444");
    strv_add3(a, "--ro-bind-data", "3", "/etc/passwd");
    strv_add2(a, "--perms", "0444");
    strv_add3(a, "--ro-bind-data", "4", "/etc/group");
    strv_add2(a, "--proc", "/proc");
    strv_add2(a, "--dev", "/dev");
    add_tmpfs(a, "/tmp", spec->disk_bytes);
    add_tmpfs(a, "/var/tmp", spec->disk_bytes);
    add_tmpfs(a, "/run", spec->disk_bytes);
    /* bubblewrap mounts every bind nosuid (and nodev): a setuid file written there does not
     * raise privileges inside; the host side clears such bits when the step ends. */
    for (i = 0; i < spec->nbinds; i++) {
        const sg_sandbox_bind *b = &spec->binds[i];
        const char *op = (b->flags & SG_SANDBOX_RW)
                             ? ((b->flags & SG_SANDBOX_TRY) ? "--bind-try" : "--bind")
                             : ((b->flags & SG_SANDBOX_TRY) ? "--ro-bind-try" : "--ro-bind");
        strv_add3(a, op, sg_sandbox__host_source(h, spec, i), b->path);
    }
    if (spec->net == SG_SANDBOX_NET_PROXY && spec->scratch)
        strv_add3(a, "--ro-bind", sg_sandbox__host_source(h, spec, spec->nbinds), spec->scratch);
    if (h->seccomp_fd >= 0)
        strv_add2(a, "--seccomp", "5");
    if (spec->cwd)
        strv_add2(a, "--chdir", spec->cwd);
    strv_add(a, "--");
    for (i = 0; argv[i]; i++)
        strv_add(a, argv[i]);
}

/* ---------------------------------------------------------------- running */

typedef struct child_setup {
    const char *prog;             /* what to execve */
    char *const *argv;            /* its arguments */
    char *const *envp;            /* its environment */
    const char *cwd;              /* chdir first (unsafe mode), or NULL */
    int out_fd;                   /* stdout and stderr */
    int passwd_fd, group_fd;      /* become FD_PASSWD and FD_GROUP, or -1 */
    const sg_sandbox_cgroups *cg; /* cgroups to join */
    const sg_sandbox_spec *spec;  /* the limits */
    const sg_sandbox_host *host;  /* the uid to become, the staged binds, the seccomp filter */
} child_setup;

static void set_limit(int resource, uint64_t value)
{
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = (rlim_t)value;
    setrlimit(resource, &rl);
}

/* In the child: out_fd on 1 and 2, /dev/null on 0, then each of from[i] on to[i] (moved above
 * every target first, so that no source is overwritten), everything else closed. */
static void child_fds(int out_fd, const int *from, const int *to, size_t n)
{
    int high[4], devnull, fd;
    size_t i;
    out_fd = fcntl(out_fd, F_DUPFD_CLOEXEC, 64);
    for (i = 0; i < n; i++)
        high[i] = from[i] >= 0 ? fcntl(from[i], F_DUPFD_CLOEXEC, 64) : -1;
    devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0 && devnull != 0) {
        dup2(devnull, 0);
        close(devnull);
    }
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    for (i = 0; i < n; i++) {
        if (high[i] >= 0)
            dup2(high[i], to[i]);
        else
            close(to[i]);
    }
    fd = FD_FIRST_FREE;
    if (syscall(SYS_close_range, (unsigned)fd, ~0u, 0u) < 0)
        for (; fd < 4096; fd++)
            close(fd);
}

/* In the forked child: only async-signal-safe calls until execve. */
static void child_exec(const child_setup *cs)
{
    const int from[3] = {cs->passwd_fd, cs->group_fd, cs->host->seccomp_fd};
    const int to[3] = {FD_PASSWD, FD_GROUP, FD_SECCOMP};
    uint64_t fsize = cs->spec->max_file_bytes;
    setpgid(0, 0);
    sg_sandbox__cgroups_join(cs->cg);
    sg_sandbox__host_enter(cs->host); /* never root from here on */
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* after the uid changed, which clears it */
    if (cs->spec->memory_bytes)
        set_limit(RLIMIT_DATA, cs->spec->memory_bytes);
    if (cs->spec->max_processes)
        set_limit(RLIMIT_NPROC, cs->spec->max_processes);
    if (cs->spec->disk_bytes && (!fsize || cs->spec->disk_bytes < fsize))
        fsize = cs->spec->disk_bytes;
    if (fsize)
        set_limit(RLIMIT_FSIZE, fsize);
    set_limit(RLIMIT_CORE, 0);
    if (cs->spec->umask)
        umask((mode_t)cs->spec->umask); /* the second, varied rebuild (issue 15) */
    child_fds(cs->out_fd, from, to, 3);
    if (!cs->spec->unsafe && chdir("/") < 0) /* bubblewrap's --chdir sets the folder inside */
        _exit(126);
    if (cs->cwd && chdir(cs->cwd) < 0)
        _exit(126);
    execve(cs->prog, cs->argv, cs->envp);
    _exit(127);
}

/* Read what is available from fd into out (dropping what exceeds its limit). 1 at EOF. */
static int drain(int fd, sg_buf *out, uint64_t *dropped)
{
    char chunk[8192];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == EAGAIN ? 0 : 1;
        if (n == 0)
            return 1;
        if (!out || out->size + (size_t)n > out->limit || out->error) {
            size_t room = out && !out->error && out->size < out->limit ? out->limit - out->size : 0;
            if (room)
                sg_buf_put(out, chunk, room);
            *dropped += (uint64_t)n - room;
        } else {
            sg_buf_put(out, chunk, (size_t)n);
        }
    }
}

static void kill_all(pid_t pid, const sg_sandbox_cgroups *cg)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    sg_sandbox__cgroups_kill(cg);
}

/* The disk watch: every ~250 ms (longer when measuring takes long: at most a tenth of the
 * time goes to it), has the step grown the writable binds past the limit? */
typedef struct disk_watch {
    uint64_t base;  /* bytes held at the start */
    uint64_t limit; /* growth allowed; 0: no watch */
    uint64_t next;  /* when to measure next (ms) */
} disk_watch;

static int disk_over(disk_watch *dw, const sg_sandbox_spec *spec, uint64_t now)
{
    uint64_t used = 0, took;
    int measured;
    if (!dw->limit || now < dw->next)
        return 0;
    measured = sg_sandbox__host_usage(&used, spec) == 0;
    took = now_ms() - now;
    dw->next = now_ms() + (took * 10 > 250 ? took * 10 : 250);
    return !measured || (used > dw->base && used - dw->base > dw->limit);
}

/* Wait for the child, collecting output, enforcing the time and disk limits. */
static void supervise(sg_sandbox_result *res, pid_t pid, int out_fd, const sg_sandbox_spec *spec,
                      const sg_sandbox_cgroups *cg, uint64_t start, disk_watch *dw)
{
    uint64_t deadline = spec->timeout_ms ? start + spec->timeout_ms : 0, reaped_at = 0;
    int eof = 0, reaped = 0, status = 0;

    while (!(reaped && eof)) {
        struct pollfd pfd;
        uint64_t now = now_ms();
        pfd.fd = out_fd;
        pfd.events = POLLIN;
        pfd.revents = 0;
        if (!eof && poll(&pfd, 1, 50) > 0)
            eof = drain(out_fd, spec->output, &res->dropped);
        else if (eof)
            usleep(20000);
        if (!reaped) {
            pid_t w = waitpid(pid, &status, WNOHANG);
            if (w == pid || (w < 0 && errno == ECHILD)) {
                reaped = 1;
                reaped_at = now_ms();
                /* Whatever the command left running dies with it. */
                kill(-pid, SIGKILL);
                sg_sandbox__cgroups_kill(cg);
            }
        }
        if (!reaped && deadline && now >= deadline && !res->timed_out) {
            res->timed_out = 1;
            kill_all(pid, cg);
        }
        if (!reaped && !res->timed_out && !res->disk_exceeded && disk_over(dw, spec, now)) {
            res->disk_exceeded = 1;
            kill_all(pid, cg);
        }
        if (reaped && !eof && now_ms() - reaped_at > 2000)
            break; /* a descendant outside our reach holds the pipe: stop reading */
    }
    res->elapsed_ms = now_ms() - start;
    if (WIFEXITED(status)) {
        res->exited = !res->timed_out && !res->disk_exceeded;
        res->status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        res->signal = WTERMSIG(status);
    }
}

static int make_envp(strv *e, const char *const *env)
{
    size_t i;
    for (i = 0; env && env[i]; i++)
        strv_add(e, env[i]);
    if (!e->v)
        strv_add(e, "PATH=/usr/bin:/bin");
    return e->error;
}

/* Everything one run holds, released once by launch_dispose(). */
typedef struct launch {
    strv cmd;              /* the command (behind the forwarder when proxied) */
    strv args;             /* what is executed: bwrap and its options, then cmd */
    strv envp;             /* the command's environment */
    sg_sandbox_cgroups cg; /* the run's cgroups */
    sg_sandbox_proxy px;   /* the install step's proxy */
    int pipefd[2];         /* the command's stdout and stderr */
    int passwd_fd;         /* memfd of the sandbox's /etc/passwd, or -1 */
    int group_fd;          /* memfd of the sandbox's /etc/group, or -1 */
    sg_sandbox_host host;  /* the uid, staged binds, seccomp filter, disk at the start */
} launch;

static void launch_init(launch *l)
{
    memset(l, 0, sizeof(*l));
    sg_sandbox__cgroups_init(&l->cg);
    sg_sandbox__proxy_init(&l->px);
    sg_sandbox__host_init(&l->host);
    l->pipefd[0] = l->pipefd[1] = l->passwd_fd = l->group_fd = -1;
}

/* The command: spec's argv, or with a proxy, node running the forwarder that runs it. */
static int launch_command(launch *l, sg_ctx *ctx, const sg_sandbox_spec *spec, int proxied)
{
    sg_buf script = SG_BUF_INIT, sock = SG_BUF_INIT;
    size_t i;
    int error = 0;

    if (proxied) {
        if ((error = sg_sandbox__proxy_open(&l->px, &script, &sock, ctx, spec)) < 0)
            goto done;
        strv_add3(&l->cmd, spec->node, script.ptr, sock.ptr);
    }
    for (i = 0; spec->argv[i]; i++)
        strv_add(&l->cmd, spec->argv[i]);
    if (proxied && l->cmd.error)
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory");
done:
    sg_buf_dispose(&script);
    sg_buf_dispose(&sock);
    return error;
}

/* What is executed: the command itself (unsafe), or bubblewrap with its passwd and group. */
static int launch_args(launch *l, sg_ctx *ctx, const sg_sandbox_spec *spec)
{
    size_t i;

    if (spec->unsafe) {
        for (i = 0; i < l->cmd.n; i++)
            strv_add(&l->args, l->cmd.v[i]);
        return 0;
    }
    l->passwd_fd =
        memfd_text("passwd", "root:x:0:0:root:/root:/bin/sh\n"
                             "build:x:" SANDBOX_UID ":" SANDBOX_GID ":build:/nonexistent:/bin/sh\n"
                             "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n");
    l->group_fd = memfd_text("group", "root:x:0:\nbuild:x:" SANDBOX_GID ":\n"
                                      "nogroup:x:65534:\n");
    if (l->passwd_fd < 0 || l->group_fd < 0)
        return sg_error_set(ctx, SG_EIO, "cannot make the sandbox's /etc/passwd: %s",
                            strerror(errno));
    bwrap_args(&l->args, spec, &l->host, (const char *const *)l->cmd.v,
               bwrap_supports(spec->bwrap, "--disable-userns"));
    return 0;
}

/* Append the disk limit and the uid to the limits' description. */
static void describe_host(char *out, size_t size, const sg_sandbox_spec *spec,
                          const sg_sandbox_host *h)
{
    size_t n = strlen(out);
    if (spec->disk_bytes && n < size)
        n += (size_t)snprintf(out + n, size - n, "%sdisk %llu MiB per step", n ? ", " : "",
                              (unsigned long long)(spec->disk_bytes >> 20));
    if (h->uid && n < size)
        snprintf(out + n, size - n, "%shost uid %u, not root", n ? ", " : "", h->uid);
}

/* Fork the command into its cgroups and supervise it to the end. */
static int launch_start(launch *l, sg_sandbox_result *res, sg_ctx *ctx, const sg_sandbox_spec *spec)
{
    child_setup cs;
    disk_watch dw;
    uint64_t start;
    pid_t pid;

    if (pipe2(l->pipefd, O_CLOEXEC) < 0)
        return sg_error_set(ctx, SG_EIO, "cannot make a pipe: %s", strerror(errno));
    fcntl(l->pipefd[0], F_SETFL, fcntl(l->pipefd[0], F_GETFL) | O_NONBLOCK);
    sg_sandbox__cgroups_setup(&l->cg, spec->memory_bytes, spec->max_processes);
    sg_sandbox__cgroups_describe(res->limits, sizeof(res->limits), spec, &l->cg);
    describe_host(res->limits, sizeof(res->limits), spec, &l->host);
    cs.prog = l->args.v[0];
    cs.argv = l->args.v;
    cs.envp = l->envp.v;
    cs.cwd = spec->unsafe ? spec->cwd : NULL;
    cs.out_fd = l->pipefd[1];
    cs.passwd_fd = l->passwd_fd;
    cs.group_fd = l->group_fd;
    cs.cg = &l->cg;
    cs.spec = spec;
    cs.host = &l->host;
    dw.base = l->host.disk_base;
    dw.limit = spec->disk_bytes;
    start = now_ms();
    dw.next = start + 250;
    pid = fork();
    if (pid < 0)
        return sg_error_set(ctx, SG_EIO, "cannot start '%s': %s", l->args.v[0], strerror(errno));
    if (pid == 0)
        child_exec(&cs);
    setpgid(pid, pid); /* also done by the child; whichever runs first */
    close(l->pipefd[1]);
    l->pipefd[1] = -1;
    supervise(res, pid, l->pipefd[0], spec, &l->cg, start, &dw);
    sg_sandbox__cgroups_kill(&l->cg); /* nothing may run while the host walks the binds */
    sg_sandbox__host_after(&l->host, res, spec);
    return 0;
}

/* Stop the proxy (noting what it refused), kill and remove the cgroups, close and free. */
static void launch_dispose(launch *l, const sg_sandbox_spec *spec)
{
    size_t i;
    sg_sandbox__proxy_stop(&l->px);
    if (l->px.refused[0] && spec->output)
        sg_buf_printf(spec->output, "\nsourcegate: the proxy refused: %s\n", l->px.refused);
    sg_sandbox__cgroups_kill(&l->cg);
    sg_sandbox__cgroups_dispose(&l->cg);
    sg_sandbox__host_dispose(&l->host);
    for (i = 0; i < 2; i++)
        if (l->pipefd[i] >= 0)
            close(l->pipefd[i]);
    if (l->passwd_fd >= 0)
        close(l->passwd_fd);
    if (l->group_fd >= 0)
        close(l->group_fd);
    strv_dispose(&l->args);
    strv_dispose(&l->cmd);
    strv_dispose(&l->envp);
}

int sg_sandbox__run(sg_sandbox_result *res, sg_ctx *ctx, const sg_sandbox_spec *spec)
{
    launch l;
    const int proxied = spec->net == SG_SANDBOX_NET_PROXY && !spec->unsafe;
    int error;

    memset(res, 0, sizeof(*res));
    if (!spec->argv || !spec->argv[0] || spec->argv[0][0] != '/' || (!spec->unsafe && !spec->bwrap))
        return sg_error_set(ctx, SG_EINVALID,
                            "the sandbox needs an absolute command and "
                            "bubblewrap");
    launch_init(&l);
    if ((error = launch_command(&l, ctx, spec, proxied)) < 0 ||
        (error = sg_sandbox__host_prepare(&l.host, ctx, spec)) < 0 ||
        (error = launch_args(&l, ctx, spec)) < 0)
        goto done;
    if (l.args.error || l.cmd.error || make_envp(&l.envp, spec->env) < 0) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory");
        goto done;
    }
    error = launch_start(&l, res, ctx, spec);
done:
    launch_dispose(&l, spec);
    snprintf(res->refused, sizeof(res->refused), "%.255s", l.px.refused);
    return error;
}

int sg_sandbox__capture(sg_buf *out, sg_ctx *ctx, const char *const *argv, unsigned timeout_ms)
{
    static const char *const env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", NULL};
    sg_sandbox_spec spec;
    sg_sandbox_result res;
    int error;

    memset(&spec, 0, sizeof(spec));
    spec.unsafe = 1; /* a trusted program of the machine, not the build */
    spec.argv = argv;
    spec.env = env;
    spec.timeout_ms = timeout_ms;
    spec.output = out;
    if ((error = sg_sandbox__run(&res, ctx, &spec)) < 0)
        return error;
    if (!res.exited || res.status != 0)
        return sg_error_set(ctx, SG_EIO, "'%s' failed (%s %d)", argv[0],
                            res.exited ? "exit status" : "signal",
                            res.exited ? res.status : res.signal);
    return 0;
}

int sg_sandbox__probe(sg_ctx *ctx, const char *bwrap)
{
    static const char *const argv[] = {"/bin/sh", "-c", "exit 0", NULL};
    static const char *const env[] = {"PATH=/usr/bin:/bin", NULL};
    sg_sandbox_spec spec;
    sg_sandbox_result res;
    sg_buf out = SG_BUF_INIT;
    int error;

    memset(&spec, 0, sizeof(spec));
    spec.bwrap = bwrap;
    spec.argv = argv;
    spec.env = env;
    spec.cwd = "/";
    spec.timeout_ms = 20000;
    spec.output = &out;
    sg_buf_init(&out, 4096);
    if ((error = sg_sandbox__run(&res, ctx, &spec)) == 0 && (!res.exited || res.status != 0)) {
        size_t n = out.size;
        while (n && (out.ptr[n - 1] == '\n' || out.ptr[n - 1] == '\r'))
            n--;
        sg_buf_truncate(&out, n);
        error = sg_error_set(ctx, SG_EUNSUPPORTED,
                             "bubblewrap cannot make a sandbox here (user namespaces may be "
                             "disabled%s): %s",
                             geteuid() == 0 ? " for unprivileged users: as root, the sandbox "
                                              "runs under an unprivileged uid"
                                            : "",
                             out.size ? out.ptr : "no message");
    }
    sg_buf_dispose(&out);
    return error;
}
