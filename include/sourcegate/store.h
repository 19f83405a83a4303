/*
 * sourcegate: the results store and the audit job queue (DESIGN.md "Store and scale").
 *
 * One schema, two backends chosen by URL:
 *   "sqlite:PATH" or a plain PATH   a SQLite file in WAL mode (the default: audit.sqlite in the
 *                                   cache folder); writers take IMMEDIATE transactions
 *   "postgresql://..." ("postgres://")  PostgreSQL through libpq; any number of workers on any
 *                                   number of machines share one queue, jobs are taken with
 *                                   SELECT ... FOR UPDATE SKIP LOCKED
 *
 * Results are keyed by (ecosystem, name, version, integrity) and hold the verdict, the report
 * JSON and when it was made. The queue holds the jobs of audit runs: a run is a list of
 * (ecosystem, name, spec) enqueued once; a worker claims a job with a lease, extends the lease
 * while it works, and completes it by writing the result in the same transaction that marks
 * the job done. A lease that runs out (the worker died) makes the job claimable again; a
 * completion whose claim was superseded writes nothing, so every job is completed once.
 *
 * The schema is versioned (SG_STORE_SCHEMA_VERSION); opening a store migrates an older one
 * in one transaction and refuses a newer one.
 *
 * A store handle is one database connection: use it from one thread at a time (open one per
 * worker thread). All strings are UTF-8; stored data is read back with the JSON limits of the
 * ctx in force (a store is shared and treated as untrusted input).
 */
#ifndef SOURCEGATE_STORE_H
#define SOURCEGATE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "errors.h"
#include "report.h"
#include "verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The schema version this library writes. */
#define SG_STORE_SCHEMA_VERSION 3

/** File name of the default SQLite store inside the cache folder. */
#define SG_STORE_DEFAULT_FILE "audit.sqlite"

typedef struct sg_store sg_store;

typedef struct sg_store_opts {
    /** Clock for leases and timestamps, in milliseconds since the epoch (tests); NULL: the
     *  system clock (SQLite) or the database server's clock (PostgreSQL). */
    int64_t (*clock_ms)(void *payload);
    void *clock_payload;   /**< passed to clock_ms */
    long busy_timeout_ms;  /**< SQLite: wait this long for a lock; 0: 30 s */
    long connect_timeout_s; /**< PostgreSQL: connection timeout; 0: 10 s */
} sg_store_opts;

#define SG_STORE_OPTS_INIT { NULL, NULL, 0, 0 }

/**
 * Open the store at url (see above; opts may be NULL), creating and migrating the schema as
 * needed. A SQLite file's folder must exist. Free with sg_store_free(). Errors: SG_EINVALID
 * (empty URL), SG_EUNSUPPORTED (another scheme, or a schema newer than this library), SG_EIO
 * (SQLite cannot open or write the file), SG_ENET (PostgreSQL unreachable or refusing),
 * SG_EDEP (any other database error), SG_ENOMEM.
 */
int sg_store_open(sg_store **out, sg_ctx *ctx, const char *url, const sg_store_opts *opts);

/** Close the connection and free the handle; NULL is accepted. */
void sg_store_free(sg_store *store);

/** "sqlite" or "postgresql". */
const char *sg_store_backend_name(const sg_store *store);

/** The schema version of the open database (SG_STORE_SCHEMA_VERSION after a migration). */
int sg_store_schema_version(int *out, sg_ctx *ctx, sg_store *store);

/* ---- results ------------------------------------------------------------------------- */

/** One stored verification result. Strings read from the store are owned by the struct. */
typedef struct sg_store_result {
    char *ecosystem;    /**< "npm" */
    char *name;         /**< package name */
    char *version;      /**< exact version */
    char *integrity;    /**< the artifact's SRI integrity ("" when unknown) */
    sg_verdict verdict; /**< pass, fail or inconclusive */
    char *report_json;  /**< the report, schema sourcegate/report/v1 */
    size_t report_len;  /**< its length in bytes */
    int64_t verified_at; /**< when it was verified, seconds since the epoch (UTC) */
    char *options;      /**< the verdict options that produced it (the CLI's canonical
                             "verdict-options/1 ..." string, docs/lockfile.md); "" for results
                             stored before schema version 3 or without any (NULL is stored as
                             ""). A caller reuses a result only for the same options */
} sg_store_result;

#define SG_STORE_RESULT_INIT { NULL, NULL, NULL, NULL, SG_VERDICT_PASS, NULL, 0, 0, NULL }

/** Free the strings of a result read from the store and reset it to SG_STORE_RESULT_INIT. */
void sg_store_result_dispose(sg_store_result *result);

/**
 * The stored result for (ecosystem, name, version, integrity) into *out (which must be
 * SG_STORE_RESULT_INIT or disposed). SG_ENOTFOUND when there is none; SG_EINVALID when the
 * stored row is malformed (unknown verdict, report over the JSON size limit).
 */
int sg_store_get_result(sg_store_result *out, sg_ctx *ctx, sg_store *store,
                        const char *ecosystem, const char *name, const char *version,
                        const char *integrity);

/**
 * Store a result (insert, or replace the one with the same key: one result per artifact, the
 * latest verification's, whatever its options). The strings are copied into
 * the database; integrity NULL is stored as "". SG_EINVALID for a missing name or version, or
 * a report over the JSON size limit.
 */
int sg_store_put_result(sg_store *store, sg_ctx *ctx, const sg_store_result *result);

/** Called for each stored result, in (name, version) order; a non-zero return stops the walk
 *  and is returned. The result is borrowed for the call. */
typedef int (*sg_store_result_cb)(const sg_store_result *result, void *payload);

/** Walk every stored result. Malformed rows are an SG_EINVALID error. The callback must not
 *  use the store (PostgreSQL streams the rows on the same connection). */
int sg_store_foreach_result(sg_store *store, sg_ctx *ctx, sg_store_result_cb cb, void *payload);

/* ---- audit runs and the job queue ---------------------------------------------------- */

/** One release to audit: spec is an exact version, a dist-tag or a range. */
typedef struct sg_store_job_spec {
    const char *ecosystem; /**< "npm" (NULL means "npm") */
    const char *name;      /**< package name */
    const char *spec;      /**< version, dist-tag ("latest") or range */
} sg_store_job_spec;

/** Longest run identifier, without the NUL. */
#define SG_STORE_RUN_MAX 127

/**
 * Start or resume an audit run. The run's key is `name` when given, else a digest of `params`
 * (options that change verdicts, e.g. the registry and --fail-on) and the list. The newest
 * run with that key is resumed when it still has unfinished jobs; otherwise (none yet, or all
 * finished) a new run "<key>/<N+1>" is created and the list enqueued, in one transaction, so
 * a process killed at any moment leaves either no run or a complete queue. Duplicate entries
 * are queued once. Resuming a run also queues its error jobs again (an error is never a
 * result; their attempts stay counted, so sg_store_work()'s max_attempts still bounds the
 * retries: a job that has used them up gets one claim per resume).
 * Resuming a run started with other params is refused (SG_EINVALID naming both): a run's
 * jobs are verified with the run's options, whichever worker verifies them. *run_out receives the run id (at most SG_STORE_RUN_MAX bytes, sg_malloc'd;
 * free with sg_store_string_free()); *created is 1 for a new run. SG_EINVALID for an empty
 * list, a name longer than 64 bytes or an entry without a name or spec.
 */
int sg_store_run_open(char **run_out, int *created, sg_ctx *ctx, sg_store *store,
                      const char *name, const char *params, const sg_store_job_spec *jobs,
                      size_t njobs);

/** Free a string returned by the store. */
void sg_store_string_free(char *s);

/** A claimed job. The strings are owned by the struct; dispose with sg_store_job_dispose(). */
typedef struct sg_store_job {
    char *run;       /**< run id */
    char *ecosystem; /**< "npm" */
    char *name;      /**< package name */
    char *spec;      /**< version, dist-tag or range as listed */
    char token[33];  /**< this claim's identity (hex); a later claim of the job replaces it */
    int attempts;    /**< claims of this job so far, this one included */
} sg_store_job;

#define SG_STORE_JOB_INIT { NULL, NULL, NULL, NULL, {0}, 0 }

void sg_store_job_dispose(sg_store_job *job);

/**
 * Claim the next job of `run` in list order: a queued job, or a running one whose lease has
 * run out. The job becomes running under `owner` (a free-form worker name, at most 200 bytes,
 * e.g. "host/pid/nonce") until now + lease_ms. SG_ENOTFOUND when nothing is claimable now
 * (see sg_store_run_stats() for whether anything is left). *job must be SG_STORE_JOB_INIT
 * or disposed.
 */
int sg_store_claim(sg_store_job *job, sg_ctx *ctx, sg_store *store, const char *run,
                   const char *owner, int64_t lease_ms);

/** Extend the lease of one claimed job to now + lease_ms. SG_ENOTFOUND when the claim was
 *  superseded or the job is no longer running (the worker should drop it). */
int sg_store_extend(sg_store *store, sg_ctx *ctx, const sg_store_job *job, int64_t lease_ms);

/** Extend every running job of `owner` to now + lease_ms (one heartbeat for all the workers
 *  of a process); *extended (may be NULL) receives how many. */
int sg_store_heartbeat(sg_store *store, sg_ctx *ctx, const char *owner, int64_t lease_ms,
                       uint64_t *extended);

/**
 * Complete a claimed job with its result, in one transaction: the job is marked done (with
 * the verdict, version and integrity) and the result stored as by sg_store_put_result(). When
 * the claim was superseded (lease expired and the job claimed again, or requeued), nothing is
 * written and SG_ENOTFOUND is returned.
 */
int sg_store_complete(sg_store *store, sg_ctx *ctx, const sg_store_job *job,
                      const sg_store_result *result);

/**
 * A claimed job failed with an operational error (message kept for the report). With retry
 * set it is queued again (its attempts stay counted); otherwise it ends in state error.
 * SG_ENOTFOUND when the claim was superseded.
 */
int sg_store_fail(sg_store *store, sg_ctx *ctx, const sg_store_job *job, const char *message,
                  int retry);

/** Give a claimed job back unfinished (a worker shutting down): queued again at once. */
int sg_store_release(sg_store *store, sg_ctx *ctx, const sg_store_job *job);

/** Queue again every running job of `run` held by `owner` (a worker known to be dead);
 *  *requeued (may be NULL) receives how many. */
int sg_store_requeue_owner(sg_store *store, sg_ctx *ctx, const char *run, const char *owner,
                           uint64_t *requeued);

/** Called for each distinct owner of running jobs of a run. Non-zero stops the walk. */
typedef int (*sg_store_owner_cb)(const char *owner, void *payload);

/** The owners holding running jobs of `run`. */
int sg_store_foreach_owner(sg_store *store, sg_ctx *ctx, const char *run, sg_store_owner_cb cb,
                           void *payload);

/** Where a run stands. */
typedef struct sg_store_stats {
    uint64_t total;        /**< jobs in the run */
    uint64_t queued;       /**< waiting */
    uint64_t running;      /**< claimed, lease live or not */
    uint64_t done;         /**< completed with a verdict */
    uint64_t pass;         /**< done and passed */
    uint64_t fail;         /**< done and failed */
    uint64_t inconclusive; /**< done and inconclusive */
    uint64_t errors;       /**< ended in state error */
    uint64_t attempts;     /**< claims over all jobs (a job claimed twice counts 2) */
} sg_store_stats;

/** The counts of `run`. SG_ENOTFOUND when there is no such run. */
int sg_store_run_stats(sg_store_stats *out, sg_ctx *ctx, sg_store *store, const char *run);

/** One job of a run as the report sees it. Borrowed for the callback. */
typedef struct sg_store_job_info {
    const char *run;       /**< run id */
    const char *ecosystem; /**< "npm" */
    const char *name;      /**< package name */
    const char *spec;      /**< as listed */
    const char *state;     /**< "queued", "running", "done" or "error" */
    const char *outcome;   /**< verdict name when done, NULL otherwise */
    const char *version;   /**< resolved version when done, else NULL */
    const char *error;     /**< the last error message, or NULL */
    int attempts;          /**< claims so far */
    int64_t finished_at;   /**< seconds since the epoch when done or error, else 0 */
} sg_store_job_info;

typedef int (*sg_store_job_cb)(const sg_store_job_info *job, void *payload);

/**
 * Walk the jobs of `run` in list order (run NULL: the newest run). SG_ENOTFOUND when there is
 * no such run (or, for NULL, no run at all). The callback must not use the store.
 */
int sg_store_foreach_job(sg_store *store, sg_ctx *ctx, const char *run, sg_store_job_cb cb,
                         void *payload);

/* ---- the audit worker ---------------------------------------------------------------- */

/**
 * This process's lease owner: "hostname:bootid/pid/nonce", unique per process; the part
 * before '/' says on which host (and boot) it runs. Truncated to size - 1 bytes.
 */
void sg_store_owner_name(char *out, size_t size);

/**
 * Queue again the running jobs of `run` held by owners on the same host as `owner` whose
 * process is gone (SIGKILL'd workers of an earlier audit); *requeued receives how many.
 * At most 8 dead owners are handled per call. Errors: those of sg_store_foreach_owner() and
 * sg_store_requeue_owner().
 */
int sg_store_requeue_dead(uint64_t *requeued, sg_ctx *ctx, sg_store *store, const char *run,
                          const char *owner);

/** What a sg_store_work() callback is told. */
typedef enum sg_store_event_kind {
    SG_STORE_EVENT_DROPPED,      /**< a result was dropped: the claim was superseded */
    SG_STORE_EVENT_JOB_FAILED,   /**< a verification ended in an operational error */
    SG_STORE_EVENT_STORE_ERROR,  /**< a worker stopped on a store (or setup) error */
    SG_STORE_EVENT_LEASE_ERROR,  /**< the leases could not be renewed; the work goes on */
    SG_STORE_EVENT_THREAD_ERROR, /**< a worker thread could not be started (count: which) */
    SG_STORE_EVENT_PROGRESS,     /**< the run's counts (every progress_ms) */
    SG_STORE_EVENT_CANCELLED,    /**< cancelled: count jobs in hand were given back */
} sg_store_event_kind;

/** One event. Everything is borrowed for the duration of the callback. */
typedef struct sg_store_event {
    sg_store_event_kind kind;    /**< what happened */
    const sg_store_job *job;     /**< DROPPED, JOB_FAILED: the job; else NULL */
    const char *message;         /**< the error message, or NULL */
    int retry;                   /**< JOB_FAILED: the job will be tried again */
    uint64_t count;              /**< CANCELLED: jobs given back; THREAD_ERROR: thread number */
    const sg_store_stats *stats; /**< PROGRESS: the run's counts; else NULL */
} sg_store_event;

/** Settings of sg_store_work(). */
typedef struct sg_store_work_opts {
    const char *url;        /**< the store every worker opens (one connection per worker) */
    const char *cache_dir;  /**< the cache folder every worker opens */
    const char *run;        /**< the run whose jobs are worked on (sg_store_run_open()) */
    const char *owner;      /**< lease owner of this process (sg_store_owner_name()) */
    int64_t lease_ms;       /**< lease length; renewed every lease_ms / 3 */
    long workers;           /**< worker threads, 1 or more */
    int max_attempts;       /**< claims of a job before an operational error is final */
    const sg_verify_release_opts *verify; /**< template for every job: name, spec and cache
                                               are set per job (and, with npm_config, the
                                               rebuild's registry: the package's own), the
                                               rest is used as given */
    const char *options;    /**< the verdict options stored with every result
                                 (sg_store_result.options); NULL: "" */
    long tick_ms;           /**< how often cancelled and the leases are looked at */
    long progress_ms;       /**< PROGRESS at most this often; 0: never */
    /** Called from the worker threads and the calling thread, possibly concurrently. */
    void (*on_event)(const sg_store_event *event, void *payload);
    /** Polled every tick from the calling thread; nonzero stops the run (see below). */
    int (*cancelled)(void *payload);
    void *payload;          /**< passed to both callbacks */
} sg_store_work_opts;

#define SG_STORE_WORK_OPTS_INIT                                                              \
    { NULL, NULL, NULL, NULL, 60000, 1, 3, NULL, NULL, 250, 0, NULL, NULL, NULL }

/**
 * Work on the jobs of a run until none is left (the audit worker of `sourcegate audit`):
 * opts->workers threads, each with its own store connection, cache handle and sg_ctx (with
 * the limits of ctx), claim a job with a lease, verify the release with sg_verify_release()
 * and complete the job with its result in one transaction. An operational error is recorded
 * with sg_store_fail(), retried while the job has had fewer than max_attempts claims
 * (network, disk, dependency or memory errors only). Meanwhile the calling thread renews
 * this owner's leases on `store` and reports progress.
 *
 * When cancelled() returns nonzero, the workers stop claiming, the jobs this owner holds are
 * queued again and CANCELLED is reported; a caller that wants to stop at once exits from
 * that callback (the workers may be deep in a verification); otherwise the call waits for
 * the verifications in progress to end (their results are dropped) and returns.
 *
 * Returns 0 when every worker ended normally; the first error of a worker that stopped on
 * a store error (already reported as STORE_ERROR), with its message in ctx; SG_EINVALID for
 * bad options. Either way the run's outcome is in the store (sg_store_run_stats()).
 */
int sg_store_work(sg_ctx *ctx, sg_store *store, const sg_store_work_opts *opts);

#ifdef __cplusplus
}
#endif
#endif
