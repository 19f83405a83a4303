/*
 * pnpm-lock.yaml: lockfiles written by pnpm 8 (lockfileVersion 6.0) and pnpm 9 (9.0) on this
 * machine (tests/fixtures/lockfiles/pnpm-*), a v5 sample, and hostile YAML made here.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sourcegate/lockfile.h"

static char *fixture(const char *rel, size_t *len)
{
    char path[4096];
    const char *src = getenv("SG_SOURCE_DIR");
    snprintf(path, sizeof(path), "%s/tests/fixtures/lockfiles/%s", src ? src : ".", rel);
    return sgt_read_file(path, len);
}

static int parse_text(const char *text, size_t len, char *msg, size_t size, sg_lockfile **out)
{
    sg_ctx *ctx;
    sg_lockfile *lock = NULL;
    int rc;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    rc = sg_lockfile_parse(&lock, ctx, text, len, "pnpm-lock.yaml");
    if (msg)
        snprintf(msg, size, "%s", sg_error_message(ctx));
    sg_ctx_free(ctx);
    if (out)
        *out = lock;
    else
        sg_lockfile_free(lock);
    return rc;
}

static sg_lockfile *parse_fixture(const char *rel)
{
    char msg[1024];
    size_t len;
    char *data = fixture(rel, &len);
    sg_lockfile *lock = NULL;
    if (parse_text(data, len, msg, sizeof(msg), &lock) < 0)
        fail_msg("%s: %s", rel, msg);
    free(data);
    return lock;
}

static const sg_lockfile_entry *find(const sg_lockfile *lock, const char *name, const char *version)
{
    size_t i;
    for (i = 0; i < sg_lockfile_count(lock); i++) {
        const sg_lockfile_entry *e = sg_lockfile_entry_at(lock, i);
        if (strcmp(e->name, name) == 0 &&
            (!version || (e->version && strcmp(e->version, version) == 0)))
            return e;
    }
    return NULL;
}

static void test_lockfile_pnpm__v9_packages_with_lines_and_integrity(void **state)
{
    sg_lockfile *lock = parse_fixture("pnpm-v9/pnpm-lock.yaml");
    const sg_lockfile_entry *e;
    (void)state;
    assert_int_equal(sg_lockfile_format_of(lock), SG_LOCKFILE_PNPM);
    assert_int_equal(sg_lockfile_version(lock), 9);
    assert_int_equal(sg_lockfile_count(lock), 13);
    e = find(lock, "chalk", "4.1.2");
    assert_non_null(e);
    assert_int_equal(e->line, 41);
    assert_int_equal(e->kind, SG_LOCK_KIND_REGISTRY);
    assert_string_equal(e->integrity, "sha512-oKnbhFyRIXpUuez8iBMmyEa4nbj4IOQyuhc/wy9kY7/WVPcwIO9VA"
                                      "668Pu8RkO7+0G76SLROeyw9CpQ061i4mA==");
    e = find(lock, "@sindresorhus/is", "4.6.0");
    assert_non_null(e);
    assert_int_equal(e->kind, SG_LOCK_KIND_REGISTRY);
    assert_non_null(find(lock, "debug", "4.3.4"));
    assert_non_null(find(lock, "ms", "2.0.0"));
    sg_lockfile_free(lock);
}

static void test_lockfile_pnpm__v6_keys_with_slash_and_dev_flag(void **state)
{
    sg_lockfile *lock = parse_fixture("pnpm-v6/pnpm-lock.yaml");
    const sg_lockfile_entry *e;
    (void)state;
    assert_int_equal(sg_lockfile_version(lock), 6);
    assert_int_equal(sg_lockfile_count(lock), 13);
    e = find(lock, "@sindresorhus/is", "4.6.0");
    assert_non_null(e);
    assert_int_equal(e->line, 31);
    e = find(lock, "nanoid", "3.3.7");
    assert_int_equal(e->line, 102);
    assert_true(e->flags & SG_LOCK_DEV);
    assert_false(find(lock, "chalk", "4.1.2")->flags & SG_LOCK_DEV);
    sg_lockfile_free(lock);
}

static void test_lockfile_pnpm__v9_kinds_git_directory_tarball_workspace(void **state)
{
    sg_lockfile *lock = parse_fixture("pnpm-v9-kinds/pnpm-lock.yaml");
    const sg_lockfile_entry *e;
    (void)state;
    e = find(lock, "gitdep", NULL);
    assert_int_equal(e->kind, SG_LOCK_KIND_GIT);
    assert_string_equal(e->version, "1.0.0");
    assert_string_equal(e->resolved,
                        "file:///tmp/lockfx/gitdep.git#1bbf578e5fbcbf15b4604a404dee5b29f2de0c09");
    assert_int_equal(e->line, 32);
    assert_int_equal(find(lock, "localdep", NULL)->kind, SG_LOCK_KIND_LINK);
    e = find(lock, "vendored", NULL);
    assert_int_equal(e->kind, SG_LOCK_KIND_FILE);
    assert_string_equal(e->resolved, "file:../vendor/vendored-1.0.0.tgz");
    e = find(lock, "packages/wsa", NULL);
    assert_non_null(e);
    assert_int_equal(e->kind, SG_LOCK_KIND_WORKSPACE);
    assert_int_equal(e->line, 24);
    assert_int_equal(find(lock, "ms", "2.1.3")->kind, SG_LOCK_KIND_REGISTRY);
    sg_lockfile_free(lock);
}

static void test_lockfile_pnpm__v5_and_peer_suffixes(void **state)
{
    const char *v5 = "lockfileVersion: 5.4\n\npackages:\n\n"
                     "  /@types/node/18.0.0:\n"
                     "    resolution: {integrity: sha512-aaaa}\n    dev: true\n\n"
                     "  /react-dom/18.2.0_react@18.2.0:\n"
                     "    resolution: {integrity: sha512-bbbb}\n";
    const char *v6 = "lockfileVersion: '6.0'\n\npackages:\n\n"
                     "  /@scope/x@1.0.0(react@18.2.0)(y@2.0.0):\n"
                     "    resolution: {integrity: sha512-cccc}\n"
                     "  /t@1.0.0:\n"
                     "    resolution: {integrity: sha512-dddd, tarball: "
                     "https://npm.example.com/t/-/t-1.0.0.tgz}\n"
                     "  registry.example.com/u/1.0.0:\n"
                     "    resolution: {tarball: https://example.com/u.tgz}\n"
                     "    name: u\n    version: 1.0.0\n";
    sg_lockfile *lock = NULL;
    (void)state;
    assert_int_equal(parse_text(v5, strlen(v5), NULL, 0, &lock), 0);
    assert_int_equal(sg_lockfile_version(lock), 5);
    assert_int_equal(find(lock, "@types/node", "18.0.0")->line, 5);
    assert_non_null(find(lock, "react-dom", "18.2.0"));
    sg_lockfile_free(lock);
    assert_int_equal(parse_text(v6, strlen(v6), NULL, 0, &lock), 0);
    assert_non_null(find(lock, "@scope/x", "1.0.0"));
    assert_int_equal(find(lock, "t", "1.0.0")->kind, SG_LOCK_KIND_REGISTRY);
    assert_int_equal(find(lock, "u", "1.0.0")->kind, SG_LOCK_KIND_TARBALL);
    sg_lockfile_free(lock);
}

static void test_lockfile_pnpm__hostile_yaml_is_one_clear_error(void **state)
{
    static const struct {
        const char *text;   /* pnpm-lock.yaml */
        const char *expect; /* in the message */
    } cases[] = {
        {"lockfileVersion: '9.0'\npackages:\n  a@1.0.0:\n    resolution: {integrity: x\n", "line"},
        {"lockfileVersion: '9.0'\npackages:\n  a@1.0.0: &a\n    resolution: {integrity: x}\n"
         "  b@1.0.0: *a\n",
         "anchors and aliases"},
        {"lockfileVersion: '3.0'\n", "not supported"},
        {"lockfileVersion: '9.0'\npackages:\n  a@latest:\n    resolution: {integrity: x}\n",
         "no exact version"},
        {"lockfileVersion: '9.0'\npackages:\n  a:\n    resolution: {integrity: x}\n",
         "no exact version"},
        {"lockfileVersion: '9.0'\npackages:\n\t- x\n", "line"},
        {"lockfileVersion: '9.0'\n---\nsecond: doc\n", ""},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char msg[1024];
        int rc = parse_text(cases[i].text, strlen(cases[i].text), msg, sizeof(msg), NULL);
        if (i == 6) { /* only the first document is read */
            assert_int_equal(rc, 0);
            continue;
        }
        if (rc != SG_EINVALID || !strstr(msg, cases[i].expect) || !strstr(msg, "pnpm-lock.yaml"))
            fail_msg("case %zu: rc %d, message '%s', expected '%s'", i, rc, msg, cases[i].expect);
    }
}

static void test_lockfile_pnpm__billion_laughs_is_refused_at_the_first_alias(void **state)
{
    const char *text = "lockfileVersion: '9.0'\n"
                       "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
    char msg[1024];
    (void)state;
    assert_int_equal(parse_text(text, strlen(text), msg, sizeof(msg), NULL), SG_EINVALID);
    assert_non_null(strstr(msg, "line 2: anchors and aliases"));
}

static void test_lockfile_pnpm__huge_and_deep_inputs_are_bounded(void **state)
{
    size_t n = 30000, i, len = 0, cap = n * 120 + 200000;
    char *text = malloc(cap), msg[1024];
    sg_lockfile *lock = NULL;
    clock_t t0;
    (void)state;
    len += (size_t)snprintf(text, cap, "lockfileVersion: '9.0'\n\npackages:\n\n");
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "  p%zu@1.0.%zu:\n    resolution: {integrity: sha512-%zu}\n\n", i,
                                i, i);
    t0 = clock();
    assert_int_equal(parse_text(text, len, msg, sizeof(msg), &lock), 0);
    print_message("%zu entries (%zu bytes) parsed in %.0f ms\n", n, len,
                  (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC);
    assert_int_equal(sg_lockfile_count(lock), n);
    assert_int_equal(sg_lockfile_entry_at(lock, n - 1)->line, 5 + 3 * (n - 1));
    sg_lockfile_free(lock);
    /* nesting by indentation */
    len = (size_t)snprintf(text, cap, "lockfileVersion: '9.0'\n");
    for (i = 0; i < 200; i++) {
        memset(text + len, ' ', i);
        len += i;
        len += (size_t)snprintf(text + len, cap - len, "k:\n");
    }
    assert_int_equal(parse_text(text, len, msg, sizeof(msg), NULL), SG_ELIMIT);
    assert_non_null(strstr(msg, "nests deeper"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lockfile_pnpm__v9_packages_with_lines_and_integrity),
        cmocka_unit_test(test_lockfile_pnpm__v6_keys_with_slash_and_dev_flag),
        cmocka_unit_test(test_lockfile_pnpm__v9_kinds_git_directory_tarball_workspace),
        cmocka_unit_test(test_lockfile_pnpm__v5_and_peer_suffixes),
        cmocka_unit_test(test_lockfile_pnpm__hostile_yaml_is_one_clear_error),
        cmocka_unit_test(test_lockfile_pnpm__billion_laughs_is_refused_at_the_first_alias),
        cmocka_unit_test(test_lockfile_pnpm__huge_and_deep_inputs_are_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
