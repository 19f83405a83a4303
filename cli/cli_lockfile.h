/*
 * sourcegate lockfile: verify the registry entries of a lockfile (cmd_lockfile.c).
 */
#ifndef SG_CLI_LOCKFILE_H
#define SG_CLI_LOCKFILE_H

/** The `lockfile` subcommand: argv[1] is "lockfile". Returns the exit code. */
int cli_cmd_lockfile(int argc, char **argv);

#endif
