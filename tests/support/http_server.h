/*
 * A loopback HTTP/1.1 server for tests: 127.0.0.1, an ephemeral port, one thread, one
 * connection at a time, every answer closes its connection. Requests are logged for
 * assertions. Answers come from a handler, or from a table of canned routes with failure
 * modes (stall, truncation, a lying Content-Length, a dropped connection).
 * Every function fails the running cmocka test on an unexpected error.
 */
#ifndef SGT_HTTP_SERVER_H
#define SGT_HTTP_SERVER_H

#include <stddef.h>

typedef struct sgt_http_server sgt_http_server;

/** One logged request. */
typedef struct sgt_http_request {
    char method[16];    /**< "GET" */
    char target[2048];  /**< request target as sent, e.g. "/@scope%2fname" */
    char headers[8192]; /**< header lines as received, each "Name: value\r\n" */
} sgt_http_request;

/** The connection a handler answers on. */
typedef struct sgt_http_conn sgt_http_conn;

typedef void (*sgt_http_handler)(sgt_http_conn *conn, const sgt_http_request *req, void *payload);

/** Start a server calling handler(conn, req, payload) for each request; returns the port. */
int sgt_http_start(sgt_http_server **out, sgt_http_handler handler, void *payload);

/** Stop the server (interrupting a stalled answer) and free it. NULL is accepted. */
void sgt_http_stop(sgt_http_server *srv);

int sgt_http_port(const sgt_http_server *srv);

/** "http://127.0.0.1:PORT/" (borrowed). */
const char *sgt_http_base_url(const sgt_http_server *srv);

/** Requests received so far. */
size_t sgt_http_request_count(sgt_http_server *srv);

/** Copy of the i-th request (0-based); fails the test when there is none. */
void sgt_http_request_get(sgt_http_server *srv, size_t i, sgt_http_request *out);

/** Value of header `name` (case-insensitive) into out; 1 when present, 0 when absent. */
int sgt_http_header(const sgt_http_request *req, const char *name, char *out, size_t size);

/* ---- answering, for handlers ---------------------------------------------------------- */

/** Raw bytes to the client (errors such as a client gone are ignored). */
void sgt_http_send(sgt_http_conn *c, const void *data, size_t len);

/** A complete answer with Content-Length and "Connection: close"; extra_headers are lines
 *  each ending in "\r\n" (may be NULL). */
void sgt_http_respond(sgt_http_conn *c, int status, const char *extra_headers, const void *body,
                      size_t len);

/** Sleep up to ms, returning early when the client hangs up or the server stops. */
void sgt_http_sleep_ms(sgt_http_conn *c, unsigned ms);

/* ---- canned routes -------------------------------------------------------------------- */

typedef enum {
    SGT_HTTP_NORMAL = 0, /**< status, headers, Content-Length, body */
    SGT_HTTP_STALL,      /**< send fault_after body bytes, then nothing for stall_ms */
    SGT_HTTP_TRUNCATE,   /**< Content-Length of the whole body, send fault_after bytes, close */
    SGT_HTTP_LIE_LENGTH, /**< advertise content_length, send the body, close */
    SGT_HTTP_NO_LENGTH,  /**< no Content-Length: the body runs until the connection closes */
    SGT_HTTP_DROP,       /**< close without answering */
} sgt_http_fault;

typedef struct sgt_http_route {
    const char *method;                /**< NULL: any */
    const char *target;                /**< exact request target, e.g. "/@scope%2fname" */
    int times;                         /**< answers this many matching requests then steps aside for
                                            the next matching route (0: unlimited) */
    int status;                        /**< 0: 200 */
    const char *headers;               /**< extra header lines, each ending "\r\n" (NULL: none) */
    const void *body;                  /**< NULL: empty */
    size_t body_len;                   /**< 0: strlen(body) */
    sgt_http_fault fault;              /**< failure mode */
    unsigned long long content_length; /**< SGT_HTTP_LIE_LENGTH: the advertised length */
    size_t fault_after;                /**< STALL / TRUNCATE: body bytes sent before the fault */
    unsigned stall_ms;                 /**< STALL: how long to stay silent */
    const char *etag;                  /**< sent as ETag; If-None-Match equal to it gets a 304 */
} sgt_http_route;

/**
 * Start a server answering from routes (borrowed: they must outlive the server; may be NULL
 * with n 0, then set with sgt_http_set_routes once bodies that need the port are built).
 * Requests no route matches get a 404. Returns the port.
 */
int sgt_http_start_routes(sgt_http_server **out, const sgt_http_route *routes, size_t n);

/** Replace the route table of a server made by sgt_http_start_routes (counters restart). */
void sgt_http_set_routes(sgt_http_server *srv, const sgt_http_route *routes, size_t n);

#endif
