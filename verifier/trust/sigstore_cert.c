/*
 * The certificate side of a Sigstore bundle: the Fulcio chain at the log's integrated time,
 * the embedded signed certificate timestamps (RFC 6962 precertificate SCTs), the identity
 * extensions Fulcio writes (sigstore/fulcio docs/oid-info.md), and signatures made with the
 * certificate's key.
 */
#include "common/common.h"

#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "verifier/trust/trust_int.h"

#define WHY(...) snprintf(why, why_size, __VA_ARGS__)
#define FULCIO_OID "1.3.6.1.4.1.57264.1."

int sg_sigstore__verify(EVP_PKEY *pkey, const unsigned char *msg, size_t msg_len,
                        const unsigned char *sig, size_t sig_len)
{
    const EVP_MD *md;
    EVP_MD_CTX *c = NULL;
    int ok = 0, bits;

    if (!pkey || !sig || sig_len == 0)
        return 0;
    if (EVP_PKEY_is_a(pkey, "ED25519")) {
        md = NULL;
    } else if (EVP_PKEY_is_a(pkey, "EC")) {
        bits = EVP_PKEY_get_bits(pkey);
        md = bits <= 256 ? EVP_sha256() : bits <= 384 ? EVP_sha384() : EVP_sha512();
    } else if (EVP_PKEY_is_a(pkey, "RSA")) {
        md = EVP_sha256();
    } else {
        return 0;
    }
    if ((c = EVP_MD_CTX_new()) != NULL && EVP_DigestVerifyInit(c, NULL, md, NULL, pkey) == 1)
        ok = EVP_DigestVerify(c, sig, sig_len, msg, msg_len) == 1;
    EVP_MD_CTX_free(c);
    ERR_clear_error();
    return ok;
}

int sg_cert__verify_dsse(X509 *leaf, const char *payload_type, const unsigned char *payload,
                         size_t payload_len, const unsigned char *sig, size_t sig_len)
{
    sg_buf pae = SG_BUF_INIT;
    int ok;
    sg_dsse_pae(&pae, payload_type, strlen(payload_type), payload, payload_len);
    ok = pae.error == 0 &&
         sg_sigstore__verify(X509_get0_pubkey(leaf), (const unsigned char *)pae.ptr, pae.size, sig,
                             sig_len);
    sg_buf_dispose(&pae);
    return ok;
}

/* ---- identity ----------------------------------------------------------------------------- */

/* Copy n bytes of an untrusted string, printable ASCII only ('?' for anything else). */
static void copy_clean(char *out, size_t size, const unsigned char *s, size_t n)
{
    size_t i;
    if (!size)
        return;
    for (i = 0; i < n && i + 1 < size; i++)
        sg_show_byte(out + i, s[i], SG_SHOW_QMARK);
    out[i] = '\0';
}

/* Extension 1.3.6.1.4.1.57264.1.<arc> of cert into out; der: the value is a UTF8String. */
static int fulcio_ext(char *out, size_t size, X509 *cert, int arc, int der)
{
    char oid[64];
    ASN1_OBJECT *obj;
    X509_EXTENSION *ext;
    const ASN1_OCTET_STRING *data;
    int idx;

    out[0] = '\0';
    snprintf(oid, sizeof(oid), FULCIO_OID "%d", arc);
    if (!(obj = OBJ_txt2obj(oid, 1)))
        return 0;
    idx = X509_get_ext_by_OBJ(cert, obj, -1);
    ASN1_OBJECT_free(obj);
    if (idx < 0 || !(ext = X509_get_ext(cert, idx)) || !(data = X509_EXTENSION_get_data(ext)))
        return 0;
    if (der) {
        const unsigned char *p = ASN1_STRING_get0_data(data);
        ASN1_UTF8STRING *u = d2i_ASN1_UTF8STRING(NULL, &p, ASN1_STRING_length(data));
        if (u)
            copy_clean(out, size, ASN1_STRING_get0_data(u), (size_t)ASN1_STRING_length(u));
        ASN1_UTF8STRING_free(u);
    } else {
        copy_clean(out, size, ASN1_STRING_get0_data(data), (size_t)ASN1_STRING_length(data));
    }
    ERR_clear_error();
    return out[0] != '\0';
}

static void san(char *out, size_t size, X509 *cert)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    int i;
    out[0] = '\0';
    for (i = 0; names && i < sk_GENERAL_NAME_num(names) && !out[0]; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type == GEN_URI || g->type == GEN_EMAIL) {
            const ASN1_IA5STRING *s =
                g->type == GEN_URI ? g->d.uniformResourceIdentifier : g->d.rfc822Name;
            copy_clean(out, size, ASN1_STRING_get0_data(s), (size_t)ASN1_STRING_length(s));
        }
    }
    GENERAL_NAMES_free(names);
    ERR_clear_error();
}

void sg_cert__identity(sg_cert_identity *out, X509 *cert)
{
    char repo[sizeof(out->repository) - sizeof("https://github.com/")];
    memset(out, 0, sizeof(*out));
    if (!cert)
        return;
    san(out->san, sizeof(out->san), cert);
    if (!fulcio_ext(out->issuer, sizeof(out->issuer), cert, 8, 1))
        fulcio_ext(out->issuer, sizeof(out->issuer), cert, 1, 0);
    if (!fulcio_ext(out->repository, sizeof(out->repository), cert, 12, 1) &&
        fulcio_ext(repo, sizeof(repo), cert, 5, 0))
        snprintf(out->repository, sizeof(out->repository), "https://github.com/%s", repo);
    if (!fulcio_ext(out->commit, sizeof(out->commit), cert, 13, 1))
        fulcio_ext(out->commit, sizeof(out->commit), cert, 3, 0);
    if (!fulcio_ext(out->ref, sizeof(out->ref), cert, 14, 1))
        fulcio_ext(out->ref, sizeof(out->ref), cert, 6, 0);
}

/* ---- SCTs --------------------------------------------------------------------------------- */

static void put_be(sg_buf *b, uint64_t v, int bytes)
{
    while (bytes--)
        sg_buf_putc(b, (char)(unsigned char)(v >> (8 * bytes)));
}

/* The precertificate's TBSCertificate (the leaf's, without the SCT list) into *der. */
static int precert_tbs(unsigned char **der, X509 *leaf)
{
    X509 *dup = X509_dup(leaf);
    int idx, len = -1;
    *der = NULL;
    if (dup && (idx = X509_get_ext_by_NID(dup, NID_ct_precert_scts, -1)) >= 0) {
        X509_EXTENSION_free(X509_delete_ext(dup, idx));
        len = i2d_re_X509_tbs(dup, der);
    }
    X509_free(dup);
    return len;
}

/* One SCT against the CT logs of root: 1 when a log valid at its time signed it. */
static int sct_ok(const SCT *sct, const unsigned char *tbs, int tbs_len,
                  const unsigned char issuer_hash[32], const sg_trusted_root *root)
{
    unsigned char *id = NULL, *ext = NULL, *sig = NULL;
    size_t id_len = SCT_get0_log_id(sct, &id), ext_len = SCT_get0_extensions(sct, &ext);
    size_t sig_len = SCT_get0_signature(sct, &sig), i;
    uint64_t ts = SCT_get_timestamp(sct);
    int64_t t = (int64_t)(ts / 1000);
    sg_buf data = SG_BUF_INIT;
    int ok = 0;

    if (SCT_get_version(sct) != SCT_VERSION_V1 || id_len != 32 || ext_len > 0xffff)
        return 0;
    sg_buf_putc(&data, 0); /* sct_version v1 */
    sg_buf_putc(&data, 0); /* signature_type certificate_timestamp */
    put_be(&data, ts, 8);  /* timestamp */
    put_be(&data, 1, 2);   /* entry_type precert_entry */
    sg_buf_put(&data, issuer_hash, 32);
    put_be(&data, (uint64_t)tbs_len, 3);
    sg_buf_put(&data, tbs, (size_t)tbs_len);
    put_be(&data, ext_len, 2);
    sg_buf_put(&data, ext, ext_len);
    for (i = 0; data.error == 0 && i < root->nctlogs && !ok; i++) {
        const sg_trust_log *log = &root->ctlogs[i];
        if (memcmp(log->log_id, id, 32) == 0 && t >= log->start && t <= log->end)
            ok = sg_sigstore__verify(log->key, (const unsigned char *)data.ptr, data.size, sig,
                                     sig_len);
    }
    sg_buf_dispose(&data);
    return ok;
}

static int verify_scts(X509 *leaf, X509 *issuer, const sg_trusted_root *root, char *why,
                       size_t why_size)
{
    STACK_OF(SCT) *scts = X509_get_ext_d2i(leaf, NID_ct_precert_scts, NULL, NULL);
    unsigned char *tbs = NULL, *spki = NULL, issuer_hash[32];
    unsigned int hl = 32;
    int tbs_len, spki_len, i, ok = 0;

    if (!scts || sk_SCT_num(scts) == 0) {
        WHY("the certificate carries no signed certificate timestamp");
        goto done;
    }
    if ((tbs_len = precert_tbs(&tbs, leaf)) <= 0 || tbs_len > 0xffffff ||
        (spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki)) <= 0 ||
        EVP_Digest(spki, (size_t)spki_len, issuer_hash, &hl, EVP_sha256(), NULL) != 1) {
        WHY("cannot rebuild the precertificate the SCT signs");
        goto done;
    }
    for (i = 0; i < sk_SCT_num(scts) && !ok; i++)
        ok = sct_ok(sk_SCT_value(scts, i), tbs, tbs_len, issuer_hash, root);
    if (!ok)
        WHY("no signed certificate timestamp verifies with a CT log of the trusted root");
done:
    OPENSSL_free(tbs);
    OPENSSL_free(spki);
    SCT_LIST_free(scts);
    ERR_clear_error();
    return ok;
}

/* ---- the chain ---------------------------------------------------------------------------- */

/* leaf chains to ca at time t: 1 (with *issuer up-ref'd) or 0 (reason in verr). */
static int chain_ok(X509 *leaf, const sg_trust_ca *ca, int64_t t, X509 **issuer, int *verr)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *sctx = X509_STORE_CTX_new();
    STACK_OF(X509) * chain;
    int i, ok = 0;

    *issuer = NULL;
    *verr = X509_V_ERR_UNSPECIFIED;
    if (!store || !sctx)
        goto done;
    for (i = 0; i < sk_X509_num(ca->certs); i++)
        if (X509_STORE_add_cert(store, sk_X509_value(ca->certs, i)) != 1)
            goto done;
    if (X509_STORE_CTX_init(sctx, store, leaf, NULL) != 1)
        goto done;
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(sctx), (time_t)t);
    X509_VERIFY_PARAM_set_flags(X509_STORE_CTX_get0_param(sctx), X509_V_FLAG_PARTIAL_CHAIN);
    ok = X509_verify_cert(sctx) == 1;
    *verr = X509_STORE_CTX_get_error(sctx);
    chain = X509_STORE_CTX_get0_chain(sctx);
    if (ok && sk_X509_num(chain) >= 2 && X509_up_ref(sk_X509_value(chain, 1)) == 1)
        *issuer = sk_X509_value(chain, 1);
    else
        ok = 0;
done:
    X509_STORE_CTX_free(sctx);
    X509_STORE_free(store);
    ERR_clear_error();
    return ok;
}

static int leaf_usage_ok(X509 *leaf)
{
    uint32_t flags = X509_get_extension_flags(leaf);
    return X509_check_ca(leaf) == 0 && (flags & EXFLAG_XKUSAGE) &&
           (X509_get_extended_key_usage(leaf) & XKU_CODE_SIGN) &&
           (!(flags & EXFLAG_KUSAGE) || (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE));
}

int sg_cert__verify(X509 *leaf, int64_t t, const sg_trusted_root *root, char *why, size_t why_size,
                    sg_ctx *ctx)
{
    X509 *issuer = NULL;
    size_t i;
    int verr = X509_V_OK, tried = 0, ok = 0;

    (void)ctx;
    if (!leaf_usage_ok(leaf))
        return WHY("the signing certificate is not a code-signing end-entity certificate"), 0;
    for (i = 0; i < root->ncas && !ok; i++) {
        if (t < root->cas[i].start || t > root->cas[i].end)
            continue;
        tried++;
        ok = chain_ok(leaf, &root->cas[i], t, &issuer, &verr);
    }
    if (!tried)
        return WHY("no certificate authority of the trusted root was valid at the integrated "
                   "time"),
               0;
    if (!ok)
        return WHY("the signing certificate does not chain to the trusted root at the "
                   "integrated time: %s",
                   X509_verify_cert_error_string(verr)),
               0;
    if (root->nctlogs)
        ok = verify_scts(leaf, issuer, root, why, why_size);
    X509_free(issuer);
    return ok;
}
