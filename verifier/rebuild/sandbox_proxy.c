/*
 * The install step's proxy: inside the sandbox the network namespace has only its own loopback,
 * so a small node forwarder listens on 127.0.0.1 there and hands every connection to a Unix
 * socket that sourcegate serves from a thread outside. That thread reads the request head
 * (CONNECT host:port, or an absolute-form GET for plain-HTTP registries), lets through only the
 * hosts the caller allowed and answers 403 to anything else. An origin-form request ("GET
 * /name") is for the registry gateway (registry_gateway.c), which gets the connection; so is a
 * request or tunnel to the sandbox's own loopback (the forwarder's address, which clients that
 * send everything through their proxy name). The hosts refused are kept for the report.
 */
#define _GNU_SOURCE /* accept4, pipe2 */
#include "common/common.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "verifier/rebuild/sandbox_int.h"

static int write_text_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    int ok;
    if (fd < 0)
        return -1;
    ok = sg_fd_write_all(fd, text, strlen(text), 0);
    return close(fd) < 0 || ok < 0 ? -1 : 0;
}

#define PROXY_HEAD_MAX 8192
#define PROXY_BUF 16384

typedef struct sg_proxy_conn {
    int client, upstream;         /* fds, -1 when closed */
    int tunnel;                   /* head handled, bytes flow both ways */
    char head[PROXY_HEAD_MAX];    /* the request head while reading it */
    size_t head_len;              /* bytes in head */
    char up[PROXY_BUF];           /* client -> upstream bytes not yet written */
    size_t up_len;                /* bytes in up */
    char down[PROXY_BUF];         /* upstream -> client bytes not yet written */
    size_t down_len;              /* bytes in down */
    int client_eof, upstream_eof; /* read side finished */
} pconn;

static void pconn_close(pconn *c)
{
    if (c->client >= 0)
        close(c->client);
    if (c->upstream >= 0)
        close(c->upstream);
    sg_free(c);
}

static int host_allowed(const sg_sandbox_proxy *p, const char *host, const char *port)
{
    size_t i, hl = strlen(host);
    for (i = 0; i < p->nallow; i++) {
        const char *a = p->allow[i], *colon = strrchr(a, ':');
        if (colon && (size_t)(colon - a) == hl && sg_strncasecmp(a, host, hl) == 0 &&
            strcmp(colon + 1, port) == 0)
            return 1;
    }
    return 0;
}

static int connect_host(const char *host, const char *port)
{
    struct addrinfo hints, *res = NULL, *ai;
    struct timeval tv = {15, 0};
    int fd = -1;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0)
            continue;
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd >= 0)
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void note_refused(sg_sandbox_proxy *p, const char *host, const char *port)
{
    size_t len = strlen(p->refused);
    char item[300];
    snprintf(item, sizeof(item), "%s%s:%s", len ? ", " : "", host, port);
    if (!strstr(p->refused, item + (len ? 2 : 0)) && len + strlen(item) < sizeof(p->refused))
        memcpy(p->refused + len, item, strlen(item) + 1);
}

static void refuse(sg_sandbox_proxy *p, pconn *c, const char *host, const char *port, int status)
{
    char msg[600];
    int body_len;
    char body[400];
    body_len = snprintf(body, sizeof(body),
                        "sourcegate: the rebuild's install step may reach the registry only, "
                        "not %s:%s\n",
                        host, port);
    if (body_len < 0 || (size_t)body_len >= sizeof(body))
        body_len = (int)strlen(body);
    snprintf(msg, sizeof(msg),
             "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: "
             "%d\r\nConnection: close\r\n\r\n%s",
             status, status == 403 ? "Forbidden" : "Bad Gateway", body_len, body);
    sg_fd_write_all(c->client, msg, strlen(msg), 1);
    if (status == 403)
        note_refused(p, host, port);
}

/* Split "host:port" (with [v6] brackets) at its last colon; default port when none. */
static int split_hostport(char *host, size_t hsize, char *port, size_t psize, const char *s,
                          size_t len, const char *def_port)
{
    const char *end = s + len, *colon = NULL, *p;
    size_t hl;
    if (len && s[0] == '[') {
        const char *rb = memchr(s, ']', len);
        if (!rb)
            return -1;
        hl = (size_t)(rb - s - 1);
        if (hl >= hsize)
            return -1;
        memcpy(host, s + 1, hl);
        host[hl] = '\0';
        colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
    } else {
        for (p = s; p < end; p++)
            if (*p == ':')
                colon = p;
        hl = colon ? (size_t)(colon - s) : len;
        if (!hl || hl >= hsize)
            return -1;
        memcpy(host, s, hl);
        host[hl] = '\0';
    }
    if (colon) {
        size_t pl = (size_t)(end - colon - 1);
        if (!pl || pl >= psize)
            return -1;
        memcpy(port, colon + 1, pl);
        port[pl] = '\0';
    } else {
        snprintf(port, psize, "%s", def_port);
    }
    for (p = port; *p; p++)
        if (*p < '0' || *p > '9')
            return -1;
    return 0;
}

/* The host and port a request line's target names: "host:port" for CONNECT (default 443), an
 * absolute http:// URL for any other method (default 80). 0, or -1 when malformed. */
static int parse_target(char *host, size_t hsize, char *port, size_t psize, int connect_method,
                        const char *target)
{
    const char *slash;
    if (connect_method)
        return split_hostport(host, hsize, port, psize, target, strlen(target), "443");
    if (strncmp(target, "http://", 7) != 0)
        return -1;
    target += 7;
    slash = strchr(target, '/');
    return split_hostport(host, hsize, port, psize, target,
                          slash ? (size_t)(slash - target) : strlen(target), "80");
}

int sg_sandbox__proxy_allows(const char *const *allow, size_t nallow, const char *method,
                             const char *target)
{
    sg_sandbox_proxy px;
    char host[256], port[8];
    if (parse_target(host, sizeof(host), port, sizeof(port), strcmp(method, "CONNECT") == 0,
                     target) < 0)
        return 0;
    memset(&px, 0, sizeof(px));
    px.allow = allow;
    px.nallow = nallow;
    return host_allowed(&px, host, port);
}

/* Queue what goes upstream once the tunnel is open: for CONNECT, what followed the head; for a
 * plain-HTTP request, the origin-form request line, the rest of the head and what followed.
 * The head's request line is split at NULs: method, sp1 + 1 the target, sp2 + 1 the version. */
static int queue_upstream(pconn *c, size_t head_end, const char *line_end, const char *sp1,
                          const char *sp2, int connect_method)
{
    size_t rest = c->head_len - head_end;
    if (connect_method) {
        static const char ok[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
        if (sg_fd_write_all(c->client, ok, sizeof(ok) - 1, 1) < 0)
            return -1;
        memcpy(c->up, c->head + head_end, rest);
        c->up_len = rest;
    } else {
        const char *t = strchr(sp1 + 1 + 7, '/');
        int n = snprintf(c->up, sizeof(c->up), "%s %s %s\r\n", c->head, t ? t : "/", sp2 + 1);
        size_t after_line = (size_t)(line_end - c->head) + 2, more = c->head_len - after_line;
        if (n < 0 || (size_t)n + more > sizeof(c->up))
            return -1;
        memcpy(c->up + n, c->head + after_line, more);
        c->up_len = (size_t)n + more;
    }
    return 0;
}

/* The request head is complete: decide, connect, and start tunnelling. 0 or -1 (close). */
static int handle_head(sg_sandbox_proxy *p, pconn *c, size_t head_end)
{
    char host[256], port[8], *line_end, *sp1, *sp2;
    int connect_method;

    line_end = memchr(c->head, '\r', head_end);
    if (!line_end)
        return -1;
    *line_end = '\0';
    sp1 = strchr(c->head, ' ');
    sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2)
        return -1;
    *sp1 = '\0';
    *sp2 = '\0';
    connect_method = strcmp(c->head, "CONNECT") == 0;
    if (parse_target(host, sizeof(host), port, sizeof(port), connect_method, sp1 + 1) < 0)
        return -1;
    if (!host_allowed(p, host, port)) {
        refuse(p, c, host, port, 403);
        return -1;
    }
    if ((c->upstream = connect_host(host, port)) < 0) {
        refuse(p, c, host, port, 502);
        return -1;
    }
    p->allowed_count++;
    if (queue_upstream(c, head_end, line_end, sp1, sp2, connect_method) < 0)
        return -1;
    c->tunnel = 1;
    return 0;
}

/* Move bytes one way: read from `from` into buf when there is room, write buf to `to`. */
static int pump(int from, int to, char *buf, size_t *len, int *eof, short rev, short wev)
{
    if ((rev & (POLLIN | POLLHUP | POLLERR)) && !*eof && *len < PROXY_BUF) {
        ssize_t n = read(from, buf + *len, PROXY_BUF - *len);
        if (n > 0)
            *len += (size_t)n;
        else if (n == 0 || (errno != EAGAIN && errno != EINTR))
            *eof = 1;
    }
    if ((wev & POLLOUT) && *len) {
        ssize_t n = send(to, buf, *len, MSG_NOSIGNAL);
        if (n > 0) {
            memmove(buf, buf + n, *len - (size_t)n);
            *len -= (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return -1;
        }
    }
    if (*eof && !*len)
        shutdown(to, SHUT_WR);
    return 0;
}

/* An origin-form request line ("GET /x HTTP/1.1"): the gateway's. */
static int for_gateway(const char *head)
{
    const char *sp = strchr(head, ' ');
    return sp && sp[1] == '/';
}

/* A request to the sandbox's own loopback that the allowlist does not name: inside the
 * sandbox's network namespace that address is the forwarder, so the request is the gateway's.
 * Clients that send everything to their proxy say so in absolute form ("GET
 * http://127.0.0.1:PORT/x", yarn classic: the gateway reads that form itself, parse_head) or
 * open a tunnel to it ("CONNECT 127.0.0.1:PORT", yarn 2+, whose http-over-http agent tunnels
 * plain HTTP too). 0: not the gateway's; LOOPBACK_ABSOLUTE or LOOPBACK_CONNECT. */
enum { LOOPBACK_NONE, LOOPBACK_ABSOLUTE, LOOPBACK_CONNECT };

static int loopback_for_gateway(sg_sandbox_proxy *p, const pconn *c)
{
    char host[256], port[8], target[2048];
    const char *sp1 = strchr(c->head, ' '), *line_end = strstr(c->head, "\r\n"), *sp2;
    int tunnel = sp1 && (size_t)(sp1 - c->head) == 7 && memcmp(c->head, "CONNECT", 7) == 0;

    if (!sp1 || !line_end || sp1 > line_end || (!tunnel && strncmp(sp1 + 1, "http://", 7) != 0) ||
        !(sp2 = memchr(sp1 + 1, ' ', (size_t)(line_end - sp1 - 1))) ||
        (size_t)(sp2 - sp1 - 1) >= sizeof(target))
        return LOOPBACK_NONE;
    memcpy(target, sp1 + 1, (size_t)(sp2 - sp1 - 1));
    target[sp2 - sp1 - 1] = '\0';
    if (parse_target(host, sizeof(host), port, sizeof(port), tunnel, target) < 0 ||
        (strcmp(host, "127.0.0.1") != 0 && strcmp(host, "localhost") != 0) ||
        host_allowed(p, host, port))
        return LOOPBACK_NONE;
    return tunnel ? LOOPBACK_CONNECT : LOOPBACK_ABSOLUTE;
}

/* Hand the connection to the gateway: the whole head for an origin-form or absolute-form
 * request; for a tunnel, what followed its head once the tunnel is answered as open. */
static void hand_to_gateway(sg_sandbox_proxy *p, pconn *c, size_t head_end, int kind)
{
    static const char ok[] = "HTTP/1.1 200 Connection Established\r\n\r\n";
    size_t skip = kind == LOOPBACK_CONNECT ? head_end : 0;

    if (kind == LOOPBACK_CONNECT && sg_fd_write_all(c->client, ok, sizeof(ok) - 1, 1) < 0)
        return;
    if (sg_gateway__take(p->gateway, c->client, c->head + skip, c->head_len - skip) == 0)
        c->client = -1; /* the gateway's thread closes it */
}

/* One poll round's work for a connection; -1 when it is finished. */
static int pconn_step(sg_sandbox_proxy *p, pconn *c, short crev, short urev)
{
    if (!c->tunnel) {
        char *end;
        ssize_t n;
        int kind = LOOPBACK_NONE;
        if (!(crev & (POLLIN | POLLHUP | POLLERR)))
            return 0;
        n = read(c->client, c->head + c->head_len, sizeof(c->head) - 1 - c->head_len);
        if (n <= 0)
            return n < 0 && (errno == EAGAIN || errno == EINTR) ? 0 : -1;
        c->head_len += (size_t)n;
        c->head[c->head_len] = '\0';
        end = strstr(c->head, "\r\n\r\n");
        if (!end)
            return c->head_len + 1 >= sizeof(c->head) ? -1 : 0;
        if (p->gateway && (for_gateway(c->head) || (kind = loopback_for_gateway(p, c)))) {
            hand_to_gateway(p, c, (size_t)(end - c->head) + 4, kind);
            return -1;
        }
        return handle_head(p, c, (size_t)(end - c->head) + 4);
    }
    if (pump(c->client, c->upstream, c->up, &c->up_len, &c->client_eof, crev, urev) < 0 ||
        pump(c->upstream, c->client, c->down, &c->down_len, &c->upstream_eof, urev, crev) < 0)
        return -1;
    return c->client_eof && c->upstream_eof && !c->up_len && !c->down_len ? -1 : 0;
}

static short want(int eof, size_t have_room_len, size_t pending_other)
{
    short ev = 0;
    if (!eof && have_room_len < PROXY_BUF)
        ev |= POLLIN;
    if (pending_other)
        ev |= POLLOUT;
    return ev;
}

/* The poll set: the stop pipe, the listening socket, then each connection's client and
 * upstream (fd -1 for empty slots). */
static void poll_set(struct pollfd *fds, const sg_sandbox_proxy *p)
{
    size_t i;
    fds[0].fd = p->stop[0];
    fds[0].events = POLLIN;
    fds[1].fd = p->listen_fd;
    fds[1].events = POLLIN;
    for (i = 0; i < SG_PROXY_MAX_CONNS; i++) {
        const pconn *c = p->conns[i];
        fds[2 + 2 * i].fd = c ? c->client : -1;
        fds[3 + 2 * i].fd = c && c->tunnel ? c->upstream : -1;
        fds[2 + 2 * i].events = fds[3 + 2 * i].events = 0;
        fds[2 + 2 * i].revents = fds[3 + 2 * i].revents = 0;
        if (c) {
            fds[2 + 2 * i].events =
                c->tunnel ? want(c->client_eof, c->up_len, c->down_len) : POLLIN;
            if (c->tunnel)
                fds[3 + 2 * i].events = want(c->upstream_eof, c->down_len, c->up_len);
        }
    }
}

/* Accept a connection into a free slot (closing it when there is none). 1 when one was added. */
static int accept_conn(sg_sandbox_proxy *p)
{
    int fd = accept4(p->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    size_t i;
    pconn *c;
    if (fd < 0)
        return 0;
    for (i = 0; i < SG_PROXY_MAX_CONNS && p->conns[i]; i++)
        ;
    if (i == SG_PROXY_MAX_CONNS || !(c = sg_calloc(1, sizeof(pconn)))) {
        close(fd);
        return 0;
    }
    c->client = fd;
    c->upstream = -1;
    p->conns[i] = c;
    return 1;
}

static void *proxy_main(void *arg)
{
    sg_sandbox_proxy *p = arg;
    struct pollfd fds[2 + 2 * SG_PROXY_MAX_CONNS];
    size_t i;

    for (;;) {
        poll_set(fds, p);
        if (poll(fds, 2 + 2 * SG_PROXY_MAX_CONNS, -1) < 0 && errno != EINTR)
            break;
        if (fds[0].revents)
            break;
        if ((fds[1].revents & POLLIN) && accept_conn(p))
            continue; /* poll again with the new connection in the set */
        for (i = 0; i < SG_PROXY_MAX_CONNS; i++) {
            pconn *c = p->conns[i];
            if (c && pconn_step(p, c, fds[2 + 2 * i].revents, fds[3 + 2 * i].revents) < 0) {
                pconn_close(c);
                p->conns[i] = NULL;
            }
        }
    }
    for (i = 0; i < SG_PROXY_MAX_CONNS; i++)
        if (p->conns[i])
            pconn_close(p->conns[i]);
    return NULL;
}

static int proxy_start(sg_sandbox_proxy *p, sg_ctx *ctx, const char *sock_path,
                       const sg_sandbox_spec *spec)
{
    struct sockaddr_un sa;
    memset(p, 0, sizeof(*p));
    p->listen_fd = p->stop[0] = p->stop[1] = -1;
    p->allow = spec->allow;
    p->nallow = spec->nallow;
    p->gateway = spec->gateway;
    if (strlen(sock_path) >= sizeof(sa.sun_path))
        return sg_error_set(ctx, SG_EINVALID, "proxy socket path '%s' is too long", sock_path);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
    unlink(sock_path);
    if (pipe2(p->stop, O_CLOEXEC) < 0 ||
        (p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0 ||
        bind(p->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(p->listen_fd, 64) < 0)
        return sg_error_set(ctx, SG_EIO, "cannot start the install step's proxy at '%s': %s",
                            sock_path, strerror(errno));
    if (pthread_create(&p->thread, NULL, proxy_main, p) != 0)
        return sg_error_set(ctx, SG_EIO, "cannot start the install step's proxy thread");
    p->running = 1;
    return 0;
}

void sg_sandbox__proxy_stop(sg_sandbox_proxy *p)
{
    if (p->running) {
        char b = 1;
        if (write(p->stop[1], &b, 1) < 0) {
            /* the thread still exits when the pipe closes below */
        }
        pthread_join(p->thread, NULL);
        p->running = 0;
    }
    sg_gateway__stop(p->gateway);
    if (p->listen_fd >= 0)
        close(p->listen_fd);
    if (p->stop[0] >= 0)
        close(p->stop[0]);
    if (p->stop[1] >= 0)
        close(p->stop[1]);
    p->listen_fd = p->stop[0] = p->stop[1] = -1;
}

/* Runs inside the sandbox: listen on the sandbox's loopback, hand each connection to the
 * host's proxy socket, and run the command with the proxy variables pointing there. */
static const char forwarder_js[] =
    "'use strict';\n"
    "// sourcegate: forwards the sandbox's proxy port to the host's allowlisting proxy.\n"
    "const net = require('net'), cp = require('child_process'), fs = require('fs');\n"
    "const sock = process.argv[2], cmd = process.argv.slice(3);\n"
    "const srv = net.createServer((c) => {\n"
    "  const u = net.connect(sock);\n"
    "  c.pipe(u); u.pipe(c);\n"
    "  c.on('error', () => u.destroy()); u.on('error', () => c.destroy());\n"
    "});\n"
    "srv.listen(0, '127.0.0.1', () => {\n"
    "  const url = 'http://127.0.0.1:' + srv.address().port;\n"
    "  const env = Object.assign({}, process.env);\n"
    "  for (const k of ['npm_config_proxy', 'npm_config_https_proxy', 'HTTP_PROXY',\n"
    "      'HTTPS_PROXY', 'http_proxy', 'https_proxy', 'YARN_HTTP_PROXY', 'YARN_HTTPS_PROXY'])\n"
    "    env[k] = url;\n"
    "  for (const k of ['NO_PROXY', 'no_proxy', 'npm_config_noproxy']) env[k] = '127.0.0.1';\n"
    "  for (const k of Object.keys(env))\n"
    "    if (env[k].includes('@SG_GATEWAY@')) env[k] = env[k].split('@SG_GATEWAY@').join(url);\n"
    "  // lockfiles sourcegate pointed at the gateway (latin1: bytes unchanged)\n"
    "  for (const f of (env.SG_GATEWAY_FILES || '').split('\\n')) {\n"
    "    let t;\n"
    "    try { if (!f || !fs.lstatSync(f).isFile()) continue; } catch (e) { continue; }\n"
    "    try {\n"
    "      t = fs.readFileSync(f, 'latin1');\n"
    "      if (t.includes('@SG_GATEWAY@'))\n"
    "        fs.writeFileSync(f, t.split('@SG_GATEWAY@').join(url), 'latin1');\n"
    "    } catch (e) {\n"
    "      console.error('sourcegate: cannot point ' + f + ' at the gateway: ' + e.message);\n"
    "      process.exit(1);\n"
    "    }\n"
    "  }\n"
    "  delete env.SG_GATEWAY_FILES;\n"
    "  const child = cp.spawn(cmd[0], cmd.slice(1), {stdio: 'inherit', env});\n"
    "  child.on('error', (e) => {\n"
    "    console.error('sourcegate: cannot start ' + cmd[0] + ': ' + e.message);\n"
    "    process.exit(127);\n"
    "  });\n"
    "  child.on('exit', (code, sig) => process.exit(code === null ? 137 : code));\n"
    "});\n";

void sg_sandbox__proxy_init(sg_sandbox_proxy *px)
{
    memset(px, 0, sizeof(*px));
    px->listen_fd = px->stop[0] = px->stop[1] = -1;
}

int sg_sandbox__proxy_open(sg_sandbox_proxy *px, sg_buf *script, sg_buf *sock, sg_ctx *ctx,
                           const sg_sandbox_spec *spec)
{
    int error;

    if (!spec->scratch || !spec->node)
        return sg_error_set(ctx, SG_EINVALID,
                            "the proxied sandbox needs a scratch folder and "
                            "node");
    sg_buf_clear(script);
    sg_buf_clear(sock);
    sg_buf_printf(script, "%s/forward.js", spec->scratch);
    sg_buf_printf(sock, "%s/proxy.sock", spec->scratch);
    if ((error = sg_buf_check(script, ctx, "a path")) < 0 ||
        (error = sg_buf_check(sock, ctx, "a path")) < 0)
        return error;
    if (write_text_file(script->ptr, forwarder_js) < 0)
        return sg_error_set(ctx, SG_EIO, "cannot write '%s': %s", script->ptr, strerror(errno));
    return proxy_start(px, ctx, sock->ptr, spec);
}
