/*
 * The registry as of a date (sg_gateway__as_of in verifier/rebuild/registry_as_of.c, issue 15):
 * a packument served to a rebuild's install step loses the versions published after the
 * release, its dist-tags follow; the gateway asks for the full packument (the abbreviated one
 * has no times) and serves the cut one. The upstream registry is a loopback server with
 * real-looking data (times as the npm registry writes them).
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

/* rollup-plugin-like history: 1.0.0, 1.1.0, then a 2.0.0 beta and 2.0.0 a year later. */
static const char packument[] =
    "{\"_id\":\"dep\",\"name\":\"dep\","
    "\"dist-tags\":{\"latest\":\"2.0.0\",\"next\":\"2.0.0-beta.1\",\"legacy\":\"1.0.0\"},"
    "\"versions\":{"
    "\"1.0.0\":{\"name\":\"dep\",\"version\":\"1.0.0\"},"
    "\"1.1.0\":{\"name\":\"dep\",\"version\":\"1.1.0\"},"
    "\"2.0.0-beta.1\":{\"name\":\"dep\",\"version\":\"2.0.0-beta.1\"},"
    "\"2.0.0\":{\"name\":\"dep\",\"version\":\"2.0.0\"}},"
    "\"time\":{\"created\":\"2020-01-01T10:00:00.000Z\",\"modified\":\"2023-05-01T10:00:00.000Z\","
    "\"1.0.0\":\"2020-01-01T10:00:00.000Z\",\"1.1.0\":\"2021-03-04T05:06:07.890Z\","
    "\"2.0.0-beta.1\":\"2022-02-02T00:00:00.000Z\",\"2.0.0\":\"2023-05-01T10:00:00.000Z\"}}";

static cJSON *cut_at(const char *before, unsigned *dropped)
{
    sg_ctx *ctx = NULL;
    sg_buf b = SG_BUF_INIT;
    cJSON *o;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    sg_buf_puts(&b, packument);
    assert_int_equal(sg_gateway__as_of(&b, ctx, before, dropped), 0);
    o = cJSON_Parse(b.ptr);
    assert_non_null(o);
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
    return o;
}

static void test_as_of__later_versions_are_dropped_and_latest_follows(void **state)
{
    unsigned dropped = 0;
    cJSON *o = cut_at("2021-06-01T00:00:00.000Z", &dropped);
    const cJSON *versions = cJSON_GetObjectItem(o, "versions");
    const cJSON *tags = cJSON_GetObjectItem(o, "dist-tags");
    (void)state;
    assert_int_equal(dropped, 2);
    assert_non_null(cJSON_GetObjectItem(versions, "1.0.0"));
    assert_non_null(cJSON_GetObjectItem(versions, "1.1.0"));
    assert_null(cJSON_GetObjectItem(versions, "2.0.0"));
    assert_null(cJSON_GetObjectItem(versions, "2.0.0-beta.1"));
    assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "time"), "2.0.0"));
    assert_string_equal(sg_json_str(tags, "latest"), "1.1.0");
    assert_null(cJSON_GetObjectItem(tags, "next")); /* it named a later version */
    assert_string_equal(sg_json_str(tags, "legacy"), "1.0.0");
    cJSON_Delete(o);
}

/* The publish time itself is included (a release may pin what was published with it), and a
 * time without milliseconds compares the same. */
static void test_as_of__the_publish_instant_is_included(void **state)
{
    unsigned dropped = 0;
    cJSON *o = cut_at("2021-03-04T05:06:07.890Z", &dropped);
    (void)state;
    assert_int_equal(dropped, 2);
    assert_string_equal(sg_json_str(cJSON_GetObjectItem(o, "dist-tags"), "latest"), "1.1.0");
    cJSON_Delete(o);
    o = cut_at("2021-03-04T05:06:07Z", &dropped);
    assert_int_equal(dropped, 3); /* 1.1.0 came 890 ms later */
    assert_string_equal(sg_json_str(cJSON_GetObjectItem(o, "dist-tags"), "latest"), "1.0.0");
    cJSON_Delete(o);
}

/* Nothing to drop, a body that is no packument, a date that is no date. */
static void test_as_of__odd_inputs(void **state)
{
    sg_ctx *ctx = NULL;
    sg_buf b = SG_BUF_INIT;
    unsigned dropped = 9;
    int64_t ms;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    sg_buf_puts(&b, packument);
    assert_int_equal(sg_gateway__as_of(&b, ctx, "2030-01-01T00:00:00.000Z", &dropped), 0);
    assert_int_equal(dropped, 0);
    assert_string_equal(b.ptr, packument); /* served as it came */
    sg_buf_clear(&b);
    sg_buf_puts(&b, "[1,2]");
    assert_int_equal(sg_gateway__as_of(&b, ctx, "2030-01-01T00:00:00.000Z", &dropped), 0);
    assert_string_equal(b.ptr, "[1,2]");
    assert_int_equal(sg_gateway__as_of(&b, ctx, "yesterday", &dropped), SG_EINVALID);
    sg_error_clear(ctx);
    sg_buf_clear(&b);
    sg_buf_puts(&b, "{\"versions\":");
    assert_true(sg_gateway__as_of(&b, ctx, "2030-01-01T00:00:00.000Z", &dropped) < 0);
    assert_int_equal(sg_gateway__parse_time(&ms, "1970-01-01T00:00:01.5Z"), 0);
    assert_int_equal(ms, 1500);
    assert_int_equal(sg_gateway__parse_time(&ms, "2024-13-01T00:00:00Z"), -1);
    assert_int_equal(sg_gateway__parse_time(&ms, "2024-01-01T00:00:00"), -1);
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
}

/* Through the gateway: the install step's request for the abbreviated packument goes upstream
 * as a request for the full one, and the answer is cut at the date. */
static void test_as_of__gateway_serves_the_packument_as_of_the_date(void **state)
{
    sg_ctx *ctx = NULL;
    sgt_http_server *srv = NULL;
    sgt_http_route route;
    sgt_http_request req;
    sg_sandbox_gateway gw;
    static const char ask[] = "GET /dep HTTP/1.1\r\nHost: x\r\nAccept: "
                              "application/vnd.npm.install-v1+json\r\nConnection: close\r\n\r\n";
    char got[8192], accept[256];
    size_t n = 0;
    ssize_t k;
    int sv[2];
    (void)state;

    assert_int_equal(sg_ctx_new(&ctx), 0);
    memset(&route, 0, sizeof(route));
    route.target = "/dep";
    route.headers = "Content-Type: application/json\r\n";
    route.body = packument;
    sgt_http_start_routes(&srv, &route, 1);
    assert_int_equal(sg_gateway__init(&gw, ctx, sgt_http_base_url(srv), NULL), 0);
    gw.before = "2021-06-01T00:00:00.000Z";
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    assert_int_equal(sg_gateway__take(&gw, sv[1], "", 0), 0);
    assert_int_equal(write(sv[0], ask, sizeof(ask) - 1), (ssize_t)(sizeof(ask) - 1));
    while (n + 1 < sizeof(got) && (k = read(sv[0], got + n, sizeof(got) - 1 - n)) > 0)
        n += (size_t)k;
    got[n] = '\0';
    close(sv[0]);
    sg_gateway__dispose(&gw);
    assert_non_null(strstr(got, "200"));
    assert_non_null(strstr(got, "\"1.1.0\""));
    assert_null(strstr(got, "\"2.0.0\""));
    assert_non_null(strstr(got, "\"latest\":\"1.1.0\""));
    assert_int_equal(gw.as_of_dropped, 2);
    sgt_http_request_get(srv, 0, &req);
    assert_int_equal(sgt_http_header(&req, "Accept", accept, sizeof(accept)), 1);
    assert_string_equal(accept, "application/json");
    sgt_http_stop(srv);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_as_of__later_versions_are_dropped_and_latest_follows),
        cmocka_unit_test(test_as_of__the_publish_instant_is_included),
        cmocka_unit_test(test_as_of__odd_inputs),
        cmocka_unit_test(test_as_of__gateway_serves_the_packument_as_of_the_date),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
