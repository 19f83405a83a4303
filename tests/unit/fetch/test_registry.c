/*
 * Tests of the registry client (verifier/fetch/registry.c) against the loopback HTTP server of
 * tests/support/http_server.c: packuments, tarballs, retries, limits, redirects, the cache,
 * offline mode and where auth tokens go.
 */
#include "sg_test.h"
#include "http_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "common/alloc.h"
#include "verifier/fetch/registry_int.h"

typedef struct fx {
    sg_ctx *ctx;           /* context of the calls */
    char *dir;             /* cache folder */
    sg_cache *cache;       /* the cache */
    sg_npm_config *cfg;    /* configuration */
    sgt_http_server *srv;  /* the registry */
    sgt_http_server *srv2; /* a second host */
    sg_registry *reg;      /* client under test */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    f->dir = sgt_tmpdir();
    assert_int_equal(sg_cache_open(&f->cache, f->ctx, f->dir), 0);
    assert_int_equal(sg_npm_config_new(&f->cfg, f->ctx), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_registry_free(f->reg);
    sgt_http_stop(f->srv);
    sgt_http_stop(f->srv2);
    sg_npm_config_free(f->cfg);
    sg_cache_free(f->cache);
    sg_ctx_free(f->ctx);
    sgt_rm_rf(f->dir);
    free(f);
    return 0;
}

/* A client with test-sized timeouts; retries < 0 means none. */
static sg_registry *client(fx *f, int offline, int retries)
{
    sg_registry_opts o = SG_REGISTRY_OPTS_INIT;
    sg_registry *reg = NULL;
    o.cache = f->cache;
    o.config = f->cfg;
    o.offline = offline;
    o.connect_timeout_ms = 2000;
    o.total_timeout_ms = 1000;
    o.low_speed_time_s = 1;
    o.max_retries = retries;
    o.retry_base_ms = 10;
    assert_int_equal(sg_registry_new(&reg, f->ctx, &o), 0);
    return reg;
}

/* Start the registry server with routes and point the configuration and a client at it. */
static void start(fx *f, const sgt_http_route *routes, size_t n, int retries)
{
    sgt_http_start_routes(&f->srv, routes, n);
    assert_int_equal(sg_npm_config_set_registry(f->cfg, f->ctx, sgt_http_base_url(f->srv)), 0);
    f->reg = client(f, 0, retries);
}

static sg_registry_stats stats(const fx *f)
{
    sg_registry_stats s;
    sg_registry_stats_get(f->reg, &s);
    return s;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Regular files below dir/sub (recursively). */
static int count_files(const char *dir, const char *sub)
{
    char path[8192];
    DIR *d;
    struct dirent *e;
    int n = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, sub);
    if (!(d = opendir(path)))
        return 0;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        char child[2048];
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(child, sizeof(child), "%s/%s", sub, e->d_name);
        snprintf(path, sizeof(path), "%s/%s", dir, child);
        if (lstat(path, &st) < 0)
            continue;
        n += S_ISDIR(st.st_mode) ? count_files(dir, child) : 1;
    }
    closedir(d);
    return n;
}

static int file_exists(const char *dir, const char *rel)
{
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    return stat(path, &st) == 0;
}

/* SRI and hex of bytes, computed here with OpenSSL (independent of the code under test). */
static void sri(char *out, size_t size, const char *alg, const void *data, size_t len)
{
    unsigned char md[64], b64[100];
    unsigned int n = 0;
    EVP_Digest(data, len, md, &n, EVP_get_digestbyname(alg), NULL);
    EVP_EncodeBlock(b64, md, (int)n);
    snprintf(out, size, "%s-%s", alg, (const char *)b64);
}

static void sha1_hex(char out[41], const void *data, size_t len)
{
    unsigned char md[20];
    unsigned int n = 0, i;
    EVP_Digest(data, len, md, &n, EVP_sha1(), NULL);
    for (i = 0; i < 20; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static const char PKG_JSON[] = "{\"name\":\"pkg\",\"dist-tags\":{\"latest\":\"1.0.0\"},"
                               "\"versions\":{\"1.0.0\":{\"name\":\"pkg\",\"version\":\"1.0.0\"}},"
                               "\"time\":{\"1.0.0\":\"2024-01-01T00:00:00.000Z\"}}";
static const unsigned char TGZ[] = {0x1f, 0x8b, 0x08, 0x00, 'n',  'o',  't', ' ', 'a', ' ',
                                    't',  'a',  'r',  0x00, 0xff, 0x10, 'x', 'y', 'z', '\n'};

/* ---- packuments -------------------------------------------------------------------------- */

static void test_registry__packument_fetched_with_full_accept_header(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/pkg", .body = PKG_JSON}};
    sgt_http_request req;
    char accept[256];
    cJSON *doc = NULL;

    start(f, routes, 1, 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), 0);
    assert_string_equal(cJSON_GetObjectItem(doc, "name")->valuestring, "pkg");
    assert_non_null(cJSON_GetObjectItem(doc, "time"));
    assert_int_equal(sgt_http_request_count(f->srv), 1);
    sgt_http_request_get(f->srv, 0, &req);
    assert_string_equal(req.method, "GET");
    assert_string_equal(req.target, "/pkg");
    assert_true(sgt_http_header(&req, "Accept", accept, sizeof(accept)));
    assert_string_equal(accept, "application/json"); /* not the corgi form */
    assert_false(sgt_http_header(&req, "Authorization", NULL, 0));
    assert_false(sgt_http_header(&req, "If-None-Match", NULL, 0));
    assert_int_equal(stats(f).requests, 1);
    cJSON_Delete(doc);
}

static void test_registry__scoped_name_encoded_in_path_and_cache(void **state)
{
    fx *f = *state;
    static const char body[] = "{\"name\":\"@scope/pkg\",\"versions\":{}}";
    sgt_http_route routes[] = {{.target = "/@scope%2fpkg", .body = body}};
    sgt_http_request req;
    char rel[256];
    cJSON *doc = NULL;

    start(f, routes, 1, 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "@scope/pkg"), 0);
    sgt_http_request_get(f->srv, 0, &req);
    assert_string_equal(req.target, "/@scope%2fpkg");
    snprintf(rel, sizeof(rel), "packuments/127.0.0.1:%d/@scope%%2fpkg.json", sgt_http_port(f->srv));
    assert_true(file_exists(f->dir, rel));
    cJSON_Delete(doc);
}

static void test_registry__invalid_names_rejected_without_request(void **state)
{
    fx *f = *state;
    static const char *const bad[] = {"",        "../x", "@scope", "@/x",    "a/b",
                                      ".hidden", "a b",  "@s/x/y", "x%2f..", "@scope/.."};
    cJSON *doc = NULL;
    size_t i;

    start(f, NULL, 0, 0);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sg_error_clear(f->ctx);
        assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, bad[i]), SG_EINVALID);
        assert_null(doc);
    }
    assert_int_equal(sgt_http_request_count(f->srv), 0);
}

static void test_registry__conditional_request_uses_etag_and_304(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/pkg", .body = PKG_JSON, .etag = "\"v1\""}};
    sgt_http_request req;
    char inm[64];
    cJSON *a = NULL, *b = NULL;

    start(f, routes, 1, 0);
    assert_int_equal(sg_registry_packument(&a, f->ctx, f->reg, "pkg"), 0);
    assert_int_equal(sg_registry_packument(&b, f->ctx, f->reg, "pkg"), 0);
    assert_int_equal(sgt_http_request_count(f->srv), 2);
    sgt_http_request_get(f->srv, 0, &req);
    assert_false(sgt_http_header(&req, "If-None-Match", NULL, 0));
    sgt_http_request_get(f->srv, 1, &req);
    assert_true(sgt_http_header(&req, "If-None-Match", inm, sizeof(inm)));
    assert_string_equal(inm, "\"v1\"");
    assert_int_equal(stats(f).not_modified, 1);
    assert_int_equal(stats(f).requests, 2);
    assert_true(cJSON_Compare(a, b, 1));
    cJSON_Delete(a);
    cJSON_Delete(b);
}

static void test_registry__new_etag_replaces_cached_copy(void **state)
{
    fx *f = *state;
    static const char v2[] = "{\"name\":\"pkg\",\"versions\":{\"2.0.0\":{}}}";
    sgt_http_route first[] = {{.target = "/pkg", .body = PKG_JSON, .etag = "\"v1\""}};
    sgt_http_route second[] = {{.target = "/pkg", .body = v2, .etag = "\"v2\""}};
    cJSON *a = NULL, *b = NULL, *c = NULL;

    start(f, first, 1, 0);
    assert_int_equal(sg_registry_packument(&a, f->ctx, f->reg, "pkg"), 0);
    sgt_http_set_routes(f->srv, second, 1);
    assert_int_equal(sg_registry_packument(&b, f->ctx, f->reg, "pkg"), 0);
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "versions"), "2.0.0"));
    assert_int_equal(sg_registry_packument(&c, f->ctx, f->reg, "pkg"), 0);
    assert_true(cJSON_Compare(b, c, 1));
    assert_int_equal(stats(f).not_modified, 1); /* only the third call */
    cJSON_Delete(a);
    cJSON_Delete(b);
    cJSON_Delete(c);
}

/* gzip of data (a raw gzip stream, as a server's Content-Encoding: gzip) via libarchive. */
static unsigned char *gzip(const void *data, size_t len, size_t *out_len)
{
    size_t cap = len + 1024, used = 0;
    unsigned char *out = malloc(cap);
    struct archive *a = archive_write_new();
    struct archive_entry *e = archive_entry_new();
    assert_non_null(out);
    assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
    assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open_memory(a, out, cap, &used), ARCHIVE_OK);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_size(e, (la_int64_t)len);
    assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    archive_entry_free(e);
    *out_len = used;
    return out;
}

static void test_registry__gzip_packument_decoded_and_bomb_refused(void **state)
{
    fx *f = *state;
    size_t zlen = 0, blen = 0, big = 400000;
    unsigned char *z = gzip(PKG_JSON, strlen(PKG_JSON), &zlen), *bomb;
    char *raw = malloc(big + 64), enc[128];
    sgt_http_route routes[] = {
        {.target = "/pkg", .headers = "Content-Encoding: gzip\r\n", .body = z, .body_len = zlen},
        {.target = "/bomb", .headers = "Content-Encoding: gzip\r\n"}};
    sgt_http_request req;
    cJSON *doc = NULL;

    assert_non_null(raw);
    snprintf(raw, 64, "%s", "{\"name\":\"bomb\",\"x\":\"");
    memset(raw + strlen(raw), 'a', big);
    memcpy(raw + 21 + big, "\"}", 3);
    bomb = gzip(raw, strlen(raw), &blen);
    assert_true(blen < 10000);
    routes[1].body = bomb;
    routes[1].body_len = blen;
    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_JSON_SIZE, 100000), 0);
    start(f, routes, 2, 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), 0);
    assert_string_equal(cJSON_GetObjectItem(doc, "name")->valuestring, "pkg");
    cJSON_Delete(doc);
    doc = NULL;
    sgt_http_request_get(f->srv, 0, &req);
    assert_true(sgt_http_header(&req, "Accept-Encoding", enc, sizeof(enc)));
    assert_non_null(strstr(enc, "gzip"));
    /* small on the wire, over the limit once decoded */
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "bomb"), SG_ELIMIT);
    assert_null(doc);
    sgt_http_stop(f->srv);
    f->srv = NULL;
    free(z);
    free(bomb);
    free(raw);
}

static void test_registry__retries_500_then_succeeds(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/pkg", .times = 2, .status = 500, .body = "oops"},
                               {.target = "/pkg", .body = PKG_JSON}};
    cJSON *doc = NULL;

    start(f, routes, 2, 3);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), 0);
    assert_int_equal(sgt_http_request_count(f->srv), 3);
    assert_int_equal(stats(f).requests, 3);
    cJSON_Delete(doc);
}

static void test_registry__gives_up_after_retries_on_persistent_500(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/pkg", .status = 503}};
    cJSON *doc = NULL;

    start(f, routes, 1, 2);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), SG_ENET);
    assert_null(doc);
    assert_int_equal(sgt_http_request_count(f->srv), 3);
    assert_non_null(strstr(sg_error_message(f->ctx), "503"));
}

static void test_registry__honours_retry_after_on_429(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {
        {.target = "/pkg", .times = 1, .status = 429, .headers = "Retry-After: 1\r\n"},
        {.target = "/pkg", .body = PKG_JSON}};
    cJSON *doc = NULL;
    double t0;

    start(f, routes, 2, 3);
    t0 = now_s();
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), 0);
    /* the backoff alone would be 10 ms: waiting ~1 s is Retry-After */
    assert_true(now_s() - t0 >= 0.9);
    assert_true(now_s() - t0 < 5.0);
    assert_int_equal(sgt_http_request_count(f->srv), 2);
    cJSON_Delete(doc);
}

static void test_registry__stalled_response_times_out(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/pkg",
                                .body = PKG_JSON,
                                .fault = SGT_HTTP_STALL,
                                .fault_after = 10,
                                .stall_ms = 8000}};
    cJSON *doc = NULL;
    double t0;

    start(f, routes, 1, -1);
    t0 = now_s();
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), SG_ENET);
    assert_true(now_s() - t0 < 4.0);
    assert_null(doc);
    assert_non_null(strstr(sg_error_message(f->ctx), "127.0.0.1"));
}

static void test_registry__content_length_over_limit_refused(void **state)
{
    fx *f = *state;
    /* A body that ends early: reading it would be a truncation (SG_ENET); the header alone
     * must be refused (SG_ELIMIT), and limits are not retried. */
    sgt_http_route routes[] = {{.target = "/pkg",
                                .body = PKG_JSON,
                                .fault = SGT_HTTP_LIE_LENGTH,
                                .content_length = 1ull << 40}};
    cJSON *doc = NULL;

    start(f, routes, 1, 3);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), SG_ELIMIT);
    assert_non_null(strstr(sg_error_message(f->ctx), "json-size"));
    assert_int_equal(sgt_http_request_count(f->srv), 1);
}

static void test_registry__body_over_json_limit_refused_while_reading(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/pkg", .body = PKG_JSON, .fault = SGT_HTTP_NO_LENGTH}};
    cJSON *doc = NULL;

    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_JSON_SIZE, 64), 0);
    start(f, routes, 1, 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), SG_ELIMIT);
    assert_int_equal(count_files(f->dir, "packuments"), 0);
}

static void test_registry__truncated_body_is_an_error(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {
        {.target = "/pkg", .body = PKG_JSON, .fault = SGT_HTTP_TRUNCATE, .fault_after = 20}};
    cJSON *doc = NULL;

    start(f, routes, 1, 1);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), SG_ENET);
    assert_int_equal(sgt_http_request_count(f->srv), 2); /* transient: retried once */
    assert_int_equal(count_files(f->dir, "packuments"), 0);
}

static void test_registry__dropped_connection_retried(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/pkg", .times = 1, .fault = SGT_HTTP_DROP},
                               {.target = "/pkg", .body = PKG_JSON}};
    cJSON *doc = NULL;

    start(f, routes, 2, 2);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), 0);
    assert_int_equal(sgt_http_request_count(f->srv), 2);
    cJSON_Delete(doc);
}

static void test_registry__redirect_followed(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/pkg", .status = 301, .headers = "Location: /real\r\n"},
                               {.target = "/real", .body = PKG_JSON}};
    cJSON *doc = NULL;

    start(f, routes, 2, 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), 0);
    assert_int_equal(sgt_http_request_count(f->srv), 2);
    cJSON_Delete(doc);
}

static void test_registry__redirect_loop_fails(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/pkg", .status = 302, .headers = "Location: /pkg\r\n"}};
    cJSON *doc = NULL;

    start(f, routes, 1, 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), SG_ENET);
    assert_non_null(strstr(sg_error_message(f->ctx), "redirects"));
    assert_int_equal(sgt_http_request_count(f->srv), 6); /* the request and 5 redirects */
}

static void test_registry__redirect_to_other_scheme_refused(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {
        {.target = "/pkg", .status = 302, .headers = "Location: file:///etc/passwd\r\n"}};
    cJSON *doc = NULL;

    start(f, routes, 1, 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), SG_ENET);
    assert_int_equal(sgt_http_request_count(f->srv), 1);
}

static void test_registry__invalid_json_rejected_and_not_cached(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/pkg", .body = "{\"name\":\"pkg\",\"versions\":"}};
    cJSON *doc = NULL;

    start(f, routes, 1, 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), SG_EINVALID);
    assert_null(doc);
    assert_int_equal(count_files(f->dir, "packuments"), 0);
}

static void test_registry__not_an_object_or_other_package_rejected(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/a", .body = "[1,2,3]"},
                               {.target = "/b", .body = "{\"name\":\"evil\",\"versions\":{}}"}};
    cJSON *doc = NULL;

    start(f, routes, 2, 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "a"), SG_EINVALID);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "b"), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(f->ctx), "evil"));
}

static void test_registry__deeply_nested_json_over_depth_limit(void **state)
{
    fx *f = *state;
    size_t depth = 5000, i;
    char *body = malloc(2 * depth + 32);
    sgt_http_route routes[] = {{.target = "/pkg"}};
    cJSON *doc = NULL;

    assert_non_null(body);
    memcpy(body, "{\"name\":\"pkg\",\"x\":", 18);
    for (i = 0; i < depth; i++)
        body[18 + i] = '[';
    for (i = 0; i < depth; i++)
        body[18 + depth + i] = ']';
    memcpy(body + 18 + 2 * depth, "}", 2);
    routes[0].body = body;
    start(f, routes, 1, 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), SG_ELIMIT);
    assert_non_null(strstr(sg_error_message(f->ctx), "json-depth"));
    sgt_http_stop(f->srv);
    f->srv = NULL;
    free(body);
}

static void test_registry__missing_package_is_not_found(void **state)
{
    fx *f = *state;
    cJSON *doc = NULL;

    start(f, NULL, 0, 3);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "nope"), SG_ENOTFOUND);
    assert_non_null(strstr(sg_error_message(f->ctx), "'nope'"));
    assert_int_equal(sgt_http_request_count(f->srv), 1); /* a 404 is not retried */
}

/* ---- tarballs ---------------------------------------------------------------------------- */

static void tarball_url(char *out, size_t size, const sgt_http_server *srv, const char *path)
{
    snprintf(out, size, "%s%s", sgt_http_base_url(srv), path);
}

static void test_registry__tarball_good_integrity_cached(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {
        {.target = "/pkg/-/pkg-1.0.0.tgz", .body = TGZ, .body_len = sizeof(TGZ)}};
    char url[256], integrity[200], shasum[41], rel[300], hex[129];
    unsigned char *bytes = NULL, md[64];
    unsigned int n;
    size_t len = 0, i;

    start(f, routes, 1, 0);
    tarball_url(url, sizeof(url), f->srv, "pkg/-/pkg-1.0.0.tgz");
    sri(integrity, sizeof(integrity), "sha512", TGZ, sizeof(TGZ));
    sha1_hex(shasum, TGZ, sizeof(TGZ));
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, shasum), 0);
    assert_int_equal(len, sizeof(TGZ));
    assert_memory_equal(bytes, TGZ, sizeof(TGZ));
    free(bytes);
    EVP_Digest(TGZ, sizeof(TGZ), md, &n, EVP_sha512(), NULL);
    for (i = 0; i < 64; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(rel, sizeof(rel), "tarballs/sha512/%.2s/%s.tgz", hex, hex);
    assert_true(file_exists(f->dir, rel));
    assert_int_equal(count_files(f->dir, "tmp"), 0);
    {
        sg_buf sri_buf = SG_BUF_INIT;
        assert_int_equal(sg_integrity_sha512(&sri_buf, f->ctx, TGZ, sizeof(TGZ)), 0);
        assert_string_equal(sri_buf.ptr, integrity);
        sg_buf_dispose(&sri_buf);
    }
}

static void test_registry__integrity_sha512_of_empty_input(void **state)
{
    fx *f = *state;
    sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_integrity_sha512(&b, f->ctx, (const unsigned char *)"", 0), 0);
    assert_string_equal(b.ptr, "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGN"
                               "KHfuwvY7kxvUdBeoGlODJ6+SfaPg==");
    sg_buf_dispose(&b);
}

static void test_registry__tarball_wrong_integrity_discarded(void **state)
{
    fx *f = *state;
    static const unsigned char other[] = "other bytes";
    sgt_http_route routes[] = {{.target = "/t.tgz", .body = TGZ, .body_len = sizeof(TGZ)}};
    char url[256], expected[200], actual[200];
    unsigned char *bytes = NULL;
    size_t len = 0;

    start(f, routes, 1, 0);
    tarball_url(url, sizeof(url), f->srv, "t.tgz");
    sri(expected, sizeof(expected), "sha512", other, sizeof(other));
    sri(actual, sizeof(actual), "sha512", TGZ, sizeof(TGZ));
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, expected, NULL),
                     SG_EINTEGRITY);
    assert_null(bytes);
    assert_non_null(strstr(sg_error_message(f->ctx), expected));
    assert_non_null(strstr(sg_error_message(f->ctx), actual));
    assert_int_equal(count_files(f->dir, "tarballs"), 0);
    assert_int_equal(count_files(f->dir, "tmp"), 0);
}

static void test_registry__tarball_shasum_only_checked(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/t.tgz", .body = TGZ, .body_len = sizeof(TGZ)}};
    char url[256], good[41];
    unsigned char *bytes = NULL;
    size_t len = 0;

    start(f, routes, 1, 0);
    tarball_url(url, sizeof(url), f->srv, "t.tgz");
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, NULL,
                                         "0000000000000000000000000000000000000000"),
                     SG_EINTEGRITY);
    assert_non_null(strstr(sg_error_message(f->ctx), "shasum"));
    assert_int_equal(count_files(f->dir, "tarballs"), 0);
    sg_error_clear(f->ctx);
    sha1_hex(good, TGZ, sizeof(TGZ));
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, NULL, good), 0);
    assert_memory_equal(bytes, TGZ, sizeof(TGZ));
    free(bytes);
    bytes = NULL;
    /* a second time comes from the cache, through the sha1 index */
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, NULL, good), 0);
    assert_int_equal(stats(f).cache_hits, 1);
    assert_int_equal(sgt_http_request_count(f->srv), 2);
    free(bytes);
}

static void test_registry__tarball_needs_a_digest(void **state)
{
    fx *f = *state;
    char url[256];
    unsigned char *bytes = NULL;
    size_t len = 0;

    start(f, NULL, 0, 0);
    tarball_url(url, sizeof(url), f->srv, "t.tgz");
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, NULL, NULL),
                     SG_EINVALID);
    sg_error_clear(f->ctx);
    assert_int_equal(
        sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, "md5-AAAA whatever", NULL),
        SG_EINVALID);
    sg_error_clear(f->ctx);
    assert_int_equal(
        sg_registry_tarball(&bytes, &len, f->ctx, f->reg, "ftp://h/x.tgz", "sha512-AAAA", NULL),
        SG_EINVALID);
    assert_int_equal(sgt_http_request_count(f->srv), 0);
}

static void test_registry__tarball_strongest_sri_algorithm_decides(void **state)
{
    fx *f = *state;
    static const unsigned char other[] = "other";
    sgt_http_route routes[] = {{.target = "/t.tgz", .body = TGZ, .body_len = sizeof(TGZ)}};
    char url[256], good512[200], bad1[200], good1[200], bad512[200], good256[200], both[500];
    unsigned char *bytes = NULL;
    size_t len = 0;

    start(f, routes, 1, 0);
    tarball_url(url, sizeof(url), f->srv, "t.tgz");
    sri(good512, sizeof(good512), "sha512", TGZ, sizeof(TGZ));
    sri(good1, sizeof(good1), "sha1", TGZ, sizeof(TGZ));
    sri(good256, sizeof(good256), "sha256", TGZ, sizeof(TGZ));
    sri(bad512, sizeof(bad512), "sha512", other, sizeof(other));
    sri(bad1, sizeof(bad1), "sha1", other, sizeof(other));

    /* a wrong weaker hash beside a right sha512: accepted, as ssri does */
    snprintf(both, sizeof(both), "%s %s?opt", bad1, good512);
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, both, NULL), 0);
    free(bytes);
    bytes = NULL;
    sgt_rm_rf(f->dir);
    sg_cache_free(f->cache);
    assert_int_equal(sg_cache_open(&f->cache, f->ctx, f->dir), 0);
    sg_registry_free(f->reg);
    f->reg = client(f, 0, 0);

    /* a right sha1 beside a wrong sha512: refused */
    snprintf(both, sizeof(both), "%s %s", good1, bad512);
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, both, NULL),
                     SG_EINTEGRITY);
    sg_error_clear(f->ctx);

    /* sha256 alone (with an unknown algorithm beside it) */
    snprintf(both, sizeof(both), "sha3-AAAA %s", good256);
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, both, NULL), 0);
    free(bytes);
}

static void test_registry__tarball_served_from_cache_without_request(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/t.tgz", .body = TGZ, .body_len = sizeof(TGZ)}};
    char url[256], integrity[200];
    unsigned char *bytes = NULL;
    size_t len = 0;

    start(f, routes, 1, 0);
    tarball_url(url, sizeof(url), f->srv, "t.tgz");
    sri(integrity, sizeof(integrity), "sha512", TGZ, sizeof(TGZ));
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL), 0);
    free(bytes);
    bytes = NULL;
    /* another URL, same digest: content addressing finds it */
    tarball_url(url, sizeof(url), f->srv, "elsewhere.tgz");
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL), 0);
    assert_memory_equal(bytes, TGZ, sizeof(TGZ));
    free(bytes);
    assert_int_equal(sgt_http_request_count(f->srv), 1);
    assert_int_equal(stats(f).cache_hits, 1);
    assert_int_equal(stats(f).requests, 1);
}

static void test_registry__corrupt_cached_tarball_fetched_again(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/t.tgz", .body = TGZ, .body_len = sizeof(TGZ)}};
    char url[256], integrity[200], path[4096], hex[129];
    unsigned char *bytes = NULL, md[64];
    unsigned int n;
    size_t len = 0, i;

    start(f, routes, 1, 0);
    tarball_url(url, sizeof(url), f->srv, "t.tgz");
    sri(integrity, sizeof(integrity), "sha512", TGZ, sizeof(TGZ));
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL), 0);
    free(bytes);
    bytes = NULL;
    EVP_Digest(TGZ, sizeof(TGZ), md, &n, EVP_sha512(), NULL);
    for (i = 0; i < 64; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    snprintf(path, sizeof(path), "%s/tarballs/sha512/%.2s/%s.tgz", f->dir, hex, hex);
    sgt_write_file(path, "tampered", 8, 0600);
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL), 0);
    assert_memory_equal(bytes, TGZ, sizeof(TGZ));
    free(bytes);
    assert_int_equal(sgt_http_request_count(f->srv), 2);
    assert_int_equal(stats(f).cache_hits, 0);
}

static void test_registry__tarball_over_limit_while_streaming(void **state)
{
    fx *f = *state;
    static unsigned char big[5000];
    sgt_http_route routes[] = {
        {.target = "/big.tgz", .body = big, .body_len = sizeof(big), .fault = SGT_HTTP_NO_LENGTH},
        {.target = "/lie.tgz",
         .body = TGZ,
         .body_len = sizeof(TGZ),
         .fault = SGT_HTTP_LIE_LENGTH,
         .content_length = 1ull << 33}};
    char url[256], integrity[200];
    unsigned char *bytes = NULL;
    size_t len = 0;

    memset(big, 'x', sizeof(big));
    assert_int_equal(sg_ctx_set_limit(f->ctx, SG_LIMIT_TARBALL_BYTES, 1000), 0);
    start(f, routes, 2, 0);
    sri(integrity, sizeof(integrity), "sha512", big, sizeof(big));
    tarball_url(url, sizeof(url), f->srv, "big.tgz");
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL),
                     SG_ELIMIT);
    assert_non_null(strstr(sg_error_message(f->ctx), "tarball-bytes"));
    sg_error_clear(f->ctx);
    tarball_url(url, sizeof(url), f->srv, "lie.tgz");
    sri(integrity, sizeof(integrity), "sha512", TGZ, sizeof(TGZ));
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL),
                     SG_ELIMIT);
    assert_int_equal(count_files(f->dir, "tarballs"), 0);
    assert_int_equal(count_files(f->dir, "tmp"), 0);
}

static void test_registry__tarball_missing_is_not_found(void **state)
{
    fx *f = *state;
    char url[256];
    unsigned char *bytes = NULL;
    size_t len = 0;

    start(f, NULL, 0, 0);
    tarball_url(url, sizeof(url), f->srv, "gone.tgz");
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, "sha512-AAAA", NULL),
                     SG_ENOTFOUND);
    assert_int_equal(count_files(f->dir, "tmp"), 0);
}

/* ---- offline ----------------------------------------------------------------------------- */

static void test_registry__offline_without_cache_says_what_is_missing(void **state)
{
    fx *f = *state;
    char url[256], integrity[200];
    unsigned char *bytes = NULL;
    size_t len = 0;
    cJSON *doc = NULL;

    start(f, NULL, 0, 0);
    sg_registry_free(f->reg);
    f->reg = client(f, 1, 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), SG_ENOTFOUND);
    assert_string_equal(sg_error_message(f->ctx), "package 'pkg' is not in the cache (offline)");
    sg_error_clear(f->ctx);
    tarball_url(url, sizeof(url), f->srv, "t.tgz");
    sri(integrity, sizeof(integrity), "sha512", TGZ, sizeof(TGZ));
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL),
                     SG_ENOTFOUND);
    assert_non_null(strstr(sg_error_message(f->ctx), "not in the cache (offline)"));
    assert_int_equal(sgt_http_request_count(f->srv), 0);
    assert_int_equal(stats(f).requests, 0);
}

static void test_registry__offline_uses_the_cache(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/pkg", .body = PKG_JSON, .etag = "\"e\""},
                               {.target = "/t.tgz", .body = TGZ, .body_len = sizeof(TGZ)}};
    char url[256], integrity[200], shasum[41];
    unsigned char *bytes = NULL;
    size_t len = 0;
    cJSON *doc = NULL;

    start(f, routes, 2, 0);
    tarball_url(url, sizeof(url), f->srv, "t.tgz");
    sri(integrity, sizeof(integrity), "sha512", TGZ, sizeof(TGZ));
    sha1_hex(shasum, TGZ, sizeof(TGZ));
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), 0);
    cJSON_Delete(doc);
    doc = NULL;
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL), 0);
    free(bytes);
    bytes = NULL;
    assert_int_equal(sgt_http_request_count(f->srv), 2);

    sg_registry_free(f->reg);
    f->reg = client(f, 1, 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), 0);
    assert_string_equal(cJSON_GetObjectItem(doc, "name")->valuestring, "pkg");
    cJSON_Delete(doc);
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL), 0);
    assert_memory_equal(bytes, TGZ, sizeof(TGZ));
    free(bytes);
    bytes = NULL;
    /* shasum only: found through the sha1 index */
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, NULL, shasum), 0);
    free(bytes);
    assert_int_equal(sgt_http_request_count(f->srv), 2);
    assert_int_equal(stats(f).requests, 0);
    assert_int_equal(stats(f).cache_hits, 2);
}

/* ---- configuration, auth and credentials ------------------------------------------------- */

static void test_registry__scope_registry_routes_scoped_packages(void **state)
{
    fx *f = *state;
    static const char scoped[] = "{\"name\":\"@corp/x\",\"versions\":{}}";
    sgt_http_route a[] = {{.target = "/plain", .body = "{\"name\":\"plain\"}"}};
    sgt_http_route b[] = {{.target = "/@corp%2fx", .body = scoped}};
    char npmrc[256];
    cJSON *doc = NULL;

    start(f, a, 1, 0);
    sgt_http_start_routes(&f->srv2, b, 1);
    snprintf(npmrc, sizeof(npmrc), "@corp:registry=%s\n", sgt_http_base_url(f->srv2));
    assert_int_equal(sg_npm_config_parse(f->cfg, f->ctx, npmrc, strlen(npmrc), "t", NULL), 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "@corp/x"), 0);
    cJSON_Delete(doc);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "plain"), 0);
    cJSON_Delete(doc);
    assert_int_equal(sgt_http_request_count(f->srv), 1);
    assert_int_equal(sgt_http_request_count(f->srv2), 1);
}

static void test_registry__auth_token_sent_to_registry_host_only(void **state)
{
    fx *f = *state;
    static const char token[] = "s3cr3t-npm-token";
    sgt_http_route b[] = {{.target = "/t.tgz", .body = TGZ, .body_len = sizeof(TGZ)},
                          {.target = "/t2.tgz", .body = TGZ, .body_len = sizeof(TGZ)}};
    sgt_http_route a[] = {{.target = "/pkg", .body = PKG_JSON},
                          {.target = "/own.tgz", .body = TGZ, .body_len = sizeof(TGZ)},
                          {.target = "/r.tgz", .status = 302, .headers = NULL},
                          {.target = "/err", .status = 500},
                          {.target = "/err.tgz", .status = 500}};
    char npmrc[256], url[256], integrity[200], auth[256], loc[256];
    sgt_http_request req;
    unsigned char *bytes = NULL;
    size_t len = 0, i;
    cJSON *doc = NULL;

    start(f, NULL, 0, -1);
    sgt_http_start_routes(&f->srv2, b, 2);
    snprintf(loc, sizeof(loc), "Location: %st2.tgz\r\n", sgt_http_base_url(f->srv2));
    a[2].headers = loc;
    sgt_http_set_routes(f->srv, a, 5);
    snprintf(npmrc, sizeof(npmrc), "//127.0.0.1:%d/:_authToken=%s\n", sgt_http_port(f->srv), token);
    assert_int_equal(sg_npm_config_parse(f->cfg, f->ctx, npmrc, strlen(npmrc), "t", NULL), 0);
    sri(integrity, sizeof(integrity), "sha512", TGZ, sizeof(TGZ));

    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "pkg"), 0);
    cJSON_Delete(doc);
    sgt_http_request_get(f->srv, 0, &req);
    assert_true(sgt_http_header(&req, "Authorization", auth, sizeof(auth)));
    assert_string_equal(auth, "Bearer s3cr3t-npm-token");

    /* a tarball on the registry host gets it; one on another host does not */
    tarball_url(url, sizeof(url), f->srv, "own.tgz");
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL), 0);
    free(bytes);
    sgt_http_request_get(f->srv, 1, &req);
    assert_true(sgt_http_header(&req, "Authorization", NULL, 0));
    sgt_rm_rf(f->dir); /* forget the cached copy */
    sg_cache_free(f->cache);
    assert_int_equal(sg_cache_open(&f->cache, f->ctx, f->dir), 0);
    sg_registry_free(f->reg);
    f->reg = client(f, 0, -1);
    tarball_url(url, sizeof(url), f->srv2, "t.tgz");
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL), 0);
    free(bytes);
    sgt_http_request_get(f->srv2, 0, &req);
    assert_false(sgt_http_header(&req, "Authorization", NULL, 0));

    /* a redirect from the registry to another host drops it */
    sgt_rm_rf(f->dir);
    sg_cache_free(f->cache);
    assert_int_equal(sg_cache_open(&f->cache, f->ctx, f->dir), 0);
    sg_registry_free(f->reg);
    f->reg = client(f, 0, -1);
    tarball_url(url, sizeof(url), f->srv, "r.tgz");
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL), 0);
    free(bytes);
    sgt_http_request_get(f->srv, 2, &req);
    assert_string_equal(req.target, "/r.tgz");
    assert_true(sgt_http_header(&req, "Authorization", NULL, 0));
    sgt_http_request_get(f->srv2, 1, &req);
    assert_string_equal(req.target, "/t2.tgz");
    assert_false(sgt_http_header(&req, "Authorization", NULL, 0));
    for (i = 0; i < sgt_http_request_count(f->srv2); i++) {
        sgt_http_request_get(f->srv2, i, &req);
        assert_null(strstr(req.headers, token));
    }

    /* errors never show it */
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "err"), SG_ENET);
    assert_null(strstr(sg_error_message(f->ctx), token));
    sg_error_clear(f->ctx);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "missing"), SG_ENOTFOUND);
    assert_null(strstr(sg_error_message(f->ctx), token));
    sg_error_clear(f->ctx);
    tarball_url(url, sizeof(url), f->srv, "err.tgz");
    sri(integrity, sizeof(integrity), "sha512", "not cached", 10);
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL),
                     SG_ENET);
    assert_null(strstr(sg_error_message(f->ctx), token));
}

static void test_registry__credentials_in_urls_stripped_from_messages(void **state)
{
    fx *f = *state;
    char reg_url[256], url[256];
    unsigned char *bytes = NULL;
    size_t len = 0;
    cJSON *doc = NULL;

    start(f, NULL, 0, -1);
    snprintf(reg_url, sizeof(reg_url), "http://alice:pw-secret@127.0.0.1:%d/",
             sgt_http_port(f->srv));
    assert_int_equal(sg_npm_config_set_registry(f->cfg, f->ctx, reg_url), 0);
    assert_int_equal(sg_registry_packument(&doc, f->ctx, f->reg, "nope"), SG_ENOTFOUND);
    assert_null(strstr(sg_error_message(f->ctx), "pw-secret"));
    assert_null(strstr(sg_error_message(f->ctx), "alice"));
    assert_non_null(strstr(sg_error_message(f->ctx), "127.0.0.1"));
    sg_error_clear(f->ctx);
    snprintf(url, sizeof(url), "http://bob:pw2@127.0.0.1:%d/x.tgz?token=qq-secret",
             sgt_http_port(f->srv));
    assert_int_equal(sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, "sha512-AAAA", NULL),
                     SG_ENOTFOUND);
    assert_null(strstr(sg_error_message(f->ctx), "pw2"));
    assert_null(strstr(sg_error_message(f->ctx), "qq-secret"));
}

/* Fail the Nth allocation for every N until a call gets through: only SG_ENOMEM or success. */
static void test_registry__allocation_failures_are_reported(void **state)
{
    fx *f = *state;
    sgt_http_route routes[] = {{.target = "/pkg", .body = PKG_JSON, .etag = "\"e\""},
                               {.target = "/t.tgz", .body = TGZ, .body_len = sizeof(TGZ)}};
    char url[256], integrity[200];
    int rc = -1, rt = -1;
    long n;

    start(f, routes, 2, -1);
    tarball_url(url, sizeof(url), f->srv, "t.tgz");
    sri(integrity, sizeof(integrity), "sha512", TGZ, sizeof(TGZ));
    for (n = 0; n < 2000 && (rc != 0 || rt != 0); n++) {
        cJSON *doc = NULL;
        unsigned char *bytes = NULL;
        size_t len = 0;
        sg_error_clear(f->ctx);
        sg_alloc__fail_after(n);
        rc = sg_registry_packument(&doc, f->ctx, f->reg, "pkg");
        sg_alloc__fail_after(-1);
        assert_true(rc == 0 || rc == SG_ENOMEM);
        assert_true((rc == 0) == (doc != NULL));
        cJSON_Delete(doc);
        sg_error_clear(f->ctx);
        sg_alloc__fail_after(n);
        rt = sg_registry_tarball(&bytes, &len, f->ctx, f->reg, url, integrity, NULL);
        sg_alloc__fail_after(-1);
        assert_true(rt == 0 || rt == SG_ENOMEM);
        if (rt == 0)
            assert_memory_equal(bytes, TGZ, sizeof(TGZ));
        free(bytes);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(rt, 0);
    assert_true(n > 5);
}

static void test_registry__packument_parse_matches_fuzz_entry(void **state)
{
    fx *f = *state;
    cJSON *doc = NULL;
    static const char ok[] = "{\"name\":\"x\"}";
    assert_int_equal(sg_registry__parse_packument(&doc, f->ctx, ok, sizeof(ok) - 1, "x"), 0);
    cJSON_Delete(doc);
    assert_int_equal(sg_registry__parse_packument(&doc, f->ctx, "\"x\"", 3, "x"), SG_EINVALID);
    assert_null(doc);
}

int main(void)
{
    /* curl honours proxy variables; the loopback registry must never go through one */
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_registry__packument_fetched_with_full_accept_header),
        T(test_registry__scoped_name_encoded_in_path_and_cache),
        T(test_registry__invalid_names_rejected_without_request),
        T(test_registry__conditional_request_uses_etag_and_304),
        T(test_registry__new_etag_replaces_cached_copy),
        T(test_registry__gzip_packument_decoded_and_bomb_refused),
        T(test_registry__retries_500_then_succeeds),
        T(test_registry__gives_up_after_retries_on_persistent_500),
        T(test_registry__honours_retry_after_on_429),
        T(test_registry__stalled_response_times_out),
        T(test_registry__content_length_over_limit_refused),
        T(test_registry__body_over_json_limit_refused_while_reading),
        T(test_registry__truncated_body_is_an_error),
        T(test_registry__dropped_connection_retried),
        T(test_registry__redirect_followed),
        T(test_registry__redirect_loop_fails),
        T(test_registry__redirect_to_other_scheme_refused),
        T(test_registry__invalid_json_rejected_and_not_cached),
        T(test_registry__not_an_object_or_other_package_rejected),
        T(test_registry__deeply_nested_json_over_depth_limit),
        T(test_registry__missing_package_is_not_found),
        T(test_registry__tarball_good_integrity_cached),
        T(test_registry__integrity_sha512_of_empty_input),
        T(test_registry__tarball_wrong_integrity_discarded),
        T(test_registry__tarball_shasum_only_checked),
        T(test_registry__tarball_needs_a_digest),
        T(test_registry__tarball_strongest_sri_algorithm_decides),
        T(test_registry__tarball_served_from_cache_without_request),
        T(test_registry__corrupt_cached_tarball_fetched_again),
        T(test_registry__tarball_over_limit_while_streaming),
        T(test_registry__tarball_missing_is_not_found),
        T(test_registry__offline_without_cache_says_what_is_missing),
        T(test_registry__offline_uses_the_cache),
        T(test_registry__scope_registry_routes_scoped_packages),
        T(test_registry__auth_token_sent_to_registry_host_only),
        T(test_registry__credentials_in_urls_stripped_from_messages),
        T(test_registry__allocation_failures_are_reported),
        T(test_registry__packument_parse_matches_fuzz_entry),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
