/* Lockfile and packument URLs of the public registry, routed to the gateway (issue 15). */
#include "sg_test.h"

#include <string.h>

#include "common/common.h"
#include "verifier/rebuild/sandbox_int.h"

static char *route(size_t *count, const char *text, const char *extra)
{
    sg_buf out = SG_BUF_INIT;
    assert_int_equal(sg_gateway__route_aliases(&out, count, text, strlen(text), "@GW@/", extra), 0);
    return sg_buf_detach(&out, NULL);
}

static void test_registry_alias__yarn_lock_hosts_are_routed_integrity_kept(void **state)
{
    static const char lock[] =
        "chalk@^4.1.2:\n"
        "  version \"4.1.2\"\n"
        "  resolved \"https://registry.yarnpkg.com/chalk/-/chalk-4.1.2.tgz#4bdf\"\n"
        "  integrity sha512-oKnbhFyRIXpUuez8iBMmyEa4nbj4IOQyuhc/wy9kY7/WVPcwIO9VA668Pu8RkO7+0G76S"
        "UROeyv3ArI9Ccxh==\n"
        "\n"
        "\"@babel/core@7.0.0\":\n"
        "  resolved \"https://registry.npmjs.org/@babel/core/-/core-7.0.0.tgz#1\"\n";
    size_t n;
    char *out = route(&n, lock, NULL);
    (void)state;
    assert_int_equal(n, 2);
    assert_non_null(strstr(out, "resolved \"@GW@/chalk/-/chalk-4.1.2.tgz#4bdf\""));
    assert_non_null(strstr(out, "resolved \"@GW@/@babel/core/-/core-7.0.0.tgz#1\""));
    assert_non_null(strstr(out, "integrity sha512-oKnbhFyRIXpUuez8iBMmyEa4nbj4IOQyuhc/"));
    assert_null(strstr(out, "registry.yarnpkg.com"));
    assert_null(strstr(out, "registry.npmjs.org"));
    sg_free(out);
}

static void test_registry_alias__package_lock_pnpm_and_http_forms(void **state)
{
    static const char text[] =
        "{\"resolved\": \"http://registry.npmjs.org/a/-/a-1.0.0.tgz\",\n"
        " \"resolved\":\"HTTPS://Registry.Yarnpkg.com/b/-/b-1.0.0.tgz\"}\n"
        "    resolution: {tarball: https://registry.npmjs.org/c/-/c-1.0.0.tgz}\n";
    size_t n;
    char *out = route(&n, text, NULL);
    (void)state;
    assert_int_equal(n, 3);
    assert_non_null(strstr(out, "\"@GW@/a/-/a-1.0.0.tgz\""));
    assert_non_null(strstr(out, "\"@GW@/b/-/b-1.0.0.tgz\""));
    assert_non_null(strstr(out, "tarball: @GW@/c/-/c-1.0.0.tgz}"));
    sg_free(out);
}

static void test_registry_alias__only_whole_url_prefixes(void **state)
{
    /* a longer host, a host inside another URL's path, another registry: left alone */
    static const char text[] = "\"https://registry.npmjs.org.evil.example/a/-/a.tgz\"\n"
                               "\"https://mirror.example/https://registry.npmjs.org/a\"\n"
                               "\"https://registry.npmjs.orgx/a\"\n"
                               "\"https://npm.example.com/a/-/a-1.0.0.tgz\"\n";
    size_t n;
    char *out = route(&n, text, NULL);
    (void)state;
    assert_int_equal(n, 0);
    assert_string_equal(out, text);
    sg_free(out);
}

static void test_registry_alias__the_configured_registry_is_routed_too(void **state)
{
    static const char text[] =
        "{\"dist\":{\"tarball\":\"https://npm.example.com/r/a/-/a-1.0.0.tgz\"},"
        "\"homepage\":\"https://npm.example.com/other\"}";
    size_t n;
    char *out = route(&n, text, "https://npm.example.com/r/");
    (void)state;
    assert_int_equal(n, 1);
    assert_non_null(strstr(out, "\"tarball\":\"@GW@/a/-/a-1.0.0.tgz\""));
    assert_non_null(strstr(out, "https://npm.example.com/other"));
    sg_free(out);
}

static void test_registry_alias__binary_input_is_copied_exactly(void **state)
{
    static const char bytes[] = "a\0https://registry.npmjs.org/x\0\xff";
    sg_buf out = SG_BUF_INIT;
    size_t n;
    (void)state;
    assert_int_equal(sg_gateway__route_aliases(&out, &n, bytes, sizeof(bytes) - 1, "@GW@/", NULL),
                     0);
    assert_int_equal(n, 1); /* a NUL before it counts as a boundary */
    assert_int_equal(out.size, sizeof(bytes) - 1 - strlen("https://registry.npmjs.org/") + 5);
    sg_buf_dispose(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_alias__yarn_lock_hosts_are_routed_integrity_kept),
        cmocka_unit_test(test_registry_alias__package_lock_pnpm_and_http_forms),
        cmocka_unit_test(test_registry_alias__only_whole_url_prefixes),
        cmocka_unit_test(test_registry_alias__the_configured_registry_is_routed_too),
        cmocka_unit_test(test_registry_alias__binary_input_is_copied_exactly),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
