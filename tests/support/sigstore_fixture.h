/*
 * A tiny Sigstore for tests (used by tests/unit/trust/test_provenance.c,
 * tests/unit/trust/test_npm_signatures.c and tests/integration/test_trust_registry.c): a
 * Fulcio-like CA (root + intermediate), a Rekor key, short-lived code-signing leaf
 * certificates with Fulcio's identity extensions, DSSE envelopes, Rekor intoto 0.0.2 entries
 * with a signed entry timestamp, optional RFC 6962 inclusion proofs with a signed checkpoint,
 * and the trusted_root.json that trusts it all. Also npm registry keys and signatures.
 * Everything is made with OpenSSL at test time; every function aborts the test (cmocka) on
 * an unexpected failure.
 */
#ifndef SGT_SIGSTORE_FIXTURE_H
#define SGT_SIGSTORE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/common.h"

#define SGT_T0 1700000000LL /* 2023-11-14T22:13:20Z: "now" of the fixtures */

/** The keys and CA certificates of one test Sigstore. */
typedef struct sgt_sigstore {
    EVP_PKEY *root_key;  /**< signs the root and the intermediate */
    EVP_PKEY *inter_key; /**< signs leaf certificates */
    EVP_PKEY *rekor_key; /**< signs entry timestamps and checkpoints */
    EVP_PKEY *other_key; /**< signs nothing trusted */
    X509 *root;          /**< self-signed root CA */
    X509 *inter;         /**< intermediate CA, issued by root */
} sgt_sigstore;

/** What one provenance bundle made by sgt_attestations() holds. */
typedef struct sgt_bundle_opts {
    const char *statement;      /**< the DSSE payload */
    const char *predicate_type; /**< the attestation's predicateType; NULL: SLSA v1 */
    int64_t integrated_time;    /**< 0: SGT_T0 */
    int64_t log_index;          /**< 0: 4242 */
    const char *cert_commit;    /**< Fulcio .3 (raw); NULL: none */
    const char *cert_repo;      /**< Fulcio .5 "owner/repo"; NULL: none */
    const char *cert_ref;       /**< Fulcio .6; NULL: none */
    int64_t cert_offset;        /**< leaf notBefore = integrated_time - 60 + cert_offset */
    int no_codesign;            /**< leave out the codeSigning extended key usage */
    int with_proof;             /**< inclusion proof (index 2 of 4) and a checkpoint */
    int tamper_proof;           /**< flip a byte of the first proof hash */
    int set_by_other;           /**< the SET is signed by other_key */
    int leaf_by_other;          /**< the leaf is signed by other_key, not the intermediate */
} sgt_bundle_opts;

/** A fresh P-256 key (EVP_PKEY_free it). */
EVP_PKEY *sgt_p256(void);

/** Append base64 of k's DER SubjectPublicKeyInfo to out. */
void sgt_spki_b64(sg_buf *out, EVP_PKEY *k);

/** Make a Sigstore: four keys, a root and an intermediate valid 2020-01-01 .. 2035-01-01. */
void sgt_sigstore_init(sgt_sigstore *s);

/** Free what sgt_sigstore_init() made. */
void sgt_sigstore_free(sgt_sigstore *s);

/** trusted_root.json trusting this Sigstore (no CT logs: SCTs are not checked). malloc'd. */
char *sgt_trusted_root(const sgt_sigstore *s);

/** An SLSA provenance v1 statement as npm writes it. malloc'd. */
char *sgt_statement_v1(const char *name, const char *version, const char *sha512_hex,
                       const char *repo, const char *ref, const char *commit);

/** RFC 6962 leaf hash: SHA-256(0x00 || data). */
void sgt_hash_leaf(unsigned char out[32], const void *data, size_t n);

/** RFC 6962 node hash: SHA-256(0x01 || l || r). */
void sgt_hash_node(unsigned char out[32], const unsigned char l[32], const unsigned char r[32]);

/** The attestations document holding one provenance bundle. malloc'd. */
char *sgt_attestations(const sgt_sigstore *s, const sgt_bundle_opts *o);

/** {"keys":[{"keyid":..., "key": SPKI, "expires": ...}]} for k. malloc'd. */
char *sgt_npm_keys(EVP_PKEY *k, const char *keyid, const char *expires);

/** base64 DER ECDSA signature of "name@version:integrity". malloc'd. */
char *sgt_npm_sign(EVP_PKEY *k, const char *name, const char *version, const char *integrity);

#endif
