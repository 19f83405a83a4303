/*
 * The isolation guarantees of the rebuild's sandbox (docs/rebuild.md "Isolation guarantees"),
 * tried as an attacker would from inside: never root inside or out (the uid inside, the host
 * owner of what it writes, a setuid-root file, a root-only host file), the disk limit (the
 * scratch watched, each tmpfs sized, the free-space check, a whole rebuild that fills its
 * disk), and the seccomp filter (a helper program, tests/sandbox_probe/syscall_probe.c, tries
 * each denied syscall). Skipped when bubblewrap cannot make a sandbox here; the end-to-end
 * case also needs node and npm.
 */
#include "sg_test.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/common.h"
#include "verifier/rebuild/rebuild_int.h"

typedef struct fx {
    sg_ctx *ctx;      /* context */
    char bwrap[4096]; /* bubblewrap, "" when it cannot run here */
    char *dir;        /* scratch: tree/, outside/ */
    char tree[4096];  /* the writable bind */
    char ro[4096];    /* a read-only bind (root's when the test runs as root) */
    sg_buf out;       /* output of the last run */
} fx;

static const char *search_path(void)
{
    const char *p = getenv("PATH");
    return p && *p ? p : "/usr/local/bin:/usr/bin:/bin";
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    sg_buf b = SG_BUF_INIT;
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    if (sg_sandbox__which(&b, f->ctx, "bwrap", search_path()) == 0) {
        if (sg_sandbox__probe(f->ctx, b.ptr) == 0)
            snprintf(f->bwrap, sizeof(f->bwrap), "%s", b.ptr);
        else if (strstr(sg_error_message(f->ctx), "seccomp") ||
                 strstr(sg_error_message(f->ctx), "uid"))
            fail_msg("the sandbox's own setup fails: %s", sg_error_message(f->ctx));
        else
            fprintf(stderr, "# no sandbox here: %s\n", sg_error_message(f->ctx));
    }
    sg_error_clear(f->ctx);
    sg_buf_dispose(&b);
    f->dir = sgt_tmpdir();
    snprintf(f->tree, sizeof(f->tree), "%s/tree", f->dir);
    snprintf(f->ro, sizeof(f->ro), "%s/outside", f->dir);
    assert_int_equal(mkdir(f->tree, 0700), 0);
    assert_int_equal(mkdir(f->ro, 0755), 0);
    sg_buf_init(&f->out, 1u << 20);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_buf_dispose(&f->out);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->dir);
    free(f);
    return 0;
}

#define NEED_SANDBOX(f)                                                                            \
    do {                                                                                           \
        if (!(f)->bwrap[0])                                                                        \
            skip();                                                                                \
    } while (0)

/* Run argv in the sandbox: the tree writable, outside/ and extra (when set) read-only. */
static int run_argv(fx *f, sg_sandbox_result *res, const char *const *argv, uint64_t disk,
                    const char *extra)
{
    const char *env[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C", NULL};
    sg_sandbox_bind binds[3] = {{f->tree, SG_SANDBOX_RW}, {f->ro, 0}, {extra, 0}};
    sg_sandbox_spec spec;

    memset(&spec, 0, sizeof(spec));
    spec.bwrap = f->bwrap;
    spec.argv = argv;
    spec.env = env;
    spec.cwd = f->tree;
    spec.binds = binds;
    spec.nbinds = extra ? 3 : 2;
    spec.net = SG_SANDBOX_NET_NONE;
    spec.timeout_ms = 30000;
    spec.memory_bytes = 2048ull << 20;
    spec.max_processes = 256;
    spec.max_file_bytes = 4ull << 30;
    spec.disk_bytes = disk;
    spec.output = &f->out;
    sg_buf_clear(&f->out);
    return sg_sandbox__run(res, f->ctx, &spec);
}

static void run_sh(fx *f, sg_sandbox_result *res, const char *script, uint64_t disk)
{
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    assert_int_equal(run_argv(f, res, argv, disk, NULL), 0);
    printf("# %s\n", f->out.ptr);
}

/* ---------------------------------------------------------------- never root */

static void test_sandbox_isolation__no_root_inside_nor_on_the_host(void **state)
{
    fx *f = *state;
    sg_sandbox_result res;
    char path[4200];
    struct stat st;

    NEED_SANDBOX(f);
    run_sh(f, &res, "echo uid=$(id -u) gid=$(id -g); echo x > written", 0);
    assert_true(res.exited);
    assert_int_equal(res.status, 0);
    assert_non_null(strstr(f->out.ptr, "uid=1000 gid=1000"));
    snprintf(path, sizeof(path), "%s/written", f->tree);
    assert_int_equal(stat(path, &st), 0);
    assert_int_not_equal(st.st_uid, 0);
    assert_int_not_equal(st.st_gid, 0);
    if (geteuid() == 0) {
        assert_int_equal(st.st_uid, SG_REBUILD_DEFAULT_UID);
        assert_non_null(strstr(res.limits, "not root"));
    }
}

static void test_sandbox_isolation__setuid_root_file_never_comes_back(void **state)
{
    fx *f = *state;
    sg_sandbox_result res;
    char path[4200];
    struct stat st;

    NEED_SANDBOX(f);
    run_sh(f, &res,
           "cp /bin/sh suid; chown 0:0 suid && echo CHOWNED; chmod 4755 suid; chmod 6755 suid; "
           "ls -ln suid; grep \" $(pwd) \" /proc/self/mountinfo | grep -q nosuid && echo NOSUID",
           0);
    assert_true(res.exited);
    assert_null(strstr(f->out.ptr, "CHOWNED"));
    assert_non_null(strstr(f->out.ptr, "-rwsr-sr-x")); /* it did set the bits, inside */
    assert_non_null(strstr(f->out.ptr, "NOSUID"));     /* where they mean nothing */
    snprintf(path, sizeof(path), "%s/suid", f->tree);
    assert_int_equal(lstat(path, &st), 0);
    assert_int_not_equal(st.st_uid, 0);
    assert_int_equal(st.st_mode & (S_ISUID | S_ISGID), 0); /* cleared on the way out */
    assert_string_equal(res.setuid_path, "suid");
}

static void test_sandbox_isolation__root_only_host_file_is_unreadable(void **state)
{
    fx *f = *state;
    sg_sandbox_result res;
    char secret[4200], host_tmp[4200], script[16384];

    NEED_SANDBOX(f);
    if (geteuid() != 0)
        skip(); /* the file must be root's */
    snprintf(secret, sizeof(secret), "%s/root-only", f->ro);
    snprintf(host_tmp, sizeof(host_tmp), "/tmp/sourcegate-root-only-%ld", (long)getpid());
    sgt_write_file(secret, "ROOT-SECRET-1", 13, 0600);
    sgt_write_file(host_tmp, "ROOT-SECRET-2", 13, 0600);
    assert_int_equal(chown(secret, 0, 0), 0);
    snprintf(script, sizeof(script), "ls -ln '%s'; cat '%s' '%s'; exit 0", f->ro, secret, host_tmp);
    run_sh(f, &res, script, 0);
    unlink(host_tmp);
    assert_true(res.exited);
    assert_non_null(strstr(f->out.ptr, "root-only")); /* visible, the test can fail */
    assert_non_null(strstr(f->out.ptr, "Permission denied"));
    assert_null(strstr(f->out.ptr, "ROOT-SECRET"));
}

static void test_sandbox_isolation__hand_over_leaves_linked_host_files_alone(void **state)
{
    fx *f = *state;
    sg_sandbox_result res;
    char target[4200], hard[4200], sym[4200], hl[4200];
    struct stat st;

    NEED_SANDBOX(f);
    if (geteuid() != 0)
        skip();
    /* root's files outside the binds, reachable from the tree by a symlink and a hard link */
    snprintf(target, sizeof(target), "%s/symlinked", f->dir);
    snprintf(hard, sizeof(hard), "%s/hardlinked", f->dir);
    snprintf(sym, sizeof(sym), "%s/link", f->tree);
    snprintf(hl, sizeof(hl), "%s/hl", f->tree);
    sgt_write_file(target, "x", 1, 0600);
    sgt_write_file(hard, "x", 1, 0600);
    assert_int_equal(symlink(target, sym), 0);
    assert_int_equal(link(hard, hl), 0);
    run_sh(f, &res, "cat hl; exit 0", 0);
    assert_true(res.exited);
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_uid, 0);
    assert_int_equal(stat(hard, &st), 0);
    assert_int_equal(st.st_uid, 0);
    assert_non_null(strstr(f->out.ptr, "Permission denied"));
}

static void test_sandbox_isolation__unreadable_bind_is_a_clear_error(void **state)
{
    fx *f = *state;
    sg_sandbox_result res;
    const char *argv[] = {"/bin/true", NULL};

    NEED_SANDBOX(f);
    if (geteuid() != 0)
        skip();
    assert_int_equal(chmod(f->ro, 0700), 0); /* like a node under /root/.nvm */
    assert_int_equal(run_argv(f, &res, argv, 0, NULL), SG_EIO);
    printf("# %s\n", sg_error_message(f->ctx));
    assert_non_null(strstr(sg_error_message(f->ctx), "is not readable by uid"));
}

/* ---------------------------------------------------------------- disk */

static uint64_t tree_bytes(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    uint64_t n = 0;
    char p[8192];
    struct stat st;
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.') {
            snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
            if (lstat(p, &st) == 0)
                n += (uint64_t)st.st_blocks * 512u;
        }
    if (d)
        closedir(d);
    return n;
}

static void test_sandbox_isolation__disk_limit_stops_a_build_filling_the_scratch(void **state)
{
    fx *f = *state;
    sg_sandbox_result res;

    NEED_SANDBOX(f);
    run_sh(f, &res,
           "i=0; while [ $i -lt 400 ]; do head -c 1048576 /dev/zero > f$i || exit 3; "
           "i=$((i+1)); done; echo WROTE-ALL",
           8u << 20);
    assert_true(res.disk_exceeded);
    assert_false(res.exited);
    assert_null(strstr(f->out.ptr, "WROTE-ALL"));
    assert_non_null(strstr(res.limits, "disk 8 MiB"));
    printf("# %llu MiB left in the tree when killed\n",
           (unsigned long long)(tree_bytes(f->tree) >> 20));
    assert_true(tree_bytes(f->tree) < (200u << 20));
}

static void test_sandbox_isolation__tmpfs_is_sized(void **state)
{
    fx *f = *state;
    sg_sandbox_result res;

    NEED_SANDBOX(f);
    run_sh(f, &res,
           "for d in /tmp /var/tmp /run; do head -c 3145728 /dev/zero > $d/a; "
           "head -c 3145728 /dev/zero > $d/b || echo FULL-$d; done; exit 0",
           4u << 20);
    assert_true(res.exited);
    assert_non_null(strstr(f->out.ptr, "FULL-/tmp"));
    assert_non_null(strstr(f->out.ptr, "FULL-/var/tmp"));
    assert_non_null(strstr(f->out.ptr, "FULL-/run"));
    assert_false(res.disk_exceeded);
}

static void test_sandbox_isolation__no_room_on_disk_is_an_error_not_a_run(void **state)
{
    fx *f = *state;
    sg_sandbox_result res;
    const char *argv[] = {"/bin/sh", "-c", "echo RAN > ran", NULL};
    char ran[4200];

    NEED_SANDBOX(f);
    assert_int_equal(run_argv(f, &res, argv, 1ull << 60, NULL), SG_EIO);
    assert_non_null(strstr(sg_error_message(f->ctx), "not enough free disk"));
    snprintf(ran, sizeof(ran), "%s/ran", f->tree);
    assert_int_not_equal(access(ran, F_OK), 0);
}

/* A whole rebuild whose build fills the disk: the clean reason, the files unverified, and
 * nothing of it left in the cache's scratch folder. */
#define PJ_BUILD                                                                                   \
    "{\n  \"name\": \"fixture-disk\",\n  \"version\": \"1.0.0\",\n  \"main\": "                    \
    "\"dist/index.js\",\n  \"files\": [\"dist\"],\n  \"scripts\": {\"build\": \"node "             \
    "build.js\"}\n}\n"
static const char build_fills_disk[] =
    "const fs = require('fs');\n"
    "fs.mkdirSync('dist', {recursive: true});\n"
    "const mb = Buffer.alloc(1 << 20, 1);\n"
    "const end = Date.now() + 20000;\n"
    "for (let i = 0; Date.now() < end; i++) fs.writeFileSync('dist/blob' + (i % 2000), mb);\n"
    "fs.writeFileSync('dist/index.js', '// built\\n');\n";

static int dir_is_empty(const char *path)
{
    DIR *d = opendir(path);
    struct dirent *de;
    int empty = 1;
    while (d && (de = readdir(d)))
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            empty = 0;
    if (d)
        closedir(d);
    return empty;
}

static void test_sandbox_isolation__rebuild_at_the_disk_limit_is_a_clean_reason(void **state)
{
    fx *f = *state;
    char repo[4200], tgz[4200], tmp[4200];
    const sgt_file files[] = {{"package.json", PJ_BUILD, 0, 0},
                              {"build.js", build_fills_disk, 0, 0},
                              {".gitignore", "dist\nnode_modules\n", 0, 0}};
    const sgt_tar_entry entries[] = {{"package/package.json", PJ_BUILD, 0, 0644, '0', NULL},
                                     {"package/dist/index.js", "// built\n", 0, 0644, '0', NULL}};
    sg_rebuild_opts ro = SG_REBUILD_OPTS_INIT;
    sg_verify_opts o = SG_VERIFY_OPTS_INIT;
    sg_report *report = NULL;
    const sg_finding *x = NULL;
    size_t i;

    NEED_SANDBOX(f);
    if (!sgt_have_program("node") || !sgt_have_program("npm"))
        skip();
    snprintf(repo, sizeof(repo), "%s/repo", f->dir);
    snprintf(tgz, sizeof(tgz), "%s/fixture-disk-1.0.0.tgz", f->dir);
    sgt_git_init(repo, 0);
    sgt_git_commit(NULL, repo, NULL, files, 3, "fixture", 0);
    sgt_tar_write(tgz, entries, 2);
    ro.mode = SG_REBUILD_ALWAYS;
    ro.search_path = search_path();
    ro.bwrap = f->bwrap;
    ro.cache_dir = f->ro;
    ro.timeout_seconds = 120;
    ro.disk_bytes = 16u << 20;
    o.tarball_path = tgz;
    o.source = repo;
    o.rebuild = &ro;
    assert_int_equal(sg_verify_local(&report, f->ctx, &o), 0);
    for (i = 0; i < sg_report_finding_count(report); i++)
        if (strcmp(sg_report_finding(report, i)->kind, "file-unverified") == 0)
            x = sg_report_finding(report, i);
    assert_non_null(x);
    printf("# %s\n", x->detail);
    assert_non_null(strstr(x->detail, "disk limit of 16 MiB reached during the build step"));
    assert_int_equal(sg_report_verdict(report), SG_VERDICT_INCONCLUSIVE);
    assert_string_equal(sg_report_get(report, SG_REPORT_REBUILD_STATUS), "failed");
    snprintf(tmp, sizeof(tmp), "%s/tmp", f->ro);
    assert_true(dir_is_empty(tmp)); /* the scratch copy is gone */
    sg_report_free(report);
}

/* ---------------------------------------------------------------- seccomp */

static const char *const denied_eperm[] = {
    "mount",         "umount2",         "pivot_root",       "chroot",
    "open_tree",     "move_mount",      "fsopen",           "fsconfig",
    "fsmount",       "fspick",          "mount_setattr",    "open_by_handle_at",
    "unshare",       "setns",           "clone_newuser",    "clone_newns",
    "clone_newnet",  "clone_newpid",    "kexec_load",       "kexec_file_load",
    "init_module",   "finit_module",    "delete_module",    "acct",
    "swapon",        "swapoff",         "reboot",           "settimeofday",
    "clock_settime", "syslog",          "keyctl",           "add_key",
    "request_key",   "ptrace",          "process_vm_readv", "process_vm_writev",
    "bpf",           "perf_event_open", "userfaultfd",      "personality",
};
static const char *const denied_enosys[] = {"io_uring_setup", "io_uring_enter", "io_uring_register",
                                            "clone3"};
static const char *const allowed[] = {"control_getpid", "control_personality_query",
                                      "control_personality_default", "control_fork"};

static void assert_line(const char *out, const char *name, const char *value)
{
    char want[256];
    snprintf(want, sizeof(want), "\n%s=%s\n", name, value);
    if (!strstr(out, want))
        fail_msg("expected %s=%s", name, value);
}

static void test_sandbox_isolation__seccomp_refuses_each_denied_syscall(void **state)
{
    fx *f = *state;
    sg_sandbox_result res;
    const char *bin = getenv("SG_BINARY_DIR");
    char probe[4200];
    const char *argv[] = {probe, NULL};
    size_t i;

    NEED_SANDBOX(f);
    assert_non_null(bin);
    snprintf(probe, sizeof(probe), "%s/tests/sg_syscall_probe", bin);
    assert_int_equal(access(probe, X_OK), 0);
    assert_int_equal(run_argv(f, &res, argv, 0, probe), 0);
    printf("%s", f->out.ptr);
    assert_true(res.exited);
    assert_int_equal(res.status, 0);
    assert_non_null(strstr(f->out.ptr, "seccomp_mode=2\n"));
    assert_non_null(strstr(f->out.ptr, "\ndone\n"));
    for (i = 0; i < SG_ARRAY_SIZE(denied_eperm); i++)
        assert_line(f->out.ptr, denied_eperm[i], "EPERM");
    for (i = 0; i < SG_ARRAY_SIZE(denied_enosys); i++)
        assert_line(f->out.ptr, denied_enosys[i], "ENOSYS");
    for (i = 0; i < SG_ARRAY_SIZE(allowed); i++)
        assert_line(f->out.ptr, allowed[i], "ok");
#if defined(__x86_64__)
    assert_line(f->out.ptr, "i386_getpid", "ENOSYS");
    assert_line(f->out.ptr, "x32_getpid", "ENOSYS");
#endif
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_sandbox_isolation__no_root_inside_nor_on_the_host),
        T(test_sandbox_isolation__setuid_root_file_never_comes_back),
        T(test_sandbox_isolation__root_only_host_file_is_unreadable),
        T(test_sandbox_isolation__hand_over_leaves_linked_host_files_alone),
        T(test_sandbox_isolation__unreadable_bind_is_a_clear_error),
        T(test_sandbox_isolation__disk_limit_stops_a_build_filling_the_scratch),
        T(test_sandbox_isolation__tmpfs_is_sized),
        T(test_sandbox_isolation__no_room_on_disk_is_an_error_not_a_run),
        T(test_sandbox_isolation__rebuild_at_the_disk_limit_is_a_clean_reason),
        T(test_sandbox_isolation__seccomp_refuses_each_denied_syscall),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
