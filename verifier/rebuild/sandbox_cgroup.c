/*
 * The sandbox's cgroups: a child cgroup of sourcegate's own per run, carrying the memory and
 * process limits when a controller is writable (v2, else v1), joined by the command before it
 * runs and used at the end to kill whatever the command left behind.
 */
#define _GNU_SOURCE /* getline */
#include "common/common.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "verifier/rebuild/sandbox_int.h"

/* Longest cgroup path handled; a longer one means no cgroup (the rlimits still apply). */
#define CGROUP_PATH_LIMIT 4096

void sg_sandbox__cgroups_init(sg_sandbox_cgroups *cg)
{
    size_t i;
    memset(cg, 0, sizeof(*cg));
    for (i = 0; i < SG_CGROUP_COUNT; i++) {
        sg_buf_init(&cg->dir[i], CGROUP_PATH_LIMIT);
        sg_buf_init(&cg->procs[i], CGROUP_PATH_LIMIT);
    }
}

static int write_small(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int ok;
    if (fd < 0)
        return -1;
    ok = sg_fd_write_all(fd, text, strlen(text), 0);
    close(fd);
    return ok;
}

/* path = dir + "/" + file; 0, or -1 when it does not fit (path left empty). */
static int path_in(sg_buf *path, const char *dir, const char *file)
{
    sg_buf_clear(path);
    sg_buf_printf(path, "%s/%s", dir, file);
    if (path->error) {
        sg_buf_clear(path);
        return -1;
    }
    return 0;
}

/* Our own cgroup paths from /proc/self/cgroup: the v2 one and the v1 pids/memory ones. */
static void own_cgroups(sg_buf *v2, sg_buf *pids, sg_buf *mem)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    char *line = NULL;
    size_t cap = 0;
    sg_buf_clear(v2);
    sg_buf_clear(pids);
    sg_buf_clear(mem);
    if (!f)
        return;
    while (getline(&line, &cap, f) > 0) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL, *nl;
        sg_buf *to = NULL;
        if (!c2)
            continue;
        if ((nl = strchr(c2, '\n')))
            *nl = '\0';
        *c2 = '\0';
        if (strcmp(line, "0") == 0 && c1[1] == '\0')
            to = v2;
        else if (strstr(c1 + 1, "pids"))
            to = pids;
        else if (strstr(c1 + 1, "memory"))
            to = mem;
        if (to) {
            sg_buf_clear(to);
            sg_buf_puts(to, c2 + 1);
        }
    }
    free(line);
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
    sg_buf path = SG_BUF_INIT;
    sg_buf_init(&path, CGROUP_PATH_LIMIT);
    while (d && (de = readdir(d))) {
        char *end = NULL;
        long pid;
        if (strncmp(de->d_name, prefix, sizeof(prefix) - 1) != 0)
            continue;
        pid = strtol(de->d_name + sizeof(prefix) - 1, &end, 10);
        if (pid <= 0 || !end || *end != '-' || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue;
        if (path_in(&path, parent, de->d_name) == 0)
            rmdir(path.ptr);
    }
    if (d)
        closedir(d);
    sg_buf_dispose(&path);
}

/* The folder of our own cgroup `own` under mount ("" when it does not fit). */
static void own_folder(sg_buf *out, const char *mount, const char *own)
{
    sg_buf_clear(out);
    sg_buf_printf(out, "%s%s", mount, strcmp(own, "/") == 0 ? "" : own);
    if (out->error)
        sg_buf_clear(out);
}

/* Make a child cgroup of ours where a limit can be written; out "" when we cannot. */
static void cgroup_make(sg_buf *out, const char *mount, const char *own, const char *name)
{
    sg_buf parent = SG_BUF_INIT;
    sg_buf_init(&parent, CGROUP_PATH_LIMIT);
    sg_buf_clear(out);
    own_folder(&parent, mount, own);
    if (parent.size) {
        cgroup_gc(parent.ptr);
        if (path_in(out, parent.ptr, name) == 0 && mkdir(out->ptr, 0700) < 0)
            sg_buf_clear(out);
    }
    sg_buf_dispose(&parent);
}

/* Write a limit into file of cgroup dir; 1 when it was written (never when value is 0). */
static int write_limit(const sg_buf *dir, const char *file, unsigned long long value)
{
    sg_buf path = SG_BUF_INIT;
    char val[32];
    int ok;
    if (!value || !dir->size)
        return 0;
    sg_buf_init(&path, CGROUP_PATH_LIMIT);
    snprintf(val, sizeof(val), "%llu\n", value);
    ok = path_in(&path, dir->ptr, file) == 0 && write_small(path.ptr, val) == 0;
    sg_buf_dispose(&path);
    return ok;
}

/* The v2 hierarchy: one cgroup with both limits. 1 when it was made. */
static int setup_v2(sg_sandbox_cgroups *cg, const char *own, const char *name, uint64_t memory,
                    unsigned procs)
{
    struct stat st;
    sg_buf path = SG_BUF_INIT;
    const char *mount = stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0
                            ? "/sys/fs/cgroup"
                            : "/sys/fs/cgroup/unified";
    sg_buf_init(&path, CGROUP_PATH_LIMIT);
    own_folder(&path, mount, own);
    if (path.size && path_in(&path, path.ptr, "cgroup.subtree_control") == 0 &&
        ((memory && has_word(path.ptr, "memory")) || (procs && has_word(path.ptr, "pids"))))
        cgroup_make(&cg->dir[SG_CGROUP_V2], mount, own, name);
    sg_buf_dispose(&path);
    if (!cg->dir[SG_CGROUP_V2].size)
        return 0;
    cg->mem_limited = write_limit(&cg->dir[SG_CGROUP_V2], "memory.max", memory);
    cg->pids_limited = write_limit(&cg->dir[SG_CGROUP_V2], "pids.max", procs);
    return 1;
}

void sg_sandbox__cgroups_setup(sg_sandbox_cgroups *cg, uint64_t memory, unsigned procs)
{
    static unsigned counter;
    sg_buf own[SG_CGROUP_COUNT];
    char name[64];
    struct stat st;
    size_t i;

    if (!memory && !procs)
        return;
    for (i = 0; i < SG_CGROUP_COUNT; i++)
        sg_buf_init(&own[i], CGROUP_PATH_LIMIT);
    own_cgroups(&own[SG_CGROUP_V2], &own[SG_CGROUP_PIDS], &own[SG_CGROUP_MEM]);
    snprintf(name, sizeof(name), "sourcegate-rebuild-%ld-%u", (long)getpid(),
             __atomic_fetch_add(&counter, 1u, __ATOMIC_RELAXED));
    if (own[SG_CGROUP_V2].size && !own[SG_CGROUP_V2].error &&
        setup_v2(cg, own[SG_CGROUP_V2].ptr, name, memory, procs))
        goto done;
    if (procs && own[SG_CGROUP_PIDS].size && !own[SG_CGROUP_PIDS].error &&
        stat("/sys/fs/cgroup/pids/cgroup.procs", &st) == 0) {
        cgroup_make(&cg->dir[SG_CGROUP_PIDS], "/sys/fs/cgroup/pids", own[SG_CGROUP_PIDS].ptr, name);
        cg->pids_limited = write_limit(&cg->dir[SG_CGROUP_PIDS], "pids.max", procs);
    }
    if (memory && own[SG_CGROUP_MEM].size && !own[SG_CGROUP_MEM].error &&
        stat("/sys/fs/cgroup/memory/cgroup.procs", &st) == 0) {
        cgroup_make(&cg->dir[SG_CGROUP_MEM], "/sys/fs/cgroup/memory", own[SG_CGROUP_MEM].ptr, name);
        cg->mem_limited = write_limit(&cg->dir[SG_CGROUP_MEM], "memory.limit_in_bytes", memory);
    }
done:
    for (i = 0; i < SG_CGROUP_COUNT; i++) {
        if (cg->dir[i].size)
            path_in(&cg->procs[i], cg->dir[i].ptr, "cgroup.procs");
        sg_buf_dispose(&own[i]);
    }
}

/* In the child, before exec: move ourselves into the cgroups (async-signal-safe calls only).
 * The number goes in one write(): a cgroup file takes every write as a whole pid. */
void sg_sandbox__cgroups_join(const sg_sandbox_cgroups *cg)
{
    char rev[24], num[24];
    size_t i, k;
    long pid = (long)getpid();
    size_t n = 0;

    do { /* digits of pid, backwards */
        rev[n++] = (char)('0' + pid % 10);
        pid /= 10;
    } while (pid && n < 20);
    for (k = 0; k < n; k++)
        num[k] = rev[n - 1 - k];
    num[n++] = '\n';
    for (i = 0; i < SG_CGROUP_COUNT; i++) {
        int fd;
        if (!cg->procs[i].size)
            continue;
        fd = open(cg->procs[i].ptr, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        if (write(fd, num, n) != (ssize_t)n) {
            /* not in the cgroup: the rlimits still apply */
        }
        close(fd);
    }
}

/* Kill every process listed in a cgroup.procs file; 1 when there was one. */
static int kill_listed(const char *procs)
{
    FILE *f = fopen(procs, "re");
    long pid;
    int any = 0;
    if (!f)
        return 0;
    while (fscanf(f, "%ld", &pid) == 1) {
        if (pid > 1 && pid != (long)getpid()) {
            kill((pid_t)pid, SIGKILL);
            any = 1;
        }
    }
    fclose(f);
    return any;
}

/* Kill every process left in the cgroups (the sandbox's pid namespace dies with bwrap; this
 * catches the unsafe mode and anything that escaped a process group). */
void sg_sandbox__cgroups_kill(const sg_sandbox_cgroups *cg)
{
    sg_buf path = SG_BUF_INIT;
    size_t i;
    int round;

    sg_buf_init(&path, CGROUP_PATH_LIMIT);
    if (cg->dir[SG_CGROUP_V2].size && path_in(&path, cg->dir[SG_CGROUP_V2].ptr, "cgroup.kill") == 0)
        write_small(path.ptr, "1");
    sg_buf_dispose(&path);
    for (round = 0; round < 5; round++) {
        int any = 0;
        for (i = 0; i < SG_CGROUP_COUNT; i++)
            if (cg->procs[i].size && kill_listed(cg->procs[i].ptr))
                any = 1;
        if (!any)
            break;
        usleep(20000);
    }
}

void sg_sandbox__cgroups_dispose(sg_sandbox_cgroups *cg)
{
    size_t i;
    int tries;
    for (i = 0; i < SG_CGROUP_COUNT; i++) {
        for (tries = 0;
             cg->dir[i].size && rmdir(cg->dir[i].ptr) < 0 && errno == EBUSY && tries < 50; tries++)
            usleep(20000);
        sg_buf_dispose(&cg->dir[i]);
        sg_buf_dispose(&cg->procs[i]);
    }
    cg->mem_limited = cg->pids_limited = 0;
}

/* How the memory and process limits were enforced, for the report ("" when none was set). */
void sg_sandbox__cgroups_describe(char *out, size_t size, const sg_sandbox_spec *spec,
                                  const sg_sandbox_cgroups *cg)
{
    const int v2 = cg->dir[SG_CGROUP_V2].size != 0;
    const char *cgv = v2 ? "cgroup v2" : "cgroup v1";
    int n = 0;
    out[0] = '\0';
    if (spec->memory_bytes)
        n = snprintf(out, size, "memory %llu MiB (%s%s)",
                     (unsigned long long)(spec->memory_bytes >> 20), cg->mem_limited ? cgv : "",
                     cg->mem_limited ? " and RLIMIT_DATA" : "RLIMIT_DATA");
    if (n >= 0 && (size_t)n < size && spec->max_processes)
        snprintf(out + n, size - (size_t)n, "%sprocesses %u (%s)", n ? ", " : "",
                 spec->max_processes,
                 cg->pids_limited ? (v2 ? "cgroup v2 pids" : "cgroup v1 pids")
                 : geteuid() == 0 ? "not enforced: root ignores RLIMIT_NPROC and no pids "
                                    "cgroup is writable"
                                  : "RLIMIT_NPROC");
}
