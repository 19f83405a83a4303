#include "common/common.h"

#include <stdarg.h>
#include <stdio.h>

char sg_buf__empty[1];

void sg_buf_init(sg_buf *buf, size_t limit)
{
    buf->ptr = sg_buf__empty;
    buf->size = 0;
    buf->asize = 0;
    buf->limit = limit ? limit : SG_BUF_DEFAULT_LIMIT;
    buf->error = 0;
}

void sg_buf_dispose(sg_buf *buf)
{
    if (buf->asize)
        sg_free(buf->ptr);
    buf->ptr = sg_buf__empty;
    buf->size = 0;
    buf->asize = 0;
    buf->error = 0;
}

int sg_buf_grow_by(sg_buf *buf, size_t extra)
{
    size_t need, cap;
    char *p;

    if (buf->error)
        return buf->error;
    if (sg_add_overflow(&need, buf->size, extra) || need > buf->limit) {
        buf->error = SG_ELIMIT;
        return buf->error;
    }
    if (sg_add_overflow(&need, need, 1)) {
        buf->error = SG_ELIMIT;
        return buf->error;
    }
    if (need <= buf->asize)
        return 0;
    cap = buf->asize ? buf->asize : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }
    p = sg_realloc(buf->asize ? buf->ptr : NULL, cap);
    if (!p) {
        buf->error = SG_ENOMEM;
        return buf->error;
    }
    if (!buf->asize)
        p[0] = '\0';
    buf->ptr = p;
    buf->asize = cap;
    return 0;
}

int sg_buf_put(sg_buf *buf, const void *data, size_t len)
{
    int error;
    if ((error = sg_buf_grow_by(buf, len)) < 0)
        return error;
    if (len)
        memmove(buf->ptr + buf->size, data, len);
    buf->size += len;
    buf->ptr[buf->size] = '\0';
    return 0;
}

int sg_buf_puts(sg_buf *buf, const char *s)
{
    return sg_buf_put(buf, s, strlen(s));
}

int sg_buf_putc(sg_buf *buf, char c)
{
    return sg_buf_put(buf, &c, 1);
}

int sg_buf_vprintf(sg_buf *buf, const char *fmt, va_list ap)
{
    va_list ap2;
    int n, error;

    if (buf->error)
        return buf->error;
    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        buf->error = SG_EINVALID;
        return buf->error;
    }
    if ((error = sg_buf_grow_by(buf, (size_t)n)) < 0)
        return error;
    vsnprintf(buf->ptr + buf->size, (size_t)n + 1, fmt, ap);
    buf->size += (size_t)n;
    return 0;
}

int sg_buf_printf(sg_buf *buf, const char *fmt, ...)
{
    va_list ap;
    int error;
    va_start(ap, fmt);
    error = sg_buf_vprintf(buf, fmt, ap);
    va_end(ap);
    return error;
}

void sg_buf_truncate(sg_buf *buf, size_t len)
{
    if (len < buf->size) {
        buf->size = len;
        buf->ptr[len] = '\0';
    }
}

void sg_buf_clear(sg_buf *buf)
{
    buf->size = 0;
    if (buf->asize)
        buf->ptr[0] = '\0';
    buf->error = 0;
}

char *sg_buf_detach(sg_buf *buf, size_t *len_out)
{
    char *p;
    if (buf->error)
        return NULL;
    if (!buf->asize) {
        p = sg_strdup("");
        if (p && len_out)
            *len_out = 0;
        return p;
    }
    p = buf->ptr;
    if (len_out)
        *len_out = buf->size;
    buf->ptr = sg_buf__empty;
    buf->size = 0;
    buf->asize = 0;
    return p;
}

int sg_buf_check(const sg_buf *buf, sg_ctx *ctx, const char *what)
{
    if (!buf->error)
        return 0;
    if (buf->error == SG_ENOMEM)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory while building %s", what);
    return sg_error_set(ctx, buf->error, "%s is larger than its limit of %zu bytes", what,
                        buf->limit);
}
