/*
 * attest/: private declarations shared by the files of the module.
 */
#ifndef SG_ATTEST_INT_H
#define SG_ATTEST_INT_H

#include <openssl/evp.h>

#include "sourcegate/attest.h"
#include "common/codec.h"

/** Largest key file read (PEM keys are a few hundred bytes). */
#define SG_ATTEST_KEY_FILE_MAX ((size_t)64 << 10)
/** Most signatures tried in one envelope (each is a public-key operation). */
#define SG_ATTEST_MAX_SIGNATURES 64
/** Longest passphrase handed to OpenSSL's PEM callback. */
#define SG_ATTEST_PASSPHRASE_MAX 1023

struct sg_key {
    EVP_PKEY *pkey;   /**< owned OpenSSL key */
    sg_key_type type; /**< P-256 or Ed25519 */
    int has_private;  /**< 1 when pkey holds the private half */
};

/** Wrap pkey (ownership taken, also on failure) after checking it is P-256 or Ed25519. */
int sg_attest__key_wrap(sg_key **out, sg_ctx *ctx, EVP_PKEY *pkey, int has_private,
                        const char *what);

/**
 * Record the OpenSSL error queue in ctx as "<problem>: <openssl reason>" and clear it.
 * Returns code.
 */
int sg_attest__ossl_error(sg_ctx *ctx, int code, const char *problem);

/** The strict base64 decoder, by its old name (provenance.c still calls it so). */
static inline int sg_attest__base64_decode(unsigned char **out, size_t *out_len, sg_ctx *ctx,
                                           const char *s, size_t len, const char *what)
{
    return sg_base64_decode(out, out_len, ctx, s, len, what);
}

/** Verify sig over msg with key: 1 verified, 0 not (OpenSSL errors cleared). */
int sg_attest__verify_sig(const sg_key *key, const unsigned char *msg, size_t msg_len,
                          const unsigned char *sig, size_t sig_len);

/** Sign msg with key; *sig is sg_malloc'd. */
int sg_attest__sign(unsigned char **sig, size_t *sig_len, sg_ctx *ctx, const sg_key *key,
                    const unsigned char *msg, size_t msg_len);

/** RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" for t; SG_EINVALID outside years 0000-9999. */
int sg_attest__format_time(char out[32], sg_ctx *ctx, int64_t t);

#endif
