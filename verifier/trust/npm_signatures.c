/*
 * npm registry signatures (FORMATS.md §4.1-4.4): the registry's key set, and the check of
 * dist.signatures over "name@version:integrity", as `npm audit signatures` does it: exact
 * keyid lookup, key expiry compared with the publish time (time[version]), never with "now".
 */
#include "common/common.h"

#include <openssl/x509.h>

#include "attest/attest_int.h"
#include "verifier/trust/trust_int.h"

#define DEFAULT_PUBLISH_TIME "2015-01-01T00:00:00.000Z" /* pacote's default */

/* ---- time --------------------------------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    int64_t era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* n decimal digits at s into *v; 0 or -1. */
static int digits(const char *s, int n, int *v)
{
    int i;
    *v = 0;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

int sg_trust__parse_time(int64_t *out, const char *s)
{
    static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
    const char *p;

    *out = 0;
    if (!s || strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
        s[7] != '-' || digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return SG_EINVALID;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60)
        return SG_EINVALID;
    p = s + 19;
    if (*p == '.') {
        if (p[1] < '0' || p[1] > '9')
            return SG_EINVALID;
        for (p++; *p >= '0' && *p <= '9'; p++)
            ;
    }
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return SG_EINVALID;
        p += 6;
    } else {
        return SG_EINVALID;
    }
    if (*p)
        return SG_EINVALID;
    *out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec -
           sign * (oh * 3600 + om * 60);
    return 0;
}

void sg_trust__format_time(char out[32], int64_t t)
{
    int64_t days, z, era, yoe, doy, mp, y, rem;
    unsigned m, d;

    if (t < -62135596800LL || t > 253402300799LL) { /* years 0001-9999 */
        snprintf(out, 32, "?");
        return;
    }
    days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    rem = t - days * 86400;
    z = days + 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doy = z - era * 146097; /* day of era */
    yoe = (doy - doy / 1460 + doy / 36524 - doy / 146096) / 365;
    y = yoe + era * 400;
    doy = doy - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    y += m <= 2;
    snprintf(out, 32, "%04d-%02u-%02uT%02d:%02d:%02dZ", (int)y, m, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
}

/* ---- keys --------------------------------------------------------------------------------- */

void sg_npm_keys__dispose(sg_npm_keys *keys)
{
    size_t i;
    for (i = 0; i < keys->count; i++)
        sg_key_free(keys->keys[i].key);
    sg_free(keys->keys);
    keys->keys = NULL;
    keys->count = 0;
}

/* A P-256 key from base64 SPKI DER; 0 with *out NULL when it is another type. */
static int key_from_spki(sg_key **out, sg_ctx *ctx, const char *b64, const char *what)
{
    unsigned char *der = NULL;
    const unsigned char *p;
    size_t len = 0;
    EVP_PKEY *pkey = NULL;
    int error;

    *out = NULL;
    if ((error = sg_base64_decode(&der, &len, ctx, b64, strlen(b64), what)) < 0)
        return error;
    p = der;
    if (len > 4096 || !(pkey = d2i_PUBKEY(NULL, &p, (long)len)) || p != der + len) {
        EVP_PKEY_free(pkey);
        sg_free(der);
        return sg_attest__ossl_error(ctx, SG_EINVALID, what);
    }
    sg_free(der);
    error = sg_attest__key_wrap(out, ctx, pkey, 0, what);
    if (error == SG_EUNSUPPORTED || (error == 0 && sg_key_get_type(*out) != SG_KEY_P256)) {
        sg_key_free(*out);
        *out = NULL;
        sg_error_clear(ctx);
        return 0; /* npm only knows ecdsa-sha2-nistp256 */
    }
    return error;
}

/* One entry of either shape into k (k->key NULL when it is skipped). */
static int parse_key(sg_npm_key *k, sg_ctx *ctx, const cJSON *e, const char *what)
{
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(e, "publicKey");
    const char *keyid, *b64, *expires = NULL, *type;
    char msg[300];

    memset(k, 0, sizeof(*k));
    k->expires = SG_TRUST_NO_TIME;
    if (pk) { /* TUF keys.json */
        const char *usage = sg_json_str(e, "keyUsage");
        keyid = sg_json_str(e, "keyId");
        b64 = sg_json_str(pk, "rawBytes");
        type = sg_json_str(pk, "keyDetails");
        expires = sg_json_str(cJSON_GetObjectItemCaseSensitive(pk, "validFor"), "end");
        if ((usage && strcmp(usage, "npm:signatures") != 0) ||
            (type && strcmp(type, "PKIX_ECDSA_P256_SHA_256") != 0))
            return 0;
    } else {
        keyid = sg_json_str(e, "keyid");
        b64 = sg_json_str(e, "key");
        type = sg_json_str(e, "keytype");
        expires = sg_json_str(e, "expires");
        if (type && strcmp(type, "ecdsa-sha2-nistp256") != 0)
            return 0;
    }
    if (!keyid || !*keyid || strlen(keyid) >= sizeof(k->keyid) || !b64)
        return sg_error_set(ctx, SG_EINVALID, "%s has a key without a usable keyid or key", what);
    snprintf(k->keyid, sizeof(k->keyid), "%s", keyid);
    if (expires && sg_trust__parse_time(&k->expires, expires) < 0)
        return sg_error_set(ctx, SG_EINVALID, "%s: key '%s' has a bad expiry '%.64s'", what, keyid,
                            expires);
    snprintf(msg, sizeof(msg), "key '%s' of %s", keyid, what);
    return key_from_spki(&k->key, ctx, b64, msg);
}

int sg_npm_keys__from_json(sg_npm_keys *out, sg_ctx *ctx, const cJSON *doc, const char *what)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "keys"), *e;
    int error = 0, n;

    out->keys = NULL;
    out->count = 0;
    if (!cJSON_IsArray(arr))
        return sg_error_set(ctx, SG_EINVALID, "%s has no \"keys\" array", what);
    n = cJSON_GetArraySize(arr);
    if (n > SG_TRUST_MAX_KEYS)
        return sg_error_set(ctx, SG_ELIMIT, "%s has %d keys, more than the %d accepted", what, n,
                            SG_TRUST_MAX_KEYS);
    if (n && !(out->keys = sg_calloc((size_t)n, sizeof(sg_npm_key))))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory for %s", what);
    cJSON_ArrayForEach(e, arr)
    {
        sg_npm_key *k = &out->keys[out->count];
        if ((error = parse_key(k, ctx, e, what)) < 0)
            break;
        if (k->key)
            out->count++;
    }
    if (error < 0)
        sg_npm_keys__dispose(out);
    return error;
}

int sg_npm_keys__parse(sg_npm_keys *out, sg_ctx *ctx, const char *json, size_t len,
                       const char *what)
{
    cJSON *doc = NULL;
    int error;

    out->keys = NULL;
    out->count = 0;
    if ((error = sg_json_parse(&doc, ctx, json, len, what)) == 0)
        error = sg_npm_keys__from_json(out, ctx, doc, what);
    cJSON_Delete(doc);
    return error;
}

/* ---- signatures --------------------------------------------------------------------------- */

static const sg_npm_key *find_key(const sg_npm_keys *keys, const char *keyid)
{
    size_t i;
    for (i = 0; keyid && i < keys->count; i++)
        if (strcmp(keys->keys[i].keyid, keyid) == 0)
            return &keys->keys[i];
    return NULL;
}

/* "name@version:integrity" into msg; the integrity from dist, else sha1- of the shasum. */
static int signed_message(sg_buf *msg, sg_ctx *ctx, const char *name, const char *version,
                          const cJSON *dist)
{
    const char *integrity = sg_json_str(dist, "integrity"), *shasum = sg_json_str(dist, "shasum");
    unsigned char raw[20];
    sg_buf_printf(msg, "%s@%s:", name, version);
    if (integrity) {
        sg_buf_puts(msg, integrity);
    } else if (shasum && strlen(shasum) == 40 && sg_hex_decode(raw, sizeof(raw), shasum) == 0) {
        sg_buf_puts(msg, "sha1-");
        sg_base64_encode(msg, raw, sizeof(raw));
    } else {
        return SG_EINVALID;
    }
    return sg_buf_check(msg, ctx, "the signed message");
}

static void set_result(sg_sig_result *out, sg_sig_status st, const char *keyid, const char *fmt,
                       ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void set_result(sg_sig_result *out, sg_sig_status st, const char *keyid, const char *fmt,
                       ...)
{
    va_list ap;
    out->status = st;
    snprintf(out->keyid, sizeof(out->keyid), "%s", keyid ? keyid : "");
    va_start(ap, fmt);
    vsnprintf(out->detail, sizeof(out->detail), fmt, ap);
    va_end(ap);
}

/* One signature entry: 0 verified, 1 a failure recorded in out, <0 an error. */
static int check_one(sg_sig_result *out, sg_ctx *ctx, const sg_npm_keys *keys, const cJSON *s,
                     const sg_buf *msg, int64_t published, int published_ok)
{
    const char *keyid = sg_json_str(s, "keyid"), *sig = sg_json_str(s, "sig");
    const sg_npm_key *k = find_key(keys, keyid);
    unsigned char *der = NULL;
    size_t der_len = 0;
    char when[32], exp[32];
    int ok;

    if (!keyid || !sig) {
        set_result(out, SG_SIG_INVALID, NULL, "a signature lacks its keyid or sig");
        return 1;
    }
    if (!k) {
        set_result(out, SG_SIG_INVALID, keyid,
                   "signed by key '%.100s', which is not in the registry's key set", keyid);
        return 1;
    }
    if (k->expires != SG_TRUST_NO_TIME && (!published_ok || published >= k->expires)) {
        sg_trust__format_time(exp, k->expires);
        sg_trust__format_time(when, published);
        set_result(out, SG_SIG_INVALID, keyid,
                   "signed by key '%s', which had expired (at %s) when the release was "
                   "published (%s)",
                   keyid, exp, published_ok ? when : "unknown time");
        return 1;
    }
    if (sg_base64_decode(&der, &der_len, ctx, sig, strlen(sig), "a registry signature") < 0) {
        int code = sg_error_code_of(ctx);
        sg_error_clear(ctx);
        if (code == SG_ENOMEM)
            return sg_error_set(ctx, SG_ENOMEM, "out of memory");
        set_result(out, SG_SIG_INVALID, keyid, "the signature by key '%s' is not base64", keyid);
        return 1;
    }
    ok = sg_attest__verify_sig(k->key, (const unsigned char *)msg->ptr, msg->size, der, der_len);
    sg_free(der);
    if (!ok) {
        set_result(out, SG_SIG_INVALID, keyid,
                   "the signature by key '%s' does not verify over '%s'", keyid, msg->ptr);
        return 1;
    }
    return 0;
}

int sg_npm_signatures__check(sg_sig_result *out, sg_ctx *ctx, const sg_npm_keys *keys,
                             const char *name, const char *version, const cJSON *manifest,
                             const cJSON *time_map)
{
    const cJSON *dist = cJSON_GetObjectItemCaseSensitive(manifest, "dist");
    const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(dist, "signatures"), *s;
    const char *when = sg_json_str(time_map, version);
    sg_buf msg = SG_BUF_INIT;
    int64_t published = 0;
    int published_ok, error = 0, rc;

    memset(out, 0, sizeof(*out));
    if (!keys || keys->count == 0) {
        set_result(out, SG_SIG_NO_KEYS, NULL, "the registry publishes no signing keys");
        return 0;
    }
    if (!cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) == 0) {
        set_result(out, SG_SIG_MISSING, NULL,
                   "the registry publishes signing keys but %s@%s carries no signature", name,
                   version);
        return 0;
    }
    out->signatures = (size_t)cJSON_GetArraySize(sigs);
    if (out->signatures > SG_TRUST_MAX_SIGNATURES) {
        set_result(out, SG_SIG_INVALID, NULL, "%zu signatures, more than the %d checked",
                   out->signatures, SG_TRUST_MAX_SIGNATURES);
        return 0;
    }
    if ((rc = signed_message(&msg, ctx, name, version, dist)) < 0) {
        if (rc == SG_EINVALID) {
            set_result(out, SG_SIG_INVALID, NULL,
                       "the release has no integrity to check its "
                       "signature against");
            rc = 0;
        }
        error = rc;
        goto done;
    }
    published_ok = sg_trust__parse_time(&published, when ? when : DEFAULT_PUBLISH_TIME) == 0;
    cJSON_ArrayForEach(s, sigs)
    {
        if ((rc = check_one(out, ctx, keys, s, &msg, published, published_ok)) != 0) {
            error = rc < 0 ? rc : 0;
            goto done;
        }
        if (!out->keyid[0])
            snprintf(out->keyid, sizeof(out->keyid), "%s", sg_json_str(s, "keyid"));
    }
    out->status = SG_SIG_VERIFIED;
done:
    sg_buf_dispose(&msg);
    return error;
}
