/*
 * Command-line options: one table per subcommand drives both parsing and --help
 * (libgit2 src/cli/opt.h, git parse-options).
 */
#ifndef SG_CLI_OPT_H
#define SG_CLI_OPT_H

#include <stdio.h>

typedef enum {
    CLI_OPT_FLAG,  /**< no value */
    CLI_OPT_VALUE, /**< one value: --name VALUE or --name=VALUE */
} cli_opt_type;

typedef struct cli_opt {
    const char *name;       /**< long name without dashes, or NULL for a positional */
    char short_name;        /**< single-letter alias, or 0 */
    cli_opt_type type;      /**< flag or value */
    const char *value_name; /**< placeholder shown in help ("FILE") */
    const char *help;       /**< one line */
    int id;                 /**< passed to the callback */
} cli_opt;

/** Called for each option (or positional, with opt->name NULL); returns 0 or an exit code. */
typedef int (*cli_opt_cb)(const cli_opt *opt, const char *value, void *payload);

/**
 * Parse argv[first..argc) against opts (terminated by an entry with help == NULL). "--" ends
 * options. Unknown options and missing values print one line to stderr and return 2.
 */
int cli_opt_parse(const cli_opt *opts, int argc, char **argv, int first, const char *cmd,
                  cli_opt_cb cb, void *payload);

/** Print the options of the table, aligned. */
void cli_opt_help(FILE *out, const cli_opt *opts);

#endif
