#include "opt.h"

#include <string.h>

static const cli_opt *find_long(const cli_opt *opts, const char *name, size_t len)
{
    for (; opts->help; opts++)
        if (opts->name && strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
            return opts;
    return NULL;
}

static const cli_opt *find_short(const cli_opt *opts, char c)
{
    for (; opts->help; opts++)
        if (opts->short_name == c)
            return opts;
    return NULL;
}

static const cli_opt *find_positional(const cli_opt *opts)
{
    for (; opts->help; opts++)
        if (!opts->name && !opts->short_name)
            return opts;
    return NULL;
}

int cli_opt_parse(const cli_opt *opts, int argc, char **argv, int first, const char *cmd,
                  cli_opt_cb cb, void *payload)
{
    const cli_opt *pos = find_positional(opts);
    int i, only_positional = 0, rc;

    for (i = first; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        const cli_opt *o = NULL;

        if (!only_positional && strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (!only_positional && arg[0] == '-' && arg[1] == '-') {
            const char *eq = strchr(arg + 2, '=');
            size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
            o = find_long(opts, arg + 2, len);
            if (!o) {
                fprintf(stderr, "sourcegate %s: unknown option '%.*s' (see --help)\n", cmd,
                        (int)len + 2, arg);
                return 2;
            }
            if (eq && o->type == CLI_OPT_FLAG) {
                fprintf(stderr, "sourcegate %s: option '--%s' takes no value\n", cmd, o->name);
                return 2;
            }
            value = eq ? eq + 1 : NULL;
        } else if (!only_positional && arg[0] == '-' && arg[1] && !arg[2]) {
            o = find_short(opts, arg[1]);
            if (!o) {
                fprintf(stderr, "sourcegate %s: unknown option '%s' (see --help)\n", cmd, arg);
                return 2;
            }
        } else {
            if (!pos) {
                fprintf(stderr, "sourcegate %s: unexpected argument '%s'\n", cmd, arg);
                return 2;
            }
            if ((rc = cb(pos, arg, payload)) != 0)
                return rc;
            continue;
        }
        if (o->type == CLI_OPT_VALUE && !value) {
            if (i + 1 >= argc) {
                fprintf(stderr, "sourcegate %s: option '--%s' needs a value (%s)\n", cmd,
                        o->name, o->value_name ? o->value_name : "VALUE");
                return 2;
            }
            value = argv[++i];
        }
        if ((rc = cb(o, value, payload)) != 0)
            return rc;
    }
    return 0;
}

void cli_opt_help(FILE *out, const cli_opt *opts)
{
    for (; opts->help; opts++) {
        char left[64];
        if (!opts->name && !opts->short_name)
            continue;
        if (opts->short_name && opts->name)
            snprintf(left, sizeof(left), "-%c, --%s%s%s", opts->short_name, opts->name,
                     opts->value_name ? " " : "", opts->value_name ? opts->value_name : "");
        else if (opts->name)
            snprintf(left, sizeof(left), "    --%s%s%s", opts->name, opts->value_name ? " " : "",
                     opts->value_name ? opts->value_name : "");
        else
            snprintf(left, sizeof(left), "-%c", opts->short_name);
        if (strlen(left) > 26)
            fprintf(out, "  %s\n  %-26s  %s\n", left, "", opts->help);
        else
            fprintf(out, "  %-26s  %s\n", left, opts->help);
    }
}
