/*
 * Run inside the rebuild's sandbox by tests/integration/test_sandbox_isolation.c: tries each
 * syscall the seccomp filter denies and prints "name=ERRNO" (the errno's symbolic name, or
 * "ok" when the call succeeded), one per line. The arguments are chosen so that, without the
 * filter, most calls would succeed or fail with another errno (EFAULT, EBADF, EINVAL): the
 * test's EPERM/ENOSYS comes from the filter. Controls that must still work print "ok".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *errno_name(int e)
{
    switch (e) {
    case 0:
        return "ok";
    case EPERM:
        return "EPERM";
    case ENOSYS:
        return "ENOSYS";
    case EFAULT:
        return "EFAULT";
    case EBADF:
        return "EBADF";
    case EINVAL:
        return "EINVAL";
    case ENOENT:
        return "ENOENT";
    case EACCES:
        return "EACCES";
    case ENOKEY:
        return "ENOKEY";
    case ENOSPC:
        return "ENOSPC";
    default:
        return "other";
    }
}

static void report(const char *name, long rc)
{
    printf("%s=%s\n", name, errno_name(rc < 0 ? errno : 0));
}

#define TRY(name, ...)                                                                             \
    do {                                                                                           \
        errno = 0;                                                                                 \
        report(name, syscall(__VA_ARGS__));                                                        \
    } while (0)

/* clone() with a namespace flag: a child that exists at all leaves at once. */
static void try_clone(const char *name, unsigned long flags)
{
    long rc;
    errno = 0;
    rc = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
    if (rc == 0)
        _exit(0);
    if (rc > 0)
        waitpid((pid_t)rc, NULL, 0);
    report(name, rc);
}

static void try_mounts(void)
{
    TRY("mount", SYS_mount, "none", "/tmp", "tmpfs", 0, NULL);
    TRY("umount2", SYS_umount2, "/tmp", 0);
    TRY("pivot_root", SYS_pivot_root, "/tmp", "/tmp");
    TRY("chroot", SYS_chroot, "/tmp");
#ifdef SYS_open_tree
    TRY("open_tree", SYS_open_tree, -1, "/tmp", 0);
    TRY("move_mount", SYS_move_mount, -1, "", -1, "", 0);
    TRY("fsopen", SYS_fsopen, "tmpfs", 0);
    TRY("fsconfig", SYS_fsconfig, -1, 0, NULL, NULL, 0);
    TRY("fsmount", SYS_fsmount, -1, 0, 0);
    TRY("fspick", SYS_fspick, -1, "/tmp", 0);
#endif
#ifdef SYS_mount_setattr
    TRY("mount_setattr", SYS_mount_setattr, -1, "", 0, NULL, 0);
#endif
    TRY("open_by_handle_at", SYS_open_by_handle_at, -1, NULL, 0);
}

static void try_namespaces(void)
{
    TRY("unshare", SYS_unshare, 0);
    TRY("setns", SYS_setns, -1, 0);
    try_clone("clone_newuser", CLONE_NEWUSER);
    try_clone("clone_newns", CLONE_NEWNS);
    try_clone("clone_newnet", CLONE_NEWNET);
    try_clone("clone_newpid", CLONE_NEWPID);
#ifdef SYS_clone3
    TRY("clone3", SYS_clone3, NULL, 0);
#endif
}

static void try_kernel(void)
{
    TRY("kexec_load", SYS_kexec_load, 0, 0, NULL, 0);
    TRY("kexec_file_load", SYS_kexec_file_load, -1, -1, 0, NULL, 0);
    TRY("init_module", SYS_init_module, NULL, 0, "");
    TRY("finit_module", SYS_finit_module, -1, "", 0);
    TRY("delete_module", SYS_delete_module, "sg_nonexistent", 0);
    TRY("acct", SYS_acct, NULL);
    TRY("swapon", SYS_swapon, "/nonexistent", 0);
    TRY("swapoff", SYS_swapoff, "/nonexistent");
    TRY("reboot", SYS_reboot, 0, 0, 0, NULL);          /* bad magic: EINVAL without the filter */
    TRY("settimeofday", SYS_settimeofday, NULL, NULL); /* 0 without the filter */
    TRY("clock_settime", SYS_clock_settime, 0, NULL);
    TRY("syslog", SYS_syslog, 10, NULL, 0); /* SYSLOG_ACTION_SIZE_BUFFER */
}

static void try_others(void)
{
    TRY("keyctl", SYS_keyctl, 0, -3, 0); /* KEYCTL_GET_KEYRING_ID of the session keyring */
    TRY("add_key", SYS_add_key, "user", "sg", "x", 1, -2);
    TRY("request_key", SYS_request_key, "user", "sg-nonexistent", NULL, 0);
    TRY("ptrace", SYS_ptrace, 0, 0, NULL, NULL); /* PTRACE_TRACEME */
    TRY("process_vm_readv", SYS_process_vm_readv, getpid(), NULL, 0, NULL, 0, 0);
    TRY("process_vm_writev", SYS_process_vm_writev, getpid(), NULL, 0, NULL, 0, 0);
    TRY("bpf", SYS_bpf, 1000, NULL, 0);
    TRY("perf_event_open", SYS_perf_event_open, NULL, 0, -1, -1, 0);
    TRY("userfaultfd", SYS_userfaultfd, 0);
    TRY("personality", SYS_personality, 0x0040000); /* ADDR_NO_RANDOMIZE */
    TRY("io_uring_setup", SYS_io_uring_setup, 1, NULL);
    TRY("io_uring_enter", SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0);
    TRY("io_uring_register", SYS_io_uring_register, -1, 0, NULL, 0);
}

/* Other ABIs: an i386 getpid through int 0x80, an x32 getpid. */
static void try_abis(void)
{
#if defined(__x86_64__)
    long rc = 20; /* __NR_getpid of i386 */
    __asm__ volatile("int $0x80" : "+a"(rc) : : "memory");
    printf("i386_getpid=%s\n", rc == -ENOSYS ? "ENOSYS" : rc < 0 ? "other" : "ok");
    TRY("x32_getpid", 0x40000000L | SYS_getpid);
#endif
}

static void controls(void)
{
    pid_t pid;
    TRY("control_getpid", SYS_getpid);
    TRY("control_personality_query", SYS_personality, 0xffffffffUL);
    TRY("control_personality_default", SYS_personality, 0UL);
    errno = 0;
    pid = fork();
    if (pid == 0)
        _exit(0);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    report("control_fork", pid < 0 ? -1 : 0);
}

int main(void)
{
    char line[256];
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "Seccomp:", 8) == 0)
            printf("seccomp_mode=%ld\n", strtol(line + 8, NULL, 10));
    if (f)
        fclose(f);
    try_mounts();
    try_namespaces();
    try_kernel();
    try_others();
    try_abis();
    controls();
    printf("done\n");
    return 0;
}
