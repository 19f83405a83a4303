/*
 * sourcegate cache prune [--older-than DAYS] [--cache DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_ACTION, OPT_OLDER, OPT_DIR, OPT_HELP };

static const cli_opt cache_opts[] = {
    {NULL, 0, CLI_OPT_VALUE, "ACTION", "prune", OPT_ACTION},
    {"older-than", 0, CLI_OPT_VALUE, "DAYS",
     "remove what was not used for DAYS days (default 30; 0 removes everything)", OPT_OLDER},
    {"cache", 0, CLI_OPT_VALUE, "DIR", "cache folder (default $XDG_CACHE_HOME/sourcegate)",
     OPT_DIR},
    {"help", 'h', CLI_OPT_FLAG, NULL, "show this help", OPT_HELP},
    {NULL, 0, CLI_OPT_FLAG, NULL, NULL, 0},
};

typedef struct cache_args {
    const char *action, *dir;
    unsigned long long days;
    int help;
} cache_args;

static int on_opt(const cli_opt *o, const char *value, void *payload)
{
    cache_args *a = payload;
    char *end = NULL;
    switch (o->id) {
    case OPT_ACTION:
        if (a->action) {
            fprintf(stderr, "sourcegate cache: one action at a time\n");
            return CLI_EXIT_USAGE;
        }
        a->action = value;
        break;
    case OPT_OLDER:
        a->days = strtoull(value, &end, 10);
        if (!*value || *end || value[0] == '-' || a->days > 36500) {
            fprintf(stderr, "sourcegate cache: --older-than takes a number of days, not '%s'\n",
                    value);
            return CLI_EXIT_USAGE;
        }
        break;
    case OPT_DIR: a->dir = value; break;
    case OPT_HELP: a->help = 1; break;
    }
    return 0;
}

int cli_cmd_cache(int argc, char **argv)
{
    cache_args a = {NULL, NULL, 30, 0};
    sg_ctx *ctx = NULL;
    sg_cache *cache = NULL;
    sg_cache_prune_stats st = {0, 0, 0};
    char dir[4096];
    int rc, error;

    if ((rc = cli_opt_parse(cache_opts, argc, argv, 2, "cache", on_opt, &a)) != 0)
        return rc;
    if (a.help) {
        printf("usage: sourcegate cache prune [--older-than DAYS] [--cache DIR]\n\n"
               "Removes cached tarballs, packuments, git mirrors, rebuild logs and the rebuild\n"
               "gateway's index entries not used for DAYS days, and the dependency cache older\n"
               "versions shared between rebuilds (rebuild/npm-cache) whatever its age.\n\n"
               "Options:\n");
        cli_opt_help(stdout, cache_opts);
        return 0;
    }
    if (!a.action || strcmp(a.action, "prune") != 0) {
        fprintf(stderr, "sourcegate cache: the only action is 'prune' (see --help)\n");
        return CLI_EXIT_USAGE;
    }
    if (!a.dir) {
        if (cli_default_cache_dir(dir, sizeof(dir)) < 0) {
            fprintf(stderr, "sourcegate cache: no cache folder: set --cache, XDG_CACHE_HOME or "
                            "HOME\n");
            return CLI_EXIT_USAGE;
        }
        a.dir = dir;
    }
    if (sg_ctx_new(&ctx) < 0)
        return CLI_EXIT_OPERATIONAL;
    if ((error = sg_cache_open(&cache, ctx, a.dir)) < 0 ||
        (error = sg_cache_prune(&st, ctx, cache, (uint64_t)a.days * 86400u)) < 0) {
        rc = cli_report_error(ctx, error);
    } else {
        printf("removed %llu files and %llu git mirrors, %.1f MiB freed\n",
               (unsigned long long)st.files_removed, (unsigned long long)st.mirrors_removed,
               (double)st.bytes_freed / (1024.0 * 1024.0));
        rc = 0;
    }
    sg_cache_free(cache);
    sg_ctx_free(ctx);
    return rc;
}
