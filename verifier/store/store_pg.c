/*
 * The PostgreSQL backend of the store (libpq). Many workers on many machines share one queue:
 * a claim's SELECT takes its row with FOR UPDATE SKIP LOCKED, so concurrent claims never wait
 * for each other nor take the same job; leases are measured with the server's clock, so the
 * workers' clocks need not agree. Rows are streamed (single-row mode), so walking a large
 * results table holds one row at a time. Parameters and results travel as text.
 */
#include "common/common.h"

#include <libpq-fe.h>

#include "verifier/store/store_int.h"

#define DEFAULT_CONNECT_TIMEOUT_S 10L
/* Longest message kept from the server. */
#define MAX_PG_MESSAGE 400

/* libpq's default notice processor prints to stderr; the library never prints. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* The server's or libpq's message, one line, without the trailing newline. */
static void pg_message(char *out, size_t size, const char *msg)
{
    size_t n = 0;
    if (!msg)
        msg = "";
    while (msg[n] && msg[n] != '\n' && n + 1 < size && n < MAX_PG_MESSAGE) {
        out[n] = msg[n];
        n++;
    }
    out[n] = '\0';
}

/* Map a failed result (or a failed connection) to one of our codes. */
static int pg_error(sg_ctx *ctx, PGconn *pg, const PGresult *res, const char *what)
{
    char msg[MAX_PG_MESSAGE + 1];
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int code = SG_EDEP;

    pg_message(msg, sizeof(msg), res ? PQresultErrorMessage(res) : PQerrorMessage(pg));
    if (!*msg)
        pg_message(msg, sizeof(msg), PQerrorMessage(pg));
    if (PQstatus(pg) == CONNECTION_BAD || (state && strncmp(state, "08", 2) == 0))
        code = SG_ENET;
    else if (state && strncmp(state, "53", 2) == 0)
        code = SG_EIO;
    return sg_error_set(ctx, code, "postgresql store: %s failed: %s", what, msg);
}

static int pg_open(void **conn, sg_ctx *ctx, const char *target, const sg_store_opts *opts)
{
    char timeout[32];
    /* the URL (expanded from dbname) comes last so its own settings win over these */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *vals[] = {timeout, "sourcegate", target, NULL};
    long t =
        opts && opts->connect_timeout_s > 0 ? opts->connect_timeout_s : DEFAULT_CONNECT_TIMEOUT_S;
    PGconn *pg;
    PGresult *res = NULL;
    int error = 0;

    *conn = NULL;
    snprintf(timeout, sizeof(timeout), "%ld", t);
    pg = PQconnectdbParams(keys, vals, 1);
    if (!pg)
        return sg_error_set(ctx, SG_ENOMEM, "postgresql store: out of memory");
    if (PQstatus(pg) != CONNECTION_OK) {
        char msg[MAX_PG_MESSAGE + 1];
        pg_message(msg, sizeof(msg), PQerrorMessage(pg));
        error = sg_error_set(ctx, SG_ENET, "cannot connect to the postgresql store: %s", msg);
        goto done;
    }
    PQsetNoticeProcessor(pg, ignore_notice, NULL);
    res = PQexec(pg, "SET client_min_messages = warning");
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        error = pg_error(ctx, pg, res, "setting up the session");
        goto done;
    }
    *conn = pg;
    pg = NULL;
done:
    PQclear(res);
    PQfinish(pg);
    return error;
}

static void pg_close(void *conn)
{
    PQfinish(conn);
}

/* Read every remaining result so the connection is ready for the next statement. */
static void drain(PGconn *pg)
{
    PGresult *res;
    while ((res = PQgetResult(pg)) != NULL)
        PQclear(res);
}

static int deliver_row(sg_ctx *ctx, const PGresult *res, sg_store_row_cb cb, void *payload)
{
    const char *cols[SG_STORE_MAX_COLS];
    size_t lens[SG_STORE_MAX_COLS];
    int i, ncols = PQnfields(res);

    if (ncols > SG_STORE_MAX_COLS)
        return sg_error_set(ctx, SG_EDEP, "postgresql store: too many columns");
    if (PQntuples(res) != 1)
        return 0;
    for (i = 0; i < ncols; i++) {
        cols[i] = PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i);
        lens[i] = cols[i] ? (size_t)PQgetlength(res, 0, i) : 0;
    }
    return cb ? cb(payload, ctx, cols, lens, ncols) : 0;
}

static int pg_query(void *conn, sg_ctx *ctx, const char *sql, const sg_store_val *params,
                    size_t nparams, sg_store_row_cb cb, void *payload, uint64_t *changes)
{
    PGconn *pg = conn;
    PGresult *res = NULL;
    const char *values[16];
    int lengths[16], formats[16];
    char ints[16][24];
    size_t i;
    int error = 0;

    if (changes)
        *changes = 0;
    if (nparams > SG_ARRAY_SIZE(values))
        return sg_error_set(ctx, SG_EDEP, "postgresql store: too many parameters");
    for (i = 0; i < nparams; i++) {
        formats[i] = 0;
        lengths[i] = 0;
        values[i] = NULL;
        if (params[i].type == SG_SV_INT) {
            snprintf(ints[i], sizeof(ints[i]), "%" PRId64, params[i].i);
            values[i] = ints[i];
        } else if (params[i].type == SG_SV_TEXT) {
            /* text parameters are NUL-terminated strings for libpq */
            if (params[i].s && memchr(params[i].s, '\0', params[i].len))
                return sg_error_set(ctx, SG_EINVALID, "postgresql store: a value holds NUL");
            values[i] = params[i].s ? params[i].s : "";
        }
    }
    if (!PQsendQueryParams(pg, sql, (int)nparams, NULL, values, lengths, formats, 0))
        return pg_error(ctx, pg, NULL, "sending a statement");
    if (!PQsetSingleRowMode(pg)) {
        error = pg_error(ctx, pg, NULL, "streaming rows");
        goto done;
    }
    while ((res = PQgetResult(pg)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE) {
            if (!error)
                error = deliver_row(ctx, res, cb, payload);
        } else if (st == PGRES_COMMAND_OK) {
            if (changes && *PQcmdTuples(res))
                *changes = strtoull(PQcmdTuples(res), NULL, 10);
        } else if (st != PGRES_TUPLES_OK && !error) {
            error = pg_error(ctx, pg, res, "a statement");
        }
        PQclear(res);
        res = NULL;
    }
done:
    PQclear(res);
    drain(pg);
    return error;
}

static int now_row(void *payload, sg_ctx *ctx, const char *const *cols, const size_t *lens,
                   int ncols)
{
    char *end = NULL;
    (void)lens;
    if (ncols != 1 || !cols[0])
        return sg_error_set(ctx, SG_EDEP, "postgresql store: no clock value");
    *(int64_t *)payload = (int64_t)strtoll(cols[0], &end, 10);
    return 0;
}

static int pg_now_ms(void *conn, sg_ctx *ctx, int64_t *out)
{
    *out = 0;
    return pg_query(conn, ctx,
                    "SELECT CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)", NULL, 0,
                    now_row, out, NULL);
}

const sg_store_backend sg_store__pg = {
    "postgresql",
    "BEGIN",
    " FOR UPDATE SKIP LOCKED",
    "SELECT pg_advisory_xact_lock(7305961011)",
    "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND "
    "table_name = CAST($1 AS TEXT)",
    pg_open,
    pg_close,
    pg_query,
    pg_now_ms,
};
