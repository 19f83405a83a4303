/*
 * The lockfile runner without a network: stored verdicts through the reuse callbacks, errors
 * per release (offline, nothing cached), grouping of entries into releases, bundled and
 * non-registry entries skipped; and the worker pool under it (jobs.c).
 */
#include "sg_test.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sourcegate/lockfile.h"
#include "verifier/lockfile/jobs_int.h"

#define A_INTEGRITY "sha512-AAAA"

static const char *STORED =
    "{\"schema\":\"sourcegate/report/v1\",\"package\":\"a\",\"version\":\"1.0.0\","
    "\"verdict\":\"fail\",\"artifact\":{\"url\":\"https://r/a/-/a-1.0.0.tgz\",\"integrity\":"
    "\"" A_INTEGRITY "\",\"files\":2},\"source\":{\"repository\":null},\"normalizations\":"
    "[\"tar-mtime\"],\"findings\":[{\"kind\":\"dependency-added\",\"severity\":\"critical\","
    "\"path\":\"package.json\",\"field\":\"dependencies\",\"name\":\"evil\",\"after\":\"^1\"}],"
    "\"inconclusive_reason\":null}";

typedef struct store {
    int gets, puts;       /* calls */
    pthread_mutex_t lock; /* checks that calls never overlap */
    int inside;           /* a call is running */
    int overlapped;       /* two calls ran at once */
} store;

static int get(void *payload, sg_buf *json, sg_ctx *ctx, const char *eco, const char *name,
               const char *version, const char *integrity)
{
    store *s = payload;
    (void)ctx;
    s->overlapped |= s->inside++; /* (no cmocka asserts here: this runs on a worker thread) */
    s->gets++;
    s->overlapped |= strcmp(eco, "npm") != 0;
    s->inside--;
    if (!strcmp(name, "a") && !strcmp(version, "1.0.0") && !strcmp(integrity, A_INTEGRITY))
        return sg_buf_puts(json, STORED);
    return SG_ENOTFOUND;
}

static int put(void *payload, sg_ctx *ctx, const char *eco, const char *name, const char *version,
               const char *integrity, sg_verdict verdict, const char *json, size_t len)
{
    store *s = payload;
    (void)ctx, (void)eco, (void)name, (void)version, (void)integrity, (void)verdict, (void)json,
        (void)len;
    s->puts++;
    return 0;
}

static sg_lockfile *parse(const char *text)
{
    sg_ctx *ctx;
    sg_lockfile *lock = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    if (sg_lockfile_parse(&lock, ctx, text, strlen(text), "package-lock.json") < 0)
        fail_msg("%s", sg_error_message(ctx));
    sg_ctx_free(ctx);
    return lock;
}

static void test_lockfile_verify__stored_verdicts_are_reused_and_others_fail_alone(void **state)
{
    const char *text =
        "{\"lockfileVersion\":3,\"packages\":{\n"
        "\"node_modules/b\":{\"version\":\"2.0.0\",\"integrity\":\"sha512-BBBB\"},\n"
        "\"node_modules/a\":{\"version\":\"1.0.0\",\"integrity\":\"" A_INTEGRITY "\"},\n"
        "\"node_modules/x/node_modules/a\":{\"version\":\"1.0.0\",\"integrity\":\"" A_INTEGRITY
        "\"},\n"
        "\"node_modules/x\":{\"version\":\"1.0.0\",\"resolved\":\"git+https://h/x.git#abc\"},\n"
        "\"node_modules/y/node_modules/z\":{\"version\":\"3.0.0\",\"inBundle\":true}}}";
    sg_lockfile *lock = parse(text);
    sg_lockfile_verify_opts o = SG_LOCKFILE_VERIFY_OPTS_INIT;
    sg_lockfile_reuse ru = {get, put, NULL};
    sg_lockfile_run *run = NULL;
    const sg_lockfile_release *r;
    sg_cache *cache = NULL;
    sg_ctx *ctx;
    store s;
    (void)state;

    memset(&s, 0, sizeof(s));
    ru.payload = &s;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_cache_open(&cache, ctx, sgt_tmpdir()), 0);
    o.release.cache = cache;
    o.release.offline = 1;
    o.jobs = 4;
    o.reuse = &ru;
    assert_int_equal(sg_lockfile_verify(&run, ctx, lock, &o), 0);
    assert_int_equal(sg_lockfile_run_count(run), 2); /* a (twice) and b */
    r = sg_lockfile_run_release(run, 0);
    assert_string_equal(r->name, "a");
    assert_int_equal(r->nentries, 2);
    assert_int_equal(r->entry->line, 3);
    assert_true(r->reused);
    assert_int_equal(r->error, 0);
    assert_int_equal(sg_report_verdict(r->report), SG_VERDICT_FAIL);
    assert_int_equal(sg_report_finding_count(r->report), 1);
    assert_string_equal(sg_report_finding(r->report, 0)->name, "evil");
    r = sg_lockfile_run_release(run, 1);
    assert_string_equal(r->name, "b");
    assert_false(r->reused);
    assert_int_equal(r->error, SG_ENOTFOUND);
    assert_non_null(strstr(r->message, "offline"));
    assert_null(r->report);
    assert_int_equal(sg_lockfile_run_skipped_count(run), 2); /* git, bundled */
    assert_string_equal(sg_lockfile_skip_reason(sg_lockfile_run_skipped(run, 1)),
                        "bundled in its parent's tarball");
    assert_int_equal(sg_lockfile_run_verdict(run), SG_VERDICT_FAIL);
    assert_int_equal(s.gets, 2);
    assert_int_equal(s.puts, 0); /* nothing was verified afresh */
    assert_false(s.overlapped);
    sg_lockfile_run_free(run);
    sg_cache_free(cache);
    sg_lockfile_free(lock);
    sg_ctx_free(ctx);
}

static void test_lockfile_verify__a_stored_report_is_decided_again_with_fail_on(void **state)
{
    const char *text = "{\"lockfileVersion\":3,\"packages\":{\"node_modules/a\":{\"version\":"
                       "\"1.0.0\",\"integrity\":\"" A_INTEGRITY "\"}}}";
    sg_lockfile *lock = parse(text);
    sg_lockfile_verify_opts o = SG_LOCKFILE_VERIFY_OPTS_INIT;
    sg_lockfile_reuse ru = {get, NULL, NULL};
    sg_lockfile_run *run = NULL;
    sg_cache *cache = NULL;
    sg_ctx *ctx;
    store s;
    (void)state;
    memset(&s, 0, sizeof(s));
    ru.payload = &s;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_cache_open(&cache, ctx, sgt_tmpdir()), 0);
    o.release.cache = cache;
    o.release.offline = 1;
    o.release.fail_on = SG_SEV_CRITICAL;
    o.reuse = &ru;
    assert_int_equal(sg_lockfile_verify(&run, ctx, lock, &o), 0);
    assert_int_equal(sg_report_verdict(sg_lockfile_run_release(run, 0)->report), SG_VERDICT_FAIL);
    sg_lockfile_run_free(run);
    run = NULL;
    /* a stored JSON that does not read back is ignored: verified afresh (offline: an error) */
    STORED = "{\"schema\":\"other\"}";
    assert_int_equal(sg_lockfile_verify(&run, ctx, lock, &o), 0);
    assert_false(sg_lockfile_run_release(run, 0)->reused);
    assert_int_equal(sg_lockfile_run_release(run, 0)->error, SG_ENOTFOUND);
    sg_lockfile_run_free(run);
    sg_cache_free(cache);
    sg_lockfile_free(lock);
    sg_ctx_free(ctx);
}

/* Issue 14 item 2: a stored source-missing verdict (older versions stored an unreachable git
 * host so) is verified afresh, and an errored verification stores nothing. */
static void test_lockfile_verify__stored_source_missing_is_verified_again(void **state)
{
    const char *text = "{\"lockfileVersion\":3,\"packages\":{\"node_modules/a\":{\"version\":"
                       "\"1.0.0\",\"integrity\":\"" A_INTEGRITY "\"}}}";
    const char *saved = STORED;
    sg_lockfile *lock = parse(text);
    sg_lockfile_verify_opts o = SG_LOCKFILE_VERIFY_OPTS_INIT;
    sg_lockfile_reuse ru = {get, put, NULL};
    sg_lockfile_run *run = NULL;
    sg_cache *cache = NULL;
    sg_ctx *ctx;
    store s;
    (void)state;
    memset(&s, 0, sizeof(s));
    ru.payload = &s;
    STORED = "{\"schema\":\"sourcegate/report/v1\",\"package\":\"a\",\"version\":\"1.0.0\","
             "\"verdict\":\"fail\",\"artifact\":{\"integrity\":\"" A_INTEGRITY "\"},"
             "\"findings\":[{\"kind\":\"source-missing\",\"severity\":\"high\",\"detail\":"
             "\"failed to resolve address for github.com\"}]}";
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_cache_open(&cache, ctx, sgt_tmpdir()), 0);
    o.release.cache = cache;
    o.release.offline = 1;
    o.reuse = &ru;
    assert_int_equal(sg_lockfile_verify(&run, ctx, lock, &o), 0);
    assert_int_equal(s.gets, 1);
    assert_false(sg_lockfile_run_release(run, 0)->reused);
    assert_int_equal(sg_lockfile_run_release(run, 0)->error, SG_ENOTFOUND); /* offline */
    assert_int_equal(s.puts, 0);
    STORED = saved;
    sg_lockfile_run_free(run);
    sg_cache_free(cache);
    sg_lockfile_free(lock);
    sg_ctx_free(ctx);
}

/* Issue 14 item 3: a tarball URL anywhere under the configured registry is its release (here
 * planned and, offline with nothing cached, an error); one elsewhere is a "remote" entry. */
static void test_lockfile_verify__tarball_under_the_registry_is_a_release(void **state)
{
    const char *text = "{\"lockfileVersion\":3,\"packages\":{\n"
                       "\"node_modules/a\":{\"version\":\"1.0.0\",\"resolved\":"
                       "\"https://REPO.example.com/artifactory/api/npm/npm/a/-/a-1.0.0.tgz\"},\n"
                       "\"node_modules/b\":{\"version\":\"2.0.0\",\"resolved\":"
                       "\"https://repo.example.com/artifactory/api/npm/npm/b/2.0.0/b.tgz\"},\n"
                       "\"node_modules/c\":{\"version\":\"3.0.0\",\"resolved\":"
                       "\"https://repo.example.com/artifactory/api/npm/other/c.tgz\"},\n"
                       "\"node_modules/d\":{\"version\":\"4.0.0\",\"resolved\":"
                       "\"https://repo.example.com.evil/artifactory/api/npm/npm/d.tgz\"}}}";
    sg_lockfile *lock = parse(text);
    sg_lockfile_verify_opts o = SG_LOCKFILE_VERIFY_OPTS_INIT;
    sg_lockfile_run *run = NULL;
    sg_npm_config *cfg = NULL;
    sg_cache *cache = NULL;
    sg_ctx *ctx;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_cache_open(&cache, ctx, sgt_tmpdir()), 0);
    assert_int_equal(sg_npm_config_new(&cfg, ctx), 0);
    assert_int_equal(
        sg_npm_config_set_registry(cfg, ctx, "https://repo.example.com/artifactory/api/npm/npm"),
        0);
    o.release.cache = cache;
    o.release.npm_config = cfg;
    o.release.offline = 1;
    assert_int_equal(sg_lockfile_verify(&run, ctx, lock, &o), 0);
    assert_int_equal(sg_lockfile_run_count(run), 2);
    assert_string_equal(sg_lockfile_run_release(run, 0)->name, "a");
    assert_string_equal(sg_lockfile_run_release(run, 1)->name, "b");
    assert_int_equal(sg_lockfile_run_skipped_count(run), 2);
    assert_string_equal(sg_lockfile_run_skipped(run, 0)->name, "c");
    assert_string_equal(sg_lockfile_unverifiable_class(sg_lockfile_run_skipped(run, 0)), "remote");
    assert_string_equal(sg_lockfile_run_skipped(run, 1)->name, "d");
    sg_lockfile_run_free(run);
    sg_npm_config_free(cfg);
    sg_cache_free(cache);
    sg_lockfile_free(lock);
    sg_ctx_free(ctx);
}

/* The classes --allow-unverifiable names. */
static void test_lockfile_verify__unverifiable_classes(void **state)
{
    const char *text =
        "{\"lockfileVersion\":3,\"packages\":{\n"
        "\"node_modules/g\":{\"version\":\"1.0.0\",\"resolved\":\"git+https://h/g.git#abc\"},\n"
        "\"node_modules/f\":{\"version\":\"1.0.0\",\"resolved\":\"file:f-1.0.0.tgz\"},\n"
        "\"node_modules/l\":{\"resolved\":\"l\",\"link\":true},\n"
        "\"node_modules/r\":{\"version\":\"1.0.0\",\"resolved\":\"https://x.test/r.tgz\"},\n"
        "\"node_modules/y/node_modules/z\":{\"version\":\"3.0.0\",\"inBundle\":true}}}";
    static const struct {
        const char *name, *cls;
    } want[] = {{"g", "git"}, {"f", "file"}, {"l", "file"}, {"r", "remote"}, {"z", NULL}};
    sg_lockfile *lock = parse(text);
    size_t i, j;
    (void)state;
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        for (j = 0; j < sg_lockfile_count(lock); j++) {
            const sg_lockfile_entry *e = sg_lockfile_entry_at(lock, j);
            const char *c;
            if (strcmp(e->name, want[i].name) != 0)
                continue;
            c = sg_lockfile_unverifiable_class(e);
            if (want[i].cls)
                assert_string_equal(c, want[i].cls);
            else
                assert_null(c);
            break;
        }
        assert_true(j < sg_lockfile_count(lock));
    }
    sg_lockfile_free(lock);
}

static void test_lockfile_verify__needs_a_cache(void **state)
{
    sg_lockfile *lock = parse("{\"lockfileVersion\":3,\"packages\":{}}");
    sg_lockfile_verify_opts o = SG_LOCKFILE_VERIFY_OPTS_INIT;
    sg_lockfile_run *run = NULL;
    sg_ctx *ctx;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_lockfile_verify(&run, ctx, lock, &o), SG_EINVALID);
    assert_null(run);
    sg_lockfile_free(lock);
    sg_ctx_free(ctx);
}

/* ---- the pool ---- */

typedef struct counter {
    pthread_mutex_t lock; /* guards the fields */
    size_t runs;          /* jobs run */
    size_t seen[8];       /* jobs per worker */
} counter;

static void count_job(void *arg, size_t worker)
{
    counter *c = arg;
    pthread_mutex_lock(&c->lock);
    c->runs++;
    if (worker < 8)
        c->seen[worker]++;
    pthread_mutex_unlock(&c->lock);
}

static void test_jobs__every_job_runs_once_on_a_known_worker(void **state)
{
    sg_jobs *pool = NULL;
    counter c;
    sg_ctx *ctx;
    size_t i, sum = 0;
    (void)state;
    memset(&c, 0, sizeof(c));
    pthread_mutex_init(&c.lock, NULL);
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_jobs_new(&pool, ctx, 4), 0);
    assert_int_equal(sg_jobs_workers(pool), 4);
    for (i = 0; i < 1000; i++)
        assert_int_equal(sg_jobs_submit(pool, ctx, count_job, &c), 0);
    sg_jobs_wait(pool);
    assert_int_equal(c.runs, 1000);
    for (i = 0; i < 8; i++)
        sum += c.seen[i];
    assert_int_equal(sum, 1000);
    /* the pool is reusable after a wait, and free waits for what is queued */
    for (i = 0; i < 100; i++)
        assert_int_equal(sg_jobs_submit(pool, ctx, count_job, &c), 0);
    sg_jobs_free(pool);
    assert_int_equal(c.runs, 1100);
    assert_true(sg_jobs_default_workers() >= 1);
    sg_ctx_free(ctx);
    pthread_mutex_destroy(&c.lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lockfile_verify__stored_verdicts_are_reused_and_others_fail_alone),
        cmocka_unit_test(test_lockfile_verify__stored_source_missing_is_verified_again),
        cmocka_unit_test(test_lockfile_verify__tarball_under_the_registry_is_a_release),
        cmocka_unit_test(test_lockfile_verify__unverifiable_classes),
        cmocka_unit_test(test_lockfile_verify__a_stored_report_is_decided_again_with_fail_on),
        cmocka_unit_test(test_lockfile_verify__needs_a_cache),
        cmocka_unit_test(test_jobs__every_job_runs_once_on_a_known_worker),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    sgt_cleanup();
    return rc;
}
