/*
 * Lowercase hex and base64: encoding through OpenSSL, strict decoding by hand (OpenSSL's
 * decoder accepts whitespace and cannot tell the padding it needs).
 */
#include "common/common.h"

#include <limits.h>
#include <openssl/evp.h>

void sg_hex(char *out, const unsigned char *bytes, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * len] = '\0';
}

int sg_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int sg_hex_decode(unsigned char *out, size_t out_len, const char *hex)
{
    size_t i;
    for (i = 0; i < out_len; i++) {
        int hi = sg_hex_digit((unsigned char)hex[2 * i]);
        int lo = hi < 0 ? -1 : sg_hex_digit((unsigned char)hex[2 * i + 1]);
        if (lo < 0)
            return SG_EINVALID;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return 0;
}

int sg_base64_encode(sg_buf *buf, const unsigned char *bytes, size_t len)
{
    /* EVP_EncodeBlock takes an int length: whole groups of 3 bytes at a time concatenate */
    enum { CHUNK = 3 * 1024 };
    unsigned char text[CHUNK / 3 * 4 + 1];
    int error = 0;

    while (len > 0 && !error) {
        size_t n = len < CHUNK ? len : CHUNK;
        int w = EVP_EncodeBlock(text, bytes, (int)n);
        error = sg_buf_put(buf, text, (size_t)w);
        bytes += n;
        len -= n;
    }
    return error;
}

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

/* The strict rules on the text's shape: the alphabet (*url), the padding and the length. *n
 * is the number of characters before the padding. */
static int strict_extent(size_t *n, int *url, sg_ctx *ctx, const unsigned char *p, size_t len,
                         const char *what)
{
    size_t pad = 0, i;

    /* The alphabet: URL-safe when a '-' or '_' appears; mixing is an error later. */
    for (i = 0; i < len; i++)
        if (p[i] == '-' || p[i] == '_')
            *url = 1;
    while (pad < 2 && len - pad > 0 && p[len - pad - 1] == '=')
        pad++;
    *n = len - pad;
    if (*n % 4 == 1 || (pad && (len % 4 != 0)))
        return sg_error_set(ctx, SG_EINVALID, "%s is not valid base64: bad length or padding",
                            what);
    return 0;
}

int sg_base64_decode_ex(unsigned char **out, size_t *out_len, sg_ctx *ctx, const char *s,
                        size_t len, const char *what, unsigned flags)
{
    const unsigned char *p = (const unsigned char *)s;
    const int lenient = (flags & SG_BASE64_LENIENT) != 0;
    unsigned char *buf = NULL;
    size_t n = 0, i, o = 0, cap;
    int url = 0, error = 0;
    uint32_t acc = 0;
    unsigned bits = 0;

    *out = NULL;
    *out_len = 0;
    if (lenient) { /* the text ends at its first '=' */
        while (n < len && p[n] != '=')
            n++;
    } else if ((error = strict_extent(&n, &url, ctx, p, len, what)) < 0) {
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
            error =
                sg_error_set(ctx, SG_EINVALID,
                             "%s is not valid base64: unexpected character at offset %zu", what, i);
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
    /* strict: leftover bits of the last character must be zero (canonical form) */
    if (acc != 0 && !lenient) {
        error =
            sg_error_set(ctx, SG_EINVALID, "%s is not valid base64: non-zero padding bits", what);
        goto done;
    }
    *out = buf;
    *out_len = o;
    buf = NULL;
done:
    sg_free(buf);
    return error;
}

int sg_base64_decode(unsigned char **out, size_t *out_len, sg_ctx *ctx, const char *s, size_t len,
                     const char *what)
{
    return sg_base64_decode_ex(out, out_len, ctx, s, len, what, 0);
}
