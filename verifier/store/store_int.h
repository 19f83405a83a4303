/*
 * The store's backend table (STYLE.md: pluggable parts are tables of function pointers, one
 * per database). store.c holds the schema, the migrations and every statement, written once
 * in the SQL both databases accept; a backend runs statements, reads rows as text and says
 * how its dialect starts a write transaction and locks a row for a claim.
 */
#ifndef SG_STORE_INT_H
#define SG_STORE_INT_H

#include "sourcegate/store.h"

/** A statement parameter: $1, $2, ... in the SQL are params[0], params[1], ... */
typedef enum { SG_SV_NULL, SG_SV_TEXT, SG_SV_INT } sg_store_val_type;

typedef struct sg_store_val {
    sg_store_val_type type; /**< which of the fields below holds the value */
    const char *s;          /**< SG_SV_TEXT: the bytes (not necessarily NUL-terminated) */
    size_t len;             /**< SG_SV_TEXT: their length */
    int64_t i;              /**< SG_SV_INT: the value */
} sg_store_val;

/** Most columns a statement of store.c returns. */
#define SG_STORE_MAX_COLS 16

/**
 * Called for each row: cols[i] is column i as text (NUL-terminated, NULL for SQL NULL) of
 * lens[i] bytes. Borrowed for the call; the callback must not use the connection. Returns 0
 * or a negative SG_E* code, which stops the query and is returned.
 */
typedef int (*sg_store_row_cb)(void *payload, sg_ctx *ctx, const char *const *cols,
                               const size_t *lens, int ncols);

typedef struct sg_store_backend {
    const char *name;         /**< "sqlite", "postgresql" */
    const char *begin_write;  /**< starts a transaction that will write */
    const char *claim_lock;   /**< appended to the claim's SELECT (row locking), "" for none */
    const char *global_lock;  /**< first statement of a transaction that migrates the schema
                                   or creates a run (serializes them across connections), or
                                   NULL when begin_write already does */
    const char *table_exists; /**< query returning a row when table $1 exists */
    /** Connect to target (the URL without the "sqlite:" prefix for SQLite; the whole URL for
     *  PostgreSQL). */
    int (*open)(void **conn, sg_ctx *ctx, const char *target, const sg_store_opts *opts);
    void (*close)(void *conn);
    /** Run one statement; cb (may be NULL) gets each row; *changes (may be NULL) receives
     *  the rows an INSERT, UPDATE or DELETE changed. */
    int (*query)(void *conn, sg_ctx *ctx, const char *sql, const sg_store_val *params,
                 size_t nparams, sg_store_row_cb cb, void *payload, uint64_t *changes);
    /** The clock leases are measured with, in ms since the epoch. */
    int (*now_ms)(void *conn, sg_ctx *ctx, int64_t *out);
} sg_store_backend;

extern const sg_store_backend sg_store__sqlite;
extern const sg_store_backend sg_store__pg;

#endif
