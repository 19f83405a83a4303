/*
 * Tests of the URL helpers (verifier/fetch/url.c): the split that decides which host a token
 * goes to and which cache folder a document lands in (libcurl's parser, compared here with
 * what WHATWG URL, and so npm, makes of the same text), and the redaction used in messages.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/fetch/registry_int.h"
#include "verifier/fetch/url_int.h"

typedef struct split_case {
    const char *url;  /* input */
    int rc;           /* sg_url__split's result */
    const char *host; /* expected parts when rc is 0 */
    const char *port; /* ... */
    const char *path; /* ... */
} split_case;

/* Where npm's `new URL()` agrees, its "//host/pathname" is host + port + path below. */
static const split_case splits[] = {
    {"https://registry.npmjs.org/axios", 0, "registry.npmjs.org", "", "/axios"},
    /* IPv6 literals keep their brackets and are normalized */
    {"http://[::1]:8080/x", 0, "[::1]", "8080", "/x"},
    {"http://[0:0:0:0:0:0:0:1]/x", 0, "[::1]", "", "/x"},
    {"http://[::1]/", 0, "[::1]", "", "/"},
    {"http://u:p@[::1]:81/x?q", 0, "[::1]", "81", "/x"},
    /* userinfo is skipped, never copied */
    {"http://u:p@h.example/x", 0, "h.example", "", "/x"},
    {"https://user@h.example:8443/a", 0, "h.example", "8443", "/a"},
    {"http://a@b@h.example/x", SG_EINVALID, NULL, NULL, NULL},
    /* ports: the scheme's default is dropped, others kept, bad ones refused */
    {"https://h.example:443/x", 0, "h.example", "", "/x"},
    {"http://h.example:80/", 0, "h.example", "", "/"},
    {"http://h.example:443/", 0, "h.example", "443", "/"},
    {"https://registry.example.com:8443/a/b", 0, "registry.example.com", "8443", "/a/b"},
    {"http://h.example:65536/x", SG_EINVALID, NULL, NULL, NULL},
    {"http://h.example:x/", SG_EINVALID, NULL, NULL, NULL},
    /* uppercase schemes and hosts */
    {"HTTPS://REGISTRY.Example.com:443/x", 0, "registry.example.com", "", "/x"},
    {"Http://H.EXAMPLE/Path/Kept", 0, "h.example", "", "/Path/Kept"},
    /* percent-encoding: kept in paths as written, decoded in hosts */
    {"http://h.example/a%2fb/c", 0, "h.example", "", "/a%2fb/c"},
    {"https://r.example/@scope%2fname", 0, "r.example", "", "/@scope%2fname"},
    {"http://h.example/%7Euser/", 0, "h.example", "", "/%7Euser/"},
    {"http://h%2Eexample/x", 0, "h.example", "", "/x"},
    /* dot segments resolved, empty path is "/", query and fragment dropped */
    {"http://h.example/a/../b", 0, "h.example", "", "/b"},
    {"https://h.example", 0, "h.example", "", "/"},
    {"http://h.example/x?y=1#z", 0, "h.example", "", "/x"},
    /* refused: other schemes, no host, bytes parsers disagree on */
    {"ftp://h.example/x", SG_EINVALID, NULL, NULL, NULL},
    {"file:///etc/passwd", SG_EINVALID, NULL, NULL, NULL},
    {"//h.example/x", SG_EINVALID, NULL, NULL, NULL},
    /* extra or missing slashes after a special scheme: the next word is the host, as WHATWG
     * says too ("http:///x" is "http://x/") */
    {"http:///x", 0, "x", "", "/"},
    {"http:/x", 0, "x", "", "/"},
    {"http://h.example/a b", SG_EINVALID, NULL, NULL, NULL},
    {"http://evil.example\\@h.example/", SG_EINVALID, NULL, NULL, NULL},
    {"http://h.example/\xc3\xa9", SG_EINVALID, NULL, NULL, NULL},
    {"", SG_EINVALID, NULL, NULL, NULL},
};

static void test_url__split_cases(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(splits) / sizeof(splits[0]); i++) {
        const split_case *c = &splits[i];
        sg_url_parts u;
        print_message("case %zu: %s\n", i, c->url);
        assert_int_equal(sg_url__split(&u, c->url), c->rc);
        if (c->rc < 0)
            continue;
        assert_true(strcmp(u.scheme, "http") == 0 || strcmp(u.scheme, "https") == 0);
        assert_string_equal(u.host, c->host);
        assert_string_equal(u.port, c->port);
        assert_string_equal(u.path, c->path);
        {
            char key[sizeof(u.host) + sizeof(u.port) + sizeof(u.path) + 2], want[sizeof(key)];
            snprintf(want, sizeof(want), "%s%s%s%s", c->host, c->port[0] ? ":" : "", c->port,
                     c->path);
            assert_int_equal(sg_url__host_path(key, sizeof(key), &u), (int)strlen(want));
            assert_string_equal(key, want);
            assert_int_equal(sg_url__host_path(key, strlen(want), &u), -1); /* no room for NUL */
        }
    }
    assert_int_equal(sg_url__split(&(sg_url_parts){0}, NULL), SG_EINVALID);
}

typedef struct redact_case {
    const char *url;   /* input */
    const char *shown; /* sg_url__redact's output */
} redact_case;

static const redact_case redactions[] = {
    {"https://u:p@h.example:8/a/b?token=x#f", "https://h.example:8/a/b?..."},
    {"http://h/x#frag", "http://h/x"},
    /* credentials up to the last '@' of the authority, whatever the host is */
    {"http://u:p@[::1]:8080/x?q", "http://[::1]:8080/x?..."},
    {"http://a@b@h.example/x", "http://h.example/x"},
    {"https://tok%40en:p%3Aw@h.example/", "https://h.example/"},
    {"postgresql://app:s3cret@db.example:5432/sg", "postgresql://db.example:5432/sg"},
    {"git+ssh://git@github.com/o/r.git", "git+ssh://github.com/o/r.git"},
    /* an '@' after the authority is not a credential */
    {"https://h.example/@scope%2fname", "https://h.example/@scope%2fname"},
    {"https://h.example?u:p@x", "https://h.example?..."},
    /* shown as written: not normalized */
    {"HTTPS://H.Example:443/A%2FB", "HTTPS://H.Example:443/A%2FB"},
    {"http://[0:0:0:0:0:0:0:1]/x", "http://[0:0:0:0:0:0:0:1]/x"},
    {"not a url", "not a url"},
    {"", ""},
};

static void test_url__redaction_cases(void **state)
{
    char out[256];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(redactions) / sizeof(redactions[0]); i++) {
        print_message("case %zu: %s\n", i, redactions[i].url);
        sg_url__redact(out, sizeof(out), redactions[i].url);
        assert_string_equal(out, redactions[i].shown);
    }
    sg_url__redact(out, sizeof(out), NULL);
    assert_string_equal(out, "");
    /* long URLs are cut and marked */
    sg_url__redact(out, 16, "https://very-long-host.example/path");
    assert_string_equal(out, "https://very...");
}

/* Cache names of URLs: the trust documents' (keep nothing more) and the packuments' (":[]"). */
static void test_url__escape_name_cases(void **state)
{
    static const struct {
        const char *s;     /* a host[:port]/path key */
        const char *keep;  /* extra bytes kept */
        const char *named; /* the cache name */
    } cases[] = {
        {"h.example/-/npm/v1/keys", NULL, "h.example%2f-%2fnpm%2fv1%2fkeys"},
        {"[::1]:8080/x", NULL, "%5b%3a%3a1%5d%3a8080%2fx"},
        {"[::1]:8080/x", ":[]", "[::1]:8080%2fx"},
        {".hidden/..", NULL, "%2ehidden%2f.."},
        {"A-Z_a.z~ \x7f\xff", "", "A-Z_a.z%7e%20%7f%ff"},
        {"", NULL, ""},
    };
    sg_buf b = SG_BUF_INIT;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sg_buf_clear(&b);
        assert_int_equal(sg_url__escape_name(&b, cases[i].s, cases[i].keep), 0);
        assert_string_equal(b.ptr, cases[i].named);
    }
    sg_buf_dispose(&b);
}

/* The token a URL gets goes by the split: IPv6, ports, case and encodings as npm sees them. */
static void test_url__tokens_follow_the_split(void **state)
{
    static const char npmrc[] = "//[::1]:8080/:_authToken=v6-tok\n"
                                "//h.example/a%2fb/:_authToken=enc-tok\n"
                                "//h.example/:_authToken=root-tok\n";
    sg_ctx *ctx = NULL;
    sg_npm_config *cfg = NULL;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_npm_config_new(&cfg, ctx), 0);
    assert_int_equal(sg_npm_config_parse(cfg, ctx, npmrc, strlen(npmrc), "t", NULL), 0);
    assert_string_equal(sg_npm_config__token_for(cfg, "http://[::1]:8080/x"), "v6-tok");
    assert_string_equal(sg_npm_config__token_for(cfg, "http://u:p@[0:0:0:0:0:0:0:1]:8080/x"),
                        "v6-tok");
    assert_null(sg_npm_config__token_for(cfg, "http://[::1]/x"));
    assert_null(sg_npm_config__token_for(cfg, "http://[::1]:8081/x"));
    assert_string_equal(sg_npm_config__token_for(cfg, "HTTP://H.EXAMPLE:80/a%2fb/x"), "enc-tok");
    /* an encoded slash is not a path separator to npm's key walk either */
    assert_string_equal(sg_npm_config__token_for(cfg, "http://h.example/a/b/x"), "root-tok");
    assert_string_equal(sg_npm_config__token_for(cfg, "http://h%2Eexample/x"), "root-tok");
    assert_null(sg_npm_config__token_for(cfg, "http://h.example:8080/x"));
    sg_npm_config_free(cfg);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url__split_cases),
        cmocka_unit_test(test_url__redaction_cases),
        cmocka_unit_test(test_url__escape_name_cases),
        cmocka_unit_test(test_url__tokens_follow_the_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
