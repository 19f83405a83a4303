/* Unit tests of common/file_read.c: a whole file under a size limit, with clean errors. */
#include "sg_test.h"

#include <sys/socket.h>
#include <unistd.h>

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/common.h"

static char path[4096];

static const char *at(const char *name)
{
    char *dir = sgt_tmpdir();
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

static void test_file_read__reads_the_whole_file(void **state)
{
    sg_ctx *ctx = NULL;
    sg_buf b = SG_BUF_INIT;
    const char *p = at("data.bin");
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    sgt_write_file(p, "ab\0cd", 5, 0);
    assert_int_equal(sg_file_read(&b, ctx, p, 5), 0); /* exactly the limit */
    assert_int_equal(b.size, 5);
    assert_memory_equal(b.ptr, "ab\0cd", 6);            /* and NUL-terminated */
    assert_int_equal(sg_file_read(&b, ctx, p, 100), 0); /* out is replaced, not appended */
    assert_int_equal(b.size, 5);
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
}

static void test_file_read__empty_file_is_empty_buffer(void **state)
{
    sg_ctx *ctx = NULL;
    sg_buf b = SG_BUF_INIT;
    const char *p = at("empty");
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    sgt_write_file(p, "", 0, 0);
    assert_int_equal(sg_file_read(&b, ctx, p, 10), 0);
    assert_int_equal(b.size, 0);
    assert_string_equal(b.ptr, "");
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
}

static void test_file_read__missing_is_not_found(void **state)
{
    sg_ctx *ctx = NULL;
    sg_buf b = SG_BUF_INIT;
    char want[4200];
    const char *p = at("missing");
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_file_read(&b, ctx, p, 10), SG_ENOTFOUND);
    snprintf(want, sizeof(want), "cannot open '%s': No such file or directory", p);
    assert_string_equal(sg_error_message(ctx), want);
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
}

static void test_file_read__too_large_is_limit_with_what(void **state)
{
    sg_ctx *ctx = NULL;
    sg_buf b = SG_BUF_INIT;
    sg_file_read_opts opts = SG_FILE_READ_OPTS_INIT;
    char want[4200];
    const char *p = at("big");
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    sgt_write_file(p, "123456", 6, 0);
    assert_int_equal(sg_file_read(&b, ctx, p, 5), SG_ELIMIT);
    snprintf(want, sizeof(want), "'%s' is 6 bytes, over the size limit of 5", p);
    assert_string_equal(sg_error_message(ctx), want);
    opts.what = "config file";
    opts.limit_name = "config-bytes";
    sg_error_clear(ctx); /* the first error wins */
    assert_int_equal(sg_file_read_ex(&b, ctx, p, 5, &opts), SG_ELIMIT);
    snprintf(want, sizeof(want), "config file '%s' is 6 bytes, over the config-bytes limit of 5",
             p);
    assert_string_equal(sg_error_message(ctx), want);
    assert_int_equal(b.size, 0);
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
}

static void test_file_read__refuses_a_directory(void **state)
{
    sg_ctx *ctx = NULL;
    sg_buf b = SG_BUF_INIT;
    char want[4200];
    char *dir;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    dir = sgt_tmpdir();
    assert_int_equal(sg_file_read(&b, ctx, dir, 1 << 20), SG_EINVALID);
    snprintf(want, sizeof(want), "'%s' is not a regular file", dir);
    assert_string_equal(sg_error_message(ctx), want);
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
}

static void test_file_read__refuses_a_fifo_without_waiting(void **state)
{
    sg_ctx *ctx = NULL;
    sg_buf b = SG_BUF_INIT;
    const char *p = at("fifo");
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(mkfifo(p, 0600), 0);
    /* nobody writes to it: a blocking open would hang here */
    assert_int_equal(sg_file_read(&b, ctx, p, 1 << 20), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "is not a regular file"));
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
}

static int refuse_writable(void *payload, sg_ctx *ctx, const struct stat *st)
{
    int *calls = payload;
    (*calls)++;
    if (st->st_mode & 0022)
        return sg_error_set(ctx, SG_EINVALID, "writable by others");
    return 0;
}

static void test_file_read__check_sees_the_open_file_first(void **state)
{
    sg_ctx *ctx = NULL;
    sg_buf b = SG_BUF_INIT;
    sg_file_read_opts opts = SG_FILE_READ_OPTS_INIT;
    const char *p = at("checked");
    int calls = 0;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    opts.check = refuse_writable;
    opts.payload = &calls;
    sgt_write_file(p, "0123456789", 10, 0666);
    assert_int_equal(chmod(p, 0666), 0);
    /* the check runs before the size check: its error wins */
    assert_int_equal(sg_file_read_ex(&b, ctx, p, 2, &opts), SG_EINVALID);
    assert_string_equal(sg_error_message(ctx), "writable by others");
    assert_int_equal(chmod(p, 0600), 0);
    assert_int_equal(sg_file_read_ex(&b, ctx, p, 100, &opts), 0);
    assert_int_equal(calls, 2);
    assert_string_equal(b.ptr, "0123456789");
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
}

static void test_file_read__allocation_failure_is_enomem(void **state)
{
    sg_ctx *ctx = NULL;
    sg_buf b = SG_BUF_INIT;
    const char *p = at("nomem");
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    sgt_write_file(p, "xyz", 3, 0);
    sg_alloc__fail_after(0);
    assert_int_equal(sg_file_read(&b, ctx, p, 10), SG_ENOMEM);
    sg_alloc__fail_after(-1);
    assert_int_equal(b.size, 0);
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
}

static int teardown(void **state)
{
    (void)state;
    sgt_cleanup();
    return 0;
}

static void test_fd_write_all__writes_everything_and_fails_on_a_closed_peer(void **state)
{
    int fds[2];
    char buf[16] = {0};
    (void)state;
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    assert_int_equal(sg_fd_write_all(fds[0], "hello", 5, 1), 0);
    assert_int_equal(read(fds[1], buf, sizeof(buf)), 5);
    assert_string_equal(buf, "hello");
    assert_int_equal(sg_fd_write_all(fds[0], "x", 1, 0), 0);
    close(fds[1]);
    /* no SIGPIPE through send(MSG_NOSIGNAL): an error */
    assert_int_equal(sg_fd_write_all(fds[0], "again", 5, 1), -1);
    close(fds[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_file_read__reads_the_whole_file),
        cmocka_unit_test(test_fd_write_all__writes_everything_and_fails_on_a_closed_peer),
        cmocka_unit_test(test_file_read__empty_file_is_empty_buffer),
        cmocka_unit_test(test_file_read__missing_is_not_found),
        cmocka_unit_test(test_file_read__too_large_is_limit_with_what),
        cmocka_unit_test(test_file_read__refuses_a_directory),
        cmocka_unit_test(test_file_read__refuses_a_fifo_without_waiting),
        cmocka_unit_test(test_file_read__check_sees_the_open_file_first),
        cmocka_unit_test(test_file_read__allocation_failure_is_enomem),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
