/*
 * sourcegate audit: verify a list of releases through a store's job queue.
 *
 * The list becomes an audit run in the store (resumed when the same list and options were
 * interrupted); the library's audit worker (sg_store_work(), verifier/store/audit_worker.c)
 * runs --jobs threads that claim, verify and complete the jobs and renews this process's
 * leases. This file parses the options and the list, prints the messages and the progress
 * the workers report, and on SIGINT or SIGTERM lets the library give the jobs in hand back
 * before exiting. A process killed outright (SIGKILL) leaves its jobs leased: a rerun on the
 * same host requeues the jobs of owners whose process is gone, any other worker takes them
 * once their lease runs out.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sourcegate/store.h>

#include "cli.h"
#include "cli_audit.h"
#include "cli_progress.h"

#define MAX_LIST_BYTES (64u << 20)
#define MAX_LIST_ENTRIES 1000000
#define MAX_LINE 1024
#define MAX_JOBS 64
#define MAX_ATTEMPTS 3
#define DEFAULT_LEASE_S 60
#define PLAIN_PROGRESS_S 10

enum {
    OPT_LIST,
    OPT_JOBS,
    OPT_STORE,
    OPT_RUN,
    OPT_LEASE,
    OPT_REGISTRY,
    OPT_CACHE,
    OPT_REWRITE,
    OPT_OFFLINE,
    OPT_FAIL_ON,
    OPT_LIMIT,
    OPT_QUIET,
    OPT_PROGRESS,
    OPT_HELP,
    OPT_VERDICT_FIRST,
    OPT_VERDICT_LAST = OPT_VERDICT_FIRST + CLI_VERDICT_OPT__COUNT - 1,
};

static const cli_opt audit_opts[] = {
    {"list", 0, CLI_OPT_VALUE, "FILE",
     "releases to audit: one NAME@VERSION (or a bare NAME: its latest) per line, # comments",
     OPT_LIST},
    {"jobs", 'j', CLI_OPT_VALUE, "N", "verify N releases at a time (default: the number of cores)",
     OPT_JOBS},
    {"store", 0, CLI_OPT_VALUE, "URL",
     "results and job queue: sqlite:PATH or postgresql://... (default: audit.sqlite in the "
     "cache folder)",
     OPT_STORE},
    {"run", 0, CLI_OPT_VALUE, "NAME",
     "name the run (workers on other machines join it by name); default: derived from the "
     "list and options",
     OPT_RUN},
    {"lease", 0, CLI_OPT_VALUE, "SECONDS",
     "a job held by a worker that stops renewing it is retried after this long (default 60)",
     OPT_LEASE},
    CLI_FETCH_OPT_ROWS(OPT_REGISTRY, OPT_CACHE, OPT_REWRITE, OPT_OFFLINE),
    CLI_VERDICT_OPT_ROWS(OPT_VERDICT_FIRST),
    {"fail-on", 0, CLI_OPT_VALUE, "SEVERITY",
     "fail on findings at or above: info, low, medium, high (default), critical", OPT_FAIL_ON},
    {"limit", 0, CLI_OPT_VALUE, "NAME=N", "set an input limit (repeatable; see sourcegate(1))",
     OPT_LIMIT},
    {"quiet", 'q', CLI_OPT_FLAG, NULL, "no progress and no summary", OPT_QUIET},
    {"progress", 0, CLI_OPT_VALUE, "WHEN", CLI_PROGRESS_OPT_HELP, OPT_PROGRESS},
    {"help", 'h', CLI_OPT_FLAG, NULL, "show this help", OPT_HELP},
    {NULL, 0, CLI_OPT_FLAG, NULL, NULL, 0},
};

typedef struct audit_args {
    const char *list;                /* --list */
    long jobs;                       /* --jobs */
    const char *store;               /* --store */
    const char *run_name;            /* --run */
    long lease_s;                    /* --lease */
    const char *registry;            /* --registry */
    const char *cache;               /* --cache */
    char *rewrites[64];              /* --git-rewrite rules */
    size_t nrewrites;                /* how many */
    const char *limits[32];          /* --limit NAME=N */
    size_t nlimits;                  /* how many */
    int offline;                     /* --offline */
    sg_severity fail_on;             /* --fail-on */
    int quiet, help;                 /* -q, -h */
    cli_progress_mode progress_mode; /* --progress */
    cli_verdict_args verdict;        /* --rebuild and its limits, --registry-keys, --trusted-root */
    sg_ctx *ctx;                     /* the command's context (messages of the option parsers) */
} audit_args;

static void audit_help(FILE *out)
{
    fprintf(out,
            "usage: sourcegate audit --list FILE [--jobs N] [--store URL] [--run NAME]\n"
            "                        [--lease SECONDS] [--progress auto|always|never]\n"
            "                        [--registry URL] [--cache DIR] [--git-rewrite FROM=TO]...\n"
            "                        [--offline] [--rebuild auto|always|never]\n"
            "                        [--rebuild-timeout SECONDS] [--rebuild-memory MIB]\n"
            "                        [--rebuild-disk MIB]\n"
            "                        [--unsafe-no-sandbox]\n"
            "                        [--registry-keys FILE] [--trusted-root FILE]\n"
            "                        [--fail-on SEVERITY] [--limit NAME=N]... [-q]\n\n"
            "Verifies every release of the list as 'sourcegate verify NAME@VERSION' would, with\n"
            "the same options and defaults (rebuilds included), and stores one result per\n"
            "release with the options that produced it. The run is resumable: killed at any\n"
            "moment and started again with the same arguments, it continues where it stopped\n"
            "and retries the releases that ended in an error. With --store postgresql://...\n"
            "any number of workers on any number of machines share one queue; a worker joining\n"
            "a run must give the run's options. 'sourcegate report' summarizes the store.\n\n"
            "Options:\n");
    cli_opt_help(out, audit_opts);
    fprintf(out, "\nExit codes: 0 every release passed, 1 a release failed, 2 usage or bad input,\n"
                 "3 a release was inconclusive, 4 a release could not be verified (operational\n"
                 "error) or the store failed.\n");
}

static int parse_long(long *out, const char *value, long lo, long hi, const char *what)
{
    char *end = NULL;
    long v;
    errno = 0;
    v = strtol(value, &end, 10);
    if (errno || !*value || *end || v < lo || v > hi) {
        fprintf(stderr, "sourcegate audit: %s must be a number from %ld to %ld, not '%s'\n", what,
                lo, hi, value);
        return CLI_EXIT_USAGE;
    }
    *out = v;
    return 0;
}

static int on_opt(const cli_opt *o, const char *value, void *payload)
{
    audit_args *a = payload;
    switch (o->id) {
    case OPT_LIST:
        a->list = value;
        break;
    case OPT_JOBS:
        return parse_long(&a->jobs, value, 1, MAX_JOBS, "--jobs");
    case OPT_STORE:
        a->store = value;
        break;
    case OPT_RUN:
        a->run_name = value;
        break;
    case OPT_LEASE:
        return parse_long(&a->lease_s, value, 1, 86400, "--lease");
    case OPT_REGISTRY:
        a->registry = value;
        break;
    case OPT_CACHE:
        a->cache = value;
        break;
    case OPT_OFFLINE:
        a->offline = 1;
        break;
    case OPT_QUIET:
        a->quiet = 1;
        break;
    case OPT_PROGRESS:
        return cli_progress_parse(&a->progress_mode, "audit", value);
    case OPT_HELP:
        a->help = 1;
        break;
    case OPT_REWRITE:
        return cli_add_rewrite(a->rewrites, &a->nrewrites,
                               sizeof(a->rewrites) / sizeof(a->rewrites[0]), "audit", value);
    case OPT_LIMIT:
        if (a->nlimits == sizeof(a->limits) / sizeof(a->limits[0])) {
            fprintf(stderr, "sourcegate audit: at most 32 --limit options\n");
            return CLI_EXIT_USAGE;
        }
        a->limits[a->nlimits++] = value;
        break;
    case OPT_FAIL_ON:
        return cli_parse_fail_on(&a->fail_on, "audit", value);
    default:
        if (o->id >= OPT_VERDICT_FIRST && o->id <= OPT_VERDICT_LAST)
            return cli_verdict_on_opt(&a->verdict, a->ctx, "audit", o->id - OPT_VERDICT_FIRST,
                                      value);
        break;
    }
    return 0;
}

/* Apply the --limit options to a context; 0 or an exit code after a message. */
static int apply_limits(const audit_args *a, sg_ctx *ctx)
{
    size_t i;
    int rc;
    for (i = 0; i < a->nlimits; i++)
        if ((rc = cli_set_limit(ctx, "audit", a->limits[i])) != 0)
            return rc;
    return 0;
}

/* ---- the list ------------------------------------------------------------------------ */

typedef struct audit_list {
    sg_store_job_spec *jobs; /* entries */
    char **names, **specs;   /* their strings (sg_release_spec_parse) */
    size_t n, cap;           /* used, allocated */
} audit_list;

static void list_dispose(audit_list *l)
{
    size_t i;
    for (i = 0; i < l->n; i++)
        sg_release_spec_free(l->names[i], l->specs[i]);
    free(l->jobs);
    free(l->names);
    free(l->specs);
    memset(l, 0, sizeof(*l));
}

static int list_add(audit_list *l, char *name, char *spec)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        sg_store_job_spec *j = realloc(l->jobs, cap * sizeof(*j));
        char **n = j ? realloc(l->names, cap * sizeof(*n)) : NULL;
        char **s = n ? realloc(l->specs, cap * sizeof(*s)) : NULL;
        if (j)
            l->jobs = j;
        if (n)
            l->names = n;
        if (!s)
            return -1;
        l->specs = s;
        l->cap = cap;
    }
    l->names[l->n] = name;
    l->specs[l->n] = spec;
    l->jobs[l->n].ecosystem = "npm";
    l->jobs[l->n].name = name;
    l->jobs[l->n].spec = spec && *spec ? spec : "latest";
    l->n++;
    return 0;
}

/* One line: comments and blanks skipped, NAME@SPEC checked. 0, or an exit code. */
static int list_line(audit_list *l, sg_ctx *ctx, const char *path, size_t lineno, char *s)
{
    char *hash = strchr(s, '#'), *end, *name = NULL, *spec = NULL;
    if (hash)
        *hash = '\0';
    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        *--end = '\0';
    if (!*s)
        return 0;
    if (l->n == MAX_LIST_ENTRIES) {
        fprintf(stderr, "sourcegate audit: list '%s' has more than %d entries\n", path,
                MAX_LIST_ENTRIES);
        return CLI_EXIT_USAGE;
    }
    if (sg_release_spec_parse(&name, &spec, ctx, s) < 0) {
        fprintf(stderr, "sourcegate audit: list '%s' line %zu: %s\n", path, lineno,
                sg_error_message(ctx));
        return CLI_EXIT_USAGE;
    }
    if (list_add(l, name, spec) < 0) {
        sg_release_spec_free(name, spec);
        fprintf(stderr, "sourcegate: error: out of memory reading the list\n");
        return CLI_EXIT_OPERATIONAL;
    }
    return 0;
}

static int read_list(audit_list *l, sg_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[MAX_LINE + 2];
    size_t lineno = 0, total = 0;
    int rc = 0;

    if (!f) {
        fprintf(stderr, "sourcegate audit: cannot read list '%s': %s\n", path, strerror(errno));
        return CLI_EXIT_USAGE;
    }
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        size_t n = strlen(line);
        lineno++;
        total += n;
        if (total > MAX_LIST_BYTES || (n == sizeof(line) - 1 && line[n - 1] != '\n')) {
            fprintf(stderr,
                    "sourcegate audit: list '%s' line %zu is longer than %d bytes or "
                    "the list is over %u MiB\n",
                    path, lineno, MAX_LINE, MAX_LIST_BYTES >> 20);
            rc = CLI_EXIT_USAGE;
            break;
        }
        if (n && line[n - 1] == '\n')
            line[n - 1] = '\0';
        rc = list_line(l, ctx, path, lineno, line);
    }
    if (rc == 0 && ferror(f)) {
        fprintf(stderr, "sourcegate audit: cannot read list '%s'\n", path);
        rc = CLI_EXIT_USAGE;
    }
    fclose(f);
    if (rc == 0 && l->n == 0) {
        fprintf(stderr, "sourcegate audit: list '%s' names no release\n", path);
        rc = CLI_EXIT_USAGE;
    }
    return rc;
}

/* ---- the command's side of the workers ----------------------------------------------- */

typedef struct progress {
    struct timespec start; /* when this process started working */
    uint64_t finished0;    /* jobs finished (done or error) then */
} progress;

typedef struct audit_state {
    const audit_args *args;            /* the options */
    char store_url[4300];              /* the store every worker opens */
    char cache_dir[4096];              /* the cache every worker opens */
    const char *run;                   /* the run id */
    char owner[256];                   /* "host:boot/pid/nonce": this process's leases */
    sg_npm_config *cfg;                /* shared, read-only */
    sg_url_rewrites *rw;               /* shared, read-only */
    int64_t lease_ms;                  /* lease length */
    int store_failed;                  /* a worker reported a store error (atomic) */
    int tty;                           /* progress as a redrawn bar */
    cli_progress_style progress_style; /* --progress, decided: off, the bar, or a line every 10 s */
    int bar_drawn;                     /* a bar is on screen (under print_lock) */
    progress progress;                 /* for the rate and ETA */
    pthread_mutex_t print_lock;        /* one writer on stderr at a time */
} audit_state;

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

static int is_interrupted(void *payload)
{
    (void)payload;
    return interrupted != 0;
}

/* A message on stderr, clearing a progress bar first. */
static void say(audit_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(audit_state *st, const char *fmt, ...)
{
    va_list ap;
    pthread_mutex_lock(&st->print_lock);
    if (st->bar_drawn)
        fputs("\r\033[K", stderr);
    st->bar_drawn = 0;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    pthread_mutex_unlock(&st->print_lock);
}

/* ---- progress ------------------------------------------------------------------------ */

static void fmt_duration(char *out, size_t size, double s)
{
    long t = s < 0 ? 0 : s > 359999 ? 359999 : (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, size, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, size, "%ld:%02ld", t / 60, t % 60);
}

static double elapsed_s(const struct timespec *since)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

static void draw_progress(audit_state *st, progress *p, const sg_store_stats *s, int final)
{
    uint64_t finished = s->done + s->errors, left = s->queued + s->running;
    double secs = elapsed_s(&p->start), rate = 0;
    char eta[32] = "-", bar[32];
    size_t i, fill;

    if (finished > p->finished0 && secs > 0.5)
        rate = (double)(finished - p->finished0) / secs;
    if (rate > 0)
        fmt_duration(eta, sizeof(eta), (double)left / rate);
    pthread_mutex_lock(&st->print_lock);
    if (st->tty) {
        fill = s->total ? (size_t)(24 * finished / s->total) : 0;
        for (i = 0; i < 24; i++)
            bar[i] = i < fill ? '#' : '.';
        bar[24] = '\0';
        fprintf(stderr,
                "\r[%s] %llu/%llu  %llu fail  %llu inconclusive  %llu errors  %.2f/s  "
                "ETA %s\033[K%s",
                bar, (unsigned long long)finished, (unsigned long long)s->total,
                (unsigned long long)s->fail, (unsigned long long)s->inconclusive,
                (unsigned long long)s->errors, rate, eta, final ? "\n" : "");
        st->bar_drawn = !final;
    } else {
        fprintf(stderr,
                "audit: %llu/%llu done, %llu fail, %llu inconclusive, %llu errors; "
                "%.2f/s, ETA %s\n",
                (unsigned long long)finished, (unsigned long long)s->total,
                (unsigned long long)s->fail, (unsigned long long)s->inconclusive,
                (unsigned long long)s->errors, rate, eta);
    }
    fflush(stderr);
    pthread_mutex_unlock(&st->print_lock);
}

/* What the workers report (sg_store_work()): the messages the command prints. */
static void on_event(const sg_store_event *ev, void *payload)
{
    audit_state *st = payload;
    switch (ev->kind) {
    case SG_STORE_EVENT_DROPPED:
        say(st, "sourcegate audit: %s@%s: %s; its result was dropped\n", ev->job->name,
            ev->job->spec, ev->message);
        break;
    case SG_STORE_EVENT_JOB_FAILED:
        say(st, "sourcegate audit: %s@%s: %s (%s)\n", ev->job->name, ev->job->spec, ev->message,
            ev->retry ? "will retry" : "gave up");
        break;
    case SG_STORE_EVENT_STORE_ERROR:
        __atomic_store_n(&st->store_failed, 1, __ATOMIC_SEQ_CST);
        say(st, "sourcegate: error: %s\n", ev->message);
        break;
    case SG_STORE_EVENT_LEASE_ERROR:
        say(st, "sourcegate audit: cannot renew leases: %s\n", ev->message);
        break;
    case SG_STORE_EVENT_THREAD_ERROR:
        say(st, "sourcegate: error: cannot start worker thread %llu\n",
            (unsigned long long)ev->count);
        break;
    case SG_STORE_EVENT_PROGRESS:
        draw_progress(st, &st->progress, ev->stats, 0);
        break;
    case SG_STORE_EVENT_CANCELLED:
        say(st, "sourcegate audit: interrupted; %llu job%s given back, rerun to continue\n",
            (unsigned long long)ev->count, ev->count == 1 ? "" : "s");
        fflush(NULL);
        _exit(130); /* the workers may be deep in a verification: do not wait for them */
    }
}

/* ---- the command --------------------------------------------------------------------- */

int cli_audit_store_url(char *out, size_t size, const char *cmd, const char *store_arg,
                        const char *cache_arg)
{
    char dir[4096];
    int n;
    if (store_arg) {
        n = snprintf(out, size, "%s", store_arg);
    } else {
        if (!cache_arg && cli_default_cache_dir(dir, sizeof(dir)) < 0) {
            fprintf(stderr,
                    "sourcegate %s: no cache folder for the store: set --store, --cache, "
                    "XDG_CACHE_HOME or HOME\n",
                    cmd);
            return CLI_EXIT_USAGE;
        }
        n = snprintf(out, size, "sqlite:%s/%s", cache_arg ? cache_arg : dir, SG_STORE_DEFAULT_FILE);
    }
    if (n < 0 || (size_t)n >= size) {
        fprintf(stderr, "sourcegate %s: the store path is too long\n", cmd);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* Run the workers with progress and signals; the exit code from the run's counts. */
static int supervise(audit_state *st, sg_ctx *ctx, sg_store *store)
{
    sg_store_work_opts o = SG_STORE_WORK_OPTS_INIT;
    sg_verify_release_opts v = SG_VERIFY_RELEASE_OPTS_INIT;
    sg_store_stats s;
    int show = !st->args->quiet, error;

    v.npm_config = st->cfg;
    v.rewrites = st->rw;
    v.offline = st->args->offline;
    v.fail_on = st->args->fail_on;
    v.rebuild = &st->args->verdict.rebuild;
    v.trust = &st->args->verdict.trust; /* as verify: keys fetched (cached), provenance read */
    o.options = st->args->verdict.options;
    o.url = st->store_url;
    o.cache_dir = st->cache_dir;
    o.run = st->run;
    o.owner = st->owner;
    o.lease_ms = st->lease_ms;
    o.workers = st->args->jobs;
    o.max_attempts = MAX_ATTEMPTS;
    o.verify = &v;
    o.tick_ms = st->tty ? 200 : 250;
    o.progress_ms = st->progress_style == CLI_PROGRESS_OFF ? 0
                    : st->tty                              ? 1
                                                           : PLAIN_PROGRESS_S * 1000;
    o.on_event = on_event;
    o.cancelled = is_interrupted;
    o.payload = st;
    clock_gettime(CLOCK_MONOTONIC, &st->progress.start);
    if (sg_store_run_stats(&s, ctx, store, st->run) == 0)
        st->progress.finished0 = s.done + s.errors;
    sg_error_clear(ctx);
    error = sg_store_work(ctx, store, &o);
    if (error < 0 && !__atomic_load_n(&st->store_failed, __ATOMIC_SEQ_CST))
        return cli_report_error(ctx, error);
    sg_error_clear(ctx);
    if (sg_store_run_stats(&s, ctx, store, st->run) < 0)
        return cli_report_error(ctx, sg_error_code_of(ctx));
    if (show && st->progress_style != CLI_PROGRESS_OFF)
        draw_progress(st, &st->progress, &s, 1);
    if (error < 0)
        return CLI_EXIT_OPERATIONAL;
    if (show)
        printf("audit %s: %llu releases: %llu pass, %llu fail, %llu inconclusive, %llu errors\n",
               st->run, (unsigned long long)s.total, (unsigned long long)s.pass,
               (unsigned long long)s.fail, (unsigned long long)s.inconclusive,
               (unsigned long long)s.errors);
    return s.fail           ? CLI_EXIT_FAIL
           : s.errors       ? CLI_EXIT_OPERATIONAL
           : s.inconclusive ? CLI_EXIT_INCONCLUSIVE
                            : CLI_EXIT_PASS;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int prepare(audit_state *st, sg_ctx *ctx, sg_store **store, const audit_list *list)
{
    audit_args *a = (audit_args *)st->args;
    sg_cache *cache = NULL;
    char params[1600], registry[1024], *run = NULL;
    uint64_t requeued = 0;
    int created = 0, rc;

    if (a->cache)
        snprintf(st->cache_dir, sizeof(st->cache_dir), "%s", a->cache);
    else if (cli_default_cache_dir(st->cache_dir, sizeof(st->cache_dir)) < 0) {
        fprintf(stderr, "sourcegate audit: no cache folder: set --cache, XDG_CACHE_HOME or HOME\n");
        return CLI_EXIT_USAGE;
    }
    if ((rc = cli_audit_store_url(st->store_url, sizeof(st->store_url), "audit", a->store,
                                  st->cache_dir)) != 0)
        return rc;
    if (sg_cache_open(&cache, ctx, st->cache_dir) < 0 ||
        cli_load_npm_config(&st->cfg, ctx, a->registry) < 0 ||
        cli_load_rewrites(&st->rw, ctx, (char **)a->rewrites, a->nrewrites) < 0 ||
        cli_verdict_prepare(&a->verdict, ctx, st->cache_dir,
                            sg_npm_config_registry_for(st->cfg, "")) < 0 ||
        sg_store_open(store, ctx, st->store_url, NULL) < 0) {
        sg_cache_free(cache);
        return cli_report_error(ctx, sg_error_code_of(ctx));
    }
    sg_cache_free(cache);
    /* what changes verdicts is part of the run's identity; the rest is not */
    /* stored and shown by `report`: never the registry's credentials */
    sg_registry_url_redact(registry, sizeof(registry), sg_npm_config_registry_for(st->cfg, ""));
    snprintf(params, sizeof(params), "registry=%s fail-on=%s %s", registry,
             sg_severity_name(a->fail_on), a->verdict.options);
    if (sg_store_run_open(&run, &created, ctx, *store, a->run_name, params, list->jobs, list->n) <
        0)
        return cli_report_error(ctx, sg_error_code_of(ctx));
    st->run = run;
    sg_store_owner_name(st->owner, sizeof(st->owner));
    if (sg_store_requeue_dead(&requeued, ctx, *store, run, st->owner) < 0)
        return cli_report_error(ctx, sg_error_code_of(ctx));
    if (requeued && !a->quiet)
        say(st, "audit: %llu job%s of a stopped worker on this host queued again\n",
            (unsigned long long)requeued, requeued == 1 ? "" : "s");
    if (!a->quiet)
        say(st, "audit %s: %s, %zu releases listed, store %s\n", run,
            created ? "new run" : "resuming", list->n, sg_store_backend_name(*store));
    return 0;
}

int cli_cmd_audit(int argc, char **argv)
{
    static const cli_command_spec spec = {audit_opts, "audit", 2, on_opt, audit_help};
    audit_args a;
    audit_state st;
    audit_list list;
    sg_ctx *ctx = NULL;
    sg_store *store = NULL;
    int rc, stop;

    memset(&a, 0, sizeof(a));
    memset(&st, 0, sizeof(st));
    memset(&list, 0, sizeof(list));
    a.fail_on = SG_SEV_HIGH;
    a.lease_s = DEFAULT_LEASE_S;
    cli_verdict_init(&a.verdict);
    pthread_mutex_init(&st.print_lock, NULL);
    st.args = &a;
    stop = cli_begin(&rc, &a.ctx, &spec, argc, argv, &a, &a.help);
    ctx = a.ctx; /* the parsers of the verdict options report into it */
    if (stop)
        goto done;
    if (!a.list) {
        fprintf(stderr, "sourcegate audit: --list FILE is required (see --help)\n");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    if (!a.jobs) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        a.jobs = n < 1 ? 1 : n > MAX_JOBS ? MAX_JOBS : n;
    }
    st.lease_ms = (int64_t)a.lease_s * 1000;
    st.progress_style = cli_progress_style_for(a.progress_mode, a.quiet);
    st.tty = st.progress_style == CLI_PROGRESS_LIVE;
    if ((rc = apply_limits(&a, ctx)) != 0 || (rc = read_list(&list, ctx, a.list)) != 0 ||
        (rc = prepare(&st, ctx, &store, &list)) != 0)
        goto done;
    install_signals();
    rc = supervise(&st, ctx, store);
done:
    sg_store_string_free((char *)st.run);
    sg_store_free(store);
    sg_url_rewrites_free(st.rw);
    sg_npm_config_free(st.cfg);
    list_dispose(&list);
    cli_verdict_dispose(&a.verdict);
    sg_ctx_free(ctx);
    pthread_mutex_destroy(&st.print_lock);
    return rc;
}
