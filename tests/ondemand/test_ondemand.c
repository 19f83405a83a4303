/*
 * The executable's forwarders (cli/ondemand*.c) on their own: this program is linked with them
 * and not with libgit2 or libseccomp, like the executable, so every call below goes through a
 * forwarder to the library loaded on first use. It checks the variadic ones, whose arguments
 * the forwarder must read with the types the library reads them with: a wrong type would pass
 * garbage without any compiler or link error.
 */
#include <git2.h>
#include <seccomp.h>

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* git_libgit2_opts: one option of each argument kind the forwarder's table knows, read back
 * where libgit2 has a getter. */
static void test_ondemand__libgit2_opts_forwards_each_argument_kind(void **state)
{
    git_buf buf = GIT_BUF_INIT;
    const char *ext[] = {"sgtestext"};
    git_strarray exts = {NULL, 0};
    size_t size = 0, i;
    ssize_t current = 0, allowed = 0;
    int owner = -1, found = 0;
    (void)state;
    assert_true(git_libgit2_init() > 0);

    assert_int_equal(git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)12345678), 0);
    assert_int_equal(git_libgit2_opts(GIT_OPT_GET_MWINDOW_SIZE, &size), 0);
    assert_int_equal(size, 12345678);

    assert_int_equal(git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM,
                                      "/nonexistent/sg-ondemand"),
                     0);
    assert_int_equal(git_libgit2_opts(GIT_OPT_GET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, &buf), 0);
    assert_string_equal(buf.ptr, "/nonexistent/sg-ondemand");
    git_buf_dispose(&buf);

    assert_int_equal(git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)7654321), 0);
    assert_int_equal(git_libgit2_opts(GIT_OPT_GET_CACHED_MEMORY, &current, &allowed), 0);
    assert_int_equal(allowed, 7654321);

    assert_int_equal(git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0), 0);
    assert_int_equal(git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &owner), 0);
    assert_int_equal(owner, 0);
    assert_int_equal(git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 1), 0);
    assert_int_equal(git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &owner), 0);
    assert_int_equal(owner, 1);

    assert_int_equal(git_libgit2_opts(GIT_OPT_SET_USER_AGENT, "sg-ondemand/1"), 0);
    assert_int_equal(git_libgit2_opts(GIT_OPT_GET_USER_AGENT, &buf), 0);
    assert_string_equal(buf.ptr, "sg-ondemand/1");
    git_buf_dispose(&buf);

    assert_int_equal(git_libgit2_opts(GIT_OPT_SET_EXTENSIONS, ext, (size_t)1), 0);
    assert_int_equal(git_libgit2_opts(GIT_OPT_GET_EXTENSIONS, &exts), 0);
    for (i = 0; i < exts.count; i++) {
        found |= strcmp(exts.strings[i], "sgtestext") == 0;
        free(exts.strings[i]); /* git_strarray_dispose() is not forwarded: libgit2's malloc */
    }
    free(exts.strings);
    assert_true(found);

    assert_int_equal(
        git_libgit2_opts(GIT_OPT_SET_CACHE_OBJECT_LIMIT, GIT_OBJECT_BLOB, (size_t)1024), 0);
}

/* Run fn in a child with stderr in *err; returns its exit status (-1: it did not exit). */
static int in_child(void (*fn)(void), char *err, size_t err_size)
{
    int fds[2], status = 0;
    ssize_t n, got = 0;
    pid_t pid;
    assert_int_equal(pipe(fds), 0);
    if ((pid = fork()) == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    while ((size_t)got < err_size - 1 && (n = read(fds[0], err + got, err_size - 1 - got)) > 0)
        got += n;
    err[got] = '\0';
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void unmapped_option(void)
{
    git_libgit2_init();
    git_libgit2_opts(9999, 1);
}

/* An option the table does not know is refused, not guessed: one line, exit 4. */
static void test_ondemand__unmapped_libgit2_option_exits_4(void **state)
{
    char err[1024];
    (void)state;
    assert_int_equal(in_child(unmapped_option, err, sizeof(err)), 4);
    assert_string_equal(err, "sourcegate: error: git_libgit2_opts option 9999 is not forwarded "
                             "(add it to cli/ondemand_git.c)\n");
}

/* Child: a filter with two argument comparisons, installed, then tried; exit 0 when it denies
 * exactly the call both comparisons match. */
static void filtered_getpriority(void)
{
    struct sock_filter code[512];
    struct sock_fprog prog;
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    int fds[2];
    ssize_t n;
    if (!ctx || pipe(fds) != 0)
        _exit(10);
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(getpriority), 2,
                         SCMP_A0(SCMP_CMP_EQ, PRIO_PROCESS), SCMP_A1(SCMP_CMP_EQ, 4242)) != 0)
        _exit(11);
    if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(getpriority), 7) != -EINVAL)
        _exit(12); /* more comparisons than a system call has arguments */
    if (seccomp_export_bpf(ctx, fds[1]) != 0)
        _exit(13);
    close(fds[1]);
    if ((n = read(fds[0], code, sizeof(code))) <= 0 || n % (ssize_t)sizeof(code[0]) != 0)
        _exit(14);
    seccomp_release(ctx);
    prog.len = (unsigned short)(n / (ssize_t)sizeof(code[0]));
    prog.filter = code;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) != 0)
        _exit(15);
    errno = 0;
    if (getpriority(PRIO_PROCESS, 4242) != -1 || errno != EPERM)
        _exit(16); /* both comparisons match: denied */
    errno = 0;
    if (getpriority(PRIO_PROCESS, 0) == -1 && errno != 0)
        _exit(17); /* the second does not: allowed */
    errno = 0;
    if (getpriority(PRIO_PGRP, 4242) == -1 && errno == EPERM)
        _exit(18); /* the first does not: allowed (ESRCH at most) */
    _exit(0);
}

/* seccomp_rule_add is variadic: the forwarder passes its struct scmp_arg_cmp arguments on to
 * seccomp_rule_add_array. The rebuild's filter depends on it. */
static void test_ondemand__seccomp_rule_add_passes_argument_comparisons(void **state)
{
    char err[1024];
    (void)state;
    assert_int_equal(in_child(filtered_getpriority, err, sizeof(err)), 0);
    assert_string_equal(err, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ondemand__libgit2_opts_forwards_each_argument_kind),
        cmocka_unit_test(test_ondemand__unmapped_libgit2_option_exits_4),
        cmocka_unit_test(test_ondemand__seccomp_rule_add_passes_argument_comparisons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
