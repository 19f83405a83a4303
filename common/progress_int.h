/*
 * Reporting progress of long steps to the caller's callback (sourcegate/progress.h). Every
 * call is cheap when no callback is set. `what` is untrusted text (URLs, script names): it is
 * passed on with control and non-ASCII bytes as '?' and cut to 200 bytes.
 */
#ifndef SG_COMMON_PROGRESS_INT_H
#define SG_COMMON_PROGRESS_INT_H

#include <stdint.h>

#include "sourcegate/progress.h"

/** Is anyone listening on ctx? */
int sg_progress_wanted(const sg_ctx *ctx);

/** A long step begins. */
void sg_progress_start(sg_ctx *ctx, const char *step, const char *what);

/** It has done `done` of `total` (0: unknown) units. */
void sg_progress_update(sg_ctx *ctx, const char *step, const char *what, uint64_t done,
                        uint64_t total, const char *unit);

/** It ended; ok is 1 when it succeeded. */
void sg_progress_end(sg_ctx *ctx, const char *step, const char *what, int ok);

#endif
