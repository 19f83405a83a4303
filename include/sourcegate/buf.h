/*
 * sourcegate: growable byte buffer (libgit2 git_str, curl dynbuf).
 *
 * Never NULL after init, always NUL-terminated, binary-safe. Each buffer has a size limit set at
 * init; growth past it or an allocation failure is recorded and sticky: every later append is a
 * no-op that returns the same error, so a sequence of appends can be checked once at the end.
 */
#ifndef SOURCEGATE_BUF_H
#define SOURCEGATE_BUF_H

#include <stddef.h>
#include <stdarg.h>
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sg_buf {
    char *ptr;    /**< the bytes, NUL-terminated; points at a static "" until first growth */
    size_t size;  /**< bytes used, without the NUL */
    size_t asize; /**< bytes allocated; 0 while ptr is the static "" */
    size_t limit; /**< maximum size; SIZE_MAX for none */
    int error;    /**< first error (SG_ENOMEM or SG_ELIMIT), sticky; 0 when fine */
} sg_buf;

/** Default limit of a buffer initialized with SG_BUF_INIT: 1 GiB. */
#define SG_BUF_DEFAULT_LIMIT ((size_t)1 << 30)

extern char sg_buf__empty[];
#define SG_BUF_INIT { sg_buf__empty, 0, 0, SG_BUF_DEFAULT_LIMIT, 0 }

/** Initialize with a size limit (0 means SG_BUF_DEFAULT_LIMIT). */
void sg_buf_init(sg_buf *buf, size_t limit);

/** Release the memory; the buffer is left empty and reusable. */
void sg_buf_dispose(sg_buf *buf);

/** Make room for at least `extra` more bytes. Returns 0, SG_ENOMEM or SG_ELIMIT. */
int sg_buf_grow_by(sg_buf *buf, size_t extra);

int sg_buf_put(sg_buf *buf, const void *data, size_t len);
int sg_buf_puts(sg_buf *buf, const char *s);
int sg_buf_putc(sg_buf *buf, char c);
int sg_buf_printf(sg_buf *buf, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int sg_buf_vprintf(sg_buf *buf, const char *fmt, va_list ap);

/** Truncate to len bytes (len <= size). */
void sg_buf_truncate(sg_buf *buf, size_t len);

/** Empty the buffer, keeping its memory; clears a sticky error. */
void sg_buf_clear(sg_buf *buf);

/**
 * Append untrusted text (a name from a lockfile, a message) as the text reports show it:
 * control bytes as \xHH (no line break or escape sequence can reach a terminal), UTF-8 kept,
 * at most 1,000 bytes of it, then "...". NULL appends nothing. Returns 0 or the buffer's error.
 */
int sg_buf_put_display(sg_buf *buf, const char *s);

/**
 * Take ownership of the bytes: returns a malloc'd NUL-terminated string (free with free())
 * and leaves the buffer empty. Returns NULL if the buffer is in error or allocation fails.
 */
char *sg_buf_detach(sg_buf *buf, size_t *len_out);

/** Record the buffer's sticky error in ctx, if any; returns it (0 when fine). */
int sg_buf_check(const sg_buf *buf, sg_ctx *ctx, const char *what);

#ifdef __cplusplus
}
#endif
#endif
