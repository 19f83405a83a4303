/*
 * Tests of verifier/source/repo_url.c: every repository URL form seen on the registry normalizes to
 * one canonical https URL, and values that are not repository URLs (local paths and schemes
 * above all) are refused without leaking credentials into the message.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "verifier/source/source_int.h"

static sg_ctx *ctx_new(void)
{
    sg_ctx *ctx = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    return ctx;
}

static const struct {
    const char *in;
    const char *want;
} forms[] = {
    /* shorthand and shortcuts */
    {"axios/axios", "https://github.com/axios/axios.git"},
    {"Axios/Axios", "https://github.com/axios/axios.git"},
    {"socket.io/socket.io-client", "https://github.com/socket.io/socket.io-client.git"},
    {"axios/axios#v1.2.3", "https://github.com/axios/axios.git"},
    {"github:axios/axios", "https://github.com/axios/axios.git"},
    {"GitHub:Axios/axios", "https://github.com/axios/axios.git"},
    {"github:axios/axios.git", "https://github.com/axios/axios.git"},
    {"gitlab:Group/Sub/Proj", "https://gitlab.com/group/sub/proj.git"},
    {"gitlab:owner/repo", "https://gitlab.com/owner/repo.git"},
    {"bitbucket:Owner/Repo", "https://bitbucket.org/owner/repo.git"},
    {"gist:11081aaa281", "https://gist.github.com/11081aaa281.git"},
    {"gist:someone/11081AAA281", "https://gist.github.com/11081AAA281.git"},
    /* schemes */
    {"git+https://github.com/axios/axios.git", "https://github.com/axios/axios.git"},
    {"git+http://github.com/axios/axios.git", "https://github.com/axios/axios.git"},
    {"http://github.com/axios/axios", "https://github.com/axios/axios.git"},
    {"git://github.com/axios/axios.git", "https://github.com/axios/axios.git"},
    {"git+ssh://git@github.com/Axios/axios", "https://github.com/axios/axios.git"},
    {"git+ssh://git@github.com:Axios/axios.git", "https://github.com/axios/axios.git"},
    {"ssh://git@github.com/axios/axios.git", "https://github.com/axios/axios.git"},
    {"ssh://git@github.com:22/axios/axios.git", "https://github.com/axios/axios.git"},
    {"HTTPS://GitHub.COM/Axios/axios.git", "https://github.com/axios/axios.git"},
    {"https://www.github.com/axios/axios", "https://github.com/axios/axios.git"},
    /* scp-like */
    {"git@github.com:axios/axios.git", "https://github.com/axios/axios.git"},
    {"git@github.com:Axios/Axios", "https://github.com/axios/axios.git"},
    {"github.com:axios/axios", "https://github.com/axios/axios.git"},
    {"git@gitlab.com:/group/proj.git", "https://gitlab.com/group/proj.git"},
    {"git@bitbucket.org:team/repo.git", "https://bitbucket.org/team/repo.git"},
    /* a known scheme missing its "//" (npm correctProtocol), no scheme at all */
    {"git:github.com/axios/axios", "https://github.com/axios/axios.git"},
    {"github.com/axios/axios", "https://github.com/axios/axios.git"},
    {"git@github.com/axios/axios", "https://github.com/axios/axios.git"},
    /* .git, trailing slashes, fragments, queries, whitespace */
    {"https://github.com/axios/axios", "https://github.com/axios/axios.git"},
    {"https://github.com/axios/axios/", "https://github.com/axios/axios.git"},
    {"https://github.com/axios/axios.git/", "https://github.com/axios/axios.git"},
    {"https://github.com//axios//axios", "https://github.com/axios/axios.git"},
    {"https://github.com/axios/axios.git#v1.2.3", "https://github.com/axios/axios.git"},
    {"git+https://github.com/a/b.git#semver:^1.0", "https://github.com/a/b.git"},
    {"https://github.com/a/b?tab=readme", "https://github.com/a/b.git"},
    {"  https://github.com/a/b \n", "https://github.com/a/b.git"},
    /* credentials removed */
    {"https://user:secret@github.com/axios/axios.git", "https://github.com/axios/axios.git"},
    {"git+https://ghp_token@github.com/axios/axios.git", "https://github.com/axios/axios.git"},
    {"github:user@axios/axios", "https://github.com/axios/axios.git"},
    /* browse URLs cut to the repository */
    {"https://github.com/babel/babel/tree/main/packages/babel-core",
     "https://github.com/babel/babel.git"},
    {"https://github.com/a/b/blob/main/README.md", "https://github.com/a/b.git"},
    {"https://gitlab.com/group/sub/proj/-/tree/main", "https://gitlab.com/group/sub/proj.git"},
    {"https://bitbucket.org/team/repo/src/master/", "https://bitbucket.org/team/repo.git"},
    /* other hosts: case kept, https ports kept, other ports dropped */
    {"https://git.example.com/Team/Repo.git", "https://git.example.com/Team/Repo.git"},
    {"https://git.example.com:8443/team/repo", "https://git.example.com:8443/team/repo.git"},
    {"https://git.example.com:443/team/repo", "https://git.example.com/team/repo.git"},
    {"git+ssh://git@git.example.com:2222/team/repo.git", "https://git.example.com/team/repo.git"},
    {"https://git.sr.ht/~user/repo", "https://git.sr.ht/~user/repo.git"},
    {"https://example.com/single.git", "https://example.com/single.git"},
    {"https://GITLAB.example.org/A/b/C", "https://gitlab.example.org/A/b/C.git"},
};

static void test_repo_url__every_form_normalizes(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_buf out = SG_BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        int rc;
        sg_error_clear(ctx);
        rc = sg_repo_url_normalize(&out, ctx, forms[i].in);
        if (rc != 0)
            fail_msg("'%s': %d %s", forms[i].in, rc, sg_error_message(ctx));
        if (strcmp(out.ptr, forms[i].want) != 0)
            fail_msg("'%s': got '%s', want '%s'", forms[i].in, out.ptr, forms[i].want);
    }
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
}

static void test_repo_url__canonical_form_is_a_fixed_point(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_buf out = SG_BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        assert_int_equal(sg_repo_url_normalize(&out, ctx, forms[i].want), 0);
        assert_string_equal(out.ptr, forms[i].want);
    }
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
}

static void test_repo_url__output_is_replaced_not_appended(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_buf out = SG_BUF_INIT;

    (void)state;
    sg_buf_puts(&out, "old content");
    assert_int_equal(sg_repo_url_normalize(&out, ctx, "a/b"), 0);
    assert_string_equal(out.ptr, "https://github.com/a/b.git");
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
}

static const char *const refused[] = {
    "",
    "   ",
    /* local schemes and paths: a packument must not point at the local disk */
    "file:///etc/passwd",
    "file://localhost/srv/repo.git",
    "FILE:///srv/repo",
    "file:../repo",
    "git+file:///srv/repo.git",
    "/srv/repo.git",
    "./repo",
    "../repo/x",
    "~/repo",
    "c:/repos/x",
    "C:\\repos\\x",
    "ext::sh",
    "fd::17",
    "javascript:alert(1)/x",
    "ftp://example.com/a/b",
    "svn://example.com/a/b",
    /* not a repository */
    "axios",
    "@scope/pkg",
    "github:axios",
    "github:a/b/c",
    "bitbucket:a",
    "https://github.com/owner",
    "https://github.com/a/b/issues",
    "https://github.com",
    "https:///a/b",
    "https://exa_mple.com/a/b",
    "https://-bad.com/a/b",
    "https://bad..com/a/b",
    "http://[::1]/a/b",
    "https://example.com:99999/a/b",
    "https://github.com/a/../b",
    "https://github.com/a/./b",
    "https://example.com/a/%2e%2e/b",
    "https://example.com/a/b:c",
    "git@github.com:",
    "git@host.com:22",
    /* control characters, spaces, backslashes */
    "https://github.com/a/b\x01",
    "https://github.com/a/b\x7f",
    "https://github.com/a/b c",
    "https://github.com/a\tb/c",
    "https://github.com/a\\b/c",
    "a/b\nc",
};

static void test_repo_url__refuses_local_and_malformed_values(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_buf out = SG_BUF_INIT;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        int rc;
        sg_error_clear(ctx);
        rc = sg_repo_url_normalize(&out, ctx, refused[i]);
        if (rc != SG_EINVALID)
            fail_msg("'%s' not refused: rc %d out '%s'", refused[i], rc, out.ptr);
        assert_int_equal(sg_error_code_of(ctx), SG_EINVALID);
        assert_true(strlen(sg_error_message(ctx)) > 0);
    }
    assert_int_equal(sg_repo_url_normalize(&out, ctx, NULL), SG_EINVALID);
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
}

static void test_repo_url__refusal_message_hides_credentials(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_buf out = SG_BUF_INIT;

    (void)state;
    assert_int_equal(sg_repo_url_normalize(&out, ctx, "https://alice:s3cr3t@github.com/a/../b"),
                     SG_EINVALID);
    assert_null(strstr(sg_error_message(ctx), "s3cr3t"));
    assert_null(strstr(sg_error_message(ctx), "alice"));
    assert_non_null(strstr(sg_error_message(ctx), "github.com/a/../b"));
    sg_error_clear(ctx);
    assert_int_equal(sg_repo_url_normalize(&out, ctx, "ftp://bob:hunter2@example.com/a/b"),
                     SG_EINVALID);
    assert_null(strstr(sg_error_message(ctx), "hunter2"));
    sg_error_clear(ctx);
    /* control characters never reach the message */
    assert_int_equal(sg_repo_url_normalize(&out, ctx, "https://x.com/a/b\x1b[31m"), SG_EINVALID);
    assert_null(strchr(sg_error_message(ctx), '\x1b'));
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
}

static void test_repo_url__length_is_bounded(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_buf out = SG_BUF_INIT;
    size_t n = SG_REPO_URL_MAX + 100;
    char *big = malloc(n + 1);
    const char *prefix = "https://github.com/a/";

    (void)state;
    memset(big, 'b', n);
    memcpy(big, prefix, strlen(prefix));
    big[n] = '\0';
    assert_int_equal(sg_repo_url_normalize(&out, ctx, big), SG_EINVALID);
    /* just under the bound is fine for another host (GitHub would take it too) */
    big[SG_REPO_URL_MAX - 10] = '\0';
    sg_error_clear(ctx);
    assert_int_equal(sg_repo_url_normalize(&out, ctx, big), 0);
    /* an input within the bound whose canonical form would exceed it (found by fuzzing: the
     * canonical URL must normalize to itself) */
    memset(big, 'a', SG_REPO_URL_MAX);
    memcpy(big, "b.com/o/", 8);
    big[SG_REPO_URL_MAX - 2] = '\0';
    sg_error_clear(ctx);
    assert_int_equal(sg_repo_url_normalize(&out, ctx, big), SG_EINVALID);
    free(big);
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
}

static void test_repo_url__quote_drops_userinfo_and_caps_length(void **state)
{
    sg_buf q = SG_BUF_INIT;
    char big[400];

    (void)state;
    sg_source__quote_url(&q, "https://u:p@h.com/x");
    assert_string_equal(q.ptr, "https://***@h.com/x");
    sg_buf_clear(&q);
    sg_source__quote_url(&q, "git@github.com:o/r");
    assert_string_equal(q.ptr, "***@github.com:o/r");
    sg_buf_clear(&q);
    sg_source__quote_url(&q, "https://h.com/a@b"); /* '@' in the path is not userinfo */
    assert_string_equal(q.ptr, "https://h.com/a@b");
    sg_buf_clear(&q);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    sg_source__quote_url(&q, big);
    assert_int_equal(q.size, 203);
    sg_buf_dispose(&q);
}

/* Registry data may not point sourcegate at this machine or its network (issue 12). */
static void test_repo_url__registry_urls_name_public_hosts_only(void **state)
{
    static const char *const ok[] = {"https://github.com/acme/demo.git",
                                     "https://gitlab.example.org/a/b.git",
                                     "https://git.example.com:443/a/b.git"};
    static const struct {
        const char *url, *why;
    } bad[] = {
        {"https://127.0.0.1/a/b.git", "IP address"},
        {"https://127.0.0.1:8443/a/b.git", "port other than 443"},
        {"https://[::1]/a/b.git", "IP address"},
        {"https://10.0.0.7/a/b.git", "IP address"},
        {"https://169.254.169.254/a/b.git", "IP address"},
        {"https://localhost/a/b.git", "local name"},
        {"https://gitserver/a/b.git", "local name"},
        {"https://git.corp.internal/a/b.git", "local-network name"},
        {"https://printer.local/a/b.git", "local-network name"},
        {"https://x.localhost/a/b.git", "local-network name"},
        {"https://github.com:22/a/b.git", "port other than 443"},
    };
    char why[128];
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (!sg_repo_url__public(ok[i], why, sizeof(why)))
            fail_msg("'%s' refused: %s", ok[i], why);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (sg_repo_url__public(bad[i].url, why, sizeof(why)))
            fail_msg("'%s' accepted", bad[i].url);
        if (!strstr(why, bad[i].why))
            fail_msg("'%s': '%s' does not say '%s'", bad[i].url, why, bad[i].why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repo_url__every_form_normalizes),
        cmocka_unit_test(test_repo_url__registry_urls_name_public_hosts_only),
        cmocka_unit_test(test_repo_url__canonical_form_is_a_fixed_point),
        cmocka_unit_test(test_repo_url__output_is_replaced_not_appended),
        cmocka_unit_test(test_repo_url__refuses_local_and_malformed_values),
        cmocka_unit_test(test_repo_url__refusal_message_hides_credentials),
        cmocka_unit_test(test_repo_url__length_is_bounded),
        cmocka_unit_test(test_repo_url__quote_drops_userinfo_and_caps_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
