/*
 * Registry integrity (integrity.c): the digests a tarball is checked against, npm's
 * dist.integrity (an SRI string, parsed as ssri does) and dist.shasum (hex SHA-1), computed
 * while the bytes stream in and compared before anything is decompressed.
 */
#ifndef SG_INTEGRITY_INT_H
#define SG_INTEGRITY_INT_H

#include <stddef.h>
#include <openssl/evp.h>
#include "sourcegate/buf.h"
#include "sourcegate/errors.h"

/** Algorithms npm's ssri knows and we compute, weakest first (ssri's priority order). */
typedef enum { SG_SRI_SHA1, SG_SRI_SHA256, SG_SRI_SHA384, SG_SRI_SHA512, SG_SRI__COUNT } sg_sri_alg;

#define SG_SRI_MAX_HASHES 8 /* hashes kept from one SRI string */

/** Running digests of one byte stream; zero it, set want[], then begin/update/end. */
typedef struct sg_digests {
    EVP_MD_CTX *md[SG_SRI__COUNT];        /**< running digests, NULL when not computed */
    int want[SG_SRI__COUNT];              /**< which to compute */
    unsigned char out[SG_SRI__COUNT][64]; /**< results after sg_integrity__digests_end */
} sg_digests;

/** What the packument promises about a tarball. */
typedef struct sg_sri_expect {
    struct {
        sg_sri_alg alg;          /**< algorithm */
        char b64[92];            /**< base64 digest as written */
    } hashes[SG_SRI_MAX_HASHES]; /**< usable hashes of the SRI string */
    size_t nhashes;              /**< count */
    int strongest;               /**< sg_sri_alg of the strongest listed, -1 when none */
    char shasum[41];             /**< lowercase hex SHA-1 from dist.shasum, "" when none */
} sg_sri_expect;

/** Start the digests d->want asks for (any running ones are dropped). SG_ECRYPTO. */
int sg_integrity__digests_begin(sg_digests *d, sg_ctx *ctx);

/** Feed bytes to every running digest; -1 when OpenSSL fails (no message set). */
int sg_integrity__digests_update(sg_digests *d, const void *data, size_t len);

/** Finish every running digest into d->out and free them. SG_ECRYPTO. */
int sg_integrity__digests_end(sg_digests *d, sg_ctx *ctx);

/** Free running digests (safe on a zeroed or finished d). */
void sg_integrity__digests_dispose(sg_digests *d);

/** begin + update + end over one buffer. SG_ECRYPTO. */
int sg_integrity__digest_bytes(sg_digests *d, sg_ctx *ctx, const void *data, size_t len);

/**
 * Parse dist.integrity (ssri's non-strict parse: unknown algorithms and malformed tokens are
 * skipped, the strongest listed decides) and dist.shasum (40 hex digits, any case) into e.
 * Either may be NULL. SG_EINVALID when shasum is malformed or nothing checkable is left;
 * shown_url names the tarball in messages.
 */
int sg_integrity__parse(sg_sri_expect *e, sg_ctx *ctx, const char *integrity, const char *shasum,
                        const char *shown_url);

/** Set d->want for e: its algorithms, plus sha512 (cache address) and sha1 (shasum index). */
void sg_integrity__wants(sg_digests *d, const sg_sri_expect *e);

/**
 * Compare finished digests with e: the strongest SRI algorithm must match one of its listed
 * values, and the shasum (when given) must match. SG_EINTEGRITY with both values otherwise.
 */
int sg_integrity__check(sg_ctx *ctx, const sg_sri_expect *e, const sg_digests *d,
                        const char *shown_url);

/** Decode an SRI digest into out as ssri does (common/codec.h SG_BASE64_LENIENT); the byte
 *  count, or -1 when invalid or longer than out_size. */
long sg_integrity__b64_decode(unsigned char *out, size_t out_size, const char *in);

#endif
