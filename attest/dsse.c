/*
 * DSSE v1: the pre-authentication encoding, signing and verifying it, writing envelopes.
 */
#include "common/common.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include "attest/attest_int.h"

int sg_dsse_pae(sg_buf *out, const char *payload_type, size_t type_len, const unsigned char *body,
                size_t body_len)
{
    sg_buf_printf(out, "DSSEv1 %zu ", type_len);
    sg_buf_put(out, payload_type, type_len);
    sg_buf_printf(out, " %zu ", body_len);
    return sg_buf_put(out, body, body_len);
}

/* The digest a key type signs with: SHA-256 for ECDSA, none (pure) for Ed25519. */
static const EVP_MD *key_md(const sg_key *key)
{
    return key->type == SG_KEY_P256 ? EVP_sha256() : NULL;
}

int sg_attest__sign(unsigned char **sig, size_t *sig_len, sg_ctx *ctx, const sg_key *key,
                    const unsigned char *msg, size_t msg_len)
{
    EVP_MD_CTX *md = NULL;
    unsigned char *s = NULL;
    size_t len = 0;
    int error = 0;

    *sig = NULL;
    *sig_len = 0;
    ERR_clear_error();
    if (!key->has_private) {
        error = sg_error_set(ctx, SG_EINVALID, "cannot sign with a public key");
        goto done;
    }
    if (!(md = EVP_MD_CTX_new()) || EVP_DigestSignInit(md, NULL, key_md(key), NULL, key->pkey) != 1 ||
        EVP_DigestSign(md, NULL, &len, msg, msg_len) != 1) {
        error = sg_attest__ossl_error(ctx, SG_ECRYPTO, "cannot sign");
        goto done;
    }
    if (!(s = sg_malloc(len))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory signing");
        goto done;
    }
    if (EVP_DigestSign(md, s, &len, msg, msg_len) != 1) {
        error = sg_attest__ossl_error(ctx, SG_ECRYPTO, "cannot sign");
        goto done;
    }
    *sig = s;
    *sig_len = len;
    s = NULL;
done:
    sg_free(s);
    EVP_MD_CTX_free(md);
    return error;
}

/* One verification attempt: 1 verified, 0 not. */
static int verify_once(const sg_key *key, const unsigned char *msg, size_t msg_len,
                       const unsigned char *sig, size_t sig_len)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestVerifyInit(md, NULL, key_md(key), NULL, key->pkey) == 1 &&
             EVP_DigestVerify(md, sig, sig_len, msg, msg_len) == 1;
    EVP_MD_CTX_free(md);
    ERR_clear_error();
    return ok;
}

/* Re-encode a raw 64-byte r||s ECDSA signature (IEEE P1363) as DER; *der is OPENSSL_malloc'd. */
static int raw_to_der(unsigned char **der, const unsigned char *sig)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    int len = -1;

    *der = NULL;
    if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es now */
        len = i2d_ECDSA_SIG(es, der);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    ERR_clear_error();
    return len;
}

int sg_attest__verify_sig(const sg_key *key, const unsigned char *msg, size_t msg_len,
                          const unsigned char *sig, size_t sig_len)
{
    unsigned char *der = NULL;
    int ok, der_len;

    ERR_clear_error();
    if (sig_len == 0)
        return 0;
    if (key->type == SG_KEY_ED25519 && sig_len != 64)
        return 0;
    ok = verify_once(key, msg, msg_len, sig, sig_len);
    if (!ok && key->type == SG_KEY_P256 && sig_len == 64) {
        /* The DSSE spec's own test vector carries r||s rather than DER. */
        der_len = raw_to_der(&der, sig);
        if (der_len > 0)
            ok = verify_once(key, msg, msg_len, der, (size_t)der_len);
        OPENSSL_free(der);
    }
    return ok;
}

int sg_dsse_sign(sg_buf *out, sg_ctx *ctx, const sg_key *key, const char *payload_type,
                 const unsigned char *payload, size_t payload_len)
{
    sg_buf pae = SG_BUF_INIT, keyid = SG_BUF_INIT;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    int error;

    sg_dsse_pae(&pae, payload_type, strlen(payload_type), payload, payload_len);
    if ((error = sg_buf_check(&pae, ctx, "the signed message")) < 0 ||
        (error = sg_key_id(&keyid, ctx, key)) < 0 ||
        (error = sg_attest__sign(&sig, &sig_len, ctx, key, (const unsigned char *)pae.ptr,
                                 pae.size)) < 0)
        goto done;
    sg_buf_puts(out, "{\"payloadType\":");
    sg_json_put_string(out, payload_type);
    sg_buf_puts(out, ",\"payload\":\"");
    sg_base64_encode(out, payload, payload_len);
    sg_buf_puts(out, "\",\"signatures\":[{\"keyid\":");
    sg_json_put_string(out, keyid.ptr);
    sg_buf_puts(out, ",\"sig\":\"");
    sg_base64_encode(out, sig, sig_len);
    sg_buf_puts(out, "\"}]}");
    error = sg_buf_check(out, ctx, "the envelope");
done:
    sg_free(sig);
    sg_buf_dispose(&pae);
    sg_buf_dispose(&keyid);
    return error;
}
