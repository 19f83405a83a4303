/*
 * libpq's functions the executable calls, forwarded to libpq loaded on first use (ondemand.c
 * says why and how). None is variadic.
 */
#include <libpq-fe.h>

#include "ondemand_int.h"

/* Not clang-formatted: in a macro argument it takes "T **p" for a product. */
// clang-format off
FORWARD_VOID(pq, PQclear, (PGresult *r), (r))
FORWARD(pq, char *, PQcmdTuples, (PGresult *r), (r))
FORWARD(pq, PGconn *, PQconnectdbParams,
        (const char *const *keywords, const char *const *values, int expand_dbname),
        (keywords, values, expand_dbname))
FORWARD(pq, char *, PQerrorMessage, (const PGconn *c), (c))
FORWARD(pq, PGresult *, PQexec, (PGconn *c, const char *query), (c, query))
FORWARD_VOID(pq, PQfinish, (PGconn *c), (c))
FORWARD(pq, int, PQgetisnull, (const PGresult *r, int row, int col), (r, row, col))
FORWARD(pq, int, PQgetlength, (const PGresult *r, int row, int col), (r, row, col))
FORWARD(pq, PGresult *, PQgetResult, (PGconn *c), (c))
FORWARD(pq, char *, PQgetvalue, (const PGresult *r, int row, int col), (r, row, col))
FORWARD(pq, int, PQnfields, (const PGresult *r), (r))
FORWARD(pq, int, PQntuples, (const PGresult *r), (r))
FORWARD(pq, char *, PQresultErrorField, (const PGresult *r, int field), (r, field))
FORWARD(pq, char *, PQresultErrorMessage, (const PGresult *r), (r))
FORWARD(pq, ExecStatusType, PQresultStatus, (const PGresult *r), (r))
FORWARD(pq, int, PQsendQueryParams,
        (PGconn *c, const char *command, int n, const Oid *types, const char *const *values,
         const int *lengths, const int *formats, int result_format),
        (c, command, n, types, values, lengths, formats, result_format))
FORWARD(pq, PQnoticeProcessor, PQsetNoticeProcessor,
        (PGconn *c, PQnoticeProcessor proc, void *arg), (c, proc, arg))
FORWARD(pq, int, PQsetSingleRowMode, (PGconn *c), (c))
FORWARD(pq, ConnStatusType, PQstatus, (const PGconn *c), (c))
// clang-format on
