/*
 * sourcegate report: summarize what a store holds — every stored result, and the releases of
 * the newest audit run (or --run) that ended in an error — as text, JSON or an HTML page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sourcegate/audit.h>
#include <sourcegate/store.h>

#include "cli.h"
#include "cli_audit.h"

enum {
    OPT_STORE,
    OPT_CACHE,
    OPT_FORMAT,
    OPT_HTML,
    OPT_RUN,
    OPT_TITLE,
    OPT_OUTPUT,
    OPT_VERBOSE,
    OPT_HELP,
};

static const cli_opt report_opts[] = {
    {"store", 0, CLI_OPT_VALUE, "URL",
     "sqlite:PATH or postgresql://... (default: audit.sqlite in the cache folder)", OPT_STORE},
    {"cache", 0, CLI_OPT_VALUE, "DIR", "cache folder of the default store", OPT_CACHE},
    {"format", 0, CLI_OPT_VALUE, "FMT", "text (default) or json (schema sourcegate/audit/v1)",
     OPT_FORMAT},
    {"html", 0, CLI_OPT_VALUE, "FILE",
     "write a self-contained HTML page to FILE (the text or JSON report too only with --format)",
     OPT_HTML},
    {"run", 0, CLI_OPT_VALUE, "RUN", "list the errors of this audit run (default: the newest)",
     OPT_RUN},
    {"title", 0, CLI_OPT_VALUE, "TEXT", "title of the HTML page", OPT_TITLE},
    {"output", 'o', CLI_OPT_VALUE, "FILE", "write the text or JSON to FILE instead of stdout",
     OPT_OUTPUT},
    {"verbose", 'v', CLI_OPT_FLAG, NULL, "text: list every finding of every release", OPT_VERBOSE},
    {"help", 'h', CLI_OPT_FLAG, NULL, "show this help", OPT_HELP},
    {NULL, 0, CLI_OPT_FLAG, NULL, NULL, 0},
};

typedef struct report_args {
    const char *store, *cache; /* --store, --cache */
    const char *format;        /* --format, NULL when not given */
    const char *html;          /* --html FILE */
    const char *run;           /* --run */
    const char *title;         /* --title */
    const char *output;        /* -o */
    int verbose, help;         /* -v, -h */
    sg_ctx *ctx;               /* for errors */
    sg_audit *audit;           /* what is collected */
    int failed;                /* a callback failed (error in ctx) */
} report_args;

static void report_help(FILE *out)
{
    fprintf(out,
            "usage: sourcegate report [--store URL] [--cache DIR] [--format text|json]\n"
            "                         [--html FILE] [--run RUN] [--title TEXT] [-o FILE] [-v]\n\n"
            "Summarizes the results an audit stored: verdict counts, the failing and\n"
            "inconclusive releases with their findings, the releases that could not be\n"
            "verified. --html writes one page that opens offline: counts, charts of\n"
            "verdicts per package and over time, the findings, a filter box.\n\n"
            "Options:\n");
    cli_opt_help(out, report_opts);
    fprintf(out, "\nExit codes: 0 written, 2 usage or bad input, 4 the store or a file failed.\n");
}

static int on_opt(const cli_opt *o, const char *value, void *payload)
{
    report_args *a = payload;
    switch (o->id) {
    case OPT_STORE:
        a->store = value;
        break;
    case OPT_CACHE:
        a->cache = value;
        break;
    case OPT_FORMAT:
        if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0) {
            fprintf(stderr, "sourcegate report: --format must be text or json, not '%s'\n", value);
            return CLI_EXIT_USAGE;
        }
        a->format = value;
        break;
    case OPT_HTML:
        a->html = value;
        break;
    case OPT_RUN:
        a->run = value;
        break;
    case OPT_TITLE:
        a->title = value;
        break;
    case OPT_OUTPUT:
        a->output = value;
        break;
    case OPT_VERBOSE:
        a->verbose = 1;
        break;
    case OPT_HELP:
        a->help = 1;
        break;
    default:
        break;
    }
    return 0;
}

static int add_result(const sg_store_result *r, void *payload)
{
    report_args *a = payload;
    sg_audit_release rel;
    memset(&rel, 0, sizeof(rel));
    rel.ecosystem = r->ecosystem;
    rel.name = r->name;
    rel.version = r->version;
    rel.integrity = r->integrity && *r->integrity ? r->integrity : NULL;
    rel.verdict = r->verdict;
    rel.report_json = r->report_json;
    rel.report_len = r->report_len;
    rel.verified_at = r->verified_at;
    if (sg_audit_add_release(a->audit, a->ctx, &rel) < 0) {
        a->failed = 1;
        return 1;
    }
    return 0;
}

static int add_job_error(const sg_store_job_info *j, void *payload)
{
    report_args *a = payload;
    sg_audit_error e;
    if (strcmp(j->state, "error") != 0)
        return 0;
    memset(&e, 0, sizeof(e));
    e.ecosystem = j->ecosystem;
    e.name = j->name;
    e.spec = j->spec;
    e.message = j->error;
    e.attempts = j->attempts;
    e.at = j->finished_at;
    if (sg_audit_add_error(a->audit, a->ctx, &e) < 0) {
        a->failed = 1;
        return 1;
    }
    return 0;
}

/* The default store must exist: opening would create an empty one and report nothing. */
static int check_default_store(const char *url)
{
    struct stat sb;
    const char *path = url + strlen("sqlite:");
    if (stat(path, &sb) == 0)
        return 0;
    fprintf(stderr,
            "sourcegate report: no store at '%s' (run 'sourcegate audit' first, or give "
            "--store)\n",
            path);
    return CLI_EXIT_USAGE;
}

static int collect(report_args *a)
{
    char url[4400];
    sg_store *store = NULL;
    int rc, error;

    if ((rc = cli_audit_store_url(url, sizeof(url), "report", a->store, a->cache)) != 0 ||
        (!a->store && (rc = check_default_store(url)) != 0))
        return rc;
    if ((error = sg_store_open(&store, a->ctx, url, NULL)) < 0 ||
        (error = sg_audit_new(&a->audit, a->ctx)) < 0)
        goto done;
    error = sg_store_foreach_result(store, a->ctx, add_result, a);
    if (error == 0 || (error > 0 && !a->failed)) {
        error = sg_store_foreach_job(store, a->ctx, a->run, add_job_error, a);
        if (error == SG_ENOTFOUND && !a->run) { /* a store no audit ran on: no errors */
            sg_error_clear(a->ctx);
            error = 0;
        }
    }
done:
    sg_store_free(store);
    if (error != 0 || a->failed) {
        int code = sg_error_code_of(a->ctx);
        return cli_report_error(a->ctx, code ? code : SG_EDEP);
    }
    return 0;
}

static int emit(report_args *a)
{
    sg_audit_write_opts o = SG_AUDIT_WRITE_OPTS_INIT;
    sg_buf out = SG_BUF_INIT;
    int rc = 0, error = 0;

    o.title = a->title;
    o.generated_at = (int64_t)time(NULL);
    if (a->html) {
        if ((error = sg_audit_write_html(&out, a->ctx, a->audit, &o)) < 0 ||
            (rc = cli_write_output(a->html, &out, "the HTML page")) != 0)
            goto done;
        sg_buf_clear(&out);
    }
    if (a->html && !a->format) {
        sg_audit_counts c;
        sg_audit_get_counts(a->audit, &c);
        fprintf(stderr, "sourcegate report: wrote '%s' (%zu releases, %zu errors)\n", a->html,
                c.releases, c.errors);
        goto done;
    }
    if (a->format && strcmp(a->format, "json") == 0) {
        error = sg_audit_write_json(&out, a->ctx, a->audit, &o);
    } else {
        if (a->verbose)
            o.text_flags |= SG_TEXT_VERBOSE;
        if (!a->output && cli_color_wanted(STDOUT_FILENO))
            o.text_flags |= SG_TEXT_COLOR;
        error = sg_audit_write_text(&out, a->ctx, a->audit, &o);
    }
    if (error == 0)
        rc = cli_write_output(a->output, &out, "the report");
done:
    if (error < 0)
        rc = cli_report_error(a->ctx, error);
    sg_buf_dispose(&out);
    return rc;
}

int cli_cmd_report(int argc, char **argv)
{
    static const cli_command_spec spec = {report_opts, "report", 2, on_opt, report_help};
    report_args a;
    int rc;

    memset(&a, 0, sizeof(a));
    if (cli_begin(&rc, &a.ctx, &spec, argc, argv, &a, &a.help))
        goto done;
    if ((rc = collect(&a)) == 0)
        rc = emit(&a);
done:
    sg_audit_free(a.audit);
    sg_ctx_free(a.ctx);
    return rc;
}
