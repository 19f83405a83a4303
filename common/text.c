/*
 * Untrusted text for display, URL credential redaction and purls: one copy of each.
 */
#include "common/common.h"

size_t sg_show_byte(char *out, unsigned char c, unsigned flags)
{
    static const char hex[] = "0123456789abcdef";

    if (flags & SG_SHOW_QMARK) {
        int ok = c >= ((flags & SG_SHOW_NO_SPACE) ? 0x21 : 0x20) && c < 0x7f;
        if (out)
            out[0] = ok ? (char)c : '?';
        return 1;
    }
    if (c >= 0x20 && c != 0x7f) {
        if (out)
            out[0] = (char)c;
        return 1;
    }
    if (out) {
        out[0] = '\\';
        out[1] = 'x';
        out[2] = hex[c >> 4];
        out[3] = hex[c & 15];
    }
    return 4;
}

int sg_buf_put_shown(sg_buf *out, const char *s, size_t len, size_t max, unsigned flags)
{
    size_t i, start = 0;
    char shown[4];

    /* runs of bytes shown as they are go in one piece */
    for (i = 0; i < len && i < max; i++) {
        size_t n = sg_show_byte(shown, (unsigned char)s[i], flags);
        if (n == 1 && shown[0] == s[i])
            continue;
        sg_buf_put(out, s + start, i - start);
        sg_buf_put(out, shown, n);
        start = i + 1;
    }
    sg_buf_put(out, s + start, i - start);
    if (len > max)
        sg_buf_puts(out, "...");
    return out->error;
}

int sg_url_userinfo(size_t *begin, size_t *end, const char *url, size_t len, const char *ends)
{
    size_t start = 0, i, at = 0;
    int found = 0;

    for (i = 0; i + 3 <= len; i++)
        if (memcmp(url + i, "://", 3) == 0) {
            start = i + 3;
            break;
        }
    for (i = start; i < len && url[i] && !strchr(ends, url[i]); i++)
        if (url[i] == '@') {
            at = i;
            found = 1;
        }
    if (!found)
        return 0;
    *begin = start;
    *end = at;
    return 1;
}

int sg_url_redact(sg_buf *out, const char *url, size_t len, const char *ends, const char *mark)
{
    size_t b, e;

    if (!sg_url_userinfo(&b, &e, url, len, ends))
        return sg_buf_put(out, url, len);
    sg_buf_put(out, url, b);
    if (mark)
        sg_buf_puts(out, mark);
    else
        e++; /* the '@' goes too */
    return sg_buf_put(out, url + e, len - e);
}

int sg_purl_npm(sg_buf *out, const char *name, const char *version)
{
    sg_buf_puts(out, "pkg:npm/");
    if (name[0] == '@') {
        sg_buf_puts(out, "%40");
        name++;
    }
    sg_buf_puts(out, name);
    if (version)
        sg_buf_printf(out, "@%s", version);
    return out->error;
}

size_t sg_utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && p[1] < 0xa0)
            return 0;
        if (c == 0xed && p[1] >= 0xa0)
            return 0;
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && p[1] < 0x90)
            return 0;
        if (c == 0xf4 && p[1] >= 0x90)
            return 0;
        return 4;
    }
    return 0;
}

int sg_utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t n = sg_utf8_seq(s + i, len - i);
        if (!n)
            return 0;
        i += n;
    }
    return 1;
}

int sg_buf_put_display(sg_buf *buf, const char *s)
{
    return s ? sg_buf_put_shown(buf, s, strlen(s), 1000, SG_SHOW_HEX) : 0;
}
