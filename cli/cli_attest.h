/*
 * Command-line pieces for signed attestations: the keygen and attest subcommands, and the
 * --attest FILE --key KEY.pem options of verify.
 */
#ifndef SG_CLI_ATTEST_H
#define SG_CLI_ATTEST_H

#include <stddef.h>

#include <sourcegate/sourcegate.h>
#include <sourcegate/attest.h>

#include "opt.h"

/** sourcegate keygen [--type p256|ed25519] --out KEY.pem [--force] [--passphrase-env VAR |
 *  --passphrase-file FILE] */
int cli_cmd_keygen(int argc, char **argv);

/** sourcegate attest verify FILE --key PUB.pem [--artifact FILE] [--type URI]
 *  [--require-passed] [--limit NAME=N] [-q];  sourcegate attest policy [--fail-on SEVERITY] [--digest] */
int cli_cmd_attest(int argc, char **argv);

/** What verify's attestation options asked for, and the key they loaded. */
typedef struct cli_attest {
    const char *attest_path;      /**< --attest FILE; NULL: no attestation */
    const char *key_path;         /**< --key KEY.pem (private key) */
    const char *passphrase_env;   /**< --key-passphrase-env VAR */
    const char *passphrase_file;  /**< --key-passphrase-file FILE */
    int allow_insecure_key_perms; /**< --allow-insecure-key-perms */
    sg_key *key;                  /**< loaded by cli_attest_prepare() */
    int quiet;                    /**< -q: do not say what was written */
} cli_attest;

#define CLI_ATTEST_INIT { NULL, NULL, NULL, NULL, 0, NULL, 0 }

/** Option ids of the rows of CLI_ATTEST_OPT_ROWS, relative to the first id given. */
enum {
    CLI_ATTEST_OPT_ATTEST,
    CLI_ATTEST_OPT_KEY,
    CLI_ATTEST_OPT_PASS_ENV,
    CLI_ATTEST_OPT_PASS_FILE,
    CLI_ATTEST_OPT_INSECURE,
    CLI_ATTEST_OPT__COUNT
};

/**
 * The option-table rows of verify's attestation options, with ids first_id .. first_id+4
 * (first_id + CLI_ATTEST_OPT_*). Paste into a table: `CLI_ATTEST_OPT_ROWS(OPT_ATTEST_FIRST),`.
 */
/* clang-format off */
#define CLI_ATTEST_OPT_ROWS(first_id) \
    {"attest", 0, CLI_OPT_VALUE, "FILE", \
     "sign the result: write DSSE attestations (JSON Lines) to FILE; needs --key", \
     (first_id) + CLI_ATTEST_OPT_ATTEST}, \
    {"key", 0, CLI_OPT_VALUE, "KEY.pem", "private key (PEM) that signs the attestations", \
     (first_id) + CLI_ATTEST_OPT_KEY}, \
    {"key-passphrase-env", 0, CLI_OPT_VALUE, "VAR", \
     "passphrase of an encrypted key: environment variable VAR", \
     (first_id) + CLI_ATTEST_OPT_PASS_ENV}, \
    {"key-passphrase-file", 0, CLI_OPT_VALUE, "FILE", \
     "passphrase of an encrypted key: first line of FILE", \
     (first_id) + CLI_ATTEST_OPT_PASS_FILE}, \
    {"allow-insecure-key-perms", 0, CLI_OPT_FLAG, NULL, \
     "accept a private key file readable by group or others", \
     (first_id) + CLI_ATTEST_OPT_INSECURE}
/* clang-format on */

/**
 * Store one of those options (which = o->id - first_id) in a. Returns 0, or 2 after printing
 * a message when it was given twice.
 */
int cli_attest_on_opt(cli_attest *a, int which, const char *value);

/**
 * Check the options and load the signing key. Call after parsing and before verifying, so a
 * bad key or passphrase fails fast. Does nothing when a->attest_path is NULL. Returns 0 or an
 * exit code (2: usage, missing or insecure key, wrong passphrase; 4: I/O) after printing the
 * reason. ctx: the command's context.
 */
int cli_attest_prepare(cli_attest *a, sg_ctx *ctx);

/**
 * Sign and write the attestations of a decided report (failed and inconclusive ones too) to
 * a->attest_path. The tarball is given as bytes (tarball != NULL) or read from tarball_path;
 * fail_on is the --fail-on in force. Does nothing when a->attest_path is NULL. Returns 0 or
 * an exit code after printing the reason.
 */
int cli_attest_write(cli_attest *a, sg_ctx *ctx, const sg_report *report, sg_severity fail_on,
                     const char *tarball_path, const unsigned char *tarball, size_t len);

/** Free the key. */
void cli_attest_dispose(cli_attest *a);

/**
 * Read a passphrase: from environment variable env_name, or from the first line of file
 * (one trailing "\n" or "\r\n" removed). Exactly one of them may be non-NULL; with neither,
 * *out is left empty and *given is 0. Returns 0 or an exit code after printing the reason.
 * Wipe with cli_attest_wipe().
 */
int cli_attest_read_passphrase(sg_buf *out, int *given, const char *cmd, const char *env_name,
                               const char *file);

/** Zero a buffer's bytes and dispose it. */
void cli_attest_wipe(sg_buf *buf);

#endif
