/*
 * SHA-256, SHA-512 and SHA-1 through OpenSSL 3 EVP, streaming.
 */
#ifndef SG_HASH_H
#define SG_HASH_H

#include <stddef.h>
#include "sourcegate/errors.h"

typedef enum { SG_HASH_SHA1, SG_HASH_SHA256, SG_HASH_SHA512 } sg_hash_alg;

typedef struct sg_hash {
    void *md_ctx;        /**< EVP_MD_CTX */
    sg_hash_alg alg;     /**< algorithm */
} sg_hash;

#define SG_HASH_INIT { NULL, SG_HASH_SHA256 }

int sg_hash_begin(sg_hash *h, sg_ctx *ctx, sg_hash_alg alg);
int sg_hash_update(sg_hash *h, sg_ctx *ctx, const void *data, size_t len);
/** out must hold the digest size (20, 32, 64); *out_len receives it. Disposes h. */
int sg_hash_end(sg_hash *h, sg_ctx *ctx, unsigned char *out, size_t *out_len);
void sg_hash_dispose(sg_hash *h);

/** One-shot SHA-256. */
int sg_sha256(unsigned char out[32], sg_ctx *ctx, const void *data, size_t len);

#endif
