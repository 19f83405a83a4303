/* Unit tests of attest/dsse.c and attest/attest_base64.c: PAE, signatures, spec vectors. */
#include "sg_test.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "common/common.h"
#include "sourcegate/attest.h"
#include "attest/attest_int.h"

static void test_dsse__pae_matches_spec_test_vector(void **state)
{
    /* DSSE protocol.md "Test Vectors": 54 bytes, hexdump in FORMATS.md §1.2. */
    static const unsigned char want[54] = {
        0x44, 0x53, 0x53, 0x45, 0x76, 0x31, 0x20, 0x32, 0x39, 0x20, 0x68, 0x74, 0x74, 0x70,
        0x3a, 0x2f, 0x2f, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x63, 0x6f, 0x6d,
        0x2f, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x57, 0x6f, 0x72, 0x6c, 0x64, 0x20, 0x31, 0x31,
        0x20, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x77, 0x6f, 0x72, 0x6c, 0x64};
    sg_buf pae = SG_BUF_INIT;
    (void)state;
    assert_int_equal(sg_dsse_pae(&pae, "http://example.com/HelloWorld", 29,
                                 (const unsigned char *)"hello world", 11),
                     0);
    assert_int_equal(pae.size, 54);
    assert_memory_equal(pae.ptr, want, 54);
    sg_buf_dispose(&pae);
}

static void test_dsse__pae_of_in_toto_payload_and_empty_fields(void **state)
{
    const char body[] = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"x\","
                        "\"digest\":{\"sha256\":\"ab\"}}],\"predicateType\":\"https://example.com/"
                        "p/v1\"}";
    const char *head = "DSSEv1 28 application/vnd.in-toto+json 136 ";
    sg_buf pae = SG_BUF_INIT;
    (void)state;
    assert_int_equal(strlen(body), 136);
    sg_dsse_pae(&pae, SG_DSSE_INTOTO_PAYLOAD_TYPE, 28, (const unsigned char *)body, 136);
    assert_int_equal(pae.size, strlen(head) + 136);
    assert_memory_equal(pae.ptr, head, strlen(head));
    assert_memory_equal(pae.ptr + strlen(head), body, 136);
    sg_buf_clear(&pae);
    /* empty type and body: lengths "0", no leading zeros, body may hold NUL bytes */
    sg_dsse_pae(&pae, "", 0, (const unsigned char *)"", 0);
    assert_int_equal(pae.size, 12);
    assert_memory_equal(pae.ptr, "DSSEv1 0  0 ", 12);
    sg_buf_clear(&pae);
    sg_dsse_pae(&pae, "t", 1, (const unsigned char *)"a\0b", 3);
    assert_int_equal(pae.size, 16);
    assert_memory_equal(pae.ptr, "DSSEv1 1 t 3 a\0b", 16);
    sg_buf_dispose(&pae);
}

static void b64_ok(const char *in, const char *want, size_t want_len)
{
    sg_ctx *ctx;
    unsigned char *out = NULL;
    size_t len = 99;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_attest__base64_decode(&out, &len, ctx, in, strlen(in), "x"), 0);
    assert_non_null(out);
    assert_int_equal(len, want_len);
    assert_memory_equal(out, want, want_len);
    sg_free(out);
    sg_ctx_free(ctx);
}

static void b64_bad(const char *in)
{
    sg_ctx *ctx;
    unsigned char *out = NULL;
    size_t len = 0;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_attest__base64_decode(&out, &len, ctx, in, strlen(in), "x"), SG_EINVALID);
    assert_null(out);
    assert_non_null(strstr(sg_error_message(ctx), "not valid base64"));
    sg_ctx_free(ctx);
}

static void test_dsse__base64_accepts_standard_urlsafe_and_unpadded(void **state)
{
    (void)state;
    b64_ok("", "", 0);
    b64_ok("aGVsbG8gd29ybGQ=", "hello world", 11);
    b64_ok("aGVsbG8gd29ybGQ", "hello world", 11);
    b64_ok("YQ==", "a", 1);
    b64_ok("YQ", "a", 1);
    b64_ok("YWI=", "ab", 2);
    b64_ok("YWJj", "abc", 3);
    b64_ok("+/+/", "\xfb\xff\xbf", 3);
    b64_ok("-_-_", "\xfb\xff\xbf", 3);
    b64_ok("-_8", "\xfb\xff", 2);
}

static void test_dsse__base64_rejects_malformed(void **state)
{
    (void)state;
    b64_bad("Y");         /* impossible length */
    b64_bad("YQ=");       /* partial padding */
    b64_bad("YQ===");     /* too much padding */
    b64_bad("=");
    b64_bad("YWJj=");     /* padding after a full group */
    b64_bad("YW=j");      /* padding inside */
    b64_bad("YW Jj");     /* whitespace */
    b64_bad("YWJj\n");
    b64_bad("+/-_");      /* mixed alphabets */
    b64_bad("YR==");      /* non-zero unused bits */
    b64_bad("YWJ\xc3\xa9");
}

/* The key of the DSSE spec's test vector (protocol.md), from its X and Y. */
static sg_key *spec_vector_key(sg_ctx *ctx)
{
    const char *x = "46950820868899156662930047687818585632848591499744589407958293238635476079160";
    const char *y = "5640078356564379163099075877009565129882514886557779369047442380624545832820";
    unsigned char point[65];
    BIGNUM *bx = NULL, *by = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pk = NULL;
    BIO *bio = BIO_new(BIO_s_mem());
    char *pem;
    long n;
    sg_key *key = NULL;

    assert_true(BN_dec2bn(&bx, x) > 0 && BN_dec2bn(&by, y) > 0);
    point[0] = 4;
    assert_int_equal(BN_bn2binpad(bx, point + 1, 32), 32);
    assert_int_equal(BN_bn2binpad(by, point + 33, 32), 32);
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
    params = OSSL_PARAM_BLD_to_param(bld);
    assert_int_equal(EVP_PKEY_fromdata_init(pctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(pctx, &pk, EVP_PKEY_PUBLIC_KEY, params), 1);
    assert_int_equal(PEM_write_bio_PUBKEY(bio, pk), 1);
    n = BIO_get_mem_data(bio, &pem);
    assert_int_equal(sg_key_from_public_pem(&key, ctx, pem, (size_t)n, "spec key"), 0);
    BIO_free(bio);
    EVP_PKEY_free(pk);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bx);
    BN_free(by);
    return key;
}

static const char spec_envelope[] =
    "{\"payload\":\"aGVsbG8gd29ybGQ=\",\"payloadType\":\"http://example.com/HelloWorld\","
    "\"signatures\":[{\"sig\":\"A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJ"
    "PcIAriEGAHTVeCUjW2JIZA==\"}]}";

static void test_dsse__spec_vector_signature_verifies_raw_rs(void **state)
{
    sg_ctx *ctx;
    sg_key *key;
    sg_attest_check c = SG_ATTEST_CHECK_INIT;
    char *tampered;
    (void)state;
    sg_ctx_new(&ctx);
    key = spec_vector_key(ctx);
    /* The signature verifies (raw r||s); then the non-in-toto payloadType is refused. */
    assert_int_equal(
        sg_attest_verify_envelope(&c, ctx, key, spec_envelope, strlen(spec_envelope), NULL), 0);
    assert_int_equal(c.status, SG_ATTEST_WRONG_PAYLOAD_TYPE);
    assert_int_equal(c.signature_index, 0);
    assert_string_equal(c.keyid, "");
    assert_int_equal(c.payload_len, 11);
    assert_memory_equal(c.payload, "hello world", 11);
    /* "hello world" -> "hello worle": no longer verifies */
    tampered = strdup(spec_envelope);
    memcpy(strstr(tampered, "aGVsbG8gd29ybGQ="), "aGVsbG8gd29ybGU=", 16);
    assert_int_equal(sg_attest_verify_envelope(&c, ctx, key, tampered, strlen(tampered), NULL),
                     0);
    assert_int_equal(c.status, SG_ATTEST_BAD_SIGNATURE);
    free(tampered);
    sg_attest_check_dispose(&c);
    sg_key_free(key);
    sg_ctx_free(ctx);
}

/* npm's publish attestation for tuf-js@1.0.0, signed with the npm registry key (real data). */
static const char npm_envelope[] =
    "{\"payload\":\"eyJfdHlwZSI6Imh0dHBzOi8vaW4tdG90by5pby9TdGF0ZW1lbnQvdjAuMSIsInN1YmplY3QiOlt7Im5"
    "hbWUiOiJwa2c6bnBtL3R1Zi1qc0AxLjAuMCIsImRpZ2VzdCI6eyJzaGE1MTIiOiJkNWRjNmM0MzAxMTIwZjMwMDIyNj"
    "M0ZGQ2MDc0MzhjMDlkNWZmZTg3ZmI4YzAyZDYyOWYyNDQxZDIwNTY1MTAwN2ZlNTQ0Yzk1MzFmNTI1YmExODc1ZTllMj"
    "Y2NzUyYWY3NDE0NDkwYTkxYTNiMmNhMGYxNDY4Yjg4NmZjM2NmYyJ9fV0sInByZWRpY2F0ZVR5cGUiOiJodHRwczovL2"
    "dpdGh1Yi5jb20vbnBtL2F0dGVzdGF0aW9uL3RyZWUvbWFpbi9zcGVjcy9wdWJsaXNoL3YwLjEiLCJwcmVkaWNhdGUiOn"
    "sibmFtZSI6InR1Zi1qcyIsInZlcnNpb24iOiIxLjAuMCIsInJlZ2lzdHJ5IjoiaHR0cHM6Ly9yZWdpc3RyeS5ucG1qcy"
    "5vcmcifX0=\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[{\"sig\":\"MEY"
    "CIQDVcRtoAO/QXYsTn83c4wj/h2Y++AiEMeL4AddGrlWpbgIhAK9T9W8yriiOumVDnjrsNB6z1OwKkzpzFqyObfAHywr"
    "S\",\"keyid\":\"SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA\"}]}";

static const char npm_key_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE1Olb3zMAFFxXKHiIkQO5cJ3Yhl5i\n"
    "6UPp+IhuteBJbuHcA5UogKo0EWtlWwW6KSaKoTNEYL7JlCQiVnkhBktUgg==\n"
    "-----END PUBLIC KEY-----\n";

static void test_dsse__npm_publish_attestation_signature_verifies(void **state)
{
    sg_ctx *ctx;
    sg_key *key = NULL;
    sg_attest_check c = SG_ATTEST_CHECK_INIT;
    char *tampered;
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_key_from_public_pem(&key, ctx, npm_key_pem, strlen(npm_key_pem), "npm"),
                     0);
    assert_int_equal(
        sg_attest_verify_envelope(&c, ctx, key, npm_envelope, strlen(npm_envelope), NULL), 0);
    /* DER signature verified; npm still uses Statement v0.1, which v1 verification refuses */
    assert_int_equal(c.status, SG_ATTEST_WRONG_STATEMENT_TYPE);
    assert_string_equal(c.keyid, "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA");
    assert_non_null(strstr(c.detail, "Statement/v0.1"));
    /* one signature byte changed */
    tampered = strdup(npm_envelope);
    memcpy(strstr(tampered, "MEYCIQDV"), "MEYCIQDW", 8);
    assert_int_equal(sg_attest_verify_envelope(&c, ctx, key, tampered, strlen(tampered), NULL),
                     0);
    assert_int_equal(c.status, SG_ATTEST_BAD_SIGNATURE);
    free(tampered);
    sg_attest_check_dispose(&c);
    sg_key_free(key);
    sg_ctx_free(ctx);
}

static void check_sign_verify(sg_key_type type)
{
    sg_ctx *ctx;
    sg_key *key = NULL, *other = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    const unsigned char msg[] = "DSSEv1 1 t 2 hi";
    (void)type;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_key_generate(&key, ctx, type), 0);
    assert_int_equal(sg_key_generate(&other, ctx, type), 0);
    assert_int_equal(sg_attest__sign(&sig, &sig_len, ctx, key, msg, sizeof(msg) - 1), 0);
    if (type == SG_KEY_P256) {
        assert_int_equal(sig[0], 0x30); /* DER SEQUENCE */
        assert_in_range(sig_len, 8, 72);
    } else {
        assert_int_equal(sig_len, 64);
    }
    assert_int_equal(sg_attest__verify_sig(key, msg, sizeof(msg) - 1, sig, sig_len), 1);
    assert_int_equal(sg_attest__verify_sig(other, msg, sizeof(msg) - 1, sig, sig_len), 0);
    assert_int_equal(sg_attest__verify_sig(key, msg, sizeof(msg) - 2, sig, sig_len), 0);
    assert_int_equal(sg_attest__verify_sig(key, msg, sizeof(msg) - 1, sig, sig_len - 1), 0);
    assert_int_equal(sg_attest__verify_sig(key, msg, sizeof(msg) - 1, sig, 0), 0);
    sig[sig_len / 2] ^= 1;
    assert_int_equal(sg_attest__verify_sig(key, msg, sizeof(msg) - 1, sig, sig_len), 0);
    sg_free(sig);
    sg_key_free(key);
    sg_key_free(other);
    sg_ctx_free(ctx);
}

static void test_dsse__sign_and_verify_p256_der(void **state)
{
    (void)state;
    check_sign_verify(SG_KEY_P256);
}

static void test_dsse__sign_and_verify_ed25519(void **state)
{
    (void)state;
    check_sign_verify(SG_KEY_ED25519);
}

static void test_dsse__public_key_cannot_sign(void **state)
{
    sg_ctx *ctx;
    sg_key *key = NULL;
    sg_buf out = SG_BUF_INIT;
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_key_from_public_pem(&key, ctx, npm_key_pem, strlen(npm_key_pem), "npm"),
                     0);
    assert_int_equal(sg_dsse_sign(&out, ctx, key, "t", (const unsigned char *)"x", 1),
                     SG_EINVALID);
    assert_int_equal(out.size, 0);
    sg_key_free(key);
    sg_ctx_free(ctx);
}

static void test_dsse__envelope_shape(void **state)
{
    sg_ctx *ctx;
    sg_key *key = NULL;
    sg_buf env = SG_BUF_INIT, id = SG_BUF_INIT;
    cJSON *doc = NULL, *sigs;
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_key_generate(&key, ctx, SG_KEY_P256), 0);
    assert_int_equal(sg_dsse_sign(&env, ctx, key, SG_DSSE_INTOTO_PAYLOAD_TYPE,
                                  (const unsigned char *)"{}", 2),
                     0);
    assert_null(memchr(env.ptr, '\n', env.size));
    assert_int_equal(sg_json_parse(&doc, ctx, env.ptr, env.size, "env"), 0);
    assert_string_equal(sg_json_str(doc, "payloadType"), SG_DSSE_INTOTO_PAYLOAD_TYPE);
    assert_string_equal(sg_json_str(doc, "payload"), "e30="); /* padded standard base64 */
    sigs = cJSON_GetObjectItemCaseSensitive(doc, "signatures");
    assert_int_equal(cJSON_GetArraySize(sigs), 1);
    sg_key_id(&id, ctx, key);
    assert_string_equal(sg_json_str(cJSON_GetArrayItem(sigs, 0), "keyid"), id.ptr);
    assert_non_null(sg_json_str(cJSON_GetArrayItem(sigs, 0), "sig"));
    cJSON_Delete(doc);
    sg_buf_dispose(&env);
    sg_buf_dispose(&id);
    sg_key_free(key);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dsse__pae_matches_spec_test_vector),
        cmocka_unit_test(test_dsse__pae_of_in_toto_payload_and_empty_fields),
        cmocka_unit_test(test_dsse__base64_accepts_standard_urlsafe_and_unpadded),
        cmocka_unit_test(test_dsse__base64_rejects_malformed),
        cmocka_unit_test(test_dsse__spec_vector_signature_verifies_raw_rs),
        cmocka_unit_test(test_dsse__npm_publish_attestation_signature_verifies),
        cmocka_unit_test(test_dsse__sign_and_verify_p256_der),
        cmocka_unit_test(test_dsse__sign_and_verify_ed25519),
        cmocka_unit_test(test_dsse__public_key_cannot_sign),
        cmocka_unit_test(test_dsse__envelope_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
