/*
 * --base: the entries of a lockfile that an older one does not have, within one format and
 * across formats; and format detection.
 */
#include "sg_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sourcegate/lockfile.h"

static sg_lockfile *parse(const char *text, const char *name)
{
    sg_ctx *ctx;
    sg_lockfile *lock = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    if (sg_lockfile_parse(&lock, ctx, text, strlen(text), name) < 0)
        fail_msg("%s", sg_error_message(ctx));
    sg_ctx_free(ctx);
    return lock;
}

static sg_lockfile *fixture(const char *rel, const char *name)
{
    char path[4096];
    size_t len;
    const char *src = getenv("SG_SOURCE_DIR");
    char *data;
    sg_lockfile *lock;
    snprintf(path, sizeof(path), "%s/tests/fixtures/lockfiles/%s", src ? src : ".", rel);
    data = sgt_read_file(path, &len);
    lock = parse(data, name);
    free(data);
    return lock;
}

static sg_lockfile *delta(const sg_lockfile *lock, const sg_lockfile *base)
{
    sg_ctx *ctx;
    sg_lockfile *d = NULL;
    assert_int_equal(sg_ctx_new(&ctx), 0);
    assert_int_equal(sg_lockfile_delta(&d, ctx, lock, base), 0);
    sg_ctx_free(ctx);
    return d;
}

#define NPM(entries) "{\"lockfileVersion\":3,\"packages\":{\"\":{}" entries "}}"
#define E(path, ver, integ)                                                                        \
    ",\"node_modules/" path "\":{\"version\":\"" ver "\",\"integrity\":\"" integ "\"}"

static void test_lockfile_delta__added_changed_and_unchanged(void **state)
{
    sg_lockfile *base = parse(
        NPM(E("a", "1.0.0", "sha512-A") E("b", "1.0.0", "sha512-B") E("c", "1.0.0", "sha512-C")),
        "package-lock.json");
    sg_lockfile *lock = parse(NPM(E("a", "1.0.0", "sha512-A") E("b", "1.1.0", "sha512-B2")
                                      E("c", "1.0.0", "sha512-EVIL") E("d", "1.0.0", "sha512-D")),
                              "package-lock.json");
    sg_lockfile *d = delta(lock, base);
    const sg_lockfile_entry *e;
    (void)state;
    assert_int_equal(sg_lockfile_count(d), 3);
    e = sg_lockfile_entry_at(d, 0);
    assert_string_equal(e->name, "b");
    assert_int_equal(e->change, SG_LOCK_CHANGED);
    e = sg_lockfile_entry_at(d, 1);
    assert_string_equal(e->name, "c"); /* same version, another integrity: re-verified */
    assert_int_equal(e->change, SG_LOCK_CHANGED);
    e = sg_lockfile_entry_at(d, 2);
    assert_string_equal(e->name, "d");
    assert_int_equal(e->change, SG_LOCK_ADDED);
    assert_int_equal(e->line, 0 + sg_lockfile_entry_at(lock, 3)->line);
    sg_lockfile_free(d);
    sg_lockfile_free(lock);
    sg_lockfile_free(base);
}

static void test_lockfile_delta__a_release_moved_in_the_tree_is_unchanged(void **state)
{
    sg_lockfile *base = parse(NPM(E("x/node_modules/a", "1.0.0", "sha512-A")), "package-lock.json");
    sg_lockfile *lock = parse(NPM(E("a", "1.0.0", "sha512-A")), "package-lock.json");
    sg_lockfile *d = delta(lock, base);
    (void)state;
    assert_int_equal(sg_lockfile_count(d), 0);
    sg_lockfile_free(d);
    sg_lockfile_free(lock);
    sg_lockfile_free(base);
}

static void test_lockfile_delta__git_entry_with_a_new_commit_is_changed(void **state)
{
    sg_lockfile *base =
        parse(NPM(",\"node_modules/g\":{\"version\":\"1.0.0\",\"resolved\":\"git+ssh://git@h/"
                  "g.git#aaa\"}"),
              "package-lock.json");
    sg_lockfile *lock =
        parse(NPM(",\"node_modules/g\":{\"version\":\"1.0.0\",\"resolved\":\"git+ssh://git@h/"
                  "g.git#bbb\"}"),
              "package-lock.json");
    sg_lockfile *d = delta(lock, base);
    (void)state;
    assert_int_equal(sg_lockfile_count(d), 1);
    assert_int_equal(sg_lockfile_entry_at(d, 0)->kind, SG_LOCK_KIND_GIT);
    assert_int_equal(sg_lockfile_entry_at(d, 0)->change, SG_LOCK_CHANGED);
    sg_lockfile_free(d);
    sg_lockfile_free(lock);
    sg_lockfile_free(base);
}

static void test_lockfile_delta__across_formats_the_same_releases_are_unchanged(void **state)
{
    /* a project moving from npm to pnpm or yarn: nothing new to verify */
    sg_lockfile *npm = fixture("npm-v3/package-lock.json", "package-lock.json");
    sg_lockfile *pnpm = fixture("pnpm-v9/pnpm-lock.yaml", "pnpm-lock.yaml");
    sg_lockfile *yarn = fixture("yarn-classic/yarn.lock", "yarn.lock");
    sg_lockfile *berry = fixture("yarn-berry/yarn.lock", "yarn.lock");
    sg_lockfile *d;
    size_t i, registry = 0;
    (void)state;
    d = delta(pnpm, npm);
    assert_int_equal(sg_lockfile_count(d), 0);
    sg_lockfile_free(d);
    d = delta(yarn, npm);
    assert_int_equal(sg_lockfile_count(d), 0);
    sg_lockfile_free(d);
    d = delta(berry, npm); /* berry has no integrity to differ; only its workspace is new */
    for (i = 0; i < sg_lockfile_count(d); i++)
        registry += sg_lockfile_entry_at(d, i)->kind == SG_LOCK_KIND_REGISTRY;
    assert_int_equal(registry, 0);
    sg_lockfile_free(d);
    /* against an empty base everything is added */
    {
        sg_lockfile *empty = parse(NPM(""), "package-lock.json");
        d = delta(npm, empty);
        assert_int_equal(sg_lockfile_count(d), sg_lockfile_count(npm));
        for (i = 0; i < sg_lockfile_count(d); i++)
            assert_int_equal(sg_lockfile_entry_at(d, i)->change, SG_LOCK_ADDED);
        sg_lockfile_free(d);
        sg_lockfile_free(empty);
    }
    sg_lockfile_free(npm);
    sg_lockfile_free(pnpm);
    sg_lockfile_free(yarn);
    sg_lockfile_free(berry);
}

static void test_lockfile_delta__format_detection_by_name_and_content(void **state)
{
    static const struct {
        const char *name; /* file name, or NULL */
        const char *text; /* content */
        int format;       /* expected; -1: not detected */
    } cases[] = {
        {"package-lock.json", "{}", SG_LOCKFILE_NPM},
        {"x/npm-shrinkwrap.json", "{}", SG_LOCKFILE_NPM},
        {"pnpm-lock.yaml", "lockfileVersion: '9.0'\n", SG_LOCKFILE_PNPM},
        {"yarn.lock", "# yarn lockfile v1\n", SG_LOCKFILE_YARN_CLASSIC},
        {"yarn.lock", "# generated\n\n__metadata:\n  version: 8\n", SG_LOCKFILE_YARN_BERRY},
        {"renamed.lock", "\n  {\"lockfileVersion\": 3}", SG_LOCKFILE_NPM},
        {NULL, "# comment\nlockfileVersion: 5.4\n", SG_LOCKFILE_PNPM},
        {NULL, "a@^1.0.0:\n  version \"1.0.0\"\n", SG_LOCKFILE_YARN_CLASSIC},
        {"notes.txt", "hello world\n", -1},
        {NULL, "", -1},
    };
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sg_ctx *ctx;
        sg_lockfile_format f;
        int rc;
        assert_int_equal(sg_ctx_new(&ctx), 0);
        rc = sg_lockfile_detect(&f, ctx, cases[i].name, cases[i].text, strlen(cases[i].text));
        if (cases[i].format < 0) {
            assert_int_equal(rc, SG_EINVALID);
            assert_non_null(strstr(sg_error_message(ctx), "cannot tell the format"));
        } else {
            if (rc != 0 || (int)f != cases[i].format)
                fail_msg("case %zu: rc %d format %d", i, rc, (int)f);
        }
        sg_ctx_free(ctx);
    }
    assert_string_equal(sg_lockfile_format_name(SG_LOCKFILE_YARN_BERRY), "yarn-berry");
    assert_string_equal(sg_lockfile_kind_name(SG_LOCK_KIND_TARBALL), "tarball");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lockfile_delta__added_changed_and_unchanged),
        cmocka_unit_test(test_lockfile_delta__a_release_moved_in_the_tree_is_unchanged),
        cmocka_unit_test(test_lockfile_delta__git_entry_with_a_new_commit_is_changed),
        cmocka_unit_test(test_lockfile_delta__across_formats_the_same_releases_are_unchanged),
        cmocka_unit_test(test_lockfile_delta__format_detection_by_name_and_content),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
