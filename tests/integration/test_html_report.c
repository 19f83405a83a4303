/*
 * Audit summaries: the JSON and text writers, and the HTML page opened in Debian's headless
 * Chromium — it renders, its cards and charts show the counts, the filter box's script runs
 * (a #q= link filters the rows), hostile strings stay text, and the console stays silent
 * (the page's Content-Security-Policy would report any load as an error). The Chromium tests
 * skip with a message when chromium is not installed.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sourcegate/audit.h"

#define EVIL "<script>alert(1)</script>\"'&"

typedef struct fixture {
    char *dir;       /* temporary folder */
    char html[4200]; /* the page */
    sg_ctx *ctx;
    sg_audit *audit;   /* what the page shows */
    int have_chromium; /* chromium is installed */
} fixture;

static const char *report_with(const char *kind, const char *severity, const char *detail)
{
    static char buf[4][2048];
    static int i;
    char *b = buf[i++ % 4];
    snprintf(b, sizeof(buf[0]),
             "{\"schema\":\"sourcegate/report/v1\",\"verdict\":\"x\",\"source\":{\"repository\":"
             "\"https://github.com/acme/x.git\",\"commit\":\"0123456789abcdef\",\"ref\":\"v1\","
             "\"resolved_by\":\"tag\"},\"compared_with\":null,\"findings\":[{\"kind\":\"%s\","
             "\"severity\":\"%s\",\"path\":\"lib/%s.js\",\"detail\":\"%s\"}]}",
             kind, severity, kind, detail);
    return b;
}

static void add(fixture *f, const char *name, const char *version, sg_verdict v, const char *json,
                int64_t at)
{
    sg_audit_release r;
    memset(&r, 0, sizeof(r));
    r.name = name;
    r.version = version;
    r.verdict = v;
    r.report_json = json;
    r.report_len = json ? strlen(json) : 0;
    r.verified_at = at;
    r.integrity = "sha512-test";
    if (sg_audit_add_release(f->audit, f->ctx, &r) < 0)
        fail_msg("add: %s", sg_error_message(f->ctx));
}

/* 7 releases of 4 packages: 3 pass, 3 fail, 1 inconclusive; 1 error; over two days. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    sg_audit_error e;
    const int64_t day = 1717200000; /* 2024-06-01 */
    f->dir = sgt_tmpdir();
    snprintf(f->html, sizeof(f->html), "%s/audit.html", f->dir);
    sg_ctx_new(&f->ctx);
    assert_int_equal(sg_audit_new(&f->audit, f->ctx), 0);
    add(f, "alpha", "1.0.0", SG_VERDICT_PASS, report_with("file-missing", "info", "ok"), day);
    add(f, "alpha", "1.10.0", SG_VERDICT_FAIL,
        report_with("dependency-added", "critical", "plain-crypto-js"), day + 3600);
    add(f, "alpha", "1.2.0", SG_VERDICT_PASS, NULL, day + 60);
    add(f, "beta", "2.0.0", SG_VERDICT_INCONCLUSIVE,
        report_with("file-unverified", "medium", "dist/x.js"), day + 86400);
    add(f, "@scope/gamma", "0.1.0", SG_VERDICT_FAIL, report_with("file-added", "high", EVIL),
        day + 86400 + 7200);
    add(f, "delta" EVIL, "3.0.0", SG_VERDICT_FAIL, "{not json", day + 90000);
    add(f, "epsilon", "1.0.0", SG_VERDICT_PASS, report_with("file-missing", "info", "x"),
        day + 100000);
    memset(&e, 0, sizeof(e));
    e.name = "zeta";
    e.spec = "latest";
    e.message = "registry unreachable";
    e.attempts = 3;
    assert_int_equal(sg_audit_add_error(f->audit, f->ctx, &e), 0);
    f->have_chromium = sgt_have_program("chromium");
    if (!f->have_chromium)
        fprintf(stderr, "test_html_report: chromium not installed; skipping the browser tests\n");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    sg_audit_free(f->audit);
    sg_ctx_free(f->ctx);
    free(f);
    sgt_cleanup();
    return 0;
}

static void test_html_report__json_counts_orders_and_keeps_findings(void **state)
{
    fixture *f = *state;
    sg_buf out = SG_BUF_INIT;
    cJSON *doc, *counts, *rels;
    assert_int_equal(sg_audit_write_json(&out, f->ctx, f->audit, NULL), 0);
    doc = cJSON_Parse(out.ptr);
    assert_non_null(doc);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "schema")),
                        "sourcegate/audit/v1");
    assert_null(cJSON_GetObjectItem(doc, "generated_at")); /* stable without a time */
    counts = cJSON_GetObjectItem(doc, "counts");
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "releases")), 7);
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "packages")), 5);
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "pass")), 3);
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "fail")), 3);
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "inconclusive")), 1);
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(counts, "errors")), 1);
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(
                         cJSON_GetObjectItem(counts, "by_kind"), "dependency-added")),
                     1);
    rels = cJSON_GetObjectItem(doc, "releases");
    /* by name, then version precedence: 1.0.0, 1.2.0, 1.10.0 */
    assert_string_equal(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(rels, 0), "package")),
        "@scope/gamma");
    assert_string_equal(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(rels, 3), "version")),
        "1.10.0");
    assert_string_equal(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(rels, 0), "purl")),
        "pkg:npm/%40scope/gamma@0.1.0");
    assert_string_equal(
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(rels, 0), "verified_at")),
        "2024-06-02T02:00:00Z");
    /* the unreadable report is kept with a note */
    assert_non_null(strstr(out.ptr, "\"note\": \"report unreadable"));
    cJSON_Delete(doc);
    sg_buf_dispose(&out);
}

static void test_html_report__text_lists_the_worst_first(void **state)
{
    fixture *f = *state;
    sg_buf out = SG_BUF_INIT;
    char *fail, *pass;
    assert_int_equal(sg_audit_write_text(&out, f->ctx, f->audit, NULL), 0);
    assert_non_null(strstr(out.ptr, "7 releases of 5 packages: 3 pass, 3 fail, 1 inconclusive; "
                                    "1 error\n"));
    fail = strstr(out.ptr, "alpha@1.10.0");
    pass = strstr(out.ptr, "alpha@1.0.0");
    assert_non_null(fail);
    assert_non_null(pass);
    assert_true(fail < pass);
    assert_non_null(strstr(out.ptr, "critical dependency-added lib/dependency-added.js"));
    assert_non_null(strstr(out.ptr, "zeta@latest: registry unreachable (3 attempts)"));
    sg_buf_dispose(&out);
}

/* Every finding line of the text summary carries what a reader needs to act: the field and
 * both values of a manifest-mismatch, the reason of a source-missing; control bytes from a
 * stored report never reach the terminal (issue 16). */
static void test_html_report__text_findings_say_field_values_and_reason(void **state)
{
    fixture *f = *state;
    sg_audit *a = NULL;
    sg_audit_release r;
    sg_buf out = SG_BUF_INIT;
    const char *json =
        "{\"schema\":\"sourcegate/report/v1\",\"verdict\":\"fail\",\"findings\":["
        "{\"kind\":\"manifest-mismatch\",\"severity\":\"high\",\"path\":\"package.json\","
        "\"field\":\"dependencies\",\"name\":\"follow-redirects\",\"before\":\"^1.15.6\","
        "\"after\":\"^1.15.0\",\"detail\":\"the registry's metadata names another spec\"},"
        "{\"kind\":\"source-missing\",\"severity\":\"high\","
        "\"detail\":\"the repository https://github.com/acme/gone.git does not "
        "exist\\u001b[2J\"}]}";
    assert_int_equal(sg_audit_new(&a, f->ctx), 0);
    memset(&r, 0, sizeof(r));
    r.name = "follow";
    r.version = "1.0.0";
    r.verdict = SG_VERDICT_FAIL;
    r.report_json = json;
    r.report_len = strlen(json);
    r.verified_at = 1717200000;
    r.integrity = "sha512-test";
    assert_int_equal(sg_audit_add_release(a, f->ctx, &r), 0);
    assert_int_equal(sg_audit_write_text(&out, f->ctx, a, NULL), 0);
    assert_non_null(strstr(out.ptr, "high     manifest-mismatch package.json "
                                    "dependencies.follow-redirects: ^1.15.6 -> ^1.15.0\n"));
    assert_non_null(strstr(out.ptr, "the registry's metadata names another spec\n"));
    assert_non_null(strstr(out.ptr, "high     source-missing\n"));
    assert_non_null(strstr(out.ptr, "does not exist\\x1b[2J\n"));
    assert_null(strchr(out.ptr, '\033'));
    assert_null(strstr(out.ptr, " \n")); /* no line ends in a space */
    sg_buf_dispose(&out);
    sg_audit_free(a);
}

static void write_page(fixture *f)
{
    sg_audit_write_opts o = SG_AUDIT_WRITE_OPTS_INIT;
    sg_buf out = SG_BUF_INIT;
    o.title = "nightly " EVIL;
    o.generated_at = 1717300000;
    assert_int_equal(sg_audit_write_html(&out, f->ctx, f->audit, &o), 0);
    sgt_write_file(f->html, out.ptr, out.size, 0);
    /* self-contained: nothing is loaded from anywhere */
    assert_null(strstr(out.ptr, "src="));
    assert_null(strstr(out.ptr, "<link"));
    assert_null(strstr(out.ptr, "@import"));
    assert_non_null(strstr(out.ptr, "default-src 'none'"));
    sg_buf_dispose(&out);
}

static void test_html_report__page_escapes_hostile_strings(void **state)
{
    fixture *f = *state;
    char *html;
    size_t n = 0;
    const char *p;
    write_page(f);
    html = sgt_read_file(f->html, NULL);
    for (p = html; (p = strstr(p, "<script")) != NULL; p++)
        n++;
    assert_int_equal(n, 1); /* only the page's own script */
    assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"));
    free(html);
}

/* Run chromium on the page (url may add a fragment); DOM on stdout, log on stderr. */
static int chromium(const fixture *f, const char *fragment, char **dom, char **log)
{
    char cmd[16384];
    snprintf(cmd, sizeof(cmd),
             "timeout 120 chromium --headless --no-sandbox --disable-gpu "
             "--disable-background-networking --disable-component-update --disable-sync "
             "--no-first-run --user-data-dir='%s/chromium' --enable-logging=stderr --v=0 "
             "--dump-dom 'file://%s%s'",
             f->dir, f->html, fragment ? fragment : "");
    return sgt_run(cmd, dom, log);
}

/* Sum attribute `attr` (e.g. data-fail="N") over the elements inside the element id. */
static long sum_attr(const char *dom, const char *id, const char *attr)
{
    char open[64], want[64];
    const char *p, *end;
    long sum = 0;
    snprintf(open, sizeof(open), "id=\"%s\"", id);
    snprintf(want, sizeof(want), " %s=\"", attr);
    p = strstr(dom, open);
    assert_non_null(p);
    end = strstr(p, "</svg>");
    assert_non_null(end);
    while ((p = strstr(p, want)) != NULL && p < end) {
        sum += strtol(p + strlen(want), NULL, 10);
        p += strlen(want);
    }
    return sum;
}

static void assert_count(const char *dom, const char *id, int n)
{
    char want[128];
    snprintf(want, sizeof(want), "id=\"count-%s\">%d<", id, n);
    if (!strstr(dom, want))
        fail_msg("the rendered page lacks '%s'", want);
}

/* Console messages (errors included) are logged as CONSOLE lines; CSP violations too. */
static void assert_console_silent(const char *log)
{
    const char *p = log ? strstr(log, "CONSOLE") : NULL;
    if (p)
        fail_msg("chromium console: %.300s", p);
    assert_null(log ? strstr(log, "Uncaught") : NULL);
    assert_null(log ? strstr(log, "Content Security Policy") : NULL);
}

static void test_html_report__chromium_renders_counts_and_charts(void **state)
{
    fixture *f = *state;
    char *dom = NULL, *log = NULL;
    if (!f->have_chromium)
        skip();
    write_page(f);
    assert_int_equal(chromium(f, NULL, &dom, &log), 0);
    assert_non_null(dom);
    assert_count(dom, "releases", 7);
    assert_count(dom, "pass", 3);
    assert_count(dom, "fail", 3);
    assert_count(dom, "inconclusive", 1);
    assert_count(dom, "errors", 1);
    /* the bars per package add up to the counts; so do the bars over time */
    assert_int_equal(sum_attr(dom, "chart-packages", "data-pass"), 3);
    assert_int_equal(sum_attr(dom, "chart-packages", "data-fail"), 3);
    assert_int_equal(sum_attr(dom, "chart-packages", "data-inconclusive"), 1);
    assert_int_equal(sum_attr(dom, "chart-time", "data-fail"), 3);
    assert_int_equal(sum_attr(dom, "chart-time", "data-pass"), 3);
    assert_non_null(strstr(dom, "data-package=\"alpha\" data-pass=\"2\" data-fail=\"1\""));
    /* the script ran: it wrote the row count next to the filter box */
    assert_non_null(strstr(dom, "7 of 7 releases shown"));
    /* the failing release's finding and source are on the page */
    assert_non_null(strstr(dom, "plain-crypto-js"));
    assert_non_null(strstr(dom, "https://github.com/acme/x.git"));
    assert_console_silent(log);
    free(dom);
    free(log);
}

static void test_html_report__chromium_filter_link_hides_other_rows(void **state)
{
    fixture *f = *state;
    char *dom = NULL, *log = NULL;
    if (!f->have_chromium)
        skip();
    write_page(f);
    assert_int_equal(chromium(f, "#q=alpha", &dom, &log), 0);
    assert_non_null(strstr(dom, "3 of 7 releases shown, 0 of 1 errors"));
    /* the counts and the package chart follow the filter */
    assert_count(dom, "releases", 3);
    assert_count(dom, "pass", 2);
    assert_count(dom, "fail", 1);
    assert_count(dom, "inconclusive", 0);
    assert_count(dom, "errors", 0);
    assert_non_null(strstr(dom, "data-package=\"beta\" data-pass=\"0\" data-fail=\"0\" "
                                "data-inconclusive=\"1\" style=\"opacity: 0.25;\""));
    assert_non_null(strstr(dom, "data-package=\"alpha\" data-pass=\"2\" data-fail=\"1\" "
                                "data-inconclusive=\"0\" style=\"opacity: 1;\""));
    assert_console_silent(log);
    free(dom);
    free(log);
}

/* A release with 6,000 findings in one run: the page opens on the summary and the table of
 * all releases; the failing release is collapsed and shows its findings grouped by severity
 * and kind, with the full list in a closed details element; no time chart for one run. */
static void test_html_report__thousands_of_findings_stay_folded(void **state)
{
    fixture *f = *state;
    sg_audit *a = NULL;
    sg_audit_release r;
    sg_buf json = SG_BUF_INIT, out = SG_BUF_INIT;
    char path[4200], cmd[9000], *dom = NULL, *log = NULL;
    const char *p, *summary, *all, *problems;
    size_t i;

    sg_buf_puts(&json, "{\"schema\":\"sourcegate/report/v1\",\"verdict\":\"fail\","
                       "\"findings\":[");
    for (i = 0; i < 6000; i++)
        sg_buf_printf(&json,
                      "%s{\"kind\":\"file-added\",\"severity\":\"%s\",\"path\":"
                      "\"%s/f%04zu.js\",\"detail\":\"not in the source at this commit\"}",
                      i ? "," : "", i % 2 ? "medium" : "high", i % 3 ? "_lib" : "locale", i);
    sg_buf_puts(&json, "]}");
    assert_int_equal(sg_audit_new(&a, f->ctx), 0);
    memset(&r, 0, sizeof(r));
    r.name = "date-fns";
    r.version = "3.6.0";
    r.verdict = SG_VERDICT_FAIL;
    r.report_json = json.ptr;
    r.report_len = json.size;
    r.verified_at = 1717200000;
    assert_int_equal(sg_audit_add_release(a, f->ctx, &r), 0);
    r.name = "tiny";
    r.report_json = NULL;
    r.report_len = 0;
    r.verdict = SG_VERDICT_PASS;
    r.verified_at = 1717200060; /* the same run */
    assert_int_equal(sg_audit_add_release(a, f->ctx, &r), 0);
    assert_int_equal(sg_audit_write_html(&out, f->ctx, a, NULL), 0);
    /* structure, whatever the browser: summary, all releases, then the problems, folded */
    summary = strstr(out.ptr, "id=\"summary\"");
    all = strstr(out.ptr, "id=\"all\"");
    problems = strstr(out.ptr, "id=\"problems\"");
    assert_true(summary && all && problems && summary < all && all < problems);
    assert_null(strstr(out.ptr, " open>"));
    assert_null(strstr(out.ptr, "chart-time"));
    assert_non_null(strstr(out.ptr, "<b>3000</b> under <code>locale/</code>, <code>_lib/</code>"));
    assert_non_null(strstr(out.ptr, "<details class=\"all\"><summary>All 6000 findings"));
    if (getenv("SG_TEST_KEEP_HTML")) /* to look at it: a path to copy the page to */
        sgt_write_file(getenv("SG_TEST_KEEP_HTML"), out.ptr, out.size, 0);
    if (!f->have_chromium) {
        sg_buf_dispose(&out);
        sg_buf_dispose(&json);
        sg_audit_free(a);
        skip();
    }
    snprintf(path, sizeof(path), "%s/many.html", f->dir);
    sgt_write_file(path, out.ptr, out.size, 0);
    snprintf(cmd, sizeof(cmd),
             "timeout 120 chromium --headless --no-sandbox --disable-gpu "
             "--disable-background-networking --disable-component-update --disable-sync "
             "--no-first-run --user-data-dir='%s/chromium2' --enable-logging=stderr --v=0 "
             "--dump-dom 'file://%s'",
             f->dir, path);
    assert_int_equal(sgt_run(cmd, &dom, &log), 0);
    assert_non_null(strstr(dom, "2 of 2 releases shown"));
    p = strstr(dom, "id=\"count-fail\">1<");
    assert_non_null(p);
    assert_console_silent(log);
    free(dom);
    free(log);
    sg_buf_dispose(&out);
    sg_buf_dispose(&json);
    sg_audit_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_html_report__json_counts_orders_and_keeps_findings),
        cmocka_unit_test(test_html_report__text_findings_say_field_values_and_reason),
        cmocka_unit_test(test_html_report__thousands_of_findings_stay_folded),
        cmocka_unit_test(test_html_report__text_lists_the_worst_first),
        cmocka_unit_test(test_html_report__page_escapes_hostile_strings),
        cmocka_unit_test(test_html_report__chromium_renders_counts_and_charts),
        cmocka_unit_test(test_html_report__chromium_filter_link_hides_other_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
