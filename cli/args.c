/*
 * Option values that several subcommands take the same way: --fail-on and --git-rewrite.
 */
#include <stdio.h>

#include "cli.h"

int cli_parse_fail_on(sg_severity *out, const char *cmd, const char *value)
{
    if (sg_severity_parse(out, value) < 0) {
        fprintf(stderr,
                "sourcegate %s: --fail-on must be info, low, medium, high or critical, not "
                "'%s'\n",
                cmd, value);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_add_rewrite(char **rules, size_t *n, size_t max, const char *cmd, const char *value)
{
    if (*n == max) {
        fprintf(stderr, "sourcegate %s: at most %zu --git-rewrite rules\n", cmd, max);
        return CLI_EXIT_USAGE;
    }
    rules[(*n)++] = (char *)value;
    return 0;
}
