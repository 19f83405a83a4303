/*
 * Tests of the one HTTP client (verifier/fetch/http.c) against the loopback server, in both
 * redirect modes: where the token goes, which protocols a redirect may reach, the size limit,
 * the retry policy and what a request without one returns.
 */
#include "sg_test.h"
#include "http_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/fetch/http_int.h"
#include "verifier/fetch/registry_int.h"

#define TOKEN "s3cr3t-http-token"

typedef struct fx {
    sg_ctx *ctx;           /* context */
    sg_npm_config *cfg;    /* holds the token for the first server */
    sgt_http_server *a;    /* the server the token is for */
    sgt_http_server *b;    /* another host (another port of 127.0.0.1) */
    sg_http_client client; /* under test */
    sg_buf body;           /* response bodies */
    char loc_b[256];       /* "Location: <b>/t\r\n" */
    sgt_http_route ra[8];  /* a's routes */
    sgt_http_route rb[1];  /* b's routes */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    char npmrc[256];
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    assert_int_equal(sg_npm_config_new(&f->cfg, f->ctx), 0);
    sg_buf_init(&f->body, 1 << 20);
    sgt_http_start_routes(&f->a, NULL, 0);
    sgt_http_start_routes(&f->b, NULL, 0);
    f->rb[0].target = "/t";
    f->rb[0].body = "{\"on\":\"b\"}";
    sgt_http_set_routes(f->b, f->rb, 1);
    snprintf(f->loc_b, sizeof(f->loc_b), "Location: %st\r\n", sgt_http_base_url(f->b));
    f->ra[0] = (sgt_http_route){.target = "/doc", .body = "{\"on\":\"a\"}", .etag = "\"e1\""};
    f->ra[1] = (sgt_http_route){.target = "/to-b", .status = 302, .headers = f->loc_b};
    f->ra[2] = (sgt_http_route){
        .target = "/to-file", .status = 302, .headers = "Location: file:///etc/passwd\r\n"};
    f->ra[3] = (sgt_http_route){.target = "/loop", .status = 302, .headers = "Location: /loop\r\n"};
    f->ra[4] = (sgt_http_route){.target = "/big", .body = "0123456789abcdef"};
    f->ra[5] = (sgt_http_route){.target = "/busy", .status = 503};
    f->ra[6] =
        (sgt_http_route){.target = "/to-doc", .status = 301, .headers = "Location: /doc\r\n"};
    sgt_http_set_routes(f->a, f->ra, 7);
    snprintf(npmrc, sizeof(npmrc), "//127.0.0.1:%d/:_authToken=" TOKEN "\n", sgt_http_port(f->a));
    assert_int_equal(sg_npm_config_parse(f->cfg, f->ctx, npmrc, strlen(npmrc), "t", NULL), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sgt_http_stop(f->a);
    sgt_http_stop(f->b);
    sg_http__client_dispose(&f->client);
    sg_buf_dispose(&f->body);
    sg_npm_config_free(f->cfg);
    sg_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* A request for path on server a in the given redirect mode, test-sized timeouts. */
static void req_for(sg_http_req *rq, char *url, size_t size, fx *f, const char *path,
                    sg_http_follow follow)
{
    snprintf(url, size, "%s%s", sgt_http_base_url(f->a), path);
    memset(rq, 0, sizeof(*rq));
    rq->url = url;
    rq->what = "document";
    rq->accept = "application/json";
    rq->config = f->cfg;
    rq->limit = SG_LIMIT_JSON_SIZE;
    rq->follow = follow;
    rq->max_retries = -1;
    rq->retry_base_ms = 1;
    rq->connect_timeout_ms = 5000;
    rq->total_timeout_ms = 10000;
    rq->body = &f->body;
}

static const sg_http_follow modes[] = {SG_HTTP_FOLLOW_HOPS, SG_HTTP_FOLLOW_CURL};

static void test_http__token_goes_to_its_host_only_in_both_modes(void **state)
{
    fx *f = *state;
    sgt_http_request req;
    sg_http_req rq;
    sg_http_resp resp;
    char url[512], auth[256];
    size_t m, na, nb;

    for (m = 0; m < 2; m++) {
        na = sgt_http_request_count(f->a); /* the log runs across both modes */
        nb = sgt_http_request_count(f->b);
        req_for(&rq, url, sizeof(url), f, "to-b", modes[m]);
        assert_int_equal(sg_http__get(&resp, f->ctx, &f->client, &rq), 0);
        assert_int_equal(resp.status, 200);
        assert_string_equal(f->body.ptr, "{\"on\":\"b\"}");
        assert_int_equal(sgt_http_request_count(f->a), na + 1);
        sgt_http_request_get(f->a, na, &req);
        assert_true(sgt_http_header(&req, "Authorization", auth, sizeof(auth)));
        assert_string_equal(auth, "Bearer " TOKEN);
        assert_int_equal(sgt_http_request_count(f->b), nb + 1);
        sgt_http_request_get(f->b, nb, &req);
        assert_false(sgt_http_header(&req, "Authorization", NULL, 0));
        assert_null(strstr(req.headers, TOKEN));
    }
}

static void test_http__same_host_redirect_and_etag(void **state)
{
    fx *f = *state;
    sg_http_req rq;
    sg_http_resp resp;
    char url[512];
    size_t m;

    for (m = 0; m < 2; m++) {
        req_for(&rq, url, sizeof(url), f, "to-doc", modes[m]);
        assert_int_equal(sg_http__get(&resp, f->ctx, &f->client, &rq), 0);
        assert_int_equal(resp.status, 200);
        assert_string_equal(resp.etag, "\"e1\"");
        assert_string_equal(f->body.ptr, "{\"on\":\"a\"}");
        /* conditional: the loopback server answers 304, with no body kept */
        rq.if_none_match = "\"e1\"";
        assert_int_equal(sg_http__get(&resp, f->ctx, &f->client, &rq), 0);
        assert_int_equal(resp.status, 304);
        assert_int_equal(f->body.size, 0);
    }
}

static void test_http__redirect_to_another_scheme_refused_in_both_modes(void **state)
{
    fx *f = *state;
    sg_http_req rq;
    sg_http_resp resp;
    char url[512];

    req_for(&rq, url, sizeof(url), f, "to-file", SG_HTTP_FOLLOW_HOPS);
    assert_int_equal(sg_http__get(&resp, f->ctx, &f->client, &rq), SG_ENET);
    assert_non_null(strstr(sg_error_message(f->ctx), "which is not an http or https URL"));
    sg_error_clear(f->ctx);
    req_for(&rq, url, sizeof(url), f, "to-file", SG_HTTP_FOLLOW_CURL);
    assert_int_equal(sg_http__get(&resp, f->ctx, &f->client, &rq), SG_ENET);
    assert_non_null(strstr(sg_error_message(f->ctx), "cannot fetch document from"));
    sg_error_clear(f->ctx);
    /* nor is a first URL of another scheme fetched */
    req_for(&rq, url, sizeof(url), f, "doc", SG_HTTP_FOLLOW_CURL);
    rq.url = "file:///etc/passwd";
    assert_int_equal(sg_http__get(&resp, f->ctx, &f->client, &rq), SG_ENET);
    assert_int_equal(f->body.size, 0);
}

static void test_http__too_many_redirects_in_both_modes(void **state)
{
    fx *f = *state;
    sg_http_req rq;
    sg_http_resp resp;
    char url[512];
    size_t m, n;

    for (m = 0; m < 2; m++) {
        n = sgt_http_request_count(f->a);
        req_for(&rq, url, sizeof(url), f, "loop", modes[m]);
        assert_int_equal(sg_http__get(&resp, f->ctx, &f->client, &rq), SG_ENET);
        assert_non_null(strstr(sg_error_message(f->ctx), "redirects"));
        /* the request and SG_HTTP_MAX_REDIRECTS redirects */
        assert_int_equal(sgt_http_request_count(f->a), n + SG_HTTP_MAX_REDIRECTS + 1);
        sg_error_clear(f->ctx);
    }
}

static void test_http__limit_refuses_bodies_in_both_wordings(void **state)
{
    fx *f = *state;
    sg_http_req rq;
    sg_http_resp resp;
    char url[512], want[600];

    sg_ctx_set_limit(f->ctx, SG_LIMIT_JSON_SIZE, 8);
    req_for(&rq, url, sizeof(url), f, "big", SG_HTTP_FOLLOW_HOPS);
    assert_int_equal(sg_http__get(&resp, f->ctx, &f->client, &rq), SG_ELIMIT);
    snprintf(want, sizeof(want), "document from '%s' is larger than the json-size limit of 8 bytes",
             url);
    assert_string_equal(sg_error_message(f->ctx), want);
    sg_error_clear(f->ctx);
    req_for(&rq, url, sizeof(url), f, "big", SG_HTTP_FOLLOW_CURL);
    rq.limit_msg_parens = 1;
    assert_int_equal(sg_http__get(&resp, f->ctx, &f->client, &rq), SG_ELIMIT);
    snprintf(want, sizeof(want), "document from '%s' is larger than the json-size limit (8 bytes)",
             url);
    assert_string_equal(sg_error_message(f->ctx), want);
    assert_int_equal(f->body.size, 0);
}

static void test_http__retry_policy(void **state)
{
    fx *f = *state;
    sg_http_req rq;
    sg_http_resp resp;
    char url[512];

    /* none: one attempt, the caller gets the status */
    req_for(&rq, url, sizeof(url), f, "busy", SG_HTTP_FOLLOW_CURL);
    assert_int_equal(sg_http__get(&resp, f->ctx, &f->client, &rq), 0);
    assert_int_equal(resp.status, 503);
    assert_int_equal(sgt_http_request_count(f->a), 1);
    /* two extra attempts, then an error here */
    req_for(&rq, url, sizeof(url), f, "busy", SG_HTTP_FOLLOW_HOPS);
    rq.max_retries = 2;
    assert_int_equal(sg_http__get(&resp, f->ctx, &f->client, &rq), SG_ENET);
    assert_non_null(strstr(sg_error_message(f->ctx), "answered HTTP 503"));
    assert_non_null(strstr(sg_error_message(f->ctx), "(3 attempts)"));
    assert_int_equal(sgt_http_request_count(f->a), 4);
    /* zero extra attempts still reports the status here */
    sg_error_clear(f->ctx);
    rq.max_retries = 0;
    assert_int_equal(sg_http__get(&resp, f->ctx, &f->client, &rq), SG_ENET);
    assert_non_null(strstr(sg_error_message(f->ctx), "(1 attempt)"));
    assert_int_equal(f->client.requests, 5); /* every exchange counted */
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_http__token_goes_to_its_host_only_in_both_modes),
        T(test_http__same_host_redirect_and_etag),
        T(test_http__redirect_to_another_scheme_refused_in_both_modes),
        T(test_http__too_many_redirects_in_both_modes),
        T(test_http__limit_refuses_bodies_in_both_wordings),
        T(test_http__retry_policy),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
