#ifndef SG_CTX_INT_H
#define SG_CTX_INT_H

#include "sourcegate/limits.h"
#include "sourcegate/progress.h"

struct sg_ctx {
    int code;                          /* first error since the last clear, 0 when none */
    char message[1024];                /* its message */
    uint64_t limits[SG_LIMIT__COUNT];  /* limits in force */
    sg_progress_fn progress;           /* progress callback, or NULL */
    void *progress_payload;            /* its payload */
};

#endif
