/*
 * sourcegate verify: local mode (a packed tarball against a git commit).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

enum {
    OPT_TARGET,
    OPT_TARBALL,
    OPT_SOURCE,
    OPT_REF,
    OPT_SUBDIR,
    OPT_FORMAT,
    OPT_FAIL_ON,
    OPT_LIMIT,
    OPT_OUTPUT,
    OPT_QUIET,
    OPT_VERBOSE,
    OPT_HELP,
};

static const cli_opt verify_opts[] = {
    {NULL, 0, CLI_OPT_VALUE, "NAME@VERSION", "a release on the registry (not implemented yet)",
     OPT_TARGET},
    {"tarball", 0, CLI_OPT_VALUE, "FILE", "the packed package (.tgz) to verify", OPT_TARBALL},
    {"source", 0, CLI_OPT_VALUE, "GIT", "git repository: a path or a file:// URL", OPT_SOURCE},
    {"ref", 0, CLI_OPT_VALUE, "REV", "tag, branch or commit to compare with (default HEAD)",
     OPT_REF},
    {"subdir", 0, CLI_OPT_VALUE, "DIR", "package folder inside the repository (monorepos)",
     OPT_SUBDIR},
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
    {"help", 'h', CLI_OPT_FLAG, NULL, "show this help", OPT_HELP},
    {NULL, 0, CLI_OPT_FLAG, NULL, NULL, 0},
};

typedef struct verify_args {
    sg_verify_opts opts; /* what the library gets */
    const char *target;  /* NAME@VERSION, registry mode */
    const char *format;  /* "text" or "json" */
    const char *output;  /* report file, NULL for stdout */
    int quiet, verbose, help;
    sg_ctx *ctx;         /* limits are set on it while parsing */
} verify_args;

static void verify_help(FILE *out)
{
    fprintf(out,
            "usage: sourcegate verify --tarball FILE --source GIT [--ref REV] [--subdir DIR]\n"
            "                         [--format text|json] [--fail-on SEVERITY]\n\n"
            "Compares a packed npm tarball with the files 'npm pack' would produce from a git\n"
            "commit, and their package.json manifests field by field. Every difference is a\n"
            "finding with a severity; the verdict is fail when a finding reaches --fail-on,\n"
            "inconclusive when generated files could not be verified, else pass.\n\n"
            "Options:\n");
    cli_opt_help(out, verify_opts);
    fprintf(out, "\nExit codes: 0 pass, 1 fail, 2 usage or bad input, 3 inconclusive,\n"
                 "4 operational error.\n");
}

static int set_limit(verify_args *a, const char *spec)
{
    const char *eq = strchr(spec, '=');
    char name[64], *end = NULL;
    unsigned long long v;
    sg_limit which;

    if (!eq || (size_t)(eq - spec) >= sizeof(name)) {
        fprintf(stderr, "sourcegate verify: --limit takes NAME=NUMBER, not '%s'\n", spec);
        return CLI_EXIT_USAGE;
    }
    memcpy(name, spec, (size_t)(eq - spec));
    name[eq - spec] = '\0';
    if (sg_limit_lookup(&which, name) < 0) {
        fprintf(stderr, "sourcegate verify: unknown limit '%s'\n", name);
        return CLI_EXIT_USAGE;
    }
    v = strtoull(eq + 1, &end, 10);
    if (!*(eq + 1) || *end || eq[1] == '-') {
        fprintf(stderr, "sourcegate verify: limit '%s' needs a positive number\n", name);
        return CLI_EXIT_USAGE;
    }
    if (sg_ctx_set_limit(a->ctx, which, v) < 0) {
        fprintf(stderr, "sourcegate verify: %s\n", sg_error_message(a->ctx));
        return CLI_EXIT_USAGE;
    }
    return 0;
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
        if (sg_severity_parse(&a->opts.fail_on, value) < 0) {
            fprintf(stderr,
                    "sourcegate verify: --fail-on must be info, low, medium, high or critical, "
                    "not '%s'\n",
                    value);
            return CLI_EXIT_USAGE;
        }
        break;
    case OPT_LIMIT: return set_limit(a, value);
    case OPT_OUTPUT: a->output = value; break;
    case OPT_QUIET: a->quiet = 1; break;
    case OPT_VERBOSE: a->verbose = 1; break;
    case OPT_HELP: a->help = 1; break;
    }
    return 0;
}

static int write_report(const verify_args *a, const sg_report *report)
{
    sg_buf out = SG_BUF_INIT;
    FILE *f = stdout;
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
    if (a->output && !(f = fopen(a->output, "w"))) {
        fprintf(stderr, "sourcegate: error: cannot write '%s'\n", a->output);
        rc = CLI_EXIT_OPERATIONAL;
        goto done;
    }
    if (fwrite(out.ptr, 1, out.size, f) != out.size || fflush(f) != 0) {
        fprintf(stderr, "sourcegate: error: writing the report failed\n");
        rc = CLI_EXIT_OPERATIONAL;
    }
    if (f != stdout && fclose(f) != 0 && rc == 0) {
        fprintf(stderr, "sourcegate: error: writing '%s' failed\n", a->output);
        rc = CLI_EXIT_OPERATIONAL;
    }
done:
    sg_buf_dispose(&out);
    return rc;
}

int cli_cmd_verify(int argc, char **argv)
{
    verify_args a;
    sg_report *report = NULL;
    int rc, error;

    memset(&a, 0, sizeof(a));
    a.opts = (sg_verify_opts)SG_VERIFY_OPTS_INIT;
    a.format = "text";
    if (sg_ctx_new(&a.ctx) < 0) {
        fprintf(stderr, "sourcegate: error: out of memory\n");
        return CLI_EXIT_OPERATIONAL;
    }
    if ((rc = cli_opt_parse(verify_opts, argc, argv, 2, "verify", on_opt, &a)) != 0)
        goto done;
    if (a.help) {
        verify_help(stdout);
        goto done;
    }
    if (a.target && !a.opts.tarball_path) {
        fprintf(stderr, "sourcegate verify: registry mode (verify NAME@VERSION) is not "
                        "implemented yet; use --tarball FILE --source GIT\n");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (a.target || !a.opts.tarball_path || !a.opts.source) {
        fprintf(stderr, "sourcegate verify: %s\n",
                a.target ? "give either NAME@VERSION or --tarball, not both"
                         : "--tarball FILE and --source GIT are required (see --help)");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if ((error = sg_verify_local(&report, a.ctx, &a.opts)) < 0) {
        rc = cli_report_error(a.ctx, error);
        goto done;
    }
    if (!a.quiet && (rc = write_report(&a, report)) != 0)
        goto done;
    rc = cli_exit_for_verdict(sg_report_verdict(report));
done:
    sg_report_free(report);
    sg_ctx_free(a.ctx);
    return rc;
}
