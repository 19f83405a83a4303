/*
 * URL helpers (url.c) shared by the HTTP client, the registry client, the npm configuration
 * and the trust documents. In verifier/fetch/ and not common/: the split uses libcurl, and
 * common/ depends on nothing.
 */
#ifndef SG_URL_INT_H
#define SG_URL_INT_H

#include <stddef.h>

#include "sourcegate/buf.h"

/** An http(s) URL split into the parts npm's rules look at. */
typedef struct sg_url_parts {
    char scheme[8];  /**< "http" or "https" */
    char host[256];  /**< lowercased; IPv6 literals keep their brackets */
    char port[8];    /**< explicit non-default port, "" otherwise (WHATWG URL.host rules) */
    char path[2048]; /**< path from the first '/', without query or fragment; "/" if empty */
} sg_url_parts;

/**
 * Split an http or https URL with libcurl's URL parser (the one that decides where a request
 * really goes; credentials are skipped, never copied). Returns 0, or SG_EINVALID when the URL
 * is not http(s), has no host, holds bytes parsers disagree on (blanks, controls, non-ASCII,
 * backslashes) or a part does not fit.
 */
int sg_url__split(sg_url_parts *out, const char *url);

/**
 * "host[:port]path" of split parts into out (npm's URL.host + URL.pathname: the key of the
 * nerf-dart token rules and of cache folders). Its length, or -1 when it does not fit.
 */
int sg_url__host_path(char *out, size_t out_size, const sg_url_parts *u);

/**
 * The URL without credentials and query, for messages: "https://u:p@h/x?t=1" ->
 * "https://h/x?...". Any scheme; the text is otherwise shown as written (not normalized),
 * so a message names what the user wrote. Always NUL-terminates out (truncating long URLs).
 */
void sg_url__redact(char *out, size_t out_size, const char *url);

/**
 * Append s to out as one cache file name: ASCII letters, digits, '-', '_', a '.' other than
 * the first byte and the bytes of `keep` as they are, every other byte as "%xx" (lowercase
 * hex), so no name is "." or "..", holds a '/' or starts a hidden file. keep may be NULL.
 * Returns 0 or out's error.
 */
int sg_url__escape_name(sg_buf *out, const char *s, const char *keep);

#endif
