/*
 * sourcegate: progress of long steps, for a person watching.
 *
 * Fetching a repository, downloading a tarball and each step of a rebuild can take seconds to
 * minutes. A caller that wants to show where the time goes sets a callback on its sg_ctx; the
 * library calls it from the thread that uses that context, at the start and end of each long
 * step and, for steps that count something (objects received, bytes downloaded), as the count
 * grows. Every string is already made safe to print: no control bytes, bounded length.
 */
#ifndef SOURCEGATE_PROGRESS_H
#define SOURCEGATE_PROGRESS_H

#include <stdint.h>
#include "errors.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Where a step is. */
typedef enum {
    SG_PROGRESS_START = 0,  /**< the step begins */
    SG_PROGRESS_UPDATE = 1, /**< done (and maybe total) changed */
    SG_PROGRESS_END = 2,    /**< the step ended (ok says how) */
} sg_progress_phase;

/** One event. Strings are borrowed for the call. */
typedef struct sg_progress_event {
    sg_progress_phase phase; /**< start, update or end */
    const char *step;        /**< "fetch", "download", "rebuild", ... */
    const char *what;        /**< what the step works on: a URL, "install: npm ci" */
    uint64_t done;           /**< units done (UPDATE and END; 0 when the step counts nothing) */
    uint64_t total;          /**< units expected, 0 when unknown */
    const char *unit;        /**< "objects", "bytes", or NULL */
    int ok;                  /**< END: 1 when the step succeeded */
} sg_progress_event;

/** The callback; payload is what was given to sg_ctx_set_progress(). */
typedef void (*sg_progress_fn)(void *payload, const sg_progress_event *event);

/** Report progress of the work done with ctx to fn (NULL: report nothing, the default). */
void sg_ctx_set_progress(sg_ctx *ctx, sg_progress_fn fn, void *payload);

#ifdef __cplusplus
}
#endif
#endif
