/*
 * sourcegate keygen: make a signing key for attestations.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_attest.h"

enum {
    OPT_TYPE,
    OPT_OUT,
    OPT_FORCE,
    OPT_PASS_ENV,
    OPT_PASS_FILE,
    OPT_HELP,
};

static const cli_opt keygen_opts[] = {
    {"type", 0, CLI_OPT_VALUE, "TYPE", "p256 (ECDSA P-256, default) or ed25519", OPT_TYPE},
    {"out", 'o', CLI_OPT_VALUE, "KEY.pem",
     "private key file (mode 0600); the public key goes to KEY.pub.pem", OPT_OUT},
    {"force", 'f', CLI_OPT_FLAG, NULL, "replace existing key files", OPT_FORCE},
    {"passphrase-env", 0, CLI_OPT_VALUE, "VAR",
     "encrypt the private key with the passphrase in environment variable VAR", OPT_PASS_ENV},
    {"passphrase-file", 0, CLI_OPT_VALUE, "FILE",
     "encrypt the private key with the first line of FILE", OPT_PASS_FILE},
    {"help", 'h', CLI_OPT_FLAG, NULL, "show this help", OPT_HELP},
    {NULL, 0, CLI_OPT_FLAG, NULL, NULL, 0},
};

typedef struct keygen_args {
    sg_key_type type;          /* --type */
    const char *out;           /* --out */
    const char *pass_env;      /* --passphrase-env */
    const char *pass_file;     /* --passphrase-file */
    int force, help;
} keygen_args;

static void keygen_help(FILE *out)
{
    fprintf(out, "usage: sourcegate keygen [--type p256|ed25519] --out KEY.pem [--force]\n"
                 "                         [--passphrase-env VAR | --passphrase-file FILE]\n\n"
                 "Writes a new private key as PKCS#8 PEM (mode 0600) and its public key as\n"
                 "SubjectPublicKeyInfo PEM beside it (KEY.pub.pem), then prints the key id\n"
                 "(the SHA256: fingerprint that 'ssh-keygen -l' shows). Sign with\n"
                 "'sourcegate verify ... --attest FILE --key KEY.pem'; check with\n"
                 "'sourcegate attest verify FILE --key KEY.pub.pem'.\n\nOptions:\n");
    cli_opt_help(out, keygen_opts);
}

static int on_opt(const cli_opt *o, const char *value, void *payload)
{
    keygen_args *a = payload;
    switch (o->id) {
    case OPT_TYPE:
        if (sg_key_type_parse(&a->type, value) < 0) {
            fprintf(stderr, "sourcegate keygen: --type must be p256 or ed25519, not '%s'\n",
                    value);
            return CLI_EXIT_USAGE;
        }
        break;
    case OPT_OUT: a->out = value; break;
    case OPT_FORCE: a->force = 1; break;
    case OPT_PASS_ENV: a->pass_env = value; break;
    case OPT_PASS_FILE: a->pass_file = value; break;
    case OPT_HELP: a->help = 1; break;
    }
    return 0;
}

int cli_cmd_keygen(int argc, char **argv)
{
    static const cli_command_spec spec = {keygen_opts, "keygen", 2, on_opt, keygen_help};
    keygen_args a;
    sg_buf pass = SG_BUF_INIT, pub_path = SG_BUF_INIT, keyid = SG_BUF_INIT;
    sg_ctx *ctx = NULL;
    sg_key *key = NULL;
    int rc, error, given = 0;

    memset(&a, 0, sizeof(a));
    a.type = SG_KEY_P256;
    if (cli_begin(&rc, &ctx, &spec, argc, argv, &a, &a.help))
        goto done;
    if (!a.out) {
        fprintf(stderr, "sourcegate keygen: --out KEY.pem is required (see --help)\n");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if ((rc = cli_attest_read_passphrase(&pass, &given, "keygen", a.pass_env, a.pass_file)) != 0)
        goto done;
    if ((error = sg_key_generate(&key, ctx, a.type)) < 0 ||
        (error = sg_key_save(ctx, key, a.out, a.force ? SG_KEY_SAVE_FORCE : 0,
                             given ? (const unsigned char *)pass.ptr : NULL, pass.size)) < 0 ||
        (error = sg_key_id(&keyid, ctx, key)) < 0 ||
        (error = sg_key_public_path(&pub_path, a.out)) < 0) {
        rc = cli_report_error(ctx, error);
        if (strstr(sg_error_message(ctx), "already exists"))
            fprintf(stderr, "hint: --force replaces it\n");
        goto done;
    }
    printf("private key: %s (%s%s, mode 0600)\npublic key:  %s\nkeyid:       %s\n", a.out,
           sg_key_type_name(a.type), given ? ", encrypted" : "", pub_path.ptr, keyid.ptr);
done:
    cli_attest_wipe(&pass);
    sg_buf_dispose(&pub_path);
    sg_buf_dispose(&keyid);
    sg_key_free(key);
    sg_ctx_free(ctx);
    return rc;
}
