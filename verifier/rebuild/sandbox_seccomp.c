/*
 * The rebuild's seccomp filter: everything is allowed except the kernel interfaces a build
 * never needs and an attacker would (keyrings, ptrace and cross-process memory, bpf, perf,
 * userfaultfd, the mount family, new namespaces, modules, kexec, swap, reboot, the clock),
 * and every ABI but the native one. Built with libseccomp, exported as BPF into a memfd that
 * bubblewrap loads (--seccomp FD) just before it runs the command.
 */
#define _GNU_SOURCE /* CLONE_NEW* */
#include "common/common.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "verifier/rebuild/sandbox_int.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

/* A syscall denied outright and the errno it fails with. */
typedef struct denied {
    const char *name; /* libseccomp's name; skipped when unknown on this architecture */
    int err;          /* EPERM, or ENOSYS where callers fall back (io_uring, clone3) */
} denied;

static const denied denied_calls[] = {
    {"keyctl", EPERM},
    {"add_key", EPERM},
    {"request_key", EPERM},
    {"ptrace", EPERM},
    {"process_vm_readv", EPERM},
    {"process_vm_writev", EPERM},
    {"pidfd_getfd", EPERM},
    {"kcmp", EPERM},
    {"bpf", EPERM},
    {"perf_event_open", EPERM},
    {"userfaultfd", EPERM},
    {"mount", EPERM},
    {"umount", EPERM},
    {"umount2", EPERM},
    {"pivot_root", EPERM},
    {"chroot", EPERM},
    {"move_mount", EPERM},
    {"open_tree", EPERM},
    {"fsopen", EPERM},
    {"fsmount", EPERM},
    {"fsconfig", EPERM},
    {"fspick", EPERM},
    {"mount_setattr", EPERM},
    {"open_by_handle_at", EPERM},
    {"unshare", EPERM},
    {"setns", EPERM},
    {"kexec_load", EPERM},
    {"kexec_file_load", EPERM},
    {"init_module", EPERM},
    {"finit_module", EPERM},
    {"delete_module", EPERM},
    {"acct", EPERM},
    {"quotactl", EPERM},
    {"swapon", EPERM},
    {"swapoff", EPERM},
    {"reboot", EPERM},
    {"settimeofday", EPERM},
    {"clock_settime", EPERM},
    {"clock_adjtime", EPERM},
    {"syslog", EPERM},
    {"iopl", EPERM},
    {"ioperm", EPERM},
    {"io_uring_setup", ENOSYS},
    {"io_uring_enter", ENOSYS},
    {"io_uring_register", ENOSYS},
    {"clone3", ENOSYS}, /* its flags are in memory the filter cannot read: glibc falls back to
                           clone, whose flags it can */
};

/* The namespace flags clone() may not carry (one rule each: a rule tests one masked value). */
static const uint64_t clone_ns_flags[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,   CLONE_NEWUSER,
                                          CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};

/* personality(): only the default (PER_LINUX, 0) and the query (0xffffffff). The kernel reads
 * 32 bits; a value other than those two has some bit set whose next bit (cyclically) is clear,
 * and each such pair is one masked comparison (libseccomp takes one comparison per argument). */
static int add_personality(scmp_filter_ctx sc)
{
    int nr = seccomp_syscall_resolve_name("personality"), rc;
    unsigned b;
    if (nr == __NR_SCMP_ERROR)
        return 0;
    for (b = 0; b < 32; b++) {
        const uint64_t set = 1ull << b, clear = 1ull << ((b + 1) % 32);
        if ((rc = seccomp_rule_add(sc, SCMP_ACT_ERRNO(EPERM), nr, 1,
                                   SCMP_A0(SCMP_CMP_MASKED_EQ, set | clear, set))) < 0)
            return rc;
    }
    return 0;
}

static int add_rules(scmp_filter_ctx sc)
{
    size_t i;
    int nr, rc;

    for (i = 0; i < SG_ARRAY_SIZE(denied_calls); i++) {
        nr = seccomp_syscall_resolve_name(denied_calls[i].name);
        if (nr == __NR_SCMP_ERROR)
            continue; /* not a syscall of this architecture */
        if ((rc = seccomp_rule_add(sc, SCMP_ACT_ERRNO((uint32_t)denied_calls[i].err), nr, 0)) < 0)
            return rc;
    }
    nr = seccomp_syscall_resolve_name("clone");
    for (i = 0; nr != __NR_SCMP_ERROR && i < SG_ARRAY_SIZE(clone_ns_flags); i++) {
        rc = seccomp_rule_add(sc, SCMP_ACT_ERRNO(EPERM), nr, 1,
                              SCMP_A0(SCMP_CMP_MASKED_EQ, clone_ns_flags[i], clone_ns_flags[i]));
        if (rc < 0)
            return rc;
    }
    return add_personality(sc);
}

int sg_sandbox__seccomp_fd(int *out, sg_ctx *ctx)
{
    scmp_filter_ctx sc = seccomp_init(SCMP_ACT_ALLOW);
    int fd = -1, rc, error = 0;

    *out = -1;
    if (!sc)
        return sg_error_set(ctx, SG_EDEP, "cannot make the sandbox's seccomp filter");
    /* Only the native ABI: a 32-bit (int 0x80) or x32 call fails as if the kernel lacked it,
     * so no rule can be bypassed through another ABI's syscall numbers. */
    if ((rc = seccomp_attr_set(sc, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ERRNO(ENOSYS))) < 0 ||
        (rc = add_rules(sc)) < 0) {
        error = sg_error_set(ctx, SG_EDEP, "cannot make the sandbox's seccomp filter: %s",
                             strerror(-rc));
        goto done;
    }
    fd = (int)syscall(SYS_memfd_create, "seccomp", 0u);
    if (fd < 0) {
        error = sg_error_set(ctx, SG_EIO, "cannot make a memfd: %s", strerror(errno));
        goto done;
    }
    if ((rc = seccomp_export_bpf(sc, fd)) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        error = sg_error_set(ctx, SG_EDEP, "cannot export the sandbox's seccomp filter: %s",
                             strerror(rc < 0 ? -rc : errno));
        goto done;
    }
    *out = fd;
    fd = -1;
done:
    if (fd >= 0)
        close(fd);
    seccomp_release(sc);
    return error;
}
