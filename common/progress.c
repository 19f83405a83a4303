/*
 * Progress events, sanitized, to the callback set on the context.
 */
#include "common/common.h"

#include "common/ctx_int.h"

#define PROGRESS_WHAT_MAX 200 /* bytes of `what` passed on */

void sg_ctx_set_progress(sg_ctx *ctx, sg_progress_fn fn, void *payload)
{
    if (!ctx)
        return;
    ctx->progress = fn;
    ctx->progress_payload = payload;
}

int sg_progress_wanted(const sg_ctx *ctx)
{
    return ctx && ctx->progress;
}

static void emit(sg_ctx *ctx, sg_progress_event *ev, const char *what)
{
    char shown[PROGRESS_WHAT_MAX + 4];
    size_t i, o = 0;

    if (!sg_progress_wanted(ctx))
        return;
    /* printable ASCII only: the listener prints it on a terminal */
    for (i = 0; what && what[i] && o < PROGRESS_WHAT_MAX; i++)
        shown[o++] = (what[i] >= 0x20 && what[i] < 0x7f) ? what[i] : '?';
    if (what && what[i])
        for (i = 0; i < 3; i++)
            shown[o++] = '.';
    shown[o] = '\0';
    ev->what = shown;
    ctx->progress(ctx->progress_payload, ev);
}

void sg_progress_start(sg_ctx *ctx, const char *step, const char *what)
{
    sg_progress_event ev = {SG_PROGRESS_START, step, NULL, 0, 0, NULL, 0};
    emit(ctx, &ev, what);
}

void sg_progress_update(sg_ctx *ctx, const char *step, const char *what, uint64_t done,
                        uint64_t total, const char *unit)
{
    sg_progress_event ev = {SG_PROGRESS_UPDATE, step, NULL, done, total, unit, 0};
    emit(ctx, &ev, what);
}

void sg_progress_end(sg_ctx *ctx, const char *step, const char *what, int ok)
{
    sg_progress_event ev = {SG_PROGRESS_END, step, NULL, 0, 0, NULL, ok != 0};
    emit(ctx, &ev, what);
}
