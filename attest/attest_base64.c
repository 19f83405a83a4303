/*
 * Strict base64 decoding for DSSE: standard or URL-safe alphabet, padding optional.
 */
#include "common/common.h"

#include "attest/attest_int.h"

/* Value of c in the alphabet (url: "-_" for 62 and 63, else "+/"), or -1. */
static int b64_value(unsigned char c, int url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

int sg_attest__base64_decode(unsigned char **out, size_t *out_len, sg_ctx *ctx, const char *s,
                             size_t len, const char *what)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char *buf = NULL;
    size_t pad = 0, n, i, o = 0, rem, cap;
    int url = 0, error = 0;
    uint32_t acc = 0;
    unsigned bits = 0;

    *out = NULL;
    *out_len = 0;
    /* The alphabet: URL-safe when a '-' or '_' appears; mixing is an error below. */
    for (i = 0; i < len; i++)
        if (p[i] == '-' || p[i] == '_')
            url = 1;
    while (pad < 2 && len - pad > 0 && p[len - pad - 1] == '=')
        pad++;
    n = len - pad;
    rem = n % 4;
    if (rem == 1 || (pad && (len % 4 != 0))) {
        error = sg_error_set(ctx, SG_EINVALID, "%s is not valid base64: bad length or padding",
                             what);
        goto done;
    }
    cap = n / 4 * 3 + 3;
    if (!(buf = sg_malloc(cap))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory decoding %s", what);
        goto done;
    }
    for (i = 0; i < n; i++) {
        int v = b64_value(p[i], url);
        if (v < 0) {
            error = sg_error_set(ctx, SG_EINVALID,
                                 "%s is not valid base64: unexpected character at offset %zu",
                                 what, i);
            goto done;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[o++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) { /* leftover bits of the last character must be zero (canonical form) */
        error = sg_error_set(ctx, SG_EINVALID, "%s is not valid base64: non-zero padding bits",
                             what);
        goto done;
    }
    *out = buf;
    *out_len = o;
    buf = NULL;
done:
    sg_free(buf);
    return error;
}
