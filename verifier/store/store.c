/*
 * The store (store.h): schema and migrations, results, audit runs and the job queue, written
 * once over the backend table of store_int.h. Every statement is SQL that SQLite and
 * PostgreSQL both accept; the dialects differ only in how a write transaction starts, how a
 * claim locks its row and how concurrent schema changes are serialized.
 *
 * Exactly once: a claim gives the job a fresh random token; extend, complete, fail and
 * release only touch a row that is still running under that token, so a worker whose lease
 * ran out and whose job was claimed again (or requeued) writes nothing. Completion marks the
 * job done and writes the result in one transaction.
 */
#include "common/common.h"

#include <sys/random.h>

#include "verifier/store/store_int.h"

/* Longest run name a caller may choose, and what may appear in it. */
#define MAX_RUN_NAME 64
/* Bounds on what is stored and read back (the store is shared, so untrusted). */
#define MAX_NAME_BYTES 1024
#define MAX_OWNER_BYTES 200
#define MAX_ERROR_BYTES 1000
#define MAX_OWNERS 100000
#define MAX_PARAMS 4096
/* The run key derived from the list: this many hex digits of a SHA-256. */
#define RUN_KEY_HEX 24

struct sg_store {
    const sg_store_backend *be; /* the database's table of functions */
    void *conn;                 /* its connection */
    sg_store_opts opts;         /* the caller's options (clock) */
};

/* ---- schema -------------------------------------------------------------------------- */

/* Version 1: results only (what reuse of verdicts needs). */
static const char *const schema_v1[] = {
    "CREATE TABLE results (ecosystem TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL, "
    "integrity TEXT NOT NULL, verdict TEXT NOT NULL, report TEXT NOT NULL, "
    "verified_at BIGINT NOT NULL, PRIMARY KEY (ecosystem, name, version, integrity))",
};

/* Version 2: audit runs and their job queue. */
static const char *const schema_v2[] = {
    "CREATE TABLE runs (run TEXT PRIMARY KEY, run_key TEXT NOT NULL, generation BIGINT NOT NULL, "
    "params TEXT NOT NULL, created_at BIGINT NOT NULL, total BIGINT NOT NULL)",
    "CREATE INDEX runs_by_key ON runs (run_key, generation)",
    "CREATE TABLE jobs (run TEXT NOT NULL, pos BIGINT NOT NULL, ecosystem TEXT NOT NULL, "
    "name TEXT NOT NULL, spec TEXT NOT NULL, state TEXT NOT NULL, owner TEXT, token TEXT, "
    "lease_until BIGINT, attempts BIGINT NOT NULL, outcome TEXT, version TEXT, integrity TEXT, "
    "error TEXT, finished_at BIGINT, PRIMARY KEY (run, ecosystem, name, spec))",
    "CREATE INDEX jobs_by_state ON jobs (run, state, pos)",
    "CREATE INDEX jobs_by_owner ON jobs (state, owner)",
    "CREATE INDEX results_by_time ON results (verified_at)",
};

/* Version 3: the verdict options a result was made with (existing rows: "", never reused). */
static const char *const schema_v3[] = {
    "ALTER TABLE results ADD COLUMN options TEXT NOT NULL DEFAULT ''",
};

static const struct {
    const char *const *stmts; /* statements that bring version-1 to this version */
    size_t n;                 /* how many */
} migrations[] = {
    {NULL, 0},
    {schema_v1, SG_ARRAY_SIZE(schema_v1)},
    {schema_v2, SG_ARRAY_SIZE(schema_v2)},
    {schema_v3, SG_ARRAY_SIZE(schema_v3)},
};

/* ---- small helpers ------------------------------------------------------------------- */

static sg_store_val text(const char *s)
{
    sg_store_val v = {SG_SV_TEXT, s, s ? strlen(s) : 0, 0};
    if (!s)
        v.type = SG_SV_NULL;
    return v;
}

static sg_store_val integer(int64_t i)
{
    sg_store_val v = {SG_SV_INT, NULL, 0, i};
    return v;
}

static int run_sql(sg_store *s, sg_ctx *ctx, const char *sql, const sg_store_val *p, size_t n,
                   sg_store_row_cb cb, void *payload, uint64_t *changes)
{
    return s->be->query(s->conn, ctx, sql, p, n, cb, payload, changes);
}

static int begin(sg_store *s, sg_ctx *ctx, int global)
{
    int error = run_sql(s, ctx, s->be->begin_write, NULL, 0, NULL, NULL, NULL);
    if (error == 0 && global && s->be->global_lock &&
        (error = run_sql(s, ctx, s->be->global_lock, NULL, 0, NULL, NULL, NULL)) < 0)
        run_sql(s, ctx, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
    return error;
}

static int commit(sg_store *s, sg_ctx *ctx)
{
    return run_sql(s, ctx, "COMMIT", NULL, 0, NULL, NULL, NULL);
}

/* Roll back after an error; the first error stays the one reported. */
static void rollback(sg_store *s, sg_ctx *ctx)
{
    run_sql(s, ctx, "ROLLBACK", NULL, 0, NULL, NULL, NULL);
}

static int now_ms(sg_store *s, sg_ctx *ctx, int64_t *out)
{
    if (s->opts.clock_ms) {
        *out = s->opts.clock_ms(s->opts.clock_payload);
        return 0;
    }
    return s->be->now_ms(s->conn, ctx, out);
}

/* Parse a decimal integer column; SG_EINVALID for anything else. */
static int parse_i64(int64_t *out, sg_ctx *ctx, const char *col, const char *what)
{
    char *end = NULL;
    long long v;
    if (!col || !*col)
        return sg_error_set(ctx, SG_EINVALID, "store: '%s' is missing", what);
    errno = 0;
    v = strtoll(col, &end, 10);
    if (errno || *end)
        return sg_error_set(ctx, SG_EINVALID, "store: '%s' is not a number", what);
    *out = (int64_t)v;
    return 0;
}

/* Row callback: the first column as an integer (NULL leaves it), and that a row came. */
typedef struct int_row {
    int64_t value; /* the value read */
    int found;     /* a row came */
} int_row;

static int read_int_row(void *payload, sg_ctx *ctx, const char *const *cols, const size_t *lens,
                        int ncols)
{
    int_row *r = payload;
    (void)lens;
    r->found = 1;
    if (ncols < 1 || !cols[0])
        return 0;
    return parse_i64(&r->value, ctx, cols[0], "count");
}

static int parse_verdict(sg_verdict *out, const char *name)
{
    static const sg_verdict all[] = {SG_VERDICT_PASS, SG_VERDICT_FAIL, SG_VERDICT_INCONCLUSIVE};
    size_t i;
    for (i = 0; name && i < SG_ARRAY_SIZE(all); i++) {
        if (strcmp(name, sg_verdict_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    }
    return SG_EINVALID;
}

static int check_name(sg_ctx *ctx, const char *value, const char *what)
{
    size_t n = value ? strlen(value) : 0;
    if (n == 0)
        return sg_error_set(ctx, SG_EINVALID, "store: the %s is empty", what);
    if (n > MAX_NAME_BYTES)
        return sg_error_set(ctx, SG_EINVALID, "store: the %s is longer than %d bytes", what,
                            MAX_NAME_BYTES);
    return 0;
}

/* ---- open and migrate ---------------------------------------------------------------- */

static int read_version(int *out, sg_ctx *ctx, sg_store *s)
{
    sg_store_val p = text("sg_schema");
    int_row r = {0, 0};
    int error;
    *out = 0;
    if ((error = run_sql(s, ctx, s->be->table_exists, &p, 1, read_int_row, &r, NULL)) < 0 ||
        !r.found)
        return error;
    r.found = 0;
    if ((error = run_sql(s, ctx, "SELECT MAX(version) FROM sg_schema", NULL, 0, read_int_row, &r,
                         NULL)) < 0)
        return error;
    if (r.value < 0 || r.value > 1000000)
        return sg_error_set(ctx, SG_EINVALID, "store: schema version %" PRId64 " is invalid",
                            r.value);
    *out = (int)r.value;
    return 0;
}

static int too_new(sg_ctx *ctx, int version)
{
    return sg_error_set(ctx, SG_EUNSUPPORTED,
                        "store schema version %d is newer than this sourcegate supports (%d)",
                        version, SG_STORE_SCHEMA_VERSION);
}

/* Bring the schema up to date in one transaction (nothing changes if any step fails). */
static int migrate(sg_store *s, sg_ctx *ctx)
{
    int version, v, error;
    size_t i;

    if ((error = read_version(&version, ctx, s)) < 0)
        return error;
    if (version == SG_STORE_SCHEMA_VERSION)
        return 0;
    if (version > SG_STORE_SCHEMA_VERSION)
        return too_new(ctx, version);
    if ((error = begin(s, ctx, 1)) < 0)
        return error;
    /* another process may have migrated while we waited for the lock */
    if ((error = read_version(&version, ctx, s)) < 0)
        goto fail;
    if (version > SG_STORE_SCHEMA_VERSION) {
        error = too_new(ctx, version);
        goto fail;
    }
    if ((error = run_sql(s, ctx, "CREATE TABLE IF NOT EXISTS sg_schema (version BIGINT NOT NULL)",
                         NULL, 0, NULL, NULL, NULL)) < 0)
        goto fail;
    for (v = version + 1; v <= SG_STORE_SCHEMA_VERSION; v++) {
        for (i = 0; i < migrations[v].n; i++) {
            if ((error = run_sql(s, ctx, migrations[v].stmts[i], NULL, 0, NULL, NULL, NULL)) < 0) {
                sg_error_wrap(ctx, "migrating the store to schema version %d", v);
                goto fail;
            }
        }
    }
    {
        sg_store_val p = integer(SG_STORE_SCHEMA_VERSION);
        if ((error = run_sql(s, ctx, "DELETE FROM sg_schema", NULL, 0, NULL, NULL, NULL)) < 0 ||
            (error = run_sql(s, ctx, "INSERT INTO sg_schema (version) VALUES ($1)", &p, 1, NULL,
                             NULL, NULL)) < 0)
            goto fail;
    }
    return commit(s, ctx);
fail:
    rollback(s, ctx);
    return error;
}

/* Which backend a URL names, and what to hand it. */
static int pick_backend(const sg_store_backend **be, const char **target, sg_ctx *ctx,
                        const char *url)
{
    const char *sep;
    if (strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0) {
        *be = &sg_store__pg;
        *target = url;
    } else if (strncmp(url, "sqlite://", 9) == 0) {
        *be = &sg_store__sqlite;
        *target = url + 9;
    } else if (strncmp(url, "sqlite:", 7) == 0) {
        *be = &sg_store__sqlite;
        *target = url + 7;
    } else if ((sep = strstr(url, "://")) != NULL) {
        return sg_error_set(ctx, SG_EUNSUPPORTED,
                            "store URL scheme '%.*s' is not supported (sqlite:PATH or "
                            "postgresql://...)",
                            (int)(sep - url > 32 ? 32 : sep - url), url);
    } else {
        *be = &sg_store__sqlite;
        *target = url;
    }
    return 0;
}

int sg_store_open(sg_store **out, sg_ctx *ctx, const char *url, const sg_store_opts *opts)
{
    sg_store *s = NULL;
    const char *target = NULL;
    const sg_store_backend *be = NULL;
    int error;

    *out = NULL;
    if (!url || !*url)
        return sg_error_set(ctx, SG_EINVALID, "store URL is empty");
    if ((error = pick_backend(&be, &target, ctx, url)) < 0)
        return error;
    if (!(s = sg_calloc(1, sizeof(*s))))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory opening the store");
    s->be = be;
    if (opts)
        s->opts = *opts;
    if ((error = be->open(&s->conn, ctx, target, opts)) < 0 || (error = migrate(s, ctx)) < 0) {
        sg_store_free(s);
        return error;
    }
    *out = s;
    return 0;
}

void sg_store_free(sg_store *store)
{
    if (!store)
        return;
    if (store->conn)
        store->be->close(store->conn);
    sg_free(store);
}

const char *sg_store_backend_name(const sg_store *store)
{
    return store->be->name;
}

int sg_store_schema_version(int *out, sg_ctx *ctx, sg_store *store)
{
    return read_version(out, ctx, store);
}

void sg_store_string_free(char *s)
{
    sg_free(s);
}

/* ---- results ------------------------------------------------------------------------- */

void sg_store_result_dispose(sg_store_result *result)
{
    if (!result)
        return;
    sg_free(result->ecosystem);
    sg_free(result->name);
    sg_free(result->version);
    sg_free(result->integrity);
    sg_free(result->report_json);
    sg_free(result->options);
    *result = (sg_store_result)SG_STORE_RESULT_INIT;
}

static const char result_columns[] =
    "SELECT ecosystem, name, version, integrity, verdict, report, verified_at, options FROM "
    "results";

/* A results row into a borrowed struct (pointers into the row), checked. */
static int row_to_result(sg_store_result *r, sg_ctx *ctx, const char *const *cols,
                         const size_t *lens, int ncols)
{
    size_t i;
    if (ncols != 8)
        return sg_error_set(ctx, SG_EDEP, "store: unexpected result columns");
    if (!cols[7] || lens[7] > MAX_NAME_BYTES)
        return sg_error_set(ctx, SG_EINVALID, "store: a result's options are malformed");
    for (i = 0; i < 6; i++) {
        if (!cols[i])
            return sg_error_set(ctx, SG_EINVALID, "store: a result has a NULL column");
        if (i < 4 && lens[i] > MAX_NAME_BYTES)
            return sg_error_set(ctx, SG_EINVALID, "store: a result's key is too long");
    }
    if (parse_verdict(&r->verdict, cols[4]) < 0)
        return sg_error_set(ctx, SG_EINVALID, "store: result of '%s@%s' has verdict '%.20s'",
                            cols[1], cols[2], cols[4]);
    if (lens[5] > sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE))
        return sg_error_set(ctx, SG_ELIMIT, "store: report of '%s@%s' exceeds the JSON size limit",
                            cols[1], cols[2]);
    r->ecosystem = (char *)cols[0];
    r->name = (char *)cols[1];
    r->version = (char *)cols[2];
    r->integrity = (char *)cols[3];
    r->report_json = (char *)cols[5];
    r->report_len = lens[5];
    r->options = (char *)cols[7];
    return parse_i64(&r->verified_at, ctx, cols[6], "verified_at");
}

/* Row callback of sg_store_get_result: copy the one row. */
static int copy_result_row(void *payload, sg_ctx *ctx, const char *const *cols, const size_t *lens,
                           int ncols)
{
    sg_store_result *out = payload, r = SG_STORE_RESULT_INIT;
    int error;
    if ((error = row_to_result(&r, ctx, cols, lens, ncols)) < 0)
        return error;
    sg_store_result_dispose(out);
    out->verdict = r.verdict;
    out->verified_at = r.verified_at;
    out->report_len = r.report_len;
    if (!(out->ecosystem = sg_strdup(r.ecosystem)) || !(out->name = sg_strdup(r.name)) ||
        !(out->version = sg_strdup(r.version)) || !(out->integrity = sg_strdup(r.integrity)) ||
        !(out->report_json = sg_strndup(r.report_json, r.report_len)) ||
        !(out->options = sg_strdup(r.options))) {
        sg_store_result_dispose(out);
        return sg_error_set(ctx, SG_ENOMEM, "out of memory reading a result");
    }
    return 0;
}

int sg_store_get_result(sg_store_result *out, sg_ctx *ctx, sg_store *store, const char *ecosystem,
                        const char *name, const char *version, const char *integrity)
{
    sg_buf sql = SG_BUF_INIT;
    sg_store_val p[4];
    int error;

    p[0] = text(ecosystem ? ecosystem : "npm");
    p[1] = text(name);
    p[2] = text(version);
    p[3] = text(integrity ? integrity : "");
    sg_buf_printf(&sql,
                  "%s WHERE ecosystem = $1 AND name = $2 AND version = $3 AND "
                  "integrity = $4",
                  result_columns);
    if ((error = sg_buf_check(&sql, ctx, "a statement")) < 0 ||
        (error = check_name(ctx, name, "package name")) < 0 ||
        (error = check_name(ctx, version, "version")) < 0)
        goto done;
    if ((error = run_sql(store, ctx, sql.ptr, p, 4, copy_result_row, out, NULL)) < 0)
        goto done;
    if (!out->name)
        error = sg_error_set(ctx, SG_ENOTFOUND, "no stored result for '%s@%s'", name, version);
done:
    sg_buf_dispose(&sql);
    return error;
}

static int check_result(sg_ctx *ctx, const sg_store_result *r)
{
    int error;
    if ((error = check_name(ctx, r->name, "package name")) < 0 ||
        (error = check_name(ctx, r->version, "version")) < 0)
        return error;
    if (r->integrity && strlen(r->integrity) > MAX_NAME_BYTES)
        return sg_error_set(ctx, SG_EINVALID, "store: the integrity is too long");
    if (r->options && strlen(r->options) > MAX_NAME_BYTES)
        return sg_error_set(ctx, SG_EINVALID, "store: the verdict options are too long");
    if (!r->report_json || r->report_len > sg_ctx_limit(ctx, SG_LIMIT_JSON_SIZE))
        return sg_error_set(ctx, SG_EINVALID,
                            "store: the report of '%s@%s' is missing or over the JSON size limit",
                            r->name, r->version);
    if (!sg_verdict_name(r->verdict))
        return sg_error_set(ctx, SG_EINVALID, "store: unknown verdict");
    return 0;
}

/* The upsert of a result; the caller owns the transaction. */
static int write_result(sg_store *s, sg_ctx *ctx, const sg_store_result *r, const char *eco,
                        int64_t now_s)
{
    sg_store_val p[8];
    p[0] = text(r->ecosystem ? r->ecosystem : eco);
    p[1] = text(r->name);
    p[2] = text(r->version);
    p[3] = text(r->integrity ? r->integrity : "");
    p[4] = text(sg_verdict_name(r->verdict));
    p[5] = text(r->report_json);
    p[5].len = r->report_len; /* the report need not be NUL-terminated */
    p[6] = integer(r->verified_at > 0 ? r->verified_at : now_s);
    p[7] = text(r->options ? r->options : "");
    return run_sql(s, ctx,
                   "INSERT INTO results (ecosystem, name, version, integrity, verdict, report, "
                   "verified_at, options) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT "
                   "(ecosystem, name, version, integrity) DO UPDATE SET verdict = "
                   "excluded.verdict, report = excluded.report, verified_at = "
                   "excluded.verified_at, options = excluded.options",
                   p, 8, NULL, NULL, NULL);
}

int sg_store_put_result(sg_store *store, sg_ctx *ctx, const sg_store_result *result)
{
    int64_t now = 0;
    int error;
    if ((error = check_result(ctx, result)) < 0)
        return error;
    if (result->verified_at <= 0 && (error = now_ms(store, ctx, &now)) < 0)
        return error;
    return write_result(store, ctx, result, "npm", now / 1000);
}

typedef struct result_walk {
    sg_store_result_cb cb; /* the caller's callback */
    void *payload;         /* and its payload */
    int stopped;           /* the callback's non-zero return */
} result_walk;

static int walk_result_row(void *payload, sg_ctx *ctx, const char *const *cols, const size_t *lens,
                           int ncols)
{
    result_walk *w = payload;
    sg_store_result r = SG_STORE_RESULT_INIT;
    int error;
    if ((error = row_to_result(&r, ctx, cols, lens, ncols)) < 0)
        return error;
    if ((w->stopped = w->cb(&r, w->payload)) != 0)
        return w->stopped < 0 ? w->stopped : SG_EINVALID; /* stops the query */
    return 0;
}

int sg_store_foreach_result(sg_store *store, sg_ctx *ctx, sg_store_result_cb cb, void *payload)
{
    result_walk w = {cb, payload, 0};
    sg_buf sql = SG_BUF_INIT;
    int error;
    sg_buf_printf(&sql, "%s ORDER BY name, version, ecosystem, integrity", result_columns);
    if ((error = sg_buf_check(&sql, ctx, "a statement")) == 0)
        error = run_sql(store, ctx, sql.ptr, NULL, 0, walk_result_row, &w, NULL);
    sg_buf_dispose(&sql);
    return w.stopped ? w.stopped : error;
}

/* ---- audit runs ---------------------------------------------------------------------- */

static int check_run_name(sg_ctx *ctx, const char *name)
{
    size_t i, n = strlen(name);
    if (n == 0 || n > MAX_RUN_NAME)
        return sg_error_set(ctx, SG_EINVALID, "run name '%.80s' must have 1 to %d characters", name,
                            MAX_RUN_NAME);
    for (i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return sg_error_set(ctx, SG_EINVALID,
                                "run name '%s' may hold only letters, digits and '-_.:'", name);
    }
    return 0;
}

/* The key of an unnamed run: a digest of the parameters and the list, in order. */
static int derive_run_key(char out[RUN_KEY_HEX + 1], sg_ctx *ctx, const char *params,
                          const sg_store_job_spec *jobs, size_t n)
{
    sg_hash h;
    unsigned char md[64];
    char hex[129];
    size_t i, mdlen = sizeof(md);
    int error;

    if ((error = sg_hash_begin(&h, ctx, SG_HASH_SHA256)) < 0)
        return error;
    error = sg_hash_update(&h, ctx, "sourcegate-audit-run\n", 21);
    if (!error)
        error = sg_hash_update(&h, ctx, params ? params : "", params ? strlen(params) + 1 : 1);
    for (i = 0; !error && i < n; i++) {
        const char *eco = jobs[i].ecosystem ? jobs[i].ecosystem : "npm";
        if (!(error = sg_hash_update(&h, ctx, eco, strlen(eco) + 1)) &&
            !(error = sg_hash_update(&h, ctx, jobs[i].name, strlen(jobs[i].name) + 1)))
            error = sg_hash_update(&h, ctx, jobs[i].spec, strlen(jobs[i].spec) + 1);
    }
    if (!error)
        error = sg_hash_end(&h, ctx, md, &mdlen);
    sg_hash_dispose(&h);
    if (error < 0)
        return error;
    sg_hex(hex, md, mdlen);
    memcpy(out, hex, RUN_KEY_HEX);
    out[RUN_KEY_HEX] = '\0';
    return 0;
}

/* Row callback: the newest run of a key (run id, generation). */
typedef struct newest_run {
    char run[SG_STORE_RUN_MAX + 1]; /* its id */
    int64_t generation;             /* its generation */
    int found;                      /* a row came */
    char params[MAX_PARAMS + 1];    /* its params, when the query asks for them (third column) */
} newest_run;

static int read_newest_run(void *payload, sg_ctx *ctx, const char *const *cols, const size_t *lens,
                           int ncols)
{
    newest_run *r = payload;
    if (ncols < 2 || ncols > 3 || !cols[0] || lens[0] > SG_STORE_RUN_MAX)
        return sg_error_set(ctx, SG_EINVALID, "store: a run id is malformed");
    if (ncols == 3 && (!cols[2] || lens[2] > MAX_PARAMS))
        return sg_error_set(ctx, SG_EINVALID, "store: the params of run '%s' are malformed",
                            cols[0]);
    memcpy(r->run, cols[0], lens[0] + 1);
    if (ncols == 3)
        memcpy(r->params, cols[2], lens[2] + 1);
    r->found = 1;
    return parse_i64(&r->generation, ctx, cols[1], "generation");
}

static int enqueue(sg_store *s, sg_ctx *ctx, const char *run, const sg_store_job_spec *jobs,
                   size_t n)
{
    sg_store_val p[5];
    size_t i;
    int error = 0;
    for (i = 0; i < n && error == 0; i++) {
        p[0] = text(run);
        p[1] = integer((int64_t)i);
        p[2] = text(jobs[i].ecosystem ? jobs[i].ecosystem : "npm");
        p[3] = text(jobs[i].name);
        p[4] = text(jobs[i].spec);
        error = run_sql(s, ctx,
                        "INSERT INTO jobs (run, pos, ecosystem, name, spec, state, attempts) "
                        "VALUES ($1, $2, $3, $4, $5, 'queued', 0) ON CONFLICT (run, ecosystem, "
                        "name, spec) DO NOTHING",
                        p, 5, NULL, NULL, NULL);
    }
    if (error == 0) {
        p[0] = text(run);
        error = run_sql(s, ctx,
                        "UPDATE runs SET total = (SELECT COUNT(*) FROM jobs WHERE run = $1) "
                        "WHERE run = $1",
                        p, 1, NULL, NULL, NULL);
    }
    return error;
}

static int check_jobs(sg_ctx *ctx, const char *name, const sg_store_job_spec *jobs, size_t n)
{
    size_t i;
    int error;
    if (n == 0)
        return sg_error_set(ctx, SG_EINVALID, "the audit list is empty");
    if (name && (error = check_run_name(ctx, name)) < 0)
        return error;
    for (i = 0; i < n; i++) {
        if ((error = check_name(ctx, jobs[i].name, "package name")) < 0 ||
            (error = check_name(ctx, jobs[i].spec, "version spec")) < 0 ||
            (jobs[i].ecosystem && (error = check_name(ctx, jobs[i].ecosystem, "ecosystem")) < 0))
            return error;
    }
    return 0;
}

/* Resuming run nr: refuse other params (the run's jobs are verified with the run's options),
 * then queue its error jobs again (an error is never a result; attempts stay counted). */
static int resume_locked(sg_store *s, sg_ctx *ctx, const newest_run *nr, const char *params)
{
    sg_store_val p = text(nr->run);
    if (strcmp(nr->params, params ? params : "") != 0)
        return sg_error_set(ctx, SG_EINVALID,
                            "run '%s' was started with other options (%s), not these (%s): "
                            "give the same options, or another --run",
                            nr->run, nr->params, params ? params : "");
    return run_sql(s, ctx,
                   "UPDATE jobs SET state = 'queued', owner = NULL, token = NULL, "
                   "lease_until = NULL, finished_at = NULL WHERE run = $1 AND state = 'error'",
                   &p, 1, NULL, NULL, NULL);
}

/* Inside the transaction: resume the newest run of key when unfinished, else create one. */
static int open_run_locked(char *run, size_t size, int *created, sg_ctx *ctx, sg_store *s,
                           const char *key, const char *params)
{
    newest_run nr;
    int_row open_jobs = {0, 0};
    sg_store_val p[6];
    int64_t now = 0;
    int error;

    memset(&nr, 0, sizeof(nr));
    p[0] = text(key);
    if ((error = run_sql(s, ctx,
                         "SELECT run, generation, params FROM runs WHERE run_key = $1 ORDER BY "
                         "generation DESC LIMIT 1",
                         p, 1, read_newest_run, &nr, NULL)) < 0)
        return error;
    if (nr.found) {
        p[0] = text(nr.run);
        if ((error = run_sql(s, ctx,
                             "SELECT COUNT(*) FROM jobs WHERE run = $1 AND state IN ('queued', "
                             "'running')",
                             p, 1, read_int_row, &open_jobs, NULL)) < 0)
            return error;
        if (open_jobs.value > 0) {
            snprintf(run, size, "%s", nr.run);
            *created = 0;
            return resume_locked(s, ctx, &nr, params);
        }
    }
    if ((error = now_ms(s, ctx, &now)) < 0)
        return error;
    snprintf(run, size, "%s/%" PRId64, key, nr.generation + 1);
    p[0] = text(run);
    p[1] = text(key);
    p[2] = integer(nr.generation + 1);
    p[3] = text(params ? params : "");
    p[4] = integer(now / 1000);
    *created = 1;
    return run_sql(s, ctx,
                   "INSERT INTO runs (run, run_key, generation, params, created_at, total) "
                   "VALUES ($1, $2, $3, $4, $5, 0)",
                   p, 5, NULL, NULL, NULL);
}

int sg_store_run_open(char **run_out, int *created, sg_ctx *ctx, sg_store *store, const char *name,
                      const char *params, const sg_store_job_spec *jobs, size_t njobs)
{
    char key[RUN_KEY_HEX + 1], run[SG_STORE_RUN_MAX + 1];
    int error, made = 0;

    *run_out = NULL;
    if ((error = check_jobs(ctx, name, jobs, njobs)) < 0)
        return error;
    if (params && strlen(params) > MAX_PARAMS)
        return sg_error_set(ctx, SG_EINVALID, "the run's params are longer than %d bytes",
                            MAX_PARAMS);
    if (!name && (error = derive_run_key(key, ctx, params, jobs, njobs)) < 0)
        return error;
    if ((error = begin(store, ctx, 1)) < 0)
        return error;
    if ((error = open_run_locked(run, sizeof(run), &made, ctx, store, name ? name : key, params)) <
            0 ||
        (error = enqueue(store, ctx, run, jobs, njobs)) < 0 || (error = commit(store, ctx)) < 0)
        goto fail;
    if (!(*run_out = sg_strdup(run)))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory");
    if (created)
        *created = made;
    return 0;
fail:
    rollback(store, ctx);
    return error;
}

/* ---- the queue ----------------------------------------------------------------------- */

void sg_store_job_dispose(sg_store_job *job)
{
    if (!job)
        return;
    sg_free(job->run);
    sg_free(job->ecosystem);
    sg_free(job->name);
    sg_free(job->spec);
    *job = (sg_store_job)SG_STORE_JOB_INIT;
}

static int new_token(char out[33], sg_ctx *ctx)
{
    unsigned char b[16];
    size_t got = 0;
    while (got < sizeof(b)) {
        ssize_t n = getrandom(b + got, sizeof(b) - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return sg_error_set(ctx, SG_EIO, "cannot read random bytes: %s", strerror(errno));
        got += (size_t)n;
    }
    sg_hex(out, b, sizeof(b));
    return 0;
}

/* Row callback of the claim's SELECT: copy the job. */
static int read_claim_row(void *payload, sg_ctx *ctx, const char *const *cols, const size_t *lens,
                          int ncols)
{
    sg_store_job *job = payload;
    int64_t attempts = 0;
    int error;
    if (ncols != 4 || !cols[0] || !cols[1] || !cols[2] || lens[0] > MAX_NAME_BYTES ||
        lens[1] > MAX_NAME_BYTES || lens[2] > MAX_NAME_BYTES)
        return sg_error_set(ctx, SG_EINVALID, "store: a job row is malformed");
    if ((error = parse_i64(&attempts, ctx, cols[3], "attempts")) < 0)
        return error;
    if (!(job->ecosystem = sg_strdup(cols[0])) || !(job->name = sg_strdup(cols[1])) ||
        !(job->spec = sg_strdup(cols[2])))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory claiming a job");
    job->attempts = attempts >= INT32_MAX ? INT32_MAX : (int)attempts + 1;
    return 0;
}

/* The WHERE clause that names one job by its key and its claim. */
#define JOB_IS_CLAIMED                                                                             \
    "run = $2 AND ecosystem = $3 AND name = $4 AND spec = $5 AND token = $6 AND state = 'running'"

static void job_params(sg_store_val *p, const sg_store_job *job)
{
    p[1] = text(job->run);
    p[2] = text(job->ecosystem);
    p[3] = text(job->name);
    p[4] = text(job->spec);
    p[5] = text(job->token);
}

static int claim_locked(sg_store_job *job, sg_ctx *ctx, sg_store *s, const char *run,
                        const char *owner, int64_t lease_ms)
{
    sg_buf sql = SG_BUF_INIT;
    sg_store_val p[7];
    int64_t now = 0;
    int error;

    sg_buf_printf(&sql,
                  "SELECT ecosystem, name, spec, attempts FROM jobs WHERE run = $1 AND "
                  "(state = 'queued' OR (state = 'running' AND lease_until < $2)) ORDER BY pos "
                  "LIMIT 1%s",
                  s->be->claim_lock);
    if ((error = sg_buf_check(&sql, ctx, "a statement")) < 0 || (error = now_ms(s, ctx, &now)) < 0)
        goto done;
    p[0] = text(run);
    p[1] = integer(now);
    if ((error = run_sql(s, ctx, sql.ptr, p, 2, read_claim_row, job, NULL)) < 0)
        goto done;
    if (!job->name) {
        error = sg_error_set(ctx, SG_ENOTFOUND, "no job to claim in run '%s'", run);
        goto done;
    }
    if ((error = new_token(job->token, ctx)) < 0 || !(job->run = sg_strdup(run))) {
        error = error ? error : sg_error_set(ctx, SG_ENOMEM, "out of memory claiming a job");
        goto done;
    }
    job_params(p, job);
    p[0] = text(owner);
    p[6] = integer(now + lease_ms);
    error = run_sql(s, ctx,
                    "UPDATE jobs SET state = 'running', owner = $1, token = $6, lease_until = $7, "
                    "attempts = attempts + 1 WHERE run = $2 AND ecosystem = $3 AND name = $4 AND "
                    "spec = $5",
                    p, 7, NULL, NULL, NULL);
done:
    sg_buf_dispose(&sql);
    return error;
}

int sg_store_claim(sg_store_job *job, sg_ctx *ctx, sg_store *store, const char *run,
                   const char *owner, int64_t lease_ms)
{
    int error;
    if (!run || !owner || !*owner || strlen(owner) > MAX_OWNER_BYTES || lease_ms <= 0)
        return sg_error_set(ctx, SG_EINVALID,
                            "claiming a job needs a run, an owner of at most "
                            "%d bytes and a positive lease",
                            MAX_OWNER_BYTES);
    sg_store_job_dispose(job);
    if ((error = begin(store, ctx, 0)) < 0)
        return error;
    if ((error = claim_locked(job, ctx, store, run, owner, lease_ms)) < 0 ||
        (error = commit(store, ctx)) < 0) {
        rollback(store, ctx);
        sg_store_job_dispose(job);
        return error;
    }
    return 0;
}

static int superseded(sg_ctx *ctx, const sg_store_job *job)
{
    return sg_error_set(ctx, SG_ENOTFOUND,
                        "the claim of '%s@%s' was superseded (its lease ran out or it was "
                        "requeued)",
                        job->name, job->spec);
}

int sg_store_extend(sg_store *store, sg_ctx *ctx, const sg_store_job *job, int64_t lease_ms)
{
    sg_store_val p[6];
    uint64_t changed = 0;
    int64_t now = 0;
    int error;
    if ((error = now_ms(store, ctx, &now)) < 0)
        return error;
    job_params(p, job);
    p[0] = integer(now + lease_ms);
    if ((error = run_sql(store, ctx, "UPDATE jobs SET lease_until = $1 WHERE " JOB_IS_CLAIMED, p, 6,
                         NULL, NULL, &changed)) < 0)
        return error;
    return changed ? 0 : superseded(ctx, job);
}

int sg_store_heartbeat(sg_store *store, sg_ctx *ctx, const char *owner, int64_t lease_ms,
                       uint64_t *extended)
{
    sg_store_val p[2];
    uint64_t changed = 0;
    int64_t now = 0;
    int error;
    if ((error = now_ms(store, ctx, &now)) < 0)
        return error;
    p[0] = integer(now + lease_ms);
    p[1] = text(owner);
    error = run_sql(store, ctx,
                    "UPDATE jobs SET lease_until = $1 WHERE state = 'running' AND owner = $2", p, 2,
                    NULL, NULL, &changed);
    if (extended)
        *extended = changed;
    return error;
}

int sg_store_complete(sg_store *store, sg_ctx *ctx, const sg_store_job *job,
                      const sg_store_result *result)
{
    sg_store_val p[9];
    uint64_t changed = 0;
    int64_t now = 0;
    int error;

    if ((error = check_result(ctx, result)) < 0)
        return error;
    if ((error = begin(store, ctx, 0)) < 0)
        return error;
    if ((error = now_ms(store, ctx, &now)) < 0)
        goto fail;
    job_params(p, job);
    p[0] = text(sg_verdict_name(result->verdict));
    p[6] = text(result->version);
    p[7] = text(result->integrity ? result->integrity : "");
    p[8] = integer(now / 1000);
    if ((error =
             run_sql(store, ctx,
                     "UPDATE jobs SET state = 'done', outcome = $1, version = $7, "
                     "integrity = $8, finished_at = $9, lease_until = NULL WHERE " JOB_IS_CLAIMED,
                     p, 9, NULL, NULL, &changed)) < 0)
        goto fail;
    if (!changed) {
        error = superseded(ctx, job);
        goto fail;
    }
    if ((error = write_result(store, ctx, result, job->ecosystem, now / 1000)) < 0 ||
        (error = commit(store, ctx)) < 0)
        goto fail;
    return 0;
fail:
    rollback(store, ctx);
    return error;
}

/* Take a claimed job out of running: queued again (retry) or ended in error. */
static int end_claim(sg_store *store, sg_ctx *ctx, const sg_store_job *job, const char *message,
                     int state_error, int uncount)
{
    char msg[MAX_ERROR_BYTES + 1];
    sg_store_val p[9];
    uint64_t changed = 0;
    int64_t now = 0;
    int error;

    if ((error = now_ms(store, ctx, &now)) < 0)
        return error;
    snprintf(msg, sizeof(msg), "%s", message ? message : "");
    job_params(p, job);
    p[0] = text(state_error ? "error" : "queued");
    p[6] = message ? text(msg) : text(NULL);
    p[7] = state_error ? integer(now / 1000) : text(NULL);
    p[8] = integer(uncount ? 1 : 0);
    if ((error = run_sql(
             store, ctx,
             "UPDATE jobs SET state = $1, error = COALESCE($7, error), owner = NULL, "
             "lease_until = NULL, finished_at = $8, attempts = attempts - $9 WHERE " JOB_IS_CLAIMED,
             p, 9, NULL, NULL, &changed)) < 0)
        return error;
    return changed ? 0 : superseded(ctx, job);
}

int sg_store_fail(sg_store *store, sg_ctx *ctx, const sg_store_job *job, const char *message,
                  int retry)
{
    return end_claim(store, ctx, job, message ? message : "failed", !retry, 0);
}

int sg_store_release(sg_store *store, sg_ctx *ctx, const sg_store_job *job)
{
    return end_claim(store, ctx, job, NULL, 0, 1);
}

int sg_store_requeue_owner(sg_store *store, sg_ctx *ctx, const char *run, const char *owner,
                           uint64_t *requeued)
{
    sg_store_val p[2];
    uint64_t changed = 0;
    int error;
    p[0] = text(run);
    p[1] = text(owner);
    error = run_sql(store, ctx,
                    "UPDATE jobs SET state = 'queued', owner = NULL, lease_until = NULL WHERE "
                    "run = $1 AND owner = $2 AND state = 'running'",
                    p, 2, NULL, NULL, &changed);
    if (requeued)
        *requeued = changed;
    return error;
}

/* Row callback: collect owners (the callback may use the store only after the query). */
typedef struct owner_list {
    char **items; /* sg_malloc'd strings */
    size_t n;     /* how many */
    size_t cap;   /* room */
} owner_list;

static int collect_owner(void *payload, sg_ctx *ctx, const char *const *cols, const size_t *lens,
                         int ncols)
{
    owner_list *l = payload;
    if (ncols != 1 || !cols[0] || lens[0] > MAX_OWNER_BYTES)
        return sg_error_set(ctx, SG_EINVALID, "store: an owner is malformed");
    if (l->n >= MAX_OWNERS)
        return sg_error_set(ctx, SG_ELIMIT, "store: more than %d owners", MAX_OWNERS);
    if (SG_ARRAY_GROW(l->items, l->cap, l->n + 1, 8) < 0)
        return sg_error_set(ctx, SG_ENOMEM, "out of memory listing owners");
    if (!(l->items[l->n] = sg_strdup(cols[0])))
        return sg_error_set(ctx, SG_ENOMEM, "out of memory listing owners");
    l->n++;
    return 0;
}

int sg_store_foreach_owner(sg_store *store, sg_ctx *ctx, const char *run, sg_store_owner_cb cb,
                           void *payload)
{
    owner_list l = {NULL, 0, 0};
    sg_store_val p = text(run);
    size_t i;
    int error, stop = 0;
    error = run_sql(store, ctx,
                    "SELECT DISTINCT owner FROM jobs WHERE run = $1 AND state = 'running' AND "
                    "owner IS NOT NULL ORDER BY owner",
                    &p, 1, collect_owner, &l, NULL);
    for (i = 0; i < l.n; i++) {
        if (error == 0 && stop == 0)
            stop = cb(l.items[i], payload);
        sg_free(l.items[i]);
    }
    sg_free(l.items);
    return error ? error : stop;
}

/* ---- counts and listings ------------------------------------------------------------- */

static int add_stats_row(void *payload, sg_ctx *ctx, const char *const *cols, const size_t *lens,
                         int ncols)
{
    sg_store_stats *st = payload;
    int64_t count = 0, attempts = 0;
    uint64_t c;
    const char *state = cols[0], *outcome = cols[1];
    int error;
    (void)lens;
    if (ncols != 4 || !state)
        return sg_error_set(ctx, SG_EINVALID, "store: a job state is malformed");
    if ((error = parse_i64(&count, ctx, cols[2], "count")) < 0 ||
        (cols[3] && (error = parse_i64(&attempts, ctx, cols[3], "attempts")) < 0))
        return error;
    c = count < 0 ? 0 : (uint64_t)count;
    st->total += c;
    st->attempts += attempts < 0 ? 0 : (uint64_t)attempts;
    if (strcmp(state, "queued") == 0)
        st->queued += c;
    else if (strcmp(state, "running") == 0)
        st->running += c;
    else if (strcmp(state, "error") == 0)
        st->errors += c;
    else if (strcmp(state, "done") == 0) {
        st->done += c;
        if (outcome && strcmp(outcome, "pass") == 0)
            st->pass += c;
        else if (outcome && strcmp(outcome, "fail") == 0)
            st->fail += c;
        else
            st->inconclusive += c;
    }
    return 0;
}

int sg_store_run_stats(sg_store_stats *out, sg_ctx *ctx, sg_store *store, const char *run)
{
    sg_store_val p = text(run);
    int_row exists = {0, 0};
    int error;
    memset(out, 0, sizeof(*out));
    if ((error = run_sql(store, ctx, "SELECT total FROM runs WHERE run = $1", &p, 1, read_int_row,
                         &exists, NULL)) < 0)
        return error;
    if (!exists.found)
        return sg_error_set(ctx, SG_ENOTFOUND, "no audit run '%s' in the store", run);
    return run_sql(store, ctx,
                   "SELECT state, outcome, COUNT(*), SUM(attempts) FROM jobs WHERE run = $1 "
                   "GROUP BY state, outcome",
                   &p, 1, add_stats_row, out, NULL);
}

typedef struct job_walk {
    sg_store_job_cb cb; /* the caller's callback */
    void *payload;      /* its payload */
    int stopped;        /* its non-zero return */
} job_walk;

static int walk_job_row(void *payload, sg_ctx *ctx, const char *const *cols, const size_t *lens,
                        int ncols)
{
    job_walk *w = payload;
    sg_store_job_info j;
    int64_t attempts = 0, finished = 0;
    int i, error;
    if (ncols != 10)
        return sg_error_set(ctx, SG_EDEP, "store: unexpected job columns");
    for (i = 0; i < 8; i++)
        if (cols[i] && lens[i] > (i == 7 ? MAX_ERROR_BYTES : MAX_NAME_BYTES))
            return sg_error_set(ctx, SG_EINVALID, "store: a job column is too long");
    if (!cols[0] || !cols[1] || !cols[2] || !cols[3] || !cols[4])
        return sg_error_set(ctx, SG_EINVALID, "store: a job row is malformed");
    if ((error = parse_i64(&attempts, ctx, cols[8], "attempts")) < 0 ||
        (cols[9] && (error = parse_i64(&finished, ctx, cols[9], "finished_at")) < 0))
        return error;
    j.run = cols[0];
    j.ecosystem = cols[1];
    j.name = cols[2];
    j.spec = cols[3];
    j.state = cols[4];
    j.outcome = cols[5];
    j.version = cols[6];
    j.error = cols[7];
    j.attempts = attempts < 0 ? 0 : attempts > INT32_MAX ? INT32_MAX : (int)attempts;
    j.finished_at = finished;
    if ((w->stopped = w->cb(&j, w->payload)) != 0)
        return w->stopped < 0 ? w->stopped : SG_EINVALID;
    return 0;
}

int sg_store_foreach_job(sg_store *store, sg_ctx *ctx, const char *run, sg_store_job_cb cb,
                         void *payload)
{
    newest_run nr;
    job_walk w = {cb, payload, 0};
    sg_store_val p;
    int error;

    memset(&nr, 0, sizeof(nr));
    if (!run) {
        if ((error = run_sql(store, ctx,
                             "SELECT run, generation FROM runs ORDER BY created_at DESC, "
                             "generation DESC, run DESC LIMIT 1",
                             NULL, 0, read_newest_run, &nr, NULL)) < 0)
            return error;
        if (!nr.found)
            return sg_error_set(ctx, SG_ENOTFOUND, "the store holds no audit run");
        run = nr.run;
    } else {
        int_row exists = {0, 0};
        p = text(run);
        if ((error = run_sql(store, ctx, "SELECT total FROM runs WHERE run = $1", &p, 1,
                             read_int_row, &exists, NULL)) < 0)
            return error;
        if (!exists.found)
            return sg_error_set(ctx, SG_ENOTFOUND, "no audit run '%s' in the store", run);
    }
    p = text(run);
    error = run_sql(store, ctx,
                    "SELECT run, ecosystem, name, spec, state, outcome, version, error, attempts, "
                    "finished_at FROM jobs WHERE run = $1 ORDER BY pos",
                    &p, 1, walk_job_row, &w, NULL);
    return w.stopped ? w.stopped : error;
}
