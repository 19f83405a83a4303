/*
 * Command-line pieces for auditors: sourcegate audit (many releases through a store's job
 * queue) and sourcegate report (a summary of what the store holds).
 */
#ifndef SG_CLI_AUDIT_H
#define SG_CLI_AUDIT_H

#include <stddef.h>

/** sourcegate audit --list FILE [--jobs N] [--store URL] [--run NAME] [--lease SECONDS]
 *  [--registry URL] [--cache DIR] [--git-rewrite FROM=TO]... [--offline] [--rebuild WHEN]
 *  [--rebuild-timeout S] [--rebuild-memory MIB] [--unsafe-no-sandbox] [--registry-keys FILE]
 *  [--trusted-root FILE] [--fail-on SEV] [--limit NAME=N]... [-q] */
int cli_cmd_audit(int argc, char **argv);

/** sourcegate report [--store URL] [--cache DIR] [--format text|json] [--html FILE]
 *  [--run RUN] [--title TEXT] [-o FILE] [-v] */
int cli_cmd_report(int argc, char **argv);

/**
 * The store URL to use: store_arg when given, else "sqlite:<cache folder>/audit.sqlite" with
 * the cache folder from cache_arg or the default. Returns 0, or 2 after printing why there is
 * no cache folder. cmd names the command in messages.
 */
int cli_audit_store_url(char *out, size_t size, const char *cmd, const char *store_arg,
                        const char *cache_arg);

#endif
