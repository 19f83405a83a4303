/*
 * diff/delta.c: the predecessor, the changes of two manifests and trees, their bounds; the
 * delta in the text report and the HTML audit page.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sourcegate/audit.h"

static cJSON *parse(const char *s)
{
    cJSON *j = cJSON_Parse(s);
    assert_non_null(j);
    return j;
}

static const char *pred(const char *versions, const char *v)
{
    static char out[64];
    char doc[2048];
    const char *p = NULL;
    cJSON *j;
    snprintf(doc, sizeof(doc), "{\"versions\":{%s}}", versions);
    j = parse(doc);
    assert_int_equal(sg_diff_delta_predecessor(&p, j, v), 0);
    snprintf(out, sizeof(out), "%s", p ? p : "(none)");
    cJSON_Delete(j);
    return out;
}

static void test_delta__predecessor_by_semver_and_line(void **state)
{
    const char *vs = "\"1.0.0\":{},\"1.10.0\":{},\"1.9.0\":{},\"2.0.0-beta.1\":{},"
                     "\"2.0.0-beta.2\":{},\"2.0.0-rc.1\":{},\"2.0.0\":{},\"1.9.1\":{},\"junk\":{}";
    (void)state;
    assert_string_equal(pred(vs, "1.10.0"), "1.9.1"); /* semver, not publish or string order */
    assert_string_equal(pred(vs, "2.0.0"), "1.10.0"); /* a release skips prereleases */
    assert_string_equal(pred(vs, "2.0.0-beta.2"), "2.0.0-beta.1");
    assert_string_equal(pred(vs, "2.0.0-rc.1"), "1.10.0"); /* the first of its line */
    assert_string_equal(pred(vs, "2.0.0-rc.2"), "2.0.0-rc.1");
    assert_string_equal(pred(vs, "1.0.0"), "(none)");
    assert_string_equal(pred(vs, "not-a-version"), "(none)");
    assert_string_equal(pred(vs, "1.9.2"), "1.9.1"); /* a staged version, not listed */
}

static size_t count(const sg_report *r, const char *change, const char *field, const char *name)
{
    size_t i, n = 0;
    for (i = 0; i < sg_report_delta_count(r); i++) {
        const sg_delta_change *c = sg_report_delta_change(r, i);
        n += !strcmp(c->change, change) && !strcmp(c->field, field) &&
             (!name || (c->name && !strcmp(c->name, name)));
    }
    return n;
}

static void test_delta__manifest_changes(void **state)
{
    sg_ctx *ctx;
    sg_report *r;
    cJSON *a = parse("{\"name\":\"@s/x\",\"dependencies\":{\"a\":\"1\",\"b\":\"1\"},"
                     "\"devDependencies\":{\"d\":\"1\"},\"bundleDependencies\":[\"a\"],"
                     "\"scripts\":{\"test\":\"x\",\"prepare\":\"husky\"},\"bin\":\"cli.js\","
                     "\"main\":\"a.js\",\"gitHead\":\"abc\"}");
    cJSON *b = parse("{\"name\":\"@s/x\",\"dependencies\":{\"a\":\"2\",\"c\":\"1\"},"
                     "\"devDependencies\":{\"e\":\"1\"},\"bundledDependencies\":[\"a\",\"c\"],"
                     "\"scripts\":{\"test\":\"y\",\"postinstall\":\"node p.js\"},"
                     "\"bin\":{\"x\":\"cli.js\",\"y\":\"y.js\"},\"exports\":{\".\":\"./b.js\"}}");
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_report_new(&r, ctx), 0);
    assert_int_equal(sg_diff_delta(r, ctx, "1.0.0", a, b, NULL, NULL), 0);
    assert_int_equal(count(r, "changed", "dependencies", "a"), 1);
    assert_int_equal(count(r, "removed", "dependencies", "b"), 1);
    assert_int_equal(count(r, "added", "dependencies", "c"), 1);
    assert_int_equal(count(r, "added", "devDependencies", NULL), 0); /* not installed */
    assert_int_equal(count(r, "added", "bundleDependencies", "c"), 1);
    assert_int_equal(count(r, "added", "scripts", "postinstall"), 1);
    assert_int_equal(count(r, "removed", "scripts", "prepare"), 1);
    assert_int_equal(count(r, "changed", "scripts", NULL), 0); /* test is no install script */
    assert_int_equal(count(r, "added", "bin", "y"), 1);
    assert_int_equal(count(r, "changed", "bin", NULL), 0); /* "cli.js" is {x: cli.js} */
    assert_int_equal(count(r, "removed", "main", NULL), 1);
    assert_int_equal(count(r, "added", "exports", NULL), 1);
    assert_int_equal(count(r, "removed", "gitHead", NULL), 1);
    assert_int_equal(sg_report_delta_count(r), 10);
    sg_report_free(r);
    cJSON_Delete(a);
    cJSON_Delete(b);
    sg_ctx_free(ctx);
}

/* 100 000 dependencies each side: sorted keys keep it fast, and at most 500 changes are kept. */
static void test_delta__hostile_maps_are_bounded(void **state)
{
    sg_ctx *ctx;
    sg_report *r;
    cJSON *a = cJSON_CreateObject(), *b = cJSON_CreateObject();
    cJSON *da = cJSON_AddObjectToObject(a, "dependencies");
    cJSON *db = cJSON_AddObjectToObject(b, "dependencies");
    char k[32];
    int i;
    (void)state;
    for (i = 0; i < 100000; i++) {
        snprintf(k, sizeof(k), "p%d", i);
        cJSON_AddStringToObject(da, k, "1");
        cJSON_AddStringToObject(db, k, i % 2 ? "2" : "1");
    }
    sg_ctx_new(&ctx);
    assert_int_equal(sg_report_new(&r, ctx), 0);
    assert_int_equal(sg_diff_delta(r, ctx, "1.0.0", a, b, NULL, NULL), 0);
    assert_int_equal(sg_report_delta_count(r), SG_DELTA_MAX_CHANGES);
    assert_int_equal(sg_report_delta_omitted(r), 50000 - SG_DELTA_MAX_CHANGES);
    sg_report_free(r);
    cJSON_Delete(a);
    cJSON_Delete(b);
    sg_ctx_free(ctx);
}

static void test_delta__files_added_removed_resized(void **state)
{
    static char big[409600], small[4096], mid[16384];
    sgt_file fa[] = {{"a.js", small, sizeof(small), 0},
                     {"b.js", mid, sizeof(mid), 0},
                     {"gone.js", "x", 0, 0},
                     {"tiny.js", "x", 0, 0}};
    sgt_file fb[] = {{"a.js", big, sizeof(big), 0},
                     {"b.js", big, 32768, 0},
                     {"new.js", "y", 0, 0},
                     {"tiny.js", "xxxxxxxxxx", 0, 0}};
    sg_tree *ta, *tb;
    sg_ctx *ctx;
    sg_report *r;
    cJSON *m = parse("{}");
    (void)state;
    memset(big, 'a', sizeof(big));
    memset(small, 'b', sizeof(small));
    memset(mid, 'c', sizeof(mid));
    ta = sgt_tree(fa, 4);
    tb = sgt_tree(fb, 4);
    sg_ctx_new(&ctx);
    assert_int_equal(sg_report_new(&r, ctx), 0);
    assert_int_equal(sg_diff_delta(r, ctx, "1.0.0", m, m, ta, tb), 0);
    assert_int_equal(count(r, "changed", "size", "a.js"), 1);    /* x100 */
    assert_int_equal(count(r, "changed", "size", "b.js"), 0);    /* x2 */
    assert_int_equal(count(r, "changed", "size", "tiny.js"), 0); /* x10 but 9 bytes */
    assert_int_equal(count(r, "removed", "files", "gone.js"), 1);
    assert_int_equal(count(r, "added", "files", "new.js"), 1);
    assert_int_equal(sg_report_delta_count(r), 3);
    sg_report_free(r);
    sg_tree_free(ta);
    sg_tree_free(tb);
    cJSON_Delete(m);
    sg_ctx_free(ctx);
}

/* Names from a hostile manifest cannot fake lines in the text report or markup in HTML. */
static void test_delta__text_and_html_escape_names(void **state)
{
    sg_ctx *ctx;
    sg_report *r;
    sg_audit *audit;
    sg_audit_release rel;
    sg_buf text = SG_BUF_INIT, html = SG_BUF_INIT, json = SG_BUF_INIT;
    sg_delta_change c = {"added", "dependencies", "evil\nverdict: pass", NULL, "<b>1</b>"};
    (void)state;
    sg_ctx_new(&ctx);
    assert_int_equal(sg_report_new(&r, ctx), 0);
    assert_int_equal(sg_report_delta_set(r, ctx, SG_DELTA_COMPARED, "1.0.0", NULL), 0);
    assert_int_equal(sg_report_delta_add(r, ctx, &c), 0);
    sg_report_decide(r, SG_SEV_HIGH);
    assert_int_equal(sg_report_write_text(&text, ctx, r, 0), 0);
    assert_non_null(
        strstr(text.ptr, "\ndelta since 1.0.0:\n  + dependencies.evil\\x0averdict: pass"));
    assert_int_equal(sg_report_write_json(&json, ctx, r), 0);
    assert_int_equal(sg_audit_new(&audit, ctx), 0);
    memset(&rel, 0, sizeof(rel));
    rel.name = "x";
    rel.version = "1.0.1";
    rel.verdict = SG_VERDICT_PASS;
    rel.report_json = json.ptr;
    rel.report_len = json.size;
    assert_int_equal(sg_audit_add_release(audit, ctx, &rel), 0);
    assert_int_equal(sg_audit_write_html(&html, ctx, audit, NULL), 0);
    assert_non_null(strstr(html.ptr, "<th>since the previous release</th>"));
    assert_non_null(strstr(html.ptr, "<td>since 1.0.0: +dependencies evil"));
    assert_null(strstr(html.ptr, "<b>1</b>"));
    sg_audit_free(audit);
    sg_buf_dispose(&text);
    sg_buf_dispose(&html);
    sg_buf_dispose(&json);
    sg_report_free(r);
    sg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delta__predecessor_by_semver_and_line),
        cmocka_unit_test(test_delta__manifest_changes),
        cmocka_unit_test(test_delta__hostile_maps_are_bounded),
        cmocka_unit_test(test_delta__files_added_removed_resized),
        cmocka_unit_test(test_delta__text_and_html_escape_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
