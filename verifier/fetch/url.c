/*
 * URL helpers (url_int.h) for everything that talks HTTP: splitting an http(s) URL with
 * libcurl's own parser (CURLU), so the host we decide things about (which token to send,
 * which cache folder) is the host curl connects to, and showing a URL in a message without
 * its credentials.
 *
 * They live in verifier/fetch/ rather than common/ because common/ depends on nothing, and
 * the split needs libcurl.
 */
#include "common/common.h"

#include <curl/curl.h>

#include "verifier/fetch/url_int.h"

/* 1 when url holds only printable ASCII without blanks or backslashes: parsers disagree on
 * the rest (a backslash is a path separator to WHATWG, not to curl), and a token must go only
 * where curl will really connect. */
static int url_chars_ok(const char *url)
{
    const unsigned char *p;
    for (p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '\\')
            return 0;
    return 1;
}

/* Copy a curl URL part into dst (size n); 0 or -1 when absent or too long. */
static int url_part(CURLU *h, CURLUPart what, unsigned flags, char *dst, size_t n)
{
    char *v = NULL;
    size_t len;
    if (curl_url_get(h, what, &v, flags) != CURLUE_OK || !v)
        return -1;
    len = strlen(v);
    if (len >= n) {
        curl_free(v);
        return -1;
    }
    memcpy(dst, v, len + 1);
    curl_free(v);
    return 0;
}

int sg_url__split(sg_url_parts *out, const char *url)
{
    CURLU *h = NULL;
    char *c;
    int error = SG_EINVALID;

    memset(out, 0, sizeof(*out));
    if (!url || strlen(url) > 8192 || !url_chars_ok(url))
        return SG_EINVALID;
    if (!(h = curl_url()))
        return SG_ENOMEM;
    /* The same parser curl uses for the request, so the host we match tokens against is the
     * host curl connects to. Only curl's supported schemes parse; we keep http(s). */
    if (curl_url_set(h, CURLUPART_URL, url, 0) != CURLUE_OK)
        goto done;
    if (url_part(h, CURLUPART_SCHEME, 0, out->scheme, sizeof(out->scheme)) < 0 ||
        (strcmp(out->scheme, "http") != 0 && strcmp(out->scheme, "https") != 0))
        goto done;
    if (url_part(h, CURLUPART_HOST, 0, out->host, sizeof(out->host)) < 0 || !out->host[0])
        goto done;
    for (c = out->host; *c; c++)
        if (*c >= 'A' && *c <= 'Z')
            *c = (char)(*c - 'A' + 'a');
    if (url_part(h, CURLUPART_PORT, CURLU_NO_DEFAULT_PORT, out->port, sizeof(out->port)) < 0)
        out->port[0] = '\0';
    if (url_part(h, CURLUPART_PATH, 0, out->path, sizeof(out->path)) < 0)
        goto done;
    if (!out->path[0]) {
        out->path[0] = '/';
        out->path[1] = '\0';
    }
    error = 0;
done:
    curl_url_cleanup(h);
    return error;
}

int sg_url__host_path(char *out, size_t out_size, const sg_url_parts *u)
{
    int n = snprintf(out, out_size, "%s%s%s%s", u->host, u->port[0] ? ":" : "", u->port, u->path);
    return n < 0 || (size_t)n >= out_size ? -1 : n;
}

void sg_url__redact(char *out, size_t out_size, const char *url)
{
    sg_buf b = SG_BUF_INIT;
    const char *p = url ? url : "", *scheme_end = strstr(p, "://");
    /* everything up to the query or fragment, which follow the authority */
    size_t from = scheme_end ? (size_t)(scheme_end + 3 - p) : 0;
    size_t len = from + strcspn(p + from, "?#");

    sg_buf_init(&b, 16384);
    sg_url_redact(&b, p, len, "/?#", NULL); /* credentials end at the authority's last '@' */
    if (p[len] == '?')
        sg_buf_puts(&b, "?...");
    if (b.error) /* a hostile URL: say so rather than show part of it */
        snprintf(out, out_size, "%s", "(a very long URL)");
    else if (b.size >= out_size && out_size > 4) /* keep what fits, marked */
        snprintf(out, out_size, "%.*s...", (int)(out_size - 4), b.ptr);
    else
        snprintf(out, out_size, "%s", b.ptr);
    sg_buf_dispose(&b);
}

int sg_url__escape_name(sg_buf *out, const char *s, const char *keep)
{
    size_t i;

    for (i = 0; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[4] = "%"; /* '%', two hex digits, sg_hex()'s NUL */
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || (c == '.' && i > 0) || (keep && strchr(keep, c))) {
            sg_buf_putc(out, (char)c);
            continue;
        }
        sg_hex(esc + 1, &c, 1);
        sg_buf_put(out, esc, 3);
    }
    return out->error;
}

void sg_registry_url_redact(char *out, size_t out_size, const char *url)
{
    sg_url__redact(out, out_size, url);
}
