/*
 * The start of a subcommand: its context, its options and --help.
 */
#include <stdio.h>

#include "cli.h"

int cli_begin(int *rc, sg_ctx **ctx, const cli_command_spec *spec, int argc, char **argv,
              void *payload, const int *help)
{
    if (sg_ctx_new(ctx) < 0) {
        fprintf(stderr, "sourcegate: error: out of memory\n");
        *rc = CLI_EXIT_OPERATIONAL;
        return 1;
    }
    if ((*rc = cli_opt_parse(spec->opts, argc, argv, spec->first, spec->cmd, spec->on_opt,
                             payload)) != 0)
        return 1;
    if (*help) {
        spec->help(stdout);
        return 1;
    }
    return 0;
}
