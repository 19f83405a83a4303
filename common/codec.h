/*
 * Byte encodings: lowercase hex and base64 (RFC 4648), one implementation each.
 */
#ifndef SG_CODEC_H
#define SG_CODEC_H

#include <stddef.h>
#include "sourcegate/buf.h"
#include "sourcegate/errors.h"

/** Lowercase hex of len bytes into out (2*len+1 bytes). */
void sg_hex(char *out, const unsigned char *bytes, size_t len);

/** The value of hex digit c ('0'-'9', 'a'-'f', 'A'-'F'), or -1. Not locale-dependent. */
int sg_hex_digit(int c);

/**
 * Decode exactly 2*out_len hex digits of either case from hex (which need not be
 * NUL-terminated) into out. Returns 0, or SG_EINVALID at the first non-digit (out is then
 * partly written). The caller checks the text's length.
 */
int sg_hex_decode(unsigned char *out, size_t out_len, const char *hex);

/** Standard padded base64 of len bytes appended to buf (OpenSSL's EVP_EncodeBlock). */
int sg_base64_encode(sg_buf *buf, const unsigned char *bytes, size_t len);

/**
 * Decode base64 text s[0..len) strictly: the standard (+/) or URL-safe (-_) alphabet, one per
 * string, with correct '=' padding or none; no whitespace; unused trailing bits must be zero.
 * *out is sg_malloc'd (free with sg_free; never NULL on success, even for empty input).
 * Returns 0 or SG_EINVALID (message names `what`) or SG_ENOMEM.
 */
int sg_base64_decode(unsigned char **out, size_t *out_len, sg_ctx *ctx, const char *s, size_t len,
                     const char *what);

/**
 * sg_base64_decode_ex() flag: decode as npm's ssri does (Node's Buffer.from(s, 'base64')) the
 * digests of SRI strings: the standard alphabet only, the text ending at its first '=' (what
 * follows is ignored), any length (a lone last character adds no byte) and unused trailing
 * bits ignored. A byte outside the alphabet before the first '=' is still SG_EINVALID.
 */
#define SG_BASE64_LENIENT 1u

/** sg_base64_decode() with flags (0 or SG_BASE64_LENIENT); 0 is sg_base64_decode(). */
int sg_base64_decode_ex(unsigned char **out, size_t *out_len, sg_ctx *ctx, const char *s,
                        size_t len, const char *what, unsigned flags);

#endif
