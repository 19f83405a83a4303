/* Unit tests of attest/statement.c: the VSA and report statements, the policy document. */
#include "sg_test.h"

#include <string.h>

#include <openssl/sha.h>

#include "common/common.h"
#include "sourcegate/attest.h"
#include "attest/attest_int.h"

static const unsigned char tarball[] = "\x1f\x8b pretend this is a gzip tarball";
#define TARBALL_LEN (sizeof(tarball) - 1)

static void hex_of(char *out, const unsigned char *d, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Digests computed with OpenSSL's one-shot functions, not the library's. */
static void want_digests(char sha256[65], char sha512[129])
{
    unsigned char d256[32], d512[64];
    SHA256(tarball, TARBALL_LEN, d256);
    SHA512(tarball, TARBALL_LEN, d512);
    hex_of(sha256, d256, 32);
    hex_of(sha512, d512, 64);
}

/* A decided report; `finding` (may be NULL) is added first. */
static sg_report *make_report(sg_ctx *ctx, const char *purl, const char *finding)
{
    sg_report *r = NULL;
    char sha256[65], sha512[129];
    want_digests(sha256, sha512);
    assert_int_equal(sg_report_new(&r, ctx), 0);
    if (purl)
        sg_report_set(r, ctx, SG_REPORT_PURL, purl);
    sg_report_set(r, ctx, SG_REPORT_PACKAGE, "@scope/demo");
    sg_report_set(r, ctx, SG_REPORT_VERSION, "1.2.3");
    sg_report_set(r, ctx, SG_REPORT_ARTIFACT_SHA256, sha256);
    sg_report_set(r, ctx, SG_REPORT_SOURCE_REPOSITORY, "https://example.com/demo.git");
    sg_report_set(r, ctx, SG_REPORT_SOURCE_COMMIT, "0123456789abcdef0123456789abcdef01234567");
    sg_report_set(r, ctx, SG_REPORT_SOURCE_RESOLVED_BY, "tag");
    sg_report_add_normalization(r, ctx, "tar-mtime");
    if (finding)
        sg_report_addf(r, ctx, finding, "x.js", "test finding");
    sg_report_decide(r, SG_SEV_HIGH);
    return r;
}

static cJSON *parse(sg_ctx *ctx, const sg_buf *b)
{
    cJSON *doc = NULL;
    assert_int_equal(sg_json_parse(&doc, ctx, b->ptr, b->size, "statement"), 0);
    return doc;
}

static const cJSON *at(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    assert_non_null(v);
    return v;
}

static void check_subject(const cJSON *st, const char *name)
{
    char sha256[65], sha512[129];
    const cJSON *subjects = at(st, "subject"), *s, *digest;
    want_digests(sha256, sha512);
    assert_string_equal(sg_json_str(st, "_type"), "https://in-toto.io/Statement/v1");
    assert_int_equal(cJSON_GetArraySize(subjects), 1);
    s = cJSON_GetArrayItem(subjects, 0);
    assert_string_equal(sg_json_str(s, "name"), name);
    digest = at(s, "digest");
    assert_string_equal(sg_json_str(digest, "sha256"), sha256);
    assert_string_equal(sg_json_str(digest, "sha512"), sha512);
}

static void test_statement__vsa_of_a_passed_verification(void **state)
{
    sg_ctx *ctx;
    sg_report *r;
    sg_buf vsa = SG_BUF_INIT, policy = SG_BUF_INIT;
    sg_attest_opts opts = SG_ATTEST_OPTS_INIT;
    cJSON *st;
    const cJSON *p, *levels;
    unsigned char pd[32];
    char phex[65];
    (void)state;
    sg_ctx_new(&ctx);
    r = make_report(ctx, "pkg:npm/%40scope/demo@1.2.3", NULL);
    assert_int_equal(sg_report_verdict(r), SG_VERDICT_PASS);
    opts.time_verified = 1704067200; /* 2024-01-01T00:00:00Z */
    assert_int_equal(sg_attest_statements(&vsa, NULL, ctx, r, tarball, TARBALL_LEN, &opts), 0);
    st = parse(ctx, &vsa);
    check_subject(st, "pkg:npm/%40scope/demo@1.2.3");
    assert_string_equal(sg_json_str(st, "predicateType"),
                        "https://slsa.dev/verification_summary/v1");
    p = at(st, "predicate");
    assert_string_equal(sg_json_str(at(p, "verifier"), "id"), SG_VSA_VERIFIER_ID);
    assert_string_equal(sg_json_str(at(at(p, "verifier"), "version"), "sourcegate"),
                        sg_version());
    assert_string_equal(sg_json_str(p, "timeVerified"), "2024-01-01T00:00:00Z");
    assert_string_equal(sg_json_str(p, "resourceUri"), "pkg:npm/%40scope/demo@1.2.3");
    assert_string_equal(sg_json_str(p, "verificationResult"), "PASSED");
    levels = at(p, "verifiedLevels");
    assert_int_equal(cJSON_GetArraySize(levels), 1);
    assert_string_equal(cJSON_GetArrayItem(levels, 0)->valuestring, "SOURCEGATE_SOURCE_MATCH_V1");
    assert_string_equal(sg_json_str(p, "slsaVersion"), "1.0");
    /* policy: uri + sha256 of the policy document for --fail-on high */
    assert_string_equal(sg_json_str(at(p, "policy"), "uri"), "https://sourcegate.dev/policy/v1");
    assert_int_equal(sg_attest_policy_document(&policy, ctx, SG_SEV_HIGH), 0);
    SHA256((const unsigned char *)policy.ptr, policy.size, pd);
    hex_of(phex, pd, 32);
    assert_string_equal(sg_json_str(at(at(p, "policy"), "digest"), "sha256"), phex);
    assert_string_equal(sg_json_str(at(at(p, "policy"), "annotations"), "fail_on"), "high");
    cJSON_Delete(st);
    sg_buf_dispose(&vsa);
    sg_buf_dispose(&policy);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

static void check_failed_vsa(const char *finding, sg_verdict verdict)
{
    sg_ctx *ctx;
    sg_report *r;
    sg_buf vsa = SG_BUF_INIT;
    cJSON *st;
    const cJSON *p, *levels;
    sg_ctx_new(&ctx);
    r = make_report(ctx, "pkg:npm/%40scope/demo@1.2.3", finding);
    assert_int_equal(sg_report_verdict(r), verdict);
    assert_int_equal(sg_attest_statements(&vsa, NULL, ctx, r, tarball, TARBALL_LEN, NULL), 0);
    st = parse(ctx, &vsa);
    p = at(st, "predicate");
    assert_string_equal(sg_json_str(p, "verificationResult"), "FAILED");
    levels = at(p, "verifiedLevels");
    assert_int_equal(cJSON_GetArraySize(levels), 1);
    assert_string_equal(cJSON_GetArrayItem(levels, 0)->valuestring, "FAILED");
    assert_string_equal(sg_json_str(p, "timeVerified"), "1970-01-01T00:00:00Z");
    cJSON_Delete(st);
    sg_buf_dispose(&vsa);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

static void test_statement__vsa_of_failed_and_inconclusive_is_failed(void **state)
{
    (void)state;
    check_failed_vsa("file-added", SG_VERDICT_FAIL);
    check_failed_vsa("file-unverified", SG_VERDICT_INCONCLUSIVE);
}

static void test_statement__report_statement_carries_the_full_report(void **state)
{
    sg_ctx *ctx;
    sg_report *r;
    sg_buf rep = SG_BUF_INIT, json = SG_BUF_INIT;
    cJSON *st, *want = NULL;
    const cJSON *p;
    (void)state;
    sg_ctx_new(&ctx);
    r = make_report(ctx, "pkg:npm/%40scope/demo@1.2.3", "script-added");
    assert_int_equal(sg_attest_statements(NULL, &rep, ctx, r, tarball, TARBALL_LEN, NULL), 0);
    st = parse(ctx, &rep);
    check_subject(st, "pkg:npm/%40scope/demo@1.2.3");
    assert_string_equal(sg_json_str(st, "predicateType"),
                        "https://sourcegate.dev/attestation/report/v1");
    p = at(st, "predicate");
    assert_int_equal(sg_report_write_json(&json, ctx, r), 0);
    assert_int_equal(sg_json_parse(&want, ctx, json.ptr, json.size, "report"), 0);
    assert_true(sg_json_equal(p, want));
    assert_string_equal(sg_json_str(p, "verdict"), "fail");
    assert_string_equal(sg_json_str(at(p, "source"), "commit"),
                        "0123456789abcdef0123456789abcdef01234567");
    assert_int_equal(cJSON_GetArraySize(at(p, "findings")), 1);
    cJSON_Delete(st);
    cJSON_Delete(want);
    sg_buf_dispose(&rep);
    sg_buf_dispose(&json);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

/* An empty version is no version: the purl ends with the name, not with "@". */
static void test_statement__purl_built_without_version_when_empty(void **state)
{
    sg_ctx *ctx;
    sg_report *r;
    sg_buf vsa = SG_BUF_INIT;
    cJSON *st;
    (void)state;
    sg_ctx_new(&ctx);
    r = make_report(ctx, NULL, NULL);
    assert_int_equal(sg_report_set(r, ctx, SG_REPORT_VERSION, ""), 0);
    assert_int_equal(sg_attest_statements(&vsa, NULL, ctx, r, tarball, TARBALL_LEN, NULL), 0);
    st = parse(ctx, &vsa);
    check_subject(st, "pkg:npm/%40scope/demo");
    cJSON_Delete(st);
    sg_buf_dispose(&vsa);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

static void test_statement__purl_built_from_scoped_name_when_absent(void **state)
{
    sg_ctx *ctx;
    sg_report *r;
    sg_buf vsa = SG_BUF_INIT;
    cJSON *st;
    (void)state;
    sg_ctx_new(&ctx);
    r = make_report(ctx, NULL, NULL);
    assert_int_equal(sg_attest_statements(&vsa, NULL, ctx, r, tarball, TARBALL_LEN, NULL), 0);
    st = parse(ctx, &vsa);
    check_subject(st, "pkg:npm/%40scope/demo@1.2.3");
    cJSON_Delete(st);
    sg_buf_dispose(&vsa);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

static void test_statement__refuses_tarball_other_than_the_verified_one(void **state)
{
    sg_ctx *ctx;
    sg_report *r;
    sg_buf vsa = SG_BUF_INIT;
    (void)state;
    sg_ctx_new(&ctx);
    r = make_report(ctx, "pkg:npm/demo@1.0.0", NULL);
    assert_int_equal(sg_attest_statements(&vsa, NULL, ctx, r, (const unsigned char *)"other", 5,
                                          NULL),
                     SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "not the verified artifact"));
    assert_int_equal(vsa.size, 0);
    sg_report_free(r);
    sg_buf_dispose(&vsa);
    sg_ctx_free(ctx);
}

static void test_statement__refuses_report_without_package(void **state)
{
    sg_ctx *ctx;
    sg_report *r = NULL;
    sg_buf vsa = SG_BUF_INIT;
    (void)state;
    sg_ctx_new(&ctx);
    sg_report_new(&r, ctx);
    assert_int_equal(sg_attest_statements(&vsa, NULL, ctx, r, tarball, TARBALL_LEN, NULL),
                     SG_EINVALID);
    sg_report_free(r);
    sg_buf_dispose(&vsa);
    sg_ctx_free(ctx);
}

static void test_statement__policy_document_is_canonical(void **state)
{
    sg_ctx *ctx;
    sg_buf high = SG_BUF_INIT, crit = SG_BUF_INIT, again = SG_BUF_INIT;
    cJSON *doc = NULL;
    const cJSON *sev, *prev = NULL, *item;
    size_t count = 0;
    const char *head = "{\"fail_on\":\"high\",\"inconclusive_kinds\":[\"file-unverified\","
                       "\"ref-unresolved\",\"source-missing\"],\"schema\":\"https://"
                       "sourcegate.dev/policy/v1\",\"severities\":{";
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_attest_policy_document(&high, ctx, SG_SEV_HIGH), 0);
    assert_int_equal(sg_attest_policy_document(&again, ctx, SG_SEV_HIGH), 0);
    assert_int_equal(sg_attest_policy_document(&crit, ctx, SG_SEV_CRITICAL), 0);
    assert_memory_equal(high.ptr, head, strlen(head));
    assert_string_equal(high.ptr, again.ptr);
    assert_string_not_equal(high.ptr, crit.ptr);
    assert_null(strpbrk(high.ptr, " \n\t"));
    assert_int_equal(sg_json_parse(&doc, ctx, high.ptr, high.size, "policy"), 0);
    sev = at(doc, "severities");
    sg_finding_kinds(&count);
    assert_int_equal((size_t)cJSON_GetArraySize(sev), count);
    cJSON_ArrayForEach(item, sev)
    {
        if (prev)
            assert_true(strcmp(prev->string, item->string) < 0);
        prev = item;
    }
    assert_string_equal(sg_json_str(sev, "dependency-added"), "critical");
    cJSON_Delete(doc);
    sg_buf_dispose(&high);
    sg_buf_dispose(&crit);
    sg_buf_dispose(&again);
    sg_ctx_free(ctx);
}

static void test_statement__time_formats_rfc3339_utc(void **state)
{
    sg_ctx *ctx;
    char out[32];
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_attest__format_time(out, ctx, 0), 0);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    assert_int_equal(sg_attest__format_time(out, ctx, 1775001599), 0);
    assert_string_equal(out, "2026-03-31T23:59:59Z");
    assert_int_equal(sg_attest__format_time(out, ctx, INT64_C(253402300800)), SG_EINVALID);
    sg_ctx_free(ctx);
}

static void test_statement__write_emits_two_signed_lines(void **state)
{
    sg_ctx *ctx;
    sg_report *r;
    sg_key *key = NULL;
    sg_buf out = SG_BUF_INIT;
    sg_attest_verify_opts vo = SG_ATTEST_VERIFY_OPTS_INIT;
    sg_attest_check c = SG_ATTEST_CHECK_INIT;
    char sha256[65], sha512[129];
    const char *nl;
    (void)state;
    sg_ctx_new(&ctx);
    want_digests(sha256, sha512);
    r = make_report(ctx, "pkg:npm/%40scope/demo@1.2.3", NULL);
    assert_int_equal(sg_key_generate(&key, ctx, SG_KEY_ED25519), 0);
    assert_int_equal(sg_attest_write(&out, ctx, key, r, tarball, TARBALL_LEN, NULL), 0);
    nl = memchr(out.ptr, '\n', out.size);
    assert_non_null(nl);
    assert_int_equal(out.ptr[out.size - 1], '\n');
    assert_ptr_equal(memchr(nl + 1, '\n', out.size - (size_t)(nl + 1 - out.ptr)),
                     out.ptr + out.size - 1);
    vo.artifact_sha256 = sha256;
    vo.artifact_sha512 = sha512;
    vo.predicate_type = SG_VSA_PREDICATE_V1;
    assert_int_equal(
        sg_attest_verify_envelope(&c, ctx, key, out.ptr, (size_t)(nl - out.ptr), &vo), 0);
    assert_int_equal(c.status, SG_ATTEST_VERIFIED);
    assert_string_equal(c.verification_result, "PASSED");
    vo.predicate_type = SG_REPORT_PREDICATE_V1;
    assert_int_equal(sg_attest_verify_envelope(&c, ctx, key, nl + 1,
                                               out.size - (size_t)(nl + 1 - out.ptr) - 1, &vo),
                     0);
    assert_int_equal(c.status, SG_ATTEST_VERIFIED);
    assert_string_equal(c.subject_name, "pkg:npm/%40scope/demo@1.2.3");
    assert_null(c.verification_result);
    sg_attest_check_dispose(&c);
    sg_key_free(key);
    sg_buf_dispose(&out);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_statement__vsa_of_a_passed_verification),
        cmocka_unit_test(test_statement__vsa_of_failed_and_inconclusive_is_failed),
        cmocka_unit_test(test_statement__report_statement_carries_the_full_report),
        cmocka_unit_test(test_statement__purl_built_from_scoped_name_when_absent),
        cmocka_unit_test(test_statement__purl_built_without_version_when_empty),
        cmocka_unit_test(test_statement__refuses_tarball_other_than_the_verified_one),
        cmocka_unit_test(test_statement__refuses_report_without_package),
        cmocka_unit_test(test_statement__policy_document_is_canonical),
        cmocka_unit_test(test_statement__time_formats_rfc3339_utc),
        cmocka_unit_test(test_statement__write_emits_two_signed_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
