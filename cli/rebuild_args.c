/*
 * The options that change a verdict, in one table and one parser for verify, lockfile and
 * audit (issue 14: one verdict everywhere): the rebuild and its limits, the trust policy. The
 * canonical "verdict options" string written here is what the store records with every
 * verdict, and a stored verdict is reused only by a run with the same string.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_verdict_init(cli_verdict_args *v)
{
    memset(v, 0, sizeof(*v));
    v->rebuild = (sg_rebuild_opts)SG_REBUILD_OPTS_INIT;
    v->rebuild.mode = SG_REBUILD_AUTO;
    v->trust = (sg_trust_opts)SG_TRUST_OPTS_INIT;
}

/* A positive decimal number no larger than max, for the rebuild limits. */
static int parse_count(unsigned long long *out, const char *cmd, const char *opt, const char *value,
                       unsigned long long max)
{
    char *end = NULL;
    unsigned long long n = strtoull(value, &end, 10);
    if (!*value || *end || value[0] == '-' || n == 0 || n > max) {
        fprintf(stderr, "sourcegate %s: --%s needs a number from 1 to %llu, not '%s'\n", cmd, opt,
                max, value);
        return CLI_EXIT_USAGE;
    }
    *out = n;
    return 0;
}

int cli_verdict_on_opt(cli_verdict_args *v, sg_ctx *ctx, const char *cmd, int which,
                       const char *value)
{
    unsigned long long n = 0;
    int rc;
    switch (which) {
    case CLI_VERDICT_OPT_REBUILD:
        if (sg_rebuild_mode_parse(&v->rebuild.mode, ctx, value) < 0) {
            sg_error_clear(ctx);
            fprintf(stderr, "sourcegate %s: --rebuild must be auto, always or never, not '%s'\n",
                    cmd, value);
            return CLI_EXIT_USAGE;
        }
        break;
    case CLI_VERDICT_OPT_UNSAFE_NO_SANDBOX:
        v->rebuild.allow_unsafe_no_sandbox = 1;
        break;
    case CLI_VERDICT_OPT_REBUILD_TIMEOUT:
        if ((rc = parse_count(&n, cmd, "rebuild-timeout", value, 86400)) != 0)
            return rc;
        v->rebuild.timeout_seconds = (unsigned)n;
        break;
    case CLI_VERDICT_OPT_REBUILD_MEMORY:
        if ((rc = parse_count(&n, cmd, "rebuild-memory", value, 1048576)) != 0)
            return rc;
        v->rebuild.memory_bytes = (uint64_t)n << 20;
        break;
    case CLI_VERDICT_OPT_REBUILD_DISK:
        if ((rc = parse_count(&n, cmd, "rebuild-disk", value, 1048576)) != 0)
            return rc;
        v->rebuild.disk_bytes = (uint64_t)n << 20;
        break;
    case CLI_VERDICT_OPT_REGISTRY_KEYS:
        v->registry_keys = value;
        break;
    case CLI_VERDICT_OPT_TRUSTED_ROOT:
        v->trusted_root = value;
        break;
    default:
        break;
    }
    return 0;
}

/* What the rebuild takes from the environment: programs on PATH, extra CA certificates,
 * corepack's keys. */
static void rebuild_from_env(cli_verdict_args *v, const char *cache_dir, const char *registry)
{
    const char *keys = getenv("COREPACK_INTEGRITY_KEYS");
    v->rebuild.search_path = getenv("PATH");
    v->rebuild.ca_file = getenv("NODE_EXTRA_CA_CERTS");
    v->rebuild.cache_dir = cache_dir;
    v->rebuild.registry = registry;
    if (keys) {
        snprintf(v->rebuild_env_buf, sizeof(v->rebuild_env_buf), "COREPACK_INTEGRITY_KEYS=%s",
                 keys);
        v->rebuild_env[0] = v->rebuild_env_buf;
        v->rebuild.env = v->rebuild_env;
    }
}

/* Read one pinned file into *text and name it in the verdict options: "sha256:HEX". */
static int load_pin(const char **text, size_t *len, char digest[72], sg_ctx *ctx, const char *path,
                    const char *opt)
{
    char sha256[65], sha512[129];
    char *t = cli_read_small_file(path, len);
    int error;
    if (!t)
        return sg_error_set(ctx, SG_EINVALID, "cannot read --%s file '%s'", opt, path);
    *text = t;
    if ((error = sg_attest_artifact_digests(sha256, sha512, ctx, (const unsigned char *)t, *len)) <
        0)
        return error;
    snprintf(digest, 72, "sha256:%s", sha256);
    return 0;
}

int cli_verdict_prepare(cli_verdict_args *v, sg_ctx *ctx, const char *cache_dir,
                        const char *registry)
{
    char keys[72] = "registry", root[72] = "none", limits[160] = "";
    sg_trust_opts *t = &v->trust;
    int error;

    rebuild_from_env(v, cache_dir, registry);
    if (v->registry_keys && (error = load_pin(&t->registry_keys, &t->registry_keys_len, keys, ctx,
                                              v->registry_keys, "registry-keys")) < 0)
        return error;
    t->registry_keys_origin = v->registry_keys;
    v->rebuild.registry_keys = t->registry_keys; /* the package manager corepack fetches */
    v->rebuild.registry_keys_len = t->registry_keys_len;
    if (v->trusted_root && (error = load_pin(&t->trusted_root, &t->trusted_root_len, root, ctx,
                                             v->trusted_root, "trusted-root")) < 0)
        return error;
    t->trusted_root_origin = v->trusted_root;
    if ((error = sg_trust_opts_check(ctx, t)) < 0)
        return error;
    /* the limits decide a rebuild's outcome only when there is one */
    if (v->rebuild.mode != SG_REBUILD_NEVER)
        snprintf(
            limits, sizeof(limits), " timeout=%u memory=%" PRIu64 " disk=%" PRIu64 " sandbox=%s",
            v->rebuild.timeout_seconds ? v->rebuild.timeout_seconds : SG_REBUILD_DEFAULT_TIMEOUT,
            (uint64_t)(v->rebuild.memory_bytes ? v->rebuild.memory_bytes
                                               : SG_REBUILD_DEFAULT_MEMORY) >>
                20,
            (uint64_t)(v->rebuild.disk_bytes ? v->rebuild.disk_bytes : SG_REBUILD_DEFAULT_DISK) >>
                20,
            v->rebuild.allow_unsafe_no_sandbox ? "optional" : "required");
    snprintf(v->options, sizeof(v->options),
             "verdict-options/1 rebuild=%s%s registry-keys=%s trusted-root=%s",
             sg_rebuild_mode_name(v->rebuild.mode), limits, keys, root);
    return 0;
}

void cli_verdict_dispose(cli_verdict_args *v)
{
    free((char *)v->trust.registry_keys);
    free((char *)v->trust.trusted_root);
    v->trust = (sg_trust_opts)SG_TRUST_OPTS_INIT;
}
