#include "common/common.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

/* "private key " or "" before a quoted path in messages. */
#define WHAT(o) ((o)->what ? (o)->what : ""), ((o)->what ? " " : "")

/* Give out exactly n bytes of room (and its NUL) in one allocation: the file's size. */
static int reserve_exact(sg_buf *out, size_t n)
{
    size_t bytes;
    char *p;

    if (n == 0)
        return 0;
    if (sg_add_overflow(&bytes, n, 1) || (p = sg_malloc(bytes)) == NULL)
        return SG_ENOMEM;
    p[0] = '\0';
    out->ptr = p;
    out->asize = bytes;
    return 0;
}

/* Read fd to its end into out; more bytes than out's limit fail as the buffer's error. */
static int read_all(sg_buf *out, sg_ctx *ctx, int fd, const char *path, const sg_file_read_opts *o)
{
    char extra[4096];
    int error = 0;

    for (;;) {
        int full = out->size + 1 >= out->asize;
        char *at = full ? extra : out->ptr + out->size;
        size_t room = full ? sizeof(extra) : out->asize - out->size - 1;
        ssize_t n = read(fd, at, room);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            error = sg_error_set(ctx, SG_EIO, "cannot read %s%s'%s': %s", WHAT(o), path,
                                 strerror(errno));
            break;
        }
        if (n == 0)
            break;
        if (!full) {
            out->size += (size_t)n;
            out->ptr[out->size] = '\0';
        } else if (sg_buf_put(out, extra, (size_t)n) < 0) {
            error = sg_buf_check(out, ctx, o->what ? o->what : "a file");
            break;
        }
    }
    /* the bytes may be secret (a private key) */
    OPENSSL_cleanse(extra, sizeof(extra));
    return error;
}

int sg_file_read_ex(sg_buf *out, sg_ctx *ctx, const char *path, size_t limit,
                    const sg_file_read_opts *opts)
{
    sg_file_read_opts none = SG_FILE_READ_OPTS_INIT;
    const sg_file_read_opts *o = opts ? opts : &none;
    struct stat st;
    int fd, error = 0;

    sg_buf_dispose(out);
    sg_buf_init(out, limit);
    /* O_NONBLOCK: opening a FIFO with no writer would wait forever before it is refused */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return sg_error_set(ctx, errno == ENOENT ? SG_ENOTFOUND : SG_EIO,
                            "cannot open %s%s'%s': %s", WHAT(o), path, strerror(errno));
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        error = sg_error_set(ctx, SG_EINVALID, "%s%s'%s' is not a regular file", WHAT(o), path);
        goto done;
    }
    if (o->check && (error = o->check(o->payload, ctx, &st)) < 0)
        goto done;
    if (st.st_size < 0 || (uint64_t)st.st_size > limit) {
        error = sg_error_set(ctx, SG_ELIMIT, "%s%s'%s' is %lld bytes, over the %s limit of %zu",
                             WHAT(o), path, (long long)st.st_size,
                             o->limit_name ? o->limit_name : "size", limit);
        goto done;
    }
    if (reserve_exact(out, (size_t)st.st_size) < 0) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory reading %s%s'%s'", WHAT(o), path);
        goto done;
    }
    if ((error = read_all(out, ctx, fd, path, o)) < 0)
        goto done;
    if (out->size < (size_t)st.st_size)
        error = sg_error_set(ctx, SG_EIO, "cannot read %s%s'%s': file shrank while reading",
                             WHAT(o), path);
done:
    close(fd);
    return error;
}

int sg_file_read(sg_buf *out, sg_ctx *ctx, const char *path, size_t limit)
{
    return sg_file_read_ex(out, ctx, path, limit, NULL);
}

int sg_fd_write_all(int fd, const void *data, size_t len, int socket)
{
    const char *p = data;
    while (len) {
        ssize_t n = socket ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
