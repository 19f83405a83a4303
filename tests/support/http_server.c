/*
 * Loopback HTTP server for tests (http_server.h). The accept loop runs in one thread and
 * never calls cmocka (a longjmp across threads would be fatal): problems there only close
 * the connection. The functions the test thread calls fail the test on errors.
 */
#define _GNU_SOURCE
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sg_test.h"

#define MAX_REQUEST_HEAD 16384
#define MAX_LOGGED 100000
#define READ_TIMEOUT_MS 5000

typedef struct route_table {
    const sgt_http_route *routes; /* borrowed */
    size_t n;                     /* count */
    int *hits;                    /* answers given per route */
} route_table;

struct sgt_http_server {
    int listen_fd;            /* bound to 127.0.0.1:port */
    int wake[2];              /* a byte in wake[1] stops the loop */
    int port;                 /* the ephemeral port */
    char base_url[64];        /* "http://127.0.0.1:PORT/" */
    pthread_t thread;         /* the accept loop */
    atomic_int stopping;      /* set by sgt_http_stop */
    sgt_http_handler handler; /* answers requests */
    void *payload;            /* handler's data */
    pthread_mutex_t mu;       /* guards log and routes */
    sgt_http_request *log;    /* requests received */
    size_t nlog, alog;        /* used, allocated */
    route_table routes;       /* for sgt_http_start_routes servers */
};

struct sgt_http_conn {
    sgt_http_server *srv; /* owner */
    int fd;               /* the client socket */
};

/* ---- the accept loop --------------------------------------------------------------------- */

/* Read until the end of the request head; returns its length (without the blank line) or -1. */
static int read_head(int fd, char *buf, size_t size)
{
    size_t got = 0;
    while (got + 1 < size) {
        struct pollfd p = {fd, POLLIN, 0};
        ssize_t n;
        char *end;
        if (poll(&p, 1, READ_TIMEOUT_MS) <= 0)
            return -1;
        n = recv(fd, buf + got, size - 1 - got, 0);
        if (n <= 0)
            return -1;
        got += (size_t)n;
        buf[got] = '\0';
        if ((end = strstr(buf, "\r\n\r\n")) != NULL)
            return (int)(end - buf);
    }
    return -1;
}

/* head: the request line and header lines, each ending in CRLF. */
static int parse_request(sgt_http_request *r, char *head)
{
    char *eol = strstr(head, "\r\n"), *sp1, *sp2;
    size_t hl;

    memset(r, 0, sizeof(*r));
    if (!eol)
        return -1;
    *eol = '\0';
    sp1 = strchr(head, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || (size_t)(sp1 - head) >= sizeof(r->method) ||
        (size_t)(sp2 - sp1 - 1) >= sizeof(r->target))
        return -1;
    memcpy(r->method, head, (size_t)(sp1 - head));
    memcpy(r->target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    hl = strlen(eol + 2);
    if (hl >= sizeof(r->headers))
        hl = sizeof(r->headers) - 1;
    memcpy(r->headers, eol + 2, hl);
    return 0;
}

static void log_request(sgt_http_server *srv, const sgt_http_request *r)
{
    pthread_mutex_lock(&srv->mu);
    if (srv->nlog < MAX_LOGGED) {
        if (srv->nlog == srv->alog) {
            size_t na = srv->alog ? srv->alog * 2 : 16;
            sgt_http_request *p = realloc(srv->log, na * sizeof(*p));
            if (p) {
                srv->log = p;
                srv->alog = na;
            }
        }
        if (srv->nlog < srv->alog)
            srv->log[srv->nlog++] = *r;
    }
    pthread_mutex_unlock(&srv->mu);
}

static void serve_one(sgt_http_server *srv, int fd)
{
    char *head = malloc(MAX_REQUEST_HEAD);
    sgt_http_request *req = malloc(sizeof(*req));
    sgt_http_conn conn = {srv, fd};
    int hl;

    if (!head || !req)
        goto done;
    if ((hl = read_head(fd, head, MAX_REQUEST_HEAD)) < 0)
        goto done;
    head[hl + 2] = '\0'; /* keep the last header's CRLF */
    if (parse_request(req, head) < 0)
        goto done;
    log_request(srv, req);
    srv->handler(&conn, req, srv->payload);
done:
    free(head);
    free(req);
    shutdown(fd, SHUT_RDWR);
    close(fd);
}

static void *server_main(void *p)
{
    sgt_http_server *srv = p;
    while (!atomic_load(&srv->stopping)) {
        struct pollfd fds[2] = {{srv->listen_fd, POLLIN, 0}, {srv->wake[0], POLLIN, 0}};
        int fd;
        if (poll(fds, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (fds[1].revents)
            break;
        if (!(fds[0].revents & POLLIN))
            continue;
        fd = accept(srv->listen_fd, NULL, NULL);
        if (fd < 0)
            continue;
        serve_one(srv, fd);
    }
    return NULL;
}

/* ---- lifecycle --------------------------------------------------------------------------- */

int sgt_http_start(sgt_http_server **out, sgt_http_handler handler, void *payload)
{
    sgt_http_server *srv = calloc(1, sizeof(*srv));
    struct sockaddr_in addr;
    socklen_t alen = sizeof(addr);
    int one = 1;

    if (!srv)
        fail_msg("out of memory");
    srv->handler = handler;
    srv->payload = payload;
    atomic_init(&srv->stopping, 0);
    pthread_mutex_init(&srv->mu, NULL);
    srv->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (srv->listen_fd < 0)
        fail_msg("socket: %s", strerror(errno));
    setsockopt(srv->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(srv->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        listen(srv->listen_fd, 16) < 0 ||
        getsockname(srv->listen_fd, (struct sockaddr *)&addr, &alen) < 0)
        fail_msg("bind/listen on 127.0.0.1: %s", strerror(errno));
    srv->port = ntohs(addr.sin_port);
    snprintf(srv->base_url, sizeof(srv->base_url), "http://127.0.0.1:%d/", srv->port);
    if (pipe2(srv->wake, O_CLOEXEC) < 0)
        fail_msg("pipe: %s", strerror(errno));
    if (pthread_create(&srv->thread, NULL, server_main, srv) != 0)
        fail_msg("pthread_create failed");
    *out = srv;
    return srv->port;
}

void sgt_http_stop(sgt_http_server *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->stopping, 1);
    if (write(srv->wake[1], "x", 1) < 0) {
        /* the loop also polls `stopping` between connections */
    }
    pthread_join(srv->thread, NULL);
    close(srv->listen_fd);
    close(srv->wake[0]);
    close(srv->wake[1]);
    pthread_mutex_destroy(&srv->mu);
    free(srv->log);
    free(srv->routes.hits);
    free(srv);
}

int sgt_http_port(const sgt_http_server *srv)
{
    return srv->port;
}

const char *sgt_http_base_url(const sgt_http_server *srv)
{
    return srv->base_url;
}

size_t sgt_http_request_count(sgt_http_server *srv)
{
    size_t n;
    pthread_mutex_lock(&srv->mu);
    n = srv->nlog;
    pthread_mutex_unlock(&srv->mu);
    return n;
}

void sgt_http_request_get(sgt_http_server *srv, size_t i, sgt_http_request *out)
{
    int ok;
    pthread_mutex_lock(&srv->mu);
    ok = i < srv->nlog;
    if (ok)
        *out = srv->log[i];
    pthread_mutex_unlock(&srv->mu);
    if (!ok)
        fail_msg("the server received no request #%zu", i);
}

int sgt_http_header(const sgt_http_request *req, const char *name, char *out, size_t size)
{
    const char *line = req->headers;
    size_t nlen = strlen(name);
    while (*line) {
        const char *eol = strstr(line, "\r\n");
        size_t len = eol ? (size_t)(eol - line) : strlen(line);
        if (len > nlen && line[nlen] == ':' && strncasecmp(line, name, nlen) == 0) {
            const char *v = line + nlen + 1;
            size_t vlen;
            while (*v == ' ' || *v == '\t')
                v++;
            vlen = (size_t)(line + len - v);
            if (out && size) {
                if (vlen >= size)
                    vlen = size - 1;
                memcpy(out, v, vlen);
                out[vlen] = '\0';
            }
            return 1;
        }
        if (!eol)
            break;
        line = eol + 2;
    }
    if (out && size)
        out[0] = '\0';
    return 0;
}

/* ---- answering --------------------------------------------------------------------------- */

void sgt_http_send(sgt_http_conn *c, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* the client went away: nothing to do */
        p += n;
        len -= (size_t)n;
    }
}

static const char *reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 404:
        return "Not Found";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Status";
    }
}

/* Status line and headers; content_length < 0 omits Content-Length. */
static void send_head(sgt_http_conn *c, int status, const char *extra, long long content_length)
{
    char head[8192];
    int n;
    if (content_length >= 0)
        n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Length: %lld\r\nConnection: close\r\n%s\r\n",
                     status, reason(status), content_length, extra ? extra : "");
    else
        n = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nConnection: close\r\n%s\r\n", status,
                     reason(status), extra ? extra : "");
    if (n > 0 && (size_t)n < sizeof(head))
        sgt_http_send(c, head, (size_t)n);
}

void sgt_http_respond(sgt_http_conn *c, int status, const char *extra_headers, const void *body,
                      size_t len)
{
    send_head(c, status, extra_headers, status == 304 ? -1 : (long long)len);
    if (status != 304 && len)
        sgt_http_send(c, body, len);
}

void sgt_http_sleep_ms(sgt_http_conn *c, unsigned ms)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        struct pollfd p = {c->fd, POLLIN, 0};
        long elapsed;
        clock_gettime(CLOCK_MONOTONIC, &now);
        elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed >= (long)ms || atomic_load(&c->srv->stopping))
            return;
        if (poll(&p, 1, 20) > 0) {
            char b;
            if (recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0)
                return; /* the client hung up */
        }
    }
}

/* ---- canned routes ----------------------------------------------------------------------- */

static int route_matches(const sgt_http_route *r, const sgt_http_request *req)
{
    if (r->method && strcmp(r->method, req->method) != 0)
        return 0;
    return r->target && strcmp(r->target, req->target) == 0;
}

static void answer_route(sgt_http_conn *c, const sgt_http_route *r, const sgt_http_request *req)
{
    char extra[4096], inm[512];
    const char *body = r->body ? r->body : "";
    size_t len = r->body_len ? r->body_len : strlen(body);
    size_t part = r->fault_after < len ? r->fault_after : len;
    int status = r->status ? r->status : 200;

    snprintf(extra, sizeof(extra), "%s%s%s%s", r->headers ? r->headers : "",
             r->etag ? "ETag: " : "", r->etag ? r->etag : "", r->etag ? "\r\n" : "");
    if (r->etag && sgt_http_header(req, "If-None-Match", inm, sizeof(inm)) &&
        strcmp(inm, r->etag) == 0) {
        sgt_http_respond(c, 304, extra, NULL, 0);
        return;
    }
    switch (r->fault) {
    case SGT_HTTP_NORMAL:
        sgt_http_respond(c, status, extra, body, len);
        break;
    case SGT_HTTP_STALL:
        send_head(c, status, extra, (long long)len);
        sgt_http_send(c, body, part);
        sgt_http_sleep_ms(c, r->stall_ms);
        break;
    case SGT_HTTP_TRUNCATE:
        send_head(c, status, extra, (long long)len);
        sgt_http_send(c, body, part);
        break;
    case SGT_HTTP_LIE_LENGTH:
        send_head(c, status, extra, (long long)r->content_length);
        sgt_http_send(c, body, len);
        break;
    case SGT_HTTP_NO_LENGTH:
        send_head(c, status, extra, -1);
        sgt_http_send(c, body, len);
        break;
    case SGT_HTTP_DROP:
        break;
    }
}

static void routes_handler(sgt_http_conn *c, const sgt_http_request *req, void *payload)
{
    sgt_http_server *srv = c->srv;
    sgt_http_route r;
    int found = 0;
    size_t i;

    (void)payload;
    pthread_mutex_lock(&srv->mu);
    for (i = 0; i < srv->routes.n && !found; i++) {
        const sgt_http_route *cand = &srv->routes.routes[i];
        if (!route_matches(cand, req))
            continue;
        if (cand->times && srv->routes.hits[i] >= cand->times)
            continue;
        srv->routes.hits[i]++;
        r = *cand;
        found = 1;
    }
    pthread_mutex_unlock(&srv->mu);
    if (!found) {
        static const char nf[] = "{\"error\":\"not found\"}";
        sgt_http_respond(c, 404, "Content-Type: application/json\r\n", nf, sizeof(nf) - 1);
        return;
    }
    answer_route(c, &r, req);
}

void sgt_http_set_routes(sgt_http_server *srv, const sgt_http_route *routes, size_t n)
{
    int *hits = calloc(n ? n : 1, sizeof(int));
    if (!hits)
        fail_msg("out of memory");
    pthread_mutex_lock(&srv->mu);
    free(srv->routes.hits);
    srv->routes.routes = routes;
    srv->routes.n = n;
    srv->routes.hits = hits;
    pthread_mutex_unlock(&srv->mu);
}

int sgt_http_start_routes(sgt_http_server **out, const sgt_http_route *routes, size_t n)
{
    int port = sgt_http_start(out, routes_handler, NULL);
    sgt_http_set_routes(*out, routes, n);
    return port;
}
