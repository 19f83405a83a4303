/*
 * npm registry signatures: the real key and signatures (tests/fixtures/npm-trust, copied from
 * shared/fixtures) verify; a changed byte, version or key fails; key expiry is compared with
 * the publish time; keys documents in both shapes; publish times as registries write them.
 */
#include "sg_test.h"

#include "attest/attest_int.h"
#include "verifier/trust/trust_int.h"
#include "sigstore_fixture.h"

#define NPM_KEYID "SHA256:jl3bwswu80PjjokCgh0o2w5c2U4LhQAE57gj9cz1kzA"

static sg_ctx *ctx;

static char *fixture(const char *name)
{
    const char *src = getenv("SG_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/fixtures/npm-trust/%s", src ? src : ".", name);
    return sgt_read_file(path, NULL);
}

static void load_keys(sg_npm_keys *keys, const char *text)
{
    assert_int_equal(sg_npm_keys__parse(keys, ctx, text, strlen(text), "keys"), 0);
}

/* {"versions":{V:{"dist":{...}}},"time":{V: when}} with one signature. */
static cJSON *packument(const char *version, const char *integrity, const char *keyid,
                        const char *sig, const char *when)
{
    char buf[4096];
    cJSON *doc;
    snprintf(buf, sizeof(buf),
             "{\"versions\":{\"%s\":{\"dist\":{\"integrity\":\"%s\"%s%s%s%s%s}}}%s%s%s%s%s}",
             version, integrity, sig ? ",\"signatures\":[{\"keyid\":\"" : "", sig ? keyid : "",
             sig ? "\",\"sig\":\"" : "", sig ? sig : "", sig ? "\"}]" : "",
             when ? ",\"time\":{\"" : "", when ? version : "", when ? "\":\"" : "",
             when ? when : "", when ? "\"}" : "");
    doc = cJSON_Parse(buf);
    assert_non_null(doc);
    return doc;
}

static sg_sig_status run_check(sg_sig_result *res, const sg_npm_keys *keys, const char *name,
                               const cJSON *doc, const char *version)
{
    const cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "versions"), version);
    assert_int_equal(sg_npm_signatures__check(res, ctx, keys, name, version, m,
                                              cJSON_GetObjectItem(doc, "time")),
                     0);
    if (res->status != SG_SIG_VERIFIED)
        print_message("%s\n", res->detail);
    return res->status;
}

/* The vectors of registry-signatures.json. */
static cJSON *vectors(char **text)
{
    cJSON *doc;
    *text = fixture("registry-signatures.json");
    doc = cJSON_Parse(*text);
    assert_non_null(cJSON_GetObjectItem(doc, "vectors"));
    return doc;
}

static void test_signatures__real_npm_signatures_verify_with_the_real_key(void **state)
{
    char *keys_text = fixture("keys.json"), *text = NULL;
    cJSON *doc = vectors(&text), *v;
    sg_npm_keys keys = SG_NPM_KEYS_INIT;
    sg_sig_result res;
    int n = 0;
    (void)state;
    load_keys(&keys, keys_text);
    assert_int_equal(keys.count, 1);
    assert_string_equal(keys.keys[0].keyid, NPM_KEYID);
    assert_true(keys.keys[0].expires == SG_TRUST_NO_TIME);
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(doc, "vectors"))
    {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(v, "name"));
        const char *version = cJSON_GetStringValue(cJSON_GetObjectItem(v, "version"));
        cJSON *p = packument(version, cJSON_GetStringValue(cJSON_GetObjectItem(v, "integrity")),
                             NPM_KEYID, cJSON_GetStringValue(cJSON_GetObjectItem(v, "sig")),
                             "2022-06-01T00:00:00.000Z");
        assert_int_equal(run_check(&res, &keys, name, p, version), SG_SIG_VERIFIED);
        assert_string_equal(res.keyid, NPM_KEYID);
        assert_int_equal(res.signatures, 1);
        cJSON_Delete(p);
        n++;
    }
    assert_int_equal(n, 2);
    sg_npm_keys__dispose(&keys);
    cJSON_Delete(doc);
    free(text);
    free(keys_text);
}

static void test_signatures__tampered_copies_are_invalid(void **state)
{
    char *keys_text = fixture("keys.json"), *text = NULL;
    cJSON *doc = vectors(&text);
    cJSON *v = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "vectors"), 0);
    const char *integrity = cJSON_GetStringValue(cJSON_GetObjectItem(v, "integrity"));
    char sig[256], *other_keys;
    sg_npm_keys keys = SG_NPM_KEYS_INIT, wrong = SG_NPM_KEYS_INIT;
    sg_sig_result res;
    cJSON *p;
    EVP_PKEY *k = sgt_p256();
    (void)state;
    load_keys(&keys, keys_text);
    snprintf(sig, sizeof(sig), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(v, "sig")));

    /* one byte of the signature */
    sig[20] = sig[20] == 'A' ? 'B' : 'A';
    p = packument("1.0.0", integrity, NPM_KEYID, sig, NULL);
    assert_int_equal(run_check(&res, &keys, "kms-demo", p, "1.0.0"), SG_SIG_INVALID);
    assert_non_null(strstr(res.detail, "does not verify"));
    cJSON_Delete(p);
    snprintf(sig, sizeof(sig), "%s", cJSON_GetStringValue(cJSON_GetObjectItem(v, "sig")));

    /* another version of the same package */
    p = packument("1.0.1", integrity, NPM_KEYID, sig, NULL);
    assert_int_equal(run_check(&res, &keys, "kms-demo", p, "1.0.1"), SG_SIG_INVALID);
    cJSON_Delete(p);

    /* another package name */
    p = packument("1.0.0", integrity, NPM_KEYID, sig, NULL);
    assert_int_equal(run_check(&res, &keys, "kms-demo2", p, "1.0.0"), SG_SIG_INVALID);
    cJSON_Delete(p);

    /* another key under the same keyid */
    other_keys = sgt_npm_keys(k, NPM_KEYID, NULL);
    load_keys(&wrong, other_keys);
    p = packument("1.0.0", integrity, NPM_KEYID, sig, NULL);
    assert_int_equal(run_check(&res, &wrong, "kms-demo", p, "1.0.0"), SG_SIG_INVALID);
    assert_non_null(strstr(res.detail, "does not verify"));
    cJSON_Delete(p);

    /* a keyid the key set does not have */
    p = packument("1.0.0", integrity, "SHA256:unknown", sig, NULL);
    assert_int_equal(run_check(&res, &keys, "kms-demo", p, "1.0.0"), SG_SIG_INVALID);
    assert_non_null(strstr(res.detail, "not in the registry's key set"));
    cJSON_Delete(p);

    /* not base64 */
    p = packument("1.0.0", integrity, NPM_KEYID, "!!!!", NULL);
    assert_int_equal(run_check(&res, &keys, "kms-demo", p, "1.0.0"), SG_SIG_INVALID);
    cJSON_Delete(p);
    assert_int_equal(sg_error_code_of(ctx), 0);

    EVP_PKEY_free(k);
    free(other_keys);
    sg_npm_keys__dispose(&keys);
    sg_npm_keys__dispose(&wrong);
    cJSON_Delete(doc);
    free(text);
    free(keys_text);
}

static void test_signatures__key_expiry_is_compared_with_the_publish_time(void **state)
{
    EVP_PKEY *k = sgt_p256();
    char *keys_text = sgt_npm_keys(k, "SHA256:test", "2025-01-29T00:00:00.000Z");
    const char *integrity = "sha512-AAAA";
    char *sig = sgt_npm_sign(k, "demo", "1.0.0", integrity);
    sg_npm_keys keys = SG_NPM_KEYS_INIT;
    sg_sig_result res;
    cJSON *p;
    (void)state;
    load_keys(&keys, keys_text);
    /* published before the expiry: valid, whatever the date today */
    p = packument("1.0.0", integrity, "SHA256:test", sig, "2025-01-28T23:59:59.999Z");
    assert_int_equal(run_check(&res, &keys, "demo", p, "1.0.0"), SG_SIG_VERIFIED);
    cJSON_Delete(p);
    /* published after it: the key could not sign it */
    p = packument("1.0.0", integrity, "SHA256:test", sig, "2025-02-01T00:00:00.000Z");
    assert_int_equal(run_check(&res, &keys, "demo", p, "1.0.0"), SG_SIG_INVALID);
    assert_non_null(strstr(res.detail, "expired (at 2025-01-29T00:00:00Z)"));
    assert_non_null(strstr(res.detail, "2025-02-01T00:00:00Z"));
    cJSON_Delete(p);
    /* exactly at the expiry: expired (npm: publishedTime < expires) */
    p = packument("1.0.0", integrity, "SHA256:test", sig, "2025-01-29T00:00:00.000Z");
    assert_int_equal(run_check(&res, &keys, "demo", p, "1.0.0"), SG_SIG_INVALID);
    cJSON_Delete(p);
    /* no time[version]: npm's default 2015-01-01, before the expiry */
    p = packument("1.0.0", integrity, "SHA256:test", sig, NULL);
    assert_int_equal(run_check(&res, &keys, "demo", p, "1.0.0"), SG_SIG_VERIFIED);
    cJSON_Delete(p);
    /* an unreadable time: treated as unknown, so an expiring key is not trusted */
    p = packument("1.0.0", integrity, "SHA256:test", sig, "yesterday");
    assert_int_equal(run_check(&res, &keys, "demo", p, "1.0.0"), SG_SIG_INVALID);
    cJSON_Delete(p);
    sg_npm_keys__dispose(&keys);
    EVP_PKEY_free(k);
    free(keys_text);
    free(sig);
}

static void test_signatures__missing_only_when_the_registry_has_keys(void **state)
{
    char *keys_text = fixture("keys.json");
    sg_npm_keys keys = SG_NPM_KEYS_INIT, none = SG_NPM_KEYS_INIT;
    sg_sig_result res;
    cJSON *p = packument("1.0.0", "sha512-AAAA", NULL, NULL, NULL);
    (void)state;
    load_keys(&keys, keys_text);
    assert_int_equal(run_check(&res, &keys, "demo", p, "1.0.0"), SG_SIG_MISSING);
    assert_int_equal(run_check(&res, &none, "demo", p, "1.0.0"), SG_SIG_NO_KEYS);
    load_keys(&none, "{\"keys\":[]}");
    assert_int_equal(run_check(&res, &none, "demo", p, "1.0.0"), SG_SIG_NO_KEYS);
    cJSON_Delete(p);
    sg_npm_keys__dispose(&keys);
    free(keys_text);
}

static void test_signatures__sha1_shasum_stands_in_for_a_missing_integrity(void **state)
{
    EVP_PKEY *k = sgt_p256();
    char *keys_text = sgt_npm_keys(k, "SHA256:test", NULL);
    /* shasum 00..13 (hex) -> sha1-AAECAwQFBgcICQoLDA0ODxAREhM= */
    char *sig = sgt_npm_sign(k, "old", "0.1.0", "sha1-AAECAwQFBgcICQoLDA0ODxAREhM=");
    char buf[1024];
    sg_npm_keys keys = SG_NPM_KEYS_INIT;
    sg_sig_result res;
    cJSON *p;
    (void)state;
    load_keys(&keys, keys_text);
    snprintf(buf, sizeof(buf),
             "{\"versions\":{\"0.1.0\":{\"dist\":{\"shasum\":"
             "\"000102030405060708090a0b0c0d0e0f10111213\",\"signatures\":[{\"keyid\":"
             "\"SHA256:test\",\"sig\":\"%s\"}]}}}}",
             sig);
    p = cJSON_Parse(buf);
    assert_int_equal(run_check(&res, &keys, "old", p, "0.1.0"), SG_SIG_VERIFIED);
    cJSON_Delete(p);
    sg_npm_keys__dispose(&keys);
    EVP_PKEY_free(k);
    free(keys_text);
    free(sig);
}

static void test_signatures__tuf_keys_json_shape_and_usage_filter(void **state)
{
    char *keys_text = fixture("keys.json");
    cJSON *doc = cJSON_Parse(keys_text);
    const char *b64 = cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "keys"), 0), "key"));
    char tuf[2048];
    sg_npm_keys keys = SG_NPM_KEYS_INIT;
    (void)state;
    snprintf(tuf, sizeof(tuf),
             "{\"keys\":[{\"keyId\":\"" NPM_KEYID "\",\"keyUsage\":\"npm:signatures\","
             "\"publicKey\":{\"rawBytes\":\"%s\",\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\","
             "\"validFor\":{\"start\":\"1999-01-01T00:00:00.000Z\",\"end\":"
             "\"2025-01-29T00:00:00.000Z\"}}},{\"keyId\":\"SHA256:att\",\"keyUsage\":"
             "\"npm:attestations\",\"publicKey\":{\"rawBytes\":\"%s\",\"keyDetails\":"
             "\"PKIX_ECDSA_P256_SHA_256\"}}]}",
             b64, b64);
    load_keys(&keys, tuf);
    assert_int_equal(keys.count, 1);
    assert_string_equal(keys.keys[0].keyid, NPM_KEYID);
    assert_true(keys.keys[0].expires == 1738108800); /* 2025-01-29T00:00:00Z */
    sg_npm_keys__dispose(&keys);
    cJSON_Delete(doc);
    free(keys_text);
}

static void test_signatures__bad_keys_documents_are_refused(void **state)
{
    static const char *const bad[] = {
        "{}",
        "{\"keys\":{}}",
        "{\"keys\":[{\"keyid\":\"x\"}]}",
        "{\"keys\":[{\"keyid\":\"x\",\"key\":\"not base64!\"}]}",
        "{\"keys\":[{\"keyid\":\"x\",\"key\":\"AAAA\"}]}",
        "{\"keys\":[{\"keyid\":\"x\",\"key\":\"AAAA\",\"expires\":\"soon\"}]}",
        "[1,2",
    };
    sg_npm_keys keys = SG_NPM_KEYS_INIT;
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(bad); i++) {
        assert_true(sg_npm_keys__parse(&keys, ctx, bad[i], strlen(bad[i]), "keys") < 0);
        assert_int_equal(keys.count, 0);
        sg_error_clear(ctx);
    }
    /* an ed25519 key is skipped, not an error: npm knows only P-256 */
    {
        const char *ed = "{\"keys\":[{\"keyid\":\"e\",\"keytype\":\"ssh-ed25519\",\"key\":"
                         "\"AAAA\"}]}";
        assert_int_equal(sg_npm_keys__parse(&keys, ctx, ed, strlen(ed), "keys"), 0);
    }
    assert_int_equal(keys.count, 0);
    sg_npm_keys__dispose(&keys);
}

static void test_signatures__publish_times_as_registries_write_them(void **state)
{
    static const struct {
        const char *s;
        int64_t t;
    } ok[] = {
        {"2025-01-29T00:00:00.000Z", 1738108800},
        {"2025-01-29T00:00:00Z", 1738108800},
        {"2024-12-07T08:02:23.429000+00:00", 1733558543},
        {"2024-12-07T10:02:23+02:00", 1733558543},
        {"1970-01-01T00:00:00Z", 0},
        {"2000-02-29T12:00:00Z", 951825600},
    };
    static const char *const bad[] = {"",
                                      "2025-01-29",
                                      "2025-13-01T00:00:00Z",
                                      "2025-02-30T00:00:00Z",
                                      "2025-01-29T00:00:00",
                                      "2025-01-29T00:00:00.Z",
                                      "2025-01-29T00:00:00Zjunk"};
    char out[32];
    int64_t t;
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(ok); i++) {
        assert_int_equal(sg_trust__parse_time(&t, ok[i].s), 0);
        assert_true(t == ok[i].t);
    }
    for (i = 0; i < SG_ARRAY_SIZE(bad); i++)
        assert_int_equal(sg_trust__parse_time(&t, bad[i]), SG_EINVALID);
    sg_trust__format_time(out, 1738108800);
    assert_string_equal(out, "2025-01-29T00:00:00Z");
    sg_trust__format_time(out, 951825600);
    assert_string_equal(out, "2000-02-29T12:00:00Z");
    sg_trust__format_time(out, -86400);
    assert_string_equal(out, "1969-12-31T00:00:00Z");
}

static void test_signatures__trust_options_are_checked_up_front(void **state)
{
    char *keys_text = fixture("keys.json"), *root_text = fixture("trusted_root.json");
    sg_trust_opts o = SG_TRUST_OPTS_INIT;
    (void)state;
    assert_int_equal(sg_trust_opts_check(ctx, NULL), 0);
    assert_int_equal(sg_trust_opts_check(ctx, &o), 0);
    o.registry_keys = keys_text;
    o.registry_keys_len = strlen(keys_text);
    o.trusted_root = root_text;
    o.trusted_root_len = strlen(root_text);
    assert_int_equal(sg_trust_opts_check(ctx, &o), 0);
    /* keys without a usable key, a truncated trusted root: usage errors, named */
    o.registry_keys = "{\"keys\":[]}";
    o.registry_keys_len = strlen(o.registry_keys);
    o.registry_keys_origin = "pinned.json";
    assert_int_equal(sg_trust_opts_check(ctx, &o), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "pinned.json"));
    sg_error_clear(ctx);
    o.registry_keys = keys_text;
    o.registry_keys_len = strlen(keys_text);
    o.trusted_root_len = 100;
    o.trusted_root_origin = "root.json";
    assert_int_equal(sg_trust_opts_check(ctx, &o), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "root.json"));
    sg_error_clear(ctx);
    free(keys_text);
    free(root_text);
}

static int group_setup(void **state)
{
    (void)state;
    return sg_ctx_new(&ctx);
}

static int group_teardown(void **state)
{
    (void)state;
    sg_ctx_free(ctx);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signatures__real_npm_signatures_verify_with_the_real_key),
        cmocka_unit_test(test_signatures__tampered_copies_are_invalid),
        cmocka_unit_test(test_signatures__key_expiry_is_compared_with_the_publish_time),
        cmocka_unit_test(test_signatures__missing_only_when_the_registry_has_keys),
        cmocka_unit_test(test_signatures__sha1_shasum_stands_in_for_a_missing_integrity),
        cmocka_unit_test(test_signatures__tuf_keys_json_shape_and_usage_filter),
        cmocka_unit_test(test_signatures__bad_keys_documents_are_refused),
        cmocka_unit_test(test_signatures__publish_times_as_registries_write_them),
        cmocka_unit_test(test_signatures__trust_options_are_checked_up_front),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
