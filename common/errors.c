#include "common/common.h"

#include <stdarg.h>
#include <stdio.h>

#include "common/ctx_int.h"

int sg_ctx_new(sg_ctx **out)
{
    sg_ctx *ctx;
    size_t i;

    *out = NULL;
    sg_json__init();
    ctx = sg_calloc(1, sizeof(*ctx));
    if (!ctx)
        return SG_ENOMEM;
    for (i = 0; i < SG_LIMIT__COUNT; i++)
        ctx->limits[i] = sg_limit_default((sg_limit)i);
    *out = ctx;
    return 0;
}

void sg_ctx_free(sg_ctx *ctx)
{
    sg_free(ctx);
}

int sg_error_vset(sg_ctx *ctx, int code, const char *fmt, va_list ap)
{
    if (!ctx || ctx->code != 0)
        return code; /* the first error is the root cause: keep it */
    ctx->code = code;
    vsnprintf(ctx->message, sizeof(ctx->message), fmt, ap);
    return code;
}

int sg_error_set(sg_ctx *ctx, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sg_error_vset(ctx, code, fmt, ap);
    va_end(ap);
    return code;
}

void sg_error_wrap(sg_ctx *ctx, const char *fmt, ...)
{
    char prefix[512];
    char joined[sizeof(ctx->message)];
    va_list ap;

    if (!ctx || ctx->code == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    {
        /* Truncation is acceptable here: the message stays one readable line. */
        size_t p = strlen(prefix), m = strlen(ctx->message);
        if (p > sizeof(joined) - 3)
            p = sizeof(joined) - 3;
        memcpy(joined, prefix, p);
        joined[p] = ':';
        joined[p + 1] = ' ';
        if (m > sizeof(joined) - p - 3)
            m = sizeof(joined) - p - 3;
        memcpy(joined + p + 2, ctx->message, m);
        joined[p + 2 + m] = '\0';
    }
    memcpy(ctx->message, joined, sizeof(joined));
}

const char *sg_error_message(const sg_ctx *ctx)
{
    return ctx ? ctx->message : "";
}

int sg_error_code_of(const sg_ctx *ctx)
{
    return ctx ? ctx->code : 0;
}

void sg_error_clear(sg_ctx *ctx)
{
    if (!ctx)
        return;
    ctx->code = 0;
    ctx->message[0] = '\0';
}

const char *sg_error_name(int code)
{
    switch (code) {
    case SG_OK: return "no error";
    case SG_ENOMEM: return "out of memory";
    case SG_EINVALID: return "invalid input";
    case SG_ELIMIT: return "limit exceeded";
    case SG_ENOTFOUND: return "not found";
    case SG_EIO: return "i/o error";
    case SG_ENET: return "network error";
    case SG_ECRYPTO: return "cryptographic error";
    case SG_EDEP: return "dependency failure";
    case SG_EUNSUPPORTED: return "not supported";
    case SG_EINTEGRITY: return "integrity mismatch";
    default: return "unknown error";
    }
}

const char *sg_version(void)
{
    return SG_VERSION;
}
