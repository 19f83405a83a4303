#include "common/common.h"

const char *sg_path_status_phrase(sg_path_status st)
{
    switch (st) {
    case SG_PATH_OK: return "is fine";
    case SG_PATH_EMPTY: return "is empty";
    case SG_PATH_ABSOLUTE: return "is absolute";
    case SG_PATH_PARENT: return "has a '..' segment";
    case SG_PATH_NUL: return "contains a NUL byte";
    case SG_PATH_BACKSLASH: return "contains a backslash";
    case SG_PATH_TOO_LONG: return "is longer than the path-length limit";
    case SG_PATH_TOO_DEEP: return "is deeper than the path-depth limit";
    }
    return "is invalid";
}

sg_path_status sg_path_normalize(sg_buf *out, const char *in, size_t len, int strip_first,
                                 char *top, size_t top_size, int *dotted, size_t max_len,
                                 size_t max_depth)
{
    size_t i = 0, depth = 0;
    int first = strip_first;

    sg_buf_clear(out);
    if (dotted)
        *dotted = 0;
    if (top && top_size)
        top[0] = '\0';
    if (memchr(in, '\0', len))
        return SG_PATH_NUL;
    if (memchr(in, '\\', len))
        return SG_PATH_BACKSLASH;
    if (len > 0 && in[0] == '/')
        return SG_PATH_ABSOLUTE;

    while (i < len) {
        size_t start = i, seg;
        while (i < len && in[i] != '/')
            i++;
        seg = i - start;
        if (i < len)
            i++; /* skip the slash */
        if (seg == 0 || (seg == 1 && in[start] == '.')) {
            /* "a//b", "./a" and a trailing "/" carry no component; a trailing slash is not
             * a rewrite worth naming (directory entries end with one). */
            if (dotted && !(seg == 0 && i >= len))
                *dotted = 1;
            continue;
        }
        if (seg == 2 && in[start] == '.' && in[start + 1] == '.')
            return SG_PATH_PARENT;
        if (first) {
            first = 0;
            if (top && top_size) {
                size_t n = seg < top_size - 1 ? seg : top_size - 1;
                memcpy(top, in + start, n);
                top[n] = '\0';
            }
            continue;
        }
        if (++depth > max_depth)
            return SG_PATH_TOO_DEEP;
        if (out->size)
            sg_buf_putc(out, '/');
        sg_buf_put(out, in + start, seg);
        if (out->size > max_len)
            return SG_PATH_TOO_LONG;
    }
    if (out->size == 0)
        return SG_PATH_EMPTY;
    return SG_PATH_OK;
}

const char *sg_path_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

void sg_path_extname_lower(char *out, size_t out_size, const char *path)
{
    const char *base = sg_path_basename(path);
    const char *dot = strrchr(base, '.');
    size_t i, n;

    if (!out_size)
        return;
    out[0] = '\0';
    if (!dot || dot == base)
        return; /* node: ".hidden" has no extension */
    n = strlen(dot);
    if (n >= out_size)
        n = out_size - 1;
    for (i = 0; i < n; i++) {
        char c = dot[i];
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    out[n] = '\0';
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int sg_strcasecmp(const char *a, const char *b)
{
    while (*a && lower((unsigned char)*a) == lower((unsigned char)*b)) {
        a++;
        b++;
    }
    return lower((unsigned char)*a) - lower((unsigned char)*b);
}

int sg_strncasecmp(const char *a, const char *b, size_t n)
{
    while (n && *a && lower((unsigned char)*a) == lower((unsigned char)*b)) {
        a++;
        b++;
        n--;
    }
    return n ? lower((unsigned char)*a) - lower((unsigned char)*b) : 0;
}

int sg_path_under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    while (n && prefix[n - 1] == '/')
        n--;
    if (n == 0)
        return 1;
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}
