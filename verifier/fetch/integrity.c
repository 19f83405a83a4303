/*
 * Registry integrity (integrity_int.h): npm's dist.integrity and dist.shasum, parsed the way
 * ssri and pacote read them, and the digests that check a tarball against them.
 */
#include "common/common.h"

#include <openssl/evp.h>

#include "verifier/fetch/integrity_int.h"
#include "sourcegate/registry.h"

/* ---- digests ---------------------------------------------------------------------------- */

/* Names and sizes, indexed by sg_sri_alg. */
static const struct {
    const char *name; /* SRI prefix */
    size_t size;      /* digest bytes */
} algs[SG_SRI__COUNT] = {{"sha1", 20}, {"sha256", 32}, {"sha384", 48}, {"sha512", 64}};

static const EVP_MD *alg_md(sg_sri_alg a)
{
    switch (a) {
    case SG_SRI_SHA1:
        return EVP_sha1();
    case SG_SRI_SHA256:
        return EVP_sha256();
    case SG_SRI_SHA384:
        return EVP_sha384(); /* not in common/hash.h */
    default:
        return EVP_sha512();
    }
}

void sg_integrity__digests_dispose(sg_digests *d)
{
    int a;
    for (a = 0; a < SG_SRI__COUNT; a++) {
        EVP_MD_CTX_free(d->md[a]);
        d->md[a] = NULL;
    }
}

int sg_integrity__digests_begin(sg_digests *d, sg_ctx *ctx)
{
    int a;
    sg_integrity__digests_dispose(d);
    for (a = 0; a < SG_SRI__COUNT; a++) {
        if (!d->want[a])
            continue;
        if (!(d->md[a] = EVP_MD_CTX_new()) || EVP_DigestInit_ex(d->md[a], alg_md(a), NULL) != 1) {
            sg_integrity__digests_dispose(d);
            return sg_error_set(ctx, SG_ECRYPTO, "cannot start a %s digest", algs[a].name);
        }
    }
    return 0;
}

int sg_integrity__digests_update(sg_digests *d, const void *data, size_t len)
{
    int a;
    for (a = 0; a < SG_SRI__COUNT; a++)
        if (d->md[a] && len && EVP_DigestUpdate(d->md[a], data, len) != 1)
            return -1;
    return 0;
}

int sg_integrity__digests_end(sg_digests *d, sg_ctx *ctx)
{
    int a, error = 0;
    for (a = 0; a < SG_SRI__COUNT; a++) {
        unsigned int n = 0;
        if (d->md[a] && EVP_DigestFinal_ex(d->md[a], d->out[a], &n) != 1)
            error = sg_error_set(ctx, SG_ECRYPTO, "cannot finish a %s digest", algs[a].name);
    }
    sg_integrity__digests_dispose(d);
    return error;
}

/* ---- expected digests: SRI (ssri) and shasum -------------------------------------------- */

static int is_b64(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
}

/* ssri's parse (non-strict): space-separated "alg-base64[?opts]" tokens; unknown algorithms
 * and malformed tokens are skipped. The strongest algorithm listed decides (pickAlgorithm). */
static void parse_sri(sg_sri_expect *e, const char *sri)
{
    const char *p = sri;
    e->nhashes = 0;
    e->strongest = -1;
    while (p && *p) {
        size_t toklen, alen, dlen;
        const char *dash, *dig;
        int a, found = -1;

        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        toklen = strcspn(p, " \t\r\n");
        if (!toklen)
            break;
        dash = memchr(p, '-', toklen);
        if (dash) {
            alen = (size_t)(dash - p);
            for (a = 0; a < SG_SRI__COUNT; a++)
                if (strlen(algs[a].name) == alen && memcmp(p, algs[a].name, alen) == 0)
                    found = a;
            dig = dash + 1;
            dlen = strcspn(dig, "? \t\r\n");
            if (dlen > toklen - alen - 1)
                dlen = toklen - alen - 1;
            for (a = 0; a < (int)dlen && found >= 0; a++)
                if (!is_b64(dig[a]))
                    found = -1;
            if (found >= 0 && dlen > 0 && dlen < sizeof(e->hashes[0].b64) &&
                e->nhashes < SG_SRI_MAX_HASHES) {
                e->hashes[e->nhashes].alg = (sg_sri_alg)found;
                memcpy(e->hashes[e->nhashes].b64, dig, dlen);
                e->hashes[e->nhashes].b64[dlen] = '\0';
                e->nhashes++;
                if (found > e->strongest)
                    e->strongest = found;
            }
        }
        p += toklen;
    }
}

int sg_integrity__parse(sg_sri_expect *e, sg_ctx *ctx, const char *integrity, const char *shasum,
                        const char *shown_url)
{
    size_t i;
    memset(e, 0, sizeof(*e));
    parse_sri(e, integrity);
    if (shasum && *shasum) {
        if (strlen(shasum) != 40)
            return sg_error_set(ctx, SG_EINVALID,
                                "shasum '%.64s' of tarball '%s' is not 40 hex "
                                "digits",
                                shasum, shown_url);
        for (i = 0; i < 40; i++) {
            char c = shasum[i];
            if (c >= 'A' && c <= 'F')
                c = (char)(c - 'A' + 'a');
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                return sg_error_set(ctx, SG_EINVALID,
                                    "shasum '%.64s' of tarball '%s' is not 40 hex digits", shasum,
                                    shown_url);
            e->shasum[i] = c;
        }
        e->shasum[40] = '\0';
    }
    if (e->strongest < 0 && !e->shasum[0])
        return sg_error_set(ctx, SG_EINVALID,
                            "tarball '%s' has no integrity or shasum that can be checked",
                            shown_url);
    return 0;
}

/* Decode an SRI digest as ssri does (SG_BASE64_LENIENT) into out; returns bytes or -1. */
long sg_integrity__b64_decode(unsigned char *out, size_t out_size, const char *in)
{
    unsigned char *raw = NULL;
    size_t n = 0;
    long got = -1;

    if (sg_base64_decode_ex(&raw, &n, NULL, in, strlen(in), "a digest", SG_BASE64_LENIENT) == 0 &&
        n <= out_size) {
        if (n)
            memcpy(out, raw, n);
        got = (long)n;
    }
    sg_free(raw);
    return got;
}

/* The actual digest of an algorithm as "alg-base64" into out (replaced). */
static int sri_of(sg_buf *out, const sg_digests *d, sg_sri_alg a)
{
    sg_buf_clear(out);
    sg_buf_printf(out, "%s-", algs[a].name);
    sg_base64_encode(out, d->out[a], algs[a].size);
    return out->error;
}

/* Compare finished digests with what the packument promised. */
int sg_integrity__check(sg_ctx *ctx, const sg_sri_expect *e, const sg_digests *d,
                        const char *shown_url)
{
    sg_buf actual = SG_BUF_INIT;
    char hex[129];
    size_t i;
    int error = 0, ok = 0;

    if (e->strongest >= 0) {
        if ((error = sri_of(&actual, d, (sg_sri_alg)e->strongest)) < 0) {
            error = sg_buf_check(&actual, ctx, "a digest");
            goto done;
        }
        for (i = 0; i < e->nhashes; i++)
            if ((int)e->hashes[i].alg == e->strongest &&
                strcmp(actual.ptr + strlen(algs[e->strongest].name) + 1, e->hashes[i].b64) == 0)
                ok = 1;
        if (!ok) {
            for (i = 0; i < e->nhashes && (int)e->hashes[i].alg != e->strongest; i++)
                ;
            error = sg_error_set(ctx, SG_EINTEGRITY,
                                 "integrity mismatch for tarball '%s': expected %s-%s, got %s",
                                 shown_url, algs[e->strongest].name, e->hashes[i].b64, actual.ptr);
            goto done;
        }
    }
    if (e->shasum[0]) {
        sg_hex(hex, d->out[SG_SRI_SHA1], algs[SG_SRI_SHA1].size);
        if (strcmp(hex, e->shasum) != 0) {
            error = sg_error_set(ctx, SG_EINTEGRITY,
                                 "shasum mismatch for tarball '%s': expected sha1 %s, got sha1 %s",
                                 shown_url, e->shasum, hex);
            goto done;
        }
    }
done:
    sg_buf_dispose(&actual);
    return error;
}

void sg_integrity__wants(sg_digests *d, const sg_sri_expect *e)
{
    size_t i;
    memset(d->want, 0, sizeof(d->want));
    d->want[SG_SRI_SHA512] = 1; /* the cache is addressed by it */
    d->want[SG_SRI_SHA1] = 1;   /* shasum, and the sha1 index */
    for (i = 0; i < e->nhashes; i++)
        d->want[e->hashes[i].alg] = 1;
}

int sg_integrity_sha512(sg_buf *out, sg_ctx *ctx, const unsigned char *bytes, size_t len)
{
    sg_digests d;
    int error;
    memset(&d, 0, sizeof(d));
    d.want[SG_SRI_SHA512] = 1;
    if ((error = sg_integrity__digests_begin(&d, ctx)) < 0)
        return error;
    if (sg_integrity__digests_update(&d, bytes, len) < 0) {
        sg_integrity__digests_dispose(&d);
        return sg_error_set(ctx, SG_ECRYPTO, "cannot compute a sha512 digest");
    }
    if ((error = sg_integrity__digests_end(&d, ctx)) < 0)
        return error;
    if (sri_of(out, &d, SG_SRI_SHA512) < 0)
        return sg_buf_check(out, ctx, "an integrity string");
    return 0;
}

/* Digest bytes with the algorithms d wants (d->out filled). */
int sg_integrity__digest_bytes(sg_digests *d, sg_ctx *ctx, const void *data, size_t len)
{
    int error;
    if ((error = sg_integrity__digests_begin(d, ctx)) < 0)
        return error;
    if (sg_integrity__digests_update(d, data, len) < 0) {
        sg_integrity__digests_dispose(d);
        return sg_error_set(ctx, SG_ECRYPTO, "cannot hash a tarball");
    }
    return sg_integrity__digests_end(d, ctx);
}
