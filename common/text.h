/*
 * Strings for people: untrusted text made safe to show, URLs without their credentials, and
 * npm package URLs (purls).
 */
#ifndef SG_TEXT_H
#define SG_TEXT_H

#include <stddef.h>
#include "sourcegate/buf.h"

/*
 * How a byte of untrusted text that must not reach a terminal is shown. Two conventions:
 * the text report keeps UTF-8 and spells control bytes out, messages and logs keep printable
 * ASCII only.
 */
#define SG_SHOW_HEX 0u      /**< control bytes (< 0x20 and 0x7f) as \xHH, other bytes kept */
#define SG_SHOW_QMARK 1u    /**< every byte outside printable ASCII (0x20-0x7e) as '?' */
#define SG_SHOW_NO_SPACE 2u /**< with SG_SHOW_QMARK: a space as '?' too (URLs have none) */

/**
 * Write how byte c is shown under flags to out (room for 4 bytes; NULL to only measure).
 * Returns the number of bytes: 1, or 4 for "\xHH".
 */
size_t sg_show_byte(char *out, unsigned char c, unsigned flags);

/**
 * Append s[0..len) for display: at most `max` of its bytes, each as sg_show_byte() shows it,
 * then "..." when s was longer. Returns 0 or the buffer's error.
 */
int sg_buf_put_shown(sg_buf *out, const char *s, size_t len, size_t max, unsigned flags);

/**
 * Find the userinfo ("user:password") of url[0..len): the authority starts after the first
 * "://" (at the start when there is none, for "user@host:path" forms) and ends at the first
 * byte of `ends` (RFC 3986 says "/?#"; a caller whose parser cuts elsewhere passes its own
 * set); the userinfo is what precedes its last '@'. Returns 1 and sets [*begin, *end) to it
 * (*end indexes the '@'; the span may be empty), or 0 when the URL has none. No libcurl:
 * common/ must not need it.
 */
int sg_url_userinfo(size_t *begin, size_t *end, const char *url, size_t len, const char *ends);

/**
 * Append url with its userinfo (as sg_url_userinfo() finds it) replaced by `mark`, keeping
 * the '@' ("user:pw@host" shows as "***@host"); with mark NULL the userinfo and its '@' are
 * dropped ("host"). Returns 0 or the buffer's error.
 */
int sg_url_redact(sg_buf *out, const char *url, size_t len, const char *ends, const char *mark);

/**
 * Append npm's purl of a package: "pkg:npm/" + name with a leading '@' as "%40" (npm's
 * toPurl), then "@" + version unless version is NULL. Returns 0 or the buffer's error.
 */
int sg_purl_npm(sg_buf *out, const char *name, const char *version);

/**
 * Length of the UTF-8 sequence at p (at most n bytes), 0 when it is invalid: overlong, a
 * surrogate, beyond U+10FFFF or truncated (RFC 3629, as WHATWG decoders judge).
 */
size_t sg_utf8_seq(const unsigned char *p, size_t n);

/** 1 when s[0..len) is valid UTF-8 (sg_utf8_seq at every position). */
int sg_utf8_valid(const unsigned char *s, size_t len);

#endif
