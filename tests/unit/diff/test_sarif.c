/*
 * The SARIF 2.1.0 writer: the shape GitHub code scanning accepts (shared/FORMATS.md §5),
 * levels, locations, escaping, the result cap.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sourcegate/sarif.h"

static sg_report *report(const char *pkg, const char *ver)
{
    sg_ctx *ctx;
    sg_report *r = NULL;
    sg_finding dep = {"dependency-added", SG_SEV_CRITICAL,
                      "package.json",     "dependencies",
                      "plain-crypto-js",  NULL,
                      "^4.2.1",           "a dependency \"quoted\"\n"};
    sg_finding mode = {"mode-changed", SG_SEV_MEDIUM, "bin/x", NULL, NULL, NULL, NULL, NULL};
    sg_finding info = {"script-removed", SG_SEV_INFO, "package.json", "scripts",
                       "prepare",        NULL,        NULL,           NULL};
    sg_finding low = {"file-added", SG_SEV_LOW, "README.bak", NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_report_new(&r, ctx), 0);
    assert_int_equal(sg_report_set(r, ctx, SG_REPORT_PACKAGE, pkg), 0);
    assert_int_equal(sg_report_set(r, ctx, SG_REPORT_VERSION, ver), 0);
    assert_int_equal(sg_report_add(r, ctx, &dep), 0);
    assert_int_equal(sg_report_add(r, ctx, &mode), 0);
    assert_int_equal(sg_report_add(r, ctx, &info), 0);
    assert_int_equal(sg_report_add(r, ctx, &low), 0);
    sg_report_decide(r, SG_SEV_HIGH);
    sg_ctx_free(ctx);
    return r;
}

static cJSON *sarif_of(const sg_sarif_release *rels, size_t n, const char *uri, const char *cat)
{
    sg_ctx *ctx;
    sg_buf out = SG_BUF_INIT;
    sg_sarif_opts o = SG_SARIF_OPTS_INIT;
    cJSON *doc;
    o.artifact_uri = uri;
    o.category = cat;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_sarif_write(&out, ctx, rels, n, &o), 0);
    doc = cJSON_Parse(out.ptr);
    assert_non_null(doc);
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
    return doc;
}

static const char *str(const cJSON *o, const char *key)
{
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(o, key));
    return s ? s : "(none)";
}

static void test_sarif__has_what_github_requires(void **state)
{
    sg_report *r = report("demo", "1.0.1");
    sg_sarif_release rel = {r, 42};
    cJSON *doc = sarif_of(&rel, 1, "package-lock.json", "sourcegate-lockfile/package-lock.json/");
    cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), 0);
    cJSON *driver = cJSON_GetObjectItem(cJSON_GetObjectItem(run, "tool"), "driver");
    cJSON *rules = cJSON_GetObjectItem(driver, "rules"), *rule, *results, *res;
    size_t nkinds;
    (void)state;
    sg_finding_kinds(&nkinds);
    assert_string_equal(str(doc, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
    assert_string_equal(str(doc, "version"), "2.1.0");
    assert_string_equal(str(driver, "name"), "sourcegate");
    assert_string_equal(str(driver, "semanticVersion"), sg_version());
    assert_int_equal(cJSON_GetArraySize(rules), (int)nkinds); /* one rule per kind */
    cJSON_ArrayForEach(rule, rules)
    {
        const cJSON *props = cJSON_GetObjectItem(rule, "properties");
        const char *sev = str(props, "security-severity");
        double v = atof(sev);
        assert_true(strlen(str(rule, "id")) > 0);
        assert_true(strlen(str(cJSON_GetObjectItem(rule, "shortDescription"), "text")) > 0);
        assert_true(strlen(str(cJSON_GetObjectItem(rule, "fullDescription"), "text")) > 0);
        assert_true(strlen(str(cJSON_GetObjectItem(rule, "help"), "text")) > 0);
        assert_true(v >= 0.1 && v <= 10.0);
        assert_string_equal(
            cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(props, "tags"), 0)),
            "security");
    }
    assert_string_equal(str(cJSON_GetObjectItem(run, "automationDetails"), "id"),
                        "sourcegate-lockfile/package-lock.json/");
    results = cJSON_GetObjectItem(run, "results");
    assert_int_equal(cJSON_GetArraySize(results), 3); /* the info finding is left out */
    res = cJSON_GetArrayItem(results, 0);
    assert_string_equal(str(res, "ruleId"), "dependency-added");
    assert_string_equal(str(res, "level"), "error");
    assert_string_equal(
        str(cJSON_GetArrayItem(rules, cJSON_GetObjectItem(res, "ruleIndex")->valueint), "id"),
        "dependency-added");
    {
        const cJSON *loc = cJSON_GetObjectItem(
            cJSON_GetArrayItem(cJSON_GetObjectItem(res, "locations"), 0), "physicalLocation");
        assert_string_equal(str(cJSON_GetObjectItem(loc, "artifactLocation"), "uri"),
                            "package-lock.json");
        assert_int_equal(
            cJSON_GetObjectItem(cJSON_GetObjectItem(loc, "region"), "startLine")->valueint, 42);
    }
    /* escaping survives: the detail's quotes and newline come back */
    assert_non_null(strstr(str(cJSON_GetObjectItem(res, "message"), "text"),
                           "demo@1.0.1: a dependency \"quoted\"\n"));
    assert_string_equal(
        str(cJSON_GetObjectItem(res, "partialFingerprints"), "primaryLocationLineHash"),
        "dependency-added:demo@1.0.1:package.json:dependencies:plain-crypto-js");
    assert_string_equal(str(cJSON_GetArrayItem(results, 1), "level"), "warning");
    assert_string_equal(str(cJSON_GetArrayItem(results, 2), "level"), "note");
    cJSON_Delete(doc);
    sg_report_free(r);
}

static void test_sarif__no_releases_is_a_valid_empty_run(void **state)
{
    cJSON *doc = sarif_of(NULL, 0, "pnpm-lock.yaml", NULL);
    cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), 0);
    (void)state;
    assert_true(cJSON_IsArray(cJSON_GetObjectItem(run, "results")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(run, "results")), 0);
    assert_null(cJSON_GetObjectItem(run, "automationDetails"));
    cJSON_Delete(doc);
}

static void test_sarif__line_zero_becomes_one_and_uri_is_required(void **state)
{
    sg_report *r = report("@s/x", "2.0.0");
    sg_sarif_release rel = {r, 0};
    cJSON *doc = sarif_of(&rel, 1, "yarn.lock", NULL);
    cJSON *res = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), 0), "results"), 0);
    sg_sarif_opts o = SG_SARIF_OPTS_INIT;
    sg_buf out = SG_BUF_INIT;
    sg_ctx *ctx;
    (void)state;
    assert_int_equal(
        cJSON_GetObjectItem(
            cJSON_GetObjectItem(
                cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "locations"), 0),
                                    "physicalLocation"),
                "region"),
            "startLine")
            ->valueint,
        1);
    cJSON_Delete(doc);
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_sarif_write(&out, ctx, &rel, 1, &o), SG_EINVALID);
    sg_buf_dispose(&out);
    sg_ctx_free(ctx);
    sg_report_free(r);
}

static void test_sarif__results_stop_at_the_github_cap(void **state)
{
    size_t n = SG_SARIF_MAX_RESULTS / 3 + 10, i;
    sg_report *r = report("many", "1.0.0");
    sg_sarif_release *rels = calloc(n, sizeof(*rels));
    cJSON *doc, *run;
    (void)state;
    for (i = 0; i < n; i++) {
        rels[i].report = r;
        rels[i].line = (unsigned)i + 1;
    }
    doc = sarif_of(rels, n, "package-lock.json", NULL);
    run = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(run, "results")), SG_SARIF_MAX_RESULTS);
    assert_true(
        cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "properties"), "truncated")));
    cJSON_Delete(doc);
    free(rels);
    sg_report_free(r);
}

/* Issue 14: a release that could not be verified is a tool execution notification of the
 * invocation, never a result; a log without errors has no invocations. */
static void test_sarif__errors_are_notifications_not_results(void **state)
{
    sg_report *r = report("demo", "1.0.1");
    sg_sarif_release rels[2] = {{NULL, 7, "down@2.0.0 could not be verified: cannot fetch"},
                                {r, 42, NULL}};
    cJSON *doc = sarif_of(rels, 2, "package-lock.json", NULL), *run, *inv, *note, *loc, *res;
    (void)state;
    run = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), 0);
    cJSON_ArrayForEach(res, cJSON_GetObjectItem(run, "results"))
        assert_null(strstr(str(cJSON_GetObjectItem(res, "message"), "text"), "down@2.0.0"));
    inv = cJSON_GetArrayItem(cJSON_GetObjectItem(run, "invocations"), 0);
    assert_non_null(inv);
    assert_true(cJSON_IsFalse(cJSON_GetObjectItem(inv, "executionSuccessful")));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(inv, "toolExecutionNotifications")), 1);
    note = cJSON_GetArrayItem(cJSON_GetObjectItem(inv, "toolExecutionNotifications"), 0);
    assert_string_equal(str(note, "level"), "error");
    assert_string_equal(str(cJSON_GetObjectItem(note, "message"), "text"),
                        "down@2.0.0 could not be verified: cannot fetch");
    loc = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(note, "locations"), 0),
                              "physicalLocation");
    assert_string_equal(str(cJSON_GetObjectItem(loc, "artifactLocation"), "uri"),
                        "package-lock.json");
    assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(loc, "region"), "startLine")->valueint,
                     7);
    cJSON_Delete(doc);
    /* no errors: no invocations */
    doc = sarif_of(&rels[1], 1, "package-lock.json", NULL);
    run = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "runs"), 0);
    assert_null(cJSON_GetObjectItem(run, "invocations"));
    cJSON_Delete(doc);
    sg_report_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sarif__has_what_github_requires),
        cmocka_unit_test(test_sarif__no_releases_is_a_valid_empty_run),
        cmocka_unit_test(test_sarif__line_zero_becomes_one_and_uri_is_required),
        cmocka_unit_test(test_sarif__results_stop_at_the_github_cap),
        cmocka_unit_test(test_sarif__errors_are_notifications_not_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
