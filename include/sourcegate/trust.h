/*
 * sourcegate: registry signatures, provenance and publishing history (registry mode).
 *
 * Three checks about who published a release, run by sg_verify_release() when its options
 * carry a sg_trust_opts (docs/trust.md):
 *   - registry signatures: dist.signatures over "name@version:integrity", checked against
 *     the registry's keys (pinned here, or fetched from <registry>/-/npm/v1/keys and cached),
 *     each key's expiry compared with the version's publish time (time[version]);
 *   - provenance: the Sigstore bundle at dist.attestations.url, verified offline against a
 *     Sigstore trusted root (Fulcio chain at the log's integrated time, the certificate's
 *     SCT, the Rekor signed entry timestamp and inclusion proof, the DSSE signature with the
 *     certificate's key, the subject: purl and the tarball's SHA-512); its repository and
 *     commit then name the source. Without a trusted root the provenance is read and
 *     checked for consistency, reported as "present, not verified" and never used as proof;
 *   - publishing history: which earlier releases had provenance or a trusted publisher.
 * The report's "checks" list says which checks ran, how, and which ran offline.
 *
 * Key files and trusted roots are hostile input like everything else: bounded by the JSON
 * limits of the context.
 */
#ifndef SOURCEGATE_TRUST_H
#define SOURCEGATE_TRUST_H

#include <stddef.h>
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/** What to trust when checking a release's signatures and provenance. */
typedef struct sg_trust_opts {
    const char *registry_keys;        /**< pinned registry keys: the text of a keys document
                                           (the /-/npm/v1/keys shape, or npm's TUF keys.json
                                           shape), or NULL to fetch the registry's
                                           /-/npm/v1/keys through the cache (offline: the
                                           cached copy only) */
    size_t registry_keys_len;         /**< bytes of registry_keys */
    const char *registry_keys_origin; /**< names the pinned keys in the report (a file
                                           name), or NULL */
    const char *trusted_root;         /**< the text of a Sigstore trusted_root.json, or NULL:
                                           provenance is read but not verified */
    size_t trusted_root_len;          /**< bytes of trusted_root */
    const char *trusted_root_origin;  /**< names the trusted root in the report, or NULL */
} sg_trust_opts;

#define SG_TRUST_OPTS_INIT { NULL, 0, NULL, NULL, 0, NULL }

/**
 * Check that the pinned keys and the trusted root of opts (those that are set) parse, so a
 * bad file is a usage error before any network traffic. A keys document must hold at least
 * one ECDSA P-256 key; a trusted root at least one transparency log key and one certificate
 * authority. Errors: SG_EINVALID (message names the origin and the problem), SG_ELIMIT,
 * SG_ENOMEM.
 */
int sg_trust_opts_check(sg_ctx *ctx, const sg_trust_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
