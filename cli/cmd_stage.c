/*
 * sourcegate stage list [NAME] [--registry URL] [--format text|json]
 *
 * The staged publishes the user's registry auth can see (npm stage, docs/staged-publishing.md);
 * each is verified with `sourcegate verify --stage ID`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_ACTION, OPT_REGISTRY, OPT_FORMAT, OPT_HELP };

static const cli_opt stage_opts[] = {
    {NULL, 0, CLI_OPT_VALUE, "list [NAME]", "list the staged publishes (of package NAME)",
     OPT_ACTION},
    {"registry", 0, CLI_OPT_VALUE, "URL",
     "npm registry (default: npm_config_registry, then .npmrc, then registry.npmjs.org)",
     OPT_REGISTRY},
    {"format", 0, CLI_OPT_VALUE, "FMT", "text (default: one line each) or json", OPT_FORMAT},
    {"help", 'h', CLI_OPT_FLAG, NULL, "show this help", OPT_HELP},
    {NULL, 0, CLI_OPT_FLAG, NULL, NULL, 0},
};

typedef struct stage_args {
    const char *action;   /* "list" */
    const char *name;     /* NAME, or NULL */
    const char *registry; /* --registry */
    int json;             /* --format json */
    int help;             /* --help */
} stage_args;

static void stage_help(FILE *out)
{
    fprintf(out, "usage: sourcegate stage list [NAME] [--registry URL] [--format text|json]\n\n"
                 "Lists the staged publishes (npm stage publish) the registry auth of .npmrc can\n"
                 "see, one line each: id, name@version, tag, staged by, when, status. Verify one\n"
                 "before approving it with 'sourcegate verify --stage ID'.\n\n"
                 "Options:\n");
    cli_opt_help(out, stage_opts);
    fprintf(out, "\nExit codes: 0 listed, 2 usage or bad input, 4 operational error (network,\n"
                 "the registry refusing the auth).\n");
}

static int on_opt(const cli_opt *o, const char *value, void *payload)
{
    stage_args *a = payload;
    switch (o->id) {
    case OPT_ACTION:
        if (!a->action) {
            a->action = value;
        } else if (!a->name) {
            a->name = value;
        } else {
            fprintf(stderr, "sourcegate stage: one package at a time ('%s', then '%s')\n", a->name,
                    value);
            return CLI_EXIT_USAGE;
        }
        break;
    case OPT_REGISTRY:
        a->registry = value;
        break;
    case OPT_FORMAT:
        if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0) {
            fprintf(stderr, "sourcegate stage: --format must be text or json, not '%s'\n", value);
            return CLI_EXIT_USAGE;
        }
        a->json = strcmp(value, "json") == 0;
        break;
    case OPT_HELP:
        a->help = 1;
        break;
    }
    return 0;
}

/* A field of a record as one printable token: registry strings must not drive the terminal
 * or break the one-line-each format. */
static void put_field(sg_buf *out, const cJSON *item, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, key));
    size_t i;
    if (!s || !*s) {
        sg_buf_putc(out, '-');
        return;
    }
    for (i = 0; s[i] && i < 200; i++)
        sg_buf_putc(out, (unsigned char)s[i] <= ' ' || s[i] == 0x7f ? '?' : s[i]);
}

static void put_line(sg_buf *out, const cJSON *item)
{
    put_field(out, item, "id");
    sg_buf_putc(out, ' ');
    put_field(out, item, "packageName");
    sg_buf_putc(out, '@');
    put_field(out, item, "version");
    sg_buf_puts(out, " tag=");
    put_field(out, item, "tag");
    sg_buf_puts(out, " by=");
    put_field(out, item, "actor");
    if (cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "actorType"))) {
        sg_buf_putc(out, '(');
        put_field(out, item, "actorType");
        sg_buf_putc(out, ')');
    }
    sg_buf_puts(out, " at=");
    put_field(out, item, "createdAt");
    sg_buf_puts(out, " status=");
    put_field(out, item, "status");
    sg_buf_putc(out, '\n');
}

static int list(const stage_args *a, sg_ctx *ctx)
{
    sg_registry_opts ro = SG_REGISTRY_OPTS_INIT;
    sg_npm_config *cfg = NULL;
    cJSON *items = NULL, *it;
    sg_buf out = SG_BUF_INIT;
    int error, rc;

    if ((error = cli_load_npm_config(&cfg, ctx, a->registry)) < 0)
        return cli_report_error(ctx, error);
    ro.config = cfg;
    if ((error = sg_stage_list(&items, ctx, &ro, a->name)) < 0) {
        rc = cli_report_error(ctx, error);
        goto done;
    }
    if (a->json) { /* the records as npm stage list --json prints them */
        char *text = cJSON_Print(items);
        if (!text) {
            rc = cli_report_error(ctx, sg_error_set(ctx, SG_ENOMEM, "out of memory"));
            goto done;
        }
        sg_buf_puts(&out, text);
        sg_buf_putc(&out, '\n');
        cJSON_free(text);
    } else {
        cJSON_ArrayForEach(it, items) put_line(&out, it);
    }
    rc = cli_write_output(NULL, &out, "the list");
done:
    sg_buf_dispose(&out);
    cJSON_Delete(items);
    sg_npm_config_free(cfg);
    return rc;
}

int cli_cmd_stage(int argc, char **argv)
{
    static const cli_command_spec spec = {stage_opts, "stage", 2, on_opt, stage_help};
    stage_args a;
    sg_ctx *ctx = NULL;
    int rc;

    memset(&a, 0, sizeof(a));
    if (cli_begin(&rc, &ctx, &spec, argc, argv, &a, &a.help))
        goto done;
    if (!a.action || strcmp(a.action, "list") != 0) {
        fprintf(stderr, "sourcegate stage: the only action is 'list' (see --help)\n");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    rc = list(&a, ctx);
done:
    sg_ctx_free(ctx);
    return rc;
}
