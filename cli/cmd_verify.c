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
#include "cli_progress.h"
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
    OPT_VERDICT_FIRST,
    OPT_VERDICT_LAST = OPT_VERDICT_FIRST + CLI_VERDICT_OPT__COUNT - 1,
    OPT_OUTPUT,
    OPT_QUIET,
    OPT_VERBOSE,
    OPT_ALL,
    OPT_PROGRESS,
    OPT_NO_DELTA,
    OPT_STAGE,
    OPT_REBUILD_RECIPE,
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
    CLI_VERDICT_OPT_ROWS(OPT_VERDICT_FIRST),
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
    {"all", 0, CLI_OPT_FLAG, NULL,
     "list every finding (by default the 20 most severe, then the rest grouped by kind)",
     OPT_ALL},
    {"progress", 0, CLI_OPT_VALUE, "WHEN", CLI_PROGRESS_OPT_HELP, OPT_PROGRESS},
    {"no-delta", 0, CLI_OPT_FLAG, NULL,
     "registry mode: skip the delta since the previous release", OPT_NO_DELTA},
    {"stage", 0, CLI_OPT_VALUE, "ID",
     "verify the staged publish ID (npm stage) instead of a published version", OPT_STAGE},
    {"rebuild-recipe", 0, CLI_OPT_VALUE, "FILE",
     "write the recipe of the rebuild that made a tarball as a shell script that rebuilds "
     "the release outside sourcegate (see sourcegate(1))",
     OPT_REBUILD_RECIPE},
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
    cli_verdict_args verdict; /* --rebuild and its limits, --registry-keys, --trusted-root */
    int quiet, verbose, all, help;   /* -q, -v, --all, -h */
    cli_progress_mode progress_mode; /* --progress */
    cli_progress progress;           /* its printer */
    cli_attest attest;   /* --attest FILE --key KEY.pem ... */
    sg_ctx *ctx;         /* limits are set on it while parsing */
    int no_delta;        /* --no-delta */
    const char *stage;   /* --stage ID */
    const char *recipe;  /* --rebuild-recipe FILE */
} verify_args;

static void verify_help(FILE *out)
{
    fprintf(out,
            "usage: sourcegate verify NAME@VERSION [--registry URL] [--cache DIR]\n"
            "                         [--git-rewrite FROM=TO]... [--source GIT] [--ref REV]\n"
            "                         [--offline] [--registry-keys FILE] [--trusted-root FILE]\n"
            "                         [--no-delta] [OPTIONS]\n"
            "       sourcegate verify [NAME@VERSION] --stage ID [--ref REV] ... [OPTIONS]\n"
            "       sourcegate verify --tarball FILE --source GIT [--ref REV] [--subdir DIR]\n"
            "                         [OPTIONS]\n"
            "OPTIONS: [--rebuild auto|always|never] [--rebuild-timeout SECONDS]\n"
            "         [--rebuild-memory MIB] [--rebuild-disk MIB] [--unsafe-no-sandbox]\n"
            "         [--rebuild-recipe FILE]\n"
            "         [--format text|json] [--fail-on SEVERITY] [--limit NAME=N]...\n"
            "         [-o FILE] [-q] [-v] [--all] [--progress auto|always|never]\n"
            "         [--attest FILE --key KEY.pem [--key-passphrase-env VAR]\n"
            "          [--key-passphrase-file FILE] [--allow-insecure-key-perms]]\n\n"
            "Compares a packed npm tarball with the files 'npm pack' would produce from a git\n"
            "commit, and their package.json manifests field by field. Every difference is a\n"
            "finding with a severity; the verdict is fail when a finding reaches --fail-on,\n"
            "inconclusive when generated files could not be verified, else pass.\n\n"
            "With NAME@VERSION (a version, dist-tag or range) the tarball comes from the\n"
            "registry and the source from the repository the release names, at the commit\n"
            "found by provenance, gitHead, tag or package.json history, and the report ends\n"
            "with the delta since the previous release (dependencies, install scripts, entry\n"
            "points, files, publishing facts). Bundled dependencies (the node_modules/ the\n"
            "tarball ships) are compared with the registry's releases of those packages.\n\n"
            "With --stage ID the release is a staged publish (npm stage publish), fetched with\n"
            "the registry auth of .npmrc and checked against its stage record before approval.\n\n"
            "Options:\n");
    cli_opt_help(out, verify_opts);
    fprintf(out, "\nExit codes: 0 pass, 1 fail, 2 usage or bad input, 3 inconclusive,\n"
                 "4 operational error.\n");
}

static int on_opt(const cli_opt *o, const char *value, void *payload)
{
    verify_args *a = payload;
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
    case OPT_REWRITE:
        return cli_add_rewrite(a->rewrites, &a->nrewrites,
                               sizeof(a->rewrites) / sizeof(a->rewrites[0]), "verify", value);
    case OPT_QUIET: a->quiet = 1; break;
    case OPT_VERBOSE: a->verbose = 1; break;
    case OPT_ALL: a->all = 1; break;
    case OPT_PROGRESS: return cli_progress_parse(&a->progress_mode, "verify", value);
    case OPT_NO_DELTA: a->no_delta = 1; break;
    case OPT_STAGE: a->stage = value; break;
    case OPT_REBUILD_RECIPE: a->recipe = value; break;
    case OPT_HELP: a->help = 1; break;
    default:
        if (o->id >= OPT_ATTEST_FIRST && o->id <= OPT_ATTEST_LAST)
            return cli_attest_on_opt(&a->attest, o->id - OPT_ATTEST_FIRST, value);
        if (o->id >= OPT_VERDICT_FIRST && o->id <= OPT_VERDICT_LAST)
            return cli_verdict_on_opt(&a->verdict, a->ctx, "verify", o->id - OPT_VERDICT_FIRST,
                                      value);
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
        if (a->all)
            flags |= SG_TEXT_ALL;
        if (!a->output && cli_color_wanted(STDOUT_FILENO))
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

/* --rebuild-recipe FILE: the script of the rebuild that worked. Without one (no rebuild, or it
 * failed) a warning: the verdict stands. */
static int write_recipe(const verify_args *a, const sg_report *report)
{
    sg_buf script = SG_BUF_INIT;
    int error, rc = 0;

    if (!a->recipe)
        return 0;
    error = sg_rebuild_recipe_script(&script, a->ctx, report);
    if (error == SG_ENOTFOUND) {
        fprintf(stderr, "sourcegate verify: warning: no recipe written to '%s': %s\n", a->recipe,
                sg_error_message(a->ctx));
        sg_error_clear(a->ctx);
    } else if (error < 0) {
        rc = cli_report_error(a->ctx, error);
    } else {
        rc = cli_write_output(a->recipe, &script, "the rebuild recipe");
    }
    sg_buf_dispose(&script);
    return rc;
}

/* Local mode, with the rebuild's settings. */
static int run_local(verify_args *a, sg_report **report)
{
    sg_npm_config *cfg = NULL;
    char dir[4096];
    const char *cache_dir = a->cache;
    int error;

    cli_git_tls_defer(); /* the repository is a local path or file:// URL */
    if (!cache_dir && cli_default_cache_dir(dir, sizeof(dir)) == 0)
        cache_dir = dir;
    if ((error = cli_load_npm_config(&cfg, a->ctx, a->registry)) < 0)
        return error;
    if ((error = cli_verdict_prepare(&a->verdict, a->ctx, cache_dir,
                                     sg_npm_config_registry_for(cfg, ""))) == 0) {
        a->opts.rebuild = &a->verdict.rebuild;
        error = sg_verify_local(report, a->ctx, &a->opts);
    }
    sg_npm_config_free(cfg);
    return error;
}

/* Registry mode: build the library's options from the CLI's and the environment. */
static int run_release(verify_args *a, sg_report **report, sg_buf *tarball)
{
    sg_verify_release_opts o = SG_VERIFY_RELEASE_OPTS_INIT;
    sg_npm_config *cfg = NULL;
    sg_url_rewrites *rw = NULL;
    sg_cache *cache = NULL;
    char *name = NULL, *spec = NULL, dir[4096];
    const char *cache_dir = NULL;
    int error;

    if ((error = cli_cache_dir(&cache_dir, a->ctx, a->cache, dir, sizeof(dir))) < 0 ||
        (a->target && (error = sg_release_spec_parse(&name, &spec, a->ctx, a->target)) < 0) ||
        (error = cli_load_npm_config(&cfg, a->ctx, a->registry)) < 0 ||
        (error = cli_load_rewrites(&rw, a->ctx, a->rewrites, a->nrewrites)) < 0 ||
        (error = sg_cache_open(&cache, a->ctx, cache_dir)) < 0 ||
        (error = cli_verdict_prepare(&a->verdict, a->ctx, cache_dir,
                                     sg_npm_config_registry_for(cfg, name))) < 0)
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
    o.no_delta = a->no_delta;
    o.stage_id = a->stage;
    o.trust = &a->verdict.trust; /* always: keys fetched (cached), provenance read; trust.md */
    o.rebuild = &a->verdict.rebuild;
    error = sg_verify_release(report, a->ctx, &o);
done:
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
    cli_verdict_init(&a.verdict);
    a.format = "text";
    if (cli_begin(&rc, &a.ctx, &spec, argc, argv, &a, &a.help))
        goto done;
    if (a.target && a.opts.tarball_path) {
        fprintf(stderr, "sourcegate verify: give either NAME@VERSION or --tarball, not both\n");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (a.stage && a.opts.tarball_path) {
        fprintf(stderr, "sourcegate verify: --stage verifies a staged publish, not --tarball\n");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (!a.target && !a.stage && (!a.opts.tarball_path || !a.opts.source)) {
        fprintf(stderr, "sourcegate verify: NAME@VERSION, or --tarball FILE and --source GIT, "
                        "are required (see --help)\n");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    a.attest.quiet = a.quiet;
    cli_progress_init(&a.progress, cli_progress_style_for(a.progress_mode, a.quiet));
    sg_ctx_set_progress(a.ctx, cli_progress_event, &a.progress);
    if ((rc = cli_attest_prepare(&a.attest, a.ctx)) != 0)
        goto done;
    error = a.target || a.stage ? run_release(&a, &report, &tarball) : run_local(&a, &report);
    if (error < 0) {
        cli_progress_clear(&a.progress);
        rc = cli_report_error(a.ctx, error);
        goto done;
    }
    cli_progress_clear(&a.progress);
    if (!a.quiet && (rc = write_report(&a, report)) != 0)
        goto done;
    if ((rc = write_recipe(&a, report)) != 0)
        goto done;
    if ((rc = cli_attest_write(&a.attest, a.ctx, report, a.opts.fail_on, a.opts.tarball_path,
                               tarball.size ? (const unsigned char *)tarball.ptr : NULL,
                               tarball.size)) != 0)
        goto done;
    rc = cli_exit_for_verdict(sg_report_verdict(report));
done:
    cli_attest_dispose(&a.attest);
    cli_verdict_dispose(&a.verdict);
    sg_buf_dispose(&tarball);
    sg_report_free(report);
    sg_ctx_free(a.ctx);
    return rc;
}
