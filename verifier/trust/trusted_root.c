/*
 * A Sigstore trusted root (trusted_root.json): the Rekor and CT log keys and the Fulcio
 * certificate chains that provenance bundles verify against, each with its validity window.
 */
#include "common/common.h"

#include <openssl/x509.h>

#include "attest/attest_int.h"
#include "verifier/trust/trust_int.h"

#define MAX_DER 16384 /* bytes of one key or certificate */

static void logs_free(sg_trust_log *logs, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        EVP_PKEY_free(logs[i].key);
    sg_free(logs);
}

void sg_trusted_root__free(sg_trusted_root *root)
{
    size_t i;
    if (!root)
        return;
    logs_free(root->tlogs, root->ntlogs);
    logs_free(root->ctlogs, root->nctlogs);
    for (i = 0; i < root->ncas; i++)
        sk_X509_pop_free(root->cas[i].certs, X509_free);
    sg_free(root->cas);
    sg_free(root);
}

/* Decode base64 member `key` of obj into *der (sg_malloc'd). */
static int b64_member(unsigned char **der, size_t *len, sg_ctx *ctx, const cJSON *obj,
                      const char *key, const char *what)
{
    const char *s = sg_json_str(obj, key);
    int error;
    *der = NULL;
    *len = 0;
    if (!s)
        return sg_error_set(ctx, SG_EINVALID, "%s lacks \"%s\"", what, key);
    if ((error = sg_base64_decode(der, len, ctx, s, strlen(s), what)) < 0)
        return error;
    if (*len > MAX_DER) {
        sg_free(*der);
        *der = NULL;
        return sg_error_set(ctx, SG_ELIMIT, "%s: \"%s\" is larger than %d bytes", what, key,
                            MAX_DER);
    }
    return 0;
}

/* validFor {start, end} of obj; a missing start is the epoch, a missing end is open. */
static int valid_for(int64_t *start, int64_t *end, sg_ctx *ctx, const cJSON *obj, const char *what)
{
    const cJSON *vf = cJSON_GetObjectItemCaseSensitive(obj, "validFor");
    const char *s = sg_json_str(vf, "start"), *e = sg_json_str(vf, "end");
    *start = 0;
    *end = SG_TRUST_NO_TIME;
    if ((s && sg_trust__parse_time(start, s) < 0) || (e && sg_trust__parse_time(end, e) < 0))
        return sg_error_set(ctx, SG_EINVALID, "%s has a bad validFor time", what);
    return 0;
}

static int parse_log(sg_trust_log *log, sg_ctx *ctx, const cJSON *e, const char *what)
{
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(e, "publicKey");
    unsigned char *der = NULL, *id = NULL;
    const unsigned char *p;
    size_t len = 0, idlen = 0;
    int error;

    if ((error = b64_member(&der, &len, ctx, pk, "rawBytes", what)) < 0 ||
        (error = valid_for(&log->start, &log->end, ctx, pk, what)) < 0)
        goto done;
    p = der;
    if (!(log->key = d2i_PUBKEY(NULL, &p, (long)len)) || p != der + len) {
        error = sg_attest__ossl_error(ctx, SG_EINVALID, what);
        goto done;
    }
    /* logId.keyId when given (it must be the key's SHA-256), else computed */
    if ((error = sg_sha256(log->log_id, ctx, der, len)) < 0)
        goto done;
    if (cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(e, "logId"))) {
        if ((error = b64_member(&id, &idlen, ctx, cJSON_GetObjectItemCaseSensitive(e, "logId"),
                                "keyId", what)) < 0)
            goto done;
        if (idlen != 32 || memcmp(id, log->log_id, 32) != 0)
            error = sg_error_set(ctx, SG_EINVALID,
                                 "%s: logId.keyId is not the SHA-256 of its public key", what);
    }
done:
    sg_free(der);
    sg_free(id);
    return error;
}

static int parse_logs(sg_trust_log **out, size_t *n, sg_ctx *ctx, const cJSON *arr,
                      const char *section, const char *what)
{
    const cJSON *e;
    char msg[300];
    int count = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0, error;

    *out = NULL;
    *n = 0;
    if (count > SG_TRUST_MAX_KEYS)
        return sg_error_set(ctx, SG_ELIMIT, "%s has more than %d %s", what, SG_TRUST_MAX_KEYS,
                            section);
    if (count == 0)
        return 0;
    if (!(*out = sg_calloc((size_t)count, sizeof(sg_trust_log))))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for %s", what);
    cJSON_ArrayForEach(e, arr)
    {
        snprintf(msg, sizeof(msg), "%s[%zu] of %s", section, *n, what);
        error = parse_log(&(*out)[*n], ctx, e, msg);
        (*n)++;
        if (error < 0)
            return error;
    }
    return 0;
}

static int parse_ca(sg_trust_ca *ca, sg_ctx *ctx, const cJSON *e, const char *what)
{
    const cJSON *certs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(e, "certChain"), "certificates");
    const cJSON *c;
    int error;

    if ((error = valid_for(&ca->start, &ca->end, ctx, e, what)) < 0)
        return error;
    if (!cJSON_IsArray(certs) || cJSON_GetArraySize(certs) == 0 ||
        cJSON_GetArraySize(certs) > SG_TRUST_MAX_CHAIN)
        return sg_error_set(ctx, SG_EINVALID, "%s needs 1 to %d certificates", what,
                            SG_TRUST_MAX_CHAIN);
    if (!(ca->certs = sk_X509_new_null()))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for %s", what);
    cJSON_ArrayForEach(c, certs)
    {
        unsigned char *der = NULL;
        const unsigned char *p;
        size_t len = 0;
        X509 *x;
        if ((error = b64_member(&der, &len, ctx, c, "rawBytes", what)) < 0)
            return error;
        p = der;
        x = d2i_X509(NULL, &p, (long)len);
        if (!x || p != der + len) {
            X509_free(x);
            sg_free(der);
            return sg_attest__ossl_error(ctx, SG_EINVALID, what);
        }
        sg_free(der);
        if (!sk_X509_push(ca->certs, x)) {
            X509_free(x);
            return sg_error_set(ctx, SG_ENOMEM, "out of memory for %s", what);
        }
    }
    return 0;
}

static int parse_cas(sg_trusted_root *root, sg_ctx *ctx, const cJSON *arr, const char *what)
{
    const cJSON *e;
    char msg[300];
    int count = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : 0, error;

    if (count > SG_TRUST_MAX_KEYS)
        return sg_error_set(ctx, SG_ELIMIT, "%s has more than %d certificate authorities", what,
                            SG_TRUST_MAX_KEYS);
    if (count == 0)
        return 0;
    if (!(root->cas = sg_calloc((size_t)count, sizeof(sg_trust_ca))))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for %s", what);
    cJSON_ArrayForEach(e, arr)
    {
        snprintf(msg, sizeof(msg), "certificateAuthorities[%zu] of %s", root->ncas, what);
        error = parse_ca(&root->cas[root->ncas], ctx, e, msg);
        root->ncas++;
        if (error < 0)
            return error;
    }
    return 0;
}

int sg_trusted_root__parse(sg_trusted_root **out, sg_ctx *ctx, const char *json, size_t len,
                           const char *what)
{
    sg_trusted_root *root = NULL;
    cJSON *doc = NULL;
    const char *mt;
    int error;

    *out = NULL;
    if ((error = sg_json_parse(&doc, ctx, json, len, what)) < 0)
        return error;
    mt = sg_json_str(doc, "mediaType");
    if (!cJSON_IsObject(doc) ||
        (mt && strncmp(mt, "application/vnd.dev.sigstore.trustedroot", 40) != 0)) {
        error = sg_error_set(ctx, SG_EINVALID, "%s is not a Sigstore trusted root", what);
        goto done;
    }
    if (!(root = sg_calloc(1, sizeof(*root)))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory for %s", what);
        goto done;
    }
    if ((error = parse_logs(&root->tlogs, &root->ntlogs, ctx,
                            cJSON_GetObjectItemCaseSensitive(doc, "tlogs"), "tlogs", what)) < 0 ||
        (error = parse_logs(&root->ctlogs, &root->nctlogs, ctx,
                            cJSON_GetObjectItemCaseSensitive(doc, "ctlogs"), "ctlogs", what)) < 0 ||
        (error = parse_cas(
             root, ctx, cJSON_GetObjectItemCaseSensitive(doc, "certificateAuthorities"), what)) < 0)
        goto done;
    if (root->ntlogs == 0 || root->ncas == 0)
        error = sg_error_set(ctx, SG_EINVALID,
                             "%s names no transparency log or no certificate authority", what);
done:
    cJSON_Delete(doc);
    if (error < 0)
        sg_trusted_root__free(root);
    else
        *out = root;
    return error;
}
