/*
 * Registry signatures, provenance and publishing history: internals shared by
 * npm_signatures.c, trusted_root.c, sigstore_tlog.c, sigstore_cert.c, provenance.c,
 * publish_history.c, trust_fetch.c and trust.c, their tests and the bundle fuzz target.
 * docs/trust.md describes the checks; shared/FORMATS.md §4 the formats.
 */
#ifndef SG_TRUST_INT_H
#define SG_TRUST_INT_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "sourcegate/attest.h"
#include "sourcegate/buf.h"
#include "sourcegate/errors.h"
#include "sourcegate/git.h"
#include "sourcegate/registry.h"
#include "sourcegate/report.h"
#include "sourcegate/trust.h"

#define SG_TRUST_MAX_KEYS 64         /* keys in one keys document or trusted root section */
#define SG_TRUST_MAX_SIGNATURES 16   /* dist.signatures entries checked */
#define SG_TRUST_MAX_CHAIN 8         /* certificates in one chain */
#define SG_TRUST_MAX_PROOF 64        /* hashes in one Merkle inclusion proof */
#define SG_TRUST_MAX_ATTESTATIONS 16 /* attestations in one attestations document */
#define SG_TRUST_NO_TIME INT64_MAX   /* "no expiry", "no end" */

/* ---- time --------------------------------------------------------------------------------- */

/**
 * Parse an RFC 3339 / ISO 8601 UTC time as registries and Sigstore write it:
 * "YYYY-MM-DDTHH:MM:SS", optional fraction of any length, then "Z" or "+HH:MM"/"-HH:MM".
 * Seconds since the Unix epoch into *out (the fraction is dropped). 0 or SG_EINVALID.
 */
int sg_trust__parse_time(int64_t *out, const char *s);

/** "YYYY-MM-DDTHH:MM:SSZ" for t (years 0000-9999; otherwise "?"). */
void sg_trust__format_time(char out[32], int64_t t);

/* ---- npm registry keys and signatures (npm_signatures.c) --------------------------------- */

/** One registry signing key. */
typedef struct sg_npm_key {
    char keyid[128]; /**< as the keys document names it ("SHA256:…") */
    sg_key *key;     /**< the ECDSA P-256 public key */
    int64_t expires; /**< seconds since the epoch; SG_TRUST_NO_TIME when it never expires */
} sg_npm_key;

/** A registry's key set. */
typedef struct sg_npm_keys {
    sg_npm_key *keys; /**< sg_malloc'd array */
    size_t count;     /**< number of keys */
} sg_npm_keys;

#define SG_NPM_KEYS_INIT { NULL, 0 }

/**
 * Parse a keys document: {"keys":[{"keyid","key" (base64 SPKI DER),"expires"(ISO or null),
 * "keytype","scheme"}]} as /-/npm/v1/keys serves it, or npm's TUF keys.json
 * {"keys":[{"keyId","keyUsage":"npm:signatures","publicKey":{"rawBytes","keyDetails",
 * "validFor":{"start","end"}}}]}. Keys of other types or usages are skipped; an empty result
 * is not an error (the registry publishes no usable keys). `what` names the document in
 * messages. Errors: SG_EINVALID, SG_ELIMIT (json limits, more than SG_TRUST_MAX_KEYS keys).
 */
int sg_npm_keys__parse(sg_npm_keys *out, sg_ctx *ctx, const char *json, size_t len,
                       const char *what);

/** The same from a parsed document. */
int sg_npm_keys__from_json(sg_npm_keys *out, sg_ctx *ctx, const cJSON *doc, const char *what);

void sg_npm_keys__dispose(sg_npm_keys *keys);

/** Outcome of the registry signature check of one version. */
typedef enum {
    SG_SIG_VERIFIED = 0, /**< every signature verifies with a known key valid at publish time */
    SG_SIG_NO_KEYS,      /**< the registry publishes no keys: nothing to check */
    SG_SIG_MISSING,      /**< keys exist, the version carries no signature */
    SG_SIG_INVALID,      /**< a signature does not verify, or its key is unknown or expired */
} sg_sig_status;

typedef struct sg_sig_result {
    sg_sig_status status; /**< the outcome */
    char keyid[128];      /**< the key that verified (VERIFIED), or the failing signature's */
    char detail[512];     /**< why (INVALID, MISSING) */
    size_t signatures;    /**< dist.signatures entries seen */
} sg_sig_result;

/**
 * Check manifest.dist.signatures (versions[V] of a packument) against keys: the message is
 * "<name>@<version>:<dist.integrity>" (dist.integrity as served; "sha1-<base64 of shasum>"
 * when there is none), each signature DER ECDSA P-256 over its SHA-256, its key found by
 * exact keyid and valid at the publish time (time_map[version], default
 * 2015-01-01T00:00:00.000Z): the key's expiry must be later. Every signature must verify.
 * Returns 0 with out filled; errors only for failures (SG_ENOMEM).
 */
int sg_npm_signatures__check(sg_sig_result *out, sg_ctx *ctx, const sg_npm_keys *keys,
                             const char *name, const char *version, const cJSON *manifest,
                             const cJSON *time_map);

/* ---- Sigstore trusted root (trusted_root.c) ----------------------------------------------- */

/** A transparency or CT log: its key and when it may be trusted. */
typedef struct sg_trust_log {
    unsigned char log_id[32]; /**< SHA-256 of the key's SPKI DER (logId.keyId) */
    EVP_PKEY *key;            /**< the log's public key */
    int64_t start, end;       /**< validFor; end SG_TRUST_NO_TIME when open */
} sg_trust_log;

/** A certificate authority: its chain (leafmost first, root last) and validity. */
typedef struct sg_trust_ca {
    STACK_OF(X509) * certs; /**< the CA's certificates */
    int64_t start, end;     /**< validFor */
} sg_trust_ca;

typedef struct sg_trusted_root {
    sg_trust_log *tlogs; /**< Rekor instances */
    size_t ntlogs;
    sg_trust_log *ctlogs; /**< certificate transparency logs */
    size_t nctlogs;
    sg_trust_ca *cas; /**< Fulcio instances */
    size_t ncas;
} sg_trusted_root;

/**
 * Parse a Sigstore trusted_root.json (mediaType application/vnd.dev.sigstore.trustedroot
 * +json;version=0.1 or 0.2): tlogs[] and ctlogs[] (publicKey.rawBytes SPKI DER, logId.keyId,
 * validFor), certificateAuthorities[] (certChain.certificates[].rawBytes DER, validFor).
 * Needs at least one tlog and one certificate authority. Free with sg_trusted_root__free().
 * Errors: SG_EINVALID, SG_ELIMIT.
 */
int sg_trusted_root__parse(sg_trusted_root **out, sg_ctx *ctx, const char *json, size_t len,
                           const char *what);

void sg_trusted_root__free(sg_trusted_root *root);

/* ---- a Sigstore bundle, decoded (provenance.c) -------------------------------------------- */

typedef struct sg_bundle {
    /* verification material */
    X509 *leaf;              /**< the signing certificate (NULL for a public-key bundle) */
    unsigned char *leaf_der; /**< its DER */
    size_t leaf_der_len;
    /* the transparency log entry (tlogEntries[0]) */
    int64_t log_index;        /**< logIndex */
    int64_t integrated_time;  /**< integratedTime, seconds since the epoch */
    unsigned char log_id[32]; /**< logId.keyId */
    char kind[32];            /**< kindVersion.kind: "intoto", "dsse" */
    char kind_version[16];    /**< kindVersion.version */
    unsigned char *body;      /**< canonicalizedBody, decoded */
    size_t body_len;
    unsigned char *set; /**< inclusionPromise.signedEntryTimestamp, or NULL */
    size_t set_len;
    int has_proof;               /**< an inclusionProof is present */
    int64_t proof_index;         /**< inclusionProof.logIndex */
    int64_t tree_size;           /**< inclusionProof.treeSize */
    unsigned char root_hash[32]; /**< inclusionProof.rootHash */
    unsigned char (*hashes)[32]; /**< inclusionProof.hashes */
    size_t nhashes;
    char *checkpoint; /**< inclusionProof.checkpoint.envelope, or NULL */
    /* the DSSE envelope */
    char *payload_type;     /**< payloadType */
    unsigned char *payload; /**< the statement bytes */
    size_t payload_len;
    unsigned char *sig; /**< signatures[0].sig */
    size_t sig_len;
} sg_bundle;

/**
 * Decode a Sigstore bundle (media types v0.1 to v0.3) with a DSSE envelope, an X.509
 * certificate (chain or single) and one transparency log entry. Sets why[0..why_size) and
 * returns SG_EINVALID when a field is missing, mistyped or not decodable. Dispose with
 * sg_bundle__dispose() in every case.
 */
int sg_bundle__decode(sg_bundle *out, char *why, size_t why_size, sg_ctx *ctx, const cJSON *bundle);

void sg_bundle__dispose(sg_bundle *b);

/* ---- transparency log (sigstore_tlog.c) --------------------------------------------------- */

/**
 * The Rekor entry matches the bundle: kind intoto 0.0.2 (signature double-base64, payload
 * hash, certificate) or dsse 0.0.1 (signature, payload hash, verifier). 1 when it matches,
 * 0 with why set. Needs no trust material.
 */
int sg_tlog__body_matches(const sg_bundle *b, char *why, size_t why_size, sg_ctx *ctx);

/**
 * Verify the signed entry timestamp with a trusted log whose logId equals the entry's and
 * whose validFor covers integratedTime; then, when the bundle has an inclusion proof, the
 * Merkle path to its root hash and, when it has a checkpoint, the checkpoint's signature by
 * that log and its root. 1 verified, 0 not (why set). A bundle without a SET fails.
 */
int sg_tlog__verify(const sg_bundle *b, const sg_trusted_root *root, char *why, size_t why_size,
                    sg_ctx *ctx);

/** RFC 6962 root from a leaf hash, its index, the tree size and the audit path: 1 when it
 *  equals `root`, else 0. Exposed for tests. */
int sg_tlog__merkle_check(const unsigned char leaf_hash[32], int64_t index, int64_t size,
                          const unsigned char (*hashes)[32], size_t nhashes,
                          const unsigned char root[32]);

/* ---- certificates (sigstore_cert.c) ------------------------------------------------------- */

/** What a Fulcio certificate says about the workflow that got it. Empty strings when absent. */
typedef struct sg_cert_identity {
    char san[1024];       /**< the SAN URI (workflow identity) or email */
    char issuer[256];     /**< OIDC issuer (.8, else .1) */
    char repository[512]; /**< source repository URI (.12), else "https://github.com/" + .5 */
    char commit[64];      /**< source repository digest (.13, else .3) */
    char ref[256];        /**< source repository ref (.14, else .6) */
} sg_cert_identity;

/** Read the identity extensions (Fulcio OIDs 1.3.6.1.4.1.57264.1.*) of cert. */
void sg_cert__identity(sg_cert_identity *out, X509 *cert);

/**
 * Verify leaf against a certificate authority of root whose validFor covers t: the chain at
 * time t (X509_V_FLAG_USE_CHECK_TIME), the leaf a code-signing end-entity certificate; then,
 * when root lists CT logs, at least one embedded SCT that a CT log valid at the SCT's time
 * signed. 1 verified, 0 not (why set).
 */
int sg_cert__verify(X509 *leaf, int64_t t, const sg_trusted_root *root, char *why, size_t why_size,
                    sg_ctx *ctx);

/**
 * Verify sig over msg with pkey, the digest picked from the key as Sigstore does: ECDSA
 * P-256/P-384/P-521 with SHA-256/384/512 (DER signatures), RSA with SHA-256 (PKCS#1 v1.5),
 * Ed25519 pure. 1 verified, 0 not (the OpenSSL error queue is cleared).
 */
int sg_sigstore__verify(EVP_PKEY *pkey, const unsigned char *msg, size_t msg_len,
                        const unsigned char *sig, size_t sig_len);

/** Verify a DSSE signature over PAE(type, payload) with the certificate's key: 1 or 0. */
int sg_cert__verify_dsse(X509 *leaf, const char *payload_type, const unsigned char *payload,
                         size_t payload_len, const unsigned char *sig, size_t sig_len);

/* ---- provenance (provenance.c) ------------------------------------------------------------ */

typedef enum {
    SG_PROV_VERIFIED = 0, /**< every check passed against the trusted root */
    SG_PROV_UNVERIFIED,   /**< consistent, but there was no trusted root: a hint, never proof */
    SG_PROV_INVALID,      /**< a check failed (detail says which) */
} sg_prov_status;

/** What a provenance attestation says, and whether it holds. */
typedef struct sg_provenance {
    sg_prov_status status;    /**< the outcome */
    char detail[512];         /**< why it is invalid */
    char predicate_type[128]; /**< "https://slsa.dev/provenance/v1" or ".../v0.2" */
    char repository[512];     /**< source repository as the statement names it */
    char ref[256];            /**< the git ref it was built from */
    char workflow[512];       /**< the workflow file (v1 path, v0.2 entry point) */
    char commit[41];          /**< the commit (40 hex), "" when the statement has none */
    char builder[256];        /**< builder.id */
    sg_cert_identity cert;    /**< what the certificate says */
    int64_t integrated_time;  /**< when Rekor logged it */
    int64_t log_index;        /**< its Rekor index */
    char checks[256];         /**< what was verified, e.g. "rekor-set, fulcio-chain, sct" */
} sg_provenance;

/**
 * Check the attestations document npm serves at dist.attestations.url for name@version:
 * pick the attestation whose predicateType starts with https://slsa.dev/provenance/; decode
 * its bundle; the Rekor entry must match the bundle; the DSSE signature must verify with the
 * certificate's key; the statement (in-toto v0.1 or v1, payloadType in-toto) must name
 * pkg:npm/<name>@<version> (npm's purl, optionally with ?repository_url=) with `sha512`; with
 * a trusted root: the signed entry timestamp (and inclusion proof), then the Fulcio chain and
 * SCT at the integrated time, and the certificate's commit and repository must agree with
 * the statement's. Extracts repository, ref, workflow and commit (SLSA provenance v1:
 * buildDefinition.externalParameters.workflow + resolvedDependencies[git+…].digest.gitCommit;
 * v0.2: invocation.configSource). Hostile documents are findings, not errors: out->status is
 * SG_PROV_INVALID with the reason. Returns 0, or SG_ENOMEM.
 */
int sg_provenance__check(sg_provenance *out, sg_ctx *ctx, const char *doc, size_t len,
                         const char *name, const char *version, const unsigned char sha512[64],
                         const sg_trusted_root *root);

/** sg_provenance__check() on a parsed attestations document. */
int sg_provenance__check_json(sg_provenance *out, sg_ctx *ctx, const cJSON *doc, const char *name,
                              const char *version, const unsigned char sha512[64],
                              const sg_trusted_root *root);

/* ---- publishing history (publish_history.c) ----------------------------------------------- */

/** What the packument says about how releases were published. */
typedef struct sg_history {
    int provenance;             /**< this release has dist.attestations with provenance */
    int trusted_publisher;      /**< this release was published by a trusted publisher (OIDC) */
    size_t earlier;             /**< releases published before this one */
    size_t with_provenance;     /**< ... of which had provenance */
    size_t with_publisher;      /**< ... of which had a trusted publisher */
    sg_buf provenance_versions; /**< those versions, newest first, ", "-separated (capped) */
    sg_buf publisher_versions;  /**< likewise */
    char last_provenance[128];  /**< the newest earlier release with provenance, or "" */
    char last_publisher[128];   /**< the newest earlier release with a trusted publisher */
    size_t since_provenance;    /**< releases after last_provenance and before this one */
    size_t since_publisher;     /**< likewise for the trusted publisher */
    int ordered_by_time;        /**< 1: by time[], 0: by semver (time[] incomplete) */
} sg_history;

void sg_history__init(sg_history *h);
void sg_history__dispose(sg_history *h);

/**
 * Walk every version of the packument and find which were published before `version` (by
 * time[]; by semver precedence when time[] lacks an entry) and which of those had provenance
 * (dist.attestations.provenance, or dist.attestations naming an SLSA predicate) or a trusted
 * publisher (_npmUser.trustedPublisher, or npm's OIDC publisher identity
 * npm-oidc-no-reply@…). Errors: SG_EINVALID (no such version), SG_ENOMEM.
 */
int sg_history__scan(sg_history *out, sg_ctx *ctx, const cJSON *packument, const char *version);

/**
 * Add provenance-regression findings (one per property this release lost) and a
 * "publish-history: …" line to report's checks.
 */
int sg_history__report(sg_report *report, sg_ctx *ctx, const sg_history *h);

/* ---- documents from the registry (trust_fetch.c) ------------------------------------------ */

/** Where trust documents come from. */
typedef struct sg_trust_src {
    sg_cache *cache;             /**< documents are cached here */
    const sg_npm_config *config; /**< registry per scope and tokens; may be NULL */
    int offline;                 /**< cache only */
    long connect_timeout_ms;     /**< 0: 10 s */
    long total_timeout_ms;       /**< 0: 60 s */
    int staged;                  /**< the version is a staged publish: the registry signs it
                                      only when it is approved, so no signature is expected */
} sg_trust_src;

/** How a document was obtained. */
typedef enum {
    SG_DOC_FETCHED = 0,   /**< from the network (200, or 304 with the cached copy) */
    SG_DOC_CACHED,        /**< from the cache without a request (fresh enough, or offline) */
    SG_DOC_ABSENT,        /**< the registry answered 404 or 400 just now (cached as such too) */
    SG_DOC_ABSENT_CACHED, /**< ... earlier: the cached answer, without a request */
} sg_doc_origin;

/**
 * GET the JSON object at `url` through the cache (trust/<kind>/<url, encoded>.json and
 * .meta): a cached answer younger than max_age_s (negative: forever) is used without a
 * request; otherwise a conditional request (If-None-Match) revalidates it. 404 and 400
 * answers are SG_DOC_ABSENT, remembered for max_age_s too (SG_DOC_ABSENT_CACHED then). Offline: the
 * cached answer of any age; SG_ENOTFOUND when there is none. *out (NULL when absent) is parsed with
 * the JSON limits; free with cJSON_Delete(). The auth token npm would send to url is sent;
 * redirects (at most 5) stay on http(s). Errors: SG_ENET (network, other HTTP statuses),
 * SG_EINVALID (not a JSON object), SG_ELIMIT, SG_ENOTFOUND (offline, not cached), SG_EIO.
 */
int sg_trust__fetch_json(cJSON **out, sg_doc_origin *origin, sg_ctx *ctx, const sg_trust_src *src,
                         const char *url, const char *kind, int64_t max_age_s, const char *what);

/* ---- the registry-mode steps (trust.c) ---------------------------------------------------- */

/** What the trust checks learned that the rest of the pipeline uses. */
typedef struct sg_trust_result {
    int provenance_present;     /**< the release has a provenance attestation */
    int provenance_verified;    /**< ... and it verified against the trusted root */
    int provenance_invalid;     /**< ... and it failed a check */
    char provenance_commit[41]; /**< its commit (40 hex) or "" */
    char provenance_repo[512];  /**< its repository (as written) or "" */
    char provenance_ref[256];   /**< its ref or "" */
} sg_trust_result;

/**
 * Run the signature, provenance and history checks for versions[version] of packument, whose
 * verified tarball is tarball[0..len): findings and "checks" lines go to report; what the
 * source resolution needs goes to out. Problems with the release are findings; a failed
 * fetch of keys or attestations is a "not checked" line when offline, else an error.
 * Errors: SG_ENET, SG_EIO, SG_EINVALID (bad pinned keys or trusted root), SG_ENOMEM.
 */
int sg_trust__check_release(sg_trust_result *out, sg_report *report, sg_ctx *ctx,
                            const sg_trust_opts *opts, const sg_trust_src *src,
                            const cJSON *packument, const char *name, const char *version,
                            const unsigned char *tarball, size_t len);

/**
 * After source resolution: provenance-source-mismatch when verified provenance names another
 * repository than `repository` (both normalized), when the resolved commit is not the
 * provenance commit, or when a tag the provenance or the version names (refs/tags/…, v{V},
 * {V}, {name}@{V}) points at another commit. Records a "provenance-source: …" check line.
 * repo may be NULL (no source): only the repository is compared.
 */
int sg_trust__check_source(sg_report *report, sg_ctx *ctx, const sg_trust_result *tr,
                           const char *repository, sg_git_repo *repo, const char *name,
                           const char *version, const char *resolved_commit);

#endif
