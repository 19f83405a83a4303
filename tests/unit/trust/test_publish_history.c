/*
 * Publishing history: provenance-regression from packuments built here (the npm registry
 * reachable from CI serves packuments without attestations or publisher fields).
 */
#include "sg_test.h"

#include "verifier/trust/trust_int.h"

static sg_ctx *ctx;

typedef struct ver {
    const char *version;
    const char *time; /* NULL: no time[] entry */
    int provenance;   /* dist.attestations with SLSA provenance */
    int publisher;    /* 1: _npmUser.trustedPublisher; 2: the OIDC no-reply identity */
} ver;

static cJSON *packument(const ver *v, size_t n)
{
    cJSON *doc = cJSON_CreateObject(), *versions = cJSON_AddObjectToObject(doc, "versions");
    cJSON *time = cJSON_AddObjectToObject(doc, "time");
    size_t i;
    cJSON_AddStringToObject(time, "created", "2019-01-01T00:00:00.000Z");
    for (i = 0; i < n; i++) {
        cJSON *m = cJSON_AddObjectToObject(versions, v[i].version);
        cJSON *dist = cJSON_AddObjectToObject(m, "dist");
        cJSON *user = cJSON_AddObjectToObject(m, "_npmUser");
        cJSON_AddStringToObject(m, "version", v[i].version);
        cJSON_AddStringToObject(dist, "integrity", "sha512-AAAA");
        if (v[i].provenance) {
            cJSON *att = cJSON_AddObjectToObject(dist, "attestations");
            cJSON_AddStringToObject(att, "url", "https://registry.example/-/npm/v1/attestations/x");
            cJSON_AddStringToObject(cJSON_AddObjectToObject(att, "provenance"), "predicateType",
                                    "https://slsa.dev/provenance/v1");
        }
        if (v[i].publisher == 1) {
            cJSON *tp;
            cJSON_AddStringToObject(user, "name", "GitHub Actions");
            cJSON_AddStringToObject(user, "email", "npm-oidc-no-reply@github.com");
            tp = cJSON_AddObjectToObject(user, "trustedPublisher");
            cJSON_AddStringToObject(tp, "id", "github");
            cJSON_AddStringToObject(tp, "oidcConfigId", "oidc:0000");
        } else if (v[i].publisher == 2) {
            cJSON_AddStringToObject(user, "name", "GitHub Actions");
            cJSON_AddStringToObject(user, "email", "npm-oidc-no-reply@github.com");
        } else {
            cJSON_AddStringToObject(user, "name", "maintainer");
            cJSON_AddStringToObject(user, "email", "maintainer@example.com");
        }
        if (v[i].time)
            cJSON_AddStringToObject(time, v[i].version, v[i].time);
    }
    return doc;
}

static const sg_finding *finding(const sg_report *r, const char *name)
{
    size_t i;
    for (i = 0; i < sg_report_finding_count(r); i++) {
        const sg_finding *f = sg_report_finding(r, i);
        if (!strcmp(f->kind, "provenance-regression") && f->name && !strcmp(f->name, name))
            return f;
    }
    return NULL;
}

/* Scan and report for version; the report is returned for assertions. */
static sg_report *history(sg_history *h, const ver *v, size_t n, const char *version)
{
    cJSON *doc = packument(v, n);
    sg_report *r = NULL;
    assert_int_equal(sg_report_new(&r, ctx), 0);
    sg_history__init(h);
    assert_int_equal(sg_history__scan(h, ctx, doc, version), 0);
    assert_int_equal(sg_history__report(r, ctx, h), 0);
    print_message("%s\n", sg_report_list_get(r, SG_LIST_CHECKS, 0));
    cJSON_Delete(doc);
    return r;
}

static void test_history__axios_1_14_1_lost_provenance_and_trusted_publisher(void **state)
{
    static const ver v[] = {
        {"1.13.0", "2026-01-10T00:00:00.000Z", 1, 1},
        {"1.14.0", "2026-03-01T00:00:00.000Z", 1, 1},
        {"1.14.1", "2026-03-31T00:00:00.000Z", 0, 0},
        {"1.12.0", "2025-12-01T00:00:00.000Z", 0, 0},
    };
    sg_history h;
    sg_report *r = history(&h, v, 4, "1.14.1");
    const sg_finding *p = finding(r, "provenance"), *t = finding(r, "trusted-publisher");
    (void)state;
    assert_int_equal(h.earlier, 3);
    assert_int_equal(h.with_provenance, 2);
    assert_int_equal(h.with_publisher, 2);
    assert_string_equal(h.provenance_versions.ptr, "1.14.0, 1.13.0");
    assert_string_equal(h.last_provenance, "1.14.0");
    assert_int_equal(h.since_provenance, 0);
    assert_true(h.ordered_by_time);
    assert_non_null(p);
    assert_int_equal(p->severity, SG_SEV_HIGH);
    assert_non_null(strstr(p->detail, "2 earlier releases had it (1.14.0, 1.13.0)"));
    assert_non_null(strstr(p->detail, "the release before this one, 1.14.0, had it"));
    assert_non_null(t);
    assert_non_null(
        strstr(sg_report_list_get(r, SG_LIST_CHECKS, 0), "provenance on 2 (newest 1.14.0)"));
    sg_history__dispose(&h);
    sg_report_free(r);
}

static void test_history__the_whole_history_counts_not_only_the_previous_release(void **state)
{
    static const ver v[] = {
        {"1.0.0", "2024-01-01T00:00:00Z", 1, 0}, {"1.1.0", "2024-02-01T00:00:00Z", 1, 0},
        {"1.2.0", "2024-03-01T00:00:00Z", 0, 0}, {"1.3.0", "2024-04-01T00:00:00Z", 0, 0},
        {"1.4.0", "2024-05-01T00:00:00Z", 0, 0},
    };
    sg_history h;
    sg_report *r = history(&h, v, 5, "1.4.0");
    const sg_finding *p = finding(r, "provenance");
    (void)state;
    assert_non_null(p);
    assert_string_equal(h.provenance_versions.ptr, "1.1.0, 1.0.0");
    assert_int_equal(h.since_provenance, 2);
    assert_non_null(strstr(p->detail, "the newest was 1.1.0; the 2 releases published since "
                                      "lacked it too"));
    assert_null(finding(r, "trusted-publisher"));
    sg_history__dispose(&h);
    sg_report_free(r);
}

static void test_history__no_regression_when_this_release_has_it_or_none_had_it(void **state)
{
    static const ver v[] = {
        {"1.0.0", "2024-01-01T00:00:00Z", 0, 0},
        {"1.1.0", "2024-02-01T00:00:00Z", 1, 2},
        {"1.2.0", "2024-03-01T00:00:00Z", 1, 1},
    };
    sg_history h;
    sg_report *r;
    (void)state;
    r = history(&h, v, 3, "1.2.0");
    assert_int_equal(sg_report_finding_count(r), 0);
    assert_true(h.provenance && h.trusted_publisher);
    assert_int_equal(h.with_publisher, 1); /* the no-reply identity counts as OIDC */
    sg_history__dispose(&h);
    sg_report_free(r);
    r = history(&h, v, 3, "1.0.0");
    assert_int_equal(h.earlier, 0);
    assert_int_equal(sg_report_finding_count(r), 0);
    sg_history__dispose(&h);
    sg_report_free(r);
}

static void test_history__a_backport_is_measured_by_publish_time(void **state)
{
    static const ver timed[] = {
        {"2.0.0", "2024-01-01T00:00:00Z", 1, 0},
        {"1.9.9", "2025-01-01T00:00:00Z", 0, 0},
    };
    static const ver untimed[] = {
        {"2.0.0", NULL, 1, 0},
        {"1.9.9", NULL, 0, 0},
    };
    sg_history h;
    sg_report *r;
    (void)state;
    r = history(&h, timed, 2, "1.9.9");
    assert_non_null(finding(r, "provenance"));
    assert_true(h.ordered_by_time);
    sg_history__dispose(&h);
    sg_report_free(r);
    /* without times, semver order: 2.0.0 came "after" 1.9.9 */
    r = history(&h, untimed, 2, "1.9.9");
    assert_null(finding(r, "provenance"));
    assert_false(h.ordered_by_time);
    assert_non_null(strstr(sg_report_list_get(r, SG_LIST_CHECKS, 0), "version order"));
    sg_history__dispose(&h);
    sg_report_free(r);
}

static void test_history__long_lists_are_capped(void **state)
{
    ver v[40];
    char names[40][16], times[40][32];
    sg_history h;
    sg_report *r;
    size_t i;
    (void)state;
    for (i = 0; i < 40; i++) {
        snprintf(names[i], sizeof(names[i]), "1.%zu.0", i);
        snprintf(times[i], sizeof(times[i]), "2024-01-%02zuT00:00:00Z", i % 28 + 1);
        if (i >= 28)
            snprintf(times[i], sizeof(times[i]), "2024-02-%02zuT00:00:00Z", i - 27);
        v[i].version = names[i];
        v[i].time = times[i];
        v[i].provenance = i < 39;
        v[i].publisher = 0;
    }
    r = history(&h, v, 40, "1.39.0");
    assert_int_equal(h.earlier, 39);
    assert_int_equal(h.with_provenance, 39);
    assert_non_null(strstr(h.provenance_versions.ptr, "1.38.0, 1.37.0"));
    assert_non_null(strstr(h.provenance_versions.ptr, " and 19 more"));
    assert_non_null(finding(r, "provenance"));
    sg_history__dispose(&h);
    sg_report_free(r);
}

static void test_history__an_unknown_version_is_an_error(void **state)
{
    static const ver v[] = {{"1.0.0", NULL, 0, 0}};
    cJSON *doc = packument(v, 1);
    sg_history h;
    (void)state;
    sg_history__init(&h);
    assert_int_equal(sg_history__scan(&h, ctx, doc, "2.0.0"), SG_EINVALID);
    sg_error_clear(ctx);
    sg_history__dispose(&h);
    cJSON_Delete(doc);
}

static int group_setup(void **state)
{
    (void)state;
    return sg_ctx_new(&ctx);
}

static int group_teardown(void **state)
{
    (void)state;
    sg_ctx_free(ctx);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history__axios_1_14_1_lost_provenance_and_trusted_publisher),
        cmocka_unit_test(test_history__the_whole_history_counts_not_only_the_previous_release),
        cmocka_unit_test(test_history__no_regression_when_this_release_has_it_or_none_had_it),
        cmocka_unit_test(test_history__a_backport_is_measured_by_publish_time),
        cmocka_unit_test(test_history__long_lists_are_capped),
        cmocka_unit_test(test_history__an_unknown_version_is_an_error),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
