/*
 * Key files: loading with a permission check, saving with mode 0600 without following links.
 */
#include "common/common.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>

#include "attest/attest_int.h"

/* Wipe and free a buffer that held secret bytes. */
static void dispose_secret(sg_buf *b)
{
    if (b->asize)
        OPENSSL_cleanse(b->ptr, b->size);
    sg_buf_dispose(b);
}

/* What read_key_file() checks on the open file besides its type. */
typedef struct key_file_check {
    const char *path; /* the file, for messages */
    const char *what; /* "private key" or "public key" */
    int check_perms;  /* refuse group or other permission bits... */
    int allow;        /* ...unless the caller allows them */
} key_file_check;

static int check_key_file(void *payload, sg_ctx *ctx, const struct stat *st)
{
    const key_file_check *k = payload;

    if (k->check_perms && !k->allow && (st->st_mode & 077))
        return sg_error_set(ctx, SG_EINVALID,
                            "%s '%s' is accessible by group or others (mode %04o); "
                            "make it private with chmod 600",
                            k->what, k->path, (unsigned)(st->st_mode & 07777));
    if ((uint64_t)st->st_size > SG_ATTEST_KEY_FILE_MAX)
        return sg_error_set(ctx, SG_ELIMIT, "%s '%s' is %lld bytes, more than a key file may be "
                            "(%zu)", k->what, k->path, (long long)st->st_size,
                            SG_ATTEST_KEY_FILE_MAX);
    return 0;
}

/*
 * Read a key file into out. With check_perms, refuse group or other permission bits unless
 * allow_insecure (checked on the open descriptor, so the file checked is the file read).
 */
static int read_key_file(sg_buf *out, sg_ctx *ctx, const char *path, int check_perms,
                         int allow_insecure, const char *what)
{
    key_file_check k = {path, what, check_perms, allow_insecure};
    sg_file_read_opts opts = SG_FILE_READ_OPTS_INIT;

    opts.what = what;
    opts.check = check_key_file;
    opts.payload = &k;
    return sg_file_read_ex(out, ctx, path, SG_ATTEST_KEY_FILE_MAX, &opts);
}

int sg_key_load_private(sg_key **out, sg_ctx *ctx, const char *path, const sg_key_load_opts *opts)
{
    sg_key_load_opts none = SG_KEY_LOAD_OPTS_INIT;
    sg_buf pem = SG_BUF_INIT, what = SG_BUF_INIT;
    int error;

    *out = NULL;
    if (!opts)
        opts = &none;
    if ((error = read_key_file(&pem, ctx, path, 1, opts->allow_insecure_perms,
                               "private key")) < 0)
        goto done;
    sg_buf_printf(&what, "private key '%s'", path);
    if ((error = sg_buf_check(&what, ctx, "a message")) < 0)
        goto done;
    error = sg_key_from_private_pem(out, ctx, pem.ptr, pem.size, opts->passphrase,
                                    opts->passphrase_len, what.ptr);
done:
    dispose_secret(&pem);
    sg_buf_dispose(&what);
    return error;
}

int sg_key_load_public(sg_key **out, sg_ctx *ctx, const char *path)
{
    sg_buf pem = SG_BUF_INIT, what = SG_BUF_INIT;
    int error;

    *out = NULL;
    if ((error = read_key_file(&pem, ctx, path, 0, 1, "public key")) < 0)
        goto done;
    sg_buf_printf(&what, "key '%s'", path);
    if ((error = sg_buf_check(&what, ctx, "a message")) < 0)
        goto done;
    error = sg_key_from_public_pem(out, ctx, pem.ptr, pem.size, what.ptr);
done:
    dispose_secret(&pem);
    sg_buf_dispose(&what);
    return error;
}

int sg_key_public_path(sg_buf *out, const char *private_path)
{
    size_t n = strlen(private_path);
    if (n > 4 && strcmp(private_path + n - 4, ".pem") == 0)
        n -= 4;
    sg_buf_put(out, private_path, n);
    return sg_buf_puts(out, ".pub.pem");
}

/* Create path afresh (O_EXCL, never through a symlink) with exactly `mode`, write data. */
static int write_new_file(sg_ctx *ctx, const char *path, const sg_buf *data, mode_t mode,
                          int replace)
{
    size_t done_bytes = 0;
    int fd, error = 0;

    if (replace && unlink(path) < 0 && errno != ENOENT)
        return sg_error_set(ctx, SG_EIO, "cannot replace '%s': %s", path, strerror(errno));
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return sg_error_set(ctx, errno == EEXIST ? SG_EINVALID : SG_EIO,
                            "cannot create '%s': %s", path, strerror(errno));
    if (fchmod(fd, mode) < 0) {
        error = sg_error_set(ctx, SG_EIO, "cannot set the mode of '%s': %s", path,
                             strerror(errno));
        goto done;
    }
    while (done_bytes < data->size) {
        ssize_t n = write(fd, data->ptr + done_bytes, data->size - done_bytes);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            error = sg_error_set(ctx, SG_EIO, "cannot write '%s': %s", path, strerror(errno));
            goto done;
        }
        done_bytes += (size_t)n;
    }
    if (fsync(fd) < 0)
        error = sg_error_set(ctx, SG_EIO, "cannot write '%s': %s", path, strerror(errno));
done:
    if (close(fd) < 0 && !error)
        error = sg_error_set(ctx, SG_EIO, "cannot write '%s': %s", path, strerror(errno));
    if (error)
        unlink(path);
    return error;
}

static int refuse_existing(sg_ctx *ctx, const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0)
        return sg_error_set(ctx, SG_EINVALID, "'%s' already exists; refusing to overwrite it",
                            path);
    return 0;
}

int sg_key_save(sg_ctx *ctx, const sg_key *key, const char *path, unsigned flags,
                const unsigned char *passphrase, size_t passphrase_len)
{
    sg_buf priv = SG_BUF_INIT, pub = SG_BUF_INIT, pub_path = SG_BUF_INIT;
    int force = (flags & SG_KEY_SAVE_FORCE) != 0, error;

    sg_key_public_path(&pub_path, path);
    if ((error = sg_buf_check(&pub_path, ctx, "the public key path")) < 0)
        goto done;
    if (!force && ((error = refuse_existing(ctx, path)) < 0 ||
                   (error = refuse_existing(ctx, pub_path.ptr)) < 0))
        goto done;
    if ((error = sg_key_private_pem(&priv, ctx, key, passphrase, passphrase_len)) < 0 ||
        (error = sg_key_public_pem(&pub, ctx, key)) < 0)
        goto done;
    if ((error = write_new_file(ctx, path, &priv, 0600, force)) < 0)
        goto done;
    if ((error = write_new_file(ctx, pub_path.ptr, &pub, 0644, force)) < 0)
        unlink(path); /* never leave a private key without its public half */
done:
    dispose_secret(&priv);
    sg_buf_dispose(&pub);
    sg_buf_dispose(&pub_path);
    return error;
}
