/*
 * The audit worker: threads that claim the jobs of a run, verify each release and complete the
 * job with its result, while the calling thread renews the leases, reports progress and
 * watches for cancellation (sg_store_work(), store.h). Moved out of cli/cmd_audit.c so that
 * the library, not the command, owns the claim -> verify -> complete loop.
 *
 * Leases: each worker claims with this process's owner name; the calling thread extends all
 * of them at once every lease_ms / 3. A process killed outright leaves its jobs leased: a
 * rerun on the same host requeues the jobs of owners whose process is gone
 * (sg_store_requeue_dead()), any other worker takes them once their lease runs out.
 */
#include "common/common.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

typedef struct work_state {
    const sg_store_work_opts *opts;   /* the caller's settings */
    uint64_t limits[SG_LIMIT__COUNT]; /* the caller's ctx's limits, for every worker's ctx */
    int stop;                         /* set (atomically) to stop claiming */
    int active;                       /* workers still running (atomic) */
    int fatal;                        /* first store error of a worker, 0 if none (atomic) */
    char fatal_msg[1024];             /* its message (written by the worker that set fatal) */
} work_state;

typedef struct worker {
    work_state *st;   /* shared state */
    pthread_t thread; /* its thread */
    int error;        /* the store error it stopped on, or 0 */
    char msg[1024];   /* its message */
} worker;

static int get_flag(int *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static double elapsed_ms(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) * 1e3 +
           (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

static void emit(const work_state *st, const sg_store_event *ev)
{
    if (st->opts->on_event)
        st->opts->on_event(ev, st->opts->payload);
}

static void emit_msg(const work_state *st, sg_store_event_kind kind, const sg_store_job *job,
                     const char *message, int retry)
{
    sg_store_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.job = job;
    ev.message = message;
    ev.retry = retry;
    emit(st, &ev);
}

/* A worker stops on a store error: report it and keep it for the end of the worker. */
static void store_error(worker *w, const char *message, int code)
{
    emit_msg(w->st, SG_STORE_EVENT_STORE_ERROR, NULL, message, 0);
    w->error = code < 0 ? code : SG_EDEP;
    snprintf(w->msg, sizeof(w->msg), "%s", message);
}

/* The first worker to stop on an error makes it the result of sg_store_work(). */
static void set_fatal(work_state *st, const worker *w)
{
    int none = 0;
    if (__atomic_compare_exchange_n(&st->fatal, &none, w->error, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST))
        snprintf(st->fatal_msg, sizeof(st->fatal_msg), "%s", w->msg);
}

/* Operational errors worth another attempt (network, disk, a dependency hiccup). */
static int retryable(int code)
{
    return code == SG_ENET || code == SG_EIO || code == SG_EDEP || code == SG_ENOMEM;
}

/* Complete a job with its verified report. Returns 0, or -1 on a store failure. */
static int complete_job(worker *w, sg_ctx *ctx, sg_store *store, const sg_store_job *job,
                        const sg_report *report, const sg_buf *json)
{
    sg_store_result res = SG_STORE_RESULT_INIT;
    const char *version = sg_report_get(report, SG_REPORT_VERSION);
    int error;

    res.ecosystem = job->ecosystem;
    res.name = job->name;
    res.version = (char *)(version ? version : job->spec);
    res.integrity = (char *)sg_report_get(report, SG_REPORT_ARTIFACT_INTEGRITY);
    res.verdict = sg_report_verdict(report);
    res.report_json = json->ptr;
    res.report_len = json->size;
    res.verified_at = (int64_t)time(NULL);
    res.options = (char *)w->st->opts->options;
    error = sg_store_complete(store, ctx, job, &res);
    if (error == SG_ENOTFOUND) {
        emit_msg(w->st, SG_STORE_EVENT_DROPPED, job, sg_error_message(ctx), 0);
    } else if (error < 0) {
        store_error(w, sg_error_message(ctx), error);
        return -1;
    }
    return 0;
}

/* Verify one claimed release and record the outcome. Returns 0, or -1 on a store failure. */
static int verify_job(worker *w, sg_ctx *ctx, sg_store *store, sg_cache *cache,
                      const sg_store_job *job)
{
    const work_state *st = w->st;
    sg_verify_release_opts o = *st->opts->verify;
    sg_rebuild_opts rebuild;
    sg_report *report = NULL;
    sg_buf json = SG_BUF_INIT;
    char msg[1024];
    int error, rc = 0;

    o.name = job->name;
    o.spec = job->spec;
    o.cache = cache;
    if (o.rebuild && o.npm_config) {
        /* as verify NAME@VERSION: the install step may reach the package's own registry */
        rebuild = *o.rebuild;
        rebuild.registry = sg_npm_config_registry_for(o.npm_config, job->name);
        o.rebuild = &rebuild;
    }
    error = sg_verify_release(&report, ctx, &o);
    if (error == 0 && (error = sg_report_write_json(&json, ctx, report)) == 0) {
        rc = complete_job(w, ctx, store, job, report, &json);
    } else if (error < 0) {
        int retry = retryable(error) && job->attempts < st->opts->max_attempts;
        snprintf(msg, sizeof(msg), "%s", sg_error_message(ctx));
        sg_error_clear(ctx);
        emit_msg(st, SG_STORE_EVENT_JOB_FAILED, job, msg, retry);
        if ((error = sg_store_fail(store, ctx, job, msg, retry)) < 0 && error != SG_ENOTFOUND) {
            store_error(w, sg_error_message(ctx), error);
            rc = -1;
        }
    }
    sg_error_clear(ctx);
    sg_buf_dispose(&json);
    sg_report_free(report);
    return rc;
}

/* Nothing claimable now: 1 when the run has nothing left at all, 0 to wait, -1 on error. */
static int run_finished(worker *w, sg_ctx *ctx, sg_store *store)
{
    sg_store_stats s;
    int error;
    sg_error_clear(ctx);
    if ((error = sg_store_run_stats(&s, ctx, store, w->st->opts->run)) < 0) {
        store_error(w, sg_error_message(ctx), error);
        return -1;
    }
    return s.queued == 0 && s.running == 0;
}

/* A worker's own context with the caller's limits, store connection and cache handle. */
static int worker_open(sg_ctx **ctx, sg_store **store, sg_cache **cache, const work_state *st)
{
    int error, i;
    if ((error = sg_ctx_new(ctx)) < 0)
        return error;
    for (i = 0; i < SG_LIMIT__COUNT; i++)
        if ((error = sg_ctx_set_limit(*ctx, (sg_limit)i, st->limits[i])) < 0)
            return error;
    if ((error = sg_store_open(store, *ctx, st->opts->url, NULL)) < 0 ||
        (error = sg_cache_open(cache, *ctx, st->opts->cache_dir)) < 0)
        return error;
    return 0;
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    work_state *st = w->st;
    sg_ctx *ctx = NULL;
    sg_store *store = NULL;
    sg_cache *cache = NULL;
    sg_store_job job = SG_STORE_JOB_INIT;
    int error, done;

    if ((error = worker_open(&ctx, &store, &cache, st)) < 0) {
        store_error(w, ctx ? sg_error_message(ctx) : "out of memory", error);
        set_fatal(st, w);
        goto out;
    }
    while (!get_flag(&st->stop)) {
        error =
            sg_store_claim(&job, ctx, store, st->opts->run, st->opts->owner, st->opts->lease_ms);
        if (error == 0) {
            if (verify_job(w, ctx, store, cache, &job) < 0)
                break;
            continue;
        }
        if (error != SG_ENOTFOUND) {
            store_error(w, sg_error_message(ctx), error);
            break;
        }
        if ((done = run_finished(w, ctx, store)) != 0) {
            if (done > 0)
                goto out;
            break;
        }
        nap_ms(300); /* jobs are leased by other workers: wait for them or their leases */
    }
    /* stopped on an error, not asked to stop: the run cannot finish here */
    if (!get_flag(&st->stop)) {
        if (!w->error)
            w->error = SG_EDEP;
        set_fatal(st, w);
    }
out:
    sg_store_job_dispose(&job);
    sg_cache_free(cache);
    sg_store_free(store);
    sg_ctx_free(ctx);
    __atomic_sub_fetch(&st->active, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Start the workers; returns how many started (a failure stops the others from claiming). */
static long start_workers(work_state *st, worker *w, long n)
{
    sg_store_event ev;
    long i;
    __atomic_store_n(&st->active, (int)n, __ATOMIC_SEQ_CST);
    for (i = 0; i < n; i++) {
        w[i].st = st;
        if (pthread_create(&w[i].thread, NULL, worker_main, &w[i]) != 0) {
            __atomic_store_n(&st->active, (int)i, __ATOMIC_SEQ_CST);
            __atomic_store_n(&st->stop, 1, __ATOMIC_SEQ_CST);
            memset(&ev, 0, sizeof(ev));
            ev.kind = SG_STORE_EVENT_THREAD_ERROR;
            ev.count = (uint64_t)i;
            emit(st, &ev);
            return i;
        }
    }
    return n;
}

/* Cancelled: stop claiming and give back the jobs in hand. */
static void cancel(work_state *st, sg_ctx *ctx, sg_store *store)
{
    sg_store_event ev;
    uint64_t n = 0;
    __atomic_store_n(&st->stop, 1, __ATOMIC_SEQ_CST);
    sg_error_clear(ctx);
    sg_store_requeue_owner(store, ctx, st->opts->run, st->opts->owner, &n);
    sg_error_clear(ctx);
    memset(&ev, 0, sizeof(ev));
    ev.kind = SG_STORE_EVENT_CANCELLED;
    ev.count = n;
    emit(st, &ev);
}

static void report_progress(work_state *st, sg_ctx *ctx, sg_store *store)
{
    sg_store_event ev;
    sg_store_stats s;
    if (sg_store_run_stats(&s, ctx, store, st->opts->run) == 0) {
        memset(&ev, 0, sizeof(ev));
        ev.kind = SG_STORE_EVENT_PROGRESS;
        ev.stats = &s;
        emit(st, &ev);
    }
    sg_error_clear(ctx);
}

/* Heartbeats, progress and cancellation until the workers are done. */
static void supervise(work_state *st, sg_ctx *ctx, sg_store *store)
{
    const sg_store_work_opts *o = st->opts;
    struct timespec last_beat, last_progress;
    int cancelled = 0;

    clock_gettime(CLOCK_MONOTONIC, &last_beat);
    last_progress = last_beat;
    while (get_flag(&st->active) > 0) {
        nap_ms(o->tick_ms);
        if (!cancelled && o->cancelled && o->cancelled(o->payload)) {
            cancel(st, ctx, store);
            cancelled = 1;
        }
        if (cancelled)
            continue; /* wait for the verifications in progress, nothing else */
        if (elapsed_ms(&last_beat) >= (double)o->lease_ms / 3) {
            clock_gettime(CLOCK_MONOTONIC, &last_beat);
            if (sg_store_heartbeat(store, ctx, o->owner, o->lease_ms, NULL) < 0) {
                emit_msg(st, SG_STORE_EVENT_LEASE_ERROR, NULL, sg_error_message(ctx), 0);
                sg_error_clear(ctx);
            }
        }
        if (o->progress_ms > 0 && elapsed_ms(&last_progress) >= (double)o->progress_ms) {
            clock_gettime(CLOCK_MONOTONIC, &last_progress);
            report_progress(st, ctx, store);
        }
    }
}

int sg_store_work(sg_ctx *ctx, sg_store *store, const sg_store_work_opts *opts)
{
    work_state st;
    worker *w = NULL;
    long started = 0, i;
    int error = 0;

    if (!opts || !opts->url || !opts->cache_dir || !opts->run || !opts->owner || !opts->verify ||
        opts->workers < 1 || opts->workers > 1024 || opts->lease_ms <= 0 || opts->tick_ms <= 0)
        return sg_error_set(ctx, SG_EINVALID, "invalid options for the audit workers");
    memset(&st, 0, sizeof(st));
    st.opts = opts;
    for (i = 0; i < SG_LIMIT__COUNT; i++)
        st.limits[i] = sg_ctx_limit(ctx, (sg_limit)i);
    if (!(w = sg_calloc((size_t)opts->workers, sizeof(*w)))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory starting the audit workers");
        goto done;
    }
    started = start_workers(&st, w, opts->workers);
    supervise(&st, ctx, store);
    for (i = 0; i < started; i++)
        pthread_join(w[i].thread, NULL);
    if ((error = get_flag(&st.fatal)) < 0)
        sg_error_set(ctx, error, "%s", st.fatal_msg);
done:
    sg_free(w);
    return error;
}

/* ---- owners -------------------------------------------------------------------------- */

void sg_store_owner_name(char *out, size_t size)
{
    char host[128] = "localhost", boot[40] = "", *nl;
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    struct timespec ts;
    if (f) {
        if (!fgets(boot, sizeof(boot), f))
            boot[0] = '\0';
        fclose(f);
    }
    if ((nl = strchr(boot, '\n')) != NULL)
        *nl = '\0';
    boot[8] = '\0';
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    clock_gettime(CLOCK_REALTIME, &ts);
    snprintf(out, size, "%.100s:%s/%ld/%lx", host, boot, (long)getpid(),
             (unsigned long)ts.tv_nsec ^ ((unsigned long)ts.tv_sec << 20));
}

typedef struct dead_owners {
    const char *owner;  /* ours */
    char found[8][256]; /* dead owners seen */
    size_t n;           /* how many */
} dead_owners;

/* An owner on this host whose process is gone (or whose pid is now ours). */
static int note_dead_owner(const char *owner, void *payload)
{
    dead_owners *d = payload;
    const char *slash = strchr(owner, '/'), *mine = strchr(d->owner, '/');
    long pid;
    char *end = NULL;
    if (!slash || !mine || slash - owner != mine - d->owner ||
        strncmp(owner, d->owner, (size_t)(slash - owner)) != 0 || d->n == 8)
        return 0;
    pid = strtol(slash + 1, &end, 10);
    if (!end || *end != '/' || pid <= 0 || strcmp(owner, d->owner) == 0)
        return 0;
    if (pid == (long)getpid() || (kill((pid_t)pid, 0) < 0 && errno == ESRCH))
        snprintf(d->found[d->n++], sizeof(d->found[0]), "%s", owner);
    return 0;
}

int sg_store_requeue_dead(uint64_t *requeued, sg_ctx *ctx, sg_store *store, const char *run,
                          const char *owner)
{
    dead_owners d;
    size_t i;
    uint64_t n = 0;
    int error;

    *requeued = 0;
    memset(&d, 0, sizeof(d));
    d.owner = owner;
    if ((error = sg_store_foreach_owner(store, ctx, run, note_dead_owner, &d)) < 0)
        return error;
    for (i = 0; i < d.n; i++) {
        if ((error = sg_store_requeue_owner(store, ctx, run, d.found[i], &n)) < 0)
            return error;
        *requeued += n;
    }
    return 0;
}
