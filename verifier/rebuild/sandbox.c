/*
 * The rebuild's sandbox: bubblewrap with every namespace unshared, the system read-only, only
 * the binds the caller names writable, no network (or an allowlisting proxy for the install
 * step), limits on time, memory and processes, and the whole process tree killed at the end.
 *
 * The proxy: inside the sandbox the network namespace has only its own loopback, so a small
 * node forwarder listens on 127.0.0.1 there and hands every connection to a Unix socket that
 * sourcegate serves from a thread outside. That thread reads the request head (CONNECT
 * host:port, or an absolute-form GET for plain-HTTP registries), lets through only the hosts
 * the caller allowed and answers 403 to anything else.
 */
#define _GNU_SOURCE /* nftw, accept4, pipe2 */
#include "common/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "verifier/rebuild/rebuild_int.h"

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
    char cwd[4096];

    sg_buf_clear(out);
    if (!name || !*name)
        return sg_error_set(ctx, SG_EINVALID, "no program name");
    if (strchr(name, '/')) {
        if (name[0] != '/' && getcwd(cwd, sizeof(cwd)))
            sg_buf_printf(out, "%s/%s", cwd, name);
        else
            sg_buf_puts(out, name);
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
    char **nv, *d;
    if (s->error)
        return;
    if (s->n + 2 > s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 64, bytes;
        if (sg_mul_overflow(&bytes, ncap, sizeof(char *)) || !(nv = sg_realloc(s->v, bytes))) {
            s->error = SG_ENOMEM;
            return;
        }
        s->v = nv;
        s->cap = ncap;
    }
    if (!(d = sg_strdup(str))) {
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

static int write_all_fd(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* write_all_fd() for sockets: a peer that hung up is an error, never a SIGPIPE (the library
 * leaves the process's signal dispositions alone). */
static int send_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int write_text_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    int ok;
    if (fd < 0)
        return -1;
    ok = write_all_fd(fd, text, strlen(text));
    return close(fd) < 0 || ok < 0 ? -1 : 0;
}

/* ---------------------------------------------------------------- cgroups */

/* Cgroups this run made (empty strings when none): v2 one, or v1 pids and memory ones. */
typedef struct cgroups {
    char v2[1024];    /* cgroup v2 folder */
    char pids[1024];  /* cgroup v1 pids folder */
    char mem[1024];   /* cgroup v1 memory folder */
    int mem_limited;  /* memory limit written */
    int pids_limited; /* pids limit written */
} cgroups;

static int write_small(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int ok;
    if (fd < 0)
        return -1;
    ok = write_all_fd(fd, text, strlen(text));
    close(fd);
    return ok;
}

/* Our own cgroup paths from /proc/self/cgroup: the v2 one and the v1 pids/memory ones. */
static void own_cgroups(char *v2, char *pids, char *mem, size_t size)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    char line[1024];
    v2[0] = pids[0] = mem[0] = '\0';
    if (!f)
        return;
    while (fgets(line, sizeof(line), f)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *nl;
        if (!c2)
            continue;
        if ((nl = strchr(c2, '\n')))
            *nl = '\0';
        *c2 = '\0';
        if (strcmp(line, "0") == 0 && c1[1] == '\0')
            snprintf(v2, size, "%s", c2 + 1);
        else if (strstr(c1 + 1, "pids"))
            snprintf(pids, size, "%s", c2 + 1);
        else if (strstr(c1 + 1, "memory"))
            snprintf(mem, size, "%s", c2 + 1);
    }
    fclose(f);
}

static int has_word(const char *file, const char *word)
{
    char text[512];
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    ssize_t n;
    const char *p;
    size_t wl = strlen(word);
    if (fd < 0)
        return 0;
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    for (p = text; (p = strstr(p, word)); p += wl)
        if ((p == text || p[-1] == ' ') && (p[wl] == ' ' || p[wl] == '\n' || !p[wl]))
            return 1;
    return 0;
}

/* Remove the empty cgroups of rebuilds whose process died before cleaning up (rmdir fails on a
 * cgroup that still has members, so a live build is never touched). */
static void cgroup_gc(const char *parent)
{
    DIR *d = opendir(parent);
    struct dirent *de;
    static const char prefix[] = "sourcegate-rebuild-";
    while (d && (de = readdir(d))) {
        char path[1400], *end = NULL;
        long pid;
        if (strncmp(de->d_name, prefix, sizeof(prefix) - 1) != 0)
            continue;
        pid = strtol(de->d_name + sizeof(prefix) - 1, &end, 10);
        if (pid <= 0 || !end || *end != '-' || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue;
        if (snprintf(path, sizeof(path), "%s/%s", parent, de->d_name) < (int)sizeof(path))
            rmdir(path);
    }
    if (d)
        closedir(d);
}

/* Make a child cgroup of ours where a limit can be written; "" when we cannot. */
static void cgroup_make(char *out, size_t size, const char *mount, const char *own,
                        const char *name)
{
    char parent[1200];
    int n = snprintf(parent, sizeof(parent), "%s%s", mount, strcmp(own, "/") == 0 ? "" : own);
    if (n < 0 || (size_t)n >= sizeof(parent)) {
        out[0] = '\0';
        return;
    }
    cgroup_gc(parent);
    n = snprintf(out, size, "%s/%s", parent, name);
    if (n < 0 || (size_t)n >= size || mkdir(out, 0700) < 0)
        out[0] = '\0';
}

static void cgroups_setup(cgroups *cg, uint64_t memory, unsigned procs)
{
    static unsigned counter;
    char own2[512], ownp[512], ownm[512], name[64], path[1200], val[32];
    struct stat st;

    memset(cg, 0, sizeof(*cg));
    if (!memory && !procs)
        return;
    own_cgroups(own2, ownp, ownm, sizeof(own2));
    snprintf(name, sizeof(name), "sourcegate-rebuild-%ld-%u", (long)getpid(),
             __atomic_fetch_add(&counter, 1u, __ATOMIC_RELAXED));
    if (own2[0]) {
        const char *mount = stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0
                                ? "/sys/fs/cgroup"
                                : "/sys/fs/cgroup/unified";
        snprintf(path, sizeof(path), "%s%s/cgroup.subtree_control", mount,
                 strcmp(own2, "/") == 0 ? "" : own2);
        if ((memory && has_word(path, "memory")) || (procs && has_word(path, "pids")))
            cgroup_make(cg->v2, sizeof(cg->v2), mount, own2, name);
        if (cg->v2[0]) {
            snprintf(path, sizeof(path), "%s/memory.max", cg->v2);
            snprintf(val, sizeof(val), "%llu\n", (unsigned long long)memory);
            cg->mem_limited = memory && write_small(path, val) == 0;
            snprintf(path, sizeof(path), "%s/pids.max", cg->v2);
            snprintf(val, sizeof(val), "%u\n", procs);
            cg->pids_limited = procs && write_small(path, val) == 0;
            return;
        }
    }
    if (procs && ownp[0] && stat("/sys/fs/cgroup/pids/cgroup.procs", &st) == 0) {
        cgroup_make(cg->pids, sizeof(cg->pids), "/sys/fs/cgroup/pids", ownp, name);
        snprintf(path, sizeof(path), "%s/pids.max", cg->pids);
        snprintf(val, sizeof(val), "%u\n", procs);
        cg->pids_limited = cg->pids[0] && write_small(path, val) == 0;
    }
    if (memory && ownm[0] && stat("/sys/fs/cgroup/memory/cgroup.procs", &st) == 0) {
        cgroup_make(cg->mem, sizeof(cg->mem), "/sys/fs/cgroup/memory", ownm, name);
        snprintf(path, sizeof(path), "%s/memory.limit_in_bytes", cg->mem);
        snprintf(val, sizeof(val), "%llu\n", (unsigned long long)memory);
        cg->mem_limited = cg->mem[0] && write_small(path, val) == 0;
    }
}

/* In the child, before exec: move ourselves into the cgroups (async-signal-safe calls only).
 * The number goes in one write(): a cgroup file takes every write as a whole pid. */
static void cgroups_join(const cgroups *cg)
{
    char path[1100], rev[24], num[24];
    const char *dirs[3];
    size_t i, k;
    long pid = (long)getpid();
    size_t n = 0;

    dirs[0] = cg->v2;
    dirs[1] = cg->pids;
    dirs[2] = cg->mem;
    do { /* digits of pid, backwards */
        rev[n++] = (char)('0' + pid % 10);
        pid /= 10;
    } while (pid && n < 20);
    for (k = 0; k < n; k++)
        num[k] = rev[n - 1 - k];
    num[n++] = '\n';
    for (i = 0; i < 3; i++) {
        size_t dl = strlen(dirs[i]);
        int fd;
        if (!dl || dl + 14 >= sizeof(path))
            continue;
        memcpy(path, dirs[i], dl);
        memcpy(path + dl, "/cgroup.procs", 14);
        fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (write(fd, num, n) != (ssize_t)n) {
            /* not in the cgroup: the rlimits still apply */
        }
        close(fd);
    }
}

/* Kill every process left in the cgroups (the sandbox's pid namespace dies with bwrap; this
 * catches the unsafe mode and anything that escaped a process group). */
static void cgroups_kill(const cgroups *cg)
{
    const char *dirs[3] = {cg->v2, cg->pids, cg->mem};
    char path[1100];
    size_t i;
    int round;

    if (cg->v2[0]) {
        snprintf(path, sizeof(path), "%s/cgroup.kill", cg->v2);
        write_small(path, "1");
    }
    for (round = 0; round < 5; round++) {
        int any = 0;
        for (i = 0; i < 3; i++) {
            FILE *f;
            long pid;
            if (!dirs[i][0])
                continue;
            snprintf(path, sizeof(path), "%s/cgroup.procs", dirs[i]);
            if (!(f = fopen(path, "re")))
                continue;
            while (fscanf(f, "%ld", &pid) == 1) {
                if (pid > 1 && pid != (long)getpid()) {
                    kill((pid_t)pid, SIGKILL);
                    any = 1;
                }
            }
            fclose(f);
        }
        if (!any)
            break;
        usleep(20000);
    }
}

static void cgroups_remove(const cgroups *cg)
{
    const char *dirs[3] = {cg->v2, cg->pids, cg->mem};
    size_t i;
    int tries;
    for (i = 0; i < 3; i++)
        for (tries = 0; dirs[i][0] && rmdir(dirs[i]) < 0 && errno == EBUSY && tries < 50; tries++)
            usleep(20000);
}

/* How the memory and process limits were enforced, for the report ("" when none was set). */
static void describe_limits(char *out, size_t size, const sg_sandbox_spec *spec, const cgroups *cg)
{
    const char *cgv = cg->v2[0] ? "cgroup v2" : "cgroup v1";
    int n = 0;
    out[0] = '\0';
    if (spec->memory_bytes)
        n = snprintf(out, size, "memory %llu MiB (%s%s)",
                     (unsigned long long)(spec->memory_bytes >> 20), cg->mem_limited ? cgv : "",
                     cg->mem_limited ? " and RLIMIT_DATA" : "RLIMIT_DATA");
    if (n >= 0 && (size_t)n < size && spec->max_processes)
        snprintf(out + n, size - (size_t)n, "%sprocesses %u (%s)", n ? ", " : "",
                 spec->max_processes,
                 cg->pids_limited ? (cg->v2[0] ? "cgroup v2 pids" : "cgroup v1 pids")
                 : geteuid() == 0 ? "not enforced: root ignores RLIMIT_NPROC and no pids "
                                    "cgroup is writable"
                                  : "RLIMIT_NPROC");
}

/* ---------------------------------------------------------------- the proxy */

#define PROXY_MAX_CONNS 64
#define PROXY_HEAD_MAX 8192
#define PROXY_BUF 16384

typedef struct pconn {
    int client, upstream;         /* fds, -1 when closed */
    int tunnel;                   /* head handled, bytes flow both ways */
    char head[PROXY_HEAD_MAX];    /* the request head while reading it */
    size_t head_len;              /* bytes in head */
    char up[PROXY_BUF];           /* client -> upstream bytes not yet written */
    size_t up_len;                /* bytes in up */
    char down[PROXY_BUF];         /* upstream -> client bytes not yet written */
    size_t down_len;              /* bytes in down */
    int client_eof, upstream_eof; /* read side finished */
} pconn;

typedef struct proxy {
    int listen_fd;                 /* the Unix socket */
    int stop[2];                   /* pipe: a byte written stops the thread */
    const char *const *allow;      /* "host:port" allowed */
    size_t nallow;                 /* entries of allow */
    pconn *conns[PROXY_MAX_CONNS]; /* live connections */
    char refused[1024];            /* hosts refused, for the log (read after join) */
    unsigned allowed_count;        /* tunnels opened */
    pthread_t thread;              /* the serving thread */
    int running;                   /* thread started */
} proxy;

static void pconn_close(pconn *c)
{
    if (c->client >= 0)
        close(c->client);
    if (c->upstream >= 0)
        close(c->upstream);
    sg_free(c);
}

static int host_allowed(const proxy *p, const char *host, const char *port)
{
    size_t i, hl = strlen(host);
    for (i = 0; i < p->nallow; i++) {
        const char *a = p->allow[i], *colon = strrchr(a, ':');
        if (colon && (size_t)(colon - a) == hl && sg_strncasecmp(a, host, hl) == 0 &&
            strcmp(colon + 1, port) == 0)
            return 1;
    }
    return 0;
}

static int connect_host(const char *host, const char *port)
{
    struct addrinfo hints, *res = NULL, *ai;
    struct timeval tv = {15, 0};
    int fd = -1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void note_refused(proxy *p, const char *host, const char *port)
{
    size_t len = strlen(p->refused);
    char item[300];
    snprintf(item, sizeof(item), "%s%s:%s", len ? ", " : "", host, port);
    if (!strstr(p->refused, item + (len ? 2 : 0)) && len + strlen(item) < sizeof(p->refused))
        memcpy(p->refused + len, item, strlen(item) + 1);
}

static void refuse(proxy *p, pconn *c, const char *host, const char *port, int status)
{
    char msg[600];
    int body_len;
    char body[400];
    body_len = snprintf(body, sizeof(body),
                        "sourcegate: the rebuild's install step may reach the registry only, "
                        "not %s:%s\n",
                        host, port);
    if (body_len < 0 || (size_t)body_len >= sizeof(body))
        body_len = (int)strlen(body);
    snprintf(msg, sizeof(msg),
             "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: "
             "%d\r\nConnection: close\r\n\r\n%s",
             status, status == 403 ? "Forbidden" : "Bad Gateway", body_len, body);
    send_all(c->client, msg, strlen(msg));
    if (status == 403)
        note_refused(p, host, port);
}

/* Split "host:port" (with [v6] brackets) at its last colon; default port when none. */
static int split_hostport(char *host, size_t hsize, char *port, size_t psize, const char *s,
                          size_t len, const char *def_port)
{
    const char *end = s + len, *colon = NULL, *p;
    size_t hl;
    if (len && s[0] == '[') {
        const char *rb = memchr(s, ']', len);
        if (!rb)
            return -1;
        hl = (size_t)(rb - s - 1);
        if (hl >= hsize)
            return -1;
        memcpy(host, s + 1, hl);
        host[hl] = '\0';
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        for (p = s; p < end; p++)
            if (*p == ':')
                colon = p;
        hl = colon ? (size_t)(colon - s) : len;
        if (!hl || hl >= hsize)
            return -1;
        memcpy(host, s, hl);
        host[hl] = '\0';
    }
    if (colon) {
        size_t pl = (size_t)(end - colon - 1);
        if (!pl || pl >= psize)
            return -1;
        memcpy(port, colon + 1, pl);
        port[pl] = '\0';
    } else {
        snprintf(port, psize, "%s", def_port);
    }
    for (p = port; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    return 0;
}

/* The request head is complete: decide, connect, and start tunnelling. 0 or -1 (close). */
static int handle_head(proxy *p, pconn *c, size_t head_end)
{
    char host[256], port[8], *line_end, *sp1, *sp2;
    int connect_method;
    size_t rest;

    line_end = memchr(c->head, '\r', head_end);
    if (!line_end)
        return -1;
    *line_end = '\0';
    sp1 = strchr(c->head, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2)
        return -1;
    *sp1 = '\0';
    *sp2 = '\0';
    connect_method = strcmp(c->head, "CONNECT") == 0;
    if (connect_method) {
        if (split_hostport(host, sizeof(host), port, sizeof(port), sp1 + 1, strlen(sp1 + 1),
                           "443") < 0)
            return -1;
    } else {
        const char *t = sp1 + 1, *slash;
        if (strncmp(t, "http://", 7) != 0)
            return -1;
        t += 7;
        slash = strchr(t, '/');
        if (split_hostport(host, sizeof(host), port, sizeof(port), t,
                           slash ? (size_t)(slash - t) : strlen(t), "80") < 0)
            return -1;
    }
    if (!host_allowed(p, host, port)) {
        refuse(p, c, host, port, 403);
        return -1;
    }
    if ((c->upstream = connect_host(host, port)) < 0) {
        refuse(p, c, host, port, 502);
        return -1;
    }
    p->allowed_count++;
    rest = c->head_len - head_end;
    if (connect_method) {
        static const char ok[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
        if (send_all(c->client, ok, sizeof(ok) - 1) < 0)
            return -1;
        memcpy(c->up, c->head + head_end, rest);
        c->up_len = rest;
    } else {
        /* Origin-form request line, then the rest of the head and what followed. */
        const char *t = strchr(sp1 + 1 + 7, '/');
        int n = snprintf(c->up, sizeof(c->up), "%s %s %s\r\n", c->head, t ? t : "/", sp2 + 1);
        size_t after_line = (size_t)(line_end - c->head) + 2, more = c->head_len - after_line;
        if (n < 0 || (size_t)n + more > sizeof(c->up))
            return -1;
        memcpy(c->up + n, c->head + after_line, more);
        c->up_len = (size_t)n + more;
    }
    c->tunnel = 1;
    return 0;
}

/* Move bytes one way: read from `from` into buf when there is room, write buf to `to`. */
static int pump(int from, int to, char *buf, size_t *len, int *eof, short rev, short wev)
{
    if ((rev & (POLLIN | POLLHUP | POLLERR)) && !*eof && *len < PROXY_BUF) {
        ssize_t n = read(from, buf + *len, PROXY_BUF - *len);
        if (n > 0)
            *len += (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
            *eof = 1;
    }
    if ((wev & POLLOUT) && *len) {
        ssize_t n = send(to, buf, *len, MSG_NOSIGNAL);
        if (n > 0) {
            memmove(buf, buf + n, *len - (size_t)n);
            *len -= (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return -1;
        }
    }
    if (*eof && !*len)
        shutdown(to, SHUT_WR);
    return 0;
}

/* One poll round's work for a connection; -1 when it is finished. */
static int pconn_step(proxy *p, pconn *c, short crev, short urev)
{
    if (!c->tunnel) {
        char *end;
        ssize_t n;
        if (!(crev & (POLLIN | POLLHUP | POLLERR)))
            return 0;
        n = read(c->client, c->head + c->head_len, sizeof(c->head) - 1 - c->head_len);
        if (n <= 0)
            return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
        c->head_len += (size_t)n;
        c->head[c->head_len] = '\0';
        end = strstr(c->head, "\r\n\r\n");
        if (!end)
            return c->head_len + 1 >= sizeof(c->head) ? -1 : 0;
        return handle_head(p, c, (size_t)(end - c->head) + 4);
    }
    if (pump(c->client, c->upstream, c->up, &c->up_len, &c->client_eof, crev, urev) < 0 ||
        pump(c->upstream, c->client, c->down, &c->down_len, &c->upstream_eof, urev, crev) < 0)
        return -1;
    return c->client_eof && c->upstream_eof && !c->up_len && !c->down_len ? -1 : 0;
}

static short want(int eof, size_t have_room_len, size_t pending_other)
{
    short ev = 0;
    if (!eof && have_room_len < PROXY_BUF)
        ev |= POLLIN;
    if (pending_other)
        ev |= POLLOUT;
    return ev;
}

static void *proxy_main(void *arg)
{
    proxy *p = arg;
    struct pollfd fds[2 + 2 * PROXY_MAX_CONNS];
    size_t i;

    for (;;) {
        nfds_t n = 2;
        fds[0].fd = p->stop[0];
        fds[0].events = POLLIN;
        fds[1].fd = p->listen_fd;
        fds[1].events = POLLIN;
        for (i = 0; i < PROXY_MAX_CONNS; i++) {
            pconn *c = p->conns[i];
            fds[2 + 2 * i].fd = c ? c->client : -1;
            fds[3 + 2 * i].fd = c && c->tunnel ? c->upstream : -1;
            fds[2 + 2 * i].events = fds[3 + 2 * i].events = 0;
            fds[2 + 2 * i].revents = fds[3 + 2 * i].revents = 0;
            if (c) {
                fds[2 + 2 * i].events =
                    c->tunnel ? want(c->client_eof, c->up_len, c->down_len) : POLLIN;
                if (c->tunnel)
                    fds[3 + 2 * i].events = want(c->upstream_eof, c->down_len, c->up_len);
            }
        }
        n = 2 + 2 * PROXY_MAX_CONNS;
        if (poll(fds, n, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if (fds[1].revents & POLLIN) {
            int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
            for (i = 0; fd >= 0 && i < PROXY_MAX_CONNS && p->conns[i]; i++)
                ;
            if (fd >= 0 && i == PROXY_MAX_CONNS) {
                close(fd);
            } else if (fd >= 0) {
                pconn *c = sg_calloc(1, sizeof(pconn));
                if (!c) {
                    close(fd);
                } else {
                    c->client = fd;
                    c->upstream = -1;
                    p->conns[i] = c;
                    continue; /* poll again with the new connection in the set */
                }
            }
        }
        for (i = 0; i < PROXY_MAX_CONNS; i++) {
            pconn *c = p->conns[i];
            if (c && pconn_step(p, c, fds[2 + 2 * i].revents, fds[3 + 2 * i].revents) < 0) {
                pconn_close(c);
                p->conns[i] = NULL;
            }
        }
    }
    for (i = 0; i < PROXY_MAX_CONNS; i++)
        if (p->conns[i])
            pconn_close(p->conns[i]);
    return NULL;
}

static int proxy_start(proxy *p, sg_ctx *ctx, const char *sock_path, const char *const *allow,
                       size_t nallow)
{
    struct sockaddr_un sa;
    memset(p, 0, sizeof(*p));
    p->listen_fd = p->stop[0] = p->stop[1] = -1;
    p->allow = allow;
    p->nallow = nallow;
    if (strlen(sock_path) >= sizeof(sa.sun_path))
        return sg_error_set(ctx, SG_EINVALID, "proxy socket path '%s' is too long", sock_path);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
    unlink(sock_path);
    if (pipe2(p->stop, O_CLOEXEC) < 0 ||
        (p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0 ||
        bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(p->listen_fd, 64) < 0)
        return sg_error_set(ctx, SG_EIO, "cannot start the install step's proxy at '%s': %s",
                            sock_path, strerror(errno));
    if (pthread_create(&p->thread, NULL, proxy_main, p) != 0)
        return sg_error_set(ctx, SG_EIO, "cannot start the install step's proxy thread");
    p->running = 1;
    return 0;
}

static void proxy_stop(proxy *p)
{
    if (p->running) {
        char b = 1;
        if (write(p->stop[1], &b, 1) < 0) {
            /* the thread still exits when the pipe closes below */
        }
        pthread_join(p->thread, NULL);
        p->running = 0;
    }
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    if (p->stop[0] >= 0)
        close(p->stop[0]);
    if (p->stop[1] >= 0)
        close(p->stop[1]);
    p->listen_fd = p->stop[0] = p->stop[1] = -1;
}

/* Runs inside the sandbox: listen on the sandbox's loopback, hand each connection to the
 * host's proxy socket, and run the command with the proxy variables pointing there. */
static const char forwarder_js[] =
    "'use strict';\n"
    "// sourcegate: forwards the sandbox's proxy port to the host's allowlisting proxy.\n"
    "const net = require('net'), cp = require('child_process');\n"
    "const sock = process.argv[2], cmd = process.argv.slice(3);\n"
    "const srv = net.createServer((c) => {\n"
    "  const u = net.connect(sock);\n"
    "  c.pipe(u); u.pipe(c);\n"
    "  c.on('error', () => u.destroy()); u.on('error', () => c.destroy());\n"
    "});\n"
    "srv.listen(0, '127.0.0.1', () => {\n"
    "  const url = 'http://127.0.0.1:' + srv.address().port;\n"
    "  const env = Object.assign({}, process.env);\n"
    "  for (const k of ['npm_config_proxy', 'npm_config_https_proxy', 'HTTP_PROXY',\n"
    "      'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'YARN_HTTP_PROXY', 'YARN_HTTPS_PROXY'])\n"
    "    env[k] = url;\n"
    "  delete env.NO_PROXY; delete env.no_proxy; delete env.npm_config_noproxy;\n"
    "  const child = cp.spawn(cmd[0], cmd.slice(1), {stdio: 'inherit', env});\n"
    "  child.on('error', (e) => {\n"
    "    console.error('sourcegate: cannot start ' + cmd[0] + ': ' + e.message);\n"
    "    process.exit(127);\n"
    "  });\n"
    "  child.on('exit', (code, sig) => process.exit(code === null ? 137 : code));\n"
    "});\n";

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
    if (write_all_fd(fd, text, strlen(text)) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
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
            (n = readlink(system_paths[i], target, sizeof(target) - 1)) > 0) {
            target[n] = '\0';
            strv_add3(a, "--symlink", target, system_paths[i]);
            continue;
        }
        strv_add3(a, "--ro-bind", system_paths[i], system_paths[i]);
    }
}

/* The bwrap command line for spec; argv is the command to run inside. fd 3 and 4 carry the
 * passwd and group files. */
static void bwrap_args(strv *a, const sg_sandbox_spec *spec, const char *const *argv,
                       int disable_userns)
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
    strv_add2(a, "--tmpfs", "/tmp");
    strv_add2(a, "--tmpfs", "/var/tmp");
    strv_add2(a, "--tmpfs", "/run");
    for (i = 0; i < spec->nbinds; i++) {
        const sg_sandbox_bind *b = &spec->binds[i];
        const char *op = (b->flags & SG_SANDBOX_RW)
                             ? ((b->flags & SG_SANDBOX_TRY) ? "--bind-try" : "--bind")
                             : ((b->flags & SG_SANDBOX_TRY) ? "--ro-bind-try" : "--ro-bind");
        strv_add3(a, op, b->path, b->path);
    }
    if (spec->net == SG_SANDBOX_NET_PROXY && spec->scratch)
        strv_add3(a, "--ro-bind", spec->scratch, spec->scratch);
    if (spec->cwd)
        strv_add2(a, "--chdir", spec->cwd);
    strv_add(a, "--");
    for (i = 0; argv[i]; i++)
        strv_add(a, argv[i]);
}

/* ---------------------------------------------------------------- running */

typedef struct child_setup {
    const char *prog;            /* what to execve */
    char *const *argv;           /* its arguments */
    char *const *envp;           /* its environment */
    const char *cwd;             /* chdir first (unsafe mode), or NULL */
    int out_fd;                  /* stdout and stderr */
    int passwd_fd, group_fd;     /* become fd 3 and 4, or -1 */
    const cgroups *cg;           /* cgroups to join */
    const sg_sandbox_spec *spec; /* the limits */
} child_setup;

static void set_limit(int resource, uint64_t value)
{
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = (rlim_t)value;
    setrlimit(resource, &rl);
}

/* In the forked child: only async-signal-safe calls until execve. */
static void child_exec(const child_setup *cs)
{
    int devnull, fd;
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    cgroups_join(cs->cg);
    if (cs->spec->memory_bytes)
        set_limit(RLIMIT_DATA, cs->spec->memory_bytes);
    if (cs->spec->max_processes)
        set_limit(RLIMIT_NPROC, cs->spec->max_processes);
    if (cs->spec->max_file_bytes)
        set_limit(RLIMIT_FSIZE, cs->spec->max_file_bytes);
    set_limit(RLIMIT_CORE, 0);
    devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0 && devnull != 0) {
        dup2(devnull, 0);
        close(devnull);
    }
    dup2(cs->out_fd, 1);
    dup2(cs->out_fd, 2);
    if (cs->passwd_fd >= 0)
        dup2(cs->passwd_fd, 3);
    if (cs->group_fd >= 0)
        dup2(cs->group_fd, 4);
    fd = cs->passwd_fd >= 0 ? 5 : 3;
    if (syscall(SYS_close_range, (unsigned)fd, ~0u, 0u) < 0)
        for (; fd < 4096; fd++)
            close(fd);
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

static void kill_all(pid_t pid, const cgroups *cg)
{
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    cgroups_kill(cg);
}

/* Wait for the child, collecting output, enforcing the time limit. */
static void supervise(sg_sandbox_result *res, pid_t pid, int out_fd, const sg_sandbox_spec *spec,
                      const cgroups *cg, uint64_t start)
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
                cgroups_kill(cg);
            }
        }
        if (!reaped && deadline && now >= deadline && !res->timed_out) {
            res->timed_out = 1;
            kill_all(pid, cg);
        }
        if (reaped && !eof && now_ms() - reaped_at > 2000)
            break; /* a descendant outside our reach holds the pipe: stop reading */
    }
    res->elapsed_ms = now_ms() - start;
    if (WIFEXITED(status)) {
        res->exited = !res->timed_out;
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

static int prepare_proxy(proxy *px, strv *cmd, sg_ctx *ctx, const sg_sandbox_spec *spec)
{
    sg_buf path = SG_BUF_INIT, sock = SG_BUF_INIT;
    size_t i;
    int error;

    if (!spec->scratch || !spec->node)
        return sg_error_set(ctx, SG_EINVALID,
                            "the proxied sandbox needs a scratch folder and "
                            "node");
    sg_buf_printf(&path, "%s/forward.js", spec->scratch);
    sg_buf_printf(&sock, "%s/proxy.sock", spec->scratch);
    if ((error = sg_buf_check(&path, ctx, "a path")) < 0 ||
        (error = sg_buf_check(&sock, ctx, "a path")) < 0)
        goto done;
    if (write_text_file(path.ptr, forwarder_js) < 0) {
        error = sg_error_set(ctx, SG_EIO, "cannot write '%s': %s", path.ptr, strerror(errno));
        goto done;
    }
    if ((error = proxy_start(px, ctx, sock.ptr, spec->allow, spec->nallow)) < 0)
        goto done;
    strv_add3(cmd, spec->node, path.ptr, sock.ptr);
    for (i = 0; spec->argv[i]; i++)
        strv_add(cmd, spec->argv[i]);
    if (cmd->error)
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory");
done:
    sg_buf_dispose(&path);
    sg_buf_dispose(&sock);
    return error;
}

int sg_sandbox__run(sg_sandbox_result *res, sg_ctx *ctx, const sg_sandbox_spec *spec)
{
    strv args = {0}, cmd = {0}, envp = {0};
    cgroups cg;
    proxy px;
    child_setup cs;
    int pipefd[2] = {-1, -1}, passwd_fd = -1, group_fd = -1, error = 0;
    const int proxied = spec->net == SG_SANDBOX_NET_PROXY && !spec->unsafe;
    uint64_t start;
    size_t i;
    pid_t pid;

    memset(res, 0, sizeof(*res));
    memset(&px, 0, sizeof(px));
    px.listen_fd = px.stop[0] = px.stop[1] = -1;
    memset(&cg, 0, sizeof(cg));
    if (!spec->argv || !spec->argv[0] || spec->argv[0][0] != '/' || (!spec->unsafe && !spec->bwrap))
        return sg_error_set(ctx, SG_EINVALID,
                            "the sandbox needs an absolute command and "
                            "bubblewrap");
    if (proxied) {
        if ((error = prepare_proxy(&px, &cmd, ctx, spec)) < 0)
            goto done;
    } else {
        for (i = 0; spec->argv[i]; i++)
            strv_add(&cmd, spec->argv[i]);
    }
    if (spec->unsafe) {
        for (i = 0; i < cmd.n; i++)
            strv_add(&args, cmd.v[i]);
    } else {
        passwd_fd = memfd_text("passwd", "root:x:0:0:root:/root:/bin/sh\n"
                                         "build:x:" SANDBOX_UID ":" SANDBOX_GID
                                         ":build:/nonexistent:/bin/sh\n"
                                         "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n");
        group_fd = memfd_text("group", "root:x:0:\nbuild:x:" SANDBOX_GID ":\n"
                                       "nogroup:x:65534:\n");
        if (passwd_fd < 0 || group_fd < 0) {
            error = sg_error_set(ctx, SG_EIO, "cannot make the sandbox's /etc/passwd: %s",
                                 strerror(errno));
            goto done;
        }
        bwrap_args(&args, spec, (const char *const *)cmd.v,
                   bwrap_supports(spec->bwrap, "--disable-userns"));
    }
    if (args.error || cmd.error || make_envp(&envp, spec->env) < 0) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory");
        goto done;
    }
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        error = sg_error_set(ctx, SG_EIO, "cannot make a pipe: %s", strerror(errno));
        goto done;
    }
    fcntl(pipefd[0], F_SETFL, fcntl(pipefd[0], F_GETFL) | O_NONBLOCK);
    cgroups_setup(&cg, spec->memory_bytes, spec->max_processes);
    describe_limits(res->limits, sizeof(res->limits), spec, &cg);
    cs.prog = args.v[0];
    cs.argv = args.v;
    cs.envp = envp.v;
    cs.cwd = spec->unsafe ? spec->cwd : NULL;
    cs.out_fd = pipefd[1];
    cs.passwd_fd = passwd_fd;
    cs.group_fd = group_fd;
    cs.cg = &cg;
    cs.spec = spec;
    start = now_ms();
    pid = fork();
    if (pid < 0) {
        error = sg_error_set(ctx, SG_EIO, "cannot start '%s': %s", args.v[0], strerror(errno));
        goto done;
    }
    if (pid == 0)
        child_exec(&cs);
    setpgid(pid, pid); /* also done by the child; whichever runs first */
    close(pipefd[1]);
    pipefd[1] = -1;
    supervise(res, pid, pipefd[0], spec, &cg, start);
done:
    proxy_stop(&px);
    if (px.refused[0] && spec->output)
        sg_buf_printf(spec->output, "\nsourcegate: the proxy refused: %s\n", px.refused);
    cgroups_kill(&cg);
    cgroups_remove(&cg);
    for (i = 0; i < 2; i++)
        if (pipefd[i] >= 0)
            close(pipefd[i]);
    if (passwd_fd >= 0)
        close(passwd_fd);
    if (group_fd >= 0)
        close(group_fd);
    strv_dispose(&args);
    strv_dispose(&cmd);
    strv_dispose(&envp);
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
                             "disabled): %s",
                             out.size ? out.ptr : "no message");
    }
    sg_buf_dispose(&out);
    return error;
}
