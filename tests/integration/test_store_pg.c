/*
 * The store on PostgreSQL: the test starts Debian's PostgreSQL itself (initdb in a temporary
 * folder, a loopback port, the unix socket in that folder) as an unprivileged user, since the
 * server refuses to run as root. Three worker processes share one queue and one of them is
 * killed with SIGKILL while it holds a job: every job is completed exactly once, the dead
 * worker's job after its lease ran out. Skips with a message when PostgreSQL is not installed.
 */
#include "sg_test.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sourcegate/store.h"

#define PG_USER "sgtest"
#define NJOBS 60
#define NWORKERS 3
#define LEASE_MS 2000

typedef struct pg_server {
    int available;     /* PostgreSQL started */
    char bindir[1024]; /* its programs */
    char *dir;         /* temporary folder: data/, log, socket */
    char as_user[64];  /* "runuser -u USER -- " when we are root, else "" */
    int port;          /* loopback port */
    char url[256];     /* postgresql://... of the database "postgres" */
} pg_server;

static pg_server pg;

static int find_bindir(char *out, size_t size)
{
    char *bindir = NULL, cand[1200];
    glob_t g;
    int found = 0;
    if (sgt_run("pg_config --bindir", &bindir, NULL) == 0 && bindir) {
        bindir[strcspn(bindir, "\n")] = '\0';
        snprintf(cand, sizeof(cand), "%s/initdb", bindir);
        if (access(cand, X_OK) == 0) {
            snprintf(out, size, "%s", bindir);
            found = 1;
        }
    }
    free(bindir);
    if (!found && glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) == 0) {
        size_t n = strlen(g.gl_pathv[g.gl_pathc - 1]) - strlen("/initdb");
        snprintf(out, size, "%.*s", (int)n, g.gl_pathv[g.gl_pathc - 1]);
        found = 1;
        globfree(&g);
    }
    return found;
}

static int free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) < 0)
        fail_msg("cannot find a free port");
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* As root: run the server as an unprivileged system user (made when missing). */
static void pick_user(void)
{
    struct passwd *pw;
    pg.as_user[0] = '\0';
    if (geteuid() != 0)
        return;
    if (!getpwnam(PG_USER))
        sgt_run("useradd -r -M -s /usr/sbin/nologin " PG_USER " 2>/dev/null", NULL, NULL);
    pw = getpwnam(PG_USER);
    if (!pw)
        pw = getpwnam("nobody");
    if (!pw)
        fail_msg("no unprivileged user to run PostgreSQL as");
    snprintf(pg.as_user, sizeof(pg.as_user), "runuser -u %s -- ", pw->pw_name);
    if (chown(pg.dir, pw->pw_uid, pw->pw_gid) != 0)
        fail_msg("chown %s: %s", pg.dir, strerror(errno));
}

static int start_server(void **state)
{
    char cmd[8192], *err = NULL;
    (void)state;
    if (!find_bindir(pg.bindir, sizeof(pg.bindir))) {
        fprintf(stderr, "test_store_pg: PostgreSQL server binaries not found (initdb); "
                        "skipping\n");
        return 0;
    }
    pg.dir = sgt_tmpdir();
    chmod(pg.dir, 0755);
    pick_user();
    pg.port = free_port();
    snprintf(cmd, sizeof(cmd),
             "%s'%s/initdb' -D '%s/data' -A trust -U postgres --no-sync -E UTF8 >/dev/null",
             pg.as_user, pg.bindir, pg.dir);
    if (sgt_run(cmd, NULL, &err) != 0)
        fail_msg("initdb failed: %s", err ? err : "");
    free(err);
    err = NULL;
    snprintf(cmd, sizeof(cmd),
             "%s'%s/pg_ctl' -D '%s/data' -l '%s/log' -w -t 60 -o \"-p %d -k '%s' -c "
             "listen_addresses=127.0.0.1 -c fsync=off -c max_connections=30\" start >/dev/null",
             pg.as_user, pg.bindir, pg.dir, pg.dir, pg.port, pg.dir);
    if (sgt_run(cmd, NULL, &err) != 0)
        fail_msg("pg_ctl start failed: %s", err ? err : "");
    free(err);
    snprintf(pg.url, sizeof(pg.url), "postgresql://postgres@127.0.0.1:%d/postgres", pg.port);
    pg.available = 1;
    return 0;
}

static int stop_server(void **state)
{
    char cmd[4096];
    (void)state;
    if (!pg.available)
        return 0;
    snprintf(cmd, sizeof(cmd), "%s'%s/pg_ctl' -D '%s/data' -m immediate -w stop >/dev/null 2>&1",
             pg.as_user, pg.bindir, pg.dir);
    sgt_run(cmd, NULL, NULL);
    sgt_cleanup();
    return 0;
}

#define NEED_PG()                                                                                  \
    do {                                                                                           \
        if (!pg.available)                                                                         \
            skip();                                                                                \
    } while (0)

/* Run one SQL script with psql against database db. */
static void psql(const char *db, const char *sql)
{
    char cmd[8192], *err = NULL;
    snprintf(cmd, sizeof(cmd),
             "'%s/psql' -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p %d -U postgres -d %s -c \"%s\"",
             pg.bindir, pg.port, db, sql);
    if (sgt_run(cmd, NULL, &err) != 0)
        fail_msg("psql failed: %s\n%s", cmd, err ? err : "");
    free(err);
}

static sg_store *open_db(sg_ctx *ctx, const char *db)
{
    char url[300];
    sg_store *s = NULL;
    snprintf(url, sizeof(url), "postgresql://postgres@127.0.0.1:%d/%s", pg.port, db);
    if (sg_store_open(&s, ctx, url, NULL) < 0)
        fail_msg("sg_store_open: %s", sg_error_message(ctx));
    return s;
}

static sg_store_result result_for(const char *name, const char *version, sg_verdict v)
{
    sg_store_result r = SG_STORE_RESULT_INIT;
    r.name = (char *)name;
    r.version = (char *)version;
    r.integrity = "sha512-pg";
    r.verdict = v;
    r.report_json = "{\"schema\":\"sourcegate/report/v1\"}";
    r.report_len = strlen(r.report_json);
    return r;
}

static void test_store_pg__migrates_a_version_1_database_and_keeps_results(void **state)
{
    sg_ctx *ctx;
    sg_store *s;
    sg_store_result got = SG_STORE_RESULT_INIT, r = result_for("fresh", "2.0.0", SG_VERDICT_PASS);
    int v = 0;
    (void)state;
    NEED_PG();
    sg_ctx_new(&ctx);
    psql("postgres", "CREATE DATABASE v1");
    psql("v1", "CREATE TABLE sg_schema (version BIGINT NOT NULL); INSERT INTO sg_schema VALUES (1);"
               "CREATE TABLE results (ecosystem TEXT NOT NULL, name TEXT NOT NULL, version TEXT "
               "NOT NULL, integrity TEXT NOT NULL, verdict TEXT NOT NULL, report TEXT NOT NULL, "
               "verified_at BIGINT NOT NULL, PRIMARY KEY (ecosystem, name, version, integrity));"
               "INSERT INTO results VALUES ('npm', 'old', '0.1.0', '', 'inconclusive', '{}', 7)");
    s = open_db(ctx, "v1");
    assert_string_equal(sg_store_backend_name(s), "postgresql");
    assert_int_equal(sg_store_schema_version(&v, ctx, s), 0);
    assert_int_equal(v, SG_STORE_SCHEMA_VERSION);
    assert_int_equal(sg_store_get_result(&got, ctx, s, "npm", "old", "0.1.0", ""), 0);
    assert_int_equal(got.verdict, SG_VERDICT_INCONCLUSIVE);
    sg_store_result_dispose(&got);
    assert_int_equal(sg_store_put_result(s, ctx, &r), 0);
    r.verdict = SG_VERDICT_FAIL;
    assert_int_equal(sg_store_put_result(s, ctx, &r), 0); /* replaced */
    assert_int_equal(sg_store_get_result(&got, ctx, s, "npm", "fresh", "2.0.0", "sha512-pg"), 0);
    assert_int_equal(got.verdict, SG_VERDICT_FAIL);
    assert_true(got.verified_at > 1600000000); /* the server's clock filled it in */
    sg_store_result_dispose(&got);
    sg_store_free(s);
    sg_ctx_free(ctx);
}

/* The executable loads libpq on first use (cli/ondemand.c): `report` reads this store. */
static void test_store_pg__cli_reads_the_store_through_libpq(void **state)
{
    char cmd[8192], *out = NULL, *err = NULL;
    sg_ctx *ctx;
    sg_store *s;
    sg_store_result r = result_for("clirow", "3.1.4", SG_VERDICT_FAIL);
    (void)state;
    NEED_PG();
    sg_ctx_new(&ctx);
    psql("postgres", "CREATE DATABASE cli");
    s = open_db(ctx, "cli");
    assert_int_equal(sg_store_put_result(s, ctx, &r), 0);
    sg_store_free(s);
    sg_ctx_free(ctx);
    snprintf(cmd, sizeof(cmd), "'%s' report --store postgresql://postgres@127.0.0.1:%d/cli",
             getenv("SG_CLI"), pg.port);
    if (sgt_run(cmd, &out, &err) != 0)
        fail_msg("%s: %s", cmd, err ? err : "");
    assert_non_null(strstr(out, "clirow"));
    free(out);
    free(err);
}

static void test_store_pg__unreachable_server_is_a_network_error(void **state)
{
    sg_ctx *ctx;
    sg_store *s = NULL;
    char url[200];
    (void)state;
    NEED_PG();
    sg_ctx_new(&ctx);
    snprintf(url, sizeof(url), "postgresql://postgres@127.0.0.1:%d/postgres", free_port());
    assert_int_equal(sg_store_open(&s, ctx, url, NULL), SG_ENET);
    assert_null(s);
    sg_ctx_free(ctx);
}

/* ---- three workers, one killed -------------------------------------------------------- */

static void log_line(int fd, const char *what, const sg_store_job *job)
{
    char line[256];
    int n = snprintf(line, sizeof(line), "%s %s %s\n", what, job->name, job->token);
    if (write(fd, line, (size_t)n) != n)
        _exit(3);
}

/* A worker process: claim, "verify" (sleep), complete, until the queue is empty. The victim
 * sleeps for a long time on its first job and gets killed there. */
static void worker_main(int id, const char *run, const char *logpath, int victim)
{
    sg_ctx *ctx = NULL;
    sg_store *s = NULL;
    sg_store_job job = SG_STORE_JOB_INIT;
    sg_store_stats st;
    char owner[64];
    int fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644), error;
    struct timespec nap = {0, 15 * 1000 * 1000};

    snprintf(owner, sizeof(owner), "test/%d/%d", id, (int)getpid());
    sg_ctx_new(&ctx);
    if (fd < 0 || sg_store_open(&s, ctx, pg.url, NULL) < 0)
        _exit(2);
    for (;;) {
        error = sg_store_claim(&job, ctx, s, run, owner, LEASE_MS);
        if (error == SG_ENOTFOUND) {
            sg_error_clear(ctx);
            if (sg_store_run_stats(&st, ctx, s, run) < 0)
                _exit(2);
            if (st.queued == 0 && st.running == 0)
                break;
            nanosleep(&nap, NULL); /* a job is leased by someone else: wait for it */
            continue;
        }
        if (error < 0)
            _exit(2);
        log_line(fd, "claim", &job);
        if (victim)
            sleep(60); /* killed here */
        nanosleep(&nap, NULL);
        if (sg_store_extend(s, ctx, &job, LEASE_MS) < 0) /* what a heartbeat does */
            log_line(fd, "lost", &job);
        {
            sg_store_result r = result_for(job.name, "1.0.0", SG_VERDICT_PASS);
            if (sg_store_complete(s, ctx, &job, &r) == 0)
                log_line(fd, "done", &job);
            else
                log_line(fd, "lost", &job);
            sg_error_clear(ctx);
        }
    }
    sg_store_job_dispose(&job);
    sg_store_free(s);
    sg_ctx_free(ctx);
    close(fd);
    _exit(0);
}

/* Lines of the logs with this verb and job name. */
static int count_lines(char *const *logs, const char *verb, const char *name, int *by_worker)
{
    int i, total = 0;
    char want[128];
    snprintf(want, sizeof(want), "%s %s ", verb, name);
    for (i = 0; i < NWORKERS; i++) {
        const char *p = logs[i];
        int n = 0;
        while (p && (p = strstr(p, want)) != NULL) {
            if (p == logs[i] || p[-1] == '\n')
                n++;
            p += strlen(want);
        }
        if (by_worker)
            by_worker[i] = n;
        total += n;
    }
    return total;
}

static void test_store_pg__three_workers_one_killed_complete_every_job_once(void **state)
{
    sg_ctx *ctx;
    sg_store *s;
    sg_store_job_spec jobs[NJOBS];
    static char names[NJOBS][16];
    char logpath[NWORKERS][4200], *logs[NWORKERS] = {NULL};
    pid_t pids[NWORKERS];
    sg_store_stats st;
    char *run = NULL;
    int i, status, waited, claims_total = 0;
    (void)state;
    NEED_PG();

    sg_ctx_new(&ctx);
    s = open_db(ctx, "postgres");
    for (i = 0; i < NJOBS; i++) {
        snprintf(names[i], sizeof(names[i]), "job-%02d", i);
        jobs[i] = (sg_store_job_spec){"npm", names[i], "1.0.0"};
    }
    assert_int_equal(sg_store_run_open(&run, NULL, ctx, s, "pg-three-workers", NULL, jobs, NJOBS),
                     0);
    for (i = 0; i < NWORKERS; i++) {
        snprintf(logpath[i], sizeof(logpath[i]), "%s/worker-%d.log", pg.dir, i);
        fflush(NULL);
        if ((pids[i] = fork()) == 0)
            worker_main(i, run, logpath[i], i == 0);
        assert_true(pids[i] > 0);
    }
    /* kill the victim once it holds a job */
    for (waited = 0; waited < 3000; waited++) {
        free(logs[0]);
        logs[0] = access(logpath[0], F_OK) == 0 ? sgt_read_file(logpath[0], NULL) : NULL;
        if (logs[0] && strstr(logs[0], "claim "))
            break;
        usleep(10000);
    }
    assert_non_null(logs[0]);
    assert_int_equal(kill(pids[0], SIGKILL), 0);
    for (i = 0; i < NWORKERS; i++) {
        assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
        if (i == 0)
            assert_true(WIFSIGNALED(status));
        else
            assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        free(logs[i]);
        logs[i] = sgt_read_file(logpath[i], NULL);
    }
    for (i = 0; i < NJOBS; i++) {
        int claims[NWORKERS];
        /* exactly one completion per job, by a live worker */
        assert_int_equal(count_lines(logs, "done", names[i], NULL), 1);
        assert_int_equal(count_lines(logs, "lost", names[i], NULL), 0);
        /* a job claimed twice was the dead worker's first */
        claims_total += count_lines(logs, "claim", names[i], claims);
        assert_int_equal(claims[1] + claims[2], 1);
    }
    assert_int_equal(sg_store_run_stats(&st, ctx, s, run), 0);
    assert_int_equal(st.total, NJOBS);
    assert_int_equal(st.done, NJOBS);
    assert_int_equal(st.attempts, NJOBS + 1); /* the killed claim, and no other extra */
    assert_int_equal(claims_total, NJOBS + 1);
    print_message("three workers: %d claims for %d jobs, one by the killed worker\n", claims_total,
                  NJOBS);
    for (i = 0; i < NWORKERS; i++)
        free(logs[i]);
    sg_store_string_free(run);
    sg_store_free(s);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_pg__migrates_a_version_1_database_and_keeps_results),
        cmocka_unit_test(test_store_pg__cli_reads_the_store_through_libpq),
        cmocka_unit_test(test_store_pg__unreachable_server_is_a_network_error),
        cmocka_unit_test(test_store_pg__three_workers_one_killed_complete_every_job_once),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
