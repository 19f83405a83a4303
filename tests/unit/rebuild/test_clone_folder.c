/*
 * The rebuild's copy lives in a folder named as `git clone URL` names it
 * (sg_rebuild__clone_folder): bundlers such as rollup's commonjs plugin name a module after
 * its folder, so a build in "src/" writes other identifiers than the maintainer's clone.
 */
#include "sg_test.h"

#include <string.h>

#include "verifier/rebuild/rebuild_int.h"

static const char *folder(const char *url)
{
    static char out[64];
    return sg_rebuild__clone_folder(out, sizeof(out), url);
}

static void test_clone_folder__named_as_git_clone_names_it(void **state)
{
    (void)state;
    assert_string_equal(folder("https://github.com/primus/eventemitter3.git"), "eventemitter3");
    assert_string_equal(folder("https://github.com/primus/eventemitter3"), "eventemitter3");
    assert_string_equal(folder("https://github.com/primus/eventemitter3/"), "eventemitter3");
    assert_string_equal(folder("git@github.com:isaacs/node-glob.git"), "node-glob");
    assert_string_equal(folder("git+ssh://git@github.com/vuejs/core.git"), "core");
    assert_string_equal(folder("/srv/mirrors/axios/.git"), "axios");
    assert_string_equal(folder("/srv/mirrors/axios.git/"), "axios");
    assert_string_equal(folder("file:///srv/Mixed_Case-1.2"), "Mixed_Case-1.2");
    assert_string_equal(folder("https://example.com/.git"), "example.com"); /* git's too */
}

static void test_clone_folder__anything_else_is_src(void **state)
{
    (void)state;
    assert_string_equal(folder(NULL), "src");
    assert_string_equal(folder(""), "src");
    assert_string_equal(folder("/"), "src");
    assert_string_equal(folder("https://example.com/.hidden"), "src");
    assert_string_equal(folder("https://example.com/a%20b"), "src");
    assert_string_equal(folder("https://example.com/sp ace"), "src");
    /* longer than the output buffer */
    assert_string_equal(
        folder("https://example.com/"
               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        "src");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clone_folder__named_as_git_clone_names_it),
        cmocka_unit_test(test_clone_folder__anything_else_is_src),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
