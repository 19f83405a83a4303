/*
 * yarn.lock: classic lockfiles written by yarn 1.22 and berry lockfiles written by yarn 4 on
 * this machine (tests/fixtures/lockfiles/yarn-*), and hostile ones made here.
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
    rc = sg_lockfile_parse(&lock, ctx, text, len, "yarn.lock");
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

/* ---- classic ---- */

static void test_lockfile_yarn__classic_entries_lines_and_registry_urls(void **state)
{
    sg_lockfile *lock = parse_fixture("yarn-classic/yarn.lock");
    const sg_lockfile_entry *e;
    (void)state;
    assert_int_equal(sg_lockfile_format_of(lock), SG_LOCKFILE_YARN_CLASSIC);
    assert_int_equal(sg_lockfile_count(lock), 13);
    e = find(lock, "chalk", "4.1.2");
    assert_non_null(e);
    assert_int_equal(e->line, 17);
    assert_int_equal(e->kind, SG_LOCK_KIND_REGISTRY);
    /* the #sha1 fragment is not part of the URL */
    assert_string_equal(e->resolved, "https://registry.yarnpkg.com/chalk/-/chalk-4.1.2.tgz");
    assert_string_equal(e->integrity, "sha512-oKnbhFyRIXpUuez8iBMmyEa4nbj4IOQyuhc/wy9kY7/WVPcwIO9VA"
                                      "668Pu8RkO7+0G76SLROeyw9CpQ061i4mA==");
    e = find(lock, "debug", "4.3.4");
    assert_non_null(e);
    assert_string_equal(e->alias, "debug-alias");
    assert_int_equal(e->line, 37);
    e = find(lock, "@sindresorhus/is", "4.6.0");
    assert_non_null(e);
    assert_int_equal(e->kind, SG_LOCK_KIND_REGISTRY);
    assert_non_null(find(lock, "ms", "2.1.3"));
    sg_lockfile_free(lock);
}

static void test_lockfile_yarn__classic_kinds_git_file_link(void **state)
{
    sg_lockfile *lock = parse_fixture("yarn-classic-kinds/yarn.lock");
    (void)state;
    assert_int_equal(sg_lockfile_count(lock), 4);
    assert_int_equal(find(lock, "gitdep", NULL)->kind, SG_LOCK_KIND_GIT);
    assert_int_equal(find(lock, "localdep", NULL)->kind, SG_LOCK_KIND_LINK);
    assert_int_equal(find(lock, "vendored", NULL)->kind, SG_LOCK_KIND_FILE);
    assert_int_equal(find(lock, "ms", NULL)->kind, SG_LOCK_KIND_REGISTRY);
    sg_lockfile_free(lock);
}

static void test_lockfile_yarn__classic_without_integrity_uses_the_sha1_fragment(void **state)
{
    /* yarn before 1.10 wrote no integrity line, only the URL's #sha1 */
    const char *text = "# yarn lockfile v1\n\n\n"
                       "isarray@1.0.0, isarray@^1.0.0:\n"
                       "  version \"1.0.0\"\n"
                       "  resolved \"https://registry.yarnpkg.com/isarray/-/isarray-1.0.0.tgz"
                       "#bb935d48582cba168c06834957a54a3e07124f11\"\n";
    sg_lockfile *lock = NULL;
    const sg_lockfile_entry *e;
    (void)state;
    assert_int_equal(parse_text(text, strlen(text), NULL, 0, &lock), 0);
    e = find(lock, "isarray", "1.0.0");
    assert_non_null(e);
    assert_int_equal(e->line, 4);
    assert_string_equal(e->integrity, "sha1-u5NdSFgsuhaMBoNJV6VKPgcSTxE=");
    sg_lockfile_free(lock);
}

static void test_lockfile_yarn__classic_hostile_inputs_are_one_clear_error(void **state)
{
    static const struct {
        const char *text;   /* yarn.lock */
        const char *expect; /* in the message */
    } cases[] = {
        {"# yarn lockfile v1\na@1:\n   version \"1.0.0\"\n", "line 3: indentation"},
        {"# yarn lockfile v1\na@1:\n  version \"1.0.0\n", "line 3: unterminated"},
        {"# yarn lockfile v1\n  version \"1.0.0\"\n", "line 2: a field outside any entry"},
        {"# yarn lockfile v1\na@1\n  version \"1.0.0\"\n", "ending in ':'"},
        {"# yarn lockfile v1\na@1:\n\tversion \"1.0.0\"\n", "tabs"},
        {"# yarn lockfile v1\na@1:\n  integrity sha512-x\n", "without an exact 'version'"},
        {"# yarn lockfile v1\na@1:\n  version \"latest\"\n", "without an exact 'version'"},
        {"# yarn lockfile v1\n\"a@1\" \"b@2\":\n  version \"1.0.0\"\n", "expected ','"},
        {"# yarn lockfile v1\nnoversion:\n  version \"1.0.0\"\n", "no 'name@range'"},
        {"# yarn lockfile v1\na@1:\n  version\n", "expected 'key value'"},
        {"# yarn lockfile v1\na@1:\n      deep \"x\"\n", "unexpected indentation"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char msg[1024];
        int rc = parse_text(cases[i].text, strlen(cases[i].text), msg, sizeof(msg), NULL);
        if (rc != SG_EINVALID || !strstr(msg, cases[i].expect) || !strstr(msg, "yarn.lock"))
            fail_msg("case %zu: rc %d, message '%s', expected '%s'", i, rc, msg, cases[i].expect);
    }
}

static void test_lockfile_yarn__classic_huge_and_long_lines_are_bounded(void **state)
{
    size_t n = 50000, i, len = 0, cap = n * 160 + 100000;
    char *text = malloc(cap), msg[1024];
    sg_lockfile *lock = NULL;
    clock_t t0;
    (void)state;
    len += (size_t)snprintf(text, cap, "# yarn lockfile v1\n\n");
    for (i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "p%zu@^1.0.0:\n  version \"1.0.%zu\"\n  resolved "
                                "\"https://registry.yarnpkg.com/p%zu/-/p%zu-1.0.%zu.tgz\"\n\n",
                                i, i, i, i, i);
    t0 = clock();
    assert_int_equal(parse_text(text, len, msg, sizeof(msg), &lock), 0);
    print_message("%zu entries (%zu bytes) parsed in %.0f ms\n", n, len,
                  (double)(clock() - t0) * 1000.0 / CLOCKS_PER_SEC);
    assert_int_equal(sg_lockfile_count(lock), n);
    sg_lockfile_free(lock);
    /* one value longer than any real one */
    len = (size_t)snprintf(text, cap, "# yarn lockfile v1\na@1:\n  version \"");
    memset(text + len, 'x', 90000);
    len += 90000;
    len += (size_t)snprintf(text + len, cap - len, "\"\n");
    assert_int_equal(parse_text(text, len, msg, sizeof(msg), NULL), SG_EINVALID);
    assert_non_null(strstr(msg, "value too long"));
    free(text);
}

/* ---- berry ---- */

static void test_lockfile_yarn__berry_registry_alias_and_workspace(void **state)
{
    sg_lockfile *lock = parse_fixture("yarn-berry/yarn.lock");
    const sg_lockfile_entry *e;
    (void)state;
    assert_int_equal(sg_lockfile_format_of(lock), SG_LOCKFILE_YARN_BERRY);
    assert_int_equal(sg_lockfile_version(lock), 10);
    assert_int_equal(sg_lockfile_count(lock), 14);
    e = find(lock, "chalk", "4.1.2");
    assert_non_null(e);
    assert_int_equal(e->kind, SG_LOCK_KIND_REGISTRY);
    assert_int_equal(e->line, 24);
    assert_null(e->integrity); /* berry's checksum covers its zip, not the tarball */
    e = find(lock, "debug", "4.3.4");
    assert_string_equal(e->alias, "debug-alias");
    assert_int_equal(e->line, 50);
    e = find(lock, "ms", "2.1.3");
    assert_int_equal(e->line, 105);
    e = find(lock, "fixture-app", NULL);
    assert_int_equal(e->kind, SG_LOCK_KIND_WORKSPACE);
    sg_lockfile_free(lock);
}

static void test_lockfile_yarn__berry_kinds_link_file_workspace(void **state)
{
    sg_lockfile *lock = parse_fixture("yarn-berry-kinds/yarn.lock");
    (void)state;
    assert_int_equal(sg_lockfile_count(lock), 6);
    assert_int_equal(find(lock, "kinds-app", NULL)->kind, SG_LOCK_KIND_WORKSPACE);
    assert_int_equal(find(lock, "wsa", NULL)->kind, SG_LOCK_KIND_WORKSPACE);
    assert_int_equal(find(lock, "linked", NULL)->kind, SG_LOCK_KIND_LINK);
    assert_int_equal(find(lock, "localdep", NULL)->kind, SG_LOCK_KIND_LINK);
    assert_int_equal(find(lock, "vendored", NULL)->kind, SG_LOCK_KIND_FILE);
    assert_int_equal(find(lock, "ms", "2.1.3")->kind, SG_LOCK_KIND_REGISTRY);
    assert_int_equal(find(lock, "vendored", NULL)->line, 39);
    sg_lockfile_free(lock);
}

static void test_lockfile_yarn__berry_git_patch_and_url_resolutions(void **state)
{
    const char *text =
        "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n"
        "\"a@https://github.com/o/a.git#commit=0123456789abcdef0123456789abcdef01234567\":\n"
        "  version: 1.0.0\n"
        "  resolution: "
        "\"a@https://github.com/o/a.git#commit=0123456789abcdef0123456789abcdef01234567\"\n"
        "\"resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>\":\n"
        "  version: 1.22.8\n"
        "  resolution: "
        "\"resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8\"\n"
        "\"t@https://example.com/t-1.0.0.tgz\":\n"
        "  version: 1.0.0\n"
        "  resolution: \"t@https://example.com/t-1.0.0.tgz\"\n";
    sg_lockfile *lock = NULL;
    (void)state;
    assert_int_equal(parse_text(text, strlen(text), NULL, 0, &lock), 0);
    assert_int_equal(find(lock, "a", NULL)->kind, SG_LOCK_KIND_GIT);
    assert_int_equal(find(lock, "resolve", NULL)->kind, SG_LOCK_KIND_FILE);
    assert_int_equal(find(lock, "t", NULL)->kind, SG_LOCK_KIND_TARBALL);
    sg_lockfile_free(lock);
}

static void test_lockfile_yarn__berry_hostile_inputs_are_one_clear_error(void **state)
{
    static const struct {
        const char *text;   /* yarn.lock (berry) */
        const char *expect; /* in the message */
    } cases[] = {
        {"__metadata:\n  version: 8\n\"a@npm:1\":\n  version: [\n", "line"},
        {"__metadata:\n  version: 8\n\"a@npm:1\": &x\n  version: 1.0.0\n  resolution: "
         "\"a@npm:1.0.0\"\n\"b@npm:1\": *x\n",
         "anchors and aliases"},
        {"__metadata:\n  version: 8\n\"a@npm:1\":\n  resolution: \"a@npm:latest\"\n",
         "not an exact version"},
        {"__metadata:\n  version: 8\n\"a@npm:1\":\n  resolution: \"nameonly\"\n",
         "not 'name@reference'"},
        {"__metadata:\n  version: 8\n? [a, b]\n: x\n", "used as a key"},
        {"__metadata:\n  version: !!int 8\n", "tags"},
        {"__metadata: {}\n\"a@npm:1\":\n  resolution: \"a@npm:1.0.0\"\n", "no __metadata version"},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char msg[1024];
        int rc = parse_text(cases[i].text, strlen(cases[i].text), msg, sizeof(msg), NULL);
        if (rc != SG_EINVALID || !strstr(msg, cases[i].expect) || !strstr(msg, "yarn.lock"))
            fail_msg("case %zu: rc %d, message '%s', expected '%s'", i, rc, msg, cases[i].expect);
    }
}

static void test_lockfile_yarn__berry_deep_nesting_stops_at_the_limit(void **state)
{
    size_t depth = 20000, i, n = 0;
    char *text = malloc(depth * 2 + 64), msg[1024];
    (void)state;
    n += (size_t)sprintf(text, "__metadata:\n  version: 8\nx: ");
    for (i = 0; i < depth; i++)
        text[n++] = '[';
    for (i = 0; i < depth; i++)
        text[n++] = ']';
    text[n++] = '\n';
    assert_int_equal(parse_text(text, n, msg, sizeof(msg), NULL), SG_ELIMIT);
    assert_non_null(strstr(msg, "nests deeper"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lockfile_yarn__classic_entries_lines_and_registry_urls),
        cmocka_unit_test(test_lockfile_yarn__classic_kinds_git_file_link),
        cmocka_unit_test(test_lockfile_yarn__classic_without_integrity_uses_the_sha1_fragment),
        cmocka_unit_test(test_lockfile_yarn__classic_hostile_inputs_are_one_clear_error),
        cmocka_unit_test(test_lockfile_yarn__classic_huge_and_long_lines_are_bounded),
        cmocka_unit_test(test_lockfile_yarn__berry_registry_alias_and_workspace),
        cmocka_unit_test(test_lockfile_yarn__berry_kinds_link_file_workspace),
        cmocka_unit_test(test_lockfile_yarn__berry_git_patch_and_url_resolutions),
        cmocka_unit_test(test_lockfile_yarn__berry_hostile_inputs_are_one_clear_error),
        cmocka_unit_test(test_lockfile_yarn__berry_deep_nesting_stops_at_the_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
