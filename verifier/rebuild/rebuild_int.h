/*
 * Internals of the rebuild and its sandbox, shared with verify.c and the tests, and between the
 * rebuild's files: rebuild.c (the run from start to end), rebuild_plan.c (what package manager,
 * which node, which tools), rebuild_copy.c (the source copy and its .git), rebuild_run.c
 * (running the steps and reading the packed output). The sandbox's own internals are in
 * sandbox_int.h.
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

struct sg_sandbox_gateway;

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
    unsigned umask;               /**< the command's file mode creation mask; 0: inherited */
    uint64_t disk_bytes;          /**< size of each tmpfs and how much the writable binds may
                                       grow while it runs (watched, killed beyond); the
                                       scratch's file system must have that much free; 0: none */
    unsigned uid;                 /**< when sourcegate runs as root: the host uid and gid the
                                       sandbox runs as (never 0); 0: SG_SANDBOX_DEFAULT_UID */
    struct sg_sandbox_gateway *gateway; /**< NET_PROXY: serves origin-form requests (the
                                             install step's registry, "@SG_GATEWAY@" in env
                                             values becomes its URL inside); NULL: none */
} sg_sandbox_spec;

/** How a sandboxed command ended. */
typedef struct sg_sandbox_result {
    int exited;            /**< 1 when it exited (status valid), 0 when killed */
    int status;            /**< exit status */
    int signal;            /**< terminating signal when killed */
    int timed_out;         /**< 1 when sourcegate killed it at the time limit */
    uint64_t elapsed_ms;   /**< wall time */
    uint64_t dropped;      /**< output bytes dropped beyond the buffer's limit */
    char limits[256];      /**< how the limits were enforced, for the report */
    int disk_exceeded;     /**< 1 when sourcegate killed it at the disk limit */
    char setuid_path[256]; /**< the name of a setuid or setgid file it left in a writable bind
                                (the bits were cleared), "" when none */
    char refused[256];     /**< NET_PROXY: the hosts the proxy refused ("host:port, ..."),
                                "" when none */
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
    const sg_tree *root;    /**< the repository's tree at the commit (readable content) */
    const char *subdir;     /**< package folder inside it, "" at the root */
    const char *name;       /**< package name (the artifact's) */
    const char *version;    /**< package version (the artifact's) */
    const char *commit;     /**< 40-hex commit, for the log's name */
    sg_git_repo *repo;      /**< the repository the commit is in: the copy gets a shallow
                                 .git whose HEAD is that commit (builds run git grep,
                                 git describe, git rev-parse); NULL: no .git */
    const char *ref;        /**< the tag or branch the commit was found by, recreated in the
                                 copy when it names that commit; may be NULL */
    int variation;          /**< 1: the second build, varied as reprotest varies a build: another
                                 build path, TZ, LANG/LC_ALL, umask 0002, a later time (issue 15);
                                 0: the first */
    const char *published;  /**< the release's publish time (the packument's time[version]):
                                 the install step sees the registry as of then; NULL (local
                                 mode): no date */
    const char *repository; /**< the repository's URL (or local path) as the report names it:
                                 the copy's folder is named as `git clone` would name it (some
                                 bundlers name modules after it); NULL: "src" */
    const sg_entry **want;  /**< the artifact's files that git lacks (borrowed): when the
                                 pack lacks some of them, further building scripts run
                                 (rebuild_more.c); NULL: none */
    size_t nwant;           /**< entries of want */
} sg_rebuild_input;

/** The outcome. */
typedef struct sg_rebuild_result {
    sg_rebuild_status status; /**< built, failed or skipped */
    sg_tree *tree;            /**< the rebuilt package (BUILT), read like any tarball */
    char reason[1024];        /**< FAILED/SKIPPED: why ("build error (exit 2): ...") */
    char log[4096];           /**< the log file in the cache, "" when not kept */
    char **steps;             /**< the choices and steps, one line each, for the report */
    size_t nsteps;            /**< entries of steps */
    size_t steps_cap;         /**< allocated entries of steps */
    cJSON *recipe;            /**< BUILT: the recipe that worked (rebuild_recipe.c): package
                                   manager, node, install mode, date, commands run and skipped;
                                   owned, NULL when none */
    char build_dir[1024];     /**< BUILT: the absolute folder the source was copied into and
                                   built in, which a build may write into its files (issue
                                   15: the diff establishes it as the build path) */
} sg_rebuild_result;

#define SG_REBUILD_RESULT_INIT                                                                     \
    {                                                                                              \
        SG_REBUILD_SKIPPED, NULL, "", "", NULL, 0, 0, NULL, ""                                     \
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

/**
 * sg_rebuild__materialize, skipping the files whose blob the repository lacks (a partial
 * clone, a mirror without its large assets) instead of failing: the first three paths go into
 * missing ("'a', 'b', 'c' and 4 more"). Returns how many were skipped (0 when none), or an
 * error as sg_rebuild__materialize.
 */
int sg_rebuild__materialize_ext(sg_ctx *ctx, const sg_tree *tree, const char *dir, sg_buf *missing);

/* ---------------------------------------------------------------- between the rebuild's files */

/** The package manager a repository uses. */
typedef enum {
    SG_REBUILD_PM_NPM,          /**< npm */
    SG_REBUILD_PM_YARN_CLASSIC, /**< yarn 1 */
    SG_REBUILD_PM_YARN_BERRY,   /**< yarn 2 and later */
    SG_REBUILD_PM_PNPM,         /**< pnpm */
    SG_REBUILD_PM_BUN,          /**< bun (not supported yet) */
} sg_rebuild_pm;

/** The program name of a package manager ("yarn" for both yarns). */
const char *sg_rebuild__pm_name(sg_rebuild_pm pm);

/** Everything decided from the source tree before running anything. */
typedef struct sg_rebuild_plan {
    sg_rebuild_pm pm;        /**< package manager */
    char pm_version[64];     /**< pinned version ("" when none) */
    char pm_why[256];        /**< how it was chosen */
    sg_buf lock_dir;         /**< repository-relative install folder: the lockfile's
                                  ("" the root) */
    int has_lockfile;        /**< a lockfile was found */
    int needs_install;       /**< there are dependencies to install */
    int in_workspace;        /**< the package is below the install folder */
    char node_wanted[128];   /**< the version the repository asks for ("" none) */
    sg_buf node_wanted_from; /**< the file naming it (its path), or "engines.node" */
    cJSON *pkg;              /**< the package's package.json */
    cJSON *root;             /**< the install folder's package.json (may equal pkg's) */
} sg_rebuild_plan;

/**
 * Read the package's package.json at subdir of tree, find its lockfile (in the package folder
 * or the nearest above), the package manager and the Node version the repository asks for.
 * Errors: SG_ENOTFOUND (no package.json), SG_EINVALID (unreadable JSON), SG_ENOMEM.
 */
int sg_rebuild__plan_make(sg_rebuild_plan *pl, sg_ctx *ctx, const sg_tree *tree,
                          const char *subdir);

/** A pnpm or yarn version when the repository pins none: from the lockfile's format. Errors:
 * SG_ENOMEM. */
int sg_rebuild__plan_default_pm_version(sg_rebuild_plan *pl, sg_ctx *ctx, const sg_tree *tree);

void sg_rebuild__plan_dispose(sg_rebuild_plan *pl);

/** The programs of the machine the rebuild uses. */
typedef struct sg_rebuild_tools {
    sg_buf bwrap;           /**< bubblewrap, "" when not found */
    sg_buf node;            /**< the node used */
    sg_buf node_bin;        /**< its folder (first on PATH) */
    sg_buf node_prefix;     /**< its installation prefix (bound read-only when outside /usr) */
    char node_version[64];  /**< "v20.20.2" */
    char node_note[512];    /**< how it was chosen */
    sg_buf npm;             /**< npm next to that node (or on the search path) */
    sg_buf corepack;        /**< corepack, "" when absent */
    int sandboxed;          /**< bubblewrap works */
    char sandbox_note[512]; /**< why not, when it does not */
} sg_rebuild_tools;

void sg_rebuild__tools_init(sg_rebuild_tools *t);
void sg_rebuild__tools_dispose(sg_rebuild_tools *t);

/**
 * The machine's node, or another installed one (opts->node_versions) the repository asks for;
 * npm and corepack next to it. Errors: SG_ENOTFOUND (no node), SG_EIO (it does not run),
 * SG_ENOMEM.
 */
int sg_rebuild__choose_node(sg_rebuild_tools *t, sg_ctx *ctx, const sg_rebuild_opts *o,
                            const sg_rebuild_plan *pl);

/**
 * The Node range (engines.node) that version of the package manager pm declares in the
 * registry, into out ("" when it declares none, or the registry has no such version, or there
 * is no cache folder to keep the packument in). Errors: SG_ENET and those of
 * sg_registry_packument() other than a 404.
 */
int sg_rebuild__pm_node_range(char *out, size_t size, sg_ctx *ctx, const sg_rebuild_opts *o,
                              sg_rebuild_pm pm, const char *version);

/**
 * A Node from the registry (node_dist.c): the highest release of node-linux-<arch> that
 * satisfies every one of the nranges ranges ("24", "v20.11.1", ">=22.13"), its tarball checked
 * against the packument's sha512 integrity by sourcegate's client and cached, its bin/node
 * extracted once into <cache>/rebuild/node/<package>-<version>/ (only sourcegate writes there;
 * the sandbox binds it read-only). path receives the binary, version "v24.2.0". Errors:
 * SG_ENOTFOUND (no package for this machine, no release satisfies), SG_EUNSUPPORTED (no cache
 * folder), SG_ENET, SG_EINTEGRITY, SG_EINVALID (a tarball without bin/node), SG_EIO.
 */
int sg_rebuild__node_from_registry(sg_buf *path, char *version, size_t vsize, sg_ctx *ctx,
                                   const sg_rebuild_opts *o, const char *const *ranges,
                                   size_t nranges);

/**
 * Find bubblewrap and check that it makes a sandbox: t->sandboxed, or the reason in
 * t->sandbox_note (not an error). Errors: SG_EINVALID, SG_ENOMEM.
 */
int sg_rebuild__check_sandbox(sg_rebuild_tools *t, sg_ctx *ctx, const sg_rebuild_opts *o);

#define SG_REBUILD_ALLOW_MAX 4    /**< entries of an allowlist */
#define SG_REBUILD_ALLOW_SIZE 300 /**< bytes of an entry, with its NUL */

/** The hosts the install step's proxy lets through. */
typedef struct sg_rebuild_allow {
    char entry[SG_REBUILD_ALLOW_MAX][SG_REBUILD_ALLOW_SIZE]; /**< "host:port", host unbracketed */
    size_t n;                                                /**< entries used */
} sg_rebuild_allow;

/**
 * The allowlist for a registry URL, parsed with libcurl's URL API: its host (never the userinfo;
 * an IPv6 address without its brackets, as the proxy reads CONNECT targets) and its port (else
 * the scheme's default: 443 for https, 80 for http), plus npm's other host name for npm's
 * registry. A URL libcurl cannot parse, or one without a host, gives an empty list (the install
 * step then reaches nothing).
 */
void sg_rebuild__allow_registry(sg_rebuild_allow *out, const char *url);

/** What the repository's configuration makes the steps run, and what replaces it. */
typedef struct sg_rebuild_config {
    char git[4096];   /**< the machine's git, given as npm_config_git when the repository's
                           .npmrc names another git ("" when there is none to replace) */
    int script_shell; /**< the repository's script-shell= is replaced by /bin/sh */
    int shell;        /**< the repository's shell= is replaced by /bin/sh */
} sg_rebuild_config;

/** Everything about one rebuild run. */
typedef struct sg_rebuild_run {
    sg_ctx *ctx;                /**< errors */
    const sg_rebuild_opts *o;   /**< options */
    const sg_rebuild_input *in; /**< what to build */
    sg_rebuild_result *res;     /**< the outcome */
    sg_rebuild_plan pl;         /**< choices */
    sg_rebuild_tools t;         /**< programs */
    sg_buf work;                /**< scratch folder */
    sg_buf src;                 /**< the source copy, in work */
    sg_buf home;                /**< the build's $HOME, in work */
    sg_buf out;                 /**< where the pack command writes, in work */
    sg_buf bin;                 /**< the package manager's shims (first on PATH), in work */
    sg_buf net;                 /**< the proxy's socket and forwarder (in work, or /tmp) */
    sg_buf npm_cache;           /**< dependency caches (in the cache folder, or work) */
    sg_buf pkg_dir;             /**< the package folder in src */
    sg_buf lock_dir;            /**< the install folder in src */
    int net_separate;           /**< net is its own folder under /tmp (short socket path) */
    sg_buf log;                 /**< the log being written */
    sg_buf registry;            /**< the registry URL */
    sg_rebuild_allow allow;     /**< what the install step may reach */
    sg_rebuild_config cfg;      /**< repository settings replaced in every step */
    int npm_seeded;             /**< npm's cache (npm_cache/npm) holds copies of the
                                     lockfile's tarballs from sourcegate's checked cache */
    uint64_t used_ms;           /**< ms used by the steps so far */
    char limits[256];           /**< how the sandbox enforced the limits (last step) */
    int pm_checked;             /**< sourcegate checked the package manager corepack fetches
                                     (sg_rebuild__check_pm()): corepack's own check is off */
    const char *as_of;          /**< the install step being run sees the registry as of
                                     this time (the gateway's date cut), NULL: as it is */
    char install_mode[160];     /**< for the recipe: "frozen", "not frozen", "none", with
                                     "as of DATE" when the registry was cut at a date */
} sg_rebuild_run;

/** Add a line to the result's steps and the log. 0 or SG_ENOMEM. */
int sg_rebuild__add_step(sg_rebuild_run *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** End the run as FAILED or SKIPPED with a reason (also logged). */
void sg_rebuild__set_reason(sg_rebuild_run *r, sg_rebuild_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/**
 * Make dir a git work tree whose HEAD is in->commit: its objects copied, shallow (no parents),
 * branch "main", index from its tree, the tag in->ref when it names the commit. Returns 0 or a
 * libgit2 error (git_error_last() says why).
 */
int sg_rebuild__make_git(const sg_rebuild_input *in, const char *dir);

/**
 * List in the steps the repository's settings that make a step run code other than its
 * lifecycle scripts (.npmrc keys such as git, script-shell, node-options; yarn's yarnPath and
 * plugins; .pnpmfile.cjs), and decide in r->cfg which are replaced by a system tool: a git,
 * script-shell or shell that is not an absolute path outside the repository. 0 or SG_ENOMEM.
 */
int sg_rebuild__config_scan(sg_rebuild_run *r);

/**
 * Before a sandboxed install: in the scratch copy's yarn.lock, package-lock.json and
 * pnpm-lock.yaml (regular files in the install folder), name the registry gateway (the mark
 * "@SG_GATEWAY@", which the forwarder replaces with its address) where a resolved URL names
 * registry.yarnpkg.com, registry.npmjs.org or the configured registry, and list each rewrite
 * in the steps. Integrity fields stay, so the content is pinned as before. 0, or < 0 on an
 * error (SG_EIO, SG_ENOMEM).
 */
int sg_rebuild__route_lockfiles(sg_rebuild_run *r);

/**
 * Before corepack fetches the package manager (yarn classic, pnpm or npm at r->pl.pm_version)
 * through the sandboxed install step's gateway, which checks its tarball against the
 * packument's dist.integrity: read that packument with sourcegate's client, and when the
 * version carries registry signatures verify them with the pinned registry keys
 * (r->o->registry_keys) or the registry's. Then set r->pm_checked (corepack's signature check,
 * which fails on registries that strip signatures, is turned off) and list the check in the
 * steps: "yarn@1.22.22: integrity checked by sourcegate; registry signature verified" (or
 * "absent on this registry"). Nothing is done without a sandbox or a cache folder (no checking
 * gateway). 0; 1 when the signatures do not verify or the version is not in the registry
 * (the result says why); < 0 on an operational error (network, cache).
 */
int sg_rebuild__check_pm(sg_rebuild_run *r);

/** Make the scratch folders of r (work and the folders in it) and the dependency cache. */
int sg_rebuild__make_work(sg_rebuild_run *r);

/**
 * The folder `git clone URL` makes for url (a URL, scp-like address or path): its last path
 * segment without a trailing "/", "/.git" or ".git". Written to out (n bytes) when it is a
 * plain name (letters, digits, '.', '_', '-'; not starting with '.'; under n bytes), else
 * "src". Returns out.
 */
const char *sg_rebuild__clone_folder(char *out, size_t n, const char *url);

/**
 * The program that runs the package manager into out: a corepack shim, or the machine's npm.
 * 0; 1 when the rebuild cannot go on (result set); < 0 on an error.
 */
int sg_rebuild__pm_program(sg_rebuild_run *r, sg_buf *out);

/**
 * The install, build and pack steps, run through the package manager program pm. Each returns
 * 0 when it succeeded or had nothing to do, 1 when it failed (the result says why), < 0 on an
 * operational error.
 */
int sg_rebuild__step_install(sg_rebuild_run *r, const char *pm);
int sg_rebuild__step_build(sg_rebuild_run *r, const char *pm);
int sg_rebuild__step_pack(sg_rebuild_run *r, const char *pm);

/**
 * The folder the release is packed from when it is not the package folder (publish_dir.c):
 * publishConfig.directory, or for a private package.json a folder the build made whose
 * package.json names the package. Into out (a full path), with a step line saying which and
 * why. 1 when there is one, 0 when the package folder is it, SG_ENOMEM.
 */
int sg_rebuild__publish_dir(sg_rebuild_run *r, sg_buf *out);

/** Read the one tarball the pack command left into the result. 1 when there is none. */
int sg_rebuild__read_packed(sg_rebuild_run *r);

/**
 * Is the package script `script` only release chores (git, tests, lints, release tools; the
 * rule is in docs/rebuild.md "Release scripts that are not builds")? `scripts` is the
 * package's scripts object, for `npm run NAME` inside it. 1 or 0.
 */
int sg_rebuild__script_is_chore(const char *script, const cJSON *scripts);

#define SG_REBUILD_MORE_MAX 3 /**< further building scripts run when files are missing */

/**
 * The further building scripts worth running when the build left files the release has out of
 * the pack (rule in docs/rebuild.md "Further building scripts"): scripts of `scripts` whose name
 * says they make type declarations (a word dts, types, typings, declarations...), then those
 * named build-X, build:X, compile, bundle..., each in the object's order; never lifecycle
 * scripts, watchers, dev servers, tests, lints, docs, examples, release chores
 * (sg_rebuild__script_is_chore()), `ran` (the build script that ran, or NULL) or a script its
 * text names. Up to max names (borrowed from scripts) into names; returns how many.
 */
size_t sg_rebuild__more_scripts(const char **names, size_t max, const cJSON *scripts,
                                const char *ran);

/**
 * A build program at the package folder's top (build.mjs, build.js, build.cjs, build.ts,
 * build.mts) that no script of `scripts` names: the maintainer runs it by hand. Its name, or
 * NULL. `exists` says whether a file is in the package folder.
 */
const char *sg_rebuild__build_file(const cJSON *scripts, int (*exists)(void *, const char *),
                                   void *payload);

/**
 * Run argv in the sandbox as the build step `what` (no network), from folder cwd, recorded in
 * the steps and the recipe. 0 when it succeeded, 1 when it failed (the result says why), < 0
 * on an operational error. (rebuild_run.c)
 */
int sg_rebuild__run_build_step(sg_rebuild_run *r, const char *what, const char *const *argv,
                               const char *cwd);

/**
 * After the pack: when the packed tree lacks files of r->in->want, run the further building
 * scripts (sg_rebuild__more_scripts(), sg_rebuild__build_file()) one by one until the package
 * folder has them, then pack again. The new pack is kept only when it holds every file of the
 * first with the same bytes (a further script may add files, never change one); otherwise, or
 * when a script fails, the first stands and the steps say why. 0, or < 0 on an operational
 * error. (rebuild_more.c)
 */
int sg_rebuild__step_more(sg_rebuild_run *r, const char *pm);

/**
 * Append line to the recipe's array `key` ("commands": shell lines run, "skipped": steps passed
 * over and why), making the recipe when there is none. 0 or SG_ENOMEM.
 */
int sg_rebuild__recipe_add(sg_rebuild_run *r, const char *key, const char *line);

/** Set the recipe's string `key` to value (replacing it). 0 or SG_ENOMEM. */
int sg_rebuild__recipe_set(sg_rebuild_run *r, const char *key, const char *value);

/** Record a step that ran as a shell line of the recipe: its folder and argv, with the
 * package manager's program and the pack folder written as the recipe script names them. */
int sg_rebuild__recipe_command(sg_rebuild_run *r, const char *const *argv, const char *cwd);

/** Complete the recipe of a build that worked: package manager, node, install mode, date,
 * lockfile and its sha256. 0 or SG_ENOMEM. */
int sg_rebuild__recipe_finish(sg_rebuild_run *r);

#endif
