/*
 * Verifying the registry entries of a lockfile (lockfile.h): each distinct name@version once,
 * on a pool of worker threads (jobs.c), each worker with its own sg_ctx and cache handle; the
 * lockfile's own integrity is then checked against the bytes the registry served.
 *
 * Thread safety: libcurl's global state and glibc's time zone are initialized once before any
 * thread starts; libgit2 and cJSON initialize themselves once (pthread_once); the cache is
 * shared through its folder (flock locks and atomic renames make that safe between threads as
 * between processes); every other object a verification uses is its own. The reuse and
 * progress callbacks are called under one mutex. A ThreadSanitizer run of 13 releases on 4
 * workers reports only glibc's tzset inside libgit2's git_signature_now, which glibc
 * serializes with an internal lock TSan cannot see.
 */
#include "common/common.h"

#include <curl/curl.h>
#include <pthread.h>
#include <time.h>

#include "verifier/lockfile/jobs_int.h"
#include "verifier/lockfile/lockfile_int.h"

typedef struct runner runner;

/* One release: a distinct name@version and the entries that pin it. */
typedef struct rel {
    sg_lockfile_release pub;           /* what callers see */
    const sg_lockfile_entry **entries; /* the entries (borrowed from the lockfile) */
    size_t n;                          /* how many */
    sg_report *report;                 /* owned */
    char *message;                     /* owned copy of the error message */
    runner *r;                         /* the run it belongs to */
} rel;

struct sg_lockfile_run {
    rel *v;                            /* releases, by name then version */
    size_t n;                          /* how many */
    const sg_lockfile_entry **entries; /* storage of every rel's entries */
    const sg_lockfile_entry **skipped; /* entries not verified */
    size_t nskipped;                   /* how many */
};

struct runner {
    const sg_lockfile_verify_opts *opts; /* the caller's options */
    sg_lockfile_run *run;                /* being filled */
    sg_ctx **ctxs;                       /* one per worker */
    sg_cache **caches;                   /* one per worker */
    size_t nworkers;                     /* how many */
    pthread_mutex_t lock;                /* around reuse, progress and `done` */
    size_t done;                         /* releases finished */
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

/* Process-wide state the workers would otherwise initialize concurrently, done once before
 * they start: libcurl's global initialization (not thread-safe on every build; the registry
 * client's own once then finds it done) and glibc's time zone (libgit2 reads the local time
 * for mirror reflogs; tzset's first run writes globals). */
static void init_process_once(void)
{
    (void)curl_global_init(CURL_GLOBAL_DEFAULT);
    tzset();
}

/* ---- integrity ------------------------------------------------------------------------- */

static const struct {
    const char *prefix; /* SRI algorithm with its dash */
    sg_hash_alg alg;    /* how to compute it */
} sri_algs[] = {{"sha512-", SG_HASH_SHA512}, {"sha256-", SG_HASH_SHA256}, {"sha1-", SG_HASH_SHA1}};

/* 1 when every token of the SRI string is sha512 (then the report's integrity suffices). */
static int only_sha512(const char *sri)
{
    const char *p = sri;
    while (*p) {
        size_t n;
        p += strspn(p, " \t\r\n");
        n = strcspn(p, " \t\r\n");
        if (n && strncmp(p, "sha512-", 7) != 0)
            return 0;
        p += n;
    }
    return 1;
}

/* SRI of bytes with alg into out ("alg-base64"). */
static int sri_of(sg_buf *out, sg_ctx *ctx, size_t alg, const sg_buf *bytes)
{
    sg_hash h = SG_HASH_INIT;
    unsigned char d[64];
    size_t dlen = 0;
    int error;
    sg_buf_clear(out);
    if ((error = sg_hash_begin(&h, ctx, sri_algs[alg].alg)) < 0 ||
        (error = sg_hash_update(&h, ctx, bytes->ptr, bytes->size)) < 0 ||
        (error = sg_hash_end(&h, ctx, d, &dlen)) < 0)
        return error;
    sg_buf_puts(out, sri_algs[alg].prefix);
    sg_base64_encode(out, d, dlen);
    return sg_buf_check(out, ctx, "a digest");
}

/*
 * Does the lockfile's SRI match the tarball? Every token of a known algorithm must match
 * (ssri would settle for the strongest; a lockfile whose weaker digest is wrong is wrong).
 * *checked counts the tokens compared. `served` is the report's sha512 SRI; bytes may be
 * empty when every token is sha512.
 */
static int sri_matches(int *match, size_t *checked, sg_ctx *ctx, const char *sri,
                       const char *served, const sg_buf *bytes)
{
    sg_buf want = SG_BUF_INIT;
    const char *p = sri;
    int error = 0;

    *match = 1;
    *checked = 0;
    while (*p && *match) {
        size_t n, a, body;
        p += strspn(p, " \t\r\n");
        n = strcspn(p, " \t\r\n");
        for (a = 0; n && a < SG_ARRAY_SIZE(sri_algs); a++) {
            if (strncmp(p, sri_algs[a].prefix, strlen(sri_algs[a].prefix)) != 0)
                continue;
            body = strcspn(p, "? \t\r\n"); /* SRI options after '?' are not part of it */
            if (a == 0 && served) {
                *match = strlen(served) == body && memcmp(served, p, body) == 0;
            } else if (bytes->size) {
                if ((error = sri_of(&want, ctx, a, bytes)) < 0)
                    goto done;
                *match = want.size == body && memcmp(want.ptr, p, body) == 0;
            } else {
                break; /* nothing to compare with */
            }
            (*checked)++;
            break;
        }
        p += n;
    }
done:
    sg_buf_dispose(&want);
    return error;
}

/* Each distinct integrity of the release's entries against what the registry served. */
static int check_entries(rel *x, sg_ctx *ctx, const sg_buf *bytes)
{
    const char *served = sg_report_get(x->report, SG_REPORT_ARTIFACT_INTEGRITY);
    size_t i, j;
    int error;

    if (!served)
        return 0; /* the registry's own digest failed: already an integrity-mismatch */
    for (i = 0; i < x->n; i++) {
        const sg_lockfile_entry *e = x->entries[i];
        size_t checked;
        int match, seen = 0;
        if (!e->integrity)
            continue;
        for (j = 0; j < i; j++)
            seen |= x->entries[j]->integrity && strcmp(x->entries[j]->integrity, e->integrity) == 0;
        if (seen)
            continue;
        if ((error = sri_matches(&match, &checked, ctx, e->integrity, served, bytes)) < 0)
            return error;
        if (match && checked)
            continue;
        error = sg_report_addf(
            x->report, ctx, "integrity-mismatch", NULL,
            checked ? "the lockfile (line %u) pins %s@%s to '%.200s', but the registry serves "
                      "'%s'"
                    : "the lockfile (line %u) pins %s@%s to '%.200s', which names no digest "
                      "sourcegate can check (sha1, sha256, sha512); the registry serves '%s'",
            e->line, x->pub.name, x->pub.version, e->integrity, served);
        if (error < 0)
            return error;
    }
    return 0;
}

/* ---- one release ------------------------------------------------------------------------- */

static int reusable(const rel *x)
{
    size_t i;
    for (i = 0; i < x->n; i++) {
        if (!x->entries[i]->integrity || !only_sha512(x->entries[i]->integrity))
            return 0;
    }
    return 1;
}

/* Members of a stored report that map onto string fields. */
static const struct {
    const char *object; /* NULL: the top level */
    const char *member; /* its name */
    sg_report_field field;
} stored_fields[] = {
    {NULL, "package", SG_REPORT_PACKAGE},
    {NULL, "version", SG_REPORT_VERSION},
    {NULL, "purl", SG_REPORT_PURL},
    {"artifact", "url", SG_REPORT_ARTIFACT_URL},
    {"artifact", "integrity", SG_REPORT_ARTIFACT_INTEGRITY},
    {"artifact", "sha256", SG_REPORT_ARTIFACT_SHA256},
    {"artifact", "packer", SG_REPORT_PACKER},
    {"source", "repository", SG_REPORT_SOURCE_REPOSITORY},
    {"source", "commit", SG_REPORT_SOURCE_COMMIT},
    {"source", "ref", SG_REPORT_SOURCE_REF},
    {"source", "resolved_by", SG_REPORT_SOURCE_RESOLVED_BY},
    {"source", "subdir", SG_REPORT_SOURCE_SUBDIR},
    {"compared_with", "ref", SG_REPORT_COMPARED_REF},
    {"compared_with", "commit", SG_REPORT_COMPARED_COMMIT},
    {"compared_with", "why", SG_REPORT_COMPARED_WHY},
};

static int stored_finding(sg_report *r, sg_ctx *ctx, const cJSON *f)
{
    sg_finding x = {0};
    const char *sev = sg_json_str(f, "severity");
    x.kind = sg_json_str(f, "kind");
    if (!x.kind || !sev || sg_severity_parse(&x.severity, sev) < 0)
        return sg_error_set(ctx, SG_EINVALID, "a stored finding has no kind or severity");
    x.path = sg_json_str(f, "path");
    x.field = sg_json_str(f, "field");
    x.name = sg_json_str(f, "name");
    x.before = sg_json_str(f, "before");
    x.after = sg_json_str(f, "after");
    x.detail = sg_json_str(f, "detail");
    return sg_report_add(r, ctx, &x);
}

/* Rebuild a report from its JSON (as sg_report_write_json writes it): fields, normalizations,
 * findings (kinds must be known), the inconclusive reason and the artifact's file count. */
static int report_from_json(sg_report **out, sg_ctx *ctx, const char *json, size_t len)
{
    cJSON *doc = NULL;
    const cJSON *it;
    sg_report *r = NULL;
    const char *s;
    size_t i;
    int error;

    *out = NULL;
    if ((error = sg_json_parse(&doc, ctx, json, len, "a stored report")) < 0)
        return error;
    if (!cJSON_IsObject(doc) || !(s = sg_json_str(doc, "schema")) ||
        strcmp(s, "sourcegate/report/v1") != 0) {
        error = sg_error_set(ctx, SG_EINVALID, "a stored report is not sourcegate/report/v1");
        goto done;
    }
    if ((error = sg_report_new(&r, ctx)) < 0)
        goto done;
    for (i = 0; i < SG_ARRAY_SIZE(stored_fields) && error == 0; i++) {
        const cJSON *o = stored_fields[i].object
                             ? cJSON_GetObjectItemCaseSensitive(doc, stored_fields[i].object)
                             : doc;
        if ((s = sg_json_str(o, stored_fields[i].member)) != NULL)
            error = sg_report_set(r, ctx, stored_fields[i].field, s);
    }
    it = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "artifact"),
                                          "files");
    if (cJSON_IsNumber(it) && it->valuedouble >= 0)
        sg_report_set_count(r, SG_COUNT_ARTIFACT_FILES, (uint64_t)it->valuedouble);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "normalizations"))
    {
        if (error == 0 && cJSON_IsString(it))
            error = sg_report_add_normalization(r, ctx, it->valuestring);
    }
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(doc, "findings"))
    {
        if (error == 0)
            error = stored_finding(r, ctx, it);
    }
    if (error == 0 && (s = sg_json_str(doc, "inconclusive_reason")) != NULL)
        error = sg_report_set_inconclusive(r, ctx, s);
done:
    cJSON_Delete(doc);
    if (error < 0) {
        sg_report_free(r);
        return error;
    }
    *out = r;
    return 0;
}

/* A stored source-missing verdict is not reused: sourcegate before issue 14 reported an
 * unreachable git host as source-missing and stored it, and a repository that was missing
 * may be there now; verifying again costs one registry request and one fetch. */
static int has_source_missing(const sg_report *r)
{
    size_t i;
    for (i = 0; i < sg_report_finding_count(r); i++) {
        if (strcmp(sg_report_finding(r, i)->kind, "source-missing") == 0)
            return 1;
    }
    return 0;
}

static int try_reuse(rel *x, sg_ctx *ctx)
{
    const sg_lockfile_reuse *ru = x->r->opts->reuse;
    sg_buf json = SG_BUF_INIT;
    sg_report *got = NULL;
    int rc;

    if (!ru || !ru->get || !reusable(x))
        return 0;
    sg_buf_init(&json, (size_t)sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE));
    pthread_mutex_lock(&x->r->lock);
    rc = ru->get(ru->payload, &json, ctx, "npm", x->pub.name, x->pub.version,
                 x->entries[0]->integrity);
    pthread_mutex_unlock(&x->r->lock);
    if (rc == 0 && json.error == 0)
        rc = report_from_json(&got, ctx, json.ptr, json.size);
    sg_buf_dispose(&json);
    sg_error_clear(ctx);
    if (rc != 0 || !got)
        return 0;
    if (has_source_missing(got)) { /* maybe a network failure stored by an older version */
        sg_report_free(got);
        return 0;
    }
    x->report = got;
    x->pub.reused = 1;
    return 1;
}

static void store(rel *x, sg_ctx *ctx)
{
    const sg_lockfile_reuse *ru = x->r->opts->reuse;
    const char *integrity = sg_report_get(x->report, SG_REPORT_ARTIFACT_INTEGRITY);
    sg_buf json = SG_BUF_INIT;

    if (!ru || !ru->put || !integrity)
        return;
    if (sg_report_write_json(&json, ctx, x->report) == 0) {
        pthread_mutex_lock(&x->r->lock);
        (void)ru->put(ru->payload, ctx, "npm", x->pub.name, x->pub.version, integrity,
                      sg_report_verdict(x->report), json.ptr, json.size);
        pthread_mutex_unlock(&x->r->lock);
    }
    sg_buf_dispose(&json);
    sg_error_clear(ctx);
}

static int verify_fresh(rel *x, sg_ctx *ctx, sg_cache *cache, sg_buf *bytes)
{
    sg_verify_release_opts o = x->r->opts->release;
    sg_rebuild_opts rebuild;
    size_t i;
    int need_bytes = 0, error;

    if (o.rebuild && o.npm_config) {
        /* as verify NAME@VERSION: the install step may reach the package's own registry */
        rebuild = *o.rebuild;
        rebuild.registry = sg_npm_config_registry_for(o.npm_config, x->pub.name);
        o.rebuild = &rebuild;
    }

    for (i = 0; i < x->n; i++)
        need_bytes |= x->entries[i]->integrity && !only_sha512(x->entries[i]->integrity);
    o.name = x->pub.name;
    o.spec = x->pub.version;
    o.cache = cache;
    o.source = o.ref = o.subdir = NULL;
    o.tarball = need_bytes ? bytes : NULL;
    if ((error = sg_verify_release(&x->report, ctx, &o)) < 0)
        return error;
    store(x, ctx);
    return 0;
}

static void finish(rel *x, sg_ctx *ctx, int error)
{
    runner *r = x->r;
    if (error < 0) {
        const char *m = sg_error_message(ctx);
        x->pub.error = error;
        x->message = sg_strdup(m && *m ? m : sg_error_name(error));
        sg_report_free(x->report);
        x->report = NULL;
    }
    x->pub.report = x->report;
    x->pub.message = x->message ? x->message : "";
    pthread_mutex_lock(&r->lock);
    r->done++;
    if (r->opts->progress)
        r->opts->progress(r->opts->progress_payload, r->done, r->run->n, &x->pub);
    pthread_mutex_unlock(&r->lock);
    sg_error_clear(ctx);
}

static void verify_job(void *arg, size_t worker)
{
    rel *x = arg;
    runner *r = x->r;
    sg_ctx *ctx = r->ctxs[worker];
    sg_buf bytes = SG_BUF_INIT, spec = SG_BUF_INIT;
    char *name = NULL, *version = NULL;
    int error;

    sg_error_clear(ctx);
    sg_buf_printf(&spec, "%s@%s", x->pub.name, x->pub.version);
    if ((error = sg_buf_check(&spec, ctx, "a release")) < 0 ||
        (error = sg_release_spec_parse(&name, &version, ctx, spec.ptr)) < 0)
        goto done;
    if (!try_reuse(x, ctx) && (error = verify_fresh(x, ctx, r->caches[worker], &bytes)) < 0)
        goto done;
    if ((error = check_entries(x, ctx, &bytes)) < 0)
        goto done;
    sg_report_decide(x->report, r->opts->release.fail_on);
done:
    finish(x, ctx, error);
    sg_release_spec_free(name, version);
    sg_buf_dispose(&spec);
    sg_buf_dispose(&bytes);
}

/* ---- the run ----------------------------------------------------------------------------- */

static int entry_cmp(const void *a, const void *b)
{
    const sg_lockfile_entry *x = *(const sg_lockfile_entry *const *)a;
    const sg_lockfile_entry *y = *(const sg_lockfile_entry *const *)b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    c = strcmp(x->version, y->version);
    if (c)
        return c;
    return x < y ? -1 : x > y; /* lockfile order within a release */
}

/* Is the http(s) URL anywhere below the registry URL (which ends in '/')? Scheme and host
 * compare without case, the path with it. Registries lay tarballs out differently
 * (Artifactory, Nexus, Verdaccio, GitHub Packages), so any path below the registry is its. */
static int under_registry(const char *url, const char *registry)
{
    const char *host = strstr(registry, "://");
    size_t n = strlen(registry), h;

    if (!url || !host || n < 2 || registry[n - 1] != '/')
        return 0;
    host += 3;
    h = (size_t)(host - registry) + strcspn(host, "/");
    if (strlen(url) <= n || sg_strncasecmp(url, registry, h) != 0)
        return 0;
    return strncmp(url + h, registry + h, n - h) == 0;
}

static int verifiable(const sg_lockfile_entry *e, const sg_npm_config *cfg)
{
    if ((e->flags & SG_LOCK_BUNDLED) || !e->name || !e->version)
        return 0;
    if (e->kind == SG_LOCK_KIND_REGISTRY)
        return 1;
    /* a tarball under the configured registry is its release NAME@VERSION */
    return e->kind == SG_LOCK_KIND_TARBALL &&
           under_registry(e->resolved, sg_npm_config_registry_for(cfg, e->name));
}

/* Sort the verifiable entries and group them into releases; list the others as skipped. */
static int plan(sg_lockfile_run *run, sg_ctx *ctx, const sg_lockfile *lock,
                const sg_npm_config *cfg)
{
    size_t n = sg_lockfile_count(lock), i, nv = 0;

    run->entries = sg_calloc(n ? n : 1, sizeof(*run->entries));
    run->skipped = sg_calloc(n ? n : 1, sizeof(*run->skipped));
    run->v = sg_calloc(n ? n : 1, sizeof(*run->v));
    if (!run->entries || !run->skipped || !run->v)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    for (i = 0; i < n; i++) {
        const sg_lockfile_entry *e = sg_lockfile_entry_at(lock, i);
        if (verifiable(e, cfg))
            run->entries[nv++] = e;
        else
            run->skipped[run->nskipped++] = e;
    }
    qsort(run->entries, nv, sizeof(*run->entries), entry_cmp);
    for (i = 0; i < nv; i++) {
        const sg_lockfile_entry *e = run->entries[i];
        rel *last = run->n ? &run->v[run->n - 1] : NULL;
        if (last && strcmp(last->pub.name, e->name) == 0 &&
            strcmp(last->pub.version, e->version) == 0) {
            last->n++;
            last->pub.nentries++;
            continue;
        }
        last = &run->v[run->n++];
        last->pub.name = e->name;
        last->pub.version = e->version;
        last->pub.entry = e;
        last->pub.nentries = 1;
        last->pub.message = "";
        last->entries = &run->entries[i];
        last->n = 1;
    }
    for (i = 0; i < run->n; i++) { /* the first entry in lockfile order names the line */
        size_t j;
        for (j = 1; j < run->v[i].n; j++) {
            if (run->v[i].entries[j]->line &&
                (!run->v[i].pub.entry->line ||
                 run->v[i].entries[j]->line < run->v[i].pub.entry->line))
                run->v[i].pub.entry = run->v[i].entries[j];
        }
    }
    return 0;
}

/* Per-worker contexts (with the caller's limits) and cache handles. */
static int workers_open(runner *r, sg_ctx *ctx, size_t n)
{
    const char *dir = sg_cache_dir(r->opts->release.cache);
    size_t i, l;
    int error;

    r->ctxs = sg_calloc(n, sizeof(*r->ctxs));
    r->caches = sg_calloc(n, sizeof(*r->caches));
    if (!r->ctxs || !r->caches)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    r->nworkers = n;
    for (i = 0; i < n; i++) {
        if (sg_ctx_new(&r->ctxs[i]) < 0)
            return sg_error_set(ctx, SG_ENOMEM, "out of memory");
        for (l = 0; l < SG_LIMIT__COUNT; l++)
            (void)sg_ctx_set_limit(r->ctxs[i], (sg_limit)l, sg_ctx_limit(ctx, (sg_limit)l));
        if ((error = sg_cache_open(&r->caches[i], ctx, dir)) < 0)
            return error;
    }
    return 0;
}

static void workers_close(runner *r)
{
    size_t i;
    for (i = 0; i < r->nworkers; i++) {
        if (r->ctxs)
            sg_ctx_free(r->ctxs[i]);
        if (r->caches)
            sg_cache_free(r->caches[i]);
    }
    sg_free(r->ctxs);
    sg_free(r->caches);
}

int sg_lockfile_verify(sg_lockfile_run **out, sg_ctx *ctx, const sg_lockfile *lock,
                       const sg_lockfile_verify_opts *opts)
{
    sg_lockfile_run *run = NULL;
    sg_jobs *pool = NULL;
    runner r;
    size_t i, workers;
    int error;

    *out = NULL;
    if (!lock || !opts || !opts->release.cache)
        return sg_error_set(ctx, SG_EINVALID, "verifying a lockfile needs a lockfile and a cache");
    memset(&r, 0, sizeof(r));
    r.opts = opts;
    pthread_mutex_init(&r.lock, NULL);
    if (!(run = sg_calloc(1, sizeof(*run)))) {
        error = sg_error_set(ctx, SG_ENOMEM, "out of memory");
        goto done;
    }
    r.run = run;
    if ((error = plan(run, ctx, lock, opts->release.npm_config)) < 0)
        goto done;
    workers = opts->jobs ? opts->jobs : sg_jobs_default_workers();
    if (workers > run->n)
        workers = run->n ? run->n : 1;
    pthread_once(&init_once, init_process_once);
    if ((error = sg_jobs_new(&pool, ctx, workers)) < 0 ||
        (error = workers_open(&r, ctx, sg_jobs_workers(pool))) < 0)
        goto done;
    for (i = 0; i < run->n; i++) {
        run->v[i].r = &r;
        if ((error = sg_jobs_submit(pool, ctx, verify_job, &run->v[i])) < 0)
            break;
    }
    sg_jobs_wait(pool);
done:
    sg_jobs_free(pool);
    workers_close(&r);
    pthread_mutex_destroy(&r.lock);
    for (i = 0; run && i < run->n; i++)
        run->v[i].r = NULL;
    if (error < 0) {
        sg_lockfile_run_free(run);
        return error;
    }
    *out = run;
    return 0;
}

void sg_lockfile_run_free(sg_lockfile_run *run)
{
    size_t i;
    if (!run)
        return;
    for (i = 0; run->v && i < run->n; i++) {
        sg_report_free(run->v[i].report);
        sg_free(run->v[i].message);
    }
    sg_free(run->v);
    sg_free(run->entries);
    sg_free(run->skipped);
    sg_free(run);
}

size_t sg_lockfile_run_count(const sg_lockfile_run *run)
{
    return run ? run->n : 0;
}

const sg_lockfile_release *sg_lockfile_run_release(const sg_lockfile_run *run, size_t i)
{
    return run && i < run->n ? &run->v[i].pub : NULL;
}

size_t sg_lockfile_run_skipped_count(const sg_lockfile_run *run)
{
    return run ? run->nskipped : 0;
}

const sg_lockfile_entry *sg_lockfile_run_skipped(const sg_lockfile_run *run, size_t i)
{
    return run && i < run->nskipped ? run->skipped[i] : NULL;
}

sg_verdict sg_lockfile_run_verdict(const sg_lockfile_run *run)
{
    sg_verdict worst = SG_VERDICT_PASS;
    size_t i;
    for (i = 0; run && i < run->n; i++) {
        sg_verdict v;
        if (!run->v[i].report)
            continue;
        v = sg_report_verdict(run->v[i].report);
        if (v == SG_VERDICT_FAIL)
            return v;
        if (v == SG_VERDICT_INCONCLUSIVE)
            worst = v;
    }
    return worst;
}
