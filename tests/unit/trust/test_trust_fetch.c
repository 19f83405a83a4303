/*
 * Registry documents for the trust checks (verifier/trust/trust_fetch.c) against the loopback
 * server: cache freshness, conditional requests, remembered 404s, offline, errors, limits
 * and the auth token.
 */
#include "sg_test.h"
#include "http_server.h"

#include "verifier/trust/trust_int.h"

static sg_ctx *ctx;

typedef struct fx {
    char *dir;
    sgt_http_server *srv;
    sgt_http_route routes[6];
    sg_cache *cache;
    sg_npm_config *cfg;
    sg_trust_src src;
    char url[512];
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    char cache[4200];
    sg_ctx_new(&ctx);
    f->dir = sgt_tmpdir();
    snprintf(cache, sizeof(cache), "%s/cache", f->dir);
    assert_int_equal(sg_cache_open(&f->cache, ctx, cache), 0);
    sgt_http_start_routes(&f->srv, NULL, 0);
    f->routes[0].target = "/-/npm/v1/keys";
    f->routes[0].body = "{\"keys\":[]}";
    f->routes[0].etag = "\"k1\"";
    f->routes[1].target = "/missing";
    f->routes[1].status = 404;
    f->routes[1].body = "{\"error\":\"not found\"}";
    f->routes[2].target = "/broken";
    f->routes[2].status = 500;
    f->routes[3].target = "/notjson";
    f->routes[3].body = "<html>";
    f->routes[4].target = "/array";
    f->routes[4].body = "[1,2,3]";
    f->routes[5].target = "/moved";
    f->routes[5].status = 302;
    f->routes[5].headers = "Location: /-/npm/v1/keys\r\n";
    sgt_http_set_routes(f->srv, f->routes, 6);
    f->src.cache = f->cache;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sgt_http_stop(f->srv);
    sg_cache_free(f->cache);
    sg_npm_config_free(f->cfg);
    free(f);
    sg_ctx_free(ctx);
    return 0;
}

static const char *url(fx *f, const char *path)
{
    snprintf(f->url, sizeof(f->url), "%s%s", sgt_http_base_url(f->srv), path + 1);
    return f->url;
}

static int get(fx *f, const char *path, int64_t max_age, sg_doc_origin *o, cJSON **doc)
{
    int rc = sg_trust__fetch_json(doc, o, ctx, &f->src, url(f, path), "test", max_age, "doc");
    if (rc < 0)
        print_message("%s\n", sg_error_message(ctx));
    return rc;
}

static void test_fetch__fresh_cached_copies_are_used_without_a_request(void **state)
{
    fx *f = *state;
    sg_doc_origin o;
    cJSON *doc = NULL;
    size_t n = sgt_http_request_count(f->srv);
    assert_int_equal(get(f, "/-/npm/v1/keys", 3600, &o, &doc), 0);
    assert_int_equal(o, SG_DOC_FETCHED);
    assert_non_null(cJSON_GetObjectItem(doc, "keys"));
    cJSON_Delete(doc);
    assert_int_equal(get(f, "/-/npm/v1/keys", 3600, &o, &doc), 0);
    assert_int_equal(o, SG_DOC_CACHED);
    assert_non_null(doc);
    cJSON_Delete(doc);
    assert_int_equal(sgt_http_request_count(f->srv), n + 1);
}

static void test_fetch__stale_copies_are_revalidated_with_their_etag(void **state)
{
    fx *f = *state;
    sgt_http_request req;
    char inm[64];
    sg_doc_origin o;
    cJSON *doc = NULL;
    size_t n;
    assert_int_equal(get(f, "/-/npm/v1/keys", 3600, &o, &doc), 0);
    cJSON_Delete(doc);
    n = sgt_http_request_count(f->srv);
    assert_int_equal(get(f, "/-/npm/v1/keys", 0, &o, &doc), 0);
    assert_int_equal(o, SG_DOC_FETCHED); /* revalidated: 304 */
    assert_non_null(cJSON_GetObjectItem(doc, "keys"));
    cJSON_Delete(doc);
    assert_int_equal(sgt_http_request_count(f->srv), n + 1);
    sgt_http_request_get(f->srv, n, &req);
    assert_true(sgt_http_header(&req, "If-None-Match", inm, sizeof(inm)));
    assert_string_equal(inm, "\"k1\"");
}

static void test_fetch__404_is_absent_and_remembered(void **state)
{
    fx *f = *state;
    sg_doc_origin o;
    cJSON *doc = NULL;
    size_t n;
    assert_int_equal(get(f, "/missing", 3600, &o, &doc), 0);
    assert_int_equal(o, SG_DOC_ABSENT);
    assert_null(doc);
    n = sgt_http_request_count(f->srv);
    assert_int_equal(get(f, "/missing", 3600, &o, &doc), 0);
    assert_int_equal(o, SG_DOC_ABSENT_CACHED);
    assert_int_equal(sgt_http_request_count(f->srv), n);
}

static void test_fetch__offline_uses_any_cached_answer_or_says_what_is_missing(void **state)
{
    fx *f = *state;
    sg_doc_origin o;
    cJSON *doc = NULL;
    size_t n;
    assert_int_equal(get(f, "/-/npm/v1/keys", 0, &o, &doc), 0);
    cJSON_Delete(doc);
    f->src.offline = 1;
    n = sgt_http_request_count(f->srv);
    assert_int_equal(get(f, "/-/npm/v1/keys", 0, &o, &doc), 0); /* stale, but offline */
    assert_int_equal(o, SG_DOC_CACHED);
    cJSON_Delete(doc);
    assert_int_equal(
        sg_trust__fetch_json(&doc, &o, ctx, &f->src, url(f, "/never"), "test", 0, "doc"),
        SG_ENOTFOUND);
    assert_non_null(strstr(sg_error_message(ctx), "not in the cache (offline)"));
    sg_error_clear(ctx);
    assert_int_equal(sgt_http_request_count(f->srv), n);
    f->src.offline = 0;
}

static void test_fetch__bad_answers_are_errors(void **state)
{
    fx *f = *state;
    sg_doc_origin o;
    cJSON *doc = NULL;
    assert_int_equal(
        sg_trust__fetch_json(&doc, &o, ctx, &f->src, url(f, "/broken"), "test", 0, "doc"), SG_ENET);
    assert_non_null(strstr(sg_error_message(ctx), "HTTP 500"));
    sg_error_clear(ctx);
    assert_int_equal(
        sg_trust__fetch_json(&doc, &o, ctx, &f->src, url(f, "/notjson"), "test", 0, "doc"),
        SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(
        sg_trust__fetch_json(&doc, &o, ctx, &f->src, url(f, "/array"), "test", 0, "doc"),
        SG_EINVALID);
    sg_error_clear(ctx);
    assert_null(doc);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_JSON_SIZE, 4), 0);
    assert_int_equal(
        sg_trust__fetch_json(&doc, &o, ctx, &f->src, url(f, "/-/npm/v1/keys"), "other", 0, "doc"),
        SG_ELIMIT);
    sg_error_clear(ctx);
    assert_int_equal(
        sg_ctx_set_limit(ctx, SG_LIMIT_JSON_SIZE, sg_limit_default(SG_LIMIT_JSON_SIZE)), 0);
}

static void test_fetch__a_url_that_is_not_http_is_named_without_its_credentials(void **state)
{
    fx *f = *state;
    sg_doc_origin o;
    cJSON *doc = NULL;
    assert_int_equal(sg_trust__fetch_json(&doc, &o, ctx, &f->src,
                                          "ftp://user:s3cret@example.com/keys?token=t0k", "test", 0,
                                          "doc"),
                     SG_EINVALID);
    assert_string_equal(sg_error_message(ctx),
                        "'ftp://example.com/keys?...' is not an http or https URL");
    assert_null(doc);
    sg_error_clear(ctx);
}

static void test_fetch__redirects_are_followed_and_the_token_is_sent(void **state)
{
    fx *f = *state;
    char rc[512], auth[128];
    sgt_http_request req;
    sg_doc_origin o;
    cJSON *doc = NULL;
    size_t n;
    snprintf(rc, sizeof(rc), "//127.0.0.1:%d/:_authToken=s3cret\n", sgt_http_port(f->srv));
    assert_int_equal(sg_npm_config_new(&f->cfg, ctx), 0);
    assert_int_equal(sg_npm_config_parse(f->cfg, ctx, rc, strlen(rc), ".npmrc", NULL), 0);
    f->src.config = f->cfg;
    n = sgt_http_request_count(f->srv);
    assert_int_equal(get(f, "/moved", 0, &o, &doc), 0);
    assert_int_equal(o, SG_DOC_FETCHED);
    assert_non_null(cJSON_GetObjectItem(doc, "keys"));
    cJSON_Delete(doc);
    sgt_http_request_get(f->srv, n, &req);
    assert_true(sgt_http_header(&req, "Authorization", auth, sizeof(auth)));
    assert_string_equal(auth, "Bearer s3cret");
    f->src.config = NULL;
}

static void test_fetch__the_token_never_follows_a_redirect_to_another_host(void **state)
{
    fx *f = *state;
    sgt_http_server *other = NULL;
    sgt_http_route there[1] = {{.target = "/keys", .body = "{\"keys\":[]}"}};
    sgt_http_route here[1] = {{.target = "/away", .status = 302}};
    char rc[512], loc[256];
    sgt_http_request req;
    sg_doc_origin o;
    cJSON *doc = NULL;

    sgt_http_start_routes(&other, there, 1);
    snprintf(loc, sizeof(loc), "Location: %skeys\r\n", sgt_http_base_url(other));
    here[0].headers = loc;
    sgt_http_set_routes(f->srv, here, 1);
    snprintf(rc, sizeof(rc), "//127.0.0.1:%d/:_authToken=s3cret\n", sgt_http_port(f->srv));
    sg_npm_config_free(f->cfg); /* an earlier test's */
    assert_int_equal(sg_npm_config_new(&f->cfg, ctx), 0);
    assert_int_equal(sg_npm_config_parse(f->cfg, ctx, rc, strlen(rc), ".npmrc", NULL), 0);
    f->src.config = f->cfg;
    assert_int_equal(get(f, "/away", 0, &o, &doc), 0);
    assert_int_equal(o, SG_DOC_FETCHED);
    cJSON_Delete(doc);
    sgt_http_request_get(f->srv, sgt_http_request_count(f->srv) - 1, &req);
    assert_true(sgt_http_header(&req, "Authorization", NULL, 0));
    assert_int_equal(sgt_http_request_count(other), 1);
    sgt_http_request_get(other, 0, &req);
    assert_false(sgt_http_header(&req, "Authorization", NULL, 0));
    assert_null(strstr(req.headers, "s3cret"));
    f->src.config = NULL;
    sg_npm_config_free(f->cfg);
    f->cfg = NULL;
    sgt_http_set_routes(f->srv, f->routes, 6); /* the fixture is shared by the group */
    sgt_http_stop(other);
}

static void test_fetch__limit_message_wording(void **state)
{
    fx *f = *state;
    sg_doc_origin o;
    cJSON *doc = NULL;
    char want[700];
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_JSON_SIZE, 4), 0);
    assert_int_equal(
        sg_trust__fetch_json(&doc, &o, ctx, &f->src, url(f, "/-/npm/v1/keys"), "other", 0, "doc"),
        SG_ELIMIT);
    snprintf(want, sizeof(want), "doc from '%s' is larger than the json-size limit (4 bytes)",
             url(f, "/-/npm/v1/keys"));
    assert_string_equal(sg_error_message(ctx), want);
    sg_error_clear(ctx);
    assert_int_equal(
        sg_ctx_set_limit(ctx, SG_LIMIT_JSON_SIZE, sg_limit_default(SG_LIMIT_JSON_SIZE)), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fetch__fresh_cached_copies_are_used_without_a_request),
        cmocka_unit_test(test_fetch__stale_copies_are_revalidated_with_their_etag),
        cmocka_unit_test(test_fetch__404_is_absent_and_remembered),
        cmocka_unit_test(test_fetch__offline_uses_any_cached_answer_or_says_what_is_missing),
        cmocka_unit_test(test_fetch__bad_answers_are_errors),
        cmocka_unit_test(test_fetch__a_url_that_is_not_http_is_named_without_its_credentials),
        cmocka_unit_test(test_fetch__redirects_are_followed_and_the_token_is_sent),
        cmocka_unit_test(test_fetch__the_token_never_follows_a_redirect_to_another_host),
        cmocka_unit_test(test_fetch__limit_message_wording),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
