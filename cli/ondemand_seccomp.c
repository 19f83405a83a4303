/*
 * libseccomp's functions the executable calls, forwarded to libseccomp loaded on first use
 * (ondemand.c says why and how): only a rebuild needs it, to export its filter (in the parent,
 * before any sandbox starts: verifier/rebuild/sandbox_seccomp.c).
 *
 * Variadic functions. seccomp_rule_add(ctx, action, syscall, arg_cnt, ...) takes arg_cnt
 * struct scmp_arg_cmp by value; libseccomp's own seccomp_rule_add collects them into an array
 * for seccomp_rule_add_array, and so does the forwarder.
 */
#include <seccomp.h>

#include "ondemand_int.h"

#include <errno.h>
#include <stdarg.h>

/* The most argument comparisons a rule takes: a system call has at most six arguments
 * (libseccomp's ARG_COUNT_MAX, which is not in its public header). */
#define RULE_ARGS_MAX 6

/* Not clang-formatted: in a macro argument it takes "T **p" for a product. */
// clang-format off
FORWARD(seccomp, int, seccomp_attr_set,
        (scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value), (ctx, attr, value))
FORWARD(seccomp, int, seccomp_export_bpf, (const scmp_filter_ctx ctx, int fd), (ctx, fd))
FORWARD(seccomp, scmp_filter_ctx, seccomp_init, (uint32_t def_action), (def_action))
FORWARD_VOID(seccomp, seccomp_release, (scmp_filter_ctx ctx), (ctx))
FORWARD(seccomp, int, seccomp_syscall_resolve_name, (const char *name), (name))
// clang-format on

int seccomp_rule_add(scmp_filter_ctx ctx, uint32_t action, int syscall, unsigned int arg_cnt, ...)
{
    SG_ONDEMAND_SYMBOL(seccomp, seccomp_rule_add_array);
    struct scmp_arg_cmp args[RULE_ARGS_MAX];
    unsigned int i;
    va_list ap;

    if (arg_cnt > RULE_ARGS_MAX)
        return -EINVAL; /* what libseccomp's seccomp_rule_add returns */
    va_start(ap, arg_cnt);
    for (i = 0; i < arg_cnt; i++)
        args[i] = va_arg(ap, struct scmp_arg_cmp);
    va_end(ap);
    return fn(ctx, action, syscall, arg_cnt, args);
}
