/*
 * Internals shared by the sandbox's files: the bubblewrap command and the process supervision
 * (sandbox.c), the install step's allow-one-host proxy (sandbox_proxy.c), the cgroups that
 * carry the memory and process limits (sandbox_cgroup.c), the seccomp filter
 * (sandbox_seccomp.c) and the host side: the uid, the staged binds, the disk (sandbox_host.c).
 */
#ifndef SG_SANDBOX_INT_H
#define SG_SANDBOX_INT_H

#include <pthread.h>

#include "verifier/rebuild/rebuild_int.h"

/* ---------------------------------------------------------------- cgroups */

/** Which of a run's cgroups (an index into sg_sandbox_cgroups' arrays). */
enum { SG_CGROUP_V2 = 0, SG_CGROUP_PIDS = 1, SG_CGROUP_MEM = 2, SG_CGROUP_COUNT = 3 };

/** Cgroups one run made (empty buffers when none): a v2 one, or v1 pids and memory ones. */
typedef struct sg_sandbox_cgroups {
    sg_buf dir[SG_CGROUP_COUNT];   /**< the cgroup folders, "" when not made */
    sg_buf procs[SG_CGROUP_COUNT]; /**< their cgroup.procs files, made before the fork so that
                                        the child joins them without allocating */
    int mem_limited;               /**< memory limit written */
    int pids_limited;              /**< pids limit written */
} sg_sandbox_cgroups;

/** Empty cgroups (nothing made); safe to kill, remove and dispose. */
void sg_sandbox__cgroups_init(sg_sandbox_cgroups *cg);

/**
 * Make child cgroups of ours with the memory and process limits when a controller is writable
 * (v2, else v1); none when neither limit is set or nothing is writable: the rlimits still apply.
 * Also removes the empty cgroups of rebuilds whose process died.
 */
void sg_sandbox__cgroups_setup(sg_sandbox_cgroups *cg, uint64_t memory, unsigned procs);

/** In the forked child, before exec: join the cgroups (async-signal-safe calls only). */
void sg_sandbox__cgroups_join(const sg_sandbox_cgroups *cg);

/** Kill every process left in the cgroups. */
void sg_sandbox__cgroups_kill(const sg_sandbox_cgroups *cg);

/** Remove the cgroup folders (waiting for them to empty) and free the paths. */
void sg_sandbox__cgroups_dispose(sg_sandbox_cgroups *cg);

/** How the memory and process limits were enforced, for the report ("" when none was set). */
void sg_sandbox__cgroups_describe(char *out, size_t size, const sg_sandbox_spec *spec,
                                  const sg_sandbox_cgroups *cg);

/* ---------------------------------------------------------------- the registry gateway */

/** Connections served at once; more are answered 503. pnpm 11 opens up to 50 to one registry,
 *  whatever maxsockets says (npm's is 15 in a rebuild). */
#define SG_GATEWAY_MAX_CONNS 128

/** What a gateway did, for the log and the tests. */
typedef struct sg_gateway_stats {
    unsigned requests;   /**< requests answered */
    unsigned cache_hits; /**< tarballs served from sourcegate's cache without a request */
    unsigned cached;     /**< tarballs fetched, checked against the packument and cached */
    unsigned unchecked;  /**< tarballs no packument version names: served, never cached */
    unsigned failed;     /**< upstream failures and mismatches, answered 502 (or 404) */
    unsigned refused;    /**< malformed, oversized or surplus requests */
} sg_gateway_stats;

/**
 * The install step's registry (registry_gateway.c): plain HTTP behind the forwarder, GET and
 * HEAD only, packuments passed through from the registry, tarballs served from sourcegate's
 * cache and cached only after they matched the registry's integrity. One thread per
 * connection.
 */
typedef struct sg_sandbox_gateway {
    const char *registry;                    /**< the upstream registry URL (its credentials stay
                                                  here, never inside) */
    const char *cache_dir;                   /**< sourcegate's cache folder; NULL: nothing cached */
    uint64_t limits[SG_LIMIT__COUNT];        /**< the run's limits, given to each connection */
    pthread_mutex_t lock;                    /**< guards what follows */
    pthread_cond_t idle;                     /**< broadcast when a connection ends */
    int fds[SG_GATEWAY_MAX_CONNS];           /**< client sockets being served, -1 for free slots */
    pthread_t threads[SG_GATEWAY_MAX_CONNS]; /**< the thread that served each slot last */
    unsigned char unjoined[SG_GATEWAY_MAX_CONNS]; /**< 1: threads[i] is not joined yet */
    unsigned active;                              /**< connections being served */
    int stopping;                                 /**< no new connection is taken */
    int ready;                                    /**< lock and cond made */
    sg_gateway_stats stats;                       /**< counters */
    char error[512];                              /**< the first upstream failure, "" when none */
    const char *before;     /**< serve packuments as of this ISO time (versions
                                 published later dropped: registry_as_of.c);
                                 NULL: as they are */
    unsigned as_of_dropped; /**< versions dropped by the date (under the lock) */
    char missing[512];      /**< the first package the registry answered 404 for:
                                 "'NAME' (URL answered 404)", "" when none */
} sg_sandbox_gateway;

/** Ready a gateway to registry (borrowed), caching in cache_dir (may be NULL). SG_EIO. */
int sg_gateway__init(sg_sandbox_gateway *gw, sg_ctx *ctx, const char *registry,
                     const char *cache_dir);

/**
 * Serve the connection fd (a socket; bytes: what was already read of it, at most 8 KiB) on a
 * thread of its own, which closes it. -1 when it cannot be taken (too many connections: a 503
 * was sent): the caller closes fd.
 */
int sg_gateway__take(sg_sandbox_gateway *gw, int fd, const char *bytes, size_t len);

/** Close every connection and wait for their threads; no new one is taken. */
void sg_gateway__stop(sg_sandbox_gateway *gw);

/** Stop, then free the lock (safe on a gateway never initialized, after a memset 0). */
void sg_gateway__dispose(sg_sandbox_gateway *gw);

/**
 * Append text[0..len) to out with every URL prefix that names the public registry
 * (http(s)://registry.yarnpkg.com/, http(s)://registry.npmjs.org/, any case) or `extra`
 * (exact; NULL or "" for none) replaced by `to`, where the prefix starts a URL (after the
 * start, a quote, blank, '=', ':', '(', '[' or ','). *count = prefixes replaced. Returns
 * out's sticky error (0, SG_ENOMEM, SG_ELIMIT).
 */
int sg_gateway__route_aliases(sg_buf *out, size_t *count, const char *text, size_t len,
                              const char *to, const char *extra);

/**
 * Cut the packument in body to the versions published at or before `before` (an ISO 8601 UTC
 * time): the others are dropped from versions and time, dist-tags naming them are dropped and
 * latest becomes the newest release left (registry_as_of.c). A body without versions or time,
 * or nothing to drop, is left as it is. *dropped counts the versions dropped. Errors:
 * SG_EINVALID (before is not a time; body is not JSON), SG_ENOMEM, SG_ELIMIT.
 */
int sg_gateway__as_of(sg_buf *body, sg_ctx *ctx, const char *before, unsigned *dropped);

/** An ISO 8601 UTC time ("2024-01-02T03:04:05.678Z") in ms since the epoch: 0, or -1. */
int sg_gateway__parse_time(int64_t *ms, const char *s);

/* ---------------------------------------------------------------- the proxy */

#define SG_PROXY_MAX_CONNS 64

struct sg_proxy_conn;

/** The install step's proxy: a thread serving a Unix socket, allowing some hosts only. */
typedef struct sg_sandbox_proxy {
    int listen_fd;                                   /**< the Unix socket */
    int stop[2];                                     /**< pipe: a byte written stops the thread */
    const char *const *allow;                        /**< "host:port" allowed */
    size_t nallow;                                   /**< entries of allow */
    struct sg_proxy_conn *conns[SG_PROXY_MAX_CONNS]; /**< live connections */
    sg_sandbox_gateway *gateway; /**< origin-form requests go here; NULL: refused */
    char refused[1024];          /**< hosts refused, for the log (read after stop) */
    unsigned allowed_count;      /**< tunnels opened */
    pthread_t thread;            /**< the serving thread */
    int running;                 /**< thread started */
} sg_sandbox_proxy;

/** A proxy not started (stop and the refused list are safe to use). */
void sg_sandbox__proxy_init(sg_sandbox_proxy *px);

/**
 * Write the forwarder script into spec->scratch and start the proxy on a socket there. script
 * and sock receive their paths (the forwarder's arguments). Errors: SG_EINVALID (no scratch
 * folder or node, a socket path too long), SG_EIO, SG_ENOMEM.
 */
int sg_sandbox__proxy_open(sg_sandbox_proxy *px, sg_buf *script, sg_buf *sock, sg_ctx *ctx,
                           const sg_sandbox_spec *spec);

/** Stop the thread and close the sockets; the refused list stays readable. */
void sg_sandbox__proxy_stop(sg_sandbox_proxy *px);

/**
 * Would the proxy let this request through? method is the request line's first word and target
 * its second ("CONNECT" and "host:443", or "GET" and "http://host/path"), checked against allow
 * the way a live request is. 1 when allowed, 0 when refused or malformed.
 */
int sg_sandbox__proxy_allows(const char *const *allow, size_t nallow, const char *method,
                             const char *target);

/* ---------------------------------------------------------------- the seccomp filter */

/**
 * A memfd holding the sandbox's seccomp filter as BPF (for bubblewrap's --seccomp), positioned
 * at its start; *fd receives it (the caller closes it). SG_EDEP when libseccomp fails, SG_EIO.
 */
int sg_sandbox__seccomp_fd(int *fd, sg_ctx *ctx);

/* ---------------------------------------------------------------- the host side */

/** The host uid and gid of a sandbox when sourcegate runs as root. */
#define SG_SANDBOX_DEFAULT_UID SG_REBUILD_DEFAULT_UID

/** What one run prepared on the host (sandbox_host.c). */
typedef struct sg_sandbox_host {
    unsigned uid;       /**< the uid to become before bubblewrap; 0: stay (not root) */
    unsigned gid;       /**< the gid likewise */
    sg_buf stage;       /**< the staging folder, "" when binds are not staged */
    char **pairs;       /**< per bind: its source and its mount point in stage (NULLs when
                             it is missing), made before the fork */
    size_t npairs;      /**< binds in pairs */
    int seccomp_fd;     /**< the seccomp filter (memfd), -1 when none */
    uint64_t disk_base; /**< bytes the writable binds held when the run started */
} sg_sandbox_host;

/** Nothing prepared; safe to dispose. */
void sg_sandbox__host_init(sg_sandbox_host *h);

/**
 * Before a run: the free-space check (spec->disk_bytes), the seccomp filter, and as root the
 * sandbox's uid, the writable binds and the proxy folder handed over to it (what it must read
 * checked readable), the staging folder; the disk usage at the start. SG_EIO with a one-line
 * reason (not enough free disk, a bind the sandbox's uid cannot read), SG_EDEP, SG_ENOMEM.
 */
int sg_sandbox__host_prepare(sg_sandbox_host *h, sg_ctx *ctx, const sg_sandbox_spec *spec);

/** The path bubblewrap binds from for bind i (spec's binds, then the proxy's folder). */
const char *sg_sandbox__host_source(const sg_sandbox_host *h, const sg_sandbox_spec *spec,
                                    size_t i);

/** In the forked child, still root: stage the binds, then become the sandbox's uid with
 * no_new_privs (exits 125 with a message on stderr when any of it fails). */
void sg_sandbox__host_enter(const sg_sandbox_host *h);

/** Bytes the writable binds hold now; -1 when a tree cannot be measured whole. */
int sg_sandbox__host_usage(uint64_t *bytes, const sg_sandbox_spec *spec);

/** After a run: clear setuid and setgid bits in the writable binds, the first path in res. */
void sg_sandbox__host_after(const sg_sandbox_host *h, sg_sandbox_result *res,
                            const sg_sandbox_spec *spec);

/** Remove the staging folder, close the filter. */
void sg_sandbox__host_dispose(sg_sandbox_host *h);

#endif
