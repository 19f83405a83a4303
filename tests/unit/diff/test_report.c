/* Unit tests of diff/report.c and diff/finding_kinds.c: the finding table, verdicts, writers. */
#include "sg_test.h"

#include <string.h>

#include "common/common.h"

static sg_report *new_report(sg_ctx **ctx)
{
    sg_report *r = NULL;
    sg_ctx_new(ctx);
    assert_int_equal(sg_report_new(&r, *ctx), 0);
    return r;
}

static void test_report__refuses_unknown_kind(void **state)
{
    sg_ctx *ctx;
    sg_report *r = new_report(&ctx);
    sg_finding f = {"made-up-kind", SG_SEV_HIGH, NULL, NULL, NULL, NULL, NULL, NULL};
    (void)state;
    assert_int_equal(sg_report_add(r, ctx, &f), SG_EINVALID);
    assert_int_equal(sg_report_finding_count(r), 0);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

static void test_report__every_design_kind_is_known(void **state)
{
    const char *kinds[] = {"integrity-mismatch", "signature-invalid", "provenance-invalid",
                           "provenance-source-mismatch", "provenance-regression",
                           "manifest-mismatch", "ref-unresolved", "ref-mismatch",
                           "ref-unreachable", "source-missing", "dependency-added",
                           "dependency-changed", "script-added", "script-changed", "bin-added",
                           "bin-changed", "entry-changed", "file-added", "file-modified",
                           "mode-changed", "file-unverified", "duplicate-entry", "file-missing",
                           "dependency-removed", "script-removed", "field-changed"};
    size_t i;
    (void)state;
    for (i = 0; i < SG_ARRAY_SIZE(kinds); i++)
        assert_non_null(sg_finding_kind_lookup(kinds[i]));
    assert_int_equal(sg_finding_kind_lookup("dependency-added")->severity, SG_SEV_CRITICAL);
    assert_int_equal(sg_finding_kind_lookup("file-unverified")->severity, SG_SEV_MEDIUM);
    assert_int_equal(sg_finding_kind_lookup("file-missing")->severity, SG_SEV_INFO);
}

static void test_report__verdict_fail_at_threshold(void **state)
{
    sg_ctx *ctx;
    sg_report *r = new_report(&ctx);
    (void)state;
    sg_report_addf(r, ctx, "mode-changed", "a.js", "exec bit added");
    assert_int_equal(sg_report_decide(r, SG_SEV_HIGH), SG_VERDICT_PASS);
    assert_int_equal(sg_report_decide(r, SG_SEV_MEDIUM), SG_VERDICT_FAIL);
    sg_report_addf(r, ctx, "file-added", "x.js", "not in source");
    assert_int_equal(sg_report_decide(r, SG_SEV_HIGH), SG_VERDICT_FAIL);
    assert_int_equal(sg_report_max_severity(r), SG_SEV_HIGH);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

static void test_report__unverified_file_makes_inconclusive_not_pass(void **state)
{
    sg_ctx *ctx;
    sg_report *r = new_report(&ctx);
    (void)state;
    sg_report_addf(r, ctx, "file-unverified", "dist/x.js", "built");
    assert_int_equal(sg_report_decide(r, SG_SEV_HIGH), SG_VERDICT_INCONCLUSIVE);
    /* ...but a failing finding still fails. */
    sg_report_addf(r, ctx, "script-added", "package.json", "postinstall");
    assert_int_equal(sg_report_decide(r, SG_SEV_HIGH), SG_VERDICT_FAIL);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

static void test_report__decide_sorts_by_severity_then_kind(void **state)
{
    sg_ctx *ctx;
    sg_report *r = new_report(&ctx);
    (void)state;
    sg_report_addf(r, ctx, "file-missing", "b", "x");
    sg_report_addf(r, ctx, "file-added", "z", "x");
    sg_report_addf(r, ctx, "dependency-added", "package.json", "x");
    sg_report_addf(r, ctx, "file-added", "a", "x");
    sg_report_decide(r, SG_SEV_HIGH);
    assert_string_equal(sg_report_finding(r, 0)->kind, "dependency-added");
    assert_string_equal(sg_report_finding(r, 1)->path, "a");
    assert_string_equal(sg_report_finding(r, 2)->path, "z");
    assert_string_equal(sg_report_finding(r, 3)->kind, "file-missing");
    sg_report_free(r);
    sg_ctx_free(ctx);
}

static void test_report__json_has_design_schema(void **state)
{
    sg_ctx *ctx;
    sg_report *r = new_report(&ctx);
    sg_buf out = SG_BUF_INIT;
    sg_finding f = {"dependency-added", SG_SEV_CRITICAL, "package.json", "dependencies",
                    "plain-crypto-js", NULL, "^4.2.1", "quote \" and newline\n"};
    cJSON *doc, *a;
    (void)state;
    sg_report_set(r, ctx, SG_REPORT_PACKAGE, "axios");
    sg_report_set(r, ctx, SG_REPORT_VERSION, "1.14.1");
    sg_report_set(r, ctx, SG_REPORT_PURL, "pkg:npm/axios@1.14.1");
    sg_report_add(r, ctx, &f);
    sg_report_add_normalization(r, ctx, "tar-mtime");
    sg_report_add_normalization(r, ctx, "tar-mtime");
    sg_report_set_count(r, SG_COUNT_FILES_SAME, 85);
    sg_report_decide(r, SG_SEV_HIGH);
    assert_int_equal(sg_report_write_json(&out, ctx, r), 0);
    assert_int_equal(sg_json_parse(&doc, ctx, out.ptr, out.size, "report"), 0);
    assert_string_equal(sg_json_str(doc, "schema"), "sourcegate/report/v1");
    assert_string_equal(sg_json_str(doc, "verdict"), "fail");
    assert_string_equal(sg_json_str(doc, "purl"), "pkg:npm/axios@1.14.1");
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(doc, "artifact")));
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(doc, "source")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(doc, "compared_with")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "normalizations")), 1);
    a = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "findings"), 0);
    assert_string_equal(sg_json_str(a, "kind"), "dependency-added");
    assert_string_equal(sg_json_str(a, "severity"), "critical");
    assert_string_equal(sg_json_str(a, "name"), "plain-crypto-js");
    assert_string_equal(sg_json_str(a, "after"), "^4.2.1");
    assert_null(cJSON_GetObjectItem(a, "before"));
    assert_string_equal(sg_json_str(a, "detail"), "quote \" and newline\n");
    assert_int_equal(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "counts"), "files_same")->valueint, 85);
    cJSON_Delete(doc);
    sg_buf_dispose(&out);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

static void test_report__lists_appear_in_json_and_verbose_text(void **state)
{
    sg_ctx *ctx;
    sg_report *r = new_report(&ctx);
    sg_buf out = SG_BUF_INIT;
    cJSON *doc;
    (void)state;
    assert_int_equal(sg_report_list_add(r, ctx, SG_LIST_SOURCE_TRIED, "tag: v1.0.0 -> abc ok"), 0);
    assert_int_equal(sg_report_list_add(r, ctx, SG_LIST_CHECKS, "registry-signature: verified"),
                     0);
    assert_int_equal(sg_report_list_count(r, SG_LIST_SOURCE_TRIED), 1);
    assert_string_equal(sg_report_list_get(r, SG_LIST_CHECKS, 0), "registry-signature: verified");
    assert_null(sg_report_list_get(r, SG_LIST_CHECKS, 1));
    sg_report_decide(r, SG_SEV_HIGH);
    sg_report_write_json(&out, ctx, r);
    assert_int_equal(sg_json_parse(&doc, ctx, out.ptr, out.size, "report"), 0);
    assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "source"),
                                                               "tried"), 0)->valuestring,
                        "tag: v1.0.0 -> abc ok");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "checks")), 1);
    cJSON_Delete(doc);
    sg_buf_clear(&out);
    sg_report_write_text(&out, ctx, r, SG_TEXT_VERBOSE);
    assert_non_null(strstr(out.ptr, "source candidates:\n    tag: v1.0.0 -> abc ok\n"));
    sg_buf_dispose(&out);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

static void test_report__text_escapes_control_bytes_of_untrusted_strings(void **state)
{
    sg_ctx *ctx;
    sg_report *r = new_report(&ctx);
    sg_buf out = SG_BUF_INIT;
    (void)state;
    sg_report_set(r, ctx, SG_REPORT_PACKAGE, "evil\x1b[2J");
    sg_report_set(r, ctx, SG_REPORT_VERSION, "1.0.0");
    sg_report_addf(r, ctx, "file-added", "x\nverdict: pass\r\x07.js", "not in the source");
    sg_report_decide(r, SG_SEV_HIGH);
    assert_int_equal(sg_report_write_text(&out, ctx, r, SG_TEXT_VERBOSE), 0);
    assert_null(strchr(out.ptr, '\x1b'));
    assert_null(strchr(out.ptr, '\r'));
    assert_null(strchr(out.ptr, '\x07'));
    assert_non_null(strstr(out.ptr, "evil\\x1b[2J@1.0.0: fail"));
    assert_non_null(strstr(out.ptr, "x\\x0averdict: pass\\x0d\\x07.js"));
    /* the only verdict line is the real one */
    assert_non_null(strstr(out.ptr, "\nverdict: fail\n"));
    assert_null(strstr(out.ptr, "\nverdict: pass"));
    sg_buf_dispose(&out);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

static void test_report__text_hides_info_unless_verbose(void **state)
{
    sg_ctx *ctx;
    sg_report *r = new_report(&ctx);
    sg_buf out = SG_BUF_INIT;
    (void)state;
    sg_report_set(r, ctx, SG_REPORT_PACKAGE, "p");
    sg_report_set(r, ctx, SG_REPORT_VERSION, "1.0.0");
    sg_report_addf(r, ctx, "file-missing", "docs/x.md", "not packed");
    sg_report_addf(r, ctx, "file-added", "evil.js", "not in the source");
    sg_report_decide(r, SG_SEV_HIGH);
    sg_report_write_text(&out, ctx, r, 0);
    assert_non_null(strstr(out.ptr, "p@1.0.0: fail"));
    assert_non_null(strstr(out.ptr, "HIGH     file-added         evil.js"));
    assert_null(strstr(out.ptr, "docs/x.md"));
    assert_non_null(strstr(out.ptr, "1 info finding not shown"));
    assert_non_null(strstr(out.ptr, "verdict: fail\n"));
    sg_buf_clear(&out);
    sg_report_write_text(&out, ctx, r, SG_TEXT_VERBOSE);
    assert_non_null(strstr(out.ptr, "docs/x.md"));
    sg_buf_dispose(&out);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

/* With no commit for the version the text says first, in plain words, that the findings are
 * about another release (issue 14). */
static void test_report__text_leads_with_the_release_compared_with(void **state)
{
    sg_ctx *ctx;
    sg_report *r = new_report(&ctx);
    sg_buf out = SG_BUF_INIT;
    const char *lead, *artifact;
    (void)state;
    sg_report_set(r, ctx, SG_REPORT_PACKAGE, "axios");
    sg_report_set(r, ctx, SG_REPORT_VERSION, "1.14.1");
    sg_report_set(r, ctx, SG_REPORT_COMPARED_REF, "v1.14.0");
    sg_report_set(r, ctx, SG_REPORT_COMPARED_WHY, "nearest earlier tagged release");
    sg_report_addf(r, ctx, "ref-unresolved", NULL, "no tag, gitHead or history commit");
    sg_report_decide(r, SG_SEV_HIGH);
    sg_report_write_text(&out, ctx, r, 0);
    lead = strstr(out.ptr, "NO COMMIT for this version: the findings below compare the tarball "
                           "with v1.14.0, another release");
    artifact = strstr(out.ptr, "  artifact");
    assert_non_null(lead);
    assert_non_null(artifact);
    assert_true(lead < artifact);
    sg_buf_dispose(&out);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

/* A manifest-mismatch line says which field, which key and both values; a finding with
 * nothing after its kind ends without spaces (issue 16). */
static void test_report__text_mismatch_names_field_and_both_values(void **state)
{
    sg_ctx *ctx;
    sg_report *r = new_report(&ctx);
    sg_buf out = SG_BUF_INIT;
    sg_finding f = {0};
    (void)state;
    sg_report_set(r, ctx, SG_REPORT_PACKAGE, "axios");
    sg_report_set(r, ctx, SG_REPORT_VERSION, "1.7.9");
    f.kind = "manifest-mismatch";
    f.severity = SG_SEV_HIGH;
    f.path = "package.json";
    f.field = "dependencies";
    f.name = "follow-redirects";
    f.before = "^1.15.6";
    f.after = "^1.15.0";
    f.detail = "the registry's metadata names another spec";
    assert_int_equal(sg_report_add(r, ctx, &f), 0);
    sg_report_addf(r, ctx, "source-missing", NULL, "%s", ""); /* an empty detail */
    sg_report_decide(r, SG_SEV_HIGH);
    assert_int_equal(sg_report_write_text(&out, ctx, r, 0), 0);
    assert_non_null(strstr(out.ptr, "HIGH     manifest-mismatch  package.json "
                                    "dependencies.follow-redirects: ^1.15.6 -> ^1.15.0\n"));
    assert_non_null(strstr(out.ptr, "the registry's metadata names another spec\n"));
    assert_non_null(strstr(out.ptr, "HIGH     source-missing\n"));
    if (strstr(out.ptr, " \n"))
        fail_msg("a line ends in a space:\n%s", out.ptr);
    /* the reason line names the worst finding and how many reach the threshold */
    assert_non_null(strstr(out.ptr, "  reason    2 findings at or above high; the worst: "));
    sg_buf_dispose(&out);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report__text_leads_with_the_release_compared_with),
        cmocka_unit_test(test_report__text_mismatch_names_field_and_both_values),
        cmocka_unit_test(test_report__refuses_unknown_kind),
        cmocka_unit_test(test_report__every_design_kind_is_known),
        cmocka_unit_test(test_report__verdict_fail_at_threshold),
        cmocka_unit_test(test_report__unverified_file_makes_inconclusive_not_pass),
        cmocka_unit_test(test_report__decide_sorts_by_severity_then_kind),
        cmocka_unit_test(test_report__json_has_design_schema),
        cmocka_unit_test(test_report__lists_appear_in_json_and_verbose_text),
        cmocka_unit_test(test_report__text_escapes_control_bytes_of_untrusted_strings),
        cmocka_unit_test(test_report__text_hides_info_unless_verbose),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
