/*
 * The SQLite backend of the store: one file in WAL mode, so readers (sourcegate report, the
 * progress display) never block the writers; every write transaction is BEGIN IMMEDIATE,
 * which takes the write lock up front, so a claim's SELECT and UPDATE see no other writer in
 * between, and a busy timeout makes writers queue instead of failing.
 */
#include "common/common.h"

#include <sqlite3.h>
#include <time.h>

#include "verifier/store/store_int.h"

#define DEFAULT_BUSY_TIMEOUT_MS 30000L

/* SQLite's result code as one of ours, with its message. */
static int sqlite_error(sg_ctx *ctx, sqlite3 *db, int rc, const char *what)
{
    int code;
    switch (rc & 0xff) {
    case SQLITE_NOMEM:
        code = SG_ENOMEM;
        break;
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        code = SG_EIO;
        break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        code = SG_EINVALID;
        break;
    default:
        code = SG_EDEP;
        break;
    }
    return sg_error_set(ctx, code, "sqlite store: %s failed: %s", what,
                        db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static int sqlite_open(void **conn, sg_ctx *ctx, const char *target, const sg_store_opts *opts)
{
    sqlite3 *db = NULL;
    long timeout =
        opts && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms : DEFAULT_BUSY_TIMEOUT_MS;
    char *errmsg = NULL;
    int rc, error = 0;

    *conn = NULL;
    if (!target || !*target)
        return sg_error_set(ctx, SG_EINVALID, "sqlite store: the file path is empty");
    rc = sqlite3_open_v2(target, &db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        error =
            sg_error_set(ctx, rc == SQLITE_NOMEM ? SG_ENOMEM : SG_EIO, "cannot open store '%s': %s",
                         target, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
        goto done;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, timeout > INT32_MAX ? INT32_MAX : (int)timeout);
    /* WAL survives a killed process at synchronous=NORMAL: a committed transaction is in the
     * log before COMMIT returns; only a power loss can roll the last ones back. */
    rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
                      &errmsg);
    if (rc != SQLITE_OK) {
        error = sg_error_set(ctx, rc == SQLITE_NOTADB ? SG_EINVALID : SG_EIO,
                             "cannot open store '%s': %s", target,
                             errmsg ? errmsg : sqlite3_errstr(rc));
        goto done;
    }
    *conn = db;
    db = NULL;
done:
    sqlite3_free(errmsg);
    sqlite3_close(db);
    return error;
}

static void sqlite_close(void *conn)
{
    sqlite3_close(conn);
}

/* Bind params to the statement's "$N" parameters by their number. */
static int bind_params(sg_ctx *ctx, sqlite3 *db, sqlite3_stmt *st, const sg_store_val *params,
                       size_t nparams)
{
    int i, n = sqlite3_bind_parameter_count(st), rc = SQLITE_OK;
    for (i = 1; i <= n; i++) {
        const char *pname = sqlite3_bind_parameter_name(st, i);
        char *end = NULL;
        unsigned long k = pname && pname[0] == '$' ? strtoul(pname + 1, &end, 10) : 0;
        const sg_store_val *v;
        if (k == 0 || k > nparams || !end || *end)
            return sg_error_set(ctx, SG_EDEP, "sqlite store: parameter '%s' has no value",
                                pname ? pname : "?");
        v = &params[k - 1];
        if (v->type == SG_SV_INT)
            rc = sqlite3_bind_int64(st, i, v->i);
        else if (v->type == SG_SV_TEXT && v->len > INT32_MAX)
            return sg_error_set(ctx, SG_ELIMIT, "sqlite store: a value is too large");
        else if (v->type == SG_SV_TEXT)
            rc = sqlite3_bind_text(st, i, v->s ? v->s : "", (int)v->len, SQLITE_STATIC);
        else
            rc = sqlite3_bind_null(st, i);
        if (rc != SQLITE_OK)
            return sqlite_error(ctx, db, rc, "binding a parameter");
    }
    return 0;
}

static int sqlite_query(void *conn, sg_ctx *ctx, const char *sql, const sg_store_val *params,
                        size_t nparams, sg_store_row_cb cb, void *payload, uint64_t *changes)
{
    sqlite3 *db = conn;
    sqlite3_stmt *st = NULL;
    const char *cols[SG_STORE_MAX_COLS];
    size_t lens[SG_STORE_MAX_COLS];
    int rc, i, ncols, error = 0;

    if (changes)
        *changes = 0;
    if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK) {
        error = sqlite_error(ctx, db, rc, "preparing a statement");
        goto done;
    }
    if ((error = bind_params(ctx, db, st, params, nparams)) < 0)
        goto done;
    ncols = sqlite3_column_count(st);
    if (ncols > SG_STORE_MAX_COLS) {
        error = sg_error_set(ctx, SG_EDEP, "sqlite store: too many columns");
        goto done;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (i = 0; i < ncols; i++) {
            cols[i] = (const char *)sqlite3_column_text(st, i);
            lens[i] = (size_t)sqlite3_column_bytes(st, i);
            if (!cols[i] && sqlite3_column_type(st, i) != SQLITE_NULL) {
                error = sg_error_set(ctx, SG_ENOMEM, "sqlite store: out of memory");
                goto done;
            }
        }
        if (cb && (error = cb(payload, ctx, cols, lens, ncols)) < 0)
            goto done;
    }
    if (rc != SQLITE_DONE) {
        error = sqlite_error(ctx, db, rc, "a statement");
        goto done;
    }
    if (changes)
        *changes = (uint64_t)sqlite3_changes64(db);
done:
    sqlite3_finalize(st);
    return error;
}

static int sqlite_now_ms(void *conn, sg_ctx *ctx, int64_t *out)
{
    struct timespec ts;
    (void)conn;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return sg_error_set(ctx, SG_EIO, "cannot read the clock: %s", strerror(errno));
    *out = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    return 0;
}

const sg_store_backend sg_store__sqlite = {
    "sqlite",
    "BEGIN IMMEDIATE",
    "",
    NULL,
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1",
    sqlite_open,
    sqlite_close,
    sqlite_query,
    sqlite_now_ms,
};
