/*
 * sourcegate: does what the registry serves match the source it claims to come from?
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_attest.h"
#include "cli_audit.h"
#include "cli_lockfile.h"

static const cli_command commands[] = {
    {"verify", "verify NAME@VERSION | --tarball FILE --source GIT",
     "verify a release (or a packed tarball) against its git commit", cli_cmd_verify},
    {"stage", "stage list [NAME]", "list staged publishes (verify one: verify --stage ID)",
     cli_cmd_stage},
    {"cache", "cache prune [--older-than DAYS]", "manage the local cache", cli_cmd_cache},
    {"lockfile", "lockfile LOCKFILE [--base OLD-LOCKFILE] [--jobs N] [--format text|json|sarif]",
     "verify the releases a lockfile pins (or those changed since --base)", cli_cmd_lockfile},
    {"audit", "audit --list FILE [--jobs N] [--store URL]",
     "verify many releases into a store; resumable, shareable", cli_cmd_audit},
    {"report", "report [--store URL] [--format text|json] [--html FILE]",
     "summarize an audit store: text, JSON or an HTML page", cli_cmd_report},
    {"attest", "attest verify ENVELOPE --key PUB.pem",
     "verify signed attestations", cli_cmd_attest},
    {"keygen", "keygen [--type p256|ed25519] --out KEY.pem",
     "make a signing key", cli_cmd_keygen},
};

int cli_exit_for_error(int code)
{
    switch (code) {
    case SG_EINVALID:
    case SG_ELIMIT:
    case SG_ENOTFOUND:
    case SG_EUNSUPPORTED:
        return CLI_EXIT_USAGE;
    default:
        return CLI_EXIT_OPERATIONAL;
    }
}

int cli_report_error(sg_ctx *ctx, int code)
{
    const char *msg = sg_error_message(ctx);
    fprintf(stderr, "sourcegate: error: %s\n", msg && *msg ? msg : sg_error_name(code));
    return cli_exit_for_error(code);
}

int cli_exit_for_verdict(sg_verdict verdict)
{
    switch (verdict) {
    case SG_VERDICT_PASS: return CLI_EXIT_PASS;
    case SG_VERDICT_FAIL: return CLI_EXIT_FAIL;
    default: return CLI_EXIT_INCONCLUSIVE;
    }
}

static void usage(FILE *out)
{
    size_t i;
    fprintf(out, "usage: sourcegate COMMAND [OPTIONS]\n\n"
                 "Checks that a package release matches the source it claims to come from.\n\n"
                 "Commands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nOptions:\n"
                 "  -h, --help     show this help; 'sourcegate help COMMAND' for a command\n"
                 "  --version      print the version\n\n"
                 "Exit codes: 0 pass, 1 fail, 2 usage or bad input, 3 inconclusive,\n"
                 "4 operational error. See sourcegate(1).\n");
}

/* 'sourcegate help COMMAND': the same as 'sourcegate COMMAND --help'. */
static int help_command(const char *name)
{
    size_t i;
    char *args[4];
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(name, commands[i].name) != 0 || !commands[i].run)
            continue;
        args[0] = (char *)"sourcegate";
        args[1] = (char *)commands[i].name;
        args[2] = (char *)"--help";
        args[3] = NULL;
        return commands[i].run(3, args);
    }
    fprintf(stderr, "sourcegate: unknown command '%s' (see 'sourcegate --help')\n", name);
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        (strcmp(argv[1], "help") == 0 && argc == 2)) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0) /* help COMMAND: that command's --help */
        return help_command(argv[2]);
    if (strcmp(argv[1], "--version") == 0) {
        printf("sourcegate %s\n", sg_version());
        return 0;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        if (!commands[i].run) {
            fprintf(stderr, "sourcegate: '%s' is not implemented yet (usage will be: sourcegate %s)\n",
                    commands[i].name, commands[i].usage);
            return CLI_EXIT_USAGE;
        }
        return commands[i].run(argc, argv);
    }
    fprintf(stderr, "sourcegate: unknown command '%s' (see 'sourcegate --help')\n", argv[1]);
    return CLI_EXIT_USAGE;
}
