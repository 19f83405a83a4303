/*
 * The transparency log side of a Sigstore bundle (sigstore-js packages/verify/src/tlog):
 * the Rekor entry must describe the bundle's envelope; the signed entry timestamp (SET) is
 * Rekor's signature over {"body","integratedTime","logID","logIndex"} in canonical JSON and
 * makes integratedTime trustworthy; an inclusion proof (bundle v0.2+) is an RFC 6962 audit
 * path to a root hash that a signed checkpoint commits to.
 */
#include "common/common.h"

#include <limits.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "attest/attest_int.h"
#include "verifier/trust/trust_int.h"

#define WHY(...) snprintf(why, why_size, __VA_ARGS__)

/* ---- the Rekor entry against the bundle ---------------------------------------------------- */

/* Decode base64 text s into bytes compared with want; 1 equal, 0 not (or not base64). */
static int b64_equals(sg_ctx *ctx, const char *s, const unsigned char *want, size_t want_len)
{
    unsigned char *got = NULL;
    size_t n = 0;
    int eq;
    if (!s || sg_base64_decode(&got, &n, ctx, s, strlen(s), "a log entry field") < 0) {
        sg_error_clear(ctx);
        return 0;
    }
    eq = n == want_len && memcmp(got, want, n) == 0;
    sg_free(got);
    return eq;
}

/* The log's copy of the signature is base64 of the base64 text (intoto 0.0.2). */
static int double_b64_equals(sg_ctx *ctx, const char *s, const unsigned char *want, size_t want_len)
{
    unsigned char *inner = NULL;
    size_t n = 0;
    char *text;
    int eq;
    if (!s || sg_base64_decode(&inner, &n, ctx, s, strlen(s), "a log entry field") < 0) {
        sg_error_clear(ctx);
        return 0;
    }
    text = sg_strndup((const char *)inner, n);
    sg_free(inner);
    if (!text)
        return 0;
    eq = b64_equals(ctx, text, want, want_len);
    sg_free(text);
    return eq;
}

/* The certificate the log recorded (base64 of PEM) is the bundle's leaf; 1 or 0. */
static int cert_equals(sg_ctx *ctx, const char *b64_pem, const sg_bundle *b)
{
    unsigned char *pem = NULL, *der = NULL;
    size_t n = 0;
    BIO *bio = NULL;
    X509 *x = NULL;
    int len, eq = 0;

    if (!b64_pem ||
        sg_base64_decode(&pem, &n, ctx, b64_pem, strlen(b64_pem), "a log entry certificate") < 0) {
        sg_error_clear(ctx);
        return 0;
    }
    if (n <= INT_MAX && (bio = BIO_new_mem_buf(pem, (int)n)) &&
        (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) && (len = i2d_X509(x, &der)) > 0)
        eq = (size_t)len == b->leaf_der_len && memcmp(der, b->leaf_der, b->leaf_der_len) == 0;
    OPENSSL_free(der);
    X509_free(x);
    BIO_free(bio);
    sg_free(pem);
    ERR_clear_error();
    return eq;
}

static int hash_matches(sg_ctx *ctx, const cJSON *hash, const sg_bundle *b)
{
    unsigned char d[32];
    char hex[65];
    const char *alg = sg_json_str(hash, "algorithm"), *v = sg_json_str(hash, "value");
    if (!alg || strcmp(alg, "sha256") != 0 || !v ||
        sg_sha256(d, ctx, b->payload, b->payload_len) < 0)
        return 0;
    sg_hex(hex, d, 32);
    return strcmp(hex, v) == 0;
}

static int intoto_matches(const cJSON *spec, const sg_bundle *b, char *why, size_t why_size,
                          sg_ctx *ctx)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(spec, "content");
    const cJSON *env = cJSON_GetObjectItemCaseSensitive(content, "envelope");
    const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(env, "signatures");
    const cJSON *s0 = cJSON_GetArrayItem(sigs, 0);
    const char *type = sg_json_str(env, "payloadType"), *pk = sg_json_str(s0, "publicKey");

    if (!cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) != 1)
        return WHY("the log entry does not hold exactly one signature"), 0;
    if (!double_b64_equals(ctx, sg_json_str(s0, "sig"), b->sig, b->sig_len))
        return WHY("the log entry holds another signature than the bundle"), 0;
    if (!hash_matches(ctx, cJSON_GetObjectItemCaseSensitive(content, "payloadHash"), b))
        return WHY("the log entry holds another payload hash than the bundle's payload"), 0;
    if (type && strcmp(type, b->payload_type) != 0)
        return WHY("the log entry holds another payload type than the bundle"), 0;
    if (b->leaf && pk && !cert_equals(ctx, pk, b))
        return WHY("the log entry holds another certificate than the bundle"), 0;
    return 1;
}

static int dsse_matches(const cJSON *spec, const sg_bundle *b, char *why, size_t why_size,
                        sg_ctx *ctx)
{
    const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(spec, "signatures");
    const cJSON *s0 = cJSON_GetArrayItem(sigs, 0);
    const char *verifier = sg_json_str(s0, "verifier");

    if (!cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) != 1)
        return WHY("the log entry does not hold exactly one signature"), 0;
    if (!b64_equals(ctx, sg_json_str(s0, "signature"), b->sig, b->sig_len))
        return WHY("the log entry holds another signature than the bundle"), 0;
    if (!hash_matches(ctx, cJSON_GetObjectItemCaseSensitive(spec, "payloadHash"), b))
        return WHY("the log entry holds another payload hash than the bundle's payload"), 0;
    if (b->leaf && verifier && !cert_equals(ctx, verifier, b))
        return WHY("the log entry holds another certificate than the bundle"), 0;
    return 1;
}

int sg_tlog__body_matches(const sg_bundle *b, char *why, size_t why_size, sg_ctx *ctx)
{
    cJSON *body = NULL;
    const char *kind, *ver;
    int ok = 0;

    if (sg_json_parse(&body, ctx, (const char *)b->body, b->body_len, "the Rekor entry") < 0) {
        WHY("the Rekor entry is not JSON: %s", sg_error_message(ctx));
        sg_error_clear(ctx);
        return 0;
    }
    kind = sg_json_str(body, "kind");
    ver = sg_json_str(body, "apiVersion");
    if (!kind || !ver || strcmp(kind, b->kind) != 0 || strcmp(ver, b->kind_version) != 0)
        WHY("the Rekor entry's kind is not the bundle's %s %s", b->kind, b->kind_version);
    else if (!strcmp(kind, "intoto") && !strcmp(ver, "0.0.2"))
        ok = intoto_matches(cJSON_GetObjectItemCaseSensitive(body, "spec"), b, why, why_size, ctx);
    else if (!strcmp(kind, "dsse") && !strcmp(ver, "0.0.1"))
        ok = dsse_matches(cJSON_GetObjectItemCaseSensitive(body, "spec"), b, why, why_size, ctx);
    else
        WHY("unsupported Rekor entry kind '%.32s' version '%.16s'", kind, ver);
    cJSON_Delete(body);
    return ok;
}

/* ---- signed entry timestamp --------------------------------------------------------------- */

static const sg_trust_log *find_log(const sg_trusted_root *root, const unsigned char id[32],
                                    int64_t t)
{
    size_t i;
    for (i = 0; i < root->ntlogs; i++)
        if (memcmp(root->tlogs[i].log_id, id, 32) == 0 && t >= root->tlogs[i].start &&
            t <= root->tlogs[i].end)
            return &root->tlogs[i];
    return NULL;
}

static int verify_set(const sg_bundle *b, const sg_trust_log *log, sg_ctx *ctx)
{
    sg_buf payload = SG_BUF_INIT;
    char hex[65];
    int ok;

    sg_hex(hex, b->log_id, 32);
    sg_buf_puts(&payload, "{\"body\":\"");
    sg_base64_encode(&payload, b->body, b->body_len);
    sg_buf_printf(&payload,
                  "\",\"integratedTime\":%" PRId64 ",\"logID\":\"%s\",\"logIndex\":%" PRId64 "}",
                  b->integrated_time, hex, b->log_index);
    ok = payload.error == 0 && sg_sigstore__verify(log->key, (const unsigned char *)payload.ptr,
                                                   payload.size, b->set, b->set_len);
    if (payload.error)
        sg_buf_check(&payload, ctx, "the signed entry timestamp payload");
    sg_buf_dispose(&payload);
    return ok;
}

/* ---- inclusion proof ---------------------------------------------------------------------- */

static void hash_children(unsigned char out[32], const unsigned char l[32],
                          const unsigned char r[32])
{
    unsigned char buf[65];
    unsigned int n = 32;
    buf[0] = 0x01;
    memcpy(buf + 1, l, 32);
    memcpy(buf + 33, r, 32);
    EVP_Digest(buf, sizeof(buf), out, &n, EVP_sha256(), NULL);
}

static unsigned bit_length(uint64_t v)
{
    unsigned n = 0;
    while (v) {
        n++;
        v >>= 1;
    }
    return n;
}

int sg_tlog__merkle_check(const unsigned char leaf_hash[32], int64_t index, int64_t size,
                          const unsigned char (*hashes)[32], size_t nhashes,
                          const unsigned char root[32])
{
    unsigned char h[32];
    unsigned inner, border, i;
    uint64_t idx = (uint64_t)index, sz = (uint64_t)size, rest;

    if (index < 0 || size <= 0 || index >= size)
        return 0;
    inner = bit_length(idx ^ (sz - 1));
    for (border = 0, rest = idx >> inner; rest; rest >>= 1)
        border += (unsigned)(rest & 1);
    if (nhashes != (size_t)inner + border)
        return 0;
    memcpy(h, leaf_hash, 32);
    for (i = 0; i < inner; i++) {
        if ((idx >> i) & 1)
            hash_children(h, hashes[i], h);
        else
            hash_children(h, h, hashes[i]);
    }
    for (; i < nhashes; i++)
        hash_children(h, hashes[i], h);
    return memcmp(h, root, 32) == 0;
}

/* A checkpoint (signed note): its signatures by trusted logs, its size and root. */
static int verify_checkpoint(const sg_bundle *b, const sg_trusted_root *root, char *why,
                             size_t why_size, sg_ctx *ctx)
{
    static const char dash[] = "\xe2\x80\x94 "; /* U+2014 EM DASH, space */
    const char *text = b->checkpoint, *sep = strstr(text, "\n\n"), *line, *nl;
    size_t note_len, verified = 0;
    unsigned char *root_hash = NULL;
    size_t root_len = 0;
    char size_str[32], root_b64[128];
    int ok = 0;

    if (!sep)
        return WHY("the checkpoint has no signature block"), 0;
    note_len = (size_t)(sep - text) + 1;
    for (line = sep + 2; *line; line = nl + 1) {
        const char *name, *sp;
        unsigned char *sig = NULL;
        size_t i, n = 0;
        if (!(nl = strchr(line, '\n')))
            break;
        if (strncmp(line, dash, sizeof(dash) - 1) != 0)
            continue;
        name = line + sizeof(dash) - 1;
        sp = memchr(name, ' ', (size_t)(nl - name));
        if (!sp ||
            sg_base64_decode(&sig, &n, ctx, sp + 1, (size_t)(nl - sp - 1),
                             "a checkpoint signature") < 0 ||
            n < 5) {
            sg_error_clear(ctx);
            sg_free(sig);
            return WHY("the checkpoint has a malformed signature line"), 0;
        }
        for (i = 0; i < root->ntlogs; i++) {
            if (memcmp(root->tlogs[i].log_id, sig, 4) != 0)
                continue;
            if (!sg_sigstore__verify(root->tlogs[i].key, (const unsigned char *)text, note_len,
                                     sig + 4, n - 4)) {
                sg_free(sig);
                return WHY("a checkpoint signature does not verify"), 0;
            }
            verified++;
        }
        sg_free(sig);
    }
    if (!verified)
        return WHY("no trusted log signed the checkpoint"), 0;
    /* origin \n size \n root-hash-base64 \n ... */
    if (sscanf(text, "%*[^\n]\n%31[0-9]\n%127[A-Za-z0-9+/=]\n", size_str, root_b64) != 2)
        return WHY("the checkpoint's note is malformed"), 0;
    if (strtoll(size_str, NULL, 10) != b->tree_size)
        return WHY("the checkpoint is for another tree size than the inclusion proof"), 0;
    if (sg_base64_decode(&root_hash, &root_len, ctx, root_b64, strlen(root_b64),
                         "the checkpoint root") < 0) {
        sg_error_clear(ctx);
        return WHY("the checkpoint's root hash is not base64"), 0;
    }
    ok = root_len == 32 && memcmp(root_hash, b->root_hash, 32) == 0;
    sg_free(root_hash);
    if (!ok)
        WHY("the checkpoint commits to another root hash than the inclusion proof");
    return ok;
}

static int verify_inclusion(const sg_bundle *b, const sg_trusted_root *root, char *why,
                            size_t why_size, sg_ctx *ctx)
{
    unsigned char leaf[32];
    unsigned char *buf;
    size_t n;

    if (sg_add_overflow(&n, b->body_len, 1) || !(buf = sg_malloc(n)))
        return WHY("out of memory hashing the log entry"), 0;
    buf[0] = 0x00;
    memcpy(buf + 1, b->body, b->body_len);
    n = sg_sha256(leaf, ctx, buf, n) == 0;
    sg_free(buf);
    if (!n)
        return WHY("cannot hash the log entry"), 0;
    if (!sg_tlog__merkle_check(leaf, b->proof_index, b->tree_size,
                               (const unsigned char(*)[32])b->hashes, b->nhashes, b->root_hash))
        return WHY("the inclusion proof does not lead to its root hash"), 0;
    if (b->checkpoint)
        return verify_checkpoint(b, root, why, why_size, ctx);
    return 1;
}

int sg_tlog__verify(const sg_bundle *b, const sg_trusted_root *root, char *why, size_t why_size,
                    sg_ctx *ctx)
{
    const sg_trust_log *log = find_log(root, b->log_id, b->integrated_time);

    if (!b->set)
        return WHY("the bundle has no signed entry timestamp (inclusion promise)"), 0;
    if (!log)
        return WHY("no transparency log of the trusted root has the entry's log id and was "
                   "valid at its integrated time"),
               0;
    if (!verify_set(b, log, ctx))
        return WHY("the signed entry timestamp does not verify with the log's key"), 0;
    if (b->has_proof)
        return verify_inclusion(b, root, why, why_size, ctx);
    return 1;
}
