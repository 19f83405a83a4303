/*
 * Tests of verifier/source/url_rewrite.c: --git-rewrite prefixes (longest wins) and git config
 * url.<base>.insteadOf parsing, and rewrites of registry repository URLs (the value as
 * written, its case-kept https form and its canonical form).
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

static sg_url_rewrites *rw_new(sg_ctx *ctx)
{
    sg_url_rewrites *rw = NULL;
    assert_int_equal(sg_url_rewrites_new(&rw, ctx), 0);
    assert_non_null(rw);
    return rw;
}

static void expect_apply(sg_ctx *ctx, const sg_url_rewrites *rw, const char *url, const char *want)
{
    sg_buf out = SG_BUF_INIT;
    assert_int_equal(sg_url_rewrites_apply(&out, ctx, rw, url), 0);
    if (strcmp(out.ptr, want) != 0)
        fail_msg("'%s' -> '%s', want '%s'", url, out.ptr, want);
    sg_buf_dispose(&out);
}

static void test_url_rewrite__longest_prefix_wins(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);

    (void)state;
    assert_int_equal(
        sg_url_rewrites_add(rw, ctx, "https://github.com/axios/", "file:///srv/axios/"), 0);
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "https://github.com/", "file:///srv/mirrors/"),
                     0);
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "https://", "https://proxy.example/"), 0);
    expect_apply(ctx, rw, "https://github.com/axios/axios.git", "file:///srv/axios/axios.git");
    expect_apply(ctx, rw, "https://github.com/lodash/lodash.git",
                 "file:///srv/mirrors/lodash/lodash.git");
    expect_apply(ctx, rw, "https://gitlab.com/a/b.git", "https://proxy.example/gitlab.com/a/b.git");
    expect_apply(ctx, rw, "ssh://github.com/a/b.git", "ssh://github.com/a/b.git");
    /* a prefix longer than the URL does not match */
    expect_apply(ctx, rw, "https://github.com/axios", "file:///srv/mirrors/axios");
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

static void test_url_rewrite__equal_prefixes_last_added_wins(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);

    (void)state;
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "https://github.com/", "file:///from-config/"),
                     0);
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "https://github.com/", "file:///from-cli/"), 0);
    expect_apply(ctx, rw, "https://github.com/a/b.git", "file:///from-cli/a/b.git");
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

static void test_url_rewrite__no_rewrites_keeps_the_url(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);
    sg_buf out = SG_BUF_INIT;

    (void)state;
    expect_apply(ctx, rw, "https://github.com/a/b.git", "https://github.com/a/b.git");
    expect_apply(ctx, NULL, "https://github.com/a/b.git", "https://github.com/a/b.git");
    /* out is replaced */
    sg_buf_puts(&out, "junk");
    assert_int_equal(sg_url_rewrites_apply(&out, ctx, rw, "x"), 0);
    assert_string_equal(out.ptr, "x");
    sg_buf_dispose(&out);
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

static void test_url_rewrite__empty_from_is_refused(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);

    (void)state;
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "", "file:///x/"), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_url_rewrites_add(rw, ctx, NULL, "file:///x/"), SG_EINVALID);
    sg_error_clear(ctx);
    /* an empty TO removes the prefix */
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "https://strip.me/", ""), 0);
    expect_apply(ctx, rw, "https://strip.me/a/b", "a/b");
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

static void test_url_rewrite__gitconfig_insteadof_sections(void **state)
{
    static const char cfg[] = "# a user's gitconfig\n"
                              "[user]\n"
                              "\tname = Some One\n"
                              "\temail = one@example.com ; comment\n"
                              "[url \"file:///srv/mirrors/\"]\n"
                              "\tinsteadOf = https://github.com/\n"
                              "\tinsteadOf = git@github.com:\n"
                              "[URL \"https://mirror.example/gitlab/\"] InsteadOf = "
                              "\"https://gitlab.com/\"  ; same line\n"
                              "[url \"ssh://push.example/\"]\n"
                              "\tpushInsteadOf = https://bitbucket.org/\n"
                              "[url \"https://esc\\\"aped/\"]\n"
                              "    insteadof = https://e.example/ # trailing comment\n"
                              "[core]\n"
                              "\tbare\n"
                              "\tinsteadOf = https://not-a-url-section/\n"
                              "[url \"https://cont.example/\"]\n"
                              "\tinsteadOf = https://con\\\n"
                              "tinued.example/\n";
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);

    (void)state;
    if (sg_url_rewrites_add_gitconfig(rw, ctx, cfg, strlen(cfg)) != 0)
        fail_msg("%s", sg_error_message(ctx));
    expect_apply(ctx, rw, "https://github.com/a/b.git", "file:///srv/mirrors/a/b.git");
    expect_apply(ctx, rw, "git@github.com:a/b.git", "file:///srv/mirrors/a/b.git");
    expect_apply(ctx, rw, "https://gitlab.com/g/p.git", "https://mirror.example/gitlab/g/p.git");
    expect_apply(ctx, rw, "https://bitbucket.org/t/r.git", "https://bitbucket.org/t/r.git");
    expect_apply(ctx, rw, "https://e.example/x", "https://esc\"aped/x");
    expect_apply(ctx, rw, "https://not-a-url-section/x", "https://not-a-url-section/x");
    expect_apply(ctx, rw, "https://continued.example/x", "https://cont.example/x");
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

static void test_url_rewrite__gitconfig_and_cli_longest_wins_across_both(void **state)
{
    static const char cfg[] = "[url \"file:///cfg/\"]\n\tinsteadOf = https://github.com/axios/\n";
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);

    (void)state;
    assert_int_equal(sg_url_rewrites_add_gitconfig(rw, ctx, cfg, strlen(cfg)), 0);
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "https://github.com/", "file:///cli/"), 0);
    expect_apply(ctx, rw, "https://github.com/axios/axios.git", "file:///cfg/axios.git");
    expect_apply(ctx, rw, "https://github.com/x/y.git", "file:///cli/x/y.git");
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

static void test_url_rewrite__gitconfig_is_parsed_with_its_length(void **state)
{
    /* the text is not NUL-terminated where len ends: the rest must not be read */
    static const char cfg[] =
        "[url \"file:///a/\"]\n\tinsteadOf = https://a/\n[url \"file:///b/\"]";
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);
    size_t len = strlen("[url \"file:///a/\"]\n\tinsteadOf = https://a/\n");

    (void)state;
    assert_int_equal(sg_url_rewrites_add_gitconfig(rw, ctx, cfg, len), 0);
    expect_apply(ctx, rw, "https://a/x", "file:///a/x");
    /* an empty text adds nothing */
    assert_int_equal(sg_url_rewrites_add_gitconfig(rw, ctx, "", 0), 0);
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

static void test_url_rewrite__malformed_gitconfig_is_refused_with_line(void **state)
{
    static const struct {
        const char *text;
        const char *line;
    } bad[] = {
        {"[url \"x\"\n\tinsteadOf = y\n", "line 1"},
        {"[url \"x\n", "line 1"},
        {"[user]\nname = a\n[]\n", "line 3"},
        {"[url \"a/\"]\n\tinsteadOf y\n", "line 2"},
        {"[url \"a/\"]\n\t9key = y\n", "line 2"},
        {"[url \"a/\"]\n\tinsteadOf = \"open\n", "line 2"},
        {"[url \"a/\"]\n\tinsteadOf = bad\\qescape\n", "line 2"},
        {"[url \"a/\"]\n\tinsteadOf = x\n\n[url \"b/\"] junk here\n", "line 4"},
    };
    sg_ctx *ctx = ctx_new();
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sg_url_rewrites *rw = rw_new(ctx);
        sg_error_clear(ctx);
        if (sg_url_rewrites_add_gitconfig(rw, ctx, bad[i].text, strlen(bad[i].text)) != SG_EINVALID)
            fail_msg("accepted: %s", bad[i].text);
        if (!strstr(sg_error_message(ctx), bad[i].line))
            fail_msg("'%s': message '%s' lacks '%s'", bad[i].text, sg_error_message(ctx),
                     bad[i].line);
        sg_url_rewrites_free(rw);
    }
    {
        sg_url_rewrites *rw = rw_new(ctx);
        sg_error_clear(ctx);
        assert_int_equal(sg_url_rewrites_add_gitconfig(rw, ctx, "[a]\0b", 5), SG_EINVALID);
        sg_url_rewrites_free(rw);
    }
    sg_ctx_free(ctx);
}

static void test_url_rewrite__count_is_bounded(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);
    char from[64];
    int i, rc = 0;

    (void)state;
    for (i = 0; i < 20000 && rc == 0; i++) {
        snprintf(from, sizeof(from), "https://h%d/", i);
        rc = sg_url_rewrites_add(rw, ctx, from, "file:///x/");
    }
    assert_int_equal(rc, SG_ELIMIT);
    assert_true(i > 1000);
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

/* Rewrite a registry "repository" value; want_taken is the expected *taken_over. */
static void expect_repo(sg_ctx *ctx, const sg_url_rewrites *rw, const char *value, const char *want,
                        int want_taken)
{
    sg_buf out = SG_BUF_INIT;
    int taken = -1;

    if (sg_url_rewrites_apply_repo(&out, &taken, ctx, rw, value) != 0)
        fail_msg("'%s': %s", value, sg_error_message(ctx));
    if (strcmp(out.ptr, want) != 0)
        fail_msg("'%s' -> '%s', want '%s'", value, out.ptr, want);
    if (taken != want_taken)
        fail_msg("'%s': taken_over %d, want %d", value, taken, want_taken);
    sg_buf_dispose(&out);
}

static void test_url_rewrite__repo_prefix_onto_mirrors_keeps_the_owners_case(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);

    (void)state;
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "https://github.com/", "file:///srv/mirrors/"),
                     0);
    /* the canonical form is https://github.com/microsoft/tslib.git: the folder is Microsoft */
    expect_repo(ctx, rw, "git+https://github.com/Microsoft/tslib.git",
                "file:///srv/mirrors/Microsoft/tslib.git", 1);
    expect_repo(ctx, rw, "github:Microsoft/tslib", "file:///srv/mirrors/Microsoft/tslib.git", 1);
    expect_repo(ctx, rw, "git@github.com:Microsoft/TypeScript.git#v5.0.0",
                "file:///srv/mirrors/Microsoft/TypeScript.git", 1);
    expect_repo(ctx, rw, "https://github.com/Microsoft/tslib/tree/main/src",
                "file:///srv/mirrors/Microsoft/tslib.git", 1);
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

static void test_url_rewrite__repo_lowercase_rule_matches_and_keeps_the_case(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);

    (void)state;
    /* a rule written in the canonical (lowercased) form still matches a capitalized owner,
     * and the rest of the URL keeps the case the manifest wrote */
    assert_int_equal(
        sg_url_rewrites_add(rw, ctx, "https://github.com/microsoft/", "file:///srv/ms/"), 0);
    expect_repo(ctx, rw, "https://github.com/Microsoft/TypeScript", "file:///srv/ms/TypeScript.git",
                1);
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

static void test_url_rewrite__repo_exact_rule_adds_no_dot_git(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);

    (void)state;
    assert_int_equal(
        sg_url_rewrites_add(rw, ctx, "https://github.com/axios/axios", "file:///srv/axios"), 0);
    expect_repo(ctx, rw, "git+https://github.com/axios/axios.git", "file:///srv/axios", 1);
    expect_repo(ctx, rw, "https://github.com/axios/axios", "file:///srv/axios", 1);
    expect_repo(ctx, rw, "axios/axios", "file:///srv/axios", 1);
    /* a TO written with .git keeps it, once */
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "https://github.com/axios/axios.git",
                                         "file:///srv/axios-mirror.git"),
                     0);
    expect_repo(ctx, rw, "git+https://github.com/axios/axios.git", "file:///srv/axios-mirror.git",
                1);
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

static void test_url_rewrite__repo_rule_with_capitals_matches_as_written(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);

    (void)state;
    /* the canonical form is https://github.com/rob--w/proxy-from-env.git */
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "https://github.com/Rob--W/proxy-from-env.git",
                                         "file:///srv/proxy-from-env.git"),
                     0);
    expect_repo(ctx, rw, "git+https://github.com/Rob--W/proxy-from-env.git",
                "file:///srv/proxy-from-env.git", 1);
    expect_repo(ctx, rw, "https://github.com/Rob--W/proxy-from-env",
                "file:///srv/proxy-from-env.git", 1);
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

static void test_url_rewrite__repo_written_form_and_longest_prefix(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);

    (void)state;
    /* a FROM that only the value as written has (git's insteadOf sees that form) */
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "git@github.com:", "file:///srv/ssh/"), 0);
    expect_repo(ctx, rw, "git@github.com:Foo/bar.git", "file:///srv/ssh/Foo/bar.git", 1);
    /* longest across the forms: the 19-byte https prefix beats the 15-byte scp one */
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "https://github.com/", "file:///srv/https/"), 0);
    expect_repo(ctx, rw, "git@github.com:Foo/bar.git", "file:///srv/https/Foo/bar.git", 1);
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "git@github.com:Foo/bar", "file:///srv/bar"), 0);
    expect_repo(ctx, rw, "git@github.com:Foo/bar.git", "file:///srv/bar", 1);
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

static void test_url_rewrite__repo_without_a_match_is_canonical_and_not_taken(void **state)
{
    sg_ctx *ctx = ctx_new();
    sg_url_rewrites *rw = rw_new(ctx);
    sg_buf out = SG_BUF_INIT;
    int taken = -1;

    (void)state;
    expect_repo(ctx, NULL, "git+https://github.com/Rob--W/proxy-from-env.git",
                "https://github.com/rob--w/proxy-from-env.git", 0);
    /* a TO that leaves the host to the registry's URL takes nothing over */
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "git://", "https://"), 0);
    expect_repo(ctx, rw, "git://10.0.0.1/a/b.git", "https://10.0.0.1/a/b.git", 0);
    assert_int_equal(sg_url_rewrites_add(rw, ctx, "https://gitlab.com/", "https://git.example/m/"),
                     0);
    expect_repo(ctx, rw, "gitlab:g/p", "https://git.example/m/g/p.git", 1);
    assert_int_equal(sg_url_rewrites_apply_repo(&out, &taken, ctx, rw, "file:///etc"), SG_EINVALID);
    sg_buf_dispose(&out);
    sg_url_rewrites_free(rw);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_rewrite__longest_prefix_wins),
        cmocka_unit_test(test_url_rewrite__equal_prefixes_last_added_wins),
        cmocka_unit_test(test_url_rewrite__no_rewrites_keeps_the_url),
        cmocka_unit_test(test_url_rewrite__empty_from_is_refused),
        cmocka_unit_test(test_url_rewrite__gitconfig_insteadof_sections),
        cmocka_unit_test(test_url_rewrite__gitconfig_and_cli_longest_wins_across_both),
        cmocka_unit_test(test_url_rewrite__gitconfig_is_parsed_with_its_length),
        cmocka_unit_test(test_url_rewrite__malformed_gitconfig_is_refused_with_line),
        cmocka_unit_test(test_url_rewrite__count_is_bounded),
        cmocka_unit_test(test_url_rewrite__repo_prefix_onto_mirrors_keeps_the_owners_case),
        cmocka_unit_test(test_url_rewrite__repo_lowercase_rule_matches_and_keeps_the_case),
        cmocka_unit_test(test_url_rewrite__repo_exact_rule_adds_no_dot_git),
        cmocka_unit_test(test_url_rewrite__repo_rule_with_capitals_matches_as_written),
        cmocka_unit_test(test_url_rewrite__repo_written_form_and_longest_prefix),
        cmocka_unit_test(test_url_rewrite__repo_without_a_match_is_canonical_and_not_taken),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
