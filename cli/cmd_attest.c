/*
 * sourcegate attest: verify signed attestations (JSON Lines of DSSE envelopes) and print the
 * policy document; plus the --attest/--key options of verify.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cli_attest.h"

/* Read a whole file into out, refusing more than limit bytes. 0 or an exit code. */
static int read_file(sg_buf *out, const char *cmd, const char *what, const char *path,
                     uint64_t limit)
{
    char chunk[65536];
    FILE *f = fopen(path, "rb");
    int rc = 0;

    if (!f) {
        fprintf(stderr, "sourcegate %s: cannot open %s '%s': %s\n", cmd, what, path,
                strerror(errno));
        return errno == ENOENT ? CLI_EXIT_USAGE : CLI_EXIT_OPERATIONAL;
    }
    sg_buf_init(out, limit > SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)limit);
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), f);
        if (n && sg_buf_put(out, chunk, n) < 0) {
            fprintf(stderr, "sourcegate %s: %s '%s' is larger than %llu bytes\n", cmd, what,
                    path, (unsigned long long)limit);
            rc = out->error == SG_ELIMIT ? CLI_EXIT_USAGE : CLI_EXIT_OPERATIONAL;
            break;
        }
        if (n < sizeof(chunk)) {
            if (ferror(f)) {
                fprintf(stderr, "sourcegate %s: cannot read %s '%s'\n", cmd, what, path);
                rc = CLI_EXIT_OPERATIONAL;
            }
            break;
        }
    }
    fclose(f);
    explicit_bzero(chunk, sizeof(chunk)); /* it may have held a passphrase */
    return rc;
}

void cli_attest_wipe(sg_buf *buf)
{
    if (buf->asize)
        explicit_bzero(buf->ptr, buf->size);
    sg_buf_dispose(buf);
}

int cli_attest_read_passphrase(sg_buf *out, int *given, const char *cmd, const char *env_name,
                               const char *file)
{
    int rc;

    *given = 0;
    if (env_name && file) {
        fprintf(stderr, "sourcegate %s: give the passphrase by environment variable or by file, "
                        "not both\n",
                cmd);
        return CLI_EXIT_USAGE;
    }
    if (env_name) {
        const char *v = getenv(env_name);
        if (!v) {
            fprintf(stderr, "sourcegate %s: environment variable '%s' (the passphrase) is not "
                            "set\n",
                    cmd, env_name);
            return CLI_EXIT_USAGE;
        }
        if (sg_buf_puts(out, v) < 0)
            return CLI_EXIT_OPERATIONAL;
        *given = 1;
        return 0;
    }
    if (!file)
        return 0;
    if ((rc = read_file(out, cmd, "passphrase file", file, 4096)) != 0)
        return rc;
    /* Only the first line: a file written by `echo` ends in a newline. */
    {
        char *nl = memchr(out->ptr, '\n', out->size);
        if (nl)
            sg_buf_truncate(out, (size_t)(nl - out->ptr));
        if (out->size && out->ptr[out->size - 1] == '\r')
            sg_buf_truncate(out, out->size - 1);
    }
    *given = 1;
    return 0;
}

/* ---- verify --attest FILE --key KEY.pem ---- */

int cli_attest_on_opt(cli_attest *a, int which, const char *value)
{
    const char **slot = NULL;
    switch (which) {
    case CLI_ATTEST_OPT_ATTEST: slot = &a->attest_path; break;
    case CLI_ATTEST_OPT_KEY: slot = &a->key_path; break;
    case CLI_ATTEST_OPT_PASS_ENV: slot = &a->passphrase_env; break;
    case CLI_ATTEST_OPT_PASS_FILE: slot = &a->passphrase_file; break;
    case CLI_ATTEST_OPT_INSECURE: a->allow_insecure_key_perms = 1; return 0;
    default: return 0;
    }
    if (*slot) {
        fprintf(stderr, "sourcegate verify: an attestation option was given twice ('%s')\n",
                value);
        return CLI_EXIT_USAGE;
    }
    *slot = value;
    return 0;
}

int cli_attest_prepare(cli_attest *a, sg_ctx *ctx)
{
    sg_key_load_opts lo = SG_KEY_LOAD_OPTS_INIT;
    sg_buf pass = SG_BUF_INIT;
    int rc, error, given = 0;

    if (!a->attest_path) {
        if (a->key_path || a->passphrase_env || a->passphrase_file) {
            fprintf(stderr, "sourcegate verify: --key and its passphrase options need "
                            "--attest FILE\n");
            return CLI_EXIT_USAGE;
        }
        return 0;
    }
    if (!a->key_path) {
        fprintf(stderr, "sourcegate verify: --attest FILE needs --key KEY.pem (make one with "
                        "'sourcegate keygen --out KEY.pem')\n");
        return CLI_EXIT_USAGE;
    }
    if ((rc = cli_attest_read_passphrase(&pass, &given, "verify", a->passphrase_env,
                                         a->passphrase_file)) != 0)
        goto done;
    lo.passphrase = given ? (const unsigned char *)pass.ptr : NULL;
    lo.passphrase_len = pass.size;
    lo.allow_insecure_perms = a->allow_insecure_key_perms;
    if ((error = sg_key_load_private(&a->key, ctx, a->key_path, &lo)) < 0) {
        rc = cli_report_error(ctx, error);
        if (strstr(sg_error_message(ctx), "group or others"))
            fprintf(stderr, "hint: --allow-insecure-key-perms accepts it anyway\n");
        else if (strstr(sg_error_message(ctx), "no passphrase"))
            fprintf(stderr, "hint: give --key-passphrase-env VAR or --key-passphrase-file FILE\n");
        goto done;
    }
    rc = 0;
done:
    cli_attest_wipe(&pass);
    return rc;
}

/* Write data to path (created or truncated). 0 or an exit code. */
static int write_whole(const char *cmd, const char *path, const sg_buf *data)
{
    FILE *f = fopen(path, "wb");
    int ok;
    if (!f) {
        fprintf(stderr, "sourcegate %s: cannot write '%s': %s\n", cmd, path, strerror(errno));
        return CLI_EXIT_OPERATIONAL;
    }
    ok = fwrite(data->ptr, 1, data->size, f) == data->size;
    ok = fclose(f) == 0 && ok;
    if (!ok) {
        fprintf(stderr, "sourcegate %s: writing '%s' failed\n", cmd, path);
        remove(path);
        return CLI_EXIT_OPERATIONAL;
    }
    return 0;
}

/* One line on stderr: what --attest wrote, where, with which key. */
static void say_written(const cli_attest *a, sg_ctx *ctx, const sg_report *report,
                        const sg_buf *out)
{
    sg_buf keyid = SG_BUF_INIT;
    size_t i, lines = 0;
    for (i = 0; i < out->size; i++)
        lines += out->ptr[i] == '\n';
    if (sg_key_id(&keyid, ctx, a->key) < 0)
        sg_buf_clear(&keyid);
    fprintf(stderr,
            "sourcegate verify: wrote %zu signed statement%s to '%s' (SLSA VSA: %s; the report), "
            "key %s\n",
            lines, lines == 1 ? "" : "s", a->attest_path,
            sg_report_verdict(report) == SG_VERDICT_PASS ? "PASSED" : "FAILED",
            keyid.size ? keyid.ptr : "(no id)");
    sg_buf_dispose(&keyid);
}

int cli_attest_write(cli_attest *a, sg_ctx *ctx, const sg_report *report, sg_severity fail_on,
                     const char *tarball_path, const unsigned char *tarball, size_t len)
{
    sg_attest_opts opts = SG_ATTEST_OPTS_INIT;
    sg_buf bytes = SG_BUF_INIT, out = SG_BUF_INIT;
    int rc = 0, error;

    if (!a->attest_path)
        return 0;
    if (!a->key) {
        fprintf(stderr, "sourcegate verify: internal error: attestation key not loaded\n");
        return CLI_EXIT_OPERATIONAL;
    }
    if (!tarball) {
        if (!tarball_path) {
            fprintf(stderr, "sourcegate verify: cannot attest: no tarball to name\n");
            return CLI_EXIT_OPERATIONAL;
        }
        if ((rc = read_file(&bytes, "verify", "tarball", tarball_path,
                            sg_ctx_limit(ctx, SG_LIMIT_TARBALL_BYTES))) != 0)
            goto done;
        tarball = (const unsigned char *)bytes.ptr;
        len = bytes.size;
    }
    opts.time_verified = (int64_t)time(NULL);
    opts.fail_on = fail_on;
    if ((error = sg_attest_write(&out, ctx, a->key, report, tarball, len, &opts)) < 0) {
        rc = cli_report_error(ctx, error);
        goto done;
    }
    if ((rc = write_whole("verify", a->attest_path, &out)) == 0 && !a->quiet)
        say_written(a, ctx, report, &out);
done:
    sg_buf_dispose(&bytes);
    sg_buf_dispose(&out);
    return rc;
}

void cli_attest_dispose(cli_attest *a)
{
    sg_key_free(a->key);
    a->key = NULL;
}

/* ---- attest verify ---- */

enum {
    OPT_FILE,
    OPT_KEY,
    OPT_ARTIFACT,
    OPT_TYPE,
    OPT_REQUIRE_PASSED,
    OPT_QUIET,
    OPT_FAIL_ON,
    OPT_DIGEST,
    OPT_LIMIT,
    OPT_HELP,
};

static const cli_opt verify_opts[] = {
    {NULL, 0, CLI_OPT_VALUE, "FILE", "attestations: DSSE envelopes, one per line", OPT_FILE},
    {"key", 0, CLI_OPT_VALUE, "PUB.pem", "public key (PEM) the envelopes must be signed with",
     OPT_KEY},
    {"artifact", 0, CLI_OPT_VALUE, "FILE",
     "require FILE's sha256/sha512 among every statement's subjects", OPT_ARTIFACT},
    {"type", 0, CLI_OPT_VALUE, "URI",
     "require this predicateType (also: vsa, report)", OPT_TYPE},
    {"require-passed", 0, CLI_OPT_FLAG, NULL,
     "also fail a VSA whose verificationResult is not PASSED", OPT_REQUIRE_PASSED},
    {"limit", 0, CLI_OPT_VALUE, "NAME=N",
     "set an input limit, e.g. json-size=1000000 (repeatable; see sourcegate(1))", OPT_LIMIT},
    {"quiet", 'q', CLI_OPT_FLAG, NULL, "print nothing; the exit code tells", OPT_QUIET},
    {"help", 'h', CLI_OPT_FLAG, NULL, "show this help", OPT_HELP},
    {NULL, 0, CLI_OPT_FLAG, NULL, NULL, 0},
};

static const cli_opt policy_opts[] = {
    {"fail-on", 0, CLI_OPT_VALUE, "SEVERITY", "the --fail-on of the verification (default high)",
     OPT_FAIL_ON},
    {"digest", 0, CLI_OPT_FLAG, NULL, "print the document's sha256 (the VSA's policy digest)",
     OPT_DIGEST},
    {"help", 'h', CLI_OPT_FLAG, NULL, "show this help", OPT_HELP},
    {NULL, 0, CLI_OPT_FLAG, NULL, NULL, 0},
};

typedef struct attest_args {
    const char *file;     /* the JSON Lines file */
    const char *key;      /* public key path */
    const char *artifact; /* --artifact */
    const char *type;     /* --type, resolved to a URI */
    int require_passed, quiet, help, digest;
    sg_severity fail_on;  /* attest policy --fail-on */
    sg_ctx *ctx;          /* limits are set on it while parsing */
} attest_args;

static void attest_help(FILE *out)
{
    fprintf(out,
            "usage: sourcegate attest verify FILE --key PUB.pem [--artifact FILE] [--type URI]\n"
            "                                [--require-passed] [--limit NAME=N] [-q]\n"
            "       sourcegate attest policy [--fail-on SEVERITY] [--digest]\n\n"
            "verify checks every line of FILE, a DSSE envelope written by 'sourcegate verify\n"
            "--attest': a signature made with the key over the DSSE PAE, the payloadType\n"
            "application/vnd.in-toto+json, an in-toto Statement v1, and optionally its\n"
            "predicateType and that the artifact's digest is a subject.\n"
            "policy prints the policy document whose sha256 a VSA names as policy.digest.\n\n"
            "Options of verify:\n");
    cli_opt_help(out, verify_opts);
    fprintf(out, "\nOptions of policy:\n");
    cli_opt_help(out, policy_opts);
    fprintf(out, "\nExit codes: 0 every envelope verified, 1 a verification failed, 2 usage or\n"
                 "bad input (unreadable file, bad JSON or base64, no envelopes), 4 operational "
                 "error.\n");
}

static int on_opt(const cli_opt *o, const char *value, void *payload)
{
    attest_args *a = payload;
    switch (o->id) {
    case OPT_FILE:
        if (a->file) {
            fprintf(stderr, "sourcegate attest: one file at a time ('%s', then '%s')\n", a->file,
                    value);
            return CLI_EXIT_USAGE;
        }
        a->file = value;
        break;
    case OPT_KEY: a->key = value; break;
    case OPT_ARTIFACT: a->artifact = value; break;
    case OPT_TYPE:
        a->type = strcmp(value, "vsa") == 0      ? SG_VSA_PREDICATE_V1
                  : strcmp(value, "report") == 0 ? SG_REPORT_PREDICATE_V1
                                                 : value;
        break;
    case OPT_REQUIRE_PASSED: a->require_passed = 1; break;
    case OPT_QUIET: a->quiet = 1; break;
    case OPT_FAIL_ON:
        return cli_parse_fail_on(&a->fail_on, "attest", value);
    case OPT_DIGEST: a->digest = 1; break;
    case OPT_LIMIT: return cli_set_limit(a->ctx, "attest", value);
    case OPT_HELP: a->help = 1; break;
    }
    return 0;
}

/* Counts over the envelopes of a file. */
typedef struct tally {
    size_t total, verified, failed, malformed; /* envelopes by outcome */
    size_t passed_vsas;                         /* verified VSAs whose result is PASSED */
} tally;

static void print_check(const attest_args *a, size_t n, const sg_attest_check *c)
{
    if (a->quiet)
        return;
    if (c->status != SG_ATTEST_VERIFIED) {
        printf("envelope %zu: FAILED (%s): %s\n", n, sg_attest_status_name(c->status), c->detail);
        return;
    }
    printf("envelope %zu: verified  %s  subject %s", n, c->predicate_type,
           c->subject_name ? c->subject_name : "(unnamed)");
    if (c->verification_result)
        printf("  verificationResult %s", c->verification_result);
    printf("  signature %zu of %zu", c->signature_index + 1, c->signature_count);
    if (c->keyid && *c->keyid)
        printf(" (keyid %s)", c->keyid);
    printf("\n");
}

/* Verify one line (envelope number n). */
static void verify_line(tally *t, const attest_args *a, sg_ctx *ctx, const sg_key *key,
                        const sg_attest_verify_opts *vo, const char *line, size_t len, size_t n)
{
    sg_attest_check c = SG_ATTEST_CHECK_INIT;
    int error;

    t->total++;
    sg_error_clear(ctx);
    if ((error = sg_attest_verify_envelope(&c, ctx, key, line, len, vo)) < 0) {
        t->malformed++;
        if (!a->quiet)
            printf("envelope %zu: ERROR (bad input): %s\n", n, sg_error_message(ctx));
        goto done;
    }
    if (c.status == SG_ATTEST_VERIFIED && a->require_passed && c.verification_result &&
        strcmp(c.verification_result, "PASSED") != 0) {
        if (!a->quiet)
            printf("envelope %zu: FAILED (not passed): the VSA's verificationResult is %s\n",
                   n, c.verification_result);
        t->failed++;
        goto done;
    }
    /* A report statement says only what was verified: with --require-passed, its verdict must
     * be pass too (issue 12). */
    if (c.status == SG_ATTEST_VERIFIED && a->require_passed && c.predicate_type &&
        strcmp(c.predicate_type, SG_REPORT_PREDICATE_V1) == 0 &&
        (!c.report_verdict || strcmp(c.report_verdict, "pass") != 0)) {
        if (!a->quiet)
            printf("envelope %zu: FAILED (not passed): the report's verdict is %s\n", n,
                   c.report_verdict ? c.report_verdict : "missing");
        t->failed++;
        goto done;
    }
    if (c.status == SG_ATTEST_VERIFIED && c.verification_result &&
        strcmp(c.verification_result, "PASSED") == 0)
        t->passed_vsas++;
    print_check(a, n, &c);
    if (c.status == SG_ATTEST_VERIFIED)
        t->verified++;
    else
        t->failed++;
done:
    sg_attest_check_dispose(&c);
}

/* Split the file into lines and verify each non-blank one. */
static void verify_lines(tally *t, const attest_args *a, sg_ctx *ctx, const sg_key *key,
                         const sg_attest_verify_opts *vo, const sg_buf *file)
{
    size_t pos = 0, lineno = 0;
    while (pos < file->size) {
        const char *start = file->ptr + pos;
        const char *nl = memchr(start, '\n', file->size - pos);
        size_t len = nl ? (size_t)(nl - start) : file->size - pos, i;
        int blank = 1;
        pos += len + (nl ? 1 : 0);
        for (i = 0; i < len && blank; i++)
            blank = start[i] == ' ' || start[i] == '\t' || start[i] == '\r';
        if (blank)
            continue;
        verify_line(t, a, ctx, key, vo, start, len, ++lineno);
    }
}

static int digest_artifact(attest_args *a, sg_ctx *ctx, char sha256[65], char sha512[129])
{
    sg_buf bytes = SG_BUF_INIT;
    int rc, error;
    if ((rc = read_file(&bytes, "attest", "artifact", a->artifact,
                        sg_ctx_limit(ctx, SG_LIMIT_TARBALL_BYTES))) != 0)
        goto done;
    if ((error = sg_attest_artifact_digests(sha256, sha512, ctx,
                                            (const unsigned char *)bytes.ptr, bytes.size)) < 0)
        rc = cli_report_error(ctx, error);
done:
    sg_buf_dispose(&bytes);
    return rc;
}

static int attest_verify(attest_args *a, sg_ctx *ctx)
{
    sg_attest_verify_opts vo = SG_ATTEST_VERIFY_OPTS_INIT;
    sg_buf file = SG_BUF_INIT, keyid = SG_BUF_INIT;
    sg_key *key = NULL;
    char sha256[65], sha512[129];
    tally t = {0, 0, 0, 0, 0};
    int rc = 0, error;

    if (!a->file || !a->key) {
        fprintf(stderr, "sourcegate attest verify: FILE and --key PUB.pem are required (see "
                        "--help)\n");
        return CLI_EXIT_USAGE;
    }
    if ((error = sg_key_load_public(&key, ctx, a->key)) < 0 ||
        (error = sg_key_id(&keyid, ctx, key)) < 0) {
        rc = cli_report_error(ctx, error);
        goto done;
    }
    if (a->artifact) {
        if ((rc = digest_artifact(a, ctx, sha256, sha512)) != 0)
            goto done;
        vo.artifact_sha256 = sha256;
        vo.artifact_sha512 = sha512;
    }
    vo.predicate_type = a->type;
    if ((rc = read_file(&file, "attest", "attestation file", a->file,
                        sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE))) != 0)
        goto done;
    verify_lines(&t, a, ctx, key, &vo, &file);
    if (t.total == 0) {
        fprintf(stderr, "sourcegate attest: no envelopes in '%s'\n", a->file);
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (!a->quiet) {
        printf("%zu of %zu envelope(s) verified with key %s", t.verified, t.total, keyid.ptr);
        if (a->artifact)
            printf(", artifact %s (sha256 %s)", a->artifact, sha256);
        printf("\n");
    }
    rc = t.malformed ? CLI_EXIT_USAGE : t.failed ? CLI_EXIT_FAIL : CLI_EXIT_PASS;
    if (rc == CLI_EXIT_PASS && a->require_passed && t.passed_vsas == 0) {
        if (!a->quiet)
            printf("FAILED (not passed): no verified VSA with verificationResult PASSED%s\n",
                   a->artifact ? " for this artifact" : "");
        rc = CLI_EXIT_FAIL;
    }
done:
    sg_key_free(key);
    sg_buf_dispose(&file);
    sg_buf_dispose(&keyid);
    return rc;
}

static int attest_policy(attest_args *a, sg_ctx *ctx)
{
    sg_buf doc = SG_BUF_INIT;
    int rc = 0, error;

    if ((error = sg_attest_policy_document(&doc, ctx, a->fail_on)) < 0) {
        rc = cli_report_error(ctx, error);
        goto done;
    }
    if (a->digest) {
        /* SHA-256 through the public API: the digest the VSA carries. */
        char hex[65], sha512[129];
        if ((error = sg_attest_artifact_digests(hex, sha512, ctx, (const unsigned char *)doc.ptr,
                                                doc.size)) < 0) {
            rc = cli_report_error(ctx, error);
            goto done;
        }
        printf("%s\n", hex);
    } else {
        fwrite(doc.ptr, 1, doc.size, stdout);
        printf("\n");
    }
done:
    sg_buf_dispose(&doc);
    return rc;
}

int cli_cmd_attest(int argc, char **argv)
{
    cli_command_spec spec = {NULL, "attest", 3, on_opt, attest_help};
    attest_args a;
    const char *sub = argc > 2 ? argv[2] : NULL;
    int rc = 0;

    memset(&a, 0, sizeof(a));
    a.fail_on = SG_SEV_HIGH;
    if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        attest_help(sub ? stdout : stderr);
        return sub ? 0 : CLI_EXIT_USAGE;
    }
    if (strcmp(sub, "verify") != 0 && strcmp(sub, "policy") != 0) {
        fprintf(stderr, "sourcegate attest: unknown subcommand '%s' (verify or policy)\n", sub);
        return CLI_EXIT_USAGE;
    }
    spec.opts = strcmp(sub, "verify") == 0 ? verify_opts : policy_opts;
    if (cli_begin(&rc, &a.ctx, &spec, argc, argv, &a, &a.help))
        goto done;
    rc = strcmp(sub, "verify") == 0 ? attest_verify(&a, a.ctx) : attest_policy(&a, a.ctx);
done:
    sg_ctx_free(a.ctx);
    return rc;
}
