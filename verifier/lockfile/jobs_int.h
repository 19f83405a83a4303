/*
 * A small pool of worker threads running submitted jobs (lockfile verification, audits).
 *
 * Generic: a job is fn(arg, worker) where worker is the index (0..workers-1) of the thread
 * running it, so callers keep per-worker state (a context, a cache handle) in an array and
 * never share it between threads. Jobs start in submission order; sg_jobs_wait() returns when
 * every job submitted so far has finished.
 */
#ifndef SG_JOBS_INT_H
#define SG_JOBS_INT_H

#include <stddef.h>
#include "sourcegate/errors.h"

typedef struct sg_jobs sg_jobs;

/** A job: runs on worker thread `worker`; reports through its arg, never fails the pool. */
typedef void (*sg_job_fn)(void *arg, size_t worker);

/** The number of online CPUs (at least 1). */
size_t sg_jobs_default_workers(void);

/**
 * Start `workers` threads (0: sg_jobs_default_workers(); at most 256). If some threads cannot
 * be created the pool runs with those that were (SG_EDEP when none). Free with sg_jobs_free().
 */
int sg_jobs_new(sg_jobs **out, sg_ctx *ctx, size_t workers);

/** The number of threads running. */
size_t sg_jobs_workers(const sg_jobs *jobs);

/** Queue fn(arg, worker). SG_ENOMEM when the queue cannot grow. */
int sg_jobs_submit(sg_jobs *jobs, sg_ctx *ctx, sg_job_fn fn, void *arg);

/** Block until every submitted job has finished. */
void sg_jobs_wait(sg_jobs *jobs);

/** Wait for the queued jobs, stop and join the threads, free. NULL is accepted. */
void sg_jobs_free(sg_jobs *jobs);

#endif
