/*
 * The install step's registry gateway (verifier/rebuild/registry_gateway.c), driven over a
 * socket pair as the proxy hands it connections: GET and HEAD of registry paths only, heads
 * bounded, keep-alive, packuments passed through, upstream failures a 502 (noted for the
 * rebuild's operational error), connections bounded.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/common.h"
#include "http_server.h"
#include "verifier/rebuild/sandbox_int.h"

typedef struct fx {
    sg_ctx *ctx;           /* context */
    sgt_http_server *srv;  /* the upstream registry */
    sgt_http_route route;  /* its one packument */
    sg_sandbox_gateway gw; /* the gateway under test */
    char *cache;           /* sourcegate's cache folder */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    f->route.target = "/dep";
    f->route.headers = "Content-Type: application/json\r\n";
    f->route.body = "{\"name\":\"dep\",\"versions\":{}}";
    sgt_http_start_routes(&f->srv, &f->route, 1);
    f->cache = sgt_tmpdir();
    assert_int_equal(sg_gateway__init(&f->gw, f->ctx, sgt_http_base_url(f->srv), f->cache), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_gateway__dispose(&f->gw);
    sgt_http_stop(f->srv);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->cache);
    free(f);
    return 0;
}

/* Hand the gateway one end of a socket pair; the other end is returned. */
static int connect_gw(fx *f)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(sg_gateway__take(&f->gw, sv[1], "", 0), 0);
    return sv[0];
}

/* Send req and read one answer (head and Content-Length body) into out. */
static void exchange(int fd, const char *req, size_t req_len, char *out, size_t size)
{
    size_t got = 0;
    assert_int_equal(sg_fd_write_all(fd, req, req_len, 1), 0);
    while (got + 1 < size) {
        const char *end, *cl;
        ssize_t n = recv(fd, out + got, size - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
        out[got] = '\0';
        if ((end = strstr(out, "\r\n\r\n")) && (cl = strstr(out, "Content-Length: ")) &&
            got >= (size_t)(end + 4 - out) + strtoul(cl + 16, NULL, 10))
            break;
    }
    out[got] = '\0';
}

static void test_gateway__passes_a_packument_through_and_keeps_the_connection(void **state)
{
    fx *f = *state;
    char out[8192];
    int fd = connect_gw(f);
    const char req[] = "GET /dep HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n";
    exchange(fd, req, strlen(req), out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 ", 13), 0);
    assert_non_null(strstr(out, "Connection: keep-alive"));
    assert_non_null(strstr(out, "{\"name\":\"dep\""));
    exchange(fd, "HEAD /dep HTTP/1.1\r\nConnection: close\r\n\r\n", 41, out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 ", 13), 0);
    assert_non_null(strstr(out, "Connection: close"));
    assert_null(strstr(out, "{\"name\""));
    close(fd);
    sg_gateway__stop(&f->gw);
    assert_int_equal(f->gw.stats.requests, 2);
    assert_int_equal(sgt_http_request_count(f->srv), 2);
}

/* yarn classic sends every request to its proxy in absolute form: once the proxy handed the
 * connection over, later requests to the sandbox's loopback are the gateway's too; any other
 * host stays refused. */
static void test_gateway__absolute_form_to_the_loopback_is_served(void **state)
{
    fx *f = *state;
    char out[8192];
    int fd = connect_gw(f);
    const char r1[] = "GET /dep HTTP/1.1\r\nHost: 127.0.0.1:4873\r\n\r\n";
    const char r2[] = "GET http://127.0.0.1:4873/dep HTTP/1.1\r\nHost: 127.0.0.1:4873\r\n\r\n";
    const char r3[] = "GET http://localhost:4873/dep HTTP/1.1\r\nConnection: close\r\n\r\n";
    exchange(fd, r1, strlen(r1), out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 ", 13), 0);
    exchange(fd, r2, strlen(r2), out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 ", 13), 0);
    assert_non_null(strstr(out, "{\"name\":\"dep\""));
    exchange(fd, r3, strlen(r3), out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 ", 13), 0);
    close(fd);
    fd = connect_gw(f);
    {
        const char evil[] = "GET http://127.0.0.1.evil:80/dep HTTP/1.1\r\n\r\n";
        exchange(fd, evil, strlen(evil), out, sizeof(out));
    }
    assert_int_equal(strncmp(out, "HTTP/1.1 400 ", 13), 0);
    close(fd);
    sg_gateway__stop(&f->gw);
    assert_int_equal(sgt_http_request_count(f->srv), 3);
}

static void test_gateway__refuses_an_oversized_head(void **state)
{
    fx *f = *state;
    char out[4096], *big = malloc(9000);
    int fd = connect_gw(f);
    assert_non_null(big);
    memcpy(big, "GET /dep HTTP/1.1\r\nX: ", 22);
    memset(big + 22, 'a', 9000 - 22);
    exchange(fd, big, 9000, out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 431 ", 13), 0);
    free(big);
    close(fd);
    sg_gateway__stop(&f->gw);
    assert_int_equal(sgt_http_request_count(f->srv), 0);
}

static void test_gateway__serves_only_get_and_head_of_registry_paths(void **state)
{
    static const struct {
        const char *req; /* the request */
        const char *ans; /* the start of the answer */
    } cases[] = {
        {"POST /dep HTTP/1.1\r\n\r\n", "HTTP/1.1 405 "},
        {"GET /../etc/passwd HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "},
        {"GET /a/./b HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "},
        {"GET http://evil.example/ HTTP/1.1\r\n\r\n", "HTTP/1.1 400 "},
        {"GET /dep HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", "HTTP/1.1 400 "},
        {"GET /dep HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.1 400 "},
        {"GET /dep\r\n\r\n", "HTTP/1.1 400 "},
    };
    fx *f = *state;
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(cases); i++) {
        char out[4096];
        int fd = connect_gw(f);
        exchange(fd, cases[i].req, strlen(cases[i].req), out, sizeof(out));
        if (strncmp(out, cases[i].ans, strlen(cases[i].ans)) != 0)
            fail_msg("%s -> %.40s", cases[i].req, out);
        close(fd);
    }
    sg_gateway__stop(&f->gw);
    assert_int_equal(sgt_http_request_count(f->srv), 0);
}

static void test_gateway__an_unreachable_registry_is_a_502_and_noted(void **state)
{
    fx *f = *state;
    char out[4096];
    int fd;
    sg_gateway__dispose(&f->gw);
    assert_int_equal(sg_gateway__init(&f->gw, f->ctx, "http://127.0.0.1:9/", NULL), 0);
    fd = connect_gw(f);
    exchange(fd, "GET /dep HTTP/1.1\r\n\r\n", 21, out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 502 ", 13), 0);
    close(fd);
    sg_gateway__stop(&f->gw);
    assert_true(f->gw.error[0] != '\0');
    assert_int_equal(f->gw.stats.failed, 1);
}

static void test_gateway__bounds_its_connections(void **state)
{
    fx *f = *state;
    int fds[SG_GATEWAY_MAX_CONNS], sv[2];
    char out[512];
    ssize_t n;
    size_t i;
    for (i = 0; i < SG_GATEWAY_MAX_CONNS; i++)
        fds[i] = connect_gw(f); /* idle: each holds a thread */
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(sg_gateway__take(&f->gw, sv[1], "", 0), -1);
    close(sv[1]);
    n = recv(sv[0], out, sizeof(out) - 1, 0);
    assert_true(n > 0);
    out[n] = '\0';
    assert_int_equal(strncmp(out, "HTTP/1.1 503 ", 13), 0);
    /* noted, so that the install it fails is an operational error, not a verdict */
    assert_non_null(strstr(f->gw.error, "more than"));
    close(sv[0]);
    sg_gateway__stop(&f->gw); /* closes the idle ones and waits for their threads */
    assert_int_equal(f->gw.active, 0);
    for (i = 0; i < SG_GATEWAY_MAX_CONNS; i++)
        close(fds[i]);
}

/* pnpm 11 opens up to 50 connections to its registry whatever maxsockets says (its undici pool):
 * all are served at once, not answered 503. */
static void test_gateway__serves_as_many_connections_as_pnpm_opens(void **state)
{
    fx *f = *state;
    int fds[51];
    char out[8192];
    const char req[] = "GET /dep HTTP/1.1\r\nHost: 127.0.0.1:4873\r\n\r\n";
    size_t i;
    for (i = 0; i < SG_ARRAY_SIZE(fds); i++)
        fds[i] = connect_gw(f);
    exchange(fds[50], req, strlen(req), out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 ", 13), 0);
    assert_int_equal(f->gw.stats.refused, 0);
    sg_gateway__stop(&f->gw);
    for (i = 0; i < SG_ARRAY_SIZE(fds); i++)
        close(fds[i]);
}

/* The first package the registry answers 404 for is noted with its URL (the rebuild names it
 * when the install fails); registry API paths and packages it has are not. */
static void test_gateway__notes_the_first_package_the_registry_lacks(void **state)
{
    fx *f = *state;
    char out[8192], want[512];
    int fd = connect_gw(f);
    const char r1[] = "GET /-/npm/v1/attestations/gone@1.0.0 HTTP/1.1\r\n\r\n";
    const char r2[] = "GET /dep HTTP/1.1\r\n\r\n";
    const char r3[] = "GET /@scope%2fgone HTTP/1.1\r\n\r\n";
    const char r4[] = "GET /other/1.0.0 HTTP/1.1\r\nConnection: close\r\n\r\n";
    exchange(fd, r1, strlen(r1), out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 404 ", 13), 0);
    exchange(fd, r2, strlen(r2), out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 200 ", 13), 0);
    assert_string_equal(f->gw.missing, "");
    exchange(fd, r3, strlen(r3), out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 404 ", 13), 0);
    exchange(fd, r4, strlen(r4), out, sizeof(out));
    assert_int_equal(strncmp(out, "HTTP/1.1 404 ", 13), 0);
    close(fd);
    sg_gateway__stop(&f->gw);
    snprintf(want, sizeof(want), "'@scope/gone' (%s@scope%%2fgone answered 404)",
             sgt_http_base_url(f->srv));
    assert_string_equal(f->gw.missing, want);
    assert_string_equal(f->gw.error, ""); /* the registry answered: not an operational error */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_gateway__serves_as_many_connections_as_pnpm_opens,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway__notes_the_first_package_the_registry_lacks,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_gateway__passes_a_packument_through_and_keeps_the_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway__absolute_form_to_the_loopback_is_served,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway__refuses_an_oversized_head, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway__serves_only_get_and_head_of_registry_paths,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway__an_unreachable_registry_is_a_502_and_noted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_gateway__bounds_its_connections, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
