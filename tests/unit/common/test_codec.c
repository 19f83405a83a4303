/* Unit tests of common/codec.c: hex and base64. */
#include "sg_test.h"

#include <string.h>

#include "common/common.h"

static void test_hex__encodes_lowercase(void **state)
{
    char out[9];
    (void)state;
    sg_hex(out, (const unsigned char *)"\x00\x9f\xab\xff", 4);
    assert_string_equal(out, "009fabff");
    sg_hex(out, (const unsigned char *)"", 0);
    assert_string_equal(out, "");
}

static void test_hex__digits_of_either_case_only(void **state)
{
    const char *good = "0123456789abcdefABCDEF";
    const int want[] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                        11, 12, 13, 14, 15, 10, 11, 12, 13, 14, 15};
    size_t i;
    (void)state;
    for (i = 0; good[i]; i++)
        assert_int_equal(sg_hex_digit((unsigned char)good[i]), want[i]);
    assert_int_equal(sg_hex_digit('g'), -1);
    assert_int_equal(sg_hex_digit('G'), -1);
    assert_int_equal(sg_hex_digit(' '), -1);
    assert_int_equal(sg_hex_digit(0), -1);
    assert_int_equal(sg_hex_digit(0xe0), -1);
}

static void test_hex__decodes_exact_length_and_rejects_non_digits(void **state)
{
    unsigned char out[4];
    (void)state;
    assert_int_equal(sg_hex_decode(out, 4, "00Ff7a9Bxx"), 0); /* only 8 digits are read */
    assert_memory_equal(out, "\x00\xff\x7a\x9b", 4);
    assert_int_equal(sg_hex_decode(out, 0, ""), 0);
    assert_int_equal(sg_hex_decode(out, 2, "12g4"), SG_EINVALID);
    assert_int_equal(sg_hex_decode(out, 2, "123"), SG_EINVALID); /* the NUL is not a digit */
    assert_int_equal(sg_hex_decode(out, 1, "+1"), SG_EINVALID);
}

static void b64_roundtrip(size_t len)
{
    sg_ctx *ctx = NULL;
    sg_buf b = SG_BUF_INIT;
    unsigned char *in = sg_malloc(len + 1), *out = NULL;
    size_t i, n = 0;
    assert_non_null(in);
    for (i = 0; i < len; i++)
        in[i] = (unsigned char)(i * 7 + 3);
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_base64_encode(&b, in, len), 0);
    assert_int_equal(b.size, (len + 2) / 3 * 4);
    assert_int_equal(sg_base64_decode(&out, &n, ctx, b.ptr, b.size, "x"), 0);
    assert_int_equal(n, len);
    assert_memory_equal(out, in, len);
    sg_free(out);
    sg_free(in);
    sg_buf_dispose(&b);
    sg_ctx_free(ctx);
}

static void test_base64__encodes_across_chunks(void **state)
{
    sg_buf b = SG_BUF_INIT;
    (void)state;
    /* around the 3 KiB chunk of EVP_EncodeBlock */
    b64_roundtrip(3071);
    b64_roundtrip(3072);
    b64_roundtrip(3073);
    b64_roundtrip(10000);
    assert_int_equal(sg_buf_puts(&b, "k"), 0);
    assert_int_equal(sg_base64_encode(&b, (const unsigned char *)"\xfb\xff", 2), 0);
    assert_string_equal(b.ptr, "k+/8=");
    sg_buf_dispose(&b);
}

static void test_base64__decodes_with_explicit_length(void **state)
{
    sg_ctx *ctx = NULL;
    unsigned char *out = NULL;
    size_t n = 99;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    /* only the first 4 bytes are the text: no NUL needed */
    assert_int_equal(sg_base64_decode(&out, &n, ctx, "AGIAjunk", 4, "x"), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "\x00\x62\x00", 3);
    sg_free(out);
    sg_ctx_free(ctx);
}

static void b64_bad(const char *in, const char *message)
{
    sg_ctx *ctx = NULL;
    unsigned char *out = NULL;
    size_t n = 0;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_base64_decode(&out, &n, ctx, in, strlen(in), "the field"), SG_EINVALID);
    assert_null(out);
    assert_string_equal(sg_error_message(ctx), message);
    sg_ctx_free(ctx);
}

static void test_base64__rejects_with_a_reason(void **state)
{
    (void)state;
    b64_bad("YQ=", "the field is not valid base64: bad length or padding");
    b64_bad("Y", "the field is not valid base64: bad length or padding");
    b64_bad("YW\nJ", "the field is not valid base64: unexpected character at offset 2");
    b64_bad("+/-_", "the field is not valid base64: unexpected character at offset 0");
    b64_bad("YR==", "the field is not valid base64: non-zero padding bits");
}

/* SRI digests are decoded as ssri (Node's Buffer.from(x, 'base64')) does: leniently. */
static void test_base64__lenient_decodes_as_ssri_does(void **state)
{
    static const struct {
        const char *in;   /* the text */
        int rc;           /* 0 or SG_EINVALID */
        const char *want; /* the bytes when rc is 0 */
        size_t n;         /* how many */
    } cases[] = {
        {"YWJj", 0, "abc", 3},
        {"YWI", 0, "ab", 2},        /* no padding */
        {"YWI=", 0, "ab", 2},       /* padding */
        {"YR==", 0, "a", 1},        /* unused bits not zero */
        {"YWJjZ", 0, "abc", 3},     /* a lone last character adds nothing */
        {"Y", 0, "", 0},            /* the same, alone */
        {"YQ=garbage!", 0, "a", 1}, /* the text ends at the first '=' */
        {"=YWJj", 0, "", 0},        /* even at the start */
        {"", 0, "", 0},
        {"YW-J", SG_EINVALID, NULL, 0}, /* the URL-safe alphabet is not taken */
        {"YW_J", SG_EINVALID, NULL, 0},
        {"YW J", SG_EINVALID, NULL, 0}, /* nor blanks */
        {"YW\nJ", SG_EINVALID, NULL, 0},
    };
    sg_ctx *ctx = NULL;
    unsigned char *out = NULL;
    size_t i, n = 0;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        print_message("case %zu: %s\n", i, cases[i].in);
        assert_int_equal(sg_base64_decode_ex(&out, &n, ctx, cases[i].in, strlen(cases[i].in), "x",
                                             SG_BASE64_LENIENT),
                         cases[i].rc);
        if (cases[i].rc == 0) {
            assert_int_equal(n, cases[i].n);
            assert_non_null(out);
            if (n)
                assert_memory_equal(out, cases[i].want, n);
        } else {
            assert_null(out);
            sg_error_clear(ctx);
        }
        sg_free(out);
        out = NULL;
    }
    /* the strict decoder refuses what leniency allows */
    assert_int_equal(sg_base64_decode_ex(&out, &n, ctx, "YR==", 4, "x", 0), SG_EINVALID);
    sg_ctx_free(ctx);
}

static void test_base64__allocation_failure_is_enomem(void **state)
{
    sg_ctx *ctx = NULL;
    unsigned char *out = NULL;
    size_t n = 0;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    sg_alloc__fail_after(0);
    assert_int_equal(sg_base64_decode(&out, &n, ctx, "YWJj", 4, "x"), SG_ENOMEM);
    sg_alloc__fail_after(-1);
    assert_null(out);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex__encodes_lowercase),
        cmocka_unit_test(test_hex__digits_of_either_case_only),
        cmocka_unit_test(test_hex__decodes_exact_length_and_rejects_non_digits),
        cmocka_unit_test(test_base64__encodes_across_chunks),
        cmocka_unit_test(test_base64__decodes_with_explicit_length),
        cmocka_unit_test(test_base64__rejects_with_a_reason),
        cmocka_unit_test(test_base64__lenient_decodes_as_ssri_does),
        cmocka_unit_test(test_base64__allocation_failure_is_enomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
