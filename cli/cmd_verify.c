/*
 * sourcegate verify: local mode (a packed tarball against a git commit).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_attest.h"
#include "sourcegate/rebuild.h"

enum {
    OPT_TARGET,
    OPT_TARBALL,
    OPT_SOURCE,
    OPT_REF,
    OPT_SUBDIR,
    OPT_FORMAT,
    OPT_FAIL_ON,
    OPT_LIMIT,
    OPT_REGISTRY,
    OPT_CACHE,
    OPT_REWRITE,
    OPT_OFFLINE,
    OPT_REBUILD,
    OPT_UNSAFE_NO_SANDBOX,
    OPT_REBUILD_TIMEOUT,
    OPT_REBUILD_MEMORY,
    OPT_REBUILD_DISK,
    OPT_REGISTRY_KEYS,
    OPT_TRUSTED_ROOT,
    OPT_OUTPUT,
    OPT_QUIET,
    OPT_VERBOSE,
    OPT_ATTEST_FIRST,
    OPT_ATTEST_LAST = OPT_ATTEST_FIRST + CLI_ATTEST_OPT__COUNT - 1,
    OPT_HELP,
};

static const cli_opt verify_opts[] = {
    {NULL, 0, CLI_OPT_VALUE, "NAME@VERSION", "a release on the registry", OPT_TARGET},
    {"tarball", 0, CLI_OPT_VALUE, "FILE", "the packed package (.tgz) to verify", OPT_TARBALL},
    {"source", 0, CLI_OPT_VALUE, "GIT", "git repository: a path or a file:// URL", OPT_SOURCE},
    {"ref", 0, CLI_OPT_VALUE, "REV",
     "tag, branch or commit to compare with (local mode: default HEAD; registry mode: "
     "overrides commit resolution)",
     OPT_REF},
    {"subdir", 0, CLI_OPT_VALUE, "DIR", "package folder inside the repository (monorepos)",
     OPT_SUBDIR},
    CLI_FETCH_OPT_ROWS(OPT_REGISTRY, OPT_CACHE, OPT_REWRITE, OPT_OFFLINE),
    {"rebuild", 0, CLI_OPT_VALUE, "WHEN",
     "rebuild generated files in a bubblewrap sandbox and compare: auto (when files git lacks "
     "or changed code need it; default), always or never",
     OPT_REBUILD},
    {"unsafe-no-sandbox", 0, CLI_OPT_FLAG, NULL,
     "rebuild even without bubblewrap or user namespaces: the build is NOT confined",
     OPT_UNSAFE_NO_SANDBOX},
    {"rebuild-timeout", 0, CLI_OPT_VALUE, "SECONDS",
     "time limit of a rebuild's install, build and pack together (default 900)",
     OPT_REBUILD_TIMEOUT},
    {"rebuild-memory", 0, CLI_OPT_VALUE, "MIB", "memory limit of a rebuild (default 4096)",
     OPT_REBUILD_MEMORY},
    {"rebuild-disk", 0, CLI_OPT_VALUE, "MIB", "disk limit of a rebuild step (default 4096)",
     OPT_REBUILD_DISK},
    {"registry-keys", 0, CLI_OPT_VALUE, "FILE",
     "pin the registry's signing keys (a /-/npm/v1/keys document; default: fetch them)",
     OPT_REGISTRY_KEYS},
    {"trusted-root", 0, CLI_OPT_VALUE, "FILE",
     "Sigstore trusted_root.json to verify provenance with (without it provenance is a hint)",
     OPT_TRUSTED_ROOT},
    {"format", 0, CLI_OPT_VALUE, "FMT", "report format: text (default) or json", OPT_FORMAT},
    {"fail-on", 0, CLI_OPT_VALUE, "SEVERITY",
     "fail on findings at or above: info, low, medium, high (default), critical", OPT_FAIL_ON},
    {"limit", 0, CLI_OPT_VALUE, "NAME=N",
     "set an input limit, e.g. tarball-bytes=1000000 (repeatable; see sourcegate(1))",
     OPT_LIMIT},
    {"output", 'o', CLI_OPT_VALUE, "FILE", "write the report to FILE instead of stdout",
     OPT_OUTPUT},
    {"quiet", 'q', CLI_OPT_FLAG, NULL, "print nothing; the exit code tells the verdict",
     OPT_QUIET},
    {"verbose", 'v', CLI_OPT_FLAG, NULL, "also show info findings and normalizations",
     OPT_VERBOSE},
    CLI_ATTEST_OPT_ROWS(OPT_ATTEST_FIRST),
    {"help", 'h', CLI_OPT_FLAG, NULL, "show this help", OPT_HELP},
    {NULL, 0, CLI_OPT_FLAG, NULL, NULL, 0},
};

typedef struct verify_args {
    sg_verify_opts opts; /* what the library gets */
    const char *target;  /* NAME@VERSION, registry mode */
    const char *format;  /* "text" or "json" */
    const char *output;  /* report file, NULL for stdout */
    const char *registry; /* --registry */
    const char *cache;   /* --cache */
    char *rewrites[64];  /* --git-rewrite rules */
    size_t nrewrites;    /* how many */
    int offline;         /* --offline */
    sg_rebuild_opts rebuild; /* --rebuild, --unsafe-no-sandbox, --rebuild-timeout/-memory */
    const char *rebuild_env[2]; /* environment passed through to the build */
    char rebuild_env_buf[512]; /* storage of rebuild_env[0] */
    const char *registry_keys; /* --registry-keys FILE */
    const char *trusted_root;  /* --trusted-root FILE */
    int quiet, verbose, help;
    cli_attest attest;   /* --attest FILE --key KEY.pem ... */
    sg_ctx *ctx;         /* limits are set on it while parsing */
} verify_args;

static void verify_help(FILE *out)
{
    fprintf(out,
            "usage: sourcegate verify NAME@VERSION [--registry URL] [--cache DIR]\n"
            "                         [--git-rewrite FROM=TO]... [--source GIT] [--ref REV]\n"
            "                         [--offline] [--format text|json] [--fail-on SEVERITY]\n"
            "       sourcegate verify --tarball FILE --source GIT [--ref REV] [--subdir DIR]\n\n"
            "Compares a packed npm tarball with the files 'npm pack' would produce from a git\n"
            "commit, and their package.json manifests field by field. Every difference is a\n"
            "finding with a severity; the verdict is fail when a finding reaches --fail-on,\n"
            "inconclusive when generated files could not be verified, else pass.\n\n"
            "With NAME@VERSION (a version, dist-tag or range) the tarball comes from the\n"
            "registry and the source from the repository the release names, at the commit\n"
            "found by provenance, gitHead, tag or package.json history.\n\n"
            "Options:\n");
    cli_opt_help(out, verify_opts);
    fprintf(out, "\nExit codes: 0 pass, 1 fail, 2 usage or bad input, 3 inconclusive,\n"
                 "4 operational error.\n");
}

/* A positive decimal number no larger than max, for the rebuild limits. */
static int parse_count(unsigned long long *out, const char *opt, const char *value,
                       unsigned long long max)
{
    char *end = NULL;
    unsigned long long v = strtoull(value, &end, 10);
    if (!*value || *end || value[0] == '-' || v == 0 || v > max) {
        fprintf(stderr, "sourcegate verify: --%s needs a number from 1 to %llu, not '%s'\n", opt,
                max, value);
        return CLI_EXIT_USAGE;
    }
    *out = v;
    return 0;
}

static int on_opt(const cli_opt *o, const char *value, void *payload)
{
    verify_args *a = payload;
    unsigned long long n = 0;
    int rc;
    switch (o->id) {
    case OPT_TARGET:
        if (a->target) {
            fprintf(stderr, "sourcegate verify: one release at a time ('%s', then '%s')\n",
                    a->target, value);
            return CLI_EXIT_USAGE;
        }
        a->target = value;
        break;
    case OPT_TARBALL: a->opts.tarball_path = value; break;
    case OPT_SOURCE: a->opts.source = value; break;
    case OPT_REF: a->opts.ref = value; break;
    case OPT_SUBDIR: a->opts.subdir = value; break;
    case OPT_FORMAT:
        if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0) {
            fprintf(stderr, "sourcegate verify: --format must be text or json, not '%s'\n",
                    value);
            return CLI_EXIT_USAGE;
        }
        a->format = value;
        break;
    case OPT_FAIL_ON:
        return cli_parse_fail_on(&a->opts.fail_on, "verify", value);
    case OPT_LIMIT: return cli_set_limit(a->ctx, "verify", value);
    case OPT_OUTPUT: a->output = value; break;
    case OPT_REGISTRY: a->registry = value; break;
    case OPT_CACHE: a->cache = value; break;
    case OPT_OFFLINE: a->offline = 1; break;
    case OPT_REGISTRY_KEYS: a->registry_keys = value; break;
    case OPT_REBUILD:
        if (sg_rebuild_mode_parse(&a->rebuild.mode, a->ctx, value) < 0) {
            fprintf(stderr, "sourcegate verify: --rebuild must be auto, always or never, not "
                            "'%s'\n",
                    value);
            return CLI_EXIT_USAGE;
        }
        break;
    case OPT_UNSAFE_NO_SANDBOX: a->rebuild.allow_unsafe_no_sandbox = 1; break;
    case OPT_REBUILD_TIMEOUT:
        if ((rc = parse_count(&n, "rebuild-timeout", value, 86400)) != 0)
            return rc;
        a->rebuild.timeout_seconds = (unsigned)n;
        break;
    case OPT_REBUILD_MEMORY:
        if ((rc = parse_count(&n, "rebuild-memory", value, 1048576)) != 0)
            return rc;
        a->rebuild.memory_bytes = (uint64_t)n << 20;
        break;
    case OPT_REBUILD_DISK:
        if ((rc = parse_count(&n, "rebuild-disk", value, 1048576)) != 0)
            return rc;
        a->rebuild.disk_bytes = (uint64_t)n << 20;
        break;
    case OPT_TRUSTED_ROOT: a->trusted_root = value; break;
    case OPT_REWRITE:
        return cli_add_rewrite(a->rewrites, &a->nrewrites,
                               sizeof(a->rewrites) / sizeof(a->rewrites[0]), "verify", value);
    case OPT_QUIET: a->quiet = 1; break;
    case OPT_VERBOSE: a->verbose = 1; break;
    case OPT_HELP: a->help = 1; break;
    default:
        if (o->id >= OPT_ATTEST_FIRST && o->id <= OPT_ATTEST_LAST)
            return cli_attest_on_opt(&a->attest, o->id - OPT_ATTEST_FIRST, value);
        break;
    }
    return 0;
}

static int write_report(const verify_args *a, const sg_report *report)
{
    sg_buf out = SG_BUF_INIT;
    unsigned flags = 0;
    int error, rc = 0;

    if (strcmp(a->format, "json") == 0) {
        error = sg_report_write_json(&out, a->ctx, report);
    } else {
        if (a->verbose)
            flags |= SG_TEXT_VERBOSE;
        if (!a->output && isatty(STDOUT_FILENO) && !getenv("NO_COLOR"))
            flags |= SG_TEXT_COLOR;
        error = sg_report_write_text(&out, a->ctx, report, flags);
    }
    if (error < 0) {
        rc = cli_report_error(a->ctx, error);
        goto done;
    }
    rc = cli_write_output(a->output, &out, NULL);
done:
    sg_buf_dispose(&out);
    return rc;
}

/* What the rebuild takes from the environment: programs on PATH, extra CA certificates,
 * corepack's keys, the cache folder and the registry the install step may reach. */
static void rebuild_from_env(verify_args *a, const char *cache_dir, const char *registry)
{
    const char *keys = getenv("COREPACK_INTEGRITY_KEYS");
    a->rebuild.search_path = getenv("PATH");
    a->rebuild.ca_file = getenv("NODE_EXTRA_CA_CERTS");
    a->rebuild.cache_dir = cache_dir;
    a->rebuild.registry = registry;
    if (keys) {
        snprintf(a->rebuild_env_buf, sizeof(a->rebuild_env_buf), "COREPACK_INTEGRITY_KEYS=%s",
                 keys);
        a->rebuild_env[0] = a->rebuild_env_buf;
        a->rebuild.env = a->rebuild_env;
    }
}

/* Local mode, with the rebuild's settings. */
static int run_local(verify_args *a, sg_report **report)
{
    sg_npm_config *cfg = NULL;
    char dir[4096];
    const char *cache_dir = a->cache;
    int error;

    if (!cache_dir && cli_default_cache_dir(dir, sizeof(dir)) == 0)
        cache_dir = dir;
    if ((error = cli_load_npm_config(&cfg, a->ctx, a->registry)) < 0)
        return error;
    rebuild_from_env(a, cache_dir, sg_npm_config_registry_for(cfg, ""));
    a->opts.rebuild = &a->rebuild;
    error = sg_verify_local(report, a->ctx, &a->opts);
    sg_npm_config_free(cfg);
    return error;
}

/* Read --registry-keys and --trusted-root into t (the texts are malloc'd into t's fields). */
static int load_trust(sg_trust_opts *t, sg_ctx *ctx, const verify_args *a)
{
    size_t len = 0;
    char *text;

    if (a->registry_keys) {
        if (!(text = cli_read_small_file(a->registry_keys, &len)))
            return sg_error_set(ctx, SG_EINVALID, "cannot read --registry-keys file '%s'",
                                a->registry_keys);
        t->registry_keys = text;
        t->registry_keys_len = len;
        t->registry_keys_origin = a->registry_keys;
    }
    if (a->trusted_root) {
        if (!(text = cli_read_small_file(a->trusted_root, &len)))
            return sg_error_set(ctx, SG_EINVALID, "cannot read --trusted-root file '%s'",
                                a->trusted_root);
        t->trusted_root = text;
        t->trusted_root_len = len;
        t->trusted_root_origin = a->trusted_root;
    }
    return sg_trust_opts_check(ctx, t);
}

/* Registry mode: build the library's options from the CLI's and the environment. */
static int run_release(verify_args *a, sg_report **report, sg_buf *tarball)
{
    sg_verify_release_opts o = SG_VERIFY_RELEASE_OPTS_INIT;
    sg_trust_opts trust = SG_TRUST_OPTS_INIT;
    sg_npm_config *cfg = NULL;
    sg_url_rewrites *rw = NULL;
    sg_cache *cache = NULL;
    char *name = NULL, *spec = NULL, dir[4096];
    const char *cache_dir = NULL;
    int error;

    if ((error = cli_cache_dir(&cache_dir, a->ctx, a->cache, dir, sizeof(dir))) < 0 ||
        (error = load_trust(&trust, a->ctx, a)) < 0 ||
        (error = sg_release_spec_parse(&name, &spec, a->ctx, a->target)) < 0 ||
        (error = cli_load_npm_config(&cfg, a->ctx, a->registry)) < 0 ||
        (error = cli_load_rewrites(&rw, a->ctx, a->rewrites, a->nrewrites)) < 0 ||
        (error = sg_cache_open(&cache, a->ctx, cache_dir)) < 0)
        goto done;
    o.name = name;
    o.spec = spec;
    o.cache = cache;
    o.npm_config = cfg;
    o.rewrites = rw;
    o.offline = a->offline;
    o.source = a->opts.source;
    o.ref = a->opts.ref;
    o.subdir = a->opts.subdir;
    o.fail_on = a->opts.fail_on;
    o.tarball = tarball;
    o.trust = &trust; /* always: keys are fetched (cached), provenance read; docs/trust.md */
    rebuild_from_env(a, cache_dir, sg_npm_config_registry_for(cfg, name));
    o.rebuild = &a->rebuild;
    error = sg_verify_release(report, a->ctx, &o);
done:
    free((char *)trust.registry_keys);
    free((char *)trust.trusted_root);
    sg_release_spec_free(name, spec);
    sg_cache_free(cache);
    sg_url_rewrites_free(rw);
    sg_npm_config_free(cfg);
    return error;
}

int cli_cmd_verify(int argc, char **argv)
{
    static const cli_command_spec spec = {verify_opts, "verify", 2, on_opt, verify_help};
    verify_args a;
    sg_report *report = NULL;
    sg_buf tarball = SG_BUF_INIT;
    int rc, error;

    memset(&a, 0, sizeof(a));
    a.opts = (sg_verify_opts)SG_VERIFY_OPTS_INIT;
    a.rebuild = (sg_rebuild_opts)SG_REBUILD_OPTS_INIT;
    a.rebuild.mode = SG_REBUILD_AUTO;
    a.format = "text";
    if (cli_begin(&rc, &a.ctx, &spec, argc, argv, &a, &a.help))
        goto done;
    if (a.target && a.opts.tarball_path) {
        fprintf(stderr, "sourcegate verify: give either NAME@VERSION or --tarball, not both\n");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (!a.target && (!a.opts.tarball_path || !a.opts.source)) {
        fprintf(stderr, "sourcegate verify: NAME@VERSION, or --tarball FILE and --source GIT, "
                        "are required (see --help)\n");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if ((rc = cli_attest_prepare(&a.attest, a.ctx)) != 0)
        goto done;
    error = a.target ? run_release(&a, &report, &tarball) : run_local(&a, &report);
    if (error < 0) {
        rc = cli_report_error(a.ctx, error);
        goto done;
    }
    if (!a.quiet && (rc = write_report(&a, report)) != 0)
        goto done;
    if ((rc = cli_attest_write(&a.attest, a.ctx, report, a.opts.fail_on, a.opts.tarball_path,
                               tarball.size ? (const unsigned char *)tarball.ptr : NULL,
                               tarball.size)) != 0)
        goto done;
    rc = cli_exit_for_verdict(sg_report_verdict(report));
done:
    cli_attest_dispose(&a.attest);
    sg_buf_dispose(&tarball);
    sg_report_free(report);
    sg_ctx_free(a.ctx);
    return rc;
}
