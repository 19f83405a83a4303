/*
 * Shared pieces of the command-line program. The CLI uses the public headers only.
 */
#ifndef SG_CLI_H
#define SG_CLI_H

#include <stdio.h>

#include <sourcegate/sourcegate.h>

#include "opt.h"

/** Exit codes (DESIGN.md). */
enum {
    CLI_EXIT_PASS = 0,
    CLI_EXIT_FAIL = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_INCONCLUSIVE = 3,
    CLI_EXIT_OPERATIONAL = 4,
};

/** A subcommand: name, one-line summary, entry point (NULL: not implemented yet). */
typedef struct cli_command {
    const char *name;
    const char *usage;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

/** Map a library error code to an exit code: bad input 2, operational 4. */
int cli_exit_for_error(int code);

/** Print "sourcegate: error: MESSAGE" for the error in ctx and return its exit code. */
int cli_report_error(sg_ctx *ctx, int code);

/**
 * The option-table rows of the commands that fetch releases (verify, lockfile, audit):
 * --registry, --cache, --git-rewrite and --offline, with the ids given, in that order.
 */
/* clang-format off */
#define CLI_FETCH_OPT_ROWS(registry_id, cache_id, rewrite_id, offline_id) \
    {"registry", 0, CLI_OPT_VALUE, "URL", \
     "npm registry (default: npm_config_registry, then .npmrc, then registry.npmjs.org)", \
     (registry_id)}, \
    {"cache", 0, CLI_OPT_VALUE, "DIR", "cache folder (default $XDG_CACHE_HOME/sourcegate)", \
     (cache_id)}, \
    {"git-rewrite", 0, CLI_OPT_VALUE, "FROM=TO", \
     "rewrite repository URLs starting with FROM to start with TO (repeatable)", (rewrite_id)}, \
    {"offline", 0, CLI_OPT_FLAG, NULL, "use only the cache; say what is missing", (offline_id)}
/* clang-format on */

/**
 * The options that change a verdict, shared by verify, lockfile and audit so that a release
 * gets the same verdict from every command (issue 14): the rebuild (--rebuild, its limits,
 * --unsafe-no-sandbox) and the trust policy (--registry-keys, --trusted-root). Option ids of
 * the rows of CLI_VERDICT_OPT_ROWS, relative to the first id given.
 */
enum {
    CLI_VERDICT_OPT_REBUILD,
    CLI_VERDICT_OPT_UNSAFE_NO_SANDBOX,
    CLI_VERDICT_OPT_REBUILD_TIMEOUT,
    CLI_VERDICT_OPT_REBUILD_MEMORY,
    CLI_VERDICT_OPT_REBUILD_DISK,
    CLI_VERDICT_OPT_REGISTRY_KEYS,
    CLI_VERDICT_OPT_TRUSTED_ROOT,
    CLI_VERDICT_OPT__COUNT
};

/* clang-format off */
#define CLI_VERDICT_OPT_ROWS(first_id) \
    {"rebuild", 0, CLI_OPT_VALUE, "WHEN", \
     "rebuild generated files in a bubblewrap sandbox and compare: auto (when files git lacks " \
     "or changed code need it; default), always or never", \
     (first_id) + CLI_VERDICT_OPT_REBUILD}, \
    {"unsafe-no-sandbox", 0, CLI_OPT_FLAG, NULL, \
     "rebuild even without bubblewrap or user namespaces: the build is NOT confined", \
     (first_id) + CLI_VERDICT_OPT_UNSAFE_NO_SANDBOX}, \
    {"rebuild-timeout", 0, CLI_OPT_VALUE, "SECONDS", \
     "time limit of a rebuild's install, build and pack together (default 900)", \
     (first_id) + CLI_VERDICT_OPT_REBUILD_TIMEOUT}, \
    {"rebuild-memory", 0, CLI_OPT_VALUE, "MIB", "memory limit of a rebuild (default 4096)", \
     (first_id) + CLI_VERDICT_OPT_REBUILD_MEMORY}, \
    {"rebuild-disk", 0, CLI_OPT_VALUE, "MIB", "disk limit of a rebuild step (default 4096)", \
     (first_id) + CLI_VERDICT_OPT_REBUILD_DISK}, \
    {"registry-keys", 0, CLI_OPT_VALUE, "FILE", \
     "pin the registry's signing keys (a /-/npm/v1/keys document; default: fetch them)", \
     (first_id) + CLI_VERDICT_OPT_REGISTRY_KEYS}, \
    {"trusted-root", 0, CLI_OPT_VALUE, "FILE", \
     "Sigstore trusted_root.json to verify provenance with (without it provenance is a hint)", \
     (first_id) + CLI_VERDICT_OPT_TRUSTED_ROOT}
/* clang-format on */

/** Longest canonical verdict-options string (cli_verdict_args.options), with its NUL. */
#define CLI_VERDICT_OPTIONS_MAX 400

/** The values of the verdict options and what cli_verdict_prepare() makes of them. */
typedef struct cli_verdict_args {
    sg_rebuild_opts rebuild;    /**< --rebuild (default auto), limits, --unsafe-no-sandbox;
                                     the environment's part is set by cli_verdict_prepare() */
    const char *rebuild_env[2]; /**< environment passed through to the build */
    char rebuild_env_buf[512];  /**< storage of rebuild_env[0] */
    const char *registry_keys;  /**< --registry-keys FILE */
    const char *trusted_root;   /**< --trusted-root FILE */
    sg_trust_opts trust;        /**< the files' texts (malloc'd), after cli_verdict_prepare() */
    char options[CLI_VERDICT_OPTIONS_MAX]; /**< canonical verdict options, after prepare */
} cli_verdict_args;

/** Defaults: rebuild auto with the default limits, the registry's own keys, no trusted root. */
void cli_verdict_init(cli_verdict_args *v);

/**
 * Store one verdict option (which = opt id - first id) of command `cmd`. Returns 0, or 2 after
 * printing one line for a bad value. ctx: the command's context (messages of the parsers).
 */
int cli_verdict_on_opt(cli_verdict_args *v, sg_ctx *ctx, const char *cmd, int which,
                       const char *value);

/**
 * After parsing: take the rebuild's environment (PATH, NODE_EXTRA_CA_CERTS,
 * COREPACK_INTEGRITY_KEYS), the cache folder and the registry the install step may reach
 * (borrowed), read and check --registry-keys and --trusted-root, and write v->options:
 *
 *   verdict-options/1 rebuild=MODE[ timeout=S memory=MIB sandbox=required|optional]
 *                     registry-keys=registry|sha256:HEX trusted-root=none|sha256:HEX
 *
 * (the limits only when MODE is not never; defaults written out). Two runs with the same
 * string give the same verdict on the same release; cosmetic options (format, output, jobs)
 * and --fail-on (a stored report's verdict is decided again with the run's) are not in it.
 * Returns 0 or a negative SG_E* code with the message in ctx.
 */
int cli_verdict_prepare(cli_verdict_args *v, sg_ctx *ctx, const char *cache_dir,
                        const char *registry);

/** Free what cli_verdict_prepare() read. */
void cli_verdict_dispose(cli_verdict_args *v);

/** How a subcommand reads its arguments and explains them. */
typedef struct cli_command_spec {
    const cli_opt *opts;     /**< its option table */
    const char *cmd;         /**< its name in messages ("verify") */
    int first;               /**< index in argv of its first argument */
    cli_opt_cb on_opt;       /**< stores one option into the payload */
    void (*help)(FILE *out); /**< prints its --help */
} cli_command_spec;

/**
 * The start of every subcommand: create *ctx, parse argv with spec into payload, and answer
 * --help when the parse set *help. Returns 0 to go on; 1 to stop with *rc the exit code (4
 * after "out of memory", the parser's code after a bad option, 0 after --help), the command
 * then only cleans up (*ctx may be NULL).
 */
int cli_begin(int *rc, sg_ctx **ctx, const cli_command_spec *spec, int argc, char **argv,
              void *payload, const int *help);

/**
 * Write b to path (created or truncated), or to stdout when path is NULL, and flush it.
 * Returns 0 or CLI_EXIT_OPERATIONAL after printing why. With `what` NULL the messages are the
 * report's ("cannot write 'PATH': REASON", "writing the report failed", "writing 'PATH'
 * failed"); otherwise `what` names the output ("cannot write WHAT 'PATH': REASON", "writing
 * WHAT failed").
 */
int cli_write_output(const char *path, const sg_buf *b, const char *what);

/* Colour for a report written to fd: only on a terminal, not when NO_COLOR is set to a non-empty
 * value (no-color.org) and not when TERM is "dumb". */
int cli_color_wanted(int fd);

/** Exit code for a verdict. */
int cli_exit_for_verdict(sg_verdict verdict);

/** Local mode never connects: libgit2 then parses no TLS trust store (cli/git_tls.c). Call
 * before libgit2 starts; it holds for the rest of the process. */
void cli_git_tls_defer(void);

int cli_cmd_verify(int argc, char **argv);
int cli_cmd_cache(int argc, char **argv);
int cli_cmd_stage(int argc, char **argv);

/** Read a configuration file (at most 1 MiB); NULL when it cannot be read. free() it. */
char *cli_read_small_file(const char *path, size_t *len);

/** $XDG_CACHE_HOME/sourcegate or ~/.cache/sourcegate; -1 when neither is set. */
int cli_default_cache_dir(char *out, size_t size);

/** The cache folder: arg when given, else the default written into buf (of size bytes).
 *  SG_EINVALID in ctx when there is neither. */
int cli_cache_dir(const char **out, sg_ctx *ctx, const char *arg, char *buf, size_t size);

/** npm's configuration: ~/.npmrc (or $npm_config_userconfig), ./.npmrc, npm_config_registry,
 *  then --registry. */
int cli_load_npm_config(sg_npm_config **out, sg_ctx *ctx, const char *registry_arg);

/** Apply one --limit NAME=N of command `cmd` to ctx; prints one line and returns the exit code
 *  (2) on a bad spec, 0 when set. */
int cli_set_limit(sg_ctx *ctx, const char *cmd, const char *spec);

/** --fail-on VALUE of command `cmd` into *out; prints one line and returns the exit code (2) on
 *  a bad severity, 0 when set. */
int cli_parse_fail_on(sg_severity *out, const char *cmd, const char *value);

/** Append one --git-rewrite rule of command `cmd` to rules[0..*n) (room for max); prints one
 *  line and returns the exit code (2) when full, 0 when added. */
int cli_add_rewrite(char **rules, size_t *n, size_t max, const char *cmd, const char *value);

/** git's url.<base>.insteadOf from the user's git config, then the FROM=TO rules. */
int cli_load_rewrites(sg_url_rewrites **out, sg_ctx *ctx, char **rules, size_t nrules);

#endif
