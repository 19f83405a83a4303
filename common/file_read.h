/*
 * Reading a whole local file under a size limit, with clean errors.
 */
#ifndef SG_FILE_READ_H
#define SG_FILE_READ_H

#include <stddef.h>
#include "sourcegate/buf.h"
#include "sourcegate/errors.h"

struct stat;

/** How sg_file_read_ex() names the file and what else it checks. */
typedef struct sg_file_read_opts {
    const char *what;       /**< names the file before its path ("private key 'p'"); NULL:
                                 the quoted path alone */
    const char *limit_name; /**< names the limit in the too-large message ("over the
                                 tarball-bytes limit of N"); NULL: "size" */
    /** Runs on the open file's status (a regular file) before the size check and the read,
     * so what it checks is the file read; return < 0 (with ctx set) to refuse. May be NULL. */
    int (*check)(void *payload, sg_ctx *ctx, const struct stat *st);
    void *payload; /**< passed to check */
} sg_file_read_opts;

#define SG_FILE_READ_OPTS_INIT                                                                     \
    {                                                                                              \
        NULL, NULL, NULL, NULL                                                                     \
    }

/**
 * Read the whole file at path into out, which is replaced (disposed, then initialized with
 * `limit` as its size limit). The file is opened once and checked on the open descriptor: it
 * must be a regular file (SG_EINVALID) of at most `limit` bytes (SG_ELIMIT, also when it grows
 * past the limit while being read). Errors: SG_ENOTFOUND (no such file), SG_EIO (cannot open
 * or read, or the file shrank while being read), SG_ENOMEM. opts may be NULL. Memory is
 * allocated once for the size the file has when opened (no copies of secret bytes are left
 * behind by growth unless the file grows while being read).
 */
int sg_file_read_ex(sg_buf *out, sg_ctx *ctx, const char *path, size_t limit,
                    const sg_file_read_opts *opts);

/** sg_file_read_ex() with no options: messages name the file by its quoted path alone. */
int sg_file_read(sg_buf *out, sg_ctx *ctx, const char *path, size_t limit);

/**
 * Write all len bytes to fd, again after EINTR. With `socket`, through send(MSG_NOSIGNAL): a
 * peer that hung up is an error, never a SIGPIPE (the library leaves signal dispositions
 * alone). 0, or -1 with errno set (a write of 0 bytes is an error, never a loop).
 */
int sg_fd_write_all(int fd, const void *data, size_t len, int socket);

#endif
