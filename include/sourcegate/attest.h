/*
 * sourcegate: signed attestations.
 *
 * A verification is attested as DSSE envelopes (one per line of a JSON Lines file) carrying
 * in-toto Statement v1 payloads: a SLSA Verification Summary (VSA v1.0) and the full report
 * under a sourcegate predicate. Keys are ECDSA P-256 (signatures: SHA-256, DER) or Ed25519
 * (pure), handled through OpenSSL 3 EVP only. docs/attestations.md describes the formats, the
 * URIs and the policy document; shared/FORMATS.md §1-3 the underlying specifications.
 *
 * Every attestation file, envelope and public key is hostile input: parsing is bounded by the
 * json-size and json-depth limits of the context, and a signature is checked before anything
 * inside the payload is believed.
 */
#ifndef SOURCEGATE_ATTEST_H
#define SOURCEGATE_ATTEST_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"
#include "buf.h"
#include "report.h"

#ifdef __cplusplus
extern "C" {
#endif

/** DSSE payloadType of in-toto statements (the only one accepted by verification). */
#define SG_DSSE_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"
/** `_type` of an in-toto Statement v1. */
#define SG_INTOTO_STATEMENT_V1 "https://in-toto.io/Statement/v1"
/** predicateType of a SLSA Verification Summary Attestation v1.x. */
#define SG_VSA_PREDICATE_V1 "https://slsa.dev/verification_summary/v1"
/** predicateType of the statement whose predicate is the full sourcegate report. */
#define SG_REPORT_PREDICATE_V1 "https://sourcegate.dev/attestation/report/v1"
/** verifier.id of sourcegate's VSAs. */
#define SG_VSA_VERIFIER_ID "https://sourcegate.dev/verifier/v1"
/** policy.uri of sourcegate's VSAs (the digest names the exact settings). */
#define SG_VSA_POLICY_URI "https://sourcegate.dev/policy/v1"
/** verifiedLevels entry of a passed verification: the artifact matches its source. */
#define SG_VSA_LEVEL_SOURCE_MATCH "SOURCEGATE_SOURCE_MATCH_V1"

/* ---- keys ---- */

typedef enum {
    SG_KEY_P256 = 1,    /**< ECDSA on NIST P-256, signatures over SHA-256, DER-encoded */
    SG_KEY_ED25519 = 2, /**< Ed25519 (PureEdDSA over the message) */
} sg_key_type;

/** A public key, or a key pair when it was generated or loaded from a private key. */
typedef struct sg_key sg_key;

/** Parse "p256" (also "ecdsa-p256", "p-256") or "ed25519". SG_EINVALID when unknown. */
int sg_key_type_parse(sg_key_type *out, const char *name);

/** "p256" or "ed25519". */
const char *sg_key_type_name(sg_key_type type);

/** Generate a new key pair. Free with sg_key_free(). Errors: SG_ECRYPTO, SG_ENOMEM. */
int sg_key_generate(sg_key **out, sg_ctx *ctx, sg_key_type type);

/** Free a key; NULL is accepted. */
void sg_key_free(sg_key *key);

/** The type of a key. */
sg_key_type sg_key_get_type(const sg_key *key);

/** 1 when the key holds its private half (it can sign), else 0. */
int sg_key_has_private(const sg_key *key);

/**
 * Append the key's id: the OpenSSH-style fingerprint "SHA256:" + unpadded standard base64 of
 * the SHA-256 of the public key in SSH wire format (what `ssh-keygen -l -E sha256` prints and
 * what npm and go-securesystemslib use). A keyid is a hint, never a security decision.
 */
int sg_key_id(sg_buf *out, sg_ctx *ctx, const sg_key *key);

/**
 * Append the private key as PKCS#8 PEM ("BEGIN PRIVATE KEY"), or encrypted PKCS#8 PEM
 * ("BEGIN ENCRYPTED PRIVATE KEY", AES-256-CBC, PBKDF2) when passphrase is not NULL.
 * SG_EINVALID when the key has no private half.
 */
int sg_key_private_pem(sg_buf *out, sg_ctx *ctx, const sg_key *key,
                       const unsigned char *passphrase, size_t passphrase_len);

/** Append the public key as SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"). */
int sg_key_public_pem(sg_buf *out, sg_ctx *ctx, const sg_key *key);

/**
 * A private key from PEM text (PKCS#8, encrypted PKCS#8, or the traditional EC form).
 * passphrase may be NULL: an encrypted key then fails with SG_EINVALID; OpenSSL never
 * prompts. `what` names the key in messages. Only P-256 and Ed25519 keys are accepted
 * (SG_EUNSUPPORTED otherwise). Errors: SG_EINVALID (not a key, wrong passphrase), SG_ELIMIT.
 */
int sg_key_from_private_pem(sg_key **out, sg_ctx *ctx, const char *pem, size_t len,
                            const unsigned char *passphrase, size_t passphrase_len,
                            const char *what);

/** A public key from SubjectPublicKeyInfo PEM text; same types and errors as above. */
int sg_key_from_public_pem(sg_key **out, sg_ctx *ctx, const char *pem, size_t len,
                           const char *what);

/** Options for sg_key_load_private(). */
typedef struct sg_key_load_opts {
    const unsigned char *passphrase; /**< for an encrypted key; NULL when none was given */
    size_t passphrase_len;           /**< bytes of passphrase (no NUL needed) */
    int allow_insecure_perms;        /**< 1: accept a file readable by group or others */
} sg_key_load_opts;

#define SG_KEY_LOAD_OPTS_INIT { NULL, 0, 0 }

/**
 * Load a private key from a file. The file must be a regular file of at most 64 KiB with no
 * permission bits for group or others (mode 0600 or 0400), unless opts->allow_insecure_perms:
 * SG_EINVALID otherwise, before the key is read. The library never reads the environment:
 * the caller supplies the passphrase bytes. opts may be NULL. Errors as
 * sg_key_from_private_pem(), plus SG_ENOTFOUND and SG_EIO.
 */
int sg_key_load_private(sg_key **out, sg_ctx *ctx, const char *path, const sg_key_load_opts *opts);

/** Load a public key (SubjectPublicKeyInfo PEM) from a file of at most 64 KiB. */
int sg_key_load_public(sg_key **out, sg_ctx *ctx, const char *path);

/**
 * The path of the public key written beside a private key: a trailing ".pem" of
 * private_path is replaced by ".pub.pem", otherwise ".pub.pem" is appended
 * ("key.pem" -> "key.pub.pem", "key" -> "key.pub.pem").
 */
int sg_key_public_path(sg_buf *out, const char *private_path);

/** sg_key_save() flag: replace existing files. */
#define SG_KEY_SAVE_FORCE 0x1u

/**
 * Write the private key to `path` (PKCS#8 PEM, mode 0600, encrypted when passphrase is not
 * NULL) and the public key to sg_key_public_path(path) (mode 0644). Without
 * SG_KEY_SAVE_FORCE an existing file at either path is refused (SG_EINVALID) and nothing is
 * written; with it the old files are replaced (never written through: a symlink is replaced,
 * not followed). Errors: SG_EINVALID, SG_EIO, SG_ECRYPTO.
 */
int sg_key_save(sg_ctx *ctx, const sg_key *key, const char *path, unsigned flags,
                const unsigned char *passphrase, size_t passphrase_len);

/* ---- DSSE ---- */

/**
 * Append the DSSE pre-authentication encoding:
 * "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in ASCII decimal.
 */
int sg_dsse_pae(sg_buf *out, const char *payload_type, size_t type_len, const unsigned char *body,
                size_t body_len);

/**
 * Sign payload[0..len) and append one envelope as compact JSON (no trailing newline):
 * {"payloadType":…,"payload":<padded standard base64>,"signatures":[{"keyid":<sg_key_id>,
 * "sig":<base64>}]}. The key must have its private half (SG_EINVALID otherwise).
 * Errors: SG_ECRYPTO, SG_ENOMEM, SG_ELIMIT (the buffer's limit).
 */
int sg_dsse_sign(sg_buf *out, sg_ctx *ctx, const sg_key *key, const char *payload_type,
                 const unsigned char *payload, size_t payload_len);

/* ---- verifying one envelope ---- */

/** Outcome of checking a well-formed envelope. */
typedef enum {
    SG_ATTEST_VERIFIED = 0,         /**< every check passed */
    SG_ATTEST_BAD_SIGNATURE,        /**< no signature verifies with the key over the PAE */
    SG_ATTEST_WRONG_PAYLOAD_TYPE,   /**< signed, but payloadType is not in-toto's */
    SG_ATTEST_WRONG_STATEMENT_TYPE, /**< signed, but `_type` is not Statement v1 */
    SG_ATTEST_WRONG_PREDICATE_TYPE, /**< signed, but predicateType is not the one asked for */
    SG_ATTEST_SUBJECT_MISMATCH,     /**< signed, but the artifact is not among the subjects */
} sg_attest_status;

/** A short name of a status: "verified", "bad signature", ... */
const char *sg_attest_status_name(sg_attest_status status);

/** What sg_attest_verify_envelope() found. Strings are owned; free with _dispose(). */
typedef struct sg_attest_check {
    sg_attest_status status;    /**< the outcome */
    char detail[256];           /**< why, when status is not SG_ATTEST_VERIFIED */
    size_t signature_count;     /**< signatures in the envelope */
    size_t signature_index;     /**< the one that verified (when one did) */
    char *keyid;                /**< that signature's keyid hint ("" when absent) */
    char *payload_type;         /**< the envelope's payloadType */
    unsigned char *payload;     /**< the payload bytes: trust them only when the signature
                                     verified (status is not SG_ATTEST_BAD_SIGNATURE) */
    size_t payload_len;         /**< bytes of payload */
    char *predicate_type;       /**< the statement's predicateType; NULL before it is read */
    char *subject_name;         /**< matching subject's name (else the first one's); may be NULL */
    size_t subject_count;       /**< subjects in the statement */
    char *verification_result;  /**< a VSA's verificationResult ("PASSED"/"FAILED"), else NULL */
    char *report_verdict;       /**< a report statement's verdict ("pass", "fail", ...), else NULL */
} sg_attest_check;

#define SG_ATTEST_CHECK_INIT { SG_ATTEST_BAD_SIGNATURE, "", 0, 0, NULL, NULL, NULL, 0, NULL, \
                               NULL, 0, NULL, NULL }

/** Free the strings of a check; it is left as SG_ATTEST_CHECK_INIT. */
void sg_attest_check_dispose(sg_attest_check *check);

/** What to require of the statement besides a valid signature. */
typedef struct sg_attest_verify_opts {
    const char *predicate_type;  /**< required predicateType; NULL accepts any */
    const char *artifact_sha256; /**< hex SHA-256 of the artifact; NULL: no subject check */
    const char *artifact_sha512; /**< hex SHA-512 of the artifact; NULL: no subject check */
} sg_attest_verify_opts;

#define SG_ATTEST_VERIFY_OPTS_INIT { NULL, NULL, NULL }

/**
 * Check one envelope (JSON text json[0..len), no NUL needed) with `key`, in the order of the
 * DSSE protocol: decode; try each signature over PAE(payloadType, payload) (any one that
 * verifies counts; the keyid is only a hint; ECDSA accepts DER and raw r||s); then
 * payloadType == SG_DSSE_INTOTO_PAYLOAD_TYPE, the verified payload parses as a Statement with
 * `_type` SG_INTOTO_STATEMENT_V1, a predicateType (== opts->predicate_type when given) and
 * subjects with digests; with artifact digests, some subject must match one of them and no
 * digest of that subject may contradict them.
 *
 * A well-formed envelope yields 0 with out->status telling the outcome. Malformed input
 * yields SG_EINVALID (not JSON, missing or mistyped fields, bad base64, a signed payload that
 * is not a Statement) or SG_ELIMIT (json-size, json-depth, more than 64 signatures), with
 * the message in ctx. opts may be NULL.
 */
int sg_attest_verify_envelope(sg_attest_check *out, sg_ctx *ctx, const sg_key *key,
                              const char *json, size_t len, const sg_attest_verify_opts *opts);

/** Lowercase hex SHA-256 and SHA-512 of bytes[0..len). */
int sg_attest_artifact_digests(char sha256[65], char sha512[129], sg_ctx *ctx,
                               const unsigned char *bytes, size_t len);

/* ---- producing attestations ---- */

/** Settings of sg_attest_write(). */
typedef struct sg_attest_opts {
    int64_t time_verified; /**< timeVerified, seconds since the Unix epoch (UTC) */
    sg_severity fail_on;   /**< the --fail-on in force: part of the policy document */
} sg_attest_opts;

#define SG_ATTEST_OPTS_INIT { 0, SG_SEV_HIGH }

/**
 * Append the policy document for fail_on: canonical JSON (sorted keys, no whitespace) of the
 * settings that decide the verdict; its SHA-256 is the VSA's policy digest.
 * docs/attestations.md defines it.
 */
int sg_attest_policy_document(sg_buf *out, sg_ctx *ctx, sg_severity fail_on);

/**
 * Append the two in-toto statements (compact JSON, no trailing newline) about a decided
 * report and the tarball it verified: the VSA statement to `vsa` and the report statement to
 * `report_statement` (either may be NULL to skip it). The subject is the report's purl (or
 * one built from its package and version) with the SHA-256 and SHA-512 of tarball[0..len).
 * SG_EINVALID when the report names no package, or when its artifact.sha256 is set and is
 * not the SHA-256 of these bytes (the attestation would name another artifact).
 */
int sg_attest_statements(sg_buf *vsa, sg_buf *report_statement, sg_ctx *ctx,
                         const sg_report *report, const unsigned char *tarball, size_t len,
                         const sg_attest_opts *opts);

/**
 * Sign both statements with key and append them as JSON Lines: two envelopes, each on one
 * line ending in "\n" (VSA first, report second). Verdict pass -> verificationResult PASSED,
 * verifiedLevels [SG_VSA_LEVEL_SOURCE_MATCH]; fail and inconclusive -> FAILED, ["FAILED"].
 * Errors: those of sg_attest_statements() and sg_dsse_sign().
 */
int sg_attest_write(sg_buf *out, sg_ctx *ctx, const sg_key *key, const sg_report *report,
                    const unsigned char *tarball, size_t len, const sg_attest_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
