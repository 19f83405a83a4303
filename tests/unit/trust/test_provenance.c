/*
 * Provenance: the real npm attestation bundles of sigstore@1.0.0 and tuf-js@1.0.0 verify
 * against the real trusted root (tests/fixtures/npm-trust, copied from shared/fixtures);
 * tampered copies fail with the reason; bundles made by a test Sigstore cover SLSA v1,
 * inclusion proofs and checkpoints, and the certificate checks.
 */
#include "sg_test.h"

#include "attest/attest_int.h"
#include "verifier/trust/trust_int.h"
#include "sigstore_fixture.h"

#define TUF_INTEGRITY                                                                              \
    "sha512-1dxsQwESDzACJjTdYHQ4wJ1f/of7jALWKfJEHSBWUQB/5UTJUx9SW6GHXp4mZ1KvdBRJCpGjssoPFGi4hvw8/" \
    "A=="
#define SIGSTORE_INTEGRITY                                                                         \
    "sha512-e+qfbn/zf1+rCza/BhIA//"                                                                \
    "Awmf0v1pa5HQS8Xk8iXrn9bgytytVLqYD0P7NSqZ6IELTgq+tcDvLPkQjNHyWLNg=="
#define TUF_COMMIT "99624cc7ce39872e6bd08a0df59229a48562dbca"
#define DEMO_SHA512                                                                                \
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"                             \
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define DEMO_COMMIT "0123456789abcdef0123456789abcdef01234567"

static sg_ctx *ctx;

static char *fixture(const char *name)
{
    const char *src = getenv("SG_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/fixtures/npm-trust/%s", src ? src : ".", name);
    return sgt_read_file(path, NULL);
}

static void sha_of_integrity(unsigned char out[64], const char *sri)
{
    unsigned char *raw = NULL;
    size_t n = 0;
    assert_int_equal(sg_base64_decode(&raw, &n, ctx, sri + 7, strlen(sri + 7), "sri"), 0);
    assert_int_equal(n, 64);
    memcpy(out, raw, 64);
    sg_free(raw);
}

static void hex_to_bytes(unsigned char *out, const char *hex, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

/* Check doc for name@version with the tarball digest of `integrity`, with root (or none). */
static void check(sg_provenance *p, const char *doc, const char *name, const char *version,
                  const unsigned char sha[64], const char *root_text)
{
    sg_trusted_root *root = NULL;
    if (root_text)
        assert_int_equal(sg_trusted_root__parse(&root, ctx, root_text, strlen(root_text), "root"),
                         0);
    assert_int_equal(sg_provenance__check(p, ctx, doc, strlen(doc), name, version, sha, root), 0);
    sg_trusted_root__free(root);
    if (p->status == SG_PROV_INVALID)
        print_message("invalid: %s\n", p->detail);
}

/* ---- the real fixtures ---- */

static void test_provenance__real_tuf_js_bundle_verifies_against_the_trusted_root(void **state)
{
    char *doc = fixture("attestations-tuf-js-1.0.0.json"), *root = fixture("trusted_root.json");
    unsigned char sha[64];
    sg_provenance p;
    (void)state;
    sha_of_integrity(sha, TUF_INTEGRITY);
    check(&p, doc, "tuf-js", "1.0.0", sha, root);
    assert_int_equal(p.status, SG_PROV_VERIFIED);
    assert_string_equal(p.predicate_type, "https://slsa.dev/provenance/v0.2");
    assert_string_equal(p.repository, "https://github.com/theupdateframework/tuf-js");
    assert_string_equal(p.ref, "refs/tags/v1.0.0");
    assert_string_equal(p.commit, TUF_COMMIT);
    assert_string_equal(p.workflow, ".github/workflows/publish.yml");
    assert_string_equal(p.cert.commit, TUF_COMMIT);
    assert_string_equal(p.cert.repository, "https://github.com/theupdateframework/tuf-js");
    assert_string_equal(p.cert.issuer, "https://token.actions.githubusercontent.com");
    assert_int_equal(p.integrated_time, 1675964305);
    assert_non_null(strstr(p.checks, "rekor-set"));
    assert_non_null(strstr(p.checks, "fulcio-chain"));
    assert_non_null(strstr(p.checks, "sct"));
    free(doc);
    free(root);
}

static void test_provenance__real_sigstore_bundle_verifies_against_the_trusted_root(void **state)
{
    char *doc = fixture("attestations-sigstore-1.0.0.json"), *root = fixture("trusted_root.json");
    unsigned char sha[64];
    sg_provenance p;
    (void)state;
    sha_of_integrity(sha, SIGSTORE_INTEGRITY);
    check(&p, doc, "sigstore", "1.0.0", sha, root);
    assert_int_equal(p.status, SG_PROV_VERIFIED);
    assert_string_equal(p.repository, "https://github.com/sigstore/sigstore-js");
    assert_string_equal(p.commit, "06528997c3c8ab9f864fad9a3658446aca7fd86d");
    free(doc);
    free(root);
}

static void test_provenance__without_a_trusted_root_is_unverified_but_read(void **state)
{
    char *doc = fixture("attestations-tuf-js-1.0.0.json");
    unsigned char sha[64];
    sg_provenance p;
    (void)state;
    sha_of_integrity(sha, TUF_INTEGRITY);
    check(&p, doc, "tuf-js", "1.0.0", sha, NULL);
    assert_int_equal(p.status, SG_PROV_UNVERIFIED);
    assert_string_equal(p.commit, TUF_COMMIT);
    assert_null(strstr(p.checks, "fulcio"));
    free(doc);
}

static void test_provenance__another_packages_bundle_is_invalid(void **state)
{
    char *doc = fixture("attestations-sigstore-1.0.0.json"), *root = fixture("trusted_root.json");
    unsigned char sha[64];
    sg_provenance p;
    (void)state;
    sha_of_integrity(sha, TUF_INTEGRITY);
    check(&p, doc, "tuf-js", "1.0.0", sha, root);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "pkg:npm/sigstore@1.0.0"));
    assert_string_equal(p.commit, ""); /* never a hint */
    /* and without a trusted root too: the subject is checked either way */
    check(&p, doc, "tuf-js", "1.0.0", sha, NULL);
    assert_int_equal(p.status, SG_PROV_INVALID);
    free(doc);
    free(root);
}

static void test_provenance__another_tarball_digest_is_invalid(void **state)
{
    char *doc = fixture("attestations-tuf-js-1.0.0.json");
    unsigned char sha[64];
    sg_provenance p;
    (void)state;
    sha_of_integrity(sha, TUF_INTEGRITY);
    sha[63] ^= 1;
    check(&p, doc, "tuf-js", "1.0.0", sha, NULL);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "another sha512"));
    free(doc);
}

/* Replace the first occurrence of `from` in doc (malloc'd) with `to`. */
static char *replace(const char *doc, const char *from, const char *to)
{
    const char *at = strstr(doc, from);
    size_t n;
    char *out;
    assert_non_null(at);
    n = strlen(doc) - strlen(from) + strlen(to) + 1;
    out = malloc(n);
    snprintf(out, n, "%.*s%s%s", (int)(at - doc), doc, to, at + strlen(from));
    return out;
}

/* The base64 signature string of the provenance DSSE envelope, with one byte flipped. */
static char *flip_sig_byte(const char *doc, char **orig_b64)
{
    cJSON *j = cJSON_Parse(doc);
    cJSON *sig = cJSON_GetObjectItem(
        cJSON_GetArrayItem(
            cJSON_GetObjectItem(
                cJSON_GetObjectItem(
                    cJSON_GetObjectItem(
                        cJSON_GetArrayItem(cJSON_GetObjectItem(j, "attestations"), 0), "bundle"),
                    "dsseEnvelope"),
                "signatures"),
            0),
        "sig");
    unsigned char *raw = NULL;
    size_t n = 0;
    sg_buf b = SG_BUF_INIT;
    char *out;
    *orig_b64 = strdup(sig->valuestring);
    assert_int_equal(
        sg_base64_decode(&raw, &n, ctx, sig->valuestring, strlen(sig->valuestring), "sig"), 0);
    raw[n / 2] ^= 0x01;
    sg_base64_encode(&b, raw, n);
    out = strdup(b.ptr);
    sg_buf_dispose(&b);
    sg_free(raw);
    cJSON_Delete(j);
    return out;
}

static void test_provenance__one_byte_of_the_signature_is_invalid(void **state)
{
    char *doc = fixture("attestations-tuf-js-1.0.0.json"), *root = fixture("trusted_root.json");
    char *orig = NULL, *flipped = flip_sig_byte(doc, &orig), *bad, *both, *orig_b64b64,
         *flip_b64b64;
    sg_buf x = SG_BUF_INIT, y = SG_BUF_INIT;
    unsigned char sha[64];
    sg_provenance p;
    (void)state;
    sha_of_integrity(sha, TUF_INTEGRITY);
    /* the envelope's signature alone: the log entry no longer matches */
    bad = replace(doc, orig, flipped);
    check(&p, bad, "tuf-js", "1.0.0", sha, root);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "another signature"));
    /* the envelope and the log entry both changed: the signature itself fails */
    sg_base64_encode(&x, (const unsigned char *)orig, strlen(orig));
    sg_base64_encode(&y, (const unsigned char *)flipped, strlen(flipped));
    orig_b64b64 = x.ptr;
    flip_b64b64 = y.ptr;
    {
        /* the body is itself base64 inside the bundle: rebuild it */
        cJSON *j = cJSON_Parse(bad);
        cJSON *e = cJSON_GetArrayItem(
            cJSON_GetObjectItem(
                cJSON_GetObjectItem(
                    cJSON_GetObjectItem(
                        cJSON_GetArrayItem(cJSON_GetObjectItem(j, "attestations"), 0), "bundle"),
                    "verificationMaterial"),
                "tlogEntries"),
            0);
        cJSON *cb = cJSON_GetObjectItem(e, "canonicalizedBody");
        unsigned char *raw = NULL;
        size_t n = 0;
        char *body, *newbody;
        sg_buf enc = SG_BUF_INIT;
        assert_int_equal(
            sg_base64_decode(&raw, &n, ctx, cb->valuestring, strlen(cb->valuestring), "body"), 0);
        body = strndup((const char *)raw, n);
        newbody = replace(body, orig_b64b64, flip_b64b64);
        sg_base64_encode(&enc, (const unsigned char *)newbody, strlen(newbody));
        cJSON_SetValuestring(cb, enc.ptr);
        both = cJSON_PrintUnformatted(j);
        sg_buf_dispose(&enc);
        free(body);
        free(newbody);
        sg_free(raw);
        cJSON_Delete(j);
    }
    check(&p, both, "tuf-js", "1.0.0", sha, NULL);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "DSSE signature does not verify"));
    check(&p, both, "tuf-js", "1.0.0", sha, root);
    assert_int_equal(p.status, SG_PROV_INVALID);
    free(doc);
    free(root);
    free(orig);
    free(flipped);
    free(bad);
    free(both);
    sg_buf_dispose(&x);
    sg_buf_dispose(&y);
}

static void test_provenance__a_rekor_key_the_bundle_was_not_logged_by_is_refused(void **state)
{
    char *doc = fixture("attestations-tuf-js-1.0.0.json"), *root = fixture("trusted_root.json");
    char *bad_root;
    unsigned char sha[64];
    sg_provenance p;
    sgt_sigstore s;
    sg_buf k = SG_BUF_INIT;
    (void)state;
    sgt_sigstore_init(&s);
    sha_of_integrity(sha, TUF_INTEGRITY);
    /* same log id, another key: the log id check passes, the SET signature fails */
    sgt_spki_b64(&k, s.rekor_key);
    bad_root = replace(
        root,
        "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+"
        "2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==",
        k.ptr);
    /* the parser refuses a logId that is not the key's hash: drop the logId */
    {
        char *t = replace(
            bad_root,
            "\"logId\": {\n    \"keyId\": \"wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=\"\n   }",
            "\"logId\": null");
        free(bad_root);
        bad_root = t;
    }
    check(&p, doc, "tuf-js", "1.0.0", sha, bad_root);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "log id"));
    sg_buf_dispose(&k);
    sgt_sigstore_free(&s);
    free(doc);
    free(root);
    free(bad_root);
}

static void test_provenance__a_changed_integrated_time_fails(void **state)
{
    char *doc = fixture("attestations-tuf-js-1.0.0.json"), *root = fixture("trusted_root.json");
    char *bad =
        replace(doc, "\"integratedTime\": \"1675964305\"", "\"integratedTime\": \"1675964306\"");
    unsigned char sha[64];
    sg_provenance p;
    (void)state;
    sha_of_integrity(sha, TUF_INTEGRITY);
    check(&p, bad, "tuf-js", "1.0.0", sha, root);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "signed entry timestamp does not verify"));
    free(doc);
    free(root);
    free(bad);
}

static void test_provenance__a_ca_not_yet_valid_at_the_integrated_time_fails(void **state)
{
    char *doc = fixture("attestations-tuf-js-1.0.0.json"), *root = fixture("trusted_root.json");
    char *bad = replace(root, "\"start\": \"2021-10-07T13:56:59.000Z\"",
                        "\"start\": \"2023-03-01T00:00:00.000Z\"");
    unsigned char sha[64];
    sg_provenance p;
    (void)state;
    sha_of_integrity(sha, TUF_INTEGRITY);
    check(&p, doc, "tuf-js", "1.0.0", sha, bad);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "no certificate authority"));
    free(doc);
    free(root);
    free(bad);
}

static void test_provenance__an_untrusted_ct_log_fails_the_sct(void **state)
{
    char *doc = fixture("attestations-tuf-js-1.0.0.json"), *root = fixture("trusted_root.json");
    char *bad;
    unsigned char sha[64];
    sg_provenance p;
    sgt_sigstore s;
    sg_buf k = SG_BUF_INIT;
    (void)state;
    sgt_sigstore_init(&s);
    sgt_spki_b64(&k, s.other_key);
    bad = replace(root,
                  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiPSlFi0CmFTfEjCUqF9HuCEcYXNKAaYalIJmBZ8yyezP"
                  "jTqhxrKBpMnaocVtLJBI1eM3uXnQzQGAJdJ4gs9Fyw==",
                  k.ptr);
    {
        char *t = replace(
            bad,
            "\"logId\": {\n    \"keyId\": \"3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4=\"\n   }",
            "\"logId\": null");
        free(bad);
        bad = t;
    }
    sha_of_integrity(sha, TUF_INTEGRITY);
    check(&p, doc, "tuf-js", "1.0.0", sha, bad);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "certificate timestamp"));
    sg_buf_dispose(&k);
    sgt_sigstore_free(&s);
    free(doc);
    free(root);
    free(bad);
}

static void test_provenance__a_changed_payload_no_longer_matches_the_log(void **state)
{
    char *doc = fixture("attestations-tuf-js-1.0.0.json");
    cJSON *j = cJSON_Parse(doc);
    cJSON *env = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "attestations"), 0),
                            "bundle"),
        "dsseEnvelope");
    sg_buf b = SG_BUF_INIT;
    char *bad;
    const char *stmt = "{\"_type\":\"https://in-toto.io/Statement/v0.1\"}";
    unsigned char sha[64];
    sg_provenance p;
    (void)state;
    sg_base64_encode(&b, (const unsigned char *)stmt, strlen(stmt));
    cJSON_SetValuestring(cJSON_GetObjectItem(env, "payload"), b.ptr);
    bad = cJSON_PrintUnformatted(j);
    sha_of_integrity(sha, TUF_INTEGRITY);
    check(&p, bad, "tuf-js", "1.0.0", sha, NULL);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "payload hash"));
    sg_buf_dispose(&b);
    cJSON_Delete(j);
    free(doc);
    free(bad);
}

static void test_provenance__malformed_documents_are_invalid_not_errors(void **state)
{
    static const char *const docs[] = {
        "not json",
        "[]",
        "{\"attestations\":{}}",
        "{\"attestations\":[]}",
        "{\"attestations\":[{\"predicateType\":\"https://slsa.dev/provenance/v1\"}]}",
        "{\"attestations\":[{\"predicateType\":\"https://slsa.dev/provenance/v1\",\"bundle\":"
        "{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.1\"}}]}",
        "{\"attestations\":[{\"predicateType\":\"https://slsa.dev/provenance/v1\",\"bundle\":"
        "{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.1\","
        "\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"AAAA\"}}}}]}",
        "{\"attestations\":[{\"predicateType\":\"https://github.com/npm/attestation/tree/main/"
        "specs/publish/v0.1\",\"bundle\":{}}]}",
    };
    unsigned char sha[64] = {0};
    sg_provenance p;
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(docs); i++) {
        check(&p, docs[i], "x", "1.0.0", sha, NULL);
        assert_int_equal(p.status, SG_PROV_INVALID);
        assert_true(p.detail[0] != '\0');
        assert_int_equal(sg_error_code_of(ctx), 0);
    }
}

/* ---- a test Sigstore: SLSA v1, proofs, certificates ---- */

static char *demo_doc(const sgt_sigstore *s, sgt_bundle_opts *o)
{
    char *stmt = sgt_statement_v1("@acme/demo", "1.0.0", DEMO_SHA512,
                                  "https://github.com/acme/demo", "refs/tags/v1.0.0", DEMO_COMMIT);
    char *doc;
    o->statement = stmt;
    doc = sgt_attestations(s, o);
    free(stmt);
    return doc;
}

static void check_demo(sg_provenance *p, const sgt_sigstore *s, sgt_bundle_opts *o)
{
    char *doc = demo_doc(s, o), *root = sgt_trusted_root(s);
    unsigned char sha[64];
    hex_to_bytes(sha, DEMO_SHA512, 64);
    check(p, doc, "@acme/demo", "1.0.0", sha, root);
    free(doc);
    free(root);
}

static void test_provenance__slsa_v1_with_inclusion_proof_and_checkpoint_verifies(void **state)
{
    sgt_sigstore s;
    sgt_bundle_opts o = {0};
    sg_provenance p;
    (void)state;
    sgt_sigstore_init(&s);
    o.with_proof = 1;
    o.cert_commit = DEMO_COMMIT;
    o.cert_repo = "acme/demo";
    check_demo(&p, &s, &o);
    assert_int_equal(p.status, SG_PROV_VERIFIED);
    assert_string_equal(p.predicate_type, "https://slsa.dev/provenance/v1");
    assert_string_equal(p.repository, "https://github.com/acme/demo");
    assert_string_equal(p.ref, "refs/tags/v1.0.0");
    assert_string_equal(p.workflow, ".github/workflows/publish.yml");
    assert_string_equal(p.commit, DEMO_COMMIT);
    assert_string_equal(p.builder, "https://github.com/actions/runner/github-hosted");
    assert_non_null(strstr(p.checks, "inclusion-proof, checkpoint"));
    assert_null(strstr(p.checks, "sct")); /* the test root lists no CT log */
    sgt_sigstore_free(&s);
}

static void test_provenance__a_wrong_proof_hash_fails(void **state)
{
    sgt_sigstore s;
    sgt_bundle_opts o = {0};
    sg_provenance p;
    (void)state;
    sgt_sigstore_init(&s);
    o.with_proof = 1;
    o.tamper_proof = 1;
    check_demo(&p, &s, &o);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "inclusion proof"));
    sgt_sigstore_free(&s);
}

static void test_provenance__a_set_signed_by_another_key_fails(void **state)
{
    sgt_sigstore s;
    sgt_bundle_opts o = {0};
    sg_provenance p;
    (void)state;
    sgt_sigstore_init(&s);
    o.set_by_other = 1;
    check_demo(&p, &s, &o);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "signed entry timestamp"));
    sgt_sigstore_free(&s);
}

static void test_provenance__a_leaf_from_another_ca_fails_the_chain(void **state)
{
    sgt_sigstore s;
    sgt_bundle_opts o = {0};
    sg_provenance p;
    (void)state;
    sgt_sigstore_init(&s);
    o.leaf_by_other = 1;
    check_demo(&p, &s, &o);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "does not chain"));
    sgt_sigstore_free(&s);
}

static void test_provenance__a_leaf_expired_at_the_integrated_time_fails(void **state)
{
    sgt_sigstore s;
    sgt_bundle_opts o = {0};
    sg_provenance p;
    (void)state;
    sgt_sigstore_init(&s);
    o.cert_offset = -3600; /* valid an hour before the entry was logged, for ten minutes */
    check_demo(&p, &s, &o);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "does not chain"));
    assert_non_null(strstr(p.detail, "expired"));
    sgt_sigstore_free(&s);
}

static void test_provenance__a_leaf_without_code_signing_fails(void **state)
{
    sgt_sigstore s;
    sgt_bundle_opts o = {0};
    sg_provenance p;
    (void)state;
    sgt_sigstore_init(&s);
    o.no_codesign = 1;
    check_demo(&p, &s, &o);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "code-signing"));
    sgt_sigstore_free(&s);
}

static void test_provenance__certificate_and_statement_must_agree(void **state)
{
    sgt_sigstore s;
    sgt_bundle_opts o = {0};
    sg_provenance p;
    (void)state;
    sgt_sigstore_init(&s);
    /* a hijacked workflow can write any statement; its OIDC certificate it cannot choose */
    o.cert_commit = "fedcba9876543210fedcba9876543210fedcba98";
    check_demo(&p, &s, &o);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "certificate was issued for commit"));
    o.cert_commit = DEMO_COMMIT;
    o.cert_repo = "evil/demo";
    check_demo(&p, &s, &o);
    assert_int_equal(p.status, SG_PROV_INVALID);
    assert_non_null(strstr(p.detail, "evil/demo"));
    sgt_sigstore_free(&s);
}

static void test_provenance__scoped_names_use_the_encoded_purl(void **state)
{
    sg_buf b = SG_BUF_INIT;
    (void)state;
    sg_purl_npm(&b, "@scope/name", "1.2.3");
    assert_string_equal(b.ptr, "pkg:npm/%40scope/name@1.2.3");
    sg_buf_clear(&b);
    sg_purl_npm(&b, "left-pad", "1.0.0");
    assert_string_equal(b.ptr, "pkg:npm/left-pad@1.0.0");
    sg_buf_dispose(&b);
}

/* A v0.2 configSource uri without "://" once computed strstr(...) + 3 on NULL (undefined). */
static void test_provenance__a_git_uri_without_a_scheme_separator_is_split_at_its_at(void **state)
{
    sgt_sigstore s;
    sgt_bundle_opts o = {0};
    sg_provenance p;
    unsigned char sha[64];
    sg_buf stmt = SG_BUF_INIT;
    char *doc;
    (void)state;
    sgt_sigstore_init(&s);
    sg_buf_printf(&stmt,
                  "{\"_type\":\"https://in-toto.io/Statement/v0.1\",\"subject\":[{\"name\":"
                  "\"pkg:npm/%%40acme/demo@1.0.0\",\"digest\":{\"sha512\":\"%s\"}}],"
                  "\"predicateType\":\"https://slsa.dev/provenance/v0.2\",\"predicate\":{"
                  "\"invocation\":{\"configSource\":{\"uri\":\"git+foo@bar\",\"digest\":{"
                  "\"sha1\":\"%s\"}}}}}",
                  DEMO_SHA512, DEMO_COMMIT);
    o.statement = stmt.ptr;
    o.predicate_type = "https://slsa.dev/provenance/v0.2";
    doc = sgt_attestations(&s, &o);
    hex_to_bytes(sha, DEMO_SHA512, 64);
    check(&p, doc, "@acme/demo", "1.0.0", sha, NULL);
    assert_int_equal(p.status, SG_PROV_UNVERIFIED);
    assert_string_equal(p.repository, "foo");
    assert_string_equal(p.ref, "bar");
    assert_string_equal(p.commit, DEMO_COMMIT);
    free(doc);
    sg_buf_dispose(&stmt);
    sgt_sigstore_free(&s);
}

/* ---- Merkle paths ---- */

static void leaf(unsigned char out[32], int i)
{
    char s[8];
    snprintf(s, sizeof(s), "%d", i);
    sgt_hash_leaf(out, s, strlen(s));
}

static void test_provenance__merkle_paths_of_a_five_leaf_tree(void **state)
{
    unsigned char l[5][32], n01[32], n23[32], n0123[32], root[32], path[3][32];
    int i;
    (void)state;
    for (i = 0; i < 5; i++)
        leaf(l[i], i);
    sgt_hash_node(n01, l[0], l[1]);
    sgt_hash_node(n23, l[2], l[3]);
    sgt_hash_node(n0123, n01, n23);
    sgt_hash_node(root, n0123, l[4]);
    /* index 4: one border hash */
    memcpy(path[0], n0123, 32);
    assert_true(sg_tlog__merkle_check(l[4], 4, 5, (const unsigned char(*)[32])path, 1, root));
    /* index 2: three inner hashes */
    memcpy(path[0], l[3], 32);
    memcpy(path[1], n01, 32);
    memcpy(path[2], l[4], 32);
    assert_true(sg_tlog__merkle_check(l[2], 2, 5, (const unsigned char(*)[32])path, 3, root));
    assert_false(sg_tlog__merkle_check(l[3], 2, 5, (const unsigned char(*)[32])path, 3, root));
    assert_false(sg_tlog__merkle_check(l[2], 2, 5, (const unsigned char(*)[32])path, 2, root));
    assert_false(sg_tlog__merkle_check(l[2], 5, 5, (const unsigned char(*)[32])path, 3, root));
    assert_false(sg_tlog__merkle_check(l[2], -1, 5, (const unsigned char(*)[32])path, 3, root));
}

static void test_provenance__trusted_root_parse_errors(void **state)
{
    static const char *const bad[] = {
        "{}",
        "{\"mediaType\":\"something/else\"}",
        "{\"tlogs\":[{\"publicKey\":{\"rawBytes\":\"AAAA\"}}]}",
        "{\"tlogs\":[],\"certificateAuthorities\":[]}",
    };
    char *root = fixture("trusted_root.json");
    sg_trusted_root *r = NULL;
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(bad); i++) {
        assert_int_equal(sg_trusted_root__parse(&r, ctx, bad[i], strlen(bad[i]), "root"),
                         SG_EINVALID);
        assert_null(r);
        sg_error_clear(ctx);
    }
    assert_int_equal(sg_trusted_root__parse(&r, ctx, root, strlen(root), "root"), 0);
    assert_int_equal(r->ntlogs, 1);
    assert_int_equal(r->nctlogs, 1);
    assert_int_equal(r->ncas, 1);
    sg_trusted_root__free(r);
    free(root);
}

static void test_provenance__allocation_failures_are_enomem_or_fail_closed(void **state)
{
    char *doc = fixture("attestations-tuf-js-1.0.0.json"),
         *root_text = fixture("trusted_root.json");
    sg_trusted_root *root = NULL;
    unsigned char sha[64];
    sg_provenance p;
    long n;
    int rc, enomem = 0;
    (void)state;
    sha_of_integrity(sha, TUF_INTEGRITY);
    assert_int_equal(sg_trusted_root__parse(&root, ctx, root_text, strlen(root_text), "root"), 0);
    for (n = 0; n < 400; n++) {
        sg_error_clear(ctx);
        sg_alloc__fail_after(n);
        rc = sg_provenance__check(&p, ctx, doc, strlen(doc), "tuf-js", "1.0.0", sha, root);
        sg_alloc__fail_after(-1);
        assert_true(rc == 0 || rc == SG_ENOMEM);
        enomem |= rc == SG_ENOMEM;
        /* never verified by accident: either the whole check ran, or it failed closed */
        if (rc == 0 && p.status == SG_PROV_VERIFIED)
            break;
        assert_true(rc == SG_ENOMEM || p.status == SG_PROV_INVALID);
    }
    assert_true(enomem);
    assert_int_equal(p.status, SG_PROV_VERIFIED);
    sg_error_clear(ctx);
    sg_trusted_root__free(root);
    free(doc);
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
        cmocka_unit_test(test_provenance__real_tuf_js_bundle_verifies_against_the_trusted_root),
        cmocka_unit_test(test_provenance__real_sigstore_bundle_verifies_against_the_trusted_root),
        cmocka_unit_test(test_provenance__without_a_trusted_root_is_unverified_but_read),
        cmocka_unit_test(test_provenance__another_packages_bundle_is_invalid),
        cmocka_unit_test(test_provenance__another_tarball_digest_is_invalid),
        cmocka_unit_test(test_provenance__one_byte_of_the_signature_is_invalid),
        cmocka_unit_test(test_provenance__a_rekor_key_the_bundle_was_not_logged_by_is_refused),
        cmocka_unit_test(test_provenance__a_changed_integrated_time_fails),
        cmocka_unit_test(test_provenance__a_ca_not_yet_valid_at_the_integrated_time_fails),
        cmocka_unit_test(test_provenance__an_untrusted_ct_log_fails_the_sct),
        cmocka_unit_test(test_provenance__a_changed_payload_no_longer_matches_the_log),
        cmocka_unit_test(test_provenance__malformed_documents_are_invalid_not_errors),
        cmocka_unit_test(test_provenance__slsa_v1_with_inclusion_proof_and_checkpoint_verifies),
        cmocka_unit_test(test_provenance__a_wrong_proof_hash_fails),
        cmocka_unit_test(test_provenance__a_set_signed_by_another_key_fails),
        cmocka_unit_test(test_provenance__a_leaf_from_another_ca_fails_the_chain),
        cmocka_unit_test(test_provenance__a_leaf_expired_at_the_integrated_time_fails),
        cmocka_unit_test(test_provenance__a_leaf_without_code_signing_fails),
        cmocka_unit_test(test_provenance__certificate_and_statement_must_agree),
        cmocka_unit_test(test_provenance__scoped_names_use_the_encoded_purl),
        cmocka_unit_test(test_provenance__a_git_uri_without_a_scheme_separator_is_split_at_its_at),
        cmocka_unit_test(test_provenance__merkle_paths_of_a_five_leaf_tree),
        cmocka_unit_test(test_provenance__trusted_root_parse_errors),
        cmocka_unit_test(test_provenance__allocation_failures_are_enomem_or_fail_closed),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
