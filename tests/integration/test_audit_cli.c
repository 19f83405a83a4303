/*
 * sourcegate audit end to end on SQLite, offline: a loopback registry (each answer delayed,
 * so a run takes a few seconds) serves a dozen packages whose repositories are fixtures made
 * with libgit2. An audit is killed with SIGKILL in the middle and run again with the same
 * arguments: it resumes, and every release ends with exactly one stored result, none lost
 * and none verified twice except the ones in flight at the kill.
 */
#include "sg_test.h"
#include "http_server.h"

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NPKG 12
#define BAD_PKG 3     /* its tarball carries a file the source lacks: fail */
#define MISSING_PKG 9 /* listed at a version the registry does not have: error */
#define BARE_PKG 10   /* listed without a version: latest */
#define DELAY_MS 120
#define JOBS 2

typedef struct pkg {
    char name[16];      /* pkg-NN */
    char path[32];      /* /pkg-NN */
    char tgz_path[64];  /* /pkg-NN/-/pkg-NN-1.0.0.tgz */
    char *packument;    /* served at path */
    unsigned char *tgz; /* served at tgz_path */
    size_t tgz_len;
    int requests; /* packument requests (under the fixture's lock) */
} pkg;

typedef struct fixture {
    char *dir;            /* temporary folder */
    char repos_url[4200]; /* file:// URL of the folder of repositories */
    char list[4200];      /* the audit list */
    char store[4200];     /* the SQLite store file */
    sgt_http_server *srv; /* the registry */
    pkg pkgs[NPKG];
    pthread_mutex_t lock; /* guards requests */
} fixture;

static void handler(sgt_http_conn *c, const sgt_http_request *req, void *payload)
{
    fixture *f = payload;
    int i;
    sgt_http_sleep_ms(c, DELAY_MS);
    for (i = 0; i < NPKG; i++) {
        pkg *p = &f->pkgs[i];
        if (strcmp(req->target, p->path) == 0) {
            pthread_mutex_lock(&f->lock);
            p->requests++;
            pthread_mutex_unlock(&f->lock);
            sgt_http_respond(c, 200, "Content-Type: application/json\r\n", p->packument,
                             strlen(p->packument));
            return;
        }
        if (strcmp(req->target, p->tgz_path) == 0) {
            sgt_http_respond(c, 200, NULL, p->tgz, p->tgz_len);
            return;
        }
    }
    sgt_http_respond(c, 404, NULL, "{}", 2);
}

static char *integrity_of(const unsigned char *b, size_t n)
{
    sg_ctx *ctx;
    sg_buf out = SG_BUF_INIT;
    char *s;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_integrity_sha512(&out, ctx, b, n), 0);
    s = strdup(out.ptr);
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
    return s;
}

static void make_pkg(fixture *f, int i)
{
    pkg *p = &f->pkgs[i];
    char pj[512], repo[4300], commit[41], body[4096], *integrity;
    sgt_file files[2];
    sgt_tar_entry e[3];

    snprintf(p->name, sizeof(p->name), "pkg-%02d", i);
    snprintf(p->path, sizeof(p->path), "/pkg-%02d", i);
    snprintf(p->tgz_path, sizeof(p->tgz_path), "/pkg-%02d/-/pkg-%02d-1.0.0.tgz", i, i);
    snprintf(pj, sizeof(pj),
             "{\"name\":\"%s\",\"version\":\"1.0.0\",\"main\":\"index.js\","
             "\"repository\":\"git+https://github.com/acme/%s.git\"}",
             p->name, p->name);
    snprintf(repo, sizeof(repo), "%s/repos/%s.git", f->dir, p->name);
    files[0] = (sgt_file){"package.json", pj, 0, 0};
    files[1] = (sgt_file){"index.js", "module.exports = 1;\n", 0, 0};
    sgt_git_init(repo, 1);
    sgt_git_commit(commit, repo, NULL, files, 2, "1.0.0", i);
    sgt_git_tag(repo, "v1.0.0", commit, 1);
    e[0] = (sgt_tar_entry){"package/package.json", pj, 0, 0, 0, NULL};
    e[1] = (sgt_tar_entry){"package/index.js", "module.exports = 1;\n", 0, 0, 0, NULL};
    e[2] = (sgt_tar_entry){"package/postinstall.js", "require('child_process');\n", 0, 0, 0, NULL};
    sgt_tar_build(&p->tgz, &p->tgz_len, e, i == BAD_PKG ? 3 : 2, 1);
    integrity = integrity_of(p->tgz, p->tgz_len);
    snprintf(body, sizeof(body),
             "{\"name\":\"%s\",\"dist-tags\":{\"latest\":\"1.0.0\"},\"versions\":{\"1.0.0\":"
             "%.*s,\"dist\":{\"tarball\":\"%s%s\",\"integrity\":\"%s\"}}}}",
             p->name, (int)strlen(pj) - 1, pj, sgt_http_base_url(f->srv), p->tgz_path + 1,
             integrity);
    p->packument = strdup(body);
    free(integrity);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    FILE *list;
    int i;
    f->dir = sgt_tmpdir();
    pthread_mutex_init(&f->lock, NULL);
    snprintf(f->repos_url, sizeof(f->repos_url), "file://%s/repos/", f->dir);
    snprintf(f->list, sizeof(f->list), "%s/list.txt", f->dir);
    snprintf(f->store, sizeof(f->store), "%s/cache/audit.sqlite", f->dir);
    sgt_http_start(&f->srv, handler, f);
    for (i = 0; i < NPKG; i++)
        make_pkg(f, i);
    list = fopen(f->list, "w");
    fprintf(list, "# releases to audit\n\n");
    for (i = 0; i < NPKG; i++) {
        if (i == BARE_PKG)
            fprintf(list, "  %s   # its latest\n", f->pkgs[i].name);
        else
            fprintf(list, "%s@%s\n", f->pkgs[i].name, i == MISSING_PKG ? "9.9.9" : "1.0.0");
    }
    fclose(list);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    int i;
    sgt_http_stop(f->srv);
    for (i = 0; i < NPKG; i++) {
        free(f->pkgs[i].packument);
        free(f->pkgs[i].tgz);
    }
    free(f);
    sgt_cleanup();
    return 0;
}

static void audit_cmd(char *out, size_t size, const fixture *f, const char *extra)
{
    snprintf(out, size,
             "env HOME='%s' npm_config_registry= '%s' audit --list '%s' --jobs %d --registry '%s' "
             "--cache '%s/cache' --git-rewrite https://github.com/acme/='%s' %s",
             f->dir, getenv("SG_CLI"), f->list, JOBS, sgt_http_base_url(f->srv), f->dir,
             f->repos_url, extra ? extra : "");
}

static long long store_count(const fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    long long n = -1;
    if (sqlite3_open_v2(f->store, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto done;
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
done:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Start the audit in a child (exec'd by sh, so the pid is the CLI's). */
static pid_t spawn(const char *cmd, const char *out, const char *err)
{
    char full[40000];
    pid_t pid;
    snprintf(full, sizeof(full), "exec %s >'%s' 2>'%s'", cmd, out, err);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", full, (char *)NULL);
        _exit(127);
    }
    assert_true(pid > 0);
    return pid;
}

static void test_audit_cli__killed_mid_run_resumes_and_stores_each_result_once(void **state)
{
    fixture *f = *state;
    char cmd[16384], out1[4300], err1[4300], *out = NULL, *err = NULL;
    char done_at_kill[NPKG] = {0};
    struct timespec nap = {0, 20 * 1000 * 1000};
    long long done = 0;
    int status, i, waited, twice = 0, rc;
    pid_t pid;

    audit_cmd(cmd, sizeof(cmd), f, NULL);
    snprintf(out1, sizeof(out1), "%s/out1", f->dir);
    snprintf(err1, sizeof(err1), "%s/err1", f->dir);
    pid = spawn(cmd, out1, err1);
    for (waited = 0; waited < 3000 && done < 3; waited++) {
        nanosleep(&nap, NULL);
        done = store_count(f, "SELECT COUNT(*) FROM jobs WHERE state = 'done'");
    }
    assert_int_equal(kill(pid, SIGKILL), 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFSIGNALED(status)) {
        char *e = sgt_read_file(err1, NULL);
        print_error("the audit ended before the kill (status %d): %s\n", status, e);
        free(e);
    }
    assert_true(WIFSIGNALED(status));
    done = store_count(f, "SELECT COUNT(*) FROM jobs WHERE state IN ('done', 'error')");
    print_message("killed after %lld of %d releases\n", done, NPKG);
    assert_true(done >= 3);
    assert_true(done < NPKG); /* the kill landed mid-run */
    for (i = 0; i < NPKG; i++) {
        char sql[256];
        snprintf(sql, sizeof(sql),
                 "SELECT COUNT(*) FROM jobs WHERE name = '%s' AND state "
                 "IN ('done', 'error')",
                 f->pkgs[i].name);
        done_at_kill[i] = (char)store_count(f, sql);
    }

    /* the same arguments again: it resumes and finishes */
    rc = sgt_run(cmd, &out, &err);
    if (rc != 1)
        print_error("rerun exited %d\nstdout: %s\nstderr: %s\n", rc, out, err);
    assert_int_equal(rc, 1); /* pkg-03 fails */
    assert_non_null(strstr(err, "resuming"));
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM runs"), 1);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM jobs"), NPKG);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM jobs WHERE state = 'done'"), NPKG - 1);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM jobs WHERE state = 'error'"), 1);
    /* exactly one result per release; the missing version has none */
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM results"), NPKG - 1);
    assert_int_equal(store_count(f, "SELECT COUNT(DISTINCT name) FROM results"), NPKG - 1);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM results WHERE name = 'pkg-09'"), 0);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM results WHERE verdict = 'fail'"), 1);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM results WHERE name = 'pkg-03' AND "
                                    "verdict = 'fail'"),
                     1);
    /* none verified twice: a release fetched its packument twice only when it was in flight
     * at the kill (at most one per worker), never once it was done */
    for (i = 0; i < NPKG; i++) {
        assert_true(f->pkgs[i].requests >= 1);
        assert_true(f->pkgs[i].requests <= 2);
        if (f->pkgs[i].requests == 2) {
            twice++;
            assert_int_equal(done_at_kill[i], 0);
        }
    }
    assert_true(twice <= JOBS);
    print_message("%d release(s) were in flight at the kill and verified again\n", twice);
    free(out);
    free(err);
}

static void test_audit_cli__report_counts_what_the_audit_stored(void **state)
{
    fixture *f = *state;
    char cmd[16384], *out = NULL, *err = NULL;
    cJSON *doc, *counts;
    snprintf(cmd, sizeof(cmd), "HOME='%s' '%s' report --cache '%s/cache' --format json", f->dir,
             getenv("SG_CLI"), f->dir);
    assert_int_equal(sgt_run(cmd, &out, &err), 0);
    doc = cJSON_Parse(out);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "schema")),
                        "sourcegate/audit/v1");
    counts = cJSON_GetObjectItem(doc, "counts");
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "releases")), NPKG - 1);
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "pass")), NPKG - 2);
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "fail")), 1);
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "errors")), 1);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "releases")), NPKG - 1);
    assert_non_null(strstr(out, "\"spec\": \"9.9.9\""));
    assert_non_null(strstr(out, "\"kind\":\"file-added\""));
    cJSON_Delete(doc);
    free(out);
    free(err);
}

static void test_audit_cli__a_finished_run_is_audited_anew(void **state)
{
    fixture *f = *state;
    char cmd[16384], *out = NULL, *err = NULL;
    audit_cmd(cmd, sizeof(cmd), f, "-q");
    assert_int_equal(sgt_run(cmd, &out, &err), 1);
    assert_string_equal(out, "");
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM runs"), 2);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM jobs WHERE run LIKE '%/2' AND state "
                                    "= 'done'"),
                     NPKG - 1);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM results"), NPKG - 1); /* replaced */
    free(out);
    free(err);
}

static void store_exec(const fixture *f, const char *sql)
{
    sqlite3 *db = NULL;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(f->store, &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("sql failed: %s", msg);
    sqlite3_close(db);
}

/* Issue 14 item 4: audit takes verify's verdict options and stores them with every result; a
 * run keeps the options it was started with (workers joining it must give them); resuming a
 * run retries the releases that ended in an error. */
static void test_audit_cli__verdict_options_belong_to_the_run(void **state)
{
    fixture *f = *state;
    char cmd[16384], *out = NULL, *err = NULL;

    audit_cmd(cmd, sizeof(cmd), f, "--rebuild sometimes");
    assert_int_equal(sgt_run(cmd, &out, &err), 2);
    assert_non_null(strstr(err, "--rebuild must be auto, always or never"));
    free(out);
    free(err);
    audit_cmd(cmd, sizeof(cmd), f, "--run opts --rebuild never -q");
    assert_int_equal(sgt_run(cmd, &out, &err), 1); /* BAD_PKG fails */
    free(out);
    free(err);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM results WHERE options = "
                                    "'verdict-options/1 rebuild=never registry-keys=registry "
                                    "trusted-root=none'"),
                     NPKG - 1);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM runs WHERE run = 'opts/1' AND params "
                                    "LIKE '%fail-on=high verdict-options/1 rebuild=never %'"),
                     1);
    assert_int_equal(store_count(f, "SELECT attempts FROM jobs WHERE run = 'opts/1' AND "
                                    "state = 'error'"),
                     1);
    /* the run is interrupted with a job left; a worker with other options may not join */
    store_exec(f, "UPDATE jobs SET state = 'queued' WHERE run = 'opts/1' AND name = 'pkg-00'");
    audit_cmd(cmd, sizeof(cmd), f, "--run opts -q");
    assert_int_equal(sgt_run(cmd, &out, &err), 2);
    assert_non_null(strstr(err, "run 'opts/1' was started with other options"));
    free(out);
    free(err);
    /* with the run's options it resumes, and retries the release that ended in an error */
    audit_cmd(cmd, sizeof(cmd), f, "--run opts --rebuild never -q");
    assert_int_equal(sgt_run(cmd, &out, &err), 1);
    free(out);
    free(err);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM runs WHERE run LIKE 'opts/%'"), 1);
    assert_int_equal(store_count(f, "SELECT attempts FROM jobs WHERE run = 'opts/1' AND "
                                    "state = 'error'"),
                     2);
}

/* The run's stored parameters never hold the registry's credentials (issue 12). */
static void test_audit_cli__stored_params_hold_no_credentials(void **state)
{
    fixture *f = *state;
    char cmd[16384], reg[512], *out = NULL, *err = NULL;
    const char *base = sgt_http_base_url(f->srv);
    snprintf(reg, sizeof(reg), "http://auditor:pw-s3cret@%s", base + strlen("http://"));
    snprintf(cmd, sizeof(cmd),
             "env HOME='%s' npm_config_registry= '%s' audit --list '%s' --jobs 1 --registry '%s' "
             "--cache '%s/cache' --git-rewrite https://github.com/acme/='%s' --run creds -q",
             f->dir, getenv("SG_CLI"), f->list, reg, f->dir, f->repos_url);
    sgt_run(cmd, &out, &err);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM runs WHERE params LIKE '%s3cret%'"), 0);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM runs WHERE run LIKE 'creds%' AND "
                                    "params LIKE 'registry=http://127.0.0.1:%'"),
                     1);
    free(out);
    free(err);
}

static void test_audit_cli__bad_lists_are_usage_errors(void **state)
{
    fixture *f = *state;
    char cmd[16384], path[4300], *out = NULL, *err = NULL;
    snprintf(cmd, sizeof(cmd), "'%s' audit", getenv("SG_CLI"));
    assert_int_equal(sgt_run(cmd, &out, &err), 2);
    assert_non_null(strstr(err, "--list FILE is required"));
    free(out);
    free(err);
    snprintf(path, sizeof(path), "%s/bad-list.txt", f->dir);
    sgt_write_file(path, "chalk@5.3.0\nNot A Name@1\n", strlen("chalk@5.3.0\nNot A Name@1\n"), 0);
    snprintf(cmd, sizeof(cmd), "HOME='%s' '%s' audit --list '%s' --cache '%s/cache2'", f->dir,
             getenv("SG_CLI"), path, f->dir);
    assert_int_equal(sgt_run(cmd, &out, &err), 2);
    assert_non_null(strstr(err, "line 2"));
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd), "HOME='%s' '%s' audit --list '%s/nonexistent'", f->dir,
             getenv("SG_CLI"), f->dir);
    assert_int_equal(sgt_run(cmd, &out, &err), 2);
    assert_non_null(strstr(err, "cannot read list"));
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd), "HOME='%s' '%s' report --cache '%s/no-cache-here'", f->dir,
             getenv("SG_CLI"), f->dir);
    assert_int_equal(sgt_run(cmd, &out, &err), 2);
    assert_non_null(strstr(err, "no store at"));
    free(out);
    free(err);
}

/* Issue 14 item 2: with the git host down every release is an error (exit 4), the store keeps
 * errors and no result; the next run, with the host up, verifies every release again. */
static void test_audit_cli__git_host_down_is_an_error_retried_next_run(void **state)
{
    fixture *f = *state;
    char cmd[16384], saved[sizeof(f->store)], *out = NULL, *err = NULL;
    memcpy(saved, f->store, sizeof(saved));
    snprintf(f->store, sizeof(f->store), "%s/cache-down/audit.sqlite", f->dir);
    snprintf(cmd, sizeof(cmd),
             "env HOME='%s' npm_config_registry= '%s' audit --list '%s' --jobs %d --registry '%s' "
             "--cache '%s/cache-down' --git-rewrite https://github.com/acme/=http://127.0.0.1:1/ "
             "-q",
             f->dir, getenv("SG_CLI"), f->list, JOBS, sgt_http_base_url(f->srv), f->dir);
    assert_int_equal(sgt_run(cmd, &out, &err), 4);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM results"), 0);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM jobs WHERE state = 'error'"), NPKG);
    free(out);
    free(err);
    snprintf(cmd, sizeof(cmd),
             "env HOME='%s' npm_config_registry= '%s' audit --list '%s' --jobs %d --registry '%s' "
             "--cache '%s/cache-down' --git-rewrite https://github.com/acme/='%s' -q",
             f->dir, getenv("SG_CLI"), f->list, JOBS, sgt_http_base_url(f->srv), f->dir,
             f->repos_url);
    assert_int_equal(sgt_run(cmd, &out, &err), 1); /* BAD_PKG fails, the others pass */
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM results"), NPKG - 1);
    assert_int_equal(store_count(f, "SELECT COUNT(*) FROM results WHERE verdict = 'pass'"),
                     NPKG - 2);
    memcpy(f->store, saved, sizeof(saved));
    free(out);
    free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_cli__killed_mid_run_resumes_and_stores_each_result_once),
        cmocka_unit_test(test_audit_cli__report_counts_what_the_audit_stored),
        cmocka_unit_test(test_audit_cli__a_finished_run_is_audited_anew),
        cmocka_unit_test(test_audit_cli__bad_lists_are_usage_errors),
        cmocka_unit_test(test_audit_cli__stored_params_hold_no_credentials),
        cmocka_unit_test(test_audit_cli__git_host_down_is_an_error_retried_next_run),
        cmocka_unit_test(test_audit_cli__verdict_options_belong_to_the_run),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
