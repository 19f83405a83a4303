/*
 * Tests of the npm configuration (verifier/fetch/npm_config.c): .npmrc syntax as npm reads it,
 * registries per scope, auth tokens by npm's nerf-dart rules, and hostile input.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "verifier/fetch/registry_int.h"

typedef struct fx {
    sg_ctx *ctx;        /* context */
    sg_npm_config *cfg; /* under test */
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(sg_ctx_new(&f->ctx), 0);
    assert_int_equal(sg_npm_config_new(&f->cfg, f->ctx), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    sg_npm_config_free(f->cfg);
    sg_ctx_free(f->ctx);
    free(f);
    return 0;
}

static int parse(fx *f, const char *text)
{
    return sg_npm_config_parse(f->cfg, f->ctx, text, strlen(text), "/home/u/.npmrc", NULL);
}

static const char *env_for_tests(const char *name)
{
    if (strcmp(name, "NPM_TOKEN") == 0)
        return "tok-from-env";
    if (strcmp(name, "HOST") == 0)
        return "npm.corp.example";
    return NULL;
}

static void test_npm_config__defaults_to_public_registry(void **state)
{
    fx *f = *state;
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "axios"), "https://registry.npmjs.org/");
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@s/x"), "https://registry.npmjs.org/");
    assert_string_equal(sg_npm_config_registry_for(NULL, "axios"), "https://registry.npmjs.org/");
    assert_null(sg_npm_config__token_for(f->cfg, "https://registry.npmjs.org/axios"));
}

static void test_npm_config__registry_and_scope_registries(void **state)
{
    fx *f = *state;
    assert_int_equal(parse(f, "registry=https://npm.example.com/repo\n"
                              "@corp:registry = https://corp.example/npm/\n"
                              "  @other:registry=http://other.example:8080\n"),
                     0);
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "axios"),
                        "https://npm.example.com/repo/");
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@corp/tool"),
                        "https://corp.example/npm/");
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@other/x"),
                        "http://other.example:8080/");
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@unknown/x"),
                        "https://npm.example.com/repo/");
    /* "@corp" without a slash is not a scoped name */
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@corp"),
                        "https://npm.example.com/repo/");
}

static void test_npm_config__later_texts_and_set_registry_override(void **state)
{
    fx *f = *state;
    assert_int_equal(parse(f, "registry=https://a.example/\n@s:registry=https://s1.example/\n"), 0);
    assert_int_equal(sg_npm_config_set_registry(f->cfg, f->ctx, "https://cli.example"), 0);
    assert_int_equal(parse(f, "registry=https://b.example/\n@s:registry=https://s2.example/\n"), 0);
    /* --registry / npm_config_registry beat any .npmrc, whatever the order */
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "x"), "https://cli.example/");
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@s/x"), "https://s2.example/");
}

static void test_npm_config__comments_quotes_and_blanks(void **state)
{
    fx *f = *state;
    assert_int_equal(parse(f, "; a comment\n"
                              "# another = one\n"
                              "   ; indented comment\n"
                              "\n\r\n"
                              "@a:registry = \"https://a.example/\"\n"
                              "@b:registry='https://b.example/'\n"
                              "@c:registry=https://c.example/ ; trailing comment\n"
                              "@d:registry=https://d.example/#frag-is-a-comment\n"
                              "\"@e:registry\" = https://e.example/\n"
                              "@f:registry=\"https://f.example/x\\u0079\"\r\n"
                              "registry\n"
                              "=no key\n"),
                     0);
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@a/x"), "https://a.example/");
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@b/x"), "https://b.example/");
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@c/x"), "https://c.example/");
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@d/x"), "https://d.example/");
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@e/x"), "https://e.example/");
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@f/x"), "https://f.example/xy/");
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "x"), "https://registry.npmjs.org/");
}

static void test_npm_config__section_keys_are_not_top_level(void **state)
{
    fx *f = *state;
    assert_int_equal(parse(f, "@a:registry=https://a.example/\n"
                              "[some-section]\n"
                              "registry=https://section.example/\n"
                              "@a:registry=https://section.example/\n"),
                     0);
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "x"), "https://registry.npmjs.org/");
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@a/x"), "https://a.example/");
}

static void test_npm_config__env_expansion(void **state)
{
    fx *f = *state;
    static const char text[] = "registry=https://${HOST}/\n"
                               "//${HOST}/:_authToken=${NPM_TOKEN}\n"
                               "@o:registry=https://x${UNSET_VAR?}.example/\n"
                               "//e.example/:_authToken=a\\${HOST}b${UNSET_VAR}\n"
                               "//f.example/:_authToken=\\\\\\\\${HOST}\n";
    assert_int_equal(
        sg_npm_config_parse(f->cfg, f->ctx, text, strlen(text), "proj/.npmrc", env_for_tests), 0);
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "x"), "https://npm.corp.example/");
    assert_string_equal(sg_npm_config__token_for(f->cfg, "https://npm.corp.example/x"),
                        "tok-from-env");
    /* `?` gives "" for an unset name; without it the expression stays as written; an odd
     * run of backslashes escapes it, an even one keeps half the backslashes */
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "@o/x"), "https://x.example/");
    assert_string_equal(sg_npm_config__token_for(f->cfg, "https://e.example/x"),
                        "a${HOST}b${UNSET_VAR}");
    assert_string_equal(sg_npm_config__token_for(f->cfg, "https://f.example/x"),
                        "\\npm.corp.example");
}

static void test_npm_config__unexpanded_variable_in_registry_is_an_error(void **state)
{
    fx *f = *state;
    assert_int_equal(parse(f, "registry=https://${NOPE}/\n"), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(f->ctx), "/home/u/.npmrc"));
    assert_non_null(strstr(sg_error_message(f->ctx), "line 1"));
}

static void test_npm_config__token_by_longest_nerf_dart(void **state)
{
    fx *f = *state;
    assert_int_equal(parse(f, "//registry.example.com/:_authToken=root-tok\n"
                              "//registry.example.com/npm/private/:_authToken=deep-tok\n"
                              "//Other.Example:8443/:_authToken=port-tok\n"
                              "//nopath.example/api:_authToken=noslash-tok\n"),
                     0);
    assert_string_equal(sg_npm_config__token_for(f->cfg, "https://registry.example.com/pkg"),
                        "root-tok");
    assert_string_equal(
        sg_npm_config__token_for(f->cfg, "https://registry.example.com/npm/private/@s%2fx"),
        "deep-tok");
    assert_string_equal(
        sg_npm_config__token_for(f->cfg, "https://registry.example.com/npm/privateer/x"),
        "root-tok");
    assert_string_equal(sg_npm_config__token_for(f->cfg, "https://REGISTRY.example.com:443/x"),
                        "root-tok"); /* default port and host case do not matter */
    assert_string_equal(sg_npm_config__token_for(f->cfg, "https://other.example:8443/x"),
                        "port-tok");
    assert_null(sg_npm_config__token_for(f->cfg, "https://other.example/x"));
    assert_string_equal(sg_npm_config__token_for(f->cfg, "https://nopath.example/api/x"),
                        "noslash-tok");
    /* another host never gets a token, even one that embeds the registry's name */
    assert_null(sg_npm_config__token_for(f->cfg, "https://registry.example.com.evil.example/x"));
    assert_null(sg_npm_config__token_for(f->cfg, "https://registry.example.com@evil.example/x"));
    assert_null(sg_npm_config__token_for(f->cfg, "https://evil.example\\@registry.example.com/"));
    assert_null(sg_npm_config__token_for(f->cfg, "https://evil.example/registry.example.com/"));
}

static void test_npm_config__token_with_control_characters_refused(void **state)
{
    fx *f = *state;
    static const char text[] = "//r.example/:_authToken=\"abc\\r\\nX-Injected: 1\"\n";
    assert_int_equal(parse(f, text), SG_EINVALID);
    assert_null(strstr(sg_error_message(f->ctx), "abc"));
    assert_null(sg_npm_config__token_for(f->cfg, "https://r.example/x"));
}

static void test_npm_config__hostile_sizes_bounded(void **state)
{
    fx *f = *state;
    size_t n = 20000, i;
    char *text = malloc(n * 2 + 1);
    assert_non_null(text);
    for (i = 0; i < n; i++) {
        text[2 * i] = 'a';
        text[2 * i + 1] = '\n';
    }
    text[2 * n] = '\0';
    assert_int_equal(sg_npm_config_parse(f->cfg, f->ctx, text, 2 * n, "big", NULL), SG_ELIMIT);
    sg_error_clear(f->ctx);
    memset(text, 'k', 2 * n);
    assert_int_equal(sg_npm_config_parse(f->cfg, f->ctx, text, 2 * n, "long", NULL), SG_ELIMIT);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_npm_config_parse(f->cfg, f->ctx, "a=b\0c=d", 7, "nul", NULL), SG_EINVALID);
    free(text);
}

static void test_npm_config__set_registry_validates(void **state)
{
    fx *f = *state;
    assert_int_equal(sg_npm_config_set_registry(f->cfg, f->ctx, "file:///etc/"), SG_EINVALID);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_npm_config_set_registry(f->cfg, f->ctx, ""), SG_EINVALID);
    sg_error_clear(f->ctx);
    assert_int_equal(sg_npm_config_set_registry(f->cfg, f->ctx, "https://u:pw@h.example/"), 0);
    assert_string_equal(sg_npm_config_registry_for(f->cfg, "x"), "https://u:pw@h.example/");
    assert_int_equal(sg_npm_config_set_registry(f->cfg, f->ctx, "ftp://u:pw@h.example/"),
                     SG_EINVALID);
    assert_null(strstr(sg_error_message(f->ctx), "pw"));
}

static void test_npm_config__double_quoted_values_decoded_as_json(void **state)
{
    fx *f = *state;
    assert_int_equal(parse(f, "//a.example/:_authToken=\"t\\u00e9\\ud83d\\ude00\\\"q\\\\\"\n"
                              "//b.example/:_authToken=\"bad\\qescape\"\n"
                              "//c.example/:_authToken=\"lone\\ud800\"\n"
                              "//d.example/:_authToken='\"inner\"'\n"),
                     0);
    assert_string_equal(sg_npm_config__token_for(f->cfg, "https://a.example/"),
                        "t\xc3\xa9\xf0\x9f\x98\x80\"q\\");
    /* not JSON: the value stays as written, quotes included (JSON.parse threw) */
    assert_string_equal(sg_npm_config__token_for(f->cfg, "https://b.example/"), "\"bad\\qescape\"");
    assert_string_equal(sg_npm_config__token_for(f->cfg, "https://c.example/"), "\"lone\\ud800\"");
    assert_string_equal(sg_npm_config__token_for(f->cfg, "https://d.example/"), "inner");
}

static void test_npm_config__allocation_failures_are_reported(void **state)
{
    fx *f = *state;
    static const char text[] = "registry=https://a.example/\n"
                               "@s:registry=\"https://s.example/\"\n"
                               "//a.example/:_authToken=${HOST}-tok\n";
    long n;
    int rc = -1;

    for (n = 0; n < 500 && rc != 0; n++) {
        sg_npm_config *cfg = NULL;
        sg_error_clear(f->ctx);
        sg_alloc__fail_after(n);
        rc = sg_npm_config_new(&cfg, f->ctx);
        if (rc == 0)
            rc = sg_npm_config_parse(cfg, f->ctx, text, strlen(text), "t", env_for_tests);
        sg_alloc__fail_after(-1);
        assert_true(rc == 0 || rc == SG_ENOMEM);
        if (rc == 0) {
            assert_string_equal(sg_npm_config_registry_for(cfg, "@s/x"), "https://s.example/");
            assert_string_equal(sg_npm_config__token_for(cfg, "https://a.example/x"),
                                "npm.corp.example-tok");
        }
        sg_npm_config_free(cfg);
    }
    assert_int_equal(rc, 0);
    assert_true(n > 3); /* several allocations were made to fail on the way */
}

static void test_npm_config__url_redaction(void **state)
{
    char out[128];
    (void)state;
    sg_url__redact(out, sizeof(out), "https://u:p@h.example:8/a/b?token=x#f");
    assert_string_equal(out, "https://h.example:8/a/b?...");
    sg_url__redact(out, sizeof(out), "http://h/x#frag");
    assert_string_equal(out, "http://h/x");
    sg_url__redact(out, 16, "https://very-long-host.example/path");
    assert_int_equal(strlen(out), 15);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_npm_config__defaults_to_public_registry),
        T(test_npm_config__registry_and_scope_registries),
        T(test_npm_config__later_texts_and_set_registry_override),
        T(test_npm_config__comments_quotes_and_blanks),
        T(test_npm_config__section_keys_are_not_top_level),
        T(test_npm_config__env_expansion),
        T(test_npm_config__unexpanded_variable_in_registry_is_an_error),
        T(test_npm_config__token_by_longest_nerf_dart),
        T(test_npm_config__token_with_control_characters_refused),
        T(test_npm_config__hostile_sizes_bounded),
        T(test_npm_config__set_registry_validates),
        T(test_npm_config__double_quoted_values_decoded_as_json),
        T(test_npm_config__allocation_failures_are_reported),
        T(test_npm_config__url_redaction),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
