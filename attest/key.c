/*
 * Signing keys: generation, PEM encoding and decoding, OpenSSH-style key ids (OpenSSL 3 EVP).
 */
#include "common/common.h"

#include <limits.h>
#include <strings.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include "attest/attest_int.h"

int sg_attest__ossl_error(sg_ctx *ctx, int code, const char *problem)
{
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    if (reason)
        sg_error_set(ctx, code, "%s: %s", problem, reason);
    else
        sg_error_set(ctx, code, "%s", problem);
    ERR_clear_error();
    return code;
}

static const struct {
    const char *name; /* accepted spelling */
    sg_key_type type; /* what it means */
} key_type_names[] = {
    {"p256", SG_KEY_P256},     {"p-256", SG_KEY_P256},        {"ecdsa-p256", SG_KEY_P256},
    {"ecdsa", SG_KEY_P256},    {"ed25519", SG_KEY_ED25519},
};

int sg_key_type_parse(sg_key_type *out, const char *name)
{
    size_t i;
    for (i = 0; name && i < SG_ARRAY_SIZE(key_type_names); i++) {
        if (strcasecmp(name, key_type_names[i].name) == 0) {
            *out = key_type_names[i].type;
            return 0;
        }
    }
    return SG_EINVALID;
}

const char *sg_key_type_name(sg_key_type type)
{
    return type == SG_KEY_ED25519 ? "ed25519" : "p256";
}

sg_key_type sg_key_get_type(const sg_key *key)
{
    return key->type;
}

int sg_key_has_private(const sg_key *key)
{
    return key->has_private;
}

void sg_key_free(sg_key *key)
{
    if (!key)
        return;
    EVP_PKEY_free(key->pkey);
    sg_free(key);
}

/* 1 when pkey is an EC key on P-256 (named curve). */
static int is_p256(const EVP_PKEY *pkey)
{
    char group[80];
    size_t glen = 0;
    int nid;
    if (!EVP_PKEY_is_a(pkey, "EC"))
        return 0;
    if (EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen) != 1) {
        ERR_clear_error();
        return 0;
    }
    nid = OBJ_txt2nid(group);
    if (nid == NID_undef)
        nid = EC_curve_nist2nid(group);
    return nid == NID_X9_62_prime256v1;
}

int sg_attest__key_wrap(sg_key **out, sg_ctx *ctx, EVP_PKEY *pkey, int has_private,
                        const char *what)
{
    sg_key *key = NULL;
    sg_key_type type;
    int error = 0;

    *out = NULL;
    if (EVP_PKEY_is_a(pkey, "ED25519")) {
        type = SG_KEY_ED25519;
    } else if (is_p256(pkey)) {
        type = SG_KEY_P256;
    } else {
        error = sg_error_set(ctx, SG_EUNSUPPORTED,
                             "unsupported key type in %s: '%s' (use ECDSA P-256 or Ed25519)",
                             what, EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey)
                                                                 : "unknown");
        goto done;
    }
    if (!(key = sg_calloc(1, sizeof(*key)))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory loading %s", what);
        goto done;
    }
    key->pkey = pkey;
    key->type = type;
    key->has_private = has_private;
    pkey = NULL;
    *out = key;
done:
    EVP_PKEY_free(pkey);
    return error;
}

int sg_key_generate(sg_key **out, sg_ctx *ctx, sg_key_type type)
{
    EVP_PKEY *pkey;

    *out = NULL;
    ERR_clear_error();
    if (type == SG_KEY_P256)
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    else if (type == SG_KEY_ED25519)
        pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    else
        return sg_error_set(ctx, SG_EINVALID, "unknown key type %d", (int)type);
    if (!pkey)
        return sg_attest__ossl_error(ctx, SG_ECRYPTO, "cannot generate a key");
    return sg_attest__key_wrap(out, ctx, pkey, 1, "the generated key");
}

/* Move the contents of a memory BIO to out. */
static int bio_to_buf(sg_buf *out, sg_ctx *ctx, BIO *bio, const char *what)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n < 0 || (n > 0 && !data))
        return sg_error_set(ctx, SG_ECRYPTO, "cannot encode %s", what);
    sg_buf_put(out, data, (size_t)n);
    return sg_buf_check(out, ctx, what);
}

int sg_key_private_pem(sg_buf *out, sg_ctx *ctx, const sg_key *key,
                       const unsigned char *passphrase, size_t passphrase_len)
{
    BIO *bio = NULL;
    int error = 0;

    ERR_clear_error();
    if (!key->has_private) {
        error = sg_error_set(ctx, SG_EINVALID, "cannot write a private key: the key is public");
        goto done;
    }
    if (passphrase && (passphrase_len == 0 || passphrase_len > SG_ATTEST_PASSPHRASE_MAX)) {
        error = sg_error_set(ctx, SG_EINVALID, "passphrase must be 1 to %d bytes, not %zu",
                             SG_ATTEST_PASSPHRASE_MAX, passphrase_len);
        goto done;
    }
    if (!(bio = BIO_new(BIO_s_mem()))) {
        error = sg_attest__ossl_error(ctx, SG_ENOMEM, "cannot encode the private key");
        goto done;
    }
    if (PEM_write_bio_PKCS8PrivateKey(bio, key->pkey, passphrase ? EVP_aes_256_cbc() : NULL,
                                      (const char *)passphrase, (int)passphrase_len, NULL,
                                      NULL) != 1) {
        error = sg_attest__ossl_error(ctx, SG_ECRYPTO, "cannot encode the private key");
        goto done;
    }
    error = bio_to_buf(out, ctx, bio, "the private key");
done:
    BIO_free(bio);
    return error;
}

int sg_key_public_pem(sg_buf *out, sg_ctx *ctx, const sg_key *key)
{
    BIO *bio = NULL;
    int error = 0;

    ERR_clear_error();
    if (!(bio = BIO_new(BIO_s_mem()))) {
        error = sg_attest__ossl_error(ctx, SG_ENOMEM, "cannot encode the public key");
        goto done;
    }
    if (PEM_write_bio_PUBKEY(bio, key->pkey) != 1) {
        error = sg_attest__ossl_error(ctx, SG_ECRYPTO, "cannot encode the public key");
        goto done;
    }
    error = bio_to_buf(out, ctx, bio, "the public key");
done:
    BIO_free(bio);
    return error;
}

/* 1 when needle occurs in hay[0..len). */
static int contains(const char *hay, size_t len, const char *needle)
{
    size_t n = strlen(needle), i;
    for (i = 0; n <= len && i <= len - n; i++)
        if (memcmp(hay + i, needle, n) == 0)
            return 1;
    return 0;
}

typedef struct passphrase {
    const unsigned char *bytes; /* NULL when the caller gave none */
    size_t len;                 /* bytes */
    int asked;                  /* OpenSSL asked for it: the key is encrypted */
} passphrase;

/* OpenSSL's PEM password callback: hand over the caller's bytes, never prompt. */
static int pass_cb(char *buf, int size, int rwflag, void *u)
{
    passphrase *p = u;
    (void)rwflag;
    p->asked = 1;
    if (!p->bytes || size < 0 || p->len > (size_t)size)
        return -1;
    memcpy(buf, p->bytes, p->len);
    return (int)p->len;
}

static int check_pem_size(sg_ctx *ctx, size_t len, const char *what)
{
    if (len > SG_ATTEST_KEY_FILE_MAX)
        return sg_error_set(ctx, SG_ELIMIT, "%s is %zu bytes, more than a key file may be (%zu)",
                            what, len, SG_ATTEST_KEY_FILE_MAX);
    return 0;
}

/* Why PEM text that OpenSSL refused is not the private key wanted. */
static int private_refusal(sg_ctx *ctx, const char *pem, size_t len, const passphrase *p,
                           const char *what)
{
    int encrypted = p->asked || contains(pem, len, "ENCRYPTED");
    if (encrypted && !p->bytes)
        return sg_error_set(ctx, SG_EINVALID, "%s is encrypted and no passphrase was given",
                            what);
    if (encrypted)
        return sg_error_set(ctx, SG_EINVALID,
                            "cannot decrypt %s: wrong passphrase or damaged key", what);
    if (contains(pem, len, "BEGIN PUBLIC KEY"))
        return sg_error_set(ctx, SG_EINVALID,
                            "%s is a public key; signing needs the private key", what);
    return sg_error_set(ctx, SG_EINVALID, "%s is not a PEM private key", what);
}

/* Why PEM text that OpenSSL refused is not the public key wanted. */
static int public_refusal(sg_ctx *ctx, const char *pem, size_t len, const char *what)
{
    if (contains(pem, len, "PRIVATE KEY"))
        return sg_error_set(ctx, SG_EINVALID,
                            "%s holds a private key; give its public key (.pub.pem)", what);
    return sg_error_set(ctx, SG_EINVALID, "%s is not a PEM public key (BEGIN PUBLIC KEY)", what);
}

/* Parse a private key (p not NULL: its passphrase) or a public key (p NULL) from PEM text of
 * a checked size, and wrap it. */
static int key_from_pem(sg_key **out, sg_ctx *ctx, const char *pem, size_t len, passphrase *p,
                        const char *what)
{
    EVP_PKEY *pkey = NULL;
    BIO *bio = NULL;
    int error;

    if (!(bio = BIO_new_mem_buf(pem, (int)len))) {
        error = sg_attest__ossl_error(ctx, SG_ENOMEM, "cannot read the key");
        goto done;
    }
    pkey = p ? PEM_read_bio_PrivateKey(bio, NULL, pass_cb, p)
             : PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
    if (!pkey) {
        ERR_clear_error();
        error = p ? private_refusal(ctx, pem, len, p, what) : public_refusal(ctx, pem, len, what);
        goto done;
    }
    error = sg_attest__key_wrap(out, ctx, pkey, p != NULL, what);
    pkey = NULL;
done:
    EVP_PKEY_free(pkey);
    BIO_free(bio);
    return error;
}

int sg_key_from_private_pem(sg_key **out, sg_ctx *ctx, const char *pem, size_t len,
                            const unsigned char *pass, size_t pass_len, const char *what)
{
    passphrase p = {pass, pass_len, 0};
    int error;

    *out = NULL;
    ERR_clear_error();
    if ((error = check_pem_size(ctx, len, what)) < 0)
        goto done;
    if (pass && pass_len > SG_ATTEST_PASSPHRASE_MAX) {
        error = sg_error_set(ctx, SG_EINVALID, "passphrase for %s is longer than %d bytes", what,
                             SG_ATTEST_PASSPHRASE_MAX);
        goto done;
    }
    error = key_from_pem(out, ctx, pem, len, &p, what);
done:
    ERR_clear_error();
    return error;
}

int sg_key_from_public_pem(sg_key **out, sg_ctx *ctx, const char *pem, size_t len,
                           const char *what)
{
    int error;

    *out = NULL;
    ERR_clear_error();
    if ((error = check_pem_size(ctx, len, what)) == 0)
        error = key_from_pem(out, ctx, pem, len, NULL, what);
    ERR_clear_error();
    return error;
}

static void put_u32(sg_buf *b, size_t v)
{
    unsigned char be[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                           (unsigned char)(v >> 8), (unsigned char)v};
    sg_buf_put(b, be, 4);
}

static void put_ssh_string(sg_buf *b, const void *data, size_t len)
{
    put_u32(b, len);
    sg_buf_put(b, data, len);
}

/* The public key in SSH wire format (RFC 5656 §3.1, RFC 8709 §4). */
static int ssh_wire(sg_buf *wire, sg_ctx *ctx, const sg_key *key)
{
    unsigned char point[65];
    size_t len = 32;
    BIGNUM *x = NULL, *y = NULL;
    int error = 0;

    if (key->type == SG_KEY_ED25519) {
        if (EVP_PKEY_get_raw_public_key(key->pkey, point, &len) != 1 || len != 32) {
            error = sg_attest__ossl_error(ctx, SG_ECRYPTO, "cannot read the Ed25519 public key");
            goto done;
        }
        put_ssh_string(wire, "ssh-ed25519", 11);
        put_ssh_string(wire, point, 32);
    } else {
        if (EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, &x) != 1 ||
            EVP_PKEY_get_bn_param(key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, &y) != 1 ||
            BN_bn2binpad(x, point + 1, 32) != 32 || BN_bn2binpad(y, point + 33, 32) != 32) {
            error = sg_attest__ossl_error(ctx, SG_ECRYPTO, "cannot read the P-256 public key");
            goto done;
        }
        point[0] = 0x04; /* uncompressed point */
        put_ssh_string(wire, "ecdsa-sha2-nistp256", 19);
        put_ssh_string(wire, "nistp256", 8);
        put_ssh_string(wire, point, 65);
    }
    error = sg_buf_check(wire, ctx, "the key id");
done:
    BN_free(x);
    BN_free(y);
    return error;
}

int sg_key_id(sg_buf *out, sg_ctx *ctx, const sg_key *key)
{
    sg_buf wire = SG_BUF_INIT, b64 = SG_BUF_INIT;
    unsigned char digest[32];
    int error;

    if ((error = ssh_wire(&wire, ctx, key)) < 0 ||
        (error = sg_sha256(digest, ctx, wire.ptr, wire.size)) < 0)
        goto done;
    sg_base64_encode(&b64, digest, sizeof(digest));
    while (b64.size && b64.ptr[b64.size - 1] == '=')
        sg_buf_truncate(&b64, b64.size - 1);
    sg_buf_puts(out, "SHA256:");
    sg_buf_put(out, b64.ptr, b64.size);
    if ((error = sg_buf_check(&b64, ctx, "the key id")) < 0)
        goto done;
    error = sg_buf_check(out, ctx, "the key id");
done:
    sg_buf_dispose(&wire);
    sg_buf_dispose(&b64);
    return error;
}
