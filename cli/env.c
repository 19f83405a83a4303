/*
 * What the CLI reads from the user's environment on the library's behalf: the cache folder,
 * npm's configuration (.npmrc files, npm_config_registry) and git's URL rewrites.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

char *cli_read_small_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;
    if (!f)
        return NULL;
    buf = malloc((1u << 20) + 1);
    if (!buf) {
        fclose(f);
        return NULL;
    }
    n = fread(buf, 1, 1u << 20, f); /* config files past 1 MiB are cut, never trusted whole */
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

int cli_default_cache_dir(char *out, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    int n;
    if (xdg && *xdg == '/')
        n = snprintf(out, size, "%s/sourcegate", xdg);
    else if (home && *home)
        n = snprintf(out, size, "%s/.cache/sourcegate", home);
    else
        return -1;
    return n > 0 && (size_t)n < size ? 0 : -1;
}

int cli_cache_dir(const char **out, sg_ctx *ctx, const char *arg, char *buf, size_t size)
{
    *out = arg;
    if (arg)
        return 0;
    if (cli_default_cache_dir(buf, size) < 0)
        return sg_error_set(ctx, SG_EINVALID,
                            "no cache folder: set --cache, XDG_CACHE_HOME or HOME");
    *out = buf;
    return 0;
}

static const char *env_lookup(const char *name)
{
    return getenv(name);
}

/* npm reads its npm_config_* variables case-insensitively; the lowercase spelling wins. */
static const char *npm_env(const char *lower, const char *upper)
{
    const char *v = getenv(lower);
    if (!v || !*v)
        v = getenv(upper);
    return v && *v ? v : NULL;
}

/* npm's project .npmrc sits in the project root: the nearest folder, from the current one
 * upward, that holds a package.json. Falls back to ./.npmrc. */
static int project_npmrc(char *out, size_t size)
{
    char dir[4096];
    struct stat st;
    if (!getcwd(dir, sizeof(dir)))
        return -1;
    for (;;) {
        char probe[4200];
        char *slash;
        snprintf(probe, sizeof(probe), "%s/package.json", dir);
        if (stat(probe, &st) == 0) {
            int n = snprintf(out, size, "%s/.npmrc", dir);
            return n > 0 && (size_t)n < size ? 0 : -1;
        }
        slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            break;
        *slash = '\0';
    }
    return snprintf(out, size, ".npmrc") > 0 ? 0 : -1;
}

/* npm reads the user's .npmrc ($npm_config_userconfig or ~/.npmrc), then the project's
 * (./.npmrc); later settings win. npm_config_registry and --registry win over both. */
int cli_load_npm_config(sg_npm_config **out, sg_ctx *ctx, const char *registry_arg)
{
    char path[4096], project[4096];
    const char *user = npm_env("npm_config_userconfig", "NPM_CONFIG_USERCONFIG");
    const char *home = getenv("HOME"), *registry_env;
    const char *files[2] = {NULL, NULL};
    size_t i, len;
    int error;

    if ((error = sg_npm_config_new(out, ctx)) < 0)
        return error;
    if (project_npmrc(project, sizeof(project)) == 0)
        files[1] = project;
    if (user)
        files[0] = user;
    else if (home && *home && snprintf(path, sizeof(path), "%s/.npmrc", home) < (int)sizeof(path))
        files[0] = path;
    for (i = 0; i < 2; i++) {
        char *text = files[i] ? cli_read_small_file(files[i], &len) : NULL;
        if (!text)
            continue;
        error = sg_npm_config_parse(*out, ctx, text, len, files[i], env_lookup);
        free(text);
        if (error < 0)
            return error;
    }
    registry_env = npm_env("npm_config_registry", "NPM_CONFIG_REGISTRY");
    if (registry_env && (error = sg_npm_config_set_registry(*out, ctx, registry_env)) < 0)
        return error;
    if (registry_arg && (error = sg_npm_config_set_registry(*out, ctx, registry_arg)) < 0)
        return error;
    return 0;
}

/* git's url.<base>.insteadOf from the user's configuration ($XDG_CONFIG_HOME/git/config and
 * ~/.gitconfig), then the --git-rewrite options (which win: longer or later FROM). */
int cli_load_rewrites(sg_url_rewrites **out, sg_ctx *ctx, char **rules, size_t nrules)
{
    char path[4096];
    const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
    size_t i, len;
    int error;

    if ((error = sg_url_rewrites_new(out, ctx)) < 0)
        return error;
    for (i = 0; i < 2; i++) {
        char *text;
        int n = i == 0 ? (xdg && *xdg ? snprintf(path, sizeof(path), "%s/git/config", xdg)
                                      : snprintf(path, sizeof(path), "%s/.config/git/config",
                                                 home ? home : ""))
                       : snprintf(path, sizeof(path), "%s/.gitconfig", home ? home : "");
        if (n <= 0 || (size_t)n >= sizeof(path) || !home)
            continue;
        if (!(text = cli_read_small_file(path, &len)))
            continue;
        error = sg_url_rewrites_add_gitconfig(*out, ctx, text, len);
        free(text);
        if (error < 0)
            return error;
    }
    for (i = 0; i < nrules; i++) {
        char *eq = strchr(rules[i], '=');
        if (!eq || eq == rules[i]) {
            return sg_error_set(ctx, SG_EINVALID, "--git-rewrite takes FROM=TO, not '%s'",
                                rules[i]);
        }
        *eq = '\0';
        error = sg_url_rewrites_add(*out, ctx, rules[i], eq + 1);
        *eq = '=';
        if (error < 0)
            return error;
    }
    return 0;
}

int cli_set_limit(sg_ctx *ctx, const char *cmd, const char *spec)
{
    const char *eq = strchr(spec, '=');
    char name[64], *end = NULL;
    unsigned long long v;
    sg_limit which;

    if (!eq || (size_t)(eq - spec) >= sizeof(name)) {
        fprintf(stderr, "sourcegate %s: --limit takes NAME=NUMBER, not '%s'\n", cmd, spec);
        return CLI_EXIT_USAGE;
    }
    memcpy(name, spec, (size_t)(eq - spec));
    name[eq - spec] = '\0';
    if (sg_limit_lookup(&which, name) < 0) {
        fprintf(stderr, "sourcegate %s: unknown limit '%s'\n", cmd, name);
        return CLI_EXIT_USAGE;
    }
    errno = 0;
    v = strtoull(eq + 1, &end, 10);
    if (!eq[1] || *end || eq[1] == '-' || errno) {
        fprintf(stderr, "sourcegate %s: limit '%s' needs a positive number\n", cmd, name);
        return CLI_EXIT_USAGE;
    }
    if (sg_ctx_set_limit(ctx, which, v) < 0) {
        fprintf(stderr, "sourcegate %s: %s\n", cmd, sg_error_message(ctx));
        return CLI_EXIT_USAGE;
    }
    return 0;
}
