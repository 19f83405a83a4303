/*
 * SQLite's functions the executable calls, forwarded to SQLite loaded on first use (ondemand.c
 * says why and how): only the store (audit, cache, report on a SQLite store) needs it. None of
 * these functions is variadic (the code calls neither sqlite3_config nor sqlite3_db_config nor
 * the *printf family).
 */
#include <sqlite3.h>

#include "ondemand_int.h"

/* Not clang-formatted: in a macro argument it takes "T **p" for a product. */
// clang-format off
FORWARD(sqlite, int, sqlite3_bind_int64, (sqlite3_stmt *stmt, int i, sqlite3_int64 value),
        (stmt, i, value))
FORWARD(sqlite, int, sqlite3_bind_null, (sqlite3_stmt *stmt, int i), (stmt, i))
FORWARD(sqlite, int, sqlite3_bind_parameter_count, (sqlite3_stmt *stmt), (stmt))
FORWARD(sqlite, const char *, sqlite3_bind_parameter_name, (sqlite3_stmt *stmt, int i), (stmt, i))
FORWARD(sqlite, int, sqlite3_bind_text,
        (sqlite3_stmt *stmt, int i, const char *text, int len, void (*destructor)(void *)),
        (stmt, i, text, len, destructor))
FORWARD(sqlite, int, sqlite3_busy_timeout, (sqlite3 *db, int ms), (db, ms))
FORWARD(sqlite, sqlite3_int64, sqlite3_changes64, (sqlite3 *db), (db))
FORWARD(sqlite, int, sqlite3_close, (sqlite3 *db), (db))
FORWARD(sqlite, int, sqlite3_column_bytes, (sqlite3_stmt *stmt, int col), (stmt, col))
FORWARD(sqlite, int, sqlite3_column_count, (sqlite3_stmt *stmt), (stmt))
FORWARD(sqlite, const unsigned char *, sqlite3_column_text, (sqlite3_stmt *stmt, int col),
        (stmt, col))
FORWARD(sqlite, int, sqlite3_column_type, (sqlite3_stmt *stmt, int col), (stmt, col))
FORWARD(sqlite, const char *, sqlite3_errmsg, (sqlite3 *db), (db))
FORWARD(sqlite, const char *, sqlite3_errstr, (int code), (code))
FORWARD(sqlite, int, sqlite3_exec,
        (sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *arg,
         char **errmsg),
        (db, sql, callback, arg, errmsg))
FORWARD(sqlite, int, sqlite3_extended_result_codes, (sqlite3 *db, int onoff), (db, onoff))
FORWARD(sqlite, int, sqlite3_finalize, (sqlite3_stmt *stmt), (stmt))
FORWARD_VOID(sqlite, sqlite3_free, (void *p), (p))
FORWARD(sqlite, int, sqlite3_open_v2,
        (const char *filename, sqlite3 **db, int flags, const char *vfs),
        (filename, db, flags, vfs))
FORWARD(sqlite, int, sqlite3_prepare_v2,
        (sqlite3 *db, const char *sql, int len, sqlite3_stmt **stmt, const char **tail),
        (db, sql, len, stmt, tail))
FORWARD(sqlite, int, sqlite3_step, (sqlite3_stmt *stmt), (stmt))
// clang-format on
