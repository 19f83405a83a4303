/*
 * The store on SQLite: schema and migrations, results, runs, the job queue with leases
 * (a test clock drives them), and exactly-once completion under concurrent workers.
 */
#include "sg_test.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sourcegate/store.h"

static int64_t test_clock = 1700000000000; /* ms; moved by the tests */

static int64_t clock_ms(void *payload)
{
    (void)payload;
    return __atomic_load_n(&test_clock, __ATOMIC_SEQ_CST);
}

typedef struct fixture {
    char *dir;       /* temporary folder */
    char path[4200]; /* the database file */
    char url[4300];  /* "sqlite:" + path */
    sg_ctx *ctx;
} fixture;

static int setup(void **state)
{
    static int n;
    fixture *f = calloc(1, sizeof(*f));
    f->dir = sgt_tmpdir();
    snprintf(f->path, sizeof(f->path), "%s/store-%d.sqlite", f->dir, n++);
    snprintf(f->url, sizeof(f->url), "sqlite:%s", f->path);
    sg_ctx_new(&f->ctx);
    test_clock = 1700000000000;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sg_ctx_free(f->ctx);
    free(f);
    return 0;
}

static sg_store *open_store(fixture *f)
{
    sg_store_opts o = SG_STORE_OPTS_INIT;
    sg_store *s = NULL;
    o.clock_ms = clock_ms;
    if (sg_store_open(&s, f->ctx, f->url, &o) < 0)
        fail_msg("sg_store_open: %s", sg_error_message(f->ctx));
    return s;
}

/* Run SQL on the file directly (fixtures of old or damaged stores). */
static void raw_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *err = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("sql failed: %s", err);
    sqlite3_close(db);
}

static long long raw_count(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

static sg_store_result result_for(const char *name, const char *version, sg_verdict v)
{
    sg_store_result r = SG_STORE_RESULT_INIT;
    static char json[256];
    snprintf(json, sizeof(json), "{\"schema\":\"sourcegate/report/v1\",\"package\":\"%s\"}", name);
    r.ecosystem = "npm";
    r.name = (char *)name;
    r.version = (char *)version;
    r.integrity = "sha512-abc";
    r.verdict = v;
    r.report_json = json;
    r.report_len = strlen(json);
    r.verified_at = 1700000000;
    return r;
}

static char *open_run(fixture *f, sg_store *s, const sg_store_job_spec *jobs, size_t n,
                      int *created)
{
    char *run = NULL;
    if (sg_store_run_open(&run, created, f->ctx, s, NULL, "registry=x", jobs, n) < 0)
        fail_msg("run_open: %s", sg_error_message(f->ctx));
    return run;
}

static const sg_store_job_spec three[] = {
    {NULL, "alpha", "1.0.0"}, {NULL, "beta", "latest"}, {"npm", "gamma", "^2"}};

/* ---- schema ------------------------------------------------------------------------- */

static void test_store_sqlite__new_store_has_current_schema_in_wal_mode(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    int v = 0;
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;

    assert_int_equal(sg_store_schema_version(&v, f->ctx, s), 0);
    assert_int_equal(v, SG_STORE_SCHEMA_VERSION);
    assert_string_equal(sg_store_backend_name(s), "sqlite");
    sg_store_free(s);
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* opening again changes nothing */
    s = open_store(f);
    assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM sg_schema"), 1);
    sg_store_free(s);
}

static void test_store_sqlite__migrates_a_version_1_store_keeping_its_results(void **state)
{
    fixture *f = *state;
    sg_store_result got = SG_STORE_RESULT_INIT;
    sg_store *s;
    char *run;
    int v = 0;

    /* a store as version 1 wrote it: results only */
    raw_sql(f->path,
            "CREATE TABLE sg_schema (version BIGINT NOT NULL);"
            "INSERT INTO sg_schema VALUES (1);"
            "CREATE TABLE results (ecosystem TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT "
            "NULL, integrity TEXT NOT NULL, verdict TEXT NOT NULL, report TEXT NOT NULL, "
            "verified_at BIGINT NOT NULL, PRIMARY KEY (ecosystem, name, version, integrity));"
            "INSERT INTO results VALUES ('npm', 'old', '0.1.0', 'sha512-x', 'fail', '{}', 42);");
    s = open_store(f);
    assert_int_equal(sg_store_schema_version(&v, f->ctx, s), 0);
    assert_int_equal(v, SG_STORE_SCHEMA_VERSION); /* through versions 2 and 3 */
    assert_int_equal(sg_store_get_result(&got, f->ctx, s, "npm", "old", "0.1.0", "sha512-x"), 0);
    assert_int_equal(got.verdict, SG_VERDICT_FAIL);
    assert_int_equal(got.verified_at, 42);
    assert_string_equal(got.options, ""); /* made with options nobody recorded: never reused */
    sg_store_result_dispose(&got);
    /* the queue of version 2 works on the migrated store */
    run = open_run(f, s, three, 3, NULL);
    assert_non_null(run);
    sg_store_string_free(run);
    sg_store_free(s);
}

static void test_store_sqlite__refuses_a_newer_schema(void **state)
{
    fixture *f = *state;
    sg_store *s = NULL;
    raw_sql(f->path, "CREATE TABLE sg_schema (version BIGINT NOT NULL);"
                     "INSERT INTO sg_schema VALUES (99);");
    assert_int_equal(sg_store_open(&s, f->ctx, f->url, NULL), SG_EUNSUPPORTED);
    assert_null(s);
    assert_non_null(strstr(sg_error_message(f->ctx), "99"));
}

static void test_store_sqlite__failed_migration_changes_nothing(void **state)
{
    fixture *f = *state;
    sg_store *s = NULL;
    /* version 1, but a table version 2 would create is in the way: the migration fails */
    raw_sql(f->path,
            "CREATE TABLE sg_schema (version BIGINT NOT NULL); INSERT INTO sg_schema VALUES (1);"
            "CREATE TABLE results (x TEXT); CREATE TABLE jobs (y TEXT);");
    assert_true(sg_store_open(&s, f->ctx, f->url, NULL) < 0);
    assert_non_null(strstr(sg_error_message(f->ctx), "schema version 2"));
    assert_int_equal(raw_count(f->path, "SELECT version FROM sg_schema"), 1);
    assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'runs'"),
                     0);
}

static void test_store_sqlite__rejects_unknown_schemes_and_empty_urls(void **state)
{
    fixture *f = *state;
    sg_store *s = NULL;
    assert_int_equal(sg_store_open(&s, f->ctx, "mysql://db/x", NULL), SG_EUNSUPPORTED);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_store_open(&s, f->ctx, "", NULL), SG_EINVALID);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_store_open(&s, f->ctx, "sqlite:/nonexistent-dir/x/y.sqlite", NULL), SG_EIO);
}

/* ---- results ------------------------------------------------------------------------ */

static void test_store_sqlite__put_then_get_and_replace_a_result(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_result r = result_for("chalk", "5.3.0", SG_VERDICT_PASS), got = SG_STORE_RESULT_INIT;

    assert_int_equal(sg_store_put_result(s, f->ctx, &r), 0);
    assert_int_equal(sg_store_get_result(&got, f->ctx, s, "npm", "chalk", "5.3.0", "sha512-abc"),
                     0);
    assert_int_equal(got.verdict, SG_VERDICT_PASS);
    assert_string_equal(got.report_json, r.report_json);
    assert_int_equal(got.report_len, r.report_len);
    sg_store_result_dispose(&got);
    /* same key: replaced, still one row */
    r.verdict = SG_VERDICT_FAIL;
    r.verified_at = 1800000000;
    assert_int_equal(sg_store_put_result(s, f->ctx, &r), 0);
    assert_int_equal(sg_store_get_result(&got, f->ctx, s, NULL, "chalk", "5.3.0", "sha512-abc"), 0);
    assert_int_equal(got.verdict, SG_VERDICT_FAIL);
    assert_int_equal(got.verified_at, 1800000000);
    sg_store_result_dispose(&got);
    assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM results"), 1);
    /* another integrity is another release */
    assert_int_equal(sg_store_get_result(&got, f->ctx, s, "npm", "chalk", "5.3.0", "sha512-zzz"),
                     SG_ENOTFOUND);
    sg_store_free(s);
}

static void test_store_sqlite__rejects_malformed_stored_rows(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_result got = SG_STORE_RESULT_INIT;
    raw_sql(f->path, "INSERT INTO results (ecosystem, name, version, integrity, verdict, report, "
                     "verified_at) VALUES ('npm', 'evil', '1.0.0', '', 'maybe', '{}', 1)");
    assert_int_equal(sg_store_get_result(&got, f->ctx, s, "npm", "evil", "1.0.0", NULL),
                     SG_EINVALID);
    assert_null(got.name);
    sg_store_free(s);
}

static int list_result(const sg_store_result *r, void *payload)
{
    char *names = payload;
    size_t n = strlen(names);
    snprintf(names + n, 128 - n, "%s%s@%s", n ? " " : "", r->name, r->version);
    return 0;
}

static void test_store_sqlite__walks_results_in_name_order(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_result a = result_for("b-pkg", "1.0.0", SG_VERDICT_PASS);
    sg_store_result b = result_for("a-pkg", "2.0.0", SG_VERDICT_INCONCLUSIVE);
    char names[128] = "";
    assert_int_equal(sg_store_put_result(s, f->ctx, &a), 0);
    assert_int_equal(sg_store_put_result(s, f->ctx, &b), 0);
    assert_int_equal(sg_store_foreach_result(s, f->ctx, list_result, names), 0);
    assert_string_equal(names, "a-pkg@2.0.0 b-pkg@1.0.0");
    sg_store_free(s);
}

/* ---- runs --------------------------------------------------------------------------- */

static void test_store_sqlite__reopening_a_run_resumes_it_and_dedupes_entries(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_job_spec dup[] = {
        {NULL, "alpha", "1.0.0"}, {NULL, "alpha", "1.0.0"}, {NULL, "beta", "latest"}};
    sg_store_stats st;
    char *run1, *run2;
    int created = -1;

    run1 = open_run(f, s, dup, 3, &created);
    assert_int_equal(created, 1);
    assert_int_equal(sg_store_run_stats(&st, f->ctx, s, run1), 0);
    assert_int_equal(st.total, 2);
    assert_int_equal(st.queued, 2);
    run2 = open_run(f, s, dup, 3, &created);
    assert_int_equal(created, 0);
    assert_string_equal(run1, run2);
    assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM jobs"), 2);
    sg_store_string_free(run2);
    /* another list is another run */
    run2 = open_run(f, s, three, 3, &created);
    assert_int_equal(created, 1);
    assert_string_not_equal(run1, run2);
    sg_store_string_free(run1);
    sg_store_string_free(run2);
    sg_store_free(s);
}

static void test_store_sqlite__a_finished_run_is_followed_by_a_new_generation(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_job job = SG_STORE_JOB_INIT;
    sg_store_result r = result_for("alpha", "1.0.0", SG_VERDICT_PASS);
    char *run1, *run2;
    int created = 0;

    run1 = open_run(f, s, three, 1, NULL);
    assert_int_equal(sg_store_claim(&job, f->ctx, s, run1, "w1", 1000), 0);
    assert_int_equal(sg_store_complete(s, f->ctx, &job, &r), 0);
    sg_store_job_dispose(&job);
    run2 = open_run(f, s, three, 1, &created);
    assert_int_equal(created, 1);
    assert_string_not_equal(run1, run2);
    assert_non_null(strstr(run2, "/2"));
    sg_store_string_free(run1);
    sg_store_string_free(run2);
    sg_store_free(s);
}

static void test_store_sqlite__named_runs_are_checked(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_job_spec bad[] = {{NULL, "", "1.0.0"}};
    char *run = NULL;
    assert_int_equal(sg_store_run_open(&run, NULL, f->ctx, s, "bad name!", NULL, three, 3),
                     SG_EINVALID);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_store_run_open(&run, NULL, f->ctx, s, NULL, NULL, bad, 1), SG_EINVALID);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_store_run_open(&run, NULL, f->ctx, s, NULL, NULL, three, 0), SG_EINVALID);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_store_run_open(&run, NULL, f->ctx, s, "weekly-2024.12", NULL, three, 3), 0);
    assert_string_equal(run, "weekly-2024.12/1");
    sg_store_string_free(run);
    sg_store_free(s);
}

/* Issue 14: a result records the verdict options that produced it; a replacement with other
 * options replaces them too (one result per artifact, the latest). */
static void test_store_sqlite__a_result_keeps_its_verdict_options(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_result r = result_for("chalk", "5.3.0", SG_VERDICT_INCONCLUSIVE),
                    got = SG_STORE_RESULT_INIT;

    r.options = "verdict-options/1 rebuild=never registry-keys=registry trusted-root=none";
    assert_int_equal(sg_store_put_result(s, f->ctx, &r), 0);
    assert_int_equal(sg_store_get_result(&got, f->ctx, s, "npm", "chalk", "5.3.0", "sha512-abc"),
                     0);
    assert_string_equal(got.options, r.options);
    sg_store_result_dispose(&got);
    r.options = NULL; /* stored as "" */
    assert_int_equal(sg_store_put_result(s, f->ctx, &r), 0);
    assert_int_equal(sg_store_get_result(&got, f->ctx, s, "npm", "chalk", "5.3.0", "sha512-abc"),
                     0);
    assert_string_equal(got.options, "");
    sg_store_result_dispose(&got);
    sg_store_free(s);
}

/* A run is verified with its own options: resuming it with others is refused. */
static void test_store_sqlite__resuming_a_run_with_other_params_is_refused(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    char *run = NULL, *again = NULL;
    int created = 0;
    assert_int_equal(
        sg_store_run_open(&run, &created, f->ctx, s, "nightly", "rebuild=never", three, 3), 0);
    assert_int_equal(created, 1);
    assert_int_equal(
        sg_store_run_open(&again, &created, f->ctx, s, "nightly", "rebuild=auto", three, 3),
        SG_EINVALID);
    assert_null(again);
    assert_non_null(strstr(sg_error_message(f->ctx), "other options (rebuild=never)"));
    sg_error_clear(f->ctx);
    assert_int_equal(
        sg_store_run_open(&again, &created, f->ctx, s, "nightly", "rebuild=never", three, 3), 0);
    assert_int_equal(created, 0);
    assert_string_equal(again, run);
    sg_store_string_free(again);
    sg_store_string_free(run);
    sg_store_free(s);
}

/* Issue 14: an error is never a result: resuming a run queues its error jobs again, and the
 * attempts they used stay counted. */
static void test_store_sqlite__resuming_a_run_requeues_its_errors(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_job job = SG_STORE_JOB_INIT;
    sg_store_stats st;
    char *run = open_run(f, s, three, 3, NULL), *again = NULL;
    int created = 1;

    assert_int_equal(sg_store_claim(&job, f->ctx, s, run, "w", 1000), 0);
    assert_string_equal(job.name, "alpha");
    assert_int_equal(sg_store_fail(s, f->ctx, &job, "registry unreachable", 0), 0);
    assert_int_equal(sg_store_run_stats(&st, f->ctx, s, run), 0);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.queued, 2);
    /* interrupted here; the same run again resumes it */
    again = open_run(f, s, three, 3, &created);
    assert_int_equal(created, 0);
    assert_string_equal(again, run);
    assert_int_equal(sg_store_run_stats(&st, f->ctx, s, run), 0);
    assert_int_equal(st.errors, 0);
    assert_int_equal(st.queued, 3);
    assert_int_equal(sg_store_claim(&job, f->ctx, s, run, "w", 1000), 0);
    assert_string_equal(job.name, "alpha"); /* list order */
    assert_int_equal(job.attempts, 2);      /* the first attempt still counts */
    sg_store_job_dispose(&job);
    sg_store_string_free(again);
    sg_store_string_free(run);
    sg_store_free(s);
}

/* ---- queue -------------------------------------------------------------------------- */

static void test_store_sqlite__claims_in_list_order_and_completes_each_once(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_job job = SG_STORE_JOB_INIT;
    sg_store_result r;
    sg_store_stats st;
    const char *order[] = {"alpha", "beta", "gamma"};
    char *run = open_run(f, s, three, 3, NULL);
    size_t i;

    for (i = 0; i < 3; i++) {
        assert_int_equal(sg_store_claim(&job, f->ctx, s, run, "w1", 60000), 0);
        assert_string_equal(job.name, order[i]);
        assert_int_equal(job.attempts, 1);
        r = result_for(job.name, "1.0.0", i == 1 ? SG_VERDICT_FAIL : SG_VERDICT_PASS);
        assert_int_equal(sg_store_complete(s, f->ctx, &job, &r), 0);
        /* completing twice: the claim is no longer running */
        assert_int_equal(sg_store_complete(s, f->ctx, &job, &r), SG_ENOTFOUND);
        sg_error_clear(f->ctx);
    }
    sg_store_job_dispose(&job);
    assert_int_equal(sg_store_claim(&job, f->ctx, s, run, "w1", 60000), SG_ENOTFOUND);
    assert_int_equal(sg_store_run_stats(&st, f->ctx, s, run), 0);
    assert_int_equal(st.total, 3);
    assert_int_equal(st.done, 3);
    assert_int_equal(st.pass, 2);
    assert_int_equal(st.fail, 1);
    assert_int_equal(st.attempts, 3);
    assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM results"), 3);
    sg_store_string_free(run);
    sg_store_free(s);
}

static void
test_store_sqlite__expired_lease_is_claimable_and_the_old_claim_writes_nothing(void **state)
{
    fixture *f = *state;
    sg_store *a = open_store(f), *b = open_store(f);
    sg_store_job ja = SG_STORE_JOB_INIT, jb = SG_STORE_JOB_INIT;
    sg_store_result ra = result_for("alpha", "1.0.0", SG_VERDICT_FAIL);
    sg_store_result rb = result_for("alpha", "1.0.0", SG_VERDICT_PASS), got = SG_STORE_RESULT_INIT;
    sg_store_stats st;
    char *run = open_run(f, a, three, 1, NULL);

    assert_int_equal(sg_store_claim(&ja, f->ctx, a, run, "worker-a", 1000), 0);
    test_clock += 999; /* lease still live */
    assert_int_equal(sg_store_claim(&jb, f->ctx, b, run, "worker-b", 1000), SG_ENOTFOUND);
    sg_error_clear(f->ctx);
    test_clock += 2; /* lease ran out: b takes the job */
    assert_int_equal(sg_store_claim(&jb, f->ctx, b, run, "worker-b", 1000), 0);
    assert_string_equal(jb.name, "alpha");
    assert_int_equal(jb.attempts, 2);
    assert_string_not_equal(ja.token, jb.token);
    /* a wakes up: its extend and its completion are refused and write nothing */
    assert_int_equal(sg_store_extend(a, f->ctx, &ja, 1000), SG_ENOTFOUND);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_store_complete(a, f->ctx, &ja, &ra), SG_ENOTFOUND);
    sg_error_clear(f->ctx);
    assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM results"), 0);
    assert_int_equal(sg_store_complete(b, f->ctx, &jb, &rb), 0);
    assert_int_equal(sg_store_get_result(&got, f->ctx, a, "npm", "alpha", "1.0.0", "sha512-abc"),
                     0);
    assert_int_equal(got.verdict, SG_VERDICT_PASS);
    assert_int_equal(sg_store_run_stats(&st, f->ctx, a, run), 0);
    assert_int_equal(st.done, 1);
    assert_int_equal(st.attempts, 2);
    sg_store_result_dispose(&got);
    sg_store_job_dispose(&ja);
    sg_store_job_dispose(&jb);
    sg_store_string_free(run);
    sg_store_free(a);
    sg_store_free(b);
}

static void test_store_sqlite__heartbeat_and_extend_keep_a_lease(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_job ja = SG_STORE_JOB_INIT, jb = SG_STORE_JOB_INIT;
    uint64_t n = 0;
    char *run = open_run(f, s, three, 1, NULL);

    assert_int_equal(sg_store_claim(&ja, f->ctx, s, run, "host/1/a", 1000), 0);
    test_clock += 900;
    assert_int_equal(sg_store_heartbeat(s, f->ctx, "host/1/a", 1000, &n), 0);
    assert_int_equal(n, 1);
    test_clock += 900; /* 1800 after the claim, 900 after the heartbeat */
    assert_int_equal(sg_store_claim(&jb, f->ctx, s, run, "host/2/b", 1000), SG_ENOTFOUND);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_store_extend(s, f->ctx, &ja, 1000), 0);
    test_clock += 900;
    assert_int_equal(sg_store_claim(&jb, f->ctx, s, run, "host/2/b", 1000), SG_ENOTFOUND);
    sg_error_clear(f->ctx);
    test_clock += 200;
    assert_int_equal(sg_store_claim(&jb, f->ctx, s, run, "host/2/b", 1000), 0);
    sg_store_job_dispose(&ja);
    sg_store_job_dispose(&jb);
    sg_store_string_free(run);
    sg_store_free(s);
}

static void test_store_sqlite__failures_retry_then_end_in_error(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_job job = SG_STORE_JOB_INIT;
    sg_store_stats st;
    char *run = open_run(f, s, three, 1, NULL);

    assert_int_equal(sg_store_claim(&job, f->ctx, s, run, "w", 1000), 0);
    assert_int_equal(sg_store_fail(s, f->ctx, &job, "registry unreachable", 1), 0);
    assert_int_equal(sg_store_claim(&job, f->ctx, s, run, "w", 1000), 0);
    assert_int_equal(job.attempts, 2);
    /* a release gives the job back without counting the attempt */
    assert_int_equal(sg_store_release(s, f->ctx, &job), 0);
    assert_int_equal(sg_store_claim(&job, f->ctx, s, run, "w", 1000), 0);
    assert_int_equal(job.attempts, 2);
    assert_int_equal(sg_store_fail(s, f->ctx, &job, "no such version", 0), 0);
    assert_int_equal(sg_store_claim(&job, f->ctx, s, run, "w", 1000), SG_ENOTFOUND);
    assert_int_equal(sg_store_run_stats(&st, f->ctx, s, run), 0);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.queued + st.running + st.done, 0);
    sg_store_job_dispose(&job);
    sg_store_string_free(run);
    sg_store_free(s);
}

static int remember_owner(const char *owner, void *payload)
{
    snprintf(payload, 64, "%s", owner);
    return 0;
}

static int count_owner(const char *owner, void *payload)
{
    (void)owner;
    (*(size_t *)payload)++;
    return 0;
}

/* n running jobs of the run with n different owners, written straight into the file. */
static void add_running_owners(fixture *f, const char *run, long n)
{
    char sql[1024];
    snprintf(sql, sizeof(sql),
             "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < %ld) "
             "INSERT INTO jobs (run, pos, ecosystem, name, spec, state, owner, attempts) "
             "SELECT '%s', 1000 + i, 'npm', 'p' || i, '1.0.0', 'running', 'owner-' || i, 1 "
             "FROM k",
             n, run);
    raw_sql(f->path, sql);
}

/* The owner list held up to 65536 owners (where the doubling of its array stopped), not the
 * 100000 its message names. */
static void test_store_sqlite__owners_are_listed_up_to_the_limit_named(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    size_t n = 0;
    char *run = open_run(f, s, three, 3, NULL);

    add_running_owners(f, run, 100000);
    assert_int_equal(sg_store_foreach_owner(s, f->ctx, run, count_owner, &n), 0);
    assert_int_equal(n, 100000);
    raw_sql(f->path, "UPDATE jobs SET owner = 'owner-100001' WHERE name = 'alpha'");
    raw_sql(f->path, "UPDATE jobs SET state = 'running' WHERE name = 'alpha'");
    n = 0;
    assert_int_equal(sg_store_foreach_owner(s, f->ctx, run, count_owner, &n), SG_ELIMIT);
    assert_string_equal(sg_error_message(f->ctx), "store: more than 100000 owners");
    assert_int_equal(n, 0);
    sg_error_clear(f->ctx);
    sg_store_string_free(run);
    sg_store_free(s);
}

static void test_store_sqlite__a_dead_owners_jobs_can_be_requeued(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_job job = SG_STORE_JOB_INIT;
    char owner[64] = "";
    uint64_t n = 0;
    char *run = open_run(f, s, three, 3, NULL);

    assert_int_equal(sg_store_claim(&job, f->ctx, s, run, "host/123/x", 600000), 0);
    assert_int_equal(sg_store_foreach_owner(s, f->ctx, run, remember_owner, owner), 0);
    assert_string_equal(owner, "host/123/x");
    assert_int_equal(sg_store_requeue_owner(s, f->ctx, run, "host/123/x", &n), 0);
    assert_int_equal(n, 1);
    sg_store_job_dispose(&job);
    /* the first job again, well before its lease would have run out */
    assert_int_equal(sg_store_claim(&job, f->ctx, s, run, "host/456/y", 600000), 0);
    assert_string_equal(job.name, "alpha");
    sg_store_job_dispose(&job);
    sg_store_string_free(run);
    sg_store_free(s);
}

static void test_store_sqlite__completion_and_result_share_one_transaction(void **state)
{
    fixture *f = *state;
    sg_store *s = open_store(f);
    sg_store_job job = SG_STORE_JOB_INIT;
    sg_store_result r = result_for("alpha", "1.0.0", SG_VERDICT_PASS);
    sg_store_stats st;
    char *run = open_run(f, s, three, 1, NULL);

    /* the result's insert fails: the job must not be marked done either */
    raw_sql(f->path, "CREATE TRIGGER boom BEFORE INSERT ON results BEGIN "
                     "SELECT RAISE(ABORT, 'disk on fire'); END;");
    assert_int_equal(sg_store_claim(&job, f->ctx, s, run, "w", 60000), 0);
    assert_true(sg_store_complete(s, f->ctx, &job, &r) < 0);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_store_run_stats(&st, f->ctx, s, run), 0);
    assert_int_equal(st.done, 0);
    assert_int_equal(st.running, 1);
    raw_sql(f->path, "DROP TRIGGER boom");
    assert_int_equal(sg_store_complete(s, f->ctx, &job, &r), 0);
    assert_int_equal(sg_store_run_stats(&st, f->ctx, s, run), 0);
    assert_int_equal(st.done, 1);
    sg_store_job_dispose(&job);
    sg_store_string_free(run);
    sg_store_free(s);
}

/* ---- concurrency -------------------------------------------------------------------- */

#define NJOBS 120
#define NWORKERS 4

typedef struct worker {
    fixture *f;       /* the test's fixture */
    const char *run;  /* the run to work on */
    int id;           /* worker number */
    int *completions; /* per job: successful completions (shared, atomic) */
    int failed;       /* a store call failed unexpectedly */
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    sg_ctx *ctx = NULL;
    sg_store *s = NULL;
    sg_store_job job = SG_STORE_JOB_INIT;
    char owner[32];
    int error;

    sg_ctx_new(&ctx);
    snprintf(owner, sizeof(owner), "worker-%d", w->id);
    if (sg_store_open(&s, ctx, w->f->url, NULL) < 0) {
        w->failed = 1;
        goto done;
    }
    while ((error = sg_store_claim(&job, ctx, s, w->run, owner, 60000)) == 0) {
        int idx = atoi(job.name + 4);
        sg_store_result r = result_for(job.name, "1.0.0", SG_VERDICT_PASS);
        if (sg_store_complete(s, ctx, &job, &r) == 0)
            __atomic_add_fetch(&w->completions[idx], 1, __ATOMIC_SEQ_CST);
        else
            w->failed = 1;
    }
    if (error != SG_ENOTFOUND)
        w->failed = 1;
done:
    if (w->failed)
        print_error("worker %d: %s\n", w->id, sg_error_message(ctx));
    sg_store_job_dispose(&job);
    sg_store_free(s);
    sg_ctx_free(ctx);
    return NULL;
}

static void test_store_sqlite__concurrent_workers_complete_every_job_exactly_once(void **state)
{
    fixture *f = *state;
    sg_store_job_spec jobs[NJOBS];
    static char names[NJOBS][16];
    int completions[NJOBS];
    worker w[NWORKERS];
    pthread_t t[NWORKERS];
    sg_store_stats st;
    sg_store *s = open_store(f);
    char *run;
    int i;

    for (i = 0; i < NJOBS; i++) {
        snprintf(names[i], sizeof(names[i]), "pkg-%d", i);
        jobs[i] = (sg_store_job_spec){NULL, names[i], "1.0.0"};
        completions[i] = 0;
    }
    run = open_run(f, s, jobs, NJOBS, NULL);
    for (i = 0; i < NWORKERS; i++) {
        w[i] = (worker){f, run, i, completions, 0};
        assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (i = 0; i < NWORKERS; i++) {
        pthread_join(t[i], NULL);
        assert_false(w[i].failed);
    }
    for (i = 0; i < NJOBS; i++)
        assert_int_equal(completions[i], 1);
    assert_int_equal(sg_store_run_stats(&st, f->ctx, s, run), 0);
    assert_int_equal(st.done, NJOBS);
    assert_int_equal(st.attempts, NJOBS); /* nobody claimed a job another one held */
    assert_int_equal(raw_count(f->path, "SELECT COUNT(*) FROM results"), NJOBS);
    sg_store_string_free(run);
    sg_store_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_store_sqlite__new_store_has_current_schema_in_wal_mode),
        T(test_store_sqlite__migrates_a_version_1_store_keeping_its_results),
        T(test_store_sqlite__refuses_a_newer_schema),
        T(test_store_sqlite__failed_migration_changes_nothing),
        T(test_store_sqlite__rejects_unknown_schemes_and_empty_urls),
        T(test_store_sqlite__put_then_get_and_replace_a_result),
        T(test_store_sqlite__rejects_malformed_stored_rows),
        T(test_store_sqlite__walks_results_in_name_order),
        T(test_store_sqlite__reopening_a_run_resumes_it_and_dedupes_entries),
        T(test_store_sqlite__a_finished_run_is_followed_by_a_new_generation),
        T(test_store_sqlite__named_runs_are_checked),
        T(test_store_sqlite__a_result_keeps_its_verdict_options),
        T(test_store_sqlite__resuming_a_run_with_other_params_is_refused),
        T(test_store_sqlite__resuming_a_run_requeues_its_errors),
        T(test_store_sqlite__claims_in_list_order_and_completes_each_once),
        T(test_store_sqlite__expired_lease_is_claimable_and_the_old_claim_writes_nothing),
        T(test_store_sqlite__heartbeat_and_extend_keep_a_lease),
        T(test_store_sqlite__failures_retry_then_end_in_error),
        T(test_store_sqlite__a_dead_owners_jobs_can_be_requeued),
        T(test_store_sqlite__owners_are_listed_up_to_the_limit_named),
        T(test_store_sqlite__completion_and_result_share_one_transaction),
        T(test_store_sqlite__concurrent_workers_complete_every_job_exactly_once),
#undef T
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    sgt_cleanup();
    return rc;
}
