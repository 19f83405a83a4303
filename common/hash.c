#include "common/common.h"

#include <openssl/err.h>
#include <openssl/evp.h>

static int crypto_error(sg_ctx *ctx, const char *what)
{
    unsigned long e = ERR_get_error();
    char msg[256] = "unknown error";
    if (e)
        ERR_error_string_n(e, msg, sizeof(msg));
    ERR_clear_error();
    return sg_error_set(ctx, SG_ECRYPTO, "%s failed: %s", what, msg);
}

int sg_hash_begin(sg_hash *h, sg_ctx *ctx, sg_hash_alg alg)
{
    const EVP_MD *md = alg == SG_HASH_SHA1     ? EVP_sha1()
                       : alg == SG_HASH_SHA512 ? EVP_sha512()
                                               : EVP_sha256();
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    if (!m)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for a digest");
    if (EVP_DigestInit_ex(m, md, NULL) != 1) {
        EVP_MD_CTX_free(m);
        return crypto_error(ctx, "digest init");
    }
    h->md_ctx = m;
    h->alg = alg;
    return 0;
}

int sg_hash_update(sg_hash *h, sg_ctx *ctx, const void *data, size_t len)
{
    if (len && EVP_DigestUpdate((EVP_MD_CTX *)h->md_ctx, data, len) != 1)
        return crypto_error(ctx, "digest update");
    return 0;
}

int sg_hash_end(sg_hash *h, sg_ctx *ctx, unsigned char *out, size_t *out_len)
{
    unsigned int n = 0;
    int ok = EVP_DigestFinal_ex((EVP_MD_CTX *)h->md_ctx, out, &n);
    sg_hash_dispose(h);
    if (ok != 1)
        return crypto_error(ctx, "digest final");
    if (out_len)
        *out_len = n;
    return 0;
}

void sg_hash_dispose(sg_hash *h)
{
    if (h->md_ctx)
        EVP_MD_CTX_free((EVP_MD_CTX *)h->md_ctx);
    h->md_ctx = NULL;
}

int sg_sha256(unsigned char out[32], sg_ctx *ctx, const void *data, size_t len)
{
    sg_hash h = SG_HASH_INIT;
    int error;
    if ((error = sg_hash_begin(&h, ctx, SG_HASH_SHA256)) < 0)
        return error;
    if ((error = sg_hash_update(&h, ctx, data, len)) < 0) {
        sg_hash_dispose(&h);
        return error;
    }
    return sg_hash_end(&h, ctx, out, NULL);
}

void sg_sha256_hex(char out[65], const unsigned char sha256[32])
{
    sg_hex(out, sha256, 32);
}
