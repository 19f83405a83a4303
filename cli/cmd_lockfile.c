/*
 * sourcegate lockfile: verify every registry entry of a lockfile, or with --base only those
 * added or changed since an older one (the pull-request case), in parallel; report as text,
 * JSON (schema sourcegate/lockfile/v1) or SARIF 2.1.0. The exit code is the worst release's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <sourcegate/lockfile.h>
#include <sourcegate/sarif.h>

#include "cli.h"
#include "cli_lockfile.h"
#include "cli_progress.h"

enum {
    OPT_LOCKFILE,
    OPT_BASE,
    OPT_JOBS,
    OPT_FORMAT,
    OPT_OUTPUT,
    OPT_PATH,
    OPT_REGISTRY,
    OPT_CACHE,
    OPT_REWRITE,
    OPT_OFFLINE,
    OPT_STORE,
    OPT_NO_STORE,
    OPT_ALLOW_UNVERIFIABLE,
    OPT_FAIL_ON,
    OPT_LIMIT,
    OPT_QUIET,
    OPT_VERBOSE,
    OPT_PROGRESS,
    OPT_HELP,
    OPT_VERDICT_FIRST,
    OPT_VERDICT_LAST = OPT_VERDICT_FIRST + CLI_VERDICT_OPT__COUNT - 1,
};

static const cli_opt lockfile_opts[] = {
    {NULL, 0, CLI_OPT_VALUE, "LOCKFILE",
     "package-lock.json, npm-shrinkwrap.json, yarn.lock or pnpm-lock.yaml", OPT_LOCKFILE},
    {"base", 0, CLI_OPT_VALUE, "OLD-LOCKFILE",
     "verify only the entries added or changed since this lockfile", OPT_BASE},
    {"jobs", 'j', CLI_OPT_VALUE, "N", "verify N releases at a time (default: the CPUs)", OPT_JOBS},
    {"format", 0, CLI_OPT_VALUE, "FMT", "text (default), json or sarif", OPT_FORMAT},
    {"output", 'o', CLI_OPT_VALUE, "FILE", "write the report to FILE instead of stdout",
     OPT_OUTPUT},
    {"lockfile-path", 0, CLI_OPT_VALUE, "PATH",
     "the lockfile's path in the repository, for SARIF locations (default: LOCKFILE)", OPT_PATH},
    CLI_FETCH_OPT_ROWS(OPT_REGISTRY, OPT_CACHE, OPT_REWRITE, OPT_OFFLINE),
    CLI_VERDICT_OPT_ROWS(OPT_VERDICT_FIRST),
    {"store", 0, CLI_OPT_VALUE, "URL",
     "reuse and keep verdicts here: sqlite:PATH or postgresql://... (default: audit.sqlite in "
     "the cache folder)",
     OPT_STORE},
    {"no-store", 0, CLI_OPT_FLAG, NULL, "verify every release afresh and store nothing",
     OPT_NO_STORE},
    {"allow-unverifiable", 0, CLI_OPT_VALUE, "CLASSES",
     "do not let these entries make the gate inconclusive: git (git dependencies), file "
     "(file: and link: entries), remote (tarball URLs outside every configured registry); "
     "comma-separated",
     OPT_ALLOW_UNVERIFIABLE},
    {"fail-on", 0, CLI_OPT_VALUE, "SEVERITY",
     "fail on findings at or above: info, low, medium, high (default), critical", OPT_FAIL_ON},
    {"limit", 0, CLI_OPT_VALUE, "NAME=N",
     "set an input limit, e.g. json-size=100000000 (repeatable; see sourcegate(1))", OPT_LIMIT},
    {"quiet", 'q', CLI_OPT_FLAG, NULL, "print nothing; the exit code tells the verdict", OPT_QUIET},
    {"verbose", 'v', CLI_OPT_FLAG, NULL,
     "also print the full report of every release that "
     "did not pass",
     OPT_VERBOSE},
    {"progress", 0, CLI_OPT_VALUE, "WHEN", CLI_PROGRESS_OPT_HELP, OPT_PROGRESS},
    {"help", 'h', CLI_OPT_FLAG, NULL, "show this help", OPT_HELP},
    {NULL, 0, CLI_OPT_FLAG, NULL, NULL, 0},
};

typedef struct lock_args {
    const char *lockfile; /* LOCKFILE */
    const char *base;     /* --base */
    unsigned jobs;        /* --jobs, 0: default */
    const char *format;   /* "text", "json" or "sarif" */
    const char *output;   /* -o */
    const char *path;     /* --lockfile-path */
    const char *registry; /* --registry */
    const char *cache;    /* --cache */
    char *rewrites[64];   /* --git-rewrite rules */
    size_t nrewrites;     /* how many */
    int offline;          /* --offline */
    const char *store;    /* --store */
    int no_store;         /* --no-store */
    unsigned allow;       /* --allow-unverifiable: ALLOW_* bits */
    sg_severity fail_on;  /* --fail-on */
    int quiet, verbose, help;
    cli_progress_mode progress_mode; /* --progress */
    int progress;       /* a progress line on stderr, redrawn (a terminal) */
    int plain_progress; /* a line per release on stderr (--progress=always in a log) */
    cli_verdict_args verdict; /* --rebuild and its limits, --registry-keys, --trusted-root */
    sg_ctx *ctx;  /* limits are set on it while parsing */
} lock_args;

/* The classes of entries sourcegate cannot verify (sg_lockfile_unverifiable_class()) that
 * --allow-unverifiable can accept; any other makes the gate inconclusive (fail closed). */
static const char *const unverifiable_classes[] = {"git", "file", "remote"};

static unsigned class_bit(const char *name, size_t n)
{
    size_t i;
    for (i = 0; i < sizeof(unverifiable_classes) / sizeof(unverifiable_classes[0]); i++) {
        if (strlen(unverifiable_classes[i]) == n && strncmp(unverifiable_classes[i], name, n) == 0)
            return 1u << i;
    }
    return 0;
}

static int set_allow(lock_args *a, const char *value)
{
    const char *p = value;
    do {
        size_t n = strcspn(p, ",");
        unsigned bit = class_bit(p, n);
        if (!bit) {
            fprintf(stderr,
                    "sourcegate lockfile: --allow-unverifiable takes git, file or remote "
                    "(comma-separated), not '%.*s'\n",
                    (int)n, p);
            return CLI_EXIT_USAGE;
        }
        a->allow |= bit;
        p += n;
    } while (*p++ == ',');
    return 0;
}

/* 1 when the entry is not verified and its class is not allowed. */
static int blocks(const lock_args *a, const sg_lockfile_entry *e)
{
    const char *c = sg_lockfile_unverifiable_class(e);
    return c && !(a->allow & class_bit(c, strlen(c)));
}

static void lockfile_help(FILE *out)
{
    fprintf(out,
            "usage: sourcegate lockfile LOCKFILE [--base OLD-LOCKFILE] [--jobs N]\n"
            "                           [--format text|json|sarif] [-o FILE]\n"
            "                           [--registry URL] [--cache DIR] [--git-rewrite FROM=TO]...\n"
            "                           [--offline] [--fail-on SEVERITY] [--limit NAME=N]...\n"
            "                           [--rebuild auto|always|never] [--rebuild-timeout SECONDS]\n"
            "                           [--rebuild-memory MIB] [--rebuild-disk MIB]\n"
            "                           [--unsafe-no-sandbox]\n"
            "                           [--registry-keys FILE] [--trusted-root FILE]\n"
            "                           [--allow-unverifiable git,file,remote]\n"
            "                           [--store URL | --no-store] [--lockfile-path PATH]\n"
            "                           [-q] [-v] [--progress auto|always|never]\n\n"
            "Verifies every release a lockfile pins to the npm registry as 'sourcegate verify\n"
            "NAME@VERSION' would, with the same options and defaults (rebuilds included), and\n"
            "checks the lockfile's own integrity against the bytes the registry serves. A stored\n"
            "verdict is reused only when it was made with the same rebuild and trust options. With --base only the entries added or changed since the older\n"
            "lockfile are verified. A tarball URL anywhere under the configured registry is\n"
            "verified as that registry's NAME@VERSION. git, file, link and remote tarball\n"
            "entries cannot be verified: they make the verdict inconclusive unless\n"
            "--allow-unverifiable names their class; so does a run that verified nothing.\n"
            "Reads package-lock.json and npm-shrinkwrap.json (lockfileVersion 1-3),\n"
            "yarn.lock (classic and berry) and pnpm-lock.yaml (5.x-9.x).\n\n"
            "Options:\n");
    cli_opt_help(out, lockfile_opts);
    fprintf(out, "\nExit codes: the worst release decides: 1 when one fails; else 4 (or 2)\n"
                 "when one could not be verified (a network, git host or disk failure: never\n"
                 "stored, retried next run); else 3 when one is inconclusive, an entry not\n"
                 "allowed by --allow-unverifiable cannot be verified, or nothing was verified;\n"
                 "else 0.\n"
                 "2 also for usage errors and unreadable lockfiles.\n");
}

static int set_jobs(lock_args *a, const char *value)
{
    char *end = NULL;
    unsigned long v = strtoul(value, &end, 10);
    if (!*value || *end || value[0] == '-' || v < 1 || v > 256) {
        fprintf(stderr, "sourcegate lockfile: --jobs takes a number from 1 to 256, not '%s'\n",
                value);
        return CLI_EXIT_USAGE;
    }
    a->jobs = (unsigned)v;
    return 0;
}

static int on_opt(const cli_opt *o, const char *value, void *payload)
{
    lock_args *a = payload;
    switch (o->id) {
    case OPT_LOCKFILE:
        if (a->lockfile) {
            fprintf(stderr, "sourcegate lockfile: one lockfile at a time ('%s', then '%s')\n",
                    a->lockfile, value);
            return CLI_EXIT_USAGE;
        }
        a->lockfile = value;
        break;
    case OPT_BASE:
        a->base = value;
        break;
    case OPT_JOBS:
        return set_jobs(a, value);
    case OPT_FORMAT:
        if (strcmp(value, "text") != 0 && strcmp(value, "json") != 0 &&
            strcmp(value, "sarif") != 0) {
            fprintf(stderr,
                    "sourcegate lockfile: --format must be text, json or sarif, not "
                    "'%s'\n",
                    value);
            return CLI_EXIT_USAGE;
        }
        a->format = value;
        break;
    case OPT_OUTPUT:
        a->output = value;
        break;
    case OPT_PATH:
        a->path = value;
        break;
    case OPT_REGISTRY:
        a->registry = value;
        break;
    case OPT_CACHE:
        a->cache = value;
        break;
    case OPT_REWRITE:
        return cli_add_rewrite(a->rewrites, &a->nrewrites,
                               sizeof(a->rewrites) / sizeof(a->rewrites[0]), "lockfile", value);
    case OPT_STORE:
        a->store = value;
        break;
    case OPT_NO_STORE:
        a->no_store = 1;
        break;
    case OPT_ALLOW_UNVERIFIABLE:
        return set_allow(a, value);
    case OPT_OFFLINE:
        a->offline = 1;
        break;
    case OPT_FAIL_ON:
        return cli_parse_fail_on(&a->fail_on, "lockfile", value);
    case OPT_LIMIT:
        return cli_set_limit(a->ctx, "lockfile", value);
    case OPT_QUIET:
        a->quiet = 1;
        break;
    case OPT_VERBOSE:
        a->verbose = 1;
        break;
    case OPT_PROGRESS:
        return cli_progress_parse(&a->progress_mode, "lockfile", value);
    case OPT_HELP:
        a->help = 1;
        break;
    default:
        if (o->id >= OPT_VERDICT_FIRST && o->id <= OPT_VERDICT_LAST)
            return cli_verdict_on_opt(&a->verdict, a->ctx, "lockfile", o->id - OPT_VERDICT_FIRST,
                                      value);
        break;
    }
    return 0;
}

/* ---- reading ------------------------------------------------------------------------- */

/* The whole file, refusing more than the json-size limit (checked before reading). */
static int read_lockfile(sg_buf *out, sg_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "rb");
    uint64_t limit = sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE);
    struct stat st;
    char chunk[65536];
    size_t n;
    int error = 0;

    if (!f)
        return sg_error_set(ctx, errno == ENOENT ? SG_ENOTFOUND : SG_EIO, "cannot read '%s': %s",
                            path, strerror(errno));
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > limit) {
        fclose(f);
        return sg_error_set(ctx, SG_ELIMIT,
                            "'%s' has %lld bytes, more than the json-size "
                            "limit of %llu",
                            path, (long long)st.st_size, (unsigned long long)limit);
    }
    sg_buf_init(out, (size_t)limit);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (sg_buf_put(out, chunk, n) < 0) {
            error = out->error == SG_ELIMIT
                        ? sg_error_set(ctx, SG_ELIMIT,
                                       "'%s' is larger than the json-size limit "
                                       "of %llu bytes",
                                       path, (unsigned long long)limit)
                        : sg_error_set(ctx, SG_ENOMEM, "out of memory reading '%s'", path);
            break;
        }
    }
    if (error == 0 && ferror(f))
        error = sg_error_set(ctx, SG_EIO, "cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    return error;
}

static int load(sg_lockfile **out, sg_ctx *ctx, const char *path)
{
    sg_buf data = SG_BUF_INIT;
    int error = read_lockfile(&data, ctx, path);
    if (error == 0)
        error = sg_lockfile_parse(out, ctx, data.ptr, data.size, path);
    sg_buf_dispose(&data);
    return error;
}

/* ---- verifying --------------------------------------------------------------------------- */

static void progress(void *payload, size_t done, size_t total, const sg_lockfile_release *r)
{
    const lock_args *a = payload;
    const char *v = r->error < 0 ? "error" : sg_verdict_name(sg_report_verdict(r->report));
    if (a->progress)
        fprintf(stderr, "\r\033[K[%zu/%zu] %s@%s: %s", done, total, r->name, r->version, v);
    else if (a->verbose || a->plain_progress)
        fprintf(stderr, "[%zu/%zu] %s@%s: %s\n", done, total, r->name, r->version, v);
    if (a->progress && done == total)
        fputs("\r\033[K", stderr);
}

/* The store and the run's verdict options, behind the reuse callbacks. */
typedef struct reuse_state {
    sg_store *store;     /* one connection */
    const char *options; /* cli_verdict_args.options of this run */
} reuse_state;

/* Stored verdicts, keyed by (ecosystem, name, version, integrity) and reused only when they
 * were made with this run's verdict options (a verdict made without a rebuild is no answer
 * for a run that would rebuild). The runner never calls these two at the same time, so one
 * store connection serves every worker. */
static int reuse_get(void *payload, sg_buf *json, sg_ctx *ctx, const char *ecosystem,
                     const char *name, const char *version, const char *integrity)
{
    const reuse_state *rs = payload;
    sg_store_result r = SG_STORE_RESULT_INIT;
    int error = sg_store_get_result(&r, ctx, rs->store, ecosystem, name, version, integrity);
    if (error == 0 && strcmp(r.options, rs->options) != 0)
        error = sg_error_set(ctx, SG_ENOTFOUND, "'%s@%s' was stored with other options", name,
                             version);
    if (error == 0 && sg_buf_put(json, r.report_json, r.report_len) < 0)
        error = sg_buf_check(json, ctx, "a stored report");
    sg_store_result_dispose(&r);
    return error;
}

static int reuse_put(void *payload, sg_ctx *ctx, const char *ecosystem, const char *name,
                     const char *version, const char *integrity, sg_verdict verdict,
                     const char *json, size_t len)
{
    const reuse_state *rs = payload;
    sg_store_result r = SG_STORE_RESULT_INIT;
    r.ecosystem = (char *)ecosystem;
    r.name = (char *)name;
    r.version = (char *)version;
    r.integrity = (char *)integrity;
    r.verdict = verdict;
    r.report_json = (char *)json;
    r.report_len = len;
    r.verified_at = (int64_t)time(NULL);
    r.options = (char *)rs->options;
    return sg_store_put_result(rs->store, ctx, &r);
}

static int verify_lock(lock_args *a, const sg_lockfile *lock, sg_lockfile_run **out)
{
    sg_lockfile_reuse reuse = {reuse_get, reuse_put, NULL};
    reuse_state rs = {NULL, NULL};
    sg_store *store = NULL;
    char url[4200];
    sg_lockfile_verify_opts o = SG_LOCKFILE_VERIFY_OPTS_INIT;
    sg_npm_config *cfg = NULL;
    sg_url_rewrites *rw = NULL;
    sg_cache *cache = NULL;
    char dir[4096];
    const char *cache_dir = NULL;
    int error;

    if ((error = cli_cache_dir(&cache_dir, a->ctx, a->cache, dir, sizeof(dir))) < 0 ||
        (error = cli_load_npm_config(&cfg, a->ctx, a->registry)) < 0 ||
        (error = cli_load_rewrites(&rw, a->ctx, a->rewrites, a->nrewrites)) < 0 ||
        (error = sg_cache_open(&cache, a->ctx, cache_dir)) < 0 ||
        (error = cli_verdict_prepare(&a->verdict, a->ctx, cache_dir,
                                     sg_npm_config_registry_for(cfg, ""))) < 0)
        goto done;
    if (!a->no_store) {
        if (!a->store && snprintf(url, sizeof(url), "sqlite:%s/%s", cache_dir,
                                  SG_STORE_DEFAULT_FILE) >= (int)sizeof(url)) {
            error = sg_error_set(a->ctx, SG_EINVALID, "cache folder path is too long");
            goto done;
        }
        if ((error = sg_store_open(&store, a->ctx, a->store ? a->store : url, NULL)) < 0)
            goto done;
        rs.store = store;
        rs.options = a->verdict.options;
        reuse.payload = &rs;
        o.reuse = &reuse;
    }
    o.release.cache = cache;
    o.release.npm_config = cfg;
    o.release.rewrites = rw;
    o.release.offline = a->offline;
    o.release.fail_on = a->fail_on;
    o.release.rebuild = &a->verdict.rebuild;
    o.release.trust = &a->verdict.trust; /* as verify: keys fetched (cached), provenance read */
    o.jobs = a->jobs;
    o.progress = progress;
    o.progress_payload = a;
    error = sg_lockfile_verify(out, a->ctx, lock, &o);
done:
    sg_store_free(store);
    sg_cache_free(cache);
    sg_url_rewrites_free(rw);
    sg_npm_config_free(cfg);
    return error;
}

/* ---- the overall verdict ------------------------------------------------------------------ */

typedef struct tally {
    size_t pass, fail, inconclusive, error, reused; /* releases by outcome */
    size_t blocked;                                 /* unverifiable entries not allowed */
    int exit_code;                                  /* the worst release's */
    const char *verdict;                            /* its name */
    const char *reason; /* why the gate is inconclusive beyond the releases, or NULL */
} tally;

/* Fail closed: entries that could not be verified and were not allowed, or a run that
 * verified nothing (unless --base found nothing changed), make a passing gate inconclusive. */
static void fail_closed(tally *t, const lock_args *a, const sg_lockfile *lock,
                        const sg_lockfile_run *run)
{
    size_t i;
    for (i = 0; i < sg_lockfile_run_skipped_count(run); i++)
        t->blocked += blocks(a, sg_lockfile_run_skipped(run, i));
    if (t->blocked)
        t->reason = "entries that cannot be verified (see --allow-unverifiable)";
    else if (t->pass + t->inconclusive == 0 && !(a->base && sg_lockfile_count(lock) == 0))
        t->reason = "nothing was verified";
    if (t->exit_code != CLI_EXIT_PASS && t->exit_code != CLI_EXIT_INCONCLUSIVE)
        t->reason = NULL; /* a fail or an error says more than the reason would */
    if (t->reason) {
        t->exit_code = CLI_EXIT_INCONCLUSIVE;
        t->verdict = "inconclusive";
    }
}

static void count(tally *t, const lock_args *a, const sg_lockfile *lock, const sg_lockfile_run *run)
{
    size_t i;
    int operational = 0;
    memset(t, 0, sizeof(*t));
    for (i = 0; i < sg_lockfile_run_count(run); i++) {
        const sg_lockfile_release *r = sg_lockfile_run_release(run, i);
        t->reused += r->reused != 0;
        if (r->error < 0) {
            t->error++;
            operational |= cli_exit_for_error(r->error) == CLI_EXIT_OPERATIONAL;
            continue;
        }
        switch (sg_report_verdict(r->report)) {
        case SG_VERDICT_PASS:
            t->pass++;
            break;
        case SG_VERDICT_FAIL:
            t->fail++;
            break;
        default:
            t->inconclusive++;
            break;
        }
    }
    if (t->fail) {
        t->exit_code = CLI_EXIT_FAIL;
        t->verdict = "fail";
    } else if (t->error) {
        t->exit_code = operational ? CLI_EXIT_OPERATIONAL : CLI_EXIT_USAGE;
        t->verdict = "error";
    } else if (t->inconclusive) {
        t->exit_code = CLI_EXIT_INCONCLUSIVE;
        t->verdict = "inconclusive";
    } else {
        t->exit_code = CLI_EXIT_PASS;
        t->verdict = "pass";
    }
    fail_closed(t, a, lock, run);
}

static const char *release_verdict(const sg_lockfile_release *r)
{
    return r->error < 0 ? "error" : sg_verdict_name(sg_report_verdict(r->report));
}

static const char *change_name(sg_lockfile_change c)
{
    return c == SG_LOCK_ADDED ? "added" : c == SG_LOCK_CHANGED ? "changed" : "unchanged";
}

/* ---- JSON ----------------------------------------------------------------------------------- */

static cJSON *release_json(const lock_args *a, const sg_lockfile_release *r)
{
    cJSON *o = cJSON_CreateObject(), *report = NULL;
    sg_buf buf = SG_BUF_INIT;

    cJSON_AddStringToObject(o, "package", r->name);
    cJSON_AddStringToObject(o, "version", r->version);
    cJSON_AddStringToObject(o, "verdict", release_verdict(r));
    cJSON_AddNumberToObject(o, "line", r->entry->line);
    cJSON_AddNumberToObject(o, "entries", (double)r->nentries);
    if (r->entry->alias)
        cJSON_AddStringToObject(o, "alias", r->entry->alias);
    if (r->entry->integrity)
        cJSON_AddStringToObject(o, "integrity", r->entry->integrity);
    else
        cJSON_AddNullToObject(o, "integrity");
    cJSON_AddStringToObject(o, "change", change_name(r->entry->change));
    cJSON_AddBoolToObject(o, "reused", r->reused);
    if (r->error < 0) {
        cJSON_AddStringToObject(o, "error", r->message);
        cJSON_AddItemToObject(o, "findings", cJSON_CreateArray());
    } else if (sg_report_write_json(&buf, a->ctx, r->report) == 0 &&
               (report = cJSON_ParseWithLength(buf.ptr, buf.size)) != NULL) {
        cJSON *findings = cJSON_DetachItemFromObjectCaseSensitive(report, "findings");
        cJSON_AddItemToObject(o, "findings", findings ? findings : cJSON_CreateArray());
        cJSON_AddItemToObject(o, "report", report);
    }
    sg_buf_dispose(&buf);
    return o;
}

static cJSON *skipped_json(const lock_args *a, const sg_lockfile_entry *e)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "package", e->name);
    if (e->version)
        cJSON_AddStringToObject(o, "version", e->version);
    else
        cJSON_AddNullToObject(o, "version");
    cJSON_AddStringToObject(o, "kind", sg_lockfile_kind_name(e->kind));
    if (e->resolved)
        cJSON_AddStringToObject(o, "resolved", e->resolved);
    else
        cJSON_AddNullToObject(o, "resolved");
    cJSON_AddNumberToObject(o, "line", e->line);
    cJSON_AddStringToObject(o, "change", change_name(e->change));
    cJSON_AddStringToObject(o, "reason", sg_lockfile_skip_reason(e));
    if (sg_lockfile_unverifiable_class(e))
        cJSON_AddStringToObject(o, "class", sg_lockfile_unverifiable_class(e));
    else
        cJSON_AddNullToObject(o, "class");
    cJSON_AddBoolToObject(o, "allowed", !blocks(a, e));
    return o;
}

static int write_json(sg_buf *out, const lock_args *a, const sg_lockfile *lock,
                      const sg_lockfile_run *run, const tally *t)
{
    cJSON *doc = cJSON_CreateObject(), *arr, *counts;
    char *text;
    size_t i;

    cJSON_AddStringToObject(doc, "schema", "sourcegate/lockfile/v1");
    cJSON_AddStringToObject(doc, "lockfile", a->lockfile);
    cJSON_AddStringToObject(doc, "format", sg_lockfile_format_name(sg_lockfile_format_of(lock)));
    cJSON_AddNumberToObject(doc, "format_version", sg_lockfile_version(lock));
    if (a->base)
        cJSON_AddStringToObject(doc, "base", a->base);
    else
        cJSON_AddNullToObject(doc, "base");
    cJSON_AddStringToObject(doc, "fail_on", sg_severity_name(a->fail_on));
    cJSON_AddStringToObject(doc, "verdict_options", a->verdict.options);
    cJSON_AddStringToObject(doc, "verdict", t->verdict);
    if (t->reason)
        cJSON_AddStringToObject(doc, "inconclusive_reason", t->reason);
    else
        cJSON_AddNullToObject(doc, "inconclusive_reason");
    counts = cJSON_AddObjectToObject(doc, "counts");
    cJSON_AddNumberToObject(counts, "entries", (double)sg_lockfile_count(lock));
    cJSON_AddNumberToObject(counts, "releases", (double)sg_lockfile_run_count(run));
    cJSON_AddNumberToObject(counts, "pass", (double)t->pass);
    cJSON_AddNumberToObject(counts, "fail", (double)t->fail);
    cJSON_AddNumberToObject(counts, "inconclusive", (double)t->inconclusive);
    cJSON_AddNumberToObject(counts, "error", (double)t->error);
    cJSON_AddNumberToObject(counts, "reused", (double)t->reused);
    cJSON_AddNumberToObject(counts, "not_verifiable", (double)sg_lockfile_run_skipped_count(run));
    cJSON_AddNumberToObject(counts, "not_allowed", (double)t->blocked);
    arr = cJSON_AddArrayToObject(doc, "releases");
    for (i = 0; i < sg_lockfile_run_count(run); i++)
        cJSON_AddItemToArray(arr, release_json(a, sg_lockfile_run_release(run, i)));
    arr = cJSON_AddArrayToObject(doc, "not_verifiable");
    for (i = 0; i < sg_lockfile_run_skipped_count(run); i++)
        cJSON_AddItemToArray(arr, skipped_json(a, sg_lockfile_run_skipped(run, i)));
    text = cJSON_Print(doc);
    cJSON_Delete(doc);
    if (!text)
        return sg_error_set(a->ctx, SG_ENOMEM, "out of memory writing the JSON report");
    sg_buf_puts(out, text);
    sg_buf_putc(out, '\n');
    cJSON_free(text);
    return sg_buf_check(out, a->ctx, "the JSON report");
}

/* ---- SARIF ---------------------------------------------------------------------------------- */

static int write_sarif(sg_buf *out, const lock_args *a, const sg_lockfile_run *run)
{
    size_t n = sg_lockfile_run_count(run), i, k = 0;
    sg_sarif_release *items = calloc(n ? n : 1, sizeof(*items));
    sg_buf *errs = calloc(n ? n : 1, sizeof(*errs));
    sg_sarif_opts so = SG_SARIF_OPTS_INIT;
    sg_buf category = SG_BUF_INIT;
    const char *uri = a->path ? a->path : a->lockfile;
    int error;

    if (!items || !errs) {
        free(items);
        free(errs);
        return sg_error_set(a->ctx, SG_ENOMEM, "out of memory");
    }
    for (i = 0; i < n; i++)
        sg_buf_init(&errs[i], 8192);
    while (strncmp(uri, "./", 2) == 0)
        uri += 2;
    for (i = 0; i < n; i++) {
        const sg_lockfile_release *r = sg_lockfile_run_release(run, i);
        if (r->error < 0) { /* an error is a notification, not a result */
            sg_buf_printf(&errs[i], "%s@%s could not be verified: %s", r->name, r->version,
                          r->message);
            items[k].error = errs[i].error ? r->message : errs[i].ptr;
        } else if (!r->report) {
            continue;
        }
        items[k].report = r->report;
        items[k].line = r->entry->line;
        k++;
    }
    sg_buf_printf(&category, "sourcegate-lockfile/%s/", uri);
    so.artifact_uri = uri;
    so.category = category.ptr;
    error = sg_sarif_write(out, a->ctx, items, k, &so);
    sg_buf_dispose(&category);
    for (i = 0; i < n; i++)
        sg_buf_dispose(&errs[i]);
    free(errs);
    free(items);
    return error;
}

/* ---- text ----------------------------------------------------------------------------------- */

static void text_release(sg_buf *out, const lock_args *a, const sg_lockfile_release *r)
{
    size_t i, shown = 0, n;
    sg_buf_printf(out, "  %-13s ", release_verdict(r));
    sg_buf_put_display(out, r->name);
    sg_buf_putc(out, '@');
    sg_buf_put_display(out, r->version);
    if (r->entry->line)
        sg_buf_printf(out, " (line %u)", r->entry->line);
    if (r->reused)
        sg_buf_puts(out, " [stored verdict]");
    sg_buf_putc(out, '\n');
    if (r->error < 0) {
        sg_buf_puts(out, "      ");
        sg_buf_put_display(out, r->message);
        sg_buf_putc(out, '\n');
        return;
    }
    n = sg_report_finding_count(r->report);
    for (i = 0; i < n; i++) {
        const sg_finding *f = sg_report_finding(r->report, i);
        if (f->severity < SG_SEV_LOW && !a->verbose)
            continue;
        if (shown++ == 8 && !a->verbose) {
            sg_buf_printf(out, "      ... and more (see --verbose or --format json)\n");
            break;
        }
        sg_report_write_finding_text(out, f, 0, 4); /* path, field, both values, detail */
    }
}

static int write_text(sg_buf *out, const lock_args *a, const sg_lockfile *lock,
                      const sg_lockfile_run *run, const tally *t)
{
    size_t i, n = sg_lockfile_run_count(run), ns = sg_lockfile_run_skipped_count(run);

    sg_buf_printf(out,
                  "%s (%s lockfile v%u)%s%s: %zu release%s to verify, %zu entr%s not "
                  "verifiable\n",
                  a->lockfile, sg_lockfile_format_name(sg_lockfile_format_of(lock)),
                  sg_lockfile_version(lock), a->base ? ", changes since " : "",
                  a->base ? a->base : "", n, n == 1 ? "" : "s", ns, ns == 1 ? "y" : "ies");
    for (i = 0; i < n; i++)
        text_release(out, a, sg_lockfile_run_release(run, i));
    if (ns)
        sg_buf_puts(out, "Not verifiable:\n");
    for (i = 0; i < ns; i++) {
        const sg_lockfile_entry *e = sg_lockfile_run_skipped(run, i);
        sg_buf_printf(out, "  %-10s ", sg_lockfile_kind_name(e->kind));
        sg_buf_put_display(out, e->name);
        if (e->version) {
            sg_buf_putc(out, '@');
            sg_buf_put_display(out, e->version);
        }
        if (e->line)
            sg_buf_printf(out, " (line %u)", e->line);
        sg_buf_printf(out, ": %s%s\n", sg_lockfile_skip_reason(e),
                      blocks(a, e) ? " (not allowed: the gate is inconclusive)" : "");
    }
    sg_buf_printf(out, "verdict: %s (%zu pass, %zu fail, %zu inconclusive, %zu error", t->verdict,
                  t->pass, t->fail, t->inconclusive, t->error);
    if (t->reused)
        sg_buf_printf(out, "; %zu from stored verdicts", t->reused);
    if (t->blocked)
        sg_buf_printf(out, "; %zu unverifiable entr%s not allowed", t->blocked,
                      t->blocked == 1 ? "y" : "ies");
    sg_buf_puts(out, ")\n");
    if (t->reason)
        sg_buf_printf(out, "Inconclusive: %s\n", t->reason);
    for (i = 0; a->verbose && i < n; i++) {
        const sg_lockfile_release *r = sg_lockfile_run_release(run, i);
        if (r->error < 0 || sg_report_verdict(r->report) == SG_VERDICT_PASS)
            continue;
        sg_buf_puts(out, "\n");
        if (sg_report_write_text(out, a->ctx, r->report, SG_TEXT_VERBOSE) < 0)
            return sg_error_code_of(a->ctx);
    }
    return sg_buf_check(out, a->ctx, "the report");
}

static int emit(const lock_args *a, const sg_lockfile *lock, const sg_lockfile_run *run,
                const tally *t)
{
    sg_buf out = SG_BUF_INIT;
    int error, rc = 0;

    if (strcmp(a->format, "json") == 0)
        error = write_json(&out, a, lock, run, t);
    else if (strcmp(a->format, "sarif") == 0)
        error = write_sarif(&out, a, run);
    else
        error = write_text(&out, a, lock, run, t);
    if (error < 0) {
        rc = cli_report_error(a->ctx, error);
        goto done;
    }
    rc = cli_write_output(a->output, &out, NULL);
done:
    sg_buf_dispose(&out);
    return rc;
}

int cli_cmd_lockfile(int argc, char **argv)
{
    static const cli_command_spec spec = {lockfile_opts, "lockfile", 2, on_opt, lockfile_help};
    lock_args a;
    sg_lockfile *lock = NULL, *base = NULL, *delta = NULL;
    sg_lockfile_run *run = NULL;
    tally t;
    int rc, error;

    memset(&a, 0, sizeof(a));
    a.format = "text";
    a.fail_on = SG_SEV_HIGH;
    cli_verdict_init(&a.verdict);
    if (cli_begin(&rc, &a.ctx, &spec, argc, argv, &a, &a.help))
        goto done;
    if (!a.lockfile) {
        fprintf(stderr, "sourcegate lockfile: LOCKFILE is required (see --help)\n");
        rc = CLI_EXIT_USAGE;
        goto done;
    }
    a.progress = cli_progress_style_for(a.progress_mode, a.quiet) == CLI_PROGRESS_LIVE;
    a.plain_progress = cli_progress_style_for(a.progress_mode, a.quiet) == CLI_PROGRESS_PLAIN;
    if ((error = load(&lock, a.ctx, a.lockfile)) < 0 ||
        (a.base && (error = load(&base, a.ctx, a.base)) < 0) ||
        (base && (error = sg_lockfile_delta(&delta, a.ctx, lock, base)) < 0) ||
        (error = verify_lock(&a, delta ? delta : lock, &run)) < 0) {
        rc = cli_report_error(a.ctx, error);
        goto done;
    }
    count(&t, &a, delta ? delta : lock, run);
    if (!a.quiet && (rc = emit(&a, delta ? delta : lock, run, &t)) != 0)
        goto done;
    rc = t.exit_code;
done:
    sg_lockfile_run_free(run);
    sg_lockfile_free(delta);
    sg_lockfile_free(base);
    sg_lockfile_free(lock);
    cli_verdict_dispose(&a.verdict);
    sg_ctx_free(a.ctx);
    return rc;
}
