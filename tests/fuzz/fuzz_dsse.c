/*
 * libFuzzer target for attestation parsing (attest/). The first byte picks what the input is:
 *   'P'  the rest is a statement payload: it is signed with a fixed Ed25519 key (deterministic)
 *        and the envelope verified, so the statement checks behind the signature run too;
 *   'K'  the rest is PEM text, parsed as a public and as a private key;
 *   else the whole input is an envelope, verified with three fixed keys (npm's registry key,
 *        the DSSE spec's test-vector key, the Ed25519 key above).
 * Seeds: tests/fuzz/corpus/dsse/. Build by hand, e.g.
 *   clang -g -fsanitize=fuzzer,address,undefined -Iinclude -I. -isystem /usr/include/cjson \
 *         tests/fuzz/fuzz_dsse.c build/libsg_attest.a build/libsg_diff.a build/libsg_common.a \
 *         -lcjson -lcrypto -o fuzz_dsse
 *   ./fuzz_dsse tests/fuzz/corpus/dsse
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/common.h"
#include "sourcegate/attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A key made for this fuzz target only; it signs nothing else. */
static const char fuzz_private_pem[] = "-----BEGIN PRIVATE KEY-----\n"
                                       "MC4CAQAwBQYDK2VwBCIEINq0Ybamb3Inz6WbufmXf419LRGWLDuf68DR59eIuSBw\n"
                                       "-----END PRIVATE KEY-----\n";

static const char npm_public_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i\n"
    "6UPp+IhuteBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg==\n"
    "-----END PUBLIC KEY-----\n";

static const char spec_public_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEZ805D3eqNZywjCI19lInBJOp7YMr\n"
    "CrzAH3CVTAOQ0jgMeCvVTiaRJaRPRDOv8UMs6U4SvKc6pnrIDOoSYI3fdA==\n"
    "-----END PUBLIC KEY-----\n";

static sg_ctx *ctx;
static sg_key *keys[3]; /* fuzz Ed25519 (private), npm P-256, spec P-256 */

static int init(void)
{
    if (ctx)
        return 0;
    if (sg_ctx_new(&ctx) < 0)
        return -1;
    /* small limits keep each run fast; the limits themselves are under test too */
    sg_ctx_set_limit(ctx, SG_LIMIT_JSON_SIZE, 1 << 20);
    sg_ctx_set_limit(ctx, SG_LIMIT_JSON_DEPTH, 64);
    if (sg_key_from_private_pem(&keys[0], ctx, fuzz_private_pem, strlen(fuzz_private_pem), NULL,
                                0, "fuzz key") < 0 ||
        sg_key_from_public_pem(&keys[1], ctx, npm_public_pem, strlen(npm_public_pem), "npm") < 0 ||
        sg_key_from_public_pem(&keys[2], ctx, spec_public_pem, strlen(spec_public_pem), "spec") <
            0)
        return -1;
    return 0;
}

static void verify_all(const char *text, size_t len, const sg_attest_verify_opts *vo)
{
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(keys); i++) {
        sg_attest_check c = SG_ATTEST_CHECK_INIT;
        (void)sg_attest_verify_envelope(&c, ctx, keys[i], text, len, vo);
        sg_attest_check_dispose(&c);
        sg_error_clear(ctx);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_attest_verify_opts vo = SG_ATTEST_VERIFY_OPTS_INIT;
    char sha256[65], sha512[129];

    if (init() < 0)
        __builtin_trap();
    /* the subject check runs against the digests of the input itself, and of nothing */
    if (sg_attest_artifact_digests(sha256, sha512, ctx, data, size) == 0) {
        vo.artifact_sha256 = sha256;
        vo.artifact_sha512 = (size & 2) ? sha512 : NULL;
    }
    vo.predicate_type = (size & 4) ? SG_VSA_PREDICATE_V1 : NULL;
    if (size >= 1 && data[0] == 'P') {
        sg_buf env = SG_BUF_INIT;
        if (sg_dsse_sign(&env, ctx, keys[0], SG_DSSE_INTOTO_PAYLOAD_TYPE, data + 1, size - 1) ==
            0)
            verify_all(env.ptr, env.size, &vo);
        sg_buf_dispose(&env);
    } else if (size >= 1 && data[0] == 'K') {
        sg_key *k = NULL;
        if (sg_key_from_public_pem(&k, ctx, (const char *)data + 1, size - 1, "input") == 0) {
            sg_buf id = SG_BUF_INIT;
            (void)sg_key_id(&id, ctx, k);
            sg_buf_dispose(&id);
        }
        sg_key_free(k);
        k = NULL;
        sg_error_clear(ctx);
        (void)sg_key_from_private_pem(&k, ctx, (const char *)data + 1, size - 1, NULL, 0,
                                      "input");
        sg_key_free(k);
    } else {
        verify_all((const char *)data, size, &vo);
    }
    sg_error_clear(ctx);
    return 0;
}
