/*
 * A tiny Sigstore for tests: see sigstore_fixture.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "sg_test.h"
#include "sigstore_fixture.h"

#include "common/common.h"
#include "verifier/trust/trust_int.h"

EVP_PKEY *sgt_p256(void)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    return k;
}

static void sgt_b64(sg_buf *out, const void *p, size_t n)
{
    assert_int_equal(sg_base64_encode(out, p, n), 0);
}

void sgt_spki_b64(sg_buf *out, EVP_PKEY *k)
{
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(k, &der);
    assert_true(n > 0);
    sgt_b64(out, der, (size_t)n);
    OPENSSL_free(der);
}

static void sgt_logid(unsigned char id[32], EVP_PKEY *k)
{
    unsigned char *der = NULL;
    unsigned int len = 32;
    int n = i2d_PUBKEY(k, &der);
    assert_true(n > 0);
    EVP_Digest(der, (size_t)n, id, &len, EVP_sha256(), NULL);
    OPENSSL_free(der);
}

static void sgt_sign(sg_buf *sig_out, EVP_PKEY *k, const void *msg, size_t n)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char sig[256];
    size_t len = sizeof(sig);
    assert_int_equal(EVP_DigestSignInit(c, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(EVP_DigestSign(c, sig, &len, msg, n), 1);
    EVP_MD_CTX_free(c);
    sg_buf_put(sig_out, sig, len);
}

static void sgt_ext(X509 *x, int nid, const char *value)
{
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, nid, value);
    assert_non_null(e);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
}

static void sgt_raw_ext(X509 *x, const char *oid, const char *value)
{
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
    X509_EXTENSION *e;
    ASN1_OCTET_STRING_set(os, (const unsigned char *)value, (int)strlen(value));
    e = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, os);
    assert_non_null(e);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    ASN1_OCTET_STRING_free(os);
    ASN1_OBJECT_free(obj);
}

static X509 *sgt_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                      int64_t not_before, int64_t not_after, int ca)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    static long serial = 1;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_time_adj_ex(X509_getm_notBefore(x), 0, (long)not_before, &(time_t){0});
    X509_time_adj_ex(X509_getm_notAfter(x), 0, (long)not_after, &(time_t){0});
    if (cn)
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(x, name);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(x, key);
    if (ca) {
        sgt_ext(x, NID_basic_constraints, "critical,CA:TRUE");
        sgt_ext(x, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    X509_NAME_free(name);
    (void)issuer_key;
    return x;
}

void sgt_sigstore_init(sgt_sigstore *s)
{
    memset(s, 0, sizeof(*s));
    s->root_key = sgt_p256();
    s->inter_key = sgt_p256();
    s->rekor_key = sgt_p256();
    s->other_key = sgt_p256();
    /* valid 2020-01-01 .. 2035-01-01 */
    s->root = sgt_cert(s->root_key, "test-root", NULL, NULL, 1577836800LL, 2051222400LL, 1);
    assert_true(X509_sign(s->root, s->root_key, EVP_sha256()) > 0);
    s->inter = sgt_cert(s->inter_key, "test-intermediate", s->root, s->root_key, 1577836800LL,
                        2051222400LL, 1);
    assert_true(X509_sign(s->inter, s->root_key, EVP_sha256()) > 0);
}

void sgt_sigstore_free(sgt_sigstore *s)
{
    EVP_PKEY_free(s->root_key);
    EVP_PKEY_free(s->inter_key);
    EVP_PKEY_free(s->rekor_key);
    EVP_PKEY_free(s->other_key);
    X509_free(s->root);
    X509_free(s->inter);
}

static void sgt_cert_b64(sg_buf *out, X509 *x)
{
    unsigned char *der = NULL;
    int n = i2d_X509(x, &der);
    assert_true(n > 0);
    sgt_b64(out, der, (size_t)n);
    OPENSSL_free(der);
}

/* trusted_root.json trusting this Sigstore (no CT logs: SCTs are not checked). malloc'd. */
char *sgt_trusted_root(const sgt_sigstore *s)
{
    sg_buf b = SG_BUF_INIT;
    unsigned char id[32];
    char *out;
    sgt_logid(id, s->rekor_key);
    sg_buf_puts(&b, "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\","
                    "\"tlogs\":[{\"baseUrl\":\"https://rekor.test\",\"hashAlgorithm\":\"SHA2_256\","
                    "\"publicKey\":{\"rawBytes\":\"");
    sgt_spki_b64(&b, s->rekor_key);
    sg_buf_puts(&b, "\",\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\"validFor\":{\"start\":"
                    "\"2020-01-01T00:00:00Z\"}},\"logId\":{\"keyId\":\"");
    sgt_b64(&b, id, 32);
    sg_buf_puts(&b, "\"}}],\"certificateAuthorities\":[{\"subject\":{\"commonName\":\"test\"},"
                    "\"certChain\":{\"certificates\":[{\"rawBytes\":\"");
    sgt_cert_b64(&b, s->inter);
    sg_buf_puts(&b, "\"},{\"rawBytes\":\"");
    sgt_cert_b64(&b, s->root);
    sg_buf_puts(&b, "\"}]},\"validFor\":{\"start\":\"2020-01-01T00:00:00Z\"}}],\"ctlogs\":[],"
                    "\"timestampAuthorities\":[]}");
    assert_int_equal(b.error, 0);
    out = strdup(b.ptr);
    sg_buf_dispose(&b);
    return out;
}

/* An SLSA provenance v1 statement as npm writes it. malloc'd. */
char *sgt_statement_v1(const char *name, const char *version, const char *sha512_hex,
                       const char *repo, const char *ref, const char *commit)
{
    sg_buf b = SG_BUF_INIT, purl = SG_BUF_INIT;
    char *out;
    sg_purl_npm(&purl, name, version);
    sg_buf_printf(&b,
                  "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"%s\","
                  "\"digest\":{\"sha512\":\"%s\"}}],\"predicateType\":"
                  "\"https://slsa.dev/provenance/v1\",\"predicate\":{\"buildDefinition\":{"
                  "\"buildType\":\"https://slsa-framework.github.io/github-actions-buildtypes/"
                  "workflow/v1\",\"externalParameters\":{\"workflow\":{\"ref\":\"%s\","
                  "\"repository\":\"%s\",\"path\":\".github/workflows/publish.yml\"}},"
                  "\"resolvedDependencies\":[{\"uri\":\"git+%s@%s\",\"digest\":{\"gitCommit\":"
                  "\"%s\"}}]},\"runDetails\":{\"builder\":{\"id\":"
                  "\"https://github.com/actions/runner/github-hosted\"}}}}",
                  purl.ptr, sha512_hex, ref, repo, repo, ref, commit);
    out = strdup(b.ptr);
    sg_buf_dispose(&b);
    sg_buf_dispose(&purl);
    return out;
}

void sgt_hash_leaf(unsigned char out[32], const void *data, size_t n)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char z = 0;
    unsigned int len = 32;
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    EVP_DigestUpdate(c, &z, 1);
    EVP_DigestUpdate(c, data, n);
    EVP_DigestFinal_ex(c, out, &len);
    EVP_MD_CTX_free(c);
}

void sgt_hash_node(unsigned char out[32], const unsigned char l[32], const unsigned char r[32])
{
    unsigned char buf[65];
    unsigned int len = 32;
    buf[0] = 1;
    memcpy(buf + 1, l, 32);
    memcpy(buf + 33, r, 32);
    EVP_Digest(buf, 65, out, &len, EVP_sha256(), NULL);
}

/* The leaf certificate, signed by the intermediate (or other_key). */
static X509 *sgt_leaf(const sgt_sigstore *s, EVP_PKEY *leaf_key, const sgt_bundle_opts *o,
                      int64_t t)
{
    X509 *leaf = sgt_cert(leaf_key, NULL, s->inter, s->inter_key, t - 60 + o->cert_offset,
                          t + 540 + o->cert_offset, 0);
    sgt_ext(leaf, NID_key_usage, "critical,digitalSignature");
    if (!o->no_codesign)
        sgt_ext(leaf, NID_ext_key_usage, "codeSigning");
    sgt_ext(leaf, NID_subject_alt_name,
            "critical,URI:https://github.com/acme/demo/.github/workflows/publish.yml@refs/tags/"
            "v1.0.0");
    sgt_raw_ext(leaf, "1.3.6.1.4.1.57264.1.1", "https://token.actions.githubusercontent.com");
    if (o->cert_commit)
        sgt_raw_ext(leaf, "1.3.6.1.4.1.57264.1.3", o->cert_commit);
    if (o->cert_repo)
        sgt_raw_ext(leaf, "1.3.6.1.4.1.57264.1.5", o->cert_repo);
    if (o->cert_ref)
        sgt_raw_ext(leaf, "1.3.6.1.4.1.57264.1.6", o->cert_ref);
    assert_true(X509_sign(leaf, o->leaf_by_other ? s->other_key : s->inter_key, EVP_sha256()) > 0);
    return leaf;
}

/* The Rekor intoto 0.0.2 entry for this envelope. */
static void sgt_rekor_body(sg_buf *body, X509 *leaf, const sg_buf *sig, const char *payload)
{
    sg_buf pem = SG_BUF_INIT, sigb64 = SG_BUF_INIT;
    BIO *bio = BIO_new(BIO_s_mem());
    char *data = NULL, hex[65];
    long n;
    unsigned char d[32];
    unsigned int dl = 32;

    PEM_write_bio_X509(bio, leaf);
    n = BIO_get_mem_data(bio, &data);
    sgt_b64(&sigb64, sig->ptr, sig->size);
    EVP_Digest(payload, strlen(payload), d, &dl, EVP_sha256(), NULL);
    sg_hex(hex, d, 32);
    sg_buf_puts(body, "{\"apiVersion\":\"0.0.2\",\"kind\":\"intoto\",\"spec\":{\"content\":{"
                      "\"envelope\":{\"payloadType\":\"application/vnd.in-toto+json\","
                      "\"signatures\":[{\"publicKey\":\"");
    sgt_b64(body, data, (size_t)n);
    sg_buf_puts(body, "\",\"sig\":\"");
    sgt_b64(body, sigb64.ptr, sigb64.size);
    sg_buf_printf(body,
                  "\"}]},\"hash\":{\"algorithm\":\"sha256\",\"value\":\"%s\"},"
                  "\"payloadHash\":{\"algorithm\":\"sha256\",\"value\":\"%s\"}}}}",
                  hex, hex);
    BIO_free(bio);
    sg_buf_dispose(&pem);
    sg_buf_dispose(&sigb64);
}

/* inclusionProof for `body` at index 2 of a 4-leaf tree, with a signed checkpoint. */
static void sgt_proof(sg_buf *b, const sgt_sigstore *s, const sg_buf *body, int tamper)
{
    unsigned char l[4][32], n01[32], n23[32], root[32], id[32];
    sg_buf sig = SG_BUF_INIT, sl = SG_BUF_INIT;
    int i;

    for (i = 0; i < 4; i++) {
        char other[16];
        snprintf(other, sizeof(other), "leaf %d", i);
        if (i == 2)
            sgt_hash_leaf(l[i], body->ptr, body->size);
        else
            sgt_hash_leaf(l[i], other, strlen(other));
    }
    sgt_hash_node(n01, l[0], l[1]);
    sgt_hash_node(n23, l[2], l[3]);
    sgt_hash_node(root, n01, n23);
    if (tamper)
        l[3][0] ^= 1;
    sg_buf_puts(b, ",\"inclusionProof\":{\"logIndex\":\"2\",\"treeSize\":\"4\",\"rootHash\":\"");
    sgt_b64(b, root, 32);
    sg_buf_puts(b, "\",\"hashes\":[\"");
    sgt_b64(b, l[3], 32);
    sg_buf_puts(b, "\",\"");
    sgt_b64(b, n01, 32);
    sg_buf_puts(b, "\"],\"checkpoint\":{\"envelope\":\"");
    {
        sg_buf raw = SG_BUF_INIT, r64 = SG_BUF_INIT;
        sgt_b64(&r64, root, 32);
        sg_buf_printf(&raw, "rekor.test - 1\n4\n%s\n", r64.ptr);
        sgt_sign(&sig, s->rekor_key, raw.ptr, raw.size);
        sgt_logid(id, s->rekor_key);
        sg_buf_put(&sl, id, 4);
        sg_buf_put(&sl, sig.ptr, sig.size);
        sg_buf_printf(b, "rekor.test - 1\\n4\\n%s\\n\\n\xe2\x80\x94 rekor.test ", r64.ptr);
        sgt_b64(b, sl.ptr, sl.size);
        sg_buf_puts(b, "\\n\"}}");
        sg_buf_dispose(&raw);
        sg_buf_dispose(&r64);
    }
    sg_buf_dispose(&sig);
    sg_buf_dispose(&sl);
}

/* The attestations document holding one provenance bundle. malloc'd. */
char *sgt_attestations(const sgt_sigstore *s, const sgt_bundle_opts *o)
{
    int64_t t = o->integrated_time ? o->integrated_time : SGT_T0;
    int64_t idx = o->log_index ? o->log_index : 4242;
    EVP_PKEY *leaf_key = sgt_p256();
    X509 *leaf = sgt_leaf(s, leaf_key, o, t);
    sg_buf pae = SG_BUF_INIT, sig = SG_BUF_INIT, body = SG_BUF_INIT, set = SG_BUF_INIT;
    sg_buf setmsg = SG_BUF_INIT, b = SG_BUF_INIT, body64 = SG_BUF_INIT;
    unsigned char id[32];
    char idhex[65], *out;

    sg_dsse_pae(&pae, "application/vnd.in-toto+json", 28, (const unsigned char *)o->statement,
                strlen(o->statement));
    sgt_sign(&sig, leaf_key, pae.ptr, pae.size);
    sgt_rekor_body(&body, leaf, &sig, o->statement);
    sgt_logid(id, s->rekor_key);
    sg_hex(idhex, id, 32);
    sgt_b64(&body64, body.ptr, body.size);
    sg_buf_printf(&setmsg,
                  "{\"body\":\"%s\",\"integratedTime\":%lld,\"logID\":\"%s\",\"logIndex\":%lld}",
                  body64.ptr, (long long)t, idhex, (long long)idx);
    sgt_sign(&set, o->set_by_other ? s->other_key : s->rekor_key, setmsg.ptr, setmsg.size);
    sg_buf_printf(&b,
                  "{\"attestations\":[{\"predicateType\":\"%s\",\"bundle\":{\"mediaType\":"
                  "\"application/vnd.dev.sigstore.bundle+json;version=0.2\","
                  "\"verificationMaterial\":{\"x509CertificateChain\":{\"certificates\":"
                  "[{\"rawBytes\":\"",
                  o->predicate_type ? o->predicate_type : "https://slsa.dev/provenance/v1");
    sgt_cert_b64(&b, leaf);
    sg_buf_printf(&b, "\"}]},\"tlogEntries\":[{\"logIndex\":\"%lld\",\"logId\":{\"keyId\":\"",
                  (long long)idx);
    sgt_b64(&b, id, 32);
    sg_buf_printf(&b,
                  "\"},\"kindVersion\":{\"kind\":\"intoto\",\"version\":\"0.0.2\"},"
                  "\"integratedTime\":\"%lld\",\"inclusionPromise\":{\"signedEntryTimestamp\":"
                  "\"",
                  (long long)t);
    sgt_b64(&b, set.ptr, set.size);
    sg_buf_puts(&b, "\"}");
    if (o->with_proof)
        sgt_proof(&b, s, &body, o->tamper_proof);
    sg_buf_printf(&b, ",\"canonicalizedBody\":\"%s\"}]},\"dsseEnvelope\":{\"payload\":\"",
                  body64.ptr);
    sgt_b64(&b, o->statement, strlen(o->statement));
    sg_buf_puts(&b, "\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":[{"
                    "\"sig\":\"");
    sgt_b64(&b, sig.ptr, sig.size);
    sg_buf_puts(&b, "\",\"keyid\":\"\"}]}}}]}");
    assert_int_equal(b.error, 0);
    out = strdup(b.ptr);
    sg_buf_dispose(&pae);
    sg_buf_dispose(&sig);
    sg_buf_dispose(&body);
    sg_buf_dispose(&set);
    sg_buf_dispose(&setmsg);
    sg_buf_dispose(&b);
    sg_buf_dispose(&body64);
    X509_free(leaf);
    EVP_PKEY_free(leaf_key);
    return out;
}

/* ---- npm registry keys ------------------------------------------------------------------- */

/* {"keys":[{"keyid":..., "key": SPKI, "expires": ...}]} for k. malloc'd. */
char *sgt_npm_keys(EVP_PKEY *k, const char *keyid, const char *expires)
{
    sg_buf b = SG_BUF_INIT;
    char *out;
    sg_buf_printf(&b,
                  "{\"keys\":[{\"expires\":%s%s%s,\"keyid\":\"%s\",\"keytype\":"
                  "\"ecdsa-sha2-nistp256\",\"scheme\":\"ecdsa-sha2-nistp256\",\"key\":\"",
                  expires ? "\"" : "", expires ? expires : "null", expires ? "\"" : "", keyid);
    sgt_spki_b64(&b, k);
    sg_buf_puts(&b, "\"}]}");
    out = strdup(b.ptr);
    sg_buf_dispose(&b);
    return out;
}

/* base64 DER ECDSA signature of "name@version:integrity". malloc'd. */
char *sgt_npm_sign(EVP_PKEY *k, const char *name, const char *version, const char *integrity)
{
    sg_buf msg = SG_BUF_INIT, sig = SG_BUF_INIT, b = SG_BUF_INIT;
    char *out;
    sg_buf_printf(&msg, "%s@%s:%s", name, version, integrity);
    sgt_sign(&sig, k, msg.ptr, msg.size);
    sgt_b64(&b, sig.ptr, sig.size);
    out = strdup(b.ptr);
    sg_buf_dispose(&msg);
    sg_buf_dispose(&sig);
    sg_buf_dispose(&b);
    return out;
}
