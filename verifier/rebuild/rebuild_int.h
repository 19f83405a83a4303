/*
 * Internals of the rebuild (rebuild.c) and its sandbox (sandbox.c), shared with verify.c and
 * the tests.
 */
#ifndef SG_REBUILD_INT_H
#define SG_REBUILD_INT_H

#include "common/common.h"
#include "sourcegate/rebuild.h"

/* ---------------------------------------------------------------- sandbox */

/** Flags of a bind. */
#define SG_SANDBOX_RW 0x1u  /**< writable (default: read-only) */
#define SG_SANDBOX_TRY 0x2u /**< skip it when the host path does not exist */

/** A host folder or file made visible inside the sandbox at the same path. */
typedef struct sg_sandbox_bind {
    const char *path; /**< absolute host path, visible at the same path inside */
    unsigned flags;   /**< SG_SANDBOX_RW, SG_SANDBOX_TRY */
} sg_sandbox_bind;

/** Network of a sandboxed command. */
typedef enum {
    SG_SANDBOX_NET_NONE = 0,  /**< loopback only (its own, empty) */
    SG_SANDBOX_NET_PROXY = 1, /**< loopback only, plus an HTTP proxy that reaches the allowed
                                   hosts and nothing else (the proxy env vars point at it) */
} sg_sandbox_net;

/** What to run and how to confine it. */
typedef struct sg_sandbox_spec {
    const char *bwrap;            /**< absolute path of bubblewrap (unused when unsafe) */
    int unsafe;                   /**< run on the host without a sandbox (limits still apply) */
    const char *const *argv;      /**< the command, argv[0] absolute; NULL-terminated */
    const char *const *env;       /**< its complete environment, NULL-terminated */
    const char *cwd;              /**< working folder (the same path inside and outside) */
    const sg_sandbox_bind *binds; /**< extra binds (system folders are added by the sandbox) */
    size_t nbinds;                /**< entries of binds */
    sg_sandbox_net net;           /**< network */
    const char *const *allow;     /**< "host:port" the proxy lets through (NET_PROXY) */
    size_t nallow;                /**< entries of allow */
    const char *node;             /**< NET_PROXY: absolute path of the node that runs the
                                       forwarder from the proxy port to the host's proxy */
    const char *scratch;          /**< a host folder (private, short path) for the proxy's
                                       socket and forwarder script (NET_PROXY) */
    uint64_t timeout_ms;          /**< wall-clock limit; 0: none */
    uint64_t memory_bytes;        /**< RLIMIT_DATA (writable memory of each process: not
                                       RLIMIT_AS, which breaks WebAssembly in node) and the
                                       cgroup memory limit when one is writable; 0: none */
    unsigned max_processes;       /**< RLIMIT_NPROC and cgroup pids limit; 0: none */
    uint64_t max_file_bytes;      /**< RLIMIT_FSIZE; 0: none */
    sg_buf *output;               /**< stdout and stderr, up to its limit (the rest dropped) */
} sg_sandbox_spec;

/** How a sandboxed command ended. */
typedef struct sg_sandbox_result {
    int exited;          /**< 1 when it exited (status valid), 0 when killed */
    int status;          /**< exit status */
    int signal;          /**< terminating signal when killed */
    int timed_out;       /**< 1 when sourcegate killed it at the time limit */
    uint64_t elapsed_ms; /**< wall time */
    uint64_t dropped;    /**< output bytes dropped beyond the buffer's limit */
    char limits[256];    /**< how the limits were enforced, for the report */
} sg_sandbox_result;

/**
 * Run one command in bubblewrap (or, with spec->unsafe, directly): a new user, mount, PID,
 * IPC, UTS, cgroup and network namespace; the system folders read-only; the binds; a private
 * /tmp, /proc and /dev; every capability dropped; no further user namespaces; killed with its
 * whole process tree at the time limit or when sourcegate dies. A nonzero exit is not an error
 * (see res). Errors: SG_EIO or SG_EDEP when it cannot be started, SG_EINVALID for a bad spec,
 * SG_ENOMEM.
 */
int sg_sandbox__run(sg_sandbox_result *res, sg_ctx *ctx, const sg_sandbox_spec *spec);

/**
 * Does bubblewrap run here with user namespaces? 0, or SG_EUNSUPPORTED with the reason
 * (bubblewrap's own message) in ctx.
 */
int sg_sandbox__probe(sg_ctx *ctx, const char *bwrap);

/**
 * Find program `name` on a ':'-separated search path (an absolute or ./-relative name is taken
 * as is). out receives the absolute path. SG_ENOTFOUND when absent.
 */
int sg_sandbox__which(sg_buf *out, sg_ctx *ctx, const char *name, const char *search_path);

/**
 * Run a trusted host program (no sandbox) and capture its stdout, for version queries
 * ("node --version"). 0 when it exited with status 0; SG_EIO otherwise.
 */
int sg_sandbox__capture(sg_buf *out, sg_ctx *ctx, const char *const *argv, unsigned timeout_ms);

/** rm -rf without following symbolic links; making read-only folders writable first. */
int sg_sandbox__remove_tree(sg_ctx *ctx, const char *path);

/* ---------------------------------------------------------------- rebuild */

/** How a rebuild ended. */
typedef enum {
    SG_REBUILD_BUILT = 0,   /**< a tarball was made */
    SG_REBUILD_FAILED = 1,  /**< a step failed; reason says which and why */
    SG_REBUILD_SKIPPED = 2, /**< not attempted (no sandbox in auto mode, unsupported tool) */
} sg_rebuild_status;

/** What the pipeline hands the rebuild. */
typedef struct sg_rebuild_input {
    const sg_tree *root; /**< the repository's tree at the commit (readable content) */
    const char *subdir;  /**< package folder inside it, "" at the root */
    const char *name;    /**< package name (the artifact's) */
    const char *version; /**< package version (the artifact's) */
    const char *commit;  /**< 40-hex commit, for the log's name */
    sg_git_repo *repo;   /**< the repository the commit is in: the copy gets a shallow
                              .git whose HEAD is that commit (builds run git grep,
                              git describe, git rev-parse); NULL: no .git */
    const char *ref;     /**< the tag or branch the commit was found by, recreated in the
                              copy when it names that commit; may be NULL */
} sg_rebuild_input;

/** The outcome. */
typedef struct sg_rebuild_result {
    sg_rebuild_status status; /**< built, failed or skipped */
    sg_tree *tree;            /**< the rebuilt package (BUILT), read like any tarball */
    char reason[1024];        /**< FAILED/SKIPPED: why ("build error (exit 2): ...") */
    char log[4096];           /**< the log file in the cache, "" when not kept */
    char **steps;             /**< the choices and steps, one line each, for the report */
    size_t nsteps;            /**< entries of steps */
} sg_rebuild_result;

#define SG_REBUILD_RESULT_INIT                                                                     \
    {                                                                                              \
        SG_REBUILD_SKIPPED, NULL, "", "", NULL, 0                                                  \
    }

void sg_rebuild__result_dispose(sg_rebuild_result *res);

/**
 * Rebuild the package in input from its source and read the tarball it packs. Failures of the
 * build itself (install, build, pack, time limit, missing tools) are a FAILED or SKIPPED
 * result, not errors. Errors: SG_EUNSUPPORTED when the sandbox cannot run and neither unsafe
 * mode nor auto mode allows going on (message says what is missing); SG_EIO for the scratch
 * folders; SG_ENOMEM.
 */
int sg_rebuild__run(sg_rebuild_result *res, sg_ctx *ctx, const sg_rebuild_opts *opts,
                    const sg_rebuild_input *input);

/**
 * Write the files of tree (those under `prefix`, "" for all) into folder dir, which must
 * exist: regular files (0644, or 0755 with the exec bit) and symlinks; submodules become empty
 * folders. Never follows a link while creating paths. Errors: SG_EIO, and those of
 * sg_tree_read().
 */
int sg_rebuild__materialize(sg_ctx *ctx, const sg_tree *tree, const char *dir);

#endif
