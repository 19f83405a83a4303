/*
 * package-lock.json v1, v2, v3 and npm-shrinkwrap.json: lockfiles written by npm 11 on this
 * machine (tests/fixtures/lockfiles/npm-v2, npm-v3, npm-v3-kinds, npm-v3-no-resolved), a v1
 * sample in npm 6's format, and hostile ones made here.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sourcegate/lockfile.h"
#include "common/alloc.h"

static char *fixture(const char *rel, size_t *len)
{
    char path[4096];
    const char *src = getenv("SG_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/tests/fixtures/lockfiles/%s", src ? src : ".", rel);
    return sgt_read_file(path, len);
}

static sg_lockfile *parse_fixture(const char *rel, const char *name)
{
    sg_ctx *ctx;
    sg_lockfile *lock = NULL;
    size_t len;
    char *data = fixture(rel, &len);
    assert_int_equal(sg_ctx_new(&ctx), 0);
    if (sg_lockfile_parse(&lock, ctx, data, len, name) < 0)
        fail_msg("%s: %s", rel, sg_error_message(ctx));
    sg_ctx_free(ctx);
    free(data);
    return lock;
}

/* Parse text; returns the error code and copies the message. */
static int parse_text(const char *text, size_t len, const char *name, char *msg, size_t size,
                      sg_lockfile **out)
{
    sg_ctx *ctx;
    sg_lockfile *lock = NULL;
    int rc;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    rc = sg_lockfile_parse(&lock, ctx, text, len, name);
    if (msg)
        snprintf(msg, size, "%s", sg_error_message(ctx));
    sg_ctx_free(ctx);
    if (out)
        *out = lock;
    else
        sg_lockfile_free(lock);
    return rc;
}

static const sg_lockfile_entry *find(const sg_lockfile *lock, const char *name, const char *version)
{
    size_t i;
    for (i = 0; i < sg_lockfile_count(lock); i++) {
        const sg_lockfile_entry *e = sg_lockfile_entry_at(lock, i);
        if (strcmp(e->name, name) == 0 &&
            (!version ? !e->version : e->version && strcmp(e->version, version) == 0))
            return e;
    }
    return NULL;
}

static size_t count_kind(const sg_lockfile *lock, sg_lockfile_kind kind)
{
    size_t i, n = 0;
    for (i = 0; i < sg_lockfile_count(lock); i++)
        n += sg_lockfile_entry_at(lock, i)->kind == kind;
    return n;
}

static void test_lockfile_npm__v3_entries_names_lines_and_flags(void **state)
{
    sg_lockfile *lock = parse_fixture("npm-v3/package-lock.json", "package-lock.json");
    const sg_lockfile_entry *e;
    (void)state;
    assert_int_equal(sg_lockfile_format_of(lock), SG_LOCKFILE_NPM);
    assert_int_equal(sg_lockfile_version(lock), 3);
    assert_int_equal(sg_lockfile_count(lock), 13);
    assert_int_equal(count_kind(lock, SG_LOCK_KIND_REGISTRY), 13);
    e = find(lock, "chalk", "4.1.2");
    assert_non_null(e);
    assert_int_equal(e->line, 48);
    assert_string_equal(e->resolved, "https://registry.npmjs.org/chalk/-/chalk-4.1.2.tgz");
    assert_string_equal(e->integrity, "sha512-oKnbhFyRIXpUuez8iBMmyEa4nbj4IOQyuhc/wy9kY7/WVPcwIO9VA"
                                      "668Pu8RkO7+0G76SLROeyw9CpQ061i4mA==");
    assert_null(e->alias);
    /* the alias installs debug@4.3.4 as debug-alias */
    e = find(lock, "debug", "4.3.4");
    assert_non_null(e);
    assert_string_equal(e->alias, "debug-alias");
    assert_int_equal(e->line, 91);
    /* nested copies keep their own line */
    e = find(lock, "ms", "2.0.0");
    assert_non_null(e);
    assert_int_equal(e->line, 115);
    e = find(lock, "nanoid", "3.3.7");
    assert_true(e->flags & SG_LOCK_DEV);
    e = find(lock, "@sindresorhus/is", "4.6.0");
    assert_non_null(e);
    assert_int_equal(e->kind, SG_LOCK_KIND_REGISTRY);
    sg_lockfile_free(lock);
}

static void test_lockfile_npm__v2_and_v3_pin_the_same_releases(void **state)
{
    sg_lockfile *v2 = parse_fixture("npm-v2/package-lock.json", "package-lock.json");
    sg_lockfile *v3 = parse_fixture("npm-v3/package-lock.json", "package-lock.json");
    size_t i;
    (void)state;
    assert_int_equal(sg_lockfile_version(v2), 2);
    assert_int_equal(sg_lockfile_count(v2), sg_lockfile_count(v3));
    for (i = 0; i < sg_lockfile_count(v3); i++) {
        const sg_lockfile_entry *a = sg_lockfile_entry_at(v3, i);
        const sg_lockfile_entry *b = find(v2, a->name, a->version);
        assert_non_null(b);
        assert_string_equal(a->integrity, b->integrity);
        assert_int_equal(a->line, b->line);
    }
    sg_lockfile_free(v2);
    sg_lockfile_free(v3);
}

static void test_lockfile_npm__v3_without_resolved_urls_is_still_registry(void **state)
{
    /* npm's omit-lockfile-registry-resolved leaves "resolved" out */
    sg_lockfile *lock = parse_fixture("npm-v3-no-resolved/package-lock.json", NULL);
    const sg_lockfile_entry *e = find(lock, "ms", "2.1.3");
    (void)state;
    assert_non_null(e);
    assert_null(e->resolved);
    assert_int_equal(e->kind, SG_LOCK_KIND_REGISTRY);
    assert_int_equal(count_kind(lock, SG_LOCK_KIND_REGISTRY), sg_lockfile_count(lock));
    sg_lockfile_free(lock);
}

static void test_lockfile_npm__v3_kinds_git_file_link_workspace(void **state)
{
    sg_lockfile *lock = parse_fixture("npm-v3-kinds/package-lock.json", "package-lock.json");
    const sg_lockfile_entry *e;
    (void)state;
    e = find(lock, "gitdep", "1.0.0");
    assert_non_null(e);
    assert_int_equal(e->kind, SG_LOCK_KIND_GIT);
    assert_non_null(strstr(e->resolved, "#1bbf578e5fbcbf15b4604a404dee5b29f2de0c09"));
    e = find(lock, "vendored", "1.0.0");
    assert_int_equal(e->kind, SG_LOCK_KIND_FILE);
    assert_string_equal(e->resolved, "file:../vendor/vendored-1.0.0.tgz");
    e = find(lock, "wsa", NULL);
    assert_non_null(e);
    assert_int_equal(e->kind, SG_LOCK_KIND_LINK);
    e = find(lock, "wsa", "0.1.0"); /* packages/wsa: the workspace folder itself */
    assert_non_null(e);
    assert_int_equal(e->kind, SG_LOCK_KIND_WORKSPACE);
    assert_int_equal(find(lock, "ms", "2.1.3")->kind, SG_LOCK_KIND_REGISTRY);
    assert_int_equal(count_kind(lock, SG_LOCK_KIND_REGISTRY), 1);
    sg_lockfile_free(lock);
}

static void test_lockfile_npm__v1_nested_alias_git_file_and_sha1(void **state)
{
    sg_lockfile *lock = parse_fixture("npm-v1/package-lock.json", "npm-shrinkwrap.json");
    const sg_lockfile_entry *e;
    (void)state;
    assert_int_equal(sg_lockfile_version(lock), 1);
    e = find(lock, "ms", "2.0.0"); /* dependencies.debug.dependencies.ms */
    assert_non_null(e);
    assert_int_equal(e->line, 20);
    e = find(lock, "debug", "4.3.4");
    assert_string_equal(e->alias, "debug-alias");
    assert_int_equal(e->kind, SG_LOCK_KIND_REGISTRY);
    e = find(lock, "gitdep", NULL);
    assert_int_equal(e->kind, SG_LOCK_KIND_GIT);
    assert_int_equal(e->line, 42);
    assert_int_equal(find(lock, "localdep", NULL)->kind, SG_LOCK_KIND_LINK);
    assert_int_equal(find(lock, "vendored", NULL)->kind, SG_LOCK_KIND_FILE);
    e = find(lock, "isarray", "1.0.0");
    assert_string_equal(e->integrity, "sha1-u5NdSFgsuhaMBoNJV6VKPgcSTxE=");
    assert_true(find(lock, "nanoid", "3.3.7")->flags & SG_LOCK_DEV);
    sg_lockfile_free(lock);
}

static void test_lockfile_npm__bundled_entries_are_flagged(void **state)
{
    const char *text =
        "{\"lockfileVersion\":3,\"packages\":{\"\":{},"
        "\"node_modules/a\":{\"version\":\"1.0.0\",\"resolved\":"
        "\"https://registry.npmjs.org/a/-/a-1.0.0.tgz\",\"integrity\":\"sha512-x\"},"
        "\"node_modules/a/node_modules/b\":{\"version\":\"2.0.0\",\"inBundle\":true}}}";
    sg_lockfile *lock = NULL;
    (void)state;
    assert_int_equal(parse_text(text, strlen(text), "package-lock.json", NULL, 0, &lock), 0);
    assert_true(find(lock, "b", "2.0.0")->flags & SG_LOCK_BUNDLED);
    sg_lockfile_free(lock);
}

static void test_lockfile_npm__remote_tarball_is_not_a_registry_release(void **state)
{
    const char *text = "{\"lockfileVersion\":3,\"packages\":{"
                       "\"node_modules/a\":{\"version\":\"1.0.0\",\"resolved\":"
                       "\"https://example.com/downloads/a.tgz\",\"integrity\":\"sha512-x\"},"
                       "\"node_modules/@s/b\":{\"version\":\"1.0.0\",\"resolved\":"
                       "\"https://npm.example.com/api/@s/b/-/b-1.0.0.tgz\"}}}";
    sg_lockfile *lock = NULL;
    (void)state;
    assert_int_equal(parse_text(text, strlen(text), "package-lock.json", NULL, 0, &lock), 0);
    assert_int_equal(find(lock, "a", "1.0.0")->kind, SG_LOCK_KIND_TARBALL);
    assert_int_equal(find(lock, "@s/b", "1.0.0")->kind, SG_LOCK_KIND_REGISTRY);
    sg_lockfile_free(lock);
}

static void test_lockfile_npm__duplicate_keys_last_wins_with_its_line(void **state)
{
    const char *text = "{\"lockfileVersion\":3,\"packages\":{\n"
                       "\"node_modules/a\":{\"version\":\"1.0.0\"},\n"
                       "\"node_modules/a\":{\"version\":\"6.6.6\"}\n}}";
    sg_lockfile *lock = NULL;
    (void)state;
    assert_int_equal(parse_text(text, strlen(text), "package-lock.json", NULL, 0, &lock), 0);
    assert_int_equal(sg_lockfile_count(lock), 1);
    assert_string_equal(sg_lockfile_entry_at(lock, 0)->version, "6.6.6");
    assert_int_equal(sg_lockfile_entry_at(lock, 0)->line, 3);
    sg_lockfile_free(lock);
}

static void test_lockfile_npm__escaped_keys_keep_their_line(void **state)
{
    const char *text = "{\"lockfileVersion\":3,\"packages\":{\n\n"
                       "\"node_modules/\\u0061bc\":{\"version\":\"1.0.0\"}}}";
    sg_lockfile *lock = NULL;
    (void)state;
    assert_int_equal(parse_text(text, strlen(text), "package-lock.json", NULL, 0, &lock), 0);
    assert_string_equal(sg_lockfile_entry_at(lock, 0)->name, "abc");
    assert_int_equal(sg_lockfile_entry_at(lock, 0)->line, 3);
    sg_lockfile_free(lock);
}

/* Hostile inputs: one clear error each. */
static void test_lockfile_npm__wrong_types_are_one_clear_error(void **state)
{
    static const struct {
        const char *text;   /* the lockfile */
        const char *expect; /* in the message */
    } cases[] = {
        {"[]", "not a JSON object"},
        {"{\"lockfileVersion\":\"3\",\"packages\":{}}", "lockfileVersion"},
        {"{\"lockfileVersion\":7,\"packages\":{}}", "lockfileVersion"},
        {"{\"lockfileVersion\":3,\"packages\":[]}", "'packages' is not an object"},
        {"{\"lockfileVersion\":3}", "no 'packages'"},
        {"{\"lockfileVersion\":3,\"packages\":{\n\"node_modules/a\":{\"version\":1}}}",
         "line 2: 'version' of 'node_modules/a' is not a string"},
        {"{\"lockfileVersion\":3,\"packages\":{\"node_modules/a\":\"1.0.0\"}}", "not an object"},
        {"{\"lockfileVersion\":3,\"packages\":{\"node_modules/a\":{\"version\":\"1.0.0\","
         "\"dev\":\"yes\"}}}",
         "'dev' of 'node_modules/a' is not true or false"},
        {"{\"lockfileVersion\":3,\"packages\":{\"node_modules/a\":{\"version\":\"latest\"}}}",
         "not an exact version"},
        {"{\"lockfileVersion\":1,\"dependencies\":{\"a\":{\"version\":\"1.0.0\","
         "\"dependencies\":[]}}}",
         "'dependencies' under 'node_modules/a' is not an object"},
        {"{\"lockfileVersion\":1,\"dependencies\":{\"a\":{\"version\":\"npm:\"}}}", "an alias"},
        {"{\"lockfileVersion\":3,\"packages\":{}", "not valid JSON"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char msg[1024];
        int rc = parse_text(cases[i].text, strlen(cases[i].text), "package-lock.json", msg,
                            sizeof(msg), NULL);
        if (rc != SG_EINVALID || !strstr(msg, cases[i].expect))
            fail_msg("case %zu: rc %d, message '%s', expected '%s'", i, rc, msg, cases[i].expect);
        assert_non_null(strstr(msg, "package-lock.json"));
    }
}

static void test_lockfile_npm__deep_nesting_is_refused_by_the_depth_limit(void **state)
{
    size_t depth = 100000, i, n = 0;
    char *text = malloc(depth * 8 + 64), msg[1024];
    (void)state;
    n += (size_t)sprintf(text, "{\"lockfileVersion\":1,\"dependencies\":");
    for (i = 0; i < depth; i++)
        n += (size_t)sprintf(text + n, "{\"a\":");
    text[n++] = '1';
    for (i = 0; i < depth + 1; i++)
        text[n++] = '}';
    assert_int_equal(parse_text(text, n, "package-lock.json", msg, sizeof(msg), NULL), SG_ELIMIT);
    assert_non_null(strstr(msg, "json-depth"));
    free(text);
}

static void test_lockfile_npm__size_and_entries_limits(void **state)
{
    const char *text = "{\"lockfileVersion\":3,\"packages\":{\"node_modules/a\":{\"version\":"
                       "\"1.0.0\"},\"node_modules/b\":{\"version\":\"1.0.0\"}}}";
    sg_ctx *ctx;
    sg_lockfile *lock = NULL;
    (void)state;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_JSON_SIZE, 20), 0);
    assert_int_equal(sg_lockfile_parse(&lock, ctx, text, strlen(text), "package-lock.json"),
                     SG_ELIMIT);
    assert_non_null(strstr(sg_error_message(ctx), "json-size"));
    sg_ctx_free(ctx);
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_ctx_set_limit(ctx, SG_LIMIT_ENTRIES, 1), 0);
    assert_int_equal(sg_lockfile_parse(&lock, ctx, text, strlen(text), "package-lock.json"),
                     SG_ELIMIT);
    assert_non_null(strstr(sg_error_message(ctx), "entries limit"));
    assert_null(lock);
    sg_ctx_free(ctx);
}

static void test_lockfile_npm__huge_lockfile_parses_in_bounded_time(void **state)
{
    size_t n = 50000, i, len = 0, cap = n * 200 + 64;
    char *text = malloc(cap);
    sg_lockfile *lock = NULL;
    clock_t t0;
    (void)state;
    len += (size_t)snprintf(text, cap, "{\"lockfileVersion\":3,\"packages\":{\"\":{}");
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                ",\n\"node_modules/p%zu\":{\"version\":\"1.0.%zu\",\"resolved\":"
                                "\"https://registry.npmjs.org/p%zu/-/p%zu-1.0.%zu.tgz\"}",
                                i, i, i, i, i);
    len += (size_t)snprintf(text + len, cap - len, "}}");
    t0 = clock();
    assert_int_equal(parse_text(text, len, "package-lock.json", NULL, 0, &lock), 0);
    print_message("%zu entries (%zu bytes) parsed in %.0f ms\n", n, len,
                  (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC);
    assert_int_equal(sg_lockfile_count(lock), n);
    assert_int_equal(sg_lockfile_entry_at(lock, n - 1)->line, n + 1);
    sg_lockfile_free(lock);
    free(text);
}

static void test_lockfile_npm__allocation_failures_are_clean(void **state)
{
    size_t len;
    char *data = fixture("npm-v1/package-lock.json", &len);
    long n;
    (void)state;
    for (n = 0; n < 100000; n++) {
        sg_ctx *ctx;
        sg_lockfile *lock = NULL;
        int rc;
        assert_int_equal(sg_ctx_new(&ctx), 0);
        sg_alloc__fail_after(n);
        rc = sg_lockfile_parse(&lock, ctx, data, len, "package-lock.json");
        sg_alloc__fail_after(-1);
        sg_ctx_free(ctx);
        sg_lockfile_free(lock);
        if (rc == 0)
            break;
        assert_int_equal(rc, SG_ENOMEM);
    }
    assert_true(n > 0);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lockfile_npm__v3_entries_names_lines_and_flags),
        cmocka_unit_test(test_lockfile_npm__v2_and_v3_pin_the_same_releases),
        cmocka_unit_test(test_lockfile_npm__v3_without_resolved_urls_is_still_registry),
        cmocka_unit_test(test_lockfile_npm__v3_kinds_git_file_link_workspace),
        cmocka_unit_test(test_lockfile_npm__v1_nested_alias_git_file_and_sha1),
        cmocka_unit_test(test_lockfile_npm__bundled_entries_are_flagged),
        cmocka_unit_test(test_lockfile_npm__remote_tarball_is_not_a_registry_release),
        cmocka_unit_test(test_lockfile_npm__duplicate_keys_last_wins_with_its_line),
        cmocka_unit_test(test_lockfile_npm__escaped_keys_keep_their_line),
        cmocka_unit_test(test_lockfile_npm__wrong_types_are_one_clear_error),
        cmocka_unit_test(test_lockfile_npm__deep_nesting_is_refused_by_the_depth_limit),
        cmocka_unit_test(test_lockfile_npm__size_and_entries_limits),
        cmocka_unit_test(test_lockfile_npm__huge_lockfile_parses_in_bounded_time),
        cmocka_unit_test(test_lockfile_npm__allocation_failures_are_clean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
