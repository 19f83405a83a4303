/*
 * sourcegate: rebuilding a package's generated files in a sandbox (DESIGN.md "Rebuild").
 *
 * When the artifact carries files the source lacks (dist/ bundles, compiled TypeScript) or has
 * with other bytes, the verifier can rebuild the package from the commit and compare: the
 * repository's own package manager (from its lockfile and packageManager field, yarn and pnpm
 * through corepack at the pinned version) installs the dependencies with lifecycle scripts
 * disabled, then the repository's pack command (which runs prepack/prepare) or its build script
 * followed by the pack command makes a tarball, which is read like any artifact.
 *
 * Every step runs in bubblewrap: a fresh mount namespace where a copy of the source tree and
 * the rebuild's own scratch folders are the only writable places, the system is read-only,
 * there is no network while building (the install step reaches the configured registry only,
 * through a proxy that refuses every other host), the user's home, SSH keys, npm tokens and the
 * sourcegate cache are not visible (npm's dependency cache is, read-only during the build),
 * time, memory, process-count and disk limits apply, a seccomp filter denies the kernel
 * interfaces a build never needs, and when the caller is root the steps run under an
 * unprivileged uid of their own (docs/rebuild.md "Isolation guarantees").
 *
 * Set a `const sg_rebuild_opts *` in sg_verify_opts.rebuild or sg_verify_release_opts.rebuild;
 * NULL means never rebuild.
 */
#ifndef SOURCEGATE_REBUILD_H
#define SOURCEGATE_REBUILD_H

#include <stdint.h>
#include "buf.h"
#include "errors.h"
#include "report.h"

#ifdef __cplusplus
extern "C" {
#endif

/** When to rebuild. */
typedef enum {
    SG_REBUILD_NEVER = 0,  /**< never: generated files stay file-unverified */
    SG_REBUILD_AUTO = 1,   /**< when the artifact has files the source lacks (and the package
                                has a build) or code files with other bytes; when the sandbox
                                cannot run here, the files stay file-unverified with that reason */
    SG_REBUILD_ALWAYS = 2, /**< on every verification; a sandbox that cannot run is an error */
} sg_rebuild_mode;

/** Defaults of the limits (a field left 0 takes these). */
#define SG_REBUILD_DEFAULT_TIMEOUT 900u /**< seconds for all steps together */
#define SG_REBUILD_DEFAULT_MEMORY                                                                  \
    (4096ull << 20)                        /**< bytes of writable memory per process               \
                                            (RLIMIT_DATA), and of the whole build where a          \
                                            memory cgroup is writable */
#define SG_REBUILD_DEFAULT_PROCESSES 1024u /**< processes and threads */
#define SG_REBUILD_DEFAULT_DISK                                                                    \
    (4096ull << 20) /**< bytes each tmpfs of the sandbox may hold, and the scratch copy may grow   \
                         by during one step */
#define SG_REBUILD_DEFAULT_UID                                                                     \
    60999u /**< host uid and gid of the sandbox when sourcegate runs as root: above the login      \
                users (1000-59999), below systemd's dynamic users (61184-65519) */

typedef struct sg_rebuild_opts {
    sg_rebuild_mode mode;        /**< when to rebuild */
    const char *bwrap;           /**< bubblewrap program; NULL: "bwrap" found on search_path */
    const char *node;            /**< the machine's node; NULL: "node" found on search_path */
    const char *node_versions;   /**< ':'-separated folders holding other Node installations,
                                      each as <folder>/v<X.Y.Z>/bin/node or
                                      <folder>/<X.Y.Z>/bin/node (nvm's versions/node, n's
                                      versions/node, fnm's node-versions/<v>/installation is
                                      not searched); NULL: only the machine's node */
    const char *search_path;     /**< ':'-separated folders where programs are looked up (the
                                      library reads no environment: the CLI passes $PATH);
                                      NULL: "/usr/local/bin:/usr/bin:/bin" */
    unsigned timeout_seconds;    /**< wall-clock limit of install + build + pack; 0: default */
    uint64_t memory_bytes;       /**< memory limit; 0: default */
    unsigned max_processes;      /**< process-count limit; 0: default */
    const char *registry;        /**< registry URL the install step may reach (the only host
                                      it may reach); NULL: https://registry.npmjs.org/ */
    const char *cache_dir;       /**< sourcegate's cache folder: rebuild logs go to
                                      rebuild/logs/, dependency tarballs the install step's
                                      registry gateway checked to the tarball cache (indexed
                                      in rebuild/gateway/), scratch folders to tmp/; no step
                                      sees any of it. NULL: logs are not kept, nothing is
                                      cached and scratch goes to /tmp */
    const char *ca_file;         /**< extra CA certificates (PEM) for the install step's TLS,
                                      as NODE_EXTRA_CA_CERTS; NULL: none */
    const char *const *env;      /**< extra NAME=VALUE entries for every step, NULL-terminated
                                      (e.g. COREPACK_INTEGRITY_KEYS=); NULL: none. Nothing else
                                      of the caller's environment reaches the build */
    int allow_unsafe_no_sandbox; /**< 1: when bubblewrap or user namespaces are missing, run
                                      the steps unsandboxed (limits still apply; network and
                                      files are NOT confined). 0: refuse */
    uint64_t disk_bytes;         /**< disk limit: the size of each tmpfs in the sandbox and how
                                      much a step may grow the scratch copy (and the caches it
                                      writes) before it is killed; the scratch's file system
                                      must have that much free. 0: default */
    unsigned sandbox_uid;        /**< when the process runs as root, the unprivileged host uid
                                      (and gid) the sandboxed steps run as; 0: default. Ignored
                                      when not root: the steps run as the caller */
    const char *registry_keys;   /**< pinned registry keys (the text of a keys document, as
                                      sg_trust_opts's registry_keys) for the registry
                                      signature of the package manager corepack fetches;
                                      NULL: the registry's /-/npm/v1/keys through the cache */
    size_t registry_keys_len;    /**< bytes of registry_keys */
} sg_rebuild_opts;

#define SG_REBUILD_OPTS_INIT                                                                       \
    {                                                                                              \
        SG_REBUILD_NEVER, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL,  \
            0                                                                                      \
    }

/** Parse "auto", "always" or "never". SG_EINVALID (message in ctx) otherwise. */
int sg_rebuild_mode_parse(sg_rebuild_mode *out, sg_ctx *ctx, const char *name);

/** "never", "auto", "always". */
const char *sg_rebuild_mode_name(sg_rebuild_mode mode);

/**
 * Can rebuilds run with these options? Finds bubblewrap and node and starts a trivial sandbox.
 * 0 when a sandboxed rebuild can run, or when it cannot but allow_unsafe_no_sandbox is set
 * (*sandboxed, which may be NULL, tells which). SG_EUNSUPPORTED with a message naming what is
 * missing (bubblewrap, user namespaces, node) otherwise; SG_ENOMEM.
 */
int sg_rebuild_check(int *sandboxed, sg_ctx *ctx, const sg_rebuild_opts *opts);

/**
 * The recipe of the report's rebuild (its SG_REPORT_REBUILD_RECIPE) as a POSIX shell script
 * appended to out: the pinned inputs (repository URL and commit, lockfile sha256, node and
 * package-manager versions, the install date) and the exact commands, which clone the commit,
 * rebuild the release outside sourcegate and print the sha512 integrity of the tarball packed,
 * next to the registry's (docs/rebuild.md "The recipe"). The script runs the repository's own
 * code unconfined: run it where that is safe. Errors: SG_ENOTFOUND (the report has no recipe:
 * no rebuild made a tarball), SG_EINVALID (a malformed recipe, no repository or commit),
 * SG_ENOMEM, SG_ELIMIT.
 */
int sg_rebuild_recipe_script(sg_buf *out, sg_ctx *ctx, const sg_report *report);

#ifdef __cplusplus
}
#endif
#endif
