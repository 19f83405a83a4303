/*
 * The install step's proxy (verifier/rebuild/sandbox_proxy.c) handing connections to the
 * registry gateway, driven over its Unix socket as the sandbox's forwarder drives it: a tunnel
 * to the sandbox's own loopback (yarn 2+ tunnels plain HTTP through its proxy) reaches the
 * gateway, a tunnel to an allowed host reaches that host, any other host is refused and named.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/common.h"
#include "http_server.h"
#include "verifier/rebuild/sandbox_int.h"

typedef struct fx {
    sg_ctx *ctx;           /* context */
    sgt_http_server *srv;  /* the upstream registry */
    sgt_http_route route;  /* its one packument */
    sg_sandbox_gateway gw; /* the gateway the proxy hands connections to */
    sg_sandbox_proxy px;   /* the proxy under test */
    char *dir;             /* scratch: the cache and the proxy's socket */
    char allow0[64];       /* the registry's "127.0.0.1:port" */
    char fwd[64];          /* the forwarder's "127.0.0.1:port" inside the sandbox */
    const char *allow[1];  /* the allowlist */
    sg_buf sock;           /* the proxy's socket path */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    sg_sandbox_spec spec;
    sg_buf script = SG_BUF_INIT;
    int port;

    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    f->route.target = "/dep";
    f->route.headers = "Content-Type: application/json\r\n";
    f->route.body = "{\"name\":\"dep\",\"versions\":{}}";
    port = sgt_http_start_routes(&f->srv, &f->route, 1);
    f->dir = sgt_tmpdir();
    assert_int_equal(sg_gateway__init(&f->gw, f->ctx, sgt_http_base_url(f->srv), f->dir), 0);
    snprintf(f->allow0, sizeof(f->allow0), "127.0.0.1:%d", port);
    f->allow[0] = f->allow0;
    snprintf(f->fwd, sizeof(f->fwd), "127.0.0.1:%d", port == 4873 ? 4874 : 4873);
    memset(&spec, 0, sizeof(spec));
    spec.scratch = f->dir;
    spec.node = "/usr/bin/node"; /* only named in the forwarder script, never run here */
    spec.allow = f->allow;
    spec.nallow = 1;
    spec.gateway = &f->gw;
    sg_sandbox__proxy_init(&f->px);
    sg_buf_init(&f->sock, 0);
    assert_int_equal(sg_sandbox__proxy_open(&f->px, &script, &f->sock, f->ctx, &spec), 0);
    sg_buf_dispose(&script);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_sandbox__proxy_stop(&f->px);
    sg_gateway__dispose(&f->gw);
    sgt_http_stop(f->srv);
    sg_buf_dispose(&f->sock);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->dir);
    free(f);
    return 0;
}

/* A connection to the proxy, as the forwarder makes one for each of the sandbox's. */
static int connect_proxy(fx *f)
{
    struct sockaddr_un sa;
    struct timeval tv = {10, 0};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock.ptr);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    return fd;
}

/* Send req and read one answer: its head, and its Content-Length body when it has one. */
static void exchange(int fd, const char *req, char *out, size_t size)
{
    size_t got = 0;
    assert_int_equal(sg_fd_write_all(fd, req, strlen(req), 1), 0);
    while (got + 1 < size) {
        const char *end, *cl;
        ssize_t n = recv(fd, out + got, size - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        out[got] = '\0';
        if ((end = strstr(out, "\r\n\r\n")) &&
            (!(cl = strstr(out, "Content-Length: ")) || cl > end ||
             got >= (size_t)(end + 4 - out) + strtoul(cl + 16, NULL, 10)))
            break;
    }
    out[got] = '\0';
}

/* yarn 2+ with an HTTP proxy opens a tunnel even to a plain-HTTP registry: a tunnel to the
 * sandbox's loopback (the forwarder's address, which the allowlist does not name) is the
 * gateway's, and the requests inside it are served from the registry through the gateway. */
static void test_proxy__tunnel_to_the_sandbox_loopback_reaches_the_gateway(void **state)
{
    fx *f = *state;
    char out[8192], req[256];
    int fd = connect_proxy(f);

    snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", f->fwd, f->fwd);
    exchange(fd, req, out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 ", 13), 0);
    exchange(fd, "GET /dep HTTP/1.1\r\nHost: 127.0.0.1:4873\r\n\r\n", out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 ", 13), 0);
    assert_non_null(strstr(out, "{\"name\":\"dep\""));
    exchange(fd, "GET /dep HTTP/1.1\r\nHost: 127.0.0.1:4873\r\nConnection: close\r\n\r\n", out,
             sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 ", 13), 0);
    close(fd);
    sg_sandbox__proxy_stop(&f->px);
    assert_int_equal(f->gw.stats.requests, 2);
    assert_string_equal(f->px.refused, "");
}

/* A tunnel's first request may come in the same packet as its CONNECT head. */
static void test_proxy__bytes_after_the_tunnel_head_reach_the_gateway(void **state)
{
    fx *f = *state;
    char out[8192], req[256], *body;
    int fd = connect_proxy(f);

    snprintf(req, sizeof(req),
             "CONNECT localhost:%s HTTP/1.1\r\n\r\n"
             "GET /dep HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
             strchr(f->fwd, ':') + 1);
    exchange(fd, req, out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 Connection Established\r\n\r\n", 39), 0);
    body = out + 39;
    if (!*body) /* the answer to the request came in a later packet */
        exchange(fd, "", body, sizeof(out) - 39);
    assert_int_equal(strncmp(body, "HTTP/1.1 200 ", 13), 0);
    close(fd);
    sg_sandbox__proxy_stop(&f->px);
    assert_int_equal(f->gw.stats.requests, 1);
}

/* A tunnel to the allowed host goes to that host, not to the gateway; another host is refused
 * with a 403 that names it, and the refused list names it for the report. */
static void test_proxy__other_tunnels_are_the_allowlist_s(void **state)
{
    fx *f = *state;
    char out[8192], req[256];
    int fd = connect_proxy(f);

    snprintf(req, sizeof(req), "CONNECT %s HTTP/1.1\r\n\r\n", f->allow0);
    exchange(fd, req, out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 ", 13), 0);
    exchange(fd, "GET /dep HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 ", 13), 0);
    close(fd);
    fd = connect_proxy(f);
    exchange(fd, "CONNECT registry.yarnpkg.com:443 HTTP/1.1\r\n\r\n", out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 403 ", 13), 0);
    assert_non_null(strstr(out, "registry.yarnpkg.com:443"));
    close(fd);
    sg_sandbox__proxy_stop(&f->px);
    assert_int_equal(f->gw.stats.requests, 0);
    assert_int_equal(sgt_http_request_count(f->srv), 1);
    assert_string_equal(f->px.refused, "registry.yarnpkg.com:443");
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_proxy__tunnel_to_the_sandbox_loopback_reaches_the_gateway),
        T(test_proxy__bytes_after_the_tunnel_head_reach_the_gateway),
        T(test_proxy__other_tunnels_are_the_allowlist_s),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
