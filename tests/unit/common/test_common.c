/* Unit tests of common/: sg_buf, path normalization, JSON limits, limits, tree builder. */
#include "sg_test.h"

#include <string.h>

#include "common/common.h"

static void test_buf__grows_and_stays_nul_terminated(void **state)
{
    sg_buf b = SG_BUF_INIT;
    int i;
    (void)state;
    assert_string_equal(b.ptr, "");
    for (i = 0; i < 1000; i++)
        assert_int_equal(sg_buf_puts(&b, "abc"), 0);
    assert_int_equal(b.size, 3000);
    assert_int_equal(b.ptr[3000], '\0');
    assert_int_equal(sg_buf_printf(&b, "%d", 42), 0);
    assert_memory_equal(b.ptr + 3000, "42", 3);
    sg_buf_dispose(&b);
}

static void test_buf__limit_error_is_sticky(void **state)
{
    sg_buf b;
    (void)state;
    sg_buf_init(&b, 8);
    assert_int_equal(sg_buf_puts(&b, "12345678"), 0);
    assert_int_equal(sg_buf_putc(&b, '9'), SG_ELIMIT);
    assert_int_equal(sg_buf_puts(&b, ""), SG_ELIMIT);
    assert_int_equal(b.size, 8);
    sg_buf_clear(&b);
    assert_int_equal(sg_buf_puts(&b, "ok"), 0);
    sg_buf_dispose(&b);
}

static void test_buf__alloc_failure_is_reported(void **state)
{
    sg_buf b = SG_BUF_INIT;
    (void)state;
    sg_alloc__fail_after(0);
    assert_int_equal(sg_buf_puts(&b, "x"), SG_ENOMEM);
    sg_alloc__fail_after(-1);
    assert_int_equal(sg_buf_puts(&b, "x"), SG_ENOMEM); /* sticky */
    sg_buf_dispose(&b);
}

static void test_base64__matches_rfc4648_vectors(void **state)
{
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *want[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    size_t i;
    (void)state;
    for (i = 0; i < 7; i++) {
        sg_buf b = SG_BUF_INIT;
        sg_base64_encode(&b, (const unsigned char *)in[i], strlen(in[i]));
        assert_string_equal(b.ptr, want[i]);
        sg_buf_dispose(&b);
    }
}

static sg_path_status norm(sg_buf *out, const char *in, int strip, char *top)
{
    return sg_path_normalize(out, in, strlen(in), strip, top, top ? 64 : 0, NULL, 1024, 64);
}

static void test_path__strips_top_and_dot_segments(void **state)
{
    sg_buf b = SG_BUF_INIT;
    char top[64];
    int dotted = 0;
    (void)state;
    assert_int_equal(norm(&b, "package/lib/a.js", 1, top), SG_PATH_OK);
    assert_string_equal(b.ptr, "lib/a.js");
    assert_string_equal(top, "package");
    assert_int_equal(sg_path_normalize(&b, "package/./dist//x.js", 20, 1, top, 64, &dotted, 1024,
                                       64),
                     SG_PATH_OK);
    assert_string_equal(b.ptr, "dist/x.js");
    assert_int_equal(dotted, 1);
    assert_int_equal(norm(&b, "./package/x", 1, top), SG_PATH_OK);
    assert_string_equal(b.ptr, "x");
    assert_int_equal(norm(&b, "express/index.js", 1, top), SG_PATH_OK);
    assert_string_equal(top, "express");
    assert_int_equal(norm(&b, "package/", 1, top), SG_PATH_EMPTY);
    sg_buf_dispose(&b);
}

static void test_path__refuses_hostile_paths(void **state)
{
    sg_buf b = SG_BUF_INIT;
    (void)state;
    assert_int_equal(norm(&b, "/etc/passwd", 1, NULL), SG_PATH_ABSOLUTE);
    assert_int_equal(norm(&b, "package/../../x", 1, NULL), SG_PATH_PARENT);
    assert_int_equal(norm(&b, "package/a/../b", 1, NULL), SG_PATH_PARENT);
    assert_int_equal(norm(&b, "package\\..\\x", 1, NULL), SG_PATH_BACKSLASH);
    assert_int_equal(sg_path_normalize(&b, "package/a\0b", 11, 1, NULL, 0, NULL, 1024, 64),
                     SG_PATH_NUL);
    assert_int_equal(sg_path_normalize(&b, "p/aaaa/bbbb", 11, 1, NULL, 0, NULL, 8, 64),
                     SG_PATH_TOO_LONG);
    assert_int_equal(sg_path_normalize(&b, "p/aaaa/bbbb", 11, 1, NULL, 0, NULL, 9, 64),
                     SG_PATH_OK);
    assert_int_equal(sg_path_normalize(&b, "p/a/b/c", 7, 1, NULL, 0, NULL, 100, 2),
                     SG_PATH_TOO_DEEP);
    assert_int_equal(sg_path_normalize(&b, "p/a/b", 5, 1, NULL, 0, NULL, 100, 2), SG_PATH_OK);
    sg_buf_dispose(&b);
}

static void test_path__extname_follows_node(void **state)
{
    char ext[16];
    (void)state;
    sg_path_extname_lower(ext, sizeof(ext), "lib/A.JS");
    assert_string_equal(ext, ".js");
    sg_path_extname_lower(ext, sizeof(ext), ".hidden");
    assert_string_equal(ext, "");
    sg_path_extname_lower(ext, sizeof(ext), "x/a.d.ts");
    assert_string_equal(ext, ".ts");
    assert_true(sg_path_under("dist/a.js", "dist"));
    assert_true(sg_path_under("dist", "dist/"));
    assert_false(sg_path_under("distx/a.js", "dist"));
}

static void test_json__keeps_last_duplicate_key(void **state)
{
    sg_ctx *ctx;
    cJSON *doc;
    const char *s = "{\"scripts\":{\"test\":\"x\"},\"scripts\":{\"postinstall\":\"evil\"}}";
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_json_parse(&doc, ctx, s, strlen(s), "doc"), 0);
    assert_string_equal(
        sg_json_str(cJSON_GetObjectItemCaseSensitive(doc, "scripts"), "postinstall"), "evil");
    assert_null(sg_json_str(cJSON_GetObjectItemCaseSensitive(doc, "scripts"), "test"));
    assert_int_equal(cJSON_GetArraySize(doc), 1);
    cJSON_Delete(doc);
    sg_ctx_free(ctx);
}

static void test_json__refuses_depth_past_limit(void **state)
{
    sg_ctx *ctx;
    cJSON *doc = NULL;
    char deep[400];
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_JSON_DEPTH, 100), 0);
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    assert_int_equal(sg_json_parse(&doc, ctx, deep, 200, "doc"), 0); /* at the limit */
    cJSON_Delete(doc);
    memset(deep, '[', 101);
    memset(deep + 101, ']', 101);
    assert_int_equal(sg_json_parse(&doc, ctx, deep, 202, "doc"), SG_ELIMIT);
    assert_non_null(strstr(sg_error_message(ctx), "json-depth"));
    sg_ctx_free(ctx);
}

static void test_json__refuses_invalid_utf8_nul_and_trailing_data(void **state)
{
    sg_ctx *ctx;
    cJSON *doc = NULL;
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_json_parse(&doc, ctx, "{\"a\":\"\xc3\x28\"}", 10, "doc"), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_json_parse(&doc, ctx, "{\"a\":1}\0", 8, "doc"), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_json_parse(&doc, ctx, "{\"a\":1} x", 9, "doc"), SG_EINVALID);
    assert_non_null(strstr(sg_error_message(ctx), "trailing"));
    sg_error_clear(ctx);
    assert_int_equal(sg_json_parse(&doc, ctx, "\xef\xbb\xbf{\"a\":1}\n", 11, "doc"), 0);
    cJSON_Delete(doc);
    sg_error_clear(ctx);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_JSON_SIZE, 4), 0);
    assert_int_equal(sg_json_parse(&doc, ctx, "{\"a\":1}", 7, "doc"), SG_ELIMIT);
    sg_ctx_free(ctx);
}

static void test_json__allocation_failure_is_enomem_not_invalid(void **state)
{
    sg_ctx *ctx;
    cJSON *doc = NULL;
    const char *s = "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":\"e\"}";
    long n;
    int saw_enomem = 0;
    (void)state;
    sg_ctx_new(&ctx);
    for (n = 0; n < 64; n++) {
        int rc;
        sg_error_clear(ctx);
        sg_alloc__fail_after(n);
        rc = sg_json_parse(&doc, ctx, s, strlen(s), "doc");
        sg_alloc__fail_after(-1);
        assert_true(rc == 0 || rc == SG_ENOMEM);
        saw_enomem |= rc == SG_ENOMEM;
        cJSON_Delete(doc);
        doc = NULL;
        if (rc == 0)
            break;
    }
    assert_true(saw_enomem);
    sg_ctx_free(ctx);
}

static void test_json__escapes_strings_for_output(void **state)
{
    sg_buf b = SG_BUF_INIT;
    (void)state;
    sg_json_put_string(&b, "a\"b\\c\n\x01 caf\xc3\xa9 \xff");
    assert_string_equal(b.ptr, "\"a\\\"b\\\\c\\n\\u0001 caf\xc3\xa9 \\ufffd\"");
    sg_buf_dispose(&b);
}

static void test_limits__refuses_zero_and_past_ceiling(void **state)
{
    sg_ctx *ctx;
    sg_limit which;
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_limit_lookup(&which, "entries"), 0);
    assert_int_equal(which, SG_LIMIT_ENTRIES);
    assert_int_equal(sg_ctx_set_limit(ctx, which, sg_limit_ceiling(which)), 0);
    assert_int_equal(sg_ctx_set_limit(ctx, which, sg_limit_ceiling(which) + 1), SG_EINVALID);
    sg_error_clear(ctx);
    assert_int_equal(sg_ctx_set_limit(ctx, which, 0), SG_EINVALID);
    assert_int_equal(sg_limit_lookup(&which, "no-such-limit"), SG_ENOTFOUND);
    sg_ctx_free(ctx);
}

static void test_errors__first_error_wins_and_wrap_prefixes(void **state)
{
    sg_ctx *ctx;
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_error_set(ctx, SG_EINVALID, "bad '%s'", "x"), SG_EINVALID);
    sg_error_set(ctx, SG_EIO, "later");
    sg_error_wrap(ctx, "reading '%s'", "f.tgz");
    assert_string_equal(sg_error_message(ctx), "reading 'f.tgz': bad 'x'");
    assert_int_equal(sg_error_code_of(ctx), SG_EINVALID);
    sg_ctx_free(ctx);
}

static void test_tree__sorted_find_select_and_read(void **state)
{
    sgt_file files[] = {
        {"z.js", "z", 0, 0}, {"a/b.js", "bb", 0, 0755}, {"a.js", "a", 0, 0},
    };
    sg_tree *t = sgt_tree(files, 3), *sel = NULL;
    unsigned char keep[3] = {1, 0, 1};
    sg_ctx *ctx;
    sg_buf b = SG_BUF_INIT;
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_tree_count(t), 3);
    assert_string_equal(sg_tree_entry(t, 0)->path, "a.js");
    assert_string_equal(sg_tree_entry(t, 1)->path, "a/b.js");
    assert_true(sg_tree_entry(t, 1)->exec);
    assert_non_null(sg_tree_find(t, "z.js"));
    assert_null(sg_tree_find(t, "q.js"));
    assert_int_equal(sg_tree_select(&sel, ctx, t, keep), 0);
    sg_tree_free(t); /* the selection keeps the backend alive */
    assert_int_equal(sg_tree_count(sel), 2);
    assert_int_equal(sg_tree_read(&b, ctx, sel, sg_tree_find(sel, "z.js")), 0);
    assert_string_equal(b.ptr, "z");
    sg_buf_dispose(&b);
    sg_tree_free(sel);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf__grows_and_stays_nul_terminated),
        cmocka_unit_test(test_buf__limit_error_is_sticky),
        cmocka_unit_test(test_buf__alloc_failure_is_reported),
        cmocka_unit_test(test_base64__matches_rfc4648_vectors),
        cmocka_unit_test(test_path__strips_top_and_dot_segments),
        cmocka_unit_test(test_path__refuses_hostile_paths),
        cmocka_unit_test(test_path__extname_follows_node),
        cmocka_unit_test(test_json__keeps_last_duplicate_key),
        cmocka_unit_test(test_json__refuses_depth_past_limit),
        cmocka_unit_test(test_json__refuses_invalid_utf8_nul_and_trailing_data),
        cmocka_unit_test(test_json__allocation_failure_is_enomem_not_invalid),
        cmocka_unit_test(test_json__escapes_strings_for_output),
        cmocka_unit_test(test_limits__refuses_zero_and_past_ceiling),
        cmocka_unit_test(test_errors__first_error_wins_and_wrap_prefixes),
        cmocka_unit_test(test_tree__sorted_find_select_and_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
