/* Unit tests of common/text.c: showing untrusted text, URL redaction, purls. */
#include "sg_test.h"

#include <string.h>

#include "common/common.h"

static void shown(const char *s, size_t len, size_t max, unsigned flags, const char *want)
{
    sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_buf_put_shown(&b, s, len, max, flags), 0);
    assert_string_equal(b.ptr, want);
    sg_buf_dispose(&b);
}

static void test_show__hex_spells_out_control_bytes_and_keeps_utf8(void **state)
{
    (void)state;
    shown("a\nb\x7f\x01 \xc3\xa9", 8, SIZE_MAX, SG_SHOW_HEX, "a\\x0ab\\x7f\\x01 \xc3\xa9");
    shown("verdict: ok\r\n", 13, SIZE_MAX, SG_SHOW_HEX, "verdict: ok\\x0d\\x0a");
    shown("a\0b", 3, SIZE_MAX, SG_SHOW_HEX, "a\\x00b");
    shown("", 0, SIZE_MAX, SG_SHOW_HEX, "");
}

static void test_show__qmark_keeps_printable_ascii_only(void **state)
{
    (void)state;
    shown("a\nb \xc3\xa9~", 7, SIZE_MAX, SG_SHOW_QMARK, "a?b ??~");
    shown("a b\t", 4, SIZE_MAX, SG_SHOW_QMARK | SG_SHOW_NO_SPACE, "a?b?");
}

static void test_show__cuts_at_max_with_an_ellipsis(void **state)
{
    (void)state;
    shown("abcdef", 6, 6, SG_SHOW_HEX, "abcdef");
    shown("abcdef", 6, 3, SG_SHOW_HEX, "abc...");
    shown("\n\n\n\n", 4, 2, SG_SHOW_HEX, "\\x0a\\x0a..."); /* max counts input bytes */
    shown("abc", 3, 0, SG_SHOW_QMARK, "...");
}

static void test_show__byte_measures_without_writing(void **state)
{
    char out[4];
    (void)state;
    assert_int_equal(sg_show_byte(NULL, 'a', SG_SHOW_HEX), 1);
    assert_int_equal(sg_show_byte(NULL, 0x1b, SG_SHOW_HEX), 4);
    assert_int_equal(sg_show_byte(out, 0x1b, SG_SHOW_HEX), 4);
    assert_memory_equal(out, "\\x1b", 4);
    assert_int_equal(sg_show_byte(out, 0x1b, SG_SHOW_QMARK), 1);
    assert_int_equal(out[0], '?');
}

static void userinfo(const char *url, const char *ends, int found, size_t b, size_t e)
{
    size_t gb = 99, ge = 99;
    assert_int_equal(sg_url_userinfo(&gb, &ge, url, strlen(url), ends), found);
    if (found) {
        assert_int_equal(gb, b);
        assert_int_equal(ge, e);
    }
}

static void test_url__finds_userinfo_before_the_last_at_of_the_authority(void **state)
{
    (void)state;
    userinfo("https://u:p@host/x", "/?#", 1, 8, 11);
    userinfo("https://a@b:p@host/x@y", "/?#", 1, 8, 13); /* the last '@' of the authority */
    userinfo("https://host/x@y", "/?#", 0, 0, 0);        /* an '@' in the path is not one */
    userinfo("https://host?q@x/", "/?#", 0, 0, 0);
    userinfo("https://host?q@x/", "/#", 1, 8, 14);  /* a caller that does not stop at '?' */
    userinfo("https://@host", "/?#", 1, 8, 8);      /* empty userinfo */
    userinfo("git@github.com:o/r", "/?#", 1, 0, 3); /* no scheme: from the start */
    userinfo("", "/?#", 0, 0, 0);
}

static void redacted(const char *url, const char *mark, const char *want)
{
    sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_url_redact(&b, url, strlen(url), "/?#", mark), 0);
    assert_string_equal(b.ptr, want);
    sg_buf_dispose(&b);
}

static void test_url__redacts_with_a_mark_or_drops(void **state)
{
    (void)state;
    redacted("https://u:tok@registry.example/pkg?x=1", "***",
             "https://***@registry.example/pkg?x=1");
    redacted("https://u:tok@registry.example/pkg", NULL, "https://registry.example/pkg");
    redacted("https://registry.example/a@b", NULL, "https://registry.example/a@b");
    redacted("user@host:repo.git", "***", "***@host:repo.git");
}

static void purl(const char *name, const char *version, const char *want)
{
    sg_buf b = SG_BUF_INIT;
    assert_int_equal(sg_purl_npm(&b, name, version), 0);
    assert_string_equal(b.ptr, want);
    sg_buf_dispose(&b);
}

static void test_purl__encodes_the_scope_at_only(void **state)
{
    (void)state;
    purl("left-pad", "1.3.0", "pkg:npm/left-pad@1.3.0");
    purl("@scope/name", "2.0.0-rc.1", "pkg:npm/%40scope/name@2.0.0-rc.1");
    purl("@scope/name", NULL, "pkg:npm/%40scope/name");
    purl("x", "", "pkg:npm/x@");
}

static void test_utf8__valid_and_invalid_sequences(void **state)
{
    static const struct {
        const char *s;
        int ok;
    } cases[] = {
        {"plain ascii", 1},
        {"caf\xc3\xa9", 1},
        {"\xe2\x82\xac", 1},
        {"\xf0\x9f\x98\x80", 1},
        {"\xc0\xaf", 0},
        {"\xe0\x80\xaf", 0},
        {"\xed\xa0\x80", 0},
        {"\xf4\x90\x80\x80", 0},
        {"\xc3", 0},
        {"\xff", 0},
        {"a\x80"
         "b",
         0},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        if (sg_utf8_valid((const unsigned char *)cases[i].s, strlen(cases[i].s)) != cases[i].ok)
            fail_msg("case %zu: want %d", i, cases[i].ok);
    assert_int_equal(sg_utf8_seq((const unsigned char *)"\xe2\x82\xac", 3), 3);
    assert_int_equal(sg_utf8_seq((const unsigned char *)"\xe2\x82\xac", 2), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_show__hex_spells_out_control_bytes_and_keeps_utf8),
        cmocka_unit_test(test_utf8__valid_and_invalid_sequences),
        cmocka_unit_test(test_show__qmark_keeps_printable_ascii_only),
        cmocka_unit_test(test_show__cuts_at_max_with_an_ellipsis),
        cmocka_unit_test(test_show__byte_measures_without_writing),
        cmocka_unit_test(test_url__finds_userinfo_before_the_last_at_of_the_authority),
        cmocka_unit_test(test_url__redacts_with_a_mark_or_drops),
        cmocka_unit_test(test_purl__encodes_the_scope_at_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
