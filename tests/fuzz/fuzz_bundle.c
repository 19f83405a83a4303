/*
 * libFuzzer target for provenance and registry trust inputs (verifier/trust/provenance.c,
 * sigstore_tlog.c, sigstore_cert.c, trusted_root.c, npm_signatures.c). The first byte picks
 * what the input is:
 *   'R'  the rest is a Sigstore trusted_root.json;
 *   'K'  the rest is a registry keys document (/-/npm/v1/keys or TUF keys.json), then its
 *        keys check a fixed signature over a fixed packument;
 *   else the whole input is an attestations document, checked as tuf-js@1.0.0's (so the
 *        real bundle in the corpus reaches every check) without a trusted root and with the
 *        real public-good trusted root of tests/fixtures/npm-trust.
 * Seeds: tests/fuzz/corpus/bundle/.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/common.h"
#include "verifier/trust/trust_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* tests/fixtures/npm-trust/trusted_root.json without whitespace */
static const char trusted_root[] =
    "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":[{"
    "\"baseUrl\":\"https://rekor.sigstore.dev\",\"hashAlgorithm\":\"SHA2_256\",\"publicKey\":{"
    "\"rawBytes\":\"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3"
    "qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==\",\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\","
    "\"validFor\":{\"start\":\"2021-01-12T11:53:27.000Z\"}},\"logId\":{\"keyId\":"
    "\"wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=\"}}],\"certificateAuthorities\":[{"
    "\"subject\":{\"organization\":\"sigstore.dev\",\"commonName\":\"sigstore\"},\"uri\":"
    "\"https://fulcio.sigstore.dev\",\"certChain\":{\"certificates\":[{\"rawBytes\":"
    "\"MIICGjCCAaGgAwIBAgIUALnViVfnU0brJasmRkHrn/UnfaQwCgYIKoZIzj0EAwMwKjEVMBMGA1UEChMMc2lnc3Rv"
    "cmUuZGV2MREwDwYDVQQDEwhzaWdzdG9yZTAeFw0yMjA0MTMyMDA2MTVaFw0zMTEwMDUxMzU2NThaMDcxFTATBgNVBA"
    "oTDHNpZ3N0b3JlLmRldjEeMBwGA1UEAxMVc2lnc3RvcmUtaW50ZXJtZWRpYXRlMHYwEAYHKoZIzj0CAQYFK4EEACID"
    "YgAE8RVS/ysH+NOvuDZyPIZtilgUF9NlarYpAd9HP1vBBH1U5CV77LSS7s0ZiH4nE7Hv7ptS6LvvR/STk798LVgMzL"
    "lJ4HeIfF3tHSaexLcYpSASr1kS0N/RgBJz/9jWCiXno3sweTAOBgNVHQ8BAf8EBAMCAQYwEwYDVR0lBAwwCgYIKwYB"
    "BQUHAwMwEgYDVR0TAQH/BAgwBgEB/wIBADAdBgNVHQ4EFgQU39Ppz1YkEZb5qNjpKFWixi4YZD8wHwYDVR0jBBgwFo"
    "AUWMAeX5FFpWapesyQoZMi0CrFxfowCgYIKoZIzj0EAwMDZwAwZAIwPCsQK4DYiZYDPIaDi5HFKnfxXx6ASSVmERfs"
    "ynYBiX2X6SJRnZU84/9DZdnFvvxmAjBOt6QpBlc4J/0DxvkTCqpclvziL6BCCPnjdlIB3Pu3BxsPmygUY7Ii2zbdCd"
    "liiow=\"},{\"rawBytes\":\"MIIB9zCCAXygAwIBAgIUALZNAPFdxHPwjeDloDwyYChAO/4wCgYIKoZIzj0EAwMwKj"
    "EVMBMGA1UEChMMc2lnc3RvcmUuZGV2MREwDwYDVQQDEwhzaWdzdG9yZTAeFw0yMTEwMDcxMzU2NTlaFw0zMTEwMDUx"
    "MzU2NThaMCoxFTATBgNVBAoTDHNpZ3N0b3JlLmRldjERMA8GA1UEAxMIc2lnc3RvcmUwdjAQBgcqhkjOPQIBBgUrgQ"
    "QAIgNiAAT7XeFT4rb3PQGwS4IajtLk3/OlnpgangaBclYpsYBr5i+4ynB07ceb3LP0OIOZdxexX69c5iVuyJRQ+Hz0"
    "5yi+UF3uBWAlHpiS5sh0+H2GHE7SXrk1EC5m1Tr19L9gg92jYzBhMA4GA1UdDwEB/wQEAwIBBjAPBgNVHRMBAf8EBT"
    "ADAQH/MB0GA1UdDgQWBBRYwB5fkUWlZql6zJChkyLQKsXF+jAfBgNVHSMEGDAWgBRYwB5fkUWlZql6zJChkyLQKsXF"
    "+jAKBggqhkjOPQQDAwNpADBmAjEAj1nHeXZp+13NWBNa+EDsDP8G1WWg1tCMWP/WHPqpaVo0jhsweNFZgSs0eE7wYI"
    "4qAjEA2WB9ot98sIkoF3vZYdd3/VtWB5b9TNMea7Ix/stJ5TfcLLeABLE4BNJOsQ4vnBHJ\"}]},\"validFor\":{"
    "\"start\":\"2021-10-07T13:56:59.000Z\"}}],\"ctlogs\":[{\"baseUrl\":"
    "\"https://ctfe.sigstore.dev/test\",\"hashAlgorithm\":\"SHA2_256\",\"publicKey\":{"
    "\"rawBytes\":\"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiPSlFi0CmFTfEjCUqF9HuCEcYXNKAaYalIJmBZ8y"
    "yezPjTqhxrKBpMnaocVtLJBI1eM3uXnQzQGAJdJ4gs9Fyw==\",\"keyDetails\":"
    "\"PKIX_ECDSA_P256_SHA_256\",\"validFor\":{\"start\":\"2021-03-14T00:00:00.000Z\"}},"
    "\"logId\":{\"keyId\":\"3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4=\"}}],"
    "\"timestampAuthorities\":[]}";

/* sha512 of tuf-js-1.0.0.tgz (its dist.integrity) */
static const unsigned char tuf_sha512[64] = {
    0xd5, 0xdc, 0x6c, 0x43, 0x01, 0x12, 0x0f, 0x30, 0x02, 0x26, 0x34, 0xdd, 0x60, 0x74, 0x38, 0xc0,
    0x9d, 0x5f, 0xfe, 0x87, 0xfb, 0x8c, 0x02, 0xd6, 0x29, 0xf2, 0x44, 0x1d, 0x20, 0x56, 0x51, 0x00,
    0x7f, 0xe5, 0x44, 0xc9, 0x53, 0x1f, 0x52, 0x5b, 0xa1, 0x87, 0x5e, 0x9e, 0x26, 0x67, 0x52, 0xaf,
    0x74, 0x14, 0x49, 0x0a, 0x91, 0xa3, 0xb2, 0xca, 0x0f, 0x14, 0x68, 0xb8, 0x86, 0xfc, 0x3c, 0xfc};

static sg_ctx *ctx;
static sg_trusted_root *root;

static int init(void)
{
    if (ctx)
        return 0;
    if (sg_ctx_new(&ctx) < 0)
        return -1;
    sg_ctx_set_limit(ctx, SG_LIMIT_JSON_SIZE, 1 << 20);
    sg_ctx_set_limit(ctx, SG_LIMIT_JSON_DEPTH, 64);
    return sg_trusted_root__parse(&root, ctx, trusted_root, strlen(trusted_root), "root");
}

static void keys_input(const char *text, size_t len)
{
    static const char packument[] =
        "{\"versions\":{\"1.0.0\":{\"dist\":{\"integrity\":\"sha512-QqZ7VJ/8xPkS9s2IWB7Shj3qTJdc"
        "RyeXKbPQnsZjsPEwvutGv0EGeVchPcauoiDFJlGbZMFq5GDCurAGNSghJQ==\",\"signatures\":[{"
        "\"keyid\":\"SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA\",\"sig\":"
        "\"MEUCIDrLNspFeU5NZ6d55ycVBZIMXnPJi/XnI1Y2dlJvK8P1AiEAnXjn1IOMUd+U7YfPH+FNjwfLq+jCwfH8u"
        "axocq+mpPk=\"}]}}},\"time\":{\"1.0.0\":\"2022-06-01T00:00:00.000Z\"}}";
    sg_npm_keys keys = SG_NPM_KEYS_INIT;
    cJSON *doc = NULL;
    sg_sig_result res;
    if (sg_npm_keys__parse(&keys, ctx, text, len, "keys") == 0 &&
        sg_json_parse(&doc, ctx, packument, strlen(packument), "packument") == 0) {
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(doc, "versions"), "1.0.0");
        (void)sg_npm_signatures__check(&res, ctx, &keys, "kms-demo", "1.0.0", m,
                                       cJSON_GetObjectItemCaseSensitive(doc, "time"));
    }
    cJSON_Delete(doc);
    sg_npm_keys__dispose(&keys);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (init() < 0)
        __builtin_trap();
    if (size >= 1 && data[0] == 'R') {
        sg_trusted_root *r = NULL;
        (void)sg_trusted_root__parse(&r, ctx, (const char *)data + 1, size - 1, "input");
        sg_trusted_root__free(r);
    } else if (size >= 1 && data[0] == 'K') {
        keys_input((const char *)data + 1, size - 1);
    } else {
        sg_provenance p;
        /* a failure other than running out of memory is a bug: hostile input is a finding */
        if (sg_provenance__check(&p, ctx, (const char *)data, size, "tuf-js", "1.0.0", tuf_sha512,
                                 NULL) < 0 ||
            sg_provenance__check(&p, ctx, (const char *)data, size, "tuf-js", "1.0.0", tuf_sha512,
                                 root) < 0)
            __builtin_trap();
    }
    sg_error_clear(ctx);
    return 0;
}
