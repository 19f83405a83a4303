/*
 * The worker pool of jobs_int.h: a FIFO of jobs under one mutex, one condition for workers
 * (work or stop) and one for waiters (all done).
 */
#include "common/common.h"

#include <pthread.h>
#include <unistd.h>

#include "verifier/lockfile/jobs_int.h"

#define JOBS_MAX_WORKERS 256

typedef struct job {
    sg_job_fn fn; /* what to run */
    void *arg;    /* its argument */
} job;

typedef struct worker {
    sg_jobs *pool;    /* the pool it serves */
    size_t index;     /* passed to each job */
    pthread_t thread; /* the thread */
} worker;

struct sg_jobs {
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t work;  /* a job was queued, or stop was set */
    pthread_cond_t idle;  /* pending reached 0 */
    job *queue;           /* ring buffer of queued jobs */
    size_t head, count;   /* first queued job, how many */
    size_t cap;           /* ring size */
    size_t pending;       /* queued + running */
    int stop;             /* workers exit once the queue is empty */
    worker *workers;      /* the threads */
    size_t nworkers;      /* how many started */
};

size_t sg_jobs_default_workers(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > JOBS_MAX_WORKERS ? JOBS_MAX_WORKERS : (size_t)n;
}

static void *worker_main(void *p)
{
    worker *w = p;
    sg_jobs *pool = w->pool;

    pthread_mutex_lock(&pool->lock);
    for (;;) {
        job j;
        while (!pool->count && !pool->stop)
            pthread_cond_wait(&pool->work, &pool->lock);
        if (!pool->count)
            break; /* stop, and nothing left */
        j = pool->queue[pool->head];
        pool->head = (pool->head + 1) % pool->cap;
        pool->count--;
        pthread_mutex_unlock(&pool->lock);
        j.fn(j.arg, w->index);
        pthread_mutex_lock(&pool->lock);
        if (--pool->pending == 0)
            pthread_cond_broadcast(&pool->idle);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

int sg_jobs_new(sg_jobs **out, sg_ctx *ctx, size_t workers)
{
    sg_jobs *pool;
    size_t i;

    *out = NULL;
    if (workers == 0)
        workers = sg_jobs_default_workers();
    if (workers > JOBS_MAX_WORKERS)
        workers = JOBS_MAX_WORKERS;
    if (!(pool = sg_calloc(1, sizeof(*pool))) ||
        !(pool->workers = sg_calloc(workers, sizeof(*pool->workers)))) {
        sg_free(pool);
        return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    pthread_cond_init(&pool->idle, NULL);
    for (i = 0; i < workers; i++) {
        worker *w = &pool->workers[pool->nworkers];
        w->pool = pool;
        w->index = pool->nworkers;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            break;
        pool->nworkers++;
    }
    if (!pool->nworkers) {
        sg_jobs_free(pool);
        return sg_error_set(ctx, SG_EDEP, "cannot start a worker thread");
    }
    *out = pool;
    return 0;
}

size_t sg_jobs_workers(const sg_jobs *jobs)
{
    return jobs->nworkers;
}

/* Double the ring, unrolling it so the queue starts at 0. Called with the lock held. */
static int grow(sg_jobs *pool)
{
    size_t cap = pool->cap ? pool->cap * 2 : 64, i, bytes;
    job *q;
    if (sg_mul_overflow(&bytes, cap, sizeof(*q)) || !(q = sg_malloc(bytes)))
        return SG_ENOMEM;
    for (i = 0; i < pool->count; i++)
        q[i] = pool->queue[(pool->head + i) % pool->cap];
    sg_free(pool->queue);
    pool->queue = q;
    pool->head = 0;
    pool->cap = cap;
    return 0;
}

int sg_jobs_submit(sg_jobs *pool, sg_ctx *ctx, sg_job_fn fn, void *arg)
{
    pthread_mutex_lock(&pool->lock);
    if (pool->count == pool->cap && grow(pool) < 0) {
        pthread_mutex_unlock(&pool->lock);
        return sg_error_set(ctx, SG_ENOMEM, "out of memory queueing a job");
    }
    pool->queue[(pool->head + pool->count) % pool->cap] = (job){fn, arg};
    pool->count++;
    pool->pending++;
    pthread_cond_signal(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    return 0;
}

void sg_jobs_wait(sg_jobs *pool)
{
    pthread_mutex_lock(&pool->lock);
    while (pool->pending)
        pthread_cond_wait(&pool->idle, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
}

void sg_jobs_free(sg_jobs *pool)
{
    size_t i;
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stop = 1;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (i = 0; i < pool->nworkers; i++)
        pthread_join(pool->workers[i].thread, NULL);
    pthread_cond_destroy(&pool->idle);
    pthread_cond_destroy(&pool->work);
    pthread_mutex_destroy(&pool->lock);
    sg_free(pool->queue);
    sg_free(pool->workers);
    sg_free(pool);
}
