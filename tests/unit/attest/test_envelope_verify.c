/* Unit tests of attest/envelope_verify.c: every tamper case and hostile envelope. */
#include "sg_test.h"

#include <string.h>

#include "common/common.h"
#include "sourcegate/attest.h"
#include "attest/attest_int.h"

static sg_ctx *ctx;
static sg_key *key, *other_key;
static char sha256[65], sha512[129];

#define ARTIFACT "the artifact bytes"
#define STATEMENT_FMT                                                                          \
    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"pkg:npm/demo@1.0.0\"," \
    "\"digest\":{\"sha256\":\"%s\",\"sha512\":\"%s\"}}],\"predicateType\":\"%s\","              \
    "\"predicate\":{\"verificationResult\":\"PASSED\"}}"

static int setup(void **state)
{
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_key_generate(&key, ctx, SG_KEY_P256), 0);
    assert_int_equal(sg_key_generate(&other_key, ctx, SG_KEY_P256), 0);
    assert_int_equal(sg_attest_artifact_digests(sha256, sha512, ctx,
                                                (const unsigned char *)ARTIFACT,
                                                strlen(ARTIFACT)),
                     0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sg_key_free(key);
    sg_key_free(other_key);
    sg_ctx_free(ctx);
    return 0;
}

/* A statement about ARTIFACT with this predicateType. */
static void statement(sg_buf *out, const char *ptype)
{
    sg_buf_printf(out, STATEMENT_FMT, sha256, sha512, ptype);
}

/* Sign payload with k under payload type t into env (cleared first). */
static void sign(sg_buf *env, const sg_key *k, const char *t, const char *payload)
{
    sg_buf_clear(env);
    assert_int_equal(
        sg_dsse_sign(env, ctx, k, t, (const unsigned char *)payload, strlen(payload)), 0);
}

static void good_envelope(sg_buf *env)
{
    sg_buf st = SG_BUF_INIT;
    statement(&st, SG_VSA_PREDICATE_V1);
    sign(env, key, SG_DSSE_INTOTO_PAYLOAD_TYPE, st.ptr);
    sg_buf_dispose(&st);
}

static sg_attest_verify_opts full_opts(void)
{
    sg_attest_verify_opts vo = SG_ATTEST_VERIFY_OPTS_INIT;
    vo.artifact_sha256 = sha256;
    vo.artifact_sha512 = sha512;
    vo.predicate_type = SG_VSA_PREDICATE_V1;
    return vo;
}

/* Verify text with k; returns the error and leaves the status in *status. */
static int check_with(const sg_key *k, const char *text, const sg_attest_verify_opts *vo,
                      sg_attest_status *status)
{
    sg_attest_check c = SG_ATTEST_CHECK_INIT;
    int error;
    sg_error_clear(ctx);
    error = sg_attest_verify_envelope(&c, ctx, k, text, strlen(text), vo);
    *status = c.status;
    if (error < 0)
        assert_int_not_equal(c.status, SG_ATTEST_VERIFIED);
    sg_attest_check_dispose(&c);
    return error;
}

static void expect_status(const char *text, sg_attest_status want)
{
    sg_attest_verify_opts vo = full_opts();
    sg_attest_status st;
    assert_int_equal(check_with(key, text, &vo, &st), 0);
    assert_int_equal(st, want);
}

static void expect_error(const char *text, int want)
{
    sg_attest_verify_opts vo = full_opts();
    sg_attest_status st;
    assert_int_equal(check_with(key, text, &vo, &st), want);
    assert_true(sg_error_message(ctx)[0] != '\0');
}

/* Replace member `field` of the envelope's JSON object with a string (or with raw JSON). */
static char *with_field(const char *env, const char *field, const char *value, int raw)
{
    cJSON *doc = NULL, *v;
    char *out;
    assert_int_equal(sg_json_parse(&doc, ctx, env, strlen(env), "env"), 0);
    v = raw ? cJSON_Parse(value) : cJSON_CreateString(value);
    assert_non_null(v);
    cJSON_ReplaceItemInObjectCaseSensitive(doc, field, v);
    out = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    return out;
}

static void test_verify__good_envelope_verifies(void **state)
{
    sg_buf env = SG_BUF_INIT;
    sg_attest_verify_opts vo = full_opts();
    sg_attest_check c = SG_ATTEST_CHECK_INIT;
    sg_buf id = SG_BUF_INIT;
    (void)state;
    good_envelope(&env);
    assert_int_equal(sg_attest_verify_envelope(&c, ctx, key, env.ptr, env.size, &vo), 0);
    assert_int_equal(c.status, SG_ATTEST_VERIFIED);
    assert_string_equal(c.predicate_type, SG_VSA_PREDICATE_V1);
    assert_string_equal(c.subject_name, "pkg:npm/demo@1.0.0");
    assert_int_equal(c.subject_count, 1);
    assert_string_equal(c.verification_result, "PASSED");
    assert_int_equal(c.signature_count, 1);
    sg_key_id(&id, ctx, key);
    assert_string_equal(c.keyid, id.ptr);
    /* no requirements at all: the signature and the statement shape still count */
    assert_int_equal(sg_attest_verify_envelope(&c, ctx, key, env.ptr, env.size, NULL), 0);
    assert_int_equal(c.status, SG_ATTEST_VERIFIED);
    sg_attest_check_dispose(&c);
    sg_buf_dispose(&env);
    sg_buf_dispose(&id);
}

static void test_verify__tampered_payload_fails_signature(void **state)
{
    sg_buf env = SG_BUF_INIT, st = SG_BUF_INIT, b64 = SG_BUF_INIT;
    char *bad, *name;
    (void)state;
    good_envelope(&env);
    statement(&st, SG_VSA_PREDICATE_V1);
    name = strstr(st.ptr, "demo@1.0.0");
    name[9] = '1'; /* demo@1.0.1: a statement about another release */
    sg_base64_encode(&b64, (const unsigned char *)st.ptr, st.size);
    bad = with_field(env.ptr, "payload", b64.ptr, 0);
    expect_status(bad, SG_ATTEST_BAD_SIGNATURE);
    cJSON_free(bad);
    sg_buf_dispose(&env);
    sg_buf_dispose(&st);
    sg_buf_dispose(&b64);
}

static void test_verify__changed_payload_type_fails_signature(void **state)
{
    sg_buf env = SG_BUF_INIT;
    char *bad;
    (void)state;
    good_envelope(&env);
    bad = with_field(env.ptr, "payloadType", "application/vnd.in-toto.vsa+json", 0);
    expect_status(bad, SG_ATTEST_BAD_SIGNATURE);
    cJSON_free(bad);
    sg_buf_dispose(&env);
}

static void test_verify__wrong_key_fails_signature(void **state)
{
    sg_buf env = SG_BUF_INIT;
    sg_attest_verify_opts vo = full_opts();
    sg_attest_status st;
    sg_key *ed = NULL;
    (void)state;
    good_envelope(&env);
    assert_int_equal(check_with(other_key, env.ptr, &vo, &st), 0);
    assert_int_equal(st, SG_ATTEST_BAD_SIGNATURE);
    assert_int_equal(sg_key_generate(&ed, ctx, SG_KEY_ED25519), 0);
    assert_int_equal(check_with(ed, env.ptr, &vo, &st), 0);
    assert_int_equal(st, SG_ATTEST_BAD_SIGNATURE);
    sg_key_free(ed);
    sg_buf_dispose(&env);
}

static void test_verify__wrong_artifact_is_not_a_subject(void **state)
{
    sg_buf env = SG_BUF_INIT;
    sg_attest_verify_opts vo = full_opts();
    sg_attest_status st;
    char o256[65], o512[129];
    (void)state;
    good_envelope(&env);
    sg_attest_artifact_digests(o256, o512, ctx, (const unsigned char *)"other", 5);
    vo.artifact_sha256 = o256;
    vo.artifact_sha512 = o512;
    assert_int_equal(check_with(key, env.ptr, &vo, &st), 0);
    assert_int_equal(st, SG_ATTEST_SUBJECT_MISMATCH);
    /* only one digest given, and it is the wrong one */
    vo.artifact_sha512 = NULL;
    assert_int_equal(check_with(key, env.ptr, &vo, &st), 0);
    assert_int_equal(st, SG_ATTEST_SUBJECT_MISMATCH);
    sg_buf_dispose(&env);
}

static void test_verify__contradicting_subject_digests_do_not_match(void **state)
{
    sg_buf env = SG_BUF_INIT, st = SG_BUF_INIT;
    char zeros[129];
    (void)state;
    memset(zeros, '0', 128);
    zeros[128] = '\0';
    /* sha256 right, sha512 wrong: refused */
    sg_buf_printf(&st, STATEMENT_FMT, sha256, zeros, SG_VSA_PREDICATE_V1);
    sign(&env, key, SG_DSSE_INTOTO_PAYLOAD_TYPE, st.ptr);
    expect_status(env.ptr, SG_ATTEST_SUBJECT_MISMATCH);
    sg_buf_dispose(&env);
    sg_buf_dispose(&st);
}

static void test_verify__matching_sha512_alone_or_uppercase_is_enough(void **state)
{
    sg_buf env = SG_BUF_INIT, st = SG_BUF_INIT;
    char upper[129];
    size_t i;
    (void)state;
    sg_buf_printf(&st,
                  "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"a\","
                  "\"digest\":{\"sha1\":\"00\"}},{\"digest\":{\"sha512\":\"%s\"}}],"
                  "\"predicateType\":\"%s\"}",
                  sha512, SG_VSA_PREDICATE_V1);
    sign(&env, key, SG_DSSE_INTOTO_PAYLOAD_TYPE, st.ptr);
    expect_status(env.ptr, SG_ATTEST_VERIFIED);
    for (i = 0; i <= 128; i++)
        upper[i] = (char)(sha512[i] >= 'a' && sha512[i] <= 'f' ? sha512[i] - 32 : sha512[i]);
    sg_buf_clear(&st);
    sg_buf_printf(&st,
                  "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"digest\":"
                  "{\"sha512\":\"%s\"}}],\"predicateType\":\"%s\",\"extra\":[1,2]}",
                  upper, SG_VSA_PREDICATE_V1);
    sign(&env, key, SG_DSSE_INTOTO_PAYLOAD_TYPE, st.ptr);
    expect_status(env.ptr, SG_ATTEST_VERIFIED);
    sg_buf_dispose(&env);
    sg_buf_dispose(&st);
}

static void test_verify__signed_other_payload_type_is_refused(void **state)
{
    sg_buf env = SG_BUF_INIT, st = SG_BUF_INIT;
    (void)state;
    statement(&st, SG_VSA_PREDICATE_V1);
    sign(&env, key, "application/json", st.ptr);
    expect_status(env.ptr, SG_ATTEST_WRONG_PAYLOAD_TYPE);
    sg_buf_dispose(&env);
    sg_buf_dispose(&st);
}

static void test_verify__statement_v01_is_refused(void **state)
{
    sg_buf env = SG_BUF_INIT, st = SG_BUF_INIT;
    char *v;
    (void)state;
    statement(&st, SG_VSA_PREDICATE_V1);
    v = strstr(st.ptr, "Statement/v1");
    memcpy(v, "Statement/v0", 12);
    sign(&env, key, SG_DSSE_INTOTO_PAYLOAD_TYPE, st.ptr);
    expect_status(env.ptr, SG_ATTEST_WRONG_STATEMENT_TYPE);
    sign(&env, key, SG_DSSE_INTOTO_PAYLOAD_TYPE, "{\"subject\":[]}");
    expect_status(env.ptr, SG_ATTEST_WRONG_STATEMENT_TYPE);
    sg_buf_dispose(&env);
    sg_buf_dispose(&st);
}

static void test_verify__predicate_type_must_match_when_asked(void **state)
{
    sg_buf env = SG_BUF_INIT, st = SG_BUF_INIT;
    (void)state;
    statement(&st, SG_REPORT_PREDICATE_V1);
    sign(&env, key, SG_DSSE_INTOTO_PAYLOAD_TYPE, st.ptr);
    expect_status(env.ptr, SG_ATTEST_WRONG_PREDICATE_TYPE);
    sg_buf_dispose(&env);
    sg_buf_dispose(&st);
}

static void test_verify__signed_but_malformed_statements_are_bad_input(void **state)
{
    static const char *const payloads[] = {
        "not json",
        "[1,2]",
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"predicateType\":\"x\"}",
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[],\"predicateType\":\"x\"}",
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"a\"}],"
        "\"predicateType\":\"x\"}",
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[\"a\"],\"predicateType\":"
        "\"x\"}",
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"digest\":{}}]}",
        "",
    };
    sg_buf env = SG_BUF_INIT;
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(payloads); i++) {
        sign(&env, key, SG_DSSE_INTOTO_PAYLOAD_TYPE, payloads[i]);
        expect_error(env.ptr, SG_EINVALID);
    }
    sg_buf_dispose(&env);
}

static void test_verify__bad_base64_is_bad_input(void **state)
{
    sg_buf env = SG_BUF_INIT;
    char *bad;
    (void)state;
    good_envelope(&env);
    bad = with_field(env.ptr, "payload", "eyJf!!", 0);
    expect_error(bad, SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "payload is not valid base64"));
    cJSON_free(bad);
    bad = with_field(env.ptr, "signatures", "[{\"sig\":\"MEUC IQ==\"}]", 1);
    expect_error(bad, SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "signature is not valid base64"));
    cJSON_free(bad);
    sg_buf_dispose(&env);
}

static void test_verify__bad_json_and_missing_fields_are_bad_input(void **state)
{
    static const char *const texts[] = {
        "",
        "   ",
        "{",
        "[]",
        "null",
        "{\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[]}",
        "{\"payload\":\"e30=\",\"signatures\":[]}",
        "{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\"}",
        "{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\","
        "\"signatures\":{}}",
        "{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\","
        "\"signatures\":[{\"keyid\":\"k\"}]}",
        "{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\","
        "\"signatures\":[{\"sig\":7}]}",
        "{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\","
        "\"signatures\":[\"e30=\"]}",
        "{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\","
        "\"signatures\":[{\"sig\":\"e30=\",\"keyid\":5}]}",
        "{\"payload\":1,\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[]}",
        "{\"payload\":\"e30=\",\"payloadType\":\"application/vnd.in-toto+json\","
        "\"signatures\":[]} trailing",
    };
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(texts); i++)
        expect_error(texts[i], SG_EINVALID);
}

static void test_verify__no_signatures_is_a_failed_verification(void **state)
{
    sg_buf env = SG_BUF_INIT;
    char *bad;
    (void)state;
    good_envelope(&env);
    bad = with_field(env.ptr, "signatures", "[]", 1);
    expect_status(bad, SG_ATTEST_BAD_SIGNATURE);
    cJSON_free(bad);
    bad = with_field(env.ptr, "signatures", "[{\"sig\":\"\"}]", 1);
    expect_status(bad, SG_ATTEST_BAD_SIGNATURE);
    cJSON_free(bad);
    sg_buf_dispose(&env);
}

static void test_verify__any_signature_counts_and_keyid_is_only_a_hint(void **state)
{
    sg_buf env = SG_BUF_INIT, other = SG_BUF_INIT, sigs = SG_BUF_INIT;
    cJSON *a = NULL, *b = NULL;
    const cJSON *sa, *sb;
    sg_attest_check c = SG_ATTEST_CHECK_INIT;
    sg_attest_verify_opts vo = full_opts();
    char *env2;
    (void)state;
    good_envelope(&env);
    /* the same payload signed by the other key: its signature goes first */
    {
        sg_buf st = SG_BUF_INIT;
        statement(&st, SG_VSA_PREDICATE_V1);
        sign(&other, other_key, SG_DSSE_INTOTO_PAYLOAD_TYPE, st.ptr);
        sg_buf_dispose(&st);
    }
    sg_json_parse(&a, ctx, env.ptr, env.size, "a");
    sg_json_parse(&b, ctx, other.ptr, other.size, "b");
    sa = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "signatures"), 0);
    sb = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(b, "signatures"), 0);
    /* the right signature under a misleading keyid, after a wrong one claiming our keyid */
    sg_buf_printf(&sigs, "[{\"keyid\":\"%s\",\"sig\":\"%s\"},{\"keyid\":\"SHA256:wrong\","
                         "\"sig\":\"%s\"}]",
                  sg_json_str(sa, "keyid"), sg_json_str(sb, "sig"), sg_json_str(sa, "sig"));
    env2 = with_field(env.ptr, "signatures", sigs.ptr, 1);
    assert_int_equal(sg_attest_verify_envelope(&c, ctx, key, env2, strlen(env2), &vo), 0);
    assert_int_equal(c.status, SG_ATTEST_VERIFIED);
    assert_int_equal(c.signature_index, 1);
    assert_int_equal(c.signature_count, 2);
    assert_string_equal(c.keyid, "SHA256:wrong");
    /* the other key verifies it too, through the first signature */
    assert_int_equal(sg_attest_verify_envelope(&c, ctx, other_key, env2, strlen(env2), &vo), 0);
    assert_int_equal(c.status, SG_ATTEST_VERIFIED);
    assert_int_equal(c.signature_index, 0);
    sg_attest_check_dispose(&c);
    cJSON_free(env2);
    cJSON_Delete(a);
    cJSON_Delete(b);
    sg_buf_dispose(&env);
    sg_buf_dispose(&other);
    sg_buf_dispose(&sigs);
}

static void to_urlsafe_unpadded(char *s)
{
    char *w = s;
    for (; *s; s++) {
        if (*s == '=')
            continue;
        *w++ = *s == '+' ? '-' : *s == '/' ? '_' : *s;
    }
    *w = '\0';
}

static void test_verify__urlsafe_reencoding_verifies(void **state)
{
    sg_buf env = SG_BUF_INIT;
    cJSON *doc = NULL;
    char *payload, *sig, *text;
    cJSON *s0;
    (void)state;
    good_envelope(&env);
    sg_json_parse(&doc, ctx, env.ptr, env.size, "env");
    payload = cJSON_GetObjectItemCaseSensitive(doc, "payload")->valuestring;
    s0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "signatures"), 0);
    sig = cJSON_GetObjectItemCaseSensitive(s0, "sig")->valuestring;
    to_urlsafe_unpadded(payload);
    to_urlsafe_unpadded(sig);
    text = cJSON_PrintUnformatted(doc);
    expect_status(text, SG_ATTEST_VERIFIED);
    cJSON_free(text);
    cJSON_Delete(doc);
    sg_buf_dispose(&env);
}

static void test_verify__limits_bound_size_depth_and_signatures(void **state)
{
    sg_buf env = SG_BUF_INIT, deep = SG_BUF_INIT, many = SG_BUF_INIT;
    sg_ctx *small;
    sg_attest_check c = SG_ATTEST_CHECK_INIT;
    char *bad;
    int i;
    (void)state;
    good_envelope(&env);
    /* json-size */
    sg_ctx_new(&small);
    assert_int_equal(sg_ctx_set_limit(small, SG_LIMIT_JSON_SIZE, 100), 0);
    assert_int_equal(sg_attest_verify_envelope(&c, small, key, env.ptr, env.size, NULL),
                     SG_ELIMIT);
    sg_ctx_free(small);
    /* json-depth: an extension field nested 10,000 deep */
    sg_buf_puts(&deep, "{\"x\":");
    for (i = 0; i < 10000; i++)
        sg_buf_putc(&deep, '[');
    for (i = 0; i < 10000; i++)
        sg_buf_putc(&deep, ']');
    sg_buf_putc(&deep, '}');
    expect_error(deep.ptr, SG_ELIMIT);
    /* more signatures than are tried */
    sg_buf_putc(&many, '[');
    for (i = 0; i <= SG_ATTEST_MAX_SIGNATURES; i++)
        sg_buf_printf(&many, "%s{\"sig\":\"AAAA\"}", i ? "," : "");
    sg_buf_putc(&many, ']');
    bad = with_field(env.ptr, "signatures", many.ptr, 1);
    expect_error(bad, SG_ELIMIT);
    cJSON_free(bad);
    sg_attest_check_dispose(&c);
    sg_buf_dispose(&env);
    sg_buf_dispose(&deep);
    sg_buf_dispose(&many);
}

static void test_verify__survives_allocation_failures(void **state)
{
    sg_buf env = SG_BUF_INIT;
    sg_attest_verify_opts vo = full_opts();
    sg_attest_check c = SG_ATTEST_CHECK_INIT;
    long n;
    int error, verified_once = 0;
    (void)state;
    good_envelope(&env);
    for (n = 0; n < 400; n++) {
        sg_error_clear(ctx);
        sg_alloc__fail_after(n);
        error = sg_attest_verify_envelope(&c, ctx, key, env.ptr, env.size, &vo);
        sg_alloc__fail_after(-1);
        if (error == 0 && c.status == SG_ATTEST_VERIFIED) {
            verified_once = 1;
            break;
        }
        assert_true(error < 0);
        assert_int_not_equal(c.status, SG_ATTEST_VERIFIED);
    }
    assert_true(verified_once);
    sg_attest_check_dispose(&c);
    sg_buf_dispose(&env);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify__good_envelope_verifies),
        cmocka_unit_test(test_verify__tampered_payload_fails_signature),
        cmocka_unit_test(test_verify__changed_payload_type_fails_signature),
        cmocka_unit_test(test_verify__wrong_key_fails_signature),
        cmocka_unit_test(test_verify__wrong_artifact_is_not_a_subject),
        cmocka_unit_test(test_verify__contradicting_subject_digests_do_not_match),
        cmocka_unit_test(test_verify__matching_sha512_alone_or_uppercase_is_enough),
        cmocka_unit_test(test_verify__signed_other_payload_type_is_refused),
        cmocka_unit_test(test_verify__statement_v01_is_refused),
        cmocka_unit_test(test_verify__predicate_type_must_match_when_asked),
        cmocka_unit_test(test_verify__signed_but_malformed_statements_are_bad_input),
        cmocka_unit_test(test_verify__bad_base64_is_bad_input),
        cmocka_unit_test(test_verify__bad_json_and_missing_fields_are_bad_input),
        cmocka_unit_test(test_verify__no_signatures_is_a_failed_verification),
        cmocka_unit_test(test_verify__any_signature_counts_and_keyid_is_only_a_hint),
        cmocka_unit_test(test_verify__urlsafe_reencoding_verifies),
        cmocka_unit_test(test_verify__limits_bound_size_depth_and_signatures),
        cmocka_unit_test(test_verify__survives_allocation_failures),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
