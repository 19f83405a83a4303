/*
 * sourcegate: errors and the per-call context.
 *
 * Every fallible function returns int: 0 on success or a negative SG_E* code. The
 * human-readable message goes into the sg_ctx passed in; there is no global error state, so
 * separate threads with separate contexts are safe (libgit2 docs/error-handling.md).
 */
#ifndef SOURCEGATE_ERRORS_H
#define SOURCEGATE_ERRORS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Error codes. 0 is success; every error is negative. */
typedef enum {
    SG_OK = 0,
    SG_ENOMEM = -1,       /**< allocation failed */
    SG_EINVALID = -2,     /**< bad input: malformed tarball, JSON, argument, ... */
    SG_ELIMIT = -3,       /**< input exceeded a limit of limits.h */
    SG_ENOTFOUND = -4,    /**< a named thing (file, ref, entry) does not exist */
    SG_EIO = -5,          /**< reading or writing a local file failed */
    SG_ENET = -6,         /**< network failure */
    SG_ECRYPTO = -7,      /**< a cryptographic operation failed */
    SG_EDEP = -8,         /**< a dependency (libgit2, libarchive, ...) failed unexpectedly */
    SG_EUNSUPPORTED = -9, /**< the operation is not implemented or not available here */
    SG_EINTEGRITY = -10,  /**< downloaded bytes do not match their published digest */
} sg_error_code;

/** Opaque per-call context: the last error and the limits in force. */
typedef struct sg_ctx sg_ctx;

/**
 * Allocate a context with the default limits. *out is NULL on failure.
 * Free with sg_ctx_free(). Returns 0 or SG_ENOMEM.
 */
int sg_ctx_new(sg_ctx **out);

/** Free a context; NULL is accepted. */
void sg_ctx_free(sg_ctx *ctx);

/**
 * Record an error in ctx and return code (so callers can `return sg_error_set(...)`).
 * The first error set since the last sg_ctx_clear() wins: a later call keeps the earlier
 * message, so the root cause is what the user sees. ctx may be NULL (the message is dropped).
 * Messages are lowercase, problem first, the subject quoted (STYLE.md).
 */
int sg_error_set(sg_ctx *ctx, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/** Like sg_error_set() with a va_list. */
int sg_error_vset(sg_ctx *ctx, int code, const char *fmt, va_list ap);

/**
 * Prefix the current message with "what: " to add context on the way up
 * (e.g. "reading tarball 'x.tgz': ..."). No effect when no error is set.
 */
void sg_error_wrap(sg_ctx *ctx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/** The message of the recorded error, "" when none. Borrowed; valid until the next call. */
const char *sg_error_message(const sg_ctx *ctx);

/** The code of the recorded error, 0 when none. */
int sg_error_code_of(const sg_ctx *ctx);

/** Forget the recorded error. */
void sg_error_clear(sg_ctx *ctx);

/** A short static name for a code: "out of memory", "invalid input", ... */
const char *sg_error_name(int code);

#ifdef __cplusplus
}
#endif
#endif
